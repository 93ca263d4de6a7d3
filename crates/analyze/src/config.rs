//! Analyzer configuration: what is a workspace, a secret, a protected variable, a guard path.

use crate::env::EnvMatcher;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};

/// Settings the analyzers need, usually read from `assent.toml` by the policy crate.
#[derive(Debug, Clone)]
pub struct AnalyzerConfig {
    /// The user's home directory, for `~` and `$HOME`.
    pub home: PathBuf,
    /// Workspace roots. Empty means "the action's own `cwd`".
    pub workspace_roots: Vec<PathBuf>,
    /// Glob patterns of secret files (`~` allowed); `**/` matches at any depth.
    pub secret_patterns: Vec<String>,
    /// Patterns that look like secrets but are not (`.env.example`).
    pub secret_exceptions: Vec<String>,
    /// Protected environment variables: exact names or `*` patterns (`*_KEY`).
    pub protected_env: Vec<String>,
    /// Paths an agent must never change: Assent's home, policy, database, hook settings.
    /// Entries are globs (`~` allowed).
    pub guard_paths: Vec<String>,
    /// Names of Assent's own processes: signalling them is tampering.
    pub guard_process_names: Vec<String>,
    /// Resolve symlinks of paths that exist. Off only for pure tests and benchmarks.
    pub resolve_symlinks: bool,
}

impl AnalyzerConfig {
    /// The shipped defaults (PRODUCT.md, "The shipped default policy").
    pub fn defaults(home: PathBuf, assent_home: PathBuf) -> AnalyzerConfig {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        AnalyzerConfig {
            home,
            workspace_roots: Vec::new(),
            secret_patterns: s(DEFAULT_SECRETS),
            secret_exceptions: s(&[
                "**/.env.example",
                "**/.env.sample",
                "**/.env.template",
                "**/.env.dist",
            ]),
            protected_env: s(DEFAULT_PROTECTED_ENV),
            guard_paths: {
                let mut g = s(DEFAULT_GUARDS);
                g.push(format!("{}/**", assent_home.display()));
                g.push(assent_home.display().to_string());
                g
            },
            guard_process_names: s(&["assent"]),
            resolve_symlinks: true,
        }
    }
}

pub use assent_core::redact::DEFAULT_PROTECTED_ENV;

