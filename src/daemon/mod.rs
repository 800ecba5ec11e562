//! `warta daemon`: a first pass over every enabled feed, then each feed on its own schedule,
//! until SIGINT or SIGTERM, as the one writer of its archive (it holds the archive's lock).
//!
//! tokio-cron-scheduler decides *when*; its job bodies only put the feed's index on a
//! channel (a job body that does real work can stall the scheduler). This loop owns every
//! poll task: it queues polls per host and runs one poll per host at a time (every host
//! with work busy, none waiting on another's politeness gap), at most [`schedule::POLLS_AT_ONCE`]
//! together, never two polls of one feed at once, and on a signal stops taking work, tells
//! running polls to stop (they write the pages they have), gives them a few seconds, then
//! abandons the rest: every write is a transaction and a feed's state advances only in a
//! poll's last one, so an abandoned poll leaves nothing half-written and is polled again.
//! When every feed fails the same way on the way to its host, the log says once that the
//! network looks down, and once that it is back.
//!
//! It can be changed while it runs: SIGHUP, or a change of feeds.toml seen by the minutely
//! housekeeping, puts a new config in force (see [`Plan::reload`]); the loop's state is
//! keyed by feed name so that it carries over. The same housekeeping empties the
//! write-ahead log once no reader needs it. A full disk abandons polls without counting
//! against the feeds and keeps `/healthz` unhealthy until a poll writes again.
//!
//! It reports on itself: each poll's report goes to `metrics` (served by `listen` when
//! `[daemon] listen` or `--listen` is set), and `notify` tells systemd when it is ready,
//! alive (the watchdog is fed from this loop, so a stuck loop is restarted) and stopping.

mod listen;
mod metrics;
mod notify;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::signal::unix::{Signal, SignalKind};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::config::{Config, FeedConfig, Schedule};
use crate::error::Error;
use crate::fetch::NetworkChange;
use crate::ingest::{Ingest, PollStatus};
use crate::model::FeedName;
use crate::schedule;
use crate::store::Store;

/// How long running polls may take to finish after a signal; well inside the 10 s the
/// contract allows, leaving time to close the scheduler and the database.
const GRACE: Duration = Duration::from_secs(6);

/// What the command line adds to the config for this run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--listen`, else `[daemon] listen`.
    pub listen: Option<SocketAddr>,
}

