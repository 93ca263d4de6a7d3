//! `/v1/events`: every change as Server-Sent Events, for live pages (the console's queue).

use super::{async_stream, gateway_problem, sse_response};
use crate::auth::Person;
use crate::hub::{live_kind, LiveEvent};
use crate::problem::Problem;
use crate::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::Event;
use axum::response::Response;
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn long_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// Most events replayed after a reconnect (`Last-Event-ID`); older ones are in the audit log.
const REPLAY_MAX: i64 = 1000;

fn sse(ev: &LiveEvent) -> Event {
    Event::default()
        .event(ev.kind.clone())
        .id(ev.seq.to_string())
        .data(serde_json::to_string(ev).unwrap_or_default())
}

/// Live events (people only): `request.created`, `request.approval`, `request.decided`,
/// `request.updated`, `grant.created`, `grant.revoked`, `policy.*`, `audit`. Each event's id
/// is its audit sequence number; reconnecting with `Last-Event-ID` replays what was missed
/// (up to 1000 events).
#[utoipa::path(
    get,
    path = "/v1/events",
    tag = "requests",
    params(("Last-Event-ID" = Option<i64>, Header, description = "Resume after this audit sequence number")),
    responses(
        (status = 200, description = "An event stream", content_type = "text/event-stream", body = LiveEvent),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An agent", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn events(
    State(state): State<AppState>,
    _: Person,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let last: Option<i64> = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    // Subscribe before reading the replay, so nothing falls between the two.
    let mut live = state.hub.subscribe();
    let replay = match last {
        Some(after) => {
            let head = state
                .gateway
                .audit_head()
                .await
                .map_err(|e| gateway_problem("reading the audit log", e))?;
            let from = after.max(head - REPLAY_MAX).max(0);
            state
                .gateway
                .live_events(from, REPLAY_MAX)
                .await
                .map_err(|e| gateway_problem("reading the audit log", e))?
        }
        None => Vec::new(),
    };
    let stream = async_stream(move |tx| async move {
        let mut seen = last.unwrap_or(0);
        for e in replay {
            seen = seen.max(e.seq);
            let ev = LiveEvent {
                seq: e.seq,
                kind: live_kind(&e.event, e.request_id),
                event: e.event,
                request_id: e.request_id,
                principal: e.principal,
                decision: e.decision,
                time_ms: e.time_ms,
            };
            if tx.send(sse(&ev)).await.is_err() {
                return;
            }
        }
        loop {
            match live.recv().await {
                Ok(ev) => {
                    if ev.seq <= seen {
                        continue;
                    }
                    seen = ev.seq;
                    if tx.send(sse(&ev)).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    // Tell the page it missed some: it reloads its lists.
                    let e = Event::default()
                        .event("lagged")
                        .data(format!("{{\"missed\":{n}}}"));
                    if tx.send(e).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
    Ok(sse_response(&state, stream))
}
