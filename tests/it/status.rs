//! `warta feeds --format json` and `warta stats --format json`: the contract's fields with the
//! right values before and after a fetch, and the per-feed summary `fetch` prints.

use crate::on_both;
use crate::support::{Feed, Item, Route, Server, Workspace, int, opt_time, pages, rss, string};

/// A site with two feeds of `n` articles each (published two hours ago, so "last 24 h" counts
/// them whichever time it goes by) and a third feed URL.
fn site(counts: &[(&str, usize)]) -> Server {
    let site = Server::start("127.0.0.1");
    let published = chrono::Utc::now() - chrono::Duration::hours(2);
    for (f, (feed, n)) in counts.iter().enumerate() {
        let mut items = Vec::new();
        for i in 0..*n {
            let path = format!("/{feed}/{i}");
            let title = format!("Status {feed} {i}");
            site.route(
                &path,
                Route::html(pages::article(
                    &title,
                    &published.to_rfc3339(),
                    "id",
                    &pages::story("id", 700 + (f * 10 + i) as u64, &["Statusuji."]),
                )),
            );
            items.push(Item::new(
                &title,
                &site.url(&path),
                &published.to_rfc2822(),
                "Status.",
            ));
        }
        site.route(
            &format!("/{feed}.xml"),
            Route::rss(rss(feed, &site.base(), &items)),
        );
    }
    site
}

on_both! {
fn feeds_json_reports_state_polls_errors_and_counts() {
    let site = site(&[("satu", 3), ("dua", 2), ("tiga", 1)]);
    let ws = Workspace::with_feeds(&[
        Feed::new("satu", &site.url("/satu.xml")),
        Feed::new("dua", &site.url("/dua.xml")),
        Feed::new("tiga", &site.url("/tiga.xml")).with("enabled = false"),
    ]);

    // Before any fetch there is no archive to read the state from: said, with its path
    // (on PostgreSQL, its database).
    let named = if ws.is_postgres() { "postgres://" } else { "archive.db" };
    ws.run(&["feeds"]).expect_code(2).stderr_names(named);
    ws.create_archive();
    let before = ws.feeds();
    assert_eq!(before.len(), 3, "{before:#?}");
    for feed in &before {
        let want = if feed["name"] == "tiga" {
            "disabled"
        } else {
            "new"
        };
        assert_eq!(feed["state"], want, "{feed:#}");
        assert!(
            feed["last_poll"].is_null() && feed["last_success"].is_null(),
            "{feed:#}"
        );
        assert!(feed["last_error"].is_null(), "{feed:#}");
        assert_eq!(int(feed, "consecutive_failures"), 0);
        assert_eq!(int(feed, "articles"), 0);
    }

    let start = chrono::Utc::now() - chrono::Duration::seconds(1);
    let run = ws.fetch_ok();
    for name in ["satu", "dua"] {
        assert!(
            run.stdout.contains(name),
            "the fetch summary does not name {name}\n{run:?}"
        );
    }
    assert!(
        site.requests_to("/tiga.xml").is_empty(),
        "a disabled feed was polled"
    );

    let after = ws.feeds();
    let by_name = |name: &str| {
        after
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{name} not listed: {after:#?}"))
    };
    for (name, articles) in [("satu", 3), ("dua", 2)] {
        let feed = by_name(name);
        assert_eq!(string(feed, "url"), site.url(&format!("/{name}.xml")));
        assert_eq!(feed["state"], "ok", "{feed:#}");
        for field in ["last_poll", "last_success"] {
            let t = opt_time(feed, field).unwrap_or_else(|| panic!("{field} not set: {feed:#}"));
            assert!(
                t.with_timezone(&chrono::Utc) >= start,
                "{field} is not this fetch's time: {feed:#}"
            );
        }
        assert!(feed["last_error"].is_null(), "{feed:#}");
        assert_eq!(int(feed, "consecutive_failures"), 0);
        assert_eq!(int(feed, "articles"), articles, "{feed:#}");
    }
    let tiga = by_name("tiga");
    assert_eq!(tiga["state"], "disabled");
    assert!(tiga["last_poll"].is_null());
    assert_eq!(int(tiga, "articles"), 0);

    // Naming a feed polls that feed only.
    site.clear_log();
    ws.run(&["fetch", "dua"]).ok();
    assert_eq!(site.requests_to("/dua.xml").len(), 1);
    assert!(
        site.requests_to("/satu.xml").is_empty(),
        "fetch dua polled satu"
    );
}
}

on_both! {
fn stats_json_counts_feeds_articles_stories_copies_and_size() {
    let site = site(&[("satu", 3), ("dua", 2)]);
    let ws = Workspace::with_feeds(&[
        Feed::new("satu", &site.url("/satu.xml")),
        Feed::new("dua", &site.url("/dua.xml")),
    ]);

    ws.fetch_ok();

    let stats = ws.stats();
    assert_eq!(int(&stats, "feeds"), 2, "{stats:#}");
    assert_eq!(int(&stats, "articles"), 5, "{stats:#}");
    assert_eq!(int(&stats, "stories"), 5, "{stats:#}");
    assert_eq!(int(&stats, "copies"), 5, "{stats:#}");
    assert_eq!(int(&stats, "articles_24h"), 5, "{stats:#}");
    let bytes = int(&stats, "database_bytes");
    let on_disk = std::fs::metadata(ws.db_path())
        .map(|m| m.len() as i64)
        .unwrap_or(0);
    assert!(
        bytes > 0 && bytes >= on_disk / 2,
        "database_bytes {bytes} vs file {on_disk}"
    );

    let table = ws.run(&["stats"]);
    table.ok();
    assert!(table.stdout.contains('5'), "{table:?}");
}
}
