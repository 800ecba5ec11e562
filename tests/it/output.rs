//! Output for people and for their tools (issue 11, points 7, 9 and 15): what is new, in local
//! time; counts and columns that read right; text that cannot attack its reader (a terminal
//! or a spreadsheet).

use crate::support::cmd::{self, RUN_LIMIT, Run};
use crate::support::{Feed, Item, Route, Server, Workspace, int, pages, rss, string};

/// One feed serving `articles` (title, published RFC 3339, paragraphs), archived.
fn archived(articles: &[(&str, &str, Vec<String>)]) -> (Workspace, Server) {
    let site = Server::start("127.0.0.1");
    let mut items = Vec::new();
    for (i, (title, published, paragraphs)) in articles.iter().enumerate() {
        let path = format!("/berita/{i}");
        site.route(
            &path,
            Route::html(pages::article(title, published, "id", paragraphs)),
        );
        let date = chrono::DateTime::parse_from_rfc3339(published)
            .expect("test constant is RFC 3339")
            .to_rfc2822();
        items.push(Item::new(title, &site.url(&path), &date, "Ringkasan."));
    }
    site.route("/feed.xml", Route::rss(rss("Uji", &site.base(), &items)));
    let ws = Workspace::with_feeds(&[Feed::new("uji", &site.url("/feed.xml"))]);
    ws.fetch_ok();
    (ws, site)
}

/// A title a spreadsheet would run, a body that opens with another formula, and text that
/// reorders itself on screen (a right-to-left override, an isolate) or drives the terminal.
fn hostile() -> (Workspace, Server) {
    let mut paragraphs = pages::story("id", 15, &["Jahatuji pertama."]);
    paragraphs.insert(0, "@SUM(1+1)*cmd|' /C calc'!A0 jahatuji".to_string());
    paragraphs[2].push_str(
        " harga \u{202E}000.01 pR\u{202C} dan \u{2066}isolasi\u{2069} \u{1b}[2J selesai.",
    );
    archived(&[(
        "=HYPERLINK(\"http://jahat.example\",\"Banjir\") \u{202E}txt.exe",
        "2024-11-20T10:15:00+08:00",
        paragraphs,
    )])
}

#[test]
fn csv_cells_that_a_spreadsheet_would_run_are_defused() {
    let (ws, _site) = hostile();
    let search = ws.run(&["search", "jahatuji", "--format", "csv"]);
    search.ok();
    let export = ws.run(&["export", "--format", "csv"]);
    export.ok();
    for (what, text) in [("search", &search.stdout), ("export", &export.stdout)] {
        // The title cell (quoted, for its quotes) starts with the defusing quote mark.
        assert!(
            text.contains("\"'=HYPERLINK(\"\"http://jahat.example\"\""),
            "{what} --format csv:\n{text}"
        );
        assert!(!text.contains(",=HYPERLINK"), "{what}:\n{text}");
        assert!(
            !text.contains(['\u{1b}', '\u{202E}', '\u{2066}']),
            "{what} --format csv keeps controls:\n{text:?}"
        );
        assert!(text.contains('\u{FFFD}'), "{what}:\n{text}");
    }
    // The body cell (export's last column) starts with the defused formula.
    assert!(
        export.stdout.contains(",\"'@SUM(1+1)"),
        "export body cell:\n{}",
        export.stdout
    );
}

#[test]
fn bidirectional_overrides_are_shown_not_obeyed_in_text_output() {
    let (ws, _site) = hostile();
    let hits = ws.search("jahatuji", &[]);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    // JSON keeps the text as stored, for programs.
    assert!(string(&hits[0], "title").contains('\u{202E}'), "{hits:#?}");
    let id = int(&hits[0], "id").to_string();
    let json = ws.run(&["show", &id, "--format", "json"]);
    json.ok();
    assert!(json.stdout.contains('\u{202E}'), "{json:?}");
    for args in [
        &["show", id.as_str()][..],
        &["search", "jahatuji"],
        &["search", "jahatuji", "--all"],
    ] {
        let run = ws.run(args);
        run.ok();
        assert!(
            !run.stdout
                .contains(['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}'])
                && !run
                    .stdout
                    .contains(['\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}']),
            "warta {args:?} printed bidirectional controls:\n{:?}",
            run.stdout
        );
        assert!(
            run.stdout.contains("\u{FFFD}txt.exe"),
            "warta {args:?}:\n{}",
            run.stdout
        );
    }
}

