//! `assent.toml`: defaults for approval requirements, workspace roots, secret patterns,
//! protected variables, guard paths and principals.

use assent_core::{Mode, OnTimeout, Principal, PrincipalKind, Severity, Verdict};
use serde::Deserialize;

/// The starter settings written by `assent init` and used when none are given.
pub const DEFAULT_TOML: &str = include_str!("../defaults/assent.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub defaults: Defaults,
    #[serde(default)]
    pub workspace: Workspace,
    #[serde(default)]
    pub secrets: Secrets,
    #[serde(default)]
    pub env: Env,
    #[serde(default)]
    pub guard: Guard,
    #[serde(default)]
    pub local: Local,
    #[serde(default)]
    pub principals: Vec<PrincipalEntry>,
    /// Outgoing webhooks of `assent serve` (docs/webhooks.md).
    #[serde(default)]
    pub webhooks: Vec<WebhookEntry>,
}

/// One outgoing webhook: where `assent serve` posts a notice of each new request and each
/// decision. Secrets are never written here: the signing key, and a URL that is itself a
/// secret (a Slack incoming-webhook URL), are named by environment variable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEntry {
    /// The receiver: `https://…` (plain `http://` only to a loopback address).
    #[serde(default)]
    pub url: Option<String>,
    /// Or the environment variable of `assent serve` that holds the URL.
    #[serde(default)]
    pub url_env: Option<String>,
    /// The environment variable that holds the HMAC-SHA256 signing key (required for `json`).
    #[serde(default)]
    pub secret_env: Option<String>,
    /// `json` (default) or `slack` (a Slack-compatible message body).
    #[serde(default)]
    pub format: Option<String>,
    /// Which notices: `request.created`, `request.approval`, `request.decided`; empty: all.
    #[serde(default)]
    pub events: Vec<String>,
}

/// The notice types a webhook may subscribe to.
pub const WEBHOOK_EVENTS: &[&str] = &["request.created", "request.approval", "request.decided"];

