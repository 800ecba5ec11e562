//! Polite re-polling: the second poll of an unchanged feed sends the validators the server gave
//! (If-None-Match from ETag, If-Modified-Since from Last-Modified), gets 304 and archives nothing.

use crate::support::{Feed, Item, Route, Server, Workspace, int, pages, rss};

const LAST_MODIFIED: &str = "Tue, 12 Mar 2024 01:00:00 GMT";

fn site_with_two_feeds() -> Server {
    let site = Server::start("127.0.0.1");
    for (feed, seed) in [("etag", 1u64), ("lastmod", 2u64)] {
        let mut items = Vec::new();
        for i in 0..2u64 {
            let path = format!("/{feed}/{i}");
            site.route(
                &path,
                Route::html(pages::article(
                    &format!("{feed} {i}"),
                    "2024-03-12T08:00:00+08:00",
                    "id",
                    &pages::story("id", seed * 10 + i, &["Validatoruji."]),
                )),
            );
            items.push(Item::new(
                &format!("{feed} {i}"),
                &site.url(&path),
                "Tue, 12 Mar 2024 08:00:00 +0800",
                "Validator.",
            ));
        }
        let route = Route::rss(rss(feed, &site.base(), &items));
        let route = if feed == "etag" {
            route.etag("\"feed-v1\"").last_modified(LAST_MODIFIED)
        } else {
            route.last_modified(LAST_MODIFIED)
        };
        site.route(&format!("/{feed}.xml"), route);
    }
    site
}

#[test]
fn second_poll_sends_validators_gets_304_and_archives_nothing() {
    let site = site_with_two_feeds();
    let ws = Workspace::with_feeds(&[
        Feed::new("dengan-etag", &site.url("/etag.xml")),
        Feed::new("dengan-lastmod", &site.url("/lastmod.xml")),
    ]);
    ws.fetch_ok();
    assert_eq!(int(&ws.stats(), "articles"), 4);
    site.clear_log();

    ws.fetch_ok();

    let etag_polls = site.requests_to("/etag.xml");
    assert_eq!(etag_polls.len(), 1, "{etag_polls:#?}");
    assert_eq!(
        etag_polls[0].header("if-none-match"),
        Some("\"feed-v1\""),
        "{etag_polls:#?}"
    );
    assert_eq!(etag_polls[0].status, 304);

    let lm_polls = site.requests_to("/lastmod.xml");
    assert_eq!(lm_polls.len(), 1, "{lm_polls:#?}");
    assert_eq!(
        lm_polls[0].header("if-modified-since"),
        Some(LAST_MODIFIED),
        "{lm_polls:#?}"
    );
    assert_eq!(lm_polls[0].status, 304);

    let pages_fetched: Vec<String> = site
        .requests()
        .iter()
        .filter(|r| !r.path.ends_with(".xml") && r.path != "/robots.txt")
        .map(|r| r.target.clone())
        .collect();
    assert!(
        pages_fetched.is_empty(),
        "pages fetched on a 304 poll: {pages_fetched:?}"
    );
    assert_eq!(int(&ws.stats(), "articles"), 4);
    let feeds = ws.feeds();
    for feed in &feeds {
        assert_eq!(feed["state"], "ok", "a 304 is a successful poll: {feed:#}");
        assert_eq!(int(feed, "consecutive_failures"), 0);
    }
}

#[test]
fn a_changed_feed_is_fetched_again_and_its_new_item_archived() {
    let site = site_with_two_feeds();
    let ws = Workspace::with_feeds(&[Feed::new("dengan-etag", &site.url("/etag.xml"))]);
    ws.fetch_ok();

    let path = "/etag/baru";
    site.route(
        path,
        Route::html(pages::article(
            "Berita baru",
            "2024-03-13T08:00:00+08:00",
            "id",
            &pages::story("id", 99, &["Beritabaru muncul."]),
        )),
    );
    let items = vec![
        Item::new(
            "Berita baru",
            &site.url(path),
            "Wed, 13 Mar 2024 08:00:00 +0800",
            "Baru.",
        ),
        Item::new(
            "etag 1",
            &site.url("/etag/1"),
            "Tue, 12 Mar 2024 08:00:00 +0800",
            "Validator.",
        ),
        Item::new(
            "etag 0",
            &site.url("/etag/0"),
            "Tue, 12 Mar 2024 08:00:00 +0800",
            "Validator.",
        ),
    ];
    site.route(
        "/etag.xml",
        Route::rss(rss("etag", &site.base(), &items)).etag("\"feed-v2\""),
    );
    site.clear_log();

    ws.fetch_ok();

    let polls = site.requests_to("/etag.xml");
    assert_eq!(polls.len(), 1);
    assert_eq!(
        polls[0].status, 200,
        "the changed feed must not be answered 304"
    );
    assert_eq!(site.requests_to(path).len(), 1);
    assert_eq!(int(&ws.stats(), "articles"), 3);
    ws.search_one("beritabaru");
}
