//! `warta completions SHELL` and `warta man`: the documentation a shell and `man` read, made
//! from the same clap definition the program parses with, so it cannot drift from the flags.
//!
//! `warta man` prints one page, warta(1), holding the whole command tree: each command gets a
//! section with its synopsis, description, options and examples, for `warta man | man -l -`.
//! `warta man --dir DIR` writes what packagers install into `man1/`: warta.1 plus one page per
//! command, named as git and cargo name theirs (warta-fetch.1, warta-feeds-add.1), so that
//! `man warta-fetch` finds the command directly. Pages carry no date: a rebuild gives the same
//! bytes (reproducible packages).
//!
//! Both are rendered into memory first: clap_complete panics when its writer fails, and a
//! closed pipe (`warta completions bash | head`) must end quietly like every other command.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory};
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

use super::{Cli, output};
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write one page per command (warta.1, warta-fetch.1, …) into this folder instead of
    /// printing one page of the whole command tree.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn completions(args: &CompletionsArgs) -> Result<u8> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "warta", &mut script);
    output(std::io::stdout().lock().write_all(&script))?;
    Ok(0)
}

pub fn man(args: &ManArgs, quiet: bool) -> Result<u8> {
    let root = tree();
    match &args.dir {
        None => {
            let page = whole_page(&root)
                .map_err(|e| Error::failure(format!("cannot render the man page: {e}")))?;
            output(std::io::stdout().lock().write_all(page.as_bytes()))?;
        }
        Some(dir) if dir.as_os_str().is_empty() => {
            return Err(Error::usage(
                "--dir is empty; name the folder to write the man pages into",
            ));
        }
        Some(dir) => {
            let written = write_pages(&root, dir)?;
            if !quiet {
                eprintln!("warta: wrote {written} man pages to {}", dir.display());
            }
        }
    }
    Ok(0)
}

/// The command tree as the pages show it: built (so every command knows its full name) and
/// without clap's `help` subcommand, which is not a command of warta's own.
fn tree() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// The commands below `cmd`, depth first, as `man` lists them.
fn commands(cmd: &clap::Command) -> Vec<&clap::Command> {
    let mut out = Vec::new();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        out.push(sub);
        out.extend(commands(sub));
    }
    out
}

/// `warta fetch` for the command whose page is warta-fetch.
fn full_name(cmd: &clap::Command) -> String {
    cmd.get_bin_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_owned()
}

/// The file stem of a command's own page: warta-feeds-add.
fn page_name(cmd: &clap::Command) -> String {
    full_name(cmd).replace(' ', "-")
}

fn man_for(cmd: &clap::Command) -> Man {
    Man::new(cmd.clone())
        .title(page_name(cmd))
        .source(format!("warta {}", env!("CARGO_PKG_VERSION")))
        .manual("warta manual")
}

/// Collects roff from clap_mangen's section renderers, which each begin with the same preamble
/// (how apostrophes print): kept once, at the top of the page.
struct Page {
    text: String,
    preamble: String,
}

impl Page {
    fn new() -> Page {
        Page {
            text: String::new(),
            preamble: Roff::new().render(),
        }
    }

    fn push(
        &mut self,
        render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut buf = Vec::new();
        render(&mut buf)?;
        let piece = String::from_utf8_lossy(&buf);
        let body = if self.text.is_empty() {
            &piece[..]
        } else {
            piece.strip_prefix(&self.preamble).unwrap_or(&piece)
        };
        self.text.push_str(body);
        Ok(())
    }

    /// A command's sections one level down (`.SS`), below a section of its own.
    fn push_nested(&mut self, heading: &str, sections: &str) {
        let mut roff = Roff::new();
        roff.control("SH", [heading]);
        self.text.push_str(&roff.to_roff());
        let sections = sections.strip_prefix(&self.preamble).unwrap_or(sections);
        for line in sections.lines() {
            // clap_mangen writes headings as `.SH`; text lines never start with a bare `.`
            // (roff escapes them), so only headings change.
            match line.strip_prefix(".SH ") {
                Some(rest) => self.text.push_str(&format!(".SS {rest}\n")),
                None => {
                    self.text.push_str(line);
                    self.text.push('\n');
                }
            }
        }
    }

