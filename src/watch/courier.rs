//! The courier: takes due alerts from the outbox and hands each to its target, marking it
//! sent only once the target took it. It runs beside ingest on a connection of its own
//! (the daemon's task, or the end of `fetch`), never in its way: ingest only writes alerts,
//! and a slow or dead target holds up only its own alerts (a timeout a request, one alert
//! of a failing target tried a round, a few targets at once).
//!
//! Crash-safety is the outbox's: an alert is marked sent after its target answered, so a
//! crash in between sends it again on the next start, with the same `Idempotency-Key`.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;

use super::message::{self, About, Entry, Message};
use super::targets::Targets;
use super::{AlertStats, SendError};
use crate::config::{Config, NotifyTarget, WatchConfig};
use crate::search::snippet::Highlighter;
use crate::store::{Alert, AlertKind, Store};
use crate::zone::Zone;

/// Alerts looked at in one round.
const ROUND: usize = 200;
/// Targets served at once.
const TARGETS_AT_ONCE: usize = 4;
/// A watch's Atom file lists its latest stories, this many.
const ATOM_ENTRIES: usize = 50;
/// An alert still failing this long after it was made is given up (and shown so).
const GIVE_UP_AFTER: chrono::Duration = chrono::Duration::days(3);
/// An alert its target refused outright is given up after this many tries.
const REFUSED_TRIES: i64 = 5;

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub sent: u64,
    pub failed: u64,
    pub gave_up: u64,
}

/// What became of one alert.
enum Outcome {
    Sent,
    Failed(SendError, Option<Duration>),
    /// It can never be sent (its watch or target left the config, its article the archive).
    Dropped(String),
}

pub struct Courier {
    config: Arc<Config>,
    store: Arc<Mutex<Store>>,
    targets: Targets,
    zone: Zone,
    /// What each watch's Atom file was last written from.
    atoms: HashMap<String, String>,
    /// The day each digest watch was last closed at: a round need not ask the archive again
    /// (closing takes the write lock) until the next day's time comes.
    closed: HashMap<String, DateTime<Utc>>,
    stats: Arc<AlertStats>,
}

impl Courier {
    /// A courier for `config`'s watches on `store` (a connection of its own). Secrets are
    /// read here; one that is missing fails only the alerts that need it, saying which.
    pub fn new(
        config: Arc<Config>,
        store: Store,
        stats: Arc<AlertStats>,
    ) -> Result<Courier, String> {
        Ok(Courier {
            targets: Targets::new(&config)?,
            zone: Zone::resolve(Some(&config)),
            config,
            store: Arc::new(Mutex::new(store)),
            atoms: HashMap::new(),
            closed: HashMap::new(),
            stats,
        })
    }

    /// The same courier under a new config (SIGHUP, an edited feeds.toml).
    pub fn reconfigure(&mut self, config: Arc<Config>) -> Result<(), String> {
        self.targets = Targets::new(&config)?;
        self.zone = Zone::resolve(Some(&config));
        self.config = config;
        Ok(())
    }

    /// Whether any watch has somewhere to send to or a file to write.
    pub fn has_work(&self) -> bool {
        self.config.watches.iter().any(WatchConfig::delivers)
    }

