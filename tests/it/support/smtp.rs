//! A real ESMTP server on loopback that takes e-mail alerts: EHLO, STARTTLS (tokio-rustls,
//! with the certificate of tests/fixtures/tls), AUTH PLAIN and LOGIN, MAIL, RCPT, DATA, RSET,
//! NOOP, QUIT. It records every message it accepts and every login, and can refuse messages
//! for now (451) or for good (550) so that tests see how the client takes it.
//!
//! It runs on a thread of its own with its own tokio runtime, so a test may drive the client
//! on any runtime (or none) and read the records from plain code.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// How the sink behaves.
#[derive(Clone, Debug, Default)]
pub struct SinkOptions {
    /// Offer STARTTLS, and AUTH only once TLS is on. Without it, AUTH is offered in the clear.
    pub tls: bool,
    /// Answer the first this many messages with `451` at the end of DATA.
    pub fail_first: usize,
    /// Answer every message with `550` at the end of DATA.
    pub reject_all: bool,
}

/// A message the sink accepted.
#[derive(Clone, Debug)]
pub struct Received {
    /// MAIL FROM, without the angle brackets.
    pub from: String,
    /// RCPT TO, in order, without the angle brackets.
    pub to: Vec<String>,
    /// The message as sent after DATA, dot-unstuffed, without the final `.` line.
    pub data: Vec<u8>,
    /// The session had upgraded to TLS.
    pub tls: bool,
    /// The login of the session, if any.
    pub auth: Option<Login>,
}

/// One successful AUTH.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    /// `PLAIN` or `LOGIN`.
    pub mechanism: String,
    pub user: String,
    pub password: String,
    pub tls: bool,
}

impl Received {
    /// The header's value (the first of that name), unfolded, still encoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let text = String::from_utf8_lossy(&self.data);
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            match &mut value {
                Some(v) if line.starts_with([' ', '\t']) => v.push_str(line),
                Some(_) => break,
                None => {
                    if let Some((n, v)) = line.split_once(':')
                        && n.eq_ignore_ascii_case(name)
                    {
                        value = Some(v.trim_start().to_string());
                    }
                }
            }
        }
        value
    }

    /// The Subject, RFC 2047 `=?utf-8?b?…?=` words decoded.
    pub fn subject(&self) -> Option<String> {
        self.header("Subject").map(|s| decode_words(&s))
    }

    /// The body as text, its Content-Transfer-Encoding undone.
    pub fn text(&self) -> String {
        let text = String::from_utf8_lossy(&self.data);
        let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        let encoding = self
            .header("Content-Transfer-Encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        match encoding.trim() {
            "quoted-printable" => decode_quoted_printable(body),
            "base64" => {
                let compact: String = body.split_whitespace().collect();
                String::from_utf8(B64.decode(compact).expect("a base64 body")).expect("UTF-8")
            }
            _ => body.to_string(),
        }
    }
}

fn decode_words(value: &str) -> String {
    let mut out = String::new();
    // RFC 2047 6.2: white space between two encoded words is not part of the text.
    let mut after_word = false;
    for token in value.split_whitespace() {
        let encoded = token
            .strip_prefix("=?")
            .and_then(|w| w.strip_suffix("?="))
            .and_then(|w| w.split_once("?b?").or_else(|| w.split_once("?B?")));
        let joined = after_word && encoded.is_some();
        if !out.is_empty() && !joined {
            out.push(' ');
        }
        match encoded {
            Some((_charset, b64)) => {
                let bytes = B64.decode(b64).expect("a base64 encoded word");
                out.push_str(&String::from_utf8(bytes).expect("UTF-8"));
            }
            None => out.push_str(token),
        }
        after_word = encoded.is_some();
    }
    out
}

