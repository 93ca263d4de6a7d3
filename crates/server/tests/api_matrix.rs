//! The acceptance matrix of the API (issue 8): every route the router has, against every way a
//! call can be refused — no token, a malformed, unknown, expired or revoked one, a token
//! minted under a revoked one, a console cookie instead of a token (CSRF), a wrong role,
//! the rate limits, the body limit — each answered with the right status as
//! `application/problem+json`, and each refusal of who the caller is or what it may do
//! written to the audit log.
//!
//! The route list is the table [`ROUTES`], checked against the OpenAPI document (which
//! `openapi.rs` checks against the router): a route added without a row here fails
//! [`the_table_covers_every_documented_route`]. Deeper tests of single routes live beside
//! this file (`api_requests.rs`: what each role may answer; `api_auth.rs`: the limits'
//! arithmetic; `console_api.rs`: the console session).

// Test code reports failure by panicking.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

mod common;

use assent_gateway::AuditQuery;
use assent_server::limits::{Limits, Rate};
use common::{raw, Resp, Server};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

/// Who may call a route at all (object-level rules, such as "an agent sees only its own
/// requests", are the per-route cases of [`object_cases`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// No token needed.
    Open,
    /// Any authenticated principal, person or agent.
    Anyone,
    /// People only: an agent is refused.
    People,
    /// People with an administering role (`owner`).
    Owners,
    /// Approve / deny: a person eligible under the request's rule, not in its chain.
    Answerers,
}

struct Route {
    method: &'static str,
    /// As in the OpenAPI document.
    path: &'static str,
    access: Access,
}

const fn r(method: &'static str, path: &'static str, access: Access) -> Route {
    Route {
        method,
        path,
        access,
    }
}

/// Every route of the API. Add a row with each new route.
const ROUTES: &[Route] = &[
    r("GET", "/healthz", Access::Open),
    r("GET", "/v1/openapi.json", Access::Open),
    r("POST", "/v1/decide", Access::Anyone),
    r("POST", "/v1/hook/claude-code", Access::Anyone),
    r("GET", "/v1/requests", Access::People),
    r("GET", "/v1/requests/{id}", Access::Anyone),
    r("POST", "/v1/requests/{id}/wait", Access::Anyone),
    r("GET", "/v1/requests/{id}/events", Access::Anyone),
    r("POST", "/v1/requests/{id}/approve", Access::Answerers),
    r("POST", "/v1/requests/{id}/deny", Access::Answerers),
    r("GET", "/v1/events", Access::People),
    r("GET", "/v1/grants", Access::People),
    r("POST", "/v1/grants/{id}/revoke", Access::People),
    r("GET", "/v1/audit", Access::People),
    r("GET", "/v1/audit/export", Access::People),
    r("GET", "/v1/audit/verify", Access::People),
    r("GET", "/v1/principals", Access::People),
    r("GET", "/v1/roles", Access::People),
    r("POST", "/v1/tokens", Access::Anyone),
    r("GET", "/v1/tokens", Access::Anyone),
    r("DELETE", "/v1/tokens/{id}", Access::Anyone),
    r("GET", "/v1/policy", Access::Owners),
    r("PUT", "/v1/policy", Access::Owners),
    r("POST", "/v1/policy/validate", Access::Owners),
    r("GET", "/v1/policy/versions", Access::Owners),
    r("GET", "/v1/policy/versions/{version}", Access::Owners),
    r("GET", "/v1/policy/diff", Access::Owners),
    r("POST", "/v1/policy/rollback", Access::Owners),
];

/// Routes any principal may call with no object it could be refused on: every principal may
/// ask (the policy decides what), and a token listing shows each caller only what concerns
/// it (checked in `api_audit_identity.rs`).
const NO_WRONG_CALLER: &[(&str, &str)] = &[
    ("POST", "/v1/decide"),
    ("POST", "/v1/hook/claude-code"),
    ("GET", "/v1/tokens"),
];

fn guarded() -> impl Iterator<Item = &'static Route> {
    ROUTES.iter().filter(|r| r.access != Access::Open)
}

/// Limits no test reaches by accident.
fn generous() -> Limits {
    common::generous()
}

