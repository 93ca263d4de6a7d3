//! The OpenAPI document lists exactly the routes the router has, and a validator accepts it.

// Test code reports failure by panicking.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];

fn is_no_route(r: &common::Resp) -> bool {
    r.status == 404 && r.body.contains("urn:assent:problem:no-route")
}

/// Every documented operation is routed; every other method on a documented path is 405.
#[tokio::test]
async fn the_document_and_the_router_agree() {
    let s = common::start_with(common::generous()).await;
    let ops = s.operations().await;
    let documented: BTreeSet<(String, String)> =
        ops.iter().map(|(m, p, _)| (m.clone(), p.clone())).collect();
    let paths: BTreeSet<String> = ops.iter().map(|(_, p, _)| p.clone()).collect();
    for path in &paths {
        for method in METHODS {
            let r = s.send(method, path, None, None).await;
            if documented.contains(&(method.to_string(), path.clone())) {
                assert!(
                    !is_no_route(&r) && r.status != 405,
                    "{method} {path} is documented but not routed: {} {}",
                    r.status,
                    r.body
                );
            } else {
                assert!(
                    r.status == 405 || is_no_route(&r),
                    "{method} {path} is routed but not documented: {} {}",
                    r.status,
                    r.body
                );
            }
        }
    }
}

/// Routes added outside `utoipa_axum::routes!` (a plain `.route("/v1/…")`) would escape the
/// document: every such path in the crate's source must be documented.
#[tokio::test]
async fn no_api_route_is_added_around_the_document() {
    let s = common::start_with(common::generous()).await;
    let doc = s.get("/v1/openapi.json", None).await.json();
    let documented: BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    let mut found = Vec::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                for piece in text.split(".route(\"").skip(1) {
                    let path = piece.split('"').next().unwrap().to_string();
                    found.push((p.display().to_string(), path));
                }
            }
        }
    }
    for (file, path) in found {
        // Only the API is documented; console pages (HTML) are not under /v1.
        let api = path.starts_with("/v1/") || path == "/healthz";
        let axum_style = path.replace(":id", "{id}");
        assert!(
            !api || documented.contains(&axum_style),
            "{file} routes {path} outside the OpenAPI document"
        );
    }
}

#[tokio::test]
async fn a_validator_accepts_the_document() {
    let s = common::start_with(common::generous()).await;
    let r = s.get("/v1/openapi.json", None).await;
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));
    // Every operation answers errors as problem+json, and says so.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["operationId"].is_string(),
                "{method} {path}: no operationId"
            );
            assert!(
                op["responses"]["200"].is_object() || op["responses"]["201"].is_object(),
                "{method} {path}: no success response"
            );
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &r.body).unwrap();
    let script = "import sys\nfrom openapi_spec_validator import validate\nfrom openapi_spec_validator.readers import read_from_filename\nspec, _ = read_from_filename(sys.argv[1])\nvalidate(spec)\nprint('valid')\n";
    // .ci/run points OPENAPI_PYTHON at a python that has the validator (a venv of its own
    // where the system python refuses pip installs).
    let python = std::env::var_os("OPENAPI_PYTHON").unwrap_or_else(|| "python3".into());
    let out = std::process::Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(&file)
        .output();
    let required = std::env::var_os("CI").is_some()
        || std::env::var_os("OPENAPI_VALIDATOR_REQUIRED").is_some();
    match out {
        Ok(o) if o.status.success() => {
            assert!(String::from_utf8_lossy(&o.stdout).contains("valid"));
        }
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            if err.contains("No module named") && !required {
                eprintln!("skipping: openapi-spec-validator is not installed (pip install openapi-spec-validator)");
                return;
            }
            panic!("the OpenAPI document does not validate ({python:?}):\n{err}");
        }
        Err(e) => {
            assert!(
                !required,
                "{python:?} is needed to validate the document: {e}"
            );
            eprintln!("skipping: no python3 ({e})");
        }
    }
}
