//! Measures that `warta export` streams (issue 7, point 2): peak memory of an export of N
//! articles should not grow with N.
//!
//! Builds an archive of N synthetic articles through the store's real write path
//! (`Store::apply_poll`), each with a ~3 KB body, a kept raw page (~12 KB of HTML, zstd
//! as ingest stores it) and, for one article in ten, a second place in another feed. Then,
//! in a fresh process so the build's memory does not count, exports it exactly as
//! `warta export` does (`Store::export_articles` and `export::jsonl`, or
//! `Store::export_pages` and the WARC writer) into a buffered sink, and prints the peak
//! resident set (`VmHWM` of /proc/self/status, Linux) before and after the export.
//!
//! Usage: `cargo run --release --example export_scale -- [--articles 20000] [--dir DIR]
//! [--format jsonl|warc]`. The archive is DIR/export-scale-N.db (default DIR: the system's
//! temporary folder); an existing one is reused.

#[path = "common/peak.rs"]
mod peak;

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use warta::config::Config;
use warta::export::{jsonl, warc::WarcWriter};
use warta::store::{Content, ExportFilter, ItemWrite, PollWrite, Source, Store, Timing, Work};

const FEEDS: usize = 20;
const PER_POLL: usize = 500;

const WORDS: &[&str] = &[
    "banjir",
    "samarinda",
    "warga",
    "jalan",
    "jembatan",
    "bupati",
    "dana",
    "desa",
    "pasar",
    "harga",
    "sungai",
    "mahakam",
    "sekolah",
    "guru",
    "kapal",
    "pelabuhan",
    "tambang",
    "kebun",
    "sawit",
    "listrik",
    "air",
    "hujan",
    "petani",
    "nelayan",
    "dinas",
    "kecamatan",
    "provinsi",
    "anggaran",
    "proyek",
    "bandara",
    "festival",
    "pemuda",
    "rumah",
    "sakit",
    "dokter",
    "polisi",
];

fn main() {
    if let Err(e) = run() {
        eprintln!("export_scale: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut n, mut dir, mut format, mut export_only) =
        (20_000usize, std::env::temp_dir(), "jsonl".to_string(), None);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--articles" => {
                n = value("--articles")?
                    .parse()
                    .map_err(|e| format!("--articles: {e}"))?
            }
            "--dir" => dir = PathBuf::from(value("--dir")?),
            "--format" => format = value("--format")?,
            "--export-only" => export_only = Some(PathBuf::from(value("--export-only")?)),
            _ => return Err(format!("unexpected argument {a:?}")),
        }
    }
    if let Some(db) = export_only {
        return export(&db, &format);
    }
    let db = dir.join(format!("export-scale-{n}.db"));
    if db.exists() {
        println!("{} exists: reusing it", db.display());
    } else {
        build(&db, n)?;
    }
    // A fresh process, so that the peak it reports is the export's alone.
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let status = Command::new(exe)
        .arg("--export-only")
        .arg(&db)
        .args(["--format", &format])
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("the export process failed: {status}"));
    }
    Ok(())
}

fn build(db: &Path, n: usize) -> Result<(), String> {
    let mut feeds_toml = String::new();
    for f in 0..FEEDS {
        feeds_toml.push_str(&format!(
            "[[feed]]\nname = \"feed-{f}\"\nurl = \"https://f{f}.example/rss\"\n"
        ));
    }
    let config = Config::parse(&feeds_toml, Path::new("feeds.toml")).map_err(|e| e.0)?;
    let mut store = Store::open(db).map_err(|e| e.to_string())?;
    let ids = store.sync_feeds(&config.feeds).map_err(|e| e.to_string())?;
    let start = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .ok_or("start date")?;
    let began = Instant::now();
    let mut i = 0;
    while i < n {
        let end = (i + PER_POLL).min(n);
        let feed = (i / PER_POLL) % FEEDS;
        let items: Vec<ItemWrite> = (i..end).map(|k| article(k, start)).collect();
        // One article in ten is seen again in the next feed: a second place.
        let copies: Vec<ItemWrite> = (i..end)
            .step_by(10)
            .map(|k| {
                let link = link(k);
                ItemWrite {
                    guid: format!("copy-{k}"),
                    keys: keys(&link),
                    link,
                    published: None,
                    revision: None,
                    content: None,
                }
            })
            .collect();
        store
            .apply_poll(&poll(ids[feed], items, start))
            .map_err(|e| e.to_string())?;
        store
            .apply_poll(&poll(ids[(feed + 1) % FEEDS], copies, start))
            .map_err(|e| e.to_string())?;
        i = end;
    }
    println!(
        "built {n} articles in {:.0} s; archive {:.0} MB",
        began.elapsed().as_secs_f64(),
        std::fs::metadata(db).map_or(0, |m| m.len()) as f64 / 1e6
    );
    Ok(())
}

