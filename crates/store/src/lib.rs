//! Assent's durable state: approval requests, grants, policy versions, per-database keys and
//! the hash-chained audit log, behind the [`Store`] and [`Tx`] traits so that more than one
//! backend can hold them. SQLite (embedded, [`SqliteStore`]) is the one built today; every
//! backend must pass the conformance suite, [`conformance`] (feature `conformance`; a backend
//! crate runs it with `assent_store::conformance_suite!(make_store)`). PostgreSQL is next.
//!
//! Owns the row formats and the audit hash chain: each event's hash is SHA-256 over the
//! previous hash and the event's canonical JSON body, which itself carries its sequence
//! number. The chain is computed here, once, for every backend ([`Tx::append`]); a backend
//! only stores what it is handed. Every write happens inside one transaction that holds the
//! backend's write lock from its start, so several processes (hooks, the approver CLI, a
//! server) serialise and the chain never forks. A commit returns only once it is durable;
//! concurrent transactions of one process may share one durable commit (group commit).
//!
//! Invariants, stated as absences: no policy, no analysis, no redaction decisions (callers
//! hand in already-redacted JSON), no clock (callers pass times).

mod audit;
mod body;
#[cfg(feature = "conformance")]
pub mod conformance;
mod event;
mod schema;
mod sqlite;

pub use audit::{chain_hash, verify_rows, ChainBreak, VerifyReport, GENESIS};
pub use body::{Answer, RequestBody};
pub use event::{AuditEvent, EventKind, EVENT_FIELDS};
pub use sqlite::{GroupStats, SqliteStore};

use assent_core::approval::State;
use serde_json::{Map, Value};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("database schema version {found} is newer than this assent ({known}); upgrade assent")]
    TooNew { found: i64, known: i64 },
    #[error("{0}")]
    Conflict(String),
    /// The durable commit failed (or never happened): nothing is known to be written.
    #[error("commit failed: {0}")]
    Commit(String),
    /// A policy activation based on a version that is no longer the newest.
    #[error("policy version {expected} is not the active one (active: {current}); read it again")]
    Stale { expected: i64, current: i64 },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A stored approval request.
#[derive(Debug, Clone)]
pub struct RequestRow {
    pub id: i64,
    pub created_ms: i64,
    pub session: String,
    pub principal: String,
    /// Every field the gateway keeps (action, facts, decision, approval state), redacted.
    pub body: RequestBody,
    pub state: State,
    pub deadline_ms: i64,
    pub digest: String,
    pub token_hash: Option<String>,
    pub token_expires_ms: Option<i64>,
    pub token_used: bool,
}

/// A request to insert: pending, with the hash of its waiter's token secret.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    pub created_ms: i64,
    pub session: &'a str,
    pub principal: &'a str,
    /// Its approval is pending; its deadline is the request's.
    pub body: &'a RequestBody,
    pub digest: &'a str,
    pub token_hash: &'a str,
}

/// A stored grant ("ask once" leaves one behind).
#[derive(Debug, Clone)]
pub struct GrantRow {
    pub id: i64,
    pub digest: String,
    pub principal: String,
    pub session: Option<String>,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub revoked_ms: Option<i64>,
    pub request_id: i64,
    pub created_by: String,
    pub summary: String,
}

/// One recorded policy version, without its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersionRow {
    pub version: i64,
    pub digest: String,
    pub created_ms: i64,
    pub note: String,
    /// Who made it the active version (a principal, or `files` for an edit on disk).
    pub activated_by: String,
    /// How: `files`, `api`, `cli` or `rollback`.
    pub via: String,
    /// The version it replaced (none for the first).
    pub parent: Option<i64>,
}

/// A policy version to record: its text (JSON, as the gateway shapes it) and provenance.
#[derive(Debug, Clone)]
pub struct NewPolicyVersion<'a> {
    pub digest: &'a str,
    pub source: &'a Value,
    pub created_ms: i64,
    pub note: &'a str,
    pub activated_by: &'a str,
    pub via: &'a str,
}

/// A stored bearer token: its SHA-256, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub id: i64,
    /// SHA-256 (hex) of the whole token string.
    pub hash: String,
    pub principal: String,
    pub label: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub revoked_ms: Option<i64>,
    /// Who minted it: a principal's name, or `local-admin`.
    pub created_by: String,
    /// The token its creator authenticated with, if any.
    pub parent_token: Option<i64>,
}

/// Filters for [`Store::query_events`]; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub after_seq: i64,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub principal: Option<String>,
    pub kind: Option<String>,
    pub decision: Option<String>,
    pub severity: Option<String>,
    pub event: Option<String>,
    pub request: Option<i64>,
    pub limit: i64,
}

