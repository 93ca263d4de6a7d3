//! Claude Code's own read tools — Read, Grep, Glob, LS, NotebookRead and the text editor's
//! `view` — decided by what the client really does with their input.
//!
//! They run inside the client, outside any sandbox, so this decision is the only wall. What
//! the client does (measured in the 2.1.197 CLI bundle):
//!
//! - Every path goes through one function: JavaScript `trim()`, then empty → the cwd, `~` and
//!   `~/…` → the home directory, absolute → `path.normalize`, relative → `path.resolve(cwd, …)`.
//!   That normalisation is LEXICAL: `link/..` is the directory holding `link`, whatever the
//!   link points at. The kernel then resolves symlinks in the result when ripgrep or
//!   `fs.readFile` opens it. A path is judged exactly so: nothing is dropped, nothing falls
//!   back to the cwd unless the client does too.
//! - Glob characters are literal in Read paths (`app/[slug]/page.tsx` is one file).
//! - Grep runs `rg --hidden --glob !.git --glob !.svn … [-i] [--type T] [--glob G…] PATTERN
//!   PATH`: hidden files are searched; `.gitignore`/`.ignore`/`.rgignore` apply; the `glob`
//!   field is split on whitespace, then on commas unless a piece holds `{…}`.
//! - Glob runs `rg --files --glob PATTERN --sort=modified --no-ignore --hidden DIR`, and when
//!   PATTERN is absolute, DIR is its part before the first wildcard (the `path` field is then
//!   ignored, and DIR is not normalised: the kernel resolves it).

use crate::config::Compiled;
use crate::paths::{lexical, resolve, PathCtx};
use crate::secrets;
use assent_core::Facts;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Entries a Grep or Glob tree walk looks at before giving up.
const WALK_BUDGET: usize = 20_000;
/// Bytes of file content a Grep's credential check reads in all.
const GREP_CONTENT_BUDGET: usize = 4 * 1024 * 1024;
/// Directories the client always excludes from a Grep (`--glob !NAME`).
const GREP_VCS_EXCLUDES: &[&str] = &[".git", ".svn", ".hg", ".bzr", ".jj", ".sl"];

/// JavaScript's `String.prototype.trim` set: WhiteSpace and LineTerminator (ECMA-262 §12.2,
/// §12.3). Unlike Rust's `trim`, it includes U+FEFF and excludes U+0085.
fn js_space(c: char) -> bool {
    matches!(
        c,
        '\u{9}'..='\u{d}'
            | ' '
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
            | '\u{feff}'
    )
}

/// The absolute path the client will use for `raw`, or why there is none.
pub(crate) fn client_path(cfg: &Compiled, ctx: &PathCtx, raw: &str) -> Result<PathBuf, String> {
    if raw.contains('\0') {
        return Err("path holds a NUL byte".into());
    }
    let t = raw.trim_matches(js_space);
    let relative_to_cwd = |p: &str| {
        if ctx.cwd_unknown {
            Err("relative path without a working directory".to_string())
        } else {
            Ok(lexical(&ctx.cwd.join(p)))
        }
    };
    if t.is_empty() {
        return relative_to_cwd(".");
    }
    if t == "~" {
        return Ok(lexical(&cfg.home));
    }
    if let Some(rest) = t.strip_prefix("~/") {
        return Ok(lexical(&cfg.home.join(rest)));
    }
    if t.starts_with('/') {
        return Ok(lexical(Path::new(t)));
    }
    relative_to_cwd(t)
}

/// The same text read the kernel's way (`link/..` is the parent of the link's target), when
/// that differs from the client's lexical reading. Claude Code 2.1.197 reads lexically; the
/// kernel's reading is judged too, so that a client that does not normalise (an older or
/// another one) cannot be led somewhere this check did not look.
fn kernel_reading(cfg: &Compiled, ctx: &PathCtx, raw: &str, client: &Path) -> Option<PathBuf> {
    let t = raw.trim_matches(js_space);
    if !t.split('/').any(|c| c == "..") {
        return None;
    }
    let joined = if let Some(rest) = t.strip_prefix("~/") {
        cfg.home.join(rest)
    } else if t.starts_with('/') {
        PathBuf::from(t)
    } else if ctx.cwd_unknown {
        return None;
    } else {
        ctx.cwd.join(t)
    };
    (resolve(cfg, &joined) != resolve(cfg, client)).then_some(joined)
}

