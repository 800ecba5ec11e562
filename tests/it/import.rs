//! `warta import` (issue 12, point 3): backfill from warta's JSONL export and from WARC
//! files, with the real binary, real archives and files built here.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use serde_json::Value;

use crate::support::{Feed, Item, Route, Server, Workspace, int, pages, rss, string};

/// Two feeds on two sites: a market story carried by both (near-duplicate bodies, two
/// articles of one story), a flood article whose URL both feeds list (one article, two
/// places), and an article whose page is missing (archived from the feed's text).
fn source_archive() -> (Server, Server, Workspace) {
    let a = Server::start("127.0.0.2");
    let b = Server::start("127.0.0.3");
    let release = pages::story("id", 41, &["Bupati Kutai Timur meresmikan pasar Sangatta."]);
    let mut copy = release[..release.len() - 1].to_vec();
    copy.insert(
        1,
        "Pembaca juga menyimak laporan pasar Sangatta di kanal ekonomi kami.".into(),
    );
    let serve = |site: &Server, path: &str, title: &str, lang: &str, body: &[String]| {
        site.route(
            path,
            Route::html(pages::article(
                title,
                "2024-11-20T10:15:00+08:00",
                lang,
                body,
            )),
        );
    };
    serve(
        &a,
        "/berita/pasar",
        "Pasar Sangatta diresmikan",
        "id",
        &release,
    );
    serve(
        &a,
        "/berita/banjir",
        "Banjir di Samarinda",
        "id",
        &pages::story("id", 77, &["Banjir merendam Samarinda Ulu."]),
    );
    a.route("/berita/hilang", Route::status(404));
    serve(
        &b,
        "/kutim/pasar-baru",
        "Bupati resmikan pasar baru",
        "id",
        &copy,
    );
    let flood = Item::new(
        "Banjir di Samarinda",
        &a.url("/berita/banjir"),
        "Wed, 20 Nov 2024 11:00:00 +0800",
        "Banjir.",
    );
    a.route(
        "/rss",
        Route::rss(rss(
            "A",
            &a.base(),
            &[
                Item::new(
                    "Pasar Sangatta diresmikan",
                    &a.url("/berita/pasar"),
                    "Wed, 20 Nov 2024 09:00:00 +0800",
                    "ringkas",
                ),
                flood.clone(),
                Item::new(
                    "Jalan rusak di Sangkima",
                    &a.url("/berita/hilang"),
                    "Wed, 20 Nov 2024 12:00:00 +0800",
                    "Warga Desa Sangkima mengeluhkan jalan rusak sepanjang tiga kilometer.",
                ),
            ],
        )),
    );
    b.route(
        "/rss",
        Route::rss(rss(
            "B",
            &b.base(),
            &[
                Item::new(
                    "Bupati resmikan pasar baru",
                    &b.url("/kutim/pasar-baru"),
                    "Wed, 20 Nov 2024 13:30:00 +0800",
                    "ringkas",
                ),
                flood.guid("b-copy-of-banjir"),
            ],
        )),
    );
    let ws = Workspace::with_feeds(&[
        Feed::new("site-a", &a.url("/rss")),
        Feed::new("site-b", &b.url("/rss")),
    ]);
    ws.fetch_ok();
    (a, b, ws)
}

/// The archive as `search --all`, `show` and `stats` print it, with article and story ids
/// (which an import renumbers) replaced by article URLs and the URL sets of stories.
fn seen(ws: &Workspace) -> (Vec<Value>, BTreeSet<BTreeSet<String>>, Value) {
    let mut hits: Vec<Value> = ["pasar", "banjir", "jalan"]
        .iter()
        .flat_map(|q| ws.search(q, &["--all", "--limit", "1000"]))
        .collect();
    hits.sort_by_key(|h| string(h, "url").to_string());
    hits.dedup();
    let urls: BTreeMap<i64, String> = hits
        .iter()
        .map(|h| (int(h, "id"), string(h, "url").to_string()))
        .collect();
    let mut stories: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    let mut shown = Vec::new();
    for id in urls.keys() {
        let mut show = ws.show(*id);
        stories
            .entry(int(&show, "story"))
            .or_default()
            .insert(urls[id].clone());
        renumber(&mut show, &urls);
        shown.push(show);
    }
    for h in &hits {
        let mut h = h.clone();
        renumber(&mut h, &urls);
        shown.push(h);
    }
    shown.sort_by_key(|v| v.to_string());
    let mut stats = ws.stats();
    stats.as_object_mut().unwrap().remove("database_bytes");
    (shown, stories.into_values().collect(), stats)
}

