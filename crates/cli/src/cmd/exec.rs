//! `assent exec -- CMD ARGS…`: run a command only once policy or a person allows it, with
//! protected variables and credential-looking values removed from its environment, and
//! report how it went to the audit log.

use crate::cli::ExecArgs;
use crate::exit::Exit;
use crate::sandbox;
use assent_core::{Action, Kind};
use assent_gateway::{Gateway, Locations, Outcome, WaitEnd};
use serde_json::json;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Quotes one word for a POSIX shell, so the analyzer sees exactly this argv.
fn shell_quote(w: &str) -> String {
    if !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
    {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

pub fn run(loc: &Locations, args: ExecArgs) -> anyhow::Result<Exit> {
    if let Some(id) = args.ticket.clone() {
        return run_ticket(loc, &args, &id);
    }
    let kind: Kind = args.kind.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let cwd_path = std::env::current_dir()?;
    let cwd = cwd_path.display().to_string();
    // Decide on the program that will really run: resolved through PATH now, and run by
    // that absolute path later. `ls` found in `./bin` is not the system's `ls`.
    let Some((name, rest)) = args.argv.split_first() else {
        anyhow::bail!("no command given; nothing run");
    };
    let program = resolve_program(name, &cwd_path)
        .ok_or_else(|| anyhow::anyhow!("`{name}` not found or not executable; command not run"))?;
    let argv: Vec<String> = std::iter::once(program.display().to_string())
        .chain(rest.iter().cloned())
        .collect();
    let command = argv
        .iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ");
    let action = Action {
        tool: "exec".into(),
        kind,
        input: if kind == Kind::Shell {
            json!({"command": command})
        } else {
            json!({"argv": argv})
        },
        cwd: Some(cwd),
        session: Some(
            std::env::var("ASSENT_SESSION")
                .unwrap_or_else(|_| format!("exec-{}", std::process::id())),
        ),
        summary: None,
    };
    action.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
    let adapted = assent_adapters::Adapted {
        action,
        subagent: None,
        hook_event: None,
        permission_mode: None,
    };
    if let Some(remote) = crate::remote::Remote::configured(&loc.assent_home) {
        return through_server(
            loc,
            &args,
            remote,
            &adapted.action,
            &cwd_path,
            &program,
            rest,
        );
    }
    let rt = super::runtime()?;
    rt.block_on(async move {
        let gw = Gateway::open(loc, None).await.map_err(|e| anyhow::anyhow!("{e}; command not run"))?;
        let who = args.principal.clone().unwrap_or_else(|| gw.policy().settings.local.agent.clone());
        let requested = gw.decide(&adapted, &who).await.map_err(|e| anyhow::anyhow!("{e}; command not run"))?;
        let d = requested.evaluation.decision.clone();
        let request_id = match requested.outcome {
            Outcome::Allowed { .. } => None,
            Outcome::Denied => {
                eprintln!("assent: denied by rule `{}`: {}; command not run", d.rule(), d.reason);
                return Ok(Exit::Denied);
            }
            Outcome::Pending(p) => {
                eprintln!("assent: request {} needs approval ({}): `assent approve {}`", p.request_id, d.reason, p.request_id);
                let until = assent_gateway::now_ms() + (args.max_wait as i64) * 1000;
                match gw.wait(&p, until).await.map_err(|e| anyhow::anyhow!("{e}; command not run"))? {
                    WaitEnd::Approved => Some(p.request_id),
                    WaitEnd::Denied(why) => {
                        eprintln!("assent: request {} denied: {why}; command not run", p.request_id);
                        return Ok(Exit::Denied);
                    }
                    WaitEnd::TokenRefused(why) => {
                        eprintln!("assent: request {}: {why}; command not run", p.request_id);
                        return Ok(Exit::Denied);
                    }
                    WaitEnd::Expired(why) => {
                        eprintln!("assent: request {} {why}; command not run", p.request_id);
                        return Ok(Exit::TimedOut);
                    }
                    WaitEnd::GaveUp => {
                        eprintln!("assent: request {} not answered within {}s; command not run", p.request_id, args.max_wait);
                        return Ok(Exit::TimedOut);
                    }
                }
            }
        };
        let matcher = assent_analyze_env(&gw);
        let env = scrubbed_env(&matcher, &args.keep_env);
        let mut sandboxed = None;
        if args.sandbox {
            // When it cannot start, `probe` says so once; policy or a person already allowed
            // this command, so it runs on that verdict alone.
            if probe(loc).is_ok() {
                let (cache, salt) = walk_cache(loc, &gw.policy().settings, &cwd_path);
                // `--allow-network` is honoured when a person approved this command or a
                // rule allowed it by its network facts, never merely because it was allowed.
                let network = args.allow_network
                    && (request_id.is_some() || gw.policy().grants_network(&requested.evaluation.decision));
                let view = view_for(gw.engine().analyzer(), &cwd_path, &loc.home, network, Some((&cache, &salt)))
                    .map_err(|e| anyhow::anyhow!("cannot build the sandbox: {e}; command not run"))?;
                let bwrap = sandbox::bwrap()
                    .ok_or_else(|| anyhow::anyhow!("bubblewrap is not installed; command not run"))?;
                let env = sandbox_env(env.clone(), &view);
                sandboxed = Some(sandbox::command(&bwrap, &view, &argv, &env));
            }
        }
        let cmd = match sandboxed {
            Some(c) => c,
            None => {
                let mut c = std::process::Command::new(&program);
                c.args(rest).env_clear().envs(env.iter().map(|(k, v)| (k, v)));
                c
            }
        };
        let started = Instant::now();
        let status = sandbox::run(cmd, args.escape_output);
        let ms = started.elapsed().as_millis() as i64;
        let (ok, code, detail) = match &status {
            Ok(s) => (s.success(), s.code(), json!({"exit": s.code(), "signal": std::os::unix::process::ExitStatusExt::signal(s), "duration_ms": ms})),
            Err(e) => (false, None, json!({"error": e.to_string(), "duration_ms": ms})),
        };
        let reported = match request_id {
            Some(id) => gw.report_execution(id, ok, detail).await,
            None => gw.record_execution(&requested.evaluation, ok, detail).await,
        };
        if let Err(e) = reported {
            eprintln!("assent: the command ran but its result could not be recorded: {e}");
        }
        match status {
            Ok(s) => Ok(match code {
                Some(c) => exit_with(c),
                None => exit_with(128 + std::os::unix::process::ExitStatusExt::signal(&s).unwrap_or(0)),
            }),
            Err(e) => anyhow::bail!("could not start `{name}`: {e}"),
        }
    })
}

/// `exec` as a thin client: the server decides (and for an ask, waits for a person and hands
/// back the single-use approval); the command then runs here, with the environment scrubbed
/// by the protected-variable list of the local policy files. Anything but an allow, or an
/// approval redeemed in the wait, means the command does not run.
fn through_server(
    loc: &Locations,
    args: &ExecArgs,
    remote: Result<crate::remote::Remote, String>,
    action: &Action,
    cwd: &Path,
    program: &Path,
    rest: &[String],
) -> anyhow::Result<Exit> {
    let denied = |why: &str| -> anyhow::Result<Exit> {
        eprintln!("assent: {why}; command not run");
        Ok(Exit::Denied)
    };
    let remote = match remote {
        Ok(r) => r,
        Err(e) => return denied(&e),
    };
    if args.principal.is_some() {
        return denied("with a server, the principal is the token's: drop --principal");
    }
    let body = json!({ "action": action });
    let v = match remote.json(
        "POST",
        "/v1/decide",
        Some(&body),
        std::time::Duration::from_secs(30),
    ) {
        Ok(v) => v,
        Err(e) => return denied(&e),
    };
    let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let approved = match field("decision").as_str() {
        "allow" => false,
        "deny" => {
            return denied(&format!(
                "denied by rule `{}`: {}",
                field("rule"),
                assent_core::text::escape_line(&field("reason"))
            ))
        }
        "ask" => {
            let (Some(id), Some(secret)) = (
                v.get("request_id").and_then(|x| x.as_i64()),
                v.get("wait_secret").and_then(|x| x.as_str()),
            ) else {
                return denied(&format!(
                    "{} answered ask without a request",
                    remote.describe()
                ));
            };
            eprintln!(
                "assent: request {id} needs approval ({}): `assent approve {id}`",
                assent_core::text::escape_line(&field("reason"))
            );
            let wait = std::time::Duration::from_secs(args.max_wait.min(24 * 3600));
            let w = match remote.json(
                "POST",
                &format!("/v1/requests/{id}/wait"),
                Some(&json!({"wait_secret": secret, "timeout_ms": wait.as_millis() as i64})),
                wait + std::time::Duration::from_secs(5),
            ) {
                Ok(w) => w,
                Err(e) => return denied(&format!("request {id}: {e}")),
            };
            let state = w.get("state").and_then(|x| x.as_str()).unwrap_or("");
            let why = w.get("reason").and_then(|x| x.as_str()).unwrap_or("");
            if w.get("redeemed").and_then(|x| x.as_bool()) != Some(true) {
                let why = assent_core::text::escape_line(why);
                return match state {
                    "expired" | "cancelled" => {
                        eprintln!("assent: request {id} {state} ({why}); command not run");
                        Ok(Exit::TimedOut)
                    }
                    _ => denied(&format!("request {id} {state}: {why}")),
                };
            }
            true
        }
        _ => return denied(&format!("{} answered garbage", remote.describe())),
    };
    // What to scrub and hide is read from the local policy files (the settings only matter
    // here; the decision was the server's).
    let engine = assent_gateway::policy_source(&loc.assent_home, None)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .and_then(|src| assent_policy::Policy::load(src, 0).map_err(|e| anyhow::anyhow!("{e}")))
        .and_then(|p| assent_gateway::Engine::new(p, loc).map_err(|e| anyhow::anyhow!("{e}")));
    let engine = match engine {
        Ok(e) => e,
        Err(e) => return denied(&format!("cannot read the local policy settings: {e}")),
    };
    let m = assent_gateway::EnvMatcher::new(&engine.policy.settings.env.protected);
    let env = scrubbed_env(&|k: &str| m.is_protected(k), &args.keep_env);
    let mut cmd = std::process::Command::new(program);
    cmd.args(rest)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)));
    if args.sandbox && probe(loc).is_ok() {
        // The network only for a command a person approved (the server's rule is not known here).
        let network = args.allow_network && approved;
        let (cache, salt) = walk_cache(loc, &engine.policy.settings, cwd);
        let view = match view_for(
            engine.analyzer(),
            cwd,
            &loc.home,
            network,
            Some((&cache, &salt)),
        ) {
            Ok(v) => v,
            Err(e) => return denied(&format!("cannot build the sandbox: {e}")),
        };
        let Some(bwrap) = sandbox::bwrap() else {
            return denied("bubblewrap is not installed");
        };
        let argv: Vec<String> = std::iter::once(program.display().to_string())
            .chain(rest.iter().cloned())
            .collect();
        cmd = sandbox::command(&bwrap, &view, &argv, &sandbox_env(env, &view));
    }
    match sandbox::run(cmd, args.escape_output) {
        Ok(s) => Ok(exit_status(s)),
        Err(e) => anyhow::bail!("could not start `{}`: {e}", program.display()),
    }
}

