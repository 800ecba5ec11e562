//! `warta migrate`: an archive copied between SQLite and PostgreSQL, table by table.
//!
//! * **Everything**: feeds and their state, stories and merges, articles and their
//!   versions, places, kept pages and exchanges, URL keys, items, the vocabulary, sources'
//!   memory, revisit checks, watches' hits and alerts. Ids are kept, so every reference
//!   holds. What the destination derives itself is not copied but rebuilt there: the
//!   search index (FTS5 by its triggers; PostgreSQL's `tsvector` from the same tokens),
//!   the months' id ranges (triggers), and on PostgreSQL the band index, from each
//!   article's signature (SQLite keeps the newest articles' bands only in their signature).
//! * **Resumable**: rows go in chunks, each one transaction on the destination together
//!   with the table's progress (`warta_migration`), so a stop or a kill loses one chunk at
//!   most, and running the same command again goes on from there.
//! * **Verified**: at the end, every table's rows are counted and summed into a checksum
//!   on both sides (an order-free sum of each row's BLAKE3 hash over its values as typed),
//!   and they must agree; only then is the progress table dropped.

use super::db::{Conn, Value, params_from_iter};
use super::{Store, StoreError};

/// Rows per chunk (and per destination transaction) of the tables with texts and pages:
/// kept pages and exchanges are tens of kilobytes each, so memory stays within a few
/// megabytes. Tables of keys and numbers go ten times as many at once.
const CHUNK: usize = 200;

impl Table {
    fn chunk(&self) -> usize {
        match self.name {
            "articles" | "article_versions" | "pages" | "responses" => CHUNK,
            _ => CHUNK * 10,
        }
    }
}

/// A table to copy: its name, key columns (the order chunks are read in), and whether the
/// destination takes its rows as they are (`Copy`) or derives them (`Verify` only, `Skip`).
struct Table {
    name: &'static str,
    key: &'static [&'static str],
    how: How,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum How {
    Copy,
    /// Copied where missing (the destination may have derived some already); not compared,
    /// since SQLite keeps its newest articles' bands in their signatures only.
    Bands,
    /// Rebuilt by the destination; compared afterwards.
    Verify,
    /// Per process or per store (leases' hosts, the SQLite band split): neither copied nor
    /// compared.
    Skip,
}

/// In an order every reference is satisfied in.
const TABLES: &[Table] = &[
    Table {
        name: "feeds",
        key: &["id"],
        how: How::Copy,
    },
    Table {
        name: "stories",
        key: &["id"],
        how: How::Copy,
    },
    Table {
        name: "story_merges",
        key: &["id"],
        how: How::Copy,
    },
    Table {
        name: "articles",
        key: &["id"],
        how: How::Copy,
    },
    // Taken as they are (the bands of a revised article's earlier texts are only here);
    // PostgreSQL also derives every article's current bands from its signature.
    Table {
        name: "story_bands",
        key: &["band", "article_id"],
        how: How::Bands,
    },
    Table {
        name: "article_versions",
        key: &["article_id", "version"],
        how: How::Copy,
    },
    Table {
        name: "pages",
        key: &["article_id", "page_no"],
        how: How::Copy,
    },
    Table {
        name: "responses",
        key: &["article_id", "version", "page_no"],
        how: How::Copy,
    },
    Table {
        name: "url_keys",
        key: &["key"],
        how: How::Copy,
    },
    Table {
        name: "items",
        key: &["feed_id", "guid"],
        how: How::Copy,
    },
    Table {
        name: "copies",
        key: &["id"],
        how: How::Copy,
    },
    Table {
        name: "meta",
        key: &["key"],
        how: How::Copy,
    },
    Table {
        name: "vocab",
        key: &["term"],
        how: How::Copy,
    },
    Table {
        name: "source_files",
        key: &["feed_id", "url"],
        how: How::Copy,
    },
    Table {
        name: "site_urls",
        key: &["feed_id", "key"],
        how: How::Copy,
    },
    Table {
        name: "site_memory",
        key: &["feed_id"],
        how: How::Copy,
    },
    Table {
        name: "page_checks",
        key: &["article_id"],
        how: How::Copy,
    },
    Table {
        name: "watch_hits",
        key: &["watch", "story_id"],
        how: How::Copy,
    },
    Table {
        name: "outbox",
        key: &["id"],
        how: How::Copy,
    },
    Table {
        name: "digest_marks",
        key: &["watch"],
        how: How::Copy,
    },
    Table {
        name: "hosts",
        key: &["host"],
        how: How::Copy,
    },
    Table {
        name: "id_months",
        key: &["month"],
        how: How::Verify,
    },
    Table {
        name: "story_bands_merged",
        key: &["id"],
        how: How::Skip,
    },
    Table {
        name: "host_slots",
        key: &["host"],
        how: How::Skip,
    },
];

