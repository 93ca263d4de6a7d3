//! `assent-hook`: Claude Code's PreToolUse hook, as small as a process can be.
//!
//! `assent-hook [--home DIR] [claude-code] [--max-wait SECONDS]`
//!
//! With a server configured (`ASSENT_URL`, or the socket `$ASSENT_HOME/assent.sock`), it sends
//! the hook input to the server and prints the server's answer (`assent_client::thin`). It
//! links std, serde_json and assent-core only: no runtime, no policy, no store, no command-line
//! parser, so that it starts in about the time of a bare process (the `assent` binary's
//! start-up, 29 MB and 35,000 relocations, was most of the old hook's cost).
//!
//! Without a server, it replaces itself (`execve`) with `assent hook claude-code` from its
//! own directory, which decides in process exactly as before; the input is still unread on
//! stdin. Every error (a bad argument, no `assent` beside it, no server, a refused token, a
//! timeout, a malformed answer, the server gone while a person decides) is a deny, with the
//! reason on the JSON answer.

use assent_client::remote::Remote;
use assent_client::thin;
use std::ffi::OsString;
use std::path::PathBuf;

const USAGE: &str = "usage: assent-hook [--home DIR] [claude-code] [--max-wait SECONDS]\n\
Claude Code's PreToolUse hook: reads the hook input on stdin, prints one JSON answer.\n\
Through `assent serve` when one is configured (ASSENT_URL, or the socket in Assent's home;\n\
the token in ASSENT_TOKEN or $ASSENT_HOME/token), else `assent hook claude-code` beside it.\n";

struct Args {
    home: Option<PathBuf>,
    max_wait: u64,
}

fn parse(args: Vec<OsString>) -> Result<Args, String> {
    let mut home = None;
    let mut max_wait = thin::DEFAULT_MAX_WAIT;
    let mut adapter_seen = false;
    let mut it = args.into_iter();
    let number = |v: Option<&str>| -> Result<u64, String> {
        v.and_then(|n| n.parse().ok())
            .ok_or_else(|| "--max-wait needs a number of seconds".to_string())
    };
    while let Some(a) = it.next() {
        let text = a.to_str().ok_or("an argument is not UTF-8")?.to_string();
        match text.as_str() {
            "--home" => home = Some(PathBuf::from(it.next().ok_or("--home needs a directory")?)),
            "--max-wait" => max_wait = number(it.next().as_ref().and_then(|v| v.to_str()))?,
            "claude-code" if !adapter_seen => adapter_seen = true,
            _ => {
                if let Some(h) = text.strip_prefix("--home=") {
                    home = Some(PathBuf::from(h));
                } else if let Some(n) = text.strip_prefix("--max-wait=") {
                    max_wait = number(Some(n))?;
                } else {
                    return Err(format!("unknown argument `{text}`"));
                }
            }
        }
    }
    Ok(Args { home, max_wait })
}

fn main() {
    let raw: Vec<OsString> = std::env::args_os().skip(1).collect();
    if raw.iter().any(|a| a == "--help" || a == "-h") {
        print!("{USAGE}");
        return;
    }
    if raw.iter().any(|a| a == "--version" || a == "-V") {
        println!("assent-hook {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    let args = match parse(raw) {
        Ok(a) => a,
        Err(e) => thin::deny_and_exit(&format!(
            "assent-hook: {e} ({}); action not run",
            USAGE.lines().next().unwrap_or_default()
        )),
    };
    let Some(home) = thin::assent_home(args.home) else {
        thin::deny_and_exit(
            "assent-hook: no Assent home (pass --home, or set ASSENT_HOME or HOME); action not run",
        )
    };
    if let Some(remote) = Remote::configured(&home) {
        thin::relay(remote, args.max_wait);
    }
    in_process(&home, args.max_wait)
}

/// No server: become `assent hook claude-code` from this binary's directory.
fn in_process(home: &std::path::Path, max_wait: u64) -> ! {
    use std::os::unix::process::CommandExt;
    let assent = match std::env::current_exe() {
        Ok(exe) => exe.with_file_name("assent"),
        Err(e) => thin::deny_and_exit(&format!(
            "assent-hook: cannot find its own binary ({e}), so not `assent` beside it; action not run"
        )),
    };
    let err = std::process::Command::new(&assent)
        .arg("--home")
        .arg(home)
        .args(["hook", "claude-code", "--max-wait"])
        .arg(max_wait.to_string())
        .exec();
    thin::deny_and_exit(&format!(
        "assent-hook: no server is configured and {} cannot be run ({err}); action not run",
        assent.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Result<Args, String> {
        parse(a.iter().map(OsString::from).collect())
    }

    #[test]
    fn arguments() {
        let a = args(&["--home", "/h", "claude-code", "--max-wait", "7"]).expect("args");
        assert_eq!((a.home, a.max_wait), (Some(PathBuf::from("/h")), 7));
        let a = args(&["--max-wait=9", "--home=/x"]).expect("args");
        assert_eq!((a.home, a.max_wait), (Some(PathBuf::from("/x")), 9));
        let a = args(&[]).expect("args");
        assert_eq!((a.home, a.max_wait), (None, thin::DEFAULT_MAX_WAIT));
        for bad in [
            &["--policy", "p"][..],
            &["--max-wait", "soon"],
            &["--max-wait"],
            &["--home"],
            &["claude-code", "claude-code"],
            &["mcp"],
            &["--principal", "owner"],
        ] {
            assert!(args(bad).is_err(), "{bad:?}");
        }
    }
}
