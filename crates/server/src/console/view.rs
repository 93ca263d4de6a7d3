//! What the request page shows, built on the server so that escaping is the same code the
//! terminal uses (`assent_core::text`): every hidden character becomes a visible, flagged
//! `\u{…}` segment, every non-ASCII character is marked, and the page only ever puts these
//! strings in the DOM as text.
//!
//! Everything here comes from the gateway's read view of the stored request, which was
//! redacted before it was written: no secret value can reach a page through this view.

use assent_core::text;
use assent_core::Kind;
use assent_gateway::{Before, FileDiff, Op, RequestView};
use serde::Serialize;
use serde_json::{json, Value};

/// A run of text: plain, a hidden character (escaped, with what it is), or a visible
/// non-ASCII character (kept, marked with its code point).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub t: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub non_ascii: Option<String>,
}

/// Splits `s` into segments; hidden characters (control except newline and tab, invisible,
/// direction-changing) are replaced by their `\u{XXXX}` escape.
pub fn segments(s: &str) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut plain = String::new();
    let flush = |plain: &mut String, out: &mut Vec<Segment>| {
        if !plain.is_empty() {
            out.push(Segment {
                t: std::mem::take(plain),
                hidden: None,
                non_ascii: None,
            });
        }
    };
    for c in s.chars() {
        let code = format!("U+{:04X}", c as u32);
        if (c.is_control() && c != '\n' && c != '\t') || text::is_invisible(c) {
            flush(&mut plain, &mut out);
            let what = if c == '\u{1b}' {
                "escape (ANSI sequence)"
            } else if c == '\r' {
                "carriage return"
            } else if c.is_control() {
                "control character"
            } else if matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
            {
                "bidirectional control"
            } else {
                "invisible character"
            };
            out.push(Segment {
                t: format!("\\u{{{:04X}}}", c as u32),
                hidden: Some(format!("{what} {code}")),
                non_ascii: None,
            });
        } else if !c.is_ascii() {
            flush(&mut plain, &mut out);
            out.push(Segment {
                t: c.to_string(),
                hidden: None,
                non_ascii: Some(code),
            });
        } else {
            plain.push(c);
        }
    }
    flush(&mut plain, &mut out);
    out
}

#[derive(Debug, Serialize)]
pub struct DiffView {
    pub path: String,
    pub before_text: String,
    pub added: usize,
    pub removed: usize,
    pub notes: Vec<String>,
    pub hunks: Vec<HunkView>,
}

#[derive(Debug, Serialize)]
pub struct HunkView {
    pub header: String,
    pub lines: Vec<LineView>,
}

#[derive(Debug, Serialize)]
pub struct LineView {
    pub op: &'static str,
    pub segments: Vec<Segment>,
}

pub fn diff_view(d: &FileDiff) -> DiffView {
    let pos = |p: Option<usize>| p.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
    DiffView {
        path: text::escape_line(&d.path),
        before_text: match &d.before {
            Before::Existing { bytes } => {
                format!("Against the file as it was when the request was made ({bytes} bytes)")
            }
            Before::Missing => "A new file".into(),
            Before::NotRead { why } => format!(
                "The file as it was was not read ({}); the change alone is shown",
                text::escape_line(why)
            ),
        },
        added: d.added,
        removed: d.removed,
        notes: d.notes.iter().map(|n| text::escape_line(n)).collect(),
        hunks: d
            .hunks
            .iter()
            .map(|h| HunkView {
                header: format!(
                    "@@ line {} → line {} @@",
                    pos(h.old_start),
                    pos(h.new_start)
                ),
                lines: h
                    .lines
                    .iter()
                    .map(|l| LineView {
                        op: match l.op {
                            Op::Added => "added",
                            Op::Removed => "removed",
                            Op::Context => "context",
                        },
                        segments: segments(&l.text),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn escaped(items: &[String]) -> Vec<String> {
    items.iter().map(|s| text::escape_line(s)).collect()
}

/// An enum's wire name (`"pending"`, `"high"`, `"file.write"`).
fn name_of<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The request page's data, from the gateway's view of one request (built from the stored,
/// redacted body). Every string a person reads is escaped here; the action itself comes as
/// segments so the page can flag each hidden character where it stands.
pub fn request_view(r: &RequestView) -> Value {
    let action_text = match (r.action.kind, r.action.input.get("command")) {
        (Kind::Shell, Some(Value::String(c))) => c.clone(),
        _ => serde_json::to_string_pretty(&r.action.input).unwrap_or_default(),
    };
    let answers: Vec<Value> = r
        .answers
        .iter()
        .map(|a| {
            json!({
                "at": text::escape_line(&a.at),
                "step": text::escape_line(&a.step),
                "by": text::escape_line(&a.by),
                "reason": a.reason.as_deref().map(text::escape_line),
            })
        })
        .collect();
    let opt = |s: &Option<String>| s.as_deref().map(text::escape_line).unwrap_or_default();
    json!({
        "id": r.id,
        "state": name_of(&r.state),
        "principal": text::escape_line(&r.principal),
        "chain": escaped(&r.chain),
        "session": text::escape_line(&r.session),
        "created_ms": r.created_ms,
        "deadline_ms": r.deadline_ms,
        "tool": text::escape_line(&r.action.tool),
        "kind": name_of(&r.action.kind),
        "cwd": opt(&r.action.cwd),
        "summary": text::escape_line(&r.summary),
        "caller_summary": opt(&r.action.summary),
        "action": segments(&action_text),
        "hidden_notes": escaped(&r.facts.hidden_notes),
        "explanation": r.explanation,
        "diff": r.diff.as_ref().map(diff_view),
        "rules": escaped(&r.decision.rules),
        "severity": name_of(&r.decision.severity),
        "reason": text::escape_line(&r.decision.reason),
        "requirement": {
            "approvers": escaped(&r.requirement.approvers),
            "quorum": r.requirement.quorum,
            "mode": name_of(&r.requirement.mode),
            "timeout_s": r.requirement.timeout_s,
            "on_timeout": name_of(&r.requirement.on_timeout),
        },
        "approvals": escaped(&r.approvals),
        "answers": answers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_escaped_and_flagged() {
        let segs = segments("ls \u{202e}txt.exe\u{1b}[2K");
        let hidden: Vec<&Segment> = segs.iter().filter(|s| s.hidden.is_some()).collect();
        assert_eq!(hidden.len(), 2);
        assert_eq!(hidden[0].t, "\\u{202E}");
        assert!(hidden[0]
            .hidden
            .as_deref()
            .is_some_and(|h| h.contains("bidirectional")));
        // Nothing hidden survives as itself.
        let joined: String = segs.iter().map(|s| s.t.as_str()).collect();
        assert!(!joined.contains('\u{202e}') && !joined.contains('\u{1b}'));
        assert!(joined.starts_with("ls \\u{202E}txt.exe\\u{001B}[2K"));
    }

    #[test]
    fn look_alikes_are_marked() {
        let segs = segments("сurl x");
        assert_eq!(segs[0].non_ascii.as_deref(), Some("U+0441"));
        assert_eq!(segs[1].t, "url x");
    }
}
