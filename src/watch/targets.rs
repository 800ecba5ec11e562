//! How an alert reaches each kind of target: a webhook (JSON, signed), ntfy (its JSON
//! publishing), Telegram's Bot API, e-mail (`email`). HTTP targets go through the fetcher's
//! client, proxy and private-address guard (`Fetcher::post`); none of them names a secret
//! in an error: the courier logs and stores these errors.

use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use super::SendError;
use super::email::{Mail, Mailer};
use super::message::Message;
use crate::config::{Config, NotifyTarget};
use crate::fetch::Fetcher;
use crate::store::Alert;

/// How long one request to a target may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a target did not take an alert, and when it asked to be tried again.
pub(super) type Refusal = (SendError, Option<Duration>);

pub(super) struct Targets {
    fetcher: Fetcher,
    mailer: Option<Result<Mailer, String>>,
    telegram: Option<(Url, Result<String, String>)>,
    webhook_secret: Option<Result<Vec<u8>, String>>,
}

impl Targets {
    /// The targets of `config`. Secrets are read here; one that is missing fails only the
    /// alerts that need it, saying which.
    pub(super) fn new(config: &Config) -> Result<Targets, String> {
        let n = &config.notify;
        let mut t = Targets {
            fetcher: Fetcher::new(&config.fetch)?,
            mailer: None,
            telegram: None,
            webhook_secret: None,
        };
        t.mailer = n.smtp.as_ref().map(Mailer::new);
        t.telegram = n
            .telegram
            .as_ref()
            .map(|t| (t.api.clone(), t.token.read_as("token")));
        t.webhook_secret = n
            .webhook_secret
            .as_ref()
            .map(|s| s.read_as("secret").map(String::into_bytes));
        // Said once at start rather than only in each failing alert's error.
        let uses = |kind: fn(&NotifyTarget) -> bool| {
            config.watches.iter().any(|w| w.notify.iter().any(kind))
        };
        let problems = [
            (
                uses(|t| matches!(t, NotifyTarget::Email(_))),
                t.mailer.as_ref().and_then(|m| m.as_ref().err()),
                "e-mail",
            ),
            (
                uses(|t| matches!(t, NotifyTarget::Telegram(_))),
                t.telegram.as_ref().and_then(|(_, t)| t.as_ref().err()),
                "Telegram",
            ),
            (
                uses(|t| matches!(t, NotifyTarget::Webhook(_))),
                t.webhook_secret.as_ref().and_then(|s| s.as_ref().err()),
                "webhook",
            ),
        ];
        for (used, problem, what) in problems {
            if let (true, Some(e)) = (used, problem) {
                tracing::warn!(error = %e, "{what} alerts wait in the outbox until this is fixed");
            }
        }
        Ok(t)
    }

    /// Hands `m`, the message of `alert`, to `target`.
    pub(super) async fn send(
        &self,
        target: &NotifyTarget,
        alert: &Alert,
        m: &Message,
    ) -> Result<(), Refusal> {
        match target {
            NotifyTarget::Webhook(url) => self.webhook(url, alert, m).await,
            NotifyTarget::Ntfy(url) => self.ntfy(url, alert, m).await,
            NotifyTarget::Telegram(chat) => self.telegram(chat, m).await,
            NotifyTarget::Email(to) => self.email(to, alert, m).await,
        }
    }

    async fn webhook(&self, url: &Url, alert: &Alert, m: &Message) -> Result<(), Refusal> {
        let body =
            serde_json::to_vec(&m.json).map_err(|e| (SendError::permanent(e.to_string()), None))?;
        let mut headers = base_headers(alert);
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(secret) = &self.webhook_secret {
            let secret = secret
                .as_ref()
                .map_err(|e| (SendError::transient(e.clone()), None))?;
            let signature = format!("sha256={}", hex(&super::sign(secret, &body)));
            if let Ok(v) = HeaderValue::from_str(&signature) {
                headers.insert(HeaderName::from_static("x-warta-signature"), v);
            }
        }
        let posted = self
            .fetcher
            .post(url, headers, body, SEND_TIMEOUT)
            .await
            .map_err(|e| (SendError::transient(e), None))?;
        judge(url, &posted)
    }

