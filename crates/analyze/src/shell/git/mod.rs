//! git: which calls are read-only, decided from three things.
//!
//! 1. **The call's own words**, read against an option table per subcommand ([`options`]): an
//!    option the table does not know, a glob that could expand to an option, a format that
//!    emits control bytes or runs gpg, or pathspec magic takes the call off the allowlist.
//! 2. **The repository git would actually use** ([`repo`]), found from the effective working
//!    directory the way git finds it (`.git` directories and files, linked worktrees,
//!    `commondir`, bare directories), with its effective configuration (system, global,
//!    repository, worktree, includes): anything there that runs a program, reads a file named
//!    in the configuration, writes a trace or fetches over the network makes even `git status`
//!    not read-only; so does a git directory or work tree outside the workspace, a `GIT_*`
//!    variable that moves git elsewhere, and the same in every checked-out gitlink.
//! 3. **What the repository tracks**: a call that prints file contents in a repository whose
//!    index tracks a secret reads it; a call that rewrites the work tree where a guard file
//!    (hook settings) is tracked or present tampers with the guard.
//!
//! 4. **What the history holds** ([`history`]): a call that prints contents may print them
//!    from any reachable commit, reflog entry or stash, so every path the history ever held
//!    counts, and an object named by id must be reachable.
//!
//! Not seen (the sandbox is the wall for these): credentials inside an old version of a file
//! whose name is no secret (only names are judged in history); an untracked `.gitattributes` below
//! the work tree's root selecting a driver from the user's global configuration; a guard file
//! that exists only in another branch or commit, which a branch switch would create.

mod config;
mod history;
mod index;
mod options;
mod repo;

use super::programs::path_candidates;
use super::words::Arg;
use super::Walker;
use options::Parsed;
use repo::Discovery;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Subcommands that talk to the network.
const NETWORK: &[&str] = &[
    "push",
    "pull",
    "fetch",
    "clone",
    "ls-remote",
    "submodule",
    "send-email",
    "request-pull",
];

/// Subcommands that can rewrite files of the work tree (and so restore, replace or delete a
/// guard file that is tracked or present there).
const WORKTREE_WRITERS: &[&str] = &[
    "checkout",
    "switch",
    "restore",
    "reset",
    "stash",
    "clean",
    "merge",
    "rebase",
    "pull",
    "cherry-pick",
    "revert",
    "am",
    "apply",
    "read-tree",
    "checkout-index",
    "sparse-checkout",
    "worktree",
    "submodule",
    "mv",
    "rm",
    "bisect",
    "filter-branch",
    "filter-repo",
    "clone",
    "init",
];

/// Which guard files a work-tree writer can rewrite.
#[derive(Debug, Clone, Copy)]
enum Reach {
    Nothing,
    /// Untracked files (`git clean`).
    Untracked,
    /// Tracked files whose content differs from the index (`git stash`, `git checkout .`).
    Modified,
    /// Both (`git stash -u`).
    ModifiedOrUntracked,
    /// Any file, tracked or not (branch switches, merges, applying patches or stashes).
    Any,
}

/// A read-only form: what it prints, and which words are option values (not operands).
struct Form {
    output: Output,
    value_words: Vec<(usize, String)>,
    /// The paths the output is limited to (`git log -p -- src/`), when they are plain
    /// literal paths; `None` when it is not limited or cannot be judged.
    limits: Option<Vec<String>>,
}

/// What a read-only form prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    /// Names, hashes, counts, history metadata.
    Names,
    /// File contents (patches, blobs, grep matches).
    Content,
}

/// The diff and log options that print file contents.
const PATCH_OPTS: &[&str] = &[
    "-p",
    "-u",
    "--patch",
    "-U",
    "--unified",
    "--patch-with-raw",
    "--patch-with-stat",
    "--word-diff",
    "--color-words",
    "--word-diff-regex",
    "-c",
    "--cc",
    "--dd",
    "--binary",
    "-W",
    "--function-context",
    "--check",
    "-L",
    "--full-diff",
];

/// The diff options that print no contents.
const SUMMARY_OPTS: &[&str] = &[
    "--stat",
    "--numstat",
    "--shortstat",
    "--name-only",
    "--name-status",
    "--summary",
    "--dirstat",
    "--dirstat-by-file",
    "--compact-summary",
    "-s",
    "--no-patch",
    "--quiet",
    "--raw",
];

/// The repositories found in one decision, by (working directory, whether it is unknown):
/// every git command of a compound shares one discovery of its repository.
#[derive(Debug, Default)]
pub(super) struct Repos(std::collections::HashMap<(PathBuf, bool), Rc<Discovery>>);

