//! Feeds in and out (issue 7): `import-opml` adds an OPML file's feeds to feeds.toml without
//! disturbing what is there, `export-opml` writes them back out, and `feeds add` finds a site's
//! feed from one of its pages. Every run is the real binary; `feeds add` talks to the fixture
//! server over loopback.

use serde_json::Value;

use crate::support::{Feed, Item, Route, Server, Workspace, config_text, rss, string};

/// The suite's standard config with `feeds`, as written before a command edits it.
fn workspace(feeds: &[Feed]) -> (Workspace, String) {
    let ws = Workspace::new();
    let text = config_text(&[], feeds);
    ws.write_config(&text);
    (ws, text)
}

fn config_bytes(ws: &Workspace) -> Vec<u8> {
    std::fs::read(ws.config_path()).expect("read feeds.toml")
}

/// The feed called `name` in `warta feeds --format json`.
#[track_caller]
fn feed<'a>(feeds: &'a [Value], name: &str) -> &'a Value {
    feeds
        .iter()
        .find(|f| f.get("name").and_then(Value::as_str) == Some(name))
        .unwrap_or_else(|| panic!("no feed {name:?} in {feeds:#?}"))
}

#[track_caller]
fn tags(feed: &Value) -> Vec<String> {
    feed.get("tags")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("tags is not an array in {feed:#}"))
        .iter()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect()
}