fn headers(pairs: &[(&str, &str)], body: bool) -> Vec<(String, String)> {
    let mut h: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if body {
        h.push(("Content-Type".into(), "application/json".into()));
    }
    h
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A path of the table with its parameters filled in.
fn fill(path: &str, id: i64) -> String {
    path.replace("{id}", &id.to_string())
        .replace("{version}", "1")
}

/// The audit events after `seq`.
async fn events_after(s: &Server, seq: i64) -> Vec<Value> {
    let q = AuditQuery {
        after_seq: seq,
        ..AuditQuery::default()
    };
    let events = s.state.gateway.audit().query(&q).await.expect("audit");
    events
        .into_iter()
        .map(|e| serde_json::to_value(e).expect("json"))
        .collect()
}

async fn head(s: &Server) -> i64 {
    events_after(s, 0)
        .await
        .last()
        .and_then(|e| e["seq"].as_i64())
        .unwrap_or(0)
}

/// The one refusal event written since `seq` for `who` (as principal or approver).
async fn one_refusal_since(s: &Server, seq: i64, who: Option<&str>, what: &str) -> Value {
    let new = events_after(s, seq).await;
    let refusals: Vec<&Value> = new
        .iter()
        .filter(|e| {
            let name = e["event"].as_str().unwrap_or("");
            name == "auth.failed" || name == "auth.refused" || name == "approval.refused"
        })
        .collect();
    assert_eq!(
        refusals.len(),
        1,
        "{what}: expected exactly one refusal in the audit log, got {new:#?}"
    );
    let e = refusals[0].clone();
    if let Some(who) = who {
        assert!(
            e["principal"] == who || e["approver"] == who,
            "{what}: the refusal does not name {who}: {e}"
        );
    }
    e
}

/// The document's operations as (METHOD, path template, needs a token).
async fn documented(s: &Server) -> BTreeSet<(String, String, bool)> {
    let doc = s.get("/v1/openapi.json", None).await.json();
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            if !["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            let open = op["security"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
            });
            out.insert((method.to_uppercase(), path.clone(), !open));
        }
    }
    out
}

#[tokio::test]
async fn the_table_covers_every_documented_route() {
    let s = common::start_with(generous()).await;
    let doc = documented(&s).await;
    let table: BTreeSet<(String, String, bool)> = ROUTES
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.path.to_string(),
                r.access != Access::Open,
            )
        })
        .collect();
    let missing: Vec<_> = doc.difference(&table).collect();
    let stale: Vec<_> = table.difference(&doc).collect();
    assert!(
        missing.is_empty(),
        "documented routes without a row in ROUTES (or whose need for a token differs): {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows in ROUTES that the document does not have: {stale:?}"
    );
    for (m, p) in NO_WRONG_CALLER {
        assert!(
            ROUTES.iter().any(|r| r.method == *m && r.path == *p),
            "{m} {p}"
        );
    }
}

