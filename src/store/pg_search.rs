//! The search index on PostgreSQL: `articles.fts`, a `tsvector` built here from the very
//! tokens SQLite's FTS5 indexes (`stem::Folded`: unicode61, lower case, Latin diacritics
//! removed), and the FTS5 expressions `search::query` renders turned into `tsquery` text.
//!
//! PostgreSQL's own parser is not used on either side: it splits `covid-19`, e-mail
//! addresses and decimals otherwise than FTS5 does, so the same query would find other
//! articles on the two stores. Both sides are built from our tokens instead, and the
//! server compares lexemes as given (the `tsvector`/`tsquery` literals bypass every
//! dictionary).
//!
//! Weights order the columns as FTS5's bm25 weights do (title 5, body 1, stems 0.5): the
//! title is weight A, the body B, the stems C, ranked by `ts_rank` with
//! `{D, C, B, A} = {0, 0.1, 0.2, 1.0}`.
//!
//! Limits PostgreSQL sets, and what is done about them: a position is at most 16,383 (a
//! body longer than that many words has its later words at 16,383, so a phrase far down a
//! very long article may be missed), a lexeme keeps 256 positions, a `tsvector` is under
//! 1 MiB (an article with more distinct words than fit keeps the first ones).

use std::collections::HashMap;
use std::fmt::Write as _;

use super::db::{Conn, OptionalExtension};

/// `ts_rank`'s weights for D, C, B, A: stems (C) half a body match (B), title (A) five.
pub const RANK_WEIGHTS: &str = "'{0, 0.1, 0.2, 1.0}'";

/// PostgreSQL's largest position.
const MAX_POS: usize = 16_383;
/// Positions kept per lexeme (PostgreSQL keeps 256).
const MAX_POSITIONS: usize = 255;
/// A little under PostgreSQL's 1 MiB for a whole `tsvector`.
const MAX_BYTES: usize = 900 * 1024;
/// Longer tokens are not words anyone searches for (a base64 blob in a body).
const MAX_LEXEME_BYTES: usize = 255;

/// The `tsvector` literal of an article's three texts.
pub fn tsvector(title: &str, body: &str, stems: &str) -> String {
    let mut lexemes: HashMap<String, Vec<(usize, char)>> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut bytes = 0usize;
    let mut pos = 1usize;
    for (text, weight) in [(title, 'A'), (body, 'B'), (stems, 'C')] {
        let folded = crate::stem::Folded::new(text);
        for word in folded.iter() {
            if word.is_empty() || word.len() > MAX_LEXEME_BYTES {
                pos += 1;
                continue;
            }
            let at = pos.min(MAX_POS);
            pos += 1;
            match lexemes.get_mut(word) {
                Some(list) => {
                    if list.len() < MAX_POSITIONS && list.last().is_none_or(|(p, _)| *p != at) {
                        list.push((at, weight));
                        bytes += 8;
                    }
                }
                None if bytes + word.len() + 16 > MAX_BYTES => {}
                None => {
                    bytes += word.len() + 16;
                    order.push(word.to_string());
                    lexemes.insert(word.to_string(), vec![(at, weight)]);
                }
            }
        }
        // A gap, so that no phrase runs from the title into the body.
        pos += 2;
    }
    let mut out = String::with_capacity(bytes + 16);
    for word in &order {
        if !out.is_empty() {
            out.push(' ');
        }
        push_lexeme(&mut out, word);
        out.push(':');
        if let Some(list) = lexemes.get(word) {
            for (i, (p, w)) in list.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{p}{w}");
            }
        }
    }
    out
}

fn push_lexeme(out: &mut String, word: &str) {
    out.push('\'');
    for c in word.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
}

/// Writes article `id`'s index entry from its title, body and stems.
pub fn index(conn: &Conn, id: i64, [title, body, stems]: [&str; 3]) -> super::db::Result<()> {
    conn.prepare_cached("UPDATE articles SET fts = ?2::text::tsvector WHERE id = ?1")?
        .execute(super::db::params![id, tsvector(title, body, stems)])?;
    Ok(())
}

