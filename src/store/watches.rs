//! Watches matched inside the write (issue 16): each new article is checked against every
//! watch in the transaction that stores it, so a hit is committed with its article or not
//! at all. Checking is cheap in the number of watches: each watch is indexed by the first
//! index word of each alternative of one of its clauses (an article without any of them
//! cannot match), and only the watches an article's own words select are evaluated. Their
//! words are evaluated on the article's own index words, as the search index would (every
//! clause by an alternative whose words stand in a row in one column, no exclusion): asking
//! the index inside the write would make FTS5 flush its pending rows at every question.
//! Filters (feeds, region, tags, dates…) are asked of the archive with the search's own SQL.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use super::db::{Transaction, params};
use chrono::{DateTime, Utc};

use super::outbox::{AlertKind, Delivery, enqueue};
use super::search::{SearchRequest, matches_article};
use super::vocab::article_words;
use super::write::Content;
use super::{Store, StoreError};

/// An index word that selects a watch for confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    Word(String),
    /// Any index word starting with it (a prefix that stood for no archived word).
    Prefix(String),
}

/// One alternative of a clause: index words in a row, in the title or in any column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternative {
    pub words: Vec<Anchor>,
    pub title_only: bool,
}

/// One watch, compiled.
#[derive(Debug, Clone)]
pub struct CompiledWatch {
    pub name: String,
    /// Its query and filters as `warta search` would run them.
    request: SearchRequest,
    /// The filters alone (no words), when it has any: checked against the archive.
    filters: Option<SearchRequest>,
    /// One clause's first words: the article must hold one of them. Empty: a query of
    /// filters only, checked against every article.
    anchors: Vec<Anchor>,
    /// The clauses (each an OR of alternatives, all must match) and the exclusions, as
    /// index words, evaluated on the article's own words; None when a term has no word
    /// to go by, and the search index answers instead.
    text: Option<(Vec<Vec<Alternative>>, Vec<Alternative>)>,
    /// Where its alerts go.
    delivery: Delivery,
}

impl CompiledWatch {
    pub fn new(
        name: &str,
        request: SearchRequest,
        anchors: Vec<Anchor>,
        text: Option<(Vec<Vec<Alternative>>, Vec<Alternative>)>,
    ) -> CompiledWatch {
        let filters = request.has_filters().then(|| SearchRequest {
            fts: None,
            ..request.clone()
        });
        CompiledWatch {
            name: name.to_string(),
            request,
            filters,
            anchors,
            text,
            delivery: Delivery::default(),
        }
    }

    /// The watch with its alerts going where `delivery` says.
    pub fn with_delivery(mut self, delivery: Delivery) -> CompiledWatch {
        self.delivery = delivery;
        self
    }

    /// [`CompiledWatch::text_matches`] of an article's title, body and stems.
    pub fn matches_texts(&self, [title, body, stems]: [&str; 3]) -> Option<bool> {
        let folded = [title, body, stems].map(crate::stem::Folded::new);
        let [t, b, s] = &folded;
        self.text_matches(&Columns {
            title: t.words(),
            body: b.words(),
            stems: s.words(),
        })
    }

    /// Whether an article with these index words (sorted, distinct) may match: every
    /// clause has an alternative all of whose words it holds.
    fn may_match(&self, words: &[String]) -> bool {
        let Some((clauses, _)) = &self.text else {
            return true;
        };
        clauses.iter().all(|clause| {
            clause
                .iter()
                .any(|alt| alt.words.iter().all(|a| holds(words, a)))
        })
    }

    /// Whether the article, tokenised as the index tokenises it, matches the watch's words
    /// as the search index would: every clause by one of its alternatives, in a row in one
    /// column, and no exclusion. None: only the index can tell.
    fn text_matches(&self, columns: &Columns<'_>) -> Option<bool> {
        let (clauses, excluded) = self.text.as_ref()?;
        let found = |alt: &Alternative| {
            if alt.title_only {
                in_a_row(&columns.title, &alt.words)
            } else {
                [&columns.title, &columns.body, &columns.stems]
                    .iter()
                    .any(|c| in_a_row(c, &alt.words))
            }
        };
        Some(clauses.iter().all(|clause| clause.iter().any(found)) && !excluded.iter().any(found))
    }
}

/// An article's three indexed columns as index words, in order.
struct Columns<'a> {
    title: Vec<&'a str>,
    body: Vec<&'a str>,
    stems: Vec<&'a str>,
}

/// Whether `words` appear one after the other in `tokens`.
fn in_a_row(tokens: &[&str], words: &[Anchor]) -> bool {
    let n = words.len();
    n > 0
        && tokens.len() >= n
        && tokens.windows(n).any(|w| {
            w.iter().zip(words).all(|(t, a)| match a {
                Anchor::Word(x) => t == x,
                Anchor::Prefix(p) => t.starts_with(p.as_str()),
            })
        })
}

