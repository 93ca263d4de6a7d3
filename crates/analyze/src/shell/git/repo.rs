//! The repository git would actually use, found the way git finds it, and the facts about it
//! that decide whether a "read-only" git command is read-only there: configuration that runs
//! programs, reads other files or reaches the network (system, global, repository, worktree
//! and included files), hooks that fire on index writes, where the git directory and work tree
//! are, what the index tracks (secrets, guard files, gitlinks).
//!
//! Everything here fails closed: what cannot be read exactly is a problem, and a repository
//! with a problem is never one where a git command is read-only.

use super::{config, index};
use crate::config::{expand_tilde, Compiled};
use crate::filecache::ParsedCache;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Environment variables that do not change which repository, configuration or programs a
/// read-only git command uses. Any other `GIT_*` variable in Assent's environment (which the
/// agent's shell inherits) makes the repository unknown.
const HARMLESS_GIT_ENV: &[&str] = &[
    "GIT_EDITOR",
    "GIT_SEQUENCE_EDITOR",
    "GIT_TERMINAL_PROMPT",
    "GIT_ASKPASS",
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    "GIT_SSH_VARIANT",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    "GIT_OPTIONAL_LOCKS",
    "GIT_MERGE_AUTOEDIT",
    "GIT_ADVICE",
    "GIT_FLUSH",
    "GIT_DEFAULT_HASH",
    "GIT_PROTOCOL_FROM_USER",
];
// `GIT_SSL_*`, `GIT_HTTP_*`, `GIT_CURL_*` matter to network transfers only.
const HARMLESS_GIT_ENV_PREFIXES: &[&str] = &[
    "GIT_AUTHOR_",
    "GIT_COMMITTER_",
    "GIT_PS1_",
    "GIT_LFS_",
    "GIT_SSL_",
    "GIT_HTTP_",
    "GIT_CURL_",
];

/// System configuration files of the git builds in common use; all that exist are read (a
/// superset of what any one build reads).
const SYSTEM_CONFIGS: &[&str] = &[
    "/etc/gitconfig",
    "/usr/local/etc/gitconfig",
    "/opt/homebrew/etc/gitconfig",
    "/Library/Developer/CommandLineTools/usr/share/git-core/gitconfig",
    "/Applications/Xcode.app/Contents/Developer/usr/share/git-core/gitconfig",
];

/// Sections whose keys no read-only subcommand on the allowlist uses (they matter to network,
/// commit, merge, editor, credential and tool commands, which are never read-only).
const UNUSED_SECTIONS: &[&str] = &[
    "credential",
    "http",
    "https",
    "url",
    "gpg",
    "user",
    "alias",
    "difftool",
    "mergetool",
    "merge",
    "sequence",
    "sendemail",
    "commit",
    "push",
    "pull",
    "fetch",
    "rebase",
    "init",
    "branch",
    "receive",
    "uploadpack",
    "transfer",
    "protocol",
    "pack",
    "gc",
    "maintenance",
    "color",
    "i18n",
    "format",
    "am",
    "apply",
    "advice",
    "help",
    "safe",
    "lfs",
    "gui",
    "guitool",
    "instaweb",
    "web",
    "tag",
    "feature",
    "index",
    "checkout",
    "clone",
    "rerere",
    "column",
    "status",
    "interactive",
    "add",
    "stash",
    "worktree",
    "fsck",
    "ssh",
    "versionsort",
    "bundle",
    "imap",
    "man",
    "splitindex",
    "notes",
    "pretty",
    "sparse",
    "repack",
    "reset",
];

/// Last parts of key names that, in a section not known here, suggest a program run or a
/// file read.
const SUSPICIOUS_SUFFIXES: &[&str] = &[
    "command", "program", "cmd", "hook", "driver", "textconv", "editor", "pager", "proxy",
    "target", "helper", "path", "file", "exec",
];

/// A guard file in a work tree.
#[derive(Debug, Clone)]
pub(super) struct GuardFile {
    pub path: PathBuf,
    /// Listed in the index.
    pub tracked: bool,
    /// Differs from what the index recorded (always true for untracked files).
    pub modified: bool,
}

