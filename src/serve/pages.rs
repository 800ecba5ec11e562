//! The pages: plain HTML from maud templates (every value escaped by the template), one
//! stylesheet of our own, no script. They work on a phone and a desktop alike, in Bahasa
//! Indonesia or English, with times in the display zone, named.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;

use super::Shared;
use super::api::{SearchParams, Searched, failure, read_by_id, run_search};
use super::lang::Lang;
use crate::store::SearchHit;

#[derive(Debug, Default, Deserialize)]
pub struct LangParam {
    lang: Option<String>,
}

/// The frame of every page: skip link, navigation, the language switch, the content.
fn layout(lang: Lang, title: &str, here: &str, query: &str, body: Markup) -> Markup {
    let nav = [
        ("/", "overview"),
        ("/search", "search"),
        ("/feeds", "feeds"),
        ("/watches", "watches"),
    ];
    let switch = format!(
        "{here}?{query}{}lang={}",
        if query.is_empty() { "" } else { "&" },
        lang.other().code()
    );
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · warta" }
                link rel="stylesheet" href="/static/style.css";
                // No icon to fetch: a browser would ask for /favicon.ico otherwise.
                link rel="icon" href="data:,";
            }
            body {
                a.skip href="#isi" { (lang.t("skip")) }
                header {
                    nav aria-label=(lang.t("archive")) {
                        a.brand href={ "/?lang=" (lang.code()) } { "warta" }
                        ul {
                            @for (path, key) in nav {
                                li {
                                    a href={ (path) "?lang=" (lang.code()) }
                                        aria-current=[(path == here).then_some("page")] { (lang.t(key)) }
                                }
                            }
                        }
                        a.lang href=(switch) hreflang=(lang.other().code()) { (lang.t("language")) }
                    }
                }
                main #isi { (body) }
            }
        }
    }
}

/// The query string of `params` without `lang` and `offset`, for links that keep the search.
fn kept_query(p: &SearchParams) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for (k, v) in [
        ("q", &p.q),
        ("feed", &p.feed),
        ("region", &p.region),
        ("tag", &p.tag),
        ("language", &p.language),
        ("since", &p.since),
        ("until", &p.until),
        ("sort", &p.sort),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
            pairs.push((k, v.to_string()));
        }
    }
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A snippet with its `[match]` marks as `<mark>`, everything else escaped.
fn snippet(s: &str) -> Markup {
    html! {
        @for (i, part) in s.split(['[', ']']).enumerate() {
            @if i % 2 == 1 { mark { (part) } } @else { (part) }
        }
    }
}

fn hit_list(app: &Shared, lang: Lang, hits: &[SearchHit]) -> Markup {
    html! {
        ol.hits {
            @for h in hits {
                li {
                    h3 { a href={ "/articles/" (h.id) "?lang=" (lang.code()) } { (h.title) } }
                    p.meta {
                        (h.feed) " · "
                        time datetime=(h.published.as_deref().unwrap_or(&h.fetched)) {
                            (app.zone.time(h.published.as_deref().unwrap_or(&h.fetched)))
                        }
                        @if h.copies > 1 {
                            " · " a href={ "/stories/" (h.story) "?lang=" (lang.code()) } {
                                (h.copies) " " (lang.t("copies"))
                            }
                        }
                    }
                    p.snippet { (snippet(&h.snippet)) }
                }
            }
        }
    }
}

