//! Analyzers: from a canonical [`Action`] to the [`Facts`] policy decides on.
//!
//! Owns the shell parse (through `brush-parser`, used by no other crate), path normalisation
//! and classification, environment-variable protection and the hidden-text scan of every
//! string in the input.
//!
//! The rule every analyzer follows: what is not understood is recorded as not understood
//! (`parsed = false`) and can never produce `read_only = true`. The only I/O here is reading
//! symlinks of paths that exist (so that a link inside the workspace pointing outside is
//! outside) and, for `kill PID`, the name of that process; both can be switched off.

mod client_tools;
mod config;
mod env;
mod filecache;
mod fsmemo;
mod glob_meet;
mod paths;
mod secrets;
mod shell;
mod tools;
mod view;

pub use config::{AnalyzerConfig, ConfigError};
pub use env::EnvMatcher;
pub use paths::PathClass;
pub use shell::{allowlist_catalog, OptionInfo, ProgramInfo};

use assent_core::{Action, Facts, Kind};

/// Tools whose shell this crate models: Claude Code's Bash, and `exec`, Assent's own
/// executor (`assent exec`), which runs exactly the command it was decided on.
const SHELL_TOOLS: &[&str] = &["Bash", "exec"];

/// A compiled analyzer: build once from configuration, reuse for every action.
#[derive(Debug, Clone)]
pub struct Analyzer {
    cfg: config::Compiled,
}

impl Analyzer {
    pub fn new(cfg: &AnalyzerConfig) -> Result<Analyzer, ConfigError> {
        Ok(Analyzer {
            cfg: config::Compiled::new(cfg)?,
        })
    }

    /// What a path named in facts is (secret, guard, inside the workspace of `cwd`), for
    /// explaining a decision to a person.
    pub fn classify_path(&self, path: &str, cwd: Option<&str>) -> PathClass {
        paths::PathCtx::new(&self.cfg, cwd).classify_literal_path(&self.cfg, path)
    }

    /// The user's home directory, as configured (for showing paths as `~/…`).
    pub fn home(&self) -> &std::path::Path {
        &self.cfg.home
    }

    /// Extracts the facts of `action`. Never fails: whatever cannot be analysed is recorded
    /// as not understood.
    pub fn analyze(&self, action: &Action) -> Facts {
        let _memo = fsmemo::decision();
        let mut facts = Facts {
            tool: action.tool.clone(),
            kind: action.kind.as_str().to_string(),
            session: action.session.clone().unwrap_or_default(),
            parsed: true,
            read_only: false,
            ..Facts::default()
        };
        let ctx = paths::PathCtx::new(&self.cfg, action.cwd.as_deref());
        match action.kind {
            Kind::Shell => {
                match action.input_str("command") {
                    Some(cmd) => {
                        shell::analyze(&self.cfg, &ctx, cmd, &mut facts);
                        // A network program's literal arguments leave the machine: a
                        // credential in them (`curl -H 'Authorization: Bearer …'`) is sent.
                        if facts.network {
                            for kind in secrets::find(cmd) {
                                facts.credential_outbound.insert(kind.to_string());
                            }
                        }
                    }
                    None => facts.not_understood("shell action without a string `command`"),
                }
                // The read-only shell allowlist models the agent shells this crate knows; a
                // tool this crate does not know, labelled `shell` by its caller, may run the
                // command anywhere and anyhow: its `kind` never buys a more permissive reading.
                if !SHELL_TOOLS.contains(&action.tool.as_str()) {
                    facts.read_only = false;
                }
                // Fields an executor might honour beside the command (`cwd`, `env`, `argv`,
                // `shell`) change what runs: only Claude Code's Bash fields are understood.
                const SHELL_KEYS: &[&str] =
                    &["command", "description", "timeout", "run_in_background"];
                if let Some(obj) = action.input.as_object() {
                    if let Some(k) = obj.keys().find(|k| !SHELL_KEYS.contains(&k.as_str())) {
                        facts.not_understood(format!(
                            "shell input has a field `{}` that is not understood",
                            assent_core::text::escape_line(k)
                        ));
                    }
                }
            }
            _ => tools::analyze(&self.cfg, &ctx, action, &mut facts),
        }
        if facts.network && action.kind == Kind::CodeExec {
            tools::outbound_credentials(&action.input, &mut facts);
        }
        scan_hidden(&action.input, &mut facts);
        if let Some(summary) = &action.summary {
            let hidden = assent_core::text::scan(summary);
            if !hidden.is_empty() {
                facts.hidden_text = true;
                facts
                    .hidden_notes
                    .extend(hidden.notes.into_iter().map(|n| format!("summary: {n}")));
            }
        }
        if facts.hidden_text || !facts.parsed {
            facts.read_only = false;
        }
        facts
    }
}

fn scan_hidden(v: &serde_json::Value, facts: &mut Facts) {
    use serde_json::Value;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => {
                let hidden = assent_core::text::scan(s);
                if !hidden.is_empty() {
                    facts.hidden_text = true;
                    for n in hidden.notes {
                        if !facts.hidden_notes.contains(&n) && facts.hidden_notes.len() < 16 {
                            facts.hidden_notes.push(n);
                        }
                    }
                }
            }
            Value::Array(a) => stack.extend(a.iter()),
            Value::Object(o) => {
                for (k, x) in o {
                    if !assent_core::text::scan(k).is_empty() {
                        facts.hidden_text = true;
                        facts
                            .hidden_notes
                            .push("hidden characters in a field name".into());
                    }
                    stack.push(x);
                }
            }
            _ => {}
        }
    }
}