/// Writes article `id`'s index entry from its stored texts (after any write that changed
/// its title, body or stems).
pub fn reindex(conn: &Conn, id: i64) -> super::db::Result<()> {
    let texts: Option<(String, String, String)> = conn
        .prepare_cached("SELECT title, body, stems FROM articles WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    match texts {
        Some((title, body, stems)) => index(conn, id, [&title, &body, &stems]),
        None => Ok(()),
    }
}

/// The `tsquery` of an FTS5 expression as `search::query` renders them: quoted strings
/// (a phrase of the tokens inside), `*` after one (its last token a prefix), `title : `
/// before one (headline only), AND, OR, binary NOT and parentheses. Whatever else comes
/// (it cannot from the renderer) is taken as a word.
pub fn tsquery(fts5: &str) -> String {
    let tokens = lex(fts5);
    let mut p = Parser { tokens, at: 0 };
    let node = p.or();
    let mut out = String::new();
    render(&node, &mut out);
    out
}

/// The condition on the pairs of neighbouring words (`articles.pairs`, schema 14) that
/// every article matching an FTS5 expression meets, as SQL on the article the query calls
/// `article`, each pair a bound argument from `push`; None
/// when the expression asks for no two words side by side (then it needs no such
/// condition), or only on a side that cannot narrow (an OR with a single word, a NOT).
pub fn pairs_condition(
    fts5: &str,
    article: &str,
    push: &mut dyn FnMut(super::db::Value) -> String,
) -> Option<String> {
    let tokens = lex(fts5);
    let node = Parser { tokens, at: 0 }.or();
    needed_pairs(&node).map(|need| need.sql(article, push))
}

/// Pairs every match holds: all of a set, or either of two.
#[derive(Debug, PartialEq)]
enum Need {
    All(std::collections::BTreeSet<String>),
    Both(Box<Need>, Box<Need>),
    Either(Box<Need>, Box<Need>),
}

impl Need {
    fn sql(&self, article: &str, push: &mut dyn FnMut(super::db::Value) -> String) -> String {
        match self {
            Need::All(pairs) => {
                let hashes: Vec<String> = pairs
                    .iter()
                    .map(|p| format!("warta_pair({})", push(super::db::Value::Text(p.clone()))))
                    .collect();
                format!("{article}.pairs @> ARRAY[{}]", hashes.join(", "))
            }
            Need::Both(a, b) => format!("({} AND {})", a.sql(article, push), b.sql(article, push)),
            Need::Either(a, b) => format!("({} OR {})", a.sql(article, push), b.sql(article, push)),
        }
    }
}

fn needed_pairs(node: &Node) -> Option<Need> {
    match node {
        Node::Phrase { words, prefix, .. } => {
            // The prefix (the last word) stands for many words: no pair with it.
            let whole = if *prefix {
                &words[..words.len().saturating_sub(1)]
            } else {
                &words[..]
            };
            let pairs: std::collections::BTreeSet<String> = whole
                .windows(2)
                .map(|w| format!("{} {}", w[0], w[1]))
                .collect();
            (!pairs.is_empty()).then_some(Need::All(pairs))
        }
        Node::And(a, b) => match (needed_pairs(a), needed_pairs(b)) {
            (Some(Need::All(mut x)), Some(Need::All(y))) => {
                x.extend(y);
                Some(Need::All(x))
            }
            (Some(x), Some(y)) => Some(Need::Both(Box::new(x), Box::new(y))),
            (x, None) | (None, x) => x,
        },
        Node::Or(a, b) => match (needed_pairs(a), needed_pairs(b)) {
            (Some(x), Some(y)) => Some(Need::Either(Box::new(x), Box::new(y))),
            _ => None,
        },
        // What is left out says nothing about the pairs of what is kept.
        Node::Not(a, _) => needed_pairs(a),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Str(String),
    Star,
    Colon,
    Open,
    Close,
    And,
    Or,
    Not,
    Bare(String),
}

fn lex(s: &str) -> Vec<Tok> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '"' => {
                let mut text = String::new();
                i += 1;
                while i < chars.len() {
                    if chars[i] == '"' {
                        if chars.get(i + 1) == Some(&'"') {
                            text.push('"');
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    text.push(chars[i]);
                    i += 1;
                }
                out.push(Tok::Str(text));
            }
            '*' => {
                out.push(Tok::Star);
                i += 1;
            }
            ':' => {
                out.push(Tok::Colon);
                i += 1;
            }
            '(' => {
                out.push(Tok::Open);
                i += 1;
            }
            ')' => {
                out.push(Tok::Close);
                i += 1;
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !chars[i].is_whitespace()
                    && !matches!(chars[i], '"' | '*' | ':' | '(' | ')')
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                out.push(match word.as_str() {
                    "AND" => Tok::And,
                    "OR" => Tok::Or,
                    "NOT" => Tok::Not,
                    _ => Tok::Bare(word),
                });
            }
        }
    }
    out
}

