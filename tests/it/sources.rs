//! Sites without feeds (issue 13): a `[[site]]` is read through its sitemaps and archived
//! with the same politeness, state, dedup and stories as a feed.

use crate::on_both;
use std::io::Write;

use chrono::{Duration, Utc};

use crate::support::{Route, Server, Workspace, config_text, int, pages, string};

/// An RFC 3339 time `hours` ago.
fn ago(hours: i64) -> String {
    (Utc::now() - Duration::hours(hours)).to_rfc3339()
}

/// An article page published `hours` ago whose body holds `marker`.
fn article(title: &str, hours: i64, seed: u64, marker: &str) -> Route {
    Route::html(pages::article(
        title,
        &ago(hours),
        "id",
        &pages::story("id", seed, &[marker]),
    ))
}

/// A section page: links and nothing to read.
fn section() -> Route {
    let links: String = (0..12)
        .map(|i| format!("<li><a href=\"/berita/{i}\">Berita {i}</a></li>"))
        .collect();
    Route::html(format!(
        "<!DOCTYPE html><html><head><title>Tag Kutim</title></head><body><ul>{links}</ul></body></html>"
    ))
}

/// A Google News sitemap of `(path, title, hours ago)`.
fn news_sitemap(site: &Server, pages: &[(&str, &str, i64)]) -> String {
    let urls: String = pages
        .iter()
        .map(|(path, title, hours)| {
            format!(
                "<url><loc>{}</loc><news:news><news:publication><news:name>Uji</news:name>\
                 <news:language>id</news:language></news:publication>\
                 <news:publication_date>{}</news:publication_date><news:title>{title}</news:title>\
                 </news:news></url>\n",
                site.url(path),
                ago(*hours)
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" \
         xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">\n{urls}</urlset>\n"
    )
}

/// A plain sitemap of `(path, lastmod hours ago)`.
fn urlset(site: &Server, pages: &[(&str, i64)]) -> String {
    let urls: String = pages
        .iter()
        .map(|(path, hours)| {
            format!(
                "<url><loc>{}</loc><lastmod>{}</lastmod></url>\n",
                site.url(path),
                ago(*hours)
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n{urls}</urlset>\n"
    )
}

fn gzip(text: &str) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

fn site_workspace(site_tables: &str) -> Workspace {
    let ws = Workspace::new();
    ws.write_config(&format!("{}\n{site_tables}", config_text(&[], &[])));
    ws
}

fn requested(site: &Server, path: &str) -> usize {
    site.requests_to(path).len()
}

on_both! {
fn a_news_sitemap_named_in_robots_txt_brings_each_new_article_once() {
    let site = Server::start("127.0.0.1");
    site.route(
        "/robots.txt",
        Route::bytes(
            "text/plain",
            format!(
                "User-agent: *\nAllow: /\nSitemap: {}\n",
                site.url("/news-sitemap.xml")
            ),
        ),
    );
    site.route(
        "/berita/bimtek-aparatur-kutim",
        article(
            "Bimtek aparatur desa",
            2,
            1,
            "Bimtekkutim digelar di Sangatta.",
        ),
    );
    site.route(
        "/berita/jembatan-sangatta",
        article(
            "Jembatan Sangatta dibuka",
            5,
            2,
            "Jembatanbaru menghubungkan dua kecamatan.",
        ),
    );
    site.route(
        "/berita/arsip-lama",
        article("Berita lama", 24 * 30, 3, "Arsiplama."),
    );
    site.route("/tag/kutim", section());
    let listed = [
        (
            "/berita/bimtek-aparatur-kutim",
            "Bimtek aparatur desa se-Kutai Timur",
            2,
        ),
        ("/berita/jembatan-sangatta", "Jembatan Sangatta dibuka", 5),
        ("/berita/arsip-lama", "Berita lama", 24 * 30),
        ("/tag/kutim", "Kutim", 1),
    ];
    site.route(
        "/news-sitemap.xml",
        Route::bytes("application/xml", news_sitemap(&site, &listed)).etag("\"v1\""),
    );
    let ws = site_workspace(&format!(
        "[[site]]\nname = \"kaltimtoday\"\nurl = \"{}\"\nregion = \"Kalimantan Timur\"\n",
        site.url("/")
    ));

    ws.fetch_ok();

    assert_eq!(int(&ws.stats(), "articles"), 2);
    let hit = ws.search_one("Bimtekkutim");
    assert_eq!(string(&hit, "feed"), "kaltimtoday");
    // The news sitemap's title is the publisher's own headline.
    assert_eq!(string(&hit, "title"), "Bimtek aparatur desa se-Kutai Timur");
    ws.search_one("Jembatanbaru");
    // Older than the horizon (7 days): never fetched. A section page: read once, not kept.
    assert_eq!(requested(&site, "/berita/arsip-lama"), 0);
    assert_eq!(requested(&site, "/tag/kutim"), 1);
    let feeds = ws.feeds();
    assert_eq!(feeds.len(), 1);
    assert_eq!(string(&feeds[0], "kind"), "site");
    assert_eq!(string(&feeds[0], "state"), "ok");
    assert_eq!(int(&feeds[0], "articles"), 2);

    // Unchanged: one conditional request for the sitemap, nothing else.
    site.clear_log();
    ws.fetch_ok();
    let polls = site.requests_to("/news-sitemap.xml");
    assert_eq!(polls.len(), 1);
    assert_eq!(polls[0].header("if-none-match"), Some("\"v1\""));
    assert_eq!(polls[0].status, 304);
    let pages_fetched: Vec<String> = site
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/berita") || r.path.starts_with("/tag"))
        .map(|r| r.path.clone())
        .collect();
    assert!(pages_fetched.is_empty(), "{pages_fetched:?}");

    // A new story: only it is fetched; the section page is passed by.
    site.route(
        "/berita/banjir-sangatta",
        article("Banjir di Sangatta", 1, 4, "Banjirsangatta surut."),
    );
    let mut more = listed.to_vec();
    more.insert(0, ("/berita/banjir-sangatta", "Banjir di Sangatta", 1));
    site.route(
        "/news-sitemap.xml",
        Route::bytes("application/xml", news_sitemap(&site, &more)).etag("\"v2\""),
    );
    site.clear_log();
    ws.fetch_ok();
    assert_eq!(int(&ws.stats(), "articles"), 3);
    ws.search_one("Banjirsangatta");
    assert_eq!(requested(&site, "/berita/banjir-sangatta"), 1);
    for old in [
        "/berita/bimtek-aparatur-kutim",
        "/tag/kutim",
        "/berita/arsip-lama",
    ] {
        assert_eq!(requested(&site, old), 0, "{old} fetched again");
    }
}
}

on_both! {
fn a_sitemap_index_at_a_usual_address_is_read_newest_child_first_gzip_and_all() {
    let site = Server::start("127.0.0.1");
    site.route(
        "/robots.txt",
        Route::bytes("text/plain", "User-agent: *\nAllow: /\n"),
    );
    for (i, path) in ["/2026/12/pasar-baru", "/2026/12/sekolah-rakyat"]
        .iter()
        .enumerate()
    {
        site.route(
            path,
            article(
                &format!("Kabar {i}"),
                3 + i as i64,
                10 + i as u64,
                &format!("Kabarindeks{i} hari ini."),
            ),
        );
    }
    let newest = urlset(
        &site,
        &[("/2026/12/pasar-baru", 3), ("/2026/12/sekolah-rakyat", 4)],
    );
    site.route(
        "/post-sitemap2.xml.gz",
        Route::bytes("application/x-gzip", gzip(&newest)),
    );
    site.route(
        "/post-sitemap1.xml.gz",
        Route::bytes(
            "application/x-gzip",
            gzip(&urlset(&site, &[("/2020/01/lama", 24 * 365 * 6)])),
        ),
    );
    site.route(
        "/category-sitemap.xml",
        Route::bytes("application/xml", urlset(&site, &[("/kategori/daerah", 1)])),
    );
    let child = |path: &str, hours: i64| {
        format!(
            "<sitemap><loc>{}</loc><lastmod>{}</lastmod></sitemap>",
            site.url(path),
            ago(hours)
        )
    };
    site.route(
        "/sitemap_index.xml",
        Route::bytes(
            "application/xml",
            format!(
                "<?xml version=\"1.0\"?><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">{}{}{}</sitemapindex>",
                child("/post-sitemap1.xml.gz", 24 * 365 * 5),
                child("/category-sitemap.xml", 1),
                child("/post-sitemap2.xml.gz", 3),
            ),
        ),
    );
    let ws = site_workspace(&format!(
        "[[site]]\nname = \"kaltimkece\"\nurl = \"{}\"\n",
        site.url("/")
    ));

    ws.fetch_ok();

    assert_eq!(int(&ws.stats(), "articles"), 2);
    ws.search_one("Kabarindeks0");
    ws.search_one("Kabarindeks1");
    assert_eq!(requested(&site, "/post-sitemap2.xml.gz"), 1);
    // An old child and one of categories are not read at all.
    assert_eq!(requested(&site, "/post-sitemap1.xml.gz"), 0);
    assert_eq!(requested(&site, "/category-sitemap.xml"), 0);
    // /sitemap.xml (404) was tried before the index was found.
    assert_eq!(requested(&site, "/sitemap.xml"), 1);

    // Found once, remembered: the next poll goes straight to the index.
    site.clear_log();
    ws.fetch_ok();
    assert_eq!(requested(&site, "/sitemap.xml"), 0);
    assert_eq!(requested(&site, "/sitemap_index.xml"), 1);
    assert_eq!(int(&ws.stats(), "articles"), 2);
}
}

on_both! {
fn a_poll_takes_at_most_max_pages_newest_first_and_the_rest_on_later_polls() {
    let site = Server::start("127.0.0.1");
    let mut listed = Vec::new();
    for i in 0..5u64 {
        let path = format!("/berita/{i}");
        site.route(
            &path,
            article(
                &format!("Berita {i}"),
                i as i64 + 1,
                20 + i,
                &format!("Anggaran{i} disahkan."),
            ),
        );
        listed.push((path, i as i64 + 1));
    }
    let listed: Vec<(&str, i64)> = listed.iter().map(|(p, h)| (p.as_str(), *h)).collect();
    site.route(
        "/peta.xml",
        Route::bytes("application/xml", urlset(&site, &listed)).etag("\"peta\""),
    );
    let ws = site_workspace(&format!(
        "[[site]]\nname = \"niaga\"\nurl = \"{}\"\nsitemap = \"{}\"\nmax_pages = 2\n",
        site.url("/"),
        site.url("/peta.xml")
    ));

    ws.fetch_ok();
    assert_eq!(int(&ws.stats(), "articles"), 2);
    // The newest two: published 1 and 2 hours ago.
    ws.search_one("Anggaran0");
    ws.search_one("Anggaran1");

    // A site is fetched by name like a feed.
    ws.run(&["fetch", "niaga"]).ok();
    assert_eq!(int(&ws.stats(), "articles"), 4);
    ws.fetch_ok();
    assert_eq!(int(&ws.stats(), "articles"), 5);
    // All taken: now the sitemap's validators are kept and it is not read again.
    site.clear_log();
    ws.fetch_ok();
    let polls = site.requests_to("/peta.xml");
    assert_eq!(polls.len(), 1);
    assert_eq!(polls[0].status, 304);
    let page_requests = site
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/berita"))
        .count();
    assert_eq!(page_requests, 0);
}
}

on_both! {
fn a_site_with_no_sitemap_fails_with_what_to_do_and_opml_export_leaves_it_out() {
    let site = Server::start("127.0.0.1");
    site.route("/", section());
    let ws = site_workspace(&format!(
        "[[site]]\nname = \"tanpa-peta\"\nurl = \"{}\"\n",
        site.url("/")
    ));

    let run = ws.run(&["fetch"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("no sitemap")
            && run.stderr.contains("sitemap = ")
            && run.stderr.contains("no links that look like articles"),
        "{}",
        run.stderr
    );
    let feeds = ws.feeds();
    assert_eq!(string(&feeds[0], "state"), "failing");

    let export = ws.run(&["export-opml"]);
    export.ok();
    assert!(!export.stdout.contains("tanpa-peta"), "{}", export.stdout);
    assert!(
        export.stderr.contains("skipped 1 site (tanpa-peta)"),
        "{}",
        export.stderr
    );
}
}

/// A WordPress-like listing page: menus, cards with headline links and category badges,
/// tags, share links and paging.
fn listing_page(site: &Server, articles: &[(&str, &str)], next: Option<&str>) -> String {
    let cards: String = articles
        .iter()
        .map(|(path, title)| {
            format!(
                "<article class=\"jeg_post\"><div class=\"jeg_thumb\"><a href=\"{path}\"><img src=\"/wp-content/x.jpg\"></a></div>\
                 <h3 class=\"jeg_post_title\"><a href=\"{path}\">{title}</a></h3>\
                 <div class=\"jeg_post_category\"><a href=\"/kategori/kutai-timur/\">Kutai Timur</a></div>\
                 <div class=\"jeg_meta_author\"><a href=\"/author/redaksi/\">Redaksi</a></div>\
                 <div class=\"share\"><a href=\"https://www.facebook.com/sharer.php?u={}{path}\">Facebook</a></div></article>\n",
                site.base()
            )
        })
        .collect();
    let paging = next
        .map(|n| format!("<div class=\"jeg_navigation\"><a class=\"page_nav next\" href=\"{n}\">Selanjutnya</a></div>"))
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html><html lang=\"id\"><head><title>Berita Kutai Timur</title></head><body>\
         <header><nav class=\"jeg_menu\"><ul><li><a href=\"/\">Beranda</a></li>\
         <li><a href=\"/kategori/samarinda/\">Samarinda</a></li><li><a href=\"/kategori/kutai-timur/\">Kutai Timur</a></li>\
         <li><a href=\"/pedoman-pemberitaan-media-siber/\">Pedoman Pemberitaan Media Siber</a></li></ul></nav></header>\
         <main>{cards}{paging}</main>\
         <aside><div class=\"tagcloud\"><a href=\"/tag/sangatta/\">Sangatta</a><a href=\"/tag/bupati/\">Bupati</a></div></aside>\
         <footer><a href=\"/tentang-kami/\">Tentang Kami</a><a href=\"/redaksi/\">Redaksi</a></footer></body></html>"
    )
}

on_both! {
fn a_site_without_sitemap_is_read_through_its_home_page_and_the_pages_after_it() {
    let site = Server::start("127.0.0.1");
    let first = [
        (
            "/pemkab-kutim-gelar-bimtek-aparatur-desa-di-sangatta/",
            "Pemkab Kutim Gelar Bimtek Aparatur Desa di Sangatta",
        ),
        (
            "/jembatan-baru-penghubung-dua-kecamatan-resmi-dibuka/",
            "Jembatan Baru Penghubung Dua Kecamatan Resmi Dibuka",
        ),
    ];
    let second = [(
        "/harga-cabai-di-pasar-induk-sangatta-turun-tajam/",
        "Harga Cabai di Pasar Induk Sangatta Turun Tajam",
    )];
    for (i, (path, title)) in first.iter().chain(&second).enumerate() {
        site.route(
            path,
            article(
                title,
                2 + i as i64,
                40 + i as u64,
                &format!("Listingkabar{i} terkini."),
            ),
        );
    }
    site.route(
        "/",
        Route::html(listing_page(&site, &first, Some("/page/2/"))).etag("\"home-v1\""),
    );
    site.route("/page/2/", Route::html(listing_page(&site, &second, None)));
    let ws = site_workspace(&format!(
        "[[site]]\nname = \"lokal\"\nurl = \"{}\"\n",
        site.url("/")
    ));

    let run = ws.run(&["-v", "fetch"]);
    run.ok();

    assert_eq!(int(&ws.stats(), "articles"), 3, "{}", run.stderr);
    for i in 0..3 {
        ws.search_one(&format!("Listingkabar{i}"));
    }
    // Menus, categories, tags, authors and the site's own pages are not fetched at all.
    for path in [
        "/kategori/kutai-timur/",
        "/tag/sangatta/",
        "/author/redaksi/",
        "/pedoman-pemberitaan-media-siber/",
        "/tentang-kami/",
        "/redaksi/",
    ] {
        assert_eq!(requested(&site, path), 0, "{path} fetched");
    }
    // The source says which links it took and why.
    assert!(
        run.stderr.contains("listed link taken as an article") && run.stderr.contains("-word slug"),
        "{}",
        run.stderr
    );

    // Unchanged home page: one conditional request and nothing more.
    site.clear_log();
    ws.fetch_ok();
    let home = site.requests_to("/");
    assert_eq!(home.len(), 1);
    assert_eq!(home[0].status, 304);
    assert_eq!(requested(&site, "/page/2/"), 0);
    // Found once to have no sitemap, it is not looked for again.
    assert_eq!(requested(&site, "/sitemap.xml"), 0);
}
}

on_both! {
fn configured_listing_pages_with_an_article_pattern_take_only_matching_links() {
    let site = Server::start("127.0.0.1");
    site.route(
        "/berita/2026/pemkab-kutim-bimtek",
        article("Bimtek", 2, 60, "Polakutim pertama."),
    );
    site.route(
        "/pengumuman/jadwal-pelayanan-kantor-selama-libur-panjang-akhir-tahun",
        article("Jadwal", 3, 61, "Polapengumuman kedua."),
    );
    site.route(
        "/kanal/berita",
        Route::html(
            "<html><body><ul>\
             <li><a href=\"/berita/2026/pemkab-kutim-bimtek\">Bimtek</a></li>\
             <li><a href=\"/pengumuman/jadwal-pelayanan-kantor-selama-libur-panjang-akhir-tahun\">Jadwal pelayanan kantor selama libur panjang akhir tahun</a></li>\
             </ul></body></html>",
        ),
    );
    let ws = site_workspace(&format!(
        "[[site]]\nname = \"kutimkab\"\nurl = \"{}\"\npages = [\"{}\"]\narticle_pattern = \"/berita/\\\\d{{4}}/\"\n",
        site.url("/"),
        site.url("/kanal/berita")
    ));

    ws.fetch_ok();

    assert_eq!(int(&ws.stats(), "articles"), 1);
    ws.search_one("Polakutim");
    assert_eq!(
        requested(
            &site,
            "/pengumuman/jadwal-pelayanan-kantor-selama-libur-panjang-akhir-tahun"
        ),
        0
    );
    // Listing pages given, no sitemap looked for.
    assert_eq!(requested(&site, "/sitemap.xml"), 0);
}
}

on_both! {
fn an_aggregators_redirecting_links_become_places_of_the_publishers_articles() {
    let publisher = Server::start("127.0.0.3");
    let aggregator = Server::start("127.0.0.2");
    let own = "/2026/12/03/pemkab-kutim-gelar-bimtek-aparatur-desa";
    let only_via = "/2026/12/03/banjir-rendam-tiga-desa-di-sangatta";
    publisher.route(
        own,
        article("Bimtek aparatur", 2, 70, "Agregatbimtek dibuka."),
    );
    publisher.route(
        only_via,
        article("Banjir Sangatta", 3, 71, "Agregatbanjir surut."),
    );
    publisher.route(
        "/feed.xml",
        Route::rss(crate::support::rss(
            "Penerbit",
            &publisher.base(),
            &[crate::support::Item::new(
                "Bimtek aparatur",
                &publisher.url(own),
                "Thu, 03 Dec 2026 08:00:00 +0800",
                "Bimtek.",
            )],
        )),
    );
    // The aggregator's items link to itself; each link redirects to the publisher.
    for (i, path) in [own, only_via].iter().enumerate() {
        aggregator.route(
            &format!("/rss/articles/CBMi{i}"),
            Route::new(302).header(
                "Location",
                &format!("{}?utm_source=agg", publisher.url(path)),
            ),
        );
    }
    let items: Vec<crate::support::Item> = (0..2)
        .map(|i| {
            crate::support::Item::new(
                &format!("Kabar {i} - Penerbit"),
                &aggregator.url(&format!("/rss/articles/CBMi{i}")),
                "Thu, 03 Dec 2026 08:00:00 +0800",
                "Ringkasan.",
            )
        })
        .collect();
    aggregator.route(
        "/rss/search",
        Route::rss(crate::support::rss("Cari", &aggregator.base(), &items)),
    );
    let ws = Workspace::new();
    ws.write_config(&format!(
        "{}\n[[feed]]\nname = \"penerbit\"\nurl = \"{}\"\nper_host_delay = \"300ms\"\n\n\
         [[feed]]\nname = \"gn-kutim\"\nsearch = \"Sangatta OR \\\"Kutai Timur\\\"\"\n\n\
         [sources]\nsearch_template = \"{}?q={{query}}\"\n",
        config_text(&[], &[]),
        publisher.url("/feed.xml"),
        aggregator.url("/rss/search")
    ));

    ws.fetch_ok();

    // Two stories, each one article, whichever feed was polled first.
    assert_eq!(int(&ws.stats(), "articles"), 2);
    let copies = ws.search_all_copies("Agregatbimtek");
    assert_eq!(copies.len(), 2, "{copies:#?}");
    assert_eq!(int(&copies[0], "id"), int(&copies[1], "id"));
    let feeds: Vec<&str> = copies.iter().map(|c| string(c, "feed")).collect();
    assert!(
        feeds.contains(&"penerbit") && feeds.contains(&"gn-kutim"),
        "{feeds:?}"
    );
    ws.search_one("Agregatbanjir");
    // The search words went into the aggregator's address.
    let searched = aggregator.requests_to("/rss/search");
    assert!(searched[0].target.contains("q=Sangatta"), "{searched:?}");
    // Each publisher page once, however it was reached, and the publisher's gap held
    // across both feeds' requests.
    assert_eq!(publisher.requests_to(own).len(), 1);
    assert_eq!(publisher.requests_to(only_via).len(), 1);
    let times: Vec<_> = publisher
        .requests()
        .iter()
        .filter(|r| r.path != "/robots.txt")
        .map(|r| r.at)
        .collect();
    for pair in times.windows(2) {
        assert!(
            pair[1].duration_since(pair[0]) >= std::time::Duration::from_millis(250),
            "{:#?}",
            publisher.requests()
        );
    }
}
}

on_both! {
fn a_wordpress_site_is_read_through_its_api_whole_posts_and_no_page_fetched() {
    let site = Server::start("127.0.0.1");
    site.route(
        "/",
        Route::html(format!(
            "<!DOCTYPE html><html><head><link rel=\"https://api.w.org/\" href=\"{}\"></head>\
             <body><a href=\"/bimtek-aparatur-desa/\">Bimtek</a></body></html>",
            site.url("/wp-json/")
        )),
    );
    let gmt = |hours: i64| {
        (Utc::now() - Duration::hours(hours))
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    };
    let body: String = pages::story("id", 80, &["Wpapibimtek dibuka Bupati."]).join("</p><p>");
    let posts = serde_json::json!([
        {"id": 12, "link": site.url("/bimtek-aparatur-desa/"), "date_gmt": gmt(2), "modified_gmt": gmt(1),
         "title": {"rendered": "Bimtek Aparatur Desa &#8211; Kutim"},
         "content": {"rendered": format!("<p>{body}</p>")}},
        {"id": 11, "link": "https://elsewhere.example/copied/", "date_gmt": gmt(3),
         "title": {"rendered": "Salinan"}, "content": {"rendered": "<p>Bukan milik situs ini.</p>"}}
    ]);
    site.route(
        "/wp-json/wp/v2/posts",
        Route::bytes("application/json", posts.to_string()),
    );
    let ws = site_workspace(&format!(
        "[[site]]\nname = \"wp-lokal\"\nurl = \"{}\"\n",
        site.url("/")
    ));

    ws.fetch_ok();

    assert_eq!(int(&ws.stats(), "articles"), 1);
    let hit = ws.search_one("Wpapibimtek");
    assert_eq!(string(&hit, "title"), "Bimtek Aparatur Desa – Kutim");
    // The post came whole from the API: its page was never asked for.
    assert_eq!(requested(&site, "/bimtek-aparatur-desa/"), 0);
    let api = site.requests_to("/wp-json/wp/v2/posts");
    assert_eq!(api.len(), 1);
    assert!(api[0].target.contains("per_page=50"), "{api:?}");

    // Found once: the next poll asks the API straight away, and nothing twice.
    site.clear_log();
    ws.fetch_ok();
    assert_eq!(requested(&site, "/"), 0);
    assert_eq!(requested(&site, "/wp-json/wp/v2/posts"), 1);
    assert_eq!(int(&ws.stats(), "articles"), 1);
}
}

on_both! {
fn feeds_add_on_a_site_without_a_feed_proposes_it_as_a_site_and_writes_it_with_yes() {
    let site = Server::start("127.0.0.1");
    site.route("/", section());
    site.route(
        "/robots.txt",
        Route::bytes(
            "text/plain",
            format!(
                "User-agent: *\nAllow: /\nSitemap: {}\n",
                site.url("/news-sitemap.xml")
            ),
        ),
    );
    site.route(
        "/berita/bupati-resmikan-pasar",
        article("Bupati resmikan pasar", 2, 90, "Usulanpasar diresmikan."),
    );
    site.route(
        "/news-sitemap.xml",
        Route::bytes(
            "application/xml",
            news_sitemap(
                &site,
                &[("/berita/bupati-resmikan-pasar", "Bupati resmikan pasar", 2)],
            ),
        ),
    );
    let ws = Workspace::new();
    ws.write_config(&config_text(&[], &[]));
    let before = std::fs::read_to_string(ws.config_path()).unwrap();

    let guess = ws.run(&[
        "feeds",
        "add",
        &site.url("/"),
        "--region",
        "Kalimantan Timur",
    ]);

    guess.ok();
    assert!(
        guess.stderr.contains("has no feed") && guess.stderr.contains("sitemaps"),
        "{}",
        guess.stderr
    );
    assert!(
        guess
            .stderr
            .contains(&site.url("/berita/bupati-resmikan-pasar")),
        "{}",
        guess.stderr
    );
    assert!(guess.stderr.contains("--yes"), "{}", guess.stderr);
    assert!(guess.stdout.contains("[[site]]"), "{}", guess.stdout);
    // A guess writes nothing, and no article was fetched to make it.
    assert_eq!(std::fs::read_to_string(ws.config_path()).unwrap(), before);
    assert_eq!(requested(&site, "/berita/bupati-resmikan-pasar"), 0);

    ws.run(&[
        "feeds",
        "add",
        &site.url("/"),
        "--region",
        "Kalimantan Timur",
        "--yes",
    ])
    .ok();
    let feeds = ws.feeds();
    assert_eq!(feeds.len(), 1);
    assert_eq!(string(&feeds[0], "kind"), "site");
    ws.fetch_ok();
    ws.search_one("Usulanpasar");
}
}

on_both! {
fn a_page_two_sitemaps_list_counts_once_and_an_unchanged_site_costs_only_304s() {
    let site = Server::start("127.0.0.1");
    site.route(
        "/robots.txt",
        Route::bytes(
            "text/plain",
            format!(
                "User-agent: *\nSitemap: {}\nSitemap: {}\n",
                site.url("/news-sitemap.xml"),
                site.url("/post-sitemap.xml")
            ),
        ),
    );
    let listed = [
        ("/berita/dua-kali-satu", "Dua kali satu", 2),
        ("/berita/dua-kali-dua", "Dua kali dua", 3),
    ];
    for (i, (path, title, hours)) in listed.iter().enumerate() {
        site.route(
            path,
            article(
                title,
                *hours,
                100 + i as u64,
                &format!("Duakali{i} terbit."),
            ),
        );
    }
    site.route(
        "/news-sitemap.xml",
        Route::bytes("application/xml", news_sitemap(&site, &listed)).etag("\"n1\""),
    );
    let plain: Vec<(&str, i64)> = listed.iter().map(|(p, _, h)| (*p, *h)).collect();
    site.route(
        "/post-sitemap.xml",
        Route::bytes("application/xml", urlset(&site, &plain)).etag("\"p1\""),
    );
    let ws = site_workspace(&format!(
        "[[site]]\nname = \"duakali\"\nurl = \"{}\"\nmax_pages = 2\n",
        site.url("/")
    ));

    ws.fetch_ok();
    assert_eq!(int(&ws.stats(), "articles"), 2);

    // Both pages were taken: nothing waits, so both files are asked about conditionally.
    site.clear_log();
    ws.fetch_ok();
    for file in ["/news-sitemap.xml", "/post-sitemap.xml"] {
        let asked = site.requests_to(file);
        assert_eq!(asked.len(), 1, "{file}");
        assert_eq!(asked[0].status, 304, "{file}");
    }
}
}

on_both! {
fn a_sitemap_site_that_is_down_for_a_poll_is_read_through_its_sitemaps_again_after() {
    let site = Server::start("127.0.0.1");
    site.route("/", section());
    site.route(
        "/berita/sebelum-padam",
        article("Sebelum padam", 3, 110, "Sebelumpadam terbit."),
    );
    let sitemap = |pages: &[(&str, i64)]| Route::bytes("application/xml", urlset(&site, pages));
    site.route("/sitemap.xml", sitemap(&[("/berita/sebelum-padam", 3)]));
    let ws = site_workspace(&format!(
        "[[site]]\nname = \"padam\"\nurl = \"{}\"\n",
        site.url("/")
    ));
    ws.fetch_ok();
    assert_eq!(int(&ws.stats(), "articles"), 1);

    // An outage: the sitemap fails for one poll.
    site.route("/sitemap.xml", Route::status(503));
    ws.run(&["fetch"]).expect_code(1);

    // Back: the sitemap is read as before, not the home page.
    site.route(
        "/berita/sesudah-padam",
        article("Sesudah padam", 1, 111, "Sesudahpadam terbit."),
    );
    site.route(
        "/sitemap.xml",
        sitemap(&[("/berita/sebelum-padam", 3), ("/berita/sesudah-padam", 1)]),
    );
    site.clear_log();
    ws.fetch_ok();
    ws.search_one("Sesudahpadam");
    assert_eq!(requested(&site, "/"), 0);
    assert_eq!(requested(&site, "/sitemap.xml"), 1);
}
}

on_both! {
fn a_site_with_no_sitemap_whose_home_page_names_a_feed_is_read_through_the_feed() {
    let site = Server::start("127.0.0.1");
    site.route(
        "/",
        Route::html(format!(
            "<!DOCTYPE html><html><head><link rel=\"alternate\" type=\"application/rss+xml\" \
             href=\"{}\"></head><body><a href=\"/berita/x\">x</a></body></html>",
            site.url("/feed/")
        )),
    );
    let mut items = Vec::new();
    for i in 0..2u64 {
        let path = format!("/berita/umpan-{i}");
        site.route(
            &path,
            article(
                &format!("Umpan {i}"),
                2,
                120 + i,
                &format!("Umpansitus{i} terbit."),
            ),
        );
        let when = (Utc::now() - Duration::hours(2)).to_rfc2822();
        items.push(crate::support::Item::new(
            &format!("Umpan {i}"),
            &site.url(&path),
            &when,
            "Ringkas.",
        ));
    }
    site.route(
        "/feed/",
        Route::rss(crate::support::rss("Situs", &site.base(), &items)).etag("\"f1\""),
    );
    let ws = site_workspace(&format!(
        "[[site]]\nname = \"berumpan\"\nurl = \"{}\"\n",
        site.url("/")
    ));

    ws.fetch_ok();
    assert_eq!(int(&ws.stats(), "articles"), 2);
    ws.search_one("Umpansitus0");
    ws.search_one("Umpansitus1");

    // Remembered: the next poll asks the feed conditionally and nothing else.
    site.clear_log();
    ws.fetch_ok();
    assert_eq!(requested(&site, "/"), 0);
    let asked = site.requests_to("/feed/");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].status, 304);
}
}

on_both! {
fn a_first_poll_during_an_outage_remembers_nothing_and_the_next_finds_the_sitemap() {
    let site = Server::start("127.0.0.1");
    let down = [
        "/",
        "/robots.txt",
        "/sitemap.xml",
        "/sitemap_index.xml",
        "/news-sitemap.xml",
        "/wp-sitemap.xml",
    ];
    for path in down {
        site.route(path, Route::status(503));
    }
    let ws = site_workspace(&format!(
        "[[site]]\nname = \"mati-dulu\"\nurl = \"{}\"\n",
        site.url("/")
    ));
    ws.run(&["fetch"]).expect_code(1);

    // Back up, with a sitemap: it is found, not passed over for the home page.
    for path in down {
        site.remove(path);
    }
    site.route("/", section());
    site.route(
        "/berita/setelah-pulih",
        article("Setelah pulih", 2, 130, "Setelahpulih terbit."),
    );
    site.route(
        "/sitemap.xml",
        Route::bytes(
            "application/xml",
            urlset(&site, &[("/berita/setelah-pulih", 2)]),
        ),
    );
    site.clear_log();
    ws.fetch_ok();
    ws.search_one("Setelahpulih");
    assert_eq!(requested(&site, "/sitemap.xml"), 1);
}
}
