//! For every allowlisted program in the grammar catalog: generated option × operand
//! combinations (full names, abbreviations, clusters, attached and separate values,
//! option-looking operands) that carry a secret path anywhere are never judged read-only.

#![allow(clippy::unwrap_used)]

use assent_analyze::{allowlist_catalog, Analyzer, AnalyzerConfig, ProgramInfo};
use assent_core::{Action, Kind};
use proptest::prelude::*;
use std::path::PathBuf;
use std::sync::OnceLock;

fn analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(|| {
        let cfg = AnalyzerConfig::defaults(
            PathBuf::from("/home/dev"),
            PathBuf::from("/home/dev/.assent"),
        );
        Analyzer::new(&cfg).unwrap()
    })
}

fn read_only(command: &str) -> bool {
    let action = Action {
        tool: "Bash".into(),
        kind: Kind::Shell,
        input: serde_json::json!({ "command": command }),
        cwd: Some("/home/dev/project".into()),
        session: None,
        summary: None,
    };
    analyzer().analyze(&action).read_only
}

const SECRETS: &[&str] = &[
    ".env",
    "./.env",
    "config/../.env",
    "~/.ssh/id_rsa",
    "/home/dev/.aws/credentials",
];
const BENIGN: &[&str] = &["README.md", "src", "1", "x", "-", "a.txt"];

/// One rendering of one option of `p`, with `value` where it takes one.
fn render(p: &ProgramInfo, pick: usize, style: usize, value: &str) -> Vec<String> {
    let Some(o) = p.options.get(pick % p.options.len().max(1)) else {
        return Vec::new();
    };
    let long = o.names.iter().find(|n| n.starts_with("--"));
    let short = o.names.iter().find(|n| !n.starts_with("--"));
    let name = match (style % 3, long, short) {
        (0, Some(l), _) => l.to_string(),
        // An abbreviation (may be ambiguous: then the call must not be read-only anyway).
        (1, Some(l), _) if l.len() > 4 => l.chars().take((l.len() + 3) / 2).collect(),
        (_, _, Some(s)) => s.to_string(),
        (_, Some(l), None) => l.to_string(),
        _ => return Vec::new(),
    };
    match o.arity {
        "none" => vec![name],
        "optional" if style.is_multiple_of(2) => vec![name],
        _ if name.starts_with("--") && style.is_multiple_of(2) => vec![format!("{name}={value}")],
        _ if !name.starts_with("--") && style.is_multiple_of(2) => vec![format!("{name}{value}")],
        _ => vec![name, value.to_string()],
    }
}

fn quote(w: &str) -> String {
    if w.starts_with('~') {
        // Keep tilde expansion.
        return w.to_string();
    }
    format!("'{}'", w.replace('\'', "'\\''"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn a_secret_anywhere_is_never_read_only(
        prog in any::<prop::sample::Index>(),
        opts in prop::collection::vec((any::<usize>(), any::<usize>(), any::<bool>(), 0..SECRETS.len(), 0..BENIGN.len()), 0..4),
        operands in prop::collection::vec((any::<bool>(), 0..SECRETS.len(), 0..BENIGN.len()), 0..3),
        secret_at in any::<prop::sample::Index>(),
        option_operand in any::<bool>(),
    ) {
        let catalog = allowlist_catalog();
        let p = prog.get(&catalog);
        let name = p.names[0];
        let mut words: Vec<String> = Vec::new();
        for (pick, style, secret, s, b) in &opts {
            let value = if *secret { SECRETS[*s] } else { BENIGN[*b] };
            words.extend(render(p, *pick, *style, value));
        }
        for (secret, s, b) in &operands {
            words.push(if *secret { SECRETS[*s] } else { BENIGN[*b] }.to_string());
        }
        if option_operand {
            words.push("--".into());
            words.push("-n".into());
        }
        // Make sure a secret appears somewhere: in an operand or an option value.
        let has_secret = words.iter().any(|w| SECRETS.iter().any(|s| w.contains(s)));
        if !has_secret {
            let at = if words.is_empty() { 0 } else { secret_at.index(words.len() + 1) };
            words.insert(at, SECRETS[0].to_string());
        }
        let command = std::iter::once(name.to_string())
            .chain(words.iter().map(|w| quote(w)))
            .collect::<Vec<_>>()
            .join(" ");
        prop_assert!(!read_only(&command), "read-only: {command}");
    }
}

#[test]
fn every_program_has_a_table_with_known_kinds() {
    let catalog = allowlist_catalog();
    assert!(catalog.len() > 40);
    for p in &catalog {
        for o in &p.options {
            assert!(
                ["none", "required", "optional", "two"].contains(&o.arity),
                "{:?}",
                o
            );
            assert!(!o.names.is_empty());
            if o.value == "enum" {
                assert!(!o.words.is_empty());
            }
        }
    }
    // Spot checks of the red-team findings.
    let find = |n: &str| catalog.iter().find(|p| p.names.contains(&n)).unwrap();
    let opt = |p: &ProgramInfo, n: &str| {
        p.options
            .iter()
            .find(|o| o.names.contains(&n))
            .cloned()
            .unwrap()
    };
    assert_eq!(opt(find("grep"), "--color").arity, "optional");
    assert_eq!(opt(find("od"), "-w").arity, "optional");
    assert_eq!(opt(find("date"), "-I").arity, "optional");
    assert_eq!(find("uniq").max_operands, Some(1));
    assert_eq!(opt(find("base64"), "-o").value, "forbidden");
}

/// Prints the catalog (`cargo test -p assent-analyze --test grammar_catalog -- --ignored
/// --nocapture dump`) for comparing with the programs' own `--help`.
#[test]
#[ignore]
fn dump_catalog() {
    for p in allowlist_catalog() {
        for o in &p.options {
            println!(
                "CAT|{}|{}|{}|{}",
                p.names[0],
                o.names.join(","),
                o.arity,
                o.value
            );
        }
    }
}
