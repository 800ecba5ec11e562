//! Pages that are not UTF-8: windows-1252 declared in a <meta charset> or only in the
//! Content-Type header. They are archived as correct UTF-8: search finds the accented word (with
//! or without its accents) and show prints it right.

use crate::support::{Feed, Item, Route, Server, Workspace, int, pages, rss, string};

/// windows-1252 bytes for text made of ASCII and the few non-ASCII characters these tests use.
fn cp1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            c if c.is_ascii() => c as u8,
            'é' => 0xE9,
            'ü' => 0xFC,
            'ö' => 0xF6,
            'è' => 0xE8,
            '–' => 0x96,
            '“' => 0x93,
            '”' => 0x94,
            other => panic!("{other:?} is not in this test's windows-1252 table"),
        })
        .collect()
}

fn serve(site: &Server, path: &str, title: &str, body: Vec<u8>, content_type: &str) -> Item {
    site.route(path, Route::bytes(content_type, body));
    Item::new(
        title,
        &site.url(path),
        "Tue, 12 Mar 2024 08:00:00 +0800",
        "Ringkasan.",
    )
}

#[test]
fn windows_1252_pages_are_archived_as_utf8() {
    let site = Server::start("127.0.0.1");

    let mut paragraphs = vec![
        "Café Müller di Balikpapan menyajikan kopi dari dataran tinggi Kalimantan. Pemiliknya, Jürgen Müller, datang dari Köln dua puluh tahun lalu.".to_string(),
    ];
    paragraphs.extend(pages::filler("id", 71, 4, 60));
    let meta_page = pages::article(
        "Café Müller di Balikpapan",
        "2024-03-12T08:00:00+08:00",
        "id",
        &paragraphs,
    )
    .replace(
        "<meta charset=\"utf-8\">",
        "<meta charset=\"windows-1252\">",
    );
    let meta_item = serve(
        &site,
        "/kafe",
        "Café Müller di Balikpapan",
        cp1252(&meta_page),
        "text/html",
    );

    let mut paragraphs = vec![
        "SAMARINDA – Harga beras premium di Pasar Segiri naik menjadi Rp 16.500 per kilogram. “Pasokan dari Jawa berkurang,” kata seorang pedagang.".to_string(),
    ];
    paragraphs.extend(pages::filler("id", 72, 4, 60));
    let header_page = pages::article(
        "Harga beras naik di Pasar Segiri",
        "2024-03-12T09:00:00+08:00",
        "id",
        &paragraphs,
    )
    .replace("<meta charset=\"utf-8\">", "");
    let header_item = serve(
        &site,
        "/beras",
        "Harga beras naik di Pasar Segiri",
        cp1252(&header_page),
        "text/html; charset=windows-1252",
    );

    site.route(
        "/feed.xml",
        Route::rss(rss("Kodepage", &site.base(), &[meta_item, header_item])),
    );
    let ws = Workspace::with_feeds(&[Feed::new("kodepage", &site.url("/feed.xml"))]);

    ws.fetch_ok();

    for query in ["Müller", "müller", "muller", "Köln"] {
        let hits = ws.search(query, &[]);
        assert_eq!(hits.len(), 1, "search {query:?}: {hits:#?}");
    }
    let cafe = ws.show(int(&ws.search_one("Müller"), "id"));
    let body = string(&cafe, "body");
    assert!(body.contains("Café Müller di Balikpapan"), "{body}");
    assert!(
        body.contains("Jürgen Müller") && body.contains("Köln"),
        "{body}"
    );
    assert_eq!(string(&cafe, "title"), "Café Müller di Balikpapan");

    let beras = ws.show(int(&ws.search_one("Segiri"), "id"));
    let body = string(&beras, "body");
    assert!(
        body.contains("SAMARINDA – Harga beras premium"),
        "the dash was not decoded: {body}"
    );
    assert!(body.contains("“Pasokan dari Jawa berkurang,”"), "{body}");

    for shown in [&cafe, &beras] {
        let body = string(shown, "body");
        assert!(
            !body.contains('\u{FFFD}') && !body.contains("Ã") && !body.contains("â€"),
            "mojibake: {body}"
        );
    }

    let text = ws.run(&["show", &int(&cafe, "id").to_string(), "--format", "text"]);
    text.ok();
    assert!(text.stdout.contains("Café Müller"), "{text:?}");
}
