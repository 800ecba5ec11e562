//! The user's query ─► a safe [`SearchRequest`] for the store.
//!
//! `query` parses the query text into our own syntax tree and renders it as an FTS5
//! expression with every term quoted, so nothing the user types reaches SQLite as syntax;
//! `when` reads the date bounds. SQL stays in `store`.

pub mod aliases;
pub mod query;
pub mod snippet;
pub mod when;

use chrono::{DateTime, Utc};

use crate::store::{SearchRequest, SortOrder};

/// The search options as the command line gives them.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub feeds: Vec<String>,
    pub region: Option<String>,
    /// Seen in a feed with any of these tags.
    pub tags: Vec<String>,
    pub language: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub limit: usize,
    pub offset: usize,
    pub sort: SortOrder,
    pub all: bool,
    /// Only articles taken down by their publisher.
    pub removed: bool,
    /// Only articles revised by their publisher.
    pub revised: bool,
}

/// Err is a message for the user: what is wrong with the query or an option.
/// `prefix_words` gives the indexed words a prefix stands for (`Store::prefix_words`);
/// a prefix for which it gives none is left to FTS5.
pub fn build_request(
    text: &str,
    f: &Filters,
    aliases: &aliases::Aliases,
    prefix_words: &dyn Fn(&str) -> Vec<String>,
    now: DateTime<Utc>,
) -> Result<(SearchRequest, snippet::Highlighter), String> {
    let q = if text.trim().is_empty() {
        query::Query::everything()
    } else {
        query::parse(text).map_err(|e| format!("cannot read the query: {e}"))?
    };
    let since = f
        .since
        .as_deref()
        .map(|s| when::parse_when(s, when::Bound::Since, now).map_err(|e| format!("--since: {e}")))
        .transpose()?;
    let until = f
        .until
        .as_deref()
        .map(|s| when::parse_when(s, when::Bound::Until, now).map_err(|e| format!("--until: {e}")))
        .transpose()?;
    if let (Some(s), Some(u)) = (since, until)
        && s > u
    {
        return Err(format!(
            "--since {} is after --until {}",
            s.to_rfc3339(),
            u.to_rfc3339()
        ));
    }
    if f.limit == 0 {
        return Err("--limit must be at least 1".into());
    }
    if let Some(l) = &f.language
        && (l.len() != 2 || !l.chars().all(|c| c.is_ascii_alphabetic()))
    {
        return Err(format!(
            "--lang {l:?}: use a two-letter ISO 639-1 code such as id or en"
        ));
    }
    let day_start = |d: chrono::NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp());
    let day_end = |d: chrono::NaiveDate| d.and_hms_opt(23, 59, 59).map(|t| t.and_utc().timestamp());
    let filters = q.filters();
    let mut ranges: Vec<(Option<i64>, Option<i64>)> = filters
        .dates
        .iter()
        .map(|r| (r.from.and_then(day_start), r.to.and_then(day_end)))
        .collect();
    if since.is_some() || until.is_some() {
        ranges.push((since.map(|t| t.timestamp()), until.map(|t| t.timestamp())));
    }
    let mut feeds = f.feeds.clone();
    feeds.extend(filters.feeds.iter().cloned());
    let fts = q
        .has_text()
        .then(|| q.to_fts5_expanded(&|t| expand(t, aliases, prefix_words)));
    let request = SearchRequest {
        rank_cap: Some(
            fts.as_deref()
                .map_or(crate::store::RANK_CAP, crate::store::rank_cap_for),
        ),
        fts,
        feeds,
        region: f.region.clone(),
        tags: f.tags.clone(),
        language: f.language.clone(),
        authors: filters.authors.clone(),
        sites: filters.sites.clone(),
        ranges,
        limit: f.limit,
        offset: f.offset,
        sort: f.sort,
        all: f.all,
        removed: f.removed,
        revised: f.revised,
        only: None,
        now: now.timestamp(),
        min_rowid: None,
    };
    Ok((request, highlighter(&q, aliases)))
}

/// Marks what the query looks for: its words, their aliases' words, its prefixes.
fn highlighter(q: &query::Query, aliases: &aliases::Aliases) -> snippet::Highlighter {
    let mut words = q.positive_words();
    let mut prefixes = Vec::new();
    for term in q.clauses().iter().flatten() {
        match term {
            query::Term::Prefix(p) => prefixes.push(p.clone()),
            query::Term::Word(w) => {
                for form in aliases.others(std::slice::from_ref(w)) {
                    words.extend(form);
                }
            }
            query::Term::Phrase(ws) => {
                for form in aliases.others(ws) {
                    words.extend(form);
                }
            }
            query::Term::Title(_) => {}
        }
    }
    // A prefix's stem is not a whole word to mark.
    words.retain(|w| !prefixes.iter().any(|p| p.to_lowercase() == *w));
    snippet::Highlighter::new(&words, &prefixes)
}

