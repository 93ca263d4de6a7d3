//! The conformance suite every [`Store`] backend must pass. A backend's test file (in this
//! crate or a backend crate with the `conformance` feature) says
//! `assent_store::conformance_suite!(make);` where `make` is an async fn returning a guard that
//! keeps the store alive (a temporary directory, a schema) and a fresh, empty store. It expands
//! to one `#[test]` per case.
//!
//! Test support, not production code: a failed expectation panics (that is the test failing).
//!
//! The cases state the contract the gateway relies on: reads see committed state only; a
//! dropped transaction leaves nothing; requests, grants, tokens and policy versions behave as
//! documented on the traits; of two racing activations exactly one wins; the audit log is one
//! gap-free chain whatever the number of concurrent writers.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::unreachable,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use crate::{
    chain_hash, EventFilter, GrantRow, NewPolicyVersion, NewRequest, RequestBody, Store,
    StoreError, TokenRow, GENESIS,
};
use assent_core::approval::{Approval, State};
use assent_core::{Action, Decision, Facts, Mode, OnTimeout, Requirement, Severity, Verdict};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// Declares one `#[test]` per case against the backend made by `$make`.
#[macro_export]
macro_rules! conformance_suite {
    ($make:ident) => {
        $crate::conformance_suite!(@each $make;
            empty_store_is_empty,
            append_links_every_event_into_one_chain,
            dropped_transaction_leaves_nothing,
            transaction_reads_its_own_writes_others_do_not,
            request_round_trips_typed,
            new_request_must_be_pending,
            update_moves_state_and_deadline,
            update_of_unknown_request_fails,
            token_redeems_once_with_right_hash_digest_and_time,
            grants_find_expire_and_revoke,
            policy_versions_record_history_and_refuse_stale,
            racing_activations_exactly_one_wins,
            key_first_writer_wins,
            tokens_store_hashes_expire_and_revoke,
            query_events_filters,
            concurrent_writers_make_one_gap_free_chain,
        );
    };
    (@each $make:ident; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::conformance::runtime().block_on(async {
                    let (_guard, store) = $make().await;
                    $crate::conformance::$case(store).await;
                });
            }
        )*
    };
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

const T0: i64 = 1_800_000_000_000;

fn event(name: &str, i: i64) -> Map<String, Value> {
    let Value::Object(m) = json!({
        "event": name, "time": "2027-01-15T08:00:00Z", "time_ms": T0 + i,
        "principal": "agent", "kind": "shell", "decision": "allow", "severity": "low",
        "request_id": null, "summary": format!("event {i}"),
    }) else {
        unreachable!()
    };
    m
}

fn requirement(on_timeout: OnTimeout) -> Requirement {
    Requirement {
        approvers: vec!["owner".into()],
        quorum: 1,
        mode: Mode::Once,
        timeout_s: 60,
        on_timeout,
    }
}

fn body(deadline_ms: i64, on_timeout: OnTimeout) -> RequestBody {
    let action = Action::from_json(
        r#"{"tool":"Bash","kind":"shell","input":{"command":"rm -rf build"},"cwd":"/w"}"#,
    )
    .expect("action");
    RequestBody {
        digest: action.digest(),
        summary: "rm -rf build".into(),
        facts: Facts::default(),
        decision: Decision {
            decision: Verdict::Ask,
            rules: vec!["ask-delete".into()],
            severity: Severity::High,
            requirement: Some(requirement(on_timeout.clone())),
            policy_version: 1,
            reason: "deletes files".into(),
            diagnostics: Vec::new(),
        },
        explanation: None,
        diff: None,
        approval: Approval::new(requirement(on_timeout), deadline_ms, vec!["agent".into()]),
        answers: Vec::new(),
        action,
    }
}

async fn insert(store: &dyn Store, b: &RequestBody, token_hash: &str) -> i64 {
    let mut tx = store.begin().await.expect("begin");
    let id = tx
        .insert_request(&NewRequest {
            created_ms: T0,
            session: "s1",
            principal: "agent",
            body: b,
            digest: "d1",
            token_hash,
        })
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    id
}

async fn append_n(store: &dyn Store, name: &str, n: i64) -> Vec<i64> {
    let mut tx = store.begin().await.expect("begin");
    let mut seqs = Vec::new();
    for i in 0..n {
        seqs.push(tx.append(event(name, i)).await.expect("append"));
    }
    tx.commit().await.expect("commit");
    seqs
}

