//! Decision latency: adapt → analyse → decide, in process, with the shipped default policy
//! and with 1,000 extra rules that cannot apply to the action measured.
//!
//! Run: `cargo bench -p assent-gateway --bench decide`

// A benchmark is test code: a failed setup step should stop it loudly.
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use assent_adapters::from_json_line;
use assent_gateway::{Engine, Locations};
use assent_policy::{Policy, PolicySource};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::path::PathBuf;

/// A small project under a temporary home: a git repository with a plain config and a few
/// files, so that file-system facts (symlinks, repository config, recursive reads) are
/// computed for real.
fn project() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().to_path_buf();
    let ws = home.join("project");
    for (p, text) in [
        (
            ".git/config",
            "[core]\n\trepositoryformatversion = 0\n\tbare = false\n",
        ),
        (".git/HEAD", "ref: refs/heads/main\n"),
        ("src/main.rs", "fn main() {}\n"),
        ("src/lib.rs", "pub fn x() {}\n"),
        ("README.md", "# project\n"),
        ("Cargo.toml", "[package]\nname = \"p\"\n"),
    ] {
        let path = ws.join(p);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    (dir, home)
}

/// A real repository, as `git init`, `git add` and `git commit` leave it (objects, refs, an
/// index of 300 tracked files), beside the small project. The analyser's caches keep only
/// files unchanged for a few seconds (see `assent_analyze`'s `filecache`), as a project is
/// between two commands of an agent: the fixture is left to settle before measuring.
fn repository(home: &std::path::Path) -> PathBuf {
    let ws = home.join("repo");
    std::fs::create_dir_all(ws.join("src")).expect("mkdir");
    for i in 0..300 {
        std::fs::write(
            ws.join(format!("src/m{i}.rs")),
            format!("pub fn f{i}() {{}}\n"),
        )
        .expect("write");
    }
    for (p, text) in [
        ("README.md", "# repo\n"),
        ("Cargo.toml", "[package]\nname = \"r\"\n"),
        ("CHANGELOG.md", "# changes\n"),
        ("src/a.txt", "b\na\n"),
        ("src/b.txt", "x\nx\n"),
        ("src/c.txt", "k:v\n"),
        ("src/main.rs", "fn main() {}\n"),
    ] {
        std::fs::write(ws.join(p), text).expect("write");
    }
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=b",
            "-c",
            "user.email=b@example.com",
            "commit",
            "-qm",
            "init",
        ],
    ] {
        let ok = std::process::Command::new("git")
            .args(args)
            .current_dir(&ws)
            .env("HOME", home)
            .status()
            .expect("git runs")
            .success();
        assert!(ok, "git {args:?}");
    }
    ws
}

fn engine(extra_rules: usize, home: &std::path::Path) -> Engine {
    let mut source = PolicySource::default_policy();
    if extra_rules > 0 {
        let mut text = String::new();
        for i in 0..extra_rules {
            // Rules for other kinds of action: http hosts, MCP tools, payments.
            match i % 3 {
                0 => text.push_str(&format!(
                    "@id(\"extra-http-{i}\") @ask permit (principal, action == Action::\"request\", resource == Kind::\"http\") when {{ context.hosts.contains(\"host-{i}.example\") }};\n"
                )),
                1 => text.push_str(&format!(
                    "@id(\"extra-mcp-{i}\") forbid (principal, action == Action::\"request\", resource == Kind::\"mcp\") when {{ context.mcp_tool == \"tool_{i}\" }};\n"
                )),
                _ => text.push_str(&format!(
                    "@id(\"extra-pay-{i}\") @ask @quorum(\"2\") permit (principal, action == Action::\"request\", resource == Kind::\"payment\") when {{ context.amount_minor > {i} }};\n"
                )),
            }
        }
        source.cedar.push(("extra.cedar".into(), text));
    }
    let policy = Policy::load(source, 1).expect("policy loads");
    let loc = Locations {
        home: home.to_path_buf(),
        assent_home: home.join(".assent"),
        extra_guards: Vec::new(),
    };
    Engine::new(policy, &loc).expect("engine")
}

const BENIGN: &str = r#"{"tool_name":"Bash","tool_input":{"command":"git status"},"cwd":"/home/dev/project","session_id":"s"}"#;
const WRITE: &str = r#"{"tool_name":"Write","tool_input":{"file_path":"/home/dev/project/src/lib.rs","content":"pub fn x() {}\n"},"cwd":"/home/dev/project","session_id":"s"}"#;

fn compound() -> String {
    let cmds = [
        "ls -la",
        "git status",
        "git log --oneline -5",
        "grep -rn TODO src",
        "wc -l src/main.rs",
        "cat Cargo.toml",
        "head -20 README.md",
        "find . -name '*.rs'",
        "git diff --stat",
        "pwd",
        "echo done",
        "sort src/a.txt",
        "uniq -c src/b.txt",
        "cut -d: -f1 src/c.txt",
        "du -sh src",
        "tail -5 CHANGELOG.md",
        "rg -n fn src",
        "stat Cargo.toml",
        "tree -L 2",
        "git branch -a",
    ];
    let line = cmds.join(" && ");
    format!(
        r#"{{"tool_name":"Bash","tool_input":{{"command":{}}},"cwd":"/home/dev/project","session_id":"s"}}"#,
        serde_json::Value::String(line)
    )
}

fn bench(c: &mut Criterion) {
    let (_dir, home) = project();
    let prefix = home.display().to_string();
    let compound = compound().replace("/home/dev", &prefix);
    let benign = BENIGN.replace("/home/dev", &prefix);
    let write = WRITE.replace("/home/dev", &prefix);
    let repo = repository(&home);
    std::thread::sleep(std::time::Duration::from_secs(3));
    {
        let engine = engine(0, &home);
        let mut group = c.benchmark_group("decide/repo");
        let at_repo =
            |s: &str| s.replace(&format!("{prefix}/project"), &repo.display().to_string());
        for (name, input) in [
            ("benign", at_repo(&benign)),
            ("compound20", at_repo(&compound)),
            (
                "file_write",
                at_repo(&write).replace("src/lib.rs", "src/m1.rs"),
            ),
        ] {
            let adapted = from_json_line(&input).expect("adapts");
            group.bench_function(name, |b| {
                b.iter(|| black_box(engine.evaluate(black_box(&adapted), "agent")))
            });
            group.bench_function(format!("{name}_analyze_only"), |b| {
                b.iter(|| black_box(engine.analyze(black_box(&adapted.action))))
            });
        }
        group.finish();
    }
    for (label, extra) in [("default", 0usize), ("default+1000", 1000)] {
        let engine = engine(extra, &home);
        let mut group = c.benchmark_group(format!("decide/{label}"));
        for (name, input) in [
            ("benign", benign.as_str()),
            ("compound20", compound.as_str()),
            ("file_write", write.as_str()),
        ] {
            let adapted = from_json_line(input).expect("adapts");
            group.bench_function(name, |b| {
                b.iter(|| black_box(engine.evaluate(black_box(&adapted), "agent")))
            });
            // Without the decision cache: every Cedar evaluation done anew.
            group.bench_function(format!("{name}_uncached"), |b| {
                b.iter(|| {
                    engine.policy.clear_decision_cache();
                    black_box(engine.evaluate(black_box(&adapted), "agent"))
                })
            });
            if extra == 0 {
                // The analysis alone, to see how the total splits between analysis and policy.
                group.bench_function(format!("{name}_analyze_only"), |b| {
                    b.iter(|| black_box(engine.analyze(black_box(&adapted.action))))
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
