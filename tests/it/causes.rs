//! Errors that point at the cause (issue 11, point 5): each way a feed can fail says what
//! happened in a few words in the feeds table and the fetch summary, with the full chain at
//! `-v`; when every feed fails the same way on the way to its host, `fetch`, the daemon log
//! and `doctor` say once that the network looks down.
//!
//! Names under `.invalid` never resolve (RFC 6761); a loopback port whose listener was just
//! dropped refuses connections.

use std::net::TcpListener;
use std::time::Duration;

use crate::support::evil::{Behavior, Evil};
use crate::support::{Feed, Route, Server, Workspace, config_text, good_feed, wait_until};

/// The feed's `last_error` after a fetch.
#[track_caller]
fn last_error(ws: &Workspace, name: &str) -> String {
    let feeds = ws.feeds();
    let feed = feeds
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no feed {name} in {feeds:#?}"));
    feed["last_error"]
        .as_str()
        .unwrap_or_else(|| panic!("{name} has no last_error: {feed:#}"))
        .to_string()
}

/// `http://IP:PORT` on which nothing listens (a port just given back by the system).
fn refused_base(ip: &str) -> String {
    let listener = TcpListener::bind((ip, 0)).expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    drop(listener);
    format!("http://{addr}")
}

#[test]
fn each_failure_says_what_happened_and_the_chain_is_shown_at_v() {
    let site = Server::start("127.0.0.1");
    site.route("/hilang.xml", Route::status(404));
    site.route("/rusak.xml", Route::status(500));
    let mute = Evil::loopback(Behavior::Silent);
    let refused = refused_base("127.0.0.1");
    let feeds = [
        Feed::new("kanal-dns", "http://kabar-nihil.invalid/feed.xml"),
        Feed::new("kanal-dns-tls", "https://kabar-nihil.invalid/feed.xml"),
        Feed::new("kanal-tolak", &format!("{refused}/feed.xml")),
        Feed::new("kanal-bisu", &mute.url("/feed.xml")),
        Feed::new("kanal-404", &site.url("/hilang.xml")),
        Feed::new("kanal-500", &site.url("/rusak.xml")),
        good_feed(&site),
    ];
    let ws = Workspace::new();
    ws.write_config(&config_text(&[], &feeds).replace("timeout = \"5s\"", "timeout = \"2s\""));

    let run = ws.run(&["-v", "fetch"]);

    run.expect_code(1);
    let expected: [(&str, &[&str]); 6] = [
        (
            "kanal-dns",
            &["kabar-nihil.invalid", "could not be resolved"],
        ),
        (
            "kanal-dns-tls",
            &["kabar-nihil.invalid", "could not be resolved"],
        ),
        ("kanal-tolak", &["connection refused", "nothing listens"]),
        ("kanal-bisu", &["timed out"]),
        ("kanal-404", &["HTTP 404 Not Found", "/hilang.xml"]),
        (
            "kanal-500",
            &["HTTP 500 Internal Server Error", "/rusak.xml"],
        ),
    ];
    for (feed, words) in expected {
        let error = last_error(&ws, feed);
        for word in words {
            assert!(error.contains(word), "{feed}: {error:?} lacks {word:?}");
        }
        // The short form: no library wrappers, no guessing at TLS for a name that is not there.
        assert!(
            !error.contains("TLS") && !error.contains("error sending request"),
            "{feed}: {error:?}"
        );
        run.stderr_names(&format!("feed {feed}: "));
    }
    // The whole chain, as the libraries told it, is for -v.
    assert!(
        run.stderr.contains("request failed") && run.stderr.contains("dns error"),
        "{run:?}"
    );
    // One feed was reached: a site problem, not a dead network.
    assert!(!run.stderr.contains("network looks down"), "{run:?}");
    assert!(
        run.stdout
            .contains("7 feeds: 1 new, 0 duplicate, 0 failed pages; 6 feeds failed"),
        "{run:?}"
    );
}

#[test]
fn two_unresolvable_feeds_say_once_that_the_network_looks_down() {
    let ws = Workspace::with_feeds(&[
        Feed::new("kanal-satu", "http://satu-nihil.invalid/feed.xml"),
        Feed::new("kanal-dua", "https://dua-nihil.invalid/rss"),
    ]);

    let run = ws.run(&["fetch"]);

    run.expect_code(1)
        .stderr_names("feed kanal-satu")
        .stderr_names("feed kanal-dua");
    assert_eq!(
        run.stderr.matches("the network looks down").count(),
        1,
        "{run:?}"
    );
    assert!(
        run.stderr.contains(
            "all 2 feeds failed: names could not be resolved; the network looks down (check DNS"
        ),
        "{run:?}"
    );
    assert!(run.stdout.contains("2 feeds failed"), "{run:?}");

    // The doctor, from the feeds' last polls: nothing succeeded, which fails the setup.
    let doctor = ws.run(&["doctor"]);
    doctor.expect_code(1);
    assert!(
        doctor
            .stdout
            .lines()
            .any(|l| l.starts_with("FAIL") && l.contains("feeds: none of the 2 feeds polled")),
        "{doctor:?}"
    );
    // And fetching now: the same verdict, once, on its own line.
    let doctor = ws.run(&["doctor", "--network"]);
    doctor.expect_code(1);
    let network: Vec<&str> = doctor
        .stdout
        .lines()
        .filter(|l| l.contains("network looks down"))
        .collect();
    assert_eq!(network.len(), 1, "{doctor:?}");
    assert!(
        network[0].starts_with("FAIL") && network[0].contains("network: all 2 feeds failed"),
        "{doctor:?}"
    );
}

#[test]
fn refused_everywhere_is_the_network_and_one_dead_feed_beside_a_live_one_is_not() {
    let a = refused_base("127.0.0.2");
    let b = refused_base("127.0.0.3");
    let ws = Workspace::with_feeds(&[
        Feed::new("kanal-a", &format!("{a}/feed.xml")),
        Feed::new("kanal-b", &format!("{b}/feed.xml")),
    ]);
    let run = ws.run(&["fetch"]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("all 2 feeds failed: no connection could be made; the network looks down"),
        "{run:?}"
    );

    // A feed the network reaches turns the verdict into a feed problem: the doctor warns.
    let site = Server::start("127.0.0.1");
    let ws = Workspace::with_feeds(&[
        Feed::new("kanal-a", &format!("{a}/feed.xml")),
        good_feed(&site),
    ]);
    let doctor = ws.run(&["doctor", "--network"]);
    doctor.ok();
    assert!(
        doctor.stdout.lines().any(|l| l.starts_with("warn")
            && l.contains("fetch kanal-a:")
            && l.contains("connection refused")),
        "{doctor:?}"
    );
    assert!(!doctor.stdout.contains("network looks down"), "{doctor:?}");
}

#[test]
fn the_daemon_logs_once_that_the_network_looks_down() {
    let ws = Workspace::new();
    ws.write_config(&config_text(
        &[],
        &[
            Feed::new("kanal-satu", "http://satu-nihil.invalid/feed.xml").with("schedule = \"1s\""),
            Feed::new("kanal-dua", "http://dua-nihil.invalid/feed.xml").with("schedule = \"1s\""),
        ],
    ));
    let mut daemon = ws.spawn(&["daemon"]);
    assert!(
        wait_until(Duration::from_secs(30), || {
            daemon.stderr().contains("the network looks down")
        }),
        "no network line in the log:\n{}",
        daemon.stderr()
    );
    // Both feeds have failed twice: still one line.
    assert!(
        wait_until(Duration::from_secs(30), || {
            ws.feeds()
                .iter()
                .all(|f| f["consecutive_failures"].as_i64().unwrap_or(0) >= 2)
        }),
        "the feeds were not polled again:\n{}",
        daemon.stderr()
    );
    crate::support::send_signal(daemon.pid(), "TERM");
    daemon.wait(Duration::from_secs(15));
    let log = daemon.stderr();
    assert_eq!(log.matches("the network looks down").count(), 1, "{log}");
    assert!(
        log.contains("all 2 feeds failed: names could not be resolved"),
        "{log}"
    );
}
