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
                let d = self.policy.decide(&chain, action.kind, &facts);
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

impl Locations {
    /// From the environment: `$HOME`, and `$ASSENT_HOME` or `~/.assent`.
    pub fn from_env(assent_home: Option<&Path>) -> Locations {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/root"));
        let assent_home = assent_home
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("ASSENT_HOME").map(PathBuf::from))
            .unwrap_or_else(|| home.join(".assent"));
        Locations {
            home,
            assent_home,
            extra_guards: Vec::new(),
        }
    }
}
