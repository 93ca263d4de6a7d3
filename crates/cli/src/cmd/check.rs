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
    if !args.worker {
        // The supervisor decides nothing: it only proves that a policy given on the command
        // line loads (schema-strict), so that a broken one is reported before any line is
        // read. The shipped default is validated by the test suite (the corpus tests load it
        // strictly), so checking it again here would be pure start-up cost.
        if let Some(p) = &args.policy {
            if let Err(code) = load_engine(loc, &args, p, true) {
                return Ok(code);
            }
        }
        return supervise(loc, &args);
    }
    let (engine, principal) = match &args.policy {
        // Validated by the supervisor that started this worker: only the parse is repeated.
        // Were the files changed in between, an ill-typed rule could only produce evaluation
        // errors, and those deny.
        Some(p) => match load_engine(loc, &args, p, false) {
            Ok(e) => e,
            Err(code) => return Ok(code),
        },
        None => {
            let policy = match Policy::load_validated(PolicySource::default_policy(), 1) {
                Ok(p) => p,
                Err(e) => {
                    eprint!("assent: {e}");
                    return Ok(Exit::Policy);
                }
            };
            let principal = args
                .principal
                .clone()
                .unwrap_or_else(|| policy.settings.local.agent.clone());
            match Engine::new(policy, loc) {
                Ok(e) => (e, principal),
                Err(e) => {
                    eprintln!("assent: {e}");
                    return Ok(Exit::Policy);
                }
            }
        }
    };
    // Analysis runs on a thread with a large stack: the analyser bounds its own nesting, and
    // the room left over turns a deep-but-bounded input into an answer instead of an abort
    // that would lose every later line.
    let worker = std::thread::Builder::new()
        .name("assent-check".into())
        .stack_size(ANALYSIS_STACK)
        .spawn(move || {
            let result = answer_lines(&engine, &principal, args.explain);
            // The process ends right after: tearing down the policy and the compiled path
            // sets would only cost time.
            std::mem::forget(engine);
            result
        })?;
    match worker.join() {
        Ok(result) => result.map(|()| Exit::Ok),
        Err(_) => Err(anyhow::anyhow!("internal error outside line analysis")),
    }
}

/// The engine for the policy at `path` (its directory also becomes a guard path), and the
/// principal lines come from; every problem is printed and turned into the exit code.
fn load_engine(
    loc: &Locations,
    args: &CheckArgs,
    path: &std::path::Path,
    validate: bool,
) -> Result<(Engine, String), Exit> {
    let source = match assent_gateway::files::load(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("assent: {e:#}");
            return Err(Exit::Policy);
        }
    };
    let loaded = if validate {
        Policy::load(source, 1)
    } else {
        Policy::load_validated(source, 1)
    };
    let policy = match loaded {
        Ok(p) => p,
        Err(e) => {
            eprint!("assent: {e}");
            return Err(Exit::Policy);
        }
    };
    let mut loc = loc.clone();
    loc.extra_guards
        .push(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
    let principal = args
        .principal
        .clone()
        .unwrap_or_else(|| policy.settings.local.agent.clone());
    match Engine::new(policy, &loc) {
        Ok(e) => Ok((e, principal)),
        Err(e) => {
            eprintln!("assent: {e}");
            Err(Exit::Policy)
        }
    }
}

/// Longest a worker may take over one line before it is killed and the line denied.
const LINE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Answers every input line through a worker process (`check --worker`), one line at a
/// time. A worker that dies on a line (a stack overflow aborts; no Rust code can catch it)
/// or hangs on it is replaced, and that line alone is answered deny.
fn supervise(loc: &Locations, args: &CheckArgs) -> anyhow::Result<Exit> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut worker: Option<Worker> = None;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let (n, too_long) = read_line(&mut input, &mut buf)?;
        if n == 0 {
            break;
        }
        let text = match (too_long, std::str::from_utf8(&buf)) {
            (true, _) => None,
            (false, Ok(t)) => Some(t.trim_end_matches(['\n', '\r'])),
            (false, Err(_)) => None,
        };
        // Only lines that cannot be framed as one line of text are answered here.
        let line = match text {
            Some(t) => t.to_string(),
            None => {
                let reason = if too_long {
                    format!("input line longer than {MAX_LINE} bytes")
                } else {
                    "input line is not UTF-8".to_string()
                };
                writeln!(out, "{}", json!({ "error": reason }))?;
                continue;
            }
        };
        let answer = match worker.as_mut() {
            Some(w) => w.ask(&line),
            None => match Worker::start(loc, args) {
                Ok(mut w) => {
                    let a = w.ask(&line);
                    worker = Some(w);
                    a
                }
                Err(e) => {
                    eprintln!("assent: cannot start a worker: {e}");
                    None
                }
            },
        };
        match answer {
            Some(a) => writeln!(out, "{a}")?,
            None => {
                if let Some(mut w) = worker.take() {
                    w.stop();
                }
                writeln!(
                    out,
                    "{}",
                    json!({
                        "error": "the analysis of this line crashed or timed out; it is denied",
                        "decision": "deny",
                        "rule": "internal-error",
                    })
                )?;
            }
        }
    }
    out.flush()?;
    if let Some(mut w) = worker.take() {
        w.finish();
    }
    Ok(Exit::Ok)
}

