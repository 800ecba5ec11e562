//! The archive: one SQLite file (rusqlite, bundled SQLite with FTS5).
//!
//! Design notes:
//! * **WAL, one writer.** The file runs in WAL mode so that `warta search` and friends read
//!   from their own connections while the daemon writes. The daemon keeps a single writing
//!   connection; a poll's results go in a few small transactions as its pages come in
//!   (`write.rs`), the last one advancing the feed's state, so a crash or `kill -9` keeps
//!   every committed batch and leaves the feed to be polled again for the rest.
//!   `synchronous = FULL` makes a committed batch survive power loss too; at one commit per
//!   few pages (each a network round trip) its cost is invisible.
//! * **Migrations** are an append-only list (`schema.rs`) keyed on `PRAGMA user_version`,
//!   each applied in its own transaction.
//! * **Search index.** FTS5 external-content table over title and body, maintained by
//!   triggers inside the writing transaction, so the index never disagrees with the rows.
//! * **Concurrency.** `busy_timeout` lets a reader or a second writer (a `warta fetch`
//!   while the daemon runs) wait for the lock instead of failing.
//!
//! SQL lives only in this module.

mod bands;
mod clean;
pub(crate) mod db;
mod export;
mod feeds;
mod import;
mod maintenance;
mod migrate;
mod names;
mod open;
mod read;
mod revisit;
mod salvage;
mod schema;
mod search;
mod share;
mod sources;
mod stories;
mod vocab;
mod outbox;
mod overview;
mod pg_open;
mod pg_schema;
mod pg_search;
mod watches;
mod write;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use db::Conn;

pub use export::{ExportArticle, ExportCounts, ExportFilter, ExportPage, Extraction, Place};
pub use feeds::FeedState;
pub use import::{ImportPlace, ImportWrite};
pub use maintenance::{
    BackupReport, FULL_FREE, FeedHealth, Gauges, Inspection, VacuumReport, archive_bytes, backup,
    free_bytes, gauges, inspect, known_schema_version, remove_partial, vacuum,
};
pub use migrate::{TableCopy, migrate as copy_archive};
pub use open::{APPLICATION_ID, OpenMode, is_archive_file, must_exist};
pub use outbox::{Alert, AlertKind, AlertSummary, Delivery, DigestStory};
pub use overview::Spread;
pub use read::{ArticleView, CopyView, FeedRow, Stats, StoryView, VersionView};
pub use revisit::{CheckOutcome, CheckWrite, DueCheck, PageState, next_due};
pub use salvage::{Lost, TableSalvage};
pub use search::{
    Facets, IdBounds, RANK_CAP, SearchCount, SearchHit, SearchRequest, SortOrder,
    filtered_rank_cap, rank_cap_for,
};
pub use share::HostClaim;
pub use sources::{SiteMemory, SiteWay, SourceFile, UrlVerdict};
pub use vocab::{IndexWords, MAX_PREFIX_WORDS, PrefixWords};
pub use watches::{Alternative, Anchor, CompiledWatch, WatchCost, WatchHit, WatchSet};
pub use write::{
    Content, ItemOutcome, ItemWrite, Kept, KeptResponse, PendingPage, PollOutcome, PollWrite,
    RAW_ZSTD_LEVEL, RawArticle, RawPage, Reextracted, RetryWrite, RevisionWrite, SiteUrlWrite,
    Source, Timing, Work, compress_raw, compress_raw_at, raw_html,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("archive task failed: {0}")]
    Task(String),
    #[error("archive {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: db::Error,
    },
    #[error("archive {path}: disk full ({source}); free some space on its disk")]
    DiskFull {
        path: PathBuf,
        #[source]
        source: db::Error,
    },
    #[error("archive {path}: cannot create its folder: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "no archive at {path}; `warta fetch` or `warta daemon` creates it, or pass --db PATH to name another"
    )]
    Missing { path: PathBuf },
    #[error(
        "no database at {path}; create it (createdb), and `warta fetch` or `warta daemon` makes the archive's tables in it, or pass --db to name another"
    )]
    NoDatabase { path: PathBuf },
    #[error(
        "{path} is empty, not an archive yet; `warta fetch` or `warta daemon` makes it one, or pass --db PATH to name another"
    )]
    Empty { path: PathBuf },
    #[error(
        "{path} is an SQLite database but not a warta archive ({why}); it was left unchanged: pass --db PATH (or set [archive] path) to name the archive"
    )]
    Foreign { path: PathBuf, why: String },
    #[error(
        "{path} is not an SQLite database; if it was your archive it is damaged beyond reading: restore a copy made with `warta backup`; otherwise pass --db PATH to name the archive"
    )]
    NotSqlite { path: PathBuf },
    #[error(
        "archive {path} is damaged ({problems}). Keep warta from writing to it; save what is readable into a new archive with `warta backup --salvage COPY` (or as JSON lines with `warta export --salvage --format jsonl -o FILE`), then put COPY in its place, or restore an earlier backup"
    )]
    Corrupt { path: PathBuf, problems: String },
    #[error("archive {path}: {problem}")]
    Unusable { path: PathBuf, problem: String },
    #[error(
        "archive {path} was written by a newer warta (schema {found}, this build knows {known}); upgrade warta"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error(
        "archive {path} has schema {found} and this warta reads schema {known}; it is upgraded when a user who may write it runs `warta fetch` (this user cannot write it)"
    )]
    Outdated {
        path: PathBuf,
        found: i64,
        known: i64,
    },
}

