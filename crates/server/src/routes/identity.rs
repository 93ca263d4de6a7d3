//! Principals, roles and tokens. Listing principals and roles is for people; tokens are
//! minted, listed and revoked under the gateway's rules (who may mint for whom, never
//! upwards; a token is shown once).

use super::gateway_problem;
use crate::auth::{Caller, Person};
use crate::extract::{ApiQuery, StrictJson};
use crate::problem::Problem;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(principals))
        .routes(routes!(roles))
        .routes(routes!(create_token, list_tokens))
        .routes(routes!(revoke_token))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PrincipalInfo {
    pub name: String,
    /// `user` or `agent`.
    pub kind: String,
    pub roles: Vec<String>,
    /// The agent or person that spawned this one.
    pub parent: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PrincipalList {
    pub principals: Vec<PrincipalInfo>,
    /// Who is asking, as the server authenticated it.
    pub you: String,
}

/// Every configured principal with its roles (people only).
#[utoipa::path(
    get,
    path = "/v1/principals",
    tag = "identity",
    responses(
        (status = 200, description = "Principals", body = PrincipalList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An agent", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn principals(
    State(state): State<AppState>,
    Person(caller): Person,
) -> Result<Json<PrincipalList>, Problem> {
    let policy = state.gateway.policy();
    let principals = policy
        .directory
        .iter()
        .map(|p| PrincipalInfo {
            name: p.name.clone(),
            kind: if p.is_agent() { "agent" } else { "user" }.into(),
            roles: p.roles.clone(),
            parent: p.parent.clone(),
        })
        .collect();
    Ok(Json(PrincipalList {
        principals,
        you: caller.name().to_string(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleList {
    /// Each role with the principals holding it.
    pub roles: BTreeMap<String, Vec<String>>,
}

/// Every role and who holds it (people only). What each role may request and approve is
/// the policy's (`GET /v1/policy`).
#[utoipa::path(
    get,
    path = "/v1/roles",
    tag = "identity",
    responses(
        (status = 200, description = "Roles", body = RoleList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An agent", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn roles(State(state): State<AppState>, _: Person) -> Result<Json<RoleList>, Problem> {
    let policy = state.gateway.policy();
    let mut roles: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in policy.directory.iter() {
        for r in &p.roles {
            roles.entry(r.clone()).or_default().push(p.name.clone());
        }
    }
    Ok(Json(RoleList { roles }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// Whom the token proves: yourself, or a principal you may mint for.
    pub principal: String,
    /// Lifetime: `30s`, `15m`, `12h`, `30d` (default 30 days, at most 366).
    pub ttl: Option<String>,
    pub label: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    pub id: i64,
    /// The token itself: shown this once, never stored (only its SHA-256 is).
    pub token: String,
    pub principal: String,
    pub expires_ms: i64,
}

/// Mint a token. A person: for themself and for agents they administer; an agent: only for
/// its own subordinate agents, never exceeding itself.
#[utoipa::path(
    post,
    path = "/v1/tokens",
    tag = "identity",
    request_body = CreateToken,
    responses(
        (status = 201, description = "The new token (shown once)", body = CreatedToken),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed to mint for that principal", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad ttl", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    StrictJson(body): StrictJson<CreateToken>,
) -> Result<Response, Problem> {
    let ttl_ms = body
        .ttl
        .as_deref()
        .map(assent_gateway::parse_ttl)
        .transpose()
        .map_err(Problem::unprocessable)?;
    let t = state
        .gateway
        .create_token(
            &caller.identity,
            &body.principal,
            ttl_ms,
            body.label.as_deref().unwrap_or(""),
        )
        .await
        // The gateway audits each of its refusals here.
        .map_err(|e| gateway_problem("minting a token", e).audited())?;
    let out = CreatedToken {
        id: t.id,
        token: t.token,
        principal: t.principal,
        expires_ms: t.expires_ms,
    };
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(out),
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TokensQuery {
    /// Include expired and revoked tokens.
    pub all: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    /// Never the tokens themselves, nor their hashes.
    #[schema(value_type = Vec<Object>)]
    pub tokens: Vec<assent_gateway::TokenInfo>,
}

/// List tokens: owners see every token; others their own and those they minted.
#[utoipa::path(
    get,
    path = "/v1/tokens",
    tag = "identity",
    params(TokensQuery),
    responses(
        (status = 200, description = "Tokens", body = TokenList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<TokensQuery>,
) -> Result<Json<TokenList>, Problem> {
    let tokens = state
        .gateway
        .list_tokens(&caller.identity, q.all.unwrap_or(false))
        .await
        .map_err(|e| gateway_problem("listing tokens", e))?;
    Ok(Json(TokenList { tokens }))
}

/// Revoke a token (owners: any; others: their own and those they minted). Tokens minted
/// under it stop working too.
#[utoipa::path(
    delete,
    path = "/v1/tokens/{id}",
    tag = "identity",
    params(("id" = i64, Path, description = "Token id")),
    responses(
        (status = 200, description = "The revoked token", body = Object),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not yours to revoke", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such token", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    let info = state
        .gateway
        .revoke_token(&caller.identity, id)
        .await
        // The gateway audits each of its refusals here.
        .map_err(|e| gateway_problem("revoking a token", e).audited())?;
    Ok(Json(info).into_response())
}
