//! `POST /v1/hook/claude-code`: Claude Code's PreToolUse hook, answered by the server.
//!
//! The body is the hook input exactly as Claude Code wrote it; the answer is what the hook
//! process must print and its exit status, so `assent hook claude-code` (the thin client)
//! only relays it and never parses policy itself. The principal is the token's.
//!
//! The first step (decide, and for an allowed Bash command the sandbox rewrite, which the
//! CLI owns) is the [`HookResponder`] the server was started with. For an `ask` this route
//! then waits for a person the way `/v1/requests/{id}/wait` does (woken by the audit tail,
//! not by polling), up to `max_wait`, and answers allow only for an approval redeemed here.
//! It is a long route (not under the per-request time limit) and answers deny when the
//! server begins shutting down.

use crate::auth::Caller;
use crate::extract::ApiQuery;
use crate::problem::Problem;
use crate::AppState;
use assent_adapters::HookAnswer;
use assent_gateway::{now_ms, Gateway, Pending, WaitEnd};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The hook waits for a person: it is a long route (its own limit, `max_wait`).
pub fn long_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(claude_code))
}

/// What the hook process prints on stdout (one JSON line) and the status it exits with.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct HookReply {
    pub stdout: String,
    pub exit_code: i32,
}

impl HookReply {
    pub fn answer(a: &HookAnswer) -> HookReply {
        HookReply {
            stdout: format!("{}\n", a.to_line()),
            exit_code: 0,
        }
    }

    /// A deny answer (exit 0: Claude Code reads the JSON).
    pub fn deny(reason: &str) -> HookReply {
        HookReply::answer(&HookAnswer::plain(false, reason))
    }
}

/// The first step of a hook call.
pub enum HookStep {
    /// Decided: answer this.
    Answer(HookAnswer),
    /// An approval request was made: wait for a person. `reason` is the rule's.
    Wait(Pending),
}

pub type HookFuture = Pin<Box<dyn Future<Output = HookStep> + Send>>;

/// Decides one hook input for an authenticated principal. Every failure must come back as
/// a deny answer.
pub trait HookResponder: Send + Sync {
    fn decide(&self, gateway: Arc<Gateway>, input: String, principal: String) -> HookFuture;
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HookQuery {
    /// Longest wait for a person, in seconds (default 290, capped by the server).
    pub max_wait: Option<u64>,
}

/// Default wait for a person, as the in-process hook's `--max-wait`.
const DEFAULT_MAX_WAIT: u64 = 290;

/// Answer a Claude Code PreToolUse hook call for the token's principal: decide, and for an
/// `ask` wait for a person (up to `max_wait`). The answer is what the hook prints.
#[utoipa::path(
    post,
    path = "/v1/hook/claude-code",
    tag = "requests",
    params(HookQuery),
    request_body(content = Object, content_type = "application/json", description = "Claude Code's PreToolUse hook input, as the hook read it"),
    responses(
        (status = 200, description = "What the hook prints and its exit status (a deny for input that is not a tool call)", body = HookReply),
        (status = 400, description = "The body is not UTF-8 or the query is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "This server does not answer hooks", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn claude_code(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<HookQuery>,
    body: Bytes,
) -> Result<Json<HookReply>, Problem> {
    let responder = state.hook.clone().ok_or_else(|| {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "this server was started without a hook responder",
        )
    })?;
    let input = String::from_utf8(body.to_vec())
        .map_err(|_| Problem::bad_request("the hook input is not UTF-8"))?;
    let wait =
        Duration::from_secs(q.max_wait.unwrap_or(DEFAULT_MAX_WAIT)).min(state.limits.max_wait);
    let until = now_ms().saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
    let step = responder
        .decide(state.gateway.clone(), input, caller.name().to_string())
        .await;
    let pending = match step {
        HookStep::Answer(a) => return Ok(Json(HookReply::answer(&a))),
        HookStep::Wait(p) => p,
    };
    state.hub.poke();
    let id = pending.request_id;
    let answer = match wait_end(&state, &pending, until).await {
        Ok(Some(end)) => {
            let (allow, reason) = match end {
                WaitEnd::Approved => (true, format!("assent: request {id} approved")),
                WaitEnd::Denied(why) => (false, format!("assent: request {id} denied: {why}")),
                WaitEnd::Expired(why) => (false, format!("assent: request {id} {why}")),
                WaitEnd::GaveUp => (
                    false,
                    format!(
                        "assent: request {id} was not answered within {}s; action not run",
                        wait.as_secs()
                    ),
                ),
                WaitEnd::TokenRefused(why) => (false, format!("assent: request {id}: {why}")),
            };
            HookAnswer::plain(allow, reason)
        }
        Ok(None) => HookAnswer::plain(
            false,
            format!("assent: the server is shutting down before request {id} was answered; action not run"),
        ),
        Err(e) => HookAnswer::plain(false, format!("assent: request {id}: {e}; action not run")),
    };
    Ok(Json(HookReply::answer(&answer)))
}

/// Waits until the request ends or `until` passes (then it is cancelled: the hook stops
/// waiting). `None` when the server shuts down first.
async fn wait_end(
    state: &AppState,
    pending: &Pending,
    until: i64,
) -> Result<Option<WaitEnd>, assent_gateway::GatewayError> {
    let gw = &state.gateway;
    let id = pending.request_id;
    // Registered before the first look: a change after this always wakes us.
    let mut waiting = state.hub.wait_for(id);
    let mut shutdown = state.shutdown.clone();
    loop {
        let deadline = match gw.wait_look(pending, Some(until)).await? {
            assent_gateway::WaitLook::Ended(end) => {
                state.hub.changed(id);
                state.hub.poke();
                return Ok(Some(end));
            }
            assent_gateway::WaitLook::Again => continue,
            assent_gateway::WaitLook::Pending { deadline_ms } => deadline_ms,
        };
        let next = deadline
            .min(until)
            .saturating_sub(now_ms())
            .clamp(1, 30_000) as u64;
        tokio::select! {
            _ = waiting.changed.changed() => {}
            _ = tokio::time::sleep(Duration::from_millis(next)) => {}
            _ = shutdown.wait_for(|s| *s) => return Ok(None),
        }
    }
}
