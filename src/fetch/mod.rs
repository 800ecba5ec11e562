//! The only HTTP client. Every request, feed or page, passes through [`Fetcher::get`], which
//! holds the politeness rules in one place: the global concurrency limit, one request at a
//! time per host with the configured gap, robots.txt for article pages, the private-address
//! guard (on the resolved address, redirects included) and the body cap, enforced while the
//! body streams in so a huge or endless response never sits in memory whole.

mod cause;
mod charset;
mod coding;
mod exchange;
mod guard;
mod post;
mod stats;
pub use post::Posted;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::sync::{OnceCell, Semaphore};
use url::Url;

use crate::config::FetchConfig;
pub use cause::{Cause, NetworkChange, NetworkWatch, network_down};
pub use charset::{decode_html, decode_html_kept, decode_html_owned};
pub use coding::{Coding, Decoded, Inflated, decode as decode_body, gunzip, is_gzip, read_capped};
pub use exchange::{Exchange, KeptHead, REDACTED, read_response_head};
pub use stats::{FetchStats, LATENCY_BUCKETS, LatencySnapshot};

/// What a request is for: robots.txt is consulted for pages only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Feed,
    Page,
}

/// Validators of an earlier response, for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug)]
pub enum Fetched {
    /// A 304 to a conditional request; `moved_to` as for [`Response::moved_to`], since a
    /// feed that moved for good answers 304 at its new address like anywhere else.
    NotModified {
        moved_to: Option<Url>,
    },
    Body(Box<Response>),
}

#[derive(Debug)]
pub struct Response {
    /// Where the body came from, after redirects.
    pub url: Url,
    pub status: u16,
    /// The media type alone, lower-case (`text/html`).
    pub media_type: Option<String>,
    pub charset: Option<String>,
    pub body: Vec<u8>,
    /// The Content-Encoding `body` is still in: Identity but for article pages
    /// ([`Fetcher::get_page_hop`]), whose reader undoes it ([`decode_body`]).
    pub coding: Coding,
    /// The body was cut at `max_body` (on the wire, for a body still encoded).
    pub truncated: bool,
    pub validators: Validators,
    /// How long the response may be reused (Cache-Control max-age, else Expires): the
    /// publisher's ask not to poll sooner.
    pub fresh_for: Option<Duration>,
    /// Where a permanent redirect (301/308) on the first hop pointed.
    pub moved_to: Option<Url>,
    /// The request and response heads, for article pages ([`Fetcher::get_page_hop`]),
    /// whose body is the one that came over the wire: what `keep_raw = "response"` keeps.
    pub exchange: Option<Box<Exchange>>,
}

/// One request's outcome when its redirect is not followed.
#[derive(Debug)]
pub enum Hop<T> {
    Done(T),
    /// A 301, 302, 303, 307 or 308 with a usable Location.
    Redirect {
        to: Url,
        permanent: bool,
    },
}

/// The most a streamed body hands over at once (see [`Fetcher::get_streamed`]).
const STREAM_PIECE: usize = 16 * 1024;

/// Redirects followed at most: the eleventh is refused.
pub const MAX_REDIRECTS: usize = 10;

/// How a body comes off the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    /// Its content coding undone by the client as it streams in.
    Decoded,
    /// As sent ([`Fetcher::get_page_hop`]).
    Encoded,
}

/// An answer's head, before its body is read.
enum Head {
    NotModified,
    Redirect { to: Url, permanent: bool },
    Body(reqwest::Response, Box<Response>),
}

/// What a followed chain of redirects ends in: an answer that can say where it moved to.
trait Moved {
    fn not_modified() -> Self;
    fn set_moved_to(&mut self, to: Option<Url>);
}

impl Moved for Fetched {
    fn not_modified() -> Self {
        Fetched::NotModified { moved_to: None }
    }

    fn set_moved_to(&mut self, to: Option<Url>) {
        match self {
            Fetched::Body(resp) => resp.moved_to = to,
            Fetched::NotModified { moved_to } => *moved_to = to,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("refused {url}: {reason}")]
    Refused { url: String, reason: String },
    #[error("robots.txt of {host} disallows {url}")]
    Robots { url: String, host: String },
    #[error("HTTP {status}{} from {url}{}", reason_phrase(*status), retry_after.map(|r| format!(" (asked to wait {}s)", r.as_secs())).unwrap_or_default())]
    Status {
        url: String,
        status: u16,
        /// The server's Retry-After on a 429 or 503.
        retry_after: Option<Duration>,
    },
    #[error(
        "{host} asked us to wait until {until} (HTTP 429/503 Retry-After); skipped, use --force to fetch anyway"
    )]
    Deferred { host: String, until: String },
    #[error("timed out after {} fetching {url}; the site may be down or slow (fetch.timeout)", crate::config::format_duration(*after))]
    Timeout { url: String, after: Duration },
    #[error("cannot fetch {url}: {reason}")]
    Network {
        url: String,
        reason: String,
        /// Set when the failure is the network path's (DNS, connection, TLS), not the site's.
        cause: Option<Cause>,
    },
}

impl FetchError {
    /// A chain of redirects from `url` longer than [`MAX_REDIRECTS`], `last` where it got to.
    pub fn too_many_redirects(url: &Url, last: &Url) -> FetchError {
        FetchError::Network {
            url: url.to_string(),
            reason: format!("more than {MAX_REDIRECTS} redirects (the last to {last})"),
            cause: None,
        }
    }

