//! The canonical action envelope (PRODUCT.md, "The canonical action") and its digest.
//!
//! The digest is what approvals bind to: SHA-256 over a canonical JSON rendering (object keys
//! sorted, no insignificant whitespace) of the fields that decide what runs — `tool`, `kind`,
//! `input`, `cwd`. `session` and `summary` are context, not content: the same command in another
//! session is the same action.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// Largest canonical action accepted, in bytes of canonical JSON. Bigger inputs are refused
/// whole rather than truncated: a person must be able to see everything that would run.
pub const MAX_ACTION_BYTES: usize = 1024 * 1024;
/// Deepest JSON nesting accepted inside `input`.
pub const MAX_DEPTH: usize = 64;
/// Longest tool name accepted.
pub const MAX_TOOL_LEN: usize = 256;

/// What kind of thing an action does. Adapters infer it when the caller does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Shell,
    FileRead,
    FileWrite,
    FileDelete,
    Http,
    Payment,
    Gui,
    CodeExec,
    Env,
    Mcp,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Shell,
        Kind::FileRead,
        Kind::FileWrite,
        Kind::FileDelete,
        Kind::Http,
        Kind::Payment,
        Kind::Gui,
        Kind::CodeExec,
        Kind::Env,
        Kind::Mcp,
        Kind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Shell => "shell",
            Kind::FileRead => "file.read",
            Kind::FileWrite => "file.write",
            Kind::FileDelete => "file.delete",
            Kind::Http => "http",
            Kind::Payment => "payment",
            Kind::Gui => "gui",
            Kind::CodeExec => "code.exec",
            Kind::Env => "env",
            Kind::Mcp => "mcp",
            Kind::Other => "other",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = ActionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| ActionError::UnknownKind(s.chars().take(64).collect()))
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One action an agent wants to take, in canonical form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub tool: String,
    pub kind: Kind,
    pub input: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Caller-supplied description. Shown beside the real input, never instead of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// Why an action was refused before any policy saw it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error("unknown action kind `{0}`; expected one of shell, file.read, file.write, file.delete, http, payment, gui, code.exec, env, mcp, other")]
    UnknownKind(String),
    #[error("action is {0} bytes; the limit is {MAX_ACTION_BYTES}")]
    TooLarge(usize),
    #[error("action input nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("`tool` must be a non-empty string of at most {MAX_TOOL_LEN} characters")]
    BadTool,
    #[error("`input` must be a JSON object")]
    InputNotObject,
    #[error("`cwd` must be an absolute path, got `{0}`")]
    RelativeCwd(String),
    #[error("{0} contains a NUL character")]
    Nul(&'static str),
    #[error("invalid action: {0}")]
    Invalid(String),
}

impl Action {
    /// Parses and validates a canonical action from JSON text.
    pub fn from_json(text: &str) -> Result<Action, ActionError> {
        if text.len() > MAX_ACTION_BYTES {
            return Err(ActionError::TooLarge(text.len()));
        }
        let action: Action =
            serde_json::from_str(text).map_err(|e| ActionError::Invalid(e.to_string()))?;
        action.validate()?;
        Ok(action)
    }

    /// Checks the limits every action must respect, whoever built it.
    pub fn validate(&self) -> Result<(), ActionError> {
        if self.tool.is_empty() || self.tool.chars().count() > MAX_TOOL_LEN {
            return Err(ActionError::BadTool);
        }
        if self.tool.contains('\0') {
            return Err(ActionError::Nul("tool"));
        }
        if !self.input.is_object() {
            return Err(ActionError::InputNotObject);
        }
        if depth(&self.input) > MAX_DEPTH {
            return Err(ActionError::TooDeep);
        }
        if let Some(cwd) = &self.cwd {
            if cwd.contains('\0') {
                return Err(ActionError::Nul("cwd"));
            }
            if !cwd.starts_with('/') {
                return Err(ActionError::RelativeCwd(cwd.chars().take(200).collect()));
            }
        }
        let size = self.canonical_json().len();
        if size > MAX_ACTION_BYTES {
            return Err(ActionError::TooLarge(size));
        }
        Ok(())
    }

