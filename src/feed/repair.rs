//! Repairs for the ways real feeds break feed-rs, applied only after a first parse failed,
//! panicked or returned fewer items than the markup holds.
//!
//! Each repair is a small text rewrite that returns a note when it changed something, so
//! the caller can report exactly what was done. The list comes from measuring feed-rs on
//! feedparser's edge-case corpus and on Indonesian news feeds (see DESIGN.md, "Facts about
//! the chosen crates"): junk before the declaration, a second declaration, `<rss>` without
//! a usable version, bare `&`, HTML entities, e-mail addresses touching multi-byte
//! characters (a panic in feed-rs), odd `itunes:duration` values (another panic), Atom 0.3,
//! RSS 1.0 items without `<link>`, and bodies cut off mid-item. Repairs leave CDATA
//! sections and comments alone where escaping is concerned.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;
use scraper::{Html, Selector};

/// One repair: the fixed text and a note saying what changed, or None when it did not apply.
type Repair = fn(&str) -> Option<(String, String)>;

/// Applies every repair in order; returns the new text and what was done.
pub(crate) fn repair_all(text: &str) -> (String, Vec<String>) {
    let mut notes = Vec::new();
    let mut text = text.to_string();
    let steps: &[Repair] = &[
        strip_leading_junk,
        drop_later_declarations,
        fix_rss_version,
        read_atom_03_as_atom_10,
        link_rss1_items,
        escape_ampersands_and_entities,
        separate_emails,
        drop_itunes_duration,
        close_truncated,
    ];
    for step in steps {
        if let Some((fixed, note)) = step(&text) {
            text = fixed;
            notes.push(note);
        }
    }
    (text, notes)
}

fn regex(cell: &'static OnceLock<Option<Regex>>, pattern: &str) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(pattern).ok()).as_ref()
}

/// PHP warnings, blank lines or a stray BOM before `<?xml` make the whole document
/// invalid; everything before the declaration (or the first tag) is dropped.
fn strip_leading_junk(text: &str) -> Option<(String, String)> {
    let start = text
        .find("<?xml")
        .filter(|&i| i < 4096)
        .or_else(|| text.find('<'))?;
    if start == 0 {
        return None;
    }
    let rest = text.get(start..)?;
    Some((
        rest.to_string(),
        format!("removed {start} bytes before the XML declaration"),
    ))
}

/// A second `<?xml …?>` (concatenated templates) makes feed-rs panic.
fn drop_later_declarations(text: &str) -> Option<(String, String)> {
    static DECL: OnceLock<Option<Regex>> = OnceLock::new();
    let re = regex(&DECL, r"<\?xml\b[^>]*\?>")?;
    let mut count = 0;
    let fixed = re.replace_all(text, |c: &regex::Captures<'_>| {
        let first = c.get(0).is_some_and(|m| m.start() == 0);
        if first {
            c.get(0).map_or(String::new(), |m| m.as_str().to_string())
        } else {
            count += 1;
            String::new()
        }
    });
    (count > 0).then(|| {
        (
            fixed.into_owned(),
            format!("removed {count} extra XML declaration(s)"),
        )
    })
}

