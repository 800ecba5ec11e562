//! Full-text search over the FTS5 index. The MATCH expression comes from
//! `search::query`, which renders the user's query with every term quoted; filters are
//! bound parameters. Nothing the user typed is spliced into SQL.

use super::db::OptionalExtension;
use super::db::Value;
use serde::Serialize;

use super::{Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Relevance,
    /// Relevance, with older articles weighing less (halved at 30 days).
    Recent,
    Newest,
    Oldest,
}

#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// An FTS5 expression built by `search::query::Query::to_fts5`; None for a query of
    /// filters only.
    pub fts: Option<String>,
    /// Seen in any of these feeds.
    pub feeds: Vec<String>,
    pub region: Option<String>,
    /// Seen in a feed with any of these tags.
    pub tags: Vec<String>,
    pub language: Option<String>,
    /// Parts of the author's name, all required (case-insensitive).
    pub authors: Vec<String>,
    /// Seen on any of these hosts (subdomains included).
    pub sites: Vec<String>,
    /// Publication (else fetch) time ranges in Unix seconds, inclusive, all required.
    pub ranges: Vec<(Option<i64>, Option<i64>)>,
    pub limit: usize,
    pub offset: usize,
    pub sort: SortOrder,
    /// One row per copy instead of one per story.
    pub all: bool,
    /// Only articles taken down by their publisher (`articles.removed`).
    pub removed: bool,
    /// Only articles with more than one version.
    pub revised: bool,
    /// Only this article (a watch checking a new one).
    pub only: Option<i64>,
    /// Unix seconds now, for `SortOrder::Recent`.
    pub now: i64,
    /// Rank only matches with a rowid (archive order) at least this: the newest ones of a
    /// very broad query (see [`Store::ranking_cutoff`]).
    pub min_rowid: Option<i64>,
    /// On PostgreSQL, the matches from `min_rowid` on themselves, found with it
    /// ([`Store::narrow_to_newest`]): ranked by id, without looking for them again.
    pub newest: Option<std::sync::Arc<[i64]>>,
    /// Rank at most this many matches (the newest); `search` works the cutoff out itself
    /// when `min_rowid` is not given. None ranks every match.
    pub rank_cap: Option<i64>,
    /// Where the articles dated within `ranges` lie among ids (see [`Store::bound_dates`]);
    /// worked out by the store when left `Unknown`.
    pub id_bounds: IdBounds,
}

/// The ids between which every article of a request's date ranges lies. Ids grow as
/// articles arrive, so the articles of a month sit close together: the index is read for
/// that stretch only, and no row outside it is fetched to look at its date (schema 11,
/// `id_months`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IdBounds {
    /// Not worked out yet.
    #[default]
    Unknown,
    /// No date range.
    Any,
    /// From the first id to the last, inclusive (first > last when no article is dated there).
    Within(i64, i64),
}

impl SearchRequest {
    /// Nothing but words selects: every match of the index is a match of the request, so
    /// the index alone can be read in its own order.
    pub fn words_alone(&self) -> bool {
        !self.has_filters() && self.only.is_none()
    }

    /// It selects by more than words: feeds, region, tags, language, author, site, dates,
    /// removed or revised.
    pub fn has_filters(&self) -> bool {
        !(self.feeds.is_empty()
            && self.region.is_none()
            && self.tags.is_empty()
            && self.language.is_none()
            && self.authors.is_empty()
            && self.sites.is_empty()
            && self.ranges.is_empty()
            && !self.removed
            && !self.revised)
    }
}

/// Matches ranked at most for a relevance sort of a query of up to four alternatives.
/// bm25 costs about half a microsecond per matching row and alternative, so a word in
/// every other article of a million-article archive would take a quarter second to rank;
/// the newest this-many matches rank in a few milliseconds, and the user is told.
pub const RANK_CAP: i64 = 20_000;

/// The matches to rank for an FTS5 expression: [`RANK_CAP`], less for an expression of
/// many alternatives (a prefix standing for 32 words, a name and its forms), so that the
/// work, rows times alternatives, stays what four alternatives cost.
pub fn rank_cap_for(fts: &str) -> i64 {
    // Every alternative is one quoted string (`search::query` quotes all user text, and
    // doubles a quote inside one, which counts twice: harmless here).
    let alternatives = (fts.matches('"').count() / 2).max(1) as i64;
    (RANK_CAP * 4 / alternatives.max(4)).max(RANK_CAP / 20)
}

/// The matches ranked when filters narrow the words: a quarter of the words' cap (at least
/// [`RANK_CAP`] / 20). A filtered match costs more than a score: a read of its row (its
/// date, its language) or a look among the feeds' articles, and matches that fail the
/// filters are read too. At 1,000,000 articles a common word within one feed or one year
/// took 150–250 ms to rank its newest 20,000; the newest 5,000 take a quarter of that.
/// PostgreSQL ranks the newest 1 / this of the matches SQLite ranks (see
/// [`Store::ranking_cutoff`]).
const PG_RANK_SHARE: i64 = 10;

pub fn filtered_rank_cap(cap: i64) -> i64 {
    (cap / 4).max(RANK_CAP / 20)
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

/// How many stories and copies match a query.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SearchCount {
    pub stories: i64,
    pub copies: i64,
}

