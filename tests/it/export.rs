//! `warta export` (issue 7, point 2): a small archive fetched from the fixture server,
//! exported as jsonl, csv and WARC, and each output read back the way another tool would.

use crate::on_both;
use std::collections::BTreeMap;
use std::io::Read;
use std::process::Stdio;

use serde_json::Value;

use crate::support::{Feed, Item, Route, Server, Workspace, int, pages, rss, string};

/// A body paragraph with everything CSV must quote: commas, quotes (and, between
/// paragraphs, line breaks).
const QUOTED: &str = "Warga berkata \"air naik, cepat sekali\" di Samarinda, Rabu.";

struct Archive {
    site: Server,
    ws: Workspace,
}

/// Feed `kaltim`: a flood article (2024-03-01) and an article whose page is missing, so it
/// is archived from the feed text with no raw HTML (2024-03-05). Feed `english`: a festival
/// article (2024-03-08) and the flood article's URL again (a second place for it).
fn archive() -> Archive {
    let site = Server::start("127.0.0.1");
    site.route(
        "/kaltim/banjir",
        Route::html(pages::article(
            "Banjir, lagi",
            "2024-03-01T08:00:00+08:00",
            "id",
            &pages::story("id", 701, &[QUOTED]),
        )),
    );
    site.route("/kaltim/hilang", Route::status(404));
    site.route(
        "/english/festival",
        Route::html(pages::article(
            "River festival",
            "2024-03-08T08:00:00+08:00",
            "en",
            &pages::story("en", 702, &["Samarinda hosts a Mahakam river festival."]),
        )),
    );
    let flood = Item::new(
        "Banjir, lagi",
        &site.url("/kaltim/banjir"),
        "Fri, 01 Mar 2024 08:00:00 +0800",
        "Banjir lagi.",
    );
    let kaltim = [
        Item::new(
            "Jalan rusak",
            &site.url("/kaltim/hilang"),
            "Tue, 05 Mar 2024 08:00:00 +0800",
            "Warga Desa Sangkima mengeluhkan jalan rusak sepanjang tiga kilometer.",
        ),
        flood.clone(),
    ];
    let english = [
        Item::new(
            "River festival",
            &site.url("/english/festival"),
            "Fri, 08 Mar 2024 08:00:00 +0800",
            "Festival.",
        ),
        flood.guid("english-copy-of-banjir"),
    ];
    site.route(
        "/kaltim.xml",
        Route::rss(rss("kaltim", &site.base(), &kaltim)),
    );
    site.route(
        "/english.xml",
        Route::rss(rss("english", &site.base(), &english)),
    );
    let ws = Workspace::with_feeds(&[
        Feed::new("kaltim", &site.url("/kaltim.xml")).with("language = \"id\""),
        Feed::new("english", &site.url("/english.xml")).with("language = \"en\""),
    ]);
    ws.fetch_ok();
    Archive { site, ws }
}

/// The exported articles, by title.
fn jsonl(ws: &Workspace, extra: &[&str]) -> BTreeMap<String, Value> {
    let mut args = vec!["export", "--format", "jsonl"];
    args.extend_from_slice(extra);
    let run = ws.run(&args);
    run.ok();
    run.ndjson()
        .into_iter()
        .map(|a| (string(&a, "title").to_string(), a))
        .collect()
}

fn titles(articles: &BTreeMap<String, Value>) -> Vec<&str> {
    articles.keys().map(String::as_str).collect()
}

on_both! {
fn jsonl_is_one_show_object_per_article_plus_places_and_extraction() {
    let Archive { ws, .. } = archive();
    let run = ws.run(&["export", "--format", "jsonl"]);
    run.ok();
    assert!(run.stderr.contains("exported 3 articles"), "{run:?}");
    let lines = run.ndjson();
    let ids: Vec<i64> = lines.iter().map(|a| int(a, "id")).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "articles come in id order");
    assert_eq!(ids.len(), 3);
    for line in &lines {
        // The same names and values as `warta show ID --format json`, nothing renamed.
        let mut own = line.clone();
        let extra = own.as_object_mut().expect("object");
        let places = extra.remove("places").expect("places");
        let extraction = extra.remove("extraction").expect("extraction");
        assert_eq!(own, ws.show(int(line, "id")), "line {line}");
        assert!(places.is_array() && extraction.is_object(), "{line}");
    }
    let by_title: BTreeMap<&str, &Value> = lines.iter().map(|a| (string(a, "title"), a)).collect();
    let flood = by_title["Banjir, lagi"];
    assert!(string(flood, "body").contains(QUOTED), "{flood}");
    let feeds: Vec<&str> = flood["places"]
        .as_array()
        .expect("places")
        .iter()
        .map(|p| string(p, "feed"))
        .collect();
    assert_eq!(feeds.len(), 2, "{flood}");
    assert!(
        feeds.contains(&"kaltim") && feeds.contains(&"english"),
        "{flood}"
    );
    assert_eq!(flood["extraction"]["source"], "page");
    assert_eq!(flood["extraction"]["raw_pages"], 1);
    let missing = by_title["Jalan rusak"];
    assert_eq!(missing["extraction"]["source"], "feed", "{missing}");
    assert_eq!(missing["extraction"]["raw_pages"], 0, "{missing}");
}
}

