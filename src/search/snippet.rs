//! Snippets: the passage of a body that best shows why it matched, every matched word
//! in `[` `]`, stemmed matches included ("pelayanan" for the query `layanan`). FTS5's own
//! snippet() only marks exact tokens, and knows nothing of roots, so this is ours.

use crate::stem::stem_id;

/// What to mark: the query's words, their roots and its prefixes, lower-case.
#[derive(Debug, Clone, Default)]
pub struct Highlighter {
    words: Vec<String>,
    roots: Vec<String>,
    prefixes: Vec<String>,
}

/// Words shown around the best passage.
const WINDOW: usize = 28;

impl Highlighter {
    /// `words`: the query's words (and alias forms); `prefixes`: its `word*` stems.
    pub fn new(words: &[String], prefixes: &[String]) -> Highlighter {
        let words: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
        let roots = words.iter().map(|w| stem_id(w).into_owned()).collect();
        Highlighter {
            words,
            roots,
            prefixes: prefixes.iter().map(|p| p.to_lowercase()).collect(),
        }
    }

    /// Which query term (index) a token matches, if any.
    fn matches(&self, token: &str) -> Option<usize> {
        let lower = token.to_lowercase();
        if let Some(i) = self.words.iter().position(|w| *w == lower) {
            return Some(i);
        }
        if let Some(i) = self
            .prefixes
            .iter()
            .position(|p| lower.starts_with(p.as_str()))
        {
            return Some(self.words.len() + i);
        }
        let root = stem_id(&lower);
        self.roots.iter().position(|r| *r == root)
    }

    /// The best passage of `body`, matches marked; the start of the body when nothing in
    /// it matches (a title-only match).
    pub fn snippet(&self, body: &str) -> String {
        let tokens: Vec<(usize, usize)> = token_spans(body);
        if tokens.is_empty() {
            return String::new();
        }
        let hits: Vec<Option<usize>> = tokens
            .iter()
            .map(|&(s, e)| body.get(s..e).and_then(|t| self.matches(t)))
            .collect();
        // The window with the most distinct terms, then the most matches; earliest wins.
        let mut best = (0usize, 0usize, 0usize);
        let n = tokens.len();
        for start in 0..n.saturating_sub(WINDOW.min(n)) + 1 {
            let slice = &hits[start..(start + WINDOW).min(n)];
            let mut distinct: Vec<usize> = slice.iter().flatten().copied().collect();
            let total = distinct.len();
            distinct.sort_unstable();
            distinct.dedup();
            if (distinct.len(), total) > (best.1, best.2) {
                best = (start, distinct.len(), total);
            }
        }
        // Open the passage a few words before its first match, for context.
        let start = if best.2 == 0 {
            0
        } else {
            let first = (best.0..n).find(|&i| hits[i].is_some()).unwrap_or(best.0);
            first.saturating_sub(3)
        };
        let end = (start + WINDOW).min(n);
        let mut out = String::new();
        if start > 0 {
            out.push('…');
        }
        let mut cursor = tokens[start].0;
        for i in start..end {
            let (s, e) = tokens[i];
            out.push_str(body.get(cursor..s).unwrap_or(""));
            let word = body.get(s..e).unwrap_or("");
            if hits[i].is_some() {
                out.push('[');
                out.push_str(word);
                out.push(']');
            } else {
                out.push_str(word);
            }
            cursor = e;
        }
        if end < n {
            out.push('…');
        } else {
            out.push_str(body.get(cursor..).unwrap_or(""));
        }
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// Byte spans of letter/digit runs, the way the index tokenises.
fn token_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (crate::text::is_token_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, text.len()));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hl(words: &[&str]) -> Highlighter {
        Highlighter::new(
            &words.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
            &[],
        )
    }

    #[test]
    fn exact_and_stemmed_matches_are_marked() {
        let body =
            "Bupati menegaskan pelayanan kepada masyarakat harus cepat. Petugas melayani warga.";
        let s = hl(&["layanan"]).snippet(body);
        assert!(s.contains("[pelayanan]") && s.contains("[melayani]"), "{s}");
        assert!(!s.contains("[Bupati]"), "{s}");
    }

    #[test]
    fn the_passage_with_the_most_terms_is_chosen() {
        let filler = "kata ".repeat(60);
        let body = format!("banjir di hulu. {filler} banjir merendam Samarinda pagi ini. {filler}");
        let s = hl(&["banjir", "samarinda"]).snippet(&body);
        assert!(s.contains("[banjir] merendam [Samarinda]"), "{s}");
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
    }

    #[test]
    fn no_match_gives_the_start_and_prefixes_match() {
        let s = hl(&["tidakada"]).snippet("Awal berita. Lanjutan.");
        assert_eq!(s, "Awal berita. Lanjutan.");
        let p = Highlighter::new(&[], &["banj".into()]).snippet("Banjir bandang.");
        assert_eq!(p, "[Banjir] bandang.");
        assert_eq!(hl(&["x"]).snippet(""), "");
    }
}
