//! The only HTTP client. Every request, feed or page, passes through [`Fetcher::get`], which
//! holds the politeness rules in one place: the global concurrency limit, one request at a
//! time per host with the configured gap, robots.txt for article pages, the private-address
//! guard (on the resolved address, redirects included) and the body cap, enforced while the
//! body streams in so a huge or endless response never sits in memory whole.

mod charset;
mod guard;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::sync::{OnceCell, Semaphore};
use url::Url;

use crate::config::FetchConfig;
pub use charset::decode_html;
pub use guard::is_private_ip;

/// What a request is for: robots.txt is consulted for pages only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Feed,
    Page,
}

/// Validators of an earlier response, for a conditional GET.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug)]
pub enum Fetched {
    NotModified,
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
    /// The body was cut at `max_body`.
    pub truncated: bool,
    pub validators: Validators,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("refused {url}: {reason}")]
    Refused { url: String, reason: String },
    #[error("robots.txt of {host} disallows {url}")]
    Robots { url: String, host: String },
    #[error("HTTP {status} from {url}")]
    Status { url: String, status: u16 },
    #[error("timed out after {secs}s fetching {url}; the site may be down or slow (fetch.timeout)")]
    Timeout { url: String, secs: u64 },
    #[error("cannot fetch {url}: {reason}")]
    Network { url: String, reason: String },
}

type HostSlot = Arc<tokio::sync::Mutex<Option<Instant>>>;
type RobotsCell = Arc<OnceCell<Option<texting_robots::Robot>>>;

pub struct Fetcher {
    client: reqwest::Client,
    cfg: FetchConfig,
    permits: Semaphore,
    hosts: Mutex<HashMap<String, HostSlot>>,
    robots: Mutex<HashMap<String, RobotsCell>>,
    robots_agent: String,
}