/// One table's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    pub table: &'static str,
    pub rows: u64,
    /// Rows copied by this run (the rest were copied by an earlier, stopped one).
    pub copied: u64,
    pub checksum: String,
}

/// Progress as the copy goes: table, rows copied so far, rows in the table.
pub type Progress<'a> = &'a mut dyn FnMut(&str, u64, u64);

fn columns(conn: &Conn, table: &str) -> super::db::Result<Vec<String>> {
    let sql = if conn.is_pg() {
        "SELECT column_name::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = ?1 ORDER BY ordinal_position"
    } else {
        "SELECT name FROM pragma_table_info(?1) ORDER BY cid"
    };
    let mut stmt = conn.prepare(sql)?;
    let cols: Vec<String> = stmt
        .query_map([table], |r| r.get(0))?
        .collect::<super::db::Result<_>>()?;
    // PostgreSQL's search index (the `tsvector` and the pairs of neighbouring words its
    // trigger works out from it) is rebuilt, not copied.
    Ok(cols
        .into_iter()
        .filter(|c| c != "fts" && c != "pairs")
        .collect())
}

fn count(conn: &Conn, table: &str) -> super::db::Result<u64> {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
}

/// The progress table on the destination: the last key copied of each table (JSON), and
/// whether it is done.
fn progress_table(conn: &Conn) -> super::db::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS warta_migration (
             tbl TEXT PRIMARY KEY,
             last_key TEXT,
             done BIGINT NOT NULL DEFAULT 0,
             copied BIGINT NOT NULL DEFAULT 0
         )",
    )
}

