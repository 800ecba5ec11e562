//! How long requests take, counted where they are made, for the daemon's `/metrics`.
//! Lock-free counters: every request adds to them, a scrape reads them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the latency buckets: from a nearby CDN to a slow shared host
/// near the timeout.
pub const LATENCY_BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// Request latency (from sending to the last body byte) and failures.
#[derive(Debug, Default)]
pub struct FetchStats {
    /// Per bucket, not cumulative; the last slot is above every bound.
    counts: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    sum_micros: AtomicU64,
    failures: AtomicU64,
}

/// A reading of [`FetchStats`].
#[derive(Debug, Clone, PartialEq)]
pub struct LatencySnapshot {
    /// `(bound, requests at or under it)`, cumulative, in bound order.
    pub buckets: Vec<(f64, u64)>,
    pub count: u64,
    pub sum_seconds: f64,
    /// Requests that ended in an error (network, status, size), any latency.
    pub failures: u64,
}

impl FetchStats {
    pub fn observe(&self, took: Duration, ok: bool) {
        let seconds = took.as_secs_f64();
        let slot = LATENCY_BUCKETS
            .iter()
            .position(|&b| seconds <= b)
            .unwrap_or(LATENCY_BUCKETS.len());
        if let Some(c) = self.counts.get(slot) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
        if !ok {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Requests answered or failed so far.
    pub fn requests(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    pub fn snapshot(&self) -> LatencySnapshot {
        let mut cumulative = 0;
        let mut buckets = Vec::with_capacity(LATENCY_BUCKETS.len());
        for (bound, count) in LATENCY_BUCKETS.iter().zip(&self.counts) {
            cumulative += count.load(Ordering::Relaxed);
            buckets.push((*bound, cumulative));
        }
        let over = self.counts.last().map_or(0, |c| c.load(Ordering::Relaxed));
        LatencySnapshot {
            buckets,
            count: cumulative + over,
            sum_seconds: self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
            failures: self.failures.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_the_slowest_count_only_in_the_total() {
        let s = FetchStats::default();
        s.observe(Duration::from_millis(40), true);
        s.observe(Duration::from_millis(100), true);
        s.observe(Duration::from_millis(700), false);
        s.observe(Duration::from_secs(90), false);
        let r = s.snapshot();
        assert_eq!(r.buckets.first(), Some(&(0.05, 1)));
        assert_eq!(r.buckets.get(1), Some(&(0.1, 2)), "a bound is inclusive");
        assert_eq!(r.buckets.get(4), Some(&(1.0, 3)));
        assert_eq!(r.buckets.last(), Some(&(60.0, 3)));
        assert_eq!(r.count, 4);
        assert_eq!(r.failures, 2);
        assert!((r.sum_seconds - 90.84).abs() < 1e-6);
    }
}
