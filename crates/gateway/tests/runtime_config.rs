//! Runtime configuration, tried the way it breaks: a file edit must be in force for the next
//! decision within a second with no restart; a broken edit must change nothing and say why;
//! two activations based on the same version must not both win; a decision racing a swap must
//! be decided wholly by the version it records; every change is audited with who and which
//! version.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use assent_adapters::{from_value, Adapted};
use assent_core::Verdict;
use assent_gateway::{AuditQuery, ConfigError, Gateway, Locations, PolicyFiles, Reload, Via};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const DENY_TOUCH: &str = r#"
@id("no-touch")
@reason("touch is not wanted here")
forbid (principal, action == Action::"request", resource == Kind::"shell")
when { context.programs.contains("touch") };
"#;

const ALLOW_TOUCH: &str = r#"
@id("touch-ok")
permit (principal, action == Action::"request", resource == Kind::"shell")
when { context.programs.contains("touch") };
"#;

fn settings() -> String {
    assent_policy::settings::DEFAULT_TOML.to_string()
}

struct Home {
    _dir: tempfile::TempDir,
    loc: Locations,
    work: PathBuf,
}

impl Home {
    fn new(rules: &str) -> Home {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = std::fs::canonicalize(dir.path()).expect("canonical");
        let assent_home = root.join("assent");
        let policy = assent_home.join("policy");
        std::fs::create_dir_all(&policy).expect("policy dir");
        std::fs::write(policy.join("rules.cedar"), rules).expect("rules");
        std::fs::write(policy.join("assent.toml"), settings()).expect("settings");
        let work = root.join("work");
        std::fs::create_dir_all(&work).expect("work");
        Home {
            loc: Locations {
                home: root.join("home"),
                assent_home,
                extra_guards: Vec::new(),
            },
            work,
            _dir: dir,
        }
    }

    fn rules_path(&self) -> PathBuf {
        self.loc.assent_home.join("policy/rules.cedar")
    }

    fn touch(&self) -> Adapted {
        from_value(json!({"tool_name": "Bash", "tool_input": {"command": "touch notes.txt"}, "cwd": self.work.display().to_string(), "session_id": "s"}))
            .expect("adapts")
    }
}

fn files(rules: &str) -> PolicyFiles {
    [
        ("rules.cedar".to_string(), rules.to_string()),
        ("assent.toml".to_string(), settings()),
    ]
    .into_iter()
    .collect()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("runtime")
}

async fn events(gw: &Gateway, name: &str) -> Vec<Value> {
    let rows = gw
        .audit()
        .query(&AuditQuery {
            event: Some(name.into()),
            ..Default::default()
        })
        .await
        .expect("query");
    rows.into_iter()
        .map(|e| serde_json::to_value(e).expect("json"))
        .collect()
}

/// Replaces a file the way an editor that writes in place does (same inode, new mtime).
fn edit(path: &Path, text: &str) {
    std::fs::write(path, text).expect("edit");
}

