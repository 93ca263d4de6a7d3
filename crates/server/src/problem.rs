//! RFC 9457 problem details: every error the server answers is `application/problem+json`.
//!
//! Handlers return [`Problem`]; errors made outside handlers (axum's own rejections, the
//! body-size and time-limit layers, unknown routes and methods) are rewritten into the same
//! shape by [`ensure_problem_json`], so no client ever has to parse a second error format.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// A problem details object (RFC 9457).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`urn:assent:problem:<slug>`).
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Seconds to wait before retrying (429 only; also sent as `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Whether the refusal is already in the audit log (the gateway wrote it): a 403
    /// that is not is audited by [`crate::auth::audit_refusals`] on its way out.
    #[serde(skip)]
    pub audited: bool,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Problem {
        Problem {
            type_: format!("urn:assent:problem:{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            retry_after: None,
            audited: false,
        }
    }

    /// Marks a problem whose refusal the gateway has already audited.
    pub fn audited(mut self) -> Problem {
        self.audited = true;
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::CONFLICT, "conflict", detail)
    }

    pub fn unprocessable(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", detail)
    }

    pub fn too_many(retry_after_s: u64, detail: impl Into<String>) -> Problem {
        let mut p = Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate-limited", detail);
        p.retry_after = Some(retry_after_s.max(1));
        p
    }

    /// A failure inside Assent. The detail is generic: store and policy errors can name
    /// paths and values a caller has no business seeing; the server log has the rest.
    pub fn internal(context: &str, err: &dyn std::fmt::Display) -> Problem {
        eprintln!("assent serve: {context}: {err}");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("{context} failed; see the server log"),
        )
    }

    pub fn unavailable(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut resp = (status, body).into_response();
        if self.audited {
            resp.extensions_mut().insert(Audited);
        }
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"assent\""),
            );
        }
        resp
    }
}

/// On a response whose refusal is already in the audit log.
#[derive(Debug, Clone, Copy)]
pub struct Audited;

/// Answers for unknown routes.
pub async fn no_route() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "no-route", "no such route")
}

/// Rewrites every error response that is not already problem+json (axum's rejections, the
/// limit layers' bare 413 and 408, the 405 of a known path) into one, keeping the status and
/// the headers that matter (`Allow`, `Retry-After`).
pub async fn ensure_problem_json(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(CONTENT_TYPE));
    if is_problem {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    // The original text (axum's rejection message) is short and names no secret; keep it.
    let text = axum::body::to_bytes(body, 4096)
        .await
        .ok()
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .filter(|t| !t.is_empty());
    let (slug, default) = match status {
        StatusCode::NOT_FOUND => ("not-found", "not found"),
        StatusCode::METHOD_NOT_ALLOWED => ("method-not-allowed", "method not allowed here"),
        StatusCode::PAYLOAD_TOO_LARGE => ("too-large", "request body too large"),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "request took too long"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("unsupported-media-type", "expected application/json")
        }
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid", "invalid request body"),
        StatusCode::BAD_REQUEST => ("bad-request", "bad request"),
        s if s.is_server_error() => ("internal", "internal error"),
        _ => ("error", "error"),
    };
    let problem = Problem::new(status, slug, text.unwrap_or_else(|| default.to_string()));
    let mut out = problem.into_response();
    for h in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = parts.headers.get(&h) {
            out.headers_mut().insert(h, v.clone());
        }
    }
    out
}
