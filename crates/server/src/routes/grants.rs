//! Grants ("ask once" leaves one behind): list and revoke. People only.

use super::gateway_problem;
use crate::auth::Person;
use crate::extract::ApiQuery;
use crate::problem::Problem;
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(revoke))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GrantsQuery {
    /// Include expired and revoked grants.
    pub all: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantList {
    #[schema(value_type = Vec<Object>)]
    pub grants: Vec<assent_gateway::GrantView>,
}

/// List grants: active ones, or every grant with `all=true`.
#[utoipa::path(
    operation_id = "list_grants",
    get,
    path = "/v1/grants",
    tag = "grants",
    params(GrantsQuery),
    responses(
        (status = 200, description = "Grants", body = GrantList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An agent", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    _: Person,
    ApiQuery(q): ApiQuery<GrantsQuery>,
) -> Result<Json<GrantList>, Problem> {
    let grants = state
        .gateway
        .grants(q.all.unwrap_or(false))
        .await
        .map_err(|e| gateway_problem("listing grants", e))?;
    Ok(Json(GrantList { grants }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Revoked {
    pub grant_id: i64,
    pub revoked: bool,
}

/// Revoke a grant: later identical actions ask again.
#[utoipa::path(
    operation_id = "revoke_grant",
    post,
    path = "/v1/grants/{id}/revoke",
    tag = "grants",
    params(("id" = i64, Path, description = "Grant id")),
    responses(
        (status = 200, description = "Revoked", body = Revoked),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An agent", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such grant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already revoked", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    Person(caller): Person,
    Path(id): Path<i64>,
) -> Result<Json<Revoked>, Problem> {
    state
        .gateway
        .revoke(id, &caller.identity)
        .await
        .map_err(|e| gateway_problem("revoking a grant", e))?;
    state.hub.poke();
    Ok(Json(Revoked {
        grant_id: id,
        revoked: true,
    }))
}
