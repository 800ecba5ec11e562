//! The command line: flags parsed once into typed values, one file per command, output only
//! through `render`. Logs go to stderr; stdout carries results alone, so they can be piped.

mod docs;
mod doctor;
mod export;
mod extract;
mod feeds_io;
mod fetch;
mod import;
mod info;
mod maintenance;
mod migrate;
mod progress;
mod reextract;
mod render;
mod search;
mod watch;

use std::path::PathBuf;
use std::sync::Arc;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::config::{Config, LogFormat};
use crate::error::{Error, Result};

#[derive(Debug, Parser)]
#[command(
    name = "warta",
    version,
    about = "Archives regional news: polls feeds, extracts full articles, recognises duplicates, searches the archive.",
    after_help = "Examples:\n  warta fetch                       poll every enabled feed once\n  warta daemon                      keep polling on each feed's schedule\n  warta search 'banjir samarinda' --since 7d\n  warta show 42 --format json\n\nConfiguration: --config PATH, else $WARTA_CONFIG, else ./feeds.toml."
)]
pub struct Cli {
    /// The configuration file (default: $WARTA_CONFIG, else ./feeds.toml).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// The archive database (overrides [archive] path).
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    /// More logging on stderr (-v info, -vv debug, -vvv trace). WARTA_LOG, a tracing filter
    /// such as warta=debug or warta::fetch=trace,warta=info, overrides -v and -q.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Less logging (-q errors only, -qq nothing).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    quiet: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Poll every enabled feed now, then on each feed's schedule, until SIGINT or SIGTERM;
    /// SIGHUP (or a change to the file) re-reads the config.
    Daemon(DaemonArgs),
    /// One pass over the named feeds (all enabled feeds when none is named).
    #[command(
        after_help = "Examples:\n  warta fetch                                 poll every enabled feed once\n  warta fetch antara-kaltim prokal            only these feeds\n  warta fetch --force antara-kaltim           even if gone or asked to wait\n  warta -v fetch                              one log line per page (url, outcome, ms)\n\nOn a terminal a bar counts feeds, pages and new articles (-q: no bar, errors only). Ctrl-C or SIGTERM stops the pass within seconds, keeping every article already fetched, and exits 1; the next fetch takes up the rest."
    )]
    Fetch {
        /// Feed names from the config.
        feeds: Vec<String>,
        /// Poll feeds that are gone and hosts that asked us to wait (Retry-After) anyway.
        #[arg(long)]
        force: bool,
    },
    /// Full-text search of the archive; with no words, the newest stories (`warta latest`).
    #[command(
        long_about = search::LONG_ABOUT,
        visible_alias = "latest",
        after_help = "Examples:\n  warta search 'banjir samarinda' --since 7d\n  warta search banjir -tol --region 'Kalimantan Timur'\n  warta search '\"ibu kota nusantara\"' --sort newest --format json\n  warta latest --since 1d                     the newest stories (search, no words)"
    )]
    Search(search::SearchArgs),
    /// One archived article with its metadata, body and every other copy of the story.
    #[command(
        after_help = "Examples:\n  warta show 42\n  warta show 42 --format json\n  warta show 42 --versions                    with the texts before each revision"
    )]
    Show {
        /// The article id (from `warta search`).
        id: String,
        #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
        format: ShowFormat,
        /// Also print the earlier texts of an article the publisher revised.
        #[arg(long)]
        versions: bool,
    },
    /// The configured feeds with their state; `feeds add` adds one.
    #[command(
        args_conflicts_with_subcommands = true,
        after_help = "Examples:\n  warta feeds\n  warta feeds --format json\n  warta feeds add https://prokal.co/          find the site's feed and add it"
    )]
    Feeds {
        #[arg(long, value_enum, default_value_t = TableFormat::Table)]
        format: TableFormat,
        #[command(subcommand)]
        action: Option<feeds_io::FeedsAction>,
    },
    /// The archive as web pages and a JSON API (/api/…), read-only, beside the daemon too.
    #[command(
        after_help = "Examples:\n  warta serve                                 http://127.0.0.1:8080/\n  warta serve --listen 127.0.0.1:9000\n  warta serve --listen 0.0.0.0:8080           with [serve] token_env set\n\nAnywhere but loopback needs a token ([serve] token_env = \"WARTA_SERVE_TOKEN\", the variable holding it): requests carry it as Authorization: Bearer TOKEN, or log in once in the browser."
    )]
    Serve {
        /// Address and port to listen on (else [serve] listen, else 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Saved searches that tell you when a story breaks: add, list, remove, test.
    #[command(
        after_help = "Examples:\n  warta watch add bimtek 'bimtek kutim' --notify https://hooks.example.org/x\n  warta watch list\n  warta watch test bimtek --since 30d\n  warta watch remove bimtek"
    )]
    Watch {
        #[command(subcommand)]
        action: watch::WatchAction,
    },
    /// Load articles from warta JSONL exports and WARC files, without polling.
    #[command(
        after_help = "Examples:\n  warta import archive.jsonl                  a `warta export --format jsonl` file\n  warta import CC-NEWS-*.warc.gz              crawled pages: extracted, deduplicated\n  warta import --feed kaltim-crawl pages.warc  WARC pages under this feed name\n  warta -v import archive.jsonl.gz            one log line per record\n\nA re-run skips what is stored; Ctrl-C keeps every article already written."
    )]
    Import(import::ImportArgs),
    /// Copy the archive between SQLite and PostgreSQL, verified, resumable.
    #[command(
        after_help = "Examples:\n  warta migrate --from sqlite:data/archive.db --to postgres://warta@db.example/warta\n  warta migrate --from postgres://warta@db.example/warta --to sqlite:copy.db\n  warta -q migrate --from data/archive.db --to postgres://warta@localhost/warta\n\nThe password comes from PGPASSWORD (or [archive] password_file). Stop every daemon writing the source first. A stopped migration goes on from where it was when run again; at the end every table's row count and checksum are compared on both sides."
    )]
    Migrate(migrate::MigrateArgs),
    /// Add the feeds of an OPML file to the config file, keeping its comments and layout.
    ImportOpml(feeds_io::ImportArgs),
    /// Write the configured feeds as an OPML 2.0 subscription list.
    ExportOpml(feeds_io::ExportArgs),
    /// Archive totals.
    #[command(after_help = "Examples:\n  warta stats\n  warta stats --format json")]
    Stats {
        #[arg(long, value_enum, default_value_t = TableFormat::Table)]
        format: TableFormat,
    },
    /// Run the extractor on saved pages (or standard input) without touching the archive.
    #[command(
        after_help = "Examples:\n  warta extract page.html --url https://kaltim.antaranews.com/berita/1\n  warta extract saved/*.html.gz --format ndjson\n  warta extract --format json < page.html"
    )]
    Extract(extract::ExtractArgs),
    /// Run the current extractor again over the archived raw HTML.
    #[command(
        after_help = "Examples:\n  warta reextract\n  warta reextract --feed antara-kaltim --feed prokal"
    )]
    Reextract {
        /// Only this feed's articles (repeatable).
        #[arg(long = "feed", value_name = "NAME")]
        feeds: Vec<String>,
    },
    /// Stream the archive out: articles as jsonl or csv, raw pages as WARC.
    #[command(
        after_help = "Examples:\n  warta export --format jsonl -o archive.jsonl\n  warta export --format csv --since 2024-05-01 --until 2024-05-31 --feed tribun-kaltim\n  warta export --format warc -o pages.warc.gz"
    )]
    Export(export::ExportArgs),
    /// Check the setup: config, archive integrity, disk, each feed (and with --network, fetch them now).
    Doctor(doctor::DoctorArgs),
    /// Optimise the archive in place (search index, statistics, write-ahead log); safe while the daemon runs.
    #[command(visible_alias = "maintenance")]
    Vacuum(maintenance::VacuumArgs),
    /// Write a consistent, checked copy of the archive, also while the daemon runs.
    Backup(maintenance::BackupArgs),
    /// Print a completion script for a shell.
    #[command(
        after_help = "Examples:\n  warta completions bash > ~/.local/share/bash-completion/completions/warta\n  warta completions zsh > ~/.zfunc/_warta\n  warta completions fish > ~/.config/fish/completions/warta.fish"
    )]
    Completions(docs::CompletionsArgs),
    /// Print the manual page (roff), or write one page per command into a folder.
    #[command(
        after_help = "Examples:\n  warta man | man -l -                        read it now\n  warta man --dir man1                        warta.1, warta-fetch.1, … for packaging"
    )]
    Man(docs::ManArgs),
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  warta daemon --listen 127.0.0.1:9187     serve /healthz and /metrics\n  warta daemon --log-format json           one JSON object per log line"
)]
struct DaemonArgs {
    /// Log lines for people (human) or for log collectors (json, one object per line);
    /// default: [daemon] log_format, else human.
    #[arg(long, value_enum, value_name = "FORMAT")]
    log_format: Option<LogFormatArg>,
    /// Serve GET /healthz and /metrics on this address and port (overrides [daemon] listen).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormatArg {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ShowFormat {
    Text,
    Json,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TableFormat {
    Table,
    Json,
}

/// Runs the command line and returns the exit status.
pub fn main() -> u8 {
    let args = search::reorder_args(std::env::args_os().collect());
    let parsed = Cli::command()
        .color(progress::clap_colour())
        .try_get_matches_from(args)
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            // --help and --version are not errors; clap knows which is which.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let json = init_logging(&cli);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if json {
                // Keep stderr all JSON for the log collector reading it.
                tracing::error!(error = %e, "warta stopped");
            } else {
                eprintln!("warta: {e}");
            }
            e.exit_code() as u8
        }
    }
}

