//! Outgoing webhooks against a real local receiver (axum on 127.0.0.1): each test tries to
//! break one claim — notices are signed (the receiver verifies), retried after a 500, carry no
//! secret, come as Slack messages when asked, and never hold up a decision even when the
//! receiver hangs and the queue overflows.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used
)]

use assent_adapters::from_value;
use assent_gateway::{Gateway, Locations, Outcome};
use assent_notify::sign::{Secret, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use assent_notify::{Format, Options, Settings, Stats, Target, Webhooks};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET: &str = "whsec-test-key-0123456789abcdef";
/// The value of a protected variable (`*_TOKEN`) in the server's environment.
const PLANTED_ENV: &str = "planted-env-value-7f3a9c";
/// A credential-shaped value an agent puts in its command.
const PLANTED_GHP: &str = "ghp_Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz9Xc8V";

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

/// What the receiver saw: one entry per POST, with whether its signature verified.
#[derive(Clone, Default)]
struct Seen {
    posts: Arc<Mutex<Vec<Post>>>,
    /// Answer 500 to this many POSTs first.
    fail_first: Arc<AtomicUsize>,
    /// Never answer (hang) when set.
    hang: bool,
}

#[derive(Clone, Debug)]
struct Post {
    id: String,
    verified: bool,
    body: String,
    at: Instant,
}

async fn receive(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if seen.hang {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let id = h(HEADER_ID);
    let ts: i64 = h(HEADER_TIMESTAMP).parse().unwrap_or(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let key = Secret::parse(SECRET).expect("key");
    let verified = key.verify(&id, ts, &body, &h(HEADER_SIGNATURE), now, 300);
    seen.posts.lock().expect("lock").push(Post {
        id,
        verified,
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
    });
    let failing = seen
        .fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    }
}

async fn receiver(seen: Seen) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = Router::new().route("/hook", post(receive)).with_state(seen);
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hook")
}

struct Home {
    _dir: tempfile::TempDir,
    cwd: String,
    gw: Arc<Gateway>,
}

async fn home(extra_settings: &str) -> Home {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join(".assent");
    std::fs::create_dir_all(home.join("policy")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("project")).expect("mkdir");
    std::fs::write(
        home.join("policy/default.cedar"),
        assent_policy::DEFAULT_CEDAR,
    )
    .expect("write");
    std::fs::write(
        home.join("policy/assent.toml"),
        format!("{SETTINGS}\n{extra_settings}"),
    )
    .expect("write");
    let loc = Locations {
        home: dir.path().to_path_buf(),
        assent_home: home,
        extra_guards: Vec::new(),
    };
    let gw = Arc::new(Gateway::open(&loc, None).await.expect("gateway"));
    Home {
        cwd: dir.path().join("project").display().to_string(),
        _dir: dir,
        gw,
    }
}

impl Home {
    /// An action that asks, carrying both planted secrets.
    async fn ask(&self, n: u32) -> i64 {
        let command = format!("rm -rf build{n} && echo {PLANTED_ENV} {PLANTED_GHP} > /tmp/out{n}");
        let a = from_value(json!({"tool": "Bash", "kind": "shell", "input": {"command": command}, "cwd": self.cwd, "session": "s"})).expect("adapts");
        match self.gw.decide(&a, "agent").await.expect("decide").outcome {
            Outcome::Pending(p) => p.request_id,
            other => panic!("expected an ask, got {other:?}"),
        }
    }
}

fn fast(queue: usize, attempts: u32, timeout: Duration) -> Settings {
    Settings {
        poll: Duration::from_millis(50),
        delivery: Options {
            queue,
            attempts,
            backoff: Duration::from_millis(100),
            backoff_max: Duration::from_millis(400),
            timeout,
        },
    }
}

async fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn bodies(seen: &Seen) -> Vec<Post> {
    seen.posts.lock().expect("lock").clone()
}

fn parsed(p: &Post) -> Value {
    serde_json::from_str(&p.body).expect("json body")
}

fn count(c: &std::sync::atomic::AtomicU64) -> u64 {
    Stats::get(c)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_are_signed_retried_after_a_500_and_carry_no_secret() {
    // A protected variable of the server: its value must never leave in a notice.
    std::env::set_var("ASSENT_WEBHOOK_TEST_TOKEN", PLANTED_ENV);
    let seen = Seen::default();
    seen.fail_first.store(2, Ordering::SeqCst);
    let url = receiver(seen.clone()).await;
    let h = home("").await;
    let target = Target::new(&url, Some(SECRET), Format::Json, &[]).expect("target");
    let hooks = Webhooks::start(
        h.gw.clone(),
        vec![target],
        fast(64, 5, Duration::from_secs(5)),
    )
    .expect("start");

    let id = h.ask(1).await;
    // The first two tries are answered 500; each retry carries the same id and body, after
    // a wait that doubles (backoff 100 ms, then 200 ms).
    let posts = until("the created notice, three times", || {
        let p = bodies(&seen);
        (p.len() >= 3).then_some(p)
    })
    .await;
    for retry in &posts[1..3] {
        assert_eq!(posts[0].id, retry.id, "a retry keeps the notice id");
        assert_eq!(posts[0].body, retry.body);
    }
    let first_wait = posts[1].at - posts[0].at;
    let second_wait = posts[2].at - posts[1].at;
    assert!(first_wait >= Duration::from_millis(100), "{first_wait:?}");
    assert!(second_wait >= Duration::from_millis(200), "{second_wait:?}");
    let v = parsed(&posts[2]);
    assert_eq!(v["type"], "request.created");
    assert_eq!(v["event"], "request");
    assert_eq!(v["request"]["id"], json!(id));
    assert_eq!(v["request"]["state"], "pending");
    assert_eq!(v["request"]["principal"], "agent");
    assert_eq!(v["request"]["kind"], "shell");
    let summary = v["request"]["summary"].as_str().expect("summary");
    assert!(summary.contains("rm -rf build1"), "{summary}");
    assert!(summary.contains("[REDACTED"), "{summary}");
    assert!(count(&hooks.stats().retries) >= 2);

    // A decision: one more notice, naming who denied and why.
    let owner = h.gw.local_identity().expect("owner");
    h.gw.deny(id, &owner, "not on a Friday")
        .await
        .expect("deny");
    let decided = until("the decided notice", || {
        bodies(&seen)
            .into_iter()
            .map(|p| parsed(&p))
            .find(|v| v["type"] == "request.decided")
    })
    .await;
    assert_eq!(decided["event"], "denial");
    assert_eq!(decided["by"], "owner");
    assert_eq!(decided["reason"], "not on a Friday");
    assert_eq!(decided["request"]["state"], "denied");

    for p in bodies(&seen) {
        assert!(p.verified, "signature must verify: {p:?}");
        assert!(!p.body.contains(PLANTED_ENV), "{}", p.body);
        assert!(!p.body.contains(PLANTED_GHP), "{}", p.body);
        assert!(!p.body.contains(SECRET), "{}", p.body);
    }
    // The receiver refuses a body that was changed in transit.
    let p = &bodies(&seen)[0];
    let key = Secret::parse(SECRET).expect("key");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let forged = p.body.replace("agent", "agenx");
    let sig = key.sign(&p.id, now, p.body.as_bytes());
    assert!(!key.verify(&p.id, now, forged.as_bytes(), &sig, now, 300));
    drop(hooks);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_webhooks_send_slack_messages_from_the_policy() {
    let seen = Seen::default();
    let url = receiver(seen.clone()).await;
    std::env::set_var("ASSENT_TEST_SLACK_KEY", SECRET);
    let h = home(&format!(
        "[[webhooks]]\nurl = \"{url}\"\nformat = \"slack\"\nsecret_env = \"ASSENT_TEST_SLACK_KEY\"\nevents = [\"request.created\", \"request.decided\"]\n"
    ))
    .await;
    let hooks = Webhooks::start(
        h.gw.clone(),
        Vec::new(),
        fast(64, 3, Duration::from_secs(5)),
    )
    .expect("start");
    let id = h.ask(2).await;
    let owner = h.gw.local_identity().expect("owner");
    h.gw.approve(id, &owner, Some("ok"), None)
        .await
        .expect("approve");
    let posts = until("two slack messages", || {
        let p = bodies(&seen);
        (p.len() >= 2).then_some(p)
    })
    .await;
    let texts: Vec<String> = posts
        .iter()
        .map(|p| parsed(p)["text"].as_str().expect("text").to_string())
        .collect();
    assert!(texts[0].contains("Approval needed") && texts[0].contains(&format!("#{id}")));
    assert!(texts[0].contains("rm -rf build2"), "{}", texts[0]);
    assert!(
        texts[1].contains("approved") && texts[1].contains("owner"),
        "{}",
        texts[1]
    );
    for p in &posts {
        assert!(p.verified);
        assert!(!p.body.contains(PLANTED_GHP) && !p.body.contains(SECRET));
    }
    // The single approval was not also sent as `request.approval` (not subscribed).
    assert_eq!(posts.len(), 2, "{texts:?}");
    drop(hooks);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_receiver_holds_up_neither_decisions_nor_other_receivers() {
    let stuck = Seen {
        hang: true,
        ..Seen::default()
    };
    let healthy = Seen::default();
    let stuck_url = receiver(stuck.clone()).await;
    let healthy_url = receiver(healthy.clone()).await;
    let h = home("").await;
    let targets = vec![
        Target::new(&stuck_url, Some(SECRET), Format::Json, &[]).expect("target"),
        Target::new(&healthy_url, Some(SECRET), Format::Json, &[]).expect("target"),
    ];
    // Queues of 4 per receiver; the stuck one holds one notice in flight for 30 s.
    let hooks =
        Webhooks::start(h.gw.clone(), targets, fast(4, 1, Duration::from_secs(30))).expect("start");
    let mut slowest = Duration::ZERO;
    for n in 0..12 {
        let t = Instant::now();
        h.ask(100 + n).await;
        slowest = slowest.max(t.elapsed());
        // Slower than the follower's look, so that the healthy queue never fills.
        tokio::time::sleep(Duration::from_millis(80)).await;
    }
    assert!(
        slowest < Duration::from_secs(2),
        "a decision took {slowest:?}"
    );
    // Every notice reached the healthy receiver, in order.
    let posts = until("twelve notices at the healthy receiver", || {
        let p = bodies(&healthy);
        (p.len() >= 12).then_some(p)
    })
    .await;
    let seqs: Vec<i64> = posts
        .iter()
        .map(|p| parsed(p)["seq"].as_i64().expect("seq"))
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    // At the stuck one: one in flight, four queued, the rest dropped and counted.
    until("dropped notices", || {
        (count(&hooks.stats().dropped) >= 7).then_some(())
    })
    .await;
    assert_eq!(count(&hooks.stats().delivered), 12);
    assert!(bodies(&stuck).is_empty());
    drop(hooks);
}
