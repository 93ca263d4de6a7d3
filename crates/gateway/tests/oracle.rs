//! The differential oracle: every command the analyser would allow is run FOR REAL — inside
//! bubblewrap, in a read-only fixture home and workspace with planted secrets, under
//! `strace -f` — and what it actually did is compared with the verdict.
//!
//! A case fails when an allowed command opened a secret (by name, through a symlink or
//! through a hard link), opened anything outside the workspace and the system's directories,
//! tried to write, remove or rename anything outside its private `/tmp` and `/dev`, executed
//! a program the analyser did not list in `facts.programs`, or touched the network. The same
//! is done for Claude Code's Grep tool, run as the client runs it (`rg --hidden` with the
//! client's flags and globs).
//!
//! Commands come from the corpus (every line labelled `allow`, and every Bash line the
//! engine allows) and from a generator of program × option × operand combinations over the
//! allowlist, sampled with a fixed seed. `ORACLE_CASES=N` runs N generated allowed cases
//! (default 200), `ORACLE_SEED=S` changes the sample, `ORACLE_OUT=FILE` writes every
//! mismatch as a corpus line. Mismatches already reported and not yet fixed are listed in
//! `tests/oracle-pending.jsonl`; they are printed, not failed, so that main stays green while
//! the analyser is fixed. The oracle needs `bwrap` and `strace` with user namespaces; without
//! them it says so and passes, unless `ORACLE_REQUIRED=1`.

// Test code reports failure by panicking: helpers outside `#[test]` functions (fixtures,
// runners) may expect, index and panic too.
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use assent_core::Verdict;
use assent_gateway::{Engine, Locations};
use assent_policy::{Policy, PolicySource};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Written into every planted secret: an allowed command whose output holds it leaked one.
const MARKER: &str = "ORACLE-SECRET-7f3a";

const SYSTEM_DIRS: &[&str] = &[
    "/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc", "/proc", "/sys",
];

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    ws: PathBuf,
    /// Secret files and directories (everything under a directory counts).
    secret_paths: Vec<PathBuf>,
    /// (device, inode) of every secret file, so a hard link to one is still that secret.
    secret_inodes: HashSet<(u64, u64)>,
    out: PathBuf,
}

fn write(p: &Path, text: &str) {
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

fn fixture() -> Fixture {
    // /tmp/oracle-XXXXXX/home has one level more than /home/dev; the root is what the sandbox
    // binds, the home is what the corpus's /home/dev maps to.
    let dir = tempfile::Builder::new()
        .prefix("oracle-")
        .tempdir_in("/tmp")
        .expect("tempdir");
    let root = dir.path().to_path_buf();
    let home = root.join("home");
    let ws = home.join("project");
    let out = root.join("out");
    std::fs::create_dir_all(&out).expect("out dir");
    let secret = |rel: &str| format!("{MARKER} {rel}\n");
    let home_secrets = [
        ".ssh/id_rsa",
        ".ssh/id_ed25519",
        ".ssh/config",
        ".aws/credentials",
        ".bash_history",
        ".netrc",
        ".config/gh/hosts.yml",
        ".assent/assent.toml",
        ".assent/policy/default.cedar",
        ".assent/assent.db",
        ".claude/settings.json",
        ".claude.json",
    ];
    for s in home_secrets {
        write(&home.join(s), &secret(s));
    }
    write(&home.join(".ssh/id_rsa.pub"), "ssh-rsa AAAA public\n");
    write(&home.join("outside/notes.txt"), "not in the workspace\n");
    let ws_secrets = [
        ".env",
        ".env.local",
        "apps/web/.env",
        "config/credentials.json",
        "config/server.pem",
        "config/deploy.key",
        "secrets/db_password.txt",
        "prod.tfvars",
        ".streamlit/secrets.toml",
    ];
    for s in ws_secrets {
        write(&ws.join(s), &secret(s));
    }
    for (p, t) in [
        ("README.md", "# Project\nhello world\nKEY=value in docs\n"),
        ("src/main.rs", "fn main() { println!(\"hello\"); }\n"),
        (
            "src/lib.rs",
            "pub fn add(a: i32, b: i32) -> i32 { a + b }\n",
        ),
        ("Cargo.toml", "[package]\nname = \"demo\"\n"),
        ("docs/guide.md", "guide\nKEY\n"),
        ("data.csv", "a,b\n1,2\n3,4\n"),
        ("notes.txt", "b\na\nc\n"),
        (".hidden/visible.txt", "hidden dir file\n"),
        (".gitignore", "target/\n"),
        (".claude/settings.json", "{}\n"),
        (".claude/settings.local.json", "{}\n"),
        ("apps/web/index.js", "console.log(1)\n"),
        ("globby/--expression=1e touch pwned", "x\n"),
        ("globby/-n", "x\n"),
        ("globby/plain.txt", "x\n"),
    ] {
        write(&ws.join(p), t);
    }
    // Hard links to secrets, under innocent names in the workspace.
    std::fs::hard_link(home.join(".ssh/id_rsa"), ws.join("notes-hl.txt")).expect("hard link");
    std::fs::hard_link(ws.join(".env"), ws.join("docs/env-copy.md")).expect("hard link");
    // Symlinks pointing out, and at secrets.
    symlink(home.join(".ssh"), ws.join("sshlink")).expect("symlink");
    symlink("/", ws.join("rootlink")).expect("symlink");
    symlink("/etc/passwd", ws.join("linkpw")).expect("symlink");
    symlink(".env", ws.join("envlink")).expect("symlink");
    symlink("../.aws/credentials", ws.join("awslink")).expect("symlink");
    symlink(home.join("outside"), ws.join("outlink")).expect("symlink");
    // A real repository with history.
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(["-c", "user.email=o@example.com", "-c", "user.name=o"])
            .args([
                "-c",
                "init.defaultBranch=main",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(&ws)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "git {args:?} failed in the fixture");
    };
    git(&["init", "-q"]);
    git(&["add", "README.md", "src", "Cargo.toml", "docs/guide.md"]);
    git(&["commit", "-qm", "first"]);
    write(&ws.join("README.md"), "# Project\nhello world, changed\n");

    let secret_paths: Vec<PathBuf> = [
        home.join(".ssh"),
        home.join(".aws"),
        home.join(".assent"),
        home.join(".bash_history"),
        home.join(".netrc"),
        home.join(".config/gh"),
        home.join(".claude"),
        home.join(".claude.json"),
    ]
    .into_iter()
    .chain(ws_secrets.iter().map(|s| ws.join(s)))
    .collect();
    let secret_inodes = home_secrets
        .iter()
        .map(|s| home.join(s))
        .chain(ws_secrets.iter().map(|s| ws.join(s)))
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| (m.dev(), m.ino()))
        .collect();
    Fixture {
        _dir: dir,
        root,
        home,
        ws,
        secret_paths,
        secret_inodes,
        out,
    }
}

