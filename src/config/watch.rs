//! `[[watch]]`: a saved search that tells someone when a story breaks (issue 16). The
//! tables live in feeds.toml beside the feeds they filter on, so that a watch is checked
//! with the rest of the config: a query that cannot be read, a feed that is not configured,
//! a target that cannot be reached are errors with their line before anything runs.

use std::path::{Path, PathBuf};

use url::Url;

use super::raw::{RawNotify, RawWatch};
use super::{At, ConfigError, FeedConfig, Password};
use crate::model::FeedName;

/// One watch.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchConfig {
    /// Its id on the command line; the rules of a feed name.
    pub name: FeedName,
    /// The search syntax, as `warta search` reads it.
    pub query: String,
    /// Only articles seen in these feeds (any, when empty).
    pub feeds: Vec<FeedName>,
    /// Only articles from feeds of this region.
    pub region: Option<String>,
    /// Only articles from feeds with any of these tags.
    pub tags: Vec<String>,
    pub notify: Vec<NotifyTarget>,
    /// One message a day listing the day's stories, instead of one a story.
    pub digest: Option<Digest>,
    /// An Atom feed file of the watch's stories, for any feed reader.
    pub atom: Option<PathBuf>,
    /// A revised article fires the watch again.
    pub on_revision: bool,
}

impl WatchConfig {
    /// Whether it sends alerts or writes a file: whether anything must be delivered.
    pub fn delivers(&self) -> bool {
        !self.notify.is_empty() || self.atom.is_some()
    }
}

/// Where a watch's alerts go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyTarget {
    /// `http(s)://…`: a JSON POST.
    Webhook(Url),
    /// `ntfy:https://host/topic`.
    Ntfy(Url),
    /// `mailto:desk@example.org`, through `[notify.smtp]`.
    Email(String),
    /// `telegram:CHAT_ID`, through `[notify.telegram]`.
    Telegram(String),
}

impl NotifyTarget {
    /// Reads a target as the contract writes it. `Err` says what is wrong and what works.
    pub fn parse(s: &str) -> Result<NotifyTarget, String> {
        let s = s.trim();
        let url = |u: &str, what: &str| -> Result<Url, String> {
            let url = Url::parse(u).map_err(|e| format!("{what} {u:?} is not a URL ({e})"))?;
            match url.scheme() {
                "http" | "https" if url.host_str().is_some() => Ok(url),
                _ => Err(format!("{what} {u:?} is not an http: or https: address")),
            }
        };
        if let Some(rest) = s.strip_prefix("ntfy:") {
            return url(rest, "the ntfy topic").map(NotifyTarget::Ntfy);
        }
        if let Some(rest) = s.strip_prefix("mailto:") {
            let ok = rest
                .split_once('@')
                .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
                && !rest.contains(|c: char| c.is_whitespace() || c.is_control());
            return if ok {
                Ok(NotifyTarget::Email(rest.to_string()))
            } else {
                Err(format!(
                    "{s:?} is not an e-mail address such as mailto:desk@example.org"
                ))
            };
        }
        if let Some(rest) = s.strip_prefix("telegram:") {
            let id = rest.strip_prefix('-').unwrap_or(rest);
            return if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) {
                Ok(NotifyTarget::Telegram(rest.to_string()))
            } else {
                Err(format!(
                    "{s:?} is not a Telegram chat; write telegram: and the chat's number, such as telegram:123456789"
                ))
            };
        }
        if s.starts_with("http://") || s.starts_with("https://") {
            return url(s, "the webhook").map(NotifyTarget::Webhook);
        }
        Err(format!(
            "{s:?} is not a target warta knows; use an https:// webhook, ntfy:https://host/topic, mailto:address or telegram:CHAT_ID"
        ))
    }
}

impl NotifyTarget {
    /// The target as logs and errors may name it: a webhook's or ntfy topic's path can be
    /// its secret (whoever knows it can post or read), so only its host is shown.
    pub fn redacted(&self) -> String {
        let origin = |u: &Url| {
            let host = u.host_str().unwrap_or_default();
            match u.port() {
                Some(p) => format!("{}://{host}:{p}/…", u.scheme()),
                None => format!("{}://{host}/…", u.scheme()),
            }
        };
        match self {
            NotifyTarget::Webhook(u) => origin(u),
            NotifyTarget::Ntfy(u) => format!("ntfy:{}", origin(u)),
            other => other.to_string(),
        }
    }
}

