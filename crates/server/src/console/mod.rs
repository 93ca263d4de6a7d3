//! The web console: three static files embedded in the binary at build time (no npm, no
//! build step), a login that turns a token into a session cookie (`session.rs`), and the JSON
//! routes the pages call (`api.rs`), each a thin call into the gateway like the `/v1` routes.
//!
//! The console's routes take only the session cookie, never a bearer token, so the CSRF
//! surface is exactly `/console/api`, and every change there needs the session's CSRF token.
//! Pages put data in the DOM as text only (`textContent`); the Content-Security-Policy
//! allows scripts and styles from this server alone, so even a mistake there could not run
//! injected code. What a page shows comes from the gateway's read views, which are built
//! from redacted rows: no secret reaches a page.

pub mod api;
pub mod session;
pub mod view;

use crate::AppState;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

pub use session::{Person, Sessions};

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const STYLE_CSS: &str = include_str!("assets/style.css");

/// Scripts, styles and connections from this server only; no frames, no plugins, no base
/// rewriting, forms only back here.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The console's routes (merged into the app by `crate::app`). Every JSON route takes a
/// [`Person`] (the session cookie, and the CSRF token on every change); none takes a bearer
/// token.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(to_console))
        .route("/console/", get(index))
        .route("/console/app.js", get(app_js))
        .route("/console/style.css", get(style_css))
        .route("/console/api/login", post(session::login))
        .route("/console/api/logout", post(session::logout))
        .route("/console/api/session", get(session::session))
        .route("/console/api/queue", get(api::queue))
        .route(session::EVENTS_PATH, get(api::events))
        .route("/console/api/requests/{id}", get(api::request))
        .route("/console/api/requests/{id}/approve", post(api::approve))
        .route("/console/api/requests/{id}/deny", post(api::deny))
        .route("/console/api/grants", get(api::grants))
        .route("/console/api/grants/{id}/revoke", post(api::revoke))
        .route("/console/api/audit", get(api::audit))
        .route("/console/api/audit/export", get(api::export))
        .route("/console/api/audit/verify", get(api::verify))
        .route("/console/api/policy", get(api::policy))
        .route("/console/api/policy/validate", post(api::validate))
        .route("/console/api/policy/activate", post(api::activate))
        .route("/console/api/policy/rollback", post(api::rollback))
        .route("/console/api/policy/diff", get(api::policy_diff))
        .layer(axum::middleware::map_response(harden))
}

async fn harden(res: Response) -> Response {
    hardened(res)
}

fn hardened(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    res
}

/// API answers of the console are never cached (they carry the CSRF token or request data).
pub(crate) fn no_store(res: &mut Response) {
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut res = body.into_response();
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

async fn to_console() -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    res.headers_mut()
        .insert(LOCATION, HeaderValue::from_static("/console/"));
    res
}

async fn index() -> Response {
    asset(INDEX_HTML, "text/html; charset=utf-8")
}

async fn app_js() -> Response {
    asset(APP_JS, "text/javascript; charset=utf-8")
}

async fn style_css() -> Response {
    asset(STYLE_CSS, "text/css; charset=utf-8")
}
