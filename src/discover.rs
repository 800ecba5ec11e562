//! Finding a site's feed from one of its pages. Pure: a fetched body in, what it is and
//! where to look next out; the caller does the fetching (through `fetch`, politely).
//!
//! The order of looking is the one that costs a site least: the body itself may be the
//! feed; else the page names its feeds with `<link rel="alternate">` (resolved against
//! `<base href>` or the page's own address); else the addresses where WordPress and the
//! common Indonesian news portals put theirs.

use chrono::{DateTime, Utc};
use scraper::Selector;
use url::Url;

use crate::feed::{FeedError, ParsedFeed, parse_feed};

/// What a fetched body turned out to be.
#[derive(Debug)]
pub enum Sniffed {
    Feed(Box<ParsedFeed>),
    /// A web page, with the feeds it names (first named first).
    Page {
        alternates: Vec<Url>,
    },
    /// Neither; says what instead ("an empty body", "a feed that cannot be parsed (…)").
    Neither(String),
}

/// Where sites put their feed when their pages do not say. Root-relative: a section page's
/// own feed is named by its `<link>`, and the site-wide feed is a good answer otherwise.
pub const COMMON_PATHS: [&str; 8] = [
    "/feed",
    "/feed/",
    "/rss",
    "/rss.xml",
    "/atom.xml",
    "/feed.xml",
    "/index.xml",
    "/?feed=rss2",
];

/// Media types of `<link rel="alternate">` that name a feed warta can read.
const FEED_TYPES: [&str; 4] = [
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/rdf+xml",
];

/// Sniffs `body` (fetched from `url`, after redirects): a feed the project's parser reads,
/// an HTML page, or neither.
pub fn sniff(
    body: &[u8],
    media_type: Option<&str>,
    http_charset: Option<&str>,
    url: &Url,
    now: DateTime<Utc>,
) -> Sniffed {
    let error = match parse_feed(body, http_charset, url, now) {
        Ok(feed) => return Sniffed::Feed(Box::new(feed)),
        Err(e) => e,
    };
    let html_type = media_type.is_some_and(|m| m == "text/html" || m == "application/xhtml+xml");
    match error {
        FeedError::NotAFeed { found, .. } => {
            let text = crate::fetch::decode_html(body, http_charset);
            if html_type || looks_like_html(&text) {
                Sniffed::Page {
                    alternates: alternate_links(&text, url),
                }
            } else {
                Sniffed::Neither(found)
            }
        }
        FeedError::Empty => Sniffed::Neither("an empty body".into()),
        FeedError::Malformed(reason) => {
            Sniffed::Neither(format!("a feed that cannot be parsed ({reason})"))
        }
    }
}

fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .chars()
        .take(2048)
        .collect::<String>()
        .to_ascii_lowercase();
    head.contains("<html") || head.contains("<!doctype html")
}

/// The feeds a page names, in document order, resolved and without repeats.
pub fn alternate_links(html: &str, page_url: &Url) -> Vec<Url> {
    let doc = crate::extract::parse_html(html);
    let base = Selector::parse("base[href]")
        .ok()
        .and_then(|s| {
            doc.select(&s)
                .next()
                .and_then(|b| page_url.join(b.value().attr("href")?.trim()).ok())
        })
        .filter(|b| matches!(b.scheme(), "http" | "https"))
        .unwrap_or_else(|| page_url.clone());
    let Ok(links) = Selector::parse("link[href]") else {
        return Vec::new();
    };
    let mut out: Vec<Url> = Vec::new();
    for link in doc.select(&links) {
        let el = link.value();
        let alternate = el.attr("rel").is_some_and(|rel| {
            rel.split_ascii_whitespace()
                .any(|r| r.eq_ignore_ascii_case("alternate"))
        });
        let feed_type = el.attr("type").is_some_and(|t| {
            let t = t.split(';').next().unwrap_or_default().trim();
            FEED_TYPES.iter().any(|f| f.eq_ignore_ascii_case(t))
        });
        if !(alternate && feed_type) {
            continue;
        }
        let Some(url) = el.attr("href").and_then(|h| base.join(h.trim()).ok()) else {
            continue;
        };
        if matches!(url.scheme(), "http" | "https") && !out.contains(&url) {
            out.push(url);
        }
    }
    out
}

