//! A good citizen of the web (issue 5): hosts that ask us to wait, feeds that are gone or
//! moved, backoff and publisher hints in the next poll, pages retried on a later pass.

use crate::support::{Feed, Item, Route, Server, Workspace, instant, int, pages, rss, string};

fn feed_named<'a>(feeds: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    feeds
        .iter()
        .find(|f| string(f, "name") == name)
        .unwrap_or_else(|| panic!("no feed {name} in {feeds:#?}"))
}

fn one_item_feed(site: &Server, path: &str) -> Route {
    Route::rss(rss(
        "S",
        &site.base(),
        &[Item::new(
            "Satu",
            &site.url(path),
            "Wed, 20 Nov 2024 10:00:00 +0800",
            "teks feed",
        )],
    ))
}

#[test]
fn a_host_that_answers_429_with_retry_after_is_left_alone_until_then_unless_forced() {
    let site = Server::start("127.0.0.1");
    site.route("/rss", Route::new(429).header("Retry-After", "3600"));
    let ws = Workspace::with_feeds(&[Feed::new("busy", &site.url("/rss"))]);
    let first = ws.run(&["fetch"]);
    first.expect_code(1).stderr_names("busy");
    assert!(first.stderr.contains("429"), "{first:?}");

    // Inside the hour: the host is not contacted, and the summary says why.
    site.route("/rss", one_item_feed(&site, "/a"));
    site.route(
        "/a",
        Route::html(pages::article(
            "A",
            "2024-11-20T10:00:00+08:00",
            "id",
            &pages::story("id", 3, &["Satu."]),
        )),
    );
    let before = site.requests().len();
    let second = ws.run(&["fetch"]);
    second.expect_code(0);
    assert!(second.stdout.contains("asked us to wait"), "{second:?}");
    assert_eq!(
        site.requests().len(),
        before,
        "the host was contacted while it asked us to wait"
    );

    // --force fetches anyway.
    ws.run(&["fetch", "--force"]).ok();
    assert_eq!(int(&ws.stats(), "articles"), 1);
}

#[test]
fn a_feed_answering_410_is_gone_and_no_longer_polled() {
    let site = Server::start("127.0.0.1");
    site.route("/rss", Route::status(410));
    let ws = Workspace::with_feeds(&[Feed::new("old", &site.url("/rss"))]);
    ws.run(&["fetch"]).expect_code(1).stderr_names("old");
    assert_eq!(string(feed_named(&ws.feeds(), "old"), "state"), "gone");
    let before = site.requests().len();
    let again = ws.run(&["fetch"]);
    again.expect_code(0);
    assert_eq!(
        site.requests().len(),
        before,
        "a gone feed was polled again"
    );
    assert!(again.stdout.contains("gone"), "{again:?}");
    assert_eq!(string(feed_named(&ws.feeds(), "old"), "state"), "gone");
}

#[test]
fn a_permanent_redirect_seen_on_three_polls_is_followed_and_reported() {
    permanent_redirect_is_followed(false);
}

/// The new address answers 304 to the second and third polls (they send its ETag): the
/// redirect still counts on each of them (issue 15).
#[test]
fn a_permanent_redirect_counts_when_the_new_address_answers_304() {
    permanent_redirect_is_followed(true);
}