/// feed-rs reads `<rss>` only with version 2.0, 0.91, 0.92 or an empty version.
fn fix_rss_version(text: &str) -> Option<(String, String)> {
    static RSS: OnceLock<Option<Regex>> = OnceLock::new();
    static VERSION: OnceLock<Option<Regex>> = OnceLock::new();
    let tag = regex(&RSS, r"<rss\b[^>]*>")?.find(text)?;
    let version_re = regex(&VERSION, r#"\bversion\s*=\s*["']([^"']*)["']"#)?;
    let tag_text = tag.as_str();
    let (new_tag, note) = match version_re.captures(tag_text) {
        Some(c) => {
            let v = c.get(1)?.as_str();
            if matches!(v, "2.0" | "0.91" | "0.92" | "") {
                return None;
            }
            let m = c.get(0)?;
            let new_tag = format!(
                "{}version=\"2.0\"{}",
                tag_text.get(..m.start())?,
                tag_text.get(m.end()..)?
            );
            (new_tag, format!("replaced rss version \"{v}\" with 2.0"))
        }
        None => (
            format!("<rss version=\"2.0\"{}", tag_text.get(4..)?),
            "added missing rss version".to_string(),
        ),
    };
    let fixed = format!(
        "{}{}{}",
        text.get(..tag.start())?,
        new_tag,
        text.get(tag.end()..)?
    );
    Some((fixed, note))
}

/// Atom 0.3's namespace hides every entry from feed-rs; its elements are close enough to
/// Atom 1.0 (its `issued`/`modified` dates are recovered separately).
fn read_atom_03_as_atom_10(text: &str) -> Option<(String, String)> {
    const ATOM_03: &str = "http://purl.org/atom/ns#";
    text.contains(ATOM_03).then(|| {
        (
            text.replace(ATOM_03, "http://www.w3.org/2005/Atom"),
            "read Atom 0.3 as Atom 1.0".to_string(),
        )
    })
}

/// feed-rs drops RSS 1.0 items without a `<link>`; their `rdf:about` is the same URL.
fn link_rss1_items(text: &str) -> Option<(String, String)> {
    static ITEM: OnceLock<Option<Regex>> = OnceLock::new();
    if !root_name(text).is_some_and(|r| r.ends_with("RDF")) {
        return None;
    }
    let re = regex(
        &ITEM,
        r#"(?s)(<item\b[^>]*\brdf:about\s*=\s*"([^"]*)"[^>]*>)(.*?)(</item>)"#,
    )?;
    let mut count = 0;
    let fixed = re.replace_all(text, |c: &regex::Captures<'_>| {
        let part = |i: usize| c.get(i).map_or("", |m| m.as_str());
        if part(3).contains("<link") || part(2).trim().is_empty() {
            return part(0).to_string();
        }
        count += 1;
        format!("{}<link>{}</link>{}{}", part(1), part(2), part(3), part(4))
    });
    (count > 0).then(|| {
        (
            fixed.into_owned(),
            format!("took the link of {count} RSS 1.0 item(s) from rdf:about"),
        )
    })
}

/// Outside CDATA and comments: a `&` that starts no reference becomes `&amp;`, and HTML
/// named entities (unknown to XML) become numeric references.
fn escape_ampersands_and_entities(text: &str) -> Option<(String, String)> {
    let mut bare = 0usize;
    let mut mapped = 0usize;
    let mut cache: HashMap<String, Option<String>> = HashMap::new();
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    loop {
        let (start, end_marker) = next_verbatim(rest).unwrap_or((rest.len(), ""));
        let (markup, tail) = rest.split_at(start);
        fix_references(markup, &mut out, &mut bare, &mut mapped, &mut cache);
        if tail.is_empty() {
            break;
        }
        let end = tail
            .find(end_marker)
            .map_or(tail.len(), |i| i + end_marker.len());
        let (verbatim, after) = tail.split_at(end);
        out.push_str(verbatim);
        rest = after;
    }
    if bare == 0 && mapped == 0 {
        return None;
    }
    let mut notes = Vec::new();
    if bare > 0 {
        notes.push(format!("escaped {bare} bare '&'"));
    }
    if mapped > 0 {
        notes.push(format!("mapped {mapped} HTML entities to characters"));
    }
    Some((out, notes.join("; ")))
}

/// Where the next CDATA section or comment starts, and the marker that ends it. Searching
/// only forward from `<!` keeps the whole pass linear in the text.
fn next_verbatim(text: &str) -> Option<(usize, &'static str)> {
    let mut scan = 0;
    loop {
        let at = scan + text.get(scan..)?.find("<!")?;
        let tail = text.get(at..)?;
        if tail.starts_with("<![CDATA[") {
            return Some((at, "]]>"));
        }
        if tail.starts_with("<!--") {
            return Some((at, "-->"));
        }
        scan = at + 2;
    }
}

fn fix_references(
    markup: &str,
    out: &mut String,
    bare: &mut usize,
    mapped: &mut usize,
    cache: &mut HashMap<String, Option<String>>,
) {
    let mut pieces = markup.split('&');
    if let Some(first) = pieces.next() {
        out.push_str(first);
    }
    for piece in pieces {
        let reference = piece.split_once(';').map(|(name, _)| name);
        match reference {
            Some(r)
                if is_char_reference(r) || matches!(r, "amp" | "lt" | "gt" | "quot" | "apos") =>
            {
                out.push('&');
                out.push_str(piece);
            }
            Some(r) if is_name(r) => match html_entity(r, cache) {
                Some(chars) => {
                    for c in chars.chars() {
                        out.push_str(&format!("&#{};", u32::from(c)));
                    }
                    out.push_str(piece.get(r.len() + 1..).unwrap_or_default());
                    *mapped += 1;
                }
                None => {
                    out.push_str("&amp;");
                    out.push_str(piece);
                    *bare += 1;
                }
            },
            _ => {
                out.push_str("&amp;");
                out.push_str(piece);
                *bare += 1;
            }
        }
    }
}

