//! Plain text from the HTML that feeds put in titles and item bodies.
//!
//! Feed titles arrive with entities still in them (`Banjir&nbsp;di`, double-escaped
//! `&amp;quot;`) and bodies as HTML; the archive and search want plain text with
//! paragraphs kept. html5ever (through scraper) does the decoding, so every HTML entity
//! is known without a table of our own.

use std::sync::OnceLock;

use regex::Regex;
use scraper::{Html, Node};

/// Block-level elements: text inside a different one of these starts a new paragraph.
/// Sorted; from the HTML Living Standard's flow content that browsers render as blocks.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
];

/// Elements whose text is never reader-visible. Sorted.
const HIDDEN: &[&str] = &["iframe", "noscript", "script", "style", "template"];

/// One line of plain text: tags dropped, entities decoded, whitespace collapsed.
pub(crate) fn inline_text(s: &str) -> String {
    if !s.contains(['<', '&']) {
        return collapse(s);
    }
    // A title such as "Harga <Rp10 ribu" (from `&lt;` in the XML) is text, not a tag:
    // only markup that looks like real tags is parsed as HTML.
    let escaped;
    let source = if s.contains('<') && !has_tag(s) {
        escaped = s.replace('<', "&lt;");
        escaped.as_str()
    } else {
        s
    };
    let fragment = Html::parse_fragment(source);
    let mut out = String::with_capacity(s.len());
    for node in fragment.root_element().descendants() {
        if let Node::Text(t) = node.value()
            && !inside_hidden(node)
        {
            out.push_str(t);
        }
    }
    collapse(&out)
}

fn has_tag(s: &str) -> bool {
    static TAG: OnceLock<Option<Regex>> = OnceLock::new();
    TAG.get_or_init(|| Regex::new(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>").ok())
        .as_ref()
        .is_some_and(|re| re.is_match(s))
}

/// Plain text of an HTML fragment, paragraphs separated by a blank line.
pub(crate) fn html_to_text(html: &str) -> String {
    if !html.contains('<') {
        // Plain text (or text with entities only): its blank lines are the paragraphs.
        return html
            .split("\n\n")
            .map(inline_text)
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
    }
    let fragment = Html::parse_fragment(html);
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut current_block = None;
    let flush = |current: &mut String, paragraphs: &mut Vec<String>| {
        let p = collapse(current);
        if !p.is_empty() {
            paragraphs.push(p);
        }
        current.clear();
    };
    for node in fragment.root_element().descendants() {
        match node.value() {
            Node::Element(e) if e.name() == "br" || e.name() == "hr" => {
                flush(&mut current, &mut paragraphs);
                current_block = None;
            }
            Node::Text(t) if !inside_hidden(node) => {
                let block = node
                    .ancestors()
                    .find(|a| {
                        a.value()
                            .as_element()
                            .is_some_and(|e| BLOCKS.binary_search(&e.name()).is_ok())
                    })
                    .map(|a| a.id());
                if block != current_block {
                    flush(&mut current, &mut paragraphs);
                    current_block = block;
                }
                current.push_str(t);
            }
            _ => {}
        }
    }
    flush(&mut current, &mut paragraphs);
    paragraphs.join("\n\n")
}

/// Plain text made safe to show as HTML, one `<p>` per paragraph.
pub(crate) fn text_to_html(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let escaped = p
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            format!("<p>{escaped}</p>")
        })
        .collect()
}

fn inside_hidden(node: ego_node::NodeRef<'_>) -> bool {
    node.ancestors().any(|a| {
        a.value()
            .as_element()
            .is_some_and(|e| HIDDEN.binary_search(&e.name()).is_ok())
    })
}

/// scraper hands out ego_tree nodes; this alias keeps the one signature that names them
/// readable without depending on ego_tree directly.
mod ego_node {
    pub(crate) type NodeRef<'a> = <scraper::ElementRef<'a> as std::ops::Deref>::Target;
}

/// Undoes the two commonest mis-encodings in feed text: UTF-8 read as Windows-1252 and
/// written out again ("â€™" for "’", "â\u{80}¦" for "…"), and Windows-1252 punctuation
/// left as C1 control characters ("don\u{92}t"). Neither is ever meant: C1 controls are
/// invisible, and the byte pattern of a UTF-8 sequence almost never occurs in real text.
pub(crate) fn fix_mojibake(s: &str) -> std::borrow::Cow<'_, str> {
    let suspicious = |c: char| ('\u{80}'..='\u{ff}').contains(&c) || cp1252_byte(c).is_some();
    if s.is_ascii() || !s.chars().any(suspicious) {
        return std::borrow::Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let byte_at = |i: usize| chars.get(i).copied().and_then(cp1252_byte);
    while let Some(&c) = chars.get(i) {
        if let Some(lead) = byte_at(i).filter(|b| (0xC2..=0xF4).contains(b)) {
            let len = match lead {
                0xC2..=0xDF => 2,
                0xE0..=0xEF => 3,
                _ => 4,
            };
            let bytes: Vec<u8> = (i..i + len).map_while(byte_at).collect();
            if bytes.len() == len
                && bytes.iter().skip(1).all(|b| (0x80..=0xBF).contains(b))
                && let Ok(decoded) = std::str::from_utf8(&bytes)
            {
                out.push_str(decoded);
                i += len;
                continue;
            }
        }
        if ('\u{80}'..='\u{9f}').contains(&c) {
            let byte = [u8::try_from(u32::from(c)).unwrap_or(b'?')];
            let (decoded, _, _) = encoding_rs::WINDOWS_1252.decode(&byte);
            out.push_str(&decoded);
        } else {
            out.push(c);
        }
        i += 1;
    }
    std::borrow::Cow::Owned(out)
}

