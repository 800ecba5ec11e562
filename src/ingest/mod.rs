//! One poll of one feed, start to finish: the recipe that calls the stages in order.
//!
//! 1. conditional GET of the feed with the stored validators (a 304 parses nothing);
//! 2. parse it into items, oldest first;
//! 3. per item, cheap before dear: an item this feed gave before is skipped; an item whose
//!    URL is already archived becomes another place of that article, unfetched;
//! 4. fetch and extract the remaining pages (the fetcher keeps the politeness rules);
//!    a page that fails leaves the item archived from the feed's own text, marked, and
//!    its page is tried again on later polls;
//!    the whole process holds at most [`page_budget`] pages at once, from before a page's
//!    request until its commit, whatever the number or size of the feeds polled: a poll
//!    waits for a place instead of buffering, and extraction runs on as many threads as
//!    there are cores (see [`Pipeline`]);
//! 5. write as pages come in, a few pages or a second at a time, each batch one
//!    transaction with whatever other polls' batches wait for the writer at that moment
//!    (the store makes the final dedup decision inside it); the last one also
//!    advances the feed's state (validators, schedule), so a poll cut short (Ctrl-C, a
//!    kill) keeps its finished pages and is polled again in full next time: items already
//!    written are recognised by their GUID and the rest are taken up;
//! 6. after the feed's own items, its earlier failed pages are tried again and its archived
//!    pages that are due are fetched again (`revisit.rs`: revisions, takedowns), each within
//!    a budget;
//! 7. report what happened.

mod claims;
mod page;
mod revisit;
mod share;
mod site;

use std::collections::{HashMap, HashSet};

use claims::{Claim, Claims};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use futures_util::{FutureExt, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

/// Extraction threads keep their page-sized blocks for the next page (`crate::alloc`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
use crate::alloc::recycling;
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn recycling<T>(f: impl FnOnce() -> T) -> T {
    f()
}
use url::Url;

use crate::config::{Config, FeedConfig};
use crate::dedup;
use crate::feed::{self, FeedItem};
use crate::fetch::{Cause, FetchError, Fetched, Fetcher, Hop, MAX_REDIRECTS, Purpose};
use crate::model::ArticleId;
use crate::model::FeedName;
use crate::schedule;
use crate::store::{
    CheckOutcome, Content, ItemOutcome, ItemWrite, PollWrite, RetryWrite, RevisionWrite,
    SiteUrlWrite, Store, StoreError, Timing, UrlVerdict, Work,
};

pub use revisit::RevisitBudget;
pub use site::SitePreview;

pub use page::{
    PageFetch, PageResult, assemble, body_fingerprint, feed_text_content, read_page, with_stems,
};

/// Everything a poll needs, shared by all polls of a run.
pub struct Ingest {
    pub config: Arc<Config>,
    pub fetcher: Fetcher,
    pub store: Arc<Mutex<Store>>,
    pipeline: Pipeline,
    /// Poll feeds that are gone and hosts that asked us to wait (`fetch --force`).
    force: bool,
    /// Skip a feed whose publisher asked not to be polled yet (`warta fetch`; the daemon
    /// schedules by the same ask instead).
    publisher_hints: bool,
    /// Turns true when the run is to stop (Ctrl-C, SIGTERM): polls write what they have
    /// and return [`PollStatus::Interrupted`].
    stop: watch::Receiver<bool>,
    observer: Option<Observer>,
    /// The share of requests revisits may take, over the run (kept across reloads).
    revisits: Arc<RevisitBudget>,
    /// Feeds' leases and hosts' turns among the daemons of a shared (PostgreSQL) archive.
    share: Option<Arc<share::Share>>,
    /// A daemon: a feed another daemon polled within half its interval is not polled
    /// again for the same tick.
    scheduled: bool,
}

/// The process's bounds on page work, shared by every poll of a run (and kept across a
/// daemon's reloads): memory stays flat in the number and size of feeds.
#[derive(Clone)]
struct Pipeline {
    /// Places for pages in hand: one is taken before a page's request and given back when
    /// the page is committed (or dropped), so raw HTML, extracted text and the batch that
    /// waits for its commit all count.
    pages: Arc<Semaphore>,
    /// Extractions running at once: parsing is CPU work, and many more threads than cores
    /// only add parsed documents in memory, not speed.
    extractors: Arc<Semaphore>,
    /// The store's turn, awaited before a blocking thread is taken: polls waiting for the
    /// writer then hold no thread (there were ~90 threads at once, contending for the
    /// allocator's two arenas), and extraction never queues behind them on the pool.
    store_turn: Arc<Semaphore>,
    /// Pages in hand by URL key, so that no two polls fetch one page at once.
    claims: Claims,
    /// Batches handed to the writer and not yet written. Whichever poll gets the store's
    /// turn writes every batch waiting here in one transaction (their pages keep their
    /// places until then, so this holds no more than the page budget).
    queued: Arc<Mutex<Vec<Queued>>>,
}

/// A poll's batch waiting for the writer, and where its outcome goes.
struct Queued {
    feed_id: i64,
    now: DateTime<Utc>,
    work: Work,
    /// The budget places of the batch's pages, held only to be given back (dropped) once
    /// it is committed.
    _places: Vec<OwnedSemaphorePermit>,
    /// The claims on its pages: polls waiting for them find them archived once they go.
    _claims: Vec<Claim>,
    done: tokio::sync::oneshot::Sender<Result<Vec<ItemOutcome>, StoreError>>,
}

type Written = tokio::sync::oneshot::Receiver<Result<Vec<ItemOutcome>, StoreError>>;

/// Pages held at once by a process: the requests in flight, the pages waiting for an
/// extraction thread or held for feed order, and the batches waiting for their commit.
/// Enough for `concurrency` requests and a few batches besides; at pages of ~200 KB it is
/// a few tens of MiB.
pub fn page_budget(concurrency: usize) -> usize {
    (concurrency.max(1) + 4 * cores()).max(48)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

impl Pipeline {
    fn new(concurrency: usize) -> Pipeline {
        Pipeline {
            pages: Arc::new(Semaphore::new(page_budget(concurrency))),
            // One more than the cores: an extraction thread also waits (for its page's
            // memory, for the scheduler while the writer and the network threads run), and
            // with exactly one a core the cores sat idle a quarter of the time. Measured on
            // the side-by-side bench: 5.7 s with 2 on 2 cores, 5.1–5.4 s with 3, no more
            // memory (the page budget bounds what is held, not this).
            extractors: Arc::new(Semaphore::new(cores() + 1)),
            store_turn: Arc::new(Semaphore::new(1)),
            claims: Claims::default(),
            queued: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// A place for one more page; None only if the budget was closed, which it never is.
    async fn place(&self) -> Option<OwnedSemaphorePermit> {
        self.pages.clone().acquire_owned().await.ok()
    }

    /// The store's turn (see `store_turn`), held while the permit lives.
    async fn store_turn(&self) -> Result<tokio::sync::SemaphorePermit<'_>, StoreError> {
        self.store_turn
            .acquire()
            .await
            .map_err(|e| StoreError::Task(e.to_string()))
    }

    fn starved(&self) -> bool {
        self.pages.available_permits() == 0
    }

    /// Runs CPU-bound parsing (a feed, a page) on the blocking pool, one task per core at most.
    async fn extract<T, F>(&self, work: F) -> Result<T, String>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let _slot = self.extractors.acquire().await.map_err(|e| e.to_string())?;
        tokio::task::spawn_blocking(move || recycling(work))
            .await
            .map_err(|e| e.to_string())
    }
}

/// Makes the C allocator give page-sized buffers back. glibc keeps an arena per thread
/// (up to eight per core) and, after a large block is freed, raises the size from which it
/// maps blocks on their own; page bodies (hundreds of KiB) received on one thread and freed
/// on another then stay resident as fragments in every arena. Measured on `ingest_memory`:
/// peak RSS 190 → 58 MiB for one 2,000-page feed, 573 → under 150 MiB for 200 feeds.
/// With page-sized blocks mapped on their own, arenas hold only small blocks, so they can
/// be as many as the threads that allocate (async workers, the writer, the extractors):
/// two arenas for them cost a tenth of `warta fetch`'s CPU in lock waits and wake-ups.
/// The extraction threads keep some of their mapped blocks for the next page instead
/// (`crate::alloc`). Called once at start, before any thread exists.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called before other threads start.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 8);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 * 1024);
    }
}

