//! The stateful gateway: decide with the store, hold `ask`s as approval requests, wait,
//! approve or deny, expire, redeem tokens, report execution, and write the audit event for
//! every step inside the same transaction as the change it records.
//!
//! Every method returns `Err` rather than guessing; front ends turn every `Err` on the way
//! to running an action into "not run".

use crate::engine::{Engine, Evaluation, Locations};
use assent_adapters::Adapted;
use assent_core::approval::{Approval, Outcome as Step, Refusal, State};
use assent_core::json::at;
use assent_core::redact::Redactor;
use assent_core::text;
use assent_core::{Action, Decision, Facts, Kind, Mode, Verdict};
use assent_policy::{Policy, PolicySource};
use assent_store::{GrantRow, RequestRow, Store, StoreError};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long an armed token stays redeemable after approval.
const TOKEN_TTL_MS: i64 = 5 * 60 * 1000;
/// How often a waiter looks at its request.
const POLL: Duration = Duration::from_millis(20);
/// Longest summary kept in an audit event; longer ones say how much was cut.
const SUMMARY_MAX: usize = 2000;

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Policy(String),
    #[error("{0}")]
    Refused(String),
    #[error("no request {0}")]
    NoSuchRequest(i64),
    #[error("no grant {0}")]
    NoSuchGrant(i64),
    #[error("{0}")]
    Io(String),
}

/// What a request came to, immediately.
#[derive(Debug)]
pub enum Outcome {
    Allowed { grant: Option<i64> },
    Denied,
    Pending(Pending),
}

/// A request waiting for people. Holds the secret that, once the request is approved,
/// redeems its single-use token; nobody else ever sees it.
#[derive(Debug)]
pub struct Pending {
    pub request_id: i64,
    pub deadline_ms: i64,
    secret: String,
}

/// How a wait ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitEnd {
    /// Approved and the token was redeemed: run the action.
    Approved,
    Denied(String),
    Expired(String),
    /// The caller's own deadline came first; the request was cancelled.
    GaveUp,
    /// Approved, but the token could not be redeemed (expired or already used).
    TokenRefused(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantScope {
    Session,
    For(i64),
}

#[derive(Debug)]
pub struct Requested {
    pub evaluation: Evaluation,
    pub outcome: Outcome,
}

pub struct Gateway {
    pub engine: Engine,
    pub store: Store,
    redactor: Redactor,
    /// Key for the action digests Assent stores and exports (see [`Gateway::keyed`]).
    digest_key: String,
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn new_secret() -> Result<String, GatewayError> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf)
        .map_err(|e| GatewayError::Io(format!("no randomness for a token: {e}")))?;
    Ok(hex::encode(buf))
}

