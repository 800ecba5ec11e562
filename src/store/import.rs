//! Backfill writes (`warta import`): articles that were not polled, written through the
//! same item write as a poll (`write::write_item`: URL and body dedup, story placement,
//! search index), but with their own times and places instead of "now" and one feed.
//!
//! Each batch is one transaction, so a stop or a kill keeps every committed batch and a
//! re-run finds those articles again by their (feed, URL) item and URL keys.

use super::db::{OptionalExtension, Transaction, params};
use chrono::{DateTime, Utc};

use super::vocab::Tally;
use super::write::{ItemOutcome, ItemWrite, add_place, write_item};
use super::{Store, StoreError, stories};
use crate::model::{ArticleId, rfc3339};

/// One more place an imported article was seen.
#[derive(Debug, Clone)]
pub struct ImportPlace {
    pub feed: String,
    pub url: String,
    /// URL keys of `url` (`dedup::url_key`).
    pub key: String,
    pub first_seen: DateTime<Utc>,
    pub published: Option<String>,
}

/// One article to import.
#[derive(Debug, Clone)]
pub struct ImportWrite {
    /// The feed it is archived under; a feed the archive does not know yet is recorded
    /// by name only (no URL, state `disabled`), so it is never polled until configured.
    pub feed: String,
    /// When it was first seen: its fetch time in the source archive, or the capture time.
    pub seen: DateTime<Utc>,
    /// The article, as a poll would write it; its guid is its URL.
    pub item: ItemWrite,
    /// Every place it was seen, the first included (a JSONL export lists them).
    pub places: Vec<ImportPlace>,
    /// URL keys of the other articles of its story in the source archive: it joins the
    /// story of the first of them already imported, so the grouping survives a round trip
    /// without holding a map of stories in memory.
    pub story_keys: Vec<String>,
}

/// The page cache of an importing connection. SQLite's default (2 MiB) is far smaller
/// than the indexes a backfill walks for every article (URL keys, bands, the FTS5
/// segments), so it re-reads pages from the OS for each; at a 100,000-article import this
/// took a quarter of the run in pread/pwrite. Bounded, so memory stays flat.
const IMPORT_CACHE_KIB: i64 = 64 * 1024;

/// FTS5's pending-entries bound for an importing connection: a batch of the import
/// command (1,024 articles of a few KB) fits, so each commit writes one segment.
const IMPORT_FTS_HASH_BYTES: i64 = 8 * 1024 * 1024;

impl Store {
    /// Gives this connection a page cache fit for a long run of writes (`warta import`).
    pub fn for_import(self) -> Result<Store, StoreError> {
        if let Some(c) = self.conn.sqlite() {
            c.pragma_update(None, "cache_size", -IMPORT_CACHE_KIB)
                .map_err(|e| self.err(e.into()))?;
        }
        // FTS5 flushes its in-memory entries as a new segment whenever they pass
        // `hashsize` (1 MiB by default), not only at commit: a batch of `warta import`
        // holds several MiB, so it was written as several small segments, each merged
        // again later. Stored in the archive; a poll's write never holds this much.
        self.conn
            .execute(
                "INSERT INTO articles_fts (articles_fts, rank) VALUES ('hashsize', ?1)",
                [IMPORT_FTS_HASH_BYTES],
            )
            .map_err(|e| self.err(e))?;
        Ok(self)
    }

    /// Writes a batch of imported articles in one transaction.
    pub fn import_batch(&mut self, batch: &[ImportWrite]) -> Result<Vec<ItemOutcome>, StoreError> {
        let path = self.path.clone();
        let err = |e| super::sql_err(&path, e);
        let tx = self.conn.transaction().map_err(err)?;
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut words = Tally::default();
        for w in batch {
            outcomes.push(import_one(&tx, w, &mut words).map_err(err)?);
        }
        words.write(&tx).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(outcomes)
    }
}

fn import_one(
    tx: &Transaction<'_>,
    w: &ImportWrite,
    words: &mut Tally,
) -> super::db::Result<ItemOutcome> {
    let feed_id = feed_id(tx, &w.feed)?;
    let now = rfc3339(&w.seen);
    let outcome = write_item(tx, feed_id, &now, w.seen, &w.item, words)?;
    let article = match outcome {
        ItemOutcome::New(ArticleId(id)) => {
            join_story(tx, id, &w.story_keys)?;
            id
        }
        ItemOutcome::Duplicate(ArticleId(id)) => id,
        ItemOutcome::Seen | ItemOutcome::Skipped => return Ok(outcome),
    };
    let own_key = w.item.keys.first();
    for p in &w.places {
        let place_feed = feed_id_cached(tx, &p.feed, (&w.feed, feed_id))?;
        let item = ItemWrite {
            guid: p.url.clone(),
            link: p.url.clone(),
            keys: vec![p.key.clone()],
            published: None,
            revision: None,
            content: None,
        };
        let method = if own_key == Some(&p.key) {
            "same-url"
        } else {
            "same-body"
        };
        add_place(
            tx,
            article,
            place_feed,
            &item,
            p.published.as_deref(),
            &rfc3339(&p.first_seen),
            (method, None),
        )?;
    }
    Ok(outcome)
}

fn feed_id_cached(tx: &Transaction<'_>, name: &str, known: (&str, i64)) -> super::db::Result<i64> {
    if name == known.0 {
        return Ok(known.1);
    }
    feed_id(tx, name)
}

/// The feed's row, recorded by name alone when the archive does not know it.
fn feed_id(tx: &Transaction<'_>, name: &str) -> super::db::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO feeds (name, url, state) VALUES (?1, '', 'disabled') ON CONFLICT (name) DO NOTHING",
    )?
    .execute([name])?;
    tx.prepare_cached("SELECT id FROM feeds WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
}

/// Moves a new article into the story of an already imported article of its source story,
/// when the near-duplicate placement put it elsewhere.
fn join_story(tx: &Transaction<'_>, article: i64, keys: &[String]) -> super::db::Result<()> {
    let mut sibling = tx.prepare_cached(
        "SELECT a.story_id FROM url_keys k JOIN articles a ON a.id = k.article_id
         WHERE k.key = ?1 AND a.id != ?2",
    )?;
    let mut target = None;
    for key in keys {
        target = sibling
            .query_row(params![key, article], |r| r.get::<_, i64>(0))
            .optional()?;
        if target.is_some() {
            break;
        }
    }
    let Some(target) = target else {
        return Ok(());
    };
    let placed: i64 = tx.query_row(
        "SELECT story_id FROM articles WHERE id = ?1",
        [article],
        |r| r.get(0),
    )?;
    if placed == target {
        return Ok(());
    }
    tx.execute(
        "UPDATE articles SET story_id = ?2, story_method = 'import', story_similarity = NULL
         WHERE id = ?1",
        params![article, target],
    )?;
    let left: i64 = tx.query_row(
        "SELECT count(*) FROM articles WHERE story_id = ?1",
        [placed],
        |r| r.get(0),
    )?;
    if left == 0 {
        tx.execute("DELETE FROM stories WHERE id = ?1", [placed])?;
    } else {
        stories::refresh_representative(tx, placed)?;
    }
    stories::refresh_representative(tx, target)
}