fn key_json(values: &[Value]) -> String {
    let list: Vec<serde_json::Value> = values
        .iter()
        .map(|v| match v {
            Value::Null => serde_json::Value::Null,
            Value::Integer(i) => serde_json::json!(i),
            Value::Real(f) => serde_json::json!(f),
            Value::Text(s) => serde_json::json!(s),
            Value::Blob(b) => serde_json::json!(b),
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

fn key_values(json: &str) -> Vec<Value> {
    let parsed: Vec<serde_json::Value> = serde_json::from_str(json).unwrap_or_default();
    parsed
        .into_iter()
        .map(|v| match v {
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Integer(i),
                None => Value::Real(n.as_f64().unwrap_or(0.0)),
            },
            serde_json::Value::String(s) => Value::Text(s),
            _ => Value::Null,
        })
        .collect()
}

/// Adds one row to an order-free checksum: the wrapping sum of each row's hash.
fn add_row(sum: &mut u128, row: &[Value]) {
    let mut h = blake3::Hasher::new();
    for v in row {
        match v {
            Value::Null => {
                h.update(&[0]);
            }
            Value::Integer(i) => {
                h.update(&[1]);
                h.update(&i.to_le_bytes());
            }
            Value::Real(f) => {
                h.update(&[2]);
                h.update(&f.to_bits().to_le_bytes());
            }
            Value::Text(s) => {
                h.update(&[3]);
                h.update(&(s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
            Value::Blob(b) => {
                h.update(&[4]);
                h.update(&(b.len() as u64).to_le_bytes());
                h.update(b);
            }
        }
    }
    let bytes = h.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&bytes.as_bytes()[..16]);
    *sum = sum.wrapping_add(u128::from_le_bytes(first));
}

/// Reads `table`'s rows (`cols`) after `after` in key order, a chunk at a time.
fn chunk(
    conn: &Conn,
    table: &Table,
    cols: &[String],
    after: Option<&[Value]>,
) -> super::db::Result<Vec<Vec<Value>>> {
    let key = table.key.join(", ");
    let list = cols.join(", ");
    let (sql, args): (String, Vec<Value>) = match after {
        None => (
            format!(
                "SELECT {list} FROM {} ORDER BY {key} LIMIT {}",
                table.name,
                table.chunk()
            ),
            Vec::new(),
        ),
        Some(last) => {
            let marks: Vec<String> = (1..=last.len()).map(|i| format!("?{i}")).collect();
            (
                format!(
                    "SELECT {list} FROM {} WHERE ({key}) > ({}) ORDER BY {key} LIMIT {}",
                    table.name,
                    marks.join(", "),
                    table.chunk()
                ),
                last.to_vec(),
            )
        }
    };
    let n = cols.len();
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(args.iter()), |r| {
            (0..n).map(|i| r.get::<_, Value>(i)).collect()
        })?
        .collect::<super::db::Result<Vec<Vec<Value>>>>()?;
    Ok(rows)
}

/// The key's values of `row`.
fn key_of(table: &Table, cols: &[String], row: &[Value]) -> Vec<Value> {
    table
        .key
        .iter()
        .filter_map(|k| cols.iter().position(|c| c == k).map(|i| row[i].clone()))
        .collect()
}

/// Copies `from` into `to` (see the module's notes); `to` is a new archive or one a stopped
/// migration from the same source left.
pub fn migrate(
    from: &Store,
    to: &mut Store,
    progress: Progress<'_>,
) -> Result<Vec<TableCopy>, StoreError> {
    let src = &from.conn;
    let err_from = |e| from.err(e);
    let dest_path = to.path.clone();
    let err_to = |e| super::sql_err(&dest_path, e);
    progress_table(&to.conn).map_err(err_to)?;
    let started: bool = to
        .conn
        .query_row("SELECT count(*) FROM warta_migration", [], |r| {
            r.get::<_, i64>(0).map(|n| n > 0)
        })
        .map_err(err_to)?;
    if !started
        && count(&to.conn, "articles").map_err(err_to)?
            + count(&to.conn, "feeds").map_err(err_to)?
            > 0
    {
        return Err(StoreError::Unusable {
            path: to.path.clone(),
            problem: "it already holds an archive; migrate into a new, empty one".into(),
        });
    }
    let mut copied: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    let source_upto: Option<i64> = if src.is_pg() {
        None
    } else {
        src.query_row("SELECT upto FROM story_bands_merged", [], |r| r.get(0))
            .map_err(err_from)?
    };
    if to.conn.is_pg() {
        drop_search_indexes(&to.conn).map_err(err_to)?;
    }
    for table in TABLES
        .iter()
        .filter(|t| matches!(t.how, How::Copy | How::Bands))
    {
        let n = copy_table(src, &to.conn, table, progress).map_err(|e| match e {
            Side::From(e) => err_from(e),
            Side::To(e) => err_to(e),
        })?;
        copied.insert(table.name, n);
    }
    finish(&to.conn, source_upto).map_err(err_to)?;
    // Verification: every table compared, the derived ones too.
    let mut report = Vec::new();
    for table in TABLES
        .iter()
        .filter(|t| matches!(t.how, How::Copy | How::Verify))
    {
        let cols = columns(src, table.name).map_err(err_from)?;
        let (n_from, sum_from) = checksum(src, table, &cols).map_err(err_from)?;
        let (n_to, sum_to) = checksum(&to.conn, table, &cols).map_err(err_to)?;
        if (n_from, sum_from) != (n_to, sum_to) {
            return Err(StoreError::Unusable {
                path: to.path.clone(),
                problem: format!(
                    "table {}: {n_from} rows with checksum {sum_from:032x} in the source, {n_to} with {sum_to:032x} here; run the same command again to go on, or start over into a new, empty archive",
                    table.name
                ),
            });
        }
        report.push(TableCopy {
            table: table.name,
            rows: n_from,
            copied: copied.get(table.name).copied().unwrap_or(0),
            checksum: format!("{sum_from:032x}"),
        });
    }
    to.conn
        .execute_batch("DROP TABLE warta_migration")
        .map_err(err_to)?;
    // The planner's statistics for tables filled at once: autovacuum would gather them
    // later, and until then searches took plans made for empty tables (the alias class at
    // 100,000 articles: 115 → 51 ms).
    to.conn.execute_batch("ANALYZE").map_err(err_to)?;
    Ok(report)
}

enum Side {
    From(super::db::Error),
    To(super::db::Error),
}

fn copy_table(src: &Conn, dest: &Conn, table: &Table, progress: Progress<'_>) -> Result<u64, Side> {
    let cols = columns(src, table.name).map_err(Side::From)?;
    let dest_cols = columns(dest, table.name).map_err(Side::To)?;
    if let Some(missing) = cols.iter().find(|c| !dest_cols.contains(c)) {
        return Err(Side::To(super::db::Error::Param(format!(
            "table {} has no column {missing} here",
            table.name
        ))));
    }
    let total = count(src, table.name).map_err(Side::From)?;
    let (mut last, done, mut copied_before): (Option<Vec<Value>>, bool, u64) = dest
        .query_row(
            "SELECT last_key, done, copied FROM warta_migration WHERE tbl = ?1",
            [table.name],
            |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?.map(|k| key_values(&k)),
                    r.get::<_, i64>(1)? != 0,
                    r.get::<_, u64>(2)?,
                ))
            },
        )
        .map_or((None, false, 0), |v| v);
    if done {
        progress(table.name, total, total);
        return Ok(0);
    }
    // PostgreSQL's search entry goes in with each article.
    let with_fts = table.name == "articles" && dest.is_pg();
    let mut copied = 0u64;
    loop {
        let rows = chunk(src, table, &cols, last.as_deref()).map_err(Side::From)?;
        if rows.is_empty() {
            break;
        }
        let tx = dest.transaction().map_err(Side::To)?;
        insert_rows(&tx, table, &cols, &rows, with_fts).map_err(Side::To)?;
        if with_fts {
            derive_pg_bands(&tx, &cols, &rows).map_err(Side::To)?;
        }
        let key = rows
            .last()
            .map(|r| key_of(table, &cols, r))
            .unwrap_or_default();
        copied += rows.len() as u64;
        copied_before += rows.len() as u64;
        tx.execute(
            "INSERT INTO warta_migration (tbl, last_key, done, copied) VALUES (?1, ?2, 0, ?3)
             ON CONFLICT (tbl) DO UPDATE SET last_key = excluded.last_key, copied = excluded.copied",
            super::db::params![table.name, key_json(&key), copied_before],
        )
        .map_err(Side::To)?;
        tx.commit().map_err(Side::To)?;
        progress(table.name, copied_before.min(total), total);
        let full = rows.len() == table.chunk();
        last = Some(key);
        if !full {
            break;
        }
    }
    dest.execute(
        "INSERT INTO warta_migration (tbl, done, copied) VALUES (?1, 1, ?2)
         ON CONFLICT (tbl) DO UPDATE SET done = 1",
        super::db::params![table.name, copied_before],
    )
    .map_err(Side::To)?;
    Ok(copied)
}

