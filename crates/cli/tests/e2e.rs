//! End to end with real processes: hooks that wait, approvers in other processes, timeouts,
//! quorum, fail-closed paths, secrets, and the audit export that records all of it.

// Test code reports failure by panicking: helpers outside `#[test]` functions (fixtures,
// runners) may expect, index and panic too.
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_assent");

struct Home {
    _dir: tempfile::TempDir,
    home: PathBuf,
    user_home: PathBuf,
    ws: PathBuf,
}

const EXTRA_POLICY: &str = r#"
@id("quick-timeout")
@ask
@timeout("1")
@reason("test rule with a one-second timeout")
permit (principal, action == Action::"request", resource == Kind::"shell")
when { context.subcommands.contains("touch quick") };

@id("npm-install-once")
@ask
@mode("once")
@reason("installs packages")
permit (principal, action == Action::"request", resource == Kind::"shell")
when { context.subcommands.contains("npm install") };
"#;

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
name = "agent"
kind = "agent"
roles = ["agent"]
"#;

fn setup() -> Home {
    let dir = tempfile::tempdir().expect("tempdir");
    let user_home = dir.path().join("user");
    let home = user_home.join(".assent");
    let ws = user_home.join("project");
    std::fs::create_dir_all(home.join("policy")).expect("mkdir");
    std::fs::create_dir_all(&ws).expect("mkdir");
    std::fs::write(ws.join("README.md"), "hello\n").expect("write");
    std::fs::write(
        home.join("policy/default.cedar"),
        assent_policy::DEFAULT_CEDAR,
    )
    .expect("write");
    std::fs::write(home.join("policy/extra.cedar"), EXTRA_POLICY).expect("write");
    std::fs::write(home.join("policy/assent.toml"), SETTINGS).expect("write");
    Home {
        _dir: dir,
        home,
        user_home,
        ws,
    }
}

