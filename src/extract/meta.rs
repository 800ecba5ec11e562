//! Article metadata: title, author, published time, language and canonical URL.
//!
//! This module owns reading what a page says about itself. The most explicit source wins:
//! JSON-LD (including `@graph` and arrays), OpenGraph and other `<meta>` tags (the
//! `pubdate`, `publishdate`, `dc.date` and `content_PublishedDate` that Indonesian CMSs
//! write), `<time datetime>`, then the visible text (a dateline such as `Rabu, 20 November
//! 2024 | 10:15 WITA` or `2 jam lalu`, a byline). Each value is then cleaned the same way
//! whatever its source, because every source has the same faults: titles carry the site's
//! name, author fields carry "Penulis:", e-mail addresses or the site's own name, and
//! CMSs write local time without a zone (read in the zone the page shows, else WIB on an
//! Indonesian page).
//!
//! Every walk is a bounded loop over the flat [`Dom`], and JSON-LD is read with
//! serde_json's nesting limit and a size cap, so no page can make this slow or deep.

use std::cell::OnceCell;
use std::ops::Range;
use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, Utc};
use regex_lite::Regex;
use serde_json::Value;
use url::Url;

use super::dom::{Dom, Tag};
use super::render::absolute;

/// What the page says about itself, before the body is known.
#[derive(Debug, Default)]
pub(crate) struct PageMeta {
    pub title: Option<String>,
    pub author: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    pub language: Option<String>,
    pub canonical_url: Option<String>,
    /// JSON-LD `articleBody`, a check on the generic extraction.
    pub ld_body: Option<String>,
}

/// schema.org types whose fields describe the article itself (sorted; from schema.org's
/// Article subtypes plus the ones news sites use).
const ARTICLE_TYPES: &[&str] = &[
    "AnalysisNewsArticle",
    "Article",
    "BackgroundNewsArticle",
    "BlogPosting",
    "LiveBlogPosting",
    "NewsArticle",
    "OpinionNewsArticle",
    "Report",
    "ReportageNewsArticle",
    "ReviewNewsArticle",
    "TechArticle",
];

/// schema.org types that name the site, not the article (sorted).
const SITE_TYPES: &[&str] = &["NewsMediaOrganization", "Organization", "WebSite"];

/// `<meta>` keys (name, property or itemprop, lower-cased) holding the publication time,
/// best first. From OpenGraph, Dublin Core, schema.org microdata, Parse.ly and Sailthru,
/// and the keys Indonesian CMSs write (Kompas `content_PublishedDate`, detik
/// `publishdate`, Tribun `pubdate`). A bare `date` is last: some templates fill it with
/// the time the page was served.
const DATE_KEYS: &[&str] = &[
    "article:published_time",
    "og:article:published_time",
    "article:published",
    "datepublished",
    "content_publisheddate",
    "publishdate",
    "pubdate",
    "publish-date",
    "publish_date",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "published",
    "publication_date",
    "citation_publication_date",
    "dc.date",
    "dcterms.date",
    "datecreated",
    "date",
];

/// `<meta>` keys naming the author, best first (`content_author` and `dtk:author` from
/// Kompas and detik; the rest from common templates).
const AUTHOR_KEYS: &[&str] = &[
    "author",
    "article:author",
    "dc.creator",
    "dcterms.creator",
    "parsely-author",
    "sailthru.author",
    "content_author",
    "dtk:author",
    "byl",
    "citation_author",
    "citation_authors",
];

/// Class or id fragments of elements holding a byline (lower case).
const BYLINE_HINTS: &[&str] = &["author", "byline", "penulis", "reporter", "writer"];

/// Separators between a headline and the site's name in titles.
const TITLE_SEPARATORS: &[&str] = &[" | ", " - ", " – ", " — ", " :: ", " · ", " • ", " » "];

/// Host labels that say nothing about which site it is (sorted).
const GENERIC_HOST_LABELS: &[&str] = &[
    "ac", "amp", "biz", "co", "com", "go", "info", "m", "mobile", "my", "net", "news", "or", "org",
    "sch", "web", "www",
];

/// Largest JSON-LD block read. Real ones are well under this even with `articleBody`;
/// bigger ones are junk that would only cost parse time.
const MAX_JSON_LD_BYTES: usize = 2 << 20;

#[derive(Default)]
struct Ld {
    headline: Option<String>,
    /// Author names, and whether each is typed a `Person`.
    authors: Vec<(String, bool)>,
    published: Option<String>,
    language: Option<String>,
    url: Option<String>,
    body: Option<String>,
    site_names: Vec<String>,
}

/// Everything the single pass over the page collects.
#[derive(Default)]
struct Scan<'a> {
    metas: Vec<(String, &'a str)>,
    canonical: Option<&'a str>,
    html_lang: Option<&'a str>,
    title_tag: Option<String>,
    h1s: Vec<String>,
    /// First `<time datetime>` marked as the publication time, and the first of any kind.
    time_published: Option<&'a str>,
    time_any: Option<&'a str>,
    byline: Option<String>,
    /// The text of the first link to an author's page ("/author/jane-doe") that the text
    /// names, after the first `<h1>` if there is one there, else before it.
    author_link: Option<String>,
    author_link_before_h1: Option<String>,
    /// "Written by Jane Doe" anywhere after the headline: the box about the author that
    /// closes many articles.
    written_by: Option<String>,
    /// A credit line near the headline ("Oleh: Dwi Puspita", "Penulis: Ramli | Editor: …").
    credit: Option<String>,
    /// Text nodes seen since the first `<h1>`.
    texts_after_h1: usize,
    /// Paragraph text, enough to check the declared language.
    sample: String,
}

/// How many `<h1>`s are considered (the first may be the site's logo).
const MAX_H1: usize = 4;
/// Bytes of paragraph text used to check a declared language.
const SAMPLE_BYTES: usize = 3000;

pub(crate) fn collect(
    dom: &Dom,
    json_ld: &[String],
    base: Option<&Url>,
    now: DateTime<Utc>,
) -> PageMeta {
    let ld = read_json_ld(json_ld);
    let domain = base.and_then(Url::host_str).map(|h| {
        let labels: Vec<&str> = h.rsplit('.').take(2).collect();
        labels.into_iter().rev().collect::<Vec<_>>().join(".")
    });
    let scan = scan(dom, domain.as_deref());
    let meta = |key: &str| scan.metas.iter().find(|(k, _)| k == key).map(|(_, v)| *v);

    let mut site_names: Vec<String> = ["og:site_name", "application-name", "twitter:site"]
        .iter()
        .filter_map(|k| meta(k))
        .chain(ld.site_names.iter().map(String::as_str))
        .map(|s| norm(s.trim_start_matches('@')))
        .filter(|s| s.len() >= 3)
        .collect();
    site_names.sort();
    site_names.dedup();
    let site = Site {
        names: site_names,
        host_labels: base.map(host_labels).unwrap_or_default(),
    };

    let declared_lang = scan
        .html_lang
        .and_then(normalize_lang)
        .or_else(|| meta("content-language").and_then(normalize_lang))
        .or_else(|| meta("og:locale").and_then(normalize_lang))
        .or_else(|| ld.language.as_deref().and_then(normalize_lang));
    // A declaration that the text plainly contradicts is a template default (WordPress
    // themes ship `lang="en-US"` to Indonesian sites); the text is the better witness.
    // Without a declaration there is nothing to overrule, so whatlang is not run.
    let language = declared_lang.map(|d| match detect_sample(&scan.sample) {
        Some(t) if t != d => t,
        _ => d,
    });

    let title = pick_title(&ld, &scan, &meta, &site);
    let author = pick_author(&ld, &scan, &meta, &site);

    let indonesian = language.as_deref() == Some("id")
        || base
            .and_then(Url::host_str)
            .is_some_and(|h| h.ends_with(".id"));
    let home = home_zone(language.as_deref(), base.and_then(Url::host_str));
    // "3/4/2025" is March 4 on an American page, 3 April everywhere else.
    let month_first = language.as_deref() == Some("en")
        && scan
            .html_lang
            .or_else(|| meta("og:locale"))
            .is_some_and(|t| t.trim().replace('_', "-").eq_ignore_ascii_case("en-us"));
    let locale = Locale {
        indonesian,
        home,
        month_first,
    };
    let published = pick_published(dom, &ld, &scan, &meta, locale, now);

    let canonical_url = scan
        .canonical
        .and_then(|c| article_url(c, base))
        .or_else(|| meta("og:url").and_then(|c| article_url(c, base)))
        .or_else(|| ld.url.as_deref().and_then(|c| article_url(c, base)));

    PageMeta {
        title,
        author,
        published,
        language,
        canonical_url,
        ld_body: ld.body,
    }
}

