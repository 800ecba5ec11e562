//! `/api/…`: the same JSON objects as the command line's `--format json` (the same types,
//! serialized the same way), with paging, and errors as `{"error": "…"}` with a 4xx status.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;

use super::{Shared, refusal};
use crate::search::{self, Filters};
use crate::store::{Facets, SearchHit, SortOrder, Store, StoreError};

/// Facets are counted over this many matching articles at most, those archived last: enough
/// for their proportions, few enough that a broad word's page stays fast.
const FACET_CAP: usize = 2_000;

/// Results a page at most.
pub const MAX_LIMIT: usize = 100;
const DEFAULT_LIMIT: usize = 20;

/// A search's parameters, from the query string of `/api/search` and `/search`.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct SearchParams {
    pub q: Option<String>,
    pub feed: Option<String>,
    pub region: Option<String>,
    pub tag: Option<String>,
    /// The articles' language (`id`, `en`).
    pub language: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    /// `newest` (the default), `relevance`, `recent`, `oldest`.
    pub sort: Option<String>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
    /// The interface's language (pages only).
    pub lang: Option<String>,
    /// `/api/search`: also the facets of every match (by feed, site, region, month).
    pub facets: Option<bool>,
}

impl SearchParams {
    fn filled(s: &Option<String>) -> Option<String> {
        s.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    pub fn offset(&self) -> usize {
        self.offset.unwrap_or(0).min(100_000)
    }

    pub fn filters(&self) -> Result<Filters, String> {
        let sort = match Self::filled(&self.sort).as_deref() {
            // As `warta search`: relevance unless asked (a query of filters alone is listed
            // newest first by the store).
            None | Some("relevance") => SortOrder::Relevance,
            Some("newest") => SortOrder::Newest,
            Some("recent") => SortOrder::Recent,
            Some("oldest") => SortOrder::Oldest,
            Some(other) => {
                return Err(format!(
                    "sort {other:?}: use newest, relevance, recent or oldest"
                ));
            }
        };
        Ok(Filters {
            feeds: Self::filled(&self.feed).into_iter().collect(),
            region: Self::filled(&self.region),
            tags: Self::filled(&self.tag).into_iter().collect(),
            language: Self::filled(&self.language),
            since: Self::filled(&self.since),
            until: Self::filled(&self.until),
            limit: self.limit(),
            offset: self.offset(),
            sort,
            ..Filters::default()
        })
    }
}

/// What a search gave: the hits, or why the question cannot be asked (a 400).
pub enum Searched {
    /// The hits, and the facets of all the matches when asked.
    Hits(Vec<SearchHit>, Option<Facets>),
    Bad(String),
    /// The archive could not be read (a 500).
    Failed(String),
}

/// Runs a search as `warta search` does: the same request, the same snippets.
pub async fn run_search(app: &Shared, params: &SearchParams, facets: bool) -> Searched {
    let filters = match params.filters() {
        Ok(f) => f,
        Err(e) => return Searched::Bad(e),
    };
    if let Some(feed) = filters.feeds.first()
        && app.config.feed(feed).is_none()
    {
        return Searched::Bad(format!("feed {feed:?}: no such feed"));
    }
    let text = params.q.clone().unwrap_or_default();
    let aliases = app.config.aliases.clone();
    let built = app
        .readers
        .read(move |store| {
            let aliases = search::aliases::Aliases::new(&aliases);
            let prefix_words = |p: &str| store.prefix_words(p).map(|f| f.words).unwrap_or_default();
            match search::build_request(&text, &filters, &aliases, &prefix_words, Utc::now()) {
                // Once for the two reads below.
                Ok((mut request, highlighter)) => {
                    store.bound_dates(&mut request)?;
                    Ok(Ok((request, highlighter)))
                }
                Err(e) => Ok(Err(e)),
            }
        })
        .await;
    let (request, highlighter) = match built {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return Searched::Bad(e),
        Err(e) => return Searched::Failed(e.to_string()),
    };
    // The hits and the facets on two connections at once: a page waits for the slower of
    // the two, not for both in turn.
    let counted = request.clone();
    let hits = app
        .readers
        .read(move |store| store.search(&request, &|body| highlighter.snippet(body)));
    let facets = async {
        match facets {
            true => app
                .readers
                .read(move |store| store.facets(&counted, FACET_CAP))
                .await
                .map(Some),
            false => Ok(None),
        }
    };
    match tokio::join!(hits, facets) {
        (Ok(hits), Ok(facets)) => Searched::Hits(hits, facets),
        (Err(e), _) | (_, Err(e)) => Searched::Failed(e.to_string()),
    }
}

/// A failed read: 500, saying what failed.
pub fn failure(api: bool, e: &impl std::fmt::Display) -> Response {
    tracing::warn!(error = %e, "serve: a read failed");
    refusal(
        api,
        StatusCode::INTERNAL_SERVER_ERROR,
        &format!("the archive could not be read: {e}"),
    )
}

pub async fn search(State(app): State<Shared>, Query(params): Query<SearchParams>) -> Response {
    let (hits, facets) = match run_search(&app, &params, params.facets.unwrap_or(false)).await {
        Searched::Hits(h, f) => (h, f),
        Searched::Bad(e) => return refusal(true, StatusCode::BAD_REQUEST, &e),
        Searched::Failed(e) => return failure(true, &e),
    };
    let (limit, offset) = (params.limit(), params.offset());
    let next = (hits.len() == limit).then(|| offset + limit);
    Json(serde_json::json!({
        "hits": hits,
        "offset": offset,
        "limit": limit,
        "next_offset": next,
        "facets": facets,
    }))
    .into_response()
}

/// What the id in the path names, as `read` finds it: a 400 when `raw` is not an id, a 404
/// saying `missing(id)` when `read` finds nothing, a 500 when the archive cannot be read.
pub async fn read_by_id<T: Send + 'static>(
    app: &Shared,
    api: bool,
    raw: &str,
    missing: impl FnOnce(i64) -> String,
    read: impl FnOnce(&Store, i64) -> Result<Option<T>, StoreError> + Send + 'static,
) -> Result<(i64, T), Response> {
    let n = id(raw).map_err(|e| refusal(api, StatusCode::BAD_REQUEST, &e))?;
    match app.readers.read(move |s| read(s, n)).await {
        Ok(Some(found)) => Ok((n, found)),
        Ok(None) => Err(refusal(api, StatusCode::NOT_FOUND, &missing(n))),
        Err(e) => Err(failure(api, &e)),
    }
}

