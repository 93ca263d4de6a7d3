//! Corpus cases whose answer depends on the file system (tests/corpus-fs/*.jsonl): a fixture
//! project with secrets in subdirectories, symlinks out of the workspace, repositories whose
//! config runs programs, and the hook settings directory is built under a temporary `/home/dev`
//! stand-in of the same depth, then every case is decided against it.

// Test code reports failure by panicking: helpers outside `#[test]` functions (fixtures,
// runners) may expect, index and panic too.
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use assent_core::Verdict;
use assent_gateway::{Engine, Locations};
use assent_policy::{Policy, PolicySource};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

fn write(p: &Path, text: &str) {
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

fn fixture(home: &Path) {
    let ws = home.join("project");
    write(
        &home.join(".ssh/id_rsa"),
        "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n",
    );
    write(&home.join(".bash_history"), "export OPENAI_API_KEY=sk-x\n");
    write(&ws.join("README.md"), "hello\n");
    write(&ws.join("src/main.rs"), "fn main() {}\n");
    write(&ws.join(".env"), "API_KEY=abc\n");
    write(&ws.join(".env.staging"), "API_KEY=abc\n");
    write(&ws.join(".gitignore"), ".env.staging\n");
    write(&ws.join("apps/web/.env"), "API_KEY=abc\n");
    write(&ws.join("apps/api/.env"), "API_KEY=abc\n");
    write(&ws.join("apps/web/index.js"), "console.log(1)\n");
    write(&ws.join("config/credentials.json"), "{}\n");
    write(&ws.join("config/server.pem"), "x\n");
    write(&ws.join("config/deploy.key"), "x\n");
    write(&ws.join("prod.tfvars"), "x\n");
    write(&ws.join(".claude/settings.json"), "{}\n");
    write(&ws.join(".git/HEAD"), "ref: refs/heads/main\n");
    write(&ws.join(".git/config"), "[core]\n\tbare = false\n");
    std::fs::create_dir_all(ws.join(".git/objects")).expect("mkdir");
    // An index that tracks `.env` (entry names are NUL-terminated paths after binary fields).
    let mut index = b"DIRC\x00\x00\x00\x02\x00\x00\x00\x02".to_vec();
    index.extend([0u8; 40]);
    index.extend(b"\x00\x04.env\x00\x00\x00");
    index.extend([0u8; 40]);
    index.extend(b"\x00\x09README.md\x00");
    std::fs::write(ws.join(".git/index"), index).expect("index");
    let bare = ws.join("vendor/rt2bare");
    write(&bare.join("HEAD"), "ref: refs/heads/main\n");
    write(
        &bare.join("config"),
        "[core]\n\tbare = false\n\tworktree = ../rt2wt\n\tfsmonitor = touch /tmp/pwn\n",
    );
    std::fs::create_dir_all(bare.join("objects")).expect("mkdir");
    std::fs::create_dir_all(bare.join("refs")).expect("mkdir");
    let src = ws.join("vendor/rt2src");
    write(&src.join(".git/HEAD"), "ref: refs/heads/main\n");
    write(
        &src.join(".git/config"),
        "[diff]\n\texternal = sh -c 'touch /tmp/pwn'\n",
    );
    std::fs::create_dir_all(src.join(".git/objects")).expect("mkdir");
    let cd = ws.join("vendor/rt2cd");
    write(&cd.join("HEAD"), "ref: refs/heads/master\n");
    write(&cd.join("commondir"), "../rt2src/.git\n");
    std::fs::create_dir_all(cd.join("refs")).expect("mkdir");
    let evil = ws.join("vendor/evil");
    write(&evil.join("HEAD"), "ref: refs/heads/main\n");
    write(
        &evil.join("config"),
        "[core]\n\tfsmonitor = touch /tmp/pwn\n",
    );
    std::fs::create_dir_all(evil.join("objects")).expect("mkdir");
    symlink(home.join(".ssh"), ws.join("sshlink")).expect("symlink");
    symlink("/", ws.join("rootlink")).expect("symlink");
    symlink("/etc/passwd", ws.join("linkpw")).expect("symlink");
    // grammar: a file whose name is an option, beside ordinary files.
    write(&ws.join("opts/--expression=1e sh evil.txt"), "x\n");
    write(&ws.join("opts/a.txt"), "x\n");
    write(&ws.join("opts/sub/b.md"), "x\n");
    write(&ws.join("plain/a.txt"), "x\n");
    write(&ws.join("plain/sub/b.md"), "x\n");
    git_fixture(home);
    // Walker cases (tests/corpus-fs/walker.jsonl): nested directories for `cd`, glob
    // characters in real names, secrets found only by expanding a wildcard directory.
    write(&ws.join("a/b/c/notes.txt"), "notes\n");
    write(&ws.join("docs/guide.md"), "guide\n");
    write(&ws.join("docs/api.md"), "api\n");
    write(&ws.join("deploy/prod.env"), "API_KEY=abc\n");
    write(&ws.join("secrets/db_password.txt"), "hunter2\n");
    write(&ws.join("secrets/[prod].json"), "{}\n");
    write(&ws.join("app/[slug]/page.tsx"), "export default 1\n");
    write(&ws.join("globby/a?"), "x\n");
    write(&ws.join("globby/ab"), "x\n");
    std::fs::create_dir_all(ws.join("app/[id]")).expect("mkdir");
    std::fs::hard_link(ws.join(".env"), ws.join("app/[id]/data.json")).expect("link");
    std::fs::create_dir_all(ws.join("app/[link]")).expect("mkdir");
    symlink(home.join(".ssh/id_rsa"), ws.join("app/[link]/page.tsx")).expect("symlink");
    tools_fixture(home, &ws);
    // Loops (tests/corpus-fs/loops.jsonl): a directory with no secret for globbed loops.
    write(&ws.join("lp/src/a.rs"), "// TODO\n");
    write(&ws.join("lp/src/b.rs"), "fn b() {}\n");
    write(&ws.join("lp/a.txt"), "b\na\n");
    write(&ws.join("lp/b.txt"), "a\nc\n");
    write(&ws.join("lp/list.txt"), "../.env\n");
    // Directory globs (tests/corpus-fs/dirs.jsonl): `*/` names directories only, so a hidden
    // secret *file* beside them is not named; a hidden secret *directory* is (under dotglob).
    write(&ws.join("dg/src/a.rs"), "x\n");
    write(&ws.join("dg/docs/b.md"), "x\n");
    write(&ws.join("dg/.env"), "API_KEY=abc\n");
    write(&ws.join("dg/notes.txt"), "x\n");
    write(&ws.join("dgs/src/a.rs"), "x\n");
    write(&ws.join("dgs/.age/keys.txt"), "AGE-SECRET-KEY-1\n");
    std::fs::create_dir_all(ws.join("dgl")).expect("mkdir");
    symlink(home.join(".ssh"), ws.join("dgl/keys")).expect("symlink");
}

/// Files for tests/corpus-fs/tools.jsonl: credentials by content, glob characters in names,
/// hard links, a gitignored `.env`, and a symlink that `..` climbs out of lexically.
fn tools_fixture(home: &Path, ws: &Path) {
    // Credential-shaped values are assembled here so that no source file holds one.
    let gh = ["ghp_", "R4nd0mT3stT0k3nN0tR3alQ9w8e7r6t5y4u3i2"].concat();
    write(
        &ws.join("tk/settings.py"),
        &format!("DEBUG = True\nGITHUB = '{gh}'\n"),
    );
    write(&ws.join("tk/clean.py"), "DEBUG = True\n");
    // A password as a PHP constant: a quoted key, a comma, the value.
    write(
        &ws.join("tk/wp-config.php"),
        &["<?php\ndefine( 'DB_PASSWORD', '", "Xk9pQ2vL7mZr4tWs' );\n"].concat(),
    );
    let jwt = [
        "eyJhbGciOiJIUzI1NiJ9",
        ".eyJzdWIiOiJxMnc5In0",
        ".Qm7kP2vR8sT4wX6yZ1aB3cD5eF7gH9jK",
    ]
    .concat();
    write(
        &ws.join("docs/auth.md"),
        &format!("Send `{jwt}` as the bearer.\n"),
    );
    write(&ws.join("app/[slug]/page.tsx"), "export default 1\n");
    symlink(home.join(".ssh"), ws.join("app/[sshdir]")).expect("symlink");
    write(&ws.join("svc/.gitignore"), ".env\n");
    write(&ws.join("svc/.env"), "API_KEY=abc\n");
    write(&ws.join("svc/main.go"), "package main\n");
    write(&ws.join("notes/a.md"), "notes\n");
    write(&ws.join("notes/b.txt"), "text\n");
    write(&ws.join("notes/.env"), "API_KEY=abc\n");
    std::fs::create_dir_all(ws.join("hl")).expect("mkdir");
    std::fs::hard_link(home.join(".ssh/id_rsa"), ws.join("hl/notes.txt")).expect("hard link");
    std::fs::create_dir_all(ws.join("deepx/y/z")).expect("mkdir");
    write(&ws.join("deepx/y/z/f.txt"), "x\n");
    symlink(ws.join("deepx/y/z"), ws.join("zlink")).expect("symlink");
    symlink(ws.join(".claude"), ws.join("app/[cl]")).expect("symlink");
    // A repository whose remote URL carries a token (tests/corpus-fs/content.jsonl).
    write(
        &ws.join("gitcred/.git/config"),
        &format!("[remote \"origin\"]\n\turl = https://x-access-token:{gh}@github.com/o/r.git\n"),
    );
    write(&ws.join("gitcred/README.md"), "hello\n");
}

#[test]
fn file_system_corpus() {
    // /tmp/assent-fs-XXXX has the depth of /home/dev, so `../..` climbs to the same places.
    let root = tempfile::Builder::new()
        .prefix("assent-fs-")
        .tempdir_in("/tmp")
        .expect("tempdir");
    let home = root.path().to_path_buf();
    fixture(&home);
    let policy = Policy::load(PolicySource::default_policy(), 1).expect("policy");
    let loc = Locations {
        home: home.clone(),
        assent_home: home.join(".assent"),
        extra_guards: Vec::new(),
    };
    let engine = Engine::new(policy, &loc).expect("engine");
    let prefix = home.display().to_string();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus-fs");
    let mut failures = Vec::new();
    let mut total = 0;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for f in files {
        for line in std::fs::read_to_string(&f)
            .expect("read")
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            let case: serde_json::Value = serde_json::from_str(line).expect("json");
            let input: serde_json::Value =
                serde_json::from_str(&case["input"].to_string().replace("/home/dev", &prefix))
                    .expect("json");
            let expect = case["expect"].as_str().unwrap_or("");
            total += 1;
            let (got, rule) = match assent_adapters::from_value(input) {
                Ok(a) => {
                    let ev = engine.evaluate(&a, "agent");
                    (ev.decision.decision, ev.decision.rule().to_string())
                }
                Err(e) => (Verdict::Deny, e.to_string()),
            };
            let ok = match expect {
                "deny" => got == Verdict::Deny,
                "not_allow" => got != Verdict::Allow,
                "allow" => got == Verdict::Allow,
                other => panic!("unknown label {other}"),
            };
            if !ok {
                failures.push(format!(
                    "{}: expected {expect}, got {got} ({rule}) — {}",
                    case["name"].as_str().unwrap_or("?"),
                    case["why"].as_str().unwrap_or("")
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} file-system cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn git(cwd: &Path, home: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
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
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn git_repo(home: &Path, dir: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).expect("mkdir");
    git(dir, home, &["init", "-q", "-b", "main"]);
    for (name, text) in files {
        write(&dir.join(name), text);
        git(dir, home, &["add", "-f", name]);
    }
    git(dir, home, &["commit", "-qm", "init"]);
}

/// Repositories made by the real git (tests/corpus-fs/git.jsonl): a clean one that tracks the
/// hook settings, one whose fsmonitor runs a program, one that tracks `.env`, a linked
/// worktree, a `.git` file pointing outside the workspace, a partial clone, and an embedded
/// repository inside the clean one.
fn git_fixture(home: &Path) {
    let fx = home.join("project/gitfx");
    let clean = fx.join("clean");
    git_repo(
        home,
        &clean,
        &[
            ("README.md", "hello\n"),
            ("src/a.rs", "fn a() {}\n"),
            (".claude/settings.json", "{}\n"),
        ],
    );
    // The hook settings differ from the committed ones (a person's edit): stashing,
    // checking out or resetting the work tree would undo it.
    write(&clean.join(".claude/settings.json"), "{\"edited\": true}\n");
    // Local settings, untracked (`git clean -x` and `git stash -u` would remove them).
    write(&clean.join(".claude/settings.local.json"), "{}\n");
    git(&clean, home, &["config", "uploadpack.allowFilter", "true"]);
    git(&clean, home, &["worktree", "add", "-q", "../linked"]);
    let fsmon = fx.join("fsmon");
    git_repo(home, &fsmon, &[("README.md", "hello\n")]);
    git(
        &fsmon,
        home,
        &["config", "core.fsmonitor", "touch /tmp/assent-pwned"],
    );
    git_repo(
        home,
        &fx.join("secret"),
        &[(".env", "API_KEY=abc\n"), ("README.md", "API\n")],
    );
    let outside = home.join("outside-repo");
    git_repo(home, &outside, &[("notes.txt", "x\n")]);
    write(
        &fx.join("pointer/.git"),
        &format!("gitdir: {}\n", outside.join(".git").display()),
    );
    let url = format!("file://{}", clean.display());
    git(
        &fx,
        home,
        &[
            "clone",
            "-q",
            "--filter=blob:none",
            "--no-checkout",
            &url,
            "partial",
        ],
    );
    git_repo(home, &clean.join("vendor/emb"), &[(".env", "K=v\n")]);
    git(
        &clean.join("vendor/emb"),
        home,
        &["config", "diff.external", "touch /tmp/assent-pwned"],
    );
    history_fixture(home, &fx);
    // A file named like an option: `git diff *.md` here hands git `--output=README.md`.
    let opt = fx.join("optfile");
    git_repo(home, &opt, &[("README.md", "hello\n")]);
    write(&opt.join("--output=README.md"), "");
}

/// Secrets that only the history holds (tests/corpus-fs/history.jsonl): `.env` committed and
/// removed since; `.env` kept in a stash; a blob left dangling by `git add` then `git reset`
/// (its id is fixed by its content: `API_KEY=dangling`).
fn history_fixture(home: &Path, fx: &Path) {
    let h = fx.join("hist");
    git_repo(
        home,
        &h,
        &[(".env", "API_KEY=abc\n"), ("README.md", "hello\n")],
    );
    git(&h, home, &["rm", "-q", "--cached", ".env"]);
    std::fs::remove_file(h.join(".env")).expect("rm");
    write(&h.join(".gitignore"), ".env\n");
    write(&h.join("src/a.rs"), "fn a() {}\n");
    git(&h, home, &["add", ".gitignore", "src/a.rs"]);
    git(&h, home, &["commit", "-qm", "forget .env"]);
    let st = fx.join("stashed");
    git_repo(home, &st, &[("README.md", "hello\n")]);
    write(&st.join(".env"), "API_KEY=abc\n");
    git(&st, home, &["add", "-f", ".env"]);
    git(&st, home, &["stash", "-q"]);
    let dg = fx.join("dangling");
    git_repo(home, &dg, &[("README.md", "hello\n")]);
    write(&dg.join(".env"), "API_KEY=dangling\n");
    git(&dg, home, &["add", "-f", ".env"]);
    git(&dg, home, &["reset", "-q"]);
    std::fs::remove_file(dg.join(".env")).expect("rm");
}