/// `site` is the page's registrable domain, roughly: its host's last two labels.
fn scan<'a>(dom: &'a Dom, site: Option<&str>) -> Scan<'a> {
    let mut s = Scan::default();
    for (i, n) in dom.nodes.iter().enumerate() {
        let small = (n.end as usize).saturating_sub(i) <= 40;
        match n.tag {
            Tag::Meta => {
                let key = n
                    .attr("property")
                    .or_else(|| n.attr("name"))
                    .or_else(|| n.attr("itemprop"))
                    .or_else(|| n.attr("http-equiv"));
                if let (Some(k), Some(c)) = (key, n.attr("content"))
                    && !c.trim().is_empty()
                    && k.len() <= 64
                {
                    s.metas.push((k.to_ascii_lowercase(), c.trim()));
                }
                continue;
            }
            Tag::Link => {
                let rel = n.attr("rel").unwrap_or("");
                if s.canonical.is_none()
                    && rel
                        .split_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("canonical"))
                {
                    s.canonical = n.attr("href");
                }
                continue;
            }
            Tag::Html if s.html_lang.is_none() => s.html_lang = n.attr("lang"),
            Tag::Title if s.title_tag.is_none() && small => {
                s.title_tag = Some(dom.subtree_text(i as u32, false))
            }
            Tag::H(1) if s.h1s.len() < MAX_H1 && small => {
                s.h1s.push(dom.subtree_text(i as u32, false))
            }
            Tag::Time => {
                if let Some(dt) = n.attr("datetime").filter(|d| !d.trim().is_empty()) {
                    s.time_any.get_or_insert(dt);
                    let marked = n
                        .attr("itemprop")
                        .is_some_and(|p| p.eq_ignore_ascii_case("datePublished"))
                        || n.attr("class").is_some_and(|c| {
                            let c = c.to_ascii_lowercase();
                            c.contains("publish") || c.contains("entry-date")
                        }) && !n.attr("class").is_some_and(|c| {
                            let c = c.to_ascii_lowercase();
                            c.contains("updated") || c.contains("modified")
                        });
                    if marked {
                        s.time_published.get_or_insert(dt);
                    }
                }
            }
            Tag::Text => {
                if !s.h1s.is_empty() && s.credit.is_none() && s.texts_after_h1 < NEAR_HEADLINE {
                    s.texts_after_h1 += 1;
                    s.credit = credit_line(dom, n);
                }
                if s.written_by.is_none() && !s.h1s.is_empty() {
                    s.written_by = written_by(dom, n);
                }
                if s.sample.len() < SAMPLE_BYTES
                    && dom.node(n.parent).is_some_and(|p| p.tag == Tag::P)
                {
                    super::dom::push_collapsed(&mut s.sample, prefix(dom.text_of(n), SAMPLE_BYTES));
                    s.sample.push(' ');
                }
            }
            _ => {}
        }
        let want_link = if s.h1s.is_empty() {
            s.author_link_before_h1.is_none()
        } else {
            s.author_link.is_none()
        };
        if n.tag == Tag::A
            && small
            && want_link
            && let Some(href) = n.attr("href")
            && let Some(name) = author_link(dom, i as u32, href, site)
        {
            if s.h1s.is_empty() {
                s.author_link_before_h1 = Some(name);
            } else {
                s.author_link = Some(name);
            }
        }
        if s.byline.is_none() && small && n.tag != Tag::Text && is_byline(n) {
            let text = match n.attr("content") {
                Some(c) => c.to_string(),
                None => byline_text(dom, i as u32),
            };
            if text.chars().count() <= 160 {
                s.byline = Some(text).filter(|t| !t.trim().is_empty());
            }
        }
    }
    s
}

/// "Penulis:", "Oleh", "By" opening a short line: the line (or, when the name is in the
/// next element, the line's parent) is a credit.
static CREDIT_LABEL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)^[^0-9A-Za-z]*(?:penulis|reporter|pewarta|wartawan|oleh|by)\b\s*:?\s*").ok()
});

fn credit_line(dom: &Dom, n: &super::dom::Node) -> Option<String> {
    let text = dom.text_of(n).trim();
    if text.len() > 120 {
        return None;
    }
    let label = CREDIT_LABEL.as_ref()?.find(text)?;
    label_and_name(dom, n, text, label.end())
}

/// A label's line when the name follows it there ("Oleh: Dwi Puspita"), else its small
/// parent's text, when the name is in the next element ("<b>Oleh:</b> <a>Dwi</a>").
fn label_and_name(dom: &Dom, n: &super::dom::Node, text: &str, label_end: usize) -> Option<String> {
    if label_end < text.len() {
        return Some(text.to_string());
    }
    let parent = dom.node(n.parent)?;
    let small = (parent.end as usize).saturating_sub(n.parent as usize) <= 12;
    small.then(|| dom.subtree_text(n.parent, false))
}

/// "Written by Jane Doe" (or "Written by" with the name in the next element): only this
/// label, which says whose the article is, unlike a bare "By" far from the headline.
fn written_by(dom: &Dom, n: &super::dom::Node) -> Option<String> {
    const LABEL: &str = "written by";
    let text = dom.text_of(n).trim();
    if text.len() > 80 || !text.get(..LABEL.len())?.eq_ignore_ascii_case(LABEL) {
        return None;
    }
    let rest = text[LABEL.len()..].trim_start_matches(|c: char| c == ':' || c.is_whitespace());
    label_and_name(dom, n, text, text.len() - rest.len())
}

/// Path segments of the pages sites keep for each writer.
const AUTHOR_PATHS: &[&str] = &[
    "/@",
    "/author/",
    "/authors/",
    "/contributor/",
    "/contributors/",
    "/penulis/",
    "/people/",
    "/profile/",
    "/profiles/",
    "/reporter/",
    "/staff/",
    "/team/",
    "/writer/",
    "/writers/",
];

/// The ones of [`AUTHOR_PATHS`] that hold writers only.
const WRITER_PATHS: &[&str] = &[
    "/author/",
    "/authors/",
    "/contributor/",
    "/contributors/",
    "/penulis/",
    "/reporter/",
    "/writer/",
    "/writers/",
];

/// The text of a link to a writer's page when the address spells the same name
/// ("<a href="/author/maima-faith-merin">Maima Faith Merin</a>"); "View all posts" or a
/// menu entry "Authors" does not.
fn author_link(dom: &Dom, i: u32, href: &str, site: Option<&str>) -> Option<String> {
    // Every link of the page passes here: the paths are looked for without allocating,
    // at each '/', before anything else is done.
    let (path, at) = href.match_indices('/').find_map(|(at, _)| {
        let rest = href.as_bytes().get(at..)?;
        // The letters the paths start with, to skip most folders at one byte.
        if !matches!(
            rest.get(1)?.to_ascii_lowercase(),
            b'@' | b'a' | b'c' | b'p' | b'r' | b's' | b't' | b'w'
        ) {
            return None;
        }
        AUTHOR_PATHS.iter().find_map(|p| {
            rest.get(..p.len())
                .is_some_and(|r| r.eq_ignore_ascii_case(p.as_bytes()))
                .then_some((*p, at))
        })
    })?;
    let href = href.to_ascii_lowercase();
    // Profiles on other sites (a YouTube channel, "/@name" on a social network) name
    // someone else; a newsletter's own platform shares the page's domain.
    if let Some(host) = href
        .strip_prefix("https://")
        .or_else(|| href.strip_prefix("http://"))
        .or_else(|| href.strip_prefix("//"))
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        && !site.is_some_and(|s| host == s || host.ends_with(&format!(".{s}")))
    {
        return None;
    }
    let slug = href.get(at + path.len()..).unwrap_or("");
    let slug = slug.split(['?', '#']).next().unwrap_or("");
    let text = dom.subtree_text(i, false);
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .collect();
    let spelled = words
        .iter()
        .filter(|w| w.len() >= 2 && slug.contains(w.as_str()))
        .count();
    // A section of a site's staff ("/people/faculty/") is named in one word; a person
    // under a path that only writers' pages use can be ("/author/yucy").
    let least = if WRITER_PATHS.contains(&path) { 1 } else { 2 };
    let names_only = text
        .split([',', '&'])
        .flat_map(|p| p.split(" and ").flat_map(|p| p.split(" dan ")))
        .all(|p| p.trim().is_empty() || name_like(p));
    ((least..=8).contains(&words.len()) && spelled * 2 >= words.len() && names_only).then_some(text)
}

/// A byline element's text with " | " where a block or a link starts or ends, so the
/// name stays apart from the role, date or bio laid out beside it ("Rachel MacDonald" /
/// "Writer", "By <a>Jane Doe</a> ⋅ Review Editor"), as the page shows them.
fn byline_text(dom: &Dom, i: u32) -> String {
    let mut out = String::new();
    let Some(root) = dom.node(i) else {
        return out;
    };
    let mut link_end = 0;
    for j in i + 1..root.end {
        let Some(n) = dom.node(j) else { break };
        if link_end != 0 && j >= link_end {
            out.push_str(" | ");
            link_end = 0;
        }
        if n.tag == Tag::Text {
            super::dom::push_collapsed(&mut out, dom.text_of(n));
        } else if n.tag.is_block() || n.tag == Tag::A {
            out.push_str(" | ");
            if n.tag == Tag::A {
                link_end = n.end;
            }
        }
    }
    collapse(&out)
}

/// Marked as the author by microdata, `rel`, or a class or id such as `author` or `penulis`.
fn is_byline(n: &super::dom::Node) -> bool {
    let attr_is = |name: &str, value: &str| {
        n.attr(name)
            .is_some_and(|v| v.split_whitespace().any(|w| w.eq_ignore_ascii_case(value)))
    };
    if attr_is("itemprop", "author") || attr_is("rel", "author") {
        return true;
    }
    ["class", "id"].iter().any(|a| {
        n.attr(a).is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            BYLINE_HINTS.iter().any(|h| v.contains(h))
                // "author-avatar", "author-bio" and the like hold no name, or too much.
                && !["avatar", "bio", "box", "comment", "desc", "form", "img", "photo", "pic"]
                    .iter()
                    .any(|x| v.contains(x))
        })
    })
}

/// What the page says its site is called, to tell the site's name from a headline or an
/// author.
#[derive(Default)]
struct Site {
    /// Normalised (see [`norm`]) names from og:site_name, JSON-LD publisher and the like.
    names: Vec<String>,
    /// Normalised host labels that can name the site ("kaltimpost", "detik").
    host_labels: Vec<String>,
}