/// What one path the client will open is.
#[derive(Debug)]
struct Target {
    real: PathBuf,
    inside: bool,
    secret: bool,
    /// A directory that holds secret locations (`~`, `~/.aws`).
    secret_ancestor: bool,
    hardlinked: bool,
}

fn is_secret(cfg: &Compiled, p: &Path) -> bool {
    cfg.secrets.is_match(p) && !cfg.secret_exceptions.is_match(p)
}

/// Judges `lexical` (already the client's normalisation) as the kernel will open it.
/// Wildcard characters are literal here.
fn target(cfg: &Compiled, ctx: &PathCtx, lexical: &Path) -> Target {
    let real = resolve(cfg, lexical);
    let inside = ctx.roots.iter().any(|r| real.starts_with(r));
    let secret = is_secret(cfg, lexical) || is_secret(cfg, &real);
    let secret_ancestor = cfg
        .secret_roots
        .iter()
        .any(|s| s.starts_with(&real) || s.starts_with(lexical));
    let mut hardlinked = false;
    if cfg.resolve_symlinks {
        use std::os::unix::fs::MetadataExt;
        if let Ok(m) = std::fs::metadata(&real) {
            hardlinked = m.is_file() && m.nlink() > 1;
        }
    }
    Target {
        real,
        inside,
        secret,
        secret_ancestor,
        hardlinked,
    }
}

/// A client write tool's path judged literally (glob characters are plain characters to
/// `fs.writeFile`) and through symlinks, beside the shell-style judgement the caller makes:
/// `app/[x]/settings.json` where `app/[x]` links to `.claude` is the hook settings.
pub(crate) fn judge_literal_write(cfg: &Compiled, ctx: &PathCtx, path: &Path, facts: &mut Facts) {
    let t = target(cfg, ctx, path);
    facts.paths.insert(t.real.display().to_string());
    facts.write_paths.insert(t.real.display().to_string());
    if t.secret {
        facts.secret_read = true;
    }
    if cfg.guards.is_match(path) || cfg.guards.is_match(&t.real) {
        facts.guard_tamper = true;
    }
    if !t.inside {
        facts.outside_workspace = true;
    }
}

/// Records what reading the whole file at `t` means; returns whether it may be allowed.
fn judge_file_read(cfg: &Compiled, t: &Target, facts: &mut Facts) -> bool {
    let mut ok = true;
    facts.paths.insert(t.real.display().to_string());
    if t.secret {
        facts.secret_read = true;
        ok = false;
    }
    if t.hardlinked {
        facts.not_understood("file has several hard links (it may be another name for a secret)");
        ok = false;
    }
    if !t.inside {
        facts.outside_workspace = true;
        ok = false;
    }
    if cfg.resolve_symlinks {
        if let Some(found) = secrets::in_file(&t.real) {
            ok &= credentials_in_content(&found, facts);
        }
    }
    ok
}

/// Credentials found in a file about to be read: never allowed, but asked rather than
/// denied — a file whose NAME is not a secret is often a test or a document holding sample
/// credentials, which a person can tell apart and nobody could approve under a hard deny.
fn credentials_in_content(found: &[&'static str], facts: &mut Facts) -> bool {
    if found.is_empty() {
        return true;
    }
    facts.secret_mention = true;
    false
}

fn string_field<'a>(input: &'a Value, key: &str, facts: &mut Facts) -> Option<&'a str> {
    match input.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            facts.not_understood(format!("`{key}` is not a string"));
            None
        }
    }
}