pub async fn run(
    config: Arc<Config>,
    db_flag: Option<PathBuf>,
    options: Options,
) -> Result<(), Error> {
    // First: from here on neither signal ends the process abruptly, even during start-up.
    let mut terminate = signal(SignalKind::terminate(), "SIGTERM")?;
    let mut hangup = signal(SignalKind::hangup(), "SIGHUP")?;
    let db = db_flag
        .clone()
        .unwrap_or_else(|| config.archive.path.clone());
    crate::store::use_password(&db, config.archive.password.as_ref()).map_err(Error::usage)?;
    let _lock = crate::lock::ArchiveLock::acquire(&db, "daemon", Some(&config.file))?;
    let store = Store::open(&db)?;
    no_enabled_feeds(&config).map_or(Ok(()), |e| Err(Error::usage(e)))?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let ingest = Arc::new(
        Ingest::new(config.clone(), store, false)
            .map(Ingest::scheduled)
            .map_err(Error::failure)?
            .with_stop(stopped),
    );
    let ids = ingest.sync_feeds().await?;

    let started = Utc::now();
    let alert_stats = Arc::new(crate::watch::AlertStats::default());
    let metrics = Arc::new(
        metrics::Metrics::new(feed_list(&config), started, stale_window(&config, started))
            .with_fetch_stats(ingest.fetcher.stats())
            .with_alert_stats(alert_stats.clone()),
    );
    let (configs, courier) = start_courier(&ingest, &config, alert_stats, stop.subscribe())?;
    let server = match options.listen.or(config.daemon.listen) {
        Some(addr) => {
            let listener = listen::Listener::bind(addr, metrics.clone(), db.clone()).await?;
            let bound = listener.local_addr().unwrap_or(addr);
            tracing::info!(addr = %bound, "serving /healthz and /metrics");
            Some(listener.serve())
        }
        None => None,
    };
    let web = match config.daemon.serve {
        true => {
            let (listener, app) =
                crate::serve::bind(config.clone(), &db, config.serve.listen).await?;
            let mut stopping = stop.subscribe();
            let until = async move {
                let _ = stopping.changed().await;
            };
            Some(tokio::spawn(crate::serve::serve_on(listener, app, until)))
        }
        false => None,
    };
    let notifier = notify::Notifier::from_env();
    let mut watchdog = notify::watchdog_interval().map(tokio::time::interval);
    if notifier.is_active() {
        tracing::debug!(watchdog = ?watchdog.as_ref().map(|w| w.period()), "notifying systemd");
    }

    // Unbounded: every feed on one schedule fires in the same scheduler check, and a tick
    // dropped for want of room is a poll silently lost (measured: a quarter of 10,000).
    let (tx, mut rx) = mpsc::unbounded_channel::<(u64, usize)>();
    let mut plan = Plan::new(config, ingest, &ids, &tx, 0).await?;
    let mut lateness = tokio::time::interval(Duration::from_secs(30));
    lateness.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut housekeeping = tokio::time::interval(housekeeping_every());
    housekeeping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut config_seen = fingerprint(&plan.config.file);
    let fixed = Fixed {
        db: db_flag.is_some(),
        listen: options.listen.is_some(),
    };
    let enabled = plan.enabled().count();
    tracing::info!(feeds = enabled, archive = %db.display(), "daemon started");
    notifier.notify(&format!(
        "READY=1\nSTATUS=polling {}",
        crate::text::counted(enabled, "feed")
    ));

    let mut polls = Polls {
        not_before: plan.not_before(plan.enabled()).await,
        ..Polls::default()
    };
    // The contract's first pass: every enabled feed once at start. A host that asked us to
    // wait is skipped by the fetcher, and says so.
    let first: Vec<FeedName> = plan.enabled().map(|f| f.name.clone()).collect();
    for name in first {
        polls.enqueue(&plan, name);
    }
    loop {
        polls.start(&plan, &metrics);
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = terminate.recv() => break,
            _ = tick(&mut watchdog) => notifier.notify("WATCHDOG=1"),
            _ = hangup.recv() => {
                config_seen = fingerprint(&plan.config.file);
                plan = plan.reload("SIGHUP", fixed, &mut polls, &metrics, &tx).await;
                configs.send_replace(plan.config.clone());
            }
            _ = housekeeping.tick() => {
                let now_seen = fingerprint(&plan.config.file);
                if now_seen != config_seen {
                    config_seen = now_seen;
                    plan = plan.reload("the file changed", fixed, &mut polls, &metrics, &tx).await;
                    configs.send_replace(plan.config.clone());
                }
                if polls.wrote {
                    polls.wrote = !checkpoint(&plan.ingest, &metrics).await;
                }
            }
            Some((generation, g)) = rx.recv() => {
                if generation == plan.generation
                    && let Some(group) = plan.groups.get_mut(g)
                {
                    group.last_tick = std::time::Instant::now();
                    let names = group.feeds.clone();
                    for name in names {
                        polls.tick(&plan, name);
                    }
                }
            }
            _ = lateness.tick() => {
                for g in late_groups(&plan.groups, std::time::Instant::now(), Utc::now()) {
                    let Some(group) = plan.groups.get_mut(g) else { continue };
                    tracing::warn!(
                        schedule = %group.schedule,
                        feeds = group.feeds.len(),
                        "the scheduler missed this schedule's tick; polling its feeds anyway"
                    );
                    group.last_tick = std::time::Instant::now();
                    let names = group.feeds.clone();
                    for name in names {
                        polls.tick(&plan, name);
                    }
                }
            }
            Some(Ok(name)) = polls.waiting.join_next(), if !polls.waiting.is_empty() => {
                polls.paced.remove(&name);
                if plan.feed(&name).is_some() {
                    polls.enqueue(&plan, name);
                }
            }
            Some(done) = polls.tasks.join_next_with_id(), if !polls.tasks.is_empty() => {
                polls.finished(&plan, done);
            }
        }
    }

    let mut tasks = std::mem::take(&mut polls.tasks);
    tracing::info!(running = tasks.len(), "stopping");
    let _ = stop.send(true);
    notifier.notify("STOPPING=1");
    if let Some(server) = server {
        server.abort();
    }
    if let Some(web) = web {
        web.abort();
    }
    // Stop the clock first so no new ticks arrive while polls finish.
    if let Err(e) = plan.scheduler.shutdown().await {
        tracing::debug!(error = %e, "scheduler shutdown");
    }
    rx.close();
    polls.waiting.abort_all();
    let drained =
        tokio::time::timeout(GRACE, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(
            abandoned = tasks.len(),
            "polls still running were abandoned; they are polled again on the next start"
        );
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
    // An alert being sent now is sent again at the next start, with the same key.
    if tokio::time::timeout(Duration::from_secs(2), courier)
        .await
        .is_err()
    {
        tracing::debug!("alerts still being sent were left for the next start");
    }
    plan.ingest.log_watch_cost();
    tracing::info!("stopped");
    Ok(())
}

