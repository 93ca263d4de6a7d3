//! `/v1/policy`: the runtime configuration, read and changed while the server runs.
//!
//! Owners only, reading included (the policy names every principal and role). A change is
//! optimistic: the caller sends the version it read, and a stale one is refused with 409 and
//! the version now active; a candidate that does not load is refused whole with 422 and every
//! problem (file, line, column). The gateway writes the files, records and audits the version
//! in one transaction, and swaps it in for decisions that start afterwards.

use crate::auth::Admin;
use crate::extract::{ApiQuery, StrictJson};
use crate::problem::{Problem, CONTENT_TYPE};
use crate::AppState;
use assent_gateway::{ConfigError, PolicyFiles, Via};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The policy routes, added to the API with one line.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_policy, put_policy))
        .routes(routes!(validate))
        .routes(routes!(versions))
        .routes(routes!(version))
        .routes(routes!(diff))
        .routes(routes!(rollback))
}

/// A candidate policy: file name → text (`*.cedar` files and `assent.toml`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateBody {
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub files: PolicyFiles,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivateBody {
    /// The version the caller read (`GET /v1/policy`); refused with 409 if another is active.
    pub expected_version: i64,
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub files: PolicyFiles,
    /// Why (kept with the version).
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackBody {
    /// The version whose text becomes active again (as a new version).
    pub to: i64,
    pub expected_version: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The older version.
    pub from: i64,
    /// The newer version (default: the active one).
    pub to: Option<i64>,
}

/// A problem with extension members (RFC 9457 §3.2): `errors` for 422, `active_version` for 409.
fn problem_with(status: StatusCode, slug: &str, detail: String, extra: Value) -> Response {
    let mut body = json!({
        "type": format!("urn:assent:problem:{slug}"),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    if let (Some(b), Value::Object(extra)) = (body.as_object_mut(), extra) {
        b.extend(extra);
    }
    (
        status,
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        body.to_string(),
    )
        .into_response()
}

fn config_problem(e: ConfigError) -> Response {
    match e {
        ConfigError::Stale { expected, current } => problem_with(
            StatusCode::CONFLICT,
            "stale-policy-version",
            format!(
                "version {expected} is not the active policy any more (version {current} is); read it again"
            ),
            json!({"expected_version": expected, "active_version": current}),
        ),
        ConfigError::Invalid(problems) => problem_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-policy",
            format!(
                "the policy does not load ({} problem{}); nothing changed",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            ),
            json!({"errors": problems}),
        ),
        ConfigError::NoSuchVersion(v) => {
            Problem::not_found(format!("no policy version {v}")).into_response()
        }
        ConfigError::Unsupported(why) => problem_with(
            StatusCode::CONFLICT,
            "policy-not-writable",
            why,
            json!({}),
        ),
        ConfigError::Gateway(e) => Problem::internal("the policy change", &e).into_response(),
    }
}

/// The active policy: version, files, who activated it and when, and the last refused edit
/// of the files (`last_rejected`, null when the files on disk are in force).
#[utoipa::path(
    get,
    path = "/v1/policy",
    tag = "policy",
    responses(
        (status = 200, description = "The active version: `version`, `digest`, `activated_by`, `activated_at`, `via`, `note`, `parent`, `files`, `path`, `last_rejected`", body = Object),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_policy(State(state): State<AppState>, _: Admin) -> Result<Response, Problem> {
    Ok(match state.gateway.active_policy().await {
        Ok(a) => Json(a).into_response(),
        Err(e) => Problem::internal("reading the policy", &e).into_response(),
    })
}

/// Checks a candidate completely (Cedar schema-strict, settings, patterns) without
/// activating or writing anything.
#[utoipa::path(
    post,
    path = "/v1/policy/validate",
    tag = "policy",
    request_body = ValidateBody,
    responses(
        (status = 200, description = "`{\"valid\": bool, \"errors\": [{file, line, column, message, help}]}`", body = Object),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn validate(
    State(state): State<AppState>,
    _: Admin,
    StrictJson(body): StrictJson<ValidateBody>,
) -> Result<Response, Problem> {
    Ok(Json(state.gateway.validate_policy(&body.files)).into_response())
}

/// Activates a candidate if `expected_version` is still the active one. The files in the
/// server's home are rewritten to match; the change is audited with the caller's name.
#[utoipa::path(
    put,
    path = "/v1/policy",
    tag = "policy",
    request_body = ActivateBody,
    responses(
        (status = 200, description = "The new version (`version`, `parent`, `activated_by`, …)", body = Object),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`expected_version` is stale (`active_version` says which is active)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The candidate does not load (`errors` lists every problem); nothing changed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_policy(
    State(state): State<AppState>,
    Admin(caller): Admin,
    StrictJson(body): StrictJson<ActivateBody>,
) -> Result<Response, Problem> {
    Ok(
        match state
            .gateway
            .activate_policy(
                &body.files,
                body.expected_version,
                caller.name(),
                Via::Api,
                body.note.as_deref(),
            )
            .await
        {
            Ok(v) => Json(v).into_response(),
            Err(e) => config_problem(e),
        },
    )
}

/// Every recorded version, oldest first; `active` is the one in force.
#[utoipa::path(
    get,
    path = "/v1/policy/versions",
    tag = "policy",
    responses(
        (status = 200, description = "`{\"active\": int, \"versions\": [{version, digest, activated_by, activated_at, via, note, parent}]}`", body = Object),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn versions(State(state): State<AppState>, _: Admin) -> Result<Response, Problem> {
    Ok(match state.gateway.policy_history().await {
        Ok(v) => Json(json!({
            "active": state.gateway.policy().version,
            "versions": v,
        }))
        .into_response(),
        Err(e) => Problem::internal("reading the policy history", &e).into_response(),
    })
}

/// One recorded version's files.
#[utoipa::path(
    get,
    path = "/v1/policy/versions/{version}",
    tag = "policy",
    params(("version" = i64, Path, description = "A recorded version")),
    responses(
        (status = 200, description = "`{\"version\": int, \"files\": {name: text}}`", body = Object),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such version", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn version(
    State(state): State<AppState>,
    _: Admin,
    Path(version): Path<i64>,
) -> Result<Response, Problem> {
    Ok(match state.gateway.policy_files(version).await {
        Ok(files) => Json(json!({"version": version, "files": files})).into_response(),
        Err(e) => config_problem(e),
    })
}

/// A unified diff, file by file, between two recorded versions.
#[utoipa::path(
    get,
    path = "/v1/policy/diff",
    tag = "policy",
    params(DiffQuery),
    responses(
        (status = 200, description = "`{\"from\", \"to\", \"files\": [{file, change: added|removed|changed|same, unified}]}`", body = Object),
        (status = 400, description = "Bad query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such version", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn diff(
    State(state): State<AppState>,
    _: Admin,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> Result<Response, Problem> {
    let to = q.to.unwrap_or(state.gateway.policy().version as i64);
    Ok(match state.gateway.policy_diff(q.from, to).await {
        Ok(d) => Json(d).into_response(),
        Err(e) => config_problem(e),
    })
}

/// Makes an earlier version's text active again, as a new version (if `expected_version` is
/// still the active one).
#[utoipa::path(
    post,
    path = "/v1/policy/rollback",
    tag = "policy",
    request_body = RollbackBody,
    responses(
        (status = 200, description = "The new version", body = Object),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such version", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`expected_version` is stale", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The candidate does not load", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn rollback(
    State(state): State<AppState>,
    Admin(caller): Admin,
    StrictJson(body): StrictJson<RollbackBody>,
) -> Result<Response, Problem> {
    Ok(
        match state
            .gateway
            .rollback_policy(body.to, body.expected_version, caller.name())
            .await
        {
            Ok(v) => Json(v).into_response(),
            Err(e) => config_problem(e),
        },
    )
}
