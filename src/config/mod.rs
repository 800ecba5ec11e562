//! feeds.toml ─► a validated [`Config`].
//!
//! The file is read once into a raw serde mirror (`raw.rs`) that rejects unknown keys, then
//! every value is checked and turned into a typed one here. Errors name the file, the line
//! and what is wrong, because a typo in a config must never silently disable a setting.
//! Relative paths resolve against the config file's own folder, so the daemon behaves the
//! same whatever directory a service manager starts it in.

mod edit;
mod raw;
mod request;
mod values;
mod watch;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::extract::SiteRules;
use crate::model::FeedName;
pub use edit::{
    Appended, NewFeed, NewWatch, Outcome, append_feeds, append_watch, remove_watch, slug, url_key,
};
pub use request::{BasicAuth, Password, ProxyAddress, RequestOptions};
use values::parse_duration_at_most;
pub use values::{Schedule, format_duration, parse_duration, parse_size};
pub use watch::{Digest, NotifyConfig, NotifyTarget, SmtpConfig, TelegramConfig, WatchConfig};

/// The longest `fetch.timeout`.
const MAX_TIMEOUT: Duration = Duration::from_secs(3600);
/// The longest `per_host_delay`.
const MAX_HOST_DELAY: Duration = Duration::from_secs(3600);
/// The largest `fetch.max_body`.
const MAX_BODY: u64 = 1 << 30;

#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was read from.
    pub file: PathBuf,
    pub archive: ArchiveConfig,
    pub fetch: FetchConfig,
    pub default_schedule: Schedule,
    /// `[schedule] floor`: a feed that publishes often is polled more often than its
    /// schedule says, but never more often than this (see `schedule::adapted`).
    pub poll_floor: Duration,
    /// Groups of names that mean the same (`[search] aliases`), added to the built-in ones.
    pub aliases: Vec<Vec<String>>,
    pub daemon: DaemonConfig,
    /// `[display] timezone`: the zone times are shown in for people; None leaves it to
    /// `$TZ` and the system (see `cli::zone`).
    pub display_zone: Option<chrono_tz::Tz>,
    /// `[sources]`: defaults of site sources and the news-search template.
    pub sources: SourcesConfig,
    pub revisit: RevisitConfig,
    /// Every source, `[[feed]]` and `[[site]]` alike: one name space, one schedule, one state.
    pub feeds: Vec<FeedConfig>,
    /// `[[watch]]`: saved searches that alert when a story breaks.
    pub watches: Vec<WatchConfig>,
    /// `[notify.*]`: how their alerts reach e-mail, Telegram and webhooks.
    pub notify: NotifyConfig,
    /// `[serve]`: `warta serve`'s address and the token it asks for.
    pub serve: ServeConfig,
}

/// `[serve]`.
#[derive(Clone)]
pub struct ServeConfig {
    pub listen: std::net::SocketAddr,
    /// Asked of every request when set; required to listen on anything but loopback.
    pub token: Option<Password>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 8080)),
            token: None,
        }
    }
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeConfig")
            .field("listen", &self.listen)
            .field("token", &self.token.is_some())
            .finish()
    }
}

/// How often a busy feed may be polled at most, unless `[schedule] floor` says otherwise.
pub const DEFAULT_POLL_FLOOR: Duration = Duration::from_secs(5 * 60);

/// `[revisit]`: archived articles are fetched again when they reach each age of `after`,
/// to see them revised or taken down.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisitConfig {
    /// Ages, ascending; empty turns revisits off.
    pub after: Vec<Duration>,
    /// The most of all requests that may be revisits, from 0 to 1: new articles come first,
    /// and an archive's backlog of revisits cannot crowd them out.
    pub share: f64,
}

impl Default for RevisitConfig {
    fn default() -> Self {
        const HOUR: u64 = 3600;
        RevisitConfig {
            after: [1, 6, 24, 3 * 24, 7 * 24, 30 * 24]
                .map(|h| Duration::from_secs(h * HOUR))
                .to_vec(),
            share: 0.5,
        }
    }
}

/// `[sources]`.
#[derive(Debug, Clone)]
pub struct SourcesConfig {
    /// A news-search feed address with `{query}` where the query goes, for `[[feed]] search`.
    pub search_template: Option<String>,
    pub horizon: Duration,
    pub max_pages: usize,
    pub listing_depth: usize,
}

impl Default for SourcesConfig {
    fn default() -> Self {
        SourcesConfig {
            search_template: None,
            horizon: Duration::from_secs(7 * 86_400),
            max_pages: 50,
            listing_depth: 2,
        }
    }
}

/// What a source is read as.
#[derive(Debug, Clone)]
pub enum SourceKind {
    /// An RSS, Atom or JSON feed; `search` is the query a news-search feed was built from.
    Feed { search: Option<String> },
    /// A site without a feed: article links come from its sitemaps and listing pages.
    Site(Arc<SiteSource>),
}

#[derive(Debug, Clone)]
pub struct SiteSource {
    /// Sitemaps the config names; when none, they are looked for (robots.txt, then the usual
    /// addresses).
    pub sitemaps: Vec<Url>,
    /// Home, section or index pages whose article links are taken.
    pub pages: Vec<Url>,
    /// Only links whose URL matches are articles; else the shape is learned per site.
    pub article_pattern: Option<regex::Regex>,
    /// A first poll takes only articles newer than this.
    pub horizon: Duration,
    /// The most article pages one poll fetches.
    pub max_pages: usize,
    /// How many "next page" links of a listing page are followed.
    pub listing_depth: usize,
}

/// `[daemon]`: how the long-running process reports on itself.
#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// How long a daemon sharing a PostgreSQL archive holds a feed it polls: a daemon
    /// killed mid-poll has its feeds polled by the others once this has passed.
    pub lease: std::time::Duration,
    /// Where to serve `/healthz` and `/metrics`; off when absent.
    pub listen: Option<std::net::SocketAddr>,
    /// Log lines for people or for log collectors; the command line's `--log-format` wins.
    pub log_format: Option<LogFormat>,
    /// The daemon also serves the web interface (`warta serve`) at `[serve] listen`.
    pub serve: bool,
}

/// A poll is rarely longer; one that is renews nothing, so a second daemon may start on
/// the feed after this (a duplicate poll, which the archive absorbs).
pub const DEFAULT_LEASE: std::time::Duration = std::time::Duration::from_secs(600);

