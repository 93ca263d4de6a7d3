//! Proven identities (issue 8, item 2): bearer tokens, delegation of tokens to subordinate
//! agents, and quorum over distinct proven principals. Each test tries to break one claim.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::unwrap_used
)]

use assent_adapters::from_value;
use assent_core::approval::Outcome as Step;
use assent_gateway::{AuditQuery, AuthError, Gateway, Identity, Locations, Outcome, Proof};
use serde_json::{json, Value};
use std::path::Path;

const SETTINGS: &str = r#"
[local]
agent = "agent"
approver = "owner"

[[principals]]
name = "owner"
kind = "user"
roles = ["owner"]

[[principals]]
name = "owner2"
kind = "user"
roles = ["owner"]

[[principals]]
name = "dev"
kind = "user"
roles = ["owner"]

[[principals]]
name = "agent"
kind = "agent"
roles = ["agent"]
parent = "dev"

[[principals]]
name = "helper"
kind = "agent"
roles = ["subagent"]
parent = "agent"

[[principals]]
name = "grandchild"
kind = "agent"
roles = ["subagent"]
parent = "helper"

[[principals]]
name = "rogue"
kind = "agent"
roles = ["agent", "deployer"]
parent = "agent"

[[principals]]
name = "peer"
kind = "agent"
roles = ["agent"]
"#;

struct Fixture {
    _dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    gw: Gateway,
}

