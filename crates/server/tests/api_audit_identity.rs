//! The audit log (query, export, verify), principals, roles and tokens over HTTP.

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

#[tokio::test]
async fn audit_query_export_and_verify() {
    let s = common::start().await;
    let agent = s.token("agent").await;
    let owner = s.token("owner").await;
    let a = s.ask_shell(&agent, "rm -rf build").await;
    let id = a["request_id"].as_i64().unwrap();
    let q = s
        .get(&format!("/v1/audit?request_id={id}"), Some(&owner))
        .await;
    assert_eq!(q.status, 200, "{}", q.body);
    let events = q.json()["events"].as_array().unwrap().clone();
    assert!(events.iter().any(|e| e["event"] == "request"), "{events:?}");
    assert!(events.iter().all(|e| e["request_id"] == id));
    // Times as RFC 3339 or milliseconds; nonsense is a 400.
    assert_eq!(
        s.get("/v1/audit?since=2020-01-01T00:00:00Z&limit=1", Some(&owner))
            .await
            .status,
        200
    );
    assert_eq!(
        s.get("/v1/audit?since=0&limit=1", Some(&owner))
            .await
            .json()["events"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    s.get("/v1/audit?since=yesterday", Some(&owner))
        .await
        .problem(400);
    s.get("/v1/audit?bogus=1", Some(&owner)).await.problem(400);

    let jsonl = s.get("/v1/audit/export?format=jsonl", Some(&owner)).await;
    assert_eq!(jsonl.status, 200);
    assert_eq!(jsonl.header("content-type"), Some("application/x-ndjson"));
    let lines: Vec<&str> = jsonl.body.lines().collect();
    assert!(lines.len() >= 3, "{}", jsonl.body);
    for l in &lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert!(v["seq"].is_i64() && v["prev"].is_string(), "{l}");
    }
    let csv = s.get("/v1/audit/export?format=csv", Some(&owner)).await;
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(
        csv.body.lines().next().unwrap().starts_with("seq,"),
        "{}",
        csv.body
    );
    assert_eq!(csv.body.lines().count(), lines.len() + 1);
    let ocsf = s.get("/v1/audit/export?format=ocsf", Some(&owner)).await;
    let first: serde_json::Value = serde_json::from_str(ocsf.body.lines().next().unwrap()).unwrap();
    assert_eq!(first["class_uid"], 6003);
    s.get("/v1/audit/export?format=xml", Some(&owner))
        .await
        .problem(400);

    let v = s.get("/v1/audit/verify", Some(&owner)).await;
    assert_eq!(v.status, 200, "{}", v.body);
    assert_eq!(v.json()["ok"], true, "{}", v.body);
    // Agents read none of it.
    for p in [
        "/v1/audit",
        "/v1/audit/export?format=jsonl",
        "/v1/audit/verify",
    ] {
        s.get(p, Some(&agent)).await.problem(403);
    }
}

#[tokio::test]
async fn principals_and_roles_for_people_only() {
    let s = common::start().await;
    let agent = s.token("agent").await;
    let alice = s.token("alice").await;
    let p = s.get("/v1/principals", Some(&alice)).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let v = p.json();
    assert_eq!(v["you"], "alice");
    let helper = v["principals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "helper")
        .unwrap()
        .clone();
    assert_eq!(helper["parent"], "agent");
    assert_eq!(helper["kind"], "agent");
    let r = s.get("/v1/roles", Some(&alice)).await.json();
    assert_eq!(r["roles"]["owner"], json!(["owner", "owner2"]));
    s.get("/v1/principals", Some(&agent)).await.problem(403);
    s.get("/v1/roles", Some(&agent)).await.problem(403);
}

#[tokio::test]
async fn tokens_are_minted_shown_once_listed_without_secrets_and_revoked() {
    let s = common::start().await;
    let owner = s.token("owner").await;
    let agent = s.token("agent").await;
    let alice = s.token("alice").await;
    let r = s
        .post(
            "/v1/tokens",
            Some(&owner),
            &json!({"principal": "agent", "ttl": "1h", "label": "ci"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let t = r.json();
    let token = t["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("ast_") && token.len() == 68, "{t}");
    assert_eq!(t["principal"], "agent");
    // The new token works, and proves the agent, not the owner who minted it.
    let a = s.ask_shell(&token, "rm -rf tmp").await;
    let id = a["request_id"].as_i64().unwrap();
    s.post(
        &format!("/v1/requests/{id}/approve"),
        Some(&token),
        &json!({}),
    )
    .await
    .problem(403);
    // Listing never shows a token or its hash.
    let list = s.get("/v1/tokens", Some(&owner)).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(!list.body.contains(&token));
    assert!(!list.body.contains(&token[4..]));
    let tid = t["id"].as_i64().unwrap();
    assert!(list.json()["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["id"] == tid));
    // An agent cannot mint for a person; a collaborator cannot mint for another person.
    s.post("/v1/tokens", Some(&agent), &json!({"principal": "owner"}))
        .await
        .problem(403);
    s.post("/v1/tokens", Some(&alice), &json!({"principal": "owner2"}))
        .await
        .problem(403);
    s.post(
        "/v1/tokens",
        Some(&owner),
        &json!({"principal": "agent", "ttl": "forever"}),
    )
    .await
    .problem(422);
    // Someone else's token is not theirs to revoke.
    s.send("DELETE", &format!("/v1/tokens/{tid}"), Some(&alice), None)
        .await
        .problem(403);
    let del = s
        .send("DELETE", &format!("/v1/tokens/{tid}"), Some(&owner), None)
        .await;
    assert_eq!(del.status, 200, "{}", del.body);
    s.get("/v1/requests", Some(&token)).await.problem(401);
    s.send("DELETE", "/v1/tokens/99999", Some(&owner), None)
        .await
        .problem(404);
}
