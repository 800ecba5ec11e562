//! Bytes of a page ─► correct UTF-8 text. Regional sites still serve windows-1252 and
//! friends, and many declare a charset that is not what they send.
//!
//! Order of evidence: a byte-order mark; then the HTTP header and the page's own `<meta>`;
//! but when the declaration names a legacy charset and the bytes are valid UTF-8 with
//! non-ASCII text in them, the bytes win (a common CMS misconfiguration, and pages saved
//! again as UTF-8 keep their old `<meta>`: valid UTF-8 multi-byte sequences are vanishingly
//! unlikely in real windows-1252, GBK or Shift_JIS text). A page declared UTF-8 with a few
//! bad bytes in otherwise valid UTF-8 is UTF-8, the bad bytes replaced; one whose non-ASCII
//! bytes are mostly not UTF-8 (a Latin-1 page labelled UTF-8) is guessed. With no
//! declaration: UTF-8 if valid, else chardetng's guess.

use encoding_rs::{Encoding, UTF_8};

/// The page's text, decoded by what its bytes are (BOM, then a declared charset that fits
/// them, then a guess). A UTF-8 page (nearly all of them) becomes the text without a copy,
/// sparing a second page-sized buffer per page; a body cut inside a character (max_body)
/// keeps its valid prefix.
pub fn decode_html_owned(bytes: Vec<u8>, http_charset: Option<&str>) -> String {
    decode_html_kept(bytes, http_charset).0
}

/// [`decode_html_owned`], and whether the text is the bytes exactly (no charset converted,
/// no byte-order mark or cut character dropped): then a compressed copy of the bytes is
/// one of the text too.
pub fn decode_html_kept(mut bytes: Vec<u8>, http_charset: Option<&str>) -> (String, bool) {
    // The page is validated as UTF-8 once, for both the choice and the conversion.
    let utf8_len = crate::text::utf8_prefix(&bytes).map(str::len);
    let encoding = pick_encoding(&bytes, http_charset, utf8_len.is_some());
    if encoding == UTF_8
        && Encoding::for_bom(&bytes).is_none()
        && let Some(len) = utf8_len
    {
        let whole = len == bytes.len();
        bytes.truncate(len);
        return match String::from_utf8(bytes) {
            Ok(text) => (text, whole),
            Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), false),
        };
    }
    let (text, _, _) = encoding.decode(&bytes);
    // A borrowed text is a slice of the bytes; as long as they, it is all of them.
    let same = matches!(&text, std::borrow::Cow::Borrowed(t) if t.len() == bytes.len());
    (text.into_owned(), same)
}

/// [`decode_html_owned`] of a body the caller keeps.
pub fn decode_html(bytes: &[u8], http_charset: Option<&str>) -> String {
    decode_html_owned(bytes.to_vec(), http_charset)
}

/// `valid_utf8`: the bytes are UTF-8, but for a character cut at the end.
fn pick_encoding(bytes: &[u8], http_charset: Option<&str>, valid_utf8: bool) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(bytes) {
        return enc;
    }
    let declared = http_charset
        .and_then(|l| Encoding::for_label(l.trim().as_bytes()))
        .or_else(|| meta_charset(bytes));
    match declared {
        // UTF-16 declared in a meta tag without a BOM is always a lie (the tag itself was
        // readable as ASCII).
        Some(enc) if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE => UTF_8,
        Some(enc) if enc == UTF_8 => {
            if valid_utf8 || mostly_utf8(bytes) {
                UTF_8
            } else {
                guess(bytes)
            }
        }
        Some(_) if valid_utf8 && !bytes.is_ascii() => UTF_8,
        Some(enc) => enc,
        None if valid_utf8 => UTF_8,
        None => guess(bytes),
    }
}

/// Whether bytes that are not all valid UTF-8 are UTF-8 text with a few bad bytes in it:
/// at least four valid non-ASCII characters for each invalid sequence.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut good, mut bad) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        good += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        bad += usize::from(!chunk.invalid().is_empty());
    }
    good >= 4 * bad.max(1)
}

fn guess(bytes: &[u8]) -> &'static Encoding {
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    det.guess(None, chardetng::Utf8Detection::Allow)
}

