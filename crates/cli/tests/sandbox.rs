//! The sandbox is the wall: allowed Bash commands, run exactly as the Claude Code hook
//! rewrites them, in a fixture with planted secrets (a workspace `.env`, `~/.ssh/id_rsa`,
//! `~/.aws/credentials`, Assent's home, a hook settings file, a hard link and a symlink to a
//! key) and protected variables in the agent's environment.
//!
//! Most cases use an "open" policy that allows every shell command, so that the sandbox alone
//! stands between the command and the secrets: what a wrong static verdict could leak, the
//! sandbox must not. Legitimate commands run under the shipped policy.
//!
//! Needs bubblewrap; skipped with a notice where it is missing (CI installs it, and fails
//! here if it did not).

// Test code reports failure by panicking: helpers outside `#[test]` functions (fixtures,
// runners) may expect, index and panic too.
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_assent");

const ENV_SECRET: &str = "sk-envfile-7Hq2Lm9Xw4Rt8Pz1";
const SSH_SECRET: &str = "ssh-key-material-Vb5Nc3Jd8Kf2";
const AWS_SECRET: &str = "aws-secret-Yt6Ue4Wi9Oq1Pa7S";
const SETTINGS_SECRET: &str = "hook-settings-Gh3Jk5Lz8Xc1";
const OPENAI_VALUE: &str = "sk-proj-Qw8Er4Ty6Ui2Op9As3Df";
const PORT_VALUE: &str = "48213";

const OPEN_POLICY: &str = r#"
// Test only: every shell command is allowed, so the sandbox alone is the wall.
@id("open-shell")
permit (principal, action == Action::"request", resource == Kind::"shell");
"#;

const SETTINGS: &str = r#"
[local]
agent = "agent"
approver = "owner"

[[principals]]
name = "owner"
kind = "user"
roles = ["owner"]

[[principals]]
name = "agent"
kind = "agent"
roles = ["agent"]
"#;

fn bwrap_present() -> bool {
    let found = ["/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"]
        .iter()
        .any(|p| Path::new(p).is_file());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "bubblewrap must be installed in CI (.ci/run installs it)"
        );
        eprintln!("sandbox tests skipped: bubblewrap (bwrap) is not installed");
    }
    found
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    assent_home: PathBuf,
    ws: PathBuf,
    open_policy: PathBuf,
}

fn git(ws: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
        .args(args)
        .current_dir(ws)
        .env("HOME", ws)
        .output()
        .expect("git")
        .status
        .success();
    assert!(ok, "git {args:?}");
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let home = root.join("home");
    let assent_home = home.join(".assent");
    let ws = home.join("project");
    let open_policy = root.join("open-policy");
    for d in [
        home.join(".ssh"),
        home.join(".aws"),
        assent_home.join("policy"),
        ws.join(".claude"),
        ws.join("0"),
        open_policy.clone(),
    ] {
        std::fs::create_dir_all(&d).expect("mkdir");
    }
    let write = |p: &Path, s: &str| std::fs::write(p, s).expect("write");
    write(&home.join(".ssh/id_rsa"), &format!("{SSH_SECRET}\n"));
    write(
        &home.join(".aws/credentials"),
        &format!("[default]\naws_secret_access_key = {AWS_SECRET}\n"),
    );
    write(&ws.join(".env"), &format!("OPENAI_API_KEY={ENV_SECRET}\n"));
    write(&ws.join("README.md"), "# Project\nhello from the readme\n");
    write(&ws.join("notes.txt"), "plain notes\n");
    write(
        &ws.join(".claude/settings.json"),
        &format!("{{\"env\":{{\"X\":\"{SETTINGS_SECRET}\"}}}}"),
    );
    // Issue 13, class 3: file names that are options.
    write(&ws.join("--expression=1e sh evil.txt"), "");
    write(
        &ws.join("evil.txt"),
        "cat ~/.ssh/id_rsa ~/.aws/credentials .env; touch ~/pwned pwned /tmp/pwned\n",
    );
    write(&ws.join("--output=README.md"), "");
    // Issue 13, class 1: `[[ PATH=0 -eq 0 ]]; cat README.md` runs the workspace's `0/cat`.
    write(
        &ws.join("0/cat"),
        "#!/bin/sh\n/bin/cat ~/.ssh/id_rsa .env .claude/settings.json 2>&1; /usr/bin/touch pwned ~/pwned\n",
    );
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(ws.join("0/cat"), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
    }
    // Other names for the key: a hard link (same file system) and a symlink.
    std::fs::hard_link(home.join(".ssh/id_rsa"), ws.join("harmless.txt")).expect("hard link");
    std::os::unix::fs::symlink(home.join(".ssh/id_rsa"), ws.join("key-link")).expect("symlink");
    git(&ws, &["init", "-q"]);
    git(&ws, &["add", "README.md", "notes.txt"]);
    git(&ws, &["commit", "-qm", "init"]);
    write(
        &assent_home.join("policy/default.cedar"),
        assent_policy::DEFAULT_CEDAR,
    );
    write(&assent_home.join("policy/assent.toml"), SETTINGS);
    write(&open_policy.join("open.cedar"), OPEN_POLICY);
    write(&open_policy.join("assent.toml"), SETTINGS);
    Fixture {
        _dir: dir,
        root,
        home,
        assent_home,
        ws,
        open_policy,
    }
}

