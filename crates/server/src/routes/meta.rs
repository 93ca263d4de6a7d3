//! `/healthz`: no authentication and no details (it says the process answers, nothing more).

/// Liveness: answers `ok` while the server runs.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The server is up", body = String, content_type = "text/plain"))
)]
pub async fn healthz() -> &'static str {
    "ok"
}
