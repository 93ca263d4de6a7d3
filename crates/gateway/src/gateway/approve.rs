//! Approve, deny, expire and cancel: who may, and the transitions they drive.

use super::*;
use assent_core::approval::Outcome as Step;
use assent_core::approval::State;
use assent_core::Mode;

impl Gateway {
    /// Counts `who`'s approval. `who` is a proven identity (a token, or the local
    /// administrator), so quorum counts distinct proven principals, and the requester's whole
    /// delegation chain is refused by the state machine.
    pub async fn approve(
        &self,
        id: i64,
        who: &Identity,
        reason: Option<&str>,
        grant: Option<GrantScope>,
    ) -> Result<Step, GatewayError> {
        let approver = who.name();
        if grant.is_some() {
            // A grant lets later identical actions through without anyone: only where the
            // policy allows repeats (`once`/`session`) and one approver decides.
            if let Some(row) = self.store.request(id).await? {
                let requirement = row.body.approval.requirement();
                let (mode, quorum) = (requirement.mode, requirement.quorum);
                if mode == Mode::Always || quorum > 1 {
                    let why = format!(
                        "request {id} is under a rule with mode `{}` and quorum {quorum}, which leaves no grant; approve without --for", mode.as_str()
                    );
                    // Audited like the refusals of the state machine (`approval.refused`).
                    let mut e = self.request_event("approval.refused", &row);
                    e.insert("approver".into(), serde_json::json!(approver));
                    e.insert("reason".into(), serde_json::json!(why));
                    self.append_one(e).await?;
                    return Err(GatewayError::Refused(why));
                }
            }
        }
        let engine = self.engine();
        let policy = &engine.policy;
        self.transition(
            id,
            |a, facts, kind, now| {
                let eligible = policy.may_approve(who, &a.requirement().approvers, kind, facts);
                a.approve(who, eligible, now)
            },
            "approve",
            Some(approver),
            reason,
            grant,
        )
        .await
    }

    pub async fn deny(&self, id: i64, who: &Identity, reason: &str) -> Result<Step, GatewayError> {
        let approver = who.name();
        let engine = self.engine();
        let policy = &engine.policy;
        self.transition(
            id,
            |a, facts, kind, now| {
                let eligible = policy.may_approve(who, &a.requirement().approvers, kind, facts);
                a.deny(who, eligible, now)
            },
            "deny",
            Some(approver),
            Some(reason),
            None,
        )
        .await
    }

    pub async fn expire(&self, id: i64) -> Result<Step, GatewayError> {
        self.transition(id, |a, _, _, now| a.expire(now), "expire", None, None, None)
            .await
    }

    pub async fn cancel(&self, id: i64, why: &str) -> Result<(), GatewayError> {
        match self
            .transition(id, |a, _, _, _| a.cancel(), "cancel", None, Some(why), None)
            .await
        {
            Ok(_) | Err(GatewayError::Refused(_) | GatewayError::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Applies `on_timeout` to every pending request past its deadline.
    pub async fn expire_due(&self) -> Result<usize, GatewayError> {
        let now = self.now();
        let mut n = 0;
        for r in self.store.requests_in_state(State::Pending, 10_000).await? {
            if r.deadline_ms <= now && self.expire(r.id).await.is_ok() {
                n += 1;
            }
        }
        Ok(n)
    }
}