/// Secret files by name. Sources, so the list can be kept up to date against them:
/// - gitrob's sensitive-file signatures (github.com/michenriksson/gitrob, `core/signatures.go`,
///   v2.0.0-beta) as carried on by shhgit (github.com/eth0izzle/shhgit, `config.yaml`,
///   v0.4): key files and key stores (`*.pem`, `*.ppk`, `*.p12`, `*.pfx`, `*.jks`, `*.kdbx`,
///   `*.agilekeychain`, `*.keychain`, `*.psafe3`, `*.kwallet`, `*.ovpn`, `*.tblk`, `*_rsa`…),
///   credential dotfiles (`.netrc`/`_netrc`, `.pgpass`, `.s3cfg`, `.htpasswd`, `.dockercfg`,
///   `.git-credentials`, `.npmrc`, `.pypirc`, `.tugboat`, `.esmtprc`, `.muttrc`, `.bash_history`
///   and other shell histories, `proftpdpasswd`, `credentials.xml`, `secret_token.rb`,
///   `terraform.tfvars`, `knife.rb`, `jenkins…credentials.xml`, `sftp-config.json`, `filezilla.xml`,
///   `recentservers.xml`, `robomongo.json`, `.dbeaver/credentials-secure.xml`);
/// - the credential files each tool documents for itself (AWS, gcloud and OAuth client
///   secrets, Azure, kubeconfig, Docker, Cargo, Terraform, Streamlit, App Store Connect
///   `AuthKey_*.p8`, Vault, GitHub CLI, Claude and Codex);
/// - Linux's own secret files (`/etc/shadow`, `/proc/*/environ`, mounted secrets).
///
/// Names alone miss secrets under ordinary names: Read and Grep also check file content
/// (`secrets.rs`), which is the rule set of secret scanners rather than a list of names.
pub const DEFAULT_SECRETS: &[&str] = &[
    // --- gitrob / shhgit signatures (names and extensions)
    "**/*.kdbx",
    "**/*.kdb",
    "**/*.agilekeychain",
    "**/*.keychain",
    "**/*.keychain-db",
    "**/*.psafe3",
    "**/*.kwallet",
    "**/*.ovpn",
    "**/*.tblk",
    "**/*.pkcs12",
    "**/*.p8",
    "**/*.cscfg",
    "**/*_rsa",
    "**/*_dsa",
    "**/*_ed25519",
    "**/*_ecdsa",
    "**/_netrc",
    "**/.dockercfg",
    "**/.tugboat",
    "**/.esmtprc",
    "**/proftpdpasswd",
    "**/credentials.xml",
    "**/secret_token.rb",
    "**/terraform.tfvars",
    "**/*.tfvars.json",
    "**/knife.rb",
    "**/sftp-config.json",
    "**/filezilla.xml",
    "**/recentservers.xml",
    "**/robomongo.json",
    "**/.dbeaver/credentials-secure.xml",
    "**/.*_history",
    "**/.sh_history",
    "**/.irb_history",
    "**/.node_repl_history",
    "**/.rediscli_history",
    // --- tools' own credential files
    "**/.streamlit/secrets.toml",
    "**/secrets.toml",
    "**/client_secret*.json",
    "**/token.json",
    "**/token.pickle",
    "**/kubeconfig",
    "**/kubeconfig*.y*ml",
    "**/*.kubeconfig",
    "**/AuthKey_*.p8",
    "**/.cargo/credentials",
    "**/.cargo/credentials.toml",
    "**/.config/gh/hosts.yml",
    "**/application_default_credentials.json",
    "**/.gem/credentials",
    "**/.composer/auth.json",
    "**/auth.json",
    "**/.config/hub",
    "**/.terraform.d/credentials.tfrc.json",
    "**/.wrangler/config/default.toml",
    "**/.vercel/auth.json",
    "**/.config/netlify/config.json",
    "**/.heroku/credentials",
    "**/.databrickscfg",
    "**/.snowflake/connections.toml",
    "**/.oci/config",
    "**/.config/rclone/rclone.conf",
    "**/.ngrok2/ngrok.yml",
    "**/ngrok.yml",
    "**/.config/doppler/**",
    "**/.config/op/**",
    "**/.age/**",
    "**/sops/age/keys.txt",
    "**/*.keytab",
    "**/.env",
    "**/.env.*",
    "**/.env~",
    "**/.env_*",
    "**/.dev.vars",
    "**/serviceAccount*.json",
    "**/service_account*.json",
    "**/*serviceaccount*.json",
    "**/master.key",
    "**/.env-*",
    "~/.claude/.credentials.json",
    "**/.credentials.json",
    "~/.local/share/fish/fish_history",
    "**/rclone.conf",
    "**/.s3cfg",
    "**/.boto",
    "~/.m2/settings.xml",
    "**/gradle.properties",
    "**/.terraformrc",
    "~/.codex/auth.json",
    "~/.config/github-copilot/**",
    "**/.yarnrc.yml",
    "**/secrets/**",
    "**/*-key.json",
    "**/*_key.json",
    "**/*adminsdk*.json",
    "**/*.secret",
    "**/*.secrets",
    "**/.envrc",
    "**/*.env",
    "**/.netrc",
    "**/.git-credentials",
    "**/.npmrc",
    "**/.pypirc",
    "**/.pgpass",
    "**/.vault-token",
    "**/.kube/config",
    "**/.docker/config.json",
    "**/terraform.tfstate*",
    "**/*.tfvars",
    "**/.aws/credentials",
    "**/.ssh/id_*",
    "**/.my.cnf",
    "/proc/*/task/*/environ",
    "/proc/**/environ",
    "~/.ssh",
    "~/.ssh/**",
    "~/.aws",
    "~/.aws/**",
    "~/.gnupg/**",
    "~/.config/gcloud/**",
    "~/.azure/**",
    "~/.kube/config",
    "~/.kube/**",
    "~/.docker/config.json",
    "~/.netrc",
    "~/.git-credentials",
    "~/.npmrc",
    "~/.pypirc",
    "~/.password-store/**",
    "~/.config/gh/hosts.yml",
    "~/.config/hub",
    "~/.cargo/credentials*",
    "~/.pgpass",
    "~/.my.cnf",
    "~/.vault-token",
    "~/.terraform.d/credentials*",
    "~/.bash_history",
    "~/.zsh_history",
    "~/.python_history",
    "~/.psql_history",
    "~/.mysql_history",
    "**/*.pem",
    "**/*.key",
    "**/*.p12",
    "**/*.pfx",
    "**/*.jks",
    "**/*.keystore",
    "**/id_rsa*",
    "**/id_dsa*",
    "**/id_ecdsa*",
    "**/id_ed25519*",
    "**/*.ppk",
    "**/credentials",
    "**/credentials.json",
    "**/service-account*.json",
    "**/secrets.yml",
    "**/secrets.yaml",
    "**/secrets.json",
    "**/.htpasswd",
    "/proc/*/environ",
    "/proc/self/environ",
    "/proc/*/mem",
    "/proc/*/cmdline",
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/shadow-",
    "/etc/sudoers",
    "/etc/sudoers.d/**",
    "/etc/ssh/ssh_host_*_key",
    "/var/run/secrets/**",
    "/run/secrets/**",
];

