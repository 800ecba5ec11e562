//! `warta daemon`: polls at start, again on the feed's schedule, lets other processes search the
//! archive while it writes, and stops cleanly (exit 0) within 10 s of SIGTERM.

use crate::on_both;
use std::time::{Duration, Instant};

use crate::support::{
    Feed, Item, Route, Server, Workspace, assert_no_panic, config_text, int, pages, rss,
    send_signal, wait_until,
};

on_both! {
fn daemon_archives_picks_up_a_new_item_serves_searches_and_stops_on_sigterm() {
    let site = Server::start("127.0.0.1");
    let first = Item::new(
        "Festival Erau dibuka",
        &site.url("/erau"),
        "Tue, 12 Mar 2024 08:00:00 +0800",
        "Erau.",
    );
    site.route(
        "/erau",
        Route::html(pages::article(
            "Festival Erau dibuka",
            "2024-03-12T08:00:00+08:00",
            "id",
            &pages::story("id", 31, &["Festivalerau dibuka di Tenggarong."]),
        )),
    );
    site.route(
        "/feed.xml",
        Route::rss(rss("Daemon", &site.base(), std::slice::from_ref(&first))),
    );
    let ws = Workspace::new();
    ws.write_config(&config_text(
        &[],
        &[Feed::new("harian", &site.url("/feed.xml")).with("schedule = \"2s\"")],
    ));

    let mut daemon = ws.spawn(&["daemon"]);

    // Searching starts once the daemon has made the archive and polled; from then on every
    // search from this process must succeed while the daemon holds the archive open.
    let polled = wait_until(Duration::from_secs(20), || {
        ws.archive_exists() && !site.requests_to("/erau").is_empty()
    });
    assert!(
        polled,
        "the daemon did not poll at start\nstderr:\n{}",
        daemon.stderr()
    );
    let mut failures = Vec::new();
    let mut searches = 0;
    let mut search_hits = |query: &str| -> usize {
        searches += 1;
        let run = ws.run(&["search", query, "--format", "json"]);
        if run.code != Some(0) {
            failures.push(format!("{run:?}"));
            return 0;
        }
        run.json().as_array().map_or(0, Vec::len)
    };
    let found = wait_until(Duration::from_secs(20), || search_hits("festivalerau") == 1);
    assert!(
        found,
        "the daemon did not archive the first item\nstderr:\n{}",
        daemon.stderr()
    );

    site.route(
        "/pesut",
        Route::html(pages::article(
            "Pesut Mahakam terlihat",
            "2024-03-13T08:00:00+08:00",
            "id",
            &pages::story("id", 32, &["Pesutmahakam muncul di Muara Kaman."]),
        )),
    );
    let second = Item::new(
        "Pesut Mahakam terlihat",
        &site.url("/pesut"),
        "Wed, 13 Mar 2024 08:00:00 +0800",
        "Pesut.",
    );
    site.route(
        "/feed.xml",
        Route::rss(rss("Daemon", &site.base(), &[second, first])),
    );

    let found = wait_until(Duration::from_secs(30), || search_hits("pesutmahakam") == 1);
    assert!(
        found,
        "the daemon did not pick up the new item\nstderr:\n{}",
        daemon.stderr()
    );
    assert!(
        failures.is_empty(),
        "searches failed while the daemon ran:\n{}",
        failures.join("\n")
    );
    assert!(
        daemon.still_running(),
        "the daemon stopped by itself\nstderr:\n{}",
        daemon.stderr()
    );
    assert_eq!(int(&ws.stats(), "articles"), 2);
    assert!(
        site.requests_to("/feed.xml").len() >= 2,
        "the feed was polled only once"
    );

    send_signal(daemon.pid(), "TERM");
    let start = Instant::now();
    let status = daemon.wait(Duration::from_secs(10));
    let stderr = daemon.stderr();
    assert_no_panic("warta daemon", &stderr);
    let status =
        status.unwrap_or_else(|| panic!("no exit within 10 s of SIGTERM\nstderr:\n{stderr}"));
    assert_eq!(
        status.code(),
        Some(0),
        "daemon exit after SIGTERM\nstderr:\n{stderr}"
    );
    assert!(start.elapsed() < Duration::from_secs(10));
    assert!(searches >= 1);

    // The archive is whole after the daemon left.
    assert_eq!(ws.search("festivalerau OR pesutmahakam", &[]).len(), 2);
}
}

on_both! {
fn daemon_stops_on_sigint_while_a_slow_poll_is_in_flight() {
    let site = Server::start("127.0.0.1");
    // Every answer takes 3 s, so the signal arrives mid-request.
    site.set_delay(Duration::from_secs(3));
    site.route("/feed.xml", Route::rss(rss("Lambat", &site.base(), &[])));
    let ws = Workspace::with_feeds(&[Feed::new("lambat", &site.url("/feed.xml"))]);

    let mut daemon = ws.spawn(&["daemon"]);
    assert!(
        wait_until(Duration::from_secs(10), || site
            .arrived()
            .iter()
            .any(|p| p == "/feed.xml")),
        "the daemon never polled\nstderr:\n{}",
        daemon.stderr()
    );
    std::thread::sleep(Duration::from_millis(300));
    send_signal(daemon.pid(), "INT");
    let status = daemon.wait(Duration::from_secs(10));
    let stderr = daemon.stderr();
    assert_no_panic("warta daemon", &stderr);
    let status =
        status.unwrap_or_else(|| panic!("no exit within 10 s of SIGINT\nstderr:\n{stderr}"));
    assert_eq!(status.code(), Some(0), "stderr:\n{stderr}");
}
}