/// The facets as links that narrow the search: each value with its stories.
fn facet_lists(lang: Lang, p: &SearchParams, f: &crate::store::Facets) -> Markup {
    let with = |key: &str, value: &str| {
        let mut q = p.clone();
        match key {
            "feed" => q.feed = Some(value.to_string()),
            "region" => q.region = Some(value.to_string()),
            "site" => {
                let words = q.q.clone().unwrap_or_default();
                q.q = Some(format!("{words} site:{value}").trim().to_string());
            }
            _ => {
                // A month: from its first day to its last.
                q.since = Some(format!("{value}-01"));
                q.until = chrono::NaiveDate::parse_from_str(&format!("{value}-01"), "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
                    .and_then(|d| d.pred_opt())
                    .map(|d| d.to_string());
            }
        }
        format!("/search?{}&lang={}", kept_query(&q), lang.code())
    };
    let groups = [
        ("feed", &f.feeds),
        ("site", &f.sites),
        ("region", &f.regions),
        ("month", &f.months),
    ];
    html! {
        aside.facets aria-label=(lang.t("facets")) {
            @for (key, values) in groups {
                @if !values.is_empty() {
                    section {
                        h2 { (lang.t(key)) }
                        ul {
                            @for (value, n) in values.iter() {
                                li { a href=(with(key, value)) { (value) } " " span.count { "(" (n) ")" } }
                            }
                        }
                    }
                }
            }
            @if let Some(cap) = f.capped {
                p.note { (lang.t("facets_capped")) " " (cap) }
            }
        }
    }
}

pub async fn search(
    State(app): State<Shared>,
    headers: HeaderMap,
    Query(params): Query<SearchParams>,
) -> Response {
    let lang = Lang::pick(params.lang.as_deref(), &headers);
    let (hits, facets, problem) = match run_search(&app, &params, true).await {
        Searched::Hits(h, f) => (h, f, None),
        Searched::Bad(e) => (Vec::new(), None, Some(e)),
        Searched::Failed(e) => return failure(false, &e),
    };
    let (limit, offset) = (params.limit(), params.offset());
    let kept = kept_query(&params);
    let page = |offset: usize| format!("/search?{kept}&offset={offset}&lang={}", lang.code());
    let q = params.q.clone().unwrap_or_default();
    let selected = |v: &Option<String>, x: &str| v.as_deref() == Some(x);
    let body = html! {
        h1 { (lang.t("search")) }
        form.search method="get" action="/search" role="search" {
            input type="hidden" name="lang" value=(lang.code());
            p {
                label for="q" { (lang.t("query")) }
                input #q type="search" name="q" value=(q) aria-describedby="q-help";
                small #q-help { (lang.t("query_help")) }
            }
            div.filters {
                p {
                    label for="feed" { (lang.t("feed")) }
                    select #feed name="feed" {
                        option value="" { (lang.t("any_feed")) }
                        @for f in &app.config.feeds {
                            option value=(f.name.as_str()) selected[selected(&params.feed, f.name.as_str())] { (f.name.as_str()) }
                        }
                    }
                }
                p {
                    label for="region" { (lang.t("region")) }
                    input #region type="text" name="region" value=(params.region.clone().unwrap_or_default());
                }
                p {
                    label for="since" { (lang.t("since")) }
                    input #since type="date" name="since" value=(params.since.clone().unwrap_or_default());
                }
                p {
                    label for="until" { (lang.t("until")) }
                    input #until type="date" name="until" value=(params.until.clone().unwrap_or_default());
                }
                p {
                    label for="sort" { (lang.t("sort")) }
                    select #sort name="sort" {
                        // Relevance first and by default, as `warta search` has it.
                        option value="relevance" selected[params.sort.as_deref().is_none_or(|s| s.is_empty() || s == "relevance")] { (lang.t("relevance")) }
                        option value="newest" selected[selected(&params.sort, "newest")] { (lang.t("newest")) }
                    }
                }
            }
            button type="submit" { (lang.t("go")) }
        }
        @if let Some(p) = &problem {
            p.problem role="alert" { (p) }
        } @else if hits.is_empty() {
            p { (lang.t("no_results")) }
        } @else {
            @if let Some(f) = &facets {
                (facet_lists(lang, &params, f))
            }
            (hit_list(&app, lang, &hits))
            nav.pages aria-label="pages" {
                @if offset > 0 {
                    a rel="prev" href=(page(offset.saturating_sub(limit))) { "← " (lang.t("previous")) }
                }
                @if hits.len() == limit {
                    a rel="next" href=(page(offset + limit)) { (lang.t("next")) " →" }
                }
            }
        }
    };
    let status = if problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (
        status,
        layout(lang, lang.t("search"), "/search", &kept, body),
    )
        .into_response()
}

/// Days as the display zone counts them: its offset from UTC now, and today's number.
#[derive(Debug, Clone, Copy)]
struct LocalDays {
    /// Seconds east of UTC.
    offset: i64,
    /// Days since the epoch, in the zone.
    today: i64,
}

impl LocalDays {
    fn at(zone: &crate::zone::Zone, now: chrono::DateTime<chrono::Utc>) -> LocalDays {
        let offset = zone.offset_at(now);
        LocalDays {
            offset,
            today: (now.timestamp() + offset).div_euclid(86_400),
        }
    }

