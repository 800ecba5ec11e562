//! Measures what finding an article's story costs as the archive grows, through the store's
//! real write path (`Store::apply_poll`): the `story_bands` LSH lookup, loading and
//! comparing the candidates, and recording the new article's bands.
//!
//! For each size N, an archive is filled with N articles: the distinct first texts of the
//! evaluation set's pairs (tests/fixtures/stories, real and regional bodies) and synthetic
//! articles with random signatures up to N, written through `apply_poll` in polls of 1,000
//! items. Then each probe (the second text of every pair: copies and hard negatives) is
//! written as a poll of one item, timed, alternately with its signature (story lookup +
//! bands) and without (no story work); the difference of the two is the index's cost per
//! article. Bytes per article the index adds: the `story_bands` table's pages (`dbstat`)
//! plus the `minhash` and `shingles` columns, divided by the articles archived.
//!
//! Usage: `cargo run --release --example story_scale -- [--sizes 1000,1000000]
//! [--dir DIR]`. DIR (default: the system's temporary folder) holds the archives; a
//! tmpfs keeps the per-poll fsync out of the numbers.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use warta::config::Config;
use warta::dedup::minhash::{self, HASHES, Signature};
use warta::store::{Content, ItemWrite, PollWrite, Source, Store, Timing, Work};

// Only the pairs' texts are used here; the labels are story_eval's.
#[allow(dead_code)]
#[path = "../tests/fixtures/stories/eval.rs"]
mod eval;

fn main() {
    if let Err(e) = run() {
        eprintln!("story_scale: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut sizes = vec![1_000usize, 1_000_000];
    let mut dir = std::env::temp_dir();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--sizes" => {
                sizes = args
                    .next()
                    .ok_or("--sizes needs a list")?
                    .split(',')
                    .map(|s| s.trim().parse().map_err(|e| format!("--sizes {s:?}: {e}")))
                    .collect::<Result<_, _>>()?
            }
            "--dir" => dir = PathBuf::from(args.next().ok_or("--dir needs a folder")?),
            _ => return Err(format!("unexpected argument {a:?}")),
        }
    }
    let set = eval::build(Path::new(env!("CARGO_MANIFEST_DIR")))?;
    let mut archived: Vec<&str> = set.pairs.iter().map(|p| p.a.as_str()).collect();
    archived.sort_unstable();
    archived.dedup();
    // Probes whose text is itself archived would only find themselves.
    let probes: Vec<&str> = set
        .pairs
        .iter()
        .map(|p| p.b.as_str())
        .filter(|b| archived.binary_search(b).is_err())
        .collect();
    println!(
        "{} real articles archived first, {} probes (copies and hard negatives, each written with and without its signature)",
        archived.len(),
        probes.len()
    );
    println!(
        "\n{:>9} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "articles", "fill s", "with µs", "p95", "without", "p95", "index µs", "bytes/art"
    );
    for n in sizes {
        let r = measure(&dir, n, &archived, &probes)?;
        println!(
            "{:>9} {:>8.0} {:>10.0} {:>10.0} {:>10.0} {:>10.0} {:>10.0} {:>10.0}",
            n,
            r.fill.as_secs_f64(),
            r.with.0,
            r.with.1,
            r.without.0,
            r.without.1,
            r.with.0 - r.without.0,
            r.index_bytes
        );
        println!(
            "{:>9} story_bands {:.0} B, minhash + shingles {:.0} B per article; {} of the probes joined a story",
            "", r.bands_bytes, r.column_bytes, r.joined
        );
    }
    Ok(())
}

struct Run {
    fill: Duration,
    /// Median and 95th percentile, µs per article.
    with: (f64, f64),
    without: (f64, f64),
    bands_bytes: f64,
    column_bytes: f64,
    index_bytes: f64,
    joined: usize,
}

fn now() -> Result<DateTime<Utc>, String> {
    Utc.with_ymd_and_hms(2024, 11, 20, 3, 0, 0)
        .single()
        .ok_or_else(|| "bad fixed clock".to_string())
}

fn content(n: usize, body: &str, signature: Option<Signature>) -> Content {
    Content {
        url: format!("https://bench.example/{n}"),
        title: format!("Artikel {n}"),
        author: None,
        published: None,
        language: Some("id".into()),
        body: body.to_string(),
        body_html: None,
        // Unique, so that no article is taken for an earlier one by its body's fingerprint
        // and every item goes through the story lookup.
        fingerprint: format!("bench-{n}"),
        signature,
        source: Source::Page,
        note: None,
        page_pending: false,
        raw_pages: Vec::new(),
        page_state: None,
        extractor_version: Some(1),
        stems: warta::stem::index_stems_id(body),
        words: None,
        partial: None,
    }
}

fn item(n: usize, c: Content) -> ItemWrite {
    ItemWrite {
        guid: format!("bench-{n}"),
        link: c.url.clone(),
        keys: vec![format!("bench.example/{n}")],
        published: None,
        revision: None,
        content: Some(c),
    }
}