/// The courier of the watches' alerts, on a connection of its own beside the writer; the
/// sender gives it each new config.
fn start_courier(
    ingest: &Ingest,
    config: &Arc<Config>,
    stats: Arc<crate::watch::AlertStats>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<
    (
        tokio::sync::watch::Sender<Arc<Config>>,
        tokio::task::JoinHandle<()>,
    ),
    Error,
> {
    let (configs, receiver) = tokio::sync::watch::channel(config.clone());
    let store = ingest
        .store
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .companion()?;
    let courier =
        crate::watch::Courier::new(config.clone(), store, stats).map_err(Error::failure)?;
    Ok((configs, tokio::spawn(courier.run(stop, receiver))))
}

/// How often the daemon looks whether feeds.toml changed and empties the write-ahead log.
/// `WARTA_CHECK_INTERVAL` (a duration) shortens it for tests; not a setting users need.
fn housekeeping_every() -> Duration {
    std::env::var("WARTA_CHECK_INTERVAL")
        .ok()
        .and_then(|v| crate::config::parse_duration(&v).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(Duration::from_secs(60))
}

/// What the config file holds now, to notice a change: its bytes' hash (a rename over it,
/// as `feeds add` does, or an edit in place alike), or None when it cannot be read.
fn fingerprint(file: &std::path::Path) -> Option<blake3::Hash> {
    std::fs::read(file).ok().map(|b| blake3::hash(&b))
}

/// Empties the write-ahead log once no reader needs it, so that a log that grew while a
/// slow reader (a long export, a backup) held an old snapshot shrinks back soon after it
/// ends; SQLite's own checkpoints copy pages back but never make the file smaller. Returns
/// whether the log is empty now.
async fn checkpoint(ingest: &Ingest, metrics: &metrics::Metrics) -> bool {
    let store = ingest.store.clone();
    let done = tokio::task::spawn_blocking(move || {
        store.lock().unwrap_or_else(|p| p.into_inner()).checkpoint()
    })
    .await;
    match done {
        Ok(Ok(busy)) => {
            if busy {
                tracing::debug!("a reader still uses the write-ahead log; it is emptied later");
            }
            !busy
        }
        Ok(Err(e)) if e.is_disk_full() => {
            tracing::error!(error = %e, "the archive's disk is full");
            metrics.disk_full(e.to_string());
            false
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "cannot empty the write-ahead log");
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, "the checkpoint task ended abnormally");
            false
        }
    }
}

/// Why a config cannot run a daemon: it has no enabled feed.
fn no_enabled_feeds(config: &Config) -> Option<String> {
    (!config.feeds.iter().any(|f| f.enabled)).then(|| {
        format!(
            "{} has no enabled feeds; add a [[feed]] with a name and url",
            config.file.display()
        )
    })
}

fn feed_list(config: &Config) -> Vec<(String, bool)> {
    config
        .feeds
        .iter()
        .map(|f| (f.name.to_string(), f.enabled))
        .collect()
}

fn stale_window(config: &Config, now: DateTime<Utc>) -> Duration {
    metrics::stale_after(
        config
            .feeds
            .iter()
            .filter(|f| f.enabled)
            .map(|f| schedule::interval(&f.schedule, now)),
    )
}

/// Settings the command line fixed for this run, which the config file cannot change.
#[derive(Debug, Clone, Copy)]
struct Fixed {
    db: bool,
    listen: bool,
}

/// The config in force and what the loop derives from it; replaced whole by a reload.
struct Plan {
    config: Arc<Config>,
    ingest: Arc<Ingest>,
    /// Each configured feed's place in the config and row in the archive: looked up per
    /// tick and per poll, so a map, not a walk of 10,000 feeds.
    feeds: HashMap<FeedName, (usize, i64)>,
    groups: Vec<Group>,
    scheduler: JobScheduler,
    /// Ticks of an earlier plan's scheduler, still in the channel, carry an older number.
    generation: u64,
}

