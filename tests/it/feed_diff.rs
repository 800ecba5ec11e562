//! Feeds as forgiving as feedparser (issue 15): the differential against feedparser's reading
//! of the edge-case corpus in `tests/fixtures/feed-diff/` (feedparser's own test feeds and
//! ours), and the real binary archiving the hard cases of our own feeds.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::support::{Feed, Route, Server, Workspace, int, string};

#[path = "../fixtures/feed_diff.rs"]
mod differential;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/feed-diff")
}

#[test]
fn feeds_are_read_as_feedparser_reads_them() {
    let golden: BTreeMap<String, differential::GoldenFeed> =
        serde_json::from_slice(&std::fs::read(corpus().join("golden.json")).unwrap()).unwrap();
    assert!(
        golden.len() > 2000,
        "the corpus is incomplete: {}",
        golden.len()
    );
    let report = differential::run(&corpus(), &golden);
    let total = report.total();
    let share = |n: usize, of: usize| n as f64 / of.max(1) as f64;
    let summary = format!(
        "{}\n{}",
        report.table(),
        report
            .differences
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        report.silent_empty.is_empty(),
        "read as ok with no items: {:?}",
        report.silent_empty
    );
    assert!(
        share(total.archived, total.entries) >= 0.98,
        "archived {} of {}\n{summary}",
        total.archived,
        total.entries
    );
    for (field, tally, floor) in [
        ("title", total.title, 0.95),
        ("link", total.link, 0.90),
        ("date", total.date, 0.95),
        ("text", total.text, 0.92),
    ] {
        assert!(
            share(tally.equal, tally.compared) >= floor,
            "{field}: {} of {} equal\n{summary}",
            tally.equal,
            tally.compared
        );
    }
}

/// Our own hard cases through `warta fetch`: every item its own article, titles with markup
/// whole, linkless items apart, a live blog's anchored posts apart and not fetched.
#[test]
fn the_binary_archives_every_item_of_the_hard_feeds() {
    let site = Server::start("127.0.0.1");
    let mut feeds = Vec::new();
    let dir = corpus().join("warta");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".xml"))
        .collect();
    names.sort();
    for name in &names {
        let path = format!("/{name}");
        site.route(
            &path,
            Route::bytes("application/xml", std::fs::read(dir.join(name)).unwrap()),
        );
        let feed = Feed::new(name.trim_end_matches(".xml"), &site.url(&path));
        // The live blog keeps full_text on: its anchored posts must still not be fetched.
        feeds.push(if name == "fragments.xml" {
            feed
        } else {
            feed.with("full_text = false")
        });
    }
    let ws = Workspace::with_feeds(&feeds);
    ws.fetch_ok();

    // 28 items; the UTF-32 feeds (big- and little-endian) carry the same one.
    assert_eq!(int(&ws.stats(), "articles"), 27, "{}", ws.stats());
    for feed in ws.feeds() {
        assert_eq!(string(&feed, "state"), "ok", "{feed}");
    }
    let hit = ws.search_one("\"Samarinda meluas\"");
    assert_eq!(
        string(&hit, "title"),
        "Banjir Samarinda meluas ke tiga kecamatan"
    );
    let hit = ws.search_one("canvas");
    assert_eq!(
        string(&hit, "title"),
        "Mengapa elemen <canvas> penting bagi situs berita"
    );
    for linkless in [
        "pemadaman",
        "beasiswa",
        "eselon",
        "rawan",
        "tautan",
        "stunting",
        "Bimtek",
    ] {
        ws.search_one(linkless);
    }
    for post in ["Balikpapan", "partisipasi", "\"07.00\""] {
        let hit = ws.search_one(post);
        assert!(
            string(&hit, "url").starts_with("https://live.contoh.id/pilkada-kaltim#pos-"),
            "{hit}"
        );
    }
    assert_eq!(
        string(&ws.search_one("hebat"), "title"),
        "Bupati\u{2019}s pesan"
    );
    assert_eq!(
        string(&ws.search_one("terbaik"), "title"),
        "Kutim \u{2019}s terbaik"
    );
    ws.search_one("Pesut");
    ws.search_one("Wehea");
    ws.search_one("Martadipura");
    ws.search_one("\"program prioritas\"");
    ws.search_one("\"Festival Erau\"");
    let pages: Vec<String> = site
        .requests()
        .iter()
        .filter(|r| !r.path.ends_with(".xml") && r.path != "/robots.txt")
        .map(|r| r.target.clone())
        .collect();
    assert!(pages.is_empty(), "pages fetched: {pages:?}");
}