#[derive(Debug)]
pub(super) struct Repo {
    pub gitdir: PathBuf,
    pub commondir: PathBuf,
    /// `None` for a bare repository.
    pub worktree: Option<PathBuf>,
    /// The effective configuration, lowest precedence first.
    pub entries: Vec<config::Entry>,
    /// The configuration of submodules kept in `modules/` (whether checked out or not: a
    /// superset of those `git status` recurses into).
    pub module_entries: Vec<config::Entry>,
    /// What could not be read exactly; any problem makes every git command not read-only.
    pub problems: Vec<String>,
    /// The user's home, for `~` in configuration values.
    pub home: PathBuf,
    /// No repository was found: only the system and global configuration apply.
    pub no_repo: bool,
    /// Where the repository's own configuration starts in `entries` (before it: system and
    /// global).
    pub local_start: usize,
    /// The index, read once.
    index_cache: std::cell::OnceCell<ParsedIndex>,
}

#[derive(Debug)]
pub(super) enum Discovery {
    /// Without file-system access nothing is examined (the analysis is then a pure function of
    /// the command text).
    NotExamined,
    Found(Box<Repo>),
    /// git would use something this analysis cannot follow exactly.
    Unknown(String),
}

/// Physical form of a path (symlinks resolved) when it exists; lexical otherwise.
fn real(p: &Path) -> PathBuf {
    crate::fsmemo::canonicalize(p).unwrap_or_else(|| p.to_path_buf())
}

fn inside(roots: &[PathBuf], p: &Path) -> bool {
    let p = real(p);
    roots.iter().any(|r| p.starts_with(real(r)))
}

/// git's `is_git_directory`: HEAD, and `objects/` and `refs/` (in the common directory when
/// there is one).
fn is_git_dir(d: &Path) -> bool {
    if !d.join("HEAD").is_file() {
        return false;
    }
    let common = common_dir(d).unwrap_or_else(|| d.to_path_buf());
    common.join("objects").is_dir() && common.join("refs").is_dir()
}

fn common_dir(gitdir: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(gitdir.join("commondir")).ok()?;
    let c = PathBuf::from(text.trim_end_matches(['\n', '\r']));
    Some(if c.is_absolute() { c } else { gitdir.join(c) })
}

/// The value of a `.git` file (`gitdir: PATH`), resolved against its directory.
fn read_gitfile(dotgit: &Path) -> Result<PathBuf, String> {
    let meta = std::fs::metadata(dotgit).map_err(|_| "`.git` file unreadable")?;
    if meta.len() > 64 * 1024 {
        return Err("`.git` file too large".into());
    }
    let text = std::fs::read_to_string(dotgit).map_err(|_| "`.git` file unreadable")?;
    let path = text
        .strip_prefix("gitdir: ")
        .map(|p| p.trim_end_matches(['\n', '\r']))
        .filter(|p| !p.is_empty() && !p.contains('\n'))
        .ok_or("`.git` file is not `gitdir: PATH`")?;
    let p = PathBuf::from(path);
    Ok(match dotgit.parent() {
        Some(d) if !p.is_absolute() => d.join(p),
        _ => p,
    })
}

/// A `GIT_*` variable in this process's environment that changes what git uses.
fn git_env_problem() -> Option<String> {
    std::env::vars_os().find_map(|(k, v)| {
        let k = k.to_string_lossy();
        let harmless = HARMLESS_GIT_ENV.contains(&k.as_ref())
            || HARMLESS_GIT_ENV_PREFIXES.iter().any(|p| k.starts_with(p))
            || (k == "GIT_PAGER" && plain_pager(&v.to_string_lossy()));
        (k.starts_with("GIT_") && !harmless)
            .then(|| format!("the environment sets {k}, which changes what git reads or runs"))
    })
}

/// A pager the user chose that runs nothing else: a known pager program, its options, no
/// shell syntax. (A pager starts only when git's output is a terminal.)
pub(super) fn plain_pager(v: &str) -> bool {
    const PAGERS: &[&str] = &[
        "less",
        "more",
        "most",
        "cat",
        "delta",
        "diff-so-fancy",
        "bat",
        "riff",
        "ydiff",
        "diff-highlight",
    ];
    let mut words = v.split_whitespace();
    let Some(program) = words.next() else {
        return true;
    };
    let name = program.rsplit('/').next().unwrap_or(program);
    PAGERS.contains(&name)
        && !v.contains(|c: char| ";|&$`()<>\\'\"\n!*?[{~+".contains(c))
        && words.all(|w| w.starts_with('-') && !w.contains('='))
}

