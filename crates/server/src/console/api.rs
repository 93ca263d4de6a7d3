//! The console's JSON routes (`/console/api/...`): each one a thin call into the [`Gateway`],
//! like the `/v1` routes, for a [`Person`] proven by the session cookie. The gateway decides
//! who may approve, deny and revoke; this file adds only what the console itself guards (the
//! owner role for policy changes) and turns every string a person reads into escaped text.
//!
//! [`Gateway`]: assent_gateway::Gateway

use super::session::Person;
use super::{no_store, view};
use crate::extract::{ApiJson, ApiQuery};
use crate::problem::Problem;
use crate::AppState;
use assent_core::approval::Outcome as Step;
use assent_core::text;
use assent_gateway::{
    AuditQuery, ConfigError, ExportFormat, GatewayError, GrantScope, PolicyFiles, Via,
};
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

/// Longest reason a person may type.
const REASON_MAX: usize = 2000;
/// Most audit events one page of the audit view shows.
const AUDIT_PAGE_MAX: i64 = 1000;
/// Longest period one approval may leave a grant for.
const GRANT_MAX_MS: i64 = 7 * 86_400_000;

fn json_ok(v: Value) -> Response {
    let mut res = axum::Json(v).into_response();
    no_store(&mut res);
    res
}

/// A gateway error as a problem: the API's mapping (404, 409 for what is already settled or
/// lost a race, 403 for other refusals, 500 with nothing internal otherwise).
fn gateway_problem(context: &str, e: GatewayError) -> Problem {
    crate::routes::gateway_problem(context, e)
}

fn config_problem(context: &str, e: ConfigError) -> Response {
    match e {
        ConfigError::Stale { .. } => Problem::conflict(e.to_string()).into_response(),
        ConfigError::Invalid(problems) => {
            // A problem+json body with the problems beside the standard fields.
            let p = Problem::unprocessable("the policy does not load; nothing changed");
            let mut body = serde_json::to_value(&p).unwrap_or_else(|_| json!({}));
            if let Some(o) = body.as_object_mut() {
                o.insert("errors".into(), json!(problems));
            }
            let mut res = (p.status(), body.to_string()).into_response();
            res.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static(crate::problem::CONTENT_TYPE),
            );
            res
        }
        ConfigError::NoSuchVersion(v) => {
            Problem::not_found(format!("no policy version {v}")).into_response()
        }
        ConfigError::Unsupported(why) => Problem::conflict(why).into_response(),
        ConfigError::Gateway(g) => gateway_problem(context, g).into_response(),
    }
}

fn esc(s: &str) -> String {
    text::escape_line(s)
}

fn esc_opt(s: &Option<String>) -> Option<String> {
    s.as_deref().map(esc)
}

fn reason_of(r: Option<&str>, required: bool) -> Result<Option<String>, Problem> {
    let r = r.map(str::trim).filter(|r| !r.is_empty());
    match r {
        None if required => Err(Problem::unprocessable("a reason is required")),
        Some(r) if r.chars().count() > REASON_MAX => Err(Problem::unprocessable(format!(
            "the reason is longer than {REASON_MAX} characters"
        ))),
        r => Ok(r.map(str::to_string)),
    }
}

// ---------------------------------------------------------------- queue and requests

/// `GET /console/api/queue`: pending requests, oldest first, and the server's clock (the
/// page's countdowns run on it, not on the browser's).
pub async fn queue(State(state): State<AppState>, _who: Person) -> Result<Response, Problem> {
    let rows = state
        .gateway
        .pending()
        .await
        .map_err(|e| gateway_problem("listing pending requests", e))?;
    let requests: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "principal": esc(&r.principal),
                "session": esc(&r.session),
                "kind": r.kind,
                "tool": esc(&r.tool),
                "severity": r.severity,
                "summary": esc(&r.summary),
                "created_ms": r.created_ms,
                "deadline_ms": r.deadline_ms,
                "approvals": r.approvals.iter().map(|a| esc(a)).collect::<Vec<_>>(),
                "quorum": r.quorum,
            })
        })
        .collect();
    Ok(json_ok(json!({
        "now_ms": assent_gateway::now_ms(),
        "requests": requests,
    })))
}

