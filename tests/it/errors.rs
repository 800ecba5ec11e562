//! Bad inputs: broken feeds, missing feeds, unparsable queries, unknown ids and feeds, bad
//! flags. Each gives the contract's exit code and a message naming the culprit, and never a
//! panic (every run is checked for panic output by the command helper).

use std::time::Duration;

use crate::support::{Feed, Route, Server, Workspace, config_text, good_feed, int, rss};

#[track_caller]
fn assert_failed_feed_others_archived(ws: &Workspace, failed: &str) {
    let run = ws.run(&["fetch"]);
    run.expect_code(1).stderr_names(failed);
    assert_eq!(
        ws.search("kabarbaik", &[]).len(),
        1,
        "the good feed was not archived"
    );
    let feeds = ws.feeds();
    let bad = feeds
        .iter()
        .find(|f| f["name"] == failed)
        .expect("the failed feed is listed");
    assert_eq!(bad["state"], "failing", "{bad:#}");
    assert!(
        bad["last_error"].as_str().is_some_and(|e| !e.is_empty()),
        "{bad:#}"
    );
    assert_eq!(int(bad, "consecutive_failures"), 1, "{bad:#}");
    let good = feeds
        .iter()
        .find(|f| f["name"] == "kanal-baik")
        .expect("the good feed is listed");
    assert_eq!(good["state"], "ok", "{good:#}");
}

#[test]
fn feed_answering_404_fails_the_fetch_naming_it_and_other_feeds_are_archived() {
    let site = Server::start("127.0.0.1");
    let ws = Workspace::with_feeds(&[
        Feed::new("kanal-hilang", &site.url("/tidak-ada.xml")),
        good_feed(&site),
    ]);
    assert_failed_feed_others_archived(&ws, "kanal-hilang");
}

#[test]
fn malformed_feed_xml_fails_the_fetch_naming_it_and_other_feeds_are_archived() {
    let site = Server::start("127.0.0.1");
    site.route("/rusak.xml", Route::rss("<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Rusak</title><item><title>Tanpa penutup</title><link>http://127.0.0.1/x</link></chan"));
    let ws = Workspace::with_feeds(&[
        Feed::new("kanal-rusak", &site.url("/rusak.xml")),
        good_feed(&site),
    ]);
    assert_failed_feed_others_archived(&ws, "kanal-rusak");
}

#[test]
fn html_page_instead_of_a_feed_fails_the_fetch_naming_it() {
    let site = Server::start("127.0.0.1");
    site.route("/bukan-feed", Route::html("<!DOCTYPE html><html><head><title>Beranda</title></head><body><p>Selamat datang</p></body></html>"));
    let ws = Workspace::with_feeds(&[
        Feed::new("kanal-html", &site.url("/bukan-feed")),
        good_feed(&site),
    ]);
    assert_failed_feed_others_archived(&ws, "kanal-html");
}

#[test]
fn feed_slower_than_the_timeout_fails_the_fetch_naming_it() {
    let site = Server::start("127.0.0.1");
    site.route(
        "/lambat.xml",
        Route::rss(rss("Lambat", &site.base(), &[])).delay(Duration::from_secs(4)),
    );
    let ws = Workspace::new();
    ws.write_config(
        &config_text(
            &[],
            &[
                Feed::new("kanal-lambat", &site.url("/lambat.xml")),
                good_feed(&site),
            ],
        )
        .replace("timeout = \"5s\"", "timeout = \"1s\""),
    );
    assert_failed_feed_others_archived(&ws, "kanal-lambat");
}

#[test]
fn unparsable_query_is_a_usage_error_naming_the_query() {
    let site = Server::start("127.0.0.1");
    let ws = Workspace::with_feeds(&[good_feed(&site)]);
    ws.fetch_ok();
    for query in ["\"banjir samarinda", "banjir OR"] {
        let run = ws.run(&["search", query, "--format", "json"]);
        run.expect_code(2);
        run.stderr_names("banjir");
        assert!(
            run.stdout.trim().is_empty() || run.stdout.trim() == "[]",
            "{run:?}"
        );
    }
}

#[test]
fn query_full_of_fts5_syntax_never_reaches_sqlite_raw() {
    let site = Server::start("127.0.0.1");
    let ws = Workspace::with_feeds(&[good_feed(&site)]);
    ws.fetch_ok();
    for query in [
        "kabarbaik AND (",
        "NEAR(kabarbaik diarsipkan)",
        "title:kabarbaik",
        "kabarbaik^",
        "*",
        "kabarbaik \"",
        "'; DROP TABLE articles; --",
        "kabarbaik NOT",
        "{kabarbaik}",
        "kabarbaik:",
    ] {
        let run = ws.run(&["search", query, "--format", "json"]);
        assert!(
            matches!(run.code, Some(0) | Some(2)),
            "query {query:?}\n{run:?}"
        );
        let lower = run.stderr.to_lowercase();
        assert!(
            !lower.contains("fts5") && !lower.contains("sqlite"),
            "raw SQLite error for {query:?}\n{run:?}"
        );
    }
    assert_eq!(
        ws.search("kabarbaik", &[]).len(),
        1,
        "the archive was harmed"
    );
}

#[test]
fn unknown_id_is_a_usage_error_naming_the_id() {
    let site = Server::start("127.0.0.1");
    let ws = Workspace::with_feeds(&[good_feed(&site)]);
    ws.fetch_ok();
    let run = ws.run(&["show", "987654", "--format", "json"]);
    run.expect_code(2).stderr_names("987654");
    let run = ws.run(&["show", "bukan-angka"]);
    run.expect_code(2).stderr_names("bukan-angka");
}

#[test]
fn unknown_feed_name_is_a_usage_error_naming_it() {
    let site = Server::start("127.0.0.1");
    let ws = Workspace::with_feeds(&[good_feed(&site)]);
    let run = ws.run(&["fetch", "kanal-tak-dikenal"]);
    run.expect_code(2).stderr_names("kanal-tak-dikenal");
    assert!(
        site.requests().is_empty(),
        "a feed was polled despite the usage error"
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    let site = Server::start("127.0.0.1");
    let ws = Workspace::with_feeds(&[good_feed(&site)]);
    // An archive exists, so only the flag can be at fault.
    ws.fetch_ok();
    ws.run(&["search", "banjir", "--format", "xml"])
        .expect_code(2)
        .stderr_names("xml");
    ws.run(&["search", "banjir", "--limit", "banyak"])
        .expect_code(2)
        .stderr_names("banyak");
    ws.run(&["search", "banjir", "--since", "kemarin"])
        .expect_code(2)
        .stderr_names("kemarin");
    ws.run(&["search", "banjir", "--sort", "acak"])
        .expect_code(2)
        .stderr_names("acak");
    ws.run(&["stats", "--tidak-ada"])
        .expect_code(2)
        .stderr_names("--tidak-ada");
    ws.run(&["perintah-tak-dikenal"])
        .expect_code(2)
        .stderr_names("perintah-tak-dikenal");
}

#[test]
fn missing_config_file_is_a_usage_error_naming_it() {
    let ws = Workspace::new();
    let run = ws.run(&["feeds"]);
    run.expect_code(2).stderr_names("feeds.toml");
}

#[test]
fn unusable_database_is_a_failure_naming_it() {
    let ws = Workspace::with_feeds(&[]);
    ws.write(
        "archive.db",
        b"this is not an sqlite database, just text that happens to be here\n"
            .repeat(100)
            .as_slice(),
    );
    let run = ws.run(&["stats", "--format", "json"]);
    run.expect_code(1).stderr_names("archive.db");
}