/// Parameters in one statement at most (SQLite's limit is 32,766).
const MAX_PARAMS: usize = 30_000;

/// A chunk's rows, many to a statement (a statement a row was a round trip a row to
/// PostgreSQL: 200 articles a second).
fn insert_rows(
    tx: &Conn,
    table: &Table,
    cols: &[String],
    rows: &[Vec<Value>],
    with_fts: bool,
) -> super::db::Result<()> {
    let width = cols.len() + usize::from(with_fts);
    let at = |name: &str| cols.iter().position(|c| c == name);
    let text = |row: &[Value], name: &str| match at(name).map(|i| &row[i]) {
        Some(Value::Text(s)) => s.clone(),
        _ => String::new(),
    };
    for part in rows.chunks((MAX_PARAMS / width).max(1)) {
        let mut values: Vec<Value> = Vec::with_capacity(part.len() * width);
        let mut tuples = Vec::with_capacity(part.len());
        for row in part {
            let base = values.len();
            values.extend(row.iter().cloned());
            let mut marks: Vec<String> =
                (1..=cols.len()).map(|i| format!("?{}", base + i)).collect();
            if with_fts {
                values.push(Value::Text(super::pg_search::tsvector(
                    &text(row, "title"),
                    &text(row, "body"),
                    &text(row, "stems"),
                )));
                marks.push(format!("?{}::text::tsvector", values.len()));
            }
            tuples.push(format!("({})", marks.join(", ")));
        }
        let mut sql = format!(
            "INSERT {}INTO {} ({}{}) VALUES {}",
            if table.how == How::Bands {
                "OR IGNORE "
            } else {
                ""
            },
            table.name,
            cols.join(", "),
            if with_fts { ", fts" } else { "" },
            tuples.join(", ")
        );
        // The destination wrote its own facts when it was opened (the regional names'
        // key); the source's are the archive's.
        if table.name == "meta" {
            sql.push_str(" ON CONFLICT (key) DO UPDATE SET value = excluded.value");
        }
        tx.prepare_cached(&sql)?
            .execute(params_from_iter(values.iter()))?;
    }
    Ok(())
}

