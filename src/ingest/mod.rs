//! One poll of one feed, start to finish: the recipe that calls the stages in order.
//!
//! 1. conditional GET of the feed with the stored validators (a 304 parses nothing);
//! 2. parse it into items, oldest first;
//! 3. per item, cheap before dear: an item this feed gave before is skipped; an item whose
//!    URL is already archived becomes another place of that article, unfetched;
//! 4. fetch and extract the remaining pages (the fetcher keeps the politeness rules);
//!    a page that fails leaves the item archived from the feed's own text, marked, and
//!    its page is tried again on later polls;
//! 5. write everything in one transaction; the store makes the final dedup decision;
//! 6. report what happened.

mod page;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use url::Url;

use crate::config::{Config, FeedConfig};
use crate::dedup;
use crate::feed::{self, FeedItem};
use crate::fetch::{FetchError, Fetched, Fetcher, Purpose};
use crate::model::ArticleId;
use crate::model::FeedName;
use crate::schedule;
use crate::store::{
    ItemOutcome, ItemWrite, PollWrite, RetryWrite, RevisionWrite, Store, StoreError, Timing,
};

pub use page::{PageFetch, PageResult, feed_text_content};

/// Everything a poll needs, shared by all polls of a run.
pub struct Ingest {
    pub config: Arc<Config>,
    pub fetcher: Fetcher,
    pub store: Arc<Mutex<Store>>,
    /// Poll feeds that are gone and hosts that asked us to wait (`fetch --force`).
    force: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollStatus {
    Ok,
    NotModified,
    Failed(String),
    /// Not polled this time, and why (a host asked us to wait, the feed is gone).
    Skipped(String),
}

impl PollStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            PollStatus::Ok => "ok",
            PollStatus::NotModified => "not-modified",
            PollStatus::Failed(_) => "failed",
            PollStatus::Skipped(_) => "skipped",
        }
    }
}

#[derive(Debug, Clone)]
pub struct FeedReport {
    pub feed: FeedName,
    pub status: PollStatus,
    /// Items in the feed.
    pub items: usize,
    /// New articles archived.
    pub new: usize,
    /// Items recognised as an archived article (another URL, another feed, the same body).
    pub duplicate: usize,
    /// Pages that could not be fetched or gave no body; their items are archived from
    /// the feed's text.
    pub failed: usize,
    /// Earlier failed pages fetched successfully this time.
    pub recovered: usize,
    pub repairs: Vec<String>,
    /// The feed's state before and after this poll, when it changed.
    pub state_change: Option<(String, String)>,
    /// The earliest next poll, as the schedule module decided it.
    pub not_before: Option<DateTime<Utc>>,
    /// The poll was abandoned because the archive's disk is full (status `Skipped`).
    pub disk_full: bool,
    failures_before: u32,
}

impl FeedReport {
    fn new(feed: &FeedName) -> Self {
        FeedReport {
            feed: feed.clone(),
            status: PollStatus::Ok,
            items: 0,
            new: 0,
            duplicate: 0,
            failed: 0,
            recovered: 0,
            repairs: Vec::new(),
            state_change: None,
            not_before: None,
            disk_full: false,
            failures_before: 0,
        }
    }
}

/// Pages of earlier polls retried per poll, so a feed with a long backlog of failures does
/// not turn one poll into hundreds of requests.
const RETRIES_PER_POLL: usize = 10;

/// Pages of one article followed at most ("Halaman 2", `?page=2`, …): long enough for
/// any real article, short enough that a pager loop cannot run away.
const MAX_PAGES_PER_ARTICLE: usize = 10;

