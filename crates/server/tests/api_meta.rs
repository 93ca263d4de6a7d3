//! The routes that need no token, and the error shape of everything the router does not know.

// Test code reports failure by panicking: helpers outside `#[test]` functions may expect,
// index and panic too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

mod common;

#[tokio::test]
async fn healthz_answers_ok_without_a_token_and_says_nothing_else() {
    let s = common::start().await;
    let r = s.get("/healthz", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "ok");
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_lists_itself() {
    let s = common::start().await;
    let r = s.get("/v1/openapi.json", None).await;
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{doc}");
    assert!(doc["paths"]["/v1/openapi.json"]["get"].is_object());
    assert!(doc["paths"]["/healthz"]["get"].is_object());
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problem_json() {
    let s = common::start().await;
    s.get("/v1/nothing-here", None).await.problem(404);
    s.get("/", None).await.problem(404);
    let r = s.send("DELETE", "/healthz", None, None).await;
    r.problem(405);
    assert!(r.header("allow").is_some_and(|a| a.contains("GET")));
}
