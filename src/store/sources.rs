//! What the archive remembers about sources that are sites, not feeds (issue 13): each
//! sitemap file's validators, the listed URLs that are not articles, and how a site is
//! best read. Articles themselves go through the same write path as a feed's.

use std::collections::{HashMap, HashSet};

use super::db::{Conn, OptionalExtension, params};
use chrono::{DateTime, Utc};
use url::Url;

use super::{Store, StoreError};
use crate::fetch::Validators;
use crate::model::rfc3339;

/// A sitemap file as last read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceFile {
    pub validators: Validators,
    /// The `<lastmod>` its index gave it then: the same again means it is not read again.
    pub lastmod: Option<String>,
}

/// Why a URL a site listed is not archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlVerdict {
    /// The page was read and is not an article (a tag, author or section page).
    NotArticle,
    /// The page could not be fetched (gone, refused by robots.txt, too large).
    Failed,
}

impl UrlVerdict {
    fn as_str(self) -> &'static str {
        match self {
            UrlVerdict::NotArticle => "not-article",
            UrlVerdict::Failed => "failed",
        }
    }
}

/// How a site is read, found once and remembered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteMemory {
    pub way: SiteWay,
    /// What polls learned of the site's article addresses (JSON, `source::listing::Learned`).
    pub pattern: Option<String>,
}

/// The way into a site that has no feed in the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteWay {
    /// Its sitemaps, at these addresses.
    Sitemaps(Vec<Url>),
    /// Its WordPress REST API, with this root.
    WordpressApi(Url),
    /// The feed its home page names.
    Feed(Url),
    /// Its home page, read as a listing.
    HomePage,
    /// Where its config says: nothing was looked for.
    Configured,
}

impl SiteWay {
    /// The `method` and `detail` columns.
    fn columns(&self) -> (&'static str, String) {
        let urls = |list: &[Url]| list.iter().map(Url::to_string).collect::<Vec<_>>();
        match self {
            SiteWay::Sitemaps(list) => (
                "sitemap",
                serde_json::json!({ "sitemaps": urls(list) }).to_string(),
            ),
            SiteWay::WordpressApi(root) => (
                "wordpress-api",
                serde_json::json!({ "api": root.as_str() }).to_string(),
            ),
            SiteWay::Feed(url) => (
                "feed",
                serde_json::json!({ "feed": url.as_str() }).to_string(),
            ),
            SiteWay::HomePage => ("listing", "{}".into()),
            SiteWay::Configured => ("configured", "{}".into()),
        }
    }

    /// From the columns; None when they do not make sense (the site is then looked at
    /// afresh).
    fn from_columns(method: &str, detail: &str) -> Option<SiteWay> {
        let detail: serde_json::Value = serde_json::from_str(detail).ok()?;
        let url = |key: &str| Url::parse(detail.get(key)?.as_str()?).ok();
        Some(match method {
            "sitemap" => {
                let list: Vec<Url> = detail
                    .get("sitemaps")?
                    .as_array()?
                    .iter()
                    .filter_map(|u| Url::parse(u.as_str()?).ok())
                    .collect();
                if list.is_empty() {
                    return None;
                }
                SiteWay::Sitemaps(list)
            }
            "wordpress-api" => SiteWay::WordpressApi(url("api")?),
            "feed" => SiteWay::Feed(url("feed")?),
            "listing" => SiteWay::HomePage,
            "configured" => SiteWay::Configured,
            _ => return None,
        })
    }
}

/// How many keys one statement asks about (well under SQLite's bound on parameters).
const KEYS_PER_QUERY: usize = 400;