/// RFC 4180 read back: fields split on commas outside quotes, records on CRLF outside
/// quotes, `""` inside quotes a quote.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "bare CR outside quotes");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\n') => panic!("bare LF outside quotes: records end in CRLF"),
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "CSV ends mid-record"
    );
    rows
}

on_both! {
fn csv_has_a_header_and_quotes_commas_quotes_and_line_breaks() {
    let Archive { ws, .. } = archive();
    let articles = jsonl(&ws, &[]);
    let run = ws.run(&["export", "--format", "csv"]);
    run.ok();
    let rows = parse_csv(&run.stdout);
    let header = &rows[0];
    assert_eq!(header[0], "id");
    assert_eq!(header.last().map(String::as_str), Some("body"));
    assert_eq!(rows.len(), 4, "header + 3 articles\n{run:?}");
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
    };
    for row in &rows[1..] {
        assert_eq!(row.len(), header.len(), "{row:?}");
        let a = &articles[&row[column("title")]];
        assert_eq!(row[column("id")], int(a, "id").to_string());
        assert_eq!(
            row[column("body")],
            string(a, "body"),
            "bodies survive quoting"
        );
        assert_eq!(row[column("feed")], string(a, "feed"));
        assert_eq!(row[column("copies")], int(a, "copies").to_string());
    }
    let flood = &articles["Banjir, lagi"];
    assert!(
        string(flood, "body").contains("\n\n"),
        "paragraph breaks in the body"
    );
}
}

/// One WARC record: headers (name → value) and the block.
struct Record {
    headers: BTreeMap<String, String>,
    block: Vec<u8>,
}

/// Reads every record of an uncompressed WARC file, checking the framing on the way.
fn parse_warc(mut data: &[u8]) -> Vec<Record> {
    let mut records = Vec::new();
    while !data.is_empty() {
        let end = data
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a header block ends in a blank line");
        let head = std::str::from_utf8(&data[..end]).expect("headers are UTF-8");
        let mut lines = head.split("\r\n");
        assert_eq!(lines.next(), Some("WARC/1.1"));
        let headers: BTreeMap<String, String> = lines
            .map(|l| {
                let (name, value) = l.split_once(": ").expect("name: value");
                (name.to_string(), value.to_string())
            })
            .collect();
        let len: usize = headers["Content-Length"].parse().expect("a length");
        let block_start = end + 4;
        let block = data[block_start..block_start + len].to_vec();
        assert_eq!(
            &data[block_start + len..block_start + len + 4],
            b"\r\n\r\n",
            "a record ends in two CRLFs after Content-Length bytes"
        );
        data = &data[block_start + len + 4..];
        records.push(Record { headers, block });
    }
    records
}

fn sha1_base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = sha1_smol::Sha1::from(bytes).digest().bytes();
    let bits: String = digest.iter().map(|b| format!("{b:08b}")).collect();
    bits.as_bytes()
        .chunks(5)
        .map(|c| {
            let n = u8::from_str_radix(std::str::from_utf8(c).expect("bits"), 2).expect("5 bits");
            char::from(ALPHABET[usize::from(n)])
        })
        .collect()
}

fn check_warc(a: &Archive, records: &[Record], filename: &str) {
    let articles = jsonl(&a.ws, &[]);
    let info = &records[0];
    assert_eq!(info.headers["WARC-Type"], "warcinfo");
    assert_eq!(info.headers["Content-Type"], "application/warc-fields");
    assert_eq!(info.headers["WARC-Filename"], filename);
    assert!(String::from_utf8_lossy(&info.block).contains("software: warta/"));
    let resources = &records[1..];
    // Two articles have their page kept; the one archived from feed text has none.
    let mut uris: Vec<&str> = resources
        .iter()
        .map(|r| r.headers["WARC-Target-URI"].as_str())
        .collect();
    uris.sort();
    let mut want = vec![
        a.site.url("/english/festival"),
        a.site.url("/kaltim/banjir"),
    ];
    want.sort();
    assert_eq!(uris, want);
    for r in resources {
        let h = &r.headers;
        assert_eq!(h["WARC-Type"], "resource");
        assert_eq!(h["WARC-Warcinfo-ID"], info.headers["WARC-Record-ID"]);
        assert!(h["WARC-Record-ID"].starts_with("<urn:uuid:"), "{h:?}");
        assert_eq!(h["Content-Type"], "text/html; charset=utf-8");
        let digest = format!("sha1:{}", sha1_base32(&r.block));
        assert_eq!(h["WARC-Block-Digest"], digest);
        assert_eq!(h["WARC-Payload-Digest"], digest);
        let html = String::from_utf8(r.block.clone()).expect("UTF-8 HTML");
        let article = articles
            .values()
            .find(|a| html.contains(&format!("<title>{} - Warta Uji", string(a, "title"))))
            .unwrap_or_else(|| panic!("no article for {}", h["WARC-Target-URI"]));
        // WARC-Date is the fetch time, in UTC.
        let fetched = chrono::DateTime::parse_from_rfc3339(string(article, "fetched"))
            .expect("fetched")
            .with_timezone(&chrono::Utc);
        assert_eq!(
            h["WARC-Date"],
            fetched.format("%Y-%m-%dT%H:%M:%SZ").to_string()
        );
    }
    let ids: std::collections::BTreeSet<&str> = records
        .iter()
        .map(|r| r.headers["WARC-Record-ID"].as_str())
        .collect();
    assert_eq!(ids.len(), records.len(), "record ids are unique");
}

