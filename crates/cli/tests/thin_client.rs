//! The hook as a thin client of `assent serve`, with real processes: a real server on the
//! home's Unix socket (or `ASSENT_URL`), fake servers that answer garbage, and a server
//! killed with SIGKILL. Every way the server can fail ends in a deny.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_assent");
/// The small hook binary (`assent init --claude-code` configures it).
const HOOK_BIN: &str = env!("CARGO_BIN_EXE_assent-hook");

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

struct Home {
    dir: tempfile::TempDir,
    home: PathBuf,
    user_home: PathBuf,
    ws: PathBuf,
}

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
    std::fs::write(home.join("policy/assent.toml"), SETTINGS).expect("write");
    Home {
        dir,
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

    fn input(&self, tool: &str, input: Value) -> String {
        json!({"hook_event_name": "PreToolUse", "session_id": "thin", "cwd": self.ws.display().to_string(), "tool_name": tool, "tool_input": input}).to_string()
    }

    fn spawn_hook(&self, input: &str, env: &[(&str, &str)]) -> Child {
        let mut c = self.cmd();
        c.args(["hook", "claude-code", "--max-wait", "20"])
            .envs(env.iter().copied())
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

    /// `assent-hook --home H claude-code --max-wait 20`, as `assent init --claude-code`
    /// writes it, with `input` on stdin.
    fn spawn_small_hook(&self, input: &str, env: &[(&str, &str)]) -> Child {
        let mut child = Command::new(HOOK_BIN)
            .arg("--home")
            .arg(&self.home)
            .args(["claude-code", "--max-wait", "20"])
            .env("HOME", &self.user_home)
            .env_remove("ASSENT_HOME")
            .env_remove("ASSENT_URL")
            .env_remove("ASSENT_TOKEN")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn assent-hook");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
        child
    }

    fn small_hook(&self, input: &str, env: &[(&str, &str)]) -> (Value, Output) {
        let out = self
            .spawn_small_hook(input, env)
            .wait_with_output()
            .expect("assent-hook");
        (answer(&out), out)
    }

    fn hook(&self, input: &str, env: &[(&str, &str)]) -> (Value, Output) {
        let out = self
            .spawn_hook(input, env)
            .wait_with_output()
            .expect("hook");
        (answer(&out), out)
    }

    fn socket(&self) -> PathBuf {
        self.home.join("assent.sock")
    }

    /// `assent serve` on the home's socket only; returns when the socket accepts.
    fn serve(&self) -> Child {
        let mut child = self
            .cmd()
            .args(["serve", "--listen", "none"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let start = Instant::now();
        while std::os::unix::net::UnixStream::connect(self.socket()).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
                panic!("server exited {status}: {err}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "server never listened"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        child
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
}

/// The hook's stdout must be exactly one JSON answer.
fn answer(out: &Output) -> Value {
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

fn reason(v: &Value) -> &str {
    v["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap_or("")
}

fn kill9(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

/// A fake server on a Unix socket that answers every connection with `response` once it has
/// read the request head, then closes.
fn fake_server(path: &Path, response: Vec<u8>) -> std::thread::JoinHandle<()> {
    let listener = UnixListener::bind(path).expect("bind fake");
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
            }
            let _ = conn.write_all(&response);
            if response.is_empty() {
                // Hold the connection a moment, then drop it with no answer.
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    })
}

fn http(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn a_configured_server_that_cannot_be_reached_or_answers_garbage_means_deny() {
    let h = setup();
    let input = h.input("Read", json!({"file_path": h.ws.join("README.md")}));
    // Locally, this read is allowed.
    let (v, _) = h.hook(&input, &[]);
    assert_eq!(decision(&v), "allow", "{v}");

    // ASSENT_URL to a port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let url = format!("http://127.0.0.1:{port}");
    let (v, _) = h.hook(&input, &[("ASSENT_URL", &url), ("ASSENT_TOKEN", "ast_x")]);
    assert_eq!(decision(&v), "deny", "{v}");
    assert!(reason(&v).contains("cannot be reached"), "{v}");

    // URLs the client does not speak.
    for bad in ["https://127.0.0.1:1", "ftp://x", "unix:relative.sock"] {
        let (v, _) = h.hook(&input, &[("ASSENT_URL", bad), ("ASSENT_TOKEN", "ast_x")]);
        assert_eq!(decision(&v), "deny", "{bad}: {v}");
    }

    // A stale socket in the home (a server that died) still names a server: deny.
    let stale = UnixListener::bind(h.socket()).expect("bind");
    drop(stale);
    let (v, _) = h.hook(&input, &[("ASSENT_TOKEN", "ast_x")]);
    assert_eq!(decision(&v), "deny", "{v}");
    assert!(reason(&v).contains("cannot be reached"), "{v}");
    std::fs::remove_file(h.socket()).expect("rm socket");

    // Fake servers: every malformed or refusing answer is a deny.
    let allow_line = r#"{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"allow","permissionDecisionReason":"fake"}}"#;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("no answer", Vec::new()),
        ("not http", b"SSH-2.0-OpenSSH\r\n\r\n".to_vec()),
        ("not json", http("200 OK", "allow")),
        ("no stdout", http("200 OK", r#"{"exit_code":0}"#)),
        (
            "stdout not an answer",
            http(
                "200 OK",
                &json!({"stdout": "allow\n", "exit_code": 0}).to_string(),
            ),
        ),
        (
            "two lines",
            http(
                "200 OK",
                &json!({"stdout": format!("{allow_line}\n{allow_line}\n"), "exit_code": 0})
                    .to_string(),
            ),
        ),
        (
            "allow with a failing exit code",
            http(
                "200 OK",
                &json!({"stdout": format!("{allow_line}\n"), "exit_code": 1}).to_string(),
            ),
        ),
        (
            "truncated body",
            b"HTTP/1.1 200 OK\r\ncontent-length: 500\r\n\r\n{\"stdout\":".to_vec(),
        ),
        (
            "refused",
            http(
                "401 Unauthorized",
                r#"{"type":"urn:assent:problem:unauthenticated","title":"Unauthorized","status":401,"detail":"invalid or expired token"}"#,
            ),
        ),
    ];
    for (what, response) in cases {
        let path = h
            .dir
            .path()
            .join(format!("fake-{}.sock", what.replace(' ', "-")));
        let _server = fake_server(&path, response);
        let url = format!("unix:{}", path.display());
        let (v, out) = h.hook(&input, &[("ASSENT_URL", &url), ("ASSENT_TOKEN", "ast_x")]);
        assert_eq!(decision(&v), "deny", "{what}: {v}");
        assert!(out.status.success(), "{what}: exit {}", out.status);
    }

    // The same fake answering well is relayed as it is (the client adds nothing).
    let path = h.dir.path().join("fake-good.sock");
    let _server = fake_server(
        &path,
        http(
            "200 OK",
            &json!({"stdout": format!("{allow_line}\n"), "exit_code": 0}).to_string(),
        ),
    );
    let url = format!("unix:{}", path.display());
    let (v, _) = h.hook(&input, &[("ASSENT_URL", &url), ("ASSENT_TOKEN", "ast_x")]);
    assert_eq!(decision(&v), "allow", "{v}");
    assert_eq!(reason(&v), "fake");
}

#[test]
fn without_a_token_the_hook_denies_and_says_how_to_get_one() {
    let h = setup();
    let mut server = h.serve();
    let input = h.input("Read", json!({"file_path": h.ws.join("README.md")}));
    let (v, _) = h.hook(&input, &[]);
    assert_eq!(decision(&v), "deny", "{v}");
    assert!(reason(&v).contains("ASSENT_TOKEN"), "{v}");
    // A wrong token: the server refuses, the hook denies.
    let (v, _) = h.hook(&input, &[("ASSENT_TOKEN", "ast_0000")]);
    assert_eq!(decision(&v), "deny", "{v}");
    assert!(reason(&v).contains("refused"), "{v}");
    kill9(&mut server);
}

#[test]
fn through_the_server_allow_deny_ask_then_approve_and_a_killed_server_denies() {
    let h = setup();
    let mut server = h.serve();
    let token = h.token("agent");
    let env = [("ASSENT_TOKEN", token.as_str())];
    let owner = h.token("owner");

    let read = h.input("Read", json!({"file_path": h.ws.join("README.md")}));
    let (v, _) = h.hook(&read, &env);
    assert_eq!(decision(&v), "allow", "{v}");

    let (v, _) = h.hook(
        &h.input("Bash", json!({"command": "cat ~/.ssh/id_rsa"})),
        &env,
    );
    assert_eq!(decision(&v), "deny", "{v}");

    // A flag never chooses the principal when a server decides.
    let out = h.spawn_hook(&read, &env).wait_with_output().expect("hook");
    assert_eq!(decision(&answer(&out)), "allow");
    let mut c = h.cmd();
    c.args(["hook", "claude-code", "--principal", "owner"])
        .env("ASSENT_TOKEN", &token)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("hook");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(read.as_bytes())
        .expect("stdin");
    let v = answer(&child.wait_with_output().expect("hook"));
    assert_eq!(decision(&v), "deny", "{v}");
    assert!(reason(&v).contains("drop --principal"), "{v}");

    // The token file in the home works as ASSENT_TOKEN does.
    std::fs::write(h.home.join("token"), format!("{token}\n")).expect("write token");
    let (v, _) = h.hook(&read, &[]);
    assert_eq!(decision(&v), "allow", "{v}");
    std::fs::remove_file(h.home.join("token")).expect("rm token");

    // An ask holds the hook until a person approves (here: the local approver CLI).
    let ask = h.input("Bash", json!({"command": "rm -rf build"}));
    let hook = h.spawn_hook(&ask, &env);
    let id = wait_pending(&h, &owner);
    let out = h
        .cmd()
        .args(["approve", &id])
        .env("ASSENT_TOKEN", &owner)
        .output()
        .expect("approve");
    assert!(
        out.status.success(),
        "approve: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = hook.wait_with_output().expect("hook");
    let v = answer(&out);
    assert_eq!(decision(&v), "allow", "{v}");
    assert!(reason(&v).contains("approved"), "{v}");

    // A hook waiting on a person when the server is killed: deny.
    let waiting = h.spawn_hook(&ask, &env);
    let _ = wait_pending(&h, &owner);
    kill9(&mut server);
    let started = Instant::now();
    let out = waiting.wait_with_output().expect("hook");
    let v = answer(&out);
    assert_eq!(decision(&v), "deny", "{v}");
    assert!(started.elapsed() < Duration::from_secs(5));

    // And every hook after it, while the socket is stale.
    let (v, _) = h.hook(&read, &env);
    assert_eq!(decision(&v), "deny", "{v}");
}

/// The id of the newest pending request, once there is one.
fn wait_pending(h: &Home, token: &str) -> String {
    let start = Instant::now();
    loop {
        let out = h
            .cmd()
            .args(["pending", "--format", "json"])
            .env("ASSENT_TOKEN", token)
            .output()
            .expect("pending");
        assert!(
            out.status.success(),
            "pending: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ids: Vec<i64> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|v| v["id"].as_i64())
            .collect();
        if let Some(id) = ids.iter().max() {
            return id.to_string();
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "request never appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The approver CLI through the server: the token says who acts (`--as` only checks it), a
/// requester's own token cannot approve, no token or no server means nothing is done.
#[test]
fn the_approver_cli_is_a_client_of_the_server() {
    let h = setup();
    let mut server = h.serve();
    let agent = h.token("agent");
    let owner = h.token("owner");
    let run = |args: &[&str], token: Option<&str>| {
        let mut c = h.cmd();
        c.args(args);
        if let Some(t) = token {
            c.env("ASSENT_TOKEN", t);
        }
        c.output().expect("run")
    };
    let text = |o: &Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };

    // No token: refused, saying how to get one.
    let out = run(&["pending"], None);
    assert!(!out.status.success());
    assert!(text(&out).contains("ASSENT_TOKEN"), "{}", text(&out));

    let ask = h.input("Bash", json!({"command": "rm -rf build"}));
    let hook = h.spawn_hook(&ask, &[("ASSENT_TOKEN", &agent)]);
    let id = wait_pending(&h, &owner);

    let out = run(&["pending"], Some(&owner));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("rm -rf build"), "{}", text(&out));
    let out = run(&["show", &id], Some(&owner));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("$ rm -rf build"), "{}", text(&out));

    // The requester (an agent) cannot approve its own request; `--as` naming someone else
    // than the token's principal is refused before anything is sent.
    let out = run(&["approve", &id], Some(&agent));
    assert!(!out.status.success(), "{}", text(&out));
    let out = run(&["approve", &id, "--as", "agent"], Some(&owner));
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("does not match"), "{}", text(&out));

    // The owner denies with a reason: the hook answers deny with it.
    let out = run(
        &["deny", &id, "--reason", "not on friday", "--as", "owner"],
        Some(&owner),
    );
    assert!(out.status.success(), "{}", text(&out));
    let v = answer(&hook.wait_with_output().expect("hook"));
    assert_eq!(decision(&v), "deny", "{v}");
    assert!(reason(&v).contains("not on friday"), "{v}");

    // Approving a decided request fails and says so.
    let out = run(&["approve", &id], Some(&owner));
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("not approved"), "{}", text(&out));

    // With the server gone, nothing is done and the message says what to do.
    kill9(&mut server);
    let out = run(&["deny", &id, "--reason", "x"], Some(&owner));
    assert!(!out.status.success());
    assert!(text(&out).contains("assent serve"), "{}", text(&out));
}

/// `assent exec` through the server: allowed runs, denied does not, an ask runs only after a
/// person approves it, and an unreachable server means exit 77 and nothing run.
#[test]
fn exec_is_a_client_of_the_server() {
    let h = setup();
    let mut server = h.serve();
    let agent = h.token("agent");
    let owner = h.token("owner");
    let exec = |args: &[&str]| {
        let mut c = h.cmd();
        c.arg("exec")
            .args(args)
            .current_dir(&h.ws)
            .env("ASSENT_TOKEN", &agent)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    };
    let out = exec(&["--", "ls"]).output().expect("exec");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("README.md"));

    let marker = h.ws.join("marker");
    let out = exec(&[
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

    // An ask: runs once the owner approves.
    let child = exec(&[
        "--max-wait",
        "20",
        "--",
        "touch",
        &marker.display().to_string(),
    ])
    .spawn()
    .expect("exec");
    let id = wait_pending(&h, &owner);
    assert!(!marker.exists());
    let out = h
        .cmd()
        .args(["approve", &id])
        .env("ASSENT_TOKEN", &owner)
        .output()
        .expect("approve");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = child.wait_with_output().expect("exec");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(marker.exists());

    // `--principal` cannot choose who asks when a server decides.
    let out = exec(&["--principal", "owner", "--", "ls"])
        .output()
        .expect("exec");
    assert_eq!(out.status.code(), Some(77));

    kill9(&mut server);
    let out = exec(&["--", "ls"]).output().expect("exec");
    assert_eq!(out.status.code(), Some(77));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be reached"));
}

/// The small `assent-hook` binary against a real `assent serve`: allow, deny with the
/// rule's reason, an ask released by an approval, no token, a killed server while a person
/// decides; and with no server it becomes `assent hook claude-code` (the in-process path).
#[test]
fn the_small_hook_binary_relays_the_server_and_fails_closed() {
    let h = setup();
    let read = h.input("Read", json!({"file_path": h.ws.join("README.md")}));

    // No server configured: the in-process hook beside it decides (the read is allowed, a
    // secret read denied).
    let (v, out) = h.small_hook(&read, &[]);
    assert_eq!(decision(&v), "allow", "{v}");
    assert!(out.status.success());
    let (v, _) = h.small_hook(
        &h.input("Bash", json!({"command": "cat ~/.ssh/id_rsa"})),
        &[],
    );
    assert_eq!(decision(&v), "deny", "{v}");

    let mut server = h.serve();
    // No token: deny, saying how to get one; a wrong one: refused, deny.
    let (v, _) = h.small_hook(&read, &[]);
    assert_eq!(decision(&v), "deny", "{v}");
    assert!(reason(&v).contains("ASSENT_TOKEN"), "{v}");
    let (v, _) = h.small_hook(&read, &[("ASSENT_TOKEN", "ast_0000")]);
    assert_eq!(decision(&v), "deny", "{v}");
    assert!(reason(&v).contains("refused"), "{v}");

    let token = h.token("agent");
    let owner = h.token("owner");
    let env = [("ASSENT_TOKEN", token.as_str())];
    let (v, out) = h.small_hook(&read, &env);
    assert_eq!(decision(&v), "allow", "{v}");
    assert!(out.status.success());

    // An allowed Bash command comes back rewritten to run in the sandbox (or says why not).
    let (v, _) = h.small_hook(&h.input("Bash", json!({"command": "ls"})), &env);
    assert_eq!(decision(&v), "allow", "{v}");
    let updated = v["hookSpecificOutput"]["updatedInput"]["command"]
        .as_str()
        .unwrap_or("");
    assert!(
        updated.contains("exec' '--sandbox'") || reason(&v).contains("not sandboxed"),
        "{v}"
    );

    // A deny carries the rule's reason.
    let (v, _) = h.small_hook(
        &h.input("Bash", json!({"command": "cat ~/.ssh/id_rsa"})),
        &env,
    );
    assert_eq!(decision(&v), "deny", "{v}");
    assert!(reason(&v).contains("denied by rule"), "{v}");

    // An ask holds the hook until a person approves.
    let ask = h.input("Bash", json!({"command": "rm -rf build"}));
    let hook = h.spawn_small_hook(&ask, &env);
    let id = wait_pending(&h, &owner);
    let out = h
        .cmd()
        .args(["approve", &id])
        .env("ASSENT_TOKEN", &owner)
        .output()
        .expect("approve");
    assert!(
        out.status.success(),
        "approve: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = answer(&hook.wait_with_output().expect("assent-hook"));
    assert_eq!(decision(&v), "allow", "{v}");
    assert!(reason(&v).contains("approved"), "{v}");

    // Denied by a person with a reason: the hook says it.
    let hook = h.spawn_small_hook(&ask, &env);
    let id = wait_pending(&h, &owner);
    let out = h
        .cmd()
        .args(["deny", &id, "--reason", "not on friday"])
        .env("ASSENT_TOKEN", &owner)
        .output()
        .expect("deny");
    assert!(out.status.success());
    let v = answer(&hook.wait_with_output().expect("assent-hook"));
    assert_eq!(decision(&v), "deny", "{v}");
    assert!(reason(&v).contains("not on friday"), "{v}");

    // The server killed while a person decides: deny, promptly.
    let waiting = h.spawn_small_hook(&ask, &env);
    let _ = wait_pending(&h, &owner);
    kill9(&mut server);
    let started = Instant::now();
    let v = answer(&waiting.wait_with_output().expect("assent-hook"));
    assert_eq!(decision(&v), "deny", "{v}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // And after it, while the socket is stale: deny (not the in-process path).
    let (v, _) = h.small_hook(&read, &env);
    assert_eq!(decision(&v), "deny", "{v}");
    assert!(reason(&v).contains("cannot be reached"), "{v}");
}

/// Garbage and refusals from a server are denies; arguments it does not know are denies
/// (a misconfigured hook must not let the tool run).
#[test]
fn the_small_hook_binary_denies_garbage_and_bad_arguments() {
    let h = setup();
    let read = h.input("Read", json!({"file_path": h.ws.join("README.md")}));
    let allow_line = r#"{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"allow","permissionDecisionReason":"fake"}}"#;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("no answer", Vec::new()),
        ("not json", http("200 OK", "allow")),
        (
            "stdout not an answer",
            http(
                "200 OK",
                &json!({"stdout": "allow\n", "exit_code": 0}).to_string(),
            ),
        ),
        (
            "allow with a failing exit code",
            http(
                "200 OK",
                &json!({"stdout": format!("{allow_line}\n"), "exit_code": 2}).to_string(),
            ),
        ),
        (
            "updatedInput not an object",
            http(
                "200 OK",
                &json!({"stdout": r#"{"hookSpecificOutput":{"permissionDecision":"allow","updatedInput":"rm -rf /"}}"#, "exit_code": 0}).to_string(),
            ),
        ),
        (
            "truncated body",
            b"HTTP/1.1 200 OK\r\ncontent-length: 500\r\n\r\n{\"stdout\":".to_vec(),
        ),
        ("server error", http("500 Internal Server Error", "{}")),
    ];
    for (what, response) in cases {
        let path = h
            .dir
            .path()
            .join(format!("small-{}.sock", what.replace(' ', "-")));
        let _server = fake_server(&path, response);
        let url = format!("unix:{}", path.display());
        let (v, out) = h.small_hook(&read, &[("ASSENT_URL", &url), ("ASSENT_TOKEN", "ast_x")]);
        assert_eq!(decision(&v), "deny", "{what}: {v}");
        assert!(out.status.success(), "{what}: exit {}", out.status);
    }
    let path = h.dir.path().join("small-good.sock");
    let _server = fake_server(
        &path,
        http(
            "200 OK",
            &json!({"stdout": format!("{allow_line}\n"), "exit_code": 0}).to_string(),
        ),
    );
    let url = format!("unix:{}", path.display());
    let (v, _) = h.small_hook(&read, &[("ASSENT_URL", &url), ("ASSENT_TOKEN", "ast_x")]);
    assert_eq!(decision(&v), "allow", "{v}");

    for bad in [
        &["--policy", "/tmp/p"][..],
        &["--max-wait", "soon"],
        &["mcp"],
    ] {
        let mut child = Command::new(HOOK_BIN)
            .args(bad)
            .env("HOME", &h.user_home)
            .env_remove("ASSENT_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // It may answer (deny) before reading its input.
        let _ = child
            .stdin
            .take()
            .expect("stdin")
            .write_all(read.as_bytes());
        let out = child.wait_with_output().expect("assent-hook");
        let v = answer(&out);
        assert_eq!(decision(&v), "deny", "{bad:?}: {v}");
    }

    // No `assent` beside it and no server: deny, naming what is missing.
    let lonely = h.dir.path().join("lonely");
    std::fs::create_dir_all(&lonely).expect("mkdir");
    let copy = lonely.join("assent-hook");
    std::fs::copy(HOOK_BIN, &copy).expect("copy");
    let mut child = Command::new(&copy)
        .arg("--home")
        .arg(&h.home)
        .env("HOME", &h.user_home)
        .env_remove("ASSENT_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(read.as_bytes());
    let v = answer(&child.wait_with_output().expect("assent-hook"));
    assert_eq!(decision(&v), "deny", "{v}");
    assert!(reason(&v).contains("cannot be run"), "{v}");
}

/// `assent init --claude-code` configures the small binary beside `assent` (absolute path),
/// replaces an older `assent hook claude-code` entry rather than adding a second, and the
/// command it wrote, run by a shell as Claude Code runs it, answers.
#[test]
fn init_configures_the_small_hook_binary() {
    let h = setup();
    let settings = h.user_home.join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().expect("parent")).expect("mkdir");
    std::fs::write(
        &settings,
        json!({"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": format!("'{BIN}' --home '/x' hook claude-code --max-wait 290")}]}]}, "model": "keep"}).to_string(),
    )
    .expect("write");
    let out = h
        .cmd()
        .args(["init", "--claude-code", "--settings"])
        .arg(&settings)
        .output()
        .expect("init");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&settings).expect("read")).expect("json");
    assert_eq!(doc["model"], "keep");
    let entries = doc["hooks"]["PreToolUse"].as_array().expect("list");
    assert_eq!(entries.len(), 1, "{doc}");
    let command = entries[0]["hooks"][0]["command"].as_str().expect("command");
    let small = std::fs::canonicalize(HOOK_BIN).expect("canonical");
    assert!(
        command.starts_with(&format!("'{}' --home '", small.display())),
        "{command}"
    );
    let read = h.input("Read", json!({"file_path": h.ws.join("README.md")}));
    let mut child = Command::new("sh")
        .args(["-c", command])
        .current_dir(&h.ws)
        .env("HOME", &h.user_home)
        .env_remove("ASSENT_URL")
        .env_remove("ASSENT_TOKEN")
        .env_remove("ASSENT_HOME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(read.as_bytes())
        .expect("stdin");
    let v = answer(&child.wait_with_output().expect("hook"));
    assert_eq!(decision(&v), "allow", "{v}");
}
