//! What happened when an allowed or approved action ran.

use super::events::redactor_event;
use super::*;
use crate::engine::Evaluation;
use serde_json::{json, Value};

impl Gateway {
    /// The enforcement point reports what happened to an approved request's action.
    pub async fn report_execution(
        &self,
        id: i64,
        ok: bool,
        detail: Value,
    ) -> Result<(), GatewayError> {
        let reason = if ok {
            "ran and succeeded"
        } else {
            "ran and failed"
        };
        self.transition(
            id,
            |a, _, _, _| a.report(ok),
            "execution",
            None,
            Some(reason),
            None,
        )
        .await?;
        // The run's exit status and duration go in `detail`, as for runs policy allowed outright.
        let mut tx = self.store.begin().await?;
        if let Some(row) = tx.request(id).await? {
            let mut e = self.request_event("execution.result", &row);
            e.insert("decision".into(), json!(if ok { "allow" } else { "deny" }));
            e.insert("reason".into(), json!(reason));
            e.insert("detail".into(), detail);
            tx.append(redactor_event(&self.redactor(), e)).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records the outcome of an action that policy allowed outright (no request).
    pub async fn record_execution(
        &self,
        ev: &Evaluation,
        ok: bool,
        detail: Value,
    ) -> Result<(), GatewayError> {
        let mut tx = self.store.begin().await?;
        let mut e = self.action_event("execution", ev);
        e.insert("decision".into(), json!(if ok { "allow" } else { "deny" }));
        e.insert(
            "reason".into(),
            json!(if ok {
                "ran and succeeded"
            } else {
                "ran and failed"
            }),
        );
        e.insert("detail".into(), detail);
        tx.append(redactor_event(&self.redactor(), e)).await?;
        tx.commit().await?;
        Ok(())
    }
}
