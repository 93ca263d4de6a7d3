//! git against the real git: fixture repositories built with the installed `git` in a
//! temporary home (linked worktrees, embedded repositories, `.git` files pointing elsewhere,
//! configuration that runs a program which writes a marker, partial clones, tracked secrets,
//! tracked guard files), the analyser's verdict on each, and — for forms it allows — a real
//! run that must leave no marker behind.

use crate::{Analyzer, AnalyzerConfig};
use assent_core::{Action, Facts, Kind};
use std::path::{Path, PathBuf};
use std::process::Command;

struct Fixture {
    _dir: tempfile::TempDir,
    home: PathBuf,
    analyzer: Analyzer,
}

fn run_git(cwd: &Path, home: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args(args)
        .current_dir(cwd)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("git runs")
}

fn git(cwd: &Path, home: &Path, args: &[&str]) {
    let out = run_git(cwd, home, args);
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(p: &Path, text: &str) {
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

/// A new repository at `dir` with one commit of `files`.
fn repo(home: &Path, dir: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).expect("mkdir");
    git(dir, home, &["init", "-q", "-b", "main"]);
    for (name, text) in files {
        write(&dir.join(name), text);
        git(dir, home, &["add", "-f", name]);
    }
    git(dir, home, &["commit", "-qm", "init"]);
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::Builder::new()
            .prefix("assent-git-")
            .tempdir_in("/tmp")
            .expect("tempdir");
        let home = std::fs::canonicalize(dir.path()).expect("canonical");
        let analyzer = Analyzer::new(&AnalyzerConfig::defaults(
            home.clone(),
            home.join(".assent"),
        ))
        .expect("analyzer");
        Fixture {
            _dir: dir,
            home,
            analyzer,
        }
    }

    fn facts(&self, cwd: &Path, command: &str) -> Facts {
        let action = Action {
            tool: "Bash".into(),
            kind: Kind::Shell,
            input: serde_json::json!({ "command": command }),
            cwd: Some(cwd.display().to_string()),
            session: None,
            summary: None,
        };
        self.analyzer.analyze(&action)
    }

    fn read_only(&self, cwd: &Path, command: &str) -> bool {
        self.facts(cwd, command).read_only
    }
}

fn marker_config(marker: &Path) -> String {
    format!("touch {}", marker.display())
}

