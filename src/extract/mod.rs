//! Article extraction: one article page's HTML in, its body (plain text and sanitized HTML)
//! and metadata out.
//!
//! This module owns deciding what on a page is the article. Site rules from the feed's
//! configuration win when their body selector matches; otherwise a generic extractor scores
//! containers by text density, link density and punctuation (in the manner of Readability),
//! takes the best with the siblings that belong to it, and cleans out link lists, widgets and
//! the boilerplate lines Indonesian news sites put inside bodies ("Baca juga", staff credits,
//! ad labels). Metadata comes from the page's own declarations first (JSON-LD, OpenGraph,
//! `<meta>`, `<time>`), then visible text.
//!
//! It is pure: no network, no database, no clock (the fetch time is an argument), so the
//! archive can be re-extracted from stored HTML whenever [`EXTRACTOR_VERSION`] changes.
//! Every walk over the page is iterative, so deeply nested input cannot exhaust the stack.

mod content;
mod dom;
#[cfg(test)]
mod fixture_tests;
mod meta;
mod pages;
mod patterns;
mod prescan;
mod render;
mod sink;
mod tokenize;

pub(crate) use tokenize::parse_html;
mod verdict;

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset, Utc};
use scraper::Selector;
use url::Url;

pub use crate::model::Partial;
use dom::Dom;
use render::{Block, Kind};

/// Bumped whenever a change to this module can change its output for the same page.
pub const EXTRACTOR_VERSION: u32 = 6;

/// Below this many characters a generic extraction is retried without class/id filtering.
const RETRY_BELOW_CHARS: usize = 250;

/// Site rules from feeds.toml's [feed.extract]: used instead of the generic extractor when `body` matches.
#[derive(Debug)]
pub struct SiteRules {
    body: Selector,
    remove: Vec<Selector>,
}

impl SiteRules {
    /// Err(message) names the bad selector and why, for config validation.
    pub fn new(body: &str, remove: &[String]) -> Result<SiteRules, String> {
        let parse = |s: &str, what: &str| {
            Selector::parse(s).map_err(|e| {
                // scraper words its catch-all as a bug report to its developer; the kind of
                // error after that preamble is the reason a user can act on.
                let why = e.to_string();
                let why = why
                    .strip_prefix("Unexpected error occurred. Please report this to the developer")
                    .map_or(why.clone(), |kind| {
                        kind.split_whitespace().collect::<Vec<_>>().join(" ")
                    });
                format!(
                    "{what} selector {s:?} is not valid CSS ({why}); write one such as \"div.post-content\""
                )
            })
        };
        Ok(SiteRules {
            body: parse(body, "body")?,
            remove: remove
                .iter()
                .map(|r| parse(r, "remove"))
                .collect::<Result<_, _>>()?,
        })
    }
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Extracted {
    pub title: Option<String>,
    pub author: Option<String>,
    #[serde(serialize_with = "rfc3339")]
    pub published: Option<DateTime<FixedOffset>>,
    /// ISO 639-1, e.g. "id", "en" (from `<html lang>`, meta, else detected from the body).
    pub language: Option<String>,
    /// Absolute: `<link rel=canonical>`, else og:url; resolved against the page URL.
    pub canonical_url: Option<String>,
    /// Plain text; paragraphs separated by one blank line; empty when none was found.
    pub body_text: String,
    /// Sanitized HTML of the body (p, h2–h6, lists, blockquote, pre, figure, img, a,
    /// em/strong/b/i); absolute URLs only; no scripts, styles, event handlers or classes.
    pub body_html: String,
    /// Set when the page is not the article itself (a consent wall, a listing, an error
    /// page, or a paywall with no article text at all): the body must not be archived as
    /// the article's text.
    pub not_article: Option<NotAnArticle>,
    /// Set when the body is only part of the article (a paywall teaser): the visible text
    /// is kept, and said to be partial.
    pub partial: Option<Partial>,
    /// The next page of an article split over several pages (`rel="next"`, "Halaman
    /// selanjutnya", `?page=2`), absolute; the caller fetches it and joins the bodies.
    pub next_page: Option<String>,
}

/// Why a page is not an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotAnArticle {
    ConsentWall,
    Paywall,
    Listing,
    ErrorPage,
}

impl std::fmt::Display for NotAnArticle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NotAnArticle::ConsentWall => "a consent wall, not the article",
            NotAnArticle::Paywall => "a paywall teaser, not the whole article",
            NotAnArticle::Listing => "a listing of articles, not an article",
            NotAnArticle::ErrorPage => "an error page, not the article",
        })
    }
}

fn rfc3339<S: serde::Serializer>(
    d: &Option<DateTime<FixedOffset>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&d.to_rfc3339()),
        None => s.serialize_none(),
    }
}

/// Extracts the article from one page. `url` is the page's address (for relative links),
/// `now` the fetch time (for relative dates such as "2 jam lalu").
pub fn extract(
    html: &str,
    url: Option<&Url>,
    rules: Option<&SiteRules>,
    now: DateTime<Utc>,
) -> Extracted {
    let prescan::Prescanned {
        html: page,
        json_ld,
    } = prescan::prescan(html);
    let mut dom = match rules {
        // Site rules need scraper's tree for their CSS selectors; the generic extractor
        // (most pages) parses straight into the arena.
        Some(r) => {
            let doc = tokenize::parse_html(&page);
            let body: HashSet<_> = doc.select(&r.body).map(|e| e.id()).collect();
            let cut: HashSet<_> = r
                .remove
                .iter()
                .flat_map(|sel| doc.select(sel).map(|e| e.id()))
                .collect();
            Dom::from_html(&doc, |e| body.contains(&e.id()), |e| cut.contains(&e.id()))
        }
        None => sink::parse(page),
    };
    let page = meta::collect(&dom, &json_ld, url, now);

    let mut blocks = Vec::new();
    let mut credit_author = None;
    if rules.is_some() {
        let roots = selected_roots(&dom);
        if !roots.is_empty() {
            content::mark_removed(&mut dom, false, &[]);
            blocks = render::blocks(&dom, &roots, url);
            credit_author = render::filter(&mut blocks);
        }
    }
    if blocks.is_empty() {
        (blocks, credit_author) = generic(&mut dom, url, true);
        let mut len = text_len(&blocks);
        if len < RETRY_BELOW_CHARS {
            for n in &mut dom.nodes {
                n.removed = false;
            }
            let (again, author) = generic(&mut dom, url, false);
            let again_len = text_len(&again);
            if again_len > len * 2 {
                (blocks, credit_author, len) = (again, author, again_len);
            }
        }
        if let Some(ld) = page.ld_body.as_deref() {
            let ld_len = ld.chars().filter(|c| !c.is_whitespace()).count();
            if ld_len >= 500 && ld_len > len * 2 {
                blocks = ld_blocks(ld);
            }
        }
    }
    drop_title(&mut blocks, page.title.as_deref());

    let body_text = render::text(&blocks);
    let (not_article, partial) = match verdict::judge(&dom, &json_ld, &body_text) {
        // A teaser's visible text is what the page gives of the article: kept, and marked.
        Some(NotAnArticle::Paywall) if !body_text.trim().is_empty() => {
            (None, Some(Partial::Paywall))
        }
        v => (v, None),
    };
    // A page that is not the article has no continuation worth fetching.
    let next_page = not_article
        .is_none()
        .then(|| pages::next_page(&dom, url))
        .flatten();
    let language = page.language.or_else(|| meta::detect_language(&body_text));
    Extracted {
        title: page.title,
        author: page.author.or(credit_author),
        published: page.published,
        language,
        canonical_url: page.canonical_url,
        body_html: render::html(&blocks),
        body_text,
        not_article,
        partial,
        next_page,
    }
}

