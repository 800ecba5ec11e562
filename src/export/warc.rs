//! WARC/1.1 (ISO 28500:2017) records: a `warcinfo` record that opens the file, then for
//! each archived page either a `response` and a `request` record, when the archive kept the
//! exchange (`keep_raw = "response"`), or one `resource` record of its HTML.
//!
//! `resource` for a page kept as HTML: the archive has the HTML, not the HTTP exchange, and
//! a `response` record would have to make the status line and headers up. Each record
//! carries the two digests tools check, `WARC-Block-Digest` and `WARC-Payload-Digest`, as
//! SHA-1 in base32, the convention every WARC reader knows (for a `resource` record block
//! and payload are the same bytes; for a `response` the payload is the body after the
//! head, still in its Content-Encoding, as it was sent).
//!
//! With `gzip`, every record is its own gzip member (the `.warc.gz` layout readers expect:
//! they can seek to a record and decompress it alone). Record ids are `urn:uuid:` UUIDs of
//! version 8 (RFC 9562, "custom") taken from a BLAKE3 hash of what the record holds, so
//! exporting the same page twice gives the same id: the records are the same record.

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;

/// Writes WARC records to `out` as they are given.
pub struct WarcWriter<W: Write> {
    out: W,
    gzip: bool,
    info_id: String,
}

impl<W: Write> WarcWriter<W> {
    /// Opens the file with its `warcinfo` record: `fields` are the `application/warc-fields`
    /// lines of its block (software, format, description…), `filename` the file's name
    /// when it has one.
    pub fn start(
        out: W,
        gzip: bool,
        date: DateTime<Utc>,
        filename: Option<&str>,
        fields: &[(&str, &str)],
    ) -> io::Result<WarcWriter<W>> {
        let mut block = String::new();
        for (name, value) in fields {
            block.push_str(&format!("{}: {}\r\n", clean(name), clean(value)));
        }
        let date = warc_date(date);
        let info_id = record_id(&["warcinfo", &date, filename.unwrap_or(""), &block]);
        let filename = filename.map(clean);
        let mut headers = vec![
            ("WARC-Type", "warcinfo".to_string()),
            ("WARC-Record-ID", format!("<{info_id}>")),
            ("WARC-Date", date),
        ];
        if let Some(f) = filename {
            headers.push(("WARC-Filename", f));
        }
        headers.push(("Content-Type", "application/warc-fields".to_string()));
        let mut writer = WarcWriter { out, gzip, info_id };
        writer.emit(&headers, &[block.as_bytes()])?;
        Ok(writer)
    }

    /// One `resource` record: `block` as fetched from `uri` at `date`.
    pub fn resource(
        &mut self,
        uri: &str,
        date: DateTime<Utc>,
        content_type: &str,
        block: &[u8],
    ) -> io::Result<()> {
        let digest = sha1_of(&[block]);
        let uri = clean_uri(uri);
        let date = warc_date(date);
        let id = record_id(&["resource", &uri, &date, &digest]);
        let mut headers = self.opening("resource", &id, date, uri);
        headers.extend([
            ("Content-Type", clean(content_type)),
            ("WARC-Block-Digest", digest.clone()),
            ("WARC-Payload-Digest", digest),
        ]);
        self.emit(&headers, &[block])
    }

    /// A `response` record of `response_head` and `body` as received from `uri` at `date`,
    /// and the `request` record of `request_head` that asked for it, each naming the other
    /// (`WARC-Concurrent-To`). `truncated`: the body was cut at the fetch's size cap.
    pub fn exchange(&mut self, x: &Exchange<'_>) -> io::Result<()> {
        let uri = clean_uri(x.uri);
        let date = warc_date(x.date);
        let body_digest = sha1_of(&[x.body]);
        let response_digest = sha1_of(&[x.response_head, x.body]);
        let request_digest = sha1_of(&[x.request_head]);
        let response_id = record_id(&["response", &uri, &date, &response_digest]);
        let request_id = record_id(&["request", &uri, &date, &request_digest]);
        let mut headers = self.opening("response", &response_id, date.clone(), uri.clone());
        headers.push(("WARC-Concurrent-To", format!("<{request_id}>")));
        if let Some(ip) = x.ip {
            headers.push(("WARC-IP-Address", clean(ip)));
        }
        headers.extend([
            (
                "Content-Type",
                "application/http;msgtype=response".to_string(),
            ),
            ("WARC-Block-Digest", response_digest),
            ("WARC-Payload-Digest", body_digest),
        ]);
        if x.truncated {
            headers.push(("WARC-Truncated", "length".to_string()));
        }
        self.emit(&headers, &[x.response_head, x.body])?;
        let mut headers = self.opening("request", &request_id, date, uri);
        headers.extend([
            ("WARC-Concurrent-To", format!("<{response_id}>")),
            (
                "Content-Type",
                "application/http;msgtype=request".to_string(),
            ),
            ("WARC-Block-Digest", request_digest),
            // A GET has no body: the payload is empty.
            ("WARC-Payload-Digest", sha1_of(&[])),
        ]);
        self.emit(&headers, &[x.request_head])
    }

