//! Feeds in and out of feeds.toml: `import-opml`, `export-opml` and `feeds add`.
//!
//! The pure parts live elsewhere (`opml` reads and writes the format, `discover` finds a
//! site's feed, `config::append_feeds` edits the file's text); this module reads and writes
//! the files, makes the requests, and reports. A config file is only ever replaced whole,
//! by a temporary file in the same folder renamed over it, after the new text has loaded.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::Utc;
use clap::{Args, Subcommand};
use url::Url;

use super::{Context, output, runtime};
use crate::config::{Appended, Config, NewFeed, Outcome, append_feeds, url_key};
use crate::discover::{self, Sniffed};
use crate::error::{Error, Result};
use crate::fetch::{Fetched, Fetcher, Purpose};
use crate::model::FeedName;
use crate::opml::{self, OpmlFeed};
use crate::store::SiteWay;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  warta import-opml subscriptions.opml --dry-run\n  warta import-opml subscriptions.opml"
)]
pub struct ImportArgs {
    /// The OPML file (an export of another feed reader, or of `warta export-opml`).
    file: PathBuf,
    /// Print the TOML that would be appended, and change nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  warta export-opml > feeds.opml\n  warta export-opml -o feeds.opml"
)]
pub struct ExportArgs {
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum FeedsAction {
    /// Add a feed, given its address or the address of a page of its site.
    #[command(
        after_help = "Examples:\n  warta feeds add https://kaltim.antaranews.com/rss/terkini.xml\n  warta feeds add https://prokal.co/ --region 'Kalimantan Timur' --tag kaltim\n  warta feeds add https://example.org/ --name example --dry-run"
    )]
    Add(AddArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The feed's URL, or a page of the site (its feed is then discovered).
    url: String,
    /// The feed's name ([a-z0-9-]+); by default made from the feed's title.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// A tag (repeatable).
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Print the TOML that would be appended, and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Write the [[site]] proposed for a site without a feed (without it, the proposal is
    /// only printed).
    #[arg(long)]
    yes: bool,
}

impl AddArgs {
    /// The entry to add for `url`, with the name, region and tags given.
    fn entry(&self, url: Url, site: bool) -> NewFeed {
        NewFeed {
            url,
            name: self.name.clone(),
            title: None,
            region: self
                .region
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_string),
            language: None,
            tags: self
                .tags
                .iter()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
            enabled: true,
            site,
        }
    }
}

pub fn feeds_action(ctx: &Context, action: &FeedsAction) -> Result<u8> {
    match action {
        FeedsAction::Add(args) => add(ctx, args),
    }
}

/// The config file's path and text; an empty text when the file does not exist yet.
pub(super) fn read_config(ctx: &Context) -> Result<(PathBuf, String, bool)> {
    let (path, _) = ctx.config_path();
    match std::fs::read(&path) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes).map_err(|_| {
                Error::usage(format!(
                    "{} is not UTF-8 text; TOML files must be UTF-8. Convert it and try again.",
                    path.display()
                ))
            })?;
            Ok((path, text, true))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((path, String::new(), false)),
        Err(e) => Err(Error::usage(format!(
            "cannot read config file {}: {e}. Pass --config PATH or set WARTA_CONFIG.",
            path.display()
        ))),
    }
}

