//! What a receiver gets: a notice built from an audit event and the request's read view (both
//! redacted when they were written), redacted once more on the way out, as JSON or as a
//! Slack-compatible message.

use crate::config::{Format, NoticeType};
use assent_core::approval::State;
use assent_core::redact::Redactor;
use assent_core::{Kind, Severity};
use assent_gateway::RequestView;
use serde::Serialize;
use serde_json::Value;

/// Longest text field carried (characters); longer ones are cut with `…`.
const TEXT_MAX: usize = 2000;
/// Most reasons ("because …") carried.
const WHY_MAX: usize = 8;

/// One notice: a request was created, counted an approval, or ended.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    /// `request.created`, `request.approval` or `request.decided`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Unique per notice and the same on every retry: `webhook-id` carries it too.
    pub id: String,
    /// The audit event's sequence number (notices of one request arrive in this order, retries
    /// aside).
    pub seq: i64,
    /// The audit event: `request`, `approval`, `approved`, `denial`, `expiry`, `cancelled`.
    pub event: String,
    /// RFC 3339.
    pub time: String,
    /// Who approved or denied (none for a new request, a timeout or a cancellation).
    pub by: Option<String>,
    /// The reason given with the approval or denial, or the one recorded for the end.
    pub reason: Option<String>,
    pub request: RequestNotice,
}

/// What a notice tells of a request: never its raw input, only the redacted summary.
#[derive(Debug, Clone, Serialize)]
pub struct RequestNotice {
    pub id: i64,
    pub state: State,
    pub principal: String,
    /// Requester first, then each ancestor.
    pub chain: Vec<String>,
    pub session: String,
    pub kind: Kind,
    pub tool: String,
    /// One escaped, redacted line: what would run.
    pub summary: String,
    pub severity: Severity,
    pub rule: String,
    /// The policy's reason for asking.
    pub reason: String,
    /// Why it was stopped, in plain words.
    pub why: Vec<String>,
    /// Roles or names that may approve, how many must, and who has.
    pub approvers: Vec<String>,
    pub quorum: u32,
    pub approvals: Vec<String>,
    /// RFC 3339.
    pub created: String,
    pub deadline: String,
}

pub(crate) fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn cut(s: &str) -> String {
    if s.chars().count() <= TEXT_MAX {
        return s.to_string();
    }
    let mut out: String = s.chars().take(TEXT_MAX).collect();
    out.push('…');
    out
}

/// The notice type of an audit event, if it is one webhooks carry.
pub fn notice_type(event: &str) -> Option<NoticeType> {
    match event {
        "request" => Some(NoticeType::Created),
        "approval" => Some(NoticeType::Approval),
        "approved" | "denial" | "expiry" | "cancelled" => Some(NoticeType::Decided),
        _ => None,
    }
}

impl RequestNotice {
    pub fn from_view(v: &RequestView) -> RequestNotice {
        let why = v
            .explanation
            .as_ref()
            .map(|e| e.because.iter().take(WHY_MAX).map(|b| cut(b)).collect())
            .unwrap_or_default();
        RequestNotice {
            id: v.id,
            state: v.state,
            principal: v.principal.clone(),
            chain: v.chain.clone(),
            session: cut(&v.session),
            kind: v.action.kind,
            tool: cut(&v.action.tool),
            summary: cut(&v.summary),
            severity: v.decision.severity,
            rule: v.decision.rule().to_string(),
            reason: cut(&v.decision.reason),
            why,
            approvers: v.requirement.approvers.clone(),
            quorum: v.requirement.quorum,
            approvals: v.approvals.clone(),
            created: rfc3339(v.created_ms),
            deadline: rfc3339(v.deadline_ms),
        }
    }
}

/// Slack's mrkdwn control characters, escaped as Slack asks (so that text from an agent can
/// neither mention `<!channel>` nor hide a link).
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Text inside a Slack code span or block: escaped, and unable to close it.
fn slack_code(s: &str) -> String {
    slack_escape(s).replace('`', "ˋ")
}