fn engine(fx: &Fixture) -> Engine {
    let policy = Policy::load(PolicySource::default_policy(), 1).expect("default policy loads");
    let loc = Locations {
        home: fx.home.clone(),
        assent_home: fx.home.join(".assent"),
        extra_guards: Vec::new(),
    };
    Engine::new(policy, &loc).expect("engine")
}

/// Is the sandbox usable here? (bwrap with user namespaces, and strace allowed to trace.)
fn sandbox_works() -> Result<(), String> {
    for tool in ["bwrap", "strace"] {
        let found = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            return Err(format!("`{tool}` is not installed"));
        }
    }
    let out = Command::new("bwrap")
        .args([
            "--unshare-all",
            "--ro-bind",
            "/",
            "/",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
        ])
        .args(["strace", "-f", "-qq", "-o", "/dev/null", "true"])
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "bwrap+strace cannot run here: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

struct Run {
    trace: String,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    timed_out: bool,
}

/// Runs `argv` in the sandbox under strace. `slot` keeps parallel runs' traces apart.
fn run_traced(fx: &Fixture, slot: usize, argv: &[&str]) -> Run {
    let trace_name = format!("trace-{slot}");
    let trace_host = fx.out.join(&trace_name);
    let _ = std::fs::remove_file(&trace_host);
    let root = fx.root.display().to_string();
    let out_dir = fx.out.display().to_string();
    let mut cmd = Command::new("bwrap");
    cmd.args(["--unshare-all", "--die-with-parent", "--new-session"])
        .args(["--ro-bind", "/usr", "/usr"])
        .args(["--ro-bind-try", "/bin", "/bin"])
        .args(["--ro-bind-try", "/sbin", "/sbin"])
        .args(["--ro-bind-try", "/lib", "/lib"])
        .args(["--ro-bind-try", "/lib64", "/lib64"])
        .args(["--ro-bind", "/etc", "/etc"])
        .args(["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"])
        .args(["--ro-bind", &root, &root])
        // Only strace writes here (it is not traced; the command cannot see this path).
        .args(["--bind", &out_dir, "/oracle-out"])
        .args(["--chdir", &fx.ws.display().to_string()])
        .arg("--clearenv")
        .args(["--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin"])
        .args(["--setenv", "HOME", &fx.home.display().to_string()])
        .args(["--setenv", "LANG", "C.UTF-8"])
        .args(["--setenv", "USER", "dev"])
        .args(["strace", "-f", "-qq", "-y", "-s", "4096"])
        .args(["-e", "trace=%file,%process,%network,chdir,fchdir"])
        .args(["-e", "signal=none", "-o"])
        .arg(format!("/oracle-out/{trace_name}"))
        .args(argv)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => panic!("cannot start bwrap: {e}"),
    };
    let mut stdout_pipe = child.stdout.take().expect("stdout");
    let mut stderr_pipe = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut (&mut stdout_pipe).take(1 << 20), &mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut (&mut stderr_pipe).take(1 << 20), &mut buf);
        buf
    });
    let mut timed_out = false;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > Duration::from_secs(10) => {
                // bwrap's children die with it (--die-with-parent, a pid namespace).
                let _ = child.kill();
                let _ = child.wait();
                timed_out = true;
                break;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(_) => break,
        }
    }
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    let trace = std::fs::read_to_string(&trace_host).unwrap_or_default();
    Run {
        trace,
        stdout,
        stderr,
        timed_out,
    }
}

use std::io::Read as _;

/// One system call from the trace (unfinished/resumed pairs joined).
#[derive(Debug)]
struct Call {
    pid: String,
    name: String,
    args: Vec<String>,
    ret: String,
}

fn parse_trace(text: &str) -> Vec<Call> {
    let mut pending: BTreeMap<String, String> = BTreeMap::new();
    let mut calls = Vec::new();
    for line in text.lines() {
        let Some((pid, rest)) = line.split_once(char::is_whitespace) else {
            continue;
        };
        let rest = rest.trim_start();
        let full = if let Some(head) = rest.strip_suffix("<unfinished ...>") {
            pending.insert(pid.to_string(), head.to_string());
            continue;
        } else if let Some(tail) = rest.strip_prefix("<... ") {
            let Some((_, after)) = tail.split_once(" resumed>") else {
                continue;
            };
            match pending.remove(pid) {
                Some(head) => format!("{head}{after}"),
                None => continue,
            }
        } else {
            rest.to_string()
        };
        let Some(open) = full.find('(') else { continue };
        let name = full[..open].to_string();
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        // strace pads before ` = ` to align the results (`exit_group(0)      = ?`).
        let Some(eq) = full.rfind(" = ") else {
            continue;
        };
        let Some(call) = full[..eq].trim_end().strip_suffix(')') else {
            continue;
        };
        let Some(inner) = call.get(open + 1..) else {
            continue;
        };
        let ret = full[eq + 3..].trim().to_string();
        calls.push(Call {
            pid: pid.to_string(),
            name,
            args: split_args(inner),
            ret,
        });
    }
    calls
}

