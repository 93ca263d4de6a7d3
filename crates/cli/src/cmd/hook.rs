//! `assent hook claude-code`: the PreToolUse hook.
//!
//! Claude Code reads a decision only when stdout is exactly one JSON object; anything else
//! (a crash, a signal, garbage, a timeout) lets its permission mode decide, which under
//! `bypassPermissions` means the tool runs. So every path here ends in exactly one JSON
//! answer: `allow` only after policy or a person allowed the exact action; `deny` on every
//! error, including panics and our own deadline (a watchdog thread answers if the main path
//! has not). Notices go to stderr.
//!
//! The decision itself runs in a child process (`--worker`): a crash that no Rust code can
//! catch — running out of memory, a stack overflow, a signal — ends that child, and this
//! process answers deny.
//!
//! When a server is configured (`ASSENT_URL`, or the socket `$ASSENT_HOME/assent.sock`) and no
//! `--policy` is named, this process is a thin client instead: it sends the input to
//! `POST /v1/hook/claude-code` and prints the answer the server made, after checking that it
//! is one well-formed answer. It parses no policy and builds no regex; a server that cannot
//! be reached, refuses, or answers anything else means deny.

use crate::cli::HookCommand;
use crate::exit::Exit;
use crate::remote::Remote;
use assent_adapters::HookAnswer as Answer;
use assent_gateway::{Gateway, Locations, Outcome, WaitEnd};
use assent_server::routes::hook::HookStep;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::thin::{GRACE, MAX_INPUT};

static ANSWERED: AtomicBool = AtomicBool::new(false);
static STDOUT: Mutex<()> = Mutex::new(());

/// Prints the one answer. Later calls do nothing.
fn answer(allow: bool, reason: &str) -> bool {
    answer_line(&Answer::plain(allow, reason).to_line())
}

fn answer_with(a: &Answer) -> bool {
    answer_line(&a.to_line())
}

/// Prints `line` (one JSON answer) unless an answer was already printed.
fn answer_line(line: &str) -> bool {
    let _guard = STDOUT.lock();
    if ANSWERED.swap(true, Ordering::SeqCst) {
        return true;
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}").is_ok() && stdout.flush().is_ok()
}

fn deny_and_exit(reason: &str) -> ! {
    if answer(false, reason) {
        std::process::exit(0)
    }
    // Could not even write the JSON: exit 2 blocks the tool in every permission mode.
    eprintln!("assent: {reason}");
    std::process::exit(2)
}

pub fn run(loc: &Locations, cmd: HookCommand) -> Exit {
    let HookCommand::ClaudeCode {
        max_wait,
        principal,
        policy,
        worker,
    } = cmd;
    let started = Instant::now();
    if !worker {
        // A policy named on the command line is decided here, with that policy; otherwise a
        // configured server decides.
        if policy.is_none() {
            if let Some(remote) = Remote::configured(&loc.assent_home) {
                if principal.is_some() {
                    deny_and_exit(
                        "assent: a server is configured, and there the principal is the token's (ASSENT_TOKEN or $ASSENT_HOME/token): drop --principal; action not run",
                    );
                }
                crate::thin::relay(remote, max_wait);
            }
        }
        return supervise(loc, max_wait, principal, policy);
    }
    let max_wait = Duration::from_secs(max_wait.min(24 * 3600));
    // The watchdog answers deny if the main path has not answered in time.
    std::thread::spawn(move || {
        std::thread::sleep(max_wait + GRACE);
        deny_and_exit("assent: the hook ran out of time before a decision; action not run");
    });
    let loc = loc.clone();
    let result =
        std::panic::catch_unwind(move || decide(&loc, max_wait, started, principal, policy));
    match result {
        Ok(Ok(a)) => {
            if !answer_with(&a) {
                std::process::exit(2);
            }
        }
        Ok(Err(e)) => deny_and_exit(&format!("assent: {e:#}; action not run")),
        Err(_) => deny_and_exit("assent: internal error; action not run"),
    }
    Exit::Ok
}