impl Walker<'_> {
    /// The repository git would use from `cwd` (found once per decision).
    fn discover(&mut self, cwd: &Path, cwd_unknown: bool) -> Rc<Discovery> {
        let key = (cwd.to_path_buf(), cwd_unknown);
        if let Some(hit) = self.git_repos.0.get(&key) {
            return hit.clone();
        }
        let found = Rc::new(repo::discover(self.cfg, &self.ctx.roots, cwd, cwd_unknown));
        self.git_repos.0.insert(key, found.clone());
        found
    }

    pub(super) fn git(&mut self, args: &[Arg]) {
        let saved_cwd = (self.ctx.cwd.clone(), self.ctx.cwd_unknown);
        self.git_inner(args);
        (self.ctx.cwd, self.ctx.cwd_unknown) = saved_cwd;
    }

    fn git_inner(&mut self, args: &[Arg]) {
        // Global options, before the subcommand.
        let mut i = 0;
        while let Some(a) = args.get(i) {
            let Some(l) = a.lit.as_deref() else {
                self.facts.dynamic = true;
                self.not_read_only();
                break;
            };
            match l {
                "--no-pager"
                | "-P"
                | "--no-optional-locks"
                | "--literal-pathspecs"
                | "--noglob-pathspecs"
                | "--no-replace-objects"
                | "--no-lazy-fetch"
                | "--no-advice" => i += 1,
                "-C" => {
                    match args.get(i + 1) {
                        Some(dir) => {
                            self.read_path(dir, false);
                            match &dir.lit {
                                // `-C ''` stays where it is.
                                Some(d) if d.is_empty() => {}
                                Some(d) => {
                                    self.ctx.cwd = self.ctx.absolute(self.cfg, d);
                                }
                                None => self.ctx.cwd_unknown = true,
                            }
                        }
                        None => self.not_read_only(),
                    }
                    i += 2;
                }
                l if l.starts_with('-') => {
                    // `-c`, `--config-env`, `--exec-path`, `--git-dir`, `--work-tree`,
                    // `--namespace`, `-p`/`--paginate`, `--glob-pathspecs`, `--icase-pathspecs`,
                    // `--help`: change what git runs, where it looks, or how paths match.
                    self.not_read_only();
                    if l == "-c" || l.starts_with("--config-env") {
                        self.facts.wrapper = true;
                    }
                    let separate = matches!(
                        l,
                        "-c" | "--config-env"
                            | "--git-dir"
                            | "--work-tree"
                            | "--namespace"
                            | "--super-prefix"
                            | "--exec-path"
                            | "--list-cmds"
                    );
                    if let Some((_, v)) = l.split_once('=') {
                        self.check_operand(&Arg::literal(v), false, true);
                    }
                    if separate {
                        if let Some(v) = args.get(i + 1) {
                            self.check_operand(v, false, true);
                        }
                        i += 1;
                    }
                    i += 1;
                }
                _ => break,
            }
        }
        let sub_arg = args.get(i);
        let sub = sub_arg.and_then(|a| a.lit.clone()).unwrap_or_default();
        if sub_arg.is_some_and(|a| a.lit.is_none()) {
            self.facts.dynamic = true;
        }
        let rest = args.get(i + 1..).unwrap_or(&[]);
        self.network_and_destructive(&sub, rest);

        // The read-only form, if this call is one. A glob before `--` that can expand to a
        // file named like an option (`--output=README.md`) hands git that option.
        let glob_option = rest
            .iter()
            .take_while(|a| !a.is("--"))
            .any(|a| self.glob_may_be_option(a));
        let form = if glob_option {
            None
        } else {
            self.read_only_form(&sub, rest)
        };
        let names_only = matches!(
            sub.as_str(),
            "check-ignore" | "ls-files" | "ls-tree" | "rev-parse" | "status" | "config"
        );
        // Every operand may name a file git reads or writes. In a read-only form, option values
        // are text (patterns, dates, formats), except the file of `-L RANGE:FILE`; elsewhere
        // any of them may be a file.
        for (idx, a) in rest.iter().enumerate() {
            let value_of = form
                .as_ref()
                .and_then(|f| f.value_words.iter().find(|(i, _)| *i == idx))
                .map(|(_, n)| n.clone());
            match value_of {
                Some(opt) => self.check_value(&opt, a, names_only),
                None => self.check_operand(a, names_only, form.is_none()),
            }
        }
        let writes_guard_named = rest.iter().any(|a| self.names_guard(a));
        // `git add` and `git commit` change the index and history, never the file.
        if writes_guard_named && form.is_none() && !matches!(sub.as_str(), "add" | "commit") {
            // `git stash -- .claude/settings.json`, `git checkout HEAD -- .claude`, `git rm`…
            self.facts.guard_tamper = true;
        }
        let cwd = self.ctx.cwd.clone();
        let discovery = self.discover(&cwd, self.ctx.cwd_unknown);
        if form.is_none() {
            self.not_read_only();
            if WORKTREE_WRITERS.contains(&sub.as_str()) {
                self.writer_reaches_guard(&sub, rest, &discovery);
            }
            return;
        }
        let (output, form_limits) = form.map_or((Output::Names, None), |f| (f.output, f.limits));
        match &*discovery {
            Discovery::NotExamined => {}
            Discovery::Unknown(why) => {
                self.facts.not_understood(format!(
                    "git repository cannot be examined exactly: {}",
                    assent_core::text::escape_line(why)
                ));
            }
            Discovery::Found(repo) => {
                let mut dangers = repo.dangers(&sub);
                // Commands that look into the work tree also run in every checked-out gitlink
                // (submodules, embedded repositories added to the index), with its own config.
                match repo.gitlink_dirs() {
                    Ok(dirs) => {
                        for d in dirs.iter().take(64) {
                            match &*self.discover(d, false) {
                                Discovery::Found(r) => dangers.extend(r.dangers(&sub)),
                                Discovery::Unknown(w) => dangers.push(w.clone()),
                                _ => {}
                            }
                        }
                        if dirs.len() > 64 {
                            dangers.push("too many gitlinks to examine".into());
                        }
                    }
                    Err(e) => dangers.push(e),
                }
                if let Some(d) = dangers.first() {
                    self.facts.not_understood(format!(
                        "git would run or read what this repository's configuration says: {}",
                        assent_core::text::escape_line(d)
                    ));
                }
                if output == Output::Content && repo.has_stash() && reaches_stash(rest) {
                    // A stash's untracked-files commit is in no index: `git show stash^3`,
                    // `git log --all -p`, or its object id print whatever it holds.
                    self.not_read_only();
                }
                // `--follow` follows a file back through renames: any earlier name.
                let follows = rest.iter().take_while(|a| !a.is("--")).any(|a| {
                    a.lit
                        .as_deref()
                        .is_some_and(|l| l.len() > 3 && "--follow".starts_with(l))
                });
                let limits: Option<Vec<std::path::PathBuf>> = form_limits
                    .as_ref()
                    .filter(|_| !follows)
                    .map(|v| v.iter().map(|l| self.ctx.absolute(self.cfg, l)).collect());
                if output == Output::Content && dangers.is_empty() && !repo.no_repo {
                    self.history_reads(repo, rest, limits.as_deref());
                }
                if output == Output::Content
                    && repo.tracks_secret_under(self.cfg, limits.as_deref())
                {
                    // The index names a secret file: diffs, blobs and history can print it.
                    self.not_read_only();
                    self.facts.secret_mention = true;
                    if sub == "grep" {
                        self.facts.secret_read = true;
                    }
                }
                if sub == "remote" && repo.remote_urls_hold_password() {
                    // `git remote -v` prints remote URLs, passwords included.
                    self.facts.secret_mention = true;
                }
                if sub == "config" {
                    match config_query(rest) {
                        ConfigQuery::Name(n) if repo.value_holds_credential(&n) => {
                            self.facts.secret_mention = true;
                        }
                        ConfigQuery::Regexp if repo.holds_credentials() => {
                            self.facts.secret_mention = true;
                        }
                        _ => {}
                    }
                }
            }
        }
        if sub == "diff"
            && rest
                .iter()
                .take_while(|a| !a.is("--"))
                .any(|a| a.is("--no-index"))
        {
            // Two directories are compared file by file: a recursive read of each.
            let dirs: Vec<&Arg> = rest
                .iter()
                .filter(|a| !a.starts_with("-"))
                .filter(|a| {
                    a.lit.as_deref().is_none_or(|l| {
                        !self.cfg.resolve_symlinks || self.ctx.absolute(self.cfg, l).is_dir()
                    })
                })
                .collect();
            if !dirs.is_empty() {
                self.recursive_read_with(&dirs, false);
            }
        }
        if sub == "grep" {
            let p = options::parse(rest, &[options::GREP], true);
            if p.has("--untracked") || p.has("--no-index") || p.has("--no-exclude-standard") {
                // Untracked files are read too: judge it as a recursive read from here.
                self.recursive_read_with(&[], false);
            } else if matches!(&*discovery, Discovery::Found(r) if r.no_repo) {
                // Outside a repository `git grep` may fall back to reading every file.
                self.recursive_read_with(&[], false);
            }
        }
    }

    /// A call that prints contents (patches, blobs, matches, pickaxe hits) may print them
    /// from any commit, reflog entry or stash: judged by every path the history holds, not
    /// only by what the index tracks now. An object named by its id must be one the history
    /// reaches (a blob left dangling by `git add .env; git reset` is in no commit); a history
    /// that cannot be listed exactly is not followed.
    fn history_reads(&mut self, repo: &repo::Repo, rest: &[Arg], limits: Option<&[PathBuf]>) {
        let top = repo.worktree.clone().unwrap_or_else(|| repo.gitdir.clone());
        let Some(h) = history::history(&top, &repo.gitdir, &repo.commondir) else {
            self.not_read_only();
            self.facts
                .not_understood("the repository's history cannot be listed exactly");
            return;
        };
        // `git show HEAD:README.md`, `git cat-file -p v1:src/a.rs`: every operand one blob
        // named by its path (from the top of the work tree, or `./`-relative), no other
        // revision: only those paths are printed.
        let operands: Vec<&str> = rest
            .iter()
            .filter_map(|a| a.lit.as_deref())
            .take_while(|l| *l != "--")
            .filter(|l| !l.starts_with('-'))
            .collect();
        let blob_paths: Option<Vec<PathBuf>> = (!operands.is_empty()
            && operands.len() == rest.iter().filter(|a| !a.starts_with("-")).count())
        .then(|| {
            operands
                .iter()
                .map(|l| {
                    let (_, path) = l.split_once(':')?;
                    let plain = !path.is_empty()
                        && !path.starts_with(':')
                        && !path.contains(['*', '?', '[', '\\']);
                    plain.then(|| {
                        if path.starts_with("./") || path.starts_with("../") {
                            self.ctx.absolute(self.cfg, path)
                        } else {
                            crate::paths::lexical(&top.join(path))
                        }
                    })
                })
                .collect()
        })
        .flatten();
        let limits = blob_paths.as_deref().or(limits);
        let secret = h.paths.iter().any(|rel| {
            let p = top.join(rel);
            self.cfg.secrets.is_match(&p)
                && !self.cfg.secret_exceptions.is_match(&p)
                && limits.is_none_or(|l| l.iter().any(|d| p.starts_with(d)))
        });
        if secret {
            // `.env` committed once: `git log -p` prints it though no file or index holds it.
            self.not_read_only();
            self.facts.secret_mention = true;
        }
        for a in rest {
            let Some(l) = a.lit.as_deref() else {
                continue;
            };
            if l == "--" {
                break;
            }
            let word = l.rsplit_once('=').map_or(l, |(_, v)| v);
            for head in word.split(['^', '~', ':', '@', '.']).take(1) {
                if head.len() >= 4
                    && head.chars().all(|c| c.is_ascii_hexdigit())
                    && !h.reaches_id(head)
                    && !self.ctx.absolute(self.cfg, l).exists()
                {
                    self.not_read_only();
                    self.facts.not_understood(
                        "names an object id that no commit, reflog entry or index reaches",
                    );
                }
            }
        }
    }

    /// The read-only form of `git SUB REST`, and what it prints; `None` when the call is not
    /// one (then it is not read-only).
    fn read_only_form(&mut self, sub: &str, rest: &[Arg]) -> Option<Form> {
        use options::*;
        let parsed = |t: &[&[&str]], bundle: bool| options::parse(rest, t, bundle);
        // Subcommands with a verb first (`stash show`, `reflog show`) parse what follows it.
        let mut offset = 0;
        let (p, out) = match sub {
            "status" => {
                let p = parsed(&[STATUS], true);
                let out = if p.has("-v") || p.has("--verbose") {
                    Output::Content
                } else {
                    Output::Names
                };
                (p, out)
            }
            "diff" => {
                let p = parsed(&[DIFF, DIFF_ONLY, &["--no-index"]], false);
                // `--no-index` compares two paths (files or trees) outside any repository's
                // view: exactly two, each judged as a read (below).
                if p.has("--no-index") && p.operands.len() + p.after_dashdash.len() != 2 {
                    return None;
                }
                let out = diff_output(&p, true);
                (p, out)
            }
            "diff-tree" | "diff-index" | "diff-files" => {
                let p = parsed(&[DIFF, DIFF_ONLY, DIFF_TREE, REV], false);
                let out = diff_output(&p, false);
                (p, out)
            }
            "log" | "whatchanged" | "rev-list" => {
                let p = parsed(&[REV, DIFF, LOG_ONLY], false);
                let out = diff_output(&p, false);
                (p, out)
            }
            "show" => {
                let p = parsed(&[REV, DIFF], false);
                let out = diff_output(&p, true);
                (p, out)
            }
            // shortlog's own `-n` (`--numbered`) shadows the revision walk's `-n NUM`.
            "shortlog" => (parsed(&[SHORTLOG, REV], true), Output::Names),
            "cherry" => {
                let p = parsed(&[CHERRY], false);
                if p.operands.len() > 3 {
                    return None;
                }
                (p, Output::Names)
            }
            "symbolic-ref" => {
                // One operand reads; two would write.
                let p = parsed(&[SYMBOLIC_REF], true);
                if p.operands.len() != 1 {
                    return None;
                }
                (p, Output::Names)
            }
            "check-attr" => (parsed(&[CHECK_ATTR], true), Output::Names),
            "reflog" => {
                let verb = rest.first().and_then(|a| a.lit.as_deref());
                match verb {
                    Some("show") => {
                        offset = 1;
                        let p = options::parse(rest.get(1..).unwrap_or(&[]), &[REV, DIFF], false);
                        let out = diff_output(&p, false);
                        (p, out)
                    }
                    Some("expire" | "delete" | "exists" | "drop" | "write") => return None,
                    _ => {
                        let p = parsed(&[REV, DIFF], false);
                        let out = diff_output(&p, false);
                        (p, out)
                    }
                }
            }
            "blame" | "annotate" => (parsed(&[BLAME], true), Output::Content),
            "grep" => (parsed(&[GREP], true), Output::Content),
            "cat-file" => {
                let p = parsed(&[CAT_FILE], false);
                let modes = ["-t", "-s", "-e", "-p"].iter().filter(|m| p.has(m)).count();
                // Exactly one mode and one object (`git cat-file -p HEAD:src/main.rs`).
                if modes != 1 || p.operands.len() != 1 || !p.after_dashdash.is_empty() {
                    return None;
                }
                let out = if p.has("-p") {
                    Output::Content
                } else {
                    Output::Names
                };
                (p, out)
            }
            "config" => {
                return self.config_form(rest).map(|output| Form {
                    output,
                    value_words: Vec::new(),
                    limits: None,
                })
            }
            "branch" => {
                let p = parsed(&[BRANCH], true);
                // Operands are patterns only in list mode; otherwise they create a branch.
                let list = ref_list_mode(&p);
                if !(p.operands.is_empty() || list) || !ref_formats_ok(&p) {
                    return None;
                }
                (p, Output::Names)
            }
            "tag" => {
                let p = parsed(&[TAG], true);
                let list = ref_list_mode(&p);
                if !(p.operands.is_empty() || list) || !ref_formats_ok(&p) {
                    return None;
                }
                // `-n` prints annotation lines (messages, not file contents).
                (p, Output::Names)
            }
            "for-each-ref" => {
                let p = parsed(&[FOR_EACH_REF], false);
                if !ref_formats_ok(&p) {
                    return None;
                }
                (p, Output::Names)
            }
            "remote" => {
                let verb = rest.iter().find(|a| !a.starts_with("-"));
                match verb.and_then(|a| a.lit.as_deref()) {
                    None => (parsed(&[REMOTE], true), Output::Names),
                    Some("get-url") => {
                        offset = 1;
                        let p =
                            options::parse(rest.get(1..).unwrap_or(&[]), &[REMOTE_GET_URL], false);
                        if p.operands.len() != 1 || !rest.first().is_some_and(|a| a.is("get-url")) {
                            return None;
                        }
                        (p, Output::Names)
                    }
                    _ => return None,
                }
            }
            "rev-parse" => {
                let p = parsed(&[REV_PARSE], false);
                (p, Output::Names)
            }
            "ls-files" => {
                let p = parsed(&[LS_FILES], true);
                if !p.values("--format").all(ref_format_ok) {
                    return None;
                }
                (p, Output::Names)
            }
            "ls-tree" => {
                let p = parsed(&[LS_TREE], true);
                if !p.values("--format").all(ref_format_ok) {
                    return None;
                }
                (p, Output::Names)
            }
            "describe" => (parsed(&[DESCRIBE], false), Output::Names),
            "merge-base" => (parsed(&[MERGE_BASE], true), Output::Names),
            "name-rev" => (parsed(&[NAME_REV], false), Output::Names),
            "show-ref" => (parsed(&[SHOW_REF], true), Output::Names),
            "count-objects" => (parsed(&[COUNT_OBJECTS], true), Output::Names),
            "check-ignore" => (parsed(&[CHECK_IGNORE], true), Output::Names),
            "show-branch" => (parsed(&[SHOW_BRANCH], true), Output::Names),
            "version" => (parsed(&[&["--build-options"]], false), Output::Names),
            "worktree" => {
                if !rest.first().is_some_and(|a| a.is("list")) {
                    return None;
                }
                offset = 1;
                let p = options::parse(rest.get(1..).unwrap_or(&[]), &[WORKTREE_LIST], true);
                if !p.operands.is_empty() {
                    return None;
                }
                (p, Output::Names)
            }
            "stash" => match rest.first().and_then(|a| a.lit.as_deref()) {
                Some("list") => {
                    offset = 1;
                    let p = options::parse(rest.get(1..).unwrap_or(&[]), &[REV, DIFF], false);
                    let out = diff_output(&p, false);
                    (p, out)
                }
                Some("show") => {
                    // Untracked files kept in the stash are shown only on request
                    // (`-u`, `--include-untracked`, `--only-untracked`: not in the table).
                    offset = 1;
                    let p =
                        options::parse(rest.get(1..).unwrap_or(&[]), &[DIFF, STASH_SHOW], false);
                    // Here `-u` is `--include-untracked`, not the diff's `-u` (patch).
                    if p.operands.len() > 1 || p.has("-u") {
                        return None;
                    }
                    let out = if p.opts.iter().any(|o| PATCH_OPTS.contains(&o.name.as_str())) {
                        Output::Content
                    } else {
                        Output::Names
                    };
                    (p, out)
                }
                _ => return None,
            },
            _ => return None,
        };
        if let Some(why) = &p.unknown {
            self.note_git(why);
            return None;
        }
        if !self.values_ok(sub, &p) {
            return None;
        }
        // Pathspecs that limit what is printed: after `--`; for `blame`, its file; for
        // `grep`, operands after the pattern that are existing paths.
        let plain =
            |l: &str| !l.is_empty() && !l.starts_with(':') && !l.contains(['*', '?', '[', '\\']);
        let lits = |v: &[&Arg]| -> Option<Vec<String>> {
            v.iter()
                .map(|a| a.lit.clone().filter(|l| plain(l)))
                .collect::<Option<Vec<String>>>()
                .filter(|v| !v.is_empty())
        };
        let limits = if p.has("--full-diff") {
            // Whole commits are shown for commits that touch the paths.
            None
        } else if !p.after_dashdash.is_empty() {
            lits(&p.after_dashdash)
        } else if matches!(sub, "blame" | "annotate") {
            p.operands.last().and_then(|a| lits(&[a]))
        } else if sub == "grep" && !p.has("-e") {
            let rest_ops: Vec<&Arg> = p.operands.iter().skip(1).copied().collect();
            lits(&rest_ops).filter(|v| v.iter().all(|l| self.ctx.absolute(self.cfg, l).exists()))
        } else {
            None
        };
        Some(Form {
            output: out,
            value_words: p
                .value_words
                .iter()
                .map(|(i, n)| (i + offset, n.clone()))
                .collect(),
            limits,
        })
    }

    /// `git config` in its reading forms: `--get NAME`, `--get-all NAME`, `--get-regexp RE`,
    /// `get NAME`, or a lone `NAME`. Keys that hold credentials are secrets; listing every
    /// key (`--list`, `list`) names them.
    fn config_form(&mut self, rest: &[Arg]) -> Option<Output> {
        let (verb, args) = match rest.first().and_then(|a| a.lit.as_deref()) {
            Some(v @ ("get" | "list")) => (Some(v), rest.get(1..).unwrap_or(&[])),
            _ => (None, rest),
        };
        let p = options::parse(args, &[options::CONFIG], true);
        if let Some(why) = &p.unknown {
            self.note_git(why);
            return None;
        }
        let listing = verb == Some("list") || p.has("--list") || p.has("-l");
        let regexp = p.has("--get-regexp") || (verb == Some("get") && p.has("--regexp"));
        let get = p.has("--get") || p.has("--get-all") || verb == Some("get");
        let modes = [listing, regexp, p.has("--get") || p.has("--get-all")]
            .iter()
            .filter(|m| **m)
            .count();
        if modes > 1 || p.operands.iter().any(|a| a.lit.is_none()) {
            return None;
        }
        if listing {
            if !p.operands.is_empty() {
                return None;
            }
            // Every key is printed, credentials included.
            self.facts.secret_mention = true;
            return Some(Output::Names);
        }
        let names = p.operands.len();
        // `git config NAME` reads; `git config NAME VALUE` writes.
        let ok_count = if regexp || get {
            (1..=2).contains(&names)
        } else {
            names == 1
        };
        if !ok_count {
            return None;
        }
        if !regexp {
            let name = p
                .operands
                .first()
                .and_then(|a| a.lit.as_deref())
                .unwrap_or("");
            let lower = name.to_ascii_lowercase();
            let (section, key) = match (lower.split_once('.'), lower.rsplit_once('.')) {
                (Some((s, _)), Some((_, k))) if !s.is_empty() && !k.is_empty() => {
                    (s.to_string(), k.to_string())
                }
                _ => return None,
            };
            let entry = config::Entry {
                section,
                subsection: None,
                name: key,
                value: None,
            };
            if repo::credential_key(&entry) {
                self.facts.secret_mention = true;
            }
        }
        if !self.cfg.resolve_symlinks {
            // The values cannot be examined for credentials.
            self.facts.secret_mention = true;
        }
        Some(Output::Names)
    }

    /// Formats and other option values that the tables accept by name only.
    fn values_ok(&mut self, sub: &str, p: &Parsed) -> bool {
        for o in &p.opts {
            let v = o.value.as_deref().unwrap_or("");
            let ok = match o.name.as_str() {
                "--format" | "--pretty"
                    if !matches!(
                        sub,
                        "for-each-ref" | "branch" | "tag" | "ls-files" | "ls-tree"
                    ) =>
                {
                    o.value.is_none() || pretty_ok(v)
                }
                "--date" | "--format" | "--pretty" => !v.chars().any(|c| c.is_control()),
                // git's own colours are SGR sequences only; anything else is refused.
                "--color" => matches!(v, "" | "always" | "never" | "auto"),
                "--src-prefix" | "--dst-prefix" | "--line-prefix" => {
                    !v.chars().any(|c| c.is_control())
                }
                "--encoding" => false,
                _ => true,
            };
            if !ok {
                self.note_git(&format!(
                    "git {} value `{}` is not known to be safe",
                    o.name,
                    assent_core::text::escape_line(v)
                ));
                return false;
            }
        }
        // Pathspec magic (`:(icase)`, `:(glob)`, `:!x`, `:/x`) matches names this analysis
        // cannot follow.
        let magic = p.operands.iter().chain(p.after_dashdash.iter()).any(|a| {
            a.lit.as_deref().is_some_and(|l| {
                l.starts_with(":(")
                    || l.starts_with(":!")
                    || l.starts_with(":^")
                    || l.starts_with(":/")
            })
        });
        !magic
    }

    fn note_git(&mut self, why: &str) {
        // An option this analysis does not know is not a parse failure of the command; it
        // only keeps the call off the allowlist.
        let _ = why;
        self.not_read_only();
    }

    /// Checks one argument of a git call as a path git may read or write. `strict`: values
    /// attached to options count as paths too (the call is not a known read-only form).
    fn check_operand(&mut self, a: &Arg, names_only: bool, strict: bool) {
        let Some(l) = a.lit.as_deref() else {
            self.facts.dynamic = true;
            self.not_read_only();
            self.skeleton_check(a, !names_only);
            return;
        };
        // Values attached to options: `-L1,1:.env`, `-O/etc/x`, `--contents=~/.ssh/id_rsa`.
        let (name, value) = if l.starts_with("--") {
            match l.split_once('=') {
                Some((n, v)) => (n.to_string(), v),
                None => return,
            }
        } else if let Some(short) = l.strip_prefix('-') {
            let mut cs = short.chars();
            let first = cs.next();
            let v = cs.as_str();
            if v.is_empty() {
                return;
            }
            (first.map(|c| format!("-{c}")).unwrap_or_default(), v)
        } else {
            if a.glob {
                // The shell expands an unquoted wildcard before git runs, opening every
                // directory it walks (`*/*` through a link to `~/.ssh` lists it): judge the
                // expansion as the shell does, then the words git gets as pathspecs.
                self.read_path(a, false);
            }
            self.check_path(l, names_only);
            return;
        };
        if strict {
            self.check_path(value, names_only);
        } else {
            self.check_value(&name, &Arg::literal(value), names_only);
        }
    }

    /// The value of an option of a read-only form: text, except `-L`'s file.
    fn check_value(&mut self, opt: &str, a: &Arg, names_only: bool) {
        let Some(v) = a.lit.as_deref() else {
            self.facts.dynamic = true;
            self.not_read_only();
            return;
        };
        if opt == "-L" {
            // `-L START,END:FILE`, `-L :FUNCNAME:FILE`, `-L /REGEX/,+N:FILE`.
            let file = v.rsplit_once(':').map_or(v, |(_, f)| f);
            self.check_path(file, names_only);
        } else if path_candidates(v)
            .iter()
            .any(|c| self.ctx.classify(self.cfg, c).secret)
        {
            // `--grep=.env` reads nothing, but names a secret.
            self.facts.secret_mention = true;
        }
    }

    fn check_path(&mut self, text: &str, names_only: bool) {
        for candidate in path_candidates(text) {
            let class = self.ctx.classify_pathspec(self.cfg, &candidate);
            if class.secret && !class.glob && !names_only {
                self.facts.secret_read = true;
            } else if class.secret && !names_only {
                self.facts.secret_mention = true;
            }
            let absolute_or_up = candidate.starts_with('/')
                || candidate.starts_with('~')
                || candidate.split('/').any(|c| c == "..");
            if absolute_or_up && !class.inside_workspace {
                self.facts.outside_workspace = true;
                self.not_read_only();
            }
        }
    }

    /// Whether an argument names a guard path or a directory holding guard files.
    fn names_guard(&self, a: &Arg) -> bool {
        let Some(l) = a.lit.as_deref() else {
            return false;
        };
        let text = match l.split_once('=') {
            Some((k, v)) if k.starts_with('-') => v,
            _ => l,
        };
        path_candidates(text).iter().any(|c| {
            let class = self.ctx.classify(self.cfg, c);
            class.guard || self.names_guard_dir(c)
        })
    }

    /// A command that rewrites the work tree, in a repository where a guard file is tracked or
    /// present, reaches it unless its paths exclude it: `git checkout .`, `git stash`,
    /// `git clean -fdx`, `git reset --hard`, `git switch other-branch`.
    fn writer_reaches_guard(&mut self, sub: &str, rest: &[Arg], discovery: &Discovery) {
        let lits: Vec<&str> = rest.iter().filter_map(|a| a.lit.as_deref()).collect();
        let flag = |f: &str| {
            lits.iter()
                .any(|l| *l == f || l.starts_with(&format!("{f}=")))
        };
        // Forms that leave the work tree alone.
        let harmless = match sub {
            "reset" => !(flag("--hard") || flag("--merge") || flag("--keep")),
            "stash" => matches!(
                lits.first(),
                Some(&("list" | "show" | "drop" | "clear" | "create" | "store"))
            ),
            "worktree" => matches!(
                lits.first(),
                Some(&("list" | "prune" | "lock" | "unlock" | "repair"))
            ),
            "checkout" | "switch" => {
                // `git checkout -b NEW`, `git switch -c NEW`: a new branch at HEAD.
                let positional = lits.iter().filter(|l| !l.starts_with('-')).count();
                (flag("-b") || flag("-c") || flag("--create"))
                    && positional == 1
                    && !lits
                        .iter()
                        .any(|l| *l == "-f" || *l == "--force" || *l == "--")
            }
            "bisect" => matches!(lits.first(), Some(&("log" | "visualize" | "view"))),
            _ => false,
        };
        if harmless {
            return;
        }
        let Discovery::Found(repo) = discovery else {
            return;
        };
        let guards = match repo.guard_files(self.cfg) {
            Ok(g) => g,
            Err(_) => {
                // Cannot tell: it asks anyway (a writer is never read-only).
                return;
            }
        };
        // Which guard files this form can rewrite.
        let positional_before_dashdash = lits
            .iter()
            .take_while(|l| **l != "--")
            .filter(|l| !l.starts_with('-'))
            .count();
        let has_dashdash = lits.contains(&"--");
        let reach = match sub {
            // Untracked (and, with -x, ignored) files only.
            "clean" => Reach::Untracked,
            "stash" => match lits.first() {
                Some(&("pop" | "apply" | "branch")) => Reach::Any,
                _ if flag("-u") || flag("--include-untracked") || flag("-a") || flag("--all") => {
                    Reach::ModifiedOrUntracked
                }
                // push/save: modified tracked files go back to their committed state.
                _ => Reach::Modified,
            },
            // `git checkout -- paths`, `git checkout .`: from the index. With a tree-ish before
            // `--`, or a lone operand that is not a path (a branch), anything can change.
            "checkout" => {
                let lone_path = !has_dashdash
                    && positional_before_dashdash == 1
                    && lits
                        .iter()
                        .find(|l| !l.starts_with('-'))
                        .is_some_and(|l| self.ctx.absolute(self.cfg, l).exists());
                let from_index = (has_dashdash && positional_before_dashdash == 0) || lone_path;
                if from_index && !flag("-f") && !flag("--force") {
                    Reach::Modified
                } else {
                    Reach::Any
                }
            }
            "restore" => {
                if flag("--source") || flag("-s") || lits.iter().any(|l| l.starts_with("-s")) {
                    Reach::Any
                } else if (flag("--staged") || flag("-S")) && !(flag("--worktree") || flag("-W")) {
                    // The index only.
                    Reach::Nothing
                } else {
                    Reach::Modified
                }
            }
            "reset" => {
                let target_head = positional_before_dashdash == 0
                    || lits
                        .iter()
                        .filter(|l| !l.starts_with('-'))
                        .all(|l| *l == "HEAD");
                if target_head {
                    Reach::Modified
                } else {
                    Reach::Any
                }
            }
            _ => Reach::Any,
        };
        let guards: Vec<std::path::PathBuf> = guards
            .into_iter()
            .filter(|g| match reach {
                Reach::Nothing => false,
                Reach::Untracked => !g.tracked,
                Reach::Modified => g.tracked && g.modified,
                Reach::ModifiedOrUntracked => g.modified,
                Reach::Any => true,
            })
            .map(|g| g.path)
            .collect();
        if guards.is_empty() {
            return;
        }
        // Path-limited forms: `git checkout -- src/`, `git restore src/a.rs`. Without a
        // `--`, operands of checkout may be branches; judged as paths too (a superset).
        let dashdash = lits.iter().position(|l| *l == "--");
        let paths: Vec<&str> = match dashdash {
            Some(pos) => lits.get(pos + 1..).unwrap_or(&[]).to_vec(),
            None if matches!(sub, "restore" | "rm" | "mv" | "clean" | "checkout-index") => lits
                .iter()
                .filter(|l| !l.starts_with('-'))
                .copied()
                .collect(),
            None => Vec::new(),
        };
        let paths_only = dashdash.is_some()
            || matches!(sub, "restore" | "rm" | "mv" | "clean" | "checkout-index");
        let reaches = if !paths_only || paths.is_empty() {
            true
        } else {
            paths.iter().any(|p| {
                if p.starts_with(':') || p.contains(['*', '?', '[']) {
                    return true;
                }
                let abs = self.ctx.absolute(self.cfg, p);
                guards.iter().any(|g| g.starts_with(&abs))
            })
        };
        if reaches {
            self.facts.guard_tamper = true;
            self.facts.not_understood(
                "git would rewrite work-tree files, and a guard file (hook settings) is tracked or present there",
            );
        }
    }

    fn network_and_destructive(&mut self, sub: &str, rest: &[Arg]) {
        let has = |f: &str| {
            rest.iter()
                .any(|a| a.is(f) || a.starts_with(&format!("{f}=")))
        };
        if NETWORK.contains(&sub)
            || (sub == "remote"
                && rest
                    .iter()
                    .any(|a| a.is("update") || a.is("prune") || a.is("show")))
            || (sub == "archive" && rest.iter().any(|a| a.starts_with("--remote")))
        {
            self.facts.network = true;
        }
        let destructive = match sub {
            "reset" => has("--hard") || has("--merge") || has("--keep"),
            "clean" | "rm" | "filter-branch" | "filter-repo" | "gc" | "prune" | "update-ref"
            | "rebase" => true,
            "push" => {
                has("--force")
                    || has("-f")
                    || has("--force-with-lease")
                    || has("--delete")
                    || has("--mirror")
                    || rest
                        .iter()
                        .any(|a| a.starts_with("+") || a.starts_with(":"))
            }
            "checkout" | "restore" | "switch" => {
                has("--") || has("-f") || has("--force") || has(".")
            }
            "branch" => has("-D") || has("-d") || has("--delete") || has("-f") || has("-M"),
            "stash" => rest.first().is_some_and(|a| a.is("drop") || a.is("clear")),
            "reflog" => rest
                .first()
                .is_some_and(|a| a.is("expire") || a.is("delete")),
            _ => false,
        };
        if destructive {
            self.facts.destructive = true;
        }
    }
}