impl Plan {
    async fn new(
        config: Arc<Config>,
        ingest: Arc<Ingest>,
        ids: &[i64],
        tx: &mpsc::UnboundedSender<(u64, usize)>,
        generation: u64,
    ) -> Result<Plan, Error> {
        let groups = group_by_schedule(&config);
        let scheduler = schedule_groups(&groups, tx, generation).await?;
        Ok(Plan {
            feeds: config
                .feeds
                .iter()
                .zip(ids.iter().copied())
                .enumerate()
                .map(|(i, (f, id))| (f.name.clone(), (i, id)))
                .collect(),
            config,
            ingest,
            groups,
            scheduler,
            generation,
        })
    }

    fn enabled(&self) -> impl Iterator<Item = &FeedConfig> {
        self.config.feeds.iter().filter(|f| f.enabled)
    }

    /// The feed of this name, if the config in force has it enabled.
    fn feed(&self, name: &FeedName) -> Option<&FeedConfig> {
        let &(i, _) = self.feeds.get(name)?;
        self.config.feeds.get(i).filter(|f| f.enabled)
    }

    /// The feed's row in the archive.
    fn id(&self, name: &FeedName) -> Option<i64> {
        self.feeds.get(name).map(|&(_, id)| id)
    }

    /// When each of `feeds` may be polled again (publisher's ask, failure backoff), as the
    /// archive recorded it.
    async fn not_before<'a>(
        &self,
        feeds: impl Iterator<Item = &'a FeedConfig>,
    ) -> HashMap<FeedName, DateTime<Utc>> {
        let mut out = HashMap::new();
        for f in feeds {
            let id = self.id(&f.name).unwrap_or_default();
            match self.ingest.db_feed_state(id).await {
                Ok(state) => {
                    if let Some(t) = state.not_before {
                        out.insert(f.name.clone(), t);
                    }
                }
                Err(e) => tracing::warn!(feed = %f.name, error = %e, "cannot read feed state"),
            }
        }
        out
    }

    /// Reads the config file again and puts it in force: feeds added (or given a new
    /// address) are polled now, removed ones are no longer scheduled, everything else is
    /// used from the next poll on. A file that does not load is refused with the error a
    /// start would give, and this plan stays.
    async fn reload(
        self,
        trigger: &str,
        fixed: Fixed,
        polls: &mut Polls,
        metrics: &metrics::Metrics,
        tx: &mpsc::UnboundedSender<(u64, usize)>,
    ) -> Plan {
        let file = self.config.file.clone();
        let refuse = |why: String| {
            tracing::error!(
                file = %file.display(),
                trigger,
                error = %why,
                "config not reloaded; the old config stays in force"
            );
        };
        let config = match Config::load(&file) {
            Ok(c) => Arc::new(c),
            Err(e) => {
                refuse(e.to_string());
                return self;
            }
        };
        if let Some(why) = no_enabled_feeds(&config) {
            refuse(why);
            return self;
        }
        let ingest = match self.ingest.reconfigured(config.clone()) {
            Ok(i) => Arc::new(i),
            Err(e) => {
                refuse(e);
                return self;
            }
        };
        let ids = match ingest.sync_feeds().await {
            Ok(ids) => ids,
            Err(e) => {
                refuse(e.to_string());
                return self;
            }
        };
        let mut next = match Plan::new(config, ingest, &ids, tx, self.generation + 1).await {
            Ok(p) => p,
            Err(e) => {
                refuse(e.to_string());
                return self;
            }
        };
        let mut old = self;
        if let Err(e) = old.scheduler.shutdown().await {
            tracing::debug!(error = %e, "old scheduler shutdown");
        }
        needs_restart(&old.config, &next.config, fixed);

        let (mut added, mut edited, mut moved) = (Vec::new(), 0, Vec::new());
        for f in next.enabled() {
            match old.feed(&f.name) {
                None => added.push(f.name.clone()),
                Some(before) if before.url != f.url => moved.push(f.name.clone()),
                Some(before) if feed_settings(before) != feed_settings(f) => edited += 1,
                Some(_) => {}
            }
        }
        let removed = old
            .enabled()
            .filter(|f| next.feed(&f.name).is_none())
            .count();
        // A new address is a new feed to the archive (its backoff was reset with it).
        for name in &moved {
            polls.not_before.remove(name);
        }
        let fresh: Vec<&FeedConfig> = added.iter().filter_map(|n| next.feed(n)).collect();
        let asked = next.not_before(fresh.into_iter()).await;
        polls.not_before.extend(asked);
        polls.not_before.retain(|name, _| next.feed(name).is_some());
        for name in added.iter().chain(&moved) {
            polls.enqueue(&next, name.clone());
        }
        metrics.set_feeds(
            feed_list(&next.config),
            stale_window(&next.config, Utc::now()),
        );
        next.groups.iter_mut().for_each(|g| {
            g.last_tick = std::time::Instant::now();
        });
        tracing::info!(
            file = %file.display(),
            trigger,
            feeds = next.enabled().count(),
            added = added.len(),
            removed,
            edited,
            new_address = moved.len(),
            "config reloaded"
        );
        next
    }
}

