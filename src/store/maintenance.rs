//! Housekeeping and inspection of an archive file from outside the writer: what `warta
//! vacuum`, `warta backup`, `warta doctor` and the daemon's `/metrics` need.
//!
//! Each function opens its own connection to an existing file and never creates one, so
//! a check cannot leave an empty archive behind, and never migrates, so a check cannot
//! change the file it inspects. They run while a daemon writes:
//! * the FTS index is merged in bounded steps, each its own short `IMMEDIATE` transaction,
//!   so the daemon's poll transaction waits for one step at most (tens of milliseconds),
//!   never for a whole `optimize`;
//! * a backup is `VACUUM INTO`: one read transaction, so the copy is the archive as of one
//!   commit, and in WAL mode a reader never blocks the writer. The online backup API was the
//!   other choice; it restarts from the first page whenever another process commits between
//!   its steps, so under a daemon that commits every poll a large archive might never finish.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::open::{self, suffixed};
use super::{Store, StoreError, lite_err, schema};

/// Pages of merged index written per step: about 2 MiB at 4 KiB pages, a few tens of
/// milliseconds of holding the write lock.
const MERGE_PAGES_PER_STEP: i64 = 500;

/// A bound on the steps, so that an index that keeps changing under us cannot keep the
/// command running for ever; a later run carries on where this one stopped.
const MAX_MERGE_STEPS: usize = 10_000;

/// The schema version this build writes.
pub fn known_schema_version() -> i64 {
    schema::MIGRATIONS.len() as i64
}

/// The archive file and its write-ahead log, in bytes: what it takes on disk.
/// Refuses a PostgreSQL archive for what works on an SQLite file only, saying `instead`.
fn sqlite_only(path: &Path, instead: &str) -> Result<(), StoreError> {
    match super::postgres_url(path) {
        Some(_) => Err(StoreError::Unusable {
            path: path.to_path_buf(),
            problem: format!("a PostgreSQL archive: {instead}"),
        }),
        None => Ok(()),
    }
}

/// The file's size with its log; 0 for a PostgreSQL archive (its server keeps it).
pub fn archive_bytes(path: &Path) -> u64 {
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    size(path) + size(&suffixed(path, "-wal"))
}

/// Opens an archive that must already exist; `write` for housekeeping, else read-only.
/// Another program's database is refused before anything touches it.
fn open_existing(path: &Path, write: bool) -> Result<Connection, StoreError> {
    let conn = if write {
        open::must_exist(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| lite_err(path, e))?;
        conn.busy_timeout(open::BUSY_TIMEOUT)
            .map_err(|e| lite_err(path, e))?;
        conn
    } else {
        open::read_only(path)?
    };
    if open::classify(&conn, path)? == open::Kind::Empty {
        return Err(StoreError::Empty {
            path: path.to_path_buf(),
        });
    }
    if write {
        super::clean::forget(path)?;
    }
    Ok(conn)
}

/// What `warta doctor` reports of an archive.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// `PRAGMA quick_check`'s lines: `["ok"]` when the file is sound.
    pub quick_check: Vec<String>,
    pub schema_version: i64,
    pub feeds: Vec<FeedHealth>,
}

/// One feed's last known state in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedHealth {
    pub name: String,
    pub state: String,
    pub last_success: Option<String>,
    pub last_error: Option<String>,
    pub consecutive_failures: i64,
    pub moved_to: Option<String>,
}

