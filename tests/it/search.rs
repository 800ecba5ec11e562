//! `warta search`: the query syntax, every output format, and the filters and sorts, over a small
//! archive whose contents and dates the tests know exactly.

use crate::on_both;
use serde_json::Value;

use crate::support::{
    Feed, Item, Route, Server, Workspace, instant, int, opt_string, pages, rss, string, time,
};

/// (feed, title, published, marker sentence); every marker names Samarinda.
const ARTICLES: &[(&str, &str, &str, &str)] = &[
    (
        "kaltim",
        "Mahakam meluap",
        "2024-03-01T08:00:00+08:00",
        "Mahakam meluap merendam Samarinda.",
    ),
    (
        "english",
        "River festival",
        "2024-03-03T08:00:00+08:00",
        "Samarinda hosts a Mahakam river festival.",
    ),
    (
        "kaltim",
        "Tongkang tabrak fender",
        "2024-03-05T08:00:00+08:00",
        "Tongkang menabrak fender di Samarinda, lalu lalu lintas Mahakam ditutup.",
    ),
    (
        "english",
        "Runway expansion",
        "2024-03-08T08:00:00+08:00",
        "Samarinda runway expansion approved.",
    ),
    (
        "kaltim",
        "Segiri ramai",
        "2024-03-10T08:00:00+08:00",
        "Segiri ramai pembeli takjil di Samarinda.",
    ),
];

struct Archive {
    _site: Server,
    ws: Workspace,
}

fn archive() -> Archive {
    let site = Server::start("127.0.0.1");
    let mut feeds: Vec<(&str, Vec<Item>)> = vec![("kaltim", Vec::new()), ("english", Vec::new())];
    for (i, (feed, title, published, marker)) in ARTICLES.iter().enumerate() {
        let lang = if *feed == "english" { "en" } else { "id" };
        let path = format!("/{feed}/{i}");
        site.route(
            &path,
            Route::html(pages::article(
                title,
                published,
                lang,
                &pages::story(lang, 300 + i as u64, &[marker]),
            )),
        );
        let date = chrono::DateTime::parse_from_rfc3339(published)
            .expect("constant")
            .to_rfc2822();
        let items = &mut feeds.iter_mut().find(|(f, _)| f == feed).expect("feed").1;
        items.insert(0, Item::new(title, &site.url(&path), &date, marker));
    }
    for (feed, items) in &feeds {
        site.route(
            &format!("/{feed}.xml"),
            Route::rss(rss(feed, &site.base(), items)),
        );
    }
    let ws = Workspace::with_feeds(&[
        Feed::new("kaltim", &site.url("/kaltim.xml"))
            .with("language = \"id\"")
            .with("region = \"Kalimantan Timur\"")
            .with("tags = [\"kaltim\", \"daerah\"]"),
        Feed::new("english", &site.url("/english.xml"))
            .with("language = \"en\"")
            .with("region = \"Borneo\"")
            .with("tags = [\"world\"]"),
    ]);
    ws.fetch_ok();
    Archive { _site: site, ws }
}

fn titles(hits: &[Value]) -> Vec<String> {
    hits.iter()
        .map(|h| string(h, "title").to_string())
        .collect()
}

fn sorted_titles(hits: &[Value]) -> Vec<String> {
    let mut t = titles(hits);
    t.sort();
    t
}

fn expect_titles(mut want: Vec<&str>) -> Vec<String> {
    want.sort();
    want.into_iter().map(String::from).collect()
}

on_both! {
fn query_syntax_and_or_phrase_exclude_prefix_case_and_diacritics() {
    let Archive { ws, .. } = archive();
    let all = expect_titles(ARTICLES.iter().map(|a| a.1).collect());
    let cases: &[(&str, Vec<&str>)] = &[
        (
            "Mahakam Samarinda",
            vec!["Mahakam meluap", "River festival", "Tongkang tabrak fender"],
        ),
        ("\"Mahakam meluap\"", vec!["Mahakam meluap"]),
        ("\"meluap Mahakam\"", vec![]),
        ("Segiri OR runway", vec!["Segiri ramai", "Runway expansion"]),
        (
            "Samarinda -Mahakam",
            vec!["Segiri ramai", "Runway expansion"],
        ),
        ("tongk*", vec!["Tongkang tabrak fender"]),
        ("takjil", vec!["Segiri ramai"]),
    ];
    for (query, want) in cases {
        assert_eq!(
            sorted_titles(&ws.search(query, &[])),
            expect_titles(want.clone()),
            "query {query}"
        );
    }
    for query in ["Samarinda", "SAMARINDA", "samarínda", "Sämarinda"] {
        assert_eq!(sorted_titles(&ws.search(query, &[])), all, "query {query}");
    }
}
}

