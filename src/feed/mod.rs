//! Feed bytes to items: every RSS (0.90 to 2.0, userland), Atom (0.3, 1.0), CDF and JSON
//! Feed, as real sites serve them.
//!
//! This module owns everything between the feed's HTTP body and the list of items the
//! ingest recipe walks: the charset, the reading, repairs for broken feeds, Indonesian
//! dates, absolute links and per-feed item identity. It is pure: bytes, the feed's URL and
//! `now` in, values out.
//!
//! How a body is read:
//! 1. Transcode to UTF-8 and make the declaration say so ([`charset`]); an empty body
//!    or an HTML page stops here with a clear error.
//! 2. JSON Feed goes to feed-rs, isolated with `catch_unwind`.
//! 3. XML gets the text-level [`repair`]s (junk before the declaration, bare `&`, HTML
//!    entities), each recorded in [`ParsedFeed::repairs`], and is then read by the
//!    forgiving reader ([`loose`]), which takes items by what their elements mean rather
//!    than by one dialect's grammar, the way feedparser does. A feed whose markup holds
//!    items of which none could be read is an error, never an empty success.
//! 4. Turn what was read into [`FeedItem`]s: plain-text titles (markup in a title is kept
//!    as text, a `<canvas>` written as text stays), links resolved against xml:base and
//!    the feed URL, dates read by [`crate::dates::parse_date`], GUIDs made unique, items
//!    sorted oldest first.

mod charset;
mod loose;
mod repair;
mod text;
pub(crate) use text::html_to_text;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset, Utc};
use feed_rs::model::{Entry, Feed};
use url::Url;

/// A feed read into items.
#[derive(Debug, Clone)]
pub struct ParsedFeed {
    pub title: Option<String>,
    /// Oldest first: by published, else updated; undated items keep their place relative
    /// to their neighbours in reversed document order, since feeds list newest first.
    pub items: Vec<FeedItem>,
    /// What had to be repaired to parse it, e.g. "added missing rss version".
    pub repairs: Vec<String>,
    /// How often the publisher asks to be polled at most (`<ttl>`,
    /// `sy:updatePeriod`/`sy:updateFrequency`).
    pub poll_hint: Option<std::time::Duration>,
}

/// One item of a feed.
#[derive(Debug, Clone)]
pub struct FeedItem {
    /// The item's identity within its feed: its GUID/id; the link when the GUID is blank
    /// or repeats within the feed; never empty (else a hash of title and summary).
    pub guid: String,
    /// Absolute (resolved against the feed URL and xml:base); http(s) only.
    pub link: Option<Url>,
    /// Plain text, entities decoded, whitespace collapsed.
    pub title: Option<String>,
    pub author: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    pub updated: Option<DateTime<FixedOffset>>,
    /// The item's own text as plain text (content:encoded/content preferred over
    /// description/summary), paragraphs separated by "\n\n".
    pub summary_text: Option<String>,
    /// The same as an HTML fragment, as the feed gave it (plain-text fields escaped).
    pub summary_html: Option<String>,
    /// The link's fragment is what tells this item from others of the feed that point
    /// into the same page (a live blog's posts, a changelog's entries): the page is not
    /// the item's article, its text in the feed is.
    pub anchored: bool,
}

impl FeedItem {
    /// What tells this item's article apart from every other: its link's URL key; for an
    /// item without a usable link, the feed's key and the item's GUID (which falls back to
    /// a hash of title and text), so linkless items never merge into one another.
    pub fn archive_key(&self, feed_url: &Url) -> String {
        match &self.link {
            Some(link) => match link.fragment().filter(|_| self.anchored) {
                Some(fragment) => format!("{}#{fragment}", crate::dedup::url_key(link)),
                None => crate::dedup::url_key(link),
            },
            None => format!("{}#item:{}", crate::dedup::url_key(feed_url), self.guid),
        }
    }
}

/// Why a body gave no feed.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error(
        "the feed's response body is empty; the site may be down or blocking the fetcher: check the feed URL in a browser and try again later"
    )]
    Empty,
    #[error("{}", not_a_feed_message(.found, .alternate.as_ref()))]
    NotAFeed {
        /// What the body is instead, e.g. "an HTML page".
        found: String,
        /// The feed the page names with `<link rel="alternate">`, if any.
        alternate: Option<Url>,
    },
    #[error(
        "the feed cannot be parsed ({0}); check the feed URL with a feed validator, or ask the site to fix its feed"
    )]
    Malformed(String),
}

