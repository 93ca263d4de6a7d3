//! One module per subcommand (or family of subcommands).

pub(crate) mod approver;
mod approver_remote;
mod audit;
mod check;
mod exec;
pub(crate) mod hook;
mod init;
mod policy;
mod serve;
mod token;

use crate::cli::{Cli, Command};
use crate::exit::Exit;
use assent_gateway::{Gateway, Locations};

pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    let loc = Locations::from_env(cli.home.as_deref());
    match cli.command {
        Command::Check(args) => check::run(&loc, args),
        Command::Init(args) => init::run(&loc, args),
        Command::Policy { command } => policy::run(&loc, command),
        Command::Hook { command } => Ok(hook::run(&loc, command)),
        Command::Exec(args) => exec::run(&loc, args),
        Command::Audit { command } => audit::run(&loc, command),
        Command::Serve(args) => serve::run(&loc, args),
        Command::Token { command } => token::run(&loc, command),
        other => approver::run(&loc, other),
    }
}

/// A single-threaded runtime: every store call is async (sqlx), nothing here needs more.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?)
}

/// Opens the gateway for the approver and audit commands.
pub async fn open(loc: &Locations) -> anyhow::Result<Gateway> {
    Gateway::open(loc, None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}
