//! Several daemons on one PostgreSQL archive: who polls a feed (leases) and who may send
//! the next request to a host (host slots).
//!
//! * **Feed leases.** A daemon polls a feed only after claiming it: the claim takes the
//!   feed's row with `FOR UPDATE SKIP LOCKED` (a daemon claiming it at the same instant
//!   skips it rather than waits) and succeeds when no lease is held or the holder's has run
//!   out, and no daemon polled the feed since `polled_before` (the others' tick for the
//!   same moment is then not polled twice). The lease ends with the poll; a daemon killed
//!   with `kill -9` leaves its leases to run out, and its feeds are taken over then.
//! * **Host slots.** Before a request to a host, a daemon claims the host's slot: free
//!   (nobody's request in flight, or the holder's claim run out) and the host's gap since
//!   the last request over. The release starts the gap. One request per host is then in
//!   flight over all daemons, the gap kept between them.
//!
//! Times are the database's clock (`clock_timestamp()`), not each machine's, so that
//! daemons on machines whose clocks differ still agree on when a lease ends.
//!
//! On SQLite there is only ever one writing process (the archive's lock file): every claim
//! succeeds at once and nothing is written.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::db::{OptionalExtension, params};
use super::{Store, StoreError};
use crate::model::rfc3339;

/// The database's clock in milliseconds, as SQL.
const NOW_MS: &str = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

/// The answer to a host-slot claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostClaim {
    /// This process may send its request now.
    Claimed,
    /// Another request is in flight there, or the gap is not over: ask again after this.
    Wait(Duration),
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// Claims feed `feed_id` for `owner` for `lease`; false when another daemon holds it, or
    /// polled it after `polled_before`.
    pub fn claim_feed(
        &self,
        feed_id: i64,
        owner: &str,
        lease: Duration,
        polled_before: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        if !self.conn.is_pg() {
            return Ok(true);
        }
        let sql = format!(
            "UPDATE feeds SET lease_owner = ?2, lease_until = {NOW_MS} / 1000 + ?3
             WHERE id = (SELECT id FROM feeds
                         WHERE id = ?1
                           AND (lease_until IS NULL OR lease_until < {NOW_MS} / 1000
                                OR lease_owner = ?2)
                           AND (last_poll IS NULL OR last_poll <= ?4)
                         FOR UPDATE SKIP LOCKED)
             RETURNING id"
        );
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_row(
                    params![
                        feed_id,
                        owner,
                        i64::try_from(lease.as_secs()).unwrap_or(i64::MAX),
                        rfc3339(&polled_before)
                    ],
                    |r| r.get::<_, i64>(0),
                )
                .optional()
            })
            .map(|claimed| claimed.is_some())
            .map_err(|e| self.err(e))
    }

    /// Ends `owner`'s lease of feed `feed_id` (its poll is over).
    /// Extends every lease `owner` holds to `lease` from now: a poll that outlasts its
    /// lease (a feed of hundreds of new articles, a slow host) keeps its feed, while a
    /// killed daemon, renewing nothing, loses its feeds a lease after its last renewal.
    pub fn renew_leases(&self, owner: &str, lease: Duration) -> Result<u64, StoreError> {
        if !self.conn.is_pg() {
            return Ok(0);
        }
        let sql = format!(
            "UPDATE feeds SET lease_until = {NOW_MS} / 1000 + ?2
             WHERE lease_owner = ?1 AND lease_until IS NOT NULL"
        );
        self.conn
            .execute(
                &sql,
                params![owner, i64::try_from(lease.as_secs()).unwrap_or(i64::MAX)],
            )
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }

    pub fn release_feed(&self, feed_id: i64, owner: &str) -> Result<(), StoreError> {
        if !self.conn.is_pg() {
            return Ok(());
        }
        self.conn
            .execute(
                "UPDATE feeds SET lease_owner = NULL, lease_until = NULL
                 WHERE id = ?1 AND lease_owner = ?2",
                params![feed_id, owner],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Claims `host`'s slot for `owner`, for at most `busy` (a request that never ends, its
    /// daemon killed, frees the host after that).
    pub fn claim_host(
        &self,
        host: &str,
        owner: &str,
        busy: Duration,
    ) -> Result<HostClaim, StoreError> {
        if !self.conn.is_pg() {
            return Ok(HostClaim::Claimed);
        }
        let claim = format!(
            "INSERT INTO host_slots (host, owner, busy_until, next_at)
             VALUES (?1, ?2, {NOW_MS} + ?3, 0)
             ON CONFLICT (host) DO UPDATE SET owner = excluded.owner,
                                              busy_until = excluded.busy_until
             WHERE host_slots.busy_until < {NOW_MS} AND host_slots.next_at <= {NOW_MS}
             RETURNING 1"
        );
        let claimed = self
            .conn
            .prepare_cached(&claim)
            .and_then(|mut s| {
                s.query_row(params![host, owner, millis(busy)], |r| r.get::<_, i64>(0))
                    .optional()
            })
            .map_err(|e| self.err(e))?;
        if claimed.is_some() {
            return Ok(HostClaim::Claimed);
        }
        let wait: Option<i64> = self
            .conn
            .prepare_cached(&format!(
                "SELECT greatest(busy_until, next_at) - {NOW_MS} FROM host_slots WHERE host = ?1"
            ))
            .and_then(|mut s| s.query_row([host], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))?;
        let ms = wait.unwrap_or(0).clamp(1, i64::MAX);
        Ok(HostClaim::Wait(Duration::from_millis(ms.unsigned_abs())))
    }

    /// `owner`'s request to `host` is over: the slot is free, and the next request waits
    /// `gap` from now.
    pub fn release_host(&self, host: &str, owner: &str, gap: Duration) -> Result<(), StoreError> {
        if !self.conn.is_pg() {
            return Ok(());
        }
        self.conn
            .execute(
                &format!(
                    "UPDATE host_slots SET busy_until = 0, next_at = {NOW_MS} + ?3
                     WHERE host = ?1 AND owner = ?2"
                ),
                params![host, owner, millis(gap)],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }
}
