//! Specifications of `parse_feed`: one inline fixture per format and per repair, plus the
//! realistic fixture files under `tests/fixtures/feeds/`.

use super::*;
use chrono::TimeZone;

/// Wednesday 2024-11-20 12:00 UTC, shortly after the fixtures were "published".
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 11, 20, 12, 0, 0).unwrap()
}

fn base() -> Url {
    Url::parse("https://contoh.example/rss/terkini.xml").unwrap()
}

fn parse(body: &str) -> ParsedFeed {
    match parse_feed(body.as_bytes(), None, &base(), now()) {
        Ok(feed) => feed,
        Err(e) => panic!("expected a feed, got: {e}"),
    }
}

fn rfc3339(d: Option<DateTime<FixedOffset>>) -> Option<String> {
    d.map(|d| d.to_rfc3339())
}

fn titles(feed: &ParsedFeed) -> Vec<&str> {
    feed.items
        .iter()
        .map(|i| i.title.as_deref().unwrap_or("-"))
        .collect()
}

fn rss2(items: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>"#
    )
}

// ---- formats ----------------------------------------------------------------------

#[test]
fn rss_091() {
    let feed = parse(
        r#"<rss version="0.91"><channel><title>Lama</title><link>http://a.example/</link>
        <item><title>Satu</title><link>http://a.example/1</link><description>Isi satu</description></item>
        </channel></rss>"#,
    );
    assert_eq!(feed.title.as_deref(), Some("Lama"));
    assert_eq!(titles(&feed), ["Satu"]);
    assert_eq!(feed.items[0].guid, "http://a.example/1");
    assert!(feed.repairs.is_empty());
}

#[test]
fn rss_10_rdf() {
    let feed = parse(
        r#"<?xml version="1.0"?>
        <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
          <channel rdf:about="http://a.example/"><title>RDF</title><link>http://a.example/</link><description>d</description></channel>
          <item rdf:about="http://a.example/2"><title>Dua</title><link>http://a.example/2</link><dc:date>2024-11-20T08:00:00+07:00</dc:date></item>
          <item rdf:about="http://a.example/1"><title>Satu</title><link>http://a.example/1</link><dc:date>Selasa, 19 Nov 2024 08:00 WIB</dc:date></item>
        </rdf:RDF>"#,
    );
    assert_eq!(titles(&feed), ["Satu", "Dua"]);
    assert_eq!(
        rfc3339(feed.items[0].published).as_deref(),
        Some("2024-11-19T08:00:00+07:00")
    );
}

#[test]
fn rss_20_with_indonesian_dates_and_relative_links() {
    let feed = parse(&rss2(
        r#"<item><title>Baru</title><link>/berita/2</link><guid>id-2</guid>
             <pubDate>Rabu, 20 Nov 2024 10:15:00 WITA</pubDate><author>redaksi@contoh.example (Tim Redaksi)</author></item>
           <item><title>Lama</title><link>berita/1</link><guid>id-1</guid>
             <pubDate>Tue, 19 Nov 2024 10:15:00 +0700</pubDate></item>"#,
    ));
    assert_eq!(titles(&feed), ["Lama", "Baru"]);
    let (old, new) = (&feed.items[0], &feed.items[1]);
    assert_eq!(
        old.link.as_ref().map(Url::as_str),
        Some("https://contoh.example/rss/berita/1")
    );
    assert_eq!(
        new.link.as_ref().map(Url::as_str),
        Some("https://contoh.example/berita/2")
    );
    assert_eq!(
        rfc3339(new.published).as_deref(),
        Some("2024-11-20T10:15:00+08:00")
    );
    assert_eq!(
        rfc3339(old.published).as_deref(),
        Some("2024-11-19T10:15:00+07:00")
    );
    assert_eq!(new.guid, "id-2");
    assert_eq!(new.author.as_deref(), Some("Tim Redaksi"));
}