#[derive(Debug)]
enum Node {
    /// Tokens next to each other; the last a prefix when `prefix`; in the title alone when
    /// `title`.
    Phrase {
        words: Vec<String>,
        prefix: bool,
        title: bool,
    },
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    /// The left side without the right.
    Not(Box<Node>, Box<Node>),
}

struct Parser {
    tokens: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    /// FTS5's precedence, lowest first: OR, AND (written or implicit), NOT.
    fn or(&mut self) -> Node {
        let mut left = self.and();
        while self.peek() == Some(&Tok::Or) {
            self.next();
            let right = self.and();
            left = Node::Or(Box::new(left), Box::new(right));
        }
        left
    }

    fn and(&mut self) -> Node {
        let mut left = self.not();
        loop {
            match self.peek() {
                Some(Tok::And) => {
                    self.next();
                }
                Some(Tok::Str(_) | Tok::Open | Tok::Bare(_)) => {}
                _ => return left,
            }
            let right = self.not();
            left = Node::And(Box::new(left), Box::new(right));
        }
    }

    fn not(&mut self) -> Node {
        let mut left = self.primary();
        while self.peek() == Some(&Tok::Not) {
            self.next();
            let right = self.primary();
            left = Node::Not(Box::new(left), Box::new(right));
        }
        left
    }

    fn primary(&mut self) -> Node {
        match self.next() {
            Some(Tok::Open) => {
                let inner = self.or();
                if self.peek() == Some(&Tok::Close) {
                    self.next();
                }
                inner
            }
            Some(Tok::Bare(column)) if self.peek() == Some(&Tok::Colon) => {
                self.next();
                let mut inner = self.primary();
                if column == "title" {
                    mark_title(&mut inner);
                }
                inner
            }
            Some(Tok::Str(text)) | Some(Tok::Bare(text)) => {
                let prefix = self.peek() == Some(&Tok::Star);
                if prefix {
                    self.next();
                }
                Node::Phrase {
                    words: crate::stem::index_tokens(&text).collect(),
                    prefix,
                    title: false,
                }
            }
            // Nothing there (the expression ended early): a phrase of no words.
            _ => Node::Phrase {
                words: Vec::new(),
                prefix: false,
                title: false,
            },
        }
    }
}

fn mark_title(node: &mut Node) {
    match node {
        Node::Phrase { title, .. } => *title = true,
        Node::And(a, b) | Node::Or(a, b) | Node::Not(a, b) => {
            mark_title(a);
            mark_title(b);
        }
    }
}

fn render(node: &Node, out: &mut String) {
    match node {
        Node::Phrase {
            words,
            prefix,
            title,
        } => {
            if words.is_empty() {
                // FTS5 matches no row for a phrase without tokens; no token of ours is a
                // lone hyphen.
                out.push_str("'-'");
                return;
            }
            out.push('(');
            for (i, w) in words.iter().enumerate() {
                if i > 0 {
                    out.push_str(" <-> ");
                }
                push_lexeme(out, w);
                let last = i + 1 == words.len();
                match (last && *prefix, *title) {
                    (true, true) => out.push_str(":*A"),
                    (true, false) => out.push_str(":*"),
                    (false, true) => out.push_str(":A"),
                    (false, false) => {}
                }
            }
            out.push(')');
        }
        Node::And(a, b) => binary(out, a, " & ", b),
        Node::Or(a, b) => binary(out, a, " | ", b),
        Node::Not(a, b) => binary(out, a, " & !", b),
    }
}

fn binary(out: &mut String, a: &Node, op: &str, b: &Node) {
    out.push('(');
    render(a, out);
    out.push_str(op);
    render(b, out);
    out.push(')');
}

