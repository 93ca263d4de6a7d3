//! Many concurrent decisions through one gateway: every caller is answered, each answer's
//! audit events are in the log, the log is one verifiable chain, and the decisions shared
//! durable commits instead of paying one fsync each (group commit, issue 8 item 8).

#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use assent_adapters::from_value;
use assent_gateway::{db_path, AuditQuery, Gateway, Locations, OpenOptions, Outcome};
use assent_store::{SqliteStore, Store};
use serde_json::json;
use std::sync::Arc;

#[test]
fn concurrent_decisions_share_commits_and_the_chain_verifies() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let loc = Locations {
            home: d.join("home"),
            assent_home: d.join("home/.assent"),
            extra_guards: Vec::new(),
        };
        std::fs::create_dir_all(d.join("home/project")).expect("mkdir");
        std::fs::create_dir_all(&loc.assent_home).expect("mkdir");
        let sqlite = SqliteStore::open(&db_path(&loc.assent_home))
            .await
            .expect("store");
        let gw = Arc::new(
            Gateway::open_with(
                &loc,
                None,
                OpenOptions {
                    store: Some(Arc::new(sqlite.clone()) as Arc<dyn Store>),
                    ..OpenOptions::default()
                },
            )
            .await
            .expect("gateway"),
        );
        let before = sqlite.group_stats();
        let events_before = gw.audit().verify().await.expect("verify").events;
        const CALLERS: usize = 64;
        const EACH: usize = 10;
        let cwd = d.join("home/project").display().to_string();
        let mut tasks = Vec::new();
        for c in 0..CALLERS {
            let (gw, cwd) = (Arc::clone(&gw), cwd.clone());
            tasks.push(tokio::spawn(async move {
                for i in 0..EACH {
                    let adapted = from_value(json!({"tool_name": "Bash",
                        "tool_input": {"command": format!("git status # {c}/{i}")},
                        "cwd": cwd, "session_id": format!("s{c}")}))
                    .expect("adapts");
                    let r = gw.decide(&adapted, "agent").await.expect("decided");
                    assert!(
                        matches!(r.outcome, Outcome::Allowed { grant: None }),
                        "{:?}",
                        r.outcome
                    );
                }
            }));
        }
        for t in tasks {
            t.await.expect("every caller answered");
        }
        let after = sqlite.group_stats();
        let (commits, members) = (
            after.commits - before.commits,
            after.members - before.members,
        );
        assert_eq!(
            members as usize,
            CALLERS * EACH,
            "one transaction per decision"
        );
        assert!(
            commits * 4 <= members,
            "{commits} durable commits for {members} decisions: they must share fsyncs"
        );
        let v = gw.audit().verify().await.expect("verify");
        assert!(v.ok, "{:?}", v.problem);
        assert_eq!(
            v.events - events_before,
            (2 * CALLERS * EACH) as u64,
            "a request and a decision event for every answer"
        );
        let decisions = gw
            .audit()
            .query(&AuditQuery {
                event: Some("decision".into()),
                decision: Some("allow".into()),
                ..AuditQuery::default()
            })
            .await
            .expect("query");
        assert_eq!(
            decisions.len(),
            CALLERS * EACH,
            "every answer's decision is in the log"
        );
    });
}
