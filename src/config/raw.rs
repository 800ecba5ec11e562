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
    #[serde(default)]
    pub feed: Vec<RawFeed>,
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
    pub keep_raw_html: Option<bool>,
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
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    pub default: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeed {
    pub name: Spanned<String>,
    pub url: Spanned<String>,
    pub title: Option<String>,
    pub region: Option<String>,
    pub language: Option<Spanned<String>>,
    pub tags: Option<Vec<String>>,
    pub schedule: Option<Spanned<String>>,
    pub enabled: Option<bool>,
    pub full_text: Option<bool>,
    pub per_host_delay: Option<Spanned<String>>,
    pub extract: Option<RawExtract>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExtract {
    pub body: Spanned<String>,
    pub remove: Option<Vec<String>>,
}
