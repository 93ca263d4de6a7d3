//! Paths: normalise relative to the working directory, resolve symlinks where the path
//! exists, and classify: inside a workspace, a secret, a guard path (Assent itself or the
//! agent's hook configuration).

use crate::config::{expand_tilde, Compiled};
use std::path::{Component, Path, PathBuf};

/// What a path is, once normalised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathClass {
    pub path: String,
    pub inside_workspace: bool,
    /// Names a secret, or may (a glob that could match one).
    pub secret: bool,
    /// Certainly a secret: a literal path, or a glob whose file name has no wildcard.
    pub secret_certain: bool,
    /// The path is a directory that holds secrets (`~`, `~/.ssh`): a recursive read would
    /// include them.
    pub secret_ancestor: bool,
    pub guard: bool,
    /// The path is a directory that holds a guard path: deleting or moving it is tampering.
    pub guard_ancestor: bool,
    /// An existing regular file with more than one hard link: it may be another name for a
    /// secret, which no path check can see.
    pub hardlinked: bool,
    /// The path contains glob characters.
    pub glob: bool,
}

/// The directory context of one action.
#[derive(Debug, Clone)]
pub(crate) struct PathCtx {
    pub cwd: PathBuf,
    pub roots: Vec<PathBuf>,
    /// Set once the shell changes directory to somewhere unknown (`cd "$X"`): relative paths
    /// can then be anywhere.
    pub cwd_unknown: bool,
}

impl PathCtx {
    /// `cwd` is the action's working directory; without one, relative paths are unknown and
    /// nothing is inside a workspace unless roots are configured.
    pub fn new(cfg: &Compiled, cwd: Option<&str>) -> PathCtx {
        let cwd_path = lexical(Path::new(cwd.unwrap_or("/")));
        let roots: Vec<PathBuf> = if cfg.workspace_roots.is_empty() {
            cwd.map(|_| cwd_path.clone()).into_iter().collect()
        } else {
            cfg.workspace_roots.iter().map(|r| lexical(r)).collect()
        };
        // A workspace is a project directory: never the root, a top-level system directory
        // or the whole home directory, where "inside the workspace" would mean everything.
        let roots = roots
            .into_iter()
            .map(|r| resolve(cfg, &r))
            .filter(|r| {
                r.components().count() > 2 && *r != cfg.home_resolved && acceptable_root(cfg, r)
            })
            .collect();
        PathCtx {
            cwd: cwd_path,
            roots,
            cwd_unknown: cwd.is_none(),
        }
    }

    /// Absolute, normalised form of `raw` (which may start with `~`).
    pub fn absolute(&self, cfg: &Compiled, raw: &str) -> PathBuf {
        let expanded = expand_tilde(raw, &cfg.home);
        let joined = if expanded.starts_with('/') {
            PathBuf::from(expanded)
        } else {
            self.cwd.join(expanded)
        };
        lexical(&joined)
    }

    pub fn classify(&self, cfg: &Compiled, raw: &str) -> PathClass {
        if raw.trim() != raw && !raw.trim().is_empty() {
            // `".env "`: some reader may trim it; judge it as both.
            let mut a = self.classify_inner(cfg, raw);
            let b = self.classify_inner(cfg, raw.trim());
            a.secret |= b.secret;
            a.secret_certain |= b.secret_certain;
            a.guard |= b.guard;
            a.guard_ancestor |= b.guard_ancestor;
            a.hardlinked |= b.hardlinked;
            a.inside_workspace &= b.inside_workspace;
            return a;
        }
        self.classify_inner(cfg, raw)
    }

