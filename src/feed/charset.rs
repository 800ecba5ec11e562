//! Turning feed bytes into UTF-8 text before any parser sees them.
//!
//! feed-rs decodes by the XML declaration alone, so a UTF-8 body declared as
//! `iso-8859-1` becomes mojibake without any error, and UTF-16 with a declaration makes
//! it panic. Deciding the encoding here, once, and rewriting the declaration to match,
//! removes both. The order: a BOM; then UTF-16 recognised from its zero bytes; then valid
//! UTF-8 (which wins over any label, since a label on valid non-ASCII UTF-8 is nearly
//! always a leftover from a template); then the HTTP charset; then the declaration;
//! then chardetng's guess, which reads as windows-1252 for Latin text.

use std::sync::OnceLock;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use regex::Regex;

/// The body as UTF-8 text, and a note when a transcoding or declaration fix was needed.
pub(crate) struct Decoded {
    pub text: String,
    pub repairs: Vec<String>,
}

pub(crate) fn to_utf8(bytes: &[u8], http_charset: Option<&str>) -> Decoded {
    let mut repairs = Vec::new();
    let text = decode(bytes, http_charset, &mut repairs);
    let text = rewrite_declaration(text, &mut repairs);
    Decoded { text, repairs }
}

fn decode(bytes: &[u8], http_charset: Option<&str>, repairs: &mut Vec<String>) -> String {
    // Before the BOM check: UTF-32LE's BOM starts with UTF-16LE's.
    if let Some(text) = utf32(bytes) {
        repairs.push("transcoded from UTF-32".to_string());
        return text;
    }
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let body = bytes.get(bom_len..).unwrap_or_default();
        let (text, _) = encoding.decode_without_bom_handling(body);
        if encoding != UTF_8 {
            repairs.push(format!(
                "transcoded from {} (byte-order mark)",
                encoding.name()
            ));
        }
        return text.into_owned();
    }
    if let Some(encoding) = sniff_utf16(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(bytes);
        repairs.push(format!("transcoded from {}", encoding.name()));
        return text.into_owned();
    }
    if let Some(text) = crate::text::utf8_prefix(bytes) {
        return text.to_string();
    }
    let declared = declared_encoding(bytes);
    let label = http_charset
        .and_then(|l| Encoding::for_label(l.trim().trim_matches('"').as_bytes()))
        .or_else(|| declared.and_then(|l| Encoding::for_label(l.as_bytes())))
        // A label that says UTF-8 (or UTF-16, which the bytes are not) over bytes that are
        // not is wrong; guess instead of trusting it.
        .filter(|e| *e != UTF_8 && *e != UTF_16LE && *e != UTF_16BE);
    let encoding = label.unwrap_or_else(|| {
        let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
        detector.feed(bytes, true);
        let guess = detector.guess(None, chardetng::Utf8Detection::Deny);
        if guess == UTF_8 { WINDOWS_1252 } else { guess }
    });
    let (text, _, _) = encoding.decode(bytes);
    repairs.push(format!(
        "transcoded from {}",
        encoding.name().to_lowercase()
    ));
    text.into_owned()
}

/// UTF-32, which encoding_rs does not know (no browser reads it), told by its BOM or by a
/// `<` in four bytes. Characters that are not Unicode scalar values become U+FFFD.
fn utf32(bytes: &[u8]) -> Option<String> {
    let (big_endian, body) = match bytes {
        [0, 0, 0xFE, 0xFF, rest @ ..] => (true, rest),
        [0xFF, 0xFE, 0, 0, rest @ ..] => (false, rest),
        [0, 0, 0, b'<', ..] => (true, bytes),
        [b'<', 0, 0, 0, ..] => (false, bytes),
        _ => return None,
    };
    Some(
        body.chunks_exact(4)
            .map(|c| {
                let Ok(quad) = <[u8; 4]>::try_from(c) else {
                    return char::REPLACEMENT_CHARACTER;
                };
                let code = if big_endian {
                    u32::from_be_bytes(quad)
                } else {
                    u32::from_le_bytes(quad)
                };
                char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER)
            })
            .collect(),
    )
}