#[test]
fn plain_repository_reads_are_read_only_and_real_git_runs_nothing() {
    let f = Fixture::new();
    let ws = f.home.join("project");
    repo(
        &f.home,
        &ws,
        &[("README.md", "hello\n"), ("src/main.rs", "fn main() {}\n")],
    );
    for cmd in [
        "git status",
        "git status -sb",
        "git log --oneline -n 5",
        "git log -3 --stat --format='%h %an %s'",
        "git log -p -- src/main.rs",
        "git diff",
        "git diff --check",
        "git diff --cached --stat HEAD~0",
        "git show --stat HEAD",
        "git show HEAD:README.md",
        "git branch -a -v",
        "git branch --show-current",
        "git tag --list",
        "git rev-parse --show-toplevel",
        "git ls-files",
        "git blame README.md",
        "git grep -n hello",
        "git cat-file -t HEAD",
        "git cat-file -p HEAD:README.md",
        "git config --get user.name",
        "git config core.bare",
        "git remote -v",
        "git describe --always",
        "git shortlog -sn HEAD",
        "git reflog -5",
        "git stash list",
        "git -C src log -1",
        "git --no-pager log -1",
        "git log --format=%x09%h%x00",
        "git shortlog -sn --all --no-merges",
        "git log --oneline --decorate=full -3",
        "git cherry -v main",
        "git symbolic-ref --short HEAD",
        "git check-attr -a README.md",
        "git diff-tree --no-commit-id --name-only -r HEAD",
        "git rev-parse --short HEAD",
        "git log -1 --pretty=%B",
        "git show -s --format=%ci HEAD",
        "git diff --cached --name-only --diff-filter=ACM",
        "git log -L '/fn main/,+1:src/main.rs'",
        "git blame -w -C -C README.md",
        "git grep -il hello -- src/",
        "git config --global --get user.name",
        "git log --graph --pretty=format:'%Cred%h%Creset -%C(yellow)%d%Creset %s %Cgreen(%cr) %C(bold blue)<%an>%Creset' --abbrev-commit",
        "git log --date=format:'%Y-%m-%d' --format='%ad %s'",
    ] {
        let facts = f.facts(&ws, cmd);
        assert!(facts.read_only, "{cmd}: {:?}", facts.salient());
    }
    // The neighbours that are not read-only.
    for cmd in [
        "git stash",
        "git branch new-branch",
        "git symbolic-ref HEAD refs/heads/x",
        "git symbolic-ref -d HEAD",
        "git tag v1",
        "git config user.name x",
        "git config --list",
        "git log --show-signature",
        "git log --format=%G?",
        "git log --format=%x1b[31m",
        "git log --format=%C(red%x1b)",
        "git log --format=%Cbogus",
        "git diff --color=bogus",
        "git log --pretty=format:%x07",
        "git log --pretty=myalias",
        "git log --textconv -p",
        "git diff --ext-diff",
        "git diff --output=README.md",
        "git diff --outp=README.md",
        "git diff --no-index /etc/passwd README.md",
        "git diff --no-index README.md",
        "git diff --no-index a b c",
        "git grep -O/tmp/x hello",
        "git grep --open-files-in-pager hello",
        "git grep -f /etc/passwd",
        "git blame --contents /etc/passwd README.md",
        "git blame -S /etc/passwd README.md",
        "git blame --ignore-revs-file /etc/passwd README.md",
        "git -c core.pager=sh log",
        "git -p log",
        "git --paginate log",
        "git --git-dir=/tmp/x log",
        "git --work-tree=/ status",
        "git --namespace=x log",
        "git --exec-path=/tmp log",
        "git --icase-pathspecs log -p -- .ENV",
        "git archive HEAD",
        "git archive --remote=x HEAD",
        "git cat-file --batch",
        "git cat-file --textconv HEAD:README.md",
        "git cat-file -p",
        "git log -éa",
        "git log -pé",
        "git branch -D main",
        "git remote show origin",
        "git worktree add ../x",
        "git reflog expire --all",
        "git log -- ':(icase)readme.md'",
        "GIT_DIR=/tmp/x git status",
        "GIT_CONFIG_GLOBAL=/tmp/x git status",
    ] {
        assert!(!f.read_only(&ws, cmd), "{cmd} should not be read-only");
    }
}

#[test]
fn diff_no_index_is_judged_by_its_paths_and_the_user_configuration() {
    let f = Fixture::new();
    let ws = f.home.join("project");
    write(&ws.join("a/x.txt"), "1\n");
    write(&ws.join("b/x.txt"), "2\n");
    write(&ws.join("README.md"), "r\n");
    // No repository here: the user's configuration still applies.
    assert!(f.read_only(&ws, "git diff --no-index a/x.txt b/x.txt"));
    assert!(f.read_only(&ws, "git diff --no-index a b"));
    write(&ws.join("b/.env"), "API_KEY=x\n");
    assert!(!f.read_only(&ws, "git diff --no-index a b"));
    assert!(
        f.facts(&ws, "git diff --no-index README.md b/.env")
            .secret_read
    );
    assert!(!f.read_only(&ws, "git diff --no-index README.md ../outside.txt"));
    write(&f.home.join(".gitconfig"), "[diff]\n\texternal = sh\n");
    assert!(!f.read_only(&ws, "git diff --no-index a/x.txt README.md"));
    assert!(!f.read_only(&ws, "git config --get user.name"));
    std::fs::remove_file(f.home.join(".gitconfig")).expect("rm");
    assert!(f.read_only(&ws, "git config --get user.name"));
}

