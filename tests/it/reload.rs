//! A daemon you change without restarting (issue 11, point 3): feeds.toml is read again on
//! SIGHUP and when the file changes; added feeds are polled at once, removed ones no more, a
//! broken file is refused with its line and the old config stays; `import-opml` tells the
//! daemon itself. SIGHUP does not stop the daemon, which still exits 0 on SIGTERM.

use std::time::Duration;

use serde_json::Value;

use crate::ops::json_lines;
use crate::support::cmd::Background;
use crate::support::{
    Feed, Route, Server, Workspace, config_text, line_of, rss, send_signal, wait_until,
};

/// One server with an empty feed at `/NAME.xml` for each name.
fn feeds_site(names: &[&str]) -> Server {
    let site = Server::start("127.0.0.1");
    for name in names {
        site.route(
            &format!("/{name}.xml"),
            Route::rss(rss(name, &site.base(), &[])),
        );
    }
    site
}

/// The config with one feed per name at `/NAME.xml`, each polled every second.
fn config(site: &Server, names: &[&str]) -> String {
    let feeds: Vec<Feed> = names
        .iter()
        .map(|n| Feed::new(n, &site.url(&format!("/{n}.xml"))).with("schedule = \"1s\""))
        .collect();
    config_text(&[], &feeds)
}

fn polls(site: &Server, name: &str) -> usize {
    site.requests_to(&format!("/{name}.xml")).len()
}

/// The daemon's JSON log lines with this message.
fn logged(daemon: &Background, message: &str) -> Vec<Value> {
    json_lines(&daemon.stderr())
        .into_iter()
        .filter(|v| v.get("message").and_then(Value::as_str) == Some(message))
        .collect()
}

#[track_caller]
fn wait_for(daemon: &Background, what: &str, mut check: impl FnMut() -> bool) {
    assert!(
        wait_until(Duration::from_secs(30), &mut check),
        "{what}\n{}",
        daemon.stderr()
    );
}

/// A workspace configured with `names` and its daemon (JSON logs), once every feed was polled.
fn daemon_polling(
    site: &Server,
    names: &[&str],
    check_every: Option<&str>,
) -> (Workspace, Background) {
    let ws = Workspace::new();
    ws.write_config(&config(site, names));
    let mut cmd = ws.command(&["daemon", "--log-format", "json"]);
    if let Some(every) = check_every {
        cmd.env("WARTA_CHECK_INTERVAL", every);
    }
    let daemon = Background::spawn(cmd);
    wait_for(
        &daemon,
        "the daemon did not poll every feed at start",
        || names.iter().all(|n| polls(site, n) > 0),
    );
    (ws, daemon)
}

#[test]
fn sighup_adds_and_removes_feeds_and_refuses_a_broken_file() {
    let site = feeds_site(&["alpha", "beta", "gamma"]);
    let (ws, mut daemon) = daemon_polling(&site, &["alpha", "beta"], None);

    ws.write_config(&config(&site, &["alpha", "gamma"]));
    send_signal(daemon.pid(), "HUP");
    wait_for(&daemon, "gamma was not polled after SIGHUP", || {
        polls(&site, "gamma") > 0
    });
    let reloaded = logged(&daemon, "config reloaded");
    assert_eq!(reloaded.len(), 1, "{reloaded:#?}");
    assert_eq!(reloaded[0]["trigger"], "SIGHUP");
    assert_eq!(reloaded[0]["added"], 1);
    assert_eq!(reloaded[0]["removed"], 1);
    assert_eq!(reloaded[0]["feeds"], 2);
    // beta is no longer scheduled: while gamma is polled again and again, beta's count
    // stays (a poll in flight at the reload may still land, hence the first wait).
    let gamma = polls(&site, "gamma");
    wait_for(&daemon, "gamma was not polled on its schedule", || {
        polls(&site, "gamma") >= gamma + 2
    });
    let beta = polls(&site, "beta");
    let gamma = polls(&site, "gamma");
    wait_for(&daemon, "gamma stopped being polled", || {
        polls(&site, "gamma") >= gamma + 3
    });
    assert_eq!(
        polls(&site, "beta"),
        beta,
        "the removed feed is still polled"
    );

    let broken = config(&site, &["alpha", "gamma"]).replace(
        "[[feed]]\nname = \"gamma\"",
        "[[feed]]\nname = \"gamma\"\nschedule_typo = \"5m\"",
    );
    ws.write_config(&broken);
    send_signal(daemon.pid(), "HUP");
    wait_for(&daemon, "the broken file was not reported", || {
        !logged(
            &daemon,
            "config not reloaded; the old config stays in force",
        )
        .is_empty()
    });
    let refused = &logged(
        &daemon,
        "config not reloaded; the old config stays in force",
    )[0];
    let error = refused["error"].as_str().unwrap_or_default();
    let line = line_of(&broken, "schedule_typo", 1);
    assert!(
        error.contains(&format!("feeds.toml:{line}")) || error.contains(&format!("line {line}")),
        "{refused}"
    );
    assert!(error.contains("schedule_typo"), "{refused}");
    // The old config stays in force: gamma goes on being polled.
    let gamma = polls(&site, "gamma");
    wait_for(&daemon, "gamma stopped after the refused reload", || {
        polls(&site, "gamma") >= gamma + 2
    });
    assert_eq!(logged(&daemon, "config reloaded").len(), 1);
    daemon.stop_cleanly();
}