/// `GET /console/api/requests/{id}`: everything the request page shows.
pub async fn request(
    State(state): State<AppState>,
    _who: Person,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    let gw = &state.gateway;
    // A request past its deadline is shown as what it became, not as pending.
    gw.expire_due()
        .await
        .map_err(|e| gateway_problem("applying timeouts", e))?;
    let r = gw
        .request_view(id)
        .await
        .map_err(|e| gateway_problem("reading a request", e))?
        .ok_or_else(|| Problem::not_found(format!("no request {id}")))?;
    let mut v = view::request_view(&r);
    if let Some(o) = v.as_object_mut() {
        o.insert("now_ms".into(), json!(assent_gateway::now_ms()));
    }
    Ok(json_ok(v))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    reason: Option<String>,
    /// `session`, or a period such as `30m`, `1h`, `8h`: leave a grant.
    #[serde(rename = "for")]
    for_: Option<String>,
}

/// A period like `90s`, `30m`, `1h`, `2d` in milliseconds, at most [`GRANT_MAX_MS`].
fn period_ms(s: &str) -> Result<i64, Problem> {
    let bad = || {
        Problem::unprocessable(format!(
            "`{}` is not a period like 30m, 1h or 8h (at most 7d), nor `session`",
            esc(s)
        ))
    };
    let s = s.trim();
    let unit = s.chars().last().ok_or_else(bad)?;
    let digits = s.strip_suffix(unit).ok_or_else(bad)?;
    let n: i64 = digits.parse().map_err(|_| bad())?;
    let per = match unit {
        's' => 1000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        _ => return Err(bad()),
    };
    let ms = n.checked_mul(per).ok_or_else(bad)?;
    if ms <= 0 || ms > GRANT_MAX_MS {
        return Err(bad());
    }
    Ok(ms)
}

fn step_json(id: i64, step: &Step) -> Value {
    match step {
        Step::Counted { have, need } => {
            json!({"id": id, "outcome": "counted", "have": have, "need": need})
        }
        Step::Approved => json!({"id": id, "outcome": "approved"}),
        Step::Denied => json!({"id": id, "outcome": "denied"}),
        other => json!({"id": id, "outcome": format!("{other:?}").to_lowercase()}),
    }
}

