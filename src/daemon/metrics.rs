//! What the daemon knows about its own polls, kept in memory: the counters and the latency
//! histogram behind `/metrics`, and the rule behind `/healthz`.
//!
//! The daemon records each poll's [`FeedReport`] here as the poll ends; the listener reads
//! a consistent snapshot under the same lock. Values that live in the archive (pending
//! pages, database size, feed states) are read from the file at scrape time instead, so
//! they are right even when another process (`warta fetch`) wrote them. Counters start at
//! zero with the process, as Prometheus expects of counters.
//!
//! The exposition is written by hand (text format 0.0.4): a dozen series do not need a
//! metrics crate, and the format is small enough to test line by line.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::fetch::FetchStats;
use crate::ingest::{FeedReport, PollStatus};
use crate::store::Gauges;

/// Upper bounds of the poll-duration buckets, in seconds: from a 304 on a near host to a
/// poll that fetched fifty pages one second apart.
const BUCKETS: [f64; 10] = [0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0];

/// The outcomes a poll can have, as `warta fetch` and the logs name them.
const STATUSES: [&str; 4] = ["ok", "not-modified", "failed", "skipped"];

/// The feed states `warta feeds` shows, plus `disabled` for feeds switched off in the config.
const STATES: [&str; 6] = ["ok", "failing", "gone", "moved", "new", "disabled"];

/// `/healthz` turns unhealthy when no poll has succeeded for this long, or for three
/// intervals of the most frequently polled feed if that is longer (a daily feed must not
/// look broken at noon).
pub const MIN_STALE_AFTER: Duration = Duration::from_secs(2 * 3600);

/// The part of a poll's [`FeedReport`] the counters need.
#[derive(Debug, Clone, Copy)]
pub struct PollSample<'a> {
    pub feed: &'a str,
    pub status: &'a PollStatus,
    pub new: usize,
    pub duplicate: usize,
    pub failed: usize,
    pub revisited: usize,
    pub taken_down: usize,
}

impl<'a> From<&'a FeedReport> for PollSample<'a> {
    fn from(r: &'a FeedReport) -> Self {
        PollSample {
            feed: r.feed.as_str(),
            status: &r.status,
            new: r.new,
            duplicate: r.duplicate,
            failed: r.failed,
            revisited: r.revisited,
            taken_down: r.taken_down,
        }
    }
}

#[derive(Debug, Default, Clone)]
struct FeedCounters {
    polls: BTreeMap<&'static str, u64>,
    articles: u64,
    duplicates: u64,
    poll_failures: u64,
    page_failures: u64,
    revisits: u64,
    takedowns: u64,
    /// Whether this feed's latest finished poll of this run failed (None: none finished yet,
    /// or only skips).
    failing: Option<bool>,
}

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Counts per bucket (not cumulative; summed when written).
    counts: [u64; BUCKETS.len()],
    over: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        match BUCKETS.iter().position(|&b| seconds <= b) {
            Some(i) => {
                if let Some(c) = self.counts.get_mut(i) {
                    *c += 1;
                }
            }
            None => self.over += 1,
        }
        self.sum += seconds;
    }

    fn count(&self) -> u64 {
        self.counts.iter().sum::<u64>() + self.over
    }
}

#[derive(Debug, Default)]
struct Inner {
    feeds: BTreeMap<String, FeedCounters>,
    duration: Histogram,
    last_success: Option<DateTime<Utc>>,
    /// Polls that finished (ok, not modified, or failed); skips are not polls that ran.
    finished: u64,
    /// Configured feeds in config order, with whether each is enabled.
    configured: Vec<(String, bool)>,
    stale_after: Duration,
    /// Why the last write failed for want of disk space, until a poll writes again.
    disk_full: Option<String>,
}

/// A per-feed counter: its name, its HELP text, and how to read it.
type PerFeed = (&'static str, &'static str, fn(&FeedCounters) -> u64);