    /// The network's part in this failure, if it was the network's: what tells a dead
    /// connection from dead sites.
    pub fn cause(&self) -> Option<Cause> {
        match self {
            FetchError::Timeout { .. } => Some(Cause::Timeout),
            FetchError::Network { cause, .. } => *cause,
            _ => None,
        }
    }
}

/// " Not Found" for 404: the status's standard name, which says more than the number.
fn reason_phrase(status: u16) -> String {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map(|r| format!(" {r}"))
        .unwrap_or_default()
}

type HostSlot = Arc<tokio::sync::Mutex<Option<Instant>>>;

/// Hosts' turns shared with other processes (several daemons on one PostgreSQL archive):
/// a request waits for the host's turn over all of them, as it waits for its turn in this
/// process. Blocking calls: the fetcher runs them on blocking threads.
pub trait SharedHosts: Send + Sync {
    /// May a request to `host` go now? Else how long to wait before asking again.
    fn claim(&self, host: &str) -> Result<Option<Duration>, String>;
    /// The request to `host` is over; the next waits `gap`.
    fn release(&self, host: &str, gap: Duration) -> Result<(), String>;
}

/// How often a claim that must wait asks again, at most.
const SHARED_RECHECK: Duration = Duration::from_millis(250);
type RobotsCell = Arc<OnceCell<Option<texting_robots::Robot>>>;

pub struct Fetcher {
    client: reqwest::Client,
    /// The same, but handing bodies over as they came, still gzip-, deflate- or
    /// brotli-encoded: for article pages, whose gzip body is kept as the page's compressed
    /// copy rather than inflated here and compressed again for the archive.
    encoded_client: reqwest::Client,
    cfg: FetchConfig,
    permits: Semaphore,
    hosts: Mutex<HashMap<String, HostSlot>>,
    robots: Mutex<HashMap<String, RobotsCell>>,
    robots_agent: String,
    /// Hosts that asked (429/503 Retry-After) not to be contacted before a time.
    deferred: Mutex<HashMap<String, DateTime<Utc>>>,
    /// Ignore `deferred` (`warta fetch --force`).
    force: bool,
    /// Gentler gaps for some hosts (per-feed `per_host_delay`).
    host_delays: HashMap<String, Duration>,
    /// Headers (user agent and cookies among them) and basic auth some hosts' feeds asked
    /// for, made into request values once, the password read.
    options: HashMap<String, HostRequest>,
    /// Client pairs (decoded, encoded) for hosts whose feed names a proxy of its own.
    host_clients: HashMap<String, Arc<(reqwest::Client, reqwest::Client)>>,
    /// Requests that do not name a proxy of their own still go through one (`[fetch]
    /// proxy`, or the environment's): their targets are checked before they leave.
    proxied: bool,
    stats: Arc<FetchStats>,
    /// Hosts' turns over other processes too, when the archive is shared.
    shared: Option<Arc<dyn SharedHosts>>,
}

/// The proxies the environment names: HTTPS_PROXY for https, HTTP_PROXY for http,
/// ALL_PROXY for both (lower-case spellings too), all but for the hosts NO_PROXY lists.
fn env_proxies() -> Result<Vec<reqwest::Proxy>, String> {
    let var = |name: &str| {
        std::env::var(name)
            .or_else(|_| std::env::var(name.to_ascii_lowercase()))
            .ok()
            .filter(|v| !v.trim().is_empty())
    };
    let mut proxies = Vec::new();
    for name in ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"] {
        if let Some(v) = var(name) {
            let checked =
                crate::config::ProxyAddress::parse(&v).map_err(|e| format!("{name}: {e}"))?;
            let at = checked.0.as_str();
            let proxy = match name {
                "HTTPS_PROXY" => reqwest::Proxy::https(at),
                "HTTP_PROXY" => reqwest::Proxy::http(at),
                _ => reqwest::Proxy::all(at),
            }
            .map_err(|e| format!("{name}: {e}"))?;
            proxies.push(proxy.no_proxy(reqwest::NoProxy::from_env()));
        }
    }
    Ok(proxies)
}

/// A request through a proxy is resolved on the proxy's side, out of the resolver guard's
/// sight: the target is resolved here first and refused when it is private. A name that
/// does not resolve here is left to the proxy (a `socks5h://` proxy's own network).
async fn check_proxied_target(url: &Url) -> Result<(), FetchError> {
    let Some(host) = url.host_str() else {
        return Ok(());
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url.port_or_known_default().unwrap_or(80);
    let Ok(addrs) = tokio::net::lookup_host((host, port)).await else {
        return Ok(());
    };
    for a in addrs {
        if crate::addr::is_private_ip(a.ip()) {
            return Err(FetchError::Refused {
                url: url.to_string(),
                reason: format!(
                    "{host} resolves to {}, a private or loopback address; set allow_private_addresses = true in [fetch] to allow it",
                    a.ip()
                ),
            });
        }
    }
    Ok(())
}

/// What a source's request options add to every request to its host.
struct HostRequest {
    headers: HeaderMap,
    /// User and password.
    auth: Option<(String, String)>,
}

impl HostRequest {
    fn new(o: &crate::config::RequestOptions, password: Option<String>) -> HostRequest {
        // The config checked every name and value; one that still fails is left out.
        let mut headers = HeaderMap::new();
        for (name, value) in &o.headers {
            if let (Ok(n), Ok(mut v)) = (
                header::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                // Headers a source asks for are often keys ("X-Api-Key"): a kept request
                // head (`fetch::exchange`) shows their names, never their values.
                v.set_sensitive(true);
                headers.insert(n, v);
            }
        }
        for (name, value) in [
            (header::USER_AGENT, &o.user_agent),
            (header::COOKIE, &o.cookie),
        ] {
            if let Some(v) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                headers.insert(name, v);
            }
        }
        let auth = o
            .auth
            .as_ref()
            .zip(password)
            .map(|(a, p)| (a.user.clone(), p));
        HostRequest { headers, auth }
    }
}

