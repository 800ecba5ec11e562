//! feeds.toml: mistakes are usage errors (exit 2) naming the file and the line; the address guard
//! is on by default; paths resolve against the config's own folder; --config, $WARTA_CONFIG and
//! --db are honoured.

use crate::support::{
    Feed, Item, Route, Server, Workspace, assert_names_line, cmd, config_text, int, line_of, pages,
    rss,
};

const HEAD: &str = "[archive]\npath = \"archive.db\"\n\n[fetch]\nallow_private_addresses = true\nper_host_delay = \"0s\"\ntimeout = \"5s\"\nrespect_robots = true\n";

/// Writes `text` as feeds.toml, runs `warta feeds`, expects exit 2 naming `culprit` and one of
/// the lines holding `line_needles` (needle, occurrence).
#[track_caller]
fn expect_config_error(text: &str, culprit: &str, line_needles: &[(&str, usize)]) {
    expect_config_error_from(&["feeds"], text, culprit, line_needles);
}

/// As [`expect_config_error`], for each of `commands`.
#[track_caller]
fn expect_config_error_from(
    commands: &[&str],
    text: &str,
    culprit: &str,
    line_needles: &[(&str, usize)],
) {
    let ws = Workspace::new();
    ws.write_config(text);
    let lines: Vec<usize> = line_needles
        .iter()
        .map(|(n, k)| line_of(text, n, *k))
        .collect();
    for command in commands {
        let run = ws.run(&[command]);
        run.expect_code(2).stderr_names(culprit);
        assert_names_line(&run, "feeds.toml", &lines);
        assert!(!run.stderr.contains("panicked"), "{run:?}");
    }
}

/// A value that must stop warta before anything runs: `fetch` and `daemon`, which use every
/// value, exit 2 naming `culprit` and the line holding `needle`.
#[track_caller]
fn expect_value_refused(text: &str, culprit: &str, needle: &str) {
    expect_config_error_from(&["fetch", "daemon"], text, culprit, &[(needle, 1)]);
}

#[test]
fn unknown_key_is_a_usage_error_naming_key_file_and_line() {
    let text = format!(
        "{HEAD}concurency = 4\n\n[[feed]]\nname = \"kaltim\"\nurl = \"http://127.0.0.1:9/feed.xml\"\n"
    );
    expect_config_error(&text, "concurency", &[("concurency", 1)]);

    let text = format!(
        "{HEAD}\n[[feed]]\nname = \"kaltim\"\nurl = \"http://127.0.0.1:9/feed.xml\"\ntitel = \"Kaltim\"\n"
    );
    expect_config_error(&text, "titel", &[("titel", 1)]);
}

#[test]
fn duplicate_feed_name_is_a_usage_error_naming_the_name_and_line() {
    let text = format!(
        "{HEAD}\n[[feed]]\nname = \"kaltim\"\nurl = \"http://127.0.0.1:9/a.xml\"\n\n[[feed]]\nname = \"kaltim\"\nurl = \"http://127.0.0.1:9/b.xml\"\n"
    );
    expect_config_error(
        &text,
        "kaltim",
        &[("name = \"kaltim\"", 2), ("[[feed]]", 2)],
    );
}

#[test]
fn bad_duration_is_a_usage_error_naming_the_value_and_line() {
    let text = format!(
        "{HEAD}\n[schedule]\ndefault = \"15m\"\n\n[[feed]]\nname = \"kaltim\"\nurl = \"http://127.0.0.1:9/a.xml\"\nschedule = \"15x\"\n"
    );
    expect_config_error(&text, "15x", &[("15x", 1)]);
}

#[test]
fn bad_cron_is_a_usage_error_naming_the_value_and_line() {
    let text = format!(
        "{HEAD}\n[[feed]]\nname = \"kaltim\"\nurl = \"http://127.0.0.1:9/a.xml\"\nschedule = \"61 * * * *\"\n"
    );
    expect_config_error(&text, "61 * * * *", &[("61 * * * *", 1)]);
}

#[test]
fn bad_url_is_a_usage_error_naming_the_url_and_line() {
    let text = format!("{HEAD}\n[[feed]]\nname = \"kaltim\"\nurl = \"bukan sebuah url\"\n");
    expect_config_error(&text, "bukan sebuah url", &[("bukan sebuah url", 1)]);
}

#[test]
fn feed_name_outside_lowercase_digits_and_dashes_is_a_usage_error() {
    let text =
        format!("{HEAD}\n[[feed]]\nname = \"Antara Kaltim\"\nurl = \"http://127.0.0.1:9/a.xml\"\n");
    expect_config_error(&text, "Antara Kaltim", &[("Antara Kaltim", 1)]);
}