/// Runs the decision in a child process and relays its answer; anything but one well-formed
/// answer from the child is a deny.
fn supervise(
    loc: &Locations,
    max_wait: u64,
    principal: Option<String>,
    policy: Option<std::path::PathBuf>,
) -> Exit {
    let wait = Duration::from_secs(max_wait.min(24 * 3600));
    std::thread::spawn(move || {
        std::thread::sleep(wait + GRACE);
        deny_and_exit("assent: the hook ran out of time before a decision; action not run");
    });
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().take(MAX_INPUT + 1).read_to_end(&mut input) {
        deny_and_exit(&format!(
            "assent: cannot read the hook input: {e}; action not run"
        ));
    }
    if input.len() as u64 > MAX_INPUT {
        deny_and_exit(&format!(
            "assent: hook input larger than {MAX_INPUT} bytes; action not run"
        ));
    }
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => deny_and_exit(&format!(
            "assent: cannot find its own binary: {e}; action not run"
        )),
    };
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--home")
        .arg(&loc.assent_home)
        .args(["hook", "claude-code", "--worker", "--max-wait"])
        .arg(max_wait.to_string());
    if let Some(p) = &principal {
        cmd.arg("--principal").arg(p);
    }
    if let Some(p) = &policy {
        cmd.arg("--policy").arg(p);
    }
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => deny_and_exit(&format!(
            "assent: cannot start the decision process: {e}; action not run"
        )),
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A child that dies before reading its input shows up below as a failed child.
        let _ = stdin.write_all(&input);
    }
    let output = match child.wait_with_output() {
        Ok(o) => o,
        Err(e) => deny_and_exit(&format!(
            "assent: the decision process failed: {e}; action not run"
        )),
    };
    let text = String::from_utf8_lossy(&output.stdout);
    // An allow counts only from a worker that also exited cleanly.
    match Answer::parse(&text).filter(|a| !a.allow || output.status.success()) {
        Some(a) => {
            if !answer_with(&a) {
                std::process::exit(2);
            }
            Exit::Ok
        }
        None => deny_and_exit(&format!(
            "assent: the decision process ended without a decision ({}); action not run",
            output.status
        )),
    }
}

/// The thin client's way in, before the command line is parsed by clap (building the whole
/// command tree costs more than the rest of the allow path): only for exactly
/// `[--home DIR] hook claude-code [--max-wait N]` (in any order clap accepts for these) with a
/// server configured. Anything else, including `--help`, `--policy`, `--principal` or a value
/// that does not parse, returns `None` and the ordinary parser takes over.
pub fn fast_path(args: &[std::ffi::OsString]) -> Option<Exit> {
    let mut home: Option<std::path::PathBuf> = None;
    let mut max_wait: Option<u64> = None;
    let mut words = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let a = a.to_str()?;
        if a == "--home" {
            home = Some(it.next()?.into());
        } else if let Some(h) = a.strip_prefix("--home=") {
            home = Some(h.into());
        } else if a == "--max-wait" && words.len() == 2 {
            max_wait = Some(it.next()?.to_str()?.parse().ok()?);
        } else if let (Some(n), 2) = (a.strip_prefix("--max-wait="), words.len()) {
            max_wait = Some(n.parse().ok()?);
        } else if a.starts_with('-') {
            return None;
        } else {
            words.push(a);
        }
    }
    if words != ["hook", "claude-code"] {
        return None;
    }
    let assent_home = crate::thin::assent_home(home)?;
    let remote = Remote::configured(&assent_home)?;
    crate::thin::relay(remote, max_wait.unwrap_or(DEFAULT_MAX_WAIT))
}

/// `--max-wait`'s default (see `HookCommand`).
pub(crate) const DEFAULT_MAX_WAIT: u64 = crate::thin::DEFAULT_MAX_WAIT;

fn decide(
    loc: &Locations,
    max_wait: Duration,
    started: Instant,
    principal: Option<String>,
    policy: Option<std::path::PathBuf>,
) -> anyhow::Result<Answer> {
    let mut input = String::new();
    std::io::stdin()
        .take(MAX_INPUT + 1)
        .read_to_string(&mut input)?;
    if input.len() as u64 > MAX_INPUT {
        anyhow::bail!("hook input larger than {MAX_INPUT} bytes");
    }
    let adapted = assent_adapters::from_json_line(input.trim())
        .map_err(|e| anyhow::anyhow!("invalid hook input: {e}"))?;
    let rt = super::runtime()?;
    rt.block_on(async {
        let gw = Gateway::open(loc, policy.as_deref())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let who = principal.unwrap_or_else(|| gw.policy().settings.local.agent.clone());
        respond(loc, &gw, &adapted, &who, max_wait, started).await
    })
}

