//! Webhook targets: from `[[webhooks]]` in assent.toml, or `assent serve --webhook URL`.

use crate::sign::Secret;
use assent_policy::WebhookEntry;
use std::net::IpAddr;

/// The body a target receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The notice as JSON (docs/webhooks.md).
    Json,
    /// A Slack incoming-webhook message (`{"text": …}`).
    Slack,
}

impl Format {
    pub fn parse(s: &str) -> Result<Format, String> {
        match s {
            "json" => Ok(Format::Json),
            "slack" => Ok(Format::Slack),
            other => Err(format!("webhook format `{other}` must be json or slack")),
        }
    }
}

/// Which notices a target wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeType {
    /// A request now waits for approval.
    Created,
    /// One approval counted towards a quorum (the request still waits).
    Approval,
    /// The request ended: approved, denied, expired or cancelled.
    Decided,
}

impl NoticeType {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeType::Created => "request.created",
            NoticeType::Approval => "request.approval",
            NoticeType::Decided => "request.decided",
        }
    }

    fn parse(s: &str) -> Result<NoticeType, String> {
        [
            NoticeType::Created,
            NoticeType::Approval,
            NoticeType::Decided,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
        .ok_or_else(|| format!("webhook event `{s}` is unknown"))
    }
}

/// One receiver. `Debug` shows neither the secret nor the URL's path and query (a Slack URL's
/// path is its credential).
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    url: url::Url,
    secret: Option<Secret>,
    pub format: Format,
    /// Empty: every notice.
    events: Vec<NoticeType>,
    /// Texts no body may carry: the secret as written, and the URL.
    hide: Vec<String>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("url", &self.label())
            .field("signed", &self.secret.is_some())
            .field("format", &self.format)
            .field("events", &self.events)
            .finish()
    }
}

fn loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(a) => IpAddr::V4(*a).is_loopback(),
        url::Host::Ipv6(a) => IpAddr::V6(*a).is_loopback(),
    }
}

impl Target {
    /// A target for `url`. `https` anywhere; plain `http` only to a loopback address (a
    /// notice describes what an agent is doing); no user or password in the URL.
    pub fn new(
        url: &str,
        secret: Option<&str>,
        format: Format,
        events: &[String],
    ) -> Result<Target, String> {
        let mut hide = vec![url.trim().to_string()];
        let secret = match secret {
            Some(text) => {
                hide.push(text.trim().to_string());
                Some(Secret::parse(text)?)
            }
            None => None,
        };
        let parsed =
            url::Url::parse(url.trim()).map_err(|e| format!("webhook URL is not a URL ({e})"))?;
        let host = parsed
            .host()
            .ok_or_else(|| "webhook URL has no host".to_string())?;
        match parsed.scheme() {
            "https" => {}
            "http" if loopback(&host) => {}
            "http" => {
                return Err(format!(
                    "webhook URL `{}` must use https (plain http only to a loopback address)",
                    label_of(&parsed)
                ))
            }
            other => return Err(format!("webhook URL scheme `{other}` must be https")),
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err("a webhook URL carries no user or password; sign with a secret".into());
        }
        if format == Format::Json && secret.is_none() {
            return Err(format!(
                "the json webhook to {} needs a signing secret",
                label_of(&parsed)
            ));
        }
        let events = events
            .iter()
            .map(|e| NoticeType::parse(e))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Target {
            url: parsed,
            secret,
            format,
            events,
            hide,
        })
    }

    /// A `[[webhooks]]` entry, with its environment variables read through `env`.
    pub fn from_entry(
        e: &WebhookEntry,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Target, String> {
        e.check()?;
        let url = match (&e.url, &e.url_env) {
            (Some(u), _) => u.clone(),
            (None, Some(var)) => env(var)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| format!("webhook url_env `{var}` is not set"))?,
            (None, None) => return Err("a webhook needs `url` or `url_env`".into()),
        };
        let secret = match &e.secret_env {
            Some(var) => {
                Some(env(var).ok_or_else(|| format!("webhook secret_env `{var}` is not set"))?)
            }
            None => None,
        };
        let format = Format::parse(e.format.as_deref().unwrap_or("json"))?;
        Target::new(&url, secret.as_deref(), format, &e.events)
    }

    /// `scheme://host[:port]`: how logs name the target.
    pub fn label(&self) -> String {
        label_of(&self.url)
    }

    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    pub fn secret(&self) -> Option<&Secret> {
        self.secret.as_ref()
    }

    /// Texts no body may carry (for the redactor).
    pub(crate) fn hidden(&self) -> &[String] {
        &self.hide
    }

    pub fn wants(&self, t: NoticeType) -> bool {
        self.events.is_empty() || self.events.contains(&t)
    }
}

fn label_of(u: &url::Url) -> String {
    match (u.host_str(), u.port()) {
        (Some(h), Some(p)) => format!("{}://{h}:{p}", u.scheme()),
        (Some(h), None) => format!("{}://{h}", u.scheme()),
        _ => u.scheme().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Option<&'static str> {
        Some("a-secret-of-enough-bytes")
    }

    #[test]
    fn only_https_or_loopback_http_without_credentials() {
        for ok in [
            "https://hooks.example.com/assent",
            "http://127.0.0.1:9000/hook",
            "http://localhost/x",
            "http://[::1]:81/",
        ] {
            assert!(Target::new(ok, key(), Format::Json, &[]).is_ok(), "{ok}");
        }
        for bad in [
            "http://hooks.example.com/assent",
            "http://10.0.0.1/",
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "https://",
            "not a url",
            "file:///etc/passwd",
        ] {
            assert!(Target::new(bad, key(), Format::Json, &[]).is_err(), "{bad}");
        }
        // A json target is always signed; a Slack one may go unsigned.
        assert!(Target::new("https://example.com/", None, Format::Json, &[]).is_err());
        assert!(Target::new("https://example.com/", None, Format::Slack, &[]).is_ok());
        assert!(Target::new(
            "https://example.com/",
            key(),
            Format::Json,
            &["bogus".into()]
        )
        .is_err());
    }

    #[test]
    fn debug_hides_the_secret_and_the_path() {
        let t = Target::new(
            "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX",
            key(),
            Format::Slack,
            &[],
        )
        .expect("target");
        let d = format!("{t:?}");
        assert!(
            !d.contains("XXXXSECRETXXXX") && !d.contains("enough-bytes"),
            "{d}"
        );
        assert_eq!(t.label(), "https://hooks.slack.com");
    }

    #[test]
    fn entries_read_their_secrets_from_the_environment() {
        let env = |k: &str| match k {
            "HOOK_URL" => Some("https://example.com/h".to_string()),
            "HOOK_KEY" => Some("0123456789abcdef0123".to_string()),
            _ => None,
        };
        let e = WebhookEntry {
            url_env: Some("HOOK_URL".into()),
            secret_env: Some("HOOK_KEY".into()),
            events: vec!["request.decided".into()],
            ..Default::default()
        };
        let t = Target::from_entry(&e, &env).expect("target");
        assert!(t.wants(NoticeType::Decided) && !t.wants(NoticeType::Created));
        let missing = WebhookEntry {
            url: Some("https://example.com/".into()),
            secret_env: Some("NOT_SET".into()),
            ..Default::default()
        };
        assert!(Target::from_entry(&missing, &env).is_err());
    }
}
