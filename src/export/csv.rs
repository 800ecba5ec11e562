//! CSV (RFC 4180): a header row, then one row per article with its scalar fields; the
//! body comes last because it is by far the longest. Records end in CRLF as the RFC says;
//! a field is quoted when it holds a comma, a quote, CR or LF, with quotes doubled. Lists
//! (other copies, places) are left to jsonl.
//!
//! A CSV file is opened in a spreadsheet, and its text comes from pages and feeds: a cell is
//! made [`printable`](crate::text::printable) as the terminal formats are, and one that a
//! spreadsheet would run as a formula is defused (see [`cell`]). `warta search --format csv`
//! writes its cells through the same function.
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
    out.write_all(cell(s).as_bytes())
}

/// One field as it goes into a CSV file: control characters and bidirectional overrides
/// shown as U+FFFD, a would-be formula defused, quoted when it must be.
///
/// A cell starting with `=`, `+`, `-`, `@` or tab is a formula to Excel, LibreOffice and
/// Google Sheets (`=HYPERLINK(…)`, `@SUM(…)`, `-2+3`), so it gets a leading `'`, as OWASP's
/// "CSV Injection" page advises; the spreadsheet shows the text, not its result. (CR is the
/// other starter OWASP names; it is already a U+FFFD here.) A cell that is just a number,
/// such as `-3` or `-0.5`, is left alone: no spreadsheet runs it, and a `'` would turn a
/// number column into text.
pub fn cell(s: &str) -> String {
    let s = crate::text::printable(s);
    let formula = s.starts_with(['=', '+', '-', '@', '\t']) && !is_number(&s);
    let s = if formula {
        format!("'{s}")
    } else {
        s.into_owned()
    };
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// `-12`, `-3.5`: a minus, digits, at most one decimal point with digits after it.
fn is_number(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('-') else {
        return false;
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
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
        assert_eq!(quoted("\""), "\"\"\"\"");
    }

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        assert_eq!(quoted("=1+1"), "'=1+1");
        assert_eq!(
            quoted("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        assert_eq!(quoted("+62 812"), "'+62 812");
        assert_eq!(quoted("-2+3"), "'-2+3");
        assert_eq!(quoted("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(quoted("\tx"), "'\tx");
        assert_eq!(quoted("-3"), "-3");
        assert_eq!(quoted("-0.5000"), "-0.5000");
        assert_eq!(quoted("+7"), "'+7");
        assert_eq!(quoted("-"), "'-");
        assert_eq!(quoted("-1."), "'-1.");
        assert_eq!(quoted("a=b"), "a=b");
    }

    #[test]
    fn controls_are_replaced_as_on_a_terminal() {
        assert_eq!(quoted("cr\r"), "cr\u{FFFD}");
        assert_eq!(quoted("\u{1b}[2J\u{202E}x"), "\u{FFFD}[2J\u{FFFD}x");
        assert_eq!(quoted("\rsum"), "\u{FFFD}sum");
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
