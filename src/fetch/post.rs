//! POSTs to alert targets (webhooks, ntfy, Telegram's Bot API): through the same client,
//! proxy and private-address guard as every fetch, but outside the politeness queue (a
//! target is not a site being crawled) and with a short timeout of their own, so that a
//! hanging target holds up only its own alerts. The URL of a target can be its secret (a
//! bot token, a webhook's path), so nothing here logs it or puts it in an error.

use std::time::Duration;

use reqwest::header::{self, HeaderMap};
use url::Url;

use super::{Fetcher, error_chain, guard};

/// What a target answered.
#[derive(Debug, Clone)]
pub struct Posted {
    pub status: u16,
    /// The target's Retry-After (429, 503), when it sent one.
    pub retry_after: Option<Duration>,
    /// The start of its answer (at most 4 KiB), for the error a refusal is reported with.
    pub body: String,
}

/// Most of an answer that is read.
const ANSWER_BYTES: usize = 4096;

impl Fetcher {
    /// POSTs `body` to `url` with `headers`, within `timeout`, its redirects not followed.
    /// `Err` says why nothing was answered, naming the host at most.
    pub async fn post(
        &self,
        url: &Url,
        headers: HeaderMap,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<Posted, String> {
        let host = url.host_str().unwrap_or("the target").to_string();
        self.check_address(url).map_err(|e| match e {
            super::FetchError::Refused { reason, .. } => format!("refused: {reason}"),
            other => other.to_string().replace(url.as_str(), &host),
        })?;
        if !self.cfg.allow_private_addresses && self.proxied {
            super::check_proxied_target(url)
                .await
                .map_err(|e| match e {
                    super::FetchError::Refused { reason, .. } => format!("refused: {reason}"),
                    _ => format!("refused: {host} could not be checked"),
                })?;
        }
        let client = self
            .host_clients
            .get(&crate::addr::host_key(url))
            .map_or(&self.client, |pair| &pair.0);
        let sent = client
            .post(url.clone())
            .headers(headers)
            .body(body)
            .timeout(timeout)
            .send()
            .await;
        let mut resp = match sent {
            Ok(r) => r,
            Err(e) => return Err(describe(url, &host, e, timeout)),
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| super::parse_retry_after(v, chrono::Utc::now()));
        let mut answer = Vec::new();
        while answer.len() < ANSWER_BYTES {
            match tokio::time::timeout(timeout, resp.chunk()).await {
                Ok(Ok(Some(chunk))) => answer.extend_from_slice(&chunk),
                _ => break,
            }
        }
        answer.truncate(ANSWER_BYTES);
        Ok(Posted {
            status,
            retry_after,
            body: String::from_utf8_lossy(&answer).into_owned(),
        })
    }
}

/// Why a POST got no answer, in words that name the host and never the URL.
fn describe(url: &Url, host: &str, e: reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!(
            "{host} did not answer within {}",
            crate::config::format_duration(timeout)
        );
    }
    let e = e.without_url();
    let chain = error_chain(&e);
    if chain.contains(guard::REFUSED_MARK) {
        return format!(
            "refused: {}; set allow_private_addresses = true in [fetch] to allow it",
            chain.replace(guard::REFUSED_MARK, "")
        );
    }
    super::cause::classify(url, &e, &chain)
        .reason
        .replace(url.as_str(), host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_target_on_a_private_address_follows_allow_private_addresses() {
        let cfg = crate::config::FetchConfig {
            allow_private_addresses: false,
            ..crate::config::FetchConfig::default()
        };
        let fetcher = Fetcher::new(&cfg).unwrap();
        for target in [
            "http://127.0.0.1:9/hooks/RAHASIA",
            "http://10.1.2.3/hooks/RAHASIA",
            "http://localhost:9/hooks/RAHASIA",
        ] {
            let url = Url::parse(target).unwrap();
            let e = fetcher
                .post(
                    &url,
                    HeaderMap::new(),
                    b"{}".to_vec(),
                    Duration::from_secs(1),
                )
                .await
                .unwrap_err();
            assert!(e.contains("allow_private_addresses"), "{e}");
            assert!(!e.contains("RAHASIA"), "the path is not named: {e}");
        }
    }
}
