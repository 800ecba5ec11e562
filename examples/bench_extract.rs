//! Measures the article extractor on the article-extraction benchmark: quality (F1 of
//! 4-word shingles, as the benchmark's score.py computes it), speed (one thread,
//! extraction only, pages already decompressed in memory) and the process's peak memory
//! (Linux `VmHWM`; "unknown" elsewhere).
//!
//! Usage: `cargo run --release --example bench_extract -- [DIR] [--out PRED.json] [--meta]`,
//! where DIR holds `ground-truth.json` and `html/<id>.html.gz` (default: `article-extraction`
//! under `WARTA_BENCH_DIR`, else under `../shared/bench`). `--meta` also prints each
//! page's metadata, to check by eye (the benchmark's truth has none); timings then include
//! the printing.

use std::collections::HashMap;
use std::io::Read;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};

#[path = "../tests/fixtures/bench_dir.rs"]
mod bench_dir;
#[path = "common/shingles.rs"]
mod shingles;
use shingles::score;

fn main() {
    if let Err(e) = run() {
        eprintln!("bench_extract: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut out = None;
    let mut show_meta = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = Some(args.next().ok_or("--out needs a path")?),
            "--meta" => show_meta = true,
            _ if dir.is_none() => dir = Some(a),
            _ => return Err(format!("unexpected argument {a:?}")),
        }
    }
    let dir = match dir {
        Some(d) => d,
        None => bench_dir::folder("article-extraction", "bench_extract")
            .ok_or("usage: bench_extract [DIR] [--out PRED.json] [--meta]")?
            .display()
            .to_string(),
    };
    let truth_text = std::fs::read_to_string(format!("{dir}/ground-truth.json"))
        .map_err(|e| format!("{dir}/ground-truth.json: {e}"))?;
    let truth: HashMap<String, serde_json::Value> =
        serde_json::from_str(&truth_text).map_err(|e| format!("ground-truth.json: {e}"))?;
    let mut ids: Vec<&String> = truth.keys().collect();
    ids.sort();

    let mut pages = Vec::new();
    for id in &ids {
        let path = format!("{dir}/html/{id}.html.gz");
        let file = std::fs::File::open(&path).map_err(|e| format!("{path}: {e}"))?;
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(file)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{path}: {e}"))?;
        pages.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    // A fixed fetch time: the benchmark pages are from 2019-2020.
    let now = Utc
        .with_ymd_and_hms(2020, 1, 1, 0, 0, 0)
        .single()
        .ok_or("bad fixed clock")?;

    let mut elapsed = Duration::ZERO;
    let mut preds = serde_json::Map::new();
    let (mut precisions, mut recalls) = (Vec::new(), Vec::new());
    let bytes: usize = pages.iter().map(String::len).sum();
    for (id, html) in ids.iter().zip(&pages) {
        let url = truth[*id]["url"]
            .as_str()
            .and_then(|u| url::Url::parse(u).ok());
        let start = Instant::now();
        let got = warta::extract::extract(html, url.as_ref(), None, now);
        elapsed += start.elapsed();
        if show_meta {
            // One line per page to check metadata by eye: the benchmark has no truth for it.
            println!(
                "{}\t{}\n  title {:?}\n  author {:?} | published {:?} | language {:?}\n  canonical {:?}",
                id.get(..8).unwrap_or(id),
                truth[*id]["url"].as_str().unwrap_or(""),
                got.title,
                got.author,
                got.published.map(|d| d.to_rfc3339()),
                got.language,
                got.canonical_url,
            );
        }
        let expected = truth[*id]["articleBody"].as_str().unwrap_or("");
        let (p, r) = score(expected, &got.body_text);
        if let Some(p) = p {
            precisions.push(p);
        }
        if let Some(r) = r {
            recalls.push(r);
        }
        preds.insert(
            (*id).clone(),
            serde_json::json!({ "articleBody": got.body_text }),
        );
    }
    let mean = |v: &[f64]| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let (p, r) = (mean(&precisions), mean(&recalls));
    let f1 = if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    };
    let secs = elapsed.as_secs_f64().max(1e-9);
    let peak = match peak_rss_kib() {
        Some(kib) => format!("{:.1} MiB", kib as f64 / 1024.0),
        None => "unknown".to_string(),
    };
    println!(
        "F1 {f1:.3} precision {p:.3} recall {r:.3} | {} pages in {secs:.2} s: {:.0} pages/s, {:.1} MB/s, peak RSS {peak}",
        pages.len(),
        pages.len() as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
    if let Some(out) = out {
        let json = serde_json::to_string_pretty(&serde_json::Value::Object(preds))
            .map_err(|e| e.to_string())?;
        std::fs::write(&out, json).map_err(|e| format!("{out}: {e}"))?;
    }
    Ok(())
}

/// The process's peak resident set size in KiB (`VmHWM` in /proc/self/status), which
/// includes the decompressed pages held in memory; None where procfs is not there.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