impl Fixture {
    /// A process with the agent's environment: the fixture home and protected variables.
    fn agent(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.current_dir(&self.ws)
            .env("HOME", &self.home)
            .env("OPENAI_API_KEY", OPENAI_VALUE)
            .env("PORT", PORT_VALUE)
            .env_remove("ASSENT_HOME");
        c
    }

    /// The hook's answer for a Bash call.
    fn hook(&self, command: &str, open: bool) -> Value {
        let mut c = self.agent(BIN);
        c.arg("--home")
            .arg(&self.assent_home)
            .args(["hook", "claude-code", "--max-wait", "1"]);
        if open {
            c.arg("--policy").arg(&self.open_policy);
        }
        let mut child = c
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("hook");
        let input = json!({"hook_event_name": "PreToolUse", "session_id": "sbx",
            "cwd": self.ws.display().to_string(), "tool_name": "Bash",
            "tool_input": {"command": command, "description": "d", "timeout": 5000}});
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.to_string().as_bytes())
            .expect("stdin");
        let out = child.wait_with_output().expect("hook");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            text.lines().count(),
            1,
            "hook stdout is one JSON line: {text:?}"
        );
        serde_json::from_str(text.trim()).expect("hook answers JSON")
    }

    /// The command the hook rewrote `command` into (it must be allowed and rewritten).
    fn rewritten(&self, command: &str, open: bool) -> String {
        let v = self.hook(command, open);
        let out = &v["hookSpecificOutput"];
        assert_eq!(out["permissionDecision"], "allow", "{command}: {v}");
        let updated = &out["updatedInput"];
        assert_eq!(updated["description"], "d", "other fields are kept");
        assert_eq!(updated["timeout"], 5000, "other fields are kept");
        let cmd = updated["command"].as_str().expect("rewritten command");
        assert!(
            cmd.contains("'exec' '--sandbox' '--escape-output'"),
            "{cmd}"
        );
        cmd.to_string()
    }

    /// Runs the rewritten command as Claude Code's Bash tool would (`bash -c` in the agent's
    /// shell). The text returned is what the command printed; the agent's own PORT, PATH
    /// and PWD after it are written to fd 3, kept in `agent_after`.
    fn run_in_agent_shell(&self, rewritten: &str) -> (Output, String) {
        self.run_with_agent_env(rewritten).0
    }

    fn run_with_agent_env(&self, rewritten: &str) -> ((Output, String), String) {
        let report = tempfile::NamedTempFile::new().expect("temp");
        let script_fd3 = report.path().display().to_string();
        let script = format!(
            "{rewritten}\necho \"rc=$?\"; echo \"AGENT PORT=$PORT PATH=$PATH PWD=$PWD\" >&3"
        );
        let script = format!("exec 3>'{script_fd3}'\n{script}");
        let out = self
            .agent("/bin/bash")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .output()
            .expect("bash");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let agent_after = std::fs::read_to_string(report.path()).unwrap_or_default();
        ((out, text), agent_after)
    }

    /// Every file under the fixture root (outside the sandbox), with its size and contents'
    /// length, to show nothing was written, created or removed.
    fn snapshot(&self) -> BTreeMap<PathBuf, (u64, Vec<u8>)> {
        let mut map = BTreeMap::new();
        let mut stack = vec![self.root.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
                let p = e.path();
                let ft = e.file_type().expect("file type");
                if p.starts_with(self.assent_home.join("sandbox")) || p.ends_with("assent.db-wal") {
                    continue; // Assent's own bookkeeping (tickets, probe cache, audit)
                }
                if p.starts_with(&self.assent_home)
                    && p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("assent.db"))
                {
                    continue;
                }
                if ft.is_dir() {
                    stack.push(p.clone());
                    map.insert(p, (0, Vec::new()));
                } else if ft.is_symlink() {
                    map.insert(
                        p.clone(),
                        (
                            0,
                            std::fs::read_link(&p)
                                .map(|t| t.display().to_string().into_bytes())
                                .unwrap_or_default(),
                        ),
                    );
                } else {
                    let bytes = std::fs::read(&p).unwrap_or_default();
                    map.insert(p, (bytes.len() as u64, bytes));
                }
            }
        }
        map
    }
}

