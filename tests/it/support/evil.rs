//! Servers that misbehave on purpose, for the fault tests: raw TCP on a free port, one
//! behaviour for every connection, written byte by byte so the client sees exactly the broken
//! protocol a bad site or a bad network produces (silence, a drip, a reset, a cut chunked
//! body, bytes that are not HTTP, an endless body, a redirect from a non-loopback address).
//!
//! `/robots.txt` gets a plain 404 whatever the behaviour (when the request can be read), so a
//! page test measures the page, not the robots lookup in front of it. Also here: a gzip bomb
//! builder, a small body that inflates a thousandfold, to serve through the ordinary fixture
//! server with `Content-Encoding: gzip`.
//!
//! Only std sockets and threads, like the fixture server.

use std::io::{Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// What the server does with each connection.
#[derive(Clone, Debug)]
pub enum Behavior {
    /// Accepts, never reads, never writes, never closes.
    Silent,
    /// Reads the request, sends `head` (status line and headers, blank line included), then
    /// one byte of `body` every `every`.
    Drip {
        head: String,
        body: Vec<u8>,
        every: Duration,
    },
    /// Sends `head` and `partial` without reading the request, then closes: the unread
    /// request makes the kernel answer with a reset (RST) instead of an orderly close.
    ResetMidBody { head: String, partial: Vec<u8> },
    /// Reads the request, answers `Transfer-Encoding: chunked` with `chunks` in full, then a
    /// chunk that announces more bytes than it sends, and closes the connection cleanly.
    TruncatedChunked {
        content_type: String,
        chunks: Vec<Vec<u8>>,
    },
    /// Waits for the first bytes of whatever the client sends (HTTP or a TLS hello), answers
    /// with `reply` verbatim, and closes.
    Raw { reply: Vec<u8> },
    /// Reads the request, sends `head`, `prefix`, then `fill` over and over until `limit`
    /// bytes of body are out or the client goes away; no Content-Length, the end is the close.
    Endless {
        head: String,
        prefix: Vec<u8>,
        fill: Vec<u8>,
        limit: u64,
    },
    /// Reads the request and answers `302 Found` to `location`.
    Redirect { location: String },
}

impl Behavior {
    /// Headers of a 200 answer of `content_type` with no length, ended by the close.
    pub fn head_until_close(content_type: &str) -> String {
        format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nConnection: close\r\n\r\n")
    }

    /// Headers of a 200 answer of `content_type` announcing `len` bytes.
    pub fn head_with_length(content_type: &str, len: usize) -> String {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
        )
    }
}

pub struct Evil {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
    /// Bytes of body written, over all connections (Drip and Endless).
    sent: Arc<AtomicUsize>,
    acceptor: Option<JoinHandle<()>>,
}

