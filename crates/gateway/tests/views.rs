//! The gateway's read views (what the approver CLI and the server show): pending list,
//! request view, grants, audit query, export and verify, on a real store in a temporary home.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use assent_adapters::{from_value, Adapted};
use assent_core::approval::State;
use assent_gateway::{AuditQuery, ExportFormat, Gateway, GrantScope, Locations, Outcome, Pending};
use assent_store::EventKind;
use serde_json::json;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn hook(tool: &str, input: serde_json::Value, cwd: &str) -> Adapted {
    from_value(json!({"tool_name": tool, "tool_input": input, "cwd": cwd, "session_id": "s1"}))
        .expect("adapts")
}

async fn open(dir: &std::path::Path) -> Gateway {
    let loc = Locations {
        home: dir.join("home"),
        assent_home: dir.join("home/.assent"),
        extra_guards: Vec::new(),
    };
    std::fs::create_dir_all(dir.join("home/project")).expect("mkdir");
    let policy = dir.join("home/.assent/policy");
    std::fs::create_dir_all(&policy).expect("mkdir");
    std::fs::write(policy.join("default.cedar"), assent_policy::DEFAULT_CEDAR).expect("write");
    std::fs::write(
        policy.join("assent.toml"),
        assent_policy::settings::DEFAULT_TOML,
    )
    .expect("write");
    // A rule under which an approval may leave a grant.
    std::fs::write(
        policy.join("once.cedar"),
        r#"
@id("npm-install-once")
@ask
@mode("once")
@reason("installs packages")
permit (principal, action == Action::"request", resource == Kind::"shell")
when { context.subcommands.contains("npm install") };
"#,
    )
    .expect("write");
    Gateway::open(&loc, None).await.expect("gateway opens")
}

async fn ask(gw: &Gateway, a: &Adapted) -> Pending {
    match gw.decide(a, "agent").await.expect("decides").outcome {
        Outcome::Pending(p) => p,
        other => panic!("expected a pending request, got {other:?}"),
    }
}

#[test]
fn views_show_what_was_asked_and_what_happened() {
    rt().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let gw = open(dir.path()).await;
        let cwd = dir.path().join("home/project").display().to_string();
        let rm = hook("Bash", json!({"command": "rm -rf target"}), &cwd);
        let p = ask(&gw, &rm).await;

        let pending = gw.pending().await.expect("pending");
        assert_eq!(pending.len(), 1);
        let s = &pending[0];
        assert_eq!((s.id, s.state), (p.request_id, State::Pending));
        assert_eq!(s.principal, "agent");
        assert_eq!(s.summary, "rm -rf target");
        assert_eq!(s.approvals.len(), 0);
        assert!(s.quorum >= 1);

        let v = gw
            .request_view(p.request_id)
            .await
            .expect("view")
            .expect("exists");
        assert_eq!(v.action.input["command"], "rm -rf target");
        assert_eq!(v.chain.first().map(String::as_str), Some("agent"));
        assert_eq!(v.diff, None);
        assert!(v.explanation.is_some());
        assert!(gw
            .request_view(p.request_id + 100)
            .await
            .expect("view")
            .is_none());

        // The JSON the server serves has the same fields.
        let j = serde_json::to_value(&v).expect("serialises");
        assert_eq!(j["state"], "pending");
        assert_eq!(j["action"]["kind"], "shell");

        gw.deny(
            p.request_id,
            &gw.local_identity().expect("owner"),
            "not now",
        )
        .await
        .expect("denies");
        let v = gw
            .request_view(p.request_id)
            .await
            .expect("view")
            .expect("exists");
        assert_eq!(v.state, State::Denied);
        assert_eq!(v.answers.len(), 1);
        assert_eq!(v.answers[0].reason.as_deref(), Some("not now"));
        assert!(gw.pending().await.expect("pending").is_empty());
        let all = gw.requests(None, 10).await.expect("all");
        assert_eq!(all.len(), 1);

        // The audit views see the same story, in order, as one chain.
        let events = gw
            .audit()
            .query(&AuditQuery {
                request_id: Some(p.request_id),
                ..Default::default()
            })
            .await
            .expect("query");
        let kinds: Vec<EventKind> = events.iter().map(|e| e.event.clone()).collect();
        assert_eq!(
            kinds,
            vec![EventKind::Request, EventKind::Decision, EventKind::Denial]
        );
        assert_eq!(events[2].approver.as_deref(), Some("owner"));
        assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
        let verify = gw.audit().verify().await.expect("verify");
        assert!(verify.ok, "{verify:?}");
        assert!(verify.events >= 3);

        let mut csv = Vec::new();
        gw.audit()
            .export(&AuditQuery::default(), ExportFormat::Csv, &mut csv)
            .await
            .expect("csv");
        let csv = String::from_utf8(csv).expect("utf-8");
        let mut lines = csv.lines();
        assert!(lines.next().expect("header").starts_with("\"seq\"") || csv.starts_with("seq,"));
        assert_eq!(lines.count() as u64, verify.events);
        let mut ocsf = Vec::new();
        gw.audit()
            .export(
                &AuditQuery {
                    limit: Some(2),
                    ..Default::default()
                },
                ExportFormat::Ocsf,
                &mut ocsf,
            )
            .await
            .expect("ocsf");
        let ocsf = String::from_utf8(ocsf).expect("utf-8");
        assert_eq!(ocsf.lines().count(), 2, "limit is honoured");
        for l in ocsf.lines() {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            assert_eq!(v["class_uid"], 6003);
        }
    });
}

#[test]
fn grants_and_file_changes_are_visible() {
    rt().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let gw = open(dir.path()).await;
        let cwd = dir.path().join("home/project").display().to_string();
        let npm = hook("Bash", json!({"command": "npm install left-pad"}), &cwd);
        let p = ask(&gw, &npm).await;
        gw.approve(
            p.request_id,
            &gw.local_identity().expect("owner"),
            Some("fine"),
            Some(GrantScope::For(60_000)),
        )
            .await
            .expect("approves with a grant");
        let grants = gw.grants(false).await.expect("grants");
        assert_eq!(grants.len(), 1);
        assert_eq!(grants[0].request_id, p.request_id);
        assert_eq!(grants[0].principal, "agent");
        gw.revoke(grants[0].id, &gw.local_identity().expect("owner"))
            .await.expect("revokes");
        assert!(gw.grants(false).await.expect("grants").is_empty());
        assert_eq!(gw.grants(true).await.expect("grants").len(), 1);

        // An edit outside the workspace asks; its view carries the diff against the file.
        std::fs::write(dir.path().join("home/.bashrc"), "x\na\ny\n").expect("write");
        let edit = hook(
            "Edit",
            json!({"file_path": dir.path().join("home/.bashrc").display().to_string(), "old_string": "a", "new_string": "b"}),
            &cwd,
        );
        let p = ask(&gw, &edit).await;
        let v = gw.request_view(p.request_id).await.expect("view").expect("exists");
        let d = v.diff.expect("a diff");
        assert_eq!((d.added, d.removed), (1, 1));
        assert!(d.to_text().contains("-a") && d.to_text().contains("+b"), "{}", d.to_text());
    });
}
