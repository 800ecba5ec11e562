//! Several `warta daemon` processes on one PostgreSQL archive (issue 18): each feed polled
//! by one of them per tick, one request per host in flight over all of them with the gap
//! kept, a killed daemon's feeds taken over once its lease runs out, and one syndicated
//! release archived once when two daemons take it in at the same moment.
//!
//! PostgreSQL only: these tests need the test server (`pg_server.rs`) and say so when it
//! is missing.

use std::time::{Duration, Instant};

use crate::support::{
    Item, Route, Server, Workspace, assert_no_panic, int, pages, pg_server, rss, send_signal,
    wait_until,
};

/// A database of its own on the test server, or None (said) when there is none here.
fn database(test: &str) -> Option<String> {
    pg_server::fresh_url(test)
}

/// A config on `url` with these `[[feed]]` entries (name, address) on `schedule`.
fn config(
    url: &str,
    per_host_delay: &str,
    lease: &str,
    feeds: &[(String, String)],
    schedule: &str,
) -> String {
    let mut s = format!(
        "[archive]\nurl = \"{url}\"\n\n[daemon]\nlease = \"{lease}\"\n\n[fetch]\n\
         allow_private_addresses = true\nper_host_delay = \"{per_host_delay}\"\ntimeout = \"5s\"\n\
         respect_robots = false\n"
    );
    for (name, address) in feeds {
        s.push_str(&format!(
            "\n[[feed]]\nname = \"{name}\"\nurl = \"{address}\"\nschedule = \"{schedule}\"\n"
        ));
    }
    s
}

/// One feed at `path` on `site` whose one item is an article page of its own.
fn feed_with_article(site: &Server, path: &str, seed: u64, delay: Duration) {
    let page = format!("{path}-berita");
    let title = format!("Berita nomor {seed} dari Kutai Timur");
    site.route(
        &page,
        Route::html(pages::article(
            &title,
            "2024-03-12T08:00:00+08:00",
            "id",
            &pages::story("id", seed, &[&format!("Penanda{seed} kabar daerah.")]),
        ))
        .delay(delay),
    );
    let item = Item::new(
        &title,
        &site.url(&page),
        "Tue, 12 Mar 2024 08:00:00 +0800",
        "Ringkas.",
    );
    site.route(
        path,
        Route::rss(rss("Kabar", &site.base(), std::slice::from_ref(&item))).delay(delay),
    );
}

#[test]
fn two_daemons_poll_each_feed_once_a_tick_one_request_per_host_with_the_gap_kept() {
    let Some(url) = database("two_daemons") else {
        return;
    };
    let hosts = [Server::start("127.0.0.2"), Server::start("127.0.0.3")];
    let mut feeds = Vec::new();
    for (h, site) in hosts.iter().enumerate() {
        for f in 0..3 {
            let path = format!("/f{f}.xml");
            feed_with_article(site, &path, (h * 10 + f) as u64, Duration::from_millis(60));
            feeds.push((format!("h{h}-f{f}"), site.url(&path)));
        }
    }
    let ws = Workspace::new();
    let gap = Duration::from_millis(300);
    ws.write_config(&config(&url, "300ms", "1m", &feeds, "4s"));
    let mut daemons = [ws.spawn(&["daemon"]), ws.spawn(&["daemon"])];
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(11));
    for d in &mut daemons {
        d.stop_cleanly();
        assert_no_panic("daemon", &d.stderr());
    }
    let ran = started.elapsed();

    for site in &hosts {
        assert_eq!(
            site.max_in_flight(),
            1,
            "requests at once to {}",
            site.base()
        );
        let mut spans = site.spans();
        spans.sort_by_key(|s| s.0);
        for pair in spans.windows(2) {
            let between = pair[1].0.saturating_duration_since(pair[0].1);
            assert!(
                between + Duration::from_millis(20) >= gap,
                "{}: {between:?} between two requests, the gap is {gap:?}",
                site.base()
            );
        }
    }
    // Each tick polls each feed once, whichever daemon takes it: no more polls than ticks,
    // and no two at nearly the same moment (two daemons' polls of one tick would be, the
    // second held back by the host's turn alone). A tick's requests to a host queue for
    // their turns (six requests a tick here, each with its gap), so one tick's poll may
    // come late and the next one's early: a second apart, not the whole interval.
    let ticks = ran.as_secs() / 4 + 1;
    for (h, site) in hosts.iter().enumerate() {
        for f in 0..3 {
            let path = format!("/f{f}.xml");
            let polls: Vec<Instant> = site.requests_to(&path).iter().map(|r| r.at).collect();
            assert!(!polls.is_empty(), "h{h}-f{f} was never polled");
            assert!(
                polls.len() as u64 <= ticks + 1,
                "h{h}-f{f} polled {} times in {} ticks",
                polls.len(),
                ticks
            );
            for pair in polls.windows(2) {
                assert!(
                    pair[1].duration_since(pair[0]) >= Duration::from_secs(1),
                    "h{h}-f{f} polled twice within {:?}",
                    pair[1].duration_since(pair[0])
                );
            }
        }
    }
    let polled: Vec<usize> = daemons
        .iter()
        .map(|d| d.stderr().matches("poll done").count())
        .collect();
    assert!(
        polled.iter().sum::<usize>() >= 6,
        "polls by each daemon: {polled:?}"
    );
    let stats = ws.stats();
    assert_eq!(int(&stats, "articles"), 6, "{stats:#}");
    assert_eq!(int(&stats, "copies"), 6, "{stats:#}");
}