/// One article from its pages in order: the bodies (text and HTML) concatenated, minus
/// paragraphs a later page repeats from an earlier one (the lead, "Baca juga" boxes);
/// metadata and verdict from the first page, and no further page to fetch.
pub fn join_pages(first: Extracted, rest: Vec<Extracted>) -> Extracted {
    if rest.is_empty() {
        return Extracted {
            next_page: None,
            ..first
        };
    }
    let texts: Vec<&str> = std::iter::once(first.body_text.as_str())
        .chain(rest.iter().map(|e| e.body_text.as_str()))
        .collect();
    let htmls: Vec<&str> = std::iter::once(first.body_html.as_str())
        .chain(rest.iter().map(|e| e.body_html.as_str()))
        .collect();
    let body_text = pages::join_text(&texts);
    let body_html = pages::join_html(&htmls);
    Extracted {
        body_text,
        body_html,
        next_page: None,
        ..first
    }
}

/// The ISO 639-1 code of a text's language, when it can be told reliably.
pub fn detect_language(text: &str) -> Option<String> {
    meta::detect_language(text)
}

fn generic(dom: &mut Dom, url: Option<&Url>, strict: bool) -> (Vec<Block>, Option<String>) {
    content::mark_removed(dom, strict, &content::url_sections(url));
    let st = content::stats(dom);
    let mut roots = content::pick(dom, &st);
    if let Some(container) = content::semantic_container(dom, &st, &roots) {
        roots = vec![container];
    }
    content::clean(dom, &st, &roots);
    let mut blocks = render::blocks(dom, &roots, url);
    let author = render::filter(&mut blocks);
    (blocks, author)
}

/// Elements picked by the site rules' body selector, outermost only, in document order.
fn selected_roots(dom: &Dom) -> Vec<u32> {
    let mut roots = Vec::new();
    let mut i = 0usize;
    while let Some(n) = dom.nodes.get(i) {
        if n.selected {
            roots.push(i as u32);
            i = (n.end as usize).max(i + 1);
        } else {
            i += 1;
        }
    }
    roots
}

fn text_len(blocks: &[Block]) -> usize {
    blocks
        .iter()
        .filter(|b| b.kind != Kind::Img)
        .map(|b| b.text.chars().filter(|c| !c.is_whitespace()).count())
        .sum()
}

/// Paragraphs of a JSON-LD `articleBody`, used when the page markup gave far less.
fn ld_blocks(body: &str) -> Vec<Block> {
    let mut blocks: Vec<Block> = body
        .split('\n')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(Block::paragraph)
        .collect();
    render::filter(&mut blocks);
    blocks
}