/// Fields each read tool takes; any other field is not understood.
fn known_fields(tool: &str) -> &'static [&'static str] {
    match tool {
        "Read" => &["file_path", "offset", "limit", "pages"],
        "NotebookRead" => &["notebook_path", "cell_id"],
        "Grep" => &[
            "pattern",
            "path",
            "glob",
            "type",
            "output_mode",
            "-B",
            "-A",
            "-C",
            "context",
            "-n",
            "-i",
            "-o",
            "head_limit",
            "offset",
            "multiline",
        ],
        "Glob" => &["pattern", "path"],
        "LS" => &["path", "ignore"],
        "str_replace_based_edit_tool" | "str_replace_editor" | "text_editor" => {
            &["command", "path", "view_range"]
        }
        _ => &[],
    }
}

/// Whether `tool` is a read tool this module models.
pub(crate) fn models(tool: &str) -> bool {
    matches!(
        tool,
        "Read"
            | "NotebookRead"
            | "Grep"
            | "Glob"
            | "LS"
            | "str_replace_based_edit_tool"
            | "str_replace_editor"
            | "text_editor"
    )
}

/// Facts of a read tool call. Sets `read_only` only when every path the client will open is
/// understood exactly and none of it is a secret or outside the workspace.
pub(crate) fn analyze(cfg: &Compiled, ctx: &PathCtx, tool: &str, input: &Value, facts: &mut Facts) {
    let mut ok = true;
    let Some(obj) = input.as_object() else {
        facts.not_understood("read tool input is not an object");
        return;
    };
    let fields = known_fields(tool);
    if let Some(k) = obj.keys().find(|k| !fields.contains(&k.as_str())) {
        facts.not_understood(format!(
            "{tool} input has a field `{}` that is not understood",
            assent_core::text::escape_line(k)
        ));
        ok = false;
    }
    match tool {
        "Read"
        | "NotebookRead"
        | "str_replace_based_edit_tool"
        | "str_replace_editor"
        | "text_editor" => {
            if !matches!(tool, "Read" | "NotebookRead")
                && input.get("command").and_then(Value::as_str) != Some("view")
            {
                facts.not_understood("text editor command other than `view`");
                ok = false;
            }
            let key = match tool {
                "Read" => "file_path",
                "NotebookRead" => "notebook_path",
                _ => "path",
            };
            match string_field(input, key, facts) {
                Some(raw) => match client_path(cfg, ctx, raw) {
                    Ok(p) => {
                        let mut candidates = read_candidates(&p);
                        candidates.extend(kernel_reading(cfg, ctx, raw, &p));
                        for candidate in candidates {
                            let t = target(cfg, ctx, &candidate);
                            ok &= judge_file_read(cfg, &t, facts);
                        }
                    }
                    Err(e) => {
                        facts.not_understood(e);
                        ok = false;
                    }
                },
                None => {
                    facts.not_understood(format!("{tool} names no `{key}`"));
                    ok = false;
                }
            }
        }
        "Grep" => ok &= grep(cfg, ctx, input, facts),
        "Glob" => ok &= glob(cfg, ctx, input, facts),
        "LS" => ok &= ls(cfg, ctx, input, facts),
        _ => ok = false,
    }
    facts.read_only = ok && facts.parsed;
}

/// Read also opens the other spelling of a macOS screenshot name when the first is missing
/// (`… 10.00 AM.png` with U+0020 or U+202F before `AM`).
fn read_candidates(p: &Path) -> Vec<PathBuf> {
    let mut out = vec![p.to_path_buf()];
    let Some(name) = p.file_name().map(|n| n.to_string_lossy().to_string()) else {
        return out;
    };
    for suffix in ["AM.png", "PM.png"] {
        for (from, to) in [(' ', '\u{202f}'), ('\u{202f}', ' ')] {
            let tail = format!("{from}{suffix}");
            if let Some(stem) = name.strip_suffix(&tail) {
                if !stem.is_empty() {
                    out.push(p.with_file_name(format!("{stem}{to}{suffix}")));
                }
            }
        }
    }
    out
}

