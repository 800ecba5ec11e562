//! The search query language: user text ─► our own syntax tree ─► a safe FTS5 expression.
//!
//! This module owns the grammar of `warta search QUERY` and is the only place that turns
//! user text into an FTS5 `MATCH` expression. FTS5 has its own query language (`AND`,
//! `NOT`, `NEAR(…)`, `col:`, `^`, `+`, parentheses); passing user text through would let
//! a stray character become an operator or a syntax error deep inside SQLite. So the
//! query is parsed here into [`Query`], and [`Query::to_fts5`] renders it with every
//! user term inside double quotes: nothing the user typed is ever read by FTS5 as syntax.
//!
//! # The language
//!
//! | you type | means |
//! | --- | --- |
//! | `banjir jakarta` | both words (terms separated by spaces are ANDed) |
//! | `"hujan deras"` | the words next to each other, in this order |
//! | `jakarta OR bogor` | either word (`OR` must be upper-case; `or` is a word) |
//! | `-tol`, `-"jalan tol"` | leave out articles with that word or phrase |
//! | `banj*` | any word starting with `banj` (`*` only at the end of a word) |
//! | `title:banjir`, `title:"banjir besar"` | the word or phrase in the headline |
//! | `author:rahman` | articles whose author's name contains the text |
//! | `feed:tribun-kaltim` | articles seen in that feed |
//! | `site:tribunnews.com` | articles seen on that site (subdomains included) |
//! | `date:2024`, `date:2024-11`, `date:2024-11-20`, `date:2024-11-01..2024-11-30` | published in that period (`..` ranges may leave one side open) |
//!
//! A field name is letters followed by `:` (`body:x` is an error naming the fields there
//! are); a query may consist of fields alone (`site:kaltimpost.id date:2024-11`).
//!
//! Decisions, and why:
//! - **`OR` binds tighter than the space**, as in web search engines: `a b OR c` means
//!   a AND (b OR c). There are no parentheses; chained `OR`s form one group.
//! - **Case and diacritics never matter**: the index uses `unicode61 remove_diacritics 2`,
//!   so `kafe` finds `Kafé`. The tree keeps the text as typed; FTS5 folds it.
//! - **Only letters and digits are searchable.** The tokenizer treats everything else as
//!   a separator, so a term with no letter or digit (`&`, a lone `-` or `*`, `""`) could
//!   only ever match nothing; it is dropped like a space (`Jakarta - Bandung` is
//!   `Jakarta Bandung`). A query left with nothing to look for is an error. Punctuation
//!   inside a word splits it the way the index does: `covid-19` is the phrase `covid 19`.
//! - **FTS5's own syntax is plain text here**: `NEAR(a b)`, `"body:x"`, `^x`, `+`, `:` and
//!   parentheses are quoted like any other word, so they are read as the words inside them.
//!   Upper-case `AND` and `NOT` are errors rather than words, because someone who types them
//!   means an operator and would silently get different results; the message says what to
//!   write instead.
//! - **`*` only ends a word**: `a*b`, `*a` and `"a b"*` are errors, since FTS5 matches
//!   prefixes of a word and nothing else. Inside quotes `*` is just punctuation.
//! - **A prefix has at least [`MIN_PREFIX`] letters**: `a*` is a cost and no meaning.
//!   Rendered here as FTS5's `"banj"*`; `search` replaces it with the most frequent
//!   indexed words that start with it (`store::vocab`), which bounds its cost.
//! - **A quote always starts or ends a phrase**, even inside a word (`foo"bar"` is `foo`
//!   and `"bar"`); an unclosed quote is an error pointing at it.
//! - **Exclusions stand alone**: `-a OR b` is an error (FTS5's `NOT` needs a positive
//!   side, and "either not a, or b" is not a search anyone means), and so is a query of
//!   only exclusions: "everything except" cannot be ranked, so ask for a word.
//! - **`OR` needs a term on each side**: at the start, at the end or doubled it is an
//!   error.
//! - **Control characters (NUL, tab, newline) separate words**, like spaces. FTS5 stops
//!   reading a quoted string at NUL, so none may reach it.
//! - **At most [`MAX_WORDS`] words** (phrase words included): enough for any real search,
//!   and a bound on the work a pasted paragraph can cause.
//! - **Errors point at the problem**: [`QueryError`] carries the 1-based column, and its
//!   message echoes the query with a caret under that column.

use std::fmt::Write as _;

use crate::text::is_token_char;

/// The most words a query may hold, counting each word of a phrase.
pub const MAX_WORDS: usize = 64;

/// Letters or digits a `word*` prefix needs. A prefix is expanded to its most frequent
/// words (`store::vocab`), which bounds its cost at any length, but one character says
/// nothing about what is looked for, and where FTS5 expands a prefix itself (after
/// punctuation, `covid-1*`) it merges the lists of every word that starts with it.
pub const MIN_PREFIX: usize = 2;

/// A parsed query: every clause must match, no excluded term may.
///
/// Built only by [`parse`], so it always has at least one clause and no empty group.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// ANDed together; each clause is an OR-group of one or more terms.
    clauses: Vec<Vec<Term>>,
    /// Articles matching any of these are left out.
    excluded: Vec<Term>,
    /// `author:`, `feed:`, `site:` and `date:` filters.
    filters: Filters,
}

/// Filters given as fields in the query text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    /// Case-insensitive parts of the author's name; all must match.
    pub authors: Vec<String>,
    /// Feed names; any may match.
    pub feeds: Vec<String>,
    /// Hosts (lower-case); any may match, subdomains included.
    pub sites: Vec<String>,
    /// Inclusive publication-date ranges (UTC days); all must hold.
    pub dates: Vec<DateRange>,
}

/// Days from `from` to `to`, both included; `None` leaves that side open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

/// One searchable term, with its text as the user typed it (outside the `"` and `*`).
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// A word; punctuation inside it splits it into a phrase of tokens (`covid-19`).
    Word(String),
    /// A word the matched token must start with (`banj*` is `Prefix("banj")`).
    Prefix(String),
    /// Words that must appear next to each other, in order.
    Phrase(Vec<String>),
    /// Words that must appear next to each other in the headline (`title:`).
    Title(Vec<String>),
}

