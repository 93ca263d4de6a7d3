//! Outgoing webhooks of `assent serve` (issue 8, item 7).
//!
//! A follower task reads the audit log — the one record of every change, whichever process
//! made it — and turns each new request, counted approval and end (approved, denied,
//! expired, cancelled) into a [`Notice`], built from the request's read view. Each notice is
//! redacted once more (protected variables' values, every credential shape, the webhooks' own
//! secrets and URLs), serialised as JSON or as a Slack message, signed (HMAC-SHA256, Standard
//! Webhooks headers, [`sign`]) and queued for its target, whose worker sends its notices in
//! order, each retried with backoff.
//!
//! Targets come from `[[webhooks]]` in assent.toml (read again whenever a new policy version
//! is in force) and from `assent serve --webhook URL`.
//!
//! This crate never decides, never writes the store, and never makes a decision wait: the
//! follower reads the log after the fact, each target's queue is bounded and drops (counting)
//! rather than pushes back, and one delivery per target is in flight. It is the only user of an HTTP
//! client and of TLS (hyper-util, hyper-rustls with ring) in the workspace.

mod config;
mod deliver;
mod payload;
pub mod sign;

pub use config::{Format, NoticeType, Target};
pub use deliver::{Options, Stats};
pub use payload::{notice_type, slack_body, Notice, RequestNotice};

use assent_core::redact::Redactor;
use assent_gateway::{env_redactor, now_ms, AuditQuery, Gateway};
use deliver::{Deliverers, Delivery};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Events read from the log per look.
const BATCH: i64 = 500;

/// How `assent serve --webhook URL` names its signing key.
pub const SECRET_ENV: &str = "ASSENT_WEBHOOK_SECRET";

/// Running webhooks; dropping this stops them (notices still queued are lost).
pub struct Webhooks {
    follower: JoinHandle<()>,
    stats: Arc<Stats>,
}

impl Drop for Webhooks {
    fn drop(&mut self) {
        // The follower owns the delivery workers: they stop with it.
        self.follower.abort();
    }
}

/// How often the log is looked at, and delivery limits.
#[derive(Debug, Clone)]
pub struct Settings {
    pub poll: Duration,
    pub delivery: Options,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            poll: Duration::from_millis(250),
            delivery: Options::default(),
        }
    }
}

/// Targets of `assent serve --webhook URL` (JSON, signed with the key in
/// [`SECRET_ENV`]), or with `--webhook-format slack` Slack messages (signed if the key is set).
pub fn flag_targets(urls: &[String], format: Format) -> Result<Vec<Target>, String> {
    let secret = std::env::var(SECRET_ENV)
        .ok()
        .filter(|s| !s.trim().is_empty());
    if secret.is_none() && format == Format::Json && !urls.is_empty() {
        return Err(format!(
            "json notices are signed: put the signing key in {SECRET_ENV}"
        ));
    }
    urls.iter()
        .map(|u| Target::new(u, secret.as_deref(), format, &[]))
        .collect()
}

impl Webhooks {
    /// Starts following `gw`'s audit log from now on. `extra` are targets besides those in
    /// the policy's settings. Call inside a Tokio runtime.
    pub fn start(
        gw: Arc<Gateway>,
        extra: Vec<Target>,
        settings: Settings,
    ) -> Result<Webhooks, String> {
        let stats = Arc::new(Stats::default());
        let deliverers = Deliverers::new(settings.delivery, stats.clone())?;
        let extra = extra.into_iter().map(Arc::new).collect();
        // From now: taken here, not when the task first runs, so nothing decided after this
        // call is missed.
        let since = now_ms();
        let follower = tokio::spawn(follow(gw, extra, deliverers, settings.poll, since));
        Ok(Webhooks { follower, stats })
    }

