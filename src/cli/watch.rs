//! `warta watch`: saved searches kept as `[[watch]]` tables in feeds.toml, edited with the
//! care `feeds add` takes (the rest of the file kept byte for byte, the result loaded before
//! it replaces the file).

use std::io::Write;

use chrono::Utc;
use clap::{Args, Subcommand};

use super::feeds_io::{read_config, save_text};
use super::{Context, TableFormat, output, render};
use crate::config::{NewWatch, WatchConfig, append_watch, remove_watch};
use crate::error::{Error, Result};
use crate::search::{self, Filters};
use crate::store::{AlertSummary, OpenMode, SortOrder, Store};

#[derive(Debug, Subcommand)]
pub enum WatchAction {
    /// Add a watch: a saved search (the full query syntax) and where its alerts go.
    #[command(
        after_help = "Examples:\n  warta watch add bimtek 'bimtek kutim'\n  warta watch add banjir 'banjir samarinda' --region Kaltim\n  warta watch add dprd 'dprd kutim' --notify ntfy:https://ntfy.sh/kutim\n  warta watch add pilkada 'pilkada kutim' --notify mailto:desk@example.org --digest 'daily 07:00'"
    )]
    Add(AddArgs),
    /// The configured watches, with their alerts: sent, waiting, failed and why.
    #[command(after_help = "Examples:\n  warta watch list\n  warta watch list --format json")]
    List {
        #[arg(long, value_enum, default_value_t = TableFormat::Table)]
        format: TableFormat,
    },
    /// A watch's latest hits: one a story, the article that fired it, newest first.
    #[command(
        after_help = "Examples:\n  warta watch show bimtek\n  warta watch show bimtek --limit 50 --format json"
    )]
    Show {
        /// The watch's name.
        name: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long, value_enum, default_value_t = TableFormat::Table)]
        format: TableFormat,
    },
    /// Remove a watch from the config file.
    #[command(
        after_help = "Examples:\n  warta watch remove bimtek\n  warta --config /etc/warta/feeds.toml watch remove banjir"
    )]
    Remove {
        /// The watch's name.
        name: String,
    },
    /// Run a watch's query over the archive, as `warta search` would; sends nothing.
    #[command(
        after_help = "Examples:\n  warta watch test bimtek\n  warta watch test bimtek --since 7d --format json"
    )]
    Test(TestArgs),
    /// A watch's stories of a period as Markdown, as its digest sends them.
    #[command(
        after_help = "Examples:\n  warta watch digest bimtek\n  warta watch digest bimtek --since 7d > bimtek.md"
    )]
    Digest {
        /// The watch's name.
        name: String,
        /// From this date: YYYY-MM-DD, an RFC 3339 time, or a span back from now (1d, 12h).
        #[arg(
            long,
            value_name = "DATE",
            default_value = "1d",
            allow_hyphen_values = true
        )]
        since: String,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Its name: lower-case letters a-z, digits and '-'.
    name: String,
    /// What to look for, in the search syntax (`warta search --help`).
    query: String,
    /// Only articles seen in this feed (repeatable).
    #[arg(long = "feed", value_name = "NAME")]
    feeds: Vec<String>,
    /// Only articles from feeds of this region.
    #[arg(long)]
    region: Option<String>,
    /// Only articles from feeds with this tag (repeatable; any of them).
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Where alerts go (repeatable): an https:// webhook, ntfy:https://host/topic,
    /// mailto:address or telegram:CHAT_ID.
    #[arg(long = "notify", value_name = "TARGET")]
    notify: Vec<String>,
    /// One message a day listing the day's stories instead of one a story: "daily 07:00"
    /// (in the display time zone).
    #[arg(long, value_name = "WHEN")]
    digest: Option<String>,
    /// Also keep an Atom feed file of the watch's stories, for any feed reader.
    #[arg(long, value_name = "FILE")]
    atom: Option<String>,
    /// A revised article of a story already alerted alerts again.
    #[arg(long)]
    on_revision: bool,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// The watch's name.
    name: String,
    /// From this date: YYYY-MM-DD, an RFC 3339 time, or a span back from now (7d, 12h).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    since: Option<String>,
    #[arg(long, default_value_t = 20)]
    limit: usize,
    #[arg(long, value_enum, default_value_t = render::ListFormat::Table)]
    format: render::ListFormat,
}

pub fn run(ctx: &Context, action: &WatchAction) -> Result<u8> {
    match action {
        WatchAction::Add(args) => add(ctx, args),
        WatchAction::List { format } => list(ctx, *format),
        WatchAction::Remove { name } => remove(ctx, name),
        WatchAction::Show {
            name,
            limit,
            format,
        } => show(ctx, name, *limit, *format),
        WatchAction::Test(args) => test(ctx, args),
        WatchAction::Digest { name, since } => digest(ctx, name, since),
    }
}

