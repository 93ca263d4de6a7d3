//! Issue 8's crash acceptance, with real processes only: `assent serve` on a temporary home
//! (its Unix socket and a TCP port), real `assent hook claude-code` processes as thin clients
//! whose calls ask a person, and `kill -9` of the server while they wait. Every waiting hook
//! answers deny, saying the server went away; after a restart on the same home every request
//! is still pending, and `assent audit verify` passes.

// Test code reports failure by panicking.
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_assent");

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

/// How many hooks wait when the server is killed (half over the socket, half over TCP).
const HOOKS: usize = 6;

struct Home {
    _dir: tempfile::TempDir,
    home: PathBuf,
    user_home: PathBuf,
    ws: PathBuf,
}

/// A child process killed (SIGKILL) and reaped when the test ends, however it ends.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn setup() -> Home {
    let dir = tempfile::tempdir().expect("tempdir");
    let user_home = dir.path().join("user");
    let home = user_home.join(".assent");
    let ws = user_home.join("project");
    std::fs::create_dir_all(home.join("policy")).expect("mkdir");
    std::fs::create_dir_all(&ws).expect("mkdir");
    std::fs::write(
        home.join("policy/default.cedar"),
        assent_policy::DEFAULT_CEDAR,
    )
    .expect("write");
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
            .env_remove("ASSENT_URL")
            .env_remove("ASSENT_TOKEN");
        c
    }

    fn socket(&self) -> PathBuf {
        self.home.join("assent.sock")
    }

    /// `assent serve` on the home's socket and on `tcp`; returns once both accept.
    fn serve(&self, tcp: std::net::SocketAddr) -> Reaped {
        let mut child = self
            .cmd()
            .args(["serve", "--listen", &tcp.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let start = Instant::now();
        while std::os::unix::net::UnixStream::connect(self.socket()).is_err()
            || std::net::TcpStream::connect(tcp).is_err()
        {
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
                panic!("server exited {status}: {err}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "server never listened"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Reaped(child)
    }

    /// A token for `principal`, made with the local CLI.
    fn token(&self, principal: &str) -> String {
        let out = self
            .cmd()
            .args(["token", "create", "--principal", principal])
            .output()
            .expect("token create");
        assert!(
            out.status.success(),
            "token create: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A real hook process asking to run `command`; `url` set: over TCP, else over the socket.
    fn spawn_hook(&self, token: &str, url: Option<&str>, command: &str) -> Child {
        let mut c = self.cmd();
        c.args(["hook", "claude-code", "--max-wait", "120"])
            .env("ASSENT_TOKEN", token)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(u) = url {
            c.env("ASSENT_URL", u);
        }
        let mut child = c.spawn().expect("spawn hook");
        let input = json!({"hook_event_name": "PreToolUse", "session_id": "crash", "cwd": self.ws.display().to_string(), "tool_name": "Bash", "tool_input": {"command": command}});
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.to_string().as_bytes())
            .expect("write stdin");
        child
    }

    /// The pending requests as the server lists them (`assent pending` as a thin client).
    fn pending(&self, owner: &str) -> Vec<Value> {
        let out = self
            .cmd()
            .args(["pending", "--format", "json"])
            .env("ASSENT_TOKEN", owner)
            .output()
            .expect("pending");
        assert!(
            out.status.success(),
            "pending: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("pending prints JSON lines"))
            .collect()
    }

    fn verify(&self) {
        let out = self
            .cmd()
            .args(["audit", "verify"])
            .output()
            .expect("audit verify");
        assert!(
            out.status.success(),
            "audit verify: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn ids(pending: &[Value]) -> BTreeSet<i64> {
    pending
        .iter()
        .map(|v| v["id"].as_i64().expect("pending request has an id"))
        .collect()
}

/// Waits for `child` to end, giving up (and failing) after `limit`: a hook that never answers
/// is the failure this guards against, and the test must not hang on it.
fn wait_bounded(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        match child.try_wait().expect("try_wait") {
            Some(_) => return child.wait_with_output().expect("hook output"),
            None if start.elapsed() > limit => {
                let _ = child.kill();
                let out = child.wait_with_output().expect("hook output");
                panic!(
                    "a hook was still waiting {limit:?} after the server was killed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

#[test]
fn kill_9_with_hooks_waiting_every_hook_denies_and_the_requests_survive_a_restart() {
    let h = setup();
    let tcp = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let mut server = h.serve(tcp);
    let agent = h.token("agent");
    let owner = h.token("owner");
    let url = format!("http://{tcp}");

    // A hook left over by a failing test still ends by itself (`--max-wait`).
    let mut hooks: Vec<Child> = (0..HOOKS)
        .map(|i| {
            let via = (i % 2 == 1).then_some(url.as_str());
            h.spawn_hook(&agent, via, &format!("rm -rf build{i}"))
        })
        .collect();

    // Every hook's request is recorded and pending before the kill.
    let start = Instant::now();
    let before = loop {
        let p = h.pending(&owner);
        if p.len() == HOOKS {
            break p;
        }
        assert!(p.len() < HOOKS, "more pending requests than hooks: {p:?}");
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the hooks' requests never all appeared: {p:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let commands: BTreeSet<String> = before.iter().map(|v| v.to_string()).collect();
    for i in 0..HOOKS {
        assert!(
            commands
                .iter()
                .any(|c| c.contains(&format!("rm -rf build{i}"))),
            "no pending request for hook {i}: {before:?}"
        );
    }
    // The hooks are still waiting on a person.
    for (i, hook) in hooks.iter_mut().enumerate() {
        assert!(
            hook.try_wait().expect("try_wait").is_none(),
            "hook {i} answered before anyone decided"
        );
    }

    // SIGKILL: no handler runs, nothing is answered, the socket file is left behind.
    server.0.kill().expect("kill -9");
    server.0.wait().expect("reap");

    for (i, child) in hooks.into_iter().enumerate() {
        let out = wait_bounded(child, Duration::from_secs(60));
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "hook {i}: stdout must be one JSON answer, got {text:?} (stderr {})",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "hook {i} exited {}", out.status);
        let v: Value = serde_json::from_str(lines[0]).expect("hook answer is JSON");
        let answer = &v["hookSpecificOutput"];
        assert_eq!(answer["hookEventName"], "PreToolUse", "{v}");
        assert_eq!(answer["permissionDecision"], "deny", "hook {i}: {v}");
        let reason = answer["permissionDecisionReason"]
            .as_str()
            .expect("a deny has a reason");
        assert!(
            reason.contains("went away") && reason.contains("action not run"),
            "hook {i} does not say the server went away: {reason}"
        );
    }

    // The chain verifies right after the crash, and again after a restart on the same home
    // (over the stale socket), where every request is still pending.
    h.verify();
    let _server = h.serve(tcp);
    let after = h.pending(&owner);
    assert_eq!(
        ids(&after),
        ids(&before),
        "the pending requests changed across the crash: before {before:?}, after {after:?}"
    );
    h.verify();
}
