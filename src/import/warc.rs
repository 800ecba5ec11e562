//! A streaming WARC reader: one record at a time from any `BufRead` (a `.warc.gz` is a
//! series of gzip members, read through `flate2::read::MultiGzDecoder`).
//!
//! Our own rather than the `warc` crate: records are simple (a version line, header lines,
//! `Content-Length` bytes of block, two line ends), the crate brings a second gzip library
//! (libflate) beside the flate2 we already use, and we need two things it does not give:
//! a bound on how much of a block is held (a huge record is cut, not buffered whole) and
//! the offset of a damaged record for the error message.

use std::io::{self, BufRead, Read};

/// One record, its block cut at the reader's limit.
#[derive(Debug)]
pub struct Record {
    /// Where the record starts in the (decompressed) stream.
    pub offset: u64,
    /// `WARC-Type`, lower-case: `response`, `resource`, `request`, `metadata`, …
    pub kind: String,
    pub target: Option<String>,
    pub date: Option<String>,
    pub content_type: Option<String>,
    pub block: Vec<u8>,
    /// The block was longer than the limit and was cut.
    pub cut: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("byte {offset}: {what}")]
    Format { offset: u64, what: String },
    #[error(
        "byte {offset}: the record is cut short ({got} of its {want} bytes); the file ends early"
    )]
    Truncated { offset: u64, want: u64, got: u64 },
}

pub struct Reader<R> {
    inner: R,
    offset: u64,
    max_block: u64,
}

impl<R: BufRead> Reader<R> {
    pub fn new(inner: R, max_block: u64) -> Self {
        Reader {
            inner,
            offset: 0,
            max_block,
        }
    }

    /// The next record; `None` at the end of the stream.
    pub fn next_record(&mut self) -> Result<Option<Record>, ReadError> {
        let mut line = Vec::new();
        // Records are separated by blank lines; a stream may end with a few.
        let start = loop {
            let at = self.offset;
            if self.line(&mut line)? == 0 {
                return Ok(None);
            }
            if !trim(&line).is_empty() {
                break at;
            }
        };
        if !line.starts_with(b"WARC/") {
            return Err(ReadError::Format {
                offset: start,
                what: format!(
                    "expected a WARC record (WARC/1.0 or WARC/1.1), found {:?}",
                    preview(&line)
                ),
            });
        }
        let mut record = Record {
            offset: start,
            kind: String::new(),
            target: None,
            date: None,
            content_type: None,
            block: Vec::new(),
            cut: false,
        };
        let mut length = None;
        loop {
            if self.line(&mut line)? == 0 {
                return Err(ReadError::Truncated {
                    offset: start,
                    want: 0,
                    got: 0,
                });
            }
            let l = trim(&line);
            if l.is_empty() {
                break;
            }
            let Some((name, value)) = header(l) else {
                continue;
            };
            match name.to_ascii_lowercase().as_str() {
                "warc-type" => record.kind = value.to_ascii_lowercase(),
                "warc-target-uri" => {
                    record.target = Some(value.trim_matches(['<', '>']).to_string())
                }
                "warc-date" => record.date = Some(value),
                "content-type" => record.content_type = Some(value),
                "content-length" => {
                    length = Some(value.parse::<u64>().map_err(|_| ReadError::Format {
                        offset: start,
                        what: format!("Content-Length {value:?} is not a number"),
                    })?)
                }
                _ => {}
            }
        }
        let Some(length) = length else {
            return Err(ReadError::Format {
                offset: start,
                what: "the record has no Content-Length".into(),
            });
        };
        let keep = length.min(self.max_block);
        let got = (&mut self.inner)
            .take(keep)
            .read_to_end(&mut record.block)? as u64;
        let skipped = if keep < length {
            record.cut = true;
            io::copy(&mut (&mut self.inner).take(length - keep), &mut io::sink())?
        } else {
            0
        };
        self.offset += got + skipped;
        if got + skipped < length {
            return Err(ReadError::Truncated {
                offset: start,
                want: length,
                got: got + skipped,
            });
        }
        Ok(Some(record))
    }

    fn line(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        buf.clear();
        // A header line longer than this is not WARC; stop before it fills memory.
        let n = (&mut self.inner).take(64 * 1024).read_until(b'\n', buf)?;
        self.offset += n as u64;
        Ok(n)
    }
}

fn trim(line: &[u8]) -> &[u8] {
    line.trim_ascii_end()
}

fn header(line: &[u8]) -> Option<(String, String)> {
    let text = String::from_utf8_lossy(line);
    let (name, value) = text.split_once(':')?;
    Some((name.trim().to_string(), value.trim().to_string()))
}

fn preview(line: &[u8]) -> String {
    String::from_utf8_lossy(&line[..line.len().min(40)])
        .trim_end()
        .to_string()
}

