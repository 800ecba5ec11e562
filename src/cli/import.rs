//! `warta import FILE…`: backfill from warta JSONL exports and WARC files, without polling.
//!
//! Each file is streamed record by record (`crate::import`); articles are written in
//! batches, each one transaction, so Ctrl-C (or a kill) keeps every batch written and a
//! re-run skips what is stored: an article is found again by its feed and URL, by its URL
//! keys, or by its body (the same checks as a poll's). A damaged record is counted, named
//! (file and line, or byte offset) and skipped; a file that cannot be read at all is
//! reported and the next one taken. Exit 0 when every record was read; 1 when a record or
//! a file failed, or the run was stopped.

use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;

use clap::Args;
use tokio::sync::watch;

use super::Context;
use super::progress::Progress;
use crate::error::{Error, Result};
use crate::import::{self, Format, Step, WarcOptions, warc};
use crate::model::FeedName;
use crate::store::{ImportWrite, ItemOutcome, Store};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// warta JSONL exports (`warta export --format jsonl`) and WARC files (.warc), each
    /// possibly gzip-compressed (.gz); the format is told by the content.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The feed WARC pages are archived under (default: import). A JSONL export keeps the
    /// feeds it names.
    #[arg(long, value_name = "NAME")]
    feed: Option<String>,
}

/// Articles written per transaction: a stop or kill loses at most this many, and the
/// commit cost is spread over them. Each commit flushes the search index's new entries as
/// one segment (`Store::for_import` lets that hold a batch) and upserts the batch's
/// distinct words once: at 100,000 articles 1,024 a batch took 13 % less CPU and wrote
/// 45 % less than 256 (BENCHMARKS.md, "Index build at scale").
const BATCH: usize = 1024;

/// The default feed of WARC pages.
const IMPORT_FEED: &str = "import";

#[derive(Debug, Default)]
struct Counts {
    records: u64,
    new: u64,
    duplicate: u64,
    skipped: BTreeMap<&'static str, u64>,
    failed: u64,
}

struct Run<'a> {
    store: Store,
    /// Each record's name, beside `batch`'s writes.
    names: Vec<String>,
    batch: Vec<ImportWrite>,
    counts: Counts,
    bar: &'a Progress,
    read: Arc<AtomicU64>,
    shown: u64,
}

pub fn run(ctx: &Context, args: &ImportArgs) -> Result<u8> {
    let config = ctx.optional_config()?;
    let db = ctx.db_path(config.as_ref())?;
    let feed = match &args.feed {
        Some(f) => FeedName::parse(f).map_err(|e| Error::usage(format!("--feed {f}: {e}")))?,
        None => FeedName::parse(IMPORT_FEED).map_err(Error::usage)?,
    };
    let mut total = 0;
    for f in &args.files {
        match std::fs::metadata(f) {
            Ok(m) if m.is_file() => total += m.len(),
            Ok(_) => {
                return Err(Error::usage(format!(
                    "{}: not a file; name warta JSONL exports or WARC files",
                    f.display()
                )));
            }
            Err(e) => {
                return Err(Error::usage(format!(
                    "{}: {e}; name warta JSONL exports or WARC files",
                    f.display()
                )));
            }
        }
        super::maintenance::refuse_archive_file(&db, f)?;
    }
    let _lock = crate::lock::ArchiveLock::acquire(
        &db,
        "import",
        config.as_ref().map(|c| c.file.as_path()),
    )?;
    let mut store = Store::open(&db)?.for_import()?;
    if let Some(c) = &config {
        store.sync_feeds(&c.feeds)?;
    }
    let configured = config
        .as_ref()
        .and_then(|c| c.feeds.iter().find(|f| f.name == feed));
    let opts = WarcOptions {
        feed: feed.as_str(),
        rules: configured.and_then(|f| f.extract.as_deref()),
        keep_raw: config
            .as_ref()
            .map_or(crate::config::KeepRaw::Html, |c| c.archive.keep_raw),
        max_body: config
            .as_ref()
            .map_or(10 * 1024 * 1024, |c| c.fetch.max_body),
    };
    let stopped = stop_on_signals()?;
    let bar = Progress::start(ctx.quiet, total.div_ceil(1024), "KiB", "");
    let mut run = Run {
        store,
        names: Vec::with_capacity(BATCH),
        batch: Vec::with_capacity(BATCH),
        counts: Counts::default(),
        bar: &bar,
        read: Arc::new(AtomicU64::new(0)),
        shown: 0,
    };
    // Reading and preparing records (parsing, extraction, stems, MinHash) runs on its own
    // thread ahead of the writer, through a bounded channel: the two overlap, and memory
    // stays bounded by the channel whatever the file size.
    let (send, receive) = std::sync::mpsc::sync_channel::<Msg>(AHEAD);
    let read = run.read.clone();
    let files_failed = std::thread::scope(|s| -> Result<u64> {
        let (opts, stopped) = (&opts, &stopped);
        s.spawn(move || {
            for path in &args.files {
                if *stopped.borrow() {
                    break;
                }
                if let Err(m) = read_file(path, opts, stopped, &read, &send)
                    && send.send(m).is_err()
                {
                    break;
                }
            }
        });
        let mut files_failed = 0;
        for msg in receive {
            match msg {
                Msg::Record(at, step) => run.step(at, step)?,
                Msg::Broken(why) => {
                    run.counts.records += 1;
                    run.counts.failed += 1;
                    eprintln!("warta: {why}");
                }
                Msg::Unreadable(why) => {
                    files_failed += 1;
                    eprintln!("warta: {why}");
                }
            }
        }
        run.flush()?;
        Ok(files_failed)
    })?;
    let c = run.counts;
    drop(bar);
    println!("{}", summary(&c));
    if *stopped.borrow() {
        eprintln!(
            "warta: stopped; every article written so far is kept, and running the same import again takes up the rest"
        );
        return Ok(1);
    }
    if c.failed > 0 || files_failed > 0 {
        return Ok(1);
    }
    Ok(0)
}