fn decode_quoted_printable(body: &str) -> String {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII");
            out.push(u8::from_str_radix(hex, 16).expect("an =XX escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

#[derive(Default)]
struct State {
    messages: Vec<Received>,
    logins: Vec<Login>,
    /// Messages answered 451 so far (`fail_first`).
    deferred: usize,
    /// Messages answered 451 or 550.
    refused: usize,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A test thread that panicked while holding the lock must not hide the original failure.
    state.lock().unwrap_or_else(|e| e.into_inner())
}

pub struct SmtpSink {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// The test CA the sink's certificate is signed by, for `ca_file`.
pub fn ca_file() -> PathBuf {
    tls_dir().join("ca.pem")
}

fn tls_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls")
}

fn acceptor() -> TlsAcceptor {
    let dir = tls_dir();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("server.pem"))
        .expect("read tests/fixtures/tls/server.pem")
        .collect::<Result<_, _>>()
        .expect("PEM certificates");
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).expect("the sink's key");
    let config = ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("the sink's certificate and key");
    TlsAcceptor::from(Arc::new(config))
}

impl SmtpSink {
    /// Listens on 127.0.0.1, on a free port.
    pub fn start(options: SinkOptions) -> SmtpSink {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the SMTP sink");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State::default()));
        let acceptor = options.tls.then(acceptor);
        let (stop, mut stopped) = oneshot::channel::<()>();
        let thread = {
            let state = Arc::clone(&state);
            thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("the sink's runtime");
                runtime.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                    loop {
                        tokio::select! {
                            _ = &mut stopped => break,
                            conn = listener.accept() => {
                                let Ok((conn, _)) = conn else { continue };
                                let session = Session {
                                    options: options.clone(),
                                    state: Arc::clone(&state),
                                };
                                tokio::spawn(session.run(conn, acceptor.clone()));
                            }
                        }
                    }
                });
                // Dropping the runtime ends the sessions still open.
            })
        };
        SmtpSink {
            addr,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The messages accepted so far, in order.
    pub fn messages(&self) -> Vec<Received> {
        lock(&self.state).messages.clone()
    }

    /// Every successful AUTH so far, whether a message followed or not.
    pub fn logins(&self) -> Vec<Login> {
        lock(&self.state).logins.clone()
    }

    /// Messages answered 451 or 550 so far.
    pub fn refused(&self) -> usize {
        lock(&self.state).refused
    }

    /// Waits until at least `n` messages were accepted and returns them; panics after `limit`.
    pub fn wait_for(&self, n: usize, limit: Duration) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                start.elapsed() < limit,
                "the SMTP sink got {} message(s) in {limit:?}, not {n}",
                messages.len()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// How a conversation ended.
enum Next {
    StartTls,
    Quit,
}

struct Session {
    options: SinkOptions,
    state: Arc<Mutex<State>>,
}

/// What one SMTP conversation (before or after STARTTLS) has been told.
#[derive(Default)]
struct Transaction {
    login: Option<Login>,
    from: Option<String>,
    to: Vec<String>,
}

impl Transaction {
    /// EHLO, HELO and RSET end a transaction; a login stays.
    fn reset(&mut self) {
        self.from = None;
        self.to.clear();
    }
}

impl Session {
    async fn run(self, conn: TcpStream, acceptor: Option<TlsAcceptor>) {
        let mut plain = BufReader::new(conn);
        if reply(&mut plain, "220 warta-sink ESMTP ready")
            .await
            .is_err()
        {
            return;
        }
        let Ok(Next::StartTls) = self.converse(&mut plain, false).await else {
            return;
        };
        // A client must not send anything after STARTTLS before the handshake, so nothing
        // buffered is lost here.
        let Some(acceptor) = acceptor else { return };
        let Ok(tls) = acceptor.accept(plain.into_inner()).await else {
            return;
        };
        // RFC 3207: the session starts over, EHLO and all.
        let _ = self.converse(&mut BufReader::new(tls), true).await;
    }

    async fn converse<S>(&self, stream: &mut BufReader<S>, tls: bool) -> std::io::Result<Next>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut tx = Transaction::default();
        let auth_allowed = !self.options.tls || tls;
        loop {
            let Some(line) = read_line(stream).await? else {
                return Ok(Next::Quit);
            };
            let (verb, arg) = match line.split_once(' ') {
                Some((v, a)) => (v.to_ascii_uppercase(), a.trim().to_string()),
                None => (line.to_ascii_uppercase(), String::new()),
            };
            match verb.as_str() {
                "EHLO" => {
                    let mut lines = vec!["warta-sink greets you".to_string()];
                    if self.options.tls && !tls {
                        lines.push("STARTTLS".into());
                    }
                    if auth_allowed {
                        lines.push("AUTH PLAIN LOGIN".into());
                    }
                    let last = lines.len() - 1;
                    let text: Vec<String> = lines
                        .iter()
                        .enumerate()
                        .map(|(i, l)| format!("250{}{l}", if i == last { ' ' } else { '-' }))
                        .collect();
                    reply(stream, &text.join("\r\n")).await?;
                    tx.reset();
                }
                "HELO" => {
                    reply(stream, "250 warta-sink").await?;
                    tx.reset();
                }
                "STARTTLS" if self.options.tls && !tls => {
                    reply(stream, "220 2.0.0 Ready to start TLS").await?;
                    return Ok(Next::StartTls);
                }
                "STARTTLS" => reply(stream, "502 5.5.1 STARTTLS not offered").await?,
                "AUTH" if !auth_allowed => {
                    reply(stream, "538 5.7.11 Encryption required for AUTH").await?
                }
                "AUTH" => {
                    let login = self.authenticate(stream, &arg, tls).await?;
                    match login {
                        Some(login) => {
                            lock(&self.state).logins.push(login.clone());
                            tx.login = Some(login);
                            reply(stream, "235 2.7.0 Authentication successful").await?;
                        }
                        None => reply(stream, "501 5.5.2 Cannot read the credentials").await?,
                    }
                }
                "MAIL" => match address(&arg, "FROM:") {
                    Some(from) => {
                        tx.from = Some(from);
                        tx.to.clear();
                        reply(stream, "250 2.1.0 OK").await?;
                    }
                    None => reply(stream, "501 5.5.4 Syntax: MAIL FROM:<address>").await?,
                },
                "RCPT" if tx.from.is_none() => reply(stream, "503 5.5.1 MAIL first").await?,
                "RCPT" => match address(&arg, "TO:") {
                    Some(to) => {
                        tx.to.push(to);
                        reply(stream, "250 2.1.5 OK").await?;
                    }
                    None => reply(stream, "501 5.5.4 Syntax: RCPT TO:<address>").await?,
                },
                "DATA" if tx.to.is_empty() => reply(stream, "503 5.5.1 RCPT first").await?,
                "DATA" => {
                    reply(stream, "354 End data with <CR><LF>.<CR><LF>").await?;
                    let Some(data) = read_data(stream).await? else {
                        return Ok(Next::Quit);
                    };
                    let answer = self.take(&mut tx, data, tls);
                    reply(stream, answer).await?;
                }
                "RSET" => {
                    tx.reset();
                    reply(stream, "250 2.0.0 OK").await?;
                }
                "NOOP" => reply(stream, "250 2.0.0 OK").await?,
                "QUIT" => {
                    reply(stream, "221 2.0.0 Bye").await?;
                    return Ok(Next::Quit);
                }
                _ => reply(stream, "500 5.5.2 Command not recognised").await?,
            }
        }
    }

    /// AUTH PLAIN (with or without an initial response) and AUTH LOGIN.
    async fn authenticate<S>(
        &self,
        stream: &mut BufReader<S>,
        arg: &str,
        tls: bool,
    ) -> std::io::Result<Option<Login>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let (mechanism, initial) = match arg.split_once(' ') {
            Some((m, i)) => (m.to_ascii_uppercase(), Some(i.trim().to_string())),
            None => (arg.to_ascii_uppercase(), None),
        };
        let decode = |s: &str| {
            B64.decode(s.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
        };
        let (user, password) = match mechanism.as_str() {
            "PLAIN" => {
                let response = match initial {
                    Some(i) => i,
                    None => {
                        reply(stream, "334 ").await?;
                        read_line(stream).await?.unwrap_or_default()
                    }
                };
                let Some(text) = decode(&response) else {
                    return Ok(None);
                };
                let mut parts = text.split('\0');
                let (_authzid, Some(user), Some(password)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Ok(None);
                };
                (user.to_string(), password.to_string())
            }
            "LOGIN" => {
                let user = match initial {
                    Some(i) => i,
                    None => {
                        reply(stream, &format!("334 {}", B64.encode("Username:"))).await?;
                        read_line(stream).await?.unwrap_or_default()
                    }
                };
                reply(stream, &format!("334 {}", B64.encode("Password:"))).await?;
                let password = read_line(stream).await?.unwrap_or_default();
                match (decode(&user), decode(&password)) {
                    (Some(u), Some(p)) => (u, p),
                    _ => return Ok(None),
                }
            }
            _ => return Ok(None),
        };
        Ok(Some(Login {
            mechanism,
            user,
            password,
            tls,
        }))
    }

    /// Records the message or refuses it as the options say; the reply to the final dot.
    fn take(&self, tx: &mut Transaction, data: Vec<u8>, tls: bool) -> &'static str {
        let mut state = lock(&self.state);
        let from = tx.from.take().unwrap_or_default();
        let to = std::mem::take(&mut tx.to);
        if self.options.reject_all {
            state.refused += 1;
            return "550 5.7.1 Message refused by the sink";
        }
        if state.deferred < self.options.fail_first {
            state.deferred += 1;
            state.refused += 1;
            return "451 4.3.0 Try again later";
        }
        state.messages.push(Received {
            from,
            to,
            data,
            tls,
            auth: tx.login.clone(),
        });
        "250 2.0.0 Queued"
    }
}

