//! `assent serve`: the HTTP API over one [`Gateway`], as a library.
//!
//! [`app`] builds the whole router from an [`AppState`]; [`serve`] runs it on a TCP address
//! and a Unix socket until a shutdown signal. `main` (the CLI's `serve` command) only parses
//! flags and opens the gateway, so tests drive the very same router in-process.
//!
//! Layout: `routes/<area>.rs` one file per area (each adds its routes to [`api`] with one
//! line), `auth.rs` the [`auth::Caller`] extractor, `problem.rs` RFC 9457 errors,
//! `openapi.rs` the generated document, `limits.rs` rates, sizes and time limits.
//!
//! Never: decide anything itself (the gateway does), read a principal from anything but a
//! token, or answer an error in any shape but problem+json.

pub mod auth;
pub mod console;
pub mod extract;
pub mod limits;
pub mod openapi;
pub mod problem;
pub mod routes;

use assent_gateway::Gateway;
use axum::http::StatusCode;
use axum::Router;
use limits::{Limits, RateLimits};
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::watch;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub gateway: Arc<Gateway>,
    pub limits: Arc<Limits>,
    pub rates: Arc<RateLimits>,
    /// Turns true when the server begins shutting down: long-polls and streams end then.
    pub shutdown: watch::Receiver<bool>,
    shutdown_tx: Arc<watch::Sender<bool>>,
    /// Console sessions (cookie → token), in memory only.
    pub console: Arc<console::Sessions>,
}

impl AppState {
    pub fn new(gateway: Arc<Gateway>) -> AppState {
        AppState::with_limits(gateway, Limits::default())
    }

    pub fn with_limits(gateway: Arc<Gateway>, limits: Limits) -> AppState {
        let (tx, rx) = watch::channel(false);
        AppState {
            gateway,
            rates: Arc::new(RateLimits::new(&limits)),
            limits: Arc::new(limits),
            shutdown: rx,
            shutdown_tx: Arc::new(tx),
            console: Arc::new(console::Sessions::new(false)),
        }
    }

    /// Tells long-polls and streams to end (the server is going away).
    pub fn begin_shutdown(&self) {
        let _ = self.shutdown_tx.send(true);
    }
}

/// Every route with a time limit, registered with its OpenAPI entry. Add a line per route
/// (or `.merge(routes::<area>::router())`) here.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(routes::meta::healthz))
        .routes(routes!(openapi::openapi_json))
        .merge(routes::policy::router())
}

/// The whole application: the API, problem+json for every error, and the limits.
pub fn app(state: AppState) -> Router {
    let (api, _doc) = api().split_for_parts();
    let limits = state.limits.clone();
    api.layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        limits.request_timeout,
    ))
    .merge(console::router().layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        limits.request_timeout,
    )))
    .fallback(problem::no_route)
    .layer(RequestBodyLimitLayer::new(limits.max_body))
    .layer(axum::extract::DefaultBodyLimit::max(limits.max_body))
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        auth::address_limit,
    ))
    .layer(axum::middleware::from_fn(problem::ensure_problem_json))
    .with_state(state)
}

/// Where to listen.
#[derive(Debug, Clone)]
pub struct Listen {
    pub tcp: Option<SocketAddr>,
    /// The Unix socket for local front ends (`$ASSENT_HOME/assent.sock`), mode 0600.
    pub socket: Option<PathBuf>,
}

/// Serves until `shutdown` completes, then stops accepting, tells long-polls and streams
/// to end, and waits for requests in flight.
pub async fn serve(
    state: AppState,
    listen: Listen,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = app(state.clone());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    if let Some(addr) = listen.tcp {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        eprintln!(
            "assent serve: listening on http://{}",
            listener.local_addr()?
        );
        let svc = router
            .clone()
            .into_make_service_with_connect_info::<SocketAddr>();
        let mut stop = stop_rx.clone();
        tasks.spawn(async move {
            axum::serve(listener, svc)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await
        });
    }
    let mut socket_path = None;
    if let Some(path) = &listen.socket {
        let listener = bind_socket(path)?;
        eprintln!("assent serve: listening on {}", path.display());
        socket_path = Some(path.clone());
        let svc = router.clone().into_make_service();
        let mut stop = stop_rx.clone();
        tasks.spawn(async move {
            axum::serve(listener, svc)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await
        });
    }
    if tasks.is_empty() {
        return Err(std::io::Error::other("nothing to listen on"));
    }
    // Either a listener fails or the shutdown signal comes.
    let first = tokio::select! {
        r = tasks.join_next() => Some(r),
        _ = shutdown => None,
    };
    eprintln!("assent serve: shutting down");
    state.begin_shutdown();
    let _ = stop_tx.send(true);
    let mut result = Ok(());
    if let Some(Some(Ok(Err(e)))) = first {
        result = Err(e);
    }
    while let Some(r) = tasks.join_next().await {
        if let Ok(Err(e)) = r {
            result = Err(e);
        }
    }
    if let Some(p) = socket_path {
        let _ = std::fs::remove_file(p);
    }
    state.gateway.close().await;
    result
}

/// Binds the Unix socket with mode 0600 from the first moment: bound under a temporary name,
/// restricted, then renamed into place. A live socket at the path (another server) is an
/// error; a stale one is replaced.
fn bind_socket(path: &Path) -> std::io::Result<tokio::net::UnixListener> {
    use std::os::unix::fs::PermissionsExt;
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                format!("another server is listening on {}", path.display()),
            ));
        }
        std::fs::remove_file(path)?;
    }
    let tmp = path.with_extension(format!("sock.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let listener = tokio::net::UnixListener::bind(&tmp)?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    std::fs::rename(&tmp, path)?;
    Ok(listener)
}

/// Completes on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    match (term, int) {
        (Ok(mut t), Ok(mut i)) => {
            tokio::select! {
                _ = t.recv() => {}
                _ = i.recv() => {}
            }
        }
        // Without signal handlers the process still stops on them (default action).
        _ => std::future::pending::<()>().await,
    }
}
