//! Bash opens a socket itself for a redirection to `/dev/tcp/HOST/PORT` or `/dev/udp/HOST/PORT`:
//! whatever the command, that is network access, and never read-only.

// Test code: a failed setup step should panic with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use assent_analyze::{Analyzer, AnalyzerConfig};
use assent_core::{Action, Facts, Kind};

fn facts(command: &str) -> Facts {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let ws = home.join("project");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(ws.join("README.md"), "x").unwrap();
    let cfg = AnalyzerConfig::defaults(home.clone(), home.join(".assent"));
    let analyzer = Analyzer::new(&cfg).unwrap();
    analyzer.analyze(&Action {
        tool: "Bash".into(),
        kind: Kind::Shell,
        input: serde_json::json!({ "command": command }),
        cwd: Some(ws.display().to_string()),
        session: None,
        summary: None,
    })
}

#[test]
fn socket_redirections_are_network() {
    for command in [
        "cat < /dev/tcp/example.com/80",
        "echo hi > /dev/tcp/example.com/80",
        "exec 3<>/dev/tcp/example.com/80",
        "head -1 <//dev/./udp/1.2.3.4/53",
        "cat README.md >> /dev/udp/10.0.0.1/53",
    ] {
        let f = facts(command);
        assert!(f.network, "{command}: not seen as network");
        assert!(!f.read_only, "{command}: judged read-only");
        assert!(!f.hosts.is_empty(), "{command}: no host recorded");
    }
}

#[test]
fn plain_redirections_stay_read_only() {
    let f = facts("cat < README.md");
    assert!(!f.network);
    assert!(f.read_only, "{:?}", f.unparsed);
}
