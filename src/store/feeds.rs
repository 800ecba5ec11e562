//! Feed state: the configured feeds mirrored into the archive, their validators, health
//! (state, failures, last error), timing (when the next poll may and will happen), moves
//! (permanent redirects), and hosts that asked us to wait.

use super::db::{OptionalExtension, Transaction, params};
use chrono::{DateTime, Utc};

use super::write::{PollWrite, Timing};
use super::{Store, StoreError};
use crate::config::FeedConfig;
use crate::fetch::Validators;
use crate::model::rfc3339;

/// A permanent redirect seen on this many polls in a row is followed from then on.
const MOVED_AFTER: i64 = 3;

/// What the poller needs to know about a feed before polling it.
#[derive(Debug, Clone, Default)]
pub struct FeedState {
    pub state: String,
    pub validators: Validators,
    /// Where the feed has moved to (permanent redirects on several polls in a row).
    pub moved_to: Option<String>,
    pub not_before: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
}

impl Store {
    /// Mirrors the configured feeds into the archive and returns each feed's row id. A feed
    /// whose URL changed in the config starts afresh: its validators, move and backoff
    /// belonged to the old address.
    pub fn sync_feeds(&mut self, feeds: &[FeedConfig]) -> Result<Vec<i64>, StoreError> {
        let path = self.path.clone();
        let err = |e| super::sql_err(&path, e);
        let tx = self.conn.transaction().map_err(err)?;
        let mut ids = Vec::with_capacity(feeds.len());
        for f in feeds {
            let tags = serde_json::to_string(&f.tags).unwrap_or_else(|_| "[]".into());
            tx.execute(
                "INSERT INTO feeds (name, url, title, region, tags) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(name) DO UPDATE SET title = excluded.title,
                     region = excluded.region, tags = excluded.tags",
                params![f.name.as_str(), f.url.as_str(), f.title, f.region, tags],
            )
            .map_err(err)?;
            tx.execute(
                "UPDATE feeds SET url = ?2, state = 'new', etag = NULL, last_modified = NULL,
                     moved_to = NULL, redirect_target = NULL, redirect_count = 0,
                     not_before = NULL, next_poll = NULL, consecutive_failures = 0
                 WHERE name = ?1 AND url != ?2",
                params![f.name.as_str(), f.url.as_str()],
            )
            .map_err(err)?;
            let id: i64 = tx
                .query_row(
                    "SELECT id FROM feeds WHERE name = ?1",
                    [f.name.as_str()],
                    |r| r.get(0),
                )
                .map_err(err)?;
            ids.push(id);
        }
        tx.commit().map_err(err)?;
        Ok(ids)
    }

    pub fn feed_state(&self, feed_id: i64) -> Result<FeedState, StoreError> {
        self.conn
            .query_row(
                "SELECT state, etag, last_modified, moved_to, not_before, consecutive_failures
                 FROM feeds WHERE id = ?1",
                [feed_id],
                |r| {
                    Ok(FeedState {
                        state: r.get(0)?,
                        validators: Validators {
                            etag: r.get(1)?,
                            last_modified: r.get(2)?,
                        },
                        moved_to: r.get(3)?,
                        not_before: r
                            .get::<_, Option<String>>(4)?
                            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                            .map(|t| t.with_timezone(&Utc)),
                        consecutive_failures: r.get::<_, i64>(5)?.clamp(0, u32::MAX as i64) as u32,
                    })
                },
            )
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(|e| self.err(e))
    }