/// The client's splitting of Grep's `glob` field.
pub(crate) fn split_grep_globs(g: &str) -> Vec<String> {
    let mut out = Vec::new();
    for piece in g.split(js_space).filter(|p| !p.is_empty()) {
        if piece.contains('{') && piece.contains('}') {
            out.push(piece.to_string());
        } else {
            out.extend(
                piece
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            );
        }
    }
    out
}

/// Whether ignore files can be trusted to mean for ripgrep what they mean here: a ripgrep
/// config file may add `--no-ignore` (or anything else).
fn ignore_files_trusted() -> bool {
    std::env::var_os("RIPGREP_CONFIG_PATH").is_none()
}

/// The real path of an entry met while walking `root` (which resolves to `real_root`): the
/// walk follows no symlink below the root.
fn real_below(root: &Path, real_root: &Path, entry: &Path) -> PathBuf {
    match entry.strip_prefix(root) {
        Ok(rest) => real_root.join(rest),
        Err(_) => entry.to_path_buf(),
    }
}

fn grep(cfg: &Compiled, ctx: &PathCtx, input: &Value, facts: &mut Facts) -> bool {
    let mut ok = true;
    if string_field(input, "pattern", facts).is_none() {
        facts.not_understood("Grep names no pattern");
        ok = false;
    }
    let raw = string_field(input, "path", facts).unwrap_or("");
    let lex = match client_path(cfg, ctx, raw) {
        Ok(p) => p,
        Err(e) => {
            facts.not_understood(e);
            return false;
        }
    };
    if let Some(alt) = kernel_reading(cfg, ctx, raw, &lex) {
        let a = target(cfg, ctx, &alt);
        facts.paths.insert(a.real.display().to_string());
        if !a.inside {
            facts.outside_workspace = true;
            ok = false;
        }
        if a.secret || a.secret_ancestor {
            facts.secret_read = true;
            ok = false;
        }
    }
    let t = target(cfg, ctx, &lex);
    facts.paths.insert(t.real.display().to_string());
    if !t.inside {
        facts.outside_workspace = true;
        ok = false;
    }
    if t.secret || t.secret_ancestor {
        facts.secret_read = true;
        ok = false;
    }
    if !cfg.resolve_symlinks {
        return ok;
    }
    let Ok(meta) = std::fs::metadata(&t.real) else {
        // Nothing there: the client reports an error and reads nothing.
        return ok;
    };
    if meta.is_file() {
        // An explicit file is searched whatever the globs, types and ignore files say.
        return ok && judge_file_read(cfg, &t, facts);
    }
    let globs = string_field(input, "glob", facts)
        .map(split_grep_globs)
        .unwrap_or_default();
    let file_type = string_field(input, "type", facts);
    if globs
        .iter()
        .any(|g| !g.starts_with('!') && targets_secret(cfg, g))
    {
        facts.secret_mention = true;
        ok = false;
    }
    let walk = match grep_walk(&ctx.cwd, &lex, &globs, file_type) {
        Ok(w) => w,
        Err(e) => {
            facts.not_understood(e);
            return false;
        }
    };
    let mut seen = 0usize;
    let mut content_left = GREP_CONTENT_BUDGET;
    for entry in walk {
        let Ok(entry) = entry else { continue };
        seen += 1;
        if seen > WALK_BUDGET {
            facts.not_understood("search over a tree too large to check for secrets");
            return false;
        }
        // Without `--follow`, ripgrep skips symlinks met while walking.
        if !entry.file_type().is_some_and(|ft| ft.is_file()) {
            continue;
        }
        let path = real_below(&lex, &t.real, entry.path());
        let sub = target(cfg, ctx, &path);
        if sub.secret {
            facts.secret_read = true;
            facts.paths.insert(sub.real.display().to_string());
            ok = false;
        }
        if sub.hardlinked {
            facts.not_understood(
                "search reaches a file with several hard links (it may be another name for a secret)",
            );
            ok = false;
        }
        if content_left > 0 {
            let size = entry
                .metadata()
                .map(|m| usize::try_from(m.len()).unwrap_or(usize::MAX))
                .unwrap_or(0);
            content_left = content_left.saturating_sub(size.min(secrets::CONTENT_LIMIT));
            if let Some(found) = secrets::in_file(&path) {
                if !credentials_in_content(&found, facts) {
                    facts.paths.insert(sub.real.display().to_string());
                    ok = false;
                }
            }
        }
    }
    ok
}

