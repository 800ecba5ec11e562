//! Per-source request options (issue 15): a feed's headers, user agent, cookies and basic
//! auth reach its own host, for the feed and its pages, and never another host its items
//! link to; the password comes from the environment and is printed nowhere.

use crate::support::proxy::Proxy;
use crate::support::workspace::config_text;
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

fn one_item_site(ip: &str, path: &str, seed: u64) -> Server {
    let site = Server::start(ip);
    site.route(
        path,
        Route::html(pages::article(
            "Lewat proksi",
            "2024-11-20T10:00:00+08:00",
            "id",
            &pages::story("id", seed, &["Lewatproksi."]),
        )),
    );
    site.route(
        "/feed.xml",
        Route::rss(rss(
            "P",
            &site.base(),
            &[Item::new(
                "Lewat proksi",
                &site.url(path),
                "Wed, 20 Nov 2024 10:00:00 +0800",
                "r",
            )],
        )),
    );
    site
}

/// A feed's own proxy (HTTP) carries its feed and its page; `[fetch] proxy` (SOCKS5)
/// carries every other source's requests.
#[test]
fn requests_go_through_the_proxy_their_source_names() {
    let http = Proxy::http();
    let socks = Proxy::socks5();
    let own = one_item_site("127.0.0.1", "/berita/proksi", 70);
    let rest = one_item_site("127.0.0.2", "/berita/lain", 71);
    let ws = Workspace::new();
    ws.write_config(&config_text(
        &[&format!("proxy = \"socks5://{}\"", socks.addr)],
        &[
            Feed::new("lewat-http", &own.url("/feed.xml"))
                .with(&format!("proxy = \"http://{}\"", http.addr)),
            Feed::new("lewat-socks", &rest.url("/feed.xml")),
        ],
    ));
    ws.fetch_ok();
    assert_eq!(int(&ws.stats(), "articles"), 2);
    assert_eq!(
        http.asked(),
        [
            own.url("/feed.xml"),
            own.url("/robots.txt"),
            own.url("/berita/proksi")
        ],
        "the feed's own proxy"
    );
    let rest_host = rest.addr().to_string();
    assert!(
        !socks.asked().is_empty() && socks.asked().iter().all(|a| a == &rest_host),
        "{:?}",
        socks.asked()
    );
    assert_eq!(own.requests().len(), 3);
    assert_eq!(rest.requests().len(), 3);
}

/// Without `[fetch] proxy`, HTTP_PROXY from the environment is used, but for the hosts
/// NO_PROXY lists.
#[test]
fn the_environments_proxy_is_honoured_with_no_proxy() {
    let http = Proxy::http();
    let via = one_item_site("127.0.0.1", "/berita/lewat", 72);
    let direct = one_item_site("127.0.0.2", "/berita/langsung", 73);
    let ws = Workspace::with_feeds(&[
        Feed::new("lewat", &via.url("/feed.xml")),
        Feed::new("langsung", &direct.url("/feed.xml")),
    ]);
    let mut fetch = ws.command(&["fetch"]);
    fetch
        .env("HTTP_PROXY", format!("http://{}", http.addr))
        .env("NO_PROXY", "127.0.0.2");
    cmd::run_command(fetch, None, std::time::Duration::from_secs(120)).ok();
    assert_eq!(int(&ws.stats(), "articles"), 2);
    let asked = http.asked();
    assert!(asked.contains(&via.url("/feed.xml")), "{asked:?}");
    assert!(asked.contains(&via.url("/berita/lewat")), "{asked:?}");
    assert!(
        asked.iter().all(|a| !a.contains("127.0.0.2")),
        "NO_PROXY host went through the proxy: {asked:?}"
    );
}