#[test]
fn private_feed_url_is_a_config_error_when_private_addresses_are_not_allowed() {
    let site = Server::start("127.0.0.1");
    site.route("/feed.xml", Route::rss(rss("Lokal", &site.base(), &[])));
    let port = site.addr().port();
    for url in [
        site.url("/feed.xml"),
        format!("http://localhost:{port}/feed.xml"),
        format!("http://[::1]:{port}/feed.xml"),
        "http://169.254.169.254/latest/meta-data".to_string(),
        "http://192.168.1.1/rss".to_string(),
    ] {
        let ws = Workspace::new();
        // The standard config minus allow_private_addresses, which stays at its default.
        let text = config_text(&[], &[good_feed_entry(), Feed::new("lokal", &url)])
            .replace("allow_private_addresses = true\n", "");
        ws.write_config(&text);

        let run = ws.run(&["fetch"]);

        // Known when the file is read: a usage error at the url's line, not a poll failure.
        run.expect_code(2)
            .stderr_names("lokal")
            .stderr_names("allow_private_addresses = true");
        assert_names_line(&run, "feeds.toml", &[line_of(&text, &url, 1)]);
        assert!(!ws.db_path().exists(), "{url}: the archive was created");
    }
    assert!(
        site.requests().is_empty(),
        "a request reached the private address: {:#?}",
        site.requests()
    );
}

/// A public-looking feed that is never fetched: the config error comes first.
fn good_feed_entry() -> Feed {
    Feed::new("publik", "https://kaltim.antaranews.com/rss/terkini.xml")
}

fn one_article_site() -> Server {
    let site = Server::start("127.0.0.1");
    site.route(
        "/a",
        Route::html(pages::article(
            "Satu artikel",
            "2024-03-12T08:00:00+08:00",
            "id",
            &pages::story("id", 5, &["Jalurarsip diuji."]),
        )),
    );
    site.route(
        "/feed.xml",
        Route::rss(rss(
            "Satu",
            &site.base(),
            &[Item::new(
                "Satu artikel",
                &site.url("/a"),
                "Tue, 12 Mar 2024 08:00:00 +0800",
                "Satu.",
            )],
        )),
    );
    site
}

#[test]
fn relative_archive_path_resolves_against_the_config_folder() {
    let site = one_article_site();
    let ws = Workspace::new();
    ws.write_config(
        &config_text(&[], &[Feed::new("satu", &site.url("/feed.xml"))])
            .replace("path = \"archive.db\"", "path = \"data/arsip.db\""),
    );
    let elsewhere = tempfile::tempdir().expect("temp dir");

    let mut c = cmd::warta();
    c.current_dir(elsewhere.path())
        .arg("--config")
        .arg(ws.config_path())
        .arg("fetch");
    cmd::run_command(c, None, cmd::RUN_LIMIT).ok();

    assert!(
        ws.path().join("data/arsip.db").exists(),
        "archive not created beside the config"
    );
    assert!(
        !elsewhere.path().join("data").exists(),
        "archive created in the working folder"
    );
}

#[test]
fn warta_config_environment_variable_is_used_without_config_flag() {
    let site = one_article_site();
    let ws = Workspace::with_feeds(&[Feed::new("satu", &site.url("/feed.xml"))]);
    let elsewhere = tempfile::tempdir().expect("temp dir");

    let mut c = cmd::warta();
    c.current_dir(elsewhere.path())
        .env("WARTA_CONFIG", ws.config_path())
        .args(["fetch"]);
    cmd::run_command(c, None, cmd::RUN_LIMIT).ok();

    assert!(ws.db_path().exists());
    assert_eq!(ws.search("jalurarsip", &[]).len(), 1);
}

#[test]
fn db_flag_overrides_the_archive_path_and_options_may_follow_the_command() {
    let site = one_article_site();
    let ws = Workspace::with_feeds(&[Feed::new("satu", &site.url("/feed.xml"))]);
    let other = ws.path().join("lain.db");
    let other_arg = cmd::arg(&other);

    let mut c = cmd::warta();
    c.current_dir(ws.path())
        .arg("fetch")
        .arg("--config")
        .arg(ws.config_path())
        .arg("--db")
        .arg(&other_arg);
    cmd::run_command(c, None, cmd::RUN_LIMIT).ok();

    assert!(other.exists(), "--db was not used");
    assert!(!ws.db_path().exists(), "archive.path was used despite --db");
    let run = ws.run(&["--db", &other_arg, "stats", "--format", "json"]);
    run.ok();
    assert_eq!(int(&run.json(), "articles"), 1);
}

const FEED: &str = "\n[[feed]]\nname = \"kaltim\"\nurl = \"http://127.0.0.1:9/a.xml\"\n";