/// Whether revision arguments could reach a stash's commits: `--all`, reflog walks, a name
/// with `stash` in it, or an object id.
fn reaches_stash(rest: &[Arg]) -> bool {
    for a in rest {
        let Some(l) = a.lit.as_deref() else {
            return true;
        };
        if l == "--" {
            break;
        }
        if matches!(l, "--all" | "--reflog" | "-g" | "--walk-reflogs") || l.contains("stash") {
            return true;
        }
        let head = l.split(['^', '~', ':', '@', '.']).next().unwrap_or("");
        if head.len() >= 4 && head.chars().all(|c| c.is_ascii_hexdigit()) {
            return true;
        }
    }
    false
}

enum ConfigQuery {
    Name(String),
    Regexp,
    Other,
}

/// What a reading `git config` call prints: one key's values, or every key matching a pattern.
fn config_query(rest: &[Arg]) -> ConfigQuery {
    let args = match rest.first().and_then(|a| a.lit.as_deref()) {
        Some("get" | "list") => rest.get(1..).unwrap_or(&[]),
        _ => rest,
    };
    let p = options::parse(args, &[options::CONFIG], true);
    if p.has("--get-regexp") || p.has("--regexp") {
        return ConfigQuery::Regexp;
    }
    match p.operands.first().and_then(|a| a.lit.clone()) {
        Some(n) => ConfigQuery::Name(n),
        None => ConfigQuery::Other,
    }
}

