//! Authentication and the limits in detail: rate (per principal, per address, failed
//! authentications), body size; every refusal is problem+json. Every route against every
//! kind of bad credential, wrong role and limit is `api_matrix.rs`.

// Test code reports failure by panicking.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

mod common;

use assent_server::limits::{Limits, Rate};
use serde_json::json;

fn generous() -> Limits {
    let fast = Rate {
        per_second: 10_000.0,
        burst: 10_000.0,
    };
    Limits {
        principal_rate: fast,
        address_rate: fast,
        auth_failure_rate: fast,
        ..Limits::default()
    }
}

#[tokio::test]
async fn every_authentication_failure_is_audited() {
    let s = common::start_with(generous()).await;
    let owner = s.token("owner").await;
    let bad = format!("ast_{}", "cd".repeat(32));
    s.get("/v1/requests", Some(&bad)).await.problem(401);
    s.get("/v1/requests", None).await.problem(401);
    let r = s.get("/v1/audit?event=auth.failed", Some(&owner)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let events = r.json()["events"].as_array().unwrap().len();
    assert!(events >= 2, "{}", r.body);
    // The token itself is never written down.
    assert!(!r.body.contains(&bad));
}

#[tokio::test]
async fn a_principal_over_its_rate_gets_429_with_retry_after() {
    let s = common::start_with(Limits {
        principal_rate: Rate {
            per_second: 0.5,
            burst: 3.0,
        },
        ..generous()
    })
    .await;
    let owner = s.token("owner").await;
    let alice = s.token("alice").await;
    for _ in 0..3 {
        assert_eq!(s.get("/v1/grants", Some(&owner)).await.status, 200);
    }
    let r = s.get("/v1/grants", Some(&owner)).await;
    let p = r.problem(429);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1);
    assert_eq!(p["retry_after"], retry);
    // Another principal from the same address is not affected.
    assert_eq!(s.get("/v1/grants", Some(&alice)).await.status, 200);
}

#[tokio::test]
async fn an_address_over_its_rate_gets_429_even_without_a_token() {
    let s = common::start_with(Limits {
        address_rate: Rate {
            per_second: 0.5,
            burst: 5.0,
        },
        ..generous()
    })
    .await;
    for _ in 0..5 {
        assert_eq!(s.get("/healthz", None).await.status, 200);
    }
    let r = s.get("/healthz", None).await;
    r.problem(429);
    assert!(r.header("retry-after").is_some());
}

#[tokio::test]
async fn guessing_tokens_is_cut_off_per_address() {
    let s = common::start_with(Limits {
        auth_failure_rate: Rate {
            per_second: 0.1,
            burst: 4.0,
        },
        ..generous()
    })
    .await;
    let owner = s.token("owner").await;
    for i in 0..4 {
        let guess = format!("ast_{:064x}", i);
        s.get("/v1/grants", Some(&guess)).await.problem(401);
    }
    // Now even a right token from that address waits: the guesser cannot tell.
    let r = s.get("/v1/grants", Some(&owner)).await;
    r.problem(429);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_problem_json() {
    let s = common::start_with(Limits {
        max_body: 1024,
        ..generous()
    })
    .await;
    let agent = s.token("agent").await;
    let big = json!({"action": {"tool": "Bash", "kind": "shell", "input": {"command": "x".repeat(4096)}}});
    s.post("/v1/decide", Some(&agent), &big).await.problem(413);
    // Also when the body is announced too large before a byte of it is read.
    let headers = vec![
        ("Authorization".to_string(), format!("Bearer {agent}")),
        ("Content-Type".to_string(), "application/json".to_string()),
    ];
    let r = common::raw(s.addr, "POST", "/v1/decide", &headers, &vec![b' '; 100_000]).await;
    r.problem(413);
    // A small one still works.
    let ok = json!({"action": {"tool": "Bash", "kind": "shell", "input": {"command": "ls"}}});
    assert_eq!(s.post("/v1/decide", Some(&agent), &ok).await.status, 200);
}