fn assert_no_secret(what: &str, text: &str) {
    for s in [
        ENV_SECRET,
        SSH_SECRET,
        AWS_SECRET,
        SETTINGS_SECRET,
        OPENAI_VALUE,
        "OPENAI_API_KEY=",
        "PORT=48213",
    ] {
        assert!(
            !text.contains(s),
            "{what}: a secret ({s}) reached the output:\n{text}"
        );
    }
}

/// Runs `command` through the hook's rewrite (open policy) and asserts the wall held: no
/// secret in the output, nothing changed outside, the agent's environment untouched.
fn contained(f: &Fixture, command: &str) -> String {
    let before = f.snapshot();
    let rewritten = f.rewritten(command, true);
    let ((_, text), agent_after) = f.run_with_agent_env(&rewritten);
    assert_no_secret(command, &text);
    let after = f.snapshot();
    assert_eq!(
        before, after,
        "{command}: changed files outside the sandbox:\n{text}"
    );
    let path = std::env::var("PATH").unwrap_or_default();
    assert_eq!(
        agent_after.trim(),
        format!("AGENT PORT={PORT_VALUE} PATH={path} PWD={}", f.ws.display()),
        "{command}: the agent's environment changed:\n{text}"
    );
    text
}

#[test]
fn secrets_in_workspace_and_home_read_nothing() {
    if !bwrap_present() {
        return;
    }
    let f = fixture();
    for cmd in [
        "cat .env",
        "cat ~/.ssh/id_rsa",
        "cat ~/.aws/credentials",
        "cat harmless.txt",
        "cat key-link",
        "cat .claude/settings.json",
        "cat $HOME/.assent/policy/assent.toml; ls -la ~ ~/.assent",
        "grep -r . . ~ 2>&1",
        "cat /etc/shadow /etc/gshadow /etc/sudoers 2>&1; ls /etc/ssh /root 2>&1",
        "cat /proc/1/environ /proc/self/environ | tr '\\0' '\\n'",
        "base64 .env; od -c ~/.ssh/id_rsa",
    ] {
        contained(&f, cmd);
    }
    let text = contained(&f, "ls -A ~; echo home-listed; cat /etc/passwd | head -1");
    assert!(text.contains("home-listed"), "{text}");
    assert!(
        !text.contains(".ssh") && !text.contains(".aws"),
        "home is empty: {text}"
    );
    assert!(
        text.contains("root:"),
        "/etc/passwd is there for programs: {text}"
    );
}

#[test]
fn no_protected_variable_in_the_environment() {
    if !bwrap_present() {
        return;
    }
    let f = fixture();
    for cmd in [
        "env",
        "printenv",
        "set",
        "declare -p",
        "export -p",
        "echo $OPENAI_API_KEY $PORT",
    ] {
        let text = contained(&f, cmd);
        assert!(!text.contains("OPENAI_API_KEY"), "{cmd}: {text}");
        assert!(!text.contains(PORT_VALUE), "{cmd}: {text}");
    }
    let text = contained(&f, "printenv HOME PATH");
    assert!(
        text.contains(&f.home.display().to_string()),
        "HOME kept: {text}"
    );
}

#[test]
fn writes_fail_and_leave_nothing() {
    if !bwrap_present() {
        return;
    }
    let f = fixture();
    let text = contained(
        &f,
        "touch new; echo x > README.md; rm -f notes.txt; mkdir d; touch ~/x; mkdir ~/.ssh; \
         echo y > .git/HEAD; git commit --allow-empty -qm x; touch /x /usr/x /etc/x; \
         echo tmp-ok > /tmp/t && cat /tmp/t",
    );
    assert!(text.contains("Read-only file system"), "{text}");
    assert!(
        text.contains("tmp-ok"),
        "the private /tmp is writable: {text}"
    );
}

