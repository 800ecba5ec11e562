//! Kept pages (`[archive] keep_raw_html`): a UTF-8 page that came gzip-encoded is kept as
//! the very bytes the site sent, every other page (plain, brotli, deflate, another charset)
//! as its text compressed with zstd; `reextract`, WARC export and import read both alike.
//! A gzip body that does not inflate is the page's failure, never a kept page.

use std::io::Write;

use crate::support::{Feed, Item, Route, Server, Workspace, int, pages, rss, string};

const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &Default::default()).unwrap();
    out
}

fn raw_deflate(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// An Indonesian article page found by `marker`.
fn page(title: &str, seed: u64, marker: &str) -> String {
    pages::article(
        title,
        "2024-03-12T08:00:00+08:00",
        "id",
        &pages::story("id", seed, &[marker]),
    )
}

/// A feed `kanal` on `site` linking to each of `paths`, titled by them.
fn feed_of(site: &Server, paths: &[&str]) -> Feed {
    let items: Vec<Item> = paths
        .iter()
        .enumerate()
        .map(|(n, p)| {
            Item::new(
                &format!("Kabar {p}"),
                &site.url(p),
                &format!("Tue, 12 Mar 2024 08:0{n}:00 +0800"),
                "Ringkas.",
            )
        })
        .collect();
    site.route("/kanal.xml", Route::rss(rss("Kanal", &site.base(), &items)));
    Feed::new("kanal", &site.url("/kanal.xml"))
}

/// The kept blobs of the archive's pages, by page URL.
fn kept(ws: &Workspace) -> Vec<(String, Vec<u8>)> {
    let db = rusqlite::Connection::open(ws.db_path()).expect("open the archive");
    let mut stmt = db
        .prepare("SELECT url, html_zstd FROM pages ORDER BY url")
        .expect("pages");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("pages")
        .collect::<Result<_, _>>()
        .expect("pages")
}

fn kept_of(ws: &Workspace, site: &Server, path: &str) -> Vec<u8> {
    let url = site.url(path);
    kept(ws)
        .into_iter()
        .find(|(u, _)| *u == url)
        .unwrap_or_else(|| panic!("no kept page for {url}"))
        .1
}

#[test]
fn a_gzip_page_is_kept_as_sent_and_reextract_export_and_import_read_it() {
    let site = Server::start("127.0.0.1");
    let html = page("Gzip diarsipkan", 4101, "Gzipasli tersimpan utuh.");
    let wire = gzip(html.as_bytes());
    site.route(
        "/berita/gzip",
        Route::bytes("text/html; charset=utf-8", wire.clone()).header("Content-Encoding", "gzip"),
    );
    let ws = Workspace::with_feeds(&[feed_of(&site, &["/berita/gzip"])]);

    ws.fetch_ok();

    let asked = site
        .requests()
        .into_iter()
        .find(|r| r.path == "/berita/gzip")
        .expect("the page was fetched");
    assert!(
        asked
            .header("accept-encoding")
            .is_some_and(|v| v.contains("gzip")),
        "{asked:?}"
    );
    let id = int(&ws.search_one("gzipasli"), "id");
    let shown = ws.show(id);
    assert_eq!(string(&shown, "source"), "page", "{shown:#}");
    assert_eq!(
        kept_of(&ws, &site, "/berita/gzip"),
        wire,
        "the kept page is not the bytes sent"
    );

    // The body is spoilt in the archive; re-extraction from the kept gzip restores it.
    let db = rusqlite::Connection::open(ws.db_path()).expect("open the archive");
    db.execute("UPDATE articles SET body = 'rusak' WHERE id = ?1", [id])
        .expect("spoil the body");
    drop(db);
    let run = ws.run(&["reextract"]);
    run.ok();
    assert!(run.stdout.contains("1 of 1 article changed"), "{run:?}");
    assert!(
        string(&ws.show(id), "body").contains("Gzipasli tersimpan utuh."),
        "reextract did not read the kept gzip page"
    );

    ws.run(&["export", "--format", "warc", "-o", "pages.warc"])
        .ok();
    let warc = std::fs::read(ws.path().join("pages.warc")).expect("pages.warc");
    assert!(
        warc.windows(html.len()).any(|w| w == html.as_bytes()),
        "the WARC lacks the page's HTML"
    );

    let again = Workspace::new();
    again.write_config("[archive]\npath = \"archive.db\"\n");
    let file = again.write("pages.warc", &warc);
    let run = again.run(&["import", file.to_str().unwrap()]);
    run.ok();
    assert!(run.stdout.contains("1 new"), "{run:?}");
    let shown = again.show(int(&again.search_one("gzipasli"), "id"));
    assert!(
        string(&shown, "body").contains("Gzipasli tersimpan utuh."),
        "{shown:#}"
    );
}

#[test]
fn plain_brotli_deflate_and_legacy_charset_pages_are_archived_and_kept_as_zstd() {
    let site = Server::start("127.0.0.1");
    let plain = page("Polos", 4201, "Polosbiasa tanpa kompresi.");
    let br = page("Brotli", 4202, "Brotlibaca dari situs.");
    let deflate = page("Deflate", 4203, "Deflatemurni tanpa zlib.");
    // windows-1252 bytes: gzip-encoded, but its kept copy must be the UTF-8 text.
    let legacy = page("Latin", 4204, "Latinlama dari K\u{f6}ln.")
        .replace("charset=\"utf-8\"", "charset=\"windows-1252\"")
        .replace("charset=utf-8", "charset=windows-1252");
    let legacy_bytes: Vec<u8> = legacy
        .chars()
        .map(|c| u8::try_from(u32::from(c)).expect("Latin-1 text"))
        .collect();
    site.route("/berita/polos", Route::html(plain.clone()));
    site.route(
        "/berita/brotli",
        Route::bytes("text/html; charset=utf-8", brotli(br.as_bytes()))
            .header("Content-Encoding", "br"),
    );
    site.route(
        "/berita/deflate",
        Route::bytes("text/html; charset=utf-8", raw_deflate(deflate.as_bytes()))
            .header("Content-Encoding", "deflate"),
    );
    site.route(
        "/berita/latin",
        Route::bytes("text/html; charset=windows-1252", gzip(&legacy_bytes))
            .header("Content-Encoding", "gzip"),
    );
    let paths = [
        "/berita/polos",
        "/berita/brotli",
        "/berita/deflate",
        "/berita/latin",
    ];
    let ws = Workspace::with_feeds(&[feed_of(&site, &paths)]);

    ws.fetch_ok();

    for (marker, text) in [
        ("polosbiasa", "Polosbiasa tanpa kompresi."),
        ("brotlibaca", "Brotlibaca dari situs."),
        ("deflatemurni", "Deflatemurni tanpa zlib."),
        ("latinlama", "Latinlama dari Köln."),
    ] {
        let shown = ws.show(int(&ws.search_one(marker), "id"));
        assert_eq!(string(&shown, "source"), "page", "{shown:#}");
        assert!(string(&shown, "body").contains(text), "{shown:#}");
    }
    for path in paths {
        let blob = kept_of(&ws, &site, path);
        assert!(blob.starts_with(ZSTD_MAGIC), "{path} is not kept as zstd");
    }
    ws.run(&["export", "--format", "warc", "-o", "pages.warc"])
        .ok();
    let warc =
        String::from_utf8_lossy(&std::fs::read(ws.path().join("pages.warc")).expect("pages.warc"))
            .into_owned();
    for html in [&plain, &br, &deflate] {
        assert!(warc.contains(html.as_str()), "the WARC lacks a page");
    }
    assert!(warc.contains("Latinlama dari Köln."), "{warc}");
}

#[test]
fn a_damaged_or_short_gzip_page_is_a_page_failure_and_nothing_is_kept() {
    let site = Server::start("127.0.0.1");
    let short = gzip(page("Pendek", 4301, "Gzippendek terpotong.").as_bytes());
    let short = short[..short.len() - 40].to_vec();
    let mut flipped = gzip(page("Rusak", 4302, "Gziprusak dibalik.").as_bytes());
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0xff;
    for (path, body) in [("/berita/pendek", short), ("/berita/rusak", flipped)] {
        site.route(
            path,
            Route::bytes("text/html; charset=utf-8", body).header("Content-Encoding", "gzip"),
        );
    }
    let good = page("Utuh", 4303, "Gziputuh tetap masuk.");
    site.route("/berita/utuh", Route::html(good).gzip());
    let ws = Workspace::with_feeds(&[feed_of(
        &site,
        &["/berita/pendek", "/berita/rusak", "/berita/utuh"],
    )]);

    let run = ws.run(&["fetch"]);

    crate::support::assert_no_panic("fetch", &run.stderr);
    for word in ["pendek", "rusak"] {
        let shown = ws.show(int(&ws.search_one(word), "id"));
        assert_eq!(string(&shown, "source"), "feed", "{shown:#}\n{run:?}");
        assert!(
            string(&shown, "note").contains("gzip body is damaged"),
            "{shown:#}"
        );
    }
    let urls: Vec<String> = kept(&ws).into_iter().map(|(u, _)| u).collect();
    assert_eq!(
        urls,
        vec![site.url("/berita/utuh")],
        "only the whole page is kept"
    );
    assert_eq!(
        string(&ws.show(int(&ws.search_one("gziputuh"), "id")), "source"),
        "page"
    );
}
