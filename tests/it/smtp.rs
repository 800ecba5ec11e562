//! E-mail alerts (issue 16): `warta::watch::email::Mailer` against a real SMTP server on
//! loopback (support/smtp.rs), over STARTTLS with the test CA as `ca_file`, and in the clear.

use std::path::Path;
use std::time::Duration;

use warta::config::{Password, SmtpConfig};
use warta::watch::SendError;
use warta::watch::email::{Mail, Mailer};

use crate::support::smtp::{self, SinkOptions, SmtpSink};

const SECRET: &str = "rahasia-Sangatta-2024";
const KEY: &str = "0f3a9c2e7b1d4f6a8c0e2b4d6f8a1c3e";
const SUBJECT: &str = "Bimtek aparatur desa — Sangatta";
const TEXT: &str = "Bimtek aparatur desa — Sangatta\n\nKutai Timur: pelatihan bagi aparatur desa.\nhttps://contoh.id/berita/1\n";

/// A config for `sink`, logging in as `desk` with SECRET from a file in `dir`.
fn config(sink: &SmtpSink, starttls: bool, dir: &Path) -> SmtpConfig {
    let file = dir.join("smtp-password");
    std::fs::write(&file, format!("{SECRET}\n")).unwrap();
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: sink.port(),
        from: "Warta <warta@contoh.id>".into(),
        user: Some("desk".into()),
        password: Some(Password::File(file)),
        starttls,
        ca_file: Some(smtp::ca_file()),
    }
}

fn mail() -> Mail<'static> {
    Mail {
        to: "redaksi@contoh.id",
        subject: SUBJECT,
        text: TEXT,
        key: KEY,
    }
}

async fn send(cfg: &SmtpConfig) -> Result<(), SendError> {
    Mailer::new(cfg).unwrap().send(&mail()).await
}

fn assert_names_no_secret(err: &SendError, relay: &str) {
    assert!(
        err.message.contains(relay),
        "names the relay {relay}: {err:?}"
    );
    assert!(!err.message.contains(SECRET), "no password in {err:?}");
}