impl Default for DaemonConfig {
    fn default() -> DaemonConfig {
        DaemonConfig {
            lease: DEFAULT_LEASE,
            listen: None,
            log_format: None,
            serve: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

impl LogFormat {
    pub fn parse(s: &str) -> Result<LogFormat, String> {
        match s.trim() {
            "human" => Ok(LogFormat::Human),
            "json" => Ok(LogFormat::Json),
            other => Err(format!(
                "{other:?} is not a log format; use \"human\" or \"json\""
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ArchiveConfig {
    /// The SQLite file, or the `postgres://` address of `[archive] url` (`store::postgres_url`
    /// tells them apart).
    pub path: PathBuf,
    pub keep_raw: KeepRaw,
    /// PostgreSQL's password when not in `PGPASSWORD` (`password_env`, `password_file`).
    pub password: Option<Password>,
}

/// What the archive keeps of each article page beside the extracted text (`[archive]
/// keep_raw`, or the older `keep_raw_html`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeepRaw {
    /// Nothing: the text only.
    None,
    /// The HTML as decoded, compressed: enough to extract again.
    #[default]
    Html,
    /// The exchange as it went over the wire (request head, status line, headers, body
    /// bytes before decoding): evidence that replays, at the cost of more bytes.
    Response,
}

impl KeepRaw {
    pub fn parse(s: &str) -> Result<KeepRaw, String> {
        match s.trim() {
            "none" => Ok(KeepRaw::None),
            "html" => Ok(KeepRaw::Html),
            "response" => Ok(KeepRaw::Response),
            other => Err(format!(
                "{other:?} is not something the archive can keep; use \"html\", \"response\" or \"none\""
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeepRaw::None => "none",
            KeepRaw::Html => "html",
            KeepRaw::Response => "response",
        }
    }

    /// Whether anything of the page is kept.
    pub fn any(self) -> bool {
        self != KeepRaw::None
    }
}

#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub user_agent: String,
    pub timeout: Duration,
    pub concurrency: usize,
    pub per_host_delay: Duration,
    pub max_body: u64,
    pub respect_robots: bool,
    pub allow_private_addresses: bool,
    /// Every request through this proxy (a source's own `proxy` wins); none set:
    /// HTTPS_PROXY, HTTP_PROXY and ALL_PROXY, with NO_PROXY, from the environment.
    pub proxy: Option<ProxyAddress>,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            user_agent: format!(
                "warta/{} (news archiver; +https://github.com/warta-archive/warta)",
                env!("CARGO_PKG_VERSION")
            ),
            timeout: Duration::from_secs(30),
            concurrency: 16,
            per_host_delay: Duration::from_secs(1),
            max_body: 10 * 1024 * 1024,
            respect_robots: true,
            allow_private_addresses: false,
            proxy: None,
        }
    }
}

#[derive(Clone)]
pub struct FeedConfig {
    pub name: FeedName,
    pub url: Url,
    pub title: Option<String>,
    pub region: Option<String>,
    pub language: Option<String>,
    pub tags: Vec<String>,
    pub schedule: Schedule,
    pub enabled: bool,
    pub full_text: bool,
    /// Fetch its articles again on `[revisit] after` (`revisit = false` turns it off).
    pub revisit: bool,
    pub extract: Option<Arc<SiteRules>>,
    /// A gentler gap than `[fetch] per_host_delay` for this feed's host.
    pub per_host_delay: Option<Duration>,
    /// Extra headers, user agent, cookies, basic auth: for every request to this feed's
    /// host (never to other hosts its items link to).
    pub request: Option<Arc<RequestOptions>>,
    pub source: SourceKind,
}

impl FeedConfig {
    pub fn site(&self) -> Option<&SiteSource> {
        match &self.source {
            SourceKind::Site(s) => Some(s),
            SourceKind::Feed { .. } => None,
        }
    }
}

impl std::fmt::Debug for FeedConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedConfig")
            .field("name", &self.name)
            .field("url", &self.url.as_str())
            .field("schedule", &self.schedule)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// A config problem: always a usage error, with the file and (when known) the line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError(format!(
                "cannot read config file {}: {e}. Pass --config PATH or set WARTA_CONFIG.",
                path.display()
            ))
        })?;
        Config::parse(&text, path)
    }

    /// Validates `text` as if read from `path` (which anchors relative paths and names the
    /// file in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let raw: raw::RawConfig = toml::from_str(text)
            .map_err(|e| ConfigError(format!("{file}: {}", e.to_string().trim_end())))?;
        let at = |span: std::ops::Range<usize>, msg: String| {
            ConfigError(format!("{file}:{}: {msg}", line_of(text, span.start)))
        };
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();

