//! git: which subcommands and flags are read-only, and the repository state that decides it
//! (configuration that runs programs, tracked secrets).

use super::programs::{dangerous_long, path_candidates};
use super::words::Arg;
use super::Walker;

/// Git configuration keys (lowercase substrings) under which git runs programs or reads other
/// configuration.
const RUNS_CODE: &[&str] = &[
    "fsmonitor",
    "pager",
    "external",
    "textconv",
    "hookspath",
    "sshcommand",
    "[filter",
    "command",
    "editor",
    "askpass",
    "gitproxy",
    "[include",
    "[includeif",
    "worktree",
    "attributesfile",
    "difftool",
    "mergetool",
    "[credential",
    "program",
    "untrackedcache",
    "helper",
    "[alias",
];

impl Walker<'_> {
    pub(super) fn git(&mut self, args: &[Arg]) {
        let mut i = 0;
        let mut saved_cwd = None;
        while i < args.len() {
            let Some(l) = args[i].lit.as_deref() else {
                break;
            };
            match l {
                "--no-pager"
                | "-P"
                | "--no-optional-locks"
                | "--literal-pathspecs"
                | "--glob-pathspecs"
                | "--noglob-pathspecs"
                | "--icase-pathspecs"
                | "--no-replace-objects" => i += 1,
                "-C" => {
                    if let Some(dir) = args.get(i + 1) {
                        self.read_path(dir, false);
                        if let Some(d) = &dir.lit {
                            let class = self.ctx.classify(self.cfg, d);
                            saved_cwd.get_or_insert_with(|| self.ctx.cwd.clone());
                            self.ctx.cwd = std::path::PathBuf::from(class.path);
                        }
                    }
                    i += 2;
                }
                l if l.starts_with('-') => {
                    // `-c`, `--exec-path`, `--git-dir`, `--work-tree`, `-p`/`--paginate`,
                    // `--config-env`: change what git runs or where it looks.
                    self.not_read_only();
                    if l == "-c" || l == "--config-env" {
                        self.facts.wrapper = true;
                        i += 1;
                    }
                    i += 1;
                }
                _ => break,
            }
        }
        let sub = args.get(i).and_then(|a| a.lit.clone()).unwrap_or_default();
        let rest = if i < args.len() {
            &args[i + 1..]
        } else {
            &[][..]
        };
        let has = |f: &str| {
            rest.iter()
                .any(|a| a.is(f) || a.starts_with(&format!("{f}=")))
        };
        const READ_ONLY: &[&str] = &[
            "status",
            "diff",
            "log",
            "show",
            "blame",
            "ls-files",
            "ls-tree",
            "rev-parse",
            "describe",
            "shortlog",
            "rev-list",
            "grep",
            "merge-base",
            "name-rev",
            "show-ref",
            "count-objects",
            "whatchanged",
            "reflog",
            "branch",
            "tag",
            "stash",
            "remote",
            "worktree",
            "version",
            "check-ignore",
            "annotate",
            "show-branch",
            "for-each-ref",
            "diff-tree",
            "diff-files",
            "diff-index",
        ];
        const NETWORK: &[&str] = &[
            "push",
            "pull",
            "fetch",
            "clone",
            "ls-remote",
            "submodule",
            "send-email",
            "request-pull",
            "archive",
        ];
        if NETWORK.contains(&sub.as_str())
            || (sub == "remote"
                && rest
                    .iter()
                    .any(|a| a.is("update") || a.is("prune") || a.is("show")))
        {
            self.facts.network = true;
        }
        let destructive = match sub.as_str() {
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
        // Paths git reads or shows (`git show HEAD:.env`, `git diff -- .env`).
        let mut after_dashdash = false;
        for a in rest {
            if a.is("--") {
                after_dashdash = true;
                continue;
            }
            let Some(l) = a.lit.as_deref() else {
                self.facts.dynamic = true;
                self.not_read_only();
                continue;
            };
            let l = if l.starts_with('-') && !after_dashdash {
                // Values attached to options still name files: `-L1,1:.env`, `-O/etc/x`,
                // `--contents=~/.ssh/id_rsa`.
                match l.split_once('=') {
                    Some((_, v)) => v,
                    None if !l.starts_with("--") && l.len() > 2 => &l[2..],
                    None => continue,
                }
            } else {
                l
            };
            for candidate in path_candidates(l) {
                let class = self.ctx.classify(self.cfg, &candidate);
                // These list or test names; they never print a file's contents.
                let names_only = matches!(
                    sub.as_str(),
                    "check-ignore" | "ls-files" | "ls-tree" | "rev-parse" | "status"
                );
                if class.secret && !class.glob && !names_only {
                    self.facts.secret_read = true;
                } else if class.secret && !names_only {
                    self.facts.secret_mention = true;
                }
                let names_guard_dir = self.names_guard_dir(&candidate);
                if (class.guard || names_guard_dir) && !READ_ONLY.contains(&sub.as_str()) {
                    self.facts.guard_tamper = true;
                }
                if (after_dashdash || candidate.starts_with('/') || candidate.contains(".."))
                    && !class.inside_workspace
                {
                    self.facts.outside_workspace = true;
                    self.not_read_only();
                }
            }
        }
        let repo_runs_code = READ_ONLY.contains(&sub.as_str()) && self.repository_runs_code();
        if matches!(
            sub.as_str(),
            "show"
                | "log"
                | "diff"
                | "blame"
                | "grep"
                | "annotate"
                | "whatchanged"
                | "diff-tree"
                | "diff-index"
                | "diff-files"
                | "shortlog"
        ) && self.repository_tracks_secret()
        {
            // The repository's index names a secret file: history and diffs can print it.
            self.not_read_only();
            self.facts.secret_mention = true;
        }
        if sub == "grep" {
            // git grep reads tracked files; with --untracked or --no-index, every file.
            if rest
                .iter()
                .any(|a| a.is("--untracked") || a.is("--no-index") || a.is("--no-exclude-standard"))
            {
                self.recursive_read_with(&[], false);
            } else if self.repository_tracks_secret() {
                self.facts.secret_read = true;
            }
        }
        if let Some(c) = saved_cwd {
            self.ctx.cwd = c;
        }
        if !READ_ONLY.contains(&sub.as_str()) {
            self.not_read_only();
            return;
        }
        if repo_runs_code {
            // core.fsmonitor, core.pager, diff.external, textconv or filter drivers, includes:
            // even `git status` runs what this repository's config says.
            self.not_read_only();
            self.facts.not_understood("repository configuration can run programs (fsmonitor, pager, external diff, filters or includes)");
        }
        const FORBIDDEN: &[&str] = &[
            "--output",
            "--ext-diff",
            "--exec",
            "--upload-pack",
            "--open-files-in-pager",
            "-O",
            "--textconv",
            "--run",
            "--edit",
            "--paginate",
        ];
        for a in rest {
            let Some(l) = a.lit.as_deref() else { continue };
            let flag = l.split('=').next().unwrap_or(l);
            let long_danger = l.starts_with("--") && dangerous_long("git", flag, FORBIDDEN);
            let blame_file = sub == "blame"
                && (l.starts_with("-S")
                    || l.starts_with("--contents")
                    || l.starts_with("--ignore-revs"));
            if FORBIDDEN.contains(&flag)
                || long_danger
                || blame_file
                || (sub == "grep" && l.starts_with('-') && !l.starts_with("--") && l.contains('O'))
            {
                self.not_read_only();
            }
            // Pathspec magic (`:(icase)`, `:(glob)`, `:!x`) matches names this analysis cannot.
            if l.starts_with(":(")
                || l.starts_with(":!")
                || l.starts_with(":^")
                || l.starts_with(":/")
            {
                self.not_read_only();
            }
        }
        let positionals: Vec<&Arg> = rest.iter().filter(|a| !a.starts_with("-")).collect();
        let ok = match sub.as_str() {
            "branch" => {
                let allowed = [
                    "-a",
                    "-r",
                    "-v",
                    "-vv",
                    "-l",
                    "--list",
                    "--show-current",
                    "--all",
                    "--remotes",
                    "--verbose",
                    "--no-color",
                    "--color",
                    "--merged",
                    "--no-merged",
                    "--contains",
                    "--no-contains",
                    "--sort",
                    "--format",
                    "--column",
                    "--no-column",
                    "-q",
                ];
                rest.iter().all(|a| {
                    a.lit.as_deref().is_some_and(|l| {
                        !l.starts_with('-') || allowed.contains(&l.split('=').next().unwrap_or(l))
                    })
                }) && (positionals.is_empty()
                    || has("--list")
                    || has("-l")
                    || has("--contains")
                    || has("--merged")
                    || has("--no-merged"))
            }
            "tag" => {
                positionals.is_empty()
                    || has("-l")
                    || has("--list")
                    || has("--contains")
                    || has("--points-at")
            }
            "stash" => positionals
                .first()
                .is_some_and(|a| a.is("list") || a.is("show")),
            "remote" => {
                positionals.is_empty() || positionals.first().is_some_and(|a| a.is("get-url"))
            }
            "worktree" => positionals.first().is_some_and(|a| a.is("list")),
            "reflog" => positionals
                .first()
                .is_none_or(|a| a.is("show") || !a.starts_with("e") && !a.starts_with("d")),
            _ => true,
        };
        if !ok {
            self.not_read_only();
        }
    }

    /// Reads the configuration of the repository git would use from the current directory
    /// and reports whether it names anything git runs. Without file-system access, assumes
    /// it does not (the analysis is then a pure function of the command text).
    fn repository_runs_code(&self) -> bool {
        if !self.cfg.resolve_symlinks || self.ctx.cwd_unknown {
            return false;
        }
        let mut dir = Some(self.ctx.cwd.as_path());
        while let Some(d) = dir {
            let dotgit = d.join(".git");
            let config = if dotgit.is_dir() {
                Some(dotgit.join("config"))
            } else if dotgit.is_file() {
                // A worktree or submodule: `gitdir: PATH`.
                std::fs::read_to_string(&dotgit).ok().and_then(|t| {
                    t.strip_prefix("gitdir:").map(|p| {
                        let p = std::path::PathBuf::from(p.trim());
                        let p = if p.is_absolute() { p } else { d.join(p) };
                        p.join("config")
                    })
                })
            } else if d.join("HEAD").is_file()
                && d.join("objects").is_dir()
                && d.join("config").is_file()
            {
                // The directory is itself a (bare) repository.
                Some(d.join("config"))
            } else if d.join("HEAD").is_file()
                && (d.join("commondir").is_file() || d.join("refs").is_dir())
            {
                // A git directory that borrows another's config through `commondir`.
                Some(d.join("config"))
            } else {
                None
            };
            if let Some(config) = config {
                // Submodules run with their own config (`.git/modules/NAME/config`).
                if let Some(gitdir) = config.parent() {
                    let modules = gitdir.join("modules");
                    if modules.is_dir() {
                        let mut stack = vec![modules];
                        let mut seen = 0;
                        while let Some(dir) = stack.pop() {
                            let Ok(entries) = std::fs::read_dir(&dir) else {
                                continue;
                            };
                            for e in entries.flatten() {
                                seen += 1;
                                if seen > 2_000 {
                                    return true;
                                }
                                let path = e.path();
                                if e.file_name() == "config" {
                                    let text = std::fs::read_to_string(&path)
                                        .unwrap_or_default()
                                        .to_ascii_lowercase();
                                    if RUNS_CODE.iter().any(|k| text.contains(k)) {
                                        return true;
                                    }
                                } else if e.file_type().is_ok_and(|t| t.is_dir())
                                    && e.file_name() != "objects"
                                {
                                    stack.push(path);
                                }
                            }
                        }
                    }
                }
                // `commondir` points at the directory whose config applies too.
                if let Some(gitdir) = config.parent() {
                    if let Ok(common) = std::fs::read_to_string(gitdir.join("commondir")) {
                        let c = std::path::PathBuf::from(common.trim());
                        let c = if c.is_absolute() { c } else { gitdir.join(c) };
                        let text = std::fs::read_to_string(c.join("config"))
                            .unwrap_or_default()
                            .to_ascii_lowercase();
                        if RUNS_CODE.iter().any(|k| text.contains(k)) {
                            return true;
                        }
                    }
                }
                let text = match std::fs::metadata(&config) {
                    Ok(m) if m.len() > 1024 * 1024 => return true,
                    Ok(_) => std::fs::read_to_string(&config)
                        .unwrap_or_default()
                        .to_ascii_lowercase(),
                    Err(_) => return false,
                };

                return RUNS_CODE.iter().any(|k| text.contains(k));
            }
            dir = d.parent();
        }
        false
    }

    /// Whether the index of the repository around the current directory tracks a file that
    /// is a secret (`.env` committed by mistake). Reads `.git/index` and looks at its path
    /// names; history that no longer tracks the file is not seen.
    fn repository_tracks_secret(&self) -> bool {
        if !self.cfg.resolve_symlinks || self.ctx.cwd_unknown {
            return false;
        }
        let mut dir = Some(self.ctx.cwd.as_path());
        while let Some(d) = dir {
            let index = d.join(".git/index");
            if let Ok(meta) = std::fs::metadata(&index) {
                if meta.len() > 64 * 1024 * 1024 {
                    return true;
                }
                let Ok(bytes) = std::fs::read(&index) else {
                    return true;
                };
                return bytes
                    .split(|b| *b == 0)
                    .filter(|chunk| chunk.len() >= 2 && chunk.len() < 4096)
                    .filter_map(|chunk| {
                        // Entry names follow binary fields; take the longest printable tail.
                        let start = chunk
                            .iter()
                            .rposition(|b| *b < 0x20 || *b == 0x7f)
                            .map(|p| p + 1)
                            .unwrap_or(0);
                        std::str::from_utf8(&chunk[start..]).ok()
                    })
                    .filter(|name| !name.is_empty())
                    .any(|name| {
                        // Glob matching only: an index can name many thousands of files.
                        let p = d.join(name);
                        self.cfg.secrets.is_match(&p) && !self.cfg.secret_exceptions.is_match(&p)
                    });
            }
            if d.join(".git").exists() {
                return false;
            }
            dir = d.parent();
        }
        false
    }
}
