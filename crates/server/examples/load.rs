//! Load tool for `assent serve` (the figures in docs/benchmarks.md; `scripts/bench-server`
//! runs it against a fresh release server).
//!
//! ```text
//! load decisions --url 127.0.0.1:8470 --token AGENT [--connections 64] [--seconds 10]
//! load held      --url … --token AGENT --pid SERVER_PID [--count 10000]
//! load release   --url … --token AGENT --approver OWNER [--count 300]
//! ```
//!
//! `decisions`: allowed actions decided as fast as N keep-alive connections can, each answer
//! durable (its audit events committed) before it is sent. `held`: COUNT requests asked and a
//! long-poll held open on each; prints the server's resident memory. `release`: one request at
//! a time, a waiter long-polling, then an approval; the time from sending the approval to the
//! waiter's answer, p50/p99.

// A measuring tool: a failed request is a failed run, reported by panicking.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Args {
    mode: String,
    url: String,
    token: String,
    approver: String,
    pid: u32,
    connections: usize,
    seconds: u64,
    count: usize,
}

fn args() -> Args {
    let mut a = Args {
        mode: String::new(),
        url: "127.0.0.1:8470".into(),
        token: std::env::var("ASSENT_TOKEN").unwrap_or_default(),
        approver: String::new(),
        pid: 0,
        connections: 64,
        seconds: 10,
        count: 0,
    };
    let mut it = std::env::args().skip(1);
    a.mode = it.next().unwrap_or_default();
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--url" => a.url = v,
            "--token" => a.token = v,
            "--approver" => a.approver = v,
            "--pid" => a.pid = v.parse().unwrap(),
            "--connections" => a.connections = v.parse().unwrap(),
            "--seconds" => a.seconds = v.parse().unwrap(),
            "--count" => a.count = v.parse().unwrap(),
            _ => panic!("unknown option {k}"),
        }
    }
    a
}

async fn connect(url: &str) -> SendRequest<Full<Bytes>> {
    let stream = tokio::net::TcpStream::connect(url).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    send
}

async fn call(
    send: &mut SendRequest<Full<Bytes>>,
    method: &str,
    path: &str,
    token: &str,
    body: &Value,
) -> (u16, Value) {
    send.ready().await.unwrap();
    let req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "load")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let resp = send.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn action(cmd: &str) -> Value {
    json!({"action": {"tool": "Bash", "kind": "shell", "input": {"command": cmd}, "cwd": "/srv/project", "session": "load"}})
}

async fn decisions(a: &Args) {
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(a.seconds);
    let mut tasks = Vec::new();
    for _ in 0..a.connections {
        let (url, token, done, failed) =
            (a.url.clone(), a.token.clone(), done.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            let mut c = connect(&url).await;
            let body = action("git status");
            while Instant::now() < end {
                let (status, v) = call(&mut c, "POST", "/v1/decide", &token, &body).await;
                if status == 200 && v["decision"] == "allow" {
                    done.fetch_add(1, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let started = Instant::now();
    for t in tasks {
        t.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    println!(
        "decisions: {n} allowed in {secs:.1} s over {} connections = {:.0}/s ({} failed)",
        a.connections,
        n as f64 / secs,
        failed.load(Ordering::Relaxed)
    );
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn held(a: &Args) {
    let count = if a.count == 0 { 10_000 } else { a.count };
    let before = rss_kib(a.pid);
    // Ask COUNT requests over a few connections.
    let mut asks = Vec::with_capacity(count);
    let mut c = connect(&a.url).await;
    for i in 0..count {
        let (status, v) = call(
            &mut c,
            "POST",
            "/v1/decide",
            &a.token,
            &action(&format!("rm -rf held{i}")),
        )
        .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["decision"], "ask", "{v}");
        asks.push((
            v["request_id"].as_i64().unwrap(),
            v["wait_secret"].as_str().unwrap().to_string(),
        ));
    }
    let asked = rss_kib(a.pid);
    // One long-poll per request, each on its own connection, all held open.
    let open = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(count);
    for (id, secret) in asks {
        let (url, token, open) = (a.url.clone(), a.token.clone(), open.clone());
        tasks.push(tokio::spawn(async move {
            let mut c = connect(&url).await;
            open.fetch_add(1, Ordering::Relaxed);
            let body = json!({"wait_secret": secret, "timeout_ms": 600_000, "keep_pending": true});
            call(
                &mut c,
                "POST",
                &format!("/v1/requests/{id}/wait"),
                &token,
                &body,
            )
            .await
        }));
    }
    while open.load(Ordering::Relaxed) < count as u64 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let every long-poll reach its wait.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let holding = rss_kib(a.pid);
    println!(
        "held: {count} requests waiting on {count} open long-polls; server RSS {:.1} MiB (idle {:.1} MiB, after asking {:.1} MiB)",
        holding as f64 / 1024.0,
        before as f64 / 1024.0,
        asked as f64 / 1024.0
    );
    for t in tasks {
        t.abort();
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn release(a: &Args) {
    let count = if a.count == 0 { 300 } else { a.count };
    let mut asker = connect(&a.url).await;
    let mut approver = connect(&a.url).await;
    let mut lat = Vec::with_capacity(count);
    for i in 0..count {
        let (_, v) = call(
            &mut asker,
            "POST",
            "/v1/decide",
            &a.token,
            &action(&format!("rm -rf rel{i}")),
        )
        .await;
        let id = v["request_id"].as_i64().unwrap();
        let secret = v["wait_secret"].as_str().unwrap().to_string();
        let (url, token) = (a.url.clone(), a.token.clone());
        let waiter = tokio::spawn(async move {
            let mut c = connect(&url).await;
            let body = json!({"wait_secret": secret, "timeout_ms": 60_000});
            let r = call(
                &mut c,
                "POST",
                &format!("/v1/requests/{id}/wait"),
                &token,
                &body,
            )
            .await;
            (r, Instant::now())
        });
        // Let the waiter reach its wait.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let sent = Instant::now();
        let (status, v) = call(
            &mut approver,
            "POST",
            &format!("/v1/requests/{id}/approve"),
            &a.approver,
            &json!({}),
        )
        .await;
        assert_eq!(status, 200, "{v}");
        let ((status, w), released) = waiter.await.unwrap();
        assert_eq!(status, 200);
        assert_eq!(w["redeemed"], true, "{w}");
        lat.push(released.duration_since(sent).as_secs_f64() * 1000.0);
    }
    lat.sort_by(|x, y| x.total_cmp(y));
    println!(
        "release: {count} approvals; approve sent → waiter answered: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(0.0)
    );
}

#[tokio::main]
async fn main() {
    let a = args();
    match a.mode.as_str() {
        "decisions" => decisions(&a).await,
        "held" => held(&a).await,
        "release" => release(&a).await,
        _ => {
            eprintln!("usage: load decisions|held|release --url HOST:PORT --token TOKEN [...]");
            std::process::exit(2);
        }
    }
}
