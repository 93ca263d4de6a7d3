//! Server-Sent Events: a request's own stream and the live stream of every change.

// Test code reports failure by panicking.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

mod common;

use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Opens an event stream and returns the connection, past the response head.
async fn open_stream(
    s: &common::Server,
    path: &str,
    token: &str,
    last_id: Option<i64>,
) -> (tokio::net::TcpStream, String) {
    let mut c = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let mut req = format!(
        "GET {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n"
    );
    if let Some(id) = last_id {
        req.push_str(&format!("Last-Event-ID: {id}\r\n"));
    }
    req.push_str("\r\n");
    c.write_all(req.as_bytes()).await.unwrap();
    let mut seen = String::new();
    read_until(&mut c, &mut seen, "\r\n\r\n").await;
    (c, seen)
}

async fn read_until(c: &mut tokio::net::TcpStream, seen: &mut String, needle: &str) {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains(needle) {
        let n = tokio::time::timeout_at(deadline, c.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} in {seen:?}"))
            .unwrap();
        assert!(n > 0, "stream ended before {needle:?}: {seen:?}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}

#[tokio::test]
async fn a_request_stream_shows_its_state_then_its_decision_and_ends() {
    let s = common::start().await;
    let agent = s.token("agent").await;
    let owner = s.token("owner").await;
    let a = s.ask_shell(&agent, "rm -rf build").await;
    let id = a["request_id"].as_i64().unwrap();
    let (mut c, mut seen) =
        open_stream(&s, &format!("/v1/requests/{id}/events"), &agent, None).await;
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    assert!(seen
        .to_ascii_lowercase()
        .contains("content-type: text/event-stream"));
    read_until(&mut c, &mut seen, "event: state").await;
    read_until(&mut c, &mut seen, "\"pending\"").await;
    let r = s
        .post(
            &format!("/v1/requests/{id}/deny"),
            Some(&owner),
            &json!({"reason": "no"}),
        )
        .await;
    assert_eq!(r.status, 200);
    read_until(&mut c, &mut seen, "event: request.decided").await;
    read_until(&mut c, &mut seen, "\"denied\"").await;
    // The stream ends after the decision (chunked terminator).
    read_until(&mut c, &mut seen, "0\r\n\r\n").await;
}

#[tokio::test]
async fn the_live_stream_shows_new_requests_and_resumes_after_a_reconnect() {
    let s = common::start().await;
    let agent = s.token("agent").await;
    let owner = s.token("owner").await;
    s.get("/v1/events", Some(&agent)).await.problem(403);
    let (mut c, mut seen) = open_stream(&s, "/v1/events", &owner, None).await;
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let a = s.ask_shell(&agent, "rm -rf one").await;
    let id = a["request_id"].as_i64().unwrap();
    read_until(&mut c, &mut seen, "event: request.created").await;
    read_until(&mut c, &mut seen, &format!("\"request_id\":{id}")).await;
    drop(c);
    // Missed while disconnected: a second request. Reconnecting from the first one's event
    // replays it.
    let first_seq: i64 = seen
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .filter_map(|v| v.trim().parse().ok())
        .max()
        .unwrap();
    let b = s.ask_shell(&agent, "rm -rf two").await;
    let (mut c, mut seen) = open_stream(&s, "/v1/events", &owner, Some(first_seq)).await;
    read_until(
        &mut c,
        &mut seen,
        &format!("\"request_id\":{}", b["request_id"]),
    )
    .await;
    assert!(
        !seen.contains(&format!("id: {first_seq}\n")),
        "replayed an event the client had"
    );
}