    /// Canonical JSON of the fields that decide what runs: sorted keys, compact.
    pub fn canonical_json(&self) -> String {
        let mut out = String::with_capacity(128);
        out.push('{');
        if let Some(cwd) = &self.cwd {
            out.push_str("\"cwd\":");
            write_json_string(&mut out, cwd);
            out.push(',');
        }
        out.push_str("\"input\":");
        write_canonical(&mut out, &self.input);
        out.push_str(",\"kind\":");
        write_json_string(&mut out, self.kind.as_str());
        out.push_str(",\"tool\":");
        write_json_string(&mut out, &self.tool);
        out.push('}');
        out
    }

    /// SHA-256 of [`Action::canonical_json`], lowercase hex. What approvals bind to.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_json().as_bytes()))
    }

    /// A string field of `input`, if present.
    pub fn input_str(&self, key: &str) -> Option<&str> {
        self.input.get(key).and_then(Value::as_str)
    }
}

fn depth(v: &Value) -> usize {
    // Iterative so that hostile nesting cannot overflow the stack.
    let mut max = 0;
    let mut stack = vec![(v, 1usize)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        if d > MAX_DEPTH {
            return d;
        }
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|x| (x, d + 1))),
            Value::Object(o) => stack.extend(o.values().map(|x| (x, d + 1))),
            _ => {}
        }
    }
    max
}

/// Writes `v` as canonical JSON: object keys sorted by their UTF-8 bytes, no whitespace.
pub fn write_canonical(out: &mut String, v: &Value) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, k);
                out.push(':');
                if let Some(val) = map.get(*k) {
                    write_canonical(out, val);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn write_json_string(out: &mut String, s: &str) {
    out.push_str(&Value::String(s.to_owned()).to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn action(input: Value) -> Action {
        Action {
            tool: "Bash".into(),
            kind: Kind::Shell,
            input,
            cwd: Some("/p".into()),
            session: Some("s".into()),
            summary: None,
        }
    }

    #[test]
    fn digest_ignores_key_order_session_and_summary() {
        let a = action(json!({"command": "ls", "description": "x"}));
        let mut b = action(json!({"description": "x", "command": "ls"}));
        b.session = Some("other".into());
        b.summary = Some("harmless".into());
        assert_eq!(a.digest(), b.digest());
    }

    #[test]
    fn digest_changes_with_any_content() {
        let a = action(json!({"command": "ls"}));
        let b = action(json!({"command": "ls "}));
        let mut c = action(json!({"command": "ls"}));
        c.cwd = Some("/q".into());
        let mut d = action(json!({"command": "ls"}));
        d.tool = "bash".into();
        assert_ne!(a.digest(), b.digest());
        assert_ne!(a.digest(), c.digest());
        assert_ne!(a.digest(), d.digest());
    }

    #[test]
    fn rejects_bad_envelopes() {
        assert!(matches!(
            Action::from_json(r#"{"tool":"x","kind":"nuke","input":{}}"#),
            Err(ActionError::Invalid(_))
        ));
        assert!(Action::from_json(r#"{"tool":"","kind":"shell","input":{}}"#).is_err());
        assert!(Action::from_json(r#"{"tool":"x","kind":"shell","input":[]}"#).is_err());
        assert!(
            Action::from_json(r#"{"tool":"x","kind":"shell","input":{},"cwd":"rel"}"#).is_err()
        );
        assert!(Action::from_json(r#"{"tool":"x","kind":"shell","input":{},"extra":1}"#).is_err());
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let text = format!(r#"{{"tool":"x","kind":"shell","input":{{"a":{deep}}}}}"#);
        assert!(Action::from_json(&text).is_err());
        let huge = format!(
            r#"{{"tool":"x","kind":"shell","input":{{"a":"{}"}}}}"#,
            "a".repeat(MAX_ACTION_BYTES)
        );
        assert!(matches!(
            Action::from_json(&huge),
            Err(ActionError::TooLarge(_))
        ));
    }
}
