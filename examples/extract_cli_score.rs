//! Scores article bodies as `warta extract` emits them: one process per page, as a user
//! runs it on a saved page, so flags that empty a page and start-up costs count. Reports
//! F1/precision/recall (the benchmark's 4-word shingles) and the median wall time of one
//! process, and, where the corpus ships another extractor's output
//! (`output/trafilatura-*.json.gz`), that extractor's scores on the same pages.
//!
//! Usage: `cargo run --release --example extract_cli_score -- [DIR] [--warta PATH]
//! [--split all|tune|held] [--out PRED.json]`. DIR holds `ground-truth.json` and
//! `html/<id>.html.gz` (default: `web-articles` under `WARTA_BENCH_DIR`, else
//! `../shared/bench`). `--split` keeps the pages of a fixed share of sites: `tune` (about
//! 70 % of hosts, by a hash of the host) is what extractor changes may be tuned on, `held`
//! the rest, only ever measured.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[path = "../tests/fixtures/bench_dir.rs"]
mod bench_dir;
#[path = "common/shingles.rs"]
mod shingles;

#[derive(Clone, Copy, PartialEq)]
enum Split {
    All,
    Tune,
    Held,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("extract_cli_score: {e}");
        std::process::exit(1);
    }
}

/// The split a page belongs to: by its host (so a site's pages stay together), by its id
/// when it has no URL. FNV-1a, fixed forever so the held part never changes.
fn split_of(id: &str, url: Option<&str>) -> Split {
    let key = url
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| {
            u.host_str()
                .map(|h| h.trim_start_matches("www.").to_string())
        })
        .unwrap_or_else(|| id.to_string());
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    if h % 10 < 7 { Split::Tune } else { Split::Held }
}

struct Tally {
    precisions: Vec<f64>,
    recalls: Vec<f64>,
    empty: usize,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            precisions: Vec::new(),
            recalls: Vec::new(),
            empty: 0,
        }
    }

    fn add(&mut self, truth: &str, pred: &str) {
        let (p, r) = shingles::score(truth, pred);
        if let Some(p) = p {
            self.precisions.push(p);
        }
        if let Some(r) = r {
            self.recalls.push(r);
        }
        if pred.trim().is_empty() {
            self.empty += 1;
        }
    }

    fn line(&self, name: &str, n: usize) -> String {
        let mean = |v: &[f64]| {
            if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        };
        let (p, r) = (mean(&self.precisions), mean(&self.recalls));
        let f1 = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        format!(
            "{name:<14} F1 {f1:.3} precision {p:.3} recall {r:.3} | {n} pages, {} empty",
            self.empty
        )
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut warta = PathBuf::from("target/release/warta");
    let mut split = Split::All;
    let mut out = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--warta" => warta = PathBuf::from(args.next().ok_or("--warta needs a path")?),
            "--out" => out = Some(args.next().ok_or("--out needs a path")?),
            "--split" => {
                split = match args.next().as_deref() {
                    Some("all") => Split::All,
                    Some("tune") => Split::Tune,
                    Some("held") => Split::Held,
                    _ => return Err("--split takes all, tune or held".into()),
                }
            }
            _ if dir.is_none() => dir = Some(PathBuf::from(a)),
            _ => return Err(format!("unexpected argument {a:?}")),
        }
    }
    let dir = match dir {
        Some(d) => d,
        None => bench_dir::folder("web-articles", "extract_cli_score")
            .ok_or("usage: extract_cli_score [DIR] [--warta PATH] [--split all|tune|held]")?,
    };
    let truth: serde_json::Map<String, serde_json::Value> =
        read_json(&dir.join("ground-truth.json"))?;
    let other = other_output(&dir)?;

    let mut ids: Vec<&String> = truth.keys().collect();
    ids.sort();
    let mut ours = Tally::new();
    let mut theirs = other.as_ref().map(|(name, _)| (name.clone(), Tally::new()));
    let mut times = Vec::new();
    let mut preds = serde_json::Map::new();
    let mut failed = 0;
    for id in ids {
        let url = truth[id]["url"].as_str();
        if split != Split::All && split_of(id, url) != split {
            continue;
        }
        let expected = truth[id]["articleBody"].as_str().unwrap_or("");
        let page = dir.join("html").join(format!("{id}.html.gz"));
        let mut cmd = Command::new(&warta);
        cmd.arg("extract").arg(&page).args(["--format", "json"]);
        if let Some(u) = url {
            cmd.args(["--url", u]);
        }
        let start = Instant::now();
        let run = cmd
            .output()
            .map_err(|e| format!("{}: {e}", warta.display()))?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        let body = if run.status.success() {
            serde_json::from_slice::<serde_json::Value>(&run.stdout)
                .ok()
                .and_then(|v| v["body"].as_str().map(str::to_string))
                .unwrap_or_default()
        } else {
            failed += 1;
            String::new()
        };
        ours.add(expected, &body);
        if let (Some((_, preds)), Some((_, tally))) = (&other, &mut theirs) {
            let text = match &preds.get(id.as_str()) {
                Some(serde_json::Value::String(s)) => s.as_str(),
                Some(v) => v["articleBody"].as_str().unwrap_or(""),
                None => "",
            };
            tally.add(expected, text);
        }
        preds.insert(id.clone(), serde_json::json!({ "articleBody": body }));
    }
    let n = preds.len();
    times.sort_by(f64::total_cmp);
    let median = times.get(times.len() / 2).copied().unwrap_or(0.0);
    // A closed pipe (`| head -1`) is not an error worth a panic.
    let mut stdout = std::io::stdout();
    let _ = writeln!(
        stdout,
        "{} (warta extract, one process a page; {failed} exited non-zero; median {median:.1} ms a process)",
        ours.line("warta", n)
    );
    if let Some((name, tally)) = &theirs {
        let _ = writeln!(stdout, "{}", tally.line(name, n));
    }
    if let Some(out) = out {
        let json = serde_json::to_string_pretty(&serde_json::Value::Object(preds))
            .map_err(|e| e.to_string())?;
        std::fs::write(&out, json).map_err(|e| format!("{out}: {e}"))?;
    }
    Ok(())
}

fn read_json(path: &Path) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let mut text = String::new();
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::GzDecoder::new(file).read_to_string(&mut text)
    } else {
        std::io::BufReader::new(file).read_to_string(&mut text)
    }
    .map_err(|e| format!("{}: {e}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    // Either id -> prediction, or that wrapped as {"output": {...}}.
    let value = match value {
        serde_json::Value::Object(mut m) if m.contains_key("output") => {
            m.remove("output").unwrap_or_default()
        }
        v => v,
    };
    match value {
        serde_json::Value::Object(m) => Ok(m),
        _ => Err(format!("{}: not a JSON object", path.display())),
    }
}

/// An extractor's name and its predictions by page id.
type Output = (String, HashMap<String, serde_json::Value>);

/// Another extractor's predictions shipped with the corpus.
fn other_output(dir: &Path) -> Result<Option<Output>, String> {
    let Ok(entries) = std::fs::read_dir(dir.join("output")) else {
        return Ok(None);
    };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    let Some(path) = files.into_iter().find(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".json.gz") || n.ends_with(".json"))
    }) else {
        return Ok(None);
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| {
            n.trim_end_matches(".gz")
                .trim_end_matches(".json")
                .to_string()
        })
        .unwrap_or_default();
    Ok(Some((name, read_json(&path)?.into_iter().collect())))
}