/// Whether the sorted, distinct `words` hold `anchor`.
fn holds(words: &[String], anchor: &Anchor) -> bool {
    match anchor {
        Anchor::Word(w) => words.binary_search_by(|x| x.as_str().cmp(w)).is_ok(),
        Anchor::Prefix(p) => {
            let at = words.partition_point(|x| x.as_str() < p.as_str());
            words.get(at).is_some_and(|x| x.starts_with(p.as_str()))
        }
    }
}

/// Every watch of the config, indexed by anchor.
#[derive(Debug, Default)]
pub struct WatchSet {
    watches: Vec<CompiledWatch>,
    by_word: HashMap<String, Vec<usize>>,
    by_prefix: Vec<(String, usize)>,
    always: Vec<usize>,
    /// What checking cost so far: articles, nanoseconds, watches an article's words chose.
    checked: AtomicU64,
    spent_nanos: AtomicU64,
    confirmed: AtomicU64,
}

/// What checking new articles against the watches cost over a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchCost {
    pub watches: usize,
    pub articles: u64,
    pub nanos: u64,
    /// Watches an article's words chose, whose query was then evaluated.
    pub confirmed: u64,
}

impl WatchSet {
    pub fn new(watches: Vec<CompiledWatch>) -> WatchSet {
        let mut set = WatchSet::default();
        for (i, w) in watches.iter().enumerate() {
            if w.anchors.is_empty() {
                set.always.push(i);
            }
            for a in &w.anchors {
                match a {
                    Anchor::Word(word) => set.by_word.entry(word.clone()).or_default().push(i),
                    Anchor::Prefix(p) => set.by_prefix.push((p.clone(), i)),
                }
            }
        }
        set.watches = watches;
        set
    }

    pub fn is_empty(&self) -> bool {
        self.watches.is_empty()
    }

    pub fn len(&self) -> usize {
        self.watches.len()
    }

    pub fn cost(&self) -> WatchCost {
        WatchCost {
            watches: self.watches.len(),
            articles: self.checked.load(Ordering::Relaxed),
            nanos: self.spent_nanos.load(Ordering::Relaxed),
            confirmed: self.confirmed.load(Ordering::Relaxed),
        }
    }

    /// The watches an article with these index words (sorted, distinct) may match.
    fn candidates(&self, words: &[String]) -> Vec<usize> {
        let mut found: Vec<usize> = self.always.clone();
        for w in words {
            if let Some(ids) = self.by_word.get(w) {
                found.extend(ids);
            }
        }
        for (p, i) in &self.by_prefix {
            if holds(words, &Anchor::Prefix(p.clone())) {
                found.push(*i);
            }
        }
        found.sort_unstable();
        found.dedup();
        found.retain(|&i| self.watches.get(i).is_some_and(|w| w.may_match(words)));
        found
    }
}

/// Records the watches the new article `article` (with content `c`) matches: one hit per
/// watch and story, the first article of the story that matched, and an alert for each of
/// the watch's targets unless it waits for a digest.
pub(super) fn check_new(
    tx: &Transaction<'_>,
    set: &WatchSet,
    article: i64,
    c: &Content,
    now: DateTime<Utc>,
) -> super::db::Result<()> {
    if set.is_empty() {
        return Ok(());
    }
    // The hits and alerts written count as part of checking: they are its cost too.
    timed(set, || {
        let matched = matching(tx, set, article, c)?;
        record(tx, set, article, &matched, None, now)
    })
}

/// [`check_new`] for a new version of an archived article: a watch that had not fired for
/// its story fires now; one that had fires again only when it asks for revisions.
pub(super) fn check_revised(
    tx: &Transaction<'_>,
    set: &WatchSet,
    article: i64,
    c: &Content,
    now: DateTime<Utc>,
) -> super::db::Result<()> {
    if set.is_empty() {
        return Ok(());
    }
    let matched = matching(tx, set, article, c)?;
    if matched.is_empty() {
        return Ok(());
    }
    let version: i64 = tx.query_row(
        "SELECT version FROM articles WHERE id = ?1",
        [article],
        |r| r.get(0),
    )?;
    record(tx, set, article, &matched, Some(version), now)
}

/// Runs `check`, adding its time to what checking cost.
fn timed<T>(set: &WatchSet, check: impl FnOnce() -> T) -> T {
    let started = std::time::Instant::now();
    let result = check();
    set.checked.fetch_add(1, Ordering::Relaxed);
    let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    set.spent_nanos.fetch_add(nanos, Ordering::Relaxed);
    result
}