/// Finds the repository git would use from `cwd`, the way `setup_git_directory` does.
pub(super) fn discover(
    cfg: &Compiled,
    roots: &[PathBuf],
    cwd: &Path,
    cwd_unknown: bool,
) -> Discovery {
    if !cfg.resolve_symlinks {
        return Discovery::NotExamined;
    }
    if cwd_unknown {
        return Discovery::Unknown("the working directory is not known".into());
    }
    if let Some(p) = git_env_problem() {
        return Discovery::Unknown(p);
    }
    let start = real(cwd);
    // `.git` directories git skips (not valid repositories): their configuration is judged too,
    // in case this analysis and git disagree about validity.
    let mut skipped: Vec<PathBuf> = Vec::new();
    let mut found: Option<(PathBuf, Option<PathBuf>)> = None;
    for d in start.ancestors() {
        let dotgit = d.join(".git");
        match std::fs::metadata(&dotgit) {
            Ok(m) if m.is_dir() => {
                if is_git_dir(&dotgit) {
                    found = Some((dotgit, Some(d.to_path_buf())));
                    break;
                }
                skipped.push(dotgit);
            }
            Ok(m) if m.is_file() => match read_gitfile(&dotgit) {
                Ok(gitdir) if is_git_dir(&gitdir) => {
                    found = Some((gitdir, Some(d.to_path_buf())));
                    break;
                }
                Ok(gitdir) => {
                    return Discovery::Unknown(format!(
                        "`{}` points at `{}`, which is not a git directory",
                        dotgit.display(),
                        gitdir.display()
                    ))
                }
                Err(e) => return Discovery::Unknown(format!("{}: {e}", dotgit.display())),
            },
            Ok(_) => {
                return Discovery::Unknown(format!(
                    "`{}` is not a file or directory",
                    dotgit.display()
                ))
            }
            Err(_) => {
                if is_git_dir(d) {
                    // The directory is itself a git directory (bare, or inside `.git`).
                    found = Some((d.to_path_buf(), None));
                    break;
                }
            }
        }
    }
    let Some((gitdir, worktree)) = found else {
        // No repository: git still reads the system and global configuration (`git diff
        // --no-index`, `git config --get`, `git grep --no-index`), and the configuration of
        // any `.git` directory skipped on the way is judged too.
        let mut problems = Vec::new();
        let mut entries = Vec::new();
        let mut module_entries = Vec::new();
        user_config(cfg, &mut entries, &mut problems);
        let local_start = entries.len();
        for s in &skipped {
            read_config_file(cfg, &s.join("config"), 0, &mut entries, &mut problems);
            read_module_configs(cfg, s, &mut module_entries, &mut problems);
        }
        let first = skipped.first();
        return Discovery::Found(Box::new(Repo {
            gitdir: first.cloned().unwrap_or_default(),
            commondir: first.cloned().unwrap_or_default(),
            worktree: first.and_then(|g| g.parent()).map(Path::to_path_buf),
            entries,
            module_entries,
            problems,
            home: cfg.home.clone(),
            no_repo: first.is_none(),
            local_start,
            index_cache: Default::default(),
        }));
    };
    let gitdir = real(&gitdir);
    let commondir = real(&common_dir(&gitdir).unwrap_or_else(|| gitdir.clone()));
    let mut problems = Vec::new();
    // A repository whose work tree holds the workspace (the workspace is a subdirectory of a
    // project) is the same project; one at or above the home directory (a dotfiles
    // repository) or at `/` is not.
    let contains_workspace = worktree.as_ref().is_some_and(|wt| {
        let wt = real(wt);
        wt.components().count() > 2
            && !real(&cfg.home).starts_with(&wt)
            && roots.iter().any(|r| real(r).starts_with(&wt))
    });
    if let Some(wt) = &worktree {
        if !inside(roots, wt) && !contains_workspace {
            problems.push(format!(
                "the repository's work tree `{}` is outside the workspace",
                wt.display()
            ));
        }
    }
    if !inside(roots, &gitdir) || !inside(roots, &commondir) {
        // A linked worktree keeps its git directory in the main repository's
        // `.git/worktrees/NAME`, which names this work tree back in its `gitdir` file. Any
        // other git directory outside the workspace is someone else's repository.
        let linked = worktree.as_ref().is_some_and(|wt| {
            std::fs::read_to_string(gitdir.join("gitdir")).is_ok_and(|back| {
                real(Path::new(back.trim_end_matches(['\n', '\r']))) == real(&wt.join(".git"))
            }) && gitdir.parent().is_some_and(|p| p.ends_with("worktrees"))
                && gitdir.parent().and_then(Path::parent).map(real) == Some(commondir.clone())
        });
        let own = contains_workspace
            && worktree
                .as_ref()
                .is_some_and(|wt| real(&wt.join(".git")) == gitdir && commondir == gitdir);
        if !linked && !own {
            problems.push(format!(
                "the git directory `{}` is outside the workspace",
                gitdir.display()
            ));
        }
    }
    let mut entries = Vec::new();
    user_config(cfg, &mut entries, &mut problems);
    let local_start = entries.len();
    read_config_file(
        cfg,
        &commondir.join("config"),
        0,
        &mut entries,
        &mut problems,
    );
    if entries
        .iter()
        .any(|e| e.section == "extensions" && e.name == "worktreeconfig" && e.is_true())
    {
        read_config_file(
            cfg,
            &gitdir.join("config.worktree"),
            0,
            &mut entries,
            &mut problems,
        );
    }
    let mut module_entries = Vec::new();
    read_module_configs(cfg, &commondir, &mut module_entries, &mut problems);
    for s in &skipped {
        read_config_file(cfg, &s.join("config"), 0, &mut entries, &mut problems);
        read_module_configs(cfg, s, &mut module_entries, &mut problems);
    }
    Discovery::Found(Box::new(Repo {
        gitdir,
        commondir,
        worktree,
        entries,
        module_entries,
        problems,
        home: cfg.home.clone(),
        no_repo: false,
        local_start,
        index_cache: Default::default(),
    }))
}

