//! Where a site's article links come from when it has no feed: its sitemaps. What this
//! finds becomes the poll's items, and from there on a site is polled exactly as a feed
//! (politeness, batches, dedup and stories: see the module above).
//!
//! 1. The sitemaps to read: those the `[[site]]` names; else those an earlier poll found;
//!    else the `Sitemap:` lines of robots.txt; else the usual addresses
//!    ([`sitemap::WELL_KNOWN`]), each tried once. What answered is remembered.
//! 2. Each file is fetched with its own validators (a 304 reads nothing) and read as it
//!    downloads on a blocking thread: one entry in memory at a time, never the file.
//! 3. Listed pages older than the horizon are dropped as they are read; the rest are
//!    checked against the archive in chunks (archived from any source, or found earlier
//!    not to be an article) and only unknown ones are kept, the newest `max_pages`.
//! 4. An index's children are read newest first, to a bounded depth and count, skipping
//!    those whose `lastmod` has not moved since they were read.
//! 5. The files' validators are recorded with the poll's end, and only when nothing listed
//!    was left for a later poll (over the budget): a file that still lists unfetched pages
//!    is read again next time.

use std::collections::{HashSet, VecDeque};
use std::io::{BufReader, Read};
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use url::Url;

use super::{FeedRead, FeedReport, Ingest, PollError};
use crate::config::{FeedConfig, SiteSource};
use crate::dedup;
use crate::feed::FeedItem;
use crate::fetch::{FetchError, Fetched, Purpose};
use crate::source::listing::{self, Learned};
use crate::source::sitemap::{self, Child, Entry, IndexBounds, Kind, Limits, Newest, Scope};
use crate::source::wordpress;
use crate::store::{SiteMemory, SiteWay, SourceFile, Store, StoreError};

/// Listed pages checked against the archive at once.
const CHUNK: usize = 400;

/// Sitemap files read in one poll, roots and children together: with an index's newest
/// few children per level this is never reached on a sane site, and it bounds the
/// requests an absurd one costs.
const MAX_FILES: usize = 32;

/// Children of one index kept for choosing (an index may list 50,000).
const MAX_CHILDREN_LISTED: usize = 5_000;

/// How long a page that failed is left alone before it is tried again.
const RETRY_FAILED_AFTER: chrono::Duration = chrono::Duration::hours(6);

/// A failure of the moment (the network, a timeout, an overloaded or failing server), not
/// an answer about what the site has.
fn transient(e: &FetchError) -> bool {
    match e {
        FetchError::Timeout { .. } | FetchError::Network { .. } => true,
        FetchError::Status { status, .. } => *status == 429 || *status >= 500,
        _ => false,
    }
}

impl Gathered {
    /// The poll's end for items read from a feed: its file recorded, a change or items
    /// making it not a 304.
    fn read(self, items: Vec<FeedItem>) -> (Vec<FeedItem>, FeedRead) {
        let read = FeedRead {
            validators: (self.changed || !items.is_empty()).then(Default::default),
            source_files: self.files,
            ..FeedRead::default()
        };
        (items, read)
    }
}

/// The oldest a listed page may be: the source's horizon back from now.
fn horizon_of(site: &SiteSource, now: DateTime<Utc>) -> DateTime<Utc> {
    now - chrono::Duration::from_std(site.horizon).unwrap_or_else(|_| chrono::Duration::days(7))
}

/// What a site's poll gathers besides the pages.
struct Gathered {
    /// The source's files as last read, by URL.
    known_files: std::collections::HashMap<String, SourceFile>,
    /// Files read this poll, to record with its end.
    files: Vec<(String, SourceFile)>,
    /// Whether any file had changed since it was last read.
    changed: bool,
    /// What earlier polls learned of the site's article addresses.
    learned: Learned,
    /// Article links seen on listing pages, archived or not.
    article_links: usize,
}

/// A sitemap file to read.
struct File {
    url: Url,
    /// Index levels above it: 0 for a root.
    depth: usize,
    /// The `<lastmod>` its index gave it, as written there.
    lastmod: Option<String>,
    /// A guessed address: a failure only means the site has no sitemap there.
    probe: bool,
    /// The index that listed it.
    parent: Option<String>,
}

/// How a site would be read, and what it would take first: what `feeds add` proposes for
/// a site that has no feed.
#[derive(Debug, Clone)]
pub struct SitePreview {
    pub way: SiteWay,
    /// The article pages a first poll would take, newest first, ten at most.
    pub articles: Vec<Url>,
}

