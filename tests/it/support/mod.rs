//! Shared helpers of the end-to-end suite: the fixture HTTP server, feeds and pages to serve,
//! the per-test workspace, and running the binary.

#![allow(dead_code)]

pub mod bench;
pub mod cmd;
#[path = "../../fixtures/pg_server.rs"]
pub mod pg_server;
pub mod evil;
pub mod pages;
pub mod proxy;
pub mod rss;
pub mod server;
pub mod sites;
pub mod smtp;
pub mod workspace;

pub use cmd::{assert_no_panic, send_signal};
pub use pg_server::{Backend, run_on};
pub use rss::{Item, rss};
pub use server::{Route, Server};
pub use workspace::{
    Feed, Workspace, assert_names_line, config_text, instant, int, line_of, opt_string, opt_time,
    string, time,
};

/// A feed on the fixture server whose one article (found by `kabarbaik`) is archived whatever
/// happens to the other feeds of a run.
pub fn good_feed(site: &Server) -> Feed {
    site.route(
        "/baik/1",
        Route::html(pages::article(
            "Kabar baik tetap diarsipkan",
            "2024-03-12T08:00:00+08:00",
            "id",
            &pages::story("id", 91, &["Kabarbaik tetap diarsipkan."]),
        )),
    );
    site.route(
        "/baik.xml",
        Route::rss(rss(
            "Baik",
            &site.base(),
            &[Item::new(
                "Kabar baik tetap diarsipkan",
                &site.url("/baik/1"),
                "Tue, 12 Mar 2024 08:00:00 +0800",
                "Baik.",
            )],
        )),
    );
    Feed::new("kanal-baik", &site.url("/baik.xml"))
}

/// Serves at `path` on `site` an Indonesian article page whose body is `paragraphs`,
/// published 2024-11-20 10:15 WITA.
pub fn serve_article(site: &Server, path: &str, title: &str, paragraphs: &[String]) {
    site.route(
        path,
        Route::html(pages::article(
            title,
            "2024-11-20T10:15:00+08:00",
            "id",
            paragraphs,
        )),
    );
}

/// Serves each (path, title, paragraphs) on `site` as an Indonesian article published
/// 2024-11-20 10:15 WITA, and a feed of them at `/rss` (replacing any feed there).
pub fn publish<P: AsRef<str>>(site: &Server, stories: &[(P, &str, Vec<String>)]) {
    let mut items = Vec::new();
    for (path, title, paragraphs) in stories {
        let path = path.as_ref();
        serve_article(site, path, title, paragraphs);
        items.push(Item::new(
            title,
            &site.url(path),
            "Wed, 20 Nov 2024 10:00:00 +0800",
            "ringkas",
        ));
    }
    site.route("/rss", Route::rss(rss("Kaltim", &site.base(), &items)));
}

/// Polls `check` every 100 ms until it is true or `limit` passes; returns whether it became true.
pub fn wait_until(limit: std::time::Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    loop {
        if check() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Item `n` of a numbered series: an Indonesian article titled `title` and found by `marker`,
/// served at `path` on `site` (through `route`, e.g. to slow it down), and the feed item that
/// links to it, dated `n` seconds into the day so that feed order is number order.
pub fn numbered_item(
    site: &Server,
    path: &str,
    title: &str,
    n: usize,
    marker: &str,
    route: impl FnOnce(Route) -> Route,
) -> Item {
    let body = pages::story("id", 50_000 + n as u64, &[marker]);
    let html = pages::article(title, "2024-03-12T08:00:00+08:00", "id", &body);
    site.route(path, route(Route::html(html)));
    let date = format!(
        "Tue, 12 Mar 2024 {:02}:{:02}:{:02} +0800",
        n / 3600,
        n / 60 % 60,
        n % 60
    );
    Item::new(title, &site.url(path), &date, &format!("Kabar {n}."))
}

/// End-to-end tests that hold for either store, each run on both: `NAME::sqlite` and
/// `NAME::postgres` (a database of its own on the test server; see `pg_server.rs`).
#[macro_export]
macro_rules! on_both {
    ($($(#[$meta:meta])* fn $name:ident() $body:block)*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn the_test() $body
            #[test]
            fn sqlite() {
                $crate::support::run_on($crate::support::Backend::Sqlite, stringify!($name), the_test);
            }
            #[test]
            fn postgres() {
                $crate::support::run_on($crate::support::Backend::Postgres, stringify!($name), the_test);
            }
        }
    )*};
}
