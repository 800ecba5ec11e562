//! When a feed is polled next: its schedule, what the publisher asks, and how it has been
//! failing. Pure: times in, times out.
//!
//! The schedule (a duration or a cron expression) says when a poll is *wanted*; the
//! publisher may ask not to be polled sooner (`<ttl>`, `sy:updatePeriod`, Cache-Control,
//! Expires, Retry-After), and a failing feed backs off exponentially, capped at
//! [`MAX_BACKOFF`] so that it keeps being tried and shows as failing rather than being
//! dropped. The later of the two wins. Jitter, derived from the feed's name, keeps feeds
//! of one host from firing together.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Schedule;

/// The longest a failing feed waits between tries.
pub const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);
/// The longest a publisher's ask is honoured: a `<ttl>` of a month must not silence a feed.
pub const MAX_ASK: Duration = Duration::from_secs(24 * 3600);

/// What the last poll came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// With the number of failures in a row, this one included.
    Failure(u32),
}

/// The earliest time the next poll may happen.
pub fn not_before(
    now: DateTime<Utc>,
    outcome: Outcome,
    interval: Duration,
    publisher_ask: Option<Duration>,
    feed_name: &str,
) -> DateTime<Utc> {
    let wait = match outcome {
        Outcome::Success => publisher_ask.unwrap_or(Duration::ZERO).min(MAX_ASK),
        Outcome::Failure(n) => {
            let doublings = n.saturating_sub(1).min(16);
            let backoff = interval
                .saturating_mul(1 << doublings)
                .min(MAX_BACKOFF)
                .max(interval.min(MAX_BACKOFF));
            // Up to 10 % earlier, so that feeds failing together spread out again; earlier
            // rather than later so that the next scheduled tick after it is the one the
            // backoff names, not the one after.
            let spread = jitter(feed_name, n, backoff / 10);
            (backoff - spread).max(publisher_ask.unwrap_or(Duration::ZERO).min(MAX_ASK))
        }
    };
    now + chrono::Duration::from_std(wait).unwrap_or_else(|_| chrono::Duration::hours(6))
}

/// The schedule's nominal interval, for backoff steps and jitter bounds.
pub fn interval(schedule: &Schedule, now: DateTime<Utc>) -> Duration {
    match schedule {
        Schedule::Every(d) => *d,
        Schedule::Cron(_) => {
            let a = next_tick(schedule, now);
            let b = next_tick(schedule, a);
            (b - a).to_std().unwrap_or(Duration::from_secs(900))
        }
    }
}

/// The schedule's next time after `after`.
pub fn next_tick(schedule: &Schedule, after: DateTime<Utc>) -> DateTime<Utc> {
    match schedule {
        Schedule::Every(d) => {
            after + chrono::Duration::from_std(*d).unwrap_or_else(|_| chrono::Duration::days(1))
        }
        Schedule::Cron(expr) => croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Required)
            .dom_and_dow(true)
            .build()
            .parse(expr)
            .ok()
            .and_then(|c| c.find_next_occurrence(&after, false).ok())
            .unwrap_or_else(|| after + chrono::Duration::minutes(15)),
    }
}

/// When the next poll is expected: the first scheduled time at or after `not_before`.
pub fn next_poll(
    schedule: &Schedule,
    last_poll: DateTime<Utc>,
    not_before: DateTime<Utc>,
) -> DateTime<Utc> {
    let mut t = next_tick(schedule, last_poll);
    // Bounded: even a one-second schedule reaches a six-hour backoff in 21,600 steps, and
    // durations jump there directly.
    if let Schedule::Every(d) = schedule
        && t < not_before
        && !d.is_zero()
    {
        let step = chrono::Duration::from_std(*d).unwrap_or_else(|_| chrono::Duration::days(1));
        let behind = (not_before - t).num_seconds() / step.num_seconds().max(1);
        t += step * i32::try_from(behind).unwrap_or(i32::MAX);
    }
    for _ in 0..100_000 {
        if t >= not_before {
            break;
        }
        t = next_tick(schedule, t);
    }
    t
}