/// The daemon's log format: the flag, else the config's `[daemon] log_format` (a config
/// that cannot be read is reported by the command itself), else human.
fn log_format(cli: &Cli) -> LogFormat {
    let Command::Daemon(args) = &cli.command else {
        return LogFormat::Human;
    };
    match args.log_format {
        Some(LogFormatArg::Json) => LogFormat::Json,
        Some(LogFormatArg::Human) => LogFormat::Human,
        None => {
            let ctx = Context {
                config_flag: cli.config.clone(),
                db_flag: None,
                quiet: true,
            };
            ctx.config()
                .ok()
                .and_then(|c| c.daemon.log_format)
                .unwrap_or(LogFormat::Human)
        }
    }
}

/// Sets up logging; returns whether log lines are JSON.
fn init_logging(cli: &Cli) -> bool {
    let default = match (cli.verbose, cli.quiet, &cli.command) {
        (_, q, _) if q >= 2 => "off",
        (_, 1, _) => "error",
        (0, _, Command::Daemon(_)) => "warta=info",
        (0, _, _) => "warta=warn",
        (1, _, _) => "warta=info",
        (2, _, _) => "warta=debug",
        _ => "warta=trace",
    };
    let filter = std::env::var("WARTA_LOG")
        .ok()
        .and_then(|s| tracing_subscriber::EnvFilter::try_new(s).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new(default));
    if log_format(cli) == LogFormat::Json {
        // Flattened: `message`, `feed`, `status`, `new`… sit beside `timestamp` and `level`.
        let _ = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_target(false)
            .try_init();
        return true;
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(progress::LogWriter)
        .with_ansi(progress::stderr_colour())
        .with_target(false)
        .try_init();
    false
}

fn run(cli: Cli) -> Result<u8> {
    let ctx = Context {
        config_flag: cli.config.clone(),
        db_flag: cli.db.clone(),
        quiet: cli.quiet > 0,
    };
    match cli.command {
        Command::Daemon(args) => {
            let listen = match &args.listen {
                Some(a) => Some(
                    crate::config::parse_listen(a)
                        .map_err(|e| Error::usage(e.replacen("daemon.listen", "--listen", 1)))?,
                ),
                None => None,
            };
            let config = ctx.config()?;
            let rt = runtime()?;
            let result = rt.block_on(crate::daemon::run(
                Arc::new(config),
                ctx.db_flag.clone(),
                crate::daemon::Options { listen },
            ));
            // A database write still waiting for a lock must not hold the exit past the
            // contract's 10 s; its transaction either committed or never will.
            rt.shutdown_timeout(std::time::Duration::from_secs(2));
            result?;
            Ok(0)
        }
        Command::Fetch { feeds, force } => fetch::run(&ctx, &feeds, force),
        Command::Search(args) => search::run(&ctx, &args),
        Command::Show {
            id,
            format,
            versions,
        } => info::show(&ctx, &id, format, versions),
        Command::Feeds {
            format,
            action: None,
        } => info::feeds(&ctx, format),
        Command::Feeds {
            action: Some(action),
            ..
        } => feeds_io::feeds_action(&ctx, &action),
        Command::Watch { action } => watch::run(&ctx, &action),
        Command::Serve { listen } => {
            let config = ctx.config()?;
            let listen = match &listen {
                Some(a) => crate::config::parse_listen(a)
                    .map_err(|e| Error::usage(e.replacen("daemon.listen", "--listen", 1)))?,
                None => config.serve.listen,
            };
            let db = ctx.db_path(Some(&config))?;
            runtime()?.block_on(crate::serve::run(Arc::new(config), db, listen))?;
            Ok(0)
        }
        Command::Import(args) => import::run(&ctx, &args),
        Command::Migrate(args) => migrate::run(&ctx, &args),
        Command::ImportOpml(args) => feeds_io::import(&ctx, &args),
        Command::ExportOpml(args) => feeds_io::export(&ctx, &args),
        Command::Stats { format } => info::stats(&ctx, format),
        Command::Extract(args) => extract::run(&ctx, &args),
        Command::Reextract { feeds } => reextract::run(&ctx, &feeds),
        Command::Export(args) => export::run(&ctx, &args),
        Command::Doctor(args) => doctor::run(&ctx, &args),
        Command::Vacuum(args) => maintenance::vacuum(&ctx, &args),
        Command::Backup(args) => maintenance::backup(&ctx, &args),
        Command::Completions(args) => docs::completions(&args),
        Command::Man(args) => docs::man(&args, ctx.quiet),
    }
}

/// What every command may need, loaded on demand.
pub(crate) struct Context {
    config_flag: Option<PathBuf>,
    db_flag: Option<PathBuf>,
    quiet: bool,
}

impl Context {
    fn config_path(&self) -> (PathBuf, bool) {
        if let Some(p) = &self.config_flag {
            return (p.clone(), true);
        }
        match std::env::var_os("WARTA_CONFIG") {
            Some(p) if !p.is_empty() => (PathBuf::from(p), true),
            _ => (PathBuf::from("feeds.toml"), false),
        }
    }

    fn config(&self) -> Result<Config> {
        let (path, _) = self.config_path();
        Config::load(&path).map_err(|e| Error::usage(e.to_string()))
    }

    /// The config when one is named or present; `None` when there is none to read.
    fn optional_config(&self) -> Result<Option<Config>> {
        let (path, explicit) = self.config_path();
        if !explicit && !path.exists() {
            return Ok(None);
        }
        self.config().map(Some)
    }

    /// The archive path: --db, else the config's.
    fn db_path(&self, config: Option<&Config>) -> Result<PathBuf> {
        let db = self
            .db_flag
            .clone()
            .or_else(|| config.map(|c| c.archive.path.clone()));
        if let (Some(db), Some(c)) = (&db, config) {
            crate::store::use_password(db, c.archive.password.as_ref()).map_err(Error::usage)?;
        }
        if let Some(p) = db {
            return Ok(p);
        }
        match config {
            Some(c) => Ok(c.archive.path.clone()),
            None => {
                let (path, _) = self.config_path();
                Err(Error::usage(format!(
                    "no config file at {} to find the archive; pass --config PATH or --db PATH",
                    path.display()
                )))
            }
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::failure(format!("cannot start the async runtime: {e}")))
}

/// Writing to a closed pipe (`warta search … | head`) is the reader's choice, not an error.
fn output(result: std::io::Result<()>) -> Result<()> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::failure(format!("cannot write the output: {e}"))),
    }
}