pub struct Metrics {
    inner: Mutex<Inner>,
    started: DateTime<Utc>,
    /// Per-request latency, counted by the fetcher.
    fetch: Option<Arc<FetchStats>>,
    alerts: Option<Arc<crate::watch::AlertStats>>,
}

/// Why the archive cannot be used, as the listener found it at request time.
pub type DbProblem = Option<String>;

impl Metrics {
    pub fn new(feeds: Vec<(String, bool)>, started: DateTime<Utc>, stale_after: Duration) -> Self {
        let metrics = Metrics {
            inner: Mutex::new(Inner::default()),
            started,
            fetch: None,
            alerts: None,
        };
        metrics.set_feeds(feeds, stale_after);
        metrics
    }

    /// The configured feeds (at start, and again after a reload): a feed no longer
    /// configured loses its counters, so that a removed failing feed does not keep
    /// `/healthz` unhealthy; the others keep theirs.
    pub fn set_feeds(&self, feeds: Vec<(String, bool)>, stale_after: Duration) {
        let mut inner = self.lock();
        let mut counters = std::mem::take(&mut inner.feeds);
        for (name, enabled) in &feeds {
            if *enabled {
                let kept = counters.remove(name).unwrap_or_default();
                inner.feeds.insert(name.clone(), kept);
            }
        }
        inner.configured = feeds;
        inner.stale_after = stale_after;
    }

    /// Also serve the watches' alerts.
    pub fn with_alert_stats(mut self, stats: Arc<crate::watch::AlertStats>) -> Self {
        self.alerts = Some(stats);
        self
    }

