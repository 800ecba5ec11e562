//! The LSH band index that finds an article's near duplicates (`stories.rs`), kept in two
//! parts so that writing it stays sequential however large the archive grows.
//!
//! Band keys are random by design, so a B-tree keyed on them takes each new row on a
//! different page: at 1,000,000 articles one poll's transaction dirtied ~2,000 pages of
//! `story_bands`, each written to the log at commit and again at the checkpoint (~250 KB
//! an article for 11 KB of archive). Now:
//!
//! * `story_bands` holds the bands of every article up to `story_bands_merged.upto`;
//! * the bands of the articles after it are *derived*: each is in its `articles.minhash`,
//!   and the writing connection keeps them in a temporary table (`temp.recent_bands`),
//!   filled from `articles` as they are written; it costs no disk write and is rebuilt
//!   from the archive whenever it is missing or stale (a new connection, a rolled-back
//!   transaction, another process's writes);
//! * when it holds [`MERGE_ROWS`] rows, they go into `story_bands` at once in key order
//!   (every page of the index is then written once for a million rows, not once for each
//!   few rows) and `upto` moves, in the writing transaction, so a kill leaves either the
//!   old state or the new one.
//!
//! A lookup reads both parts; the union of the pairs is exactly the one table of before,
//! so the candidates, and every story decision, are the same.
//!
//! On PostgreSQL the bands go into `story_bands` as each article is written (`write.rs`):
//! its writers are separate processes whose ids do not commit in order, so a part derived
//! "after id N" would miss an article committed late with a lower id; and PostgreSQL's
//! B-tree takes random keys without SQLite's rewritten log pages.
//!
//! A band written for an article already archived (a revision, a retried page, a
//! re-extraction) goes straight into `story_bands`, and so do its bands of before when
//! its `minhash` is about to change while it is still in the derived part: otherwise they
//! would be lost with the old signature.

use super::db::{OptionalExtension, Transaction, params};

use crate::dedup::minhash::Signature;

/// Rows held in the derived part before they are merged (~32,000 articles). Larger means
/// fewer merges (each writes nearly every page of `story_bands` once) but more memory in
/// the writer and a longer rebuild when a connection starts writing.
/// Small in unit tests, so that their few articles cross many merges.
const MERGE_ROWS: i64 = if cfg!(test) { 100 } else { 1 << 20 };

/// Page cache of the temporary part: the rows of [`MERGE_ROWS`] with room to spare, so
/// that it never spills to its temporary file. Bounded, whatever the archive's size.
const TEMP_CACHE_KIB: i64 = 40 * 1024;

/// Articles read at a time when the derived part is rebuilt (the LIMIT in [`sync`]).
const LOAD_CHUNK: usize = 1024;

/// Brings the writing connection's derived part up to date with the archive (merging it
/// when it is full). Returns nothing: the state lives in the temporary tables, so that it
/// rolls back with the transaction.
pub(super) fn sync(tx: &Transaction<'_>) -> super::db::Result<()> {
    if tx.is_pg() {
        return Ok(());
    }
    // Parsing the DDL on every call cost more than the rest of this function.
    let exists = tx
        .prepare_cached("SELECT 1 FROM temp.sqlite_master WHERE name = 'recent_state'")?
        .exists([])?;
    if !exists {
        create(tx)?;
    }
    let mut merged = merged_upto(tx)?;
    let state: Option<(i64, i64, i64)> = tx
        .prepare_cached("SELECT merged_upto, synced_upto, rows FROM temp.recent_state")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let (mut synced, mut rows) = match state {
        Some((m, s, r)) if m == merged => (s, r),
        _ => {
            tx.execute_batch("DELETE FROM temp.recent_bands;")?;
            (merged, 0)
        }
    };
    let last: i64 = tx
        .prepare_cached("SELECT coalesce(max(id), 0) FROM articles")?
        .query_row([], |r| r.get(0))?;
    // A literal LIMIT: a bound one re-prepares the statement at every call (`members`).
    let mut read = tx.prepare_cached(
        "SELECT id, minhash FROM articles WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT 1024",
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO temp.recent_bands (band, article_id) VALUES (?1, ?2)",
    )?;
    while synced < last {
        let chunk: Vec<(i64, Option<Vec<u8>>)> = read
            .query_map(params![synced, last], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        synced = match chunk.last() {
            Some(&(id, _)) if chunk.len() == LOAD_CHUNK => id,
            _ => last,
        };
        for (id, blob) in chunk {
            for band in stored_bands(blob.as_deref()) {
                rows += insert.execute(params![band, id])? as i64;
            }
        }
        if rows >= MERGE_ROWS {
            merge(tx, synced)?;
            merged = synced;
            rows = 0;
        }
    }
    if state != Some((merged, synced, rows)) {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO temp.recent_state (id, merged_upto, synced_upto, rows)
             VALUES (0, ?1, ?2, ?3)",
        )?
        .execute(params![merged, synced, rows])?;
    }
    Ok(())
}