/// The walk ripgrep makes for the client's Grep: `rg --hidden --glob !.git … [--type T]
/// [--glob G…] PATTERN PATH` run in `cwd`. `--glob` is anchored at ripgrep's working
/// directory (the client's cwd), not at the searched path, and the path is walked as given,
/// resolved only when opened. An error is a search ripgrep itself would refuse.
pub(crate) fn grep_walk(
    cwd: &Path,
    path: &Path,
    globs: &[String],
    file_type: Option<&str>,
) -> Result<ignore::Walk, &'static str> {
    let mut overrides = ignore::overrides::OverrideBuilder::new(cwd);
    for g in GREP_VCS_EXCLUDES {
        overrides
            .add(&format!("!{g}"))
            .map_err(|_| "internal glob rejected")?;
    }
    for g in globs {
        overrides
            .add(g)
            .map_err(|_| "Grep glob that ripgrep would reject")?;
    }
    let overrides = overrides
        .build()
        .map_err(|_| "Grep globs that ripgrep would reject")?;
    let mut walk = ignore::WalkBuilder::new(path);
    walk.hidden(false)
        .follow_links(false)
        .overrides(overrides)
        .add_custom_ignore_filename(".rgignore");
    if !ignore_files_trusted() {
        walk.ignore(false)
            .git_ignore(false)
            .git_global(false)
            .git_exclude(false)
            .parents(false);
    }
    if let Some(name) = file_type {
        let mut types = ignore::types::TypesBuilder::new();
        types.add_defaults();
        types.select(name);
        let ty = types
            .build()
            .map_err(|_| "Grep type that ripgrep does not know")?;
        walk.types(ty);
    }
    Ok(walk.build())
}

/// The walk ripgrep makes for the client's Glob: `rg --files --glob PATTERN --no-ignore
/// --hidden DIR` run in `cwd` (so `--glob` is anchored at the cwd).
pub(crate) fn glob_walk(cwd: &Path, dir: &Path, pattern: &str) -> Result<ignore::Walk, ()> {
    let mut overrides = ignore::overrides::OverrideBuilder::new(cwd);
    overrides.add(pattern).map_err(|_| ())?;
    let overrides = overrides.build().map_err(|_| ())?;
    let mut walk = ignore::WalkBuilder::new(dir);
    walk.standard_filters(false)
        .hidden(false)
        .follow_links(false)
        .overrides(overrides);
    Ok(walk.build())
}

/// Splits an absolute Glob pattern as the client does: the directory before the first
/// wildcard, and the rest.
fn split_absolute_pattern(pattern: &str) -> (String, String) {
    match pattern.find(['*', '?', '[', '{']) {
        None => {
            let p = Path::new(pattern);
            let dir = p
                .parent()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|| "/".into());
            let base = p
                .file_name()
                .map(|b| b.to_string_lossy().to_string())
                .unwrap_or_default();
            (if dir.is_empty() { "/".into() } else { dir }, base)
        }
        Some(i) => {
            let head = pattern.get(..i).unwrap_or("");
            match head.rfind('/') {
                None => (String::new(), pattern.to_string()),
                Some(0) => ("/".into(), pattern.get(1..).unwrap_or("").to_string()),
                Some(j) => (
                    head.get(..j).unwrap_or("").to_string(),
                    pattern.get(j + 1..).unwrap_or("").to_string(),
                ),
            }
        }
    }
}