    fn classify_inner(&self, cfg: &Compiled, raw: &str) -> PathClass {
        if ["+(", "@(", "!(", "*(", "?("]
            .iter()
            .any(|x| raw.contains(x))
        {
            // extglob: `+(.env)`, `@(a|b)`; `!(x)` could be anything.
            let mut c = self.classify(cfg, &extglob_to_glob(raw));
            c.glob = true;
            return c;
        }
        let lexical_path = self.absolute(cfg, raw);
        let glob = raw.contains(['*', '?', '[', '{'])
            || ["+(", "@(", "!("].iter().any(|x| raw.contains(x));
        // Resolve the path as the kernel would: `link/..` is the parent of the link's
        // target, not the directory that holds the link.
        let expanded = expand_tilde(raw, &cfg.home);
        let joined = if expanded.starts_with('/') {
            PathBuf::from(&expanded)
        } else {
            self.cwd.join(&expanded)
        };
        let path = if glob {
            lexical_path.clone()
        } else {
            resolve(cfg, &joined)
        };
        let relative_unknown = self.cwd_unknown && !raw.starts_with('/') && !raw.starts_with('~');
        let inside = !relative_unknown
            && !glob_escapes(raw)
            && self.roots.iter().any(|r| path.starts_with(r))
            && self
                .roots
                .iter()
                .any(|r| lexical_path.starts_with(r) || path.starts_with(r));
        let mut class = PathClass {
            path: path.display().to_string(),
            inside_workspace: inside,
            glob,
            ..PathClass::default()
        };
        if !glob && cfg.resolve_symlinks {
            use std::os::unix::fs::MetadataExt;
            if let Ok(m) = std::fs::metadata(&path) {
                class.hardlinked = m.is_file() && m.nlink() > 1;
            }
        }
        if glob && cfg.resolve_symlinks {
            // What the glob matches on disk right now.
            for m in expand_glob(&lexical_path) {
                let c = self.classify(cfg, &m.display().to_string());
                if c.secret {
                    class.secret = true;
                    class.secret_certain = true;
                }
                class.guard |= c.guard;
                class.guard_ancestor |= c.guard_ancestor;
                if !c.inside_workspace {
                    class.inside_workspace = false;
                }
            }
        }
        for candidate in [&lexical_path, &path] {
            let is_secret = if glob {
                glob_may_match_secret(cfg, candidate)
                    || glob_matches_secret_sample(cfg, &self.cwd, candidate)
            } else {
                cfg.secrets.is_match(candidate) && !cfg.secret_exceptions.is_match(candidate)
            };
            class.secret |= is_secret;
            let last_has_wildcard = candidate
                .file_name()
                .is_some_and(|n| n.to_string_lossy().contains(['*', '?', '[']));
            class.secret_certain |= is_secret && (!glob || !last_has_wildcard);
            class.guard |= cfg.guards.is_match(candidate);
            class.guard_ancestor |= cfg.guard_roots.iter().any(|g| g.starts_with(candidate));
            class.secret_ancestor |= cfg.secret_roots.iter().any(|s| s.starts_with(candidate));
            if glob {
                // A glob that could name a guard path or one of its ancestors (`~/.ass*`).
                if let Ok(g) = globset::GlobBuilder::new(&candidate.display().to_string())
                    .literal_separator(true)
                    .build()
                {
                    let m = g.compile_matcher();
                    if cfg
                        .guard_roots
                        .iter()
                        .any(|r| r.ancestors().any(|a| a != Path::new("/") && m.is_match(a)))
                    {
                        class.guard_ancestor = true;
                    }
                }
            }
            if let Some(name) = candidate.file_name() {
                let name = name.to_string_lossy();
                if cfg
                    .guard_dir_names
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(&name))
                {
                    class.guard_ancestor = true;
                }
            }
            if cfg.resolve_symlinks
                && !glob
                && cfg
                    .guard_dir_names
                    .iter()
                    .any(|d| candidate.join(d).exists())
            {
                // Deleting or moving a directory that holds `.claude/` removes the hook settings.
                class.guard_ancestor = true;
            }
        }
        if relative_unknown {
            class.secret_ancestor = true;
        }
        class
    }
}

/// Rewrites bash extglob groups as globset alternations: `@(a|b)`, `+(a|b)`, `?(a|b)`,
/// `*(a|b)` → `{a,b}` (the optional forms may also be empty); `!(…)` → `*`.
fn extglob_to_glob(raw: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = raw.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if matches!(c, '@' | '+' | '?' | '*' | '!') && chars.get(i + 1) == Some(&'(') {
            if let Some(close) = chars[i + 2..].iter().position(|x| *x == ')') {
                let inner: String = chars[i + 2..i + 2 + close].iter().collect();
                let alts = inner.replace('|', ",");
                match c {
                    '!' => out.push('*'),
                    '?' | '*' => out.push_str(&format!("{{{alts},}}")),
                    _ => out.push_str(&format!("{{{alts}}}")),
                }
                i += close + 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Files a glob in the last path component matches now, as the shell would (a leading
/// wildcard does not match a leading dot). At most 4096 entries are looked at.
fn expand_glob(pattern: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(last)) = (pattern.parent(), pattern.file_name()) else {
        return Vec::new();
    };
    let last = last.to_string_lossy().to_string();
    if dir.to_string_lossy().contains(['*', '?', '[', '{']) {
        return Vec::new();
    }
    let Ok(g) = globset::GlobBuilder::new(&last)
        .literal_separator(true)
        .build()
    else {
        return Vec::new();
    };
    let m = g.compile_matcher();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .take(4096)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            (last.starts_with('.') || !name.starts_with('.')) && m.is_match(&name)
        })
        .map(|e| e.path())
        .collect()
}

/// Whether a directory tree holds a secret a recursive read would reach. `skip_hidden`
/// models ripgrep's default (hidden files and directories are not searched). `None` when
/// the tree is too large to check.
pub(crate) fn tree_holds_secret(
    cfg: &Compiled,
    _ctx: &PathCtx,
    root: &Path,
    skip_hidden: bool,
    only: Option<&str>,
) -> Option<bool> {
    const BUDGET: usize = 20_000;
    // With a file-name glob (`*.js`), only files it matches are read.
    let only = only
        .and_then(|g| globset::GlobBuilder::new(g).build().ok())
        .map(|g| g.compile_matcher());
    let mut seen = 0usize;
    if !root.is_dir() {
        return Some(false);
    }
    if skip_hidden && whitelists_hidden(root) {
        // A `!pattern` line in an ignore file can re-include hidden files (`!.env`).
        return tree_holds_secret(cfg, _ctx, root, false, None);
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            seen += 1;
            if seen > BUDGET {
                return None;
            }
            let name = e.file_name().to_string_lossy().to_string();
            if (skip_hidden && name.starts_with('.')) || name == ".git" {
                continue;
            }
            let path = e.path();
            // Entries below the root are real paths (recursion does not follow links), so a
            // pattern match is enough: no need to resolve each one.
            let selected = only
                .as_ref()
                .is_none_or(|m| m.is_match(&name) || m.is_match(&path));
            if selected && cfg.secrets.is_match(&path) && !cfg.secret_exceptions.is_match(&path) {
                return Some(true);
            }
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path);
            }
        }
    }
    Some(false)
}

