//! The tool-call corpus (tests/corpus/*.jsonl): every case is decided with the shipped
//! default policy, as the local agent, with HOME=/home/dev. A case labelled `allow` must be
//! allowed; `deny` must be denied; `not_allow` must be ask or deny.

use assent_core::Verdict;
use assent_gateway::{Engine, Locations};
use assent_policy::{Policy, PolicySource};
use std::path::PathBuf;

fn engine() -> Engine {
    let policy = Policy::load(PolicySource::default_policy(), 1).expect("default policy loads");
    let loc = Locations {
        home: PathBuf::from("/home/dev"),
        assent_home: PathBuf::from("/home/dev/.assent"),
        extra_guards: Vec::new(),
    };
    Engine::new(policy, &loc).expect("engine")
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

#[test]
fn corpus_decisions_match_labels() {
    let engine = engine();
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
            let got = match assent_adapters::from_value(case["input"].clone()) {
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
