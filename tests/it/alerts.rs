//! Watch alerts end to end (issue 16): five sites carrying one press release give one
//! alert and one digest entry naming five places; a webhook body signed, keyed and whole;
//! ntfy and Telegram through fakes on loopback; retries visible in `watch list`; a kill -9
//! between storing and delivering neither loses nor doubles an alert; secrets in no output.

use crate::on_both;
use std::time::Duration;

use serde_json::Value;

use crate::support::cmd::send_signal;
use crate::support::{Feed, Route, Server, Workspace, pages, publish, wait_until};

const SECRET: &str = "rahasia-webhook-7f3a";
const TOKEN: &str = "123456:RAHASIA-bot-token";

/// The release as site `n` carries it: the same text, each site's own "Baca juga" line.
fn copy_of_release(n: usize) -> Vec<String> {
    let mut paragraphs = pages::story(
        "id",
        61,
        &["Pemkab Kutai Timur menggelar bimtek aparatur desa di Sangatta."],
    );
    paragraphs.insert(1, format!("Baca juga: berita pilihan redaksi nomor {n}."));
    paragraphs
}

/// Site `n` (127.0.0.(n+2)) with a feed of the release and, on the first, a story the
/// watch does not look for.
fn site(n: usize) -> Server {
    let s = Server::start(&format!("127.0.0.{}", n + 2));
    let mut stories = vec![(
        format!("/berita/{n}/bimtek"),
        "Bimtek aparatur desa se-Kutim digelar di Sangatta",
        copy_of_release(n),
    )];
    if n == 0 {
        stories.push((
            "/berita/cabai".into(),
            "Harga cabai naik",
            pages::story("id", 62, &["Harga cabai di pasar Balikpapan naik."]),
        ));
    }
    publish(&s, &stories);
    s
}

/// A receiver for webhooks, ntfy and the Bot API, answering `status` with `body`.
fn receiver(ip: &str, status: u16, body: &str) -> Server {
    let r = Server::start(ip);
    for path in ["/hook", "/", &format!("/bot{TOKEN}/sendMessage")] {
        r.route(
            path,
            Route::new(status)
                .header("Content-Type", "application/json")
                .body(body.as_bytes().to_vec()),
        );
    }
    r
}

fn posts(r: &Server, path: &str) -> Vec<crate::support::server::Logged> {
    r.requests_to(path)
        .into_iter()
        .filter(|l| l.method == "POST")
        .collect()
}

fn workspace(sites: &[Server], watch: &str, notify: &str) -> Workspace {
    workspace_with(sites, watch, notify, "timezone = \"Asia/Makassar\"", "")
}

/// The config of `workspace`, with `display` for the `[display]` table and `feed` added to
/// every feed.
fn workspace_with(
    sites: &[Server],
    watch: &str,
    notify: &str,
    display: &str,
    feed: &str,
) -> Workspace {
    let feeds: Vec<Feed> = sites
        .iter()
        .enumerate()
        .map(|(i, s)| Feed::new(&format!("situs-{i}"), &s.url("/rss")).with(feed))
        .collect();
    let mut text = crate::support::config_text(&[], &feeds);
    text.push_str(&format!(
        "\n[display]\n{display}\n\n[notify.webhook]\nsecret_env = \"WARTA_TEST_WEBHOOK_SECRET\"\n\n\
         [notify.telegram]\ntoken_env = \"WARTA_TEST_TELEGRAM_TOKEN\"\napi = \"{notify}\"\n\n\
         [[watch]]\nname = \"bimtek\"\nquery = \"bimtek kutim\"\n{watch}\n"
    ));
    let ws = Workspace::new();
    ws.write_config(&text);
    ws
}

fn run_with_secrets(ws: &Workspace, args: &[&str]) -> crate::support::cmd::Run {
    let mut c = ws.command(args);
    c.env("WARTA_TEST_WEBHOOK_SECRET", SECRET)
        .env("WARTA_TEST_TELEGRAM_TOKEN", TOKEN)
        .env("WARTA_ALERT_RETRY", "1s");
    crate::support::cmd::run_command(c, None, Duration::from_secs(120))
}