/// An HTTP response as a `response` record holds it.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Splits a `response` record's block into status, Content-Type and the body, undoing
/// chunked transfer and gzip or deflate content encoding (crawlers keep the bytes as the
/// server sent them).
pub fn parse_http(block: &[u8], max_body: u64) -> Result<HttpResponse, String> {
    let end = find(block, b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| find(block, b"\n\n").map(|i| (i, i + 2)))
        .ok_or("no end to the HTTP headers")?;
    let head = String::from_utf8_lossy(&block[..end.0]);
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|_| status_line.starts_with("HTTP/"))
        .ok_or_else(|| {
            format!(
                "not an HTTP status line: {:?}",
                preview(status_line.as_bytes())
            )
        })?;
    let mut content_type = None;
    let mut chunked = false;
    let mut encoding = None;
    for l in lines {
        let Some((name, value)) = l.split_once(':') else {
            continue;
        };
        let value = value.trim().to_ascii_lowercase();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-type" => content_type = Some(value),
            "transfer-encoding" => chunked = value.contains("chunked"),
            "content-encoding" => encoding = Some(value),
            _ => {}
        }
    }
    let raw = &block[end.1..];
    let body = if chunked { dechunk(raw) } else { raw.to_vec() };
    // The fetcher's decoder: the same codings, the same cap, the same errors.
    let coding = crate::fetch::Coding::from_header(encoding.as_deref());
    let body = crate::fetch::decode_body(body, &coding, false, max_body)?.body;
    Ok(HttpResponse {
        status,
        content_type,
        body,
    })
}

/// The body of a chunked transfer; a damaged chunk ends it (what came before is kept).
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    while let Some(eol) = find(raw, b"\r\n") {
        let size = String::from_utf8_lossy(&raw[..eol]);
        let size = size.split(';').next().unwrap_or_default().trim();
        let Ok(n) = usize::from_str_radix(size, 16) else {
            break;
        };
        let start = eol + 2;
        if n == 0 || start + n > raw.len() {
            out.extend_from_slice(&raw[start.min(raw.len())..(start + n).min(raw.len())]);
            break;
        }
        out.extend_from_slice(&raw[start..start + n]);
        raw = raw.get(start + n + 2..).unwrap_or_default();
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The media type (lower-case) and charset of a Content-Type value.
pub fn media(content_type: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(ct) = content_type else {
        return (None, None);
    };
    let mut parts = ct.split(';');
    let media = parts
        .next()
        .map(|m| m.trim().to_ascii_lowercase())
        .filter(|m| !m.is_empty());
    let charset = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"').to_string())
    });
    (media, charset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: &str, block: &[u8]) -> Vec<u8> {
        let mut r = format!(
            "WARC/1.1\r\nWARC-Type: {kind}\r\nWARC-Target-URI: https://a.example/1\r\nWARC-Date: 2024-11-20T02:15:00Z\r\nContent-Length: {}\r\n\r\n",
            block.len()
        )
        .into_bytes();
        r.extend_from_slice(block);
        r.extend_from_slice(b"\r\n\r\n");
        r
    }

    #[test]
    fn reads_records_and_cuts_a_big_block() {
        let mut data = record("response", b"HTTP/1.1 200 OK\r\n\r\n<p>hi</p>");
        data.extend(record("metadata", &[b'x'; 100]));
        let mut r = Reader::new(&data[..], 50);
        let first = r.next_record().unwrap().unwrap();
        assert_eq!(first.kind, "response");
        assert_eq!(first.target.as_deref(), Some("https://a.example/1"));
        assert!(!first.cut);
        let second = r.next_record().unwrap().unwrap();
        assert_eq!((second.block.len(), second.cut), (50, true));
        assert!(r.next_record().unwrap().is_none());
    }

    #[test]
    fn a_short_last_record_is_truncated_with_its_offset() {
        let mut data = record("resource", b"abc");
        let at = data.len() as u64;
        let mut last = record("resource", b"0123456789");
        last.truncate(last.len() - 8);
        data.extend(last);
        let mut r = Reader::new(&data[..], 1 << 20);
        assert!(r.next_record().unwrap().is_some());
        match r.next_record() {
            Err(ReadError::Truncated { offset, want, .. }) => assert_eq!((offset, want), (at, 10)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn http_chunked_and_gzip_bodies_are_undone() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"<p>halo</p>").unwrap();
        let body = gz.finish().unwrap();
        let mut block = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=\"ISO-8859-1\"\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n{:x}\r\n",
            body.len()
        )
        .into_bytes();
        block.extend_from_slice(&body);
        block.extend_from_slice(b"\r\n0\r\n\r\n");
        let resp = parse_http(&block, 1 << 20).unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.body, b"<p>halo</p>");
        assert_eq!(
            media(resp.content_type.as_deref()),
            (Some("text/html".into()), Some("iso-8859-1".into()))
        );
    }
}