#[test]
fn a_daemon_killed_mid_poll_has_its_feed_taken_over_once_the_lease_runs_out() {
    let Some(url) = database("killed_daemon") else {
        return;
    };
    let site = Server::start("127.0.0.4");
    // The first poll hangs on the feed until the daemon is killed.
    feed_with_article(&site, "/lambat.xml", 7, Duration::ZERO);
    site.set_delay(Duration::from_secs(4));
    let feeds = vec![("lambat".to_string(), site.url("/lambat.xml"))];
    let ws = Workspace::new();
    // The lease (10 s) outlasts the host's busy claim (the fetch timeout, 5 s, and a
    // second), so a takeover before the lease has run out would show.
    ws.write_config(&config(&url, "0s", "10s", &feeds, "2s"));

    let mut first = ws.spawn(&["daemon"]);
    assert!(
        wait_until(Duration::from_secs(20), || !site.arrived().is_empty()),
        "the first daemon never asked for the feed\n{}",
        first.stderr()
    );
    send_signal(first.pid(), "KILL");
    first.wait(Duration::from_secs(5));
    let killed = Instant::now();
    site.set_delay(Duration::ZERO);

    // The second finds the feed leased, then takes it over: once the lease has run out, at
    // its next tick, it polls.
    let mut second = ws.spawn(&["daemon"]);
    let taken = wait_until(Duration::from_secs(30), || {
        !site.requests_to("/lambat.xml-berita").is_empty()
    });
    let after = killed.elapsed();
    let archived = wait_until(Duration::from_secs(20), || {
        int(&ws.stats(), "articles") == 1
    });
    second.stop_cleanly();
    assert_no_panic("daemon", &second.stderr());
    assert!(taken, "the feed was not taken over\n{}", second.stderr());
    assert!(
        after >= Duration::from_secs(8),
        "taken over after {after:?}, before the lease ran out"
    );
    assert!(archived, "{:#}\n{}", ws.stats(), second.stderr());
    assert_eq!(site.requests_to("/lambat.xml-berita").len(), 1);
}

#[test]
fn two_daemons_taking_in_one_release_at_once_keep_one_article_and_one_story() {
    let Some(url) = database("one_release") else {
        return;
    };
    // Five sites carry the same press release (a copy with only its own template around
    // it), and a sixth a rewrite of it; every feed is polled by both daemons' first tick.
    let sites: Vec<Server> = (5..11)
        .map(|i| Server::start(&format!("127.0.0.{i}")))
        .collect();
    let release = pages::story("id", 4242, &["Sangatta menggelar rilisbersama hari ini."]);
    let mut rewrite = release.clone();
    rewrite.push("Paragraf tambahan dari redaksi setempat tentang rilisbersama.".into());
    let mut feeds = Vec::new();
    for (i, site) in sites.iter().enumerate() {
        let body = if i == 5 { &rewrite } else { &release };
        site.route(
            "/rilis",
            Route::html(pages::article(
                "Pemkab Kutai Timur rilis bersama",
                "2024-11-20T10:15:00+08:00",
                "id",
                body,
            )),
        );
        let item = Item::new(
            "Pemkab Kutai Timur rilis bersama",
            &site.url("/rilis"),
            "Wed, 20 Nov 2024 10:15:00 +0800",
            "Rilis.",
        );
        site.route("/rss", Route::rss(rss("Situs", &site.base(), &[item])));
        feeds.push((format!("situs{i}"), site.url("/rss")));
    }
    let ws = Workspace::new();
    ws.write_config(&config(&url, "0s", "1m", &feeds, "1h"));
    let mut daemons = [ws.spawn(&["daemon"]), ws.spawn(&["daemon"])];
    let all_polled = wait_until(Duration::from_secs(30), || {
        sites.iter().all(|s| !s.requests_to("/rilis").is_empty())
            && daemons
                .iter()
                .map(|d| d.stderr().matches("poll done").count())
                .sum::<usize>()
                >= 6
    });
    for d in &mut daemons {
        d.stop_cleanly();
        assert_no_panic("daemon", &d.stderr());
    }
    assert!(
        all_polled,
        "{}\n{}",
        daemons[0].stderr(),
        daemons[1].stderr()
    );
    let stats = ws.stats();
    // The five copies are one article (same body) in six places; the rewrite is an article
    // of its own in the same story.
    assert_eq!(int(&stats, "articles"), 2, "{stats:#}");
    assert_eq!(int(&stats, "stories"), 1, "{stats:#}");
    assert_eq!(int(&stats, "copies"), 6, "{stats:#}");
}

