//! The audit log: query, export (JSON Lines, CSV, OCSF), verify. People only.

use super::gateway_problem;
use crate::auth::Person;
use crate::extract::ApiQuery;
use crate::problem::Problem;
use crate::AppState;
use assent_gateway::{AuditQuery, ExportFormat};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::io::Write;
use tokio::sync::mpsc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(query))
        .routes(routes!(export))
        .routes(routes!(verify))
}

/// Most events one query returns.
const QUERY_MAX: i64 = 10_000;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Events at or after this time: RFC 3339 or milliseconds since the epoch.
    pub since: Option<String>,
    /// Events at or before this time: RFC 3339 or milliseconds since the epoch.
    pub until: Option<String>,
    /// Action kind (`shell`, `file.write`, …).
    pub kind: Option<String>,
    pub principal: Option<String>,
    pub request_id: Option<i64>,
    /// Event name (`decision`, `approved`, `denial`, `auth.failed`, …).
    pub event: Option<String>,
    pub decision: Option<String>,
    pub severity: Option<String>,
    /// Only events after this sequence number (paging).
    pub after: Option<i64>,
    /// At most this many (query: default and maximum 10000; export: no limit by default).
    pub limit: Option<i64>,
    /// Export only: `jsonl`, `csv` or `ocsf`.
    pub format: Option<String>,
}

fn time_ms(s: &str) -> Result<i64, Problem> {
    if let Ok(ms) = s.trim().parse::<i64>() {
        return Ok(ms);
    }
    s.trim()
        .parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|_| {
            Problem::bad_request(format!(
                "`{s}` is neither an RFC 3339 time nor milliseconds since the epoch"
            ))
        })
}

fn to_query(p: &AuditParams, limit: Option<i64>) -> Result<AuditQuery, Problem> {
    Ok(AuditQuery {
        after_seq: p.after.unwrap_or(0).max(0),
        since_ms: p.since.as_deref().map(time_ms).transpose()?,
        until_ms: p.until.as_deref().map(time_ms).transpose()?,
        principal: p.principal.clone(),
        kind: p.kind.clone(),
        decision: p.decision.clone(),
        severity: p.severity.clone(),
        event: p.event.clone(),
        request_id: p.request_id,
        limit,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvents {
    /// Events in chain order.
    #[schema(value_type = Vec<Object>)]
    pub events: serde_json::Value,
}

/// Query the audit log (people only).
#[utoipa::path(
    get,
    path = "/v1/audit",
    tag = "audit",
    params(AuditParams),
    responses(
        (status = 200, description = "Matching events", body = AuditEvents),
        (status = 400, description = "Bad filter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An agent", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn query(
    State(state): State<AppState>,
    _: Person,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Json<AuditEvents>, Problem> {
    if p.format.is_some() {
        return Err(Problem::bad_request("`format` is for /v1/audit/export"));
    }
    let limit = p.limit.unwrap_or(QUERY_MAX).clamp(0, QUERY_MAX);
    let q = to_query(&p, Some(limit))?;
    let events = state
        .gateway
        .audit()
        .query(&q)
        .await
        .map_err(|e| gateway_problem("querying the audit log", e))?;
    let events = serde_json::to_value(&events)
        .map_err(|e| Problem::internal("querying the audit log", &e))?;
    Ok(Json(AuditEvents { events }))
}

/// Sends what the export writes to the response body in chunks, waiting when the client
/// reads slowly (it runs on a blocking thread).
struct ChunkWriter {
    buf: Vec<u8>,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 64 * 1024 {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::other("the client went away"))
    }
}

/// Export the audit log (people only): `jsonl` (the stored events byte for byte, a chain an
/// auditor can verify), `csv` (formula-injection safe) or `ocsf` (one OCSF API Activity
/// object per line).
#[utoipa::path(
    get,
    path = "/v1/audit/export",
    tag = "audit",
    params(AuditParams),
    responses(
        (status = 200, description = "The export, streamed: JSON Lines for `jsonl` and `ocsf`, CSV for `csv`", content(
            (String = "application/x-ndjson"),
            (String = "text/csv"),
        )),
        (status = 400, description = "Bad filter or format", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An agent", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn export(
    State(state): State<AppState>,
    _: Person,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Response, Problem> {
    let (format, content_type) = match p.format.as_deref().unwrap_or("jsonl") {
        "jsonl" => (ExportFormat::Jsonl, "application/x-ndjson"),
        "csv" => (ExportFormat::Csv, "text/csv; charset=utf-8"),
        "ocsf" => (ExportFormat::Ocsf, "application/x-ndjson"),
        other => {
            return Err(Problem::bad_request(format!(
                "unknown format `{other}`; use jsonl, csv or ocsf"
            )))
        }
    };
    let q = to_query(&p, p.limit.map(|l| l.max(0)))?;
    let log = state.gateway.audit();
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut w = ChunkWriter {
            buf: Vec::new(),
            tx: tx.clone(),
        };
        let result = handle.block_on(log.export(&q, format, &mut w));
        let end = match result {
            Ok(()) => w.flush(),
            Err(e) => {
                eprintln!("assent serve: audit export: {e}");
                Err(std::io::Error::other("the export failed"))
            }
        };
        // An error ends the body abruptly, so a client never mistakes a cut export for a
        // whole one.
        if let Err(e) = end {
            let _ = tx.blocking_send(Err(e));
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// Verify the whole hash chain against the recorded head (people only).
#[utoipa::path(
    get,
    path = "/v1/audit/verify",
    tag = "audit",
    responses(
        (status = 200, description = "The verdict (`ok: false` names the first broken event)", body = Object),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An agent", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn verify(State(state): State<AppState>, _: Person) -> Result<Response, Problem> {
    let v = state
        .gateway
        .audit()
        .verify()
        .await
        .map_err(|e| gateway_problem("verifying the audit log", e))?;
    Ok(Json(v).into_response())
}
