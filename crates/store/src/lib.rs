//! Assent's durable state, through sqlx (SQLite embedded; the same queries are written to
//! port to PostgreSQL).
//!
//! Owns the schema and its versioned migrations, the row formats, and the audit hash chain:
//! each event's hash is SHA-256 over the previous hash and the event's canonical JSON body,
//! which itself carries its sequence number. Every write happens inside one `BEGIN IMMEDIATE`
//! transaction, so several processes (hooks, the approver CLI, a server) serialise on the
//! database and the chain never forks. Commits are `synchronous = FULL`: an event is on disk
//! before its writer is answered.
//!
//! Invariants, stated as absences: no policy, no analysis, no redaction decisions (callers
//! hand in already-redacted JSON), no clock (callers pass times).

mod audit;
mod body;
mod event;
mod schema;

pub use audit::{verify_rows, ChainBreak, VerifyReport, GENESIS};
pub use body::{Answer, RequestBody};
pub use event::{AuditEvent, EventKind, EVENT_FIELDS};

use assent_core::approval::State;
use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::path::Path;
use std::time::Duration;

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

const POLICY_COLUMNS: &str = "version, digest, created_ms, note, activated_by, via, parent";

fn policy_from_row(r: &sqlx::sqlite::SqliteRow) -> PolicyVersionRow {
    PolicyVersionRow {
        version: r.get(0),
        digest: r.get(1),
        created_ms: r.get(2),
        note: r.get(3),
        activated_by: r.get(4),
        via: r.get(5),
        parent: r.get(6),
    }
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

const TOKEN_COLUMNS: &str =
    "id, hash, principal, label, created_ms, expires_ms, revoked_ms, created_by, parent_token";

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

#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

/// One open write transaction. Dropping it without [`Tx::commit`] rolls back.
pub struct Tx {
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
}

/// How long a writer waits for another to finish before giving up (and failing closed).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl Store {
    /// Opens (creating if needed) the SQLite database at `path` and migrates it.
    pub async fn open(path: &Path) -> Result<Store> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        // Two processes creating the same database at once can see SQLITE_BUSY while one
        // switches it to WAL (no busy handler covers that step): retry briefly.
        let mut attempt = 0;
        loop {
            let result = async {
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .min_connections(0)
                    .connect_with(options.clone())
                    .await?;
                let store = Store { pool };
                schema::migrate(&store.pool).await?;
                Ok::<Store, StoreError>(store)
            }
            .await;
            match result {
                Err(StoreError::Db(e)) if attempt < 40 && is_busy(&e) => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(25));
                }
                other => return other,
            }
        }
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write transaction that holds the database's write lock from the start.
    pub async fn begin(&self) -> Result<Tx> {
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Tx { tx })
    }

    pub async fn request(&self, id: i64) -> Result<Option<RequestRow>> {
        let row = sqlx::query("SELECT id, created_ms, session, principal, body, state, deadline_ms, digest, token_hash, token_expires_ms, token_used FROM requests WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(request_from_row).transpose()
    }

    /// Requests in a state, oldest first.
    pub async fn requests_in_state(&self, state: State, limit: i64) -> Result<Vec<RequestRow>> {
        let rows = sqlx::query("SELECT id, created_ms, session, principal, body, state, deadline_ms, digest, token_hash, token_expires_ms, token_used FROM requests WHERE state = ? ORDER BY id LIMIT ?")
            .bind(state.as_str())
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(request_from_row).collect()
    }

    pub async fn requests_after(&self, id: i64) -> Result<Vec<RequestRow>> {
        let rows = sqlx::query("SELECT id, created_ms, session, principal, body, state, deadline_ms, digest, token_hash, token_expires_ms, token_used FROM requests WHERE id > ? ORDER BY id LIMIT 100")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(request_from_row).collect()
    }

    /// Just the state and deadline: what a waiter polls.
    pub async fn request_state(&self, id: i64) -> Result<Option<(State, i64)>> {
        let row = sqlx::query("SELECT state, deadline_ms FROM requests WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((parse_state(&r.get::<String, _>(0))?, r.get::<i64, _>(1))))
            .transpose()
    }

    /// Requests in a state (every state with `None`), newest first, at most `limit`.
    pub async fn requests(&self, state: Option<State>, limit: i64) -> Result<Vec<RequestRow>> {
        let rows = match state {
            Some(s) => sqlx::query("SELECT id, created_ms, session, principal, body, state, deadline_ms, digest, token_hash, token_expires_ms, token_used FROM requests WHERE state = ? ORDER BY id DESC LIMIT ?")
                .bind(s.as_str())
                .bind(limit)
                .fetch_all(&self.pool)
                .await?,
            None => sqlx::query("SELECT id, created_ms, session, principal, body, state, deadline_ms, digest, token_hash, token_expires_ms, token_used FROM requests ORDER BY id DESC LIMIT ?")
                .bind(limit)
                .fetch_all(&self.pool)
                .await?,
        };
        rows.into_iter().map(request_from_row).collect()
    }

    pub async fn grants(&self, include_inactive: bool, now_ms: i64) -> Result<Vec<GrantRow>> {
        let sql = if include_inactive {
            "SELECT id, digest, principal, session, created_ms, expires_ms, revoked_ms, request_id, created_by, summary FROM grants ORDER BY id"
        } else {
            "SELECT id, digest, principal, session, created_ms, expires_ms, revoked_ms, request_id, created_by, summary FROM grants WHERE revoked_ms IS NULL AND expires_ms > ? ORDER BY id"
        };
        let rows = sqlx::query(sql).bind(now_ms).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(grant_from_row).collect())
    }

    /// Audit events in order, as (seq, body, hash), from `after` (exclusive), at most `limit`.
    pub async fn events(&self, after: i64, limit: i64) -> Result<Vec<(i64, String, String)>> {
        let rows = sqlx::query(
            "SELECT seq, body, hash FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    /// Audit events matching a filter, in order: (seq, body).
    pub async fn query_events(&self, f: &EventFilter) -> Result<Vec<(i64, String)>> {
        let mut sql = String::from("SELECT seq, body FROM audit_events WHERE seq > ?");
        if f.since_ms.is_some() {
            sql.push_str(" AND time_ms >= ?");
        }
        if f.until_ms.is_some() {
            sql.push_str(" AND time_ms <= ?");
        }
        for (col, v) in [
            ("principal", &f.principal),
            ("kind", &f.kind),
            ("decision", &f.decision),
            ("severity", &f.severity),
            ("event", &f.event),
        ] {
            if v.is_some() {
                sql.push_str(&format!(" AND {col} = ?"));
            }
        }
        if f.request.is_some() {
            sql.push_str(" AND request_id = ?");
        }
        sql.push_str(" ORDER BY seq LIMIT ?");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(f.after_seq);
        if let Some(v) = f.since_ms {
            q = q.bind(v);
        }
        if let Some(v) = f.until_ms {
            q = q.bind(v);
        }
        for v in [&f.principal, &f.kind, &f.decision, &f.severity, &f.event]
            .into_iter()
            .flatten()
        {
            q = q.bind(v.clone());
        }
        if let Some(r) = f.request {
            q = q.bind(r);
        }
        q = q.bind(f.limit);
        let rows = q.fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Verifies the whole chain: reading the next batch overlaps with hashing the current one
    /// (on another thread), since the chain itself must be hashed in order.
    pub async fn verify(&self) -> Result<VerifyReport> {
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
            let rows = self.events(after, 10_000).await?;
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
            if let Some((seq, hash)) = self.head().await? {
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

    /// The recorded chain head (last sequence number and hash), if any event was written.
    pub async fn head(&self) -> Result<Option<(i64, String)>> {
        let row = sqlx::query("SELECT seq, hash FROM chain_head WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    /// A per-database key: the stored one, or `fresh` stored now if there is none.
    pub async fn key(&self, name: &str, fresh: &str) -> Result<String> {
        sqlx::query("INSERT OR IGNORE INTO store_keys (name, value) VALUES (?, ?)")
            .bind(name)
            .bind(fresh)
            .execute(&self.pool)
            .await?;
        let v: String = sqlx::query_scalar("SELECT value FROM store_keys WHERE name = ?")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(v)
    }

    /// Latest stored policy version: (version, digest).
    pub async fn latest_policy(&self) -> Result<Option<(i64, String)>> {
        let row = sqlx::query(
            "SELECT version, digest FROM policy_versions ORDER BY version DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    /// Every recorded policy version, oldest first. The newest is the active one.
    pub async fn policy_history(&self) -> Result<Vec<PolicyVersionRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {POLICY_COLUMNS} FROM policy_versions ORDER BY version"
        )))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(policy_from_row).collect())
    }

    /// One recorded policy version with its text.
    pub async fn policy_version(&self, version: i64) -> Result<Option<(PolicyVersionRow, Value)>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {POLICY_COLUMNS}, source FROM policy_versions WHERE version = ?"
        )))
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let source = serde_json::from_str::<Value>(&r.get::<String, _>(7))
                .map_err(|e| StoreError::Corrupt(format!("policy version {version}: {e}")))?;
            Ok((policy_from_row(&r), source))
        })
        .transpose()
    }
}

