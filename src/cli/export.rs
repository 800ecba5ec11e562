//! `warta export`: the archive streamed out as jsonl, csv or WARC, to stdout or a file.
//!
//! Records are written as the store hands them over, through a buffer, so memory stays
//! flat however large the archive. A file is written under a `.part` name and renamed when
//! complete, so a failed or interrupted export never leaves a file that looks whole.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use flate2::Compression;
use flate2::write::GzEncoder;

use super::progress::Progress;
use super::{Context, output};
use crate::config::FetchConfig;
use crate::error::{Error, Result};
use crate::export::{
    self,
    warc::{Exchange, WarcWriter},
};
use crate::search::when::{self, Bound};
use crate::store::Kept;
use crate::store::{ExportCounts, ExportFilter, OpenMode, Store, StoreError};
use crate::text::counted;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// jsonl: one JSON object per article (the fields of `show --format json`); csv: one row
    /// per article; warc: WARC/1.1 records of the raw pages the archive keeps.
    #[arg(long, value_enum)]
    format: ExportFormat,
    /// Only articles seen in this feed (repeatable).
    #[arg(long = "feed", value_name = "NAME")]
    feeds: Vec<String>,
    /// From this date: YYYY-MM-DD, an RFC 3339 time, or a span back from now (7d, 12h).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    since: Option<String>,
    /// Up to this date (same forms as --since).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    until: Option<String>,
    /// Write to FILE instead of standard output; a name ending in .gz is gzip-compressed
    /// (for warc, one gzip member per record: a .warc.gz).
    #[arg(short, long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// The archive is damaged: export every article that can still be read, skip the
    /// damaged pages, and say how many articles were left out (jsonl and csv).
    #[arg(long)]
    salvage: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExportFormat {
    Jsonl,
    Csv,
    Warc,
}

/// Why an export stopped early: the archive, or the output.
enum Stop {
    Store(StoreError),
    Write(io::Error),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Store(e)
    }
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Self {
        Stop::Write(e)
    }
}

pub fn run(ctx: &Context, args: &ExportArgs) -> Result<u8> {
    let now = Utc::now();
    let since = bound(args.since.as_deref(), Bound::Since, "--since", now)?;
    let until = bound(args.until.as_deref(), Bound::Until, "--until", now)?;
    if let (Some(s), Some(u)) = (since, until)
        && s > u
    {
        return Err(Error::usage(format!(
            "--since {} is after --until {}",
            s.to_rfc3339(),
            u.to_rfc3339()
        )));
    }
    if args.salvage && args.format == ExportFormat::Warc {
        return Err(Error::usage(
            "--salvage exports articles (jsonl, csv); `warta backup --salvage COPY` saves the raw pages of a damaged archive too",
        ));
    }
    let config = ctx.optional_config()?;
    let db = ctx.db_path(config.as_ref())?;
    if let Some(file) = &args.output {
        super::maintenance::refuse_archive_file(&db, file)?;
        super::maintenance::refuse_archive_file(&db, &part_path(file))?;
    }
    let store = Store::open_with(&db, OpenMode::Read)?;
    let mut known = match store.feed_names() {
        // A salvage does without the stored names when they cannot be read.
        Err(_) if args.salvage => Vec::new(),
        names => names?,
    };
    if let Some(c) = &config {
        known.extend(c.feeds.iter().map(|f| f.name.to_string()));
    }
    if let Some(f) = args.feeds.iter().find(|f| !known.contains(f)) {
        return Err(Error::usage(format!(
            "--feed {f}: no such feed; `warta feeds` lists them"
        )));
    }
    let filter = ExportFilter {
        since: since.map(|t| t.timestamp()),
        until: until.map(|t| t.timestamp()),
        feeds: args.feeds.clone(),
        salvage: args.salvage,
    };
    let gzip = gz_name(args.output.as_deref());
    let (sink, part) = open_output(args.output.as_deref())?;
    // Counting costs a pass over the selection: only when a bar will show it.
    let total = if super::progress::shown(ctx.quiet) {
        match store.export_count(&filter) {
            Err(_) if args.salvage => 0,
            n => n?,
        }
    } else {
        0
    };
    let bar = Progress::start(ctx.quiet, total, "articles", "");
    let result = match args.format {
        ExportFormat::Warc => warc(
            &store,
            &filter,
            sink,
            args.output.as_deref(),
            config
                .as_ref()
                .map_or_else(|| FetchConfig::default().max_body, |c| c.fetch.max_body),
            now,
            &bar,
        ),
        ExportFormat::Jsonl | ExportFormat::Csv if gzip => {
            let gz = GzEncoder::new(sink, Compression::default());
            articles(&store, &filter, gz, args.format, &bar).and_then(|(gz, counts)| {
                let mut sink = gz.finish()?;
                sink.flush()?;
                Ok(((), counts))
            })
        }
        ExportFormat::Jsonl | ExportFormat::Csv => {
            articles(&store, &filter, sink, args.format, &bar).and_then(|(mut sink, counts)| {
                sink.flush()?;
                Ok(((), counts))
            })
        }
    };
    drop(bar);
    let counts = match result {
        Ok(((), counts)) => counts,
        Err(Stop::Store(e)) => {
            discard(part.as_deref());
            return Err(e.into());
        }
        Err(Stop::Write(e)) => {
            discard(part.as_deref());
            return match &args.output {
                Some(file) => Err(Error::failure(format!(
                    "cannot write {}: {e}",
                    file.display()
                ))),
                // A closed pipe is the reader's choice (`warta export … | head`).
                None => output(Err(e)).map(|()| 0),
            };
        }
    };
    if let (Some(file), Some(part)) = (&args.output, &part) {
        std::fs::rename(part, file).map_err(|e| {
            Error::failure(format!(
                "cannot move {} to {}: {e}",
                part.display(),
                file.display()
            ))
        })?;
    }
    if !ctx.quiet {
        summary(args.format, counts);
    }
    if counts.lost.any() {
        eprintln!(
            "warta: {}could not be read from the damaged archive {} and {} left out",
            match (counts.lost.rows, counts.lost.more) {
                (n, false) => format!("{} ", counted(n, "article")),
                (0, true) => "some articles ".to_string(),
                (n, true) => format!("{} and more ", counted(n, "article")),
            },
            db.display(),
            if counts.lost.rows == 1 && !counts.lost.more {
                "was"
            } else {
                "were"
            }
        );
    }
    Ok(0)
}

