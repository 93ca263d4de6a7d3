//! The typed audit event: the fixed field set every event has, and the kind of event.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// What happened. Names are the `event` field of the stored body; a name this build does not
/// know (written by a newer assent) reads as [`EventKind::Other`] and is kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// An action was asked about.
    Request,
    /// Policy's answer to it.
    Decision,
    GrantUsed,
    GrantCreated,
    GrantRevoked,
    PolicyLoaded,
    PolicyChanged,
    PolicyActivated,
    PolicyRolledBack,
    PolicyRejected,
    /// An approve or deny that the state machine refused.
    ApprovalRefused,
    /// One approval counted towards a quorum.
    Approval,
    Approved,
    Denial,
    Expiry,
    Escalation,
    Cancelled,
    Execution,
    ExecutionResult,
    TokenRedeemed,
    TokenRefused,
    TokenCreated,
    TokenRevoked,
    AuthFailed,
    AuthRefused,
    Other(String),
}

/// Every kind with a fixed name, for parsing.
const KNOWN: &[EventKind] = &[
    EventKind::Request,
    EventKind::Decision,
    EventKind::GrantUsed,
    EventKind::GrantCreated,
    EventKind::GrantRevoked,
    EventKind::PolicyLoaded,
    EventKind::PolicyChanged,
    EventKind::PolicyActivated,
    EventKind::PolicyRolledBack,
    EventKind::PolicyRejected,
    EventKind::ApprovalRefused,
    EventKind::Approval,
    EventKind::Approved,
    EventKind::Denial,
    EventKind::Expiry,
    EventKind::Escalation,
    EventKind::Cancelled,
    EventKind::Execution,
    EventKind::ExecutionResult,
    EventKind::TokenRedeemed,
    EventKind::TokenRefused,
    EventKind::TokenCreated,
    EventKind::TokenRevoked,
    EventKind::AuthFailed,
    EventKind::AuthRefused,
];

impl EventKind {
    pub fn as_str(&self) -> &str {
        match self {
            EventKind::Request => "request",
            EventKind::Decision => "decision",
            EventKind::GrantUsed => "grant.used",
            EventKind::GrantCreated => "grant.created",
            EventKind::GrantRevoked => "grant.revoked",
            EventKind::PolicyLoaded => "policy.loaded",
            EventKind::PolicyChanged => "policy.changed",
            EventKind::PolicyActivated => "policy.activated",
            EventKind::PolicyRolledBack => "policy.rolled_back",
            EventKind::PolicyRejected => "policy.rejected",
            EventKind::ApprovalRefused => "approval.refused",
            EventKind::Approval => "approval",
            EventKind::Approved => "approved",
            EventKind::Denial => "denial",
            EventKind::Expiry => "expiry",
            EventKind::Escalation => "escalation",
            EventKind::Cancelled => "cancelled",
            EventKind::Execution => "execution",
            EventKind::ExecutionResult => "execution.result",
            EventKind::TokenRedeemed => "token.redeemed",
            EventKind::TokenRefused => "token.refused",
            EventKind::TokenCreated => "token.created",
            EventKind::TokenRevoked => "token.revoked",
            EventKind::AuthFailed => "auth.failed",
            EventKind::AuthRefused => "auth.refused",
            EventKind::Other(s) => s,
        }
    }

    pub fn parse(s: &str) -> EventKind {
        KNOWN
            .iter()
            .find(|k| k.as_str() == s)
            .cloned()
            .unwrap_or_else(|| EventKind::Other(s.to_string()))
    }
}

impl Serialize for EventKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(EventKind::parse(&String::deserialize(d)?))
    }
}

/// One audit event. Every field is always present in the stored body (null when it does not
/// apply), so exports have a fixed shape. `seq` and `prev` are set by the store when the event
/// is appended; fields a newer writer added are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    #[serde(default)]
    pub seq: i64,
    #[serde(default)]
    pub prev: String,
    pub event: EventKind,
    /// RFC 3339.
    pub time: String,
    pub time_ms: i64,
    pub principal: Option<String>,
    /// Requester first, then each ancestor.
    pub chain: Option<Vec<String>>,
    pub approver: Option<String>,
    pub request_id: Option<i64>,
    pub digest: Option<String>,
    pub kind: Option<String>,
    pub tool: Option<String>,
    pub session: Option<String>,
    pub summary: Option<String>,
    /// `allow`, `deny` or `ask`.
    pub decision: Option<String>,
    pub rule: Option<String>,
    pub severity: Option<String>,
    pub policy_version: Option<i64>,
    pub reason: Option<String>,
    pub detail: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The fields every audit event has besides `seq`, `prev`, `event`, `time` and `time_ms`.
pub const EVENT_FIELDS: &[&str] = &[
    "principal",
    "chain",
    "approver",
    "request_id",
    "digest",
    "kind",
    "tool",
    "session",
    "summary",
    "decision",
    "rule",
    "severity",
    "policy_version",
    "reason",
    "detail",
];

impl AuditEvent {
    /// An event of `kind` at `time_ms` with every optional field empty.
    pub fn new(kind: EventKind, time_ms: i64, time: String) -> AuditEvent {
        AuditEvent {
            seq: 0,
            prev: String::new(),
            event: kind,
            time,
            time_ms,
            principal: None,
            chain: None,
            approver: None,
            request_id: None,
            digest: None,
            kind: None,
            tool: None,
            session: None,
            summary: None,
            decision: None,
            rule: None,
            severity: None,
            policy_version: None,
            reason: None,
            detail: None,
            extra: Map::new(),
        }
    }

    /// Reads a stored body (canonical JSON).
    pub fn from_stored(text: &str) -> crate::Result<AuditEvent> {
        serde_json::from_str(text)
            .map_err(|e| crate::StoreError::Corrupt(format!("audit event: {e}")))
    }
}
