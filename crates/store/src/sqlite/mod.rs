//! The embedded backend: SQLite through sqlx, in WAL mode with `synchronous = FULL`, its
//! transactions committed in groups (`group.rs`).

mod group;
mod tx;

pub use group::GroupStats;

use crate::{
    parse_state, schema, BoxFuture, EventFilter, GrantRow, PolicyVersionRow, RequestRow, Result,
    Store, StoreError, TokenRow, Tx,
};
use assent_core::approval::State;
use serde_json::Value;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// The SQLite store of one database file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    group: Arc<group::Shared>,
}

/// How long a writer waits for another to finish before giving up (and failing closed).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const REQUEST_COLUMNS: &str = "id, created_ms, session, principal, body, state, deadline_ms, digest, token_hash, token_expires_ms, token_used";
const GRANT_COLUMNS: &str =
    "id, digest, principal, session, created_ms, expires_ms, revoked_ms, request_id, created_by, summary";
const TOKEN_COLUMNS: &str =
    "id, hash, principal, label, created_ms, expires_ms, revoked_ms, created_by, parent_token";
const POLICY_COLUMNS: &str = "version, digest, created_ms, note, activated_by, via, parent";

/// A query built from our own column lists and constants only (never from input).
fn q(sql: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql)
}

impl SqliteStore {
    /// Opens (creating if needed) the SQLite database at `path` and migrates it.
    pub async fn open(path: &Path) -> Result<SqliteStore> {
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
                schema::migrate(&pool).await?;
                Ok::<SqliteStore, StoreError>(SqliteStore {
                    group: Arc::new(group::Shared::new(pool.clone())),
                    pool,
                })
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
}

impl SqliteStore {
    /// How many durable commits this store made and how many transactions they held.
    pub fn group_stats(&self) -> GroupStats {
        self.group.stats()
    }
}

impl Store for SqliteStore {
    fn begin(&self) -> BoxFuture<'_, Box<dyn Tx>> {
        Box::pin(async move {
            let tx = group::begin(&self.group).await?;
            Ok(Box::new(tx) as Box<dyn Tx>)
        })
    }

    fn close(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(self.pool.close())
    }

