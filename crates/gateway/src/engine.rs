//! Adapt, analyse, decide: no state, no I/O beyond what the analyzers document.

use assent_adapters::Adapted;
use assent_analyze::{Analyzer, AnalyzerConfig};
use assent_core::{Action, Decision, Facts, Principal};
use assent_policy::Policy;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Everything known about one action once it has been decided.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub action: Action,
    pub digest: String,
    pub facts: Facts,
    pub decision: Decision,
    /// The requesting principal followed by its ancestors.
    pub chain: Vec<Principal>,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("invalid analyzer settings: {0}")]
    Analyzer(String),
}

/// Policy plus analyzer, built once per policy version.
#[derive(Debug, Clone)]
pub struct Engine {
    pub policy: Arc<Policy>,
    analyzer: Analyzer,
}

/// Where things are on this machine: the user's home, Assent's home, and any extra paths
/// the agent must not change (a policy directory outside Assent's home).
#[derive(Debug, Clone)]
pub struct Locations {
    pub home: PathBuf,
    pub assent_home: PathBuf,
    pub extra_guards: Vec<PathBuf>,
}

impl Engine {
    pub fn new(policy: Policy, loc: &Locations) -> Result<Engine, EngineError> {
        Self::with_symlinks(policy, loc, true)
    }

    /// `resolve_symlinks = false` only for benchmarks and pure tests.
    pub fn with_symlinks(
        policy: Policy,
        loc: &Locations,
        resolve_symlinks: bool,
    ) -> Result<Engine, EngineError> {
        let s = &policy.settings;
        let mut cfg = AnalyzerConfig::defaults(loc.home.clone(), loc.assent_home.clone());
        cfg.workspace_roots = s.workspace.roots.iter().map(PathBuf::from).collect();
        cfg.secret_patterns.extend(s.secrets.extra.iter().cloned());
        cfg.secret_exceptions = s.secrets.exceptions.clone();
        cfg.protected_env = s.env.protected.clone();
        cfg.guard_paths.extend(s.guard.extra.iter().cloned());
        for g in &loc.extra_guards {
            cfg.guard_paths.push(g.display().to_string());
            cfg.guard_paths.push(format!("{}/**", g.display()));
        }
        cfg.resolve_symlinks = resolve_symlinks;
        let analyzer = Analyzer::new(&cfg).map_err(|e| EngineError::Analyzer(e.to_string()))?;
        Ok(Engine {
            policy: Arc::new(policy),
            analyzer,
        })
    }

    /// The delegation chain for a request from `principal` (a configured name), narrowed to
    /// a subagent when the front end reports one.
    pub fn chain(&self, principal: &str, subagent: Option<&str>) -> Result<Vec<Principal>, String> {
        let dir = &self.policy.directory;
        match subagent {
            Some(sub) => dir
                .chain_with_subagent(principal, &format!("{principal}/{sub}"))
                .map_err(|e| e.to_string()),
            None => dir.chain(principal).map_err(|e| e.to_string()),
        }
    }

    /// Analyses and decides. Never fails: every problem becomes a deny with a reason.
    pub fn evaluate(&self, adapted: &Adapted, principal: &str) -> Evaluation {
        let action = adapted.action.clone();
        let digest = action.digest();
        let facts = self.analyzer.analyze(&action);
        let version = self.policy.version;
        let (chain, decision) = match self.chain(principal, adapted.subagent.as_deref()) {
            Ok(chain) => {
                let mut d = self.policy.decide(&chain, action.kind, &facts);
                if d.rules.iter().any(|r| r == "credential-outbound") {
                    // Name what was found (the analyzer's rule names, never the values).
                    let kinds: Vec<&str> = facts
                        .credential_outbound
                        .iter()
                        .map(String::as_str)
                        .collect();
                    d.reason = format!("{} (found: {})", d.reason, kinds.join(", "));
                }
                (chain, d)
            }
            Err(e) => (
                Vec::new(),
                Decision::fail_closed(
                    "unknown-principal",
                    format!("{e}; add it to assent.toml"),
                    version,
                ),
            ),
        };
        Evaluation {
            action,
            digest,
            facts,
            decision,
            chain,
        }
    }

