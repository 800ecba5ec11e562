//! Original responses kept (`[archive] keep_raw = "response"`, issue 15): each article
//! page's exchange is kept as it went over the wire, exported as WARC request/response
//! pairs that the project's own reader, `warcio` and pywb accept, re-extracted from the
//! original bytes, imported back; and the feed's credentials reach neither the archive nor
//! the WARC.
//!
//! `warcio` and pywb are outside tools: where one is not installed the test says so on one
//! line and skips that part, except under CI (`CI` set), where `.ci/run` installs them and a
//! missing one is a failure.

use std::io::{BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use warta::import::warc::Reader;

use crate::support::cmd::{self, Background};
use crate::support::{Feed, Item, Route, Server, Workspace, config_text, int, pages, rss, string};

const PASSWORD: &str = "rahasia-sekali";
/// "pembaca:rahasia-sekali" in base64, as it goes in the Authorization header.
const BASIC: &str = "cGVtYmFjYTpyYWhhc2lhLXNla2FsaQ==";
const COOKIE: &str = "kue-rahasia-77";
const API_KEY: &str = "kunci-api-99";

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// The two pages: one sent gzip-encoded, one in windows-1252 whose charset only the
/// Content-Type header names (no `<meta charset>`), with the bytes each was sent as.
struct Site {
    server: Server,
    gzip_wire: Vec<u8>,
    latin_wire: Vec<u8>,
}

fn site() -> Site {
    let server = Server::start("127.0.0.1");
    let html = pages::article(
        "Gzip asli",
        "2024-03-12T08:00:00+08:00",
        "id",
        &pages::story("id", 5101, &["Gzipbukti tersimpan seperti dikirim."]),
    );
    let gzip_wire = gzip(html.as_bytes());
    server.route(
        "/berita/gzip",
        Route::bytes("text/html; charset=utf-8", gzip_wire.clone())
            .header("Content-Encoding", "gzip"),
    );
    let latin = pages::article(
        "Latin asli",
        "2024-03-12T08:00:00+08:00",
        "id",
        &pages::story(
            "id",
            5102,
            &["Latinbukti dari K\u{f6}ln dan S\u{e3}o Paulo."],
        ),
    )
    .replace("  <meta charset=\"utf-8\">\n", "");
    assert!(!latin.contains("charset"));
    let latin_wire: Vec<u8> = latin
        .chars()
        .map(|c| u8::try_from(u32::from(c)).expect("Latin-1 text"))
        .collect();
    server.route(
        "/berita/latin",
        Route::bytes("text/html; charset=windows-1252", latin_wire.clone()),
    );
    let items = [
        Item::new(
            "Gzip asli",
            &server.url("/berita/gzip"),
            "Tue, 12 Mar 2024 08:00:00 +0800",
            "Ringkas.",
        ),
        Item::new(
            "Latin asli",
            &server.url("/berita/latin"),
            "Tue, 12 Mar 2024 08:01:00 +0800",
            "Ringkas.",
        ),
    ];
    server.route(
        "/kanal.xml",
        Route::rss(rss("Kanal", &server.base(), &items)),
    );
    Site {
        server,
        gzip_wire,
        latin_wire,
    }
}

/// A workspace keeping responses, its feed sending a password, a cookie and a key in a
/// header of its own to its host.
fn workspace(site: &Site) -> Workspace {
    let feed = Feed::new("kanal", &site.server.url("/kanal.xml"))
        .with(&format!("cookies = {{ sesi = \"{COOKIE}\" }}"))
        .with(&format!("headers = {{ \"X-Api-Key\" = \"{API_KEY}\" }}"))
        .with("auth = { user = \"pembaca\", password_env = \"WARTA_TEST_RAW_PASSWORD\" }");
    let ws = Workspace::new();
    let text = config_text(&[], &[feed]).replace(
        "path = \"archive.db\"\n",
        "path = \"archive.db\"\nkeep_raw = \"response\"\n",
    );
    ws.write_config(&text);
    let mut fetch = ws.command(&["fetch"]);
    fetch.env("WARTA_TEST_RAW_PASSWORD", PASSWORD);
    cmd::run_command(fetch, None, Duration::from_secs(120)).ok();
    ws
}

/// Every record of a WARC file (gzip or not) as the project's own reader reads it.
fn records(path: &Path) -> Vec<warta::import::warc::Record> {
    let bytes = std::fs::read(path).expect("the WARC");
    let stream: Box<dyn Read> = if bytes.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::MultiGzDecoder::new(&bytes[..]))
    } else {
        Box::new(&bytes[..])
    };
    let mut reader = Reader::new(BufReader::new(stream), 64 << 20);
    let mut out = Vec::new();
    while let Some(r) = reader.next_record().expect("a well-formed WARC") {
        out.push(r);
    }
    out
}