/// Reads the configuration of every submodule git directory under `GITDIR/modules/`
/// (nested submodules included), bounded.
fn read_module_configs(
    cfg: &Compiled,
    gitdir: &Path,
    out: &mut Vec<config::Entry>,
    problems: &mut Vec<String>,
) {
    let mut stack = vec![gitdir.join("modules")];
    let mut seen = 0usize;
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            seen += 1;
            if seen > 5_000 {
                problems.push("too many submodule directories to examine".into());
                return;
            }
            let name = e.file_name();
            if name == "config" {
                read_config_file(cfg, &e.path(), 0, out, problems);
            } else if e.file_type().is_ok_and(|t| t.is_dir())
                && !matches!(
                    name.to_str(),
                    Some("objects" | "refs" | "logs" | "hooks" | "info")
                )
            {
                stack.push(e.path());
            }
        }
    }
}

/// The system, XDG and global configuration files, in git's order.
fn user_config(cfg: &Compiled, entries: &mut Vec<config::Entry>, problems: &mut Vec<String>) {
    for s in SYSTEM_CONFIGS {
        read_config_file(cfg, Path::new(s), 0, entries, problems);
    }
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| cfg.home.join(".config"));
    read_config_file(cfg, &xdg.join("git/config"), 0, entries, problems);
    read_config_file(cfg, &cfg.home.join(".gitconfig"), 0, entries, problems);
}

/// Configuration files parsed, by path (see [`crate::filecache`]).
static CONFIGS: ParsedCache<PathBuf, Result<Vec<config::Entry>, String>> = ParsedCache::new();

/// Indexes parsed, by path and hash length.
type ParsedIndex = Result<Arc<Vec<index::Entry>>, String>;
static INDEXES: ParsedCache<(PathBuf, usize), ParsedIndex> = ParsedCache::new();

/// The drivers each attribute file names (`filter=`, `diff=`); `None`: unreadable.
type AttributeDrivers = Option<(Vec<String>, Vec<String>)>;
static ATTRIBUTES: ParsedCache<PathBuf, AttributeDrivers> = ParsedCache::new();