#[test]
fn atom_10() {
    let feed = parse(
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2024-11-20T00:00:00Z</updated>
        <entry><title type="html">&lt;b&gt;Tebal&lt;/b&gt; judul</title><id>urn:a:1</id><link href="https://a.example/1"/>
        <updated>2024-11-20T01:00:00Z</updated><content type="html">&lt;p&gt;Satu&lt;/p&gt;&lt;p&gt;Dua&lt;/p&gt;</content></entry></feed>"#,
    );
    let item = &feed.items[0];
    assert_eq!(item.title.as_deref(), Some("Tebal judul"));
    assert_eq!(item.guid, "urn:a:1");
    assert_eq!(item.published, None);
    assert_eq!(
        rfc3339(item.updated).as_deref(),
        Some("2024-11-20T01:00:00+00:00")
    );
    assert_eq!(item.summary_text.as_deref(), Some("Satu\n\nDua"));
    assert_eq!(item.summary_html.as_deref(), Some("<p>Satu</p><p>Dua</p>"));
}

#[test]
fn json_feed() {
    let feed = parse(
        r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[
            {"id":"2","url":"/p/2","title":"Dua","content_html":"<p>B</p>","date_published":"2024-11-20T09:00:00+07:00"},
            {"id":"1","url":"https://contoh.example/p/1","title":"Satu","content_text":"A","date_published":"Selasa, 19 Nov 2024 09:00 WIB"}]}"#,
    );
    assert_eq!(feed.title.as_deref(), Some("J"));
    assert_eq!(titles(&feed), ["Satu", "Dua"]);
    assert_eq!(
        rfc3339(feed.items[0].published).as_deref(),
        Some("2024-11-19T09:00:00+07:00")
    );
    assert_eq!(feed.items[1].summary_text.as_deref(), Some("B"));
}

// ---- not a feed ---------------------------------------------------------------------

#[test]
fn empty_bodies_are_empty() {
    for body in ["", "   \n\t ", "\u{feff}"] {
        let err = parse_feed(body.as_bytes(), None, &base(), now()).unwrap_err();
        assert!(matches!(err, FeedError::Empty), "{body:?}: {err}");
    }
}

#[test]
fn html_page_names_its_feed() {
    let page = r#"<!DOCTYPE html><html><head><title>Beranda</title>
        <link rel="alternate" type="application/rss+xml" title="RSS" href="/feed/"></head><body><p>Berita</p></body></html>"#;
    let err = parse_feed(page.as_bytes(), None, &base(), now()).unwrap_err();
    match &err {
        FeedError::NotAFeed { alternate, .. } => {
            assert_eq!(
                alternate.as_ref().map(Url::as_str),
                Some("https://contoh.example/feed/")
            )
        }
        other => panic!("expected NotAFeed, got {other:?}"),
    }
    assert!(
        err.to_string().contains("https://contoh.example/feed/"),
        "{err}"
    );
}

#[test]
fn html_page_without_feed_and_plain_text() {
    let err = parse_feed(b"<html><body>404</body></html>", None, &base(), now()).unwrap_err();
    assert!(
        matches!(
            err,
            FeedError::NotAFeed {
                alternate: None,
                ..
            }
        ),
        "{err:?}"
    );
    let err = parse_feed(b"Service Unavailable", None, &base(), now()).unwrap_err();
    assert!(matches!(err, FeedError::NotAFeed { .. }), "{err:?}");
}

#[test]
fn truncated_before_any_item_says_so() {
    let body = rss2("<item><title>A</title><guid>1</guid></item>");
    let cut = body.find("</item>").unwrap();
    let err = parse_feed(&body.as_bytes()[..cut], None, &base(), now()).unwrap_err();
    assert!(matches!(err, FeedError::Malformed(_)), "{err:?}");
    assert!(err.to_string().contains("cut off"), "{err}");
}

#[test]
fn hopeless_xml_is_malformed() {
    let err = parse_feed(
        b"<?xml version=\"1.0\"?><notafeed><x/></notafeed>",
        None,
        &base(),
        now(),
    )
    .unwrap_err();
    assert!(matches!(err, FeedError::Malformed(_)), "{err:?}");
}

// ---- repairs ----------------------------------------------------------------------