/// The interval a feed's own pace asks for: about one new item per poll, from the items it
/// published in the last day, between `floor` and its schedule. None keeps the schedule:
/// a quiet feed, a floor at or above the schedule, or a cron schedule (which names times,
/// not a pace).
pub fn adapted(schedule: &Schedule, floor: Duration, published_last_day: u64) -> Option<Duration> {
    let Schedule::Every(every) = schedule else {
        return None;
    };
    if floor >= *every || published_last_day == 0 {
        return None;
    }
    let pace = Duration::from_secs(24 * 3600 / published_last_day.max(1));
    (pace < *every).then(|| pace.max(floor))
}

/// How long a scheduled tick of this feed is delayed: a stable share of `max` derived from
/// the feed's name, so feeds of one host sharing a schedule do not fire together.
pub fn tick_delay(feed_name: &str, interval: Duration) -> Duration {
    jitter(feed_name, 0, (interval / 10).min(Duration::from_secs(120)))
}

/// Polls running at once (one per host, see [`HostQueues`]): a bound on memory for
/// archives of very many hosts; the fetcher's `[fetch] concurrency` bounds the requests.
pub const POLLS_AT_ONCE: usize = 256;

/// Polls waiting to run, one queue per host, at most one poll running per host.
///
/// The fetcher lets one request at a time reach a host, with a gap between them, so two
/// polls of one host only wait on each other, and a poll that fetches articles holds its
/// host for a gap per article. Queued per host, polls of other hosts never wait behind
/// them: every host with work has a poll running. Hosts take turns in the order their
/// work arrived.
#[derive(Debug)]
pub struct HostQueues<T> {
    waiting: std::collections::HashMap<String, std::collections::VecDeque<T>>,
    /// Hosts with waiting polls and none running, in turn order.
    ready: std::collections::VecDeque<String>,
    /// Hosts with a poll running.
    busy: std::collections::HashSet<String>,
    len: usize,
}

impl<T> Default for HostQueues<T> {
    fn default() -> Self {
        HostQueues {
            waiting: Default::default(),
            ready: Default::default(),
            busy: Default::default(),
            len: 0,
        }
    }
}

impl<T> HostQueues<T> {
    pub fn push(&mut self, host: String, item: T) {
        let queue = self.waiting.entry(host.clone()).or_default();
        queue.push_back(item);
        self.len += 1;
        if queue.len() == 1 && !self.busy.contains(&host) {
            self.ready.push_back(host);
        }
    }

    /// The next poll to start, from a host with none running; its host counts as busy
    /// until [`HostQueues::done`].
    pub fn pop(&mut self) -> Option<(String, T)> {
        let host = self.ready.pop_front()?;
        let queue = self.waiting.get_mut(&host)?;
        let item = queue.pop_front()?;
        if queue.is_empty() {
            self.waiting.remove(&host);
        }
        self.len -= 1;
        self.busy.insert(host.clone());
        Some((host, item))
    }

    /// The poll running on `host` ended: the host's next one may start.
    pub fn done(&mut self, host: &str) {
        if self.busy.remove(host) && self.waiting.contains_key(host) {
            self.ready.push_back(host.to_owned());
        }
    }

    /// Polls waiting (not running).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

fn jitter(key: &str, salt: u32, max: Duration) -> Duration {
    if max.is_zero() {
        return Duration::ZERO;
    }
    // FNV-1a: stable across runs and platforms, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes().chain(salt.to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let millis = max.as_millis().max(1) as u64;
    Duration::from_millis(h % millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_feed_is_polled_at_its_pace_down_to_the_floor_and_a_quiet_one_on_schedule() {
        let every = Schedule::Every(Duration::from_secs(15 * 60));
        let floor = Duration::from_secs(5 * 60);
        let min = |m: u64| Some(Duration::from_secs(m * 60));
        assert_eq!(adapted(&every, floor, 0), None);
        assert_eq!(
            adapted(&every, floor, 24),
            None,
            "one an hour: the schedule"
        );
        assert_eq!(adapted(&every, floor, 96), None, "one every 15 min");
        assert_eq!(adapted(&every, floor, 144), min(10));
        assert_eq!(
            adapted(&every, floor, 2_000),
            min(5),
            "never below the floor"
        );
        assert_eq!(adapted(&every, Duration::from_secs(3600), 2_000), None);
        let cron = Schedule::parse("*/20 * * * *").unwrap();
        assert_eq!(adapted(&cron, floor, 2_000), None);
    }
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 11, 20, h, m, 0).unwrap()
    }

