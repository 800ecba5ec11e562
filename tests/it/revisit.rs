//! Revisits (issue 15): archived pages are fetched again at set ages, conditionally; a new
//! text is a version, a 404, a 410 or a redirect to the home page marks the article
//! removed with every version kept, and `show` and `search --removed`/`--revised` say so.

use crate::support::{Feed, Item, Route, Server, Workspace, config_text, int, pages, rss, string};

/// Serves an article at `path` with an ETag that changes with its text.
fn serve(site: &Server, path: &str, title: &str, paragraphs: &[String]) {
    let page = pages::article(title, "2024-11-20T10:15:00+08:00", "id", paragraphs);
    let tag = format!("\"{}\"", blake3::hash(page.as_bytes()).to_hex());
    site.route(path, Route::html(page).etag(&tag));
}

/// Serves a feed at `/rss` of `names`, each an article at `/{name}` with the marker word
/// `Tanda{name}` (texts seeded from `seed`).
fn serve_feed(site: &Server, names: &[&str], seed: u64) {
    let mut items = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let path = format!("/{n}");
        let paragraphs = pages::story("id", seed + i as u64, &[&format!("Tanda{n}.")]);
        serve(site, &path, n, &paragraphs);
        items.push(Item::new(
            n,
            &site.url(&path),
            "Wed, 20 Nov 2024 10:00:00 +0800",
            "ringkas",
        ));
    }
    site.route("/rss", Route::rss(rss("S", &site.base(), &items)));
}

/// A feed of `names` (and a second feed, with revisits off, of `revisit_off`), in a
/// workspace whose revisits come at the ages `after`.
fn archive(
    names: &[&str],
    revisit_off: &[&str],
    after: &str,
) -> (Server, Workspace, Option<Server>) {
    let site = Server::start("127.0.0.1");
    serve_feed(&site, names, 60);
    let mut feeds = vec![Feed::new("s", &site.url("/rss"))];
    let mut other = None;
    if !revisit_off.is_empty() {
        let quiet = Server::start("127.0.0.1");
        serve_feed(&quiet, revisit_off, 90);
        feeds.push(Feed::new("quiet", &quiet.url("/rss")).with("revisit = false"));
        other = Some(quiet);
    }
    let ws = Workspace::new();
    let mut text = config_text(&[], &feeds);
    text.push_str(&format!("\n[revisit]\nafter = {after}\nshare = 1.0\n"));
    ws.write_config(&text);
    (site, ws, other)
}

fn id_of(ws: &Workspace, marker: &str) -> i64 {
    int(&ws.search_one(marker), "id")
}

fn page_requests(site: &Server) -> Vec<String> {
    site.requests()
        .iter()
        .filter(|r| r.path != "/rss" && r.path != "/robots.txt")
        .map(|r| r.path.clone())
        .collect()
}

