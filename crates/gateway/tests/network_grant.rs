//! Which allowed commands get the network in the sandbox: only those a permit allowed *by*
//! reading the network facts (`context.network`, `context.hosts`). A redirection to
//! `/dev/tcp/HOST/PORT` is a network fact with its host, judged like `curl HOST`: the shipped
//! policy asks, a policy that allows every shell command allows it without the network, and a
//! policy that allows that host allows the network.

// Test code reports failure by panicking.
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use assent_adapters::{from_value, Adapted};
use assent_core::Verdict;
use assent_gateway::{Engine, Locations};
use assent_policy::{Policy, PolicySource};
use serde_json::json;
use std::path::PathBuf;

const SETTINGS: &str = r#"
[local]
agent = "agent"
approver = "owner"

[[principals]]
name = "owner"
kind = "user"
roles = ["owner"]

[[principals]]
name = "agent"
kind = "agent"
roles = ["agent"]
"#;

const OPEN: &str = r#"
@id("open-shell")
permit (principal, action == Action::"request", resource == Kind::"shell");
"#;

const HOST: &str = r#"
@id("example-host")
permit (principal, action == Action::"request", resource == Kind::"shell")
when { context.network && context.hosts.contains("example.com") };
"#;

fn engine(extra: Option<&str>) -> Engine {
    let mut source = PolicySource::default_policy();
    if let Some(text) = extra {
        source.cedar = vec![("extra.cedar".into(), text.into())];
        source.settings = ("assent.toml".into(), SETTINGS.into());
    }
    let policy = Policy::load(source, 1).expect("policy loads");
    let loc = Locations {
        home: PathBuf::from("/home/dev"),
        assent_home: PathBuf::from("/home/dev/.assent"),
        extra_guards: Vec::new(),
    };
    Engine::new(policy, &loc).expect("engine")
}

fn bash(cmd: &str) -> Adapted {
    from_value(json!({"tool_name": "Bash", "tool_input": {"command": cmd},
        "cwd": "/home/dev/project", "session_id": "s"}))
    .expect("adapts")
}

const SOCKETS: &[&str] = &[
    "cat < /dev/tcp/example.com/80",
    "exec 3<>/dev/tcp/example.com/80",
    "echo hi > /dev/udp/example.com/53",
];

#[test]
fn socket_redirection_is_asked_under_the_shipped_policy() {
    let e = engine(None);
    for cmd in SOCKETS {
        let ev = e.evaluate(&bash(cmd), "agent");
        assert!(ev.facts.network, "{cmd}");
        assert!(ev.facts.hosts.contains("example.com"), "{cmd}");
        assert_ne!(ev.decision.decision, Verdict::Allow, "{cmd}");
        assert!(!e.policy.grants_network(&ev.decision), "{cmd}");
    }
    // Its read-only neighbour stays allowed, and gets no network either.
    let ev = e.evaluate(&bash("cat < README.md"), "agent");
    assert_eq!(ev.decision.decision, Verdict::Allow);
    assert!(!ev.facts.network);
    assert!(!e.policy.grants_network(&ev.decision));
}

#[test]
fn allowing_every_shell_command_is_not_allowing_the_network() {
    let e = engine(Some(OPEN));
    for cmd in SOCKETS.iter().chain(&["curl https://example.com/"]) {
        let ev = e.evaluate(&bash(cmd), "agent");
        assert_eq!(ev.decision.decision, Verdict::Allow, "{cmd}");
        assert!(ev.facts.network, "{cmd}");
        assert!(!e.policy.grants_network(&ev.decision), "{cmd}");
    }
}

#[test]
fn a_rule_about_the_host_grants_the_network() {
    let e = engine(Some(HOST));
    for cmd in SOCKETS.iter().chain(&["curl https://example.com/"]) {
        let ev = e.evaluate(&bash(cmd), "agent");
        assert_eq!(
            ev.decision.decision,
            Verdict::Allow,
            "{cmd}: {:?}",
            ev.decision
        );
        assert!(e.policy.grants_network(&ev.decision), "{cmd}");
    }
    // Another host is not allowed by that rule (no rule matches: the default answer).
    for cmd in [
        "cat < /dev/tcp/evil.example/80",
        "curl https://evil.example/",
    ] {
        let ev = e.evaluate(&bash(cmd), "agent");
        assert_ne!(ev.decision.decision, Verdict::Allow, "{cmd}");
        assert!(!e.policy.grants_network(&ev.decision), "{cmd}");
    }
}
