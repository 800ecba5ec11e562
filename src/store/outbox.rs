//! The watches' outbox (issue 16): every alert waits here, one row per target, until the
//! target took it. Alerts of stories are written in the transaction that stores the
//! article (see `watches`), a digest's in the one that closes its day, so an alert exists
//! exactly when what it tells of does. Each carries a key made of what it is about (watch,
//! target, story, version or day): made twice it is still one row, and a target that heeds
//! the key (sent as `Idempotency-Key`) shows a retry after a crash once.

use super::db::{OptionalExtension, Transaction, params};
use chrono::{DateTime, Utc};

use super::{Store, StoreError};
use crate::model::rfc3339;

/// What an alert tells of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    /// A story the watch had not seen.
    Story,
    /// A new version of an article of a story already alerted (`on_revision`).
    Revision,
    /// A day's stories of a digest watch.
    Digest,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Story => "story",
            AlertKind::Revision => "revision",
            AlertKind::Digest => "digest",
        }
    }

    fn parse(s: &str) -> AlertKind {
        match s {
            "revision" => AlertKind::Revision,
            "digest" => AlertKind::Digest,
            _ => AlertKind::Story,
        }
    }
}

/// Where and how a watch's alerts go, as the write needs to know it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    /// The targets as the config writes them.
    pub targets: Vec<String>,
    /// Stories wait for the daily digest instead of an alert each.
    pub digest: bool,
    /// A revised article of a story alerted before alerts again.
    pub on_revision: bool,
}

/// One alert waiting for its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub id: i64,
    /// The same over every retry: sent as `Idempotency-Key`.
    pub key: String,
    pub watch: String,
    pub target: String,
    pub kind: AlertKind,
    pub story: Option<i64>,
    pub article: Option<i64>,
    pub version: Option<i64>,
    /// A digest's day: its stories were found from `since` until `until` (RFC 3339).
    pub since: Option<String>,
    pub until: Option<String>,
    pub created: String,
    /// Tries so far.
    pub attempts: i64,
}

/// The key of an alert: what it is about, hashed. Two alerts about the same thing for the
/// same target have the same key, however often they are made or tried.
fn alert_key(watch: &str, target: &str, kind: AlertKind, about: &str) -> String {
    let mut h = blake3::Hasher::new();
    for part in [watch, target, kind.as_str(), about] {
        h.update(part.as_bytes());
        h.update(&[0]);
    }
    h.finalize().to_hex()[..32].to_string()
}

/// Queues an alert for each of `targets`, due now; one already queued is left as it is.
#[allow(clippy::too_many_arguments)]
pub(super) fn enqueue(
    tx: &Transaction<'_>,
    watch: &str,
    targets: &[String],
    kind: AlertKind,
    (story, article, version): (Option<i64>, Option<i64>, Option<i64>),
    (since, until): (Option<&str>, Option<&str>),
    now: DateTime<Utc>,
) -> super::db::Result<usize> {
    let about = match kind {
        AlertKind::Story => format!("{}", story.unwrap_or_default()),
        AlertKind::Revision => format!(
            "{}/{}/{}",
            story.unwrap_or_default(),
            article.unwrap_or_default(),
            version.unwrap_or_default()
        ),
        AlertKind::Digest => until.unwrap_or_default().to_string(),
    };
    let mut made = 0;
    for target in targets {
        made += tx
            .prepare_cached(
                "INSERT OR IGNORE INTO outbox (key, watch, target, kind, story_id, article_id,
                     version, since, until, created, due)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                alert_key(watch, target, kind, &about),
                watch,
                target,
                kind.as_str(),
                story,
                article,
                version,
                since,
                until,
                rfc3339(&now),
                now.timestamp(),
            ])?;
    }
    Ok(made)
}

/// A watch's alerts in sum, for `watch list` and `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AlertSummary {
    pub watch: String,
    pub sent: i64,
    /// Not yet taken by their target (including those failing and being retried).
    pub waiting: i64,
    /// Of the waiting, those that failed at least once.
    pub retrying: i64,
    /// Given up after their retries.
    pub failed: i64,
    pub last_sent: Option<String>,
    /// The latest failure's reason, naming no secret.
    pub last_error: Option<String>,
}

/// One story of a digest: what the watch found and where else the story appeared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestStory {
    pub story: i64,
    /// The article that made the watch fire.
    pub article: i64,
    /// When the watch fired (RFC 3339).
    pub at: String,
    /// The watch fired before the digest's day: the story is listed again for its new places.
    pub earlier: bool,
}

