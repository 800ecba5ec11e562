//! A fetched page ─► the content to archive, or the reason it cannot stand for the article.

use chrono::{DateTime, Utc};
use url::Url;

use crate::config::{FeedConfig, KeepRaw};
use crate::dedup;
use crate::extract::{self, Extracted, NotAnArticle, SiteRules};
use crate::feed::FeedItem;
use crate::fetch::{self, Response, Validators};
use crate::store::{Content, Kept, KeptResponse, PageState, RawPage, Source};

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
    /// The link redirected to an address already archived: not fetched; the item is
    /// another place of that article.
    Archived {
        /// The keys of the addresses it redirected through.
        keys: Vec<String>,
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

/// One fetched page of an article, extracted.
pub struct PageFetch {
    pub url: Url,
    pub html: String,
    /// The page as it came, gzip-encoded, when that inflates to `html` exactly: kept as the
    /// page's compressed copy instead of compressing `html` again.
    pub gzip: Option<Vec<u8>>,
    /// The exchange that brought the page, its body compressed, when `keep_raw =
    /// "response"` asked for it: kept instead of the HTML.
    pub response: Option<Box<KeptResponse>>,
    pub truncated: bool,
    /// The page's validators, for a conditional GET when it is fetched again.
    pub validators: Validators,
    pub found: Extracted,
}

/// What tells a page fetched again from the one archived, byte for byte: BLAKE3 of its
/// HTML as decoded, in hex.
pub fn page_hash(html: &str) -> String {
    blake3::hash(html.as_bytes()).to_hex().to_string()
}

/// Checks, decodes and extracts one fetched page, its content coding undone here (at most
/// `max_body` bytes of it). With `keep` [`KeepRaw::Response`] the body as it came is
/// compressed before it is decoded, so that no second whole copy of it is held. `Err` is
/// why it cannot be used.
pub fn read_page(
    mut resp: Response,
    link: &Url,
    rules: Option<&SiteRules>,
    now: DateTime<Utc>,
    max_body: u64,
    keep: KeepRaw,
) -> Result<PageFetch, PageResult> {
    if !is_html_media(resp.media_type.as_deref()) {
        return Err(PageResult::Unusable {
            reason: format!(
                "{link} is not an HTML page ({})",
                resp.media_type.as_deref().unwrap_or("unknown type")
            ),
            retry: false,
        });
    }
    let response = match (keep, resp.exchange.take()) {
        (KeepRaw::Response, Some(x)) => keep_response(*x, &resp.body, resp.truncated, &resp.url),
        _ => None,
    };
    let decoded =
        fetch::decode_body(resp.body, &resp.coding, resp.truncated, max_body).map_err(|why| {
            PageResult::Unusable {
                reason: format!("cannot read {}: {why}", resp.url),
                // A body damaged in transfer may come whole next time.
                retry: true,
            }
        })?;
    if decoded.truncated && !resp.truncated {
        tracing::warn!(url = %resp.url, max_body, "page cut off at fetch.max_body once decompressed");
    }
    if looks_binary(&decoded.body) {
        return Err(PageResult::Unusable {
            reason: format!("{link} is not an HTML page (binary content)"),
            retry: false,
        });
    }
    let (html, unchanged) = fetch::decode_html_kept(decoded.body, resp.charset.as_deref());
    // The kept copy must read back as the text extracted, which a page in another charset
    // (or with a byte-order mark) is not: such a page is kept as its text, compressed.
    // A kept response holds these bytes already: no second copy is carried to the write.
    let gzip = decoded.gzip.filter(|_| unchanged && response.is_none());
    let validators = resp.validators;
    let found = crate::isolate::isolated(|| extract::extract(&html, Some(&resp.url), rules, now))
        .map_err(|panic| PageResult::Unusable {
        reason: format!("the extractor failed on {}: {panic}", resp.url),
        retry: false,
    })?;
    Ok(PageFetch {
        url: resp.url,
        html,
        gzip,
        response,
        truncated: decoded.truncated,
        validators,
        found,
    })
}

/// The exchange `x` with `body` as it came over the wire, compressed; None (the page is
/// then kept as its HTML) when the compressor fails.
fn keep_response(
    x: fetch::Exchange,
    body: &[u8],
    truncated: bool,
    url: &Url,
) -> Option<Box<KeptResponse>> {
    match crate::store::compress_raw(body) {
        Ok(body_zstd) => Some(Box::new(KeptResponse {
            request_head: x.request,
            response_head: x.response,
            body_zstd,
            truncated,
            ip: x.ip.map(|ip| ip.to_string()),
        })),
        Err(e) => {
            tracing::warn!(url = %url, error = %e, "cannot compress the response; its HTML is kept instead");
            None
        }
    }
}

/// The article from its pages (one, or several for an article split over pages): the
/// content to archive, or why the page does not stand for the article.
pub fn assemble(mut pages: Vec<PageFetch>, keep_raw: KeepRaw) -> PageResult {
    if pages.is_empty() {
        return PageResult::Unusable {
            reason: "no page fetched".into(),
            retry: true,
        };
    }
    let first_url = pages[0].url.clone();
    if let Some(why) = pages[0].found.not_article {
        return PageResult::Unusable {
            reason: format!("{first_url} is {why}"),
            // An error page may be a hiccup; walls and listings will still be there.
            retry: why == NotAnArticle::ErrorPage,
        };
    }
    if pages[0].found.body_text.trim().is_empty() {
        return PageResult::Unusable {
            reason: format!("no article body found on {first_url}"),
            // A half-deployed page may give way on a later try.
            retry: true,
        };
    }
    let truncated = pages.iter().any(|p| p.truncated);
    let page_state = PageState {
        validators: pages[0].validators.clone(),
        hash: page_hash(&pages[0].html),
        due: None,
    };
    let raw: Vec<RawPage> = if keep_raw.any() {
        pages
            .iter_mut()
            .filter_map(|p| {
                // A page that came without its exchange (read from a file) is kept as HTML.
                let kept = match (p.response.take(), p.gzip.take()) {
                    (Some(r), _) => Kept::Response(r),
                    (None, Some(gz)) => Kept::Html(gz),
                    (None, None) => Kept::Html(crate::store::compress_raw(p.html.as_bytes()).ok()?),
                };
                Some(RawPage {
                    url: p.url.to_string(),
                    kept,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let page_count = pages.len();
    let first = pages.remove(0);
    let rest: Vec<Extracted> = pages.into_iter().map(|p| p.found).collect();
    let found = if rest.is_empty() {
        first.found
    } else {
        extract::join_pages(first.found, rest)
    };
    let canonical = found
        .canonical_url
        .as_deref()
        .and_then(|c| Url::parse(c).ok())
        .filter(|c| matches!(c.scheme(), "http" | "https") && dedup::same_site(c, &first_url));
    let shown = dedup::clean_url(canonical.as_ref().unwrap_or(&first_url));
    let mut keys = vec![dedup::url_key(&first_url)];
    if let Some(c) = &canonical {
        keys.push(dedup::url_key(c));
    }
    let note = match (truncated, page_count) {
        (true, _) => Some("page cut off at fetch.max_body".to_string()),
        (false, n) if n > 1 => Some(format!("assembled from {n} pages")),
        _ => None,
    };
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
        note,
        page_pending: false,
        raw_pages: raw,
        stems: String::new(),
        words: None,
        partial: found.partial,
        extractor_version: Some(extract::EXTRACTOR_VERSION),
        page_state: Some(page_state),
    };
    PageResult::Extracted {
        content: Box::new(with_stems(content)),
        keys,
    }
}

/// Fills the stemmed index column for Indonesian text (see `stem::index_stems_id`).
pub fn with_stems(mut c: Content) -> Content {
    c.stems = crate::stem::article_stems(c.language.as_deref(), &c.title, &c.body);
    c
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
    let mut shown = dedup::clean_url(&link);
    if item.anchored {
        shown.set_fragment(link.fragment());
    }
    let body = item.summary_text.clone().unwrap_or_default();
    let language = feed
        .language
        .clone()
        .or_else(|| extract::detect_language(&body));
    with_stems(Content {
        url: shown.to_string(),
        title: item
            .title
            .clone()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| shown.to_string()),
        author: item.author.clone(),
        published: item.published.or(item.updated),
        language,
        fingerprint: fingerprint_or(&body, || item.archive_key(&feed.url)),
        signature: dedup::minhash::signature(&body),
        body,
        body_html: item.summary_html.clone(),
        source: Source::Feed,
        note: Some(reason.to_string()),
        page_pending: retry,
        raw_pages: Vec::new(),
        stems: String::new(),
        words: None,
        partial: None,
        extractor_version: None,
        page_state: None,
    })
}

pub fn body_fingerprint(body: &str, url: &Url) -> String {
    fingerprint_or(body, || dedup::url_key(url))
}

/// The body's fingerprint; a text too short to have one is keyed by `key` instead (unique
/// per article), so short texts never merge unrelated items.
fn fingerprint_or(body: &str, key: impl FnOnce() -> String) -> String {
    if word_count(body) >= MIN_FINGERPRINT_WORDS {
        dedup::fingerprint(body)
    } else {
        format!("url:{}", key())
    }
}

fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

/// NUL bytes in the first kilobytes: a PDF, an image or an archive served as text/html.
fn looks_binary(body: &[u8]) -> bool {
    body.iter().take(4096).any(|&b| b == 0)
}