async fn reply<S: AsyncWrite + Unpin>(stream: &mut S, text: &str) -> std::io::Result<()> {
    stream.write_all(text.as_bytes()).await?;
    stream.write_all(b"\r\n").await?;
    stream.flush().await
}

/// One command line without its CRLF; None when the client closed.
async fn read_line<S: AsyncRead + Unpin>(
    stream: &mut BufReader<S>,
) -> std::io::Result<Option<String>> {
    let mut line = Vec::new();
    if stream.read_until(b'\n', &mut line).await? == 0 {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&line);
    Ok(Some(text.trim_end_matches(['\r', '\n']).to_string()))
}

/// The message after DATA up to the `.` line, dot-unstuffed, lines ending in CRLF; None when
/// the client closed first.
async fn read_data<S: AsyncRead + Unpin>(
    stream: &mut BufReader<S>,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    loop {
        let mut line = Vec::new();
        if stream.read_until(b'\n', &mut line).await? == 0 {
            return Ok(None);
        }
        if line == b".\r\n" {
            return Ok(Some(data));
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        data.extend_from_slice(unstuffed);
    }
}

/// `FROM:<a@b> SIZE=…` → `a@b` (an empty reverse path `<>` is allowed).
fn address(arg: &str, prefix: &str) -> Option<String> {
    let head = arg.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = arg[prefix.len()..].trim_start();
    let inner = rest.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some(inner[..end].to_string())
}