fn not_a_feed_message(found: &str, alternate: Option<&Url>) -> String {
    match alternate {
        Some(url) => format!(
            "the URL gives {found}, not a feed; the page names its feed at {url}: use that as the feed's url"
        ),
        None => format!(
            "the URL gives {found}, not a feed, and names no feed of its own; find the site's RSS or Atom address and use that as the feed's url"
        ),
    }
}

/// Parses an RSS, Atom or JSON feed, repairing what real-world feeds get wrong.
pub fn parse_feed(
    bytes: &[u8],
    http_charset: Option<&str>,
    feed_url: &Url,
    now: DateTime<Utc>,
) -> Result<ParsedFeed, FeedError> {
    let decoded = charset::to_utf8(bytes, http_charset);
    let mut repairs = decoded.repairs;
    let text = decoded.text;
    let start = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if start.is_empty() {
        return Err(FeedError::Empty);
    }
    if repair::looks_like_html(start) {
        return Err(FeedError::NotAFeed {
            found: "an HTML page".to_string(),
            alternate: repair::alternate_feed(&text, feed_url),
        });
    }
    let is_json = start.starts_with('{');
    if !is_json && !start.starts_with('<') && !has_feed_root(start) {
        let preview: String = start.chars().take(40).collect();
        return Err(FeedError::NotAFeed {
            found: format!("neither XML nor JSON (it starts with {preview:?})"),
            alternate: None,
        });
    }

    if is_json {
        return match attempt(&text, feed_url, now) {
            Ok(parsed) => Ok(build(parsed, feed_url, repairs)),
            Err(reason) => Err(FeedError::Malformed(reason)),
        };
    }
    let (fixed, notes) = repair::repair_all(&text);
    repairs.extend(notes);
    read_xml(&fixed, feed_url, now, repairs)
}

/// An XML feed of any dialect, read by the forgiving reader.
fn read_xml(
    text: &str,
    feed_url: &Url,
    now: DateTime<Utc>,
    mut repairs: Vec<String>,
) -> Result<ParsedFeed, FeedError> {
    let read = loose::read(text, feed_url);
    repairs.extend(read.notes);
    let mut items: Vec<FeedItem> = read
        .items
        .into_iter()
        .map(|raw| from_loose(raw, now))
        .collect();
    if read.truncated {
        if items.is_empty() {
            return Err(FeedError::Malformed(
                repair::truncation_hint(text).unwrap_or_else(|| {
                    "the body ends inside its first item: it was cut off in transfer or by the fetch size limit (fetch.max_body); try again, or raise the limit".to_string()
                }),
            ));
        }
        repairs.push(format!(
            "cut a truncated feed back to its last complete item ({} kept, the one cut off dropped)",
            items.len()
        ));
    }
    if items.is_empty() {
        let expected = loose::count_items(text);
        if expected > 0 {
            return Err(FeedError::Malformed(format!(
                "its markup holds {expected} item(s) but none could be read"
            )));
        }
        let root = repair::root_name(text).unwrap_or_default();
        let local = root.rsplit(':').next().unwrap_or(root).to_ascii_lowercase();
        if !matches!(
            local.as_str(),
            "rss" | "feed" | "rdf" | "channel" | "item" | "entry"
        ) {
            return Err(FeedError::Malformed(format!(
                "the document is XML but not a feed (its root element is <{root}>)"
            )));
        }
    }
    assign_guids(&mut items);
    mark_anchored(&mut items);
    Ok(ParsedFeed {
        title: read.title.map(|t| plain_line(&t)).filter(|t| !t.is_empty()),
        items: oldest_first(items),
        repairs,
        poll_hint: poll_hint(read.ttl, text),
    })
}

/// One line of plain text from a title-like field.
fn plain_line(field: &loose::Field) -> String {
    let value = text::fix_mojibake(&field.value);
    if field.html {
        text::inline_text(&value)
    } else {
        // Text: a `<canvas>` in it is a word, not a tag; entities left in it by
        // double escaping are still decoded.
        text::inline_text(&value.replace('<', "&lt;").replace('>', "&gt;"))
    }
}