/// The HTTP body of a `response` record's block: what follows the head.
fn http_body(block: &[u8]) -> &[u8] {
    let at = block
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP head");
    &block[at + 4..]
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// `name` when it can be run; else None, after one line saying why, unless under CI where
/// a missing tool fails the test.
fn tool(name: &str, why: &str) -> Option<String> {
    let found = Command::new(name)
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match found {
        Ok(_) => Some(name.to_string()),
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("{name} is needed here ({why}) and cannot be run: {e}; .ci/run installs it")
        }
        Err(e) => {
            println!("skipped: {name} cannot be run ({e}), so {why} is not checked");
            None
        }
    }
}

#[test]
fn responses_are_kept_as_sent_exported_as_warc_pairs_reextracted_and_imported() {
    let site = site();
    let ws = workspace(&site);
    let gzip_id = int(&ws.search_one("gzipbukti"), "id");
    let latin_id = int(&ws.search_one("latinbukti"), "id");
    let gzip_body = string(&ws.show(gzip_id), "body").to_string();
    let latin_body = string(&ws.show(latin_id), "body").to_string();
    assert!(gzip_body.contains("Gzipbukti tersimpan seperti dikirim."));
    assert!(latin_body.contains("Latinbukti dari Köln dan São Paulo."));

    // One source of truth: the responses, and no HTML copy beside them.
    let db = rusqlite::Connection::open(ws.db_path()).expect("open the archive");
    let html_pages: i64 = db
        .query_row("SELECT count(*) FROM pages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(html_pages, 0);
    let kept: Vec<(String, Vec<u8>, Vec<u8>)> = db
        .prepare("SELECT url, response_head, body_zstd FROM responses ORDER BY url")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(kept.len(), 2);
    for (url, head, body) in &kept {
        let sent = if url.ends_with("/gzip") {
            &site.gzip_wire
        } else {
            &site.latin_wire
        };
        assert_eq!(&zstd::decode_all(&body[..]).unwrap(), sent, "{url}");
        assert!(head.starts_with(b"HTTP/1.1 200 OK\r\n"), "{url}");
    }
    drop(db);

    // (a) The WARC: a response (as sent) and a request record for each page.
    for name in ["pages.warc", "pages.warc.gz"] {
        let run = ws.run(&["export", "--format", "warc", "-o", name]);
        run.ok();
        assert!(run.stderr.contains("exported 2 pages"), "{run:?}");
    }
    let recs = records(&ws.path().join("pages.warc.gz"));
    let kinds: Vec<&str> = recs.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["warcinfo", "response", "request", "response", "request"]
    );
    for r in recs.iter().filter(|r| r.kind == "response") {
        let target = r.target.as_deref().unwrap();
        let sent = if target.ends_with("/gzip") {
            &site.gzip_wire
        } else {
            &site.latin_wire
        };
        assert_eq!(http_body(&r.block), &sent[..], "{target}");
        assert_eq!(
            r.content_type.as_deref(),
            Some("application/http;msgtype=response")
        );
        let head = &r.block[..r.block.len() - sent.len()];
        if target.ends_with("/gzip") {
            assert!(contains(head, "content-encoding: gzip\r\n"), "{target}");
        } else {
            assert!(contains(head, "charset=windows-1252"), "{target}");
        }
    }
    for r in recs.iter().filter(|r| r.kind == "request") {
        assert!(r.block.starts_with(b"GET /berita/"), "{:?}", r.block);
        assert!(contains(&r.block, "authorization: [redacted by warta]"));
        assert!(contains(&r.block, "cookie: [redacted by warta]"));
        assert!(contains(&r.block, "user-agent: "));
    }

    // (d) No credential in the archive's files or the WARCs.
    let checkpoint = rusqlite::Connection::open(ws.db_path()).unwrap();
    checkpoint
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    drop(checkpoint);
    for entry in std::fs::read_dir(ws.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !(name.starts_with("archive.db") || name == "pages.warc") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for secret in [PASSWORD, BASIC, COOKIE, API_KEY] {
            assert!(!contains(&bytes, secret), "{secret} found in {name}");
        }
    }
    let gz_text: Vec<u8> = recs.iter().flat_map(|r| r.block.clone()).collect();
    for secret in [PASSWORD, BASIC, COOKIE, API_KEY] {
        assert!(
            !contains(&gz_text, secret),
            "{secret} found in pages.warc.gz"
        );
    }

    // (b) warcio reads it: digests check out, and the index lists the pairs.
    if let Some(warcio) = tool("warcio", "the WARC as warcio reads it") {
        for name in ["pages.warc", "pages.warc.gz"] {
            let check = Command::new(&warcio)
                .args(["check", "-v"])
                .arg(ws.path().join(name))
                .output()
                .unwrap();
            let said = String::from_utf8_lossy(&check.stdout);
            assert!(check.status.success(), "warcio check {name}: {said}");
            assert!(said.contains("digest pass"), "{said}");
            assert!(!said.contains("digest fail"), "{said}");
        }
        let index = Command::new(&warcio)
            .args(["index", "-f", "warc-type,warc-target-uri"])
            .arg(ws.path().join("pages.warc.gz"))
            .output()
            .unwrap();
        assert!(index.status.success());
        let lines = String::from_utf8_lossy(&index.stdout);
        for path in ["/berita/gzip", "/berita/latin"] {
            for kind in ["response", "request"] {
                let url = site.server.url(path);
                assert!(
                    lines
                        .lines()
                        .any(|l| l.contains(&format!("\"{kind}\""))
                            && l.contains(&format!("\"{url}\""))),
                    "no {kind} for {url} in {lines}"
                );
            }
        }
    }

    // (c) Re-extraction decodes the original bytes to the same text.
    let db = rusqlite::Connection::open(ws.db_path()).unwrap();
    db.execute("UPDATE articles SET body = 'rusak'", [])
        .unwrap();
    drop(db);
    let run = ws.run(&["reextract"]);
    run.ok();
    assert!(run.stdout.contains("2 of 2 articles changed"), "{run:?}");
    assert_eq!(string(&ws.show(gzip_id), "body"), gzip_body);
    assert_eq!(string(&ws.show(latin_id), "body"), latin_body);

    // Import reads the response records back (and passes over the requests).
    let again = Workspace::new();
    again.write_config("[archive]\npath = \"archive.db\"\n");
    let run = again.run(&["import", ws.path().join("pages.warc.gz").to_str().unwrap()]);
    run.ok();
    assert!(run.stdout.contains("2 new"), "{run:?}");
    for (word, body) in [("gzipbukti", &gzip_body), ("latinbukti", &latin_body)] {
        let shown = again.show(int(&again.search_one(word), "id"));
        assert_eq!(string(&shown, "body"), body.as_str());
    }
}