/// Files in the workspace folder whose name says they are a leftover temporary file.
fn leftovers(ws: &Workspace) -> Vec<String> {
    std::fs::read_dir(ws.path())
        .expect("list workspace")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

const NESTED: &str = "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<!-- exported by some reader -->
<opml version=\"1.0\">
  <head><title>Langganan saya</title></head>
  <body>
    <outline text=\"Kalimantan\" title=\"Kalimantan\">
      <outline text=\"Kaltim\">
        <outline type=\"rss\" text=\"ANTARA Kaltim\" xmlUrl=\"https://kaltim.antaranews.com/rss/terkini.xml\" htmlUrl=\"https://kaltim.antaranews.com/\"/>
        <outline text=\"Kaltim Post &amp; Prokal\" XMLURL=\"https://prokal.co/feed/\" category=\"/Koran/Harian,daerah\"/>
      </outline>
      <outline text=\"Tribun Kaltara\" xmlurl=\"https://kaltara.tribunnews.com/rss\"/>
    </outline>
    <outline type=\"link\" text=\"Beranda Antara\" url=\"https://www.antaranews.com/\"/>
    <outline text=\"Kosong\"/>
    <outline text=\"Caf&#233; Samarinda\" xmlUrl=\"https://samarinda.example/rss.xml\"/>
  </body>
</opml>
";

#[test]
fn nested_folders_become_tags_and_links_are_ignored() {
    let (ws, _) = workspace(&[]);
    ws.write("subs.opml", NESTED.as_bytes());
    let run = ws.run(&["import-opml", "subs.opml"]);
    run.ok();
    assert!(run.stdout.contains("4 added, 0 skipped"), "{run:?}");
    run.stderr_names("Beranda Antara");

    let feeds = ws.feeds();
    assert_eq!(feeds.len(), 4, "{feeds:#?}");
    let antara = feed(&feeds, "antara-kaltim");
    assert_eq!(
        string(antara, "url"),
        "https://kaltim.antaranews.com/rss/terkini.xml"
    );
    assert_eq!(tags(antara), ["Kalimantan", "Kaltim"]);
    let prokal = feed(&feeds, "kaltim-post-prokal");
    assert_eq!(
        tags(prokal),
        ["Kalimantan", "Kaltim", "Koran", "Harian", "daerah"]
    );
    assert_eq!(tags(feed(&feeds, "tribun-kaltara")), ["Kalimantan"]);
    assert!(tags(feed(&feeds, "cafe-samarinda")).is_empty());

    let text = String::from_utf8(config_bytes(&ws)).expect("utf-8");
    assert!(text.contains("title = \"Kaltim Post & Prokal\""), "{text}");
    assert!(text.contains("title = \"Café Samarinda\""), "{text}");
}

#[test]
fn feeds_already_present_are_skipped_and_named() {
    let (ws, _) = workspace(&[
        Feed::new("kaltim", "http://kaltim.antaranews.com/rss/terkini.xml/"),
        Feed::new("tribun-kaltara", "https://kaltara.tribunnews.com/other.xml"),
    ]);
    ws.write("subs.opml", NESTED.as_bytes());
    let run = ws.run(&["import-opml", "subs.opml"]);
    run.ok();
    assert!(
        run.stderr.contains(
            "skipped: https://kaltim.antaranews.com/rss/terkini.xml is already feed 'kaltim'"
        ),
        "{run:?}"
    );
    assert!(run.stdout.contains("3 added, 1 skipped"), "{run:?}");
    let feeds = ws.feeds();
    assert_eq!(feeds.len(), 5, "{feeds:#?}");
    // Another feed with a title like an existing name gets a numbered name.
    assert_eq!(
        string(feed(&feeds, "tribun-kaltara-2"), "url"),
        "https://kaltara.tribunnews.com/rss"
    );

    let again = ws.run(&["import-opml", "subs.opml"]);
    again.ok();
    assert!(again.stdout.contains("0 added, 4 skipped"), "{again:?}");
}

#[test]
fn comments_and_layout_stay_byte_for_byte_above_the_new_tables() {
    let original = "# Feeds of the Kaltim desk.\n#   keep this header\n\n[archive]\npath   =   \"archive.db\"  # beside me\n\n\
        [fetch]\nallow_private_addresses = true\n\n[[feed]]\n# the provincial wire\nname = \"kaltim\"\nurl = \"https://kaltim.antaranews.com/rss/terkini.xml\"\n\
        tags = [ 'kaltim',   \"antara\" ]   # odd spacing on purpose\n\n[search]\naliases = [[\"kaltim\", \"kalimantan timur\"]]\n\n# last words, no newline";
    let ws = Workspace::new();
    ws.write_config(original);
    ws.write("subs.opml", NESTED.as_bytes());
    ws.run(&["import-opml", "subs.opml"]).ok();
    let after = String::from_utf8(config_bytes(&ws)).expect("utf-8");
    assert!(
        after.starts_with(original),
        "the original text changed:\n{after}"
    );
    let tail = &after[original.len()..];
    assert!(
        tail.starts_with("\n\n# Added by `warta import-opml subs.opml`"),
        "{tail}"
    );
    assert_eq!(tail.matches("[[feed]]").count(), 3, "{tail}");
    assert_eq!(ws.feeds().len(), 4);
    assert!(leftovers(&ws).is_empty(), "{:?}", leftovers(&ws));
}

#[test]
fn dry_run_prints_the_tables_and_changes_nothing() {
    let (ws, _) = workspace(&[]);
    let before = config_bytes(&ws);
    ws.write("subs.opml", NESTED.as_bytes());
    let run = ws.run(&["import-opml", "subs.opml", "--dry-run"]);
    run.ok();
    assert_eq!(run.stdout.matches("[[feed]]").count(), 4, "{run:?}");
    assert!(run.stderr.contains("4 would be added"), "{run:?}");
    assert_eq!(config_bytes(&ws), before);
}

#[test]
fn a_file_that_is_not_opml_is_a_usage_error_and_feeds_toml_is_untouched() {
    let (ws, _) = workspace(&[Feed::new(
        "kaltim",
        "https://kaltim.antaranews.com/rss/terkini.xml",
    )]);
    let before = config_bytes(&ws);
    let feed_xml = rss("Berita", "https://a.org/", &[]);
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "cut.opml",
            b"<?xml version=\"1.0\"?><opml version=\"2.0\"><body><outline text=\"a\" xmlUrl=\"https://a.org/rss\"/><outline text=\"b\">",
            "cut off",
        ),
        (
            "feed.xml",
            feed_xml.as_bytes(),
            "<rss>",
        ),
        ("notes.txt", b"just some notes\n", "not XML"),
        ("empty.opml", b"", "empty"),
        (
            "mismatch.opml",
            b"<opml version=\"2.0\">\n<body>\n<outline text=\"x\" xmlUrl=\"https://a.org/rss\">\n</body></opml>",
            "line 4",
        ),
    ];
    for (file, bytes, why) in cases {
        ws.write(file, bytes);
        let run = ws.run(&["import-opml", file]);
        run.expect_code(2).stderr_names(file).stderr_names(why);
        assert_eq!(config_bytes(&ws), before, "{file} changed feeds.toml");
    }
    let run = ws.run(&["import-opml", "missing.opml"]);
    run.expect_code(2).stderr_names("missing.opml");
    assert!(leftovers(&ws).is_empty(), "{:?}", leftovers(&ws));
}

#[test]
fn an_invalid_feeds_toml_is_refused_before_any_change() {
    let ws = Workspace::new();
    let broken = "[fetch]\ntimeout = \"soon\"\n";
    ws.write_config(broken);
    ws.write("subs.opml", NESTED.as_bytes());
    let run = ws.run(&["import-opml", "subs.opml"]);
    run.expect_code(2)
        .stderr_names("feeds.toml")
        .stderr_names("timeout");
    assert_eq!(config_bytes(&ws), broken.as_bytes());
}