/// Longest wait a Retry-After may impose: a broken header must not silence a host for
/// months.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

impl Fetcher {
    pub fn new(cfg: &FetchConfig) -> Result<Fetcher, String> {
        let proxies = match &cfg.proxy {
            Some(p) => vec![Self::proxy(p)?],
            None => env_proxies()?,
        };
        let proxied = !proxies.is_empty();
        let (client, encoded_client) = Self::clients(cfg, &proxies)?;
        let robots_agent = cfg
            .user_agent
            .split(['/', ' '])
            .next()
            .unwrap_or("warta")
            .to_string();
        Ok(Fetcher {
            client,
            encoded_client,
            cfg: cfg.clone(),
            permits: Semaphore::new(cfg.concurrency.max(1)),
            hosts: Mutex::new(HashMap::new()),
            robots: Mutex::new(HashMap::new()),
            robots_agent,
            deferred: Mutex::new(HashMap::new()),
            force: false,
            host_delays: HashMap::new(),
            options: HashMap::new(),
            host_clients: HashMap::new(),
            proxied,
            stats: Arc::default(),
            shared: None,
        })
    }

    /// Takes each host's turn over the processes sharing `shared` too.
    pub fn with_shared_hosts(mut self, shared: Arc<dyn SharedHosts>) -> Self {
        self.shared = Some(shared);
        self
    }