#[test]
fn a_timeout_of_u64_max_seconds_is_a_config_error_not_a_panic() {
    let text = format!(
        "{}{FEED}",
        HEAD.replace("timeout = \"5s\"", "timeout = \"18446744073709551615s\"")
    );
    expect_value_refused(&text, "18446744073709551615s", "timeout");
}

#[test]
fn a_schedule_of_99999999999_days_is_a_config_error_not_a_panic() {
    // The daemon added this to the clock and panicked ("DateTime + TimeDelta overflowed").
    let text = format!("{HEAD}{FEED}schedule = \"99999999999d\"\n");
    expect_value_refused(&text, "99999999999d", "schedule");
}

#[test]
fn a_default_schedule_too_large_to_count_is_a_config_error() {
    let text = format!("{HEAD}\n[schedule]\ndefault = \"99999999999999999999999s\"\n{FEED}");
    expect_value_refused(&text, "99999999999999999999999s", "default");
}

#[test]
fn a_huge_per_host_delay_is_a_config_error_globally_and_per_feed() {
    // Two requests to one host added this to an Instant and panicked.
    let text = format!(
        "{}{FEED}",
        HEAD.replace(
            "per_host_delay = \"0s\"",
            "per_host_delay = \"99999999999d\""
        )
    );
    expect_value_refused(&text, "99999999999d", "per_host_delay");
    let text = format!("{HEAD}{FEED}per_host_delay = \"30d\"\n");
    expect_value_refused(&text, "30d", "per_host_delay = \"30d\"");
}

#[test]
fn a_huge_max_body_is_a_config_error() {
    for size in ["8589934591GiB", "99999999999999999999999MiB"] {
        let text = format!("{HEAD}max_body = \"{size}\"\n{FEED}");
        expect_value_refused(&text, size, "max_body");
    }
}

#[test]
fn a_user_agent_with_a_line_break_is_a_config_error() {
    // A line break would end the User-Agent header and start another one.
    let text = format!("{HEAD}user_agent = \"warta/0.1\\r\\nX-Injected: 1\"\n{FEED}");
    expect_value_refused(&text, "user_agent", "user_agent");
    let text = format!("{HEAD}user_agent = \"\"\"\nwarta/0.1\nkedua\"\"\"\n{FEED}");
    expect_value_refused(&text, "user_agent", "user_agent");
}

#[test]
fn an_empty_archive_path_is_a_config_error_not_the_default() {
    let text = format!(
        "{}{FEED}",
        HEAD.replace("path = \"archive.db\"", "path = \"\"")
    );
    expect_value_refused(&text, "archive.path", "path = \"\"");
}

#[test]
fn a_cron_date_that_never_comes_is_a_config_error() {
    for cron in ["0 6 30 2 *", "0 0 0 31 4 *"] {
        let text = format!("{HEAD}{FEED}schedule = \"{cron}\"\n");
        expect_value_refused(&text, cron, "schedule");
    }
}

#[test]
fn zero_concurrency_and_a_zero_timeout_are_config_errors() {
    let text = format!("{HEAD}concurrency = 0\n{FEED}");
    expect_value_refused(&text, "concurrency", "concurrency");
    let text = format!(
        "{}{FEED}",
        HEAD.replace("timeout = \"5s\"", "timeout = \"0s\"")
    );
    expect_value_refused(&text, "timeout", "timeout");
}

#[test]
fn millisecond_durations_are_accepted_and_honoured() {
    let site = Server::start("127.0.0.1");
    let mut items = Vec::new();
    for n in 0..2 {
        let path = format!("/berita/{n}");
        site.route(
            &path,
            Route::html(pages::article(
                &format!("Berita {n}"),
                "2024-03-12T08:00:00+08:00",
                "id",
                &pages::story("id", 5, &["Jedamilidetik diuji."]),
            )),
        );
        items.push(Item::new(
            &format!("Berita {n}"),
            &site.url(&path),
            "Tue, 12 Mar 2024 08:00:00 +0800",
            "Berita.",
        ));
    }
    site.route("/feed.xml", Route::rss(rss("Jeda", &site.base(), &items)));
    let ws = Workspace::new();
    ws.write_config(
        &config_text(
            &[],
            &[Feed::new("jeda", &site.url("/feed.xml")).with("per_host_delay = \"300ms\"")],
        )
        .replace("timeout = \"5s\"", "timeout = \"4500ms\""),
    );

    ws.fetch_ok();

    let times: Vec<_> = site.requests().iter().map(|r| r.at).collect();
    assert!(times.len() >= 3, "{:#?}", site.requests());
    for pair in times.windows(2) {
        let gap = pair[1].duration_since(pair[0]);
        // 300 ms between requests to one host, less what the loopback's jitter takes.
        assert!(
            gap >= std::time::Duration::from_millis(250),
            "requests {gap:?} apart: {:#?}",
            site.requests()
        );
    }
}