impl Site {
    /// Whether `part` (a piece of a title, or an author) is the site's name. Only short
    /// pieces can be: a headline that starts with the site's name is still a headline.
    fn matches(&self, part: &str) -> bool {
        let part = part.trim();
        if part.split_whitespace().count() > 5 {
            return false;
        }
        if looks_like_domain(part) {
            return true;
        }
        let p = norm(part);
        if p.len() < 3 {
            return false;
        }
        let close = |a: &str, b: &str| {
            a == b
                || (b.len() >= 5 && a.starts_with(b) && a.len() <= b.len() + 8)
                || (a.len() >= 5 && b.starts_with(a) && b.len() <= a.len() + 8)
        };
        self.names.iter().any(|n| close(&p, n))
            || self.host_labels.iter().any(|l| {
                p == *l || (l.len() >= 4 && p.starts_with(l.as_str()) && p.len() <= l.len() + 8)
            })
    }
}

/// Lower-case letters and digits only: "Tribunkaltim.co" → "tribunkaltimco".
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn host_labels(url: &Url) -> Vec<String> {
    let Some(host) = url.host_str() else {
        return Vec::new();
    };
    let labels: Vec<&str> = host.split('.').collect();
    let last = labels.len().saturating_sub(1);
    labels
        .iter()
        .enumerate()
        .filter(|(i, l)| *i != last && GENERIC_HOST_LABELS.binary_search(l).is_err())
        .map(|(_, l)| norm(l))
        .filter(|l| l.len() >= 3)
        .collect()
}

/// "Tribunkaltim.co", "Kompas.com": one token that is a host name.
fn looks_like_domain(s: &str) -> bool {
    let Some((name, tld)) = s.rsplit_once('.') else {
        return false;
    };
    s.len() <= 40
        && !name.is_empty()
        && (2..=4).contains(&tld.len())
        && tld.bytes().all(|b| b.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The headline without the site's name before or after it ("Headline - Tribunkaltim.co",
/// "Kaltim Post | Headline"). A piece is cut only when it is the site's name, so a
/// headline with a dash of its own keeps it.
fn strip_site(title: &str, site: &Site) -> String {
    let mut t = collapse(title);
    // A title rarely carries more than a section and the site name.
    for _ in 0..3 {
        let before = t.len();
        for sep in TITLE_SEPARATORS {
            if let Some((head, tail)) = t.rsplit_once(sep)
                && site.matches(tail)
                && !head.trim().is_empty()
            {
                t = head.trim().to_string();
                break;
            }
            if let Some((head, tail)) = t.split_once(sep)
                && site.matches(head)
                && !tail.trim().is_empty()
            {
                t = tail.trim().to_string();
                break;
            }
        }
        if t.len() == before {
            break;
        }
    }
    t
}

fn pick_title<'a>(
    ld: &Ld,
    scan: &Scan<'a>,
    meta: &impl Fn(&str) -> Option<&'a str>,
    site: &Site,
) -> Option<String> {
    let candidates: Vec<String> = ld
        .headline
        .iter()
        .map(|h| decode_entities(h))
        .chain(meta("og:title").map(str::to_string))
        .chain(meta("twitter:title").map(str::to_string))
        .chain(scan.h1s.iter().cloned())
        .chain(scan.title_tag.clone())
        .map(|t| strip_site(&t, site))
        // The site's name alone (a logo in an `<h1>`, a template's default og:title) is
        // no headline.
        .filter(|t| !t.is_empty() && !site.matches(t) && t.chars().count() <= 400)
        .collect();
    let first = candidates.first()?;
    // JSON-LD headlines are often cut at 110 characters with an ellipsis; a fuller
    // version elsewhere on the page is the real one.
    if let Some(stem) = first
        .strip_suffix('…')
        .or_else(|| first.strip_suffix("..."))
        .map(str::trim_end)
        .filter(|s| s.len() >= 20)
        && let Some(full) = candidates
            .iter()
            .find(|c| c.len() > stem.len() + 1 && c.starts_with(stem))
    {
        return Some(full.clone());
    }
    Some(first.clone())
}

static EMAIL: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+").ok());

/// A credit label before the name ("Penulis:", "Oleh", "By"), from the bylines of
/// Indonesian and English news sites.
static AUTHOR_LABEL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^[^0-9A-Za-z]*(?:laporan\s+wartawan\s+[^,]{1,40},|(?:(?:written|posted|text|words|story|published)\s+by|post\s+author|authors|ditulis\s+oleh|dilaporkan\s+oleh|penulis|reporter|pewarta|wartawan|kontributor|author|oleh|by|von|door|par|por)\b)\s*[:\-–]?\s*",
    )
    .ok()
});

/// Another credit after the author's ("| Editor: …", ", Foto: …", "Edited by …"): cut
/// from there.
static OTHER_CREDIT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)[\s|/,;–-]*\b(?:(?:editor|penyunting|redaktur|editing|fotografer|foto|sumber|source)\s*:|(?:edited|reviewed|fact[- ]checked|illustrated|photographed)\s+by\b).*$",
    )
    .ok()
});

/// A date after the name in a byline ("Associated Press November 19, 2019, 9:02 AM"):
/// names have no digits, so the byline ends at the first date or number.
static DATE_IN_BYLINE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)\b(?:(?:{MONTH_WORDS})\.?\s+)?[0-9]")).ok());

/// One author's name from a byline, or None when what is there is no person's name (a
/// URL, an e-mail address alone, the site's own name).
fn clean_author(raw: &str, site: &Site) -> Option<String> {
    let mut s = collapse(&decode_entities(raw));
    // Each pattern is compiled on first use, which costs more than most pages' whole
    // extraction in a one-page `warta extract`: only bylines that could match pay for it.
    if s.contains('@')
        && let Some(re) = EMAIL.as_ref()
    {
        s = re.replace_all(&s, "").into_owned();
    }
    s = s.replace("()", "").replace("[]", "").replace("<>", "");
    if (s.contains(':') || s.contains(" by "))
        && let Some(re) = OTHER_CREDIT.as_ref()
    {
        s = re.replace(&s, "").into_owned();
    }
    // "Posted on 16 February 2016 by Budi": the name is after the "by".
    if let Some(at) = name_after_by(&s) {
        s = s.split_off(at);
    }
    s = strip_labels(&s).to_string();
    if s.bytes().any(|b| b.is_ascii_digit())
        && let Some(m) = DATE_IN_BYLINE.as_ref().and_then(|re| re.find(&s))
    {
        s.truncate(m.start());
    }
    // "Andi Saputra - detikNews", "Tribunkaltim.co | Budi", "Jane Doe | Writer": the first
    // piece that is not the site, with the names a comma or "and" joins to it ("Andi | , |
    // Budi" from a byline of two links).
    let mut pieces: Vec<&str> = vec![s.as_str()];
    for sep in TITLE_SEPARATORS.iter().chain(&[" ⋅ "]) {
        pieces = pieces.iter().flat_map(|p| p.split(sep)).collect();
    }
    let mut names: Vec<String> = Vec::new();
    let mut joined = false;
    for piece in pieces {
        let raw = piece.trim();
        let mut p = strip_labels(raw.trim_matches(|c: char| c.is_whitespace() || TRIM.contains(c)));
        // "Guide by", "Reviewed and written by": a label the name's link follows.
        if p.is_empty() || p.eq_ignore_ascii_case("by") || p.to_lowercase().ends_with(" by") {
            joined |= !names.is_empty() && raw.contains([',', '&', ';']);
            continue;
        }
        // Lower case only: "Dan" is a name, "dan" is Indonesian for "and".
        if let Some((first, rest)) = p.split_once(' ')
            && !names.is_empty()
            && CONNECTORS.contains(&first)
        {
            joined = true;
            p = rest;
        } else if CONNECTORS.contains(&p) {
            joined |= !names.is_empty();
            continue;
        }
        let p = p.trim_matches(|c: char| c.is_whitespace() || TRIM.contains(c));
        if site.matches(p) {
            if names.is_empty() {
                continue;
            }
            break;
        }
        // A second name only after a comma or "and", and only if it reads as a name.
        let second = !names.is_empty();
        if second && !(joined && name_like(p)) {
            break;
        }
        match plausible_name(p, site) {
            Some(n) => names.push(n),
            None if names.is_empty() => return None,
            None => break,
        }
        joined = false;
    }
    (!names.is_empty()).then(|| names.join(", "))
}

/// Punctuation around a name in a byline.
const TRIM: &str = ",;:|-–—·⋅()";

/// Whether every word is capitalised or a particle of a name ("Erik van Vulpen", "Dr
/// Dieter Veldsman"): what a second name joined by a comma looks like, unlike a headline
/// that a comma happens to follow.
fn name_like(s: &str) -> bool {
    let words: Vec<&str> = s.split_whitespace().collect();
    (1..=5).contains(&words.len())
        && words.iter().all(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                || [
                    "bin", "binti", "da", "de", "der", "di", "la", "le", "van", "von",
                ]
                .contains(w)
        })
}

/// Words between two names in a byline ("Andi Saputra dan Budi", "A, B and C").
const CONNECTORS: &[&str] = &["&", "and", "dan", "et", "und", "y"];

/// The first words of the labels [`AUTHOR_LABEL`] takes off.
const LABEL_WORDS: &[&str] = &[
    "author",
    "authors",
    "by",
    "dilaporkan",
    "ditulis",
    "door",
    "kontributor",
    "laporan",
    "oleh",
    "par",
    "penulis",
    "pewarta",
    "por",
    "post",
    "posted",
    "published",
    "reporter",
    "story",
    "text",
    "von",
    "wartawan",
    "words",
    "written",
];

