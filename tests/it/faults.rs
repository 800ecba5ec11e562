//! Nothing hangs, nothing explodes (issue 5, point 3): one test per fault of a bad web.
//!
//! Each test points `warta fetch` at a server that misbehaves in one way (support/evil.rs for
//! broken transports, the fixture server for broken content) and asserts the outcome: the exit
//! code, the feed's state and last error in `warta feeds --format json`, and what got archived.
//! Every run must end within [`BOUND`] with `timeout = "2s"`, so a hung server costs one
//! timeout, never the test's patience; the huge body and the gzip bomb also assert the child's
//! peak resident memory with `max_body = "1MiB"`.

use std::net::IpAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::cmd::{self, Background, RUN_LIMIT, Run};
use crate::support::evil::{self, Behavior, Evil};
use crate::support::{
    Feed, Item, Route, Server, Workspace, config_text, good_feed, int, pages, rss, string,
};

/// The per-request deadline every fault workspace uses.
const TIMEOUT: Duration = Duration::from_secs(2);

/// How long one `warta fetch` against a misbehaving server may take: a few request deadlines
/// plus a debug binary's start-up on a busy machine. A server that drips for a minute or an
/// endless body must not come near it.
const BOUND: Duration = Duration::from_secs(12);

/// Peak resident memory allowed to a run that meets a huge body or a gzip bomb with
/// `max_body = "1MiB"`: well under what buffering any of them whole would take (256 MiB and
/// more), well over what the program needs (about 20–40 MiB in these runs).
const RSS_LIMIT_KIB: u64 = 200 * 1024;

const PUBLISHED: &str = "Tue, 12 Mar 2024 08:00:00 +0800";

/// The suite's standard config with a 2 s timeout, a 1 MiB body cap, and `fetch_extra` lines.
fn workspace(fetch_extra: &[&str], feeds: &[Feed]) -> Workspace {
    let mut extra = vec!["max_body = \"1MiB\""];
    extra.extend_from_slice(fetch_extra);
    let ws = Workspace::new();
    ws.write_config(&config_text(&extra, feeds).replace(
        "timeout = \"5s\"",
        &format!("timeout = \"{}s\"", TIMEOUT.as_secs()),
    ));
    ws
}

/// Like [`workspace`], with private and loopback addresses refused.
fn guarded_workspace(feeds: &[Feed]) -> Workspace {
    let ws = Workspace::new();
    ws.write_config(
        &config_text(&["max_body = \"1MiB\""], feeds)
            .replace(
                "timeout = \"5s\"",
                &format!("timeout = \"{}s\"", TIMEOUT.as_secs()),
            )
            .replace(
                "allow_private_addresses = true",
                "allow_private_addresses = false",
            ),
    );
    ws
}

/// `warta fetch`, which must end within [`BOUND`].
#[track_caller]
fn fetch(ws: &Workspace) -> Run {
    let start = Instant::now();
    let run = ws.run(&["fetch"]);
    let took = start.elapsed();
    assert!(took < BOUND, "fetch took {took:?}, over {BOUND:?}\n{run:?}");
    run
}

/// `warta fetch` (within [`BOUND`]) and the child's peak resident set size in KiB.
#[track_caller]
fn fetch_measured(ws: &Workspace) -> (Run, u64) {
    let start = Instant::now();
    let (run, peak) = if std::path::Path::new("/usr/bin/time").exists() {
        peak_with_time(ws)
    } else {
        peak_with_proc(ws)
    };
    let took = start.elapsed();
    assert!(took < BOUND, "fetch took {took:?}, over {BOUND:?}\n{run:?}");
    (run, peak)
}