    /// The headers every page's record starts with.
    fn opening(
        &self,
        kind: &str,
        id: &str,
        date: String,
        uri: String,
    ) -> Vec<(&'static str, String)> {
        vec![
            ("WARC-Type", kind.to_string()),
            ("WARC-Record-ID", format!("<{id}>")),
            ("WARC-Date", date),
            ("WARC-Target-URI", uri),
            ("WARC-Warcinfo-ID", format!("<{}>", self.info_id)),
        ]
    }

    /// Flushes and hands back the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }

    fn emit(&mut self, headers: &[(&str, String)], block: &[&[u8]]) -> io::Result<()> {
        if self.gzip {
            let mut gz = GzEncoder::new(&mut self.out, Compression::default());
            record(&mut gz, headers, block)?;
            gz.finish()?;
            Ok(())
        } else {
            record(&mut self.out, headers, block)
        }
    }
}

/// One HTTP exchange as [`WarcWriter::exchange`] writes it.
pub struct Exchange<'a> {
    pub uri: &'a str,
    pub date: DateTime<Utc>,
    pub ip: Option<&'a str>,
    pub request_head: &'a [u8],
    pub response_head: &'a [u8],
    pub body: &'a [u8],
    pub truncated: bool,
}

/// The record's bytes: version line, headers, `Content-Length`, blank line, the block (its
/// parts one after another), and the two CRLFs that end every record.
fn record(out: &mut impl Write, headers: &[(&str, String)], block: &[&[u8]]) -> io::Result<()> {
    out.write_all(b"WARC/1.1\r\n")?;
    for (name, value) in headers {
        write!(out, "{name}: {value}\r\n")?;
    }
    let len: usize = block.iter().map(|b| b.len()).sum();
    write!(out, "Content-Length: {len}\r\n\r\n")?;
    for part in block {
        out.write_all(part)?;
    }
    out.write_all(b"\r\n\r\n")
}

/// `sha1:` and the SHA-1 of `parts` one after another, in base32.
fn sha1_of(parts: &[&[u8]]) -> String {
    let mut h = sha1_smol::Sha1::new();
    for p in parts {
        h.update(p);
    }
    format!("sha1:{}", base32(&h.digest().bytes()))
}

