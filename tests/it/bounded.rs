//! Bounded files (issue 11, point 14): the write-ahead log shrinks back once a slow reader
//! lets go of its snapshot, and a full disk is reported as such (log, `/healthz`, `doctor`)
//! without counting against the feed, which is polled again once there is room.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::ops::{doctor_line, get, json_lines, listening_addr};
use crate::support::cmd::Background;
use crate::support::pages::filler;
use crate::support::{Feed, Item, Route, Server, Workspace, config_text, int, rss, wait_until};

/// `count` items of about `words` × 20 words each, numbered from `first`, with bodies that
/// differ from each other's (so every one is a new article).
fn items(site: &Server, first: u64, count: u64, words: usize) -> Vec<Item> {
    (first..first + count)
        .map(|n| {
            Item::new(
                &format!("Berita nomor {n}"),
                &site.url(&format!("/berita/{n}")),
                "Tue, 12 Mar 2024 08:00:00 +0800",
                &filler("id", n, 20, words).join("\n\n"),
            )
        })
        .collect()
}

fn serve(site: &Server, items: &[Item]) {
    site.route("/feed.xml", Route::rss(rss("Harian", &site.base(), items)));
}

/// The config: one feed polled every second, its items archived from the feed's text.
fn config(site: &Server, archive: &Path) -> String {
    config_text(
        &[],
        &[Feed::new("harian", &site.url("/feed.xml"))
            .with("schedule = \"1s\"")
            .with("full_text = false")],
    )
    .replace(
        "path = \"archive.db\"",
        &format!("path = {:?}", archive.to_string_lossy()),
    )
}

fn articles(ws: &Workspace) -> i64 {
    let r = ws.run(&["stats", "--format", "json"]);
    if r.code == Some(0) {
        int(&r.json(), "articles")
    } else {
        -1
    }
}

fn wal_bytes(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(PathBuf::from(wal)).map_or(0, |m| m.len())
}

#[track_caller]
fn wait_for(daemon: &Background, what: &str, check: impl FnMut() -> bool) {
    assert!(
        wait_until(Duration::from_secs(60), check),
        "{what}\n{}",
        daemon.stderr()
    );
}

fn daemon(ws: &Workspace, extra: &[&str]) -> Background {
    let mut args = vec!["daemon", "--log-format", "json"];
    args.extend_from_slice(extra);
    let mut cmd = ws.command(&args);
    cmd.env("WARTA_CHECK_INTERVAL", "1s");
    Background::spawn(cmd)
}

#[test]
fn the_write_ahead_log_shrinks_back_after_a_slow_reader_ends() {
    let site = Server::start("127.0.0.1");
    serve(&site, &items(&site, 0, 20, 60));
    let ws = Workspace::new();
    let db = ws.db_path();
    ws.write_config(&config(&site, &db));
    let mut daemon = daemon(&ws, &[]);
    wait_for(&daemon, "the first poll was not archived", || {
        articles(&ws) == 20
    });

    // A reader holds its snapshot while the daemon archives batch after batch: no
    // checkpoint may pass it, so the log grows.
    let reader = rusqlite::Connection::open(&db).expect("open the archive");
    reader
        .execute_batch("BEGIN; SELECT count(*) FROM articles;")
        .expect("start a read transaction");
    let held: i64 = reader
        .query_row("SELECT count(*) FROM articles", [], |r| r.get(0))
        .expect("read");
    for batch in 1..=6u64 {
        serve(&site, &items(&site, batch * 20, 20, 60));
        wait_for(&daemon, "a batch was not archived", || {
            articles(&ws) == 20 * (batch as i64 + 1)
        });
    }
    let grown = wal_bytes(&db);
    assert!(grown > 4 << 20, "the log grew to only {grown} bytes");
    let still: i64 = reader
        .query_row("SELECT count(*) FROM articles", [], |r| r.get(0))
        .expect("read");
    assert_eq!(still, held, "the reader's snapshot moved");

    reader.execute_batch("COMMIT").expect("end the read");
    drop(reader);
    wait_for(
        &daemon,
        "the log did not shrink after the reader ended",
        || wal_bytes(&db) < 256 << 10,
    );
    daemon.stop_cleanly();
}