/// What a diff or log form prints: contents when a patch option is given, or (for `diff` and
/// `show`, whose default is a patch) when no summary option replaces it.
fn diff_output(p: &Parsed, patch_by_default: bool) -> Output {
    // The pickaxe (`-S TEXT`, `-G RE`) answers whether contents hold a text: asked one
    // guess at a time, that prints them.
    let patch = p.opts.iter().any(|o| {
        PATCH_OPTS.contains(&o.name.as_str())
            || matches!(o.name.as_str(), "-S" | "-S=" | "-G" | "-G=")
    });
    let summary = p
        .opts
        .iter()
        .any(|o| SUMMARY_OPTS.contains(&o.name.as_str()));
    if patch || (patch_by_default && !summary) {
        Output::Content
    } else {
        Output::Names
    }
}

/// A `--pretty`/`--format` value of the log family is safe when it is a built-in format or a
/// format string whose every placeholder only prints commit data as text: no `%G…` (runs
/// gpg), no `%x` bytes outside printable ASCII, tab, newline and NUL (escape sequences made
/// at run time reach whoever reads the output), no `%(…)` (options inside can carry such
/// bytes). Colours (`%Cred`, `%C(bold blue)`) are accepted: git emits them as SGR sequences
/// only, like `--color`. Names of `pretty.*` aliases from the configuration are not followed.
fn pretty_ok(v: &str) -> bool {
    const BUILTIN: &[&str] = &[
        "oneline",
        "short",
        "medium",
        "full",
        "fuller",
        "reference",
        "email",
        "mboxrd",
        "raw",
    ];
    if BUILTIN.contains(&v) {
        return true;
    }
    let fmt = match v.split_once(':') {
        Some(("format" | "tformat", f)) => f,
        _ if v.contains('%') => v,
        _ => return false,
    };
    placeholders_ok(fmt)
}