/// `POST /console/api/requests/{id}/approve` `{"reason"?, "for"?}`.
pub async fn approve(
    State(state): State<AppState>,
    who: Person,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ApproveBody>,
) -> Result<Response, Problem> {
    let reason = reason_of(body.reason.as_deref(), false)?;
    let grant = match body.for_.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("session") => Some(GrantScope::Session),
        Some(p) => Some(GrantScope::For(period_ms(p)?)),
    };
    let step = state
        .gateway
        .approve(id, &who.identity, reason.as_deref(), grant)
        .await
        .map_err(|e| gateway_problem("approving", e))?;
    Ok(json_ok(step_json(id, &step)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DenyBody {
    reason: String,
}

/// `POST /console/api/requests/{id}/deny` `{"reason"}`: the reason is required (the agent is
/// told it).
pub async fn deny(
    State(state): State<AppState>,
    who: Person,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<DenyBody>,
) -> Result<Response, Problem> {
    let reason = reason_of(Some(&body.reason), true)?.unwrap_or_default();
    let step = state
        .gateway
        .deny(id, &who.identity, &reason)
        .await
        .map_err(|e| gateway_problem("denying", e))?;
    Ok(json_ok(step_json(id, &step)))
}

// ---------------------------------------------------------------- live

/// How often an open event stream checks that its session still proves a person.
const STREAM_RECHECK: std::time::Duration = std::time::Duration::from_secs(30);

/// `GET /console/api/events`: Server-Sent Events naming what changed — `request.created`,
/// `request.approval`, `request.decided`, `request.updated`, `grant.*`, `policy.*` — and the
/// request concerned (`{"request_id": …}`), fed by the server's tail of the audit log (which
/// also sees changes other processes make on the database). The page then reads the details
/// through the routes above. The session is checked again every 30 s: when it ends, the
/// stream says `ended` and stops.
pub async fn events(State(state): State<AppState>, _who: Person, headers: HeaderMap) -> Response {
    let mut live = state.hub.subscribe();
    let st = state.clone();
    let stream = crate::routes::async_stream(move |tx| async move {
        let mut check = tokio::time::interval(STREAM_RECHECK);
        check.tick().await;
        loop {
            let event = tokio::select! {
                ev = live.recv() => match ev {
                    Ok(ev) if ev.kind == "audit" => continue,
                    Ok(ev) => Event::default()
                        .event(ev.kind.clone())
                        .data(json!({"request_id": ev.request_id}).to_string()),
                    Err(RecvError::Lagged(_)) => Event::default().event("lagged").data("{}"),
                    Err(RecvError::Closed) => return,
                },
                _ = check.tick() => {
                    if super::session::still_valid(&st, &headers).await {
                        continue;
                    }
                    let _ = tx.send(Event::default().event("ended").data("{}")).await;
                    return;
                }
            };
            if tx.send(event).await.is_err() {
                return;
            }
        }
    });
    crate::routes::sse_response(&state, stream)
}

// ---------------------------------------------------------------- grants

#[derive(Deserialize)]
pub struct GrantsQuery {
    #[serde(default)]
    all: bool,
}

/// `GET /console/api/grants[?all=true]`: active grants (or every grant ever made).
pub async fn grants(
    State(state): State<AppState>,
    _who: Person,
    ApiQuery(q): ApiQuery<GrantsQuery>,
) -> Result<Response, Problem> {
    let rows = state
        .gateway
        .grants(q.all)
        .await
        .map_err(|e| gateway_problem("listing grants", e))?;
    let now = assent_gateway::now_ms();
    let grants: Vec<Value> = rows
        .iter()
        .map(|g| {
            json!({
                "id": g.id,
                "principal": esc(&g.principal),
                "session": esc_opt(&g.session),
                "created_ms": g.created_ms,
                "expires_ms": g.expires_ms,
                "revoked_ms": g.revoked_ms,
                "active": g.revoked_ms.is_none() && g.expires_ms > now,
                "request_id": g.request_id,
                "created_by": esc(&g.created_by),
                "summary": esc(&g.summary),
            })
        })
        .collect();
    Ok(json_ok(json!({"now_ms": now, "grants": grants})))
}

/// `POST /console/api/grants/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    who: Person,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    state
        .gateway
        .revoke(id, &who.identity)
        .await
        .map_err(|e| gateway_problem("revoking a grant", e))?;
    Ok(json_ok(json!({"id": id, "revoked": true})))
}

// ---------------------------------------------------------------- audit

/// The audit filters, as the page's form sends them (every field optional).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditParams {
    event: Option<String>,
    principal: Option<String>,
    kind: Option<String>,
    decision: Option<String>,
    severity: Option<String>,
    request_id: Option<String>,
    /// RFC 3339 (or `YYYY-MM-DDTHH:MM` from a datetime field, taken as UTC) or milliseconds.
    since: Option<String>,
    until: Option<String>,
    after_seq: Option<String>,
    limit: Option<String>,
    format: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn number(name: &str, s: &Option<String>) -> Result<Option<i64>, Problem> {
    match nonempty(s) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| Problem::bad_request(format!("`{name}` must be a number"))),
    }
}

/// A time filter: milliseconds, or a date and time (UTC).
fn time_ms(name: &str, s: &Option<String>) -> Result<Option<i64>, Problem> {
    let Some(v) = nonempty(s) else {
        return Ok(None);
    };
    if let Ok(ms) = v.parse::<i64>() {
        return Ok(Some(ms));
    }
    parse_utc(&v).map(Some).ok_or_else(|| {
        Problem::bad_request(format!(
            "`{name}` must be a time like 2026-12-03T17:00 (UTC) or milliseconds"
        ))
    })
}

/// `YYYY-MM-DD[THH:MM[:SS]][Z]` in UTC, as milliseconds since the epoch.
fn parse_utc(s: &str) -> Option<i64> {
    let s = s.trim_end_matches('Z');
    let (date, time) = s.split_once(['T', ' ']).unwrap_or((s, "00:00:00"));
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let mut t = time
        .split(':')
        .map(|p| p.split('.').next().and_then(|x| x.parse::<i64>().ok()));
    let hh = t.next().flatten()?;
    let mm = t.next().flatten().unwrap_or(0);
    let ss = t.next().flatten().unwrap_or(0);
    if !(0..24).contains(&hh) || !(0..60).contains(&mm) || !(0..61).contains(&ss) {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400) + hh * 3600 + mm * 60 + ss) * 1000)
}

fn audit_query(p: &AuditParams, limit: Option<i64>) -> Result<AuditQuery, Problem> {
    Ok(AuditQuery {
        after_seq: number("after_seq", &p.after_seq)?.unwrap_or(0),
        since_ms: time_ms("since", &p.since)?,
        until_ms: time_ms("until", &p.until)?,
        principal: nonempty(&p.principal),
        kind: nonempty(&p.kind),
        decision: nonempty(&p.decision),
        severity: nonempty(&p.severity),
        event: nonempty(&p.event),
        request_id: number("request_id", &p.request_id)?,
        limit,
    })
}