    /// Runs `f` on the store off the async threads (a write may wait for the writer).
    async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> T + Send + 'static,
    ) -> Option<T> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let mut s = store.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut s)
        })
        .await
        .ok()
    }

    /// One round: closes the digests whose time came, sends what is due, rewrites the Atom
    /// files that changed.
    pub async fn round(&mut self) -> Round {
        let now = Utc::now();
        self.close_digests(now).await;
        let due = match self.db(move |s| s.due_alerts(now, ROUND)).await {
            Some(Ok(due)) => due,
            Some(Err(e)) => {
                tracing::warn!(error = %e, "cannot read the alerts' outbox");
                Vec::new()
            }
            None => Vec::new(),
        };
        // Per target in order, one target's alerts one after another.
        let mut by_target: Vec<(String, Vec<Alert>)> = Vec::new();
        for a in due {
            match by_target.iter_mut().find(|(t, _)| *t == a.target) {
                Some((_, list)) => list.push(a),
                None => by_target.push((a.target.clone(), vec![a])),
            }
        }
        let this = &*self;
        let rounds: Vec<Round> = futures_util::stream::iter(by_target)
            .map(|(_, alerts)| this.serve_target(alerts))
            .buffer_unordered(TARGETS_AT_ONCE)
            .collect()
            .await;
        let mut round = Round::default();
        for r in rounds {
            round.sent += r.sent;
            round.failed += r.failed;
            round.gave_up += r.gave_up;
        }
        self.write_atoms().await;
        self.count_waiting().await;
        round
    }

    /// Rounds until nothing is due now or `within` has passed: the end of `fetch`.
    pub async fn drain(&mut self, within: Duration) -> Round {
        let started = tokio::time::Instant::now();
        let mut total = Round::default();
        loop {
            let r = tokio::time::timeout(within.saturating_sub(started.elapsed()), self.round())
                .await
                .unwrap_or_default();
            total.sent += r.sent;
            total.failed += r.failed;
            total.gave_up += r.gave_up;
            let now = Utc::now();
            let more =
                matches!(self.db(|s| s.next_alert_due()).await, Some(Ok(Some(d))) if d <= now);
            if !more || started.elapsed() >= within || r == Round::default() {
                return total;
            }
        }
    }

    /// The daemon's courier: a round whenever alerts are due (at least every few
    /// seconds, since ingest writes new ones), until `stop`; a new config from `configs`.
    pub async fn run(
        mut self,
        mut stop: tokio::sync::watch::Receiver<bool>,
        mut configs: tokio::sync::watch::Receiver<Arc<Config>>,
    ) {
        const LOOK_EVERY: Duration = Duration::from_secs(5);
        loop {
            if *stop.borrow() {
                return;
            }
            if self.has_work() {
                let r = self.round().await;
                if r.sent + r.failed > 0 {
                    tracing::debug!(sent = r.sent, failed = r.failed, "alerts round");
                }
            }
            let wait = match self.db(|s| s.next_alert_due()).await {
                Some(Ok(Some(due))) => (due - Utc::now())
                    .to_std()
                    .unwrap_or_default()
                    .clamp(Duration::from_millis(200), LOOK_EVERY),
                _ => LOOK_EVERY,
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => return,
                Ok(()) = configs.changed() => {
                    let config = configs.borrow_and_update().clone();
                    if let Err(e) = self.reconfigure(config) {
                        tracing::warn!(error = %e, "alerts keep the old config");
                    }
                }
            }
        }
    }

    /// One target's due alerts, in order; the first failure ends its turn this round.
    async fn serve_target(&self, alerts: Vec<Alert>) -> Round {
        let mut round = Round::default();
        for alert in alerts {
            let outcome = self.deliver(&alert).await;
            let now = Utc::now();
            let created = DateTime::parse_from_rfc3339(&alert.created)
                .map(|c| c.with_timezone(&Utc))
                .unwrap_or(now);
            let shown = NotifyTarget::parse(&alert.target)
                .map(|t| t.redacted())
                .unwrap_or_else(|_| "a target".into());
            let (id, attempts) = (alert.id, alert.attempts + 1);
            match outcome {
                Outcome::Sent => {
                    let _ = self.db(move |s| s.alert_sent(id, now)).await;
                    self.stats.sent.fetch_add(1, Ordering::Relaxed);
                    round.sent += 1;
                    tracing::info!(watch = %alert.watch, target = %shown, kind = alert.kind.as_str(), key = %alert.key, "alert sent");
                }
                Outcome::Dropped(why) => {
                    let _ = self.db(move |s| s.alert_failed(id, now, &why, None)).await;
                    self.stats.gave_up.fetch_add(1, Ordering::Relaxed);
                    round.gave_up += 1;
                }
                Outcome::Failed(e, asked) => {
                    let retry = next_try(attempts, created, now, &e, asked);
                    let message = e.message.clone();
                    let _ = self
                        .db(move |s| s.alert_failed(id, now, &message, retry))
                        .await;
                    self.stats.failures.fetch_add(1, Ordering::Relaxed);
                    round.failed += 1;
                    match retry {
                        Some(at) => {
                            tracing::warn!(watch = %alert.watch, target = %shown, error = %e, attempts, retry = %crate::model::rfc3339(&at), "alert not delivered; tried again later")
                        }
                        None => {
                            self.stats.gave_up.fetch_add(1, Ordering::Relaxed);
                            round.gave_up += 1;
                            tracing::error!(watch = %alert.watch, target = %shown, error = %e, attempts, "alert given up");
                        }
                    }
                    return round;
                }
            }
        }
        round
    }

    async fn deliver(&self, alert: &Alert) -> Outcome {
        let Some(watch) = self
            .config
            .watches
            .iter()
            .find(|w| w.name.as_str() == alert.watch)
        else {
            return Outcome::Dropped(format!(
                "the watch {} is no longer in the config",
                alert.watch
            ));
        };
        let Some(target) = watch
            .notify
            .iter()
            .find(|t| t.to_string() == alert.target)
            .cloned()
        else {
            return Outcome::Dropped("the target is no longer one of the watch's".into());
        };
        let message = match self.compose(alert, watch).await {
            Ok(m) => m,
            Err(why) => return Outcome::Dropped(why),
        };
        match self.targets.send(&target, alert, &message).await {
            Ok(()) => Outcome::Sent,
            Err((e, asked)) => Outcome::Failed(e, asked),
        }
    }

    /// The alert's message, from the archive as it is now (a story's places so far).
    async fn compose(&self, alert: &Alert, watch: &WatchConfig) -> Result<Message, String> {
        let (alert, query, aliases) = (
            alert.clone(),
            watch.query.clone(),
            self.config.aliases.clone(),
        );
        let zone = self.zone;
        self.db(move |s| -> Result<Message, String> {
            let about = About {
                watch: &alert.watch,
                query: &query,
                key: &alert.key,
            };
            match alert.kind {
                AlertKind::Story | AlertKind::Revision => {
                    let id = alert.article.unwrap_or_default();
                    let e = entry(
                        s,
                        &highlighter(s, &query, &aliases),
                        id,
                        &alert.created,
                        false,
                    )?
                    .ok_or_else(|| format!("article {id} is no longer in the archive"))?;
                    Ok(message::story(about, alert.kind, &e, &zone))
                }
                AlertKind::Digest => {
                    let since = alert.since.clone().unwrap_or_default();
                    let until = alert.until.clone().unwrap_or_default();
                    let entries =
                        digest_entries(s, &alert.watch, &query, &aliases, (&since, &until))?;
                    Ok(message::digest(about, (&since, &until), &entries, &zone))
                }
            }
        })
        .await
        .unwrap_or_else(|| Err("the archive could not be read".into()))
    }

    /// Closes each digest watch's day once its time has passed.
    async fn close_digests(&mut self, now: DateTime<Utc>) {
        let config = self.config.clone();
        for w in &config.watches {
            let Some(d) = w.digest else { continue };
            if w.notify.is_empty() {
                continue;
            }
            let until = self.zone.last_daily(d.at, now);
            if self.closed.get(w.name.as_str()) == Some(&until) {
                continue;
            }
            let first_since = until - chrono::Duration::days(1);
            let (name, targets) = (
                w.name.to_string(),
                w.notify.iter().map(ToString::to_string).collect::<Vec<_>>(),
            );
            match self
                .db(move |s| s.close_digest(&name, &targets, until, first_since))
                .await
            {
                Some(Ok(made)) => {
                    if made > 0 {
                        tracing::info!(watch = %w.name, alerts = made, "digest made");
                    }
                    self.closed.insert(w.name.to_string(), until);
                }
                Some(Err(e)) => {
                    tracing::warn!(watch = %w.name, error = %e, "cannot make the digest")
                }
                None => {}
            }
        }
    }

    /// Rewrites the Atom file of each watch whose stories changed since it was written.
    async fn write_atoms(&mut self) {
        let watches: Vec<(String, std::path::PathBuf, String)> = self
            .config
            .watches
            .iter()
            .filter_map(|w| {
                w.atom
                    .clone()
                    .map(|p| (w.name.to_string(), p, w.query.clone()))
            })
            .collect();
        for (name, path, query) in watches {
            let n = name.clone();
            let hits = match self.db(move |s| s.watch_hits(&n, ATOM_ENTRIES)).await {
                Some(Ok(h)) => h,
                _ => continue,
            };
            let seen = format!(
                "{}:{}:{}",
                hits.len(),
                hits.first().map(|h| h.at.as_str()).unwrap_or_default(),
                hits.iter().map(|h| h.copies).sum::<i64>()
            );
            if self.atoms.get(&name) == Some(&seen) && path.exists() {
                continue;
            }
            let xml = super::atom::feed(&name, &query, &hits, Utc::now());
            match super::atom::write(&path, &xml) {
                Ok(()) => {
                    self.atoms.insert(name, seen);
                }
                Err(e) => {
                    tracing::warn!(watch = %name, file = %path.display(), error = %e, "cannot write the watch's Atom file")
                }
            }
        }
    }

    async fn count_waiting(&self) {
        if let Some(Ok(summaries)) = self.db(|s| s.alert_summaries()).await {
            let waiting: i64 = summaries.iter().map(|s| s.waiting).sum();
            self.stats
                .waiting
                .store(u64::try_from(waiting).unwrap_or(0), Ordering::Relaxed);
        }
    }
}

