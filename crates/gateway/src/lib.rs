//! The gateway: the one path every front end (CLI `check`, hook, approver CLI, `exec`, later
//! the server, MCP proxy and Python) drives an action through.
//!
//! [`Engine`] is the stateless half: adapt → analyse → decide, with no store and no clock;
//! `assent check` uses it alone. [`Gateway`] wraps it with the store: requests, approvals,
//! grants, tokens and the audit log, each change and its audit event in one transaction.

pub mod audit;
mod engine;
pub mod files;
mod gateway;

pub use assent_analyze::EnvMatcher;
pub use assent_store::StoreError;
pub use audit::{AuditLog, AuditQuery, ExportFormat, VerifyView};
pub use engine::{Engine, EngineError, Evaluation, Locations};
pub use gateway::{
    db_path, env_redactor, now_ms, parse_ttl, policy_source, summarize, AuthError, Gateway,
    GatewayError, GrantScope, GrantView, Identity, LiveAudit, NewToken, OpenOptions, Outcome,
    Pending, Proof, RequestSummary, RequestView, Requested, SystemClock, TokenInfo, WaitEnd,
    WaitLook, DEFAULT_TTL_MS, EVENT_FIELDS, LIST_MAX, LOCAL_ADMIN, MAX_TTL_MS, TOKEN_PREFIX,
};
pub use gateway::{
    diff_files, files_to_source, ActivePolicy, ConfigError, PolicyDiff, PolicyFileDiff,
    PolicyFiles, PolicyProblem, PolicyVersionInfo, Rejection, Reload, Validation, Via,
    WATCH_PERIOD,
};
pub use gateway::{
    explain, Before, DiffLine, Explanation, FileDiff, Hunk, Op, PathLens, PlainPaths,
};
