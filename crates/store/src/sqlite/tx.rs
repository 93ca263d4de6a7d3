//! The writes of one member of a batch (`group.rs`): every statement runs inside the member's
//! savepoint, on the batch's connection.

use super::group::GroupTx;
use super::{grant_from_row, policy_from_row, q, request_from_row, token_from_row};
use super::{GRANT_COLUMNS, POLICY_COLUMNS, REQUEST_COLUMNS, TOKEN_COLUMNS};
use crate::{
    body, BoxFuture, GrantRow, NewPolicyVersion, NewRequest, PolicyVersionRow, RequestBody,
    RequestRow, StoreError, TokenRow, Tx,
};
use assent_core::approval::State;
use sqlx::Row;

impl Tx for GroupTx {
    fn commit(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(GroupTx::commit(*self))
    }

    fn chain_head(&mut self) -> BoxFuture<'_, Option<(i64, String)>> {
        Box::pin(GroupTx::chain_head(self))
    }

    fn put_event<'a>(&'a mut self, seq: i64, body: &'a str, hash: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(std::future::ready(GroupTx::put_event(
            self, seq, body, hash,
        )))
    }

    fn insert_request<'a>(&'a mut self, r: &'a NewRequest<'a>) -> BoxFuture<'a, i64> {
        Box::pin(async move {
            if r.body.approval.state() != State::Pending {
                return Err(StoreError::Conflict("a new request must be pending".into()));
            }
            let row = sqlx::query("INSERT INTO requests (created_ms, session, principal, body, state, deadline_ms, digest, token_hash, token_used) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0) RETURNING id")
                .bind(r.created_ms)
                .bind(r.session)
                .bind(r.principal)
                .bind(body::to_text(r.body)?)
                .bind(State::Pending.as_str())
                .bind(r.body.approval.deadline_ms())
                .bind(r.digest)
                .bind(r.token_hash)
                .fetch_one(self.conn().await?)
                .await?;
            Ok(row.get(0))
        })
    }

    fn request(&mut self, id: i64) -> BoxFuture<'_, Option<RequestRow>> {
        Box::pin(async move {
            let row = sqlx::query(q(format!(
                "SELECT {REQUEST_COLUMNS} FROM requests WHERE id = ?"
            )))
            .bind(id)
            .fetch_optional(self.conn().await?)
            .await?;
            row.map(request_from_row).transpose()
        })
    }

    fn update_request<'a>(
        &'a mut self,
        id: i64,
        body: &'a RequestBody,
        token_expires_ms: Option<i64>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let r = sqlx::query("UPDATE requests SET state = ?, body = ?, deadline_ms = ?, token_expires_ms = ? WHERE id = ?")
                .bind(body.approval.state().as_str())
                .bind(body::to_text(body)?)
                .bind(body.approval.deadline_ms())
                .bind(token_expires_ms)
                .bind(id)
                .execute(self.conn().await?)
                .await?;
            if r.rows_affected() != 1 {
                return Err(StoreError::Conflict(format!("no request {id}")));
            }
            Ok(())
        })
    }

    fn redeem<'a>(
        &'a mut self,
        id: i64,
        token_hash: &'a str,
        digest: &'a str,
        now_ms: i64,
    ) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let r = sqlx::query("UPDATE requests SET token_used = 1 WHERE id = ? AND state = ? AND token_hash = ? AND digest = ? AND token_used = 0 AND token_expires_ms > ?")
                .bind(id)
                .bind(State::Approved.as_str())
                .bind(token_hash)
                .bind(digest)
                .bind(now_ms)
                .execute(self.conn().await?)
                .await?;
            Ok(r.rows_affected() == 1)
        })
    }

    fn insert_grant<'a>(&'a mut self, g: &'a GrantRow) -> BoxFuture<'a, i64> {
        Box::pin(async move {
            let r = sqlx::query("INSERT INTO grants (digest, principal, session, created_ms, expires_ms, request_id, created_by, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")
                .bind(&g.digest)
                .bind(&g.principal)
                .bind(&g.session)
                .bind(g.created_ms)
                .bind(g.expires_ms)
                .bind(g.request_id)
                .bind(&g.created_by)
                .bind(&g.summary)
                .fetch_one(self.conn().await?)
                .await?;
            Ok(r.get(0))
        })
    }

    fn find_grant<'a>(
        &'a mut self,
        digest: &'a str,
        principal: &'a str,
        session: &'a str,
        now_ms: i64,
    ) -> BoxFuture<'a, Option<GrantRow>> {
        Box::pin(async move {
            let row = sqlx::query(q(format!("SELECT {GRANT_COLUMNS} FROM grants WHERE digest = ? AND principal = ? AND (session IS NULL OR session = ?) AND revoked_ms IS NULL AND expires_ms > ? ORDER BY id LIMIT 1")))
                .bind(digest)
                .bind(principal)
                .bind(session)
                .bind(now_ms)
                .fetch_optional(self.conn().await?)
                .await?;
            Ok(row.as_ref().map(grant_from_row))
        })
    }

    fn revoke_grant(&mut self, id: i64, now_ms: i64) -> BoxFuture<'_, Option<GrantRow>> {
        Box::pin(async move {
            let row = sqlx::query(q(format!(
                "SELECT {GRANT_COLUMNS} FROM grants WHERE id = ?"
            )))
            .bind(id)
            .fetch_optional(self.conn().await?)
            .await?;
            let Some(g) = row.as_ref().map(grant_from_row) else {
                return Ok(None);
            };
            if g.revoked_ms.is_some() {
                return Err(StoreError::Conflict(format!(
                    "grant {id} is already revoked"
                )));
            }
            sqlx::query("UPDATE grants SET revoked_ms = ? WHERE id = ?")
                .bind(now_ms)
                .bind(id)
                .execute(self.conn().await?)
                .await?;
            Ok(Some(g))
        })
    }

    fn insert_token<'a>(&'a mut self, row: &'a TokenRow) -> BoxFuture<'a, i64> {
        Box::pin(async move {
            let r = sqlx::query("INSERT INTO tokens (hash, principal, label, created_ms, expires_ms, created_by, parent_token) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id")
                .bind(&row.hash)
                .bind(&row.principal)
                .bind(&row.label)
                .bind(row.created_ms)
                .bind(row.expires_ms)
                .bind(&row.created_by)
                .bind(row.parent_token)
                .fetch_one(self.conn().await?)
                .await?;
            Ok(r.get(0))
        })
    }

    fn token(&mut self, id: i64) -> BoxFuture<'_, Option<TokenRow>> {
        Box::pin(async move {
            let row = sqlx::query(q(format!(
                "SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ?"
            )))
            .bind(id)
            .fetch_optional(self.conn().await?)
            .await?;
            Ok(row.as_ref().map(token_from_row))
        })
    }

    fn revoke_token(&mut self, id: i64, now_ms: i64) -> BoxFuture<'_, Option<TokenRow>> {
        Box::pin(async move {
            let Some(t) = Tx::token(self, id).await? else {
                return Ok(None);
            };
            if t.revoked_ms.is_some() {
                return Err(StoreError::Conflict(format!(
                    "token {id} is already revoked"
                )));
            }
            sqlx::query("UPDATE tokens SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL")
                .bind(now_ms)
                .bind(id)
                .execute(self.conn().await?)
                .await?;
            Ok(Some(t))
        })
    }

    fn latest_policy_row(&mut self) -> BoxFuture<'_, Option<PolicyVersionRow>> {
        Box::pin(async move {
            let row = sqlx::query(q(format!(
                "SELECT {POLICY_COLUMNS} FROM policy_versions ORDER BY version DESC LIMIT 1"
            )))
            .fetch_optional(self.conn().await?)
            .await?;
            Ok(row.as_ref().map(policy_from_row))
        })
    }

    fn record_policy_version<'a>(
        &'a mut self,
        expected: Option<i64>,
        new: &'a NewPolicyVersion<'a>,
    ) -> BoxFuture<'a, i64> {
        Box::pin(async move {
            let current = self.latest_policy_row().await?.map(|r| r.version);
            let current_n = current.unwrap_or(0);
            if let Some(e) = expected {
                if e != current_n {
                    return Err(StoreError::Stale {
                        expected: e,
                        current: current_n,
                    });
                }
            }
            let r = sqlx::query("INSERT INTO policy_versions (digest, source, created_ms, note, activated_by, via, parent) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING version")
                .bind(new.digest)
                .bind(new.source.to_string())
                .bind(new.created_ms)
                .bind(new.note)
                .bind(new.activated_by)
                .bind(new.via)
                .bind(current)
                .fetch_one(self.conn().await?)
                .await;
            match r {
                Ok(r) => Ok(r.get(0)),
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    Err(StoreError::Stale {
                        expected: expected.unwrap_or(current_n),
                        current: current_n + 1,
                    })
                }
                Err(e) => Err(e.into()),
            }
        })
    }

    fn latest_policy(&mut self) -> BoxFuture<'_, Option<(i64, String)>> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT version, digest FROM policy_versions ORDER BY version DESC LIMIT 1",
            )
            .fetch_optional(self.conn().await?)
            .await?;
            Ok(row.map(|r| (r.get(0), r.get(1))))
        })
    }
}