        let archive_raw = raw.archive.unwrap_or_default();
        let archive_path = match (&archive_raw.path, &archive_raw.url) {
            (Some(p), Some(_)) => {
                return Err(at(
                    p.span(),
                    "archive: give path (an SQLite file) or url (PostgreSQL), not both".into(),
                ));
            }
            (None, Some(u)) => {
                let url = u.get_ref().trim();
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                    return Err(at(
                        u.span(),
                        "archive.url must be a PostgreSQL address, postgres://user@host/database (an SQLite file is archive.path)".into(),
                    ));
                }
                let userinfo = url
                    .split_once("://")
                    .and_then(|(_, rest)| rest.rsplit_once('@'))
                    .map_or("", |(userinfo, _)| userinfo);
                if userinfo.contains(':') {
                    return Err(at(
                        u.span(),
                        "archive.url holds a password; keep it out of the config: set PGPASSWORD, or password_file = \"…\" (or password_env) under [archive]".into(),
                    ));
                }
                url
            }
            (Some(_), None) | (None, None) => match &archive_raw.path {
                // An empty path would open a fresh archive in some folder no one meant.
                Some(p) if p.get_ref().trim().is_empty() => {
                    return Err(at(
                    p.span(),
                    "archive.path is empty; write the archive's file, such as \"data/archive.db\", or leave the key out for that default".into(),
                ));
                }
                Some(p) => p.get_ref().as_str(),
                None => "data/archive.db",
            },
        };
        let password = match (&archive_raw.password_env, &archive_raw.password_file) {
            (Some(e), None) if !e.get_ref().trim().is_empty() => {
                Some(Password::Env(e.get_ref().trim().to_string()))
            }
            (None, Some(f)) if !f.get_ref().trim().is_empty() => {
                Some(Password::File(resolve(&base, f.get_ref().trim())))
            }
            (None, None) => None,
            (Some(e), _) => {
                return Err(at(
                    e.span(),
                    "archive: give one of password_env and password_file, not empty".into(),
                ));
            }
            (None, Some(f)) => return Err(at(f.span(), "archive.password_file is empty".into())),
        };
        if password.is_some() && archive_raw.url.is_none() {
            return Err(ConfigError(format!(
                "{file}: archive.password_env and password_file are for a PostgreSQL archive (archive.url); an SQLite file needs none"
            )));
        }
        let keep_raw = match (&archive_raw.keep_raw, &archive_raw.keep_raw_html) {
            (Some(k), html) => {
                let kept = KeepRaw::parse(k.get_ref())
                    .map_err(|e| at(k.span(), format!("archive.keep_raw: {e}")))?;
                // The older key still means what it meant: `true` is "html", `false` "none".
                if let Some(h) = html {
                    let said = if *h.get_ref() {
                        KeepRaw::Html
                    } else {
                        KeepRaw::None
                    };
                    if said != kept {
                        return Err(at(
                            h.span(),
                            format!(
                                "archive.keep_raw_html = {} contradicts archive.keep_raw = {:?}; keep_raw_html = true means keep_raw = \"html\" and false means \"none\": remove one of the two keys",
                                h.get_ref(),
                                kept.as_str()
                            ),
                        ));
                    }
                }
                kept
            }
            (None, Some(h)) if !*h.get_ref() => KeepRaw::None,
            (None, _) => KeepRaw::Html,
        };
        let archive = ArchiveConfig {
            path: if archive_raw.url.is_some() {
                PathBuf::from(archive_path)
            } else {
                resolve(&base, archive_path)
            },
            keep_raw,
            password,
        };

        let mut fetch = FetchConfig::default();
        if let Some(f) = raw.fetch {
            if let Some(ua) = f.user_agent {
                if ua.get_ref().trim().is_empty() {
                    return Err(at(ua.span(), "fetch.user_agent cannot be empty".into()));
                }
                // A line break would end the header and start another one of the text's choosing.
                if ua.get_ref().chars().any(char::is_control) {
                    return Err(at(
                        ua.span(),
                        format!(
                            "fetch.user_agent {:?} holds a control character (a line break?); write it on one line",
                            ua.get_ref()
                        ),
                    ));
                }
                fetch.user_agent = ua.into_inner();
            }
            if let Some(t) = f.timeout {
                fetch.timeout = parse_duration_at_most(
                    t.get_ref(),
                    MAX_TIMEOUT,
                    "a request that takes longer is stuck",
                )
                .and_then(|d| {
                    if d.is_zero() {
                        Err("a timeout of zero would fail every request".into())
                    } else {
                        Ok(d)
                    }
                })
                .map_err(|e| at(t.span(), format!("fetch.timeout: {e}")))?;
            }
            if let Some(c) = f.concurrency {
                let n = *c.get_ref();
                if !(1..=1024).contains(&n) {
                    return Err(at(
                        c.span(),
                        format!("fetch.concurrency is {n}; use a number from 1 to 1024"),
                    ));
                }
                fetch.concurrency = n as usize;
            }
            if let Some(d) = f.per_host_delay {
                fetch.per_host_delay = parse_host_delay(d.get_ref())
                    .map_err(|e| at(d.span(), format!("fetch.per_host_delay: {e}")))?;
            }
            if let Some(s) = f.max_body {
                fetch.max_body = parse_size(s.get_ref())
                    .and_then(|n| {
                        if n < 1024 {
                            Err(format!("{:?} is less than 1KiB", s.get_ref()))
                        } else if n > MAX_BODY {
                            Err(format!(
                                "{:?} is more than 1GiB; a response is held in memory while it is read, and SQLite stores no larger value",
                                s.get_ref()
                            ))
                        } else {
                            Ok(n)
                        }
                    })
                    .map_err(|e| at(s.span(), format!("fetch.max_body: {e}")))?;
            }
            if let Some(b) = f.respect_robots {
                fetch.respect_robots = b;
            }
            if let Some(b) = f.allow_private_addresses {
                fetch.allow_private_addresses = b;
            }
            if let Some(p) = f.proxy {
                fetch.proxy = Some(
                    ProxyAddress::parse(p.get_ref())
                        .map_err(|e| at(p.span(), format!("fetch.proxy: {e}")))?,
                );
            }
        }

        let (raw_default, raw_floor) = match raw.schedule {
            Some(s) => (s.default, s.floor),
            None => (None, None),
        };
        let default_schedule = match raw_default {
            Some(s) => Schedule::parse(s.get_ref())
                .map_err(|e| at(s.span(), format!("schedule.default: {e}")))?,
            None => Schedule::Every(Duration::from_secs(15 * 60)),
        };
        let poll_floor = match raw_floor {
            Some(f) => parse_duration(f.get_ref())
                .map_err(|e| at(f.span(), format!("schedule.floor: {e}")))?,
            None => DEFAULT_POLL_FLOOR,
        };

        let sources = parse_sources(raw.sources, &at)?;
        let revisit = parse_revisit(raw.revisit, &at)?;
        let mut reader = SourceReader {
            at: &at,
            sources: &sources,
            schedule: &default_schedule,
            allow_private: fetch.allow_private_addresses,
            names: HashSet::new(),
            base: &base,
        };
        let mut feeds = Vec::with_capacity(raw.feed.len() + raw.site.len());
        for f in raw.feed {
            feeds.push(reader.feed(f)?);
        }
        for s in raw.site {
            feeds.push(reader.site(s)?);
        }
        request::one_per_host(
            feeds
                .iter()
                .map(|f| (f.name.as_str(), &f.url, f.request.as_deref())),
        )
        .map_err(|e| ConfigError(format!("{file}: {e}")))?;

        let notify = watch::parse_notify(raw.notify, &base, &at)?;
        let serve = parse_serve(raw.serve, &base, &at)?;
        let watches = watch::parse_watches(raw.watch, &feeds, &notify, &base, &at)?;

        let mut daemon = DaemonConfig::default();
        if let Some(d) = raw.daemon {
            if let Some(l) = d.listen {
                daemon.listen = Some(parse_listen(l.get_ref()).map_err(|e| at(l.span(), e))?);
            }
            daemon.serve = d.serve.unwrap_or(false);
            if let Some(l) = d.lease {
                daemon.lease = values::parse_duration(l.get_ref())
                    .map_err(|e| at(l.span(), format!("daemon.lease: {e}")))?;
                if daemon.lease.is_zero() {
                    return Err(at(l.span(), "daemon.lease must be longer than 0s".into()));
                }
            }
            if let Some(f) = d.log_format {
                daemon.log_format = Some(
                    LogFormat::parse(f.get_ref())
                        .map_err(|e| at(f.span(), format!("daemon.log_format: {e}")))?,
                );
            }
        }

        let display_zone = match raw.display.and_then(|d| d.timezone) {
            Some(z) => Some(parse_zone(z.get_ref()).map_err(|e| at(z.span(), e))?),
            None => None,
        };

        let aliases = raw.search.and_then(|s| s.aliases).unwrap_or_default();
        Ok(Config {
            file: path.to_path_buf(),
            archive,
            fetch,
            default_schedule,
            poll_floor,
            aliases,
            daemon,
            display_zone,
            sources,
            revisit,
            feeds,
            watches,
            notify,
            serve,
        })
    }

    pub fn feed(&self, name: &str) -> Option<&FeedConfig> {
        self.feeds.iter().find(|f| f.name.as_str() == name)
    }

    /// The feeds named on the command line, or every enabled feed when none is named.
    pub fn select_feeds(&self, names: &[String]) -> Result<Vec<&FeedConfig>, String> {
        if names.is_empty() {
            return Ok(self.feeds.iter().filter(|f| f.enabled).collect());
        }
        names
            .iter()
            .map(|n| {
                self.feed(n).ok_or_else(|| {
                    format!(
                        "no feed named {n:?} in {}; `warta feeds` lists the configured feeds",
                        self.file.display()
                    )
                })
            })
            .collect()
    }
}

