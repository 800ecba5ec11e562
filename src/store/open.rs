//! Which file is an archive, and how each command may open it.
//!
//! * **Only writers create.** `daemon` and `fetch` (and the config writers `feeds add` and
//!   `import-opml`) create the archive; every other command needs it to exist, so a typo in
//!   `--db` is an error naming the path, never a fresh empty archive.
//! * **Only warta archives.** The header carries warta's `application_id`; an archive made
//!   before it was set is recognised by its tables and `user_version`, and stamped the next
//!   time it is opened for writing. Another program's database is refused before anything is
//!   written to it (a migration would add our tables to it).
//! * **Readers cannot write** (`query_only`, and SQLite opens a file this user may not write
//!   read-only), so a user who may only read the file (another user's archive, a read-only
//!   mount) can search it. In WAL mode a reader needs the `-shm` file;
//!   when it cannot be created (no write access to the folder) and no writer has one open,
//!   the file is read as immutable: no writer can be changing it then.
//! * **Writers check first.** `quick_check` before the first write, so a damaged archive stops
//!   the daemon at start with what to do, instead of failing polls later. It reads every page
//!   once (and FTS5 checks its index): 1.0 s for a 180 MB archive with a warm cache, 1.8 s
//!   with a cold one, a minute at 8.6 GB. So it is skipped when the file is exactly as the
//!   last writer left it at a clean close and a full check passed within a day (`clean.rs`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::{StoreError, clean, lite_err, schema};

/// How long a connection waits for another one's lock (a writer's commit, a checkpoint)
/// before it fails.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// warta's mark in the SQLite header (`PRAGMA application_id`): "WRTA".
pub const APPLICATION_ID: i32 = 0x5752_5441;

/// Tables every warta archive has had since its first schema: how an archive made before
/// the header mark is told from another program's database.
const FIRST_TABLES: [&str; 7] = [
    "feeds", "stories", "articles", "copies", "items", "url_keys", "pages",
];

/// How a command opens the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// `daemon`, `fetch`: the file (and its folder) is created when missing; an existing one
    /// is checked (`quick_check`) before anything is written.
    Create,
    /// Commands that change an archive that must exist (`reextract`); checked like `Create`.
    Write,
    /// Read commands: the archive must exist; the connection cannot write.
    Read,
}

/// What a file opened as SQLite turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// No tables and no version: a new (or zero-byte) file.
    Empty,
    /// A warta archive; `stamped` when it carries the header mark.
    Warta { stamped: bool },
}

/// Tells a warta archive from an empty file and from anything else, reading only the header
/// and the schema.
pub(super) fn classify(conn: &Connection, path: &Path) -> Result<Kind, StoreError> {
    let err = |e| lite_err(path, e);
    let app_id: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(err)?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(err)?;
    if app_id == APPLICATION_ID {
        return Ok(Kind::Warta { stamped: true });
    }
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(err)?;
    if app_id != 0 {
        return Err(foreign(
            path,
            format!("its application_id is {app_id:#x}, not warta's"),
        ));
    }
    if tables.is_empty() && version == 0 {
        return Ok(Kind::Empty);
    }
    if version >= 1 && FIRST_TABLES.iter().all(|t| tables.iter().any(|n| n == t)) {
        return Ok(Kind::Warta { stamped: false });
    }
    let mut shown: Vec<&str> = tables.iter().map(String::as_str).take(5).collect();
    if tables.len() > shown.len() {
        shown.push("…");
    }
    Err(foreign(
        path,
        format!(
            "user_version {version}, tables: {}",
            if shown.is_empty() {
                "none".to_string()
            } else {
                shown.join(", ")
            }
        ),
    ))
}

fn foreign(path: &Path, why: String) -> StoreError {
    StoreError::Foreign {
        path: path.to_path_buf(),
        why,
    }
}

/// `PRAGMA quick_check`: an error naming the first problems when the file is damaged.
pub(super) fn quick_check(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let lines: Vec<String> = conn
        .prepare("PRAGMA quick_check(5)")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| lite_err(path, e))?;
    if lines == ["ok"] {
        return Ok(());
    }
    // One line for the message: the first few problems, without SQLite's header line.
    let problems: Vec<&str> = lines
        .iter()
        .flat_map(|l| l.lines())
        .filter(|l| !l.starts_with("***") && !l.trim().is_empty())
        .take(3)
        .collect();
    Err(StoreError::Corrupt {
        path: path.to_path_buf(),
        problems: format!("quick_check: {}", problems.join("; ")),
    })
}