impl Ingest {
    pub fn new(config: Arc<Config>, store: Store, force: bool) -> Result<Ingest, String> {
        let fetcher = fetcher_for(&config, force)?;
        // Hosts that asked an earlier run to wait are still owed that wait.
        match store.deferred_hosts(Utc::now()) {
            Ok(hosts) => {
                for (host, until) in hosts {
                    fetcher.defer_host(&host, until);
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read hosts that asked us to wait"),
        }
        Ok(Ingest {
            config,
            fetcher,
            store: Arc::new(Mutex::new(store)),
            force,
        })
    }

    /// The same archive, request counters and hosts' asks under a changed config (the
    /// daemon's reload). The new fetcher starts without the old one's per-host clocks; the
    /// daemon runs one poll per host at a time, so at most one gap per host is cut short.
    pub fn reconfigured(&self, config: Arc<Config>) -> Result<Ingest, String> {
        let fetcher = fetcher_for(&config, self.force)?.with_stats(self.fetcher.stats());
        for (host, until) in self.fetcher.deferred_hosts() {
            fetcher.defer_host(&host, until);
        }
        Ok(Ingest {
            config,
            fetcher,
            store: self.store.clone(),
            force: self.force,
        })
    }

    /// Runs `f` on the store off the async threads.
    async fn db<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || {
            let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        {
            Ok(r) => r,
            Err(e) => Err(StoreError::Task(e.to_string())),
        }
    }

    pub async fn db_feed_state(&self, feed_id: i64) -> Result<crate::store::FeedState, StoreError> {
        self.db(move |s| s.feed_state(feed_id)).await
    }

    /// Mirrors the config's feeds into the archive; returns (feed, row id) pairs.
    pub async fn sync_feeds(&self) -> Result<Vec<i64>, StoreError> {
        let feeds = self.config.feeds.clone();
        self.db(move |s| s.sync_feeds(&feeds)).await
    }

    pub async fn poll_feed(
        &self,
        feed: &FeedConfig,
        feed_id: i64,
        now: DateTime<Utc>,
    ) -> FeedReport {
        let started = std::time::Instant::now();
        let mut report = FeedReport::new(&feed.name);
        let interval = schedule::interval(&feed.schedule, now);
        match self.poll(feed, feed_id, now, &mut report).await {
            Ok(()) => {}
            Err(PollError::Skip(why)) => report.status = PollStatus::Skipped(why),
            // Not the feed's fault: no failure counted, no backoff; the next tick retries.
            Err(PollError::Store(e)) if e.is_disk_full() => {
                report.disk_full = true;
                report.status = PollStatus::Skipped(format!(
                    "{e}; the poll is abandoned and retried on its next tick"
                ));
            }
            Err(e) => {
                let gone = matches!(&e, PollError::Fetch(FetchError::Status { status: 410, .. }));
                let retry_after = match &e {
                    PollError::Fetch(FetchError::Status { retry_after, .. }) => *retry_after,
                    _ => None,
                };
                let failures = report.failures_before + 1;
                let not_before = schedule::not_before(
                    now,
                    schedule::Outcome::Failure(failures),
                    interval,
                    retry_after,
                    feed.name.as_str(),
                );
                let timing = Timing {
                    not_before,
                    next_poll: schedule::next_poll(&feed.schedule, now, not_before),
                };
                report.not_before = Some(not_before);
                let msg = e.to_string();
                match self
                    .db({
                        let msg = msg.clone();
                        move |s| s.record_failure(feed_id, now, &msg, gone, timing)
                    })
                    .await
                {
                    Ok(change) => report.state_change = change,
                    Err(se) => {
                        tracing::error!(feed = %feed.name, error = %se, "cannot record the failed poll")
                    }
                }
                report.status = PollStatus::Failed(msg);
            }
        }
        let deferred = self.fetcher.deferred_hosts();
        if !deferred.is_empty()
            && let Err(e) = self.db(move |s| s.save_deferred_hosts(&deferred)).await
        {
            tracing::error!(error = %e, "cannot record hosts that asked us to wait");
        }
        match &report.state_change {
            // A feed's first good poll, or a recovery, is news but not a warning.
            Some((from, to)) if to.as_str() == "ok" => {
                tracing::info!(feed = %feed.name, from = %from, to = %to, "feed changed state")
            }
            Some((from, to)) => {
                tracing::warn!(feed = %feed.name, from = %from, to = %to, "feed changed state")
            }
            None => {}
        }
        tracing::info!(
            feed = %feed.name,
            status = report.status.as_str(),
            new = report.new,
            duplicate = report.duplicate,
            failed = report.failed,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "poll done"
        );
        report
    }

    async fn poll(
        &self,
        feed: &FeedConfig,
        feed_id: i64,
        now: DateTime<Utc>,
        report: &mut FeedReport,
    ) -> Result<(), PollError> {
        let state = self.db(move |s| s.feed_state(feed_id)).await?;
        report.failures_before = state.consecutive_failures;
        if state.state == "gone" && !self.force {
            return Err(PollError::Skip(
                "the feed is gone (HTTP 410); remove it from the config, or fetch --force to try it again".into(),
            ));
        }
        // A feed that moved for good is followed to its new address.
        let url = state
            .moved_to
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
            .unwrap_or_else(|| feed.url.clone());
        let fetched = match self
            .fetcher
            .get(&url, Purpose::Feed, Some(&state.validators))
            .await
        {
            Err(FetchError::Deferred { host, until }) => {
                return Err(PollError::Skip(format!(
                    "{host} asked us to wait until {until}; use --force to fetch anyway"
                )));
            }
            other => other?,
        };
        let mut publisher_ask = None;
        let mut redirect = None;
        let (items, validators) = match fetched {
            Fetched::NotModified => (Vec::new(), None),
            Fetched::Body(resp) => {
                if resp.truncated {
                    report
                        .repairs
                        .push("feed cut off at fetch.max_body".to_string());
                }
                let url = resp.url.clone();
                let charset = resp.charset.clone();
                let body = resp.body;
                let parsed = tokio::task::spawn_blocking(move || {
                    feed::parse_feed(&body, charset.as_deref(), &url, now)
                })
                .await
                .map_err(|e| PollError::Parse(format!("parser task failed: {e}")))?
                .map_err(|e| PollError::Parse(e.to_string()))?;
                for r in &parsed.repairs {
                    tracing::debug!(feed = %feed.name, repair = %r, "feed repaired");
                }
                report.repairs.extend(parsed.repairs);
                publisher_ask = parsed.poll_hint.max(resp.fresh_for);
                redirect = resp.moved_to.map(|u| u.to_string());
                (parsed.items, Some(resp.validators))
            }
        };
        if validators.is_none() {
            report.status = PollStatus::NotModified;
        }
        report.items = items.len();

        let (writes, revisions) = self
            .items_to_writes(feed, feed_id, items, now, report)
            .await?;
        let retries = self.retry_pending(feed, feed_id, now, report).await?;
        let not_before = schedule::not_before(
            now,
            schedule::Outcome::Success,
            schedule::interval(&feed.schedule, now),
            publisher_ask,
            feed.name.as_str(),
        );
        report.not_before = Some(not_before);
        let poll = PollWrite {
            feed_id,
            now,
            validators,
            items: writes,
            retries,
            revisions,
            timing: Timing {
                not_before,
                next_poll: schedule::next_poll(&feed.schedule, now, not_before),
            },
            redirect,
        };
        let outcome = self.db(move |s| s.apply_poll(&poll)).await?;
        report.state_change = outcome.state;
        for o in outcome.items {
            match o {
                ItemOutcome::New(_) => report.new += 1,
                ItemOutcome::Duplicate(_) => report.duplicate += 1,
                ItemOutcome::Seen | ItemOutcome::Skipped => {}
            }
        }
        Ok(())
    }

    async fn items_to_writes(
        &self,
        feed: &FeedConfig,
        feed_id: i64,
        items: Vec<FeedItem>,
        now: DateTime<Utc>,
        report: &mut FeedReport,
    ) -> Result<(Vec<ItemWrite>, Vec<RevisionWrite>), PollError> {
        // Decide per item, in feed order, what it needs.
        let mut plans: Vec<(FeedItem, Plan)> = Vec::with_capacity(items.len());
        let mut revisions = Vec::new();
        let mut keys_this_poll = HashSet::new();
        for item in items {
            let guid = item.guid.clone();
            if let Some((article_id, stored)) =
                self.db(move |s| s.item_revision(feed_id, &guid)).await?
            {
                if is_newer(item.updated.or(item.published), stored.as_deref()) {
                    revisions.push(self.revise(feed, article_id, &item, now).await);
                }
                continue;
            }
            let key = item.link.as_ref().map(dedup::url_key);
            let known = match &key {
                Some(k) if keys_this_poll.contains(k) => true,
                Some(k) => {
                    let k = k.clone();
                    self.db(move |s| s.article_by_key(&k)).await?.is_some()
                }
                None => false,
            };
            if let Some(k) = key {
                keys_this_poll.insert(k);
            }
            let plan = if known {
                Plan::Known
            } else if feed.full_text && item.link.is_some() {
                Plan::Fetch
            } else {
                Plan::FeedText
            };
            plans.push((item, plan));
        }

        // Fetch the pages; the fetcher spaces requests per host and caps them globally,
        // so all of them can be handed to it at once.
        let concurrency = self.config.fetch.concurrency.max(1);
        let to_fetch: Vec<(usize, Url)> = plans
            .iter()
            .enumerate()
            .filter_map(|(i, (item, plan))| match (plan, &item.link) {
                (Plan::Fetch, Some(link)) => Some((i, link.clone())),
                _ => None,
            })
            .collect();
        let mut fetched: HashMap<usize, PageResult> = futures_util::stream::iter(
            to_fetch
                .into_iter()
                .map(|(i, link)| async move { (i, self.fetch_page(feed, &link, now).await) }),
        )
        .buffer_unordered(concurrency)
        .collect()
        .await;

        let mut writes = Vec::with_capacity(plans.len());
        for (i, (item, plan)) in plans.into_iter().enumerate() {
            let link_str = item
                .link
                .as_ref()
                .map(|l| l.to_string())
                .unwrap_or_else(|| feed.url.to_string());
            let mut keys: Vec<String> = item.link.iter().map(dedup::url_key).collect();
            let content = match plan {
                Plan::Known => None,
                Plan::FeedText => Some(feed_text_content(
                    &item,
                    feed,
                    if feed.full_text {
                        "the feed item has no link"
                    } else {
                        "full_text = false"
                    },
                    false,
                )),
                Plan::Fetch => match fetched.remove(&i) {
                    Some(PageResult::Extracted {
                        content,
                        keys: more,
                    }) => {
                        keys.extend(more);
                        Some(page::merge_feed_metadata(*content, &item, feed))
                    }
                    Some(PageResult::Unusable { reason, retry }) => {
                        report.failed += 1;
                        tracing::warn!(feed = %feed.name, url = %link_str, reason = %reason, "page not archived; keeping the feed's text");
                        Some(feed_text_content(&item, feed, &reason, retry))
                    }
                    None => Some(feed_text_content(&item, feed, "page not fetched", true)),
                },
            };
            keys.sort();
            keys.dedup();
            writes.push(ItemWrite {
                guid: item.guid.clone(),
                link: link_str,
                keys,
                published: item.published.or(item.updated),
                revision: item.updated.or(item.published),
                content,
            });
        }
        Ok((writes, revisions))
    }

    /// The article's text as it is now, for an item the publisher revised.
    async fn revise(
        &self,
        feed: &FeedConfig,
        article_id: ArticleId,
        item: &FeedItem,
        now: DateTime<Utc>,
    ) -> RevisionWrite {
        let revision = item.updated.or(item.published);
        let content = match (&item.link, feed.full_text) {
            (Some(link), true) => match self.fetch_page(feed, link, now).await {
                PageResult::Extracted { content, keys } => {
                    Some((keys, page::merge_feed_metadata(*content, item, feed)))
                }
                PageResult::Unusable { reason, .. } => {
                    tracing::warn!(feed = %feed.name, url = %link, reason = %reason, "revised page not fetched; the archived text stays");
                    None
                }
            },
            _ => Some((
                Vec::new(),
                feed_text_content(item, feed, "full_text = false", false),
            )),
        };
        RevisionWrite {
            guid: item.guid.clone(),
            article_id,
            revision,
            content,
        }
    }

    async fn retry_pending(
        &self,
        feed: &FeedConfig,
        feed_id: i64,
        now: DateTime<Utc>,
        report: &mut FeedReport,
    ) -> Result<Vec<RetryWrite>, PollError> {
        if !feed.full_text {
            return Ok(Vec::new());
        }
        let pending = self
            .db(move |s| s.pending_pages(feed_id, RETRIES_PER_POLL, now))
            .await?;
        let mut retries = Vec::with_capacity(pending.len());
        for p in pending {
            let Ok(url) = Url::parse(&p.url) else {
                continue;
            };
            let result = match self.fetch_page(feed, &url, now).await {
                PageResult::Extracted { content, keys } => {
                    report.recovered += 1;
                    Ok((keys, *content))
                }
                PageResult::Unusable { reason, .. } => Err(reason),
            };
            retries.push(RetryWrite {
                article_id: p.article_id,
                result,
            });
        }
        Ok(retries)
    }

    /// Fetches an article's page, and the pages it continues on, through the polite
    /// fetcher, and assembles the article.
    async fn fetch_page(&self, feed: &FeedConfig, link: &Url, now: DateTime<Utc>) -> PageResult {
        let first = match self.fetch_one(feed, link, now).await {
            Ok(p) => p,
            Err(unusable) => return unusable,
        };
        let mut seen: HashSet<String> =
            HashSet::from([dedup::url_key(link), dedup::url_key(&first.url)]);
        let mut pages = vec![first];
        while pages.len() < MAX_PAGES_PER_ARTICLE {
            let Some(next) = pages
                .last()
                .and_then(|p| p.found.next_page.as_deref())
                .and_then(|n| Url::parse(n).ok())
                .filter(|n| dedup::same_site(n, link) && seen.insert(dedup::url_key(n)))
            else {
                break;
            };
            match self.fetch_one(feed, &next, now).await {
                Ok(p) if !p.found.body_text.trim().is_empty() && p.found.not_article.is_none() => {
                    pages.push(p)
                }
                // The pages so far are still the article's beginning; keep them.
                Ok(_) | Err(_) => {
                    tracing::warn!(feed = %feed.name, url = %next, "next page of an article could not be used");
                    break;
                }
            }
        }
        let keep_raw = self.config.archive.keep_raw_html;
        tokio::task::spawn_blocking(move || page::assemble(pages, keep_raw))
            .await
            .unwrap_or_else(|e| PageResult::Unusable {
                reason: format!("extraction failed: {e}"),
                retry: false,
            })
    }

    async fn fetch_one(
        &self,
        feed: &FeedConfig,
        link: &Url,
        now: DateTime<Utc>,
    ) -> Result<PageFetch, PageResult> {
        match self.fetcher.get(link, Purpose::Page, None).await {
            Ok(Fetched::Body(resp)) => {
                let rules = feed.extract.clone();
                let link = link.clone();
                tokio::task::spawn_blocking(move || {
                    page::read_page(*resp, &link, rules.as_deref(), now)
                })
                .await
                .unwrap_or_else(|e| {
                    Err(PageResult::Unusable {
                        reason: format!("extraction failed: {e}"),
                        retry: false,
                    })
                })
            }
            Ok(Fetched::NotModified) => Err(PageResult::Unusable {
                reason: format!("{link} answered 304 to an unconditional request"),
                retry: true,
            }),
            // A 404 is worth another try too: sites often list an item in the feed
            // before its page is published. Only a refusal is final.
            Err(e) => Err(PageResult::Unusable {
                retry: !matches!(e, FetchError::Refused { .. } | FetchError::Robots { .. }),
                reason: e.to_string(),
            }),
        }
    }
}

fn fetcher_for(config: &Config, force: bool) -> Result<Fetcher, String> {
    let mut fetcher = Fetcher::new(&config.fetch)?.with_force(force);
    for f in &config.feeds {
        if let Some(d) = f.per_host_delay {
            fetcher = fetcher.with_host_delay(&f.url, d);
        }
    }
    Ok(fetcher)
}

/// Whether an item's revision time is later than the one recorded for it. An item with
/// no recorded time that now has one counts as unchanged: the time is simply recorded.
fn is_newer(now_seen: Option<chrono::DateTime<chrono::FixedOffset>>, stored: Option<&str>) -> bool {
    match (
        now_seen,
        stored.and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()),
    ) {
        (Some(new), Some(old)) => new > old,
        _ => false,
    }
}

enum Plan {
    /// Already archived under this URL: record the place only.
    Known,
    Fetch,
    FeedText,
}

#[derive(Debug, thiserror::Error)]
enum PollError {
    #[error("{0}")]
    Fetch(#[from] FetchError),
    #[error("{0}")]
    Parse(String),
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Not an error of the feed: the poll was not made, for this reason.
    #[error("{0}")]
    Skip(String),
}