/// What a backend's operations return: a boxed future, so that the traits are object-safe and
/// the gateway holds any backend as `Arc<dyn Store>`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// Opens the embedded SQLite store at `path` (created and migrated if needed).
pub async fn open(path: &Path) -> Result<Arc<dyn Store>> {
    Ok(Arc::new(SqliteStore::open(path).await?))
}

/// A backend's reads, and the way into its writes ([`Store::begin`]). Reads see committed
/// state only.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Starts a write transaction that holds the backend's write lock from the start: two
    /// transactions never interleave, in this process or another.
    fn begin(&self) -> BoxFuture<'_, Box<dyn Tx>>;

    /// Closes the backend's connections; further calls fail.
    fn close(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;

    fn request(&self, id: i64) -> BoxFuture<'_, Option<RequestRow>>;

    /// Requests in a state, oldest first, at most `limit`.
    fn requests_in_state(&self, state: State, limit: i64) -> BoxFuture<'_, Vec<RequestRow>>;

    /// Requests with an id above `id`, oldest first.
    fn requests_after(&self, id: i64) -> BoxFuture<'_, Vec<RequestRow>>;

    /// Just the state and deadline: what a waiter polls.
    fn request_state(&self, id: i64) -> BoxFuture<'_, Option<(State, i64)>>;

    /// Requests in a state (every state with `None`), newest first, at most `limit`.
    fn requests(&self, state: Option<State>, limit: i64) -> BoxFuture<'_, Vec<RequestRow>>;

    /// Active grants at `now_ms` (every grant ever made with `include_inactive`), oldest first.
    fn grants(&self, include_inactive: bool, now_ms: i64) -> BoxFuture<'_, Vec<GrantRow>>;

    /// Audit events in order, as (seq, body, hash), from `after` (exclusive), at most `limit`.
    fn events(&self, after: i64, limit: i64) -> BoxFuture<'_, Vec<(i64, String, String)>>;

    /// Audit events matching a filter, in order: (seq, body).
    fn query_events<'a>(&'a self, f: &'a EventFilter) -> BoxFuture<'a, Vec<(i64, String)>>;

    /// The recorded chain head (last sequence number and hash), if any event was written.
    fn head(&self) -> BoxFuture<'_, Option<(i64, String)>>;

    /// A per-database key: the stored one, or `fresh` stored now if there is none. Two
    /// callers racing with different fresh values get the same answer.
    fn key<'a>(&'a self, name: &'a str, fresh: &'a str) -> BoxFuture<'a, String>;

    /// Latest stored policy version: (version, digest).
    fn latest_policy(&self) -> BoxFuture<'_, Option<(i64, String)>>;

    /// Every recorded policy version, oldest first. The newest is the active one.
    fn policy_history(&self) -> BoxFuture<'_, Vec<PolicyVersionRow>>;

    /// One recorded policy version with its text.
    fn policy_version(&self, version: i64) -> BoxFuture<'_, Option<(PolicyVersionRow, Value)>>;

    /// The token with this SHA-256, whatever its state (the caller judges expiry/revocation).
    fn token_by_hash<'a>(&'a self, hash: &'a str) -> BoxFuture<'a, Option<TokenRow>>;

    fn token(&self, id: i64) -> BoxFuture<'_, Option<TokenRow>>;

    /// Tokens in id order; without `include_inactive`, only unrevoked, unexpired ones.
    fn tokens(&self, include_inactive: bool, now_ms: i64) -> BoxFuture<'_, Vec<TokenRow>>;

    /// Verifies the whole chain against the recorded head: the same check for every backend.
    fn verify(&self) -> BoxFuture<'_, VerifyReport> {
        Box::pin(verify_chain(self))
    }
}

/// One open write transaction. Dropping it without [`Tx::commit`] rolls it back.
pub trait Tx: Send {
    /// Makes every write of this transaction durable, then returns.
    fn commit(self: Box<Self>) -> BoxFuture<'static, ()>;

    /// The chain head as this transaction sees it.
    fn chain_head(&mut self) -> BoxFuture<'_, Option<(i64, String)>>;