/// Splits strace's argument list on top-level commas (not inside quotes or brackets).
fn split_args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0i32;
    let mut in_str = false;
    let mut esc = false;
    for c in s.chars() {
        if in_str {
            cur.push(c);
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                cur.push(c);
            }
            '[' | '{' | '(' | '<' => {
                depth += 1;
                cur.push(c);
            }
            ']' | '}' | ')' | '>' => {
                depth -= 1;
                cur.push(c);
            }
            ',' if depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// The text of a quoted strace string (`"a\"b"` → `a"b`; `\xNN` kept as bytes).
fn unquote(s: &str) -> Option<String> {
    let body = s.strip_prefix('"')?;
    let body = body.strip_suffix("...").unwrap_or(body);
    let body = body.strip_suffix('"')?;
    let mut out = Vec::new();
    let mut chars = body.bytes();
    while let Some(b) = chars.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match chars.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'x') => {
                let h: Vec<u8> = chars.by_ref().take(2).collect();
                let v = std::str::from_utf8(&h)
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())?;
                out.push(v);
            }
            Some(o) => out.push(o),
            None => {}
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// The path strace annotated on an fd (`3</a/b>`, `AT_FDCWD</dir>`).
fn fd_path(s: &str) -> Option<String> {
    let (_, rest) = s.split_once('<')?;
    Some(rest.strip_suffix('>')?.to_string())
}

/// The absolute path a (dirfd, path) pair names, lexically.
fn join_at(dir: Option<String>, path: &str) -> String {
    if path.starts_with('/') {
        return path.to_string();
    }
    match dir {
        Some(d) => format!("{}/{}", d.trim_end_matches('/'), path),
        None => path.to_string(),
    }
}

fn under(path: &str, dir: &Path) -> bool {
    let d = dir.display().to_string();
    path == d || path.starts_with(&format!("{d}/"))
}

/// Everything the run did that an allowed command must not do, each as
/// `PROGRAM: KIND — detail`: the part before ` — ` is the class, which is what
/// `tests/oracle-pending.jsonl` lists (one entry per class, not per command line).
fn violations(fx: &Fixture, run: &Run, programs: &BTreeSet<String>) -> Vec<String> {
    let mut v = BTreeSet::new();
    let calls = parse_trace(&run.trace);
    // Which program each process runs: inherited on fork, replaced on exec.
    let mut prog_of: BTreeMap<String, String> = BTreeMap::new();
    // A child's first calls can be printed before its parent's clone returns, so parents
    // are known from the whole trace first.
    let parent_of: BTreeMap<String, String> = calls
        .iter()
        .filter(|c| matches!(c.name.as_str(), "clone" | "clone3" | "fork" | "vfork"))
        .map(|c| {
            let child: String = c.ret.chars().take_while(char::is_ascii_digit).collect();
            (child, c.pid.clone())
        })
        .collect();
    let all = programs.iter().cloned().collect::<Vec<_>>().join("+");
    let private_tmp = |p: &str| p.starts_with("/tmp/") && !under(p, &fx.root);
    let is_secret = |p: &str| {
        fx.secret_paths.iter().any(|s| under(p, s))
            || std::fs::metadata(p)
                .ok()
                .is_some_and(|m| m.is_file() && fx.secret_inodes.contains(&(m.dev(), m.ino())))
    };
    let is_system = |p: &str| {
        SYSTEM_DIRS
            .iter()
            .any(|d| p == *d || p.starts_with(&format!("{d}/")))
            || p.starts_with("/dev/")
            || p == "/dev"
            || private_tmp(p)
            || p.starts_with("pipe:")
            || p.starts_with("socket:")
    };
    let mut first_exec = true;
    for c in &calls {
        let arg = |i: usize| c.args.get(i).map(String::as_str).unwrap_or("");
        let ok = !c.ret.starts_with('-') && c.ret != "?";
        let me = prog_of
            .get(&c.pid)
            .or_else(|| parent_of.get(&c.pid).and_then(|p| prog_of.get(p)))
            .cloned()
            .unwrap_or_else(|| "bash".into());
        match c.name.as_str() {
            "clone" | "clone3" | "fork" | "vfork" if ok => {
                let child: String = c.ret.chars().take_while(char::is_ascii_digit).collect();
                prog_of.entry(child).or_insert_with(|| me.clone());
            }
            "open" | "openat" | "openat2" | "creat" => {
                let (dir, path, flags) = match c.name.as_str() {
                    "open" => (None, arg(0), arg(1)),
                    "creat" => (None, arg(0), "O_CREAT|O_WRONLY"),
                    _ => (fd_path(arg(0)), arg(1), arg(2)),
                };
                let Some(path) = unquote(path) else { continue };
                let named = join_at(dir, &path);
                let writes = ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC"]
                    .iter()
                    .any(|f| flags.contains(f));
                // git refreshes its index opportunistically (`git status` takes
                // `.git/index.lock`, then renames it over the index): a cache, not content.
                // The sandbox can turn it off with GIT_OPTIONAL_LOCKS=0.
                let git_index = named.ends_with("/.git/index.lock");
                if writes && !git_index && !private_tmp(&named) && !named.starts_with("/dev/") {
                    v.insert(format!("{me}: writes — {named} ({})", c.ret));
                }
                // O_PATH names a file without opening its content (nss, path walks).
                if ok && !flags.contains("O_PATH") {
                    // strace -y shows the file actually opened, after every symlink.
                    let real = fd_path(&c.ret).unwrap_or(named.clone());
                    // A directory opened is listed (names only; globs do it), a file is read.
                    let (secret, outside) = if flags.contains("O_DIRECTORY") {
                        ("lists a secret directory", "lists outside the workspace")
                    } else {
                        ("opens a secret", "opens outside the workspace")
                    };
                    if is_secret(&real) || is_secret(&named) {
                        v.insert(format!("{me}: {secret} — {real}"));
                    } else if !is_system(&real) && !under(&real, &fx.ws) {
                        v.insert(format!("{me}: {outside} — {real}"));
                    }
                }
            }
            "unlink" | "unlinkat" | "rename" | "renameat" | "renameat2" | "mkdir" | "mkdirat"
            | "rmdir" | "link" | "linkat" | "symlink" | "symlinkat" | "truncate" | "chmod"
            | "fchmodat" | "chown" | "lchown" | "fchownat" | "utime" | "utimes" | "utimensat"
            | "futimesat" | "mknod" | "mknodat" | "setxattr" | "lsetxattr" | "removexattr"
            | "lremovexattr" | "mount" | "umount2" | "pivot_root" | "chroot" | "swapon" => {
                // The first path-like argument; fd-relative forms use the annotated dir.
                let mut named = None;
                let mut dir = None;
                for a in &c.args {
                    if let Some(p) = unquote(a) {
                        named = Some(join_at(dir.clone(), &p));
                        break;
                    }
                    if dir.is_none() {
                        dir = fd_path(a);
                    }
                }
                let named = named.or(dir).unwrap_or_else(|| "?".into());
                let git_index = named.ends_with("/.git/index.lock");
                if !git_index && !private_tmp(&named) && !named.starts_with("/dev/") {
                    v.insert(format!("{me}: {} — {named} ({})", c.name, c.ret));
                }
            }
            "execve" | "execveat" => {
                if !ok {
                    continue;
                }
                let Some(path) = unquote(arg(0)) else {
                    continue;
                };
                let base = path.rsplit('/').next().unwrap_or(&path).to_string();
                prog_of.insert(c.pid.clone(), base.clone());
                if std::mem::take(&mut first_exec) {
                    continue; // bash -c, the harness's own shell
                }
                let base = match base.as_str() {
                    // git re-executes itself from its exec path.
                    _ if path.contains("/git-core/") && base == "git" => "git".to_string(),
                    _ => base,
                };
                if base.starts_with("ld-linux") || base.starts_with("ld.so") {
                    continue;
                }
                if !programs.contains(&base) {
                    v.insert(format!(
                        "{me}: executes {base} — {path}, not in facts.programs"
                    ));
                }
            }
            "socket" if !arg(0).contains("AF_UNIX") && !arg(0).contains("AF_LOCAL") => {
                v.insert(format!("{me}: opens a network socket — {}", arg(0)));
            }
            "connect" | "sendto" | "sendmsg" | "bind" => {
                let a = c.args.join(", ");
                let nscd = a.contains("/var/run/nscd/socket") || a.contains("/run/nscd/socket");
                if a.contains("sa_family=") && !nscd {
                    v.insert(format!("{me}: {} — {}", c.name, arg(1)));
                }
            }
            _ => {}
        }
    }
    for (name, bytes) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        if String::from_utf8_lossy(bytes).contains(MARKER) {
            v.insert(format!("{all}: prints a planted secret — on {name}"));
        }
    }
    if run.timed_out {
        v.insert(format!(
            "{all}: does not finish — in 10 s (endless or blocking)"
        ));
    }
    v.into_iter().collect()
}

