//! Read views: what front ends (the approver CLI, the server, the console) may see of the
//! store. Each is a typed, serialisable struct built from redacted rows; nothing here writes
//! except [`Gateway::pending`], which first applies due timeouts so that a list never shows a
//! request as pending past its deadline.

use super::*;
use crate::audit::AuditLog;
use assent_core::approval::State;
use assent_core::{Action, Decision, Facts, Kind, Requirement, Severity};
use assent_store::{Answer, GrantRow, RequestRow};
use serde::{Deserialize, Serialize};

/// One line of a request list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestSummary {
    pub id: i64,
    pub state: State,
    pub principal: String,
    pub session: String,
    pub kind: Kind,
    pub tool: String,
    pub severity: Severity,
    /// One escaped line.
    pub summary: String,
    pub created_ms: i64,
    pub deadline_ms: i64,
    /// Distinct approvers so far.
    pub approvals: Vec<String>,
    pub quorum: u32,
    /// Roles or names that may approve.
    pub approvers: Vec<String>,
}

/// Everything an approver needs to decide one request (what `assent show` shows). Built from
/// the stored body, which was redacted before it was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestView {
    pub id: i64,
    pub state: State,
    pub created_ms: i64,
    pub deadline_ms: i64,
    pub principal: String,
    /// Requester first, then each ancestor.
    pub chain: Vec<String>,
    pub session: String,
    /// The keyed digest the approval is bound to.
    pub digest: String,
    /// Exactly what would run.
    pub action: Action,
    pub summary: String,
    pub facts: Facts,
    pub decision: Decision,
    pub requirement: Requirement,
    pub approvals: Vec<String>,
    pub escalations: u32,
    pub answers: Vec<Answer>,
    /// Why it was stopped, in plain words.
    pub explanation: Option<super::Explanation>,
    /// For a file write or edit: the diff against the file as it was at request time.
    pub diff: Option<super::FileDiff>,
}

/// A grant: later identical actions pass without asking until it expires or is revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantView {
    pub id: i64,
    pub principal: String,
    pub digest: String,
    /// `None`: any session.
    pub session: Option<String>,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub revoked_ms: Option<i64>,
    /// The request whose approval left it.
    pub request_id: i64,
    pub created_by: String,
    pub summary: String,
}

/// Most requests one list returns.
pub const LIST_MAX: i64 = 1000;

impl RequestSummary {
    fn from_row(r: &RequestRow) -> RequestSummary {
        let b = &r.body;
        RequestSummary {
            id: r.id,
            state: r.state,
            principal: r.principal.clone(),
            session: r.session.clone(),
            kind: b.action.kind,
            tool: b.action.tool.clone(),
            severity: b.decision.severity,
            summary: b.summary.clone(),
            created_ms: r.created_ms,
            deadline_ms: r.deadline_ms,
            approvals: b.approval.approvals().to_vec(),
            quorum: b.approval.requirement().quorum,
            approvers: b.approval.requirement().approvers.clone(),
        }
    }
}

impl RequestView {
    fn from_row(gw: &Gateway, r: RequestRow) -> RequestView {
        let explanation = gw.explanation_of(&r.body);
        let diff = gw.diff_of(&r.body);
        let b = r.body;
        RequestView {
            id: r.id,
            state: r.state,
            created_ms: r.created_ms,
            deadline_ms: r.deadline_ms,
            principal: r.principal,
            chain: b.approval.chain().to_vec(),
            session: r.session,
            digest: r.digest,
            requirement: b.approval.requirement().clone(),
            approvals: b.approval.approvals().to_vec(),
            escalations: b.approval.escalations(),
            explanation,
            diff,
            action: b.action,
            summary: b.summary,
            facts: b.facts,
            decision: b.decision,
            answers: b.answers,
        }
    }
}

impl From<GrantRow> for GrantView {
    fn from(g: GrantRow) -> GrantView {
        GrantView {
            id: g.id,
            principal: g.principal,
            digest: g.digest,
            session: g.session,
            created_ms: g.created_ms,
            expires_ms: g.expires_ms,
            revoked_ms: g.revoked_ms,
            request_id: g.request_id,
            created_by: g.created_by,
            summary: g.summary,
        }
    }
}

impl Gateway {
    /// Requests in `state`, oldest first (a queue); with `None`, every request, newest first.
    /// At most `limit` (capped at [`LIST_MAX`]).
    pub async fn requests(
        &self,
        state: Option<State>,
        limit: i64,
    ) -> Result<Vec<RequestSummary>, GatewayError> {
        let limit = limit.clamp(0, LIST_MAX);
        let rows = match state {
            Some(s) => self.store.requests_in_state(s, limit).await?,
            None => self.store.requests(None, limit).await?,
        };
        Ok(rows.iter().map(RequestSummary::from_row).collect())
    }

    /// The pending queue, after applying every due timeout.
    pub async fn pending(&self) -> Result<Vec<RequestSummary>, GatewayError> {
        self.expire_due().await?;
        self.requests(Some(State::Pending), LIST_MAX).await
    }

    /// One request as an approver sees it.
    pub async fn request_view(&self, id: i64) -> Result<Option<RequestView>, GatewayError> {
        Ok(self
            .store
            .request(id)
            .await?
            .map(|r| RequestView::from_row(self, r)))
    }

    /// Active grants, or every grant ever made with `all`.
    pub async fn grants(&self, all: bool) -> Result<Vec<GrantView>, GatewayError> {
        let rows = self.store.grants(all, self.now()).await?;
        Ok(rows.into_iter().map(GrantView::from).collect())
    }

    /// The audit log of this gateway's store.
    pub fn audit(&self) -> AuditLog {
        AuditLog {
            store: self.store.clone(),
        }
    }
}
