//! The approver's commands as a thin client of `assent serve` (`ASSENT_URL`, or the socket in
//! Assent's home): the same output as the local commands, from the server's `/v1` API. The
//! acting principal is the token's (ASSENT_TOKEN or `$ASSENT_HOME/token`); `--as NAME` only
//! checks it. When the server cannot be reached or refuses, nothing is approved, denied or
//! revoked, and the command fails saying why.

use super::approver::{parse_duration_ms, print_grants, print_pending, prompt, render, Choice};
use crate::cli::{Command, ListFormat};
use crate::exit::Exit;
use crate::remote::Remote;
use assent_gateway::{GrantView, RequestSummary, RequestView};
use serde_json::{json, Value};
use std::time::Duration;

/// Longest exchange for one approver call.
const WITHIN: Duration = Duration::from_secs(30);

pub fn run(remote: &Remote, cmd: Command) -> anyhow::Result<Exit> {
    let call = |method: &str, path: &str, body: Option<&Value>| {
        remote
            .json(method, path, body, WITHIN)
            .map_err(|e| anyhow::anyhow!("{e}"))
    };
    match cmd {
        Command::Pending(args) => {
            print_pending(&pending(remote)?, args.format)?;
            Ok(Exit::Ok)
        }
        Command::Show { id, format } => {
            let v = call("GET", &format!("/v1/requests/{id}"), None)?;
            let r: RequestView = parsed(remote, v)?;
            if format == ListFormat::Json {
                println!("{}", serde_json::to_string(&r)?);
            } else {
                print!("{}", render(&r));
            }
            Ok(Exit::Ok)
        }
        Command::Approve {
            id,
            reason,
            grant,
            as_,
        } => {
            // Checked here as the local command checks it, then sent in the server's words.
            let period = match grant.as_deref() {
                None => None,
                Some("session") => Some("session".to_string()),
                Some(d) => Some(format!("{}s", parse_duration_ms(d)? / 1000)),
            };
            check_claim(remote, as_.as_deref())?;
            let v = call(
                "POST",
                &format!("/v1/requests/{id}/approve"),
                Some(&json!({"reason": reason, "for": period})),
            )
            .map_err(|e| anyhow::anyhow!("{e:#}; request {id} not approved"))?;
            println!("request {id}: {}", describe(&v));
            Ok(Exit::Ok)
        }
        Command::Deny { id, reason, as_ } => {
            check_claim(remote, as_.as_deref())?;
            call(
                "POST",
                &format!("/v1/requests/{id}/deny"),
                Some(&json!({ "reason": reason })),
            )
            .map_err(|e| anyhow::anyhow!("{e:#}; request {id} not denied"))?;
            println!("request {id}: denied");
            Ok(Exit::Ok)
        }
        Command::Grants { all, format } => {
            let v = call("GET", &format!("/v1/grants?all={all}"), None)?;
            let rows: Vec<GrantView> =
                parsed(remote, v.get("grants").cloned().unwrap_or(Value::Null))?;
            print_grants(&rows, format)?;
            Ok(Exit::Ok)
        }
        Command::Revoke { grant, as_ } => {
            check_claim(remote, as_.as_deref())?;
            call("POST", &format!("/v1/grants/{grant}/revoke"), None)
                .map_err(|e| anyhow::anyhow!("{e:#}; grant {grant} not revoked"))?;
            println!("grant {grant}: revoked");
            Ok(Exit::Ok)
        }
        Command::Watch { as_ } => {
            let me = check_claim(remote, as_.as_deref())?;
            watch(remote, &me)
        }
        _ => anyhow::bail!("not an approver command"),
    }
}

/// The pending requests, oldest first.
fn pending(remote: &Remote) -> anyhow::Result<Vec<RequestSummary>> {
    let v = remote
        .json("GET", "/v1/requests", None, WITHIN)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    parsed(remote, v.get("requests").cloned().unwrap_or(Value::Null))
}

fn parsed<T: serde::de::DeserializeOwned>(remote: &Remote, v: Value) -> anyhow::Result<T> {
    serde_json::from_value(v)
        .map_err(|e| anyhow::anyhow!("{} answered garbage ({e})", remote.describe()))
}

/// The token's principal, as the server sees it. `--as NAME` must name it: a name never
/// chooses who acts.
fn check_claim(remote: &Remote, claimed: Option<&str>) -> anyhow::Result<String> {
    let v = remote
        .json("GET", "/v1/principals", None, WITHIN)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let you = v
        .get("you")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow::anyhow!("{} did not say who the token is", remote.describe()))?
        .to_string();
    match claimed {
        Some(name) if name != you => anyhow::bail!(
            "--as {} does not match the token's principal `{}`; nothing done",
            assent_core::text::escape_line(name),
            assent_core::text::escape_line(&you)
        ),
        _ => Ok(you),
    }
}

/// The server's answer to an approval, in the local command's words.
fn describe(v: &Value) -> String {
    let n = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
    match v.get("outcome").and_then(Value::as_str) {
        Some("counted") => format!(
            "approval recorded ({} of {}); waiting for more approvers",
            n("have"),
            n("need")
        ),
        Some("approved") => "approved; the waiting agent is released".into(),
        Some("denied") => "denied".into(),
        _ => format!(
            "now {}",
            assent_core::text::escape_line(v.get("state").and_then(Value::as_str).unwrap_or("?"))
        ),
    }
}

fn watch(remote: &Remote, me: &str) -> anyhow::Result<Exit> {
    let mut seen = std::collections::HashSet::new();
    eprintln!(
        "assent: watching {} for requests as `{}` (Ctrl-C to stop)",
        remote.describe(),
        assent_core::text::escape_line(me)
    );
    loop {
        for summary in pending(remote)? {
            if !seen.insert(summary.id) {
                continue;
            }
            let id = summary.id;
            let r: RequestView =
                match remote.json("GET", &format!("/v1/requests/{id}"), None, WITHIN) {
                    Ok(v) => parsed(remote, v)?,
                    // Decided or gone in the meantime.
                    Err(_) => continue,
                };
            print!("\n{}", render(&r));
            match prompt()? {
                Choice::Approve => match remote.json(
                    "POST",
                    &format!("/v1/requests/{id}/approve"),
                    Some(&json!({"reason": "approved in assent watch"})),
                    WITHIN,
                ) {
                    Ok(v) => println!("request {id}: {}", describe(&v)),
                    Err(e) => println!("request {id}: not approved: {e}"),
                },
                Choice::Deny(reason) => match remote.json(
                    "POST",
                    &format!("/v1/requests/{id}/deny"),
                    Some(&json!({ "reason": reason })),
                    WITHIN,
                ) {
                    Ok(_) => println!("request {id}: denied"),
                    Err(e) => println!("request {id}: not denied: {e}"),
                },
                Choice::Skip => {}
                Choice::End => return Ok(Exit::Ok),
            }
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}