impl Store {
    /// The token with this SHA-256, whatever its state (the caller judges expiry/revocation).
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRow>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(token_from_row))
    }

    pub async fn token(&self, id: i64) -> Result<Option<TokenRow>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(token_from_row))
    }

    /// Tokens in id order; without `include_inactive`, only unrevoked, unexpired ones.
    pub async fn tokens(&self, include_inactive: bool, now_ms: i64) -> Result<Vec<TokenRow>> {
        let rows = if include_inactive {
            let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY id");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&self.pool)
                .await?
        } else {
            let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE revoked_ms IS NULL AND expires_ms > ? ORDER BY id");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(now_ms)
                .fetch_all(&self.pool)
                .await?
        };
        Ok(rows.into_iter().map(token_from_row).collect())
    }
}

fn token_from_row(r: sqlx::sqlite::SqliteRow) -> TokenRow {
    TokenRow {
        id: r.get(0),
        hash: r.get(1),
        principal: r.get(2),
        label: r.get(3),
        created_ms: r.get(4),
        expires_ms: r.get(5),
        revoked_ms: r.get(6),
        created_by: r.get(7),
        parent_token: r.get(8),
    }
}

fn is_busy(e: &sqlx::Error) -> bool {
    let text = e.to_string().to_ascii_lowercase();
    text.contains("locked") || text.contains("busy")
}

