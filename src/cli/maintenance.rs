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
    after_help = "Examples:\n  warta backup /srv/backup/warta-2024-11-20.db\n  warta backup copy.db --force    replace an earlier copy"
)]
pub struct BackupArgs {
    /// Where to write the copy (a new file).
    dest: PathBuf,
    /// Replace DEST when it exists (it is replaced only once the new copy is checked).
    #[arg(long)]
    force: bool,
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
    if same_file(&db, dest) {
        return Err(Error::usage(format!(
            "{} is the archive itself; name another file",
            dest.display()
        )));
    }
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
    let r = crate::store::backup(&db, dest)?;
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
    Ok(0)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
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
