//! The daemon's own small HTTP/1.1 listener: `GET /healthz` and `GET /metrics`, nothing else.
//!
//! Hand-written over tokio's TCP socket: two fixed routes, one request per connection, the
//! response closes the connection. A request head is read up to [`MAX_HEAD`] bytes within
//! [`READ_TIMEOUT`], and at most [`MAX_CONNECTIONS`] are served at once, so a slow or
//! hostile client can hold neither memory nor the daemon. A web framework would bring far
//! more than these rules need; the listener meant for a loopback address and a Prometheus
//! scraper, not for the open internet.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::metrics::Metrics;
use crate::error::Error;

/// A request head longer than this is refused (431); a scraper's is a few hundred bytes.
pub const MAX_HEAD: usize = 8 * 1024;
/// A client has this long to send its request head, and to take the answer.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections served at once; more are closed at once rather than queued.
pub const MAX_CONNECTIONS: usize = 32;

pub struct Listener {
    listener: TcpListener,
    state: Arc<State>,
}

struct State {
    metrics: Arc<Metrics>,
    db: PathBuf,
    read_timeout: Duration,
}

impl Listener {
    /// Binds now, so that a taken port fails the daemon's start, not some later moment.
    pub async fn bind(addr: SocketAddr, metrics: Arc<Metrics>, db: PathBuf) -> Result<Self, Error> {
        let listener = TcpListener::bind(addr).await.map_err(|e| {
            Error::failure(format!(
                "cannot listen on {addr} ([daemon] listen or --listen): {e}"
            ))
        })?;
        Ok(Listener {
            listener,
            state: Arc::new(State {
                metrics,
                db,
                read_timeout: READ_TIMEOUT,
            }),
        })
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until the returned task is aborted; aborting it ends every open connection.
    pub fn serve(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
            let mut connections = JoinSet::new();
            loop {
                while connections.try_join_next().is_some() {}
                let (stream, peer) = match self.listener.accept().await {
                    Ok(c) => c,
                    Err(e) => {
                        // Out of file descriptors and the like: wait rather than spin.
                        tracing::warn!(error = %e, "listener cannot accept a connection");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let Ok(permit) = permits.clone().try_acquire_owned() else {
                    tracing::debug!(%peer, "too many connections; this one is closed");
                    continue;
                };
                let state = self.state.clone();
                connections.spawn(async move {
                    handle(stream, &state).await;
                    drop(permit);
                });
            }
        })
    }
}

async fn handle(mut stream: TcpStream, state: &State) {
    let response = match tokio::time::timeout(state.read_timeout, read_head(&mut stream)).await {
        Err(_) => Response::text(
            408,
            "Request Timeout",
            "request head not received in time\n",
        ),
        Ok(Err(response)) => response,
        Ok(Ok(head)) => route(&head, state).await,
    };
    let bytes = response.to_bytes();
    let _ = tokio::time::timeout(state.read_timeout, async {
        stream.write_all(&bytes).await?;
        stream.shutdown().await
    })
    .await;
}

/// Reads until the blank line that ends a request head.
async fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, Response> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|_| Response::text(400, "Bad Request", "the request could not be read\n"))?;
        if n == 0 {
            return Err(Response::text(
                400,
                "Bad Request",
                "the request ended early\n",
            ));
        }
        head.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n") {
            return Ok(head);
        }
        if head.len() > MAX_HEAD {
            return Err(Response::text(
                431,
                "Request Header Fields Too Large",
                "request head too large\n",
            ));
        }
    }
}

/// The method and path of a request head, if its first line is a request line.
fn request_line(head: &[u8]) -> Option<(&str, &str)> {
    let line = head.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?.trim_end_matches('\r');
    let mut parts = line.split(' ');
    let method = parts.next()?;
    let target = parts.next()?;
    let version = parts.next()?;
    if parts.next().is_some() || !version.starts_with("HTTP/1.") || method.is_empty() {
        return None;
    }
    let path = target.split(['?', '#']).next().unwrap_or(target);
    Some((method, path))
}

async fn route(head: &[u8], state: &State) -> Response {
    let Some((method, path)) = request_line(head) else {
        return Response::text(400, "Bad Request", "not an HTTP/1.x request line\n");
    };
    if path != "/healthz" && path != "/metrics" {
        return Response::text(404, "Not Found", "not found; try /healthz or /metrics\n");
    }
    let head_only = method == "HEAD";
    if method != "GET" && !head_only {
        let mut r = Response::text(405, "Method Not Allowed", "only GET is served here\n");
        r.extra = Some("Allow: GET, HEAD");
        return r;
    }
    let db = state.db.clone();
    let gauges = tokio::task::spawn_blocking(move || {
        let gauges = crate::store::gauges(&db);
        (gauges, writable(&db))
    })
    .await;
    let (gauges, writable) = match gauges {
        Ok(v) => v,
        Err(e) => (Err(crate::store::StoreError::Task(e.to_string())), Ok(())),
    };
    let mut response = if path == "/healthz" {
        let problem = match (&gauges, writable) {
            (Err(e), _) => Some(format!("database cannot be read: {e}")),
            (Ok(_), Err(e)) => Some(format!("database not writable: {e}")),
            (Ok(_), Ok(())) => None,
        };
        match state.metrics.health(Utc::now(), problem) {
            Ok(()) => Response::text(200, "OK", "ok\n"),
            Err(why) => Response::text(503, "Service Unavailable", &format!("{why}\n")),
        }
    } else {
        if let Err(e) = &gauges {
            tracing::warn!(error = %e, "metrics: cannot read the archive");
        }
        Response {
            code: 200,
            reason: "OK",
            content_type: "text/plain; version=0.0.4; charset=utf-8",
            body: state.metrics.render(gauges.as_ref().ok()).into_bytes(),
            extra: None,
            head_only: false,
        }
    };
    if head_only {
        response.head_only = true;
    }
    response
}