/// For copy `c`: it is the first sighting of its place (article and URL), so that a page
/// two feeds carried is one copy, not two.
const FIRST_SIGHTING: &str = "c.id = (SELECT min(cf.id) FROM copies cf
                                       WHERE cf.article_id = c.article_id AND cf.url = c.url)";

/// Title matches count five times a body match: a word in the headline says more about
/// what the article is about than the same word in its tenth paragraph. A match on a
/// word's root (the stems column) counts half a body match, so exact matches rank first.
const BM25: &str = "bm25(articles_fts, 5.0, 1.0, 0.5)";

/// The SQL of the matching articles (`m`: id, story_id, rank, t) and its arguments.
struct Matches {
    cte: String,
    /// The matches as `FROM … WHERE … ORDER BY` newest first (alias `a` for the article),
    /// in an order the index reads without sorting, to stop early at a LIMIT: a query on
    /// `m` sorted by id would sort every match first.
    newest_first: String,
    /// `newest_first` without its order: `FROM … WHERE …`, to which a condition on `a.id`
    /// can be added (PostgreSQL's cutoffs, [`Store::newest_pg`]).
    filtered: String,
    /// The same as `newest_first` without the articles (`FROM articles_fts …`), when no
    /// filter reads an article's row: counting past the newest matches then reads the
    /// index alone (a common word in one feed at 1M: 115 → 43 ms).
    index_only: Option<String>,
    args: Vec<Value>,
    /// A predicate on copy `c` (alias given) for the place filters, or empty.
    place_on_copy: String,
    /// No words and no filters: every article matches.
    everything: bool,
}

/// Ids as a PostgreSQL array literal (`{1,2,3}`), bound as text and cast.
fn id_array(ids: &[i64]) -> Value {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    Value::Text(format!("{{{}}}", list.join(",")))
}

