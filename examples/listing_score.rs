//! Precision and recall of the article links `source::listing::harvest` picks from the
//! labelled listing pages: tests/fixtures/listing (the pages it was tuned on) and
//! tests/fixtures/listing-heldout (pages written apart, never tuned on), reported apart.
//!
//!     cargo run --release --example listing_score [-- --misses]

use std::path::Path;

#[path = "../tests/fixtures/listing_score.rs"]
mod listing_score;

fn main() -> Result<(), String> {
    let show = std::env::args().any(|a| a == "--misses");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    println!("| page | split | articles | taken | P | R | next page |");
    println!("| --- | --- | ---: | ---: | ---: | ---: | --- |");
    let mut splits = Vec::new();
    for (split, folder) in [("tuned", "listing"), ("held-out", "listing-heldout")] {
        let dir = root.join(folder);
        if !dir.is_dir() {
            continue;
        }
        let pages = listing_score::score_folder(&dir)?;
        for p in &pages {
            println!(
                "| {} | {split} | {} | {} | {:.3} | {:.3} | {} |",
                p.name,
                p.truth,
                p.taken,
                p.right as f64 / p.taken.max(1) as f64,
                p.right as f64 / p.truth.max(1) as f64,
                if p.next_right { "right" } else { "wrong" }
            );
            if show {
                for j in &p.wrong {
                    println!(
                        "    taken, not an article: {} [{:.1}: {}] {:?}",
                        j.url, j.score, j.why, j.text
                    );
                }
                for m in &p.missed {
                    println!("    missed: {m}");
                }
                if !p.next_right {
                    println!("    next page: got {:?}, want {:?}", p.next.0, p.next.1);
                }
            }
        }
        splits.push((split, listing_score::totals(&pages), pages.len()));
    }
    for (split, (precision, recall, next), n) in splits {
        println!(
            "{split}: {n} pages, precision {precision:.3}, recall {recall:.3}, next page right on {next}/{n}"
        );
    }
    Ok(())
}