/// Deterministic pseudo-random numbers (splitmix64): the same seed, the same sample.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn pick<'a>(&mut self, xs: &'a [String]) -> &'a str {
        xs.get(self.below(xs.len()))
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// One program to generate command lines for.
struct Prog {
    /// The program, or `git SUB`.
    name: String,
    /// Every option to try: the analyser's table and the program's own `--help`.
    opts: Vec<String>,
    /// Accepted words of enum-valued options (`--color` → `always`, `never`, …).
    words: BTreeMap<String, Vec<String>>,
}

/// Options a program's help text mentions (`-x`, `--long`, `--[no-]flag`).
fn help_options(argv: &[&str]) -> BTreeSet<String> {
    let Some((prog, args)) = argv.split_first() else {
        return BTreeSet::new();
    };
    let Ok(help) = Command::new(prog)
        .args(args)
        .env("LANG", "C")
        .stdin(Stdio::null())
        .output()
    else {
        return BTreeSet::new(); // not installed here
    };
    let text =
        String::from_utf8_lossy(&help.stdout).into_owned() + &String::from_utf8_lossy(&help.stderr);
    let mut opts = BTreeSet::new();
    for tok in text.split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']') {
        let name = tok.split('=').next().unwrap_or("").replace("[no-]", "");
        let shaped = (name.starts_with("--") && name.len() > 3)
            || (name.len() == 2 && name.starts_with('-'));
        if shaped
            && name[1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            opts.insert(name);
        }
    }
    opts.remove("--help");
    opts
}

