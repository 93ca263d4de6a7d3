//! Deciding actions and everything about approval requests: decide, wait (long-poll), list,
//! show, approve (optionally for a period: a grant), deny, and the request's event stream.

use super::{async_stream, gateway_problem, sse_response};
use crate::auth::{Caller, Person};
use crate::extract::{ApiQuery, StrictJson};
use crate::hub::LiveEvent;
use crate::problem::Problem;
use crate::AppState;
use assent_core::approval::{Outcome as Step, State};
use assent_gateway::{now_ms, GrantScope, Outcome, Pending, WaitEnd, LIST_MAX};
use axum::extract::{Path, State as AxState};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Routes with the ordinary time limit.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(decide))
        .routes(routes!(list))
        .routes(routes!(show))
        .routes(routes!(approve))
        .routes(routes!(deny))
}

/// Long-polls and streams: their own time limits.
pub fn long_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(wait))
        .routes(routes!(request_events))
}

/// An action to decide: exactly one of `action` (canonical) or `hook` (Claude Code hook input).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideRequest {
    /// A canonical action: `{"tool", "kind"?, "input", "cwd"?, "session"?, "summary"?}`.
    #[schema(value_type = Option<Object>)]
    pub action: Option<Value>,
    /// Claude Code PreToolUse hook input, as the hook received it.
    #[schema(value_type = Option<Object>)]
    pub hook: Option<Value>,
    /// The agent's session (for session grants); must agree with the action's own.
    pub session: Option<String>,
}

/// The decision. `wait_secret` goes only to the requester: it redeems the single-use approval.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecideAnswer {
    /// `allow`, `deny` or `ask`.
    pub decision: String,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub severity: String,
    pub policy_version: u64,
    /// For `ask`: the approval request to wait on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_secret: Option<String>,
    /// For an `ask` a grant already covered: the grant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<i64>,
}