/// What of a feed's settings a reload may change, for counting edited feeds.
fn feed_settings(f: &FeedConfig) -> String {
    format!(
        "{:?}",
        (
            &f.schedule,
            &f.title,
            &f.region,
            &f.language,
            &f.tags,
            f.full_text,
            f.per_host_delay,
            &f.extract,
            &f.request
        )
    )
}

/// Settings read once at start: a change is logged, and waits for a restart.
fn needs_restart(old: &Config, new: &Config, fixed: Fixed) {
    if !fixed.db && old.archive.path != new.archive.path {
        tracing::warn!(
            archive = %old.archive.path.display(),
            new = %new.archive.path.display(),
            "[archive] path changed; the daemon goes on writing the old archive until it is restarted"
        );
    }
    if !fixed.listen && old.daemon.listen != new.daemon.listen {
        tracing::warn!("[daemon] listen changed; it takes effect when the daemon is restarted");
    }
    if old.daemon.log_format != new.daemon.log_format {
        tracing::warn!("[daemon] log_format changed; it takes effect when the daemon is restarted");
    }
}

/// What a poll task gives back: its id, the earliest next poll and, for a feed that
/// publishes faster than its schedule, when to poll it again.
type PollEnd = (tokio::task::Id, PollNext);

/// The earliest next poll, and the sooner one of a feed polled at its own pace.
type PollNext = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The polls of the loop: waiting per host, running, and what each feed's last poll asked.
#[derive(Default)]
struct Polls {
    queue: schedule::HostQueues<FeedName>,
    queued: HashSet<FeedName>,
    running: HashSet<FeedName>,
    /// When each feed may be polled again (publisher's ask, failure backoff), as the last
    /// poll decided; from the archive at start, then from each poll's report.
    not_before: HashMap<FeedName, DateTime<Utc>>,
    /// Ticks delayed by their jitter, waiting to join the queue.
    waiting: JoinSet<FeedName>,
    /// Feeds that publish faster than their schedule, waiting in `waiting` for their own
    /// next poll: their scheduled ticks are not needed meanwhile.
    paced: HashSet<FeedName>,
    tasks: JoinSet<PollNext>,
    task_feed: HashMap<tokio::task::Id, (FeedName, String)>,
    /// A poll ended since the write-ahead log was last emptied.
    wrote: bool,
    /// Whether every feed fails the same way on the way to its host, said once.
    network: Arc<std::sync::Mutex<crate::fetch::NetworkWatch>>,
}

impl Polls {
    /// Queues a poll of `name` unless one is queued or running.
    fn enqueue(&mut self, plan: &Plan, name: FeedName) {
        let Some(feed) = plan.feed(&name) else { return };
        if !self.running.contains(&name) && self.queued.insert(name.clone()) {
            self.queue.push(crate::fetch::host_key(&feed.url), name);
        }
    }

