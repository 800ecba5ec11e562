//! `warta daemon`: a first pass over every enabled feed, then each feed on its own schedule,
//! until SIGINT or SIGTERM.
//!
//! tokio-cron-scheduler decides *when*; its job bodies only put the feed's index on a
//! channel (a job body that does real work can stall the scheduler). This loop owns every
//! poll task: it queues polls per host and runs one poll per host at a time (every host
//! with work busy, none waiting on another's politeness gap), at most [`schedule::POLLS_AT_ONCE`]
//! together, never two polls of one feed at once, and on a signal stops taking work, gives running polls a few seconds to commit,
//! then abandons the rest: a poll writes only in its final transaction, so an abandoned
//! poll leaves nothing half-written.
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
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::config::{Config, Schedule};
use crate::error::Error;
use crate::ingest::{Ingest, PollStatus};
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
    let db = db_flag.unwrap_or_else(|| config.archive.path.clone());
    let store = Store::open(&db)?;
    let ingest = Arc::new(Ingest::new(config.clone(), store, false).map_err(Error::failure)?);
    let ids = ingest.sync_feeds().await?;
    let enabled: Vec<usize> = (0..config.feeds.len())
        .filter(|&i| config.feeds[i].enabled)
        .collect();
    if enabled.is_empty() {
        return Err(Error::usage(format!(
            "{} has no enabled feeds; add a [[feed]] with a name and url",
            config.file.display()
        )));
    }

    let started = Utc::now();
    let metrics = Arc::new(
        metrics::Metrics::new(
            config
                .feeds
                .iter()
                .map(|f| (f.name.to_string(), f.enabled))
                .collect(),
            started,
            metrics::stale_after(
                enabled
                    .iter()
                    .map(|&i| schedule::interval(&config.feeds[i].schedule, started)),
            ),
        )
        .with_fetch_stats(ingest.fetcher.stats()),
    );
    let server = match options.listen.or(config.daemon.listen) {
        Some(addr) => {
            let listener = listen::Listener::bind(addr, metrics.clone(), db.clone()).await?;
            let bound = listener.local_addr().unwrap_or(addr);
            tracing::info!(addr = %bound, "serving /healthz and /metrics");
            Some(listener.serve())
        }
        None => None,
    };
    let notifier = notify::Notifier::from_env();
    let mut watchdog = notify::watchdog_interval().map(tokio::time::interval);
    if notifier.is_active() {
        tracing::debug!(watchdog = ?watchdog.as_ref().map(|w| w.period()), "notifying systemd");
    }

    // Unbounded: every feed on one schedule fires in the same scheduler check, and a tick
    // dropped for want of room is a poll silently lost (measured: a quarter of 10,000).
    let (tx, mut rx) = mpsc::unbounded_channel::<usize>();
    let mut scheduler = schedule_feeds(&config, &enabled, &tx).await?;
    tracing::info!(feeds = enabled.len(), archive = %db.display(), "daemon started");
    notifier.notify(&format!("READY=1\nSTATUS=polling {} feeds", enabled.len()));

    // When each feed may be polled again (publisher's ask, failure backoff), as the last
    // poll decided; from the archive at start, then from each poll's report.
    let mut not_before: HashMap<usize, DateTime<Utc>> = HashMap::new();
    for &i in &enabled {
        let id = ids.get(i).copied().unwrap_or_default();
        match ingest.db_feed_state(id).await {
            Ok(state) => {
                if let Some(t) = state.not_before {
                    not_before.insert(i, t);
                }
            }
            Err(e) => {
                tracing::warn!(feed = %config.feeds[i].name, error = %e, "cannot read feed state")
            }
        }
    }
    // The contract's first pass: every enabled feed once at start. A host that asked us to
    // wait is skipped by the fetcher, and says so.
    let host_of = |i: usize| crate::fetch::host_key(&config.feeds[i].url);
    let mut queue: schedule::HostQueues<usize> = schedule::HostQueues::default();
    let mut queued: HashSet<usize> = HashSet::new();
    for &i in &enabled {
        queue.push(host_of(i), i);
        queued.insert(i);
    }
    let mut running: HashSet<usize> = HashSet::new();
    // Ticks delayed by their jitter, waiting to join the queue.
    let mut waiting: JoinSet<usize> = JoinSet::new();
    let mut tasks: JoinSet<Option<DateTime<Utc>>> = JoinSet::new();
    let mut task_feed: HashMap<tokio::task::Id, (usize, String)> = HashMap::new();
    let mut terminate = terminate_signal()?;
    loop {
        while running.len() < schedule::POLLS_AT_ONCE {
            let Some((host, i)) = queue.pop() else { break };
            queued.remove(&i);
            running.insert(i);
            let ingest = ingest.clone();
            let config = config.clone();
            let metrics = metrics.clone();
            let id = ids.get(i).copied().unwrap_or_default();
            let handle = tasks.spawn(async move {
                let feed = &config.feeds[i];
                let clock = std::time::Instant::now();
                let report = ingest.poll_feed(feed, id, Utc::now()).await;
                metrics.record(&(&report).into(), clock.elapsed(), Utc::now());
                match &report.status {
                    PollStatus::Failed(why) => {
                        tracing::warn!(feed = %feed.name, error = %why, "poll failed")
                    }
                    PollStatus::Skipped(why) => {
                        tracing::info!(feed = %feed.name, reason = %why, "poll skipped")
                    }
                    _ => {}
                }
                report.not_before
            });
            task_feed.insert(handle.id(), (i, host));
        }
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = terminate.recv() => break,
            _ = tick(&mut watchdog) => notifier.notify("WATCHDOG=1"),
            Some(i) = rx.recv() => {
                let feed = &config.feeds[i];
                let now = Utc::now();
                if running.contains(&i) || queued.contains(&i) {
                    tracing::debug!(feed = %feed.name, "still polling; this tick is skipped");
                } else if not_before.get(&i).is_some_and(|t| *t > now) {
                    tracing::debug!(feed = %feed.name, "backing off or asked to wait; this tick is skipped");
                } else {
                    let delay = schedule::tick_delay(feed.name.as_str(), schedule::interval(&feed.schedule, now));
                    waiting.spawn(async move {
                        tokio::time::sleep(delay).await;
                        i
                    });
                }
            }
            Some(Ok(i)) = waiting.join_next(), if !waiting.is_empty() => {
                if !running.contains(&i) && queued.insert(i) {
                    queue.push(host_of(i), i);
                }
            }
            Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                let (id, next) = match done {
                    Ok((id, next)) => (id, next),
                    Err(e) => {
                        tracing::error!(error = %e, "a poll task ended abnormally");
                        (e.id(), None)
                    }
                };
                if let Some((i, host)) = task_feed.remove(&id) {
                    running.remove(&i);
                    queue.done(&host);
                    if let Some(t) = next {
                        not_before.insert(i, t);
                    }
                }
            }
        }
    }

    tracing::info!(running = tasks.len(), "stopping");
    notifier.notify("STOPPING=1");
    if let Some(server) = server {
        server.abort();
    }
    // Stop the clock first so no new ticks arrive while polls finish.
    if let Err(e) = scheduler.shutdown().await {
        tracing::debug!(error = %e, "scheduler shutdown");
    }
    rx.close();
    waiting.abort_all();
    let drained =
        tokio::time::timeout(GRACE, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(
            abandoned = tasks.len(),
            "polls still running were abandoned; nothing of them was written"
        );
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
    tracing::info!("stopped");
    Ok(())
}