#[test]
fn revisits_keep_revisions_and_mark_takedowns_with_every_version_kept() {
    let names = ["sama", "ubah", "hilang", "pergi", "pindah"];
    // Revisits after one second, then after an hour: a third pass revisits nothing.
    let (site, ws, _) = archive(&names, &[], r#"["1s", "1h"]"#);
    ws.fetch_ok();
    assert_eq!(int(&ws.stats(), "articles"), 5);
    let ids: Vec<i64> = names
        .iter()
        .map(|n| id_of(&ws, &format!("Tanda{n}")))
        .collect();

    // The publisher: "sama" untouched; "ubah" revised; "hilang" deleted (404); "pergi"
    // gone for good (410); "pindah" now redirects to the front page. The feed is as it was.
    let mut revised = pages::story("id", 61, &["Tandaubah."]);
    revised.push("Pembaruan: air mulai surut dan warga kembali ke rumah masing-masing.".into());
    serve(&site, "/ubah", "ubah", &revised);
    site.route("/hilang", Route::status(404));
    site.route("/pergi", Route::status(410));
    site.route("/pindah", Route::new(301).header("Location", "/"));
    std::thread::sleep(std::time::Duration::from_millis(1_200));
    site.clear_log();
    let out = ws.fetch_ok();
    let summary = &out.stdout;
    assert!(
        summary.contains("5 archived pages fetched again, 3 taken down"),
        "{summary}"
    );

    // The unchanged page was asked conditionally and answered 304.
    let asked = site.requests_to("/sama");
    assert_eq!(asked.len(), 1);
    assert!(
        asked[0].headers.iter().any(|(k, _)| k == "if-none-match"),
        "{:?}",
        asked[0].headers
    );
    assert_eq!(asked[0].status, 304);

    let shown = ws
        .run(&[
            "show",
            &ids[1].to_string(),
            "--format",
            "json",
            "--versions",
        ])
        .ok()
        .json();
    assert_eq!(int(&shown, "versions"), 2);
    assert!(string(&shown, "body").contains("surut"));
    assert!(shown["removed"].is_null());

    for &id in &ids[2..] {
        let shown = ws.show(id);
        let removed = string(&shown, "removed");
        assert!(
            chrono::DateTime::parse_from_rfc3339(removed).is_ok(),
            "removed is a time: {removed:?}"
        );
        assert!(
            string(&shown, "body").contains("Tanda"),
            "the archived text stays"
        );
    }
    assert!(ws.show(ids[0])["removed"].is_null());
    let text = ws.run(&["show", &ids[2].to_string()]).stdout;
    assert!(text.contains("removed:"), "{text}");

    let removed: Vec<i64> = ws
        .search("", &["--removed", "--all"])
        .iter()
        .map(|h| int(h, "id"))
        .collect();
    let mut expected = ids[2..].to_vec();
    let mut got = removed.clone();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    let revised: Vec<i64> = ws
        .search("", &["--revised"])
        .iter()
        .map(|h| int(h, "id"))
        .collect();
    assert_eq!(revised, vec![ids[1]]);

    let stats = ws.stats();
    assert_eq!((int(&stats, "revised"), int(&stats, "removed")), (1, 3));

    // The next age is an hour away: a third pass fetches no archived page.
    site.clear_log();
    ws.fetch_ok();
    assert!(
        page_requests(&site).is_empty(),
        "{:?}",
        page_requests(&site)
    );
}

/// Sleeps until `secs` after `start`.
fn at(start: std::time::Instant, secs: f64) {
    let when = start + std::time::Duration::from_secs_f64(secs);
    std::thread::sleep(when.saturating_duration_since(std::time::Instant::now()));
}

#[test]
fn a_page_back_up_is_no_longer_removed_and_a_source_can_opt_out() {
    // Ages of whole seconds, stored to the second: the passes below fall well inside them.
    let (site, ws, quiet) = archive(&["kembali"], &["diam"], r#"["3s", "8s", "1h"]"#);
    let quiet = quiet.expect("the second site");
    let start = std::time::Instant::now();
    ws.fetch_ok();
    let id = id_of(&ws, "Tandakembali");
    assert_eq!(site.requests_to("/kembali").len(), 1);

    site.route("/kembali", Route::status(404));
    at(start, 4.5);
    ws.fetch_ok();
    assert!(!ws.show(id)["removed"].is_null(), "taken down");

    // The publisher puts it back; the next age finds it.
    let paragraphs = pages::story("id", 60, &["Tandakembali."]);
    serve(&site, "/kembali", "kembali", &paragraphs);
    at(start, 10.0);
    ws.fetch_ok();
    let shown = ws.show(id);
    assert!(shown["removed"].is_null(), "back up: {shown:#}");
    assert_eq!(
        int(&shown, "versions"),
        1,
        "the same text is no new version"
    );
    assert_eq!(site.requests_to("/kembali").len(), 3);

    // The source with `revisit = false` had its page fetched once only.
    assert_eq!(quiet.requests_to("/diam").len(), 1);
}

/// With `keep_raw = "response"`, a revision keeps the exchange that brought each version:
/// the WARC export holds both captures of the page, and re-extraction reads the newest.
#[test]
fn each_version_keeps_the_exchange_that_brought_it() {
    let (site, ws, _) = archive(&["ubah"], &[], r#"["1s", "1h"]"#);
    let config = std::fs::read_to_string(ws.config_path()).unwrap().replace(
        "path = \"archive.db\"\n",
        "path = \"archive.db\"\nkeep_raw = \"response\"\n",
    );
    ws.write_config(&config);
    ws.fetch_ok();
    let mut revised = pages::story("id", 60, &["Tandaubah."]);
    revised.push("Pembaruan: jembatan darurat selesai dibangun oleh warga setempat.".into());
    serve(&site, "/ubah", "ubah", &revised);
    std::thread::sleep(std::time::Duration::from_millis(1_200));
    ws.fetch_ok();
    let id = id_of(&ws, "Tandaubah");
    assert_eq!(int(&ws.show(id), "versions"), 2);

    ws.run(&["export", "--format", "warc", "-o", "captures.warc"])
        .ok();
    let warc = std::fs::read(ws.path().join("captures.warc")).unwrap();
    let text = String::from_utf8_lossy(&warc);
    assert_eq!(
        text.matches("WARC-Type: response").count(),
        2,
        "one capture per version"
    );
    assert_eq!(text.matches("WARC-Type: request").count(), 2);
    assert_eq!(
        text.matches("jembatan darurat").count(),
        1,
        "only the second holds it"
    );

    ws.run(&["reextract"]).ok();
    assert!(string(&ws.show(id), "body").contains("jembatan darurat"));
}
