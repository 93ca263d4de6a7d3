//! The tool-call corpus (tests/corpus/*.jsonl): every case is decided with the shipped
//! default policy, as the local agent, with HOME=/home/dev. A case labelled `allow` must be
//! allowed; `deny` must be denied; `not_allow` must be ask or deny.

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
use std::path::PathBuf;

/// The corpus names `/home/dev`; the test maps it to a fresh directory of the same depth
/// (with an empty `project/`) so that what happens to exist on this machine cannot change a decision.
fn engine(root: &std::path::Path) -> Engine {
    let policy = Policy::load(PolicySource::default_policy(), 1).expect("default policy loads");
    // Same depth as /home/dev (the temporary directory is /tmp/.tmpXXXX), so that `../..`
    // climbs to the same places.
    let home = root.to_path_buf();
    std::fs::create_dir_all(home.join("project")).expect("project dir");
    let loc = Locations {
        assent_home: home.join(".assent"),
        home,
        extra_guards: Vec::new(),
    };
    Engine::new(policy, &loc).expect("engine")
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

#[test]
fn corpus_decisions_match_labels() {
    let root = tempfile::Builder::new()
        .prefix("assent-corpus-")
        .tempdir_in("/tmp")
        .expect("tempdir");
    let engine = engine(root.path());
    let prefix = root.path().display().to_string();
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("corpus directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut counts = std::collections::BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read corpus file");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let case: serde_json::Value = serde_json::from_str(line).expect("corpus line is JSON");
            let name = case["name"].as_str().unwrap_or("?").to_string();
            let expect = case["expect"].as_str().unwrap_or("?").to_string();
            *counts.entry(expect.clone()).or_insert(0) += 1;
            let input: serde_json::Value =
                serde_json::from_str(&case["input"].to_string().replace("/home/dev", &prefix))
                    .expect("json");
            let got = match assent_adapters::from_value(input) {
                Ok(adapted) => {
                    let ev = engine.evaluate(&adapted, "agent");
                    (
                        ev.decision.decision,
                        ev.decision.rule().to_string(),
                        ev.facts.salient().to_string(),
                    )
                }
                // Input an adapter refuses is never run: it counts as a deny.
                Err(e) => (Verdict::Deny, format!("adapter: {e}"), String::new()),
            };
            let ok = match expect.as_str() {
                "allow" => got.0 == Verdict::Allow,
                "deny" => got.0 == Verdict::Deny,
                "not_allow" => got.0 != Verdict::Allow,
                other => panic!("case {name}: unknown label {other}"),
            };
            if !ok {
                failures.push(format!(
                    "{name}: expected {expect}, got {} ({}) {}",
                    got.0, got.1, got.2
                ));
            }
        }
    }
    let total: usize = counts.values().sum();
    assert!(total >= 250, "corpus has only {total} cases");
    assert!(
        counts.get("allow").copied().unwrap_or(0) >= 60,
        "corpus needs at least 60 benign cases"
    );
    assert!(
        failures.is_empty(),
        "{} of {total} corpus cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