#[test]
fn network_is_off() {
    if !bwrap_present() {
        return;
    }
    let f = fixture();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let cmd = format!(
        "exec 3<>/dev/tcp/127.0.0.1/{port} && echo CONNECTED; echo hi >/dev/tcp/127.0.0.1/{port}"
    );
    let rewritten = f.rewritten(&cmd, true);
    assert!(!rewritten.contains("--allow-network"), "{rewritten}");
    let text = contained(&f, &cmd);
    assert!(!text.contains("CONNECTED"), "{text}");
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "nothing reached the listener"
    );
}

/// A rule that allows a command *by* its network facts turns the network on: the same
/// socket redirection then reaches the listener (the other half of `network_is_off`).
#[test]
fn network_is_on_when_a_rule_allows_that_host() {
    if !bwrap_present() {
        return;
    }
    let f = fixture();
    std::fs::write(
        f.open_policy.join("open.cedar"),
        "@id(\"loopback\")\npermit (principal, action == Action::\"request\", resource == Kind::\"shell\")\nwhen { context.network && context.hosts.contains(\"127.0.0.1\") };\n",
    )
    .expect("policy");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let cmd = format!("echo hi >/dev/tcp/127.0.0.1/{port} && echo SENT");
    let rewritten = f.rewritten(&cmd, true);
    assert!(rewritten.contains("'--allow-network'"), "{rewritten}");
    let ((_, text), _) = f.run_with_agent_env(&rewritten);
    assert!(text.contains("SENT"), "{text}");
    listener.set_nonblocking(true).expect("nonblocking");
    assert!(
        listener.accept().is_ok(),
        "the listener was reached: {text}"
    );
    // Another host is not what the rule allows: no allow, so no rewrite to run.
    let v = f.hook("cat < /dev/tcp/10.0.0.1/80", true);
    assert_ne!(
        v["hookSpecificOutput"]["permissionDecision"], "allow",
        "{v}"
    );
}

#[test]
fn proc_shows_only_the_sandbox() {
    if !bwrap_present() {
        return;
    }
    let f = fixture();
    let text = contained(&f, "ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' '; echo; grep NoNewPrivs /proc/self/status; grep CapEff /proc/self/status");
    let pids: Vec<u32> = text
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    assert!(!pids.is_empty() && pids.len() <= 6, "{text}");
    assert!(
        !pids.contains(&std::process::id()),
        "the test process is invisible: {text}"
    );
    assert!(text.contains("NoNewPrivs:\t1"), "{text}");
    assert!(text.contains("CapEff:\t0000000000000000"), "{text}");
}

#[test]
fn legitimate_commands_work_under_the_shipped_policy() {
    if !bwrap_present() {
        return;
    }
    let f = fixture();
    for (cmd, expect) in [
        ("cat README.md", "hello from the readme"),
        ("ls", "README.md"),
        ("git status", "On branch"),
        ("git log --oneline", "init"),
        ("git diff HEAD --stat", "rc=0"),
        ("wc -l README.md", "2 README.md"),
        ("head -1 README.md", "# Project"),
        ("find . -name '*.md' -not -path './.git/*'", "./README.md"),
        ("grep -n readme README.md", "2:hello from the readme"),
    ] {
        let rewritten = f.rewritten(cmd, false);
        let (_, text) = f.run_in_agent_shell(&rewritten);
        assert!(
            text.contains(expect),
            "{cmd}: expected {expect:?} in:\n{text}"
        );
        assert!(text.contains("rc=0"), "{cmd}: failed:\n{text}");
        assert_no_secret(cmd, &text);
    }
    if Path::new("/usr/bin/rg").is_file() {
        let (_, text) = f.run_in_agent_shell(&f.rewritten("rg -n readme README.md", false));
        assert!(text.contains("hello from the readme"), "{text}");
    }
}