/// An item as the loose reader found it, made into a [`FeedItem`].
fn from_loose(raw: loose::RawItem, now: DateTime<Utc>) -> FeedItem {
    let alternate = |(rel, _, _): &&(String, String, String)| rel == "alternate";
    let html_type =
        |(_, kind, _): &&(String, String, String)| kind.is_empty() || kind.contains("html");
    let link = raw
        .links
        .iter()
        .filter(alternate)
        .filter(html_type)
        .chain(raw.links.iter().filter(alternate))
        .find_map(|(_, _, href)| absolute_http_strict(href))
        // An RSS guid is a permalink unless it says otherwise; a URL there is the link.
        .or_else(|| {
            raw.guid
                .as_deref()
                .filter(|_| !raw.guid_not_link)
                .and_then(absolute_http_strict)
        })
        .or_else(|| raw.guid_link.as_deref().and_then(absolute_http_strict))
        .or_else(|| raw.about.as_deref().and_then(absolute_http_strict));
    let title = raw
        .title
        .as_ref()
        .map(|(_, t)| plain_line(t))
        .filter(|t| !t.is_empty());
    let author = raw
        .author
        .as_ref()
        .map(|(_, a)| author_name(a))
        .filter(|a| !a.is_empty());
    let date = |d: &Option<(u8, String)>| {
        d.as_ref()
            .and_then(|(_, s)| crate::dates::parse_date(s, now))
    };
    let body = raw.body.or(raw.summary).map(|(_, f)| f);
    let (summary_html, summary_text) = match body {
        Some(f) => body_of(&text::fix_mojibake(&f.value), !f.html),
        None => (None, None),
    };
    FeedItem {
        guid: raw
            .guid
            .or(raw.about)
            .unwrap_or_default()
            .trim()
            .to_string(),
        link,
        title,
        author,
        published: date(&raw.published),
        updated: date(&raw.updated),
        summary_text,
        summary_html,
        anchored: false,
    }
}

/// "redaksi@contoh.id (Tim Redaksi)" and "Tim Redaksi redaksi@contoh.id" are Tim Redaksi;
/// a bare address stays an address.
fn author_name(raw: &str) -> String {
    let raw = text::inline_text(&text::fix_mojibake(raw));
    if !raw.contains('@') {
        return raw;
    }
    if let Some(open) = raw.find('(')
        && let Some(close) = raw.rfind(')')
        && let Some(name) = raw.get(open + 1..close)
        && !name.trim().is_empty()
    {
        return name.trim().to_string();
    }
    let name: Vec<&str> = raw.split(' ').filter(|w| !w.contains('@')).collect();
    if name.is_empty() { raw } else { name.join(" ") }
}

/// A body as HTML and as plain text.
fn body_of(body: &str, plain: bool) -> (Option<String>, Option<String>) {
    if body.trim().is_empty() {
        return (None, None);
    }
    let (html, text) = if plain {
        (
            text::text_to_html(body),
            text::html_to_text(&escape_free(body)),
        )
    } else {
        (body.trim().to_string(), text::html_to_text(body))
    };
    if text.is_empty() && html.is_empty() {
        return (None, None);
    }
    (Some(html), Some(text).filter(|p| !p.is_empty()))
}

/// Junk before the root (PHP warnings) still leaves a recognisable feed.
fn has_feed_root(text: &str) -> bool {
    ["<?xml", "<rss", "<feed", "<rdf:RDF"]
        .iter()
        .any(|tag| text.contains(tag))
}

/// A feed-rs result with the offsets its dates were written in.
struct Attempt {
    feed: Feed,
    offsets: HashMap<i64, FixedOffset>,
}

