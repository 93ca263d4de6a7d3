//! The one-line rendering of an action that people and the audit log see.

use assent_core::text;
use assent_core::{Action, Kind};
use serde_json::Value;

/// Longest summary kept in an audit event; longer ones say how much was cut.
const SUMMARY_MAX: usize = 2000;

/// A one-line, honest rendering of what an action does, for people and the audit log.
pub fn summarize(action: &Action) -> String {
    let input = &action.input;
    let s = |k: &str| input.get(k).and_then(Value::as_str).unwrap_or("");
    let raw = match action.kind {
        Kind::Shell => s("command").to_string(),
        Kind::FileWrite | Kind::FileDelete | Kind::FileRead => {
            let path = assent_adapters::target_path(action).unwrap_or("");
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
