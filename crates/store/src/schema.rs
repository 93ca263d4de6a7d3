//! The schema and its migrations, versioned with SQLite's `user_version`. Each migration runs
//! once, inside a transaction, in order; a database from a newer assent is refused.

use crate::{Result, StoreError};
use sqlx::SqlitePool;

const MIGRATIONS: &[&str] = &[
    // 1: requests, approvals, grants, policy versions, the audit chain.
    r#"
    CREATE TABLE requests (
        id INTEGER PRIMARY KEY,
        created_ms INTEGER NOT NULL,
        session TEXT NOT NULL,
        principal TEXT NOT NULL,
        body TEXT NOT NULL,
        state TEXT NOT NULL,
        deadline_ms INTEGER NOT NULL,
        digest TEXT NOT NULL,
        token_hash TEXT,
        token_expires_ms INTEGER,
        token_used INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX requests_state ON requests(state, id);
    CREATE TABLE grants (
        id INTEGER PRIMARY KEY,
        digest TEXT NOT NULL,
        principal TEXT NOT NULL,
        session TEXT,
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        revoked_ms INTEGER,
        request_id INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        summary TEXT NOT NULL
    );
    CREATE INDEX grants_lookup ON grants(digest, principal);
    CREATE TABLE policy_versions (
        version INTEGER PRIMARY KEY,
        digest TEXT NOT NULL,
        source TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        note TEXT NOT NULL
    );
    CREATE TABLE audit_events (
        seq INTEGER PRIMARY KEY,
        body TEXT NOT NULL,
        hash TEXT NOT NULL,
        time_ms INTEGER GENERATED ALWAYS AS (json_extract(body, '$.time_ms')) VIRTUAL,
        event TEXT GENERATED ALWAYS AS (json_extract(body, '$.event')) VIRTUAL,
        principal TEXT GENERATED ALWAYS AS (json_extract(body, '$.principal')) VIRTUAL,
        kind TEXT GENERATED ALWAYS AS (json_extract(body, '$.kind')) VIRTUAL,
        decision TEXT GENERATED ALWAYS AS (json_extract(body, '$.decision')) VIRTUAL,
        severity TEXT GENERATED ALWAYS AS (json_extract(body, '$.severity')) VIRTUAL,
        request_id INTEGER GENERATED ALWAYS AS (json_extract(body, '$.request_id')) VIRTUAL
    );
    CREATE INDEX audit_time ON audit_events(time_ms);
    CREATE INDEX audit_request ON audit_events(request_id);
    CREATE TABLE chain_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL
    );
    "#,
    // 2: per-database keys (the digest key: audit digests are keyed so that a digest of an
    // action holding a redacted value cannot be brute-forced back to that value).
    r#"
    CREATE TABLE store_keys (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    "#,
    // 3: who activated each policy version, how, and which version it replaced. `parent` is
    // unique: two activations that both read version N cannot both record a successor of N,
    // whatever the transaction isolation of the backend.
    r#"
    ALTER TABLE policy_versions ADD COLUMN activated_by TEXT NOT NULL DEFAULT '';
    ALTER TABLE policy_versions ADD COLUMN via TEXT NOT NULL DEFAULT 'files';
    ALTER TABLE policy_versions ADD COLUMN parent INTEGER;
    CREATE UNIQUE INDEX policy_versions_parent ON policy_versions(parent);
    "#,
    // 4: bearer tokens. Only the SHA-256 of a token is kept; the token itself is shown once.
    // `parent_token` is the token its creator authenticated with (none for the local
    // administrator): a token minted with another never outlives it, and revoking the parent
    // ends every token minted under it.
    r#"
    CREATE TABLE tokens (
        id INTEGER PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        principal TEXT NOT NULL,
        label TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        revoked_ms INTEGER,
        created_by TEXT NOT NULL,
        parent_token INTEGER REFERENCES tokens(id)
    );
    CREATE INDEX tokens_principal ON tokens(principal);
    "#,
];

pub(crate) async fn migrate(pool: &SqlitePool) -> Result<()> {
    let mut conn = pool.acquire().await?;
    let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?;
    let version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&mut *tx)
        .await?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew {
            found: version,
            known,
        });
    }
    for (i, m) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        sqlx::raw_sql(*m).execute(&mut *tx).await?;
        let v = i as i64 + 1;
        // PRAGMA takes no bind parameters; `v` is our own integer.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("PRAGMA user_version = {v}")))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