fn permanent_redirect_is_followed(with_etag: bool) {
    let site = Server::start("127.0.0.1");
    site.route(
        "/old.xml",
        Route::new(301).header("Location", &site.url("/new.xml")),
    );
    let feed = one_item_feed(&site, "/a");
    site.route(
        "/new.xml",
        if with_etag { feed.etag("\"v1\"") } else { feed },
    );
    site.route(
        "/a",
        Route::html(pages::article(
            "A",
            "2024-11-20T10:00:00+08:00",
            "id",
            &pages::story("id", 5, &["Dua."]),
        )),
    );
    let ws = Workspace::with_feeds(&[Feed::new("m", &site.url("/old.xml"))]);
    for poll in 1..=3 {
        ws.fetch_ok();
        let state = string(feed_named(&ws.feeds(), "m"), "state").to_string();
        let expected = if poll < 3 { "ok" } else { "moved" };
        assert_eq!(state, expected, "after poll {poll}");
    }
    if with_etag {
        let answers: Vec<u16> = site
            .requests_to("/new.xml")
            .iter()
            .map(|r| r.status)
            .collect();
        assert_eq!(answers, [200, 304, 304]);
    }
    let f = ws.feeds();
    let m = feed_named(&f, "m");
    assert_eq!(string(m, "moved_to"), site.url("/new.xml"));
    assert!(string(m, "last_error").contains("moved"), "{m:#}");
    // From now on the new address is polled directly.
    let before = site.requests().len();
    ws.fetch_ok();
    let asked: Vec<String> = site.requests()[before..]
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert!(asked.contains(&"/new.xml".to_string()), "{asked:?}");
    assert!(!asked.contains(&"/old.xml".to_string()), "{asked:?}");
    assert_eq!(int(&ws.stats(), "articles"), 1);
}

#[test]
fn failures_push_the_next_poll_back_and_a_publisher_ttl_is_honoured() {
    let site = Server::start("127.0.0.1");
    site.route("/bad", Route::status(500));
    let ttl_feed = rss("T", &site.base(), &[]).replace(
        "<language>id</language>",
        "<language>id</language><ttl>180</ttl>",
    );
    site.route("/ttl", Route::rss(ttl_feed));
    let ws = Workspace::with_feeds(&[
        Feed::new("bad", &site.url("/bad")).with("schedule = \"10m\""),
        Feed::new("ttl", &site.url("/ttl")).with("schedule = \"10m\""),
    ]);
    ws.run(&["fetch"]).expect_code(1);
    let wait = |name: &str| {
        let f = ws.feeds();
        let f = feed_named(&f, name);
        (instant(string(f, "next_poll")) - instant(string(f, "last_poll"))).num_seconds()
    };
    let first = wait("bad");
    assert!((600..=700).contains(&first), "first backoff {first}s");
    ws.run(&["fetch"]).expect_code(1);
    let second = wait("bad");
    assert!(second >= 1200, "second backoff {second}s");
    assert_eq!(
        int(feed_named(&ws.feeds(), "bad"), "consecutive_failures"),
        2
    );
    assert_eq!(string(feed_named(&ws.feeds(), "bad"), "state"), "failing");
    // <ttl>180</ttl>: three hours, longer than the 10-minute schedule.
    let ttl = wait("ttl");
    assert!(ttl >= 3 * 3600, "ttl wait {ttl}s");
}

/// Issue 15: `warta fetch` honours what the publisher asked (here Cache-Control and
/// `<ttl>`) unless `--force`.
#[test]
fn fetch_waits_as_the_publisher_asked_unless_forced() {
    let site = Server::start("127.0.0.1");
    let ttl_feed = rss("T", &site.base(), &[]).replace(
        "<language>id</language>",
        "<language>id</language><ttl>60</ttl>",
    );
    site.route("/ttl", Route::rss(ttl_feed));
    site.route(
        "/cached",
        Route::rss(rss("C", &site.base(), &[])).header("Cache-Control", "max-age=1800"),
    );
    site.route("/plain", Route::rss(rss("P", &site.base(), &[])));
    let ws = Workspace::with_feeds(&[
        Feed::new("ttl", &site.url("/ttl")),
        Feed::new("cached", &site.url("/cached")),
        Feed::new("plain", &site.url("/plain")),
    ]);
    ws.fetch_ok();
    site.clear_log();
    let again = ws.fetch_ok();
    let asked: Vec<String> = site.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(asked, ["/plain"], "{again:?}");
    for name in ["ttl", "cached"] {
        let line = again
            .stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default();
        assert!(
            line.contains("skipped") && line.contains("--force"),
            "{line}"
        );
    }
    site.clear_log();
    ws.run(&["fetch", "--force"]).ok();
    let mut asked: Vec<String> = site.requests().iter().map(|r| r.path.clone()).collect();
    asked.sort();
    assert_eq!(asked, ["/cached", "/plain", "/ttl"]);
}

