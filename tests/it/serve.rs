//! `warta serve` (issue 17), against the real binary over loopback: the API's JSON equals the
//! command line's, errors are JSON with their status, hostile titles and bodies come out
//! escaped and sanitized, every answer carries the security headers, and anywhere but
//! loopback needs a token.

use crate::on_both;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

use crate::support::cmd::Background;
use crate::support::{Feed, Item, Route, Server, Workspace, pages, rss, wait_until};

/// One HTTP/1.1 exchange: status, head (lower-cased), body.
fn http(addr: &str, request: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let out = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_string())
}

fn get(addr: &str, path: &str, extra: &str) -> (u16, String, String) {
    http(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}\r\n"),
    )
}

fn json(addr: &str, path: &str) -> (u16, Value) {
    let (status, _, body) = get(addr, path, "");
    let v =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {body}"));
    (status, v)
}

const HOSTILE_TITLE: &str = "<script>alert('judul')</script> Banjir Sangatta";

/// A site with a flood report and a page whose title and body try to run script, load an
/// image from elsewhere and link to javascript:.
pub(crate) fn site() -> Server {
    let s = Server::start("127.0.0.1");
    let banjir = pages::story("id", 71, &["Banjir merendam Sangatta Utara sejak pagi."]);
    s.route(
        "/banjir",
        Route::html(pages::article(
            HOSTILE_TITLE,
            "2024-11-20T10:15:00+08:00",
            "id",
            &banjir,
        )),
    );
    let paragraphs: String = pages::story("id", 72, &["Jembatanrusak di Kutai Timur diperbaiki."])
        .iter()
        .map(|p| format!("<p>{p}</p>"))
        .collect();
    s.route(
        "/jembatan",
        Route::html(format!(
            "<!DOCTYPE html><html lang=\"id\"><head><meta charset=\"utf-8\"><title>Jembatan diperbaiki</title>\
             <meta property=\"article:published_time\" content=\"2024-11-21T09:00:00+08:00\"></head><body><article>\
             <h1>Jembatan diperbaiki</h1>{paragraphs}\
             <p>Foto: <img src=\"http://evil.example/x.png\" onerror=\"alert(1)\"> \
             <a href=\"javascript:alert(2)\" onclick=\"alert(3)\">klik</a> \
             <a href=\"https://example.org/lanjut\">lanjut</a></p></article></body></html>"
        )),
    );
    let items = vec![
        Item::new(
            HOSTILE_TITLE,
            &s.url("/banjir"),
            "Wed, 20 Nov 2024 10:15:00 +0800",
            "r",
        ),
        Item::new(
            "Jembatan diperbaiki",
            &s.url("/jembatan"),
            "Thu, 21 Nov 2024 09:00:00 +0800",
            "r",
        ),
    ];
    s.route("/rss", Route::rss(rss("Uji", &s.base(), &items)));
    s
}