/// Why a query could not be parsed, and where.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    /// What is wrong and what to do, then the query echoed with a caret under `column`.
    pub message: String,
    /// 1-based column (counted in characters) of the problem.
    pub column: usize,
}

impl Query {
    /// No words and no filters: every article (`warta search` with no words, which lists
    /// the newest stories).
    pub fn everything() -> Query {
        Query {
            clauses: Vec::new(),
            excluded: Vec::new(),
            filters: Filters::default(),
        }
    }
}

/// Parses a search query. See the module documentation for the language.
pub fn parse(input: &str) -> Result<Query, QueryError> {
    let chars: Vec<char> = input.chars().collect();
    let tokens = lex(&chars)?;
    build(&chars, tokens)
}

impl Query {
    /// The clauses that must all match; each is an OR-group of one or more terms.
    pub fn clauses(&self) -> &[Vec<Term>] {
        &self.clauses
    }

    /// The terms that must not match.
    pub fn excluded(&self) -> &[Term] {
        &self.excluded
    }

    /// The field filters (`author:`, `feed:`, `site:`, `date:`).
    pub fn filters(&self) -> &Filters {
        &self.filters
    }

    /// Whether the query has words for the full-text index (else only filters).
    pub fn has_text(&self) -> bool {
        !self.clauses.is_empty()
    }

    /// The FTS5 MATCH expression: every term double-quoted (inner quotes doubled),
    /// prefixes as `"term"*`, OR groups parenthesised, clauses joined by `AND`,
    /// exclusions as `NOT`. Nothing of the user's text is outside quotes.
    ///
    /// `banjir jakarta OR bogor -tol` renders as
    /// `("banjir" AND ("jakarta" OR "bogor")) NOT "tol"`.
    pub fn to_fts5(&self) -> String {
        let mut out = String::new();
        let wrap = !self.excluded.is_empty() && self.clauses.len() > 1;
        if wrap {
            out.push('(');
        }
        for (i, clause) in self.clauses.iter().enumerate() {
            if i > 0 {
                out.push_str(" AND ");
            }
            render_group(&mut out, clause);
        }
        if wrap {
            out.push(')');
        }
        // FTS5's NOT is binary and left-associative: (P NOT a) NOT b leaves out both.
        for term in &self.excluded {
            out.push_str(" NOT ");
            render_term(&mut out, term);
        }
        out
    }

    /// Like [`Query::to_fts5`], with each word or phrase also matching the alternatives
    /// `expand` gives for it (aliases, stems): `("kutim" OR "kutai timur")`. A prefix is
    /// replaced by its alternatives when there are any (the words it stands for). Title
    /// terms are not expanded.
    pub fn to_fts5_expanded(&self, expand: &dyn Fn(&Term) -> Vec<String>) -> String {
        let mut out = String::new();
        let wrap = !self.excluded.is_empty() && self.clauses.len() > 1;
        if wrap {
            out.push('(');
        }
        for (i, clause) in self.clauses.iter().enumerate() {
            if i > 0 {
                out.push_str(" AND ");
            }
            let mut alts: Vec<String> = Vec::new();
            for term in clause {
                alts.extend(render_expanded(term, expand));
            }
            push_group(&mut out, &alts);
        }
        if wrap {
            out.push(')');
        }
        for term in &self.excluded {
            out.push_str(" NOT ");
            push_group(&mut out, &render_expanded(term, expand));
        }
        out
    }

    /// The positive terms' tokens, lower-cased, each once, in query order: what a
    /// highlighter should look for. Tokens are split the way the index splits them
    /// (`covid-19` gives `covid` and `19`); a prefix gives its stem without `*`.
    /// Diacritics are kept: a highlighter must fold them on both sides.
    pub fn positive_words(&self) -> Vec<String> {
        let mut words: Vec<String> = Vec::new();
        for term in self.clauses.iter().flatten() {
            let texts: &[String] = match term {
                Term::Word(w) | Term::Prefix(w) => std::slice::from_ref(w),
                Term::Phrase(ws) | Term::Title(ws) => ws,
            };
            for text in texts {
                for token in text.split(|c: char| !is_token_char(c)) {
                    if token.is_empty() {
                        continue;
                    }
                    let token = token.to_lowercase();
                    if !words.contains(&token) {
                        words.push(token);
                    }
                }
            }
        }
        words
    }
}

/// A term and the alternatives `expand` gives for it; a prefix with alternatives is
/// replaced by them.
fn render_expanded(term: &Term, expand: &dyn Fn(&Term) -> Vec<String>) -> Vec<String> {
    let extra = expand(term);
    if matches!(term, Term::Prefix(_)) && !extra.is_empty() {
        return extra;
    }
    let mut one = String::new();
    render_term(&mut one, term);
    let mut alts = vec![one];
    alts.extend(extra);
    alts
}

fn render_group(out: &mut String, group: &[Term]) {
    match group {
        [single] => render_term(out, single),
        _ => {
            out.push('(');
            for (i, term) in group.iter().enumerate() {
                if i > 0 {
                    out.push_str(" OR ");
                }
                render_term(out, term);
            }
            out.push(')');
        }
    }
}

/// Rendered alternatives as one FTS5 group: alone, or parenthesised with OR.
fn push_group(out: &mut String, alts: &[String]) {
    match alts {
        [one] => out.push_str(one),
        _ => {
            out.push('(');
            out.push_str(&alts.join(" OR "));
            out.push(')');
        }
    }
}

/// An FTS5 string for `text`, every user character inside quotes: for callers that
/// render expansions of a term.
pub fn quote(text: &str) -> String {
    let mut out = String::new();
    push_quoted(&mut out, text);
    out
}

fn render_term(out: &mut String, term: &Term) {
    match term {
        Term::Word(w) => push_quoted(out, w),
        Term::Prefix(p) => {
            push_quoted(out, p);
            out.push('*');
        }
        Term::Phrase(words) => push_quoted(out, &words.join(" ")),
        Term::Title(words) => {
            out.push_str("title : ");
            push_quoted(out, &words.join(" "));
        }
    }
}

