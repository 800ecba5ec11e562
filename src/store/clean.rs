//! Whether the archive is exactly as a writer left it when it last closed cleanly, so that
//! the next writer may skip the start-up `quick_check`: on the bundled SQLite it reads the
//! whole file and runs FTS5's own check, about 4 s at 100,000 articles and a minute at 1M,
//! which every `warta fetch` from cron paid.
//!
//! The record is `archive.db.clean`, beside the lock file. A writing connection removes it
//! before its first write, so a crash or `kill -9` at any later moment leaves none, and the
//! next writer checks in full. At a clean close (the connection closed, and it was the last
//! one: SQLite removed the `-wal` and `-shm`, so no other process has the file open), the
//! file is synced and its identity written down: device, inode, size, mtime and ctime, to
//! the nanosecond. A writer that finds all of them unchanged, and the log empty, skips the
//! check; anything else (no record, a crash, a write by any other program, a restore from
//! a backup, a file put in its place) gets the full check, as before.
//!
//! * **Readers** open the file read-write but only read (`query_only`). The last connection
//!   to close folds the log into the file, and that can be a reader's; but a record is only
//!   trusted while the log is empty, and folding an empty log writes nothing, so a search
//!   after a clean close leaves the record valid, and one after any other writer changes the
//!   file's times (and the record no longer matches).
//! * **Timestamps are coarse** (a clock tick of 1 to 10 ms on older kernels): a write in the
//!   tick of the file's last change would leave its times as they were. The record is only
//!   trusted when it was written in a later tick than the file's last change (its own mtime
//!   is later), so every later write moves the file's times past what it holds.
//! * **Damage SQLite reported** during the run (`SQLITE_CORRUPT`, "not a database") means
//!   no record at close, whatever else happened.
//! * **A full check at least daily.** The record carries when the last full check passed;
//!   after [`RECHECK_AFTER`] the next writer checks again, so damage that leaves a file's
//!   times alone (a failing disk) is still found within a day. `warta doctor` always checks.
//!
//! Left open: a program that writes the file without SQLite within the same clock tick as
//! warta's own last write, in the instant between its sync and the record.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::StoreError;

/// How long a full check is trusted for.
pub(super) const RECHECK_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

const FIRST_LINE: &str = "warta clean close 1";

/// How often, and how long apart, the record is written again until its time is past the
/// archive's last change (a clock tick is at most 10 ms).
const TICK_TRIES: u32 = 25;
const TICK_WAIT: Duration = Duration::from_millis(2);

/// Archives for which SQLite reported damage in this process, by record path: no record is
/// written for them.
static DAMAGED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The record of the archive at `db`.
pub(super) fn record_path(db: &Path) -> PathBuf {
    crate::lock::beside(db, ".clean")
}

/// What a writer starting on an existing archive should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    /// The file is as a writer left it at `closed`; the last full check passed at `checked`
    /// (both seconds since the epoch).
    Unchanged { closed: i64, checked: i64 },
    /// Check in full, for this reason.
    Check(&'static str),
}

pub(super) fn verdict(db: &Path) -> Verdict {
    verdict_at(db, now())
}

fn verdict_at(db: &Path, now: i64) -> Verdict {
    let record = record_path(db);
    let (Ok(text), Ok(written)) = (
        std::fs::read_to_string(&record),
        std::fs::metadata(&record).and_then(|m| FileTimes::of(&m)),
    ) else {
        return Verdict::Check("no record of a clean close");
    };
    if !(text.starts_with(FIRST_LINE) && text.ends_with("\nend\n")) {
        return Verdict::Check("no record of a clean close");
    }
    let Some(checked) = text
        .lines()
        .find_map(|l| l.strip_prefix("full check "))
        .and_then(|t| t.parse::<i64>().ok())
    else {
        return Verdict::Check("no record of a clean close");
    };
    if std::fs::metadata(beside(db, "-wal")).is_ok_and(|m| m.len() > 0) {
        return Verdict::Check("the write-ahead log holds writes made since the last clean close");
    }
    match identity(db) {
        Ok(now) if render(&now, checked) == text && written.mtime > now.times.ctime => {}
        _ => return Verdict::Check("the file changed since the last clean close"),
    }
    let age = now - checked;
    if !(0..RECHECK_AFTER.as_secs() as i64).contains(&age) {
        return Verdict::Check("the last full check is over a day old");
    }
    Verdict::Unchanged {
        closed: written.mtime.0,
        checked,
    }
}