/// One isolated feed-rs parse. A panic inside feed-rs becomes an error reason.
fn attempt(text: &str, feed_url: &Url, now: DateTime<Utc>) -> Result<Attempt, String> {
    // feed-rs's hook returns UTC; the offset each instant was written with is kept here
    // so items keep "+08:00" for a WITA date.
    let offsets: Arc<Mutex<HashMap<i64, FixedOffset>>> = Arc::default();
    let seen = Arc::clone(&offsets);
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(feed_url.as_str()))
        .sanitize_content(false)
        // An empty id marks "the feed gave none", so our own fallback rules apply.
        .id_generator(|_, _, _| String::new())
        .timestamp_parser(move |s| {
            let d = crate::dates::parse_date(s, now)?;
            if let Ok(mut map) = seen.lock() {
                map.entry(d.timestamp()).or_insert(*d.offset());
            }
            Some(d.with_timezone(&Utc))
        })
        .build();
    let feed = match crate::isolate::isolated(|| parser.parse(text.as_bytes())) {
        Ok(Ok(feed)) => feed,
        Ok(Err(e)) => return Err(e.to_string()),
        Err(message) => return Err(format!("the feed parser crashed: {message}")),
    };
    let offsets = offsets.lock().map(|m| m.clone()).unwrap_or_default();
    Ok(Attempt { feed, offsets })
}

/// A JSON Feed as feed-rs read it.
fn build(parsed: Attempt, feed_url: &Url, repairs: Vec<String>) -> ParsedFeed {
    let Attempt { feed, offsets } = parsed;
    let with_offset = |d: DateTime<Utc>| match offsets.get(&d.timestamp()) {
        Some(offset) => d.with_timezone(offset),
        None => d.fixed_offset(),
    };
    let mut items: Vec<FeedItem> = feed
        .entries
        .iter()
        .map(|entry| {
            let mut item = convert(entry, feed_url);
            item.published = entry.published.map(with_offset);
            item.updated = entry.updated.map(with_offset);
            item
        })
        .collect();
    assign_guids(&mut items);
    mark_anchored(&mut items);
    ParsedFeed {
        title: feed
            .title
            .map(|t| text::inline_text(&t.content))
            .filter(|t| !t.is_empty()),
        items: oldest_first(items),
        repairs,
        poll_hint: poll_hint(feed.ttl, ""),
    }
}

/// The publisher's polling hint: `<ttl>` minutes (RSS 2.0), or the syndication module's
/// `sy:updatePeriod` divided by `sy:updateFrequency`. Hints over a day are capped there:
/// a misconfigured `<ttl>` must not silence a feed for weeks.
fn poll_hint(ttl: Option<u32>, text: &str) -> Option<std::time::Duration> {
    const DAY: u64 = 86_400;
    let from_ttl = ttl.filter(|&m| m > 0).map(|m| u64::from(m) * 60);
    let from_sy = || {
        let period = element_text(text, "sy:updatePeriod")?;
        let secs = match period.trim().to_ascii_lowercase().as_str() {
            "hourly" => 3600,
            "daily" => DAY,
            "weekly" => 7 * DAY,
            "monthly" => 30 * DAY,
            "yearly" => 365 * DAY,
            _ => return None,
        };
        let freq: u64 = element_text(text, "sy:updateFrequency")
            .and_then(|f| f.trim().parse().ok())
            .filter(|&f| f > 0)
            .unwrap_or(1);
        Some(secs / freq)
    };
    from_ttl
        .or_else(from_sy)
        .map(|s| std::time::Duration::from_secs(s.min(DAY)))
}

/// The text of the first `<name>…</name>` in a feed's markup.
fn element_text<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = text.find(&open)? + open.len();
    let end = text.get(start..)?.find("</")? + start;
    text.get(start..end)
}