/// Reads one configuration file and every file it includes (`include.path`,
/// `includeIf.*.path`, whatever the condition: a superset of what git reads).
fn read_config_file(
    cfg: &Compiled,
    path: &Path,
    depth: usize,
    out: &mut Vec<config::Entry>,
    problems: &mut Vec<String>,
) {
    let Ok(meta) = std::fs::metadata(path) else {
        // git ignores missing configuration files and includes.
        return;
    };
    if depth > 10 {
        problems.push("configuration includes nest too deeply".into());
        return;
    }
    if !meta.is_file() || meta.len() > 1024 * 1024 {
        problems.push(format!(
            "configuration `{}` is not a small regular file",
            path.display()
        ));
        return;
    }
    let parsed = CONFIGS.get(&path.to_path_buf(), &meta, || {
        match std::fs::read(path).map(String::from_utf8) {
            Ok(Ok(text)) => config::parse(&text)
                .map_err(|e| format!("configuration `{}` not understood: {e}", path.display())),
            _ => Err(format!("configuration `{}` is unreadable", path.display())),
        }
    });
    let entries = match &*parsed {
        Ok(e) => e.iter().cloned(),
        Err(problem) => {
            problems.push(problem.clone());
            return;
        }
    };
    for e in entries {
        let include = e.name == "path" && (e.section == "include" || e.section == "includeif");
        let value = e.value.clone();
        out.push(e);
        if include {
            let Some(v) = value else {
                problems.push("an include without a path".into());
                continue;
            };
            if v.starts_with("%(") {
                problems.push(format!("configuration include `{v}` not understood"));
                continue;
            }
            let expanded = PathBuf::from(expand_tilde(&v, &cfg.home));
            let target = if expanded.is_absolute() {
                expanded
            } else {
                path.parent().map(|d| d.join(&expanded)).unwrap_or(expanded)
            };
            read_config_file(cfg, &target, depth + 1, out, problems);
        }
    }
}

/// The filter and diff drivers that attributes select (`filter=lfs`, `diff=pdf`); `None`
/// when that cannot be known (then every configured driver counts).
#[derive(Debug, Default)]
pub(super) struct Drivers {
    filters: Option<Vec<String>>,
    diffs: Option<Vec<String>>,
}

impl Drivers {
    fn unknown() -> Drivers {
        Drivers::default()
    }
    fn uses_filter(&self, name: &str) -> bool {
        self.filters
            .as_ref()
            .is_none_or(|f| f.iter().any(|x| x == name))
    }
    fn uses_diff(&self, name: &str) -> bool {
        self.diffs
            .as_ref()
            .is_none_or(|f| f.iter().any(|x| x == name))
    }
}

/// Why a configuration entry makes `sub` not read-only in this repository, if it does.
fn key_danger(e: &config::Entry, sub: &str, drivers: &Drivers) -> Option<String> {
    let key = e.key();
    let why = |w: &str| Some(format!("{key} {w}"));
    let has_sub = e.subsection.is_some();
    match (e.section.as_str(), e.name.as_str()) {
        ("include" | "includeif", "path") => None,
        ("core", "fsmonitor") if !e.is_false() => why("runs a program on every index refresh"),
        ("core", "pager") => why("names a pager program"),
        ("pager", _) if !e.is_false() => why("runs a pager"),
        ("core", "worktree") => why("moves the work tree elsewhere"),
        ("core", "hookspath") => None, // judged with the hooks it names
        (
            "core",
            "sshcommand" | "gitproxy" | "askpass" | "editor" | "excludesfile" | "attributesfile",
        ) => None,
        // A filter or diff driver runs only for paths whose attributes select it.
        ("filter", _)
            if e.subsection
                .as_deref()
                .is_some_and(|d| drivers.uses_filter(d)) =>
        {
            why("runs a filter program on files")
        }
        ("filter", _) if !has_sub => None,
        ("filter", _) => None,
        ("diff", "external") => why("runs an external diff program"),
        ("diff", "command" | "textconv")
            if e.subsection
                .as_deref()
                .is_some_and(|d| drivers.uses_diff(d)) =>
        {
            why("runs a diff driver program")
        }
        ("diff", "submodule") if e.value.as_deref() == Some("diff") => {
            why("makes diffs print the contents of submodules")
        }
        ("diff", "orderfile") => why("reads a file named in the configuration"),
        ("diff", _) => None,
        ("extensions", "partialclone") => {
            why("makes this a partial clone, which fetches missing objects over the network")
        }
        ("extensions", _) => None,
        ("remote", "promisor") if e.is_true() => {
            why("makes this a partial clone, which fetches missing objects over the network")
        }
        ("remote", "partialclonefilter") => {
            why("makes this a partial clone, which fetches missing objects over the network")
        }
        ("remote", _) => None,
        ("trace2", n) if n.ends_with("target") => why("writes a trace on every git command"),
        ("trace2", _) => None,
        ("submodule", "recurse") if e.is_true() => why("makes commands recurse into submodules"),
        ("submodule", _) => None,
        ("log", "showsignature") if e.is_true() => why("runs gpg to verify signatures"),
        ("log", _) => None,
        ("mailmap", "file") => why("reads a file named in the configuration"),
        ("mailmap", _) => None,
        ("blame", "ignorerevsfile") if matches!(sub, "blame" | "annotate") => {
            why("reads a file named in the configuration")
        }
        ("blame", _) => None,
        ("grep", "fallbacktonoindex") if e.is_true() && sub == "grep" => {
            why("makes git grep read every file outside a repository")
        }
        ("grep", _) => None,
        (s, _) if UNUSED_SECTIONS.contains(&s) => None,
        (_, n) if SUSPICIOUS_SUFFIXES.iter().any(|x| n.ends_with(x)) => {
            why("is not known here and may run a program or read a file")
        }
        _ => None,
    }
}