/// Told of each page fetched and each batch of new articles written: what a progress bar
/// shows.
pub type Observer = Arc<dyn Fn(Event) + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// An article page was fetched (and extracted, or found unusable).
    Page,
    /// This many new articles were committed.
    Stored(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollStatus {
    Ok,
    NotModified,
    Failed(String),
    /// Not polled this time, and why (a host asked us to wait, the feed is gone).
    Skipped(String),
    /// Stopped by a signal before the end: finished pages are stored, the feed's state is
    /// unchanged.
    Interrupted,
}

impl PollStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            PollStatus::Ok => "ok",
            PollStatus::NotModified => "not-modified",
            PollStatus::Failed(_) => "failed",
            PollStatus::Skipped(_) => "skipped",
            PollStatus::Interrupted => "interrupted",
        }
    }

    /// Whether the feed was polled to an end, good or bad.
    pub fn polled(&self) -> bool {
        !matches!(self, PollStatus::Skipped(_) | PollStatus::Interrupted)
    }
}

#[derive(Debug, Clone)]
pub struct FeedReport {
    pub feed: FeedName,
    /// The politeness key of the feed's host.
    pub host: String,
    pub status: PollStatus,
    /// When the poll failed on the way to the host (DNS, connection, timeout, TLS).
    pub cause: Option<Cause>,
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
    /// Pages not fetched because the poll was interrupted: the next poll takes them up.
    pub left: usize,
    /// Archived pages fetched again (`[revisit]`), and how many of those were found taken
    /// down this time.
    pub revisited: usize,
    pub taken_down: usize,
    /// Revisits were due but the share of requests they may take was spent.
    pub revisits_deferred: bool,
    pub repairs: Vec<String>,
    /// The feed's state before and after this poll, when it changed.
    pub state_change: Option<(String, String)>,
    /// The earliest next poll, as the schedule module decided it.
    pub not_before: Option<DateTime<Utc>>,
    /// The feed publishes faster than its schedule: poll it again then, before its next
    /// scheduled tick (`schedule::adapted`).
    pub sooner: Option<DateTime<Utc>>,
    /// The poll was abandoned because the archive's disk is full (status `Skipped`).
    pub disk_full: bool,
    failures_before: u32,
}

impl FeedReport {
    /// A report of a poll that ended with `status`, nothing counted.
    pub(crate) fn with_status(feed: FeedName, status: PollStatus) -> Self {
        FeedReport {
            feed,
            host: String::new(),
            status,
            cause: None,
            items: 0,
            new: 0,
            duplicate: 0,
            failed: 0,
            recovered: 0,
            left: 0,
            revisited: 0,
            taken_down: 0,
            revisits_deferred: false,
            repairs: Vec::new(),
            state_change: None,
            not_before: None,
            sooner: None,
            disk_full: false,
            failures_before: 0,
        }
    }

    fn new(feed: &FeedConfig) -> Self {
        FeedReport {
            host: crate::fetch::host_key(&feed.url),
            ..FeedReport::with_status(feed.name.clone(), PollStatus::Ok)
        }
    }
}

/// Pages of earlier polls retried per poll, so a feed with a long backlog of failures does
/// not turn one poll into hundreds of requests.
const RETRIES_PER_POLL: usize = 10;

/// A batch is written when it holds this many pages, or [`BATCH_WAIT`] after the last
/// write: few enough that a stop loses little, enough to spare a commit per page.
const BATCH_PAGES: usize = 4;
const BATCH_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Pages of one article followed at most ("Halaman 2", `?page=2`, …): long enough for
/// any real article, short enough that a pager loop cannot run away.
const MAX_PAGES_PER_ARTICLE: usize = 10;

/// Articles fetched again per poll of a feed because its items say they were revised: a
/// feed that re-dates everything at once costs a few pages per poll, not all of them.
const REVISIONS_PER_POLL: usize = 10;

