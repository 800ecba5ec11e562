//! Watches matched inside the write (issue 16): each new article is checked against every
//! watch in the transaction that stores it, so a hit is committed with its article or not
//! at all. Checking is cheap in the number of watches: each watch is indexed by the first
//! index word of each alternative of one of its clauses (an article without any of them
//! cannot match), and only the watches an article's own words select are confirmed, by
//! their search query restricted to the article — the same SQL `warta search` runs, so a
//! watch matches exactly what a search would find.

use std::borrow::Cow;
use std::collections::HashMap;

use rusqlite::{Transaction, params};

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

/// One watch, compiled.
#[derive(Debug, Clone)]
pub struct CompiledWatch {
    pub name: String,
    /// Its query and filters as `warta search` would run them.
    pub request: SearchRequest,
    /// One clause's anchors: the article must hold one of them. Empty: a query of filters
    /// only, checked against every article.
    pub anchors: Vec<Anchor>,
}

/// Every watch of the config, indexed by anchor.
#[derive(Debug, Default)]
pub struct WatchSet {
    watches: Vec<CompiledWatch>,
    by_word: HashMap<String, Vec<usize>>,
    by_prefix: Vec<(String, usize)>,
    always: Vec<usize>,
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

    /// The watches an article with these index words (sorted, distinct) may match.
    fn candidates(&self, words: &[String]) -> Vec<usize> {
        let mut found: Vec<usize> = self.always.clone();
        for w in words {
            if let Some(ids) = self.by_word.get(w) {
                found.extend(ids);
            }
        }
        for (p, i) in &self.by_prefix {
            // `words` is sorted: the first word not before the prefix starts with it, if any does.
            let at = words.partition_point(|w| w.as_str() < p.as_str());
            if words.get(at).is_some_and(|w| w.starts_with(p.as_str())) {
                found.push(*i);
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// Records the watches the new article `article` (with content `c`) matches: one hit per
/// watch and story, the first article of the story that matched.
pub(super) fn check_new(
    tx: &Transaction<'_>,
    set: &WatchSet,
    article: i64,
    c: &Content,
    now: &str,
) -> rusqlite::Result<()> {
    if set.is_empty() {
        return Ok(());
    }
    let texts = [c.title.as_str(), c.body.as_str(), c.stems.as_str()];
    let words: Cow<'_, [String]> = match c.words.as_ref().and_then(|w| w.words_of(texts)) {
        Some(w) => Cow::Borrowed(w),
        None => Cow::Owned(article_words(&texts)),
    };
    let candidates = set.candidates(&words);
    if candidates.is_empty() {
        return Ok(());
    }
    let story: i64 = tx.query_row(
        "SELECT story_id FROM articles WHERE id = ?1",
        [article],
        |r| r.get(0),
    )?;
    for i in candidates {
        let Some(w) = set.watches.get(i) else {
            continue;
        };
        if matches_article(tx, &w.request, article)? {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO watch_hits (watch, story_id, article_id, at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![w.name, story, article, now])?;
        }
    }
    Ok(())
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

    /// A watch's latest hits, newest first.
    pub fn watch_hits(&self, watch: &str, limit: usize) -> Result<Vec<WatchHit>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT h.at, h.story_id, a.id, a.title, a.url, f.name,
                        (SELECT count(*) FROM (SELECT DISTINCT c.article_id, c.url
                           FROM copies c JOIN articles s ON s.id = c.article_id
                           WHERE s.story_id = h.story_id))
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
