//! The console over HTTP: embedded assets with a strict Content-Security-Policy, login with a
//! token into an HttpOnly, SameSite=Strict session cookie (Secure under TLS), CSRF on every
//! state change made with the cookie, sessions that end with their token, agents kept out,
//! and a request page that escapes hidden characters and never carries a planted secret.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

mod common;

use common::{raw, Resp, Server};
use serde_json::{json, Value};

async fn token_for(s: &Server, principal: &str) -> String {
    let gw = &s.state.gateway;
    let admin = gw.local_identity().expect("local admin");
    gw.create_token(&admin, principal, Some(3_600_000), "console test")
        .await
        .expect("token")
        .token
}

/// Sends with arbitrary headers (cookie, CSRF, origin).
async fn send(
    s: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Resp {
    let mut h: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if body.is_some() {
        h.push(("Content-Type".into(), "application/json".into()));
    }
    let b = body.map(|b| b.to_string()).unwrap_or_default();
    raw(s.addr, method, path, &h, b.as_bytes()).await
}

struct Login {
    cookie: String,
    csrf: String,
    set_cookie: String,
}

/// A logged-in browser: the cookie on every request, the CSRF token and this origin on
/// every change.
struct Console<'a> {
    s: &'a Server,
    l: Login,
}

impl Console<'_> {
    async fn get(&self, path: &str) -> Resp {
        send(self.s, "GET", path, &[("Cookie", &self.l.cookie)], None).await
    }

    async fn post(&self, path: &str, body: &Value) -> Resp {
        send(
            self.s,
            "POST",
            path,
            &[
                ("Cookie", &self.l.cookie),
                ("X-CSRF-Token", &self.l.csrf),
                ("Origin", "http://test"),
            ],
            Some(body),
        )
        .await
    }
}

async fn console<'a>(s: &'a Server, principal: &str) -> Console<'a> {
    let t = token_for(s, principal).await;
    Console {
        s,
        l: login(s, &t, &[]).await,
    }
}

/// A request made the way a hook makes it; answers its id.
async fn pending(s: &Server, tool: &str, input: Value) -> i64 {
    let ws = s.home.path().join("user/project");
    std::fs::create_dir_all(&ws).expect("ws");
    let hook = json!({"hook_event_name": "PreToolUse", "session_id": "s", "cwd": ws.display().to_string(),
        "tool_name": tool, "tool_input": input});
    pending_as(s, "agent", &hook).await
}

/// A request by `principal` for `action` (canonical or hook shape); answers its id.
async fn pending_as(s: &Server, principal: &str, action: &Value) -> i64 {
    let adapted = assent_adapters::from_json_line(&action.to_string()).expect("adapts");
    let requested = s
        .state
        .gateway
        .decide(&adapted, principal)
        .await
        .expect("decide");
    match requested.outcome {
        assent_gateway::Outcome::Pending(p) => p.request_id,
        other => panic!("expected a pending request, got {other:?}"),
    }
}

async fn login(s: &Server, token: &str, extra: &[(&str, &str)]) -> Login {
    let r = send(
        s,
        "POST",
        "/console/api/login",
        extra,
        Some(&json!({"token": token})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let set_cookie = r.header("set-cookie").expect("a cookie").to_string();
    let cookie = set_cookie
        .split(';')
        .next()
        .expect("name=value")
        .to_string();
    let csrf = r.json()["csrf"].as_str().expect("csrf").to_string();
    assert!(
        !r.body.contains(token),
        "the login answer repeats the token"
    );
    Login {
        cookie,
        csrf,
        set_cookie,
    }
}

#[tokio::test]
async fn assets_are_embedded_and_locked_down() {
    let s = common::start().await;
    let r = s.get("/console/", None).await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r
        .body
        .contains("<script src=\"/console/app.js\" defer></script>"));
    let csp = r.header("content-security-policy").expect("CSP");
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    let js = s.get("/console/app.js", None).await;
    assert_eq!(js.status, 200);
    assert!(js
        .header("content-type")
        .unwrap()
        .starts_with("text/javascript"));
    // The page builds text only: no HTML sink anywhere in the script.
    for sink in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
    ] {
        assert!(!js.body.contains(sink), "app.js uses {sink}");
    }
    let css = s.get("/console/style.css", None).await;
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    let r = s.get("/console", None).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/console/"));
}