impl Ingest {
    /// Reads `feed` (a site) as its first poll would, on this ingest's archive, without
    /// fetching any article: the method found and the first articles it would take.
    pub async fn preview_site(&self, feed: &FeedConfig) -> Result<SitePreview, String> {
        let site = feed
            .site()
            .ok_or_else(|| format!("{} is a feed, not a site", feed.name))?;
        let ids = self.sync_feeds().await.map_err(|e| e.to_string())?;
        let index = self
            .config
            .feeds
            .iter()
            .position(|f| f.name == feed.name)
            .ok_or_else(|| format!("{} is not in the config", feed.name))?;
        let feed_id = *ids.get(index).ok_or("the feed was not recorded")?;
        let mut report = FeedReport::new(feed);
        let (items, _) = self
            .site_listing(feed, site, feed_id, Utc::now(), &mut report)
            .await
            .map_err(|e| e.to_string())?;
        let way = self
            .db(move |s| s.site_memory(feed_id))
            .await
            .map_err(|e| e.to_string())?
            .map_or(SiteWay::Configured, |m| m.way);
        Ok(SitePreview {
            way,
            articles: items
                .into_iter()
                .rev()
                .filter_map(|i| i.link)
                .take(10)
                .collect(),
        })
    }

    /// The pages a site lists that are worth fetching this poll, oldest first (the order a
    /// feed's items are written in), and the files to record with its end: from its
    /// sitemaps, from its listing pages when it names some, and from its home page when it
    /// has no sitemap.
    pub(super) async fn site_listing(
        &self,
        feed: &FeedConfig,
        site: &SiteSource,
        feed_id: i64,
        now: DateTime<Utc>,
        report: &mut FeedReport,
    ) -> Result<(Vec<FeedItem>, FeedRead), PollError> {
        let horizon = horizon_of(site, now);
        let memory = self.db(move |s| s.site_memory(feed_id)).await?;
        let mut gathered = Gathered {
            known_files: self.db(move |s| s.source_files(feed_id)).await?,
            files: Vec::new(),
            changed: false,
            learned: memory
                .as_ref()
                .and_then(|m| m.pattern.as_deref())
                .and_then(|p| serde_json::from_str(p).ok())
                .unwrap_or_default(),
            article_links: 0,
        };
        let mut reading = Reading {
            feed_id,
            horizon,
            retry_from: now - RETRY_FAILED_AFTER,
            newest: Newest::new(Some(horizon), site.max_pages),
            pending: Vec::new(),
            children: Vec::new(),
            store: self.store.clone(),
            error: None,
        };
        // A WordPress site names its API: its posts come whole, with no page to fetch.
        let mut home_feeds = Vec::new();
        if let Some(read) = self
            .wordpress(feed, feed_id, memory.as_ref(), now, report, &mut home_feeds)
            .await?
        {
            return Ok(read);
        }
        // A site found to have no sitemap but a feed of its own is read through that.
        if let Some(SiteMemory {
            way: SiteWay::Feed(url),
            ..
        }) = &memory
        {
            match self.site_feed(feed, site, url, now, &mut gathered).await? {
                Some(items) => return Ok(gathered.read(items)),
                None => self.db(move |s| s.forget_site(feed_id)).await?,
            }
        }
        // A site that named listing pages and no sitemap is read through those alone; one
        // found earlier to have no sitemap, through its home page.
        let listed_only = site.sitemaps.is_empty() && !site.pages.is_empty();
        let home_only = memory.as_ref().is_some_and(|m| m.way == SiteWay::HomePage);
        let mut listings = site.pages.clone();
        let mut sitemaps_read = false;
        // The home page read for want of anything better: remembered once it was read.
        let mut home_fallback = false;
        if !listed_only && !home_only {
            let found;
            (reading, found) = self
                .read_sitemaps(
                    feed,
                    site,
                    feed_id,
                    memory.as_ref(),
                    now,
                    report,
                    reading,
                    &mut gathered,
                )
                .await?;
            sitemaps_read = found.is_ok();
            match found {
                Ok(()) => {}
                // Listing pages named beside the sitemaps still bring what they list.
                Err(_) if !site.pages.is_empty() => {}
                // Named sitemaps that fail fail the poll; so does an outage, which is no
                // reason to read the site another way from now on.
                Err(e) if !site.sitemaps.is_empty() => return Err(e),
                Err(PollError::Fetch(e)) if transient(&e) => return Err(PollError::Fetch(e)),
                Err(none) => {
                    for url in home_feeds {
                        if let Some(items) =
                            self.site_feed(feed, site, &url, now, &mut gathered).await?
                        {
                            tracing::info!(feed = %feed.name, url = %url, "no sitemap; read through the feed its home page names");
                            let way = SiteWay::Feed(url);
                            self.db(move |s| s.remember_way(feed_id, &way, now)).await?;
                            return Ok(gathered.read(items));
                        }
                    }
                    tracing::info!(feed = %feed.name, why = %none, "no sitemap; the home page is read as a listing");
                    listings.push(feed.url.clone());
                    home_fallback = true;
                }
            }
        } else if home_only && listings.is_empty() {
            listings.push(feed.url.clone());
        }
        if reading.sift().is_break()
            && let Some(e) = reading.error.take()
        {
            return Err(PollError::Store(e));
        }
        let mut unread = Vec::new();
        for page in &listings {
            if let Some(e) = self
                .read_listing(feed, site, page, &mut reading, &mut gathered)
                .await?
            {
                unread.push(e);
            }
        }
        // Listing pages that cannot be read fail the poll only when nothing else was read.
        if !listings.is_empty() && unread.len() == listings.len() && !sitemaps_read {
            if let Some(e) = unread.into_iter().next() {
                return Err(PollError::Fetch(e));
            }
        } else {
            for e in unread {
                report.repairs.push(e.to_string());
            }
        }
        // A home page read for want of a sitemap that shows nothing like an article link
        // is a site this source cannot read as it stands: say so, rather than report
        // a healthy source that never brings anything.
        if !sitemaps_read
            && site.pages.is_empty()
            && gathered.changed
            && gathered.article_links == 0
        {
            return Err(PollError::Parse(format!(
                "{} has no sitemap warta can find, and its home page shows no links that look \
                 like articles; name a sitemap with sitemap = \"…\", listing pages with \
                 pages = [\"…\"] or the article addresses with article_pattern = \"…\" in \
                 the [[site]]",
                feed.url
            )));
        }
        if home_fallback {
            self.db(move |s| s.remember_way(feed_id, &SiteWay::HomePage, now))
                .await?;
        }
        let Gathered {
            mut files, changed, ..
        } = gathered;
        let left_over = reading.newest.left_over();
        let pages = reading.newest.finish();
        if left_over {
            // Pages wait for later polls: every file is read again until they are taken.
            tracing::info!(feed = %feed.name, taken = pages.len(), "more new pages than max_pages; the rest wait for the next polls");
            files.clear();
        }
        let items: Vec<FeedItem> = pages.into_iter().rev().map(item_of).collect();
        let read = FeedRead {
            // A site has no validators of its own (its files keep theirs): None says that
            // nothing changed.
            validators: (changed || !items.is_empty()).then(Default::default),
            source_files: files,
            ..FeedRead::default()
        };
        Ok((items, read))
    }