fn is_char_reference(r: &str) -> bool {
    if let Some(hex) = r.strip_prefix("#x").or_else(|| r.strip_prefix("#X")) {
        !hex.is_empty() && hex.len() <= 6 && hex.chars().all(|c| c.is_ascii_hexdigit())
    } else if let Some(dec) = r.strip_prefix('#') {
        !dec.is_empty() && dec.len() <= 7 && dec.chars().all(|c| c.is_ascii_digit())
    } else {
        false
    }
}

fn is_name(r: &str) -> bool {
    r.len() <= 32
        && r.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && r.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The characters an HTML named entity stands for, decoded by html5ever so the whole
/// HTML5 entity list is known.
fn html_entity(name: &str, cache: &mut HashMap<String, Option<String>>) -> Option<String> {
    cache
        .entry(name.to_string())
        .or_insert_with(|| {
            let source = format!("&{name};");
            let fragment = Html::parse_fragment(&source);
            let decoded: String = fragment.root_element().text().collect();
            (decoded != source && !decoded.is_empty()).then_some(decoded)
        })
        .clone()
}

/// feed-rs slices one byte before and after an e-mail address in author fields; a
/// multi-byte character there (`Redaksi\u{a0}redaksi@…`) panics. A space in between
/// keeps the address and the name apart just as well.
fn separate_emails(text: &str) -> Option<(String, String)> {
    static BEFORE: OnceLock<Option<Regex>> = OnceLock::new();
    static AFTER: OnceLock<Option<Regex>> = OnceLock::new();
    let before = regex(
        &BEFORE,
        r"([^\x00-\x7F])([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})",
    )?;
    let after = regex(&AFTER, r"(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})([^\x00-\x7F])")?;
    if !before.is_match(text) && !after.is_match(text) {
        return None;
    }
    let fixed = before.replace_all(text, "$1 $2");
    let fixed = after.replace_all(&fixed, "$1 $2");
    Some((
        fixed.into_owned(),
        "separated e-mail addresses from adjacent non-ASCII characters".to_string(),
    ))
}

/// feed-rs panics on overflowing or non-ASCII durations; warta has no use for them.
fn drop_itunes_duration(text: &str) -> Option<(String, String)> {
    static DURATION: OnceLock<Option<Regex>> = OnceLock::new();
    let re = regex(
        &DURATION,
        r"(?s)<itunes:duration\b[^>]*>.*?</itunes:duration>",
    )?;
    re.is_match(text).then(|| {
        (
            re.replace_all(text, "").into_owned(),
            "dropped itunes:duration elements".to_string(),
        )
    })
}

/// The name of the document element, skipping the prolog.
pub(crate) fn root_name(text: &str) -> Option<&str> {
    let mut rest = text;
    loop {
        let at = rest.find('<')?;
        rest = rest.get(at + 1..)?;
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        return rest.get(..end).filter(|n| !n.is_empty());
    }
}

/// A body cut off in transit: keep everything up to the last complete item and close
/// the document.
fn close_truncated(text: &str) -> Option<(String, String)> {
    let root = root_name(text)?.to_string();
    if text.contains(&format!("</{root}>")) {
        return None;
    }
    let (item_end, closers) = if root == "feed" || root.ends_with(":feed") {
        ("</entry>", format!("</{root}>"))
    } else if root == "rss" {
        ("</item>", "</channel></rss>".to_string())
    } else {
        ("</item>", format!("</{root}>"))
    };
    let cut = text.rfind(item_end)? + item_end.len();
    let kept = text.get(..cut)?;
    let dropped = text.len() - cut;
    Some((
        format!("{kept}\n{closers}\n"),
        format!("cut a truncated feed back to its last complete item ({dropped} bytes dropped)"),
    ))
}

/// Says so when the document stops before its root element is closed and no repair could
/// save it, so the error points at the transfer rather than at the site.
pub(crate) fn truncation_hint(text: &str) -> Option<String> {
    let root = root_name(text)?;
    (!text.contains(&format!("</{root}>"))).then(|| {
        "the body ends before the feed does and before its first complete item: it was cut off in transfer or by the fetch size limit (fetch.max_body); try again, or raise the limit".to_string()
    })
}

/// True when the body is an HTML page rather than a feed.
pub(crate) fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .trim_start()
        .chars()
        .take(1024)
        .collect::<String>()
        .to_ascii_lowercase();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        return true;
    }
    root_name(text).is_some_and(|n| n.eq_ignore_ascii_case("html"))
}

