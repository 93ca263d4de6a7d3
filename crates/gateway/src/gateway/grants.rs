//! Grants: revocation.

use super::events::{base_event, redactor_event};
use super::*;
use serde_json::json;

impl Gateway {
    pub async fn revoke(&self, grant_id: i64, by: &Identity) -> Result<(), GatewayError> {
        if by.is_agent() {
            return Err(GatewayError::Refused(format!(
                "`{}` is an agent; agents never revoke grants",
                by.name()
            )));
        }
        let by = by.name();
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let g = tx
            .revoke_grant(grant_id, now)
            .await?
            .ok_or(GatewayError::NoSuchGrant(grant_id))?;
        let mut e = base_event("grant.revoked", now);
        e.insert("approver".into(), json!(by));
        e.insert("principal".into(), json!(g.principal));
        e.insert("digest".into(), json!(g.digest));
        e.insert("request_id".into(), json!(g.request_id));
        e.insert("summary".into(), json!(g.summary));
        e.insert(
            "reason".into(),
            json!(format!("grant {grant_id} revoked by {by}")),
        );
        tx.append(redactor_event(&self.redactor(), e)).await?;
        tx.commit().await?;
        Ok(())
    }
}
