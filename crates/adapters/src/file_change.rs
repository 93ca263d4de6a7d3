//! What a file-writing tool call would do to a file, read from each tool's own input shape.
//!
//! The gateway shows file writes and edits as a diff against the file as it was when the
//! request was made; it needs the path, and either the whole new content or the text
//! replacements, without knowing any client's field names (those live here only).

use assent_core::{Action, Kind};
use serde_json::Value;

/// One text replacement, applied in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub old: String,
    pub new: String,
    /// Every occurrence, not only the first.
    pub all: bool,
}

/// The change a tool call makes to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    /// The file's whole content becomes `content` (created if missing).
    Write { path: String, content: String },
    /// The replacements are applied to the file's current content, in order.
    Edit {
        path: String,
        replacements: Vec<Replacement>,
    },
    /// A change that cannot be computed against the file's text (a notebook cell): shown as
    /// the new text alone.
    Opaque { path: String, new_text: String },
}

impl FileChange {
    pub fn path(&self) -> &str {
        match self {
            FileChange::Write { path, .. }
            | FileChange::Edit { path, .. }
            | FileChange::Opaque { path, .. } => path,
        }
    }
}

/// The file a file tool (read, write or delete) names, whichever field name the tool uses.
pub fn target_path(action: &Action) -> Option<&str> {
    ["file_path", "path", "notebook_path"]
        .iter()
        .filter_map(|k| text(&action.input, k))
        .find(|p| !p.is_empty())
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn replacement(v: &Value, old_key: &str, new_key: &str) -> Option<Replacement> {
    Some(Replacement {
        old: text(v, old_key)?.to_string(),
        new: text(v, new_key)?.to_string(),
        all: v.get("replace_all").and_then(Value::as_bool) == Some(true),
    })
}

/// The file change an action makes, when it is a write or edit of one file whose shape is
/// known. Anything else (a shell command that writes, a malformed input) is `None`: the
/// caller shows the action itself, never a guessed diff.
pub fn file_change(action: &Action) -> Option<FileChange> {
    let input = &action.input;
    match action.kind {
        Kind::FileWrite => from_tool(action.tool.as_str(), input),
        Kind::Mcp => {
            let args = input.get("arguments")?;
            match text(input, "tool")? {
                "write_file" => Some(FileChange::Write {
                    path: text(args, "path")?.to_string(),
                    content: text(args, "content")?.to_string(),
                }),
                "edit_file" => Some(FileChange::Edit {
                    path: text(args, "path")?.to_string(),
                    replacements: args
                        .get("edits")?
                        .as_array()?
                        .iter()
                        .map(|e| replacement(e, "oldText", "newText"))
                        .collect::<Option<Vec<_>>>()?,
                }),
                _ => None,
            }
        }
        _ => None,
    }
}

fn from_tool(tool: &str, input: &Value) -> Option<FileChange> {
    match tool {
        "Edit" => Some(FileChange::Edit {
            path: text(input, "file_path")?.to_string(),
            replacements: vec![replacement(input, "old_string", "new_string")?],
        }),
        "MultiEdit" => Some(FileChange::Edit {
            path: text(input, "file_path")?.to_string(),
            replacements: input
                .get("edits")?
                .as_array()?
                .iter()
                .map(|e| replacement(e, "old_string", "new_string"))
                .collect::<Option<Vec<_>>>()?,
        }),
        "NotebookEdit" => Some(FileChange::Opaque {
            path: text(input, "notebook_path")?.to_string(),
            new_text: text(input, "new_source").unwrap_or("").to_string(),
        }),
        // Anthropic's text editor tool: `create` writes, `str_replace` edits.
        "str_replace_based_edit_tool" | "str_replace_editor" | "text_editor" => {
            match text(input, "command")? {
                "create" => Some(FileChange::Write {
                    path: text(input, "path")?.to_string(),
                    content: text(input, "file_text")?.to_string(),
                }),
                "str_replace" => Some(FileChange::Edit {
                    path: text(input, "path")?.to_string(),
                    replacements: vec![replacement(input, "old_str", "new_str")?],
                }),
                _ => None,
            }
        }
        // Claude Code's Write, and the canonical shape any caller may use.
        _ => {
            let path = text(input, "file_path").or_else(|| text(input, "path"))?;
            Some(FileChange::Write {
                path: path.to_string(),
                content: text(input, "content")?.to_string(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn action(tool: &str, kind: Kind, input: Value) -> Action {
        Action {
            tool: tool.into(),
            kind,
            input,
            cwd: None,
            session: None,
            summary: None,
        }
    }

    #[test]
    fn each_tool_shape_is_read() {
        let w = action(
            "Write",
            Kind::FileWrite,
            json!({"file_path": "/p/a", "content": "x"}),
        );
        assert_eq!(
            file_change(&w),
            Some(FileChange::Write {
                path: "/p/a".into(),
                content: "x".into()
            })
        );
        let e = action(
            "Edit",
            Kind::FileWrite,
            json!({"file_path": "/p/a", "old_string": "a", "new_string": "b", "replace_all": true}),
        );
        let Some(FileChange::Edit { replacements, .. }) = file_change(&e) else {
            panic!("an Edit is an edit")
        };
        assert_eq!(
            replacements,
            vec![Replacement {
                old: "a".into(),
                new: "b".into(),
                all: true
            }]
        );
        let m = action(
            "MultiEdit",
            Kind::FileWrite,
            json!({"file_path": "/p/a", "edits": [{"old_string": "a", "new_string": "b"}, {"old_string": "c", "new_string": "d"}]}),
        );
        let Some(FileChange::Edit { replacements, .. }) = file_change(&m) else {
            panic!("a MultiEdit is an edit")
        };
        assert_eq!(replacements.len(), 2);
        let mcp = action(
            "mcp__fs__edit_file",
            Kind::Mcp,
            json!({"server": "fs", "tool": "edit_file", "arguments": {"path": "/p/a", "edits": [{"oldText": "a", "newText": "b"}]}}),
        );
        assert!(matches!(file_change(&mcp), Some(FileChange::Edit { .. })));
    }

    #[test]
    fn malformed_or_other_kinds_have_no_change() {
        // One malformed edit makes the whole change unknown, never a partial diff.
        let m = action(
            "MultiEdit",
            Kind::FileWrite,
            json!({"file_path": "/p/a", "edits": [{"old_string": "a", "new_string": "b"}, {"old_string": 1}]}),
        );
        assert_eq!(file_change(&m), None);
        let sh = action("Bash", Kind::Shell, json!({"command": "echo > a"}));
        assert_eq!(file_change(&sh), None);
        let r = action("Read", Kind::FileRead, json!({"file_path": "/p/a"}));
        assert_eq!(file_change(&r), None);
    }
}
