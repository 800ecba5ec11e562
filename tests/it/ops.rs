//! Running warta as a service (issue 7, points 5 and 6): the daemon's `/healthz` and `/metrics`
//! over real TCP, JSON log lines, systemd notifications on a real datagram socket, `warta
//! doctor` on good and broken setups, and `vacuum` and `backup` while a daemon holds the
//! archive open.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use serde_json::Value;

use crate::support::cmd::Background;
use crate::support::{
    Feed, Item, Route, Server, Workspace, config_text, int, pages, rss, send_signal, wait_until,
};

/// A site with a feed of two items: one page that extracts, one that is missing (404), so a
/// poll archives two articles and records one page failure.
pub(crate) fn site_with_feed() -> Server {
    let site = Server::start("127.0.0.1");
    site.route(
        "/erau",
        Route::html(pages::article(
            "Festival Erau dibuka",
            "2024-03-12T08:00:00+08:00",
            "id",
            &pages::story("id", 41, &["Festivalerau dibuka di Tenggarong."]),
        )),
    );
    let items = [
        Item::new(
            "Festival Erau dibuka",
            &site.url("/erau"),
            "Tue, 12 Mar 2024 08:00:00 +0800",
            "Erau.",
        ),
        Item::new(
            "Halaman hilang",
            &site.url("/hilang"),
            "Tue, 12 Mar 2024 09:00:00 +0800",
            "Teks dari feed saja tentang halaman yang hilang.",
        ),
    ];
    site.route("/feed.xml", Route::rss(rss("Harian", &site.base(), &items)));
    site
}

/// One HTTP/1.1 request over a fresh connection: (status, body).
pub(crate) fn http(addr: &str, request: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    s.write_all(request.as_bytes()).expect("send request");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read response");
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {out:?}"));
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

pub(crate) fn get(addr: &str, path: &str) -> (u16, String) {
    http(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
    )
}

/// The value of the sample line `series` (`name{labels}`) in a Prometheus exposition.
pub(crate) fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|l| {
        let (name, value) = l.rsplit_once(' ')?;
        (name == series).then(|| value.parse().ok())?
    })
}

/// The stderr lines as JSON objects; every line must be one.
pub(crate) fn json_lines(stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("log line is not JSON ({e}): {l}"))
        })
        .collect()
}

fn listen_addr_from_json(stderr: &str) -> Option<String> {
    json_lines(stderr).iter().find_map(|v| {
        (v.get("message")?.as_str()? == "serving /healthz and /metrics")
            .then(|| v.get("addr")?.as_str().map(str::to_string))?
    })
}

/// The address the daemon says it listens on, once it has said so.
pub(crate) fn listening_addr(daemon: &Background) -> String {
    let mut addr = None;
    assert!(
        wait_until(Duration::from_secs(10), || {
            addr = listen_addr_from_json(&daemon.stderr());
            addr.is_some()
        }),
        "the daemon did not log its listening address\n{}",
        daemon.stderr()
    );
    addr.unwrap_or_default()
}