fn create(tx: &Transaction<'_>) -> super::db::Result<()> {
    tx.execute_batch(
        "CREATE TEMP TABLE recent_bands (
             band INTEGER NOT NULL,
             article_id INTEGER NOT NULL,
             PRIMARY KEY (band, article_id)
         ) WITHOUT ROWID;
         CREATE TEMP TABLE recent_state (
             id INTEGER PRIMARY KEY CHECK (id = 0),
             merged_upto INTEGER NOT NULL,
             synced_upto INTEGER NOT NULL,
             rows INTEGER NOT NULL
         );",
    )?;
    if let Some(c) = tx.sqlite() {
        c.pragma_update(Some("temp"), "cache_size", -TEMP_CACHE_KIB)?;
    }
    Ok(())
}

/// Moves the derived part into `story_bands` in key order; `upto` becomes `synced`.
fn merge(tx: &Transaction<'_>, synced: i64) -> super::db::Result<()> {
    tx.execute_batch(
        "INSERT OR IGNORE INTO main.story_bands (band, article_id)
             SELECT band, article_id FROM temp.recent_bands ORDER BY band, article_id;
         DELETE FROM temp.recent_bands;",
    )?;
    tx.execute("UPDATE main.story_bands_merged SET upto = ?1", [synced])?;
    Ok(())
}