/// Each case: a body feed-rs rejects or misreads as-is, the repair note expected, and the
/// first item's title after repair.
#[test]
fn each_repair_recovers_its_feed() {
    let cases: &[(&str, String, &str, &str)] = &[
        (
            "bare ampersand",
            rss2("<item><title>Tom & Jerry</title><link>http://a.example/?a=1&b=2</link></item>"),
            "escaped 2 bare '&'",
            "Tom & Jerry",
        ),
        (
            "html entities with a bare ampersand",
            rss2("<item><title>Banjir&nbsp;di &ldquo;Kota&rdquo; & desa</title><guid>1</guid></item>"),
            "escaped 1 bare '&'; mapped 3 HTML entities to characters",
            "Banjir di \u{201c}Kota\u{201d} & desa",
        ),
        (
            "truncated body",
            rss2("<item><title>A</title><guid>1</guid></item><item><title>B</title><guid>2</guid></item>")
                .replace("</item></channel></rss>", "</it"),
            "cut a truncated feed back to its last complete item (",
            "A",
        ),
        (
            "php warning before the declaration",
            format!(
                "<br />\n<b>Warning</b>: Cannot modify header information in <b>/var/www/feed.php</b><br />\n{}",
                rss2("<item><title>A</title><guid>1</guid></item>")
            ),
            "removed 90 bytes before the XML declaration",
            "A",
        ),
        (
            "second declaration",
            rss2("<item><title>A</title><guid>1</guid></item>")
                .replace("<channel>", "<channel><?xml version=\"1.0\" encoding=\"iso-8859-1\"?>"),
            "removed 1 extra XML declaration(s)",
            "A",
        ),
    ];
    for (name, body, note, title) in cases {
        let feed = match parse_feed(body.as_bytes(), None, &base(), now()) {
            Ok(feed) => feed,
            Err(e) => panic!("{name}: {e}"),
        };
        assert!(
            feed.repairs.iter().any(|r| r.starts_with(note)),
            "{name}: repairs {:?}, want {note:?}",
            feed.repairs
        );
        assert_eq!(
            feed.items.first().and_then(|i| i.title.as_deref()),
            Some(*title),
            "{name}"
        );
    }
}

/// Dialects a strict parser rejects or half-reads are read as they are, with nothing to
/// repair.
#[test]
fn every_dialect_is_read_without_repair() {
    let cases: &[(&str, &str)] = &[
        (
            "rss without version",
            "<rss><channel><title>T</title><item><title>A</title><guid>1</guid></item></channel></rss>",
        ),
        (
            "rss version 2.00",
            "<rss version=\"2.00\"><channel><item><title>A</title><guid>1</guid></item></channel></rss>",
        ),
        (
            "items without a channel",
            "<rss version=\"2.0\"><item><title>A</title><link>http://a.example/1</link></item></rss>",
        ),
        (
            "rss 0.90",
            r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>T</title></channel><item><title>A</title><link>http://a.example/1</link></item></rdf:RDF>"#,
        ),
        (
            "userland namespace",
            r#"<rss version="2.0" xmlns="http://backend.userland.com/rss2"><channel><item><title>A</title><link>http://a.example/1</link></item></channel></rss>"#,
        ),
        (
            "atom written with item",
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><item><title>A</title><link href="http://a.example/1"/></item></feed>"#,
        ),
        (
            "cdf",
            r#"<CHANNEL HREF="http://a.example/"><TITLE>T</TITLE><ITEM HREF="http://a.example/1" LASTMOD="2024-11-19T10:00"><TITLE>A</TITLE><ABSTRACT>Isi</ABSTRACT></ITEM></CHANNEL>"#,
        ),
        (
            "atom 0.3",
            r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Lama</title>
               <entry><title>A</title><id>urn:1</id><link rel="alternate" href="http://a.example/1"/>
               <issued>2024-11-19T10:00:00+07:00</issued><modified>2024-11-19T11:00:00+07:00</modified></entry></feed>"#,
        ),
    ];
    for (name, body) in cases {
        let feed = match parse_feed(body.as_bytes(), None, &base(), now()) {
            Ok(feed) => feed,
            Err(e) => panic!("{name}: {e}"),
        };
        assert_eq!(titles(&feed), ["A"], "{name}");
        assert!(feed.repairs.is_empty(), "{name}: {:?}", feed.repairs);
    }
}

