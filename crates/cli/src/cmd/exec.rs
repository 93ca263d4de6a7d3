//! `assent exec -- CMD ARGS…`: run a command only once policy or a person allows it, with
//! protected variables and credential-looking values removed from its environment, and
//! report how it went to the audit log.

use crate::cli::ExecArgs;
use crate::exit::Exit;
use assent_core::{Action, Kind};
use assent_gateway::{Gateway, Locations, Outcome, WaitEnd};
use serde_json::json;
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
    let kind: Kind = args.kind.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let cwd_path = std::env::current_dir()?;
    let cwd = cwd_path.display().to_string();
    // Decide on the program that will really run: resolved through PATH now, and run by
    // that absolute path later. `ls` found in `./bin` is not the system's `ls`.
    let program = resolve_program(&args.argv[0], &cwd_path).ok_or_else(|| {
        anyhow::anyhow!(
            "`{}` not found or not executable; command not run",
            args.argv[0]
        )
    })?;
    let mut argv = args.argv.clone();
    argv[0] = program.display().to_string();
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
                let mut cmd = std::process::Command::new(&argv[0]);
        cmd.args(&argv[1..]);
        // Values of protected variables, to catch them under other names (`npm_config_port`).
        let protected_values: Vec<String> = std::env::vars()
            .filter(|(k, v)| matcher(k) && v.chars().count() >= assent_core::redact::MIN_SECRET_LEN)
            .map(|(_, v)| v)
            .collect();
        for (k, v) in std::env::vars_os() {
            let (Some(k), v) = (k.to_str(), v.to_string_lossy()) else { continue };
                        let looks_secret = assent_core::redact::redact_shapes(&v) != v || protected_values.iter().any(|p| v.contains(p.as_str()));
            if (matcher(k) || looks_secret) && !args.keep_env.iter().any(|keep| keep == k) {
                cmd.env_remove(k);
            }
        }
        let started = Instant::now();
        let status = cmd.status();
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
            Err(e) => anyhow::bail!("could not start `{}`: {e}", args.argv[0]),
        }
    })
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
