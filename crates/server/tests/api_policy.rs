//! `/v1/policy`: every route refuses a caller without a valid token (problem+json), and the
//! OpenAPI document lists each of them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

mod common;

use serde_json::json;

const ROUTES: &[(&str, &str)] = &[
    ("GET", "/v1/policy"),
    ("PUT", "/v1/policy"),
    ("POST", "/v1/policy/validate"),
    ("GET", "/v1/policy/versions"),
    ("GET", "/v1/policy/versions/1"),
    ("GET", "/v1/policy/diff?from=1"),
    ("POST", "/v1/policy/rollback"),
];

#[tokio::test]
async fn every_policy_route_refuses_no_token_and_a_bad_token() {
    let s = common::start_with(common::generous()).await;
    let body = json!({"expected_version": 1, "files": {"a.cedar": ""}, "to": 1}).to_string();
    for (method, path) in ROUTES {
        let with_body = (*method != "GET").then_some(body.as_str());
        s.send(method, path, None, with_body).await.problem(401);
        let bad = format!("ast_{}", "0".repeat(64));
        s.send(method, path, Some(&bad), with_body)
            .await
            .problem(401);
    }
    // Nothing changed.
    assert_eq!(s.state.gateway.policy_history().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_openapi_document_lists_every_policy_route() {
    let s = common::start().await;
    let doc = s.get("/v1/openapi.json", None).await.json();
    for (method, path) in ROUTES {
        let path = path.split('?').next().unwrap().replace("/1", "/{version}");
        let op = &doc["paths"][&path][method.to_ascii_lowercase()];
        assert!(op.is_object(), "{method} {path} is not in the document");
        assert_eq!(op["tags"][0], "policy", "{method} {path}");
    }
}

fn shell(cmd: &str) -> serde_json::Value {
    json!({"action": {"tool": "Bash", "kind": "shell", "input": {"command": cmd}, "cwd": "/tmp/project"}})
}

#[tokio::test]
async fn only_owners_read_or_change_the_policy() {
    let s = common::start_with(common::generous()).await;
    let body = json!({"expected_version": 1, "files": {"a.cedar": ""}, "to": 1}).to_string();
    for who in ["alice", "agent", "helper", "nobody"] {
        let t = s.token(who).await;
        for (method, path) in ROUTES {
            let with_body = (*method != "GET").then_some(body.as_str());
            s.send(method, path, Some(&t), with_body).await.problem(403);
        }
    }
    let owner = s.token("owner").await;
    let r = s.get("/v1/policy", Some(&owner)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["version"], 1, "{v}");
    assert!(v["files"]["team.cedar"]
        .as_str()
        .unwrap()
        .contains("agents-run-tests"));
    assert!(v["last_rejected"].is_null(), "{v}");
    assert_eq!(s.state.gateway.policy_history().await.unwrap().len(), 1);
}

/// Two owners read version 1 and activate different edits at once: exactly one wins, the
/// other gets 409 naming the version now active; the win and the refusal are both audited
/// with who did them.
#[tokio::test]
async fn two_activations_from_the_same_version_one_wins_one_gets_409_both_audited() {
    let s = common::start_with(common::generous()).await;
    let owner = s.token("owner").await;
    let owner2 = s.token("owner2").await;
    let active = s.get("/v1/policy", Some(&owner)).await.json();
    let files = active["files"].as_object().unwrap().clone();
    let mut a = files.clone();
    let mut b = files.clone();
    let team = files["team.cedar"].as_str().unwrap();
    a.insert(
        "team.cedar".into(),
        json!(format!("{team}\n// edit by owner\n")),
    );
    b.insert(
        "team.cedar".into(),
        json!(format!("{team}\n// edit by owner2\n")),
    );
    let put = |tok: String, files| {
        let addr = s.addr;
        async move {
            let body = json!({"expected_version": 1, "files": files, "note": "race"}).to_string();
            common::raw(
                addr,
                "PUT",
                "/v1/policy",
                &[
                    ("Authorization".into(), format!("Bearer {tok}")),
                    ("Content-Type".into(), "application/json".into()),
                ],
                body.as_bytes(),
            )
            .await
        }
    };
    let (ra, rb) = tokio::join!(put(owner.clone(), a), put(owner2.clone(), b));
    let mut statuses = [ra.status, rb.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} / {}", ra.body, rb.body);
    let (won, lost, winner, loser) = if ra.status == 200 {
        (ra, rb, "owner", "owner2")
    } else {
        (rb, ra, "owner2", "owner")
    };
    assert_eq!(won.json()["version"], 2, "{}", won.body);
    let p = lost.problem(409);
    assert_eq!(p["active_version"], 2, "{p}");
    assert_eq!(p["expected_version"], 1, "{p}");
    // The winner's text is in force and on disk; the loser's is nowhere.
    let now = s.get("/v1/policy", Some(&owner)).await.json();
    assert_eq!(now["version"], 2);
    let text = now["files"]["team.cedar"].as_str().unwrap();
    assert!(text.contains(&format!("edit by {winner}\n")), "{text}");
    assert!(!text.contains(&format!("edit by {loser}\n")), "{text}");
    // Both audited, each with its principal.
    let activated = s
        .get("/v1/audit?event=policy.activated", Some(&owner))
        .await
        .json();
    let activated = activated["events"].as_array().unwrap();
    assert_eq!(activated.len(), 1, "{activated:?}");
    assert_eq!(activated[0]["principal"], winner);
    let refused = s
        .get("/v1/audit?event=policy.rejected", Some(&owner))
        .await
        .json();
    let refused = refused["events"].as_array().unwrap();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["principal"], loser);
}

#[tokio::test]
async fn a_candidate_that_does_not_load_is_refused_whole_and_changes_nothing() {
    let s = common::start_with(common::generous()).await;
    let owner = s.token("owner").await;
    let active = s.get("/v1/policy", Some(&owner)).await.json();
    let mut files = active["files"].as_object().unwrap().clone();
    files.insert(
        "team.cedar".into(),
        json!("permit (principal, action, resource"),
    );
    // validate: 200 with every problem, nothing recorded.
    let v = s
        .post(
            "/v1/policy/validate",
            Some(&owner),
            &json!({"files": files}),
        )
        .await;
    assert_eq!(v.status, 200, "{}", v.body);
    let v = v.json();
    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(v["errors"][0]["file"], "team.cedar", "{v}");
    // activate: 422 problem+json listing the problems.
    let r = s
        .send(
            "PUT",
            "/v1/policy",
            Some(&owner),
            Some(&json!({"expected_version": 1, "files": files}).to_string()),
        )
        .await;
    let p = r.problem(422);
    assert!(!p["errors"].as_array().unwrap().is_empty(), "{p}");
    assert_eq!(s.get("/v1/policy", Some(&owner)).await.json()["version"], 1);
    assert_eq!(s.state.gateway.policy_history().await.unwrap().len(), 1);
    // Duplicate keys are refused before anything reads them.
    let dup = r#"{"expected_version": 1, "files": {"a.cedar": "x", "a.cedar": "y"}}"#;
    s.send("PUT", "/v1/policy", Some(&owner), Some(dup))
        .await
        .problem(422);
}

#[tokio::test]
async fn history_diff_and_rollback() {
    let s = common::start_with(common::generous()).await;
    let owner = s.token("owner").await;
    let agent = s.token("agent").await;
    assert_eq!(
        s.decide(&agent, shell("cargo test")).await["decision"],
        "allow"
    );
    let active = s.get("/v1/policy", Some(&owner)).await.json();
    let mut files = active["files"].as_object().unwrap().clone();
    let team = files["team.cedar"]
        .as_str()
        .unwrap()
        .replace("cargo test", "cargo nextest");
    files.insert("team.cedar".into(), json!(team));
    let r = s
        .send(
            "PUT",
            "/v1/policy",
            Some(&owner),
            Some(&json!({"expected_version": 1, "files": files, "note": "nextest"}).to_string()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["activated_by"], "owner");
    // In force for the next decision.
    assert_ne!(
        s.decide(&agent, shell("cargo test")).await["decision"],
        "allow"
    );
    let h = s.get("/v1/policy/versions", Some(&owner)).await.json();
    assert_eq!(h["active"], 2, "{h}");
    assert_eq!(h["versions"].as_array().unwrap().len(), 2, "{h}");
    let d = s.get("/v1/policy/diff?from=1&to=2", Some(&owner)).await;
    assert_eq!(d.status, 200, "{}", d.body);
    assert!(
        d.body.contains("+") && d.body.contains("cargo nextest"),
        "{}",
        d.body
    );
    s.get("/v1/policy/diff?from=1&to=99", Some(&owner))
        .await
        .problem(404);
    s.get("/v1/policy/diff?from=x", Some(&owner))
        .await
        .problem(400);
    let one = s.get("/v1/policy/versions/1", Some(&owner)).await.json();
    assert!(one["files"]["team.cedar"]
        .as_str()
        .unwrap()
        .contains("\"cargo test\""));
    s.get("/v1/policy/versions/42", Some(&owner))
        .await
        .problem(404);
    // Rollback from a stale version: 409; from the active one: version 3 with 1's text.
    s.post(
        "/v1/policy/rollback",
        Some(&owner),
        &json!({"to": 1, "expected_version": 1}),
    )
    .await
    .problem(409);
    let r = s
        .post(
            "/v1/policy/rollback",
            Some(&owner),
            &json!({"to": 1, "expected_version": 2}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["version"], 3);
    assert_eq!(
        s.decide(&agent, shell("cargo test")).await["decision"],
        "allow"
    );
    let rolled = s
        .get("/v1/audit?event=policy.rolled_back", Some(&owner))
        .await
        .json();
    assert_eq!(rolled["events"][0]["principal"], "owner", "{rolled}");
}

/// The acceptance test of runtime configuration: an edit of the policy file on disk decides
/// the next request within one second, with no restart; a broken file changes nothing (the
/// previous version keeps deciding, the refusal is visible and audited).
#[tokio::test]
async fn editing_the_policy_file_changes_the_next_decision_within_a_second() {
    let s = common::start_with(common::generous()).await;
    let owner = s.token("owner").await;
    let agent = s.token("agent").await;
    let file = s.home.path().join("policy/team.cedar");
    let original = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        s.decide(&agent, shell("cargo test")).await["decision"],
        "allow"
    );

    std::fs::write(&file, original.replace("cargo test", "cargo nextest")).unwrap();
    let edited = std::time::Instant::now();
    loop {
        let d = s.decide(&agent, shell("cargo test")).await;
        if d["decision"] != "allow" {
            assert_eq!(d["policy_version"], 2, "{d}");
            break;
        }
        assert!(
            edited.elapsed() < std::time::Duration::from_secs(1),
            "the edit was not in force after a second ({:?})",
            edited.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let took = edited.elapsed();
    eprintln!("edit in force after {took:?}");
    assert!(took < std::time::Duration::from_secs(1), "{took:?}");
    let loaded = s
        .get("/v1/audit?event=policy.loaded", Some(&owner))
        .await
        .json();
    assert!(
        loaded["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["policy_version"] == 2),
        "{loaded}"
    );

    // A broken file: version 2 keeps deciding, the refusal shows in GET /v1/policy and in
    // the audit log.
    std::fs::write(&file, "permit (principal, action, resource").unwrap();
    // Wait (with a generous deadline) until the watcher has seen and refused it.
    let broken = std::time::Instant::now();
    while s.get("/v1/policy", Some(&owner)).await.json()["last_rejected"].is_null() {
        assert!(
            broken.elapsed() < std::time::Duration::from_secs(10),
            "the broken edit was never noticed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    for _ in 0..3 {
        let d = s.decide(&agent, shell("cargo test")).await;
        assert_ne!(d["decision"], "allow", "{d}");
        assert_eq!(d["policy_version"], 2, "{d}");
        assert_eq!(s.decide(&agent, shell("ls")).await["decision"], "allow");
    }
    let p = s.get("/v1/policy", Some(&owner)).await.json();
    assert_eq!(p["version"], 2, "{p}");
    assert!(
        p["last_rejected"]["error"]
            .as_str()
            .unwrap()
            .contains("team.cedar"),
        "{p}"
    );
    let refused = s
        .get("/v1/audit?event=policy.rejected", Some(&owner))
        .await
        .json();
    let refused = refused["events"].as_array().unwrap();
    assert_eq!(refused.len(), 1, "{refused:?}");
    // Which version kept serving, and who (the files) the refused edit came from.
    assert_eq!(refused[0]["policy_version"], 2, "{refused:?}");
    assert_eq!(refused[0]["principal"], "files", "{refused:?}");

    // Fixing the file puts it in force again, as a new version.
    std::fs::write(&file, &original).unwrap();
    let fixed = std::time::Instant::now();
    while s.decide(&agent, shell("cargo test")).await["decision"] != "allow" {
        assert!(fixed.elapsed() < std::time::Duration::from_secs(1));
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(s.get("/v1/policy", Some(&owner)).await.json()["version"], 3);
}