/// A story's entry: the article, its best passage for the watch's words.
fn entry(
    s: &Store,
    highlighter: &Highlighter,
    article: i64,
    found: &str,
    earlier: bool,
) -> Result<Option<Entry>, String> {
    let Some(view) = s.article(article).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let snippet = highlighter.snippet(&view.body);
    Ok(Some(Entry {
        article: trimmed(view),
        snippet,
        found: found.to_string(),
        earlier,
    }))
}

/// The stories of a digest, each as an entry.
pub fn digest_entries(
    s: &Store,
    watch: &str,
    query: &str,
    aliases: &[Vec<String>],
    (since, until): (&str, &str),
) -> Result<Vec<Entry>, String> {
    let stories = s
        .digest_stories(watch, since, until)
        .map_err(|e| e.to_string())?;
    let highlighter = highlighter(s, query, aliases);
    let mut entries = Vec::with_capacity(stories.len());
    for d in stories {
        if let Some(e) = entry(s, &highlighter, d.article, &d.at, d.earlier)? {
            entries.push(e);
        }
    }
    Ok(entries)
}

/// What marks the watch's words in a snippet, as `warta search` marks them; compiled once
/// for all of a message's stories.
fn highlighter(s: &Store, query: &str, aliases: &[Vec<String>]) -> Highlighter {
    let aliases = crate::search::aliases::Aliases::new(aliases);
    let prefix_words = |p: &str| s.prefix_words(p).map(|f| f.words).unwrap_or_default();
    crate::search::build_request(
        query,
        &crate::search::Filters {
            limit: 1,
            ..crate::search::Filters::default()
        },
        &aliases,
        &prefix_words,
        Utc::now(),
    )
    .map(|(_, h)| h)
    .unwrap_or_default()
}