/// UTF-16 without a BOM still starts with `<` next to a zero byte.
fn sniff_utf16(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes.get(..4) {
        Some([0, b'<', 0, _]) => Some(UTF_16BE),
        Some([b'<', 0, _, 0]) => Some(UTF_16LE),
        _ => None,
    }
}

fn declaration_re() -> Option<&'static Regex> {
    static DECL: OnceLock<Option<Regex>> = OnceLock::new();
    DECL.get_or_init(|| {
        Regex::new(r#"(?i)^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:\-]+)["']"#).ok()
    })
    .as_ref()
}

fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = bytes.get(..bytes.len().min(512)).unwrap_or_default();
    let head = String::from_utf8_lossy(head);
    let caps = declaration_re()?.captures(&head)?;
    Some(caps.get(1)?.as_str().to_string())
}

/// The text is UTF-8 now; a declaration naming anything else would make feed-rs decode
/// it a second time.
fn rewrite_declaration(text: String, repairs: &mut Vec<String>) -> String {
    let Some(re) = declaration_re() else {
        return text;
    };
    let Some(m) = re.captures(&text).and_then(|c| c.get(1)) else {
        return text;
    };
    if m.as_str().eq_ignore_ascii_case("utf-8") || m.as_str().eq_ignore_ascii_case("utf8") {
        return text;
    }
    repairs.push(format!(
        "rewrote the declared encoding {} to UTF-8",
        m.as_str()
    ));
    let mut out = String::with_capacity(text.len());
    out.push_str(text.get(..m.start()).unwrap_or_default());
    out.push_str("UTF-8");
    out.push_str(text.get(m.end()..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_utf8_wins_over_a_wrong_declaration() {
        let body = "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss><t>Café</t></rss>";
        let d = to_utf8(body.as_bytes(), None);
        assert!(d.text.contains("Café"));
        assert!(d.text.contains("encoding=\"UTF-8\""));
        assert_eq!(
            d.repairs,
            ["rewrote the declared encoding iso-8859-1 to UTF-8"]
        );
    }

    #[test]
    fn latin1_bytes_are_transcoded_by_declaration() {
        let mut body = b"<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss><t>Caf".to_vec();
        body.extend_from_slice(&[0xE9]);
        body.extend_from_slice(b"</t></rss>");
        let d = to_utf8(&body, None);
        assert!(d.text.contains("Café"), "{}", d.text);
        assert_eq!(
            d.repairs.first().map(String::as_str),
            Some("transcoded from windows-1252")
        );
    }

    #[test]
    fn undeclared_invalid_utf8_falls_back_to_windows_1252() {
        let body = b"<rss><t>\x93kutip\x94</t></rss>";
        let d = to_utf8(body, Some("utf-8"));
        assert!(d.text.contains("\u{201c}kutip\u{201d}"), "{}", d.text);
    }

    #[test]
    fn utf8_cut_inside_its_last_character_is_still_utf8() {
        // A feed cut at fetch.max_body can end mid-character; the items before the cut must
        // not turn into mojibake because of it.
        let body =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss><t>Café Müller</t><t>é".as_bytes();
        let cut = &body[..body.len() - 1];
        for declared in [None, Some("utf-8"), Some("iso-8859-1")] {
            let d = to_utf8(cut, declared);
            assert!(
                d.text.contains("<t>Café Müller</t><t>"),
                "{declared:?}: {}",
                d.text
            );
            assert!(!d.text.contains('\u{FFFD}'), "{declared:?}: {}", d.text);
        }
    }

    #[test]
    fn utf16_with_bom_and_without() {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss/>";
        let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        let with_bom: Vec<u8> = [0xFE, 0xFF].into_iter().chain(be.iter().copied()).collect();
        for bytes in [be, with_bom] {
            let d = to_utf8(&bytes, None);
            assert!(d.text.contains("encoding=\"UTF-8\"?><rss/>"), "{}", d.text);
        }
    }
}