/// Credit labels before the name, however many ("Author Posted by", a screen reader's
/// label before the visible one).
fn strip_labels(s: &str) -> &str {
    let Some(re) = AUTHOR_LABEL.as_ref() else {
        return s;
    };
    let mut s = s;
    for _ in 0..3 {
        // The regex is slow beside this test of the first word, which most names fail.
        let first = s
            .trim_start_matches(|c: char| !c.is_alphanumeric())
            .split(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or("")
            .to_lowercase();
        if !LABEL_WORDS.contains(&first.as_str()) {
            break;
        }
        match re.find(s) {
            Some(m) if m.end() > 0 => s = &s[m.end()..],
            _ => break,
        }
    }
    s
}

/// A person's (or a desk's) name, or None: no URL, e-mail address, template field or
/// label left alone, not the site's own name, at most eight words. Lower-case words after
/// the name are what a date or category left behind ("Stephen Bay in", "Aleš Vávra před"),
/// as are "Updated" and "Published" before a date that was cut off.
fn plausible_name(raw: &str, site: &Site) -> Option<String> {
    let mut words: Vec<&str> = raw.split_whitespace().collect();
    let mut after_updated = false;
    while let [.., last] = words[..]
        && words.len() > 1
    {
        let lower = last.chars().all(|c| !c.is_uppercase());
        let dangling = matches!(
            last.to_lowercase().as_str(),
            "updated" | "published" | "posted" | "diperbarui" | "diterbitkan"
        );
        // "Last Updated": "Last" goes only with the word after it.
        let last_updated = after_updated && last.eq_ignore_ascii_case("last");
        // A lower-case word goes only from after a name: "Contributors to Wikimedia
        // projects" is a phrase, not a name and a leftover.
        let after_name = name_like(&words[..words.len() - 1].join(" "));
        if !(lower && after_name || dangling || last_updated) {
            break;
        }
        after_updated = last.eq_ignore_ascii_case("updated");
        words.pop();
    }
    let name = words.join(" ");
    let count = words.len();
    let plausible = (1..=8).contains(&count)
        && name.chars().count() <= 80
        && name.chars().any(char::is_alphabetic)
        && !name.contains("://")
        && !name.contains('/')
        && !name.contains('@')
        && !name.to_ascii_lowercase().starts_with("www.")
        && !is_template_field(&name)
        && !NOT_NAMES.contains(&name.to_lowercase().as_str())
        && !site.matches(&name);
    plausible.then_some(name)
}

/// What is left of a byline that holds a date and no name ("Posted on 16 Feb 2016"), and
/// roles a template puts where no name was filled in ("Staff Writer", "admin").
const NOT_NAMES: &[&str] = &[
    "admin",
    "administrator",
    "by",
    "contributor",
    "diperbarui",
    "dipublikasikan",
    "diterbitkan",
    "oleh",
    "on",
    "posted",
    "posted on",
    "published",
    "published on",
    "staff",
    "staff writer",
    "updated",
    "updated on",
];

/// Where the name starts in a byline that opens with a date or a "posted" label before
/// "by"/"oleh" ("Posted on 16 February 2016 by Budi Santoso", "20/11/2024 oleh Andi").
fn name_after_by(s: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    let (at, word) = [" by ", " oleh "]
        .iter()
        .filter_map(|w| lower.find(w).map(|i| (i, *w)))
        .min_by_key(|(i, _)| *i)?;
    let before = lower.get(..at)?;
    let dated_or_labelled = before.bytes().any(|b| b.is_ascii_digit())
        || [
            "posted",
            "published",
            "diposting",
            "dipublikasikan",
            "diterbitkan",
            "updated",
        ]
        .iter()
        .any(|p| before.trim_start().starts_with(p));
    dated_or_labelled.then_some(at + word.len())
}

/// A template's field left unfilled in the page (`page.head.extra.author`,
/// `{{ author.name }}`, `%AUTHOR%`): one dotted or bracketed identifier, no name.
pub(crate) fn is_template_field(s: &str) -> bool {
    let s = s.trim();
    if s.contains("{{") || s.contains("}}") || (s.starts_with('%') && s.ends_with('%')) {
        return true;
    }
    !s.contains(' ')
        && s.split('.').count() >= 3
        && s.split('.').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

fn pick_author<'a>(
    ld: &Ld,
    scan: &Scan<'a>,
    meta: &impl Fn(&str) -> Option<&'a str>,
    site: &Site,
) -> Option<String> {
    // A Person named like the site is the person whose site it is (a newsletter, a
    // blog under the author's name), not a publisher filling in the field.
    let no_site = Site::default();
    let mut names: Vec<String> = Vec::new();
    for (a, person) in &ld.authors {
        if let Some(n) = clean_author(a, if *person { &no_site } else { site })
            && !names.contains(&n)
        {
            names.push(n);
        }
    }
    if !names.is_empty() {
        return Some(names.join(", "));
    }
    // Every value of the first key that has one: `citation_author` and `author` are
    // repeated once per author. A later key naming the same people and more has the
    // co-authors the first left out (`DC.Creator` with the first of six names,
    // `citation_authors` with all six), as a journal's pages write them.
    let mut best: Vec<String> = Vec::new();
    for key in AUTHOR_KEYS {
        let mut names: Vec<String> = Vec::new();
        for (_, v) in scan.metas.iter().filter(|(k, _)| k == key) {
            if let Some(n) = clean_author(v, site)
                && !names.contains(&n)
            {
                names.push(n);
            }
        }
        if best.is_empty() || (names.len() > best.len() && best.iter().all(|b| names.contains(b))) {
            best = names;
        }
    }
    if !best.is_empty() {
        return Some(best.join(", "));
    }
    // Yoast writes the author as a Twitter card's labelled field: "Written by" / "Name".
    (1..=4)
        .find_map(|n| {
            let label = meta(&format!("twitter:label{n}"))?.to_lowercase();
            ["written by", "author", "penulis", "ditulis oleh"]
                .contains(&label.trim())
                .then(|| meta(&format!("twitter:data{n}")))
                .flatten()
                .and_then(|a| clean_author(a, site))
        })
        .or_else(|| scan.byline.as_deref().and_then(|b| clean_author(b, site)))
        .or_else(|| scan.credit.as_deref().and_then(|b| clean_author(b, site)))
        .or_else(|| {
            scan.author_link
                .as_deref()
                .or(scan.author_link_before_h1.as_deref())
                .and_then(|b| clean_author(b, site))
        })
        .or_else(|| {
            scan.written_by
                .as_deref()
                .and_then(|b| clean_author(b, site))
        })
}

/// A date found in the visible text, and whether the text named its zone.
#[derive(Clone, Copy)]
struct Visible {
    at: DateTime<FixedOffset>,
    zoned: bool,
    timed: bool,
    /// "2 jam lalu": an instant counted back from now, not a wall-clock time.
    relative: bool,
}

/// How the page writes its dates and times.
#[derive(Clone, Copy)]
struct Locale {
    /// An Indonesian page: zone-less times in its metadata are WIB.
    indonesian: bool,
    home: Home,
    /// An American page: "3/4/2025" is March 4.
    month_first: bool,
}

/// Where a page's wall-clock times are, when it does not say.
#[derive(Clone, Copy)]
enum Home {
    /// The site's country or the page's language has one time zone (an Indonesian page is
    /// WIB unless its dateline says WITA or WIT).
    Zone(chrono_tz::Tz),
    /// A language that is not Indonesian and names no one zone: a day-first date is no
    /// sign of Indonesia here, so the time is left as written, in UTC.
    Elsewhere,
    /// Nothing known.
    Unknown,
}

/// The page's home zone from its host's country domain, else its language.
fn home_zone(language: Option<&str>, host: Option<&str>) -> Home {
    use chrono_tz::{Asia, Europe, Pacific};
    let tld = host.and_then(|h| h.rsplit('.').next()).unwrap_or("");
    let by_tld = match tld {
        "id" => Some(Asia::Jakarta),
        "my" => Some(Asia::Kuala_Lumpur),
        "sg" => Some(Asia::Singapore),
        "ph" => Some(Asia::Manila),
        "th" => Some(Asia::Bangkok),
        "vn" => Some(Asia::Ho_Chi_Minh),
        "jp" => Some(Asia::Tokyo),
        "kr" => Some(Asia::Seoul),
        "in" => Some(Asia::Kolkata),
        "uk" => Some(Europe::London),
        "ie" => Some(Europe::Dublin),
        "de" => Some(Europe::Berlin),
        "at" => Some(Europe::Vienna),
        "ch" => Some(Europe::Zurich),
        "fr" => Some(Europe::Paris),
        "be" => Some(Europe::Brussels),
        "nl" => Some(Europe::Amsterdam),
        "it" => Some(Europe::Rome),
        "es" => Some(Europe::Madrid),
        "pl" => Some(Europe::Warsaw),
        "cz" => Some(Europe::Prague),
        "se" => Some(Europe::Stockholm),
        "no" => Some(Europe::Oslo),
        "dk" => Some(Europe::Copenhagen),
        "fi" => Some(Europe::Helsinki),
        "nz" => Some(Pacific::Auckland),
        _ => None,
    };
    let by_language = || match language? {
        "id" => Some(Asia::Jakarta),
        "ms" => Some(Asia::Kuala_Lumpur),
        "th" => Some(Asia::Bangkok),
        "vi" => Some(Asia::Ho_Chi_Minh),
        "ja" => Some(Asia::Tokyo),
        "ko" => Some(Asia::Seoul),
        "de" => Some(Europe::Berlin),
        "fr" => Some(Europe::Paris),
        "it" => Some(Europe::Rome),
        "nl" => Some(Europe::Amsterdam),
        "pl" => Some(Europe::Warsaw),
        "cs" => Some(Europe::Prague),
        "sv" => Some(Europe::Stockholm),
        "da" => Some(Europe::Copenhagen),
        "fi" => Some(Europe::Helsinki),
        _ => None,
    };
    match by_tld.or_else(by_language) {
        Some(tz) => Home::Zone(tz),
        None if language.is_some() => Home::Elsewhere,
        None => Home::Unknown,
    }
}

/// A visible time the page wrote without a zone, read in the page's home zone.
fn at_home(v: Visible, home: Home) -> Visible {
    use chrono::TimeZone;
    if v.zoned {
        return v;
    }
    let at = match home {
        Home::Unknown => return v,
        Home::Zone(tz) if v.relative => v.at.with_timezone(&tz).fixed_offset(),
        Home::Elsewhere if v.relative => v.at.with_timezone(&Utc).fixed_offset(),
        Home::Zone(tz) => match tz.from_local_datetime(&v.at.naive_local()).earliest() {
            Some(t) => t.fixed_offset(),
            None => return v,
        },
        Home::Elsewhere => match Utc.from_local_datetime(&v.at.naive_local()).earliest() {
            Some(t) => t.fixed_offset(),
            None => return v,
        },
    };
    Visible { at, ..v }
}

fn pick_published<'a>(
    dom: &Dom,
    ld: &Ld,
    scan: &Scan<'a>,
    meta: &impl Fn(&str) -> Option<&'a str>,
    Locale {
        indonesian,
        home,
        month_first,
    }: Locale,
    now: DateTime<Utc>,
) -> Option<DateTime<FixedOffset>> {
    let visible: OnceCell<Option<Visible>> = OnceCell::new();
    let visible =
        || *visible.get_or_init(|| visible_date(dom, now, month_first).map(|v| at_home(v, home)));
    // A time the metadata writes without a zone is in the zone the page shows its
    // dateline in, else the site's country's.
    let page_zone = || {
        visible()
            .filter(|v| v.zoned)
            .map(|v| *v.at.offset())
            .or_else(|| {
                indonesian
                    .then(|| FixedOffset::east_opt(7 * 3600))
                    .flatten()
            })
    };
    let declared = ld
        .published
        .iter()
        .map(String::as_str)
        .chain(DATE_KEYS.iter().filter_map(|k| meta(k)))
        .chain(scan.time_published)
        .chain(scan.time_any)
        .find_map(|raw| crate::dates::parse_date_with(raw, now, page_zone).map(|d| (raw, d)));
    let Some((raw, at)) = declared else {
        return visible().map(|v| v.at);
    };
    // Two faults the dateline on the page corrects: a date without its time, and local
    // time labelled as UTC (the same wall-clock time as a zoned dateline, offset zero).
    if let Some(v) = visible().filter(|v| v.timed) {
        let date_only = !raw.contains(':');
        let same_day = v.at.date_naive() == at.date_naive();
        let utc_mislabel =
            v.zoned && at.offset().local_minus_utc() == 0 && v.at.naive_local() == at.naive_local();
        if (date_only && same_day) || utc_mislabel {
            return Some(v.at);
        }
    }
    Some(at)
}

