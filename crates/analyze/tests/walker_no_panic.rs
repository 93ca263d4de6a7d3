//! Agent input never panics the shell walker or the path code: random bytes, generated
//! shell built from the constructs bash treats specially (working-directory changes,
//! globs, arithmetic, ANSI-C quoting with NUL, non-ASCII option clusters), and a workspace
//! full of files named like globs and options.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use assent_analyze::{Analyzer, AnalyzerConfig};
use assent_core::{Action, Kind};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A temporary home with a workspace whose file names look like globs and options.
fn fixture() -> &'static (tempfile::TempDir, Analyzer) {
    static F: OnceLock<(tempfile::TempDir, Analyzer)> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let ws = home.join("project");
        for name in [
            "a?",
            "*",
            "[x]",
            "[",
            "]",
            "-rf",
            "--output=README.md",
            "--expression=1e sh x",
            "é",
            ".env",
            "a b",
            "\\",
            "{a,b}",
            "+(x)",
            "..x",
            "?",
        ] {
            let p = ws.join("dir").join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "x").unwrap();
            std::fs::create_dir_all(ws.join(name).join("sub")).unwrap();
        }
        std::os::unix::fs::symlink(&ws, ws.join("loop")).unwrap();
        std::os::unix::fs::symlink("loop2", ws.join("loop2")).unwrap();
        let cfg = AnalyzerConfig::defaults(home.clone(), home.join(".assent"));
        let a = Analyzer::new(&cfg).unwrap();
        (dir, a)
    })
}

fn analyze(command: &str) {
    let (dir, analyzer) = fixture();
    let cwd: PathBuf = dir.path().join("home/project");
    let action = Action {
        tool: "Bash".into(),
        kind: Kind::Shell,
        input: serde_json::json!({ "command": command }),
        cwd: Some(cwd.display().to_string()),
        session: None,
        summary: None,
    };
    let _ = analyzer.analyze(&action);
    let _ = Path::new(command);
}

const PIECES: &[&str] = &[
    "cd",
    "cd ..",
    "cd -",
    "cd a?",
    "pushd",
    "popd",
    "CDPATH=/",
    "cat",
    "ls",
    "git",
    "grep",
    "sed",
    "xargs",
    "watch",
    "find",
    "echo",
    "test",
    "[",
    "]",
    "[[",
    "]]",
    "-eq",
    "-v",
    "_",
    "${PWD:_}",
    "${_@P}",
    "${a[_]}",
    "$((",
    "))",
    "((",
    "let",
    "$'\\0'",
    "$'\\xff'",
    "$'\\c@'",
    "$'\\u00e9'",
    "$'",
    "'",
    "\"",
    "*",
    "?",
    "a?",
    "*/*",
    "[slug]",
    "+(x)",
    "!(x)",
    ".*",
    "~",
    "~+",
    "~-",
    "$PWD",
    "$OLDPWD",
    "é",
    "-éa",
    "-aé",
    "-n",
    "-I",
    "|",
    "||",
    "&&",
    ";",
    "&",
    "(",
    ")",
    "{",
    "}",
    "<<<",
    "<",
    ">",
    "2>&1",
    "\n",
    "for x in 1 2; do",
    "done",
    "if",
    "then",
    "fi",
    "case x in",
    "x)",
    ";;",
    "esac",
    "while",
    "!",
    "`",
    "$(",
    "\\",
    "dir/*",
    "loop/*",
    "-rf",
    "--output=x",
    "python -aé x",
    "git log -éa",
    "watch -n",
    "xargs -I",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        analyze(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn generated_shell_never_panics(picks in proptest::collection::vec(0usize..PIECES.len(), 1..14)) {
        let command: Vec<&str> = picks.iter().filter_map(|i| PIECES.get(*i).copied()).collect();
        analyze(&command.join(" "));
    }
}

#[test]
fn known_panics_are_gone() {
    for c in [
        "watch -n",
        "xargs -I",
        "xargs -I {}",
        "python -aé x",
        "git log -éa",
        "cat a?",
        "ls */",
        "cat dir/*",
        "cat *",
        "ls loop/loop/loop/*",
        "cd a?; cat *",
        "cat .e$'\\0'nv",
        "[[ _ -eq 0 ]]",
        "echo ${PWD:_}",
    ] {
        analyze(c);
    }
}
