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
    let mut groups = group_by_schedule(&config, &enabled);
    let mut scheduler = schedule_groups(&groups, &tx).await?;
    let mut lateness = tokio::time::interval(Duration::from_secs(30));
    lateness.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::info!(feeds = enabled.len(), archive = %db.display(), "daemon started");
    notifier.notify(&format!(
        "READY=1\nSTATUS=polling {}",
        crate::text::counted(enabled.len(), "feed")
    ));

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
            Some(g) = rx.recv() => {
                if let Some(group) = groups.get_mut(g) {
                    group.last_tick = std::time::Instant::now();
                    for &i in &group.feeds {
                        tick_feed(i, &config, &running, &queued, &not_before, &mut waiting);
                    }
                }
            }
            _ = lateness.tick() => {
                for g in late_groups(&groups, std::time::Instant::now(), Utc::now()) {
                    let Some(group) = groups.get_mut(g) else { continue };
                    tracing::warn!(
                        schedule = %group.schedule,
                        feeds = group.feeds.len(),
                        "the scheduler missed this schedule's tick; polling its feeds anyway"
                    );
                    group.last_tick = std::time::Instant::now();
                    for &i in &group.feeds {
                        tick_feed(i, &config, &running, &queued, &not_before, &mut waiting);
                    }
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

/// Feeds sharing one schedule: one scheduler job ticks them all.
struct Group {
    schedule: Schedule,
    feeds: Vec<usize>,
    /// When its job last ticked (or the daemon started).
    last_tick: std::time::Instant,
}

/// The enabled feeds grouped by schedule, in config order.
fn group_by_schedule(config: &Config, enabled: &[usize]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for &i in enabled {
        let schedule = &config.feeds[i].schedule;
        match groups.iter_mut().find(|g| g.schedule == *schedule) {
            Some(g) => g.feeds.push(i),
            None => groups.push(Group {
                schedule: schedule.clone(),
                feeds: vec![i],
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
    tx: &mpsc::UnboundedSender<usize>,
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
                let _ = tx.send(g);
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

/// A scheduled tick for feed `i`: skipped while it is polling or waiting to, or while its
/// last poll asked for a pause; else it joins the queue after its jitter.
fn tick_feed(
    i: usize,
    config: &Config,
    running: &HashSet<usize>,
    queued: &HashSet<usize>,
    not_before: &HashMap<usize, DateTime<Utc>>,
    waiting: &mut JoinSet<usize>,
) {
    let feed = &config.feeds[i];
    let now = Utc::now();
    if running.contains(&i) || queued.contains(&i) {
        tracing::debug!(feed = %feed.name, "still polling; this tick is skipped");
    } else if not_before.get(&i).is_some_and(|t| *t > now) {
        tracing::debug!(feed = %feed.name, "backing off or asked to wait; this tick is skipped");
    } else {
        let delay =
            schedule::tick_delay(feed.name.as_str(), schedule::interval(&feed.schedule, now));
        waiting.spawn(async move {
            tokio::time::sleep(delay).await;
            i
        });
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::parse(
            "[schedule]\ndefault = \"2m\"\n\
             [[feed]]\nname = \"a\"\nurl = \"https://a.example/rss\"\n\
             [[feed]]\nname = \"b\"\nurl = \"https://b.example/rss\"\nschedule = \"0 */5 * * * *\"\n\
             [[feed]]\nname = \"c\"\nurl = \"https://c.example/rss\"\n",
            std::path::Path::new("feeds.toml"),
        )
        .unwrap()
    }

    #[test]
    fn feeds_sharing_a_schedule_share_one_job() {
        let c = config();
        let groups = group_by_schedule(&c, &[0, 1, 2]);
        let feeds: Vec<Vec<usize>> = groups.iter().map(|g| g.feeds.clone()).collect();
        assert_eq!(feeds, vec![vec![0, 2], vec![1]]);
        assert_eq!(group_by_schedule(&c, &[1]).len(), 1, "only enabled feeds");
    }

    #[test]
    fn a_group_is_late_after_twice_its_interval_and_a_minute() {
        let c = config();
        let mut groups = group_by_schedule(&c, &[0, 1, 2]);
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
