//! One writer per archive: `warta daemon`, `warta fetch` and `warta reextract` hold an
//! advisory lock on a file beside the SQLite file (`archive.db.lock`) for as long as they
//! run; a second one stops at once, naming the holder.
//!
//! `flock(2)` through the `libc` crate, already linked: the kernel drops the lock with the
//! process, however it ends, so a `kill -9` leaves nothing stale to clean up: the pid left
//! in the file is only read while someone holds the lock, and the next holder overwrites
//! it. fs4 or fd-lock would wrap the same call in a crate. The file itself is never
//! removed: unlinking a lock file lets two processes lock two different files of one name.
//!
//! Readers (`search`, `export`, `backup`, `vacuum`…) take no lock: WAL lets them read
//! beside the writer. `feeds add` and `import-opml` ask [`holder`] who runs, to tell the
//! daemon to re-read its config.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::Error;

/// Who holds an archive's lock, as the holder wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    /// The command: `daemon`, `fetch` or `reextract`.
    pub command: String,
    /// The config file the holder read, when it named one.
    pub config: Option<PathBuf>,
}

/// A held lock; released when dropped (or when the process ends, whatever the way).
#[derive(Debug)]
pub struct ArchiveLock {
    /// None for a PostgreSQL archive, which any number of processes write at once.
    _file: Option<File>,
}

/// Tries before giving up: a `holder` probe or a holder that has locked but not yet
/// written its pid keeps the lock for microseconds, and must not fail a start.
const TRIES: u32 = 10;
const RETRY: Duration = Duration::from_millis(50);

/// The lock file of the archive at `db`: beside the real file when `db` is a symlink, so
/// that two spellings of one archive meet at one lock.
pub fn lock_path(db: &Path) -> PathBuf {
    beside(db, ".lock")
}

/// The archive's name with `suffix`, beside the real file (as [`lock_path`]).
pub fn beside(db: &Path, suffix: &str) -> PathBuf {
    let real = std::fs::canonicalize(db).unwrap_or_else(|_| match (db.parent(), db.file_name()) {
        (Some(dir), Some(name)) => std::fs::canonicalize(dir)
            .map(|d| d.join(name))
            .unwrap_or_else(|_| db.to_path_buf()),
        _ => db.to_path_buf(),
    });
    let mut name = real.into_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

impl ArchiveLock {
    /// Takes the archive's lock for `command`, creating the archive's folder if needed;
    /// fails (exit 1) naming the holder's pid and the archive when another process has it.
    pub fn acquire(db: &Path, command: &str, config: Option<&Path>) -> Result<ArchiveLock, Error> {
        if crate::store::postgres_url(db).is_some() {
            return Ok(ArchiveLock { _file: None });
        }
        if let Some(dir) = db.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::failure(format!(
                    "archive {}: cannot create its folder: {e}",
                    db.display()
                ))
            })?;
        }
        let path = lock_path(db);
        let io_err = |what: &str, e: std::io::Error| {
            Error::failure(format!(
                "archive {}: cannot {what} the lock file {}: {e}",
                db.display(),
                path.display()
            ))
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io_err("open", e))?;
        let mut tries = 0;
        while !try_flock(&file, libc::LOCK_EX).map_err(|e| io_err("lock", e))? {
            tries += 1;
            if tries >= TRIES {
                return Err(Error::failure(held_message(db, read_holder(&mut file))));
            }
            std::thread::sleep(RETRY);
        }
        let config = config
            .map(|c| std::fs::canonicalize(c).unwrap_or_else(|_| c.to_path_buf()))
            .map(|c| c.display().to_string())
            .unwrap_or_default();
        let record = format!("{}\n{command}\n{config}\n", std::process::id());
        // Written over the old record in place, so that a full disk (whose space the old
        // record already holds) does not stop the start; and only a note for the next
        // one: the lock is held whether it is written or not.
        let written = file
            .rewind()
            .and_then(|()| file.write_all(record.as_bytes()))
            .and_then(|()| file.set_len(record.len() as u64));
        if let Err(e) = written {
            tracing::warn!(lock = %path.display(), error = %e, "cannot write this process's pid into the lock file");
        }
        Ok(ArchiveLock { _file: Some(file) })
    }
}

/// Who holds the lock of the archive at `db` now; `None` when nobody does (or the lock
/// file cannot be read, which no writer would have left so).
pub fn holder(db: &Path) -> Option<Holder> {
    if crate::store::postgres_url(db).is_some() {
        return None;
    }
    let mut file = File::open(lock_path(db)).ok()?;
    // A shared lock is granted unless a writer holds the exclusive one.
    if try_flock(&file, libc::LOCK_SH).ok()? {
        let _ = unlock(&file);
        return None;
    }
    read_holder(&mut file)
}

fn read_holder(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    let mut lines = text.lines();
    let pid = lines.next()?.trim().parse().ok()?;
    let command = lines.next().unwrap_or("warta").trim().to_string();
    let config = lines
        .next()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(PathBuf::from);
    Some(Holder {
        pid,
        command,
        config,
    })
}

fn held_message(db: &Path, holder: Option<Holder>) -> String {
    let who = match holder {
        Some(h) => format!("`warta {}` (pid {})", h.command, h.pid),
        None => "another warta process".to_string(),
    };
    format!(
        "archive {} is being written by {who}; one process writes an archive at a time. \
         Stop it first, or wait for it to finish (searching, exporting and backing up work beside it)",
        db.display()
    )
}

/// Asks the daemon `pid` to re-read its config (SIGHUP).
#[cfg(unix)]
pub fn ask_reload(pid: u32) -> std::io::Result<()> {
    let pid = libc::pid_t::try_from(pid)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a pid"))?;
    // SAFETY: kill(2) takes plain integers; a wrong pid is an error, not undefined behaviour.
    match unsafe { libc::kill(pid, libc::SIGHUP) } {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}

/// `flock` without waiting: Ok(false) when another process holds a conflicting lock.
#[cfg(unix)]
fn try_flock(file: &File, kind: libc::c_int) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor belongs to `file`, which outlives the call.
    let rc = unsafe { libc::flock(file.as_raw_fd(), kind | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    if e.kind() == std::io::ErrorKind::WouldBlock {
        Ok(false)
    } else {
        Err(e)
    }
}

#[cfg(unix)]
fn unlock(file: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: as in `try_flock`.
    match unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) } {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_naming_the_first_and_free_again_after_drop() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("data/archive.db");
        let config = dir.path().join("feeds.toml");
        let first = ArchiveLock::acquire(&db, "daemon", Some(&config)).unwrap();
        let held = holder(&db).unwrap();
        assert_eq!(held.pid, std::process::id());
        assert_eq!(held.command, "daemon");
        assert_eq!(held.config, Some(config));
        // flock locks belong to the open file, so a second open in one process conflicts
        // like another process would.
        let e = ArchiveLock::acquire(&db, "fetch", None).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        assert!(
            msg.contains("archive.db") && msg.contains("warta daemon"),
            "{msg}"
        );
        drop(first);
        assert_eq!(holder(&db), None, "the pid left behind is not a holder");
        let again = ArchiveLock::acquire(&db, "fetch", None).unwrap();
        assert_eq!(holder(&db).map(|h| h.command), Some("fetch".to_string()));
        drop(again);
        assert!(lock_path(&db).ends_with("archive.db.lock"));
    }
}