/// Runs a command the hook already allowed, in the sandbox the hook described: nothing is
/// decided again, nothing is asked again, and nothing but the exact command and working
/// directory the ticket names can use it.
fn run_ticket(loc: &Locations, args: &ExecArgs, id: &str) -> anyhow::Result<Exit> {
    let refuse = |why: &str| -> anyhow::Result<Exit> {
        eprintln!("assent: {why}; command not run");
        Ok(Exit::Denied)
    };
    if !args.sandbox || !args.keep_env.is_empty() {
        return refuse("a sandbox ticket is used with --sandbox and without --keep-env only");
    }
    let ticket = match sandbox::redeem(&tickets_dir(loc), id, assent_gateway::now_ms()) {
        Ok(t) => t,
        Err(e) => return refuse(&e),
    };
    if ticket.argv != args.argv {
        return refuse("the sandbox ticket is for another command");
    }
    if ticket.view.allow_network != args.allow_network {
        return refuse("the sandbox ticket is for another network setting");
    }
    let here = std::env::current_dir().and_then(std::fs::canonicalize);
    if here.as_ref().ok() != Some(&ticket.view.cwd) {
        return refuse("the sandbox ticket is for another working directory");
    }
    let Some(bwrap) = sandbox::bwrap() else {
        return refuse("bubblewrap is not installed, so the sandbox cannot start");
    };
    let m = assent_gateway::EnvMatcher::new(&ticket.protected_env);
    let env = sandbox_env(
        scrubbed_env(&|k: &str| m.is_protected(k), &[]),
        &ticket.view,
    );
    let cmd = sandbox::command(&bwrap, &ticket.view, &ticket.argv, &env);
    match sandbox::run(cmd, args.escape_output) {
        Ok(s) => Ok(exit_status(s)),
        Err(e) => refuse(&format!("cannot start bubblewrap: {e}")),
    }
}

