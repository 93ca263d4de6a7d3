//! Facts that depend on the real file system: symlinks that leave the workspace, recursive
//! reads over a tree that holds a secret, and repositories whose config runs programs.

// Test code reports failure by panicking: helpers outside `#[test]` functions (fixtures,
// runners) may expect, index and panic too.
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use assent_adapters::from_value;
use assent_core::Verdict;
use assent_gateway::{Engine, Locations};
use assent_policy::{Policy, PolicySource};
use serde_json::json;
use std::path::Path;

fn engine(home: &Path) -> Engine {
    let policy = Policy::load(PolicySource::default_policy(), 1).expect("default policy loads");
    let loc = Locations {
        home: home.to_path_buf(),
        assent_home: home.join(".assent"),
        extra_guards: Vec::new(),
    };
    Engine::new(policy, &loc).expect("engine")
}

fn decide(e: &Engine, cwd: &Path, cmd: &str) -> Verdict {
    let a = from_value(json!({"tool_name": "Bash", "tool_input": {"command": cmd}, "cwd": cwd.display().to_string()})).expect("adapts");
    e.evaluate(&a, "agent").decision.decision
}

#[test]
fn symlinks_recursion_and_repository_config() {
    let home = tempfile::tempdir().expect("tempdir");
    let ws = home.path().join("project");
    std::fs::create_dir_all(ws.join("src")).expect("mkdir");
    std::fs::write(ws.join("src/main.rs"), "fn main() {}\n").expect("write");
    std::fs::write(ws.join("README.md"), "hi\n").expect("write");
    std::fs::create_dir_all(home.path().join(".ssh")).expect("mkdir");
    std::fs::write(home.path().join(".ssh/id_rsa"), "KEY").expect("write");
    let e = engine(home.path());

    // A link inside the workspace that points outside is outside; one at a secret is a secret.
    std::os::unix::fs::symlink("/etc", ws.join("etc-link")).expect("symlink");
    std::os::unix::fs::symlink(home.path().join(".ssh/id_rsa"), ws.join("notes.txt"))
        .expect("symlink");
    assert_eq!(decide(&e, &ws, "cat README.md"), Verdict::Allow);
    assert_ne!(decide(&e, &ws, "cat etc-link/passwd"), Verdict::Allow);
    assert_eq!(decide(&e, &ws, "cat notes.txt"), Verdict::Deny);

    // Recursive grep is allowed over a tree with no secret, not over one with a `.env`.
    assert_eq!(decide(&e, &ws, "grep -rn main src"), Verdict::Allow);
    std::fs::write(ws.join("src/.env"), "OPENAI_API_KEY=sk-test").expect("write");
    assert_ne!(decide(&e, &ws, "grep -rn main src"), Verdict::Allow);
    assert_ne!(decide(&e, &ws, "grep -r '' ."), Verdict::Allow);
    assert_ne!(decide(&e, &ws, "grep -R main README.md"), Verdict::Allow);
    assert_ne!(decide(&e, &ws, "diff -rN src ."), Verdict::Allow);

    // A repository whose config names a program to run makes even `git status` ask.
    std::fs::create_dir_all(ws.join(".git")).expect("mkdir");
    std::fs::write(ws.join(".git/config"), "[core]\n\tbare = false\n").expect("write");
    assert_eq!(decide(&e, &ws, "git status"), Verdict::Allow);
    std::fs::write(
        ws.join(".git/config"),
        "[core]\n\tfsmonitor = /tmp/evil.sh\n",
    )
    .expect("write");
    assert_ne!(decide(&e, &ws, "git status"), Verdict::Allow);
    let bare = ws.join("vendor/evil");
    std::fs::create_dir_all(bare.join("objects")).expect("mkdir");
    std::fs::write(bare.join("HEAD"), "ref: refs/heads/main\n").expect("write");
    std::fs::write(bare.join("config"), "[core]\n\tpager = sh -c id\n").expect("write");
    assert_ne!(decide(&e, &ws, "git -C vendor/evil log"), Verdict::Allow);
    assert_ne!(
        decide(&e, &ws, "cd vendor/evil && git status"),
        Verdict::Allow
    );

    // A working directory that is not a workspace (a secret directory, Assent's home, /proc,
    // /etc) makes nothing inside it: listing it or reading relative names asks.
    let ssh = home.path().join(".ssh");
    assert_ne!(decide(&e, &ssh, "ls -la"), Verdict::Allow);
    std::fs::create_dir_all(home.path().join(".assent")).expect("mkdir");
    assert_ne!(
        decide(&e, &home.path().join(".assent"), "cat x"),
        Verdict::Allow
    );
    assert_ne!(
        decide(&e, Path::new("/proc/self"), "cat maps"),
        Verdict::Allow
    );
    assert_ne!(decide(&e, Path::new("/etc"), "ls -la"), Verdict::Allow);
    // Programs that read lists of file names, or write temporary files elsewhere.
    assert_ne!(
        decide(&e, &ws, "echo 'x  /etc/shadow' | md5sum -c"),
        Verdict::Allow
    );
    assert_ne!(decide(&e, &ws, "echo .env | file -f -"), Verdict::Allow);
    assert_ne!(
        decide(&e, &ws, "sort --temporary-directory=/tmp README.md"),
        Verdict::Allow
    );
    // An ignore file that re-includes hidden files makes ripgrep read `.env`.
    std::fs::write(ws.join("src/.env"), "API_KEY=x").expect("write");
    std::fs::remove_file(ws.join("src/.env")).expect("rm");
    std::fs::write(ws.join(".env"), "API_KEY=x").expect("write");
    std::fs::remove_dir_all(ws.join(".git")).expect("rm .git");
    assert_eq!(decide(&e, &ws, "rg API src"), Verdict::Allow);
    std::fs::write(ws.join(".ignore"), "!.env\n").expect("write");
    assert_eq!(decide(&e, &ws, "rg API"), Verdict::Deny);
    std::fs::remove_file(ws.join(".ignore")).expect("rm");
    // A submodule's own config runs code on `git status` of the superproject.
    std::fs::create_dir_all(ws.join(".git/modules/sm")).expect("mkdir");
    std::fs::write(ws.join(".git/config"), "[core]\n\tbare = false\n").expect("write");
    assert_eq!(decide(&e, &ws, "git status"), Verdict::Allow);
    std::fs::write(
        ws.join(".git/modules/sm/config"),
        "[core]\n\tfsmonitor = /tmp/evil\n",
    )
    .expect("write");
    assert_ne!(decide(&e, &ws, "git status"), Verdict::Allow);

    // Deleting a directory that holds the hook settings is tampering.
    std::fs::create_dir_all(ws.join(".claude")).expect("mkdir");
    std::fs::write(ws.join(".claude/settings.json"), "{}").expect("write");
    assert_eq!(decide(&e, &ws, "rm -rf .claude"), Verdict::Deny);
    assert_eq!(decide(&e, &ws, "rm -rf ."), Verdict::Deny);
    assert_ne!(decide(&e, &ws, "rm -rf src"), Verdict::Deny);
}
