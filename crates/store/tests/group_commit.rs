//! Group commit of the SQLite store: many concurrent writers share durable commits, a member
//! that fails is undone alone, and no caller hears "committed" before its events are on disk
//! (a child process is killed with SIGKILL mid-batch; every event it answered is there and the
//! chain verifies).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::unreachable,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use assent_store::{GrantRow, SqliteStore, Store};
use serde_json::{json, Map, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;

fn event(writer: i64, n: i64) -> Map<String, Value> {
    let Value::Object(m) = json!({
        "event": "decision", "time": "2027-01-15T08:00:00Z", "time_ms": 1_800_000_000_000i64 + n,
        "principal": format!("w{writer}"), "kind": "shell", "decision": "allow",
        "severity": "low", "request_id": null, "summary": format!("{writer}/{n}"),
        "detail": {"writer": writer, "n": n},
    }) else {
        unreachable!()
    };
    m
}

fn grant() -> GrantRow {
    GrantRow {
        id: 0,
        digest: "d".into(),
        principal: "agent".into(),
        session: None,
        created_ms: 1,
        expires_ms: i64::MAX,
        revoked_ms: None,
        request_id: 1,
        created_by: "owner".into(),
        summary: "s".into(),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// (writer, n) recorded in the event at `seq`.
async fn who(store: &dyn Store, seq: i64) -> (i64, i64) {
    let rows = store.events(seq - 1, 1).await.expect("events");
    let (s, body, _) = rows.first().expect("the event is there");
    assert_eq!(*s, seq);
    let v: Value = serde_json::from_str(body).expect("json");
    (
        v["detail"]["writer"].as_i64().expect("writer"),
        v["detail"]["n"].as_i64().expect("n"),
    )
}

#[test]
fn concurrent_writers_share_durable_commits() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let sqlite = SqliteStore::open(&dir.path().join("assent.db"))
            .await
            .expect("open");
        let store: Arc<dyn Store> = Arc::new(sqlite.clone());
        const WRITERS: i64 = 200;
        const EACH: i64 = 5;
        let mut tasks = Vec::new();
        for w in 0..WRITERS {
            let store = Arc::clone(&store);
            tasks.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                for n in 0..EACH {
                    let mut tx = store.begin().await.expect("begin");
                    let seq = tx.append(event(w, n)).await.expect("append");
                    tx.commit().await.expect("commit");
                    mine.push((seq, w, n));
                }
                mine
            }));
        }
        let mut answered = Vec::new();
        for t in tasks {
            answered.extend(t.await.expect("task"));
        }
        assert_eq!(
            answered.len() as i64,
            WRITERS * EACH,
            "every writer answered"
        );
        for (seq, w, n) in &answered {
            assert_eq!(who(store.as_ref(), *seq).await, (*w, *n));
        }
        let report = store.verify().await.expect("verify");
        assert_eq!(report.first_break, None);
        assert_eq!(report.events as i64, WRITERS * EACH, "one gap-free chain");
        let stats = sqlite.group_stats();
        assert_eq!(stats.members as i64, WRITERS * EACH);
        assert!(
            stats.commits * 4 <= stats.members,
            "{} commits for {} transactions: concurrent writers must share fsyncs",
            stats.commits,
            stats.members
        );
    });
}

#[test]
fn a_dropped_member_is_undone_alone_and_the_batch_commits() {
    // One thread: b and c run only when this task yields, so the order is fixed.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let sqlite = SqliteStore::open(&dir.path().join("assent.db"))
            .await
            .expect("open");
        let store: Arc<dyn Store> = Arc::new(sqlite.clone());
        let mut a = store.begin().await.expect("begin a");
        a.append(event(1, 0)).await.expect("append a");
        // b and c queue behind a (first come, first served), so all three share a batch.
        let s = Arc::clone(&store);
        let b = tokio::spawn(async move {
            let mut b = s.begin().await.expect("begin b");
            b.append(event(2, 0)).await.expect("append b");
            // b's SQL runs in its savepoint; then b is dropped without commit.
            b.insert_grant(&grant()).await.expect("grant");
            drop(b);
        });
        settle().await;
        let s = Arc::clone(&store);
        let c = tokio::spawn(async move {
            let mut c = s.begin().await.expect("begin c");
            let seq = c.append(event(3, 0)).await.expect("append c");
            c.commit().await.expect("commit c");
            seq
        });
        settle().await;
        a.commit().await.expect("commit a");
        b.await.expect("b");
        let c_seq = c.await.expect("c");
        assert_eq!(c_seq, 2, "b's event is gone from the chain: c follows a");
        assert_eq!(who(store.as_ref(), 1).await, (1, 0));
        assert_eq!(who(store.as_ref(), 2).await, (3, 0));
        let report = store.verify().await.expect("verify");
        assert_eq!((report.events, report.first_break), (2, None));
        assert!(
            store.grants(true, 0).await.expect("grants").is_empty(),
            "b's grant is gone"
        );
        let stats = sqlite.group_stats();
        assert_eq!(
            (stats.commits, stats.members),
            (1, 2),
            "one fsync for a and c"
        );
    });
}

/// Lets the spawned tasks run until they wait for the batch.
async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

const CHILD: &str = "ASSENT_GROUP_COMMIT_CHILD";

/// Not a test on its own: the child of `killed_mid_batch_…`, writing until it is killed.
#[test]
fn child_writer() {
    let Ok(path) = std::env::var(CHILD) else {
        return;
    };
    runtime().block_on(async move {
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(std::path::Path::new(&path))
                .await
                .expect("open"),
        );
        let mut tasks = Vec::new();
        for w in 0..32i64 {
            let store = Arc::clone(&store);
            tasks.push(tokio::spawn(async move {
                for n in 0.. {
                    let mut tx = store.begin().await.expect("begin");
                    let seq = tx.append(event(w, n)).await.expect("append");
                    tx.commit().await.expect("commit");
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "answered {seq} {w} {n}").expect("stdout");
                    out.flush().expect("flush");
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
    });
}

#[test]
fn killed_mid_batch_every_answered_event_is_durable_and_the_chain_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("assent.db");
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .args([
            "--exact",
            "child_writer",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("child");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut answered = Vec::new();
    let parse = |line: &str| -> Option<(i64, i64, i64)> {
        let mut it = line.strip_prefix("answered ")?.split(' ');
        Some((
            it.next()?.parse().ok()?,
            it.next()?.parse().ok()?,
            it.next()?.parse().ok()?,
        ))
    };
    for line in lines.by_ref() {
        if let Some(a) = parse(&line.expect("line")) {
            answered.push(a);
            if answered.len() >= 3000 {
                break;
            }
        }
    }
    assert!(
        answered.len() >= 3000,
        "the child wrote: {}",
        answered.len()
    );
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    // Answers already in the pipe were given before the kill: they count too.
    for line in lines {
        match line {
            Ok(l) => answered.extend(parse(&l)),
            Err(_) => break,
        }
    }
    runtime().block_on(async {
        let store = SqliteStore::open(&path).await.expect("reopen");
        let report = store.verify().await.expect("verify");
        assert_eq!(
            report.first_break, None,
            "one verifiable chain after the kill"
        );
        let last = answered.iter().map(|a| a.0).max().expect("some");
        assert!(
            report.last_seq >= last,
            "answered event {last} but the log ends at {}",
            report.last_seq
        );
        for (seq, w, n) in &answered {
            assert_eq!(who(&store, *seq).await, (*w, *n), "answered event {seq}");
        }
    });
}