fn renumber(v: &mut Value, urls: &BTreeMap<i64, String>) {
    match v {
        Value::Object(map) => {
            map.remove("story");
            map.remove("score");
            // How a copy joined its story is the source's history, not the article's.
            map.remove("method");
            map.remove("similarity");
            if let Some(Value::Number(id)) = map.get("id")
                && let Some(url) = id.as_i64().and_then(|i| urls.get(&i))
            {
                map.insert("id".into(), Value::String(url.clone()));
            }
            map.values_mut().for_each(|v| renumber(v, urls));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| renumber(v, urls)),
        _ => {}
    }
}

#[test]
fn jsonl_round_trip_gives_the_same_articles_stories_and_places() {
    let (_a, _b, source) = source_archive();
    source
        .run(&["export", "--format", "jsonl", "-o", "all.jsonl"])
        .ok();
    let before = seen(&source);
    assert_eq!(int(&before.2, "articles"), 4, "{:?}", before.2);
    assert_eq!(int(&before.2, "stories"), 3, "{:?}", before.2);

    let target = Workspace::with_feeds(&[
        Feed::new("site-a", "http://127.0.0.2:9/rss"),
        Feed::new("site-b", "http://127.0.0.3:9/rss"),
    ]);
    let file = source.path().join("all.jsonl");
    let run = target.run(&["import", file.to_str().unwrap()]);
    run.ok();
    assert!(
        run.stdout
            .contains("4 records: 4 new, 0 duplicate, 0 skipped, 0 failed"),
        "{run:?}"
    );
    let after = seen(&target);
    assert_eq!(after.1, before.1, "stories");
    assert_eq!(after.2, before.2, "stats");
    assert_eq!(after.0, before.0, "search and show");

    // Again: everything is found stored, nothing is added.
    let again = target.run(&["import", file.to_str().unwrap()]);
    again.ok();
    assert!(
        again
            .stdout
            .contains("4 records: 0 new, 4 duplicate, 0 skipped, 0 failed"),
        "{again:?}"
    );
    assert_eq!(seen(&target).2, before.2);
}

#[test]
fn feeds_named_only_in_the_export_are_recorded_by_name_and_searchable() {
    let (_a, _b, source) = source_archive();
    source
        .run(&["export", "--format", "jsonl", "-o", "all.jsonl.gz"])
        .ok();
    let target = Workspace::with_feeds(&[Feed::new("site-a", "http://127.0.0.2:9/rss")]);
    let file = source.path().join("all.jsonl.gz");
    target.run(&["import", file.to_str().unwrap()]).ok();
    let hits = target.search("meresmikan", &["--all", "--feed", "site-b"]);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(string(&hits[0], "title"), "Bupati resmikan pasar baru");
}

#[test]
fn a_bad_jsonl_line_is_counted_named_and_skipped() {
    let (_a, _b, source) = source_archive();
    let run = source.run(&["export", "--format", "jsonl"]);
    run.ok();
    let mut lines: Vec<&str> = run.stdout.lines().collect();
    lines.insert(2, "{\"title\": \"half a record\"");
    let ws = bare();
    let file = ws.write("broken.jsonl", lines.join("\n").as_bytes());
    let run = ws.run(&["import", file.to_str().unwrap()]);
    run.expect_code(1);
    assert!(
        run.stdout
            .contains("5 records: 4 new, 0 duplicate, 0 skipped, 1 failed"),
        "{run:?}"
    );
    run.stderr_names("broken.jsonl:3");
}

#[test]
fn a_file_that_is_neither_format_is_named() {
    let ws = bare();
    let file = ws.write("notes.txt", b"just some notes\n");
    let run = ws.run(&["import", file.to_str().unwrap()]);
    run.expect_code(1);
    run.stderr_names("notes.txt");
    assert!(
        run.stderr
            .contains("neither a warta JSONL export nor a WARC file"),
        "{run:?}"
    );
    let missing = ws.run(&["import", "nowhere.warc"]);
    missing.expect_code(2);
    missing.stderr_names("nowhere.warc");
}

