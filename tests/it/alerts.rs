//! Watch alerts end to end (issue 16): five sites carrying one press release give one
//! alert and one digest entry naming five places; a webhook body signed, keyed and whole;
//! ntfy and Telegram through fakes on loopback; retries visible in `watch list`; a kill -9
//! between storing and delivering neither loses nor doubles an alert; secrets in no output.

use std::time::Duration;

use serde_json::Value;

use crate::support::cmd::send_signal;
use crate::support::{Feed, Item, Route, Server, Workspace, pages, rss, wait_until};

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
    let mut items = Vec::new();
    let mut serve = |path: &str, title: &str, paragraphs: Vec<String>| {
        s.route(
            path,
            Route::html(pages::article(
                title,
                "2024-11-20T10:15:00+08:00",
                "id",
                &paragraphs,
            )),
        );
        items.push(Item::new(
            title,
            &s.url(path),
            "Wed, 20 Nov 2024 10:00:00 +0800",
            "ringkas",
        ));
    };
    serve(
        &format!("/berita/{n}/bimtek"),
        "Bimtek aparatur desa se-Kutim digelar di Sangatta",
        copy_of_release(n),
    );
    if n == 0 {
        serve(
            "/berita/cabai",
            "Harga cabai naik",
            pages::story("id", 62, &["Harga cabai di pasar Balikpapan naik."]),
        );
    }
    s.route("/rss", Route::rss(rss("Kaltim", &s.base(), &items)));
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
    let feeds: Vec<Feed> = sites
        .iter()
        .enumerate()
        .map(|(i, s)| Feed::new(&format!("situs-{i}"), &s.url("/rss")))
        .collect();
    let mut text = crate::support::config_text(&[], &feeds);
    text.push_str(&format!(
        "\n[display]\ntimezone = \"Asia/Makassar\"\n\n[notify.webhook]\nsecret_env = \"WARTA_TEST_WEBHOOK_SECRET\"\n\n\
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

#[test]
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

#[test]
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

    // The target is back: the next run after the wait sends it, with the same key.
    hooks.route("/hook", Route::new(200).body(b"{}".to_vec()));
    std::thread::sleep(Duration::from_millis(1200));
    run_with_secrets(&ws, &["fetch"]).ok();
    let tries = posts(&hooks, "/hook");
    assert_eq!(tries.len(), 2, "{tries:#?}");
    assert_eq!(
        tries[0].header("idempotency-key"),
        tries[1].header("idempotency-key")
    );
    let a = alerts_of(&ws);
    assert_eq!(a["sent"].as_i64(), Some(1), "{a:#}");
    let last = a["last_error"].as_str().unwrap_or_default();
    assert!(last.contains("chat not found"), "{a:#}");
    assert!(!last.contains(TOKEN));
}

#[test]
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
    let ws = workspace(
        &sites,
        &format!("notify = [\"{}\"]", hooks.url("/hook")),
        &hooks.base(),
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

#[test]
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
