use std::io::Write;

use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../tests/fixtures/sitemaps/", $name)).as_slice()
    };
}

/// Wednesday 2024-11-20 12:00 UTC.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 11, 20, 12, 0, 0).unwrap()
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Reads `bytes` as the sitemap at `at`, scoped to that site, with `limits`.
fn read_with(bytes: &[u8], at: &str, limits: &Limits) -> (Vec<Entry>, Summary) {
    read_from(bytes, at, limits)
}

fn read_from(input: impl BufRead, at: &str, limits: &Limits) -> (Vec<Entry>, Summary) {
    let base = url(at);
    let mut entries = Vec::new();
    let summary = read(input, &base, &Scope::new(&base), limits, now(), |e| {
        entries.push(e);
        ControlFlow::Continue(())
    });
    (entries, summary)
}

fn read_all(bytes: &[u8], at: &str) -> (Vec<Entry>, Summary) {
    read_with(bytes, at, &Limits::default())
}

fn pages(entries: &[Entry]) -> Vec<&Page> {
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::Page(p) => Some(p),
            Entry::Sitemap(_) => None,
        })
        .collect()
}

fn children(entries: Vec<Entry>) -> Vec<Child> {
    entries
        .into_iter()
        .filter_map(|e| match e {
            Entry::Sitemap(c) => Some(c),
            Entry::Page(_) => None,
        })
        .collect()
}

fn urls_of(pages: &[&Page]) -> Vec<String> {
    pages.iter().map(|p| p.url.to_string()).collect()
}