/// Removes the record before a connection writes; the folder is synced so that the
/// removal outlives a power cut that keeps the writes.
pub(super) fn forget(db: &Path) -> Result<(), StoreError> {
    let record = record_path(db);
    match std::fs::remove_file(&record) {
        Ok(()) => {
            sync_folder(&record);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::Unusable {
            path: db.to_path_buf(),
            problem: format!(
                "cannot remove {} before writing: {e}; let this user write the archive's folder",
                record.display()
            ),
        }),
    }
}

/// Notes that SQLite reported the archive at `db` damaged.
pub(super) fn note_damage(db: &Path) {
    let mut damaged = DAMAGED.lock().unwrap_or_else(|p| p.into_inner());
    damaged.push(record_path(db));
}

fn damaged(record: &Path) -> bool {
    DAMAGED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .any(|d| d == record)
}

/// Writes the record when dropped, which the store does after its connection has closed.
#[derive(Debug)]
pub(super) struct CleanClose {
    db: PathBuf,
    /// When the last full check passed, seconds since the epoch.
    checked: i64,
}

impl CleanClose {
    pub(super) fn new(db: &Path, checked: i64) -> CleanClose {
        CleanClose {
            db: db.to_path_buf(),
            checked,
        }
    }

    fn write(&self) -> std::io::Result<()> {
        let record = record_path(&self.db);
        if damaged(&record) {
            tracing::debug!(archive = %self.db.display(), "SQLite reported damage; the next writer checks the archive in full");
            return Ok(());
        }
        if others_open(&self.db) {
            tracing::debug!(archive = %self.db.display(), "another connection has the archive open; the next writer checks it in full");
            return Ok(());
        }
        File::open(&self.db)?.sync_all()?;
        let before = identity(&self.db)?;
        let text = render(&before, self.checked);
        let mut later = false;
        for _ in 0..TICK_TRIES {
            let mut file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&record)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            if FileTimes::of(&file.metadata()?)?.mtime > before.times.ctime {
                later = true;
                break;
            }
            std::thread::sleep(TICK_WAIT);
        }
        sync_folder(&record);
        // Someone opened or changed the file while the record was written: it is not
        // what this writer left.
        if !later || others_open(&self.db) || identity(&self.db)? != before {
            std::fs::remove_file(&record)?;
        }
        Ok(())
    }
}

impl Drop for CleanClose {
    fn drop(&mut self) {
        if let Err(e) = self.write() {
            let _ = std::fs::remove_file(record_path(&self.db));
            tracing::warn!(archive = %self.db.display(), error = %e, "cannot record the clean close; the next writer checks the archive in full");
        }
    }
}

/// SQLite keeps the `-shm` (and in WAL mode the `-wal`) while any connection has the file
/// open, and the last one to close removes both.
fn others_open(db: &Path) -> bool {
    ["-wal", "-shm", "-journal"]
        .iter()
        .any(|s| std::fs::symlink_metadata(beside(db, s)).is_ok())
}

fn beside(db: &Path, suffix: &str) -> PathBuf {
    crate::lock::beside(db, suffix)
}

fn sync_folder(file: &Path) {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
}

/// Seconds since the epoch.
pub(super) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Seconds and nanoseconds.
type Time = (i64, i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileTimes {
    mtime: Time,
    ctime: Time,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
    size: u64,
    times: FileTimes,
}

#[cfg(unix)]
impl FileTimes {
    fn of(m: &std::fs::Metadata) -> std::io::Result<FileTimes> {
        use std::os::unix::fs::MetadataExt;
        Ok(FileTimes {
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        })
    }
}

#[cfg(not(unix))]
impl FileTimes {
    fn of(_: &std::fs::Metadata) -> std::io::Result<FileTimes> {
        Err(std::io::Error::other("no inode times on this system"))
    }
}

#[cfg(unix)]
fn identity(db: &Path) -> std::io::Result<Identity> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(db)?;
    Ok(Identity {
        dev: m.dev(),
        ino: m.ino(),
        size: m.size(),
        times: FileTimes::of(&m)?,
    })
}