/// The other forms a term also matches: its aliases (`kutai timur` ─► the indexed key
/// `kutim`, see `aliases::index_keys`; a user's group ─► its other forms) and, for a
/// single word, its Indonesian root (`layanan` ─► `layan`), which the stems column holds
/// for every inflected form ("pelayanan", "melayani"). A quoted phrase stays exact.
///
/// A prefix is replaced by the words it stands for (see `store::vocab`).
fn expand(
    term: &query::Term,
    aliases: &aliases::Aliases,
    prefix_words: &dyn Fn(&str) -> Vec<String>,
) -> Vec<String> {
    let words: &[String] = match term {
        query::Term::Word(w) => std::slice::from_ref(w),
        query::Term::Phrase(ws) => ws,
        query::Term::Prefix(p) => {
            return prefix_words(p).iter().map(|w| query::quote(w)).collect();
        }
        query::Term::Title(_) => return Vec::new(),
    };
    let mut out: Vec<String> = aliases
        .query_forms(words)
        .into_iter()
        .map(|form| query::quote(&form.join(" ")))
        .collect();
    if let query::Term::Word(w) = term {
        let lower = w.to_lowercase();
        let root = crate::stem::stem_id(&lower);
        if root != lower && !root.is_empty() {
            out.push(query::quote(&root));
        }
    }
    out
}

/// Feed names a query or its options refer to, to check they exist.
pub fn named_feeds(text: &str) -> Vec<String> {
    query::parse(text)
        .map(|q| q.filters().feeds.clone())
        .unwrap_or_default()
}

/// A watch compiled for matching new articles as they are written (`store::WatchSet`): the
/// request `warta search` would run for it, and the anchors of its most selective clause.
pub fn compile_watch(
    name: &str,
    text: &str,
    filters: &Filters,
    aliases: &aliases::Aliases,
    prefix_words: &dyn Fn(&str) -> Vec<String>,
) -> Result<crate::store::CompiledWatch, String> {
    let (request, _) = build_request(text, filters, aliases, prefix_words, Utc::now())?;
    let q = if text.trim().is_empty() {
        query::Query::everything()
    } else {
        query::parse(text).map_err(|e| format!("cannot read the query: {e}"))?
    };
    // The clause whose shortest anchor is longest: long words are rare words, so the watch
    // is confirmed for few articles.
    let anchors = q
        .clauses()
        .iter()
        .filter_map(|clause| clause_anchors(clause, aliases, prefix_words))
        .max_by_key(|anchors| {
            anchors
                .iter()
                .map(|a| match a {
                    Anchor::Word(w) | Anchor::Prefix(w) => w.len(),
                })
                .min()
                .unwrap_or(0)
        })
        .unwrap_or_default();
    Ok(crate::store::CompiledWatch {
        name: name.to_string(),
        request,
        anchors,
    })
}

use crate::store::Anchor;

/// The first index word of every alternative of an OR-group, aliases, stems and the words
/// a prefix stands for included: an article that matches the group holds one of them.
/// None when an alternative has no word to anchor on.
fn clause_anchors(
    clause: &[query::Term],
    aliases: &aliases::Aliases,
    prefix_words: &dyn Fn(&str) -> Vec<String>,
) -> Option<Vec<Anchor>> {
    let first = |text: &str| {
        crate::stem::Folded::new(text)
            .iter()
            .next()
            .map(str::to_owned)
    };
    let mut anchors: Vec<Anchor> = Vec::new();
    for term in clause {
        let words: &[String] = match term {
            query::Term::Prefix(p) => {
                let stands_for = prefix_words(p);
                if stands_for.is_empty() {
                    anchors.push(Anchor::Prefix(first(p)?));
                } else {
                    for w in stands_for {
                        anchors.push(Anchor::Word(first(&w)?));
                    }
                }
                continue;
            }
            query::Term::Title(ws) => {
                anchors.push(Anchor::Word(first(&ws.join(" "))?));
                continue;
            }
            query::Term::Word(w) => std::slice::from_ref(w),
            query::Term::Phrase(ws) => ws,
        };
        anchors.push(Anchor::Word(first(&words.join(" "))?));
        for form in aliases.query_forms(words) {
            anchors.push(Anchor::Word(first(&form.join(" "))?));
        }
        if let query::Term::Word(w) = term {
            let lower = w.to_lowercase();
            let root = crate::stem::stem_id(&lower);
            if root != lower && !root.is_empty() {
                anchors.push(Anchor::Word(first(&root)?));
            }
        }
    }
    anchors.dedup();
    Some(anchors)
}