impl Home {
    fn cmd(&self) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--home")
            .arg(&self.home)
            .env("HOME", &self.user_home)
            .env_remove("ASSENT_HOME")
            .env_remove("ASSENT_TOKEN");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run assent")
    }

    fn hook_input(&self, tool: &str, input: Value) -> String {
        json!({"hook_event_name": "PreToolUse", "session_id": "e2e", "cwd": self.ws.display().to_string(), "tool_name": tool, "tool_input": input}).to_string()
    }

    fn spawn_hook(&self, input: &str, extra: &[&str]) -> Child {
        let mut c = self.cmd();
        c.args(["hook", "claude-code"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn hook");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
        child
    }

    fn hook(&self, input: &str) -> (Value, Output) {
        let out = self
            .spawn_hook(input, &["--max-wait", "5"])
            .wait_with_output()
            .expect("hook");
        (parse_answer(&out), out)
    }

    fn pending(&self) -> Vec<Value> {
        let out = self.run(&["pending", "--format", "json"]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    fn wait_pending(&self, n: usize) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let p = self.pending();
            if p.len() >= n {
                return p;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "request never appeared"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn export(&self) -> Vec<Value> {
        let out = self.run(&["audit", "export", "--format", "jsonl"]);
        assert!(
            out.status.success(),
            "export failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("jsonl"))
            .collect()
    }
}

/// The hook's stdout must be exactly one JSON answer.
fn parse_answer(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "hook stdout must be one JSON line, got {text:?} (stderr {})",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(lines[0]).expect("hook answer is JSON");
    assert_eq!(v["hookSpecificOutput"]["hookEventName"], "PreToolUse");
    v
}

fn decision(v: &Value) -> &str {
    v["hookSpecificOutput"]["permissionDecision"]
        .as_str()
        .unwrap_or("")
}

fn id_of(p: &Value) -> String {
    p["id"].as_i64().expect("id").to_string()
}

#[test]
fn approve_releases_deny_blocks_timeout_denies() {
    let h = setup();
    // Allow and deny paths answer at once.
    let (v, _) = h.hook(&h.hook_input("Bash", json!({"command": "git status"})));
    assert_eq!(decision(&v), "allow");
    let (v, _) = h.hook(&h.hook_input("Bash", json!({"command": "cat ~/.ssh/id_rsa"})));
    assert_eq!(decision(&v), "deny");

    // ask → approve from another process releases the hook with allow.
    let child = h.spawn_hook(
        &h.hook_input("Bash", json!({"command": "rm -rf build"})),
        &["--max-wait", "20"],
    );
    let p = h.wait_pending(1);
    let approve = h.run(&["approve", &id_of(&p[0]), "--reason", "ok"]);
    assert!(
        approve.status.success(),
        "{}",
        String::from_utf8_lossy(&approve.stderr)
    );
    let approved_at = Instant::now();
    let out = child.wait_with_output().expect("hook");
    let release = approved_at.elapsed();
    assert_eq!(decision(&parse_answer(&out)), "allow");
    eprintln!("approve → release: {release:?}");
    assert!(
        release < Duration::from_millis(500),
        "release took {release:?}"
    );

    // ask → deny.
    let child = h.spawn_hook(
        &h.hook_input("Bash", json!({"command": "rm -rf dist"})),
        &["--max-wait", "20"],
    );
    let p = h.wait_pending(1);
    assert!(h
        .run(&["deny", &id_of(&p[0]), "--reason", "not today"])
        .status
        .success());
    let out = child.wait_with_output().expect("hook");
    let v = parse_answer(&out);
    assert_eq!(decision(&v), "deny");
    assert!(v["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap_or("")
        .contains("not today"));

    // ask → nobody answers → on_timeout deny.
    let child = h.spawn_hook(
        &h.hook_input("Bash", json!({"command": "touch quick"})),
        &["--max-wait", "20"],
    );
    let out = child.wait_with_output().expect("hook");
    assert_eq!(decision(&parse_answer(&out)), "deny");
    let events = h.export();
    assert!(
        events.iter().any(|e| e["event"] == "expiry"),
        "expiry recorded"
    );

    // A late approval is refused and recorded.
    let late = h.run(&["approve", "3"]);
    assert!(!late.status.success());

    // Every request and every decision is in the export, with its metadata.
    let requests = events.iter().filter(|e| e["event"] == "request").count();
    let decisions: Vec<&Value> = events.iter().filter(|e| e["event"] == "decision").collect();
    assert_eq!(requests, 5);
    assert_eq!(decisions.len(), 5);
    for d in &decisions {
        for k in [
            "time",
            "principal",
            "chain",
            "digest",
            "summary",
            "decision",
            "rule",
            "severity",
            "policy_version",
            "reason",
            "kind",
            "tool",
        ] {
            assert!(!d[k].is_null(), "decision event lacks {k}: {d}");
        }
    }
    assert!(events
        .iter()
        .any(|e| e["event"] == "approved" && e["approver"] == "owner"));
    assert!(events
        .iter()
        .any(|e| e["event"] == "denial" && e["approver"] == "owner"));
    let verify = h.run(&["audit", "verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

#[test]
fn payments_need_two_distinct_owners_and_never_the_requester() {
    let h = setup();
    let pay = json!({"tool": "pay", "kind": "payment", "input": {"amount": 120.5, "currency": "USD", "payee": "acme"}, "cwd": h.ws.display().to_string(), "session": "e2e"}).to_string();
    let child = h.spawn_hook(&pay, &["--max-wait", "20"]);
    let p = h.wait_pending(1);
    let id = id_of(&p[0]);
    // The requesting agent cannot approve its own request, even holding its own token.
    let made = h.run(&["token", "create", "--principal", "agent", "--ttl", "1h"]);
    let agent_token = String::from_utf8_lossy(&made.stdout).trim().to_string();
    let own = h
        .cmd()
        .args(["approve", &id])
        .env("ASSENT_TOKEN", &agent_token)
        .output()
        .expect("run");
    assert!(!own.status.success());
    // The same owner twice counts once.
    assert!(h.run(&["approve", &id, "--as", "owner"]).status.success());
    let again = h.run(&["approve", &id, "--as", "owner"]);
    assert!(
        !again.status.success(),
        "second approval by the same owner must be refused"
    );
    assert_eq!(h.pending().len(), 1, "one approval of two: still pending");
    // A name never chooses who approves: `--as` naming anyone but the proven identity is
    // refused and recorded as an authentication failure.
    assert!(!h.run(&["approve", &id, "--as", "mallory"]).status.success());
    assert!(!h.run(&["approve", &id, "--as", "owner2"]).status.success());
    assert_eq!(h.pending().len(), 1, "a claimed name counted nothing");
    // A garbage token is refused (and audited); owner2's own token proves owner2.
    let bad = h
        .cmd()
        .args(["approve", &id])
        .env("ASSENT_TOKEN", "ast_nope")
        .output()
        .expect("run");
    assert!(!bad.status.success());
    let made = h.run(&["token", "create", "--principal", "owner2", "--ttl", "1h"]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let token = String::from_utf8_lossy(&made.stdout).trim().to_string();
    assert!(token.starts_with("ast_"));
    let ok = h
        .cmd()
        .args(["approve", &id, "--as", "owner2"])
        .env("ASSENT_TOKEN", &token)
        .output()
        .expect("run");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let out = child.wait_with_output().expect("hook");
    assert_eq!(decision(&parse_answer(&out)), "allow");
    let events = h.export();
    assert!(events
        .iter()
        .any(|e| e["event"] == "approval.refused" && e["approver"] == "agent"));
    assert!(events
        .iter()
        .any(|e| e["event"] == "auth.failed" && e["approver"] == "mallory"));
    assert!(events
        .iter()
        .any(|e| e["event"] == "auth.failed" && e["approver"] == "owner2"));
    assert!(events
        .iter()
        .any(|e| e["event"] == "auth.failed"
            && e["reason"].as_str().unwrap_or("").contains("malformed")));
    assert!(events.iter().any(|e| e["event"] == "token.created"));
    // The token itself is in no event.
    assert!(events.iter().all(|e| !e.to_string().contains(&token)));
    // Listing shows it without the token; revoking it ends it.
    let list = h.run(&["token", "list"]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.contains("owner2") && !text.contains(&token), "{text}");
    assert!(h.run(&["token", "revoke", "2"]).status.success());
    let revoked = h
        .cmd()
        .args(["deny", "99", "--reason", "x"])
        .env("ASSENT_TOKEN", &token)
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&revoked.stderr).contains("revoked"));
}

#[test]
fn hook_fails_closed() {
    let h = setup();
    // Malformed input of every shape.
    for bad in [
        "not json",
        "",
        "[]",
        "{\"tool_name\": 5}",
        "{\"tool_name\":\"Bash\",\"tool_input\":\"ls\"}",
    ] {
        let (v, _) = h.hook(bad);
        assert_eq!(decision(&v), "deny", "input {bad:?}");
    }
    let ok = h.hook_input("Bash", json!({"command": "ls"}));

    // A broken policy.
    let broken = setup();
    std::fs::write(
        broken.home.join("policy/broken.cedar"),
        "permit (principal, action, resource) when { context.nope };",
    )
    .expect("write");
    let (v, _) = broken.hook(&ok);
    assert_eq!(decision(&v), "deny");

    // A database that cannot be opened (a directory where the file should be) or is garbage.
    let dbdir = setup();
    std::fs::create_dir_all(dbdir.home.join("assent.db")).expect("mkdir");
    let (v, _) = dbdir.hook(&ok);
    assert_eq!(decision(&v), "deny");
    let garbage = setup();
    std::fs::write(garbage.home.join("assent.db"), vec![0x42u8; 8192]).expect("write");
    let (v, _) = garbage.hook(&ok);
    assert_eq!(decision(&v), "deny");

    // An approver that dies (kill -9) while the hook waits: the hook still answers deny.
    let child = h.spawn_hook(
        &h.hook_input("Bash", json!({"command": "rm -rf target"})),
        &["--max-wait", "2"],
    );
    let mut watcher = h
        .cmd()
        .arg("watch")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("watch");
    h.wait_pending(1);
    std::thread::sleep(Duration::from_millis(300));
    watcher.kill().expect("kill -9 approver");
    let _ = watcher.wait();
    let out = child.wait_with_output().expect("hook");
    assert_eq!(decision(&parse_answer(&out)), "deny");
    // And nothing of it leaks into stdout besides the one JSON answer (checked by parse_answer).

    // The decision process itself is killed (as an out-of-memory kill or a crash would):
    // the hook still answers deny.
    let child = h.spawn_hook(
        &h.hook_input("Bash", json!({"command": "rm -rf out"})),
        &["--max-wait", "20"],
    );
    let hook_pid = child.id();
    h.wait_pending(1);
    let children = std::fs::read_to_string(format!("/proc/{hook_pid}/task/{hook_pid}/children"))
        .expect("children of the hook");
    let worker: i32 = children
        .split_whitespace()
        .next()
        .expect("a worker process")
        .parse()
        .expect("pid");
    let killed = Command::new("kill")
        .args(["-9", &worker.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("hook");
    let v = parse_answer(&out);
    assert_eq!(decision(&v), "deny", "{v}");
}

#[test]
fn secrets_never_appear_and_changes_are_denied() {
    let h = setup();
    let secrets = [
        ("OPENAI_API_KEY", "sk-proj-Zq3vYt8uN1rXw5bK2mHc7dLf9aPe4sGj"),
        ("PORT", "48213"),
        ("WEB_UI_HOST", "webui-internal-7731.example"),
        ("SEARXNG_URL", "http://searx-9921.internal:8888"),
    ];
    let cmds = [
        "echo $OPENAI_API_KEY",
        "printenv PORT",
        "env",
        "export PORT=1",
        "unset SEARXNG_URL",
        "WEB_UI_HOST=evil npm start",
        "curl -H \"Authorization: Bearer $OPENAI_API_KEY\" https://api.example",
        "echo sk-proj-Zq3vYt8uN1rXw5bK2mHc7dLf9aPe4sGj",
        "echo 48213 webui-internal-7731.example http://searx-9921.internal:8888",
        "rm -rf build",
    ];
    let mut all_output = String::new();
    for (i, c) in cmds.iter().enumerate() {
        let mut cmd = h.cmd();
        for (k, v) in secrets {
            cmd.env(k, v);
        }
        let max_wait = if *c == "rm -rf build" { "1" } else { "5" };
        cmd.args(["hook", "claude-code", "--max-wait", max_wait])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("hook");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(h.hook_input("Bash", json!({"command": c})).as_bytes())
            .expect("stdin");
        let out = child.wait_with_output().expect("hook");
        let v = parse_answer(&out);
        if i < 6 {
            assert_eq!(decision(&v), "deny", "{c} must be denied");
        }
        // An allowed Bash call comes back as the agent's own command rewritten to run in the
        // sandbox: that text goes back to the client that sent it, and is no leak.
        let mut v = v;
        if let Some(o) = v["hookSpecificOutput"].as_object_mut() {
            o.remove("updatedInput");
        }
        all_output.push_str(&v.to_string());
        all_output.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    for args in [
        vec!["audit", "export", "--format", "jsonl"],
        vec!["audit", "export", "--format", "csv"],
        vec!["audit", "export", "--format", "ocsf"],
        vec!["audit", "query"],
        vec!["pending"],
        vec!["grants", "--all"],
    ] {
        let mut cmd = h.cmd();
        for (k, v) in secrets {
            cmd.env(k, v);
        }
        let out = cmd.args(&args).output().expect("run");
        all_output.push_str(&String::from_utf8_lossy(&out.stdout));
        all_output.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    let mut db = Vec::new();
    for f in ["assent.db", "assent.db-wal"] {
        if let Ok(bytes) = std::fs::read(h.home.join(f)) {
            db.extend(bytes);
        }
    }
    let db = String::from_utf8_lossy(&db);
    for (k, v) in secrets {
        assert!(
            !all_output.contains(v),
            "value of {k} leaked into CLI or hook output"
        );
        assert!(!db.contains(v), "value of {k} leaked into the database");
    }
    assert!(
        all_output.contains("[REDACTED"),
        "redaction markers show where values were"
    );
}

#[test]
fn exec_runs_only_when_allowed_and_scrubs_secrets() {
    let h = setup();
    let out = h
        .cmd()
        .current_dir(&h.ws)
        .env("OPENAI_API_KEY", "sk-proj-abcdefghijklmnopqrstuv")
        .args(["exec", "--", "ls"])
        .output()
        .expect("exec");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("README.md"));
    // Denied: a distinct exit code, nothing run.
    let marker = h.ws.join("marker");
    let out = h
        .cmd()
        .current_dir(&h.ws)
        .args([
            "exec",
            "--",
            "sh",
            "-c",
            &format!("cat ~/.ssh/id_rsa; touch {}", marker.display()),
        ])
        .output()
        .expect("exec");
    assert_eq!(
        out.status.code(),
        Some(77),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!marker.exists());
    // Approved: runs with protected variables removed from its environment. (A script the
    // analyzer cannot see into asks; `env` itself would be denied as an environment dump.)
    std::fs::write(h.ws.join("show-env.sh"), "env\n").expect("write script");
    let mut child = h
        .cmd()
        .current_dir(&h.ws)
        .env("OPENAI_API_KEY", "sk-proj-abcdefghijklmnopqrstuv")
        .env("HARMLESS", "1")
        .args(["exec", "--max-wait", "20", "--", "sh", "show-env.sh"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("exec");
    let p = h.wait_pending(1);
    assert!(h.run(&["approve", &id_of(&p[0])]).status.success());
    let stdout = child.stdout.take().expect("stdout");
    let out = std::io::read_to_string(stdout).expect("read");
    let status = child.wait().expect("wait");
    assert!(status.success());
    assert!(out.contains("HARMLESS=1"));
    assert!(
        !out.contains("OPENAI_API_KEY"),
        "protected variable reached the child"
    );
    let events = h.export();
    assert!(
        events.iter().filter(|e| e["event"] == "execution").count() >= 2,
        "execution results recorded"
    );
    // A program found in the workspace is not the system's program of the same name.
    std::fs::create_dir_all(h.ws.join("bin")).expect("mkdir");
    std::fs::write(h.ws.join("bin/ls"), "#!/bin/sh\necho FAKE-LS\n").expect("write");
    let mut perms = std::fs::metadata(h.ws.join("bin/ls"))
        .expect("meta")
        .permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(h.ws.join("bin/ls"), perms).expect("chmod");
    let out = h
        .cmd()
        .current_dir(&h.ws)
        .env(
            "PATH",
            format!("bin:{}", std::env::var("PATH").unwrap_or_default()),
        )
        .args(["exec", "--max-wait", "1", "--", "ls"])
        .output()
        .expect("exec");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("FAKE-LS"),
        "a workspace `ls` ran without approval"
    );
    assert_eq!(
        out.status.code(),
        Some(78),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Timed out: its own exit code.
    let out = h
        .cmd()
        .current_dir(&h.ws)
        .args(["exec", "--max-wait", "1", "--", "rm", "-rf", "nothing-here"])
        .output()
        .expect("exec");
    assert_eq!(out.status.code(), Some(78));
}

#[test]
fn grants_from_ask_once_and_revocation() {
    let h = setup();
    // A rule with mode `always` leaves no grant, even if the approver asks for one.
    let child = h.spawn_hook(
        &h.hook_input("Bash", json!({"command": "rm -rf tmp-build"})),
        &["--max-wait", "20"],
    );
    let p = h.wait_pending(1);
    let refused = h.run(&["approve", &id_of(&p[0]), "--for", "1h"]);
    assert!(
        !refused.status.success(),
        "--for on an `always` rule must be refused"
    );
    assert!(h
        .run(&["deny", &id_of(&p[0]), "--reason", "test"])
        .status
        .success());
    assert_eq!(
        decision(&parse_answer(&child.wait_with_output().expect("hook"))),
        "deny"
    );

    let input = h.hook_input("Bash", json!({"command": "npm install left-pad"}));
    let child = h.spawn_hook(&input, &["--max-wait", "20"]);
    let p = h.wait_pending(1);
    assert!(h
        .run(&["approve", &id_of(&p[0]), "--for", "1h"])
        .status
        .success());
    assert_eq!(
        decision(&parse_answer(&child.wait_with_output().expect("hook"))),
        "allow"
    );
    // The same action again is allowed by the grant, without asking.
    let (v, _) = h.hook(&input);
    assert_eq!(decision(&v), "allow");
    let grants = h.run(&["grants", "--format", "json"]);
    let g: Value = serde_json::from_str(
        String::from_utf8_lossy(&grants.stdout)
            .lines()
            .next()
            .expect("one grant"),
    )
    .expect("json");
    assert!(h.run(&["revoke", &g["id"].to_string()]).status.success());
    // After revocation it asks again (and, unanswered, is denied).
    let out = h
        .spawn_hook(&input, &["--max-wait", "1"])
        .wait_with_output()
        .expect("hook");
    assert_eq!(decision(&parse_answer(&out)), "deny");
    // A different action is never covered by the grant.
    let other = h
        .spawn_hook(
            &h.hook_input("Bash", json!({"command": "npm install right-pad"})),
            &["--max-wait", "1"],
        )
        .wait_with_output()
        .expect("hook");
    assert_eq!(decision(&parse_answer(&other)), "deny");
    let _ = Path::new("");
}

#[test]
fn policy_check_names_file_and_line_and_check_keeps_going() {
    let h = setup();
    let dir = h.home.join("policy");
    let ok = h.run(&["policy", "check", dir.to_str().expect("utf8")]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    std::fs::write(
        dir.join("zz-bad.cedar"),
        "// a comment\npermit (principal, action, resource)\nwhen { context.no_such_fact };\n",
    )
    .expect("write");
    let bad = h.run(&["policy", "check", dir.to_str().expect("utf8")]);
    assert_eq!(bad.status.code(), Some(3));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("zz-bad.cedar:3:"),
        "error names file and line: {err}"
    );
    // `check` with a broken policy exits 3 and decides nothing.
    let mut c = h.cmd();
    c.args(["check", "--policy", dir.to_str().expect("utf8")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("check");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"{\"tool\":\"Bash\",\"input\":{\"command\":\"ls\"}}\n")
        .expect("stdin");
    let out = child.wait_with_output().expect("check");
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    // A bad line yields an error for that line; the others are decided, in order.
    std::fs::remove_file(dir.join("zz-bad.cedar")).expect("rm");
    let mut c = h.cmd();
    c.args(["check"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut child = c.spawn().expect("check");
    let lines = format!(
        "{}\nnot json\n\n{}\n",
        h.hook_input("Bash", json!({"command": "git status"})),
        h.hook_input("Bash", json!({"command": "ls && rm -rf ~"}))
    );
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(lines.as_bytes())
        .expect("stdin");
    let out = child.wait_with_output().expect("check");
    assert!(out.status.success());
    let answers: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(answers.len(), 4);
    assert_eq!(answers[0]["decision"], "allow");
    assert!(answers[1]["error"].is_string());
    assert!(answers[2]["error"].is_string());
    assert_eq!(answers[3]["decision"], "deny");
}

#[test]
fn watch_answers_with_keys() {
    let h = setup();
    let first = h.spawn_hook(
        &h.hook_input("Bash", json!({"command": "rm -rf one"})),
        &["--max-wait", "20"],
    );
    h.wait_pending(1);
    let second = h.spawn_hook(
        &h.hook_input("Bash", json!({"command": "rm -rf two"})),
        &["--max-wait", "20"],
    );
    h.wait_pending(2);
    // `a` approves the first request shown, `d` + reason denies the second.
    let mut watch = h
        .cmd()
        .arg("watch")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("watch");
    let mut stdin = watch.stdin.take().expect("stdin");
    stdin.write_all(b"a\nd\nnot this one\n").expect("keys");
    let a = first.wait_with_output().expect("hook");
    let b = second.wait_with_output().expect("hook");
    drop(stdin);
    let _ = watch.kill();
    let out = watch.wait_with_output().expect("watch");
    assert_eq!(decision(&parse_answer(&a)), "allow");
    let v = parse_answer(&b);
    assert_eq!(decision(&v), "deny");
    assert!(v["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap_or("")
        .contains("not this one"));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("$ rm -rf one") && shown.contains("$ rm -rf two"),
        "watch shows each action: {shown}"
    );
    // Why each was stopped, in plain words (the renderer `assent show` uses), not raw facts.
    assert!(
        shown.matches("--- why it was stopped\n").count() == 2
            && shown.contains("Needs approval: rule `"),
        "watch explains each request: {shown}"
    );
    assert!(
        !shown.contains("--- facts") && !shown.contains("\"programs\""),
        "{shown}"
    );
}
