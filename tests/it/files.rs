//! The archive file itself (issue 11, points 8, 11 and 12): read commands never create it,
//! nothing an operator types writes over it, another program's database or a damaged file is
//! named for what it is, and a user who may only read the archive can still search it.

use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::cmd::{self, RUN_LIMIT, Run, arg};
use crate::support::{Feed, Item, Route, Server, Workspace, config_text, int, pages, rss};

/// warta's `application_id` ("WRTA").
const WARTA_ID: i32 = 0x5752_5441;

/// A site whose feed carries `n` articles, each page extractable, each with its own words.
pub(crate) fn site(n: usize) -> Server {
    let site = Server::start("127.0.0.1");
    let items: Vec<Item> = (0..n)
        .map(|i| {
            let path = format!("/berita/{i}");
            let title = format!("Berita nomor {i} dari Samarinda");
            site.route(
                &path,
                Route::html(pages::article(
                    &title,
                    "2024-03-12T08:00:00+08:00",
                    "id",
                    &pages::story("id", 40 + i as u64, &[&format!("katakunci{i} hari ini.")]),
                )),
            );
            Item::new(
                &title,
                &site.url(&path),
                "Tue, 12 Mar 2024 08:00:00 +0800",
                "Ringkasan.",
            )
        })
        .collect();
    site.route("/feed.xml", Route::rss(rss("Harian", &site.base(), &items)));
    site
}