impl std::fmt::Display for NotifyTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotifyTarget::Webhook(u) => write!(f, "{u}"),
            NotifyTarget::Ntfy(u) => write!(f, "ntfy:{u}"),
            NotifyTarget::Email(a) => write!(f, "mailto:{a}"),
            NotifyTarget::Telegram(c) => write!(f, "telegram:{c}"),
        }
    }
}

/// `daily HH:MM`: when a digest goes out, in the display time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest {
    pub at: chrono::NaiveTime,
}

impl Digest {
    pub fn parse(s: &str) -> Result<Digest, String> {
        let bad = || {
            format!(
                "{s:?} is not a digest time; write \"daily\" and a time of day, such as \"daily 07:00\""
            )
        };
        let time = s.trim().strip_prefix("daily").ok_or_else(bad)?.trim();
        chrono::NaiveTime::parse_from_str(time, "%H:%M")
            .map(|at| Digest { at })
            .map_err(|_| bad())
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "daily {}", self.at.format("%H:%M"))
    }
}

/// `[notify.*]`: what e-mail, Telegram and webhook targets need. Secrets are named (an
/// environment variable or a file), never written in feeds.toml, and read when alerts are
/// sent, so that reading the config or the archive needs none.
#[derive(Clone, Default)]
pub struct NotifyConfig {
    pub smtp: Option<SmtpConfig>,
    pub telegram: Option<TelegramConfig>,
    /// `[notify.webhook] secret_env`: webhook bodies are signed with it (HMAC-SHA256).
    pub webhook_secret: Option<Password>,
}

impl std::fmt::Debug for NotifyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifyConfig")
            .field("smtp", &self.smtp.as_ref().map(|s| (&s.host, s.port)))
            .field("telegram", &self.telegram.as_ref().map(|t| t.api.as_str()))
            .field("webhook_secret", &self.webhook_secret.is_some())
            .finish()
    }
}

/// `[notify.smtp]`: the relay e-mail alerts go through.
#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// The sender, `warta@example.org` or `Warta <warta@example.org>`.
    pub from: String,
    pub user: Option<String>,
    pub password: Option<Password>,
    /// STARTTLS required (the default); false only for a relay on the local machine or
    /// network, which then sees the password and the mail in the clear.
    pub starttls: bool,
    /// A CA certificate (PEM) trusted besides the system's, for a relay with a private CA.
    pub ca_file: Option<PathBuf>,
}

/// `[notify.telegram]`: the bot alerts are sent as.
#[derive(Clone)]
pub struct TelegramConfig {
    pub token: Password,
    /// The Bot API's address: Telegram's own, or a self-hosted Bot API server.
    pub api: Url,
}

const TELEGRAM_API: &str = "https://api.telegram.org/";