    fn push_roff(&mut self, roff: &Roff) {
        self.text.push_str(&roff.to_roff());
    }
}

/// Synopsis, description, options and examples of one command.
fn body_sections(page: &mut Page, cmd: &clap::Command) -> std::io::Result<()> {
    let man = man_for(cmd);
    page.push(|w| man.render_synopsis_section(w))?;
    page.push(|w| man.render_description_section(w))?;
    if cmd
        .get_arguments()
        .any(|a| !a.is_hide_set() && !is_help_or_version(a))
    {
        page.push(|w| man.render_options_section(w))?;
    }
    page.push_roff(&examples_section(cmd));
    Ok(())
}

fn is_help_or_version(arg: &clap::Arg) -> bool {
    matches!(arg.get_id().as_str(), "help" | "version")
}

/// The whole tree in one page: warta's own sections, then one section per command.
fn whole_page(root: &clap::Command) -> std::io::Result<String> {
    let man = man_for(root);
    let mut page = Page::new();
    page.push(|w| man.render_title(w))?;
    page.push(|w| man.render_name_section(w))?;
    body_sections(&mut page, root)?;
    let mut overview = Roff::new();
    overview.control("SH", ["COMMANDS"]);
    for cmd in commands(root) {
        overview.control("TP", []);
        overview.text([bold(full_name(cmd))]);
        overview.text([roman(about(cmd))]);
    }
    page.push_roff(&overview);
    for cmd in commands(root) {
        // warta's own OPTIONS above list the global ones once; each command lists its own.
        let own = cmd
            .clone()
            .mut_args(|a| if a.is_global_set() { a.hide(true) } else { a });
        let mut sections = Page::new();
        body_sections(&mut sections, &own)?;
        page.push_nested(&full_name(cmd).to_uppercase(), &sections.text);
    }
    page.push_roff(&closing_sections(root));
    Ok(page.text)
}

/// One command's own page, as installed into `man1/`.
fn command_page(root: &clap::Command, cmd: &clap::Command) -> std::io::Result<String> {
    let man = man_for(cmd);
    let mut page = Page::new();
    page.push(|w| man.render_title(w))?;
    page.push(|w| man.render_name_section(w))?;
    body_sections(&mut page, cmd)?;
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        page.push(|w| man.render_subcommands_section(w))?;
    }
    if std::ptr::eq(root, cmd) {
        page.push_roff(&closing_sections(root));
    }
    page.push_roff(&see_also(root, cmd));
    Ok(page.text)
}

fn write_pages(root: &clap::Command, dir: &Path) -> Result<usize> {
    std::fs::create_dir_all(dir).map_err(|e| {
        Error::failure(format!(
            "cannot create {}: {e}; name a folder you can write to",
            dir.display()
        ))
    })?;
    let mut pages = vec![root];
    pages.extend(commands(root));
    for cmd in &pages {
        let path = dir.join(format!("{}.1", page_name(cmd)));
        let text = command_page(root, cmd)
            .map_err(|e| Error::failure(format!("cannot render {}: {e}", path.display())))?;
        std::fs::write(&path, text).map_err(|e| {
            Error::failure(format!(
                "cannot write {}: {e}; name a folder you can write to",
                path.display()
            ))
        })?;
    }
    Ok(pages.len())
}

fn about(cmd: &clap::Command) -> String {
    cmd.get_about()
        .or_else(|| cmd.get_long_about())
        .map(|a| a.to_string())
        .unwrap_or_default()
}