/// GNU time reads the child's maximum RSS from the kernel at exit: exact, nothing missed.
#[track_caller]
fn peak_with_time(ws: &Workspace) -> (Run, u64) {
    let inner = ws.command(&["fetch"]);
    let report = ws.path().join("peak-rss.txt");
    let mut timed = Command::new("/usr/bin/time");
    timed.arg("-f").arg("%M").arg("-o").arg(&report);
    timed.arg(inner.get_program()).args(inner.get_args());
    for (key, value) in inner.get_envs() {
        match value {
            Some(v) => timed.env(key, v),
            None => timed.env_remove(key),
        };
    }
    if let Some(dir) = inner.get_current_dir() {
        timed.current_dir(dir);
    }
    timed.stdin(std::process::Stdio::null());
    let run = cmd::run_command(timed, None, RUN_LIMIT);
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    // A failing child adds "Command exited with non-zero status N" before the number.
    let peak = text
        .lines()
        .rev()
        .find_map(|l| l.trim().parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no peak RSS in /usr/bin/time's report {text:?}\n{run:?}"));
    (run, peak)
}

/// Without GNU time: the kernel's high-water mark (VmHWM) polled while the child runs.
#[track_caller]
fn peak_with_proc(ws: &Workspace) -> (Run, u64) {
    let mut child = Background::spawn(ws.command(&["fetch"]));
    let status_file = format!("/proc/{}/status", child.pid());
    let mut peak = 0;
    let start = Instant::now();
    while child.still_running() && start.elapsed() < RUN_LIMIT {
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            let hwm = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            peak = peak.max(hwm.unwrap_or(0));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = child.wait(Duration::from_secs(5));
    let run = Run {
        args: vec!["fetch".into()],
        code: status.and_then(|s| s.code()),
        stdout: child.stdout(),
        stderr: child.stderr(),
    };
    cmd::assert_no_panic("warta fetch", &run.stderr);
    assert!(peak > 0, "no VmHWM read from {status_file}\n{run:?}");
    (run, peak)
}

#[track_caller]
fn feed_json(ws: &Workspace, name: &str) -> Value {
    let feeds = ws.feeds();
    feeds
        .into_iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("feed {name} is not listed"))
}

/// The feed is failing after one poll, and its last error says each of `words`
/// (case-insensitive). Returns the error.
#[track_caller]
fn assert_failing(ws: &Workspace, name: &str, words: &[&str]) -> String {
    let feed = feed_json(ws, name);
    assert_eq!(feed["state"], "failing", "{feed:#}");
    assert_eq!(int(&feed, "consecutive_failures"), 1, "{feed:#}");
    assert_eq!(int(&feed, "articles"), 0, "{feed:#}");
    let error = feed["last_error"]
        .as_str()
        .unwrap_or_else(|| panic!("no last_error: {feed:#}"))
        .to_string();
    let lower = error.to_lowercase();
    for word in words {
        assert!(
            lower.contains(&word.to_lowercase()),
            "last_error does not say {word:?}: {error}"
        );
    }
    error
}

#[track_caller]
fn assert_ok(ws: &Workspace, name: &str, articles: i64) {
    let feed = feed_json(ws, name);
    assert_eq!(feed["state"], "ok", "{feed:#}");
    assert!(feed["last_error"].is_null(), "{feed:#}");
    assert_eq!(int(&feed, "articles"), articles, "{feed:#}");
}

/// A well-formed RSS document with one item per (title, description), links on `base`.
fn small_feed(base: &str, items: &[(&str, &str)]) -> String {
    let items: Vec<Item> = items
        .iter()
        .enumerate()
        .map(|(i, (title, description))| {
            Item::new(title, &format!("{base}/berita/{i}"), PUBLISHED, description)
        })
        .collect();
    rss("Kanal uji", base, &items)
}

// ---------------------------------------------------------------------------------------
// Servers that hang

#[test]
fn server_that_accepts_and_never_answers_fails_the_feed_at_the_timeout() {
    let mute = Evil::loopback(Behavior::Silent);
    let site = Server::start("127.0.0.1");
    let ws = workspace(
        &[],
        &[
            Feed::new("kanal-bisu", &mute.url("/feed.xml")),
            good_feed(&site),
        ],
    );

    let run = fetch(&ws);

    run.expect_code(1).stderr_names("kanal-bisu");
    assert!(mute.accepted() >= 1, "the client never connected");
    assert_failing(&ws, "kanal-bisu", &["timed out", &mute.url("/feed.xml")]);
    assert_ok(&ws, "kanal-baik", 1);
    assert_eq!(ws.search("kabarbaik", &[]).len(), 1);
}

#[test]
fn headers_then_one_byte_a_second_hits_the_total_deadline_of_the_request() {
    // A byte every second never trips an idle timeout of 2 s; only a deadline on the whole
    // request ends this before the 90 s the body would take.
    let body = small_feed("http://127.0.0.1", &[("Tetes", "Satu tetes per detik.")]);
    let body: Vec<u8> = body.into_bytes().into_iter().take(90).collect();
    let drip = Evil::loopback(Behavior::Drip {
        head: Behavior::head_with_length("application/rss+xml", body.len()),
        body,
        every: Duration::from_secs(1),
    });
    let ws = workspace(&[], &[Feed::new("kanal-tetes", &drip.url("/feed.xml"))]);

    let run = fetch(&ws);

    run.expect_code(1).stderr_names("kanal-tetes");
    assert!(drip.sent() >= 1, "the drip never started\n{run:?}");
    assert!(
        drip.sent() < 12,
        "the client read {} bytes, one a second: no total deadline",
        drip.sent()
    );
    assert_failing(&ws, "kanal-tetes", &["timed out"]);
}

// ---------------------------------------------------------------------------------------
// Bodies too big

/// An article page's beginning (its paragraphs, no closing tags), for bodies that go on.
fn article_head(title: &str, marker: &str, seed: u64) -> String {
    let page = pages::article(
        title,
        "2024-03-12T08:00:00+08:00",
        "id",
        &pages::story("id", seed, &[marker]),
    );
    let cut = page.find("</article>").unwrap_or(page.len());
    page.get(..cut).unwrap_or(&page).to_string()
}

/// `max_body = "1MiB"` in bytes: where the fetcher cuts.
const CAP: usize = 1024 * 1024;

/// Text repeated after a prefix; its third byte is the second byte of "ö".
const MULTIBYTE_FILL: &str = "Köln – Müller – ";

/// Spaces to add to a prefix of `len` bytes so that `MULTIBYTE_FILL` repeated after it is
/// cut at [`CAP`] between the two bytes of an "ö": a cut body ends mid-character.
fn padding_to_split_a_character(len: usize) -> String {
    let fill = MULTIBYTE_FILL.len();
    let inside = 2;
    assert!(!MULTIBYTE_FILL.is_char_boundary(inside));
    " ".repeat((CAP - len - inside) % fill)
}

#[test]
fn page_larger_than_max_body_is_cut_and_reported_in_bounded_memory() {
    // 400 MiB of page, no Content-Length: only the cap stops it. The page goes on in a
    // comment of UTF-8 text, and the cut falls inside a character.
    let mut prefix = article_head(
        ACCENTED_TITLE,
        "Halamanraksasa: Café Müller tetap terbaca.",
        93,
    );
    prefix.push_str("<!-- ");
    prefix.push_str(&padding_to_split_a_character(prefix.len()));
    let huge = Evil::loopback(Behavior::Endless {
        head: Behavior::head_until_close("text/html; charset=utf-8"),
        prefix: prefix.into_bytes(),
        fill: MULTIBYTE_FILL.as_bytes().to_vec(),
        limit: 400 * 1024 * 1024,
    });
    let site = Server::start("127.0.0.1");
    site.route(
        "/feed.xml",
        Route::rss(rss(
            "Raksasa",
            &site.base(),
            &[Item::new(
                ACCENTED_TITLE,
                &huge.url("/berita/raksasa"),
                PUBLISHED,
                "Ringkasan halaman raksasa.",
            )],
        )),
    );
    let ws = workspace(&[], &[Feed::new("kanal-raksasa", &site.url("/feed.xml"))]);

    let (run, peak_kib) = fetch_measured(&ws);

    run.ok();
    assert!(
        peak_kib < RSS_LIMIT_KIB,
        "peak RSS {peak_kib} KiB with max_body = 1MiB\n{run:?}"
    );
    assert!(
        (huge.sent() as u64) < 64 * 1024 * 1024,
        "the client read {} bytes of a page capped at 1 MiB",
        huge.sent()
    );
    assert_ok(&ws, "kanal-raksasa", 1);
    let (title, body) = archived(&ws, "halamanraksasa");
    assert_eq!(title, ACCENTED_TITLE);
    assert!(
        body.contains("Halamanraksasa: Café Müller tetap terbaca."),
        "{body}"
    );
    let shown = ws.show(int(&ws.search_one("halamanraksasa"), "id"));
    assert_eq!(string(&shown, "source"), "page", "{shown:#}");
    assert!(
        shown["note"]
            .as_str()
            .is_some_and(|n| n.contains("max_body")),
        "the cut is not reported on the article: {shown:#}"
    );
}

#[test]
fn feed_larger_than_max_body_keeps_its_complete_items_in_bounded_memory() {
    // Two whole items, then a third whose description never ends; the cut falls inside a
    // character, which must not turn the items before it into mojibake.
    let base = "http://127.0.0.1";
    let whole = small_feed(
        base,
        &[
            (ACCENTED_TITLE, "Banjirrob: “Kopi dari Köln,” kata Müller."),
            ("Harga cabai turun", "Hargacabai turun di Samarinda."),
        ],
    );
    let cut = whole.find("</channel>").unwrap_or(whole.len());
    let mut prefix = format!(
        "{}<item><title>Tanpa akhir</title><link>{base}/berita/x</link><description>",
        whole.get(..cut).unwrap_or(&whole)
    );
    prefix.push_str(&padding_to_split_a_character(prefix.len()));
    let huge = Evil::loopback(Behavior::Endless {
        head: Behavior::head_until_close("application/rss+xml; charset=utf-8"),
        prefix: prefix.into_bytes(),
        fill: MULTIBYTE_FILL.as_bytes().to_vec(),
        limit: 400 * 1024 * 1024,
    });
    let ws = workspace(
        &[],
        &[Feed::new("kanal-panjang", &huge.url("/feed.xml")).with("full_text = false")],
    );

    let (run, peak_kib) = fetch_measured(&ws);

    run.ok();
    assert!(
        peak_kib < RSS_LIMIT_KIB,
        "peak RSS {peak_kib} KiB with max_body = 1MiB\n{run:?}"
    );
    assert!(
        run.stderr.contains("max_body"),
        "the cut is not reported\n{run:?}"
    );
    assert_ok(&ws, "kanal-panjang", 2);
    let (title, body) = archived(&ws, "banjirrob");
    assert_eq!(title, ACCENTED_TITLE);
    assert_eq!(body, "Banjirrob: “Kopi dari Köln,” kata Müller.");
    assert_eq!(ws.search("hargacabai", &[]).len(), 1);
    assert!(ws.search("akhir", &[]).is_empty(), "the cut item was kept");
}

#[test]
fn gzip_bomb_is_inflated_only_up_to_max_body_in_bounded_memory() {
    // Under 1 MiB on the wire, 512 MiB inflated: the cap must count inflated bytes. The feed
    // is a bomb after its one whole item, and that item's page is a bomb after its text.
    let site = Server::start("127.0.0.1");
    let inflated = 512 * 1024 * 1024;
    let page = evil::gzip_bomb(
        article_head("Bom halaman", "Bomhalaman tetap terbaca.", 94).as_bytes(),
        b' ',
        inflated,
    );
    let whole = rss(
        "Bom",
        &site.base(),
        &[Item::new(
            "Bom halaman",
            &site.url("/berita/bom"),
            PUBLISHED,
            "Ringkasan.",
        )],
    );
    let cut = whole.find("</channel>").unwrap_or(whole.len());
    let feed = evil::gzip_bomb(
        format!(
            "{}<item><title>Bom</title><description>",
            whole.get(..cut).unwrap_or(&whole)
        )
        .as_bytes(),
        b' ',
        inflated,
    );
    for bomb in [&page, &feed] {
        assert!(bomb.len() < 1024 * 1024, "{} bytes compressed", bomb.len());
    }
    site.route(
        "/berita/bom",
        Route::bytes("text/html; charset=utf-8", page).header("Content-Encoding", "gzip"),
    );
    site.route(
        "/bom.xml",
        Route::bytes("application/rss+xml", feed).header("Content-Encoding", "gzip"),
    );
    let ws = workspace(&[], &[Feed::new("kanal-bom", &site.url("/bom.xml"))]);

    let (run, peak_kib) = fetch_measured(&ws);

    run.ok();
    assert!(
        peak_kib < RSS_LIMIT_KIB,
        "peak RSS {peak_kib} KiB with max_body = 1MiB\n{run:?}"
    );
    assert_ok(&ws, "kanal-bom", 1);
    let shown = ws.show(int(&ws.search_one("bomhalaman"), "id"));
    assert_eq!(string(&shown, "source"), "page", "{shown:#}");
    assert!(
        shown["note"]
            .as_str()
            .is_some_and(|n| n.contains("max_body")),
        "the cut is not reported on the article: {shown:#}"
    );
}

#[test]
fn gzip_bomb_builder_makes_a_valid_gzip_that_inflates_a_thousandfold() {
    use std::io::Read;
    let prefix = b"<rss version=\"2.0\"><channel><title>Bom</title>";
    let bomb = evil::gzip_bomb(prefix, b' ', 4 * 1024 * 1024);
    assert!(bomb.len() < 8 * 1024, "{} bytes compressed", bomb.len());
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(bomb.as_slice())
        .read_to_end(&mut inflated)
        .expect("a valid gzip member (its CRC and length are checked)");
    assert!(inflated.len() >= 4 * 1024 * 1024, "{}", inflated.len());
    assert!(inflated.starts_with(prefix));
    assert!(
        inflated
            .get(prefix.len()..)
            .unwrap_or_default()
            .iter()
            .all(|&b| b == b' ')
    );
}

// ---------------------------------------------------------------------------------------
// Redirects

fn redirect(to: &str) -> Route {
    Route::new(302).header("Location", to)
}

#[test]
fn redirect_loop_fails_the_feed_naming_the_redirects() {
    let site = Server::start("127.0.0.1");
    site.route("/a.xml", redirect(&site.url("/b.xml")));
    site.route("/b.xml", redirect("/a.xml"));
    let ws = workspace(&[], &[Feed::new("kanal-putar", &site.url("/a.xml"))]);

    let run = fetch(&ws);

    run.expect_code(1).stderr_names("kanal-putar");
    assert_failing(&ws, "kanal-putar", &["redirect"]);
    let asked = site.requests_to("/a.xml").len() + site.requests_to("/b.xml").len();
    assert!(
        (2..=11).contains(&asked),
        "{asked} requests for a two-step loop"
    );
}

#[test]
fn redirect_chain_longer_than_ten_is_refused_and_ten_are_followed() {
    let site = Server::start("127.0.0.1");
    let chain = |name: &str, hops: usize| {
        for i in 0..hops {
            let next = if i + 1 == hops {
                format!("/{name}/akhir.xml")
            } else {
                format!("/{name}/{}", i + 1)
            };
            site.route(&format!("/{name}/{i}"), redirect(&site.url(&next)));
        }
        site.route(
            &format!("/{name}/akhir.xml"),
            Route::rss(small_feed(
                &site.base(),
                &[(
                    &format!("Ujung rantai {name}"),
                    &format!("Rantai{name} sampai."),
                )],
            )),
        );
        Feed::new(&format!("kanal-{name}"), &site.url(&format!("/{name}/0")))
            .with("full_text = false")
    };
    let ws = workspace(&[], &[chain("sepuluh", 10), chain("sebelas", 11)]);

    let run = fetch(&ws);

    run.expect_code(1).stderr_names("kanal-sebelas");
    assert_failing(&ws, "kanal-sebelas", &["redirect"]);
    assert!(
        site.requests_to("/sebelas/akhir.xml").is_empty(),
        "the 11th redirect was followed"
    );
    assert_ok(&ws, "kanal-sepuluh", 1);
    assert_eq!(ws.search("rantaisepuluh", &[]).len(), 1);
}

/// Skips (with a note on stderr) when this machine has no address outside the private and
/// loopback ranges to serve a "public" first hop from: the refusal of a redirect cannot be
/// shown without a first hop the guard lets through.
fn public_first_hop() -> Option<IpAddr> {
    let ip = evil::public_local_address(warta::addr::is_private_ip);
    if ip.is_none() {
        eprintln!(
            "note: no non-private local address here; the redirect-to-private check was not exercised"
        );
    }
    ip
}

#[test]
fn redirect_to_a_loopback_address_is_refused_when_private_addresses_are() {
    let Some(public) = public_first_hop() else {
        return;
    };
    let inside = Server::start("127.0.0.1");
    inside.route(
        "/rahasia.xml",
        Route::rss(small_feed(&inside.base(), &[("Rahasia", "Rahasia dalam.")])),
    );
    let hop = Evil::start(
        public,
        Behavior::Redirect {
            location: inside.url("/rahasia.xml"),
        },
    );
    let by_name = Evil::start(
        public,
        Behavior::Redirect {
            location: format!("http://localhost:{}/rahasia.xml", inside.addr().port()),
        },
    );
    let ws = guarded_workspace(&[
        Feed::new("kanal-alih", &hop.url("/feed.xml")),
        Feed::new("kanal-alih-localhost", &by_name.url("/feed.xml")),
    ]);

    let run = fetch(&ws);

    run.expect_code(1)
        .stderr_names("kanal-alih")
        .stderr_names("kanal-alih-localhost");
    assert!(
        hop.accepted() >= 1 && by_name.accepted() >= 1,
        "the public first hop was not even asked"
    );
    // The refusal names the redirect's target and says what to change, like a direct one.
    let target = inside.url("/rahasia.xml");
    assert_failing(&ws, "kanal-alih", &[&target, "allow_private_addresses"]);
    assert_failing(
        &ws,
        "kanal-alih-localhost",
        &["localhost", "allow_private_addresses"],
    );
    assert!(
        inside.requests().is_empty(),
        "the loopback server was reached: {:?}",
        inside.requests()
    );
}

#[test]
fn redirect_to_a_name_that_resolves_to_loopback_is_refused() {
    let Some(public) = public_first_hop() else {
        return;
    };
    // A name the guard cannot judge by its text: only the resolved address gives it away.
    let name = evil::name_for_loopback().unwrap_or_else(|| "localhost".to_string());
    let inside = Server::start("127.0.0.1");
    inside.route(
        "/rahasia.xml",
        Route::rss(small_feed(&inside.base(), &[("Rahasia", "Rahasia dalam.")])),
    );
    let hop = Evil::start(
        public,
        Behavior::Redirect {
            location: format!("http://{name}:{}/rahasia.xml", inside.addr().port()),
        },
    );
    let ws = guarded_workspace(&[Feed::new("kanal-alih-nama", &hop.url("/feed.xml"))]);

    let run = fetch(&ws);

    run.expect_code(1).stderr_names("kanal-alih-nama");
    assert!(
        hop.accepted() >= 1,
        "the public first hop was not even asked"
    );
    assert_failing(
        &ws,
        "kanal-alih-nama",
        &[&name, "127.0.0.1", "allow_private_addresses"],
    );
    assert!(
        inside.requests().is_empty(),
        "the loopback server was reached through {name}"
    );
}

#[test]
fn feed_on_a_name_that_resolves_to_loopback_is_refused_before_any_request() {
    // `localhost` is refused by its text when the config is read (config.rs tests it); a
    // name only the resolver can judge fails the poll, before any request.
    let Some(name) = evil::name_for_loopback() else {
        eprintln!("note: no name but localhost maps to 127.0.0.1 here; skipped");
        return;
    };
    let inside = Server::start("127.0.0.1");
    inside.route(
        "/rahasia.xml",
        Route::rss(small_feed(&inside.base(), &[("Rahasia", "Rahasia dalam.")])),
    );
    let port = inside.addr().port();
    let ws = guarded_workspace(&[Feed::new(
        "kanal-nama",
        &format!("http://{name}:{port}/rahasia.xml"),
    )]);

    let run = fetch(&ws);

    run.expect_code(1).stderr_names("kanal-nama");
    assert_failing(
        &ws,
        "kanal-nama",
        &[&name, "127.0.0.1", "allow_private_addresses"],
    );
    assert!(
        inside.requests().is_empty(),
        "the loopback server was reached"
    );
}

// ---------------------------------------------------------------------------------------
// Broken answers and broken transports

#[test]
fn server_errors_fail_the_feed_and_keep_failed_pages_pending() {
    let site = Server::start("127.0.0.1");
    site.route("/rusak.xml", Route::status(500));
    site.route("/berita/rusak", Route::status(500));
    site.route(
        "/feed.xml",
        Route::rss(rss(
            "Halaman rusak",
            &site.base(),
            &[Item::new(
                "Jembatan Mahakam ditutup",
                &site.url("/berita/rusak"),
                PUBLISHED,
                "Jembatanmahakam ditutup untuk perbaikan.",
            )],
        )),
    );
    let ws = workspace(
        &[],
        &[
            Feed::new("kanal-500", &site.url("/rusak.xml")),
            Feed::new("kanal-halaman-500", &site.url("/feed.xml")),
        ],
    );

    let run = fetch(&ws);

    run.expect_code(1).stderr_names("kanal-500");
    assert_failing(&ws, "kanal-500", &["500"]);
    assert_ok(&ws, "kanal-halaman-500", 1);
    let feed = feed_json(&ws, "kanal-halaman-500");
    assert_eq!(int(&feed, "pending_pages"), 1, "{feed:#}");
    let shown = ws.show(int(&ws.search_one("jembatanmahakam"), "id"));
    assert_eq!(string(&shown, "source"), "feed", "{shown:#}");
    assert!(
        shown["note"].as_str().is_some_and(|n| n.contains("500")),
        "{shown:#}"
    );
}

#[test]
fn connection_reset_mid_body_fails_the_feed_without_waiting() {
    let body = small_feed("http://127.0.0.1", &[("Putus", "Sambungan putus.")]);
    let reset = Evil::loopback(Behavior::ResetMidBody {
        head: Behavior::head_with_length("application/rss+xml", body.len() + 4000),
        partial: body.into_bytes(),
    });
    let ws = workspace(&[], &[Feed::new("kanal-putus", &reset.url("/feed.xml"))]);

    let start = Instant::now();
    let run = fetch(&ws);

    run.expect_code(1).stderr_names("kanal-putus");
    let error = assert_failing(&ws, "kanal-putus", &[&reset.url("/feed.xml"), "reset"]);
    assert!(!error.contains("timed out"), "{error}");
    assert!(
        start.elapsed() < BOUND - TIMEOUT,
        "a reset waited for the timeout"
    );
}

#[test]
fn truncated_chunked_body_fails_the_feed_naming_it() {
    let body = small_feed("http://127.0.0.1", &[("Potongan", "Potongan pertama.")]);
    let cut = body.find("</channel>").unwrap_or(body.len());
    let truncated = Evil::loopback(Behavior::TruncatedChunked {
        content_type: "application/rss+xml".into(),
        chunks: vec![body.get(..cut).unwrap_or(&body).as_bytes().to_vec()],
    });
    let ws = workspace(
        &[],
        &[Feed::new("kanal-potong", &truncated.url("/feed.xml"))],
    );

    let run = fetch(&ws);

    run.expect_code(1).stderr_names("kanal-potong");
    let error = assert_failing(&ws, "kanal-potong", &[&truncated.url("/feed.xml")]);
    assert!(!error.contains("timed out"), "{error}");
}

#[test]
fn https_url_to_a_plain_http_port_fails_with_a_protocol_error() {
    // What a plain HTTP server says to a TLS hello.
    let plain = Evil::loopback(Behavior::Raw {
        reply: b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 24\r\nConnection: close\r\n\r\n<h1>400 Bad Request</h1>".to_vec(),
    });
    let url = format!("https://{}/feed.xml", plain.addr());
    let ws = workspace(&[], &[Feed::new("kanal-tls", &url)]);

    let run = fetch(&ws);

    run.expect_code(1).stderr_names("kanal-tls");
    assert!(plain.accepted() >= 1, "the client never connected");
    // "received corrupt message of type InvalidContentType" alone does not tell a user that
    // the TLS handshake failed, nor that the address may be plain http.
    let error = assert_failing(&ws, "kanal-tls", &[&url, "tls"]);
    assert!(!error.contains("timed out"), "{error}");
}

#[test]
fn garbage_instead_of_a_status_line_fails_the_feed() {
    let ssh = Evil::loopback(Behavior::Raw {
        reply: b"SSH-2.0-OpenSSH_9.6\r\n\x00\x00\x05\xdc\x07\x14\xfe\xff garbage".to_vec(),
    });
    // A TLS server's handshake-failure alert, sent to a client speaking plain HTTP.
    let tls = Evil::loopback(Behavior::Raw {
        reply: vec![0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28],
    });
    let ws = workspace(
        &[],
        &[
            Feed::new("kanal-ssh", &ssh.url("/feed.xml")),
            Feed::new("kanal-tls-mentah", &tls.url("/feed.xml")),
        ],
    );

    let run = fetch(&ws);

    run.expect_code(1)
        .stderr_names("kanal-ssh")
        .stderr_names("kanal-tls-mentah");
    for (name, server) in [("kanal-ssh", &ssh), ("kanal-tls-mentah", &tls)] {
        let error = assert_failing(&ws, name, &[&server.url("/feed.xml"), "http"]);
        assert!(!error.contains("timed out"), "{name}: {error}");
    }
}

// ---------------------------------------------------------------------------------------
// Broken feeds: what a browser or a forgiving feed reader would read, warta reads

/// Serves `body` as `content_type` at `path` as a `full_text = false` feed named `name`.
fn serve_feed(site: &Server, name: &str, path: &str, content_type: &str, body: Vec<u8>) -> Feed {
    site.route(path, Route::bytes(content_type, body));
    Feed::new(name, &site.url(path)).with("full_text = false")
}

/// The one archived article `word` finds: its title and body.
#[track_caller]
fn archived(ws: &Workspace, word: &str) -> (String, String) {
    let shown = ws.show(int(&ws.search_one(word), "id"));
    let text = |field: &str| string(&shown, field).to_string();
    let (title, body) = (text("title"), text("body"));
    for s in [&title, &body] {
        assert!(
            !s.contains('\u{FFFD}') && !s.contains("Ã") && !s.contains("â€"),
            "mojibake in {shown:#}"
        );
    }
    (title, body)
}

#[test]
fn feed_served_as_text_html_is_read_as_a_feed() {
    let site = Server::start("127.0.0.1");
    let body = small_feed(&site.base(), &[("Salah label", "Salahlabel tetap dibaca.")]);
    let feed = serve_feed(
        &site,
        "kanal-label",
        "/feed",
        "text/html; charset=utf-8",
        body.into_bytes(),
    );
    let ws = workspace(&[], &[feed]);

    fetch(&ws).ok();

    assert_ok(&ws, "kanal-label", 1);
    assert_eq!(archived(&ws, "salahlabel").0, "Salah label");
}

#[test]
fn html_page_with_status_200_fails_naming_the_feed_and_the_feed_it_links() {
    let site = Server::start("127.0.0.1");
    site.route(
        "/berita",
        Route::html(
            "<!DOCTYPE html><html><head><title>Berita terkini</title>\
             <link rel=\"alternate\" type=\"application/rss+xml\" title=\"RSS\" href=\"/rss/terkini.xml\">\
             </head><body><h1>Berita terkini</h1></body></html>",
        ),
    );
    site.route(
        "/galat",
        Route::html(
            "<html><head><title>Database Error</title></head>\
             <body><h1>Error establishing a database connection</h1></body></html>",
        ),
    );
    let ws = workspace(
        &[],
        &[
            Feed::new("kanal-beranda", &site.url("/berita")),
            Feed::new("kanal-galat", &site.url("/galat")),
        ],
    );

    let run = fetch(&ws);

    run.expect_code(1)
        .stderr_names("kanal-beranda")
        .stderr_names("kanal-galat")
        .stderr_names(&site.url("/rss/terkini.xml"));
    assert_failing(
        &ws,
        "kanal-beranda",
        &["html", "not a feed", &site.url("/rss/terkini.xml")],
    );
    let error = assert_failing(&ws, "kanal-galat", &["html", "not a feed"]);
    assert!(!error.contains("/rss/"), "{error}");
}

#[test]
fn empty_200_fails_naming_the_feed_and_saying_it_is_empty() {
    let site = Server::start("127.0.0.1");
    site.route(
        "/kosong.xml",
        Route::bytes("application/rss+xml", Vec::new()),
    );
    let ws = workspace(&[], &[Feed::new("kanal-kosong", &site.url("/kosong.xml"))]);

    let run = fetch(&ws);

    run.expect_code(1).stderr_names("kanal-kosong");
    assert_failing(&ws, "kanal-kosong", &["empty"]);
}

#[test]
fn feed_with_a_byte_order_mark_is_archived() {
    let site = Server::start("127.0.0.1");
    let mut body = vec![0xEF, 0xBB, 0xBF];
    body.extend_from_slice(
        small_feed(&site.base(), &[("Tanda urutan bita", "Tandabom di depan.")]).as_bytes(),
    );
    let feed = serve_feed(
        &site,
        "kanal-bom-utf8",
        "/feed.xml",
        "application/rss+xml",
        body,
    );
    let ws = workspace(&[], &[feed]);

    fetch(&ws).ok();

    assert_ok(&ws, "kanal-bom-utf8", 1);
    assert_eq!(archived(&ws, "tandabom").0, "Tanda urutan bita");
}

#[test]
fn blank_line_before_the_xml_declaration_is_archived() {
    let site = Server::start("127.0.0.1");
    let body = format!(
        "\n{}",
        small_feed(
            &site.base(),
            &[("Baris kosong", "Bariskosong sebelum deklarasi.")]
        )
    );
    let feed = serve_feed(
        &site,
        "kanal-baris",
        "/feed.xml",
        "application/rss+xml",
        body.into_bytes(),
    );
    let ws = workspace(&[], &[feed]);

    fetch(&ws).ok();

    assert_ok(&ws, "kanal-baris", 1);
    assert_eq!(archived(&ws, "bariskosong").0, "Baris kosong");
}

#[test]
fn stray_ampersand_is_archived_with_the_ampersand() {
    let site = Server::start("127.0.0.1");
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>Kupang & sekitarnya</title><link>{base}</link><description>x</description>\
         <item><title>Banjir di Sabu & Rote</title><link>{base}/berita/1?id=7&hal=2</link>\
         <pubDate>{PUBLISHED}</pubDate>\
         <description>Sabuampersand: warga Sabu & Rote mengungsi.</description></item>\
         </channel></rss>\n",
        base = site.base()
    );
    let feed = serve_feed(
        &site,
        "kanal-dan",
        "/feed.xml",
        "application/rss+xml",
        body.into_bytes(),
    );
    let ws = workspace(&[], &[feed]);

    fetch(&ws).ok();

    assert_ok(&ws, "kanal-dan", 1);
    let (title, body) = archived(&ws, "sabuampersand");
    assert_eq!(title, "Banjir di Sabu & Rote");
    assert!(body.contains("warga Sabu & Rote mengungsi."), "{body}");
}

