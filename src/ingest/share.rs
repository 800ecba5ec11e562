//! This process's part in an archive several daemons share (PostgreSQL): its name among
//! them, its claims on feeds (leases) and on hosts' turns, through a connection of its
//! own, so that a claim never waits behind the writer's transaction.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::store::{HostClaim, Store, StoreError};

pub struct Share {
    /// This process among the daemons: host, pid and start time.
    owner: String,
    lease: Duration,
    /// How long a claimed host stays busy if its request never reports back (its daemon
    /// killed): a little longer than a request may take (`[fetch] timeout`).
    host_busy: Duration,
    store: Mutex<Store>,
}

impl Share {
    /// The share of the archive `writer` writes to, when it is PostgreSQL; None for SQLite,
    /// which only one process writes.
    pub fn of(
        writer: &Store,
        lease: Duration,
        request_timeout: Duration,
    ) -> Result<Option<Arc<Share>>, StoreError> {
        if !writer.is_postgres() {
            return Ok(None);
        }
        let share = Arc::new(Share {
            owner: owner_name(),
            lease,
            host_busy: request_timeout + Duration::from_secs(1),
            store: Mutex::new(writer.companion()?),
        });
        renew_while_alive(Arc::downgrade(&share));
        Ok(Some(share))
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Claims a feed for a poll; false when another daemon has it or polled it after
    /// `polled_before`.
    pub fn claim_feed(
        &self,
        feed_id: i64,
        polled_before: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.store()
            .claim_feed(feed_id, &self.owner, self.lease, polled_before)
    }

    pub fn release_feed(&self, feed_id: i64) -> Result<(), StoreError> {
        self.store().release_feed(feed_id, &self.owner)
    }
}

impl crate::fetch::SharedHosts for Share {
    fn claim(&self, host: &str) -> Result<Option<Duration>, String> {
        match self.store().claim_host(host, &self.owner, self.host_busy) {
            Ok(HostClaim::Claimed) => Ok(None),
            Ok(HostClaim::Wait(d)) => Ok(Some(d)),
            Err(e) => Err(e.to_string()),
        }
    }

    fn release(&self, host: &str, gap: Duration) -> Result<(), String> {
        self.store()
            .release_host(host, &self.owner, gap)
            .map_err(|e| e.to_string())
    }
}

/// Renews `share`'s leases three times a lease for as long as it lives, so that a poll
/// longer than a lease keeps its feed; a killed process renews nothing and its leases run
/// out. A thread of its own: the daemon's runtime may be busy (or its clock paused in tests).
fn renew_while_alive(share: Weak<Share>) {
    let Some(every) = share
        .upgrade()
        .map(|s| (s.lease / 3).max(Duration::from_secs(1)))
    else {
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("warta-leases".into())
        .spawn(move || {
            loop {
                std::thread::sleep(every);
                let Some(share) = share.upgrade() else { return };
                if let Err(e) = share.store().renew_leases(&share.owner, share.lease) {
                    tracing::warn!(error = %e, "cannot renew this daemon's leases");
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start renewing leases: a poll longer than a lease may be taken over");
    }
}

/// `host:pid:start`, unique among the daemons of one archive, and telling an operator
/// which one holds what.
fn owner_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into());
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    format!("{host}:{}:{start}", std::process::id())
}
