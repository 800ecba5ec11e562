//! CSV (RFC 4180): a header row, then one row per article with its scalar fields; the
//! body comes last because it is by far the longest. Records end in CRLF as the RFC says;
//! a field is quoted when it holds a comma, a quote, CR or LF, with quotes doubled. Lists
//! (other copies, places) are left to jsonl.
//!
//! The quoting is a dozen lines, so it is written here rather than taken from a CSV crate:
//! the writer needs nothing else a crate would bring (no reading, no serde mapping).

use std::io::{self, Write};

use crate::store::ExportArticle;

/// The columns, in order.
pub const COLUMNS: &[&str] = &[
    "id",
    "title",
    "url",
    "feed",
    "published",
    "fetched",
    "language",
    "author",
    "story",
    "copies",
    "source",
    "note",
    "version",
    "extractor_version",
    "raw_pages",
    "body",
];

pub fn header(out: &mut impl Write) -> io::Result<()> {
    record(out, COLUMNS.iter().copied())
}

pub fn row(out: &mut impl Write, e: &ExportArticle) -> io::Result<()> {
    let a = &e.article;
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let fields: [String; 16] = [
        a.id.to_string(),
        a.title.clone(),
        a.url.clone(),
        a.feed.clone(),
        opt(&a.published),
        a.fetched.clone(),
        opt(&a.language),
        opt(&a.author),
        a.story.to_string(),
        a.copies.to_string(),
        a.source.clone(),
        opt(&a.note),
        a.version.to_string(),
        e.extraction
            .extractor_version
            .map(|v| v.to_string())
            .unwrap_or_default(),
        e.extraction.raw_pages.to_string(),
        a.body.clone(),
    ];
    record(out, fields.iter().map(String::as_str))
}

fn record<'a>(out: &mut impl Write, fields: impl Iterator<Item = &'a str>) -> io::Result<()> {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        field(out, f)?;
    }
    out.write_all(b"\r\n")
}

fn field(out: &mut impl Write, s: &str) -> io::Result<()> {
    if !s.contains([',', '"', '\r', '\n']) {
        return out.write_all(s.as_bytes());
    }
    out.write_all(b"\"")?;
    for (i, part) in s.split('"').enumerate() {
        if i > 0 {
            out.write_all(b"\"\"")?;
        }
        out.write_all(part.as_bytes())?;
    }
    out.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(s: &str) -> String {
        let mut out = Vec::new();
        field(&mut out, s).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn plain_fields_stay_bare() {
        assert_eq!(quoted("Banjir Samarinda"), "Banjir Samarinda");
        assert_eq!(quoted(""), "");
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        assert_eq!(quoted("a, b"), "\"a, b\"");
        assert_eq!(quoted("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quoted("one\n\ntwo"), "\"one\n\ntwo\"");
        assert_eq!(quoted("cr\r"), "\"cr\r\"");
        assert_eq!(quoted("\""), "\"\"\"\"");
    }

    #[test]
    fn header_lists_every_column_once_and_ends_in_crlf() {
        let mut out = Vec::new();
        header(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, format!("{}\r\n", COLUMNS.join(",")));
        assert_eq!(COLUMNS.last(), Some(&"body"));
    }
}