fn parse_state(s: &str) -> Result<State> {
    State::parse(s).ok_or_else(|| StoreError::Corrupt(format!("unknown request state `{s}`")))
}

fn request_from_row(r: sqlx::sqlite::SqliteRow) -> Result<RequestRow> {
    let body: String = r.get(4);
    let id: i64 = r.get(0);
    Ok(RequestRow {
        id,
        created_ms: r.get(1),
        session: r.get(2),
        principal: r.get(3),
        body: serde_json::from_str(&body)
            .map_err(|e| StoreError::Corrupt(format!("request {id} body: {e}")))?,
        state: parse_state(&r.get::<String, _>(5))?,
        deadline_ms: r.get(6),
        digest: r.get(7),
        token_hash: r.get(8),
        token_expires_ms: r.get(9),
        token_used: r.get::<i64, _>(10) != 0,
    })
}

fn grant_from_row(r: sqlx::sqlite::SqliteRow) -> GrantRow {
    GrantRow {
        id: r.get(0),
        digest: r.get(1),
        principal: r.get(2),
        session: r.get(3),
        created_ms: r.get(4),
        expires_ms: r.get(5),
        revoked_ms: r.get(6),
        request_id: r.get(7),
        created_by: r.get(8),
        summary: r.get(9),
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Appends one audit event. `body` must not contain `seq`, `prev` or `hash`: they are
    /// added here. Returns the sequence number.
    pub async fn append(&mut self, mut body: serde_json::Map<String, Value>) -> Result<i64> {
        let head = sqlx::query("SELECT seq, hash FROM chain_head WHERE id = 1")
            .fetch_optional(&mut *self.tx)
            .await?;
        let (prev_seq, prev_hash): (i64, String) = match head {
            Some(r) => (r.get(0), r.get(1)),
            None => (0, GENESIS.to_string()),
        };
        let seq = prev_seq + 1;
        body.insert("seq".into(), Value::from(seq));
        body.insert("prev".into(), Value::String(prev_hash.clone()));
        let text = audit::canonical(&Value::Object(body));
        let hash = audit::chain_hash(&prev_hash, &text);
        sqlx::query("INSERT INTO audit_events (seq, body, hash) VALUES (?, ?, ?)")
            .bind(seq)
            .bind(&text)
            .bind(&hash)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("INSERT INTO chain_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash")
            .bind(seq)
            .bind(&hash)
            .execute(&mut *self.tx)
            .await?;
        Ok(seq)
    }

    pub async fn insert_request(&mut self, r: &NewRequest<'_>) -> Result<i64> {
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
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(row.get(0))
    }

    pub async fn request(&mut self, id: i64) -> Result<Option<RequestRow>> {
        let row = sqlx::query("SELECT id, created_ms, session, principal, body, state, deadline_ms, digest, token_hash, token_expires_ms, token_used FROM requests WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.map(request_from_row).transpose()
    }

    /// Stores a request's new body; its state and deadline are the body's approval's.
    pub async fn update_request(
        &mut self,
        id: i64,
        body: &RequestBody,
        token_expires_ms: Option<i64>,
    ) -> Result<()> {
        sqlx::query("UPDATE requests SET state = ?, body = ?, deadline_ms = ?, token_expires_ms = ? WHERE id = ?")
            .bind(body.approval.state().as_str())
            .bind(body::to_text(body)?)
            .bind(body.approval.deadline_ms())
            .bind(token_expires_ms)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Spends the token of an approved request: succeeds once, only with the right secret
    /// hash and digest, only before expiry.
    pub async fn redeem(
        &mut self,
        id: i64,
        token_hash: &str,
        digest: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let r = sqlx::query("UPDATE requests SET token_used = 1 WHERE id = ? AND state = ? AND token_hash = ? AND digest = ? AND token_used = 0 AND token_expires_ms > ?")
            .bind(id)
            .bind(State::Approved.as_str())
            .bind(token_hash)
            .bind(digest)
            .bind(now_ms)
            .execute(&mut *self.tx)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn insert_grant(&mut self, g: &GrantRow) -> Result<i64> {
        let r = sqlx::query("INSERT INTO grants (digest, principal, session, created_ms, expires_ms, request_id, created_by, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")
            .bind(&g.digest)
            .bind(&g.principal)
            .bind(&g.session)
            .bind(g.created_ms)
            .bind(g.expires_ms)
            .bind(g.request_id)
            .bind(&g.created_by)
            .bind(&g.summary)
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(r.get(0))
    }

    /// An active grant for this digest and principal, valid in this session.
    pub async fn find_grant(
        &mut self,
        digest: &str,
        principal: &str,
        session: &str,
        now_ms: i64,
    ) -> Result<Option<GrantRow>> {
        let row = sqlx::query("SELECT id, digest, principal, session, created_ms, expires_ms, revoked_ms, request_id, created_by, summary FROM grants WHERE digest = ? AND principal = ? AND (session IS NULL OR session = ?) AND revoked_ms IS NULL AND expires_ms > ? ORDER BY id LIMIT 1")
            .bind(digest)
            .bind(principal)
            .bind(session)
            .bind(now_ms)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.map(grant_from_row))
    }

    pub async fn revoke_grant(&mut self, id: i64, now_ms: i64) -> Result<Option<GrantRow>> {
        let row = sqlx::query("SELECT id, digest, principal, session, created_ms, expires_ms, revoked_ms, request_id, created_by, summary FROM grants WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        let Some(g) = row.map(grant_from_row) else {
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
            .execute(&mut *self.tx)
            .await?;
        Ok(Some(g))
    }

    /// Stores a new token (`row.id` and `row.revoked_ms` are ignored). Returns its id.
    pub async fn insert_token(&mut self, row: &TokenRow) -> Result<i64> {
        let r = sqlx::query("INSERT INTO tokens (hash, principal, label, created_ms, expires_ms, created_by, parent_token) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id")
            .bind(&row.hash)
            .bind(&row.principal)
            .bind(&row.label)
            .bind(row.created_ms)
            .bind(row.expires_ms)
            .bind(&row.created_by)
            .bind(row.parent_token)
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(r.get(0))
    }

    pub async fn token(&mut self, id: i64) -> Result<Option<TokenRow>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.map(token_from_row))
    }

    /// Marks a token revoked; `Conflict` if it already was. `None` if there is no such token.
    pub async fn revoke_token(&mut self, id: i64, now_ms: i64) -> Result<Option<TokenRow>> {
        let Some(t) = self.token(id).await? else {
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
            .execute(&mut *self.tx)
            .await?;
        Ok(Some(t))
    }

    /// The newest (active) policy version.
    pub async fn latest_policy_row(&mut self) -> Result<Option<PolicyVersionRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {POLICY_COLUMNS} FROM policy_versions ORDER BY version DESC LIMIT 1"
        )))
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(row.as_ref().map(policy_from_row))
    }

    /// Records `new` as the newest (active) policy version, replacing the current newest.
    /// With `expected`, refuses ([`StoreError::Stale`]) unless the current newest is exactly
    /// that version (0: none yet). The check and the insert happen under this transaction's
    /// write lock, and `parent` is unique, so of two activations that read the same version
    /// exactly one is recorded.
    pub async fn record_policy_version(
        &mut self,
        expected: Option<i64>,
        new: &NewPolicyVersion<'_>,
    ) -> Result<i64> {
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
            .fetch_one(&mut *self.tx)
            .await;
        match r {
            Ok(r) => Ok(r.get(0)),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Stale {
                expected: expected.unwrap_or(current_n),
                current: current_n + 1,
            }),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn latest_policy(&mut self) -> Result<Option<(i64, String)>> {
        let row = sqlx::query(
            "SELECT version, digest FROM policy_versions ORDER BY version DESC LIMIT 1",
        )
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }
}
