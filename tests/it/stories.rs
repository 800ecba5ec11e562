//! Stories end to end: provenance of every copy in `show`, and revised articles kept as
//! versions (issue 4).

use crate::on_both;
use crate::support::{
    Feed, Item, Route, Server, Workspace, int, pages, rss, serve_article, string,
};

on_both! {
fn show_json_gives_every_copy_with_how_it_was_joined_and_which_came_first() {
    let a = Server::start("127.0.0.2");
    let b = Server::start("127.0.0.3");
    let release = pages::story("id", 41, &["Bupati Kutai Timur meresmikan pasar Sangatta."]);
    // Site B's copy adds a "Baca juga" line of its own and trims the last paragraph.
    let mut copy = release[..release.len() - 1].to_vec();
    copy.insert(
        1,
        "Pembaca juga menyimak laporan pasar Sangatta di kanal ekonomi kami.".into(),
    );
    serve_article(&a, "/berita/pasar", "Pasar Sangatta diresmikan", &release);
    serve_article(&b, "/kutim/pasar-baru", "Bupati resmikan pasar baru", &copy);
    a.route(
        "/rss",
        Route::rss(rss(
            "A",
            &a.base(),
            &[Item::new(
                "Pasar Sangatta diresmikan",
                &a.url("/berita/pasar"),
                "Wed, 20 Nov 2024 09:00:00 +0800",
                "ringkas",
            )],
        )),
    );
    b.route(
        "/rss",
        Route::rss(rss(
            "B",
            &b.base(),
            &[Item::new(
                "Bupati resmikan pasar baru",
                &b.url("/kutim/pasar-baru"),
                "Wed, 20 Nov 2024 13:30:00 +0800",
                "ringkas",
            )],
        )),
    );
    let ws = Workspace::with_feeds(&[
        Feed::new("site-a", &a.url("/rss")),
        Feed::new("site-b", &b.url("/rss")),
    ]);
    ws.fetch_ok();

    let hits = ws.search("pasar sangatta", &[]);
    assert_eq!(hits.len(), 1, "one story: {hits:#?}");
    assert_eq!(int(&hits[0], "copies"), 2);
    // The earliest-published copy (site A, 09:00) represents the story.
    assert_eq!(string(&hits[0], "feed"), "site-a");

    let shown = ws.show(int(&hits[0], "id"));
    let copies = shown["story_copies"].as_array().expect("story_copies");
    assert_eq!(copies.len(), 2);
    let first = &copies[0];
    assert_eq!(string(first, "feed"), "site-a");
    assert_eq!(first["earliest"], true);
    let second = &copies[1];
    assert_eq!(string(second, "feed"), "site-b");
    assert_eq!(second["earliest"], false);
    // Whichever copy was archived second joined the story as a near duplicate.
    let joined: Vec<&serde_json::Value> = copies
        .iter()
        .filter(|c| string(c, "method") == "minhash")
        .collect();
    assert_eq!(joined.len(), 1, "{copies:#?}");
    let sim = joined[0]["similarity"].as_f64().expect("similarity");
    assert!(sim > 0.5 && sim <= 1.0, "{sim}");
    let other = shown["other_copies"].as_array().expect("other_copies");
    assert_eq!(other.len(), 1);
    assert_eq!(string(&other[0], "url"), b.url("/kutim/pasar-baru"));
}
}