    /// Reads the site's sitemaps into `reading`. The inner result is Err when the site has
    /// none that answers: the error to report if nothing else can stand in.
    #[allow(clippy::too_many_arguments)]
    async fn read_sitemaps(
        &self,
        feed: &FeedConfig,
        site: &SiteSource,
        feed_id: i64,
        memory: Option<&SiteMemory>,
        now: DateTime<Utc>,
        report: &mut FeedReport,
        mut reading: Reading,
        gathered: &mut Gathered,
    ) -> Result<(Reading, Result<(), PollError>), PollError> {
        let horizon = reading.horizon;
        let (roots, remembered) = self.sitemap_roots(feed, site, memory).await;
        let mut scope = Scope::new(&feed.url);
        for root in &roots {
            if let Some(host) = root.url.host_str() {
                scope = scope.allow_sitemap_host(host);
            }
        }
        let mut queue: VecDeque<File> = roots.into_iter().collect();
        let mut found_roots: Vec<Url> = Vec::new();
        let mut files: Vec<(String, SourceFile)> = Vec::new();
        let mut failed_parents: HashSet<String> = HashSet::new();
        let mut first_error: Option<FetchError> = None;
        let mut read = 0usize;
        let bounds = IndexBounds::default();
        let limits = Limits::default();
        while let Some(file) = queue.pop_front() {
            if read >= MAX_FILES {
                report.repairs.push(format!(
                    "more sitemap files than the {MAX_FILES} one poll reads; the rest wait"
                ));
                break;
            }
            read += 1;
            let validators = gathered
                .known_files
                .get(file.url.as_str())
                .map(|f| f.validators.clone());
            let (fetched, back, summary) = self
                .read_sitemap(&file.url, validators, reading, &scope, &limits, now)
                .await?;
            reading = back;
            if let Some(e) = reading.error.take() {
                return Err(PollError::Store(e));
            }
            let resp = match fetched {
                Ok(Fetched::NotModified { .. }) => {
                    tracing::debug!(feed = %feed.name, url = %file.url, "sitemap unchanged");
                    if file.depth == 0 {
                        found_roots.push(file.url.clone());
                    }
                    continue;
                }
                Ok(Fetched::Body(resp)) if summary.kind != Kind::Unknown => resp,
                Ok(Fetched::Body(_)) => {
                    if !file.probe {
                        report
                            .repairs
                            .push(format!("{} is not a sitemap", file.url));
                    }
                    continue;
                }
                Err(FetchError::Deferred { host, until }) => {
                    return Err(PollError::deferred(&host, &until));
                }
                // A guessed address that is not there says only that; one that cannot be
                // reached (the network, the server) says nothing yet, and must not be
                // taken for "no sitemap".
                Err(e) if file.probe && !transient(&e) => continue,
                Err(e) => {
                    tracing::warn!(feed = %feed.name, url = %file.url, error = %e, "sitemap not read");
                    failed_parents.extend(file.parent.clone());
                    first_error.get_or_insert(e);
                    continue;
                }
            };
            gathered.changed = true;
            if file.depth == 0 {
                found_roots.push(file.url.clone());
            }
            if let Some(e) = &summary.error {
                report.repairs.push(format!("{}: {e}", file.url));
            }
            tracing::info!(
                feed = %feed.name, url = %file.url, entries = summary.entries,
                rejected = summary.rejected.total(), gzip = summary.gzip, "sitemap read"
            );
            let children = std::mem::take(&mut reading.children);
            if !children.is_empty() {
                let last_read = |url: &Url| {
                    gathered
                        .known_files
                        .get(url.as_str())
                        .and_then(|f| f.lastmod.as_deref())
                        .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
                };
                let choice = sitemap::select_children(
                    children,
                    file.depth + 1,
                    Some(horizon),
                    &bounds,
                    last_read,
                );
                for (child, why) in &choice.skipped {
                    tracing::debug!(feed = %feed.name, url = %child.url, reason = ?why, "child sitemap skipped");
                }
                for child in choice.chosen {
                    queue.push_back(File {
                        url: child.url,
                        depth: file.depth + 1,
                        lastmod: child.lastmod.map(|d| d.to_rfc3339()),
                        probe: false,
                        parent: Some(file.url.to_string()),
                    });
                }
            }
            // A truncated or broken file is read again next time; so is one whose download
            // was cut short.
            if !resp.truncated && summary.error.is_none() {
                files.push((
                    file.url.to_string(),
                    SourceFile {
                        validators: resp.validators,
                        lastmod: file.lastmod,
                    },
                ));
            }
        }
        files.retain(|(url, _)| !failed_parents.contains(url));
        gathered.files.extend(files);
        if found_roots.is_empty() {
            // What worked before answers no more: look again next time. Not for an outage,
            // which says nothing about where the sitemaps are.
            if remembered && !first_error.as_ref().is_some_and(transient) {
                self.db(move |s| s.forget_site(feed_id)).await?;
            }
            let none = match first_error {
                Some(e) => PollError::Fetch(e),
                None => PollError::Parse(format!(
                    "no sitemap found for {}: its robots.txt names none and none of {} is one; \
                     name it with sitemap = \"…\" or give listing pages = [\"…\"] in the [[site]]",
                    feed.url,
                    sitemap::WELL_KNOWN.join(", ")
                )),
            };
            return Ok((reading, Err(none)));
        }
        if !remembered && site.sitemaps.is_empty() {
            let way = SiteWay::Sitemaps(found_roots);
            self.db(move |s| s.remember_way(feed_id, &way, now)).await?;
        }
        Ok((reading, Ok(())))
    }

