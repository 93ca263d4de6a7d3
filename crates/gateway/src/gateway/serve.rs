//! What a long-running server needs from the gateway beyond the in-process front ends: handing
//! a pending request's wait secret to a remote requester and resuming its wait from it (one
//! look at a time, so that the server sleeps on its own wake-ups instead of polling),
//! following the audit log for live pages, and closing the store on shutdown.

use super::{sha256_hex, Gateway, GatewayError, Pending, WaitEnd};
use crate::audit::AuditQuery;
use assent_core::approval::State;
use serde::Serialize;

impl Pending {
    /// The secret that redeems this request's single-use approval. Only the requester may
    /// see it (the server returns it once, in the answer to `decide`).
    pub fn wait_secret(&self) -> &str {
        &self.secret
    }

    /// A pending request as a remote requester names it again: its id and the secret it was
    /// given. A wrong secret never redeems anything (the store compares hashes).
    pub fn resume(request_id: i64, deadline_ms: i64, secret: String) -> Pending {
        Pending {
            request_id,
            deadline_ms,
            secret,
        }
    }
}

/// One look at a request for a remote waiter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitLook {
    /// It ended (an approval was redeemed in this look, or it can no longer be).
    Ended(WaitEnd),
    /// Still pending until `deadline_ms` (which an escalation may move).
    Pending { deadline_ms: i64 },
    /// A timeout was just applied: look again.
    Again,
}

/// The columns of one audit event that live pages need (the body stays in the log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveAudit {
    pub seq: i64,
    pub event: String,
    pub request_id: Option<i64>,
    pub principal: Option<String>,
    pub decision: Option<String>,
    pub time_ms: Option<i64>,
}

/// Equal-time comparison of two hex digests.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Gateway {
    /// Who may wait on request `id` with `secret`: the request's delegation chain (requester
    /// first). A wrong secret is refused: without it nobody can wait on, and so cancel, a
    /// request that is not theirs.
    pub async fn waiter_chain(&self, id: i64, secret: &str) -> Result<Vec<String>, GatewayError> {
        let row = self
            .store
            .request(id)
            .await?
            .ok_or(GatewayError::NoSuchRequest(id))?;
        let ok = row
            .token_hash
            .as_deref()
            .is_some_and(|h| same(h, &sha256_hex(secret)));
        if !ok {
            return Err(GatewayError::Refused(format!(
                "wrong wait secret for request {id}"
            )));
        }
        Ok(row.body.approval.chain().to_vec())
    }

    /// One step of [`Gateway::wait`]: redeems an approval, reports an end, applies a due
    /// timeout, or (with `cancel_at`, once it passes) cancels the request because its waiter
    /// gave up.
    pub async fn wait_look(
        &self,
        pending: &Pending,
        cancel_at: Option<i64>,
    ) -> Result<WaitLook, GatewayError> {
        let id = pending.request_id;
        let now = self.now();
        let (state, deadline) = self
            .store
            .request_state(id)
            .await?
            .ok_or(GatewayError::NoSuchRequest(id))?;
        let end = match state {
            State::Approved => self.redeem(pending).await?,
            State::Denied => WaitEnd::Denied(self.last_reason(id).await),
            State::Expired => {
                WaitEnd::Expired("nobody answered in time; denied by on_timeout".into())
            }
            State::Cancelled => WaitEnd::GaveUp,
            State::Executed | State::Failed => {
                WaitEnd::TokenRefused("request already executed".into())
            }
            State::Pending => {
                if now >= deadline {
                    self.expire(id).await?;
                    return Ok(WaitLook::Again);
                }
                match cancel_at {
                    Some(at) if now >= at => {
                        self.cancel(id, "the waiting agent stopped waiting").await?;
                        // It may have ended between the look and the cancel.
                        return Ok(WaitLook::Again);
                    }
                    _ => {
                        return Ok(WaitLook::Pending {
                            deadline_ms: deadline,
                        })
                    }
                }
            }
        };
        Ok(WaitLook::Ended(end))
    }

    /// A request's state and deadline (cheaper than [`Gateway::request_view`]).
    pub async fn request_state(&self, id: i64) -> Result<Option<(State, i64)>, GatewayError> {
        Ok(self.store.request_state(id).await?)
    }

    /// The last audit sequence number (0 for an empty log).
    pub async fn audit_head(&self) -> Result<i64, GatewayError> {
        Ok(self.store.head().await?.map(|(seq, _)| seq).unwrap_or(0))
    }

    /// Audit events after `after`, at most `limit`, as live pages see them.
    pub async fn live_events(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<LiveAudit>, GatewayError> {
        let q = AuditQuery {
            after_seq: after,
            limit: Some(limit),
            ..AuditQuery::default()
        };
        Ok(self
            .audit()
            .query(&q)
            .await?
            .into_iter()
            .map(|e| LiveAudit {
                seq: e.seq,
                event: e.event.as_str().to_string(),
                request_id: e.request_id,
                principal: e.principal,
                decision: e.decision,
                time_ms: Some(e.time_ms),
            })
            .collect())
    }

    /// Closes the store's connections (after the last request has been answered).
    pub async fn close(&self) {
        self.store.close().await;
    }
}
