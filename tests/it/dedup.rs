//! Duplicates: the same article reached through different URLs is archived once, counted as two
//! copies, and shown as one search row.

use crate::on_both;
use crate::support::{Feed, Item, Route, Server, Workspace, int, pages, rss, string};

fn same_article_html() -> String {
    pages::article(
        "Jembatan Mahakam Ulu ditutup sementara",
        "2024-03-12T08:00:00+08:00",
        "id",
        &pages::story(
            "id",
            4242,
            &["Jembatankembar Mahakam Ulu ditutup untuk perawatan."],
        ),
    )
}

on_both! {
fn same_article_on_two_sites_with_tracking_parameters_is_one_article_with_two_copies() {
    let a = Server::start("127.0.0.2");
    let b = Server::start("127.0.0.3");
    a.route(
        "/berita/2024/03/12/jembatan-ditutup",
        Route::html(same_article_html()),
    );
    b.route(
        "/read/98765/jembatan-mahakam-ulu",
        Route::html(same_article_html()).gzip(),
    );
    let link_a = a.url(
        "/berita/2024/03/12/jembatan-ditutup?utm_source=rss&utm_medium=feed&utm_campaign=terkini",
    );
    let link_b =
        b.url("/read/98765/jembatan-mahakam-ulu?fbclid=IwAR0abcDEF123&utm_source=facebook");
    a.route(
        "/feed.xml",
        Route::rss(rss(
            "A",
            &a.base(),
            &[Item::new(
                "Jembatan Mahakam Ulu ditutup sementara",
                &link_a,
                "Tue, 12 Mar 2024 08:00:00 +0800",
                "Jembatan ditutup.",
            )],
        )),
    );
    b.route(
        "/rss",
        Route::rss(rss(
            "B",
            &b.base(),
            &[Item::new(
                "Jembatan Mahakam Ulu ditutup sementara",
                &link_b,
                "Tue, 12 Mar 2024 08:30:00 +0800",
                "Jembatan ditutup.",
            )],
        )),
    );
    let ws = Workspace::with_feeds(&[
        Feed::new("situs-a", &a.url("/feed.xml")),
        Feed::new("situs-b", &b.url("/rss")),
    ]);

    ws.fetch_ok();

    let hits = ws.search("jembatankembar", &[]);
    assert_eq!(hits.len(), 1, "one row in search: {hits:#?}");
    assert_eq!(int(&hits[0], "copies"), 2, "{hits:#?}");
    let url = string(&hits[0], "url");
    assert!(
        !url.contains("utm_") && !url.contains("fbclid"),
        "tracking parameters kept in {url}"
    );

    let stats = ws.stats();
    assert_eq!(int(&stats, "articles"), 1, "{stats:#}");
    assert_eq!(int(&stats, "copies"), 2, "{stats:#}");
    assert_eq!(int(&stats, "stories"), 1, "{stats:#}");

    let shown = ws.show(int(&hits[0], "id"));
    let others = shown["other_copies"]
        .as_array()
        .expect("other_copies is an array");
    assert_eq!(others.len(), 1, "{shown:#}");
    let feeds = [string(&shown, "feed"), string(&others[0], "feed")];
    assert!(
        feeds.contains(&"situs-a") && feeds.contains(&"situs-b"),
        "{shown:#}"
    );
}
}

on_both! {
fn url_with_tracking_parameters_and_clean_url_in_another_feed_are_one_article() {
    let site = Server::start("127.0.0.1");
    site.route(
        "/berita/banjir-bengkuring",
        Route::html(pages::article(
            "Banjir Bengkuring surut",
            "2024-03-12T08:00:00+08:00",
            "id",
            &pages::story("id", 77, &["Bengkuringsurut sejak pagi."]),
        )),
    );
    let tracked =
        site.url("/berita/banjir-bengkuring?utm_source=twitter&utm_medium=social&fbclid=XyZ987");
    let clean = site.url("/berita/banjir-bengkuring");
    site.route(
        "/sosial.xml",
        Route::rss(rss(
            "Sosial",
            &site.base(),
            &[Item::new(
                "Banjir Bengkuring surut",
                &tracked,
                "Tue, 12 Mar 2024 08:00:00 +0800",
                "Banjir surut.",
            )],
        )),
    );
    site.route(
        "/terkini.xml",
        Route::rss(rss(
            "Terkini",
            &site.base(),
            &[Item::new(
                "Banjir Bengkuring surut",
                &clean,
                "Tue, 12 Mar 2024 08:00:00 +0800",
                "Banjir surut.",
            )],
        )),
    );
    let ws = Workspace::with_feeds(&[
        Feed::new("sosial", &site.url("/sosial.xml")),
        Feed::new("terkini", &site.url("/terkini.xml")),
    ]);

    ws.fetch_ok();

    let hits = ws.search("bengkuringsurut", &[]);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(string(&hits[0], "url"), clean);
    assert_eq!(int(&ws.stats(), "articles"), 1);
    // --all lists every place the article was seen; each row is still the one article, under
    // its canonical URL.
    let id = int(&hits[0], "id");
    for copy in ws.search("bengkuringsurut", &["--all"]) {
        assert_eq!(int(&copy, "id"), id, "{copy:#}");
        assert_eq!(
            string(&copy, "url"),
            clean,
            "url is the canonical URL: {copy:#}"
        );
    }
}
}

on_both! {
fn a_second_fetch_archives_nothing_new() {
    let site = Server::start("127.0.0.1");
    let mut items = Vec::new();
    for i in 0..3u64 {
        let path = format!("/b/{i}");
        site.route(
            &path,
            Route::html(pages::article(
                &format!("Ulang {i}"),
                "2024-03-12T08:00:00+08:00",
                "id",
                &pages::story("id", 500 + i, &["Ulangtes."]),
            )),
        );
        items.push(Item::new(
            &format!("Ulang {i}"),
            &site.url(&path),
            "Tue, 12 Mar 2024 08:00:00 +0800",
            "Ulang.",
        ));
    }
    // No validators: the feed comes back whole and the items must be recognised as known.
    site.route("/feed.xml", Route::rss(rss("Ulang", &site.base(), &items)));
    let ws = Workspace::with_feeds(&[Feed::new("ulang", &site.url("/feed.xml"))]);

    ws.fetch_ok();
    ws.fetch_ok();

    let stats = ws.stats();
    assert_eq!(int(&stats, "articles"), 3, "{stats:#}");
    assert_eq!(ws.search("ulangtes", &["--all"]).len(), 3);
    for i in 0..3 {
        assert_eq!(
            site.requests_to(&format!("/b/{i}")).len(),
            1,
            "a known item's page was fetched again"
        );
    }
}
}