/// An article as alerts carry it: its body was only for the snippet.
fn trimmed(mut v: crate::store::ArticleView) -> crate::store::ArticleView {
    v.body = String::new();
    v.body_html = None;
    v.other_copies = Vec::new();
    v
}

/// When a failed alert is tried next, or None to give it up: after a minute, doubling to an
/// hour at most, or when the target asked (6 hours at most); an alert refused outright is
/// given up after a few tries, any alert after three days.
fn next_try(
    attempts: i64,
    created: DateTime<Utc>,
    now: DateTime<Utc>,
    e: &SendError,
    asked: Option<Duration>,
) -> Option<DateTime<Utc>> {
    if (e.permanent && attempts >= REFUSED_TRIES) || now - created >= GIVE_UP_AFTER {
        return None;
    }
    let backoff = retry_base()
        .saturating_mul(1 << (attempts - 1).clamp(0, 6))
        .min(3600);
    let asked = asked.map_or(0, |d| {
        i64::try_from(d.as_secs()).unwrap_or(i64::MAX).min(6 * 3600)
    });
    Some(now + chrono::Duration::seconds(backoff.max(asked)))
}

/// The first retry's wait in seconds: a minute. `WARTA_ALERT_RETRY` (a duration) shortens
/// it for tests; not a setting users need.
fn retry_base() -> i64 {
    std::env::var("WARTA_ALERT_RETRY")
        .ok()
        .and_then(|v| crate::config::parse_duration(&v).ok())
        .map_or(60, |d| i64::try_from(d.as_secs()).unwrap_or(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour_and_give_up() {
        let t0 = DateTime::parse_from_rfc3339("2026-12-04T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let down = SendError::transient("HTTP 503");
        let gap = |n: i64| (next_try(n, t0, t0, &down, None).unwrap() - t0).num_seconds();
        assert_eq!(
            (gap(1), gap(2), gap(3), gap(7), gap(20)),
            (60, 120, 240, 3600, 3600)
        );
        let asked = next_try(1, t0, t0, &down, Some(Duration::from_secs(900))).unwrap();
        assert_eq!((asked - t0).num_seconds(), 900);
        let refused = SendError::permanent("HTTP 404");
        assert!(next_try(4, t0, t0, &refused, None).is_some());
        assert!(next_try(5, t0, t0, &refused, None).is_none());
        let late = t0 + chrono::Duration::days(3);
        assert!(next_try(2, t0, late, &down, None).is_none());
    }
}