/// What the reading thread hands the writer.
enum Msg {
    /// A record, named by file and line or byte offset, and what it comes to.
    Record(String, Step),
    /// A damaged record after which nothing more of its file can be read.
    Broken(String),
    /// A file that cannot be read at all.
    Unreadable(String),
}

/// Records prepared ahead of the writer at most: a whole batch, so that the reading thread
/// prepares the next one while the writer commits (with 256 ahead of 1,024-record batches
/// it waited through most of each commit: 85 s for 100,000 records instead of 70 s, at
/// ~35 MiB more peak memory).
const AHEAD: usize = BATCH;

/// Reads one file into `send`; `Err` says why the rest of it could not be read. Returns
/// early when the writer has stopped listening.
fn read_file(
    path: &Path,
    opts: &WarcOptions<'_>,
    stopped: &watch::Receiver<bool>,
    read: &Arc<AtomicU64>,
    send: &SyncSender<Msg>,
) -> std::result::Result<(), Msg> {
    let name = path.display();
    let unreadable = |e: std::io::Error| Msg::Unreadable(format!("cannot read {name}: {e}"));
    let counter = Counting {
        inner: std::fs::File::open(path).map_err(unreadable)?,
        read: read.clone(),
    };
    let (mut stream, format) = import::open(counter).map_err(unreadable)?;
    let record = |at: String, step: Step| send.send(Msg::Record(at, step)).is_ok();
    match format {
        None => Err(Msg::Unreadable(format!(
            "{name} is neither a warta JSONL export nor a WARC file; `warta export --format jsonl` writes the one, web crawlers the other"
        ))),
        Some(Format::Jsonl) => {
            let mut line = Vec::new();
            let mut n = 0u64;
            while !*stopped.borrow() {
                line.clear();
                n += 1;
                match stream.read_until(b'\n', &mut line) {
                    Ok(0) => return Ok(()),
                    Ok(_) => {}
                    Err(e) => return Err(Msg::Broken(format!("{name}:{n}: cannot read: {e}"))),
                }
                let text = String::from_utf8_lossy(&line);
                if !text.trim().is_empty()
                    && !record(format!("{name}:{n}"), import::jsonl_line(&text))
                {
                    return Ok(());
                }
            }
            Ok(())
        }
        Some(Format::Warc) => {
            let mut reader = warc::Reader::new(stream, opts.max_body);
            while !*stopped.borrow() {
                match reader.next_record() {
                    Ok(Some(r)) => {
                        let at = format!("{name} byte {}", r.offset);
                        if !record(at, import::warc_record(r, opts)) {
                            return Ok(());
                        }
                    }
                    Ok(None) => return Ok(()),
                    // Nothing after a damaged record can be found again in the stream.
                    Err(e) => return Err(Msg::Broken(format!("{name}: {e}"))),
                }
            }
            Ok(())
        }
    }
}

