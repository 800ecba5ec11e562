//! Text facts shared by the stages: what the search index counts as a word character,
//! UTF-8 that was cut short, and text that is safe to show a reader.

/// Whether FTS5's unicode61 tokenizer (with `remove_diacritics 2`) keeps `c` in a token.
///
/// unicode61 keeps categories L*, N* and Co, by its own Unicode 6.1 tables. Rust's
/// `is_alphanumeric` is L* and N* plus the Other_Alphabetic marks, by a newer Unicode. The
/// combining-diacritics blocks are excluded here, so a stray accent is punctuation, not a
/// term. What still differs, measured against the bundled SQLite by the test
/// `token_chars_agree_with_fts5_on_common_scripts` (search::query): a few script marks
/// (Arabic harakat, Thai vowel marks) count here but not in FTS5; code points new since
/// Unicode 6.1 count in FTS5 but not here. Both are harmless and nobody types them alone.
pub fn is_token_char(c: char) -> bool {
    if is_combining(c) {
        return false;
    }
    c.is_alphanumeric() || PRIVATE_USE.iter().any(|r| r.contains(&c))
}

/// A combining diacritical mark (folded away by the index).
pub fn is_combining(c: char) -> bool {
    COMBINING_DIACRITICS.iter().any(|r| r.contains(&c))
}

/// The "Combining Diacritical Marks" blocks, sorted, from the Unicode Character
/// Database (Blocks.txt).
const COMBINING_DIACRITICS: [std::ops::RangeInclusive<char>; 5] = [
    '\u{0300}'..='\u{036F}',
    '\u{1AB0}'..='\u{1AFF}',
    '\u{1DC0}'..='\u{1DFF}',
    '\u{20D0}'..='\u{20FF}',
    '\u{FE20}'..='\u{FE2F}',
];

/// Private-use areas (category Co), sorted, from the Unicode Character Database; unicode61
/// treats them as token characters.
const PRIVATE_USE: [std::ops::RangeInclusive<char>; 3] = [
    '\u{E000}'..='\u{F8FF}',
    '\u{F0000}'..='\u{FFFFD}',
    '\u{100000}'..='\u{10FFFD}',
];

/// The bytes as text when they are UTF-8, also when they stop inside their last character:
/// a body cut at `fetch.max_body` ends mid-character as often as not, and decoding all of
/// it as windows-1252 for that would garble everything before the cut. The partial
/// character is dropped. (Legacy-encoded text fails long before its last byte, unless its
/// only non-ASCII byte is the last one, where dropping it is no loss either.)
pub fn utf8_prefix(bytes: &[u8]) -> Option<&str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(bytes.get(..e.valid_up_to())?).ok()
        }
        Err(_) => None,
    }
}

/// `n` things, in English as people read it: "1 copy", "2 copies", "0 feeds".
pub fn counted(n: impl std::fmt::Display, thing: &str) -> String {
    let n = n.to_string();
    if n == "1" {
        return format!("1 {thing}");
    }
    // copy ─► copies, story ─► stories; day ─► days.
    match thing.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'i', 'o', 'u']) => format!("{n} {stem}ies"),
        _ => format!("{n} {thing}s"),
    }
}

/// Text from pages and feeds as it may be shown to a reader (a terminal, a spreadsheet): a
/// control character (ESC starting a sequence that clears the screen or retitles the window,
/// BEL, a lone CR that overwrites the line, the 8-bit CSI U+009B) and a bidirectional
/// override or isolate (U+202A–U+202E, U+2066–U+2069, which reorder what follows them so
/// that the text shown is not the text stored: "Trojan Source") print as U+FFFD, so the
/// reader sees that something was there. Newline and tab stay. The bidirectional marks
/// (U+200E, U+200F, U+061C) stay too: they only set the direction of the characters next
/// to them, reverse nothing, and Arabic and Hebrew text needs them.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(unprintable) {
        return std::borrow::Cow::Borrowed(s);
    }
    s.chars()
        .map(|c| if unprintable(c) { '\u{FFFD}' } else { c })
        .collect::<String>()
        .into()
}

fn unprintable(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_characters() {
        assert!(is_token_char('a') && is_token_char('9') && is_token_char('é'));
        assert!(!is_token_char('-') && !is_token_char('\u{0301}') && !is_token_char(' '));
    }

    #[test]
    fn utf8_cut_inside_a_character_keeps_the_rest() {
        let s = "Köln".as_bytes();
        assert_eq!(utf8_prefix(&s[..2]), Some("K"));
        assert_eq!(utf8_prefix(s), Some("Köln"));
        assert_eq!(utf8_prefix(b"caf\xe9 au lait"), None);
    }

    #[test]
    fn counts_read_right() {
        assert_eq!(counted(1u64, "copy"), "1 copy");
        assert_eq!(counted(2i64, "copy"), "2 copies");
        assert_eq!(counted(0usize, "feed"), "0 feeds");
        assert_eq!(counted(1i64, "story"), "1 story");
        assert_eq!(counted(3u32, "story"), "3 stories");
        assert_eq!(counted(2u8, "day"), "2 days");
        assert_eq!(counted(1u64, "article"), "1 article");
    }

    #[test]
    fn controls_and_bidirectional_overrides_print_as_replacement_characters() {
        assert_eq!(
            printable("a\u{1b}[2Jb\u{7}c\rd\u{7f}\u{9b}"),
            "a\u{FFFD}[2Jb\u{FFFD}c\u{FFFD}d\u{FFFD}\u{FFFD}"
        );
        assert_eq!(
            printable("line\n\tindented ¢ é —"),
            "line\n\tindented ¢ é —"
        );
        assert_eq!(
            printable("abc\u{202E}fed\u{202C} \u{2066}x\u{2069}"),
            "abc\u{FFFD}fed\u{FFFD} \u{FFFD}x\u{FFFD}"
        );
        assert_eq!(printable("\u{200F}مرحبا\u{061C}"), "\u{200F}مرحبا\u{061C}");
    }
}