/// Every guarded route refuses every kind of bad credential with 401 problem+json and a
/// `WWW-Authenticate: Bearer` challenge, and each refusal is exactly one `auth.failed` event.
/// A console session cookie is not a credential for `/v1` (so a page on another site that
/// makes the browser send it gets nowhere: that is the API's CSRF defence).
#[tokio::test]
async fn every_route_refuses_every_kind_of_bad_credential_and_audits_each() {
    let s = common::start_with(generous()).await;
    let expired = s.token_for("owner", Some(1000)).await;
    let (rid, revoked) = s.token_with_id("owner", None).await;
    s.revoke_token(rid).await;
    // An agent's token, and one the agent minted for its subagent; then the agent's is revoked.
    let (aid, agent) = s.token_with_id("agent", None).await;
    let r = s
        .post("/v1/tokens", Some(&agent), &json!({"principal": "helper"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let orphan = r.json()["token"].as_str().unwrap().to_string();
    s.revoke_token(aid).await;
    // A live console session of the owner.
    let owner = s.token("owner").await;
    let cookie = console_login(&s, &owner).await.0;
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let unknown = format!("ast_{}", "ab".repeat(32));
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("no token", vec![]),
        (
            "not a bearer",
            vec![("Authorization", "Basic b3duZXI6b3duZXI=".into())],
        ),
        ("malformed", vec![("Authorization", "Bearer owner".into())]),
        ("unknown", vec![("Authorization", bearer(&unknown))]),
        ("expired", vec![("Authorization", bearer(&expired))]),
        ("revoked", vec![("Authorization", bearer(&revoked))]),
        (
            "minted under a revoked token",
            vec![("Authorization", bearer(&orphan))],
        ),
        (
            "a console cookie instead of a token",
            vec![("Cookie", cookie.clone()), ("Origin", "http://test".into())],
        ),
    ];
    for route in guarded() {
        let path = fill(route.path, 1);
        for (what, pairs) in &cases {
            let seq = head(&s).await;
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = raw(s.addr, route.method, &path, &headers(&pairs, true), b"{}").await;
            let label = format!("{} {} with {what}", route.method, route.path);
            assert_eq!(r.status, 401, "{label}: {}", r.body);
            r.problem(401);
            assert!(
                r.header("www-authenticate")
                    .is_some_and(|v| v.starts_with("Bearer")),
                "{label}: no WWW-Authenticate"
            );
            let e = one_refusal_since(&s, seq, None, &label).await;
            assert_eq!(e["event"], "auth.failed", "{label}: {e}");
            // The credential itself is never written down.
            let text = e.to_string();
            for secret in [&unknown, &expired, &revoked, &orphan, &cookie] {
                assert!(!text.contains(secret.as_str()), "{label}: {text}");
            }
        }
    }
    // Open routes need nothing.
    for route in ROUTES.iter().filter(|r| r.access == Access::Open) {
        let r = s.send(route.method, route.path, None, None).await;
        assert_eq!(r.status, 200, "{} {}: {}", route.method, route.path, r.body);
    }
}

/// Logs `token` in to the console; answers (cookie, CSRF token).
async fn console_login(s: &Server, token: &str) -> (String, String) {
    let body = json!({"token": token}).to_string();
    let r = raw(
        s.addr,
        "POST",
        "/console/api/login",
        &headers(&[("Origin", "http://test")], true),
        body.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let cookie = r
        .header("set-cookie")
        .expect("cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let csrf = r.json()["csrf"].as_str().expect("csrf").to_string();
    (cookie, csrf)
}

/// What the role cases call routes with.
struct World {
    tokens: std::collections::HashMap<&'static str, String>,
    /// A pending shell command asked by `agent` (owners approve it).
    by_agent: i64,
    by_agent_secret: String,
    /// A pending shell command asked by `owner` themself.
    by_owner: i64,
    /// The id of one of `owner`'s tokens.
    owner_token_id: i64,
}

impl World {
    fn token(&self, who: &str) -> &str {
        self.tokens.get(who).map(String::as_str).expect("a token")
    }
}

async fn world(s: &Server) -> World {
    let mut tokens = std::collections::HashMap::new();
    for who in ["owner", "owner2", "alice", "agent", "helper", "nobody"] {
        tokens.insert(who, s.token(who).await);
    }
    let (owner_token_id, _) = s.token_with_id("owner", None).await;
    let a = s.ask_shell(&tokens["agent"], "rm -rf build").await;
    let o = s.ask_shell(&tokens["owner"], "rm -rf mine").await;
    World {
        by_agent: a["request_id"].as_i64().unwrap(),
        by_agent_secret: a["wait_secret"].as_str().unwrap().to_string(),
        by_owner: o["request_id"].as_i64().unwrap(),
        owner_token_id,
        tokens,
    }
}

/// One call that must be refused: who, where, with what body, and the status.
struct Case {
    who: &'static str,
    path: String,
    body: Option<String>,
    status: u16,
    why: &'static str,
}

/// The refusals of routes open to any principal or to answerers, which depend on the object
/// (whose request, whose token) or the rule (which roles approve).
fn object_cases(route: &Route, w: &World) -> Vec<Case> {
    let c = |who, path: String, body: Option<Value>, status, why| Case {
        who,
        path,
        body: body.map(|b| b.to_string()),
        status,
        why,
    };
    let on = |id: i64| fill(route.path, id);
    match (route.method, route.path) {
        ("GET", "/v1/requests/{id}") | ("GET", "/v1/requests/{id}/events") => vec![
            c(
                "helper",
                on(w.by_agent),
                None,
                403,
                "another agent's request (even its parent's)",
            ),
            c("agent", on(w.by_owner), None, 403, "a person's request"),
        ],
        ("POST", "/v1/requests/{id}/wait") => vec![
            c(
                "helper",
                on(w.by_agent),
                Some(
                    json!({"wait_secret": w.by_agent_secret, "timeout_ms": 10, "keep_pending": true}),
                ),
                403,
                "not the requester, even with the secret",
            ),
            c(
                "agent",
                on(w.by_agent),
                Some(json!({"wait_secret": "wrong", "timeout_ms": 10, "keep_pending": true})),
                403,
                "the requester with a wrong wait secret",
            ),
        ],
        ("POST", "/v1/requests/{id}/approve") | ("POST", "/v1/requests/{id}/deny") => {
            let body = Some(json!({"reason": "matrix"}));
            let body = if route.path.ends_with("approve") {
                Some(json!({}))
            } else {
                body
            };
            vec![
                c(
                    "agent",
                    on(w.by_agent),
                    body.clone(),
                    403,
                    "an agent answering its own request",
                ),
                c(
                    "helper",
                    on(w.by_agent),
                    body.clone(),
                    403,
                    "an agent answering",
                ),
                c(
                    "alice",
                    on(w.by_agent),
                    body.clone(),
                    403,
                    "a collaborator answering what needs an owner",
                ),
                c(
                    "nobody",
                    on(w.by_agent),
                    body.clone(),
                    403,
                    "a person with no role",
                ),
                c(
                    "owner",
                    on(w.by_owner),
                    body,
                    403,
                    "the requester answering its own request",
                ),
            ]
        }
        ("POST", "/v1/tokens") => vec![
            c(
                "agent",
                on(0),
                Some(json!({"principal": "owner"})),
                403,
                "an agent minting for a person",
            ),
            c(
                "agent",
                on(0),
                Some(json!({"principal": "agent"})),
                403,
                "an agent minting for itself",
            ),
            c(
                "helper",
                on(0),
                Some(json!({"principal": "agent"})),
                403,
                "a subagent minting for its parent",
            ),
            c(
                "alice",
                on(0),
                Some(json!({"principal": "owner2"})),
                403,
                "a person minting for another person",
            ),
            c(
                "owner2",
                on(0),
                Some(json!({"principal": "owner"})),
                403,
                "an owner minting for another owner (one person twice in a quorum)",
            ),
        ],
        ("DELETE", "/v1/tokens/{id}") => vec![
            c(
                "alice",
                on(w.owner_token_id),
                None,
                403,
                "someone else's token",
            ),
            c(
                "agent",
                on(w.owner_token_id),
                None,
                403,
                "an agent revoking a person's token",
            ),
        ],
        _ => Vec::new(),
    }
}

/// The refusals every route of a class has.
fn class_cases(route: &Route, w: &World) -> Vec<Case> {
    let wrong: &[&'static str] = match route.access {
        Access::People => &["agent", "helper"],
        Access::Owners => &["alice", "nobody", "agent", "helper"],
        _ => &[],
    };
    let body = (route.method != "GET").then(|| "{}".to_string());
    wrong
        .iter()
        .map(|&who| Case {
            who,
            path: fill(route.path, w.by_agent),
            body: body.clone(),
            status: 403,
            why: "a role the route is not for",
        })
        .collect()
}

/// Every wrong caller of every route is refused with 403 problem+json, exactly one audit
/// event names it, and nothing changed.
#[tokio::test]
async fn every_route_refuses_wrong_roles_and_audits_each() {
    let s = common::start_with(generous()).await;
    let w = world(&s).await;
    let policy_before = s.state.gateway.policy_history().await.unwrap().len();
    for route in guarded() {
        let mut cases = class_cases(route, &w);
        cases.extend(object_cases(route, &w));
        let exempt = NO_WRONG_CALLER.contains(&(route.method, route.path));
        assert!(
            exempt || !cases.is_empty(),
            "{} {}: no wrong caller is tried; add its cases to object_cases (or the route to NO_WRONG_CALLER, saying why)",
            route.method,
            route.path
        );
        for case in cases {
            let label = format!(
                "{} {} by {} ({})",
                route.method, case.path, case.who, case.why
            );
            let seq = head(&s).await;
            let auth = bearer(w.token(case.who));
            let pairs = [("Authorization", auth.as_str())];
            let r = raw(
                s.addr,
                route.method,
                &case.path,
                &headers(&pairs, case.body.is_some()),
                case.body.as_deref().unwrap_or("").as_bytes(),
            )
            .await;
            assert_eq!(r.status, case.status, "{label}: {}", r.body);
            r.problem(case.status);
            let e = one_refusal_since(&s, seq, Some(case.who), &label).await;
            if e["event"] != "approval.refused" {
                assert_eq!(e["decision"], "deny", "{label}: {e}");
            }
        }
    }
    // Nothing was answered, minted, revoked or activated.
    for id in [w.by_agent, w.by_owner] {
        let v = s
            .get(&format!("/v1/requests/{id}"), Some(w.token("owner2")))
            .await
            .json();
        assert_eq!(v["state"], "pending", "{v}");
        assert_eq!(v["approvals"], json!([]), "{v}");
    }
    let tokens = s
        .state
        .gateway
        .list_tokens(&s.state.gateway.local_identity().unwrap(), true)
        .await
        .unwrap();
    assert!(tokens.iter().all(|t| t.revoked_ms.is_none()), "{tokens:?}");
    assert_eq!(tokens.len(), w.tokens.len() + 1, "{tokens:?}");
    assert_eq!(
        s.state.gateway.policy_history().await.unwrap().len(),
        policy_before
    );
}

/// A quorum counts distinct authenticated principals: one owner with two tokens is still one
/// approver, the second try is refused (409) and audited, and a second owner completes it.
#[tokio::test]
async fn one_person_is_never_counted_twice_in_a_quorum() {
    let s = common::start_with(generous()).await;
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
    assert_eq!(first.json()["outcome"], "counted", "{}", first.body);
    for token in [&owner_again, &owner] {
        let seq = head(&s).await;
        s.post(&path, Some(token), &json!({})).await.problem(409);
        let e = one_refusal_since(&s, seq, Some("owner"), "owner again").await;
        assert_eq!(e["event"], "approval.refused", "{e}");
    }
    let second = s.post(&path, Some(&owner2), &json!({})).await;
    assert_eq!(second.json()["outcome"], "approved", "{}", second.body);
}

/// An agent mints tokens over the API only for a subordinate agent of its own; the token
/// never outlives the agent's and dies with it; the subordinate proves only itself.
#[tokio::test]
async fn an_agent_mints_only_for_its_subordinate_which_never_exceeds_it() {
    let s = common::start_with(generous()).await;
    let (aid, agent) = s.token_with_id("agent", Some(3_600_000)).await;
    let agent_expiry = s
        .state
        .gateway
        .list_tokens(&s.state.gateway.local_identity().unwrap(), true)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.id == aid)
        .unwrap()
        .expires_ms;
    let r = s
        .post(
            "/v1/tokens",
            Some(&agent),
            &json!({"principal": "helper", "ttl": "30d"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let t = r.json();
    let sub = t["token"].as_str().unwrap().to_string();
    let sub_expiry = s
        .state
        .gateway
        .list_tokens(&s.state.gateway.local_identity().unwrap(), true)
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.id == t["id"].as_i64().unwrap())
        .unwrap()
        .expires_ms;
    assert!(
        sub_expiry <= agent_expiry,
        "the subordinate's token outlives the agent's"
    );
    // The subordinate's token proves the subordinate: its request names it first, with the
    // agent in its chain, and the agent's own request is not its to see.
    let mine = s.ask_shell(&sub, "rm -rf sub").await;
    let id = mine["request_id"].as_i64().unwrap();
    let owner = s.token("owner").await;
    let v = s
        .get(&format!("/v1/requests/{id}"), Some(&owner))
        .await
        .json();
    assert_eq!(v["principal"], "helper", "{v}");
    assert_eq!(v["chain"], json!(["helper", "agent"]), "{v}");
    // Neither the subordinate nor its parent can answer it.
    for t in [&sub, &agent] {
        s.post(&format!("/v1/requests/{id}/approve"), Some(t), &json!({}))
            .await
            .problem(403);
    }
    // Revoking the agent's token ends the subordinate's.
    let r = s
        .send("DELETE", &format!("/v1/tokens/{aid}"), Some(&owner), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let seq = head(&s).await;
    s.get(&format!("/v1/requests/{id}"), Some(&sub))
        .await
        .problem(401);
    let e = one_refusal_since(&s, seq, Some("helper"), "a token under a revoked one").await;
    assert_eq!(e["event"], "auth.failed");
}

/// Three calls, then (practically) none.
const TIGHT: Rate = Rate {
    per_second: 0.001,
    burst: 3.0,
};

/// A principal over its rate is refused on every guarded route with 429 problem+json and a
/// `Retry-After`, before anything is read or done.
#[tokio::test]
async fn every_route_applies_the_principal_rate_limit() {
    let s = common::start_with(Limits {
        principal_rate: TIGHT,
        ..generous()
    })
    .await;
    let owner = s.token("owner").await;
    for _ in 0..3 {
        assert_eq!(s.get("/v1/grants", Some(&owner)).await.status, 200);
    }
    let tokens_before = token_count(&s).await;
    for route in guarded() {
        let r = s
            .send(route.method, &fill(route.path, 1), Some(&owner), Some("{}"))
            .await;
        let label = format!("{} {}", route.method, route.path);
        assert_eq!(r.status, 429, "{label}: {}", r.body);
        let p = r.problem(429);
        let retry: u64 = r
            .header("retry-after")
            .unwrap_or_else(|| panic!("{label}: no Retry-After"))
            .parse()
            .unwrap();
        assert!(retry >= 1 && p["retry_after"] == retry, "{label}: {p}");
    }
    assert_eq!(
        token_count(&s).await,
        tokens_before,
        "a limited call minted"
    );
    // Another principal is not affected.
    let owner2 = s.token("owner2").await;
    assert_eq!(s.get("/v1/grants", Some(&owner2)).await.status, 200);
}

async fn token_count(s: &Server) -> usize {
    s.state
        .gateway
        .list_tokens(&s.state.gateway.local_identity().unwrap(), true)
        .await
        .unwrap()
        .len()
}

/// An address over its rate is refused on every route, open ones included, before the token
/// is even looked at: 429 problem+json with `Retry-After`, and no audit event (a flood must
/// not grow the log).
#[tokio::test]
async fn every_route_applies_the_address_rate_limit() {
    let s = common::start_with(Limits {
        address_rate: TIGHT,
        ..generous()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(s.get("/healthz", None).await.status, 200);
    }
    let seq = head(&s).await;
    let bad = format!("ast_{}", "ef".repeat(32));
    for route in ROUTES {
        let r = s
            .send(route.method, &fill(route.path, 1), Some(&bad), Some("{}"))
            .await;
        let label = format!("{} {}", route.method, route.path);
        assert_eq!(r.status, 429, "{label}: {}", r.body);
        r.problem(429);
        assert!(r.header("retry-after").is_some(), "{label}");
    }
    assert!(
        events_after(&s, seq).await.is_empty(),
        "refusals by the address limit wrote to the audit log"
    );
}

/// A body over the limit is refused on every route with 413 problem+json, whether its size
/// is announced (Content-Length) or only found while reading (chunked).
#[tokio::test]
async fn every_route_refuses_a_body_over_the_limit() {
    let s = common::start_with(Limits {
        max_body: 1024,
        ..generous()
    })
    .await;
    let owner = s.token("owner").await;
    let doc = s.get("/v1/openapi.json", None).await.json();
    let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(4096));
    for route in ROUTES {
        let label = format!("{} {}", route.method, route.path);
        let path = fill(route.path, 1);
        let auth = bearer(&owner);
        let h = headers(&[("Authorization", auth.as_str())], true);
        let r = raw(s.addr, route.method, &path, &h, big.as_bytes()).await;
        assert_eq!(r.status, 413, "{label} (announced): {}", r.body);
        r.problem(413);
        // Routes that read a body also refuse one that grows too large on the way.
        let takes_body =
            doc["paths"][route.path][route.method.to_lowercase()]["requestBody"].is_object();
        if takes_body {
            let r = chunked(&s, route.method, &path, &h, big.as_bytes()).await;
            assert_eq!(r.status, 413, "{label} (chunked): {}", r.body);
            r.problem(413);
        }
    }
}

/// One request with a chunked body (no Content-Length).
async fn chunked(
    s: &Server,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Resp {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut c = tokio::net::TcpStream::connect(s.addr)
        .await
        .expect("connect");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    c.write_all(req.as_bytes()).await.expect("write");
    for piece in body.chunks(512) {
        let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
        chunk.extend_from_slice(piece);
        chunk.extend_from_slice(b"\r\n");
        if c.write_all(&chunk).await.is_err() {
            break;
        }
    }
    let _ = c.write_all(b"0\r\n\r\n").await;
    let mut buf = Vec::new();
    let _ = c.read_to_end(&mut buf).await;
    common::parse(&buf)
}

/// The console's changes (every POST route of its router but the login) need the session's
/// CSRF token and this origin: without them 403 problem+json, audited, and nothing changes.
/// The list comes from the console's router source, so a new change route is covered.
#[tokio::test]
async fn every_console_change_needs_the_csrf_token_and_each_refusal_is_audited() {
    let s = common::start_with(generous()).await;
    let src = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/console/mod.rs"),
    )
    .unwrap();
    let mut changes = Vec::new();
    for piece in src.split(".route(\"").skip(1) {
        let (path, rest) = piece.split_once('"').unwrap();
        let handlers = rest.lines().next().unwrap_or(rest);
        for m in ["post", "put", "delete", "patch"] {
            if handlers.contains(&format!("{m}(")) && path != "/console/api/login" {
                changes.push((m.to_uppercase(), path.to_string()));
            }
        }
    }
    assert!(changes.len() >= 7, "{changes:?}");
    let owner = s.token("owner").await;
    let agent = s.token("agent").await;
    let id = s.ask_shell(&agent, "rm -rf build").await["request_id"]
        .as_i64()
        .unwrap();
    let (cookie, csrf) = console_login(&s, &owner).await;
    let policy_before = s.state.gateway.policy_history().await.unwrap().len();
    for (method, path) in &changes {
        let path = fill(path, id);
        for (what, pairs) in [
            (
                "no CSRF token",
                vec![("Cookie", cookie.as_str()), ("Origin", "http://test")],
            ),
            (
                "a wrong CSRF token",
                vec![
                    ("Cookie", cookie.as_str()),
                    ("Origin", "http://test"),
                    ("X-CSRF-Token", "0000"),
                ],
            ),
            (
                "the right token from another origin",
                vec![
                    ("Cookie", cookie.as_str()),
                    ("Origin", "http://evil.example"),
                    ("X-CSRF-Token", csrf.as_str()),
                ],
            ),
        ] {
            let label = format!("{method} {path} with {what}");
            let seq = head(&s).await;
            let body =
                json!({"reason": "csrf", "expected_version": 1, "to": 1, "files": {}}).to_string();
            let r = raw(
                s.addr,
                method,
                &path,
                &headers(&pairs, true),
                body.as_bytes(),
            )
            .await;
            r.problem(403);
            let e = one_refusal_since(&s, seq, None, &label).await;
            assert_eq!(e["event"], "auth.refused", "{label}: {e}");
            assert!(!e.to_string().contains(&csrf), "{label}: {e}");
        }
    }
    // Still pending, still the same policy, still logged in.
    let v = s
        .get(&format!("/v1/requests/{id}"), Some(&owner))
        .await
        .json();
    assert_eq!(v["state"], "pending", "{v}");
    assert_eq!(
        s.state.gateway.policy_history().await.unwrap().len(),
        policy_before
    );
    let r = raw(
        s.addr,
        "GET",
        "/console/api/session",
        &headers(&[("Cookie", cookie.as_str())], false),
        b"",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}