fn glob(cfg: &Compiled, ctx: &PathCtx, input: &Value, facts: &mut Facts) -> bool {
    let mut ok = true;
    let Some(pattern) = string_field(input, "pattern", facts) else {
        facts.not_understood("Glob names no pattern");
        return false;
    };
    if pattern.contains('\0') {
        facts.not_understood("pattern holds a NUL byte");
        return false;
    }
    let raw_path = string_field(input, "path", facts);
    // The directory ripgrep lists (as given to it) and the pattern it lists it with.
    let (given, rel) = if pattern.starts_with('/') {
        // Given to ripgrep as is, not normalised: the kernel resolves `..` after a symlink.
        let (dir, rel) = split_absolute_pattern(pattern);
        (PathBuf::from(dir), rel)
    } else {
        match client_path(cfg, ctx, raw_path.unwrap_or("")) {
            Ok(p) => (p, pattern.to_string()),
            Err(e) => {
                facts.not_understood(e);
                return false;
            }
        }
    };
    let real = resolve(cfg, &given);
    let t = target(cfg, ctx, &lexical(&given));
    facts.paths.insert(real.display().to_string());
    if !ctx.roots.iter().any(|r| real.starts_with(r)) {
        facts.outside_workspace = true;
        ok = false;
    }
    if t.secret || is_secret(cfg, &real) || t.secret_ancestor {
        // Names only: listing a secret directory names secrets.
        facts.secret_mention = true;
        ok = false;
    }
    if targets_secret(cfg, &rel) {
        facts.secret_mention = true;
        ok = false;
    }
    if rel.split('/').any(|c| c == "..") {
        // ripgrep matches no path against `..`; whoever wrote it meant another directory.
        facts.not_understood("Glob pattern that climbs with `..`");
        ok = false;
    }
    if !cfg.resolve_symlinks {
        return ok;
    }
    let Ok(walk) = glob_walk(&ctx.cwd, &given, &rel) else {
        facts.not_understood("Glob pattern that ripgrep would reject");
        return false;
    };
    let mut seen = 0usize;
    for entry in walk {
        let Ok(entry) = entry else { continue };
        seen += 1;
        if seen > WALK_BUDGET {
            // Too many names to look at: judge the pattern by the secret names it could list.
            if pattern_may_list_secret(cfg, &rel) {
                facts.secret_mention = true;
                ok = false;
            }
            break;
        }
        if entry.depth() == 0 || !entry.file_type().is_some_and(|f| f.is_file()) {
            continue;
        }
        if is_secret(cfg, &real_below(&given, &real, entry.path())) {
            facts.secret_mention = true;
            ok = false;
            break;
        }
    }
    ok
}

/// A glob written to pick secrets: it matches a secret file name but not an ordinary one.
/// (`**/.env*` does; `**/*` lists everything and is judged by what it lists.)
fn targets_secret(cfg: &Compiled, glob: &str) -> bool {
    let glob = glob.strip_prefix('!').unwrap_or(glob);
    let Ok(g) = globset::GlobBuilder::new(glob).build() else {
        return true;
    };
    let m = g.compile_matcher();
    let ordinary = ["qzxv9", "qzxv9.rs", "qzxv9.md", "a/qzxv9.txt"];
    if ordinary.iter().any(|o| m.is_match(o)) {
        return false;
    }
    pattern_may_list_secret(cfg, glob)
}

/// Secret file names a listing pattern could name (the walk was too large to look).
fn pattern_may_list_secret(cfg: &Compiled, rel: &str) -> bool {
    let Ok(g) = globset::GlobBuilder::new(rel).build() else {
        return true;
    };
    let m = g.compile_matcher();
    const NAMES: &[&str] = &[
        ".env",
        ".env.local",
        ".env.production",
        "id_ecdsa",
        "token.json",
        "secrets.toml",
        "kubeconfig",
        "client.ovpn",
        "db.kdbx",
        ".git-credentials",
        ".pgpass",
        "id_rsa",
        "id_ed25519",
        "server.pem",
        "server.key",
        "credentials",
        "credentials.json",
        ".netrc",
        ".npmrc",
        "secrets.yml",
        "prod.tfvars",
    ];
    NAMES.iter().any(|n| {
        let sample = format!("/x/{n}");
        is_secret(cfg, Path::new(&sample)) && (m.is_match(n) || m.is_match(format!("a/{n}")))
    })
}