    /// Waits for `host`'s turn among the other processes; a store that cannot answer is
    /// said once a request and not waited for (the request then goes on this process's
    /// turn alone, rather than never).
    async fn shared_turn(&self, host: &str) -> bool {
        let Some(shared) = &self.shared else {
            return false;
        };
        loop {
            let s = shared.clone();
            let h = host.to_string();
            let claim = tokio::task::spawn_blocking(move || s.claim(&h))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r);
            match claim {
                Ok(None) => return true,
                Ok(Some(wait)) => tokio::time::sleep(wait.min(SHARED_RECHECK)).await,
                Err(e) => {
                    tracing::warn!(host = %host, error = %e, "cannot take the host's turn in the shared archive");
                    return false;
                }
            }
        }
    }

    async fn end_shared_turn(&self, host: &str, gap: Duration) {
        let Some(shared) = &self.shared else { return };
        let s = shared.clone();
        let h = host.to_string();
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || s.release(&h, gap)).await {
            tracing::warn!(host = %host, error = %e, "cannot end the host's turn in the shared archive");
        }
    }

    /// The client for decoded bodies and the one for bodies as they came, through
    /// `proxies` (none: direct).
    fn clients(
        cfg: &FetchConfig,
        proxies: &[reqwest::Proxy],
    ) -> Result<(reqwest::Client, reqwest::Client), String> {
        let build = |encoded: bool| {
            let mut builder = Self::client(cfg);
            for p in proxies {
                builder = builder.proxy(p.clone());
            }
            if encoded {
                // Without its decoders reqwest sends no Accept-Encoding: `send_head` does.
                builder = builder.no_gzip().no_brotli().no_deflate();
            }
            builder
                .build()
                .map_err(|e| format!("cannot set up the HTTP client: {e}"))
        };
        Ok((build(false)?, build(true)?))
    }

    fn proxy(p: &crate::config::ProxyAddress) -> Result<reqwest::Proxy, String> {
        reqwest::Proxy::all(p.0.as_str()).map_err(|e| format!("cannot use the proxy {p:?}: {e}"))
    }

    /// The settings both clients share.
    fn client(cfg: &FetchConfig) -> reqwest::ClientBuilder {
        let mut builder = reqwest::Client::builder()
            .user_agent(cfg.user_agent.clone())
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(15)))
            // A system proxy would connect on our behalf and bypass the address guard.
            .no_proxy()
            // Redirects are followed by `follow`, one hop at a time, each in its host's turn
            // and through the same checks as a first request.
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(30));
        if !cfg.allow_private_addresses {
            builder = builder.dns_resolver(Arc::new(guard::GuardedResolver));
        }
        builder
    }

    /// Fetch from hosts even while they asked us to wait.
    pub fn with_force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// A gentler gap for the host of `url` (the larger of this and the global gap wins).
    pub fn with_host_delay(mut self, url: &Url, delay: Duration) -> Self {
        let e = self.host_delays.entry(host_key(url)).or_default();
        *e = (*e).max(delay);
        self
    }

    /// What the configured feeds ask of their hosts: gentler gaps and request options.
    /// Options go to the feed's own host only: an item linking elsewhere never gets a
    /// feed's cookies or password.
    /// A password that cannot be read is an error naming the feed and where it was looked
    /// for.
    pub fn for_feeds(mut self, feeds: &[crate::config::FeedConfig]) -> Result<Self, String> {
        for f in feeds {
            if let Some(d) = f.per_host_delay {
                self = self.with_host_delay(&f.url, d);
            }
            if let Some(o) = &f.request {
                if let Some(p) = &o.proxy {
                    let pair = Self::clients(&self.cfg, &[Self::proxy(p)?])?;
                    self.host_clients.insert(host_key(&f.url), Arc::new(pair));
                }
                let password = match &o.auth {
                    Some(a) => Some(a.password.read().map_err(|e| {
                        format!("cannot set up requests for {} (auth): {e}", f.name)
                    })?),
                    None => None,
                };
                self.options
                    .insert(host_key(&f.url), HostRequest::new(o, password));
            }
        }
        Ok(self)
    }

    /// Remembers that `host` asked not to be contacted before `until` (from an earlier run).
    pub fn defer_host(&self, host: &str, until: DateTime<Utc>) {
        let mut d = self.deferred.lock().unwrap_or_else(|p| p.into_inner());
        let e = d.entry(host.to_string()).or_insert(until);
        *e = (*e).max(until);
    }

    /// Counts into `stats` (a reloaded daemon's new fetcher goes on with the old counters).
    pub fn with_stats(mut self, stats: Arc<FetchStats>) -> Self {
        self.stats = stats;
        self
    }

    /// Latency and failures of the requests made so far (shared: the daemon's `/metrics`
    /// reads it while polls add to it).
    pub fn stats(&self) -> Arc<FetchStats> {
        self.stats.clone()
    }

    /// Hosts currently asking to wait, to persist across runs.
    pub fn deferred_hosts(&self) -> Vec<(String, DateTime<Utc>)> {
        let now = Utc::now();
        let d = self.deferred.lock().unwrap_or_else(|p| p.into_inner());
        d.iter()
            .filter(|(_, until)| **until > now)
            .map(|(h, u)| (h.clone(), *u))
            .collect()
    }

    /// GET `url` politely. A 304 to a conditional request is [`Fetched::NotModified`];
    /// any other non-2xx status is an error.
    pub async fn get(
        &self,
        url: &Url,
        purpose: Purpose,
        validators: Option<&Validators>,
    ) -> Result<Fetched, FetchError> {
        self.get_timed(url, purpose, validators).await.0
    }

    /// [`Fetcher::get`], with how long the requests themselves took (from sending each to
    /// the last byte of its answer; zero when refused before any was sent): the time spent
    /// waiting for a turn at a host is politeness, not the site's speed.
    pub async fn get_timed(
        &self,
        url: &Url,
        purpose: Purpose,
        validators: Option<&Validators>,
    ) -> (Result<Fetched, FetchError>, Duration) {
        let mut took = Duration::ZERO;
        let result = self
            .follow(url, purpose, validators, &mut took, |resp, head| {
                self.collect(url, resp, head)
            })
            .await;
        (result, took)
    }

    /// One request for an article page, its redirect not followed: for a caller that looks
    /// at each address of a chain before going on (an aggregator's link resolved to the
    /// publisher's page). The body comes as it was sent, still in its `coding`, cut on the
    /// wire at `fetch.max_body`; [`decode_body`] undoes the coding (on a blocking thread, as
    /// the page's extraction runs).
    pub async fn get_page_hop(&self, url: &Url) -> (Result<Hop<Fetched>, FetchError>, Duration) {
        self.get_page_hop_if(url, None).await
    }

    /// [`Fetcher::get_page_hop`], conditional on `validators` when given (a revisit): a 304
    /// is [`Fetched::NotModified`].
    pub async fn get_page_hop_if(
        &self,
        url: &Url,
        validators: Option<&Validators>,
    ) -> (Result<Hop<Fetched>, FetchError>, Duration) {
        self.hop(
            url,
            Purpose::Page,
            validators,
            Wire::Encoded,
            |resp, head| self.collect(url, resp, head),
        )
        .await
    }

    /// Follows `url`'s redirects (ten at most), each hop checked like a first request and
    /// made in its host's turn; `read` reads the final answer's body.
    async fn follow<T, F, Fut>(
        &self,
        url: &Url,
        purpose: Purpose,
        validators: Option<&Validators>,
        took: &mut Duration,
        read: F,
    ) -> Result<T, FetchError>
    where
        F: Fn(reqwest::Response, Response) -> Fut,
        Fut: Future<Output = Result<T, FetchError>>,
        T: Moved,
    {
        let mut at = url.clone();
        let mut moved_to = None;
        for hop in 0..=MAX_REDIRECTS {
            let (result, spent) = self
                .hop(&at, purpose, validators, Wire::Decoded, &read)
                .await;
            *took += spent;
            match result? {
                Hop::Done(mut done) => {
                    done.set_moved_to(moved_to);
                    return Ok(done);
                }
                Hop::Redirect { to, permanent } => {
                    // A feed that moved for good says so on its first hop.
                    if hop == 0 && permanent {
                        moved_to = Some(to.clone());
                    }
                    at = to;
                }
            }
        }
        Err(FetchError::too_many_redirects(url, &at))
    }

    /// One request in its host's turn, after the checks; a redirect is handed back.
    async fn hop<T, F, Fut>(
        &self,
        url: &Url,
        purpose: Purpose,
        validators: Option<&Validators>,
        wire: Wire,
        read: F,
    ) -> (Result<Hop<T>, FetchError>, Duration)
    where
        F: FnOnce(reqwest::Response, Response) -> Fut,
        Fut: Future<Output = Result<T, FetchError>>,
        T: Moved,
    {
        if let Err(refused) = self.check(url, purpose).await {
            return (Err(refused), Duration::ZERO);
        }
        self.polite(url, async {
            match self.send_head(url, validators, wire).await? {
                Head::NotModified => Ok(Hop::Done(T::not_modified())),
                Head::Redirect { to, permanent } => Ok(Hop::Redirect { to, permanent }),
                Head::Body(resp, head) => read(resp, *head).await.map(Hop::Done),
            }
        })
        .await
    }

    /// The refusals made before any request: scheme, private address, a host's wait, robots.txt.
    async fn check(&self, url: &Url, purpose: Purpose) -> Result<(), FetchError> {
        self.check_address(url)?;
        if !self.cfg.allow_private_addresses
            && (self.proxied || self.host_clients.contains_key(&host_key(url)))
        {
            check_proxied_target(url).await?;
        }
        if purpose == Purpose::Page && self.cfg.respect_robots && !self.robots_allow(url).await {
            return Err(FetchError::Robots {
                url: url.to_string(),
                host: host_key(url),
            });
        }
        Ok(())
    }

    /// The refusals that need no request: scheme, private address, a host's wait.
    fn check_address(&self, url: &Url) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Refused {
                url: url.to_string(),
                reason: "only http: and https: addresses are fetched".into(),
            });
        }
        if !self.cfg.allow_private_addresses
            && let Some(reason) = crate::addr::literal_private(url)
        {
            return Err(FetchError::Refused {
                url: url.to_string(),
                reason: format!(
                    "{reason}; set allow_private_addresses = true in [fetch] to allow it"
                ),
            });
        }
        let host = host_key(url);
        if !self.force {
            let until = {
                let d = self.deferred.lock().unwrap_or_else(|p| p.into_inner());
                d.get(&host).copied()
            };
            if let Some(until) = until.filter(|u| *u > Utc::now()) {
                return Err(FetchError::Deferred {
                    host,
                    until: crate::model::rfc3339(&until),
                });
            }
        }
        Ok(())
    }

    /// Runs `request` to `url`'s host in its turn: one request per host in flight, the gap
    /// since the last one kept, the global cap on requests held; a Retry-After in the
    /// answer defers the host. Returns how long the request itself took.
    async fn polite<T>(
        &self,
        url: &Url,
        request: impl std::future::Future<Output = Result<T, FetchError>>,
    ) -> (Result<T, FetchError>, Duration) {
        let host = host_key(url);
        let slot = self.host_slot(&host);
        let gap = self.gap(&host);
        // Holding the host's slot for the whole request keeps one request per host in flight.
        let mut last = slot.lock().await;
        if let Some(prev) = *last {
            let ready = prev + gap;
            let now = Instant::now();
            if ready > now {
                tokio::time::sleep(ready - now).await;
            }
        }
        let shared = self.shared_turn(&host).await;
        let (result, took) = match self.permits.acquire().await {
            Ok(_permit) => {
                let sent = Instant::now();
                let result = request.await;
                let took = sent.elapsed();
                self.stats.observe(took, result.is_ok());
                (result, took)
            }
            Err(_) => (
                Err(FetchError::Network {
                    url: url.to_string(),
                    reason: "the fetcher is shutting down".into(),
                    cause: None,
                }),
                Duration::ZERO,
            ),
        };
        *last = Some(Instant::now());
        if shared {
            self.end_shared_turn(&host, gap).await;
        }
        if let Err(FetchError::Status {
            retry_after: Some(wait),
            ..
        }) = &result
        {
            let until = Utc::now()
                + chrono::Duration::from_std((*wait).min(MAX_RETRY_AFTER)).unwrap_or_default();
            tracing::warn!(host = %host, until = %until, "host asked us to wait (Retry-After)");
            self.defer_host(&host, until);
        }
        (result, took)
    }

    /// The gap between two requests to `host`: the configured one, a per-feed override, or
    /// the site's robots.txt Crawl-delay, whichever is longest.
    fn gap(&self, host: &str) -> Duration {
        let mut gap = self.cfg.per_host_delay;
        if let Some(d) = self.host_delays.get(host) {
            gap = gap.max(*d);
        }
        let crawl_delay = {
            let map = self.robots.lock().unwrap_or_else(|p| p.into_inner());
            map.get(host)
                .and_then(|cell| cell.get().and_then(|r| r.as_ref()).and_then(|r| r.delay))
        };
        if let Some(secs) = crawl_delay.filter(|s| s.is_finite() && *s > 0.0) {
            // A Crawl-delay of hours would stall the archive; a minute is the most we honour.
            gap = gap.max(Duration::from_secs_f32(secs.min(60.0)));
        }
        gap
    }

    /// The body of `resp`, up to `fetch.max_body`, joined once.
    async fn collect(
        &self,
        url: &Url,
        mut resp: reqwest::Response,
        head: Response,
    ) -> Result<Fetched, FetchError> {
        let cap = self.cfg.max_body;
        // The chunks are kept as they come and joined once the length is known: a body grown
        // chunk by chunk is copied at every doubling, and a compressed response gives no
        // length up front (the decoder drops Content-Length).
        let mut chunks = Vec::new();
        let mut capped = Capped::new(cap);
        while let Some(chunk) = capped
            .next(&mut resp)
            .await
            .map_err(|e| self.classify(url, &e))?
        {
            chunks.push(chunk);
        }
        let truncated = capped.cut;
        let body = join_chunks(chunks, capped.read as usize);
        if truncated {
            tracing::warn!(url = %url, max_body = cap, "response cut off at fetch.max_body");
        }
        Ok(Fetched::Body(Box::new(Response {
            body,
            truncated,
            ..head
        })))
    }

    /// GET `url` politely, as [`Fetcher::get`] does, handing the body to `sink` chunk by
    /// chunk instead of holding it: for files far larger than `fetch.max_body` (a sitemap
    /// of 50 MB) that are read as they arrive. At most `cap` bytes are sent; the answer's
    /// `truncated` says whether the body was longer. A sink that hangs up ends the
    /// download early (`truncated` too). The answer's `body` is empty.
    pub async fn get_streamed(
        &self,
        url: &Url,
        purpose: Purpose,
        validators: Option<&Validators>,
        cap: u64,
        sink: tokio::sync::mpsc::Sender<bytes::Bytes>,
    ) -> Result<Fetched, FetchError> {
        let stream = |mut resp: reqwest::Response, head: Response| {
            let sink = sink.clone();
            async move {
                let mut capped = Capped::new(cap);
                while let Some(chunk) = capped
                    .next(&mut resp)
                    .await
                    .map_err(|e| self.classify(&head.url, &e))?
                {
                    // Small copies, not the chunk itself: a chunk is a slice of the
                    // connection's read buffer (hundreds of KiB on a fast link), which the
                    // reader would otherwise keep alive while it works through it.
                    for piece in chunk.chunks(STREAM_PIECE) {
                        if sink
                            .send(bytes::Bytes::copy_from_slice(piece))
                            .await
                            .is_err()
                        {
                            // The reader hung up: it has what it wanted.
                            let truncated = true;
                            return Ok(Fetched::Body(Box::new(Response { truncated, ..head })));
                        }
                    }
                }
                let truncated = capped.cut;
                Ok(Fetched::Body(Box::new(Response { truncated, ..head })))
            }
        };
        let mut took = Duration::ZERO;
        self.follow(url, purpose, validators, &mut took, stream)
            .await
    }

    /// Sends the request and reads the answer's head: a 304, a redirect, an error for any
    /// other status that is not a success, else the response to read the body from, with
    /// everything but the body already filled in.
    async fn send_head(
        &self,
        url: &Url,
        validators: Option<&Validators>,
        wire: Wire,
    ) -> Result<Head, FetchError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static(
                "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/feed+json,application/xml;q=0.9,*/*;q=0.8",
            ),
        );
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("id,en;q=0.8,*;q=0.5"),
        );
        let own = self.host_clients.get(&host_key(url));
        let client = match wire {
            Wire::Decoded => own.map_or(&self.client, |pair| &pair.0),
            Wire::Encoded => {
                headers.insert(
                    header::ACCEPT_ENCODING,
                    HeaderValue::from_static(Coding::ACCEPTED),
                );
                own.map_or(&self.encoded_client, |pair| &pair.1)
            }
        };
        if let Some(v) = validators {
            if let Some(etag) = v
                .etag
                .as_deref()
                .and_then(|e| HeaderValue::from_str(e).ok())
            {
                headers.insert(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = v
                .last_modified
                .as_deref()
                .and_then(|e| HeaderValue::from_str(e).ok())
            {
                headers.insert(header::IF_MODIFIED_SINCE, lm);
            }
        }
        let mut request = client.get(url.clone());
        if let Some(own) = self.options.get(&host_key(url)) {
            headers.extend(own.headers.clone());
            if let Some((user, password)) = &own.auth {
                request = request.basic_auth(user, Some(password));
            }
        }
        let request = request
            .headers(headers)
            .build()
            .map_err(|e| self.classify(url, &e))?;
        // Only a body read as it came over the wire can be kept with its heads.
        let sent = (wire == Wire::Encoded).then(|| request.headers().clone());
        let resp = client
            .execute(request)
            .await
            .map_err(|e| self.classify(url, &e))?;
        let status = resp.status().as_u16();
        if status == 304 {
            return Ok(Head::NotModified);
        }
        if matches!(status, 301 | 302 | 303 | 307 | 308)
            && let Some(to) = resp
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url.join(l.trim()).ok())
        {
            return Ok(Head::Redirect {
                to,
                permanent: matches!(status, 301 | 308),
            });
        }
        if !resp.status().is_success() {
            let retry_after = if matches!(status, 429 | 503) {
                resp.headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, Utc::now()))
            } else {
                None
            };
            return Err(FetchError::Status {
                url: url.to_string(),
                status,
                retry_after,
            });
        }
        let fresh_for = freshness(resp.headers(), Utc::now());
        let final_url = resp.url().clone();
        let content_type = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let (media_type, charset) = split_content_type(content_type.as_deref());
        let header_str = |name| {
            resp.headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let validators = Validators {
            etag: header_str(header::ETAG),
            last_modified: header_str(header::LAST_MODIFIED),
        };
        let coding = match wire {
            Wire::Decoded => Coding::Identity,
            Wire::Encoded => Coding::from_header(header_str(header::CONTENT_ENCODING).as_deref()),
        };
        let exchange = sent.map(|sent| {
            Box::new(Exchange {
                request: exchange::request_head(url, &sent, &self.cfg.user_agent, resp.version()),
                response: exchange::response_head(&resp),
                ip: resp.remote_addr().map(|a| a.ip()),
            })
        });
        let head = Response {
            url: final_url,
            status,
            media_type,
            charset,
            body: Vec::new(),
            coding,
            truncated: false,
            validators,
            fresh_for,
            moved_to: None,
            exchange,
        };
        Ok(Head::Body(resp, Box::new(head)))
    }

    fn classify(&self, url: &Url, e: &reqwest::Error) -> FetchError {
        let chain = error_chain(e);
        // The few words go to the feeds table and the summary; the whole chain is for -v.
        tracing::info!(url = %url, error = %chain, "request failed");
        if e.is_timeout() {
            return FetchError::Timeout {
                url: url.to_string(),
                after: self.cfg.timeout,
            };
        }
        if chain.contains(guard::REFUSED_MARK) {
            return FetchError::Refused {
                url: url.to_string(),
                reason: format!(
                    "{}; set allow_private_addresses = true in [fetch] to allow it",
                    chain.replace(guard::REFUSED_MARK, "")
                ),
            };
        }
        let found = cause::classify(url, e, &chain);
        FetchError::Network {
            url: url.to_string(),
            reason: found.reason,
            cause: found.cause,
        }
    }

    fn host_slot(&self, host: &str) -> HostSlot {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts.entry(host.to_string()).or_default().clone()
    }

    /// robots.txt, fetched once per host per process. A missing or unreadable file allows
    /// everything, as crawlers conventionally treat it.
    async fn robots_allow(&self, url: &Url) -> bool {
        self.robots(url)
            .await
            .get()
            .and_then(Option::as_ref)
            .is_none_or(|r| r.allowed(url.as_str()))
    }

    /// The `Sitemap:` lines of the robots.txt of `url`'s host (fetched once per host per
    /// process, as for the rules).
    pub async fn robots_sitemaps(&self, url: &Url) -> Vec<String> {
        self.robots(url)
            .await
            .get()
            .and_then(Option::as_ref)
            .map(|r| r.sitemaps.clone())
            .unwrap_or_default()
    }

    /// The host's robots.txt, read on first use; None inside when it is missing or
    /// unreadable.
    async fn robots(&self, url: &Url) -> RobotsCell {
        let host = host_key(url);
        let cell = {
            let mut map = self.robots.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(host).or_default().clone()
        };
        cell.get_or_init(|| async {
            let mut robots_url = url.clone();
            robots_url.set_path("/robots.txt");
            robots_url.set_query(None);
            robots_url.set_fragment(None);
            match self.robots_txt(&robots_url).await {
                Some(body) => texting_robots::Robot::new(&self.robots_agent, &body).ok(),
                None => None,
            }
        })
        .await;
        cell
    }

    /// The body of a robots.txt, its redirects followed; None when there is none to read.
    /// Its own small loop: the checks of [`Fetcher::get`] ask for robots.txt themselves.
    async fn robots_txt(&self, url: &Url) -> Option<Vec<u8>> {
        let mut at = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            self.check_address(&at).ok()?;
            let (head, _) = self
                .polite(&at, async {
                    match self.send_head(&at, None, Wire::Decoded).await? {
                        Head::Body(resp, head) => {
                            self.collect(&at, resp, *head).await.map(Hop::Done)
                        }
                        Head::Redirect { to, permanent } => Ok(Hop::Redirect { to, permanent }),
                        Head::NotModified => Ok(Hop::Done(Fetched::not_modified())),
                    }
                })
                .await;
            match head.ok()? {
                Hop::Done(Fetched::Body(resp)) => return Some(resp.body),
                Hop::Done(Fetched::NotModified { .. }) => return None,
                Hop::Redirect { to, .. } => at = to,
            }
        }
        None
    }
}

