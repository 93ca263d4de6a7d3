//! Analyses one action many times in a loop, for counting system calls per decision
//! (`strace -c -f`) or profiling (`perf record`) the analyser alone.
//!
//! Run: `cargo run -p assent-analyze --example analyze_loop -- HOME CWD N COMMAND`
//! (`COMMAND` of `write:PATH` analyses a Write tool call of `PATH` instead of a shell command).

use assent_analyze::{Analyzer, AnalyzerConfig};
use assent_core::{Action, Kind};
use std::path::PathBuf;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [home, cwd, n, command] = args.as_slice() else {
        eprintln!("usage: analyze_loop HOME CWD N COMMAND");
        return std::process::ExitCode::FAILURE;
    };
    let home = PathBuf::from(home);
    let Ok(analyzer) = Analyzer::new(&AnalyzerConfig::defaults(
        home.clone(),
        home.join(".assent"),
    )) else {
        eprintln!("analyser configuration refused");
        return std::process::ExitCode::FAILURE;
    };
    let action = match command.strip_prefix("write:") {
        Some(path) => Action {
            tool: "Write".into(),
            kind: Kind::FileWrite,
            input: serde_json::json!({"file_path": path, "content": "x\n"}),
            cwd: Some(cwd.clone()),
            session: None,
            summary: None,
        },
        None => Action {
            tool: "Bash".into(),
            kind: Kind::Shell,
            input: serde_json::json!({ "command": command }),
            cwd: Some(cwd.clone()),
            session: None,
            summary: None,
        },
    };
    let n: usize = n.parse().unwrap_or(1);
    let mut read_only = 0usize;
    for _ in 0..n {
        if std::hint::black_box(analyzer.analyze(std::hint::black_box(&action))).read_only {
            read_only += 1;
        }
    }
    println!("{read_only} of {n} read-only");
    std::process::ExitCode::SUCCESS
}
