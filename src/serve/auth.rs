//! The token and the rate: who may read, and how fast.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{Form, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::Shared;
use super::lang::Lang;

/// The cookie the login form sets: the token itself, HttpOnly and SameSite=Strict.
const COOKIE: &str = "warta_token";

/// Whether the request carries the token: `Authorization: Bearer TOKEN` or the cookie.
pub fn carries(request: &Request, token: &str) -> bool {
    let headers = request.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| same(t.trim(), token));
    bearer
        || headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .any(|(name, value)| name == COOKIE && same(value, token))
}

/// Compares in time that does not depend on where the strings differ.
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn login_form(
    headers: axum::http::HeaderMap,
    q: axum::extract::Query<LangQuery>,
) -> Response {
    let lang = Lang::pick(q.lang.as_deref(), &headers);
    super::pages::login_page(lang, None).into_response()
}

#[derive(serde::Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    token: String,
}

pub async fn login(
    State(app): State<Shared>,
    headers: axum::http::HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = Lang::pick(None, &headers);
    let Some(token) = &app.token else {
        return Redirect::to("/").into_response();
    };
    if !same(form.token.trim(), token) {
        return (
            StatusCode::UNAUTHORIZED,
            super::pages::login_page(lang, Some(lang.t("wrong_token"))),
        )
            .into_response();
    }
    let mut r = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/",
        form.token.trim()
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// Requests a client may make in a burst, and how many more each second.
const BURST: f64 = 60.0;
const PER_SECOND: f64 = 20.0;
/// Clients remembered at most; the oldest are forgotten first.
const CLIENTS: usize = 10_000;

/// A token bucket per client address.
#[derive(Default)]
pub struct Limiter {
    clients: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl Limiter {
    pub fn allow(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if clients.len() >= CLIENTS && !clients.contains_key(&ip) {
            // Forget those whose bucket has filled again: they lose nothing by it.
            clients.retain(|_, (_, at)| now.duration_since(*at).as_secs_f64() * PER_SECOND < BURST);
            if clients.len() >= CLIENTS {
                return false;
            }
        }
        let (tokens, at) = clients.entry(ip).or_insert((BURST, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * PER_SECOND).min(BURST);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_burst_then_waits() {
        let l = Limiter::default();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let allowed = (0..100).filter(|_| l.allow(ip)).count();
        assert_eq!(allowed, BURST as usize);
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(l.allow(other), "one client's burst is not another's");
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