/// A body read chunk by chunk up to a cap: the chunk that crosses it is cut and is the last.
struct Capped {
    cap: u64,
    read: u64,
    /// The body was longer than the cap.
    cut: bool,
}

impl Capped {
    fn new(cap: u64) -> Capped {
        Capped {
            cap,
            read: 0,
            cut: false,
        }
    }

    async fn next(
        &mut self,
        resp: &mut reqwest::Response,
    ) -> Result<Option<bytes::Bytes>, reqwest::Error> {
        if self.cut {
            return Ok(None);
        }
        let Some(mut chunk) = resp.chunk().await? else {
            return Ok(None);
        };
        let room = self.cap.saturating_sub(self.read);
        if chunk.len() as u64 > room {
            chunk.truncate(room as usize);
            self.cut = true;
        }
        self.read += chunk.len() as u64;
        Ok(Some(chunk))
    }
}

/// The chunks of a body as one buffer of exactly `len` bytes; a body that came in one chunk
/// keeps that chunk's buffer when nothing else holds it.
fn join_chunks<C: AsRef<[u8]> + Into<Vec<u8>>>(chunks: Vec<C>, len: usize) -> Vec<u8> {
    if chunks.len() == 1 {
        return chunks
            .into_iter()
            .next()
            .map(Into::into)
            .unwrap_or_default();
    }
    let mut body = Vec::with_capacity(len);
    for chunk in chunks {
        body.extend_from_slice(chunk.as_ref());
    }
    body
}

