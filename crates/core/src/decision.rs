//! Decisions (PRODUCT.md, "The decision") and how several of them combine.
//!
//! Combination is always toward the stricter outcome: `deny` beats `ask` beats `allow`. A
//! subordinate agent's decision is the combination of its own and every ancestor's, so
//! delegation can only narrow.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Ask,
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Ask => "ask",
            Verdict::Deny => "deny",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Verdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "allow" => Ok(Verdict::Allow),
            "ask" => Ok(Verdict::Ask),
            "deny" => Ok(Verdict::Deny),
            _ => Err(format!(
                "unknown decision `{s}`; expected allow, ask or deny"
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!(
                "unknown severity `{s}`; expected low, medium, high or critical"
            )),
        }
    }
}

/// How long an approval lasts. Ordered from most to least permissive so that `max` is stricter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The approval leaves a grant for the same action for the rest of the session.
    Session,
    /// The approval leaves a grant for the same action for a limited time.
    Once,
    /// Every occurrence asks.
    Always,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Session => "session",
            Mode::Once => "once",
            Mode::Always => "always",
        }
    }
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "always" => Ok(Mode::Always),
            "once" => Ok(Mode::Once),
            "session" => Ok(Mode::Session),
            _ => Err(format!(
                "unknown mode `{s}`; expected always, once or session"
            )),
        }
    }
}

/// What happens to a pending request nobody answered in time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "action", content = "role")]
pub enum OnTimeout {
    Deny,
    Allow,
    /// Re-target the request at this role with a fresh timeout.
    Escalate(String),
}

impl OnTimeout {
    fn strictness(&self) -> u8 {
        match self {
            OnTimeout::Deny => 2,
            OnTimeout::Escalate(_) => 1,
            OnTimeout::Allow => 0,
        }
    }

    pub fn label(&self) -> String {
        match self {
            OnTimeout::Deny => "deny".into(),
            OnTimeout::Allow => "allow".into(),
            OnTimeout::Escalate(role) => format!("escalate:{role}"),
        }
    }
}

impl FromStr for OnTimeout {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "deny" => Ok(OnTimeout::Deny),
            "allow" => Ok(OnTimeout::Allow),
            _ => match s.strip_prefix("escalate:") {
                Some(role) if !role.is_empty() => Ok(OnTimeout::Escalate(role.to_string())),
                _ => Err(format!(
                    "unknown on_timeout `{s}`; expected deny, allow or escalate:ROLE"
                )),
            },
        }
    }
}

/// Who must approve an `ask`, how many, and what happens if nobody does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    pub approvers: Vec<String>,
    pub quorum: u32,
    pub mode: Mode,
    pub timeout_s: u64,
    pub on_timeout: OnTimeout,
}

impl Requirement {
    /// The stricter of two requirements: every named role, the larger quorum, the stricter mode,
    /// the shorter timeout, the stricter timeout outcome.
    pub fn merge(&self, other: &Requirement) -> Requirement {
        let mut approvers = self.approvers.clone();
        for a in &other.approvers {
            if !approvers.contains(a) {
                approvers.push(a.clone());
            }
        }
        Requirement {
            approvers,
            quorum: self.quorum.max(other.quorum),
            mode: self.mode.max(other.mode),
            timeout_s: self.timeout_s.min(other.timeout_s),
            on_timeout: if self.on_timeout.strictness() >= other.on_timeout.strictness() {
                self.on_timeout.clone()
            } else {
                other.on_timeout.clone()
            },
        }
    }
}

/// The outcome of policy for one action and one principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub decision: Verdict,
    /// The rule(s) that decided, most important first.
    pub rules: Vec<String>,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirement: Option<Requirement>,
    pub policy_version: u64,
    pub reason: String,
    /// Evaluation problems. A decision with diagnostics is never `allow`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<String>,
}

impl Decision {
    /// A deny that no policy produced: input, principal or evaluation failed.
    pub fn fail_closed(rule: &str, reason: impl Into<String>, policy_version: u64) -> Decision {
        Decision {
            decision: Verdict::Deny,
            rules: vec![rule.to_string()],
            severity: Severity::High,
            requirement: None,
            policy_version,
            reason: reason.into(),
            diagnostics: Vec::new(),
        }
    }

    pub fn rule(&self) -> &str {
        self.rules.first().map(String::as_str).unwrap_or("")
    }

    /// Combines two decisions for the same action into the stricter one.
    pub fn strictest(self, other: Decision) -> Decision {
        use std::cmp::Ordering::*;
        let mut diagnostics = self.diagnostics.clone();
        diagnostics.extend(other.diagnostics.iter().cloned());
        let severity = self.severity.max(other.severity);
        let mut out = match self.decision.cmp(&other.decision) {
            Greater => self,
            Less => other,
            Equal => {
                let mut base = self;
                for r in other.rules {
                    if !base.rules.contains(&r) {
                        base.rules.push(r);
                    }
                }
                if base.decision == Verdict::Ask {
                    base.requirement = match (base.requirement.take(), other.requirement) {
                        (Some(a), Some(b)) => Some(a.merge(&b)),
                        (a, b) => a.or(b),
                    };
                }
                if base.reason != other.reason && !other.reason.is_empty() {
                    base.reason = format!("{}; {}", base.reason, other.reason);
                }
                base
            }
        };
        out.severity = severity;
        out.diagnostics = diagnostics;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(v: Verdict, rule: &str) -> Decision {
        Decision {
            decision: v,
            rules: vec![rule.into()],
            severity: Severity::Low,
            requirement: (v == Verdict::Ask).then(|| Requirement {
                approvers: vec!["owner".into()],
                quorum: 1,
                mode: Mode::Once,
                timeout_s: 300,
                on_timeout: OnTimeout::Deny,
            }),
            policy_version: 1,
            reason: rule.into(),
            diagnostics: vec![],
        }
    }

    #[test]
    fn strictest_never_loosens() {
        for a in [Verdict::Allow, Verdict::Ask, Verdict::Deny] {
            for b in [Verdict::Allow, Verdict::Ask, Verdict::Deny] {
                let c = d(a, "a").strictest(d(b, "b"));
                assert_eq!(c.decision, a.max(b));
            }
        }
    }

    #[test]
    fn requirements_merge_to_the_stricter() {
        let mut a = d(Verdict::Ask, "a");
        let mut b = d(Verdict::Ask, "b");
        if let Some(r) = b.requirement.as_mut() {
            r.quorum = 2;
            r.mode = Mode::Always;
            r.timeout_s = 60;
            r.approvers = vec!["security".into()];
        }
        if let Some(r) = a.requirement.as_mut() {
            r.on_timeout = OnTimeout::Allow;
        }
        let c = a.strictest(b);
        let r = c.requirement.expect("ask keeps a requirement");
        assert_eq!(r.quorum, 2);
        assert_eq!(r.mode, Mode::Always);
        assert_eq!(r.timeout_s, 60);
        assert_eq!(r.on_timeout, OnTimeout::Deny);
        assert_eq!(
            r.approvers,
            vec!["owner".to_string(), "security".to_string()]
        );
    }
}
