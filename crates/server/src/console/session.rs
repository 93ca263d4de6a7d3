//! Console sessions: a person logs in once with a token and gets a session cookie.
//!
//! - The cookie is `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's page
//!   sends it), `Path=/`, and `Secure` with the `__Host-` prefix when the console is reached over
//!   TLS (directly or behind a proxy that says `X-Forwarded-Proto: https`).
//! - Every state change made with the cookie must carry the session's CSRF token in the
//!   `X-CSRF-Token` header (a page on another origin can neither read the token nor set the
//!   header without CORS, which this server never grants), and an `Origin`, when the browser
//!   sends one, must be this server's.
//! - The token behind a session is checked again on every request: revoking or expiring it
//!   ends the session at once. Agents never log in.
//! - Sessions live in memory only: a restart logs everybody out, which fails closed.
//! - A page's background polling (sent with `X-Assent-Background: 1`) does not count as use:
//!   a queue left open on a screen still ends its session after the idle time.
//!
//! The console's routes take only the cookie; a bearer token is for `/v1`, which never takes
//! the cookie. So the cookie drives nothing but the console, where every change is checked.

use crate::problem::Problem;
use crate::AppState;
use assent_gateway::Identity;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{COOKIE, HOST, ORIGIN, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// Cookie names: with TLS the `__Host-` prefix makes browsers insist on `Secure`, `Path=/` and
/// no `Domain`.
const COOKIE_PLAIN: &str = "assent_session";
const COOKIE_TLS: &str = "__Host-assent_session";
/// The header a state change must carry.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// What a page's background polling sends: it does not keep a session alive.
pub const BACKGROUND_HEADER: &str = "x-assent-background";
/// A session unused this long ends.
const IDLE_MS: i64 = 2 * 3600 * 1000;
/// A session ends this long after login whatever happens.
const ABSOLUTE_MS: i64 = 12 * 3600 * 1000;
/// Most live sessions; past it the least recently used ends.
const MAX_SESSIONS: usize = 1000;

/// One logged-in person. No `Debug`: it holds the token.
struct Session {
    token: String,
    csrf: String,
    created_ms: i64,
    seen_ms: i64,
}

/// Every live session, keyed by the SHA-256 of the cookie value (the value itself is kept
/// nowhere on the server).
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    /// The server itself speaks TLS: every cookie is `Secure`.
    tls: bool,
}

fn now_ms() -> i64 {
    assent_gateway::now_ms()
}

fn random_hex() -> Result<String, Problem> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| Problem::internal("no randomness for a session", &e))?;
    Ok(hex::encode(buf))
}

fn key(cookie_value: &str) -> String {
    hex::encode(Sha256::digest(cookie_value.as_bytes()))
}

/// Equal without an early exit on the first difference.
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