    const TEN_MIN: Duration = Duration::from_secs(600);

    #[test]
    fn success_waits_for_what_the_publisher_asks() {
        assert_eq!(
            not_before(t(10, 0), Outcome::Success, TEN_MIN, None, "a"),
            t(10, 0)
        );
        let ask = Some(Duration::from_secs(3600));
        assert_eq!(
            not_before(t(10, 0), Outcome::Success, TEN_MIN, ask, "a"),
            t(11, 0)
        );
        let month = Some(Duration::from_secs(30 * 86_400));
        let capped = not_before(t(10, 0), Outcome::Success, TEN_MIN, month, "a");
        assert_eq!(capped - t(10, 0), chrono::Duration::hours(24));
    }

    #[test]
    fn failures_back_off_exponentially_with_jitter_and_a_cap() {
        let wait = |n| {
            (not_before(t(10, 0), Outcome::Failure(n), TEN_MIN, None, "feed") - t(10, 0))
                .num_seconds()
        };
        let (w1, w2, w3) = (wait(1), wait(2), wait(3));
        assert!((540..=600).contains(&w1), "{w1}");
        assert!((1080..=1200).contains(&w2), "{w2}");
        assert!((2160..=2400).contains(&w3), "{w3}");
        for n in [10, 20, 1000] {
            let w = wait(n);
            assert!((19_440..=21_600).contains(&w), "{n}: {w}");
        }
        // The jitter differs between feeds.
        let other = (not_before(t(10, 0), Outcome::Failure(3), TEN_MIN, None, "other") - t(10, 0))
            .num_seconds();
        assert_ne!(other, w3);
    }

    #[test]
    fn next_poll_is_the_first_tick_after_not_before() {
        let every = Schedule::Every(TEN_MIN);
        assert_eq!(next_poll(&every, t(10, 0), t(10, 0)), t(10, 10));
        assert_eq!(next_poll(&every, t(10, 0), t(11, 5)), t(11, 10));
        let cron = Schedule::Cron("0 */15 * * * *".into());
        assert_eq!(next_poll(&cron, t(10, 0), t(10, 0)), t(10, 15));
        assert_eq!(next_poll(&cron, t(10, 0), t(12, 1)), t(12, 15));
        assert_eq!(interval(&cron, t(10, 0)), Duration::from_secs(900));
    }

    #[test]
    fn host_queues_run_one_poll_per_host_and_take_turns() {
        let mut q = HostQueues::default();
        for item in ["a1", "a2", "a3", "b1", "c1", "c2"] {
            q.push(item[..1].to_string(), item);
        }
        let mut started = Vec::new();
        while let Some((_, item)) = q.pop() {
            started.push(item);
        }
        assert_eq!(
            started,
            ["a1", "b1", "c1"],
            "one per host, in arrival order"
        );
        assert_eq!(q.len(), 3);
        q.done("b");
        assert_eq!(q.pop(), None, "b has nothing left");
        q.done("c");
        q.done("a");
        assert_eq!(q.pop(), Some(("c".to_string(), "c2")));
        assert_eq!(q.pop(), Some(("a".to_string(), "a2")));
        assert_eq!(q.pop(), None, "a is busy with a2");
        // Work arriving for a busy host waits for it; for an idle one it is ready at once.
        q.push("b".into(), "b2");
        assert_eq!(q.pop(), Some(("b".to_string(), "b2")));
        q.done("a");
        assert_eq!(q.pop(), Some(("a".to_string(), "a3")));
        assert!(q.is_empty());
        // `done` for a host with nothing running changes nothing.
        q.done("zzz");
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn tick_delays_are_stable_bounded_and_spread() {
        let d = tick_delay("tribun-kaltim", TEN_MIN);
        assert_eq!(d, tick_delay("tribun-kaltim", TEN_MIN));
        assert!(d <= Duration::from_secs(60));
        let names = ["a", "b", "c", "d", "e", "f"];
        let distinct: std::collections::HashSet<_> =
            names.iter().map(|n| tick_delay(n, TEN_MIN)).collect();
        assert!(distinct.len() >= 5);
    }
}
