//! One approval-state transition of a stored request, with its audit events and any grant it leaves.

use super::events::redactor_event;
use super::*;
use assent_core::approval::{Approval, Outcome as Step, Refusal, State};
use assent_core::{Facts, Kind, Mode};
use assent_store::{Answer, GrantRow};
use serde_json::json;

/// How long an armed token stays redeemable after approval.
const TOKEN_TTL_MS: i64 = 5 * 60 * 1000;

impl Gateway {
    pub(super) async fn transition(
        &self,
        id: i64,
        f: impl FnOnce(&mut Approval, &Facts, Kind, i64) -> Result<Step, Refusal>,
        name_ok: &str,
        actor: Option<&str>,
        reason: Option<&str>,
        grant: Option<GrantScope>,
    ) -> Result<Step, GatewayError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let row = tx
            .request(id)
            .await?
            .ok_or(GatewayError::NoSuchRequest(id))?;
        let mut body = row.body.clone();
        let kind = body.action.kind;
        match f(&mut body.approval, &body.facts, kind, now) {
            Err(refusal) => {
                let mut e = self.request_event("approval.refused", &row);
                e.insert("approver".into(), json!(actor));
                e.insert("reason".into(), json!(refusal.to_string()));
                tx.append(redactor_event(&self.redactor(), e)).await?;
                tx.commit().await?;
                Err(match refusal {
                    Refusal::NotPending(_) | Refusal::Expired | Refusal::AlreadyApproved(_) => {
                        GatewayError::Conflict(refusal.to_string())
                    }
                    _ => GatewayError::Refused(refusal.to_string()),
                })
            }
            Ok(step) => {
                if let Some(a) = actor {
                    body.answers.push(Answer {
                        by: a.to_string(),
                        at: rfc3339(now),
                        step: name_ok.to_string(),
                        reason: reason.map(str::to_string),
                    });
                }
                let body = self.redact_body(body)?;
                let approval = &body.approval;
                let token_expires =
                    (approval.state() == State::Approved).then(|| now + TOKEN_TTL_MS);
                tx.update_request(id, &body, token_expires).await?;
                let event_name = match &step {
                    Step::Counted { .. } => "approval",
                    Step::Approved => "approved",
                    Step::Denied => "denial",
                    Step::TimedOut(State::Approved) => "approved",
                    Step::TimedOut(_) => "expiry",
                    Step::Escalated { .. } => "escalation",
                    Step::Cancelled => "cancelled",
                    Step::Reported(_) => "execution",
                };
                let mut e = self.request_event(event_name, &row);
                e.insert("approver".into(), json!(actor));
                e.insert(
                    "reason".into(),
                    json!(reason
                        .map(str::to_string)
                        .unwrap_or_else(|| describe(&step))),
                );
                e.insert(
                    "decision".into(),
                    json!(match approval.state() {
                        State::Approved | State::Executed => "allow",
                        State::Pending => "ask",
                        _ => "deny",
                    }),
                );
                e.insert("detail".into(), json!({"state": approval.state().as_str(), "approvals": approval.approvals(), "quorum": approval.requirement().quorum, "approvers": approval.requirement().approvers}));
                tx.append(redactor_event(&self.redactor(), e)).await?;
                if approval.state() == State::Approved && matches!(step, Step::Approved) {
                    // "Ask once" leaves a grant behind for the same action.
                    let scope = grant.or(match approval.requirement().mode {
                        Mode::Once => Some(GrantScope::For(
                            self.engine().policy.resolved.grant_ttl_s as i64 * 1000,
                        )),
                        Mode::Session => Some(GrantScope::Session),
                        Mode::Always => None,
                    });
                    if let Some(scope) = scope {
                        let (session, expires) = match scope {
                            GrantScope::Session => {
                                (Some(row.session.clone()), now + 24 * 3600 * 1000)
                            }
                            GrantScope::For(ms) => (None, now + ms),
                        };
                        let g = GrantRow {
                            id: 0,
                            digest: row.digest.clone(),
                            principal: row.principal.clone(),
                            session,
                            created_ms: now,
                            expires_ms: expires,
                            revoked_ms: None,
                            request_id: id,
                            created_by: actor.unwrap_or("policy").to_string(),
                            summary: body.summary.clone(),
                        };
                        let gid = tx.insert_grant(&g).await?;
                        let mut e = self.request_event("grant.created", &row);
                        e.insert("approver".into(), json!(actor));
                        e.insert(
                            "reason".into(),
                            json!(format!("grant {gid} until {}", rfc3339(expires))),
                        );
                        e.insert("detail".into(), json!({"grant": gid, "session": g.session, "expires": rfc3339(expires)}));
                        tx.append(redactor_event(&self.redactor(), e)).await?;
                    }
                }
                tx.commit().await?;
                Ok(step)
            }
        }
    }
}

fn describe(step: &Step) -> String {
    match step {
        Step::Counted { have, need } => format!("approval {have} of {need}"),
        Step::Approved => "quorum reached".into(),
        Step::Denied => "denied".into(),
        Step::TimedOut(State::Approved) => "timed out; allowed by on_timeout".into(),
        Step::TimedOut(_) => "timed out; denied by on_timeout".into(),
        Step::Escalated { role, .. } => format!("timed out; escalated to {role}"),
        Step::Cancelled => "cancelled".into(),
        Step::Reported(s) => format!("reported {}", s.as_str()),
    }
}