#[test]
fn a_page_two_feeds_of_one_site_carry_is_one_copy_and_counts_in_both_feeds() {
    let site = Server::start("127.0.0.1");
    site.route(
        "/berita/banjir-loa-janan",
        Route::html(pages::article(
            "Banjir Loa Janan surut",
            "2024-11-20T10:15:00+08:00",
            "id",
            &pages::story("id", 91, &["Loajanansurut sejak pagi."]),
        )),
    );
    let item = Item::new(
        "Banjir Loa Janan surut",
        &site.url("/berita/banjir-loa-janan"),
        "Wed, 20 Nov 2024 02:15:00 +0000",
        "Banjir surut.",
    );
    site.route(
        "/terkini.xml",
        Route::rss(rss("Terkini", &site.base(), std::slice::from_ref(&item))),
    );
    // The same link, with the tracking a "daerah" feed adds.
    let mut tracked = item.clone();
    tracked.link = format!("{}?utm_source=rss&utm_medium=daerah", item.link);
    site.route(
        "/daerah.xml",
        Route::rss(rss("Daerah", &site.base(), &[tracked])),
    );
    let long_path = format!("/hilang/{}/feed.xml", "arsip-lama".repeat(12));
    let ws = Workspace::with_feeds(&[
        Feed::new("terkini", &site.url("/terkini.xml")),
        Feed::new("daerah", &site.url("/daerah.xml")),
        Feed::new("hilang", &site.url(&long_path)),
    ]);
    ws.run(&["fetch"]);

    let hits = ws.search("loajanansurut", &[]);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(int(&hits[0], "copies"), 1, "{hits:#?}");
    assert_eq!(ws.search("loajanansurut", &["--all"]).len(), 1);
    let stats = ws.stats();
    assert_eq!(int(&stats, "copies"), 1, "{stats:#}");
    assert_eq!(int(&stats, "duplicates"), 0, "{stats:#}");
    let id = int(&hits[0], "id").to_string();
    let shown = ws.run(&["show", &id]);
    shown.ok();
    assert!(shown.stdout.contains("(1 copy)"), "{shown:?}");
    let count = ws.run(&["search", "loajanansurut", "--all", "--count"]);
    count.ok();
    assert_eq!(count.stdout.trim(), "1 story, 1 copy", "{count:?}");

    // Both feeds carried the article: each counts it.
    for feed in ws.feeds() {
        let expected = if feed["name"] == "hilang" { 0 } else { 1 };
        assert_eq!(int(&feed, "articles"), expected, "{feed:#}");
    }
    let table = ws.run(&["feeds"]);
    table.ok();
    let row = |name: &str| {
        table
            .stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} row:\n{}", table.stdout))
            .to_string()
    };
    let daerah: Vec<String> = row("daerah").split_whitespace().map(String::from).collect();
    assert_eq!(
        daerah.get(2).map(String::as_str),
        Some("1"),
        "{}",
        table.stdout
    );
    // A long error keeps its end, where the reason is.
    let hilang = row("hilang");
    assert!(hilang.contains("404"), "{}", table.stdout);
    assert!(hilang.contains('…'), "{}", table.stdout);
}

/// `warta ARGS` with `TZ` set (None: unset, the system's zone).
fn run_in_zone(ws: &Workspace, tz: Option<&str>, args: &[&str]) -> Run {
    let mut command = ws.command(args);
    match tz {
        Some(tz) => command.env("TZ", tz),
        None => command.env_remove("TZ"),
    };
    cmd::run_command(command, None, RUN_LIMIT)
}