fn bound(
    value: Option<&str>,
    which: Bound,
    flag: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    value
        .map(|s| when::parse_when(s, which, now).map_err(|e| Error::usage(format!("{flag}: {e}"))))
        .transpose()
}

/// Standard output, or FILE.part to be renamed to FILE when the export is complete.
fn open_output(file: Option<&Path>) -> Result<(Box<dyn Write>, Option<PathBuf>)> {
    let Some(file) = file else {
        return Ok((Box::new(BufWriter::new(io::stdout().lock())), None));
    };
    let part = part_path(file);
    let f = File::create(&part).map_err(|e| {
        Error::failure(format!(
            "cannot create {}: {e}; check that its folder exists and is writable",
            file.display()
        ))
    })?;
    Ok((Box::new(BufWriter::new(f)), Some(part)))
}

fn part_path(file: &Path) -> PathBuf {
    let mut part = file.as_os_str().to_owned();
    part.push(".part");
    PathBuf::from(part)
}

fn discard(part: Option<&Path>) {
    if let Some(p) = part {
        let _ = std::fs::remove_file(p);
    }
}

fn articles<W: Write>(
    store: &Store,
    filter: &ExportFilter,
    mut out: W,
    format: ExportFormat,
    bar: &Progress,
) -> std::result::Result<(W, ExportCounts), Stop> {
    if format == ExportFormat::Csv {
        export::csv::header(&mut out)?;
    }
    let counts = store.export_articles(filter, |a| -> std::result::Result<(), Stop> {
        match format {
            ExportFormat::Csv => export::csv::row(&mut out, &a)?,
            _ => export::jsonl(&mut out, &a)?,
        }
        bar.advance(String::new());
        Ok(())
    })?;
    Ok((out, counts))
}

/// A file named *.gz is written gzip-compressed.
fn gz_name(file: Option<&Path>) -> bool {
    file.is_some_and(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz")))
}

/// The kept pages as WARC records (a request/response pair for a kept exchange, a resource
/// record for kept HTML); a page is read back at most `max_body` long.
fn warc<W: Write>(
    store: &Store,
    filter: &ExportFilter,
    out: W,
    file: Option<&Path>,
    max_body: u64,
    now: DateTime<Utc>,
    bar: &Progress,
) -> std::result::Result<((), ExportCounts), Stop> {
    let software = format!("warta/{}", env!("CARGO_PKG_VERSION"));
    let name = file
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned());
    let mut w = WarcWriter::start(
        out,
        gz_name(file),
        now,
        name.as_deref(),
        &[
            ("software", &software),
            ("format", "WARC File Format 1.1"),
            (
                "conformsTo",
                "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            ),
            (
                "description",
                "Article pages kept by a warta news archive. A page kept as its HTTP exchange \
                 is a response record (status line, headers, body bytes as received, header \
                 names lower-case, credentials redacted) with the request record that asked \
                 for it; a page kept as HTML only is a resource record of its HTML as warta \
                 decoded it to UTF-8 when fetching it.",
            ),
        ],
    )?;
    let mut unreadable = 0u64;
    let mut last_article = None;
    let counts = store.export_pages(filter, |page| -> std::result::Result<(), Stop> {
        if last_article.replace(page.article_id) != Some(page.article_id) {
            bar.advance(String::new());
        }
        let date = DateTime::parse_from_rfc3339(&page.fetched)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| "it has no valid fetch time".to_string());
        let written = date.and_then(|date| match &page.kept {
            Kept::Html(kept) => {
                let html = crate::store::raw_html(kept, max_body)?;
                Ok(w.resource(&page.url, date, "text/html; charset=utf-8", &html))
            }
            Kept::Response(r) => {
                let body = r.body(max_body)?;
                Ok(w.exchange(&Exchange {
                    uri: &page.url,
                    date,
                    ip: r.ip.as_deref(),
                    request_head: &r.request_head,
                    response_head: &r.response_head,
                    body: &body,
                    truncated: r.truncated,
                }))
            }
        });
        match written {
            Ok(io) => io?,
            Err(why) => {
                unreadable += 1;
                tracing::warn!(
                    article = page.article_id,
                    page = page.page_no,
                    "a kept page cannot be exported ({why}); left out"
                );
            }
        }
        Ok(())
    })?;
    w.finish()?.flush()?;
    let mut counts = counts;
    counts.pages = counts.pages.saturating_sub(unreadable);
    if unreadable > 0 {
        eprintln!(
            "warta: {} could not be read and left out",
            counted(unreadable, "kept page")
        );
    }
    Ok(((), counts))
}

fn summary(format: ExportFormat, c: ExportCounts) {
    match format {
        ExportFormat::Warc => eprintln!(
            "exported {} of {}; {} without raw HTML skipped",
            counted(c.pages, "page"),
            counted(c.articles.saturating_sub(c.without_pages), "article"),
            counted(c.without_pages, "article")
        ),
        _ => eprintln!("exported {}", counted(c.articles, "article")),
    }
}