/// A workspace whose archive holds the `n` articles of `site`.
pub(crate) fn archived(site: &Server, n: usize) -> Workspace {
    let ws = Workspace::with_feeds(&[Feed::new("harian", &site.url("/feed.xml"))]);
    ws.fetch_ok();
    assert_eq!(int(&ws.stats(), "articles"), n as i64);
    ws
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn application_id(path: &Path) -> i32 {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the archive");
    conn.pragma_query_value(None, "application_id", |r| r.get(0))
        .expect("read application_id")
}

#[test]
fn read_commands_on_a_missing_archive_name_it_and_create_nothing() {
    let site = site(1);
    let ws = Workspace::new();
    ws.write_config(
        &config_text(&[], &[Feed::new("harian", &site.url("/feed.xml"))])
            .replace("path = \"archive.db\"", "path = \"data/archive.db\""),
    );
    let before = files_in(ws.path());
    for args in [
        vec!["search", "banjir"],
        vec!["search", "banjir", "--format", "json"],
        vec!["show", "1"],
        vec!["stats"],
        vec!["feeds", "--format", "json"],
        vec!["export", "--format", "jsonl"],
        vec!["reextract"],
    ] {
        let run = ws.run(&args);
        run.expect_code(2)
            .stderr_names("data/archive.db")
            .stderr_names("warta fetch");
        assert!(run.stdout.is_empty(), "{run:?}");
        assert_eq!(files_in(ws.path()), before, "{run:?}");
    }
    // The doctor reports it as a line of its report, and creates nothing either.
    let run = ws.run(&["doctor"]);
    assert!(run.stdout.contains("does not exist yet"), "{run:?}");
    assert_eq!(files_in(ws.path()), before, "{run:?}");

    // The writers create it, stamped as warta's.
    ws.fetch_ok();
    let db = ws.path().join("data/archive.db");
    assert_eq!(application_id(&db), WARTA_ID);
    let run = ws.run(&["stats", "--format", "json"]);
    run.ok();
    assert_eq!(int(&run.json(), "articles"), 1);
}

#[test]
fn export_and_backup_refuse_to_write_over_the_archive_under_any_name() {
    let site = site(2);
    let ws = archived(&site, 2);
    let db = ws.db_path();
    let original = std::fs::read(&db).expect("read the archive");
    let wal = ws.path().join("archive.db-wal");
    std::os::unix::fs::symlink(&db, ws.path().join("link.jsonl")).expect("symlink");
    std::os::unix::fs::symlink(&wal, ws.path().join("wal-link.jsonl")).expect("symlink");
    std::fs::hard_link(&db, ws.path().join("hard.jsonl")).expect("hard link");
    std::fs::create_dir(ws.path().join("sub")).expect("folder");
    let through_folder = ws.path().join("sub/../archive.db");
    let through_folder = arg(&through_folder);
    for target in [
        "archive.db",
        "./archive.db",
        through_folder.as_str(),
        "archive.db-wal",
        "archive.db-shm",
        "link.jsonl",
        "wal-link.jsonl",
        "hard.jsonl",
    ] {
        let run = ws.run(&["export", "--format", "jsonl", "-o", target]);
        run.expect_code(2)
            .stderr_names(target)
            .stderr_names("archive itself");
        let run = ws.run(&["backup", target, "--force"]);
        run.expect_code(2).stderr_names("archive itself");
        assert!(!wal.exists(), "{target}: a WAL file was written");
        assert_eq!(
            std::fs::read(&db).expect("read the archive"),
            original,
            "{target}"
        );
    }
    assert_eq!(int(&ws.stats(), "articles"), 2);
    // Another file is fine.
    ws.run(&["export", "--format", "jsonl", "-o", "out.jsonl"])
        .ok();
    assert_eq!(
        std::fs::read_to_string(ws.path().join("out.jsonl"))
            .unwrap_or_default()
            .lines()
            .count(),
        2
    );
}

#[test]
fn another_programs_database_is_refused_and_left_unchanged() {
    let site = site(1);
    let ws = Workspace::with_feeds(&[Feed::new("harian", &site.url("/feed.xml"))]);
    {
        let conn = rusqlite::Connection::open(ws.db_path()).expect("create");
        conn.execute_batch(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);
             INSERT INTO notes (text) VALUES ('belanja');
             PRAGMA user_version = 7;",
        )
        .expect("fill");
    }
    let original = std::fs::read(ws.db_path()).expect("read");
    for args in [
        vec!["search", "banjir"],
        vec!["stats"],
        vec!["feeds"],
        vec!["show", "1"],
        vec!["export", "--format", "jsonl"],
        vec!["reextract"],
        vec!["fetch"],
        vec!["vacuum"],
        vec!["backup", "copy.db"],
    ] {
        let run = ws.run(&args);
        run.expect_code(2)
            .stderr_names("archive.db")
            .stderr_names("is an SQLite database but not a warta archive");
        assert_eq!(
            std::fs::read(ws.db_path()).expect("read"),
            original,
            "{run:?}"
        );
    }
    assert!(site.requests_to("/feed.xml").is_empty());
    let run = ws.run(&["doctor"]);
    run.expect_code(1);
    assert!(run.stdout.contains("not a warta archive"), "{run:?}");

    // A file that is not SQLite at all.
    ws.write("archive.db", b"catatan rapat, bukan basis data\n");
    for args in [vec!["stats"], vec!["fetch"]] {
        ws.run(&args)
            .expect_code(1)
            .stderr_names("archive.db")
            .stderr_names("not an SQLite database");
    }
    assert_eq!(
        std::fs::read(ws.db_path()).expect("read"),
        b"catatan rapat, bukan basis data\n"
    );

    // A zero-byte file is not an archive to read, but a writer may make it one.
    ws.write("archive.db", b"");
    ws.run(&["stats"]).expect_code(2).stderr_names("is empty");
    ws.fetch_ok();
    assert_eq!(int(&ws.stats(), "articles"), 1);
}

#[test]
fn an_archive_from_before_the_header_mark_is_read_and_stamped_when_written() {
    let site = site(1);
    let ws = archived(&site, 1);
    assert_eq!(application_id(&ws.db_path()), WARTA_ID);
    {
        let conn = rusqlite::Connection::open(ws.db_path()).expect("open");
        conn.pragma_update(None, "application_id", 0)
            .expect("unstamp");
    }
    assert_eq!(int(&ws.stats(), "articles"), 1);
    assert_eq!(application_id(&ws.db_path()), 0, "a read must not write");
    ws.fetch_ok();
    assert_eq!(application_id(&ws.db_path()), WARTA_ID);
}

#[test]
fn backup_clears_the_partial_copy_a_killed_backup_left() {
    let site = site(1);
    let ws = archived(&site, 1);
    // The name a backup killed with -9 leaves: DEST.partial-PID, PID no longer running.
    let mut gone = Command::new("true").spawn().expect("spawn true");
    let pid = gone.id();
    gone.wait().expect("wait");
    let leftover = ws.write(&format!("copy.db.partial-{pid}"), b"half a copy");
    let other = ws.write("other.db.partial-1", b"not ours to clear");
    ws.run(&["backup", "copy.db"]).ok();
    assert!(!leftover.exists(), "{:?}", files_in(ws.path()));
    assert!(other.exists());
    assert!(ws.path().join("copy.db").exists());
}