impl Repo {
    /// Every reason `sub` is not read-only in this repository (empty: none found).
    pub fn dangers(&self, sub: &str) -> Vec<String> {
        let mut out = self.problems.clone();
        // Drivers in the user's own configuration run where attributes select them; drivers
        // in the repository's configuration count wherever they are (an untracked
        // `.gitattributes` deep in the tree is not read here).
        let drivers = self.drivers();
        let unknown = Drivers::unknown();
        out.extend(self.entries.iter().enumerate().filter_map(|(i, e)| {
            let user = i < self.local_start;
            let pager = (e.section == "core" && e.name == "pager" && e.subsection.is_none())
                || e.section == "pager";
            if user && pager && e.value.as_deref().is_some_and(plain_pager) {
                // `core.pager = delta` in the user's own configuration.
                return None;
            }
            key_danger(e, sub, if user { &drivers } else { &unknown })
        }));
        out.extend(
            self.module_entries
                .iter()
                .filter_map(|e| key_danger(e, sub, &unknown)),
        );
        // Hooks that a read-only command can fire: `post-index-change` runs when `git status`
        // (or any index refresh) writes the index.
        let hooks = match self
            .entries
            .iter()
            .rev()
            .find(|e| e.section == "core" && e.name == "hookspath" && e.subsection.is_none())
        {
            Some(e) => {
                let v = e.value.clone().unwrap_or_default();
                let p = PathBuf::from(&v);
                if v.starts_with('~') || p.is_absolute() {
                    Some(p)
                } else {
                    self.worktree.as_ref().map(|w| w.join(&p))
                }
            }
            None => Some(self.commondir.join("hooks")),
        };
        match hooks {
            _ if self.no_repo => {}
            Some(h) if h.join("post-index-change").exists() => {
                out.push(format!(
                    "the hook `{}` runs when the index is written",
                    h.join("post-index-change").display()
                ));
            }
            None => out.push("core.hooksPath cannot be resolved".into()),
            _ => {}
        }
        out
    }

    /// The drivers named by the attribute files git reads here: the work tree's root and
    /// tracked `.gitattributes`, `info/attributes`, the global and system attribute files.
    /// (An untracked `.gitattributes` below the root is not seen.)
    fn drivers(&self) -> Drivers {
        let Some(wt) = &self.worktree else {
            return Drivers::unknown();
        };
        let Ok(index) = self.index() else {
            return Drivers::unknown();
        };
        let mut files: Vec<PathBuf> = vec![
            wt.join(".gitattributes"),
            self.commondir.join("info/attributes"),
            PathBuf::from("/etc/gitattributes"),
            PathBuf::from("/usr/local/etc/gitattributes"),
            PathBuf::from("/opt/homebrew/etc/gitattributes"),
        ];
        files.extend(
            index
                .iter()
                .filter(|e| e.name == ".gitattributes" || e.name.ends_with("/.gitattributes"))
                .map(|e| wt.join(&e.name)),
        );
        match self
            .entries
            .iter()
            .rev()
            .find(|e| e.section == "core" && e.name == "attributesfile")
        {
            Some(e) => match &e.value {
                Some(v) if !v.starts_with("%(") => {
                    files.push(PathBuf::from(expand_tilde(v, &self.home)));
                }
                _ => return Drivers::unknown(),
            },
            None => {
                let xdg = std::env::var_os("XDG_CONFIG_HOME")
                    .map(PathBuf::from)
                    .filter(|p| p.is_absolute())
                    .unwrap_or_else(|| self.home.join(".config"));
                files.push(xdg.join("git/attributes"));
            }
        }
        let (mut filters, mut diffs) = (Vec::new(), Vec::new());
        for f in files {
            let named = match std::fs::metadata(&f) {
                Err(_) => continue,
                Ok(m) if !m.is_file() || m.len() > 1024 * 1024 => return Drivers::unknown(),
                Ok(m) => ATTRIBUTES.get(&f, &m, || {
                    let text = std::fs::read_to_string(&f).ok()?;
                    let (mut filters, mut diffs) = (Vec::new(), Vec::new());
                    for tok in text.split_whitespace() {
                        if let Some(n) = tok.strip_prefix("filter=") {
                            filters.push(n.trim_matches('"').to_string());
                        } else if let Some(n) = tok.strip_prefix("diff=") {
                            diffs.push(n.trim_matches('"').to_string());
                        }
                    }
                    Some((filters, diffs))
                }),
            };
            let Some((f, d)) = &*named else {
                return Drivers::unknown();
            };
            filters.extend(f.iter().cloned());
            diffs.extend(d.iter().cloned());
        }
        Drivers {
            filters: Some(filters),
            diffs: Some(diffs),
        }
    }

