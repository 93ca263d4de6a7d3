//! The audit chain under crashes and tampering, on real SQLite files.
//!
//! * `kill -9` of a process appending events, at random moments, many times: every event the
//!   process acknowledged (printed after its commit returned) is in the log, and the chain
//!   verifies.
//! * Changing, deleting, inserting or reordering any event directly in SQLite breaks
//!   verification at that event.

// Test code reports failure by panicking: helpers outside `#[test]` functions (fixtures,
// runners) may expect, index and panic too.
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use assent_store::{verify_rows, SqliteStore, Store, VerifyReport};
use serde_json::{json, Map, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn event(i: u64) -> Map<String, Value> {
    let Value::Object(m) = json!({"event": "test", "time_ms": i, "principal": "agent", "summary": format!("event {i}")})
    else {
        unreachable!()
    };
    m
}

async fn verify(store: &SqliteStore) -> VerifyReport {
    let mut report = VerifyReport::default();
    let rows = store.events(0, i64::MAX).await.expect("events");
    verify_rows(
        &mut report,
        rows.iter().map(|(s, b, h)| (*s, b.as_str(), h.as_str())),
    );
    report
}

/// Child mode: append events forever, printing each sequence number once it is committed.
#[test]
fn append_child() {
    let Ok(path) = std::env::var("ASSENT_TEST_APPEND_DB") else {
        return;
    };
    rt().block_on(async {
        let store = SqliteStore::open(Path::new(&path)).await.expect("open");
        for i in 0.. {
            let mut tx = store.begin().await.expect("begin");
            let seq = tx.append(event(i)).await.expect("append");
            tx.commit().await.expect("commit");
            println!("ack {seq}");
        }
    });
}

#[test]
fn kill_9_loses_no_acknowledged_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("audit.db");
    let exe = std::env::current_exe().expect("test binary");
    let mut acknowledged: Vec<i64> = Vec::new();
    for round in 0..25u64 {
        let mut child = Command::new(&exe)
            .args(["--exact", "append_child", "--nocapture", "--test-threads=1"])
            .env("ASSENT_TEST_APPEND_DB", &db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn appender");
        let stdout = child.stdout.take().expect("stdout");
        let reader = std::thread::spawn(move || {
            let mut acks = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(n) = line
                    .strip_prefix("ack ")
                    .and_then(|n| n.trim().parse::<i64>().ok())
                {
                    acks.push(n);
                }
            }
            acks
        });
        // A different moment each round: from right after start to well into the run.
        std::thread::sleep(Duration::from_millis(20 + (round * 37) % 300));
        child.kill().expect("kill -9");
        let _ = child.wait();
        acknowledged.extend(reader.join().expect("reader"));
    }
    assert!(
        acknowledged.len() > 50,
        "the appender acknowledged only {} events",
        acknowledged.len()
    );
    rt().block_on(async {
        let store = SqliteStore::open(&db).await.expect("reopen");
        let report = verify(&store).await;
        assert!(
            report.first_break.is_none(),
            "chain broken after crashes: {:?}",
            report.first_break
        );
        let rows = store.events(0, i64::MAX).await.expect("events");
        let present: std::collections::HashSet<i64> = rows.iter().map(|r| r.0).collect();
        for a in &acknowledged {
            assert!(
                present.contains(a),
                "acknowledged event {a} is missing after kill -9"
            );
        }
    });
}

async fn fresh(n: u64) -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("a.db"))
        .await
        .expect("open");
    for i in 0..n {
        let mut tx = store.begin().await.expect("begin");
        tx.append(event(i)).await.expect("append");
        tx.commit().await.expect("commit");
    }
    (dir, store)
}

