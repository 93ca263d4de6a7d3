//! The typed body of a stored request: what the gateway keeps about it, already redacted.

use crate::{Result, StoreError};
use assent_core::approval::Approval;
use assent_core::{Action, Decision, Facts};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Everything kept about a request besides its indexed columns. Redacted before it is built
/// (the gateway redacts at the store boundary); the store never decides what is secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestBody {
    /// The canonical action, exactly as it would run.
    pub action: Action,
    /// The keyed digest the approval is bound to.
    pub digest: String,
    /// One escaped line for people.
    pub summary: String,
    pub facts: Facts,
    pub decision: Decision,
    /// The gateway's plain-language account of why it was stopped, kept as it was at request
    /// time (its type belongs to the gateway; the store keeps it opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Value>,
    /// The gateway's diff of a file write against the file as it was at request time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<Value>,
    /// The state machine; only its transitions change it.
    pub approval: Approval,
    /// Who answered, in order.
    #[serde(default)]
    pub answers: Vec<Answer>,
}

/// One person's answer (or a system step with a reason) recorded on a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub by: String,
    /// RFC 3339.
    pub at: String,
    /// `approve`, `deny`, …
    pub step: String,
    pub reason: Option<String>,
}

pub(crate) fn to_text(body: &RequestBody) -> Result<String> {
    serde_json::to_string(body).map_err(|e| StoreError::Corrupt(format!("request body: {e}")))
}