/// A tmpfs mounted for the test, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    /// None (with one printed line) when this test cannot mount one: not root, or no
    /// permission in this container.
    fn mount(at: &Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(at).ok()?;
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            println!("skipped: mounting a small tmpfs needs root");
            return None;
        }
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status();
        if !status.is_ok_and(|s| s.success()) {
            println!("skipped: cannot mount a tmpfs at {} here", at.display());
            return None;
        }
        Some(SmallDisk(at.to_path_buf()))
    }

    /// Writes a file until the disk refuses more.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.0.join("filler");
        let mut file = std::fs::File::create(&path).expect("create filler");
        let chunk = vec![0u8; 4096];
        while file.write_all(&chunk).is_ok() {}
        let _ = file.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_is_reported_and_does_not_fail_the_feed() {
    let ws = Workspace::new();
    let Some(disk) = SmallDisk::mount(&ws.path().join("disk"), "6m") else {
        return;
    };
    let site = Server::start("127.0.0.1");
    serve(&site, &items(&site, 0, 3, 20));
    let db = disk.0.join("archive.db");
    ws.write_config(&config(&site, &db));
    let mut daemon = daemon(&ws, &["--listen", "127.0.0.1:0"]);
    let addr = listening_addr(&daemon);
    wait_for(&daemon, "the daemon never became healthy", || {
        get(&addr, "/healthz").0 == 200
    });

    let filler = disk.fill();
    serve(&site, &items(&site, 3, 40, 60));
    let full =
        |v: &Value| v.get("message").and_then(Value::as_str) == Some("the archive's disk is full");
    wait_for(&daemon, "the full disk was not logged", || {
        json_lines(&daemon.stderr()).iter().any(full)
    });
    let lines = json_lines(&daemon.stderr());
    let line = lines.iter().find(|v| full(v)).cloned().unwrap_or_default();
    let error = line["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("disk full") && error.contains(&db.to_string_lossy().into_owned()),
        "{line}"
    );
    let (code, body) = get(&addr, "/healthz");
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("disk full"), "{body}");

    let doctor = ws.run(&["doctor"]);
    doctor.expect_code(1);
    let (level, detail) = doctor_line(&doctor.stdout, "disk:");
    assert_eq!(level, "FAIL", "{doctor:?}");
    assert!(detail.contains("disk is full"), "{doctor:?}");

    // Polled again and again, never counted as the feed's failure.
    wait_for(&daemon, "the poll was not retried", || {
        json_lines(&daemon.stderr())
            .iter()
            .filter(|v| full(v))
            .count()
            >= 3
    });
    let feeds = ws.run(&["feeds", "--format", "json"]);
    feeds.ok();
    let feed = &feeds.json()[0];
    assert_eq!(int(feed, "consecutive_failures"), 0, "{feed}");
    assert_eq!(feed["state"], "ok", "{feed}");
    assert!(
        !daemon.stderr().contains("poll failed"),
        "{}",
        daemon.stderr()
    );

    // Room again: the next poll archives the batch and the daemon is healthy.
    std::fs::remove_file(filler).expect("remove filler");
    wait_for(
        &daemon,
        "the batch was not archived once there was room",
        || articles(&ws) == 43,
    );
    wait_for(&daemon, "healthz did not recover", || {
        get(&addr, "/healthz").0 == 200
    });
    daemon.stop_cleanly();

    // `fetch` on a full disk: exit 1 naming it, and still no failure counted.
    let filler = disk.fill();
    serve(&site, &items(&site, 43, 40, 60));
    let run = ws.run(&["fetch"]);
    run.expect_code(1).stderr_names("disk full");
    std::fs::remove_file(filler).expect("remove filler");
    let feeds = ws.run(&["feeds", "--format", "json"]);
    assert_eq!(
        int(&feeds.json()[0], "consecutive_failures"),
        0,
        "{feeds:?}"
    );
}