/// The Windows-1252 byte a character is written with, for characters of its upper half
/// (Latin-1 and its punctuation block); C1 controls stand for their own byte.
fn cp1252_byte(c: char) -> Option<u8> {
    static HIGH: OnceLock<Vec<(char, u8)>> = OnceLock::new();
    let code = u32::from(c);
    if (0x80..=0xFF).contains(&code) {
        return u8::try_from(code).ok();
    }
    HIGH.get_or_init(|| {
        (0x80u8..=0x9F)
            .filter_map(|b| {
                let byte = [b];
                let (d, _, _) = encoding_rs::WINDOWS_1252.decode(&byte);
                let ch = d.chars().next()?;
                (u32::from(ch) > 0xFF).then_some((ch, b))
            })
            .collect()
    })
    .iter()
    .find(|(ch, _)| *ch == c)
    .map(|(_, b)| *b)
}

/// Collapses all whitespace (including no-break spaces) to single spaces and trims.
pub(crate) fn collapse(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '\u{200b}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mojibake_is_undone_and_real_text_left_alone() {
        for (bad, good) in [
            ("don\u{92}t", "don\u{2019}t"),
            ("\u{e2}\u{80}\u{a6}", "\u{2026}"),
            ("Kutim \u{e2}\u{20ac}\u{2122}s", "Kutim \u{2019}s"),
            ("caf\u{c3}\u{a9} & Samarinda", "caf\u{e9} & Samarinda"),
            ("Bupati\u{a0}Kutim", "Bupati\u{a0}Kutim"),
            ("café déjà", "café déjà"),
            ("Rp 5 € – “kutipan”", "Rp 5 € – “kutipan”"),
            ("ゲーム三昧な正月", "ゲーム三昧な正月"),
        ] {
            assert_eq!(fix_mojibake(bad), good, "{bad:?}");
        }
    }

    #[test]
    fn inline_text_decodes_entities_and_drops_tags() {
        let cases: &[(&str, &str, &str)] = &[
            ("nbsp", "Banjir&nbsp;di Samarinda", "Banjir di Samarinda"),
            (
                "tags",
                "<b>Gempa</b> M5,2  guncang\n Palu",
                "Gempa M5,2 guncang Palu",
            ),
            ("amp", "Tom &amp; Jerry", "Tom & Jerry"),
            ("quotes", "&ldquo;Kutipan&rdquo;", "\u{201c}Kutipan\u{201d}"),
            ("lone ampersand", "AT&T < 5", "AT&T < 5"),
            ("less-than is text", "Harga <Rp10 ribu", "Harga <Rp10 ribu"),
            ("plain", "  Biasa  saja ", "Biasa saja"),
        ];
        for (name, input, want) in cases {
            assert_eq!(inline_text(input), *want, "{name}");
        }
    }

    #[test]
    fn html_to_text_keeps_paragraphs() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "p",
                "<p>Satu <b>dua</b>.</p><p>Tiga.</p>",
                "Satu dua.\n\nTiga.",
            ),
            (
                "br",
                "Baris satu<br/><br />Baris dua",
                "Baris satu\n\nBaris dua",
            ),
            (
                "div text around p",
                "<div>Awal<p>Tengah</p>Akhir</div>",
                "Awal\n\nTengah\n\nAkhir",
            ),
            (
                "script dropped",
                "<p>Isi</p><script>var x=1;</script>",
                "Isi",
            ),
            (
                "plain blank lines",
                "Satu\nbaris.\n\nDua.",
                "Satu baris.\n\nDua.",
            ),
            ("list", "<ul><li>a</li><li>b</li></ul>", "a\n\nb"),
        ];
        for (name, input, want) in cases {
            assert_eq!(html_to_text(input), *want, "{name}");
        }
    }

    #[test]
    fn text_to_html_escapes() {
        assert_eq!(
            text_to_html("a < b\n\nc & d"),
            "<p>a &lt; b</p><p>c &amp; d</p>"
        );
    }
}