#[test]
fn rss_10_items_without_link_are_kept() {
    let feed = parse(
        r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
          <channel rdf:about="http://a.example/"><title>RDF</title><link>http://a.example/</link><description>d</description></channel>
          <item rdf:about="http://a.example/2"><title>Dua</title></item>
          <item rdf:about="http://a.example/1"><title>Satu</title><link>http://a.example/1</link></item>
        </rdf:RDF>"#,
    );
    assert_eq!(titles(&feed), ["Satu", "Dua"]);
    assert_eq!(
        feed.items[1].link.as_ref().map(Url::as_str),
        Some("http://a.example/2")
    );
    assert!(feed.repairs.is_empty(), "{:?}", feed.repairs);
}

#[test]
fn atom_03_dates_are_recovered_from_markup() {
    let feed = parse(
        r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Lama</title>
           <entry><title>A</title><id>urn:1</id><link rel="alternate" href="http://a.example/1"/>
           <issued>2024-11-19T10:00:00+07:00</issued><modified>2024-11-19T11:00:00+07:00</modified></entry></feed>"#,
    );
    let item = &feed.items[0];
    assert_eq!(
        rfc3339(item.published).as_deref(),
        Some("2024-11-19T10:00:00+07:00")
    );
    assert_eq!(
        rfc3339(item.updated).as_deref(),
        Some("2024-11-19T11:00:00+07:00")
    );
}

#[test]
fn entities_in_a_feed_that_parses_are_decoded_without_repair() {
    let feed = parse(&rss2(
        "<item><title>Banjir&nbsp;di Samarinda</title><guid>1</guid></item>",
    ));
    assert_eq!(feed.items[0].title.as_deref(), Some("Banjir di Samarinda"));
}

#[test]
fn windows_1252_is_transcoded() {
    let mut body = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><rss version=\"2.0\"><channel><item><title>".to_vec();
    body.extend_from_slice(b"\x93Caf\xe9\x94</title><guid>1</guid></item></channel></rss>");
    let feed = parse_feed(&body, None, &base(), now()).unwrap();
    assert_eq!(feed.items[0].title.as_deref(), Some("\u{201c}Café\u{201d}"));
    assert_eq!(
        feed.repairs,
        [
            "transcoded from windows-1252",
            "rewrote the declared encoding windows-1252 to UTF-8"
        ]
    );
}

#[test]
fn utf8_declared_as_latin1_is_not_mojibake() {
    let body = "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss version=\"2.0\"><channel><item><title>Café Kopi</title><guid>1</guid></item></channel></rss>";
    let feed = parse(body);
    assert_eq!(feed.items[0].title.as_deref(), Some("Café Kopi"));
}

#[test]
fn http_charset_decides_over_the_declaration_for_non_utf8() {
    let mut body = b"<rss version=\"2.0\"><channel><item><title>".to_vec();
    body.extend_from_slice(b"\xc1\xe2\xf1\xe0</title><guid>1</guid></item></channel></rss>");
    let feed = parse_feed(&body, Some("windows-1251"), &base(), now()).unwrap();
    assert_eq!(feed.items[0].title.as_deref(), Some("Бвса"));
}

// ---- panics -------------------------------------------------------------------------

/// feed-rs slices a byte before the e-mail address and panics on `\u{a0}` (DESIGN.md).
#[test]
fn an_author_written_as_name_and_address_keeps_the_name() {
    for (written, name) in [
        ("Tim Redaksi\u{a0}redaksi@contoh.example", "Tim Redaksi"),
        ("redaksi@contoh.example (Tim Redaksi)", "Tim Redaksi"),
        ("redaksi@contoh.example", "redaksi@contoh.example"),
        ("Andi Saputra", "Andi Saputra"),
    ] {
        let feed = parse(&rss2(&format!(
            "<item><title>A</title><guid>1</guid><author>{written}</author></item>"
        )));
        assert_eq!(feed.items[0].author.as_deref(), Some(name), "{written}");
    }
}

#[test]
fn arbitrary_garbage_never_panics() {
    let bodies: &[&[u8]] = &[
        b"<",
        b"<?xml",
        b"<rss",
        b"<rss version=\"2.0\"><channel><item><title>&",
        b"{",
        b"{\"version\":\"https://jsonfeed.org/version/1\",\"items\":[{]}",
        b"\xff\xfe<\x00r\x00",
        b"\xfe\xff\x00<\x00r",
        b"<feed><entry><link href=\"javascript:alert(1)\"/><title>x</title></entry></feed>",
        b"<rss version=\"2.0\"><channel><item><itunes:duration xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\">99999999999999999999:99</itunes:duration></item></channel></rss>",
    ];
    for body in bodies {
        let _ = parse_feed(body, None, &base(), now());
    }
}