/// `top_k`: when set and nothing but the words filters, only the best `top_k` matches by
/// bm25 are taken, picked inside FTS5 before any join (the join and the story collapse then
/// touch a few dozen rows, not every match).
///
/// `pg`: the SQL is for PostgreSQL, whose index is `articles.fts` (`pg_search.rs`).
fn matches(req: &SearchRequest, top_k: Option<usize>, pg: bool) -> Matches {
    let mut args: Vec<Value> = Vec::new();
    let mut push = |v: Value| {
        args.push(v);
        format!("?{}", args.len())
    };
    let (from, rank) = match &req.fts {
        Some(fts) if pg => {
            let p = push(Value::Text(super::pg_search::tsquery(fts)));
            let matching = match (&req.newest, req.min_rowid) {
                // Known matches: read by id, their words not tested again.
                (Some(ids), _) => format!("a.id = ANY({}::text::bigint[])", push(id_array(ids))),
                (None, min) => {
                    let mut words = format!("a.fts @@ {p}::text::tsquery");
                    // Phrases: asked of the index of neighbouring words too (schema 14).
                    if let Some(pairs) = super::pg_search::pairs_condition(fts, "a", &mut push) {
                        words.push_str(&format!(" AND {pairs}"));
                    }
                    if let Some(min) = min {
                        words.push_str(&format!(" AND a.id >= {}", push(Value::Integer(min))));
                    }
                    words
                }
            };
            // Negated, so that lower is better as with bm25.
            (
                format!("articles a WHERE {matching}"),
                format!(
                    "(0.0 - ts_rank({}, a.fts, {p}::text::tsquery))",
                    super::pg_search::RANK_WEIGHTS
                ),
            )
        }
        Some(fts) => {
            let p = push(Value::Text(fts.clone()));
            let newest = match req.min_rowid {
                Some(min) => format!(" AND articles_fts.rowid >= {}", push(Value::Integer(min))),
                None => String::new(),
            };
            (
                format!(
                    "articles_fts JOIN articles a ON a.id = articles_fts.rowid
                     WHERE articles_fts MATCH {p}{newest}"
                ),
                BM25.to_string(),
            )
        }
        None => ("articles a WHERE true".to_string(), "0.0".to_string()),
    };
    // The article's id as the outer loop has it: with words, the index's rowid, so that a
    // filter on places is checked in the copies' index before the article's row is read.
    let key = if req.fts.is_some() && !pg {
        "articles_fts.rowid"
    } else {
        "a.id"
    };
    // Filters on the id alone (`on_key`), and those that read the article's row.
    let mut on_key = String::new();
    let mut filters = String::new();
    if let IdBounds::Within(first, last) = req.id_bounds {
        let (f, l) = (push(Value::Integer(first)), push(Value::Integer(last)));
        on_key.push_str(&format!(" AND {key} BETWEEN {f} AND {l}"));
    }
    // A filter on where an article was seen holds if any of its copies qualifies: an
    // article first archived from feed A and later seen in feed B is in B too.
    let mut place: Vec<String> = Vec::new();
    if !req.feeds.is_empty() {
        let marks: Vec<String> = req
            .feeds
            .iter()
            .map(|f| push(Value::Text(f.clone())))
            .collect();
        place.push(format!("pf.name IN ({})", marks.join(", ")));
    }
    if let Some(region) = &req.region {
        let p = push(Value::Text(region.clone()));
        place.push(if pg {
            format!("lower(pf.region) = lower({p})")
        } else {
            format!("pf.region = {p} COLLATE NOCASE")
        });
    }
    if !req.tags.is_empty() {
        let marks: Vec<String> = req
            .tags
            .iter()
            .map(|t| push(Value::Text(t.clone())))
            .collect();
        place.push(if pg {
            let lowered: Vec<String> = marks.iter().map(|m| format!("lower({m})")).collect();
            format!(
                "EXISTS (SELECT 1 FROM json_array_elements_text(pf.tags::json) tag(v)
                         WHERE lower(tag.v) IN ({}))",
                lowered.join(", ")
            )
        } else {
            format!(
                "EXISTS (SELECT 1 FROM json_each(pf.tags) WHERE json_each.value COLLATE NOCASE IN ({}))",
                marks.join(", ")
            )
        });
    }
    if !req.sites.is_empty() {
        let mut any = Vec::new();
        for site in &req.sites {
            // The host exactly or as a subdomain, with or without a port.
            for pattern in [
                format!("%://{site}/%"),
                format!("%://{site}:%"),
                format!("%.{site}/%"),
                format!("%.{site}:%"),
            ] {
                let p = push(Value::Text(pattern));
                // SQLite's LIKE ignores ASCII case; PostgreSQL's ILIKE is the same.
                any.push(format!("pc.url {} {p}", if pg { "ILIKE" } else { "LIKE" }));
            }
        }
        place.push(format!("({})", any.join(" OR ")));
    }
    if let Some(lang) = &req.language {
        let p = push(Value::Text(lang.to_ascii_lowercase()));
        filters.push_str(&format!(" AND a.language = {p}"));
    }
    if let Some(id) = req.only {
        let p = push(Value::Integer(id));
        filters.push_str(&format!(" AND a.id = {p}"));
        if req.fts.is_some() && !pg {
            // Said of the index too, so FTS5 seeks to the one row instead of reading the
            // matches of every term.
            on_key.push_str(&format!(" AND articles_fts.rowid = {p}"));
        }
    }
    if req.removed {
        filters.push_str(" AND a.removed IS NOT NULL");
    }
    if req.revised {
        filters.push_str(" AND a.version > 1");
    }
    for author in &req.authors {
        let p = push(Value::Text(author.clone()));
        filters.push_str(&format!(
            " AND {}(lower(a.author), lower({p})) > 0",
            if pg { "strpos" } else { "instr" }
        ));
    }
    for &(from, to) in &req.ranges {
        if let Some(f) = from {
            let p = push(Value::Integer(f));
            filters.push_str(&format!(
                " AND coalesce(a.published_ts, a.fetched_ts) >= {p}"
            ));
        }
        if let Some(t) = to {
            let p = push(Value::Integer(t));
            filters.push_str(&format!(
                " AND coalesce(a.published_ts, a.fetched_ts) <= {p}"
            ));
        }
    }
    let place_on_copy = if place.is_empty() {
        String::new()
    } else {
        format!(
            "EXISTS (SELECT 1 FROM copies pc JOIN feeds pf ON pf.id = pc.feed_id
                     WHERE pc.article_id = c.article_id AND pc.url = c.url AND {})",
            place.join(" AND ")
        )
    };
    let place_on_article = if place.is_empty() {
        String::new()
    } else if let (true, Some(_), true, None, IdBounds::Within(first, last)) = (
        pg,
        &req.fts,
        req.sites.is_empty(),
        &req.newest,
        req.id_bounds,
    ) {
        // PostgreSQL, within dates: the articles of those feeds in the dates' stretch of ids
        // (a few hundred, from the copies' index alone) as a list the primary key looks up,
        // rather than a check of every match of the words in the dates, each a read of an
        // article's row (a common word in one feed and one month at 1,000,000 articles:
        // 270 ms for 4,000 matches read, 37 ms this way).
        let (f, l) = (push(Value::Integer(first)), push(Value::Integer(last)));
        format!(
            " AND a.id = ANY(ARRAY(SELECT pc.article_id FROM copies pc
                                   JOIN feeds pf ON pf.id = pc.feed_id
                                   WHERE {} AND pc.article_id BETWEEN {f} AND {l}))",
            place.join(" AND ")
        )
    } else if req.fts.is_some() && req.sites.is_empty() {
        // Feeds, region, tags: the articles of those feeds, gathered once through the
        // copies' feed index, and each match of the words looked up among them (a feed
        // with 2 % of a million articles and a word in a third of them: 1.46 s as a
        // correlated EXISTS, 53 ms this way). The `+` keeps FTS5 from taking the set as
        // rowids to seek one by one.
        format!(
            " AND {}{key} IN (SELECT pc.article_id FROM copies pc JOIN feeds pf ON pf.id = pc.feed_id
                             WHERE {})",
            if pg { "" } else { "+" },
            place.join(" AND ")
        )
    } else {
        format!(
            " AND EXISTS (SELECT 1 FROM copies pc JOIN feeds pf ON pf.id = pc.feed_id
                         WHERE pc.article_id = {key} AND {})",
            place.join(" AND ")
        )
    };
    let only_words = on_key.is_empty() && filters.is_empty() && place_on_article.is_empty();
    // `from` without the articles: the index alone.
    let index_from = from.replacen(
        "articles_fts JOIN articles a ON a.id = articles_fts.rowid",
        "articles_fts",
        1,
    );
    let cte = match (top_k, &req.fts, only_words) {
        (Some(k), Some(_), true) => {
            let limit = push(Value::Integer(i64::try_from(k).unwrap_or(i64::MAX)));
            // The index alone picks the top k (on PostgreSQL, where the index is a column of
            // the articles, `index_from` is `from` and `key` the article's id).
            format!(
                "top AS (SELECT {key} AS id, {rank} AS rank FROM {index_from}
                         ORDER BY rank LIMIT {limit}),
                 m AS (SELECT a.id, a.story_id, top.rank AS rank,
                              coalesce(a.published_ts, a.fetched_ts) AS t
                       FROM top JOIN articles a ON a.id = top.id)"
            )
        }
        _ => format!(
            "m AS (SELECT a.id, a.story_id, {rank} AS rank,
                          coalesce(a.published_ts, a.fetched_ts) AS t
                   FROM {from} {on_key} {filters} {place_on_article})"
        ),
    };
    // Without a filter that reads the article's row, the newest matches are known from the
    // index (and the places' set) alone.
    let index_only = (req.fts.is_some() && filters.is_empty() && !pg).then(|| {
        format!("{index_from} {on_key} {place_on_article} ORDER BY articles_fts.rowid DESC")
    });
    let filtered = format!("{from} {on_key} {filters} {place_on_article}");
    Matches {
        cte,
        index_only,
        newest_first: format!("{filtered} ORDER BY {key} DESC"),
        filtered,
        args,
        place_on_copy,
        everything: req.fts.is_none() && only_words,
    }
}

