//! Revisits (issue 15): an archived article's page is fetched again at set ages, to see it
//! revised or taken down. `page_checks` keeps, per page article, what the next fetch is
//! compared with (validators, a hash of the HTML) and when it is due; a revisit's finding
//! is written with the rest of its poll's work, in the same transaction.

use std::time::Duration;

use super::db::{OptionalExtension, Transaction, params};
use chrono::{DateTime, TimeZone, Utc};

use super::vocab::Tally;
use super::write::{Content, revise_text};
use super::{Store, StoreError};
use crate::fetch::Validators;
use crate::model::{ArticleId, rfc3339};

/// What a later fetch of an article's page is compared with, and when it is due.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageState {
    pub validators: Validators,
    /// BLAKE3 of the first page's HTML as decoded, in hex.
    pub hash: String,
    /// When the page is fetched again; None: never (revisits off for its source).
    pub due: Option<DateTime<Utc>>,
}

/// The first of `since + after[i]` later than `at`: the ages already passed are not made
/// up for, so a revisit that came late (a daemon that was stopped for a week) is one
/// request, not one per age missed.
pub fn next_due(
    since: DateTime<Utc>,
    after: &[Duration],
    at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    after
        .iter()
        .filter_map(|a| chrono::Duration::from_std(*a).ok())
        .filter_map(|a| since.checked_add_signed(a))
        .find(|t| *t > at)
}

/// A page due for a revisit.
#[derive(Debug, Clone)]
pub struct DueCheck {
    pub article_id: ArticleId,
    pub url: String,
    /// When the article was first fetched: the ages count from here.
    pub since: DateTime<Utc>,
    pub state: PageState,
    /// The article is marked removed already.
    pub removed: bool,
}

/// What fetching an archived page again found.
#[derive(Debug, Clone)]
pub enum CheckOutcome {
    /// A 304, the same bytes, or a text that differs only in counters and stamps; with the
    /// page's new validators when it answered 200.
    Unchanged(Option<PageState>),
    /// A new text: the earlier one is kept as a version.
    Changed {
        keys: Vec<String>,
        content: Box<Content>,
    },
    /// The publisher took the page down: 404, 410, or a redirect to the site's home page.
    Removed { why: String },
    /// Nothing could be told this time (network, a server error, robots.txt); the next age
    /// tries again.
    Failed { why: String },
}

/// One revisit to record: what it found and when the page is due next.
#[derive(Debug, Clone)]
pub struct CheckWrite {
    pub article_id: ArticleId,
    pub outcome: CheckOutcome,
    pub due: Option<DateTime<Utc>>,
}

/// Records a page article's state as its page is archived (new, retried or revised): a
/// new row starts its schedule at `now`; an existing one keeps its schedule and takes the
/// new validators and hash.
pub(super) fn keep_page_state(
    tx: &Transaction<'_>,
    article: i64,
    now: DateTime<Utc>,
    state: Option<&PageState>,
) -> super::db::Result<()> {
    let Some(state) = state else {
        return Ok(());
    };
    tx.prepare_cached(
        "INSERT INTO page_checks (article_id, feed_id, since, due, etag, last_modified, hash)
         SELECT id, feed_id, ?2, ?3, ?4, ?5, ?6 FROM articles WHERE id = ?1
         ON CONFLICT (article_id) DO UPDATE SET
             etag = excluded.etag, last_modified = excluded.last_modified, hash = excluded.hash",
    )?
    .execute(params![
        article,
        now.timestamp(),
        state.due.map(|d| d.timestamp()),
        state.validators.etag,
        state.validators.last_modified,
        state.hash,
    ])?;
    Ok(())
}

