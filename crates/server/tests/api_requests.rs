//! Deciding, waiting, answering: the approval flow over HTTP, and every way a wrong role tries
//! to answer (a collaborator where an owner is needed, an agent, the requester itself, one
//! person counted twice in a quorum).

// Test code reports failure by panicking.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

mod common;

use serde_json::json;
use std::time::{Duration, Instant};

fn wait_body(secret: &str, timeout_ms: i64) -> serde_json::Value {
    json!({"wait_secret": secret, "timeout_ms": timeout_ms})
}

#[tokio::test]
async fn an_allowed_action_is_allowed_and_a_secret_read_denied() {
    let s = common::start().await;
    let agent = s.token("agent").await;
    let a = s
        .decide(
            &agent,
            json!({"action": {"tool": "Bash", "kind": "shell", "input": {"command": "ls"}, "cwd": "/tmp/project"}}),
        )
        .await;
    assert_eq!(a["decision"], "allow", "{a}");
    assert!(a.get("wait_secret").is_none());
    let d = s
        .decide(
            &agent,
            json!({"hook": {"tool_name": "Bash", "tool_input": {"command": "cat ~/.ssh/id_rsa"}, "cwd": "/tmp/project", "session_id": "s", "hook_event_name": "PreToolUse"}}),
        )
        .await;
    assert_eq!(d["decision"], "deny", "{d}");
    assert!(d.get("request_id").is_none());
}

#[tokio::test]
async fn decide_refuses_bodies_that_are_not_exactly_one_action() {
    let s = common::start().await;
    let agent = s.token("agent").await;
    let hook = json!({"tool_name": "Bash", "tool_input": {"command": "ls"}});
    // Both shapes, neither, hook input sent as a canonical action, an unknown field.
    for body in [
        json!({"action": {"tool": "Bash", "input": {"command": "ls"}}, "hook": hook}),
        json!({}),
        json!({"action": hook}),
        json!({"action": {"tool": "Bash", "input": {"command": "ls"}}, "principal": "owner"}),
    ] {
        s.post("/v1/decide", Some(&agent), &body).await.problem(422);
    }
    // Duplicate keys: two parsers could disagree on which `command` runs.
    let dup = r#"{"action": {"tool": "Bash", "input": {"command": "ls", "command": "rm -rf /"}}}"#;
    s.send("POST", "/v1/decide", Some(&agent), Some(dup))
        .await
        .problem(422);
    s.send("POST", "/v1/decide", Some(&agent), Some("{not json"))
        .await
        .problem(400);
    // No JSON content type.
    let r = common::raw(
        s.addr,
        "POST",
        "/v1/decide",
        &[("Authorization".into(), format!("Bearer {agent}"))],
        br#"{"action": {"tool": "Bash", "input": {"command": "ls"}}}"#,
    )
    .await;
    r.problem(415);
}