/// Reads `[notify.*]`.
pub(super) fn parse_notify(
    raw: Option<RawNotify>,
    base: &Path,
    at: &At,
) -> Result<NotifyConfig, ConfigError> {
    let Some(raw) = raw else {
        return Ok(NotifyConfig::default());
    };
    let secret = |env: Option<toml::Spanned<String>>,
                  file: Option<toml::Spanned<String>>,
                  table: &str,
                  what: &str|
     -> Result<Option<Password>, ConfigError> {
        match (env, file) {
            (Some(e), None) if !e.get_ref().trim().is_empty() => {
                Ok(Some(Password::Env(e.get_ref().trim().to_string())))
            }
            (None, Some(f)) if !f.get_ref().trim().is_empty() => Ok(Some(Password::File(
                super::resolve(base, f.get_ref().trim()),
            ))),
            (Some(e), Some(_)) => Err(at(
                e.span(),
                format!("{table}: give {what}_env or {what}_file, not both"),
            )),
            (Some(e), None) => Err(at(e.span(), format!("{table}.{what}_env is empty"))),
            (None, Some(f)) => Err(at(f.span(), format!("{table}.{what}_file is empty"))),
            (None, None) => Ok(None),
        }
    };
    let smtp = match raw.smtp {
        Some(s) => {
            let host = s.host.get_ref().trim().to_string();
            if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c == '/') {
                return Err(at(
                    s.host.span(),
                    format!(
                        "notify.smtp.host {host:?} is not a host name; write the relay's name, such as \"smtp.example.org\""
                    ),
                ));
            }
            let starttls = s.starttls.unwrap_or(true);
            let port = match s.port {
                Some(p) => u16::try_from(*p.get_ref())
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| {
                        at(p.span(), "notify.smtp.port must be from 1 to 65535".into())
                    })?,
                None if starttls => 587,
                None => 25,
            };
            let from = s.from.get_ref().trim().to_string();
            if from.parse::<lettre::message::Mailbox>().is_err() {
                return Err(at(
                    s.from.span(),
                    format!(
                        "notify.smtp.from {from:?} is not an e-mail address, such as \"warta@example.org\""
                    ),
                ));
            }
            let password = match (s.password_env, s.password_file) {
                (Some(e), None) if !e.trim().is_empty() => {
                    Some(Password::Env(e.trim().to_string()))
                }
                (None, Some(f)) if !f.trim().is_empty() => {
                    Some(Password::File(super::resolve(base, f.trim())))
                }
                (None, None) => None,
                _ => {
                    return Err(at(
                        s.host.span(),
                        "notify.smtp: give one of password_env and password_file, not empty".into(),
                    ));
                }
            };
            if password.is_some() != s.user.is_some() {
                return Err(at(
                    s.host.span(),
                    "notify.smtp: user and a password (password_env or password_file) go together"
                        .into(),
                ));
            }
            Some(SmtpConfig {
                host,
                port,
                from,
                user: s.user,
                password,
                starttls,
                ca_file: s.ca_file.map(|f| super::resolve(base, &f)),
            })
        }
        None => None,
    };
    let telegram = match raw.telegram {
        Some(t) => {
            let api = match t.api {
                Some(a) => Url::parse(a.get_ref())
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                    .ok_or_else(|| {
                        at(
                            a.span(),
                            format!(
                                "notify.telegram.api {:?} is not an http: or https: address",
                                a.get_ref()
                            ),
                        )
                    })?,
                None => Url::parse(TELEGRAM_API).map_err(|e| ConfigError(e.to_string()))?,
            };
            let token = secret(t.token_env, t.token_file, "notify.telegram", "token")?
                .ok_or_else(|| ConfigError("notify.telegram needs token_env (an environment variable holding the bot's token) or token_file; a token is never written in feeds.toml".into()))?;
            Some(TelegramConfig { token, api })
        }
        None => None,
    };
    let webhook_secret = match raw.webhook {
        Some(w) => secret(w.secret_env, w.secret_file, "notify.webhook", "secret")?,
        None => None,
    };
    Ok(NotifyConfig {
        smtp,
        telegram,
        webhook_secret,
    })
}