fn exit_status(s: std::process::ExitStatus) -> Exit {
    match s.code() {
        Some(c) => exit_with(c),
        None => exit_with(128 + std::os::unix::process::ExitStatusExt::signal(&s).unwrap_or(0)),
    }
}

/// Where the sandbox keeps its probe result and the hook's tickets (inside Assent's home,
/// which the agent cannot change).
pub(crate) fn sandbox_dir(loc: &Locations) -> PathBuf {
    loc.assent_home.join("sandbox")
}

pub(crate) fn tickets_dir(loc: &Locations) -> PathBuf {
    sandbox_dir(loc).join("tickets")
}

/// Whether the sandbox can start; says why not once (when first measured).
pub(crate) fn probe(loc: &Locations) -> Result<(), String> {
    let p = sandbox::probe(&sandbox_dir(loc).join("probe.json"));
    if let Err(why) = &p.ok {
        if p.fresh {
            eprintln!(
                "assent: the sandbox cannot start on this machine ({why}); allowed commands run \
                 unsandboxed, on the static verdict alone. Install bubblewrap and enable \
                 unprivileged user namespaces to contain them."
            );
        }
    }
    p.ok
}

/// The sandbox's view for a command run in `cwd`: the workspace roots the analyser judges
/// against, with every secret and guard path in them masked.
pub(crate) fn view_for(
    analyzer: &assent_analyze::Analyzer,
    cwd: &Path,
    home: &Path,
    allow_network: bool,
    cache: Option<(&Path, &str)>,
) -> Result<sandbox::View, String> {
    let cwd = std::fs::canonicalize(cwd)
        .map_err(|e| format!("cannot resolve the working directory: {e}"))?;
    let roots = analyzer.workspace_roots(&cwd.display().to_string());
    let hidden = |p: &Path| analyzer.names_secret(p) || analyzer.names_guard(p);
    sandbox::View::build(&roots, &cwd, home, allow_network, &hidden, cache)
}