fn headline(n: &Notice) -> String {
    let r = &n.request;
    let by = n.by.as_deref().map(slack_code).unwrap_or_default();
    match n.event.as_str() {
        "request" => format!(
            ":raised_hand: *Approval needed* — request #{} by `{}` ({} severity, rule `{}`)",
            r.id,
            slack_code(&r.principal),
            r.severity.as_str(),
            slack_code(&r.rule)
        ),
        "approval" => format!(
            ":ballot_box_with_check: Request #{}: approval {} of {} by `{by}`",
            r.id,
            r.approvals.len(),
            r.quorum
        ),
        "approved" => {
            format!(":white_check_mark: Request #{} *approved*", r.id)
                + &if by.is_empty() {
                    String::new()
                } else {
                    format!(" by `{by}`")
                }
        }
        "denial" => {
            format!(":no_entry: Request #{} *denied*", r.id)
                + &if by.is_empty() {
                    String::new()
                } else {
                    format!(" by `{by}`")
                }
        }
        "expiry" => format!(
            ":hourglass: Request #{} *expired*: nobody answered in time",
            r.id
        ),
        "cancelled" => format!(":heavy_multiplication_x: Request #{} *cancelled*", r.id),
        other => format!("Request #{}: {}", r.id, slack_escape(other)),
    }
}

/// A Slack incoming-webhook message for the notice.
pub fn slack_body(n: &Notice) -> Value {
    let r = &n.request;
    let mut text = headline(n);
    text.push_str(&format!(
        "\n```{}```\n{} `{}` · {}",
        slack_code(&r.summary),
        slack_escape(r.kind.as_str()),
        slack_code(&r.tool),
        slack_escape(&r.reason)
    ));
    if n.event == "request" {
        for w in &r.why {
            text.push_str(&format!("\n• {}", slack_escape(w)));
        }
        text.push_str(&format!(
            "\nNeeds {} of {} before {}: `assent approve {}` or `assent deny {} --reason …`",
            r.quorum,
            slack_escape(&r.approvers.join(", ")),
            slack_escape(&r.deadline),
            r.id,
            r.id
        ));
    } else if let Some(reason) = &n.reason {
        text.push_str(&format!("\nReason: {}", slack_escape(reason)));
    }
    serde_json::json!({ "text": text })
}

/// The body for `format`, with every string redacted by each of `redactors` in turn
/// (protected variables' values, the webhooks' own secrets, every credential shape).
pub fn body(n: &Notice, format: Format, redactors: &[&Redactor]) -> Result<Vec<u8>, String> {
    let mut v = match format {
        Format::Json => serde_json::to_value(n).map_err(|e| e.to_string())?,
        Format::Slack => slack_body(n),
    };
    for r in redactors {
        v = r.redact_json(&v);
    }
    serde_json::to_vec(&v).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(summary: &str) -> Notice {
        Notice {
            kind: "request.created",
            id: "n-1".into(),
            seq: 1,
            event: "request".into(),
            time: rfc3339(0),
            by: None,
            reason: None,
            request: RequestNotice {
                id: 7,
                state: State::Pending,
                principal: "agent <!channel>".into(),
                chain: vec!["agent".into()],
                session: "s".into(),
                kind: Kind::Shell,
                tool: "Bash".into(),
                summary: summary.into(),
                severity: Severity::High,
                rule: "destructive".into(),
                reason: "rm deletes <files>".into(),
                why: vec!["deletes files & <https://evil|here>".into()],
                approvers: vec!["owner".into()],
                quorum: 1,
                approvals: vec![],
                created: rfc3339(0),
                deadline: rfc3339(300_000),
            },
        }
    }

    #[test]
    fn slack_text_cannot_mention_link_or_close_the_code_block() {
        let n = notice("rm -rf build ``` <!here> done");
        let body = body(&n, Format::Slack, &[&Redactor::new([])]).expect("body");
        let v: Value = serde_json::from_slice(&body).expect("json");
        let text = v["text"].as_str().expect("text");
        assert!(!text.contains("<!"), "{text}");
        assert!(!text.contains("<https"), "{text}");
        assert_eq!(text.matches("```").count(), 2, "{text}");
        assert!(text.contains("assent approve 7"));
    }

    #[test]
    fn bodies_are_redacted_on_the_way_out() {
        let planted = format!("ghp_{}", "A1b2C3d4".repeat(5));
        let n = notice(&format!(
            "curl -H 'token: {planted}' https://api.example.com"
        ));
        let redactor = Redactor::new([("HOOK_SECRET".into(), "super-secret-value".into())]);
        let mut n2 = n.clone();
        n2.reason = Some("super-secret-value".into());
        for format in [Format::Json, Format::Slack] {
            for n in [&n, &n2] {
                let b =
                    String::from_utf8(body(n, format, &[&redactor]).expect("body")).expect("utf8");
                assert!(!b.contains(&planted), "{b}");
                assert!(!b.contains("super-secret-value"), "{b}");
            }
        }
    }

    #[test]
    fn long_text_is_cut() {
        assert_eq!(cut(&"é".repeat(TEXT_MAX + 5)).chars().count(), TEXT_MAX + 1);
        assert_eq!(cut("short"), "short");
    }
}