fn add(ctx: &Context, args: &AddArgs) -> Result<u8> {
    let (path, original, existed) = read_config(ctx)?;
    let new = NewWatch {
        name: args.name.clone(),
        query: args.query.clone(),
        feeds: args.feeds.clone(),
        region: args.region.clone(),
        tags: args.tags.clone(),
        notify: args.notify.clone(),
        digest: args.digest.clone(),
        atom: args.atom.clone(),
        on_revision: args.on_revision,
    };
    let (text, _) =
        append_watch(&original, &path, &new).map_err(|e| Error::usage(e.to_string()))?;
    save_text(&path, &original, existed, &text)?;
    output(writeln!(
        std::io::stdout(),
        "{} ({}) added to {}",
        args.name,
        args.query,
        path.display()
    ))?;
    Ok(0)
}

fn remove(ctx: &Context, name: &str) -> Result<u8> {
    let (path, original, existed) = read_config(ctx)?;
    if !existed {
        return Err(Error::usage(format!(
            "no config file at {}; there are no watches to remove",
            path.display()
        )));
    }
    let (text, _) =
        remove_watch(&original, &path, name).map_err(|e| Error::usage(e.to_string()))?;
    save_text(&path, &original, existed, &text)?;
    output(writeln!(
        std::io::stdout(),
        "{name} removed from {}",
        path.display()
    ))?;
    Ok(0)
}

/// One watch as `watch list --format json` prints it.
#[derive(serde::Serialize)]
struct Listed<'a> {
    name: &'a str,
    query: &'a str,
    feeds: Vec<&'a str>,
    region: Option<&'a str>,
    tags: &'a [String],
    notify: Vec<String>,
    digest: Option<String>,
    atom: Option<String>,
    on_revision: bool,
    /// Its alerts so far (none before the archive exists).
    alerts: AlertSummary,
}

impl<'a> From<&'a WatchConfig> for Listed<'a> {
    fn from(w: &'a WatchConfig) -> Self {
        Listed {
            name: w.name.as_str(),
            query: &w.query,
            feeds: w.feeds.iter().map(|f| f.as_str()).collect(),
            region: w.region.as_deref(),
            tags: &w.tags,
            notify: w.notify.iter().map(ToString::to_string).collect(),
            digest: w.digest.map(|d| d.to_string()),
            atom: w.atom.as_ref().map(|p| p.display().to_string()),
            on_revision: w.on_revision,
            alerts: AlertSummary::default(),
        }
    }
}

fn list(ctx: &Context, format: TableFormat) -> Result<u8> {
    let config = ctx.config()?;
    let mut listed: Vec<Listed> = config.watches.iter().map(Listed::from).collect();
    let db = ctx.db_path(Some(&config))?;
    // Before the first fetch there is no archive, and no alert.
    if db.exists() {
        let store = Store::open_with(&db, OpenMode::Read)?;
        for s in store.alert_summaries()? {
            if let Some(l) = listed.iter_mut().find(|l| l.name == s.watch) {
                l.alerts = s;
            }
        }
    }
    let mut out = std::io::stdout().lock();
    match format {
        TableFormat::Json => output(json(&mut out, &listed))?,
        TableFormat::Table => {
            if listed.is_empty() {
                eprintln!(
                    "warta: no watches in {}; `warta watch add NAME 'QUERY'` adds one",
                    config.file.display()
                );
            }
            for w in &listed {
                let mut line = format!("{}  {}", w.name, w.query);
                if !w.feeds.is_empty() {
                    line.push_str(&format!("  feeds: {}", w.feeds.join(", ")));
                }
                if let Some(r) = w.region {
                    line.push_str(&format!("  region: {r}"));
                }
                if !w.tags.is_empty() {
                    line.push_str(&format!("  tags: {}", w.tags.join(", ")));
                }
                match w.notify.len() {
                    0 => line.push_str("  (no targets)"),
                    _ => line.push_str(&format!("  → {}", w.notify.join(", "))),
                }
                if let Some(d) = &w.digest {
                    line.push_str(&format!("  {d}"));
                }
                output(writeln!(out, "{line}"))?;
                let a = &w.alerts;
                if a.sent + a.waiting + a.failed > 0 {
                    let mut state = format!("    alerts: {} sent", a.sent);
                    if a.waiting > 0 {
                        state.push_str(&format!(", {} waiting", a.waiting));
                    }
                    if a.retrying > 0 {
                        state.push_str(&format!(" ({} being retried)", a.retrying));
                    }
                    if a.failed > 0 {
                        state.push_str(&format!(", {} given up", a.failed));
                    }
                    if let Some(e) = &a.last_error {
                        state.push_str(&format!("; last error: {e}"));
                    }
                    output(writeln!(out, "{state}"))?;
                }
            }
        }
    }
    Ok(0)
}