/// An id from the path: a positive number, else why not (a 400).
fn id(raw: &str) -> Result<i64, String> {
    raw.trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{raw:?} is not an id; ids are positive numbers"))
}

#[derive(Debug, Default, Deserialize)]
pub struct ArticleParams {
    /// Also every earlier text (`show --versions`).
    pub versions: Option<bool>,
}

pub async fn article(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    Query(p): Query<ArticleParams>,
) -> Response {
    let versions = p.versions.unwrap_or(false);
    let missing = |n| format!("no article with id {n}");
    let read = read_by_id(&app, true, &raw, missing, move |s, n| {
        let Some(mut a) = s.article(n)? else {
            return Ok(None);
        };
        if versions {
            a.earlier_versions = Some(s.versions(n)?);
        }
        Ok(Some(a))
    });
    match read.await {
        Ok((_, a)) => Json(a).into_response(),
        Err(refused) => refused,
    }
}

pub async fn story(State(app): State<Shared>, Path(raw): Path<String>) -> Response {
    let missing = |n| format!("no story with id {n}");
    match read_by_id(&app, true, &raw, missing, |s, n| s.story(n)).await {
        Ok((_, story)) => Json(story).into_response(),
        Err(refused) => refused,
    }
}

pub async fn feeds(State(app): State<Shared>) -> Response {
    match app.readers.read(|s| s.feed_rows()).await {
        Ok(rows) => Json(crate::views::feed_views(&app.config, &rows)).into_response(),
        Err(e) => failure(true, &e),
    }
}

pub async fn stats(State(app): State<Shared>) -> Response {
    let feeds = app.config.feeds.len() as i64;
    match app.readers.read(move |s| s.stats(feeds, Utc::now())).await {
        Ok(stats) => Json(stats).into_response(),
        Err(e) => failure(true, &e),
    }
}

pub async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}
