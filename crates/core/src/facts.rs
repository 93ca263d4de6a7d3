//! Facts: what the analyzers extract from an action before policy sees it.
//!
//! Every field always has a value (empty set, `false`, empty string) so that policies never
//! need `has` checks and a missing fact can never read as "safe". Each field is documented with
//! the question it answers; the policy context is built field by field from this struct.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Facts {
    // --- the action itself
    pub tool: String,
    pub kind: String,
    pub session: String,

    // --- shell
    /// Every program that would run, resolved as the shell would (`/bin/rm`, `\rm`, `r''m` → `rm`).
    pub programs: BTreeSet<String>,
    /// Program plus first non-option argument for every command (`git push`, `npm install`).
    pub subcommands: BTreeSet<String>,
    /// The whole input was parsed and every part of it understood.
    pub parsed: bool,
    /// Human notes on what could not be understood.
    pub unparsed: Vec<String>,
    /// Every command is on the read-only allowlist in a read-only form, reads only inside the
    /// workspace, writes nothing, and nothing about it is dynamic.
    pub read_only: bool,
    /// A program name or argument is built from an expansion whose value is unknown here.
    pub dynamic: bool,
    /// Command, process or arithmetic substitution appears somewhere.
    pub substitution: bool,
    /// A wrapper (`sudo`, `env`, `xargs`, `bash -c`, `eval`, `find -exec`, …) runs something.
    pub wrapper: bool,
    /// An interpreter runs code given inline (`python -c`, `node -e`, `awk '…system…'`).
    pub inline_eval: bool,
    /// A redirection writes to a file (not `/dev/null`).
    pub writes_redirect: bool,
    /// Any command deletes, overwrites or rewrites history (`rm`, `git reset --hard`, `dd`, …).
    pub destructive: bool,
    /// Any command talks to the network (`curl`, `wget`, `ssh`, `git push`, …).
    pub network: bool,
    /// Any command gains privilege (`sudo`, `su`, `doas`, `pkexec`).
    pub privileged: bool,

    // --- paths
    /// Every path the action reads or writes, normalised and absolute.
    pub paths: BTreeSet<String>,
    /// Paths written, created, moved or deleted.
    pub write_paths: BTreeSet<String>,
    /// Some path lies outside every workspace root.
    pub outside_workspace: bool,
    /// Some secret (`.env`, `~/.ssh/**`, `*.pem`, …) would be read, copied or sent.
    pub secret_read: bool,
    /// Some secret is named, even by a command that only lists or tests it.
    pub secret_mention: bool,
    /// The action would change Assent itself or the agent's hook configuration: its home,
    /// policy, database, `.claude/settings*.json`, `~/.claude.json`, or its processes.
    pub guard_tamper: bool,
    /// Kinds of live-looking credentials (`GitHub token`, `private key`; never the values) that
    /// an outgoing request would carry: a WebFetch URL, a search query, MCP arguments, a
    /// network program's arguments.
    pub credential_outbound: BTreeSet<String>,

    // --- environment
    /// The whole environment would be printed (`env`, `printenv`, `set`, `export -p`).
    pub env_dump: bool,
    /// Protected variables whose value would be read.
    pub env_read: BTreeSet<String>,
    /// Protected variables that would be set, exported, unset or overridden.
    pub env_write: BTreeSet<String>,
    /// Some variable (protected or not) would be changed.
    pub env_change: bool,

    // --- text shown to people
    /// Hidden or misleading characters: ANSI escapes, control, zero-width, bidi, look-alikes.
    pub hidden_text: bool,
    pub hidden_notes: Vec<String>,

    // --- network, MCP, GUI, payments
    pub hosts: BTreeSet<String>,
    pub mcp_server: String,
    pub mcp_tool: String,
    pub gui_action: String,
    /// Amount in minor units (cents) for payments; 0 when absent.
    pub amount_minor: i64,
    pub currency: String,
}

impl Facts {
    /// Records that something could not be understood. Anything not understood is not allowed.
    pub fn not_understood(&mut self, note: impl Into<String>) {
        self.parsed = false;
        self.read_only = false;
        let note = note.into();
        if !self.unparsed.contains(&note) && self.unparsed.len() < 32 {
            self.unparsed.push(note);
        }
    }

    /// The facts that explain a decision, for compact output: every flag that is set and
    /// every non-empty set.
    pub fn salient(&self) -> serde_json::Value {
        let full = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        let mut out = serde_json::Map::new();
        if let serde_json::Value::Object(map) = full {
            for (k, v) in map {
                let keep = match &v {
                    serde_json::Value::Bool(b) => *b || k == "parsed" || k == "read_only",
                    serde_json::Value::Array(a) => !a.is_empty(),
                    serde_json::Value::String(s) => {
                        !s.is_empty() && !matches!(k.as_str(), "tool" | "kind" | "session")
                    }
                    serde_json::Value::Number(n) => n.as_i64() != Some(0),
                    _ => false,
                };
                if keep {
                    out.insert(k, v);
                }
            }
        }
        serde_json::Value::Object(out)
    }
}