    /// When the last `n` days (today among them) began, in unix seconds.
    fn start_of_last(self, n: i64) -> i64 {
        (self.today - n + 1) * 86_400 - self.offset
    }
}

/// Day `n` since the epoch as a date.
fn day_name(n: i64) -> String {
    chrono::DateTime::from_timestamp(n * 86_400, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// `counts` (day, n) spread over the `days` days ending with `today`, a zero for a day
/// without articles.
fn every_day(counts: &[(i64, i64)], today: i64, days: i64) -> Vec<i64> {
    (today - days + 1..=today)
        .map(|d| {
            counts
                .iter()
                .find(|(day, _)| *day == d)
                .map_or(0, |(_, n)| *n)
        })
        .collect()
}

/// Days the overview's chart covers, and the windows of its tables.
const CHART_DAYS: i64 = 90;
const TOP_SITES_DAYS: i64 = 30;
const SPREAD_DAYS: i64 = 7;

pub async fn overview(
    State(app): State<Shared>,
    headers: HeaderMap,
    Query(l): Query<LangParam>,
) -> Response {
    let lang = Lang::pick(l.lang.as_deref(), &headers);
    let feeds = app.config.feeds.len() as i64;
    let now = chrono::Utc::now();
    let days = LocalDays::at(&app.zone, now);
    let (today, offset) = (days.today, days.offset);
    let day_start = move |n: i64| days.start_of_last(n);
    let read = app
        .readers
        .read(move |s| {
            Ok((
                s.stats(feeds, now)?,
                s.articles_per_day(day_start(CHART_DAYS), offset)?,
                s.top_sites(day_start(TOP_SITES_DAYS), 10)?,
                s.widest_stories(day_start(SPREAD_DAYS), 10)?,
            ))
        })
        .await;
    let (stats, per_day, sites, spread) = match read {
        Ok(r) => r,
        Err(e) => return failure(false, &e),
    };
    let latest = SearchParams {
        limit: Some(10),
        ..SearchParams::default()
    };
    let hits = match run_search(&app, &latest, false).await {
        Searched::Hits(h, _) => h,
        Searched::Bad(_) => Vec::new(),
        Searched::Failed(e) => return failure(false, &e),
    };
    let counts = every_day(&per_day, today, CHART_DAYS);
    let first_day = day_name(today - CHART_DAYS + 1);
    let last_day = day_name(today);
    let chart = super::charts::per_day(
        &counts,
        (&first_day, &last_day),
        &format!("{}: {first_day} – {last_day}", lang.t("per_day")),
    );
    let body = html! {
        h1 { (lang.t("overview")) }
        dl.numbers {
            div { dt { (lang.t("articles")) } dd { (stats.articles) } }
            div { dt { (lang.t("stories")) } dd { (stats.stories) } }
            div { dt { (lang.t("last_24h")) } dd { (stats.articles_24h) } }
            div { dt { (lang.t("feeds")) } dd { (stats.feeds) } }
        }
        figure {
            figcaption { (lang.t("per_day")) " (" (CHART_DAYS) " " (lang.t("days")) ")" }
            (PreEscaped(chart))
            details {
                summary { (lang.t("numbers")) }
                table {
                    thead { tr { th scope="col" { (lang.t("day")) } th scope="col" { (lang.t("articles")) } } }
                    tbody {
                        @for (i, n) in counts.iter().enumerate().rev().filter(|(_, n)| **n > 0) {
                            tr { td { (day_name(today - CHART_DAYS + 1 + i as i64)) } td.num { (n) } }
                        }
                    }
                }
            }
        }
        div.columns {
            section {
                h2 { (lang.t("widest")) }
                @if spread.is_empty() { p { (lang.t("nothing_yet")) } }
                ol {
                    @for s in &spread {
                        li { a href={ "/stories/" (s.story) "?lang=" (lang.code()) } { (s.title) } " — " (s.sites) " " (lang.t("sites")) }
                    }
                }
            }
            section {
                h2 { (lang.t("top_sites")) }
                @if sites.is_empty() { p { (lang.t("nothing_yet")) } }
                table {
                    tbody {
                        @for (host, n) in &sites {
                            tr { th scope="row" { (host) } td.num { (n) } }
                        }
                    }
                }
            }
        }
        h2 { (lang.t("latest")) }
        (hit_list(&app, lang, &hits))
    };
    layout(lang, lang.t("overview"), "/", "", body).into_response()
}

/// Kept article HTML made safe to show: no script, style or form, no attribute that runs
/// code, no image or other request to the publisher (pictures are not hot-linked), links
/// that open without telling the publisher where from.
fn sanitized(html_body: &str) -> String {
    let mut b = ammonia::Builder::default();
    b.rm_tags(["img", "picture", "source", "video", "audio", "iframe"])
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_relative(ammonia::UrlRelative::Deny);
    b.clean(html_body).to_string()
}

/// The most pictures listed under an article.
const IMAGES_CAP: usize = 50;

/// The pictures the kept HTML had, as links to the publisher's copies: shown only when the
/// reader follows one (that request is theirs to make), each with its text alternative or
/// file name. Only http(s) addresses, resolved against the article's.
fn pictures(html_body: &str, base: &str) -> Vec<(String, String)> {
    let Ok(base) = url::Url::parse(base) else {
        return Vec::new();
    };
    let Ok(img) = scraper::Selector::parse("img") else {
        return Vec::new();
    };
    let doc = scraper::Html::parse_fragment(html_body);
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for e in doc.select(&img) {
        let v = e.value();
        let Some(src) = ["src", "data-src", "data-lazy-src"]
            .iter()
            .filter_map(|k| v.attr(k))
            .map(str::trim)
            .find(|s| !s.is_empty() && !s.starts_with("data:"))
        else {
            continue;
        };
        let Ok(u) = base.join(src) else { continue };
        if !matches!(u.scheme(), "http" | "https") || !seen.insert(u.to_string()) {
            continue;
        }
        let alt = v.attr("alt").map(str::trim).unwrap_or_default();
        let name = if alt.is_empty() {
            u.path_segments()
                .and_then(|mut p| p.next_back())
                .filter(|f| !f.is_empty())
                .unwrap_or("gambar")
                .to_string()
        } else {
            alt.chars().take(200).collect()
        };
        out.push((u.to_string(), name));
        if out.len() == IMAGES_CAP {
            break;
        }
    }
    out
}

pub async fn article(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Query(l): Query<LangParam>,
) -> Response {
    let lang = Lang::pick(l.lang.as_deref(), &headers);
    let missing = |_| lang.t("not_found").to_string();
    let (n, a) = match read_by_id(&app, false, &raw, missing, |s, n| s.article(n)).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let images = a
        .body_html
        .as_deref()
        .map(|h| pictures(h, &a.url))
        .unwrap_or_default();
    let body_html = match &a.body_html {
        Some(h) => sanitized(h),
        None => html! { @for p in a.body.split("\n\n").filter(|p| !p.trim().is_empty()) { p { (p.trim()) } } }.into_string(),
    };
    let body = html! {
        article.reader {
            h1 { (a.title) }
            p.meta {
                (a.feed)
                @if let Some(p) = &a.published {
                    " · " time datetime=(p) { (app.zone.time(p)) }
                }
                @if let Some(author) = &a.author { " · " (lang.t("author")) ": " (author) }
                @if a.version > 1 { " · " (lang.t("version")) " " (a.version) }
            }
            @if let Some(r) = &a.removed {
                p.problem { (lang.t("removed")) " (" (app.zone.time(r)) ")" }
            }
            p.links {
                a href=(a.url) rel="noopener noreferrer nofollow" { (lang.t("original")) }
                " · " a href={ "/articles/" (a.id) "/raw" } { (lang.t("raw")) }
                @if a.copies > 1 {
                    " · " a href={ "/stories/" (a.story) "?lang=" (lang.code()) } { (lang.t("story")) ": " (a.copies) " " (lang.t("copies")) }
                }
            }
            div.body { (PreEscaped(body_html)) }
            @if !images.is_empty() {
                details.images {
                    summary { (lang.t("images")) " (" (images.len()) ")" }
                    p.note { (lang.t("images_note")) }
                    ul {
                        @for (src, name) in &images {
                            li { a href=(src) rel="noopener noreferrer nofollow" { (name) } }
                        }
                    }
                }
            }
        }
    };
    layout(lang, &a.title, &format!("/articles/{n}"), "", body).into_response()
}

/// Two texts side by side by paragraph: the paragraphs both have on one row, one that only
/// the old text has beside nothing, one only the new has beside nothing (a longest common
/// subsequence of paragraphs; texts are a few dozen paragraphs).
fn diff_paragraphs<'a>(old: &'a str, new: &'a str) -> Vec<(Option<&'a str>, Option<&'a str>)> {
    let split = |t: &'a str| -> Vec<&'a str> {
        t.split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect()
    };
    let (a, b) = (split(old), split(new));
    // Too long to compare cell by cell: shown whole, side by side.
    if a.len().saturating_mul(b.len()) > 250_000 {
        let rows = a.len().max(b.len());
        return (0..rows)
            .map(|i| (a.get(i).copied(), b.get(i).copied()))
            .collect();
    }
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut rows) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            rows.push((Some(a[i]), Some(b[j])));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            rows.push((None, Some(b[j])));
            j += 1;
        } else {
            rows.push((Some(a[i]), None));
            i += 1;
        }
    }
    rows
}