pub async fn empty_store_is_empty(s: Arc<dyn Store>) {
    assert_eq!(s.head().await.expect("head"), None);
    let r = s.verify().await.expect("verify");
    assert_eq!((r.events, r.first_break), (0, None));
    assert!(s.requests(None, 10).await.expect("requests").is_empty());
    assert!(s.request(1).await.expect("request").is_none());
    assert!(s.request_state(1).await.expect("state").is_none());
    assert!(s.grants(true, T0).await.expect("grants").is_empty());
    assert!(s.latest_policy().await.expect("latest").is_none());
    assert!(s.policy_history().await.expect("history").is_empty());
    assert!(s.events(0, 10).await.expect("events").is_empty());
}

pub async fn append_links_every_event_into_one_chain(s: Arc<dyn Store>) {
    assert_eq!(append_n(s.as_ref(), "a", 2).await, vec![1, 2]);
    assert_eq!(append_n(s.as_ref(), "b", 1).await, vec![3]);
    let rows = s.events(0, 100).await.expect("events");
    assert_eq!(rows.len(), 3);
    let mut prev = GENESIS.to_string();
    for (i, (seq, body, hash)) in rows.iter().enumerate() {
        assert_eq!(*seq, i as i64 + 1);
        let v: Value = serde_json::from_str(body).expect("json");
        assert_eq!(v["seq"], json!(seq), "the body names its position");
        assert_eq!(v["prev"], json!(prev), "the body names its predecessor");
        assert_eq!(hash, &chain_hash(&prev, body));
        prev = hash.clone();
    }
    assert_eq!(s.head().await.expect("head"), Some((3, prev.clone())));
    let r = s.verify().await.expect("verify");
    assert_eq!(r.first_break, None);
    assert_eq!((r.events, r.last_seq, r.last_hash), (3, 3, prev));
    assert_eq!(s.events(1, 1).await.expect("page").len(), 1, "paging");
}

pub async fn dropped_transaction_leaves_nothing(s: Arc<dyn Store>) {
    let b = body(T0 + 60_000, OnTimeout::Deny);
    {
        let mut tx = s.begin().await.expect("begin");
        tx.append(event("lost", 0)).await.expect("append");
        tx.insert_request(&NewRequest {
            created_ms: T0,
            session: "s1",
            principal: "agent",
            body: &b,
            digest: "d1",
            token_hash: "h",
        })
        .await
        .expect("insert");
        // Dropped without commit.
    }
    assert_eq!(s.head().await.expect("head"), None);
    assert!(s.requests(None, 10).await.expect("requests").is_empty());
    assert_eq!(
        append_n(s.as_ref(), "kept", 1).await,
        vec![1],
        "the chain restarts at 1"
    );
    assert!(s.verify().await.expect("verify").first_break.is_none());
}

pub async fn transaction_reads_its_own_writes_others_do_not(s: Arc<dyn Store>) {
    let b = body(T0 + 60_000, OnTimeout::Deny);
    let mut tx = s.begin().await.expect("begin");
    let id = tx
        .insert_request(&NewRequest {
            created_ms: T0,
            session: "s1",
            principal: "agent",
            body: &b,
            digest: "d1",
            token_hash: "h",
        })
        .await
        .expect("insert");
    tx.append(event("x", 0)).await.expect("append");
    assert!(tx.request(id).await.expect("read").is_some(), "own write");
    assert_eq!(tx.chain_head().await.expect("head").map(|h| h.0), Some(1));
    assert!(s.request(id).await.expect("read").is_none(), "uncommitted");
    assert_eq!(s.head().await.expect("head"), None, "uncommitted");
    tx.commit().await.expect("commit");
    assert!(s.request(id).await.expect("read").is_some(), "committed");
}

