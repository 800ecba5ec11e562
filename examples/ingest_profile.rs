//! Where `warta fetch` spends its time per article (issue 12, point 2): every stage the
//! ingest runs on a fetched page, timed one by one over the benchmark's real pages
//! (article-extraction and web-articles), then the store's write of the same articles.
//!
//! Stages, in the order the ingest runs them: decode (charset → `String`), extract (parse,
//! DOM, metadata, body, verdict, pagination, language: `extract::extract`), raw (the page's
//! HTML zstd-compressed for `keep_raw_html`), fingerprint, minhash, stems, and the write
//! (`Store::apply_batch`, a batch of items per transaction: story decision, article row,
//! FTS5, vocabulary, bands, pages, commit). The CPU stages run `--passes` times and the
//! fastest pass counts (the machine is shared); the write runs once into a fresh archive.
//! The split inside extract and write comes from a profiler run over this harness
//! (`perf record -g`; see BENCHMARKS.md).
//!
//! Usage: `cargo run --release --example ingest_profile -- [--passes 3] [--batch 16]
//! [--dir DIR] [--skip-write] [--zstd-level N]`. The archive is DIR/ingest-profile.db, deleted first.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use warta::config::Config;
use warta::store::{Content, ItemWrite, Source, Store, Work};

#[path = "../tests/fixtures/bench_dir.rs"]
mod bench_dir;
#[path = "common/bench_pages.rs"]
mod bench_pages;

const STAGES: [&str; 6] = [
    "decode",
    "extract",
    "raw (zstd)",
    "fingerprint",
    "minhash",
    "stems",
];

struct Page {
    url: Option<url::Url>,
    bytes: Vec<u8>,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("ingest_profile: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut passes, mut batch, mut dir, mut write) = (3usize, 16usize, std::env::temp_dir(), true);
    let mut level = warta::store::RAW_ZSTD_LEVEL;
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--passes" => passes = value(&a)?.parse().map_err(|e| format!("{a}: {e}"))?,
            "--batch" => batch = value(&a)?.parse().map_err(|e| format!("{a}: {e}"))?,
            "--dir" => dir = PathBuf::from(value(&a)?),
            "--skip-write" => write = false,
            "--zstd-level" => level = value(&a)?.parse().map_err(|e| format!("{a}: {e}"))?,
            _ => return Err(format!("unexpected argument {a:?}")),
        }
    }
    let mut pages = Vec::new();
    for sub in ["article-extraction", "web-articles"] {
        if let Some(d) = bench_dir::folder(sub, "ingest_profile") {
            bench_pages::each_page(&d, |_, url, bytes| {
                pages.push(Page { url, bytes });
                Ok(())
            })?;
        }
    }
    if pages.is_empty() {
        return Ok(());
    }
    let bytes: usize = pages.iter().map(|p| p.bytes.len()).sum();
    println!(
        "{} pages, {:.1} MB of HTML, {passes} passes",
        pages.len(),
        bytes as f64 / 1e6
    );
    let now = Utc
        .with_ymd_and_hms(2020, 1, 1, 0, 0, 0)
        .single()
        .ok_or("bad fixed clock")?;
    let mut best = [Duration::MAX; STAGES.len()];
    let mut contents = Vec::new();
    for _ in 0..passes.max(1) {
        let mut spent = [Duration::ZERO; STAGES.len()];
        contents.clear();
        for p in &pages {
            contents.extend(one_page(p, now, level, &mut spent));
        }
        for (b, s) in best.iter_mut().zip(spent) {
            *b = (*b).min(s);
        }
    }
    let n = pages.len() as f64;
    let raw: usize = contents
        .iter()
        .flat_map(|c| &c.raw_pages)
        .map(|p| match &p.kept {
            warta::store::Kept::Html(z) => z.len(),
            warta::store::Kept::Response(r) => r.body_zstd.len(),
        })
        .sum();
    println!(
        "raw HTML kept at zstd level {level}: {:.1} MB ({:.1}% of the HTML)",
        raw as f64 / 1e6,
        100.0 * raw as f64 / bytes as f64
    );
    let total: Duration = best.iter().sum();
    println!("{:<14} {:>10} {:>7}", "stage", "µs/page", "share");
    for (name, d) in STAGES.iter().zip(best) {
        println!(
            "{name:<14} {:>10.0} {:>6.1}%",
            d.as_secs_f64() * 1e6 / n,
            100.0 * d.as_secs_f64() / total.as_secs_f64()
        );
    }
    println!(
        "{:<14} {:>10.0}         ({:.0} pages/s on one core)",
        "CPU stages",
        total.as_secs_f64() * 1e6 / n,
        n / total.as_secs_f64()
    );
    if write {
        write_all(&dir.join("ingest-profile.db"), contents, batch, now)?;
    }
    Ok(())
}