/// `GET /console/api/audit?event=&principal=&kind=&decision=&severity=&request_id=&since=&until=&after_seq=&limit=`:
/// events in order, every text escaped.
pub async fn audit(
    State(state): State<AppState>,
    _who: Person,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Response, Problem> {
    let limit = number("limit", &p.limit)?
        .unwrap_or(200)
        .clamp(1, AUDIT_PAGE_MAX);
    let q = audit_query(&p, Some(limit))?;
    let events = state
        .gateway
        .audit()
        .query(&q)
        .await
        .map_err(|e| gateway_problem("reading the audit log", e))?;
    let rows: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({
                "seq": e.seq,
                "time": esc(&e.time),
                "time_ms": e.time_ms,
                "event": esc(e.event.as_str()),
                "principal": esc_opt(&e.principal),
                "approver": esc_opt(&e.approver),
                "request_id": e.request_id,
                "kind": esc_opt(&e.kind),
                "decision": esc_opt(&e.decision),
                "rule": esc_opt(&e.rule),
                "severity": esc_opt(&e.severity),
                "policy_version": e.policy_version,
                "summary": esc_opt(&e.summary),
                "reason": esc_opt(&e.reason),
            })
        })
        .collect();
    Ok(json_ok(json!({"events": rows, "limit": limit})))
}

/// `GET /console/api/audit/export?format=jsonl|csv|ocsf&<filters>`: a download of the
/// (redacted) events matching the filters. A read, so a link: no CSRF token is needed, and
/// SameSite=Strict keeps another site from starting it with the cookie.
pub async fn export(
    State(state): State<AppState>,
    _who: Person,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Response, Problem> {
    let (format, ext, mime) = match nonempty(&p.format).as_deref() {
        None | Some("jsonl") => (ExportFormat::Jsonl, "jsonl", "application/x-ndjson"),
        Some("csv") => (ExportFormat::Csv, "csv", "text/csv; charset=utf-8"),
        Some("ocsf") => (ExportFormat::Ocsf, "ocsf.jsonl", "application/x-ndjson"),
        Some(_) => return Err(Problem::bad_request("`format` is one of jsonl, csv, ocsf")),
    };
    let limit = number("limit", &p.limit)?.filter(|l| *l > 0);
    let q = audit_query(&p, limit)?;
    // The export writes through `&mut dyn Write`, which a Send future cannot hold across an
    // await: it runs on a blocking thread of its own.
    // The download is built whole before it is sent, so a failure is an error answer and
    // never a silently cut file; past EXPORT_MAX the filters must narrow it (or the CLI's
    // `assent audit export`, which streams to a file, does it).
    let log = state.gateway.audit();
    let rt = tokio::runtime::Handle::current();
    let out = tokio::task::spawn_blocking(move || {
        let mut out = Capped(Vec::new());
        rt.block_on(log.export(&q, format, &mut out)).map(|()| out.0)
    })
    .await
    .map_err(|e| Problem::internal("exporting the audit log", &e))?
    .map_err(|e| match e {
        GatewayError::Io(why) if why.contains(TOO_BIG) => Problem::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            format!(
                "the export is larger than {} MiB: narrow the filters, or use `assent audit export`",
                EXPORT_MAX >> 20
            ),
        ),
        e => gateway_problem("exporting the audit log", e),
    })?;
    let mut res = out.into_response();
    let h = res.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"assent-audit.{ext}\"")) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    no_store(&mut res);
    Ok(res)
}

/// Largest export the console builds.
const EXPORT_MAX: usize = 256 << 20;
const TOO_BIG: &str = "export too large";

/// A buffer that refuses to grow past [`EXPORT_MAX`].
struct Capped(Vec<u8>);

