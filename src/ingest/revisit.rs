//! Revisits: each archived page is fetched again when the article reaches each age of
//! `[revisit] after`, at the end of its source's poll (new articles come first), with a
//! conditional GET. A 304 or the same bytes is no change; a new text goes through the same
//! extraction as a new page and becomes a version when it differs in more than counters
//! and stamps (the writer's `dedup::same_text`); a 404, a 410 or a redirect to the site's
//! home page marks the article removed, every version kept. A later revisit that finds the
//! page again clears the mark.
//!
//! Revisits are bounded three ways: a few per poll (so one poll stays short, and a host
//! sees them at its politeness gap, one at a time, in its feed's turn), a share of all
//! requests ([`RevisitBudget`]: an archive's backlog never crowds out new articles), and
//! the schedule itself (an age passed while the daemon was stopped is not made up for).

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use url::Url;

use super::page::{self, PageResult};
use super::{Batch, FeedReport, Ingest, PollError};
use crate::config::FeedConfig;
use crate::dedup;
use crate::fetch::{FetchError, Fetched, Hop, MAX_REDIRECTS};
use crate::store::{CheckOutcome, CheckWrite, DueCheck, PageState, next_due};

/// Revisits per poll at most.
const REVISITS_PER_POLL: usize = 20;

/// Revisits that may be saved up while none are due, so that a quiet hour does not buy a
/// burst later: over any stretch, revisits are at most `share` of the requests, give or
/// take this many.
const MOST_CREDIT: f64 = 32.0;

/// The share of all requests that revisits may take, kept over the run: every other request
/// earns `share / (1 - share)` of a revisit, every request a revisit makes spends one.
/// Requests are counted by the fetcher ([`crate::fetch::FetchStats::requests`]), which
/// sees every poll's; a revisit's own are told apart by counting them here.
#[derive(Debug)]
pub struct RevisitBudget {
    ledger: Mutex<Ledger>,
}

#[derive(Debug)]
struct Ledger {
    share: f64,
    /// The fetcher's request count when last settled.
    seen: u64,
    /// Requests revisits made since then.
    revisits: u64,
    credit: f64,
}

impl RevisitBudget {
    pub fn new(share: f64) -> RevisitBudget {
        RevisitBudget {
            ledger: Mutex::new(Ledger {
                share,
                seen: 0,
                revisits: 0,
                credit: 0.0,
            }),
        }
    }

    /// A config reload's new share; what was earned stays.
    pub fn set_share(&self, share: f64) {
        self.ledger().share = share;
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes one revisit's worth if there is one, given the fetcher's request count now.
    pub fn take(&self, requests: u64) -> bool {
        let mut l = self.ledger();
        if l.share >= 1.0 {
            return true;
        }
        if l.share <= 0.0 {
            return false;
        }
        // Requests of a revisit still in flight may be counted as others' here; they are
        // taken back when it reports them, so the sum over the run is exact.
        let others = requests as i64 - l.seen as i64 - l.revisits as i64;
        let earned = l.share / (1.0 - l.share);
        l.credit = (l.credit + others as f64 * earned - l.revisits as f64).min(MOST_CREDIT);
        l.seen = requests;
        l.revisits = 0;
        if l.credit >= 1.0 {
            // Held until the revisit says what it cost.
            l.credit -= 1.0;
            true
        } else {
            false
        }
    }

    /// A revisit taken with [`RevisitBudget::take`] made `requests` requests.
    pub fn spent(&self, requests: u64) {
        let mut l = self.ledger();
        l.credit += 1.0;
        l.revisits += requests;
    }
}

/// A redirect there means the article is gone: sites send a deleted article's address to
/// their front page rather than answer 404.
fn is_home_page(url: &Url) -> bool {
    let path = url.path().trim_end_matches('/').to_ascii_lowercase();
    let home = matches!(
        path.as_str(),
        "" | "/index.php" | "/index.html" | "/index.htm" | "/home" | "/beranda"
    );
    home && url.query().is_none_or(|q| q.is_empty())
}

impl Ingest {
    /// Revisits this source's pages that are due, within the budgets.
    pub(super) async fn revisit_due(
        &self,
        feed: &FeedConfig,
        feed_id: i64,
        now: DateTime<Utc>,
        report: &mut FeedReport,
        batch: &mut Batch,
    ) -> Result<(), PollError> {
        let after = self.config.revisit.after.clone();
        let Some(last) = after.last().copied() else {
            return Ok(());
        };
        if !feed.revisit {
            return Ok(());
        }
        let due = self
            .db(move |s| s.due_checks(feed_id, now, last, REVISITS_PER_POLL))
            .await?;
        for d in due {
            if !self.revisits.take(self.fetcher.stats().requests()) {
                report.revisits_deferred = true;
                break;
            }
            let place = match self.place(batch, report).await {
                Ok(p) => p,
                Err(e) => {
                    self.revisits.spent(0);
                    return Err(e);
                }
            };
            let checked = self
                .unless_stopped(self.recheck(feed, &d.url, &d.state, now))
                .await;
            let (outcome, requests) = match checked {
                Ok(done) => done,
                Err(stopped) => {
                    self.revisits.spent(0);
                    return Err(stopped);
                }
            };
            self.revisits.spent(requests);
            report.revisited += 1;
            match &outcome {
                CheckOutcome::Removed { why } if !d.removed => {
                    tracing::info!(feed = %feed.name, url = %d.url, why = %why, "article taken down");
                    report.taken_down += 1;
                }
                CheckOutcome::Failed { why } => {
                    tracing::debug!(feed = %feed.name, url = %d.url, why = %why, "revisit told nothing");
                }
                _ => {}
            }
            batch
                .work
                .checks
                .push(check_write(&d, outcome, &after, now));
            batch.places.extend(place);
            self.flush_if_due(batch, report).await?;
        }
        Ok(())
    }