// ---- identity, links and order ------------------------------------------------------

#[test]
fn guid_falls_back_to_link_when_blank_or_repeated() {
    let feed = parse(&rss2(
        r#"<item><title>C</title><link>/c</link><guid>sama</guid><pubDate>Wed, 20 Nov 2024 03:00:00 GMT</pubDate></item>
           <item><title>B</title><link>/b</link><guid>sama</guid><pubDate>Wed, 20 Nov 2024 02:00:00 GMT</pubDate></item>
           <item><title>A</title><link>/a</link><guid>  </guid><pubDate>Wed, 20 Nov 2024 01:00:00 GMT</pubDate></item>
           <item><title>Z</title><guid>unik</guid><pubDate>Wed, 20 Nov 2024 00:00:00 GMT</pubDate></item>"#,
    ));
    let guids: Vec<&str> = feed.items.iter().map(|i| i.guid.as_str()).collect();
    assert_eq!(
        guids,
        [
            "unik",
            "https://contoh.example/a",
            "https://contoh.example/b",
            "https://contoh.example/c"
        ]
    );
}

#[test]
fn guid_without_link_is_a_stable_hash() {
    let body = rss2("<item><title>Tanpa tautan</title><description>isi</description></item>");
    let a = parse(&body);
    let b = parse(&body);
    assert!(
        a.items[0].guid.starts_with("blake3:"),
        "{}",
        a.items[0].guid
    );
    assert_eq!(a.items[0].guid, b.items[0].guid);
    assert_eq!(a.items[0].link, None);
}

#[test]
fn permalink_guid_becomes_the_link_and_unsafe_links_are_dropped() {
    let feed = parse(&rss2(
        r#"<item><title>A</title><guid>https://contoh.example/a</guid></item>
           <item><title>B</title><link>javascript:alert(1)</link><guid>12345</guid></item>"#,
    ));
    let by_title = |t: &str| {
        feed.items
            .iter()
            .find(|i| i.title.as_deref() == Some(t))
            .unwrap()
    };
    assert_eq!(
        by_title("A").link.as_ref().map(Url::as_str),
        Some("https://contoh.example/a")
    );
    assert_eq!(by_title("B").link, None);
}

#[test]
fn undated_items_keep_their_neighbours() {
    // Document order (newest first): D(dated 4), x(undated), B(dated 2), y(undated).
    let feed = parse(&rss2(
        r#"<item><title>D</title><guid>d</guid><pubDate>Wed, 20 Nov 2024 04:00:00 GMT</pubDate></item>
           <item><title>x</title><guid>x</guid></item>
           <item><title>B</title><guid>b</guid><pubDate>Wed, 20 Nov 2024 02:00:00 GMT</pubDate></item>
           <item><title>y</title><guid>y</guid></item>"#,
    ));
    assert_eq!(titles(&feed), ["y", "B", "x", "D"]);
}

#[test]
fn out_of_order_feed_is_sorted_oldest_first() {
    let feed = parse(&rss2(
        r#"<item><title>2</title><guid>2</guid><pubDate>Wed, 20 Nov 2024 02:00:00 GMT</pubDate></item>
           <item><title>3</title><guid>3</guid><pubDate>Wed, 20 Nov 2024 03:00:00 GMT</pubDate></item>
           <item><title>1</title><guid>1</guid><pubDate>Wed, 20 Nov 2024 01:00:00 GMT</pubDate></item>"#,
    ));
    assert_eq!(titles(&feed), ["1", "2", "3"]);
}

#[test]
fn dcterms_dates_are_recovered() {
    let feed = parse(
        r#"<rss version="2.0" xmlns:dcterms="http://purl.org/dc/terms/"><channel><title>T</title>
           <item><title>A</title><guid>a</guid><dcterms:issued>2024-11-20T07:00:00+07:00</dcterms:issued>
           <dcterms:modified>Rabu, 20 Nov 2024 08:00 WIB</dcterms:modified></item></channel></rss>"#,
    );
    assert_eq!(
        rfc3339(feed.items[0].published).as_deref(),
        Some("2024-11-20T07:00:00+07:00")
    );
    assert_eq!(
        rfc3339(feed.items[0].updated).as_deref(),
        Some("2024-11-20T08:00:00+07:00")
    );
}

