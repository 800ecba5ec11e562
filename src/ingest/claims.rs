//! Pages in hand, by URL key, from before their request until their commit: a poll that
//! comes to a page another poll is fetching (two feeds listing one story, an aggregator's
//! link redirecting to a publisher whose own feed is polled at the same time) waits for
//! that commit and then finds the page archived, instead of fetching it a second time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

/// How long a poll waits for another's commit of a page before fetching it anyway. Polls
/// hold their pages in feed order, so two polls could each hold what the other waits for;
/// a wait this long costs a duplicate request at worst, never a stuck run.
const LONGEST_WAIT: Duration = Duration::from_secs(10);

#[derive(Clone, Default)]
pub(super) struct Claims {
    held: Arc<Mutex<HashMap<String, Arc<Notify>>>>,
}

/// A page's key, held until dropped (after its commit).
pub(super) struct Claim {
    key: String,
    claims: Claims,
    notify: Arc<Notify>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut held = self.claims.held.lock().unwrap_or_else(|p| p.into_inner());
        if held
            .get(&self.key)
            .is_some_and(|n| Arc::ptr_eq(n, &self.notify))
        {
            held.remove(&self.key);
        }
        drop(held);
        self.notify.notify_waiters();
    }
}

impl Claims {
    /// Claims `key`; when another poll holds it, first waits for it to be let go (or for
    /// [`LONGEST_WAIT`]). The flag says whether there was a wait: the page may be archived
    /// by now.
    pub(super) async fn claim(&self, key: &str) -> (Option<Claim>, bool) {
        let mut waited = false;
        let deadline = tokio::time::Instant::now() + LONGEST_WAIT;
        loop {
            let other = {
                let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
                match held.get(key) {
                    Some(n) => n.clone(),
                    None => {
                        let notify = Arc::new(Notify::new());
                        held.insert(key.to_string(), notify.clone());
                        let claim = Claim {
                            key: key.to_string(),
                            claims: self.clone(),
                            notify,
                        };
                        return (Some(claim), waited);
                    }
                }
            };
            let released = other.notified();
            tokio::pin!(released);
            // Registered before the holder is looked at again, so a release in between is
            // not missed.
            released.as_mut().enable();
            let still_held = {
                let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
                held.get(key).is_some_and(|n| Arc::ptr_eq(n, &other))
            };
            waited = true;
            if still_held && tokio::time::timeout_at(deadline, released).await.is_err() {
                return (None, waited);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_second_claim_waits_for_the_first_to_go_and_says_it_waited() {
        let claims = Claims::default();
        let (first, waited) = claims.claim("a.example/x").await;
        assert!(first.is_some() && !waited);
        let other = claims.clone();
        let second = tokio::spawn(async move { other.claim("a.example/x").await });
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!second.is_finished());
        drop(first);
        let (second, waited) = second.await.unwrap();
        assert!(second.is_some() && waited);
        // Another key is free at once.
        assert!(!claims.claim("a.example/y").await.1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_claim_held_too_long_is_given_up_on() {
        let claims = Claims::default();
        let _first = claims.claim("a.example/x").await;
        let started = tokio::time::Instant::now();
        let (second, waited) = claims.claim("a.example/x").await;
        assert!(second.is_none() && waited);
        assert_eq!(started.elapsed(), LONGEST_WAIT);
    }
}