/// Whether an ignore file in `root`, below it (bounded) or in its ancestors has a `!` line.
fn whitelists_hidden(root: &Path) -> bool {
    let has_bang = |dir: &Path| {
        [".gitignore", ".ignore", ".rgignore"].iter().any(|f| {
            std::fs::read_to_string(dir.join(f))
                .is_ok_and(|t| t.lines().any(|l| l.trim_start().starts_with('!')))
        })
    };
    if root.ancestors().any(has_bang) {
        return true;
    }
    let mut stack = vec![root.to_path_buf()];
    let mut seen = 0;
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            seen += 1;
            if seen > 20_000 {
                return true;
            }
            if e.file_type().is_ok_and(|t| t.is_dir()) && e.file_name() != ".git" {
                if has_bang(&e.path()) {
                    return true;
                }
                stack.push(e.path());
            }
        }
    }
    false
}

/// A directory that may serve as a workspace: not a system directory, not a secret or a
/// directory holding secrets, not Assent's home or the hook settings.
fn acceptable_root(cfg: &Compiled, r: &Path) -> bool {
    // Not /var or /opt as a whole: projects live in /var/www and /opt/app.
    const SYSTEM: &[&str] = &[
        "/proc",
        "/sys",
        "/dev",
        "/etc",
        "/usr",
        "/bin",
        "/sbin",
        "/lib",
        "/lib64",
        "/boot",
        "/run",
        "/snap",
        "/var/log",
        "/var/lib",
        "/var/run",
        "/var/spool",
        "/var/mail",
        "/var/backups",
        "/var/cache",
    ];
    if SYSTEM.iter().any(|d| r.starts_with(d)) {
        return false;
    }
    let is_secret = cfg.secrets.is_match(r)
        || cfg
            .secret_roots
            .iter()
            .any(|s| s.starts_with(r) || r.starts_with(s));
    let is_guard = cfg.guards.is_match(r) || cfg.guard_roots.iter().any(|g| r.starts_with(g));
    !is_secret && !is_guard
}

/// A glob whose pattern climbs with `..` cannot be trusted to stay inside.
fn glob_escapes(raw: &str) -> bool {
    raw.contains(['*', '?', '[']) && raw.split('/').any(|c| c == "..")
}

/// Removes `.` and `..` without touching the file system. `..` at the root stays at the root.
pub(crate) fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for comp in p.components() {
        match comp {
            Component::RootDir | Component::Prefix(_) | Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(c) => out.push(c),
        }
    }
    out
}

/// Follows symlinks for the longest existing prefix of `p`, as the kernel would (a `..`
/// after a symlink leaves the link's target), then normalises what is left. The result
/// never contains `.` or `..`.
pub(crate) fn resolve(cfg: &Compiled, p: &Path) -> PathBuf {
    if !cfg.resolve_symlinks {
        return lexical(p);
    }
    if let Ok(real) = std::fs::canonicalize(p) {
        return real;
    }
    resolve_dangling(p, 0)
}

