//! Delivery: one worker per target, each with a bounded queue, sending its notices in order
//! and retrying each with exponential backoff. A receiver that is down or slow delays only its
//! own notices. Nothing here ever waits on a decision, and no decision ever waits on it: a full
//! queue drops the notice (counted and logged) instead of pushing back.

use crate::config::Target;
use crate::sign::{HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

type HttpClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Limits and timings of delivery.
#[derive(Debug, Clone)]
pub struct Options {
    /// Notices waiting to be sent to one target; more are dropped.
    pub queue: usize,
    /// Tries per notice, the first included.
    pub attempts: u32,
    /// Wait before the first retry; doubled after each, up to `backoff_max`.
    pub backoff: Duration,
    pub backoff_max: Duration,
    /// Longest one try may take (connect, send, status line).
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            queue: 1024,
            attempts: 6,
            backoff: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Counters, for tests and `assent serve`'s log.
#[derive(Debug, Default)]
pub struct Stats {
    /// Notices a receiver acknowledged (2xx).
    pub delivered: AtomicU64,
    /// Notices given up (every try failed, or a 4xx that retrying cannot fix).
    pub failed: AtomicU64,
    /// Tries after the first.
    pub retries: AtomicU64,
    /// Notices dropped because their target's queue was full.
    pub dropped: AtomicU64,
}

impl Stats {
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

/// One notice on its way to one target.
pub(crate) struct Delivery {
    pub id: String,
    pub body: Bytes,
}

struct Worker {
    target: Arc<Target>,
    tx: mpsc::Sender<Delivery>,
    task: JoinHandle<()>,
}

/// The workers of the targets in force. Dropping it stops them all.
pub(crate) struct Deliverers {
    client: HttpClient,
    opts: Arc<Options>,
    stats: Arc<Stats>,
    workers: Vec<Worker>,
}

impl Drop for Deliverers {
    fn drop(&mut self) {
        for w in &self.workers {
            w.task.abort();
        }
    }
}

impl Deliverers {
    pub fn new(opts: Options, stats: Arc<Stats>) -> Result<Deliverers, String> {
        Ok(Deliverers {
            client: client(opts.timeout)?,
            opts: Arc::new(opts),
            stats,
            workers: Vec::new(),
        })
    }

    /// Keeps the workers of `targets` (starting those missing); the others finish what they
    /// hold and stop.
    pub fn keep(&mut self, targets: &[Arc<Target>]) {
        self.workers
            .retain(|w| targets.iter().any(|t| **t == *w.target));
        for t in targets {
            if self.workers.iter().any(|w| *w.target == **t) {
                continue;
            }
            let (tx, rx) = mpsc::channel(self.opts.queue.max(1));
            let task = tokio::spawn(work(
                rx,
                t.clone(),
                self.client.clone(),
                self.opts.clone(),
                self.stats.clone(),
            ));
            self.workers.push(Worker {
                target: t.clone(),
                tx,
                task,
            });
        }
    }

    /// Queues `d` for `target`, or drops it when that queue is full. Never waits.
    pub fn offer(&self, target: &Target, d: Delivery) {
        let Some(w) = self.workers.iter().find(|w| *w.target == *target) else {
            return;
        };
        if w.tx.try_send(d).is_err() {
            let n = self.stats.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            // The first drop, then one line per hundred.
            if n == 1 || n.is_multiple_of(100) {
                eprintln!(
                    "assent serve: webhook queue of {} full, notice dropped ({n} so far)",
                    target.label()
                );
            }
        }
    }
}

async fn work(
    mut rx: mpsc::Receiver<Delivery>,
    target: Arc<Target>,
    client: HttpClient,
    opts: Arc<Options>,
    stats: Arc<Stats>,
) {
    while let Some(d) = rx.recv().await {
        deliver(&client, &target, &d, &opts, &stats).await;
    }
}

fn client(timeout: Duration) -> Result<HttpClient, String> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(timeout));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
        .map_err(|e| format!("webhook TLS setup: {e}"))?
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(4)
        .build(https))
}

/// Why one try failed, and whether another could succeed.
struct TryFailed {
    why: String,
    retry: bool,
    /// The receiver's `Retry-After`, in seconds.
    after: Option<Duration>,
}

fn unix_s() -> i64 {
    jiff::Timestamp::now().as_second()
}

async fn try_once(
    client: &HttpClient,
    target: &Target,
    d: &Delivery,
    timeout: Duration,
) -> Result<(), TryFailed> {
    let ts = unix_s();
    let mut req = hyper::Request::post(target.url())
        .header(CONTENT_TYPE, "application/json")
        .header(
            USER_AGENT,
            concat!("assent-webhook/", env!("CARGO_PKG_VERSION")),
        )
        .header(HEADER_ID, d.id.as_str())
        .header(HEADER_TIMESTAMP, ts.to_string());
    if let Some(secret) = target.secret() {
        req = req.header(HEADER_SIGNATURE, secret.sign(&d.id, ts, &d.body));
    }
    let req = req.body(Full::new(d.body.clone())).map_err(|e| TryFailed {
        why: format!("cannot build the request: {e}"),
        retry: false,
        after: None,
    })?;
    let resp = match tokio::time::timeout(timeout, client.request(req)).await {
        Err(_) => {
            return Err(TryFailed {
                why: format!("no answer within {} s", timeout.as_secs_f32()),
                retry: true,
                after: None,
            })
        }
        Ok(Err(e)) => {
            return Err(TryFailed {
                why: format!("cannot send: {e}"),
                retry: true,
                after: None,
            })
        }
        Ok(Ok(r)) => r,
    };
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let after = resp
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let code = status.as_u16();
    Err(TryFailed {
        why: format!("answered {status}"),
        retry: status.is_server_error() || code == 408 || code == 429,
        after,
    })
}

/// The wait before try `n + 1` (n ≥ 1).
fn backoff(opts: &Options, n: u32) -> Duration {
    let factor = 1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX);
    opts.backoff.saturating_mul(factor).min(opts.backoff_max)
}

async fn deliver(
    client: &HttpClient,
    target: &Target,
    d: &Delivery,
    opts: &Options,
    stats: &Stats,
) {
    let attempts = opts.attempts.max(1);
    for n in 1..=attempts {
        match try_once(client, target, d, opts.timeout).await {
            Ok(()) => {
                stats.delivered.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(f) if !f.retry || n == attempts => {
                stats.failed.fetch_add(1, Ordering::Relaxed);
                eprintln!(
                    "assent serve: webhook {} to {} given up after {n} tries: {}",
                    d.id,
                    target.label(),
                    f.why
                );
                return;
            }
            Err(f) => {
                stats.retries.fetch_add(1, Ordering::Relaxed);
                let wait = f
                    .after
                    .unwrap_or_else(|| backoff(opts, n))
                    .min(opts.backoff_max);
                tokio::time::sleep(wait).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let o = Options::default();
        assert_eq!(backoff(&o, 1), Duration::from_secs(1));
        assert_eq!(backoff(&o, 2), Duration::from_secs(2));
        assert_eq!(backoff(&o, 5), Duration::from_secs(16));
        assert_eq!(backoff(&o, 7), Duration::from_secs(60));
        assert_eq!(backoff(&o, 200), Duration::from_secs(60));
    }
}