/// How to run warta as a user who may not write the archive: as `nobody` when the tests run
/// as root (root writes anything), else as this user. None: it cannot be done here.
fn reader() -> Option<Vec<String>> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some(Vec::new());
    }
    let prefix: Vec<String> = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--",
    ]
    .map(String::from)
    .to_vec();
    let works = Command::new(&prefix[0])
        .args(&prefix[1..])
        .arg("true")
        .status()
        .is_ok_and(|s| s.success());
    works.then_some(prefix)
}

/// `warta ARGS…` against `ws`, run through `prefix`.
fn run_as(prefix: &[String], ws: &Workspace, args: &[&str]) -> Run {
    let inner = ws.command(args);
    let mut cmd = match prefix.split_first() {
        Some((program, rest)) => {
            let mut c = Command::new(program);
            c.args(rest).arg(inner.get_program()).args(inner.get_args());
            c
        }
        None => {
            let mut c = Command::new(inner.get_program());
            c.args(inner.get_args());
            c
        }
    };
    cmd.current_dir(ws.path());
    for var in ["WARTA_CONFIG", "RUST_LOG", "RUST_BACKTRACE", "WARTA_LOG"] {
        cmd.env_remove(var);
    }
    cmd::run_command(cmd, None, RUN_LIMIT)
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Puts the folder back as it was, so that it can be removed, whatever the test did.
struct Restore(PathBuf);

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o700));
        if let Ok(entries) = std::fs::read_dir(&self.0) {
            for e in entries.flatten() {
                let _ = std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o600));
            }
        }
    }
}

#[test]
fn an_archive_the_user_may_only_read_is_searched_shown_counted_and_exported() {
    let Some(prefix) = reader() else {
        println!("skipped: cannot run warta as a user without write access (no setpriv)");
        return;
    };
    let site = site(3);
    let ws = archived(&site, 3);
    let _restore = Restore(ws.path().to_path_buf());
    for f in files_in(ws.path()) {
        chmod(&ws.path().join(f), 0o644);
    }
    chmod(ws.path(), 0o555);
    let before = files_in(ws.path());

    let run = run_as(
        &prefix,
        &ws,
        &["-v", "search", "katakunci1", "--format", "json"],
    );
    run.ok();
    assert!(run.stdout.contains("Berita nomor 1"), "{run:?}");
    assert!(run.stderr.contains("immutable"), "{run:?}");
    let run = run_as(&prefix, &ws, &["stats", "--format", "json"]);
    run.ok();
    assert_eq!(int(&run.json(), "articles"), 3);
    run_as(&prefix, &ws, &["show", "1"]).ok();
    let run = run_as(&prefix, &ws, &["feeds", "--format", "json"]);
    run.ok();
    assert!(run.stdout.contains("harian"), "{run:?}");
    let run = run_as(&prefix, &ws, &["export", "--format", "jsonl"]);
    run.ok();
    assert_eq!(run.stdout.lines().count(), 3, "{run:?}");
    assert_eq!(
        files_in(ws.path()),
        before,
        "a reader wrote into the folder"
    );

    // While a writer has the archive open (its -shm exists), the reader shares it read-only.
    chmod(ws.path(), 0o755);
    let writer = rusqlite::Connection::open(ws.db_path()).expect("open as the writer");
    writer
        .query_row("SELECT count(*) FROM articles", [], |r| r.get::<_, i64>(0))
        .expect("read as the writer");
    chmod(&ws.path().join("archive.db-shm"), 0o644);
    chmod(&ws.path().join("archive.db-wal"), 0o644);
    chmod(ws.path(), 0o555);
    let run = run_as(&prefix, &ws, &["stats", "--format", "json"]);
    run.ok();
    assert_eq!(int(&run.json(), "articles"), 3);
    drop(writer);

    // A file this user may not read at all: said so, with its name.
    chmod(&ws.db_path(), 0o000);
    run_as(&prefix, &ws, &["stats"])
        .expect_code(1)
        .stderr_names("archive.db")
        .stderr_names("cannot read");
}