/// The slow path of [`resolve`]: canonicalise the longest existing prefix, and follow a
/// symlink whose target does not exist yet (writing through it would create the target).
fn resolve_dangling(p: &Path, depth: usize) -> PathBuf {
    let comps: Vec<Component> = p.components().collect();
    let mut best = PathBuf::from("/");
    let mut used = 0;
    for i in 1..=comps.len() {
        let prefix: PathBuf = comps[..i].iter().collect();
        match std::fs::canonicalize(&prefix) {
            Ok(real) => {
                best = real;
                used = i;
            }
            Err(_) => {
                let link = best.join(comps[i - 1]);
                if depth < 8
                    && std::fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink())
                {
                    if let Ok(target) = std::fs::read_link(&link) {
                        let mut next = if target.is_absolute() {
                            target
                        } else {
                            best.join(target)
                        };
                        for c in &comps[i..] {
                            next.push(c);
                        }
                        return resolve_dangling(&lexical(&next), depth + 1);
                    }
                }
                break;
            }
        }
    }
    let mut out = best;
    for c in &comps[used..] {
        out.push(c);
    }
    lexical(&out)
}

/// Whether a glob could match one of a few well-known secret locations (`/proc/*/environ`,
/// `~/.ssh/id_rsa`, `.env` beside it).
fn glob_matches_secret_sample(cfg: &Compiled, cwd: &Path, pattern: &Path) -> bool {
    let text = pattern.display().to_string();
    let Ok(glob) = globset::GlobBuilder::new(&text)
        .literal_separator(true)
        .case_insensitive(true)
        .build()
    else {
        return true;
    };
    let m = glob.compile_matcher();
    let home = cfg.home.display().to_string();
    let dir = pattern
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let samples = [
        format!("{home}/.ssh/id_rsa"),
        format!("{home}/.ssh/id_ed25519"),
        format!("{home}/.aws/credentials"),
        format!("{home}/.netrc"),
        format!("{home}/.git-credentials"),
        format!("{home}/.kube/config"),
        format!("{home}/.docker/config.json"),
        "/proc/1/environ".into(),
        "/proc/self/environ".into(),
        "/proc/1/task/1/environ".into(),
        "/etc/shadow".into(),
        format!("{}/.env", cwd.display()),
        format!("{dir}/.env"),
        format!("{dir}/id_rsa"),
    ];
    samples
        .iter()
        .any(|s| m.is_match(s) && (cfg.secrets.is_match(s) || s.ends_with("environ")))
}

/// Names a glob could expand to that are secrets under the default patterns; a glob that
/// matches any of them, in the directory it points at, may read a secret.
const SECRET_SAMPLES: &[&str] = &[
    ".env",
    ".env.local",
    ".env.production",
    ".envrc",
    "id_rsa",
    "id_ed25519",
    "id_ecdsa",
    "server.pem",
    "server.key",
    "credentials",
    "credentials.json",
    "environ",
    "shadow",
    ".netrc",
    ".ssh",
    ".aws",
    ".git-credentials",
    ".npmrc",
    ".pypirc",
    "secrets.yml",
    "config.json",
    ".pgpass",
];

fn glob_may_match_secret(cfg: &Compiled, pattern: &Path) -> bool {
    let text = pattern.display().to_string();
    let Some((dir, last)) = text.rsplit_once('/') else {
        return true;
    };
    if dir.contains(['*', '?', '[']) {
        // Wildcards in directories reach any directory below the literal prefix: a secret
        // directory under that prefix could be reached; otherwise only the file name decides.
        let prefix: PathBuf = dir
            .split('/')
            .take_while(|c| !c.contains(['*', '?', '[']))
            .collect::<Vec<_>>()
            .join("/")
            .into();
        let prefix = if prefix.as_os_str().is_empty() {
            PathBuf::from("/")
        } else {
            prefix
        };
        if cfg.secret_roots.iter().any(|r| r.starts_with(&prefix)) {
            return true;
        }
        let Ok(glob) = globset::GlobBuilder::new(last)
            .literal_separator(true)
            .build()
        else {
            return true;
        };
        let m = glob.compile_matcher();
        return SECRET_SAMPLES.iter().any(|sample| {
            (!sample.starts_with('.') || last.starts_with('.'))
                && m.is_match(sample)
                && cfg.secrets.is_match(format!("/x/{sample}"))
        });
    }
    let Ok(glob) = globset::GlobBuilder::new(last)
        .literal_separator(true)
        .build()
    else {
        return true;
    };
    let m = glob.compile_matcher();
    SECRET_SAMPLES.iter().any(|sample| {
        // Like the shell, a wildcard does not match a leading dot unless the pattern has one
        // (brace alternatives can spell the dot themselves).
        if sample.starts_with('.') && !last.starts_with('.') && !last.contains('{') {
            return false;
        }
        let full = format!("{dir}/{sample}");
        m.is_match(sample)
            && (cfg.secrets.is_match(&full)
                || cfg.secret_roots.iter().any(|r| r == Path::new(&full)))
    })
}