/// The feed an HTML page advertises with `<link rel="alternate" type="…rss/atom/json…">`.
pub(crate) fn alternate_feed(html: &str, base: &url::Url) -> Option<url::Url> {
    let page = crate::extract::parse_html(html);
    let selector = Selector::parse("link[rel~=alternate][href]").ok()?;
    page.select(&selector)
        .filter(|link| {
            link.value().attr("type").is_some_and(|t| {
                let t = t.to_ascii_lowercase();
                t.contains("rss") || t.contains("atom") || t.contains("feed+json")
            })
        })
        .filter_map(|link| base.join(link.value().attr("href")?.trim()).ok())
        .find(|u| matches!(u.scheme(), "http" | "https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_repair_does_its_one_thing() {
        let cases: &[(&str, Repair, &str, &str)] = &[
            (
                "junk",
                strip_leading_junk,
                "\n\n  <?xml version=\"1.0\"?><rss/>",
                "<?xml version=\"1.0\"?><rss/>",
            ),
            (
                "php warning",
                strip_leading_junk,
                "Warning: x\n<?xml version=\"1.0\"?><rss/>",
                "<?xml version=\"1.0\"?><rss/>",
            ),
            (
                "second declaration",
                drop_later_declarations,
                "<?xml version=\"1.0\"?><rss><?xml version=\"1.0\"?></rss>",
                "<?xml version=\"1.0\"?><rss></rss>",
            ),
            (
                "no version",
                fix_rss_version,
                "<rss xmlns:a=\"b\"><channel/></rss>",
                "<rss version=\"2.0\" xmlns:a=\"b\"><channel/></rss>",
            ),
            (
                "version 2.00",
                fix_rss_version,
                "<rss version=\"2.00\"><channel/></rss>",
                "<rss version=\"2.0\"><channel/></rss>",
            ),
            (
                "bare amp",
                escape_ampersands_and_entities,
                "<t>A & B &c</t>",
                "<t>A &amp; B &amp;c</t>",
            ),
            (
                "entity",
                escape_ampersands_and_entities,
                "<t>Banjir&nbsp;di &amp; &#8212;</t>",
                "<t>Banjir&#160;di &amp; &#8212;</t>",
            ),
            (
                "unknown entity",
                escape_ampersands_and_entities,
                "<t>&bogus;</t>",
                "<t>&amp;bogus;</t>",
            ),
            (
                "cdata untouched",
                escape_ampersands_and_entities,
                "<t><![CDATA[A & B&nbsp;]]> & </t>",
                "<t><![CDATA[A & B&nbsp;]]> &amp; </t>",
            ),
            (
                "email",
                separate_emails,
                "<author>Tim\u{a0}redaksi@contoh.id</author>",
                "<author>Tim\u{a0} redaksi@contoh.id</author>",
            ),
            (
                "duration",
                drop_itunes_duration,
                "<item><itunes:duration>٣:٠٠</itunes:duration></item>",
                "<item></item>",
            ),
            (
                "truncated rss",
                close_truncated,
                "<rss><channel><item>a</item><item>b</it",
                "<rss><channel><item>a</item>\n</channel></rss>\n",
            ),
            (
                "truncated atom",
                close_truncated,
                "<feed><entry>a</entry><entry>b",
                "<feed><entry>a</entry>\n</feed>\n",
            ),
        ];
        for (name, repair, input, want) in cases {
            let got = repair(input).map(|(t, _)| t);
            assert_eq!(got.as_deref(), Some(*want), "{name}");
        }
    }

    #[test]
    fn sound_documents_need_no_repair() {
        let sound = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item><title>A &amp; B</title></item></channel></rss>";
        let (fixed, notes) = repair_all(sound);
        assert_eq!(fixed, sound);
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn html_pages_are_recognised_with_their_feed() {
        let page = r#"<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" href="/feed/"></head><body>x</body></html>"#;
        assert!(looks_like_html(page));
        let base = url::Url::parse("https://contoh.id/berita/").unwrap();
        assert_eq!(
            alternate_feed(page, &base).unwrap().as_str(),
            "https://contoh.id/feed/"
        );
        assert!(!looks_like_html("<rss version=\"2.0\"/>"));
    }
}