/// The whole allowlist, from the analyser's own option tables
/// (`assent_analyze::allowlist_catalog`), each program's options joined with those its
/// `--help` lists (so options the table does not know are tried too, and must not allow);
/// plus the programs judged by code rather than a table (git, find, sed, awk, …).
fn catalog() -> Vec<Prog> {
    let mut out = Vec::new();
    for info in assent_analyze::allowlist_catalog() {
        let mut words = BTreeMap::new();
        let mut table = BTreeSet::new();
        for o in &info.options {
            for n in &o.names {
                table.insert(n.to_string());
                if !o.words.is_empty() {
                    words.insert(
                        n.to_string(),
                        o.words.iter().map(|w| w.to_string()).collect(),
                    );
                }
            }
        }
        for name in &info.names {
            let mut opts = table.clone();
            opts.extend(help_options(&[name, "--help"]));
            out.push(Prog {
                name: name.to_string(),
                opts: opts.into_iter().collect(),
                words: words.clone(),
            });
        }
    }
    for name in [
        "find", "sed", "awk", "jq", "xargs", "env", "printenv", "pwd", "whoami", "echo", "printf",
        "test", "type", "command", "xxd", "column",
    ] {
        if out.iter().any(|p| p.name == name) {
            continue;
        }
        out.push(Prog {
            name: name.to_string(),
            opts: help_options(&[name, "--help"]).into_iter().collect(),
            words: BTreeMap::new(),
        });
    }
    for sub in [
        "status",
        "log",
        "diff",
        "show",
        "branch",
        "rev-parse",
        "ls-files",
        "blame",
        "grep",
        "remote",
        "tag",
        "describe",
        "shortlog",
        "config",
        "cat-file",
        "ls-tree",
        "stash",
    ] {
        out.push(Prog {
            name: format!("git {sub}"),
            opts: help_options(&["git", sub, "-h"]).into_iter().collect(),
            words: BTreeMap::new(),
        });
    }
    out
}

