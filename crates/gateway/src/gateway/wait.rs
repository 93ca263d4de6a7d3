//! Waiting on a pending request and redeeming its single-use token.

use super::events::redactor_event;
use super::*;
use assent_core::approval::State;
use assent_core::Action;
use serde_json::json;
use std::time::Duration;

/// How often a waiter looks at its request.
const POLL: Duration = Duration::from_millis(20);

impl Gateway {
    /// Waits until the request ends or `until_ms` passes (then the request is cancelled).
    pub async fn wait(&self, pending: &Pending, until_ms: i64) -> Result<WaitEnd, GatewayError> {
        loop {
            let now = self.now();
            let (state, deadline) = self
                .store
                .request_state(pending.request_id)
                .await?
                .ok_or(GatewayError::NoSuchRequest(pending.request_id))?;
            match state {
                State::Approved => return self.redeem(pending).await,
                State::Denied => {
                    return Ok(WaitEnd::Denied(self.last_reason(pending.request_id).await))
                }
                State::Expired => {
                    return Ok(WaitEnd::Expired(
                        "nobody answered in time; denied by on_timeout".into(),
                    ))
                }
                State::Cancelled => return Ok(WaitEnd::GaveUp),
                State::Executed | State::Failed => {
                    return Ok(WaitEnd::TokenRefused("request already executed".into()))
                }
                State::Pending => {}
            }
            if now >= deadline {
                self.expire(pending.request_id).await?;
                continue;
            }
            if now >= until_ms {
                self.cancel(pending.request_id, "the waiting agent stopped waiting")
                    .await?;
                // The request may have ended between the last look and the cancel.
                if let Some((s, _)) = self.store.request_state(pending.request_id).await? {
                    if s == State::Approved {
                        return self.redeem(pending).await;
                    }
                }
                return Ok(WaitEnd::GaveUp);
            }
            let left = (deadline.min(until_ms) - now).max(1) as u64;
            tokio::time::sleep(POLL.min(Duration::from_millis(left))).await;
        }
    }

    pub(super) async fn last_reason(&self, id: i64) -> String {
        match self.store.request(id).await {
            Ok(Some(r)) => r
                .body
                .answers
                .last()
                .and_then(|a| a.reason.clone())
                .unwrap_or_else(|| "denied by an approver".into()),
            _ => "denied".into(),
        }
    }

    /// Spends the single-use token bound to the request's digest.
    pub(super) async fn redeem(&self, pending: &Pending) -> Result<WaitEnd, GatewayError> {
        let mut tx = self.store.begin().await?;
        let row = tx
            .request(pending.request_id)
            .await?
            .ok_or(GatewayError::NoSuchRequest(pending.request_id))?;
        let ok = tx
            .redeem(
                pending.request_id,
                &sha256_hex(&pending.secret),
                &row.digest,
                self.now(),
            )
            .await?;
        let mut e = self.request_event(
            if ok {
                "token.redeemed"
            } else {
                "token.refused"
            },
            &row,
        );
        e.insert("decision".into(), json!(if ok { "allow" } else { "deny" }));
        tx.append(redactor_event(&self.redactor(), e)).await?;
        tx.commit().await?;
        Ok(if ok {
            WaitEnd::Approved
        } else {
            WaitEnd::TokenRefused("the approval token expired or was already used".into())
        })
    }

    /// Redeems a token for an action the caller is about to run, checking that the action is
    /// the one approved (same digest). For callers that hold the secret elsewhere.
    pub async fn redeem_for(
        &self,
        request_id: i64,
        secret: &str,
        action: &Action,
    ) -> Result<bool, GatewayError> {
        let mut tx = self.store.begin().await?;
        let digest = self.keyed(&action.digest());
        let ok = tx
            .redeem(request_id, &sha256_hex(secret), &digest, self.now())
            .await?;
        if let Some(row) = tx.request(request_id).await? {
            let mut e = self.request_event(
                if ok {
                    "token.redeemed"
                } else {
                    "token.refused"
                },
                &row,
            );
            e.insert("digest".into(), json!(digest));
            tx.append(redactor_event(&self.redactor(), e)).await?;
        }
        tx.commit().await?;
        Ok(ok)
    }
}
