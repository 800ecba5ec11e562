//! The feed differential as a report: warta against feedparser's golden reading.
//!
//! `cargo run --release --example feed_diff [CORPUS_DIR [GOLDEN_JSON]] [--diffs]`
//! Defaults to the shipped corpus, `tests/fixtures/feed-diff/`. Prints the table by feed kind;
//! `--diffs` also prints every difference.

#[path = "../tests/fixtures/feed_diff.rs"]
mod feed_diff;

use std::collections::BTreeMap;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let show = args.iter().any(|a| a == "--diffs");
    let mut paths = args.iter().filter(|a| !a.starts_with("--"));
    let corpus = paths.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/feed-diff")
    });
    let golden_path = paths
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| corpus.join("golden.json"));
    let golden: BTreeMap<String, feed_diff::GoldenFeed> =
        serde_json::from_slice(&std::fs::read(&golden_path)?)?;
    let report = feed_diff::run(&corpus, &golden);
    if show {
        for d in &report.differences {
            println!("{d}");
        }
        println!();
    }
    print!("{}", report.table());
    println!(
        "ok with no items although feedparser found some: {}",
        report.silent_empty.len()
    );
    for s in &report.silent_empty {
        println!("  {s}");
    }
    Ok(())
}