pub fn import(ctx: &Context, args: &ImportArgs) -> Result<u8> {
    let file = args.file.display().to_string();
    let bytes =
        std::fs::read(&args.file).map_err(|e| Error::usage(format!("cannot read {file}: {e}")))?;
    let list = opml::parse(&bytes).map_err(|e| Error::usage(format!("{file}: {e}")))?;
    for note in &list.notes {
        eprintln!("warta: {file}: {note}");
    }
    if list.feeds.is_empty() {
        eprintln!("warta: {file} lists no feeds");
    }
    let (path, original, existed) = read_config(ctx)?;
    let feeds: Vec<NewFeed> = list
        .feeds
        .into_iter()
        .map(|f| NewFeed {
            url: f.xml_url,
            name: f.name,
            title: f.title,
            region: f.region,
            language: f.language,
            tags: f.tags,
            enabled: f.enabled,
            site: false,
        })
        .collect();
    let source = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.clone());
    let note = format!(
        "Added by `warta import-opml {source}` on {}",
        Utc::now().format("%Y-%m-%d")
    );
    let edit = append_feeds(&original, &path, &feeds, Some(&note))
        .map_err(|e| Error::usage(e.to_string()))?;
    for outcome in &edit.outcomes {
        if !matches!(outcome, Outcome::Added { .. }) {
            eprintln!("warta: {outcome}");
        }
    }
    if args.dry_run {
        output(std::io::stdout().write_all(edit.added_text.as_bytes()))?;
        eprintln!(
            "warta: dry run: {} would be added, {} skipped; {} not changed",
            edit.added(),
            edit.skipped(),
            path.display()
        );
        return Ok(0);
    }
    save(&path, &original, existed, &edit)?;
    ensure_archive(ctx);
    let mut out = String::new();
    for outcome in &edit.outcomes {
        if matches!(outcome, Outcome::Added { .. }) {
            out.push_str(&format!("{outcome}\n"));
        }
    }
    out.push_str(&format!(
        "{} added, {} skipped\n",
        edit.added(),
        edit.skipped()
    ));
    output(std::io::stdout().write_all(out.as_bytes()))?;
    if edit.added() > 0 {
        tell_daemon(ctx, &path);
    }
    Ok(0)
}

pub fn export(ctx: &Context, args: &ExportArgs) -> Result<u8> {
    let config = ctx.config()?;
    // OPML lists feeds; a site without one would be taken by a reader as a broken feed.
    let sites: Vec<&str> = config
        .feeds
        .iter()
        .filter(|f| f.site().is_some())
        .map(|f| f.name.as_str())
        .collect();
    let feeds: Vec<OpmlFeed> = config
        .feeds
        .iter()
        .filter(|f| f.site().is_none())
        .map(|f| OpmlFeed {
            xml_url: f.url.clone(),
            name: Some(f.name.to_string()),
            title: f.title.clone(),
            html_url: None,
            region: f.region.clone(),
            language: f.language.clone(),
            tags: f.tags.clone(),
            enabled: f.enabled,
        })
        .collect();
    let source = config
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "feeds.toml".into());
    let xml = opml::write(&format!("warta feeds ({source})"), Utc::now(), &feeds);
    match &args.output {
        Some(file) => {
            write_atomic(file, xml.as_bytes())?;
            eprintln!(
                "warta: wrote {} to {}",
                crate::text::counted(feeds.len(), "feed"),
                file.display()
            );
        }
        None => output(std::io::stdout().write_all(xml.as_bytes()))?,
    }
    if !sites.is_empty() {
        eprintln!(
            "warta: skipped {} ({}): OPML holds feeds only; they stay in {source}",
            crate::text::counted(sites.len(), "site"),
            sites.join(", ")
        );
    }
    Ok(0)
}

fn add(ctx: &Context, args: &AddArgs) -> Result<u8> {
    let url = Url::parse(args.url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            Error::usage(format!(
                "{:?} is not an http:// or https:// address; give the feed's URL or a page of its site",
                args.url
            ))
        })?;
    if let Some(name) = &args.name {
        FeedName::parse(name).map_err(|e| Error::usage(format!("--name: {e}")))?;
    }
    let (path, original, existed) = read_config(ctx)?;
    let current = Config::parse(&original, &path).map_err(|e| Error::usage(e.to_string()))?;
    if let Some(existing) = same_url(&current, &url) {
        eprintln!(
            "warta: {url} is already feed '{existing}' in {}; nothing changed",
            path.display()
        );
        return Ok(0);
    }
    if let Some(name) = &args.name
        && let Some(taken) = current.feed(name)
    {
        return Err(Error::usage(format!(
            "a feed named '{name}' is already in {} (url {}); choose another --name",
            path.display(),
            taken.url
        )));
    }
    let fetcher = Fetcher::new(&current.fetch).map_err(Error::failure)?;
    let found = match runtime()?.block_on(find_feed(&fetcher, &url)) {
        Ok(found) => found,
        Err(Missed::Unreachable(why)) => {
            return Err(Error::failure(format!(
                "{why}; check the address and that the site is up, then try again"
            )));
        }
        // No feed: the site itself may still be a source.
        Err(Missed::NoFeed(tried)) => {
            return add_site(
                ctx,
                args,
                &url,
                (&path, &original, existed),
                &current,
                &tried,
            );
        }
    };
    if !found.others.is_empty() {
        let list: Vec<String> = found.others.iter().map(Url::to_string).collect();
        eprintln!(
            "warta: the page names {} more feed(s), not added: {}",
            list.len(),
            list.join(", ")
        );
    }
    if found.url != url
        && let Some(existing) = same_url(&current, &found.url)
    {
        eprintln!(
            "warta: {url} leads to {}, which is already feed '{existing}' in {}; nothing changed",
            found.url,
            path.display()
        );
        return Ok(0);
    }
    let feed = NewFeed {
        title: found.title,
        ..args.entry(found.url.clone(), false)
    };
    let note = format!(
        "Added by `warta feeds add` on {}",
        Utc::now().format("%Y-%m-%d")
    );
    write_one(ctx, (&path, &original, existed), feed, &note, args.dry_run)
}