/// Overwrites two leaf pages in the middle of the archive's `articles` table with garbage, as
/// a failing disk or a stray write would: in place, so the file keeps its size and inode.
pub(crate) fn damage(db: &Path) {
    let (page_size, leaves) = {
        let conn = rusqlite::Connection::open(db).expect("open the archive");
        let size: i64 = conn
            .pragma_query_value(None, "page_size", |r| r.get(0))
            .expect("page size");
        let leaves: Vec<i64> = conn
            .prepare(
                "SELECT pageno FROM dbstat WHERE name = 'articles' AND pagetype = 'leaf' ORDER BY pageno",
            )
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("list the leaf pages");
        (size, leaves)
    };
    assert!(leaves.len() >= 4, "too few pages to damage: {leaves:?}");
    let garbage: Vec<u8> = b"kerusakan disk "
        .iter()
        .copied()
        .cycle()
        .take(page_size as usize)
        .collect();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(db)
        .expect("open the archive for writing");
    for page in &leaves[leaves.len() / 2..leaves.len() / 2 + 2] {
        let start = (*page as u64 - 1) * page_size as u64;
        file.seek(SeekFrom::Start(start))
            .and_then(|_| file.write_all(&garbage))
            .expect("write the damaged archive");
    }
}

#[test]
fn a_damaged_archive_stops_the_writers_and_what_is_readable_is_salvaged() {
    let site = site(40);
    let ws = archived(&site, 40);
    damage(&ws.db_path());
    site.clear_log();

    ws.run(&["fetch"])
        .expect_code(1)
        .stderr_names("archive.db")
        .stderr_names("is damaged")
        .stderr_names("warta backup --salvage");
    assert!(
        site.requests_to("/feed.xml").is_empty(),
        "fetch polled anyway"
    );
    let mut daemon = ws.spawn(&["daemon"]);
    let status = daemon.wait(Duration::from_secs(60));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(1),
        "{}",
        daemon.stderr()
    );
    assert!(
        daemon.stderr().contains("is damaged"),
        "{}",
        daemon.stderr()
    );

    // A plain export stops at the damage, says how to salvage, and leaves no file.
    ws.run(&["export", "--format", "jsonl", "-o", "plain.jsonl"])
        .expect_code(1)
        .stderr_names("--salvage");
    assert!(!ws.path().join("plain.jsonl").exists());
    ws.run(&["backup", "plain.db"])
        .expect_code(1)
        .stderr_names("--salvage");
    assert!(
        !files_in(ws.path())
            .iter()
            .any(|f| f.starts_with("plain.db")),
        "{:?}",
        files_in(ws.path())
    );

    let run = ws.run(&[
        "export",
        "--format",
        "jsonl",
        "--salvage",
        "-o",
        "saved.jsonl",
    ]);
    run.ok().stderr_names("left out");
    let saved = std::fs::read_to_string(ws.path().join("saved.jsonl")).unwrap_or_default();
    let exported = saved.lines().count();
    assert!((20..40).contains(&exported), "{exported} articles\n{run:?}");

    let run = ws.run(&["backup", "--salvage", "saved.db"]);
    run.ok();
    assert!(
        run.stdout.contains("salvaged:") && run.stdout.contains("unreadable"),
        "{run:?}"
    );
    let copy = ws.run(&["--db", "saved.db", "stats", "--format", "json"]);
    copy.ok();
    assert_eq!(int(&copy.json(), "articles"), exported as i64, "{copy:?}");
    // The copy is an archive like any other: searchable, and a fetch into it brings the
    // articles that were lost back from the feed.
    let kept = saved.lines().next().and_then(|l| {
        let v: serde_json::Value = serde_json::from_str(l).ok()?;
        Some(v["title"].as_str()?.to_string())
    });
    let word = kept
        .and_then(|t| t.split(' ').nth(2).map(|n| format!("katakunci{n}")))
        .unwrap_or_default();
    let run = ws.run(&["--db", "saved.db", "search", &word, "--format", "json"]);
    run.ok();
    assert_eq!(
        run.json().as_array().map(Vec::len),
        Some(1),
        "{word}\n{run:?}"
    );
    ws.run(&["--db", "saved.db", "fetch"]).ok();
    let copy = ws.run(&["--db", "saved.db", "stats", "--format", "json"]);
    assert_eq!(int(&copy.json(), "articles"), 40, "{copy:?}");
}