async fn schedule_feeds(
    config: &Config,
    enabled: &[usize],
    tx: &mpsc::UnboundedSender<usize>,
) -> Result<JobScheduler, Error> {
    let sched_err = |e: tokio_cron_scheduler::JobSchedulerError| {
        Error::failure(format!("cannot start the scheduler: {e}"))
    };
    let scheduler = JobScheduler::new().await.map_err(sched_err)?;
    for &i in enabled {
        let feed = &config.feeds[i];
        let tx = tx.clone();
        let tick = move |_id, _lock| {
            let tx = tx.clone();
            Box::pin(async move {
                // Fails only once the daemon is shutting down and stopped listening.
                let _ = tx.send(i);
            }) as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        };
        let job = match &feed.schedule {
            Schedule::Every(d) => Job::new_repeated_async(*d, tick),
            Schedule::Cron(c) => Job::new_async(c.as_str(), tick),
        }
        .map_err(|e| {
            Error::usage(format!(
                "feed {}: cannot schedule {}: {e}",
                feed.name, feed.schedule
            ))
        })?;
        scheduler.add(job).await.map_err(sched_err)?;
    }
    scheduler.start().await.map_err(sched_err)?;
    Ok(scheduler)
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

#[cfg(unix)]
fn terminate_signal() -> Result<tokio::signal::unix::Signal, Error> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Error::failure(format!("cannot listen for SIGTERM: {e}")))
}
