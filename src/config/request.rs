//! Per-source request options: extra headers, a user agent, cookies and HTTP basic auth,
//! for the sites that want them (an API key, a consent cookie, a members' feed).
//!
//! They are checked here, once, so that a request never fails on them: header names and
//! values must be valid HTTP, cookies plain `name=value` pairs, and a password comes from an
//! environment variable or a file, never from feeds.toml itself. Secrets are kept out of
//! every `Debug` and error text: an error names the variable or the file, not its content.

use std::collections::BTreeMap;
use std::path::Path;

use super::raw::{RawAuth, RawRequest};
use reqwest::header::{HeaderName, HeaderValue};

/// What a source's requests carry besides the defaults.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RequestOptions {
    /// Extra headers, names lowercased.
    pub headers: Vec<(String, String)>,
    pub user_agent: Option<String>,
    /// The `Cookie` header's value.
    pub cookie: Option<String>,
    pub auth: Option<BasicAuth>,
    /// A proxy for this host's requests, instead of `[fetch] proxy`.
    pub proxy: Option<ProxyAddress>,
}

/// A proxy's address: `http://`, `https://`, `socks5://` (names resolved here) or
/// `socks5h://` (names resolved by the proxy). Shown without its password.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyAddress(pub url::Url);

impl ProxyAddress {
    pub fn parse(s: &str) -> Result<ProxyAddress, String> {
        let url = url::Url::parse(s.trim())
            .map_err(|e| format!("{:?} is not a proxy address ({e}); write it as http://host:port or socks5://host:port", shown(s)))?;
        if !matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h") {
            return Err(format!(
                "the proxy scheme {}: is not supported; use http:, https:, socks5: or socks5h:",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("the proxy address has no host".into());
        }
        Ok(ProxyAddress(url))
    }
}

/// A proxy address as it may be shown: without the password in it.
fn shown(s: &str) -> String {
    match url::Url::parse(s.trim()) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("…"));
            }
            u.to_string()
        }
        Err(_) => match s.split_once('@') {
            Some((_, host)) => format!("…@{host}"),
            None => s.to_string(),
        },
    }
}

impl std::fmt::Debug for ProxyAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", shown(self.0.as_str()))
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    pub user: String,
    pub password: Password,
}

/// Where a password is: read when requests are set up (`fetch`, `daemon`), so that reading
/// the archive needs no secret. Debug shows the variable's name or the file, not a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Password {
    Env(String),
    File(std::path::PathBuf),
}

impl Password {
    /// The password, or why there is none (naming the variable or file, never a value).
    pub fn read(&self) -> Result<String, String> {
        self.read_as("password")
    }

    /// [`Password::read`] of a secret of another kind ("token", "secret"), named so.
    pub fn read_as(&self, what: &str) -> Result<String, String> {
        match self {
            Password::Env(var) => match std::env::var(var) {
                Ok(p) if !p.is_empty() => Ok(p),
                _ => Err(format!(
                    "the environment variable {var} that should hold the {what} is not set"
                )),
            },
            Password::File(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read the {what} file {}: {e}", path.display()))?;
                let password = text.trim_end_matches(['\n', '\r']).to_string();
                if password.is_empty() {
                    return Err(format!("the {what} file {} is empty", path.display()));
                }
                Ok(password)
            }
        }
    }
}

impl RequestOptions {
    pub fn is_empty(&self) -> bool {
        self == &RequestOptions::default()
    }
}

impl std::fmt::Debug for RequestOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("RequestOptions")
            .field("headers", &names)
            .field("user_agent", &self.user_agent)
            .field("cookie", &self.cookie.as_ref().map(|_| "…"))
            .field("auth", &self.auth.as_ref().map(|a| (&a.user, "…")))
            .field("proxy", &self.proxy)
            .finish()
    }
}

/// Headers that describe the connection or the body rather than the request: set by the
/// HTTP client, never by a config.
const RESERVED: &[&str] = &[
    "connection",
    "content-length",
    "host",
    "transfer-encoding",
    "upgrade",
];

