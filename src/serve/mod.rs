//! `warta serve`: the archive as web pages and a JSON API, read-only (issue 17).
//!
//! axum on the hyper and tower reqwest already brings. Every request reads the archive
//! through a small pool of read-only connections on the blocking pool, so a slow query
//! never holds the async threads, and the daemon can write beside it. Safe by default: it
//! listens on loopback; anywhere else it needs a token (`[serve] token_env`), asked of every
//! request as a bearer token or the cookie the login form sets. Every response carries a
//! Content-Security-Policy without inline script, pages escape every value (maud), article
//! HTML is sanitized (ammonia) and loads nothing from elsewhere, and each client gets a
//! bounded rate and each request a time limit.

mod api;
mod auth;
mod charts;
mod lang;
mod pages;
mod pool;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::config::Config;
use crate::error::Error;
use crate::zone::Zone;

pub use pool::Readers;

/// The largest request body read.
const BODY_LIMIT: usize = 16 * 1024;

/// How long one request may take before it is answered 503.
const REQUEST_TIME: Duration = Duration::from_secs(10);

/// What every handler shares.
pub struct App {
    pub config: Arc<Config>,
    pub readers: Readers,
    pub zone: Zone,
    /// The token every request must carry, when one is set.
    token: Option<String>,
    limiter: auth::Limiter,
}

pub type Shared = Arc<App>;

/// Serves until SIGINT or SIGTERM.
pub async fn run(
    config: Arc<Config>,
    db: std::path::PathBuf,
    listen: SocketAddr,
) -> Result<(), Error> {
    let (listener, app) = bind(config, &db, listen).await?;
    serve_on(listener, app, shutdown()).await
}

/// Checks the token rule, opens the archive to read and binds `listen`: every mistake is said
/// before anything is served.
pub async fn bind(
    config: Arc<Config>,
    db: &std::path::Path,
    listen: SocketAddr,
) -> Result<(tokio::net::TcpListener, Shared), Error> {
    let token = match &config.serve.token {
        Some(t) => Some(t.read_as("token").map_err(Error::usage)?),
        None => None,
    };
    if token.is_none() && !listen.ip().is_loopback() {
        return Err(Error::usage(format!(
            "serve: listening on {listen} would open the archive to the network; set [serve] token_env (an environment variable holding a token every request must carry), or listen on 127.0.0.1"
        )));
    }
    let readers = Readers::open(db)?;
    let app = Arc::new(App {
        zone: Zone::resolve(Some(&config)),
        config,
        readers,
        token,
        limiter: auth::Limiter::default(),
    });
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Error::failure(format!("serve: cannot listen on {listen}: {e}")))?;
    let bound = listener.local_addr().unwrap_or(listen);
    eprintln!(
        "warta: serving {} at http://{bound}/",
        app.readers.path().display()
    );
    Ok((listener, app))
}

/// Serves `app` on `listener` until `stop` completes.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    app: Shared,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop)
    .await
    .map_err(|e| Error::failure(format!("serve: {e}")))
}

async fn shutdown() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

pub fn router(app: Shared) -> Router {
    Router::new()
        .route("/", get(pages::overview))
        .route("/search", get(pages::search))
        .route("/articles/{id}", get(pages::article))
        .route("/articles/{id}/raw", get(pages::raw))
        .route("/stories/{id}", get(pages::story))
        .route("/feeds", get(pages::feeds))
        .route("/watches", get(pages::watches))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/static/style.css", get(pages::style))
        .route("/api/search", get(api::search))
        .route("/api/articles/{id}", get(api::article))
        .route("/api/stories/{id}", get(api::story))
        .route("/api/feeds", get(api::feeds))
        .route("/api/stats", get(api::stats))
        .route("/api/openapi.json", get(api::openapi))
        .fallback(not_found)
        // Only the login form has a body, a few bytes long.
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

/// Every request: its client's rate, the token, a time limit, and the security headers.
async fn guard(State(app): State<Shared>, request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let client = request
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    // Loopback is this machine's own users, or a reverse proxy in front that speaks for
    // every client at once: the rate is for clients that reach warta over the network.
    if let Some(ip) = client
        && !ip.is_loopback()
        && !app.limiter.allow(ip)
    {
        return with_headers(refusal(
            api,
            StatusCode::TOO_MANY_REQUESTS,
            "too many requests; slow down",
        ));
    }
    if let Some(token) = &app.token
        && !auth::carries(&request, token)
        && !matches!(request.uri().path(), "/login" | "/static/style.css")
    {
        let refused = if api {
            refusal(
                true,
                StatusCode::UNAUTHORIZED,
                "this archive needs a token: send Authorization: Bearer TOKEN",
            )
        } else {
            axum::response::Redirect::to("/login").into_response()
        };
        return with_headers(refused);
    }
    let answered = match tokio::time::timeout(REQUEST_TIME, next.run(request)).await {
        Ok(r) => r,
        Err(_) => refusal(
            api,
            StatusCode::SERVICE_UNAVAILABLE,
            "the request took too long",
        ),
    };
    with_headers(answered)
}

/// A refusal: JSON for the API, a short page otherwise.
pub(crate) fn refusal(api: bool, status: StatusCode, message: &str) -> Response {
    if api {
        (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
    } else {
        (status, pages::error_page(status, message)).into_response()
    }
}

async fn not_found(request: Request) -> Response {
    let api = request.uri().path().starts_with("/api/");
    refusal(api, StatusCode::NOT_FOUND, "no such page")
}

/// The headers every answer carries: nothing runs but the page's own (no inline script, no
/// other origin), nothing frames it, nothing leaks where the reader came from.
fn with_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    r
}