fn ls(cfg: &Compiled, ctx: &PathCtx, input: &Value, facts: &mut Facts) -> bool {
    let mut ok = true;
    let raw = string_field(input, "path", facts).unwrap_or("");
    let lex = match client_path(cfg, ctx, raw) {
        Ok(p) => p,
        Err(e) => {
            facts.not_understood(e);
            return false;
        }
    };
    let t = target(cfg, ctx, &lex);
    facts.paths.insert(t.real.display().to_string());
    if !t.inside {
        facts.outside_workspace = true;
        ok = false;
    }
    if t.secret || t.secret_ancestor {
        facts.secret_mention = true;
        ok = false;
    }
    ok
}

/// Whether a bookkeeping tool call stays inside the agent: its own to-do list, or reading the
/// task list. Measured in the 2.1.197 bundle: `TaskCreate` persists its text to the task list
/// file that teammates read; `TaskUpdate` with `owner` sends a `task_assignment` message to
/// that teammate's mailbox (what `SendMessage` does) and `subject`/`description`/`metadata`
/// rewrite what teammates read; `status: "deleted"` deletes the task's file. Every other tool
/// (`SendMessage`, `Cron*`, `ScheduleWakeup`, `TaskStop`, `EnterWorktree`, `ExitWorktree`,
/// `Skill`, `Workflow`, `Task`, `Agent`, `ReportFindings`…) has effects outside the agent or
/// runs something, and is never private.
pub(crate) fn bookkeeping_is_private(tool: &str, input: &Value) -> bool {
    let Some(obj) = input.as_object() else {
        return false;
    };
    match tool {
        "TodoWrite" => obj.keys().all(|k| k == "todos"),
        "TaskGet" => obj.keys().all(|k| k == "taskId"),
        "TaskList" => obj.is_empty(),
        "TaskUpdate" => {
            const PRIVATE: &[&str] = &[
                "taskId",
                "status",
                "activeForm",
                "addBlocks",
                "addBlockedBy",
            ];
            obj.keys().all(|k| PRIVATE.contains(&k.as_str()))
                && match obj.get("status") {
                    None => true,
                    Some(Value::String(s)) => {
                        matches!(s.as_str(), "pending" | "in_progress" | "completed")
                    }
                    Some(_) => false,
                }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grep_globs_split_like_the_client() {
        assert_eq!(split_grep_globs("*.rs,*.md"), vec!["*.rs", "*.md"]);
        assert_eq!(
            split_grep_globs("*.{rs,md} !*.lock"),
            vec!["*.{rs,md}", "!*.lock"]
        );
        assert_eq!(split_grep_globs(" a ,, b\n"), vec!["a", "b"]);
    }

    #[test]
    fn absolute_glob_patterns_split_at_the_first_wildcard() {
        assert_eq!(
            split_absolute_pattern("/home/dev/.ssh/*"),
            ("/home/dev/.ssh".into(), "*".into())
        );
        assert_eq!(
            split_absolute_pattern("/w/src/**/*.rs"),
            ("/w/src".into(), "**/*.rs".into())
        );
        assert_eq!(split_absolute_pattern("/*.rs"), ("/".into(), "*.rs".into()));
        assert_eq!(
            split_absolute_pattern("/w/a.rs"),
            ("/w".into(), "a.rs".into())
        );
    }

    /// The walk modelled here against the real ripgrep (`rg --files` lists exactly what a
    /// search would open), where ripgrep is installed: hidden files, a gitignored `.env` in a
    /// repository, `.ignore`, glob negation, comma and brace globs, globs anchored at the cwd,
    /// types. Every file ripgrep opens must be in the model's set.
    #[test]
    fn grep_walk_matches_real_ripgrep() {
        let Ok(out) = std::process::Command::new("rg").arg("--version").output() else {
            eprintln!("rg not installed: differential check skipped");
            return;
        };
        if !out.status.success() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("p");
        let files = [
            ".git/HEAD",
            ".gitignore",
            ".env",
            "keep.env",
            "src/main.rs",
            "src/.hidden.rs",
            "docs/a.md",
            "docs/.env",
            "docs/.ignore",
            "docs/skip.txt",
            "svc/.gitignore",
            "svc/.env",
            "svc/app.py",
            "node_modules/x/index.js",
        ];
        for f in files {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            let text = match f {
                ".gitignore" => "node_modules/\nkeep.env\n!keep.env\n",
                "svc/.gitignore" => ".env\n",
                "docs/.ignore" => "skip.txt\n",
                _ => "x\n",
            };
            std::fs::write(&p, text).expect("write");
        }
        let cases: &[(&str, &[&str], Option<&str>)] = &[
            ("", &[], None),
            ("docs", &[], None),
            ("docs", &["!*.md"], None),
            ("docs", &["*.md", ".env"], None),
            ("", &["*.{rs,py}"], None),
            ("", &["src/*.rs"], None),
            ("src", &["/src/*.rs"], None),
            ("svc", &[], None),
            ("", &[], Some("py")),
            ("", &["!src"], Some("rust")),
        ];
        for (sub, globs, ty) in cases {
            let path = if sub.is_empty() {
                root.clone()
            } else {
                root.join(sub)
            };
            let mut cmd = std::process::Command::new("rg");
            cmd.current_dir(&root).args(["--files", "--hidden"]);
            for g in GREP_VCS_EXCLUDES {
                cmd.arg("--glob").arg(format!("!{g}"));
            }
            if let Some(t) = ty {
                cmd.arg("--type").arg(t);
            }
            for g in *globs {
                cmd.arg("--glob").arg(g);
            }
            cmd.arg(&path);
            let out = cmd.output().expect("rg runs");
            let real: std::collections::BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_string)
                .collect();
            let globs: Vec<String> = globs.iter().map(|g| g.to_string()).collect();
            let model: std::collections::BTreeSet<String> = grep_walk(&root, &path, &globs, *ty)
                .expect("walk")
                .flatten()
                .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
                .map(|e| e.path().display().to_string())
                .collect();
            assert_eq!(model, real, "case {sub:?} {globs:?} {ty:?}");
        }
    }

    /// The Glob walk against the real ripgrep, where it is installed.
    #[test]
    fn glob_walk_matches_real_ripgrep() {
        if !std::process::Command::new("rg")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("p");
        for f in [
            ".gitignore",
            ".env",
            "src/a.rs",
            "src/.b.rs",
            "ign/x.rs",
            "docs/r.md",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, if f == ".gitignore" { "ign/\n" } else { "x\n" }).expect("write");
        }
        for (sub, pattern) in [
            ("", "**/*.rs"),
            ("", "*"),
            ("src", "*.rs"),
            ("", "src/*"),
            ("src", "src/*.rs"),
            ("", ".env*"),
            ("", "{docs,src}/*"),
        ] {
            let path = if sub.is_empty() {
                root.clone()
            } else {
                root.join(sub)
            };
            let out = std::process::Command::new("rg")
                .current_dir(&root)
                .args(["--files", "--glob", pattern, "--no-ignore", "--hidden"])
                .arg(&path)
                .output()
                .expect("rg runs");
            let real: std::collections::BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_string)
                .collect();
            let model: std::collections::BTreeSet<String> = glob_walk(&root, &path, pattern)
                .expect("walk")
                .flatten()
                .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
                .map(|e| e.path().display().to_string())
                .collect();
            assert_eq!(model, real, "case {sub:?} {pattern:?}");
        }
    }

    #[test]
    fn js_trim_set() {
        assert!(js_space('\u{feff}'));
        assert!(js_space('\n'));
        assert!(!js_space('\u{85}'));
        assert!(!js_space('\u{200b}'));
    }

    #[test]
    fn screenshot_names_have_two_spellings() {
        let c = read_candidates(Path::new("/w/Shot 10.00 AM.png"));
        assert_eq!(c.len(), 2);
        assert_eq!(c[1], PathBuf::from("/w/Shot 10.00\u{202f}AM.png"));
        assert_eq!(read_candidates(Path::new("/w/a.rs")).len(), 1);
    }
}