/// [`COMMON_PATHS`] on the page's site, the page itself left out.
pub fn common_paths(page_url: &Url) -> Vec<Url> {
    let own = crate::config::url_key(page_url);
    let mut out: Vec<Url> = Vec::new();
    for path in COMMON_PATHS {
        if let Ok(url) = page_url.join(path)
            && crate::config::url_key(&url) != own
            && !out.contains(&url)
        {
            out.push(url);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn now() -> DateTime<Utc> {
        Utc::now()
    }

    const RSS: &str = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Berita Kaltim</title>\
        <link>https://x.org/</link><item><title>a</title><link>https://x.org/a</link></item></channel></rss>";

    #[test]
    fn alternate_links_in_order_resolved_against_base() {
        let html = r#"<!doctype html><html><head>
            <base href="https://cdn.x.org/site/">
            <link rel="stylesheet" href="/style.css">
            <link rel="alternate" type="application/rss+xml" title="Feed" href="feed.xml">
            <link rel="Alternate" type="application/atom+xml; charset=utf-8" href="/atom">
            <link rel="alternate" type="application/feed+json" href="https://x.org/feed.json">
            <link rel="alternate" type="text/html" hreflang="en" href="/en/">
            <link rel="alternate" type="application/rss+xml" href="feed.xml">
            <link rel="alternate" type="application/rss+xml" href="javascript:void(0)">
            </head><body></body></html>"#;
        let links = alternate_links(html, &url("https://x.org/berita/1"));
        assert_eq!(
            links,
            [
                url("https://cdn.x.org/site/feed.xml"),
                url("https://cdn.x.org/atom"),
                url("https://x.org/feed.json"),
            ]
        );
    }

    #[test]
    fn without_base_links_resolve_against_the_page() {
        let html = r#"<html><head><link rel="alternate" type="application/rss+xml" href="rss/terkini.xml"></head></html>"#;
        assert_eq!(
            alternate_links(html, &url("https://x.org/kaltim/")),
            [url("https://x.org/kaltim/rss/terkini.xml")]
        );
    }

    #[test]
    fn common_paths_are_on_the_site_root_and_skip_the_page_itself() {
        let paths = common_paths(&url("https://x.org/feed?utm=1"));
        assert_eq!(paths.len(), COMMON_PATHS.len());
        assert_eq!(paths[0], url("https://x.org/feed"));
        assert_eq!(paths[7], url("https://x.org/?feed=rss2"));
        let paths = common_paths(&url("https://x.org/rss.xml"));
        assert!(!paths.contains(&url("https://x.org/rss.xml")));
        assert_eq!(paths.len(), COMMON_PATHS.len() - 1);
    }

    #[test]
    fn sniff_tells_feed_page_and_neither_apart() {
        let u = url("https://x.org/");
        match sniff(RSS.as_bytes(), Some("application/rss+xml"), None, &u, now()) {
            Sniffed::Feed(f) => assert_eq!(f.title.as_deref(), Some("Berita Kaltim")),
            other => panic!("{other:?}"),
        }
        let page = r#"<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" href="/rss"></head><body>hi</body></html>"#;
        match sniff(page.as_bytes(), Some("text/html"), None, &u, now()) {
            Sniffed::Page { alternates } => assert_eq!(alternates, [url("https://x.org/rss")]),
            other => panic!("{other:?}"),
        }
        match sniff(b"", None, None, &u, now()) {
            Sniffed::Neither(what) => assert!(what.contains("empty"), "{what}"),
            other => panic!("{other:?}"),
        }
        match sniff(b"%PDF-1.4 binary", Some("application/pdf"), None, &u, now()) {
            Sniffed::Neither(what) => assert!(what.contains("neither XML nor JSON"), "{what}"),
            other => panic!("{other:?}"),
        }
    }
}