/// An absolute http(s) URL naming this article. A link to the site's front page is a
/// template fault, not the article's address.
fn article_url(href: &str, base: Option<&Url>) -> Option<String> {
    let abs = absolute(&decode_entities(href), base)?;
    let url = Url::parse(&abs).ok()?;
    let front_page = url.path().trim_matches('/').is_empty() && url.query().is_none();
    (matches!(url.scheme(), "http" | "https") && !front_page).then_some(abs)
}

/// Character references left in JSON-LD strings and some attribute values (JSON is not
/// HTML, so the parser does not decode them): numeric ones and the named ones news
/// templates use.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or(""));
        let after = rest.get(amp + 1..).unwrap_or("");
        let semi = after.get(..after.len().min(10)).and_then(|h| h.find(';'));
        let decoded = semi.and_then(|e| {
            let name = after.get(..e)?;
            let c = if let Some(num) = name.strip_prefix('#') {
                let n = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => num.parse().ok()?,
                };
                char::from_u32(n)?
            } else {
                named_entity(name)?
            };
            Some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(if c == '\u{a0}' { ' ' } else { c });
                rest = after.get(e + 1..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Named references seen in news metadata (sorted; from the HTML named character
/// references table).
const NAMED_ENTITIES: &[(&str, char)] = &[
    ("amp", '&'),
    ("apos", '\''),
    ("gt", '>'),
    ("hellip", '…'),
    ("laquo", '«'),
    ("ldquo", '“'),
    ("lsquo", '‘'),
    ("lt", '<'),
    ("mdash", '—'),
    ("nbsp", '\u{a0}'),
    ("ndash", '–'),
    ("quot", '"'),
    ("raquo", '»'),
    ("rdquo", '”'),
    ("rsquo", '’'),
];

fn named_entity(name: &str) -> Option<char> {
    NAMED_ENTITIES
        .binary_search_by(|(k, _)| (*k).cmp(name))
        .ok()
        .and_then(|i| NAMED_ENTITIES.get(i))
        .map(|(_, c)| *c)
}

/// ISO 639-1 code from a language tag ("id-ID", "en_US", "in").
pub(crate) fn normalize_lang(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    // Deprecated codes still seen in the wild, and three-letter codes of common languages.
    let code = match primary.as_str() {
        "in" | "ind" => "id",
        "iw" => "he",
        "ji" => "yi",
        "jv" | "jw" => "jv",
        other => other,
    };
    (code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase())).then(|| code.to_string())
}

/// whatlang's ISO 639-3 codes mapped to ISO 639-1 (sorted by the 639-3 code; from the
/// ISO 639-2 registry's table).
const LANG_639_3: &[(&str, &str)] = &[
    ("afr", "af"),
    ("aka", "ak"),
    ("amh", "am"),
    ("ara", "ar"),
    ("aze", "az"),
    ("bel", "be"),
    ("ben", "bn"),
    ("bul", "bg"),
    ("cat", "ca"),
    ("ces", "cs"),
    ("cmn", "zh"),
    ("cym", "cy"),
    ("dan", "da"),
    ("deu", "de"),
    ("ell", "el"),
    ("eng", "en"),
    ("epo", "eo"),
    ("est", "et"),
    ("fin", "fi"),
    ("fra", "fr"),
    ("guj", "gu"),
    ("heb", "he"),
    ("hin", "hi"),
    ("hrv", "hr"),
    ("hun", "hu"),
    ("hye", "hy"),
    ("ind", "id"),
    ("ita", "it"),
    ("jav", "jv"),
    ("jpn", "ja"),
    ("kan", "kn"),
    ("kat", "ka"),
    ("khm", "km"),
    ("kor", "ko"),
    ("lat", "la"),
    ("lav", "lv"),
    ("lit", "lt"),
    ("mal", "ml"),
    ("mar", "mr"),
    ("mkd", "mk"),
    ("mya", "my"),
    ("nep", "ne"),
    ("nld", "nl"),
    ("nob", "nb"),
    ("ori", "or"),
    ("pan", "pa"),
    ("pes", "fa"),
    ("pol", "pl"),
    ("por", "pt"),
    ("ron", "ro"),
    ("rus", "ru"),
    ("sin", "si"),
    ("slk", "sk"),
    ("slv", "sl"),
    ("sna", "sn"),
    ("spa", "es"),
    ("srp", "sr"),
    ("swe", "sv"),
    ("tam", "ta"),
    ("tel", "te"),
    ("tgl", "tl"),
    ("tha", "th"),
    ("tuk", "tk"),
    ("tur", "tr"),
    ("ukr", "uk"),
    ("urd", "ur"),
    ("uzb", "uz"),
    ("vie", "vi"),
    ("yid", "yi"),
    ("zul", "zu"),
];

/// Characters of a text that whatlang reads. Its cost grows with the text (on top of a
/// fixed cost per call): 4,000 bytes took ~300 µs a page, 1,500 characters ~190 µs. On
/// the 1,239 benchmark pages (`extract_dump`, generic and site-rule extraction) 1,500
/// characters detect the same language on every page as 4,000 bytes did; 1,000 changed
/// one page and 2,000 bytes two (CJK text is three bytes a character, hence characters).
const LANGUAGE_SAMPLE_CHARS: usize = 1500;

/// Whether `s` has at least `n` alphabetic characters, reading no further than needed.
fn alphabetic_at_least(s: &str, n: usize) -> bool {
    s.chars().filter(|c| c.is_alphabetic()).take(n).count() >= n
}

/// The first `max` characters of `s`.
fn prefix_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((end, _)) => s.get(..end).unwrap_or(s),
        None => s,
    }
}

/// Language of `text` by whatlang, when it is sure enough.
pub(crate) fn detect_language(text: &str) -> Option<String> {
    let sample = prefix_chars(text, LANGUAGE_SAMPLE_CHARS);
    if !alphabetic_at_least(sample, 40) {
        return None;
    }
    let info = whatlang::detect(sample)?;
    if !info.is_reliable() {
        return None;
    }
    let code = info.lang().code();
    LANG_639_3
        .binary_search_by(|(k, _)| k.cmp(&code))
        .ok()
        .and_then(|i| LANG_639_3.get(i))
        .map(|(_, v)| v.to_string())
}

/// The language of the page's paragraphs, when there is enough of them to overrule what
/// the page declares.
fn detect_sample(sample: &str) -> Option<String> {
    if !alphabetic_at_least(sample, 400) {
        return None;
    }
    detect_language(sample)
}