#[test]
fn future_and_ancient_dates_are_dropped() {
    let feed = parse(&rss2(
        r#"<item><title>A</title><guid>a</guid><pubDate>Mon, 01 Jan 1970 00:00:00 GMT</pubDate></item>
           <item><title>B</title><guid>b</guid><pubDate>Fri, 20 Nov 2026 00:00:00 GMT</pubDate></item>"#,
    ));
    assert!(feed.items.iter().all(|i| i.published.is_none()));
}

// ---- fixture files ------------------------------------------------------------------

#[test]
fn fixture_indonesian_wordpress_feed() {
    let bytes = include_bytes!("../../tests/fixtures/feeds/kaltim-wordpress.xml");
    let url = Url::parse("https://wartaborneo.example/feed/").unwrap();
    let feed = parse_feed(bytes, Some("UTF-8"), &url, now()).unwrap();
    assert_eq!(
        feed.title.as_deref(),
        Some("Warta Borneo \u{2013} Berita Kalimantan Timur")
    );
    assert!(feed.repairs.is_empty(), "{:?}", feed.repairs);
    let got: Vec<(String, Option<String>, String)> = feed
        .items
        .iter()
        .map(|i| {
            (
                i.link.as_ref().map(Url::to_string).unwrap_or_default(),
                rfc3339(i.published),
                i.guid.clone(),
            )
        })
        .collect();
    let want = [
        (
            "https://wartaborneo.example/2024/11/19/rakor-pilkada/",
            "2024-11-19T16:30:00+08:00",
            "https://wartaborneo.example/?p=48190",
        ),
        (
            "https://wartaborneo.example/2024/11/20/harga-cabai-pasar-segiri-turun/",
            "2024-11-20T08:05:00+08:00",
            "https://wartaborneo.example/?p=48207",
        ),
        (
            "https://wartaborneo.example/2024/11/20/banjir-rendam-tiga-kelurahan-di-samarinda/",
            "2024-11-20T10:15:00+08:00",
            "https://wartaborneo.example/?p=48213",
        ),
    ];
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert_eq!(
            (g.0.as_str(), g.1.as_deref(), g.2.as_str()),
            (w.0, Some(w.1), w.2)
        );
    }
    let flood = &feed.items[2];
    assert_eq!(flood.author.as_deref(), Some("Rina Wulandari"));
    assert_eq!(
        flood.summary_text.as_deref(),
        Some(
            "SAMARINDA \u{2013} Hujan deras sejak Selasa malam membuat Sungai Karang Mumus meluap dan merendam tiga kelurahan.\n\n\u{201c}Air mulai naik sekitar pukul 02.00 Wita,\u{201d} kata Lurah Sidodadi.\n\nBaca juga: BPBD siaga"
        )
    );
    assert!(
        flood
            .summary_html
            .as_deref()
            .unwrap()
            .starts_with("<p>SAMARINDA &#8211;")
    );
    // Without content:encoded, the description is the text.
    assert_eq!(
        feed.items[0].summary_text.as_deref(),
        Some("Rapat membahas kesiapan logistik.")
    );
}

#[test]
fn fixture_atom_with_xml_base() {
    let bytes = include_bytes!("../../tests/fixtures/feeds/atom-xml-base.xml");
    let url = Url::parse("https://berita.example/id/atom.xml").unwrap();
    let feed = parse_feed(bytes, None, &url, now()).unwrap();
    assert_eq!(feed.title.as_deref(), Some("Berita & Opini"));
    assert_eq!(
        titles(&feed),
        ["Opini: Kota & Sungai", "Jembatan Mahakam Ditutup Sementara"]
    );
    let (opini, bridge) = (&feed.items[0], &feed.items[1]);
    assert_eq!(
        bridge.link.as_ref().map(Url::as_str),
        Some("https://berita.example/id/artikel/1002-jembatan-mahakam")
    );
    assert_eq!(
        opini.link.as_ref().map(Url::as_str),
        Some("https://arsip.example/opini/kota-dan-sungai")
    );
    assert_eq!(bridge.author.as_deref(), Some("Dewi Lestari"));
    assert_eq!(
        rfc3339(bridge.published).as_deref(),
        Some("2024-11-20T09:00:00+08:00")
    );
    assert_eq!(
        rfc3339(bridge.updated).as_deref(),
        Some("2024-11-20T09:30:00+08:00")
    );
    assert_eq!(
        bridge.summary_text.as_deref(),
        Some("Perbaikan sambungan berlangsung dua hari.\n\nPengendara diminta memutar.")
    );
    assert_eq!(
        opini.summary_text.as_deref(),
        Some("Sungai adalah halaman depan kota.\n\nBukan halaman belakang.")
    );
    assert_eq!(
        opini.summary_html.as_deref(),
        Some("<p>Sungai adalah halaman depan kota.</p><p>Bukan halaman belakang.</p>")
    );
}

