//! Saving what is readable from a damaged archive: `warta export --salvage` and `warta backup
//! --salvage`.
//!
//! A damaged page makes every statement that reaches it fail, so a plain walk over a table
//! stops at the first one. A salvage walks a table in rowid order and, when the walk fails,
//! looks the following rowids up one at a time until one is readable again, then walks on
//! from there: what is lost is the rows on the damaged pages, not the rest of the table.
//! warta's ids are dense (rows are never deleted), so the rowids looked up in vain are about
//! the rows lost.

use std::path::Path;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Transaction, params_from_iter};

use super::{Store, StoreError, lite_err};

/// Consecutive unreadable rowids after which a walk gives up when the table's last rowid is
/// itself unreadable (the damaged end of a table cannot be told from its real end).
const MAX_MISSES: u64 = 10_000;

/// What a salvage could not read.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Lost {
    /// Rows that could not be read (at most: a damaged page may have held fewer).
    pub rows: u64,
    /// Some rows could not be read and how many is unknown (the end of a table, or a table
    /// without rowids).
    pub more: bool,
}

impl Lost {
    pub fn any(&self) -> bool {
        self.rows > 0 || self.more
    }
}

/// Where a walk asks the table to read.
pub(super) enum Seek {
    /// The first row past this rowid.
    After(i64),
    /// Exactly this rowid, if there is such a row.
    At(i64),
}

/// Walks the rowids of one table through its readable parts, up to `last` when the table's
/// last rowid could be read. `step` handles the row a [`Seek`] finds and returns its rowid
/// (None: no row there, or the end); an SQLite error means a damaged page (the row is lost),
/// an `E` stops the walk.
pub(super) fn walk<E>(
    last: Option<i64>,
    mut step: impl FnMut(Seek) -> Result<rusqlite::Result<Option<i64>>, E>,
) -> Result<Lost, E> {
    let mut lost = Lost::default();
    let mut after = 0;
    loop {
        match step(Seek::After(after))? {
            Ok(Some(id)) => after = id,
            Ok(None) => return Ok(lost),
            Err(_) => {
                let mut misses = 0;
                loop {
                    let id = after + 1;
                    if last.is_some_and(|l| id > l) {
                        return Ok(lost);
                    }
                    if last.is_none() && misses >= MAX_MISSES {
                        lost.rows -= misses;
                        lost.more = true;
                        return Ok(lost);
                    }
                    after = id;
                    match step(Seek::At(id))? {
                        Ok(_) => break,
                        Err(_) => {
                            lost.rows += 1;
                            misses += 1;
                        }
                    }
                }
            }
        }
    }
}

/// Tables with rowids, parents first; their rows are copied with their ids.
const ROWID_TABLES: [&str; 8] = [
    "feeds",
    "stories",
    "story_merges",
    "articles",
    "article_versions",
    "pages",
    "responses",
    "copies",
];

/// Tables without rowids, copied from each end until a damaged page. `vocab` is not among
/// them: it is counted again from the rebuilt index.
const KEYED_TABLES: [&str; 5] = ["hosts", "story_bands", "url_keys", "items", "meta"];

/// One table of a salvaged copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSalvage {
    pub table: &'static str,
    pub copied: u64,
    pub lost: Lost,
}

/// Fills the new archive at `dest` with every readable row of the damaged archive `src`,
/// in one transaction. The search index is rebuilt from the copied articles as they go in.
///
/// The damaged file is read through its own connection, outside any transaction: each read
/// that meets a damaged page fails alone, and the next starts afresh.
pub(super) fn copy(src: &Path, dest: &Path) -> Result<Vec<TableSalvage>, StoreError> {
    let from = super::open::read_only(src)?;
    drop(Store::open(dest)?);
    let err = |e| lite_err(dest, e);
    let conn = Connection::open(dest).map_err(err)?;
    // Rows whose parent row was lost still go in; what points nowhere is cleared at the end.
    conn.execute_batch("PRAGMA foreign_keys = OFF;")
        .map_err(err)?;
    let tx = conn.unchecked_transaction().map_err(err)?;
    tx.execute_batch("DELETE FROM meta;").map_err(err)?;
    let mut lost = Vec::new();
    for table in ROWID_TABLES {
        lost.push((table, copy_rowid_table(&from, &tx, table).map_err(err)?));
    }
    for table in KEYED_TABLES {
        lost.push((table, copy_keyed_table(&from, &tx, table).map_err(err)?));
    }
    tx.execute_batch(REPAIR).map_err(err)?;
    tx.execute(
        "UPDATE story_bands_merged SET upto = ?1",
        [merged_upto(&from, &tx).map_err(err)?],
    )
    .map_err(err)?;
    let report = lost
        .into_iter()
        .map(|(table, lost)| counted(&tx, table, lost))
        .collect::<rusqlite::Result<_>>()
        .map_err(err)?;
    tx.commit().map_err(err)?;
    Ok(report)
}

