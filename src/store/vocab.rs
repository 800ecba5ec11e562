//! The index's words and how many articles hold each: what a prefix query expands to.
//!
//! FTS5 answers `"banj"*` by merging the position lists of every indexed word that starts
//! with `banj` into one list before it can return a row, so the cost is every occurrence
//! of every such word: seconds for an Indonesian affix like `meng` in a million articles,
//! however few rows are wanted. A prefix is instead expanded here, from this table, into
//! its most frequent words, which FTS5 reads as an OR it can walk lazily and stop early
//! (at most [`MAX_PREFIX_WORDS`], the way search engines cap a prefix's expansions).
//!
//! Counts are kept in the writing transaction: +1 per article for each distinct word of a
//! new or rewritten text. A rewrite that drops a word does not decrement it; the counts
//! only order the expansion, and a word no article holds any more matches nothing.

use super::{Store, StoreError};

/// Words a prefix expands to at most.
pub const MAX_PREFIX_WORDS: usize = 32;
/// Words of one prefix examined at most (in alphabetical order) to pick the most frequent:
/// bounds the work of a one-letter prefix.
const SCAN_LIMIT: i64 = 50_000;
/// Longer tokens (base64 runs, URLs glued together) are not words anyone types a prefix of.
const MAX_WORD_BYTES: usize = 64;

/// What a prefix expands to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrefixWords {
    /// The most frequent words with the prefix, most frequent first.
    pub words: Vec<String>,
    /// More words have the prefix than `words` holds.
    pub capped: bool,
}

/// Word counts of a transaction's articles, written once when the transaction's work is
/// done: a batch of articles shares most of its words, so one upsert per distinct word of
/// the batch (in key order, each vocabulary page touched once) replaces one per word of
/// every article, which at a million articles was most of the write's time.
#[derive(Debug, Default)]
pub(super) struct Tally {
    counts: std::collections::HashMap<String, i64, foldhash::fast::RandomState>,
}

impl Tally {
    /// Counts the distinct words of one article's `texts` (as the index tokenises them).
    pub(super) fn note(&mut self, texts: &[&str]) {
        self.add(&article_words(texts));
    }

    /// Counts one article's distinct words, as [`article_words`] gave them.
    pub(super) fn add(&mut self, words: &[String]) {
        for w in words {
            match self.counts.get_mut(w) {
                Some(n) => *n += 1,
                None => {
                    self.counts.insert(w.clone(), 1);
                }
            }
        }
    }

    /// Counts the words of a new article's title, body and stems, taken from `known` when
    /// they were worked out already.
    pub(super) fn note_article(&mut self, texts: [&str; 3], known: Option<&IndexWords>) {
        match known.and_then(|k| k.words_of(texts)) {
            Some(words) => self.add(words),
            None => self.add(&article_words(&texts)),
        }
    }

    /// Adds the counts to the `vocab` table.
    pub(super) fn write(self, tx: &super::db::Transaction<'_>) -> super::db::Result<()> {
        let mut counts: Vec<(String, i64)> = self.counts.into_iter().collect();
        counts.sort_unstable();
        if tx.is_pg() {
            // Many words a statement: a statement a word is a round trip a word to the
            // server (a batch holds thousands of distinct words).
            for part in counts.chunks(1000) {
                let rows: Vec<String> = (0..part.len())
                    .map(|i| format!("(?{}, ?{})", 2 * i + 1, 2 * i + 2))
                    .collect();
                let sql = format!(
                    "INSERT INTO vocab (term, docs) VALUES {}
                     ON CONFLICT (term) DO UPDATE SET docs = vocab.docs + excluded.docs",
                    rows.join(", ")
                );
                let args: Vec<super::db::Value> = part
                    .iter()
                    .flat_map(|(w, n)| {
                        [
                            super::db::Value::Text(w.clone()),
                            super::db::Value::Integer(*n),
                        ]
                    })
                    .collect();
                tx.prepare_cached(&sql)?
                    .execute(super::db::params_from_iter(args.iter()))?;
            }
            return Ok(());
        }
        let mut stmt = tx.prepare_cached(
            "INSERT INTO vocab (term, docs) VALUES (?1, ?2)
             ON CONFLICT (term) DO UPDATE SET docs = vocab.docs + excluded.docs",
        )?;
        for (w, n) in &counts {
            stmt.execute(super::db::params![w, n])?;
        }
        Ok(())
    }
}