fn read_json_ld(scripts: &[String]) -> Ld {
    let mut ld = Ld::default();
    for script in scripts {
        if script.len() > MAX_JSON_LD_BYTES {
            continue;
        }
        // Raw newlines and tabs inside strings are a common fault; outside strings they are
        // whitespace either way.
        let fixed: String = script
            .trim()
            .trim_start_matches("<!--")
            .trim_end_matches("-->")
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        // serde_json refuses nesting deeper than 128, so hostile depth ends here.
        let Ok(value) = serde_json::from_str::<Value>(&fixed) else {
            continue;
        };
        // Depth-first in document order over arrays, @graph and mainEntity, bounded.
        let mut stack = vec![&value];
        let mut seen = 0;
        while let Some(v) = stack.pop() {
            seen += 1;
            if seen > 500 {
                break;
            }
            match v {
                Value::Array(items) => stack.extend(items.iter().rev()),
                Value::Object(obj) => {
                    for key in ["mainEntity", "@graph"] {
                        if let Some(g) = obj.get(key) {
                            stack.push(g);
                        }
                    }
                    if type_in(obj.get("@type"), ARTICLE_TYPES) {
                        fill(&mut ld, obj);
                    } else if type_in(obj.get("@type"), SITE_TYPES)
                        && let Some(name) = string_of(obj.get("name"))
                    {
                        ld.site_names.push(name);
                    }
                }
                _ => {}
            }
        }
    }
    ld
}

fn type_in(t: Option<&Value>, types: &[&str]) -> bool {
    match t {
        Some(Value::String(s)) => types.binary_search(&s.as_str()).is_ok(),
        Some(Value::Array(a)) => a.iter().take(16).any(|v| type_in(Some(v), types)),
        _ => false,
    }
}

fn string_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(collapse(&decode_entities(s))).filter(|s| !s.is_empty()),
        Value::Array(a) => a.iter().take(16).find_map(|x| match x {
            Value::String(_) => string_of(Some(x)),
            _ => None,
        }),
        _ => None,
    }
}

fn fill(ld: &mut Ld, obj: &serde_json::Map<String, Value>) {
    if ld.headline.is_none() {
        ld.headline = string_of(obj.get("headline")).or_else(|| string_of(obj.get("name")));
    }
    if ld.authors.is_empty() {
        ld.authors = names_of(obj.get("author"));
    }
    if let Some(Value::Object(p)) = obj.get("publisher")
        && let Some(name) = string_of(p.get("name"))
    {
        ld.site_names.push(name);
    }
    if ld.published.is_none() {
        ld.published =
            string_of(obj.get("datePublished")).or_else(|| string_of(obj.get("dateCreated")));
    }
    if ld.language.is_none() {
        ld.language = string_of(obj.get("inLanguage"));
    }
    if ld.url.is_none() {
        ld.url = string_of(obj.get("url")).or_else(|| match obj.get("mainEntityOfPage") {
            Some(Value::Object(o)) => string_of(o.get("@id")),
            other => string_of(other),
        });
    }
    if ld.body.is_none()
        && let Some(Value::String(b)) = obj.get("articleBody")
    {
        ld.body = Some(b.clone()).filter(|b| !b.trim().is_empty());
    }
}

/// Names in an `author` value: a string, a Person or Organization, or an array of them,
/// each with whether it is typed a Person. Organizations are kept here; the site's own
/// name is dropped when cleaning.
fn names_of(v: Option<&Value>) -> Vec<(String, bool)> {
    let one = |x: &Value| match x {
        Value::String(s) => Some((s.clone(), false)),
        Value::Object(o) => {
            string_of(o.get("name")).map(|n| (n, type_in(o.get("@type"), &["Person"])))
        }
        _ => None,
    };
    match v {
        Some(Value::Array(a)) => a.iter().take(32).filter_map(one).collect(),
        Some(x) => one(x).into_iter().collect(),
        None => Vec::new(),
    }
}

/// Month names as datelines write them (Indonesian and English, full and short).
const MONTH_WORDS: &str = "januari|februari|maret|april|mei|juni|juli|agustus|september|oktober|nopember|november|desember|january|february|march|may|june|july|august|october|december|jan|feb|mar|apr|jun|jul|ags|agt|agu|aug|sept|sep|okt|oct|nop|nov|des|dec";

/// Time and zone after a date: "| 10:15 WITA", ", pukul 10.15:30 WIB", " - 10:15".
const TIME_TAIL: &str = r"(?:[^0-9A-Za-z]{0,5}(?:pukul\s+|jam\s+)?([0-9]{1,2})[:.]([0-9]{2})(?:[:.][0-9]{2})?(?:\s*(WIB|WITA|WIT)\b)?)?";

static DATELINE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b([0-9]{{1,2}})\s+({MONTH_WORDS})\.?,?\s+([0-9]{{4}}){TIME_TAIL}"
    ))
    .ok()
});

static NUMERIC_DATE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b([0-9]{{1,2}})[/.-]([0-9]{{1,2}})[/.-]([0-9]{{4}}){TIME_TAIL}"
    ))
    .ok()
});

/// "February 16, 2016", "Nov. 20 2024 10:15" (English sites): month first.
static MONTH_FIRST: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b({MONTH_WORDS})\.?\s+([0-9]{{1,2}})(?:st|nd|rd|th)?,?\s+([0-9]{{4}}){TIME_TAIL}"
    ))
    .ok()
});

/// The order a visible date writes day, month and year in.
#[derive(Clone, Copy)]
enum Form {
    DayMonth,
    Numeric,
    MonthDay,
}

/// "2 jam lalu", "5 menit yang lalu", "3 hours ago".
static RELATIVE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:[0-9]{1,3}|se|satu)\s*(?:detik|menit|jam|hari|minggu|pekan)\s+(?:yang\s+)?lalu\b|\b(?:[0-9]{1,3}|an?|one)\s+(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?)\s+ago\b",
    )
    .ok()
});

/// Text nodes looked at after the first `<h1>`, where the article's own dateline sits.
const NEAR_HEADLINE: usize = 60;
/// Text nodes looked at before the first `<h1>`: a section name and a dateline above it.
const ABOVE_HEADLINE: usize = 4;
/// Longest text node taken for a dateline ("Posted on February 16, 2016 by Jane Doe").
const DATELINE_BYTES: usize = 80;
/// Text nodes looked at over the whole page when none is near the headline.
const WHOLE_PAGE: usize = 2000;

/// A visible dateline ("Rabu, 20 November 2024 | 10:15 WITA", "2 jam lalu"). Looks after
/// the first `<h1>` first, then anywhere; relative times only near the headline, since
/// elsewhere they belong to lists of other articles.
fn visible_date(dom: &Dom, now: DateTime<Utc>, month_first: bool) -> Option<Visible> {
    let h1 = dom.nodes.iter().position(|n| n.tag == Tag::H(1));
    // A dateline may stand just above the headline, beside the section's name.
    let above_h1 = h1.map(|h| {
        let mut start = h;
        let mut seen = 0;
        for j in (h.saturating_sub(200)..h).rev() {
            let n = &dom.nodes[j];
            if n.tag == Tag::Text && !dom.text_of(n).chars().all(char::is_whitespace) {
                seen += 1;
                start = j;
                if seen == ABOVE_HEADLINE {
                    break;
                }
            }
        }
        start
    });
    let texts =
        |from: usize| {
            dom.nodes.iter().enumerate().skip(from).filter(|(_, n)| {
                n.tag == Tag::Text && !dom.text_of(n).chars().all(char::is_whitespace)
            })
        };
    // Text nodes whose length in bytes is in `len`: a dateline is a short line of its own,
    // a date in a sentence is not.
    let scan = |from: usize, limit: usize, relative: bool, len: Range<usize>| {
        let mut found: Option<Visible> = None;
        let mut nodes = texts(from).take(limit);
        while let Some((_, n)) = nodes.next() {
            let t = dom.text_of(n);
            if !len.contains(&t.trim().len()) {
                continue;
            }
            let Some(v) = date_in(t, now, relative, month_first) else {
                continue;
            };
            if v.timed {
                return Some(v);
            }
            // "<span>Rabu, 20 November 2024</span> <span>10:15 WITA</span>": the time may
            // follow in the next few text nodes.
            let mut joined = t.to_string();
            for (_, next) in nodes.clone().take(3) {
                joined.push(' ');
                joined.push_str(prefix(dom.text_of(next), 100));
            }
            found = date_in(&joined, now, relative, month_first)
                .filter(|j| j.timed)
                .or(Some(v));
            break;
        }
        found
    };
    // A dateline of its own below the headline, else one just above it (not further: a
    // top bar shows today's date), else a date in any short text below it.
    let short = 0..DATELINE_BYTES + 1;
    h1.and_then(|h| scan(h, NEAR_HEADLINE, true, short.clone()))
        .or_else(|| above_h1.and_then(|a| scan(a, ABOVE_HEADLINE, true, short)))
        .or_else(|| h1.and_then(|h| scan(h, NEAR_HEADLINE, true, DATELINE_BYTES + 1..201)))
        .or_else(|| scan(0, WHOLE_PAGE, false, 0..201))
}

