//! `warta migrate --from SRC --to DST`: an archive copied between an SQLite file
//! (`sqlite:PATH`, or a plain path) and a PostgreSQL database (`postgres://…`), either way,
//! with progress on stderr, resumable, verified by counts and checksums (`store::migrate`).

use std::path::PathBuf;

use clap::Args;

use super::Context;
use crate::error::{Error, Result};
use crate::store::{OpenMode, Store};

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The archive to copy: sqlite:PATH (or a path), or postgres://user@host/database.
    #[arg(long, value_name = "SRC")]
    from: String,
    /// Where to: a new SQLite file or an empty PostgreSQL database, or one a stopped
    /// migration from the same source left (it goes on from there).
    #[arg(long, value_name = "DST")]
    to: String,
}

/// `sqlite:PATH`, a path, or a `postgres://` address, as the store opens it.
fn location(arg: &str) -> Result<PathBuf> {
    if crate::store::postgres_url(std::path::Path::new(arg)).is_some() {
        return Ok(PathBuf::from(arg));
    }
    let path = arg.strip_prefix("sqlite:").unwrap_or(arg);
    if path.is_empty() || path.contains("://") {
        return Err(Error::usage(format!(
            "{arg:?} is neither sqlite:PATH nor postgres://user@host/database"
        )));
    }
    Ok(PathBuf::from(path))
}

pub fn run(ctx: &Context, args: &MigrateArgs) -> Result<u8> {
    let from = location(&args.from)?;
    let to = location(&args.to)?;
    if from == to {
        return Err(Error::usage("--from and --to name the same archive"));
    }
    if let Ok(Some(config)) = ctx.optional_config() {
        for side in [&from, &to] {
            crate::store::use_password(side, config.archive.password.as_ref())
                .map_err(Error::usage)?;
        }
    }
    // Nothing may write either side meanwhile: the copy would miss what came in.
    let _source_lock = crate::lock::ArchiveLock::acquire(&from, "migrate", None)?;
    let _dest_lock = crate::lock::ArchiveLock::acquire(&to, "migrate", None)?;
    let source = Store::open_with(&from, OpenMode::Read).map_err(|e| {
        if e.is_wrong_file() {
            Error::usage(e.to_string())
        } else {
            e.into()
        }
    })?;
    let mut dest = Store::open_with(&to, OpenMode::Create)?;
    let quiet = ctx.quiet;
    let mut last_shown = std::time::Instant::now();
    let mut shown_table = String::new();
    // A line when a table starts, every 2 s, and when it is done.
    let mut progress = |table: &str, done: u64, total: u64| {
        if quiet {
            return;
        }
        if table != shown_table || done >= total || last_shown.elapsed().as_secs() >= 2 {
            eprintln!("{table}: {done} of {total} rows");
            shown_table = table.to_string();
            last_shown = std::time::Instant::now();
        }
    };
    let report = crate::store::copy_archive(&source, &mut dest, &mut progress)?;
    println!("{:<18} {:>10} {:>10}  checksum", "table", "rows", "copied");
    for t in &report {
        println!(
            "{:<18} {:>10} {:>10}  {}",
            t.table, t.rows, t.copied, t.checksum
        );
    }
    println!(
        "{} → {}: every table's count and checksum agree",
        source.path().display(),
        dest.path().display()
    );
    Ok(0)
}
