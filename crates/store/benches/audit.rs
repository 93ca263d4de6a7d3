//! Audit log throughput: durable appends (one event per transaction, `synchronous = FULL`)
//! from one writer and from many concurrent writers (group commit: each transaction holds a
//! `request` and a `decision` event, as a decision does, and its caller is answered only once
//! it is durable), and chain verification (read + hash + check) over 200,000 events.
//!
//! Run: `cargo bench -p assent-store --bench audit`

// A benchmark is test code: a failed setup step should stop it loudly.
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use assent_store::{SqliteStore, Store};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{json, Map, Value};

fn event(i: u64) -> Map<String, Value> {
    let Value::Object(m) = json!({
        "event": "decision", "time": "2026-11-25T15:00:00.000Z", "time_ms": 1_790_000_000_000u64 + i,
        "principal": "agent", "chain": ["agent"], "approver": null, "request_id": null,
        "digest": "d1522f7d3488cdb2a5f04131cf849f545e446f390ef756463a0c47070ad92379",
        "kind": "shell", "tool": "Bash", "session": "s-123", "summary": format!("git status && ls -la # {i}"),
        "decision": "allow", "rule": "read-only-shell", "severity": "low", "policy_version": 1,
        "reason": "read-only inspection inside the workspace", "detail": {"rules": ["read-only-shell"]},
    }) else {
        unreachable!()
    };
    m
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = rt
        .block_on(SqliteStore::open(&dir.path().join("append.db")))
        .expect("open");
    let mut i = 0u64;
    let mut g = c.benchmark_group("audit");
    g.throughput(Throughput::Elements(1));
    g.bench_function("append_durable", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut tx = store.begin().await.expect("begin");
                tx.append(event(i)).await.expect("append");
                tx.commit().await.expect("commit");
            });
            i += 1;
        })
    });

    // Many concurrent decisions: WRITERS tasks, each committing transactions of two events
    // until TXS are answered; every answer is durable (group commit shares the fsyncs).
    const WRITERS: u64 = 256;
    const TXS: u64 = 20_480;
    let mrt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let gdir = tempfile::tempdir().expect("tempdir");
    let gstore: std::sync::Arc<dyn Store> = std::sync::Arc::new(
        mrt.block_on(SqliteStore::open(&gdir.path().join("group.db")))
            .expect("open"),
    );
    g.throughput(Throughput::Elements(TXS));
    g.sample_size(10);
    g.bench_function("decisions_durable_256_writers", |b| {
        b.iter_custom(|iters| {
            let started = std::time::Instant::now();
            for _ in 0..iters {
                mrt.block_on(async {
                    let mut tasks = Vec::new();
                    for w in 0..WRITERS {
                        let s = std::sync::Arc::clone(&gstore);
                        tasks.push(tokio::spawn(async move {
                            for k in 0..TXS / WRITERS {
                                let mut tx = s.begin().await.expect("begin");
                                let mut e = event(w * 1_000_000 + k);
                                e.insert("event".into(), json!("request"));
                                tx.append(e).await.expect("append");
                                tx.append(event(w * 1_000_000 + k)).await.expect("append");
                                tx.commit().await.expect("commit");
                            }
                        }));
                    }
                    for t in tasks {
                        t.await.expect("writer");
                    }
                });
            }
            started.elapsed()
        })
    });
    let report = mrt.block_on(gstore.verify()).expect("verify");
    assert!(report.first_break.is_none(), "one verifiable chain");

    const N: u64 = 200_000;
    let vdir = tempfile::tempdir().expect("tempdir");
    let vstore = rt
        .block_on(SqliteStore::open(&vdir.path().join("verify.db")))
        .expect("open");
    rt.block_on(async {
        for chunk in 0..(N / 10_000) {
            let mut tx = vstore.begin().await.expect("begin");
            for k in 0..10_000 {
                tx.append(event(chunk * 10_000 + k)).await.expect("append");
            }
            tx.commit().await.expect("commit");
        }
    });
    g.throughput(Throughput::Elements(N));
    g.sample_size(10);
    g.bench_function("verify_200k", |b| {
        b.iter(|| {
            rt.block_on(async {
                let report = vstore.verify().await.expect("verify");
                assert!(report.first_break.is_none());
                assert_eq!(report.events, N);
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