#[test]
fn pywb_replays_an_exported_response() {
    let site = site();
    let ws = workspace(&site);
    ws.run(&["export", "--format", "warc", "-o", "pages.warc.gz"])
        .ok();
    let Some(manager) = tool("wb-manager", "replay in pywb") else {
        return;
    };
    let Some(wayback) = tool("wayback", "replay in pywb") else {
        return;
    };
    let dir = ws.path().join("pywb");
    std::fs::create_dir_all(&dir).unwrap();
    for args in [
        vec!["init".to_string(), "warta".to_string()],
        vec![
            "add".to_string(),
            "warta".to_string(),
            ws.path()
                .join("pages.warc.gz")
                .to_string_lossy()
                .into_owned(),
        ],
    ] {
        let out = Command::new(&manager)
            .args(&args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "wb-manager {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(&wayback);
    server
        .args(["-b", "127.0.0.1", "-p", &port.to_string(), "-t", "2"])
        .current_dir(&dir);
    let mut replay = Background::spawn(server);
    // `id_`: the page as archived, not rewritten for the replay frame.
    let page = site.server.url("/berita/latin");
    let url = format!("http://127.0.0.1:{port}/warta/2030id_/{page}");
    let mut got = None;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < deadline && replay.still_running() {
        if let Some(body) = http_get(&url) {
            got = Some(body);
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let said = replay.stderr();
    // Stopped here rather than through a signal: pywb's exit code on SIGTERM is its own.
    let _ = replay.child.kill();
    let _ = replay.child.wait();
    let body = got.unwrap_or_else(|| panic!("pywb did not answer {url}: {said}"));
    // The bytes as archived: windows-1252, decoded here to find the text.
    let text: String = body.iter().map(|&b| char::from(b)).collect();
    assert!(
        text.contains("Latinbukti dari Köln dan São Paulo."),
        "{text}"
    );
}

/// The body of a 200 answer to a GET of `url` on loopback; None when there is none yet.
fn http_get(url: &str) -> Option<Vec<u8>> {
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_at(rest.find('/')?);
    let mut conn = std::net::TcpStream::connect(host).ok()?;
    conn.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    write!(
        conn,
        "GET {path} HTTP/1.0\r\nHost: {host}\r\nAccept-Encoding: identity\r\n\r\n"
    )
    .ok()?;
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).ok()?;
    let at = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
    answer
        .starts_with(b"HTTP/1.1 200")
        .then(|| answer[at + 4..].to_vec())
        .or_else(|| {
            answer
                .starts_with(b"HTTP/1.0 200")
                .then(|| answer[at + 4..].to_vec())
        })
}
