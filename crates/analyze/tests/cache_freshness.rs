//! The analyser keeps git's configuration and index parsed across decisions while they are
//! unchanged. A cache must never make a decision stale: a changed `.git/config`, global
//! configuration or index is read again on the next decision — whether the change made the
//! file bigger, kept its size, or replaced it — and the decision changes with it.

// Test code: a failed setup step should panic with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use assent_analyze::{Analyzer, AnalyzerConfig};
use assent_core::{Action, Kind};
use std::path::{Path, PathBuf};
use std::process::Command;

struct Fixture {
    _dir: tempfile::TempDir,
    home: PathBuf,
    ws: PathBuf,
    analyzer: Analyzer,
}

fn git(f: &Fixture, args: &[&str]) {
    let ok = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(&f.ws)
        .env("HOME", &f.home)
        .env_remove("GIT_DIR")
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let home = root.join("home");
    let ws = home.join("project");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(ws.join("README.md"), "x\n").unwrap();
    let cfg = AnalyzerConfig::defaults(home.clone(), home.join(".assent"));
    let f = Fixture {
        _dir: dir,
        home,
        ws,
        analyzer: Analyzer::new(&cfg).unwrap(),
    };
    git(&f, &["init", "-q"]);
    git(&f, &["add", "README.md"]);
    git(&f, &["commit", "-qm", "init"]);
    f
}

fn read_only(f: &Fixture, command: &str) -> bool {
    f.analyzer
        .analyze(&Action {
            tool: "Bash".into(),
            kind: Kind::Shell,
            input: serde_json::json!({ "command": command }),
            cwd: Some(f.ws.display().to_string()),
            session: None,
            summary: None,
        })
        .read_only
}

/// Long enough for every file of the fixture to count as settled, so that the next
/// decisions are answered from the cache (see the analyser's `filecache`).
fn settle() {
    std::thread::sleep(std::time::Duration::from_millis(3200));
}

fn rewrite(p: &Path, text: &str) {
    std::fs::write(p, text).unwrap();
}

#[test]
fn a_changed_repository_config_changes_the_decision() {
    let f = fixture();
    let config = f.ws.join(".git/config");
    let base = std::fs::read_to_string(&config).unwrap();
    // `fsmonitor = false` and `fsmonitor = touch`: the same size, only the content differs.
    rewrite(&config, &format!("{base}[core]\n\tfsmonitor = false\n"));
    settle();
    assert!(read_only(&f, "git status"));
    assert!(read_only(&f, "git status"), "answered from the cache");
    rewrite(&config, &format!("{base}[core]\n\tfsmonitor = touch\n"));
    assert!(!read_only(&f, "git status"), "same-size change seen");
    settle();
    assert!(!read_only(&f, "git status"));
    // Back to harmless, by replacing the file (a new inode).
    let tmp = f.ws.join(".git/config.new");
    rewrite(&tmp, &format!("{base}[core]\n\tfsmonitor = false\n"));
    std::fs::rename(&tmp, &config).unwrap();
    assert!(read_only(&f, "git status"), "replaced file seen");
    // Bigger: a new dangerous key appended to a settled file.
    settle();
    assert!(read_only(&f, "git status"));
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("[diff]\n\texternal = touch /tmp/x\n");
    rewrite(&config, &text);
    assert!(!read_only(&f, "git diff"), "grown file seen");
}

#[test]
fn a_changed_global_config_changes_the_decision() {
    let f = fixture();
    let global = f.home.join(".gitconfig");
    rewrite(&global, "[core]\n\tpager = less\n");
    settle();
    assert!(read_only(&f, "git log"));
    assert!(read_only(&f, "git log"));
    rewrite(&global, "[core]\n\tpager = sh x\n");
    assert!(
        !read_only(&f, "git log"),
        "same-size change of ~/.gitconfig seen"
    );
}

#[test]
fn a_changed_index_changes_the_decision() {
    let f = fixture();
    std::fs::write(f.ws.join(".env"), "KEY=1\n").unwrap();
    settle();
    assert!(read_only(&f, "git diff --cached"));
    assert!(
        read_only(&f, "git diff --cached"),
        "answered from the cache"
    );
    // The index now tracks a secret: diffs and history can print it.
    git(&f, &["add", "-f", ".env"]);
    assert!(!read_only(&f, "git diff --cached"), "new index seen");
    settle();
    assert!(!read_only(&f, "git diff --cached"));
    git(&f, &["rm", "-q", "--cached", ".env"]);
    assert!(read_only(&f, "git diff --cached"), "index without it seen");
}

/// The hardest case for a cache keyed by file metadata: the same size and the same
/// modification time (set back to the exact old value, as `touch -r` or a restoring tool
/// would). Only the status-change time, which no program can set back, tells.
#[test]
fn a_same_size_change_with_the_old_mtime_is_seen() {
    let f = fixture();
    let config = f.ws.join(".git/config");
    let base = std::fs::read_to_string(&config).unwrap();
    rewrite(&config, &format!("{base}[core]\n\tfsmonitor = false\n"));
    settle();
    let before = std::fs::metadata(&config).unwrap();
    assert!(read_only(&f, "git status"));
    assert!(read_only(&f, "git status"), "answered from the cache");
    rewrite(&config, &format!("{base}[core]\n\tfsmonitor = touch\n"));
    std::fs::File::options()
        .write(true)
        .open(&config)
        .unwrap()
        .set_modified(before.modified().unwrap())
        .unwrap();
    let after = std::fs::metadata(&config).unwrap();
    assert_eq!(after.len(), before.len(), "same size");
    assert_eq!(
        after.modified().unwrap(),
        before.modified().unwrap(),
        "same mtime"
    );
    assert!(!read_only(&f, "git status"), "the new content is read");
}

/// What a file holds is kept across decisions (credential scan of `cat`, Read and every file
/// of a recursive read): a credential written into a settled file of a tree, keeping its size
/// and with its old modification time set back, is seen by the next decision; so is a new
/// secret file in the tree.
#[test]
fn a_credential_written_into_a_settled_tree_is_seen() {
    let f = fixture();
    let src = f.ws.join("src");
    std::fs::create_dir_all(&src).unwrap();
    // Same length as the credential line below, so only the content differs.
    let key = ["AKIA", "Q3EGRIQTZ7VK5W2M"].concat();
    let plain = "x".repeat(key.len() + 4);
    let file = src.join("notes.txt");
    rewrite(&file, &format!("{plain}\n"));
    settle();
    for cmd in ["grep -rn TODO src", "cat src/notes.txt"] {
        assert!(read_only(&f, cmd), "{cmd}");
        assert!(read_only(&f, cmd), "{cmd}: answered from the cache");
    }
    let before = std::fs::metadata(&file).unwrap();
    rewrite(&file, &format!("id={key} \n"));
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(before.modified().unwrap())
        .unwrap();
    assert_eq!(std::fs::metadata(&file).unwrap().len(), before.len());
    for cmd in ["grep -rn TODO src", "cat src/notes.txt"] {
        assert!(!read_only(&f, cmd), "{cmd}: the new content is read");
    }
    // Back to plain text and settled, then a secret file appears beside it.
    rewrite(&file, &format!("{plain}\n"));
    settle();
    assert!(read_only(&f, "grep -rn TODO src"));
    std::fs::write(src.join(".env"), "A=1\n").unwrap();
    assert!(
        !read_only(&f, "grep -rn TODO src"),
        "a new secret in the tree"
    );
}