#[test]
fn an_edited_file_is_noticed_without_a_signal() {
    let site = feeds_site(&["alpha", "delta"]);
    let (ws, mut daemon) = daemon_polling(&site, &["alpha"], Some("1s"));

    // A new address for alpha and a new feed: both polled at once.
    let text = config(&site, &["alpha", "delta"]).replace(
        &site.url("/alpha.xml"),
        &format!("{}?v=2", site.url("/alpha.xml")),
    );
    ws.write_config(&text);
    wait_for(&daemon, "the change was not noticed", || {
        polls(&site, "delta") > 0
    });
    let reloaded = &logged(&daemon, "config reloaded")[0];
    assert_eq!(reloaded["trigger"], "the file changed");
    assert_eq!(reloaded["added"], 1);
    assert_eq!(reloaded["new_address"], 1);
    wait_for(&daemon, "alpha's new address was not polled", || {
        site.requests_to("/alpha.xml")
            .iter()
            .any(|r| r.target.contains("v=2"))
    });
    daemon.stop_cleanly();
}

#[test]
fn import_opml_tells_a_running_daemon_and_says_when_none_runs() {
    let site = feeds_site(&["alpha", "epsilon"]);
    let (ws, mut daemon) = daemon_polling(&site, &["alpha"], None);
    let opml = format!(
        "<?xml version=\"1.0\"?>\n<opml version=\"2.0\"><head/><body>\n\
         <outline text=\"epsilon\" type=\"rss\" xmlUrl=\"{}\"/>\n</body></opml>\n",
        site.url("/epsilon.xml")
    );
    let list = ws.write("list.opml", opml.as_bytes());
    let list = list.to_string_lossy().into_owned();

    let run = ws.run(&["import-opml", &list]);
    run.ok();
    let pid = daemon.pid().to_string();
    assert!(
        run.stderr.contains(&format!("running daemon (pid {pid})"))
            && run.stderr.contains("re-read"),
        "{run:?}"
    );
    wait_for(&daemon, "the imported feed was not polled", || {
        polls(&site, "epsilon") > 0
    });
    assert_eq!(logged(&daemon, "config reloaded")[0]["trigger"], "SIGHUP");
    daemon.stop_cleanly();

    // With no daemon on the archive, the command says so.
    let more = format!(
        "<?xml version=\"1.0\"?>\n<opml version=\"2.0\"><head/><body>\n\
         <outline text=\"zeta\" type=\"rss\" xmlUrl=\"{}\"/>\n</body></opml>\n",
        site.url("/zeta.xml")
    );
    let list = ws.write("more.opml", more.as_bytes());
    let run = ws.run(&["import-opml", &list.to_string_lossy()]);
    run.ok();
    assert!(
        run.stderr.contains("no daemon is running on") && run.stderr.contains("archive.db"),
        "{run:?}"
    );
}
