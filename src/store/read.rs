//! Reads for `show`, `feeds` and `stats`.

use super::db::{OptionalExtension, params};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Store, StoreError};
use crate::model::Partial;

/// One place (URL) a story was seen, however many feeds carried it there.
#[derive(Debug, Clone, Serialize)]
pub struct CopyView {
    /// The article this copy is of.
    pub id: i64,
    pub url: String,
    /// The feed it was first seen in.
    pub feed: String,
    /// Every feed it was seen in, the first one first.
    pub feeds: Vec<String>,
    pub first_seen: String,
    pub published: Option<String>,
    /// The copy published first (seen first, where dates are missing).
    pub earliest: bool,
    /// Why this place counts as part of the story: `new` (the story's or an article's
    /// first place), `minhash` (a near-duplicate body), `same-url`, `same-body`.
    pub method: String,
    pub similarity: Option<f64>,
}

/// An earlier text of a revised article.
#[derive(Debug, Clone, Serialize)]
pub struct VersionView {
    pub version: i64,
    pub title: String,
    pub fetched: String,
    pub body: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArticleView {
    pub id: i64,
    pub title: String,
    pub url: String,
    pub feed: String,
    pub published: Option<String>,
    pub fetched: String,
    pub language: Option<String>,
    pub story: i64,
    pub copies: i64,
    pub author: Option<String>,
    pub body: String,
    /// Where the body came from: `page` (extracted) or `feed` (the feed's own text).
    pub source: String,
    pub note: Option<String>,
    /// Why only part of the article was on its page (`paywall`), or null.
    pub partial: Option<Partial>,
    /// When a revisit found the page taken down (RFC 3339), or null while it is up.
    pub removed: Option<String>,
    /// The text's version: 1, or more after the publisher revised it.
    pub version: i64,
    /// Every place the story was seen, this article's own included, in order of
    /// publication.
    pub story_copies: Vec<CopyView>,
    /// `story_copies` less this article's own first place.
    pub other_copies: Vec<CopyView>,
    /// How many texts the archive holds of it (the contract's `versions`: the current one
    /// and the earlier ones).
    pub versions: i64,
    /// Earlier texts, oldest first (filled by [`Store::versions`] on request, `show
    /// --versions`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earlier_versions: Option<Vec<VersionView>>,
    #[serde(skip)]
    pub body_html: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FeedRow {
    pub name: String,
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
}

#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub feeds: i64,
    pub articles: i64,
    pub stories: i64,
    pub copies: i64,
    pub duplicates: i64,
    pub articles_24h: i64,
    pub from_feed_text: i64,
    pub pending_pages: i64,
    /// Articles their publisher revised after they were archived (more than one version).
    pub revised: i64,
    /// Articles a revisit found taken down.
    pub removed: i64,
    pub database_bytes: i64,
}

/// A story: every place it was seen, in order of publication (`/api/stories/{id}`).
#[derive(Debug, Clone, Serialize)]
pub struct StoryView {
    pub id: i64,
    /// The article shown for the story in search results.
    pub representative: i64,
    pub title: String,
    /// Distinct articles (texts) among its places.
    pub articles: i64,
    pub copies: Vec<CopyView>,
}

impl Store {
    /// A story by id; a story merged into another is read as that one.
    pub fn story(&self, id: i64) -> Result<Option<StoryView>, StoreError> {
        let row: Option<(i64, Option<i64>)> = self
            .conn
            .query_row(
                "SELECT coalesce(s.merged_into, s.id),
                        coalesce(s.representative, (SELECT min(a.id) FROM articles a
                                                    WHERE a.story_id = coalesce(s.merged_into, s.id)))
                 FROM stories s WHERE s.id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((story, Some(representative))) = row else {
            return Ok(None);
        };
        let Some(view) = self.article(representative)? else {
            return Ok(None);
        };
        let mut ids: Vec<i64> = view.story_copies.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(Some(StoryView {
            id: story,
            representative,
            title: view.title,
            articles: ids.len() as i64,
            copies: view.story_copies,
        }))
    }

    pub fn article(&self, id: i64) -> Result<Option<ArticleView>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT a.id, a.title, a.url, f.name, a.published, a.fetched, a.language,
                        a.story_id, a.author, a.body, a.source, a.note, a.body_html, a.feed_id,
                        a.version, a.partial, a.removed
                 FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE a.id = ?1",
                [id],
                |r| {
                    Ok((
                        ArticleView {
                            id: r.get(0)?,
                            title: r.get(1)?,
                            url: r.get(2)?,
                            feed: r.get(3)?,
                            published: r.get(4)?,
                            fetched: r.get(5)?,
                            language: r.get(6)?,
                            story: r.get(7)?,
                            copies: 0,
                            author: r.get(8)?,
                            body: r.get(9)?,
                            source: r.get(10)?,
                            note: r.get(11)?,
                            partial: r
                                .get::<_, Option<String>>(15)?
                                .as_deref()
                                .and_then(Partial::parse),
                            removed: r.get(16)?,
                            version: r.get(14)?,
                            versions: r.get(14)?,
                            story_copies: Vec::new(),
                            other_copies: Vec::new(),
                            earlier_versions: None,
                            body_html: r.get(12)?,
                        },
                        r.get::<_, i64>(13)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((mut view, feed_id)) = row else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare(
                "SELECT c.article_id, c.url, f.name, c.first_seen, c.published, c.feed_id,
                        c.method, c.similarity, a.published_ts, c.id
                 FROM copies c JOIN articles a ON a.id = c.article_id JOIN feeds f ON f.id = c.feed_id
                 WHERE a.story_id = ?1",
            )
            .map_err(|e| self.err(e))?;
        // (copy, its feed id, its article's publication time, sort key, copy row id)
        let mut copies: Vec<(CopyView, i64, Option<i64>, i64, i64)> = stmt
            .query_map([view.story], |r| {
                Ok((
                    CopyView {
                        id: r.get(0)?,
                        url: r.get(1)?,
                        feed: r.get(2)?,
                        feeds: Vec::new(),
                        first_seen: r.get(3)?,
                        published: r.get(4)?,
                        earliest: false,
                        method: r.get(6)?,
                        similarity: r.get(7)?,
                    },
                    r.get(5)?,
                    r.get(8)?,
                    0,
                    r.get(9)?,
                ))
            })
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        // Publication order: a copy's own date, else its article's, else when it was seen.
        for c in &mut copies {
            c.3 =
                c.0.published
                    .as_deref()
                    .and_then(|p| DateTime::parse_from_rfc3339(p).ok())
                    .map(|p| p.timestamp())
                    .or(c.2)
                    .unwrap_or(i64::MAX);
        }
        copies.sort_by(|a, b| (a.3, &a.0.first_seen, a.0.id).cmp(&(b.3, &b.0.first_seen, b.0.id)));
        // The article's own first place (its feed) is the one shown on top; every other
        // place the story was seen is an "other copy".
        let own_url = copies
            .iter()
            .filter(|(c, f, _, _, _)| c.id == view.id && *f == feed_id)
            .min_by_key(|(_, _, _, _, row)| *row)
            .map(|(c, _, _, _, _)| c.url.clone());
        // A copy is a place: the same URL reached through two feeds (a site's "terkini" and
        // "daerah" feeds) is one copy, listed once with both feeds.
        let mut places: Vec<CopyView> = Vec::new();
        for (mut c, _, _, _, _) in copies {
            match places.iter_mut().find(|p| p.id == c.id && p.url == c.url) {
                Some(place) => {
                    if !place.feeds.contains(&c.feed) {
                        place.feeds.push(c.feed);
                    }
                }
                None => {
                    c.feeds = vec![c.feed.clone()];
                    places.push(c);
                }
            }
        }
        if let Some(first) = places.first_mut() {
            first.earliest = true;
        }
        view.copies = places.len().max(1) as i64;
        view.other_copies = places
            .iter()
            .filter(|p| !(p.id == view.id && Some(&p.url) == own_url.as_ref()))
            .cloned()
            .collect();
        view.story_copies = places;
        Ok(Some(view))
    }

    /// An article's earlier texts, oldest first.
    pub fn versions(&self, id: i64) -> Result<Vec<VersionView>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT version, title, fetched, body FROM article_versions
                 WHERE article_id = ?1 ORDER BY version",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([id], |r| {
                Ok(VersionView {
                    version: r.get(0)?,
                    title: r.get(1)?,
                    fetched: r.get(2)?,
                    body: r.get(3)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Every feed row in the archive, by name, with its counts. `articles` is every article
    /// the feed carried, also those another feed brought in first; `pending_pages` those
    /// whose page this feed is still to fetch.
    pub fn feed_rows(&self) -> Result<Vec<FeedRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT f.name, f.url, f.state, f.last_poll, f.last_success, f.last_error,
                        f.consecutive_failures,
                        (SELECT count(DISTINCT c.article_id) FROM copies c WHERE c.feed_id = f.id),
                        (SELECT count(*) FROM articles a WHERE a.feed_id = f.id AND a.page_pending = 1),
                        f.next_poll, f.moved_to
                 FROM feeds f ORDER BY f.name",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(FeedRow {
                    name: r.get(0)?,
                    url: r.get(1)?,
                    state: r.get(2)?,
                    last_poll: r.get(3)?,
                    last_success: r.get(4)?,
                    last_error: r.get(5)?,
                    consecutive_failures: r.get(6)?,
                    articles: r.get(7)?,
                    pending_pages: r.get(8)?,
                    next_poll: r.get(9)?,
                    moved_to: r.get(10)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    pub fn stats(&self, feeds: i64, now: DateTime<Utc>) -> Result<Stats, StoreError> {
        let count = |sql: &str| -> Result<i64, StoreError> {
            self.conn
                .query_row(sql, [], |r| r.get(0))
                .map_err(|e| self.err(e))
        };
        let articles = count("SELECT count(*) FROM articles")?;
        // Places, not sightings: a URL two feeds carried is one copy.
        let copies = count("SELECT count(*) FROM (SELECT DISTINCT article_id, url FROM copies) d")?;
        let day_ago = (now - chrono::Duration::hours(24)).timestamp();
        let articles_24h = self
            .conn
            .query_row(
                "SELECT count(*) FROM articles WHERE fetched_ts >= ?1",
                params![day_ago],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        Ok(Stats {
            feeds,
            articles,
            stories: count(
                "SELECT count(*) FROM stories WHERE EXISTS (SELECT 1 FROM articles a WHERE a.story_id = stories.id)",
            )?,
            copies,
            duplicates: copies - articles,
            articles_24h,
            from_feed_text: count("SELECT count(*) FROM articles WHERE source = 'feed'")?,
            pending_pages: count("SELECT count(*) FROM articles WHERE page_pending = 1")?,
            revised: count("SELECT count(*) FROM articles WHERE version > 1")?,
            removed: count("SELECT count(*) FROM articles WHERE removed IS NOT NULL")?,
            // On disk, as /metrics reports it: the file and its write-ahead log; on
            // PostgreSQL, the database's size as the server counts it.
            database_bytes: if self.conn.is_pg() {
                count("SELECT pg_database_size(current_database())")?
            } else {
                i64::try_from(super::maintenance::archive_bytes(&self.path)).unwrap_or(i64::MAX)
            },
        })
    }

    /// `PRAGMA integrity_check`, for tests and operators.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        self.conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Names of feeds that exist in the archive (configured now or in the past).
    pub fn feed_names(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM feeds ORDER BY name")
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}