type At<'a> = dyn Fn(std::ops::Range<usize>, String) -> ConfigError + 'a;

/// The most article pages one poll of a site may fetch.
const MAX_SITE_PAGES: i64 = 10_000;
/// The deepest "next page" chain of a listing page.
const MAX_LISTING_DEPTH: i64 = 50;

fn parse_revisit(raw: Option<raw::RawRevisit>, at: &At) -> Result<RevisitConfig, ConfigError> {
    let mut revisit = RevisitConfig::default();
    let Some(raw) = raw else {
        return Ok(revisit);
    };
    if let Some(after) = raw.after {
        let mut ages = Vec::with_capacity(after.get_ref().len());
        for a in after.get_ref() {
            let age =
                parse_duration(a).map_err(|e| at(after.span(), format!("revisit.after: {e}")))?;
            if age.is_zero() {
                return Err(at(
                    after.span(),
                    "revisit.after: an age of 0 would fetch a page again as it is archived; the first age is the earliest revisit, such as \"1h\"".into(),
                ));
            }
            if ages.last().is_some_and(|last| *last >= age) {
                return Err(at(
                    after.span(),
                    format!(
                        "revisit.after: {a:?} is not later than the age before it; list the ages from the earliest, such as [\"1h\", \"1d\", \"7d\"]"
                    ),
                ));
            }
            ages.push(age);
        }
        revisit.after = ages;
    }
    if let Some(share) = raw.share {
        let s = *share.get_ref();
        if !(0.0..=1.0).contains(&s) {
            return Err(at(
                share.span(),
                format!(
                    "revisit.share is {s}; it is the most of all requests that revisits may take, from 0 to 1, such as 0.5"
                ),
            ));
        }
        revisit.share = s;
    }
    Ok(revisit)
}

fn parse_sources(raw: Option<raw::RawSources>, at: &At) -> Result<SourcesConfig, ConfigError> {
    let mut sources = SourcesConfig::default();
    let Some(raw) = raw else {
        return Ok(sources);
    };
    if let Some(t) = raw.search_template {
        let template = t.get_ref().trim();
        let example = template.replace("{query}", "x");
        if !template.contains("{query}") {
            return Err(at(
                t.span(),
                format!(
                    "sources.search_template {template:?} has no {{query}}; write where the search words go, such as \"https://news.example/rss/search?q={{query}}\""
                ),
            ));
        }
        parse_feed_url(&example)
            .map_err(|e| at(t.span(), format!("sources.search_template: {e}")))?;
        sources.search_template = Some(template.to_string());
    }
    if let Some(h) = raw.horizon {
        sources.horizon = parse_duration(h.get_ref())
            .map_err(|e| at(h.span(), format!("sources.horizon: {e}")))?;
    }
    if let Some(m) = raw.max_pages {
        sources.max_pages = bounded(&m, 1, MAX_SITE_PAGES, "sources.max_pages", at)?;
    }
    if let Some(d) = raw.listing_depth {
        sources.listing_depth = bounded(&d, 0, MAX_LISTING_DEPTH, "sources.listing_depth", at)?;
    }
    Ok(sources)
}

fn bounded(
    n: &toml::Spanned<i64>,
    min: i64,
    max: i64,
    key: &str,
    at: &At,
) -> Result<usize, ConfigError> {
    let v = *n.get_ref();
    if !(min..=max).contains(&v) {
        return Err(at(
            n.span(),
            format!("{key} is {v}; use a number from {min} to {max}"),
        ));
    }
    usize::try_from(v).map_err(|_| at(n.span(), format!("{key} is {v}")))
}

/// The keys a `[[feed]]` and a `[[site]]` share.
struct Common {
    name: toml::Spanned<String>,
    url: toml::Spanned<String>,
    title: Option<String>,
    region: Option<String>,
    language: Option<toml::Spanned<String>>,
    tags: Option<Vec<String>>,
    schedule: Option<toml::Spanned<String>>,
    enabled: Option<bool>,
    revisit: Option<bool>,
    per_host_delay: Option<toml::Spanned<String>>,
    extract: Option<raw::RawExtract>,
    request: raw::RawRequest,
}

/// Reads `[[feed]]` and `[[site]]` tables into sources, with the defaults they fall back on.
struct SourceReader<'a> {
    at: &'a At<'a>,
    sources: &'a SourcesConfig,
    schedule: &'a Schedule,
    allow_private: bool,
    names: HashSet<FeedName>,
    /// The config's folder: a relative `password_file` counts from it.
    base: &'a Path,
}