    /// Starts queued polls, up to [`schedule::POLLS_AT_ONCE`]; a feed removed while it
    /// waited is dropped here.
    fn start(&mut self, plan: &Plan, metrics: &Arc<metrics::Metrics>) {
        while self.running.len() < schedule::POLLS_AT_ONCE {
            let Some((host, name)) = self.queue.pop() else {
                break;
            };
            self.queued.remove(&name);
            let (Some(feed), Some(id)) = (plan.feed(&name), plan.id(&name)) else {
                self.queue.done(&host);
                continue;
            };
            self.running.insert(name.clone());
            let ingest = plan.ingest.clone();
            let feed = feed.clone();
            let metrics = metrics.clone();
            let network = self.network.clone();
            let handle = self.tasks.spawn(async move {
                let clock = std::time::Instant::now();
                let report = ingest.poll_feed(&feed, id, Utc::now()).await;
                metrics.record(&(&report).into(), clock.elapsed(), Utc::now());
                match &report.status {
                    PollStatus::Failed(why) => {
                        tracing::warn!(feed = %feed.name, error = %why, "poll failed")
                    }
                    PollStatus::Skipped(why) if report.disk_full => {
                        tracing::error!(feed = %feed.name, error = %why, "the archive's disk is full");
                        metrics.disk_full(why.clone());
                    }
                    PollStatus::Skipped(why) => {
                        tracing::info!(feed = %feed.name, reason = %why, "poll skipped")
                    }
                    _ => {}
                }
                if report.status.polled() {
                    let change = network.lock().unwrap_or_else(|p| p.into_inner()).record(
                        feed.name.as_str(),
                        &report.host,
                        report.cause,
                    );
                    match change {
                        Some(NetworkChange::Down(line)) => tracing::warn!("{line}"),
                        Some(NetworkChange::Back) => tracing::info!(
                            "the network looks back up: feeds no longer all fail the same way"
                        ),
                        None => {}
                    }
                }
                (report.not_before, report.sooner)
            });
            self.task_feed.insert(handle.id(), (name, host));
        }
    }

    /// A poll task ended.
    fn finished(&mut self, plan: &Plan, done: Result<PollEnd, tokio::task::JoinError>) {
        let (id, (next, sooner)) = match done {
            Ok(done) => done,
            Err(e) => {
                tracing::error!(error = %e, "a poll task ended abnormally");
                (e.id(), (None, None))
            }
        };
        self.wrote = true;
        if let Some((name, host)) = self.task_feed.remove(&id) {
            self.running.remove(&name);
            self.queue.done(&host);
            if plan.feed(&name).is_none() {
                return;
            }
            if let Some(t) = next {
                self.not_before.insert(name.clone(), t);
            }
            if let Some(at) = sooner
                && self.paced.insert(name.clone())
            {
                let wait = (at - Utc::now()).to_std().unwrap_or_default();
                tracing::debug!(feed = %name, wait_secs = wait.as_secs(), "publishes faster than its schedule; polled again sooner");
                self.waiting.spawn(async move {
                    tokio::time::sleep(wait).await;
                    name
                });
            }
        }
    }

    /// A scheduled tick for `name`: skipped while it is polling or waiting to, or while its
    /// last poll asked for a pause; else it joins the queue after its jitter.
    fn tick(&mut self, plan: &Plan, name: FeedName) {
        let Some(feed) = plan.feed(&name) else { return };
        let now = Utc::now();
        if self.running.contains(&name) || self.queued.contains(&name) {
            tracing::debug!(feed = %name, "still polling; this tick is skipped");
        } else if self.paced.contains(&name) {
            tracing::debug!(feed = %name, "polled at its own pace; this tick is not needed");
        } else if self.not_before.get(&name).is_some_and(|t| *t > now) {
            tracing::debug!(feed = %name, "backing off or asked to wait; this tick is skipped");
        } else {
            let delay =
                schedule::tick_delay(name.as_str(), schedule::interval(&feed.schedule, now));
            self.waiting.spawn(async move {
                tokio::time::sleep(delay).await;
                name
            });
        }
    }
}

/// Feeds sharing one schedule: one scheduler job ticks them all.
struct Group {
    schedule: Schedule,
    feeds: Vec<FeedName>,
    /// When its job last ticked (or the daemon started).
    last_tick: std::time::Instant,
}

/// The enabled feeds grouped by schedule, in config order.
fn group_by_schedule(config: &Config) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for f in config.feeds.iter().filter(|f| f.enabled) {
        match groups.iter_mut().find(|g| g.schedule == f.schedule) {
            Some(g) => g.feeds.push(f.name.clone()),
            None => groups.push(Group {
                schedule: f.schedule.clone(),
                feeds: vec![f.name.clone()],
                last_tick: std::time::Instant::now(),
            }),
        }
    }
    groups
}