fn poll(feed_id: i64, items: Vec<ItemWrite>) -> Result<PollWrite, String> {
    Ok(PollWrite {
        feed_id,
        now: now()?,
        validators: None,
        work: Work {
            items,
            ..Work::default()
        },
        timing: Timing {
            not_before: now()?,
            next_poll: now()?,
        },
        redirect: None,
        source_files: Vec::new(),
    })
}

/// A synthetic article's signature: random minimums, so it shares no band with anything.
fn random_signature(state: &mut u64) -> Signature {
    let mut next = || {
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut mins: Vec<u64> = (0..HASHES).map(|_| next()).collect();
    if let Some(numbers) = mins.get_mut(minhash::TEXT_HASHES..) {
        numbers.sort_unstable();
    }
    Signature {
        mins,
        shingles: 200 + (next() % 400) as usize,
    }
}

fn measure(dir: &Path, n: usize, archived: &[&str], probes: &[&str]) -> Result<Run, String> {
    let path = dir.join(format!("story_scale_{n}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", path.display()));
        if p.exists() {
            std::fs::remove_file(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        }
    }
    let mut store = Store::open(&path).map_err(|e| e.to_string())?;
    let config = Config::parse(
        "[[feed]]\nname = \"bench\"\nurl = \"https://bench.example/rss\"\n",
        Path::new("feeds.toml"),
    )
    .map_err(|e| e.to_string())?;
    let feed = *store
        .sync_feeds(&config.feeds)
        .map_err(|e| e.to_string())?
        .first()
        .ok_or("no feed")?;

    let started = Instant::now();
    let mut state = 0x5ca1_e000_u64 ^ n as u64;
    let mut batch = Vec::new();
    for i in 0..n {
        let c = match archived.get(i) {
            Some(body) => content(i, body, minhash::signature(body)),
            None => content(
                i,
                &format!("Artikel sintetis nomor {i} untuk mengukur indeks cerita."),
                Some(random_signature(&mut state)),
            ),
        };
        batch.push(item(i, c));
        if batch.len() == 1000 || i + 1 == n {
            store
                .apply_poll(&poll(feed, std::mem::take(&mut batch))?)
                .map_err(|e| e.to_string())?;
        }
        if i > 0 && i.is_multiple_of(100_000) {
            eprintln!("  {i} articles, {:.0} s", started.elapsed().as_secs_f64());
        }
    }
    let fill = started.elapsed();

    let (bands_bytes, column_bytes) = index_bytes(&path, n)?;

    let (mut with, mut without) = (Vec::new(), Vec::new());
    let mut probed = Vec::new();
    for (k, body) in probes.iter().enumerate() {
        for with_signature in [k.is_multiple_of(2), !k.is_multiple_of(2)] {
            let id = n + 2 * k + usize::from(with_signature);
            let sig = if with_signature {
                minhash::signature(body)
            } else {
                None
            };
            let had_signature = sig.is_some();
            let p = poll(feed, vec![item(id, content(id, body, sig))])?;
            let t = Instant::now();
            store.apply_poll(&p).map_err(|e| e.to_string())?;
            let us = t.elapsed().as_secs_f64() * 1e6;
            if with_signature {
                with.push(us);
            } else {
                without.push(us);
            }
            if with_signature && had_signature {
                probed.push(id);
            }
        }
    }
    drop(store);
    let joined = joined_a_story(&path, &probed)?;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(Run {
        fill,
        with: spread(&mut with),
        without: spread(&mut without),
        bands_bytes,
        column_bytes,
        index_bytes: bands_bytes + column_bytes,
        joined,
    })
}

fn spread(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| {
        v.get(((v.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    (at(0.5), at(0.95))
}

/// Bytes per article of `story_bands` (its B-tree pages) and of the signature columns.
fn index_bytes(path: &Path, n: usize) -> Result<(f64, f64), String> {
    let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
    let bands: i64 = conn
        .query_row(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = 'story_bands'",
            [],
            |r| r.get(0),
        )
        .map_err(|e| e.to_string())?;
    // A non-negative integer below 2^15 takes 2 bytes of record; what `shingles` holds.
    let columns: i64 = conn
        .query_row(
            "SELECT coalesce(sum(length(minhash)), 0) + 2 * count(shingles) FROM articles",
            [],
            |r| r.get(0),
        )
        .map_err(|e| e.to_string())?;
    let n = n.max(1) as f64;
    Ok((bands as f64 / n, columns as f64 / n))
}

fn joined_a_story(path: &Path, ids: &[usize]) -> Result<usize, String> {
    let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
    let mut stmt = conn
        .prepare(
            "SELECT count(*) > 1 FROM articles WHERE story_id =
                 (SELECT story_id FROM articles WHERE guid = ?1)",
        )
        .map_err(|e| e.to_string())?;
    let mut joined = 0;
    for id in ids {
        let j: bool = stmt
            .query_row([format!("bench-{id}")], |r| r.get(0))
            .map_err(|e| e.to_string())?;
        joined += usize::from(j);
    }
    Ok(joined)
}