#[test]
fn export_then_import_gives_the_same_feeds() {
    let (source, _) = workspace(&[
        Feed::new(
            "antara-kaltim",
            "https://kaltim.antaranews.com/rss/terkini.xml",
        )
        .with("title = \"ANTARA Kalimantan Timur\"")
        .with("region = \"Kalimantan Timur\"")
        .with("language = \"id\"")
        .with("tags = [\"kaltim\", \"antara\"]"),
        Feed::new("kp", "https://prokal.co/feed/?a=1&b=2")
            .with("title = \"Kaltim Post <Prokal> & \\\"Friends\\\"\"")
            .with("tags = [\"koran\"]"),
        Feed::new("paused", "http://example.org/rss").with("enabled = false"),
    ]);
    let run = source.run(&["export-opml"]);
    run.ok();
    let xml = &run.stdout;
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">"),
        "{xml}"
    );
    assert!(xml.contains("<dateCreated>"), "{xml}");
    assert!(xml.contains("region=\"Kalimantan Timur\""), "{xml}");
    assert!(xml.contains("category=\"kaltim,antara\""), "{xml}");
    assert!(xml.contains("type=\"rss\""), "{xml}");
    assert!(
        xml.contains("xmlUrl=\"https://prokal.co/feed/?a=1&amp;b=2\""),
        "{xml}"
    );
    assert!(
        xml.contains("title=\"Kaltim Post &lt;Prokal&gt; &amp; &quot;Friends&quot;\""),
        "{xml}"
    );

    let out = source.path().join("out.opml");
    source
        .run(&["export-opml", "-o", &out.to_string_lossy()])
        .ok();

    // An empty feeds.toml to import into.
    let target = Workspace::new();
    target.write_config("");
    let run = target.run(&["import-opml", &out.to_string_lossy()]);
    run.ok();
    assert!(run.stdout.contains("3 added, 0 skipped"), "{run:?}");

    // `warta feeds` reads the feeds' state from the archive, which the source has not made.
    source.create_archive();
    let fields = |ws: &Workspace| -> Vec<Value> {
        let mut list: Vec<Value> = ws
            .feeds()
            .into_iter()
            .map(|f| {
                serde_json::json!({
                    "name": f["name"], "url": f["url"], "region": f["region"],
                    "tags": f["tags"], "state": f["state"],
                })
            })
            .collect();
        list.sort_by_key(|v| v["name"].as_str().unwrap_or_default().to_string());
        list
    };
    assert_eq!(fields(&target), fields(&source));
    // Titles, languages and the disabled flag too: the two exports differ only in their head.
    let again = target.run(&["export-opml"]);
    again.ok();
    let body = |s: &str| s[s.find("<body>").unwrap_or(0)..].to_string();
    assert_eq!(body(&again.stdout), body(xml));
}

#[test]
fn export_needs_a_valid_config() {
    let ws = Workspace::new();
    ws.write_config("[[feed]]\nname = \"Bad Name\"\nurl = \"https://a.org/\"\n");
    ws.run(&["export-opml"])
        .expect_code(2)
        .stderr_names("feeds.toml");
}

fn berita_rss(title: &str, base: &str) -> String {
    rss(
        title,
        base,
        &[Item::new(
            "Banjir di Samarinda",
            &format!("{base}/berita/1"),
            "Wed, 20 Nov 2024 03:00:00 +0000",
            "Hujan deras.",
        )],
    )
}

#[test]
fn feeds_add_follows_the_link_a_page_names() {
    let server = Server::start("127.0.0.1");
    let base = server.base();
    server.route(
        "/kaltim/",
        Route::html(
            "<!DOCTYPE html><html><head><title>Kaltim</title>\
             <link rel=\"alternate\" type=\"application/rss+xml\" title=\"Kaltim\" href=\"rss/terkini.xml\">\
             <link rel=\"alternate\" type=\"application/atom+xml\" title=\"Komentar\" href=\"/comments/atom\">\
             </head><body><p>Berita</p></body></html>",
        ),
    );
    server.route(
        "/kaltim/rss/terkini.xml",
        Route::rss(berita_rss("ANTARA Kalimantan Timur", &base)),
    );
    let (ws, _) = workspace(&[]);
    let run = ws.run(&[
        "feeds",
        "add",
        &server.url("/kaltim/"),
        "--region",
        "Kalimantan Timur",
        "--tag",
        "kaltim",
        "--tag",
        "antara",
    ]);
    run.ok();
    assert!(
        run.stdout.contains("added: antara-kalimantan-timur"),
        "{run:?}"
    );
    run.stderr_names(&server.url("/comments/atom"));
    let feeds = ws.feeds();
    let added = feed(&feeds, "antara-kalimantan-timur");
    assert_eq!(string(added, "url"), server.url("/kaltim/rss/terkini.xml"));
    assert_eq!(string(added, "region"), "Kalimantan Timur");
    assert_eq!(tags(added), ["kaltim", "antara"]);
    assert!(
        String::from_utf8(config_bytes(&ws))
            .unwrap_or_default()
            .contains("title = \"ANTARA Kalimantan Timur\"")
    );
    assert_eq!(
        server.requests_to("/comments/atom").len(),
        0,
        "only the first feed is fetched"
    );

    // The same feed again, by its page or its own address: nothing changes.
    let before = config_bytes(&ws);
    for url in [
        server.url("/kaltim/"),
        server.url("/kaltim/rss/terkini.xml/"),
    ] {
        let run = ws.run(&["feeds", "add", &url]);
        run.ok()
            .stderr_names("already feed 'antara-kalimantan-timur'");
        assert_eq!(config_bytes(&ws), before);
    }
}

