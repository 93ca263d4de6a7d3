//! The command-line definition. Validation happens here, before anything is touched.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Exit codes: 0 ok · 1 error · 2 usage · 3 policy invalid · 65 audit chain broken ·
77 exec denied · 78 exec timed out (otherwise exec returns the command's own status).

Assent's home is --home, else $ASSENT_HOME, else ~/.assent.";

#[derive(Debug, Parser)]
#[command(name = "assent", version, about = "Approval gateway for AI agents", after_help = AFTER_HELP)]
pub struct Cli {
    /// Assent's home directory (policy, database). Default: $ASSENT_HOME or ~/.assent.
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decide actions read from stdin (one JSON object per line); print one decision per line.
    ///
    /// Input lines are canonical actions or Claude Code hook input. Nothing is created and
    /// nothing waits. A bad line prints {"error": ...} and processing goes on.
    Check(CheckArgs),
    /// Write the default policy and a starter assent.toml into Assent's home.
    Init(InitArgs),
    /// Validate, show, list and roll back policies.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Policy directory (*.cedar + assent.toml) or a single .cedar file. Default: the shipped
    /// default policy.
    #[arg(long, value_name = "DIR|FILE")]
    pub policy: Option<PathBuf>,
    /// Principal the actions come from. Default: the local agent named in assent.toml.
    #[arg(long, value_name = "NAME")]
    pub principal: Option<String>,
    /// Print every fact, not only the ones that mattered.
    #[arg(long)]
    pub explain: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Overwrite existing policy files.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate a policy directory or file (schema-strict); explain errors with file and line.
    Check {
        /// Policy directory or .cedar file. Default: the policy in Assent's home.
        path: Option<PathBuf>,
    },
    /// Print a policy.
    Show {
        /// Print the shipped default policy.
        #[arg(long)]
        default: bool,
        /// Policy directory or file to show. Default: the policy in Assent's home.
        path: Option<PathBuf>,
    },
}