impl Store {
    /// The matching stories (or copies), `snippet` making each hit's snippet from its body.
    pub fn search(
        &self,
        req: &SearchRequest,
        snippet: &dyn Fn(&str) -> String,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let req = &*self.bounded(req)?;
        let mut capped;
        let req = match (req.rank_cap, req.min_rowid) {
            (Some(cap), None) => {
                capped = req.clone();
                self.narrow_to_newest(&mut capped, cap)?;
                &capped
            }
            _ => req,
        };
        // Relevance: the stories of the best matches are among the best few dozen; a
        // recency weighting reorders them, so it looks further.
        let wanted = req.offset.saturating_add(req.limit);
        let top_k = match req.sort {
            SortOrder::Relevance => Some(wanted.saturating_mul(4).saturating_add(60)),
            SortOrder::Recent => Some(wanted.saturating_mul(20).saturating_add(500)),
            SortOrder::Newest | SortOrder::Oldest => None,
        };
        let Matches {
            cte,
            mut args,
            place_on_copy,
            everything,
            ..
        } = matches(req, top_k, self.conn.is_pg());
        // Without words there is nothing to rank by: newest first.
        let sort = match (req.sort, &req.fts) {
            (SortOrder::Relevance | SortOrder::Recent, None) => SortOrder::Newest,
            (s, _) => s,
        };
        // bm25 is negative, better is lower: dividing by the age factor moves old
        // articles towards zero, i.e. down the list.
        let recent = |rank: &str| {
            format!(
                "{rank} / (1.0 + {}(0, {} - m.t) / 2592000.0), m.id",
                self.conn.pick("max", "greatest"),
                req.now
            )
        };
        let order = match sort {
            SortOrder::Relevance if req.all => "m.rank, m.id".to_string(),
            SortOrder::Relevance => "m.story_rank, m.id".to_string(),
            SortOrder::Recent if req.all => recent("m.rank"),
            SortOrder::Recent => recent("m.story_rank"),
            SortOrder::Newest => "m.t DESC, m.id DESC".to_string(),
            SortOrder::Oldest => "m.t ASC, m.id ASC".to_string(),
        };
        args.push(Value::Integer(i64::try_from(req.limit).unwrap_or(i64::MAX)));
        let limit = args.len();
        args.push(Value::Integer(
            i64::try_from(req.offset).unwrap_or(i64::MAX),
        ));
        let offset = args.len();
        // A copy is a place (an article at a URL), however many feeds carried it there.
        let copies_of = |story: &str| {
            format!(
                "(SELECT count(*) FROM (SELECT DISTINCT c2.article_id, c2.url
                  FROM copies c2 JOIN articles a2 ON a2.id = c2.article_id
                  WHERE a2.story_id = {story}) d)"
            )
        };
        let copies_of_story = copies_of("m.story_id");
        let sql = if everything && !req.all {
            // `warta latest`: every article matches, so each story's row is its
            // representative, and walking the representatives by time (the articles_time
            // index) gives the page at once, where collapsing all stories first would read
            // the whole archive.
            let dir = if sort == SortOrder::Oldest {
                "ASC"
            } else {
                "DESC"
            };
            format!(
                "SELECT a.id, a.title, a.url, f.name, a.published, a.fetched, a.language,
                        0.0, a.story_id, {}
                 FROM articles a JOIN feeds f ON f.id = a.feed_id
                 WHERE a.id = (SELECT s.representative FROM stories s WHERE s.id = a.story_id)
                 ORDER BY coalesce(a.published_ts, a.fetched_ts) {dir}, a.id {dir}
                 LIMIT ?{limit} OFFSET ?{offset}",
                copies_of("a.story_id")
            )
        } else if req.all {
            let place = if place_on_copy.is_empty() {
                String::new()
            } else {
                format!("AND {place_on_copy}")
            };
            format!(
                "WITH {cte}
                 SELECT m.id, a.title, c.url, f.name, a.published, a.fetched, a.language,
                        m.rank, m.story_id, {copies_of_story}
                 FROM m JOIN articles a ON a.id = m.id
                      JOIN copies c ON c.article_id = m.id JOIN feeds f ON f.id = c.feed_id
                 WHERE {FIRST_SIGHTING} {place}
                 ORDER BY {order}, c.id LIMIT ?{limit} OFFSET ?{offset}"
            )
        } else {
            format!(
                "WITH {cte},
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
                 ORDER BY {order} LIMIT ?{limit} OFFSET ?{offset}"
            )
        };
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(super::db::params_from_iter(args.iter()), |r| {
                Ok(SearchHit {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    url: r.get(2)?,
                    feed: r.get(3)?,
                    published: r.get(4)?,
                    fetched: r.get(5)?,
                    language: r.get(6)?,
                    snippet: String::new(),
                    // `0.0 -`, not `-`: without words the rank is 0, and -0 is not a score.
                    score: 0.0 - r.get::<_, f64>(7)?,
                    story: r.get(8)?,
                    copies: r.get(9)?,
                })
            })
            .map_err(|e| self.err(e))?;
        let mut hits: Vec<SearchHit> = rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?;
        let mut body = self
            .conn
            .prepare_cached("SELECT body FROM articles WHERE id = ?1")
            .map_err(|e| self.err(e))?;
        for hit in &mut hits {
            let text: String = body
                .query_row([hit.id], |r| r.get(0))
                .map_err(|e| self.err(e))?;
            hit.snippet = snippet(&text);
        }
        Ok(hits)
    }

    /// For a relevance sort of a query with more than `cap` matches (normally
    /// [`RANK_CAP`]): the rowid from which the newest `cap` matches start. Walking the
    /// newest matches costs no scoring and stops at `cap`, so this keeps ranking bounded
    /// at any archive size; the total is left to `count` (`--count`), which must read
    /// every match.
    ///
    /// The newest matches *of the whole request*: with filters, the newest `cap` of those
    /// that pass them (ranking the newest matches of the words alone would leave out every
    /// match of an older month or a quieter feed).
    pub fn ranking_cutoff(&self, req: &SearchRequest, cap: i64) -> Result<Option<i64>, StoreError> {
        let mut narrowed = req.clone();
        self.narrow_to_newest(&mut narrowed, cap)?;
        Ok(narrowed.min_rowid)
    }

    /// Narrows `req` to its newest matches when it has more than `cap` (see
    /// [`Store::ranking_cutoff`]): how many it ranks then (on PostgreSQL a share of `cap`),
    /// None when it ranks every match. On PostgreSQL the matches found are kept in the
    /// request too, so that ranking reads them by id.
    pub fn narrow_to_newest(
        &self,
        req: &mut SearchRequest,
        cap: i64,
    ) -> Result<Option<i64>, StoreError> {
        let Some(fts) = &req.fts else { return Ok(None) };
        if !matches!(req.sort, SortOrder::Relevance | SortOrder::Recent) || cap < 1 {
            return Ok(None);
        }
        // PostgreSQL reads each match's whole `tsvector` (several kilobytes, compressed
        // apart from the row) to test and to rank it, where FTS5 reads its own index: a
        // tenth as many matches are ranked there for the same time (BENCHMARKS.md,
        // "PostgreSQL").
        let ranked = (cap / self.rank_share()).max(1);
        if self.conn.is_pg() {
            return Ok(self.narrow_pg(req, ranked)?.then_some(ranked));
        }
        // The first match past the newest `ranked`: the ranked ones come after it.
        let cutoff: Option<i64> = if req.words_alone() {
            self.conn
                .prepare_cached(
                    "SELECT rowid + 1 FROM articles_fts WHERE articles_fts MATCH ?1
                     ORDER BY rowid DESC LIMIT 1 OFFSET ?2",
                )
                .and_then(|mut s| {
                    s.query_row(super::db::params![fts, ranked], |r| r.get(0))
                        .optional()
                })
                .map_err(|e| self.err(e))?
        } else {
            let bounded = self.bounded(req)?;
            let unranked = SearchRequest {
                min_rowid: None,
                ..bounded.into_owned()
            };
            let Matches {
                newest_first,
                index_only,
                mut args,
                ..
            } = matches(&unranked, None, false);
            args.push(Value::Integer(ranked));
            let sql = match index_only {
                Some(index) => format!(
                    "SELECT articles_fts.rowid + 1 FROM {index} LIMIT 1 OFFSET ?{}",
                    args.len()
                ),
                None => format!(
                    "SELECT a.id + 1 FROM {newest_first} LIMIT 1 OFFSET ?{}",
                    args.len()
                ),
            };
            self.conn
                .prepare_cached(&sql)
                .and_then(|mut s| {
                    s.query_row(super::db::params_from_iter(args.iter()), |r| r.get(0))
                        .optional()
                })
                .map_err(|e| self.err(e))?
        };
        req.min_rowid = cutoff;
        Ok(cutoff.map(|_| ranked))
    }

    /// `req` narrowed to its newest `n` matches, by id, when it has more; true when it was.
    fn narrow_pg(&self, req: &mut SearchRequest, n: i64) -> Result<bool, StoreError> {
        let Some((cutoff, ids)) = self.newest_pg(req, n)? else {
            return Ok(false);
        };
        req.min_rowid = Some(cutoff);
        req.newest = Some(ids.into());
        Ok(true)
    }

    /// [`Store::ranking_cutoff`] on PostgreSQL: the id from which the newest `cap` matches
    /// of `req` start and those matches' ids, None when there are no more than `cap`.
    ///
    /// The index cannot hand over its newest matches (a GIN index keeps row addresses, not
    /// ids), and walking the articles newest first tests each one's whole `tsvector`:
    /// a common word's newest 2,000 matches took 73 ms at 100,000 articles that way. So
    /// the matches are looked for in the newest stretch of ids first, asked of the index
    /// as the words and the stretch's blocks of ids (schema 13), so that it reads the
    /// word's list only where the blocks' short lists point; the stretch is widened by
    /// how many it held until it holds `cap` or is the whole archive.
    fn newest_pg(
        &self,
        req: &SearchRequest,
        cap: i64,
    ) -> Result<Option<(i64, Vec<i64>)>, StoreError> {
        let req = self.bounded(req)?;
        let unranked = SearchRequest {
            min_rowid: None,
            newest: None,
            ..req.into_owned()
        };
        let (floor, top) = match unranked.id_bounds {
            IdBounds::Within(first, last) if first > last => return Ok(None),
            IdBounds::Within(first, last) => (first, last),
            _ => {
                let top: Option<i64> = self
                    .conn
                    .query_row("SELECT max(id) FROM articles", [], |r| r.get(0))
                    .map_err(|e| self.err(e))?;
                match top {
                    Some(top) => (1, top),
                    None => return Ok(None),
                }
            }
        };
        if unranked.fts.is_none() {
            return Ok(None);
        }
        let Matches { filtered, args, .. } = matches(&unranked, None, true);
        let (lo, hi, n, blocks) = (
            args.len() + 1,
            args.len() + 2,
            args.len() + 3,
            args.len() + 4,
        );
        // `+ 0`: sorted after the bitmaps, not read in the primary key's order (which would
        // test every row of the span on its own). The blocks as a second condition on the
        // index: GIN steps through both lists together, led by the blocks' short ones.
        let sql = |in_blocks: &str| {
            format!(
                "SELECT a.id FROM {filtered} AND a.id BETWEEN ?{lo} AND ?{hi} {in_blocks}
                 ORDER BY a.id + 0 DESC LIMIT ?{n}"
            )
        };
        let mut whole = self
            .conn
            .prepare_cached(&sql(""))
            .map_err(|e| self.err(e))?;
        let mut by_blocks = self
            .conn
            .prepare_cached(&sql(&format!("AND a.fts @@ ?{blocks}::text::tsquery")))
            .map_err(|e| self.err(e))?;
        // Every match a span holds is read (to sort them by id), so a span should hold
        // about as many as are still wanted: sized by the planner's estimate of the matches
        // over the whole archive at first, then by what the last span held. Spans do not
        // overlap, newest first, so nothing is read twice, and a word missing from the
        // newest articles (a season's word, another language's) costs an index lookup per
        // span there, not a read of every match of the first span that reaches its time.
        let total = (top - floor + 1).max(1);
        let estimate = self.estimated_rows(&filtered, &args)?.max(1.0);
        let size_for = |wanted: i64, density: f64| -> i64 {
            let ids = (wanted as f64 * 1.5 / density.max(1e-9)).min(i64::MAX as f64 / 2.0) as i64;
            ids.clamp(
                super::pg_schema::STRETCH_IDS,
                64 * super::pg_schema::STRETCH_IDS,
            )
        };
        // Fewer matches expected in all than are wanted (two rare words): read in one go,
        // without the blocks' lists.
        let widest = size_for(4 * (cap + 1), estimate / total as f64);
        let mut size = if estimate <= (cap + 1) as f64 {
            total
        } else {
            size_for(cap + 1, estimate / total as f64)
        };
        let mut newest: Vec<i64> = Vec::new();
        let mut upper = top;
        while upper >= floor {
            let lower = upper.saturating_sub(size - 1).max(floor);
            let wanted = cap + 1 - i64::try_from(newest.len()).unwrap_or(i64::MAX);
            let mut bound = args.clone();
            bound.extend([
                Value::Integer(lower),
                Value::Integer(upper),
                Value::Integer(wanted),
            ]);
            let stmt = match super::pg_schema::stretches_tsquery(lower, upper) {
                Some(stretches) => {
                    bound.push(Value::Text(stretches));
                    &mut by_blocks
                }
                None => &mut whole,
            };
            let before = newest.len();
            for id in stmt
                .query_map(super::db::params_from_iter(bound.iter()), |r| r.get(0))
                .map_err(|e| self.err(e))?
            {
                newest.push(id.map_err(|e| self.err(e))?);
            }
            if i64::try_from(newest.len()).unwrap_or(i64::MAX) > cap {
                // The one past the newest `cap` only marks where they start.
                let past = newest.pop().unwrap_or(0);
                return Ok(Some((past + 1, newest)));
            }
            let found = newest.len() - before;
            if found > 0 {
                let density = found as f64 / (upper - lower + 1) as f64;
                size = size_for(wanted - found as i64, density);
            } else {
                // Nothing there: the estimate may be far too high (a phrase of two common
                // words that seldom meet, 244 spans of 4,096 ids for one match), so the
                // span grows, but only to what would hold four times the matches wanted
                // at the estimated rate, so that a word missing from the newest articles
                // is not read in bulk where it is common.
                size = (size * 4).min(widest).max(size);
            }
            upper = lower - 1;
        }
        Ok(None)
    }

    /// The planner's estimate of the rows of `SELECT … FROM {from_where}` with `args`.
    fn estimated_rows(&self, from_where: &str, args: &[Value]) -> Result<f64, StoreError> {
        let plan: String = self
            .conn
            .prepare_cached(&format!("EXPLAIN SELECT a.id FROM {from_where}"))
            .and_then(|mut s| s.query_row(super::db::params_from_iter(args.iter()), |r| r.get(0)))
            .map_err(|e| self.err(e))?;
        // The top line: `… (cost=0.00..1.00 rows=N width=8)`.
        Ok(plan
            .split("rows=")
            .nth(1)
            .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(1.0))
    }

    /// Works out `req.id_bounds` (see [`IdBounds`]) once, for the several statements a
    /// search runs (the cutoff, the hits, the count, the facets): the stretch of ids of the
    /// months the date ranges touch (`id_months`, a few rows; a range's day edges are then
    /// checked on the articles themselves).
    pub fn bound_dates(&self, req: &mut SearchRequest) -> Result<(), StoreError> {
        if req.id_bounds != IdBounds::Unknown {
            return Ok(());
        }
        // The month of a time as the triggers key it; an end out of chrono's range is open.
        let month = |t: Option<i64>, open: &str| -> String {
            t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map_or_else(|| open.to_string(), |d| d.format("%Y-%m").to_string())
        };
        let mut bounds = IdBounds::Any;
        for &(from, to) in &req.ranges {
            let (first, last): (Option<i64>, Option<i64>) = self
                .conn
                .prepare_cached(
                    "SELECT min(first_id), max(last_id) FROM id_months
                     WHERE month >= ?1 AND month <= ?2",
                )
                .and_then(|mut s| {
                    s.query_row(super::db::params![month(from, ""), month(to, "~")], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                })
                .map_err(|e| self.err(e))?;
            let range = match (first, last) {
                (Some(f), Some(l)) => (f, l),
                _ => (1, 0),
            };
            bounds = match bounds {
                IdBounds::Within(f, l) => IdBounds::Within(f.max(range.0), l.min(range.1)),
                _ => IdBounds::Within(range.0, range.1),
            };
        }
        req.id_bounds = bounds;
        Ok(())
    }

    /// The matches ranked here are 1 / this of the cap asked for (see
    /// [`Store::ranking_cutoff`]).
    pub(super) fn rank_share(&self) -> i64 {
        if self.conn.is_pg() { PG_RANK_SHARE } else { 1 }
    }

    /// `req` with its id bounds worked out, if they were not.
    fn bounded<'a>(
        &self,
        req: &'a SearchRequest,
    ) -> Result<std::borrow::Cow<'a, SearchRequest>, StoreError> {
        if req.id_bounds != IdBounds::Unknown {
            return Ok(std::borrow::Cow::Borrowed(req));
        }
        let mut owned = req.clone();
        self.bound_dates(&mut owned)?;
        Ok(std::borrow::Cow::Owned(owned))
    }

    /// How many stories match, and how many copies they have.
    pub fn count(&self, req: &SearchRequest) -> Result<SearchCount, StoreError> {
        let req = &*self.bounded(req)?;
        let Matches {
            cte,
            args,
            place_on_copy,
            ..
        } = matches(req, None, self.conn.is_pg());
        let place = if place_on_copy.is_empty() {
            String::new()
        } else {
            format!("AND {place_on_copy}")
        };
        let sql = format!(
            "WITH {cte}
             SELECT (SELECT count(DISTINCT story_id) FROM m),
                    (SELECT count(*) FROM m JOIN copies c ON c.article_id = m.id
                     WHERE {FIRST_SIGHTING} {place})"
        );
        self.conn
            .query_row(&sql, super::db::params_from_iter(args.iter()), |r| {
                Ok(SearchCount {
                    stories: r.get(0)?,
                    copies: r.get(1)?,
                })
            })
            .map_err(|e| self.err(e))
    }
}