pub const DEFAULT_GUARDS: &[&str] = &[
    // What Claude Code runs or loads without asking: the shell snapshot and session-env
    // scripts it sources before every Bash command, skills, agents, commands, plugins, MCP
    // server definitions (names checked against the 2.1.197 CLI). `CLAUDE_CONFIG_DIR` is
    // added by the caller (gateway `Locations::perimeter`).
    "~/.claude/shell-snapshots",
    "~/.claude/shell-snapshots/**",
    "~/.claude/session-env",
    "~/.claude/session-env/**",
    "~/.claude/skills/**",
    "~/.claude/agents/**",
    "~/.claude/commands/**",
    "~/.claude/plugins/**",
    "**/.claude/skills/**",
    "**/.claude/agents/**",
    "**/.claude/commands/**",
    "**/.mcp.json",
    "**/.claude/settings*.json",
    "~/.claude.json",
    "~/.claude/settings*.json",
    "~/.claude.json.backup",
    "/etc/claude-code/**",
    "~/.claude/hooks/**",
    "**/.claude/hooks/**",
    "~/.config/assent/**",
];

#[derive(Debug)]
pub enum ConfigError {
    BadPattern(String, String),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::BadPattern(p, e) => write!(f, "invalid path pattern `{p}`: {e}"),
        }
    }
}

impl std::error::Error for ConfigError {}

#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub home: PathBuf,
    /// `home` with symlinks resolved, computed once.
    pub home_resolved: PathBuf,
    pub workspace_roots: Vec<PathBuf>,
    pub secrets: FoldSet,
    pub secret_exceptions: FoldSet,
    pub guards: FoldSet,
    /// Directory names that hold guard files anywhere (`.claude`): removing one is tampering.
    pub guard_dir_names: Vec<String>,
    /// Literal prefixes of guard patterns: deleting or moving an ancestor of one is tampering.
    pub guard_roots: Vec<PathBuf>,
    pub secret_roots: Vec<PathBuf>,
    /// Every guard root and each of its ancestors (`/` included), so that "is this path a
    /// guard root or above one" is one lookup instead of a walk over every root.
    pub guard_root_ancestors: std::collections::HashSet<PathBuf>,
    pub secret_root_ancestors: std::collections::HashSet<PathBuf>,
    /// `guard_roots` and `secret_roots` as sets, so that "is this path at or below a root"
    /// is one lookup per ancestor of the path instead of a comparison with every root.
    pub guard_root_set: std::collections::HashSet<PathBuf>,
    pub secret_root_set: std::collections::HashSet<PathBuf>,
    /// The secret and guard patterns as text (tilde expanded), for judging a shell glob
    /// against them (`glob_meet`).
    pub secret_texts: Vec<String>,
    pub guard_texts: Vec<String>,
    pub env: EnvMatcher,
    pub guard_process_names: Vec<String>,
    pub resolve_symlinks: bool,
}

pub(crate) fn expand_tilde(p: &str, home: &Path) -> String {
    if p == "~" {
        home.display().to_string()
    } else if let Some(rest) = p.strip_prefix("~/") {
        format!("{}/{rest}", home.display())
    } else {
        p.to_string()
    }
}

/// A set of path globs matched ASCII-case-insensitively, compiled on first use.
///
/// Why not globset's own `case_insensitive`: it turns every glob into a `(?i)` regex, so
/// ~200 secret patterns became one large regex set compiled before the first decision (most
/// of a cold `assent check`). globset's `(?i)` is ASCII-only (its regexes are `(?-u)`), so
/// folding the pattern and the candidate to ASCII lower case matches exactly the same paths
/// and lets globset use its fast strategies (extension and basename tables, literals) for
/// nearly all of them. Patterns with a character class (`[A-Z]`), where folding the pattern
/// text could change its meaning, keep globset's own case-insensitive matching.
///
/// Each pattern is parsed when the set is made (a bad pattern is a configuration error, as
/// before); the set itself is compiled the first time a path is matched, so an action that
/// never names a path pays nothing for it.
#[derive(Clone)]
pub(crate) struct FoldSet {
    folded: Vec<globset::Glob>,
    classes: Vec<globset::Glob>,
    compiled: std::sync::Arc<std::sync::OnceLock<Option<(GlobSet, GlobSet)>>>,
}

impl std::fmt::Debug for FoldSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FoldSet")
            .field("folded", &self.folded.len())
            .field("classes", &self.classes.len())
            .finish()
    }
}

impl FoldSet {
    fn new(patterns: &[String], home: &Path) -> Result<FoldSet, ConfigError> {
        let mut folded = Vec::new();
        let mut classes = Vec::new();
        for p in patterns {
            let expanded = expand_tilde(p, home);
            let has_class = expanded.contains('[');
            let text = if has_class {
                expanded
            } else {
                expanded.to_ascii_lowercase()
            };
            let g = GlobBuilder::new(&text)
                .literal_separator(true)
                .case_insensitive(has_class)
                .build()
                .map_err(|e| ConfigError::BadPattern(p.clone(), e.to_string()))?;
            if has_class {
                classes.push(g);
            } else {
                folded.push(g);
            }
        }
        Ok(FoldSet {
            folded,
            classes,
            compiled: Default::default(),
        })
    }