fn date_in(text: &str, now: DateTime<Utc>, relative: bool, month_first: bool) -> Option<Visible> {
    // Most text nodes hold no date; these byte checks spare them the regexes, which cost
    // a tenth of the whole extraction when run on every text node of a page.
    let relative =
        relative && (contains_ascii_nocase(text, "lalu") || contains_ascii_nocase(text, "ago"));
    if !relative && !may_hold_year(text) {
        return None;
    }
    // The patterns' `\s` is ASCII: "20&nbsp;November" must read as "20 November".
    let spaced;
    let text = if text.chars().any(|c| c.is_whitespace() && !c.is_ascii()) {
        spaced = text.replace(|c: char| c.is_whitespace(), " ");
        spaced.as_str()
    } else {
        text
    };
    if relative
        && let Some(m) = RELATIVE.as_ref().and_then(|re| re.find(text))
        && let Some(at) = crate::dates::parse_date(m.as_str(), now)
    {
        return Some(Visible {
            at,
            zoned: false,
            timed: true,
            relative: true,
        });
    }
    for (re, form) in [
        (&DATELINE, Form::DayMonth),
        (&NUMERIC_DATE, Form::Numeric),
        (&MONTH_FIRST, Form::MonthDay),
    ] {
        let Some(re) = re.as_ref() else { continue };
        let Some(c) = re.captures(text) else { continue };
        let part = |k: usize| c.get(k).map_or("", |m| m.as_str());
        let mut s = match form {
            // Day first unless the page is American; `parse_date` itself reads "3/25/2024"
            // month first, since 25 is no month.
            Form::Numeric if month_first => format!("{}/{}/{}", part(2), part(1), part(3)),
            Form::Numeric => format!("{}/{}/{}", part(1), part(2), part(3)),
            Form::DayMonth => format!("{} {} {}", part(1), part(2), part(3)),
            Form::MonthDay => format!("{} {} {}", part(2), part(1), part(3)),
        };
        let timed = !part(4).is_empty();
        if timed {
            s.push_str(&format!(" {:0>2}:{}", part(4), part(5)));
            if !part(6).is_empty() {
                s.push(' ');
                s.push_str(&part(6).to_ascii_uppercase());
            }
        }
        if let Some(at) = crate::dates::parse_date(&s, now) {
            return Some(Visible {
                at,
                zoned: !part(6).is_empty(),
                timed,
                relative: false,
            });
        }
    }
    None
}

