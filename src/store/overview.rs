//! Counts for the web interface's overview and feeds pages: articles a day, the sites that
//! carried most, the stories that spread widest. Each reads a bounded window of time through
//! the articles' time index (publication, else fetch), never the whole archive.

use super::db::params;

use super::{Store, StoreError};

/// A URL's host in SQL: what lies between `://` and the next `/` (port included).
pub(super) fn host(dialect: super::db::Dialect) -> &'static str {
    match dialect {
        super::db::Dialect::Sqlite => {
            "substr(substr(c.url, instr(c.url, '://') + 3), 1,
                CASE WHEN instr(substr(c.url, instr(c.url, '://') + 3), '/') > 0
                     THEN instr(substr(c.url, instr(c.url, '://') + 3), '/') - 1
                     ELSE length(c.url) END)"
        }
        super::db::Dialect::Postgres => "split_part(split_part(c.url, '://', 2), '/', 1)",
    }
}

/// A story that spread: its representative's title and the sites it reached.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Spread {
    pub story: i64,
    pub title: String,
    pub sites: i64,
}

impl Store {
    /// Articles a day from `since` (unix seconds), days counted in a zone `offset` seconds
    /// east of UTC: (day number since the epoch, articles), oldest first.
    pub fn articles_per_day(&self, since: i64, offset: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT (coalesce(published_ts, fetched_ts) + ?2) / 86400 AS day, count(*)
                 FROM articles WHERE coalesce(published_ts, fetched_ts) >= ?1
                   AND coalesce(published_ts, fetched_ts) <= ?3 + 86400
                 GROUP BY day ORDER BY day",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(
                params![since, offset, chrono::Utc::now().timestamp()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Articles a day from `since` for each feed, counting every article a feed carried
    /// (a syndicated release counts for each feed it came through): (feed name, day, articles).
    pub fn feed_articles_per_day(
        &self,
        since: i64,
        offset: i64,
    ) -> Result<Vec<(String, i64, i64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT f.name, (coalesce(a.published_ts, a.fetched_ts) + ?2) / 86400 AS day,
                        count(DISTINCT a.id)
                 FROM articles a JOIN copies c ON c.article_id = a.id
                      JOIN feeds f ON f.id = c.feed_id
                 WHERE coalesce(a.published_ts, a.fetched_ts) >= ?1
                 GROUP BY f.name, day",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![since, offset], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The sites that carried the most articles from `since`: (host, places), most first.
    pub fn top_sites(&self, since: i64, limit: usize) -> Result<Vec<(String, i64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {host} AS host, count(DISTINCT c.article_id)
                 FROM articles a JOIN copies c ON c.article_id = a.id
                 WHERE coalesce(a.published_ts, a.fetched_ts) >= ?1
                 GROUP BY host ORDER BY 2 DESC, host LIMIT ?2",
                host = host(self.conn.dialect())
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![since, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The stories from `since` seen on the most sites, widest first (ties: newest first).
    pub fn widest_stories(&self, since: i64, limit: usize) -> Result<Vec<Spread>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT a.story_id, count(DISTINCT {host}) AS sites,
                        (SELECT r.title FROM stories s JOIN articles r
                           ON r.id = coalesce(s.representative,
                                              (SELECT min(x.id) FROM articles x WHERE x.story_id = s.id))
                         WHERE s.id = a.story_id)
                 FROM articles a JOIN copies c ON c.article_id = a.id
                 WHERE coalesce(a.published_ts, a.fetched_ts) >= ?1
                 GROUP BY a.story_id HAVING count(DISTINCT {host}) > 1
                 ORDER BY sites DESC, max(coalesce(a.published_ts, a.fetched_ts)) DESC LIMIT ?2",
                host = host(self.conn.dialect())
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![since, limit as i64], |r| {
                Ok(Spread {
                    story: r.get(0)?,
                    sites: r.get(1)?,
                    title: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}