#[tokio::test]
async fn an_owner_approves_and_the_waiting_agent_is_released_with_a_redeemed_approval() {
    let s = common::start().await;
    let agent = s.token("agent").await;
    let owner = s.token("owner").await;
    let a = s.ask_shell(&agent, "rm -rf build").await;
    let id = a["request_id"].as_i64().unwrap();
    let secret = a["wait_secret"].as_str().unwrap().to_string();
    assert!(a["deadline_ms"].as_i64().unwrap() > 0);

    let addr = s.addr;
    let agent2 = agent.clone();
    let waiter = tokio::spawn(async move {
        let body = wait_body(&secret, 20_000).to_string();
        let started = Instant::now();
        let r = common::raw(
            addr,
            "POST",
            &format!("/v1/requests/{id}/wait"),
            &[
                ("Authorization".into(), format!("Bearer {agent2}")),
                ("Content-Type".into(), "application/json".into()),
            ],
            body.as_bytes(),
        )
        .await;
        (r, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // It shows in the queue.
    let q = s.get("/v1/requests", Some(&owner)).await;
    assert_eq!(q.status, 200, "{}", q.body);
    assert!(q.json()["requests"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == id));
    let shown = s.get(&format!("/v1/requests/{id}"), Some(&owner)).await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.json()["action"]["input"]["command"], "rm -rf build");
    // The wait secret is never shown to anyone after `decide`.
    assert!(!shown.body.contains(a["wait_secret"].as_str().unwrap()));

    let ok = s
        .post(
            &format!("/v1/requests/{id}/approve"),
            Some(&owner),
            &json!({"reason": "looks fine"}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["outcome"], "approved");
    let (r, took) = waiter.await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["state"], "approved", "{v}");
    assert_eq!(v["redeemed"], true, "{v}");
    assert!(took < Duration::from_secs(5), "released after {took:?}");
    // A second wait cannot redeem the same approval again.
    let again = s
        .post(
            &format!("/v1/requests/{id}/wait"),
            Some(&agent),
            &wait_body(a["wait_secret"].as_str().unwrap(), 1000),
        )
        .await;
    assert_eq!(again.json()["redeemed"], false, "{}", again.body);
    // Answering it again is a conflict.
    s.post(
        &format!("/v1/requests/{id}/deny"),
        Some(&owner),
        &json!({"reason": "late"}),
    )
    .await
    .problem(409);
}

#[tokio::test]
async fn a_denial_reaches_the_waiter_with_its_reason() {
    let s = common::start().await;
    let agent = s.token("agent").await;
    let owner = s.token("owner").await;
    let a = s.ask_shell(&agent, "rm -rf dist").await;
    let id = a["request_id"].as_i64().unwrap();
    let secret = a["wait_secret"].as_str().unwrap().to_string();
    let addr = s.addr;
    let waiter = tokio::spawn(async move {
        common::raw(
            addr,
            "POST",
            &format!("/v1/requests/{id}/wait"),
            &[
                ("Authorization".into(), format!("Bearer {agent}")),
                ("Content-Type".into(), "application/json".into()),
            ],
            wait_body(&secret, 20_000).to_string().as_bytes(),
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A denial needs a reason.
    s.post(
        &format!("/v1/requests/{id}/deny"),
        Some(&owner),
        &json!({"reason": "  "}),
    )
    .await
    .problem(422);
    let r = s
        .post(
            &format!("/v1/requests/{id}/deny"),
            Some(&owner),
            &json!({"reason": "not on a Friday"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let w = waiter.await.unwrap().json();
    assert_eq!(w["state"], "denied", "{w}");
    assert_eq!(w["redeemed"], false);
    assert_eq!(w["reason"], "not on a Friday");
}

#[tokio::test]
async fn waiting_needs_the_secret_and_the_requester() {
    let s = common::start().await;
    let agent = s.token("agent").await;
    let owner = s.token("owner").await;
    let a = s.ask_shell(&agent, "rm -rf target").await;
    let id = a["request_id"].as_i64().unwrap();
    let secret = a["wait_secret"].as_str().unwrap();
    // Wrong secret: refused, and the request is not cancelled by the attempt.
    s.post(
        &format!("/v1/requests/{id}/wait"),
        Some(&agent),
        &wait_body(&"0".repeat(64), 1),
    )
    .await
    .problem(403);
    // Right secret, someone else: refused (the secret alone is not enough).
    s.post(
        &format!("/v1/requests/{id}/wait"),
        Some(&owner),
        &wait_body(secret, 1),
    )
    .await
    .problem(403);
    s.post(
        "/v1/requests/999999/wait",
        Some(&agent),
        &wait_body(secret, 1),
    )
    .await
    .problem(404);
    let still = s.get(&format!("/v1/requests/{id}"), Some(&owner)).await;
    assert_eq!(still.json()["state"], "pending");
    // The requester's own timeout passing cancels the request (it gave up)...
    let r = s
        .post(
            &format!("/v1/requests/{id}/wait"),
            Some(&agent),
            &wait_body(secret, 200),
        )
        .await;
    assert_eq!(r.json()["state"], "cancelled", "{}", r.body);
    assert_eq!(r.json()["redeemed"], false);
    // ...unless it asks to keep it pending.
    let b = s.ask_shell(&agent, "rm -rf out").await;
    let r = s
        .post(
            &format!("/v1/requests/{}/wait", b["request_id"]),
            Some(&agent),
            &json!({"wait_secret": b["wait_secret"], "timeout_ms": 100, "keep_pending": true}),
        )
        .await;
    assert_eq!(r.json()["state"], "pending", "{}", r.body);
}

#[tokio::test]
async fn wrong_roles_cannot_answer() {
    let s = common::start().await;
    let agent = s.token("agent").await;
    let helper = s.token("helper").await;
    let alice = s.token("alice").await;
    let owner = s.token("owner").await;
    let nobody = s.token("nobody").await;
    let a = s.ask_shell(&agent, "rm -rf build").await;
    let id = a["request_id"].as_i64().unwrap();
    let approve = |who: &str| {
        let who = who.to_string();
        let s = &s;
        async move {
            s.post(
                &format!("/v1/requests/{id}/approve"),
                Some(&who),
                &json!({}),
            )
            .await
        }
    };
    // An agent never approves, not even its own subagent's or someone else's request.
    let r = approve(&agent).await;
    r.problem(403);
    approve(&helper).await.problem(403);
    // A collaborator approves file writes, not shell commands.
    let r = approve(&alice).await;
    let p = r.problem(403);
    assert!(p["detail"].as_str().unwrap().contains("alice"), "{p}");
    // A person with no role approves nothing.
    approve(&nobody).await.problem(403);
    // Denying is answering too.
    s.post(
        &format!("/v1/requests/{id}/deny"),
        Some(&agent),
        &json!({"reason": "x"}),
    )
    .await
    .problem(403);
    // None of that changed the request.
    let v = s
        .get(&format!("/v1/requests/{id}"), Some(&owner))
        .await
        .json();
    assert_eq!(v["state"], "pending");
    assert_eq!(v["approvals"], json!([]));

    // A person asking for themself cannot approve their own request.
    let mine = s.ask_shell(&owner, "rm -rf mine").await;
    s.post(
        &format!("/v1/requests/{}/approve", mine["request_id"]),
        Some(&owner),
        &json!({}),
    )
    .await
    .problem(403);
    s.post("/v1/requests/424242/approve", Some(&owner), &json!({}))
        .await
        .problem(404);
}

#[tokio::test]
async fn a_quorum_counts_distinct_people_not_tokens() {
    let s = common::start().await;
    let agent = s.token("agent").await;
    let owner = s.token("owner").await;
    let owner_again = s.token("owner").await;
    let owner2 = s.token("owner2").await;
    let pay = s
        .decide(
            &agent,
            json!({"action": {"tool": "pay", "kind": "payment", "input": {"amount": 10, "currency": "EUR", "payee": "acme"}}}),
        )
        .await;
    assert_eq!(pay["decision"], "ask", "{pay}");
    let id = pay["request_id"].as_i64().unwrap();
    let path = format!("/v1/requests/{id}/approve");
    let first = s.post(&path, Some(&owner), &json!({})).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.json()["outcome"], "counted");
    assert_eq!(first.json()["have"], 1);
    assert_eq!(first.json()["need"], 2);
    // The same person again, with a second token: still one person.
    s.post(&path, Some(&owner_again), &json!({}))
        .await
        .problem(409);
    s.post(&path, Some(&owner), &json!({})).await.problem(409);
    let v = s
        .get(&format!("/v1/requests/{id}"), Some(&owner))
        .await
        .json();
    assert_eq!(v["state"], "pending", "{v}");
    let second = s.post(&path, Some(&owner2), &json!({})).await;
    assert_eq!(second.json()["outcome"], "approved", "{}", second.body);
}

#[tokio::test]
async fn approve_for_a_period_leaves_a_grant_that_lets_the_same_action_through_until_revoked() {
    let s = common::start().await;
    let agent = s.token("agent").await;
    let alice = s.token("alice").await;
    let owner = s.token("owner").await;
    let write = json!({"action": {"tool": "Write", "kind": "file.write", "input": {"file_path": "/tmp/project/notes.txt", "content": "hi"}, "cwd": "/tmp/project", "session": "s1"}});
    let a = s.decide(&agent, write.clone()).await;
    assert_eq!(a["decision"], "ask", "{a}");
    let id = a["request_id"].as_i64().unwrap();
    s.post(
        &format!("/v1/requests/{id}/approve"),
        Some(&alice),
        &json!({"for": "forever"}),
    )
    .await
    .problem(422);
    // A collaborator may approve file writes.
    let r = s
        .post(
            &format!("/v1/requests/{id}/approve"),
            Some(&alice),
            &json!({"for": "30m", "reason": "notes are fine"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let grants = s.get("/v1/grants", Some(&owner)).await;
    assert_eq!(grants.status, 200, "{}", grants.body);
    let list = grants.json()["grants"].as_array().unwrap().clone();
    let g = list
        .iter()
        .find(|g| g["request_id"] == id)
        .expect("a grant for the request");
    let gid = g["id"].as_i64().unwrap();
    // The same action now passes under the grant.
    let again = s.decide(&agent, write.clone()).await;
    assert_eq!(again["decision"], "allow", "{again}");
    assert_eq!(again["grant_id"], gid);
    // Agents neither list nor revoke grants.
    s.get("/v1/grants", Some(&agent)).await.problem(403);
    s.post(
        &format!("/v1/grants/{gid}/revoke"),
        Some(&agent),
        &json!({}),
    )
    .await
    .problem(403);
    let r = s
        .send(
            "POST",
            &format!("/v1/grants/{gid}/revoke"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    s.send(
        "POST",
        &format!("/v1/grants/{gid}/revoke"),
        Some(&owner),
        None,
    )
    .await
    .problem(409);
    s.send("POST", "/v1/grants/987654/revoke", Some(&owner), None)
        .await
        .problem(404);
    let after = s.decide(&agent, write).await;
    assert_eq!(after["decision"], "ask", "{after}");
    let all = s.get("/v1/grants?all=true", Some(&owner)).await.json();
    assert!(all["grants"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["id"] == gid && !g["revoked_ms"].is_null()));
}

#[tokio::test]
async fn agents_see_only_their_own_requests() {
    let s = common::start().await;
    let agent = s.token("agent").await;
    let owner = s.token("owner").await;
    let helper = s.token("helper").await;
    let mine = s.ask_shell(&owner, "rm -rf x").await;
    let id = mine["request_id"].as_i64().unwrap();
    s.get("/v1/requests", Some(&agent)).await.problem(403);
    s.get(&format!("/v1/requests/{id}"), Some(&agent))
        .await
        .problem(403);
    let own = s.ask_shell(&agent, "rm -rf y").await;
    let r = s
        .get(&format!("/v1/requests/{}", own["request_id"]), Some(&agent))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // A subagent does not see its parent's request.
    s.get(
        &format!("/v1/requests/{}", own["request_id"]),
        Some(&helper),
    )
    .await
    .problem(403);
    s.get("/v1/requests?state=bogus", Some(&owner))
        .await
        .problem(400);
    let all = s.get("/v1/requests?state=all&limit=1", Some(&owner)).await;
    assert_eq!(all.json()["requests"].as_array().unwrap().len(), 1);
}