    /// Stores one event exactly as given and moves the chain head to it. Backends implement
    /// this; callers use [`Tx::append`], which computes `seq`, `prev` and `hash`.
    fn put_event<'a>(&'a mut self, seq: i64, body: &'a str, hash: &'a str) -> BoxFuture<'a, ()>;

    /// Appends one audit event. `body` must not contain `seq`, `prev` or `hash`: they are
    /// added here. Returns the sequence number.
    fn append(&mut self, mut body: Map<String, Value>) -> BoxFuture<'_, i64> {
        Box::pin(async move {
            let (prev_seq, prev_hash) = self
                .chain_head()
                .await?
                .unwrap_or_else(|| (0, GENESIS.to_string()));
            let seq = prev_seq + 1;
            body.insert("seq".into(), Value::from(seq));
            body.insert("prev".into(), Value::String(prev_hash.clone()));
            let text = audit::canonical(&Value::Object(body));
            let hash = audit::chain_hash(&prev_hash, &text);
            self.put_event(seq, &text, &hash).await?;
            Ok(seq)
        })
    }

    /// Inserts a pending request (a body in any other state is refused); returns its id.
    fn insert_request<'a>(&'a mut self, r: &'a NewRequest<'a>) -> BoxFuture<'a, i64>;

    fn request(&mut self, id: i64) -> BoxFuture<'_, Option<RequestRow>>;

    /// Stores a request's new body; its state and deadline are the body's approval's.
    fn update_request<'a>(
        &'a mut self,
        id: i64,
        body: &'a RequestBody,
        token_expires_ms: Option<i64>,
    ) -> BoxFuture<'a, ()>;

    /// Spends the token of an approved request: succeeds once, only with the right secret
    /// hash and digest, only before expiry.
    fn redeem<'a>(
        &'a mut self,
        id: i64,
        token_hash: &'a str,
        digest: &'a str,
        now_ms: i64,
    ) -> BoxFuture<'a, bool>;

    /// Inserts a grant (its `id` and `revoked_ms` are ignored); returns its id.
    fn insert_grant<'a>(&'a mut self, g: &'a GrantRow) -> BoxFuture<'a, i64>;

    /// An active grant for this digest and principal, valid in this session.
    fn find_grant<'a>(
        &'a mut self,
        digest: &'a str,
        principal: &'a str,
        session: &'a str,
        now_ms: i64,
    ) -> BoxFuture<'a, Option<GrantRow>>;

    /// Revokes a grant; `None` if there is no such grant, a conflict if it was revoked.
    fn revoke_grant(&mut self, id: i64, now_ms: i64) -> BoxFuture<'_, Option<GrantRow>>;

    /// Stores a new token (`row.id` and `row.revoked_ms` are ignored). Returns its id.
    fn insert_token<'a>(&'a mut self, row: &'a TokenRow) -> BoxFuture<'a, i64>;

    fn token(&mut self, id: i64) -> BoxFuture<'_, Option<TokenRow>>;

    /// Marks a token revoked; `Conflict` if it already was. `None` if there is no such token.
    fn revoke_token(&mut self, id: i64, now_ms: i64) -> BoxFuture<'_, Option<TokenRow>>;

    /// The newest (active) policy version.
    fn latest_policy_row(&mut self) -> BoxFuture<'_, Option<PolicyVersionRow>>;

    /// Records `new` as the newest (active) policy version, replacing the current newest.
    /// With `expected`, refuses ([`StoreError::Stale`]) unless the current newest is exactly
    /// that version (0: none yet). Of two activations that read the same version, exactly one
    /// is recorded, whatever the backend's isolation (`parent` is unique).
    fn record_policy_version<'a>(
        &'a mut self,
        expected: Option<i64>,
        new: &'a NewPolicyVersion<'a>,
    ) -> BoxFuture<'a, i64>;

    /// Latest stored policy version: (version, digest).
    fn latest_policy(&mut self) -> BoxFuture<'_, Option<(i64, String)>>;
}

/// Verifies the whole chain: reading the next batch overlaps with hashing the current one
/// (on another thread), since the chain itself must be hashed in order.
async fn verify_chain<S: Store + ?Sized>(store: &S) -> Result<VerifyReport> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(i64, String, String)>>(2);
    let worker = std::thread::spawn(move || {
        let mut report = VerifyReport::default();
        for batch in rx {
            verify_rows(
                &mut report,
                batch.iter().map(|(s, b, h)| (*s, b.as_str(), h.as_str())),
            );
        }
        report
    });
    let mut after = 0;
    loop {
        let rows = store.events(after, 10_000).await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        if tx.send(rows).is_err() {
            break;
        }
    }
    drop(tx);
    let mut report = worker
        .join()
        .map_err(|_| StoreError::Corrupt("verifier thread panicked".into()))?;
    if report.first_break.is_none() {
        if let Some((seq, hash)) = store.head().await? {
            if seq != report.last_seq || hash != report.last_hash {
                report.first_break = Some(ChainBreak {
                    seq: report.last_seq + 1,
                    problem: format!(
                        "the log ends at event {} but event {seq} was written (events deleted from the end)",
                        report.last_seq
                    ),
                });
            }
        }
    }
    Ok(report)
}

pub(crate) fn parse_state(s: &str) -> Result<State> {
    State::parse(s).ok_or_else(|| StoreError::Corrupt(format!("unknown request state `{s}`")))
}