/// One `check --worker` child: lines go in on its stdin, answers come back one per line.
struct Worker {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    answers: std::sync::mpsc::Receiver<String>,
}

impl Worker {
    fn start(loc: &Locations, args: &CheckArgs) -> anyhow::Result<Worker> {
        let mut cmd = std::process::Command::new(std::env::current_exe()?);
        cmd.arg("--home")
            .arg(&loc.assent_home)
            .args(["check", "--worker"]);
        if let Some(p) = &args.policy {
            cmd.arg("--policy").arg(p);
        }
        if let Some(p) = &args.principal {
            cmd.arg("--principal").arg(p);
        }
        if args.explain {
            cmd.arg("--explain");
        }
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit());
        let mut child = cmd.spawn()?;
        let stdin = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("worker has no stdout"))?;
        let (tx, answers) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Worker {
            child,
            stdin,
            answers,
        })
    }

    /// The worker's answer to one line, or `None` when it died or took too long.
    fn ask(&mut self, line: &str) -> Option<String> {
        let stdin = self.stdin.as_mut()?;
        stdin.write_all(line.as_bytes()).ok()?;
        stdin.write_all(b"\n").ok()?;
        stdin.flush().ok()?;
        self.answers.recv_timeout(LINE_TIMEOUT).ok()
    }

    fn stop(&mut self) {
        self.stdin = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn finish(&mut self) {
        // Closing its stdin ends the worker's loop.
        self.stdin = None;
        let _ = self.child.wait();
    }
}

/// Stack for the thread that analyses lines.
const ANALYSIS_STACK: usize = 16 * 1024 * 1024;

/// Answers every line of standard input, in order, one output line each.
fn answer_lines(engine: &Engine, principal: &str, explain: bool) -> anyhow::Result<()> {
    // A panic while analysing one line answers that line with a deny and goes on; the
    // default hook's backtrace would bury the answers' stream, so one short note is printed.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("assent: internal error, line answered deny: {info}");
    }));
    let redactor = protected_env_redactor(engine);
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
                        answer_one(engine, principal, explain, text)
                    }
                }
                Err(_) => json!({"error": "input line is not UTF-8"}),
            }
        };
        let text = redactor.redact(&line.to_string());
        writeln!(out, "{text}")?;
        // The supervisor waits for each answer before sending the next line.
        out.flush()?;
    }
    out.flush()?;
    Ok(())
}

/// The answer to one well-formed line; a panic anywhere in adapting, analysing or deciding
/// is a deny for this line only.
fn answer_one(engine: &Engine, principal: &str, explain: bool, text: &str) -> Value {
    let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        match assent_adapters::from_json_line(text) {
            Ok(adapted) => render(&engine.evaluate(&adapted, principal), explain),
            Err(e) => json!({"error": e.to_string()}),
        }
    }));
    answer.unwrap_or_else(|_| {
        json!({
            "error": "internal error while analysing this line; it is denied",
            "decision": "deny",
            "rule": "internal-error",
        })
    })
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
        let (chunk, done) = match available
            .iter()
            .position(|b| *b == b'\n')
            .and_then(|i| available.get(..=i))
        {
            Some(line) => (line, true),
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
        Some((head, tail)) => match s.strip_prefix(head) {
            None => false,
            Some(rest) => {
                (0..=rest.len()).any(|i| rest.get(i..).is_some_and(|r| glob_match(tail, r)))
            }
        },
    }
}

pub fn render(ev: &Evaluation, explain: bool) -> Value {
    let d = &ev.decision;
    let mut v = serde_json::Map::new();
    let fields = json!({
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
    if let Value::Object(fields) = fields {
        v.extend(fields);
    }
    if let Some(r) = &d.requirement {
        v.insert("approvers".into(), json!(r.approvers));
        v.insert("quorum".into(), json!(r.quorum));
        v.insert("mode".into(), json!(r.mode));
        v.insert("timeout_s".into(), json!(r.timeout_s));
        v.insert("on_timeout".into(), json!(r.on_timeout.label()));
    }
    if !d.diagnostics.is_empty() {
        v.insert("diagnostics".into(), json!(d.diagnostics));
    }
    let facts = if explain {
        serde_json::to_value(&ev.facts).unwrap_or(Value::Null)
    } else {
        ev.facts.salient()
    };
    v.insert("facts".into(), facts);
    Value::Object(v)
}
