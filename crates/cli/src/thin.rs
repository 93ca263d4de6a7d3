//! The hook as a thin client of `assent serve`: read the hook input, send it to
//! `POST /v1/hook/claude-code`, print the answer the server made after checking that it is
//! one well-formed answer. Shared by `assent hook claude-code` (when a server is configured)
//! and the small `assent-hook` binary, whose whole start-up is this path.
//!
//! Never: decide anything, parse policy, build a regex, start a runtime. Every failure (no
//! server, no token, a refusal, a malformed answer, the connection cut while a person
//! decides, our own deadline) prints a deny, and if even that cannot be written, exits 2
//! (which blocks the tool in every permission mode).

use crate::remote::Remote;
use serde_json::Value;
use std::io::{Read, Write};
use std::time::Duration;

/// Largest hook input read.
pub const MAX_INPUT: u64 = 8 * 1024 * 1024;
/// Time kept back after the wait for a person, for the answer itself.
pub const GRACE: Duration = Duration::from_secs(3);
/// `--max-wait`'s default: Claude Code's hook timeout is 300 s.
pub const DEFAULT_MAX_WAIT: u64 = 290;
/// Longest wait accepted.
const MAX_WAIT_CAP: u64 = 24 * 3600;

/// The deny answer as one JSON line (as `assent_adapters::HookAnswer::to_line` writes it): the
/// reason with hidden characters escaped and credential shapes redacted.
pub fn deny_line(reason: &str) -> String {
    let reason = assent_core::redact::redact_shapes(&assent_core::text::escape_line(reason));
    serde_json::json!({
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": reason,
        }
    })
    .to_string()
}

/// Prints `line` and a newline on stdout; false if it could not be written.
fn print_line(line: &str) -> bool {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}").is_ok() && stdout.flush().is_ok()
}

/// Prints a deny and exits (0: Claude Code reads the JSON; 2 if it could not be written).
pub fn deny_and_exit(reason: &str) -> ! {
    if print_line(&deny_line(reason)) {
        std::process::exit(0)
    }
    eprintln!("assent: {reason}");
    std::process::exit(2)
}

/// Whether `text` is exactly one hook answer the client may relay: one line holding one JSON
/// object whose `hookSpecificOutput.permissionDecision` is `allow` or `deny`, and whose
/// `updatedInput`, if any, is an object. Returns whether it allows. (The same rule as
/// `assent_adapters::HookAnswer::parse`, without its dependencies.)
pub fn check_answer(text: &str) -> Option<bool> {
    let line = text.strip_suffix('\n').unwrap_or(text);
    if line.contains('\n') {
        return None;
    }
    let v: Value = serde_json::from_str(line).ok()?;
    let out = v.get("hookSpecificOutput")?;
    match out.get("permissionDecision").and_then(Value::as_str)? {
        "allow" => {
            if out.get("updatedInput").is_some_and(|u| !u.is_object()) {
                return None;
            }
            Some(true)
        }
        "deny" => Some(false),
        _ => None,
    }
}

/// What the server's reply body says to print and exit with, if it is well formed: the
/// stdout is one answer, and an allow comes only with exit status 0 (a deny with 0 or 2).
pub fn check_reply(body: &[u8]) -> Option<(String, i32)> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let stdout = v.get("stdout")?.as_str()?;
    let code = i32::try_from(v.get("exit_code")?.as_i64()?).ok()?;
    let allow = check_answer(stdout)?;
    (code == 0 || (!allow && code == 2)).then(|| (stdout.trim_end_matches('\n').to_string(), code))
}

/// Reads the hook input from stdin, asks the server, prints its answer and exits with its
/// status. Anything but a well-formed answer is a deny.
pub fn relay(remote: Result<Remote, String>, max_wait: u64) -> ! {
    let remote = match remote {
        Ok(r) => r,
        Err(e) => deny_and_exit(&format!("assent: {e}; action not run")),
    };
    let wait = Duration::from_secs(max_wait.min(MAX_WAIT_CAP));
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
    let path = format!("/v1/hook/claude-code?max_wait={}", wait.as_secs());
    let response = match remote.request("POST", &path, Some(&input), wait + GRACE) {
        Ok(r) => r,
        Err(e) => deny_and_exit(&format!("assent: {e}; action not run")),
    };
    if response.status != 200 {
        deny_and_exit(&format!(
            "assent: {} refused the hook call ({}: {}); action not run",
            remote.describe(),
            response.status,
            crate::remote::problem_detail(&response.body)
        ));
    }
    match check_reply(&response.body) {
        Some((stdout, code)) => {
            // Printed as the server wrote it (already escaped and redacted there).
            if !print_line(&stdout) {
                std::process::exit(2);
            }
            std::process::exit(code)
        }
        None => deny_and_exit(&format!(
            "assent: {} answered garbage; action not run",
            remote.describe()
        )),
    }
}

/// Where Assent's home is, as `Locations::from_env` finds it: `--home`, else `$ASSENT_HOME`,
/// else `~/.assent`; made absolute. `None` when none of them is known.
pub fn assent_home(home: Option<std::path::PathBuf>) -> Option<std::path::PathBuf> {
    let h = home
        .or_else(|| std::env::var_os("ASSENT_HOME").map(Into::into))
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".assent"))
        })?;
    Some(std::path::absolute(&h).unwrap_or(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_checked_as_the_adapter_checks_them() {
        let allow = r#"{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"allow","permissionDecisionReason":"ok","updatedInput":{"command":"ls"}}}"#;
        assert_eq!(check_answer(allow), Some(true));
        assert_eq!(check_answer(&format!("{allow}\n")), Some(true));
        assert_eq!(check_answer(&deny_line("no")), Some(false));
        for bad in [
            "",
            "garbage",
            "{}",
            r#"{"hookSpecificOutput":{"permissionDecision":"ask"}}"#,
            r#"{"hookSpecificOutput":{"permissionDecision":"allow","updatedInput":"rm -rf /"}}"#,
            "{\"hookSpecificOutput\":{\"permissionDecision\":\"allow\"}}\n{}",
        ] {
            assert_eq!(check_answer(bad), None, "{bad}");
        }
    }

    #[test]
    fn replies_allow_only_with_exit_zero() {
        let allow = r#"{"hookSpecificOutput":{"permissionDecision":"allow"}}"#;
        let reply = |stdout: &str, code: i64| {
            serde_json::json!({"stdout": format!("{stdout}\n"), "exit_code": code}).to_string()
        };
        assert_eq!(
            check_reply(reply(allow, 0).as_bytes()),
            Some((allow.to_string(), 0))
        );
        assert_eq!(check_reply(reply(allow, 2).as_bytes()), None);
        assert_eq!(check_reply(reply(allow, 1).as_bytes()), None);
        let deny = deny_line("no");
        assert_eq!(check_reply(reply(&deny, 2).as_bytes()), Some((deny, 2)));
        assert_eq!(check_reply(b"{\"exit_code\":0}"), None);
        assert_eq!(check_reply(b"allow"), None);
    }

    #[test]
    fn the_deny_line_matches_the_adapters_and_escapes() {
        let reason = "no \u{1b}[31m ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
        assert_eq!(
            deny_line(reason),
            assent_adapters::HookAnswer::plain(false, reason).to_line()
        );
    }
}