/// `warta migrate` as a user runs it: an SQLite archive copied into PostgreSQL and from
/// there into a new SQLite file; searches and articles read the same from all three, and
/// an archive is never migrated over another.
#[test]
fn migrate_copies_an_archive_to_postgres_and_back_and_reads_the_same() {
    let Some(url) = database("migrate_cli") else {
        return;
    };
    let site = Server::start("127.0.0.12");
    for n in 0..3u64 {
        feed_with_article(&site, &format!("/m{n}.xml"), 100 + n, Duration::ZERO);
    }
    let ws = Workspace::new();
    let feeds: Vec<(String, String)> = (0..3)
        .map(|n| (format!("m{n}"), site.url(&format!("/m{n}.xml"))))
        .collect();
    let text = config(&url, "0s", "1m", &feeds, "1h")
        .replace(&format!("url = \"{url}\""), "path = \"archive.db\"");
    ws.write_config(&text);
    ws.fetch_ok();
    let sqlite = ws.path().join("archive.db");
    let run = ws.run(&[
        "migrate",
        "--from",
        &format!("sqlite:{}", sqlite.display()),
        "--to",
        &url,
    ]);
    run.ok();
    assert!(run.stdout.contains("agree"), "{run:?}");
    assert!(run.stderr.contains("articles: 3 of 3 rows"), "{run:?}");
    let back = ws.path().join("back.db");
    ws.run(&[
        "migrate",
        "--from",
        &url,
        "--to",
        &format!("sqlite:{}", back.display()),
    ])
    .ok();
    let read = |db: &str, args: &[&str]| {
        let mut all = vec!["--db", db];
        all.extend_from_slice(args);
        let run = ws.run(&all);
        run.ok();
        run.json()
    };
    // The same hits everywhere; PostgreSQL ranks them its own way (ts_rank, not bm25), so
    // there they are compared without their scores and order.
    let unranked = |hits: serde_json::Value| -> Vec<String> {
        let mut list: Vec<String> = hits
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                let mut h = h.clone();
                h.as_object_mut().unwrap().remove("score");
                h.to_string()
            })
            .collect();
        list.sort();
        list
    };
    for query in [
        "kabar",
        "penanda101",
        "kutai",
        "\"nomor 102\"",
        "berita -penanda100",
    ] {
        let want = read(
            sqlite.to_str().unwrap(),
            &["search", query, "--format", "json"],
        );
        assert!(!want.as_array().unwrap().is_empty(), "{query}");
        let on_pg = read(&url, &["search", query, "--format", "json"]);
        assert_eq!(
            unranked(on_pg),
            unranked(want.clone()),
            "{query} on PostgreSQL"
        );
        let on_back = read(
            back.to_str().unwrap(),
            &["search", query, "--format", "json"],
        );
        assert_eq!(on_back, want, "{query} back on SQLite");
    }
    for db in [url.as_str(), back.to_str().unwrap()] {
        assert_eq!(
            read(db, &["show", "2", "--format", "json"]),
            read(sqlite.to_str().unwrap(), &["show", "2", "--format", "json"])
        );
    }
    // Over an archive: refused, nothing touched.
    let again = ws.run(&[
        "migrate",
        "--from",
        &format!("sqlite:{}", sqlite.display()),
        "--to",
        &url,
    ]);
    assert_ne!(again.code, Some(0));
    assert!(
        again.stderr.contains("already holds an archive"),
        "{again:?}"
    );
}

/// A PostgreSQL archive that is not there: a database the server lacks is a usage error
/// naming it (as a missing file is), an unreachable server a failure; the password given
/// in the environment is never printed.
#[test]
fn a_missing_database_or_server_is_named_and_the_password_is_not() {
    let Some(url) = database("missing_pg") else {
        return;
    };
    let ws = Workspace::new();
    let missing = pg_server::with_dbname(&url, "warta_no_such_database");
    ws.write_config(&format!("[archive]\nurl = \"{missing}\"\n"));
    let run = ws.run(&["search", "banjir"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("no database at postgres://"), "{run:?}");
    let mut cmd = ws.command(&["--db", "postgres://warta@127.0.0.1:1/warta", "stats"]);
    cmd.env("PGPASSWORD", "rahasia-sekali");
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot connect to PostgreSQL"), "{stderr}");
    assert!(!stderr.contains("rahasia"), "{stderr}");
    assert_no_panic("stats", &stderr);
}
