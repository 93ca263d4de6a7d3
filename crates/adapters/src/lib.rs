//! Adapters: foreign tool-call shapes in, canonical [`Action`]s out.
//!
//! Each adapter owns its wire shape and nothing else: Claude Code's PreToolUse hook input,
//! MCP `tools/call` parameters, Anthropic computer-use input. The kind of an action is
//! inferred from the tool, never from what the caller says it is: a tool this crate does not
//! know is `other`, which policy treats as unknown, never as benign.

mod file_change;
mod hook_answer;

pub use file_change::{file_change, target_path, FileChange, Replacement};
pub use hook_answer::HookAnswer;

use assent_core::{Action, ActionError, Kind};
use serde_json::{Map, Value};

/// An action plus what the front end learned about who asks.
#[derive(Debug, Clone, PartialEq)]
pub struct Adapted {
    pub action: Action,
    /// A subordinate agent id (Claude Code `agent_id`): the request comes from a subagent of
    /// the configured agent.
    pub subagent: Option<String>,
    /// Claude Code's `hook_event_name`, when the input was hook input.
    pub hook_event: Option<String>,
    pub permission_mode: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AdaptError {
    #[error("input is not valid JSON: {0}")]
    Json(String),
    #[error("input must be a JSON object")]
    NotObject,
    #[error("hook input has no string `tool_name`")]
    NoToolName,
    #[error("hook input `tool_input` must be an object")]
    BadToolInput,
    #[error("`{tool}` input has no string `{field}`")]
    MissingField { tool: String, field: &'static str },
    #[error("`{0}` must be a string")]
    NotString(&'static str),
    #[error(transparent)]
    Action(#[from] ActionError),
    #[error(
        "input mixes hook fields (`tool_name`) with canonical fields (`tool`, `kind`, `input`)"
    )]
    Ambiguous,
    #[error("duplicate key `{0}`: parsers disagree on which one counts")]
    DuplicateKey(String),
    #[error("kind `{given}` does not match tool `{tool}`, which is `{known}`")]
    KindMismatch {
        tool: String,
        given: String,
        known: String,
    },
}

/// Parses JSON refusing duplicate object keys anywhere: `{"tool_name":"Write",…,
/// "tool_name":"TodoWrite"}` means one thing to a last-wins parser and another to a
/// first-wins one.
pub fn parse_strict(text: &str) -> Result<Value, AdaptError> {
    use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
    struct Strict(Value);
    impl<'de> serde::Deserialize<'de> for Strict {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(StrictVisitor)
        }
    }
    struct StrictVisitor;
    impl<'de> Visitor<'de> for StrictVisitor {
        type Value = Strict;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
            Ok(Strict(Value::Bool(v)))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
            Ok(Strict(Value::from(v)))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
            Ok(Strict(Value::from(v)))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Strict, E> {
            Ok(Strict(
                serde_json::Number::from_f64(v)
                    .map(Value::Number)
                    .unwrap_or(Value::Null),
            ))
        }
        fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
            Ok(Strict(Value::String(v.to_string())))
        }
        fn visit_string<E>(self, v: String) -> Result<Strict, E> {
            Ok(Strict(Value::String(v)))
        }
        fn visit_unit<E>(self) -> Result<Strict, E> {
            Ok(Strict(Value::Null))
        }
        fn visit_none<E>(self) -> Result<Strict, E> {
            Ok(Strict(Value::Null))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Strict, A::Error> {
            let mut out = Vec::new();
            while let Some(Strict(v)) = a.next_element()? {
                out.push(v);
            }
            Ok(Strict(Value::Array(out)))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Strict, A::Error> {
            let mut out = Map::new();
            while let Some(k) = a.next_key::<String>()? {
                let Strict(v) = a.next_value()?;
                if out.insert(k.clone(), v).is_some() {
                    return Err(serde::de::Error::custom(format!("\u{0}dup:{k}")));
                }
            }
            Ok(Strict(Value::Object(out)))
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed =
        <Strict as serde::Deserialize>::deserialize(&mut de).and_then(|v| de.end().map(|_| v));
    match parsed {
        Ok(Strict(v)) => Ok(v),
        Err(e) => {
            let msg = e.to_string();
            match msg.split_once("\u{0}dup:") {
                Some((_, rest)) => Err(AdaptError::DuplicateKey(
                    rest.split(" at line")
                        .next()
                        .unwrap_or(rest)
                        .chars()
                        .take(64)
                        .collect(),
                )),
                None => Err(AdaptError::Json(msg)),
            }
        }
    }
}

/// Claude Code's own tools and the kind of action each is. Older and newer builds differ;
/// both sets are here.
pub fn claude_code_kind(tool: &str) -> Kind {
    match tool {
        "Bash" => Kind::Shell,
        "Write" | "Edit" | "MultiEdit" | "NotebookEdit" => Kind::FileWrite,
        "Read" | "Glob" | "Grep" | "LS" | "NotebookRead" => Kind::FileRead,
        "WebFetch" | "WebSearch" => Kind::Http,
        "computer" => Kind::Gui,
        // Anthropic's text-editor tool: `view` reads, every other command writes.
        "str_replace_based_edit_tool" | "str_replace_editor" | "text_editor" => Kind::FileWrite,
        t if t.starts_with("mcp__") => Kind::Mcp,
        t if t.starts_with("computer_") => Kind::Gui,
        _ => Kind::Other,
    }
}

fn is_text_editor(tool: &str) -> bool {
    matches!(
        tool,
        "str_replace_based_edit_tool" | "str_replace_editor" | "text_editor"
    )
}

/// The input fields without which a Claude Code tool call means nothing: a `Bash` call with
/// no `command` is malformed, and malformed input is denied at once, never held for a person.
fn required_fields(tool: &str, input: &Value) -> Result<(), AdaptError> {
    let fields: &[&'static str] = match tool {
        "Bash" => &["command"],
        "Read" | "Write" | "Edit" | "MultiEdit" => &["file_path"],
        "NotebookEdit" => &["notebook_path"],
        "Grep" | "Glob" => &["pattern"],
        "WebFetch" => &["url"],
        "WebSearch" => &["query"],
        _ => &[],
    };
    match fields
        .iter()
        .find(|f| !input.get(**f).is_some_and(Value::is_string))
    {
        Some(field) => Err(AdaptError::MissingField {
            tool: tool.chars().take(64).collect(),
            field,
        }),
        None => Ok(()),
    }
}

/// Splits `mcp__server__tool`. Server names may contain single underscores; the tool is
/// everything after the second `__`.
pub fn split_mcp_name(tool: &str) -> Option<(&str, &str)> {
    let rest = tool.strip_prefix("mcp__")?;
    let (server, name) = rest.split_once("__")?;
    (!server.is_empty() && !name.is_empty()).then_some((server, name))
}

fn opt_string(obj: &Map<String, Value>, key: &'static str) -> Result<Option<String>, AdaptError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(AdaptError::NotString(key)),
    }
}

/// Reads one input line: a canonical action or Claude Code hook input (recognised by
/// `tool_name`).
pub fn from_json_line(line: &str) -> Result<Adapted, AdaptError> {
    if line.len() > assent_core::action::MAX_ACTION_BYTES * 2 {
        return Err(ActionError::TooLarge(line.len()).into());
    }
    let v = parse_strict(line)?;
    from_value(v)
}

pub fn from_value(v: Value) -> Result<Adapted, AdaptError> {
    let Value::Object(obj) = v else {
        return Err(AdaptError::NotObject);
    };
    let hook_shape = obj.contains_key("tool_name") || obj.contains_key("hook_event_name");
    let canonical_shape = ["tool", "kind", "input"]
        .iter()
        .any(|k| obj.contains_key(*k));
    if hook_shape && canonical_shape {
        // One input, two readings: whoever reads the other shape would run something else.
        return Err(AdaptError::Ambiguous);
    }
    if hook_shape {
        claude_code(obj)
    } else {
        canonical(obj)
    }
}

/// A canonical action; `kind` is inferred from the tool when absent.
fn canonical(mut obj: Map<String, Value>) -> Result<Adapted, AdaptError> {
    if !obj.contains_key("kind") {
        let tool = obj
            .get("tool")
            .and_then(Value::as_str)
            .ok_or(AdaptError::Action(ActionError::BadTool))?;
        obj.insert(
            "kind".into(),
            Value::String(claude_code_kind(tool).as_str().into()),
        );
    }
    let action: Action = serde_json::from_value(Value::Object(obj))
        .map_err(|e| AdaptError::Action(ActionError::Invalid(e.to_string())))?;
    let mut action = action;
    // A tool this crate knows is the kind it is: `Bash` labelled `file.read`, or `Read`
    // labelled `file.delete`, is an input nobody should act on.
    let known = claude_code_kind(&action.tool);
    if known != Kind::Other
        && known != action.kind
        && !(known == Kind::FileWrite
            && action.kind == Kind::FileRead
            && is_text_editor(&action.tool))
    {
        return Err(AdaptError::KindMismatch {
            tool: action.tool.clone(),
            given: action.kind.as_str().into(),
            known: known.as_str().into(),
        });
    }
    // An MCP action named mcp__server__tool carries server and tool as input fields.
    if action.kind == Kind::Mcp && action.input.get("server").is_none() {
        if let Some((server, tool)) = split_mcp_name(&action.tool) {
            action.input =
                serde_json::json!({"server": server, "tool": tool, "arguments": action.input});
        }
    }
    required_fields(&action.tool, &action.input)?;
    action.validate()?;
    Ok(Adapted {
        action,
        subagent: None,
        hook_event: None,
        permission_mode: None,
    })
}

/// Claude Code PreToolUse hook input.
pub fn claude_code(obj: Map<String, Value>) -> Result<Adapted, AdaptError> {
    let tool = match obj.get("tool_name") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(AdaptError::NoToolName),
    };
    // Claude Code always sends `tool_input`; input without it is not a tool call anyone
    // could run, so it is refused at once rather than held for a person.
    let input = match obj.get("tool_input") {
        Some(Value::Object(o)) => Value::Object(o.clone()),
        _ => return Err(AdaptError::BadToolInput),
    };
    required_fields(&tool, &input)?;
    let mut kind = claude_code_kind(&tool);
    if is_text_editor(&tool) && input.get("command").and_then(Value::as_str) == Some("view") {
        kind = Kind::FileRead;
    }
    let input = match kind {
        Kind::Mcp => match split_mcp_name(&tool) {
            Some((server, name)) => {
                serde_json::json!({"server": server, "tool": name, "arguments": input})
            }
            None => serde_json::json!({"server": "", "tool": tool, "arguments": input}),
        },
        _ => input,
    };
    let action = Action {
        tool,
        kind,
        input,
        cwd: opt_string(&obj, "cwd")?,
        session: opt_string(&obj, "session_id")?,
        summary: None,
    };
    action.validate()?;
    let subagent = opt_string(&obj, "agent_id")?.filter(|s| !s.is_empty());
    Ok(Adapted {
        action,
        subagent,
        hook_event: opt_string(&obj, "hook_event_name")?,
        permission_mode: opt_string(&obj, "permission_mode")?,
    })
}

/// MCP `tools/call` parameters (`name`, `arguments`) for a named server.
pub fn mcp_tools_call(
    server: &str,
    params: &Value,
    cwd: Option<String>,
    session: Option<String>,
) -> Result<Action, AdaptError> {
    let name = params
        .get("name")
        .and_then(Value::as_str)
        .ok_or(AdaptError::NotString("name"))?;
    let arguments = match params.get("arguments") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => return Err(AdaptError::BadToolInput),
    };
    let action = Action {
        tool: format!("mcp__{server}__{name}"),
        kind: Kind::Mcp,
        input: serde_json::json!({"server": server, "tool": name, "arguments": arguments}),
        cwd,
        session,
        summary: None,
    };
    action.validate()?;
    Ok(action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_hook_input_is_refused() {
        for line in [
            r#"{"tool_name":"Bash"}"#,
            r#"{"tool_name":"Bash","tool_input":null}"#,
            r#"{"tool_name":"Bash","tool_input":{}}"#,
            r#"{"tool_name":"Bash","tool_input":{"command":["ls"]}}"#,
            r#"{"tool_name":"Bash","tool_input":"ls"}"#,
            r#"{"tool_name":"","tool_input":{"command":"ls"}}"#,
            r#"{"tool_name":"Read","tool_input":{"path":"/etc/passwd"}}"#,
            r#"{"tool_name":"Grep","tool_input":{"path":"."}}"#,
            r#"{"tool":"Bash","input":{"cmd":"ls"}}"#,
        ] {
            assert!(from_json_line(line).is_err(), "accepted {line}");
        }
        // The well-formed neighbours still adapt.
        for line in [
            r#"{"tool_name":"Bash","tool_input":{"command":"ls"}}"#,
            r#"{"tool_name":"Read","tool_input":{"file_path":"/p/a"}}"#,
            r#"{"tool_name":"TodoWrite","tool_input":{}}"#,
            r#"{"tool":"Bash","input":{"command":"ls"}}"#,
        ] {
            assert!(from_json_line(line).is_ok(), "refused {line}");
        }
    }

    #[test]
    fn hook_input_becomes_canonical() {
        let a = from_json_line(r#"{"tool_name":"Bash","tool_input":{"command":"ls"},"cwd":"/p","session_id":"s","hook_event_name":"PreToolUse","agent_id":"sub1"}"#).expect("adapts");
        assert_eq!(a.action.kind, Kind::Shell);
        assert_eq!(a.action.cwd.as_deref(), Some("/p"));
        assert_eq!(a.subagent.as_deref(), Some("sub1"));
        let m = from_json_line(
            r#"{"tool_name":"mcp__git_hub__create_issue","tool_input":{"title":"x"}}"#,
        )
        .expect("adapts");
        assert_eq!(m.action.kind, Kind::Mcp);
        assert_eq!(m.action.input["server"], "git_hub");
        assert_eq!(m.action.input["tool"], "create_issue");
        assert_eq!(
            from_json_line(r#"{"tool_name":"Frobnicate","tool_input":{}}"#)
                .expect("adapts")
                .action
                .kind,
            Kind::Other
        );
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(from_json_line("not json").is_err());
        assert!(from_json_line("[]").is_err());
        assert!(from_json_line(r#"{"tool_name":5}"#).is_err());
        assert!(from_json_line(r#"{"tool_name":"Bash","tool_input":"ls"}"#).is_err());
        assert!(from_json_line(r#"{"tool_name":"Bash","tool_input":{},"cwd":7}"#).is_err());
        assert!(from_json_line(r#"{"tool":"Bash","kind":"teleport","input":{}}"#).is_err());
    }

    #[test]
    fn mcp_tools_call_and_lying_kinds() {
        let a = mcp_tools_call("filesystem", &serde_json::json!({"name": "write_file", "arguments": {"path": "/p/x", "content": "y"}}), Some("/p".into()), None).expect("adapts");
        assert_eq!(a.kind, Kind::Mcp);
        assert_eq!(a.tool, "mcp__filesystem__write_file");
        assert_eq!(a.input["arguments"]["path"], "/p/x");
        assert!(mcp_tools_call("fs", &serde_json::json!({"arguments": {}}), None, None).is_err());
        assert!(mcp_tools_call(
            "fs",
            &serde_json::json!({"name": "x", "arguments": [1]}),
            None,
            None
        )
        .is_err());
        // A known tool labelled as another kind is refused, not reinterpreted.
        assert!(from_json_line(
            r#"{"tool":"Bash","kind":"file.read","input":{"command":"rm -rf /"}}"#
        )
        .is_err());
        assert!(from_json_line(
            r#"{"tool":"Read","kind":"file.delete","input":{"file_path":"/p/a"}}"#
        )
        .is_err());
        // Duplicate keys and mixed shapes are refused.
        assert!(matches!(
            from_json_line(r#"{"tool_name":"Write","tool_input":{},"tool_name":"TodoWrite"}"#),
            Err(AdaptError::DuplicateKey(_))
        ));
        assert!(from_json_line(
            r#"{"tool_name":"Read","tool_input":{"file_path":"/p/.env","file_path":"/p/a"}}"#
        )
        .is_err());
        assert!(matches!(
            from_json_line(
                r#"{"tool_name":"Read","tool_input":{},"tool":"Bash","kind":"shell","input":{"command":"x"}}"#
            ),
            Err(AdaptError::Ambiguous)
        ));
        let view = from_json_line(r#"{"tool_name":"str_replace_based_edit_tool","tool_input":{"command":"view","path":"/p/a"}}"#).expect("adapts");
        assert_eq!(view.action.kind, Kind::FileRead);
        let gui = from_json_line(
            r#"{"tool_name":"computer","tool_input":{"action":"type","text":"rm -rf ~\n"}}"#,
        )
        .expect("adapts");
        assert_eq!(gui.action.kind, Kind::Gui);
    }

    #[test]
    fn canonical_kind_is_inferred_when_absent() {
        let a = from_json_line(r#"{"tool":"Write","input":{"file_path":"/p/x"}}"#).expect("adapts");
        assert_eq!(a.action.kind, Kind::FileWrite);
    }
}
