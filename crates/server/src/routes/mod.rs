//! One file per area of the API. Each adds its routes in `crate::api` with one line.

pub mod audit;
pub mod grants;
pub mod hook;
pub mod identity;
pub mod live;
pub mod meta;
pub mod policy;
pub mod requests;

use crate::problem::Problem;
use crate::AppState;
use assent_gateway::{GatewayError, StoreError};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use std::convert::Infallible;
use std::future::Future;
use tokio::sync::mpsc;

/// A gateway error as a problem, by its type: 404 for what does not exist, 409 for what is
/// already settled or lost a race to another change (an answer to a decided request, a second
/// approval by the same person, a revocation of what is revoked, a stale policy version), 403
/// for every other refusal, 500 (with nothing internal in the text) otherwise.
pub fn gateway_problem(context: &str, e: GatewayError) -> Problem {
    match e {
        GatewayError::NoSuchRequest(id) => Problem::not_found(format!("no request {id}")),
        GatewayError::NoSuchGrant(id) => Problem::not_found(format!("no grant {id}")),
        GatewayError::NoSuchToken(id) => Problem::not_found(format!("no token {id}")),
        GatewayError::Refused(why) => Problem::forbidden(why),
        GatewayError::Conflict(why) => Problem::conflict(why),
        GatewayError::Store(StoreError::Conflict(why)) => Problem::conflict(why),
        GatewayError::Store(e @ StoreError::Stale { .. }) => Problem::conflict(e.to_string()),
        other => Problem::internal(context, &other),
    }
}

/// Stops the task behind a stream when the client goes away.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A stream fed by a task: `f` gets a sender and sends events until it returns or the
/// client disconnects (then the task is aborted).
pub fn async_stream<F, Fut>(f: F) -> impl Stream<Item = Event> + Send + 'static
where
    F: FnOnce(mpsc::Sender<Event>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(64);
    let guard = AbortOnDrop(tokio::spawn(f(tx)));
    futures_util::stream::unfold((rx, guard), |(mut rx, guard)| async move {
        rx.recv().await.map(|e| (e, (rx, guard)))
    })
}

/// An SSE response with keep-alives, ending at the server's stream lifetime or shutdown
/// (clients reconnect; `Last-Event-ID` resumes `/v1/events`).
pub fn sse_response(
    state: &AppState,
    stream: impl Stream<Item = Event> + Send + 'static,
) -> Response {
    let mut shutdown = state.shutdown.clone();
    let lifetime = state.limits.max_stream;
    let end = async move {
        tokio::select! {
            _ = shutdown.wait_for(|s| *s) => {}
            _ = tokio::time::sleep(lifetime) => {}
        }
    };
    let stream = stream
        .take_until(Box::pin(end))
        .map(Ok::<Event, Infallible>);
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}
