//! Who is calling: the [`Caller`] extractor.
//!
//! The principal comes only from the bearer token (`Authorization: Bearer ast_…`), resolved by
//! the gateway, which also audits every failure. Nothing in a request body, a query or another
//! header can name or change it. The Unix socket needs a token too: its file mode is defence in
//! depth, not authentication.

use crate::limits::limited;
use crate::problem::Problem;
use crate::AppState;
use assent_core::Principal;
use assent_gateway::Identity;
use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

/// Where a connection comes from, for per-address limits: the peer's IP, or `local` for the
/// Unix socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(pub String);

/// An authenticated caller: an identity the gateway proved from a bearer token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub identity: Identity,
}

impl Caller {
    pub fn principal(&self) -> &Principal {
        self.identity.principal()
    }

    pub fn name(&self) -> &str {
        self.identity.name()
    }

    pub fn is_agent(&self) -> bool {
        self.principal().is_agent()
    }

    /// A person with an administering role (`owner`, `admin`): tokens, principals, policy.
    pub fn is_admin(&self) -> bool {
        self.identity.is_admin()
    }

    /// Only people (never agents) see other principals' requests, grants and the audit log.
    pub fn require_person(&self, what: &str) -> Result<(), Problem> {
        if self.is_agent() {
            return Err(Problem::forbidden(format!(
                "`{}` is an agent; {what} is for people",
                self.name()
            )));
        }
        Ok(())
    }

    pub fn require_admin(&self, what: &str) -> Result<(), Problem> {
        if !self.is_admin() {
            return Err(Problem::forbidden(format!(
                "{what} needs the owner role; `{}` does not have it",
                self.name()
            )));
        }
        Ok(())
    }
}

/// A caller with an administering role, checked before the body is read: someone who may
/// not use a route learns nothing about what it would accept.
#[derive(Debug, Clone)]
pub struct Admin(pub Caller);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Admin, Problem> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require_admin(&format!("{} {}", parts.method, parts.uri.path()))?;
        Ok(Admin(caller))
    }
}

/// A person (never an agent), checked before the body is read: the audit log, listings of
/// every principal's requests and grants, answers to requests, the live stream.
#[derive(Debug, Clone)]
pub struct Person(pub Caller);

impl FromRequestParts<AppState> for Person {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Person, Problem> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require_person(&format!("{} {}", parts.method, parts.uri.path()))?;
        Ok(Person(caller))
    }
}

/// Reads the bearer token; anything else in the header is refused (no Basic, no cookies
/// here: the console's session cookie has its own extractor).
pub fn bearer(parts: &Parts) -> Result<&str, Problem> {
    let value = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| Problem::unauthorized("missing `Authorization: Bearer <token>`"))?;
    let text = value
        .to_str()
        .map_err(|_| Problem::unauthorized("the Authorization header is not text"))?;
    let (scheme, token) = text
        .split_once(' ')
        .ok_or_else(|| Problem::unauthorized("expected `Authorization: Bearer <token>`"))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Problem::unauthorized(
            "expected `Authorization: Bearer <token>`",
        ));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(Problem::unauthorized("empty bearer token"));
    }
    Ok(token)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, Problem> {
        let addr = parts
            .extensions
            .get::<ClientAddr>()
            .map(|a| a.0.clone())
            .unwrap_or_else(|| "unknown".into());
        // An address that keeps presenting bad tokens is refused before the next guess.
        if !state.rates.auth_failures.has(&addr) {
            return Err(limited("address after failed authentications", 2));
        }
        // A missing or malformed header still goes to the gateway, which audits every
        // failed authentication (the address budget above bounds how many).
        let (token, shape) = match bearer(parts) {
            Ok(t) => (t, None),
            Err(p) => ("", Some(p)),
        };
        match state.gateway.authenticate(token).await {
            Ok(identity) if shape.is_none() => {
                if let Err(retry) = state.rates.principal.take(identity.name()) {
                    return Err(limited("principal", retry));
                }
                if let Some(who) = parts.extensions.get::<Who>() {
                    let _ = who.0.set(identity.name().to_string());
                }
                Ok(Caller { identity })
            }
            // Not reachable (an empty token never authenticates); refused all the same.
            Ok(_) => Err(shape.unwrap_or_else(|| Problem::unauthorized("no bearer token"))),
            // `authenticate` has audited the failure.
            Err(why) => {
                let _ = state.rates.auth_failures.take(&addr);
                Err(shape
                    .unwrap_or_else(|| Problem::unauthorized(why.to_string()))
                    .audited())
            }
        }
    }
}

/// Records where the connection comes from and applies the per-address rate limit, before
/// anything else (authentication included) runs.
pub async fn address_limit(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "local".to_string());
    if let Err(retry) = state.rates.address.take(&addr) {
        return limited("address", retry).into_response();
    }
    req.extensions_mut().insert(ClientAddr(addr));
    next.run(req).await
}

/// The proven caller of the request in flight, filled in by [`Caller`] once the token
/// checks out, so that [`audit_refusals`] can name who was refused.
#[derive(Debug, Clone, Default)]
pub struct Who(pub Arc<OnceLock<String>>);

/// Largest refusal body read back (problem bodies are small), and the longest refusal text
/// kept in the audit log.
const REFUSAL_BODY_MAX: usize = 1 << 20;
const REFUSAL_TEXT_MAX: usize = 1000;

/// Every 403 the server answers is an audit event: those the gateway wrote (a refused
/// approval or token operation) are marked [`crate::problem::Audited`]; every other one (a
/// route for people called by an agent, for owners by someone else, a console change without
/// its CSRF token, a wrong wait secret) is written here before the answer leaves. If it cannot
/// be written the caller gets a 500: a refusal is never answered unrecorded. (Every 401 of the
/// API is audited by `Gateway::authenticate`, which every bearer goes through; a console page
/// asking whether it has a session is not an authentication attempt.)
pub async fn audit_refusals(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let who = Who::default();
    req.extensions_mut().insert(who.clone());
    let route = format!("{} {}", req.method(), req.uri().path());
    let addr = req
        .extensions()
        .get::<ClientAddr>()
        .map(|a| a.0.clone())
        .unwrap_or_else(|| "unknown".into());
    let resp = next.run(req).await;
    let status = resp.status();
    if status != StatusCode::FORBIDDEN
        || resp.extensions().get::<crate::problem::Audited>().is_some()
    {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let bytes = match axum::body::to_bytes(body, REFUSAL_BODY_MAX).await {
        Ok(b) => b,
        Err(e) => return Problem::internal("reading a refusal", &e).into_response(),
    };
    let detail: String = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_string))
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("refused").to_string())
        .chars()
        .take(REFUSAL_TEXT_MAX)
        .collect();
    let principal = who.0.get().map(String::as_str);
    if let Err(e) = state
        .gateway
        .audit_refusal(principal, status.as_u16(), &route, &addr, &detail)
        .await
    {
        return Problem::internal("recording a refusal", &e).into_response();
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
