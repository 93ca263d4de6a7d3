//! The stateful gateway: decide with the store, hold `ask`s as approval requests, wait,
//! approve or deny, expire, redeem tokens, report execution, and write the audit event for
//! every step inside the same transaction as the change it records.
//!
//! Every method returns `Err` rather than guessing; front ends turn every `Err` on the way
//! to running an action into "not run".
//!
//! The code lives in child modules by concern; this root holds the shared types.

mod approve;
mod config;
mod decide;
mod diff;
mod events;
mod execution;
mod explain;
mod grants;
mod open;
mod serve;
mod summary;
mod tokens;
mod transition;
mod views;
mod wait;

pub use assent_store::EVENT_FIELDS;
pub use config::{
    diff_files, files_to_source, ActivePolicy, ConfigError, PolicyDiff, PolicyFileDiff,
    PolicyFiles, PolicyProblem, PolicyVersionInfo, Rejection, Reload, Validation, Via,
    WATCH_PERIOD,
};
pub use diff::{Before, DiffLine, FileDiff, Hunk, Op};
pub use explain::{explain, Explanation, PathLens, PlainPaths};
pub use open::{env_redactor, policy_source};
pub use serve::{LiveAudit, WaitLook};
pub use summary::summarize;
pub use tokens::{
    parse_ttl, AuthError, Identity, NewToken, Proof, TokenInfo, DEFAULT_TTL_MS, LOCAL_ADMIN,
    MAX_TTL_MS, TOKEN_PREFIX,
};
pub use views::{GrantView, RequestSummary, RequestView, LIST_MAX};

use crate::engine::Evaluation;
use assent_core::Clock;
use assent_store::{Store, StoreError};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Policy(String),
    #[error("{0}")]
    Refused(String),
    /// What the caller would change is already settled (answered, expired, approved by the
    /// same person) or another change won the race: the caller's view is stale, nothing is
    /// broken (a server answers 409).
    #[error("{0}")]
    Conflict(String),
    #[error("no request {0}")]
    NoSuchRequest(i64),
    #[error("no grant {0}")]
    NoSuchGrant(i64),
    #[error("no token {0}")]
    NoSuchToken(i64),
    #[error("{0}")]
    Io(String),
}

/// What a request came to, immediately.
#[derive(Debug)]
pub enum Outcome {
    Allowed { grant: Option<i64> },
    Denied,
    Pending(Pending),
}

/// A request waiting for people. Holds the secret that, once the request is approved,
/// redeems its single-use token; nobody else ever sees it.
#[derive(Debug)]
pub struct Pending {
    pub request_id: i64,
    pub deadline_ms: i64,
    secret: String,
}

/// How a wait ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitEnd {
    /// Approved and the token was redeemed: run the action.
    Approved,
    Denied(String),
    Expired(String),
    /// The caller's own deadline came first; the request was cancelled.
    GaveUp,
    /// Approved, but the token could not be redeemed (expired or already used).
    TokenRefused(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantScope {
    Session,
    For(i64),
}

#[derive(Debug)]
pub struct Requested {
    pub evaluation: Evaluation,
    pub outcome: Outcome,
}

pub struct Gateway {
    store: Arc<dyn Store>,
    /// What "now" is for every deadline, expiry and event time the gateway decides.
    clock: Arc<dyn Clock>,
    /// The active policy, swapped at runtime (`config.rs`).
    config: config::Config,
    /// Key for the action digests Assent stores and exports (see [`Gateway::keyed`]).
    digest_key: String,
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        now_ms()
    }
}

/// How to open a [`Gateway`]; [`OpenOptions::default`] is what the front ends use.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Files that do not load leave the newest recorded version in force (a server, the
    /// policy commands) instead of being an error (a one-shot front end).
    pub serving: bool,
    pub clock: Arc<dyn Clock>,
    /// A store opened by the caller; `None`: the embedded SQLite store in the home.
    pub store: Option<Arc<dyn Store>>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            serving: false,
            clock: Arc::new(SystemClock),
            store: None,
        }
    }
}

/// Milliseconds since the epoch by the system clock. Gateway methods use the injected
/// [`Clock`] instead ([`Gateway::now`]).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn new_secret() -> Result<String, GatewayError> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf)
        .map_err(|e| GatewayError::Io(format!("no randomness for a token: {e}")))?;
    Ok(hex::encode(buf))
}

/// Where the database lives in a home.
pub fn db_path(assent_home: &Path) -> PathBuf {
    assent_home.join("assent.db")
}
