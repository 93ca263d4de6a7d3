//! The web console in a real browser: Debian's headless Chromium driven through chromedriver
//! (WebDriver, by fantoccini), against the real `assent serve` binary, with requests made by
//! real `assent hook claude-code` processes: most decide in process and write straight into
//! the database (the console must notice by itself), one is a thin client of the server
//! (`ASSENT_URL` and the agent's token).
//!
//! Log in; a hook's request appears in the queue without a reload; open it; see the escaped,
//! flagged hidden character and the diff (against the file as it was when the request was
//! made, though it changed since); approve — the hook is released with allow; approve
//! another for an hour, which leaves a grant; deny a third with a reason (keyboard only) —
//! that hook answers deny with the reason; revoke the grant; edit the policy: a broken edit
//! is refused by validation, a good one is activated, then rolled back. Secrets never reach a
//! page: a credential planted in the edited file, and a command carrying a live-looking API
//! key and the value of a protected environment variable, which the queue, the request page,
//! the audit page and its export all show redacted. The pages also fit a phone-sized screen,
//! and an open request page shows a decision made elsewhere (the CLI) without a reload.
//!
//! Needs `chromium` and `chromedriver` (apt: `chromium chromium-driver`; `.ci/run` installs
//! them). Without them the test says so loudly and passes, except under `CI=true`, where a
//! missing or unusable browser fails the test.
//! `ASSENT_SCREENSHOTS=DIR` (the script `scripts/console-screenshots` sets it to
//! `docs/console`) saves screenshots of the main pages there.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used
)]

use fantoccini::{elements::Element, Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_assent");
/// A protected variable (`*_TOKEN`) in the environment of the server and of every hook: its
/// value has no credential shape, so only redaction by value can hide it.
const ENV_NAME: &str = "DEPLOY_TOKEN";
const ENV_SECRET: &str = "plain-horse-battery-7781";
const WAIT: Duration = Duration::from_secs(20);

/// Rules without their own mode ask `once`, so an approval may leave a grant.
const SETTINGS: &str = r#"
[defaults]
mode = "once"

[local]
agent = "agent"
approver = "alice"

[[principals]]
name = "alice"
kind = "user"
roles = ["owner"]

[[principals]]
name = "agent"
kind = "agent"
roles = ["agent"]
"#;

/// A child process killed (by its own id) when the test ends, however it ends.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A plain HTTP/1.1 GET, for readiness checks only.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    // Some servers (chromedriver) keep the connection open: the status line is enough.
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).ok()?;
    let out = String::from_utf8_lossy(buf.get(..n)?).to_string();
    let code = out.split(' ').nth(1)?.parse().ok()?;
    Some((code, out))
}

fn wait_http(port: u16, path: &str, what: &str) {
    let start = Instant::now();
    while start.elapsed() < WAIT {
        if http_get(port, path).is_some_and(|(c, _)| c == 200) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} did not answer on port {port}");
}

struct World {
    _dir: tempfile::TempDir,
    home: PathBuf,
    user_home: PathBuf,
    ws: PathBuf,
    port: u16,
    shots: Option<PathBuf>,
}

