//! One writer per archive (issue 11, point 4): a second `daemon`, `fetch` or `reextract` on an
//! archive a daemon writes stops at once with exit 1, naming the holder's pid and the archive;
//! read commands, `backup` and `vacuum` work beside it; a daemon killed with -9 leaves no lock
//! behind.

use std::time::Duration;

use crate::ops::{daemon_that_archived, site_with_feed};
use crate::support::{Workspace, send_signal, wait_until};

#[test]
fn a_second_writer_stops_naming_the_daemon_while_readers_work_beside_it() {
    let site = site_with_feed();
    let ws = Workspace::new();
    let mut daemon = daemon_that_archived(&site, &ws, "1h");
    let pid = format!("pid {}", daemon.pid());

    for writer in [
        &["daemon"][..],
        &["fetch"],
        &["fetch", "harian"],
        &["reextract"],
    ] {
        let run = ws.run(writer);
        run.expect_code(1)
            .stderr_names(&pid)
            .stderr_names(&ws.db_path().to_string_lossy())
            .stderr_names("warta daemon");
    }
    // The refused fetch did not poll: the feed was fetched once, by the daemon.
    assert_eq!(site.requests_to("/feed.xml").len(), 1);

    let id = ws.search_one("festivalerau")["id"].to_string();
    ws.run(&["show", &id]).ok();
    ws.run(&["feeds"]).ok();
    ws.run(&["stats"]).ok();
    let export = ws.run(&["export", "--format", "jsonl"]);
    export.ok();
    assert_eq!(export.stdout.lines().count(), 2, "{export:?}");
    let copy = ws.path().join("copy.db").to_string_lossy().into_owned();
    ws.run(&["backup", &copy]).ok();
    ws.run(&["vacuum"]).ok();
    assert!(daemon.still_running(), "{}", daemon.stderr());

    // kill -9: the kernel drops the lock with the process; the pid left in the file is stale
    // and the next writer takes over.
    send_signal(daemon.pid(), "KILL");
    assert!(daemon.wait(Duration::from_secs(10)).is_some());
    let lock = ws.path().join("archive.db.lock");
    let left = std::fs::read_to_string(&lock).unwrap_or_default();
    assert!(left.starts_with(&daemon.pid().to_string()), "{left:?}");
    ws.fetch_ok();

    // A clean exit leaves the lock free too.
    let mut again = ws.spawn(&["daemon"]);
    assert!(
        wait_until(Duration::from_secs(20), || again
            .stderr()
            .contains("daemon started")),
        "the second daemon did not start\n{}",
        again.stderr()
    );
    let held = std::fs::read_to_string(&lock).unwrap_or_default();
    assert!(held.starts_with(&again.pid().to_string()), "{held:?}");
    again.stop_cleanly();
    ws.fetch_ok();
}