/// The answer to one hook call by `who`: the decision, and for an `ask` the wait for a
/// person until `max_wait` after `started`.
async fn respond(
    loc: &Locations,
    gw: &Gateway,
    adapted: &assent_adapters::Adapted,
    who: &str,
    max_wait: Duration,
    started: Instant,
) -> anyhow::Result<Answer> {
    let p = match first_step(loc, gw, adapted, who).await? {
        HookStep::Answer(a) => return Ok(a),
        HookStep::Wait(p) => p,
    };
    let until =
        assent_gateway::now_ms() + max_wait.saturating_sub(started.elapsed()).as_millis() as i64;
    let end = gw
        .wait(&p, until)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (allow, reason) = match end {
        WaitEnd::Approved => (true, format!("assent: request {} approved", p.request_id)),
        WaitEnd::Denied(why) => (
            false,
            format!("assent: request {} denied: {why}", p.request_id),
        ),
        WaitEnd::Expired(why) => (false, format!("assent: request {} {why}", p.request_id)),
        WaitEnd::GaveUp => (
            false,
            format!(
                "assent: request {} was not answered within {}s; action not run",
                p.request_id,
                max_wait.as_secs()
            ),
        ),
        WaitEnd::TokenRefused(why) => (false, format!("assent: request {}: {why}", p.request_id)),
    };
    Ok(Answer::plain(allow, reason))
}

/// The decision for one hook call by `who`, with the sandbox rewrite of an allowed Bash
/// command; an `ask` leaves a request to wait on. Used in process (the worker) and by the
/// server's hook route (which waits its own way).
async fn first_step(
    loc: &Locations,
    gw: &Gateway,
    adapted: &assent_adapters::Adapted,
    who: &str,
) -> anyhow::Result<HookStep> {
    let requested = gw
        .decide(adapted, who)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let d = &requested.evaluation.decision;
    let answer = match requested.outcome {
        Outcome::Allowed { grant: None } => {
            let reason = format!("assent: allowed by rule `{}`: {}", d.rule(), d.reason);
            if !contained(adapted) {
                Answer::plain(true, reason)
            } else {
                match sandbox_input(loc, gw, adapted, &requested.evaluation) {
                    Ok(Some(updated)) => Answer {
                        allow: true,
                        reason: format!("{reason} (runs in the sandbox)"),
                        updated_input: Some(updated),
                    },
                    Ok(None) => Answer::plain(
                        true,
                        format!("{reason} (not sandboxed: the sandbox cannot start here)"),
                    ),
                    Err(e) => Answer::plain(
                        false,
                        format!(
                            "assent: allowed by rule `{}`, but its sandbox could not be prepared ({e}); action not run",
                            d.rule()
                        ),
                    ),
                }
            }
        }
        Outcome::Allowed { grant: Some(g) } => {
            Answer::plain(true, format!("assent: allowed by grant {g}"))
        }
        Outcome::Denied => Answer::plain(
            false,
            format!("assent: denied by rule `{}`: {}", d.rule(), d.reason),
        ),
        Outcome::Pending(p) => {
            eprintln!(
                "assent: request {} needs approval ({}): run `assent approve {}` or `assent deny {} --reason …`",
                p.request_id, d.reason, p.request_id, p.request_id
            );
            return Ok(HookStep::Wait(p));
        }
    };
    Ok(HookStep::Answer(answer))
}

/// The server's first step of hook calls: the same [`first_step`] as the in-process hook,
/// over the server's gateway, for the token's principal.
pub struct ServerHook {
    pub loc: Locations,
}

impl assent_server::routes::hook::HookResponder for ServerHook {
    fn decide(
        &self,
        gateway: std::sync::Arc<Gateway>,
        input: String,
        principal: String,
    ) -> assent_server::routes::hook::HookFuture {
        let loc = self.loc.clone();
        Box::pin(async move {
            let adapted = match assent_adapters::from_json_line(input.trim()) {
                Ok(a) => a,
                Err(e) => {
                    return HookStep::Answer(Answer::plain(
                        false,
                        format!("assent: invalid hook input: {e}; action not run"),
                    ))
                }
            };
            match first_step(&loc, &gateway, &adapted, &principal).await {
                Ok(step) => step,
                Err(e) => HookStep::Answer(Answer::plain(
                    false,
                    format!("assent: {e:#}; action not run"),
                )),
            }
        })
    }
}