/// Writes one revisit's finding.
pub(super) fn write_check(
    tx: &Transaction<'_>,
    now_utc: DateTime<Utc>,
    check: &CheckWrite,
    words: &mut Tally,
    watches: Option<&super::WatchSet>,
) -> super::db::Result<()> {
    let id = check.article_id.0;
    let now = rfc3339(&now_utc);
    let back_up = |tx: &Transaction<'_>| -> super::db::Result<()> {
        let restored = tx.execute(
            "UPDATE articles SET removed = NULL WHERE id = ?1 AND removed IS NOT NULL",
            [id],
        )?;
        if restored > 0 {
            tracing::info!(article = id, "a page taken down is back up");
        }
        Ok(())
    };
    match &check.outcome {
        CheckOutcome::Unchanged(state) => {
            back_up(tx)?;
            if let Some(state) = state {
                tx.execute(
                    "UPDATE page_checks SET etag = ?2, last_modified = ?3, hash = ?4
                     WHERE article_id = ?1",
                    params![
                        id,
                        state.validators.etag,
                        state.validators.last_modified,
                        state.hash
                    ],
                )?;
            }
        }
        CheckOutcome::Changed { keys, content } => {
            back_up(tx)?;
            revise_text(tx, id, (&now, now_utc), (keys, content), words, watches)?;
        }
        CheckOutcome::Removed { why } => {
            let marked = tx.execute(
                "UPDATE articles SET removed = ?2 WHERE id = ?1 AND removed IS NULL",
                params![id, now],
            )?;
            if marked > 0 {
                tracing::info!(article = id, why = %why, "the publisher took the page down; every version is kept");
            }
        }
        CheckOutcome::Failed { .. } => {}
    }
    tx.prepare_cached("UPDATE page_checks SET due = ?2, checked = ?3 WHERE article_id = ?1")?
        .execute(params![id, check.due.map(|d| d.timestamp()), now])?;
    Ok(())
}

impl Store {
    /// Up to `limit` of a source's pages due for a revisit by `now`, the longest due first.
    /// Pages older than `last_age` have no age left: they are taken off the schedule here,
    /// without a request (an archive from before revisits has every page due at first).
    pub fn due_checks(
        &mut self,
        feed_id: i64,
        now: DateTime<Utc>,
        last_age: Duration,
        limit: usize,
    ) -> Result<Vec<DueCheck>, StoreError> {
        let at = now.timestamp();
        let oldest = at.saturating_sub(i64::try_from(last_age.as_secs()).unwrap_or(i64::MAX));
        self.conn
            .prepare_cached(
                "UPDATE page_checks SET due = NULL
                 WHERE feed_id = ?1 AND due <= ?2 AND since <= ?3",
            )
            .and_then(|mut s| s.execute(params![feed_id, at, oldest]))
            .map_err(|e| self.err(e))?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT c.article_id, a.url, c.since, c.etag, c.last_modified, c.hash,
                        a.removed IS NOT NULL, c.due
                 FROM page_checks c JOIN articles a ON a.id = c.article_id
                 WHERE c.feed_id = ?1 AND c.due <= ?2
                 ORDER BY c.due LIMIT ?3",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(
                params![feed_id, at, i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| {
                    let since: i64 = r.get(2)?;
                    let due: Option<i64> = r.get(7)?;
                    Ok(DueCheck {
                        article_id: ArticleId(r.get(0)?),
                        url: r.get(1)?,
                        since: Utc.timestamp_opt(since, 0).single().unwrap_or(now),
                        state: PageState {
                            validators: Validators {
                                etag: r.get(3)?,
                                last_modified: r.get(4)?,
                            },
                            hash: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                            due: due.and_then(|d| Utc.timestamp_opt(d, 0).single()),
                        },
                        removed: r.get(6)?,
                    })
                },
            )
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// What a feed's revision of an archived article is compared with: the page state kept
    /// for it, if any.
    pub fn page_state(&self, article: ArticleId) -> Result<Option<PageState>, StoreError> {
        self.conn
            .query_row(
                "SELECT etag, last_modified, hash, due FROM page_checks WHERE article_id = ?1",
                [article.0],
                |r| {
                    let due: Option<i64> = r.get(3)?;
                    Ok(PageState {
                        validators: Validators {
                            etag: r.get(0)?,
                            last_modified: r.get(1)?,
                        },
                        hash: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                        due: due.and_then(|d| Utc.timestamp_opt(d, 0).single()),
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Page articles with a revisit still to come, and how many of those are due by `now`.
    pub fn revisit_backlog(&self, now: DateTime<Utc>) -> Result<(u64, u64), StoreError> {
        self.conn
            .query_row(
                "SELECT count(*), count(*) FILTER (WHERE due <= ?1)
                 FROM page_checks WHERE due IS NOT NULL",
                [now.timestamp()],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
            )
            .map_err(|e| self.err(e))
    }
}