/// Runs the ingest's per-page stages on one page, adding each stage's time to `spent`.
fn one_page(
    p: &Page,
    now: chrono::DateTime<Utc>,
    level: i32,
    spent: &mut [Duration],
) -> Option<Content> {
    let mut clock = Instant::now();
    let mut lap = |i: usize| {
        spent[i] += clock.elapsed();
        clock = Instant::now();
    };
    let html = warta::fetch::decode_html(&p.bytes, None);
    lap(0);
    let found = warta::extract::extract(&html, p.url.as_ref(), None, now);
    lap(1);
    let raw = warta::store::compress_raw_at(html.as_bytes(), level).ok()?;
    lap(2);
    let fingerprint = warta::dedup::fingerprint(&found.body_text);
    lap(3);
    let signature = warta::dedup::minhash::signature(&found.body_text);
    lap(4);
    let title = found.title.unwrap_or_default();
    let stems = warta::stem::article_stems(found.language.as_deref(), &title, &found.body_text);
    lap(5);
    let url = p.url.as_ref().map_or_else(String::new, ToString::to_string);
    (!found.body_text.trim().is_empty()).then(|| Content {
        raw_pages: vec![warta::store::RawPage {
            url: url.clone(),
            kept: warta::store::Kept::Html(raw),
        }],
        page_state: None,
        url,
        title,
        author: found.author,
        published: found.published,
        language: found.language,
        fingerprint,
        signature,
        body: found.body_text,
        body_html: Some(found.body_html),
        source: Source::Page,
        note: None,
        page_pending: false,
        extractor_version: Some(warta::extract::EXTRACTOR_VERSION),
        stems,
        words: None,
        partial: None,
    })
}

/// Writes the articles into a fresh archive, `batch` per transaction, as the ingest does.
fn write_all(
    db: &Path,
    contents: Vec<Content>,
    batch: usize,
    now: chrono::DateTime<Utc>,
) -> Result<(), String> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let toml = "[[feed]]\nname = \"bench\"\nurl = \"https://bench.example/feed\"\n";
    let config = Config::parse(toml, &db.with_file_name("feeds.toml")).map_err(|e| e.0)?;
    let mut store = Store::open(db).map_err(|e| e.to_string())?;
    let feed = *store
        .sync_feeds(&config.feeds)
        .map_err(|e| e.to_string())?
        .first()
        .ok_or("no feed id")?;
    let n = contents.len();
    let items: Vec<ItemWrite> = contents
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let link = format!("https://bench.example/a/{i}");
            ItemWrite {
                guid: link.clone(),
                keys: vec![link.clone()],
                link,
                published: c.published,
                revision: None,
                content: Some(c),
            }
        })
        .collect();
    let works: Vec<Work> = items
        .chunks(batch.max(1))
        .map(|chunk| Work {
            items: chunk.to_vec(),
            ..Work::default()
        })
        .collect();
    let started = Instant::now();
    for work in &works {
        store
            .apply_batch(feed, now, work)
            .map_err(|e| e.to_string())?;
    }
    let spent = started.elapsed();
    println!(
        "{:<14} {:>10.0}         ({n} articles, {} per transaction, {:.0} articles/s)",
        "write",
        spent.as_secs_f64() * 1e6 / n as f64,
        batch,
        n as f64 / spent.as_secs_f64()
    );
    Ok(())
}