on_both! {
fn warc_records_are_well_formed_with_verified_digests_plain_and_gzipped() {
    let a = archive();
    let run =
        a.ws.run(&["export", "--format", "warc", "-o", "pages.warc"]);
    run.ok();
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(
        run.stderr.contains("1 article without raw HTML skipped"),
        "{run:?}"
    );
    let plain = std::fs::read(a.ws.path().join("pages.warc")).expect("pages.warc");
    let records = parse_warc(&plain);
    assert_eq!(records.len(), 3, "warcinfo + 2 pages");
    check_warc(&a, &records, "pages.warc");
    assert!(!a.ws.path().join("pages.warc.part").exists());

    a.ws.run(&["export", "--format", "warc", "-o", "pages.warc.gz"])
        .ok();
    let packed = std::fs::read(a.ws.path().join("pages.warc.gz")).expect("pages.warc.gz");
    // Every record is a gzip member of its own.
    let mut rest: &[u8] = &packed;
    let mut members = Vec::new();
    while !rest.is_empty() {
        let mut d = flate2::bufread::GzDecoder::new(rest);
        let mut one = Vec::new();
        d.read_to_end(&mut one).expect("a gzip member");
        rest = d.into_inner();
        members.push(one);
    }
    assert_eq!(members.len(), 3);
    let _ = std::fs::create_dir_all("/tmp/exp-check");
    let _ = std::fs::copy(
        a.ws.path().join("pages.warc.gz"),
        "/tmp/exp-check/pages.warc.gz",
    );
    let _ = std::fs::copy(a.ws.path().join("pages.warc"), "/tmp/exp-check/pages.warc");
    let _ = std::fs::write(
        "/tmp/exp-check/out.csv",
        a.ws.run(&["export", "--format", "csv"]).stdout.as_bytes(),
    );
    let _ = std::fs::write(
        "/tmp/exp-check/out.jsonl",
        a.ws.run(&["export", "--format", "jsonl"]).stdout.as_bytes(),
    );
    let records = parse_warc(&members.concat());
    check_warc(&a, &records, "pages.warc.gz");
}
}

on_both! {
fn since_until_and_feed_select_articles() {
    let Archive { ws, .. } = archive();
    assert_eq!(
        titles(&jsonl(&ws, &["--since", "2024-03-05"])),
        ["Jalan rusak", "River festival"]
    );
    assert_eq!(
        titles(&jsonl(&ws, &["--until", "2024-03-05"])),
        ["Banjir, lagi", "Jalan rusak"]
    );
    assert_eq!(
        titles(&jsonl(
            &ws,
            &["--since", "2024-03-02", "--until", "2024-03-07"]
        )),
        ["Jalan rusak"]
    );
    // An article is in every feed it was seen in.
    assert_eq!(
        titles(&jsonl(&ws, &["--feed", "english"])),
        ["Banjir, lagi", "River festival"]
    );
    assert_eq!(
        titles(&jsonl(&ws, &["--feed", "kaltim", "--since", "2024-03-02"])),
        ["Jalan rusak"]
    );
    let run = ws.run(&[
        "export", "--format", "warc", "-o", "x.warc", "--feed", "english",
    ]);
    run.ok();
    assert!(
        run.stderr.contains("exported 2 pages of 2 articles"),
        "{run:?}"
    );
}
}

on_both! {
fn usage_errors_exit_2_and_name_the_culprit() {
    let Archive { ws, .. } = archive();
    for (args, culprit) in [
        (vec!["--feed", "nosuch"], "nosuch"),
        (vec!["--since", "kemarin"], "kemarin"),
        (
            vec!["--since", "2024-03-09", "--until", "2024-03-01"],
            "--since",
        ),
    ] {
        let mut all = vec!["export", "--format", "jsonl"];
        all.extend(args);
        let run = ws.run(&all);
        run.expect_code(2).stderr_names(culprit);
        assert!(run.stdout.is_empty(), "{run:?}");
    }
    ws.run(&["export"]).expect_code(2).stderr_names("--format");
}
}

on_both! {
fn an_unwritable_file_fails_with_its_name_and_a_closed_pipe_ends_quietly() {
    let Archive { ws, .. } = archive();
    ws.run(&[
        "export",
        "--format",
        "jsonl",
        "-o",
        "no/such/folder/out.jsonl",
    ])
    .expect_code(1)
    .stderr_names("no/such/folder/out.jsonl");

    let mut child = ws
        .command(&["export", "--format", "jsonl"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn warta");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("cannot write"), "{stderr}");
    crate::support::assert_no_panic("export to a closed pipe", &stderr);
}
}