fn alerts_of(ws: &Workspace) -> Value {
    let listed = ws.run(&["watch", "list", "--format", "json"]).ok().json();
    listed[0]["alerts"].clone()
}

on_both! {
fn five_copies_of_a_release_make_one_alert_and_one_digest_entry_naming_five_places() {
    let sites: Vec<Server> = (0..5).map(site).collect();
    let hooks = receiver("127.0.0.9", 200, "{\"ok\":true}");
    let hook = hooks.url("/hook");
    let ntfy = format!("ntfy:{}", hooks.url("/kutim"));
    let ws = workspace(
        &sites,
        &format!(
            "notify = [\"{hook}\", \"{ntfy}\", \"telegram:-100123\"]\natom = \"watch-bimtek.xml\""
        ),
        &hooks.base(),
    );

    let run = run_with_secrets(&ws, &["-v", "fetch"]);
    run.ok();
    assert!(
        run.stdout.contains("alerts: 3 sent"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(
        crate::support::int(&ws.stats(), "stories"),
        2,
        "the five copies are one story"
    );

    // The webhook: one POST, its key as a header, its body signed with the secret.
    let received = posts(&hooks, "/hook");
    assert_eq!(received.len(), 1, "{received:#?}");
    let post = &received[0];
    let key = post
        .header("idempotency-key")
        .unwrap_or_default()
        .to_string();
    assert_eq!(key.len(), 32, "{post:#?}");
    let signature: String = warta::watch::sign(SECRET.as_bytes(), &post.body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        post.header("x-warta-signature"),
        Some(format!("sha256={signature}").as_str())
    );
    let body: Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(body["key"], key.as_str());
    assert_eq!(body["kind"], "story");
    assert_eq!(body["watch"]["name"], "bimtek");
    assert_eq!(
        body["article"]["title"],
        "Bimtek aparatur desa se-Kutim digelar di Sangatta"
    );
    assert_eq!(body["story"]["sites"], 5, "{body:#}");
    assert_eq!(body["story"]["places"].as_array().map(Vec::len), Some(5));
    assert!(
        body["snippet"]
            .as_str()
            .unwrap_or_default()
            .contains("[bimtek]"),
        "{body:#}"
    );

    // ntfy: JSON publishing to the server, the topic named.
    let ntfy_posts = posts(&hooks, "/");
    assert_eq!(ntfy_posts.len(), 1, "{ntfy_posts:#?}");
    let n: Value = serde_json::from_slice(&ntfy_posts[0].body).unwrap();
    assert_eq!(n["topic"], "kutim");
    assert!(
        n["title"]
            .as_str()
            .unwrap_or_default()
            .starts_with("bimtek: Bimtek aparatur")
    );
    let ntfy_key = ntfy_posts[0].header("idempotency-key").unwrap_or_default();
    assert!(
        ntfy_key.len() == 32 && ntfy_key != key,
        "a key per target: {ntfy_key}"
    );

    // Telegram: the Bot API's sendMessage, the chat and the text.
    let tg = posts(&hooks, &format!("/bot{TOKEN}/sendMessage"));
    assert_eq!(tg.len(), 1);
    let t: Value = serde_json::from_slice(&tg[0].body).unwrap();
    assert_eq!(t["chat_id"], -100123);
    assert!(t["text"].as_str().unwrap_or_default().contains("Sangatta"));

    // The Atom file lists the story once.
    let atom = std::fs::read_to_string(ws.path().join("watch-bimtek.xml")).unwrap();
    assert_eq!(atom.matches("<entry>").count(), 1, "{atom}");
    assert!(atom.contains("5 places so far"), "{atom}");

    // The digest: one entry, naming the other four sites.
    let digest = ws
        .run(&["watch", "digest", "bimtek", "--since", "1d"])
        .ok()
        .stdout
        .clone();
    assert!(digest.starts_with("# bimtek: 1 story\n"), "{digest}");
    assert_eq!(digest.matches("\n## ").count(), 1, "{digest}");
    assert!(digest.contains("Also on 4 other sites: "), "{digest}");
    for i in 1..5 {
        assert!(digest.contains(&format!("127.0.0.{}", i + 2)), "{digest}");
    }
    assert!(digest.contains("WITA"), "{digest}");

    // Fetching again sends nothing more.
    let again = run_with_secrets(&ws, &["fetch"]);
    again.ok();
    assert_eq!(posts(&hooks, "/hook").len(), 1);
    let a = alerts_of(&ws);
    assert_eq!(
        (a["sent"].as_i64(), a["waiting"].as_i64()),
        (Some(3), Some(0)),
        "{a:#}"
    );

    // No secret in anything printed, the webhook's own path included.
    for out in [&run.stdout, &run.stderr, &again.stderr] {
        for secret in [SECRET, TOKEN, "RAHASIA"] {
            assert!(!out.contains(secret), "{secret} printed:\n{out}");
        }
    }
}
}

on_both! {
fn a_failing_target_is_retried_and_its_failure_shown() {
    let sites = vec![site(0)];
    let hooks = receiver("127.0.0.9", 503, "{\"error\":\"sedang pemeliharaan\"}");
    let tg = Server::start("127.0.0.10");
    tg.route(
        &format!("/bot{TOKEN}/sendMessage"),
        Route::new(400)
            .header("Content-Type", "application/json")
            .body(
            b"{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: chat not found\"}"
                .to_vec(),
        ),
    );
    let ws = workspace(
        &sites,
        &format!("notify = [\"{}\", \"telegram:42\"]", hooks.url("/hook")),
        &tg.base(),
    );
    let run = run_with_secrets(&ws, &["fetch"]);
    run.ok();
    assert!(
        run.stdout.contains("alerts: 0 sent, 2 waiting"),
        "{}",
        run.stdout
    );
    let a = alerts_of(&ws);
    assert_eq!(
        (a["sent"].as_i64(), a["waiting"].as_i64()),
        (Some(0), Some(2)),
        "{a:#}"
    );
    let table = ws.run(&["watch", "list"]).ok().stdout.clone();
    assert!(table.contains("2 waiting (2 being retried)"), "{table}");
    assert!(
        table.contains("HTTP 503 from 127.0.0.9") || table.contains("chat not found"),
        "{table}"
    );
    assert!(!table.contains(TOKEN), "{table}");

    // The target is back: a run after the wait sends it, with the same key. A slow first
    // run may already have retried once (the wait is a second, doubling), so the runs go
    // on until the alert is due (the wait after n failures is 2^(n-1) s), a few at most.
    let failed_tries = posts(&hooks, "/hook").len();
    assert!(failed_tries >= 1);
    hooks.route("/hook", Route::new(200).body(b"{}".to_vec()));
    let mut a = alerts_of(&ws);
    for _ in 0..4 {
        std::thread::sleep(Duration::from_millis(1200 << (failed_tries - 1).min(3)));
        run_with_secrets(&ws, &["fetch"]).ok();
        a = alerts_of(&ws);
        if a["sent"].as_i64() == Some(1) {
            break;
        }
    }
    assert_eq!(a["sent"].as_i64(), Some(1), "{a:#}");
    let tries = posts(&hooks, "/hook");
    assert_eq!(tries.len(), failed_tries + 1, "{tries:#?}");
    assert!(
        tries
            .iter()
            .all(|t| t.header("idempotency-key") == tries[0].header("idempotency-key")),
        "{tries:#?}"
    );
    let last = a["last_error"].as_str().unwrap_or_default();
    assert!(last.contains("chat not found"), "{a:#}");
    assert!(!last.contains(TOKEN));
}
}

on_both! {
fn kill_9_between_storing_and_delivering_loses_and_doubles_nothing() {
    let sites = vec![site(0)];
    let hooks = Server::start("127.0.0.9");
    // The first delivery hangs: the daemon is killed while its alert is on the way.
    hooks.route(
        "/hook",
        Route::new(200)
            .body(b"{}".to_vec())
            .delay(Duration::from_secs(30)),
    );
    let ws = workspace_with(
        &sites,
        &format!("notify = [\"{}\"]", hooks.url("/hook")),
        &hooks.base(),
        "timezone = \"Asia/Makassar\"",
        "schedule = \"2s\"",
    );
    let spawn = |ws: &Workspace| {
        let mut c = ws.command(&["daemon"]);
        c.env("WARTA_TEST_WEBHOOK_SECRET", SECRET)
            .env("WARTA_TEST_TELEGRAM_TOKEN", TOKEN);
        crate::support::cmd::Background::spawn(c)
    };
    let mut daemon = spawn(&ws);
    let on_the_way = wait_until(Duration::from_secs(30), || {
        hooks.arrived().iter().any(|p| p == "/hook")
    });
    assert!(on_the_way, "no alert sent\n{}", daemon.stderr());
    // While the target hangs, ingest goes on: a story published now is archived.
    publish(
        &sites[0],
        &[(
            "/berita/pesut",
            "Pesut Mahakam terlihat di Muara Kaman",
            pages::story("id", 63, &["Pesutmahakam muncul lagi di Muara Kaman."]),
        )],
    );
    let archived = wait_until(Duration::from_secs(30), || {
        ws.search("pesutmahakam", &[]).len() == 1
    });
    assert!(
        archived,
        "ingest stalled behind a hanging target\n{}",
        daemon.stderr()
    );
    assert!(posts(&hooks, "/hook").is_empty(), "the target still hangs");
    send_signal(daemon.pid(), "KILL");
    daemon.wait(Duration::from_secs(10));
    let a = alerts_of(&ws);
    assert_eq!(
        (a["sent"].as_i64(), a["waiting"].as_i64()),
        (Some(0), Some(1)),
        "kept: {a:#}"
    );

    hooks.route("/hook", Route::new(200).body(b"{}".to_vec()));
    let mut daemon = spawn(&ws);
    let sent = wait_until(Duration::from_secs(30), || {
        alerts_of(&ws)["sent"].as_i64() == Some(1)
    });
    daemon.stop_cleanly();
    assert!(sent, "not sent after the restart\n{}", daemon.stderr());
    let answered: Vec<_> = posts(&hooks, "/hook");
    let keys: Vec<_> = hooks
        .arrived()
        .iter()
        .filter(|p| *p == "/hook")
        .map(|_| ())
        .collect();
    assert!(
        !answered.is_empty() && keys.len() == 2,
        "{answered:#?} {keys:?}"
    );
    // Every try of it carried one key; the archive holds one alert, sent once.
    let distinct: std::collections::BTreeSet<_> = answered
        .iter()
        .filter_map(|l| l.header("idempotency-key"))
        .collect();
    assert_eq!(distinct.len(), 1, "{answered:#?}");
    let a = alerts_of(&ws);
    assert_eq!(
        (a["sent"].as_i64(), a["waiting"].as_i64()),
        (Some(1), Some(0)),
        "{a:#}"
    );
}
}

on_both! {
fn an_email_alert_goes_over_starttls_with_its_key_and_no_password_printed() {
    use crate::support::smtp::{SinkOptions, SmtpSink, ca_file};
    const PASSWORD: &str = "sandi-smtp-rahasia";
    let sites = [site(0)];
    let sink = SmtpSink::start(SinkOptions {
        tls: true,
        ..SinkOptions::default()
    });
    let feeds = vec![Feed::new("situs-0", &sites[0].url("/rss"))];
    let mut text = crate::support::config_text(&[], &feeds);
    text.push_str(&format!(
        "\n[notify.smtp]\nhost = \"127.0.0.1\"\nport = {}\nfrom = \"Warta <warta@contoh.id>\"\n\
         user = \"desk\"\npassword_env = \"WARTA_TEST_SMTP_PASSWORD\"\nca_file = \"{}\"\n\n\
         [[watch]]\nname = \"bimtek\"\nquery = \"bimtek kutim\"\nnotify = [\"mailto:meja@contoh.id\"]\n",
        sink.port(),
        crate::support::cmd::arg(&ca_file())
    ));
    let ws = Workspace::new();
    ws.write_config(&text);
    let mut c = ws.command(&["-v", "fetch"]);
    c.env("WARTA_TEST_SMTP_PASSWORD", PASSWORD);
    let run = crate::support::cmd::run_command(c, None, Duration::from_secs(120));
    run.ok();
    let mail = sink.wait_for(1, Duration::from_secs(10));
    assert_eq!(mail.len(), 1);
    let m = &mail[0];
    assert!(m.tls, "sent over STARTTLS");
    assert_eq!(m.to, vec!["meja@contoh.id".to_string()]);
    assert_eq!(
        m.subject().as_deref(),
        Some("bimtek: Bimtek aparatur desa se-Kutim digelar di Sangatta")
    );
    assert!(m.text().contains("Sangatta"), "{}", m.text());
    let key = m.header("X-Warta-Key").unwrap_or_default();
    assert_eq!(key.len(), 32);
    assert!(m.header("Message-ID").unwrap_or_default().contains(&key));
    assert_eq!(sink.logins()[0].password, PASSWORD);
    for out in [&run.stdout, &run.stderr] {
        assert!(!out.contains(PASSWORD), "password printed:\n{out}");
    }
}
}

on_both! {
fn a_digest_watch_sends_one_message_at_its_time_listing_the_story_and_its_places() {
    use crate::ops::{get, listening_addr, sample};
    let sites: Vec<Server> = (0..5).map(site).collect();
    let hooks = receiver("127.0.0.9", 200, "{}");
    // The digest's time: the next minute at least 15 s away, in UTC.
    use chrono::Timelike;
    let now = chrono::Utc::now();
    let mut at = now + chrono::Duration::seconds(60 - i64::from(now.second()));
    if at - now < chrono::Duration::seconds(15) {
        at += chrono::Duration::minutes(1);
    }
    let ws = workspace_with(
        &sites,
        &format!(
            "notify = [\"{}\"]\ndigest = \"daily {}\"",
            hooks.url("/hook"),
            at.format("%H:%M")
        ),
        &hooks.base(),
        "timezone = \"UTC\"\n\n[daemon]\nlisten = \"127.0.0.1:0\"\nlog_format = \"json\"",
        "",
    );
    let mut c = ws.command(&["daemon"]);
    c.env("WARTA_TEST_WEBHOOK_SECRET", SECRET)
        .env("WARTA_TEST_TELEGRAM_TOKEN", TOKEN);
    let mut daemon = crate::support::cmd::Background::spawn(c);
    let addr = listening_addr(&daemon);
    let found = wait_until(Duration::from_secs(30), || {
        ws.run(&["watch", "show", "bimtek", "--format", "json"])
            .json()
            .as_array()
            .is_some_and(|h| h.len() == 1 && h[0]["copies"] == 5)
    });
    assert!(
        found,
        "the story was not found on five sites\n{}",
        daemon.stderr()
    );
    assert!(
        posts(&hooks, "/hook").is_empty(),
        "a digest watch sends no alert a story"
    );
    let wait = (at - chrono::Utc::now()).to_std().unwrap_or_default() + Duration::from_secs(30);
    let sent = wait_until(wait, || !posts(&hooks, "/hook").is_empty());
    // Counted once the courier has recorded the target's answer.
    let mut metrics = String::new();
    wait_until(Duration::from_secs(10), || {
        metrics = get(&addr, "/metrics").1;
        sample(&metrics, "warta_alerts_sent_total") == Some(1.0)
            && sample(&metrics, "warta_alerts_waiting") == Some(0.0)
    });
    daemon.stop_cleanly();
    assert!(sent, "no digest by {at}\n{}", daemon.stderr());
    let received = posts(&hooks, "/hook");
    assert_eq!(received.len(), 1, "{received:#?}");
    assert_eq!(received[0].header("x-warta-event"), Some("digest"));
    let body: Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(body["kind"], "digest");
    let stories = body["stories"].as_array().unwrap();
    assert_eq!(stories.len(), 1, "{body:#}");
    assert_eq!(stories[0]["story"]["sites"], 5);
    let md = body["markdown"].as_str().unwrap_or_default();
    assert!(md.starts_with("# bimtek: 1 story"), "{md}");
    assert!(md.contains("Also on 4 other sites"), "{md}");
    assert_eq!(
        sample(&metrics, "warta_alerts_sent_total"),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        sample(&metrics, "warta_alerts_waiting"),
        Some(0.0),
        "{metrics}"
    );
}
}

on_both! {
fn an_alert_waits_for_a_missing_secret_and_goes_once_it_is_set() {
    let sites = [site(0)];
    let hooks = receiver("127.0.0.9", 200, "{}");
    let ws = workspace(
        &sites,
        &format!("notify = [\"{}\"]", hooks.url("/hook")),
        &hooks.base(),
    );
    // No WARTA_TEST_WEBHOOK_SECRET: nothing unsigned leaves, the alert waits, the log says why.
    let mut c = ws.command(&["fetch"]);
    c.env("WARTA_ALERT_RETRY", "1s");
    let run = crate::support::cmd::run_command(c, None, Duration::from_secs(120));
    run.ok();
    assert!(
        run.stdout.contains("alerts: 0 sent, 1 waiting"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("WARTA_TEST_WEBHOOK_SECRET")
            && run.stderr.contains("webhook alerts wait in the outbox"),
        "{}",
        run.stderr
    );
    assert!(posts(&hooks, "/hook").is_empty());
    std::thread::sleep(Duration::from_millis(1200));
    run_with_secrets(&ws, &["fetch"]).ok();
    assert_eq!(posts(&hooks, "/hook").len(), 1);
    assert_eq!(alerts_of(&ws)["sent"].as_i64(), Some(1));
}
}

on_both! {
fn a_revised_article_alerts_again_only_for_a_watch_that_asks() {
    let s = site(0);
    let hooks = receiver("127.0.0.9", 200, "{}");
    hooks.route("/sekali", Route::new(200).body(b"{}".to_vec()));
    let mut text = crate::support::config_text(&[], &[Feed::new("situs-0", &s.url("/rss"))]);
    text.push_str(&format!(
        "\n[revisit]\nafter = [\"1s\", \"1h\"]\nshare = 1.0\n\n\
         [[watch]]\nname = \"revisi\"\nquery = \"bimtek kutim\"\nnotify = [\"{}\"]\non_revision = true\n\n\
         [[watch]]\nname = \"sekali\"\nquery = \"bimtek kutim\"\nnotify = [\"{}\"]\n",
        hooks.url("/hook"),
        hooks.url("/sekali")
    ));
    let ws = Workspace::new();
    ws.write_config(&text);
    ws.fetch_ok();
    assert_eq!(posts(&hooks, "/hook").len(), 1);
    assert_eq!(posts(&hooks, "/sekali").len(), 1);

    // The publisher corrects the release: a new version when the page is fetched again.
    let mut corrected = copy_of_release(0);
    corrected.push("Ralat: bimtek berlangsung empat hari, bukan tiga hari.".into());
    publish(
        &s,
        &[(
            "/berita/0/bimtek",
            "Bimtek aparatur desa se-Kutim digelar di Sangatta",
            corrected,
        )],
    );
    std::thread::sleep(Duration::from_millis(1_200));
    ws.fetch_ok();
    let revisi = posts(&hooks, "/hook");
    assert_eq!(revisi.len(), 2, "{revisi:#?}");
    let second: Value = serde_json::from_slice(&revisi[1].body).unwrap();
    assert_eq!(second["kind"], "revision");
    assert_eq!(second["article"]["version"], 2);
    assert_ne!(
        revisi[0].header("idempotency-key"),
        revisi[1].header("idempotency-key"),
        "a revision is an alert of its own"
    );
    assert_eq!(
        posts(&hooks, "/sekali").len(),
        1,
        "no revision alerts unless asked"
    );
}
}
