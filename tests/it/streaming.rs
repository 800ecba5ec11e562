//! The streaming pipeline (issue 12): a process holds a bounded number of pages, from before
//! a page's request until its commit, whatever the feed's size; a slow page makes the pages
//! after it wait for a place instead of piling up in memory.

use std::time::Duration;

use crate::support::{Feed, Route, Server, Workspace, numbered_item, rss};

const PAGES: usize = 400;

#[test]
fn a_slow_first_page_holds_back_the_feed_instead_of_buffering_it() {
    let feed_site = Server::start("127.0.0.1");
    let slow = Server::start("127.0.0.2");
    let fast = Server::start("127.0.0.3");
    let mut items = Vec::new();
    for n in 0..PAGES {
        let path = format!("/kabar-{n:03}");
        // The oldest item's page answers after 3 s; every later one at once.
        let (site, delay) = match n {
            0 => (&slow, Duration::from_secs(3)),
            _ => (&fast, Duration::ZERO),
        };
        items.push(numbered_item(
            site,
            &path,
            &format!("Kabar antre nomor {n:03}"),
            n,
            &format!("Antrean kabar{n:03}."),
            |r| r.delay(delay),
        ));
    }
    items.reverse();
    feed_site.route(
        "/antre.xml",
        Route::rss(rss("Antre", &feed_site.base(), &items)),
    );
    let ws = Workspace::with_feeds(&[Feed::new("antre", &feed_site.url("/antre.xml"))]);

    ws.fetch_ok();

    let slow_answered = slow
        .requests_to("/kabar-000")
        .first()
        .map(|r| r.at)
        .expect("the slow page was fetched");
    let fetched_meanwhile = fast
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/kabar-") && r.at < slow_answered)
        .count();
    // Pages after the slow one are written after it (ids follow the feed's order), so those
    // fetched meanwhile are all in hand at once: at most the budget, not the whole feed.
    let budget = warta::ingest::page_budget(16);
    assert!(
        fetched_meanwhile < budget,
        "{fetched_meanwhile} pages were fetched and held while the first one was slow; the budget is {budget}"
    );
    assert_eq!(ws.stats()["articles"], PAGES as i64);
}