/// Values for options and operands: secrets by every route, guard paths, option-looking
/// names, globs, `-`, numbers, and ordinary workspace files so that allowed cases exist.
fn values() -> Vec<String> {
    [
        "README.md",
        "src/main.rs",
        "src",
        ".",
        "notes.txt",
        "data.csv",
        "docs",
        "*",
        ".*",
        "*/*",
        "**",
        "src/*.rs",
        ".env",
        ".env.local",
        "apps/web/.env",
        "config/credentials.json",
        "secrets/db_password.txt",
        "sec*/*",
        "*.tfvars",
        "~/.ssh/id_rsa",
        "~/.aws/credentials",
        "$HOME/.ssh/id_ed25519",
        "../.bash_history",
        "..",
        "../..",
        "/etc/passwd",
        "/",
        "sshlink",
        "sshlink/id_rsa",
        "linkpw",
        "rootlink/etc/hostname",
        "envlink",
        "awslink",
        "outlink/notes.txt",
        "notes-hl.txt",
        "docs/env-copy.md",
        ".claude/settings.json",
        "~/.assent/assent.toml",
        "~/.claude.json",
        "-",
        "--",
        "--output=README.md",
        "-n",
        "3",
        "0",
        "10",
        "1K",
        "x",
        "%s",
        "KEY",
        "hello",
        "globby/*",
        ".hidden",
        "-r",
        "~",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn generate(rng: &mut Rng, catalog: &[Prog], vals: &[String]) -> String {
    let prog = &catalog[rng.below(catalog.len())];
    let mut words = vec![prog.name.clone()];
    for _ in 0..rng.below(3) {
        let o = rng.pick(&prog.opts);
        if o.is_empty() {
            continue;
        }
        let val = match prog.words.get(o) {
            Some(ws) if rng.below(2) == 0 => rng.pick(ws),
            _ => rng.pick(vals),
        };
        match rng.below(4) {
            0 => words.push(o.to_string()),
            1 => {
                words.push(o.to_string());
                words.push(val.to_string());
            }
            2 if o.starts_with("--") => words.push(format!("{o}={val}")),
            _ => words.push(format!("{o}{val}")),
        }
    }
    for _ in 0..rng.below(3) {
        words.push(rng.pick(vals).to_string());
    }
    // The first word is the program (`git log` stays two words).
    let cmd = std::iter::once(prog.name.clone())
        .chain(words.iter().skip(1).map(|w| quote(w)))
        .collect::<Vec<_>>()
        .join(" ");
    match rng.below(10) {
        0 => format!(
            "cd {}; {cmd}",
            rng.pick(&["src".into(), "nope".into(), "sshlink".into(), "..".into()])
        ),
        1 => format!("{cmd} | head -5"),
        _ => cmd,
    }
}

/// Quotes a word for bash unless it is meant to expand (globs, `~`, `$HOME`).
fn quote(w: &str) -> String {
    let expands = w.contains(['*', '?', '~', '$']);
    let plain = w
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./=%,:+@".contains(c));
    if expands || plain {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

fn hook_input(fx: &Fixture, tool: &str, input: Value) -> Value {
    json!({
        "hook_event_name": "PreToolUse",
        "session_id": "oracle",
        "cwd": fx.ws.display().to_string(),
        "permission_mode": "default",
        "tool_name": tool,
        "tool_input": input,
    })
}

/// The corpus's Bash commands and Grep calls, with /home/dev/project mapped to the fixture.
fn corpus_inputs(fx: &Fixture) -> Vec<(String, Value)> {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    for dir in ["tests/corpus", "tests/corpus-fs"] {
        let Ok(entries) = std::fs::read_dir(base.join(dir)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let Ok(case) = serde_json::from_str::<Value>(line) else {
                    continue;
                };
                let name = case["name"].as_str().unwrap_or("?").to_string();
                let text = case["input"]
                    .to_string()
                    .replace("/home/dev", &fx.home.display().to_string());
                let Ok(mut input) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                // The fixture's workspace is the corpus's usual cwd.
                if input.get("cwd").is_some() {
                    input["cwd"] = json!(fx.ws.display().to_string());
                }
                out.push((name, input));
            }
        }
    }
    out
}

/// The client's argv for a Grep tool call (Claude Code runs ripgrep with `--hidden`, its
/// VCS exclusions, and splits `glob` on commas and whitespace).
fn grep_argv(fx: &Fixture, input: &Value) -> Option<Vec<String>> {
    let pattern = input.get("pattern")?.as_str()?;
    let mut argv: Vec<String> = ["rg", "--hidden"].iter().map(|s| s.to_string()).collect();
    for vcs in [".git", ".svn", ".hg", ".bzr", ".jj", ".sl"] {
        argv.push("--glob".into());
        argv.push(format!("!{vcs}"));
    }
    argv.push("--max-columns".into());
    argv.push("500".into());
    if input.get("multiline").and_then(Value::as_bool) == Some(true) {
        argv.push("-U".into());
        argv.push("--multiline-dotall".into());
    }
    if input.get("-i").and_then(Value::as_bool) == Some(true) {
        argv.push("-i".into());
    }
    match input.get("output_mode").and_then(Value::as_str) {
        Some("content") => {
            if input.get("-n").and_then(Value::as_bool) != Some(false) {
                argv.push("-n".into());
            }
            for k in ["-A", "-B", "-C"] {
                if let Some(n) = input.get(k).and_then(Value::as_u64) {
                    argv.push(k.into());
                    argv.push(n.to_string());
                }
            }
        }
        Some("count") => argv.push("-c".into()),
        _ => argv.push("-l".into()),
    }
    if let Some(t) = input.get("type").and_then(Value::as_str) {
        argv.push("--type".into());
        argv.push(t.into());
    }
    if let Some(g) = input.get("glob").and_then(Value::as_str) {
        for piece in g.split([',', ' ', '\t', '\n']).filter(|p| !p.is_empty()) {
            argv.push("--glob".into());
            argv.push(piece.into());
        }
    }
    if pattern.starts_with('-') {
        argv.push("-e".into());
    }
    argv.push(pattern.into());
    let path = input
        .get("path")
        .and_then(Value::as_str)
        .map(|p| {
            if p.starts_with('/') {
                p.to_string()
            } else {
                fx.ws.join(p).display().to_string()
            }
        })
        .unwrap_or_else(|| fx.ws.display().to_string());
    argv.push(path);
    Some(argv)
}

/// Classes (`PROGRAM: KIND`) of mismatches already reported and awaiting an analyser fix:
/// every line of `tests/oracle-pending.jsonl` lists its `classes`.
fn pending() -> HashSet<String> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oracle-pending.jsonl");
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .flat_map(|c| {
            c["classes"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
        .collect()
}

/// The class of an analyser panic: the program it was judging.
fn panic_class(cmd: &str) -> String {
    let first = cmd.split_whitespace().next().unwrap_or("");
    format!("analyser panics: {first}")
}

/// The class of a violation: what comes before ` — `.
fn class_of(v: &str) -> String {
    v.split(" — ").next().unwrap_or(v).to_string()
}

struct Case {
    name: String,
    tool: String,
    input: Value,
    argv: Vec<String>,
    programs: BTreeSet<String>,
}

/// A corpus line for a mismatch, in the corpus's /home/dev terms.
fn corpus_line(fx: &Fixture, case: &Case, why_list: &[String]) -> String {
    let home = fx.home.display().to_string();
    let input = case.input.to_string().replace(&home, "/home/dev");
    let input: Value = serde_json::from_str(&input).unwrap_or(Value::Null);
    let mut why = why_list.join("; ").replace(&home, "~");
    why.truncate(300);
    let classes: BTreeSet<String> = why_list.iter().map(|w| class_of(w)).collect();
    json!({
        "name": format!("oracle-{}", case.name),
        "expect": "not_allow",
        "why": format!("oracle: allowed, but run for real: {why}"),
        "classes": classes,
        "input": input,
    })
    .to_string()
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs the cases two at a time and returns (case, violations) for every mismatch.
fn run_cases(fx: &Fixture, cases: &[Case]) -> Vec<(usize, Vec<String>)> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let found = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for slot in 0..2 {
            let (next, found) = (&next, &found);
            s.spawn(move || loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let argv: Vec<&str> = case.argv.iter().map(String::as_str).collect();
                let run = run_traced(fx, slot, &argv);
                let mut programs = case.programs.clone();
                if case.tool == "Grep" {
                    programs.insert("rg".into());
                }
                let v = violations(fx, &run, &programs);
                if !v.is_empty() {
                    if let Ok(mut f) = found.lock() {
                        f.push((i, v));
                    }
                }
            });
        }
    });
    let mut found = found.into_inner().unwrap_or_default();
    found.sort();
    found
}

fn report(fx: &Fixture, what: &str, cases: &[Case], found: &[(usize, Vec<String>)]) {
    let pending = pending();
    let mut lines = Vec::new();
    let mut new = Vec::new();
    let mut known = 0;
    for (i, why) in found {
        let Some(case) = cases.get(*i) else { continue };
        let line = corpus_line(fx, case, why);
        if why.iter().all(|w| pending.contains(&class_of(w))) {
            known += 1;
        } else {
            new.push(line.clone());
        }
        lines.push(line);
    }
    if let Ok(out) = std::env::var("ORACLE_OUT") {
        let mut text = std::fs::read_to_string(&out).unwrap_or_default();
        for l in &lines {
            text.push_str(l);
            text.push('\n');
        }
        let _ = std::fs::write(&out, text);
    }
    eprintln!(
        "oracle ({what}): {} allowed cases run, {} mismatches ({known} known and pending \
         in tests/oracle-pending.jsonl, {} new)",
        cases.len(),
        found.len(),
        new.len()
    );
    assert!(
        new.is_empty(),
        "oracle ({what}): {} allowed cases misbehaved when run for real:\n{}",
        new.len(),
        new.join("\n")
    );
}

fn sandbox_or_skip() -> bool {
    match sandbox_works() {
        Ok(()) => true,
        Err(why) => {
            assert!(
                std::env::var("ORACLE_REQUIRED").is_err(),
                "the oracle cannot run: {why}"
            );
            eprintln!("oracle SKIPPED: {why}");
            false
        }
    }
}

#[test]
fn allowed_shell_commands_do_only_what_the_analyser_said() {
    if !sandbox_or_skip() {
        return;
    }
    let fx = fixture();
    let engine = engine(&fx);
    let mut cases = Vec::new();
    let mut seen = HashSet::new();
    let mut panics = Vec::new();
    let mut consider = |name: String, input: Value, cases: &mut Vec<Case>| -> bool {
        if input["tool_name"] != "Bash" {
            return false;
        }
        let Some(cmd) = input["tool_input"]["command"].as_str().map(str::to_string) else {
            return false;
        };
        if !seen.insert(cmd.clone()) {
            return false;
        }
        let Ok(adapted) = assent_adapters::from_value(input.clone()) else {
            return false;
        };
        // Agent input must never panic the analyser; a panic is a finding of its own.
        let ev = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            engine.evaluate(&adapted, "agent")
        }));
        let Ok(ev) = ev else {
            panics.push(cmd);
            return false;
        };
        if ev.decision.decision != Verdict::Allow {
            return false;
        }
        cases.push(Case {
            name,
            tool: "Bash".into(),
            input,
            argv: vec!["bash".into(), "-c".into(), cmd],
            programs: ev.facts.programs.clone(),
        });
        true
    };
    let corpus = corpus_inputs(&fx);
    for (name, input) in corpus {
        consider(name, input, &mut cases);
    }
    let from_corpus = cases.len();
    let want = env_usize("ORACLE_CASES", 200);
    let seed = env_usize("ORACLE_SEED", 7) as u64;
    let catalog = catalog();
    assert!(!catalog.is_empty(), "no allowlisted program is installed");
    let vals = values();
    let mut rng = Rng(seed);
    let mut generated = 0;
    let mut tried = 0;
    while generated < want && tried < want * 60 {
        tried += 1;
        let cmd = generate(&mut rng, &catalog, &vals);
        let input = hook_input(&fx, "Bash", json!({ "command": cmd }));
        if consider(format!("gen-{seed}-{tried}"), input, &mut cases) {
            generated += 1;
        }
    }
    eprintln!(
        "oracle: {from_corpus} allowed corpus commands, {generated} allowed of {tried} generated"
    );
    let pending = pending();
    let new_panics: Vec<String> = panics
        .iter()
        .filter(|c| !pending.contains(&panic_class(c)))
        .map(|c| {
            json!({
                "name": "oracle-panic",
                "expect": "not_allow",
                "why": "oracle: the analyser panics on this command",
                "classes": [panic_class(c)],
                "input": {"tool_name": "Bash", "tool_input": {"command": c},
                          "cwd": "/home/dev/project", "hook_event_name": "PreToolUse",
                          "session_id": "oracle"},
            })
            .to_string()
        })
        .collect();
    if let Ok(out) = std::env::var("ORACLE_OUT") {
        let mut text = std::fs::read_to_string(&out).unwrap_or_default();
        for l in &new_panics {
            text.push_str(l);
            text.push('\n');
        }
        let _ = std::fs::write(&out, text);
    }
    let started = Instant::now();
    let found = run_cases(&fx, &cases);
    eprintln!(
        "oracle: ran {} commands in {:?}",
        cases.len(),
        started.elapsed()
    );
    report(&fx, "shell", &cases, &found);
    assert!(
        new_panics.is_empty(),
        "the analyser panicked on {} generated commands:\n{}",
        new_panics.len(),
        new_panics.join("\n")
    );
}