/// Decide an action as the authenticated principal. For `ask`, an approval request is created
/// and the answer carries what the requester needs to wait for it.
#[utoipa::path(
    post,
    path = "/v1/decide",
    tag = "requests",
    request_body = DecideRequest,
    responses(
        (status = 200, description = "The decision (durable before it is sent)", body = DecideAnswer),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an action", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn decide(
    AxState(state): AxState<AppState>,
    caller: Caller,
    StrictJson(body): StrictJson<DecideRequest>,
) -> Result<Json<DecideAnswer>, Problem> {
    let input = match (body.action, body.hook) {
        (Some(a), None) => {
            if a.get("tool_name").is_some() {
                return Err(Problem::unprocessable(
                    "this is Claude Code hook input: send it as `hook`",
                ));
            }
            a
        }
        (None, Some(h)) => {
            if h.get("tool_name").is_none() {
                return Err(Problem::unprocessable(
                    "`hook` must be Claude Code hook input (with `tool_name`)",
                ));
            }
            h
        }
        _ => {
            return Err(Problem::unprocessable(
                "send exactly one of `action` (canonical) or `hook` (Claude Code hook input)",
            ))
        }
    };
    let mut adapted =
        assent_adapters::from_value(input).map_err(|e| Problem::unprocessable(e.to_string()))?;
    if let Some(s) = body.session {
        match &adapted.action.session {
            Some(own) if own != &s => {
                return Err(Problem::unprocessable(
                    "`session` differs from the action's own session",
                ))
            }
            _ => adapted.action.session = Some(s),
        }
    }
    let requested = state
        .gateway
        .decide(&adapted, caller.name())
        .await
        .map_err(|e| gateway_problem("decide", e))?;
    let d = &requested.evaluation.decision;
    let mut answer = DecideAnswer {
        decision: d.decision.as_str().to_string(),
        reason: d.reason.clone(),
        rule: d.rules.first().cloned(),
        severity: d.severity.as_str().to_string(),
        policy_version: d.policy_version,
        request_id: None,
        deadline_ms: None,
        wait_secret: None,
        grant_id: None,
    };
    match requested.outcome {
        Outcome::Allowed { grant } => {
            answer.decision = "allow".into();
            if let Some(g) = grant {
                answer.grant_id = Some(g);
                answer.rule = Some(format!("grant:{g}"));
                answer.reason = format!("grant {g} covers this action");
            }
        }
        Outcome::Denied => answer.decision = "deny".into(),
        Outcome::Pending(p) => {
            answer.decision = "ask".into();
            answer.request_id = Some(p.request_id);
            answer.deadline_ms = Some(p.deadline_ms);
            answer.wait_secret = Some(p.wait_secret().to_string());
            state.hub.poke();
        }
    }
    Ok(Json(answer))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitRequest {
    /// The secret from the `decide` answer.
    pub wait_secret: String,
    /// How long to wait, in milliseconds. When it passes the request is cancelled (the
    /// requester gave up), unless `keep_pending` is set.
    pub timeout_ms: i64,
    /// Answer `pending` when `timeout_ms` passes and leave the request pending.
    #[serde(default)]
    pub keep_pending: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WaitAnswer {
    /// `approved`, `denied`, `expired`, `cancelled` or `pending`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// True only when the approval was redeemed in this call: only then may the action run.
    pub redeemed: bool,
}

impl WaitAnswer {
    fn of(end: WaitEnd) -> WaitAnswer {
        let (state, reason, redeemed) = match end {
            WaitEnd::Approved => ("approved", None, true),
            WaitEnd::Denied(r) => ("denied", Some(r), false),
            WaitEnd::Expired(r) => ("expired", Some(r), false),
            WaitEnd::GaveUp => (
                "cancelled",
                Some("the request was cancelled".to_string()),
                false,
            ),
            WaitEnd::TokenRefused(r) => ("approved", Some(r), false),
        };
        WaitAnswer {
            state: state.into(),
            reason,
            redeemed,
        }
    }

    fn pending(reason: &str) -> WaitAnswer {
        WaitAnswer {
            state: "pending".into(),
            reason: Some(reason.into()),
            redeemed: false,
        }
    }
}

/// Wait for a request to be decided (long-poll). Approved means redeemed in the same call:
/// `redeemed: true` is the only answer that lets the action run. When the server shuts down
/// the answer is `pending` (the request stays pending; the caller must not run the action).
#[utoipa::path(
    post,
    path = "/v1/requests/{id}/wait",
    tag = "requests",
    params(("id" = i64, Path, description = "Request id")),
    request_body = WaitRequest,
    responses(
        (status = 200, description = "How the wait ended", body = WaitAnswer),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Wrong wait secret, or not the requester", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn wait(
    AxState(state): AxState<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    StrictJson(body): StrictJson<WaitRequest>,
) -> Result<Json<WaitAnswer>, Problem> {
    let gw = &state.gateway;
    let chain = gw
        .waiter_chain(id, &body.wait_secret)
        .await
        .map_err(|e| gateway_problem("wait", e))?;
    if !chain.iter().any(|c| c == caller.name()) {
        return Err(Problem::forbidden(
            "only the requester may wait on its request",
        ));
    }
    let timeout = Duration::from_millis(body.timeout_ms.max(0) as u64).min(state.limits.max_wait);
    let until = now_ms().saturating_add(timeout.as_millis() as i64);
    let pending = Pending::resume(id, 0, body.wait_secret);
    // Register before the first look: a change after this always wakes us.
    let mut waiting = state.hub.wait_for(id);
    let mut shutdown = state.shutdown.clone();
    loop {
        let cancel_at = (!body.keep_pending).then_some(until);
        let look = gw
            .wait_look(&pending, cancel_at)
            .await
            .map_err(|e| gateway_problem("wait", e))?;
        let deadline = match look {
            assent_gateway::WaitLook::Ended(end) => {
                state.hub.changed(id);
                state.hub.poke();
                return Ok(Json(WaitAnswer::of(end)));
            }
            assent_gateway::WaitLook::Again => continue,
            assent_gateway::WaitLook::Pending { deadline_ms } => deadline_ms,
        };
        let now = now_ms();
        if body.keep_pending && now >= until {
            return Ok(Json(WaitAnswer::pending("still pending")));
        }
        // Sleep until the next change, the request's deadline, the caller's limit, or a slow
        // safety look (a change the tail could not see).
        let next = deadline.min(until).saturating_sub(now).clamp(1, 30_000) as u64;
        tokio::select! {
            _ = waiting.changed.changed() => {}
            _ = tokio::time::sleep(Duration::from_millis(next)) => {}
            _ = shutdown.wait_for(|s| *s) => {
                return Ok(Json(WaitAnswer::pending(
                    "the server is shutting down; the request stays pending",
                )));
            }
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `pending` (default), `approved`, `denied`, `expired`, `cancelled`, `executed`,
    /// `failed` or `all`.
    pub state: Option<String>,
    /// At most this many (default and maximum 1000).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestList {
    /// Request summaries: pending ones oldest first, `all` newest first.
    #[schema(value_type = Vec<Object>)]
    pub requests: Vec<assent_gateway::RequestSummary>,
}

/// List requests (people only: agents never see others' requests).
#[utoipa::path(
    operation_id = "list_requests",
    get,
    path = "/v1/requests",
    tag = "requests",
    params(ListQuery),
    responses(
        (status = 200, description = "Requests", body = RequestList),
        (status = 400, description = "Bad query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An agent", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    AxState(state): AxState<AppState>,
    _: Person,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<RequestList>, Problem> {
    let which = match q.state.as_deref().unwrap_or("pending") {
        "all" => None,
        s => Some(
            State::parse(s).ok_or_else(|| Problem::bad_request(format!("unknown state `{s}`")))?,
        ),
    };
    let limit = q.limit.unwrap_or(LIST_MAX).clamp(0, LIST_MAX);
    let gw = &state.gateway;
    let requests = if which == Some(State::Pending) {
        gw.pending().await
    } else {
        gw.requests(which, limit).await
    }
    .map_err(|e| gateway_problem("listing requests", e))?;
    let requests = requests.into_iter().take(limit as usize).collect();
    Ok(Json(RequestList { requests }))
}

/// What an approver needs to decide one request (redacted; secrets never reach it). People
/// see every request; an agent only its own.
#[utoipa::path(
    operation_id = "show_request",
    get,
    path = "/v1/requests/{id}",
    tag = "requests",
    params(("id" = i64, Path, description = "Request id")),
    responses(
        (status = 200, description = "The request", body = Object),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An agent asking for another's request", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn show(
    AxState(state): AxState<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    let view = state
        .gateway
        .request_view(id)
        .await
        .map_err(|e| gateway_problem("showing a request", e))?
        .ok_or_else(|| Problem::not_found(format!("no request {id}")))?;
    if caller.is_agent() && !view.chain.iter().any(|c| c == caller.name()) {
        return Err(Problem::forbidden("an agent sees only its own requests"));
    }
    Ok(Json(view).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// Why (recorded in the audit log).
    pub reason: Option<String>,
    /// Leave a grant for the same action: `session`, or a period such as `30m`, `1h`, `2d`.
    #[serde(rename = "for")]
    pub for_: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerResult {
    pub request_id: i64,
    /// `counted` (more approvals needed), `approved` or `denied`.
    pub outcome: String,
    /// The request's state now.
    pub state: String,
    /// Distinct approvals so far and how many are needed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub have: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need: Option<u32>,
}

fn answer_result(id: i64, step: &Step) -> AnswerResult {
    let (outcome, state, have, need) = match step {
        Step::Counted { have, need } => ("counted", "pending", Some(*have), Some(*need)),
        Step::Approved => ("approved", "approved", None, None),
        Step::Denied => ("denied", "denied", None, None),
        // Approve and deny end in one of the three above; anything else is reported as the
        // state it left, never as success.
        Step::TimedOut(s) | Step::Reported(s) => ("other", s.as_str(), None, None),
        Step::Escalated { .. } => ("other", "pending", None, None),
        Step::Cancelled => ("other", "cancelled", None, None),
    };
    AnswerResult {
        request_id: id,
        outcome: outcome.into(),
        state: state.into(),
        have,
        need,
    }
}

/// `30s`, `15m`, `1h`, `2d` → milliseconds (at most a year).
fn period_ms(s: &str) -> Result<i64, Problem> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let bad = || {
        Problem::unprocessable(format!(
            "`{s}` is not `session` or a period like 30m, 1h, 2d"
        ))
    };
    let (num, unit) = s.split_at_checked(split).ok_or_else(bad)?;
    let n: i64 = num.parse().map_err(|_| bad())?;
    let mult = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(bad()),
    };
    n.checked_mul(mult)
        .filter(|v| *v > 0 && *v <= 366 * 86_400_000)
        .ok_or_else(bad)
}

/// Checks that an answer can be given at all before asking the gateway: 404 for no request,
/// 409 for one already decided, 403 for an agent or the requester (the gateway checks all of
/// this again, in the transaction that records the answer).
async fn precheck(state: &AppState, caller: &Caller, id: i64) -> Result<(), Problem> {
    if caller.is_agent() {
        return Err(Problem::forbidden(format!(
            "`{}` is an agent; agents never approve or deny",
            caller.name()
        )));
    }
    let view = state
        .gateway
        .request_view(id)
        .await
        .map_err(|e| gateway_problem("answering a request", e))?
        .ok_or_else(|| Problem::not_found(format!("no request {id}")))?;
    if view.chain.iter().any(|c| c == caller.name()) {
        return Err(Problem::forbidden(format!(
            "`{}` made this request (or is in its delegation chain) and cannot answer it",
            caller.name()
        )));
    }
    if view.state != State::Pending {
        return Err(Problem::conflict(format!(
            "request {id} is already {}",
            view.state.as_str()
        )));
    }
    // A second approval by the same person is refused by the gateway (409), which audits it:
    // one person counted twice in a quorum is a refusal the log must show.
    Ok(())
}

/// Approve a pending request (counts toward its quorum). With `for`, leave a grant for the same
/// action (only under rules with mode `once` or `session` and quorum 1).
#[utoipa::path(
    post,
    path = "/v1/requests/{id}/approve",
    tag = "requests",
    params(("id" = i64, Path, description = "Request id")),
    request_body = ApproveRequest,
    responses(
        (status = 200, description = "Counted or approved", body = AnswerResult),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an eligible approver (agents, the requester, a role the rule does not name)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided, or already approved by this person", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `for`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn approve(
    AxState(state): AxState<AppState>,
    Person(caller): Person,
    Path(id): Path<i64>,
    StrictJson(body): StrictJson<ApproveRequest>,
) -> Result<Json<AnswerResult>, Problem> {
    let scope = match body.for_.as_deref() {
        None => None,
        Some("session") => Some(GrantScope::Session),
        Some(p) => Some(GrantScope::For(period_ms(p)?)),
    };
    precheck(&state, &caller, id).await?;
    let step = state
        .gateway
        .approve(id, &caller.identity, body.reason.as_deref(), scope)
        .await
        // The gateway audits each of its refusals here.
        .map_err(|e| gateway_problem("approving", e).audited())?;
    state.hub.changed(id);
    state.hub.poke();
    Ok(Json(answer_result(id, &step)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DenyRequest {
    /// Why (recorded, and shown to the agent).
    pub reason: String,
}

/// Deny a pending request, with a reason the agent is shown.
#[utoipa::path(
    post,
    path = "/v1/requests/{id}/deny",
    tag = "requests",
    params(("id" = i64, Path, description = "Request id")),
    request_body = DenyRequest,
    responses(
        (status = 200, description = "Denied", body = AnswerResult),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an eligible approver", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn deny(
    AxState(state): AxState<AppState>,
    Person(caller): Person,
    Path(id): Path<i64>,
    StrictJson(body): StrictJson<DenyRequest>,
) -> Result<Json<AnswerResult>, Problem> {
    let reason = body.reason.trim();
    if reason.is_empty() {
        return Err(Problem::unprocessable("a denial needs a reason"));
    }
    precheck(&state, &caller, id).await?;
    let step = state
        .gateway
        .deny(id, &caller.identity, reason)
        .await
        // The gateway audits each of its refusals here.
        .map_err(|e| gateway_problem("denying", e).audited())?;
    state.hub.changed(id);
    state.hub.poke();
    Ok(Json(answer_result(id, &step)))
}

/// Server-Sent Events for one request: a `state` event at once, then one event per change
/// (`request.approval`, `request.decided`, `request.updated`), ending once it is decided.
#[utoipa::path(
    get,
    path = "/v1/requests/{id}/events",
    tag = "requests",
    params(("id" = i64, Path, description = "Request id")),
    responses(
        (status = 200, description = "An event stream", content_type = "text/event-stream", body = LiveEvent),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An agent asking for another's request", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn request_events(
    AxState(state): AxState<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    let gw = state.gateway.clone();
    let view = gw
        .request_view(id)
        .await
        .map_err(|e| gateway_problem("streaming a request", e))?
        .ok_or_else(|| Problem::not_found(format!("no request {id}")))?;
    if caller.is_agent() && !view.chain.iter().any(|c| c == caller.name()) {
        return Err(Problem::forbidden("an agent sees only its own requests"));
    }
    let mut live = state.hub.subscribe();
    let first = view.state;
    let stream = async_stream(move |tx| async move {
        let snapshot = serde_json::json!({"request_id": id, "state": first.as_str()});
        if tx
            .send(Event::default().event("state").data(snapshot.to_string()))
            .await
            .is_err()
        {
            return;
        }
        if first != State::Pending {
            return;
        }
        loop {
            let ev = match live.recv().await {
                Ok(ev) => ev,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => return,
            };
            if ev.request_id != Some(id) {
                continue;
            }
            let now = gw
                .request_state(id)
                .await
                .ok()
                .flatten()
                .map(|(s, _)| s)
                .unwrap_or(State::Pending);
            let mut data = serde_json::to_value(&*ev).unwrap_or_default();
            if let Some(o) = data.as_object_mut() {
                o.insert("state".into(), now.as_str().into());
            }
            let e = Event::default()
                .event(ev.kind.clone())
                .id(ev.seq.to_string())
                .data(data.to_string());
            if tx.send(e).await.is_err() {
                return;
            }
            if now != State::Pending {
                return;
            }
        }
    });
    Ok(sse_response(&state, stream))
}

#[cfg(test)]
mod tests {
    use super::period_ms;

    #[test]
    fn periods_parse_and_nonsense_is_refused() {
        assert_eq!(period_ms("30m").ok(), Some(1_800_000));
        assert_eq!(period_ms("2d").ok(), Some(172_800_000));
        assert_eq!(period_ms(" 1h ").ok(), Some(3_600_000));
        for bad in [
            "",
            "m",
            "30",
            "-1h",
            "1y",
            "0m",
            "99999999999999d",
            "1 h",
            "1h1m",
        ] {
            assert!(period_ms(bad).is_err(), "{bad}");
        }
    }
}
