//! Feedback and Ctrl-C during long work (issue 11, point 6): `fetch` writes pages as they come
//! in, so SIGINT or SIGTERM stops it within seconds keeping every finished page, says how many
//! articles it stored and how many pages it left, exits 1, and the next `fetch` takes up the
//! rest with nothing twice. `-v` logs one line per page.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::support::{
    Feed, Item, Route, Server, Workspace, int, numbered_item, rss, send_signal, string, wait_until,
};

const PAGES: usize = 30;

/// One feed of [`PAGES`] articles whose pages each take `delay` to answer.
fn slow_site(delay: Duration) -> (Server, Workspace) {
    let site = Server::start("127.0.0.1");
    let items: Vec<Item> = (0..PAGES)
        .map(|n| {
            numbered_item(
                &site,
                &format!("/berita/sela-{n:02}"),
                &format!("Kabar sela nomor {n:02}"),
                n,
                &format!("Arsipsela kabar{n:02} tercatat."),
                |r| r.delay(delay),
            )
        })
        .collect();
    site.route("/feed.xml", Route::rss(rss("Sela", &site.base(), &items)));
    let ws = Workspace::with_feeds(&[Feed::new("kanal-sela", &site.url("/feed.xml"))]);
    (site, ws)
}

/// The two counts of "interrupted: N articles stored, M pages left for the next run".
#[track_caller]
fn kept_and_left(stderr: &str) -> (i64, i64) {
    let line = stderr
        .lines()
        .find(|l| l.contains("interrupted: "))
        .unwrap_or_else(|| panic!("no interrupted line in\n{stderr}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let number_before = |word: &str| -> i64 {
        let at = words
            .iter()
            .position(|w| w.trim_end_matches(',') == word)
            .unwrap_or_else(|| panic!("no {word:?} in {line:?}"));
        words[at - 1]
            .parse()
            .unwrap_or_else(|_| panic!("no count before {word:?} in {line:?}"))
    };
    assert!(line.contains("left for the next run"), "{line}");
    let stored = if line.contains(" article stored") {
        number_before("article")
    } else {
        number_before("articles")
    };
    let left = if line.contains(" page left") {
        number_before("page")
    } else {
        number_before("pages")
    };
    (stored, left)
}

fn stop_then_resume(signal: &str) {
    let (_site, ws) = slow_site(Duration::from_millis(300));
    let mut first = ws.spawn(&["fetch"]);
    // Some pages are committed while the fetch goes on: the reader sees them.
    assert!(
        wait_until(Duration::from_secs(60), || {
            ws.db_path().exists() && {
                let run = ws.run(&["stats", "--format", "json"]);
                run.code == Some(0) && int(&run.json(), "articles") >= 4
            }
        }),
        "no articles were stored while the fetch ran\n{}",
        first.stderr()
    );
    assert!(first.still_running(), "the fetch ended before the signal");
    let sent = Instant::now();
    send_signal(first.pid(), signal);
    let status = first.wait(Duration::from_secs(20));
    let took = sent.elapsed();
    let stderr = first.stderr();
    crate::support::assert_no_panic("the interrupted fetch", &stderr);
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(1),
        "exit status after SIG{signal}\n{stderr}"
    );
    // A bound against a hang, not a timing claim: pages in flight are dropped, not awaited.
    assert!(
        took < Duration::from_secs(15),
        "stopping took {took:?}\n{stderr}"
    );
    let (stored, left) = kept_and_left(&stderr);
    assert!(stored >= 4 && left > 0, "{stderr}");
    assert_eq!(
        stored + left,
        PAGES as i64,
        "every page is stored or left\n{stderr}"
    );
    assert!(first.stdout().contains("interrupted"), "{}", first.stdout());
    assert_eq!(int(&ws.stats(), "articles"), stored, "{stderr}");

    // The next fetch takes up the rest, and says so page by page at -v.
    let again = ws.run(&["-v", "fetch"]);
    again.ok();
    let page_lines = again
        .stderr
        .lines()
        .filter(|l| l.contains("/berita/sela-") && l.contains("elapsed_ms="))
        .count();
    assert_eq!(
        page_lines as i64, left,
        "one line per page fetched\n{again:?}"
    );
    assert!(again.stderr.contains("outcome=\"extracted\""), "{again:?}");
    assert_eq!(int(&ws.stats(), "articles"), PAGES as i64);
    let hits = ws.search_all_copies("arsipsela");
    let urls: Vec<&str> = hits.iter().map(|h| string(h, "url")).collect();
    let unique: BTreeSet<&str> = urls.iter().copied().collect();
    assert_eq!(urls.len(), PAGES, "{urls:#?}");
    assert_eq!(
        unique.len(),
        PAGES,
        "an article was archived twice: {urls:#?}"
    );
}

#[test]
fn sigint_keeps_every_finished_page_and_the_next_fetch_takes_up_the_rest() {
    stop_then_resume("INT");
}

#[test]
fn sigterm_keeps_every_finished_page_and_the_next_fetch_takes_up_the_rest() {
    stop_then_resume("TERM");
}