/// Whether `text` has four ASCII digits in a row, which both date patterns need for the
/// year.
fn may_hold_year(text: &str) -> bool {
    let mut run = 0;
    for b in text.bytes() {
        if b.is_ascii_digit() {
            run += 1;
            if run == 4 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// Whether `text` contains `word` (lower-case ASCII) in any case. The relative-time pattern
/// ends in "lalu" or "ago", letters whose case-insensitive matches are ASCII only.
fn contains_ascii_nocase(text: &str, word: &str) -> bool {
    text.as_bytes()
        .windows(word.len())
        .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn prefix(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::path::Path;
    use std::time::{Duration, Instant};

    #[test]
    fn language_sample_counts_characters_not_bytes() {
        assert_eq!(prefix_chars("中文新闻", 2), "中文");
        assert_eq!(prefix_chars("abc", 5), "abc");
        assert!(alphabetic_at_least("a1 b2 c3", 3));
        assert!(!alphabetic_at_least("a1 b2 c3", 4));
        // Past the sample's end the text no longer counts.
        let long = format!("{} Sie", "Berita banjir di Sangatta hari ini. ".repeat(60));
        assert_eq!(
            prefix_chars(&long, LANGUAGE_SAMPLE_CHARS).chars().count(),
            LANGUAGE_SAMPLE_CHARS
        );
        assert_eq!(detect_language(&long).as_deref(), Some("id"));
    }

    /// Thursday 2024-11-21 10:00 WIB: the fetch time of every fixture.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 11, 21, 3, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn site(names: &[&str], url: &str) -> Site {
        Site {
            names: names.iter().map(|n| norm(n)).collect(),
            host_labels: Url::parse(url).map(|u| host_labels(&u)).unwrap_or_default(),
        }
    }

    #[test]
    fn tables_are_sorted() {
        assert!(ARTICLE_TYPES.windows(2).all(|w| w[0] < w[1]));
        assert!(SITE_TYPES.windows(2).all(|w| w[0] < w[1]));
        assert!(GENERIC_HOST_LABELS.windows(2).all(|w| w[0] < w[1]));
        assert!(NAMED_ENTITIES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(LANG_639_3.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn language_tags() {
        assert_eq!(normalize_lang("id-ID").as_deref(), Some("id"));
        assert_eq!(normalize_lang("in").as_deref(), Some("id"));
        assert_eq!(normalize_lang("en_US").as_deref(), Some("en"));
        assert_eq!(normalize_lang("x"), None);
    }

    #[test]
    fn site_name_is_stripped_from_titles_but_headlines_keep_their_dashes() {
        let tribun = site(
            &["Tribunkaltim.co"],
            "https://kaltim.tribunnews.com/2024/11/20/x",
        );
        let kp = site(&[], "https://kaltimpost.jawapos.com/berita/x");
        let detik = site(&[], "https://news.detik.com/berita/d-1/x");
        let none = site(&[], "https://example.org/");
        #[rustfmt::skip]
        let cases: &[(&Site, &str, &str)] = &[
            (&tribun, "Banjir Rendam Samarinda - Tribunkaltim.co", "Banjir Rendam Samarinda"),
            (&tribun, "Banjir Rendam Samarinda - Tribun Kaltim", "Banjir Rendam Samarinda"),
            (&kp, "Banjir Rendam Tiga Desa di Kutai | Kaltim Post", "Banjir Rendam Tiga Desa di Kutai"),
            (&kp, "Kaltim Post | Banjir Rendam Tiga Desa", "Banjir Rendam Tiga Desa"),
            (&detik, "Detik-detik Evakuasi Warga - detikNews", "Detik-detik Evakuasi Warga"),
            (&detik, "Detik-detik Evakuasi Warga", "Detik-detik Evakuasi Warga"),
            (&none, "Gempa Guncang Maluku - BMKG Minta Warga Tenang", "Gempa Guncang Maluku - BMKG Minta Warga Tenang"),
            (&none, "Jokowi: Kami Siap - Prabowo", "Jokowi: Kami Siap - Prabowo"),
            (&none, "Harga Cabai Naik | Okezone.com", "Harga Cabai Naik"),
            (&none, "Home - Site", "Home - Site"),
        ];
        for (s, title, want) in cases {
            assert_eq!(strip_site(title, s), *want, "{title:?}");
        }
    }

    #[test]
    fn author_credits_are_cleaned() {
        let s = site(
            &["Tribunkaltim.co", "Kompas.com"],
            "https://news.detik.com/x",
        );
        #[rustfmt::skip]
        let cases: &[(&str, Option<&str>)] = &[
            ("Penulis: Budi Santoso | Editor: Rita Noor", Some("Budi Santoso")),
            ("Reporter: Siti Aminah", Some("Siti Aminah")),
            ("Oleh: Andi Wijaya", Some("Andi Wijaya")),
            ("Oleh Andi Wijaya", Some("Andi Wijaya")),
            ("By Jane Doe", Some("Jane Doe")),
            ("Andi Saputra - detikNews", Some("Andi Saputra")),
            ("Budi Santoso (budi.santoso@kompas.com)", Some("Budi Santoso")),
            ("redaksi@tribunkaltim.co", None),
            ("Tribunkaltim.co", None),
            ("Kompas.com", None),
            ("https://www.facebook.com/budi", None),
            ("Laporan Wartawan Tribunkaltim.co, Rahmat Taufiq", Some("Rahmat Taufiq")),
            ("Byron Smith", Some("Byron Smith")),
            ("Associated Press November 19, 2019, 9:02 AM", Some("Associated Press")),
            ("20 Nov 2019 08:00 GMT", None),
            ("Post author: Budi Santoso", Some("Budi Santoso")),
            ("Ditulis oleh Siti Aminah", Some("Siti Aminah")),
            ("von Hans Müller", Some("Hans Müller")),
            ("Par Alexandre Hervaud", Some("Alexandre Hervaud")),
            ("por César Salza", Some("César Salza")),
            ("Posted on February 16, 2016 by Jane Doe", Some("Jane Doe")),
            ("20/11/2024 oleh Andi Wijaya", Some("Andi Wijaya")),
            ("Posted on", None),
            ("Parker Lewis", Some("Parker Lewis")),
            // Bylines as `byline_text` lays them out, " | " where a block or link starts.
            ("By | Jane Doe | ⋅ Review Editor ⋅ Updated", Some("Jane Doe")),
            ("| Rachel MacDonald | Writer", Some("Rachel MacDonald")),
            ("Author Posted by | Budi Santoso |", Some("Budi Santoso")),
            ("Text by | Hunter Dukes |", Some("Hunter Dukes")),
            ("Guide by | Will Judd | Former Deputy Tech Editor", Some("Will Judd")),
            ("| Andi Saputra | , | Budi Santoso | dan | Rita Noor |", Some("Andi Saputra, Budi Santoso, Rita Noor")),
            ("| Katie Couric | , | New Yorkers post their feelings about Trump |", Some("Katie Couric")),
            ("| Dan Goodin | - Apr 16, 2015 8:02 pm UTC", Some("Dan Goodin")),
            ("Cazzy Magennis | Last Updated", Some("Cazzy Magennis")),
            ("Stephen Bay in", Some("Stephen Bay")),
            ("Aleš Vávra před 3 dny", Some("Aleš Vávra")),
            ("Eric Hergenreder Updated", Some("Eric Hergenreder")),
            ("Rob Ewaschuk Edited by Betsy Beyer", Some("Rob Ewaschuk")),
            ("Authors: Julie Weisenhorn and Natalie Hoidal", Some("Julie Weisenhorn and Natalie Hoidal")),
            ("Staff Writer", None),
            ("| Tribunkaltim.co | Rahmat Taufiq", Some("Rahmat Taufiq")),
        ];
        for (raw, want) in cases {
            assert_eq!(clean_author(raw, &s).as_deref(), *want, "{raw:?}");
        }
    }

    #[test]
    fn entities_in_json_ld_strings_are_decoded() {
        assert_eq!(
            decode_entities("Pemkot &quot;Siap&quot; &amp; DPRD &#8211; Rp 5&#x25; &bogus; &"),
            "Pemkot \"Siap\" & DPRD – Rp 5% &bogus; &"
        );
    }

    #[test]
    fn visible_datelines() {
        #[rustfmt::skip]
        let cases: &[(&str, &str)] = &[
            ("Rabu, 20 November 2024 | 10:15 WITA", "2024-11-20T10:15:00+08:00"),
            ("20/11/2024, 10:15 WIB", "2024-11-20T10:15:00+07:00"),
            ("Kamis, 21 Nov 2024 07:05 WIT", "2024-11-21T07:05:00+09:00"),
            ("Kompas.com - 20/11/2024, 10:15:30 WIB", "2024-11-20T10:15:00+07:00"),
            ("2 jam lalu", "2024-11-21T08:00:00+07:00"),
            ("Diperbarui 5 menit yang lalu", "2024-11-21T09:55:00+07:00"),
            ("Posted on February 16, 2016", "2016-02-16T00:00:00+00:00"),
            ("Updated Nov. 20 2024 10:15", "2024-11-20T10:15:00+00:00"),
            // No-break spaces, as `&nbsp;` in the markup gives them.
            ("Rabu, 20\u{a0}November\u{a0}2024 |\u{a0}10:15\u{a0}WITA", "2024-11-20T10:15:00+08:00"),
        ];
        for (text, want) in cases {
            let got = date_in(text, now(), true, false).map(|v| v.at.to_rfc3339());
            assert_eq!(got.as_deref(), Some(*want), "{text:?}");
        }
        // Numeric dates are day first, unless the page is American or the second number
        // cannot be a month.
        let numeric = |text: &str, us: bool| {
            date_in(text, now(), false, us).map(|v| v.at.date_naive().to_string())
        };
        assert_eq!(numeric("3/4/2024", true).as_deref(), Some("2024-03-04"));
        assert_eq!(numeric("3/4/2024", false).as_deref(), Some("2024-04-03"));
        assert_eq!(numeric("3/25/2024", false).as_deref(), Some("2024-03-25"));
        assert_eq!(numeric("25/3/2024", true).as_deref(), Some("2024-03-25"));
        assert!(date_in("Baca juga: 2 jam lalu", now(), false, false).is_none());
        assert!(date_in("Diperbarui 3 JAM LALU", now(), true, false).is_some());
        assert!(may_hold_year("Rabu, 20 November 2024"));
        assert!(!may_hold_year("20/11/24 10:15") && !may_hold_year("Baca juga"));
    }

    /// Golden files: `tests/fixtures/extract/meta/NAME.html` with `NAME.expected.json`
    /// holding the page's `url` (input) and the expected `title`, `author`, `published`
    /// (RFC 3339), `language` and `canonical_url` (null when the page has none).
    #[test]
    fn golden_pages() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/extract/meta");
        let mut pages: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "html"))
                    .collect()
            })
            .unwrap_or_default();
        pages.sort();
        assert!(
            pages.len() >= 12,
            "only {} golden pages in {dir:?}",
            pages.len()
        );
        let mut diffs = Vec::new();
        for page in &pages {
            let name = page.file_stem().and_then(|s| s.to_str()).unwrap_or("?");
            let html = std::fs::read_to_string(page).unwrap_or_default();
            let json =
                std::fs::read_to_string(page.with_extension("expected.json")).unwrap_or_default();
            let Ok(want) = serde_json::from_str::<Value>(&json) else {
                diffs.push(format!("{name}: missing or bad {name}.expected.json"));
                continue;
            };
            let url = want["url"].as_str().and_then(|u| Url::parse(u).ok());
            let got = crate::extract::extract(&html, url.as_ref(), None, now());
            let published = got.published.map(|d| d.to_rfc3339());
            let fields = [
                ("title", got.title.as_deref()),
                ("author", got.author.as_deref()),
                ("published", published.as_deref()),
                ("language", got.language.as_deref()),
                ("canonical_url", got.canonical_url.as_deref()),
            ];
            for (field, got) in fields {
                let want = want[field].as_str();
                if want != got {
                    diffs.push(format!(
                        "{name}: {field}\n    expected {want:?}\n    got      {got:?}"
                    ));
                }
            }
        }
        assert!(
            diffs.is_empty(),
            "{} field(s) differ over {} golden pages:\n{}",
            diffs.len(),
            pages.len(),
            diffs.join("\n")
        );
    }

    // Hostile input: no panic, and time that grows with the size of the page only. The
    // bounds are loose enough for an unoptimised build on a busy machine.

    fn timed(what: &str, html: &str) -> crate::extract::Extracted {
        let start = Instant::now();
        let got = crate::extract::extract(html, None, None, now());
        let took = start.elapsed();
        assert!(took < Duration::from_secs(20), "{what} took {took:?}");
        got
    }

    const PARA: &str = "SAMARINDA - Banjir kembali merendam tiga kelurahan di Kota Samarinda pada Rabu pagi setelah hujan deras mengguyur sejak malam hari.";

    #[test]
    fn empty_and_whitespace_pages() {
        for html in [
            "",
            " ",
            "\n\t",
            "<",
            "<!--",
            "<html",
            "<meta content=",
            "&#",
        ] {
            let got = timed("tiny", html);
            assert_eq!(got.title, None, "{html:?}");
            assert_eq!(got.published, None, "{html:?}");
        }
    }

    #[test]
    fn binary_data_and_broken_encodings() {
        // Pseudo-random bytes, UTF-16 text and Latin-1 text read as UTF-8.
        let mut x: u32 = 12345;
        let noise: Vec<u8> = (0..200_000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (x >> 16) as u8
            })
            .collect();
        let utf16: Vec<u8> = format!("<html><body><p>{PARA}</p></body></html>")
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let latin1: Vec<u8> = b"<html><head><title>Caf\xe9 \xbb Berita</title></head><body><p>\xe9t\xe9 \xff\xfe</p></body></html>".to_vec();
        for (what, bytes) in [("noise", noise), ("utf-16", utf16), ("latin-1", latin1)] {
            let _ = timed(what, &String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn ten_thousand_deep_nesting_around_metadata() {
        let depth = 10_000;
        let mut html =
            String::from("<html><head><title>Judul Berita Panjang | Situs</title></head><body>");
        for tag in ["div", "span", "b", "h1", "time", "a"] {
            for _ in 0..depth / 6 {
                html.push_str(&format!("<{tag} class=\"author\">"));
            }
        }
        html.push_str("Rabu, 20 November 2024 | 10:15 WITA");
        html.push_str(&format!("<p>{PARA}</p>"));
        let got = timed("deep", &html);
        assert!(got.title.is_some());
        assert!(got.published.is_some());
    }

    #[test]
    fn huge_attribute_values() {
        let big = "Banjir ".repeat(300_000); // 2.1 MB in each of eight attributes
        let html = format!(
            "<html lang=\"{big}\"><head><meta property=\"og:title\" content=\"{big}\">\
             <meta name=\"author\" content=\"{big}\"><meta name=\"pubdate\" content=\"{big}\">\
             <link rel=\"canonical\" href=\"{big}\"></head>\
             <body><div class=\"{big}\" id=\"{big}\"><h1>Judul Asli Berita Ini</h1><p>{PARA}</p></div></body></html>"
        );
        let got = timed("huge attributes", &html);
        assert_eq!(got.title.as_deref(), Some("Judul Asli Berita Ini"));
        assert_eq!(got.author, None);
        assert_eq!(got.canonical_url, None);
    }

    #[test]
    fn giant_and_deeply_nested_json_ld() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        let deep_obj = "{\"a\":".repeat(10_000) + "1" + &"}".repeat(10_000);
        let many: String = (0..200_000)
            .map(|i| format!("{{\"@type\":\"NewsArticle\",\"headline\":\"H{i}\"}}"))
            .collect::<Vec<_>>()
            .join(",");
        let giant = format!("[{many}]"); // ~9 MB, over the size cap
        let wide = format!(
            "{{\"@type\":\"NewsArticle\",\"headline\":\"Judul dari JSON-LD\",\"articleBody\":\"{}\",\"author\":[{}]}}",
            "kata ".repeat(300_000),
            vec!["{\"name\":\"Budi\"}"; 10_000].join(",")
        );
        for (what, ld) in [
            ("deep array", deep),
            ("deep object", deep_obj),
            ("giant", giant),
            ("wide", wide),
        ] {
            let html = format!(
                "<html><head><script type=\"application/ld+json\">{ld}</script></head>\
                 <body><h1>Judul Halaman</h1><p>{PARA}</p></body></html>"
            );
            let got = timed(what, &html);
            let want = if what == "wide" {
                "Judul dari JSON-LD"
            } else {
                "Judul Halaman"
            };
            assert_eq!(got.title.as_deref(), Some(want), "{what}");
        }
    }

    /// 50 MB of realistic markup. Ignored by default because an unoptimised build takes
    /// long; run with `cargo test --release -- --ignored fifty_megabyte`.
    #[test]
    #[ignore]
    fn fifty_megabyte_page() {
        let block = format!(
            "<div class=\"row\"><div class=\"col\"><a href=\"/berita/{{}}\">Berita lain</a><p>{PARA}</p>\
             <span>Rabu, 20 November 2024 | 10:15 WITA</span></div></div>\n"
        );
        let mut html = String::from(
            "<html lang=\"id\"><head><title>Halaman Besar | Situs</title></head><body><h1>Halaman Besar Sekali</h1>",
        );
        while html.len() < 50_000_000 {
            html.push_str(&block);
        }
        html.push_str("</body></html>");
        let start = Instant::now();
        let got = crate::extract::extract(&html, None, None, now());
        let took = start.elapsed();
        println!("50 MB page: {took:?}");
        assert_eq!(got.title.as_deref(), Some("Halaman Besar Sekali"));
        assert!(took < Duration::from_secs(30), "took {took:?}");
    }
}