/// One job per distinct schedule, each sending its group's index. Not one job per feed:
/// tokio-cron-scheduler walks every job twice a second under one lock, and a repeated job
/// processed later than its interval computes its next tick in the past and never fires
/// again (tokio-cron-scheduler issue 113) — at 10,000 feeds on two busy cores most feeds
/// stopped after their first poll. A handful of jobs keeps it prompt; [`late_groups`]
/// covers the rest.
async fn schedule_groups(
    groups: &[Group],
    tx: &mpsc::UnboundedSender<(u64, usize)>,
    generation: u64,
) -> Result<JobScheduler, Error> {
    let sched_err = |e: tokio_cron_scheduler::JobSchedulerError| {
        Error::failure(format!("cannot start the scheduler: {e}"))
    };
    let scheduler = JobScheduler::new().await.map_err(sched_err)?;
    for (g, group) in groups.iter().enumerate() {
        let tx = tx.clone();
        let tick = move |_id, _lock| {
            let tx = tx.clone();
            Box::pin(async move {
                // Fails only once the daemon is shutting down and stopped listening.
                let _ = tx.send((generation, g));
            }) as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        };
        let job = match &group.schedule {
            Schedule::Every(d) => Job::new_repeated_async(*d, tick),
            Schedule::Cron(c) => Job::new_async(c.as_str(), tick),
        }
        .map_err(|e| Error::usage(format!("cannot schedule {}: {e}", group.schedule)))?;
        scheduler.add(job).await.map_err(sched_err)?;
    }
    scheduler.start().await.map_err(sched_err)?;
    Ok(scheduler)
}

/// Groups whose job has not ticked for twice its interval and a minute: the scheduler
/// lost them, and the daemon ticks them itself rather than let feeds stop silently.
fn late_groups(groups: &[Group], now: std::time::Instant, wall: DateTime<Utc>) -> Vec<usize> {
    groups
        .iter()
        .enumerate()
        .filter(|(_, g)| {
            let allowed = schedule::interval(&g.schedule, wall) * 2 + Duration::from_secs(60);
            now.duration_since(g.last_tick) > allowed
        })
        .map(|(i, _)| i)
        .collect()
}

/// The watchdog's next beat; never, without a watchdog.
async fn tick(watchdog: &mut Option<tokio::time::Interval>) {
    match watchdog {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

fn signal(kind: SignalKind, name: &str) -> Result<Signal, Error> {
    tokio::signal::unix::signal(kind)
        .map_err(|e| Error::failure(format!("cannot listen for {name}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::parse(
            "[schedule]\ndefault = \"2m\"\n\
             [[feed]]\nname = \"a\"\nurl = \"https://a.example/rss\"\n\
             [[feed]]\nname = \"b\"\nurl = \"https://b.example/rss\"\nschedule = \"0 */5 * * * *\"\n\
             [[feed]]\nname = \"c\"\nurl = \"https://c.example/rss\"\n\
             [[feed]]\nname = \"d\"\nurl = \"https://d.example/rss\"\nschedule = \"7m\"\nenabled = false\n",
            std::path::Path::new("feeds.toml"),
        )
        .unwrap()
    }

    #[test]
    fn feeds_sharing_a_schedule_share_one_job() {
        let c = config();
        let groups = group_by_schedule(&c);
        let feeds: Vec<Vec<&str>> = groups
            .iter()
            .map(|g| g.feeds.iter().map(FeedName::as_str).collect())
            .collect();
        assert_eq!(feeds, vec![vec!["a", "c"], vec!["b"]], "only enabled feeds");
    }

    #[test]
    fn a_group_is_late_after_twice_its_interval_and_a_minute() {
        let c = config();
        let mut groups = group_by_schedule(&c);
        let now = std::time::Instant::now();
        let wall = Utc::now();
        let ago = |secs| now.checked_sub(Duration::from_secs(secs)).unwrap();
        groups[0].last_tick = ago(5 * 60 - 1); // 2m schedule: late after 5 min
        groups[1].last_tick = ago(5 * 60 + 1); // 5-minute cron: late after 11 min
        assert!(late_groups(&groups, now, wall).is_empty());
        groups[0].last_tick = ago(5 * 60 + 1);
        assert_eq!(late_groups(&groups, now, wall), vec![0]);
        groups[1].last_tick = ago(11 * 60 + 1);
        assert_eq!(late_groups(&groups, now, wall), vec![0, 1]);
    }
}
