//! `assent check` answers every line, in order, even when analysing a line panics or
//! overflows the stack (a real process, as an agent's tooling would run it).

use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_assent");

/// Bash commands that panicked or aborted the analyser when this test was written.
const CRASHING: &[&str] = &[
    "watch -n",
    "xargs -I",
    "python -a\u{e9} x",
    "git log -\u{e9}a",
];

/// A workspace file named `a?` (the fixture plants one) sent the walker into endless
/// recursion: a stack overflow, which no Rust code can catch. Slow to hit, so once.
const OVERFLOWING: &str = "cat a?";

fn bash(cmd: &str, cwd: &str) -> String {
    json!({"tool_name": "Bash", "tool_input": {"command": cmd}, "cwd": cwd}).to_string()
}

#[test]
fn check_answers_every_line_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let ws = home.join("project");
    std::fs::create_dir_all(&ws).expect("mkdir");
    std::fs::write(ws.join("a?"), "x\n").expect("write");
    std::fs::write(ws.join("README.md"), "hello\n").expect("write");
    let cwd = ws.display().to_string();

    let good = [
        "ls",
        "cat README.md",
        "git status",
        "rm -rf /",
        "echo hi",
        "grep -n hello README.md",
    ];
    let mut lines = Vec::new();
    let mut crashing_at = Vec::new();
    for i in 0..1000 {
        lines.push(bash(&format!("{} # {i}", good[i % good.len()]), &cwd));
        if i == 500 {
            crashing_at.push(lines.len());
            lines.push(bash(OVERFLOWING, &cwd));
        }
        if i % 200 == 17 {
            for c in CRASHING {
                crashing_at.push(lines.len());
                lines.push(bash(c, &cwd));
            }
        }
    }
    // Malformed lines are answered too, each with an error, in place.
    let malformed_at = lines.len();
    lines.push("{\"tool_name\":\"Bash\"}".into());
    lines.push("not json".into());
    lines.push(String::new());
    lines.push(bash("pwd", &cwd));

    let mut child = Command::new(BIN)
        .arg("--home")
        .arg(home.join(".assent"))
        .arg("check")
        .env("HOME", &home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn assent check");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = lines.join("\n") + "\n";
    let writer = std::thread::spawn(move || {
        stdin.write_all(input.as_bytes()).expect("write lines");
    });
    let out = child.wait_with_output().expect("assent check runs");
    writer.join().expect("writer");
    assert!(
        out.status.success(),
        "assent check failed: {:?}",
        out.status
    );
    let answers: Vec<Value> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each answer is JSON"))
        .collect();
    assert_eq!(answers.len(), lines.len(), "one answer per line");

    for (i, (line, answer)) in lines.iter().zip(&answers).enumerate() {
        if crashing_at.contains(&i) && answer["digest"].is_null() {
            // Analysing it crashed: the line is answered, in place, with a deny.
            assert_eq!(answer["decision"], "deny", "line {i} {line}: {answer}");
            assert_eq!(
                answer["rule"], "internal-error",
                "line {i} {line}: {answer}"
            );
            continue;
        }
        if i >= malformed_at && i < malformed_at + 3 {
            assert!(answer["error"].is_string(), "line {i} {line}: {answer}");
            assert_ne!(answer["decision"], "allow");
            continue;
        }
        // The answer is about this very line: its digest is this line's action's.
        let adapted = assent_adapters::from_json_line(line).expect("good line adapts");
        assert_eq!(
            answer["digest"].as_str(),
            Some(adapted.action.digest().as_str()),
            "line {i} answered out of order: {line} -> {answer}"
        );
    }
    // The decisions themselves still hold: `ls` allowed, `rm -rf /` not.
    assert_eq!(answers[0]["decision"], "allow", "{}", answers[0]);
    assert_ne!(answers[3]["decision"], "allow", "{}", answers[3]);
}

/// Malformed hook input is denied at once by the real hook, never held as a pending request
/// for a person (it used to wait the full approval timeout).
#[test]
fn malformed_hook_input_is_denied_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join("project")).expect("mkdir");
    for line in [
        r#"{"tool_name":"Bash"}"#,
        r#"{"tool_name":"Bash","tool_input":{}}"#,
        r#"{"tool_name":"Bash","tool_input":{"command":7}}"#,
        r#"{"tool_name":"","tool_input":{"command":"ls"}}"#,
        r#"{"tool_name":"Bash","tool_input":"ls"}"#,
        r#"{"tool_name":"Read","tool_input":{"path":"/etc/passwd"}}"#,
    ] {
        let started = std::time::Instant::now();
        let mut child = Command::new(BIN)
            .arg("--home")
            .arg(home.join(".assent"))
            .args(["hook", "claude-code", "--max-wait", "60"])
            .env("HOME", &home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn hook");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(line.as_bytes())
            .expect("write");
        let out = child.wait_with_output().expect("hook runs");
        let answer: Value = serde_json::from_slice(&out.stdout).expect("hook answers JSON");
        assert_eq!(
            answer["hookSpecificOutput"]["permissionDecision"], "deny",
            "{line}: {answer}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{line}: took {:?}",
            started.elapsed()
        );
    }
}