pub async fn request_round_trips_typed(s: Arc<dyn Store>) {
    let b = body(T0 + 60_000, OnTimeout::Deny);
    let id1 = insert(s.as_ref(), &b, "h1").await;
    let id2 = insert(s.as_ref(), &b, "h2").await;
    assert!(id2 > id1);
    let r = s.request(id1).await.expect("read").expect("row");
    assert_eq!(r.body, b, "the typed body comes back as it went in");
    assert_eq!(r.state, State::Pending);
    assert_eq!(r.deadline_ms, T0 + 60_000);
    assert_eq!(
        (r.session.as_str(), r.principal.as_str(), r.digest.as_str()),
        ("s1", "agent", "d1")
    );
    assert_eq!(r.token_hash.as_deref(), Some("h1"));
    assert_eq!((r.token_expires_ms, r.token_used), (None, false));
    assert_eq!(r.created_ms, T0);
    assert_eq!(
        s.request_state(id1).await.expect("state"),
        Some((State::Pending, T0 + 60_000))
    );
    let ids = |rows: Vec<crate::RequestRow>| rows.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.requests_in_state(State::Pending, 10).await.expect("q")),
        vec![id1, id2],
        "oldest first"
    );
    assert_eq!(
        ids(s.requests(None, 10).await.expect("q")),
        vec![id2, id1],
        "newest first"
    );
    assert_eq!(ids(s.requests(None, 1).await.expect("q")), vec![id2]);
    assert!(s
        .requests(Some(State::Denied), 10)
        .await
        .expect("q")
        .is_empty());
    assert_eq!(ids(s.requests_after(id1).await.expect("q")), vec![id2]);
}

pub async fn new_request_must_be_pending(s: Arc<dyn Store>) {
    let mut b = body(T0 + 60_000, OnTimeout::Deny);
    b.approval.cancel().expect("cancel");
    let mut tx = s.begin().await.expect("begin");
    let r = tx
        .insert_request(&NewRequest {
            created_ms: T0,
            session: "s1",
            principal: "agent",
            body: &b,
            digest: "d1",
            token_hash: "h",
        })
        .await;
    assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
}

pub async fn update_moves_state_and_deadline(s: Arc<dyn Store>) {
    let mut b = body(T0 + 1_000, OnTimeout::Escalate("admin".into()));
    let id = insert(s.as_ref(), &b, "h").await;
    // Escalation moves the deadline; the row's indexed deadline follows the body.
    b.approval.expire(T0 + 1_000).expect("escalate");
    let mut tx = s.begin().await.expect("begin");
    tx.update_request(id, &b, None).await.expect("update");
    tx.commit().await.expect("commit");
    assert_eq!(
        s.request_state(id).await.expect("state"),
        Some((State::Pending, T0 + 61_000))
    );
    b.approval.cancel().expect("cancel");
    let mut tx = s.begin().await.expect("begin");
    tx.update_request(id, &b, None).await.expect("update");
    tx.commit().await.expect("commit");
    let r = s.request(id).await.expect("read").expect("row");
    assert_eq!(
        (r.state, r.body.approval.state()),
        (State::Cancelled, State::Cancelled)
    );
    assert!(s
        .requests_in_state(State::Pending, 10)
        .await
        .expect("q")
        .is_empty());
}

pub async fn update_of_unknown_request_fails(s: Arc<dyn Store>) {
    let b = body(T0, OnTimeout::Deny);
    let mut tx = s.begin().await.expect("begin");
    assert!(tx.update_request(42, &b, None).await.is_err());
}

pub async fn token_redeems_once_with_right_hash_digest_and_time(s: Arc<dyn Store>) {
    let mut b = body(T0 + 1_000, OnTimeout::Allow);
    let id = insert(s.as_ref(), &b, "right").await;
    let redeem = |hash: &'static str, digest: &'static str, now: i64| {
        let s = Arc::clone(&s);
        async move {
            let mut tx = s.begin().await.expect("begin");
            let ok = tx.redeem(id, hash, digest, now).await.expect("redeem");
            tx.commit().await.expect("commit");
            ok
        }
    };
    assert!(
        !redeem("right", "d1", T0).await,
        "a pending request has no token"
    );
    b.approval.expire(T0 + 1_000).expect("allow on timeout");
    assert_eq!(b.approval.state(), State::Approved);
    let mut tx = s.begin().await.expect("begin");
    tx.update_request(id, &b, Some(T0 + 5_000))
        .await
        .expect("update");
    tx.commit().await.expect("commit");
    assert!(!redeem("wrong", "d1", T0 + 2_000).await, "wrong secret");
    assert!(!redeem("right", "other", T0 + 2_000).await, "wrong action");
    assert!(!redeem("right", "d1", T0 + 5_000).await, "expired token");
    assert!(redeem("right", "d1", T0 + 4_999).await, "the right one");
    assert!(!redeem("right", "d1", T0 + 4_999).await, "only once");
    assert!(s.request(id).await.expect("r").expect("row").token_used);
}