/// Reads the `[[watch]]` tables against the sources already read.
pub(super) fn parse_watches(
    raw: Vec<RawWatch>,
    feeds: &[FeedConfig],
    notify_config: &NotifyConfig,
    base: &Path,
    at: &At,
) -> Result<Vec<WatchConfig>, ConfigError> {
    let mut watches: Vec<WatchConfig> = Vec::with_capacity(raw.len());
    for w in raw {
        let span = w.name.span();
        let name = FeedName::parse(w.name.get_ref()).map_err(|e| {
            at(
                span.clone(),
                format!("watch.name: {}", e.replace("feed name", "name")),
            )
        })?;
        if watches.iter().any(|o| o.name == name) {
            return Err(at(
                span,
                format!("watch name '{name}' is used twice; each watch needs its own name"),
            ));
        }
        let query = w.query.get_ref().trim().to_string();
        if query.is_empty() {
            return Err(at(
                w.query.span(),
                format!(
                    "watch {name}: query is empty; write what to look for, such as \"bimtek kutim\""
                ),
            ));
        }
        crate::search::query::parse(&query)
            .map_err(|e| at(w.query.span(), format!("watch {name}: query: {e}")))?;
        let mut watched = Vec::new();
        if let Some(list) = w.feeds {
            for f in list.get_ref() {
                let known = feeds.iter().find(|c| c.name.as_str() == f.as_str());
                match known {
                    Some(c) => watched.push(c.name.clone()),
                    None => {
                        return Err(at(
                            list.span(),
                            format!(
                                "watch {name}: feeds: no feed or site named {f:?} in this file"
                            ),
                        ));
                    }
                }
            }
        }
        let mut notify = Vec::new();
        if let Some(list) = w.notify {
            for t in list.get_ref() {
                let target = NotifyTarget::parse(t)
                    .map_err(|e| at(list.span(), format!("watch {name}: notify: {e}")))?;
                let missing = match target {
                    NotifyTarget::Email(_) if notify_config.smtp.is_none() => Some("[notify.smtp]"),
                    NotifyTarget::Telegram(_) if notify_config.telegram.is_none() => {
                        Some("[notify.telegram]")
                    }
                    _ => None,
                };
                if let Some(table) = missing {
                    return Err(at(
                        list.span(),
                        format!(
                            "watch {name}: notify: {t} is sent through {table}, which this file does not have"
                        ),
                    ));
                }
                notify.push(target);
            }
        }
        let digest = match w.digest {
            Some(d) => Some(
                Digest::parse(d.get_ref())
                    .map_err(|e| at(d.span(), format!("watch {name}: digest: {e}")))?,
            ),
            None => None,
        };
        let atom = match w.atom {
            Some(a) if a.get_ref().trim().is_empty() => {
                return Err(at(
                    a.span(),
                    format!(
                        "watch {name}: atom is empty; name the file, such as \"data/watch-{name}.xml\""
                    ),
                ));
            }
            Some(a) => Some(super::resolve(base, a.get_ref())),
            None => None,
        };
        watches.push(WatchConfig {
            name,
            query,
            feeds: watched,
            region: w.region,
            tags: w.tags.unwrap_or_default(),
            notify,
            digest,
            atom,
            on_revision: w.on_revision.unwrap_or(false),
        });
    }
    Ok(watches)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_read_as_the_contract_writes_them() {
        let t = |s: &str| NotifyTarget::parse(s);
        assert!(matches!(
            t("https://hooks.example.org/x"),
            Ok(NotifyTarget::Webhook(_))
        ));
        assert!(matches!(
            t("ntfy:https://ntfy.example.org/topic"),
            Ok(NotifyTarget::Ntfy(_))
        ));
        assert_eq!(
            t("mailto:desk@example.org"),
            Ok(NotifyTarget::Email("desk@example.org".into()))
        );
        assert_eq!(
            t("telegram:-100123"),
            Ok(NotifyTarget::Telegram("-100123".into()))
        );
        for bad in [
            "ftp://x.org/",
            "mailto:desk",
            "telegram:abc",
            "ntfy:topic",
            "slack:x",
        ] {
            assert!(t(bad).is_err(), "{bad}");
        }
        let shown = t("ntfy:https://ntfy.example.org/topic")
            .unwrap()
            .to_string();
        assert_eq!(shown, "ntfy:https://ntfy.example.org/topic");
        let hook = t("https://hooks.example.org:8443/services/T0/B0/SECRET").unwrap();
        assert_eq!(hook.redacted(), "https://hooks.example.org:8443/…");
        let topic = t("ntfy:https://ntfy.sh/rahasia-kutim").unwrap();
        assert_eq!(topic.redacted(), "ntfy:https://ntfy.sh/…");
    }

    #[test]
    fn a_digest_is_a_daily_time() {
        assert_eq!(
            Digest::parse("daily 07:00").unwrap().to_string(),
            "daily 07:00"
        );
        assert!(Digest::parse("weekly 07:00").is_err());
        assert!(Digest::parse("daily 25:00").is_err());
    }
}
