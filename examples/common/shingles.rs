//! The benchmark's score (as `score.py` beside its data computes it): 4-word shingles of
//! `\w+` tokens, precision and recall per document. Included by path.

use std::collections::HashMap;

/// Tokens: maximal runs of word characters (letters, marks, digits, connector
/// punctuation), as Python's `\w+`.
fn words(text: &str) -> Vec<&str> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || is_mark(c);
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (is_word(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(&text[s..i]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// Combining marks, which Python's `\w` counts as word characters in most scripts.
fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05C7 | 0x0610..=0x061A
        | 0x064B..=0x065F | 0x0900..=0x0903 | 0x093A..=0x094F | 0x0E31 | 0x0E34..=0x0E3A
        | 0x0E47..=0x0E4E | 0x1AB0..=0x1AFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

fn shingles<'a>(tokens: &[&'a str]) -> HashMap<Vec<&'a str>, i64> {
    let mut bag = HashMap::new();
    if tokens.is_empty() {
        return bag;
    }
    if tokens.len() <= 4 {
        bag.insert(tokens.to_vec(), 1);
        return bag;
    }
    for w in tokens.windows(4) {
        *bag.entry(w.to_vec()).or_insert(0) += 1;
    }
    bag
}

/// Per-document precision (None for an empty prediction) and recall.
pub fn score(truth: &str, pred: &str) -> (Option<f64>, Option<f64>) {
    let (t, p) = (shingles(&words(truth)), shingles(&words(pred)));
    let tp: i64 = t
        .iter()
        .map(|(k, &n)| n.min(p.get(k).copied().unwrap_or(0)))
        .sum();
    let total_p: i64 = p.values().sum();
    let total_t: i64 = t.values().sum();
    let ratio = |a: i64, b: i64| (b > 0).then(|| a as f64 / b as f64);
    (ratio(tp, total_p), ratio(tp, total_t))
}