/// Checks an archive without changing it.
pub fn inspect(path: &Path) -> Result<Inspection, StoreError> {
    if super::postgres_url(path).is_some() {
        // The server checks its own pages; what is looked at here is the schema and feeds.
        let store = Store::open_with(path, super::OpenMode::Read)?;
        let schema_version = store
            .conn
            .query_row("SELECT max(version) FROM warta_schema", [], |r| r.get(0))
            .map_err(|e| store.err(e))?;
        let feeds = feed_health(&store.conn).map_err(|e| store.err(e))?;
        return Ok(Inspection {
            quick_check: vec!["ok".into()],
            schema_version,
            feeds,
        });
    }
    let conn = open_existing(path, false)?;
    let err = |e| lite_err(path, e);
    let schema_version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(err)?;
    // Bounded: a badly damaged file can have millions of problems.
    let mut stmt = conn.prepare("PRAGMA quick_check(20)").map_err(err)?;
    let quick_check = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    drop(stmt);
    let conn = super::db::Conn::from(conn);
    let feeds = if schema_version >= 1 {
        feed_health(&conn).map_err(|e| super::sql_err(path, e))?
    } else {
        Vec::new()
    };
    Ok(Inspection {
        quick_check,
        schema_version,
        feeds,
    })
}

fn feed_health(conn: &super::db::Conn) -> super::db::Result<Vec<FeedHealth>> {
    let mut stmt = conn.prepare(
        "SELECT name, state, last_success, last_error, consecutive_failures, moved_to
         FROM feeds ORDER BY name",
    )?;
    stmt.query_map([], |r| {
        Ok(FeedHealth {
            name: r.get(0)?,
            state: r.get(1)?,
            last_success: r.get(2)?,
            last_error: r.get(3)?,
            consecutive_failures: r.get(4)?,
            moved_to: r.get(5)?,
        })
    })?
    .collect()
}

/// The values `/metrics` reads from the archive at each scrape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gauges {
    pub database_bytes: u64,
    /// Articles archived from their feed's text whose page is still to be fetched.
    pub pending_pages: i64,
    /// Each feed in the archive with its state (`ok`, `failing`, `gone`, `moved`, `new`).
    pub feed_states: Vec<(String, String)>,
}

pub fn gauges(path: &Path) -> Result<Gauges, StoreError> {
    let (conn, database_bytes) = if super::postgres_url(path).is_some() {
        let store = Store::open_with(path, super::OpenMode::Read)?;
        let bytes: i64 = store
            .conn
            .query_row("SELECT pg_database_size(current_database())", [], |r| {
                r.get(0)
            })
            .map_err(|e| store.err(e))?;
        (store.conn, u64::try_from(bytes).unwrap_or(0))
    } else {
        (
            super::db::Conn::from(open_existing(path, false)?),
            archive_bytes(path),
        )
    };
    let err = |e| super::sql_err(path, e);
    let pending_pages = conn
        .query_row(
            "SELECT count(*) FROM articles WHERE page_pending = 1",
            [],
            |r| r.get(0),
        )
        .map_err(err)?;
    let mut stmt = conn
        .prepare("SELECT name, state FROM feeds ORDER BY name")
        .map_err(err)?;
    let feed_states = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    Ok(Gauges {
        database_bytes,
        pending_pages,
        feed_states,
    })
}

/// What `warta vacuum` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VacuumReport {
    pub bytes_before: u64,
    pub bytes_after: u64,
    /// Merge steps that changed the index (0: it was already one segment).
    pub merge_steps: usize,
    /// The merge stopped at [`MAX_MERGE_STEPS`] with work left.
    pub merge_unfinished: bool,
    /// The log could not be emptied because a reader still used it (the daemon's own
    /// connection between polls, a search); it is emptied by the writer later.
    pub checkpoint_busy: bool,
    pub full: bool,
}