/// `value` as indented JSON and a newline.
fn json(out: &mut impl Write, value: &impl serde::Serialize) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(std::io::Error::from)?;
    writeln!(out)
}

/// The configured watch named `name`.
fn named<'a>(config: &'a crate::config::Config, name: &str) -> Result<&'a WatchConfig> {
    config
        .watches
        .iter()
        .find(|w| w.name.as_str() == name)
        .ok_or_else(|| {
            Error::usage(format!(
                "no watch named {name:?} in {}; `warta watch list` lists them",
                config.file.display()
            ))
        })
}

/// What the watch found as articles arrived, newest first.
fn show(ctx: &Context, name: &str, limit: usize, format: TableFormat) -> Result<u8> {
    let config = ctx.config()?;
    let watch = named(&config, name)?;
    let db = ctx.db_path(Some(&config))?;
    let store = Store::open_with(&db, OpenMode::Read)?;
    let hits = store.watch_hits(watch.name.as_str(), limit)?;
    let mut out = std::io::stdout().lock();
    match format {
        TableFormat::Json => output(json(&mut out, &hits))?,
        TableFormat::Table => {
            if hits.is_empty() {
                eprintln!(
                    "warta: {name} has found nothing yet; it looks at articles archived from now on (`warta watch test {name}` searches the archive)"
                );
            }
            let zone = crate::zone::Zone::resolve(Some(&config));
            for h in &hits {
                output(writeln!(
                    out,
                    "{}  {}  [{}]  {} ({})\n    {}",
                    zone.time(&h.at),
                    h.title,
                    h.feed,
                    crate::text::counted(h.copies, "copy"),
                    h.id,
                    h.url
                ))?;
            }
        }
    }
    Ok(0)
}

/// The watch's query and filters over the archive, one row per story, newest first.
fn test(ctx: &Context, args: &TestArgs) -> Result<u8> {
    let config = ctx.config()?;
    let watch = named(&config, &args.name)?;
    let db = ctx.db_path(Some(&config))?;
    let store = Store::open_with(&db, OpenMode::Read)?;
    let filters = Filters {
        feeds: watch.feeds.iter().map(ToString::to_string).collect(),
        region: watch.region.clone(),
        tags: watch.tags.clone(),
        since: args.since.clone(),
        limit: args.limit,
        sort: SortOrder::Newest,
        ..Filters::default()
    };
    let aliases = search::aliases::Aliases::new(&config.aliases);
    let prefix_words = |prefix: &str| {
        store
            .prefix_words(prefix)
            .map(|found| found.words)
            .unwrap_or_default()
    };
    let (request, highlighter) =
        search::build_request(&watch.query, &filters, &aliases, &prefix_words, Utc::now())
            .map_err(|e| Error::usage(format!("watch {}: {e}", watch.name)))?;
    let hits = store.search(&request, &|body| highlighter.snippet(body))?;
    super::search::print_hits(&hits, args.format, Some(&config))?;
    Ok(0)
}

/// The watch's stories from `since` until now as its digest would list them (Markdown).
fn digest(ctx: &Context, name: &str, since: &str) -> Result<u8> {
    let config = ctx.config()?;
    let watch = named(&config, name)?;
    let db = ctx.db_path(Some(&config))?;
    let store = Store::open_with(&db, OpenMode::Read)?;
    let now = Utc::now();
    let from = search::when::parse_when(since, search::when::Bound::Since, now)
        .map_err(|e| Error::usage(format!("--since: {e}")))?;
    // Times are kept to the second: what was found in this very second counts too.
    let until = now + chrono::Duration::seconds(1);
    let (since, until) = (crate::model::rfc3339(&from), crate::model::rfc3339(&until));
    let entries = crate::watch::digest_entries(
        &store,
        watch.name.as_str(),
        &watch.query,
        &config.aliases,
        (&since, &until),
    )
    .map_err(Error::failure)?;
    let zone = crate::zone::Zone::resolve(Some(&config));
    let text = crate::watch::message::digest_markdown(
        watch.name.as_str(),
        (&since, &until),
        &entries,
        &zone,
    );
    output(write!(std::io::stdout().lock(), "{text}"))?;
    Ok(0)
}