impl StoreError {
    /// The caller named the wrong file (or none yet): a usage error, not a failure.
    pub fn is_wrong_file(&self) -> bool {
        matches!(
            self,
            StoreError::Missing { .. }
                | StoreError::NoDatabase { .. }
                | StoreError::Empty { .. }
                | StoreError::Foreign { .. }
        )
    }
}

impl StoreError {
    /// The disk holding the archive is full (SQLITE_FULL, which SQLite also reports when a
    /// write fails with ENOSPC; or ENOSPC on a folder of its own): nothing is wrong with
    /// the archive or the feed, and the same write succeeds once there is room.
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::DiskFull { .. } => true,
            StoreError::Folder { source, .. } => source.raw_os_error() == Some(libc::ENOSPC),
            _ => false,
        }
    }
}

/// The address of a PostgreSQL archive, when `path` (`[archive] url`, or `--db`) is one
/// rather than an SQLite file.
pub fn postgres_url(path: &Path) -> Option<&str> {
    path.to_str()
        .filter(|p| p.starts_with("postgres://") || p.starts_with("postgresql://"))
}

/// Makes `password` (`[archive] password_env` or `password_file`) the one every
/// connection to the PostgreSQL archive at `path` uses; nothing for an SQLite file.
pub fn use_password(path: &Path, password: Option<&crate::config::Password>) -> Result<(), String> {
    if let (Some(url), Some(p)) = (postgres_url(path), password) {
        let secret = p.read().map_err(|e| format!("archive: {e}"))?;
        db::remember_password(url, &secret);
    }
    Ok(())
}

/// How long a writer waits for another's lock before failing.
const BUSY_WAIT: Duration = Duration::from_secs(30);

pub struct Store {
    conn: Conn,
    path: PathBuf,
    /// A writer's record of its clean close; after `conn` so that it is dropped (and
    /// written) once the connection has closed.
    clean: Option<clean::CleanClose>,
    /// The watches checked against each new article as it is written.
    watches: Option<std::sync::Arc<watches::WatchSet>>,
    /// The PostgreSQL database, for a PostgreSQL archive (whose `path` is its address,
    /// shown without password).
    pg: Option<db::PgTarget>,
}