    /// The analyzer itself, for the sandbox's view of the workspace.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The analyzer alone, for tools that only want facts.
    pub fn analyze(&self, action: &Action) -> Facts {
        self.analyzer.analyze(action)
    }
}

/// Directories that hold the system's own programs: a PATH entry before the first of them can
/// shadow any program (or the hook) by name.
const SYSTEM_BIN_DIRS: &[&str] = &["/usr/bin", "/bin", "/usr/sbin", "/sbin"];

/// What under Claude Code's configuration directory changes what runs: settings (hooks),
/// the shell snapshot and session-env scripts sourced before every Bash command, skills,
/// agents, commands, plugins and hooks (names checked against the 2.1.197 CLI).
const CLAUDE_CONFIG_GUARDS: &[&str] = &[
    "settings.json",
    "settings.local.json",
    ".claude.json",
    "shell-snapshots",
    "session-env",
    "skills",
    "agents",
    "commands",
    "plugins",
    "hooks",
];

/// The small hook binary's file name, installed beside `assent`.
pub const HOOK_BINARY: &str = "assent-hook";

impl Locations {
    /// From the environment: `$HOME`, and `$ASSENT_HOME` or `~/.assent` (made absolute: a
    /// relative home would follow whatever directory the hook runs in), plus the guard's
    /// perimeter (see [`Locations::perimeter`]).
    pub fn from_env(assent_home: Option<&Path>) -> Locations {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/root"));
        let assent_home = assent_home
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("ASSENT_HOME").map(PathBuf::from))
            .unwrap_or_else(|| home.join(".assent"));
        let assent_home = std::path::absolute(&assent_home).unwrap_or(assent_home);
        Locations {
            home,
            assent_home,
            extra_guards: Self::perimeter(
                std::env::current_exe().ok().as_deref(),
                std::env::var_os("PATH").as_deref(),
                std::env::var_os("CLAUDE_CONFIG_DIR").as_deref(),
            ),
        }
    }

    /// Paths whose change would disarm or bypass the guard: the hook's own binary, the small
    /// hook binary beside it (`assent-hook`, which `assent init --claude-code` configures) and
    /// their directory (a missing or broken hook lets Claude Code run the tool), every directory on
    /// PATH before the system's program directories (a file there shadows allowlisted
    /// programs), and what under `CLAUDE_CONFIG_DIR` changes what runs. Relative PATH entries
    /// follow the working directory and cannot be named here.
    pub fn perimeter(
        exe: Option<&Path>,
        path: Option<&std::ffi::OsStr>,
        claude_config_dir: Option<&std::ffi::OsStr>,
    ) -> Vec<PathBuf> {
        let mut out = Vec::new();
        if let Some(exe) = exe.filter(|e| e.is_absolute()) {
            out.push(exe.to_path_buf());
            out.push(exe.with_file_name(HOOK_BINARY));
            if let Some(dir) = exe.parent().filter(|d| *d != Path::new("/")) {
                out.push(dir.to_path_buf());
            }
        }
        if let Some(path) = path {
            for dir in std::env::split_paths(path) {
                if SYSTEM_BIN_DIRS.iter().any(|s| dir == Path::new(s)) {
                    break;
                }
                if dir.is_absolute() && dir != Path::new("/") && !out.contains(&dir) {
                    out.push(dir);
                }
            }
        }
        if let Some(dir) = claude_config_dir.map(PathBuf::from) {
            if let Ok(dir) = std::path::absolute(&dir) {
                out.extend(CLAUDE_CONFIG_GUARDS.iter().map(|n| dir.join(n)));
            }
        }
        out
    }
}

#[cfg(test)]
mod perimeter_tests {
    use super::*;

    #[test]
    fn path_entries_before_the_system_dirs_are_guarded() {
        let p = Locations::perimeter(
            Some(Path::new("/opt/assent/bin/assent")),
            Some(std::ffi::OsStr::new(
                "/home/dev/.local/bin:relative/bin:/usr/local/bin:/usr/bin:/home/dev/late/bin",
            )),
            Some(std::ffi::OsStr::new("/cfg/claude")),
        );
        for want in [
            "/opt/assent/bin/assent",
            "/opt/assent/bin/assent-hook",
            "/opt/assent/bin",
            "/home/dev/.local/bin",
            "/usr/local/bin",
            "/cfg/claude/settings.json",
            "/cfg/claude/shell-snapshots",
            "/cfg/claude/session-env",
            "/cfg/claude/skills",
        ] {
            assert!(
                p.contains(&PathBuf::from(want)),
                "{want} missing from {p:?}"
            );
        }
        for not in ["/home/dev/late/bin", "relative/bin", "/usr/bin"] {
            assert!(!p.contains(&PathBuf::from(not)), "{not} guarded: {p:?}");
        }
    }

