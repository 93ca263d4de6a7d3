//! Everything that expires, tested by moving an injected clock instead of waiting: request
//! deadlines (deny, allow and escalate on timeout), approvals that arrive too late, approval
//! tokens that outlive their five minutes, and "ask once" grants that run out.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use assent_adapters::{from_value, Adapted};
use assent_core::approval::State;
use assent_core::{Clock, ManualClock};
use assent_gateway::{AuditQuery, Gateway, Locations, OpenOptions, Outcome, Pending, WaitEnd};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

const T0: i64 = 1_900_000_000_000;

const RULES: &str = r#"
@id("frobnicate-deny-after-an-hour")
@ask
@timeout("3600")
@reason("deletes files")
permit (principal, action == Action::"request", resource == Kind::"shell")
when { context.programs.contains("frobnicate") };

@id("wibble-allow-after-a-minute")
@ask
@timeout("60")
@on_timeout("allow")
@reason("talks to the network")
permit (principal, action == Action::"request", resource == Kind::"shell")
when { context.programs.contains("wibble") };

@id("wobble-escalates")
@ask
@timeout("60")
@on_timeout("escalate:admin")
@reason("writes devices")
permit (principal, action == Action::"request", resource == Kind::"shell")
when { context.programs.contains("wobble") };

@id("npm-install-once")
@ask
@mode("once")
@reason("installs packages")
permit (principal, action == Action::"request", resource == Kind::"shell")
when { context.subcommands.contains("npm install") };
"#;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

struct Fixture {
    _dir: tempfile::TempDir,
    gw: Gateway,
    clock: Arc<ManualClock>,
    cwd: String,
}

async fn open() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let loc = Locations {
        home: d.join("home"),
        assent_home: d.join("home/.assent"),
        extra_guards: Vec::new(),
    };
    std::fs::create_dir_all(d.join("home/project")).expect("mkdir");
    let policy = d.join("home/.assent/policy");
    std::fs::create_dir_all(&policy).expect("mkdir");
    std::fs::write(policy.join("default.cedar"), assent_policy::DEFAULT_CEDAR).expect("write");
    std::fs::write(policy.join("clock.cedar"), RULES).expect("write");
    let toml = format!(
        "{}\n[[principals]]\nname = \"boss\"\nkind = \"user\"\nroles = [\"admin\"]\n",
        assent_policy::settings::DEFAULT_TOML
    );
    std::fs::write(policy.join("assent.toml"), toml).expect("write");
    let clock = Arc::new(ManualClock::new(T0));
    let gw = Gateway::open_with(
        &loc,
        None,
        OpenOptions {
            clock: Arc::clone(&clock) as Arc<dyn Clock>,
            ..OpenOptions::default()
        },
    )
    .await
    .expect("gateway opens");
    Fixture {
        cwd: d.join("home/project").display().to_string(),
        _dir: dir,
        gw,
        clock,
    }
}

impl Fixture {
    fn shell(&self, command: &str) -> Adapted {
        from_value(
            json!({"tool_name": "Bash", "tool_input": {"command": command},
            "cwd": self.cwd, "session_id": "s1"}),
        )
        .expect("adapts")
    }

    async fn ask(&self, command: &str) -> Pending {
        match self
            .gw
            .decide(&self.shell(command), "agent")
            .await
            .expect("decides")
            .outcome
        {
            Outcome::Pending(p) => p,
            other => panic!("expected a pending request for {command}, got {other:?}"),
        }
    }

    /// A wait whose own deadline is far away: it ends only through the request.
    async fn wait(&self, p: &Pending) -> WaitEnd {
        let started = Instant::now();
        let end = self
            .gw
            .wait(p, self.clock.now_ms() + 24 * 3600 * 1000)
            .await
            .expect("wait");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "no real waiting: {:?}",
            started.elapsed()
        );
        end
    }

    async fn events(&self, name: &str) -> Vec<serde_json::Value> {
        self.gw
            .audit()
            .query(&AuditQuery {
                event: Some(name.into()),
                ..AuditQuery::default()
            })
            .await
            .expect("query")
            .into_iter()
            .map(|e| serde_json::to_value(e).expect("json"))
            .collect()
    }
}