on_both! {
fn json_hits_have_the_contract_fields() {
    let Archive { ws, .. } = archive();
    let hits = ws.search("Samarinda", &[]);
    assert_eq!(hits.len(), 5);
    let now = chrono::Utc::now();
    for hit in &hits {
        int(hit, "id");
        int(hit, "story");
        assert_eq!(int(hit, "copies"), 1);
        assert!(hit["score"].is_number(), "{hit:#}");
        let title = string(hit, "title");
        let (feed, _, published, _) = ARTICLES
            .iter()
            .find(|a| a.1 == title)
            .expect("a known title");
        assert_eq!(string(hit, "feed"), *feed);
        assert!(string(hit, "url").starts_with("http://127.0.0.1:"));
        let got = time(hit, "published").with_timezone(&chrono::Utc);
        assert_eq!(got, instant(published), "{hit:#}");
        let fetched = time(hit, "fetched").with_timezone(&chrono::Utc);
        assert!(
            (now - fetched).num_minutes().abs() < 30,
            "fetched {fetched} is not now"
        );
        let lang = if *feed == "english" { "en" } else { "id" };
        assert_eq!(opt_string(hit, "language"), Some(lang));
        let snippet = string(hit, "snippet").to_lowercase();
        assert!(
            snippet.contains("[samarinda]"),
            "matched term not bracketed: {snippet}"
        );
    }
    let scores: Vec<f64> = hits
        .iter()
        .map(|h| h["score"].as_f64().unwrap_or(f64::NAN))
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "relevance order: {scores:?}"
    );
}
}

/// One CSV record per line unless a quoted field spans lines; enough for counting and columns.
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => record.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records.retain(|r| !(r.len() == 1 && r[0].is_empty()));
    records
}

on_both! {
fn json_ndjson_csv_and_table_formats_agree() {
    let Archive { ws, .. } = archive();
    let json = ws.search("Samarinda", &["--sort", "oldest"]);
    let ids: Vec<i64> = json.iter().map(|h| int(h, "id")).collect();
    assert_eq!(ids.len(), 5);

    let nd = ws.run(&[
        "search",
        "Samarinda",
        "--sort",
        "oldest",
        "--format",
        "ndjson",
    ]);
    nd.ok();
    let nd_ids: Vec<i64> = nd.ndjson().iter().map(|h| int(h, "id")).collect();
    assert_eq!(
        nd_ids, ids,
        "ndjson: one object per line, same hits\n{nd:?}"
    );
    assert_eq!(
        nd.stdout.lines().filter(|l| !l.trim().is_empty()).count(),
        5
    );

    let csv = ws.run(&["search", "Samarinda", "--sort", "oldest", "--format", "csv"]);
    csv.ok();
    let records = csv_records(&csv.stdout);
    assert_eq!(records.len(), 6, "a header and five rows\n{csv:?}");
    let header = &records[0];
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim() == name)
            .unwrap_or_else(|| panic!("no {name} column in {header:?}"))
    };
    let (id_col, title_col) = (col("id"), col("title"));
    let csv_ids: Vec<i64> = records[1..]
        .iter()
        .map(|r| r[id_col].trim().parse().expect("an id"))
        .collect();
    assert_eq!(csv_ids, ids);
    let csv_titles: Vec<&str> = records[1..].iter().map(|r| r[title_col].as_str()).collect();
    assert_eq!(csv_titles, titles(&json));

    let table = ws.run(&["search", "Samarinda", "--format", "table"]);
    table.ok();
    for title in titles(&json) {
        assert!(
            table.stdout.contains(&title),
            "table lacks {title}\n{table:?}"
        );
    }
    let default = ws.run(&["search", "Samarinda"]);
    default.ok();
    assert_eq!(default.stdout, table.stdout, "table is the default format");
}
}

on_both! {
fn no_hits_is_success_with_an_empty_array() {
    let Archive { ws, .. } = archive();
    assert!(ws.search("tidakadasamasekali", &[]).is_empty());
    let nd = ws.run(&["search", "tidakadasamasekali", "--format", "ndjson"]);
    nd.ok();
    assert!(nd.stdout.trim().is_empty(), "{nd:?}");
}
}