fn hex_byte_ok(h: &str) -> bool {
    u8::from_str_radix(h, 16).is_ok_and(|b| matches!(b, 0 | b'\t' | b'\n' | 0x20..=0x7e))
}

fn placeholders_ok(fmt: &str) -> bool {
    const ONE: &[char] = &[
        'H', 'h', 'T', 't', 'P', 'p', 'd', 'D', 'S', 'e', 's', 'f', 'b', 'B', 'N', 'm', 'n', '%',
    ];
    const PERSON: &[char] = &[
        'n', 'N', 'e', 'E', 'l', 'L', 'd', 'D', 'r', 't', 'i', 'I', 's', 'h',
    ];
    const REFLOG: &[char] = &['d', 'D', 'n', 'N', 'e', 'E', 's'];
    let mut cs = fmt.chars().peekable();
    while let Some(c) = cs.next() {
        if c != '%' {
            if c.is_control() && c != '\n' && c != '\t' {
                return false;
            }
            continue;
        }
        // `%+x`, `%-x`, `% x`: add or remove a line break or space.
        if matches!(cs.peek(), Some('+' | '-' | ' ')) {
            cs.next();
        }
        let Some(p) = cs.next() else { return false };
        let ok = match p {
            'x' => {
                let h: String = cs.by_ref().take(2).collect();
                h.len() == 2 && hex_byte_ok(&h)
            }
            'a' | 'c' => cs.next().is_some_and(|q| PERSON.contains(&q)),
            'g' => cs.next().is_some_and(|q| REFLOG.contains(&q)),
            '<' | '>' => {
                // `%<(N[,trunc])`, `%>(N)`, `%><(N)`, `%>>(N)`, `%<|(N)`, `%>|(N)`.
                if matches!(cs.peek(), Some('<' | '>' | '|')) {
                    cs.next();
                }
                paren_plain(&mut cs)
            }
            'w' => paren_plain(&mut cs),
            // Colours: `%Cred`, `%Cgreen`, `%Cblue`, `%Creset`, `%C(bold blue)`. git turns a
            // colour name into an SGR sequence and refuses anything else.
            'C' => match cs.peek() {
                Some('(') => {
                    cs.next();
                    let mut closed = false;
                    for c in cs.by_ref() {
                        if c == ')' {
                            closed = true;
                            break;
                        }
                        if !(c.is_ascii_alphanumeric() || matches!(c, ' ' | '#' | ',' | '-')) {
                            return false;
                        }
                    }
                    closed
                }
                _ => {
                    let name: String = cs.clone().take(5).collect();
                    let n = ["reset", "green", "blue", "red"]
                        .iter()
                        .find(|c| name.starts_with(**c))
                        .map(|c| c.len());
                    match n {
                        Some(n) => {
                            for _ in 0..n {
                                cs.next();
                            }
                            true
                        }
                        None => false,
                    }
                }
            },
            c => ONE.contains(&c),
        };
        if !ok {
            return false;
        }
    }
    true
}