#[tokio::test]
async fn an_alert_goes_over_starttls_with_a_login_and_is_the_same_message_when_resent() {
    let sink = SmtpSink::start(SinkOptions {
        tls: true,
        ..SinkOptions::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&sink, true, dir.path());
    let mailer = Mailer::new(&cfg).unwrap();
    mailer.send(&mail()).await.unwrap();
    mailer.send(&mail()).await.unwrap();

    let got = sink.wait_for(2, Duration::from_secs(5));
    let m = &got[0];
    assert!(m.tls, "the message came over TLS");
    assert_eq!(m.from, "warta@contoh.id");
    assert_eq!(m.to, vec!["redaksi@contoh.id".to_string()]);
    assert!(m.header("From").unwrap().contains("<warta@contoh.id>"));
    assert!(m.header("To").unwrap().contains("redaksi@contoh.id"));
    assert_eq!(m.subject().as_deref(), Some(SUBJECT));
    assert!(
        m.header("Content-Type")
            .unwrap()
            .to_ascii_lowercase()
            .contains("text/plain; charset=utf-8")
    );
    // lettre always ends DATA with CRLF.CRLF, so a body ending in a line break arrives with
    // one empty line more.
    assert_eq!(m.text().replace("\r\n", "\n").trim_end(), TEXT.trim_end());
    assert_eq!(
        m.header("Message-ID").unwrap(),
        format!("<{KEY}@contoh.id>")
    );
    assert_eq!(m.header("X-Warta-Key").unwrap(), KEY);
    assert_eq!(
        got[1].header("Message-ID"),
        m.header("Message-ID"),
        "a resent alert is the same message"
    );

    let login = m.auth.as_ref().expect("the session logged in");
    assert_eq!(
        (login.user.as_str(), login.password.as_str()),
        ("desk", SECRET)
    );
    assert!(login.tls, "the password went over TLS only");
    assert!(sink.logins().iter().all(|l| l.tls));
}

#[tokio::test]
async fn a_relay_without_starttls_gets_nothing_when_the_config_requires_it() {
    let sink = SmtpSink::start(SinkOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let err = send(&config(&sink, true, dir.path())).await.unwrap_err();

    assert!(!err.permanent, "{err:?}");
    assert!(err.message.contains("STARTTLS"), "{err:?}");
    assert_names_no_secret(&err, &format!("127.0.0.1:{}", sink.port()));
    assert!(sink.logins().is_empty(), "no password sent in the clear");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_550_is_permanent_and_a_451_is_for_now() {
    let dir = tempfile::tempdir().unwrap();

    let refusing = SmtpSink::start(SinkOptions {
        tls: true,
        reject_all: true,
        ..SinkOptions::default()
    });
    let err = send(&config(&refusing, true, dir.path()))
        .await
        .unwrap_err();
    assert!(err.permanent, "{err:?}");
    assert!(err.message.contains("550"), "{err:?}");
    assert_names_no_secret(&err, &format!("127.0.0.1:{}", refusing.port()));
    assert_eq!(refusing.refused(), 1);

    let busy = SmtpSink::start(SinkOptions {
        tls: true,
        fail_first: 1,
        ..SinkOptions::default()
    });
    let cfg = config(&busy, true, dir.path());
    let err = send(&cfg).await.unwrap_err();
    assert!(!err.permanent, "{err:?}");
    assert!(err.message.contains("451"), "{err:?}");
    assert_names_no_secret(&err, &format!("127.0.0.1:{}", busy.port()));
    send(&cfg).await.expect("the retry goes through");
    assert_eq!(busy.wait_for(1, Duration::from_secs(5)).len(), 1);
}

#[tokio::test]
async fn starttls_off_sends_in_the_clear_to_a_local_relay() {
    let sink = SmtpSink::start(SinkOptions::default());
    let dir = tempfile::tempdir().unwrap();
    send(&config(&sink, false, dir.path())).await.unwrap();
    let mut anonymous = config(&sink, false, dir.path());
    anonymous.user = None;
    anonymous.password = None;
    send(&anonymous).await.unwrap();

    let got = sink.wait_for(2, Duration::from_secs(5));
    assert!(!got[0].tls && !got[1].tls);
    assert_eq!(got[0].auth.as_ref().unwrap().password, SECRET);
    assert!(got[1].auth.is_none());
    assert_eq!(got[0].subject().as_deref(), Some(SUBJECT));
}

#[tokio::test]
async fn a_private_ca_is_trusted_only_when_named() {
    let sink = SmtpSink::start(SinkOptions {
        tls: true,
        ..SinkOptions::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&sink, true, dir.path());
    cfg.ca_file = None;
    let err = send(&cfg).await.unwrap_err();
    assert!(!err.permanent, "{err:?}");
    assert!(err.message.contains("TLS handshake"), "{err:?}");
    assert!(err.message.contains("ca_file"), "{err:?}");
    assert_names_no_secret(&err, &format!("127.0.0.1:{}", sink.port()));
    assert!(sink.logins().is_empty() && sink.messages().is_empty());
}

#[test]
fn a_ca_file_or_password_that_cannot_be_read_is_named() {
    let sink = SmtpSink::start(SinkOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let good = config(&sink, true, dir.path());

    let missing = dir.path().join("tidak-ada.pem");
    let cfg = SmtpConfig {
        ca_file: Some(missing.clone()),
        ..good.clone()
    };
    let err = Mailer::new(&cfg).err().unwrap();
    assert!(err.contains(&missing.display().to_string()), "{err}");

    let not_pem = dir.path().join("kunci.pem");
    std::fs::write(&not_pem, "bukan sertifikat\n").unwrap();
    let cfg = SmtpConfig {
        ca_file: Some(not_pem.clone()),
        ..good.clone()
    };
    let err = Mailer::new(&cfg).err().unwrap();
    assert!(err.contains(&not_pem.display().to_string()), "{err}");
    assert!(err.contains("no PEM certificate"), "{err}");

    let cfg = SmtpConfig {
        password: Some(Password::Env("WARTA_TEST_SMTP_PASSWORD_NEVER_SET".into())),
        ..good
    };
    let err = Mailer::new(&cfg).err().unwrap();
    assert!(err.contains("WARTA_TEST_SMTP_PASSWORD_NEVER_SET"), "{err}");
}

/// The sink itself, by hand: AUTH LOGIN, RSET, NOOP and dot-stuffing, which lettre's usual
/// session does not show.
#[test]
fn the_sink_speaks_auth_login_and_unstuffs_dots() {
    use std::io::{BufRead, BufReader, Write};

    let sink = SmtpSink::start(SinkOptions::default());
    let conn = std::net::TcpStream::connect(sink.addr()).unwrap();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut writer = conn;
    let mut say = |line: &str, expect: &str| {
        if !line.is_empty() {
            writer.write_all(format!("{line}\r\n").as_bytes()).unwrap();
        }
        loop {
            let mut answer = String::new();
            reader.read_line(&mut answer).unwrap();
            assert!(answer.starts_with(expect), "{line:?} → {answer:?}");
            if answer.as_bytes().get(3) != Some(&b'-') {
                break;
            }
        }
    };
    say("", "220");
    say("EHLO test", "250");
    say("AUTH LOGIN", "334");
    say("ZGVzaw==", "334"); // desk
    say("cmFoYXNpYQ==", "235"); // rahasia
    say("MAIL FROM:<a@contoh.id>", "250");
    say("RCPT TO:<b@contoh.id>", "250");
    say("RSET", "250");
    say("NOOP", "250");
    say("MAIL FROM:<c@contoh.id> SIZE=10", "250");
    say("RCPT TO:<d@contoh.id>", "250");
    say("RCPT TO:<e@contoh.id>", "250");
    say("DATA", "354");
    say("Subject: titik\r\n\r\n..awal\r\n.", "250");
    say("QUIT", "221");

    let got = sink.wait_for(1, Duration::from_secs(5));
    assert_eq!(got[0].from, "c@contoh.id");
    assert_eq!(got[0].to, vec!["d@contoh.id", "e@contoh.id"]);
    assert_eq!(got[0].data, b"Subject: titik\r\n\r\n.awal\r\n");
    assert!(!got[0].tls);
    let login = got[0].auth.clone().unwrap();
    assert_eq!(
        (login.mechanism.as_str(), login.user.as_str()),
        ("LOGIN", "desk")
    );
    assert_eq!(login.password, "rahasia");
}