#[test]
fn daemon_serves_health_and_metrics_logs_json_and_talks_to_systemd() {
    let site = site_with_feed();
    let ws = Workspace::new();
    ws.write_config(&format!(
        "{}\n[daemon]\nlisten = \"127.0.0.1:0\"\nlog_format = \"json\"\n",
        config_text(
            &[],
            &[Feed::new("harian", &site.url("/feed.xml")).with("schedule = \"1h\"")]
        )
    ));
    let socket_path = ws.path().join("notify.sock");
    let systemd = UnixDatagram::bind(&socket_path).expect("bind notify socket");
    systemd
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("socket timeout");
    // systemd's side: read every datagram as it comes, as the real manager does.
    let messages = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let messages = messages.clone();
        let done = done.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(n) = systemd.recv(&mut buf) {
                    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                    messages
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(text);
                }
            }
        })
    };

    let mut cmd = ws.command(&["daemon"]);
    cmd.env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "400000");
    let mut daemon = Background::spawn(cmd);

    let heard = |want: &str| -> bool {
        wait_until(Duration::from_secs(20), || {
            messages
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .any(|m| m.lines().any(|l| l == want))
        })
    };
    assert!(heard("READY=1"), "no READY=1\n{}", daemon.stderr());
    assert!(heard("WATCHDOG=1"), "no WATCHDOG=1\n{}", daemon.stderr());

    let addr = listening_addr(&daemon);

    // Healthy once the first poll has finished.
    assert!(
        wait_until(Duration::from_secs(30), || get(&addr, "/healthz")
            == (200, "ok\n".to_string())),
        "healthz never became ok: {:?}\n{}",
        get(&addr, "/healthz"),
        daemon.stderr()
    );
    let (code, metrics) = get(&addr, "/metrics");
    assert_eq!(code, 200, "{metrics}");
    for (series, want) in [
        ("warta_polls_total{feed=\"harian\",status=\"ok\"}", 1.0),
        ("warta_polls_total{feed=\"harian\",status=\"failed\"}", 0.0),
        ("warta_articles_archived_total{feed=\"harian\"}", 2.0),
        ("warta_page_failures_total{feed=\"harian\"}", 1.0),
        ("warta_duplicates_total{feed=\"harian\"}", 0.0),
        ("warta_pending_pages", 1.0),
        ("warta_feeds{state=\"ok\"}", 1.0),
        ("warta_feeds{state=\"failing\"}", 0.0),
        ("warta_poll_duration_seconds_count", 1.0),
        ("warta_poll_duration_seconds_bucket{le=\"+Inf\"}", 1.0),
        ("warta_archive_readable", 1.0),
    ] {
        assert_eq!(sample(&metrics, series), Some(want), "{series}\n{metrics}");
    }
    assert!(sample(&metrics, "warta_database_bytes").unwrap_or(0.0) > 0.0);
    assert!(sample(&metrics, "warta_start_time_seconds").unwrap_or(0.0) > 1.7e9);
    assert!(metrics.contains("# TYPE warta_poll_duration_seconds histogram"));
    // Every request counted: the feed and its three pages at least, the failed page too.
    let requests = sample(&metrics, "warta_fetch_duration_seconds_count").unwrap_or(0.0);
    assert!(requests >= 4.0, "{requests} requests\n{metrics}");
    assert_eq!(
        sample(&metrics, "warta_fetch_duration_seconds_bucket{le=\"+Inf\"}"),
        Some(requests)
    );
    assert!(sample(&metrics, "warta_fetch_failures_total").unwrap_or(0.0) >= 1.0);

    // The rest of the tiny server's manners, over real TCP.
    assert_eq!(get(&addr, "/").0, 404);
    assert_eq!(
        http(&addr, "DELETE /metrics HTTP/1.1\r\n\r\n").0,
        405,
        "other methods are refused"
    );
    assert_eq!(http(&addr, "nonsense\r\n\r\n").0, 400);

    send_signal(daemon.pid(), "TERM");
    let status = daemon.wait(Duration::from_secs(10));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        daemon.stderr()
    );
    assert!(heard("STOPPING=1"), "no STOPPING=1\n{}", daemon.stderr());
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = reader.join();

    // Every stderr line is a JSON object; the poll's line carries its structured fields.
    let lines = json_lines(&daemon.stderr());
    let poll = lines
        .iter()
        .find(|v| v.get("message").and_then(Value::as_str) == Some("poll done"))
        .unwrap_or_else(|| panic!("no poll line in {lines:#?}"));
    assert_eq!(poll["feed"], "harian");
    assert_eq!(poll["status"], "ok");
    assert_eq!(int(poll, "new"), 2);
    assert_eq!(int(poll, "failed"), 1);
    assert_eq!(int(poll, "duplicate"), 0);
    assert!(poll.get("elapsed_ms").is_some_and(Value::is_u64), "{poll}");
    assert_eq!(poll["level"], "INFO");
    assert!(
        poll.get("timestamp")
            .and_then(Value::as_str)
            .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()),
        "{poll}"
    );
}