/// What the copied rows need to hang together: a placeholder for each lost story or feed
/// that copied rows name, no rows about articles that were lost, and the word counts of
/// the rebuilt index.
const REPAIR: &str = "
    INSERT INTO stories (id, created)
        SELECT a.story_id, min(a.fetched) FROM articles a
        WHERE NOT EXISTS (SELECT 1 FROM stories s WHERE s.id = a.story_id)
        GROUP BY a.story_id;
    INSERT INTO feeds (id, name, url)
        SELECT f, 'salvaged-' || f, '' FROM (
            SELECT feed_id AS f FROM articles UNION SELECT feed_id FROM copies
            UNION SELECT feed_id FROM items)
        WHERE f NOT IN (SELECT id FROM feeds);
    DELETE FROM copies WHERE article_id NOT IN (SELECT id FROM articles);
    DELETE FROM items WHERE article_id NOT IN (SELECT id FROM articles);
    DELETE FROM url_keys WHERE article_id NOT IN (SELECT id FROM articles);
    DELETE FROM story_bands WHERE article_id NOT IN (SELECT id FROM articles);
    DELETE FROM pages WHERE article_id NOT IN (SELECT id FROM articles);
    DELETE FROM responses WHERE article_id NOT IN (SELECT id FROM articles);
    DELETE FROM article_versions WHERE article_id NOT IN (SELECT id FROM articles);
    -- Revisit schedules are not copied: every page article is due, counted from its fetch.
    INSERT INTO page_checks (article_id, feed_id, since, due)
        SELECT id, feed_id, fetched_ts, fetched_ts FROM articles WHERE source = 'page';
    DELETE FROM vocab;
    CREATE VIRTUAL TABLE temp.salvaged_words USING fts5vocab(main, articles_fts, row);
    INSERT INTO vocab (term, docs) SELECT term, doc FROM temp.salvaged_words;
    DROP TABLE temp.salvaged_words;
";

/// How far the copied `story_bands` is complete (`bands.rs`): the bands of later articles
/// are derived from their signatures again. An archive from before the split had all its
/// bands in the table; when the damaged file does not say, 0 derives them all again, which
/// is slow on the first write but never misses one.
fn merged_upto(from: &Connection, to: &Transaction) -> rusqlite::Result<i64> {
    let version: i64 = from
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap_or(0);
    if (1..4).contains(&version) {
        return to.query_row("SELECT coalesce(max(id), 0) FROM articles", [], |r| {
            r.get(0)
        });
    }
    Ok(from
        .query_row("SELECT upto FROM story_bands_merged", [], |r| r.get(0))
        .unwrap_or(0))
}

fn counted(tx: &Transaction, table: &'static str, lost: Lost) -> rusqlite::Result<TableSalvage> {
    let copied: i64 = tx.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
    Ok(TableSalvage {
        table,
        copied: u64::try_from(copied).unwrap_or(0),
        lost,
    })
}

/// The names of a table's columns (with their place in the primary key).
fn table_info(conn: &Connection, table: &str) -> rusqlite::Result<Vec<(String, i64)>> {
    conn.prepare(&format!("PRAGMA table_info({table})"))?
        .query_map([], |r| Ok((r.get(1)?, r.get(5)?)))?
        .collect()
}