#[test]
fn allowed_grep_calls_open_no_secret() {
    if !sandbox_or_skip() {
        return;
    }
    let fx = fixture();
    let engine = engine(&fx);
    let ws = fx.ws.display().to_string();
    let home = fx.home.display().to_string();
    let mut inputs: Vec<(String, Value)> = corpus_inputs(&fx)
        .into_iter()
        .filter(|(_, i)| i["tool_name"] == "Grep")
        .map(|(n, i)| (n, i["tool_input"].clone()))
        .collect();
    // Grep calls over the fixture: paths, globs (negated, with `/`, comma- and space-split),
    // types, output modes, case and multiline flags.
    let paths = [
        None,
        Some(ws.clone()),
        Some(".".into()),
        Some("src".into()),
        Some("docs".into()),
        Some(".hidden".into()),
        Some("sshlink".into()),
        Some("outlink".into()),
        Some(format!("{ws}/notes-hl.txt")),
        Some(format!("{ws}/docs")),
        Some(format!("{ws}/src/../..")),
        Some(format!("{home}/.ssh")),
        Some(format!("{ws}/config")),
        Some(format!("{ws}/.env")),
    ];
    let globs = [
        None,
        Some("*.md"),
        Some("*.rs"),
        Some("!*.md"),
        Some("*.md,*.env"),
        Some("*.md .env"),
        Some("src/**"),
        Some("**/*"),
        Some("*.{md,txt}"),
        Some(".*"),
        Some("!src/**"),
    ];
    let types = [None, Some("rust"), Some("md"), Some("js")];
    let modes = [
        None,
        Some("content"),
        Some("files_with_matches"),
        Some("count"),
    ];
    let mut rng = Rng(env_usize("ORACLE_SEED", 7) as u64);
    let want = env_usize("ORACLE_GREP_CASES", 150);
    for i in 0..want * 4 {
        let mut input = serde_json::Map::new();
        let pattern = ["KEY", "hello", "ORACLE", ".", "-n", "fn"][rng.below(6)];
        input.insert("pattern".into(), json!(pattern));
        if let Some(p) = &paths[rng.below(paths.len())] {
            input.insert("path".into(), json!(p));
        }
        if let Some(g) = globs[rng.below(globs.len())] {
            input.insert("glob".into(), json!(g));
        }
        if let Some(t) = types[rng.below(types.len())] {
            input.insert("type".into(), json!(t));
        }
        if let Some(m) = modes[rng.below(modes.len())] {
            input.insert("output_mode".into(), json!(m));
        }
        if rng.below(4) == 0 {
            input.insert("-i".into(), json!(true));
        }
        if rng.below(6) == 0 {
            input.insert("multiline".into(), json!(true));
        }
        inputs.push((format!("grep-{i}"), Value::Object(input)));
    }
    let mut cases = Vec::new();
    let mut seen = HashSet::new();
    for (name, tool_input) in inputs {
        if cases.len() >= want + 50 || !seen.insert(tool_input.to_string()) {
            continue;
        }
        let input = hook_input(&fx, "Grep", tool_input.clone());
        let Ok(adapted) = assent_adapters::from_value(input.clone()) else {
            continue;
        };
        let ev = engine.evaluate(&adapted, "agent");
        if ev.decision.decision != Verdict::Allow {
            continue;
        }
        let Some(argv) = grep_argv(&fx, &tool_input) else {
            continue;
        };
        cases.push(Case {
            name,
            tool: "Grep".into(),
            input,
            argv,
            programs: BTreeSet::new(),
        });
    }
    let found = run_cases(&fx, &cases);
    report(&fx, "grep", &cases, &found);
}