/// Optimises the archive in place: merges the FTS index in bounded steps, runs `PRAGMA
/// optimize`, with `full` rewrites the whole file (`VACUUM`, which blocks writers while it
/// runs), then empties the write-ahead log.
pub fn vacuum(path: &Path, full: bool) -> Result<VacuumReport, StoreError> {
    sqlite_only(
        path,
        "PostgreSQL vacuums it by itself (autovacuum); `VACUUM (ANALYZE)` in psql does it now",
    )?;
    let bytes_before = archive_bytes(path);
    let conn = open_existing(path, true)?;
    let err = |e| lite_err(path, e);
    let mut merge_steps = 0;
    let mut merge_unfinished = true;
    for _ in 0..MAX_MERGE_STEPS {
        let before = structure(&conn).map_err(err)?;
        // A negative page count merges across levels: repeated, it is an `optimize` cut
        // into pieces.
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE;
             INSERT INTO articles_fts(articles_fts, rank) VALUES ('merge', -{MERGE_PAGES_PER_STEP});
             COMMIT;"
        ))
        .map_err(|e| {
            let _ = conn.execute_batch("ROLLBACK");
            err(e)
        })?;
        if structure(&conn).map_err(err)? == before {
            merge_unfinished = false;
            break;
        }
        merge_steps += 1;
    }
    conn.execute_batch("PRAGMA optimize;").map_err(err)?;
    if full {
        conn.execute_batch("VACUUM;").map_err(err)?;
    }
    let checkpoint_busy = checkpoint(&conn).map_err(err)?;
    drop(conn);
    Ok(VacuumReport {
        bytes_before,
        bytes_after: archive_bytes(path),
        merge_steps,
        merge_unfinished,
        checkpoint_busy,
        full,
    })
}

/// The index's structure record (FTS5 keeps it at rowid 10 of its `_data` table): it
/// lists the segments, so a merge step that leaves it as it was had nothing left to do.
/// (`total_changes` cannot tell: the merge command itself counts as a change.)
fn structure(conn: &Connection) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.query_row(
        "SELECT block FROM articles_fts_data WHERE id = 10",
        [],
        |r| r.get(0),
    )
    .optional()
}

impl Store {
    /// Copies the write-ahead log into the archive and empties it, unless a reader still
    /// holds a snapshot that needs it: then it copies what it may and returns true, and a
    /// later call finishes. It never waits (the busy handler is off for the call), so a
    /// slow reader costs a retry, not a stalled writer.
    pub fn checkpoint(&mut self) -> Result<bool, StoreError> {
        let path = self.path.clone();
        let err = |e| lite_err(&path, e);
        // PostgreSQL keeps its own log.
        let Some(conn) = self.conn.sqlite() else {
            return Ok(false);
        };
        conn.busy_timeout(Duration::ZERO).map_err(err)?;
        let done = checkpoint(conn);
        conn.busy_timeout(super::BUSY_WAIT).map_err(err)?;
        done.map_err(err)
    }
}

/// `wal_checkpoint(TRUNCATE)`; true when a reader kept it from finishing.
fn checkpoint(conn: &Connection) -> rusqlite::Result<bool> {
    let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Ok(false);
    }
    let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
    Ok(busy != 0)
}

/// What `warta backup` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub bytes: u64,
    pub schema_version: i64,
    /// With `salvage`: each table, what was copied and what could not be read.
    pub salvaged: Option<Vec<super::TableSalvage>>,
}