/// The columns both copies of `table` have, quoted for SQL; None when the damaged file's
/// own description of the table cannot be read.
fn columns(
    from: &Connection,
    to: &Transaction,
    table: &str,
) -> rusqlite::Result<Option<Vec<String>>> {
    let Ok(theirs) = table_info(from, table) else {
        return Ok(None);
    };
    Ok(Some(
        table_info(to, table)?
            .into_iter()
            .filter(|(c, _)| theirs.iter().any(|(t, _)| t == c))
            .map(|(c, _)| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect(),
    ))
}

/// The values of one row, whatever their types.
fn values(row: &rusqlite::Row<'_>, n: usize) -> rusqlite::Result<Vec<Value>> {
    (0..n).map(|i| row.get::<_, Value>(i)).collect()
}

const UNREADABLE: Lost = Lost {
    rows: 0,
    more: true,
};

fn copy_rowid_table(from: &Connection, to: &Transaction, table: &str) -> rusqlite::Result<Lost> {
    let Some(cols) = columns(from, to, table)? else {
        return Ok(UNREADABLE);
    };
    let list = cols.join(", ");
    let marks = vec!["?"; cols.len()].join(", ");
    let next = format!("SELECT rowid FROM {table} WHERE rowid > ?1 ORDER BY rowid LIMIT 1");
    let read = format!("SELECT {list} FROM {table} WHERE rowid = ?1");
    let insert = format!("INSERT INTO {table} ({list}) VALUES ({marks})");
    let last: Option<i64> = from
        .query_row(&format!("SELECT max(rowid) FROM {table}"), [], |r| r.get(0))
        .ok()
        .flatten();
    // Reading fails on a damaged page (the inner result); writing the new file must not.
    let copy_at = |id: i64| -> rusqlite::Result<rusqlite::Result<Option<i64>>> {
        let row = from
            .prepare_cached(&read)
            .and_then(|mut s| s.query_row([id], |r| values(r, cols.len())).optional());
        Ok(match row {
            Ok(Some(values)) => {
                to.prepare_cached(&insert)?
                    .execute(params_from_iter(values))?;
                Ok(Some(id))
            }
            other => other.map(|_| None),
        })
    };
    walk(last, |seek| match seek {
        Seek::After(after) => {
            let found = from
                .prepare_cached(&next)
                .and_then(|mut s| s.query_row([after], |r| r.get::<_, i64>(0)).optional());
            match found {
                Ok(Some(id)) => copy_at(id),
                other => Ok(other),
            }
        }
        Seek::At(id) => copy_at(id),
    })
}

/// A table without rowids has no number to skip a damaged page by: its rows are read in key
/// order from the start until a damaged page, then from the end back to one.
fn copy_keyed_table(from: &Connection, to: &Transaction, table: &str) -> rusqlite::Result<Lost> {
    let Some(cols) = columns(from, to, table)? else {
        return Ok(UNREADABLE);
    };
    let keys: Vec<String> = table_info(to, table)?
        .into_iter()
        .filter(|(_, pk)| *pk > 0)
        .map(|(name, _)| name)
        .collect();
    let list = cols.join(", ");
    let marks = vec!["?"; cols.len()].join(", ");
    let insert = format!("INSERT OR IGNORE INTO {table} ({list}) VALUES ({marks})");
    for direction in ["ASC", "DESC"] {
        let order: Vec<String> = keys.iter().map(|k| format!("{k} {direction}")).collect();
        let select = format!("SELECT {list} FROM {table} ORDER BY {}", order.join(", "));
        let mut stmt = match from.prepare(&select) {
            Ok(s) => s,
            Err(_) => return Ok(UNREADABLE),
        };
        let mut rows = match stmt.query([]) {
            Ok(r) => r,
            Err(_) => return Ok(UNREADABLE),
        };
        let whole = loop {
            match rows.next() {
                Ok(Some(row)) => {
                    let Ok(values) = values(row, cols.len()) else {
                        break false;
                    };
                    let added = to
                        .prepare_cached(&insert)?
                        .execute(params_from_iter(values))?;
                    // Back at rows the forward pass copied: the whole table is in.
                    if added == 0 && direction == "DESC" {
                        break true;
                    }
                }
                Ok(None) => break true,
                Err(_) => break false,
            }
        };
        if whole {
            return Ok(Lost::default());
        }
    }
    Ok(UNREADABLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table of rowids 1..=20 whose rows 6..=9 sit on a damaged page.
    fn damaged(seek: Seek) -> rusqlite::Result<Option<i64>> {
        let bad = 6..=9;
        let rows = 1..=20;
        match seek {
            Seek::After(a) if bad.contains(&(a + 1)) => Err(rusqlite::Error::InvalidQuery),
            Seek::After(a) => Ok(rows.contains(&(a + 1)).then_some(a + 1)),
            Seek::At(id) if bad.contains(&id) => Err(rusqlite::Error::InvalidQuery),
            Seek::At(id) => Ok(rows.contains(&id).then_some(id)),
        }
    }

    #[test]
    fn a_walk_skips_a_damaged_page_and_counts_its_rows() {
        let mut seen = Vec::new();
        let lost = walk(Some(20), |seek| -> Result<_, ()> {
            let r = damaged(seek);
            if let Ok(Some(id)) = r {
                seen.push(id);
            }
            Ok(r)
        })
        .unwrap();
        assert_eq!(
            seen,
            [1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
        );
        assert_eq!(
            lost,
            Lost {
                rows: 4,
                more: false
            }
        );
    }

    #[test]
    fn a_walk_whose_end_is_unreadable_stops_and_says_so() {
        let lost = walk(None, |seek| -> Result<_, ()> {
            Ok(match seek {
                Seek::After(a) | Seek::At(a) if a >= 3 => Err(rusqlite::Error::InvalidQuery),
                Seek::After(a) => Ok(Some(a + 1)),
                Seek::At(id) => Ok(Some(id)),
            })
        })
        .unwrap();
        assert_eq!(
            lost,
            Lost {
                rows: 0,
                more: true
            }
        );
    }
}

#[cfg(test)]
mod copy_tests {
    use crate::store::tests::{content, item, poll, setup};

    #[test]
    fn a_sound_archive_is_copied_whole() {
        let (dir, mut store, feeds) = setup();
        store
            .apply_poll(&poll(
                feeds[0],
                vec![item(
                    "g1",
                    "https://a.example/1",
                    Some(content(
                        "https://a.example/1",
                        "Banjir",
                        "Banjir merendam tiga kecamatan di Samarinda setelah hujan deras semalam.",
                    )),
                )],
            ))
            .unwrap();
        let src = store.path().to_path_buf();
        drop(store);
        let dest = dir.path().join("copy.db");
        let report = super::copy(&src, &dest).unwrap();
        assert!(report.iter().all(|t| !t.lost.any()), "{report:?}");
        let copy = crate::store::Store::open(&dest).unwrap();
        assert_eq!(copy.integrity_check().unwrap(), "ok");
    }
}