/// The lines of a command's `Examples:` block (its after_help), as written there.
pub(crate) fn example_lines(cmd: &clap::Command) -> Vec<String> {
    let Some(after) = cmd.get_after_help() else {
        return Vec::new();
    };
    after
        .to_string()
        .split("\n\n")
        .find(|p| p.starts_with("Examples:"))
        .map(|p| {
            p.lines()
                .skip(1)
                .map(|l| l.trim_start().to_string())
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The examples unfilled, so each stays on its own line with its columns.
fn examples_section(cmd: &clap::Command) -> Roff {
    let mut roff = Roff::new();
    let lines = example_lines(cmd);
    if lines.is_empty() {
        return roff;
    }
    roff.control("SH", ["EXAMPLES"]);
    roff.control("nf", []);
    for line in lines {
        roff.text([roman(line)]);
    }
    roff.control("fi", []);
    roff
}

/// The pages installed beside this one: from warta(1) every command's, from a command's page
/// warta(1) and its parent's.
fn see_also(root: &clap::Command, cmd: &clap::Command) -> Roff {
    let refs: Vec<String> = if std::ptr::eq(root, cmd) {
        commands(root)
            .iter()
            .map(|c| format!("{}(1)", page_name(c)))
            .collect()
    } else {
        let mut refs = vec![format!("{}(1)", page_name(root))];
        if let Some((parent, _)) = full_name(cmd).rsplit_once(' ')
            && parent != full_name(root)
        {
            refs.push(format!("{}(1)", parent.replace(' ', "-")));
        }
        refs
    };
    let mut roff = Roff::new();
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman(refs.join(", "))]);
    roff
}

/// What closes warta's own page: the other paragraphs of its help, the environment and the
/// exit status.
fn closing_sections(root: &clap::Command) -> Roff {
    let mut roff = Roff::new();
    if let Some(after) = root.get_after_help() {
        let notes: Vec<String> = after
            .to_string()
            .split("\n\n")
            .filter(|p| !p.starts_with("Examples:"))
            .map(str::to_string)
            .collect();
        if !notes.is_empty() {
            roff.control("SH", ["FILES"]);
            for note in notes {
                roff.text([roman(note)]);
            }
        }
    }
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, what) in [
        (
            "WARTA_CONFIG",
            "The configuration file when --config is not given (default ./feeds.toml).",
        ),
        (
            "WARTA_LOG",
            "A log filter (tracing EnvFilter syntax, e.g. warta=debug) overriding -v and -q.",
        ),
        (
            "NO_COLOR",
            "When set and not empty, no colour is written, not even on a terminal.",
        ),
        (
            "TERM",
            "dumb turns off progress bars and colour, for terminals that cannot redraw.",
        ),
    ] {
        roff.control("TP", []);
        roff.text([bold(name)]);
        roff.text([roman(what)]);
    }
    roff.control("SH", ["EXIT STATUS"]);
    for (code, what) in [
        ("0", "Done (a search with no hits is done)."),
        (
            "1",
            "Ran, but something failed: a feed could not be polled, the database is unusable.",
        ),
        (
            "2",
            "Usage error: bad flag, bad config, bad query, unknown feed or id.",
        ),
    ] {
        roff.control("TP", []);
        roff.text([bold(code)]);
        roff.text([roman(what)]);
    }
    roff
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::{Cli, command_page, commands, example_lines, full_name, tree, whole_page};
    use crate::cli::search::reorder_args;

    /// Splits an example as a POSIX shell would split these simple lines: words, '…' and "…",
    /// up to a redirection or pipe, which is the shell's business, not warta's.
    fn shell_words(line: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut word = String::new();
        let mut in_word = false;
        let mut quote: Option<char> = None;
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), c) => word.push(c),
                (None, '\'' | '"') => {
                    quote = Some(c);
                    in_word = true;
                }
                (None, '>' | '|') => break,
                (None, c) if c.is_whitespace() => {
                    if in_word {
                        words.push(std::mem::take(&mut word));
                        in_word = false;
                    }
                }
                (None, c) => {
                    word.push(c);
                    in_word = true;
                }
            }
        }
        if in_word {
            words.push(word);
        }
        words
    }

    /// The invocation of an example line: what stands before a run of two spaces, which starts
    /// the explanation column.
    fn invocation(line: &str) -> &str {
        line.split("  ").next().unwrap_or(line).trim()
    }

    #[test]
    fn shell_words_split_like_a_shell() {
        assert_eq!(
            shell_words("warta search 'banjir samarinda' --since 7d"),
            ["warta", "search", "banjir samarinda", "--since", "7d"]
        );
        assert_eq!(
            shell_words("warta export-opml > feeds.opml"),
            ["warta", "export-opml"]
        );
        assert_eq!(
            shell_words("warta search \"\" -x | head"),
            ["warta", "search", "", "-x"]
        );
        assert_eq!(
            invocation("warta fetch                 poll every feed"),
            "warta fetch"
        );
    }

    #[test]
    fn every_command_has_two_to_four_examples_that_parse() {
        let root = tree();
        let mut all = vec![&root];
        all.extend(commands(&root));
        for cmd in all {
            let lines = example_lines(cmd);
            let name = full_name(cmd);
            assert!(
                (2..=4).contains(&lines.len()),
                "{name}: {} examples, want 2 to 4: {lines:?}",
                lines.len()
            );
            for line in &lines {
                let words = shell_words(invocation(line));
                let args = reorder_args(words.iter().map(Into::into).collect());
                let matches = match Cli::command().try_get_matches_from(args) {
                    Ok(m) => m,
                    Err(e) => panic!("{name}: example {line:?} does not parse:\n{e}"),
                };
                // A command's examples run that command (or one of its own subcommands).
                let mut path = vec!["warta".to_string()];
                let mut at = &matches;
                while let Some((sub, m)) = at.subcommand() {
                    path.push(sub.to_string());
                    at = m;
                }
                let own: Vec<String> = name.split(' ').map(str::to_string).collect();
                assert!(
                    path.starts_with(&own),
                    "{name}: example {line:?} runs {}",
                    path.join(" ")
                );
            }
        }
    }

    #[test]
    fn the_whole_page_has_a_section_per_command_and_no_help_command() {
        let page = whole_page(&tree()).expect("render");
        assert!(page.starts_with(".ie"), "one preamble, first: {page:.80}");
        assert_eq!(page.matches(".ds Aq").count(), 2, "preamble repeated");
        assert!(page.contains(".TH warta 1"), "{page:.300}");
        for heading in [
            ".SH \"WARTA FETCH\"",
            ".SH \"WARTA FEEDS ADD\"",
            ".SH \"WARTA SEARCH\"",
            ".SH COMMANDS",
            ".SH ENVIRONMENT",
            ".SH \"EXIT STATUS\"",
        ] {
            assert!(page.contains(heading), "missing {heading}");
        }
        assert!(page.contains(".SS OPTIONS"), "nested option sections");
        assert!(
            !page.contains("warta help"),
            "clap's help command is no page"
        );
        // Examples keep their lines: they sit in a no-fill block.
        assert!(page.contains(".nf\nwarta fetch"), "examples unfilled");
        assert!(!page.contains('\u{1b}'), "no escape sequences in roff");
    }

    #[test]
    fn a_command_page_names_itself_and_points_home() {
        let root = tree();
        let fetch = commands(&root)
            .into_iter()
            .find(|c| c.get_name() == "fetch")
            .expect("fetch command");
        let page = command_page(&root, fetch).expect("render");
        assert!(page.contains(".TH warta-fetch 1"), "{page:.300}");
        assert!(
            page.contains("warta fetch"),
            "synopsis names the full command"
        );
        assert!(page.contains(".SH \"SEE ALSO\"\nwarta(1)"), "{page}");
        assert!(page.contains("\\-\\-force"), "options rendered");
        let add = commands(&root)
            .into_iter()
            .find(|c| full_name(c) == "warta feeds add")
            .expect("feeds add command");
        let page = command_page(&root, add).expect("render");
        assert!(page.contains("warta(1), warta\\-feeds(1)"), "{page}");
    }
}
