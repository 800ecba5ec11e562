//! Indonesian stemming for search: maps inflected words to their root so that a query
//! for `layanan` also finds "pelayanan" and "melayani".
//!
//! This module owns the stemmer and its root-word dictionary. The search index keeps the
//! exact text in one column and [`stem_text_id`]'s output in a second one (FTS5 custom
//! tokenizers are out of reach through rusqlite), and queries look terms up in both, the
//! exact match ranking higher.
//!
//! The algorithm is Enhanced Confix Stripping (see [`ecs`]), the dictionary-checked
//! affix-removal family used by Sastrawi. Its dictionary is the stem list of the Hunspell
//! Indonesian dictionary (`roots-id.txt`, LGPL-3.0; `SOURCE.md` says why that list and
//! not Sastrawi's, whose Kateglo-derived list is licensed for non-commercial use only)
//! plus this project's own additions (`roots-id-extra.txt`: regional place names that
//! the rules would otherwise mangle, and newer words).
//!
//! Decisions, and why:
//! - **One output token per input token, in order.** [`stem_text_id`] tokenises the way
//!   FTS5's `unicode61 remove_diacritics 2` does (runs of letters and digits; everything
//!   else separates), so the stemmed column's positions line up with the exact column's
//!   and a stemmed hit can be mapped back to the word it came from.
//! - **Unknown stays unchanged.** A word is only replaced by a dictionary root; names,
//!   loanwords, typos and anything with a digit or a non-Latin letter pass through
//!   (lower-cased), as do words of three letters or fewer.
//! - **Reduplication is handled per token.** FTS5 splits `anak-anak` into two tokens, and
//!   each stems on its own; the one case that needs the pair, `meniru-nirukan` (the second
//!   half drops the prefix), is recognised when the halves are joined by a hyphen.
//! - **No cache.** Stemming a word costs a few dictionary probes with no allocation, fast
//!   enough without one (see the `speed` test), and a cache would need locking.

mod dict;
mod ecs;

pub(crate) use dict::FxHasher;

use std::borrow::Cow;

use crate::text::{is_combining, is_token_char};

/// The root of an Indonesian word (lower-case input expected; returns the word itself,
/// lower-cased, when no rule applies). Deterministic, never panics.
///
/// The word is normalised like one token of [`stem_text_id`] (lower-cased, Latin
/// diacritics folded), so the query side and the index agree. A hyphenated reduplication
/// (`anak-anak`, `meniru-nirukan`) gives the shared root; any other input that is not a
/// plain word (digits, punctuation, other scripts) comes back lower-cased.
pub fn stem_id(word: &str) -> Cow<'_, str> {
    let folded = fold(word);
    if let Some(root) = stem_plain(&folded) {
        return if root == word {
            Cow::Borrowed(word)
        } else {
            Cow::Owned(root)
        };
    }
    if folded.contains('-')
        && let Some(root) = stem_reduplication(&folded)
    {
        return Cow::Owned(root);
    }
    if folded == word {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(folded)
    }
}

/// Stems every word of a text for the stemmed index column: tokenises like FTS5
/// `unicode61` (runs of letters and digits, lower-cased, diacritics folded), stems each
/// token, and joins them with single spaces. Tokens that are not Indonesian-looking
/// (with digits, other scripts, three letters or fewer) pass through lower-cased.
pub fn stem_text_id(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // The previous token's end and its root, to recognise `meniru-nirukan`.
    let mut previous: Option<(usize, String)> = None;
    for (start, end) in tokens(text) {
        let raw = text.get(start..end).unwrap_or_default();
        let token = fold(raw);
        let mut root = stem_plain(&token);
        if root.is_none() {
            let hyphen_joined = previous
                .as_ref()
                .is_some_and(|(prev_end, _)| text.get(*prev_end..start) == Some("-"));
            if hyphen_joined {
                let first_root = previous.as_ref().map(|(_, r)| r.as_str());
                root = stem_plain(&format!("me{token}")).filter(|r| Some(r.as_str()) == first_root);
            }
        }
        let word = root.unwrap_or(token);
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word);
        previous = Some((end, word));
    }
    out
}

/// The stemmed index column of an Indonesian text: the roots of the words whose root
/// differs from the word itself, in order. A word that is its own root is already in the
/// exact columns, and a query for an inflected form also asks for its root there, so
/// leaving those out keeps the stemmed column (and the index) a fraction of the text.
pub fn index_stems_id(text: &str) -> String {
    index_stems_of(&Folded::new(text).words())
}

/// [`index_stems_id`] of a text's folded tokens.
fn index_stems_of(words: &[&str]) -> String {
    let mut out = String::new();
    for token in words {
        if let Some(root) = stem_root(token)
            && root.bytes() != token.as_bytes()
            && let Ok(root) = std::str::from_utf8(root.bytes())
        {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(root);
        }
    }
    out
}

/// The stems column of an article: the roots of its title and body when the article is
/// Indonesian (the stemmer's rules and dictionary are Indonesian), then, in any language,
/// the key of each built-in regional name its text spells out in another form
/// (`search::aliases::index_keys`: "aparatur sipil negara" adds `asn`), so that a search
/// for a name is one token lookup rather than a phrase of common words.
pub fn article_stems(language: Option<&str>, title: &str, body: &str) -> String {
    let text = format!("{title}\n{body}");
    // One tokenisation serves both the roots and the name keys.
    let folded = Folded::new(&text);
    let words = folded.words();
    let mut out = if language == Some("id") {
        index_stems_of(&words)
    } else {
        String::new()
    };
    for key in crate::search::aliases::index_keys_of(&words) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(key);
    }
    out
}

