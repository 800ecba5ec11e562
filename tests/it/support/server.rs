//! A real HTTP/1.1 server on loopback that plays the part of news sites.
//!
//! Tests describe a site as routes (path, optionally Host → status, headers, body), change them
//! while the server runs (a feed gains an item), and read back what the client sent (the request
//! log). It answers conditional requests for real (ETag / Last-Modified → 304), can gzip a body
//! when the client accepts it, and can be slowed per request so a test can catch a run mid-way.
//! Only std sockets and threads: nothing here is a mock of the client under test.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;

/// What one route answers.
#[derive(Clone, Debug)]
pub struct Route {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Gzip the body when the request's Accept-Encoding allows it.
    pub gzip: bool,
    pub delay: Duration,
}

impl Route {
    pub fn new(status: u16) -> Route {
        Route {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            etag: None,
            last_modified: None,
            gzip: false,
            delay: Duration::ZERO,
        }
    }

    pub fn status(status: u16) -> Route {
        Route::new(status)
            .header("Content-Type", "text/html; charset=utf-8")
            .body(format!("<html><body><h1>{status}</h1></body></html>"))
    }

    pub fn html(body: impl Into<Vec<u8>>) -> Route {
        Route::new(200)
            .header("Content-Type", "text/html; charset=utf-8")
            .body(body)
    }

    pub fn rss(body: impl Into<Vec<u8>>) -> Route {
        Route::new(200)
            .header("Content-Type", "application/rss+xml; charset=utf-8")
            .body(body)
    }

    pub fn bytes(content_type: &str, body: impl Into<Vec<u8>>) -> Route {
        Route::new(200)
            .header("Content-Type", content_type)
            .body(body)
    }

