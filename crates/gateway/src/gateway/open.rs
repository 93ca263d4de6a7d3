//! Opening a gateway: the store, the policy a home uses (recorded as a version), the redactor.

use super::*;
use crate::engine::{Engine, Locations};
use assent_core::redact::Redactor;
use assent_policy::PolicySource;
use assent_store::RequestBody;
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
    /// Opens the store in `loc.assent_home`, loads the policy and records its version. Files
    /// that do not load are an error (see [`Gateway::open_serving`] for a server).
    pub async fn open(loc: &Locations, policy_dir: Option<&Path>) -> Result<Gateway, GatewayError> {
        Self::open_with(loc, policy_dir, OpenOptions::default()).await
    }

    /// Opens with a chosen clock and store (tests, other backends) and fallback behaviour.
    pub async fn open_with(
        loc: &Locations,
        policy_dir: Option<&Path>,
        opts: OpenOptions,
    ) -> Result<Gateway, GatewayError> {
        std::fs::create_dir_all(&loc.assent_home).map_err(|e| {
            GatewayError::Io(format!("cannot create {}: {e}", loc.assent_home.display()))
        })?;
        let store = match opts.store {
            Some(s) => s,
            None => assent_store::open(&db_path(&loc.assent_home)).await?,
        };
        let config =
            super::config::Config::open(store.as_ref(), loc, policy_dir, opts.serving).await?;
        let digest_key = store.key("digest", &new_secret()?).await?;
        Ok(Gateway {
            store,
            clock: opts.clock,
            config,
            digest_key,
        })
    }

    /// Now, by the gateway's clock: what deadlines and expiries are measured against.
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The digest Assent stores, exports and binds approvals to: the action's SHA-256 keyed
    /// with a per-database secret. A plain digest of an action that held a short secret (a
    /// port number) could be brute-forced back to it from an export.
    pub fn keyed(&self, digest: &str) -> String {
        sha256_hex(&format!("{}:{digest}", self.digest_key))
    }

    /// The body as it may be stored: every protected value replaced. A body that no longer
    /// parses after redaction is refused rather than stored unredacted.
    pub(super) fn redact_body(&self, body: RequestBody) -> Result<RequestBody, GatewayError> {
        let v = serde_json::to_value(&body)
            .map_err(|e| GatewayError::Io(format!("request body: {e}")))?;
        serde_json::from_value(self.redactor().redact_json(&v))
            .map_err(|e| GatewayError::Io(format!("request body after redaction: {e}")))
    }
}