    /// A WordPress site's newest posts through its REST API, when it has one: remembered
    /// from an earlier poll, or, on a site's first poll, named by its home page. None when
    /// the site is to be read another way (and, when the API stopped answering, it is
    /// looked at afresh next time).
    async fn wordpress(
        &self,
        feed: &FeedConfig,
        feed_id: i64,
        memory: Option<&SiteMemory>,
        now: DateTime<Utc>,
        report: &mut FeedReport,
        home_feeds: &mut Vec<Url>,
    ) -> Result<Option<(Vec<FeedItem>, FeedRead)>, PollError> {
        let Some(site) = feed.site() else {
            return Ok(None);
        };
        let remembered = match memory {
            Some(SiteMemory {
                way: SiteWay::WordpressApi(root),
                ..
            }) => Some(root.clone()),
            _ => None,
        };
        let first_poll = memory.is_none() && site.sitemaps.is_empty() && site.pages.is_empty();
        let root = match remembered.clone() {
            Some(root) => root,
            None if first_poll => {
                let (api, feeds) = self.home_signs(feed).await?;
                *home_feeds = feeds;
                match api {
                    Some(root) => root,
                    None => return Ok(None),
                }
            }
            None => return Ok(None),
        };
        let horizon = horizon_of(site, now);
        let Some(url) = wordpress::posts_url(&root, site.max_pages, horizon) else {
            return Ok(None);
        };
        let answer = self
            .unless_stopped(self.fetcher.get(&url, Purpose::Feed, None))
            .await?;
        let problem = match answer {
            Ok(Fetched::Body(resp)) => {
                let scope = Scope::new(&feed.url);
                let (body, at) = (resp.body, resp.url.clone());
                let posts = self
                    .pipeline
                    .extract(move || wordpress::items(&body, &at, |l| scope.allows(l)))
                    .await
                    .map_err(|e| PollError::Parse(format!("WordPress reader failed: {e}")))?;
                match posts {
                    Ok(items) => {
                        tracing::info!(feed = %feed.name, api = %root, posts = items.len(), "read through the WordPress API");
                        if remembered.is_none() {
                            let way = SiteWay::WordpressApi(root.clone());
                            self.db(move |s| s.remember_way(feed_id, &way, now)).await?;
                        }
                        let read = FeedRead {
                            validators: Some(Default::default()),
                            whole: true,
                            ..FeedRead::default()
                        };
                        return Ok(Some((items, read)));
                    }
                    Err(e) => e.to_string(),
                }
            }
            Ok(Fetched::NotModified { .. }) => {
                format!("{url} answered 304 to an unconditional request")
            }
            Err(FetchError::Deferred { host, until }) => {
                return Err(PollError::deferred(&host, &until));
            }
            Err(e) => e.to_string(),
        };
        tracing::warn!(feed = %feed.name, api = %root, problem = %problem, "the WordPress API did not answer; the site is read another way");
        report.repairs.push(problem);
        if remembered.is_some() {
            self.db(move |s| s.forget_site(feed_id)).await?;
        }
        Ok(None)
    }