/// The most of a kept page shown.
const RAW_CAP: u64 = 16 << 20;

/// The article's kept page (every page of it), as text: the publisher's HTML exactly as
/// archived, shown, never run (text/plain, and the policy forbids script anyway).
pub async fn raw(State(app): State<Shared>, Path(raw): Path<String>) -> Response {
    let missing = |_| "no page is kept for this article".to_string();
    let kept = |s: &crate::store::Store, n| s.kept_pages(n).map(|p| (!p.is_empty()).then_some(p));
    let pages = match read_by_id(&app, false, &raw, missing, kept).await {
        Ok((_, pages)) => pages,
        Err(refused) => return refused,
    };
    let mut text = String::new();
    for (url, kept) in &pages {
        if pages.len() > 1 {
            text.push_str(&format!("<!-- warta: {url} -->\n"));
        }
        match kept.html(RAW_CAP) {
            Ok(html) => text.push_str(&html),
            Err(e) => text.push_str(&format!(
                "<!-- warta: this page cannot be read back: {e} -->"
            )),
        }
        text.push('\n');
    }
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "inline"),
        ],
        text,
    )
        .into_response()
}

pub async fn story(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Query(l): Query<LangParam>,
) -> Response {
    let lang = Lang::pick(l.lang.as_deref(), &headers);
    // The story, and each of its revised articles with its texts, oldest first.
    let missing = |_| lang.t("not_found").to_string();
    let read = read_by_id(&app, false, &raw, missing, |s, n| {
        let Some(story) = s.story(n)? else {
            return Ok(None);
        };
        let mut ids: Vec<i64> = story.copies.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut revised = Vec::new();
        for id in ids {
            if let Some(a) = s.article(id)?
                && a.version > 1
            {
                let earlier = s.versions(id)?;
                revised.push((a, earlier));
            }
        }
        Ok(Some((story, revised)))
    });
    let (n, (s, revised)) = match read.await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let body = html! {
        h1 { (lang.t("story")) ": " (s.title) }
        @for (a, earlier) in &revised {
            @for (i, v) in earlier.iter().enumerate() {
                @let next_body = earlier.get(i + 1).map_or(a.body.as_str(), |n| n.body.as_str());
                @let next_version = earlier.get(i + 1).map_or(a.version, |n| n.version);
                section.versions {
                    h2 { (lang.t("version")) " " (v.version) " → " (next_version) ": " (a.feed) }
                    table.diff {
                        thead { tr {
                            th scope="col" { (lang.t("version")) " " (v.version) " (" (app.zone.time(&v.fetched)) ")" }
                            th scope="col" { (lang.t("version")) " " (next_version) }
                        } }
                        tbody {
                            @for (old, new) in diff_paragraphs(&v.body, next_body) {
                                tr {
                                    @match (old, new) {
                                        (Some(o), Some(n)) => { td { (o) } td { (n) } }
                                        (Some(o), None) => { td { del { (o) } } td {} }
                                        (None, Some(n)) => { td {} td { ins { (n) } } }
                                        (None, None) => {}
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (lang.t("places")) }
        table.timeline {
            thead { tr {
                th scope="col" { (lang.t("site")) }
                th scope="col" { (lang.t("feed")) }
                th scope="col" { (lang.t("published")) }
                th scope="col" { (lang.t("first_seen")) }
            } }
            tbody {
                @for c in &s.copies {
                    tr {
                        td {
                            a href=(c.url) rel="noopener noreferrer nofollow" {
                                (url::Url::parse(&c.url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_else(|| c.url.clone()))
                            }
                            @if c.earliest { " " strong.first { "(" (lang.t("first")) ")" } }
                        }
                        td { a href={ "/articles/" (c.id) "?lang=" (lang.code()) } { (c.feeds.join(", ")) } }
                        td { @if let Some(p) = &c.published { time datetime=(p) { (app.zone.time(p)) } } }
                        td { time datetime=(c.first_seen) { (app.zone.time(&c.first_seen)) } }
                    }
                }
            }
        }
    };
    layout(lang, &s.title, &format!("/stories/{n}"), "", body).into_response()
}

pub async fn feeds(
    State(app): State<Shared>,
    headers: HeaderMap,
    Query(l): Query<LangParam>,
) -> Response {
    let lang = Lang::pick(l.lang.as_deref(), &headers);
    const SPARK_DAYS: i64 = 30;
    let days = LocalDays::at(&app.zone, chrono::Utc::now());
    let (today, offset) = (days.today, days.offset);
    let since = days.start_of_last(SPARK_DAYS);
    let (rows, per_day) = match app
        .readers
        .read(move |s| Ok((s.feed_rows()?, s.feed_articles_per_day(since, offset)?)))
        .await
    {
        Ok(r) => r,
        Err(e) => return failure(false, &e),
    };
    let spark = |feed: &str| {
        let days: Vec<(i64, i64)> = per_day
            .iter()
            .filter(|(f, _, _)| f == feed)
            .map(|(_, d, n)| (*d, *n))
            .collect();
        let counts = every_day(&days, today, SPARK_DAYS);
        let total: i64 = counts.iter().sum();
        super::charts::sparkline(
            &counts,
            &format!(
                "{total} {} / {SPARK_DAYS} {}",
                lang.t("articles"),
                lang.t("days")
            ),
        )
    };
    let views = crate::views::feed_views(&app.config, &rows);
    let when = |t: &Option<String>| t.as_deref().map(|t| app.zone.time(t)).unwrap_or_default();
    let body = html! {
        h1 { (lang.t("feeds")) }
        table.feeds {
            thead { tr {
                th scope="col" { (lang.t("feed")) }
                th scope="col" { (lang.t("state")) }
                th scope="col" { (lang.t("articles")) }
                th scope="col" { (lang.t("per_day")) " (" (SPARK_DAYS) ")" }
                th scope="col" { (lang.t("last_success")) }
                th scope="col" { (lang.t("next_poll")) }
                th scope="col" { (lang.t("last_error")) }
            } }
            tbody {
                @for f in &views {
                    tr.(f.state) {
                        th scope="row" { a href={ "/search?feed=" (f.name) "&lang=" (lang.code()) } { (f.name) } }
                        td data-label=(lang.t("state")) { (f.state) }
                        td.num data-label=(lang.t("articles")) { (f.articles) }
                        td data-label=(lang.t("per_day")) { (PreEscaped(spark(&f.name))) }
                        td data-label=(lang.t("last_success")) { (when(&f.last_success)) }
                        td data-label=(lang.t("next_poll")) { (when(&f.next_poll)) }
                        td data-label=(lang.t("last_error")) { (f.last_error.clone().unwrap_or_default()) }
                    }
                }
            }
        }
    };
    layout(lang, lang.t("feeds"), "/feeds", "", body).into_response()
}

pub async fn watches(
    State(app): State<Shared>,
    headers: HeaderMap,
    Query(l): Query<LangParam>,
) -> Response {
    let lang = Lang::pick(l.lang.as_deref(), &headers);
    let names: Vec<String> = app
        .config
        .watches
        .iter()
        .map(|w| w.name.to_string())
        .collect();
    // Each watch's latest stories and its alerts so far.
    let read = app
        .readers
        .read(move |s| {
            let mut hits = Vec::with_capacity(names.len());
            for n in &names {
                hits.push(s.watch_hits(n, 5)?);
            }
            Ok((hits, s.alert_summaries()?))
        })
        .await;
    let (hits, alerts) = match read {
        Ok(r) => r,
        Err(e) => return failure(false, &e),
    };
    let body = html! {
        h1 { (lang.t("watches")) }
        @if app.config.watches.is_empty() {
            p { (lang.t("no_watches")) }
        }
        @for (w, found) in app.config.watches.iter().zip(&hits) {
            section.watch {
                h2 {
                    a href={ "/search?q=" (url::form_urlencoded::byte_serialize(w.query.as_bytes()).collect::<String>()) "&lang=" (lang.code()) } {
                        (w.name.as_str())
                    }
                }
                p { code { (w.query) } }
                @if let Some(a) = alerts.iter().find(|a| a.watch == w.name.as_str()) {
                    p.meta {
                        (lang.t("alerts")) ": " (a.sent) " " (lang.t("sent"))
                        @if a.waiting > 0 { ", " (a.waiting) " " (lang.t("waiting")) }
                        @if a.failed > 0 { ", " (a.failed) " " (lang.t("given_up")) }
                        @if let Some(e) = &a.last_error { " — " (e) }
                    }
                }
                @if found.is_empty() {
                    p { (lang.t("nothing_yet")) }
                } @else {
                    ul {
                        @for h in found {
                            li {
                                a href={ "/stories/" (h.story) "?lang=" (lang.code()) } { (h.title) }
                                " · " (h.feed) " · " time datetime=(h.at) { (app.zone.time(&h.at)) }
                                @if h.copies > 1 { " · " (h.copies) " " (lang.t("copies")) }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(lang, lang.t("watches"), "/watches", "", body).into_response()
}

pub fn login_page(lang: Lang, problem: Option<&str>) -> Markup {
    let body = html! {
        h1 { (lang.t("login")) }
        @if let Some(p) = problem { p.problem role="alert" { (p) } }
        form method="post" action="/login" {
            p {
                label for="token" { (lang.t("token")) }
                input #token type="password" name="token" autocomplete="current-password" required;
            }
            button type="submit" { (lang.t("login")) }
        }
    };
    layout(lang, lang.t("login"), "/login", "", body)
}

pub fn error_page(status: StatusCode, message: &str) -> Markup {
    let lang = Lang::Id;
    let body = html! {
        h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or_default()) }
        p { (message) }
    };
    layout(lang, &status.as_u16().to_string(), "/", "", body)
}

pub async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("style.css"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_html_loses_what_runs_or_reaches_out() {
        let dirty = "<p onclick=\"alert(1)\">Banjir <b>besar</b><script>alert(2)</script>\
                     <img src=\"http://evil.example/x.png\" onerror=\"alert(3)\">\
                     <a href=\"javascript:alert(4)\">klik</a> <a href=\"/relatif\">rel</a>\
                     <a href=\"https://example.org/lanjut\">lanjut</a><iframe src=\"https://x.example\"></iframe>\
                     <style>body{display:none}</style></p>";
        let clean = sanitized(dirty);
        for bad in [
            "onclick",
            "<script",
            "alert(2)",
            "<img",
            "evil.example",
            "javascript:",
            "/relatif",
            "<iframe",
            "<style",
        ] {
            assert!(!clean.contains(bad), "{bad} in {clean}");
        }
        assert!(clean.contains("<b>besar</b>"), "{clean}");
        assert!(
            clean.contains("href=\"https://example.org/lanjut\"") && clean.contains("noopener"),
            "{clean}"
        );
    }

    #[test]
    fn versions_line_up_by_paragraph() {
        let rows = diff_paragraphs("a\n\nb\n\nc", "a\n\nB\n\nc\n\nd");
        assert_eq!(
            rows,
            vec![
                (Some("a"), Some("a")),
                (None, Some("B")),
                (Some("b"), None),
                (Some("c"), Some("c")),
                (None, Some("d")),
            ]
        );
    }

    #[test]
    fn a_snippet_marks_matches_and_escapes_the_rest() {
        let s = snippet("<b>x</b> [bimtek] di [Sangatta]").into_string();
        assert_eq!(
            s,
            "&lt;b&gt;x&lt;/b&gt; <mark>bimtek</mark> di <mark>Sangatta</mark>"
        );
    }
}