/// The headline repeated at the top of the body is not body text.
fn drop_title(blocks: &mut Vec<Block>, title: Option<&str>) {
    let Some(title) = title else { return };
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let t = norm(title);
    if t.is_empty() {
        return;
    }
    if let Some(pos) = blocks
        .iter()
        .take(3)
        .position(|b| matches!(b.kind, Kind::H(_) | Kind::P) && norm(&b.text) == t)
    {
        blocks.remove(pos);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 11, 21, 3, 0, 0)
            .single()
            .unwrap_or_default()
    }

    /// Fails, naming the missing part and the whole body, unless `body` holds every part.
    #[track_caller]
    fn assert_holds(body: &str, parts: impl IntoIterator<Item = impl AsRef<str>>) {
        for p in parts {
            let p = p.as_ref();
            assert!(body.contains(p), "{p:?} missing from {body:?}");
        }
    }

    /// `texts` as a run of `<p>` elements.
    fn paragraphs(texts: &[&str]) -> String {
        texts.iter().map(|p| format!("<p>{p}</p>")).collect()
    }

    const PARAS: [&str; 4] = [
        "SAMARINDA - Banjir kembali merendam tiga kelurahan di Kota Samarinda, Kalimantan Timur, pada Rabu pagi setelah hujan deras mengguyur sejak malam.",
        "Kepala BPBD Samarinda mengatakan ketinggian air mencapai 80 sentimeter di beberapa titik, sehingga warga diminta tetap waspada.",
        "Menurut dia, petugas sudah menyiapkan perahu karet dan dapur umum untuk membantu warga yang terdampak banjir di wilayah tersebut.",
        "Warga berharap pemerintah kota segera memperbaiki saluran drainase yang tersumbat agar banjir tidak terus berulang setiap musim hujan.",
    ];

    fn regional_page() -> String {
        format!(
            r#"<!doctype html><html lang="id"><head><title>Banjir Rendam Tiga Kelurahan di Samarinda | Kaltim Today</title>
<meta property="og:title" content="Banjir Rendam Tiga Kelurahan di Samarinda">
<script>var ads = "<p>not text</p>";</script><style>p {{ color: red }}</style></head>
<body><header class="site-header"><a href="/">Kaltim Today</a><nav><ul><li><a href="/daerah">Daerah</a></li><li><a href="/politik">Politik</a></li></ul></nav></header>
<div class="ads-top">ADVERTISEMENT</div>
<div class="container"><main><article>
<h1>Banjir Rendam Tiga Kelurahan di Samarinda</h1>
<div class="post-meta"><span>Rabu, 20 November 2024 | 10:15 WITA</span></div>
<div class="share-buttons"><a href="https://facebook.com/sharer">Facebook</a> <a href="https://twitter.com/share">Twitter</a> <a href="whatsapp://send">WhatsApp</a></div>
<div class="post-content">
<p>{}</p>
<p>{}</p>
<div class="baca-juga"><strong>Baca juga:</strong> <a href="/banjir-balikpapan">Banjir di Balikpapan</a></div>
<p><strong>Baca Juga:</strong> <a href="/longsor">Longsor tutup jalan poros</a></p>
<div class="ad-slot"><p>ADVERTISEMENT</p><p>SCROLL TO CONTINUE WITH CONTENT</p></div>
<p>{}</p>
<p>{}</p>
<p>Editor: Budi Santoso</p>
<p>Pewarta: Siti Aminah</p>
</div>
<div class="tags"><a href="/tag/banjir">banjir</a><a href="/tag/samarinda">samarinda</a></div>
</article></main>
<aside class="sidebar"><h3>Berita Terpopuler</h3><ul><li><a href="/a">Satu</a></li><li><a href="/b">Dua</a></li></ul></aside></div>
<footer><p>Copyright © 2024 Kaltim Today. All rights reserved.</p></footer></body></html>"#,
            PARAS[0], PARAS[1], PARAS[2], PARAS[3]
        )
    }

    #[test]
    fn regional_news_page_gives_exactly_the_article_paragraphs() {
        let url = Url::parse("https://kaltimtoday.example/berita/banjir").ok();
        let got = extract(&regional_page(), url.as_ref(), None, now());
        assert_eq!(got.body_text, PARAS.join("\n\n"));
        assert_eq!(
            got.title.as_deref(),
            Some("Banjir Rendam Tiga Kelurahan di Samarinda")
        );
        assert_eq!(got.language.as_deref(), Some("id"));
        assert_eq!(got.author.as_deref(), Some("Siti Aminah"));
        let expected = FixedOffset::east_opt(8 * 3600)
            .and_then(|z| z.with_ymd_and_hms(2024, 11, 20, 10, 15, 0).single());
        assert_eq!(got.published, expected);
        assert!(
            got.body_html.starts_with("<p>SAMARINDA - Banjir"),
            "{}",
            got.body_html
        );
        assert!(!got.body_html.contains("script") && !got.body_html.contains("class="));
    }

    #[test]
    fn a_dateline_at_either_end_of_the_body_is_metadata_not_text() {
        let html = format!(
            "<html><body><article><p>Selasa, 12 Maret 2024 09:30 WITA</p><p>{}</p><p>{}</p>\
             <p>20/11/2024</p></article></body></html>",
            PARAS[0], PARAS[1]
        );
        let got = extract(&html, None, None, now());
        assert_eq!(got.body_text, format!("{}\n\n{}", PARAS[0], PARAS[1]));
    }

    #[test]
    fn a_dateline_under_the_headline_is_metadata_but_a_sentence_with_a_date_is_text() {
        for dateline in [
            "<time datetime=\"2024-11-20T10:15:00+08:00\">2024-11-20T10:15:00+08:00</time>",
            "<p>Samarinda, Rabu (20/11/2024) 10:15 WITA | Oleh Budi Santoso</p>",
            "<div class=\"date\">Rabu, 20/11/2024 10:15 WITA</div>",
        ] {
            // Under a headline that is not the page's title, too.
            let html = format!(
                "<html><head><title>Banjir</title></head><body><article>\
                 <h1>Banjir Rendam Samarinda Lagi</h1>{dateline}<p>{}</p><p>{}</p>\
                 </article></body></html>",
                PARAS[0], PARAS[1]
            );
            let got = extract(&html, None, None, now());
            assert!(
                got.body_text
                    .ends_with(&format!("{}\n\n{}", PARAS[0], PARAS[1]))
                    && !got.body_text.contains("2024"),
                "{dateline}: {}",
                got.body_text
            );
            let html = format!(
                "<html><head><title>Banjir Samarinda</title></head><body><article>\
                 <h1>Banjir Samarinda</h1>{dateline}<p>{}</p><p>{}</p></article></body></html>",
                PARAS[0], PARAS[1]
            );
            let got = extract(&html, None, None, now());
            assert_eq!(
                got.body_text,
                format!("{}\n\n{}", PARAS[0], PARAS[1]),
                "{dateline}"
            );
        }
        let html = format!(
            "<html><body><article><p>{}</p><p>{}</p>\
             <p>Pendaftaran dibuka hingga 20 Desember 2024.</p></article></body></html>",
            PARAS[0], PARAS[1]
        );
        let got = extract(&html, None, None, now());
        assert!(
            got.body_text.ends_with("hingga 20 Desember 2024."),
            "{}",
            got.body_text
        );
    }

    #[test]
    fn site_rules_take_precedence_over_generic_extraction() {
        let html = format!(
            "<html><body><div class=\"main-text\"><p>{}</p><p>{}</p></div>\
             <div class=\"teaser\"><p>Teaser singkat</p><div class=\"promo-x\">Buy now</div></div></body></html>",
            PARAS[0], PARAS[1]
        );
        let rules = SiteRules::new("div.teaser", &[".promo-x".to_string()]);
        let rules = rules.as_ref().ok();
        let got = extract(&html, None, rules, now());
        assert_eq!(got.body_text, "Teaser singkat");
        // Without rules the generic extractor finds the long text.
        let generic = extract(&html, None, None, now());
        assert_eq!(generic.body_text, format!("{}\n\n{}", PARAS[0], PARAS[1]));
        // Rules whose body selector matches nothing fall back to generic extraction.
        let missing = SiteRules::new("div.nothing-here", &[]);
        let got = extract(&html, None, missing.as_ref().ok(), now());
        assert_eq!(got.body_text, generic.body_text);
    }

    #[test]
    fn bad_selectors_are_named() {
        let err = SiteRules::new("div[", &[]).err().unwrap_or_default();
        assert!(err.contains("body selector \"div[\""), "{err}");
        let err = SiteRules::new("div", &["p".into(), "##".into()])
            .err()
            .unwrap_or_default();
        assert!(err.contains("remove selector \"##\""), "{err}");
        let err = SiteRules::new("", &[]).err().unwrap_or_default();
        assert!(
            err.contains("EmptySelector") && !err.contains("report this"),
            "{err}"
        );
    }

    #[test]
    fn metadata_from_json_ld_graph_and_open_graph() {
        let html = format!(
            r#"<html><head>
<script type="application/ld+json">{{"@context":"https://schema.org","@graph":[{{"@type":"WebSite","name":"Site"}},
{{"@type":"NewsArticle","headline":"Gubernur Resmikan Jembatan","datePublished":"2024-11-20T10:15:00+08:00",
"author":[{{"@type":"Person","name":"Andi Wijaya"}},{{"@type":"Person","name":"Rina"}}]}}]}}</script>
<meta property="og:title" content="OG title">
<meta property="og:url" content="/berita/jembatan">
<meta name="author" content="Meta Author">
</head><body><article><p>{}</p><p>{}</p></article></body></html>"#,
            PARAS[0], PARAS[1]
        );
        let url = Url::parse("https://example.id/x?utm=1").ok();
        let got = extract(&html, url.as_ref(), None, now());
        assert_eq!(got.title.as_deref(), Some("Gubernur Resmikan Jembatan"));
        assert_eq!(got.author.as_deref(), Some("Andi Wijaya, Rina"));
        assert_eq!(
            got.published.map(|d| d.to_rfc3339()).as_deref(),
            Some("2024-11-20T10:15:00+08:00")
        );
        assert_eq!(
            got.canonical_url.as_deref(),
            Some("https://example.id/berita/jembatan")
        );
        // No lang attribute: detected from the body.
        assert_eq!(got.language.as_deref(), Some("id"));
    }

    #[test]
    fn open_graph_and_meta_tags_without_json_ld() {
        let html = format!(
            r#"<html lang="en-US"><head><title>Ignored | Site</title>
<meta property="og:title" content="Bridge opens">
<meta property="article:published_time" content="2024-11-20T02:15:00Z">
<meta name="author" content="Jane Doe">
<link rel="canonical" href="https://example.com/bridge"></head>
<body><div><p>{}</p></div></body></html>"#,
            PARAS[2]
        );
        let got = extract(&html, None, None, now());
        assert_eq!(got.title.as_deref(), Some("Bridge opens"));
        assert_eq!(got.author.as_deref(), Some("Jane Doe"));
        assert_eq!(got.language.as_deref(), Some("en"));
        assert_eq!(
            got.canonical_url.as_deref(),
            Some("https://example.com/bridge")
        );
        assert_eq!(
            got.published.map(|d| d.to_rfc3339()).as_deref(),
            Some("2024-11-20T02:15:00+00:00")
        );
        assert_eq!(got.body_text, PARAS[2]);
    }

    #[test]
    fn br_separated_text_lists_and_html_are_kept_apart() {
        let html = format!(
            "<html><body><div class=\"isi\">{}<br><br>{}<br><br><ul><li>Satu item yang cukup panjang</li><li>Dua</li></ul>\
             <img src=\"/f.jpg\" onerror=\"x()\" alt=\"Banjir\"><p>Lihat <a href=\"/peta\" onclick=\"y()\">peta</a> <em>lokasi</em>.</p></div></body></html>",
            PARAS[0], PARAS[1]
        );
        let url = Url::parse("https://example.id/a/b").ok();
        let got = extract(&html, url.as_ref(), None, now());
        assert_eq!(
            got.body_text,
            format!(
                "{}\n\n{}\n\nSatu item yang cukup panjang\n\nDua\n\nLihat peta lokasi.",
                PARAS[0], PARAS[1]
            )
        );
        assert!(
            got.body_html
                .contains("<ul><li>Satu item yang cukup panjang</li><li>Dua</li></ul>"),
            "{}",
            got.body_html
        );
        assert!(
            got.body_html
                .contains("<img src=\"https://example.id/f.jpg\" alt=\"Banjir\">")
        );
        assert!(
            got.body_html
                .contains("<a href=\"https://example.id/peta\">peta</a> <em>lokasi</em>")
        );
        assert!(!got.body_html.contains("onerror") && !got.body_html.contains("onclick"));
    }

    #[test]
    fn empty_binary_and_hostile_inputs_do_not_panic() {
        for input in [
            "",
            "   ",
            "<html></html>",
            "\0\u{1}\u{fffd}\u{fffd}garbage\u{7f}",
            "<script>",
            "<<<>>>",
        ] {
            let got = extract(input, None, None, now());
            assert_eq!(got.body_text, "", "{input:?}");
        }
        let bytes: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
        let _ = extract(&String::from_utf8_lossy(&bytes), None, None, now());
    }

    #[test]
    fn deeply_nested_input_is_handled() {
        let depth = 10_000;
        let mut html = String::from("<html><body>");
        for _ in 0..depth {
            html.push_str("<div>");
        }
        html.push_str("<p>");
        html.push_str(PARAS[0]);
        html.push_str("</p>");
        for _ in 0..depth {
            html.push_str("</div>");
        }
        let got = extract(&html, None, None, now());
        assert_eq!(got.body_text, PARAS[0]);
        let inline = "<b>".repeat(depth) + PARAS[1];
        let _ = extract(&inline, None, None, now());
    }

    /// Issue 14, mechanism 2: text in inline tags outside the known list (legacy `big`,
    /// `nobr`, `acronym`, `ruby`, custom elements) stays in its sentence, a custom element
    /// that holds paragraphs stays a container, and a heading whose anchor id contains
    /// "nav" is kept.
    #[test]
    fn text_in_unlisted_inline_tags_and_anchored_headings_is_kept() {
        let html = format!(
            r#"<html><head><title>Banjir</title></head><body><nav>Beranda Berita</nav><article>
<h1>Banjir Samarinda</h1>
<p>{} Warga di <big>kawasan Sempaja</big> mengungsi.</p>
<p>{} Petugas <nobr>BPBD Kota Samarinda</nobr> dan <acronym title="x">Basarnas</acronym> berjaga.</p>
<h2 id="nav_1">Bantuan untuk warga</h2>
<news-body><p>{}</p><p>{} Ada <my-note>posko kesehatan darurat</my-note> dan <ruby>bantuan<rt>ban-tu-an</rt></ruby> pangan.</p></news-body>
</article></body></html>"#,
            PARAS[0], PARAS[1], PARAS[2], PARAS[3]
        );
        let got = extract(&html, None, None, now());
        assert_holds(
            &got.body_text,
            [
                "Warga di kawasan Sempaja mengungsi.",
                "Petugas BPBD Kota Samarinda dan Basarnas berjaga.",
                "Bantuan untuk warga",
                "Ada posko kesehatan darurat dan bantuan pangan.",
                PARAS[2],
            ],
        );
        assert!(!got.body_text.contains("ban-tu-an"), "{:?}", got.body_text);
        // The custom element holding paragraphs is a container: its paragraphs stay apart.
        assert!(
            got.body_text
                .contains(&format!("{}\n\n{}", PARAS[2], PARAS[3]))
        );
    }

    /// Issue 14, mechanism 5: soft hyphens (U+00AD) are hyphenation points, not text.
    #[test]
    fn soft_hyphens_leave_the_words_whole() {
        let html = format!(
            "<html><body><article><h1>Banjir</h1><p>{}</p><p>Banjir di Kali&shy;mantan Ti{}mur meluas.</p><p>{}</p><pre>Kali&shy;mantan</pre></article></body></html>",
            PARAS[0], '\u{ad}', PARAS[1]
        );
        let got = extract(&html, None, None, now());
        assert!(
            got.body_text.contains("Banjir di Kalimantan Timur meluas."),
            "{:?}",
            got.body_text
        );
        assert!(!got.body_text.contains('\u{ad}'), "{:?}", got.body_text);
        assert!(!got.body_html.contains('\u{ad}'));
    }

    /// Issue 14, mechanism 1: an unclosed `<aside>` banner at the top of the body swallows
    /// the whole page, article included; the article is still found. And an unfilled
    /// template field is not an author.
    #[test]
    fn an_article_inside_an_unclosed_aside_is_found_and_template_fields_are_no_authors() {
        let html = format!(
            r#"<html><head><title>Banjir</title><meta name="author" content="page.head.extra.author"></head><body>
<aside class="announcement-banner"><div><a href="/news">Pengumuman: kantor pindah</a></div>
<main><article><h1>Banjir Samarinda</h1><p>{}</p><p>{}</p><p>{}</p></article></main>
<footer>Hak cipta</footer></body></html>"#,
            PARAS[0], PARAS[1], PARAS[2]
        );
        let got = extract(&html, None, None, now());
        assert!(got.not_article.is_none(), "{:?}", got.not_article);
        assert_holds(&got.body_text, &PARAS[..3]);
        assert!(!got.body_text.contains("Pengumuman"), "{:?}", got.body_text);
        assert_eq!(got.author, None);
        for name in ["page.head.extra.author", "{{ author.name }}", "%AUTHOR%"] {
            assert!(meta::is_template_field(name), "{name}");
        }
        for name in ["Tim Enwall", "A. B. Santoso", "dr. Siti"] {
            assert!(!meta::is_template_field(name), "{name}");
        }
    }

    /// Issue 14, mechanism 1: a `<header>` inside `<main>` or `<article>` is part of the
    /// content (a lead under the title; a page builder's name for the text's section), not
    /// the site's header; the site's own header still goes.
    #[test]
    fn a_header_inside_the_content_keeps_its_lead_and_text() {
        let html = format!(
            r#"<html><head><title>Banjir</title></head><body>
<header class="site"><a href="/">Kaltim Today</a> <a href="/daerah">Daerah</a></header>
<main><article><header><h1>Banjir Samarinda</h1><p class="lead">{}</p></header><p>{}</p><p>{}</p></article></main>
</body></html>"#,
            PARAS[0], PARAS[1], PARAS[2]
        );
        let got = extract(&html, None, None, now());
        assert_holds(&got.body_text, &PARAS[..3]);
        assert!(
            !got.body_text.contains("Kaltim Today"),
            "{:?}",
            got.body_text
        );

        let builder = format!(
            r#"<html><head><title>Banjir</title></head><body><div class="page-wrapper"><main class="main-wrapper">
<header class="section_blog-post-content"><div class="container"><div class="text-rich-text"><p>{}</p><p>{}</p><p>{}</p><p>{}</p></div></div></header>
<section class="section_cta"><p>Coba aplikasi kami gratis hari ini.</p></section>
</main></div></body></html>"#,
            PARAS[0], PARAS[1], PARAS[2], PARAS[3]
        );
        let got = extract(&builder, None, None, now());
        assert_holds(&got.body_text, PARAS);
    }

    /// Issue 14, mechanism 1: a container whose class reads like furniture
    /// ("inline-and-sidebar-container") but holds most of the page's text is the text,
    /// even when enough other text is left without it.
    #[test]
    fn a_furniture_named_container_holding_most_of_the_text_is_kept() {
        let html = format!(
            r#"<html><head><title>Menu hemat</title><script>var big = "{}";</script></head><body>
<nav><a href="/">Beranda</a> <a href="/gizi">Gizi</a></nav>
<section class="inline-and-sidebar-container"><div class="row"><h1>Menu hemat</h1><p>{}</p><p>{}</p><p>{}</p></div></section>
<div class="sidebar"><p>Donasi sekarang untuk riset jantung.</p></div>
<div class="info"><p>{}</p><p>{}</p></div>
</body></html>"#,
            "x".repeat(5000),
            PARAS[0],
            PARAS[1],
            PARAS[2],
            // Enough text elsewhere that finding only it would not look like too little.
            PARAS[3],
            "Informasi lebih lanjut tentang menu sehat dapat diperoleh melalui perawat jantung kami setiap hari kerja pukul delapan sampai empat sore."
        );
        let got = extract(&html, None, None, now());
        assert_holds(&got.body_text, &PARAS[..3]);
        assert!(!got.body_text.contains("Donasi"), "{:?}", got.body_text);
    }

    #[test]
    fn an_article_streamed_by_react_into_a_hidden_segment_is_found() {
        // React's streaming renderer sends the suspended article last, hidden, with a
        // script that moves it into the placeholder; any other hidden text stays out.
        let html = format!(
            r#"<html><head><title>Banjir</title></head><body>
<header><a href="/">Beranda</a></header>
<main><template id="B:0"></template><p>Memuat…</p></main>
<div hidden id="modal"><p>{}</p></div>
<div hidden id="S:0"><article><h1>Banjir</h1><p>{}</p><p>{}</p><p>{}</p></article></div>
<script>$RC("B:0","S:0")</script>
</body></html>"#,
            "Masuk ke akun Anda untuk menyimpan artikel dan membaca tanpa iklan setiap hari di semua perangkat.",
            PARAS[0],
            PARAS[1],
            PARAS[2]
        );
        let got = extract(&html, None, None, now());
        assert_holds(&got.body_text, &PARAS[..3]);
        assert!(
            !got.body_text.contains("Masuk ke akun"),
            "{:?}",
            got.body_text
        );
    }

    #[test]
    fn a_form_around_the_whole_page_is_the_page() {
        // ASP.NET templates wrap everything in one <form>.
        let html = format!(
            r#"<html><head><title>Banjir</title></head><body><form id="form" method="post" action="/">
<div class="top"><a href="/">Beranda</a></div>
<div class="content"><h1>Banjir</h1><p>{}</p><p>{}</p><p>{}</p><p>{}</p></div>
</form></body></html>"#,
            PARAS[0], PARAS[1], PARAS[2], PARAS[3]
        );
        let got = extract(&html, None, None, now());
        assert_holds(&got.body_text, PARAS);
    }

    #[test]
    fn staff_credits_split_over_lines_are_read_and_dropped() {
        let html = format!(
            r#"<html lang="id"><head><title>Banjir</title></head><body><h1>Banjir</h1>
<div class="content"><p>{}</p><p>{}</p><p>{}</p><p>Penulis</p><p>: Budi Santoso</p><p>Editor:</p><p>Rita Noor</p><p>Sumber</p><p>: Humas Pemkot</p></div>
</body></html>"#,
            PARAS[0], PARAS[1], PARAS[2]
        );
        let got = extract(&html, None, None, now());
        assert_eq!(got.author.as_deref(), Some("Budi Santoso"));
        assert!(got.body_text.ends_with(PARAS[2]), "{:?}", got.body_text);
    }

    #[test]
    fn an_article_written_as_a_run_of_sections_is_taken_whole() {
        // Each section holds a box with its heading and a box with its paragraphs (a page
        // builder's blog template); the longest section's box alone used to be taken for
        // the article.
        let boxed = |inner: &str| {
            format!(r#"<div class="container"><div class="wrapper">{inner}</div></div>"#)
        };
        let section = |id: &str, heading: &str, body: &str| {
            format!(
                r#"<section class="blog-section" id="{id}">{}{}</section>"#,
                boxed(&format!("<h2>{heading}</h2>")),
                boxed(&format!(r#"<div class="rich-text">{body}</div>"#))
            )
        };
        let long = format!("<p>{}</p><p>{}</p><p>{}</p>", PARAS[1], PARAS[2], PARAS[3]);
        let last = "Pemerintah kota berjanji memperbaiki drainase sebelum musim hujan berikutnya tiba, kata wali kota kepada wartawan.";
        let html = format!(
            r#"<html><head><title>Banjir</title></head><body><nav><a href="/">Beranda</a></nav>
<div class="main-content">{}{}{}</div></body></html>"#,
            section("a", "Awal", &format!("<p>{}</p>", PARAS[0])),
            section("b", "Penanganan", &long),
            section("c", "Harapan", &format!("<p>{last}</p>")),
        );
        let got = extract(&html, None, None, now());
        assert_holds(&got.body_text, PARAS.iter().chain([&last]));
    }

    #[test]
    fn product_cards_in_an_article_are_text_but_a_grid_of_teasers_is_not() {
        // A product card holds a paragraph of its own; a teaser, a headline and an excerpt
        // no longer than a meta description.
        let card = |name: &str, text: &str| {
            format!(
                r#"<div class="card"><div class="detail"><img src="/{name}.jpg" alt=""><h2>{name}</h2>
<p>Rp 450.000</p><div class="desc"><div class="desc-text"><p>{text}</p></div></div>
<a class="btn" href="/go/{name}">Beli di toko</a></div></div>"#
            )
        };
        let teaser = |n: u32| {
            format!(
                r#"<div class="card"><img src="/t{n}.jpg" alt=""><h3>Berita lain {n}</h3>
<div>Ringkasan singkat berita lain nomor {n} tentang kota.</div><a href="/berita-{n}">Selengkapnya</a></div>"#
            )
        };
        let html = format!(
            r#"<html><body><article><h1>Lampu pintar terbaik</h1><p>{}</p><p>{}</p>
<div class="grid">{}{}{}</div><p>{}</p><p>{}</p></article>
<section class="grid">{}{}{}{}</section></body></html>"#,
            PARAS[0],
            PARAS[1],
            card("Lampu A", &PARAS[1..].join(" ")),
            card("Lampu B", &PARAS[..3].join(" ")),
            card("Lampu C", &PARAS[1..].join(" ")),
            PARAS[2],
            PARAS[3],
            teaser(1),
            teaser(2),
            teaser(3),
            teaser(4),
        );
        let got = extract(&html, None, None, now());
        assert_holds(&got.body_text, PARAS.iter().chain(&["Lampu B"]));
        assert!(!got.body_text.contains("Berita lain"), "{}", got.body_text);
    }

    #[test]
    fn an_article_made_of_unequal_boxes_is_taken_whole_without_its_comments() {
        // A ranking built by a page builder: an intro and one section per entry, each
        // padded in boxes. The intro's box alone used to be taken for the article. The
        // comments inside `<main>` stay out.
        let boxed = |class: &str, inner: &str| {
            format!(
                r#"<section class="{class}"><div class="padding"><div class="container">{inner}</div></div></section>"#
            )
        };
        let rich = |paras: &[&str]| -> String {
            format!(r#"<div class="rich-text">{}</div>"#, paragraphs(paras))
        };
        let entries = [
            "Taman Tepian Mahakam ramai setiap sore, dengan pedagang kaki lima dan pemandangan sungai, kata pengelola.",
            "Masjid Islamic Center menjadi tujuan wisata religi, dan pengunjung datang dari luar kota setiap pekan.",
            "Kampung Tenun Samarinda menawarkan kain sarung tenun khas, dan pengunjung bisa melihat cara menenunnya.",
            "Pulau Kumala di tengah Sungai Mahakam punya kereta gantung, dan pada akhir pekan antrean cukup panjang.",
            "Air Terjun Tanah Merah menjadi tempat mandi favorit, terutama saat musim kemarau, kata warga sekitar.",
        ];
        let page = |entries: &[&str]| {
            let sections: String = entries
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let heading = format!("<h2>Pilihan {}</h2>", i + 1);
                    let pros = "<ul><li><b>Murah</b>: tiket masuk terjangkau untuk keluarga</li>\
                    <li><b>Dekat</b>: mudah dicapai dari pusat kota dengan angkot</li>\
                    <li><b>Ramai</b>: banyak pedagang makanan khas daerah</li></ul>";
                    boxed(
                        &format!("rank rank-{}", i + 1),
                        &format!("{heading}{}{pros}", rich(&[e])),
                    )
                })
                .collect();
            let comment = "Terima kasih atas ulasannya, sangat membantu kami yang baru pindah ke kota ini dan belum tahu harus ke mana.";
            let comments: String = (0..10)
                .map(|i| format!(r#"<li class="comment"><p>Pembaca {i}: {comment}</p></li>"#))
                .collect();
            format!(
                r#"<html><head><title>Daftar</title></head><body><nav><a href="/">Beranda</a></nav>
<main><h1>Daftar</h1>{}{sections}
<div class="comments-area" id="comments"><ol>{comments}</ol></div>
</main></body></html>"#,
                boxed(
                    "intro",
                    &format!("<h2>Daftar lengkap</h2>{}", rich(&[PARAS; 2].concat()))
                ),
            )
        };
        // Five entries more than double the intro's text; three add half as much again.
        for n in [5, 3] {
            let got = extract(&page(&entries[..n]), None, None, now());
            assert_holds(&got.body_text, PARAS.iter().chain(&entries[..n]));
            assert!(!got.body_text.contains("Pembaca"), "{}", got.body_text);
        }
    }

    #[test]
    fn a_table_in_a_scrolling_wrapper_is_kept() {
        // Wide tables come wrapped in a box that scrolls sideways on phones; the wrapper's
        // name is no reason to drop the table.
        let rows: String = [
            ("Sungai Pinang", "80 cm", "1.200"),
            ("Sempaja Selatan", "65 cm", "940"),
            ("Temindung Permai", "50 cm", "610"),
        ]
        .iter()
        .map(|(a, b, c)| format!("<tr><td>{a}</td><td>{b}</td><td>{c}</td></tr>"))
        .collect();
        let paras = paragraphs(&PARAS);
        let html = format!(
            r#"<html><head><title>Banjir</title></head><body><article><h1>Banjir</h1>{paras}
<div class="table-scroll"><table><tr><th>Kelurahan</th><th>Ketinggian</th><th>Warga</th></tr>{rows}</table></div>
<p>Data dihimpun BPBD Samarinda hingga Rabu sore, dan jumlah warga terdampak masih bisa bertambah.</p>
</article></body></html>"#
        );
        let got = extract(&html, None, None, now());
        assert_holds(
            &got.body_text,
            PARAS
                .iter()
                .chain(&["Sungai Pinang", "Temindung Permai", "65 cm"]),
        );
    }

    #[test]
    fn a_part_built_like_the_article_box_is_kept_without_paragraphs() {
        // The article is a run of sections of one class; the one holding only a table
        // scores nothing by paragraphs but is still part of it.
        let rows: String = [
            ("Beras", "12.500"),
            ("Minyak goreng", "17.000"),
            ("Gula pasir", "15.500"),
        ]
        .iter()
        .map(|(a, b)| format!("<tr><td>{a}</td><td>Rp {b} per kilogram</td></tr>"))
        .collect();
        let section = |inner: &str| format!(r#"<section class="text-layout">{inner}</section>"#);
        let html = format!(
            r#"<html><head><title>Harga</title></head><body><div class="wrap">{}{}{}</div>
<div class="footer-links"><a href="/a">Tentang kami</a> <a href="/b">Kontak</a></div></body></html>"#,
            section(&paragraphs(&PARAS[..2])),
            section(&format!("<table>{rows}</table>")),
            section(&paragraphs(&PARAS[2..])),
        );
        let got = extract(&html, None, None, now());
        assert_holds(
            &got.body_text,
            PARAS.iter().chain(&["Minyak goreng", "Rp 15.500"]),
        );
    }

    #[test]
    fn a_box_of_prose_that_links_its_sources_is_kept() {
        // A quarter of this box's text is links to the documents it cites.
        let cited = r#"<div class="update"><p>Update: Data lengkap ada di <a href="/a">laporan resmi BPBD Samarinda</a> dan peta genangan terbaru yang dirilis Kamis.</p>
<p>Warga juga bisa memantau <a href="/c">tinggi muka air</a> lewat laman pemerintah kota setiap jam.</p></div>"#;
        let paras = paragraphs(&PARAS);
        let html = format!(
            r#"<html><head><title>Banjir</title></head><body><article><h1>Banjir</h1>{paras}{cited}</article></body></html>"#
        );
        let got = extract(&html, None, None, now());
        assert_holds(
            &got.body_text,
            PARAS
                .iter()
                .chain(&["Data lengkap ada di", "tinggi muka air"]),
        );
    }

    #[test]
    fn a_list_of_linked_names_with_a_sentence_each_is_kept_and_headlines_are_not() {
        // Each item is mostly its link, with a few words of its own.
        let described: String = [
            (
                "Pantai Manggar Segara Sari di Balikpapan Timur",
                "pasir putih, warung ikan bakar",
            ),
            (
                "Hutan Lindung Sungai Wain di Balikpapan Barat",
                "jalur trekking, jembatan tajuk",
            ),
            (
                "Kebun Raya Balikpapan di Karang Joang Balikpapan",
                "koleksi tanaman khas Kalimantan",
            ),
        ]
        .iter()
        .map(|(name, about)| format!(r#"<li><a href="/wisata/{name}">{name}</a>: {about}.</li>"#))
        .collect();
        let headlines: String = (1..=4)
            .map(|i| format!(r#"<li><a href="/berita/{i}">Wali kota resmikan taman kota yang ke-{i} di Balikpapan</a> 2{i}/11/2024</li>"#))
            .collect();
        let paras = paragraphs(&PARAS);
        let html = format!(
            r#"<html><head><title>Wisata</title></head><body><article><h1>Wisata</h1>{paras}
<ul>{described}</ul><p>Semua tempat itu bisa dicapai dalam satu jam dari pusat kota.</p><ul>{headlines}</ul></article></body></html>"#
        );
        let got = extract(&html, None, None, now());
        assert_holds(
            &got.body_text,
            PARAS
                .iter()
                .chain(&["jembatan tajuk", "Kebun Raya Balikpapan di Karang"]),
        );
        assert!(!got.body_text.contains("Wali kota"), "{}", got.body_text);
    }

    #[test]
    fn a_list_the_prose_announces_is_kept_however_much_of_it_links() {
        // A progress report: "these patches were sent:" and the patches, each a link with a
        // few words after it. The same shape after a sentence that announces nothing is a
        // box of links.
        let item = |i: u32| {
            format!(
                r#"<li><a href="https://tracker.example/laporan/{i}">Perbaikan saluran drainase di Jalan Pahlawan ruas {i}</a> (selesai)</li>"#
            )
        };
        let announced: String = (1..=6).map(item).collect();
        let unannounced: String = (7..=12).map(item).collect();
        let html = format!(
            r#"<html><body><article><h1>Laporan bulanan</h1><div class="content">{}
<div class="sect"><h2>Pekerjaan</h2><p>Pekerjaan yang sudah diserahkan bulan ini:</p><div class="ulist"><ul>{announced}</ul></div></div>
{}<div class="sect"><h2>Tautan</h2><p>Terima kasih kepada semua pihak.</p><div class="ulist"><ul>{unannounced}</ul></div></div>
</div></article></body></html>"#,
            paragraphs(&PARAS[..2]),
            paragraphs(&PARAS[2..]),
        );
        let got = extract(&html, None, None, now());
        assert_holds(
            &got.body_text,
            PARAS
                .iter()
                .chain(&["Pekerjaan yang sudah diserahkan", "Jalan Pahlawan ruas 6"]),
        );
        assert!(!got.body_text.contains("ruas 7"), "{}", got.body_text);
    }

    #[test]
    fn an_article_laid_out_in_two_blocks_of_columns_is_read_whole() {
        // A guide laid out as blocks of two columns, its text in one column of each: the
        // first block is as much the article as the second, longer one.
        let steps = paragraphs(&["Langkah pertama", "Langkah kedua", "Langkah ketiga"]);
        let column_block = |side: &str, paras: &[&str]| {
            format!(
                r#"<div class="block-columns"><div class="columns"><div class="column">{side}</div><div class="column">{}</div></div></div>"#,
                paragraphs(paras)
            )
        };
        const MORE: [&str; 3] = [
            "Petugas juga membersihkan sampah yang menyumbat gorong-gorong di sepanjang Jalan Pahlawan, sehingga air bisa kembali mengalir ke sungai.",
            "Dinas pekerjaan umum menargetkan perbaikan saluran selesai sebelum puncak musim hujan pada bulan Januari, kata kepala dinas itu.",
            "Warga diminta tidak membuang sampah ke saluran air dan melapor ke kelurahan bila melihat genangan yang tidak surut dalam sehari.",
        ];
        let html = format!(
            r#"<html><body><main><div class="layout"><section class="mb-24"><h2>Panduan banjir</h2>
{}{}</section></div><aside class="sidebar"><p>Berita terpopuler</p></aside></main></body></html>"#,
            column_block(&steps, &PARAS[..1]),
            column_block(
                "<blockquote><p>Air naik cepat sekali.</p></blockquote>",
                &[PARAS[1], PARAS[2], PARAS[3], MORE[0], MORE[1], MORE[2]]
            ),
        );
        let got = extract(&html, None, None, now());
        assert_holds(&got.body_text, PARAS.iter().chain(&MORE));
        assert!(!got.body_text.contains("terpopuler"), "{}", got.body_text);
    }

    #[test]
    fn footnotes_and_layout_classes_are_not_furniture_names() {
        // "foot" names footers, not footnotes or football; "overflow-hidden" is a layout
        // utility, not hidden text.
        let html = format!(
            r#"<html><head><title>Bola</title></head><body><article class="category-football"><h1>Bola</h1>
<p>{}</p><div class="overflow-hidden rounded"><p>{}</p></div><p>{}</p><p>{}</p>
<div class="footnotes"><p>1. Angka dari laporan BPBD Samarinda yang dirilis pada Rabu sore, dan bisa berubah.</p></div>
</article><footer class="site-footer"><p>Hak cipta Kaltim Today, semua hak dilindungi undang-undang.</p></footer></body></html>"#,
            PARAS[0], PARAS[1], PARAS[2], PARAS[3]
        );
        let got = extract(&html, None, None, now());
        assert_holds(&got.body_text, PARAS.iter().chain(&["Angka dari laporan"]));
        assert!(!got.body_text.contains("Hak cipta"), "{}", got.body_text);
    }

    #[test]
    fn a_section_whose_id_is_made_from_its_heading_is_kept() {
        // Documentation generators name each section after its heading; "menu" in this one
        // is a word of the heading, not a site menu.
        const MENU: &str = "Bubur kacang hijau, telur rebus dan sayur bening bisa disiapkan dengan murah setiap pagi, kata ahli gizi puskesmas.";
        let html = format!(
            r#"<html><head><title>Gizi</title></head><body><div class="body">
<div class="section" id="gizi-balita"><h2>Gizi balita</h2><p>{}</p><p>{}</p><p>{}</p><p>{}</p></div>
<div class="section" id="menu-sehat-untuk-balita"><h2>Menu sehat untuk balita¶</h2><p>{MENU}</p></div>
</div><div id="menu"><a href="/">Beranda</a> <a href="/gizi">Gizi</a></div></body></html>"#,
            PARAS[0], PARAS[1], PARAS[2], PARAS[3]
        );
        let got = extract(&html, None, None, now());
        assert_holds(&got.body_text, PARAS.iter().chain(&[MENU]));
        assert!(!got.body_text.contains("Beranda"), "{}", got.body_text);
    }

    #[test]
    fn a_page_whose_address_names_its_kind_keeps_a_container_named_the_same() {
        // A newsletter issue published as a page: its container is named for what the
        // page is. On any other page the same name is a sign-up box.
        let sidebar = "Berita terpopuler pekan ini dari seluruh Kalimantan Timur, dipilih redaksi untuk Anda setiap Jumat pagi.";
        const ABOUT: &str = "Warta Kaltim adalah media daring yang memberitakan peristiwa di Kalimantan Timur sejak 2015, dikelola oleh jurnalis lokal.";
        let html = format!(
            r#"<html><body><main><section class="hero cc-newsletter"><div class="newsletter-wrapper">
<div class="rich-text-newsletter">{}</div></div></section>
<aside class="sidebar"><p>{sidebar}</p><a href="/a">A</a> <a href="/b">B</a></aside></main>
<div class="about">{}</div></body></html>"#,
            paragraphs(&PARAS),
            paragraphs(&[ABOUT; 5])
        );
        let issue = Url::parse("https://warta.example/newsletter/banjir-samarinda").ok();
        let got = extract(&html, issue.as_ref(), None, now());
        assert_holds(&got.body_text, PARAS);
        assert!(!got.body_text.contains("terpopuler"), "{}", got.body_text);
        // The same markup under an address that says nothing of newsletters: the box is
        // furniture and the site's blurb is what is left.
        let article = Url::parse("https://warta.example/berita/banjir-samarinda").ok();
        let got = extract(&html, article.as_ref(), None, now());
        assert!(!got.body_text.contains(PARAS[0]), "{}", got.body_text);
    }

    #[test]
    fn a_heading_whose_class_calls_it_a_header_is_kept() {
        // Newsletter platforms and page builders name their subheadings "header"; a site
        // header with the same word in its class is still furniture.
        let html = format!(
            r#"<html><body><div class="site-header"><p>Warta Kaltim, berita Kalimantan Timur setiap hari untuk pembaca setia.</p></div>
<article><div class="body markup"><p>{}</p><p>{}</p>
<h2 class="header-anchor-post">Penanganan di lapangan<div class="header-anchor-parent"><button aria-label="Link">#</button></div></h2>
<p>{}</p><h3 class="et_pb_module_header">Harapan warga</h3><p>{}</p></div></article></body></html>"#,
            PARAS[0], PARAS[1], PARAS[2], PARAS[3]
        );
        let got = extract(&html, None, None, now());
        assert_holds(
            &got.body_text,
            PARAS
                .iter()
                .chain(&["Penanganan di lapangan", "Harapan warga"]),
        );
        assert!(
            !got.body_text.contains("pembaca setia"),
            "{}",
            got.body_text
        );
    }

    #[test]
    fn a_subheading_in_a_box_of_its_own_is_kept() {
        let html = format!(
            r#"<html><body><article><p>{}</p><p>{}</p>
<div class="section-head"><h2 class="title">Penanganan</h2></div><p>{}</p><p>{}</p></article></body></html>"#,
            PARAS[0], PARAS[1], PARAS[2], PARAS[3]
        );
        let got = extract(&html, None, None, now());
        assert_holds(&got.body_text, ["Penanganan"]);
    }

    #[test]
    fn a_comment_thread_longer_than_the_article_is_not_the_article() {
        // WordPress marks each comment up as an `<article>`; readers wrote more than the
        // author did.
        let comment = "Terima kasih atas ulasannya, sangat membantu kami yang baru pindah ke kota ini dan belum tahu harus ke mana, semoga banjir cepat surut.";
        let comments: String = (0..12)
            .map(|i| {
                format!(
                    r#"<li class="comment"><article class="comment-body" id="div-comment-{i}"><footer>Pembaca {i}</footer><div class="comment-content"><p>{comment}</p></div></article></li>"#
                )
            })
            .collect();
        let html = format!(
            r#"<html><body><main><article class="post"><h1>Banjir</h1><p>{}</p><p>{}</p><p>{}</p><p>{}</p></article>
<div class="entry-comments" id="comments"><h2>Komentar</h2><ol class="comment-list">{comments}</ol></div></main></body></html>"#,
            PARAS[0], PARAS[1], PARAS[2], PARAS[3]
        );
        let got = extract(&html, None, None, now());
        assert_eq!(got.body_text, PARAS.join("\n\n"));
    }

    #[test]
    fn an_affiliate_disclosure_box_is_not_article_text() {
        let html = format!(
            r#"<html><body><article><div class="post-content"><div class="affiliate-disclosure">Artikel ini memuat tautan afiliasi. Jika Anda membeli lewat tautan ini, kami mendapat komisi.</div>
<p>{}</p><p>{}</p><p>{}</p></div></article></body></html>"#,
            PARAS[0], PARAS[1], PARAS[2]
        );
        let got = extract(&html, None, None, now());
        assert_eq!(got.body_text, PARAS[..3].join("\n\n"));
    }

    #[test]
    fn an_article_inside_a_paywall_named_box_is_kept_and_the_prompt_is_not() {
        // The whole text is in the page, in the box a script hides from non-subscribers.
        let html = format!(
            r#"<html><body><article><h1>Banjir</h1><p>{}</p><p>{}</p><div class="paywall"><p>{}</p><p>{}</p></div>
<div class="paywall-prompt"><p>Berlangganan untuk membaca artikel selengkapnya.</p><a href="/langganan">Langganan</a></div></article></body></html>"#,
            PARAS[0], PARAS[1], PARAS[2], PARAS[3]
        );
        let got = extract(&html, None, None, now());
        assert_eq!(got.body_text, PARAS.join("\n\n"));
    }

    #[test]
    fn a_dateline_without_a_zone_is_read_in_the_pages_home_zone() {
        let page = |lang: &str| {
            format!(
                r#"<html lang="{lang}"><head><title>Banjir</title></head><body><article><h1>Banjir</h1>
<p class="date">16.02.2016 14:38</p><p>{}</p><p>{}</p></article></body></html>"#,
                PARAS[0], PARAS[1]
            )
        };
        let published = |lang: &str, url: &str| {
            let url = Url::parse(url).ok();
            extract(&page(lang), url.as_ref(), None, now())
                .published
                .map(|p| p.to_rfc3339())
        };
        // A day-first date is no sign of Indonesia on a German site.
        assert_eq!(
            published("de", "https://zeitung.example/a").as_deref(),
            Some("2016-02-16T14:38:00+01:00")
        );
        assert_eq!(
            published("id", "https://warta.example/a").as_deref(),
            Some("2016-02-16T14:38:00+07:00")
        );
        // The country's domain says where the site is, whatever the language.
        assert_eq!(
            published("en", "https://news.example.sg/a").as_deref(),
            Some("2016-02-16T14:38:00+08:00")
        );
        assert_eq!(
            published("en", "https://news.example.com/a").as_deref(),
            Some("2016-02-16T14:38:00+00:00")
        );
    }
}
