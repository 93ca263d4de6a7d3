//! The test harness: the real router (`assent_server::app`) on an ephemeral port with a real
//! gateway over a fresh home, and a small HTTP/1.1 client over a plain TCP stream (so the
//! tests see exactly the bytes a client gets).

#![allow(dead_code)]
// Test code reports failure by panicking: helpers outside `#[test]` functions may expect,
// index and panic too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use assent_gateway::{Gateway, Locations};
use assent_server::limits::Limits;
use assent_server::AppState;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    pub home: tempfile::TempDir,
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn locations(home: &Path) -> Locations {
    Locations {
        home: home.join("user"),
        assent_home: home.join("assent"),
        extra_guards: Vec::new(),
    }
}

/// Limits no test reaches by accident (tests of the limits set their own).
pub fn generous() -> Limits {
    let fast = assent_server::limits::Rate {
        per_second: 10_000.0,
        burst: 10_000.0,
    };
    Limits {
        principal_rate: fast,
        address_rate: fast,
        auth_failure_rate: fast,
        ..Limits::default()
    }
}

pub async fn start() -> Server {
    start_with(Limits::default()).await
}

pub async fn start_with(limits: Limits) -> Server {
    let home = tempfile::tempdir().expect("tempdir");
    let loc = locations(home.path());
    std::fs::create_dir_all(&loc.home).expect("user home");
    // The shipped default policy plus the team's rules and principals.
    let policy = home.path().join("policy");
    std::fs::create_dir_all(&policy).expect("policy dir");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::copy(
        root.join("crates/policy/defaults/default.cedar"),
        policy.join("default.cedar"),
    )
    .expect("default policy");
    for f in ["team.cedar", "assent.toml"] {
        std::fs::copy(fixture("team").join(f), policy.join(f)).expect("fixture");
    }
    let gw = Gateway::open_serving(&loc, Some(&policy))
        .await
        .expect("gateway opens");
    let state = AppState::with_limits(Arc::new(gw), limits);
    let app = assent_server::app(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    Server { addr, state, home }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Asserts an RFC 9457 problem with this status, and returns it.
    pub fn problem(&self, status: u16) -> serde_json::Value {
        assert_eq!(self.status, status, "status; body: {}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "content type of a {status}: {}",
            self.body
        );
        let v = self.json();
        assert_eq!(v["status"], status, "{v}");
        assert!(v["type"].as_str().is_some_and(|t| !t.is_empty()), "{v}");
        assert!(v["title"].as_str().is_some_and(|t| !t.is_empty()), "{v}");
        assert!(v["detail"].is_string(), "{v}");
        v
    }
}

impl Server {
    /// A fresh bearer token for `principal`, minted by the local administrator.
    pub async fn token(&self, principal: &str) -> String {
        self.token_for(principal, None).await
    }

    pub async fn token_for(&self, principal: &str, ttl_ms: Option<i64>) -> String {
        self.token_with_id(principal, ttl_ms).await.1
    }

    pub async fn token_with_id(&self, principal: &str, ttl_ms: Option<i64>) -> (i64, String) {
        let gw = &self.state.gateway;
        let admin = gw.local_identity().expect("local admin");
        let t = gw
            .create_token(&admin, principal, ttl_ms, "test")
            .await
            .expect("token");
        (t.id, t.token)
    }

    pub async fn revoke_token(&self, id: i64) {
        let gw = &self.state.gateway;
        let admin = gw.local_identity().expect("local admin");
        gw.revoke_token(&admin, id).await.expect("revoke");
    }

    /// The OpenAPI document's operations: (method, path with `{…}` filled in, needs a token).
    pub async fn operations(&self) -> Vec<(String, String, bool)> {
        let doc = self.get("/v1/openapi.json", None).await.json();
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("path item") {
                if !["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                    continue;
                }
                // `security: [{}]` (an empty requirement) means no token is needed.
                let open = op["security"].as_array().is_some_and(|s| {
                    s.iter()
                        .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
                });
                let filled = fill_params(path);
                out.push((method.to_uppercase(), filled, !open));
            }
        }
        out
    }

    /// Decides `body` as the holder of `token`; returns the answer.
    pub async fn decide(&self, token: &str, body: serde_json::Value) -> serde_json::Value {
        let r = self.post("/v1/decide", Some(token), &body).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    /// A shell command that the default policy asks an owner about.
    pub async fn ask_shell(&self, token: &str, cmd: &str) -> serde_json::Value {
        let a = self
            .decide(
                token,
                serde_json::json!({"action": {"tool": "Bash", "kind": "shell", "input": {"command": cmd}, "cwd": "/tmp/project", "session": "s1"}}),
            )
            .await;
        assert_eq!(a["decision"], "ask", "{a}");
        a
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Resp {
        let mut headers = Vec::new();
        if let Some(t) = token {
            headers.push(("Authorization".to_string(), format!("Bearer {t}")));
        }
        if body.is_some() {
            headers.push(("Content-Type".to_string(), "application/json".to_string()));
        }
        raw(
            self.addr,
            method,
            path,
            &headers,
            body.unwrap_or("").as_bytes(),
        )
        .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.send("GET", path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &serde_json::Value) -> Resp {
        self.send("POST", path, token, Some(&body.to_string()))
            .await
    }
}

/// One request on its own connection (`Connection: close`), read to the end.
pub async fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Resp {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(req.as_bytes()).await.expect("write");
    // A server may answer (413) before reading a large body; a failed write is then fine.
    let _ = s.write_all(body).await;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    parse(&buf)
}

pub fn parse(buf: &[u8]) -> Resp {
    let text = String::from_utf8_lossy(buf).to_string();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// `/v1/requests/{id}/wait` → `/v1/requests/1/wait`.
pub fn fill_params(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map(|e| start + e + 1)
            .unwrap_or(rest.len());
        out.push('1');
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}
