//! `assent serve`: opens the gateway and runs `assent_server` until SIGTERM or SIGINT.

use crate::cli::ServeArgs;
use crate::exit::Exit;
use assent_gateway::{Gateway, Locations};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub fn run(loc: &Locations, args: ServeArgs) -> anyhow::Result<Exit> {
    let tcp: Option<SocketAddr> = match args.listen.as_str() {
        "none" => None,
        a => Some(a.parse().map_err(|_| {
            anyhow::anyhow!("--listen `{a}` is not an address like 127.0.0.1:8470")
        })?),
    };
    let home_db = assent_gateway::db_path(&loc.assent_home);
    if let Some(db) = &args.database {
        let path = PathBuf::from(db.strip_prefix("sqlite:").unwrap_or(db));
        if db.starts_with("postgres:") || db.starts_with("postgresql:") {
            anyhow::bail!("PostgreSQL is not supported yet; use the embedded SQLite database");
        }
        let same = match (
            std::fs::canonicalize(&path),
            std::fs::canonicalize(&home_db),
        ) {
            (Ok(a), Ok(b)) => a == b,
            _ => path == home_db,
        };
        if !same {
            anyhow::bail!(
                "--database must be this home's database ({}) for now; use --home to pick another",
                home_db.display()
            );
        }
    }
    for (flag, n) in [
        ("--rate-principal", args.rate_principal),
        ("--rate-address", args.rate_address),
    ] {
        if !(n.is_finite() && n > 0.0) {
            anyhow::bail!("{flag} must be a positive number of requests per second");
        }
    }
    let socket = (!args.no_socket).then(|| loc.assent_home.join("assent.sock"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        // Files that do not load leave the last good version serving (the refusal is audited
        // and shown by GET /v1/policy); the server's watcher puts valid edits in force within a second.
        let gateway = Arc::new(
            Gateway::open_serving(loc, args.policy.as_deref())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        );
        if let Some(r) = gateway.active_policy().await?.last_rejected {
            eprintln!(
                "assent serve: the policy files are rejected, version {} serves: {}",
                gateway.policy().version,
                r.error
            );
        }
        let rate = |n: f64| assent_server::limits::Rate {
            per_second: n,
            burst: n * 2.0,
        };
        let limits = assent_server::limits::Limits {
            principal_rate: rate(args.rate_principal),
            address_rate: rate(args.rate_address),
            ..Default::default()
        };
        let _webhooks = assent_notify::Webhooks::for_serve(
            Arc::clone(&gateway),
            &args.webhooks,
            &args.webhook_format,
        )
        .map_err(|e| anyhow::anyhow!("--webhook: {e}"))?;
        let state = assent_server::AppState::with_limits(gateway, limits)
            .with_hook(Arc::new(super::hook::ServerHook { loc: loc.clone() }));
        assent_server::serve(
            state,
            assent_server::Listen { tcp, socket },
            assent_server::shutdown_signal(),
        )
        .await?;
        Ok(Exit::Ok)
    })
}