fn link(k: usize) -> String {
    format!("https://f.example/berita/{k}")
}

fn keys(link: &str) -> Vec<String> {
    url::Url::parse(link)
        .map(|u| vec![warta::dedup::url_key(&u)])
        .unwrap_or_default()
}

/// Article `k`: a body of ~450 words drawn from `WORDS` by a generator seeded with `k`.
fn article(k: usize, start: DateTime<Utc>) -> ItemWrite {
    let mut state = (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut body = format!("Nomor {k}.");
    for w in 0..450 {
        body.push(if w % 60 == 59 { '\n' } else { ' ' });
        body.push_str(WORDS[(next() % WORDS.len() as u64) as usize]);
    }
    let html = format!(
        "<html><head><title>Berita {k}</title></head><body>{}<article><p>{}</p></article></body></html>",
        "<nav>menu</nav>".repeat(400),
        body.replace('\n', "</p><p>")
    );
    let link = link(k);
    let published = (start + Duration::minutes(k as i64)).fixed_offset();
    ItemWrite {
        guid: format!("g-{k}"),
        keys: keys(&link),
        link: link.clone(),
        published: Some(published),
        revision: None,
        content: Some(Content {
            url: link.clone(),
            title: format!("Berita nomor {k}"),
            author: Some("Redaksi".into()),
            published: Some(published),
            language: Some("id".into()),
            fingerprint: warta::dedup::fingerprint(&body),
            signature: None,
            body,
            body_html: None,
            source: Source::Page,
            note: None,
            page_pending: false,
            raw_pages: vec![warta::store::RawPage {
                url: link,
                kept: warta::store::Kept::Html(
                    zstd::encode_all(html.as_bytes(), 9).unwrap_or_default(),
                ),
            }],
            extractor_version: Some(1),
            stems: String::new(),
            words: None,
            partial: None,
            page_state: None,
        }),
    }
}

fn poll(feed_id: i64, items: Vec<ItemWrite>, now: DateTime<Utc>) -> PollWrite {
    PollWrite {
        feed_id,
        now,
        validators: None,
        work: Work {
            items,
            ..Work::default()
        },
        timing: Timing {
            not_before: now,
            next_poll: now,
        },
        redirect: None,
        source_files: Vec::new(),
    }
}

fn export(db: &Path, format: &str) -> Result<(), String> {
    let store = Store::open(db).map_err(|e| e.to_string())?;
    let before = peak::peak_kib()?;
    let began = Instant::now();
    let mut out = BufWriter::new(Counting(0));
    let fail = |e: io::Error| warta::error::Error::failure(e.to_string());
    let counts = match format {
        "jsonl" => store
            .export_articles(&ExportFilter::default(), |a| {
                jsonl(&mut out, &a).map_err(fail)
            })
            .map_err(|e| e.to_string())?,
        "warc" => {
            let mut w = WarcWriter::start(&mut out, false, Utc::now(), None, &[])
                .map_err(|e| e.to_string())?;
            store
                .export_pages(&ExportFilter::default(), |p| {
                    let html = p
                        .kept
                        .html(64 << 20)
                        .map_err(warta::error::Error::failure)?;
                    w.resource(
                        &p.url,
                        Utc::now(),
                        "text/html; charset=utf-8",
                        html.as_bytes(),
                    )
                    .map_err(fail)
                })
                .map_err(|e| e.to_string())?
        }
        other => return Err(format!("--format {other}: jsonl or warc")),
    };
    out.flush().map_err(|e| e.to_string())?;
    let bytes = out.get_ref().0;
    println!(
        "{format}: {} articles, {} pages, {:.0} MB out in {:.1} s; peak RSS {} KiB after opening, {} KiB after the export",
        counts.articles,
        counts.pages,
        bytes as f64 / 1e6,
        began.elapsed().as_secs_f64(),
        before,
        peak::peak_kib()?
    );
    Ok(())
}

/// A sink that only counts, so the output costs no memory and no disk.
struct Counting(u64);

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