    /// What `assent serve` runs: `--webhook URL`s in `format` (`json` or `slack`), plus
    /// whatever `[[webhooks]]` the policy in force names, now and after each reload.
    pub fn for_serve(gw: Arc<Gateway>, urls: &[String], format: &str) -> Result<Webhooks, String> {
        let targets = flag_targets(urls, Format::parse(format)?)?;
        let configured = gw.policy().settings.webhooks.len();
        if !targets.is_empty() || configured > 0 {
            let labels: Vec<String> = targets.iter().map(Target::label).collect();
            eprintln!(
                "assent serve: webhooks: {} from --webhook{}, {configured} in the policy settings",
                targets.len(),
                if labels.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", labels.join(", "))
                }
            );
        }
        Webhooks::start(gw, targets, Settings::default())
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }
}

/// The targets in force and what their bodies must never carry.
struct InForce {
    version: u64,
    targets: Vec<Arc<Target>>,
    hide: Redactor,
    env: Redactor,
}

fn in_force(gw: &Gateway, extra: &[Arc<Target>]) -> InForce {
    let policy = gw.policy();
    let env = |k: &str| std::env::var(k).ok();
    let mut targets: Vec<Arc<Target>> = extra.to_vec();
    for (i, entry) in policy.settings.webhooks.iter().enumerate() {
        match Target::from_entry(entry, &env) {
            Ok(t) => targets.push(Arc::new(t)),
            Err(e) => eprintln!(
                "assent serve: webhook {} of policy version {} is not used: {e}",
                i + 1,
                policy.version
            ),
        }
    }
    let hide = Redactor::new(targets.iter().flat_map(|t| {
        t.hidden()
            .iter()
            .map(|h| ("webhook".to_string(), h.clone()))
            .collect::<Vec<_>>()
    }));
    InForce {
        version: policy.version,
        targets,
        hide,
        env: env_redactor(&gw.engine()),
    }
}

async fn follow(
    gw: Arc<Gateway>,
    extra: Vec<Arc<Target>>,
    mut deliverers: Deliverers,
    poll: Duration,
    mut since: i64,
) {
    let mut after = 0i64;
    let mut force = in_force(&gw, &extra);
    deliverers.keep(&force.targets);
    let mut failing = false;
    loop {
        tokio::time::sleep(poll).await;
        if gw.policy().version != force.version {
            force = in_force(&gw, &extra);
            deliverers.keep(&force.targets);
        }
        if force.targets.is_empty() {
            // Nobody to tell: what happens meanwhile is never sent later.
            since = now_ms();
            continue;
        }
        loop {
            let q = AuditQuery {
                after_seq: after,
                since_ms: Some(since),
                limit: Some(BATCH),
                ..AuditQuery::default()
            };
            let events = match gw.audit().query(&q).await {
                Ok(ev) => {
                    failing = false;
                    ev
                }
                Err(e) => {
                    if !failing {
                        eprintln!("assent serve: webhooks cannot read the audit log: {e}");
                    }
                    failing = true;
                    break;
                }
            };
            let full = events.len() as i64 >= BATCH;
            for e in events {
                after = after.max(e.seq);
                let Some(kind) = notice_type(e.event.as_str()) else {
                    continue;
                };
                let Some(request_id) = e.request_id else {
                    continue;
                };
                if !force.targets.iter().any(|t| t.wants(kind)) {
                    continue;
                }
                let Ok(Some(view)) = gw.request_view(request_id).await else {
                    continue;
                };
                let decided_by = matches!(kind, NoticeType::Approval | NoticeType::Decided);
                let notice = Notice {
                    kind: kind.as_str(),
                    id: format!("{}-{}", e.seq, e.prev.get(..16).unwrap_or(&e.prev)),
                    seq: e.seq,
                    event: e.event.as_str().to_string(),
                    time: e.time.clone(),
                    by: if decided_by { e.approver.clone() } else { None },
                    reason: if decided_by { e.reason.clone() } else { None },
                    request: RequestNotice::from_view(&view),
                };
                for t in force.targets.iter().filter(|t| t.wants(kind)) {
                    let Ok(body) = payload::body(&notice, t.format, &[&force.env, &force.hide])
                    else {
                        continue;
                    };
                    deliverers.offer(
                        t,
                        Delivery {
                            id: notice.id.clone(),
                            body: body.into(),
                        },
                    );
                }
            }
            if !full {
                break;
            }
        }
    }
}
