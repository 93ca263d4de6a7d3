//! `/v1/policy`: every route refuses a caller without a valid token (problem+json), and the
//! OpenAPI document lists each of them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

mod common;

use serde_json::json;

const ROUTES: &[(&str, &str)] = &[
    ("GET", "/v1/policy"),
    ("PUT", "/v1/policy"),
    ("POST", "/v1/policy/validate"),
    ("GET", "/v1/policy/versions"),
    ("GET", "/v1/policy/versions/1"),
    ("GET", "/v1/policy/diff?from=1"),
    ("POST", "/v1/policy/rollback"),
];

#[tokio::test]
async fn every_policy_route_refuses_no_token_and_a_bad_token() {
    let s = common::start_with(common::generous()).await;
    let body = json!({"expected_version": 1, "files": {"a.cedar": ""}, "to": 1}).to_string();
    for (method, path) in ROUTES {
        let with_body = (*method != "GET").then_some(body.as_str());
        s.send(method, path, None, with_body).await.problem(401);
        let bad = format!("ast_{}", "0".repeat(64));
        s.send(method, path, Some(&bad), with_body)
            .await
            .problem(401);
    }
    // Nothing changed.
    assert_eq!(s.state.gateway.policy_history().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_openapi_document_lists_every_policy_route() {
    let s = common::start().await;
    let doc = s.get("/v1/openapi.json", None).await.json();
    for (method, path) in ROUTES {
        let path = path.split('?').next().unwrap().replace("/1", "/{version}");
        let op = &doc["paths"][&path][method.to_ascii_lowercase()];
        assert!(op.is_object(), "{method} {path} is not in the document");
        assert_eq!(op["tags"][0], "policy", "{method} {path}");
    }
}