    /// The REST API root the site's home page names, if it names one, and the feeds it
    /// names (`<link rel="alternate">`).
    async fn home_signs(&self, feed: &FeedConfig) -> Result<(Option<Url>, Vec<Url>), PollError> {
        let answer = self
            .unless_stopped(self.fetcher.get(&feed.url, Purpose::Page, None))
            .await?;
        let resp = match answer {
            Ok(Fetched::Body(resp)) => resp,
            Err(FetchError::Deferred { host, until }) => {
                return Err(PollError::deferred(&host, &until));
            }
            // No home page to look at: the sitemaps may still answer.
            _ => return Ok((None, Vec::new())),
        };
        let (page, charset, body) = (resp.url.clone(), resp.charset.clone(), resp.body);
        self.pipeline
            .extract(move || {
                let html = crate::fetch::decode_html_owned(body, charset.as_deref());
                (
                    wordpress::api_root(&html, &page),
                    crate::discover::alternate_links(&html, &page),
                )
            })
            .await
            .map_err(|e| PollError::Parse(format!("home page reader failed: {e}")))
    }

    /// A site's own feed, asked conditionally: its items newer than the horizon, the newest
    /// `max_pages`, oldest first; an empty list when it has not changed. None when it
    /// cannot be read as a feed.
    async fn site_feed(
        &self,
        feed: &FeedConfig,
        site: &SiteSource,
        url: &Url,
        now: DateTime<Utc>,
        gathered: &mut Gathered,
    ) -> Result<Option<Vec<FeedItem>>, PollError> {
        let validators = gathered
            .known_files
            .get(url.as_str())
            .map(|f| f.validators.clone());
        let answer = self
            .unless_stopped(self.fetcher.get(url, Purpose::Feed, validators.as_ref()))
            .await?;
        let resp = match answer {
            Ok(Fetched::NotModified { .. }) => return Ok(Some(Vec::new())),
            Ok(Fetched::Body(resp)) => resp,
            Err(FetchError::Deferred { host, until }) => {
                return Err(PollError::deferred(&host, &until));
            }
            Err(e) => {
                tracing::warn!(feed = %feed.name, url = %url, error = %e, "the site's feed not read");
                return Ok(None);
            }
        };
        let (at, charset, body, file_validators) = (
            resp.url.clone(),
            resp.charset.clone(),
            resp.body,
            resp.validators,
        );
        let parsed = self
            .pipeline
            .extract(move || crate::feed::parse_feed(&body, charset.as_deref(), &at, now))
            .await
            .map_err(|e| PollError::Parse(format!("feed reader failed: {e}")))?;
        let Ok(parsed) = parsed else {
            return Ok(None);
        };
        gathered.changed = true;
        gathered.files.push((
            url.to_string(),
            SourceFile {
                validators: file_validators,
                lastmod: None,
            },
        ));
        let horizon = horizon_of(site, now);
        let mut items: Vec<FeedItem> = parsed
            .items
            .into_iter()
            .filter(|i| {
                i.published
                    .or(i.updated)
                    .is_none_or(|d| d.with_timezone(&Utc) >= horizon)
            })
            .collect();
        // Oldest first, as a feed's items are written; the budget keeps the newest.
        let extra = items.len().saturating_sub(site.max_pages);
        items.drain(..extra);
        Ok(Some(items))
    }