#[test]
fn fixture_legacy_broken_feed() {
    let bytes = include_bytes!("../../tests/fixtures/feeds/legacy-broken.xml");
    let url = Url::parse("http://koran-daerah.example/rss.php").unwrap();
    let feed = parse_feed(bytes, None, &url, now()).unwrap();
    assert_eq!(
        feed.title.as_deref(),
        Some("Koran Daerah \u{2013} Berita Terkini")
    );
    assert_eq!(
        titles(&feed),
        [
            "Festival Budaya \u{201c}Erau\u{201d} Dibuka Gubernur",
            "Café Baru di Tepian Mahakam"
        ]
    );
    let festival = &feed.items[0];
    assert_eq!(
        rfc3339(festival.published).as_deref(),
        Some("2024-11-18T19:00:00+07:00")
    );
    assert_eq!(
        festival.link.as_ref().map(Url::as_str),
        Some("http://koran-daerah.example/baca.php?id=901&kat=budaya")
    );
    assert_eq!(
        festival.guid,
        "http://koran-daerah.example/baca.php?id=901&kat=budaya"
    );
    assert_eq!(
        festival.summary_text.as_deref(),
        Some("Ribuan warga & wisatawan memadati Tenggarong.")
    );
    assert_eq!(
        rfc3339(feed.items[1].published).as_deref(),
        Some("2024-11-19T08:00:00+07:00")
    );
    for expected in [
        "transcoded from windows-1252",
        "removed 2 bytes before the XML declaration",
        "escaped 3 bare '&'; mapped 2 HTML entities to characters",
        "cut a truncated feed back to its last complete item",
    ] {
        assert!(
            feed.repairs.iter().any(|r| r.starts_with(expected)),
            "missing {expected:?} in {:?}",
            feed.repairs
        );
    }
}

/// A guid that says it is the permalink is the link, even written relative (resolved
/// against xml:base); one that does not say so is a link only when it is an absolute URL.
#[test]
fn an_explicit_permalink_guid_is_resolved_and_a_bare_one_is_not_a_link() {
    let feed = parse(
        r#"<rss version="2.0" xml:base="http://a.example/podcast/"><channel>
          <item><title>Satu</title><guid isPermaLink="true">episode/1/</guid></item>
          <item><title>Dua</title><guid>12345</guid></item>
        </channel></rss>"#,
    );
    let link = |title: &str| {
        feed.items
            .iter()
            .find(|i| i.title.as_deref() == Some(title))
            .and_then(|i| i.link.as_ref().map(Url::to_string))
    };
    assert_eq!(
        link("Satu").as_deref(),
        Some("http://a.example/podcast/episode/1/")
    );
    assert_eq!(link("Dua"), None);
}

/// A body nested fifty thousand deep reads in bounded memory and the items around it
/// still come through.
#[test]
fn pathological_nesting_is_skipped_and_the_items_kept() {
    let deep = "<b>".repeat(50_000);
    let body = rss2(&format!(
        "<item><title>Satu</title><guid>1</guid><description>{deep}</description></item>\
         <item><title>Dua</title><guid>2</guid></item>"
    ));
    let feed = parse(&body);
    let mut got = titles(&feed);
    got.sort_unstable();
    assert_eq!(got, ["Dua", "Satu"]);
    assert!(
        feed.repairs.iter().any(|r| r.contains("nested deeper")),
        "{:?}",
        feed.repairs
    );
}