/// Where the workspace walk keeps its directory verdicts for `roots`, and the salt that ties
/// them to what decides "hidden": this binary (its built-in patterns) and the settings.
pub(crate) fn walk_cache(
    loc: &Locations,
    settings: &impl std::fmt::Debug,
    cwd: &Path,
) -> (PathBuf, String) {
    use sha2::{Digest, Sha256};
    use std::os::unix::fs::MetadataExt;
    let exe = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| format!("{}:{}:{}:{}", m.dev(), m.ino(), m.size(), m.mtime_nsec()))
        .unwrap_or_default();
    let salt = hex::encode(Sha256::digest(
        format!("{exe}|{loc:?}|{settings:?}").as_bytes(),
    ));
    let key = hex::encode(Sha256::digest(cwd.as_os_str().as_encoded_bytes()));
    let name = format!("walk-{}.json", key.get(..16).unwrap_or(&key));
    (sandbox_dir(loc).join(name), salt)
}

/// The environment for the command: every variable except protected ones, ones whose value
/// looks like a credential or holds a protected value, and ones whose name is not UTF-8.
fn scrubbed_env(is_protected: &dyn Fn(&str) -> bool, keep: &[String]) -> Vec<(String, OsString)> {
    // Values of protected variables, to catch them under other names (`npm_config_port`).
    let protected_values: Vec<String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, v)| {
            is_protected(k) && v.chars().count() >= assent_core::redact::MIN_SECRET_LEN
        })
        .map(|(_, v)| v)
        .collect();
    std::env::vars_os()
        .filter_map(|(k, v)| {
            let k = k.into_string().ok()?;
            let text = v.to_string_lossy();
            let looks_secret = assent_core::redact::redact_shapes(&text) != text
                || protected_values.iter().any(|p| text.contains(p.as_str()));
            let drop = (is_protected(&k) || looks_secret) && !keep.contains(&k);
            (!drop).then_some((k, v))
        })
        .collect()
}

/// The scrubbed environment adjusted to the sandbox: its working directory, its own /tmp.
fn sandbox_env(mut env: Vec<(String, OsString)>, view: &sandbox::View) -> Vec<(String, OsString)> {
    env.retain(|(k, _)| k != "PWD" && k != "OLDPWD" && k != "TMPDIR");
    env.push(("PWD".into(), view.cwd.clone().into_os_string()));
    env.push(("HOME".into(), view.home.clone().into_os_string()));
    env
}

fn assent_analyze_env(gw: &Gateway) -> impl Fn(&str) -> bool {
    let m = assent_gateway::EnvMatcher::new(&gw.policy().settings.env.protected);
    move |k| m.is_protected(k)
}

/// Finds the file a shell would run for `name`: a path as given (made absolute), or the first
/// executable file named so in `PATH`.
fn resolve_program(name: &str, cwd: &std::path::Path) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &std::path::Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if name.contains('/') {
        let p = cwd.join(name);
        return executable(&p).then(|| std::fs::canonicalize(&p).unwrap_or(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| if d.is_absolute() { d } else { cwd.join(d) })
        .map(|d| d.join(name))
        .find(|p| executable(p))
}

/// The child's own exit status becomes ours.
fn exit_with(code: i32) -> Exit {
    std::process::exit(code)
}
