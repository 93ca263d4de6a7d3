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
pub mod hub;
pub mod limits;
pub mod openapi;
pub mod problem;
pub mod routes;

use assent_gateway::Gateway;
use axum::http::StatusCode;
use axum::Router;
use hub::Hub;
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
    /// Waiters by request and the live event stream.
    pub hub: Arc<Hub>,
    /// Turns true when the server begins shutting down: long-polls and streams end then.
    pub shutdown: watch::Receiver<bool>,
    shutdown_tx: Arc<watch::Sender<bool>>,
    /// Console sessions (cookie → token), in memory only.
    pub console: Arc<console::Sessions>,
    /// Answers `POST /v1/hook/claude-code` (the CLI provides it: it owns the sandbox
    /// rewrite of an allowed Bash command); without one that route answers 503.
    pub hook: Option<Arc<dyn routes::hook::HookResponder>>,
}

impl AppState {
    pub fn new(gateway: Arc<Gateway>) -> AppState {
        AppState::with_limits(gateway, Limits::default())
    }

    /// The state, and (inside a Tokio runtime) the background tasks: the audit tail that
    /// wakes waiters and feeds live pages, the sweeper that applies due timeouts, and the
    /// watcher of the policy files (a valid edit is in force within a second, an invalid
    /// one is refused whole and audited). All end when the server shuts down.
    pub fn with_limits(gateway: Arc<Gateway>, limits: Limits) -> AppState {
        let (tx, rx) = watch::channel(false);
        let state = AppState {
            gateway,
            rates: Arc::new(RateLimits::new(&limits)),
            limits: Arc::new(limits),
            hub: Hub::new(),
            shutdown: rx,
            shutdown_tx: Arc::new(tx),
            console: Arc::new(console::Sessions::new(false)),
            hook: None,
        };
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(
                state
                    .hub
                    .clone()
                    .tail(state.gateway.clone(), state.shutdown.clone()),
            );
            rt.spawn(sweep(state.clone()));
            rt.spawn(watch_policy(state.clone()));
        }
        state
    }

    /// The same state, answering hook calls with `hook`.
    pub fn with_hook(mut self, hook: Arc<dyn routes::hook::HookResponder>) -> AppState {
        self.hook = Some(hook);
        self
    }

    /// Tells long-polls and streams to end (the server is going away).
    pub fn begin_shutdown(&self) {
        let _ = self.shutdown_tx.send(true);
    }
}

/// Watches the policy files until shutdown.
async fn watch_policy(state: AppState) {
    let mut stop = state.shutdown.clone();
    tokio::select! {
        _ = state.gateway.watch_policy(assent_gateway::WATCH_PERIOD) => {}
        _ = stop.wait_for(|s| *s) => {}
    }
}

/// Applies due timeouts to requests nobody waits on (a waiter applies its own request's at
/// its deadline); the audit tail then wakes whoever follows them.
async fn sweep(state: AppState) {
    let mut stop = state.shutdown.clone();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(SWEEP_PERIOD) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        match state.gateway.expire_due().await {
            Ok(n) if n > 0 => state.hub.poke(),
            Ok(_) => {}
            Err(e) => eprintln!("assent serve: applying timeouts: {e}"),
        }
    }
}

/// How often [`sweep`] runs.
const SWEEP_PERIOD: std::time::Duration = std::time::Duration::from_secs(5);

/// Every route with the ordinary time limit, each registered with its OpenAPI entry
/// (`utoipa_axum::routes!`). Add a line per area here.
pub fn timed_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(routes::meta::healthz))
        .routes(routes!(openapi::openapi_json))
        .merge(routes::requests::router())
        .merge(routes::grants::router())
        .merge(routes::audit::router())
        .merge(routes::identity::router())
        .merge(routes::policy::router())
}

/// Long-polls and event streams: each has its own limit (the caller's timeout capped by
/// `Limits::max_wait`, `Limits::max_stream`) instead of the ordinary one.
pub fn streaming_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(routes::requests::long_router())
        .merge(routes::live::long_router())
        .merge(routes::hook::long_router())
}

/// Every documented route: what `/v1/openapi.json` describes.
pub fn api() -> OpenApiRouter<AppState> {
    timed_routes().merge(streaming_routes())
}

/// The whole application: the API, problem+json for every error, and the limits.
pub fn app(state: AppState) -> Router {
    let (timed, _) = timed_routes().split_for_parts();
    let (streaming, _) = streaming_routes().split_for_parts();
    let limits = state.limits.clone();
    timed
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .merge(console::router().layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        )))
        .merge(streaming)
        .fallback(problem::no_route)
        .layer(RequestBodyLimitLayer::new(limits.max_body))
        .layer(axum::extract::DefaultBodyLimit::max(limits.max_body))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::audit_refusals,
        ))
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