#[test]
fn feeds_add_tries_the_common_paths_when_the_page_names_no_feed() {
    let server = Server::start("127.0.0.1");
    let base = server.base();
    server.route(
        "/",
        Route::html("<html><head><title>Prokal</title></head><body>Berita</body></html>"),
    );
    server.route("/feed", Route::status(404));
    server.route("/feed/", Route::rss(berita_rss("Prokal.co", &base)));
    let (ws, _) = workspace(&[]);
    let run = ws.run(&["feeds", "add", &server.url("/")]);
    run.ok();
    let feeds = ws.feeds();
    assert_eq!(
        string(feed(&feeds, "prokal-co"), "url"),
        server.url("/feed/")
    );
    assert_eq!(
        server.requests_to("/rss").len(),
        0,
        "stops at the first feed"
    );
}

#[test]
fn feeds_add_with_a_feed_url_adds_it_under_the_given_name() {
    let server = Server::start("127.0.0.1");
    server.route(
        "/rss.xml",
        Route::rss(berita_rss("Tribun Kaltim", &server.base())),
    );
    let (ws, _) = workspace(&[]);
    let dry = ws.run(&[
        "feeds",
        "add",
        &server.url("/rss.xml"),
        "--name",
        "tribun",
        "--dry-run",
    ]);
    dry.ok();
    assert!(dry.stdout.contains("name = \"tribun\""), "{dry:?}");
    assert!(!ws.db_path().exists(), "a dry run created the archive");
    ws.create_archive();
    assert!(ws.feeds().is_empty(), "dry run wrote the config");

    let run = ws.run(&["feeds", "add", &server.url("/rss.xml"), "--name", "tribun"]);
    run.ok();
    let feeds = ws.feeds();
    assert_eq!(
        string(feed(&feeds, "tribun"), "url"),
        server.url("/rss.xml")
    );
    assert_eq!(server.requests_to("/rss.xml").len(), 2);
    // `warta feeds` itself is unchanged by having a subcommand.
    let table = ws.run(&["feeds"]);
    table.ok();
    assert!(table.stdout.contains("tribun"), "{table:?}");

    let taken = ws.run(&[
        "feeds",
        "add",
        &server.url("/other.xml"),
        "--name",
        "tribun",
    ]);
    taken.expect_code(2).stderr_names("tribun");
    ws.run(&["feeds", "add", &server.url("/x"), "--name", "Bad Name"])
        .expect_code(2)
        .stderr_names("Bad Name");
}

#[test]
fn feeds_add_with_a_dead_url_fails_and_says_what_was_tried() {
    let server = Server::start("127.0.0.1");
    server.route("/gone", Route::status(404));
    server.route(
        "/",
        Route::html("<html><head><title>No feed here</title></head><body></body></html>"),
    );
    let (ws, _) = workspace(&[]);
    let before = config_bytes(&ws);

    let run = ws.run(&["feeds", "add", &server.url("/gone")]);
    run.expect_code(1)
        .stderr_names(&server.url("/gone"))
        .stderr_names("404");

    // Nothing listens on this port any more.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let run = ws.run(&["feeds", "add", &format!("http://{closed}/rss")]);
    run.expect_code(1).stderr_names(&closed.to_string());

    // A page with no feed anywhere: every address tried is listed.
    let run = ws.run(&["feeds", "add", &server.url("/")]);
    run.expect_code(1)
        .stderr_names(&server.url("/rss.xml"))
        .stderr_names(&server.url("/?feed=rss2"));
    assert_eq!(config_bytes(&ws), before);
}

#[test]
fn feeds_add_refuses_private_addresses_unless_allowed() {
    let server = Server::start("127.0.0.1");
    server.route("/rss.xml", Route::rss(berita_rss("Lokal", &server.base())));
    let ws = Workspace::new();
    ws.write_config("[archive]\npath = \"archive.db\"\n");
    let run = ws.run(&["feeds", "add", &server.url("/rss.xml")]);
    run.expect_code(1).stderr_names("allow_private_addresses");
    assert_eq!(server.requests().len(), 0);
}