impl SourceReader<'_> {
    fn feed(&mut self, f: raw::RawFeed) -> Result<FeedConfig, ConfigError> {
        let at = self.at;
        let (url, search) = match (f.url, f.search) {
            (Some(url), None) => (url, None),
            (None, Some(q)) => {
                let query = q.get_ref().trim().to_string();
                let Some(template) = &self.sources.search_template else {
                    return Err(at(
                        q.span(),
                        format!(
                            "feed {}: search needs a template: set search_template in [sources] (a news-search feed address with {{query}})",
                            f.name.get_ref()
                        ),
                    ));
                };
                if query.is_empty() {
                    return Err(at(
                        q.span(),
                        format!("feed {}: search is empty", f.name.get_ref()),
                    ));
                }
                let encoded: String =
                    url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
                let span = q.span();
                (
                    toml::Spanned::new(span, template.replace("{query}", &encoded)),
                    Some(query),
                )
            }
            (Some(url), Some(_)) => {
                return Err(at(
                    url.span(),
                    format!(
                        "feed {}: has both url and search; a search feed's address comes from [sources] search_template",
                        f.name.get_ref()
                    ),
                ));
            }
            (None, None) => {
                return Err(at(
                    f.name.span(),
                    format!("feed {}: missing url (or search)", f.name.get_ref()),
                ));
            }
        };
        let common = Common {
            name: f.name,
            url,
            title: f.title,
            region: f.region,
            language: f.language,
            tags: f.tags,
            schedule: f.schedule,
            enabled: f.enabled,
            revisit: f.revisit,
            per_host_delay: f.per_host_delay,
            extract: f.extract,
            request: raw::RawRequest {
                headers: f.headers,
                user_agent: f.user_agent,
                cookies: f.cookies,
                auth: f.auth,
                proxy: f.proxy,
            },
        };
        self.common(
            common,
            "feed",
            f.full_text.unwrap_or(true),
            SourceKind::Feed { search },
        )
    }

    fn site(&mut self, s: raw::RawSite) -> Result<FeedConfig, ConfigError> {
        let at = self.at;
        let name = s.name.get_ref().clone();
        let urls = |key: &str, span: std::ops::Range<usize>, list: Vec<String>| {
            list.iter()
                .map(|u| {
                    parse_feed_url(u)
                        .map_err(|e| at(span.clone(), format!("site {name}: {key}: {e}")))
                })
                .collect::<Result<Vec<Url>, ConfigError>>()
        };
        let sitemaps = match s.sitemap {
            Some(m) => {
                let span = m.span();
                urls("sitemap", span, m.into_inner().into_vec())?
            }
            None => Vec::new(),
        };
        let pages = match s.pages {
            Some(p) => {
                let span = p.span();
                urls("pages", span, p.into_inner())?
            }
            None => Vec::new(),
        };
        let article_pattern = match s.article_pattern {
            Some(p) => Some(regex::Regex::new(p.get_ref()).map_err(|e| {
                at(
                    p.span(),
                    format!("site {name}: article_pattern is not a regular expression: {e}"),
                )
            })?),
            None => None,
        };
        let horizon = match s.horizon {
            Some(h) => parse_duration(h.get_ref())
                .map_err(|e| at(h.span(), format!("site {name}: horizon: {e}")))?,
            None => self.sources.horizon,
        };
        let max_pages = match s.max_pages {
            Some(m) => bounded(
                &m,
                1,
                MAX_SITE_PAGES,
                &format!("site {name}: max_pages"),
                at,
            )?,
            None => self.sources.max_pages,
        };
        let listing_depth = match s.listing_depth {
            Some(d) => bounded(
                &d,
                0,
                MAX_LISTING_DEPTH,
                &format!("site {name}: listing_depth"),
                at,
            )?,
            None => self.sources.listing_depth,
        };
        let site = SiteSource {
            sitemaps,
            pages,
            article_pattern,
            horizon,
            max_pages,
            listing_depth,
        };
        let common = Common {
            name: s.name,
            url: s.url,
            title: s.title,
            region: s.region,
            language: s.language,
            tags: s.tags,
            schedule: s.schedule,
            enabled: s.enabled,
            revisit: s.revisit,
            per_host_delay: s.per_host_delay,
            extract: s.extract,
            request: raw::RawRequest {
                headers: s.headers,
                user_agent: s.user_agent,
                cookies: s.cookies,
                auth: s.auth,
                proxy: s.proxy,
            },
        };
        self.common(common, "site", true, SourceKind::Site(Arc::new(site)))
    }

    fn common(
        &mut self,
        f: Common,
        table: &str,
        full_text: bool,
        source: SourceKind,
    ) -> Result<FeedConfig, ConfigError> {
        let at = self.at;
        let name = FeedName::parse(f.name.get_ref())
            .map_err(|e| at(f.name.span(), format!("{table}.name: {e}")))?;
        if !self.names.insert(name.clone()) {
            return Err(at(
                f.name.span(),
                format!(
                    "{table} name '{name}' is used twice; each feed and site needs its own name"
                ),
            ));
        }
        let url = parse_feed_url(f.url.get_ref())
            .map_err(|e| at(f.url.span(), format!("{table} {name}: url: {e}")))?;
        // Known before any request: a poll would only fail the same way every time.
        if !self.allow_private
            && let Some(why) = crate::addr::literal_private(&url)
        {
            return Err(at(
                f.url.span(),
                format!(
                    "{table} {name}: url {url} is refused: {why}; set allow_private_addresses = true in [fetch] to archive a local or intranet site"
                ),
            ));
        }
        let schedule = match f.schedule {
            Some(s) => Schedule::parse(s.get_ref())
                .map_err(|e| at(s.span(), format!("{table} {name}: schedule: {e}")))?,
            None => self.schedule.clone(),
        };
        let language = match f.language {
            Some(l) => {
                let code = l.get_ref().trim().to_ascii_lowercase();
                if code.len() != 2 || !code.chars().all(|c| c.is_ascii_lowercase()) {
                    return Err(at(
                        l.span(),
                        format!(
                            "{table} {name}: language {:?} is not an ISO 639-1 code such as \"id\" or \"en\"",
                            l.get_ref()
                        ),
                    ));
                }
                Some(code)
            }
            None => None,
        };
        let extract = match f.extract {
            Some(x) => Some(Arc::new(
                SiteRules::new(x.body.get_ref(), &x.remove.unwrap_or_default())
                    .map_err(|e| at(x.body.span(), format!("{table} {name}: extract: {e}")))?,
            )),
            None => None,
        };
        let per_host_delay = match f.per_host_delay {
            Some(d) => Some(
                parse_host_delay(d.get_ref())
                    .map_err(|e| at(d.span(), format!("{table} {name}: per_host_delay: {e}")))?,
            ),
            None => None,
        };
        let request = request::parse(f.request, &format!("{table} {name}"), self.base, at)?;
        Ok(FeedConfig {
            name,
            url,
            title: f.title,
            region: f.region,
            language,
            tags: f.tags.unwrap_or_default(),
            schedule,
            enabled: f.enabled.unwrap_or(true),
            revisit: f.revisit.unwrap_or(true),
            full_text,
            extract,
            per_host_delay,
            request,
            source,
        })
    }
}

/// A `per_host_delay`, global or per feed: one pass waits this long between two pages of a
/// host, so a longer gap would keep a pass running for days.
fn parse_host_delay(s: &str) -> Result<Duration, String> {
    parse_duration_at_most(
        s,
        MAX_HOST_DELAY,
        "a pass waits this long between two pages of one host",
    )
}

fn parse_feed_url(s: &str) -> Result<Url, String> {
    let url = Url::parse(s.trim()).map_err(|e| format!("{s:?} is not a valid URL ({e})"))?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(format!(
                "{s:?} uses {other}:, but only http: and https: feeds can be polled"
            ));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{s:?} has no host"));
    }
    Ok(url)
}

/// An address and port to listen on (`127.0.0.1:9187`, `[::1]:9187`). A host name is
/// refused: which address it resolves to would decide who can read the metrics.
fn parse_serve(
    raw: Option<raw::RawServe>,
    base: &Path,
    at: &At,
) -> Result<ServeConfig, ConfigError> {
    let mut serve = ServeConfig::default();
    let Some(raw) = raw else {
        return Ok(serve);
    };
    if let Some(l) = raw.listen {
        serve.listen = parse_listen(l.get_ref())
            .map_err(|e| at(l.span(), e.replacen("daemon.listen", "serve.listen", 1)))?;
    }
    serve.token = match (raw.token_env, raw.token_file) {
        (Some(e), None) if !e.get_ref().trim().is_empty() => {
            Some(Password::Env(e.get_ref().trim().to_string()))
        }
        (None, Some(f)) if !f.get_ref().trim().is_empty() => {
            Some(Password::File(resolve(base, f.get_ref().trim())))
        }
        (None, None) => None,
        (Some(e), _) => {
            return Err(at(
                e.span(),
                "serve: give one of token_env and token_file, not empty".into(),
            ));
        }
        (None, Some(f)) => return Err(at(f.span(), "serve.token_file is empty".into())),
    };
    Ok(serve)
}