#[test]
fn bash_dark_corners_compute_nothing_harmful() {
    if !bwrap_present() {
        return;
    }
    let f = fixture();
    let marker = format!("/tmp/assent-sbx-{}-m", std::process::id());
    let _ = std::fs::remove_file(&marker);
    // Class 1: arithmetic contexts run code, read and assign variables.
    contained(&f, &format!("true 'a[$(id>{marker})]'; [[ _ -eq 0 ]]"));
    assert!(!Path::new(&marker).exists(), "the private /tmp is private");
    let text = contained(
        &f,
        "[[ OPENAI_API_KEY -eq 0 ]]; echo \"${OPENAI_API_KEY:-unset}\"",
    );
    assert!(text.contains("unset"), "{text}");
    contained(&f, "[[ PORT=31337 -eq 0 ]]; echo inner=$PORT");
    // The workspace's `0/cat` does run, inside: it finds no key and can write nothing.
    let text = contained(&f, "[[ PATH=0 -eq 0 ]]; cat README.md");
    assert!(text.contains("Read-only file system"), "{text}");
    contained(&f, "true '\\044(touch x)'; [[ ${_@P} ]]");
    // Class 2: NUL in ANSI-C quoting.
    contained(&f, "cat .e$'\\0'nv");
    contained(&f, "cat ..$'\\0'/..$'\\0'/proc/self/environ");
    // Class 3: a glob is any number of operands, and file names can be options.
    contained(&f, "sed -n 1,5p *.txt");
    let readme = std::fs::read(f.ws.join("README.md")).expect("readme");
    contained(&f, "git diff *.md");
    assert_eq!(
        std::fs::read(f.ws.join("README.md")).expect("readme"),
        readme
    );
    contained(&f, "uniq .claude/settings*.json");
    // Class 6: escape bytes made at run time reach the reader escaped.
    for cmd in [
        "printf '\\033[2J'",
        "tr x '\\033' <<< xx",
        "printf '\\x9b31m \\xc2\\x9b31m'",
        "echo G1tbMkoK | base64 -d",
        "git log --format=%x1b%x07 -1",
        "find . -maxdepth 0 -printf '\\033]0;title\\007'",
        "stat --printf '\\033[31m' README.md",
    ] {
        let rewritten = f.rewritten(cmd, true);
        let (out, text) = f.run_in_agent_shell(&rewritten);
        for stream in [&out.stdout, &out.stderr] {
            assert!(
                !stream
                    .iter()
                    .any(|b| *b == 0x1b || *b == 0x07 || *b == 0x9b),
                "{cmd}: a raw control byte reached the reader: {text:?}"
            );
        }
        assert!(
            text.contains("\\x1b") || text.contains("\\x9b") || text.contains("\\u{009B}"),
            "{cmd}: {text:?}"
        );
    }
}

#[test]
fn the_ticket_runs_once_and_only_its_command() {
    if !bwrap_present() {
        return;
    }
    let f = fixture();
    let rewritten = f.rewritten("cat README.md", false);
    let (_, first) = f.run_in_agent_shell(&rewritten);
    assert!(
        first.contains("hello from the readme") && first.contains("rc=0"),
        "{first}"
    );
    let (_, again) = f.run_in_agent_shell(&rewritten);
    assert!(
        !again.contains("hello from the readme"),
        "a ticket is used once: {again}"
    );
    assert!(
        again.contains("already used") && again.contains("rc=77"),
        "{again}"
    );
    let rewritten = f.rewritten("cat README.md", false);
    let other = rewritten.replace("'cat README.md'", "'cat notes.txt'");
    let (_, text) = f.run_in_agent_shell(&other);
    assert!(
        text.contains("another command") && !text.contains("plain notes"),
        "{text}"
    );
    // Another directory: the ticket names the one the hook judged.
    let rewritten = f.rewritten("ls", false);
    let out = f
        .agent("/bin/bash")
        .args(["-c", &rewritten])
        .current_dir(&f.root)
        .output()
        .expect("bash");
    assert!(String::from_utf8_lossy(&out.stderr).contains("another working directory"));
    assert_eq!(out.status.code(), Some(77));
}

#[test]
fn exec_sandbox_direct_decides_then_contains() {
    if !bwrap_present() {
        return;
    }
    let f = fixture();
    let out = f
        .agent(BIN)
        .arg("--home")
        .arg(&f.assent_home)
        .args([
            "exec",
            "--sandbox",
            "--max-wait",
            "1",
            "--",
            "cat",
            "README.md",
        ])
        .output()
        .expect("exec");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("hello from the readme"));
    let out = f
        .agent(BIN)
        .arg("--home")
        .arg(&f.assent_home)
        .args(["exec", "--sandbox", "--max-wait", "1", "--", "cat", ".env"])
        .output()
        .expect("exec");
    assert_eq!(
        out.status.code(),
        Some(77),
        "denied by policy before the sandbox"
    );
    assert_no_secret("exec cat .env", &String::from_utf8_lossy(&out.stdout));
}