/// `2024-11-20T03:15:00Z`: WARC dates are UTC, to the second here.
pub fn warc_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A header value on one line: control characters (a CR or LF would end the header) become
/// spaces.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A URI as a header value: anything but printable ASCII percent-encoded, so a stored URL
/// that is not a clean URI still gives a well-formed header.
fn clean_uri(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if (0x21..0x7f).contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `urn:uuid:…` from a hash of `parts`: a version 8 UUID (RFC 9562), so no random source
/// and no UUID crate are needed, and the same record always gets the same id.
fn record_id(parts: &[&str]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(b"warta warc record id\0");
    for p in parts {
        // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    let hash = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&hash.as_bytes()[..16]);
    b[6] = (b[6] & 0x0f) | 0x80; // version 8
    b[8] = (b[8] & 0x3f) | 0x80; // variant 10 (RFC 9562)
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// RFC 4648 base32 (upper case, padded), the form WARC digests are written in.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = buf.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
        // Characters that carry input bits: ceil(bits / 5).
        let used = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < used {
                let index = ((n >> (35 - 5 * i)) & 0x1f) as usize;
                out.push(char::from(ALPHABET[index]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use chrono::TimeZone;

    use super::*;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 11, 20, h, 15, 0).unwrap()
    }

    fn sample(gzip: bool) -> Vec<u8> {
        let mut w = WarcWriter::start(
            Vec::new(),
            gzip,
            at(4),
            Some("kaltim.warc"),
            &[
                ("software", "warta/0.1.0"),
                ("format", "WARC File Format 1.1"),
            ],
        )
        .unwrap();
        w.resource(
            "https://kaltim.example/berita/1",
            at(3),
            "text/html; charset=utf-8",
            b"<p>Banjir</p>",
        )
        .unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn golden_warcinfo_and_resource() {
        let text = String::from_utf8(sample(false)).unwrap();
        let info_block = "software: warta/0.1.0\r\nformat: WARC File Format 1.1\r\n";
        let expected = format!(
            "WARC/1.1\r\n\
             WARC-Type: warcinfo\r\n\
             WARC-Record-ID: <urn:uuid:{info}>\r\n\
             WARC-Date: 2024-11-20T04:15:00Z\r\n\
             WARC-Filename: kaltim.warc\r\n\
             Content-Type: application/warc-fields\r\n\
             Content-Length: {info_len}\r\n\
             \r\n\
             {info_block}\r\n\r\n\
             WARC/1.1\r\n\
             WARC-Type: resource\r\n\
             WARC-Record-ID: <urn:uuid:{res}>\r\n\
             WARC-Date: 2024-11-20T03:15:00Z\r\n\
             WARC-Target-URI: https://kaltim.example/berita/1\r\n\
             WARC-Warcinfo-ID: <urn:uuid:{info}>\r\n\
             Content-Type: text/html; charset=utf-8\r\n\
             WARC-Block-Digest: sha1:{sha}\r\n\
             WARC-Payload-Digest: sha1:{sha}\r\n\
             Content-Length: 13\r\n\
             \r\n\
             <p>Banjir</p>\r\n\r\n",
            // Pinned: re-exporting a page must keep giving its record the same id.
            info = "fa4cdea1-fc1f-86bc-9ff5-8ea3c07bb490",
            res = "9255a6ae-a61e-8a97-ac06-57ea15df133c",
            info_len = info_block.len(),
            // sha1("<p>Banjir</p>") in base32, worked out with a separate tool.
            sha = "X7AEEXWCEIF4GN4KX76V4EJQE77V25J2",
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn gzip_gives_one_member_per_record() {
        let plain = sample(false);
        let packed = sample(true);
        let mut rest: &[u8] = &packed;
        let mut members = Vec::new();
        while !rest.is_empty() {
            let mut d = flate2::bufread::GzDecoder::new(rest);
            let mut one = Vec::new();
            d.read_to_end(&mut one).unwrap();
            rest = d.into_inner();
            members.push(one);
        }
        assert_eq!(members.len(), 2);
        assert!(members.iter().all(|m| m.starts_with(b"WARC/1.1\r\n")));
        assert_eq!(members.concat(), plain);
    }

    #[test]
    fn base32_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "MY======"),
            ("fo", "MZXQ===="),
            ("foo", "MZXW6==="),
            ("foob", "MZXW6YQ="),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI======"),
        ];
        for (input, want) in cases {
            assert_eq!(base32(input.as_bytes()), want, "{input:?}");
        }
        // A SHA-1 is 20 bytes: 32 characters, never padded.
        assert_eq!(base32(&[0xff; 20]).len(), 32);
        assert!(!base32(&[0xff; 20]).contains('='));
    }

    #[test]
    fn record_ids_are_version_8_and_depend_on_every_part() {
        let id = record_id(&["resource", "https://a.example/", "2024-11-20T03:15:00Z"]);
        let uuid = id.strip_prefix("urn:uuid:").unwrap();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "8", "{uuid}");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"), "{uuid}");
        assert_ne!(
            id,
            record_id(&["resource", "https://a.example/x", "2024-11-20T03:15:00Z"])
        );
        assert_ne!(record_id(&["ab", "c"]), record_id(&["a", "bc"]));
    }

    #[test]
    fn header_values_cannot_break_lines() {
        assert_eq!(clean("a\r\nb"), "a  b");
        assert_eq!(
            clean_uri("https://a.example/jalan raya\r\n/é"),
            "https://a.example/jalan%20raya%0D%0A/%C3%A9"
        );
    }
}