impl Store {
    /// Opens the archive for writing, creating the file and its folder when missing (as the
    /// contract says of `[archive] path`): `open_with(path, OpenMode::Create)`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, OpenMode::Create)
    }

    /// Opens the archive as `mode` allows (see `open.rs`), bringing the schema up to date.
    pub fn open_with(path: &Path, mode: OpenMode) -> Result<Store, StoreError> {
        if let Some(url) = postgres_url(path) {
            return pg_open::open(url, mode);
        }
        match mode {
            OpenMode::Create => {
                if let Some(dir) = path.parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
                        path: path.to_path_buf(),
                        source,
                    })?;
                }
                Store::writable(path, true, true)
            }
            OpenMode::Write => {
                open::must_exist(path)?;
                Store::writable(path, false, true)
            }
            OpenMode::Read => Store::readable(path),
        }
    }

    /// A writing connection to a warta archive (or a new file when `create`), migrated and
    /// stamped; `check` runs `quick_check` on an existing archive first.
    fn writable(path: &Path, create: bool, check: bool) -> Result<Store, StoreError> {
        let conn = Connection::open(path).map_err(|e| lite_err(path, e))?;
        conn.busy_timeout(open::BUSY_TIMEOUT)
            .map_err(|e| lite_err(path, e))?;
        let (stamped, checked) = match open::classify(&conn, path)? {
            open::Kind::Empty if !create => {
                return Err(StoreError::Empty {
                    path: path.to_path_buf(),
                });
            }
            // A new archive: nothing in it to be damaged.
            open::Kind::Empty => (false, Some(clean::now())),
            open::Kind::Warta { stamped } => {
                open::check_version(&conn, path)?;
                (stamped, open::integrity(&conn, path, check)?)
            }
        };
        // Before the first write, so that whatever happens from here on, the next writer
        // does not take this file for one closed cleanly.
        clean::forget(path)?;
        configure(&conn, path)?;
        migrate(&conn, path)?;
        if !stamped {
            conn.pragma_update(None, "application_id", open::APPLICATION_ID)
                .map_err(|e| lite_err(path, e))?;
        }
        // Outside WAL mode SQLite leaves no file that shows another connection open, and a
        // clean close could not be told from one with others still writing.
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .map_err(|e| lite_err(path, e))?;
        let mut store = Store {
            conn: conn.into(),
            path: path.to_path_buf(),
            clean: None,
            watches: None,
            pg: None,
        };
        store.refresh_name_keys()?;
        if mode.eq_ignore_ascii_case("wal") {
            store.clean = checked.map(|c| clean::CleanClose::new(path, c));
        }
        Ok(store)
    }

    /// A connection that cannot write. An archive from an older warta (or keyed with another table
    /// of regional names) is first brought up to date through a writing connection when this
    /// user may write it; otherwise an old schema is an error and old keys are read as they are.
    fn readable(path: &Path) -> Result<Store, StoreError> {
        let conn = open::read_only(path)?;
        if open::classify(&conn, path)? == open::Kind::Empty {
            return Err(StoreError::Empty {
                path: path.to_path_buf(),
            });
        }
        let version = open::check_version(&conn, path)?;
        let known = schema::MIGRATIONS.len() as i64;
        let store = Store {
            conn: conn.into(),
            path: path.to_path_buf(),
            clean: None,
            watches: None,
            pg: None,
        };
        if version == known && !store.keys_outdated() {
            return Ok(store);
        }
        drop(store);
        match Store::writable(path, false, false) {
            Ok(upgraded) => drop(upgraded),
            Err(e) if open::is_read_only(&e) && version == known => {
                tracing::info!(
                    archive = %path.display(),
                    "the archive's regional-name keys are from another warta; read as they are (this user cannot write it)"
                );
            }
            Err(e) if open::is_read_only(&e) => {
                return Err(StoreError::Outdated {
                    path: path.to_path_buf(),
                    found: version,
                    known,
                });
            }
            Err(e) => return Err(e),
        }
        Ok(Store {
            conn: open::read_only(path)?.into(),
            path: path.to_path_buf(),
            clean: None,
            watches: None,
            pg: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the archive is a PostgreSQL database (else an SQLite file).
    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// A second connection to this store's archive for the same process (the alerts'
    /// courier beside the writer): already checked and brought up to date by this one, so
    /// only configured; it leaves the archive's clean-close record to this one.
    pub fn companion(&self) -> Result<Store, StoreError> {
        if let Some(target) = &self.pg {
            return pg_open::connect(target);
        }
        let conn = Connection::open(&self.path).map_err(|e| lite_err(&self.path, e))?;
        configure(&conn, &self.path)?;
        Ok(Store {
            conn: conn.into(),
            path: self.path.clone(),
            clean: None,
            watches: None,
            pg: None,
        })
    }

    fn err(&self, e: db::Error) -> StoreError {
        sql_err(&self.path, e)
    }
}

fn configure(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    // Writing one article runs about twenty cached statements; rusqlite keeps 16 by
    // default, so the least recently used were evicted and prepared again every time.
    conn.set_prepared_statement_cache_capacity(64);
    conn.busy_timeout(BUSY_WAIT)
        .map_err(|e| lite_err(path, e))?;
    // journal_size_limit: a log that grew while a slow reader held an old snapshot is
    // cut back to this when it restarts, instead of keeping its largest size for good.
    // cache_size: a write transaction dirties pages all over the band index and the
    // vocabulary (random keys); with SQLite's default 2 MiB cache they spilled to the
    // log mid-transaction and were written again, several times per commit, once the
    // archive was large. The cache only grows as far as pages are read.
    // wal_autocheckpoint: one transaction of a few dozen articles dirties more than the
    // default 1,000 pages, so every commit was followed by a checkpoint; every 8,192
    // pages (32 MiB), a page rewritten by several commits is copied to the file once.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA journal_size_limit = 67108864;
             PRAGMA wal_autocheckpoint = 8192;
             PRAGMA cache_size = -32768;
             PRAGMA foreign_keys = ON;",
    )
    .map_err(|e| lite_err(path, e))
}

fn migrate(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let version = open::check_version(conn, path)?;
    for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
        // IMMEDIATE: two processes starting at once must not both apply a migration.
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)
                .map_err(|e| lite_err(path, e))?;
        let current: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| lite_err(path, e))?;
        if current > i as i64 {
            continue;
        }
        tx.execute_batch(sql).map_err(|e| lite_err(path, e))?;
        tx.pragma_update(None, "user_version", i as i64 + 1)
            .map_err(|e| lite_err(path, e))?;
        tx.commit().map_err(|e| lite_err(path, e))?;
    }
    Ok(())
}