/// An FTS5 string: `"` doubled inside. The lexer never lets `"` into a term; doubling
/// anyway keeps this function safe on its own.
fn push_quoted(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

/// Separates words: FTS5 cannot take control characters (it ends a string at NUL), and
/// they separate tokens in the index anyway.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || c.is_control()
}

fn has_token_char(text: &str) -> bool {
    text.chars().any(is_token_char)
}

/// A lexical item, with the 1-based column where it starts (at the `-` of an exclusion).
#[derive(Debug)]
enum Token {
    Or {
        column: usize,
    },
    Filter(Filter),
    Term {
        term: Term,
        excluded: bool,
        column: usize,
    },
}

fn lex(chars: &[char]) -> Result<Vec<Token>, QueryError> {
    let mut tokens = Vec::new();
    let mut words = 0usize;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if is_separator(c) {
            i += 1;
            continue;
        }
        let column = i + 1;
        // A `-` excludes only when something follows it directly; a lone `-` is
        // punctuation, dropped below.
        let excluded = c == '-' && chars.get(i + 1).is_some_and(|&n| !is_separator(n));
        if excluded {
            i += 1;
        }
        let (token, next) = if chars.get(i) == Some(&'"') {
            let (phrase, next) = lex_phrase(chars, i)?;
            let token = phrase.map(|term| Token::Term {
                term,
                excluded,
                column,
            });
            (token, next)
        } else {
            let end = chars
                .get(i..)
                .unwrap_or_default()
                .iter()
                .position(|&c| is_separator(c) || c == '"')
                .map_or(chars.len(), |n| i + n);
            let text: String = chars.get(i..end).unwrap_or_default().iter().collect();
            match field_name(&text) {
                Some((name, value)) => lex_field(chars, name, value, end, excluded, column)?,
                None => (classify_word(chars, i, end, excluded, column)?, end),
            }
        };
        i = next;
        let Some(token) = token else { continue };
        if let Token::Term { term, .. } = &token {
            words += match term {
                Term::Phrase(ws) | Term::Title(ws) => ws.len(),
                Term::Word(_) | Term::Prefix(_) => 1,
            };
            if words > MAX_WORDS {
                return Err(error(
                    chars,
                    column,
                    &format!("too many words (the limit is {MAX_WORDS})"),
                    "search for fewer words",
                ));
            }
        }
        tokens.push(token);
    }
    Ok(tokens)
}

/// Reads `"…"` starting at the quote `chars[open]`. Returns the phrase (None when it has
/// no token) and the index after the closing quote.
fn lex_phrase(chars: &[char], open: usize) -> Result<(Option<Term>, usize), QueryError> {
    let rest = chars.get(open + 1..).unwrap_or_default();
    let Some(len) = rest.iter().position(|&c| c == '"') else {
        return Err(error(
            chars,
            open + 1,
            "unclosed quote",
            "add the closing \" or remove this one",
        ));
    };
    let close = open + 1 + len;
    if chars.get(close + 1) == Some(&'*') {
        return Err(error(
            chars,
            close + 2,
            "`*` after a phrase",
            "a prefix `*` goes at the end of a word outside quotes, as in banj*",
        ));
    }
    let content: String = rest.iter().take(len).collect();
    let words: Vec<String> = content
        .split(is_separator)
        .filter(|w| has_token_char(w))
        .map(str::to_owned)
        .collect();
    Ok((
        (!words.is_empty()).then_some(Term::Phrase(words)),
        close + 1,
    ))
}

/// Turns the unquoted word `chars[from..to]` into `OR`, a word, a prefix, or nothing
/// when it has no letter or digit. `column` is where the token starts (at its `-`).
fn classify_word(
    chars: &[char],
    from: usize,
    to: usize,
    excluded: bool,
    column: usize,
) -> Result<Option<Token>, QueryError> {
    let text: String = chars.get(from..to).unwrap_or_default().iter().collect();
    if !excluded {
        match text.as_str() {
            "OR" => return Ok(Some(Token::Or { column })),
            "AND" => {
                return Err(error(
                    chars,
                    column,
                    "`AND` is not needed",
                    "words are already all required; remove it \
                     (to look for the word itself, write it in lower case or in quotes)",
                ));
            }
            "NOT" => {
                return Err(error(
                    chars,
                    column,
                    "`NOT` is not an operator here",
                    "put a minus before a word to leave it out, as in -banjir \
                     (to look for the word itself, write it in lower case or in quotes)",
                ));
            }
            _ => {}
        }
    }
    if !has_token_char(&text) {
        return Ok(None);
    }
    let stem = text.strip_suffix('*').unwrap_or(&text);
    if let Some(star) = stem.chars().position(|c| c == '*') {
        return Err(error(
            chars,
            from + 1 + star,
            "`*` inside a word",
            "`*` may only end a word, as in banj* (words starting with banj)",
        ));
    }
    let term = if stem.len() < text.len() {
        let last = stem
            .split(|c: char| !is_token_char(c))
            .rfind(|t| !t.is_empty())
            .unwrap_or_default();
        if last.chars().count() < MIN_PREFIX {
            return Err(error(
                chars,
                from + 1,
                "prefix too short",
                &format!("a prefix needs at least {MIN_PREFIX} letters or digits, as in banj*"),
            ));
        }
        Term::Prefix(stem.to_owned())
    } else {
        Term::Word(text.clone())
    };
    Ok(Some(Token::Term {
        term,
        excluded,
        column,
    }))
}

#[derive(Debug)]
enum Filter {
    Author(String),
    Feed(String),
    Site(String),
    Date(DateRange),
}

const FIELDS: &str = "the fields are title:, author:, feed:, site: and date:";

/// `name:` at the start of an unquoted word, when `name` is letters only.
fn field_name(text: &str) -> Option<(&str, &str)> {
    let (name, value) = text.split_once(':')?;
    (!name.is_empty() && name.len() <= 16 && name.chars().all(|c| c.is_ascii_alphabetic()))
        .then_some((name, value))
}