/// Retry-After: delay-seconds or an HTTP date.
pub fn parse_retry_after(v: &str, now: DateTime<Utc>) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// How long a response stays fresh: Cache-Control max-age (s-maxage for shared caches is
/// not ours), else Expires minus now. `no-cache`/`no-store` mean no ask at all.
fn freshness(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    if let Some(cc) = headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
    {
        let mut max_age = None;
        for part in cc.split(',') {
            let part = part.trim().to_ascii_lowercase();
            if part == "no-cache" || part == "no-store" {
                return None;
            }
            if let Some(v) = part.strip_prefix("max-age=") {
                max_age = v.trim_matches('"').parse::<u64>().ok();
            }
        }
        if let Some(secs) = max_age {
            return Some(Duration::from_secs(secs));
        }
    }
    let expires = headers.get(header::EXPIRES).and_then(|v| v.to_str().ok())?;
    let at = DateTime::parse_from_rfc2822(expires.trim())
        .ok()?
        .with_timezone(&Utc);
    (at - now).to_std().ok()
}

/// The politeness key: scheme-less host and port (also what request options are kept by).
pub use crate::addr::host_key;

fn split_content_type(ct: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(ct) = ct else { return (None, None) };
    let mut parts = ct.split(';');
    let media = parts
        .next()
        .map(|m| m.trim().to_ascii_lowercase())
        .filter(|m| !m.is_empty());
    let charset = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("charset"))
            .then(|| v.trim().trim_matches(['"', '\'']).to_string())
    });
    (media, charset)
}

