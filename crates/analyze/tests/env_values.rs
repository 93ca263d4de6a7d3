//! A variable is a secret by its value too: whatever its name, one whose value in the
//! environment the hook inherits holds a credential (a proxy or database URL with a password,
//! a token) is protected — printing it is a protected read, changing it a protected change.
//! One test in this file: it sets variables before any analysis runs.

// Test code: a failed setup step should panic with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use assent_analyze::{Analyzer, AnalyzerConfig};
use assent_core::{Action, Facts, Kind};

fn facts(analyzer: &Analyzer, ws: &std::path::Path, command: &str) -> Facts {
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
fn variables_holding_credentials_are_protected() {
    // Credential-shaped values are assembled here so that no source file holds one.
    std::env::set_var(
        "ZZT_HTTPS_PROXY",
        ["http://user:", "s3cr3tPw9x@proxy.internal:3128"].concat(),
    );
    std::env::set_var(
        "ZZT_REDIS_URL",
        ["redis://default:", "Zq8vLm2pXr@cache:6379/0"].concat(),
    );
    std::env::set_var(
        "ZZT_GH",
        ["ghp_", "R4nd0mT3stT0k3nN0tR3alQ9w8e7r6t5y4u3i2"].concat(),
    );
    std::env::set_var("ZZT_PLAIN_PROXY", "http://proxy.internal:3128");
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let ws = home.join("project");
    std::fs::create_dir_all(&ws).unwrap();
    let cfg = AnalyzerConfig::defaults(home.clone(), home.join(".assent"));
    let analyzer = Analyzer::new(&cfg).unwrap();
    for name in ["ZZT_HTTPS_PROXY", "ZZT_REDIS_URL", "ZZT_GH"] {
        for command in [
            format!("echo ${name}"),
            format!("echo \"${{{name}}}\""),
            format!("printenv {name}"),
            format!("printf '%s' \"${name}\""),
        ] {
            let f = facts(&analyzer, &ws, &command);
            assert!(
                f.env_read.contains(name),
                "{command}: not a protected read ({:?})",
                f.env_read
            );
        }
        let f = facts(&analyzer, &ws, &format!("{name}=x ls"));
        assert!(
            f.env_write.contains(name),
            "{name}=x: not a protected change"
        );
    }
    // The neighbour: a proxy URL without a password is an ordinary variable.
    let f = facts(&analyzer, &ws, "echo $ZZT_PLAIN_PROXY");
    assert!(f.env_read.is_empty(), "{:?}", f.env_read);
    assert!(f.read_only, "{:?}", f.unparsed);
}