    /// Whether a stash exists (it may keep untracked files, `.env` included, in a commit of
    /// its own that no index lists).
    pub fn has_stash(&self) -> bool {
        if self.no_repo {
            return false;
        }
        self.commondir.join("refs/stash").exists()
            || self.commondir.join("logs/refs/stash").exists()
            || match std::fs::read_to_string(self.commondir.join("packed-refs")) {
                Ok(t) => t.contains("refs/stash"),
                Err(e) => e.kind() != std::io::ErrorKind::NotFound,
            }
    }

    pub fn hash_len(&self) -> usize {
        let sha256 = self.entries.iter().any(|e| {
            e.section == "extensions"
                && e.name == "objectformat"
                && e.value
                    .as_deref()
                    .is_some_and(|v| v.eq_ignore_ascii_case("sha256"))
        });
        if sha256 {
            32
        } else {
            20
        }
    }

    /// The tracked entries of the index (`Ok(vec![])` when there is no index yet).
    pub fn index(&self) -> ParsedIndex {
        self.index_cache.get_or_init(|| self.read_index()).clone()
    }

    fn read_index(&self) -> ParsedIndex {
        if self.no_repo {
            return Ok(Arc::default());
        }
        let path = self.gitdir.join("index");
        let Ok(meta) = std::fs::metadata(&path) else {
            return Ok(Arc::default());
        };
        if meta.len() > index::MAX_INDEX_BYTES {
            return Err("the index is too large to examine".into());
        }
        let hash_len = self.hash_len();
        let parsed = INDEXES.get(&(path.clone(), hash_len), &meta, || {
            let bytes = std::fs::read(&path).map_err(|_| "the index is unreadable".to_string())?;
            index::parse(&bytes, hash_len).map(Arc::new)
        });
        (*parsed).clone()
    }

    /// Whether the index tracks a secret file (`.env` committed by mistake) under `limits`
    /// (absolute pathspec directories or files, when the command is limited to them); `true`
    /// when the index cannot be read exactly.
    pub fn tracks_secret_under(&self, cfg: &Compiled, limits: Option<&[PathBuf]>) -> bool {
        let base = self.worktree.clone().unwrap_or_else(|| self.gitdir.clone());
        match self.index() {
            Ok(entries) => entries.iter().any(|e| {
                let p = base.join(&e.name);
                cfg.secrets.is_match(&p)
                    && !cfg.secret_exceptions.is_match(&p)
                    && limits.is_none_or(|l| l.iter().any(|d| p.starts_with(d)))
            }),
            Err(_) => true,
        }
    }