    /// Reads a listing page, and its next pages up to `listing_depth`, into `reading`: the
    /// article links the archive does not know, in page order. Returns the error when the
    /// first page could not be had.
    async fn read_listing(
        &self,
        feed: &FeedConfig,
        site: &SiteSource,
        first: &Url,
        reading: &mut Reading,
        gathered: &mut Gathered,
    ) -> Result<Option<FetchError>, PollError> {
        let mut scope = Scope::new(&feed.url);
        if let Some(host) = first.host_str() {
            scope = scope.allow_host(host);
        }
        let mut url = first.clone();
        for depth in 0..=site.listing_depth {
            // Only the first page is asked conditionally: an unchanged first page means
            // nothing new further on.
            let validators = (depth == 0)
                .then(|| gathered.known_files.get(url.as_str()))
                .flatten()
                .map(|f| f.validators.clone());
            let fetched = self
                .unless_stopped(self.fetcher.get(&url, Purpose::Page, validators.as_ref()))
                .await?;
            let resp = match fetched {
                Ok(Fetched::NotModified { .. }) => {
                    tracing::debug!(feed = %feed.name, url = %url, "listing page unchanged");
                    break;
                }
                Ok(Fetched::Body(resp)) => resp,
                Err(FetchError::Deferred { host, until }) => {
                    return Err(PollError::deferred(&host, &until));
                }
                Err(e) if depth == 0 => return Ok(Some(e)),
                Err(e) => {
                    tracing::warn!(feed = %feed.name, url = %url, error = %e, "next page of a listing not read");
                    break;
                }
            };
            gathered.changed = true;
            if depth == 0 {
                gathered.files.push((
                    url.to_string(),
                    SourceFile {
                        validators: resp.validators.clone(),
                        lastmod: None,
                    },
                ));
            }
            let (page_url, charset, body) = (resp.url.clone(), resp.charset.clone(), resp.body);
            let (scope, pattern, learned) = (
                scope.clone(),
                site.article_pattern.clone(),
                gathered.learned.clone(),
            );
            let harvest = self
                .pipeline
                .extract(move || {
                    let html = crate::fetch::decode_html_owned(body, charset.as_deref());
                    listing::harvest(&html, &page_url, &scope, pattern.as_ref(), &learned)
                })
                .await
                .map_err(|e| PollError::Parse(format!("listing reader failed: {e}")))?;
            gathered.article_links += harvest.articles.len();
            for j in &harvest.articles {
                tracing::info!(feed = %feed.name, listing = %url, url = %j.url, score = j.score, why = %j.why, "listed link taken as an article");
            }
            for j in &harvest.others {
                tracing::debug!(feed = %feed.name, listing = %url, url = %j.url, score = j.score, why = %j.why, "listed link passed by");
            }
            let keys: Vec<String> = harvest
                .articles
                .iter()
                .map(|j| dedup::url_key(&j.url))
                .collect();
            let (feed_id, retry_from) = (reading.feed_id, reading.retry_from);
            let known = self
                .db(move |s| s.known_keys(feed_id, &keys, retry_from))
                .await?;
            let mut fresh = 0;
            for (j, known) in harvest.articles.into_iter().zip(known) {
                if !known {
                    fresh += 1;
                    reading.newest.offer(sitemap::Page {
                        url: j.url,
                        lastmod: None,
                        news: None,
                        images: Vec::new(),
                        videos: Vec::new(),
                    });
                }
            }
            // A page whose articles are all archived is where earlier polls got to: the
            // pages after it are older still.
            if fresh == 0 {
                break;
            }
            match harvest.next {
                Some(next) if next != url => url = next,
                _ => break,
            }
        }
        Ok(None)
    }