/// The address a `serve` (or a daemon serving) says it listens at, once it has said it.
fn address_said(process: &Background) -> String {
    let mut addr = None;
    let said = wait_until(Duration::from_secs(20), || {
        addr = process
            .stderr()
            .split("http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .map(str::to_string);
        addr.is_some()
    });
    assert!(said, "no address said\n{}", process.stderr());
    addr.unwrap_or_default()
}

/// `warta serve` on `listen`, and the address it says it serves at.
pub(crate) fn serve(ws: &Workspace, listen: &str, env: &[(&str, &str)]) -> (Background, String) {
    let mut c = ws.command(&["serve", "--listen", listen]);
    for (k, v) in env {
        c.env(k, v);
    }
    let server = Background::spawn(c);
    let addr = address_said(&server);
    // 0.0.0.0 is reached through loopback.
    (server, addr.replace("0.0.0.0", "127.0.0.1"))
}

on_both! {
fn the_api_answers_with_the_command_lines_json_and_errors_as_json() {
    let site = site();
    let ws = Workspace::with_feeds(&[Feed::new("uji", &site.url("/rss"))]);
    ws.fetch_ok();
    let (mut server, addr) = serve(&ws, "127.0.0.1:0", &[]);

    let cli = ws
        .run(&["search", "banjir", "--format", "json"])
        .ok()
        .json();
    let (status, api) = json(&addr, "/api/search?q=banjir");
    assert_eq!(status, 200);
    assert_eq!(api["hits"], cli, "the same hits, the same objects");
    assert_eq!(api["hits"].as_array().map(Vec::len), Some(1));
    let id = api["hits"][0]["id"].as_i64().unwrap();

    let (_, article) = json(&addr, &format!("/api/articles/{id}"));
    assert_eq!(article, ws.show(id));
    let (_, feeds) = json(&addr, "/api/feeds");
    assert_eq!(feeds, ws.run(&["feeds", "--format", "json"]).ok().json());
    let (_, stats) = json(&addr, "/api/stats");
    assert_eq!(stats, ws.stats());
    let story = article["story"].as_i64().unwrap();
    let (status, s) = json(&addr, &format!("/api/stories/{story}"));
    assert_eq!(status, 200);
    assert_eq!(s["copies"], article["story_copies"]);

    // Paging: one a page, the next offset named.
    let (_, page) = json(&addr, "/api/search?limit=1");
    assert_eq!(page["hits"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["next_offset"], 1);
    let (_, second) = json(&addr, "/api/search?limit=1&offset=1");
    assert_ne!(second["hits"][0]["id"], page["hits"][0]["id"]);

    for (path, want) in [
        ("/api/articles/99999", 404),
        ("/api/articles/abc", 400),
        ("/api/stories/99999", 404),
        ("/api/search?sort=acak", 400),
        ("/api/search?q=%22tanpa%20akhir", 400),
        ("/api/search?feed=tidak-ada", 400),
        ("/api/tidak-ada", 404),
    ] {
        let (status, e) = json(&addr, path);
        assert_eq!(status, want, "{path}: {e}");
        assert!(
            e["error"].as_str().is_some_and(|m| !m.is_empty()),
            "{path}: {e}"
        );
    }
    let (status, doc) = json(&addr, "/api/openapi.json");
    assert_eq!(status, 200);
    assert!(doc["paths"]["/api/search"].is_object());
    server.stop_cleanly();
}
}

on_both! {
fn pages_escape_hostile_text_sanitize_bodies_and_send_the_security_headers() {
    let site = site();
    let ws = Workspace::with_feeds(&[Feed::new("uji", &site.url("/rss"))]);
    ws.fetch_ok();
    let (mut server, addr) = serve(&ws, "127.0.0.1:0", &[]);

    let (status, head, body) = get(&addr, "/search?q=banjir", "");
    assert_eq!(status, 200);
    assert!(
        head.contains("content-security-policy: default-src 'none'"),
        "{head}"
    );
    assert!(!head.contains("unsafe-inline"));
    assert!(head.contains("x-content-type-options: nosniff"));
    assert!(
        body.contains("&lt;script&gt;alert("),
        "the title is shown as text"
    );
    assert!(!body.contains("<script"), "no script runs:\n{body}");
    assert!(body.contains("<mark>"), "matches marked");
    assert!(body.contains("lang=\"id\""), "Indonesian by default");

    let jembatan = ws.search_one("jembatanrusak");
    let id = jembatan["id"].as_i64().unwrap();
    let (status, _, page) = get(&addr, &format!("/articles/{id}"), "");
    assert_eq!(status, 200);
    for bad in [
        "<img",
        "src=",
        "onerror",
        "onclick",
        "javascript:",
        "<script",
    ] {
        assert!(!page.contains(bad), "{bad} in the article page:\n{page}");
    }
    // The picture is not loaded; it is a link the reader may follow.
    assert!(
        page.contains(
            "<a href=\"http://evil.example/x.png\" rel=\"noopener noreferrer nofollow\">x.png</a>"
        ),
        "{page}"
    );
    assert!(page.contains("Jembatanrusak"), "{page}");
    // The kept page: the publisher's HTML as archived, as text that never runs.
    let (status, head, kept) = get(&addr, &format!("/articles/{id}/raw"), "");
    assert_eq!(status, 200);
    assert!(
        head.contains("content-type: text/plain; charset=utf-8"),
        "{head}"
    );
    assert!(kept.contains("onerror=\"alert(1)\""), "as archived: {kept}");
    assert!(
        page.contains(&format!("/articles/{id}/raw")),
        "linked from the reader"
    );

    let (_, _, en) = get(&addr, "/?lang=en", "");
    assert!(en.contains("Overview") && en.contains("lang=\"en\""));
    let (_, _, en) = get(&addr, "/feeds", "Accept-Language: en-US,en;q=0.9\r\n");
    assert!(en.contains("Sources"));
    let (_, _, id_page) = get(&addr, "/feeds", "");
    assert!(id_page.contains("Sumber"));
    assert!(id_page.contains("WITA") || id_page.contains("UTC") || id_page.contains("+0"));

    for (path, want) in [
        ("/articles/99999", 404),
        ("/articles/..%2f..%2fetc%2fpasswd", 400),
        ("/static/../Cargo.toml", 404),
        ("/tidak-ada", 404),
    ] {
        let (status, head, _) = get(&addr, path, "");
        assert_eq!(status, want, "{path}");
        assert!(head.contains("content-security-policy"), "{path}");
    }
    server.stop_cleanly();
}
}

on_both! {
fn anywhere_but_loopback_needs_a_token_and_every_request_carries_it() {
    let site = site();
    let ws = Workspace::with_feeds(&[Feed::new("uji", &site.url("/rss"))]);
    ws.fetch_ok();
    ws.run(&["serve", "--listen", "0.0.0.0:0"])
        .expect_code(2)
        .stderr_names("token_env");

    let config = std::fs::read_to_string(ws.config_path()).unwrap();
    ws.write_config(&format!(
        "{config}\n[serve]\ntoken_env = \"WARTA_TEST_SERVE_TOKEN\"\n"
    ));
    const TOKEN: &str = "token-rahasia-42";
    let (mut server, addr) = serve(&ws, "0.0.0.0:0", &[("WARTA_TEST_SERVE_TOKEN", TOKEN)]);

    let (status, _, body) = get(&addr, "/api/stats", "");
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("Bearer"));
    let (status, _, _) = get(&addr, "/api/stats", "Authorization: Bearer salah\r\n");
    assert_eq!(status, 401);
    let (status, _, _) = get(
        &addr,
        "/api/stats",
        &format!("Authorization: Bearer {TOKEN}\r\n"),
    );
    assert_eq!(status, 200);

    // A browser is sent to the login form, which sets the cookie.
    let (status, head, _) = get(&addr, "/search?q=banjir", "");
    assert!(matches!(status, 303 | 307), "{status} {head}");
    assert!(head.contains("location: /login"), "{head}");
    let form = |token: &str| {
        let body = format!("token={token}");
        http(
            &addr,
            &format!(
                "POST /login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
        )
    };
    let (status, _, _) = form("salah");
    assert_eq!(status, 401);
    // A body past the 16 KiB limit is refused before it is read whole.
    let (status, _, _) = form(&"x".repeat(64 * 1024));
    assert_eq!(status, 413);
    let (_, head, _) = form(TOKEN);
    assert!(head.contains("set-cookie: warta_token="), "{head}");
    assert!(
        head.contains("httponly") && head.contains("samesite=strict"),
        "{head}"
    );
    let (status, _, body) = get(
        &addr,
        "/search?q=banjir",
        &format!("Cookie: warta_token={TOKEN}\r\n"),
    );
    assert_eq!(status, 200);
    assert!(body.contains("Banjir"));
    server.stop_cleanly();
    assert!(
        !server.stderr().contains(TOKEN),
        "the token is never printed"
    );
}
}

on_both! {
fn the_overview_counts_days_sites_and_the_widest_story_and_feeds_show_their_days() {
    // One release on two sites, published today.
    let today = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let rss_date = chrono::Utc::now().to_rfc2822();
    let release = pages::story(
        "id",
        81,
        &["Festivalpesut digelar di Muara Kaman pekan ini."],
    );
    let sites: Vec<Server> = ["127.0.0.2", "127.0.0.3"]
        .iter()
        .map(|ip| {
            let s = Server::start(ip);
            s.route(
                "/festival",
                Route::html(pages::article(
                    "Festival pesut Mahakam",
                    &today,
                    "id",
                    &release,
                )),
            );
            let items = vec![Item::new(
                "Festival pesut Mahakam",
                &s.url("/festival"),
                &rss_date,
                "r",
            )];
            s.route("/rss", Route::rss(rss("Uji", &s.base(), &items)));
            s
        })
        .collect();
    let ws = Workspace::with_feeds(&[
        Feed::new("situs-a", &sites[0].url("/rss")),
        Feed::new("situs-b", &sites[1].url("/rss")),
    ]);
    let config = std::fs::read_to_string(ws.config_path()).unwrap();
    ws.write_config(&format!(
        "{config}\n[[watch]]\nname = \"pesut\"\nquery = \"festivalpesut\"\n"
    ));
    ws.fetch_ok();
    let (mut server, addr) = serve(&ws, "127.0.0.1:0", &[]);
    let (status, _, page) = get(&addr, "/?lang=id", "");
    assert_eq!(status, 200);
    let widest = page
        .split("Paling luas menyebar pekan ini")
        .nth(1)
        .unwrap_or_default();
    assert!(
        widest.contains("Festival pesut Mahakam</a> — 2 situs"),
        "{widest}"
    );
    for host in ["127.0.0.2:", "127.0.0.3:"] {
        assert!(page.contains(host), "{host} among the top sites");
    }
    assert!(
        page.contains("<svg role=\"img\""),
        "the chart is inline SVG"
    );
    assert!(
        page.contains(&today[..10]),
        "the chart ends today ({}), and its table lists the day",
        &today[..10]
    );
    let (_, _, feeds) = get(&addr, "/feeds", "");
    assert_eq!(
        feeds.matches("aria-label=\"1 Artikel / 30 hari\"").count(),
        2,
        "a sparkline a feed"
    );

    // The watch with the story it found, on two sites.
    let (_, _, watches) = get(&addr, "/watches", "");
    let pesut = watches
        .split("<code>festivalpesut</code>")
        .nth(1)
        .unwrap_or_default();
    assert!(
        pesut.contains("Festival pesut Mahakam</a>") && pesut.contains("2 salinan"),
        "{watches}"
    );

    // Facets: the one story under each feed that carried it, and under this month.
    let (_, found) = json(&addr, "/api/search?q=festivalpesut&facets=true");
    let f = &found["facets"];
    assert_eq!(
        f["feeds"],
        serde_json::json!([["situs-a", 1], ["situs-b", 1]]),
        "{f:#}"
    );
    assert_eq!(f["months"], serde_json::json!([[&today[..7], 1]]), "{f:#}");
    assert_eq!(f["sites"].as_array().map(Vec::len), Some(2), "{f:#}");
    assert!(f["capped"].is_null());
    let (_, _, page) = get(&addr, "/search?q=festivalpesut", "");
    assert!(page.contains("Saring hasil"), "{page}");
    let narrowed = page
        .split("href=\"")
        .map(|h| h.split('"').next().unwrap_or_default())
        .find(|h| h.contains("feed=situs-b"))
        .unwrap_or_default()
        .replace("&amp;", "&");
    assert!(!narrowed.is_empty(), "{page}");
    let (status, _, narrowed_page) = get(&addr, &narrowed, "");
    assert_eq!(status, 200);
    assert!(narrowed_page.contains("Festival pesut Mahakam"));
    server.stop_cleanly();
}
}

on_both! {
fn the_daemon_serves_the_pages_itself_when_asked() {
    let site = site();
    let ws = Workspace::with_feeds(&[Feed::new("uji", &site.url("/rss"))]);
    let config = std::fs::read_to_string(ws.config_path()).unwrap();
    ws.write_config(&format!(
        "{config}\n[daemon]\nserve = true\n\n[serve]\nlisten = \"127.0.0.1:0\"\n"
    ));
    let mut daemon = Background::spawn(ws.command(&["daemon"]));
    let addr = address_said(&daemon);
    let archived = wait_until(Duration::from_secs(20), || {
        json(&addr, "/api/stats").1["articles"] == 2
    });
    daemon.stop_cleanly();
    assert!(archived, "{}", daemon.stderr());
}
}

on_both! {
fn a_story_page_shows_a_revised_articles_versions_side_by_side() {
    let s = Server::start("127.0.0.1");
    let text = pages::story("id", 91, &["Jembatanbaru di Sangatta dibuka hari ini."]);
    let page = |paragraphs: &[String]| {
        Route::html(pages::article(
            "Jembatan baru dibuka",
            "2024-11-22T09:00:00+08:00",
            "id",
            paragraphs,
        ))
    };
    s.route("/jembatan", page(&text));
    let items = vec![Item::new(
        "Jembatan baru dibuka",
        &s.url("/jembatan"),
        "Fri, 22 Nov 2024 09:00:00 +0800",
        "r",
    )];
    s.route("/rss", Route::rss(rss("Uji", &s.base(), &items)));
    let ws = Workspace::new();
    let mut config = crate::support::config_text(&[], &[Feed::new("uji", &s.url("/rss"))]);
    config.push_str("\n[revisit]\nafter = [\"1s\", \"1h\"]\nshare = 1.0\n");
    ws.write_config(&config);
    ws.fetch_ok();
    let mut corrected = text.clone();
    corrected.push("Ralat: jembatan dibuka pukul 10.00 WITA, bukan pukul 09.00.".into());
    s.route("/jembatan", page(&corrected));
    std::thread::sleep(Duration::from_millis(1_200));
    ws.fetch_ok();
    let article = ws.search_one("jembatanbaru");
    assert_eq!(ws.show(article["id"].as_i64().unwrap())["versions"], 2);
    let (mut server, addr) = serve(&ws, "127.0.0.1:0", &[]);
    let (status, _, body) = get(
        &addr,
        &format!("/stories/{}", article["story"].as_i64().unwrap()),
        "",
    );
    server.stop_cleanly();
    assert_eq!(status, 200);
    assert!(body.contains("Versi 1 → 2"), "{body}");
    assert!(
        body.contains("<ins>Ralat: jembatan dibuka pukul 10.00 WITA, bukan pukul 09.00.</ins>"),
        "{body}"
    );
    assert!(!body.contains("<del>"), "nothing was taken out: {body}");
}
}