pub fn parse_listen(s: &str) -> Result<std::net::SocketAddr, String> {
    s.trim().parse().map_err(|_| {
        format!(
            "daemon.listen {s:?} is not an address and port such as \"127.0.0.1:9187\" or \"[::1]:9187\""
        )
    })
}

fn resolve(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// A time zone by its IANA name (`Asia/Makassar`), from the tz database built into warta, so
/// that a machine without /usr/share/zoneinfo reads the same config the same way.
pub fn parse_zone(name: &str) -> Result<chrono_tz::Tz, String> {
    name.trim().parse().map_err(|_| {
        format!(
            "display.timezone {name:?} is not a time zone name; use an IANA name such as \
             \"Asia/Makassar\" (WITA), \"Asia/Jakarta\" (WIB), \"Asia/Jayapura\" (WIT) or \"UTC\""
        )
    })
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(offset.min(text.len()))
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("conf/feeds.toml"))
    }

    const MINIMAL: &str = "[[feed]]\nname = \"a\"\nurl = \"https://example.org/rss\"\n";

    #[test]
    fn defaults_fill_every_optional_key() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.archive.path, Path::new("conf/data/archive.db"));
        assert_eq!(c.archive.keep_raw, KeepRaw::Html);
        assert_eq!(c.fetch.concurrency, 16);
        assert_eq!(c.fetch.max_body, 10 * 1024 * 1024);
        assert!(!c.fetch.allow_private_addresses);
        let f = &c.feeds[0];
        assert_eq!(f.schedule, Schedule::Every(Duration::from_secs(900)));
        assert!(f.enabled && f.full_text);
    }

    #[test]
    fn revisits_default_to_six_ages_and_can_be_set_or_turned_off() {
        let c = parse(MINIMAL).unwrap();
        let hours: Vec<u64> = c.revisit.after.iter().map(|d| d.as_secs() / 3600).collect();
        assert_eq!(hours, vec![1, 6, 24, 72, 168, 720]);
        assert!(c.feeds[0].revisit);
        let c = parse(&format!(
            "[revisit]\nafter = [\"2h\", \"2d\"]\nshare = 0.2\n{MINIMAL}revisit = false\n"
        ))
        .unwrap();
        assert_eq!(
            c.revisit.after,
            vec![Duration::from_secs(7200), Duration::from_secs(2 * 86400)]
        );
        assert_eq!(c.revisit.share, 0.2);
        assert!(!c.feeds[0].revisit);
        let off = parse(&format!("[revisit]\nafter = []\n{MINIMAL}")).unwrap();
        assert!(off.revisit.after.is_empty());
    }

    #[test]
    fn revisit_ages_out_of_order_or_a_share_above_one_name_the_line() {
        let e = parse(&format!("{MINIMAL}[revisit]\nafter = [\"1d\", \"6h\"]\n"))
            .unwrap_err()
            .0;
        assert!(
            e.contains(":5:") && e.contains("6h") && e.contains("earliest"),
            "{e}"
        );
        let e = parse(&format!("{MINIMAL}[revisit]\nafter = [\"1x\"]\n"))
            .unwrap_err()
            .0;
        assert!(e.contains(":5:") && e.contains("revisit.after"), "{e}");
        let e = parse(&format!("{MINIMAL}[revisit]\nshare = 1.5\n"))
            .unwrap_err()
            .0;
        assert!(e.contains(":5:") && e.contains("from 0 to 1"), "{e}");
    }

    #[test]
    fn a_watch_reads_every_key_and_names_the_line_of_a_mistake() {
        let c = parse(&format!(
            "{MINIMAL}[[watch]]\nname = \"bimtek\"\nquery = \"bimtek kutim\"\nfeeds = [\"a\"]\n\
             region = \"Kalimantan Timur\"\ntags = [\"kaltim\"]\n\
             notify = [\"https://hooks.example.org/x\", \"telegram:123\"]\n\
             digest = \"daily 07:00\"\natom = \"data/bimtek.xml\"\non_revision = true\n\
             [notify.telegram]\ntoken_env = \"WARTA_TELEGRAM_TOKEN\"\n"
        ))
        .unwrap();
        let w = &c.watches[0];
        assert_eq!(
            (w.name.as_str(), w.query.as_str()),
            ("bimtek", "bimtek kutim")
        );
        assert_eq!(w.feeds[0].as_str(), "a");
        assert_eq!(w.tags, vec!["kaltim".to_string()]);
        assert_eq!(w.notify.len(), 2);
        assert_eq!(
            w.digest.map(|d| d.to_string()).as_deref(),
            Some("daily 07:00")
        );
        assert_eq!(w.atom.as_deref(), Some(Path::new("conf/data/bimtek.xml")));
        assert!(w.on_revision);
        let e = parse(&format!(
            "{MINIMAL}[[watch]]\nname = \"x\"\nquery = \"banjir\"\nfeeds = [\"b\"]\n"
        ))
        .unwrap_err()
        .0;
        assert!(e.contains(":7:") && e.contains("\"b\""), "{e}");
        let e = parse(&format!(
            "{MINIMAL}[[watch]]\nname = \"x\"\nquery = \"banjir\"\ndigest = \"weekly\"\n"
        ))
        .unwrap_err()
        .0;
        assert!(e.contains(":7:") && e.contains("daily 07:00"), "{e}");
        let e = parse(&format!(
            "{MINIMAL}[[watch]]\nname = \"x\"\nquery = \"banjir\"\nnotify = [\"mailto:desk@example.org\"]\n"
        ))
        .unwrap_err()
        .0;
        assert!(e.contains(":7:") && e.contains("[notify.smtp]"), "{e}");
        let c = parse(&format!(
            "{MINIMAL}[notify.smtp]\nhost = \"smtp.example.org\"\nfrom = \"warta@example.org\"\n\
             user = \"warta\"\npassword_env = \"WARTA_SMTP_PASSWORD\"\n\
             [notify.webhook]\nsecret_env = \"WARTA_WEBHOOK_SECRET\"\n"
        ))
        .unwrap();
        let smtp = c.notify.smtp.as_ref().unwrap();
        assert_eq!((smtp.port, smtp.starttls), (587, true));
        assert!(c.notify.webhook_secret.is_some());
        assert!(!format!("{:?}", c.notify).contains("WARTA_SMTP_PASSWORD"));
        let e = parse(&format!(
            "{MINIMAL}[notify.smtp]\nhost = \"smtp.example.org\"\nfrom = \"not an address\"\n"
        ))
        .unwrap_err()
        .0;
        assert!(e.contains(":6:") && e.contains("notify.smtp.from"), "{e}");
        let e = parse(&format!(
            "{MINIMAL}[notify.telegram]\napi = \"https://t.example\"\n"
        ))
        .unwrap_err()
        .0;
        assert!(e.contains("token_env"), "{e}");
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let e = parse("[fetch]\ntimeout = \"5s\"\nconcurency = 3\n")
            .unwrap_err()
            .0;
        assert!(e.contains("conf/feeds.toml"), "{e}");
        assert!(e.contains("line 3"), "{e}");
        assert!(e.contains("concurency"), "{e}");
    }

    #[test]
    fn unknown_key_inside_feed_is_an_error() {
        let e = parse(&format!("{MINIMAL}shedule = \"5m\"\n"))
            .unwrap_err()
            .0;
        assert!(e.contains("shedule") && e.contains("line 4"), "{e}");
    }

    #[test]
    fn bad_duration_names_line() {
        let e = parse(&format!("{MINIMAL}schedule = \"15x\"\n"))
            .unwrap_err()
            .0;
        assert!(e.starts_with("conf/feeds.toml:4:"), "{e}");
        assert!(e.contains("15x"), "{e}");
    }

    #[test]
    fn keep_raw_reads_both_keys() {
        let keep = |archive: &str| {
            parse(&format!("[archive]\n{archive}\n{MINIMAL}"))
                .map(|c| c.archive.keep_raw)
                .map_err(|e| e.0)
        };
        assert_eq!(keep("keep_raw = \"response\""), Ok(KeepRaw::Response));
        assert_eq!(keep("keep_raw = \"html\""), Ok(KeepRaw::Html));
        assert_eq!(keep("keep_raw = \"none\""), Ok(KeepRaw::None));
        assert_eq!(keep("keep_raw_html = true"), Ok(KeepRaw::Html));
        assert_eq!(keep("keep_raw_html = false"), Ok(KeepRaw::None));
        // Both, saying the same thing, are fine.
        assert_eq!(
            keep("keep_raw_html = false\nkeep_raw = \"none\""),
            Ok(KeepRaw::None)
        );
        assert_eq!(
            keep("keep_raw_html = true\nkeep_raw = \"html\""),
            Ok(KeepRaw::Html)
        );
    }

    #[test]
    fn keep_raw_conflict_and_bad_value_name_key_and_line() {
        let e = parse(&format!(
            "[archive]\nkeep_raw = \"response\"\nkeep_raw_html = true\n{MINIMAL}"
        ))
        .unwrap_err()
        .0;
        assert!(e.starts_with("conf/feeds.toml:3:"), "{e}");
        assert!(
            e.contains("keep_raw_html") && e.contains("\"response\""),
            "{e}"
        );
        let e = parse(&format!(
            "[archive]\nkeep_raw_html = false\nkeep_raw = \"html\"\n{MINIMAL}"
        ))
        .unwrap_err()
        .0;
        assert!(e.starts_with("conf/feeds.toml:2:"), "{e}");
        let e = parse(&format!("[archive]\nkeep_raw = \"warc\"\n{MINIMAL}"))
            .unwrap_err()
            .0;
        assert!(e.starts_with("conf/feeds.toml:2:"), "{e}");
        assert!(
            e.contains("archive.keep_raw") && e.contains("\"warc\""),
            "{e}"
        );
    }

    #[test]
    fn bad_cron_is_rejected() {
        let e = parse(&format!("{MINIMAL}schedule = \"61 * * * *\"\n"))
            .unwrap_err()
            .0;
        assert!(e.starts_with("conf/feeds.toml:4:"), "{e}");
    }

    #[test]
    fn five_and_six_field_cron_are_accepted() {
        let c = parse(&format!("{MINIMAL}schedule = \"*/10 * * * *\"\n")).unwrap();
        assert_eq!(c.feeds[0].schedule, Schedule::Cron("0 */10 * * * *".into()));
        let c = parse(&format!("{MINIMAL}schedule = \"30 */10 * * * *\"\n")).unwrap();
        assert_eq!(
            c.feeds[0].schedule,
            Schedule::Cron("30 */10 * * * *".into())
        );
    }

    #[test]
    fn duplicate_feed_name_points_at_second() {
        let e = parse(&format!(
            "{MINIMAL}[[feed]]\nname = \"a\"\nurl = \"https://x.org/\"\n"
        ))
        .unwrap_err()
        .0;
        assert!(
            e.starts_with("conf/feeds.toml:5:") && e.contains("twice"),
            "{e}"
        );
    }

    #[test]
    fn bad_url_and_scheme() {
        let e = parse("[[feed]]\nname = \"a\"\nurl = \"not a url\"\n")
            .unwrap_err()
            .0;
        assert!(e.starts_with("conf/feeds.toml:3:"), "{e}");
        let e = parse("[[feed]]\nname = \"a\"\nurl = \"ftp://x.org/f\"\n")
            .unwrap_err()
            .0;
        assert!(e.contains("ftp"), "{e}");
    }

    #[test]
    fn bad_feed_name() {
        let e = parse("[[feed]]\nname = \"Antara Kaltim\"\nurl = \"https://x.org/\"\n")
            .unwrap_err()
            .0;
        assert!(e.starts_with("conf/feeds.toml:2:"), "{e}");
    }

    #[test]
    fn missing_url_is_an_error() {
        let e = parse("[[feed]]\nname = \"a\"\n").unwrap_err().0;
        assert!(e.contains("url"), "{e}");
    }

    #[test]
    fn extract_rules_attach_to_their_feed() {
        let c = parse(&format!(
            "{MINIMAL}[feed.extract]\nbody = \"div.post-content\"\nremove = [\".ads\"]\n"
        ))
        .unwrap();
        assert!(c.feeds[0].extract.is_some());
        let e = parse(&format!("{MINIMAL}[feed.extract]\nbody = \"div[[\"\n"))
            .unwrap_err()
            .0;
        assert!(e.starts_with("conf/feeds.toml:5:"), "{e}");
    }

    #[test]
    fn sizes_and_paths() {
        let c = parse(&format!(
            "[archive]\npath = \"/var/lib/warta/a.db\"\n[fetch]\nmax_body = \"2MiB\"\n{MINIMAL}"
        ))
        .unwrap();
        assert_eq!(c.archive.path, Path::new("/var/lib/warta/a.db"));
        assert_eq!(c.fetch.max_body, 2 * 1024 * 1024);
        let e = parse("[fetch]\nmax_body = \"2 parsecs\"\n").unwrap_err().0;
        assert!(e.starts_with("conf/feeds.toml:2:"), "{e}");
    }

    #[test]
    fn daemon_table_reads_listen_and_log_format() {
        let c = parse(&format!(
            "[daemon]\nlisten = \"127.0.0.1:9187\"\nlog_format = \"json\"\n{MINIMAL}"
        ))
        .unwrap();
        assert_eq!(c.daemon.listen, Some("127.0.0.1:9187".parse().unwrap()));
        assert_eq!(c.daemon.log_format, Some(LogFormat::Json));
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.daemon.listen, None);
        assert_eq!(c.daemon.log_format, None);
    }

    #[test]
    fn display_timezone_is_a_zone_name_or_an_error_with_its_line() {
        let c = parse(&format!(
            "[display]\ntimezone = \"Asia/Makassar\"\n{MINIMAL}"
        ))
        .unwrap();
        assert_eq!(c.display_zone, Some(chrono_tz::Asia::Makassar));
        assert_eq!(parse(MINIMAL).unwrap().display_zone, None);
        let e = parse("[display]\n\ntimezone = \"Asia/Makasar\"\n")
            .unwrap_err()
            .0;
        assert!(
            e.contains("feeds.toml:3:") && e.contains("Asia/Makasar"),
            "{e}"
        );
        let e = parse("[display]\ntz = \"UTC\"\n").unwrap_err().0;
        assert!(e.contains("tz") && e.contains("line 2"), "{e}");
    }

    #[test]
    fn daemon_table_errors_name_the_line() {
        let e = parse("[daemon]\nlisten = \"localhost\"\n").unwrap_err().0;
        assert!(
            e.starts_with("conf/feeds.toml:2:") && e.contains("localhost"),
            "{e}"
        );
        let e = parse("[daemon]\n\nlog_format = \"xml\"\n").unwrap_err().0;
        assert!(
            e.starts_with("conf/feeds.toml:3:") && e.contains("xml"),
            "{e}"
        );
        let e = parse("[daemon]\nlisen = \"127.0.0.1:1\"\n").unwrap_err().0;
        assert!(e.contains("lisen") && e.contains("line 2"), "{e}");
    }

    const SITE: &str = "[[site]]\nname = \"kaltimtoday\"\nurl = \"https://kaltimtoday.co/\"\n";

    #[test]
    fn a_site_is_a_source_with_defaults_from_sources() {
        let c = parse(&format!(
            "[sources]\nhorizon = \"3d\"\nmax_pages = 20\n{MINIMAL}{SITE}region = \"Kalimantan Timur\"\n\
             sitemap = \"https://kaltimtoday.co/news-sitemap.xml\"\n\
             pages = [\"https://kaltimtoday.co/kategori/kutai-timur\"]\n\
             article_pattern = '^https://kaltimtoday\\.co/\\d{{4}}/'\nlisting_depth = 3\n\
             [site.extract]\nbody = \"div.post-content\"\n"
        ))
        .unwrap();
        assert!(c.feeds[0].site().is_none());
        let site = c.feeds[1].site().expect("a site");
        assert_eq!(c.feeds[1].region.as_deref(), Some("Kalimantan Timur"));
        assert!(c.feeds[1].extract.is_some() && c.feeds[1].full_text);
        assert_eq!(site.sitemaps.len(), 1);
        assert_eq!(site.pages[0].path(), "/kategori/kutai-timur");
        assert!(
            site.article_pattern
                .as_ref()
                .unwrap()
                .is_match("https://kaltimtoday.co/2024/x")
        );
        assert_eq!(site.horizon, Duration::from_secs(3 * 86_400));
        assert_eq!((site.max_pages, site.listing_depth), (20, 3));
        assert!(c.feed("kaltimtoday").is_some());

        let c = parse(&format!(
            "{SITE}sitemap = [\"https://kaltimtoday.co/a.xml\", \"https://kaltimtoday.co/b.xml\"]\n"
        ))
        .unwrap();
        let site = c.feeds[0].site().unwrap();
        assert_eq!(site.sitemaps.len(), 2);
        assert_eq!((site.max_pages, site.listing_depth), (50, 2));
        assert_eq!(site.horizon, Duration::from_secs(7 * 86_400));
    }

    #[test]
    fn site_errors_name_the_site_and_line() {
        let e = parse(&format!("{SITE}article_pattern = \"(unclosed\"\n"))
            .unwrap_err()
            .0;
        assert!(
            e.starts_with("conf/feeds.toml:4:") && e.contains("site kaltimtoday"),
            "{e}"
        );
        let e = parse(&format!("{SITE}max_pages = 0\n")).unwrap_err().0;
        assert!(
            e.starts_with("conf/feeds.toml:4:") && e.contains("from 1"),
            "{e}"
        );
        let e = parse(&format!("{SITE}pages = [\"kategori/x\"]\n"))
            .unwrap_err()
            .0;
        assert!(
            e.starts_with("conf/feeds.toml:4:") && e.contains("pages"),
            "{e}"
        );
        let e = parse(&format!("{SITE}full_text = false\n")).unwrap_err().0;
        assert!(e.contains("full_text"), "{e}");
        let e = parse(&format!(
            "{MINIMAL}[[site]]\nname = \"a\"\nurl = \"https://a.org/\"\n"
        ))
        .unwrap_err()
        .0;
        assert!(
            e.starts_with("conf/feeds.toml:5:") && e.contains("twice"),
            "{e}"
        );
    }

    #[test]
    fn a_search_feed_takes_its_address_from_the_template() {
        let text = "[sources]\nsearch_template = \"https://news.example/rss/search?q={query}&hl=id\"\n\
                    [[feed]]\nname = \"sangatta\"\nsearch = 'Sangatta OR \"Kutai Timur\"'\n";
        let c = parse(text).unwrap();
        assert_eq!(
            c.feeds[0].url.as_str(),
            "https://news.example/rss/search?q=Sangatta+OR+%22Kutai+Timur%22&hl=id"
        );
        assert!(
            matches!(&c.feeds[0].source, SourceKind::Feed { search: Some(q) } if q == "Sangatta OR \"Kutai Timur\"")
        );

        let e = parse("[[feed]]\nname = \"s\"\nsearch = \"Sangatta\"\n")
            .unwrap_err()
            .0;
        assert!(
            e.starts_with("conf/feeds.toml:3:") && e.contains("search_template"),
            "{e}"
        );
        let e = parse("[sources]\nsearch_template = \"https://news.example/rss\"\n")
            .unwrap_err()
            .0;
        assert!(
            e.starts_with("conf/feeds.toml:2:") && e.contains("{query}"),
            "{e}"
        );
        let e = parse(
            "[sources]\nsearch_template = \"https://n.example/?q={query}\"\n[[feed]]\nname = \"s\"\nurl = \"https://x.org/\"\nsearch = \"a\"\n",
        )
        .unwrap_err()
        .0;
        assert!(e.contains("both url and search"), "{e}");
    }

    #[test]
    fn the_repository_feeds_toml_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds.toml");
        let c = Config::load(&path).unwrap();
        assert!(c.feeds.len() >= 10);
        // The starter list's East Kalimantan outlets without a feed, and a place search.
        assert!(c.feeds.iter().filter(|f| f.site().is_some()).count() >= 10);
        assert!(c.feeds.iter().any(|f| matches!(
            &f.source,
            SourceKind::Feed { search: Some(q) } if q.contains("Sangatta")
        )));
        assert_eq!(c.daemon.log_format, Some(LogFormat::Human));
    }
}
