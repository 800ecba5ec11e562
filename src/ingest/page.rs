//! A fetched page ─► the content to archive, or the reason it cannot stand for the article.

use chrono::{DateTime, Utc};
use url::Url;

use crate::config::FeedConfig;
use crate::dedup;
use crate::extract::{self, SiteRules};
use crate::feed::FeedItem;
use crate::fetch::{self, Response};
use crate::store::{Content, Source};

pub enum PageResult {
    Extracted {
        content: Box<Content>,
        /// URL keys the page adds (final URL after redirects, its same-site canonical).
        keys: Vec<String>,
    },
    Unusable {
        reason: String,
        /// Worth another try on a later poll.
        retry: bool,
    },
}

/// Bodies shorter than this many words are not trusted to identify an article across
/// URLs: short feed teasers ("Baca selengkapnya di …") repeat across unrelated items.
const MIN_FINGERPRINT_WORDS: usize = 25;

pub fn is_html_media(media: Option<&str>) -> bool {
    match media {
        None => true,
        Some(m) => {
            matches!(
                m,
                "text/html"
                    | "application/xhtml+xml"
                    | "text/plain"
                    | "application/xml"
                    | "text/xml"
            ) || m.ends_with("+xml") && m.contains("html")
        }
    }
}

pub fn extract_page(
    resp: Response,
    link: &Url,
    rules: Option<&SiteRules>,
    keep_raw: bool,
    now: DateTime<Utc>,
) -> PageResult {
    if !is_html_media(resp.media_type.as_deref()) {
        return PageResult::Unusable {
            reason: format!(
                "{link} is not an HTML page ({})",
                resp.media_type.as_deref().unwrap_or("unknown type")
            ),
            retry: false,
        };
    }
    if looks_binary(&resp.body) {
        return PageResult::Unusable {
            reason: format!("{link} is not an HTML page (binary content)"),
            retry: false,
        };
    }
    let html = fetch::decode_html(&resp.body, resp.charset.as_deref());
    let found =
        match crate::isolate::isolated(|| extract::extract(&html, Some(&resp.url), rules, now)) {
            Ok(found) => found,
            Err(panic) => {
                return PageResult::Unusable {
                    reason: format!("the extractor failed on {}: {panic}", resp.url),
                    retry: false,
                };
            }
        };
    if found.body_text.trim().is_empty() {
        return PageResult::Unusable {
            reason: format!("no article body found on {}", resp.url),
            // A consent wall or a half-deployed page may give way on a later try.
            retry: true,
        };
    }
    let canonical = found
        .canonical_url
        .as_deref()
        .and_then(|c| Url::parse(c).ok())
        .filter(|c| matches!(c.scheme(), "http" | "https") && dedup::same_site(c, &resp.url));
    let shown = dedup::clean_url(canonical.as_ref().unwrap_or(&resp.url));
    let mut keys = vec![dedup::url_key(&resp.url)];
    if let Some(c) = &canonical {
        keys.push(dedup::url_key(c));
    }
    let raw_html = keep_raw.then(|| {
        zstd::encode_all(html.as_bytes(), 9)
            .ok()
            .map(|z| (resp.url.to_string(), z))
    });
    let content = Content {
        url: shown.to_string(),
        title: found.title.unwrap_or_default(),
        author: found.author,
        published: found.published,
        language: found.language,
        fingerprint: body_fingerprint(&found.body_text, &shown),
        signature: dedup::minhash::signature(&found.body_text),
        body: found.body_text,
        body_html: Some(found.body_html).filter(|h| !h.is_empty()),
        source: Source::Page,
        note: resp
            .truncated
            .then(|| "page cut off at fetch.max_body".to_string()),
        page_pending: false,
        raw_html: raw_html.flatten(),
        extractor_version: Some(extract::EXTRACTOR_VERSION),
    };
    PageResult::Extracted {
        content: Box::new(content),
        keys,
    }
}

/// Completes what the page gave with what the feed said. The feed's headline wins: pages
/// append the site's name to their `<title>`, feeds rarely do. A body shorter than the
/// feed's own text means the extractor missed the article, so the feed text is kept.
pub fn merge_feed_metadata(mut c: Content, item: &FeedItem, feed: &FeedConfig) -> Content {
    if let Some(t) = item.title.as_deref().filter(|t| !t.trim().is_empty()) {
        c.title = t.trim().to_string();
    }
    if c.author.is_none() {
        c.author = item.author.clone();
    }
    if let Some(p) = item.published.or(item.updated) {
        c.published = Some(p);
    }
    if c.language.is_none() {
        c.language = feed.language.clone();
    }
    if let Some(feed_text) = item.summary_text.as_deref() {
        let feed_words = word_count(feed_text);
        let body_words = word_count(&c.body);
        if feed_words >= 30 && feed_words * 10 > body_words * 13 {
            c.note = Some(format!(
                "the extracted body ({body_words} words) was shorter than the feed's text ({feed_words} words)"
            ));
            c.body = feed_text.to_string();
            c.body_html = item.summary_html.clone();
            c.source = Source::Feed;
            c.fingerprint = body_fingerprint(
                &c.body,
                &Url::parse(&c.url).unwrap_or_else(|_| feed.url.clone()),
            );
        }
    }
    c
}

/// The article as the feed alone describes it.
pub fn feed_text_content(item: &FeedItem, feed: &FeedConfig, reason: &str, retry: bool) -> Content {
    let link = item.link.clone().unwrap_or_else(|| feed.url.clone());
    let shown = dedup::clean_url(&link);
    let body = item.summary_text.clone().unwrap_or_default();
    let language = feed
        .language
        .clone()
        .or_else(|| extract::detect_language(&body));
    Content {
        url: shown.to_string(),
        title: item
            .title
            .clone()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| shown.to_string()),
        author: item.author.clone(),
        published: item.published.or(item.updated),
        language,
        fingerprint: body_fingerprint(&body, &shown),
        signature: dedup::minhash::signature(&body),
        body,
        body_html: item.summary_html.clone(),
        source: Source::Feed,
        note: Some(reason.to_string()),
        page_pending: retry,
        raw_html: None,
        extractor_version: None,
    }
}

fn body_fingerprint(body: &str, url: &Url) -> String {
    if word_count(body) >= MIN_FINGERPRINT_WORDS {
        dedup::fingerprint(body)
    } else {
        // Unique per URL, so short texts never merge unrelated items.
        format!("url:{}", dedup::url_key(url))
    }
}

fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

/// NUL bytes in the first kilobytes: a PDF, an image or an archive served as text/html.
fn looks_binary(body: &[u8]) -> bool {
    body.iter().take(4096).any(|&b| b == 0)
}
