//! Races and stale views answer 409, never 500 and never two winners: answers to one request
//! sent at once, a second approval by the same person, revocations of the same grant or token
//! sent at once. Routes for people refuse an agent before reading the body.

// Test code reports failure by panicking.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

mod common;

use assent_gateway::GatewayError;
use serde_json::json;

/// Statuses of several requests sent at once, sorted.
async fn at_once(s: &common::Server, reqs: Vec<(&str, String, String, String)>) -> Vec<u16> {
    let futs = reqs.into_iter().map(|(method, path, token, body)| {
        let addr = s.addr;
        async move {
            let r = common::raw(
                addr,
                method,
                &path,
                &[
                    ("Authorization".into(), format!("Bearer {token}")),
                    ("Content-Type".into(), "application/json".into()),
                ],
                body.as_bytes(),
            )
            .await;
            if r.status != 200 {
                r.problem(r.status);
            }
            r.status
        }
    });
    let mut out = futures_util::future::join_all(futs).await;
    out.sort();
    out
}

/// Three people answer the same request (one approval decides it) at the same moment: one
/// answer counts, the others get 409; the request ends in one state with one answer.
#[tokio::test]
async fn answers_sent_at_once_one_wins_the_others_get_409() {
    let s = common::start_with(common::generous()).await;
    let agent = s.token("agent").await;
    let owner = s.token("owner").await;
    let owner2 = s.token("owner2").await;
    for round in 0..5 {
        let a = s.ask_shell(&agent, &format!("rm -rf build{round}")).await;
        let id = a["request_id"].as_i64().unwrap();
        let statuses = at_once(
            &s,
            vec![
                (
                    "POST",
                    format!("/v1/requests/{id}/approve"),
                    owner.clone(),
                    "{}".into(),
                ),
                (
                    "POST",
                    format!("/v1/requests/{id}/deny"),
                    owner2.clone(),
                    json!({"reason": "no"}).to_string(),
                ),
                (
                    "POST",
                    format!("/v1/requests/{id}/approve"),
                    owner2.clone(),
                    "{}".into(),
                ),
            ],
        )
        .await;
        assert_eq!(statuses, [200, 409, 409], "round {round}");
        let v = s
            .get(&format!("/v1/requests/{id}"), Some(&owner))
            .await
            .json();
        assert_ne!(v["state"], "pending", "{v}");
        let decided = s
            .get(&format!("/v1/audit?request_id={id}"), Some(&owner))
            .await
            .json();
        let finals = decided["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event"] == "approved" || e["event"] == "denial")
            .count();
        assert_eq!(finals, 1, "{decided}");
    }
}

/// The gateway itself (not only the route's early check) types a lost race as a conflict: an
/// answer recorded after another settled the request is `Conflict`, which the API maps to 409.
#[tokio::test]
async fn an_answer_to_a_settled_request_is_a_conflict_in_the_gateway() {
    let s = common::start_with(common::generous()).await;
    let agent = s.token("agent").await;
    let a = s.ask_shell(&agent, "rm -rf target").await;
    let id = a["request_id"].as_i64().unwrap();
    let gw = &s.state.gateway;
    let owner = gw.authenticate(&s.token("owner").await).await.unwrap();
    let owner2 = gw.authenticate(&s.token("owner2").await).await.unwrap();
    gw.deny(id, &owner, "no").await.unwrap();
    match gw.approve(id, &owner2, None, None).await {
        Err(GatewayError::Conflict(why)) => assert!(why.contains("already"), "{why}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    match gw.deny(id, &owner2, "late").await {
        Err(GatewayError::Conflict(_)) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    // A refusal that is not a race stays a refusal (403): the requester answering itself.
    let b = s.ask_shell(&agent, "rm -rf dist").await;
    let agent_id = gw.authenticate(&agent).await.unwrap();
    match gw
        .approve(b["request_id"].as_i64().unwrap(), &agent_id, None, None)
        .await
    {
        Err(GatewayError::Refused(_)) => {}
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Revoking the same grant, or the same token, twice at once: one revocation, one 409.
#[tokio::test]
async fn revocations_sent_at_once_one_wins_the_other_gets_409() {
    let s = common::start_with(common::generous()).await;
    let agent = s.token("agent").await;
    let alice = s.token("alice").await;
    let owner = s.token("owner").await;
    let owner2 = s.token("owner2").await;
    let write = json!({"action": {"tool": "Write", "kind": "file.write", "input": {"file_path": "/tmp/project/notes.txt", "content": "hi"}, "cwd": "/tmp/project", "session": "s1"}});
    let a = s.decide(&agent, write).await;
    let id = a["request_id"].as_i64().unwrap();
    let r = s
        .post(
            &format!("/v1/requests/{id}/approve"),
            Some(&alice),
            &json!({"for": "30m"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let grants = s.get("/v1/grants", Some(&owner)).await.json();
    let gid = grants["grants"][0]["id"].as_i64().unwrap();
    let path = format!("/v1/grants/{gid}/revoke");
    let statuses = at_once(
        &s,
        vec![
            ("POST", path.clone(), owner.clone(), String::new()),
            ("POST", path, owner2.clone(), String::new()),
        ],
    )
    .await;
    assert_eq!(statuses, [200, 409]);

    let (tid, _) = s.token_with_id("alice", None).await;
    let path = format!("/v1/tokens/{tid}");
    let statuses = at_once(
        &s,
        vec![
            ("DELETE", path.clone(), owner.clone(), String::new()),
            ("DELETE", path, owner2.clone(), String::new()),
        ],
    )
    .await;
    assert_eq!(statuses, [200, 409]);
    s.send("DELETE", "/v1/tokens/987654", Some(&owner), None)
        .await
        .problem(404);
}

/// Routes for people and for owners refuse before the body is read: an agent (or a person
/// without the owner role) sending a malformed body learns 403, not what the body lacks.
#[tokio::test]
async fn role_checks_come_before_the_body() {
    let s = common::start_with(common::generous()).await;
    let agent = s.token("agent").await;
    let alice = s.token("alice").await;
    let a = s.ask_shell(&agent, "rm -rf out").await;
    let id = a["request_id"].as_i64().unwrap();
    for path in [
        format!("/v1/requests/{id}/approve"),
        format!("/v1/requests/{id}/deny"),
    ] {
        s.send("POST", &path, Some(&agent), Some("{not json"))
            .await
            .problem(403);
    }
    for path in ["/v1/audit", "/v1/grants", "/v1/principals", "/v1/roles"] {
        s.get(path, Some(&agent)).await.problem(403);
    }
    s.send("PUT", "/v1/policy", Some(&alice), Some("{not json"))
        .await
        .problem(403);
    s.send(
        "POST",
        "/v1/policy/validate",
        Some(&agent),
        Some("{not json"),
    )
    .await
    .problem(403);
}
