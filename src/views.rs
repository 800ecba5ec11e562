//! The JSON objects warta shows of its archive, shared by the command line (`--format
//! json`) and `warta serve`'s `/api`: one serializer for both, so a script can move between
//! them. Most are the store's own read types; the ones here join the store with the config.

use serde::Serialize;

use crate::config::Config;
use crate::store::FeedRow;

/// A configured source as `warta feeds --format json` and `/api/feeds` show it.
#[derive(Debug, Clone, Serialize)]
pub struct FeedView {
    pub name: String,
    /// `feed` or `site`.
    pub kind: &'static str,
    pub url: String,
    pub state: String,
    pub last_poll: Option<String>,
    pub last_success: Option<String>,
    pub last_error: Option<String>,
    pub consecutive_failures: i64,
    pub articles: i64,
    pub pending_pages: i64,
    pub next_poll: Option<String>,
    pub moved_to: Option<String>,
    pub schedule: Option<String>,
    pub region: Option<String>,
    pub tags: Vec<String>,
}

/// The config's sources, in its order, with what the archive knows of each.
pub fn feed_views(config: &Config, rows: &[FeedRow]) -> Vec<FeedView> {
    config
        .feeds
        .iter()
        .map(|f| {
            let row = rows.iter().find(|r| r.name == f.name.as_str());
            let state = if !f.enabled {
                "disabled".to_string()
            } else {
                row.map_or_else(|| "new".to_string(), |r| r.state.clone())
            };
            FeedView {
                name: f.name.to_string(),
                kind: if f.site().is_some() { "site" } else { "feed" },
                url: f.url.to_string(),
                state,
                last_poll: row.and_then(|r| r.last_poll.clone()),
                last_success: row.and_then(|r| r.last_success.clone()),
                last_error: row.and_then(|r| r.last_error.clone()),
                consecutive_failures: row.map_or(0, |r| r.consecutive_failures),
                articles: row.map_or(0, |r| r.articles),
                pending_pages: row.map_or(0, |r| r.pending_pages),
                next_poll: row.and_then(|r| r.next_poll.clone()),
                moved_to: row.and_then(|r| r.moved_to.clone()),
                schedule: Some(f.schedule.to_string()),
                region: f.region.clone(),
                tags: f.tags.clone(),
            }
        })
        .collect()
}