fn files(children: &[Child]) -> Vec<String> {
    children
        .iter()
        .map(|c| {
            let file = c.url.path_segments().unwrap().next_back().unwrap();
            match c.url.query() {
                Some(q) => format!("{file}?{q}"),
                None => file.to_string(),
            }
        })
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn yoast_index_lists_its_children_with_lastmod() {
    let (entries, summary) = read_all(
        fixture!("yoast-sitemap-index.xml"),
        "https://kabarsamarinda.example/sitemap_index.xml",
    );
    assert_eq!(summary.kind, Kind::Index);
    assert_eq!(summary.error, None);
    assert!(!summary.gzip);
    let kids = children(entries);
    assert_eq!(kids.len(), 8);
    assert_eq!(
        kids[3].url.as_str(),
        "https://kabarsamarinda.example/post-sitemap4.xml"
    );
    assert_eq!(
        kids[3].lastmod.map(|d| d.to_rfc3339()).as_deref(),
        Some("2024-11-20T03:12:45+00:00")
    );
}

#[test]
fn yoast_children_are_chosen_newest_first_without_taxonomies_or_old_ones() {
    let (entries, _) = read_all(
        fixture!("yoast-sitemap-index.xml"),
        "https://kabarsamarinda.example/sitemap_index.xml",
    );
    let horizon = Some(utc("2024-11-13T12:00:00Z"));
    let choice = select_children(
        children(entries.clone()),
        1,
        horizon,
        &IndexBounds::default(),
        |_| None,
    );
    assert_eq!(files(&choice.chosen), ["post-sitemap4.xml"]);
    let skipped: Vec<(String, SkipReason)> = choice
        .skipped
        .iter()
        .map(|(c, r)| (files(std::slice::from_ref(c)).remove(0), *r))
        .collect();
    assert!(skipped.contains(&("category-sitemap.xml".into(), SkipReason::NotArticles)));
    assert!(skipped.contains(&("post_tag-sitemap.xml".into(), SkipReason::NotArticles)));
    assert!(skipped.contains(&("author-sitemap.xml".into(), SkipReason::NotArticles)));
    assert!(skipped.contains(&("page-sitemap.xml".into(), SkipReason::NotArticles)));
    assert!(skipped.contains(&("post-sitemap3.xml".into(), SkipReason::Old)));
    assert!(skipped.contains(&("post-sitemap.xml".into(), SkipReason::Old)));

    // Without a horizon the count bounds it, newest first.
    let bounds = IndexBounds {
        max_depth: 2,
        max_children: 2,
    };
    let choice = select_children(children(entries.clone()), 1, None, &bounds, |_| None);
    assert_eq!(
        files(&choice.chosen),
        ["post-sitemap4.xml", "post-sitemap3.xml"]
    );
    assert!(
        choice
            .skipped
            .contains(&(children(entries.clone())[1].clone(), SkipReason::OverCount))
    );

    // Deeper than the bounds, nothing is read.
    let choice = select_children(children(entries), 3, None, &bounds, |_| None);
    assert!(choice.chosen.is_empty());
    assert!(
        choice
            .skipped
            .iter()
            .all(|(_, r)| *r == SkipReason::TooDeep)
    );
}

#[test]
fn yoast_post_sitemap_gives_pages_with_images() {
    let (entries, summary) = read_all(
        fixture!("yoast-post-sitemap.xml"),
        "https://kabarsamarinda.example/post-sitemap4.xml",
    );
    assert_eq!(summary.kind, Kind::UrlSet);
    assert_eq!(summary.error, None);
    let pages = pages(&entries);
    assert_eq!(pages.len(), 4);
    assert_eq!(pages[0].lastmod, None);
    let dprd = pages[2];
    assert_eq!(
        dprd.url.as_str(),
        "https://kabarsamarinda.example/2024/11/19/dprd-kaltim-bahas-apbd-2025/"
    );
    assert_eq!(
        dprd.date().map(|d| d.to_rfc3339()).as_deref(),
        Some("2024-11-19T14:45:38+00:00")
    );
    assert_eq!(dprd.images.len(), 2);
    assert_eq!(
        dprd.images[1].url.as_str(),
        "https://i0.wp.com/kabarsamarinda.example/wp-content/uploads/2024/11/gedung-dprd.jpg"
    );
}

#[test]
fn google_news_fields_are_read_and_entities_decoded() {
    let (entries, summary) = read_all(
        fixture!("google-news-sitemap.xml"),
        "https://kutimpost.example/news-sitemap.xml",
    );
    assert_eq!(summary.error, None);
    let pages = pages(&entries);
    assert_eq!(pages.len(), 2);
    let first = pages[0];
    let news = first.news.as_ref().unwrap();
    assert_eq!(news.publication.as_deref(), Some("Kutim Post"));
    assert_eq!(news.language.as_deref(), Some("id"));
    assert_eq!(
        news.title.as_deref(),
        Some("Bupati Tinjau Jalan Poros Sangatta–Bengalon, Warga Minta \"Segera Diaspal\"")
    );
    assert_eq!(
        news.keywords.as_deref(),
        Some("Kutai Timur, Sangatta, infrastruktur")
    );
    assert_eq!(
        news.publication_date.map(|d| d.to_rfc3339()).as_deref(),
        Some("2024-11-20T10:15:00+08:00")
    );
    assert_eq!(first.images.len(), 1);
    let image = &first.images[0];
    assert_eq!(
        image.caption.as_deref(),
        Some("Kondisi jalan poros Sangatta\u{a0}– Bengalon, Rabu (20/11/2024).")
    );
    assert_eq!(image.title.as_deref(), Some("Jalan poros"));

    // The publication date wins over lastmod; CDATA keeps its bare `&`.
    let second = pages[1];
    assert_eq!(
        second.date().map(|d| d.to_rfc3339()).as_deref(),
        Some("2024-11-20T08:05:12+08:00")
    );
    assert_eq!(
        second.news.as_ref().and_then(|n| n.title.as_deref()),
        Some("Harga Cabai di Pasar Induk Sangatta Naik, Pedagang & Pembeli Mengeluh")
    );
}

#[test]
fn video_extension_is_read() {
    let (entries, summary) = read_all(
        fixture!("video-sitemap.xml"),
        "https://tvbalikpapan.example/video-sitemap.xml",
    );
    assert_eq!(summary.error, None);
    let pages = pages(&entries);
    let video = &pages[0].videos[0];
    assert_eq!(
        video.title.as_deref(),
        Some("Banjir Rob di Pesisir Balikpapan")
    );
    assert_eq!(
        video.content.as_ref().map(Url::as_str),
        Some("https://media.tvbalikpapan.example/mp4/banjir-rob.mp4")
    );
    assert_eq!(
        video.thumbnail.as_ref().map(Url::as_str),
        Some("https://img.tvbalikpapan.example/thumb/banjir-rob.jpg")
    );
    assert_eq!(
        video.player.as_ref().map(Url::as_str),
        Some("https://tvbalikpapan.example/embed/98765")
    );
    assert_eq!(
        pages[0].date().map(|d| d.to_rfc3339()).as_deref(),
        Some("2024-11-20T07:45:00+08:00")
    );
}

#[test]
fn a_child_whose_lastmod_has_not_moved_is_not_read_again() {
    let (entries, _) = read_all(
        fixture!("yoast-sitemap-index.xml"),
        "https://kabarsamarinda.example/sitemap_index.xml",
    );
    let kids = children(entries);
    let newest = kids[3].clone();
    let seen_lastmod = newest.lastmod;
    let seen = |u: &Url| (*u == newest.url).then_some(seen_lastmod).flatten();
    let choice = select_children(kids.clone(), 1, None, &IndexBounds::default(), seen);
    assert!(
        choice
            .skipped
            .contains(&(newest.clone(), SkipReason::Unchanged))
    );
    assert_eq!(files(&choice.chosen)[0], "post-sitemap3.xml");
    // Once its lastmod moves on, it is read again.
    let earlier = parse_w3c_date("2024-11-19T00:00:00Z", now());
    let seen = |u: &Url| (*u == newest.url).then_some(earlier).flatten();
    let choice = select_children(kids, 1, None, &IndexBounds::default(), seen);
    assert_eq!(files(&choice.chosen)[0], "post-sitemap4.xml");
}

#[test]
fn wordpress_core_children_go_highest_number_first() {
    let (entries, summary) = read_all(
        fixture!("wp-sitemap.xml"),
        "https://beritaberau.example/wp-sitemap.xml",
    );
    assert_eq!(summary.kind, Kind::Index);
    let choice = select_children(
        children(entries),
        1,
        Some(utc("2024-11-13T12:00:00Z")),
        &IndexBounds::default(),
        |_| None,
    );
    assert_eq!(
        files(&choice.chosen),
        [
            "wp-sitemap-posts-post-12.xml",
            "wp-sitemap-posts-post-2.xml",
            "wp-sitemap-posts-post-1.xml"
        ]
    );
    assert_eq!(choice.skipped.len(), 4);
    assert!(
        choice
            .skipped
            .iter()
            .all(|(_, r)| *r == SkipReason::NotArticles)
    );
}

#[test]
fn blogger_pages_keep_the_index_order() {
    let (entries, _) = read_all(
        fixture!("blogger-sitemap-index.xml"),
        "https://infopaser.blogspot.example/sitemap.xml",
    );
    let kids = children(entries);
    assert_eq!(recency(&kids[0]), Recency::Unknown);
    let choice = select_children(kids, 1, None, &IndexBounds::default(), |_| None);
    assert_eq!(
        files(&choice.chosen),
        [
            "sitemap.xml?page=1",
            "sitemap.xml?page=2",
            "sitemap.xml?page=3"
        ]
    );
    let (entries, summary) = read_all(
        fixture!("blogger-sitemap-page.xml"),
        "https://infopaser.blogspot.example/sitemap.xml?page=1",
    );
    assert_eq!(summary.error, None);
    assert_eq!(pages(&entries).len(), 3);
}

#[test]
fn dated_names_order_children_and_old_ones_are_skipped() {
    let (entries, summary) = read_all(
        fixture!("dated-sitemap-index.xml"),
        "https://www.portalbontang.example/sitemap.xml",
    );
    assert_eq!(summary.error, None);
    let kids = children(entries);
    assert_eq!(
        recency(&kids[2]),
        Recency::Named(utc("2024-11-22T00:00:00Z"))
    );
    let choice = select_children(
        kids,
        1,
        Some(utc("2024-11-13T12:00:00Z")),
        &IndexBounds::default(),
        |_| None,
    );
    assert_eq!(
        files(&choice.chosen),
        [
            "news-sitemap.xml?yyyy=2024&mm=11&dd=20",
            "sitemap-2024-11-19.xml",
            "sitemap-2024-11-18.xml",
            "video.xml"
        ]
    );
    let old: Vec<String> = choice
        .skipped
        .iter()
        .filter(|(_, r)| *r == SkipReason::Old)
        .map(|(c, _)| files(std::slice::from_ref(c)).remove(0))
        .collect();
    assert_eq!(old, ["post-sitemap2024-10.xml", "post-sitemap2024-09.xml"]);
}

#[test]
fn names_give_dates_and_numbers() {
    let named = |s: &str| match recency(&Child {
        url: url(s),
        lastmod: None,
    }) {
        Recency::Named(d) => Some(d.to_rfc3339()),
        _ => None,
    };
    let numbered = |s: &str| match recency(&Child {
        url: url(s),
        lastmod: None,
    }) {
        Recency::Numbered(n) => Some(n),
        _ => None,
    };
    // The end of the named period, a day late.
    assert_eq!(
        named("https://a.example/post-sitemap2024-11.xml").as_deref(),
        Some("2024-12-02T00:00:00+00:00")
    );
    assert_eq!(
        named("https://a.example/sitemap-2024-12.xml").as_deref(),
        Some("2025-01-02T00:00:00+00:00")
    );
    assert_eq!(
        named("https://a.example/sitemap-posttype-post.202411.xml").as_deref(),
        Some("2024-12-02T00:00:00+00:00")
    );
    assert_eq!(
        named("https://a.example/2024/11/20/sitemap.xml").as_deref(),
        Some("2024-11-22T00:00:00+00:00")
    );
    assert_eq!(
        named("https://a.example/sitemap.xml?year=2023").as_deref(),
        Some("2024-01-02T00:00:00+00:00")
    );
    assert_eq!(named("https://a.example/post-sitemap12.xml"), None);
    assert_eq!(numbered("https://a.example/post-sitemap12.xml"), Some(12));
    assert_eq!(numbered("https://a.example/sitemap-7.xml.gz"), Some(7));
    assert_eq!(numbered("https://a.example/sitemap.xml"), None);
    // lastmod wins over the name.
    let child = Child {
        url: url("https://a.example/sitemap-2020-01.xml"),
        lastmod: parse_w3c_date("2024-11-20", now()),
    };
    assert_eq!(
        recency(&child),
        Recency::Modified(utc("2024-11-20T00:00:00Z"))
    );
}

#[test]
fn a_sloppy_cms_sitemap_is_read_through() {
    let (entries, summary) = read_all(
        fixture!("cms-broken.xml"),
        "https://ppu-news.example/sitemap.xml",
    );
    assert_eq!(summary.kind, Kind::UrlSet);
    assert_eq!(summary.error, None, "{summary:?}");
    let pages = pages(&entries);
    assert_eq!(
        urls_of(&pages),
        [
            "https://ppu-news.example/read/2024/11/20/12345/ibu-kota-nusantara-dan-warga-penajam",
            "https://ppu-news.example/index.php?page=read&id=12346&slug=pasar-murah-babulu",
            "https://ppu-news.example/read/2024/11/19/12340/relatif-dari-akar-situs",
            "https://m.ppu-news.example/read/2024/11/18/12330/versi-mobile",
            "https://ppu-news.example/read/2024/11/18/12329/huruf-besar",
            "https://ppu-news.example/read/2024/11/17/12320/tag-tidak-tertutup",
        ]
    );
    let dates: Vec<Option<String>> = pages
        .iter()
        .map(|p| p.lastmod.map(|d| d.to_rfc3339()))
        .collect();
    assert_eq!(
        dates,
        [
            Some("2024-11-20T10:15:00+00:00".to_string()),
            Some("2024-11-20T09:00:00+00:00".to_string()),
            Some("2024-11-19T00:00:00+00:00".to_string()),
            None,
            Some("2024-11-18T07:30:00+07:00".to_string()),
            Some("2024-11-17T06:00:00+08:00".to_string()),
        ]
    );
    let news = pages[0].news.as_ref().unwrap();
    assert_eq!(
        news.title.as_deref(),
        Some("IKN dan Warga Penajam:\u{a0}Apa Kata Mereka?")
    );
    assert_eq!(
        news.publication_date.map(|d| d.to_rfc3339()).as_deref(),
        Some("2024-11-20T10:15:00+07:00")
    );
    assert_eq!(
        summary.rejected,
        Rejected {
            off_site: 1,
            not_http: 1,
            no_loc: 1,
            ..Rejected::default()
        }
    );
}

#[test]
fn a_text_sitemap_gives_one_page_a_line() {
    let (entries, summary) = read_all(
        fixture!("sitemap.txt"),
        "https://sapos-samarinda.example/sitemap.txt",
    );
    assert_eq!(summary.kind, Kind::Text);
    assert_eq!(summary.error, None);
    assert_eq!(
        urls_of(&pages(&entries)),
        [
            "https://sapos-samarinda.example/2024/11/20/berita-satu",
            "https://sapos-samarinda.example/2024/11/20/berita-dua",
            "https://sapos-samarinda.example/2024/11/19/berita-tiga",
            "https://sapos-samarinda.example/2024/11/18/berita-empat",
        ]
    );
    assert_eq!(summary.rejected.unreadable, 1);
    assert_eq!(summary.rejected.off_site, 1);
}

#[test]
fn a_broken_tail_keeps_what_came_before_and_says_where() {
    // A PHP error printed into the middle of the output, which then stops.
    let bytes = fixture!("broken-tail.xml");
    let (entries, summary) = read_all(bytes, "https://korankutai.example/sitemap.xml");
    assert_eq!(pages(&entries).len(), 5);
    let fifth = bytes.windows(4).position(|w| w == b"lima").unwrap();
    let fifth_ends = fifth
        + bytes[fifth..]
            .windows(6)
            .position(|w| w == b"</url>")
            .unwrap()
        + 6;
    let Some(ReadError::Malformed { offset, message }) = summary.error else {
        panic!("expected a broken tail, got {:?}", summary.error);
    };
    assert_eq!(offset, bytes.len() as u64);
    assert!(
        message.contains(&format!("last complete entry ends at byte {fifth_ends}")),
        "{message}"
    );

    // Markup that cannot be read through is reported where it starts.
    let xml = b"<urlset><url><loc>https://a.example/1</loc></url><url><loc>https://a.example/2</loc></url><!-- sitemap.php: out of memory";
    let (entries, summary) = read_all(xml, "https://a.example/sitemap.xml");
    assert_eq!(entries.len(), 2);
    let at = xml.windows(4).position(|w| w == b"<!--").unwrap() as u64;
    assert!(
        matches!(summary.error, Some(ReadError::Malformed { offset, .. }) if offset == at),
        "{:?}, want offset {at}",
        summary.error
    );
}

#[test]
fn a_cut_off_file_keeps_what_came_before() {
    let (entries, summary) = read_all(
        fixture!("cut-off.xml"),
        "https://korankutai.example/sitemap.xml",
    );
    assert_eq!(pages(&entries).len(), 2);
    assert!(
        matches!(summary.error, Some(ReadError::Malformed { .. })),
        "{:?}",
        summary.error
    );
}

#[test]
fn an_html_page_is_not_a_sitemap() {
    let (entries, summary) = read_all(
        fixture!("not-a-sitemap.html"),
        "https://kabarsamarinda.example/sitemap.xml",
    );
    assert!(entries.is_empty());
    assert_eq!(summary.kind, Kind::Unknown);
    assert_eq!(
        summary.error,
        Some(ReadError::NotSitemap {
            root: "html".into()
        })
    );
}

#[test]
fn a_text_without_urls_is_not_a_sitemap() {
    let (entries, summary) = read_all(
        br#"{"code":"rest_no_route","message":"Tidak ada rute"}"#,
        "https://a.example/sitemap.xml",
    );
    assert!(entries.is_empty());
    assert_eq!(summary.error, Some(ReadError::NotText));
}

#[test]
fn an_empty_file_says_so() {
    let (_, summary) = read_all(b"\xef\xbb\xbf \n\n", "https://a.example/sitemap.xml");
    assert_eq!(summary.error, Some(ReadError::Empty));
}

#[test]
fn gzip_is_recognised_by_its_bytes_not_its_name() {
    let plain = fixture!("google-news-sitemap.xml");
    let packed = gzip(plain);
    // Named .xml, sent without Content-Encoding: the bytes decide.
    let (want, _) = read_all(plain, "https://kutimpost.example/news-sitemap.xml");
    let (got, summary) = read_all(&packed, "https://kutimpost.example/news-sitemap.xml");
    assert!(summary.gzip);
    assert_eq!(summary.error, None);
    assert_eq!(summary.bytes, plain.len() as u64);
    assert_eq!(got, want);
    // A text sitemap, gzipped.
    let (got, summary) = read_all(
        &gzip(fixture!("sitemap.txt")),
        "https://sapos-samarinda.example/sitemap.txt.gz",
    );
    assert_eq!((summary.kind, pages(&got).len()), (Kind::Text, 4));
}

#[test]
fn truncated_gzip_keeps_the_entries_before_the_break() {
    let mut xml = String::from(r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#);
    for i in 0..2000 {
        xml.push_str(&format!(
            "<url><loc>https://a.example/berita/{i}-{}</loc></url>\n",
            i * 7919 % 10007
        ));
    }
    xml.push_str("</urlset>");
    let packed = gzip(xml.as_bytes());
    let cut = &packed[..packed.len() / 2];
    let (entries, summary) = read_all(cut, "https://a.example/sitemap.xml.gz");
    assert!(summary.gzip);
    assert!(
        matches!(summary.error, Some(ReadError::Gzip { .. })),
        "{:?}",
        summary.error
    );
    assert!(
        entries.len() > 100 && entries.len() < 2000,
        "{}",
        entries.len()
    );
}

#[test]
fn a_gzip_bomb_stops_at_the_limit() {
    // 8 MiB of comment compresses to a few kilobytes.
    let mut xml = b"<urlset><url><loc>https://a.example/satu</loc></url><!--".to_vec();
    xml.resize(8 * 1024 * 1024, b' ');
    xml.extend_from_slice(b"--></urlset>");
    let packed = gzip(&xml);
    assert!(packed.len() < 64 * 1024);
    let limits = Limits {
        max_bytes: 1024 * 1024,
        max_element_bytes: 16 * 1024 * 1024,
        ..Limits::default()
    };
    let (entries, summary) = read_with(&packed, "https://a.example/sitemap.xml", &limits);
    assert_eq!(entries.len(), 1);
    assert_eq!(
        summary.error,
        Some(ReadError::TooLarge {
            limit: 1024 * 1024,
            compressed: false
        })
    );
    assert_eq!(summary.bytes, 1024 * 1024);

    // The compressed side is bounded too.
    let limits = Limits {
        max_compressed_bytes: 1024,
        ..limits
    };
    let (_, summary) = read_with(&packed, "https://a.example/sitemap.xml", &limits);
    assert_eq!(
        summary.error,
        Some(ReadError::TooLarge {
            limit: 1024,
            compressed: true
        })
    );
}

#[test]
fn an_overlong_piece_of_markup_is_refused_not_buffered() {
    let mut xml =
        b"<urlset><url><loc>https://a.example/satu</loc></url><url><loc>https://a.example/"
            .to_vec();
    xml.resize(xml.len() + 200_000, b'a');
    xml.extend_from_slice(b"</loc></url></urlset>");
    let (entries, summary) = read_all(&xml, "https://a.example/sitemap.xml");
    assert_eq!(entries.len(), 1);
    assert!(
        matches!(summary.error, Some(ReadError::TooLong { limit: 65536, .. })),
        "{:?}",
        summary.error
    );
    assert!(
        summary.largest_buffer <= 2 * 65536,
        "{}",
        summary.largest_buffer
    );
}

#[test]
fn an_overlong_loc_is_rejected_and_reading_goes_on() {
    let long = format!("https://a.example/{}", "a".repeat(3000));
    let xml = format!(
        "<urlset><url><loc>{long}</loc></url><url><loc>https://a.example/dua</loc></url></urlset>"
    );
    let (entries, summary) = read_all(xml.as_bytes(), "https://a.example/sitemap.xml");
    assert_eq!(entries.len(), 1);
    assert_eq!(summary.rejected.too_long, 1);
    assert_eq!(summary.error, None);
}

/// A generated sitemap of `urls` Google News entries, about 1 kB each, produced as it is
/// read so the test itself holds none of it.
struct Generated {
    urls: usize,
    next: usize,
    pending: Vec<u8>,
    at: usize,
    done: bool,
}

impl Generated {
    fn new(urls: usize) -> Self {
        let head = br#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
"#;
        Generated {
            urls,
            next: 0,
            pending: head.to_vec(),
            at: 0,
            done: false,
        }
    }

    fn refill(&mut self) {
        self.pending.clear();
        self.at = 0;
        if self.next < self.urls {
            let i = self.next;
            let minute = i % 60;
            let padding = "x".repeat(400);
            self.pending = format!(
                "<url><loc>https://besar.example/berita/2024/11/20/{i}/judul-berita-yang-cukup-panjang-untuk-sebuah-artikel-{i}</loc><lastmod>2024-11-20T10:{minute:02}:00+08:00</lastmod><news:news><news:publication><news:name>Besar</news:name><news:language>id</news:language></news:publication><news:publication_date>2024-11-20T10:{minute:02}:00+08:00</news:publication_date><news:title>Judul berita nomor {i} &amp; sedikit teks {padding}</news:title></news:news><image:image><image:loc>https://cdn.besar.example/{i}.jpg</image:loc><image:caption>Keterangan gambar {i}</image:caption></image:image></url>\n"
            )
            .into_bytes();
            self.next += 1;
        } else if !self.done {
            self.pending = b"</urlset>\n".to_vec();
            self.done = true;
        }
    }
}

impl Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.at >= self.pending.len() {
            self.refill();
        }
        let n = out.len().min(self.pending.len() - self.at);
        out[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn fifty_thousand_urls_cost_bounded_memory() {
    let base = url("https://besar.example/news-sitemap.xml");
    let mut count = 0;
    let mut largest_entry = 0;
    let summary = read(
        BufReader::new(Generated::new(50_000)),
        &base,
        &Scope::new(&base),
        &Limits::default(),
        now(),
        |e| {
            if let Entry::Page(p) = e {
                count += 1;
                let title = p.news.and_then(|n| n.title).unwrap_or_default();
                largest_entry = largest_entry.max(p.url.as_str().len() + title.len());
            }
            ControlFlow::Continue(())
        },
    );
    assert_eq!(summary.error, None, "{summary:?}");
    assert_eq!(count, 50_000);
    assert!(summary.bytes > 45_000_000, "{}", summary.bytes);
    // The whole file went through; the reader never held more than a few kilobytes.
    assert!(
        summary.largest_buffer < 8 * 1024,
        "held {} bytes",
        summary.largest_buffer
    );
    assert!(largest_entry < 1024);
}

#[test]
fn more_urls_than_the_limit_stop_with_an_error() {
    let limits = Limits {
        max_urls: 1000,
        ..Limits::default()
    };
    let (entries, summary) = read_with_gen(1001, &limits);
    assert_eq!(entries, 1000);
    assert!(
        matches!(summary.error, Some(ReadError::TooManyUrls { limit: 1000, offset }) if offset > 900_000),
        "{:?}",
        summary.error
    );
    let (entries, summary) = read_with_gen(1000, &limits);
    assert_eq!((entries, summary.error), (1000, None));
}

fn read_with_gen(urls: usize, limits: &Limits) -> (usize, Summary) {
    let base = url("https://besar.example/news-sitemap.xml");
    let mut count = 0;
    let summary = read(
        BufReader::new(Generated::new(urls)),
        &base,
        &Scope::new(&base),
        limits,
        now(),
        |_| {
            count += 1;
            ControlFlow::Continue(())
        },
    );
    (count, summary)
}

#[test]
fn the_callback_can_stop_the_reading() {
    let base = url("https://besar.example/news-sitemap.xml");
    let mut seen = 0;
    let summary = read(
        BufReader::new(Generated::new(100)),
        &base,
        &Scope::new(&base),
        &Limits::default(),
        now(),
        |_| {
            seen += 1;
            if seen == 3 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    );
    assert_eq!((seen, summary.entries, summary.stopped), (3, 3, true));
    assert_eq!(summary.error, None);
    assert!(summary.bytes < 10_000);
}

#[test]
fn mismatched_end_tags_close_what_they_name() {
    let xml = b"<urlset><url><loc>https://a.example/satu</url><url><loc>https://a.example/dua</loc><lastmod>2024-11-20</lastmod></url></urlset>";
    let (entries, summary) = read_all(xml, "https://a.example/sitemap.xml");
    assert_eq!(summary.error, None);
    assert_eq!(
        urls_of(&pages(&entries)),
        ["https://a.example/satu", "https://a.example/dua"]
    );
}

#[test]
fn scope_keeps_the_site_its_subdomains_and_allowed_hosts() {
    let scope = Scope::new(&url("https://www.kaltimkece.example/")).allow_host("kece-cdn.example");
    for ok in [
        "https://kaltimkece.example/a",
        "http://www.kaltimkece.example/a",
        "https://samarinda.kaltimkece.example/a",
        "https://KALTIMKECE.example./a",
        "https://www.kece-cdn.example/a",
    ] {
        assert!(scope.allows(&url(ok)), "{ok}");
    }
    for refused in [
        "https://notkaltimkece.example/a",
        "https://kaltimkece.example.evil.example/a",
        "ftp://kaltimkece.example/a",
        "https://sub.kece-cdn.example/a",
    ] {
        assert!(!scope.allows(&url(refused)), "{refused}");
    }
}

#[test]
fn a_sitemap_host_named_by_robots_may_serve_children_but_not_pages() {
    let site = url("https://kabarsamarinda.example/");
    let scope = Scope::new(&site).allow_sitemap_host("static.kabarsamarinda-cdn.example");
    let xml = b"<sitemapindex><sitemap><loc>https://static.kabarsamarinda-cdn.example/sitemaps/post-1.xml.gz</loc></sitemap><sitemap><loc>https://lain.example/sitemap.xml</loc></sitemap></sitemapindex>";
    let base = url("https://static.kabarsamarinda-cdn.example/sitemaps/kabarsamarinda.xml.gz");
    let mut got = Vec::new();
    let summary = read(&xml[..], &base, &scope, &Limits::default(), now(), |e| {
        got.push(e);
        ControlFlow::Continue(())
    });
    assert_eq!(files(&children(got)), ["post-1.xml.gz"]);
    assert_eq!(summary.rejected.off_site, 1);
    assert!(!scope.allows(&url(
        "https://static.kabarsamarinda-cdn.example/2024/11/20/berita"
    )));
}

#[test]
fn candidates_come_from_robots_then_well_known_paths_without_repeats() {
    let robot = texting_robots::Robot::new("warta", fixture!("robots.txt")).unwrap();
    let got: Vec<String> = candidates(
        &url("https://kabarsamarinda.example/kategori/kaltim"),
        &robot.sitemaps,
    )
    .iter()
    .map(Url::to_string)
    .collect();
    assert_eq!(
        got,
        [
            "https://kabarsamarinda.example/sitemap_index.xml",
            "https://kabarsamarinda.example/news-sitemap.xml",
            "https://kabarsamarinda.example/sitemap.xml",
            "https://static.kabarsamarinda-cdn.example/sitemaps/kabarsamarinda.xml.gz",
            "https://kabarsamarinda.example/wp-sitemap.xml",
        ]
    );
    let bare: Vec<String> = candidates(&url("http://bontang.example"), &[])
        .iter()
        .map(Url::to_string)
        .collect();
    assert_eq!(
        bare,
        [
            "http://bontang.example/sitemap.xml",
            "http://bontang.example/sitemap_index.xml",
            "http://bontang.example/news-sitemap.xml",
            "http://bontang.example/wp-sitemap.xml",
        ]
    );
}

fn page(u: &str, date: Option<&str>) -> Page {
    Page {
        url: url(u),
        lastmod: date.map(|d| DateTime::parse_from_rfc3339(d).unwrap()),
        news: None,
        images: Vec::new(),
        videos: Vec::new(),
    }
}

#[test]
fn selection_keeps_the_newest_after_the_horizon_then_undated() {
    let offered = vec![
        page("https://a.example/lama", Some("2024-11-01T00:00:00Z")),
        page("https://a.example/tanpa-tanggal-1", None),
        page("https://a.example/b", Some("2024-11-18T00:00:00Z")),
        page("https://a.example/c", Some("2024-11-20T00:00:00+08:00")),
        page("https://a.example/tanpa-tanggal-2", None),
        page("https://a.example/d", Some("2024-11-19T00:00:00Z")),
        page("https://a.example/c", Some("2024-11-20T00:00:00+08:00")),
        page("https://a.example/e", Some("2024-11-14T00:00:00Z")),
    ];
    let horizon = Some(utc("2024-11-13T12:00:00Z"));
    let got = |max| -> Vec<String> {
        select_pages(offered.clone(), horizon, max)
            .iter()
            .map(|p| p.url.path().to_string())
            .collect()
    };
    assert_eq!(
        got(10),
        [
            "/c",
            "/d",
            "/b",
            "/e",
            "/tanpa-tanggal-1",
            "/tanpa-tanggal-2"
        ]
    );
    assert_eq!(got(3), ["/c", "/d", "/b"]);
    assert_eq!(got(0), Vec::<String>::new());
    // Without a horizon the old one counts too.
    let all = select_pages(offered.clone(), None, 10);
    assert_eq!(all.len(), 7);
    assert_eq!(all[4].url.path(), "/lama");
}

#[test]
fn selection_holds_no_more_than_its_maximum() {
    let mut newest = Newest::new(None, 5);
    for i in 0..10_000 {
        let day = 1 + i % 28;
        newest.offer(page(
            &format!("https://a.example/{i}"),
            Some(&format!("2024-10-{day:02}T00:00:00Z")),
        ));
        assert!(newest.dated.len() <= 5 && newest.urls.len() <= 5);
    }
    let got = newest.finish();
    assert_eq!(got.len(), 5);
    // The five first offered of the newest day (28 October).
    let paths: Vec<&str> = got.iter().map(|p| p.url.path()).collect();
    assert_eq!(paths, ["/27", "/55", "/83", "/111", "/139"]);
}

#[test]
fn w3c_dates_and_the_broken_forms_sites_emit() {
    #[rustfmt::skip]
    let cases: &[(&str, Option<&str>)] = &[
        ("2024", Some("2024-01-01T00:00:00+00:00")),
        ("2024-11", Some("2024-11-01T00:00:00+00:00")),
        ("2024-11-20", Some("2024-11-20T00:00:00+00:00")),
        ("2024-11-20T10:15+07:00", Some("2024-11-20T10:15:00+07:00")),
        ("2024-11-20T10:15:30+07:00", Some("2024-11-20T10:15:30+07:00")),
        ("2024-11-20T10:15:30.45+07:00", Some("2024-11-20T10:15:30.450+07:00")),
        ("2024-11-20T10:15:30.123456789Z", Some("2024-11-20T10:15:30.123456789+00:00")),
        ("2024-11-20T10:15:30Z", Some("2024-11-20T10:15:30+00:00")),
        ("2024-11-20 10:15:30", Some("2024-11-20T10:15:30+00:00")),
        ("2024-11-20 10:15:30 +07:00", Some("2024-11-20T10:15:30+07:00")),
        ("2024-11-20T10:15:30+0800", Some("2024-11-20T10:15:30+08:00")),
        ("2024-11-20T10:15:30+08", Some("2024-11-20T10:15:30+08:00")),
        ("2024-11-20T10:15:30 UTC", Some("2024-11-20T10:15:30+00:00")),
        ("2024-11-20t10:15:30z", Some("2024-11-20T10:15:30+00:00")),
        ("2024/11/20", Some("2024-11-20T00:00:00+00:00")),
        ("2024-1-5", Some("2024-01-05T00:00:00+00:00")),
        ("  2024-11-20T10:15:30+07:00\n", Some("2024-11-20T10:15:30+07:00")),
        ("Wed, 20 Nov 2024 10:15:00 +0700", Some("2024-11-20T10:15:00+07:00")),
        ("20/11/2024 10:15 WITA", Some("2024-11-20T10:15:00+08:00")),
        ("Rabu, 20 November 2024 10:15 WIB", Some("2024-11-20T10:15:00+07:00")),
        ("0000-00-00 00:00:00", None),
        ("0000-00-00T00:00:00+00:00", None),
        ("1970-01-01T00:00:00Z", None),
        ("2024-13-01", None),
        ("2024-02-30", None),
        ("2024-11-20T25:00:00Z", None),
        ("2024-11-20T10:15:00+15:00", None),
        ("2030-01-01", None),
        ("", None),
        ("tidak diketahui", None),
    ];
    let mut failures = Vec::new();
    for (input, want) in cases {
        let got = parse_w3c_date(input, now()).map(|d| d.to_rfc3339());
        if got.as_deref() != *want {
            failures.push(format!("{input:?} gave {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every fixture cut at every byte: never a panic, never more entries than the whole
/// file, and a cut inside the root element is always reported.
#[test]
fn every_truncation_keeps_a_prefix_and_says_it_is_broken() {
    #[rustfmt::skip]
    let xml_fixtures: &[(&str, &[u8], &str)] = &[
        ("yoast-sitemap-index.xml", fixture!("yoast-sitemap-index.xml"), "https://kabarsamarinda.example/"),
        ("yoast-post-sitemap.xml", fixture!("yoast-post-sitemap.xml"), "https://kabarsamarinda.example/"),
        ("google-news-sitemap.xml", fixture!("google-news-sitemap.xml"), "https://kutimpost.example/"),
        ("video-sitemap.xml", fixture!("video-sitemap.xml"), "https://tvbalikpapan.example/"),
        ("wp-sitemap.xml", fixture!("wp-sitemap.xml"), "https://beritaberau.example/"),
        ("blogger-sitemap-page.xml", fixture!("blogger-sitemap-page.xml"), "https://infopaser.blogspot.example/"),
        ("dated-sitemap-index.xml", fixture!("dated-sitemap-index.xml"), "https://portalbontang.example/"),
        ("cms-broken.xml", fixture!("cms-broken.xml"), "https://ppu-news.example/"),
    ];
    for (name, bytes, at) in xml_fixtures {
        let whole = read_all(bytes, at).0.len();
        assert!(whole > 0, "{name}");
        let root_end = ["</urlset>", "</sitemapindex>"]
            .iter()
            .filter_map(|end| bytes.windows(end.len()).position(|w| w == end.as_bytes()))
            .map(|p| p + 1)
            .min()
            .unwrap();
        for cut in 0..bytes.len() {
            let (entries, summary) = read_all(&bytes[..cut], at);
            assert!(
                entries.len() <= whole,
                "{name} cut at {cut}: {} entries",
                entries.len()
            );
            if cut < root_end {
                assert!(summary.error.is_some(), "{name} cut at {cut}: no error");
            }
        }
    }
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
        let mut xml = b"<urlset><url><loc>https://a.example/1</loc><news:news><news:title>".to_vec();
        xml.extend_from_slice(&tail);
        let (entries, _) = read_all(&xml, "https://a.example/sitemap.xml");
        proptest::prop_assert!(entries.len() <= 1 + tail.len());
        let (_, _) = read_all(&tail, "https://a.example/sitemap.xml");
        let (_, _) = read_all(&gzip(&tail)[..], "https://a.example/sitemap.xml");
    }
}

#[test]
fn legacy_bytes_are_read_as_windows_1252_and_utf8_split_across_reads_survives() {
    let xml = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><urlset><url><loc>https://a.example/1</loc><news:news><news:title>Caf\xe9 \x93Sangatta\x94</news:title></news:news></url><url><loc>https://a.example/caf\xe9</loc></url><url><loc>https://a.example/3</loc></url></urlset>";
    let (entries, summary) = read_all(xml, "https://a.example/sitemap.xml");
    assert_eq!(summary.error, None);
    let found = pages(&entries);
    assert_eq!(
        found[0].news.as_ref().and_then(|n| n.title.as_deref()),
        Some("Caf\u{e9} \u{201c}Sangatta\u{201d}")
    );
    assert_eq!(
        urls_of(&found)[1..],
        ["https://a.example/caf%C3%A9", "https://a.example/3"]
    );

    // Real UTF-8, handed over one byte at a time so every character is split.
    let utf8 = "<urlset><url><loc>https://a.example/1</loc><news:news><news:title>Kota Tepian — Samarinda ✓ 🌧</news:title></news:news></url></urlset>";
    let (entries, summary) = read_from(
        BufReader::with_capacity(1, utf8.as_bytes()),
        "https://a.example/sitemap.xml",
        &Limits::default(),
    );
    assert_eq!(summary.error, None);
    let titles: Vec<Option<String>> = pages(&entries)
        .iter()
        .map(|p| p.news.as_ref().and_then(|n| n.title.clone()))
        .collect();
    assert_eq!(titles, [Some("Kota Tepian — Samarinda ✓ 🌧".to_string())]);
}
