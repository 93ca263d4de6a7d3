//! One module per subcommand.

mod check;
mod init;
mod policy;

use crate::cli::{Cli, Command};
use crate::exit::Exit;
use assent_gateway::Locations;

pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    let loc = Locations::from_env(cli.home.as_deref());
    match cli.command {
        Command::Check(args) => check::run(&loc, args),
        Command::Init(args) => init::run(&loc, args),
        Command::Policy { command } => policy::run(&loc, command),
    }
}