#[cfg(not(unix))]
fn identity(_: &Path) -> std::io::Result<Identity> {
    Err(std::io::Error::other("no inode on this system"))
}

fn render(id: &Identity, checked: i64) -> String {
    let FileTimes { mtime, ctime } = id.times;
    format!(
        "{FIRST_LINE}\ndev {}\ninode {}\nsize {}\nmtime {}.{:09}\nctime {}.{:09}\nfull check {checked}\nend\n",
        id.dev, id.ino, id.size, mtime.0, mtime.1, ctime.0, ctime.1
    )
}

#[cfg(test)]
mod tests {
    use super::super::{OpenMode, Store};
    use super::*;

    fn archive() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("archive.db");
        drop(Store::open(&path).unwrap());
        (dir, path)
    }

    fn count_feeds(store: &Store) -> i64 {
        store
            .conn
            .query_row("SELECT count(*) FROM feeds", [], |r| r.get(0))
            .unwrap()
    }

    fn add_feed(store: &Store) {
        store
            .conn
            .execute(
                "INSERT INTO feeds (name, url) VALUES ('a', 'http://a/')",
                [],
            )
            .unwrap();
    }

    #[test]
    fn a_clean_close_is_recorded_and_a_writer_removes_the_record_before_writing() {
        let (_dir, path) = archive();
        assert!(matches!(verdict(&path), Verdict::Unchanged { .. }));
        let writer = Store::open(&path).unwrap();
        assert!(!record_path(&path).exists());
        add_feed(&writer);
        drop(writer);
        assert!(matches!(verdict(&path), Verdict::Unchanged { .. }));
    }

    #[test]
    fn a_reader_leaves_the_record_valid_and_a_reader_open_at_close_means_no_record() {
        let (_dir, path) = archive();
        let reader = Store::open_with(&path, OpenMode::Read).unwrap();
        assert_eq!(count_feeds(&reader), 0);
        drop(reader);
        assert!(matches!(verdict(&path), Verdict::Unchanged { .. }));

        let writer = Store::open(&path).unwrap();
        let reader = Store::open_with(&path, OpenMode::Read).unwrap();
        add_feed(&writer);
        drop(writer);
        assert!(!record_path(&path).exists());
        // The reader closes last and folds the writer's log into the file.
        assert_eq!(count_feeds(&reader), 1);
        drop(reader);
        assert_eq!(verdict(&path), Verdict::Check("no record of a clean close"));
    }

    #[test]
    fn any_later_write_to_the_file_means_a_full_check() {
        use std::io::{Seek, SeekFrom};
        let (_dir, path) = archive();
        let size = std::fs::metadata(&path).unwrap().len();
        let mut file = OpenOptions::new().write(true).open(&path).unwrap();
        file.seek(SeekFrom::Start(size / 2)).unwrap();
        file.write_all(b"x").unwrap();
        drop(file);
        assert_eq!(
            verdict(&path),
            Verdict::Check("the file changed since the last clean close")
        );
    }

    #[test]
    fn damage_sqlite_reported_means_no_record() {
        let (_dir, path) = archive();
        let writer = Store::open(&path).unwrap();
        note_damage(&path);
        drop(writer);
        assert!(!record_path(&path).exists());
        assert_eq!(verdict(&path), Verdict::Check("no record of a clean close"));
    }

    #[test]
    fn a_full_check_is_trusted_for_a_day() {
        let (_dir, path) = archive();
        let day = RECHECK_AFTER.as_secs() as i64;
        assert!(matches!(
            verdict_at(&path, now() + day - 60),
            Verdict::Unchanged { .. }
        ));
        assert_eq!(
            verdict_at(&path, now() + day + 60),
            Verdict::Check("the last full check is over a day old")
        );
        // A clock set back since: the check's age is unknown.
        assert_eq!(
            verdict_at(&path, now() - 3600),
            Verdict::Check("the last full check is over a day old")
        );
    }

    #[test]
    fn a_torn_or_foreign_record_is_no_record() {
        let (_dir, path) = archive();
        let text = std::fs::read_to_string(record_path(&path)).unwrap();
        std::fs::write(record_path(&path), &text[..text.len() - 4]).unwrap();
        assert_eq!(verdict(&path), Verdict::Check("no record of a clean close"));
    }
}