/// Copied articles' bands on PostgreSQL, from their signatures.
fn derive_pg_bands(tx: &Conn, cols: &[String], rows: &[Vec<Value>]) -> super::db::Result<()> {
    let at = |name: &str| cols.iter().position(|c| c == name);
    let (Some(id), Some(minhash)) = (at("id"), at("minhash")) else {
        return Ok(());
    };
    let mut pairs = Vec::new();
    for row in rows {
        let Value::Integer(article) = row[id] else {
            continue;
        };
        if let Value::Blob(b) = &row[minhash]
            && let Some(mins) = crate::dedup::minhash::Signature::from_bytes(b)
        {
            let bands = crate::dedup::minhash::Signature { mins, shingles: 0 }.bands();
            pairs.extend(bands.into_iter().map(|band| (band, article)));
        }
    }
    super::bands::add_many(tx, &pairs)
}

/// Until the articles are in, PostgreSQL's search indexes are left out (built once at the
/// end, in [`finish`]); a migration that goes on after a stop drops them again only if
/// the articles are not all in yet.
fn drop_search_indexes(dest: &Conn) -> super::db::Result<()> {
    let articles_done: bool = dest.query_row(
        "SELECT coalesce(max(done), 0) FROM warta_migration WHERE tbl = 'articles'",
        [],
        |r| r.get::<_, i64>(0).map(|d| d != 0),
    )?;
    if articles_done {
        return Ok(());
    }
    for (name, _) in super::pg_schema::SEARCH_INDEXES {
        dest.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))?;
    }
    Ok(())
}

/// After the rows: PostgreSQL's search indexes built and its id sequences moved past the
/// copied ids; SQLite's band index told which articles' bands are in its table: all of them
/// from PostgreSQL, those the source had merged from SQLite (the rest it derives from the
/// signatures, as there).
fn finish(dest: &Conn, source_upto: Option<i64>) -> super::db::Result<()> {
    if dest.is_pg() {
        dest.execute_batch("SET maintenance_work_mem = '256MB'")?;
        for (_, create) in super::pg_schema::SEARCH_INDEXES {
            dest.execute_batch(create)?;
        }
        dest.execute_batch("RESET maintenance_work_mem")?;
        for t in [
            "feeds",
            "stories",
            "story_merges",
            "articles",
            "copies",
            "outbox",
        ] {
            dest.execute_batch(&format!(
                "SELECT setval(pg_get_serial_sequence('{t}', 'id'), coalesce((SELECT max(id) FROM {t}), 0) + 1, false)"
            ))?;
        }
    } else {
        let upto: i64 = match source_upto {
            Some(u) => u,
            None => dest.query_row("SELECT coalesce(max(id), 0) FROM articles", [], |r| {
                r.get(0)
            })?,
        };
        dest.execute("UPDATE story_bands_merged SET upto = ?1", [upto])?;
    }
    Ok(())
}

/// A table's row count and checksum.
fn checksum(conn: &Conn, table: &Table, cols: &[String]) -> super::db::Result<(u64, u128)> {
    let mut sum = 0u128;
    let mut n = 0u64;
    let mut last: Option<Vec<Value>> = None;
    loop {
        let rows = chunk(conn, table, cols, last.as_deref())?;
        for row in &rows {
            add_row(&mut sum, row);
        }
        n += rows.len() as u64;
        if rows.len() < table.chunk() {
            break;
        }
        last = rows.last().map(|r| key_of(table, cols, r));
    }
    Ok((n, sum))
}
