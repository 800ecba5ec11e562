//! Why a request failed, in a few words a reader can act on, and whether failures together
//! mean that this machine's network is down rather than the sites.
//!
//! reqwest reports every transport failure as "error sending request"; what happened sits in
//! its source chain: hyper-util's connect error ("dns error", "tcp connect error"), reqwest's
//! own DNS error, an `io::Error` whose kind says refused or unreachable, or rustls' error
//! wrapped in an `io::Error`. The chain is walked once here, in a fixed order (a timeout, then
//! the address guard, then DNS, then the socket, then TLS), because a DNS failure on an
//! https URL also looks like a TLS one to a careless test (no OS error code).

use std::collections::{HashMap, HashSet};
use std::io::ErrorKind;

use url::Url;

/// A failure of the network path to a host rather than of the host's answer. Only these can
/// say that the network is down; an HTTP error or a bad feed proves the network works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cause {
    /// The host's name could not be resolved.
    Dns,
    /// No connection: refused, or no route to the host.
    Connect,
    /// No answer within `fetch.timeout`.
    Timeout,
    /// The TLS handshake failed.
    Tls,
}

impl Cause {
    /// What every feed failing this way looks like, and what to check.
    fn everywhere(self) -> (&'static str, &'static str) {
        match self {
            Cause::Dns => (
                "names could not be resolved",
                "check DNS and the connection",
            ),
            Cause::Connect => (
                "no connection could be made",
                "check the connection, a firewall or a proxy",
            ),
            Cause::Timeout => ("every request timed out", "check the connection"),
            Cause::Tls => (
                "every TLS handshake failed",
                "check the system clock and any proxy that intercepts https",
            ),
        }
    }
}

/// A transport failure (no HTTP answer), classified: the few words for the feeds table and
/// the summary, and the cause when it is one of the network's.
pub(super) struct Classified {
    pub reason: String,
    pub cause: Option<Cause>,
}

/// Classifies a transport failure of `url` (timeouts and guard refusals are the caller's).
pub(super) fn classify(url: &Url, e: &reqwest::Error, chain: &str) -> Classified {
    let host = url.host_str().unwrap_or("the host");
    let port = url.port_or_known_default().unwrap_or(80);
    if e.is_dns() {
        return Classified {
            reason: format!("the name {host} could not be resolved (DNS); check the address"),
            cause: Some(Cause::Dns),
        };
    }
    match io_kind(e) {
        Some(ErrorKind::ConnectionRefused) => {
            return Classified {
                reason: format!(
                    "connection refused by {host} port {port}: nothing listens there (is the site down, or the port wrong?)"
                ),
                cause: Some(Cause::Connect),
            };
        }
        Some(
            ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable | ErrorKind::NetworkDown,
        ) => {
            return Classified {
                reason: format!("{host} cannot be reached (no route to it); check the connection"),
                cause: Some(Cause::Connect),
            };
        }
        // Reached the host, which then hung up: the host's failure, not the network's.
        Some(ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted) => {
            return Classified {
                reason: format!("the connection was reset by {host} ({chain})"),
                cause: None,
            };
        }
        _ => {}
    }
    if url.scheme() == "https" && e.is_connect() && tls_failure(e) {
        return Classified {
            reason: format!(
                "TLS handshake with {host} failed ({}); check that the site serves https at this address, or use its http:// URL",
                innermost(e)
            ),
            cause: Some(Cause::Tls),
        };
    }
    Classified {
        reason: chain.to_string(),
        cause: None,
    }
}

/// The kind of the first `io::Error` in the chain.
fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<ErrorKind> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cur = err.source();
    }
    None
}

/// rustls reports handshake failures through an io::Error with no OS error code; refused
/// or reset sockets carry one. Only asked once DNS failures are ruled out: theirs carry none
/// either.
fn tls_failure(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.raw_os_error().is_none()
        {
            return true;
        }
        cur = err.source();
    }
    false
}

/// The last message of the chain: rustls' own words ("invalid peer certificate: …").
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

/// When every polled feed failed the same network way, on at least two hosts: one line
/// saying the network looks down, instead of a line per feed that hides it. `outcomes` is
/// one `(host, cause)` per feed polled, the cause None for a feed the network reached.
pub fn network_down<'a>(
    outcomes: impl IntoIterator<Item = (&'a str, Option<Cause>)>,
) -> Option<String> {
    let mut hosts = HashSet::new();
    let mut cause = None;
    let mut feeds = 0;
    for (host, c) in outcomes {
        let c = c?;
        if cause.is_some_and(|seen| seen != c) {
            return None;
        }
        cause = Some(c);
        hosts.insert(host);
        feeds += 1;
    }
    let cause = cause.filter(|_| hosts.len() >= 2)?;
    let (what, hint) = cause.everywhere();
    Some(format!(
        "all {feeds} feeds failed: {what}; the network looks down ({hint})"
    ))
}

/// The daemon's view of [`network_down`] over each feed's latest poll, so that a dead network
/// is logged once when it goes down and once when it comes back, not with every poll.
#[derive(Debug, Default)]
pub struct NetworkWatch {
    latest: HashMap<String, (String, Option<Cause>)>,
    down: bool,
}

/// A change of the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkChange {
    Down(String),
    Back,
}

impl NetworkWatch {
    /// Records a feed's poll; returns the change of verdict it makes, if any.
    pub fn record(
        &mut self,
        feed: &str,
        host: &str,
        cause: Option<Cause>,
    ) -> Option<NetworkChange> {
        self.latest
            .insert(feed.to_string(), (host.to_string(), cause));
        let verdict = network_down(self.latest.values().map(|(h, c)| (h.as_str(), *c)));
        match (verdict, self.down) {
            (Some(line), false) => {
                self.down = true;
                Some(NetworkChange::Down(line))
            }
            (None, true) => {
                self.down = false;
                Some(NetworkChange::Back)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_network_is_down_only_when_every_feed_fails_the_same_way_on_two_hosts() {
        let dns = Some(Cause::Dns);
        let line = network_down([("a.invalid", dns), ("b.invalid", dns)]).unwrap();
        assert_eq!(
            line,
            "all 2 feeds failed: names could not be resolved; the network looks down (check DNS and the connection)"
        );
        assert_eq!(
            network_down([("a.invalid", dns), ("a.invalid", dns)]),
            None,
            "one host"
        );
        assert_eq!(
            network_down([("a", dns), ("b", None)]),
            None,
            "one feed reached"
        );
        assert_eq!(
            network_down([("a", dns), ("b", Some(Cause::Timeout))]),
            None,
            "two different failures"
        );
        assert_eq!(network_down([]), None);
    }

    #[test]
    fn the_watch_says_down_once_and_back_once() {
        let mut w = NetworkWatch::default();
        let dns = Some(Cause::Dns);
        assert_eq!(w.record("a", "a.example", dns), None);
        assert!(matches!(
            w.record("b", "b.example", dns),
            Some(NetworkChange::Down(_))
        ));
        assert_eq!(w.record("a", "a.example", dns), None, "said once");
        assert_eq!(w.record("b", "b.example", None), Some(NetworkChange::Back));
        assert_eq!(w.record("b", "b.example", None), None);
    }
}