    /// How many of a feed's items were published (else first seen) since `since`: its pace,
    /// for [`crate::schedule::adapted`]. Every poll asks, so only the items first seen since
    /// then are read (`items_seen`): an item published since was first seen since too, and a
    /// backlog seen today but published long ago does not count.
    pub fn items_since(&self, feed_id: i64, since: DateTime<Utc>) -> Result<u64, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT count(*) FROM items i JOIN articles a ON a.id = i.article_id
                 WHERE i.feed_id = ?1 AND i.first_seen > ?3
                   AND (a.published_ts > ?2 OR a.published_ts IS NULL)",
            )
            .and_then(|mut st| {
                st.query_row(
                    params![feed_id, since.timestamp(), crate::model::rfc3339(&since)],
                    |r| r.get::<_, i64>(0),
                )
            })
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(|e| self.err(e))
    }

    /// Records a failed poll: nothing else of the poll is written. Returns the state
    /// change, if any.
    pub fn record_failure(
        &mut self,
        feed_id: i64,
        now: DateTime<Utc>,
        error: &str,
        gone: bool,
        timing: Timing,
    ) -> Result<Option<(String, String)>, StoreError> {
        let path = self.path.clone();
        let err = |e| super::sql_err(&path, e);
        let tx = self.conn.transaction().map_err(err)?;
        let old: String = tx
            .query_row("SELECT state FROM feeds WHERE id = ?1", [feed_id], |r| {
                r.get(0)
            })
            .map_err(err)?;
        let new = if gone { "gone" } else { "failing" };
        tx.execute(
            "UPDATE feeds SET last_poll = ?2, last_error = ?3,
                 consecutive_failures = consecutive_failures + 1, state = ?4,
                 not_before = ?5, next_poll = ?6
             WHERE id = ?1",
            params![
                feed_id,
                rfc3339(&now),
                error,
                new,
                rfc3339(&timing.not_before),
                rfc3339(&timing.next_poll)
            ],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok((old != new).then(|| (old, new.to_string())))
    }

    /// Hosts that asked (Retry-After) not to be contacted before a time still to come.
    pub fn deferred_hosts(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT host, until FROM hosts WHERE until > ?1")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([rfc3339(&now)], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (host, until) = row.map_err(|e| self.err(e))?;
            if let Ok(t) = DateTime::parse_from_rfc3339(&until) {
                out.push((host, t.with_timezone(&Utc)));
            }
        }
        Ok(out)
    }

    pub fn save_deferred_hosts(
        &mut self,
        hosts: &[(String, DateTime<Utc>)],
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let err = |e| super::sql_err(&path, e);
        let tx = self.conn.transaction().map_err(err)?;
        for (host, until) in hosts {
            tx.execute(
                tx.pick(
                    "INSERT INTO hosts (host, until) VALUES (?1, ?2)
                     ON CONFLICT (host) DO UPDATE SET until = max(until, excluded.until)",
                    "INSERT INTO hosts (host, until) VALUES (?1, ?2)
                     ON CONFLICT (host) DO UPDATE SET until = greatest(hosts.until, excluded.until)",
                ),
                params![host, rfc3339(until)],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }
}

/// The feed's row after a successful poll, inside the poll's transaction. Returns the
/// state change, if any.
pub(super) fn finish_poll(
    tx: &Transaction<'_>,
    poll: &PollWrite,
) -> super::db::Result<Option<(String, String)>> {
    let (old, etag, lm, target, count, moved_to): (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        i64,
        Option<String>,
    ) = tx.query_row(
        "SELECT state, etag, last_modified, redirect_target, redirect_count, moved_to
         FROM feeds WHERE id = ?1",
        [poll.feed_id],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        },
    )?;
    let (etag, lm) = match &poll.validators {
        Some(v) => (v.etag.clone(), v.last_modified.clone()),
        None => (etag, lm),
    };
    // A permanent redirect counts when it repeats; one seen once may be a mistake.
    let (target, count) = match &poll.redirect {
        Some(to) if target.as_deref() == Some(to.as_str()) => (Some(to.clone()), count + 1),
        Some(to) => (Some(to.clone()), 1),
        None => (None, 0),
    };
    let moved_to = match (&target, count >= MOVED_AFTER) {
        (Some(to), true) => Some(to.clone()),
        _ => moved_to,
    };
    let new = if moved_to.is_some() { "moved" } else { "ok" };
    let last_error = moved_to
        .as_ref()
        .map(|to| format!("moved permanently to {to}; update the feed's url in the config"));
    let now = rfc3339(&poll.now);
    tx.execute(
        "UPDATE feeds SET last_poll = ?2, last_success = ?2, last_error = ?3,
             consecutive_failures = 0, state = ?4, etag = ?5, last_modified = ?6,
             redirect_target = ?7, redirect_count = ?8, moved_to = ?9,
             not_before = ?10, next_poll = ?11
         WHERE id = ?1",
        params![
            poll.feed_id,
            now,
            last_error,
            new,
            etag,
            lm,
            target,
            count,
            moved_to,
            rfc3339(&poll.timing.not_before),
            rfc3339(&poll.timing.next_poll),
        ],
    )?;
    Ok((old != new).then(|| (old, new.to_string())))
}