    fn sets(&self) -> Option<&(GlobSet, GlobSet)> {
        self.compiled
            .get_or_init(|| {
                let build = |globs: &[globset::Glob]| {
                    let mut b = GlobSetBuilder::new();
                    for g in globs {
                        b.add(g.clone());
                    }
                    b.build().ok()
                };
                Some((build(&self.folded)?, build(&self.classes)?))
            })
            .as_ref()
    }

    /// Whether `path` matches any pattern, ignoring ASCII case. A set that cannot be compiled
    /// (globset's size limits) matches everything: every path is then a secret or a guard
    /// path, which asks or denies, never allows.
    pub fn is_match(&self, path: impl AsRef<Path>) -> bool {
        let Some((folded, classes)) = self.sets() else {
            return true;
        };
        let bytes = path
            .as_ref()
            .as_os_str()
            .as_encoded_bytes()
            .to_ascii_lowercase();
        // ASCII lower-casing keeps every other byte as it was: still the same kind of path.
        let lower =
            PathBuf::from(<std::ffi::OsString as std::os::unix::ffi::OsStringExt>::from_vec(bytes));
        folded.is_match(&lower) || classes.is_match(&lower)
    }
}

/// The part of a pattern before its first wildcard, as a directory.
fn literal_root(p: &str, home: &Path) -> Option<PathBuf> {
    let expanded = expand_tilde(p, home);
    if !expanded.starts_with('/') {
        return None;
    }
    let mut root = PathBuf::from("/");
    for comp in expanded.split('/').filter(|c| !c.is_empty()) {
        if comp.contains(['*', '?', '[', '{']) {
            break;
        }
        root.push(comp);
    }
    (root != Path::new("/")).then_some(root)
}

impl Compiled {
    pub fn new(cfg: &AnalyzerConfig) -> Result<Compiled, ConfigError> {
        let mut compiled = Compiled {
            home: cfg.home.clone(),
            home_resolved: cfg.home.clone(),
            workspace_roots: cfg
                .workspace_roots
                .iter()
                .map(|r| PathBuf::from(expand_tilde(&r.display().to_string(), &cfg.home)))
                .collect(),
            // Secrets match case-insensitively: `.ENV` is `.env` on macOS's default file system.
            secrets: FoldSet::new(&cfg.secret_patterns, &cfg.home)?,
            secret_exceptions: FoldSet::new(&cfg.secret_exceptions, &cfg.home)?,
            guards: FoldSet::new(&cfg.guard_paths, &cfg.home)?,
            guard_dir_names: cfg
                .guard_paths
                .iter()
                .filter_map(|p| p.strip_prefix("**/"))
                .filter_map(|rest| rest.split_once('/').map(|(d, _)| d.to_string()))
                .filter(|d| !d.contains(['*', '?', '[', '{']))
                .collect(),
            guard_roots: cfg
                .guard_paths
                .iter()
                .filter_map(|p| literal_root(p, &cfg.home))
                .collect(),
            secret_roots: cfg
                .secret_patterns
                .iter()
                .filter_map(|p| literal_root(p, &cfg.home))
                .collect(),
            secret_texts: cfg
                .secret_patterns
                .iter()
                .map(|p| expand_tilde(p, &cfg.home))
                .collect(),
            guard_texts: cfg
                .guard_paths
                .iter()
                .map(|p| expand_tilde(p, &cfg.home))
                .collect(),
            guard_root_ancestors: Default::default(),
            secret_root_ancestors: Default::default(),
            guard_root_set: Default::default(),
            secret_root_set: Default::default(),
            env: EnvMatcher::new(&cfg.protected_env),
            guard_process_names: cfg
                .guard_process_names
                .iter()
                .map(|n| n.to_ascii_lowercase())
                .collect(),
            resolve_symlinks: cfg.resolve_symlinks,
        };
        compiled.home_resolved = crate::paths::resolve(&compiled, &cfg.home);
        let ancestors = |roots: &[PathBuf]| {
            roots
                .iter()
                .flat_map(|r| r.ancestors().map(Path::to_path_buf))
                .collect()
        };
        compiled.guard_root_ancestors = ancestors(&compiled.guard_roots);
        compiled.secret_root_ancestors = ancestors(&compiled.secret_roots);
        compiled.guard_root_set = compiled.guard_roots.iter().cloned().collect();
        compiled.secret_root_set = compiled.secret_roots.iter().cloned().collect();
        Ok(compiled)
    }
}
