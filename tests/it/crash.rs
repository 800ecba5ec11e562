//! Crash safety: `kill -9` in the middle of a large `warta fetch`, then `warta fetch` again. The
//! archive must pass SQLite's integrity check and hold every item exactly once.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

use crate::support::{
    Feed, Item, Route, Server, Workspace, config_text, numbered_item, pages, rss, send_signal,
    string,
};

const FEEDS: usize = 4;
const PER_FEED: usize = 15;

#[test]
fn kill_9_during_a_large_fetch_then_fetch_again_loses_and_duplicates_nothing() {
    let site = Server::start("127.0.0.1");
    let mut expected: BTreeSet<(String, String)> = BTreeSet::new();
    let mut feeds = Vec::new();
    for f in 0..FEEDS {
        let mut items = Vec::new();
        for i in 0..PER_FEED {
            let n = f * PER_FEED + i;
            let title = format!("Kabar nomor {n:03} dari kanal {f}");
            let path = format!("/kanal{f}/kabar-{n:03}");
            let body = pages::story(
                "id",
                9000 + n as u64,
                &[&format!("Arsipkrash kabar{n:03} tercatat.")],
            );
            site.route(
                &path,
                Route::html(pages::article(
                    &title,
                    "2024-03-12T08:00:00+08:00",
                    "id",
                    &body,
                )),
            );
            let date = format!(
                "Tue, 12 Mar 2024 {:02}:{:02}:00 +0800",
                6 + i / 4,
                (i % 4) * 15
            );
            items.push(Item::new(
                &title,
                &site.url(&path),
                &date,
                &format!("Kabar {n:03}."),
            ));
            expected.insert((title, site.url(&path)));
        }
        items.reverse();
        site.route(
            &format!("/kanal{f}.xml"),
            Route::rss(rss(&format!("Kanal {f}"), &site.base(), &items)),
        );
        feeds.push(Feed::new(
            &format!("kanal-{f}"),
            &site.url(&format!("/kanal{f}.xml")),
        ));
    }
    let ws = Workspace::new();
    ws.write_config(&config_text(&["concurrency = 4"], &feeds));
    // Every page answer takes 100 ms, so when a third of the pages have been asked for, some
    // are still in flight and the rest not yet asked: the kill lands mid-run.
    site.set_delay(Duration::from_millis(100));

    let mut first = ws.spawn(&["fetch"]);
    let pages_before_kill = FEEDS * PER_FEED / 3;
    let start = Instant::now();
    while site
        .arrived()
        .iter()
        .filter(|p| p.contains("/kabar-"))
        .count()
        < pages_before_kill
    {
        assert!(
            start.elapsed() < Duration::from_secs(60) && first.still_running(),
            "the first fetch never got going\nstderr:\n{}",
            first.stderr()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        first.still_running(),
        "the first fetch finished before the kill"
    );
    send_signal(first.pid(), "KILL");
    let killed = first.wait(Duration::from_secs(10));
    crate::support::assert_no_panic("the killed fetch", &first.stderr());
    assert!(
        killed.is_some_and(|s| s.code().is_none()),
        "the fetch was not killed by the signal"
    );
    site.set_delay(Duration::ZERO);

    let again = ws.run(&["fetch"]);
    again.ok();

    let conn = Connection::open_with_flags(ws.db_path(), OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the archive read-only");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("run the integrity check");
    assert_eq!(check, "ok");
    drop(conn);

    let hits = ws.search_all_copies("arsipkrash");
    let archived: Vec<(String, String)> = hits
        .iter()
        .map(|h| (string(h, "title").to_string(), string(h, "url").to_string()))
        .collect();
    let unique: BTreeSet<(String, String)> = archived.iter().cloned().collect();
    assert_eq!(
        archived.len(),
        unique.len(),
        "an article was archived twice: {archived:#?}"
    );
    let lost: Vec<_> = expected.difference(&unique).collect();
    let extra: Vec<_> = unique.difference(&expected).collect();
    assert!(
        lost.is_empty() && extra.is_empty(),
        "lost: {lost:#?}\nunexpected: {extra:#?}"
    );
    let stats = ws.stats();
    assert_eq!(stats["articles"], (FEEDS * PER_FEED) as i64, "{stats:#}");
}

const BIG_FEED: usize = 2_000;

/// Issue 12: a kill -9 loses at most the pages in flight. One feed lists 2,000 pages; the
/// fetch is killed a quarter of the way in, then run again. Every item ends up archived once,
/// from its page, and no page stored before the kill is asked for again.
#[test]
fn kill_9_during_a_2000_page_feed_refetches_nothing_stored() {
    let site = Server::start("127.0.0.1");
    let mut items: Vec<Item> = (0..BIG_FEED)
        .map(|n| {
            numbered_item(
                &site,
                &format!("/arsip/kabar-{n:04}"),
                &format!("Kabar panjang nomor {n:04}"),
                n,
                &format!("Arsipbesar kabar{n:04} tercatat."),
                |r| r,
            )
        })
        .collect();
    items.reverse();
    site.route(
        "/arsip.xml",
        Route::rss(rss("Arsip besar", &site.base(), &items)),
    );
    let ws = Workspace::new();
    ws.write_config(&config_text(
        &[],
        &[Feed::new("arsip-besar", &site.url("/arsip.xml"))],
    ));
    // A little delay per page keeps the run long enough to be caught in the middle.
    site.set_delay(Duration::from_millis(2));

    let mut first = ws.spawn(&["fetch"]);
    let start = Instant::now();
    while site
        .arrived()
        .iter()
        .filter(|p| p.starts_with("/arsip/"))
        .count()
        < BIG_FEED / 4
    {
        assert!(
            start.elapsed() < Duration::from_secs(120) && first.still_running(),
            "the first fetch never got going\nstderr:\n{}",
            first.stderr()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    send_signal(first.pid(), "KILL");
    let killed = first.wait(Duration::from_secs(10));
    assert!(
        killed.is_some_and(|s| s.code().is_none()),
        "the fetch was not killed by the signal (it finished first?)"
    );
    crate::support::assert_no_panic("the killed fetch", &first.stderr());
    site.set_delay(Duration::ZERO);

    let stored_before = stored_urls(&ws);
    assert!(
        !stored_before.is_empty() && stored_before.len() < BIG_FEED,
        "the kill should land mid-run: {} of {BIG_FEED} stored",
        stored_before.len()
    );
    let asked_before = site.arrived().len();

    ws.run(&["fetch"]).ok();

    let again: Vec<String> = site.arrived().split_off(asked_before);
    let refetched: Vec<&String> = again
        .iter()
        .filter(|p| stored_before.contains(&site.url(p)))
        .collect();
    assert!(
        refetched.is_empty(),
        "pages stored before the kill were fetched again: {refetched:?}"
    );
    let conn = Connection::open_with_flags(ws.db_path(), OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the archive read-only");
    let (items_archived, distinct_guids, from_pages): (i64, i64, i64) = conn
        .query_row(
            "SELECT COUNT(*), COUNT(DISTINCT i.guid),
                    (SELECT COUNT(DISTINCT article_id) FROM pages)
             FROM items i",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("count the archived items");
    assert_eq!(
        (items_archived, distinct_guids),
        (BIG_FEED as i64, BIG_FEED as i64)
    );
    assert_eq!(
        from_pages, BIG_FEED as i64,
        "every item is archived from its page"
    );
    let after = stored_urls(&ws);
    assert_eq!(after.len(), BIG_FEED, "every page archived once");
    assert!(stored_before.is_subset(&after));
}

fn stored_urls(ws: &Workspace) -> BTreeSet<String> {
    let conn = Connection::open_with_flags(ws.db_path(), OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the archive read-only");
    let mut stmt = conn
        .prepare("SELECT url FROM articles")
        .expect("list archived urls");
    stmt.query_map([], |r| r.get::<_, String>(0))
        .expect("list archived urls")
        .collect::<Result<_, _>>()
        .expect("read archived urls")
}