/// Reads a source's request keys; `what` names it in errors ("feed kutim"), `base` is the
/// config's folder (a relative `password_file` counts from there).
pub(super) fn parse(
    raw: RawRequest,
    what: &str,
    base: &Path,
    at: &dyn Fn(std::ops::Range<usize>, String) -> super::ConfigError,
) -> Result<Option<std::sync::Arc<RequestOptions>>, super::ConfigError> {
    let mut options = RequestOptions::default();
    if let Some(h) = raw.headers {
        options.headers =
            headers(h.get_ref()).map_err(|e| at(h.span(), format!("{what}: headers: {e}")))?;
    }
    if let Some(ua) = raw.user_agent {
        let value = ua.get_ref().trim();
        if value.is_empty() || HeaderValue::from_str(value).is_err() {
            return Err(at(
                ua.span(),
                format!("{what}: user_agent must be one line of visible text"),
            ));
        }
        options.user_agent = Some(value.to_string());
    }
    if let Some(c) = raw.cookies {
        options.cookie =
            cookies(c.get_ref()).map_err(|e| at(c.span(), format!("{what}: cookies: {e}")))?;
    }
    if let Some(p) = raw.proxy {
        options.proxy = Some(
            ProxyAddress::parse(p.get_ref())
                .map_err(|e| at(p.span(), format!("{what}: proxy: {e}")))?,
        );
    }
    if let Some(a) = raw.auth {
        let span = a.span();
        options.auth =
            Some(auth(a.into_inner(), base).map_err(|e| at(span, format!("{what}: auth: {e}")))?);
    }
    Ok((!options.is_empty()).then(|| std::sync::Arc::new(options)))
}

fn headers(map: &BTreeMap<String, String>) -> Result<Vec<(String, String)>, String> {
    map.iter()
        .map(|(name, value)| {
            let lower = name.trim().to_ascii_lowercase();
            if HeaderName::from_bytes(lower.as_bytes()).is_err() {
                return Err(format!("{name:?} is not a valid header name"));
            }
            if RESERVED.contains(&lower.as_str()) {
                return Err(format!(
                    "{name} is set by the HTTP client and cannot be configured"
                ));
            }
            if HeaderValue::from_str(value).is_err() {
                return Err(format!(
                    "the value of {name} must be one line of visible text"
                ));
            }
            Ok((lower, value.clone()))
        })
        .collect()
}

fn cookies(map: &BTreeMap<String, String>) -> Result<Option<String>, String> {
    let mut pairs = Vec::with_capacity(map.len());
    for (name, value) in map {
        let token = |s: &str| {
            !s.is_empty()
                && s.bytes().all(|b| {
                    b.is_ascii_graphic() && !matches!(b, b';' | b',' | b'=' | b'"' | b'\\')
                })
        };
        if !token(name) {
            return Err(format!("{name:?} is not a valid cookie name"));
        }
        if !value.is_empty() && !token(value) {
            return Err(format!(
                "the value of cookie {name} may not hold spaces, quotes, ';', ',' or '='"
            ));
        }
        pairs.push(format!("{name}={value}"));
    }
    Ok((!pairs.is_empty()).then(|| pairs.join("; ")))
}

fn auth(raw: RawAuth, base: &Path) -> Result<BasicAuth, String> {
    if raw.user.is_empty() || raw.user.contains(':') {
        return Err("user must be non-empty and without ':'".into());
    }
    let password = match (raw.password_env, raw.password_file) {
        (Some(var), None) if !var.trim().is_empty() => Password::Env(var.trim().to_string()),
        (None, Some(file)) if !file.trim().is_empty() => {
            Password::File(super::resolve(base, &file))
        }
        (Some(_), Some(_)) => return Err("give password_env or password_file, not both".into()),
        _ => {
            return Err(
                "needs password_env (an environment variable) or password_file; a password is never written in feeds.toml".into(),
            );
        }
    };
    Ok(BasicAuth {
        user: raw.user,
        password,
    })
}

