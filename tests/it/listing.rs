//! The article links a listing page gives, measured on the labelled pages in
//! tests/fixtures/listing (`cargo run --release --example listing_score` prints the table,
//! with the held-out set beside it). A floor a little under what is measured, so a change
//! that loses real ground fails here.

#[path = "../fixtures/listing_score.rs"]
mod listing_score;

use std::path::Path;

#[test]
fn listing_pages_give_their_article_links_and_their_next_page() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let pages = listing_score::score_folder(&root.join("listing")).unwrap();
    assert!(pages.len() >= 10);
    let (precision, recall, next) = listing_score::totals(&pages);
    let problems: Vec<String> = pages
        .iter()
        .filter(|p| !p.wrong.is_empty() || !p.missed.is_empty() || !p.next_right)
        .map(|p| {
            format!(
                "{}: taken wrongly {:?}, missed {:?}, next page {:?}",
                p.name,
                p.wrong.iter().map(|j| j.url.as_str()).collect::<Vec<_>>(),
                p.missed,
                p.next
            )
        })
        .collect();
    assert!(
        precision >= 0.98 && recall >= 0.98 && next == pages.len(),
        "P {precision:.3} R {recall:.3}, next pages right {next}/{}:\n{}",
        pages.len(),
        problems.join("\n")
    );
}