/// The distinct words of one article's `texts`, as the index tokenises them. Folded into
/// one buffer per text and deduplicated as slices of it, so only distinct words are
/// allocated: a `String` per token was a twentieth of `warta fetch`'s CPU.
pub(super) fn article_words(texts: &[&str]) -> Vec<String> {
    let folded: Vec<crate::stem::Folded> =
        texts.iter().map(|t| crate::stem::Folded::new(t)).collect();
    let mut words: Vec<&str> = folded
        .iter()
        .flat_map(crate::stem::Folded::iter)
        .filter(|w| w.len() <= MAX_WORD_BYTES)
        .collect();
    words.sort_unstable();
    words.dedup();
    words.into_iter().map(str::to_owned).collect()
}

/// An article's distinct index words, worked out where the article is assembled (the
/// extraction or import-reading thread) so that the single writer only counts them:
/// tokenising every new article again was an eighth of the writer's time at a million
/// articles. They remember a hash of the texts they were taken from; the writer works
/// them out again when the texts changed since (`Content::with_words` called too early).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexWords {
    words: Vec<String>,
    of: u64,
}

impl IndexWords {
    pub(super) fn new(texts: [&str; 3]) -> IndexWords {
        IndexWords {
            words: article_words(&texts),
            of: texts_hash(texts),
        }
    }

    /// The words, when they are those of `texts`.
    pub(super) fn words_of(&self, texts: [&str; 3]) -> Option<&[String]> {
        (self.of == texts_hash(texts)).then_some(self.words.as_slice())
    }
}

fn texts_hash(texts: [&str; 3]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    texts.hash(&mut h);
    h.finish()
}

/// Counts the distinct words of `texts` once more, for a single text.
pub(super) fn note_words(tx: &super::db::Transaction<'_>, texts: &[&str]) -> super::db::Result<()> {
    let mut tally = Tally::default();
    tally.note(texts);
    tally.write(tx)
}

impl Store {
    /// The most frequent indexed words starting with `prefix` (folded like the index:
    /// lower case, no diacritics). A prefix that is not a single word (`covid-1`) gives
    /// nothing: FTS5's own prefix query handles it.
    /// How many articles hold the index word `word` (0 for one the archive has not seen).
    pub fn word_docs(&self, word: &str) -> Result<u64, StoreError> {
        self.conn
            .prepare_cached("SELECT docs FROM vocab WHERE term = ?1")
            .and_then(|mut s| {
                super::db::OptionalExtension::optional(s.query_row([word], |r| r.get::<_, i64>(0)))
            })
            .map(|d| d.map_or(0, |d| u64::try_from(d).unwrap_or(0)))
            .map_err(|e| self.err(e))
    }

    pub fn prefix_words(&self, prefix: &str) -> Result<PrefixWords, StoreError> {
        let mut tokens = crate::stem::index_tokens(prefix);
        let (Some(p), None) = (tokens.next(), tokens.next()) else {
            return Ok(PrefixWords::default());
        };
        let upper = format!("{p}\u{10FFFF}");
        let mut stmt = self
            .conn
            .prepare_cached("SELECT term, docs FROM vocab WHERE term >= ?1 AND term < ?2 LIMIT ?3")
            .map_err(|e| self.err(e))?;
        let mut found: Vec<(String, i64)> = stmt
            .query_map(super::db::params![p, upper, SCAN_LIMIT], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))?;
        let capped = found.len() > MAX_PREFIX_WORDS;
        found.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        found.truncate(MAX_PREFIX_WORDS);
        Ok(PrefixWords {
            words: found.into_iter().map(|(w, _)| w).collect(),
            capped,
        })
    }
}