impl Ingest {
    pub fn new(config: Arc<Config>, mut store: Store, force: bool) -> Result<Ingest, String> {
        let share = share::Share::of(&store, config.daemon.lease, config.fetch.timeout)
            .map_err(|e| e.to_string())?;
        let fetcher = shared_hosts(fetcher_for(&config, force)?, share.as_ref());
        let watches = watch_set(&config, &store);
        store.set_watches(watches);
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
            pipeline: Pipeline::new(config.fetch.concurrency),
            revisits: Arc::new(RevisitBudget::new(config.revisit.share)),
            config,
            fetcher,
            store: Arc::new(Mutex::new(store)),
            force,
            publisher_hints: false,
            stop: watch::channel(false).1,
            observer: None,
            share,
            scheduled: false,
        })
    }

    /// The same archive, request counters and hosts' asks under a changed config (the
    /// daemon's reload). The new fetcher starts without the old one's per-host clocks; the
    /// daemon runs one poll per host at a time, so at most one gap per host is cut short.
    pub fn reconfigured(&self, config: Arc<Config>) -> Result<Ingest, String> {
        let fetcher = shared_hosts(fetcher_for(&config, self.force)?, self.share.as_ref())
            .with_stats(self.fetcher.stats());
        self.revisits.set_share(config.revisit.share);
        {
            let mut store = lock(&self.store);
            let watches = watch_set(&config, &store);
            store.set_watches(watches);
        }
        for (host, until) in self.fetcher.deferred_hosts() {
            fetcher.defer_host(&host, until);
        }
        Ok(Ingest {
            config,
            fetcher,
            store: self.store.clone(),
            // One budget for the process, whatever the new config says.
            pipeline: self.pipeline.clone(),
            force: self.force,
            publisher_hints: self.publisher_hints,
            stop: self.stop.clone(),
            observer: self.observer.clone(),
            revisits: self.revisits.clone(),
            share: self.share.clone(),
            scheduled: self.scheduled,
        })
    }

    /// Polls on a schedule that other daemons of a shared archive follow too (the daemon).
    pub fn scheduled(mut self) -> Self {
        self.scheduled = true;
        self
    }

    /// Claims `feed_id` among the daemons of a shared archive; true when this process may
    /// poll it (always, for SQLite).
    async fn claim(
        &self,
        feed_id: i64,
        now: DateTime<Utc>,
        interval: std::time::Duration,
    ) -> Result<bool, StoreError> {
        let Some(share) = self.share.clone() else {
            return Ok(true);
        };
        let polled_before = if self.scheduled {
            now - chrono::Duration::from_std(interval / 2).unwrap_or_default()
        } else {
            now
        };
        tokio::task::spawn_blocking(move || share.claim_feed(feed_id, polled_before))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    async fn release(&self, feed: &FeedConfig, feed_id: i64) {
        let Some(share) = self.share.clone() else {
            return;
        };
        let released = tokio::task::spawn_blocking(move || share.release_feed(feed_id))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
        if let Err(e) = released {
            tracing::warn!(feed = %feed.name, error = %e, "cannot end the feed's lease");
        }
    }

    /// Says at `-v` what checking new articles against the watches cost this run.
    pub fn log_watch_cost(&self) {
        let Some(cost) = lock(&self.store).watch_cost() else {
            return;
        };
        if cost.watches == 0 || cost.articles == 0 {
            return;
        }
        let per_article_us = cost.nanos as f64 / cost.articles as f64 / 1000.0;
        tracing::info!(
            watches = cost.watches,
            articles = cost.articles,
            per_article_us = format!("{per_article_us:.1}"),
            confirmed = cost.confirmed,
            "new articles checked against the watches"
        );
    }

    /// Polls stop (keeping what they finished) when `stop` turns true.
    pub fn with_stop(mut self, stop: watch::Receiver<bool>) -> Self {
        self.stop = stop;
        self
    }

    /// A poll of a feed whose last poll succeeded and whose publisher asked for a wait
    /// (`<ttl>`, `sy:updatePeriod`, Cache-Control, Expires) that has not passed is skipped,
    /// unless forced.
    pub fn with_publisher_hints(mut self) -> Self {
        self.publisher_hints = true;
        self
    }

    pub fn with_observer(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Runs `f` on the store off the async threads.
    async fn db<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let _turn = self.pipeline.store_turn().await?;
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || f(&mut lock(&store))).await {
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
        let mut report = FeedReport::new(feed);
        let interval = schedule::interval(&feed.schedule, now);
        match self.claim(feed_id, now, interval).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!(feed = %feed.name, "polled by another daemon; skipped here");
                report.status = PollStatus::Skipped(
                    "another daemon of the archive is polling it or has just polled it".into(),
                );
                return report;
            }
            Err(e) => {
                report.status = PollStatus::Skipped(format!("cannot claim the feed: {e}"));
                return report;
            }
        }
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
            Err(PollError::Interrupted) => report.status = PollStatus::Interrupted,
            Err(e) => {
                if let PollError::Fetch(fe) = &e {
                    report.cause = fe.cause();
                }
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
        self.release(feed, feed_id).await;
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
        // After a failure the wait is our backoff, which a manual fetch overrides.
        if self.publisher_hints
            && !self.force
            && state.consecutive_failures == 0
            && let Some(until) = state.not_before.filter(|t| *t > now)
        {
            return Err(PollError::Skip(format!(
                "the publisher asked not to be polled before {} (ttl, Cache-Control or Expires); fetch --force polls it anyway",
                until.format("%Y-%m-%d %H:%M:%S UTC")
            )));
        }
        let (items, read) = match feed.site() {
            Some(site) => self.site_listing(feed, site, feed_id, now, report).await?,
            None => self.feed_items(feed, &state, now, report).await?,
        };
        let FeedRead {
            validators,
            publisher_ask,
            redirect,
            source_files,
            whole,
        } = read;
        if validators.is_none() {
            report.status = PollStatus::NotModified;
        }
        report.items = items.len();

        let mut batch = Batch::new(feed_id, now);
        let work = async {
            self.archive_items(feed, feed_id, (items, whole), now, report, &mut batch)
                .await?;
            self.retry_pending(feed, feed_id, now, report, &mut batch)
                .await?;
            self.revisit_due(feed, feed_id, now, report, &mut batch)
                .await
        };
        if let Err(e) = work.await {
            // What was finished before the stop is kept; the feed's state stays as it was,
            // so the next poll sees the same items again and takes up the rest.
            if matches!(e, PollError::Interrupted) {
                self.flush(&mut batch, report).await?;
                self.settle(&mut batch, report).await?;
            }
            return Err(e);
        }
        // The feed's state advances only once everything before it is in.
        self.settle(&mut batch, report).await?;
        let not_before = schedule::not_before(
            now,
            schedule::Outcome::Success,
            schedule::interval(&feed.schedule, now),
            publisher_ask,
            feed.name.as_str(),
        );
        report.not_before = Some(not_before);
        let mut next_poll = schedule::next_poll(&feed.schedule, now, not_before);
        if let Some(sooner) = self.paced(feed, feed_id, now).await?
            && sooner < next_poll
        {
            next_poll = sooner.max(not_before);
            report.sooner = Some(next_poll);
        }
        let poll = PollWrite {
            feed_id,
            now,
            validators,
            work: std::mem::take(&mut batch.work),
            timing: Timing {
                not_before,
                next_poll,
            },
            redirect,
            source_files,
        };
        let outcome = self.db(move |s| s.apply_poll(&poll)).await?;
        report.state_change = outcome.state;
        self.learn(feed_id, std::mem::take(&mut batch.seen), now)
            .await?;
        self.count(&outcome.items, report);
        Ok(())
    }

    /// When a feed that publishes faster than its schedule is next polled (about one new
    /// item a poll, at most every `[schedule] floor`); None keeps the schedule.
    async fn paced(
        &self,
        feed: &FeedConfig,
        feed_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, PollError> {
        let floor = self.config.poll_floor;
        if schedule::adapted(&feed.schedule, floor, u64::MAX).is_none() {
            return Ok(None);
        }
        let day_ago = now - chrono::Duration::days(1);
        let published = self.db(move |s| s.items_since(feed_id, day_ago)).await?;
        Ok(schedule::adapted(&feed.schedule, floor, published)
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| now + d))
    }

    /// A feed's items: a conditional GET with the stored validators (a 304 gives none),
    /// then the parse, off the async threads.
    async fn feed_items(
        &self,
        feed: &FeedConfig,
        state: &crate::store::FeedState,
        now: DateTime<Utc>,
        report: &mut FeedReport,
    ) -> Result<(Vec<FeedItem>, FeedRead), PollError> {
        // A feed that moved for good is followed to its new address.
        let url = state
            .moved_to
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
            .unwrap_or_else(|| feed.url.clone());
        let fetched = match self
            .unless_stopped(
                self.fetcher
                    .get(&url, Purpose::Feed, Some(&state.validators)),
            )
            .await?
        {
            Err(FetchError::Deferred { host, until }) => {
                return Err(PollError::deferred(&host, &until));
            }
            other => other?,
        };
        let mut read = FeedRead::default();
        let items = match fetched {
            Fetched::NotModified { moved_to } => {
                read.redirect = moved_to.map(|u| u.to_string());
                Vec::new()
            }
            Fetched::Body(resp) => {
                if resp.truncated {
                    report
                        .repairs
                        .push("feed cut off at fetch.max_body".to_string());
                }
                let url = resp.url.clone();
                let charset = resp.charset.clone();
                let body = resp.body;
                // The document's bytes go with the task: only its items outlive the parse.
                let parsed = self
                    .pipeline
                    .extract(move || feed::parse_feed(&body, charset.as_deref(), &url, now))
                    .await
                    .map_err(|e| PollError::Parse(format!("parser task failed: {e}")))?
                    .map_err(|e| PollError::Parse(e.to_string()))?;
                for r in &parsed.repairs {
                    tracing::debug!(feed = %feed.name, repair = %r, "feed repaired");
                }
                report.repairs.extend(parsed.repairs);
                read.publisher_ask = parsed.poll_hint.max(resp.fresh_for);
                read.redirect = resp.moved_to.map(|u| u.to_string());
                read.validators = Some(resp.validators);
                parsed.items
            }
        };
        Ok((items, read))
    }

    /// Archives a feed's items: those needing no page at once, the others as their pages
    /// come in, in batches (see [`Batch`]). `whole` says the items carry whole articles
    /// (a site's own API): no page is fetched for them.
    async fn archive_items(
        &self,
        feed: &FeedConfig,
        feed_id: i64,
        (items, whole): (Vec<FeedItem>, bool),
        now: DateTime<Utc>,
        report: &mut FeedReport,
        batch: &mut Batch,
    ) -> Result<(), PollError> {
        // Decide per item, in feed order, what it needs.
        let total = items.len();
        let mut plans = Plans {
            whole,
            ..Plans::default()
        };
        let mut keys_this_poll: HashSet<String> = HashSet::new();
        let stamped = stamps_request_time(&items, now);
        let mut restamped = 0;
        let mut revisions_left = REVISIONS_PER_POLL;
        for (n, item) in items.into_iter().enumerate() {
            let guid = item.guid.clone();
            if let Some((article_id, stored)) =
                self.db(move |s| s.item_revision(feed_id, &guid)).await?
            {
                if is_newer(item.updated.or(item.published), stored.as_deref()) {
                    if stamped {
                        restamped += 1;
                        continue;
                    }
                    // More revisions than the budget wait for the next poll, which sees
                    // them still newer than what is stored.
                    if revisions_left == 0 {
                        continue;
                    }
                    revisions_left -= 1;
                    let place = self.place(batch, report).await?;
                    match self
                        .unless_stopped(self.revise(feed, article_id, &item, now))
                        .await
                    {
                        Ok(revision) => {
                            batch.work.revisions.push(revision);
                            batch.places.extend(place);
                        }
                        Err(e) => {
                            report.left += total - n;
                            return Err(e);
                        }
                    }
                    self.flush_if_due(batch, report).await?;
                }
                continue;
            }
            // An item whose URL an earlier item of this poll has joins that one's article:
            // items are written in feed order, so it is archived by then.
            let key = item.link.as_ref().map(|_| item.archive_key(&feed.url));
            let plan = if key.as_ref().is_some_and(|k| keys_this_poll.contains(k)) {
                Plan::Known
            } else if let Some(k) = key {
                keys_this_poll.insert(k.clone());
                if self.db(move |s| s.article_by_key(&k)).await?.is_some() {
                    Plan::Known
                } else if feed.full_text && !whole && !item.anchored {
                    Plan::Fetch
                } else {
                    Plan::FeedText
                }
            } else {
                Plan::FeedText
            };
            plans.slots.push(Some((item, plan)));
        }
        if restamped > 0 {
            report.repairs.push(format!(
                "the feed dates its items with the time of the request; {restamped} archived item(s) not taken as revised"
            ));
        }

        let to_fetch: Vec<(usize, Url)> = plans
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| match slot {
                Some((item, Plan::Fetch)) => Some((i, item.link.clone()?)),
                _ => None,
            })
            .collect();
        plans.write_ready(feed, report, batch);
        self.flush_if_due(batch, report).await?;

        // The fetcher spaces requests per host and caps them globally; the budget caps the
        // pages in hand. Places are taken one after another in feed order, so the earliest
        // page not yet written always has one: holding later pages until it is in (items
        // are written in feed order, so that article ids follow publication order) cannot
        // starve it, and holds at most the budget. A host answers one request at a time, so
        // a poll keeps one page per host of its pages on the way, and one more being
        // extracted: more would only hold places other polls could use.
        let hosts: HashSet<String> = to_fetch
            .iter()
            .map(|(_, link)| crate::fetch::host_key(link))
            .collect();
        let in_flight = (hosts.len() + 1).min(self.config.fetch.concurrency).max(1);
        let pipeline = self.pipeline.clone();
        let pages = futures_util::stream::iter(to_fetch)
            .then(move |(i, link)| {
                let pipeline = pipeline.clone();
                async move { (i, link, pipeline.place().await) }
            })
            .map(|(i, link, place)| async move {
                let mut claims = Vec::new();
                let result = self.page(feed, &link, now, &mut claims).await;
                (
                    i,
                    InHand {
                        result,
                        place,
                        claims,
                    },
                )
            })
            .buffer_unordered(in_flight);
        let mut pages = std::pin::pin!(pages);
        loop {
            let due = batch.due_at();
            let step = tokio::select! {
                biased;
                _ = self.stopped() => Step::Stop,
                next = pages.next() => Step::Page(next),
                _ = tokio::time::sleep_until(due.unwrap_or_else(tokio::time::Instant::now)),
                    if due.is_some() => Step::Due,
            };
            match step {
                Step::Page(None) => return Ok(()),
                Step::Page(Some((i, page))) => {
                    plans.pages.insert(i, page);
                    plans.write_ready(feed, report, batch);
                    self.flush_if_due(batch, report).await?;
                }
                Step::Due => self.flush(batch, report).await?,
                Step::Stop => {
                    // Every page already in is kept, even out of feed order (ids then no
                    // longer follow it; a stopped run breaks that order anyway); pages still
                    // on the way are dropped, and left to the next poll.
                    while let Some(Some((i, page))) = pages.next().now_or_never() {
                        plans.pages.insert(i, page);
                    }
                    plans.write_ready(feed, report, batch);
                    report.left += plans.write_fetched(feed, report, batch);
                    return Err(PollError::Interrupted);
                }
            }
        }
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
            // An unusable page leaves the archived text as it is.
            // A revision is fetched again on purpose; its claim goes with this call.
            (Some(link), true) => {
                // Compared with the page as archived: a feed that re-dates an item whose
                // page did not change costs a 304, not an extraction.
                let state = self
                    .db(move |s| s.page_state(article_id))
                    .await
                    .ok()
                    .flatten();
                match state {
                    Some(state) => match self.recheck(feed, link.as_str(), &state, now).await.0 {
                        CheckOutcome::Changed { keys, content } => {
                            Some((keys, page::merge_feed_metadata(*content, item, feed)))
                        }
                        _ => None,
                    },
                    None => match self.page(feed, link, now, &mut Vec::new()).await {
                        PageResult::Extracted { content, keys } => {
                            Some((keys, page::merge_feed_metadata(*content, item, feed)))
                        }
                        PageResult::Unusable { .. } | PageResult::Archived { .. } => None,
                    },
                }
            }
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
        batch: &mut Batch,
    ) -> Result<(), PollError> {
        if !feed.full_text {
            return Ok(());
        }
        let pending = self
            .db(move |s| s.pending_pages(feed_id, RETRIES_PER_POLL, now))
            .await?;
        let count = pending.len();
        for (n, p) in pending.into_iter().enumerate() {
            let Ok(url) = Url::parse(&p.url) else {
                continue;
            };
            let place = self.place(batch, report).await?;
            let mut claims = Vec::new();
            let page = self.page(feed, &url, now, &mut claims);
            let result = match self.unless_stopped(page).await {
                Ok(PageResult::Extracted { content, keys }) => {
                    report.recovered += 1;
                    Ok((keys, *content))
                }
                Ok(PageResult::Unusable { reason, .. }) => Err(reason),
                Ok(PageResult::Archived { .. }) => Err(format!(
                    "{url} now leads to an address archived as another article"
                )),
                Err(stopped) => {
                    report.left += count - n;
                    return Err(stopped);
                }
            };
            batch.work.retries.push(RetryWrite {
                article_id: p.article_id,
                result,
            });
            batch.places.extend(place);
            self.flush_if_due(batch, report).await?;
        }
        Ok(())
    }

    /// Hands the batch to the writer now, whatever its size, and counts the batches the
    /// writer has committed since. The poll goes on with its pages meanwhile; the pages
    /// keep their places in the budget until their commit.
    async fn flush(&self, batch: &mut Batch, report: &mut FeedReport) -> Result<(), PollError> {
        batch.since = tokio::time::Instant::now();
        if !batch.work.is_empty() {
            let (done, written) = tokio::sync::oneshot::channel();
            lock(&self.pipeline.queued).push(Queued {
                feed_id: batch.feed_id,
                now: batch.now,
                work: std::mem::take(&mut batch.work),
                _places: std::mem::take(&mut batch.places),
                _claims: std::mem::take(&mut batch.claims),
                done,
            });
            batch.written.push_back(written);
            self.write_queued();
        }
        while let Some(written) = batch.written.front_mut() {
            let outcome = match written.try_recv() {
                Ok(outcome) => outcome,
                Err(tokio::sync::oneshot::error::TryRecvError::Empty) => break,
                Err(tokio::sync::oneshot::error::TryRecvError::Closed) => {
                    Err(StoreError::Task("the writer dropped a batch".into()))
                }
            };
            batch.written.pop_front();
            self.count(&outcome?, report);
        }
        Ok(())
    }

    /// Waits until every batch the poll handed over is committed, and counts them.
    async fn settle(&self, batch: &mut Batch, report: &mut FeedReport) -> Result<(), PollError> {
        while let Some(written) = batch.written.pop_front() {
            let outcome = written
                .await
                .unwrap_or_else(|_| Err(StoreError::Task("the writer dropped a batch".into())));
            self.count(&outcome?, report);
        }
        Ok(())
    }

    /// Writes, once it is the store's turn, every batch queued by then in one transaction:
    /// with a poll's few pages a batch, most commits were a page or two, and a commit's
    /// fixed cost (search index segment, vocabulary, the log's sync) was paid per page. A
    /// task per handed-over batch; those that find the queue emptied by another do nothing.
    fn write_queued(&self) {
        let (pipeline, store) = (self.pipeline.clone(), self.store.clone());
        tokio::spawn(async move {
            let Ok(_turn) = pipeline.store_turn().await else {
                return;
            };
            let jobs = std::mem::take(&mut *lock(&pipeline.queued));
            if !jobs.is_empty() {
                // A failed task drops the batches' senders: their polls see the error.
                let _ = tokio::task::spawn_blocking(move || write_queued(&mut lock(&store), jobs))
                    .await;
            }
        });
    }

    /// A place in the page budget for a page fetched on its own (a revision, a retry).
    /// When none is free the batch is handed to the writer first, so that polls whose
    /// batches hold every place do not wait on each other until their batches fall due.
    async fn place(
        &self,
        batch: &mut Batch,
        report: &mut FeedReport,
    ) -> Result<Option<OwnedSemaphorePermit>, PollError> {
        if self.pipeline.starved() {
            self.flush(batch, report).await?;
        }
        self.unless_stopped(self.pipeline.place()).await
    }

    /// Writes the batch if it is big enough or old enough.
    async fn flush_if_due(
        &self,
        batch: &mut Batch,
        report: &mut FeedReport,
    ) -> Result<(), PollError> {
        // Pages waiting for a place are served sooner by a smaller commit than by waiting.
        if batch.due_at().is_some_and(|at| {
            batch.work.len() >= BATCH_PAGES
                || at <= tokio::time::Instant::now()
                || self.pipeline.starved()
        }) {
            self.flush(batch, report).await?;
        }
        Ok(())
    }

    /// Adds written items to the report, and tells the observer of new articles.
    fn count(&self, outcomes: &[ItemOutcome], report: &mut FeedReport) {
        let mut new = 0;
        for o in outcomes {
            match o {
                ItemOutcome::New(_) => new += 1,
                ItemOutcome::Duplicate(_) => report.duplicate += 1,
                ItemOutcome::Seen | ItemOutcome::Skipped => {}
            }
        }
        report.new += new;
        if new > 0
            && let Some(observe) = &self.observer
        {
            observe(Event::Stored(new));
        }
    }

    /// Resolves once the run is asked to stop; never, if it is not.
    async fn stopped(&self) {
        let mut stop = self.stop.clone();
        if stop.wait_for(|stop| *stop).await.is_err() {
            // No one can ask any more.
            std::future::pending::<()>().await;
        }
    }

    /// `work`, unless the run is asked to stop first.
    async fn unless_stopped<T>(
        &self,
        work: impl std::future::Future<Output = T>,
    ) -> Result<T, PollError> {
        tokio::select! {
            biased;
            _ = self.stopped() => Err(PollError::Interrupted),
            out = work => Ok(out),
        }
    }

    /// One article page, fetched, extracted and logged (one line per page at `-v`, with the
    /// time its requests took, not the politeness wait before them).
    async fn page(
        &self,
        feed: &FeedConfig,
        link: &Url,
        now: DateTime<Utc>,
        claims: &mut Vec<Claim>,
    ) -> PageResult {
        let mut took = std::time::Duration::ZERO;
        let result = self.fetch_page(feed, link, now, &mut took, claims).await;
        let elapsed_ms = took.as_millis() as u64;
        match &result {
            PageResult::Extracted { .. } => {
                tracing::info!(feed = %feed.name, url = %link, outcome = "extracted", elapsed_ms, "page")
            }
            PageResult::Archived { .. } => {
                tracing::info!(feed = %feed.name, url = %link, outcome = "archived", elapsed_ms, "page redirects to an archived article; another place of it")
            }
            PageResult::Unusable { reason, .. } if feed.site().is_some() => {
                tracing::info!(feed = %feed.name, url = %link, outcome = "unusable", reason = %reason, elapsed_ms, "listed page is not an article; passed by")
            }
            PageResult::Unusable { reason, .. } => {
                tracing::warn!(feed = %feed.name, url = %link, outcome = "unusable", reason = %reason, elapsed_ms, "page not usable; the feed's text stands for it")
            }
        }
        if let Some(observe) = &self.observer {
            observe(Event::Page);
        }
        result
    }

    /// Fetches an article's page, and the pages it continues on, through the polite
    /// fetcher, and assembles the article.
    async fn fetch_page(
        &self,
        feed: &FeedConfig,
        link: &Url,
        now: DateTime<Utc>,
        took: &mut std::time::Duration,
        claims: &mut Vec<Claim>,
    ) -> PageResult {
        let mut via = Vec::new();
        let first = match self
            .fetch_one(feed, link, now, took, &mut via, claims)
            .await
        {
            Ok(p) => p,
            Err(unusable) => return unusable,
        };
        self.pages_from(feed, link, first, via, (now, took), claims)
            .await
            .0
    }

    /// The article that begins with `first` (fetched from `link` through the addresses
    /// `via`): the pages it continues on are fetched, then all are assembled. With the
    /// requests those pages took.
    async fn pages_from(
        &self,
        feed: &FeedConfig,
        link: &Url,
        first: PageFetch,
        via: Vec<String>,
        (now, took): (DateTime<Utc>, &mut std::time::Duration),
        claims: &mut Vec<Claim>,
    ) -> (PageResult, u64) {
        let mut requests = 0;
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
            requests += 1;
            match self
                .fetch_one(feed, &next, now, took, &mut Vec::new(), claims)
                .await
            {
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
        let keep_raw = self.config.archive.keep_raw;
        let mut result = self
            .pipeline
            .extract(move || page::assemble(pages, keep_raw))
            .await
            .unwrap_or_else(|e| PageResult::Unusable {
                reason: format!("extraction failed: {e}"),
                retry: false,
            });
        if let PageResult::Extracted { keys, content } = &mut result {
            // The addresses the link redirected through name this article too.
            keys.extend(via);
            if let Some(state) = &mut content.page_state {
                state.due = self.first_revisit(feed, now);
            }
        }
        (result, requests)
    }

    /// When a page archived `now` is first fetched again; never, with revisits off.
    fn first_revisit(&self, feed: &FeedConfig, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if !feed.revisit {
            return None;
        }
        crate::store::next_due(now, &self.config.revisit.after, now)
    }

    /// Follows a page's redirects one hop at a time, each in its host's turn: an address
    /// on the way that is archived already (an aggregator's link to a publisher whose own
    /// feed brought the story) ends the chain before the page is fetched again. `via`
    /// gets the keys of the addresses passed through.
    async fn follow_page(
        &self,
        link: &Url,
        took: &mut std::time::Duration,
        via: &mut Vec<String>,
        claims: &mut Vec<Claim>,
    ) -> Result<Option<Fetched>, FetchError> {
        let mut at = link.clone();
        for hop in 0..=MAX_REDIRECTS {
            // Another poll may be fetching this very page: wait for its commit rather
            // than fetch it again.
            let key = dedup::url_key(&at);
            let (claim, waited) = self.pipeline.claims.claim(&key).await;
            claims.extend(claim);
            if (waited || hop > 0)
                && self
                    .db(move |s| s.article_by_key(&key))
                    .await
                    .ok()
                    .flatten()
                    .is_some()
            {
                return Ok(None);
            }
            let (answer, spent) = self.fetcher.get_page_hop(&at).await;
            *took += spent;
            match answer? {
                Hop::Done(fetched) => return Ok(Some(fetched)),
                Hop::Redirect { to, .. } => {
                    via.push(dedup::url_key(&to));
                    at = to;
                }
            }
        }
        Err(FetchError::too_many_redirects(link, &at))
    }

    async fn fetch_one(
        &self,
        feed: &FeedConfig,
        link: &Url,
        now: DateTime<Utc>,
        took: &mut std::time::Duration,
        via: &mut Vec<String>,
        claims: &mut Vec<Claim>,
    ) -> Result<PageFetch, PageResult> {
        match self.follow_page(link, took, via, claims).await {
            Ok(None) => Err(PageResult::Archived {
                keys: std::mem::take(via),
            }),
            Ok(Some(Fetched::Body(resp))) => {
                let rules = feed.extract.clone();
                let link = link.clone();
                let max_body = self.config.fetch.max_body;
                let keep = self.config.archive.keep_raw;
                self.pipeline
                    .extract(move || {
                        page::read_page(*resp, &link, rules.as_deref(), now, max_body, keep)
                    })
                    .await
                    .unwrap_or_else(|e| {
                        Err(PageResult::Unusable {
                            reason: format!("extraction failed: {e}"),
                            retry: false,
                        })
                    })
            }
            Ok(Some(Fetched::NotModified { .. })) => Err(PageResult::Unusable {
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

/// The config's watches, compiled against the archive's words (a prefix stands for the
/// words it has): checked against each new article as it is written.
fn watch_set(config: &Config, store: &Store) -> Arc<crate::store::WatchSet> {
    let aliases = crate::search::aliases::Aliases::new(&config.aliases);
    let prefix_words = |p: &str| {
        store
            .prefix_words(p)
            .map(|found| found.words)
            .unwrap_or_default()
    };
    let word_docs = |w: &str| store.word_docs(w).unwrap_or(0);
    let mut compiled = Vec::with_capacity(config.watches.len());
    for w in &config.watches {
        let filters = crate::search::Filters {
            feeds: w.feeds.iter().map(ToString::to_string).collect(),
            region: w.region.clone(),
            tags: w.tags.clone(),
            limit: 1,
            ..crate::search::Filters::default()
        };
        match crate::search::compile_watch(
            w.name.as_str(),
            &w.query,
            &filters,
            &aliases,
            crate::search::ArchiveWords {
                prefix_words: &prefix_words,
                word_docs: &word_docs,
            },
        ) {
            Ok(c) => compiled.push(c.with_delivery(crate::store::Delivery {
                targets: w.notify.iter().map(ToString::to_string).collect(),
                digest: w.digest.is_some(),
                on_revision: w.on_revision,
            })),
            // The config checked the query; a watch that still cannot run is left out, said.
            Err(e) => tracing::warn!(watch = %w.name, error = %e, "watch left out"),
        }
    }
    Arc::new(crate::store::WatchSet::new(compiled))
}

/// `fetcher` taking each host's turn among the daemons of a shared archive too.
fn shared_hosts(fetcher: Fetcher, share: Option<&Arc<share::Share>>) -> Fetcher {
    match share {
        Some(s) => fetcher.with_shared_hosts(s.clone()),
        None => fetcher,
    }
}

fn fetcher_for(config: &Config, force: bool) -> Result<Fetcher, String> {
    Fetcher::new(&config.fetch)?
        .with_force(force)
        .for_feeds(&config.feeds)
}

/// Whether an item's revision time is later than the one recorded for it. An item with
/// no recorded time that now has one counts as unchanged: the time is simply recorded.
/// True when a feed dates (nearly) all its items with the moment it was asked: every poll
/// would otherwise look like a revision of everything, a page fetch per item per poll.
/// Three items or more, four in five of them dated within ten minutes of the request.
fn stamps_request_time(items: &[FeedItem], now: DateTime<Utc>) -> bool {
    let recent = items
        .iter()
        .filter_map(|i| i.updated.or(i.published))
        .filter(|d| (d.with_timezone(&Utc) - now).num_minutes().abs() <= 10)
        .count();
    items.len() >= 3 && recent * 5 >= items.len() * 4
}

fn is_newer(now_seen: Option<chrono::DateTime<chrono::FixedOffset>>, stored: Option<&str>) -> bool {
    match (
        now_seen,
        stored.and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()),
    ) {
        (Some(new), Some(old)) => new > old,
        _ => false,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Writes queued batches in one transaction and answers each. When that fails, each is
/// written on its own, so that one poll's bad batch fails only that poll.
fn write_queued(store: &mut Store, jobs: Vec<Queued>) {
    let together = {
        let batches: Vec<(i64, DateTime<Utc>, &Work)> =
            jobs.iter().map(|j| (j.feed_id, j.now, &j.work)).collect();
        store.apply_batches(&batches)
    };
    match together {
        Ok(outcomes) => {
            let mut outcomes = outcomes.into_iter();
            for job in jobs {
                let outcome = outcomes
                    .next()
                    .ok_or_else(|| StoreError::Task("a batch's write gave no outcome".into()));
                // A poll that is gone no longer wants its outcome.
                let _ = job.done.send(outcome);
            }
        }
        Err(e) if jobs.len() == 1 => {
            if let Some(job) = jobs.into_iter().next() {
                let _ = job.done.send(Err(e));
            }
        }
        Err(_) => {
            for job in jobs {
                let _ = job
                    .done
                    .send(store.apply_batch(job.feed_id, job.now, &job.work));
            }
        }
    }
}

enum Plan {
    /// Already archived under this URL: record the place only.
    Known,
    Fetch,
    FeedText,
}

/// A poll's items and what each needs, taken out one by one as they are written.
#[derive(Default)]
struct Plans {
    slots: Vec<Option<(FeedItem, Plan)>>,
    /// Pages fetched and not yet written, by item.
    pages: HashMap<usize, InHand>,
    /// The first item not yet written.
    next: usize,
    /// The items carry whole articles.
    whole: bool,
}

impl Plans {
    /// Writes the items from the first unwritten one on, in feed order, up to one whose page
    /// is still on its way.
    fn write_ready(&mut self, feed: &FeedConfig, report: &mut FeedReport, batch: &mut Batch) {
        while let Some(slot) = self.slots.get(self.next) {
            if matches!(slot, Some((_, Plan::Fetch))) && !self.pages.contains_key(&self.next) {
                return;
            }
            let page = self.pages.remove(&self.next);
            self.take(self.next, page, feed, report, batch);
            self.next += 1;
        }
    }

    /// Writes every item whose page is in, out of feed order; returns how many items still
    /// wait for their page.
    fn write_fetched(
        &mut self,
        feed: &FeedConfig,
        report: &mut FeedReport,
        batch: &mut Batch,
    ) -> usize {
        let mut fetched: Vec<usize> = self.pages.keys().copied().collect();
        fetched.sort_unstable();
        for i in fetched {
            let page = self.pages.remove(&i);
            self.take(i, page, feed, report, batch);
        }
        self.slots
            .iter()
            .filter(|s| matches!(s, Some((_, Plan::Fetch))))
            .count()
    }

    /// Adds item `i` to the batch with its content (from `page` when it needed one).
    fn take(
        &mut self,
        i: usize,
        page: Option<InHand>,
        feed: &FeedConfig,
        report: &mut FeedReport,
        batch: &mut Batch,
    ) {
        let Some((item, plan)) = self.slots.get_mut(i).and_then(Option::take) else {
            return;
        };
        let page = page.map(|p| {
            batch.places.extend(p.place);
            batch.claims.extend(p.claims);
            p.result
        });
        let link = item
            .link
            .as_ref()
            .map(|l| l.to_string())
            .unwrap_or_else(|| feed.url.to_string());
        if feed.site().is_some()
            && matches!(plan, Plan::Fetch)
            && matches!(page, Some(PageResult::Unusable { .. }) | None)
        {
            // A page a site lists that gives no article is archived as nothing: there is no
            // feed text to stand for it. It is remembered, so later polls pass it by (a
            // failure for a while only); one not fetched at all is simply listed again.
            if let (Some(PageResult::Unusable { retry, .. }), Some(link)) = (&page, &item.link) {
                if !*retry {
                    batch.seen.push((link.clone(), false));
                }
                let verdict = if *retry {
                    report.failed += 1;
                    UrlVerdict::Failed
                } else {
                    UrlVerdict::NotArticle
                };
                batch.work.site_urls.push(SiteUrlWrite {
                    key: dedup::url_key(link),
                    verdict,
                });
            }
            return;
        }
        let mut keys: Vec<String> = item
            .link
            .iter()
            .map(|_| item.archive_key(&feed.url))
            .collect();
        let content = match (plan, page) {
            (Plan::Known, _) => None,
            (Plan::FeedText, _) => Some(feed_text_content(
                &item,
                feed,
                if self.whole {
                    "the whole article, from the site's own API"
                } else if item.anchored {
                    "the item's link points into a page shared with other items"
                } else if feed.full_text {
                    "the feed item has no link"
                } else {
                    "full_text = false"
                },
                false,
            )),
            (
                Plan::Fetch,
                Some(PageResult::Extracted {
                    content,
                    keys: more,
                }),
            ) => {
                keys.extend(more);
                if feed.site().is_some()
                    && let Some(link) = &item.link
                {
                    batch.seen.push((link.clone(), true));
                }
                Some(page::merge_feed_metadata(*content, &item, feed))
            }
            (Plan::Fetch, Some(PageResult::Archived { keys: more })) => {
                keys.extend(more);
                None
            }
            (Plan::Fetch, Some(PageResult::Unusable { reason, retry })) => {
                report.failed += 1;
                Some(feed_text_content(&item, feed, &reason, retry))
            }
            (Plan::Fetch, None) => Some(feed_text_content(&item, feed, "page not fetched", true)),
        };
        keys.sort();
        keys.dedup();
        batch.work.items.push(ItemWrite {
            guid: item.guid.clone(),
            link,
            keys,
            published: item.published.or(item.updated),
            revision: item.updated.or(item.published),
            // The index words are worked out here, once the title is final, so that the
            // one writer only inserts them.
            content: content.map(Content::with_words),
        });
    }
}

/// A page's result, with its place in the budget and its claims until it is committed.
struct InHand {
    result: PageResult,
    place: Option<OwnedSemaphorePermit>,
    claims: Vec<Claim>,
}

/// What reading a source gave besides its items, for the poll's end.
#[derive(Default)]
struct FeedRead {
    /// None when nothing changed (a 304): the stored validators stay.
    validators: Option<crate::fetch::Validators>,
    /// The publisher's ask not to poll sooner.
    publisher_ask: Option<std::time::Duration>,
    /// Where a permanent redirect of the feed's URL pointed.
    redirect: Option<String>,
    /// A site's sitemap files as read.
    source_files: Vec<(String, crate::store::SourceFile)>,
    /// The items carry whole articles (a site's own API): no page is fetched for them.
    whole: bool,
}

/// A poll's writes not yet committed.
struct Batch {
    feed_id: i64,
    now: DateTime<Utc>,
    work: Work,
    /// The budget places of the pages in `work`.
    places: Vec<OwnedSemaphorePermit>,
    /// The claims on the pages in `work`, let go once they are committed.
    claims: Vec<Claim>,
    /// Batches handed to the writer, oldest first, whose outcome is not counted yet.
    written: std::collections::VecDeque<Written>,
    /// When the last batch was written (or the poll began).
    since: tokio::time::Instant,
    /// A site's listed addresses this poll, and whether each was an article.
    seen: Vec<(Url, bool)>,
}

impl Batch {
    fn new(feed_id: i64, now: DateTime<Utc>) -> Batch {
        Batch {
            feed_id,
            now,
            work: Work::default(),
            places: Vec::new(),
            claims: Vec::new(),
            written: std::collections::VecDeque::new(),
            since: tokio::time::Instant::now(),
            seen: Vec::new(),
        }
    }

    /// When the work held should be written at the latest; None when there is none.
    fn due_at(&self) -> Option<tokio::time::Instant> {
        (!self.work.is_empty()).then_some(self.since + BATCH_WAIT)
    }
}

/// What the page loop of a poll does next.
enum Step {
    Stop,
    Page(Option<(usize, InHand)>),
    Due,
}

impl PollError {
    /// Not polled: a host asked us to wait (HTTP 429/503 Retry-After).
    fn deferred(host: &str, until: &str) -> PollError {
        PollError::Skip(format!(
            "{host} asked us to wait until {until}; use --force to fetch anyway"
        ))
    }
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
    #[error("interrupted")]
    Interrupted,
}
