//! `assent serve` as a real process: `kill -9` with requests pending and clients waiting (every
//! waiting client fails closed; after a restart the requests are still there and the audit
//! chain verifies), and a graceful stop (SIGTERM) that answers waiters `pending` and keeps
//! their requests.

// Test code reports failure by panicking.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_assent");

struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

fn start(home: &Path, addr: SocketAddr) -> Server {
    let child = Command::new(BIN)
        .arg("--home")
        .arg(home)
        .args(["serve", "--listen", &addr.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("assent serve starts");
    let s = Server { child };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = request(addr, "GET", "/healthz", None, None) {
            if r.0 == 200 {
                return s;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("assent serve did not come up on {addr}");
}

fn token(home: &Path, principal: &str) -> String {
    let out = Command::new(BIN)
        .arg("--home")
        .arg(home)
        .args([
            "token",
            "create",
            "--principal",
            principal,
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["token"].as_str().unwrap().to_string()
}

/// One HTTP/1.1 request; `Err` when the connection fails or ends without a whole answer.
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n", body.len());
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    s.write_all(req.as_bytes())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no whole answer: {text:?}")))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    let len: Option<usize> = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().ok())
        })
        .flatten();
    if let Some(n) = len {
        if rest.len() < n {
            return Err(std::io::Error::other("answer cut short"));
        }
    }
    Ok((status, rest.to_string()))
}

fn ask(addr: SocketAddr, agent: &str, cmd: &str) -> (i64, String) {
    let (status, body) = request(
        addr,
        "POST",
        "/v1/decide",
        Some(agent),
        Some(&json!({"action": {"tool": "Bash", "kind": "shell", "input": {"command": cmd}, "cwd": "/tmp/project"}})),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["decision"], "ask", "{v}");
    (
        v["request_id"].as_i64().unwrap(),
        v["wait_secret"].as_str().unwrap().to_string(),
    )
}

/// What a client does with a wait: runs the action only on `redeemed: true`.
fn would_run(result: &std::io::Result<(u16, String)>) -> bool {
    match result {
        Ok((200, body)) => serde_json::from_str::<Value>(body)
            .map(|v| v["redeemed"] == true)
            .unwrap_or(false),
        _ => false,
    }
}

fn spawn_waiter(
    addr: SocketAddr,
    agent: &str,
    id: i64,
    secret: &str,
) -> std::thread::JoinHandle<(std::io::Result<(u16, String)>, Duration)> {
    let agent = agent.to_string();
    let body = json!({"wait_secret": secret, "timeout_ms": 120_000});
    std::thread::spawn(move || {
        let started = Instant::now();
        let r = request(
            addr,
            "POST",
            &format!("/v1/requests/{id}/wait"),
            Some(&agent),
            Some(&body),
        );
        (r, started.elapsed())
    })
}

fn pending_ids(addr: SocketAddr, owner: &str) -> Vec<i64> {
    let (status, body) =
        request(addr, "GET", "/v1/requests?state=pending", Some(owner), None).unwrap();
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    v["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

fn verify(home: &Path) {
    let out = Command::new(BIN)
        .arg("--home")
        .arg(home)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "audit verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn kill_9_with_clients_waiting_fails_them_closed_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("assent");
    std::fs::create_dir_all(&home).unwrap();
    let agent = token(&home, "agent");
    let owner = token(&home, "owner");
    let addr = free_port();
    let mut server = start(&home, addr);

    let asks: Vec<(i64, String)> = (0..4)
        .map(|i| ask(addr, &agent, &format!("rm -rf build{i}")))
        .collect();
    let waiters: Vec<_> = asks
        .iter()
        .map(|(id, secret)| spawn_waiter(addr, &agent, *id, secret))
        .collect();
    std::thread::sleep(Duration::from_millis(500));

    // SIGKILL: no handler runs, no answer is written.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    for w in waiters {
        let (result, took) = w.join().unwrap();
        assert!(
            !would_run(&result),
            "a waiter was released by a dead server: {result:?}"
        );
        assert!(
            took < Duration::from_secs(10),
            "a waiter hung for {took:?} after the kill"
        );
    }

    // Restart: every request is still pending, the chain verifies, and a waiter that comes
    // back with its secret is released by an approval given now.
    verify(&home);
    let server = start(&home, addr);
    let pending = pending_ids(addr, &owner);
    for (id, _) in &asks {
        assert!(
            pending.contains(id),
            "request {id} lost in the crash: {pending:?}"
        );
    }
    let (id, secret) = &asks[0];
    let again = spawn_waiter(addr, &agent, *id, secret);
    std::thread::sleep(Duration::from_millis(300));
    let (status, body) = request(
        addr,
        "POST",
        &format!("/v1/requests/{id}/approve"),
        Some(&owner),
        Some(&json!({"reason": "after the restart"})),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let (result, _) = again.join().unwrap();
    assert!(would_run(&result), "{result:?}");
    drop(server);
    verify(&home);
}

#[test]
fn sigterm_answers_waiters_pending_keeps_requests_and_removes_the_socket() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("assent");
    std::fs::create_dir_all(&home).unwrap();
    let agent = token(&home, "agent");
    let owner = token(&home, "owner");
    let addr = free_port();
    let mut server = start(&home, addr);
    let sock = home.join("assent.sock");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&sock).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "socket mode {mode:o}");

    let (id, secret) = ask(addr, &agent, "rm -rf cache");
    let waiter = spawn_waiter(addr, &agent, id, &secret);
    std::thread::sleep(Duration::from_millis(500));
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = server.child.wait().unwrap();
    assert!(status.success(), "assent serve exited with {status}");
    let (result, took) = waiter.join().unwrap();
    assert!(!would_run(&result));
    let (code, body) = result.unwrap();
    assert_eq!(code, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["state"], "pending", "{v}");
    assert!(took < Duration::from_secs(10));
    assert!(!sock.exists(), "the socket was left behind");

    verify(&home);
    let _server = start(&home, addr);
    assert!(pending_ids(addr, &owner).contains(&id));
}