/// A WARC record with `block` as its content.
fn record(kind: &str, uri: &str, date: &str, content_type: &str, block: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{}>\r\nWARC-Target-URI: {uri}\r\nWARC-Date: {date}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        uri.len(),
        block.len()
    )
    .into_bytes();
    r.extend_from_slice(block);
    r.extend_from_slice(b"\r\n\r\n");
    r
}

fn response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// A CC-NEWS-like crawl: an info record, a request, two articles (one in Latin-1), an
/// image, a 404; each record one item of the returned list.
fn crawl() -> Vec<Vec<u8>> {
    let http = "application/http; msgtype=response";
    let utf8 = pages::article(
        "Kapal tongkang menabrak jembatan",
        "2024-11-20T10:15:00+08:00",
        "id",
        &pages::story(
            "id",
            5,
            &["Kapal tongkang menabrak fender jembatan Mahakam."],
        ),
    );
    let latin1: Vec<u8> = pages::article(
        "Festival kuliner di Balikpapan",
        "2024-11-19T08:00:00+08:00",
        "id",
        &pages::story("id", 6, &["Pengunjung memadati festival Café Bahari."]),
    )
    .replace("<meta charset=\"utf-8\">", "")
    .chars()
    .map(|c| u8::try_from(u32::from(c)).unwrap())
    .collect();
    vec![
        record(
            "warcinfo",
            "",
            "2024-11-20T03:00:00Z",
            "application/warc-fields",
            b"software: test\r\n",
        ),
        record(
            "request",
            "https://kaltim.example/kapal",
            "2024-11-20T03:00:00Z",
            "application/http; msgtype=request",
            b"GET /kapal HTTP/1.1\r\nHost: kaltim.example\r\n\r\n",
        ),
        record(
            "response",
            "https://kaltim.example/kapal",
            "2024-11-20T03:00:01Z",
            http,
            &response("200 OK", "text/html; charset=utf-8", utf8.as_bytes()),
        ),
        record(
            "response",
            "https://kaltim.example/festival",
            "2024-11-20T03:00:02Z",
            http,
            &response("200 OK", "text/html; charset=ISO-8859-1", &latin1),
        ),
        record(
            "response",
            "https://kaltim.example/logo.jpg",
            "2024-11-20T03:00:03Z",
            http,
            &response("200 OK", "image/jpeg", b"\xff\xd8\xff\xe0JFIF"),
        ),
        record(
            "response",
            "https://kaltim.example/hilang",
            "2024-11-20T03:00:04Z",
            http,
            &response("404 Not Found", "text/html", b"<h1>Tidak ada</h1>"),
        ),
    ]
}

fn gzip_members(records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(r).unwrap();
        out.extend(gz.finish().unwrap());
    }
    out
}

/// A workspace whose config names the archive and no feeds.
fn bare() -> Workspace {
    let ws = Workspace::new();
    ws.write_config("[archive]\npath = \"archive.db\"\n");
    ws
}

fn import_warc(name: &str, bytes: &[u8]) -> (Workspace, crate::support::cmd::Run) {
    let ws = bare();
    let file = ws.write(name, bytes);
    let run = ws.run(&["import", file.to_str().unwrap()]);
    (ws, run)
}

fn assert_crawl_archived(ws: &Workspace, run: &crate::support::cmd::Run) {
    run.ok();
    assert!(
        run.stdout.contains(
            "6 records: 2 new, 0 duplicate, 4 skipped (1 no article, 1 not 200, 1 not HTML, 1 not a response), 0 failed"
        ) || run.stdout.contains(
            "6 records: 2 new, 0 duplicate, 4 skipped (1 not 200, 1 not HTML, 2 not a response), 0 failed"
        ),
        "{run:?}"
    );
    let kapal = ws.search_one("tongkang");
    assert_eq!(string(&kapal, "url"), "https://kaltim.example/kapal");
    assert_eq!(string(&kapal, "feed"), "import");
    // The capture time is when it was first seen.
    assert_eq!(
        crate::support::instant(string(&kapal, "fetched")),
        crate::support::instant("2024-11-20T03:00:01Z")
    );
    let festival = ws.search_one("Bahari");
    let shown = ws.show(int(&festival, "id"));
    assert!(string(&shown, "body").contains("Café Bahari"), "{shown}");
}

