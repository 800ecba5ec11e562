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

use crate::store::{Alternative, Anchor, SearchRequest, SortOrder};

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
    let mut request = SearchRequest {
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
        newest: None,
        id_bounds: crate::store::IdBounds::Unknown,
    };
    if request.has_filters() {
        request.rank_cap = request.rank_cap.map(crate::store::filtered_rank_cap);
    }
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
/// request `warta search` would run for it, its clauses and exclusions as the index words
/// of each alternative, and the first words of its most selective clause, by which it is
/// indexed.
pub fn compile_watch(
    name: &str,
    text: &str,
    filters: &Filters,
    aliases: &aliases::Aliases,
    archive: ArchiveWords<'_>,
) -> Result<crate::store::CompiledWatch, String> {
    let ArchiveWords {
        prefix_words,
        word_docs,
    } = archive;
    let (request, _) = build_request(text, filters, aliases, prefix_words, Utc::now())?;
    let q = if text.trim().is_empty() {
        query::Query::everything()
    } else {
        query::parse(text).map_err(|e| format!("cannot read the query: {e}"))?
    };
    let clauses: Option<Vec<Vec<Alternative>>> = q
        .clauses()
        .iter()
        .map(|clause| alternatives(clause, aliases, prefix_words))
        .collect();
    let excluded: Option<Vec<Alternative>> = alternatives(q.excluded(), aliases, prefix_words);
    // The clause whose first words the fewest archived articles hold (then the one whose
    // shortest first word is longest: long words are rarer): the watch is then looked at
    // for few articles.
    let firsts = |clause: &Vec<Alternative>| -> Vec<Anchor> {
        let mut f: Vec<Anchor> = clause
            .iter()
            .filter_map(|alt| alt.words.first().cloned())
            .collect();
        f.dedup();
        f
    };
    let anchors = clauses
        .iter()
        .flatten()
        .map(firsts)
        .min_by_key(|anchors| {
            let docs: u64 = anchors
                .iter()
                .map(|a| match a {
                    Anchor::Word(w) => word_docs(w),
                    Anchor::Prefix(_) => 0,
                })
                .sum();
            let shortest = anchors
                .iter()
                .map(|a| match a {
                    Anchor::Word(w) | Anchor::Prefix(w) => w.len(),
                })
                .min()
                .unwrap_or(0);
            (docs, std::cmp::Reverse(shortest))
        })
        .unwrap_or_default();
    Ok(crate::store::CompiledWatch::new(
        name,
        request,
        anchors,
        clauses.zip(excluded),
    ))
}

/// What the archive knows of words, for compiling a watch.
#[derive(Clone, Copy)]
pub struct ArchiveWords<'a> {
    /// The words a prefix stands for (`Store::prefix_words`).
    pub prefix_words: &'a dyn Fn(&str) -> Vec<String>,
    /// How many articles hold a word (`Store::word_docs`).
    pub word_docs: &'a dyn Fn(&str) -> u64,
}

/// The alternatives of an OR-group (or of the exclusions) as index words, aliases, stems
/// and the words a prefix stands for included, the way the search expands them. None when
/// a term has no word to go by (then the watch is confirmed by the index alone).
fn alternatives(
    terms: &[query::Term],
    aliases: &aliases::Aliases,
    prefix_words: &dyn Fn(&str) -> Vec<String>,
) -> Option<Vec<Alternative>> {
    let any_column = |text: &str| -> Option<Alternative> {
        let words: Vec<Anchor> = crate::stem::Folded::new(text)
            .iter()
            .map(|w| Anchor::Word(w.to_owned()))
            .collect();
        (!words.is_empty()).then_some(Alternative {
            words,
            title_only: false,
        })
    };
    let mut alts: Vec<Alternative> = Vec::new();
    for term in terms {
        let words: &[String] = match term {
            query::Term::Prefix(p) => {
                let stands_for = prefix_words(p);
                if stands_for.is_empty() {
                    let stem = crate::stem::Folded::new(p).iter().next()?.to_owned();
                    alts.push(Alternative {
                        words: vec![Anchor::Prefix(stem)],
                        title_only: false,
                    });
                } else {
                    for w in stands_for {
                        alts.push(any_column(&w)?);
                    }
                }
                continue;
            }
            query::Term::Title(ws) => {
                let mut alt = any_column(&ws.join(" "))?;
                alt.title_only = true;
                alts.push(alt);
                continue;
            }
            query::Term::Word(w) => std::slice::from_ref(w),
            query::Term::Phrase(ws) => ws,
        };
        alts.push(any_column(&words.join(" "))?);
        for form in aliases.query_forms(words) {
            alts.push(any_column(&form.join(" "))?);
        }
        if let query::Term::Word(w) = term {
            let lower = w.to_lowercase();
            let root = crate::stem::stem_id(&lower);
            if root != lower && !root.is_empty() {
                alts.push(any_column(&root)?);
            }
        }
    }
    Some(alts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch(query: &str) -> crate::store::CompiledWatch {
        let aliases = aliases::Aliases::new(&[]);
        let none = |_: &str| Vec::new();
        let zero = |_: &str| 0;
        let words = ArchiveWords {
            prefix_words: &none,
            word_docs: &zero,
        };
        let filters = Filters {
            limit: 1,
            ..Filters::default()
        };
        compile_watch("w", query, &filters, &aliases, words).unwrap()
    }

    #[test]
    fn a_watch_reads_an_article_as_the_search_index_would() {
        let body = "Banjir merendam Samarinda. Air mulai surut sore ini, kata petugas.";
        // The stems column as the archive fills it: roots, and regional names' keys.
        let m = |q: &str, title: &str| {
            let stems = crate::stem::article_stems(Some("id"), title, body);
            watch(q).matches_texts([title, body, &stems])
        };
        assert_eq!(m("banjir samarinda", "Kabar"), Some(true));
        assert_eq!(m("banjir jakarta", "Kabar"), Some(false));
        assert_eq!(m("banjir OR gempa", "Kabar"), Some(true));
        assert_eq!(m("\"air mulai surut\"", "Kabar"), Some(true));
        assert_eq!(
            m("\"surut air\"", "Kabar"),
            Some(false),
            "a phrase keeps its order"
        );
        assert_eq!(m("banjir -petugas", "Kabar"), Some(false));
        assert_eq!(m("banjir -jakarta", "Kabar"), Some(true));
        assert_eq!(m("title:banjir", "Kabar"), Some(false), "the headline only");
        assert_eq!(m("title:banjir", "Banjir lagi"), Some(true));
        assert_eq!(
            m("samar*", "Kabar"),
            Some(true),
            "a prefix with no archived word"
        );
        assert_eq!(
            m("kutim", "Bupati Kutai Timur"),
            Some(true),
            "a regional name"
        );
        assert_eq!(m("SAMARINDA", "Kabar"), Some(true), "case does not matter");
        assert_eq!(
            m("rendam", "Kabar"),
            Some(true),
            "a root finds its inflections"
        );
    }
}