/// A one-line, honest rendering of what an action does, for people and the audit log.
pub fn summarize(action: &Action) -> String {
    let input = &action.input;
    let s = |k: &str| input.get(k).and_then(Value::as_str).unwrap_or("");
    let raw = match action.kind {
        Kind::Shell => s("command").to_string(),
        Kind::FileWrite | Kind::FileDelete | Kind::FileRead => {
            let path = ["file_path", "path", "notebook_path"]
                .iter()
                .map(|k| s(k))
                .find(|p| !p.is_empty())
                .unwrap_or("");
            let size = input
                .get("content")
                .and_then(Value::as_str)
                .map(|c| format!(" ({} bytes)", c.len()))
                .unwrap_or_default();
            format!("{} {}{}", action.tool, path, size)
        }
        Kind::Http => format!(
            "{} {}",
            action.tool,
            if s("url").is_empty() {
                s("query")
            } else {
                s("url")
            }
        ),
        Kind::Mcp => format!(
            "{}/{} {}",
            s("server"),
            s("tool"),
            input
                .get("arguments")
                .map(|a| a.to_string())
                .unwrap_or_default()
        ),
        _ if input.get("argv").is_some_and(Value::is_array) => {
            let argv: Vec<String> = input["argv"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| {
                            x.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| x.to_string())
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!("{} {}", action.tool, argv.join(" "))
        }
        Kind::Payment => format!(
            "pay {} {} to {}",
            input
                .get("amount")
                .map(|a| a.to_string())
                .unwrap_or_default(),
            s("currency"),
            s("payee")
        ),
        _ => format!("{} {}", action.tool, input),
    };
    let escaped = text::escape_line(&raw);
    if escaped.chars().count() > SUMMARY_MAX {
        let cut: String = escaped.chars().take(SUMMARY_MAX).collect();
        format!(
            "{cut}… [+{} more characters; see the request for all of it]",
            escaped.chars().count() - SUMMARY_MAX
        )
    } else {
        escaped
    }
}

/// Values of protected variables in this process's environment, for redaction.
pub fn env_redactor(engine: &Engine) -> Redactor {
    let matcher = assent_analyze::EnvMatcher::new(&engine.policy.settings.env.protected);
    let mut values: Vec<(String, String)> = std::env::vars()
        .filter(|(k, v)| matcher.is_protected(k) && !v.is_empty())
        .collect();
    // A URL's host alone also identifies it (`SEARXNG_URL`'s host in a `hosts` fact).
    let hosts: Vec<(String, String)> = values
        .iter()
        .filter_map(|(k, v)| {
            let rest = v.split_once("://")?.1;
            let host = rest
                .split(['/', ':', '?', '#'])
                .next()?
                .rsplit('@')
                .next()?
                .to_string();
            (host.len() >= 4).then(|| (k.clone(), host))
        })
        .collect();
    values.extend(hosts);
    Redactor::new(values)
}

/// Reads the policy a home uses: `HOME/policy` if it exists, else the shipped default.
pub fn policy_source(
    assent_home: &Path,
    explicit: Option<&Path>,
) -> Result<PolicySource, GatewayError> {
    let dir = explicit
        .map(Path::to_path_buf)
        .unwrap_or_else(|| assent_home.join("policy"));
    if explicit.is_none() && !dir.exists() {
        return Ok(PolicySource::default_policy());
    }
    crate::files::load(&dir).map_err(GatewayError::Policy)
}

impl Gateway {
    /// Opens the store in `loc.assent_home`, loads the policy and records its version.
    pub async fn open(loc: &Locations, policy_dir: Option<&Path>) -> Result<Gateway, GatewayError> {
        std::fs::create_dir_all(&loc.assent_home).map_err(|e| {
            GatewayError::Io(format!("cannot create {}: {e}", loc.assent_home.display()))
        })?;
        let store = Store::open(&loc.assent_home.join("assent.db")).await?;
        let source = match policy_source(&loc.assent_home, policy_dir) {
            Ok(s) => s,
            Err(e) => {
                Self::record_policy_rejection(&store, &e.to_string()).await;
                return Err(e);
            }
        };
        let digest = source.digest();
        let latest = store.latest_policy().await?;
        let version = match latest {
            Some((v, d)) if d == digest => v,
            _ => 0,
        };
        // Text already validated and recorded loads without the schema type check.
        let loaded = if version > 0 {
            Policy::load_validated(source.clone(), version as u64)
        } else {
            Policy::load(source.clone(), 1)
        };
        let policy = match loaded {
            Ok(p) => p,
            Err(e) => {
                Self::record_policy_rejection(&store, &e.to_string()).await;
                return Err(GatewayError::Policy(e.to_string()));
            }
        };
        let mut loc = loc.clone();
        if let Some(p) = policy_dir {
            loc.extra_guards
                .push(std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()));
        }
        let mut engine =
            Engine::new(policy, &loc).map_err(|e| GatewayError::Policy(e.to_string()))?;
        let redactor = env_redactor(&engine);
        if version == 0 {
            // A policy not seen before: keep it as a new version and audit the change.
            let mut tx = store.begin().await?;
            let again = tx.latest_policy().await?;
            let v = match again {
                Some((v, d)) if d == digest => v,
                prev => {
                    let src = json!({"cedar": source.cedar, "settings": source.settings});
                    let v = tx
                        .insert_policy_version(&digest, &src, now_ms(), "loaded from files")
                        .await?;
                    let mut ev = base_event(if prev.is_none() {
                        "policy.loaded"
                    } else {
                        "policy.changed"
                    });
                    ev.insert("policy_version".into(), json!(v));
                    ev.insert(
                        "reason".into(),
                        json!(format!(
                            "policy digest {}",
                            digest.get(..16).unwrap_or(&digest)
                        )),
                    );
                    ev.insert(
                        "detail".into(),
                        json!({"digest": digest, "previous_version": prev.map(|p| p.0)}),
                    );
                    tx.append(redactor_event(&redactor, ev)).await?;
                    v
                }
            };
            tx.commit().await?;
            let policy =
                Policy::load(source, v as u64).map_err(|e| GatewayError::Policy(e.to_string()))?;
            engine = Engine::new(policy, &loc).map_err(|e| GatewayError::Policy(e.to_string()))?;
        }
        let digest_key = store.key("digest", &new_secret()?).await?;
        Ok(Gateway {
            engine,
            store,
            redactor,
            digest_key,
        })
    }

    /// The digest Assent stores, exports and binds approvals to: the action's SHA-256 keyed
    /// with a per-database secret. A plain digest of an action that held a short secret (a
    /// port number) could be brute-forced back to it from an export.
    pub fn keyed(&self, digest: &str) -> String {
        sha256_hex(&format!("{}:{digest}", self.digest_key))
    }

    async fn record_policy_rejection(store: &Store, why: &str) {
        if let Ok(mut tx) = store.begin().await {
            let mut ev = base_event("policy.rejected");
            ev.insert(
                "reason".into(),
                json!(why.chars().take(2000).collect::<String>()),
            );
            ev.insert("decision".into(), json!("deny"));
            if tx.append(ev).await.is_ok() {
                let _ = tx.commit().await;
            }
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.engine.policy
    }

    fn redact(&self, v: &Value) -> Value {
        self.redactor.redact_json(v)
    }

    fn action_event(&self, name: &str, ev: &Evaluation) -> Map<String, Value> {
        let mut e = base_event(name);
        e.insert(
            "principal".into(),
            json!(ev.chain.first().map(|p| p.name.clone()).unwrap_or_default()),
        );
        e.insert(
            "chain".into(),
            json!(ev.chain.iter().map(|p| p.name.clone()).collect::<Vec<_>>()),
        );
        e.insert("digest".into(), json!(ev.digest));
        e.insert("kind".into(), json!(ev.action.kind.as_str()));
        e.insert("tool".into(), json!(ev.action.tool));
        e.insert(
            "session".into(),
            json!(ev.action.session.clone().unwrap_or_default()),
        );
        e.insert("summary".into(), json!(summarize(&ev.action)));
        e.insert("policy_version".into(), json!(ev.decision.policy_version));
        e
    }

    fn decision_fields(e: &mut Map<String, Value>, d: &Decision) {
        e.insert("decision".into(), json!(d.decision.as_str()));
        e.insert("rule".into(), json!(d.rule()));
        e.insert("severity".into(), json!(d.severity.as_str()));
        e.insert("reason".into(), json!(d.reason));
        if let Some(r) = &d.requirement {
            e.insert("detail".into(), json!({"rules": d.rules, "approvers": r.approvers, "quorum": r.quorum, "mode": r.mode, "timeout_s": r.timeout_s, "on_timeout": r.on_timeout.label()}));
        } else {
            e.insert("detail".into(), json!({"rules": d.rules}));
        }
    }

    /// Decides an action and makes it durable: a `request` and a `decision` event, and for
    /// `ask` a pending request (unless a grant covers it). Nothing is answered before the
    /// transaction commits.
    pub async fn decide(
        &self,
        adapted: &Adapted,
        principal: &str,
    ) -> Result<Requested, GatewayError> {
        let mut evaluation = self.engine.evaluate(adapted, principal);
        evaluation.digest = self.keyed(&evaluation.digest);
        let now = now_ms();
        let d = &evaluation.decision;
        let mut tx = self.store.begin().await?;
        let who = evaluation
            .chain
            .first()
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let session = evaluation.action.session.clone().unwrap_or_default();
        let outcome = match d.decision {
            Verdict::Allow => Outcome::Allowed { grant: None },
            Verdict::Deny => Outcome::Denied,
            Verdict::Ask => match tx
                .find_grant(&evaluation.digest, &who, &session, now)
                .await?
            {
                Some(g) => {
                    let mut e = self.action_event("grant.used", &evaluation);
                    e.insert("decision".into(), json!("allow"));
                    e.insert("rule".into(), json!(format!("grant:{}", g.id)));
                    e.insert(
                        "reason".into(),
                        json!(format!(
                            "grant {} (approved in request {}) covers this action",
                            g.id, g.request_id
                        )),
                    );
                    e.insert("request_id".into(), json!(g.request_id));
                    tx.append(redactor_event(&self.redactor, e)).await?;
                    Outcome::Allowed { grant: Some(g.id) }
                }
                None => {
                    let requirement = d
                        .requirement
                        .clone()
                        .ok_or_else(|| GatewayError::Policy("ask without a requirement".into()))?;
                    let deadline_ms =
                        now.saturating_add((requirement.timeout_s as i64).saturating_mul(1000));
                    let approval = Approval {
                        state: State::Pending,
                        requirement,
                        deadline_ms,
                        chain: evaluation.chain.iter().map(|p| p.name.clone()).collect(),
                        approvals: Vec::new(),
                        escalations: 0,
                    };
                    let secret = new_secret()?;
                    let body = self.redact(&json!({
                        "action": evaluation.action,
                        "digest": evaluation.digest,
                        "summary": summarize(&evaluation.action),
                        "facts": evaluation.facts,
                        "decision": evaluation.decision,
                        "approval": approval,
                        "answers": [],
                    }));
                    let token_hash = sha256_hex(&secret);
                    let id = tx
                        .insert_request(&assent_store::NewRequest {
                            created_ms: now,
                            session: &session,
                            principal: &who,
                            body: &body,
                            deadline_ms,
                            digest: &evaluation.digest,
                            token_hash: &token_hash,
                        })
                        .await?;
                    Outcome::Pending(Pending {
                        request_id: id,
                        deadline_ms,
                        secret,
                    })
                }
            },
        };
        let mut request_ev = self.action_event("request", &evaluation);
        if let Outcome::Pending(p) = &outcome {
            request_ev.insert("request_id".into(), json!(p.request_id));
        }
        tx.append(redactor_event(&self.redactor, request_ev))
            .await?;
        let mut e = self.action_event("decision", &evaluation);
        Self::decision_fields(&mut e, d);
        if let Outcome::Pending(p) = &outcome {
            e.insert("request_id".into(), json!(p.request_id));
        }
        if let Outcome::Allowed { grant: Some(g) } = &outcome {
            e.insert("decision".into(), json!("allow"));
            e.insert("rule".into(), json!(format!("grant:{g}")));
        }
        tx.append(redactor_event(&self.redactor, e)).await?;
        tx.commit().await?;
        Ok(Requested {
            evaluation,
            outcome,
        })
    }

    /// Waits until the request ends or `until_ms` passes (then the request is cancelled).
    pub async fn wait(&self, pending: &Pending, until_ms: i64) -> Result<WaitEnd, GatewayError> {
        loop {
            let now = now_ms();
            let (state, deadline) = self
                .store
                .request_state(pending.request_id)
                .await?
                .ok_or(GatewayError::NoSuchRequest(pending.request_id))?;
            match State::parse(&state) {
                Some(State::Approved) => return self.redeem(pending).await,
                Some(State::Denied) => {
                    return Ok(WaitEnd::Denied(self.last_reason(pending.request_id).await))
                }
                Some(State::Expired) => {
                    return Ok(WaitEnd::Expired(
                        "nobody answered in time; denied by on_timeout".into(),
                    ))
                }
                Some(State::Cancelled) => return Ok(WaitEnd::GaveUp),
                Some(State::Executed) | Some(State::Failed) => {
                    return Ok(WaitEnd::TokenRefused("request already executed".into()))
                }
                Some(State::Pending) => {}
                None => {
                    return Err(GatewayError::Store(StoreError::Corrupt(format!(
                        "unknown state `{state}`"
                    ))))
                }
            }
            if now >= deadline {
                self.expire(pending.request_id).await?;
                continue;
            }
            if now >= until_ms {
                self.cancel(pending.request_id, "the waiting agent stopped waiting")
                    .await?;
                // The request may have ended between the last look and the cancel.
                if let Some((s, _)) = self.store.request_state(pending.request_id).await? {
                    if s == "approved" {
                        return self.redeem(pending).await;
                    }
                }
                return Ok(WaitEnd::GaveUp);
            }
            let left = (deadline.min(until_ms) - now).max(1) as u64;
            tokio::time::sleep(POLL.min(Duration::from_millis(left))).await;
        }
    }

    async fn last_reason(&self, id: i64) -> String {
        match self.store.request(id).await {
            Ok(Some(r)) => at(&r.body, "/answers")
                .as_array()
                .and_then(|a| a.last())
                .and_then(|a| at(a, "/reason").as_str())
                .map(|s| s.to_string())
                .unwrap_or_else(|| "denied by an approver".into()),
            _ => "denied".into(),
        }
    }

    /// Spends the single-use token bound to the request's digest.
    async fn redeem(&self, pending: &Pending) -> Result<WaitEnd, GatewayError> {
        let mut tx = self.store.begin().await?;
        let row = tx
            .request(pending.request_id)
            .await?
            .ok_or(GatewayError::NoSuchRequest(pending.request_id))?;
        let ok = tx
            .redeem(
                pending.request_id,
                &sha256_hex(&pending.secret),
                &row.digest,
                now_ms(),
            )
            .await?;
        let mut e = self.request_event(
            if ok {
                "token.redeemed"
            } else {
                "token.refused"
            },
            &row,
        );
        e.insert("decision".into(), json!(if ok { "allow" } else { "deny" }));
        tx.append(redactor_event(&self.redactor, e)).await?;
        tx.commit().await?;
        Ok(if ok {
            WaitEnd::Approved
        } else {
            WaitEnd::TokenRefused("the approval token expired or was already used".into())
        })
    }

    /// Redeems a token for an action the caller is about to run, checking that the action is
    /// the one approved (same digest). For callers that hold the secret elsewhere.
    pub async fn redeem_for(
        &self,
        request_id: i64,
        secret: &str,
        action: &Action,
    ) -> Result<bool, GatewayError> {
        let mut tx = self.store.begin().await?;
        let digest = self.keyed(&action.digest());
        let ok = tx
            .redeem(request_id, &sha256_hex(secret), &digest, now_ms())
            .await?;
        if let Some(row) = tx.request(request_id).await? {
            let mut e = self.request_event(
                if ok {
                    "token.redeemed"
                } else {
                    "token.refused"
                },
                &row,
            );
            e.insert("digest".into(), json!(digest));
            tx.append(redactor_event(&self.redactor, e)).await?;
        }
        tx.commit().await?;
        Ok(ok)
    }

    fn request_event(&self, name: &str, row: &RequestRow) -> Map<String, Value> {
        let mut e = base_event(name);
        let b = &row.body;
        e.insert("request_id".into(), json!(row.id));
        e.insert("principal".into(), json!(row.principal));
        e.insert("chain".into(), at(b, "/approval/chain").clone());
        e.insert("digest".into(), json!(row.digest));
        e.insert("kind".into(), at(b, "/action/kind").clone());
        e.insert("tool".into(), at(b, "/action/tool").clone());
        e.insert("session".into(), json!(row.session));
        e.insert("summary".into(), at(b, "/summary").clone());
        e.insert(
            "rule".into(),
            json!(at(b, "/decision/rules")
                .get(0)
                .cloned()
                .unwrap_or(Value::Null)),
        );
        e.insert("severity".into(), at(b, "/decision/severity").clone());
        e.insert(
            "policy_version".into(),
            at(b, "/decision/policy_version").clone(),
        );
        e
    }

    async fn transition(
        &self,
        id: i64,
        f: impl FnOnce(&mut Approval, &Facts, Kind, i64) -> Result<Step, Refusal>,
        name_ok: &str,
        actor: Option<&str>,
        reason: Option<&str>,
        grant: Option<GrantScope>,
    ) -> Result<Step, GatewayError> {
        let now = now_ms();
        let mut tx = self.store.begin().await?;
        let row = tx
            .request(id)
            .await?
            .ok_or(GatewayError::NoSuchRequest(id))?;
        let mut body = row.body.clone();
        let mut approval: Approval = serde_json::from_value(at(&body, "/approval").clone())
            .map_err(|e| GatewayError::Store(StoreError::Corrupt(format!("request {id}: {e}"))))?;
        let facts: Facts = serde_json::from_value(at(&body, "/facts").clone()).unwrap_or_default();
        let kind: Kind = at(&body, "/action/kind")
            .as_str()
            .and_then(|k| k.parse().ok())
            .unwrap_or(Kind::Other);
        match f(&mut approval, &facts, kind, now) {
            Err(refusal) => {
                let mut e = self.request_event("approval.refused", &row);
                e.insert("approver".into(), json!(actor));
                e.insert("reason".into(), json!(refusal.to_string()));
                tx.append(redactor_event(&self.redactor, e)).await?;
                tx.commit().await?;
                Err(GatewayError::Refused(refusal.to_string()))
            }
            Ok(step) => {
                // The approval parsed from it above, so the body is an object.
                let Some(fields) = body.as_object_mut() else {
                    return Err(GatewayError::Store(StoreError::Corrupt(format!(
                        "request {id}: body is not an object"
                    ))));
                };
                if let Some(a) = actor {
                    let entry =
                        json!({"by": a, "at": rfc3339(now), "step": name_ok, "reason": reason});
                    match fields.get_mut("answers").and_then(Value::as_array_mut) {
                        Some(l) => l.push(entry),
                        None => {
                            fields.insert("answers".into(), json!([entry]));
                        }
                    }
                }
                fields.insert(
                    "approval".into(),
                    serde_json::to_value(&approval).unwrap_or(Value::Null),
                );
                let token_expires = (approval.state == State::Approved).then(|| now + TOKEN_TTL_MS);
                tx.update_request(
                    id,
                    approval.state.as_str(),
                    &body,
                    approval.deadline_ms,
                    token_expires,
                )
                .await?;
                let event_name = match &step {
                    Step::Counted { .. } => "approval",
                    Step::Approved => "approved",
                    Step::Denied => "denial",
                    Step::TimedOut(State::Approved) => "approved",
                    Step::TimedOut(_) => "expiry",
                    Step::Escalated { .. } => "escalation",
                    Step::Cancelled => "cancelled",
                    Step::Reported(_) => "execution",
                };
                let mut e = self.request_event(event_name, &row);
                e.insert("approver".into(), json!(actor));
                e.insert(
                    "reason".into(),
                    json!(reason
                        .map(str::to_string)
                        .unwrap_or_else(|| describe(&step))),
                );
                e.insert(
                    "decision".into(),
                    json!(match approval.state {
                        State::Approved | State::Executed => "allow",
                        State::Pending => "ask",
                        _ => "deny",
                    }),
                );
                e.insert("detail".into(), json!({"state": approval.state.as_str(), "approvals": approval.approvals, "quorum": approval.requirement.quorum, "approvers": approval.requirement.approvers}));
                tx.append(redactor_event(&self.redactor, e)).await?;
                if approval.state == State::Approved && matches!(step, Step::Approved) {
                    // "Ask once" leaves a grant behind for the same action.
                    let scope = grant.or(match approval.requirement.mode {
                        Mode::Once => Some(GrantScope::For(
                            self.engine.policy.resolved.grant_ttl_s as i64 * 1000,
                        )),
                        Mode::Session => Some(GrantScope::Session),
                        Mode::Always => None,
                    });
                    if let Some(scope) = scope {
                        let (session, expires) = match scope {
                            GrantScope::Session => {
                                (Some(row.session.clone()), now + 24 * 3600 * 1000)
                            }
                            GrantScope::For(ms) => (None, now + ms),
                        };
                        let g = GrantRow {
                            id: 0,
                            digest: row.digest.clone(),
                            principal: row.principal.clone(),
                            session,
                            created_ms: now,
                            expires_ms: expires,
                            revoked_ms: None,
                            request_id: id,
                            created_by: actor.unwrap_or("policy").to_string(),
                            summary: at(&body, "/summary").as_str().unwrap_or("").to_string(),
                        };
                        let gid = tx.insert_grant(&g).await?;
                        let mut e = self.request_event("grant.created", &row);
                        e.insert("approver".into(), json!(actor));
                        e.insert(
                            "reason".into(),
                            json!(format!("grant {gid} until {}", rfc3339(expires))),
                        );
                        e.insert("detail".into(), json!({"grant": gid, "session": g.session, "expires": rfc3339(expires)}));
                        tx.append(redactor_event(&self.redactor, e)).await?;
                    }
                }
                tx.commit().await?;
                Ok(step)
            }
        }
    }

    fn principal(&self, name: &str) -> Result<assent_core::Principal, GatewayError> {
        self.engine
            .policy
            .directory
            .get(name)
            .cloned()
            .ok_or_else(|| {
                GatewayError::Refused(format!("unknown principal `{name}`; add it to assent.toml"))
            })
    }

    async fn auth_failed(&self, id: i64, who: &str, why: &str) -> Result<(), GatewayError> {
        let mut tx = self.store.begin().await?;
        let mut e = base_event("auth.failed");
        e.insert("request_id".into(), json!(id));
        e.insert("approver".into(), json!(who));
        e.insert("reason".into(), json!(why));
        e.insert("decision".into(), json!("deny"));
        tx.append(redactor_event(&self.redactor, e)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn approve(
        &self,
        id: i64,
        approver: &str,
        reason: Option<&str>,
        grant: Option<GrantScope>,
    ) -> Result<Step, GatewayError> {
        let who = match self.principal(approver) {
            Ok(p) => p,
            Err(e) => {
                self.auth_failed(id, approver, &e.to_string()).await?;
                return Err(e);
            }
        };
        if grant.is_some() {
            // A grant lets later identical actions through without anyone: only where the
            // policy allows repeats (`once`/`session`) and one approver decides.
            if let Some(row) = self.store.request(id).await? {
                let mode = at(&row.body, "/approval/requirement/mode")
                    .as_str()
                    .unwrap_or("always")
                    .to_string();
                let quorum = at(&row.body, "/approval/requirement/quorum")
                    .as_u64()
                    .unwrap_or(1);
                if mode == "always" || quorum > 1 {
                    return Err(GatewayError::Refused(format!(
                        "request {id} is under a rule with mode `{mode}` and quorum {quorum}, which leaves no grant; approve without --for"
                    )));
                }
            }
        }
        let policy = &self.engine.policy;
        self.transition(
            id,
            |a, facts, kind, now| {
                let eligible = policy.may_approve(&who, &a.requirement.approvers, kind, facts);
                a.approve(&who, eligible, now)
            },
            "approve",
            Some(approver),
            reason,
            grant,
        )
        .await
    }

    pub async fn deny(&self, id: i64, approver: &str, reason: &str) -> Result<Step, GatewayError> {
        let who = match self.principal(approver) {
            Ok(p) => p,
            Err(e) => {
                self.auth_failed(id, approver, &e.to_string()).await?;
                return Err(e);
            }
        };
        let policy = &self.engine.policy;
        self.transition(
            id,
            |a, facts, kind, now| {
                let eligible = policy.may_approve(&who, &a.requirement.approvers, kind, facts);
                a.deny(&who, eligible, now)
            },
            "deny",
            Some(approver),
            Some(reason),
            None,
        )
        .await
    }

    pub async fn expire(&self, id: i64) -> Result<Step, GatewayError> {
        self.transition(id, |a, _, _, now| a.expire(now), "expire", None, None, None)
            .await
    }

    pub async fn cancel(&self, id: i64, why: &str) -> Result<(), GatewayError> {
        match self
            .transition(id, |a, _, _, _| a.cancel(), "cancel", None, Some(why), None)
            .await
        {
            Ok(_) | Err(GatewayError::Refused(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Applies `on_timeout` to every pending request past its deadline.
    pub async fn expire_due(&self) -> Result<usize, GatewayError> {
        let now = now_ms();
        let mut n = 0;
        for r in self.store.requests_in_state("pending", 10_000).await? {
            if r.deadline_ms <= now && self.expire(r.id).await.is_ok() {
                n += 1;
            }
        }
        Ok(n)
    }

    /// The enforcement point reports what happened to an approved request's action.
    pub async fn report_execution(
        &self,
        id: i64,
        ok: bool,
        detail: Value,
    ) -> Result<(), GatewayError> {
        let reason = if ok {
            "ran and succeeded"
        } else {
            "ran and failed"
        };
        self.transition(
            id,
            |a, _, _, _| a.report(ok),
            "execution",
            None,
            Some(reason),
            None,
        )
        .await?;
        // The run's exit status and duration go in `detail`, as for runs policy allowed outright.
        let mut tx = self.store.begin().await?;
        if let Some(row) = tx.request(id).await? {
            let mut e = self.request_event("execution.result", &row);
            e.insert("decision".into(), json!(if ok { "allow" } else { "deny" }));
            e.insert("reason".into(), json!(reason));
            e.insert("detail".into(), detail);
            tx.append(redactor_event(&self.redactor, e)).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records the outcome of an action that policy allowed outright (no request).
    pub async fn record_execution(
        &self,
        ev: &Evaluation,
        ok: bool,
        detail: Value,
    ) -> Result<(), GatewayError> {
        let mut tx = self.store.begin().await?;
        let mut e = self.action_event("execution", ev);
        e.insert("decision".into(), json!(if ok { "allow" } else { "deny" }));
        e.insert(
            "reason".into(),
            json!(if ok {
                "ran and succeeded"
            } else {
                "ran and failed"
            }),
        );
        e.insert("detail".into(), detail);
        tx.append(redactor_event(&self.redactor, e)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn revoke(&self, grant_id: i64, by: &str) -> Result<(), GatewayError> {
        let now = now_ms();
        let mut tx = self.store.begin().await?;
        let g = tx
            .revoke_grant(grant_id, now)
            .await?
            .ok_or(GatewayError::NoSuchGrant(grant_id))?;
        let mut e = base_event("grant.revoked");
        e.insert("approver".into(), json!(by));
        e.insert("principal".into(), json!(g.principal));
        e.insert("digest".into(), json!(g.digest));
        e.insert("request_id".into(), json!(g.request_id));
        e.insert("summary".into(), json!(g.summary));
        e.insert(
            "reason".into(),
            json!(format!("grant {grant_id} revoked by {by}")),
        );
        tx.append(redactor_event(&self.redactor, e)).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn describe(step: &Step) -> String {
    match step {
        Step::Counted { have, need } => format!("approval {have} of {need}"),
        Step::Approved => "quorum reached".into(),
        Step::Denied => "denied".into(),
        Step::TimedOut(State::Approved) => "timed out; allowed by on_timeout".into(),
        Step::TimedOut(_) => "timed out; denied by on_timeout".into(),
        Step::Escalated { role, .. } => format!("timed out; escalated to {role}"),
        Step::Cancelled => "cancelled".into(),
        Step::Reported(s) => format!("reported {}", s.as_str()),
    }
}

/// The fields every audit event has besides `seq`, `prev`, `event`, `time` and `time_ms`
/// (null when they do not apply), so that exports have a fixed shape.
pub const EVENT_FIELDS: &[&str] = &[
    "principal",
    "chain",
    "approver",
    "request_id",
    "digest",
    "kind",
    "tool",
    "session",
    "summary",
    "decision",
    "rule",
    "severity",
    "policy_version",
    "reason",
    "detail",
];

fn base_event(name: &str) -> Map<String, Value> {
    let now = now_ms();
    let mut e = Map::new();
    for k in EVENT_FIELDS {
        e.insert((*k).into(), Value::Null);
    }
    e.insert("event".into(), json!(name));
    e.insert("time".into(), json!(rfc3339(now)));
    e.insert("time_ms".into(), json!(now));
    e
}

fn redactor_event(r: &Redactor, e: Map<String, Value>) -> Map<String, Value> {
    match r.redact_json(&Value::Object(e)) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Where the database lives in a home.
pub fn db_path(assent_home: &Path) -> PathBuf {
    assent_home.join("assent.db")
}