/// What the matches of a search are made of: stories by feed, site, region and month.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    /// Counted over this many matching articles only, those archived last (a broad query).
    pub capped: Option<usize>,
    pub feeds: Vec<(String, i64)>,
    pub sites: Vec<(String, i64)>,
    pub regions: Vec<(String, i64)>,
    /// `YYYY-MM`, newest first.
    pub months: Vec<(String, i64)>,
}

impl Store {
    /// The facets of `req`'s matches, over the `cap` matching articles archived last (ids
    /// grow as articles arrive, and the index reads them newest first without sorting every
    /// match): each value with the stories it holds, the ten largest (months: the twelve
    /// newest).
    pub fn facets(&self, req: &SearchRequest, cap: usize) -> Result<Facets, StoreError> {
        let req = &*self.bounded(req)?;
        let cap_value = Value::Integer(i64::try_from(cap).unwrap_or(i64::MAX));
        let (cte, lim, args) = match &req.fts {
            // PostgreSQL: the newest `cap` matches as `newest_pg` finds them (see there
            // for why not the newest first with a LIMIT), read by id; all of them when
            // there are fewer.
            Some(_) if self.conn.is_pg() => {
                let row = "SELECT a.id, a.story_id, coalesce(a.published_ts, a.fetched_ts) AS t";
                match self.newest_pg(req, i64::try_from(cap).unwrap_or(i64::MAX))? {
                    Some((_, ids)) => (
                        "x AS (SELECT 1)".to_string(),
                        format!("{row} FROM articles a WHERE a.id = ANY(?1::text::bigint[])"),
                        vec![id_array(&ids)],
                    ),
                    None => {
                        let Matches { filtered, args, .. } = matches(req, None, true);
                        (
                            "x AS (SELECT 1)".to_string(),
                            format!("{row} FROM {filtered}"),
                            args,
                        )
                    }
                }
            }
            // Words alone: the index hands over its last `cap` matches itself, before any
            // join (joining first made SQLite sort every match: 100 ms for a common word at
            // 100,000 articles, 1 ms this way).
            Some(fts) if req.words_alone() => (
                "x AS (SELECT 1)".to_string(),
                "SELECT a.id, a.story_id, coalesce(a.published_ts, a.fetched_ts) AS t
                 FROM (SELECT rowid AS id FROM articles_fts WHERE articles_fts MATCH ?1
                       ORDER BY rowid DESC LIMIT ?2) w JOIN articles a ON a.id = w.id"
                    .to_string(),
                vec![Value::Text(fts.clone()), cap_value],
            ),
            _ => {
                let Matches {
                    newest_first,
                    mut args,
                    ..
                } = matches(req, None, self.conn.is_pg());
                args.push(cap_value);
                let lim = format!(
                    "SELECT a.id, a.story_id, coalesce(a.published_ts, a.fetched_ts) AS t
                     FROM {newest_first} LIMIT ?{}",
                    args.len()
                );
                ("x AS (SELECT 1)".to_string(), lim, args)
            }
        };
        let host = super::overview::host(self.conn.dialect());
        let month = self.conn.pick(
            "strftime('%Y-%m', t, 'unixepoch')",
            "to_char(to_timestamp(t) AT TIME ZONE 'UTC', 'YYYY-MM')",
        );
        // One statement, the matches read once: each facet is a group of the same rows.
        let sql = format!(
            "WITH {cte},
             lim AS MATERIALIZED ({lim}),
             pl AS MATERIALIZED (SELECT lim.story_id, f.name AS feed, f.region AS region, {host} AS host
                                 FROM lim JOIN copies c ON c.article_id = lim.id
                                      JOIN feeds f ON f.id = c.feed_id)
             SELECT 'feed', feed, count(DISTINCT story_id) FROM pl GROUP BY feed
             UNION ALL SELECT 'site', host, count(DISTINCT story_id) FROM pl GROUP BY host
             UNION ALL SELECT 'region', region, count(DISTINCT story_id) FROM pl
                       WHERE region IS NOT NULL GROUP BY region
             UNION ALL SELECT 'month', {month}, count(DISTINCT story_id)
                       FROM lim GROUP BY 2
             UNION ALL SELECT 'matched', NULL, count(*) FROM lim"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(super::db::params_from_iter(args.iter()), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut f = Facets::default();
        let mut matched = 0;
        for row in rows {
            let (kind, value, n) = row.map_err(|e| self.err(e))?;
            let list = match kind.as_str() {
                "feed" => &mut f.feeds,
                "site" => &mut f.sites,
                "region" => &mut f.regions,
                "month" => &mut f.months,
                _ => {
                    matched = n;
                    continue;
                }
            };
            if let Some(v) = value {
                list.push((v, n));
            }
        }
        for list in [&mut f.feeds, &mut f.sites, &mut f.regions] {
            list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            list.truncate(10);
        }
        f.months.sort_by(|a, b| b.0.cmp(&a.0));
        f.months.truncate(12);
        f.capped = (usize::try_from(matched).unwrap_or(0) >= cap).then_some(cap);
        Ok(f)
    }
}

/// Whether article `article` matches `req` (its query and filters, as `warta search` would
/// run them), on `conn`: inside a writer's transaction, the article need not be committed.
pub(super) fn matches_article(
    conn: &super::db::Conn,
    req: &SearchRequest,
    article: i64,
) -> super::db::Result<bool> {
    if let (Some(fts), false) = (&req.fts, req.has_filters()) {
        // The index alone, looked up at the one row: one statement for every watch.
        if conn.is_pg() {
            return conn
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM articles WHERE id = ?2 AND fts @@ ?1::text::tsquery)",
                )?
                .query_row(
                    super::db::params![super::pg_search::tsquery(fts), article],
                    |r| r.get(0),
                );
        }
        return conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM articles_fts WHERE articles_fts MATCH ?1 AND rowid = ?2)",
            )?
            .query_row(super::db::params![fts, article], |r| r.get(0));
    }
    let req = SearchRequest {
        only: Some(article),
        ..req.clone()
    };
    let Matches { cte, args, .. } = matches(&req, None, conn.is_pg());
    let sql = format!("WITH {cte} SELECT EXISTS (SELECT 1 FROM m)");
    conn.prepare_cached(&sql)?
        .query_row(super::db::params_from_iter(args.iter()), |r| r.get(0))
}