fn setup() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join(".assent");
    std::fs::create_dir_all(home.join("policy")).expect("mkdir");
    std::fs::write(
        home.join("policy/default.cedar"),
        assent_policy::DEFAULT_CEDAR,
    )
    .expect("write");
    std::fs::write(home.join("policy/assent.toml"), SETTINGS).expect("write");
    let loc = Locations {
        home: dir.path().to_path_buf(),
        assent_home: home,
        extra_guards: Vec::new(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let gw = rt.block_on(Gateway::open(&loc, None)).expect("gateway");
    Fixture { _dir: dir, rt, gw }
}

impl Fixture {
    fn run<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        self.rt.block_on(f)
    }

    fn local(&self) -> Identity {
        self.gw.local_identity().expect("local identity")
    }

    /// A token minted by the local administrator, and the identity it proves.
    fn token_for(&self, name: &str, ttl_ms: Option<i64>) -> (String, Identity) {
        let t = self
            .run(self.gw.create_token(&self.local(), name, ttl_ms, "test"))
            .expect("local admin mints");
        let id = self
            .run(self.gw.authenticate(&t.token))
            .expect("fresh token");
        (t.token, id)
    }

    fn events(&self, name: &str) -> Vec<Value> {
        self.run(self.gw.audit().query(&AuditQuery {
            event: Some(name.into()),
            ..Default::default()
        }))
        .expect("events")
        .into_iter()
        .map(|e| serde_json::to_value(e).expect("json"))
        .collect()
    }

    fn all_events_text(&self) -> String {
        self.run(self.gw.audit().query(&AuditQuery::default()))
            .expect("events")
            .into_iter()
            .map(|e| serde_json::to_string(&e).expect("json"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn payment_request(&self, principal: &str, dir: &Path) -> i64 {
        let adapted = from_value(json!({"tool": "pay", "kind": "payment", "input": {"amount": 120.5, "currency": "USD", "payee": "acme"}, "cwd": dir.display().to_string(), "session": "s"})).expect("adapts");
        match self
            .run(self.gw.decide(&adapted, principal))
            .expect("decide")
            .outcome
        {
            Outcome::Pending(p) => p.request_id,
            other => panic!("a payment must ask, got {other:?}"),
        }
    }
}

fn refused(r: Result<impl std::fmt::Debug, assent_gateway::GatewayError>, needle: &str) {
    match r {
        Err(e) => assert!(
            e.to_string().contains(needle),
            "refusal `{e}` should mention `{needle}`"
        ),
        Ok(v) => panic!("expected a refusal mentioning `{needle}`, got {v:?}"),
    }
}

#[test]
fn a_token_proves_its_principal_and_nothing_else_does() {
    let f = setup();
    let (token, owner2) = f.token_for("owner2", None);
    assert_eq!(owner2.name(), "owner2");
    assert!(matches!(owner2.proof(), Proof::Token { .. }));
    assert!(token.starts_with("ast_") && token.len() == 68);
    // Only the hash is stored: the token appears nowhere in the database's audit log.
    assert!(!f.all_events_text().contains(&token));

    let mut flipped = token.clone();
    let last = if flipped.ends_with('0') { "1" } else { "0" };
    flipped.truncate(flipped.len() - 1);
    flipped.push_str(last);
    let cases: Vec<(String, AuthError)> = vec![
        (String::new(), AuthError::Missing),
        ("Bearer x".into(), AuthError::Malformed),
        (token.to_uppercase(), AuthError::Malformed),
        (format!("{token}0"), AuthError::Malformed),
        (format!(" {token}"), AuthError::Malformed),
        (token.replacen("ast_", "sk-_", 1), AuthError::Malformed),
        ("ast_".to_string() + &"é".repeat(32), AuthError::Malformed),
        (flipped.clone(), AuthError::Unknown),
    ];
    for (bearer, want) in &cases {
        assert_eq!(
            f.run(f.gw.authenticate(bearer)).err().as_ref(),
            Some(want),
            "{bearer:?}"
        );
    }
    let failures = f.events("auth.failed");
    assert_eq!(failures.len(), cases.len(), "every failure is audited");
    for e in &failures {
        assert_eq!(e["decision"], "deny");
    }
    // The unknown token is recorded by a short keyed fingerprint, never by value.
    let last = failures.last().expect("one");
    let fp = last["detail"]["fingerprint"].as_str().expect("fingerprint");
    assert_eq!(fp.len(), 12);
    assert!(!flipped.contains(fp));
    assert!(!f.all_events_text().contains(&flipped[4..]));
}

#[test]
fn expired_and_revoked_tokens_fail_and_are_audited() {
    let f = setup();
    let (short, _) = f.token_for("owner2", Some(50));
    std::thread::sleep(std::time::Duration::from_millis(80));
    assert_eq!(
        f.run(f.gw.authenticate(&short)).err(),
        Some(AuthError::Expired)
    );

    let (token, id) = f.token_for("owner2", None);
    let token_id = id.token_id().expect("token identity");
    // owner2 may revoke its own token; a second revocation is a conflict, not a success.
    f.run(f.gw.revoke_token(&id, token_id)).expect("revoke own");
    assert_eq!(
        f.run(f.gw.authenticate(&token)).err(),
        Some(AuthError::Revoked)
    );
    assert!(f.run(f.gw.revoke_token(&f.local(), token_id)).is_err());

    let failures = f.events("auth.failed");
    assert_eq!(failures.len(), 2);
    assert!(failures.iter().all(|e| e["principal"] == "owner2"));
    assert!(failures
        .iter()
        .any(|e| e["detail"]["token_id"] == json!(token_id)));
    assert_eq!(f.events("token.revoked").len(), 1);
    assert_eq!(f.events("token.created").len(), 2);
}

#[test]
fn an_agent_mints_only_for_its_own_subordinates_and_never_beyond_itself() {
    let f = setup();
    let (agent_token, agent) = f.token_for("agent", Some(3_600_000));
    let Proof::Token {
        expires_ms: agent_expiry,
        ..
    } = agent.proof()
    else {
        panic!("token proof")
    };

    // Itself, its parent, a person, an unrelated agent, a subordinate with a role it lacks,
    // and an unknown name: all refused.
    for (target, why) in [
        ("agent", "itself"),
        ("dev", "subordinate"),
        ("owner", "subordinate"),
        ("peer", "subordinate"),
        ("rogue", "deployer"),
        ("ghost", "unknown principal"),
    ] {
        refused(f.run(f.gw.create_token(&agent, target, None, "")), why);
    }
    assert_eq!(f.events("auth.refused").len(), 6, "each refusal is audited");

    // Its own subordinate: yes, but the token never outlives the agent's own.
    let sub = f
        .run(f.gw.create_token(&agent, "helper", Some(30 * 86_400_000), "sub"))
        .expect("subordinate");
    assert!(sub.expires_ms <= agent_expiry);
    let helper = f.run(f.gw.authenticate(&sub.token)).expect("helper token");
    assert_eq!(helper.name(), "helper");
    // The subordinate cannot mint upwards or for itself, but can go further down.
    refused(
        f.run(f.gw.create_token(&helper, "agent", None, "")),
        "subordinate",
    );
    refused(
        f.run(f.gw.create_token(&helper, "helper", None, "")),
        "itself",
    );
    let grand = f
        .run(f.gw.create_token(&helper, "grandchild", None, ""))
        .expect("grandchild");
    // Revoking the agent's token ends every token minted under it.
    let agent_id = agent.token_id().expect("id");
    f.run(f.gw.revoke_token(&f.local(), agent_id))
        .expect("revoke");
    assert_eq!(
        f.run(f.gw.authenticate(&agent_token)).err(),
        Some(AuthError::Revoked)
    );
    assert_eq!(
        f.run(f.gw.authenticate(&sub.token)).err(),
        Some(AuthError::Revoked)
    );
    assert_eq!(
        f.run(f.gw.authenticate(&grand.token)).err(),
        Some(AuthError::Revoked)
    );
    // An agent never revokes a token it neither holds nor minted.
    let (_, peer) = f.token_for("peer", None);
    let (_, helper2) = f.token_for("helper", None);
    refused(
        f.run(f.gw.revoke_token(&peer, helper2.token_id().expect("id"))),
        "only its own",
    );
}

#[test]
fn a_person_never_mints_a_token_for_another_person() {
    let f = setup();
    let (_, owner2) = f.token_for("owner2", Some(3_600_000));
    refused(
        f.run(f.gw.create_token(&owner2, "owner", None, "")),
        "another person",
    );
    refused(
        f.run(f.gw.create_token(&owner2, "dev", None, "")),
        "another person",
    );
    // Its own second token, and an agent's (owner2 administers agents): allowed, bounded.
    let own = f
        .run(f.gw.create_token(&owner2, "owner2", Some(30 * 86_400_000), ""))
        .expect("own token");
    assert!(own.expires_ms <= owner2_expiry(&owner2));
    f.run(f.gw.create_token(&owner2, "agent", None, ""))
        .expect("agent token");
    // Listing by a non-admin agent shows only what concerns it, never a token or hash.
    let (_, peer) = f.token_for("peer", None);
    let seen = f.run(f.gw.list_tokens(&peer, true)).expect("list");
    assert!(seen.iter().all(|t| t.principal == "peer"));
    let text = serde_json::to_string(&f.run(f.gw.list_tokens(&f.local(), true)).expect("all"))
        .expect("json");
    assert!(!text.contains("ast_") && !text.contains("hash"));
}

fn owner2_expiry(id: &Identity) -> i64 {
    match id.proof() {
        Proof::Token { expires_ms, .. } => expires_ms,
        Proof::Local => i64::MAX,
    }
}

#[test]
fn quorum_counts_distinct_proven_people_and_never_the_requester() {
    let f = setup();
    let dir = tempfile::tempdir().expect("cwd");
    let id = f.payment_request("agent", dir.path());
    let (_, owner) = f.token_for("owner", None);
    let (_, owner_again) = f.token_for("owner", None);
    let (_, dev) = f.token_for("dev", None);
    let (_, agent) = f.token_for("agent", None);
    let (_, owner2) = f.token_for("owner2", None);

    assert_eq!(
        f.run(f.gw.approve(id, &owner, None, None)).expect("first"),
        Step::Counted { have: 1, need: 2 }
    );
    // The same person with a second token, or as the local administrator (local approver is
    // `owner`), is still one person.
    refused(
        f.run(f.gw.approve(id, &owner_again, None, None)),
        "already approved",
    );
    refused(
        f.run(f.gw.approve(id, &f.local(), None, None)),
        "already approved",
    );
    // The requester's delegation chain (agent → dev) never approves; agents never approve.
    refused(
        f.run(f.gw.approve(id, &dev, None, None)),
        "delegation chain",
    );
    refused(f.run(f.gw.approve(id, &agent, None, None)), "agent");
    refused(f.run(f.gw.deny(id, &agent, "no")), "agent");
    assert_eq!(
        f.run(f.gw.approve(id, &owner2, None, None))
            .expect("second"),
        Step::Approved
    );
    let approved = f.events("approved");
    assert_eq!(approved.len(), 1);
    assert_eq!(
        approved[0]["detail"]["approvals"],
        json!(["owner", "owner2"])
    );
    assert_eq!(f.events("approval.refused").len(), 5);

    // A person's own request: they cannot approve it, with any token.
    let own = f.payment_request("owner", dir.path());
    refused(
        f.run(f.gw.approve(own, &owner, None, None)),
        "delegation chain",
    );
    refused(
        f.run(f.gw.approve(own, &f.local(), None, None)),
        "delegation chain",
    );
    // An agent cannot revoke grants either.
    refused(f.run(f.gw.revoke(1, &agent)), "agent");
}