/// Reads the value of field `name` (its text, or the phrase that follows at `chars[end]`).
/// Returns the token and where lexing goes on.
fn lex_field(
    chars: &[char],
    name: &str,
    value: &str,
    end: usize,
    excluded: bool,
    column: usize,
) -> Result<(Option<Token>, usize), QueryError> {
    let lower = name.to_ascii_lowercase();
    if !matches!(
        lower.as_str(),
        "title" | "author" | "feed" | "site" | "date"
    ) {
        return Err(error(
            chars,
            column,
            &format!("unknown field `{name}:`"),
            &format!("{FIELDS}; to search for the text itself, put it in quotes"),
        ));
    }
    let (words, next): (Vec<String>, usize) = if value.is_empty() {
        if chars.get(end) == Some(&'"') {
            match lex_phrase(chars, end)? {
                (Some(Term::Phrase(ws)), next) => (ws, next),
                (_, next) => (Vec::new(), next),
            }
        } else {
            (Vec::new(), end)
        }
    } else {
        (vec![value.to_string()], end)
    };
    if words.is_empty() {
        return Err(error(
            chars,
            column,
            &format!("`{name}:` has no value"),
            "write the value right after the colon, as in title:banjir or title:\"banjir besar\"",
        ));
    }
    if excluded && lower != "title" {
        return Err(error(
            chars,
            column,
            &format!("`{name}:` cannot be excluded"),
            "leave out the minus; only words and title: can be excluded",
        ));
    }
    let joined = words.join(" ");
    let token = match lower.as_str() {
        "title" => Token::Term {
            term: Term::Title(words),
            excluded,
            column,
        },
        "author" => Token::Filter(Filter::Author(joined)),
        "feed" => Token::Filter(Filter::Feed(joined)),
        "site" => Token::Filter(Filter::Site(
            joined
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .trim_start_matches("www.")
                .trim_end_matches('/')
                .to_ascii_lowercase(),
        )),
        _ => Token::Filter(Filter::Date(parse_date_range(&joined).ok_or_else(
            || {
                error(
                    chars,
                    column,
                    &format!("`date:{joined}` is not a date or a range"),
                    "write date:2024, date:2024-11, date:2024-11-20, or a range such as \
                 date:2024-11-01..2024-11-30 (either side may be left out)",
                )
            },
        )?)),
    };
    Ok((Some(token), next))
}

/// `2024`, `2024-11`, `2024-11-20`, or `A..B` of those (one side may be empty).
fn parse_date_range(s: &str) -> Option<DateRange> {
    if let Some((a, b)) = s.split_once("..") {
        let from = if a.is_empty() {
            None
        } else {
            Some(period(a)?.0)
        };
        let to = if b.is_empty() {
            None
        } else {
            Some(period(b)?.1)
        };
        if from.is_none() && to.is_none() {
            return None;
        }
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return None;
        }
        return Some(DateRange { from, to });
    }
    let (from, to) = period(s)?;
    Some(DateRange {
        from: Some(from),
        to: Some(to),
    })
}