/// Appends one feed or site to the config (or, for a dry run, prints what would be).
fn write_one(
    ctx: &Context,
    (path, original, existed): (&Path, &str, bool),
    feed: NewFeed,
    note: &str,
    dry_run: bool,
) -> Result<u8> {
    let edit = append_feeds(original, path, &[feed], Some(note))
        .map_err(|e| Error::usage(e.to_string()))?;
    let Some(outcome) = edit.outcomes.first() else {
        return Err(Error::failure("no feed was added; this is a bug in warta"));
    };
    if !matches!(outcome, Outcome::Added { .. }) {
        eprintln!("warta: {outcome}");
        return Ok(0);
    }
    if dry_run {
        output(std::io::stdout().write_all(edit.added_text.as_bytes()))?;
        eprintln!("warta: dry run: {} not changed", path.display());
        return Ok(0);
    }
    save(path, original, existed, &edit)?;
    ensure_archive(ctx);
    output(std::io::stdout().write_all(format!("{outcome}\n").as_bytes()))?;
    tell_daemon(ctx, path);
    Ok(0)
}

/// For a site with no feed: reads it as a `[[site]]` would be read on a first poll (on a
/// scratch archive, no article fetched), says how and what it would take, and adds it with
/// `--yes`.
fn add_site(
    ctx: &Context,
    args: &AddArgs,
    url: &Url,
    (path, original, existed): (&Path, &str, bool),
    current: &Config,
    tried: &[String],
) -> Result<u8> {
    let home = url.join("/").unwrap_or_else(|_| url.clone());
    if let Some(existing) = same_url(current, &home) {
        eprintln!(
            "warta: {home} is already '{existing}' in {}; nothing changed",
            path.display()
        );
        return Ok(0);
    }
    let preview = preview_site(original, path, &home).map_err(|e| {
        Error::failure(format!(
            "no feed found for {url}. Tried:\n  {}\nNor can {home} be read as a site: {e}",
            tried.join("\n  ")
        ))
    })?;
    let list = |urls: &[Url]| urls.iter().map(Url::as_str).collect::<Vec<_>>().join(", ");
    let how = match &preview.way {
        SiteWay::WordpressApi(root) => format!("its WordPress API ({root})"),
        SiteWay::Sitemaps(urls) => format!("its sitemaps ({})", list(urls)),
        SiteWay::Feed(feed) => format!("the feed its home page names ({feed})"),
        SiteWay::HomePage | SiteWay::Configured => format!("its home page as a listing ({home})"),
    };
    eprintln!("warta: {url} has no feed; it can be read as a site, through {how}");
    if preview.articles.is_empty() {
        eprintln!("warta: it lists no article newer than the horizon right now");
    } else {
        eprintln!("warta: the first articles it would take:");
        for a in &preview.articles {
            eprintln!("  {a}");
        }
    }
    let site = args.entry(home, true);
    let note = format!(
        "Added by `warta feeds add` on {}: no feed; read through {how}",
        Utc::now().format("%Y-%m-%d")
    );
    // A guess is shown before it is written.
    let dry_run = args.dry_run || !args.yes;
    let code = write_one(ctx, (path, original, existed), site, &note, dry_run)?;
    if dry_run && !args.dry_run {
        eprintln!("warta: run again with --yes to add it");
    }
    Ok(code)
}