/// Four stories over two feeds: one carried by both feeds (two copies, one row), one from
/// two hours ago, two from November 2024.
fn newest_archive() -> (Workspace, Server) {
    let site = Server::start("127.0.0.1");
    let recent = (chrono::Utc::now() - chrono::Duration::hours(2))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("+08:00"));
    let stories: &[(&str, &str, String, u64)] = &[
        ("satu", "Terbaru dari Sangatta", recent.to_rfc3339(), 1),
        (
            "satu",
            "Banjir Loa Kulu",
            "2024-11-20T10:15:00+08:00".into(),
            2,
        ),
        (
            "dua",
            "Jembatan Tenggarong",
            "2024-11-18T08:00:00+08:00".into(),
            3,
        ),
        ("dua", "Pasar Segiri", "2024-11-19T09:00:00+08:00".into(), 4),
    ];
    let mut feeds: std::collections::BTreeMap<&str, Vec<Item>> = Default::default();
    for (feed, title, published, seed) in stories {
        let path = format!("/{feed}/{seed}");
        site.route(
            &path,
            Route::html(pages::article(
                title,
                published,
                "id",
                &pages::story("id", 700 + seed, &["Beritabaru."]),
            )),
        );
        let date = chrono::DateTime::parse_from_rfc3339(published)
            .expect("RFC 3339")
            .to_rfc2822();
        feeds.entry(feed).or_default().push(Item::new(
            title,
            &site.url(&path),
            &date,
            "Ringkasan.",
        ));
    }
    // The November 20 story also reached feed dua, under its own URL there.
    site.route(
        "/dua/salinan",
        Route::html(pages::article(
            "Banjir Loa Kulu",
            "2024-11-20T10:15:00+08:00",
            "id",
            &pages::story("id", 702, &["Beritabaru."]),
        )),
    );
    if let Some(dua) = feeds.get_mut("dua") {
        dua.push(Item::new(
            "Banjir Loa Kulu",
            &site.url("/dua/salinan"),
            "Wed, 20 Nov 2024 03:00:00 +0000",
            "Ringkasan.",
        ));
    }
    for (feed, items) in &feeds {
        site.route(
            &format!("/{feed}.xml"),
            Route::rss(rss(feed, &site.base(), items)),
        );
    }
    let ws = Workspace::with_feeds(&[
        Feed::new("satu", &site.url("/satu.xml")).with("region = \"Kutai Timur\""),
        Feed::new("dua", &site.url("/dua.xml")).with("region = \"Kutai Kartanegara\""),
    ]);
    ws.fetch_ok();
    (ws, site)
}

fn titles(hits: &[serde_json::Value]) -> Vec<&str> {
    hits.iter().map(|h| string(h, "title")).collect()
}

#[test]
fn search_with_no_words_lists_the_newest_stories_with_every_filter() {
    let (ws, _site) = newest_archive();
    let json = |args: &[&str]| -> Vec<serde_json::Value> {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let run = ws.run(&all);
        run.ok();
        match run.json() {
            serde_json::Value::Array(hits) => hits,
            other => panic!("not an array: {other}"),
        }
    };
    let newest = [
        "Terbaru dari Sangatta",
        "Banjir Loa Kulu",
        "Pasar Segiri",
        "Jembatan Tenggarong",
    ];
    for args in [&["search"][..], &["latest"]] {
        let hits = json(args);
        assert_eq!(titles(&hits), newest, "warta {args:?}: {hits:#?}");
        assert_eq!(int(&hits[1], "copies"), 2, "{hits:#?}");
    }
    assert_eq!(
        titles(&json(&["latest", "--since", "1d"])),
        ["Terbaru dari Sangatta"]
    );
    assert_eq!(
        titles(&json(&["latest", "--feed", "dua"])),
        ["Banjir Loa Kulu", "Pasar Segiri", "Jembatan Tenggarong"]
    );
    assert_eq!(
        titles(&json(&[
            "search",
            "--region",
            "Kutai Timur",
            "--limit",
            "2"
        ])),
        ["Terbaru dari Sangatta", "Banjir Loa Kulu"]
    );
    assert_eq!(
        titles(&json(&["search", "date:2024-11-18..2024-11-19"])),
        ["Pasar Segiri", "Jembatan Tenggarong"]
    );
    assert_eq!(
        titles(&json(&["latest", "--lang", "en"])),
        Vec::<&str>::new()
    );
    assert_eq!(
        titles(&json(&["latest", "--sort", "oldest", "--limit", "1"])),
        ["Jembatan Tenggarong"]
    );
    let count = ws.run(&["latest", "--count"]);
    count.ok();
    assert_eq!(count.stdout.trim(), "4", "{count:?}");
    // The table, for people.
    let table = run_in_zone(&ws, Some("UTC"), &["latest", "--feed", "dua"]);
    table.ok();
    assert!(
        table.stdout.starts_with("#") && table.stdout.contains("Banjir Loa Kulu"),
        "{table:?}"
    );
}