    /// The perimeter is enforced: changing what it names is a hard deny, reading it is not.
    #[test]
    fn perimeter_changes_are_guard_tamper() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        let ws = home.join("project");
        std::fs::create_dir_all(&ws).expect("mkdir");
        let loc = Locations {
            home: home.clone(),
            assent_home: home.join(".assent"),
            extra_guards: Locations::perimeter(
                Some(Path::new("/opt/assent/bin/assent")),
                Some(std::ffi::OsStr::new(&format!(
                    "{}/.local/bin:/usr/bin",
                    home.display()
                ))),
                Some(std::ffi::OsStr::new("/cfg/claude")),
            ),
        };
        let policy = assent_policy::Policy::load(assent_policy::PolicySource::default_policy(), 1)
            .expect("policy");
        let engine = Engine::new(policy, &loc).expect("engine");
        let decide = |tool: &str, input: serde_json::Value| {
            let line = serde_json::json!({
                "tool_name": tool, "tool_input": input, "cwd": ws.display().to_string(),
                "hook_event_name": "PreToolUse", "session_id": "s"
            });
            let adapted = assent_adapters::from_value(line).expect("adapts");
            let ev = engine.evaluate(&adapted, "agent");
            (ev.decision.decision, ev.decision.rule().to_string())
        };
        use assent_core::Verdict;
        for cmd in [
            "rm /opt/assent/bin/assent".to_string(),
            "rm /opt/assent/bin/assent-hook".to_string(),
            "cp /tmp/true /opt/assent/bin/assent-hook".to_string(),
            "mv /opt/assent/bin /tmp/x".to_string(),
            format!("cp /tmp/evil {}/.local/bin/ls", home.display()),
            "echo x > /cfg/claude/session-env/s/sessionstart-hook-0.sh".to_string(),
        ] {
            let (v, rule) = decide("Bash", serde_json::json!({ "command": cmd }));
            assert_eq!((v, rule.as_str()), (Verdict::Deny, "guard-tamper"), "{cmd}");
        }
        let (v, rule) = decide(
            "Write",
            serde_json::json!({"file_path": "/cfg/claude/settings.json", "content": "{}"}),
        );
        assert_eq!((v, rule.as_str()), (Verdict::Deny, "guard-tamper"));
        let (v, _) = decide("Bash", serde_json::json!({"command": "ls"}));
        assert_eq!(v, Verdict::Allow, "an ordinary read stays allowed");
    }

    #[test]
    fn outbound_credentials_are_named_never_shown() {
        let loc = Locations {
            home: "/home/dev".into(),
            assent_home: "/home/dev/.assent".into(),
            extra_guards: Vec::new(),
        };
        let policy = assent_policy::Policy::load(assent_policy::PolicySource::default_policy(), 1)
            .expect("policy");
        let engine = Engine::with_symlinks(policy, &loc, false).expect("engine");
        let key = [
            "sk-ant-api03-",
            "Zq9Lm2Np4Rt6Vw8Yb1Cd3Fg5Hj7Kk9Mn0Pq2Rs4Tu6",
        ]
        .concat();
        let line = serde_json::json!({
            "tool_name": "WebSearch", "tool_input": {"query": format!("is {key} valid")},
            "cwd": "/home/dev/project", "hook_event_name": "PreToolUse", "session_id": "s"
        });
        let ev = engine.evaluate(&assent_adapters::from_value(line).expect("adapts"), "agent");
        assert_eq!(ev.decision.rule(), "credential-outbound");
        assert!(
            ev.decision.reason.contains("Anthropic API key"),
            "{}",
            ev.decision.reason
        );
        assert!(!ev.decision.reason.contains(&key));
        assert!(!serde_json::to_string(&ev.facts)
            .expect("json")
            .contains(&key));
    }
}