#[test]
fn healthz_gives_the_reason_when_every_poll_fails() {
    let site = Server::start("127.0.0.1");
    site.route("/feed.xml", Route::status(500));
    let ws = Workspace::with_feeds(&[Feed::new("rusak", &site.url("/feed.xml"))]);
    let mut daemon = ws.spawn(&["daemon", "--listen", "127.0.0.1:0", "--log-format", "json"]);
    let addr = listening_addr(&daemon);
    let want = (
        503,
        "no poll has succeeded since start (1 finished, all failed)\n".to_string(),
    );
    assert!(
        wait_until(Duration::from_secs(30), || get(&addr, "/healthz") == want),
        "{:?}\n{}",
        get(&addr, "/healthz"),
        daemon.stderr()
    );
    let (_, metrics) = get(&addr, "/metrics");
    assert_eq!(
        sample(&metrics, "warta_poll_failures_total{feed=\"rusak\"}"),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        sample(&metrics, "warta_feeds{state=\"failing\"}"),
        Some(1.0),
        "{metrics}"
    );
    assert!(daemon.still_running());
}

#[test]
fn listen_and_log_format_mistakes_are_usage_errors_that_name_them() {
    let ws = Workspace::with_feeds(&[Feed::new("a", "http://127.0.0.1:9/feed.xml")]);
    let run = ws.run(&["daemon", "--listen", "localhost"]);
    run.expect_code(2)
        .stderr_names("--listen")
        .stderr_names("localhost");

    let text = format!(
        "{}\n[daemon]\nlog_format = \"xml\"\n",
        config_text(&[], &[Feed::new("a", "http://127.0.0.1:9/feed.xml")])
    );
    ws.write_config(&text);
    let run = ws.run(&["daemon"]);
    run.expect_code(2).stderr_names("xml");
    crate::support::assert_names_line(
        &run,
        "feeds.toml",
        &[crate::support::line_of(&text, "log_format", 1)],
    );
}

/// The doctor's line for `check` (the text after the level), with its level.
pub(crate) fn doctor_line<'a>(stdout: &'a str, check: &str) -> (&'a str, &'a str) {
    stdout
        .lines()
        .find_map(|l| {
            let (level, rest) = l.split_once("  ")?;
            rest.trim_start()
                .starts_with(check)
                .then_some((level.trim(), rest.trim_start()))
        })
        .unwrap_or_else(|| panic!("no {check:?} line in\n{stdout}"))
}

#[test]
fn doctor_passes_a_good_setup_with_network_checks() {
    let site = site_with_feed();
    let ws = Workspace::with_feeds(&[Feed::new("harian", &site.url("/feed.xml"))]);
    ws.fetch_ok();
    let run = ws.run(&["doctor", "--network"]);
    run.ok();
    for check in ["config:", "database:", "schema:", "folder:", "feed harian:"] {
        assert_eq!(doctor_line(&run.stdout, check).0, "ok", "{check}\n{run:?}");
    }
    let (_, fetched) = doctor_line(&run.stdout, "fetch harian:");
    assert!(fetched.contains("HTTP 200, 2 items"), "{run:?}");
    assert!(doctor_line(&run.stdout, "schema:").1.contains("current"));
    assert!(!run.stdout.contains("FAIL"), "{run:?}");
}

#[test]
fn doctor_fails_a_damaged_archive_and_a_feed_that_cannot_be_fetched() {
    let site = Server::start("127.0.0.1");
    site.route("/feed.xml", Route::status(500));
    let ws = Workspace::with_feeds(&[Feed::new("rusak", &site.url("/feed.xml"))]);
    ws.write(
        "archive.db",
        b"this is not an SQLite database, only some text\n",
    );
    let run = ws.run(&["doctor", "--network"]);
    run.expect_code(1);
    let (level, line) = doctor_line(&run.stdout, "database:");
    assert_eq!(level, "FAIL", "{run:?}");
    assert!(
        line.contains("archive.db") && line.contains("warta backup"),
        "{run:?}"
    );
    let (level, line) = doctor_line(&run.stdout, "fetch rusak:");
    assert_eq!(level, "FAIL", "{run:?}");
    assert!(line.contains("500"), "{run:?}");
    // The doctor changed nothing: the broken file is still the broken file.
    assert_eq!(
        std::fs::read(ws.db_path()).unwrap_or_default(),
        b"this is not an SQLite database, only some text\n"
    );
}