    /// Adds what this poll's pages showed (which listed addresses were articles) to what
    /// the source remembers, so the next poll judges links of the same shapes by it.
    pub(super) async fn learn(
        &self,
        feed_id: i64,
        seen: Vec<(Url, bool)>,
        now: DateTime<Utc>,
    ) -> Result<(), PollError> {
        if seen.is_empty() {
            return Ok(());
        }
        self.db(move |s| {
            let mut learned: Learned = s
                .site_memory(feed_id)?
                .and_then(|m| m.pattern)
                .and_then(|p| serde_json::from_str(&p).ok())
                .unwrap_or_default();
            for (url, article) in &seen {
                learned.note(url, *article);
            }
            match serde_json::to_string(&learned) {
                Ok(pattern) => s.remember_pattern(feed_id, &pattern, now),
                Err(_) => Ok(()),
            }
        })
        .await?;
        Ok(())
    }

    /// The sitemaps to start from, and whether they are what an earlier poll found.
    async fn sitemap_roots(
        &self,
        feed: &FeedConfig,
        site: &SiteSource,
        memory: Option<&SiteMemory>,
    ) -> (Vec<File>, bool) {
        let root = |url: Url, probe| File {
            url,
            depth: 0,
            lastmod: None,
            probe,
            parent: None,
        };
        if !site.sitemaps.is_empty() {
            let roots = site.sitemaps.iter().map(|u| root(u.clone(), false));
            return (roots.collect(), false);
        }
        if let Some(SiteMemory {
            way: SiteWay::Sitemaps(urls),
            ..
        }) = memory
        {
            return (urls.iter().map(|u| root(u.clone(), false)).collect(), true);
        }
        let named = self.fetcher.robots_sitemaps(&feed.url).await;
        let from_robots = !named.is_empty();
        let roots = sitemap::candidates(&feed.url, &named)
            .into_iter()
            .enumerate()
            // robots.txt's own lines are the site's word; the usual places are only tried
            // when it says nothing.
            .filter(|(i, _)| !from_robots || *i < named.len())
            .map(|(_, u)| root(u, !from_robots))
            .collect();
        (roots, false)
    }

    /// Fetches one sitemap file and reads it as it arrives; gives `reading` back.
    async fn read_sitemap(
        &self,
        url: &Url,
        validators: Option<crate::fetch::Validators>,
        mut reading: Reading,
        scope: &Scope,
        limits: &Limits,
        now: DateTime<Utc>,
    ) -> Result<(Result<Fetched, FetchError>, Reading, sitemap::Summary), PollError> {
        // A few chunks in the channel: the download waits for the reader, not the other
        // way round, so memory is the reader's and these.
        let (tx, rx) = mpsc::channel::<bytes::Bytes>(4);
        let base = url.clone();
        let (scope, read_limits) = (scope.clone(), limits.clone());
        let reader = tokio::task::spawn_blocking(move || {
            let input = BufReader::with_capacity(64 * 1024, Chunks::new(rx));
            let summary = sitemap::read(input, &base, &scope, &read_limits, now, |entry| {
                reading.take(entry)
            });
            (reading, summary)
        });
        let fetched = self
            .unless_stopped(self.fetcher.get_streamed(
                url,
                Purpose::Feed,
                validators.as_ref(),
                limits.max_compressed_bytes,
                tx,
            ))
            .await?;
        let (reading, summary) = reader
            .await
            .map_err(|e| PollError::Parse(format!("sitemap reader failed: {e}")))?;
        Ok((fetched, reading, summary))
    }
}

/// What the reading of a site's sitemaps keeps between entries and files.
struct Reading {
    feed_id: i64,
    horizon: DateTime<Utc>,
    retry_from: DateTime<Utc>,
    newest: Newest,
    /// Listed pages in range, not yet checked against the archive.
    pending: Vec<sitemap::Page>,
    /// The current index's children.
    children: Vec<Child>,
    store: Arc<Mutex<Store>>,
    error: Option<StoreError>,
}

