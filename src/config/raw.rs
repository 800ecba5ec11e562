//! The serde mirror of feeds.toml. Every table denies unknown keys; values that need checking
//! keep their span so that errors can name the line.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub archive: Option<RawArchive>,
    pub fetch: Option<RawFetch>,
    pub schedule: Option<RawSchedule>,
    pub search: Option<RawSearch>,
    pub daemon: Option<RawDaemon>,
    pub display: Option<RawDisplay>,
    pub sources: Option<RawSources>,
    pub revisit: Option<RawRevisit>,
    #[serde(default)]
    pub feed: Vec<RawFeed>,
    #[serde(default)]
    pub site: Vec<RawSite>,
    #[serde(default)]
    pub watch: Vec<RawWatch>,
    pub notify: Option<RawNotify>,
    pub serve: Option<RawServe>,
}

/// `[serve]`: the web interface of `warta serve`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServe {
    pub listen: Option<Spanned<String>>,
    pub token_env: Option<Spanned<String>>,
    pub token_file: Option<Spanned<String>>,
}

/// `[notify.*]`: how alerts reach e-mail, Telegram and webhooks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotify {
    pub smtp: Option<RawSmtp>,
    pub telegram: Option<RawTelegram>,
    pub webhook: Option<RawWebhook>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSmtp {
    pub host: Spanned<String>,
    pub port: Option<Spanned<i64>>,
    pub from: Spanned<String>,
    pub user: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<String>,
    pub starttls: Option<bool>,
    pub ca_file: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTelegram {
    pub token_env: Option<Spanned<String>>,
    pub token_file: Option<Spanned<String>>,
    pub api: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhook {
    pub secret_env: Option<Spanned<String>>,
    pub secret_file: Option<Spanned<String>>,
}

/// A `[[watch]]`: a saved search and where its alerts go.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWatch {
    pub name: Spanned<String>,
    pub query: Spanned<String>,
    pub feeds: Option<Spanned<Vec<String>>>,
    pub region: Option<String>,
    pub tags: Option<Vec<String>>,
    pub notify: Option<Spanned<Vec<String>>>,
    pub digest: Option<Spanned<String>>,
    pub atom: Option<Spanned<String>>,
    pub on_revision: Option<bool>,
}

/// `[sources]`: defaults for site sources and the news-search feed template.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSources {
    pub search_template: Option<Spanned<String>>,
    pub horizon: Option<Spanned<String>>,
    pub max_pages: Option<Spanned<i64>>,
    pub listing_depth: Option<Spanned<i64>>,
}

/// `[revisit]`: when archived articles are fetched again.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRevisit {
    pub after: Option<Spanned<Vec<String>>>,
    pub share: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSearch {
    pub aliases: Option<Vec<Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDaemon {
    pub listen: Option<Spanned<String>>,
    pub log_format: Option<Spanned<String>>,
    pub serve: Option<bool>,
    pub lease: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDisplay {
    pub timezone: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArchive {
    pub path: Option<Spanned<String>>,
    pub url: Option<Spanned<String>>,
    pub password_env: Option<Spanned<String>>,
    pub password_file: Option<Spanned<String>>,
    pub keep_raw_html: Option<Spanned<bool>>,
    pub keep_raw: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFetch {
    pub user_agent: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub concurrency: Option<Spanned<i64>>,
    pub per_host_delay: Option<Spanned<String>>,
    pub max_body: Option<Spanned<String>>,
    pub respect_robots: Option<bool>,
    pub allow_private_addresses: Option<bool>,
    pub proxy: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    pub default: Option<Spanned<String>>,
    pub floor: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeed {
    pub name: Spanned<String>,
    /// Required unless `search` builds it.
    pub url: Option<Spanned<String>>,
    pub search: Option<Spanned<String>>,
    pub title: Option<String>,
    pub region: Option<String>,
    pub language: Option<Spanned<String>>,
    pub tags: Option<Vec<String>>,
    pub schedule: Option<Spanned<String>>,
    pub enabled: Option<bool>,
    pub full_text: Option<bool>,
    pub revisit: Option<bool>,
    pub per_host_delay: Option<Spanned<String>>,
    pub headers: Option<Spanned<std::collections::BTreeMap<String, String>>>,
    pub user_agent: Option<Spanned<String>>,
    pub cookies: Option<Spanned<std::collections::BTreeMap<String, String>>>,
    pub proxy: Option<Spanned<String>>,
    pub auth: Option<Spanned<RawAuth>>,
    pub extract: Option<RawExtract>,
}

/// A `[[site]]`: the keys of a feed (but `full_text`: a site has only pages) and how its
/// article links are found.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSite {
    pub name: Spanned<String>,
    pub url: Spanned<String>,
    pub title: Option<String>,
    pub region: Option<String>,
    pub language: Option<Spanned<String>>,
    pub tags: Option<Vec<String>>,
    pub schedule: Option<Spanned<String>>,
    pub enabled: Option<bool>,
    pub revisit: Option<bool>,
    pub per_host_delay: Option<Spanned<String>>,
    pub headers: Option<Spanned<std::collections::BTreeMap<String, String>>>,
    pub user_agent: Option<Spanned<String>>,
    pub cookies: Option<Spanned<std::collections::BTreeMap<String, String>>>,
    pub proxy: Option<Spanned<String>>,
    pub auth: Option<Spanned<RawAuth>>,
    pub extract: Option<RawExtract>,
    pub sitemap: Option<Spanned<OneOrMany>>,
    pub pages: Option<Spanned<Vec<String>>>,
    pub article_pattern: Option<Spanned<String>>,
    pub horizon: Option<Spanned<String>>,
    pub max_pages: Option<Spanned<i64>>,
    pub listing_depth: Option<Spanned<i64>>,
}

/// `auth = { user = "…", password_env = "…" }` (or `password_file`): HTTP basic auth.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAuth {
    pub user: String,
    pub password_env: Option<String>,
    pub password_file: Option<String>,
}

/// The request keys a `[[feed]]` and a `[[site]]` share, gathered.
#[derive(Debug, Default)]
pub struct RawRequest {
    pub headers: Option<Spanned<std::collections::BTreeMap<String, String>>>,
    pub user_agent: Option<Spanned<String>>,
    pub cookies: Option<Spanned<std::collections::BTreeMap<String, String>>>,
    pub auth: Option<Spanned<RawAuth>>,
    pub proxy: Option<Spanned<String>>,
}

/// `sitemap = "…"` or `sitemap = ["…", "…"]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExtract {
    pub body: Spanned<String>,
    pub remove: Option<Vec<String>>,
}