impl Store {
    /// Every sitemap file of the source as last read, by URL.
    pub fn source_files(&self, feed_id: i64) -> Result<HashMap<String, SourceFile>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT url, etag, last_modified, lastmod FROM source_files WHERE feed_id = ?1",
            )
            .and_then(|mut s| {
                s.query_map([feed_id], |r| {
                    Ok((
                        r.get(0)?,
                        SourceFile {
                            validators: Validators {
                                etag: r.get(1)?,
                                last_modified: r.get(2)?,
                            },
                            lastmod: r.get(3)?,
                        },
                    ))
                })?
                .collect()
            })
            .map_err(|e| self.err(e))
    }

    /// Which of `keys` (URL keys, `dedup::url_key`) need no fetch: archived already, from
    /// any source, or listed by this site before and found not to be an article, or failed
    /// since `retry_from` (a failure is tried again once it is older).
    pub fn known_keys(
        &self,
        feed_id: i64,
        keys: &[String],
        retry_from: DateTime<Utc>,
    ) -> Result<Vec<bool>, StoreError> {
        let retry_from = rfc3339(&retry_from);
        let mut known = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(KEYS_PER_QUERY) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT key FROM url_keys WHERE key IN ({marks})
                 UNION SELECT key FROM site_urls WHERE feed_id = ? AND key IN ({marks})
                     AND (verdict = 'not-article' OR seen >= ?)"
            );
            let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
            let args = chunk
                .iter()
                .map(|k| k as &dyn super::db::ToSql)
                .chain(std::iter::once(&feed_id as &dyn super::db::ToSql))
                .chain(chunk.iter().map(|k| k as &dyn super::db::ToSql))
                .chain(std::iter::once(&retry_from as &dyn super::db::ToSql));
            let found: HashSet<String> = stmt
                .query_map(super::db::params_from_iter(args), |r| r.get(0))
                .and_then(|rows| rows.collect())
                .map_err(|e| self.err(e))?;
            known.extend(chunk.iter().map(|k| found.contains(k)));
        }
        Ok(known)
    }

    /// Forgets how the site is read, so the next poll looks again (what it remembered
    /// stopped working).
    pub fn forget_site(&self, feed_id: i64) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM site_memory WHERE feed_id = ?1", [feed_id])
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    pub fn site_memory(&self, feed_id: i64) -> Result<Option<SiteMemory>, StoreError> {
        self.conn
            .prepare_cached("SELECT method, detail, pattern FROM site_memory WHERE feed_id = ?1")
            .and_then(|mut s| {
                s.query_row([feed_id], |r| {
                    let (method, detail): (String, String) = (r.get(0)?, r.get(1)?);
                    Ok(
                        SiteWay::from_columns(&method, &detail).map(|way| SiteMemory {
                            way,
                            pattern: r.get(2).ok().flatten(),
                        }),
                    )
                })
                .optional()
            })
            .map(Option::flatten)
            .map_err(|e| self.err(e))
    }

    /// Remembers how the site is read; what was learned of its addresses stays.
    pub fn remember_way(
        &self,
        feed_id: i64,
        way: &SiteWay,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (method, detail) = way.columns();
        self.conn
            .prepare_cached(
                "INSERT INTO site_memory (feed_id, method, detail, updated) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(feed_id) DO UPDATE SET method = excluded.method,
                     detail = excluded.detail, updated = excluded.updated",
            )
            .and_then(|mut s| s.execute(params![feed_id, method, detail, rfc3339(&now)]))
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Remembers what was learned of the site's article addresses; how it is read stays
    /// (a site with none yet is read as its config says).
    pub fn remember_pattern(
        &self,
        feed_id: i64,
        pattern: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (method, detail) = SiteWay::Configured.columns();
        self.conn
            .prepare_cached(
                "INSERT INTO site_memory (feed_id, method, detail, pattern, updated)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(feed_id) DO UPDATE SET pattern = excluded.pattern,
                     updated = excluded.updated",
            )
            .and_then(|mut s| s.execute(params![feed_id, method, detail, pattern, rfc3339(&now)]))
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}

/// Records a sitemap file as read (inside the poll's last transaction).
pub(super) fn record_source_file(
    conn: &Conn,
    feed_id: i64,
    url: &str,
    file: &SourceFile,
    now: DateTime<Utc>,
) -> super::db::Result<()> {
    conn.prepare_cached(
        "INSERT INTO source_files (feed_id, url, etag, last_modified, lastmod, read_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(feed_id, url) DO UPDATE SET etag = excluded.etag,
             last_modified = excluded.last_modified, lastmod = excluded.lastmod,
             read_at = excluded.read_at",
    )?
    .execute(params![
        feed_id,
        url,
        file.validators.etag,
        file.validators.last_modified,
        file.lastmod,
        rfc3339(&now),
    ])
    .map(|_| ())
}

/// Remembers why a listed page is not archived (inside the batch's transaction).
pub(super) fn mark_site_url(
    conn: &Conn,
    feed_id: i64,
    key: &str,
    verdict: UrlVerdict,
    now: &str,
) -> super::db::Result<()> {
    conn.prepare_cached(
        "INSERT INTO site_urls (feed_id, key, verdict, seen) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(feed_id, key) DO UPDATE SET verdict = excluded.verdict,
             seen = excluded.seen",
    )?
    .execute(params![feed_id, key, verdict.as_str(), now])
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db")).unwrap();
        (dir, store)
    }

    fn feed(store: &Store, name: &str) -> i64 {
        store
            .conn
            .execute(
                "INSERT INTO feeds (name, url) VALUES (?1, 'https://site.example/')",
                [name],
            )
            .unwrap();
        store.conn.last_insert_rowid().unwrap()
    }

    #[test]
    fn a_sitemap_file_keeps_its_validators_and_lastmod() {
        let (_d, store) = store();
        let id = feed(&store, "s");
        let url = "https://site.example/sitemap.xml";
        assert!(store.source_files(id).unwrap().is_empty());
        let file = SourceFile {
            validators: Validators {
                etag: Some("\"v1\"".into()),
                last_modified: None,
            },
            lastmod: Some("2024-11-20T10:15:00+08:00".into()),
        };
        record_source_file(&store.conn, id, url, &file, Utc::now()).unwrap();
        assert_eq!(store.source_files(id).unwrap().get(url), Some(&file));
        let newer = SourceFile {
            lastmod: Some("2024-11-21T00:00:00+08:00".into()),
            ..file
        };
        record_source_file(&store.conn, id, url, &newer, Utc::now()).unwrap();
        let files = store.source_files(id).unwrap();
        assert_eq!((files.len(), files.get(url)), (1, Some(&newer)));
    }

    #[test]
    fn known_keys_are_archived_ones_this_sites_non_articles_and_recent_failures() {
        let (_d, store) = store();
        let a = feed(&store, "a");
        let b = feed(&store, "b");
        let now = Utc::now();
        let mark = |key: &str, verdict, at: DateTime<Utc>| {
            mark_site_url(&store.conn, a, key, verdict, &rfc3339(&at)).unwrap()
        };
        mark(
            "site.example/tag/banjir",
            UrlVerdict::NotArticle,
            now - chrono::Duration::days(30),
        );
        mark(
            "site.example/old-failure",
            UrlVerdict::Failed,
            now - chrono::Duration::days(2),
        );
        mark("site.example/new-failure", UrlVerdict::Failed, now);
        // More keys than one statement takes, so the chunks are joined in order.
        let keys: Vec<String> = (0..1000)
            .map(|i| format!("site.example/{i}"))
            .chain(
                ["tag/banjir", "old-failure", "new-failure"].map(|k| format!("site.example/{k}")),
            )
            .collect();
        let retry_from = now - chrono::Duration::days(1);
        let known = store.known_keys(a, &keys, retry_from).unwrap();
        assert_eq!(known.len(), keys.len());
        assert!(known[..1000].iter().all(|k| !k));
        assert_eq!(known[1000..], [true, false, true]);
        // Another site may still find an article there.
        assert!(!store.known_keys(b, &keys[1000..], retry_from).unwrap()[0]);
    }

    #[test]
    fn a_sites_way_and_what_was_learned_are_kept_apart() {
        let (_d, store) = store();
        let id = feed(&store, "s");
        assert_eq!(store.site_memory(id).unwrap(), None);
        // Learned before any way was found: the site is read as configured.
        store.remember_pattern(id, "{}", Utc::now()).unwrap();
        assert_eq!(
            store.site_memory(id).unwrap(),
            Some(SiteMemory {
                way: SiteWay::Configured,
                pattern: Some("{}".into())
            })
        );
        for way in [
            SiteWay::Sitemaps(vec![
                Url::parse("https://site.example/sitemap.xml").unwrap(),
            ]),
            SiteWay::WordpressApi(Url::parse("https://site.example/wp-json/").unwrap()),
            SiteWay::Feed(Url::parse("https://site.example/feed/").unwrap()),
            SiteWay::HomePage,
        ] {
            // A new way keeps what was learned, and is replaced, not added to.
            store.remember_way(id, &way, Utc::now()).unwrap();
            assert_eq!(
                store.site_memory(id).unwrap(),
                Some(SiteMemory {
                    way,
                    pattern: Some("{}".into())
                })
            );
        }
        // A row that makes no sense is no memory: the site is looked at afresh.
        store
            .conn
            .execute(
                "UPDATE site_memory SET method = 'sitemap', detail = '{}'",
                [],
            )
            .unwrap();
        assert_eq!(store.site_memory(id).unwrap(), None);
    }
}
