//! Paths: normalise relative to the working directory, resolve symlinks where the path
//! exists, and classify: inside a workspace, a secret, a guard path (Assent itself or the
//! agent's hook configuration).

use crate::config::{expand_tilde, Compiled};
use std::os::unix::fs::MetadataExt as _;
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
    /// `secret` only because the pattern could match a secret: nothing on disk that it
    /// names now is one. Enough to keep a content read off the allow path; a listing of
    /// names reveals nothing by it.
    pub secret_by_pattern: bool,
    /// An existing regular file whose start holds something shaped like a live credential
    /// (a token, a private key, a password in a URL): secret by content, whatever its name.
    pub credentials: bool,
}

/// The directory context of one action.
#[derive(Debug, Clone)]
pub(crate) struct PathCtx {
    /// The working directory the shell is most likely in (its logical path, as `$PWD`).
    pub cwd: PathBuf,
    /// Other directories the shell could be in at this point (a `cd` that may have failed, a
    /// branch that may not have run). Relative paths are judged under each; the worst wins.
    pub cwd_alts: Vec<PathBuf>,
    pub roots: Vec<PathBuf>,
    /// Set once the shell changes directory to somewhere unknown (`cd "$X"`): relative paths
    /// can then be anywhere.
    pub cwd_unknown: bool,
    /// What this decision already worked out, shared by every copy of the context.
    pub memo: std::rc::Rc<Memo>,
}

/// Answers worked out once per decision: the same word under the same directory is judged
/// once, however many commands or readings name it (the file system is read once for it,
/// so every reading also sees the same state).
#[derive(Debug, Default)]
pub(crate) struct Memo {
    /// (working directory, whether it is unknown, word) → its class as a literal path.
    literals: std::cell::RefCell<std::collections::HashMap<(PathBuf, bool, String), PathClass>>,
}

/// What bash makes of a glob word on disk now (see [`PathCtx::expand_word`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct GlobExpansion {
    /// The words it becomes, in the form bash produces them (relative stays relative);
    /// `None` when that form cannot be told (`..` in a relative pattern).
    pub words: Option<Vec<String>>,
    /// Directories bash lists to expand it.
    pub dirs_read: Vec<PathBuf>,
}

/// How a word with glob characters is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// As a literal path and as a pattern (what the shell does depends on what exists).
    Word,
    /// As a literal path only (a name found on disk: its `?` is a character).
    Literal,
    /// As a pattern only, without looking at the disk (the skeleton of a dynamic word).
    Pattern,
    /// As a literal path and as a pattern, without looking at the disk (a git pathspec: git
    /// matches it against its index and history, not against what exists).
    Spec,
}

/// Most paths a wildcard is expanded to on disk before the expansion is judged incomplete.
const MAX_MATCHES: usize = 512;
/// Most directory entries looked at while expanding one wildcard.
const MAX_ENTRIES: usize = 8192;

fn has_glob_chars(raw: &str) -> bool {
    raw.contains(['*', '?', '[', '{'])
}

fn is_relative(raw: &str) -> bool {
    !raw.starts_with('/') && raw != "~" && !raw.starts_with("~/")
}