/// The oracle's own checks catch what they claim to: each planted misbehaviour is found.
#[test]
fn oracle_sees_secret_reads_writes_execs_and_network() {
    if !sandbox_or_skip() {
        return;
    }
    let fx = fixture();
    let none = BTreeSet::new();
    let cat: BTreeSet<String> = ["cat".to_string()].into();
    let check = |cmd: &str, programs: &BTreeSet<String>, expect: &str| {
        let run = run_traced(&fx, 0, &["bash", "-c", cmd]);
        let v = violations(&fx, &run, programs);
        assert!(
            v.iter().any(|x| x.contains(expect)),
            "`{cmd}`: expected a violation containing {expect:?}, got {v:?}"
        );
    };
    check("cat notes-hl.txt", &cat, "opens a secret");
    check("cat envlink", &cat, "opens a secret");
    check("cat sshlink/id_rsa", &cat, "opens a secret");
    check("cat outlink/notes.txt", &cat, "opens outside the workspace");
    check("echo > README.md", &none, "writes");
    check("cat README.md", &none, "executes");
    check("exec 3<>/dev/tcp/127.0.0.1/9", &none, "network socket");
    // And a harmless command is clean.
    let run = run_traced(&fx, 0, &["bash", "-c", "cat README.md src/main.rs | wc -l"]);
    let progs: BTreeSet<String> = ["cat".to_string(), "wc".to_string()].into();
    assert_eq!(violations(&fx, &run, &progs), Vec::<String>::new());
}

/// Claude Code's Read opens `file_path` itself (following symlinks; a hard link is the same
/// file): every allowed Read of a path in or around the fixture must not be a secret by
/// name, by where its symlinks lead, or by inode. Needs no sandbox: the file is only stat'ed.
#[test]
fn allowed_reads_open_no_secret() {
    let fx = fixture();
    let engine = engine(&fx);
    let ws = fx.ws.display().to_string();
    let home = fx.home.display().to_string();
    // Every file under the home, by its plain path and by the routes an agent could spell.
    let mut paths = Vec::new();
    let mut stack = vec![fx.home.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            let p = e.path();
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            if is_dir && !p.ends_with(".git") {
                stack.push(p.clone());
            }
            paths.push(p.display().to_string());
        }
    }
    for extra in [
        "sshlink/id_rsa",
        "sshlink/config",
        "awslink",
        "envlink",
        "outlink/notes.txt",
        "rootlink/etc/hostname",
        "src/../.env",
        "src/../../.ssh/id_rsa",
        "./notes-hl.txt",
        "docs/env-copy.md",
        "docs//env-copy.md",
        ".env\n",
        " .env",
        "[.]env",
        "*.env",
        ".e?v",
    ] {
        paths.push(format!("{ws}/{extra}"));
    }
    paths.push(format!("{home}/project/../.aws/credentials"));
    paths.sort();
    paths.dedup();
    let mut cases = Vec::new();
    let mut found = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let input = hook_input(&fx, "Read", json!({ "file_path": path }));
        let Ok(adapted) = assent_adapters::from_value(input.clone()) else {
            continue;
        };
        let ev = engine.evaluate(&adapted, "agent");
        if ev.decision.decision != Verdict::Allow {
            continue;
        }
        // What the client would open: the path as given, after the kernel's resolution.
        let real = std::fs::canonicalize(path).ok();
        let meta = std::fs::metadata(path).ok();
        let by_inode = meta
            .as_ref()
            .is_some_and(|m| m.is_file() && fx.secret_inodes.contains(&(m.dev(), m.ino())));
        let by_name = real
            .as_ref()
            .is_some_and(|r| fx.secret_paths.iter().any(|s| r.starts_with(s)));
        let outside = real.as_ref().is_some_and(|r| !r.starts_with(&fx.ws));
        let mut why = Vec::new();
        if by_inode || by_name {
            why.push(format!(
                "Read: opens a secret — {}",
                real.as_ref()
                    .map_or(path.clone(), |r| r.display().to_string())
            ));
        } else if outside {
            why.push(format!(
                "Read: opens outside the workspace — {}",
                real.as_ref()
                    .map_or(path.clone(), |r| r.display().to_string())
            ));
        }
        let idx = cases.len();
        cases.push(Case {
            name: format!("read-{i}"),
            tool: "Read".into(),
            input,
            argv: Vec::new(),
            programs: BTreeSet::new(),
        });
        if !why.is_empty() {
            found.push((idx, why));
        }
    }
    assert!(cases.len() > 5, "too few Reads allowed to test anything");
    report(&fx, "read", &cases, &found);
}
