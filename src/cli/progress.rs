//! What the command line may draw on the terminal besides its results: progress bars of long
//! commands and colour. One rule for every command, decided here from pure functions of the
//! environment so that it can be tested without a terminal.
//!
//! Progress goes to stderr and only when a person is watching it: stderr is a terminal, `-q` was
//! not given and the terminal is not `TERM=dumb` (which cannot move the cursor back). Piped or
//! redirected stderr, a service manager's journal and a script see nothing of it. While a bar is
//! drawn, log lines are written through it (see [`LogWriter`]) so that a warning does not tear
//! the bar apart.

use std::ffi::OsStr;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether a progress bar is drawn: a terminal on stderr, not quiet, a terminal that can redraw.
pub fn visible(stderr_is_terminal: bool, quiet: bool, term: Option<&OsStr>) -> bool {
    stderr_is_terminal && !quiet && term.is_none_or(|t| t != "dumb")
}

/// Whether escape sequences for colour may be written to a stream: it is a terminal, `NO_COLOR`
/// is not set to a non-empty value (no-color.org) and the terminal is not `TERM=dumb`.
pub fn colour(stream_is_terminal: bool, no_color: Option<&OsStr>, term: Option<&OsStr>) -> bool {
    stream_is_terminal && no_color.is_none_or(OsStr::is_empty) && term.is_none_or(|t| t != "dumb")
}

/// `colour` for stderr in this process's environment.
pub fn stderr_colour() -> bool {
    colour(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var_os("TERM").as_deref(),
    )
}

/// Clap's colour choice: never when the environment forbids colour whatever the stream is;
/// otherwise clap decides per stream (help on stdout, errors on stderr) whether it is a terminal.
pub fn clap_colour() -> clap::ColorChoice {
    if colour(
        true,
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var_os("TERM").as_deref(),
    ) {
        clap::ColorChoice::Auto
    } else {
        clap::ColorChoice::Never
    }
}

/// The bar being drawn, if any, for log lines to be written around.
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

fn active() -> Option<ProgressBar> {
    ACTIVE.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// A progress bar over `total` items; hidden (every call a no-op) unless [`visible`] says so.
/// `unit` names the items (`feeds`, `articles`); the message slot carries a running count,
/// `first` until the first item is done.
pub struct Progress {
    bar: ProgressBar,
}

/// Whether a bar would be drawn now (stderr a terminal, no `-q`, TERM not dumb).
pub fn shown(quiet: bool) -> bool {
    visible(
        std::io::stderr().is_terminal(),
        quiet,
        std::env::var_os("TERM").as_deref(),
    )
}

impl Progress {
    pub fn start(quiet: bool, total: u64, unit: &str, first: &str) -> Progress {
        if !shown(quiet) {
            return Progress {
                bar: ProgressBar::hidden(),
            };
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        // The template is fixed text; were it ever wrong, a plain bar still shows the counts.
        // No styles in it: the bar is legible without colour, so NO_COLOR needs no second
        // template. (`per_sec:1` is one decimal: indicatif reads that width as a precision.)
        let style = ProgressStyle::with_template(&format!(
            "{{spinner}} [{{bar:30}}] {{human_pos}}/{{human_len}} {unit}  {{per_sec:1}}  {{msg}}  {{elapsed}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(first.to_string());
        // Drawn at once, before the ticker takes over drawing: a short run shows its bar too.
        bar.tick();
        // Redraws the spinner and elapsed time while one slow item holds the count still.
        bar.enable_steady_tick(Duration::from_millis(200));
        *ACTIVE.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar.clone());
        Progress { bar }
    }

    /// One more item done; `message` replaces the running count shown beside the bar.
    pub fn advance(&self, message: String) {
        self.bar.set_message(message);
        self.bar.inc(1);
    }

    /// One more item done, the message unchanged.
    pub fn advance_only(&self) {
        self.bar.inc(1);
    }

    /// A handle that changes the message from elsewhere (another thread, a callback) while
    /// this bar is drawn; it draws nothing once the bar is dropped.
    pub fn ticker(&self) -> Ticker {
        Ticker(self.bar.clone())
    }

    /// Several items done at once.
    pub fn advance_by(&self, items: u64, message: String) {
        self.bar.set_message(message);
        self.bar.inc(items);
    }
}

impl Drop for Progress {
    /// The bar leaves no trace on the terminal: the command's own summary follows it.
    fn drop(&mut self) {
        // One bar at a time: no command draws two.
        *ACTIVE.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.bar.finish_and_clear();
    }
}

/// See [`Progress::ticker`].
#[derive(Clone)]
pub struct Ticker(ProgressBar);

impl Ticker {
    pub fn set_message(&self, message: String) {
        self.0.set_message(message);
    }
}

/// The log writer: plain stderr, except that while a bar is drawn each log line is written with
/// the bar lifted off the screen, then the bar is drawn again below it.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match active() {
            Some(bar) => bar.suspend(|| std::io::stderr().write(buf)),
            None => std::io::stderr().write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match active() {
            Some(bar) => bar.suspend(|| std::io::stderr().write_all(buf)),
            None => std::io::stderr().write_all(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> LogWriter {
        LogWriter
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::{Progress, colour, visible};

    fn os(s: &str) -> Option<&OsStr> {
        Some(OsStr::new(s))
    }

    #[test]
    fn a_bar_is_drawn_only_on_a_watching_terminal() {
        assert!(visible(true, false, os("xterm-256color")));
        assert!(
            visible(true, false, None),
            "no TERM at all is not a dumb terminal"
        );
        assert!(!visible(false, false, os("xterm")), "piped stderr");
        assert!(!visible(true, true, os("xterm")), "-q");
        assert!(!visible(true, false, os("dumb")), "TERM=dumb cannot redraw");
        assert!(!visible(false, true, os("dumb")));
    }

    #[test]
    fn colour_follows_no_color_and_the_terminal() {
        assert!(colour(true, None, os("xterm")));
        assert!(!colour(false, None, os("xterm")), "not a terminal");
        assert!(!colour(true, os("1"), os("xterm")), "NO_COLOR=1");
        assert!(
            colour(true, os(""), os("xterm")),
            "an empty NO_COLOR is unset (no-color.org)"
        );
        assert!(!colour(true, None, os("dumb")));
    }

    #[test]
    fn a_hidden_bar_takes_every_call_and_leaves_no_active_bar() {
        // Under `cargo test` stderr may be a terminal, so -q forces the hidden case.
        let p = Progress::start(true, 3, "feeds", "0 new");
        p.advance("1 new".to_string());
        p.advance_by(2, "3 new".to_string());
        assert!(p.bar.is_hidden());
        assert_eq!(p.bar.position(), 3);
        drop(p);
        assert!(super::active().is_none());
    }
}
