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
    /// Validate, show and list policies.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Run as an agent hook (reads the hook's JSON on stdin, answers on stdout).
    Hook {
        #[command(subcommand)]
        command: HookCommand,
    },
    /// List pending approval requests.
    Pending(ListArgs),
    /// Show everything about one request: who asks, exactly what would run, why it asks.
    Show {
        id: i64,
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// Approve a pending request.
    Approve {
        id: i64,
        /// Why (recorded in the audit log).
        #[arg(long)]
        reason: Option<String>,
        /// Leave a grant for the same action: `session` or a duration (`30m`, `1h`, `2d`).
        #[arg(long = "for", value_name = "session|DURATION")]
        grant: Option<String>,
        /// Check that the proven identity (ASSENT_TOKEN's principal, else the local approver
        /// in assent.toml) is NAME; a name never chooses who approves.
        #[arg(long = "as", value_name = "NAME")]
        as_: Option<String>,
    },
    /// Deny a pending request.
    Deny {
        id: i64,
        /// Why (recorded, and shown to the agent).
        #[arg(long)]
        reason: String,
        #[arg(long = "as", value_name = "NAME")]
        as_: Option<String>,
    },
    /// Show each new request as it arrives and answer it: a (approve), d (deny), s (skip).
    Watch {
        #[arg(long = "as", value_name = "NAME")]
        as_: Option<String>,
    },
    /// List grants left by "ask once" approvals.
    Grants {
        /// Include expired and revoked grants.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// Revoke a grant.
    Revoke {
        grant: i64,
        #[arg(long = "as", value_name = "NAME")]
        as_: Option<String>,
    },
    /// Create, list and revoke bearer tokens (the identities a server and ASSENT_TOKEN use).
    ///
    /// Without ASSENT_TOKEN this acts as the local administrator (whoever can open this
    /// database); with it, as that token's principal, under the delegation rules.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Query, export and verify the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Run a command only if policy allows it or a person approves it, with secrets scrubbed
    /// from its environment.
    Exec(ExecArgs),
    /// Run the server: the HTTP API on --listen and on the Unix socket ASSENT_HOME/assent.sock.
    ///
    /// Every caller authenticates with a bearer token (`assent token create`). Stops cleanly
    /// on SIGTERM or SIGINT; pending requests stay pending across a restart.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TCP address to listen on (`none` for the Unix socket only).
    #[arg(long, default_value = "127.0.0.1:8470", value_name = "ADDR:PORT")]
    pub listen: String,
    /// The database: a SQLite file path or `sqlite:PATH` (default: ASSENT_HOME/assent.db).
    #[arg(long, value_name = "URL|PATH")]
    pub database: Option<String>,
    /// Policy directory (default: ASSENT_HOME/policy, else the shipped default).
    #[arg(long, value_name = "DIR")]
    pub policy: Option<PathBuf>,
    /// Post a notice of each new request and each decision to URL (repeatable; https, or http
    /// to a loopback address). JSON bodies are signed with the key in ASSENT_WEBHOOK_SECRET
    /// (docs/webhooks.md); `[[webhooks]]` in assent.toml adds more.
    #[arg(long = "webhook", value_name = "URL")]
    pub webhooks: Vec<String>,
    /// The body of --webhook notices: `json` (signed) or `slack` (a Slack message).
    #[arg(long, default_value = "json", value_parser = ["json", "slack"])]
    pub webhook_format: String,
    /// Do not open the Unix socket ASSENT_HOME/assent.sock.
    #[arg(long)]
    pub no_socket: bool,
    /// Requests per second one principal may make (bursts of twice that).
    #[arg(long, default_value_t = 200.0, value_name = "N")]
    pub rate_principal: f64,
    /// Requests per second one client address may make (bursts of twice that); the Unix
    /// socket counts as one address.
    #[arg(long, default_value_t = 500.0, value_name = "N")]
    pub rate_address: f64,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Mint a token for a principal. The token is printed once, on stdout; only its SHA-256
    /// is kept.
    Create {
        /// The principal the token proves (configured in assent.toml).
        #[arg(long)]
        principal: String,
        /// Lifetime: 30s, 15m, 12h, 30d (at most 366d).
        #[arg(long, default_value = "30d")]
        ttl: String,
        /// A note for listings (where the token is used).
        #[arg(long, default_value = "")]
        label: String,
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// List tokens (never the tokens themselves).
    List {
        /// Include expired and revoked tokens.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// Revoke a token, and every token minted with it.
    Revoke { id: i64 },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Claude Code PreToolUse hook. Waits for approval on `ask`; always answers allow or deny
    /// (as JSON on stdout) before --max-wait; denies on every error.
    ClaudeCode {
        /// Longest wait for a person, in seconds. Set the hook's `timeout` in
        /// .claude/settings.json above this (assent init --claude-code does).
        #[arg(long, default_value_t = crate::cmd::hook::DEFAULT_MAX_WAIT)]
        max_wait: u64,
        /// Principal the agent acts as (default: the local agent in assent.toml).
        #[arg(long)]
        principal: Option<String>,
        /// Policy directory (default: ASSENT_HOME/policy, else the shipped default).
        #[arg(long)]
        policy: Option<PathBuf>,
        /// Internal: decide in this process. Without it, the hook runs the decision in a
        /// child process and turns any crash of that child into deny.
        #[arg(long, hide = true)]
        worker: bool,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum AuditFormat {
    Table,
    Jsonl,
    Csv,
    Ocsf,
}

#[derive(Debug, Args, Clone)]
pub struct AuditFilter {
    /// Events at or after this time (RFC 3339, or an age such as 30m, 2h, 7d).
    #[arg(long)]
    pub since: Option<String>,
    /// Events at or before this time (RFC 3339, or an age).
    #[arg(long)]
    pub until: Option<String>,
    #[arg(long)]
    pub principal: Option<String>,
    #[arg(long)]
    pub kind: Option<String>,
    #[arg(long)]
    pub decision: Option<String>,
    #[arg(long)]
    pub severity: Option<String>,
    /// Events of one approval request.
    #[arg(long)]
    pub request: Option<i64>,
    /// Events of one type (request, decision, approval, denial, expiry, ...).
    #[arg(long)]
    pub event: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print matching events (a table by default).
    Query {
        #[command(flatten)]
        filter: AuditFilter,
        #[arg(long, value_enum, default_value = "table")]
        format: AuditFormat,
        #[arg(long, default_value_t = 1000)]
        limit: i64,
    },
    /// Export events as JSON Lines, CSV (formula-injection safe) or OCSF-shaped JSON.
    Export {
        #[command(flatten)]
        filter: AuditFilter,
        #[arg(long, value_enum)]
        format: AuditFormat,
        /// Write here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Walk the hash chain; exit 65 and name the first bad event if it is broken.
    Verify,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Action kind (default: shell).
    #[arg(long, default_value = "shell")]
    pub kind: String,
    /// Longest wait for a person, in seconds.
    #[arg(long, default_value_t = 300)]
    pub max_wait: u64,
    #[arg(long)]
    pub principal: Option<String>,
    /// Keep these variables even though they look secret (repeatable).
    #[arg(long = "keep-env", value_name = "NAME")]
    pub keep_env: Vec<String>,
    /// Run the command in the sandbox: a read-only view of the workspace with secrets and
    /// guard paths masked, the system's programs, a private /tmp, an empty home, no network.
    #[arg(long)]
    pub sandbox: bool,
    /// Let the sandboxed command use the network.
    #[arg(long, requires = "sandbox")]
    pub allow_network: bool,
    /// Show control characters in the command's output as visible escapes (`\x1b`).
    #[arg(long)]
    pub escape_output: bool,
    /// Internal: a decision the hook already made for exactly this command.
    #[arg(long, hide = true, requires = "sandbox", value_name = "ID")]
    pub ticket: Option<String>,
    /// The command and its arguments.
    #[arg(last = true, required = true)]
    pub argv: Vec<String>,
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
    /// Internal: answer lines in this process. Without it, lines are answered by a child
    /// process that is restarted when it crashes, so no line goes unanswered.
    #[arg(long, hide = true)]
    pub worker: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Overwrite existing policy files.
    #[arg(long)]
    pub force: bool,
    /// Print the Claude Code hook configuration (or merge it into --settings FILE).
    #[arg(long)]
    pub claude_code: bool,
    /// A Claude Code settings file to merge the hook into (created if missing).
    #[arg(long, requires = "claude_code")]
    pub settings: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate a policy directory or file without activating it (schema-strict); explain
    /// errors with file and line.
    #[command(alias = "check")]
    Validate {
        /// Policy directory or .cedar file. Default: the policy in Assent's home.
        path: Option<PathBuf>,
    },
    /// Make a candidate policy (a directory of *.cedar + assent.toml, or one .cedar file) the
    /// active version: validated, written into Assent's home, recorded and audited.
    Activate {
        /// The candidate's directory or .cedar file.
        path: PathBuf,
        /// The version you read (`assent policy show`); refused if another version is active
        /// by now. Default: the version active when this command starts.
        #[arg(long, value_name = "N")]
        expected_version: Option<i64>,
        /// Why (recorded with the version).
        #[arg(long)]
        note: Option<String>,
        /// Check that the proven identity (ASSENT_TOKEN's principal, else the local approver) is NAME.
        #[arg(long = "as", value_name = "NAME")]
        as_: Option<String>,
    },
    /// List every policy version recorded in the store (newest last, `*` = active).
    History {
        #[arg(long)]
        json: bool,
    },
    /// Unified diff between two recorded versions (TO default: the active one).
    Diff { from: i64, to: Option<i64> },
    /// Make a recorded version's text active again, as a new version.
    Rollback {
        /// The version to restore (see `assent policy history`).
        version: i64,
        /// The version you read; refused if another version is active by now. Default: the
        /// version active when this command starts.
        #[arg(long, value_name = "N")]
        expected_version: Option<i64>,
        /// Check that the proven identity (ASSENT_TOKEN's principal, else the local approver) is NAME.
        #[arg(long = "as", value_name = "NAME")]
        as_: Option<String>,
    },
    /// Show the active policy version (who activated it, when, any refused edit) and its files.
    Show {
        /// Print the shipped default policy.
        #[arg(long)]
        default: bool,
        /// Print a recorded version instead of the active one.
        #[arg(long, value_name = "N")]
        version: Option<i64>,
        /// The active version as JSON (what `GET /v1/policy` answers).
        #[arg(long)]
        json: bool,
        /// Print the files of this policy directory or file instead.
        path: Option<PathBuf>,
    },
}