async fn raw(dir: &Path, sql: &str) {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", dir.join("a.db").display()))
        .await
        .expect("raw connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&pool)
        .await
        .expect("tamper");
    pool.close().await;
}

#[test]
fn tampering_is_detected_and_named() {
    rt().block_on(async {
        let cases: Vec<(&str, String, i64)> = vec![
            ("modify a body", "UPDATE audit_events SET body = replace(body, 'event 5', 'event X') WHERE seq = 6".into(), 6),
            ("modify a hash", "UPDATE audit_events SET hash = '00' || substr(hash, 3) WHERE seq = 4".into(), 4),
            ("delete one", "DELETE FROM audit_events WHERE seq = 3".into(), 4),
            ("delete the first", "DELETE FROM audit_events WHERE seq = 1".into(), 2),
            ("delete the tail", "DELETE FROM audit_events WHERE seq >= 9".into(), 9),
            ("insert a copy", "INSERT INTO audit_events (seq, body, hash) SELECT 100, body, hash FROM audit_events WHERE seq = 2; UPDATE chain_head SET seq = 100".into(), 100),
            ("swap two", "UPDATE audit_events SET seq = -1 WHERE seq = 5; UPDATE audit_events SET seq = 5 WHERE seq = 6; UPDATE audit_events SET seq = 6 WHERE seq = -1".into(), 5),
        ];
        for (what, sql, expect_seq) in cases {
            let (dir, store) = fresh(10).await;
            assert!(verify(&store).await.first_break.is_none(), "{what}: clean log must verify");
            raw(dir.path(), &sql).await;
            let mut report = verify(&store).await;
            if report.first_break.is_none() {
                // Truncation at the end leaves a valid prefix; the head record catches it.
                let head = store.head().await.expect("head").expect("head row");
                if head.0 != report.last_seq {
                    report.first_break = Some(assent_store::ChainBreak { seq: report.last_seq + 1, problem: "tail".into() });
                }
            }
            let b = report.first_break.unwrap_or_else(|| panic!("{what}: tampering not detected"));
            assert_eq!(b.seq, expect_seq, "{what}: wrong event named ({})", b.problem);
        }
    });
}

#[test]
fn tokens_redeem_once_for_their_digest_before_expiry() {
    rt().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(&dir.path().join("t.db"))
            .await
            .expect("open");
        let approval = assent_core::approval::Approval::new(
            assent_core::Requirement {
                approvers: vec!["owner".into()],
                quorum: 1,
                mode: assent_core::Mode::Always,
                timeout_s: 10,
                on_timeout: assent_core::OnTimeout::Deny,
            },
            10_000,
            vec!["agent".into()],
        );
        let mut body = assent_store::RequestBody {
            action: assent_core::Action {
                tool: "Bash".into(),
                kind: assent_core::Kind::Shell,
                input: json!({"command": "true"}),
                cwd: None,
                session: None,
                summary: None,
            },
            digest: "digest-a".into(),
            summary: "true".into(),
            facts: Default::default(),
            decision: assent_core::Decision::fail_closed("test", "test", 1),
            explanation: None,
            diff: None,
            approval,
            answers: Vec::new(),
        };
        let mut tx = store.begin().await.expect("begin");
        let id = tx
            .insert_request(&assent_store::NewRequest {
                created_ms: 0,
                session: "s",
                principal: "agent",
                body: &body,
                digest: "digest-a",
                token_hash: "hash-of-secret",
            })
            .await
            .expect("insert");
        // Not approved yet: nothing to redeem.
        assert!(!tx
            .redeem(id, "hash-of-secret", "digest-a", 1)
            .await
            .expect("redeem"));
        let owner = assent_core::Principal {
            name: "owner".into(),
            kind: assent_core::principal::PrincipalKind::User,
            roles: vec!["owner".into()],
            parent: None,
        };
        body.approval.approve(&owner, Ok(()), 1).expect("approves");
        tx.update_request(id, &body, Some(5_000))
            .await
            .expect("approve");
        // Wrong secret, wrong action, too late: refused.
        assert!(!tx
            .redeem(id, "other-hash", "digest-a", 1)
            .await
            .expect("redeem"));
        assert!(!tx
            .redeem(id, "hash-of-secret", "digest-b", 1)
            .await
            .expect("redeem"));
        assert!(!tx
            .redeem(id, "hash-of-secret", "digest-a", 5_000)
            .await
            .expect("redeem"));
        // The right one works once.
        assert!(tx
            .redeem(id, "hash-of-secret", "digest-a", 4_999)
            .await
            .expect("redeem"));
        assert!(!tx
            .redeem(id, "hash-of-secret", "digest-a", 4_999)
            .await
            .expect("redeem"));
        tx.commit().await.expect("commit");
    });
}