/// Two sources on one host asking for different request options: they would take turns
/// overriding each other, since options follow the host.
pub(super) fn one_per_host<'a>(
    sources: impl Iterator<Item = (&'a str, &'a url::Url, Option<&'a RequestOptions>)>,
) -> Result<(), String> {
    let mut seen: BTreeMap<String, (&str, Option<&RequestOptions>)> = BTreeMap::new();
    for (name, url, options) in sources {
        let host = crate::addr::host_key(url);
        match seen.get(&host) {
            Some((other, theirs))
                if options.is_some() && theirs.is_some() && *theirs != options =>
            {
                return Err(format!(
                    "{other} and {name} are on the same host ({}) but set different headers, user_agent, cookies, auth or proxy; request options apply to the whole host, so give them the same options",
                    url.host_str().unwrap_or_default()
                ));
            }
            Some((_, Some(_))) => {}
            _ => {
                seen.insert(host, (name, options));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::{Config, ConfigError};

    fn parse(feed_keys: &str) -> Result<Config, ConfigError> {
        let text = format!(
            "[[feed]]\nname = \"kutim\"\nurl = \"https://kutim.contoh.id/feed/\"\n{feed_keys}\n"
        );
        Config::parse(&text, Path::new("conf/feeds.toml"))
    }

    #[test]
    fn request_options_are_read_and_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("sandi.txt"), "rahasia-sekali\n").unwrap();
        let text = "[[feed]]\nname = \"kutim\"\nurl = \"https://kutim.contoh.id/feed/\"\n\
                    headers = { \"X-Api-Key\" = \"kunci-123\" }\nuser_agent = \"Pembaca/1.0\"\n\
                    cookies = { consent = \"yes\", region = \"kaltim\" }\n\
                    auth = { user = \"pembaca\", password_file = \"sandi.txt\" }\n";
        let c = Config::parse(text, &dir.path().join("feeds.toml")).unwrap();
        let o = c.feeds[0].request.as_deref().unwrap();
        assert_eq!(
            o.headers,
            [("x-api-key".to_string(), "kunci-123".to_string())]
        );
        assert_eq!(o.user_agent.as_deref(), Some("Pembaca/1.0"));
        assert_eq!(o.cookie.as_deref(), Some("consent=yes; region=kaltim"));
        let auth = o.auth.as_ref().unwrap();
        assert_eq!(auth.user, "pembaca");
        assert_eq!(auth.password.read().as_deref(), Ok("rahasia-sekali"));
        let shown = format!("{:?} {:?}", c.feeds[0], o);
        for secret in ["rahasia", "kunci-123", "kaltim"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(parse("").unwrap().feeds[0].request.is_none());
        let proxied = parse("proxy = \"socks5h://pengguna:sandi@127.0.0.1:1080\"").unwrap();
        let shown = format!("{:?}", proxied.feeds[0].request);
        assert!(
            shown.contains("127.0.0.1:1080") && !shown.contains("sandi"),
            "{shown}"
        );
        let missing = super::Password::Env("WARTA_TEST_UNSET_VARIABLE".into());
        assert!(
            missing
                .read()
                .unwrap_err()
                .contains("WARTA_TEST_UNSET_VARIABLE")
        );
        let gone = super::Password::File(dir.path().join("tidak-ada.txt"));
        assert!(gone.read().unwrap_err().contains("tidak-ada.txt"));
    }

    #[test]
    fn bad_request_options_are_clear_errors_without_secrets() {
        for (keys, says) in [
            (
                "auth = { user = \"a\" }",
                "a password is never written in feeds.toml",
            ),
            ("auth = { user = \"a\", password = \"x\" }", "unknown field"),
            (
                "headers = { \"Bad Name\" = \"x\" }",
                "\"Bad Name\" is not a valid header name",
            ),
            (
                "headers = { Host = \"x\" }",
                "Host is set by the HTTP client",
            ),
            ("cookies = { consent = \"a;b\" }", "may not hold"),
            ("user_agent = \"\"", "user_agent must be one line"),
            (
                "proxy = \"ftp://proxy:21\"",
                "the proxy scheme ftp: is not supported",
            ),
            (
                "proxy = \"proxy.contoh.id:3128\"",
                "the proxy scheme proxy.contoh.id: is not supported",
            ),
            (
                "proxy = \"http://pengguna:sandi@[proxy\"",
                "is not a proxy address",
            ),
        ] {
            let e = parse(keys).unwrap_err().to_string();
            assert!(e.contains(says), "{keys}: {e}");
            assert!(!e.contains("sandi"), "a password in an error: {e}");
            assert!(e.contains("feeds.toml:"), "{e}");
        }
    }

    #[test]
    fn two_feeds_of_one_host_may_not_ask_for_different_options() {
        let text = "[[feed]]\nname = \"a\"\nurl = \"https://kutim.contoh.id/a.xml\"\nuser_agent = \"A/1\"\n\
                    [[feed]]\nname = \"b\"\nurl = \"https://kutim.contoh.id/b.xml\"\nuser_agent = \"B/1\"\n\
                    [[feed]]\nname = \"c\"\nurl = \"https://kutim.contoh.id/c.xml\"\n";
        let e = Config::parse(text, Path::new("feeds.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("a and b are on the same host (kutim.contoh.id)"),
            "{e}"
        );
        let same = text.replace("B/1", "A/1");
        assert!(Config::parse(&same, Path::new("feeds.toml")).is_ok());
    }
}
