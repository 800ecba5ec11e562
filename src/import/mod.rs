//! Backfill (`warta import`): articles from files instead of polls.
//!
//! - warta's own JSONL export: each line is an article with its places and story; the body
//!   is stored as it is (no re-extraction), with its fetch time and every place's time;
//! - WARC files (`response` records as crawlers such as CC-NEWS write them, and the
//!   `resource` records of `warta export --format warc`): each page is decoded, extracted
//!   and deduplicated as a fetched page is, and archived with its capture time.
//!
//! Files are read as streams, one record at a time (a `.gz` through `MultiGzDecoder`), so
//! memory does not grow with the file. What each record becomes is decided here; the
//! command writes the results in batched transactions (`Store::import_batch`).

pub mod warc;

use std::io::{self, BufRead, BufReader, Read};

use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use url::Url;

use crate::dedup;
use crate::extract::SiteRules;
use crate::ingest::{self, PageResult};
use crate::model::Partial;
use crate::store::{Content, ImportPlace, ImportWrite, ItemWrite, Source};

/// What a file holds, told by its first bytes (after gzip, when it is gzipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Warc,
}

/// Reads a file as a decompressed stream and tells its format.
pub fn open(file: impl Read + 'static) -> io::Result<(Box<dyn BufRead>, Option<Format>)> {
    let mut file = BufReader::with_capacity(256 * 1024, file);
    let gzip = file.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let mut stream: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::with_capacity(
            256 * 1024,
            flate2::read::MultiGzDecoder::new(file),
        ))
    } else {
        Box::new(file)
    };
    let head = stream.fill_buf()?;
    let first = head.iter().position(|b| !b.is_ascii_whitespace());
    let format = match first.map(|i| &head[i..]) {
        Some(rest) if rest.starts_with(b"WARC/") => Some(Format::Warc),
        Some(rest) if rest.starts_with(b"{") => Some(Format::Jsonl),
        // An empty file holds no records: read as JSONL, it gives none.
        None => Some(Format::Jsonl),
        Some(_) => None,
    };
    Ok((stream, format))
}