impl Fetcher {
    pub fn new(cfg: &FetchConfig) -> Result<Fetcher, String> {
        let allow_private = cfg.allow_private_addresses;
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 10 {
                return attempt.error("more than 10 redirects");
            }
            let url = attempt.url().clone();
            if !matches!(url.scheme(), "http" | "https") {
                return attempt.error(format!("redirect to a non-web address {url}"));
            }
            if !allow_private && let Some(reason) = guard::literal_private(&url) {
                return attempt.error(format!("redirect to {url}: {reason}"));
            }
            attempt.follow()
        });
        let mut builder = reqwest::Client::builder()
            .user_agent(cfg.user_agent.clone())
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(15)))
            // A system proxy would connect on our behalf and bypass the address guard.
            .no_proxy()
            .redirect(policy)
            .pool_idle_timeout(Duration::from_secs(30));
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(guard::GuardedResolver));
        }
        let client = builder
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        let robots_agent = cfg
            .user_agent
            .split(['/', ' '])
            .next()
            .unwrap_or("warta")
            .to_string();
        Ok(Fetcher {
            client,
            cfg: cfg.clone(),
            permits: Semaphore::new(cfg.concurrency.max(1)),
            hosts: Mutex::new(HashMap::new()),
            robots: Mutex::new(HashMap::new()),
            robots_agent,
        })
    }

    /// GET `url` politely. A 304 to a conditional request is [`Fetched::NotModified`];
    /// any other non-2xx status is an error.
    pub async fn get(
        &self,
        url: &Url,
        purpose: Purpose,
        validators: Option<&Validators>,
    ) -> Result<Fetched, FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Refused {
                url: url.to_string(),
                reason: "only http: and https: addresses are fetched".into(),
            });
        }
        if !self.cfg.allow_private_addresses
            && let Some(reason) = guard::literal_private(url)
        {
            return Err(FetchError::Refused {
                url: url.to_string(),
                reason: format!(
                    "{reason}; set allow_private_addresses = true in [fetch] to allow it"
                ),
            });
        }
        if purpose == Purpose::Page && self.cfg.respect_robots && !self.robots_allow(url).await {
            return Err(FetchError::Robots {
                url: url.to_string(),
                host: host_key(url),
            });
        }
        self.polite_get(url, validators).await
    }

    async fn polite_get(
        &self,
        url: &Url,
        validators: Option<&Validators>,
    ) -> Result<Fetched, FetchError> {
        let slot = self.host_slot(&host_key(url));
        // Holding the host's slot for the whole request keeps one request per host in flight.
        let mut last = slot.lock().await;
        if let Some(prev) = *last {
            let ready = prev + self.cfg.per_host_delay;
            let now = Instant::now();
            if ready > now {
                tokio::time::sleep(ready - now).await;
            }
        }
        let result = match self.permits.acquire().await {
            Ok(_permit) => self.send(url, validators).await,
            Err(_) => Err(FetchError::Network {
                url: url.to_string(),
                reason: "the fetcher is shutting down".into(),
            }),
        };
        *last = Some(Instant::now());
        result
    }

    async fn send(
        &self,
        url: &Url,
        validators: Option<&Validators>,
    ) -> Result<Fetched, FetchError> {
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
        let mut resp = self
            .client
            .get(url.clone())
            .headers(headers)
            .send()
            .await
            .map_err(|e| self.classify(url, &e))?;
        let status = resp.status().as_u16();
        if status == 304 {
            return Ok(Fetched::NotModified);
        }
        if !resp.status().is_success() {
            return Err(FetchError::Status {
                url: url.to_string(),
                status,
            });
        }
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
        let cap = self.cfg.max_body as usize;
        let mut body = Vec::new();
        let mut truncated = false;
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    let room = cap.saturating_sub(body.len());
                    if chunk.len() > room {
                        body.extend_from_slice(&chunk[..room]);
                        truncated = true;
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(self.classify(url, &e)),
            }
        }
        if truncated {
            tracing::warn!(url = %url, max_body = cap, "response cut off at fetch.max_body");
        }
        Ok(Fetched::Body(Box::new(Response {
            url: final_url,
            status,
            media_type,
            charset,
            body,
            truncated,
            validators,
        })))
    }

    fn classify(&self, url: &Url, e: &reqwest::Error) -> FetchError {
        if e.is_timeout() {
            return FetchError::Timeout {
                url: url.to_string(),
                secs: self.cfg.timeout.as_secs(),
            };
        }
        let reason = error_chain(e);
        if reason.contains(guard::REFUSED_MARK) {
            return FetchError::Refused {
                url: url.to_string(),
                reason: format!(
                    "{}; set allow_private_addresses = true in [fetch] to allow it",
                    reason.replace(guard::REFUSED_MARK, "")
                ),
            };
        }
        FetchError::Network {
            url: url.to_string(),
            reason,
        }
    }

    fn host_slot(&self, host: &str) -> HostSlot {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts.entry(host.to_string()).or_default().clone()
    }

    /// robots.txt, fetched once per host per process. A missing or unreadable file allows
    /// everything, as crawlers conventionally treat it.
    async fn robots_allow(&self, url: &Url) -> bool {
        let host = host_key(url);
        let cell = {
            let mut map = self.robots.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(host).or_default().clone()
        };
        let robot = cell
            .get_or_init(|| async {
                let mut robots_url = url.clone();
                robots_url.set_path("/robots.txt");
                robots_url.set_query(None);
                robots_url.set_fragment(None);
                match self.polite_get(&robots_url, None).await {
                    Ok(Fetched::Body(r)) => {
                        texting_robots::Robot::new(&self.robots_agent, &r.body).ok()
                    }
                    _ => None,
                }
            })
            .await;
        robot.as_ref().is_none_or(|r| r.allowed(url.as_str()))
    }
}

/// The politeness key: scheme-less host and port.
pub fn host_key(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{}:{p}", h.to_ascii_lowercase()),
        (Some(h), None) => h.to_ascii_lowercase(),
        _ => String::new(),
    }
}

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
    fn host_keys_fold_case_and_default_ports() {
        let u = Url::parse("https://Kaltim.AntaraNews.com/rss").unwrap();
        assert_eq!(host_key(&u), "kaltim.antaranews.com:443");
    }
}