#[test]
fn a_page_that_failed_is_kept_from_the_feed_and_fetched_on_a_later_pass() {
    let site = Server::start("127.0.0.1");
    site.route("/rss", one_item_feed(&site, "/a"));
    site.route("/a", Route::status(503));
    let ws = Workspace::with_feeds(&[Feed::new("s", &site.url("/rss"))]);
    ws.fetch_ok();
    assert_eq!(int(feed_named(&ws.feeds(), "s"), "pending_pages"), 1);
    let hit = ws.search_one("feed");
    assert_eq!(string(&ws.show(int(&hit, "id")), "source"), "feed");

    site.route(
        "/a",
        Route::html(pages::article(
            "A",
            "2024-11-20T10:00:00+08:00",
            "id",
            &pages::story("id", 9, &["Jembatan Sangatta dibuka."]),
        )),
    );
    ws.fetch_ok();
    assert_eq!(int(feed_named(&ws.feeds(), "s"), "pending_pages"), 0);
    let hit = ws.search_one("jembatan");
    let shown = ws.show(int(&hit, "id"));
    assert_eq!(string(&shown, "source"), "page");
    assert_eq!(int(&ws.stats(), "articles"), 1);
}

/// Issue 15: a feed that publishes faster than its schedule is polled at its own pace (about
/// one new item a poll), never more often than `[schedule] floor`; a quiet one on schedule.
#[test]
fn a_busy_feed_is_polled_at_its_pace_and_a_quiet_one_on_its_schedule() {
    let site = Server::start("127.0.0.1");
    let now = chrono::Utc::now();
    let dated = |n: usize, every: chrono::Duration| -> Vec<Item> {
        (0..n)
            .map(|i| {
                let at = (now - every * i as i32).to_rfc2822();
                Item::new(
                    &format!("Berita {i}"),
                    &site.url(&format!("/b/{i}")),
                    &at,
                    "ringkas",
                )
            })
            .collect()
    };
    // 144 items over the last day (one every 10 minutes) and 500 (one every ~3 minutes).
    site.route(
        "/steady",
        Route::rss(rss(
            "S",
            &site.base(),
            &dated(144, chrono::Duration::minutes(10)),
        )),
    );
    site.route(
        "/busy",
        Route::rss(rss(
            "B",
            &site.base(),
            &dated(500, chrono::Duration::minutes(2)),
        )),
    );
    let old: Vec<Item> = (0..3)
        .map(|i| {
            Item::new(
                &format!("Lama {i}"),
                &site.url(&format!("/l/{i}")),
                "Wed, 20 Nov 2024 10:00:00 +0800",
                "ringkas",
            )
        })
        .collect();
    site.route("/quiet", Route::rss(rss("Q", &site.base(), &old)));
    let feed = |name: &str| {
        Feed::new(name, &site.url(&format!("/{name}")))
            .with("schedule = \"15m\"")
            .with("full_text = false")
    };
    let ws = Workspace::new();
    let mut text = crate::support::config_text(&[], &[feed("steady"), feed("busy"), feed("quiet")]);
    text.push_str("\n[schedule]\nfloor = \"5m\"\n");
    ws.write_config(&text);
    ws.fetch_ok();
    let wait = |name: &str| {
        let f = ws.feeds();
        let f = feed_named(&f, name);
        (instant(string(f, "next_poll")) - instant(string(f, "last_poll"))).num_seconds()
    };
    let steady = wait("steady");
    assert!(
        (590..=610).contains(&steady),
        "one item every 10 minutes: {steady}s"
    );
    let busy = wait("busy");
    assert!((295..=310).contains(&busy), "the floor: {busy}s");
    let quiet = wait("quiet");
    assert!((895..=910).contains(&quiet), "the schedule: {quiet}s");
}
