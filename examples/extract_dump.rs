//! Prints everything the extractor returns for every page of the benchmark corpora, one JSON
//! line a page, so that a change meant to keep the output can be checked byte for byte
//! against a dump taken before it (`cmp` or `diff` the two files).
//!
//! Usage: `cargo run --release --example extract_dump > OUT.ndjson`, with the corpora under
//! `WARTA_BENCH_DIR` (else `../shared/bench`). Each page is extracted twice: generically, and
//! under a site rule (`article` as the body, `aside, figure` cut) so the rules path is covered.

use std::io::{Read, Write};

use chrono::{TimeZone, Utc};

#[path = "../tests/fixtures/bench_dir.rs"]
mod bench_dir;

fn main() {
    if let Err(e) = run() {
        eprintln!("extract_dump: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let now = Utc
        .with_ymd_and_hms(2020, 1, 1, 0, 0, 0)
        .single()
        .ok_or("bad fixed clock")?;
    let rules = warta::extract::SiteRules::new("article", &["aside, figure".to_string()])?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for corpus in ["article-extraction", "web-articles"] {
        let Some(dir) = bench_dir::folder(corpus, "extract_dump") else {
            continue;
        };
        let truth_path = dir.join("ground-truth.json");
        let truth_text = std::fs::read_to_string(&truth_path)
            .map_err(|e| format!("{}: {e}", truth_path.display()))?;
        let truth: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&truth_text)
                .map_err(|e| format!("{}: {e}", truth_path.display()))?;
        let mut ids: Vec<&String> = truth.keys().collect();
        ids.sort();
        for id in ids {
            let path = dir.join("html").join(format!("{id}.html.gz"));
            let file =
                std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let mut bytes = Vec::new();
            flate2::read::GzDecoder::new(file)
                .read_to_end(&mut bytes)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let url = truth[id]["url"]
                .as_str()
                .and_then(|u| url::Url::parse(u).ok());
            let html = warta::fetch::decode_html(&bytes, None);
            let generic = warta::extract::extract(&html, url.as_ref(), None, now);
            let ruled = warta::extract::extract(&html, url.as_ref(), Some(&rules), now);
            let line = serde_json::json!({ "id": id, "generic": generic, "rules": ruled });
            writeln!(out, "{line}").map_err(|e| e.to_string())?;
        }
    }
    out.flush().map_err(|e| e.to_string())
}
