//! The OpenAPI 3.1 document, generated from the handlers' annotations: every route is added
//! to the router through `utoipa_axum::routes!`, which registers the handler and its document
//! entry together, so the two cannot drift (a test checks it anyway).

use crate::problem::Problem;
use axum::http::header;
use axum::response::IntoResponse;
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Assent",
        description = "Approval gateway for AI agents. Every error is RFC 9457 application/problem+json.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(Problem)),
    tags(
        (name = "meta", description = "Health and this document"),
        (name = "requests", description = "Decide actions, wait for and answer approval requests"),
        (name = "grants", description = "Permissions left by \"ask once\" approvals"),
        (name = "audit", description = "The hash-chained audit log"),
        (name = "identity", description = "Principals, roles and tokens"),
        (name = "policy", description = "The runtime configuration: active version, validate, activate, history, diff, rollback"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("ast_<64 hex>")
                        .build(),
                ),
            );
        }
    }
}

/// The document, built once from the same route table the router is built from.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        let (_, doc) = crate::api().split_for_parts();
        doc.to_pretty_json().unwrap_or_else(|_| "{}".into())
    })
}

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"))
)]
pub async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document())
}