impl PathClass {
    /// Folds another reading of the same word into this one, keeping the worst of each.
    fn worst(&mut self, o: PathClass) {
        let named = (self.secret && !self.secret_by_pattern) || (o.secret && !o.secret_by_pattern);
        self.secret_by_pattern = !named && (self.secret || o.secret);
        self.inside_workspace &= o.inside_workspace;
        self.secret |= o.secret;
        self.secret_certain |= o.secret_certain;
        self.secret_ancestor |= o.secret_ancestor;
        self.guard |= o.guard;
        self.guard_ancestor |= o.guard_ancestor;
        self.hardlinked |= o.hardlinked;
        self.credentials |= o.credentials;
        self.glob |= o.glob;
    }
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
            cwd_alts: Vec::new(),
            roots,
            cwd_unknown: cwd.is_none(),
            memo: Default::default(),
        }
    }

    /// Every directory the shell could be in (the likeliest first).
    pub fn cwds(&self) -> impl Iterator<Item = &PathBuf> {
        std::iter::once(&self.cwd).chain(self.cwd_alts.iter())
    }

    /// The same context with one working directory.
    pub fn at(&self, cwd: &Path) -> PathCtx {
        PathCtx {
            cwd: cwd.to_path_buf(),
            cwd_alts: Vec::new(),
            roots: self.roots.clone(),
            cwd_unknown: self.cwd_unknown,
            memo: self.memo.clone(),
        }
    }

    /// What bash makes of an unquoted glob word here: the words it expands to (empty when
    /// nothing matches and the word is passed as it is) and the directories it lists to
    /// find them. `None` when that cannot be known completely (no file-system access, an
    /// unknown or uncertain directory, extglob, globstar, unreadable directories).
    pub fn expand_word(&self, cfg: &Compiled, raw: &str) -> Option<GlobExpansion> {
        if !cfg.resolve_symlinks
            || self.cwd_unknown
            || !self.cwd_alts.is_empty()
            || ["+(", "@(", "!(", "*(", "?("]
                .iter()
                .any(|x| raw.contains(x))
        {
            return None;
        }
        let pattern = self.absolute(cfg, raw);
        let mut dirs_read = Vec::new();
        let found = only_dirs_if_slash(raw, expand_listing(&pattern, &mut dirs_read)?);
        let relative = is_relative(raw);
        let climbs = raw
            .split('/')
            .any(|c| c == ".." || (c == "." && !raw.starts_with("./")));
        let words = if relative && climbs {
            None
        } else {
            let base = format!("{}/", self.cwd.display());
            let mut words = Vec::new();
            for (p, _) in &found {
                let text = p.display().to_string();
                let word = if relative {
                    let rest = text.strip_prefix(&base)?.to_string();
                    if raw.starts_with("./") {
                        format!("./{rest}")
                    } else {
                        rest
                    }
                } else {
                    text
                };
                words.push(word);
            }
            Some(words)
        };
        Some(GlobExpansion { words, dirs_read })
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

    /// Classifies a path word under every directory the shell could be in; the worst
    /// reading wins. A word with glob characters is judged both as the literal name bash
    /// passes when nothing matches and as the pattern it is.
    pub fn classify(&self, cfg: &Compiled, raw: &str) -> PathClass {
        self.classify_mode(cfg, raw, Mode::Word)
    }

    /// Classifies a literal path (no glob expansion, no second working directory): for
    /// describing a path a decision already named.
    pub fn classify_literal_path(&self, cfg: &Compiled, raw: &str) -> PathClass {
        self.classify_trimmed(cfg, raw, Mode::Literal)
    }

    /// Classifies the skeleton of a dynamic word (`/proc/*/environ`): as a pattern only.
    pub fn classify_pattern(&self, cfg: &Compiled, raw: &str) -> PathClass {
        self.classify_mode(cfg, raw, Mode::Pattern)
    }

    /// Classifies a git pathspec: the literal name and the pattern (never expanded on disk).
    pub fn classify_pathspec(&self, cfg: &Compiled, raw: &str) -> PathClass {
        self.classify_mode(cfg, raw, Mode::Spec)
    }

    fn classify_mode(&self, cfg: &Compiled, raw: &str, mode: Mode) -> PathClass {
        let mut class = self.classify_trimmed(cfg, raw, mode);
        if is_relative(raw) {
            for alt in &self.cwd_alts {
                class.worst(self.at(alt).classify_trimmed(cfg, raw, mode));
            }
        }
        class
    }

    fn classify_trimmed(&self, cfg: &Compiled, raw: &str, mode: Mode) -> PathClass {
        let mut class = self.classify_word(cfg, raw, mode);
        if raw.trim() != raw && !raw.trim().is_empty() {
            // `".env "`: some reader may trim it; judge it as both.
            class.worst(self.classify_word(cfg, raw.trim(), mode));
        }
        class
    }

    fn classify_word(&self, cfg: &Compiled, raw: &str, mode: Mode) -> PathClass {
        let extglob = ["+(", "@(", "!(", "*(", "?("]
            .iter()
            .any(|x| raw.contains(x));
        if mode == Mode::Literal || !(has_glob_chars(raw) || extglob) {
            return self.classify_literal(cfg, raw);
        }
        let mut class = if matches!(mode, Mode::Word | Mode::Spec) {
            // When nothing matches, bash passes the word as it is: `app/[slug]/page.tsx`.
            let mut c = self.classify_literal(cfg, raw);
            c.glob = true;
            c
        } else {
            PathClass {
                inside_workspace: true,
                ..PathClass::default()
            }
        };
        let pattern = if extglob {
            // extglob: `+(.env)`, `@(a|b)`; `!(x)` could be anything.
            extglob_to_glob(raw)
        } else {
            raw.to_string()
        };
        let p = self.classify_pattern_text(cfg, &pattern, mode, extglob);
        if mode == Mode::Pattern {
            class.path = p.path.clone();
        }
        class.worst(p);
        class
    }

    /// A word taken as a literal path: resolved as the kernel would, hard links seen.
    fn classify_literal(&self, cfg: &Compiled, raw: &str) -> PathClass {
        let key = (self.cwd.clone(), self.cwd_unknown, raw.to_string());
        if let Some(hit) = self.memo.literals.borrow().get(&key) {
            return hit.clone();
        }
        let class = self.classify_literal_now(cfg, raw);
        self.memo.literals.borrow_mut().insert(key, class.clone());
        class
    }

    fn classify_literal_now(&self, cfg: &Compiled, raw: &str) -> PathClass {
        let lexical_path = self.absolute(cfg, raw);
        // Resolve the path as the kernel would: `link/..` is the parent of the link's
        // target, not the directory that holds the link.
        let expanded = expand_tilde(raw, &cfg.home);
        let joined = if expanded.starts_with('/') {
            PathBuf::from(&expanded)
        } else {
            self.cwd.join(&expanded)
        };
        let path = resolve(cfg, &joined);
        let relative_unknown = self.cwd_unknown && is_relative(raw);
        let inside = !relative_unknown
            && self.roots.iter().any(|r| path.starts_with(r))
            && self
                .roots
                .iter()
                .any(|r| lexical_path.starts_with(r) || path.starts_with(r));
        let mut class = PathClass {
            path: path.display().to_string(),
            inside_workspace: inside,
            ..PathClass::default()
        };
        if cfg.resolve_symlinks {
            use std::os::unix::fs::MetadataExt;
            if let Ok(m) = std::fs::metadata(&path) {
                class.hardlinked = m.is_file() && m.nlink() > 1;
                class.credentials = m.is_file()
                    && m.len() > 0
                    && crate::secrets::in_file(&path).is_some_and(|found| !found.is_empty());
            }
        }
        // The lexical and the resolved form, once each (they are the same path unless a
        // symlink or `..` is on the way).
        let candidates: &[&PathBuf] = if lexical_path == path {
            &[&path]
        } else {
            &[&lexical_path, &path]
        };
        for candidate in candidates.iter().copied() {
            let is_secret =
                cfg.secrets.is_match(candidate) && !cfg.secret_exceptions.is_match(candidate);
            class.secret |= is_secret;
            class.secret_certain |= is_secret;
            class.guard |= cfg.guards.is_match(candidate);
            self.ancestors(cfg, candidate, &mut class);
            if cfg.resolve_symlinks
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

    fn ancestors(&self, cfg: &Compiled, candidate: &Path, class: &mut PathClass) {
        class.guard_ancestor |= cfg.guard_root_ancestors.contains(candidate);
        class.secret_ancestor |= cfg.secret_root_ancestors.contains(candidate);
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
    }

    /// A word taken as a pattern. When `expand` and the file system may be read, the
    /// pattern is expanded on disk (every component, as bash would); a complete expansion is
    /// judged by what it names. Otherwise the pattern itself is judged: if it could match a
    /// secret or guard path, it is taken to name one.
    ///
    /// `extglob`: the pattern is an extglob rewritten with brace groups; its brace
    /// alternatives are expanded, but repetitions (`+(…)`) are not, so the pattern is always
    /// judged too.
    fn classify_pattern_text(
        &self,
        cfg: &Compiled,
        pattern: &str,
        mode: Mode,
        extglob: bool,
    ) -> PathClass {
        let expand = mode == Mode::Word;
        let lexical_path = self.absolute(cfg, pattern);
        let text = lexical_path.display().to_string();
        let relative_unknown = self.cwd_unknown && is_relative(pattern);
        let inside = !relative_unknown
            && !glob_escapes(pattern)
            && self.roots.iter().any(|r| lexical_path.starts_with(r));
        let mut class = PathClass {
            path: text.clone(),
            inside_workspace: inside,
            glob: true,
            ..PathClass::default()
        };
        let expansion = if expand && cfg.resolve_symlinks && !relative_unknown {
            let alternatives = if extglob {
                crate::glob_meet::braces(&text)
            } else {
                Some(vec![text.clone()])
            };
            alternatives.and_then(|alts| {
                let mut all = Vec::new();
                for alt in alts {
                    all.extend(expand_on_disk(Path::new(&alt))?);
                }
                Some(only_dirs_if_slash(pattern, all))
            })
        } else {
            None
        };
        let mut named = false;
        for (m, strict) in expansion.iter().flatten() {
            let c = self
                .at(&self.cwd)
                .classify_mode(cfg, &m.display().to_string(), Mode::Literal);
            named |= c.secret;
            class.secret |= c.secret;
            // A match only under `dotglob`/`nocaseglob` may not be read: a mention.
            class.secret_certain |= c.secret && *strict;
            class.guard |= c.guard;
            class.guard_ancestor |= c.guard_ancestor;
            class.secret_ancestor |= c.secret_ancestor;
            class.hardlinked |= c.hardlinked;
            class.credentials |= c.credentials;
            class.inside_workspace &= c.inside_workspace;
        }
        // The pattern itself, whatever exists now: when the expansion is not complete, and
        // always for a name aimed at hidden files (`.env*`, `.[e]nv`), where secrets live.
        let aimed_at_hidden = lexical_path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if expansion.is_none() || aimed_at_hidden || extglob {
            let could_be_secret = cfg.secret_texts.iter().any(|s| {
                if mode == Mode::Spec {
                    crate::glob_meet::aims_at(&text, s, true)
                } else {
                    crate::glob_meet::may_meet(&text, s, true)
                }
            });
            let sample = crate::glob_meet::neutral_sample(&text);
            class.secret |= could_be_secret;
            class.secret_certain |= could_be_secret
                && cfg.secrets.is_match(&sample)
                && !cfg.secret_exceptions.is_match(&sample);
            class.secret_by_pattern = could_be_secret && !named;
        }
        class.guard |= cfg
            .guard_texts
            .iter()
            .any(|g| crate::glob_meet::may_meet(&text, g, true));
        // A pattern that could name a guard or secret directory or one of its ancestors
        // (`~/.ass*`, `~/.s*`).
        class.guard_ancestor |= could_name_ancestor(&text, &cfg.guard_roots);
        class.secret_ancestor |= could_name_ancestor(&text, &cfg.secret_roots);
        self.ancestors(cfg, &lexical_path, &mut class);
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
    while let Some((&c, rest)) = chars.get(i..).and_then(<[char]>::split_first) {
        if let Some(body) = rest
            .strip_prefix(&['('])
            .filter(|_| matches!(c, '@' | '+' | '?' | '*' | '!'))
        {
            if let Some(close) = body.iter().position(|x| *x == ')') {
                let inner: String = body.iter().take(close).collect();
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

/// A pattern ending in `/` (`*/`, `src/*/`) matches only directories (and links to them):
/// bash keeps the slash and the kernel refuses it after a file name.
fn only_dirs_if_slash(pattern: &str, found: Vec<(PathBuf, bool)>) -> Vec<(PathBuf, bool)> {
    if !pattern.ends_with('/') {
        return found;
    }
    found.into_iter().filter(|(p, _)| p.is_dir()).collect()
}

/// Whether a pattern could name one of `roots` or a directory above one (not `/`).
fn could_name_ancestor(pattern: &str, roots: &[PathBuf]) -> bool {
    roots.iter().any(|r| {
        r.ancestors().any(|a| {
            a != Path::new("/")
                && crate::glob_meet::may_meet(pattern, &a.display().to_string(), true)
        })
    })
}

/// What a pattern names on disk now, expanding every component as bash would (a wildcard
/// does not match a leading dot; `.*` may also give `.` and `..`, as bash before 5.2 does).
/// `None` when the expansion cannot be known completely: an unreadable directory, `**`
/// (globstar), a component this module cannot model, or too many entries.
fn expand_on_disk(pattern: &Path) -> Option<Vec<(PathBuf, bool)>> {
    expand_listing(pattern, &mut Vec::new())
}

/// [`expand_on_disk`], also collecting the directories bash lists on the way.
fn expand_listing(pattern: &Path, dirs_read: &mut Vec<PathBuf>) -> Option<Vec<(PathBuf, bool)>> {
    // Each candidate with whether it matched under bash's default options.
    let mut current = vec![(PathBuf::from("/"), true)];
    let mut entries_seen = 0usize;
    for comp in pattern.components() {
        let Component::Normal(c) = comp else {
            continue;
        };
        let c = c.to_str()?;
        if !crate::glob_meet::has_wildcard(c) && !c.contains('{') {
            current = current.into_iter().map(|(d, s)| (d.join(c), s)).collect();
            continue;
        }
        if c.contains("**") || c.contains('{') {
            // globstar and brace groups (which bash expanded before, so these are literal
            // or unknown) are left to the pattern judgement.
            return None;
        }
        let mut next = Vec::new();
        for (dir, strict) in &current {
            if c.starts_with('.') {
                for special in [".", ".."] {
                    if crate::glob_meet::shell_component_matches(c, special)?.strict {
                        next.push((lexical(&dir.join(special)), *strict));
                    }
                }
            }
            dirs_read.push(dir.clone());
            let entries = match std::fs::read_dir(dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                // Not a directory: nothing below it matches.
                Err(_) if dir.exists() && !dir.is_dir() => continue,
                Err(_) => return None,
            };
            for e in entries {
                let e = e.ok()?;
                entries_seen += 1;
                if entries_seen > MAX_ENTRIES {
                    return None;
                }
                let name = e.file_name();
                let name = name.to_str()?;
                let m = crate::glob_meet::shell_component_matches(c, name)?;
                if m.loose {
                    next.push((dir.join(name), *strict && m.strict));
                }
            }
            if next.len() > MAX_MATCHES {
                return None;
            }
        }
        current = next;
    }
    Some(
        current
            .into_iter()
            .filter(|(p, _)| std::fs::symlink_metadata(p).is_ok())
            .collect(),
    )
}

/// What a recursive read of a tree would reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tree {
    /// Nothing secret by name, link count or content.
    Clean,
    /// A file secret by name, or one with several hard links (maybe another name for one).
    Secret,
    /// No secret by name, but a file whose start holds something shaped like a live
    /// credential (checked up to [`TREE_CONTENT_BUDGET`] bytes in all).
    Credentials,
}

/// Most bytes of file content a tree check reads looking for credentials.
const TREE_CONTENT_BUDGET: usize = 4 * 1024 * 1024;

/// Whether a directory tree holds a secret a recursive read would reach. `skip_hidden`
/// models ripgrep's default (hidden files and directories are not searched). `None` when
/// the tree is too large to check.
pub(crate) fn tree_holds_secret(
    cfg: &Compiled,
    _ctx: &PathCtx,
    root: &Path,
    skip_hidden: bool,
    only: Option<&str>,
) -> Option<Tree> {
    const BUDGET: usize = 20_000;
    // With a file-name glob (`*.js`), only files it matches are read.
    let only = only
        .and_then(|g| globset::GlobBuilder::new(g).build().ok())
        .map(|g| g.compile_matcher());
    let mut seen = 0usize;
    if !root.is_dir() {
        return Some(Tree::Clean);
    }
    if skip_hidden && whitelists_hidden(root) {
        // A `!pattern` line in an ignore file can re-include hidden files (`!.env`).
        return tree_holds_secret(cfg, _ctx, root, false, None);
    }
    let mut content_left = TREE_CONTENT_BUDGET;
    let mut credentials = false;
    let mut check_content = |path: &Path, meta: &std::fs::Metadata| {
        if credentials || content_left == 0 {
            return;
        }
        let len = usize::try_from(meta.len()).unwrap_or(usize::MAX);
        content_left = content_left.saturating_sub(len.min(crate::secrets::CONTENT_LIMIT));
        credentials = crate::secrets::in_file_with(path, meta).is_some_and(|f| !f.is_empty());
    };
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        // Listed once per decision: `grep -r src && rg src` walk the same tree.
        let Some(entries) = crate::fsmemo::list_dir(&dir) else {
            continue;
        };
        for e in entries.iter() {
            seen += 1;
            if seen > BUDGET {
                return None;
            }
            let name = e.name.to_string_lossy().to_string();
            if skip_hidden && name.starts_with('.') {
                continue;
            }
            let path = &e.path;
            if name == ".git" {
                // Not walked (objects are compressed; ugrep and ripgrep skip it), but a
                // reader that does walk it (GNU grep -r) meets its configuration first, where
                // a token in a remote URL lives.
                let config = path.join("config");
                let config_selected = only
                    .as_ref()
                    .is_none_or(|m| m.is_match("config") || m.is_match(&config));
                if let Ok(m) = std::fs::metadata(&config) {
                    if m.is_file() && config_selected {
                        check_content(&config, &m);
                    }
                }
                continue;
            }
            // Entries below the root are real paths (recursion does not follow links), so a
            // pattern match is enough: no need to resolve each one.
            let selected = only
                .as_ref()
                .is_none_or(|m| m.is_match(&name) || m.is_match(path));
            if selected && cfg.secrets.is_match(path) && !cfg.secret_exceptions.is_match(path) {
                return Some(Tree::Secret);
            }
            let meta = e.meta.as_ref();
            // A file with several hard links may be another name for a secret
            // (`docs/notes.md` linked to `.env`): whatever its name, reading it may read one.
            if selected && meta.is_some_and(|m| m.is_file() && m.nlink() > 1) {
                return Some(Tree::Secret);
            }
            if let Some(m) = meta {
                if selected && m.is_file() && m.len() > 0 {
                    check_content(path, m);
                }
            }
            if e.is_dir {
                stack.push(path.clone());
            }
        }
    }
    Some(if credentials {
        Tree::Credentials
    } else {
        Tree::Clean
    })
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
        let Some(entries) = crate::fsmemo::list_dir(&dir) else {
            continue;
        };
        for e in entries.iter() {
            seen += 1;
            if seen > 20_000 {
                return true;
            }
            if e.is_dir && e.name != ".git" {
                // Only directories holding an ignore file are read (the listing says which).
                let holds_ignore = crate::fsmemo::list_dir(&e.path).is_none_or(|inner| {
                    inner.iter().any(|f| {
                        [".gitignore", ".ignore", ".rgignore"]
                            .iter()
                            .any(|n| f.name.to_str().is_some_and(|s| s.eq_ignore_ascii_case(n)))
                    })
                });
                if holds_ignore && has_bang(&e.path) {
                    return true;
                }
                stack.push(e.path.clone());
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
    // A secret root at or below `r` (`r` is one of its ancestors), or `r` at or below one.
    let is_secret = cfg.secrets.is_match(r)
        || cfg.secret_root_ancestors.contains(r)
        || r.ancestors().any(|a| cfg.secret_root_set.contains(a));
    let is_guard = cfg.guards.is_match(r) || r.ancestors().any(|a| cfg.guard_root_set.contains(a));
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
    if let Some(real) = crate::fsmemo::canonicalize(p) {
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
        let Some((prefix, after)) = comps.split_at_checked(i) else {
            break;
        };
        let prefix_path: PathBuf = prefix.iter().collect();
        match crate::fsmemo::canonicalize(&prefix_path) {
            Some(real) => {
                best = real;
                used = i;
            }
            None => {
                let Some(last) = prefix.last() else {
                    break;
                };
                let link = best.join(last);
                if depth < 8
                    && std::fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink())
                {
                    if let Ok(target) = std::fs::read_link(&link) {
                        let mut next = if target.is_absolute() {
                            target
                        } else {
                            best.join(target)
                        };
                        for c in after {
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
    for c in comps.iter().skip(used) {
        out.push(c);
    }
    lexical(&out)
}
