//! Roles and delegation: an owner, a collaborator, an agent and its subagent on the same
//! actions. A subagent is never allowed or offered what its parent is not; a principal with
//! no role is denied; only eligible people approve.

// Test code reports failure by panicking: helpers outside `#[test]` functions (fixtures,
// runners) may expect, index and panic too.
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use assent_adapters::{from_value, Adapted};
use assent_core::{Kind, Verdict};
use assent_gateway::{Engine, Locations};
use assent_policy::{Policy, PolicySource};
use serde_json::json;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn engine() -> Engine {
    let dir = root().join("tests/fixtures/rbac");
    let mut cedar = Vec::new();
    for name in ["default.cedar", "team.cedar"] {
        cedar.push((
            name.to_string(),
            std::fs::read_to_string(dir.join(name)).expect("fixture"),
        ));
    }
    let settings = (
        "assent.toml".to_string(),
        std::fs::read_to_string(dir.join("assent.toml")).expect("fixture"),
    );
    let policy = Policy::load(PolicySource { cedar, settings }, 1).expect("rbac policy loads");
    let loc = Locations {
        home: PathBuf::from("/home/dev"),
        assent_home: PathBuf::from("/home/dev/.assent"),
        extra_guards: Vec::new(),
    };
    Engine::new(policy, &loc).expect("engine")
}

fn bash(cmd: &str) -> Adapted {
    from_value(json!({"tool_name": "Bash", "tool_input": {"command": cmd}, "cwd": "/home/dev/project", "session_id": "s"})).expect("adapts")
}

fn corpus() -> Vec<Adapted> {
    let mut out = Vec::new();
    let dir = root().join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for f in files {
        for line in std::fs::read_to_string(&f)
            .expect("read")
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            let case: serde_json::Value = serde_json::from_str(line).expect("json");
            if let Ok(a) = from_value(case["input"].clone()) {
                out.push(a);
            }
        }
    }
    out
}

#[test]
fn each_role_on_the_same_actions() {
    let e = engine();
    let test = bash("cargo test --workspace");
    assert_eq!(e.evaluate(&test, "agent").decision.decision, Verdict::Allow);
    assert_eq!(
        e.evaluate(&test, "helper").decision.decision,
        Verdict::Ask,
        "the subagent has no rule of its own"
    );
    assert_eq!(e.evaluate(&test, "owner").decision.decision, Verdict::Ask);
    assert_eq!(e.evaluate(&test, "nobody").decision.decision, Verdict::Deny);
    let sneaky = bash("cargo test; rm -rf src");
    assert_ne!(
        e.evaluate(&sneaky, "agent").decision.decision,
        Verdict::Allow
    );

    let pay = from_value(json!({"tool": "pay", "kind": "payment", "input": {"amount": 10, "currency": "usd", "payee": "acme"}})).expect("adapts");
    let d = e.evaluate(&pay, "agent").decision;
    assert_eq!(d.decision, Verdict::Ask);
    assert_eq!(d.requirement.as_ref().map(|r| r.quorum), Some(2));
    assert_eq!(e.evaluate(&pay, "helper").decision.decision, Verdict::Deny);

    let status = bash("git status");
    for who in ["owner", "alice", "agent", "helper"] {
        assert_eq!(
            e.evaluate(&status, who).decision.decision,
            Verdict::Allow,
            "{who}"
        );
    }
    assert_eq!(
        e.evaluate(&status, "nobody").decision.decision,
        Verdict::Deny
    );
    assert_eq!(
        e.evaluate(&status, "stranger").decision.decision,
        Verdict::Deny,
        "unknown principal"
    );
}

#[test]
fn a_subagent_never_gets_more_than_its_parent() {
    let e = engine();
    let mut checked = 0;
    for a in corpus() {
        let parent = e.evaluate(&a, "agent").decision;
        let child = e.evaluate(&a, "helper").decision;
        assert!(
            child.decision >= parent.decision,
            "{:?}: subagent {} but agent {}",
            a.action.input,
            child.decision,
            parent.decision
        );
        if let (Some(p), Some(c)) = (&parent.requirement, &child.requirement) {
            assert!(c.quorum >= p.quorum && c.mode >= p.mode && c.timeout_s <= p.timeout_s);
        }
        // A subagent Claude Code reports at run time is bounded the same way.
        let mut dynamic = a.clone();
        dynamic.subagent = Some("task-1".into());
        let d = e.evaluate(&dynamic, "agent").decision;
        assert!(d.decision >= parent.decision);
        assert_ne!(e.evaluate(&a, "nobody").decision.decision, Verdict::Allow);
        assert_eq!(e.evaluate(&a, "nobody").decision.decision, Verdict::Deny);
        checked += 1;
    }
    assert!(checked > 250);
}

#[test]
fn only_eligible_people_approve() {
    let e = engine();
    let p = &e.policy;
    let dir = &p.directory;
    let write = from_value(json!({"tool_name": "Write", "tool_input": {"file_path": "/home/dev/project/a.txt", "content": "x"}, "cwd": "/home/dev/project"})).expect("adapts");
    let wfacts = e.analyze(&write.action);
    let shell = bash("rm -rf build");
    let sfacts = e.analyze(&shell.action);
    let roles = vec!["owner".to_string(), "collaborator".to_string()];
    let get = |n: &str| dir.get(n).cloned().expect("principal");
    assert!(p
        .may_approve(&get("alice"), &roles, Kind::FileWrite, &wfacts)
        .is_ok());
    assert!(
        p.may_approve(&get("alice"), &roles, Kind::Shell, &sfacts)
            .is_err(),
        "collaborators do not approve shell"
    );
    assert!(p
        .may_approve(&get("owner"), &roles, Kind::Shell, &sfacts)
        .is_ok());
    assert!(
        p.may_approve(&get("agent"), &roles, Kind::FileWrite, &wfacts)
            .is_err(),
        "agents never approve"
    );
    assert!(p
        .may_approve(&get("helper"), &roles, Kind::FileWrite, &wfacts)
        .is_err());
    assert!(p
        .may_approve(&get("nobody"), &roles, Kind::FileWrite, &wfacts)
        .is_err());
    let d = e.evaluate(&write, "agent").decision;
    assert_eq!(d.decision, Verdict::Ask);
    assert_eq!(d.rule(), "writes-ask-team");
}
