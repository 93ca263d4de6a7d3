//! Opening a gateway: the store, the policy a home uses (recorded as a version), the redactor.

use super::events::{base_event, redactor_event};
use super::*;
use crate::engine::{Engine, Locations};
use assent_core::redact::Redactor;
use assent_policy::{Policy, PolicySource};
use assent_store::Store;
use serde_json::{json, Value};
use std::path::Path;

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

    pub(super) fn redact(&self, v: &Value) -> Value {
        self.redactor.redact_json(v)
    }
}