impl std::io::Write for Capped {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if self.0.len().saturating_add(b.len()) > EXPORT_MAX {
            return Err(std::io::Error::other(TOO_BIG));
        }
        self.0.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `GET /console/api/audit/verify`: the whole chain checked.
pub async fn verify(State(state): State<AppState>, _who: Person) -> Result<Response, Problem> {
    let v = state
        .gateway
        .audit()
        .verify()
        .await
        .map_err(|e| gateway_problem("verifying the audit log", e))?;
    Ok(json_ok(json!({
        "ok": v.ok,
        "events": v.events,
        "head_seq": v.head_seq,
        "broken_at": v.broken_at,
        "problem": v.problem.as_deref().map(esc),
    })))
}

// ---------------------------------------------------------------- policy

/// `GET /console/api/policy`: the active version with its files, the last refused edit, and
/// the history (newest first).
pub async fn policy(State(state): State<AppState>, who: Person) -> Result<Response, Problem> {
    let gw = &state.gateway;
    let active = gw
        .active_policy()
        .await
        .map_err(|e| gateway_problem("reading the policy", e))?;
    let mut history = gw
        .policy_history()
        .await
        .map_err(|e| gateway_problem("reading the policy history", e))?;
    history.reverse();
    Ok(json_ok(json!({
        "active": active,
        "history": history,
        "may_change": who.identity.is_admin(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidateBody {
    files: PolicyFiles,
}

/// `POST /console/api/policy/validate` `{"files": {name: text}}`: would it load? Changes
/// nothing.
pub async fn validate(
    State(state): State<AppState>,
    _who: Person,
    ApiJson(body): ApiJson<ValidateBody>,
) -> Response {
    json_ok(json!(state.gateway.validate_policy(&body.files)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivateBody {
    files: PolicyFiles,
    /// The version the page read: a newer active version makes this a 409.
    expected_version: i64,
    note: Option<String>,
}

/// `POST /console/api/policy/activate`: owners only.
pub async fn activate(
    State(state): State<AppState>,
    who: Person,
    ApiJson(body): ApiJson<ActivateBody>,
) -> Result<Response, Response> {
    who.require_admin("changing the policy")
        .map_err(IntoResponse::into_response)?;
    let note = reason_of(body.note.as_deref(), false).map_err(IntoResponse::into_response)?;
    let v = state
        .gateway
        .activate_policy(
            &body.files,
            body.expected_version,
            who.name(),
            Via::Api,
            note.as_deref(),
        )
        .await
        .map_err(|e| config_problem("activating a policy", e))?;
    Ok(json_ok(json!(v)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackBody {
    to: i64,
    expected_version: i64,
}

/// `POST /console/api/policy/rollback` `{"to", "expected_version"}`: owners only.
pub async fn rollback(
    State(state): State<AppState>,
    who: Person,
    ApiJson(body): ApiJson<RollbackBody>,
) -> Result<Response, Response> {
    who.require_admin("rolling the policy back")
        .map_err(IntoResponse::into_response)?;
    let v = state
        .gateway
        .rollback_policy(body.to, body.expected_version, who.name())
        .await
        .map_err(|e| config_problem("rolling the policy back", e))?;
    Ok(json_ok(json!(v)))
}

#[derive(Deserialize)]
pub struct DiffQuery {
    from: i64,
    to: i64,
}

/// `GET /console/api/policy/diff?from=&to=`: file by file, unified.
pub async fn policy_diff(
    State(state): State<AppState>,
    _who: Person,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> Result<Response, Response> {
    let d = state
        .gateway
        .policy_diff(q.from, q.to)
        .await
        .map_err(|e| config_problem("comparing policy versions", e))?;
    Ok(json_ok(json!(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        assert_eq!(period_ms("30m").ok(), Some(1_800_000));
        assert_eq!(period_ms("1h").ok(), Some(3_600_000));
        assert_eq!(period_ms("7d").ok(), Some(GRANT_MAX_MS));
        for bad in [
            "",
            "h",
            "0h",
            "-1h",
            "8d",
            "1y",
            "1.5h",
            "99999999999999999d",
            "ч",
        ] {
            assert!(period_ms(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn exports_stop_at_the_cap() {
        use std::io::Write;
        let mut c = Capped(Vec::new());
        assert!(c.write_all(&vec![b'x'; EXPORT_MAX]).is_ok());
        let e = c.write_all(b"y").expect_err("over the cap");
        assert!(e.to_string().contains(TOO_BIG));
        assert_eq!(c.0.len(), EXPORT_MAX);
    }

    #[test]
    fn utc_times() {
        assert_eq!(parse_utc("1970-01-01T00:00"), Some(0));
        assert_eq!(parse_utc("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_utc("2026-12-03T17:30:00Z"), Some(1_796_319_000_000));
        assert_eq!(parse_utc("2000-02-29T12:00"), Some(951_825_600_000));
        for bad in ["", "2026-13-01", "2026-12-03T25:00", "yesterday", "2026-12"] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }
}