/// `(…)` holding only digits, commas and truncation words.
fn paren_plain(cs: &mut std::iter::Peekable<std::str::Chars>) -> bool {
    if cs.next() != Some('(') {
        return false;
    }
    for c in cs.by_ref() {
        if c == ')' {
            return true;
        }
        if !(c.is_ascii_alphanumeric() || c == ',') {
            return false;
        }
    }
    false
}

/// A ref-filter (`for-each-ref`, `branch`, `tag`) or `ls-files`/`ls-tree` format: `%(atom)`
/// from a list of plain data atoms, `%%`, and `%xx` printable bytes.
fn ref_format_ok(v: &str) -> bool {
    const ATOMS: &[&str] = &[
        "refname",
        "objectname",
        "objecttype",
        "objectsize",
        "objectmode",
        "deltabase",
        "upstream",
        "push",
        "HEAD",
        "symref",
        "worktreepath",
        "subject",
        "body",
        "contents",
        "trailers",
        "authorname",
        "authoremail",
        "authordate",
        "committername",
        "committeremail",
        "committerdate",
        "taggername",
        "taggeremail",
        "taggerdate",
        "creator",
        "creatordate",
        "tree",
        "parent",
        "numparent",
        "object",
        "type",
        "tag",
        "align",
        "end",
        "if",
        "then",
        "else",
        "path",
        "eolinfo",
        "eolattr",
        "ahead-behind",
        "describe",
        // SGR only, like `--color`.
        "color",
    ];
    let mut rest = v;
    while let Some(pos) = rest.find('%') {
        let after = rest.get(pos + 1..).unwrap_or("");
        if let Some(a) = after.strip_prefix('(') {
            let Some(end) = a.find(')') else { return false };
            let atom = a.get(..end).unwrap_or("");
            let name = atom.split(':').next().unwrap_or("");
            let modifier = atom.split_once(':').map(|(_, m)| m).unwrap_or("");
            if !ATOMS.contains(&name)
                || modifier.contains("signature")
                || modifier.contains('%')
                || atom.chars().any(|c| c.is_control())
            {
                return false;
            }
            rest = a.get(end + 1..).unwrap_or("");
        } else if let Some(a) = after.strip_prefix('%') {
            rest = a;
        } else {
            let h = after.get(..2).unwrap_or("");
            if h.len() != 2 || !hex_byte_ok(h) {
                return false;
            }
            rest = after.get(2..).unwrap_or("");
        }
    }
    !v.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
}

fn ref_formats_ok(p: &Parsed) -> bool {
    p.values("--format").all(ref_format_ok)
}

/// `git branch` and `git tag` list (rather than create) when asked to, or when filtered by
/// commit: their operands are then patterns.
fn ref_list_mode(p: &Parsed) -> bool {
    p.has("--list")
        || p.has("-l")
        || p.opts.iter().any(|o| {
            matches!(
                o.name.as_str(),
                "--contains" | "--no-contains" | "--merged" | "--no-merged" | "--points-at"
            )
        })
}

#[cfg(test)]
mod tests;