impl Sessions {
    pub fn new(tls: bool) -> Sessions {
        Sessions {
            map: Mutex::new(HashMap::new()),
            tls,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        // A poisoned map only means another request panicked mid-update; sessions are
        // still consistent enough to check (each entry is replaced whole).
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a session; answers the cookie value and the CSRF token.
    fn create(&self, token: &str) -> Result<(String, String), Problem> {
        let id = random_hex()?;
        let csrf = random_hex()?;
        let now = now_ms();
        let mut map = self.lock();
        map.retain(|_, s| live(s, now));
        while map.len() >= MAX_SESSIONS {
            let oldest = map
                .iter()
                .min_by_key(|(_, s)| s.seen_ms)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => map.remove(&k),
                None => break,
            };
        }
        map.insert(
            key(&id),
            Session {
                token: token.to_string(),
                csrf: csrf.clone(),
                created_ms: now,
                seen_ms: now,
            },
        );
        Ok((id, csrf))
    }

    /// The token and CSRF token of a live session, marking it used unless `background`.
    fn touch(&self, cookie_value: &str, background: bool) -> Option<(String, String)> {
        let now = now_ms();
        let mut map = self.lock();
        let k = key(cookie_value);
        let alive = map.get(&k).is_some_and(|s| live(s, now));
        if !alive {
            map.remove(&k);
            return None;
        }
        let s = map.get_mut(&k)?;
        if !background {
            s.seen_ms = now;
        }
        Some((s.token.clone(), s.csrf.clone()))
    }

    fn end(&self, cookie_value: &str) {
        self.lock().remove(&key(cookie_value));
    }

    /// How many sessions are live (for tests and the log).
    pub fn len(&self) -> usize {
        let now = now_ms();
        self.lock().values().filter(|s| live(s, now)).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn live(s: &Session, now: i64) -> bool {
    now.saturating_sub(s.seen_ms) < IDLE_MS && now.saturating_sub(s.created_ms) < ABSOLUTE_MS
}

/// Whether this request reached us over TLS (directly or through a proxy that says so).
fn over_tls(sessions: &Sessions, headers: &HeaderMap) -> bool {
    sessions.tls
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The session cookie's value, under either name.
fn cookie_value(headers: &HeaderMap) -> Option<String> {
    for header in headers.get_all(COOKIE) {
        let Ok(text) = header.to_str() else { continue };
        for pair in text.split(';') {
            if let Some((name, value)) = pair.trim().split_once('=') {
                if (name == COOKIE_PLAIN || name == COOKIE_TLS) && !value.is_empty() {
                    return Some(value.to_string());
                }
            }
        }
    }
    None
}

fn set_cookie(tls: bool, value: &str, max_age_s: i64) -> Option<HeaderValue> {
    let text = if tls {
        format!(
            "{COOKIE_TLS}={value}; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age={max_age_s}"
        )
    } else {
        format!("{COOKIE_PLAIN}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}")
    };
    HeaderValue::from_str(&text).ok()
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD)
}

/// `Origin` (when the browser sends one) names this very server.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let (Ok(origin), Some(Ok(host))) = (origin.to_str(), headers.get(HOST).map(|h| h.to_str()))
    else {
        return false;
    };
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    authority == Some(host)
}

/// A person logged in to the console: the identity the gateway proved from the session's
/// token, checked again on this very request. Extracting it from a request that changes
/// anything (any method but GET and HEAD) also checks the CSRF token and the origin, so a
/// handler that takes a `Person` cannot forget either.
///
/// Only the session cookie is accepted here; a bearer token is for `/v1`, and the console's
/// routes never accept one (so no API client is subject to, or helped by, a session).
pub struct Person {
    pub identity: Identity,
    /// The session's CSRF token, handed to the page by `GET /console/api/session`.
    pub csrf: String,
}

impl Person {
    pub fn name(&self) -> &str {
        self.identity.name()
    }

    pub fn require_admin(&self, what: &str) -> Result<(), Problem> {
        if !self.identity.is_admin() {
            return Err(Problem::forbidden(format!(
                "{what} needs the owner role; `{}` does not have it",
                self.name()
            )));
        }
        Ok(())
    }
}

/// The page's live stream: it stays open, so it never counts as use of the session.
pub const EVENTS_PATH: &str = "/console/api/events";

impl FromRequestParts<AppState> for Person {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Person, Problem> {
        let Some(value) = cookie_value(&parts.headers) else {
            return Err(Problem::unauthorized("not logged in"));
        };
        let background =
            parts.headers.contains_key(BACKGROUND_HEADER) || parts.uri.path() == EVENTS_PATH;
        let Some((token, csrf)) = state.console.touch(&value, background) else {
            return Err(Problem::unauthorized("not logged in (the session ended)"));
        };
        if !is_safe(&parts.method) {
            if !same_origin(&parts.headers) {
                return Err(Problem::forbidden("cross-origin request refused"));
            }
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if sent.is_empty() || !same(sent, &csrf) {
                return Err(Problem::forbidden(
                    "missing or wrong CSRF token: a change made in the console needs the X-CSRF-Token header",
                ));
            }
        }
        let identity = prove(state, &value, &token).await?;
        if let Err(retry) = state.rates.principal.take(identity.name()) {
            return Err(crate::limits::limited("principal", retry));
        }
        Ok(Person { identity, csrf })
    }
}

/// The person behind a session's token, proven again now; a token that no longer proves a
/// person ends the session.
async fn prove(state: &AppState, cookie: &str, token: &str) -> Result<Identity, Problem> {
    match state.gateway.authenticate(token).await {
        Ok(identity) if !identity.principal().is_agent() => Ok(identity),
        _ => {
            // Revoked, expired, or no longer a person: the session ends with the token.
            state.console.end(cookie);
            Err(Problem::unauthorized(
                "the session ended: its token is no longer valid",
            ))
        }
    }
}

/// Whether the session behind the request's cookie still proves a person (for a stream that
/// outlives the request that opened it). Does not count as use.
pub async fn still_valid(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(value) = cookie_value(headers) else {
        return false;
    };
    let Some((token, _)) = state.console.touch(&value, true) else {
        return false;
    };
    prove(state, &value, &token).await.is_ok()
}

#[derive(serde::Deserialize)]
pub struct Login {
    token: String,
}

/// `POST /console/api/login` `{"token": "ast_…"}`: a JSON body only (a form posted from
/// another site cannot send one without CORS, which this server never grants), from this
/// origin only. Failures count against the address like failed bearer tokens, and the
/// gateway audits each one.
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    addr: Option<axum::Extension<crate::auth::ClientAddr>>,
    crate::extract::ApiJson(body): crate::extract::ApiJson<Login>,
) -> Result<Response, Problem> {
    let addr = addr
        .map(|a| a.0 .0.clone())
        .unwrap_or_else(|| "unknown".into());
    if !state.rates.auth_failures.has(&addr) {
        return Err(crate::limits::limited("address after failed logins", 2));
    }
    if !same_origin(&headers) {
        return Err(Problem::forbidden("cross-origin login refused"));
    }
    let token = body.token.trim();
    let identity = match state.gateway.authenticate(token).await {
        Ok(i) => i,
        Err(why) => {
            let _ = state.rates.auth_failures.take(&addr);
            return Err(Problem::unauthorized(why.to_string()));
        }
    };
    if identity.principal().is_agent() {
        return Err(Problem::forbidden(format!(
            "`{}` is an agent; agents do not log in to the console",
            identity.name()
        )));
    }
    // A new session every time: a cookie planted before login is never promoted.
    if let Some(old) = cookie_value(&headers) {
        state.console.end(&old);
    }
    let (id, csrf) = state.console.create(token)?;
    let tls = over_tls(&state.console, &headers);
    let mut res = axum::Json(serde_json::json!({
        "principal": identity.name(),
        "csrf": csrf,
    }))
    .into_response();
    if let Some(c) = set_cookie(tls, &id, ABSOLUTE_MS / 1000) {
        res.headers_mut().append(SET_COOKIE, c);
    }
    super::no_store(&mut res);
    Ok(res)
}

/// `POST /console/api/logout` (CSRF-checked like every change): ends the session.
pub async fn logout(State(state): State<AppState>, _who: Person, headers: HeaderMap) -> Response {
    if let Some(v) = cookie_value(&headers) {
        state.console.end(&v);
    }
    let mut res = axum::http::StatusCode::NO_CONTENT.into_response();
    if let Some(c) = set_cookie(over_tls(&state.console, &headers), "", 0) {
        res.headers_mut().append(SET_COOKIE, c);
    }
    res
}

/// `GET /console/api/session`: who is logged in, and the CSRF token the page must send.
pub async fn session(who: Person) -> Response {
    let mut res = axum::Json(serde_json::json!({
        "principal": who.name(),
        "roles": who.identity.principal().roles,
        "admin": who.identity.is_admin(),
        "csrf": who.csrf,
    }))
    .into_response();
    super::no_store(&mut res);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_under_either_name_only() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; assent_session=abc; b=2"),
        );
        assert_eq!(cookie_value(&h).as_deref(), Some("abc"));
        let mut h = HeaderMap::new();
        h.insert(COOKIE, HeaderValue::from_static("xassent_session=abc"));
        assert_eq!(cookie_value(&h), None);
    }

    #[test]
    fn origin_must_be_this_host() {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_static("127.0.0.1:8470"));
        assert!(
            same_origin(&h),
            "no Origin: a same-origin GET or a non-browser"
        );
        h.insert(ORIGIN, HeaderValue::from_static("http://127.0.0.1:8470"));
        assert!(same_origin(&h));
        h.insert(ORIGIN, HeaderValue::from_static("http://evil.example"));
        assert!(!same_origin(&h));
        h.insert(ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_origin(&h));
    }

    #[test]
    fn sessions_end_when_idle_or_old_and_are_capped() {
        let s = Sessions::new(false);
        let (id, csrf) = s.create("ast_x").expect("session");
        assert_eq!(s.touch(&id, false).map(|t| t.1), Some(csrf));
        assert!(s.touch("not-a-session", false).is_none());
        // Almost idle; background polling finds it live but does not keep it alive.
        if let Some(sess) = s.lock().get_mut(&key(&id)) {
            sess.seen_ms -= IDLE_MS - 1000;
        }
        assert!(s.touch(&id, true).is_some());
        if let Some(sess) = s.lock().get_mut(&key(&id)) {
            sess.seen_ms -= 2000;
        }
        assert!(s.touch(&id, false).is_none(), "idle session ended");
        let (id, _) = s.create("ast_x").expect("session");
        if let Some(sess) = s.lock().get_mut(&key(&id)) {
            sess.created_ms -= ABSOLUTE_MS + 1;
        }
        assert!(s.touch(&id, false).is_none(), "old session ended");
        for _ in 0..MAX_SESSIONS + 5 {
            s.create("ast_x").expect("session");
        }
        assert!(s.len() <= MAX_SESSIONS);
    }

    #[test]
    fn cookie_attributes() {
        let plain = set_cookie(false, "v", 60).expect("cookie");
        let plain = plain.to_str().expect("text");
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Strict"));
        assert!(!plain.contains("Secure"));
        let tls = set_cookie(true, "v", 60).expect("cookie");
        let tls = tls.to_str().expect("text");
        assert!(tls.starts_with("__Host-") && tls.contains("Secure") && tls.contains("HttpOnly"));
    }

    #[test]
    fn comparison_is_exact() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", ""));
    }
}