#[test]
fn doctor_names_a_gone_feed_and_a_broken_config() {
    let site = Server::start("127.0.0.1");
    site.route("/feed.xml", Route::status(410));
    let ws = Workspace::with_feeds(&[Feed::new("hilang", &site.url("/feed.xml"))]);
    ws.run(&["fetch"]).expect_code(1);
    let run = ws.run(&["doctor"]);
    run.expect_code(1);
    let (level, line) = doctor_line(&run.stdout, "feed hilang:");
    assert_eq!(level, "FAIL", "{run:?}");
    assert!(
        line.contains("410") && line.contains("remove it"),
        "{run:?}"
    );
    assert_eq!(doctor_line(&run.stdout, "database:").0, "ok", "{run:?}");

    ws.write_config("[fetch]\ntimeout = \"soon\"\n");
    let run = ws.run(&["doctor"]);
    run.expect_code(1);
    let (level, line) = doctor_line(&run.stdout, "config:");
    assert_eq!(level, "FAIL", "{run:?}");
    assert!(line.contains("feeds.toml:2"), "{run:?}");
}

/// A daemon over [`site_with_feed`] polled on `schedule`, once it has archived the feed.
pub(crate) fn daemon_that_archived(site: &Server, ws: &Workspace, schedule: &str) -> Background {
    ws.write_config(&config_text(
        &[],
        &[Feed::new("harian", &site.url("/feed.xml")).with(&format!("schedule = \"{schedule}\""))],
    ));
    let daemon = ws.spawn(&["daemon"]);
    assert!(
        wait_until(Duration::from_secs(30), || {
            ws.db_path().exists() && {
                let r = ws.run(&["stats", "--format", "json"]);
                r.code == Some(0) && int(&r.json(), "articles") == 2
            }
        }),
        "the daemon did not archive\n{}",
        daemon.stderr()
    );
    daemon
}

#[test]
fn vacuum_and_backup_work_while_the_daemon_holds_the_archive() {
    let site = site_with_feed();
    let ws = Workspace::new();
    let mut daemon = daemon_that_archived(&site, &ws, "1s");

    let run = ws.run(&["vacuum"]);
    run.ok();
    assert!(run.stdout.contains(" bytes ("), "{run:?}");
    assert!(run.stdout.contains("search index:"), "{run:?}");
    let run = ws.run(&["maintenance", "--full"]);
    run.ok();
    assert!(run.stdout.contains("rewritten (VACUUM)"), "{run:?}");

    let copy = ws.path().join("copy.db");
    let copy_arg = copy.to_string_lossy().into_owned();
    let run = ws.run(&["backup", &copy_arg]);
    run.ok();
    assert!(run.stdout.contains("quick_check ok"), "{run:?}");
    let from_copy = ws.run(&["--db", &copy_arg, "stats", "--format", "json"]);
    from_copy.ok();
    assert_eq!(int(&from_copy.json(), "articles"), 2);

    let again = ws.run(&["backup", &copy_arg]);
    again.expect_code(2).stderr_names("--force");
    ws.run(&["backup", &copy_arg, "--force"]).ok();
    let itself = ws.db_path().to_string_lossy().into_owned();
    ws.run(&["backup", &itself, "--force"])
        .expect_code(2)
        .stderr_names("archive itself");

    daemon.stop_cleanly();
    // The daemon's polls during the housekeeping did not fail.
    assert!(
        !daemon.stderr().contains("poll failed"),
        "{}",
        daemon.stderr()
    );
}