on_both! {
fn filters_feed_lang_region_tag_since_until() {
    let Archive { ws, .. } = archive();
    let cases: &[(&[&str], Vec<&str>)] = &[
        (
            &["--feed", "kaltim"],
            vec!["Mahakam meluap", "Tongkang tabrak fender", "Segiri ramai"],
        ),
        (
            &["--feed", "kaltim", "--feed", "english"],
            ARTICLES.iter().map(|a| a.1).collect(),
        ),
        (
            &["--lang", "en"],
            vec!["River festival", "Runway expansion"],
        ),
        (
            &["--region", "Kalimantan Timur"],
            vec!["Mahakam meluap", "Tongkang tabrak fender", "Segiri ramai"],
        ),
        (
            &["--tag", "world"],
            vec!["River festival", "Runway expansion"],
        ),
        // Dates filter on publication time.
        (
            &["--since", "2024-03-04"],
            vec!["Tongkang tabrak fender", "Runway expansion", "Segiri ramai"],
        ),
        (
            &["--until", "2024-03-04"],
            vec!["Mahakam meluap", "River festival"],
        ),
        (
            &["--since", "2024-03-04", "--until", "2024-03-09"],
            vec!["Tongkang tabrak fender", "Runway expansion"],
        ),
        (
            &["--since", "2024-03-07T12:00:00+08:00"],
            vec!["Runway expansion", "Segiri ramai"],
        ),
        (
            &["--since", "3650d"],
            ARTICLES.iter().map(|a| a.1).collect(),
        ),
        (&["--since", "1h"], vec![]),
        (&["--feed", "english", "--lang", "id"], vec![]),
    ];
    for (args, want) in cases {
        let hits = ws.search("Samarinda", args);
        assert_eq!(
            sorted_titles(&hits),
            expect_titles(want.clone()),
            "filters {args:?}"
        );
    }
    for hit in ws.search("Samarinda", &["--feed", "kaltim"]) {
        assert_eq!(string(&hit, "feed"), "kaltim");
    }
}
}

on_both! {
fn limit_and_sort_newest_oldest() {
    let Archive { ws, .. } = archive();
    let newest = [
        "Segiri ramai",
        "Runway expansion",
        "Tongkang tabrak fender",
        "River festival",
        "Mahakam meluap",
    ];
    assert_eq!(
        titles(&ws.search("Samarinda", &["--sort", "newest"])),
        newest
    );
    let mut oldest = newest;
    oldest.reverse();
    assert_eq!(
        titles(&ws.search("Samarinda", &["--sort", "oldest"])),
        oldest
    );
    assert_eq!(ws.search("Samarinda", &["--limit", "2"]).len(), 2);
    assert_eq!(
        titles(&ws.search("Samarinda", &["--sort", "newest", "--limit", "2"])),
        newest[..2]
    );
    assert_eq!(
        titles(&ws.search(
            "Samarinda",
            &["--sort", "newest", "--limit", "2", "--feed", "kaltim"]
        )),
        ["Segiri ramai", "Tongkang tabrak fender"]
    );
    assert_eq!(ws.search("Samarinda", &["--sort", "relevance"]).len(), 5);
}
}

on_both! {
fn logs_never_reach_stdout() {
    let Archive { ws, .. } = archive();
    for flag in ["-v", "-q"] {
        let run = ws.run(&[flag, "search", "Samarinda", "--format", "json"]);
        run.ok();
        assert_eq!(run.json().as_array().map(Vec::len), Some(5), "{flag}");
        let run = ws.run(&["search", "Samarinda", "--format", "json", flag]);
        run.ok();
        assert_eq!(
            run.json().as_array().map(Vec::len),
            Some(5),
            "{flag} after the command"
        );
    }
}
}

on_both! {
fn query_fields_title_feed_site_date_and_count_offset() {
    let a = archive();
    // title: matches the headline only.
    assert_eq!(
        titles(&a.ws.search("title:mahakam", &[])),
        ["Mahakam meluap"]
    );
    // feed: inside the query, as --feed.
    assert_eq!(a.ws.search("samarinda feed:english", &[]).len(), 2);
    // site: the fixture host, port and all.
    assert_eq!(a.ws.search("samarinda site:127.0.0.1", &[]).len(), 5);
    assert!(a.ws.search("samarinda site:example.org", &[]).is_empty());
    // date: a range of days; fields alone are a query (newest first).
    assert_eq!(
        titles(&a.ws.search("date:2024-03-03..2024-03-05", &[])),
        ["Tongkang tabrak fender", "River festival"]
    );
    assert_eq!(a.ws.search("samarinda date:2024-04", &[]).len(), 0);
    // --count, and paging with --offset.
    let counted =
        a.ws.run(&["search", "samarinda", "--count", "--format", "json"]);
    counted.ok();
    assert_eq!(int(&counted.json(), "stories"), 5);
    let page1 =
        a.ws.search("samarinda", &["--sort", "oldest", "--limit", "2"]);
    let page2 = a.ws.search(
        "samarinda",
        &["--sort", "oldest", "--limit", "2", "--offset", "2"],
    );
    assert_eq!(titles(&page1), ["Mahakam meluap", "River festival"]);
    assert_eq!(
        titles(&page2),
        ["Tongkang tabrak fender", "Runway expansion"]
    );
    // Unknown fields and bad ranges are usage errors that say what is allowed.
    let bad = a.ws.run(&["search", "body:samarinda"]);
    bad.expect_code(2);
    assert!(
        bad.stderr.contains("title:") && bad.stderr.contains("date:"),
        "{bad:?}"
    );
    a.ws.run(&["search", "date:2024-13"]).expect_code(2);
    // An unknown feed inside the query is an unknown feed.
    a.ws.run(&["search", "samarinda feed:nope"])
        .expect_code(2)
        .stderr_names("nope");
}
}