impl Run<'_> {
    fn step(&mut self, at: String, step: Step) -> Result<()> {
        self.counts.records += 1;
        match step {
            Step::Write(w) => {
                self.names.push(at);
                self.batch.push(*w);
                if self.batch.len() >= BATCH {
                    self.flush()?;
                }
            }
            Step::Skip(reason, detail) => {
                *self.counts.skipped.entry(reason).or_default() += 1;
                tracing::info!(record = %at, outcome = "skipped", "{reason}: {detail}");
            }
            Step::Fail(why) => {
                self.counts.failed += 1;
                tracing::warn!("{at}: {why}; record skipped");
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if !self.batch.is_empty() {
            let outcomes = self.store.import_batch(&self.batch)?;
            for ((at, w), outcome) in self.names.iter().zip(&self.batch).zip(outcomes) {
                let what = match outcome {
                    ItemOutcome::New(_) => {
                        self.counts.new += 1;
                        "new"
                    }
                    ItemOutcome::Duplicate(_) => {
                        self.counts.duplicate += 1;
                        "duplicate"
                    }
                    ItemOutcome::Seen | ItemOutcome::Skipped => {
                        self.counts.duplicate += 1;
                        "already archived"
                    }
                };
                tracing::info!(record = %at, url = %w.item.link, outcome = what, "imported");
            }
            self.names.clear();
            self.batch.clear();
        }
        let read = self.read.load(Ordering::Relaxed) / 1024;
        let c = &self.counts;
        self.bar.advance_by(
            read.saturating_sub(self.shown),
            format!(
                "{} records, {} new, {} duplicate",
                grouped(c.records),
                grouped(c.new),
                grouped(c.duplicate)
            ),
        );
        self.shown = read;
        Ok(())
    }
}

/// `12,345 records: 12,000 new, 300 duplicate, 45 skipped (not HTML), 0 failed`.
fn summary(c: &Counts) -> String {
    let skipped: u64 = c.skipped.values().sum();
    let why = match c.skipped.len() {
        0 => String::new(),
        1 => format!(" ({})", c.skipped.keys().copied().collect::<String>()),
        _ => format!(
            " ({})",
            c.skipped
                .iter()
                .map(|(k, n)| format!("{} {k}", grouped(*n)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!(
        "{} record{}: {} new, {} duplicate, {} skipped{why}, {} failed",
        grouped(c.records),
        if c.records == 1 { "" } else { "s" },
        grouped(c.new),
        grouped(c.duplicate),
        grouped(skipped),
        grouped(c.failed)
    )
}

/// 1234567 as `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Ctrl-C or SIGTERM turns the value true (the import writes what it holds and stops); a
/// second one quits at once, which is as safe: every batch is a transaction.
fn stop_on_signals() -> Result<watch::Receiver<bool>> {
    let (stop, stopped) = watch::channel(false);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::failure(format!("cannot start the signal listener: {e}")))?;
    std::thread::spawn(move || rt.block_on(super::fetch::stop_on_signals(stop)));
    Ok(stopped)
}

/// Counts the bytes read from a file, compressed or not, for the progress bar.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(12_345), "12,345");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn the_summary_names_why_records_were_skipped() {
        let mut c = Counts {
            records: 12_345,
            new: 12_000,
            duplicate: 300,
            ..Counts::default()
        };
        c.skipped.insert("not HTML", 45);
        assert_eq!(
            summary(&c),
            "12,345 records: 12,000 new, 300 duplicate, 45 skipped (not HTML), 0 failed"
        );
        c.skipped.insert("not 200", 5);
        assert!(summary(&c).contains("50 skipped (5 not 200, 45 not HTML)"));
    }
}