impl World {
    fn cmd(&self) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--home")
            .arg(&self.home)
            .env("HOME", &self.user_home)
            .env_remove("ASSENT_HOME")
            .env_remove("ASSENT_URL")
            .env_remove("ASSENT_TOKEN")
            .env(ENV_NAME, ENV_SECRET);
        c
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn token(&self, principal: &str) -> String {
        let out = self
            .cmd()
            .args(["token", "create", "--principal", principal, "--ttl", "1h"])
            .output()
            .expect("assent token create");
        assert!(
            out.status.success(),
            "token create: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A real Claude Code hook process, fed one PreToolUse event on stdin, deciding in
    /// process (it writes its request straight into the database).
    fn hook(&self, tool: &str, input: Value) -> Child {
        self.hook_with(tool, input, None)
    }

    /// The same hook as a thin client of the running server (`ASSENT_URL`, the agent's token):
    /// the server decides and holds it until someone answers.
    fn hook_via_server(&self, tool: &str, input: Value, token: &str) -> Child {
        self.hook_with(tool, input, Some(token))
    }

    fn hook_with(&self, tool: &str, input: Value, token: Option<&str>) -> Child {
        let line = json!({"hook_event_name": "PreToolUse", "session_id": "browser", "cwd": self.ws.display().to_string(), "tool_name": tool, "tool_input": input}).to_string();
        let mut cmd = self.cmd();
        if let Some(token) = token {
            cmd.env("ASSENT_URL", self.url(""))
                .env("ASSENT_TOKEN", token);
        }
        let mut child = cmd
            .args(["hook", "claude-code", "--max-wait", "90"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn hook");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(line.as_bytes())
            .expect("write stdin");
        child
    }

    async fn shot(&self, c: &Client, name: &str) {
        if let Some(dir) = &self.shots {
            let png = c.screenshot().await.expect("screenshot");
            std::fs::create_dir_all(dir).expect("mkdir screenshots");
            std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
        }
    }
}

fn hook_answer(child: Child) -> Value {
    let out = child.wait_with_output().expect("hook ends");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "hook printed no JSON ({e}): {} / {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

async fn find(c: &Client, css: &str) -> Element {
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}` on the page: {e}"))
}

/// Waits until `css` matches an element whose text contains `text`.
async fn find_text(c: &Client, css: &str, text: &str) -> Element {
    let start = Instant::now();
    loop {
        if let Ok(found) = c.find_all(Locator::Css(css)).await {
            for e in found {
                if e.text().await.is_ok_and(|t| t.contains(text)) {
                    return e;
                }
            }
        }
        if start.elapsed() > WAIT {
            let body = c
                .find(Locator::Css("body"))
                .await
                .expect("body")
                .text()
                .await
                .unwrap_or_default();
            panic!("no `{css}` containing {text:?}; the page says:\n{body}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the page source no longer shows `css`.
async fn gone(c: &Client, css: &str) {
    let start = Instant::now();
    while start.elapsed() < WAIT {
        if c.find_all(Locator::Css(css))
            .await
            .map(|v| v.is_empty())
            .unwrap_or(false)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("`{css}` is still on the page");
}

/// Every control has a name a screen reader can say (its label, `aria-label` or text), and the
/// page has exactly one `h1`.
async fn labelled(c: &Client, page: &str) {
    let bad = c
        .execute(
            "const bad = [];
             for (const e of document.querySelectorAll('input, select, textarea, button, a[href]')) {
               if (e.type === 'hidden' || e.closest('[hidden]')) continue;
               const label = e.id ? document.querySelector('label[for=\"' + CSS.escape(e.id) + '\"]') : null;
               const name = e.getAttribute('aria-label') || (label && label.textContent) || e.textContent;
               if (!name || !name.trim()) bad.push(e.outerHTML.slice(0, 120));
             }
             if (document.querySelectorAll('h1').length !== 1) bad.push('h1 count ' + document.querySelectorAll('h1').length);
             return bad;",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(bad, json!([]), "unlabelled controls on the {page} page");
}

async fn no_secret(c: &Client, secret: &str, page: &str) {
    let src = c.source().await.expect("page source");
    for s in [secret, ENV_SECRET] {
        assert!(!src.contains(s), "a planted secret reached the {page} page");
    }
}

/// A live-looking Anthropic API key, in a command a hook asks about.
const API_KEY: &str = "sk-ant-api03-Vd7Qm2LxP9rT4wK8nB3cF6hJ1sZ5yG0aE";

/// Neither the API key nor the protected variable's value is on the page (by source).
async fn no_key(c: &Client, page: &str) {
    let src = c.source().await.expect("page source");
    for s in [API_KEY, ENV_SECRET] {
        assert!(
            !src.contains(s),
            "a secret in a command reached the {page} page"
        );
    }
}

fn pending_ids(w: &World) -> Vec<i64> {
    let out = w
        .cmd()
        .args(["pending", "--format", "json"])
        .output()
        .expect("assent pending");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["id"].as_i64())
        .collect()
}

/// Waits for a pending request not in `seen`, adds it there and answers it.
fn wait_new(w: &World, seen: &mut Vec<i64>) -> i64 {
    let start = Instant::now();
    while start.elapsed() < WAIT {
        if let Some(id) = pending_ids(w).into_iter().find(|i| !seen.contains(i)) {
            seen.push(id);
            return id;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no new request became pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_a_real_browser() {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let (Some(chromium), Some(driver)) = (which("chromium"), which("chromedriver")) else {
        assert!(
            !ci,
            "CI=true but chromium or chromedriver is missing: .ci/run installs `chromium chromium-driver`"
        );
        eprintln!("\n\n*** SKIPPED console_in_a_real_browser: chromium or chromedriver is not installed (apt-get install chromium chromium-driver) ***\n\n");
        return;
    };

    let dir = tempfile::tempdir().expect("tempdir");
    let user_home = dir.path().join("user");
    let home = user_home.join(".assent");
    let ws = user_home.join("project");
    std::fs::create_dir_all(home.join("policy")).expect("mkdir");
    std::fs::create_dir_all(&ws).expect("mkdir");
    std::fs::write(
        home.join("policy/default.cedar"),
        assent_policy::DEFAULT_CEDAR,
    )
    .expect("write policy");
    std::fs::write(home.join("policy/assent.toml"), SETTINGS).expect("write settings");
    let shots = std::env::var_os("ASSENT_SCREENSHOTS").map(PathBuf::from);
    let w = World {
        _dir: dir,
        home,
        user_home,
        ws,
        port: free_port(),
        shots,
    };

    // A credential planted two lines from the edit: inside the diff's context.
    let secret = format!("ghp_{}", "Zq8rT2mW5xK9pL3vN7bC1dF6gH4jS0aYuE".repeat(2));
    let mut notes: String = (1..=30).map(|i| format!("line {i}\n")).collect();
    notes = notes.replace("line 13\n", &format!("GITHUB_TOKEN={secret}\n"));
    std::fs::write(w.ws.join("notes.txt"), &notes).expect("write notes");

    let alice = w.token("alice");
    let agent = w.token("agent");
    let _server = Proc(
        w.cmd()
            // No socket: the hooks below take the in-process path and write their requests
            // straight into the database, which the console must notice by itself.
            .args([
                "serve",
                "--no-socket",
                "--listen",
                &format!("127.0.0.1:{}", w.port),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("assent serve"),
    );
    wait_http(w.port, "/healthz", "assent serve");

    let driver_port = free_port();
    let _driver = Proc(
        Command::new(&driver)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver"),
    );
    wait_http(driver_port, "/status", "chromedriver");
    let profile = tempfile::tempdir().expect("profile dir");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium.display().to_string(),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-dev-shm-usage", "--window-size=1280,1400",
                     format!("--user-data-dir={}", profile.path().display())],
        }),
    );
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("WebDriver session");
    let result = run(&c, &w, &alice, &agent, &secret).await;
    let _ = c.close().await;
    result
}

async fn run(c: &Client, w: &World, alice: &str, agent: &str, secret: &str) {
    // --- log in
    c.goto(&w.url("/console")).await.expect("open the console");
    let token = find(c, "#token").await;
    assert_eq!(
        c.find(Locator::Css("label[for=token]"))
            .await
            .expect("the token field has a label")
            .text()
            .await
            .expect("text"),
        "Access token"
    );
    w.shot(c, "login").await;
    labelled(c, "login").await;
    // A wrong token is refused, and says so.
    token.send_keys("ast_0000").await.expect("type");
    find(c, "#login-submit")
        .await
        .click()
        .await
        .expect("submit");
    find_text(c, "#login-error", "token").await;
    token.clear().await.expect("clear");
    token.send_keys(alice).await.expect("type token");
    find(c, "#login-submit")
        .await
        .click()
        .await
        .expect("log in");
    find_text(c, "h1", "Pending requests").await;
    find_text(c, "#who", "alice").await;
    // The cookie is not readable by scripts (HttpOnly).
    let visible = c
        .execute("return document.cookie", vec![])
        .await
        .expect("script");
    assert_eq!(
        visible,
        json!(""),
        "the session cookie is readable by scripts"
    );

    // --- a hook's request appears without a reload
    find(c, "#queue-empty").await;
    c.execute("window.notReloaded = true", vec![])
        .await
        .expect("script");
    // The page follows the server's event stream (EventSource.OPEN is 1).
    let start = Instant::now();
    while c
        .execute("return state.events ? state.events.readyState : -1", vec![])
        .await
        .expect("script")
        != json!(1)
    {
        assert!(
            start.elapsed() < WAIT,
            "the queue's event stream did not open"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let edit = w.hook(
        "Edit",
        json!({"file_path": w.ws.join("notes.txt").display().to_string(),
               "old_string": "line 15\n", "new_string": "line fifteen \u{202e}gnp.exe\n"}),
    );
    let mut seen = Vec::new();
    let edit_id = wait_new(w, &mut seen);
    let row = find(c, &format!("tr[data-request='{edit_id}']")).await;
    assert!(row.text().await.expect("row").contains("notes.txt"));
    assert_eq!(
        c.execute("return window.notReloaded === true", vec![])
            .await
            .expect("script"),
        json!(true),
        "the queue was reloaded to show the request"
    );
    // The file changes after the request was made: the diff stays against what it was.
    let notes = std::fs::read_to_string(w.ws.join("notes.txt")).expect("read notes");
    std::fs::write(
        w.ws.join("notes.txt"),
        notes.replace("line 14\n", "line 14 changed later\n"),
    )
    .expect("change notes");
    find(c, ".countdown").await;
    w.shot(c, "queue").await;
    labelled(c, "queue").await;
    no_secret(c, secret, "queue").await;

    // --- open it: the hidden character escaped and flagged, the diff, the account
    find(c, &format!("tr[data-request='{edit_id}'] a.open-request"))
        .await
        .click()
        .await
        .expect("open request");
    let mark = find(c, "#diff mark.hidden-char").await;
    assert_eq!(mark.text().await.expect("mark"), "\\u{202E}");
    assert!(mark
        .attr("title")
        .await
        .expect("title")
        .is_some_and(|t| t.contains("U+202E")));
    find(c, "#action-text mark.hidden-char").await;
    find_text(c, "#hidden-warning", "U+202E").await;
    find_text(c, "#diff .line.removed", "line 15").await;
    find_text(c, "#diff .line.added", "line fifteen").await;
    find_text(c, "#diff .line.context", "line 14").await;
    assert!(
        !c.source().await.expect("source").contains("changed later"),
        "the diff was made against the file as it is now, not as it was"
    );
    // A real diff: line 1 is far from the change, so it is not listed as removed.
    let removed = c
        .find_all(Locator::Css("#diff .line.removed"))
        .await
        .expect("lines");
    assert_eq!(removed.len(), 1, "only the edited line is removed");
    find_text(c, "#why", "Needs approval").await;
    find_text(c, "#principal", "agent").await;
    let src = c.source().await.expect("source");
    assert!(
        !src.contains('\u{202e}'),
        "the raw bidi character reached the page"
    );
    no_secret(c, secret, "request").await;
    w.shot(c, "request").await;
    labelled(c, "request").await;

    // --- approve: the hook is released with allow (this rule asks every time: no grant offered)
    let period = find(c, "#approve-for").await;
    assert_eq!(
        period
            .find_all(Locator::Css("option"))
            .await
            .expect("options")
            .len(),
        1,
        "a rule with mode `always` leaves no grant, so no period is offered"
    );
    find(c, "#approve-reason")
        .await
        .send_keys("looks right")
        .await
        .expect("type");
    find(c, "#approve").await.click().await.expect("approve");
    find_text(c, "#request-state", "approved").await;
    let answer = hook_answer(edit);
    assert_eq!(
        answer["hookSpecificOutput"]["permissionDecision"], "allow",
        "{answer}"
    );

    // --- approve another for an hour: released with allow, and a grant is left
    c.goto(&w.url("/console/#/")).await.expect("queue");
    find(c, "#queue-empty").await;
    let mkdir = w.hook("Bash", json!({"command": "mkdir build"}));
    let mkdir_id = wait_new(w, &mut seen);
    find(c, &format!("tr[data-request='{mkdir_id}'] a.open-request"))
        .await
        .click()
        .await
        .expect("open");
    find(c, "#approve-for")
        .await
        .select_by_value("1h")
        .await
        .expect("choose a period");
    find(c, "#approve").await.click().await.expect("approve");
    find_text(c, "#request-state", "approved").await;
    let answer = hook_answer(mkdir);
    assert_eq!(
        answer["hookSpecificOutput"]["permissionDecision"], "allow",
        "{answer}"
    );

    // --- deny another with a reason, by keyboard alone. This hook is a thin client of the
    // server (as an agent on another machine would be). Its command carries a live-looking
    // API key and the value of a protected variable: both redacted wherever they show.
    c.goto(&w.url("/console/#/")).await.expect("queue");
    find(c, "#queue-empty").await;
    let rm = w.hook_via_server(
        "Bash",
        json!({"command": format!("./deploy.sh --key {API_KEY} --token {ENV_SECRET}")}),
        agent,
    );
    let rm_id = wait_new(w, &mut seen);
    let row = find_text(c, &format!("tr[data-request='{rm_id}']"), "deploy.sh").await;
    let row_text = row.text().await.expect("row");
    assert!(row_text.contains("[REDACTED"), "{row_text}");
    no_key(c, "queue").await;
    find(c, &format!("tr[data-request='{rm_id}'] a.open-request"))
        .await
        .send_keys("\u{e007}")
        .await
        .expect("open with Enter");
    let action = find_text(c, "#action-text", "deploy.sh").await;
    let action = action.text().await.expect("action");
    assert!(
        action.contains("[REDACTED:anthropic-key]")
            && action.contains(&format!("[REDACTED:{ENV_NAME}]")),
        "{action}"
    );
    no_key(c, "request").await;
    let reason = find(c, "#deny-reason").await;
    reason
        .send_keys("not on a Friday\u{e007}")
        .await
        .expect("type a reason and press Enter");
    find_text(c, "#request-state", "denied").await;
    let answer = hook_answer(rm);
    assert_eq!(
        answer["hookSpecificOutput"]["permissionDecision"], "deny",
        "{answer}"
    );
    for s in [API_KEY, ENV_SECRET] {
        assert!(
            !answer.to_string().contains(s),
            "the hook's answer carries a secret: {answer}"
        );
    }
    assert!(
        answer["hookSpecificOutput"]["permissionDecisionReason"]
            .as_str()
            .is_some_and(|r| r.contains("not on a Friday")),
        "{answer}"
    );

    // --- the grant is real: the same command now runs without asking
    let again = hook_answer(w.hook("Bash", json!({"command": "mkdir build"})));
    assert_eq!(
        again["hookSpecificOutput"]["permissionDecision"], "allow",
        "the grant let the same command through: {again}"
    );

    // --- grants: revoke the one the approval left; the command asks again
    c.goto(&w.url("/console/#/grants")).await.expect("grants");
    let revoke = find(c, "button.revoke").await;
    w.shot(c, "grants").await;
    labelled(c, "grants").await;
    revoke.click().await.expect("revoke");
    c.accept_alert().await.expect("confirm the revocation");
    gone(c, "button.revoke").await;
    find(c, "#grants-empty").await;
    let asks = Proc(w.hook("Bash", json!({"command": "mkdir build"})));
    wait_new(w, &mut seen);
    drop(asks);

    // --- audit log
    c.goto(&w.url("/console/#/audit")).await.expect("audit");
    find_text(c, "#audit-table", "grant.revoked").await;
    find_text(c, "#audit-table", "not on a Friday").await;
    find_text(c, "#audit-table", "deploy.sh").await;
    no_secret(c, secret, "audit").await;
    no_key(c, "audit").await;
    // Each export the page links to: the request is there, its secrets redacted.
    let exports = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             (async () => {
               const out = [];
               for (const a of document.querySelectorAll('a.export')) {
                 const r = await fetch(a.href);
                 out.push([a.dataset.format, r.status, await r.text()]);
               }
               return out;
             })().then(done, (e) => done(String(e)));",
            vec![],
        )
        .await
        .expect("fetch the exports");
    let exports = exports.as_array().expect("exports");
    assert_eq!(exports.len(), 3, "{exports:?}");
    for e in exports {
        let (format, status, body) = (&e[0], &e[1], e[2].as_str().unwrap_or(""));
        assert_eq!(status, 200, "{format} export");
        assert!(
            body.contains("deploy.sh"),
            "{format} export lacks the request"
        );
        assert!(
            body.contains("[REDACTED"),
            "{format} export shows no redaction"
        );
        for s in [API_KEY, ENV_SECRET, secret] {
            assert!(!body.contains(s), "a secret reached the {format} export");
        }
    }
    w.shot(c, "audit").await;
    labelled(c, "audit").await;
    find(c, "#verify").await.click().await.expect("verify");
    find_text(c, "#verify-result", "intact").await;

    // --- policy: a broken edit is refused, a good one activated, then rolled back
    c.goto(&w.url("/console/#/policy")).await.expect("policy");
    let version_before = find(c, "#policy-version strong")
        .await
        .text()
        .await
        .expect("version");
    find(c, "textarea[data-file$='.cedar']")
        .await
        .send_keys("\npermit (principal")
        .await
        .expect("break the policy");
    find(c, "#validate").await.click().await.expect("validate");
    find(c, "#policy-error").await;
    find_text(c, "#policy-errors", "default.cedar").await;
    w.shot(c, "policy").await;
    labelled(c, "policy").await;
    // Activating it anyway is refused whole.
    find(c, "#activate").await.click().await.expect("activate");
    find_text(c, "#policy-error", "nothing changed").await;
    // Start again from the active text and type a rule that forbids `touch`.
    c.refresh().await.expect("reload");
    find(c, "textarea[data-file$='.cedar']")
        .await
        .send_keys(
            "\n@id(\"no-touch\")\n@reason(\"touch is forbidden here\")\n\
             forbid (principal, action == Action::\"request\", resource)\n\
             when { context.programs.contains(\"touch\") };\n",
        )
        .await
        .expect("type a rule");
    find(c, "#policy-note")
        .await
        .send_keys("no touch")
        .await
        .expect("note");
    find(c, "#validate").await.click().await.expect("validate");
    find_text(c, "#policy-ok", "Valid").await;
    find(c, "#activate").await.click().await.expect("activate");
    find_text(c, "#policy-ok", "Activated version").await;
    let version_after = find(c, "#policy-version strong")
        .await
        .text()
        .await
        .expect("version");
    assert_ne!(version_before, version_after);
    let touch = hook_answer(w.hook("Bash", json!({"command": "touch x"})));
    assert_eq!(
        touch["hookSpecificOutput"]["permissionDecision"], "deny",
        "the activated rule decides: {touch}"
    );
    // The two versions compared in the page.
    find(c, "#diff-from")
        .await
        .select_by_value(&version_before)
        .await
        .expect("from");
    find(c, "#diff-to")
        .await
        .select_by_value(&version_after)
        .await
        .expect("to");
    find(c, "#compare").await.click().await.expect("compare");
    find_text(c, "#policy-diff .line.added", "no-touch").await;
    // Roll back: `touch` asks again.
    find(
        c,
        &format!("button.rollback[data-version='{version_before}']"),
    )
    .await
    .click()
    .await
    .expect("roll back");
    c.accept_alert().await.expect("confirm the rollback");
    find_text(c, "#policy-ok", "Rolled back").await;
    find_text(c, "tr[data-version-row] td", "rollback").await;
    let asks = Proc(w.hook("Bash", json!({"command": "touch x"})));
    wait_new(w, &mut seen);
    drop(asks);

    // --- a phone-sized screen: one column, nothing wider than the screen
    let waiting = w.hook("Bash", json!({"command": "rm -rf dist"}));
    let dist_id = wait_new(w, &mut seen);
    c.set_window_size(390, 844).await.expect("resize");
    c.goto(&w.url("/console/#/")).await.expect("queue");
    find_text(c, "h1", "Pending requests").await;
    find(c, "tr[data-request] .countdown").await;
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(overflow, json!(false), "the queue is wider than a phone");
    w.shot(c, "phone-queue").await;
    c.goto(&w.url(&format!("/console/#/requests/{edit_id}")))
        .await
        .expect("request");
    find(c, "#diff").await;
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(
        overflow,
        json!(false),
        "the request page is wider than a phone"
    );
    w.shot(c, "phone-request").await;
    for (page, ready) in [
        ("grants", "#grants-empty"),
        ("audit", "#audit-table"),
        ("policy", "#policy-version"),
    ] {
        c.goto(&w.url(&format!("/console/#/{page}")))
            .await
            .expect(page);
        find(c, ready).await;
        let overflow = c
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth",
                vec![],
            )
            .await
            .expect("script");
        assert_eq!(
            overflow,
            json!(false),
            "the {page} page is wider than a phone"
        );
    }

    // --- someone else decides while the page is open: it says so, without a reload
    c.goto(&w.url(&format!("/console/#/requests/{dist_id}")))
        .await
        .expect("request");
    find(c, "#deny-reason").await;
    let out = w
        .cmd()
        .args([
            "deny",
            &dist_id.to_string(),
            "--reason",
            "decided elsewhere",
        ])
        .output()
        .expect("assent deny");
    assert!(
        out.status.success(),
        "assent deny: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    find_text(c, "#request-state", "denied").await;
    gone(c, "#deny-reason").await;
    find_text(c, "#answers", "decided elsewhere").await;
    let answer = hook_answer(waiting);
    assert_eq!(
        answer["hookSpecificOutput"]["permissionDecision"], "deny",
        "{answer}"
    );

    // --- log out: the session is gone
    find(c, "#logout").await.click().await.expect("log out");
    find(c, "#token").await;
}