#[test]
fn rss_without_a_version_is_archived() {
    let site = Server::start("127.0.0.1");
    let body = small_feed(
        &site.base(),
        &[("Tanpa versi", "Tanpaversi tetap terbaca.")],
    )
    .replace("<rss version=\"2.0\">", "<rss>");
    assert!(body.contains("<rss>"));
    let feed = serve_feed(
        &site,
        "kanal-versi",
        "/feed.xml",
        "application/rss+xml",
        body.into_bytes(),
    );
    let ws = workspace(&[], &[feed]);

    fetch(&ws).ok();

    assert_ok(&ws, "kanal-versi", 1);
    assert_eq!(archived(&ws, "tanpaversi").0, "Tanpa versi");
}

/// windows-1252 bytes for ASCII and the few other characters these tests use.
fn cp1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            c if c.is_ascii() => c as u8,
            'é' => 0xE9,
            'ü' => 0xFC,
            'ö' => 0xF6,
            '–' => 0x96,
            '“' => 0x93,
            '”' => 0x94,
            other => panic!("{other:?} is not in this test's windows-1252 table"),
        })
        .collect()
}

const ACCENTED_TITLE: &str = "Café Müller – Balikpapan";
const ACCENTED_TEXT: &str = "“Kopi dari Köln,” kata Müller di Café Kopimuller.";