#[test]
fn warc_pages_are_extracted_and_other_records_skipped_plain_and_gzipped() {
    let plain: Vec<u8> = crawl().concat();
    let (ws, run) = import_warc("crawl.warc", &plain);
    assert_crawl_archived(&ws, &run);
    let again = ws.run(&["import", "crawl.warc"]);
    again.ok();
    assert!(again.stdout.contains(": 0 new, 2 duplicate,"), "{again:?}");

    let (ws, run) = import_warc("crawl.warc.gz", &gzip_members(&crawl()));
    assert_crawl_archived(&ws, &run);
}

#[test]
fn a_truncated_last_record_is_reported_with_its_offset_and_the_rest_kept() {
    let mut records = crawl();
    let offset: usize = records.iter().map(Vec::len).sum();
    let mut last = record(
        "response",
        "https://kaltim.example/terpotong",
        "2024-11-20T03:00:05Z",
        "application/http; msgtype=response",
        &response("200 OK", "text/html", &[b'x'; 4000]),
    );
    last.truncate(1000);
    records.push(last);
    for (name, bytes) in [
        ("cut.warc", records.concat()),
        ("cut.warc.gz", gzip_members(&records)),
    ] {
        let (ws, run) = import_warc(name, &bytes);
        run.expect_code(1);
        assert!(run.stdout.contains("7 records: 2 new,"), "{run:?}");
        assert!(run.stdout.contains(", 1 failed"), "{run:?}");
        run.stderr_names(name);
        assert!(
            run.stderr.contains(&format!("byte {offset}")) && run.stderr.contains("cut short"),
            "{run:?}"
        );
        assert_eq!(int(&ws.stats(), "articles"), 2);
    }
}

#[test]
fn warta_own_warc_export_imports_as_pages() {
    let (_a, _b, source) = source_archive();
    source
        .run(&["export", "--format", "warc", "-o", "pages.warc.gz"])
        .ok();
    let file = source.path().join("pages.warc.gz");
    let ws = bare();
    let run = ws.run(&["import", "--feed", "arsip", file.to_str().unwrap()]);
    run.ok();
    assert!(run.stdout.contains(": 3 new,"), "{run:?}");
    let hits = ws.search("meresmikan", &["--all", "--feed", "arsip"]);
    assert_eq!(hits.len(), 2, "{hits:?}");
    // The two copies of the market story are one story here too.
    assert_eq!(int(&hits[0], "story"), int(&hits[1], "story"));
}

#[test]
fn ctrl_c_keeps_what_was_written_and_a_rerun_takes_up_the_rest() {
    const N: i64 = 10_000;
    let ws = bare();
    let mut lines = String::new();
    for i in 0..N {
        let body = pages::filler("id", i as u64, 2, 40).join("\n\n");
        let line = serde_json::json!({
            "id": i + 1, "title": format!("Berita nomor {i}"),
            "url": format!("https://kaltim.example/berita/{i}"), "feed": "kaltim",
            "published": "2024-11-20T10:15:00+08:00", "fetched": "2024-11-20T02:20:00+00:00",
            "language": "id", "author": null, "body": body,
        });
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    ws.write("big.jsonl", lines.as_bytes());
    let articles = || {
        let run = ws.run(&["stats", "--format", "json"]);
        if run.code == Some(0) {
            int(&run.json(), "articles")
        } else {
            0
        }
    };
    let mut import = ws.spawn(&["import", "big.jsonl"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while articles() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    crate::support::send_signal(import.pid(), "INT");
    let status = import.wait(std::time::Duration::from_secs(30));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(1),
        "{}",
        import.stderr()
    );
    assert!(import.stderr().contains("stopped"), "{}", import.stderr());
    let kept = articles();
    assert!(kept > 0 && kept < N, "kept {kept}\n{}", import.stdout());

    let rest = ws.run(&["import", "big.jsonl"]);
    rest.ok();
    // "10,000 records: 7,424 new, 2,576 duplicate, …": the counts, without their commas.
    let counts: Vec<i64> = rest
        .stdout
        .split([' ', ':'])
        .filter_map(|w| w.replace(',', "").parse().ok())
        .collect();
    assert_eq!(counts[..3], [N, N - kept, kept], "kept {kept}: {rest:?}");
    assert_eq!(articles(), N);
}