/// An SQLite error with the archive's path; a file that is not SQLite at all and a damaged
/// one get their own messages, which say what to do.
fn sql_err(path: &Path, source: db::Error) -> StoreError {
    let path = path.to_path_buf();
    if disk_full(&path, &source) {
        return StoreError::DiskFull { path, source };
    }
    match source.sqlite().and_then(rusqlite::Error::sqlite_error_code) {
        Some(rusqlite::ErrorCode::NotADatabase) => {
            clean::note_damage(&path);
            StoreError::NotSqlite { path }
        }
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => {
            clean::note_damage(&path);
            StoreError::Corrupt {
                path,
                problems: source.to_string(),
            }
        }
        _ => StoreError::Sqlite { path, source },
    }
}

/// [`sql_err`] of an error from rusqlite itself (the SQLite-only paths: opening, checks,
/// backups, salvage).
fn lite_err(path: &Path, source: rusqlite::Error) -> StoreError {
    sql_err(path, source.into())
}

/// SQLITE_FULL is SQLite's word for ENOSPC on the database or its log; growing the shared
/// memory file fails as a plain I/O error, so for that one the free space decides.
fn disk_full(path: &Path, e: &db::Error) -> bool {
    match e.sqlite().and_then(rusqlite::Error::sqlite_error_code) {
        Some(rusqlite::ErrorCode::DiskFull) => true,
        Some(rusqlite::ErrorCode::SystemIoFailure) => {
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            free_bytes(dir).is_ok_and(|free| free < FULL_FREE)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