#[tokio::test]
async fn login_needs_a_valid_person_token_and_json() {
    let s = common::start().await;
    send(
        &s,
        "POST",
        "/console/api/login",
        &[],
        Some(&json!({"token": "ast_nope"})),
    )
    .await
    .problem(401);
    // A form post (what another site's page could send without CORS) is refused.
    let form = raw(
        s.addr,
        "POST",
        "/console/api/login",
        &[(
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        b"token=ast_x",
    )
    .await;
    assert_eq!(form.status, 415, "{}", form.body);
    // Agents never log in.
    let agent = token_for(&s, "agent").await;
    send(
        &s,
        "POST",
        "/console/api/login",
        &[],
        Some(&json!({"token": agent})),
    )
    .await
    .problem(403);
    // A cross-origin login is refused.
    let owner = token_for(&s, "owner").await;
    send(
        &s,
        "POST",
        "/console/api/login",
        &[("Origin", "http://evil.example")],
        Some(&json!({"token": owner})),
    )
    .await
    .problem(403);
    // No session, no console data.
    s.get("/console/api/session", None).await.problem(401);
    s.get("/console/api/requests/1", None).await.problem(401);
    send(
        &s,
        "GET",
        "/console/api/session",
        &[("Cookie", "assent_session=forged")],
        None,
    )
    .await
    .problem(401);
}

#[tokio::test]
async fn the_session_cookie_is_httponly_strict_and_secure_under_tls() {
    let s = common::start().await;
    let owner = token_for(&s, "owner").await;
    let l = login(&s, &owner, &[]).await;
    assert!(
        l.set_cookie.starts_with("assent_session="),
        "{}",
        l.set_cookie
    );
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(
            l.set_cookie.contains(attr),
            "{attr} missing: {}",
            l.set_cookie
        );
    }
    assert!(!l.set_cookie.contains("Secure"));
    assert!(!l.set_cookie.contains(&owner));
    let tls = login(&s, &owner, &[("X-Forwarded-Proto", "https")]).await;
    assert!(
        tls.set_cookie.starts_with("__Host-assent_session=") && tls.set_cookie.contains("; Secure"),
        "{}",
        tls.set_cookie
    );
    let r = send(
        &s,
        "GET",
        "/console/api/session",
        &[("Cookie", &l.cookie)],
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["principal"], "owner");
    assert_eq!(v["csrf"], l.csrf.as_str());
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn state_changes_with_the_cookie_need_the_csrf_token() {
    let s = common::start().await;
    let owner = token_for(&s, "owner").await;
    let l = login(&s, &owner, &[]).await;
    let cookie = ("Cookie", l.cookie.as_str());
    // No token, a wrong one, an empty one: refused, and the session still lives.
    for headers in [
        vec![cookie],
        vec![cookie, ("X-CSRF-Token", "0000")],
        vec![cookie, ("X-CSRF-Token", "")],
    ] {
        let r = send(
            &s,
            "POST",
            "/console/api/logout",
            &headers,
            Some(&json!({})),
        )
        .await;
        let p = r.problem(403);
        assert!(p["detail"].as_str().unwrap().contains("CSRF"), "{p}");
    }
    // The right token from another origin: refused too.
    send(
        &s,
        "POST",
        "/console/api/logout",
        &[
            cookie,
            ("X-CSRF-Token", &l.csrf),
            ("Origin", "http://evil.example"),
        ],
        Some(&json!({})),
    )
    .await
    .problem(403);
    let r = send(&s, "GET", "/console/api/session", &[cookie], None).await;
    assert_eq!(r.status, 200);
    // The same session's token from this origin: done.
    let r = send(
        &s,
        "POST",
        "/console/api/logout",
        &[cookie, ("X-CSRF-Token", &l.csrf), ("Origin", "http://test")],
        Some(&json!({})),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
    send(&s, "GET", "/console/api/session", &[cookie], None)
        .await
        .problem(401);
    // Another session's CSRF token does not fit this one.
    let a = login(&s, &owner, &[]).await;
    let b = login(&s, &owner, &[]).await;
    send(
        &s,
        "POST",
        "/console/api/logout",
        &[("Cookie", &a.cookie), ("X-CSRF-Token", &b.csrf)],
        Some(&json!({})),
    )
    .await
    .problem(403);
}

#[tokio::test]
async fn a_session_ends_with_its_token() {
    let s = common::start().await;
    let gw = &s.state.gateway;
    let admin = gw.local_identity().expect("admin");
    let t = gw
        .create_token(&admin, "owner", Some(3_600_000), "revoked later")
        .await
        .expect("token");
    let l = login(&s, &t.token, &[]).await;
    let cookie = ("Cookie", l.cookie.as_str());
    assert_eq!(
        send(&s, "GET", "/console/api/session", &[cookie], None)
            .await
            .status,
        200
    );
    gw.revoke_token(&admin, t.id).await.expect("revoke");
    send(&s, "GET", "/console/api/session", &[cookie], None)
        .await
        .problem(401);
    // Gone for good, even if the token came back somehow.
    assert!(s.state.console.is_empty());
}

#[tokio::test]
async fn the_request_page_escapes_hidden_text_and_carries_no_secret() {
    let s = common::start().await;
    let ws = s.home.path().join("user/project");
    std::fs::create_dir_all(&ws).expect("ws");
    let secret = format!("ghp_{}", "Zq8rT2mW5xK9pL3vN7bC1dF6gH4jS0aYuE".repeat(2));
    let file = ws.join("config.txt");
    std::fs::write(&file, format!("a\nb\nGITHUB_TOKEN={secret}\nc\nd\ne\n")).expect("file");
    let id = pending(
        &s,
        "Edit",
        json!({"file_path": file.display().to_string(), "old_string": "d\n", "new_string": "d \u{202e}exe.txt\n"}),
    )
    .await;
    let c = console(&s, "owner").await;
    let r = c.get(&format!("/console/api/requests/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        !r.body.contains(&secret),
        "the planted secret reached the page"
    );
    assert!(
        !r.body.contains('\u{202e}'),
        "a raw bidi character reached the page"
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!(r.header("content-security-policy").is_some());
    let v = r.json();
    let flagged: Vec<&Value> = v["diff"]["hunks"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["segments"].as_array().unwrap().iter())
        .filter(|seg| seg["hidden"].is_string())
        .collect();
    assert_eq!(flagged.len(), 1, "{v}");
    assert_eq!(flagged[0]["t"], "\\u{202E}");
    assert!(flagged[0]["hidden"].as_str().unwrap().contains("U+202E"));
    assert_eq!(
        v["diff"]["removed"], 1,
        "a real diff: one line removed, {v}"
    );
    assert_eq!(v["diff"]["added"], 1, "{v}");
    assert!(v["explanation"]["headline"]
        .as_str()
        .unwrap()
        .starts_with("Needs approval"));
    assert_eq!(v["principal"], "agent");
    assert_eq!(v["state"], "pending");
    // The queue lists it, with the server's clock for the countdown.
    let q = c.get("/console/api/queue").await.json();
    assert_eq!(q["requests"][0]["id"], id, "{q}");
    assert!(q["now_ms"].as_i64().unwrap() < q["requests"][0]["deadline_ms"].as_i64().unwrap());
    assert!(!q.to_string().contains(&secret));
    c.get("/console/api/requests/999999").await.problem(404);
}

#[tokio::test]
async fn console_routes_take_the_session_only() {
    let s = common::start().await;
    let owner = token_for(&s, "owner").await;
    // A bearer token is for /v1: the console's routes do not take one.
    for path in [
        "/console/api/queue",
        "/console/api/grants",
        "/console/api/audit",
        "/console/api/policy",
    ] {
        s.get(path, Some(&owner)).await.problem(401);
        s.get(path, None).await.problem(401);
    }
    let id = pending(&s, "Bash", json!({"command": "rm -rf build"})).await;
    s.post(
        &format!("/console/api/requests/{id}/approve"),
        Some(&owner),
        &json!({}),
    )
    .await
    .problem(401);
    // Every change needs the CSRF token: approve without it is refused and changes nothing.
    let c = console(&s, "owner").await;
    let r = send(
        &s,
        "POST",
        &format!("/console/api/requests/{id}/approve"),
        &[("Cookie", &c.l.cookie)],
        Some(&json!({})),
    )
    .await;
    r.problem(403);
    let v = c.get(&format!("/console/api/requests/{id}")).await.json();
    assert_eq!(v["state"], "pending");
}

#[tokio::test]
async fn approve_deny_and_grants_go_through_the_gateway_rules() {
    let s = common::start().await;
    let ws = s.home.path().join("user/project");
    std::fs::create_dir_all(&ws).expect("ws");
    let owner = console(&s, "owner").await;
    let alice = console(&s, "alice").await;
    let nobody = console(&s, "nobody").await;

    // A shell command: a collaborator may not approve it; the gateway says why.
    let rm = pending(&s, "Bash", json!({"command": "rm -rf build"})).await;
    let p = alice
        .post(&format!("/console/api/requests/{rm}/approve"), &json!({}))
        .await
        .problem(403);
    assert!(p["detail"].as_str().unwrap().contains("alice"), "{p}");
    nobody
        .post(
            &format!("/console/api/requests/{rm}/deny"),
            &json!({"reason": "no"}),
        )
        .await
        .problem(403);
    // A deny needs a reason.
    owner
        .post(
            &format!("/console/api/requests/{rm}/deny"),
            &json!({"reason": "  "}),
        )
        .await
        .problem(422);
    let r = owner
        .post(
            &format!("/console/api/requests/{rm}/deny"),
            &json!({"reason": "not today"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["outcome"], "denied");
    let v = owner
        .get(&format!("/console/api/requests/{rm}"))
        .await
        .json();
    assert_eq!(v["state"], "denied");
    assert_eq!(v["answers"][0]["reason"], "not today", "{v}");
    // Settled: a second answer is a conflict.
    owner
        .post(&format!("/console/api/requests/{rm}/approve"), &json!({}))
        .await
        .problem(409);

    // A write (mode once): a collaborator approves it for an hour, which leaves a grant.
    let w = pending(
        &s,
        "Write",
        json!({"file_path": ws.join("out.txt").display().to_string(), "content": "hi\n"}),
    )
    .await;
    alice
        .post(
            &format!("/console/api/requests/{w}/approve"),
            &json!({"for": "9y"}),
        )
        .await
        .problem(422);
    alice
        .post(
            &format!("/console/api/requests/{w}/approve"),
            &json!({"for": "1h", "extra": 1}),
        )
        .await
        .problem(422);
    let r = alice
        .post(
            &format!("/console/api/requests/{w}/approve"),
            &json!({"for": "1h", "reason": "fine"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["outcome"], "approved");
    let g = owner.get("/console/api/grants").await.json();
    let grants = g["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 1, "{g}");
    assert_eq!(grants[0]["request_id"], w);
    assert_eq!(grants[0]["active"], true);
    let gid = grants[0]["id"].as_i64().unwrap();
    // Revoking needs the CSRF token too.
    send(
        &s,
        "POST",
        &format!("/console/api/grants/{gid}/revoke"),
        &[("Cookie", &owner.l.cookie)],
        Some(&json!({})),
    )
    .await
    .problem(403);
    let r = owner
        .post(&format!("/console/api/grants/{gid}/revoke"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        owner.get("/console/api/grants").await.json()["grants"],
        json!([])
    );
    let all = owner.get("/console/api/grants?all=true").await.json();
    assert_eq!(all["grants"][0]["active"], false, "{all}");
    owner
        .post("/console/api/grants/424242/revoke", &json!({}))
        .await
        .problem(404);
}

#[tokio::test]
async fn audit_filters_export_and_verify() {
    let s = common::start().await;
    let c = console(&s, "owner").await;
    let rm = pending(&s, "Bash", json!({"command": "rm -rf build"})).await;
    let r = c
        .post(
            &format!("/console/api/requests/{rm}/deny"),
            &json!({"reason": "=HYPERLINK(\"x\")"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let all = c.get("/console/api/audit").await.json();
    assert!(all["events"].as_array().unwrap().len() >= 2, "{all}");
    let only = c
        .get(&format!("/console/api/audit?request_id={rm}&event=denial"))
        .await
        .json();
    let events = only["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{only}");
    assert_eq!(events[0]["approver"], "owner");
    c.get("/console/api/audit?request_id=x").await.problem(400);
    c.get("/console/api/audit?since=yesterday")
        .await
        .problem(400);
    let future = c
        .get("/console/api/audit?since=2999-01-01T00:00")
        .await
        .json();
    assert_eq!(future["events"], json!([]));
    // Exports are downloads of the same events; CSV cells are defused.
    let csv = c.get("/console/api/audit/export?format=csv").await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(csv
        .header("content-disposition")
        .unwrap()
        .contains("attachment"));
    assert!(csv.body.contains("'=HYPERLINK"), "{}", csv.body);
    let jsonl = c
        .get(&format!(
            "/console/api/audit/export?format=jsonl&request_id={rm}"
        ))
        .await;
    assert_eq!(jsonl.status, 200);
    for line in jsonl.body.lines() {
        let v: Value = serde_json::from_str(line).expect("one JSON event per line");
        assert_eq!(v["request_id"], rm);
    }
    c.get("/console/api/audit/export?format=xml")
        .await
        .problem(400);
    let v = c.get("/console/api/audit/verify").await.json();
    assert_eq!(v["ok"], true, "{v}");
    // No session, no export.
    s.get("/console/api/audit/export?format=jsonl", None)
        .await
        .problem(401);
}

#[tokio::test]
async fn policy_validate_activate_rollback_from_the_console() {
    let s = common::start().await;
    let owner = console(&s, "owner").await;
    let alice = console(&s, "alice").await;
    let p = owner.get("/console/api/policy").await.json();
    assert_eq!(p["may_change"], true);
    let v0 = p["active"]["version"].as_i64().unwrap();
    let files = p["active"]["files"].clone();
    assert!(files["team.cedar"].is_string(), "{p}");
    assert!(alice.get("/console/api/policy").await.json()["may_change"] == false);

    // Broken: validation says where, activation refuses it whole.
    let mut broken = files.clone();
    broken["team.cedar"] = json!(format!(
        "{}\npermit (principal",
        files["team.cedar"].as_str().unwrap()
    ));
    let v = owner
        .post("/console/api/policy/validate", &json!({"files": broken}))
        .await
        .json();
    assert_eq!(v["valid"], false);
    assert_eq!(v["errors"][0]["file"], "team.cedar", "{v}");
    let r = owner
        .post(
            "/console/api/policy/activate",
            &json!({"files": broken, "expected_version": v0}),
        )
        .await;
    let prob = r.problem(422);
    assert!(
        prob["errors"].as_array().is_some_and(|e| !e.is_empty()),
        "{prob}"
    );
    assert_eq!(
        owner.get("/console/api/policy").await.json()["active"]["version"],
        v0
    );

    // Good: a collaborator may not activate it; an owner may; a stale version is a 409.
    let mut good = files.clone();
    good["team.cedar"] = json!(format!(
        "{}\n// edited in the console\n",
        files["team.cedar"].as_str().unwrap()
    ));
    alice
        .post(
            "/console/api/policy/activate",
            &json!({"files": good, "expected_version": v0}),
        )
        .await
        .problem(403);
    let r = owner
        .post(
            "/console/api/policy/activate",
            &json!({"files": good, "expected_version": v0, "note": "a comment"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v1 = r.json()["version"].as_i64().unwrap();
    assert!(v1 > v0);
    owner
        .post(
            "/console/api/policy/activate",
            &json!({"files": good, "expected_version": v0}),
        )
        .await
        .problem(409);
    let d = owner
        .get(&format!("/console/api/policy/diff?from={v0}&to={v1}"))
        .await
        .json();
    assert!(d.to_string().contains("edited in the console"), "{d}");

    // Roll back: owners only, with the version read.
    alice
        .post(
            "/console/api/policy/rollback",
            &json!({"to": v0, "expected_version": v1}),
        )
        .await
        .problem(403);
    let r = owner
        .post(
            "/console/api/policy/rollback",
            &json!({"to": v0, "expected_version": v1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = owner.get("/console/api/policy").await.json();
    assert_eq!(p["active"]["files"], files);
    assert_eq!(p["history"][0]["via"], "rollback", "{p}");
    // Each change is in the audit log, by name.
    let a = owner
        .get("/console/api/audit?event=policy.activated")
        .await
        .json();
    assert_eq!(a["events"][0]["principal"], "owner", "{a}");
}

#[tokio::test]
async fn failed_logins_are_limited_per_address() {
    let s = common::start().await;
    let owner = token_for(&s, "owner").await;
    // The default budget: a burst of 10 failures, then one every two seconds.
    let mut limited = false;
    for _ in 0..20 {
        let r = send(
            &s,
            "POST",
            "/console/api/login",
            &[],
            Some(&json!({"token": "ast_guess"})),
        )
        .await;
        if r.status == 429 {
            r.problem(429);
            limited = true;
            break;
        }
        r.problem(401);
    }
    assert!(limited, "guessing tokens at the login is not limited");
    // While limited, even the right token waits: nothing is learnt from guessing faster.
    send(
        &s,
        "POST",
        "/console/api/login",
        &[],
        Some(&json!({"token": owner})),
    )
    .await
    .problem(429);
    // Every failure is in the audit log.
    let events = s
        .state
        .gateway
        .audit()
        .query(&assent_gateway::AuditQuery {
            event: Some("auth.failed".into()),
            ..Default::default()
        })
        .await
        .expect("audit");
    assert!(events.len() >= 10, "{} auth.failed events", events.len());
}

#[tokio::test]
async fn a_cookie_planted_before_login_is_never_promoted() {
    let s = common::start().await;
    let owner = token_for(&s, "owner").await;
    let first = login(&s, &owner, &[]).await;
    // Logging in again with that cookie present gives a new session and ends the old one.
    let second = login(&s, &owner, &[("Cookie", &first.cookie)]).await;
    assert_ne!(first.cookie, second.cookie);
    send(
        &s,
        "GET",
        "/console/api/session",
        &[("Cookie", &first.cookie)],
        None,
    )
    .await
    .problem(401);
    let r = send(
        &s,
        "GET",
        "/console/api/session",
        &[("Cookie", &second.cookie)],
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // A value the server never issued is no session.
    send(
        &s,
        "GET",
        "/console/api/queue",
        &[(
            "Cookie",
            "assent_session=0000000000000000000000000000000000000000000000000000000000000000",
        )],
        None,
    )
    .await
    .problem(401);
}

#[tokio::test]
async fn the_request_page_shows_the_chain_and_a_quorum_counting_people() {
    let s = common::start().await;
    let owner = console(&s, "owner").await;
    let owner_again = console(&s, "owner").await;
    let owner2 = console(&s, "owner2").await;
    // A subagent's request names its whole delegation chain.
    let sub = pending_as(
        &s,
        "helper",
        &json!({"tool": "Bash", "kind": "shell", "input": {"command": "rm -rf build"}}),
    )
    .await;
    let v = owner
        .get(&format!("/console/api/requests/{sub}"))
        .await
        .json();
    assert_eq!(v["principal"], "helper");
    assert_eq!(v["chain"], json!(["helper", "agent"]), "{v}");
    // Payments need two distinct owners: one person logged in twice is still one.
    let pay = pending_as(
        &s,
        "agent",
        &json!({"tool": "pay", "kind": "payment", "input": {"amount": 10, "currency": "EUR", "payee": "acme"}}),
    )
    .await;
    let path = format!("/console/api/requests/{pay}/approve");
    let first = owner.post(&path, &json!({})).await.json();
    assert_eq!(first["outcome"], "counted", "{first}");
    assert_eq!(
        (first["have"].as_u64(), first["need"].as_u64()),
        (Some(1), Some(2))
    );
    owner_again.post(&path, &json!({})).await.problem(409);
    let v = owner
        .get(&format!("/console/api/requests/{pay}"))
        .await
        .json();
    assert_eq!(v["state"], "pending");
    assert_eq!(v["approvals"], json!(["owner"]));
    assert_eq!(v["requirement"]["quorum"], 2);
    let q = owner.get("/console/api/queue").await.json();
    let row = q["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == pay)
        .cloned()
        .unwrap();
    assert_eq!(
        (row["approvals"].clone(), row["quorum"].clone()),
        (json!(["owner"]), json!(2))
    );
    let second = owner2.post(&path, &json!({})).await.json();
    assert_eq!(second["outcome"], "approved", "{second}");
}

#[tokio::test]
async fn the_event_stream_names_new_requests_and_needs_a_session() {
    let s = common::start_with(assent_server::limits::Limits {
        max_stream: std::time::Duration::from_secs(2),
        ..assent_server::limits::Limits::default()
    })
    .await;
    s.get("/console/api/events", None).await.problem(401);
    let owner = token_for(&s, "owner").await;
    // A bearer token does not open it either: the console's routes take the session only.
    s.get("/console/api/events", Some(&owner))
        .await
        .problem(401);
    let c = console(&s, "owner").await;
    let cookie = c.l.cookie.clone();
    let addr = s.addr;
    // The stream lives two seconds here; a request made meanwhile is named in it.
    let reader = tokio::spawn(async move {
        raw(
            addr,
            "GET",
            "/console/api/events",
            &[("Cookie".into(), cookie)],
            b"",
        )
        .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let id = pending(&s, "Bash", json!({"command": "rm -rf build"})).await;
    let r = reader.await.expect("reader");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("text/event-stream"));
    assert!(
        r.body.contains("event: request.created")
            && r.body.contains(&format!("\"request_id\":{id}")),
        "{}",
        r.body
    );
    // Names and ids only: what the request is comes from the request page, with its checks.
    assert!(!r.body.contains("rm -rf"), "{}", r.body);
}