/// Whether this process may write the archive file: opening it for writing changes
/// nothing, and fails the way the daemon's next commit would (read-only file or mount).
fn writable(db: &std::path::Path) -> Result<(), String> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(db)
        .map(drop)
        .map_err(|e| format!("{}: {e}", db.display()))
}

struct Response {
    code: u16,
    reason: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
    extra: Option<&'static str>,
    head_only: bool,
}

impl Response {
    fn text(code: u16, reason: &'static str, body: &str) -> Response {
        Response {
            code,
            reason,
            content_type: "text/plain; charset=utf-8",
            body: body.as_bytes().to_vec(),
            extra: None,
            head_only: false,
        }
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n",
            self.code,
            self.reason,
            self.content_type,
            self.body.len()
        );
        if let Some(extra) = self.extra {
            out.push_str(extra);
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        if !self.head_only {
            bytes.extend_from_slice(&self.body);
        }
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines() {
        assert_eq!(
            request_line(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            Some(("GET", "/metrics"))
        );
        assert_eq!(
            request_line(b"GET /healthz?verbose=1 HTTP/1.0\n\n"),
            Some(("GET", "/healthz"))
        );
        assert_eq!(request_line(b"GET /metrics\r\n\r\n"), None);
        assert_eq!(request_line(b"GET /metrics HTTP/2 x\r\n\r\n"), None);
        assert_eq!(request_line(b"\xff\xfe /metrics HTTP/1.1\r\n\r\n"), None);
        assert_eq!(request_line(b"GET /metrics SPDY/3\r\n\r\n"), None);
    }

    #[test]
    fn responses_close_and_say_their_length() {
        let r = Response::text(503, "Service Unavailable", "starting\n");
        let text = String::from_utf8(r.to_bytes()).unwrap();
        assert!(
            text.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
            "{text}"
        );
        assert!(text.contains("Content-Length: 9\r\n"), "{text}");
        assert!(text.contains("Connection: close\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\nstarting\n"), "{text}");
        let mut r = Response::text(200, "OK", "ok\n");
        r.head_only = true;
        assert!(
            String::from_utf8(r.to_bytes())
                .unwrap()
                .ends_with("\r\n\r\n")
        );
    }

    fn state(dir: &std::path::Path) -> Arc<State> {
        Arc::new(State {
            read_timeout: Duration::from_millis(300),
            metrics: Arc::new(Metrics::new(
                vec![("a".into(), true)],
                Utc::now(),
                super::super::metrics::MIN_STALE_AFTER,
            )),
            db: dir.join("missing.db"),
        })
    }

    /// A listener on a free loopback port, serving.
    async fn start(dir: &std::path::Path) -> (SocketAddr, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let l = Listener {
            listener,
            state: state(dir),
        };
        let addr = l.local_addr().unwrap();
        (addr, l.serve())
    }

    async fn exchange(addr: SocketAddr, request: &[u8]) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(request).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        String::from_utf8_lossy(&out).into_owned()
    }

    #[tokio::test]
    async fn routes_methods_and_limits_over_loopback() {
        let dir = tempfile::tempdir().unwrap();
        let (addr, server) = start(dir.path()).await;

        let r = exchange(addr, b"GET /nothing HTTP/1.1\r\n\r\n").await;
        assert!(r.starts_with("HTTP/1.1 404 "), "{r}");
        let r = exchange(addr, b"POST /metrics HTTP/1.1\r\n\r\n").await;
        assert!(
            r.starts_with("HTTP/1.1 405 ") && r.contains("Allow: GET, HEAD"),
            "{r}"
        );
        let r = exchange(addr, b"hello\r\n\r\n").await;
        assert!(r.starts_with("HTTP/1.1 400 "), "{r}");
        let mut big = b"GET /metrics HTTP/1.1\r\n".to_vec();
        big.extend(std::iter::repeat_n(b'x', MAX_HEAD + 10));
        let r = exchange(addr, &big).await;
        assert!(r.starts_with("HTTP/1.1 431 "), "{r}");
        // No archive: unhealthy, with the reason; metrics still answer.
        let r = exchange(addr, b"GET /healthz HTTP/1.1\r\n\r\n").await;
        assert!(
            r.starts_with("HTTP/1.1 503 ") && r.contains("database cannot be read"),
            "{r}"
        );
        let r = exchange(addr, b"GET /metrics HTTP/1.1\r\n\r\n").await;
        assert!(
            r.starts_with("HTTP/1.1 200 ") && r.contains("warta_archive_readable 0"),
            "{r}"
        );
        server.abort();
    }

    #[tokio::test]
    async fn a_silent_client_is_answered_408_and_let_go() {
        let dir = tempfile::tempdir().unwrap();
        let (addr, server) = start(dir.path()).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /metr").await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        let r = String::from_utf8_lossy(&out);
        assert!(r.starts_with("HTTP/1.1 408 "), "{r}");
        server.abort();
    }
}