    /// Guard files (`.claude/settings.json`, hooks) that a command writing the work tree could
    /// reach: tracked in the index (and whether the file differs from what the index
    /// recorded) or present on disk under the work tree. `Err` when that cannot be known.
    pub fn guard_files(&self, cfg: &Compiled) -> Result<Vec<GuardFile>, String> {
        use std::os::unix::fs::MetadataExt;
        let Some(wt) = &self.worktree else {
            return Ok(Vec::new());
        };
        // A file changed in the same second the index was written may look unchanged by its
        // stat data alone (git's "racy clean"): count it as modified.
        let index_mtime = std::fs::metadata(self.gitdir.join("index"))
            .map(|m| m.mtime())
            .unwrap_or(i64::MAX);
        let mut out: Vec<GuardFile> = self
            .index()?
            .iter()
            .filter(|e| cfg.guards.is_match(wt.join(&e.name)))
            .map(|e| {
                let path = wt.join(&e.name);
                let modified = match std::fs::symlink_metadata(&path) {
                    Ok(m) => {
                        m.size() as u32 != e.size
                            || m.mtime() as u32 != e.mtime_s
                            || (e.mtime_ns != 0 && m.mtime_nsec() as u32 != e.mtime_ns)
                            || m.mtime() >= index_mtime
                    }
                    Err(_) => true,
                };
                GuardFile {
                    path,
                    tracked: true,
                    modified,
                }
            })
            .collect();
        // Breadth first, so that `.claude/` at the top is seen before a deep `node_modules`.
        let mut queue = std::collections::VecDeque::from([wt.clone()]);
        let mut seen = 0usize;
        while let Some(dir) = queue.pop_front() {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in rd.flatten() {
                seen += 1;
                if seen > 50_000 {
                    if out.is_empty() {
                        return Err("the work tree is too large to search for guard files".into());
                    }
                    return Ok(out);
                }
                let p = e.path();
                if cfg.guards.is_match(&p) && !out.iter().any(|g| g.path == p) {
                    out.push(GuardFile {
                        path: p.clone(),
                        tracked: false,
                        modified: true,
                    });
                }
                if e.file_type().is_ok_and(|t| t.is_dir()) && e.file_name() != ".git" {
                    queue.push_back(p);
                }
            }
        }
        Ok(out)
    }

    /// The repositories of gitlinks (submodules, embedded repositories added to the index):
    /// `git status` and friends run inside each one that is checked out.
    pub fn gitlink_dirs(&self) -> Result<Vec<PathBuf>, String> {
        let Some(wt) = &self.worktree else {
            return Ok(Vec::new());
        };
        Ok(self
            .index()?
            .iter()
            .filter(|e| e.gitlink)
            .map(|e| wt.join(&e.name))
            .filter(|p| p.join(".git").exists())
            .collect())
    }

    /// Whether `git remote -v` would print a password: remote URLs, and `url.*.insteadOf`
    /// bases that rewrite them.
    pub fn remote_urls_hold_password(&self) -> bool {
        self.entries.iter().any(|e| {
            (e.section == "remote" && e.value.as_deref().is_some_and(url_has_password))
                || (e.section == "url" && e.subsection.as_deref().is_some_and(url_has_password))
        })
    }

    /// Whether any entry of the configuration is, or carries, a credential.
    pub fn holds_credentials(&self) -> bool {
        self.remote_urls_hold_password()
            || self
                .entries
                .iter()
                .any(|e| credential_key(e) || e.value.as_deref().is_some_and(url_has_password))
    }

    /// Whether the value(s) `git config --get NAME` prints carry a credential.
    pub fn value_holds_credential(&self, name: &str) -> bool {
        let Some((section, rest)) = name.split_once('.') else {
            return true;
        };
        let (sub, key) = match rest.rsplit_once('.') {
            Some((s, k)) => (Some(s), k),
            None => (None, rest),
        };
        self.entries.iter().any(|e| {
            e.section.eq_ignore_ascii_case(section)
                && e.name.eq_ignore_ascii_case(key)
                && e.subsection.as_deref() == sub
                && e.value.as_deref().is_some_and(url_has_password)
        })
    }
}

/// Keys whose values are credentials or carry them (a `credential.helper` can be an inline
/// script that prints a password).
pub(super) fn credential_key(e: &config::Entry) -> bool {
    let n = e.name.as_str();
    e.section == "credential"
        || (e.section == "http" && matches!(n, "extraheader" | "cookiefile" | "proxyauthmethod"))
        || [
            "password",
            "token",
            "secret",
            "pass",
            "oauthtoken",
            "apikey",
            "extraheader",
        ]
        .iter()
        .any(|x| n.ends_with(x))
}

/// `scheme://user:password@host…`.
pub(super) fn url_has_password(v: &str) -> bool {
    let Some((_, rest)) = v.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':') || userinfo.len() > 20)
}

#[cfg(test)]
mod tests {
    use super::plain_pager;

    #[test]
    fn plain_pagers() {
        for ok in [
            "less",
            "less -R",
            "/usr/bin/less -FRX",
            "delta",
            "delta --dark",
            "cat",
            "",
        ] {
            assert!(plain_pager(ok), "{ok}");
        }
        for bad in [
            "sh -c x",
            "less; touch x",
            "less $(id)",
            "delta --features=x",
            "less -R | tee x",
            "vim -",
            "less `id`",
            "less --lesskey-src=x",
            "less +!id",
            "less ~/x",
        ] {
            assert!(!plain_pager(bad), "{bad}");
        }
    }
}