impl Reading {
    fn take(&mut self, entry: Entry) -> ControlFlow<()> {
        match entry {
            Entry::Sitemap(child) => {
                if self.children.len() < MAX_CHILDREN_LISTED {
                    self.children.push(child);
                }
            }
            Entry::Page(page) => {
                if page
                    .date()
                    .is_some_and(|d| d.with_timezone(&Utc) < self.horizon)
                {
                    return ControlFlow::Continue(());
                }
                self.pending.push(page);
                if self.pending.len() >= CHUNK {
                    return self.sift();
                }
            }
        }
        ControlFlow::Continue(())
    }

    /// Offers the pending pages the archive does not know to the newest kept.
    fn sift(&mut self) -> ControlFlow<()> {
        if self.pending.is_empty() {
            return ControlFlow::Continue(());
        }
        let pages = std::mem::take(&mut self.pending);
        let keys: Vec<String> = pages.iter().map(|p| dedup::url_key(&p.url)).collect();
        // This runs on a blocking thread, so it may wait for the writer's turn.
        let known = {
            let store = self.store.lock().unwrap_or_else(|p| p.into_inner());
            store.known_keys(self.feed_id, &keys, self.retry_from)
        };
        match known {
            Ok(known) => {
                for (page, known) in pages.into_iter().zip(known) {
                    if !known {
                        self.newest.offer(page);
                    }
                }
                ControlFlow::Continue(())
            }
            Err(e) => {
                self.error = Some(e);
                ControlFlow::Break(())
            }
        }
    }
}

/// A listed page as a feed item: its address is its identity; the Google News title and
/// publication date stand for a feed's, and the page's own say the rest.
fn item_of(page: sitemap::Page) -> FeedItem {
    let published = page
        .news
        .as_ref()
        .and_then(|n| n.publication_date)
        .or_else(|| page.videos.iter().find_map(|v| v.publication_date));
    FeedItem {
        guid: page.url.to_string(),
        title: page.news.and_then(|n| n.title),
        link: Some(page.url),
        author: None,
        published,
        updated: None,
        summary_text: None,
        summary_html: None,
        anchored: false,
    }
}

/// A body arriving in chunks over a channel, read on a blocking thread.
struct Chunks {
    rx: mpsc::Receiver<bytes::Bytes>,
    current: bytes::Bytes,
}

impl Chunks {
    fn new(rx: mpsc::Receiver<bytes::Bytes>) -> Chunks {
        Chunks {
            rx,
            current: bytes::Bytes::new(),
        }
    }
}

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.current = chunk,
                // The sender is gone: the body ended (or the download failed, which the
                // fetch's own result says).
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_read_as_one_stream_and_end_when_the_sender_goes() {
        let (tx, rx) = mpsc::channel(4);
        let sender = std::thread::spawn(move || {
            for part in [
                "<urlset>",
                "<url><loc>",
                "https://a.example/x</loc></url>",
                "</urlset>",
            ] {
                tx.blocking_send(bytes::Bytes::from(part)).unwrap();
            }
        });
        let mut text = String::new();
        BufReader::new(Chunks::new(rx))
            .read_to_string(&mut text)
            .unwrap();
        sender.join().unwrap();
        assert_eq!(
            text,
            "<urlset><url><loc>https://a.example/x</loc></url></urlset>"
        );
    }

    #[test]
    fn a_listed_page_is_an_item_named_by_its_address_with_the_news_title_and_date() {
        let url = Url::parse("https://kaltimtoday.co/2024/11/20/bimtek-kutim").unwrap();
        let date = DateTime::parse_from_rfc3339("2024-11-20T10:15:00+08:00").unwrap();
        let page = sitemap::Page {
            url: url.clone(),
            lastmod: Some(date + chrono::Duration::days(3)),
            news: Some(sitemap::News {
                title: Some("Bimtek aparatur Kutim".into()),
                publication_date: Some(date),
                ..Default::default()
            }),
            images: Vec::new(),
            videos: Vec::new(),
        };
        let item = item_of(page);
        assert_eq!(item.guid, url.as_str());
        assert_eq!(item.link, Some(url));
        assert_eq!(item.title.as_deref(), Some("Bimtek aparatur Kutim"));
        // lastmod is an edit time, not when the story appeared: the page's own date decides.
        assert_eq!((item.published, item.updated), (Some(date), None));
    }
}