/// Everything but the GUID and dates, which need the whole feed.
fn convert(entry: &Entry, feed_url: &Url) -> FeedItem {
    let link = entry
        .links
        .iter()
        .filter(|l| l.target.is_none())
        .filter(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .find_map(|l| absolute_http(&l.href, feed_url))
        // An RSS guid is a permalink unless it says otherwise; a URL there is the link.
        .or_else(|| absolute_http_strict(&entry.id));
    let title = entry
        .title
        .as_ref()
        .map(|t| text::inline_text(&t.content))
        .filter(|t| !t.is_empty());
    let author = entry
        .authors
        .iter()
        .filter_map(|p| {
            // "redaksi@x (Tim Redaksi)" leaves the name in parentheses.
            let name = p
                .name
                .as_deref()
                .map(|n| text::inline_text(n.trim().trim_start_matches('(').trim_end_matches(')')))
                .unwrap_or_default();
            if name.is_empty() {
                p.email.clone()
            } else {
                Some(name)
            }
        })
        .find(|n| !n.is_empty());

    let (summary_html, summary_text) = summary(entry);
    FeedItem {
        guid: entry.id.trim().to_string(),
        link,
        title,
        author,
        published: None,
        updated: None,
        summary_text,
        summary_html,
        anchored: false,
    }
}

/// The content first, then the summary.
fn summary(entry: &Entry) -> (Option<String>, Option<String>) {
    let content = entry
        .content
        .as_ref()
        .and_then(|c| Some((c.body.as_deref()?, c.content_type.to_string())));
    let summary = entry
        .summary
        .as_ref()
        .map(|t| (t.content.as_str(), t.content_type.to_string()));
    [content, summary]
        .into_iter()
        .flatten()
        .map(|(body, media_type)| body_of(body, media_type.starts_with("text/plain")))
        .find(|(html, _)| html.is_some())
        .unwrap_or((None, None))
}

/// Plain text must not be read as markup: escape it so html_to_text keeps `<` literal.
fn escape_free(s: &str) -> String {
    if s.contains('<') {
        text::text_to_html(s)
    } else {
        s.to_string()
    }
}

fn absolute_http(href: &str, base: &Url) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    base.join(href)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

/// Only a string that is already an absolute http(s) URL, never a relative one (a GUID
/// such as "12345" must not become a link).
fn absolute_http_strict(s: &str) -> Option<Url> {
    Url::parse(s.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

/// GUIDs that are blank or repeat within the feed are replaced by the link, else by a
/// hash of title and summary, so every item has an identity of its own.
fn assign_guids(items: &mut [FeedItem]) {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for item in items.iter() {
        *counts.entry(item.guid.clone()).or_default() += 1;
    }
    for item in items.iter_mut() {
        let usable = !item.guid.is_empty() && counts.get(&item.guid).copied() == Some(1);
        if usable {
            continue;
        }
        item.guid = match &item.link {
            Some(link) => link.to_string(),
            None => {
                let mut hasher = blake3::Hasher::new();
                hasher.update(item.title.as_deref().unwrap_or_default().as_bytes());
                hasher.update(b"\n");
                let body = item.summary_html.as_deref().unwrap_or_default();
                hasher.update(body.as_bytes());
                let hex = hasher.finalize().to_hex();
                format!("blake3:{}", hex.get(..32).unwrap_or(hex.as_str()))
            }
        };
    }
    // Items alike in everything (same link, or same title and text) are still separate
    // items of the feed: the later ones are numbered.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for item in items.iter_mut() {
        let n = seen.entry(item.guid.clone()).or_default();
        *n += 1;
        if *n > 1 {
            item.guid = format!("{}#{n}", item.guid);
        }
    }
}

/// Items whose links differ only in their fragment point into one page: each is kept as
/// its own article, told apart by the fragment.
fn mark_anchored(items: &mut [FeedItem]) {
    let mut fragments: HashMap<String, std::collections::HashSet<String>> = HashMap::new();
    let page = |link: &Url| {
        let mut page = link.clone();
        page.set_fragment(None);
        page.to_string()
    };
    for link in items.iter().filter_map(|i| i.link.as_ref()) {
        fragments
            .entry(page(link))
            .or_default()
            .insert(link.fragment().unwrap_or_default().to_string());
    }
    for item in items.iter_mut() {
        item.anchored = item.link.as_ref().is_some_and(|link| {
            link.fragment().is_some_and(|f| !f.is_empty())
                && fragments.get(&page(link)).is_some_and(|set| set.len() > 1)
        });
    }
}

/// Feeds list newest first: reverse, then sort by date; an undated item takes the date
/// of the item before it in that order, so it stays next to its neighbours.
fn oldest_first(mut items: Vec<FeedItem>) -> Vec<FeedItem> {
    items.reverse();
    let mut carried: Option<DateTime<Utc>> = None;
    let mut keyed: Vec<(Option<DateTime<Utc>>, FeedItem)> = items
        .into_iter()
        .map(|item| {
            if let Some(d) = item.published.or(item.updated) {
                carried = Some(d.with_timezone(&Utc));
            }
            (carried, item)
        })
        .collect();
    keyed.sort_by_key(|(key, _)| *key);
    keyed.into_iter().map(|(_, item)| item).collect()
}

#[cfg(test)]
mod tests;