fn grant(session: Option<&str>, expires_ms: i64) -> GrantRow {
    GrantRow {
        id: 0,
        digest: "d1".into(),
        principal: "agent".into(),
        session: session.map(str::to_string),
        created_ms: T0,
        expires_ms,
        revoked_ms: None,
        request_id: 1,
        created_by: "alice".into(),
        summary: "rm -rf build".into(),
    }
}

pub async fn grants_find_expire_and_revoke(s: Arc<dyn Store>) {
    let mut tx = s.begin().await.expect("begin");
    let any = tx.insert_grant(&grant(None, T0 + 1_000)).await.expect("g");
    let own = tx
        .insert_grant(&grant(Some("s1"), T0 + 9_000))
        .await
        .expect("g");
    tx.commit().await.expect("commit");
    let mut tx = s.begin().await.expect("begin");
    let find = tx.find_grant("d1", "agent", "s2", T0).await.expect("find");
    assert_eq!(
        find.map(|g| g.id),
        Some(any),
        "a session-free grant holds anywhere"
    );
    let find = tx
        .find_grant("d1", "agent", "s2", T0 + 1_000)
        .await
        .expect("find");
    assert!(
        find.is_none(),
        "expired, and the other grant is for session s1"
    );
    let find = tx
        .find_grant("d1", "agent", "s1", T0 + 1_000)
        .await
        .expect("find");
    assert_eq!(find.as_ref().map(|g| g.id), Some(own));
    assert_eq!(find.map(|g| g.session), Some(Some("s1".to_string())));
    assert!(tx
        .find_grant("d1", "other", "s1", T0)
        .await
        .expect("f")
        .is_none());
    assert!(tx
        .find_grant("d2", "agent", "s1", T0)
        .await
        .expect("f")
        .is_none());
    let revoked = tx.revoke_grant(own, T0 + 10).await.expect("revoke");
    assert_eq!(revoked.map(|g| g.id), Some(own));
    assert!(matches!(
        tx.revoke_grant(own, T0 + 11).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(tx.revoke_grant(999, T0).await.expect("none").is_none());
    assert!(tx
        .find_grant("d1", "agent", "s1", T0 + 20)
        .await
        .expect("f")
        .is_some_and(|g| g.id == any));
    tx.commit().await.expect("commit");
    let active = s.grants(false, T0 + 20).await.expect("grants");
    assert_eq!(active.iter().map(|g| g.id).collect::<Vec<_>>(), vec![any]);
    assert!(s
        .grants(false, T0 + 1_000)
        .await
        .expect("grants")
        .is_empty());
    let all = s.grants(true, T0 + 1_000).await.expect("grants");
    assert_eq!(all.iter().map(|g| g.id).collect::<Vec<_>>(), vec![any, own]);
    assert_eq!(all.get(1).and_then(|g| g.revoked_ms), Some(T0 + 10));
}

fn version<'a>(source: &'a Value, by: &'a str) -> NewPolicyVersion<'a> {
    NewPolicyVersion {
        digest: "pd",
        source,
        created_ms: T0,
        note: "n",
        activated_by: by,
        via: "api",
    }
}

pub async fn policy_versions_record_history_and_refuse_stale(s: Arc<dyn Store>) {
    let src1 = json!({"cedar": [["a.cedar", "permit(principal, action, resource);"]]});
    let src2 = json!({"cedar": []});
    let mut tx = s.begin().await.expect("begin");
    assert_eq!(tx.latest_policy().await.expect("l"), None);
    let v1 = tx
        .record_policy_version(Some(0), &version(&src1, "alice"))
        .await
        .expect("v1");
    let stale = tx
        .record_policy_version(Some(0), &version(&src2, "bob"))
        .await;
    assert!(
        matches!(stale, Err(StoreError::Stale { expected: 0, current }) if current == v1),
        "{stale:?}"
    );
    let v2 = tx
        .record_policy_version(None, &version(&src2, "bob"))
        .await
        .expect("v2");
    assert!(v2 > v1);
    assert_eq!(
        tx.latest_policy_row().await.expect("l").map(|r| r.version),
        Some(v2)
    );
    tx.commit().await.expect("commit");
    let h = s.policy_history().await.expect("history");
    assert_eq!(h.len(), 2);
    let (a, b) = (&h[0], &h[1]);
    assert_eq!(
        (a.version, a.parent, a.activated_by.as_str()),
        (v1, None, "alice")
    );
    assert_eq!(
        (b.version, b.parent, b.activated_by.as_str()),
        (v2, Some(v1), "bob")
    );
    assert_eq!(
        (b.via.as_str(), b.note.as_str(), b.digest.as_str()),
        ("api", "n", "pd")
    );
    let (row, text) = s.policy_version(v1).await.expect("v").expect("some");
    assert_eq!((row, text), (a.clone(), src1));
    assert!(s.policy_version(v2 + 5).await.expect("v").is_none());
    assert_eq!(
        s.latest_policy().await.expect("l"),
        Some((v2, "pd".to_string()))
    );
}

pub async fn racing_activations_exactly_one_wins(s: Arc<dyn Store>) {
    let src = json!({});
    let mut tx = s.begin().await.expect("begin");
    tx.record_policy_version(None, &version(&src, "x"))
        .await
        .expect("v1");
    tx.commit().await.expect("commit");
    let race = |by: &'static str| {
        let s = Arc::clone(&s);
        tokio::spawn(async move {
            let src = json!({"by": by});
            let mut tx = s.begin().await?;
            let v = tx
                .record_policy_version(Some(1), &version(&src, by))
                .await?;
            tx.commit().await?;
            Ok::<i64, StoreError>(v)
        })
    };
    let (a, b) = (race("a"), race("b"));
    let (a, b) = (a.await.expect("join"), b.await.expect("join"));
    assert!(a.is_ok() != b.is_ok(), "exactly one wins: {a:?} / {b:?}");
    assert!(matches!(
        a.err().or(b.err()),
        Some(StoreError::Stale { .. })
    ));
    assert_eq!(s.policy_history().await.expect("h").len(), 2);
}

pub async fn key_first_writer_wins(s: Arc<dyn Store>) {
    assert_eq!(s.key("digest", "first").await.expect("k"), "first");
    assert_eq!(s.key("digest", "second").await.expect("k"), "first");
    assert_eq!(s.key("other", "x").await.expect("k"), "x");
}

pub async fn query_events_filters(s: Arc<dyn Store>) {
    let mut tx = s.begin().await.expect("begin");
    for (i, (name, who, kind, decision, sev, req)) in [
        ("decision", "agent", "shell", "allow", "low", None),
        ("decision", "bot", "http", "deny", "high", Some(7)),
        ("approved", "agent", "shell", "allow", "high", Some(7)),
    ]
    .into_iter()
    .enumerate()
    {
        let mut e = event(name, i as i64);
        e.insert("principal".into(), json!(who));
        e.insert("kind".into(), json!(kind));
        e.insert("decision".into(), json!(decision));
        e.insert("severity".into(), json!(sev));
        e.insert("request_id".into(), json!(req));
        tx.append(e).await.expect("append");
    }
    tx.commit().await.expect("commit");
    let seqs = |f: EventFilter| {
        let s = Arc::clone(&s);
        async move {
            let f = EventFilter { limit: 100, ..f };
            s.query_events(&f)
                .await
                .expect("query")
                .into_iter()
                .map(|(seq, _)| seq)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(seqs(EventFilter::default()).await, vec![1, 2, 3]);
    let f = |g: fn(&mut EventFilter)| {
        let mut f = EventFilter::default();
        g(&mut f);
        f
    };
    assert_eq!(
        seqs(f(|f| f.event = Some("decision".into()))).await,
        vec![1, 2]
    );
    assert_eq!(seqs(f(|f| f.principal = Some("bot".into()))).await, vec![2]);
    assert_eq!(seqs(f(|f| f.kind = Some("shell".into()))).await, vec![1, 3]);
    assert_eq!(seqs(f(|f| f.decision = Some("deny".into()))).await, vec![2]);
    assert_eq!(
        seqs(f(|f| f.severity = Some("high".into()))).await,
        vec![2, 3]
    );
    assert_eq!(seqs(f(|f| f.request = Some(7))).await, vec![2, 3]);
    assert_eq!(seqs(f(|f| f.since_ms = Some(T0 + 1))).await, vec![2, 3]);
    assert_eq!(seqs(f(|f| f.until_ms = Some(T0 + 1))).await, vec![1, 2]);
    assert_eq!(seqs(f(|f| f.after_seq = 2)).await, vec![3]);
    let limited = s
        .query_events(&EventFilter {
            limit: 2,
            ..EventFilter::default()
        })
        .await
        .expect("q");
    assert_eq!(limited.len(), 2);
    let both = f(|f| {
        f.event = Some("decision".into());
        f.severity = Some("high".into());
    });
    assert_eq!(seqs(both).await, vec![2]);
}

pub async fn concurrent_writers_make_one_gap_free_chain(s: Arc<dyn Store>) {
    const WRITERS: i64 = 24;
    const EACH: i64 = 5;
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let s = Arc::clone(&s);
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            for i in 0..EACH {
                let mut tx = s.begin().await.expect("begin");
                let mut e = event("decision", w * 100 + i);
                e.insert("principal".into(), json!(format!("w{w}")));
                let seq = tx.append(e).await.expect("append");
                tx.commit().await.expect("commit");
                mine.push(seq);
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        let mine = t.await.expect("join");
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "a writer's events stay in its order"
        );
        all.extend(mine);
    }
    all.sort_unstable();
    assert_eq!(
        all,
        (1..=WRITERS * EACH).collect::<Vec<_>>(),
        "no gap, no duplicate"
    );
    let r = s.verify().await.expect("verify");
    assert_eq!(r.first_break, None);
    assert_eq!(r.events as i64, WRITERS * EACH);
}

fn token(hash: &str, expires_ms: i64, parent: Option<i64>) -> TokenRow {
    TokenRow {
        id: 0,
        hash: hash.into(),
        principal: "alice".into(),
        label: "laptop".into(),
        created_ms: T0,
        expires_ms,
        revoked_ms: None,
        created_by: "local-admin".into(),
        parent_token: parent,
    }
}

pub async fn tokens_store_hashes_expire_and_revoke(s: Arc<dyn Store>) {
    let mut tx = s.begin().await.expect("begin");
    let a = tx
        .insert_token(&token("ha", T0 + 1_000, None))
        .await
        .expect("a");
    let b = tx
        .insert_token(&token("hb", T0 + 9_000, Some(a)))
        .await
        .expect("b");
    tx.commit().await.expect("commit");
    let mut tx = s.begin().await.expect("begin");
    assert!(
        tx.insert_token(&token("ha", T0, None)).await.is_err(),
        "a hash is stored once"
    );
    drop(tx);
    let got = s.token_by_hash("hb").await.expect("by hash").expect("some");
    assert_eq!(
        got,
        TokenRow {
            id: b,
            ..token("hb", T0 + 9_000, Some(a))
        }
    );
    assert!(s.token_by_hash("nope").await.expect("q").is_none());
    assert_eq!(
        s.token(a).await.expect("q").map(|t| t.hash),
        Some("ha".to_string())
    );
    let ids = |v: Vec<TokenRow>| v.into_iter().map(|t| t.id).collect::<Vec<_>>();
    assert_eq!(ids(s.tokens(false, T0).await.expect("q")), vec![a, b]);
    assert_eq!(
        ids(s.tokens(false, T0 + 1_000).await.expect("q")),
        vec![b],
        "a expired"
    );
    let mut tx = s.begin().await.expect("begin");
    let r = tx.revoke_token(b, T0 + 5).await.expect("revoke");
    assert_eq!(r.map(|t| t.id), Some(b));
    assert!(matches!(
        tx.revoke_token(b, T0 + 6).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(tx.revoke_token(999, T0).await.expect("none").is_none());
    assert_eq!(
        tx.token(b).await.expect("q").and_then(|t| t.revoked_ms),
        Some(T0 + 5)
    );
    tx.commit().await.expect("commit");
    assert_eq!(
        ids(s.tokens(false, T0).await.expect("q")),
        vec![a],
        "b revoked"
    );
    assert_eq!(
        ids(s.tokens(true, T0 + 10_000).await.expect("q")),
        vec![a, b]
    );
}