impl WebhookEntry {
    /// Checks the entry's shape (the URL itself is checked where it is resolved).
    pub fn check(&self) -> Result<(), String> {
        let env_name = |n: &str| {
            !n.is_empty()
                && n.len() <= 128
                && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        };
        match (&self.url, &self.url_env) {
            (Some(u), None) => {
                if !(u.starts_with("https://") || u.starts_with("http://")) {
                    return Err(format!("webhook url `{u}` must start with https://"));
                }
            }
            (None, Some(e)) if env_name(e) => {}
            (None, Some(e)) => return Err(format!("webhook url_env `{e}` is not a variable name")),
            _ => return Err("a webhook needs exactly one of `url` and `url_env`".into()),
        }
        if let Some(e) = &self.secret_env {
            if !env_name(e) {
                return Err(format!("webhook secret_env `{e}` is not a variable name"));
            }
        }
        let format = self.format.as_deref().unwrap_or("json");
        if !matches!(format, "json" | "slack") {
            return Err(format!("webhook format `{format}` must be json or slack"));
        }
        if format == "json" && self.secret_env.is_none() {
            return Err("a json webhook needs `secret_env` (its payloads are signed)".into());
        }
        if let Some(e) = self
            .events
            .iter()
            .find(|e| !WEBHOOK_EVENTS.contains(&e.as_str()))
        {
            return Err(format!(
                "webhook event `{e}` is not one of {}",
                WEBHOOK_EVENTS.join(", ")
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Defaults {
    pub unmatched: String,
    pub approvers: Vec<String>,
    pub quorum: u32,
    pub mode: String,
    pub timeout_s: u64,
    pub on_timeout: String,
    pub severity: String,
    pub grant_ttl_s: u64,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            unmatched: "ask".into(),
            approvers: vec!["owner".into()],
            quorum: 1,
            mode: "always".into(),
            timeout_s: 300,
            on_timeout: "deny".into(),
            severity: "medium".into(),
            grant_ttl_s: 3600,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Workspace {
    pub roots: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Secrets {
    pub extra: Vec<String>,
    pub exceptions: Vec<String>,
}

impl Default for Secrets {
    fn default() -> Self {
        Secrets {
            extra: Vec::new(),
            exceptions: [
                "**/.env.example",
                "**/.env.sample",
                "**/.env.template",
                "**/.env.dist",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Env {
    pub protected: Vec<String>,
}

impl Default for Env {
    fn default() -> Self {
        Env {
            protected: assent_core::redact::DEFAULT_PROTECTED_ENV
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Guard {
    pub extra: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Local {
    pub agent: String,
    pub approver: String,
}

impl Default for Local {
    fn default() -> Self {
        Local {
            agent: "agent".into(),
            approver: "owner".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipalEntry {
    pub name: String,
    #[serde(default = "default_kind")]
    pub kind: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub parent: Option<String>,
    /// SHA-256 (hex) of the principal's API token, for the server. Never the token itself.
    #[serde(default)]
    pub token_sha256: Option<String>,
}

fn default_kind() -> String {
    "agent".into()
}

/// Settings with every string checked and turned into its typed form.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub unmatched: Verdict,
    pub approvers: Vec<String>,
    pub quorum: u32,
    pub mode: Mode,
    pub timeout_s: u64,
    pub on_timeout: OnTimeout,
    pub severity: Severity,
    pub grant_ttl_s: u64,
    pub principals: Vec<Principal>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{file}: {message}")]
    Toml { file: String, message: String },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

/// Largest `quorum` accepted: more approvers than this is a configuration mistake.
pub const MAX_QUORUM: u32 = 16;

impl Settings {
    pub fn parse(text: &str, file: &str) -> Result<Settings, SettingsError> {
        toml::from_str(text).map_err(|e| SettingsError::Toml {
            file: file.to_string(),
            message: e.to_string(),
        })
    }

    pub fn resolve(&self, file: &str) -> Result<Resolved, SettingsError> {
        let invalid = |message: String| SettingsError::Invalid {
            file: file.to_string(),
            message,
        };
        let d = &self.defaults;
        if d.quorum == 0 || d.quorum > MAX_QUORUM {
            return Err(invalid(format!(
                "defaults.quorum must be between 1 and {MAX_QUORUM}"
            )));
        }
        if d.timeout_s == 0 || d.timeout_s > 7 * 24 * 3600 {
            return Err(invalid(
                "defaults.timeout_s must be between 1 and 604800".into(),
            ));
        }
        for w in &self.webhooks {
            w.check().map_err(|m| invalid(format!("webhooks: {m}")))?;
        }
        let mut principals = Vec::new();
        for p in &self.principals {
            if p.name.is_empty()
                || p.name.len() > 128
                || p.name.chars().any(|c| c.is_control() || c == '"')
            {
                return Err(invalid(format!(
                    "principal name `{}` is empty, too long or has control characters",
                    p.name
                )));
            }
            let kind = match p.kind.as_str() {
                "user" => PrincipalKind::User,
                "agent" => PrincipalKind::Agent,
                other => {
                    return Err(invalid(format!(
                        "principal `{}`: kind `{other}` must be user or agent",
                        p.name
                    )))
                }
            };
            if principals.iter().any(|q: &Principal| q.name == p.name) {
                return Err(invalid(format!("principal `{}` is defined twice", p.name)));
            }
            if let Some(t) = &p.token_sha256 {
                if t.len() != 64 || !t.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(invalid(format!(
                        "principal `{}`: token_sha256 must be 64 hex digits",
                        p.name
                    )));
                }
            }
            principals.push(Principal {
                name: p.name.clone(),
                kind,
                roles: p.roles.clone(),
                parent: p.parent.clone(),
            });
        }
        assent_core::Directory::new(principals.clone()).map_err(|e| invalid(e.to_string()))?;
        Ok(Resolved {
            unmatched: d
                .unmatched
                .parse()
                .map_err(|e: String| invalid(format!("defaults.unmatched: {e}")))?,
            approvers: d.approvers.clone(),
            quorum: d.quorum,
            mode: d
                .mode
                .parse()
                .map_err(|e: String| invalid(format!("defaults.mode: {e}")))?,
            timeout_s: d.timeout_s,
            on_timeout: d
                .on_timeout
                .parse()
                .map_err(|e: String| invalid(format!("defaults.on_timeout: {e}")))?,
            severity: d
                .severity
                .parse()
                .map_err(|e: String| invalid(format!("defaults.severity: {e}")))?,
            grant_ttl_s: d.grant_ttl_s,
            principals,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn webhooks(toml_text: &str) -> Result<(), String> {
        let s = Settings::parse(toml_text, "assent.toml").map_err(|e| e.to_string())?;
        s.resolve("assent.toml")
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn webhook_entries_are_checked_at_load_and_hold_no_secret() {
        assert!(webhooks(
            "[[webhooks]]\nurl = \"https://h.example/x\"\nsecret_env = \"HOOK_KEY\"\n"
        )
        .is_ok());
        assert!(webhooks("[[webhooks]]\nurl_env = \"SLACK_URL\"\nformat = \"slack\"\n").is_ok());
        for bad in [
            // No signing key for a json hook; both or neither of url and url_env.
            "[[webhooks]]\nurl = \"https://h.example/x\"\n",
            "[[webhooks]]\nsecret_env = \"K\"\n",
            "[[webhooks]]\nurl = \"https://h\"\nurl_env = \"U\"\nsecret_env = \"K\"\n",
            "[[webhooks]]\nurl = \"ftp://h\"\nsecret_env = \"K\"\n",
            "[[webhooks]]\nurl = \"https://h\"\nsecret_env = \"not a name\"\n",
            "[[webhooks]]\nurl = \"https://h\"\nsecret_env = \"K\"\nformat = \"xml\"\n",
            "[[webhooks]]\nurl = \"https://h\"\nsecret_env = \"K\"\nevents = [\"all\"]\n",
            // A key written into the file is not a field.
            "[[webhooks]]\nurl = \"https://h\"\nsecret = \"hunter2hunter2hunter2\"\n",
        ] {
            assert!(webhooks(bad).is_err(), "{bad}");
        }
    }
}
