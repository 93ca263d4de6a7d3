//! Claude Code's PreToolUse hook answer: the one JSON line a hook prints on stdout.
//!
//! Written by the in-process hook and by the server's hook route, read back by the hook's
//! supervisor and by the thin client: one definition, so the shapes cannot drift.

use serde_json::{json, Value};

/// What a hook answers: allow or deny, why, and (for an allow only) a replacement tool input.
#[derive(Debug, Clone, PartialEq)]
pub struct HookAnswer {
    pub allow: bool,
    pub reason: String,
    pub updated_input: Option<Value>,
}

impl HookAnswer {
    pub fn plain(allow: bool, reason: impl Into<String>) -> HookAnswer {
        HookAnswer {
            allow,
            reason: reason.into(),
            updated_input: None,
        }
    }

    /// The answer as one JSON line (no newline). The reason is printed with hidden characters
    /// escaped and credential-shaped values redacted; `updatedInput` goes out only with allow.
    pub fn to_line(&self) -> String {
        let reason =
            assent_core::redact::redact_shapes(&assent_core::text::escape_line(&self.reason));
        let mut decision = json!({
            "hookEventName": "PreToolUse",
            "permissionDecision": if self.allow { "allow" } else { "deny" },
            "permissionDecisionReason": reason,
        });
        if let (true, Some(u), Some(fields)) = (
            self.allow,
            self.updated_input.as_ref(),
            decision.as_object_mut(),
        ) {
            fields.insert("updatedInput".into(), u.clone());
        }
        json!({ "hookSpecificOutput": decision }).to_string()
    }

    /// Reads an answer back. `None` for anything but exactly one line holding one JSON object
    /// whose decision is `allow` or `deny`, and whose `updatedInput`, if any, is an object.
    /// Callers treat `None` as deny.
    pub fn parse(text: &str) -> Option<HookAnswer> {
        let line = text.strip_suffix('\n').unwrap_or(text);
        if line.contains('\n') {
            return None;
        }
        let v: Value = serde_json::from_str(line).ok()?;
        let out = v.get("hookSpecificOutput")?;
        let reason = out
            .get("permissionDecisionReason")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let updated = out.get("updatedInput").cloned();
        match out.get("permissionDecision").and_then(Value::as_str)? {
            "allow" => {
                if updated.as_ref().is_some_and(|u| !u.is_object()) {
                    return None;
                }
                Some(HookAnswer {
                    allow: true,
                    reason,
                    updated_input: updated,
                })
            }
            "deny" => Some(HookAnswer::plain(false, reason)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_anything_else() {
        let a = HookAnswer {
            allow: true,
            reason: "ok".into(),
            updated_input: Some(json!({"command": "ls"})),
        };
        assert_eq!(HookAnswer::parse(&a.to_line()), Some(a.clone()));
        assert_eq!(HookAnswer::parse(&format!("{}\n", a.to_line())), Some(a));
        let d = HookAnswer::plain(false, "no");
        assert_eq!(HookAnswer::parse(&d.to_line()), Some(d));
        for bad in [
            "",
            "garbage",
            "{}",
            r#"{"hookSpecificOutput":{"permissionDecision":"ask"}}"#,
            r#"{"hookSpecificOutput":{"permissionDecision":"allow","updatedInput":"rm -rf /"}}"#,
            "{\"hookSpecificOutput\":{\"permissionDecision\":\"allow\"}}\n{}",
        ] {
            assert_eq!(HookAnswer::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_deny_never_carries_an_updated_input() {
        let d = HookAnswer {
            allow: false,
            reason: "no".into(),
            updated_input: Some(json!({"command": "ls"})),
        };
        assert!(!d.to_line().contains("updatedInput"));
    }
}
