//! What an OS sandbox needs from the analyser's configuration: the workspace an action is
//! judged against and which paths in it must be hidden. The sandbox then shows a command the
//! same world the analyser reasoned about, minus secrets and guard paths.

use crate::Analyzer;
use std::path::{Path, PathBuf};

impl Analyzer {
    /// The workspace roots an action run in `cwd` is judged against, symlinks resolved; never
    /// `/`, the home directory or a system directory.
    pub fn workspace_roots(&self, cwd: &str) -> Vec<PathBuf> {
        crate::paths::PathCtx::new(&self.cfg, Some(cwd)).roots
    }

    /// Whether the absolute path `path` names a secret by the configured patterns.
    pub fn names_secret(&self, path: &Path) -> bool {
        self.cfg.secrets.is_match(path) && !self.cfg.secret_exceptions.is_match(path)
    }

    /// Whether the absolute path `path` is a guard path (Assent itself, hook settings).
    pub fn names_guard(&self, path: &Path) -> bool {
        self.cfg.guards.is_match(path)
    }
}