/// Whether a writer checks an existing archive before writing to it: in full
/// (`quick_check`) unless the file is as the last clean close left it and a full check
/// passed within a day (`clean.rs`); `check` false (an upgrade on a reader's behalf) only
/// carries a known check forward. Returns when the last full check passed, when known.
pub(super) fn integrity(
    conn: &Connection,
    path: &Path,
    check: bool,
) -> Result<Option<i64>, StoreError> {
    match clean::verdict(path) {
        clean::Verdict::Unchanged { closed, checked } => {
            if check {
                tracing::info!(
                    archive = %path.display(),
                    closed = %utc(closed),
                    full_check = %utc(checked),
                    "integrity: unchanged since the last clean close, not checked again (a full check runs at least daily; `warta doctor` runs one now)"
                );
            }
            Ok(Some(checked))
        }
        clean::Verdict::Check(why) if check => {
            // Said before as well as after: on a large archive this takes a minute.
            tracing::info!(
                archive = %path.display(),
                "integrity: checking the whole file (PRAGMA quick_check): {why}"
            );
            let started = Instant::now();
            quick_check(conn, path)?;
            tracing::info!(
                archive = %path.display(),
                seconds = format!("{:.2}", started.elapsed().as_secs_f64()),
                "integrity: checked"
            );
            Ok(Some(clean::now()))
        }
        clean::Verdict::Check(_) => Ok(None),
    }
}

fn utc(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).map_or_else(
        || secs.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// Refuses what is not there before SQLite is asked, so that nothing gets created.
pub fn must_exist(path: &Path) -> Result<(), StoreError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(StoreError::Unusable {
            path: path.to_path_buf(),
            problem: "this is a folder; name the archive file in it (such as archive.db)".into(),
        }),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StoreError::Missing {
            path: path.to_path_buf(),
        }),
        Err(e) => Err(StoreError::Unusable {
            path: path.to_path_buf(),
            problem: format!("cannot read it: {e}; check the permissions of it and its folders"),
        }),
    }
}

/// A connection that cannot write; falls back to reading the file as immutable when SQLite
/// cannot make the `-shm` file it needs for a WAL archive, and no writer holds one.
pub(super) fn read_only(path: &Path) -> Result<Connection, StoreError> {
    must_exist(path)?;
    if let Err(e) = std::fs::File::open(path) {
        return Err(StoreError::Unusable {
            path: path.to_path_buf(),
            problem: format!(
                "cannot read it: {e}; ask its owner for read access to it and its folder"
            ),
        });
    }
    // Read-write without create, made query-only: SQLite opens a file this user may not
    // write read-only by itself, and a reader that may write can still do what the last
    // connection to close does in WAL mode (fold the log in and remove it and the -shm), so
    // reads leave no files behind. `query_only` keeps every statement from writing.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| lite_err(path, e))?;
    let probe = |c: &Connection| {
        c.busy_timeout(BUSY_TIMEOUT)?;
        c.pragma_update(None, "query_only", true)?;
        c.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
    };
    let e = match probe(&conn) {
        Ok(()) => return Ok(conn),
        Err(e) => e,
    };
    let cannot_write = matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen)
    );
    if !cannot_write {
        return Err(lite_err(path, e));
    }
    let shm = suffixed(path, "-shm");
    if shm.exists() {
        return Err(StoreError::Unusable {
            path: path.to_path_buf(),
            problem: format!(
                "cannot use {} ({e}); let this user read it, or run as the archive's owner",
                shm.display()
            ),
        });
    }
    drop(conn);
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(uri(path, "immutable=1")?, flags)
        .map_err(|e| lite_err(path, e))?;
    probe(&conn).map_err(|e| lite_err(path, e))?;
    tracing::info!(
        archive = %path.display(),
        "cannot create {} (no write access to the folder); reading the archive as immutable, which is safe while no warta writes to it",
        shm.display()
    );
    let wal = suffixed(path, "-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        tracing::warn!(
            archive = %path.display(),
            "{} holds commits that a read-only reader cannot see; run `warta fetch` once as the archive's owner to fold them in",
            wal.display()
        );
    }
    Ok(conn)
}