    /// ntfy through its JSON publishing (UTF-8 titles need no header encoding): the topic
    /// URL's last segment is the topic, the rest the server.
    async fn ntfy(&self, url: &Url, alert: &Alert, m: &Message) -> Result<(), Refusal> {
        let mut server = url.clone();
        let topic = url
            .path_segments()
            .and_then(|mut s| s.next_back().map(str::to_string))
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                (
                    SendError::permanent("the ntfy address names no topic"),
                    None,
                )
            })?;
        if let Ok(mut segments) = server.path_segments_mut() {
            segments.pop();
        }
        let mut body = serde_json::json!({
            "topic": topic,
            "title": m.subject,
            "message": m.text,
            "tags": ["newspaper"],
            "markdown": m.markdown,
        });
        if let (Some(click), Some(o)) = (&m.click, body.as_object_mut()) {
            o.insert("click".into(), serde_json::json!(click));
        }
        let bytes =
            serde_json::to_vec(&body).map_err(|e| (SendError::permanent(e.to_string()), None))?;
        let mut headers = base_headers(alert);
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let posted = self
            .fetcher
            .post(&server, headers, bytes, SEND_TIMEOUT)
            .await
            .map_err(|e| (SendError::transient(e), None))?;
        judge(url, &posted)
    }

    async fn telegram(&self, chat: &str, m: &Message) -> Result<(), Refusal> {
        let Some((api, token)) = &self.telegram else {
            return Err((
                SendError::transient("[notify.telegram] is not configured"),
                None,
            ));
        };
        let token = token
            .as_ref()
            .map_err(|e| (SendError::transient(e.clone()), None))?;
        // Not `join`: a token's colon would make "bot123:abc" read as a URL scheme.
        let mut url = api.clone();
        url.path_segments_mut()
            .map_err(|()| {
                (
                    SendError::permanent("[notify.telegram] api cannot take a path"),
                    None,
                )
            })?
            .pop_if_empty()
            .push(&format!("bot{token}"))
            .push("sendMessage");
        // Telegram's limit is 4,096 characters a message.
        let text: String = format!("{}\n\n{}", m.subject, m.text)
            .chars()
            .take(4000)
            .collect();
        let chat_id = chat
            .parse::<i64>()
            .map_or_else(|_| serde_json::json!(chat), |n| serde_json::json!(n));
        let body = serde_json::json!({
            "chat_id": chat_id,
            "text": text,
            "link_preview_options": {"is_disabled": m.markdown},
        });
        let bytes =
            serde_json::to_vec(&body).map_err(|e| (SendError::permanent(e.to_string()), None))?;
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let posted = self
            .fetcher
            .post(&url, headers, bytes, SEND_TIMEOUT)
            .await
            .map_err(|e| (SendError::transient(e.replace(token.as_str(), "…")), None))?;
        if (200..300).contains(&posted.status) {
            return Ok(());
        }
        // {"ok":false,"error_code":400,"description":"Bad Request: chat not found",
        //  "parameters":{"retry_after":30}}
        let answer: serde_json::Value = serde_json::from_str(&posted.body).unwrap_or_default();
        let said = answer["description"].as_str().map_or_else(
            || format!("HTTP {}", posted.status),
            |d| d.replace(token.as_str(), "…"),
        );
        let asked = answer["parameters"]["retry_after"]
            .as_u64()
            .map(Duration::from_secs)
            .or(posted.retry_after);
        let message = format!("Telegram refused the message to chat {chat}: {said}");
        Err(match posted.status {
            429 | 500..=599 => (SendError::transient(message), asked),
            _ => (SendError::permanent(message), asked),
        })
    }

    async fn email(&self, to: &str, alert: &Alert, m: &Message) -> Result<(), Refusal> {
        let Some(mailer) = &self.mailer else {
            return Err((
                SendError::transient("[notify.smtp] is not configured"),
                None,
            ));
        };
        let mailer = mailer
            .as_ref()
            .map_err(|e| (SendError::transient(e.clone()), None))?;
        mailer
            .send(&Mail {
                to,
                subject: &m.subject,
                text: &m.text,
                key: &alert.key,
            })
            .await
            .map_err(|e| (e, None))
    }
}

/// The headers every HTTP target gets: the alert's key, so a retry is known as one.
fn base_headers(alert: &Alert) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&alert.key) {
        h.insert(HeaderName::from_static("idempotency-key"), v);
    }
    if let Ok(v) = HeaderValue::from_str(alert.kind.as_str()) {
        h.insert(HeaderName::from_static("x-warta-event"), v);
    }
    h
}

/// A webhook's or ntfy's answer: 2xx took it; 408, 425, 429 and 5xx are worth another try;
/// any other status is a refusal of the alert itself.
fn judge(url: &Url, posted: &crate::fetch::Posted) -> Result<(), (SendError, Option<Duration>)> {
    if (200..300).contains(&posted.status) {
        return Ok(());
    }
    let host = url.host_str().unwrap_or("the target");
    let said: String = crate::text::printable(posted.body.trim())
        .chars()
        .take(200)
        .collect();
    let mut message = format!("HTTP {} from {host}", posted.status);
    if (300..400).contains(&posted.status) {
        message.push_str(" (a redirect; configure the address it points to)");
    } else if !said.is_empty() {
        message.push_str(&format!(": {said}"));
    }
    Err(match posted.status {
        408 | 425 | 429 | 500..=599 => (SendError::transient(message), posted.retry_after),
        _ => (SendError::permanent(message), posted.retry_after),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