fn merged_upto(tx: &Transaction<'_>) -> super::db::Result<i64> {
    Ok(tx
        .prepare_cached("SELECT upto FROM main.story_bands_merged")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// The band keys of a stored signature (none for an absent or outdated one).
fn stored_bands(blob: Option<&[u8]>) -> Vec<i64> {
    blob.and_then(Signature::from_bytes)
        .map(|mins| Signature { mins, shingles: 0 }.bands())
        .unwrap_or_default()
}

/// Articles a lookup takes from one band at most (the lowest ids): a band with more members
/// is boilerplate shared by a template. Written into [`members`]'s SQL as a literal: see
/// there.
pub(super) const PER_BAND: usize = 64;

/// The first [`PER_BAND`] articles (lowest ids) holding `band`, from both parts. Call
/// [`sync`] first in the transaction.
pub(super) fn members(tx: &Transaction<'_>, band: i64) -> super::db::Result<Vec<i64>> {
    let mut ids: Vec<i64> = Vec::new();
    if tx.is_pg() {
        let mut stmt = tx.prepare_cached(
            "SELECT article_id FROM story_bands WHERE band = ?1 ORDER BY article_id LIMIT 64",
        )?;
        for id in stmt.query_map([band], |r| r.get::<_, i64>(0))? {
            ids.push(id?);
        }
        return Ok(ids);
    }
    // `band = ?1` (or a bound LIMIT) under ORDER BY made SQLite 3.54 (built with STAT4)
    // re-prepare the statement for every new value: an eighth of the writer's time. `+?1`
    // and a literal LIMIT keep the plan (the primary key, no sort) and the statement.
    for sql in [
        "SELECT article_id FROM main.story_bands WHERE band = +?1 ORDER BY article_id LIMIT 64",
        "SELECT article_id FROM temp.recent_bands WHERE band = +?1 ORDER BY article_id LIMIT 64",
    ] {
        let mut stmt = tx.prepare_cached(sql)?;
        for id in stmt.query_map([band], |r| r.get::<_, i64>(0))? {
            ids.push(id?);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    ids.truncate(PER_BAND);
    Ok(ids)
}

/// [`members`] of each of `bands` at once (PostgreSQL, whose bands are all in one table).
pub(super) fn members_of_each(
    tx: &Transaction<'_>,
    bands: &[i64],
) -> super::db::Result<std::collections::HashMap<i64, Vec<i64>>> {
    let mut out: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
    if bands.is_empty() {
        return Ok(out);
    }
    let marks: Vec<String> = (1..=bands.len()).map(|i| format!("?{i}")).collect();
    let sql = format!(
        "SELECT band, article_id FROM (
             SELECT band, article_id,
                    row_number() OVER (PARTITION BY band ORDER BY article_id) AS n
             FROM story_bands WHERE band IN ({})) b
         WHERE n <= {PER_BAND} ORDER BY band, article_id",
        marks.join(", ")
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    let rows = stmt.query_map(super::db::params_from_iter(bands.iter()), |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (band, article) = row?;
        out.entry(band).or_default().push(article);
    }
    Ok(out)
}

/// Before an archived article's `minhash` is replaced: keeps its current bands, which
/// would otherwise live only in the signature about to go.
pub(super) fn keep(tx: &Transaction<'_>, article: i64) -> super::db::Result<()> {
    if tx.is_pg() || article <= merged_upto(tx)? {
        return Ok(());
    }
    let blob: Option<Vec<u8>> = tx
        .prepare_cached("SELECT minhash FROM articles WHERE id = ?1")?
        .query_row([article], |r| r.get(0))
        .optional()?
        .flatten();
    add(tx, article, &stored_bands(blob.as_deref()))
}

/// Adds bands of an already archived article (its new signature after a revision).
pub(super) fn add(tx: &Transaction<'_>, article: i64, bands: &[i64]) -> super::db::Result<()> {
    if tx.is_pg() {
        // One statement for all of them: each is a round trip to the server otherwise.
        return add_many(tx, &bands.iter().map(|&b| (b, article)).collect::<Vec<_>>());
    }
    let mut stmt = tx.prepare_cached(tx.pick(
        "INSERT OR IGNORE INTO main.story_bands (band, article_id) VALUES (?1, ?2)",
        "INSERT OR IGNORE INTO story_bands (band, article_id) VALUES (?1, ?2)",
    ))?;
    for band in bands {
        stmt.execute(params![band, article])?;
    }
    Ok(())
}

/// Adds (band, article) pairs, many to a statement (PostgreSQL: a migration's chunk, a new
/// article's bands).
pub(super) fn add_many(tx: &super::db::Conn, pairs: &[(i64, i64)]) -> super::db::Result<()> {
    const PER_STATEMENT: usize = 500;
    let table = tx.pick("main.story_bands", "story_bands");
    for part in pairs.chunks(PER_STATEMENT) {
        let rows: Vec<String> = (0..part.len())
            .map(|i| format!("(?{}, ?{})", 2 * i + 1, 2 * i + 2))
            .collect();
        let sql = format!(
            "INSERT OR IGNORE INTO {table} (band, article_id) VALUES {}",
            rows.join(", ")
        );
        let args: Vec<i64> = part.iter().flat_map(|&(b, a)| [b, a]).collect();
        tx.prepare_cached(&sql)?
            .execute(super::db::params_from_iter(args.iter()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::store::tests::{body as text, content, item, poll, setup};
    use crate::store::{ItemOutcome, RevisionWrite, Store};

    fn write(store: &mut Store, feed: i64, n: usize, body: &str) -> i64 {
        let url = format!("https://a.example/{n}");
        let out = store
            .apply_poll(&poll(
                feed,
                vec![item(&format!("g{n}"), &url, Some(content(&url, "t", body)))],
            ))
            .unwrap()
            .items;
        match out[0] {
            ItemOutcome::New(id) => id.0,
            other => panic!("{other:?}"),
        }
    }

    /// Every band of every stored signature, as the single table of before held them.
    fn one_table(store: &Store) -> BTreeMap<i64, BTreeSet<i64>> {
        let mut table: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        let mut stmt = store
            .conn
            .prepare("SELECT id, minhash FROM articles")
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Option<Vec<u8>>>(1)?))
            })
            .unwrap();
        for row in rows {
            let (id, blob) = row.unwrap();
            for band in stored_bands(blob.as_deref()) {
                table.entry(band).or_default().insert(id);
            }
        }
        table
    }

    fn looked_up(store: &mut Store, bands: &[i64]) -> Vec<Vec<i64>> {
        let tx = store.conn.transaction().unwrap();
        sync(&tx).unwrap();
        let found = bands.iter().map(|&b| members(&tx, b).unwrap()).collect();
        tx.commit().unwrap();
        found
    }

    #[test]
    fn lookups_across_both_parts_are_those_of_one_table() {
        let (_dir, mut store, feeds) = setup();
        // Many copies of one text (more than a band's lookup takes) among distinct ones,
        // written across several merges.
        for n in 0..150 {
            let body = if n % 2 == 0 {
                text(&[1000, 1001, 1002, n])
            } else {
                text(&[n, n + 500])
            };
            write(&mut store, feeds[n % 2], n, &body);
        }
        let merged: i64 = store
            .conn
            .query_row("SELECT upto FROM story_bands_merged", [], |r| r.get(0))
            .unwrap();
        let recent: i64 = store
            .conn
            .query_row("SELECT count(*) FROM temp.recent_bands", [], |r| r.get(0))
            .unwrap();
        assert!(
            merged > 100 && recent > 0,
            "both parts in use: {merged} {recent}"
        );
        let table = one_table(&store);
        let bands: Vec<i64> = table.keys().copied().collect();
        let expected: Vec<Vec<i64>> = table
            .values()
            .map(|ids| ids.iter().copied().take(PER_BAND).collect())
            .collect();
        assert!(expected.iter().any(|ids| ids.len() == PER_BAND));
        assert_eq!(looked_up(&mut store, &bands), expected);
        // A new connection derives the recent part again from the archive.
        let path = store.path().to_path_buf();
        drop(store);
        let mut store = Store::open(&path).unwrap();
        assert_eq!(looked_up(&mut store, &bands), expected);
    }

    #[test]
    fn a_revised_article_keeps_the_bands_of_its_first_text() {
        let (_dir, mut store, feeds) = setup();
        let first = write(&mut store, feeds[0], 0, &text(&[1, 2, 3]));
        let mut w = poll(feeds[0], vec![]);
        w.work.revisions = vec![RevisionWrite {
            guid: "g0".into(),
            article_id: crate::model::ArticleId(first),
            revision: None,
            content: Some((
                vec![],
                content("https://a.example/0", "t", &text(&[7, 8, 9])),
            )),
        }];
        store.apply_poll(&w).unwrap();
        // Its first text's bands now live only where `keep` put them: the single table of
        // before never lost a row either.
        let path = store.path().to_path_buf();
        drop(store);
        let mut store = Store::open(&path).unwrap();
        let old = crate::dedup::minhash::signature(&text(&[1, 2, 3])).unwrap();
        for ids in looked_up(&mut store, &old.bands()) {
            assert_eq!(ids, [first]);
        }
    }

    #[test]
    fn an_archive_from_before_the_split_has_every_band_merged() {
        let (_dir, mut store, feeds) = setup();
        let first = write(&mut store, feeds[0], 0, &text(&[1, 2, 3]));
        write(&mut store, feeds[0], 1, &text(&[4, 5, 6]));
        // Version 3 kept every band in `story_bands`.
        let table = one_table(&store);
        for (band, ids) in &table {
            for id in ids {
                store
                    .conn
                    .execute(
                        "INSERT OR IGNORE INTO story_bands (band, article_id) VALUES (?1, ?2)",
                        [band, id],
                    )
                    .unwrap();
            }
        }
        store
            .conn
            .execute_batch(&crate::store::schema::rewind_to(3))
            .unwrap();
        let path = store.path().to_path_buf();
        drop(store);
        let mut store = Store::open(&path).unwrap();
        let merged: i64 = store
            .conn
            .query_row("SELECT upto FROM story_bands_merged", [], |r| r.get(0))
            .unwrap();
        assert_eq!(merged, 2);
        let copy = write(&mut store, feeds[1], 2, &text(&[1, 2, 3, 9]));
        let story = |s: &Store, id| s.article(id).unwrap().unwrap().story;
        assert_eq!(story(&store, copy), story(&store, first));
        let recent: i64 = store
            .conn
            .query_row("SELECT count(*) FROM temp.recent_bands", [], |r| r.get(0))
            .unwrap();
        assert_eq!(recent, 0, "nothing derived again for the merged articles");
    }
}