impl Store {
    /// Alerts due by `now`, oldest first, at most `limit`.
    pub fn due_alerts(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Alert>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, key, watch, target, kind, story_id, article_id, version, since, until,
                        created, attempts
                 FROM outbox WHERE delivered IS NULL AND gave_up IS NULL AND due <= ?1
                 ORDER BY due, id LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(
                params![now.timestamp(), i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| {
                    Ok(Alert {
                        id: r.get(0)?,
                        key: r.get(1)?,
                        watch: r.get(2)?,
                        target: r.get(3)?,
                        kind: AlertKind::parse(&r.get::<_, String>(4)?),
                        story: r.get(5)?,
                        article: r.get(6)?,
                        version: r.get(7)?,
                        since: r.get(8)?,
                        until: r.get(9)?,
                        created: r.get(10)?,
                        attempts: r.get(11)?,
                    })
                },
            )
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// When the next waiting alert is due, if any waits.
    pub fn next_alert_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let due: Option<i64> = self
            .conn
            .query_row(
                "SELECT min(due) FROM outbox WHERE delivered IS NULL AND gave_up IS NULL",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        Ok(due.and_then(|d| DateTime::from_timestamp(d, 0)))
    }

    /// The target took the alert.
    pub fn alert_sent(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE outbox SET delivered = ?2, attempts = attempts + 1, due = ?3 WHERE id = ?1",
                params![id, rfc3339(&now), now.timestamp()],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// A try failed: tried again at `retry` or, when None, given up.
    pub fn alert_failed(
        &self,
        id: i64,
        now: DateTime<Utc>,
        error: &str,
        retry: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, error = ?2, due = ?3,
                     gave_up = CASE WHEN ?4 THEN ?5 END
                 WHERE id = ?1",
                params![
                    id,
                    error,
                    retry.unwrap_or(now).timestamp(),
                    retry.is_none(),
                    rfc3339(&now)
                ],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Every watch's alerts in sum, by watch name.
    pub fn alert_summaries(&self) -> Result<Vec<AlertSummary>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT watch,
                        count(delivered),
                        count(*) FILTER (WHERE delivered IS NULL AND gave_up IS NULL),
                        count(*) FILTER (WHERE delivered IS NULL AND gave_up IS NULL AND attempts > 0),
                        count(gave_up),
                        max(delivered),
                        (SELECT o2.error FROM outbox o2 WHERE o2.watch = o.watch
                           AND o2.error IS NOT NULL AND o2.delivered IS NULL
                         ORDER BY o2.due DESC LIMIT 1)
                 FROM outbox o GROUP BY watch ORDER BY watch",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(AlertSummary {
                    watch: r.get(0)?,
                    sent: r.get(1)?,
                    waiting: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
                    retrying: r.get::<_, Option<i64>>(3)?.unwrap_or(0),
                    failed: r.get(4)?,
                    last_sent: r.get(5)?,
                    last_error: r.get(6)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Closes a digest watch's day at `until`: the stories it found since the day before
    /// closed (or since `first_since`, for its first) are queued as one alert per target,
    /// unless there are none; the day is marked closed either way. Returns the alerts made.
    pub fn close_digest(
        &mut self,
        watch: &str,
        targets: &[String],
        until: DateTime<Utc>,
        first_since: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction()
            .map_err(|e| super::sql_err(&path, e))?;
        let made = (|| -> super::db::Result<usize> {
            let closed: Option<String> = tx
                .query_row(
                    "SELECT until FROM digest_marks WHERE watch = ?1",
                    [watch],
                    |r| r.get(0),
                )
                .optional()?;
            let until_s = rfc3339(&until);
            if closed.as_deref().is_some_and(|c| c >= until_s.as_str()) {
                return Ok(0);
            }
            let since = closed.unwrap_or_else(|| rfc3339(&first_since));
            let stories = digest_stories(&tx, watch, &since, &until_s)?;
            let made = if stories.is_empty() {
                0
            } else {
                enqueue(
                    &tx,
                    watch,
                    targets,
                    AlertKind::Digest,
                    (None, None, None),
                    (Some(&since), Some(&until_s)),
                    until.max(Utc::now()),
                )?
            };
            tx.execute(
                "INSERT INTO digest_marks (watch, until) VALUES (?1, ?2)
                 ON CONFLICT (watch) DO UPDATE SET until = excluded.until",
                params![watch, until_s],
            )?;
            Ok(made)
        })()
        .map_err(|e| super::sql_err(&path, e))?;
        tx.commit().map_err(|e| super::sql_err(&path, e))?;
        Ok(made)
    }

    /// Up to when a digest watch's days are closed, if one was.
    pub fn digest_closed(&self, watch: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT until FROM digest_marks WHERE watch = ?1",
                [watch],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The stories of a watch's digest from `since` to `until` (RFC 3339): those it found
    /// then, and those found before that gained a place then, in the order found.
    pub fn digest_stories(
        &self,
        watch: &str,
        since: &str,
        until: &str,
    ) -> Result<Vec<DigestStory>, StoreError> {
        digest_stories(&self.conn, watch, since, until).map_err(|e| self.err(e))
    }
}

fn digest_stories(
    tx: &super::db::Conn,
    watch: &str,
    since: &str,
    until: &str,
) -> super::db::Result<Vec<DigestStory>> {
    let mut stmt = tx.prepare_cached(
        "SELECT h.story_id, h.article_id, h.at, h.at < ?2
         FROM watch_hits h
         WHERE h.watch = ?1 AND h.at < ?3
           AND (h.at >= ?2 OR EXISTS (
                SELECT 1 FROM articles a JOIN copies c ON c.article_id = a.id
                WHERE a.story_id = h.story_id AND c.first_seen >= ?2 AND c.first_seen < ?3))
         ORDER BY h.at, h.story_id",
    )?;
    let rows = stmt.query_map(params![watch, since, until], |r| {
        Ok(DigestStory {
            story: r.get(0)?,
            article: r.get(1)?,
            at: r.get(2)?,
            earlier: r.get(3)?,
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_what_the_alert_is_about() {
        let a = alert_key("bimtek", "https://h.example/x", AlertKind::Story, "7");
        assert_eq!(a.len(), 32);
        assert_eq!(
            a,
            alert_key("bimtek", "https://h.example/x", AlertKind::Story, "7")
        );
        assert_ne!(
            a,
            alert_key("bimtek", "https://h.example/y", AlertKind::Story, "7")
        );
        assert_ne!(
            a,
            alert_key("bimtek", "https://h.example/x", AlertKind::Revision, "7")
        );
        assert_ne!(
            a,
            alert_key("banjir", "https://h.example/x", AlertKind::Story, "7")
        );
    }
}