/// Writes a consistent copy of the archive to `dest` (replacing a file there) and checks
/// that the copy opens and passes `quick_check`. The copy is written beside `dest` under
/// another name and renamed into place only once checked, so a failed backup never
/// leaves a half-written file where the last good one was.
///
/// With `salvage` the copy is built row by row from what can be read of a damaged archive
/// (`salvage.rs`) instead of `VACUUM INTO`, which stops at the first damaged page.
pub fn backup(src: &Path, dest: &Path, salvage: bool) -> Result<BackupReport, StoreError> {
    sqlite_only(
        src,
        "back it up with pg_dump, or copy it into an SQLite file with `warta migrate --from URL --to sqlite:FILE`",
    )?;
    let conn = open_existing(src, false)?;
    // VACUUM INTO counts as a write even though it writes only the copy.
    conn.pragma_update(None, "query_only", false)
        .map_err(|e| lite_err(src, e))?;
    clear_stale_partials(dest);
    let partial = partial_path(dest);
    let dest_err = |e| lite_err(dest, e);
    let written = if salvage {
        drop(conn);
        super::salvage::copy(src, &partial).map(Some)
    } else {
        let written = partial
            .to_str()
            .ok_or_else(|| StoreError::Unusable {
                path: dest.to_path_buf(),
                problem: "SQLite needs a backup name in UTF-8; choose another name".into(),
            })
            .and_then(|p| {
                conn.execute("VACUUM INTO ?1", [p])
                    .map_err(|e| lite_err(src, e))
            });
        drop(conn);
        written.map(|_| None)
    };
    let checked = written.and_then(|salvaged| {
        let copy = Connection::open_with_flags(&partial, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(dest_err)?;
        let check: String = copy
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(dest_err)?;
        if check != "ok" {
            return Err(StoreError::Unusable {
                path: partial.clone(),
                problem: format!("the copy fails quick_check ({check}); nothing was replaced"),
            });
        }
        let schema_version = copy
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(dest_err)?;
        Ok((schema_version, salvaged))
    });
    let (schema_version, salvaged) = match checked {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, dest).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        StoreError::Unusable {
            path: dest.to_path_buf(),
            problem: format!("cannot move the checked copy into place: {e}"),
        }
    })?;
    Ok(BackupReport {
        bytes: std::fs::metadata(dest).map_or(0, |m| m.len()),
        schema_version,
        salvaged,
    })
}

/// Less free space than a poll's smallest transaction and its log: the disk is full.
pub const FULL_FREE: u64 = 1 << 20;

/// Bytes free for this user on the file system holding `dir`: `statvfs(3)` through the
/// `libc` crate, which the program already links; `nix` or `fs2` would add a crate for one
/// call, and parsing `df` would depend on its output format and on its being installed.
#[cfg(unix)]
pub fn free_bytes(dir: &Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path holds a NUL byte",
        )
    })?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // SAFETY: `path` is a NUL-terminated string that outlives the call, and `stat` points
    // to memory the size of a `statvfs`, which the call fills on success.
    let rc = unsafe { libc::statvfs(path.as_ptr(), stat.as_mut_ptr()) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: statvfs returned 0, so it initialised the whole struct.
    let stat = unsafe { stat.assume_init() };
    #[allow(clippy::useless_conversion)] // the field types differ between platforms
    Ok(u64::from(stat.f_bavail).saturating_mul(u64::from(stat.f_frsize)))
}

#[cfg(not(unix))]
pub fn free_bytes(_: &Path) -> std::io::Result<u64> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "free space is read on Unix systems only",
    ))
}

/// Where this process writes its copy for `dest` until it is checked.
fn partial_path(dest: &Path) -> PathBuf {
    suffixed(dest, &format!(".partial-{}", std::process::id()))
}

/// Removes this process's unfinished copy for `dest` (with the files SQLite keeps beside
/// it): for a backup stopped by a signal.
pub fn remove_partial(dest: &Path) {
    let partial = partial_path(dest);
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(suffixed(&partial, suffix));
    }
}