/// `<meta charset=…>` or `<meta http-equiv=Content-Type content="…; charset=…">` in the
/// first 4 KiB, where browsers look for it too.
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"<meta") {
        let start = from + pos;
        let end = find(&lower[start..], b">").map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(c) = find(tag, b"charset") {
            let rest = &tag[c + b"charset".len()..];
            let rest = trim_start(rest);
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = trim_start(rest);
                let rest = rest
                    .strip_prefix(b"\"")
                    .or_else(|| rest.strip_prefix(b"'"))
                    .unwrap_or(rest);
                let label_end = rest
                    .iter()
                    .position(|b| {
                        !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
                    })
                    .unwrap_or(rest.len());
                if let Some(enc) = Encoding::for_label(&rest[..label_end]) {
                    return Some(enc);
                }
            }
        }
        from = end;
    }
    None
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_text_that_is_its_bytes_exactly_says_so() {
        let utf8 = "<p>Kopi dari Köln</p>".as_bytes().to_vec();
        assert_eq!(
            decode_html_kept(utf8.clone(), None),
            ("<p>Kopi dari Köln</p>".to_string(), true)
        );
        let ascii = b"<p>Samarinda</p>".to_vec();
        assert!(decode_html_kept(ascii, Some("windows-1252")).1);
        let latin = b"<p>K\xf6ln</p>".to_vec();
        assert_eq!(
            decode_html_kept(latin, Some("windows-1252")),
            ("<p>Köln</p>".to_string(), false)
        );
        let mut bom = b"\xef\xbb\xbf".to_vec();
        bom.extend_from_slice(&utf8);
        assert!(!decode_html_kept(bom, None).1);
        let cut = utf8[..utf8.len() - 7].to_vec();
        assert!(!decode_html_kept(cut, None).1);
    }

    #[test]
    fn header_charset_decodes_windows_1252() {
        let bytes = b"<p>Caf\xe9 \x96 M\xfcnchen</p>";
        assert_eq!(
            decode_html(bytes, Some("windows-1252")),
            "<p>Café – München</p>"
        );
    }

    #[test]
    fn meta_charset_is_read() {
        let bytes = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"></head><body>na\xefve</body>";
        assert!(decode_html(bytes, None).contains("naïve"));
        let bytes = b"<meta charset='windows-1252'><p>\x93kutipan\x94</p>";
        assert!(decode_html(bytes, None).contains("\u{201c}kutipan\u{201d}"));
    }

    #[test]
    fn utf8_bytes_win_over_a_legacy_declaration() {
        let page = "<meta charset=\"iso-8859-1\"><p>Bupati Kutai Timur — Sangatta</p>";
        assert!(decode_html(page.as_bytes(), Some("ISO-8859-1")).contains("Timur — Sangatta"));
    }

    #[test]
    fn utf8_bytes_win_over_a_multibyte_legacy_declaration() {
        let page = "<meta charset=\"gb2312\"><p>谷歌在2014年收购的人工智能公司</p>";
        assert!(decode_html(page.as_bytes(), None).contains("谷歌在2014年收购的人工智能公司"));
        // Real GB2312 bytes are still read as GB2312.
        let (gbk, _, _) = encoding_rs::GBK.encode("<meta charset=\"gb2312\"><p>谷歌收购</p>");
        assert!(decode_html(&gbk, None).contains("谷歌收购"));
    }

    #[test]
    fn one_bad_byte_in_a_utf8_page_stays_one_bad_character() {
        let mut bytes = "<meta charset=\"utf-8\"><p>Café Müller di Köln — berita é "
            .as_bytes()
            .to_vec();
        bytes.push(0xff);
        bytes.extend_from_slice("selanjutnya.</p>".as_bytes());
        let text = decode_html(&bytes, None);
        assert!(
            text.contains("Café Müller di Köln — berita é \u{FFFD}selanjutnya."),
            "{text}"
        );
        // A Latin-1 page labelled UTF-8 is not UTF-8 with bad bytes: it is guessed.
        let latin = b"<meta charset=\"utf-8\"><p>Le caf\xe9 est tr\xe8s bon, d\xe9j\xe0 vu, \xe9l\xe8ve.</p>";
        assert!(decode_html(latin, None).contains("café"));
    }

    #[test]
    fn undeclared_legacy_bytes_are_guessed() {
        let bytes = b"<p>Le caf\xe9 est tr\xe8s bon, d\xe9j\xe0 vu, \xe9l\xe8ve.</p>";
        assert!(decode_html(bytes, None).contains("café"));
    }

    #[test]
    fn utf8_cut_inside_its_last_character_is_still_utf8() {
        // A body cut at fetch.max_body can end mid-character; the rest must not turn into
        // mojibake because of it.
        let page = "<meta charset=\"utf-8\"><p>Café Müller di Köln — berita é".as_bytes();
        let cut = &page[..page.len() - 1];
        for declared in [None, Some("utf-8"), Some("iso-8859-1")] {
            let text = decode_html(cut, declared);
            assert!(
                text.contains("Café Müller di Köln — berita "),
                "{declared:?}: {text}"
            );
            assert!(!text.contains('\u{FFFD}'), "{declared:?}: {text}");
        }
    }

    #[test]
    fn bom_wins() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("<p>é</p>".as_bytes());
        assert_eq!(decode_html(&bytes, Some("windows-1252")), "<p>é</p>");
        assert_eq!(decode_html_owned(bytes, Some("windows-1252")), "<p>é</p>");
    }
}