#[test]
fn table_times_are_local_and_named_json_keeps_offsets() {
    let (ws, _site) = newest_archive();
    // Published 2024-11-20 10:15 +08:00, which is 02:15 UTC and 09:15 in Jakarta.
    for (tz, shown) in [
        (Some("Asia/Makassar"), "2024-11-20 10:15 WITA"),
        (Some(":Asia/Jakarta"), "2024-11-20 09:15 WIB"),
        (Some("Asia/Jayapura"), "2024-11-20 11:15 WIT"),
        (Some("Europe/Berlin"), "2024-11-20 03:15 CET"),
        (Some("Asia/Bangkok"), "2024-11-20 09:15 +07"),
        (Some("UTC"), "2024-11-20 02:15 UTC"),
    ] {
        let run = run_in_zone(&ws, tz, &["latest", "--feed", "dua", "--limit", "1"]);
        run.ok();
        assert!(run.stdout.contains(shown), "TZ={tz:?}: {run:?}");
        let id = run
            .stdout
            .split_whitespace()
            .next()
            .and_then(|w| w.strip_prefix('#'))
            .unwrap_or_else(|| panic!("no id in {run:?}"))
            .to_string();
        let show = run_in_zone(&ws, tz, &["show", &id]);
        show.ok();
        assert!(
            show.stdout.contains(&format!("published: {shown}")),
            "TZ={tz:?}: {show:?}"
        );
    }
    let feeds = run_in_zone(&ws, Some("Asia/Makassar"), &["feeds"]);
    feeds.ok();
    assert!(feeds.stdout.contains(" WITA "), "{feeds:?}");

    // [display] timezone wins over TZ.
    let text = std::fs::read_to_string(ws.config_path()).expect("config");
    ws.write_config(&format!(
        "[display]\ntimezone = \"Asia/Makassar\"\n\n{text}"
    ));
    let run = run_in_zone(
        &ws,
        Some("Europe/Berlin"),
        &["latest", "--feed", "dua", "--limit", "1"],
    );
    run.ok();
    assert!(run.stdout.contains("2024-11-20 10:15 WITA"), "{run:?}");
    // JSON keeps RFC 3339 with the offset the page gave.
    let hits = ws.search("", &["--feed", "dua", "--limit", "1"]);
    assert_eq!(string(&hits[0], "published"), "2024-11-20T10:15:00+08:00");

    // An unknown $TZ: a warning, and the system's zone.
    ws.write_config(&text);
    let run = run_in_zone(&ws, Some("Mars/Olympus_Mons"), &["latest", "--limit", "1"]);
    run.ok();
    assert!(run.stderr.contains("TZ=\"Mars/Olympus_Mons\""), "{run:?}");
    let json = run_in_zone(
        &ws,
        Some("Mars/Olympus_Mons"),
        &["latest", "--format", "json"],
    );
    json.ok();
    assert!(json.stderr.is_empty(), "{json:?}");
    // An unknown zone in the config: a config error naming the file and line.
    ws.write_config(&format!(
        "[display]\n\ntimezone = \"Asia/Makasar\"\n\n{text}"
    ));
    let run = run_in_zone(&ws, None, &["latest"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("feeds.toml:3") && run.stderr.contains("Asia/Makasar"),
        "{run:?}"
    );
}
