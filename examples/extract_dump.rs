//! Prints everything the extractor returns for every page of the benchmark corpora, one JSON
//! line a page, so that a change meant to keep the output can be checked byte for byte
//! against a dump taken before it (`cmp` or `diff` the two files).
//!
//! Usage: `cargo run --release --example extract_dump > OUT.ndjson`, with the corpora under
//! `WARTA_BENCH_DIR` (else `../shared/bench`). Each page is extracted twice: generically, and
//! under a site rule (`article` as the body, `aside, figure` cut) so the rules path is covered.

use std::io::Write;

use chrono::{TimeZone, Utc};

#[path = "../tests/fixtures/bench_dir.rs"]
mod bench_dir;
#[path = "common/bench_pages.rs"]
mod bench_pages;

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
        bench_pages::each_page(&dir, |id, url, bytes| {
            let html = warta::fetch::decode_html(&bytes, None);
            let generic = warta::extract::extract(&html, url.as_ref(), None, now);
            let ruled = warta::extract::extract(&html, url.as_ref(), Some(&rules), now);
            let line = serde_json::json!({ "id": id, "generic": generic, "rules": ruled });
            writeln!(out, "{line}").map_err(|e| e.to_string())
        })?;
    }
    out.flush().map_err(|e| e.to_string())
}