/// What one record comes to before it is written.
pub enum Step {
    Write(Box<ImportWrite>),
    /// Not an article, and why (counted by reason: `not HTML`, `not 200`, …).
    Skip(&'static str, String),
    /// A damaged record: why.
    Fail(String),
}

/// The parts of an export line that import reads (`store::ExportArticle`).
#[derive(Debug, Deserialize)]
struct ExportLine {
    #[serde(default)]
    id: Option<i64>,
    title: String,
    url: String,
    feed: String,
    published: Option<String>,
    fetched: String,
    language: Option<String>,
    author: Option<String>,
    body: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    partial: Option<String>,
    #[serde(default)]
    story_copies: Vec<ExportCopy>,
    #[serde(default)]
    places: Vec<ExportPlace>,
    #[serde(default)]
    extraction: Option<ExportExtraction>,
}

#[derive(Debug, Deserialize)]
struct ExportCopy {
    id: i64,
    url: String,
}

#[derive(Debug, Deserialize)]
struct ExportPlace {
    feed: String,
    url: String,
    first_seen: String,
    published: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ExportExtraction {
    extractor_version: Option<u32>,
    #[serde(default)]
    page_pending: bool,
}

/// One line of a warta JSONL export, as an article to write.
pub fn jsonl_line(line: &str) -> Step {
    let a: ExportLine = match serde_json::from_str(line) {
        Ok(a) => a,
        Err(e) => return Step::Fail(format!("not a warta export record: {e}")),
    };
    match jsonl_write(a) {
        Ok(w) => Step::Write(Box::new(w)),
        Err(why) => Step::Fail(why),
    }
}

fn jsonl_write(a: ExportLine) -> Result<ImportWrite, String> {
    let url = Url::parse(&a.url).map_err(|e| format!("url {:?}: {e}", a.url))?;
    let published = a
        .published
        .as_deref()
        .map(|p| time(p, "published"))
        .transpose()?;
    let seen = time(&a.fetched, "fetched")?.with_timezone(&Utc);
    crate::model::FeedName::parse(&a.feed).map_err(|e| format!("feed {:?}: {e}", a.feed))?;
    let mut places = Vec::with_capacity(a.places.len());
    for p in a.places {
        crate::model::FeedName::parse(&p.feed).map_err(|e| format!("feed {:?}: {e}", p.feed))?;
        let place_url = Url::parse(&p.url).map_err(|e| format!("place url {:?}: {e}", p.url))?;
        places.push(ImportPlace {
            feed: p.feed,
            key: dedup::url_key(&place_url),
            url: p.url,
            first_seen: time(&p.first_seen, "first_seen")?.with_timezone(&Utc),
            published: p.published,
        });
    }
    let story_keys = a
        .story_copies
        .iter()
        .filter(|c| Some(c.id) != a.id)
        .filter_map(|c| Url::parse(&c.url).ok())
        .map(|u| dedup::url_key(&u))
        .collect();
    let extraction = a.extraction.unwrap_or(ExportExtraction {
        extractor_version: None,
        page_pending: false,
    });
    let content = ingest::with_stems(Content {
        fingerprint: ingest::body_fingerprint(&a.body, &url),
        signature: dedup::minhash::signature(&a.body),
        url: a.url.clone(),
        title: a.title,
        author: a.author,
        published,
        language: a.language,
        body: a.body,
        body_html: None,
        source: if a.source.as_deref() == Some("feed") {
            Source::Feed
        } else {
            Source::Page
        },
        note: a.note,
        page_pending: extraction.page_pending,
        raw_pages: Vec::new(),
        page_state: None,
        extractor_version: extraction.extractor_version,
        stems: String::new(),
        words: None,
        partial: a.partial.as_deref().and_then(Partial::parse),
    })
    // Here, on the reading thread, not on the writer (`IndexWords`).
    .with_words();
    let mut keys = vec![dedup::url_key(&url)];
    keys.extend(places.iter().map(|p| p.key.clone()));
    keys.dedup();
    Ok(ImportWrite {
        feed: a.feed,
        seen,
        item: ItemWrite {
            guid: a.url.clone(),
            link: a.url,
            keys,
            published,
            revision: None,
            content: Some(content),
        },
        places,
        story_keys,
    })
}

fn time(s: &str, field: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(s)
        .map_err(|e| format!("{field} {s:?} is not an RFC 3339 time: {e}"))
}

/// How a WARC record's page is archived.
pub struct WarcOptions<'a> {
    pub feed: &'a str,
    pub rules: Option<&'a SiteRules>,
    pub keep_raw: crate::config::KeepRaw,
    pub max_body: u64,
}

/// One WARC record, as an article to write or the reason it is none.
pub fn warc_record(r: warc::Record, opts: &WarcOptions<'_>) -> Step {
    let (status, content_type, body) = match r.kind.as_str() {
        "response" => match warc::parse_http(&r.block, opts.max_body) {
            Ok(h) => (h.status, h.content_type, h.body),
            Err(why) => return Step::Fail(why),
        },
        // warta's own WARC export: the page as it was decoded, no HTTP around it.
        "resource" => (200, r.content_type, r.block),
        "" => return Step::Fail("the record has no WARC-Type".into()),
        _ => return Step::Skip("not a response", r.kind),
    };
    let Some(target) = r.target.as_deref() else {
        return Step::Fail("the record has no WARC-Target-URI".into());
    };
    let url = match Url::parse(target) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        Ok(u) => return Step::Skip("not a web page", u.to_string()),
        Err(e) => return Step::Fail(format!("WARC-Target-URI {target:?}: {e}")),
    };
    let Some(date) = r.date.as_deref() else {
        return Step::Fail(format!("{url}: the record has no WARC-Date"));
    };
    let seen = match time(date, "WARC-Date") {
        Ok(t) => t.with_timezone(&Utc),
        Err(why) => return Step::Fail(format!("{url}: {why}")),
    };
    if status != 200 {
        return Step::Skip("not 200", format!("{url}: HTTP {status}"));
    }
    let (media_type, charset) = warc::media(content_type.as_deref());
    if !media_type.as_deref().is_some_and(is_page) {
        return Step::Skip(
            "not HTML",
            format!("{url}: {}", media_type.as_deref().unwrap_or("no type")),
        );
    }
    let resp = crate::fetch::Response {
        url: url.clone(),
        status,
        media_type,
        charset,
        body,
        // `parse_http` undid the record's content coding.
        coding: crate::fetch::Coding::Identity,
        truncated: r.cut,
        validators: Default::default(),
        fresh_for: None,
        moved_to: None,
        exchange: None,
    };
    let page = match ingest::read_page(resp, &url, opts.rules, seen, opts.max_body, opts.keep_raw) {
        Ok(p) => ingest::assemble(vec![p], opts.keep_raw),
        Err(unusable) => unusable,
    };
    let (content, more) = match page {
        PageResult::Extracted { content, keys } => (content, keys),
        PageResult::Unusable { reason, .. } => return Step::Skip("no article", reason),
        // Only a fetch that follows redirects finds this; a record read from a file does not.
        PageResult::Archived { .. } => {
            return Step::Skip("no article", "already archived".into());
        }
    };
    let mut keys = vec![dedup::url_key(&url)];
    keys.extend(more);
    keys.sort();
    keys.dedup();
    Step::Write(Box::new(ImportWrite {
        feed: opts.feed.to_string(),
        seen,
        item: ItemWrite {
            guid: url.to_string(),
            link: url.to_string(),
            keys,
            published: content.published,
            revision: None,
            content: Some(content.with_words()),
        },
        places: Vec::new(),
        story_keys: Vec::new(),
    }))
}

/// Pages worth extracting: HTML, not the other types a crawl holds (images, PDF, feeds).
fn is_page(media: &str) -> bool {
    matches!(media, "text/html" | "application/xhtml+xml")
}
