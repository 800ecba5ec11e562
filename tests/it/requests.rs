//! Per-source request options (issue 15): a feed's headers, user agent, cookies and basic
//! auth reach its own host, for the feed and its pages, and never another host its items
//! link to; the password comes from the environment and is printed nowhere.

use crate::support::{Feed, Item, Route, Server, Workspace, cmd, int, pages, rss};

#[test]
fn a_feeds_request_options_reach_its_host_and_no_other() {
    let own = Server::start("127.0.0.1");
    let other = Server::start("127.0.0.2");
    for (site, path, seed) in [(&own, "/berita/satu", 1u64), (&other, "/berita/dua", 2)] {
        site.route(
            path,
            Route::html(pages::article(
                "Berita",
                "2024-11-20T10:00:00+08:00",
                "id",
                &pages::story("id", 60 + seed, &["Opsipermintaan."]),
            )),
        );
    }
    own.route(
        "/anggota.xml",
        Route::rss(rss(
            "Anggota",
            &own.base(),
            &[
                Item::new(
                    "Satu",
                    &own.url("/berita/satu"),
                    "Wed, 20 Nov 2024 10:00:00 +0800",
                    "r",
                ),
                Item::new(
                    "Dua",
                    &other.url("/berita/dua"),
                    "Wed, 20 Nov 2024 11:00:00 +0800",
                    "r",
                ),
            ],
        )),
    );
    let ws = Workspace::with_feeds(&[Feed::new("anggota", &own.url("/anggota.xml"))
        .with("headers = { \"X-Api-Key\" = \"kunci-123\" }")
        .with("user_agent = \"PembacaAnggota/1.0\"")
        .with("cookies = { consent = \"yes\" }")
        .with("auth = { user = \"pembaca\", password_env = \"WARTA_TEST_FEED_PASSWORD\" }")]);

    // Without the variable nothing is fetched, and the error names it; reading the
    // archive needs no password.
    let refused = ws.run(&["fetch"]);
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("WARTA_TEST_FEED_PASSWORD") && refused.stderr.contains("anggota"),
        "{refused:?}"
    );
    assert!(own.requests().is_empty());

    let mut fetch = ws.command(&["fetch"]);
    fetch.env("WARTA_TEST_FEED_PASSWORD", "rahasia-sekali");
    let run = cmd::run_command(fetch, None, std::time::Duration::from_secs(120));
    run.ok();
    assert!(!run.stdout.contains("rahasia") && !run.stderr.contains("rahasia"));
    assert_eq!(int(&ws.stats(), "articles"), 2);

    // "pembaca:rahasia-sekali" in base64.
    let basic = "Basic cGVtYmFjYTpyYWhhc2lhLXNla2FsaQ==";
    for path in ["/anggota.xml", "/berita/satu"] {
        let asked = own.requests_to(path);
        assert_eq!(asked.len(), 1, "{path}: {asked:#?}");
        let r = &asked[0];
        assert_eq!(r.header("authorization"), Some(basic), "{path}");
        assert_eq!(r.header("x-api-key"), Some("kunci-123"), "{path}");
        assert_eq!(r.header("cookie"), Some("consent=yes"), "{path}");
        assert_eq!(r.header("user-agent"), Some("PembacaAnggota/1.0"), "{path}");
    }
    let elsewhere = other.requests_to("/berita/dua");
    assert_eq!(elsewhere.len(), 1, "{elsewhere:#?}");
    let r = &elsewhere[0];
    for name in ["authorization", "x-api-key", "cookie"] {
        assert_eq!(r.header(name), None, "{name} leaked to another host");
    }
    assert_ne!(r.header("user-agent"), Some("PembacaAnggota/1.0"));
}