impl Evil {
    /// Serves `behavior` on `ip` (loopback, or one of this machine's own addresses) on a free
    /// port.
    pub fn start(ip: IpAddr, behavior: Behavior) -> Evil {
        let listener = TcpListener::bind((ip, 0)).expect("bind the misbehaving server");
        let addr = listener.local_addr().expect("local address");
        let stop = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicUsize::new(0));
        let sent = Arc::new(AtomicUsize::new(0));
        let acceptor = {
            let stop = Arc::clone(&stop);
            let accepted = Arc::clone(&accepted);
            let sent = Arc::clone(&sent);
            thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    accepted.fetch_add(1, Ordering::SeqCst);
                    let behavior = behavior.clone();
                    let stop = Arc::clone(&stop);
                    let sent = Arc::clone(&sent);
                    thread::spawn(move || serve(conn, &behavior, &stop, &sent));
                }
            })
        };
        Evil {
            addr,
            stop,
            accepted,
            sent,
            acceptor: Some(acceptor),
        }
    }

    pub fn loopback(behavior: Behavior) -> Evil {
        Evil::start(IpAddr::from([127, 0, 0, 1]), behavior)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT{path}` (IPv6 hosts bracketed).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Body bytes written so far.
    pub fn sent(&self) -> usize {
        self.sent.load(Ordering::SeqCst)
    }
}

impl Drop for Evil {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(handle) = self.acceptor.take() {
            let _ = handle.join();
        }
    }
}

/// How long a connection thread waits for a request before giving up on the client.
const READ_LIMIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);

fn serve(mut conn: TcpStream, behavior: &Behavior, stop: &AtomicBool, sent: &AtomicUsize) {
    let _ = conn.set_read_timeout(Some(POLL));
    let _ = conn.set_nodelay(true);
    match behavior {
        Behavior::Silent => {
            // Holding the socket open is the whole behaviour.
            while !stop.load(Ordering::SeqCst) {
                thread::sleep(POLL);
            }
        }
        Behavior::ResetMidBody { head, partial } => {
            let Some(request) = peek_head(&conn, stop) else {
                return;
            };
            if answered_robots(&mut conn, &request) {
                return;
            }
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(partial);
            let _ = conn.flush();
            // Give the bytes time to leave before the reset overtakes them.
            thread::sleep(Duration::from_millis(100));
            drop(conn);
        }
        Behavior::Raw { reply } => {
            let mut first = [0u8; 4096];
            let start = Instant::now();
            loop {
                match conn.read(&mut first) {
                    Ok(0) => return,
                    Ok(_) => break,
                    Err(_) if start.elapsed() < READ_LIMIT && !stop.load(Ordering::SeqCst) => {}
                    Err(_) => return,
                }
            }
            let _ = conn.write_all(reply);
            let _ = conn.flush();
            close_gently(conn);
        }
        _ => {
            let Some(request) = read_head(&mut conn, stop) else {
                return;
            };
            if answered_robots(&mut conn, &request) {
                return;
            }
            answer(conn, behavior, stop, sent);
        }
    }
}

fn answer(mut conn: TcpStream, behavior: &Behavior, stop: &AtomicBool, sent: &AtomicUsize) {
    match behavior {
        Behavior::Drip { head, body, every } => {
            if conn.write_all(head.as_bytes()).is_err() {
                return;
            }
            for byte in body {
                if stop.load(Ordering::SeqCst) || conn.write_all(&[*byte]).is_err() {
                    return;
                }
                let _ = conn.flush();
                sent.fetch_add(1, Ordering::SeqCst);
                thread::sleep(*every);
            }
        }
        Behavior::TruncatedChunked {
            content_type,
            chunks,
        } => {
            let mut out = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            )
            .into_bytes();
            for chunk in chunks {
                out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
            }
            // Announces 4 KiB, sends a few bytes, and never the terminating zero chunk.
            out.extend_from_slice(b"1000\r\n<item><title>Potong");
            let _ = conn.write_all(&out);
            let _ = conn.flush();
            close_gently(conn);
        }
        Behavior::Endless {
            head,
            prefix,
            fill,
            limit,
        } => {
            if conn.write_all(head.as_bytes()).is_err() || conn.write_all(prefix).is_err() {
                return;
            }
            let mut block = Vec::with_capacity(64 * 1024);
            while block.len() + fill.len() <= 64 * 1024 && !fill.is_empty() {
                block.extend_from_slice(fill);
            }
            let mut written = prefix.len() as u64;
            while written < *limit && !block.is_empty() {
                if stop.load(Ordering::SeqCst) || conn.write_all(&block).is_err() {
                    return;
                }
                written += block.len() as u64;
                sent.fetch_add(block.len(), Ordering::SeqCst);
            }
            close_gently(conn);
        }
        Behavior::Redirect { location } => {
            let head = format!(
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.flush();
            close_gently(conn);
        }
        Behavior::Silent | Behavior::ResetMidBody { .. } | Behavior::Raw { .. } => {}
    }
}

/// An orderly close: FIN after everything written, then wait briefly for the client to
/// close its side so no unread byte turns the close into a reset.
fn close_gently(mut conn: TcpStream) {
    let _ = conn.shutdown(Shutdown::Write);
    let start = Instant::now();
    let mut sink = [0u8; 4096];
    while start.elapsed() < Duration::from_secs(2) {
        match conn.read(&mut sink) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return,
        }
    }
}

/// The request head (up to the blank line), consumed from the socket.
fn read_head(conn: &mut TcpStream, stop: &AtomicBool) -> Option<String> {
    let start = Instant::now();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while find(&buf, b"\r\n\r\n").is_none() {
        if stop.load(Ordering::SeqCst) || start.elapsed() > READ_LIMIT || buf.len() > 64 * 1024 {
            return None;
        }
        match conn.read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return None,
        }
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// The request head, seen with `peek` only: the bytes stay unread in the socket.
fn peek_head(conn: &TcpStream, stop: &AtomicBool) -> Option<String> {
    let start = Instant::now();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if stop.load(Ordering::SeqCst) || start.elapsed() > READ_LIMIT {
            return None;
        }
        match conn.peek(&mut buf) {
            Ok(0) => return None,
            Ok(n) => {
                let seen = buf.get(..n).unwrap_or_default();
                if find(seen, b"\r\n\r\n").is_some() {
                    return Some(String::from_utf8_lossy(seen).into_owned());
                }
                thread::sleep(Duration::from_millis(10));
            }
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return None,
        }
    }
}

fn answered_robots(conn: &mut TcpStream, request: &str) -> bool {
    let target = request.split_whitespace().nth(1).unwrap_or("");
    if target != "/robots.txt" {
        return false;
    }
    let _ = conn.write_all(
        b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    let _ = conn.flush();
    true
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One of this machine's own addresses that is neither loopback nor private (the address the
/// route to the outside world leaves from), if it has one: a server bound there is a "public"
/// first hop whose redirect into loopback the private-address guard must refuse. Found with
/// an unconnected-in-practice UDP socket: `connect` only picks the route, nothing is sent.
pub fn public_local_address(is_private: impl Fn(IpAddr) -> bool) -> Option<IpAddr> {
    let socket = std::net::UdpSocket::bind(("0.0.0.0", 0)).ok()?;
    // TEST-NET-3, never answered; only the routing decision matters.
    socket.connect(("203.0.113.1", 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    if ip.is_unspecified() || is_private(ip) {
        return None;
    }
    // The address must really be bindable here.
    TcpListener::bind((ip, 0)).ok()?;
    Some(ip)
}

/// A host name other than `localhost` that /etc/hosts maps to 127.0.0.1, if there is one:
/// a DNS name pointing at loopback without being a literal the guard can spot by its text.
pub fn name_for_loopback() -> Option<String> {
    let hosts = std::fs::read_to_string("/etc/hosts").ok()?;
    hosts
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            (parts.next()? == "127.0.0.1").then(|| parts.map(str::to_string).collect::<Vec<_>>())
        })
        .flatten()
        .find(|name| {
            !name.eq_ignore_ascii_case("localhost")
                && !name.to_ascii_lowercase().ends_with(".localhost")
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                && std::net::ToSocketAddrs::to_socket_addrs(&(name.as_str(), 80))
                    .is_ok_and(|mut a| a.all(|a| a.ip().is_loopback()))
        })
}

/// A gzip member whose payload is `prefix` followed by `fill` repeated so the whole inflates
/// to at least `inflated` bytes, compressed about 1000:1. `prefix` goes in stored blocks; the
/// repetition is one dynamic-Huffman block whose only codes are "copy 258 bytes from distance
/// 1" and end-of-block, each one bit, so every compressed byte 0x55 stands for 4 copies (1032
/// bytes). The CRC and length are right, so a client that reads it all sees a valid body.
pub fn gzip_bomb(prefix: &[u8], fill: u8, inflated: u64) -> Vec<u8> {
    let mut payload_prefix = prefix.to_vec();
    // The copies repeat the byte before them.
    payload_prefix.push(fill);
    let copies = inflated
        .saturating_sub(payload_prefix.len() as u64)
        .div_ceil(258);
    // Whole bytes of four copies each keep the bit stream simple.
    let copies = copies.div_ceil(4) * 4;

    let mut bits = Bits::default();
    for block in payload_prefix.chunks(65_535) {
        // BFINAL 0, BTYPE 00 (stored), then LEN and its complement on a byte boundary.
        bits.put(0, 1);
        bits.put(0, 2);
        bits.align();
        let len = block.len() as u16;
        bits.bytes(&len.to_le_bytes());
        bits.bytes(&(!len).to_le_bytes());
        bits.bytes(block);
    }
    // BFINAL 1, BTYPE 10 (dynamic Huffman).
    bits.put(1, 1);
    bits.put(2, 2);
    bits.put(29, 5); // HLIT: 286 literal/length codes
    bits.put(0, 5); // HDIST: 1 distance code
    bits.put(14, 4); // HCLEN: 18 code-length codes
    // Code-length code lengths in the RFC 1951 order 16,17,18,0,8,7,9,6,10,5,11,4,12,3,13,2,14,1:
    // only 18 (a run of zeros) and 1 (length one) are used, one bit each.
    for symbol in [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1] {
        bits.put(if symbol == 18 || symbol == 1 { 1 } else { 0 }, 3);
    }
    // Canonical codes: symbol 1 is "0", symbol 18 is "1". Literal/length lengths: 256 zeros,
    // 1 for end-of-block (256), 28 zeros, 1 for length 258 (285); then distance code 0: 1.
    let zeros = |bits: &mut Bits, n: u64| {
        bits.put(1, 1);
        bits.put(n - 11, 7);
    };
    zeros(&mut bits, 138);
    zeros(&mut bits, 118);
    bits.put(0, 1);
    zeros(&mut bits, 28);
    bits.put(0, 1);
    bits.put(0, 1);
    // End-of-block is "0", length 258 is "1", distance 1 is "0": each copy is the bits 1, 0.
    bits.copies(copies);
    bits.put(0, 1);
    bits.align();
    let deflate = bits.out;

    let mut crc = flate2::Crc::new();
    crc.update(&payload_prefix);
    let block = vec![fill; 258 * 4096];
    let mut block_crc = flate2::Crc::new();
    block_crc.update(&block);
    let mut left = copies;
    while left >= 4096 {
        crc.combine(&block_crc);
        left -= 4096;
    }
    if left > 0 {
        let tail = block.get(..(left * 258) as usize).unwrap_or_default();
        crc.update(tail);
    }
    let total = payload_prefix.len() as u64 + copies * 258;

    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend_from_slice(&deflate);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out
}

/// A DEFLATE bit stream: values are packed least significant bit first.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u64, count: u32) {
        self.acc |= value << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    fn align(&mut self) {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.acc = 0;
        self.n = 0;
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// `copies` (a multiple of 4) copy codes: once the stream is byte-aligned, four copies
    /// are exactly the byte 0x55.
    fn copies(&mut self, copies: u64) {
        let mut left = copies;
        while self.n != 0 && left > 0 {
            self.put(1, 2);
            left -= 1;
        }
        let whole = left / 4;
        self.out.extend(std::iter::repeat_n(0x55u8, whole as usize));
        for _ in 0..left % 4 {
            self.put(1, 2);
        }
    }
}