/// `file:PATH?QUERY`, with the characters a URI gives meaning to escaped.
pub(super) fn uri(path: &Path, query: &str) -> Result<String, StoreError> {
    let text = path.to_str().ok_or_else(|| StoreError::Unusable {
        path: path.to_path_buf(),
        problem: "this needs a name in UTF-8; copy or rename it".into(),
    })?;
    let mut uri = String::from("file:");
    for c in text.chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push('?');
    uri.push_str(query);
    Ok(uri)
}

/// Whether an error is SQLite refusing to write (read-only file, folder or mount).
pub(super) fn is_read_only(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Sqlite { source, .. }
            if matches!(
                source.sqlite().and_then(rusqlite::Error::sqlite_error_code),
                Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen)
            )
    )
}

/// The version this build writes, and whether the file is past it.
pub(super) fn check_version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| lite_err(path, e))?;
    let known = schema::MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: version,
            known,
        });
    }
    Ok(version)
}

/// Whether writing to `other` would write over the archive or one of the files SQLite keeps
/// beside it (its write-ahead log, shared memory, rollback journal): the same path after
/// following symbolic links (even one that points at a file not made yet), or the same
/// file under another name (a hard link).
pub fn is_archive_file(archive: &Path, other: &Path) -> bool {
    let Some(other_path) = resolve(other) else {
        return false;
    };
    ["", "-wal", "-shm", "-journal"].iter().any(|suffix| {
        let file = suffixed(archive, suffix);
        resolve(&file).is_some_and(|p| p == other_path) || same_inode(&file, other)
    })
}

/// The absolute path a name leads to, following links; for a name that does not exist
/// (yet), its folder's real path with the name.
fn resolve(path: &Path) -> Option<PathBuf> {
    let mut path = path.to_path_buf();
    // Bounded as the kernel bounds link chains, so a link loop ends.
    for _ in 0..40 {
        if let Ok(real) = path.canonicalize() {
            return Some(real);
        }
        match std::fs::read_link(&path) {
            Ok(target) => {
                path = match path.parent() {
                    Some(dir) => dir.join(target),
                    None => target,
                }
            }
            Err(_) => {
                let name = path.file_name()?;
                let dir = match path.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                return Some(dir.canonicalize().ok()?.join(name));
            }
        }
    }
    None
}

#[cfg(unix)]
fn same_inode(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_inode(_: &Path, _: &Path) -> bool {
    false
}

pub(super) fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_escapes_what_a_uri_reads_as_syntax() {
        assert_eq!(
            uri(Path::new("/a b/x?y#z%.db"), "immutable=1").unwrap(),
            "file:/a b/x%3fy%23z%25.db?immutable=1"
        );
    }

    #[test]
    fn a_reader_brings_an_archive_of_an_older_warta_up_to_date_and_marks_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            // An archive as the first warta wrote it: schema 1, no header mark.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
        }
        let store = super::super::Store::open_with(&path, OpenMode::Read).unwrap();
        let (version, app_id): (i64, i32) = (
            store
                .conn
                .sqlite()
                .unwrap()
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap(),
            store
                .conn
                .sqlite()
                .unwrap()
                .pragma_query_value(None, "application_id", |r| r.get(0))
                .unwrap(),
        );
        assert_eq!(version, schema::MIGRATIONS.len() as i64);
        assert_eq!(app_id, APPLICATION_ID);
        // And it cannot write through its own connection.
        assert!(store.conn.execute_batch("DELETE FROM feeds").is_err());
    }

    #[test]
    fn another_programs_database_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE notes (x); PRAGMA user_version = 2;")
            .unwrap();
        let e = classify(&conn, &path).unwrap_err();
        assert!(
            e.to_string().contains("not a warta archive") && e.to_string().contains("notes"),
            "{e}"
        );
        let empty = Connection::open(dir.path().join("new.db")).unwrap();
        assert_eq!(classify(&empty, &path).unwrap(), Kind::Empty);
    }
}