/// The first and last day of a year, month or day.
fn period(s: &str) -> Option<(chrono::NaiveDate, chrono::NaiveDate)> {
    use chrono::NaiveDate;
    let parts: Vec<&str> = s.split('-').collect();
    let num = |i: usize| parts.get(i).and_then(|p| p.parse::<u32>().ok());
    match parts.len() {
        1 if s.len() == 4 => {
            let y = i32::try_from(num(0)?).ok()?;
            Some((
                NaiveDate::from_ymd_opt(y, 1, 1)?,
                NaiveDate::from_ymd_opt(y, 12, 31)?,
            ))
        }
        2 => {
            let y = i32::try_from(num(0)?).ok()?;
            let m = num(1)?;
            let first = NaiveDate::from_ymd_opt(y, m, 1)?;
            let next = if m == 12 {
                NaiveDate::from_ymd_opt(y + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(y, m + 1, 1)?
            };
            Some((first, next.pred_opt()?))
        }
        3 => {
            let d = NaiveDate::from_ymd_opt(i32::try_from(num(0)?).ok()?, num(1)?, num(2)?)?;
            Some((d, d))
        }
        _ => None,
    }
}

/// What came before the current token, for the `OR` rules.
#[derive(Clone, Copy)]
enum Prev {
    Start,
    Positive,
    Excluded { column: usize },
    Or { column: usize },
}

fn build(chars: &[char], tokens: Vec<Token>) -> Result<Query, QueryError> {
    const OR_SIDES: &str = "`OR` needs a word to look for on each side";
    const OR_EXCLUDED: &str = "an excluded term cannot be one side of `OR`";
    const OR_EXCLUDED_HINT: &str = "move the -term out of the OR group";
    let mut clauses: Vec<Vec<Term>> = Vec::new();
    let mut excluded: Vec<Term> = Vec::new();
    let mut first_excluded: Option<usize> = None;
    let mut filters = Filters::default();
    let mut prev = Prev::Start;
    for token in tokens {
        prev = match (token, prev) {
            (Token::Filter(_), Prev::Or { column }) => {
                return Err(error(
                    chars,
                    column,
                    OR_SIDES,
                    "a field (feed:, site:, …) cannot be one side of `OR`",
                ));
            }
            (Token::Filter(f), p) => {
                match f {
                    Filter::Author(a) => filters.authors.push(a),
                    Filter::Feed(x) => filters.feeds.push(x),
                    Filter::Site(x) => filters.sites.push(x),
                    Filter::Date(d) => filters.dates.push(d),
                }
                match p {
                    Prev::Or { column } => Prev::Or { column },
                    _ => Prev::Start,
                }
            }
            (Token::Or { column }, Prev::Start) => {
                return Err(error(chars, column, OR_SIDES, "there is none before it"));
            }
            (Token::Or { column }, Prev::Or { .. }) => {
                return Err(error(
                    chars,
                    column,
                    OR_SIDES,
                    "there is none between it and the `OR` before it",
                ));
            }
            (Token::Or { .. }, Prev::Excluded { column }) => {
                return Err(error(chars, column, OR_EXCLUDED, OR_EXCLUDED_HINT));
            }
            (Token::Or { column }, Prev::Positive) => Prev::Or { column },
            (
                Token::Term {
                    excluded: true,
                    column,
                    ..
                },
                Prev::Or { .. },
            ) => {
                return Err(error(chars, column, OR_EXCLUDED, OR_EXCLUDED_HINT));
            }
            (
                Token::Term {
                    term,
                    excluded: true,
                    column,
                },
                _,
            ) => {
                first_excluded.get_or_insert(column);
                excluded.push(term);
                Prev::Excluded { column }
            }
            (
                Token::Term {
                    term,
                    excluded: false,
                    ..
                },
                Prev::Or { .. },
            ) => {
                match clauses.last_mut() {
                    Some(group) => group.push(term),
                    None => clauses.push(vec![term]),
                }
                Prev::Positive
            }
            (
                Token::Term {
                    term,
                    excluded: false,
                    ..
                },
                _,
            ) => {
                clauses.push(vec![term]);
                Prev::Positive
            }
        };
    }
    if let Prev::Or { column } = prev {
        return Err(error(chars, column, OR_SIDES, "there is none after it"));
    }
    let has_filters = filters != Filters::default();
    if clauses.is_empty() && !(has_filters && excluded.is_empty()) {
        return Err(match first_excluded {
            Some(column) => error(
                chars,
                column,
                "the query only leaves things out",
                "add at least one word to look for (-word removes matches, it finds none)",
            ),
            None if chars.iter().all(|&c| is_separator(c)) => error(
                chars,
                1,
                "the query is empty",
                "give at least one word to look for",
            ),
            None => error(
                chars,
                1,
                "the query has no words to look for",
                "only letters and digits are searchable; punctuation is ignored",
            ),
        });
    }
    Ok(Query {
        clauses,
        excluded,
        filters,
    })
}

/// How much of a long query to echo around the problem, in characters.
const ECHO_BEFORE: usize = 30;
const ECHO_WIDTH: usize = 70;

/// Builds the error: "<problem> (column N): <hint>", then the query (or the part of a
/// long one around the column) with a caret under the column.
fn error(chars: &[char], column: usize, problem: &str, hint: &str) -> QueryError {
    let mut message = format!("{problem} (column {column}): {hint}");
    if !chars.iter().all(|&c| is_separator(c)) {
        let at = column.saturating_sub(1);
        let (start, end) = if chars.len() <= ECHO_WIDTH {
            (0, chars.len())
        } else {
            let start = at.saturating_sub(ECHO_BEFORE).min(chars.len() - ECHO_WIDTH);
            (start, start + ECHO_WIDTH)
        };
        let mut echo = String::new();
        if start > 0 {
            echo.push('…');
        }
        // One visible character per input character keeps the caret aligned (wide
        // and combining characters aside).
        echo.extend(
            chars
                .get(start..end)
                .unwrap_or_default()
                .iter()
                .map(|&c| if is_separator(c) { ' ' } else { c }),
        );
        if end < chars.len() {
            echo.push('…');
        }
        let pad = at.saturating_sub(start) + usize::from(start > 0);
        let _ = write!(message, "\n  {}\n  {}^", echo.trim_end(), " ".repeat(pad));
    }
    QueryError { message, column }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fts(input: &str) -> String {
        match parse(input) {
            Ok(q) => q.to_fts5(),
            Err(e) => panic!("{input:?} should parse, got: {}", e.message),
        }
    }

    fn err(input: &str) -> QueryError {
        match parse(input) {
            Ok(q) => panic!("{input:?} should fail, got {q:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn fields_become_filters() {
        use chrono::NaiveDate;
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        let q = parse("banjir author:Rahman feed:tribun-kaltim site:https://www.Kaltim.Tribunnews.com/ date:2024-11")
            .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(q.to_fts5(), r#""banjir""#);
        let f = q.filters();
        assert_eq!(f.authors, ["Rahman"]);
        assert_eq!(f.feeds, ["tribun-kaltim"]);
        assert_eq!(f.sites, ["kaltim.tribunnews.com"]);
        assert_eq!(
            f.dates,
            [DateRange {
                from: d(2024, 11, 1),
                to: d(2024, 11, 30)
            }]
        );
        let q = parse("date:2024-02-03..").unwrap_or_else(|e| panic!("{}", e.message));
        assert!(!q.has_text());
        assert_eq!(
            q.filters().dates,
            [DateRange {
                from: d(2024, 2, 3),
                to: None
            }]
        );
        let q = parse("date:2023..2024-02").unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(
            q.filters().dates,
            [DateRange {
                from: d(2023, 1, 1),
                to: d(2024, 2, 29)
            }]
        );
        let q =
            parse(r#"author:"Andi Rahman" date:2024"#).unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(q.filters().authors, ["Andi Rahman"]);
    }

    /// Input ─► FTS5 expression, one named case per rule.
    #[test]
    fn renders_golden_expressions() {
        let cases: &[(&str, &str, &str)] = &[
            ("one word", "banjir", r#""banjir""#),
            (
                "words are ANDed",
                "banjir jakarta",
                r#""banjir" AND "jakarta""#,
            ),
            ("phrase", r#""hujan deras""#, r#""hujan deras""#),
            (
                "phrase spacing normalised",
                "\"  hujan \t deras \"",
                r#""hujan deras""#,
            ),
            ("OR group", "jakarta OR bogor", r#"("jakarta" OR "bogor")"#),
            (
                "OR chain is one group",
                "a OR b OR c",
                r#"("a" OR "b" OR "c")"#,
            ),
            (
                "OR binds tighter than AND",
                "a b OR c",
                r#""a" AND ("b" OR "c")"#,
            ),
            ("OR before AND", "a OR b c", r#"("a" OR "b") AND "c""#),
            (
                "lower-case or is a word",
                "a or b",
                r#""a" AND "or" AND "b""#,
            ),
            (
                "mixed-case Or is a word",
                "a Or b",
                r#""a" AND "Or" AND "b""#,
            ),
            (
                "quoted OR is a word",
                r#"a "OR" b"#,
                r#""a" AND "OR" AND "b""#,
            ),
            ("exclusion", "banjir -tol", r#""banjir" NOT "tol""#),
            (
                "excluded phrase",
                r#"banjir -"jalan tol""#,
                r#""banjir" NOT "jalan tol""#,
            ),
            (
                "exclusions after several clauses are wrapped",
                "banjir jakarta OR bogor -tol",
                r#"("banjir" AND ("jakarta" OR "bogor")) NOT "tol""#,
            ),
            ("two exclusions", "a -b -c", r#""a" NOT "b" NOT "c""#),
            ("exclusion first", "-b a", r#""a" NOT "b""#),
            ("prefix", "banj*", r#""banj"*"#),
            ("excluded prefix", "a -tol*", r#""a" NOT "tol"*"#),
            (
                "prefix in OR group",
                "banj* OR longsor",
                r#"("banj"* OR "longsor")"#,
            ),
            (
                "hyphenated word stays one quoted term",
                "covid-19",
                r#""covid-19""#,
            ),
            ("prefix ending in punctuation", "covid-*", r#""covid-"*"#),
            (
                "lone minus is punctuation",
                "Jakarta - Bandung",
                r#""Jakarta" AND "Bandung""#,
            ),
            ("trailing minus is punctuation", "a -", r#""a""#),
            ("lone star ignored", "a *", r#""a""#),
            ("empty phrase ignored", r#"a """#, r#""a""#),
            ("punctuation-only phrase ignored", r#"a "- &""#, r#""a""#),
            (
                "punctuation word dropped inside phrase",
                r#""a - b""#,
                r#""a b""#,
            ),
            (
                "punctuation between OR sides is a space",
                "a OR & b",
                r#"("a" OR "b")"#,
            ),
            ("excluded punctuation ignored", "a -&", r#""a""#),
            (
                "quote ends a word",
                r#"foo"bar baz""#,
                r#""foo" AND "bar baz""#,
            ),
            (
                "minus after a phrase excludes",
                r#""a b"-c"#,
                r#""a b" NOT "c""#,
            ),
            ("double minus", "a --b", r#""a" NOT "-b""#),
            ("excluded OR is a word", "a -OR", r#""a" NOT "OR""#),
            ("NEAR is a word", "NEAR(a b)", r#""NEAR(a" AND "b)""#),
            ("quoted column filter is words", "\"body:x\"", r#""body:x""#),
            ("title field", "title:banjir", r#"title : "banjir""#),
            (
                "title phrase with other words",
                "samarinda title:\"banjir besar\"",
                r#""samarinda" AND title : "banjir besar""#,
            ),
            ("a time is a word", "10:15", r#""10:15""#),
            ("caret is a word", "^x", r#""^x""#),
            ("plus is a word", "a+b", r#""a+b""#),
            (
                "parentheses are words",
                "(a OR b) c",
                r#"("(a" OR "b)") AND "c""#,
            ),
            (
                "lower-case and/not are words",
                "and not",
                r#""and" AND "not""#,
            ),
            ("OR* is a prefix", "OR*", r#""OR"*"#),
            ("AND* is a prefix", "AND*", r#""AND"*"#),
            ("diacritics kept as typed", "Kafé", r#""Kafé""#),
            ("NUL separates words", "a\0b", r#""a" AND "b""#),
            (
                "NUL inside a phrase separates words",
                "\"a\0b\"",
                r#""a b""#,
            ),
            (
                "tabs and newlines separate",
                "a\tb\nc",
                r#""a" AND "b" AND "c""#,
            ),
            ("apostrophe inside word", "Jum'at", r#""Jum'at""#),
            ("private use is a token", "\u{E000}", "\"\u{E000}\""),
            ("combining mark alone ignored", "a \u{0345}", r#""a""#),
            (
                "single quote phrase of one word",
                r#""banjir""#,
                r#""banjir""#,
            ),
        ];
        for (name, input, want) in cases {
            assert_eq!(&fts(input), want, "case {name:?}: {input:?}");
        }
    }

    /// Input ─► error message fragment and column.
    #[test]
    fn reports_golden_errors() {
        let cases: &[(&str, &str, &str, usize)] = &[
            ("empty", "", "the query is empty", 1),
            ("unknown field", "banjir body:x", "unknown field `body:`", 8),
            (
                "field without value",
                "title: banjir",
                "`title:` has no value",
                1,
            ),
            ("bad date", "a date:2024-13", "is not a date or a range", 3),
            (
                "reversed range",
                "a date:2024-12..2024-11",
                "is not a date or a range",
                3,
            ),
            ("excluded filter", "a -feed:x", "cannot be excluded", 3),
            ("blank", "   \t ", "the query is empty", 1),
            ("only punctuation", "* - & \"\"", "no words to look for", 1),
            (
                "only exclusions",
                "-banjir -tol",
                "add at least one word to look for",
                1,
            ),
            (
                "only exclusions later",
                "& -banjir",
                "add at least one word to look for",
                3,
            ),
            ("unclosed quote", "foo \"bar baz", "unclosed quote", 5),
            ("lone quote", "\"", "unclosed quote", 1),
            ("unclosed excluded phrase", "a -\"b", "unclosed quote", 4),
            ("third quote", "\"a\" \"b", "unclosed quote", 5),
            ("OR at start", "OR a", "none before it", 1),
            ("OR at end", "a OR", "none after it", 3),
            ("OR alone", "OR", "none before it", 1),
            ("OR OR", "a OR OR b", "none between it", 6),
            ("OR over dropped term", "a OR & OR b", "none between it", 8),
            ("OR after dropped start", "& OR a", "none before it", 3),
            (
                "OR with exclusion after",
                "a OR -b",
                "excluded term cannot be one side of `OR`",
                6,
            ),
            (
                "OR with exclusion before",
                "-a OR b",
                "excluded term cannot be one side of `OR`",
                1,
            ),
            ("star inside", "a*b", "`*` inside a word", 2),
            ("one-letter prefix", "banjir m*", "prefix too short", 8),
            (
                "one digit after punctuation",
                "covid-1*",
                "prefix too short",
                1,
            ),
            ("star first", "*a", "`*` inside a word", 1),
            ("double star", "ab**", "`*` inside a word", 3),
            ("star inside excluded", "x -a*b", "`*` inside a word", 5),
            ("star after phrase", "\"a b\"*", "`*` after a phrase", 6),
            ("AND", "a AND b", "`AND` is not needed", 3),
            ("NOT", "a NOT b", "put a minus before a word", 3),
        ];
        for (name, input, fragment, column) in cases {
            let e = err(input);
            assert!(
                e.message.contains(fragment),
                "case {name:?}: {input:?} gave {:?}, wanted {fragment:?}",
                e.message
            );
            assert_eq!(e.column, *column, "case {name:?}: {input:?}: {}", e.message);
        }
    }

    #[test]
    fn error_echoes_the_query_with_a_caret() {
        let e = err("banjir \"hujan deras");
        assert_eq!(
            e.message,
            "unclosed quote (column 8): add the closing \" or remove this one\n  \
             banjir \"hujan deras\n         ^"
        );
    }

    #[test]
    fn error_echo_of_a_long_query_is_a_window_around_the_column() {
        let input = format!("{} a*b {}", "x".repeat(5000), "y".repeat(5000));
        let e = err(&input);
        assert_eq!(e.column, 5003);
        let lines: Vec<&str> = e.message.lines().collect();
        assert_eq!(lines.len(), 3, "{}", e.message);
        assert!(lines[1].chars().count() < 80, "echo too long: {}", lines[1]);
        let echo: Vec<char> = lines[1].chars().collect();
        let caret = lines[2].chars().position(|c| c == '^');
        assert_eq!(caret.and_then(|i| echo.get(i)), Some(&'*'), "{}", e.message);
    }

    #[test]
    fn error_echo_shows_control_characters_as_spaces() {
        let e = err("a\0OR");
        assert!(e.message.ends_with("\n  a OR\n    ^"), "{:?}", e.message);
    }

    #[test]
    fn word_limit_counts_phrase_words() {
        let ok = vec!["w"; MAX_WORDS].join(" ");
        assert!(parse(&ok).is_ok());
        let too_many = format!("{ok} extra");
        let e = err(&too_many);
        assert!(e.message.contains("too many words"), "{}", e.message);
        assert_eq!(e.column, MAX_WORDS * 2 + 1);
        let phrase = format!("\"{}\"", vec!["w"; MAX_WORDS + 1].join(" "));
        assert!(err(&phrase).message.contains("too many words"));
    }

    #[test]
    fn ten_thousand_character_queries_are_handled() {
        let one_word = "a".repeat(10_000);
        assert_eq!(fts(&one_word), format!("\"{one_word}\""));
        let many_words = "ab ".repeat(3_400);
        assert!(err(&many_words).message.contains("too many words"));
        let quotes = "\"".repeat(10_001);
        assert!(err(&quotes).message.contains("unclosed quote"));
        let stars = "*".repeat(10_000);
        assert!(err(&stars).message.contains("no words to look for"));
    }

    #[test]
    fn tree_keeps_terms_as_typed() {
        let q = parse("Banjir jakarta OR \"Kota Bogor\" -toll* -\"jalan raya\"").unwrap();
        assert_eq!(
            q.clauses(),
            &[
                vec![Term::Word("Banjir".into())],
                vec![
                    Term::Word("jakarta".into()),
                    Term::Phrase(vec!["Kota".into(), "Bogor".into()])
                ],
            ]
        );
        assert_eq!(
            q.excluded(),
            &[
                Term::Prefix("toll".into()),
                Term::Phrase(vec!["jalan".into(), "raya".into()])
            ]
        );
    }

    #[test]
    fn positive_words_are_lower_case_tokens_without_exclusions() {
        let q = parse("Banjir covid-19 banj* \"Kota BOGOR\" banjir -tol").unwrap();
        assert_eq!(
            q.positive_words(),
            ["banjir", "covid", "19", "banj", "kota", "bogor"]
        );
    }

    /// Walks a rendered expression and checks that outside double quotes there are only
    /// our operators, and that every quoted string holds a token and no control character.
    fn assert_all_user_text_quoted(expr: &str) {
        let mut outside = String::new();
        let mut chars = expr.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '"' {
                outside.push(c);
                continue;
            }
            let mut inner = String::new();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        inner.push('"');
                    }
                    Some('"') => break,
                    Some(c) => inner.push(c),
                    None => panic!("unterminated string in {expr:?}"),
                }
            }
            assert!(has_token_char(&inner), "no token in {inner:?} of {expr:?}");
            assert!(!inner.chars().any(char::is_control), "control in {expr:?}");
            outside.push_str(" S ");
        }
        for word in outside.split([' ', '(', ')']) {
            assert!(
                matches!(word, "" | "S" | "*" | "AND" | "OR" | "NOT"),
                "{word:?} outside quotes in {expr:?}"
            );
        }
    }

    mod fts5 {
        use super::*;
        use rusqlite::Connection;

        /// The schema's tokenizer, on rows chosen to tell the rules apart.
        fn table() -> Connection {
            let db = Connection::open_in_memory().unwrap();
            db.execute_batch(
                "CREATE VIRTUAL TABLE t USING fts5(title, body,
                     tokenize = 'unicode61 remove_diacritics 2');
                 INSERT INTO t(rowid, title, body) VALUES
                   (1, 'Banjir di Jakarta', 'Hujan deras sejak pagi; jalan tol tergenang.'),
                   (2, 'Banjir di Bogor', 'Hujan turun deras, warga mengungsi.'),
                   (3, 'Kasus COVID-19 naik', 'Kafé dan pasar di Jakarta ditutup.'),
                   (4, 'Longsor di Bandung', 'Body: NEAR the river and not far.');",
            )
            .unwrap();
            db
        }

        fn matches(db: &Connection, query: &str) -> Vec<i64> {
            let expr = fts(query);
            let mut stmt = db
                .prepare("SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY rowid")
                .unwrap();
            let rows = stmt
                .query_map([&expr], |r| r.get(0))
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<i64>>>());
            match rows {
                Ok(ids) => ids,
                Err(e) => panic!("FTS5 rejected {expr:?} (from {query:?}): {e}"),
            }
        }

        #[test]
        fn rendered_expressions_match_the_right_rows() {
            let db = table();
            let cases: &[(&str, &[i64])] = &[
                ("banjir", &[1, 2]),
                ("BANJIR jakarta", &[1]),
                ("banjir jakarta OR bogor", &[1, 2]),
                ("banjir -tol", &[2]),
                ("banjir -\"jalan tol\"", &[2]),
                ("banjir -\"tol jalan\"", &[1, 2]),
                ("\"hujan deras\"", &[1]),
                ("deras", &[1, 2]),
                ("kafe", &[3]),
                ("KAFÉ", &[3]),
                ("covid-19", &[3]),
                ("covid", &[3]),
                ("covid-*", &[3]),
                ("band*", &[4]),
                ("banj* -bogor", &[1]),
                ("jakarta -kaf*", &[1]),
                ("NEAR(the river)", &[4]),
                ("\"body:near\"", &[4]),
                ("^longsor", &[4]),
                ("a+b", &[]),
                ("(hujan OR longsor) bogor", &[2]),
                ("or", &[]),
                ("and not", &[4]),
                ("pagi\0tol", &[1]),
                ("Jakarta - Bogor", &[]),
            ];
            for (query, want) in cases {
                assert_eq!(&matches(&db, query), want, "query {query:?}");
            }
        }

        /// Compares `is_token_char` with what unicode61 does to one-character documents on
        /// the scripts news here is written in (Latin, Arabic, Thai, CJK, fullwidth forms).
        /// Where we say "token" and FTS5 does not, the rendered phrase would match nothing:
        /// this may happen only for the listed Other_Alphabetic marks. Where FTS5 says
        /// "token" and we do not (code points unassigned in SQLite's Unicode 6.1 tables),
        /// we drop a term nobody types; that must not happen for Latin or CJK.
        #[test]
        fn token_chars_agree_with_fts5_on_common_scripts() {
            let db = Connection::open_in_memory().unwrap();
            db.execute_batch(
                "CREATE VIRTUAL TABLE v USING fts5(x, tokenize = 'unicode61 remove_diacritics 2');
                 CREATE VIRTUAL TABLE vi USING fts5vocab(v, 'instance');",
            )
            .unwrap();
            let ranges = [
                0x20..=0x24F,
                0x300..=0x36F,
                0x600..=0x6FF,
                0xE00..=0xE7F,
                0x2000..=0x206F,
                0x3000..=0x303F,
                0x4E00..=0x4FFF,
                0xFF00..=0xFFEF,
            ];
            let tx = db.unchecked_transaction().unwrap();
            let mut cps = Vec::new();
            for cp in ranges.into_iter().flatten() {
                let Some(c) = char::from_u32(cp) else {
                    continue;
                };
                tx.execute(
                    "INSERT INTO v(rowid, x) VALUES (?1, ?2)",
                    rusqlite::params![i64::from(cp), c.to_string()],
                )
                .unwrap();
                cps.push((cp, c));
            }
            tx.commit().unwrap();
            let with_token: std::collections::HashSet<i64> = db
                .prepare("SELECT DISTINCT doc FROM vi")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            // Arabic harakat and Thai vowel marks: combining, yet Other_Alphabetic.
            let known_marks = [
                0x610..=0x61A,
                0x64B..=0x65F,
                0x670..=0x670,
                0x6D6..=0x6ED,
                0xE31..=0xE31,
                0xE34..=0xE3A,
                0xE4D..=0xE4D,
            ];
            let must_agree = [0x20..=0x24F, 0x3000..=0x303F, 0x4E00..=0x4FFF];
            let mut wrong = Vec::new();
            for (cp, c) in cps {
                let fts5 = with_token.contains(&i64::from(cp));
                let ours = is_token_char(c);
                let tolerated = if ours {
                    known_marks.iter().any(|r| r.contains(&cp))
                } else {
                    !must_agree.iter().any(|r| r.contains(&cp))
                };
                if fts5 != ours && !tolerated {
                    wrong.push(format!("U+{cp:04X} (ours {ours}, fts5 {fts5})"));
                }
            }
            assert!(wrong.is_empty(), "disagree: {wrong:?}");
        }

        /// Pieces of queries: words in several scripts, every operator and FTS5 character,
        /// quotes, control characters, and arbitrary text.
        fn piece() -> impl proptest::strategy::Strategy<Value = String> {
            use proptest::prelude::*;
            let symbol = prop::sample::select(vec![
                " ", "\"", "\"a b\"", "-", "*", "OR", "or", "AND", "NOT", "NEAR(", "(", ")", ":",
                "^", "+", "\0", "\t", "\n", "\u{0301}", "\u{0345}", "\u{E000}", "é",
            ]);
            prop_oneof![
                6 => "[a-zA-Z0-9\u{4E00}\u{0627}\u{0E01}]{1,6}",
                4 => symbol.prop_map(str::to_owned),
                1 => any::<String>(),
            ]
        }

        /// Parsing `input` never panics; an Ok renders an expression that FTS5 accepts,
        /// with all user text inside quotes; an error points inside the input.
        fn check(db: &Connection, input: &str) -> Result<(), proptest::test_runner::TestCaseError> {
            match parse(input) {
                Ok(q) => {
                    let expr = q.to_fts5();
                    assert_all_user_text_quoted(&expr);
                    let n: rusqlite::Result<i64> =
                        db.query_row("SELECT count(*) FROM t WHERE t MATCH ?1", [&expr], |r| {
                            r.get(0)
                        });
                    proptest::prop_assert!(n.is_ok(), "{input:?} -> {expr:?}: {n:?}");
                }
                Err(e) => {
                    proptest::prop_assert!(e.column >= 1);
                    proptest::prop_assert!(e.column <= input.chars().count().max(1));
                    let at = format!("column {}", e.column);
                    proptest::prop_assert!(e.message.contains(&at), "{}", e.message);
                }
            }
            Ok(())
        }

        thread_local! {
            static DB: Connection = table();
        }

        proptest::proptest! {
            #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

            #[test]
            fn parse_never_panics_and_renders_only_quoted_text(
                parts in proptest::collection::vec(piece(), 0..40)
            ) {
                DB.with(|db| {
                    check(db, &parts.concat())?;
                    check(db, &parts.join(" "))
                })?;
            }
        }

        proptest::proptest! {
            #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

            #[test]
            fn long_arbitrary_strings_never_panic(input in ".{0,12000}") {
                DB.with(|db| check(db, &input))?;
            }
        }
    }
}
