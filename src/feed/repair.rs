//! Text-level repairs made before the forgiving reader ([`super::loose`]) walks a feed.
//!
//! The reader tolerates wrong structure by itself; what it cannot tell apart is text that
//! breaks XML's lexical rules: junk before the declaration (PHP warnings), a second
//! declaration from concatenated templates, bare `&` and HTML entities XML does not know.
//! Each repair is a small rewrite that returns a note when it changed something, so the
//! feed's report says exactly what was wrong. Repairs leave CDATA sections and comments
//! alone.

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
        escape_ampersands_and_entities,
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
pub(crate) fn html_entity(
    name: &str,
    cache: &mut HashMap<String, Option<String>>,
) -> Option<String> {
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
