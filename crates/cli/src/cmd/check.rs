//! `assent check`: JSON Lines in, JSON Lines out; creates nothing, waits for nothing.

use crate::cli::CheckArgs;
use crate::exit::Exit;
use assent_core::redact::Redactor;
use assent_gateway::{Engine, Evaluation, Locations};
use assent_policy::{Policy, PolicySource};
use serde_json::{json, Value};
use std::io::{BufRead, Write};

/// Longest input line read; longer lines get an error and are skipped.
const MAX_LINE: usize = 2 * 1024 * 1024;

pub fn run(loc: &Locations, args: CheckArgs) -> anyhow::Result<Exit> {
    let source = match &args.policy {
        Some(p) => match assent_gateway::files::load(p).map_err(|e| anyhow::anyhow!(e)) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("assent: {e:#}");
                return Ok(Exit::Policy);
            }
        },
        None => PolicySource::default_policy(),
    };
    let policy = match Policy::load(source, 1) {
        Ok(p) => p,
        Err(e) => {
            eprint!("assent: {e}");
            return Ok(Exit::Policy);
        }
    };
    let mut loc = loc.clone();
    if let Some(p) = &args.policy {
        loc.extra_guards
            .push(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()));
    }
    let principal = args
        .principal
        .clone()
        .unwrap_or_else(|| policy.settings.local.agent.clone());
    let engine = match Engine::new(policy, &loc) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("assent: {e}");
            return Ok(Exit::Policy);
        }
    };
    let redactor = protected_env_redactor(&engine);
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let (n, too_long) = read_line(&mut input, &mut buf)?;
        if n == 0 {
            break;
        }
        let line = if too_long {
            json!({"error": format!("input line longer than {MAX_LINE} bytes")})
        } else {
            match std::str::from_utf8(&buf) {
                Ok(text) => {
                    let text = text.trim_end_matches(['\n', '\r']);
                    if text.trim().is_empty() {
                        json!({"error": "empty line"})
                    } else {
                        match assent_adapters::from_json_line(text) {
                            Ok(adapted) => {
                                render(&engine.evaluate(&adapted, &principal), args.explain)
                            }
                            Err(e) => json!({"error": e.to_string()}),
                        }
                    }
                }
                Err(_) => json!({"error": "input line is not UTF-8"}),
            }
        };
        let text = redactor.redact(&line.to_string());
        writeln!(out, "{text}")?;
    }
    out.flush()?;
    Ok(Exit::Ok)
}

/// Reads one line of at most `MAX_LINE` bytes; a longer line is consumed and reported.
fn read_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<(usize, bool)> {
    let mut total = 0;
    let mut too_long = false;
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Ok((total, too_long));
        }
        let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let len = chunk.len();
        if !too_long && buf.len() + len <= MAX_LINE {
            buf.extend_from_slice(chunk);
        } else {
            too_long = true;
            buf.clear();
        }
        input.consume(len);
        total += len;
        if done {
            return Ok((total, too_long));
        }
    }
}

/// Values of protected variables present in this process's environment.
pub fn protected_env_redactor(engine: &Engine) -> Redactor {
    let matcher = assent_analyze_env(engine);
    Redactor::new(std::env::vars().filter(|(k, _)| matcher(k)))
}

fn assent_analyze_env(engine: &Engine) -> impl Fn(&str) -> bool {
    let patterns = engine.policy.settings.env.protected.clone();
    move |name: &str| {
        let up = name.to_ascii_uppercase();
        patterns
            .iter()
            .any(|p| glob_match(&p.to_ascii_uppercase(), &up))
    }
}

fn glob_match(p: &str, s: &str) -> bool {
    match p.split_once('*') {
        None => p == s,
        Some((head, tail)) => {
            if !s.starts_with(head) {
                return false;
            }
            let rest = &s[head.len()..];
            (0..=rest.len()).any(|i| rest.is_char_boundary(i) && glob_match(tail, &rest[i..]))
        }
    }
}

pub fn render(ev: &Evaluation, explain: bool) -> Value {
    let d = &ev.decision;
    let mut v = json!({
        "decision": d.decision,
        "rule": d.rule(),
        "rules": d.rules,
        "severity": d.severity,
        "reason": d.reason,
        "policy_version": d.policy_version,
        "kind": ev.action.kind.as_str(),
        "tool": ev.action.tool,
        "digest": ev.digest,
        "principal": ev.chain.first().map(|p| p.name.clone()).unwrap_or_default(),
    });
    if let Some(r) = &d.requirement {
        v["approvers"] = json!(r.approvers);
        v["quorum"] = json!(r.quorum);
        v["mode"] = json!(r.mode);
        v["timeout_s"] = json!(r.timeout_s);
        v["on_timeout"] = json!(r.on_timeout.label());
    }
    if !d.diagnostics.is_empty() {
        v["diagnostics"] = json!(d.diagnostics);
    }
    v["facts"] = if explain {
        serde_json::to_value(&ev.facts).unwrap_or(Value::Null)
    } else {
        ev.facts.salient()
    };
    v
}