    fn request(&self, id: i64) -> BoxFuture<'_, Option<RequestRow>> {
        Box::pin(async move {
            let row = sqlx::query(q(format!(
                "SELECT {REQUEST_COLUMNS} FROM requests WHERE id = ?"
            )))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
            row.map(request_from_row).transpose()
        })
    }

    fn requests_in_state(&self, state: State, limit: i64) -> BoxFuture<'_, Vec<RequestRow>> {
        Box::pin(async move {
            let rows = sqlx::query(q(format!(
                "SELECT {REQUEST_COLUMNS} FROM requests WHERE state = ? ORDER BY id LIMIT ?"
            )))
            .bind(state.as_str())
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter().map(request_from_row).collect()
        })
    }

    fn requests_after(&self, id: i64) -> BoxFuture<'_, Vec<RequestRow>> {
        Box::pin(async move {
            let rows = sqlx::query(q(format!(
                "SELECT {REQUEST_COLUMNS} FROM requests WHERE id > ? ORDER BY id"
            )))
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter().map(request_from_row).collect()
        })
    }

    fn request_state(&self, id: i64) -> BoxFuture<'_, Option<(State, i64)>> {
        Box::pin(async move {
            let row = sqlx::query("SELECT state, deadline_ms FROM requests WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            row.map(|r| Ok((parse_state(&r.get::<String, _>(0))?, r.get::<i64, _>(1))))
                .transpose()
        })
    }

    fn requests(&self, state: Option<State>, limit: i64) -> BoxFuture<'_, Vec<RequestRow>> {
        Box::pin(async move {
            let rows = match state {
                Some(s) => {
                    sqlx::query(q(format!(
                        "SELECT {REQUEST_COLUMNS} FROM requests WHERE state = ? ORDER BY id DESC LIMIT ?"
                    )))
                    .bind(s.as_str())
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
                }
                None => {
                    sqlx::query(q(format!(
                        "SELECT {REQUEST_COLUMNS} FROM requests ORDER BY id DESC LIMIT ?"
                    )))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
                }
            };
            rows.into_iter().map(request_from_row).collect()
        })
    }

    fn grants(&self, include_inactive: bool, now_ms: i64) -> BoxFuture<'_, Vec<GrantRow>> {
        Box::pin(async move {
            let query = if include_inactive {
                sqlx::query(q(format!("SELECT {GRANT_COLUMNS} FROM grants ORDER BY id")))
            } else {
                sqlx::query(q(format!("SELECT {GRANT_COLUMNS} FROM grants WHERE revoked_ms IS NULL AND expires_ms > ? ORDER BY id"))).bind(now_ms)
            };
            let rows = query.fetch_all(&self.pool).await?;
            Ok(rows.iter().map(grant_from_row).collect())
        })
    }

    fn events(&self, after: i64, limit: i64) -> BoxFuture<'_, Vec<(i64, String, String)>> {
        Box::pin(async move {
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
        })
    }

    fn query_events<'a>(&'a self, f: &'a EventFilter) -> BoxFuture<'a, Vec<(i64, String)>> {
        Box::pin(async move {
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
            let mut query = sqlx::query(q(sql)).bind(f.after_seq);
            if let Some(v) = f.since_ms {
                query = query.bind(v);
            }
            if let Some(v) = f.until_ms {
                query = query.bind(v);
            }
            for v in [&f.principal, &f.kind, &f.decision, &f.severity, &f.event]
                .into_iter()
                .flatten()
            {
                query = query.bind(v.clone());
            }
            if let Some(r) = f.request {
                query = query.bind(r);
            }
            query = query.bind(f.limit);
            let rows = query.fetch_all(&self.pool).await?;
            Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
        })
    }

    fn head(&self) -> BoxFuture<'_, Option<(i64, String)>> {
        Box::pin(async move {
            let row = sqlx::query("SELECT seq, hash FROM chain_head WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(|r| (r.get(0), r.get(1))))
        })
    }

    fn key<'a>(&'a self, name: &'a str, fresh: &'a str) -> BoxFuture<'a, String> {
        Box::pin(async move {
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
        })
    }

    fn latest_policy(&self) -> BoxFuture<'_, Option<(i64, String)>> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT version, digest FROM policy_versions ORDER BY version DESC LIMIT 1",
            )
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(|r| (r.get(0), r.get(1))))
        })
    }

    fn policy_history(&self) -> BoxFuture<'_, Vec<PolicyVersionRow>> {
        Box::pin(async move {
            let rows = sqlx::query(q(format!(
                "SELECT {POLICY_COLUMNS} FROM policy_versions ORDER BY version"
            )))
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.iter().map(policy_from_row).collect())
        })
    }

    fn policy_version(&self, version: i64) -> BoxFuture<'_, Option<(PolicyVersionRow, Value)>> {
        Box::pin(async move {
            let row = sqlx::query(q(format!(
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
        })
    }

    fn token_by_hash<'a>(&'a self, hash: &'a str) -> BoxFuture<'a, Option<TokenRow>> {
        Box::pin(async move {
            let row = sqlx::query(q(format!(
                "SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = ?"
            )))
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.as_ref().map(token_from_row))
        })
    }

    fn token(&self, id: i64) -> BoxFuture<'_, Option<TokenRow>> {
        Box::pin(async move {
            let row = sqlx::query(q(format!(
                "SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ?"
            )))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.as_ref().map(token_from_row))
        })
    }

    fn tokens(&self, include_inactive: bool, now_ms: i64) -> BoxFuture<'_, Vec<TokenRow>> {
        Box::pin(async move {
            let query = if include_inactive {
                sqlx::query(q(format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY id")))
            } else {
                sqlx::query(q(format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE revoked_ms IS NULL AND expires_ms > ? ORDER BY id"))).bind(now_ms)
            };
            let rows = query.fetch_all(&self.pool).await?;
            Ok(rows.iter().map(token_from_row).collect())
        })
    }
}

fn token_from_row(r: &SqliteRow) -> TokenRow {
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

fn request_from_row(r: SqliteRow) -> Result<RequestRow> {
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

fn grant_from_row(r: &SqliteRow) -> GrantRow {
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

fn policy_from_row(r: &SqliteRow) -> PolicyVersionRow {
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
