//! The writers' start-up integrity check (issue 11's `quick_check`) is skipped when the archive
//! is exactly as a writer left it at a clean close (`archive.db.clean`), and runs in full after
//! anything else: a crash, a write by another program, damage.

use std::time::Duration;

use crate::ops::{daemon_that_archived, site_with_feed};
use crate::support::{Feed, Workspace, send_signal};

const SKIPPED: &str = "integrity: unchanged since the last clean close";
const CHECKED: &str = "integrity: checked";

fn fetched() -> (crate::support::Server, Workspace) {
    let site = site_with_feed();
    let ws = Workspace::with_feeds(&[Feed::new("harian", &site.url("/feed.xml"))]);
    ws.fetch_ok();
    (site, ws)
}

fn record(ws: &Workspace) -> std::path::PathBuf {
    ws.path().join("archive.db.clean")
}

#[test]
fn a_clean_close_lets_the_next_writer_skip_the_check_until_someone_else_writes() {
    let (_site, ws) = fetched();
    assert!(record(&ws).exists());

    let run = ws.run(&["-v", "fetch"]);
    run.ok();
    assert!(run.stderr.contains(SKIPPED), "{run:?}");
    assert!(!run.stderr.contains(CHECKED), "{run:?}");

    // Readers leave the file as it was.
    ws.search_one("festivalerau");
    ws.run(&["stats"]).ok();
    let run = ws.run(&["-v", "fetch"]);
    assert!(run.stderr.contains(SKIPPED), "{run:?}");

    // A user asking for a check gets one, record or not.
    let doctor = ws.run(&["doctor"]);
    assert!(doctor.stdout.contains("quick_check ok"), "{doctor:?}");

    // `vacuum` writes the file without the writers' lock.
    ws.run(&["vacuum"]).ok();
    let run = ws.run(&["-v", "fetch"]);
    run.ok();
    assert!(
        run.stderr.contains(CHECKED) && run.stderr.contains("no record of a clean close"),
        "{run:?}"
    );
    let run = ws.run(&["-v", "fetch"]);
    assert!(run.stderr.contains(SKIPPED), "{run:?}");
}

#[test]
fn damage_after_a_clean_close_is_still_found() {
    let site = crate::files::site(40);
    let ws = crate::files::archived(&site, 40);
    assert!(record(&ws).exists());
    let size = std::fs::metadata(ws.db_path()).map(|m| m.len()).ok();
    crate::files::damage(&ws.db_path());
    assert_eq!(std::fs::metadata(ws.db_path()).map(|m| m.len()).ok(), size);
    site.clear_log();

    let run = ws.run(&["-v", "fetch"]);
    run.expect_code(1)
        .stderr_names("is damaged")
        .stderr_names("the file changed since the last clean close");
    assert!(!run.stderr.contains(SKIPPED), "{run:?}");
    assert!(
        site.requests_to("/feed.xml").is_empty(),
        "fetch polled anyway"
    );
    // And so does every start after it.
    ws.run(&["-v", "fetch"])
        .expect_code(1)
        .stderr_names("is damaged")
        .stderr_names("the file changed since the last clean close");
}

#[test]
fn a_writer_killed_leaves_no_record_and_the_next_one_checks_in_full() {
    let site = site_with_feed();
    let ws = Workspace::new();
    let mut daemon = daemon_that_archived(&site, &ws, "1h");
    assert!(
        !record(&ws).exists(),
        "the record is removed before writing"
    );
    send_signal(daemon.pid(), "KILL");
    assert!(daemon.wait(Duration::from_secs(10)).is_some());

    let run = ws.run(&["-v", "fetch"]);
    run.ok();
    assert!(
        run.stderr.contains(CHECKED) && run.stderr.contains("no record of a clean close"),
        "{run:?}"
    );
    assert!(record(&ws).exists());

    // A daemon stopped gently closes cleanly.
    let mut daemon = ws.spawn(&["-v", "daemon"]);
    assert!(crate::support::wait_until(Duration::from_secs(20), || {
        daemon.stderr().contains("daemon started")
    }));
    assert!(daemon.stderr().contains(SKIPPED), "{}", daemon.stderr());
    daemon.stop_cleanly();
    let run = ws.run(&["-v", "fetch"]);
    assert!(run.stderr.contains(SKIPPED), "{run:?}");
}
