//! Full-text search over the FTS5 index. The MATCH expression comes from
//! `search::query`, which renders the user's query with every term quoted; filters are
//! bound parameters. Nothing the user typed is spliced into SQL.

use rusqlite::types::Value;
use serde::Serialize;

use super::{Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Relevance,
    Newest,
    Oldest,
}

#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// An FTS5 expression built by `search::query::Query::to_fts5`.
    pub fts: String,
    pub feeds: Vec<String>,
    pub region: Option<String>,
    pub tag: Option<String>,
    pub language: Option<String>,
    /// Unix seconds, inclusive.
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub limit: usize,
    pub sort: SortOrder,
    /// One row per copy instead of one per story.
    pub all: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub id: i64,
    pub title: String,
    pub url: String,
    pub feed: String,
    pub published: Option<String>,
    pub fetched: String,
    pub language: Option<String>,
    pub snippet: String,
    pub score: f64,
    pub story: i64,
    pub copies: i64,
}

/// Title matches count five times a body match: a word in the headline says more about
/// what the article is about than the same word in its tenth paragraph.
const BM25: &str = "bm25(articles_fts, 5.0, 1.0)";

impl Store {
    pub fn search(&self, req: &SearchRequest) -> Result<Vec<SearchHit>, StoreError> {
        let mut filters = String::new();
        let mut args: Vec<Value> = vec![Value::Text(req.fts.clone())];
        // A filter on where an article was seen holds if any of its copies qualifies: an
        // article first archived from feed A and later seen in feed B is in B too.
        let mut place = Vec::new();
        if !req.feeds.is_empty() {
            let marks: Vec<String> = req
                .feeds
                .iter()
                .map(|f| {
                    args.push(Value::Text(f.clone()));
                    format!("?{}", args.len())
                })
                .collect();
            place.push(format!("pf.name IN ({})", marks.join(", ")));
        }
        if let Some(region) = &req.region {
            args.push(Value::Text(region.clone()));
            place.push(format!("pf.region = ?{} COLLATE NOCASE", args.len()));
        }
        if let Some(tag) = &req.tag {
            args.push(Value::Text(tag.clone()));
            place.push(format!(
                "EXISTS (SELECT 1 FROM json_each(pf.tags) WHERE json_each.value = ?{} COLLATE NOCASE)",
                args.len()
            ));
        }
        let place_sql = |copy: &str| -> String {
            if place.is_empty() {
                String::new()
            } else {
                format!(
                    " AND EXISTS (SELECT 1 FROM copies pc JOIN feeds pf ON pf.id = pc.feed_id
                         WHERE {copy} AND {})",
                    place.join(" AND ")
                )
            }
        };
        if let Some(lang) = &req.language {
            args.push(Value::Text(lang.to_ascii_lowercase()));
            filters.push_str(&format!(" AND a.language = ?{}", args.len()));
        }
        if let Some(since) = req.since {
            args.push(Value::Integer(since));
            filters.push_str(&format!(
                " AND coalesce(a.published_ts, a.fetched_ts) >= ?{}",
                args.len()
            ));
        }
        if let Some(until) = req.until {
            args.push(Value::Integer(until));
            filters.push_str(&format!(
                " AND coalesce(a.published_ts, a.fetched_ts) <= ?{}",
                args.len()
            ));
        }
        let order = match req.sort {
            SortOrder::Relevance if req.all => "m.rank, m.id",
            SortOrder::Relevance => "m.story_rank, m.id",
            SortOrder::Newest => "m.t DESC, m.id DESC",
            SortOrder::Oldest => "m.t ASC, m.id ASC",
        };
        args.push(Value::Integer(req.limit.min(i64::MAX as usize) as i64));
        let limit = args.len();
        let copies_of_story =
            "(SELECT count(*) FROM copies c2 JOIN articles a2 ON a2.id = c2.article_id
                                WHERE a2.story_id = m.story_id)";
        let sql = if req.all {
            format!(
                "WITH m AS (
                     SELECT a.id, a.story_id, {BM25} AS rank,
                            coalesce(a.published_ts, a.fetched_ts) AS t
                     FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
                     WHERE articles_fts MATCH ?1 {filters}
                 )
                 SELECT m.id, a.title, c.url, f.name, a.published, a.fetched, a.language,
                        m.rank, m.story_id, {copies_of_story}
                 FROM m JOIN articles a ON a.id = m.id
                      JOIN copies c ON c.article_id = m.id JOIN feeds f ON f.id = c.feed_id
                 WHERE 1 {place}
                 ORDER BY {order}, c.id LIMIT ?{limit}",
                place = place_sql("pc.id = c.id"),
            )
        } else {
            format!(
                "WITH m AS (
                     SELECT a.id, a.story_id, {BM25} AS rank,
                            coalesce(a.published_ts, a.fetched_ts) AS t
                     FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
                     WHERE articles_fts MATCH ?1 {filters} {place}
                 ),
                 -- One row per story: its representative when that matched, else its best
                 -- match; ranked by the story's best match.
                 best AS (
                     SELECT m.*, min(m.rank) OVER (PARTITION BY m.story_id) AS story_rank,
                            row_number() OVER (PARTITION BY m.story_id
                                ORDER BY (m.id = s.representative) DESC, m.rank, m.id) AS rn
                     FROM m JOIN stories s ON s.id = m.story_id
                 )
                 SELECT m.id, a.title, a.url, f.name, a.published, a.fetched, a.language,
                        m.story_rank, m.story_id, {copies_of_story}
                 FROM best m JOIN articles a ON a.id = m.id JOIN feeds f ON f.id = a.feed_id
                 WHERE m.rn = 1
                 ORDER BY {order} LIMIT ?{limit}",
                place = place_sql("pc.article_id = a.id"),
            )
        };
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                Ok(SearchHit {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    url: r.get(2)?,
                    feed: r.get(3)?,
                    published: r.get(4)?,
                    fetched: r.get(5)?,
                    language: r.get(6)?,
                    snippet: String::new(),
                    score: -r.get::<_, f64>(7)?,
                    story: r.get(8)?,
                    copies: r.get(9)?,
                })
            })
            .map_err(|e| self.err(e))?;
        let mut hits: Vec<SearchHit> = rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?;
        // Snippets only for the rows shown: snippet() re-tokenises the body, which is the
        // dearest part of a query.
        let mut snip = self
            .conn
            .prepare_cached(
                "SELECT snippet(articles_fts, 1, '[', ']', '…', 24) FROM articles_fts
                 WHERE articles_fts MATCH ?1 AND rowid = ?2",
            )
            .map_err(|e| self.err(e))?;
        for hit in &mut hits {
            hit.snippet = snip
                .query_row(rusqlite::params![req.fts, hit.id], |r| {
                    r.get::<_, String>(0)
                })
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
        }
        Ok(hits)
    }
}
