//! Deciding an action and making it durable (request, decision, pending approval, grant use).

use super::events::redactor_event;
use super::*;
use assent_adapters::Adapted;
use assent_core::approval::Approval;
use assent_core::Verdict;
use assent_store::RequestBody;
use serde_json::json;

impl Gateway {
    /// Decides an action and makes it durable: a `request` and a `decision` event, and for
    /// `ask` a pending request (unless a grant covers it). Nothing is answered before the
    /// transaction commits.
    pub async fn decide(
        &self,
        adapted: &Adapted,
        principal: &str,
    ) -> Result<Requested, GatewayError> {
        // One version decides this action from start to end, and is recorded with it.
        let engine = self.engine();
        let mut evaluation = engine.evaluate(adapted, principal);
        evaluation.digest = self.keyed(&evaluation.digest);
        let now = self.now();
        let d = &evaluation.decision;
        let mut tx = self.store.begin().await?;
        let who = evaluation
            .chain
            .first()
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let session = evaluation.action.session.clone().unwrap_or_default();
        let outcome = match d.decision {
            Verdict::Allow => Outcome::Allowed { grant: None },
            Verdict::Deny => Outcome::Denied,
            Verdict::Ask => match tx
                .find_grant(&evaluation.digest, &who, &session, now)
                .await?
            {
                Some(g) => {
                    let mut e = self.action_event("grant.used", &evaluation);
                    e.insert("decision".into(), json!("allow"));
                    e.insert("rule".into(), json!(format!("grant:{}", g.id)));
                    e.insert(
                        "reason".into(),
                        json!(format!(
                            "grant {} (approved in request {}) covers this action",
                            g.id, g.request_id
                        )),
                    );
                    e.insert("request_id".into(), json!(g.request_id));
                    tx.append(redactor_event(&self.redactor(), e)).await?;
                    Outcome::Allowed { grant: Some(g.id) }
                }
                None => {
                    let requirement = d
                        .requirement
                        .clone()
                        .ok_or_else(|| GatewayError::Policy("ask without a requirement".into()))?;
                    let deadline_ms =
                        now.saturating_add((requirement.timeout_s as i64).saturating_mul(1000));
                    let approval = Approval::new(
                        requirement,
                        deadline_ms,
                        evaluation.chain.iter().map(|p| p.name.clone()).collect(),
                    );
                    let secret = new_secret()?;
                    let body = self.redact_body(RequestBody {
                        action: evaluation.action.clone(),
                        digest: evaluation.digest.clone(),
                        summary: summarize(&evaluation.action),
                        facts: evaluation.facts.clone(),
                        decision: evaluation.decision.clone(),
                        explanation: to_record(&self.explain_evaluation(&evaluation)),
                        diff: self.capture_diff(&evaluation).and_then(|d| to_record(&d)),
                        approval,
                        answers: Vec::new(),
                    })?;
                    let token_hash = sha256_hex(&secret);
                    let id = tx
                        .insert_request(&assent_store::NewRequest {
                            created_ms: now,
                            session: &session,
                            principal: &who,
                            body: &body,
                            digest: &evaluation.digest,
                            token_hash: &token_hash,
                        })
                        .await?;
                    Outcome::Pending(Pending {
                        request_id: id,
                        deadline_ms,
                        secret,
                    })
                }
            },
        };
        let mut request_ev = self.action_event("request", &evaluation);
        if let Outcome::Pending(p) = &outcome {
            request_ev.insert("request_id".into(), json!(p.request_id));
        }
        tx.append(redactor_event(&self.redactor(), request_ev))
            .await?;
        let mut e = self.action_event("decision", &evaluation);
        Self::decision_fields(&mut e, d);
        if let Outcome::Pending(p) = &outcome {
            e.insert("request_id".into(), json!(p.request_id));
        }
        if let Outcome::Allowed { grant: Some(g) } = &outcome {
            e.insert("decision".into(), json!("allow"));
            e.insert("rule".into(), json!(format!("grant:{g}")));
        }
        tx.append(redactor_event(&self.redactor(), e)).await?;
        tx.commit().await?;
        Ok(Requested {
            evaluation,
            outcome,
        })
    }
}

/// A presentation record as the store keeps it (opaque to the store; typed again on reading).
fn to_record<T: serde::Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}