/// The hits and alerts of the watches `matched` (indexes into `set`) for `article`;
/// `revised` is the article's new version when it was revised.
fn record(
    tx: &Transaction<'_>,
    set: &WatchSet,
    article: i64,
    matched: &[usize],
    revised: Option<i64>,
    now_utc: DateTime<Utc>,
) -> super::db::Result<()> {
    if matched.is_empty() {
        return Ok(());
    }
    let now = crate::model::rfc3339(&now_utc);
    let story: i64 = tx.query_row(
        "SELECT story_id FROM articles WHERE id = ?1",
        [article],
        |r| r.get(0),
    )?;
    for w in matched.iter().filter_map(|&i| set.watches.get(i)) {
        let first = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO watch_hits (watch, story_id, article_id, at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![w.name, story, article, now])?
            > 0;
        let d = &w.delivery;
        if d.digest || d.targets.is_empty() {
            continue;
        }
        let kind = match (first, revised) {
            (true, _) => AlertKind::Story,
            (false, Some(_)) if d.on_revision => AlertKind::Revision,
            (false, _) => continue,
        };
        let version = revised.filter(|_| kind == AlertKind::Revision);
        enqueue(
            tx,
            &w.name,
            &d.targets,
            kind,
            (Some(story), Some(article), version),
            (None, None),
            now_utc,
        )?;
    }
    Ok(())
}

/// The watches (indexes into `set`) the article with content `c` matches.
fn matching(
    tx: &Transaction<'_>,
    set: &WatchSet,
    article: i64,
    c: &Content,
) -> super::db::Result<Vec<usize>> {
    if set.is_empty() {
        return Ok(Vec::new());
    }
    let texts = [c.title.as_str(), c.body.as_str(), c.stems.as_str()];
    let words: Cow<'_, [String]> = match c.words.as_ref().and_then(|w| w.words_of(texts)) {
        Some(w) => Cow::Borrowed(w),
        None => Cow::Owned(article_words(&texts)),
    };
    let candidates = set.candidates(&words);
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let folded = texts.map(crate::stem::Folded::new);
    let [title, body, stems] = &folded;
    let columns = Columns {
        title: title.words(),
        body: body.words(),
        stems: stems.words(),
    };
    let mut matched = Vec::new();
    for i in candidates {
        let Some(w) = set.watches.get(i) else {
            continue;
        };
        set.confirmed.fetch_add(1, Ordering::Relaxed);
        let hit = match w.text_matches(&columns) {
            // Words first, in memory; the filters (feeds, region, dates…) from the archive,
            // without the search index.
            Some(false) => false,
            Some(true) => match &w.filters {
                None => true,
                Some(filters) => matches_article(tx, filters, article)?,
            },
            None => matches_article(tx, &w.request, article)?,
        };
        if hit {
            matched.push(i);
        }
    }
    Ok(matched)
}

/// A watch's hit as `watch show` lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WatchHit {
    /// When the watch fired (RFC 3339).
    pub at: String,
    pub story: i64,
    /// The story's article that fired it.
    pub id: i64,
    pub title: String,
    pub url: String,
    pub feed: String,
    /// Places the story has been archived at so far.
    pub copies: i64,
}

impl Store {
    /// Puts the config's watches in force for what this store writes from now on.
    pub fn set_watches(&mut self, set: std::sync::Arc<WatchSet>) {
        self.watches = Some(set);
    }

    /// What checking new articles against the watches has cost so far.
    pub fn watch_cost(&self) -> Option<WatchCost> {
        self.watches.as_ref().map(|w| w.cost())
    }

    /// Hits of every watch so far.
    pub fn watch_hit_count(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM watch_hits", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(|e| self.err(e))
    }

    /// A watch's latest hits, newest first.
    pub fn watch_hits(&self, watch: &str, limit: usize) -> Result<Vec<WatchHit>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT h.at, h.story_id, a.id, a.title, a.url, f.name,
                        (SELECT count(*) FROM (SELECT DISTINCT c.article_id, c.url
                           FROM copies c JOIN articles s ON s.id = c.article_id
                           WHERE s.story_id = h.story_id) d)
                 FROM watch_hits h JOIN articles a ON a.id = h.article_id
                      JOIN feeds f ON f.id = a.feed_id
                 WHERE h.watch = ?1 ORDER BY h.at DESC, h.story_id DESC LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(
                params![watch, i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| {
                    Ok(WatchHit {
                        at: r.get(0)?,
                        story: r.get(1)?,
                        id: r.get(2)?,
                        title: r.get(3)?,
                        url: r.get(4)?,
                        feed: r.get(5)?,
                        copies: r.get(6)?,
                    })
                },
            )
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}
