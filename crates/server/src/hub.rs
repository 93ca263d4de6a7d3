//! Live updates: who is waiting on which request, and the event stream for live pages.
//!
//! The audit log is the one source of truth for every change, whichever process made it (this
//! server, an approver CLI on the same database, a second replica): a tail task follows it and
//! (1) wakes the waiters of each request an event names, (2) publishes every event to the
//! SSE subscribers. Handlers of this server also wake waiters directly after their own
//! changes, so approve → release does not wait for the tail's next look.
//!
//! The tail reads only while someone listens (a waiter or a stream); when nobody does, it
//! moves its position to the head, read *before* checking for listeners, so that a waiter who
//! registers meanwhile still sees every event after its registration.

use assent_gateway::Gateway;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, watch, Notify};

/// One audit event as live pages see it: what happened, to which request, decided how.
/// Details come from the API (`GET /v1/requests/{id}`), with its access checks.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LiveEvent {
    pub seq: i64,
    /// The SSE event type: `request.created`, `request.approval`, `request.decided`,
    /// `request.updated`, `grant.created`, `grant.revoked`, `policy.<what>`, `audit`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The audit event's own name (`decision`, `approved`, `denial`, …).
    pub event: String,
    pub request_id: Option<i64>,
    pub principal: Option<String>,
    pub decision: Option<String>,
    pub time_ms: Option<i64>,
}

/// The SSE type of an audit event.
pub fn live_kind(event: &str, request_id: Option<i64>) -> String {
    match event {
        "request" if request_id.is_some() => "request.created".into(),
        "approval" => "request.approval".into(),
        "approved" | "denial" | "expiry" | "cancelled" | "escalation" => "request.decided".into(),
        "token.redeemed" | "token.refused" | "execution" | "execution.result"
            if request_id.is_some() =>
        {
            "request.updated".into()
        }
        "grant.created" | "grant.revoked" | "grant.used" => event.into(),
        e if e.starts_with("policy.") => e.into(),
        _ => "audit".into(),
    }
}

/// Waiters by request id, and the broadcast of live events.
pub struct Hub {
    waiters: Mutex<HashMap<i64, watch::Sender<u64>>>,
    live: broadcast::Sender<Arc<LiveEvent>>,
    poke: Notify,
}

/// A waiter's registration; dropping it unregisters.
pub struct Waiting {
    hub: Arc<Hub>,
    id: i64,
    pub changed: watch::Receiver<u64>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Ok(mut map) = self.hub.waiters.lock() {
            // This receiver is still alive here: it is the last one when the count is 1.
            if map.get(&self.id).is_some_and(|s| s.receiver_count() <= 1) {
                map.remove(&self.id);
            }
        }
    }
}

impl Hub {
    pub fn new() -> Arc<Hub> {
        let (live, _) = broadcast::channel(4096);
        Arc::new(Hub {
            waiters: Mutex::new(HashMap::new()),
            live,
            poke: Notify::new(),
        })
    }

    /// Registers interest in request `id`. Register first, then look at the request: a
    /// change after the registration always wakes `changed`.
    pub fn wait_for(self: &Arc<Hub>, id: i64) -> Waiting {
        let changed = match self.waiters.lock() {
            Ok(mut map) => map
                .entry(id)
                .or_insert_with(|| watch::channel(0).0)
                .subscribe(),
            // A poisoned map: a receiver nobody wakes; the waiter's own timers still run.
            Err(_) => watch::channel(0).1,
        };
        self.poke.notify_one();
        Waiting {
            hub: self.clone(),
            id,
            changed,
        }
    }

    /// Wakes everyone waiting on `id` (they look at the request again).
    pub fn changed(&self, id: i64) {
        if let Ok(map) = self.waiters.lock() {
            if let Some(s) = map.get(&id) {
                s.send_modify(|v| *v = v.wrapping_add(1));
            }
        }
    }

    /// Asks the tail to look at the log now (after a change made here).
    pub fn poke(&self) {
        self.poke.notify_one();
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        let rx = self.live.subscribe();
        self.poke.notify_one();
        rx
    }

    pub fn waiting(&self) -> usize {
        self.waiters.lock().map(|m| m.len()).unwrap_or(0)
    }

    fn listened(&self) -> bool {
        self.live.receiver_count() > 0 || self.waiting() > 0
    }

    /// Follows the audit log until `stop` turns true.
    pub async fn tail(self: Arc<Hub>, gw: Arc<Gateway>, mut stop: watch::Receiver<bool>) {
        let mut after = match gw.audit_head().await {
            Ok(h) => h,
            Err(e) => {
                eprintln!("assent serve: cannot read the audit head: {e}");
                0
            }
        };
        loop {
            tokio::select! {
                _ = self.poke.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            // Read the head before asking whether anyone listens (see the module comment).
            let head = match gw.audit_head().await {
                Ok(h) => h,
                Err(_) => continue,
            };
            if !self.listened() {
                after = head;
                continue;
            }
            while after < head {
                let batch = match gw.live_events(after, 1000).await {
                    Ok(b) => b,
                    Err(e) => {
                        eprintln!("assent serve: cannot read the audit log: {e}");
                        break;
                    }
                };
                let Some(last) = batch.last() else { break };
                after = last.seq;
                for ev in batch {
                    if let Some(id) = ev.request_id {
                        self.changed(id);
                    }
                    let kind = live_kind(&ev.event, ev.request_id);
                    let _ = self.live.send(Arc::new(LiveEvent {
                        seq: ev.seq,
                        kind,
                        event: ev.event,
                        request_id: ev.request_id,
                        principal: ev.principal,
                        decision: ev.decision,
                        time_ms: ev.time_ms,
                    }));
                }
            }
        }
    }
}