/// The tokens FTS5's unicode61 tokenizer would index for `text`, folded the same way
/// (lower case, Latin diacritics removed).
pub(crate) fn index_tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    tokens(text).map(|(start, end)| fold(text.get(start..end).unwrap_or_default()))
}

/// The tokens FTS5's unicode61 tokenizer would index for a text, folded (as
/// [`index_tokens`]) into one buffer rather than a `String` each.
pub(crate) struct Folded {
    text: String,
    spans: Vec<(usize, usize)>,
}

impl Folded {
    pub(crate) fn new(text: &str) -> Folded {
        let mut folded = String::with_capacity(text.len());
        let mut spans = Vec::with_capacity(text.len() / 6);
        for (start, end) in tokens(text) {
            let from = folded.len();
            fold_into(&mut folded, text.get(start..end).unwrap_or_default());
            spans.push((from, folded.len()));
        }
        Folded {
            text: folded,
            spans,
        }
    }

    pub(crate) fn words(&self) -> Vec<&str> {
        self.iter().collect()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.spans
            .iter()
            .map(|&(start, end)| self.text.get(start..end).unwrap_or_default())
    }
}

/// The root of a lower-case, diacritic-free word, or `None` when it is not a plain word
/// or no root was found (the word itself is a root: `Some(word)`).
fn stem_plain(word: &str) -> Option<String> {
    let root = stem_root(word)?;
    // Roots are ASCII by construction.
    std::str::from_utf8(root.bytes()).ok().map(str::to_owned)
}

/// [`stem_plain`] without allocating.
fn stem_root(word: &str) -> Option<ecs::Word> {
    if word.len() <= 3 || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    ecs::stem(&ecs::Word::new(word.as_bytes())?)
}

/// Sastrawi's reading of `x-y` (Asian 2007, pp. 76–77): the root when both halves share
/// it (`berbalas-balasan`), with the second half read as a `me-` form if it is no word on
/// its own (`meniru-nirukan`). A possessive or particle after a second hyphen belongs to
/// the second half (`anak-anak-nya`).
fn stem_reduplication(word: &str) -> Option<String> {
    let (mut first, mut second) = word.rsplit_once('-')?;
    let joined;
    if is_clitic(second)
        && let Some((a, b)) = first.rsplit_once('-')
    {
        joined = format!("{b}{second}");
        first = a;
        second = &joined;
    }
    let first_root = stem_plain(first).unwrap_or_else(|| first.to_owned());
    let second_root = stem_plain(second)
        .or_else(|| stem_plain(&format!("me{second}")))
        .unwrap_or_else(|| second.to_owned());
    (first_root == second_root && !first_root.is_empty()).then_some(first_root)
}

fn is_clitic(s: &str) -> bool {
    matches!(s, "ku" | "mu" | "nya" | "lah" | "kah" | "tah" | "pun")
}

/// Byte ranges of the tokens FTS5's unicode61 tokenizer would find in `text`.
fn tokens(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    // ASCII, most of any text, needs no Unicode table: no combining or private-use
    // character is ASCII.
    let token_char = |c: char| {
        if c.is_ascii() {
            c.is_ascii_alphanumeric()
        } else {
            is_token_char(c)
        }
    };
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let start = loop {
            let (i, c) = chars.next()?;
            if token_char(c) {
                break i;
            }
        };
        let mut end = text.len();
        while let Some(&(i, c)) = chars.peek() {
            // Inside a word a combining mark is part of it: FTS5 removes the diacritic
            // and keeps the word whole (`e` + U+0301 + `lan` is one token).
            if !token_char(c) && (c.is_ascii() || !is_combining(c)) {
                end = i;
                break;
            }
            chars.next();
        }
        Some((start, end))
    })
}

/// Whether FTS5's unicode61 tokenizer keeps `c` in a token: letters, digits and
/// private-use characters. A combining diacritic does not start a token, as
/// `search::query` documents and tests against the bundled SQLite.
/// Lower-cases `s` and folds Latin letters with diacritics to their base letter, as
/// `remove_diacritics 2` does for the letters Indonesian text meets (`kafé` → `kafe`).
/// Combining marks that lower-casing produces (`İ` → `i̇`) are dropped so the result
/// stays one token. Others scripts pass through; FTS5 folds them itself.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(&mut out, s);
    out
}

/// [`fold`], appended to `out`.
fn fold_into(out: &mut String, s: &str) {
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        for lower in c.to_lowercase() {
            if is_combining(lower) {
                continue;
            }
            out.push(fold_latin(lower));
        }
    }
}

/// The base letter of a lower-case Latin letter with a diacritic (Latin-1 Supplement
/// and Latin Extended-A, from the Unicode character names); other characters unchanged.
fn fold_latin(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
        'ď' | 'đ' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'ĥ' | 'ħ' => 'h',
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' => 'i',
        'ĵ' => 'j',
        'ķ' => 'k',
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => 'o',
        'ŕ' | 'ŗ' | 'ř' => 'r',
        'ś' | 'ŝ' | 'ş' | 'š' => 's',
        'ţ' | 'ť' | 'ŧ' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'ŵ' => 'w',
        'ý' | 'ÿ' | 'ŷ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        _ => c,
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod index_tests {
    use super::index_stems_id;

    #[test]
    fn only_changed_roots_are_indexed() {
        assert_eq!(
            index_stems_id("Pelayanan publik di Kutai Timur meningkat, kata bupati."),
            "layan tingkat"
        );
        assert_eq!(index_stems_id(""), "");
    }
}