/// One item with accented text, declared as `declaration` (the XML declaration's encoding,
/// none when empty). `base` differs per feed: one link in two feeds would be one article.
fn accented_feed(base: &str, declaration: &str) -> String {
    let feed = small_feed(base, &[(ACCENTED_TITLE, ACCENTED_TEXT)]);
    if declaration.is_empty() {
        feed.replace(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<?xml version=\"1.0\"?>",
        )
    } else {
        feed.replace("encoding=\"UTF-8\"", &format!("encoding=\"{declaration}\""))
    }
}

#[track_caller]
fn assert_accented_text(ws: &Workspace, feed: &str) {
    let hits = ws.search("kopimuller", &["--all", "--feed", feed]);
    assert_eq!(hits.len(), 1, "{feed}: {hits:#?}");
    let shown = ws.show(int(&hits[0], "id"));
    assert_eq!(string(&shown, "title"), ACCENTED_TITLE, "{feed}: {shown:#}");
    assert_eq!(string(&shown, "body"), ACCENTED_TEXT, "{feed}: {shown:#}");
}

#[test]
fn feed_declared_windows_1252_or_iso_8859_1_but_really_utf8_is_read_as_utf8() {
    let site = Server::start("127.0.0.1");
    let base = site.base();
    let feeds = [
        serve_feed(
            &site,
            "utf8-deklarasi-latin1",
            "/a.xml",
            "application/rss+xml",
            accented_feed(&format!("{base}/a"), "ISO-8859-1").into_bytes(),
        ),
        serve_feed(
            &site,
            "utf8-header-cp1252",
            "/b.xml",
            "application/rss+xml; charset=windows-1252",
            accented_feed(&format!("{base}/b"), "").into_bytes(),
        ),
        serve_feed(
            &site,
            "utf8-keduanya-salah",
            "/c.xml",
            "text/xml; charset=iso-8859-1",
            accented_feed(&format!("{base}/c"), "windows-1252").into_bytes(),
        ),
    ];
    let ws = workspace(&[], &feeds);

    fetch(&ws).ok();

    for feed in &feeds {
        assert_ok(&ws, &feed.name, 1);
        assert_accented_text(&ws, &feed.name);
    }
}