on_both! {
fn a_revised_article_is_a_new_version_not_a_new_article() {
    let site = Server::start("127.0.0.1");
    let first = pages::story("id", 7, &["Banjir merendam tiga kelurahan di Samarinda."]);
    let mut revised = first.clone();
    revised.push("Pembaruan pukul 15.00 WITA: air mulai surut dan warga kembali ke rumah.".into());
    serve_article(&site, "/banjir", "Banjir Samarinda", &first);
    let feed = |date: &str| {
        Route::rss(rss(
            "S",
            &site.base(),
            &[Item::new(
                "Banjir Samarinda",
                &site.url("/banjir"),
                date,
                "ringkas",
            )],
        ))
    };
    site.route("/rss", feed("Wed, 20 Nov 2024 10:00:00 +0800"));
    let ws = Workspace::with_feeds(&[Feed::new("s", &site.url("/rss"))]);
    ws.fetch_ok();
    assert!(ws.search("surut", &[]).is_empty());

    // The publisher updates the page and the feed's date.
    serve_article(&site, "/banjir", "Banjir Samarinda", &revised);
    site.route("/rss", feed("Wed, 20 Nov 2024 15:05:00 +0800"));
    ws.fetch_ok();

    assert_eq!(int(&ws.stats(), "articles"), 1);
    let hit = ws.search_one("surut");
    let id = int(&hit, "id");
    let shown = ws
        .run(&["show", &id.to_string(), "--format", "json", "--versions"])
        .ok()
        .json();
    assert_eq!(int(&shown, "version"), 2);
    assert_eq!(int(&shown, "versions"), 2, "the contract's count");
    let versions = shown["earlier_versions"]
        .as_array()
        .expect("earlier_versions");
    assert_eq!(versions.len(), 1);
    assert!(!string(&versions[0], "body").contains("surut"));
    assert!(string(&shown, "body").contains("surut"));

    // Polling again with nothing new changes nothing.
    ws.fetch_ok();
    let shown = ws
        .run(&["show", &id.to_string(), "--format", "json", "--versions"])
        .ok()
        .json();
    assert_eq!(int(&shown, "version"), 2);
}
}

on_both! {
/// Issue 15: a feed that dates every item with the moment it is asked does not make warta
/// fetch every page again on every poll, and a page whose only change is a view counter
/// or a "x jam lalu" is not a new version.
fn a_feed_restamping_its_items_and_a_changing_counter_make_no_versions() {
    let site = Server::start("127.0.0.1");
    let names = ["banjir", "pasar", "jalan"];
    for (i, name) in names.iter().enumerate() {
        let mut paragraphs = pages::story("id", 40 + i as u64, &["Laporanwarga."]);
        paragraphs.push("Dibaca 1.234 kali. Diperbarui 3 jam lalu.".into());
        serve_article(&site, &format!("/{name}"), name, &paragraphs);
    }
    let feed = |date: &str| {
        let items: Vec<Item> = names
            .iter()
            .map(|n| Item::new(n, &site.url(&format!("/{n}")), date, "ringkas"))
            .collect();
        Route::rss(rss("S", &site.base(), &items))
    };
    site.route("/rss", feed("Wed, 20 Nov 2024 10:00:00 +0800"));
    let ws = Workspace::with_feeds(&[Feed::new("s", &site.url("/rss"))]);
    ws.fetch_ok();
    assert_eq!(int(&ws.stats(), "articles"), 3);

    // Every item now carries the time of the request.
    let now = chrono::Utc::now().to_rfc2822();
    site.route("/rss", feed(&now));
    site.clear_log();
    ws.fetch_ok();
    let pages: Vec<String> = site
        .requests()
        .iter()
        .filter(|r| !r.path.ends_with("rss") && r.path != "/robots.txt")
        .map(|r| r.target.clone())
        .collect();
    assert!(pages.is_empty(), "pages fetched again: {pages:?}");

    // The publisher really revises one date; its page now shows other counters only.
    let mut recounted = pages::story("id", 40, &["Laporanwarga."]);
    recounted.push("Dibaca 2.468 kali. Diperbarui 1 hari lalu.".into());
    serve_article(&site, "/banjir", "banjir", &recounted);
    let items = vec![
        Item::new(
            "banjir",
            &site.url("/banjir"),
            "Wed, 20 Nov 2024 16:00:00 +0800",
            "ringkas",
        ),
        Item::new(
            "pasar",
            &site.url("/pasar"),
            "Wed, 20 Nov 2024 10:00:00 +0800",
            "ringkas",
        ),
        Item::new(
            "jalan",
            &site.url("/jalan"),
            "Wed, 20 Nov 2024 10:00:00 +0800",
            "ringkas",
        ),
    ];
    site.route("/rss", Route::rss(rss("S", &site.base(), &items)));
    site.clear_log();
    ws.fetch_ok();
    assert_eq!(
        site.requests_to("/banjir").len(),
        1,
        "the revised page is fetched"
    );
    for hit in ws.search("Laporanwarga", &[]) {
        let shown = ws.show(int(&hit, "id"));
        assert_eq!(int(&shown, "version"), 1, "{shown:#}");
    }
}
}