#[cfg(test)]
mod tests {
    #[test]
    fn stretches_cover_the_blocks_of_a_span_newest_first() {
        use crate::store::pg_schema::stretches_tsquery;
        assert_eq!(stretches_tsquery(1, 100).as_deref(), Some("'#0'"));
        assert_eq!(
            stretches_tsquery(4095, 4096).as_deref(),
            Some("'#1' | '#0'")
        );
        assert_eq!(
            stretches_tsquery(90_000, 100_000).as_deref(),
            Some("'#24' | '#23' | '#22' | '#21'")
        );
        assert_eq!(
            stretches_tsquery(1, 64 * 4096 - 1).map(|q| q.matches('|').count()),
            Some(63)
        );
        assert_eq!(stretches_tsquery(1, 64 * 4096), None, "too wide");
        assert_eq!(stretches_tsquery(10, 5), None);
    }

    use super::*;

    #[test]
    fn the_renderers_expressions_become_tsqueries() {
        let cases = [
            (r#""banjir""#, "('banjir')"),
            (r#""Kutai Timur""#, "('kutai' <-> 'timur')"),
            (r#""covid-19""#, "('covid' <-> '19')"),
            (r#""banj"*"#, "('banj':*)"),
            (r#"title : "banjir besar""#, "('banjir':A <-> 'besar':A)"),
            (
                r#"("banjir" AND ("jakarta" OR "bogor")) NOT "tol""#,
                "((('banjir') & (('jakarta') | ('bogor'))) & !('tol'))",
            ),
            (r#""Café" "é""#, "(('cafe') & ('e'))"),
            (r#""it""s""#, "('it' <-> 's')"),
            (r#""""#, "'-'"),
        ];
        for (fts5, want) in cases {
            assert_eq!(tsquery(fts5), want, "{fts5}");
        }
    }

    #[test]
    fn phrases_ask_the_index_of_neighbours_for_their_pairs() {
        let render = |fts5: &str| {
            let mut args = Vec::new();
            let sql = pairs_condition(fts5, "a", &mut |v| {
                args.push(v);
                format!("?{}", args.len())
            });
            let args: Vec<String> = args
                .into_iter()
                .map(|v| match v {
                    crate::store::db::Value::Text(t) => t,
                    other => panic!("{other:?}"),
                })
                .collect();
            (sql, args)
        };
        let (sql, args) = render(r#""Kutai Timur""#);
        assert_eq!(sql.as_deref(), Some("a.pairs @> ARRAY[warta_pair(?1)]"));
        assert_eq!(args, ["kutai timur"]);
        // Words alone, a prefix after one word, a lone word beside an OR: nothing to ask.
        for none in [
            r#""banjir""#,
            r#""banjir" "besar""#,
            r#""banj"*"#,
            r#""rumah sakit" OR "rsud""#,
        ] {
            assert_eq!(render(none), (None, vec![]), "{none}");
        }
        // A prefix's whole words still pair; phrases ANDed ask for all their pairs at once,
        // each pair once; an OR of phrases asks for either; what a NOT leaves out is not
        // asked for.
        let (sql, args) = render(r#""dinas kesehatan kab"*"#);
        assert_eq!(sql.as_deref(), Some("a.pairs @> ARRAY[warta_pair(?1)]"));
        assert_eq!(args, ["dinas kesehatan"]);
        let (sql, args) = render(r#""kutai timur" AND title : "kutai timur ok" NOT "a b""#);
        assert_eq!(
            sql.as_deref(),
            Some("a.pairs @> ARRAY[warta_pair(?1), warta_pair(?2)]")
        );
        assert_eq!(args, ["kutai timur", "timur ok"]);
        let (sql, args) = render(r#"("banjir rob" OR "air pasang") "sangatta""#);
        assert_eq!(
            sql.as_deref(),
            Some(
                "(a.pairs @> ARRAY[warta_pair(?1)] \
                 OR a.pairs @> ARRAY[warta_pair(?2)])"
            )
        );
        assert_eq!(args, ["banjir rob", "air pasang"]);
    }

    #[test]
    fn a_tsvector_weighs_title_body_and_stems_and_keeps_phrases_inside_a_column() {
        let v = tsvector("Banjir di Sangatta", "Banjir besar. Sangatta", "banjir");
        assert_eq!(v, "'banjir':1A,6B,11C 'di':2A 'sangatta':3A,8B 'besar':7B");
    }
}