    /// Also serve the fetcher's request latency.
    pub fn with_fetch_stats(mut self, stats: Arc<FetchStats>) -> Self {
        self.fetch = Some(stats);
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves plain counters, still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records one finished poll.
    pub fn record(&self, report: &PollSample<'_>, elapsed: Duration, now: DateTime<Utc>) {
        let mut inner = self.lock();
        let status = report.status.as_str();
        let ran = report.status.polled();
        let feed = inner.feeds.entry(report.feed.to_string()).or_default();
        *feed.polls.entry(status).or_default() += 1;
        feed.articles += report.new as u64;
        feed.duplicates += report.duplicate as u64;
        feed.page_failures += report.failed as u64;
        feed.revisits += report.revisited as u64;
        feed.takedowns += report.taken_down as u64;
        match &report.status {
            PollStatus::Failed(_) => {
                feed.poll_failures += 1;
                feed.failing = Some(true);
            }
            PollStatus::Ok | PollStatus::NotModified => {
                feed.failing = Some(false);
                inner.disk_full = None;
            }
            PollStatus::Skipped(_) | PollStatus::Interrupted => {}
        }
        if ran {
            inner.finished += 1;
            inner.duration.observe(elapsed.as_secs_f64());
            if !matches!(report.status, PollStatus::Failed(_)) {
                inner.last_success = Some(now);
            }
        }
    }

    /// A write failed for want of disk space: unhealthy with `why` until a poll writes.
    pub fn disk_full(&self, why: String) {
        self.lock().disk_full = Some(why);
    }

    /// `Ok(())` when healthy, else the one-line reason. The rule, in order:
    /// 1. the archive must be readable and writable (`db`), its disk not full;
    /// 2. at least one poll must have finished since start ("starting" until then);
    /// 3. a poll must have succeeded (fetched, or answered "not modified") within the
    ///    stale window: [`MIN_STALE_AFTER`], or three intervals of the most frequent feed;
    /// 4. no more than half of the feeds whose latest poll finished may be failing; a
    ///    few broken sites are the feeds' problem, most of them failing is ours (network,
    ///    DNS, disk).
    pub fn health(&self, now: DateTime<Utc>, db: DbProblem) -> Result<(), String> {
        if let Some(problem) = db {
            return Err(problem);
        }
        let inner = self.lock();
        if let Some(why) = &inner.disk_full {
            return Err(why.clone());
        }
        if inner.finished == 0 {
            return Err("starting: no poll has finished yet".into());
        }
        let window = chrono::Duration::from_std(inner.stale_after)
            .unwrap_or_else(|_| chrono::Duration::hours(2));
        let hours = crate::config::format_duration(inner.stale_after);
        match inner.last_success {
            None => {
                return Err(format!(
                    "no poll has succeeded since start ({} finished, all failed)",
                    inner.finished
                ));
            }
            Some(t) if now - t > window => {
                return Err(format!("no poll has succeeded in the last {hours}"));
            }
            Some(_) => {}
        }
        let known = inner.feeds.values().filter(|f| f.failing.is_some()).count();
        let failing = inner
            .feeds
            .values()
            .filter(|f| f.failing == Some(true))
            .count();
        if failing * 2 > known {
            return Err(format!("{failing} of {known} feeds failing"));
        }
        Ok(())
    }

    /// The Prometheus text exposition (format 0.0.4). `gauges` is what the archive said at
    /// this scrape; when it could not be read those series are left out, and
    /// `warta_archive_readable` says so.
    pub fn render(&self, gauges: Option<&Gauges>) -> String {
        let inner = self.lock();
        let mut out = String::with_capacity(4096);
        let feeds = &inner.feeds;

        header(
            &mut out,
            "warta_polls_total",
            "counter",
            "Polls finished since start, by feed and outcome (ok, not-modified, failed, skipped).",
        );
        for (name, f) in feeds {
            for status in STATUSES {
                let n = f.polls.get(status).copied().unwrap_or(0);
                sample(
                    &mut out,
                    "warta_polls_total",
                    &[("feed", name), ("status", status)],
                    n,
                );
            }
        }
        let per_feed: [PerFeed; 6] = [
            (
                "warta_articles_archived_total",
                "New articles archived since start, by feed.",
                |f| f.articles,
            ),
            (
                "warta_duplicates_total",
                "Items recognised as an article already archived (another URL, feed or the same body), by feed.",
                |f| f.duplicates,
            ),
            (
                "warta_poll_failures_total",
                "Polls that failed (the feed could not be fetched or read), by feed.",
                |f| f.poll_failures,
            ),
            (
                "warta_page_failures_total",
                "Article pages that could not be fetched or gave no body (kept from the feed's text, tried again later), by feed.",
                |f| f.page_failures,
            ),
            (
                "warta_revisits_total",
                "Archived pages fetched again to see them revised or taken down ([revisit]), by feed.",
                |f| f.revisits,
            ),
            (
                "warta_takedowns_total",
                "Archived articles a revisit found taken down (404, 410, a redirect to the home page), by feed.",
                |f| f.takedowns,
            ),
        ];
        for (metric, help, value) in per_feed {
            header(&mut out, metric, "counter", help);
            for (name, f) in feeds {
                sample(&mut out, metric, &[("feed", name)], value(f));
            }
        }

        let h = &inner.duration;
        let mut cumulative = 0;
        let buckets: Vec<(f64, u64)> = BUCKETS
            .iter()
            .zip(h.counts.iter())
            .map(|(bound, count)| {
                cumulative += count;
                (*bound, cumulative)
            })
            .collect();
        histogram(
            &mut out,
            "warta_poll_duration_seconds",
            "Time one poll took: the feed fetch, its new article pages (spaced politely) and the archive write.",
            &buckets,
            h.count(),
            h.sum,
        );

        if let Some(f) = &self.fetch {
            let r = f.snapshot();
            histogram(
                &mut out,
                "warta_fetch_duration_seconds",
                "Time one HTTP request took, from sending it to its last body byte (feeds, pages, robots.txt).",
                &r.buckets,
                r.count,
                r.sum_seconds,
            );
            header(
                &mut out,
                "warta_fetch_failures_total",
                "counter",
                "HTTP requests that ended in an error: network, status, size or refusal.",
            );
            sample(&mut out, "warta_fetch_failures_total", &[], r.failures);
        }

        if let Some(a) = &self.alerts {
            use std::sync::atomic::Ordering::Relaxed;
            let counters: [(&str, &str, &str, u64); 4] = [
                (
                    "warta_alerts_sent_total",
                    "counter",
                    "Watch alerts their target took (webhook, ntfy, Telegram, e-mail) since start.",
                    a.sent.load(Relaxed),
                ),
                (
                    "warta_alert_failures_total",
                    "counter",
                    "Tries to deliver a watch alert that failed (each is tried again later) since start.",
                    a.failures.load(Relaxed),
                ),
                (
                    "warta_alerts_given_up_total",
                    "counter",
                    "Watch alerts given up after their retries since start (`warta watch list` shows why).",
                    a.gave_up.load(Relaxed),
                ),
                (
                    "warta_alerts_waiting",
                    "gauge",
                    "Watch alerts in the outbox not yet taken by their target.",
                    a.waiting.load(Relaxed),
                ),
            ];
            for (name, kind, help, value) in counters {
                header(&mut out, name, kind, help);
                sample(&mut out, name, &[], value);
            }
        }

        header(
            &mut out,
            "warta_archive_readable",
            "gauge",
            "1 when this scrape could read the archive, else 0 (the archive's gauges are then missing).",
        );
        let _ = writeln!(out, "warta_archive_readable {}", u8::from(gauges.is_some()));
        if let Some(g) = gauges {
            header(
                &mut out,
                "warta_pending_pages",
                "gauge",
                "Articles kept from their feed's text whose page is still to be fetched.",
            );
            let _ = writeln!(out, "warta_pending_pages {}", g.pending_pages);
            header(
                &mut out,
                "warta_database_bytes",
                "gauge",
                "Size of the archive file and its write-ahead log.",
            );
            let _ = writeln!(out, "warta_database_bytes {}", g.database_bytes);
            header(
                &mut out,
                "warta_feeds",
                "gauge",
                "Configured feeds by state (ok, failing, gone, moved, new, disabled).",
            );
            let mut by_state: BTreeMap<&str, u64> = STATES.iter().map(|s| (*s, 0)).collect();
            for (name, enabled) in &inner.configured {
                let state = if *enabled {
                    g.feed_states
                        .iter()
                        .find(|(n, _)| n == name)
                        .map_or("new", |(_, s)| s.as_str())
                } else {
                    "disabled"
                };
                *by_state.entry(state).or_default() += 1;
            }
            for (state, n) in by_state {
                sample(&mut out, "warta_feeds", &[("state", state)], n);
            }
        }

        header(
            &mut out,
            "warta_last_success_timestamp_seconds",
            "gauge",
            "Unix time of the last successful poll of any feed (0: none since start).",
        );
        let _ = writeln!(
            out,
            "warta_last_success_timestamp_seconds {}",
            inner.last_success.map_or(0, |t| t.timestamp())
        );
        header(
            &mut out,
            "warta_start_time_seconds",
            "gauge",
            "Unix time the daemon started.",
        );
        let _ = writeln!(out, "warta_start_time_seconds {}", self.started.timestamp());
        out
    }
}

/// A histogram from its cumulative `(bound, count)` buckets, total count and sum.
fn histogram(
    out: &mut String,
    name: &str,
    help: &str,
    buckets: &[(f64, u64)],
    count: u64,
    sum: f64,
) {
    header(out, name, "histogram", help);
    let bucket = format!("{name}_bucket");
    for (bound, cumulative) in buckets {
        sample(out, &bucket, &[("le", &bound.to_string())], *cumulative);
    }
    sample(out, &bucket, &[("le", "+Inf")], count);
    let _ = writeln!(out, "{name}_sum {sum}");
    let _ = writeln!(out, "{name}_count {count}");
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: u64) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"{}\"", escape_label(v));
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// Label values escape backslash, double quote and line feed (format 0.0.4).
fn escape_label(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

/// HELP text escapes backslash and line feed only.
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

/// The stale window for feeds polled at `intervals`: three of the shortest, at least
/// [`MIN_STALE_AFTER`].
pub fn stale_after(intervals: impl IntoIterator<Item = Duration>) -> Duration {
    intervals.into_iter().min().map_or(MIN_STALE_AFTER, |d| {
        d.saturating_mul(3).max(MIN_STALE_AFTER)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn report(feed: &str, status: PollStatus, new: usize, dup: usize, failed: usize) -> Owned {
        Owned(feed.to_string(), status, new, dup, failed)
    }

    struct Owned(String, PollStatus, usize, usize, usize);

    impl Metrics {
        fn rec(&self, o: &Owned, elapsed: Duration, now: DateTime<Utc>) {
            let sample = PollSample {
                feed: &o.0,
                status: &o.1,
                new: o.2,
                duplicate: o.3,
                failed: o.4,
                revisited: o.2 + 2,
                taken_down: o.4,
            };
            self.record(&sample, elapsed, now);
        }
    }

    fn metrics(feeds: &[&str]) -> Metrics {
        Metrics::new(
            feeds.iter().map(|f| (f.to_string(), true)).collect(),
            t("2024-03-12T00:00:00Z"),
            MIN_STALE_AFTER,
        )
    }

    #[test]
    fn starting_is_unhealthy_until_a_poll_finishes() {
        let m = metrics(&["a"]);
        let now = t("2024-03-12T00:01:00Z");
        assert_eq!(
            m.health(now, None).unwrap_err(),
            "starting: no poll has finished yet"
        );
        m.rec(
            &report("a", PollStatus::Skipped("wait".into()), 0, 0, 0),
            Duration::ZERO,
            now,
        );
        assert!(
            m.health(now, None).is_err(),
            "a skip is not a finished poll"
        );
        m.rec(
            &report("a", PollStatus::NotModified, 0, 0, 0),
            Duration::ZERO,
            now,
        );
        assert_eq!(m.health(now, None), Ok(()));
    }

    #[test]
    fn database_problem_wins() {
        let m = metrics(&["a"]);
        let now = t("2024-03-12T00:01:00Z");
        m.rec(&report("a", PollStatus::Ok, 1, 0, 0), Duration::ZERO, now);
        assert_eq!(
            m.health(now, Some("database not writable: x".into()))
                .unwrap_err(),
            "database not writable: x"
        );
    }

    #[test]
    fn no_success_within_the_window_is_unhealthy() {
        let m = metrics(&["a", "b"]);
        let t0 = t("2024-03-12T00:01:00Z");
        m.rec(&report("a", PollStatus::Ok, 1, 0, 0), Duration::ZERO, t0);
        assert_eq!(m.health(t("2024-03-12T02:00:00Z"), None), Ok(()));
        assert_eq!(
            m.health(t("2024-03-12T02:01:01Z"), None).unwrap_err(),
            "no poll has succeeded in the last 2h"
        );
    }

    #[test]
    fn all_failed_since_start_is_unhealthy() {
        let m = metrics(&["a"]);
        let now = t("2024-03-12T00:01:00Z");
        m.rec(
            &report("a", PollStatus::Failed("HTTP 500".into()), 0, 0, 0),
            Duration::ZERO,
            now,
        );
        assert_eq!(
            m.health(now, None).unwrap_err(),
            "no poll has succeeded since start (1 finished, all failed)"
        );
    }

    #[test]
    fn more_than_half_failing_is_unhealthy_half_is_not() {
        let m = metrics(&["a", "b", "c", "d"]);
        let now = t("2024-03-12T00:01:00Z");
        let fail = || PollStatus::Failed("x".into());
        m.rec(&report("a", PollStatus::Ok, 0, 0, 0), Duration::ZERO, now);
        m.rec(&report("b", PollStatus::Ok, 0, 0, 0), Duration::ZERO, now);
        m.rec(&report("c", fail(), 0, 0, 0), Duration::ZERO, now);
        m.rec(&report("d", fail(), 0, 0, 0), Duration::ZERO, now);
        assert_eq!(m.health(now, None), Ok(()));
        m.rec(&report("b", fail(), 0, 0, 0), Duration::ZERO, now);
        assert_eq!(m.health(now, None).unwrap_err(), "3 of 4 feeds failing");
        // A feed that recovers counts as healthy again.
        m.rec(&report("c", PollStatus::Ok, 0, 0, 0), Duration::ZERO, now);
        assert_eq!(m.health(now, None), Ok(()));
    }

    #[test]
    fn stale_window_follows_the_most_frequent_feed() {
        assert_eq!(stale_after([]), MIN_STALE_AFTER);
        assert_eq!(stale_after([Duration::from_secs(900)]), MIN_STALE_AFTER);
        assert_eq!(
            stale_after([Duration::from_secs(86_400), Duration::from_secs(3 * 3600)]),
            Duration::from_secs(9 * 3600)
        );
    }

    #[test]
    fn exposition_has_help_type_counters_and_a_cumulative_histogram() {
        let m = metrics(&["antara-kaltim"]);
        let now = t("2024-03-12T00:01:00Z");
        m.rec(
            &report("antara-kaltim", PollStatus::Ok, 3, 2, 1),
            Duration::from_millis(300),
            now,
        );
        m.rec(
            &report("antara-kaltim", PollStatus::Failed("x".into()), 0, 0, 0),
            Duration::from_secs(400),
            now,
        );
        let g = Gauges {
            database_bytes: 4096,
            pending_pages: 7,
            feed_states: vec![("antara-kaltim".into(), "failing".into())],
        };
        let text = m.render(Some(&g));
        for line in [
            "# TYPE warta_polls_total counter",
            "warta_polls_total{feed=\"antara-kaltim\",status=\"ok\"} 1",
            "warta_polls_total{feed=\"antara-kaltim\",status=\"failed\"} 1",
            "warta_polls_total{feed=\"antara-kaltim\",status=\"skipped\"} 0",
            "warta_articles_archived_total{feed=\"antara-kaltim\"} 3",
            "warta_duplicates_total{feed=\"antara-kaltim\"} 2",
            "warta_poll_failures_total{feed=\"antara-kaltim\"} 1",
            "warta_page_failures_total{feed=\"antara-kaltim\"} 1",
            "warta_revisits_total{feed=\"antara-kaltim\"} 7",
            "warta_takedowns_total{feed=\"antara-kaltim\"} 1",
            "# TYPE warta_poll_duration_seconds histogram",
            "warta_poll_duration_seconds_bucket{le=\"0.25\"} 0",
            "warta_poll_duration_seconds_bucket{le=\"0.5\"} 1",
            "warta_poll_duration_seconds_bucket{le=\"300\"} 1",
            "warta_poll_duration_seconds_bucket{le=\"+Inf\"} 2",
            "warta_poll_duration_seconds_count 2",
            "warta_pending_pages 7",
            "warta_database_bytes 4096",
            "warta_feeds{state=\"failing\"} 1",
            "warta_feeds{state=\"ok\"} 0",
            "warta_start_time_seconds 1710201600",
            "warta_last_success_timestamp_seconds 1710201660",
            "warta_archive_readable 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
        // Every sample's metric has its HELP and TYPE before it.
        let mut typed = std::collections::HashSet::new();
        for l in text.lines() {
            if let Some(rest) = l.strip_prefix("# TYPE ") {
                typed.insert(rest.split(' ').next().unwrap().to_string());
            } else if !l.starts_with('#') {
                let name = l.split(['{', ' ']).next().unwrap();
                let base = name
                    .trim_end_matches("_bucket")
                    .trim_end_matches("_sum")
                    .trim_end_matches("_count");
                assert!(typed.contains(name) || typed.contains(base), "{l}");
            }
        }
    }

    #[test]
    fn unreadable_archive_leaves_out_its_gauges() {
        let text = metrics(&["a"]).render(None);
        assert!(text.contains("warta_archive_readable 0"));
        assert!(!text.contains("warta_database_bytes"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape_label("x\ny"), "x\\ny");
        let mut out = String::new();
        sample(&mut out, "m", &[("feed", "q\"")], 1);
        assert_eq!(out, "m{feed=\"q\\\"\"} 1\n");
    }
}