#[test]
fn a_file_edit_decides_the_next_request_within_a_second_without_restart() {
    let h = Home::new(DENY_TOUCH);
    rt().block_on(async {
        let gw = Arc::new(Gateway::open_serving(&h.loc, None).await.expect("open"));
        let watcher = tokio::spawn({
            let gw = Arc::clone(&gw);
            async move { gw.watch_policy(assent_gateway::WATCH_PERIOD).await }
        });
        let first = gw.decide(&h.touch(), "agent").await.expect("decide");
        assert_eq!(first.evaluation.decision.decision, Verdict::Deny);
        let v1 = first.evaluation.decision.policy_version;

        edit(&h.rules_path(), ALLOW_TOUCH);
        let edited = Instant::now();
        let (verdict, version) = loop {
            let r = gw.decide(&h.touch(), "agent").await.expect("decide");
            let d = &r.evaluation.decision;
            if d.decision != Verdict::Deny || edited.elapsed() > Duration::from_secs(5) {
                break (d.decision, d.policy_version);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let took = edited.elapsed();
        assert_eq!(verdict, Verdict::Allow, "the edit never took effect");
        assert!(
            took < Duration::from_secs(1),
            "the edit took {took:?} to take effect"
        );
        assert!(version > v1, "the new decision records the new version");
        let active = gw.active_policy().await.expect("active");
        assert_eq!(active.info.version as u64, version);
        assert_eq!(active.info.via, "files");
        assert_eq!(active.files["rules.cedar"], ALLOW_TOUCH);
        let loaded = events(&gw, "policy.loaded").await;
        assert!(
            loaded
                .iter()
                .any(|e| e["policy_version"] == json!(version) && e["principal"] == "files"),
            "the load is audited with who and which version: {loaded:?}"
        );
        watcher.abort();
    });
}

#[test]
fn a_broken_edit_changes_nothing_and_the_error_is_visible_with_file_and_line() {
    let h = Home::new(DENY_TOUCH);
    rt().block_on(async {
        let gw = Gateway::open_serving(&h.loc, None).await.expect("open");
        let v1 = gw.policy().version;
        // A valid rule followed by a broken one: rejected whole, not in part.
        edit(
            &h.rules_path(),
            &format!("{ALLOW_TOUCH}\npermit (principal, action, resource) when {{ context.nope"),
        );
        let mut outcome = Reload::Unchanged;
        for _ in 0..10 {
            outcome = gw.reload_policy_files().await.expect("reload");
            if matches!(outcome, Reload::Rejected(_)) {
                break;
            }
        }
        let Reload::Rejected(r) = outcome else {
            panic!("the broken edit was not rejected: {outcome:?}")
        };
        assert_eq!(r.by, "files");
        assert!(
            r.problems
                .iter()
                .any(|p| p.file == "rules.cedar" && p.line.is_some()),
            "the error names the file and line: {r:?}"
        );
        // Nothing changed: the old version decides, and says so.
        let d = gw.decide(&h.touch(), "agent").await.expect("decide");
        assert_eq!(d.evaluation.decision.decision, Verdict::Deny);
        assert_eq!(d.evaluation.decision.policy_version, v1);
        let active = gw.active_policy().await.expect("active");
        assert_eq!(active.info.version as u64, v1);
        assert_eq!(active.last_rejected.as_ref(), Some(&r));
        // Audited once, however often the watcher looks at the same broken text.
        for _ in 0..5 {
            assert_eq!(
                gw.reload_policy_files().await.expect("reload"),
                Reload::StillRejected
            );
        }
        let rejected = events(&gw, "policy.rejected").await;
        assert_eq!(rejected.len(), 1, "{rejected:?}");
        assert_eq!(rejected[0]["policy_version"], json!(v1));
        // A restarted server keeps serving the last good version and shows the refusal.
        drop(gw);
        assert!(
            Gateway::open(&h.loc, None).await.is_err(),
            "a one-shot front end refuses a broken policy"
        );
        let gw = Gateway::open_serving(&h.loc, None).await.expect("reopen");
        assert_eq!(gw.policy().version, v1);
        let active = gw.active_policy().await.expect("active");
        assert!(active.last_rejected.is_some());
        // Fixing the file clears it and takes effect.
        edit(&h.rules_path(), ALLOW_TOUCH);
        let mut loaded = None;
        for _ in 0..10 {
            if let Reload::Loaded(v) = gw.reload_policy_files().await.expect("reload") {
                loaded = Some(v);
                break;
            }
        }
        let v = loaded.expect("the fixed file loads");
        assert!(v as u64 > v1);
        assert!(gw
            .active_policy()
            .await
            .expect("active")
            .last_rejected
            .is_none());
    });
}

#[test]
fn a_file_caught_half_written_is_not_judged() {
    let h = Home::new(DENY_TOUCH);
    rt().block_on(async {
        let gw = Gateway::open_serving(&h.loc, None).await.expect("open");
        // Each look sees a different text (an editor mid-save): nothing is loaded or refused.
        for i in 0..5 {
            edit(&h.rules_path(), &format!("{ALLOW_TOUCH}\n// {i}\npermit ("));
            assert_eq!(
                gw.reload_policy_files().await.expect("reload"),
                Reload::Settling
            );
        }
        assert!(events(&gw, "policy.rejected").await.is_empty());
    });
}

#[test]
fn two_activations_from_the_same_version_one_wins_one_is_stale_both_audited() {
    let h = Home::new(DENY_TOUCH);
    rt().block_on(async {
        // Two gateways on one home: two server processes, or a server and the CLI.
        let a = Arc::new(Gateway::open_serving(&h.loc, None).await.expect("open a"));
        let b = Arc::new(Gateway::open_serving(&h.loc, None).await.expect("open b"));
        let v = a.policy().version as i64;
        assert_eq!(v, b.policy().version as i64);
        for round in 0..4 {
            // The newest recorded version (each gateway's own view lags until its watcher looks).
            let v = newest(&a).await;
            let fa = files(&format!("{ALLOW_TOUCH}// a{round}\n"));
            let fb = files(&format!("{DENY_TOUCH}// b{round}\n"));
            let (ra, rb) = tokio::join!(
                {
                    let a = Arc::clone(&a);
                    async move { a.activate_policy(&fa, v, "alice", Via::Api, None).await }
                },
                {
                    let b = Arc::clone(&b);
                    async move { b.activate_policy(&fb, v, "bob", Via::Api, None).await }
                }
            );
            let (won, lost, winner) = match (ra, rb) {
                (Ok(w), Err(l)) => (w, l, "alice"),
                (Err(l), Ok(w)) => (w, l, "bob"),
                (ra, rb) => panic!("exactly one must win: {ra:?} / {rb:?}"),
            };
            assert_eq!(won.parent, Some(v));
            assert_eq!(won.activated_by, winner);
            assert!(
                matches!(lost, ConfigError::Stale { expected, current } if expected == v && current == won.version),
                "the loser is told it is stale: {lost:?}"
            );
            // The files on disk are the winner's.
            let on_disk = std::fs::read_to_string(h.rules_path()).expect("read");
            assert!(on_disk.ends_with(&format!("// {}{round}\n", &winner[..1])));
        }
        let activated = events(&a, "policy.activated").await;
        let stale: Vec<Value> = events(&a, "policy.rejected")
            .await
            .into_iter()
            .filter(|e| e["reason"].as_str().unwrap_or("").starts_with("stale"))
            .collect();
        assert_eq!(activated.len(), 4, "{activated:?}");
        assert_eq!(stale.len(), 4, "{stale:?}");
        for e in activated.iter().chain(stale.iter()) {
            assert!(e["principal"] == "alice" || e["principal"] == "bob");
            assert!(e["policy_version"].as_i64().is_some());
        }
        // The same race inside one process.
        let v = newest(&a).await;
        let (f1, f2) = (files(ALLOW_TOUCH), files(DENY_TOUCH));
        let (r1, r2) = tokio::join!(
            a.activate_policy(&f1, v, "alice", Via::Api, None),
            a.activate_policy(&f2, v, "bob", Via::Api, None)
        );
        assert!(
            r1.is_ok() != r2.is_ok(),
            "exactly one wins: {r1:?} / {r2:?}"
        );
        assert!(assert_stale(r1.err().or(r2.err())));
        let report = a.audit().verify().await.expect("verify");
        assert!(report.ok, "the audit chain holds: {report:?}");
    });
}

async fn newest(gw: &Gateway) -> i64 {
    gw.policy_history()
        .await
        .expect("history")
        .last()
        .expect("a version")
        .version
}

fn assert_stale(e: Option<ConfigError>) -> bool {
    matches!(e, Some(ConfigError::Stale { .. }))
}

#[test]
fn a_decision_racing_a_swap_is_decided_wholly_by_the_version_it_records() {
    let h = Home::new(DENY_TOUCH);
    rt().block_on(async {
        let gw = Arc::new(Gateway::open_serving(&h.loc, None).await.expect("open"));
        let first = gw.policy().version as i64;
        let mut verdicts = std::collections::HashMap::new();
        verdicts.insert(first as u64, Verdict::Deny);
        let deciders: Vec<_> = (0..4)
            .map(|_| {
                let gw = Arc::clone(&gw);
                let action = h.touch();
                tokio::spawn(async move {
                    let mut seen = Vec::new();
                    for _ in 0..40 {
                        let r = gw.decide(&action, "agent").await.expect("decide");
                        seen.push((
                            r.evaluation.decision.policy_version,
                            r.evaluation.decision.decision,
                        ));
                    }
                    seen
                })
            })
            .collect();
        let mut expected = first;
        for i in 0..12 {
            let (rules, verdict) = if i % 2 == 0 {
                (ALLOW_TOUCH, Verdict::Allow)
            } else {
                (DENY_TOUCH, Verdict::Deny)
            };
            let v = gw
                .activate_policy(&files(rules), expected, "owner", Via::Api, None)
                .await
                .expect("activate");
            verdicts.insert(v.version as u64, verdict);
            expected = v.version;
        }
        let mut versions = std::collections::BTreeSet::new();
        for d in deciders {
            for (version, verdict) in d.await.expect("decider") {
                versions.insert(version);
                assert_eq!(
                    Some(&verdict),
                    verdicts.get(&version),
                    "version {version} decided {verdict:?}"
                );
            }
        }
        assert!(versions.len() > 1, "the swaps raced the decisions");
        // The audit agrees: each decision event names the version that decided it.
        for e in events(&gw, "decision").await {
            let v = e["policy_version"].as_u64().expect("version");
            let want = verdicts.get(&v).expect("known version");
            let got = e["decision"].as_str().expect("decision");
            assert_eq!(got, want.as_str(), "{e}");
        }
    });
}

#[test]
fn history_diff_and_rollback_make_a_new_version_on_disk_and_in_the_store() {
    let h = Home::new(DENY_TOUCH);
    rt().block_on(async {
        let gw = Gateway::open_serving(&h.loc, None).await.expect("open");
        let v1 = gw.policy().version as i64;
        let v2 = gw
            .activate_policy(&files(ALLOW_TOUCH), v1, "owner", Via::Cli, Some("try it"))
            .await
            .expect("activate")
            .version;
        let diff = gw.policy_diff(v1, v2).await.expect("diff");
        let text = diff.unified();
        assert!(text.contains(&format!("--- v{v1}/rules.cedar")), "{text}");
        assert!(text.contains("-forbid ("), "{text}");
        assert!(text.contains("+permit ("), "{text}");
        assert!(
            !text.contains("assent.toml"),
            "an unchanged file is not in the diff: {text}"
        );
        // A stale rollback is refused.
        assert!(matches!(
            gw.rollback_policy(v1, v1, "owner").await,
            Err(ConfigError::Stale { .. })
        ));
        assert!(matches!(
            gw.rollback_policy(999, v2, "owner").await,
            Err(ConfigError::NoSuchVersion(999))
        ));
        let v3 = gw.rollback_policy(v1, v2, "owner").await.expect("rollback");
        assert_eq!(v3.parent, Some(v2));
        assert_eq!(v3.via, "rollback");
        assert_eq!(
            std::fs::read_to_string(h.rules_path()).expect("read"),
            DENY_TOUCH
        );
        let d = gw.decide(&h.touch(), "agent").await.expect("decide");
        assert_eq!(d.evaluation.decision.decision, Verdict::Deny);
        assert_eq!(d.evaluation.decision.policy_version as i64, v3.version);
        assert!(gw
            .policy_diff(v1, v3.version)
            .await
            .expect("diff")
            .unified()
            .is_empty());
        let history = gw.policy_history().await.expect("history");
        let got: Vec<(i64, &str, &str)> = history
            .iter()
            .map(|v| (v.version, v.via.as_str(), v.activated_by.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (v1, "files", "files"),
                (v2, "cli", "owner"),
                (v3.version, "rollback", "owner")
            ]
        );
        // The files written by the activation are not mistaken for an edit.
        for _ in 0..3 {
            assert_eq!(
                gw.reload_policy_files().await.expect("reload"),
                Reload::Unchanged
            );
        }
        let rolled = events(&gw, "policy.rolled_back").await;
        assert_eq!(rolled.len(), 1);
        assert_eq!(rolled[0]["principal"], "owner");
        assert_eq!(rolled[0]["policy_version"], json!(v3.version));
        assert_eq!(rolled[0]["detail"]["rollback_to"], json!(v1));
    });
}

#[test]
fn an_invalid_candidate_is_refused_whole_with_file_and_line_and_nothing_changes() {
    let h = Home::new(DENY_TOUCH);
    rt().block_on(async {
        let gw = Gateway::open_serving(&h.loc, None).await.expect("open");
        let v1 = gw.policy().version as i64;
        let broken = files(&format!("{ALLOW_TOUCH}\nforbid (principal, action, resource) when {{ context.no_such_fact }};\n"));
        let check = gw.validate_policy(&broken);
        assert!(!check.valid);
        assert!(
            check
                .errors
                .iter()
                .any(|p| p.file == "rules.cedar" && p.line == Some(6)),
            "{check:?}"
        );
        let mut bad_toml = files(ALLOW_TOUCH);
        bad_toml.insert("assent.toml".into(), "[defaults\nquorum = 1\n".into());
        let check = gw.validate_policy(&bad_toml);
        assert!(
            check.errors.iter().any(|p| p.file == "assent.toml"),
            "{check:?}"
        );
        assert!(matches!(
            gw.activate_policy(&broken, v1, "owner", Via::Api, None)
                .await,
            Err(ConfigError::Invalid(_))
        ));
        // Names that could leave the directory or hide from it are refused.
        for name in [
            "../evil.cedar",
            "sub/rules.cedar",
            ".hidden.cedar",
            "rules.txt",
            ".cedar",
            "",
        ] {
            let mut f = files(ALLOW_TOUCH);
            f.insert(name.into(), ALLOW_TOUCH.into());
            let check = gw.validate_policy(&f);
            assert!(!check.valid, "`{name}` accepted");
            assert!(matches!(
                gw.activate_policy(&f, v1, "owner", Via::Api, None).await,
                Err(ConfigError::Invalid(_))
            ));
        }
        assert!(!h.loc.assent_home.join("evil.cedar").exists());
        assert!(gw.validate_policy(&files(ALLOW_TOUCH)).valid);
        // Nothing changed.
        assert_eq!(gw.policy().version as i64, v1);
        assert_eq!(
            std::fs::read_to_string(h.rules_path()).expect("read"),
            DENY_TOUCH
        );
        assert_eq!(gw.policy_history().await.expect("history").len(), 1);
        let rejected = events(&gw, "policy.rejected").await;
        assert_eq!(rejected.len(), 7, "each refused activation is audited");
        assert!(rejected.iter().all(|e| e["principal"] == "owner"));
    });
}