/// The innermost useful message of an error chain (reqwest's own Display is "error sending
/// request", which tells a user nothing).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(e);
    while let Some(err) = cur {
        let m = err.to_string();
        // reqwest's and hyper's wrappers repeat the URL or say only "client error".
        let wrapper = m.starts_with("error sending request")
            || m.starts_with("client error")
            || m.starts_with("error decoding response body")
            || m.starts_with("request or response body error");
        if !wrapper && !parts.iter().any(|p| p.contains(&m)) {
            parts.push(m);
        }
        cur = err.source();
    }
    if parts.is_empty() {
        return e.to_string();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_parts() {
        assert_eq!(
            split_content_type(Some("Text/HTML; charset=\"Windows-1252\"")),
            (Some("text/html".into()), Some("Windows-1252".into()))
        );
        assert_eq!(split_content_type(Some("")), (None, None));
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = DateTime::parse_from_rfc3339("2024-11-20T03:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 20 Nov 2024 03:10:00 GMT", now),
            Some(Duration::from_secs(600))
        );
        assert_eq!(
            parse_retry_after("Wed, 20 Nov 2024 02:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn freshness_from_cache_control_or_expires() {
        let now = DateTime::parse_from_rfc3339("2024-11-20T03:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut h = HeaderMap::new();
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=1800"),
        );
        assert_eq!(freshness(&h, now), Some(Duration::from_secs(1800)));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        h.insert(
            header::EXPIRES,
            HeaderValue::from_static("Wed, 20 Nov 2024 04:00:00 GMT"),
        );
        assert_eq!(freshness(&h, now), None);
        h.remove(header::CACHE_CONTROL);
        assert_eq!(freshness(&h, now), Some(Duration::from_secs(3600)));
    }

    #[test]
    fn chunks_join_into_the_body_in_order() {
        let parts = ["<html>", "", "<p>Sangatta</p>", "</html>"];
        let body = join_chunks(parts.to_vec(), parts.concat().len());
        assert_eq!(body, parts.concat().as_bytes());
        assert_eq!(body.capacity(), body.len());
        assert_eq!(join_chunks(vec!["<p>x</p>"], 8), b"<p>x</p>");
        assert!(join_chunks(Vec::<&str>::new(), 0).is_empty());
    }

    /// Through a proxy the target is resolved on the proxy's side: it is checked here first.
    #[tokio::test]
    async fn a_proxied_target_is_checked_before_it_leaves() {
        for private in [
            "http://127.0.0.1:8080/feed",
            "http://localhost/feed",
            "http://[::1]/x",
        ] {
            let err = check_proxied_target(&Url::parse(private).unwrap())
                .await
                .unwrap_err();
            assert!(
                err.to_string().contains("private or loopback"),
                "{private}: {err}"
            );
        }
        // A name that does not resolve here is the proxy's to resolve.
        let remote = Url::parse("http://berita.tidak-ada.invalid/feed").unwrap();
        assert!(check_proxied_target(&remote).await.is_ok());
    }

    #[test]
    fn host_keys_fold_case_and_default_ports() {
        let u = Url::parse("https://Kaltim.AntaraNews.com/rss").unwrap();
        assert_eq!(host_key(&u), "kaltim.antaranews.com:443");
    }
}
