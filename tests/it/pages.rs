//! Articles split over several pages are followed and joined during ingest; pages that are
//! not the article (consent walls, paywall teasers, error pages) keep the feed's text and
//! say why (issue 3).

use crate::support::{Feed, Item, Route, Server, Workspace, int, pages, rss, string};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/extract/pages");

/// A fixture page with its real site's origin replaced by the fixture server's.
fn page(name: &str, origin: &str, site: &Server) -> Route {
    let html = std::fs::read_to_string(format!("{FIXTURES}/{name}")).expect("fixture page");
    Route::html(html.replace(origin, &site.base()))
}

#[test]
fn an_article_over_three_pages_is_archived_whole() {
    let site = Server::start("127.0.0.1");
    let origin = "https://kaltim.tribunnews.com";
    let path = "/2024/11/20/banjir-rendam-tiga-kelurahan-di-samarinda";
    site.route(path, page("tribun-page1.html", origin, &site));
    site.route(
        &format!("{path}?page=2"),
        page("tribun-page2.html", origin, &site),
    );
    site.route(
        &format!("{path}?page=3"),
        page("tribun-page3.html", origin, &site),
    );
    site.route(
        "/rss",
        Route::rss(rss(
            "Tribun",
            &site.base(),
            &[Item::new(
                "Banjir rendam tiga kelurahan",
                &site.url(path),
                "Wed, 20 Nov 2024 10:15:00 +0800",
                "ringkas",
            )],
        )),
    );
    let ws = Workspace::with_feeds(&[Feed::new("tribun", &site.url("/rss"))]);
    ws.fetch_ok();
    assert_eq!(int(&ws.stats(), "articles"), 1);
    let pages_seen: Vec<String> = site.requests().iter().map(|r| r.target.clone()).collect();
    for n in [2, 3] {
        assert!(
            pages_seen.contains(&format!("{path}?page={n}")),
            "page {n} not fetched: {pages_seen:?}"
        );
    }
    let hit = &ws.search("banjir", &[])[0];
    let shown = ws.show(int(hit, "id"));
    let body = string(&shown, "body");
    let last_page =
        std::fs::read_to_string(format!("{FIXTURES}/tribun-page3.html")).expect("page 3");
    // A sentence only the last page has is in the archived body.
    let marker = last_page
        .split("<p>")
        .skip(1)
        .filter_map(|p| p.split("</p>").next())
        .find(|p| p.len() > 60 && !p.contains('<'))
        .expect("a paragraph on page 3");
    assert!(
        body.contains(marker.trim()),
        "page 3's {marker:?} missing from:\n{body}"
    );
    assert!(string(&shown, "note").contains("3 pages"), "{shown:#}");
}

/// A page announcing its next page only with `<link rel="next">`, numbered in a way no
/// rule knows ("/bagian-2"): followed and joined like a numbered page (issue 15).
#[test]
fn a_page_named_by_rel_next_is_followed_and_joined() {
    let site = Server::start("127.0.0.1");
    let path = "/2024/11/20/bimtek-aparatur-desa";
    let next = format!("{path}/bagian-2");
    let first = pages::article(
        "Bimtek aparatur desa",
        "2024-11-20T10:15:00+08:00",
        "id",
        &pages::story("id", 31, &["Halamanpertama."]),
    )
    .replace(
        "</head>",
        &format!("<link rel=\"next\" href=\"{next}\"></head>"),
    );
    let second = pages::article(
        "Bimtek aparatur desa",
        "2024-11-20T10:15:00+08:00",
        "id",
        &pages::story("id", 32, &["Halamankedua."]),
    );
    site.route(path, Route::html(first));
    site.route(&next, Route::html(second));
    site.route(
        "/rss",
        Route::rss(rss(
            "Kutim",
            &site.base(),
            &[Item::new(
                "Bimtek aparatur desa",
                &site.url(path),
                "Wed, 20 Nov 2024 10:15:00 +0800",
                "ringkas",
            )],
        )),
    );
    let ws = Workspace::with_feeds(&[Feed::new("kutim", &site.url("/rss"))]);
    ws.fetch_ok();
    assert_eq!(int(&ws.stats(), "articles"), 1);
    let shown = ws.show(int(&ws.search_one("Halamanpertama"), "id"));
    assert!(string(&shown, "body").contains("Halamankedua"), "{shown:#}");
}

#[test]
fn a_paywall_teaser_is_archived_with_its_visible_text_marked_partial() {
    let site = Server::start("127.0.0.1");
    site.route(
        "/premium",
        page("paywall-id.html", "https://example.invalid", &site),
    );
    site.route(
        "/rss",
        Route::rss(rss(
            "S",
            &site.base(),
            &[Item::new(
                "Tambang batu bara ilegal",
                &site.url("/premium"),
                "Wed, 20 Nov 2024 10:15:00 +0800",
                "Ringkas.",
            )],
        )),
    );
    let ws = Workspace::with_feeds(&[Feed::new("s", &site.url("/rss"))]);
    ws.fetch_ok();
    let hit = ws.search_one("tenggarong");
    let shown = ws.show(int(&hit, "id"));
    assert_eq!(string(&shown, "source"), "page", "{shown:#}");
    assert_eq!(string(&shown, "partial"), "paywall", "{shown:#}");
    assert!(
        string(&shown, "body").starts_with("TENGGARONG - Aktivitas tambang"),
        "{shown:#}"
    );
    assert!(
        !string(&shown, "body").contains("Berlangganan"),
        "{shown:#}"
    );
    let run = ws.run(&["show", &int(&hit, "id").to_string()]);
    run.ok();
    assert!(run.stdout.contains("partial:   paywall"), "{run:?}");
}

#[test]
fn a_consent_wall_or_error_page_keeps_the_feed_text_with_the_reason() {
    let site = Server::start("127.0.0.1");
    site.route(
        "/a",
        page("consent-id.html", "https://example.invalid", &site),
    );
    site.route(
        "/b",
        page("error-id.html", "https://example.invalid", &site),
    );
    let text = "Ringkasan dari feed tentang banjir di Samarinda yang merendam tiga kelurahan.";
    site.route(
        "/rss",
        Route::rss(rss(
            "S",
            &site.base(),
            &[
                Item::new(
                    "Tembok persetujuan",
                    &site.url("/a"),
                    "Wed, 20 Nov 2024 10:15:00 +0800",
                    text,
                ),
                Item::new(
                    "Halaman galat",
                    &site.url("/b"),
                    "Wed, 20 Nov 2024 11:15:00 +0800",
                    "Teks feed kedua tentang jembatan.",
                ),
            ],
        )),
    );
    let ws = Workspace::with_feeds(&[Feed::new("s", &site.url("/rss"))]);
    ws.fetch_ok();
    let hit = ws.search_one("samarinda");
    let shown = ws.show(int(&hit, "id"));
    assert_eq!(string(&shown, "source"), "feed");
    assert_eq!(string(&shown, "body"), text);
    assert!(string(&shown, "note").contains("consent"), "{shown:#}");
    let hit = ws.search_one("jembatan");
    let shown = ws.show(int(&hit, "id"));
    assert_eq!(string(&shown, "source"), "feed");
    assert!(string(&shown, "note").contains("error page"), "{shown:#}");
}