/// Removes the `DEST.partial-PID` copies that backups to the same DEST left when they were
/// killed: those whose process is gone (or is this one). A backup still running keeps its own.
fn clear_stale_partials(dest: &Path) {
    let Some(name) = dest.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    let prefix = format!("{name}.partial-");
    let dir = match dest.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(pid) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .map(|p| p.trim_end_matches("-wal").trim_end_matches("-shm"))
            .map(|p| p.trim_end_matches("-journal"))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() || !process_alive(pid) {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => tracing::info!(
                    file = %entry.path().display(),
                    "removed the partial copy of a backup that did not finish"
                ),
                Err(e) => tracing::warn!(
                    file = %entry.path().display(),
                    "cannot remove the partial copy of a backup that did not finish: {e}"
                ),
            }
        }
    }
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // Signal 0 only asks whether the process exists; EPERM means it does (another user's).
    // SAFETY: kill with signal 0 sends nothing and touches no memory.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_alive(_: u32) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn archive(dir: &Path, articles: usize) -> PathBuf {
        let path = dir.join("a.db");
        let store = Store::open(&path).unwrap();
        drop(store);
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "INSERT INTO feeds (name, url, state, last_error, consecutive_failures)
                 VALUES ('a', 'https://a.example/rss', 'failing', 'HTTP 500', 3);
             INSERT INTO stories (id, created) VALUES (1, '2024-01-01T00:00:00Z');",
        )
        .unwrap();
        for i in 0..articles {
            // One transaction each: one FTS segment each, so there is something to merge.
            conn.execute(
                "INSERT INTO articles (story_id, feed_id, guid, url, title, fetched, fetched_ts,
                     body, fingerprint, source, page_pending)
                 VALUES (1, 1, ?1, ?1, 'judul', '2024-01-01T00:00:00Z', 0, ?2, ?1, 'feed', ?3)",
                rusqlite::params![
                    format!("g{i}"),
                    format!("banjir samarinda kata{i} lagi"),
                    i64::from(i % 2 == 0)
                ],
            )
            .unwrap();
        }
        path
    }

    fn segments(path: &Path) -> i64 {
        let conn = Connection::open(path).unwrap();
        conn.query_row("SELECT count(*) FROM articles_fts_data", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn inspect_reports_quick_check_schema_and_feed_states() {
        let dir = tempfile::tempdir().unwrap();
        let path = archive(dir.path(), 2);
        let i = inspect(&path).unwrap();
        assert_eq!(i.quick_check, vec!["ok".to_string()]);
        assert_eq!(i.schema_version, known_schema_version());
        assert_eq!(i.feeds.len(), 1);
        assert_eq!(i.feeds[0].state, "failing");
        assert_eq!(i.feeds[0].consecutive_failures, 3);
    }

    #[test]
    fn inspect_never_creates_a_missing_archive() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none.db");
        assert!(matches!(inspect(&path), Err(StoreError::Missing { .. })));
        assert!(!path.exists());
    }

    #[test]
    fn gauges_count_pending_pages_and_states() {
        let dir = tempfile::tempdir().unwrap();
        let path = archive(dir.path(), 5);
        let g = gauges(&path).unwrap();
        assert_eq!(g.pending_pages, 3);
        assert_eq!(
            g.feed_states,
            vec![("a".to_string(), "failing".to_string())]
        );
        assert!(g.database_bytes > 0);
    }

    #[test]
    fn vacuum_merges_the_index_and_keeps_search_working() {
        let dir = tempfile::tempdir().unwrap();
        let path = archive(dir.path(), 40);
        let before = segments(&path);
        let r = vacuum(&path, false).unwrap();
        assert!(r.merge_steps >= 1, "{r:?}");
        assert!(!r.merge_unfinished);
        assert!(segments(&path) < before);
        let conn = Connection::open(&path).unwrap();
        let hits: i64 = conn
            .query_row(
                "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'kata7'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(hits, 1);
        // A second run finds nothing left to merge.
        assert_eq!(vacuum(&path, true).unwrap().merge_steps, 0);
    }

    #[test]
    fn backup_copies_a_checked_archive_and_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = archive(dir.path(), 3);
        let dest = dir.path().join("copy.db");
        let r = backup(&path, &dest, false).unwrap();
        assert_eq!(r.schema_version, known_schema_version());
        assert!(r.bytes > 0);
        let conn = Connection::open(&dest).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM articles", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 3);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".partial-"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn backup_of_a_missing_archive_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let e = backup(&dir.path().join("none.db"), &dir.path().join("c.db"), false).unwrap_err();
        assert!(e.to_string().contains("none.db"), "{e}");
        assert!(!dir.path().join("c.db").exists());
    }
}
