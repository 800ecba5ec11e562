//! The heads of an article page's HTTP exchange as it went over the wire, for
//! `[archive] keep_raw = "response"`: what a WARC `request`/`response` pair holds beside
//! the body bytes.
//!
//! Recorded honestly, which is not byte for byte: the HTTP client parses the answer, so
//! header names come lower-case (HTTP/1 names are case-insensitive), repeated headers come
//! together after the first of their name, and the status line carries the standard reason
//! phrase for its code. Two changes are deliberate: secrets never reach the archive (the
//! values of Authorization, Proxy-Authorization, Cookie and Set-Cookie, and of every header
//! a source's config adds, which are marked sensitive, are replaced), and a
//! `Transfer-Encoding` the client undid is recorded under another name, since the body
//! kept is the one after it (a reader that saw `chunked` would try to undo it again).

use std::net::IpAddr;

use reqwest::header::{self, HeaderMap, HeaderName};

use super::Coding;

/// What stands in for a secret header's value.
pub const REDACTED: &str = "[redacted by warta]";

/// Where a `Transfer-Encoding` the client undid is recorded.
const UNDONE_TRANSFER: &str = "x-warta-undone-transfer-encoding";

/// The request and response heads of one exchange, each ending in its blank line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// Request line and headers as sent, secrets redacted.
    pub request: Vec<u8>,
    /// Status line and headers as received, secrets redacted.
    pub response: Vec<u8>,
    /// The server's address, when the connection knew it.
    pub ip: Option<IpAddr>,
}

/// Headers whose values are credentials: of warta's (Authorization, Cookie, a proxy's
/// password) or handed to it to send back (Set-Cookie).
fn secret(name: &HeaderName) -> bool {
    name == header::AUTHORIZATION
        || name == header::PROXY_AUTHORIZATION
        || name == header::COOKIE
        || name == header::SET_COOKIE
}

fn push_header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

fn push_headers(out: &mut Vec<u8>, headers: &HeaderMap, rename: impl Fn(&HeaderName) -> &str) {
    for (name, value) in headers {
        let value = if secret(name) || value.is_sensitive() {
            REDACTED.as_bytes()
        } else {
            value.as_bytes()
        };
        push_header(out, rename(name), value);
    }
}

/// `HTTP/1.1`: the version as a request or status line writes it.
fn version(v: reqwest::Version) -> &'static str {
    match v {
        reqwest::Version::HTTP_09 => "HTTP/0.9",
        reqwest::Version::HTTP_10 => "HTTP/1.0",
        reqwest::Version::HTTP_2 => "HTTP/2",
        reqwest::Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    }
}

/// The request head: the request line in origin form, `Host` (which the connection adds),
/// the headers handed to the client, and the client's `User-Agent` where no header of the
/// request's own replaced it.
pub fn request_head(
    url: &url::Url,
    headers: &HeaderMap,
    user_agent: &str,
    v: reqwest::Version,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    let mut target = url.path().to_string();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    out.extend_from_slice(format!("GET {target} {}\r\n", version(v)).as_bytes());
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => String::new(),
    };
    push_header(&mut out, "host", host.as_bytes());
    push_headers(&mut out, headers, HeaderName::as_str);
    if !headers.contains_key(header::USER_AGENT) {
        push_header(&mut out, "user-agent", user_agent.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The response head of `resp`, its body not read yet.
pub fn response_head(resp: &reqwest::Response) -> Vec<u8> {
    let status = resp.status();
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(
        format!(
            "{} {} {}\r\n",
            version(resp.version()),
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )
        .as_bytes(),
    );
    push_headers(&mut out, resp.headers(), |name| {
        if name == header::TRANSFER_ENCODING {
            UNDONE_TRANSFER
        } else {
            name.as_str()
        }
    });
    out.extend_from_slice(b"\r\n");
    out
}

/// What reading a kept body needs from its response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptHead {
    pub status: u16,
    /// The media type, lower-case, and the charset the Content-Type names.
    pub media_type: Option<String>,
    pub charset: Option<String>,
    /// The Content-Encoding the kept body is in.
    pub coding: Coding,
}

/// Reads back a head [`response_head`] wrote. `Err` says what is wrong with it.
pub fn read_response_head(head: &[u8]) -> Result<KeptHead, String> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("the kept response has no status line ({status_line:?})"))?;
    let (mut content_type, mut encoding) = (None, None);
    for line in lines.take_while(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        match name.trim().to_ascii_lowercase().as_str() {
            "content-type" => content_type = Some(value.trim().to_string()),
            "content-encoding" => encoding = Some(value.trim().to_string()),
            _ => {}
        }
    }
    let (media_type, charset) = super::split_content_type(content_type.as_deref());
    Ok(KeptHead {
        status,
        media_type,
        charset,
        coding: Coding::from_header(encoding.as_deref()),
    })
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn request_head_redacts_credentials_and_adds_host_and_agent() {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_static("text/html"));
        let mut key = HeaderValue::from_static("kunci-rahasia");
        key.set_sensitive(true);
        h.insert(HeaderName::from_static("x-api-key"), key);
        h.insert(header::COOKIE, HeaderValue::from_static("session=s3cret"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic dXNlcjpwYXNz"),
        );
        let url = url::Url::parse("http://127.0.0.1:8080/a/b?x=1#frag").unwrap();
        let head = request_head(&url, &h, "warta/1", reqwest::Version::HTTP_11);
        let text = String::from_utf8(head).unwrap();
        assert!(text.starts_with("GET /a/b?x=1 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\n"));
        assert!(text.contains("accept: text/html\r\n"), "{text}");
        assert!(text.contains("user-agent: warta/1\r\n"), "{text}");
        assert!(text.contains(&format!("cookie: {REDACTED}\r\n")), "{text}");
        assert!(
            text.contains(&format!("x-api-key: {REDACTED}\r\n")),
            "{text}"
        );
        assert!(!text.contains("s3cret") && !text.contains("dXNlcjpwYXNz"));
        assert!(!text.contains("kunci-rahasia"));
        assert!(text.ends_with("\r\n\r\n"));
    }

    #[test]
    fn kept_head_reads_back() {
        let head = b"HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=windows-1252\r\ncontent-encoding: gzip\r\n\r\n";
        let h = read_response_head(head).unwrap();
        assert_eq!(h.status, 200);
        assert_eq!(h.media_type.as_deref(), Some("text/html"));
        assert_eq!(h.charset.as_deref(), Some("windows-1252"));
        assert_eq!(h.coding, Coding::Gzip);
        assert!(read_response_head(b"garbage").is_err());
    }
}