    pub fn header(mut self, name: &str, value: &str) -> Route {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Route {
        self.body = body.into();
        self
    }

    pub fn etag(mut self, tag: &str) -> Route {
        self.etag = Some(tag.to_string());
        self
    }

    pub fn last_modified(mut self, http_date: &str) -> Route {
        self.last_modified = Some(http_date.to_string());
        self
    }

    pub fn gzip(mut self) -> Route {
        self.gzip = true;
        self
    }

    pub fn delay(mut self, delay: Duration) -> Route {
        self.delay = delay;
        self
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Logged {
    pub method: String,
    /// Path with query, as on the request line.
    pub target: String,
    /// Path without query.
    pub path: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub status: u16,
    pub gzipped: bool,
    pub at: Instant,
    /// The request's body (a POST's).
    pub body: Vec<u8>,
}

impl Logged {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    routes: HashMap<(Option<String>, String), Route>,
    log: Vec<Logged>,
    /// Paths of requests as they arrive, before any delay (the log fills when answers are sent).
    arrived: Vec<String>,
    delay: Duration,
    /// Requests being answered now, and the most there ever were at once.
    in_flight: usize,
    max_in_flight: usize,
    /// Each answered request's arrival and the end of its answer.
    spans: Vec<(Instant, Instant)>,
}

/// Counts a request in flight from its arrival until its answer is written (or fails).
struct InFlight<'a> {
    state: &'a Mutex<State>,
    since: Instant,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut st = lock(self.state);
        st.in_flight -= 1;
        let span = (self.since, Instant::now());
        st.spans.push(span);
    }
}

pub struct Server {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A test thread that panicked while holding the lock must not hide the original failure.
    state.lock().unwrap_or_else(|e| e.into_inner())
}

impl Server {
    /// Serves on `ip` (any 127.0.0.0/8 address) on a free port.
    pub fn start(ip: &str) -> Server {
        let ip: IpAddr = ip.parse().expect("an IP address");
        assert!(ip.is_loopback(), "the fixture server only binds loopback");
        let listener = TcpListener::bind((ip, 0)).expect("bind the fixture server");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let state = Arc::clone(&state);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let state = Arc::clone(&state);
                    let stop = Arc::clone(&stop);
                    thread::spawn(move || serve_connection(conn, &state, &stop));
                }
            })
        };
        Server {
            addr,
            state,
            stop,
            acceptor: Some(acceptor),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT`, no trailing slash.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base(), path)
    }

    /// Adds or replaces the route for `path` (a path, or a path with its query for an exact match).
    pub fn route(&self, path: &str, route: Route) {
        lock(&self.state)
            .routes
            .insert((None, path.to_string()), route);
    }

    /// Like `route`, but only for requests whose Host header names `host` (port ignored).
    pub fn route_host(&self, host: &str, path: &str, route: Route) {
        lock(&self.state)
            .routes
            .insert((Some(host.to_ascii_lowercase()), path.to_string()), route);
    }

    pub fn remove(&self, path: &str) {
        lock(&self.state).routes.remove(&(None, path.to_string()));
    }

    /// A delay before every answer except /robots.txt (on top of a route's own delay).
    pub fn set_delay(&self, delay: Duration) {
        lock(&self.state).delay = delay;
    }

    pub fn requests(&self) -> Vec<Logged> {
        lock(&self.state).log.clone()
    }

    /// Requests whose path (query ignored) is `path`.
    pub fn requests_to(&self, path: &str) -> Vec<Logged> {
        lock(&self.state)
            .log
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Paths (query ignored) of every request received so far, answered or not.
    pub fn arrived(&self) -> Vec<String> {
        lock(&self.state).arrived.clone()
    }

    /// The most requests this server was answering at one time.
    pub fn max_in_flight(&self) -> usize {
        lock(&self.state).max_in_flight
    }

    /// Every answered request's arrival and end, in the order they ended.
    pub fn spans(&self) -> Vec<(Instant, Instant)> {
        lock(&self.state).spans.clone()
    }

    pub fn clear_log(&self) {
        let mut st = lock(&self.state);
        st.log.clear();
        st.arrived.clear();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(handle) = self.acceptor.take() {
            let _ = handle.join();
        }
    }
}

struct Request {
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

const IDLE_POLL: Duration = Duration::from_millis(200);
const IDLE_LIMIT: Duration = Duration::from_secs(15);

fn serve_connection(mut conn: TcpStream, state: &Mutex<State>, stop: &AtomicBool) {
    let _ = conn.set_read_timeout(Some(IDLE_POLL));
    let _ = conn.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let Some(request) = read_request(&mut conn, &mut buf, stop) else {
            return;
        };
        let keep_alive = wants_keep_alive(&request);
        if respond(&mut conn, &request, state, keep_alive).is_err() || !keep_alive {
            let _ = conn.shutdown(std::net::Shutdown::Both);
            return;
        }
        if stop.load(Ordering::SeqCst) {
            return;
        }
    }
}

fn wants_keep_alive(request: &Request) -> bool {
    let connection = request
        .header("connection")
        .unwrap_or("")
        .to_ascii_lowercase();
    if request.version == "HTTP/1.0" {
        connection.contains("keep-alive")
    } else {
        !connection.contains("close")
    }
}

/// Reads one request head (and skips its body); None when the peer closed, idled out or the
/// server stops. Bytes past the request stay in `buf` for the next one (pipelining).
fn read_request(conn: &mut TcpStream, buf: &mut Vec<u8>, stop: &AtomicBool) -> Option<Request> {
    let mut idle_since = Instant::now();
    let head_end = loop {
        if let Some(pos) = find(buf, b"\r\n\r\n") {
            break pos;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let mut chunk = [0u8; 8192];
        match conn.read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                idle_since = Instant::now();
            }
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                if stop.load(Ordering::SeqCst) || idle_since.elapsed() > IDLE_LIMIT {
                    return None;
                }
            }
            Err(_) => return None,
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    buf.drain(..head_end + 4);
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let version = first.next().unwrap_or("HTTP/1.1").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut request = Request {
        method,
        target,
        version,
        headers,
        body: Vec::new(),
    };
    let body_len: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < body_len {
        let mut chunk = [0u8; 8192];
        match conn.read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                if stop.load(Ordering::SeqCst) {
                    return None;
                }
            }
            Err(_) => return None,
        }
    }
    request.body = buf.drain(..body_len).collect();
    Some(request)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn lookup(state: &State, host: Option<&str>, target: &str, path: &str) -> Option<Route> {
    let host = host.map(|h| {
        let h = h.to_ascii_lowercase();
        match h.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name.to_string(),
            _ => h,
        }
    });
    let keys = [
        (host.clone(), target.to_string()),
        (host, path.to_string()),
        (None, target.to_string()),
        (None, path.to_string()),
    ];
    keys.iter().find_map(|k| state.routes.get(k).cloned())
}

fn not_modified(route: &Route, request: &Request) -> bool {
    if let Some(inm) = request.header("if-none-match") {
        // If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
        let Some(tag) = route.etag.as_deref() else {
            return false;
        };
        return inm.split(',').map(str::trim).any(|candidate| {
            candidate == "*" || candidate.trim_start_matches("W/") == tag.trim_start_matches("W/")
        });
    }
    if let (Some(ims), Some(lm)) = (
        request.header("if-modified-since"),
        route.last_modified.as_deref(),
    ) {
        return match (
            chrono::DateTime::parse_from_rfc2822(ims),
            chrono::DateTime::parse_from_rfc2822(lm),
        ) {
            (Ok(ims), Ok(lm)) => lm <= ims,
            _ => ims == lm,
        };
    }
    false
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn respond(
    conn: &mut TcpStream,
    request: &Request,
    state: &Mutex<State>,
    keep_alive: bool,
) -> std::io::Result<()> {
    let path = request
        .target
        .split('?')
        .next()
        .unwrap_or(&request.target)
        .to_string();
    let _in_flight = {
        let mut st = lock(state);
        st.in_flight += 1;
        st.max_in_flight = st.max_in_flight.max(st.in_flight);
        InFlight {
            state,
            since: Instant::now(),
        }
    };
    let (route, global_delay) = {
        let mut st = lock(state);
        st.arrived.push(path.clone());
        let route = lookup(&st, request.header("host"), &request.target, &path);
        (route, st.delay)
    };
    let route = route.unwrap_or_else(|| Route::status(404));
    let delay = route.delay
        + if path == "/robots.txt" {
            Duration::ZERO
        } else {
            global_delay
        };
    if !delay.is_zero() {
        thread::sleep(delay);
    }

    let is_304 = route.status == 200 && not_modified(&route, request);
    let status = if is_304 { 304 } else { route.status };
    let accepts_gzip = request
        .header("accept-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("gzip"));
    let gzipped = route.gzip && accepts_gzip && !is_304;
    let body = if gzipped {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(&route.body)?;
        enc.finish()?
    } else {
        route.body.clone()
    };

    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    head.push_str(&format!(
        "Date: {}\r\n",
        chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT")
    ));
    if !is_304 {
        for (name, value) in &route.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    if let Some(tag) = &route.etag {
        head.push_str(&format!("ETag: {tag}\r\n"));
    }
    if let Some(lm) = &route.last_modified {
        head.push_str(&format!("Last-Modified: {lm}\r\n"));
    }
    if gzipped {
        head.push_str("Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n");
    }
    head.push_str(if keep_alive {
        "Connection: keep-alive\r\n\r\n"
    } else {
        "Connection: close\r\n\r\n"
    });

    lock(state).log.push(Logged {
        method: request.method.clone(),
        target: request.target.clone(),
        path,
        headers: request.headers.clone(),
        status,
        gzipped,
        at: Instant::now(),
        body: request.body.clone(),
    });

    conn.write_all(head.as_bytes())?;
    if request.method != "HEAD" && !is_304 {
        conn.write_all(&body)?;
    }
    conn.flush()
}
