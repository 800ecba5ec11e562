//! `warta vacuum` (alias `maintenance`) and `warta backup DEST`: housekeeping that is safe
//! while the daemon runs. The work itself is in `store::maintenance`; this file picks the
//! archive, refuses what would lose data, and says what happened.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use super::{Context, output};
use crate::error::{Error, Result};
use crate::text::counted;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  warta vacuum            merge the search index in short steps, optimise, empty the WAL\n  warta vacuum --full     also rewrite the whole file (writers wait while it runs)"
)]
pub struct VacuumArgs {
    /// Also VACUUM: rewrite the whole file to give free pages back to the disk. It blocks
    /// every writer (a running daemon's polls wait, and fail after 30 s) until it ends.
    #[arg(long)]
    full: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  warta backup /srv/backup/warta-2024-11-20.db\n  warta backup copy.db --force    replace an earlier copy\n  warta backup --salvage saved.db  what a damaged archive still has, as a new archive"
)]
pub struct BackupArgs {
    /// Where to write the copy (a new file).
    dest: PathBuf,
    /// Replace DEST when it exists (it is replaced only once the new copy is checked).
    #[arg(long)]
    force: bool,
    /// The archive is damaged: copy every row that can still be read, skip the damaged
    /// pages, and say per table what could not be read. The search index is rebuilt.
    #[arg(long)]
    salvage: bool,
}

fn archive(ctx: &Context) -> Result<PathBuf> {
    let config = ctx.optional_config()?;
    ctx.db_path(config.as_ref())
}

pub fn vacuum(ctx: &Context, args: &VacuumArgs) -> Result<u8> {
    let db = archive(ctx)?;
    if args.full && !ctx.quiet {
        eprintln!(
            "warta: --full rewrites all of {}; a running daemon's writes wait until it ends",
            db.display()
        );
    }
    let r = crate::store::vacuum(&db, args.full)?;
    let mut out = std::io::stdout().lock();
    output((|| {
        writeln!(
            out,
            "{}: {} → {} bytes ({} → {})",
            db.display(),
            r.bytes_before,
            r.bytes_after,
            human_bytes(r.bytes_before),
            human_bytes(r.bytes_after)
        )?;
        let merge = match (r.merge_steps, r.merge_unfinished) {
            (0, _) => "search index: already merged".to_string(),
            (n, false) => format!("search index: merged in {}", counted(n, "step")),
            (n, true) => format!(
                "search index: merged in {}, more remains; run `warta vacuum` again",
                counted(n, "step")
            ),
        };
        writeln!(out, "{merge}")?;
        writeln!(out, "statistics: PRAGMA optimize done")?;
        if r.full {
            writeln!(out, "file: rewritten (VACUUM)")?;
        }
        if r.checkpoint_busy {
            writeln!(
                out,
                "write-ahead log: still in use by another connection; it is emptied after the daemon's next commit"
            )
        } else {
            writeln!(out, "write-ahead log: emptied")
        }
    })())?;
    Ok(0)
}

pub fn backup(ctx: &Context, args: &BackupArgs) -> Result<u8> {
    let db = archive(ctx)?;
    let dest = &args.dest;
    if dest.is_dir() {
        return Err(Error::usage(format!(
            "{} is a folder; name the backup file, such as {}",
            dest.display(),
            dest.join("archive.db").display()
        )));
    }
    refuse_archive_file(&db, dest)?;
    if dest.exists() && !args.force {
        return Err(Error::usage(format!(
            "{} exists; pass --force to replace it, or name a new file",
            dest.display()
        )));
    }
    if let Some(parent) = dest.parent()
        && !parent.as_os_str().is_empty()
        && !parent.is_dir()
    {
        return Err(Error::usage(format!(
            "the folder {} does not exist; create it first",
            parent.display()
        )));
    }
    remove_partial_on_signal(dest.clone());
    let r = crate::store::backup(&db, dest, args.salvage)?;
    let mut out = std::io::stdout().lock();
    output(writeln!(
        out,
        "{} → {}: {} bytes ({}), schema {}, quick_check ok",
        db.display(),
        dest.display(),
        r.bytes,
        human_bytes(r.bytes),
        r.schema_version
    ))?;
    if let Some(tables) = &r.salvaged {
        let line: Vec<String> = tables
            .iter()
            .map(|t| format!("{} {}{}", t.table, t.copied, lost(&t.lost)))
            .collect();
        output(writeln!(out, "salvaged: {}", line.join(", ")))?;
        if tables.iter().any(|t| t.lost.any()) && !ctx.quiet {
            eprintln!(
                "warta: rows on damaged pages of {} could not be read and are not in {}; check it with `warta --db {} stats` before putting it in the archive's place",
                db.display(),
                dest.display(),
                dest.display()
            );
        }
    }
    Ok(0)
}

/// Refuses an output file that is the archive, its write-ahead log or shared memory, under
/// any name: writing there would destroy the archive (and a running daemon would go on
/// writing into the replaced file).
pub(super) fn refuse_archive_file(db: &Path, dest: &Path) -> Result<()> {
    if crate::store::is_archive_file(db, dest) {
        return Err(Error::usage(format!(
            "{} is the archive itself ({} or a file SQLite keeps beside it); nothing was written: name another file",
            dest.display(),
            db.display()
        )));
    }
    Ok(())
}

/// Ctrl-C or SIGTERM during a backup: remove the unfinished copy, then stop (130, as a
/// shell reports an interrupted command). A kill -9 leaves it to the next backup to clear.
fn remove_partial_on_signal(dest: PathBuf) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    std::thread::spawn(move || {
        rt.block_on(async {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                let Ok(mut term) = signal(SignalKind::terminate()) else {
                    return;
                };
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            #[cfg(not(unix))]
            let _ = tokio::signal::ctrl_c().await;
        });
        crate::store::remove_partial(&dest);
        eprintln!(
            "warta: backup interrupted; {} was not written",
            dest.display()
        );
        std::process::exit(130);
    });
}

/// What a salvage could not read of one table, for its report.
pub(super) fn lost(lost: &crate::store::Lost) -> String {
    match (lost.rows, lost.more) {
        (0, false) => String::new(),
        (0, true) => " (some unreadable)".into(),
        (n, false) => format!(" ({n} unreadable)"),
        (n, true) => format!(" ({n} and more unreadable)"),
    }
}

pub(super) fn human_bytes(n: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if n >= size {
            return format!("{:.1} {unit}", n as f64 / size as f64);
        }
    }
    format!("{n} B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_as_people_write_them() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
    }
}