#[test]
fn an_hour_long_deadline_passes_without_waiting_an_hour() {
    rt().block_on(async {
        let f = open().await;
        let p = f.ask("frobnicate build").await;
        assert_eq!(
            p.deadline_ms,
            T0 + 3_600_000,
            "deadline by the injected clock"
        );
        f.clock.advance(Duration::from_secs(3599));
        assert_eq!(f.gw.expire_due().await.expect("expire"), 0, "not due yet");
        f.clock.advance(Duration::from_secs(1));
        match f.wait(&p).await {
            WaitEnd::Expired(_) => {}
            other => panic!("expected expiry, got {other:?}"),
        }
        let expiry = f.events("expiry").await;
        assert_eq!(expiry.len(), 1);
        assert_eq!(
            expiry[0]["time_ms"],
            json!(T0 + 3_600_000),
            "event time by the clock"
        );
        let v =
            f.gw.request_view(p.request_id)
                .await
                .expect("view")
                .expect("some");
        assert_eq!(v.state, State::Expired);
    });
}

#[test]
fn an_approval_one_millisecond_late_is_refused() {
    rt().block_on(async {
        let f = open().await;
        let early = f.ask("frobnicate a").await;
        let late = f.ask("frobnicate b").await;
        f.clock.advance(Duration::from_millis(3_599_999));
        f.gw.approve(
            early.request_id,
            &f.gw.local_identity().expect("owner"),
            None,
            None,
        )
        .await
        .expect("in time");
        f.clock.advance(Duration::from_millis(1));
        let refused =
            f.gw.approve(
                late.request_id,
                &f.gw.local_identity().expect("owner"),
                None,
                None,
            )
            .await;
        assert!(refused.is_err(), "too late: {refused:?}");
        assert_eq!(f.wait(&early).await, WaitEnd::Approved);
        assert!(matches!(f.wait(&late).await, WaitEnd::Expired(_)));
    });
}

#[test]
fn on_timeout_allow_and_escalate_follow_the_clock() {
    rt().block_on(async {
        let f = open().await;
        let curl = f.ask("wibble example.com").await;
        let dd = f.ask("wobble /tmp/x").await;
        f.clock.advance(Duration::from_secs(60));
        assert_eq!(f.gw.expire_due().await.expect("expire"), 2);
        assert_eq!(f.wait(&curl).await, WaitEnd::Approved, "allowed on timeout");
        let v =
            f.gw.request_view(dd.request_id)
                .await
                .expect("v")
                .expect("some");
        assert_eq!(v.state, State::Pending, "escalated, still pending");
        assert_eq!(
            v.deadline_ms,
            T0 + 120_000,
            "a fresh timeout from the escalation"
        );
        assert_eq!(v.requirement.approvers, vec!["admin".to_string()]);
        assert_eq!(f.events("escalation").await.len(), 1);
        f.clock.advance(Duration::from_secs(60));
        assert!(
            matches!(f.wait(&dd).await, WaitEnd::Expired(_)),
            "then denied"
        );
    });
}

#[test]
fn an_approval_token_lasts_five_minutes() {
    rt().block_on(async {
        let f = open().await;
        let p = f.ask("frobnicate c").await;
        f.gw.approve(
            p.request_id,
            &f.gw.local_identity().expect("owner"),
            None,
            None,
        )
        .await
        .expect("approve");
        f.clock.advance(Duration::from_secs(5 * 60));
        match f.wait(&p).await {
            WaitEnd::TokenRefused(_) => {}
            other => panic!("a token older than five minutes must not redeem: {other:?}"),
        }
        assert_eq!(f.events("token.refused").await.len(), 1);
    });
}

#[test]
fn an_ask_once_grant_runs_out_with_the_clock() {
    rt().block_on(async {
        let f = open().await;
        let p = f.ask("npm install left-pad").await;
        f.gw.approve(
            p.request_id,
            &f.gw.local_identity().expect("owner"),
            None,
            None,
        )
        .await
        .expect("approve");
        assert_eq!(f.wait(&p).await, WaitEnd::Approved);
        let again = f.shell("npm install left-pad");
        f.clock.advance(Duration::from_secs(3599));
        let r = f.gw.decide(&again, "agent").await.expect("decide");
        assert!(
            matches!(r.outcome, Outcome::Allowed { grant: Some(_) }),
            "within the grant's hour: {:?}",
            r.outcome
        );
        assert_eq!(f.gw.grants(false).await.expect("grants").len(), 1);
        f.clock.advance(Duration::from_secs(1));
        assert!(f.gw.grants(false).await.expect("grants").is_empty());
        let r = f.gw.decide(&again, "agent").await.expect("decide");
        assert!(
            matches!(r.outcome, Outcome::Pending(_)),
            "after the hour it asks again: {:?}",
            r.outcome
        );
    });
}