#[test]
fn a_shell_glob_is_expanded_before_git_runs() {
    let f = Fixture::new();
    let ws = f.home.join("project");
    repo(&f.home, &ws, &[("src/a.rs", "x\n")]);
    write(&f.home.join(".ssh/id_rsa"), "KEY\n");
    assert!(f.read_only(&ws, "git ls-tree HEAD */*"));
    std::os::unix::fs::symlink(f.home.join(".ssh"), ws.join("sshlink")).expect("symlink");
    // bash lists ~/.ssh through the link while expanding `*/*`.
    assert!(!f.read_only(&ws, "git ls-tree HEAD */*"));
    assert!(!f.read_only(&ws, "git log -- */*"));
    // Quoted, the shell opens nothing.
    assert!(f.read_only(&ws, "git ls-tree HEAD 'src/*.rs'"));
}

#[test]
fn a_glob_that_expands_to_an_option_is_not_read_only() {
    let f = Fixture::new();
    let ws = f.home.join("project");
    repo(
        &f.home,
        &ws,
        &[("README.md", "hello\n"), ("NOTES.md", "n\n")],
    );
    write(&ws.join("NOTES.md"), "changed\n");
    assert!(f.read_only(&ws, "git diff *.md"));
    write(&ws.join("--output=README.md"), "");
    assert!(!f.read_only(&ws, "git diff *.md"));
    assert!(!f.read_only(&ws, "git log -p *"));
    assert!(f.read_only(&ws, "git log -p -- *.md"));
    // What the shell really hands git: README.md is overwritten with the diff.
    let out = Command::new("sh")
        .args(["-c", "git diff *.md"])
        .current_dir(&ws)
        .env("HOME", &f.home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("sh runs");
    assert!(out.status.success());
    let readme = std::fs::read_to_string(ws.join("README.md")).expect("read");
    assert!(
        readme.contains("diff --git"),
        "README.md was overwritten: {readme}"
    );
}

#[test]
fn configuration_that_runs_programs_is_seen_in_every_scope() {
    let f = Fixture::new();
    let ws = f.home.join("project");
    repo(&f.home, &ws, &[("README.md", "hello\n")]);
    let marker = f.home.join("marker");
    assert!(f.read_only(&ws, "git status"));

    // Repository config: the fsmonitor hook really runs on `git status`.
    git(
        &ws,
        &f.home,
        &["config", "core.fsmonitor", &marker_config(&marker)],
    );
    assert!(!f.read_only(&ws, "git status"));
    let _ = run_git(&ws, &f.home, &["status"]);
    assert!(marker.exists(), "the fixture's fsmonitor must really run");
    std::fs::remove_file(&marker).expect("rm marker");
    git(&ws, &f.home, &["config", "--unset", "core.fsmonitor"]);
    assert!(f.read_only(&ws, "git status"));

    // Global config, and a file it includes.
    write(
        &f.home.join(".gitconfig"),
        "[include]\n\tpath = ~/extra.inc\n",
    );
    write(
        &f.home.join("extra.inc"),
        "[core]\n\tpager = sh -c 'touch /tmp/x'\n",
    );
    assert!(!f.read_only(&ws, "git log -1"));
    write(&f.home.join("extra.inc"), "[user]\n\tname = x\n");
    assert!(f.read_only(&ws, "git log -1"));
    // A plain pager the user chose is not a program the repository or agent picked.
    write(
        &f.home.join("extra.inc"),
        "[core]\n\tpager = delta --dark\n[pager]\n\tlog = less -R\n",
    );
    assert!(f.read_only(&ws, "git log -1"));
    git(&ws, &f.home, &["config", "core.pager", "less"]);
    assert!(
        !f.read_only(&ws, "git log -1"),
        "the repository's own pager counts"
    );
    git(&ws, &f.home, &["config", "--unset", "core.pager"]);
    write(&f.home.join("extra.inc"), "[user]\n\tname = x\n");
    // A textconv driver in the XDG config runs only where an attribute selects it.
    write(
        &f.home.join(".config/git/config"),
        &format!(
            "[includeIf \"gitdir:/nowhere/\"]\n\tpath = ../../extra.inc\n[diff \"x\"]\n\ttextconv = sh -c 'touch {} && cat $0'\n",
            marker.display()
        ),
    );
    assert!(f.read_only(&ws, "git log -p"));
    write(&ws.join(".gitattributes"), "*.md diff=x\n");
    assert!(!f.read_only(&ws, "git log -p"));
    assert!(!f.read_only(&ws, "git diff"));
    write(&ws.join("README.md"), "changed\n");
    let _ = run_git(&ws, &f.home, &["diff"]);
    assert!(
        marker.exists(),
        "the textconv driver really runs on git diff"
    );
    std::fs::remove_file(&marker).expect("rm");
    git(&ws, &f.home, &["checkout", "-q", "README.md"]);
    std::fs::remove_file(ws.join(".gitattributes")).expect("rm");
    assert!(f.read_only(&ws, "git diff"));
    std::fs::remove_file(f.home.join(".config/git/config")).expect("rm");
    assert!(f.read_only(&ws, "git diff"));

    // git-lfs style filters configured globally run only in repositories that use them.
    write(
        &f.home.join(".gitconfig"),
        "[filter \"lfs\"]\n\tprocess = git-lfs filter-process\n\trequired = true\n",
    );
    assert!(f.read_only(&ws, "git status"));
    write(&ws.join(".git/info/attributes"), "*.bin filter=lfs\n");
    assert!(!f.read_only(&ws, "git status"));
    std::fs::remove_file(ws.join(".git/info/attributes")).expect("rm");
    std::fs::remove_file(f.home.join(".gitconfig")).expect("rm");

    // Keys that only network commands use do not matter to local reads.
    git(&ws, &f.home, &["config", "credential.helper", "store"]);
    git(&ws, &f.home, &["config", "core.sshCommand", "ssh -i x"]);
    assert!(f.read_only(&ws, "git status"));

    for (key, value, cmd) in [
        ("diff.submodule", "diff", "git diff"),
        // The repository's own drivers count even where no attribute is seen to select them.
        ("diff.y.textconv", "cat", "git log -p"),
        ("filter.z.clean", "cat", "git status"),
        ("diff.external", "cat", "git diff"),
        ("trace2.eventTarget", "/tmp/trace", "git log -1"),
        ("log.showSignature", "true", "git log -1"),
        ("blame.ignoreRevsFile", "/etc/passwd", "git blame README.md"),
        ("mailmap.file", "/etc/passwd", "git log -1"),
        ("core.worktree", "/", "git status"),
        ("extensions.partialClone", "origin", "git log -p"),
        ("remote.origin.promisor", "true", "git show HEAD"),
        ("pager.log", "sh", "git log -1"),
        ("foo.helpercommand", "x", "git status"),
    ] {
        git(&ws, &f.home, &["config", key, value]);
        assert!(!f.read_only(&ws, cmd), "{key} = {value}: {cmd}");
        git(&ws, &f.home, &["config", "--unset", key]);
        assert!(f.read_only(&ws, cmd), "after unsetting {key}: {cmd}");
    }

    // A hook that fires when `git status` writes the index.
    write(&ws.join(".git/hooks/post-index-change"), "#!/bin/sh\n");
    assert!(!f.read_only(&ws, "git status"));
    std::fs::remove_file(ws.join(".git/hooks/post-index-change")).expect("rm");
    git(&ws, &f.home, &["config", "core.hooksPath", "hooks"]);
    write(&ws.join("hooks/post-index-change"), "#!/bin/sh\n");
    assert!(!f.read_only(&ws, "git status"));
    std::fs::remove_file(ws.join("hooks/post-index-change")).expect("rm");
    assert!(f.read_only(&ws, "git status"));

    // A configuration this analysis cannot read exactly.
    std::fs::write(ws.join(".git/config.bak"), "").expect("write");
    let cfg = std::fs::read_to_string(ws.join(".git/config")).expect("read");
    std::fs::write(ws.join(".git/config"), format!("{cfg}\n[core\n")).expect("write");
    assert!(!f.read_only(&ws, "git status"));
}

#[test]
fn the_repository_actually_used_is_judged() {
    let f = Fixture::new();
    let ws = f.home.join("project");
    repo(&f.home, &ws, &[("README.md", "hello\n")]);
    let marker = f.home.join("marker");

    // An embedded repository (not a submodule) with its own fsmonitor.
    let emb = ws.join("vendor/lib");
    repo(&f.home, &emb, &[("lib.rs", "x\n")]);
    git(
        &emb,
        &f.home,
        &["config", "core.fsmonitor", &marker_config(&marker)],
    );
    assert!(f.read_only(&ws, "git status"), "outer repository is clean");
    assert!(!f.read_only(&emb, "git status"));
    assert!(!f.read_only(&ws, "git -C vendor/lib status"));
    assert!(!f.read_only(&ws, "cd vendor/lib && git status"));
    // Every directory the shell could be in: a `cd` that may fail leaves both possible.
    assert!(!f.read_only(&ws, "cd vendor/nope || cd vendor/lib; git status"));
    assert!(f.read_only(&ws, "(cd vendor/lib); git status"));
    // Added to the outer index as a gitlink, `git status` recurses into it for real.
    git(&ws, &f.home, &["add", "vendor/lib"]);
    let _ = run_git(&ws, &f.home, &["status"]);
    assert!(marker.exists(), "git status runs the gitlink's fsmonitor");
    std::fs::remove_file(&marker).expect("rm");
    assert!(!f.read_only(&ws, "git status"));

    // A linked worktree: its config is the main repository's.
    let wt_ws = f.home.join("wt");
    let main = wt_ws.join("main");
    repo(&f.home, &main, &[("a.txt", "a\n")]);
    git(&main, &f.home, &["worktree", "add", "-q", "../linked"]);
    let linked = wt_ws.join("linked");
    assert!(f.read_only(&linked, "git status"));
    git(
        &main,
        &f.home,
        &["config", "core.fsmonitor", &marker_config(&marker)],
    );
    assert!(!f.read_only(&linked, "git status"));
    let _ = run_git(&linked, &f.home, &["status"]);
    assert!(marker.exists());
    std::fs::remove_file(&marker).expect("rm");
    git(&main, &f.home, &["config", "--unset", "core.fsmonitor"]);
    // Worktree-specific configuration.
    git(
        &main,
        &f.home,
        &["config", "extensions.worktreeConfig", "true"],
    );
    git(
        &linked,
        &f.home,
        &["config", "--worktree", "diff.external", "cat"],
    );
    assert!(!f.read_only(&linked, "git diff"));
    assert!(f.read_only(&main, "git diff"));

    // A `.git` file pointing at a repository outside the workspace.
    let other = f.home.join("elsewhere");
    repo(&f.home, &other, &[(".env", "API_KEY=x\n")]);
    let pointed = f.home.join("pointed");
    std::fs::create_dir_all(&pointed).expect("mkdir");
    write(
        &pointed.join(".git"),
        &format!("gitdir: {}\n", other.join(".git").display()),
    );
    assert!(!f.read_only(&pointed, "git status"));
    assert!(!f.read_only(&pointed, "git log --oneline"));
    // A `.git` file that is not a pointer git understands.
    write(&pointed.join(".git"), "gitdir:\n");
    assert!(!f.read_only(&pointed, "git status"));

    // The workspace is a subdirectory of a project: the project's repository is the same
    // project.
    let up = f.home.join("up");
    repo(&f.home, &up, &[("x", "x\n")]);
    let inner = up.join("inner/project");
    std::fs::create_dir_all(&inner).expect("mkdir");
    assert!(f.read_only(&inner, "git status"));
    assert!(f.read_only(&inner, "git log -p -1"));
    // A repository at the home directory (dotfiles) is not the workspace's project.
    git(&f.home, &f.home, &["init", "-q"]);
    let plain = f.home.join("plain/project");
    std::fs::create_dir_all(&plain).expect("mkdir");
    assert!(!f.read_only(&plain, "git status"));
    assert!(!f.read_only(&plain, "git log -1"));
    std::fs::remove_dir_all(f.home.join(".git")).expect("rm");
    // Still judged: a worktree that holds the workspace but whose .git points elsewhere.
    let pointed_up = f.home.join("pu");
    std::fs::create_dir_all(pointed_up.join("inner")).expect("mkdir");
    write(
        &pointed_up.join(".git"),
        &format!("gitdir: {}\n", other.join(".git").display()),
    );
    assert!(!f.read_only(&pointed_up.join("inner"), "git status"));
}

#[test]
fn tracked_secrets_in_the_repository_used() {
    let f = Fixture::new();
    let ws = f.home.join("project");
    repo(&f.home, &ws, &[("README.md", "hello\n")]);
    let emb = ws.join("tools");
    repo(
        &f.home,
        &emb,
        &[(".env", "API_KEY=abc\n"), ("a.txt", "API\n")],
    );
    assert!(f.read_only(&ws, "git grep -n hello"));
    let facts = f.facts(&emb, "git grep API");
    assert!(
        !facts.read_only && facts.secret_read,
        "{:?}",
        facts.salient()
    );
    let facts = f.facts(&ws, "git -C tools grep API");
    assert!(!facts.read_only && facts.secret_read);
    assert!(!f.read_only(&emb, "git log -p"));
    // Limited to paths that hold no tracked secret, the output cannot print it.
    assert!(f.read_only(&emb, "git log -p -- a.txt"));
    assert!(f.read_only(&emb, "git blame a.txt"));
    assert!(f.read_only(&emb, "git grep -n API a.txt"));
    assert!(f.read_only(&emb, "git diff HEAD -- a.txt"));
    assert!(!f.read_only(&emb, "git log -p -- ."));
    assert!(!f.read_only(&emb, "git log -p --full-diff -- a.txt"));
    assert!(!f.read_only(&emb, "git log -p -- '*.txt'"));
    assert!(!f.read_only(&emb, "git grep -n API a.txt .env"));
    assert!(!f.read_only(&emb, "git grep -e API a.txt"));
    assert!(!f.read_only(&emb, "git show HEAD"));
    assert!(!f.read_only(&emb, "git cat-file -p HEAD:a.txt"));
    // Names only: still fine.
    assert!(f.read_only(&emb, "git log --oneline"));
    assert!(f.read_only(&emb, "git status"));
    assert!(f.read_only(&emb, "git ls-files"));
    assert!(f.facts(&emb, "git show HEAD:.env").secret_read);

    // A remote URL with a password, and credential keys.
    git(
        &ws,
        &f.home,
        &[
            "remote",
            "add",
            "origin",
            "https://user:hunter2@example.com/r.git",
        ],
    );
    let facts = f.facts(&ws, "git remote -v");
    assert!(!facts.read_only && facts.secret_mention);
    assert!(!f.read_only(&ws, "git config --get remote.origin.url"));
    assert!(!f.read_only(&ws, "git config --get-regexp remote"));
    git(
        &ws,
        &f.home,
        &["remote", "set-url", "origin", "https://example.com/r.git"],
    );
    assert!(f.read_only(&ws, "git remote -v"));
    assert!(f.read_only(&ws, "git config --get remote.origin.url"));
    assert!(!f.read_only(&ws, "git config --get http.extraHeader"));
    assert!(!f.read_only(&ws, "git config --get credential.helper"));
}

#[test]
fn writers_that_reach_a_guard_file_tamper() {
    let f = Fixture::new();
    let ws = f.home.join("project");
    repo(
        &f.home,
        &ws,
        &[
            ("README.md", "hello\n"),
            (".claude/settings.json", "{}\n"),
            ("src/a.rs", "x\n"),
        ],
    );
    git(&ws, &f.home, &["branch", "other"]);
    // Committed long ago: the index's stat data then shows the file unchanged.
    let old = Command::new("touch")
        .args(["-t", "202001010000", ".claude/settings.json"])
        .current_dir(&ws)
        .status()
        .expect("touch");
    assert!(old.success());
    git(&ws, &f.home, &["update-index", "--refresh"]);
    let tamper = |cmd: &str| f.facts(&ws, cmd).guard_tamper;
    // Naming the guard file, or forms that can bring any version of it.
    for cmd in [
        "git stash -- .claude/settings.json",
        "git stash push .claude/settings.json",
        "git checkout -- .claude/settings.json",
        "git checkout HEAD .claude",
        "git restore .claude/settings.json",
        "git restore --staged .claude/settings.json",
        "git rm .claude/settings.json",
        "git mv .claude/settings.json x",
        "git update-index --assume-unchanged .claude/settings.json",
        "git switch other",
        "git checkout other",
        "git checkout HEAD~0 -- .",
        "git reset --hard other",
        "git stash pop",
        "git merge other",
        "git restore --source=other .",
        "git worktree add ../wt2",
        // A pathspec's `*` crosses `/`: this names `.claude/settings.json`.
        "git restore '*.json'",
    ] {
        assert!(tamper(cmd), "{cmd}: {:?}", f.facts(&ws, cmd).salient());
    }
    // The tracked settings are unchanged: restoring the work tree leaves them alone.
    let unchanged = [
        "git stash",
        "git stash -u",
        "git checkout .",
        "git checkout -- .",
        "git restore .",
        "git reset --hard",
        "git reset --hard HEAD",
        "git clean -fdx",
    ];
    for cmd in unchanged {
        assert!(!tamper(cmd), "{cmd}: {:?}", f.facts(&ws, cmd).salient());
    }
    for cmd in [
        "git checkout -- src/a.rs",
        "git restore src/a.rs",
        "git reset HEAD~0",
        "git checkout -b topic",
        "git stash list",
        "git log -- .claude/settings.json",
        "git diff .claude/settings.json",
        "git add .claude/settings.json",
    ] {
        assert!(!tamper(cmd), "{cmd}: {:?}", f.facts(&ws, cmd).salient());
    }
    // A person edited the settings: every one of those would undo the edit.
    write(&ws.join(".claude/settings.json"), "{\"edited\": true}\n");
    for cmd in unchanged.iter().filter(|c| !c.starts_with("git clean")) {
        assert!(tamper(cmd), "{cmd} after an edit");
    }
    assert!(!tamper("git checkout -- src/a.rs"));
    assert!(
        !tamper("git clean -fdx"),
        "clean leaves tracked files alone"
    );
    // Present but untracked: `git clean -x` removes it, `git stash -u` stashes it.
    let ws2 = f.home.join("project2");
    repo(&f.home, &ws2, &[("README.md", "hello\n")]);
    write(&ws2.join(".claude/settings.local.json"), "{}\n");
    assert!(f.facts(&ws2, "git clean -fdx").guard_tamper);
    assert!(f.facts(&ws2, "git stash -u").guard_tamper);
    assert!(!f.facts(&ws2, "git stash").guard_tamper);
    assert!(!f.facts(&ws2, "git clean -fdx src").guard_tamper);
}

#[test]
fn odd_input_never_panics() {
    let f = Fixture::new();
    let ws = f.home.join("project");
    repo(&f.home, &ws, &[("README.md", "hello\n")]);
    for cmd in [
        "git log -éa",
        "git -é",
        "git log --format=%",
        "git log --format=%x",
        "git log --format=%xé1",
        "git log --format=%<(",
        "git for-each-ref --format=%(",
        "git for-each-ref --format=%é",
        "git branch --format=%x",
        "git config --get",
        "git config --get .",
        "git config get",
        "git cat-file",
        "git -C",
        "git grep -é",
        "git status -é",
        "git stash show -é",
        "git remote get-url",
        "git worktree list é",
        "git reflog show -é",
    ] {
        let facts = f.facts(&ws, cmd);
        assert!(!facts.read_only, "{cmd}");
    }
}

#[test]
fn partial_clones_and_stashes_with_untracked_files() {
    let f = Fixture::new();
    let src = f.home.join("src-repo");
    repo(&f.home, &src, &[("README.md", "hello\n")]);
    git(&src, &f.home, &["config", "uploadpack.allowFilter", "true"]);
    let ws = f.home.join("project");
    let url = format!("file://{}", src.display());
    git(
        &f.home,
        &f.home,
        &[
            "clone",
            "-q",
            "--filter=blob:none",
            "--no-checkout",
            &url,
            "project",
        ],
    );
    // git itself marks the clone as partial (remote.origin.promisor, partialclonefilter):
    // reading a blob fetches it from the remote.
    for cmd in [
        "git log -p",
        "git show HEAD",
        "git cat-file -p HEAD:README.md",
        "git status",
    ] {
        assert!(!f.read_only(&ws, cmd), "{cmd} in a partial clone");
    }
    let full = f.home.join("full");
    git(&f.home, &f.home, &["clone", "-q", &url, "full"]);
    assert!(f.read_only(&full, "git log -p"));

    assert!(f.read_only(&full, "git log --all -p"), "no stash yet");
    // A stash holding an untracked file: its content is shown only on request, which asks.
    write(&full.join("notes.txt"), "untracked\n");
    git(
        &full,
        &f.home,
        &["stash", "push", "-q", "--include-untracked"],
    );
    assert!(f.read_only(&full, "git stash list"));
    assert!(f.read_only(&full, "git log -p -1"));
    for cmd in [
        "git show stash^3",
        "git log --all -p",
        "git log -g -p",
        "git show stash@{0}^3:notes.txt",
    ] {
        assert!(
            !f.read_only(&full, cmd),
            "{cmd} reaches the stashed untracked file"
        );
    }
    let out = run_git(&full, &f.home, &["rev-parse", "stash^3"]);
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(id.len(), 40);
    assert!(!f.read_only(
        &full,
        &format!("git show {}", id.chars().take(8).collect::<String>())
    ));
    assert!(!f.read_only(&full, &format!("git cat-file -p {id}:notes.txt")));
    assert!(f.read_only(&full, "git stash show"));
    for cmd in [
        "git stash show -u",
        "git stash show --include-untracked -p",
        "git stash show --only-untracked",
        "git stash show -p stash@{0} --outp=x",
        "git stash pop",
        "git stash apply",
    ] {
        assert!(!f.read_only(&full, cmd), "{cmd}");
    }
}

#[test]
fn index_versions_and_object_formats_git_writes_are_read() {
    let f = Fixture::new();
    for (dir, init) in [
        ("v2", &["init", "-q", "-b", "main"][..]),
        (
            "sha256",
            &["init", "-q", "-b", "main", "--object-format=sha256"][..],
        ),
    ] {
        for version in ["2", "3", "4"] {
            let ws = f.home.join(format!("{dir}-{version}"));
            std::fs::create_dir_all(&ws).expect("mkdir");
            git(&ws, &f.home, init);
            for (name, text) in [
                ("src/deep/dir/a.rs", "x\n"),
                ("src/deep/dir/b.rs", "y\n"),
                ("src/deep/other/c.rs", "z\n"),
                ("README.md", "r\n"),
            ] {
                write(&ws.join(name), text);
                git(&ws, &f.home, &["add", name]);
            }
            git(&ws, &f.home, &["commit", "-qm", "init"]);
            // Version 3 is written only when an entry has extended flags (intent-to-add).
            write(&ws.join("src/deep/dir/new.rs"), "n\n");
            git(&ws, &f.home, &["add", "-N", "src/deep/dir/new.rs"]);
            git(&ws, &f.home, &["update-index", "--index-version", version]);
            let facts = f.facts(&ws, "git log -p");
            assert!(
                facts.read_only,
                "{dir} index v{version}: {:?}",
                facts.salient()
            );
            write(&ws.join("config/.env"), "K=v\n");
            git(&ws, &f.home, &["add", "-f", "config/.env"]);
            git(&ws, &f.home, &["update-index", "--index-version", version]);
            assert!(
                !f.read_only(&ws, "git log -p"),
                "{dir} index v{version}: the tracked .env is seen"
            );
            assert!(f.facts(&ws, "git grep K").secret_read);
        }
    }
}