/// Reads `home` as a new `[[site]]` would be on its first poll, on a scratch archive that
/// is removed afterwards.
fn preview_site(
    original: &str,
    path: &Path,
    home: &Url,
) -> std::result::Result<crate::ingest::SitePreview, String> {
    let name = "warta-preview";
    let text = format!("{original}\n\n[[site]]\nname = \"{name}\"\nurl = \"{home}\"\n");
    let mut config = Config::parse(&text, path).map_err(|e| e.to_string())?;
    config.feeds.retain(|f| f.name.as_str() == name);
    let feed = config
        .feeds
        .first()
        .cloned()
        .ok_or("the site could not be set up")?;
    let dir = std::env::temp_dir().join(format!(
        "warta-preview-{}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let result = (|| {
        let store =
            crate::store::Store::open(&dir.join("preview.db")).map_err(|e| e.to_string())?;
        let ingest = crate::ingest::Ingest::new(std::sync::Arc::new(config), store, false)?;
        runtime()
            .map_err(|e| e.to_string())?
            .block_on(ingest.preview_site(&feed))
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Says on stderr whether a daemon will poll the feeds just added to `config_file`, and
/// asks one that runs on its archive with this file to re-read it now (SIGHUP).
fn tell_daemon(ctx: &Context, config_file: &Path) {
    let Some(db) = Config::load(config_file)
        .ok()
        .and_then(|c| ctx.db_path(Some(&c)).ok())
    else {
        return;
    };
    let msg = match crate::lock::holder(&db) {
        None => format!(
            "no daemon is running on {}; `warta daemon` polls the new feeds when it starts",
            db.display()
        ),
        Some(h) if h.command != "daemon" => format!(
            "`warta {}` (pid {}) is writing {}; it does not re-read the config, the next run does",
            h.command,
            h.pid,
            db.display()
        ),
        Some(h) => {
            let ours = std::fs::canonicalize(config_file).unwrap_or_else(|_| config_file.into());
            match &h.config {
                Some(theirs) if *theirs != ours => format!(
                    "the daemon on {} (pid {}) reads {}, not {}; it will not see this change",
                    db.display(),
                    h.pid,
                    theirs.display(),
                    config_file.display()
                ),
                _ => match crate::lock::ask_reload(h.pid) {
                    Ok(()) => format!(
                        "told the running daemon (pid {}) to re-read {}; it polls the new feeds now",
                        h.pid,
                        config_file.display()
                    ),
                    Err(e) => format!(
                        "the running daemon (pid {pid}) picks this up within a minute (asking it now failed: {e}); `kill -HUP {pid}` applies it at once",
                        pid = h.pid
                    ),
                },
            }
        }
    };
    eprintln!("warta: {msg}");
}

fn same_url(config: &Config, url: &Url) -> Option<String> {
    let key = url_key(url);
    config
        .feeds
        .iter()
        .find(|f| url_key(&f.url) == key)
        .map(|f| f.name.to_string())
}

/// The feed a URL leads to.
struct Found {
    url: Url,
    title: Option<String>,
    /// Further feeds the page named.
    others: Vec<Url>,
}

/// Why no feed was found.
enum Missed {
    /// The address itself could not be fetched: there is nothing to discover from.
    Unreachable(String),
    /// Every address tried, with what it gave.
    NoFeed(Vec<String>),
}

/// Fetches `url`; if it is a page, tries the feeds it names, then the common paths, each
/// through the same polite fetcher.
async fn find_feed(fetcher: &Fetcher, url: &Url) -> std::result::Result<Found, Missed> {
    let mut tried: Vec<String> = Vec::new();
    let alternates = match probe(fetcher, url).await {
        Ok(Sniffed::Feed(feed)) => {
            return Ok(Found {
                url: url.clone(),
                title: feed.title,
                others: Vec::new(),
            });
        }
        Ok(Sniffed::Page { alternates }) => {
            tried.push(format!("{url}: an HTML page"));
            alternates
        }
        Ok(Sniffed::Neither(what)) => {
            return Err(Missed::NoFeed(vec![format!("{url}: {what}")]));
        }
        // A page that cannot be fetched at all says nothing about where its feed is.
        Err(e) => return Err(Missed::Unreachable(e)),
    };
    let mut candidates = alternates.clone();
    for common in discover::common_paths(url) {
        if !candidates.contains(&common) {
            candidates.push(common);
        }
    }
    for candidate in candidates {
        match probe(fetcher, &candidate).await {
            Ok(Sniffed::Feed(feed)) => {
                return Ok(Found {
                    others: alternates.into_iter().filter(|a| *a != candidate).collect(),
                    url: candidate,
                    title: feed.title,
                });
            }
            Ok(Sniffed::Page { .. }) => {
                tried.push(format!("{candidate}: an HTML page, not a feed"))
            }
            Ok(Sniffed::Neither(what)) => tried.push(format!("{candidate}: {what}")),
            Err(e) => tried.push(e),
        }
    }
    Err(Missed::NoFeed(tried))
}

async fn probe(fetcher: &Fetcher, url: &Url) -> std::result::Result<Sniffed, String> {
    match fetcher.get(url, Purpose::Feed, None).await {
        Ok(Fetched::Body(resp)) => Ok(discover::sniff(
            &resp.body,
            resp.media_type.as_deref(),
            resp.charset.as_deref(),
            &resp.url,
            Utc::now(),
        )),
        Ok(Fetched::NotModified { .. }) => Err(format!("{url}: HTTP 304 to a plain request")),
        Err(e) => Err(e.to_string()),
    }
}

/// Creates the archive the config names when it does not exist yet, as a first `warta fetch`
/// would, so that `warta feeds` shows the new feeds at once (read commands need an archive).
/// A problem with it is left to the commands that use it.
fn ensure_archive(ctx: &Context) {
    let Ok(config) = ctx.config() else { return };
    let Ok(db) = ctx.db_path(Some(&config)) else {
        return;
    };
    if !db.exists()
        && let Err(e) = crate::store::Store::open(&db)
    {
        tracing::warn!("{e}");
    }
}

/// Replaces the config file with the edited text, unless someone changed it meanwhile.
fn save(path: &Path, original: &str, existed: bool, edit: &Appended) -> Result<()> {
    if edit.added() == 0 {
        return Ok(());
    }
    save_text(path, original, existed, &edit.text)
}

/// Replaces the config file, read as `original`, with `text`, unless someone changed it
/// meanwhile.
pub(super) fn save_text(path: &Path, original: &str, existed: bool, text: &str) -> Result<()> {
    let now = if existed {
        std::fs::read(path).ok()
    } else {
        None
    };
    let unchanged = match (&now, existed) {
        (Some(bytes), true) => bytes.as_slice() == original.as_bytes(),
        (None, false) => !path.exists(),
        _ => false,
    };
    if !unchanged {
        return Err(Error::failure(format!(
            "{} changed while it was being edited; nothing was written. Run the command again.",
            path.display()
        )));
    }
    write_atomic(path, text.as_bytes())?;
    if !existed {
        eprintln!("warta: created {}", path.display());
    }
    Ok(())
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`: a reader
/// (or a crash) sees the old file or the new one, never half of one. A symlinked file is
/// written through the link, so the link stays.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).map_err(|e| {
            Error::failure(format!("cannot follow the link {}: {e}", path.display()))
        })?,
        _ => path.to_path_buf(),
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "warta".into());
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let fail = |what: &str, e: std::io::Error| {
        let _ = std::fs::remove_file(&tmp);
        Error::failure(format!(
            "cannot {what} {}: {e}; {} was not changed",
            tmp.display(),
            target.display()
        ))
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| fail("create", e))?;
    file.write_all(bytes).map_err(|e| fail("write", e))?;
    if let Ok(meta) = std::fs::metadata(&target) {
        let _ = file.set_permissions(meta.permissions());
    }
    file.sync_all().map_err(|e| fail("flush", e))?;
    drop(file);
    std::fs::rename(&tmp, &target).map_err(|e| fail("rename", e))?;
    // The rename is durable once the folder is; a failure here loses nothing already written.
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