    /// Fetches an archived page again and compares it with `state`; with the requests it
    /// made. The first request is conditional; a redirect is followed one hop at a time so
    /// that one to the home page is seen as such.
    pub(super) async fn recheck(
        &self,
        feed: &FeedConfig,
        url: &str,
        state: &PageState,
        now: DateTime<Utc>,
    ) -> (CheckOutcome, u64) {
        let Ok(link) = Url::parse(url) else {
            return (
                CheckOutcome::Failed {
                    why: format!("{url:?} is not a URL"),
                },
                0,
            );
        };
        let mut requests = 0;
        let mut at = link.clone();
        let mut via = Vec::new();
        for hop in 0..=MAX_REDIRECTS {
            let validators = Some(&state.validators)
                .filter(|v| hop == 0 && (v.etag.is_some() || v.last_modified.is_some()));
            let (answer, _) = self.fetcher.get_page_hop_if(&at, validators).await;
            if !matches!(
                answer,
                Err(FetchError::Refused { .. }
                    | FetchError::Robots { .. }
                    | FetchError::Deferred { .. })
            ) {
                requests += 1;
            }
            let resp = match answer {
                Ok(Hop::Done(Fetched::NotModified { .. })) => {
                    return (CheckOutcome::Unchanged(None), requests);
                }
                Ok(Hop::Done(Fetched::Body(resp))) => resp,
                Ok(Hop::Redirect { to, .. }) if is_home_page(&to) => {
                    let why = format!("{at} redirects to the home page {to}");
                    return (CheckOutcome::Removed { why }, requests);
                }
                Ok(Hop::Redirect { to, .. }) => {
                    via.push(dedup::url_key(&to));
                    at = to;
                    continue;
                }
                Err(FetchError::Status { status, .. }) if status == 404 || status == 410 => {
                    let why = format!("{at} answers HTTP {status}");
                    return (CheckOutcome::Removed { why }, requests);
                }
                Err(e) => {
                    return (CheckOutcome::Failed { why: e.to_string() }, requests);
                }
            };
            let rules = feed.extract.clone();
            let max_body = self.config.fetch.max_body;
            let keep = self.config.archive.keep_raw;
            let read_link = link.clone();
            let first = self
                .pipeline
                .extract(move || {
                    page::read_page(*resp, &read_link, rules.as_deref(), now, max_body, keep)
                })
                .await;
            let first = match first {
                Ok(Ok(p)) => p,
                Ok(Err(_)) | Err(_) => {
                    let why = format!("{at} could not be read again");
                    return (CheckOutcome::Failed { why }, requests);
                }
            };
            if page::page_hash(&first.html) == state.hash {
                let state = PageState {
                    validators: first.validators,
                    hash: state.hash.clone(),
                    due: None,
                };
                return (CheckOutcome::Unchanged(Some(state)), requests);
            }
            let mut took = std::time::Duration::ZERO;
            let mut claims = Vec::new();
            let result = self
                .pages_from(feed, &link, first, via, (now, &mut took), &mut claims)
                .await;
            requests += result.1;
            let outcome = match result.0 {
                PageResult::Extracted { content, keys } => CheckOutcome::Changed { keys, content },
                // An error page or a listing where the article was: the address no longer
                // holds it, but a hiccup looks the same; the next age tells.
                PageResult::Unusable { reason, .. } => CheckOutcome::Failed { why: reason },
                PageResult::Archived { .. } => CheckOutcome::Failed {
                    why: format!("{url} now leads to an address archived as another article"),
                },
            };
            return (outcome, requests);
        }
        let why = format!("{url} redirects more than {MAX_REDIRECTS} times");
        (CheckOutcome::Failed { why }, requests)
    }
}

/// A revisit's record: what it found, and the next age's time (counted from the article's
/// first fetch; none once the last age is passed).
fn check_write(
    d: &DueCheck,
    outcome: CheckOutcome,
    after: &[std::time::Duration],
    now: DateTime<Utc>,
) -> CheckWrite {
    CheckWrite {
        article_id: d.article_id,
        outcome,
        due: next_due(d.since, after, now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_to_the_front_page_is_a_takedown_and_one_to_another_article_is_not() {
        let home = |u: &str| is_home_page(&Url::parse(u).unwrap());
        assert!(home("https://kaltimtoday.co/"));
        assert!(home("https://kaltimtoday.co"));
        assert!(home("https://kaltimtoday.co/index.php"));
        assert!(home("https://www.kaltimtoday.co/beranda/"));
        assert!(!home("https://kaltimtoday.co/2024/11/20/banjir-samarinda"));
        assert!(!home("https://kaltimtoday.co/?p=1234"));
        assert!(!home("https://kaltimtoday.co/kategori/kutim"));
    }

    #[test]
    fn revisits_take_at_most_their_share_of_requests() {
        let budget = RevisitBudget::new(0.25);
        let (mut requests, mut revisits) = (0u64, 0u64);
        for _ in 0..10_000 {
            // Other work: a feed poll and a page now and then.
            requests += 1;
            while budget.take(requests) {
                requests += 1;
                revisits += 1;
                budget.spent(1);
            }
        }
        let share = revisits as f64 / requests as f64;
        assert!(share <= 0.25 + 1e-3, "share {share}");
        assert!(share >= 0.24, "the budget is used, not starved: {share}");
    }

    #[test]
    fn a_quiet_spell_does_not_buy_a_burst_of_revisits() {
        let budget = RevisitBudget::new(0.5);
        let mut taken = 0;
        // 10,000 other requests while nothing was due.
        let requests = 10_000;
        assert!(budget.take(requests));
        budget.spent(1);
        while budget.take(requests + 1 + taken) {
            taken += 1;
            budget.spent(1);
        }
        assert!(taken as f64 <= MOST_CREDIT, "{taken} revisits in a row");
    }

    #[test]
    fn no_share_no_revisits_and_a_whole_share_no_limit() {
        let none = RevisitBudget::new(0.0);
        assert!(!none.take(1_000));
        let all = RevisitBudget::new(1.0);
        assert!((0..100).all(|_| all.take(0)));
    }

    #[test]
    fn ages_passed_while_stopped_are_not_made_up_for() {
        use std::time::Duration;
        let h = |n: u64| Duration::from_secs(n * 3600);
        let after = [h(1), h(6), h(24)];
        let since = DateTime::parse_from_rfc3339("2024-11-20T02:15:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let at = |hours: i64| since + chrono::Duration::hours(hours);
        assert_eq!(next_due(since, &after, since), Some(at(1)));
        assert_eq!(next_due(since, &after, at(1)), Some(at(6)));
        assert_eq!(
            next_due(since, &after, at(20)),
            Some(at(24)),
            "6h passed by"
        );
        assert_eq!(next_due(since, &after, at(24)), None, "no age left");
        assert_eq!(next_due(since, &[], since), None);
    }
}