/// Whether an allowed call runs in the sandbox: every Bash command the policy allowed (the
/// shipped policy allows only read-only ones), so that a wrong static verdict leaks nothing.
/// A command a person approved (or a grant allowed) runs as approved: the person saw it, and
/// it may need to write, which the read-only sandbox would break.
fn contained(adapted: &assent_adapters::Adapted) -> bool {
    adapted.action.tool == "Bash" && adapted.action.kind == assent_core::Kind::Shell
}

/// The Bash input rewritten to run the same command under `assent exec --sandbox`, with a
/// ticket so that exec neither decides nor asks again. `None` when the sandbox cannot start
/// on this machine (said once on stderr): the static verdict stands alone.
fn sandbox_input(
    loc: &Locations,
    gw: &Gateway,
    adapted: &assent_adapters::Adapted,
    eval: &assent_gateway::Evaluation,
) -> Result<Option<serde_json::Value>, String> {
    use crate::sandbox;
    let input = &adapted.action.input;
    let command = input
        .get("command")
        .and_then(|c| c.as_str())
        .ok_or("no command")?;
    if command.contains('\0') {
        return Err("the command holds a NUL byte".into());
    }
    if super::exec::probe(loc).is_err() {
        return Ok(None);
    }
    let cwd = adapted
        .action
        .cwd
        .as_deref()
        .ok_or("no working directory")?;
    // The network is on only when a rule allowed the command *by* its network facts: a
    // rule that allows every shell command (or every read-only one) says nothing about a
    // socket the analyser saw (`exec 3<>/dev/tcp/HOST/PORT`).
    let network = eval.facts.network && gw.policy().grants_network(&eval.decision);
    let cwd = std::path::Path::new(cwd);
    let (cache, salt) = super::exec::walk_cache(loc, &gw.policy().settings, cwd);
    let view = super::exec::view_for(
        gw.engine().analyzer(),
        cwd,
        &loc.home,
        network,
        Some((&cache, &salt)),
    )?;
    let bash = ["/bin/bash", "/usr/bin/bash"]
        .into_iter()
        .find(|b| std::path::Path::new(b).is_file())
        .ok_or("no /bin/bash")?;
    let argv = vec![bash.to_string(), "-c".to_string(), command.to_string()];
    let ticket = sandbox::Ticket {
        argv: argv.clone(),
        view,
        protected_env: gw.policy().settings.env.protected.clone(),
        expires_ms: assent_gateway::now_ms() + sandbox::TICKET_TTL_MS,
    };
    let id = sandbox::issue(
        &super::exec::tickets_dir(loc),
        &ticket,
        assent_gateway::now_ms(),
    )?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find its own binary: {e}"))?;
    let home = std::fs::canonicalize(&loc.assent_home)
        .map_err(|e| format!("cannot resolve Assent's home: {e}"))?;
    let mut words: Vec<String> = vec![
        exe.display().to_string(),
        "--home".into(),
        home.display().to_string(),
        "exec".into(),
        "--sandbox".into(),
        "--escape-output".into(),
        "--ticket".into(),
        id,
    ];
    if network {
        words.push("--allow-network".into());
    }
    words.push("--".into());
    words.extend(argv);
    let rewritten = words
        .iter()
        .map(|w| single_quote(w))
        .collect::<Vec<_>>()
        .join(" ");
    let mut updated = input.clone();
    match updated.as_object_mut() {
        Some(obj) => {
            obj.insert("command".into(), serde_json::Value::String(rewritten));
        }
        None => return Err("the tool input is not an object".into()),
    }
    Ok(Some(updated))
}

/// Quotes `w` as one word for any POSIX shell: inside single quotes nothing is special, and a
/// single quote is written as `'\''`.
fn single_quote(w: &str) -> String {
    format!("'{}'", w.replace('\'', "'\\''"))
}
