//! `warta extract`: the extractor on saved pages (plain or .gz, files or stdin) without touching
//! the archive, in text, json and ndjson; an unreadable file gives its line with `error` set and
//! exit 1.

use std::io::Write;

use serde_json::Value;

use crate::support::{Workspace, bench, cmd, opt_string, sites, string};

const FIELDS: &[&str] = &[
    "file",
    "url",
    "title",
    "author",
    "published",
    "language",
    "body",
    "error",
];

#[track_caller]
fn has_contract_fields(v: &Value) {
    for field in FIELDS {
        assert!(v.get(field).is_some(), "{field} missing from {v:#}");
    }
}

#[test]
fn single_gz_benchmark_page_as_json() {
    let Some(corpus) = bench::open("extract::single_gz_benchmark_page_as_json") else {
        return;
    };
    let ws = Workspace::with_feeds(&[]);
    let id = bench::EASY_PAGES[0];
    let path = cmd::arg(&corpus.gz_path(id));

    let run = ws.run(&["extract", &path, "--format", "json"]);

    run.ok();
    let out = run.json();
    has_contract_fields(&out);
    assert_eq!(string(&out, "file"), path);
    assert!(out["error"].is_null(), "{out:#}");
    let truth = corpus.truth(id);
    let recall = bench::word_recall(&truth.body, string(&out, "body"));
    assert!(recall >= 0.8, "recall {recall:.2}: {out:#}");
    assert_eq!(opt_string(&out, "language"), Some("en"));
    assert!(
        opt_string(&out, "title").is_some_and(|t| t.contains("Parise")),
        "{out:#}"
    );
    // The page's own canonical URL, no --url given.
    assert_eq!(opt_string(&out, "url"), Some(truth.url.as_str()));
    assert!(!ws.db_path().exists(), "extract touched the archive");
}

#[test]
fn regional_fixture_pages_extract_to_their_golden_bodies() {
    let ws = Workspace::with_feeds(&[]);
    for page in sites::PAGES {
        let path = cmd::arg(&sites::html_path(page));
        let run = ws.run(&["extract", &path, "--format", "json"]);
        run.ok();
        let out = run.json();
        sites::assert_golden(page, string(&out, "body"));
        assert_eq!(opt_string(&out, "title"), Some(page.title), "{}", page.stem);
        assert_eq!(opt_string(&out, "language"), Some("id"), "{}", page.stem);
        let canonical = format!("{}{}", page.origin, page.path);
        assert_eq!(
            opt_string(&out, "url"),
            Some(canonical.as_str()),
            "{}",
            page.stem
        );
    }
}

#[test]
fn pages_with_a_machine_readable_date_give_it_in_rfc3339() {
    let ws = Workspace::with_feeds(&[]);
    // The Tribun and Mahakam Pos templates carry article:published_time (+08:00, WITA).
    for page in sites::PAGES
        .iter()
        .filter(|p| !p.origin.contains("kaltimkini"))
    {
        let path = cmd::arg(&sites::html_path(page));
        let out = ws.run(&["extract", &path, "--format", "json"]).json();
        let published = crate::support::opt_time(&out, "published")
            .unwrap_or_else(|| panic!("{}: no published: {out:#}", page.stem));
        assert_eq!(
            published.with_timezone(&chrono::Utc),
            crate::support::instant(page.published)
        );
    }
}

#[test]
fn ndjson_over_several_files_with_one_unreadable_keeps_order_and_exits_1() {
    let ws = Workspace::with_feeds(&[]);
    let missing = cmd::arg(&ws.path().join("tidak-ada.html.gz"));
    let corrupt = cmd::arg(&ws.write(
        "rusak.html.gz",
        b"\x1f\x8b\x08\x00 this is not really gzip data",
    ));
    // Compressed here from the fixtures, so the test needs nothing outside the repository.
    let gz = |page: &sites::Page| {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(sites::html(page).as_bytes())
            .expect("gzip a fixture page");
        let bytes = enc.finish().expect("gzip a fixture page");
        cmd::arg(&ws.write(&format!("{}.html.gz", page.stem), &bytes))
    };
    let files = [
        gz(&sites::PAGES[0]),
        missing.clone(),
        cmd::arg(&sites::html_path(&sites::PAGES[2])),
        corrupt.clone(),
        gz(&sites::PAGES[1]),
    ];
    let mut args = vec!["extract"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--format", "ndjson"]);

    let run = ws.run(&args);

    run.expect_code(1).stderr_names("tidak-ada.html.gz");
    let lines = run.ndjson();
    assert_eq!(lines.len(), files.len(), "one line per file\n{run:?}");
    for (line, file) in lines.iter().zip(&files) {
        has_contract_fields(line);
        assert_eq!(string(line, "file"), file, "lines follow the order given");
        let bad = file == &missing || file == &corrupt;
        if bad {
            assert!(
                line["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{line:#}"
            );
            for field in ["url", "title", "author", "published", "language"] {
                assert!(
                    line[field].is_null(),
                    "{field} set on a failed page: {line:#}"
                );
            }
            assert!(line["body"].is_null() || line["body"] == "", "{line:#}");
        } else {
            assert!(line["error"].is_null(), "{line:#}");
            assert!(!string(line, "body").is_empty(), "{line:#}");
        }
    }
    sites::assert_golden(&sites::PAGES[2], string(&lines[2], "body"));
}

#[test]
fn stdin_and_url_flag() {
    let ws = Workspace::with_feeds(&[]);
    let page = &sites::PAGES[4];
    let html = sites::html(page);

    let run = ws.run_stdin(
        &[
            "extract",
            "--url",
            "https://mirror.example/penyu",
            "--format",
            "json",
        ],
        html.as_bytes(),
    );

    run.ok();
    let out = run.json();
    has_contract_fields(&out);
    assert!(out["file"].is_null(), "stdin has no file name: {out:#}");
    assert_eq!(
        opt_string(&out, "url"),
        Some("https://mirror.example/penyu")
    );
    sites::assert_golden(page, string(&out, "body"));
}

#[test]
fn text_format_prints_title_blank_line_body() {
    let ws = Workspace::with_feeds(&[]);
    let page = &sites::PAGES[3];
    let run = ws.run(&[
        "extract",
        &cmd::arg(&sites::html_path(page)),
        "--format",
        "text",
    ]);
    run.ok();
    let mut lines = run.stdout.lines();
    assert_eq!(lines.next(), Some(page.title), "{run:?}");
    assert_eq!(lines.next().map(str::trim), Some(""), "{run:?}");
    let rest: String = lines.collect::<Vec<_>>().join("\n");
    sites::assert_golden(page, &rest);
}

#[test]
fn binary_garbage_never_panics() {
    let ws = Workspace::with_feeds(&[]);
    let garbage: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let path = ws.write("sampah.html", &garbage);
    let run = ws.run(&["extract", &cmd::arg(&path), "--format", "json"]);
    assert!(matches!(run.code, Some(0) | Some(1)), "{run:?}");
    let run = ws.run_stdin(&["extract", "--format", "ndjson"], &garbage);
    assert!(matches!(run.code, Some(0) | Some(1)), "{run:?}");
}