#[test]
fn feed_in_windows_1252_declared_utf8_or_undeclared_is_transcoded() {
    let site = Server::start("127.0.0.1");
    let base = site.base();
    let feeds = [
        serve_feed(
            &site,
            "cp1252-deklarasi-utf8",
            "/a.xml",
            "application/rss+xml; charset=utf-8",
            cp1252(&accented_feed(&format!("{base}/a"), "UTF-8")),
        ),
        serve_feed(
            &site,
            "cp1252-tanpa-deklarasi",
            "/b.xml",
            "application/rss+xml",
            cp1252(&accented_feed(&format!("{base}/b"), "")),
        ),
        serve_feed(
            &site,
            "cp1252-sebagai-latin1",
            "/c.xml",
            "application/rss+xml",
            cp1252(&accented_feed(&format!("{base}/c"), "iso-8859-1")),
        ),
    ];
    let ws = workspace(&[], &feeds);

    fetch(&ws).ok();

    for feed in &feeds {
        assert_ok(&ws, &feed.name, 1);
        assert_accented_text(&ws, &feed.name);
    }
}

#[test]
fn page_whose_declared_charset_lies_is_archived_with_correct_text() {
    let site = Server::start("127.0.0.1");
    let page = |marker: &str, seed: u64| {
        let mut paragraphs = vec![format!(
            "{marker}: “Kopi dari Köln,” kata Müller – pemilik Café Müller di Balikpapan."
        )];
        paragraphs.extend(pages::filler("id", seed, 4, 60));
        pages::article(
            ACCENTED_TITLE,
            "2024-03-12T08:00:00+08:00",
            "id",
            &paragraphs,
        )
    };
    // The meta tag says UTF-8 (the template's), the bytes are windows-1252.
    let meta_lies = page("Metabohong", 95);
    assert!(meta_lies.contains("<meta charset=\"utf-8\">"));
    site.route("/meta", Route::bytes("text/html", cp1252(&meta_lies)));
    // The header says iso-8859-1 (the server's default), the bytes are UTF-8.
    let header_lies = page("Headerbohong", 96).replace("<meta charset=\"utf-8\">", "");
    site.route(
        "/header",
        Route::bytes("text/html; charset=iso-8859-1", header_lies.into_bytes()),
    );
    let items = [
        Item::new(ACCENTED_TITLE, &site.url("/meta"), PUBLISHED, "Ringkasan."),
        Item::new(
            ACCENTED_TITLE,
            &site.url("/header"),
            "Tue, 12 Mar 2024 09:00:00 +0800",
            "Ringkasan.",
        ),
    ];
    site.route("/feed.xml", Route::rss(rss("Bohong", &site.base(), &items)));
    let ws = workspace(&[], &[Feed::new("kanal-bohong", &site.url("/feed.xml"))]);

    fetch(&ws).ok();

    assert_ok(&ws, "kanal-bohong", 2);
    for marker in ["Metabohong", "Headerbohong"] {
        let hits = ws.search(marker, &["--all"]);
        assert_eq!(hits.len(), 1, "{marker}: {hits:#?}");
        let shown = ws.show(int(&hits[0], "id"));
        assert_eq!(string(&shown, "source"), "page", "{shown:#}");
        let body = string(&shown, "body");
        assert!(
            body.contains(&format!(
                "{marker}: “Kopi dari Köln,” kata Müller – pemilik Café Müller di Balikpapan."
            )),
            "{marker}: {body}"
        );
        assert!(
            !body.contains('\u{FFFD}') && !body.contains("Ã") && !body.contains("â€"),
            "{marker}: mojibake: {body}"
        );
        assert_eq!(string(&shown, "title"), ACCENTED_TITLE, "{shown:#}");
    }
}
