//! File writes and edits as a real diff against the file as it was when the request was made.
//!
//! The file is read once, at request time, and the diff (never the whole file) is kept in the
//! request: the approver sees what the change does to the file that existed then, not to
//! whatever is on disk when they look. Texts are redacted whole before diffing (a private key
//! spans lines; a line-by-line redaction would miss it), and a secret or guard file is never
//! read at all.

use assent_adapters::{FileChange, Replacement};
use assent_core::redact::Redactor;
use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest file read for a diff; a bigger one is described, not read.
pub const MAX_BEFORE_BYTES: u64 = 512 * 1024;
/// Most diff lines kept; the rest is counted, never dropped silently.
pub const MAX_DIFF_LINES: usize = 2000;
/// Longest time spent finding the smallest diff.
const DIFF_DEADLINE: std::time::Duration = std::time::Duration::from_millis(250);
/// Unchanged lines shown around each change.
const CONTEXT: usize = 3;

/// What the file was when the request was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Before {
    /// Read: the diff is against its content.
    Existing { bytes: u64 },
    /// There was no file: everything is new.
    Missing,
    /// Not read (a secret, too large, not text, not a regular file…): the diff shows the
    /// change alone, and `why` says so.
    NotRead { why: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Context,
    Removed,
    Added,
}

impl Op {
    pub fn sign(self) -> char {
        match self {
            Op::Context => ' ',
            Op::Removed => '-',
            Op::Added => '+',
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub op: Op,
    /// The line without its line ending, redacted, not escaped (renderers escape).
    pub text: String,
}

/// A run of changes with context. Line numbers are 1-based; `None` when the file was not
/// read and the position is unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hunk {
    pub old_start: Option<usize>,
    pub new_start: Option<usize>,
    pub lines: Vec<DiffLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDiff {
    pub path: String,
    pub before: Before,
    pub hunks: Vec<Hunk>,
    pub added: usize,
    pub removed: usize,
    /// What the approver must know beyond the lines: an edit whose text is not in the file,
    /// lines left out past the limit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl FileDiff {
    /// Unified-diff text, every line escaped so that no byte of it can restyle a terminal.
    pub fn to_text(&self) -> String {
        use assent_core::text;
        let mut out = format!("file {}\n", text::escape_line(&self.path));
        match &self.before {
            Before::Existing { bytes } => {
                out.push_str(&format!(
                    "(against the file as it was when the request was made: {bytes} bytes; +{} -{})\n",
                    self.added, self.removed
                ));
            }
            Before::Missing => out.push_str("(new file)\n"),
            Before::NotRead { why } => out.push_str(&format!(
                "(the current file was not read: {}; the change alone is shown)\n",
                text::escape_line(why)
            )),
        }
        for n in &self.notes {
            out.push_str(&format!("NOTE: {}\n", text::escape_line(n)));
        }
        for h in &self.hunks {
            let pos = |p: Option<usize>| p.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
            out.push_str(&format!(
                "@@ -{} +{} @@\n",
                pos(h.old_start),
                pos(h.new_start)
            ));
            for l in &h.lines {
                out.push(l.op.sign());
                out.push_str(&text::escape_line(&l.text));
                out.push('\n');
            }
        }
        out
    }
}

impl super::Gateway {
    /// The diff of a file write or edit against the file as it is now (request time); `None`
    /// for an action that is not a write of one file.
    pub(crate) fn capture_diff(&self, ev: &crate::engine::Evaluation) -> Option<FileDiff> {
        let change = assent_adapters::file_change(&ev.action)?;
        let engine = self.engine();
        let analyzer = engine.analyzer();
        let cwd = ev.action.cwd.as_deref();
        let never = |p: &Path| {
            let c = analyzer.classify_path(&p.display().to_string(), cwd);
            c.secret || c.guard || c.hardlinked
        };
        Some(capture(&change, cwd, &self.redactor(), &never))
    }

    /// The diff kept in a stored request, or for a request recorded before diffs were kept,
    /// the change alone (the file as it was then is unknown; it is never read now).
    pub fn diff_of(&self, body: &assent_store::RequestBody) -> Option<FileDiff> {
        if let Some(d) = body
            .diff
            .as_ref()
            .and_then(|d| serde_json::from_value::<FileDiff>(d.clone()).ok())
        {
            return Some(d);
        }
        let action = &body.action;
        let change = assent_adapters::file_change(action)?;
        Some(build(
            &change,
            Err("the request was recorded before file contents were kept".into()),
            &self.redactor(),
        ))
    }
}

/// How the capture sees paths: whether one is a secret or guard file that must never be read.
pub trait PathCheck {
    fn never_read(&self, path: &Path) -> bool;
}

impl<F: Fn(&Path) -> bool> PathCheck for F {
    fn never_read(&self, path: &Path) -> bool {
        self(path)
    }
}

/// Reads the file the change applies to and diffs the change against it.
pub fn capture(
    change: &FileChange,
    cwd: Option<&str>,
    redactor: &Redactor,
    check: &dyn PathCheck,
) -> FileDiff {
    let before = read_before(change.path(), cwd, check);
    build(change, before, redactor)
}

/// The diff of a change against a known `before` (`Ok(Some(text))`: the file; `Ok(None)`:
/// no file; `Err(why)`: not read).
pub fn build(
    change: &FileChange,
    before: Result<Option<String>, String>,
    redactor: &Redactor,
) -> FileDiff {
    let path = redactor.redact(change.path());
    let mut notes = Vec::new();
    let (state, old) = match before {
        Ok(Some(text)) => (
            Before::Existing {
                bytes: text.len() as u64,
            },
            Some(text),
        ),
        Ok(None) => (Before::Missing, None),
        Err(why) => (Before::NotRead { why }, None),
    };
    let known_file = matches!(state, Before::Existing { .. } | Before::Missing);
    let pairs: Vec<(Option<String>, String)> = match change {
        FileChange::Write { content, .. } => {
            vec![(
                known_file.then(|| old.clone().unwrap_or_default()),
                content.clone(),
            )]
        }
        FileChange::Opaque { new_text, .. } => {
            notes.push("a notebook cell: only its new source is shown".into());
            vec![(Some(String::new()), new_text.clone())]
        }
        FileChange::Edit { replacements, .. } if known_file => {
            let current = old.clone().unwrap_or_default();
            let after = apply(&current, replacements, &mut notes);
            vec![(Some(current), after)]
        }
        // Unknown file: each replacement alone, old text against new.
        FileChange::Edit { replacements, .. } => replacements
            .iter()
            .map(|r| (Some(r.old.clone()), r.new.clone()))
            .collect(),
    };
    let mut hunks = Vec::new();
    let (mut added, mut removed, mut kept, mut dropped) = (0usize, 0usize, 0usize, 0usize);
    for (old_text, new_text) in pairs {
        // Redact each whole text before splitting it into lines.
        let old_text = redactor.redact(&old_text.unwrap_or_default());
        let new_text = redactor.redact(&new_text);
        // The new text is the agent's: bound the work a pathological pair can cost (past the
        // deadline the diff is coarser, never wrong).
        let diff = TextDiff::configure()
            .timeout(DIFF_DEADLINE)
            .diff_lines(&old_text, &new_text);
        for group in diff.grouped_ops(CONTEXT) {
            let mut hunk = Hunk {
                old_start: None,
                new_start: None,
                lines: Vec::new(),
            };
            if let Some(first) = group.first() {
                if known_file {
                    hunk.old_start = Some(first.old_range().start + 1);
                    hunk.new_start = Some(first.new_range().start + 1);
                }
            }
            for op in &group {
                for change in diff.iter_changes(op) {
                    let op = match change.tag() {
                        ChangeTag::Equal => Op::Context,
                        ChangeTag::Delete => {
                            removed += 1;
                            Op::Removed
                        }
                        ChangeTag::Insert => {
                            added += 1;
                            Op::Added
                        }
                    };
                    if kept >= MAX_DIFF_LINES {
                        dropped += 1;
                        continue;
                    }
                    kept += 1;
                    let line = change.value();
                    let line = line.strip_suffix('\n').unwrap_or(line);
                    let line = line.strip_suffix('\r').unwrap_or(line);
                    hunk.lines.push(DiffLine {
                        op,
                        text: line.to_string(),
                    });
                }
            }
            if !hunk.lines.is_empty() {
                hunks.push(hunk);
            }
        }
    }
    if dropped > 0 {
        notes.push(format!(
            "{dropped} more diff line(s) not shown (limit {MAX_DIFF_LINES}); the action's full text is in the request"
        ));
    }
    if hunks.is_empty() && notes.is_empty() {
        notes.push("the change leaves the file as it is".into());
    }
    FileDiff {
        path,
        before: state,
        hunks,
        added,
        removed,
        notes,
    }
}

/// Applies replacements the way the editing tools do; a replacement whose text is not in the
/// file (or is ambiguous) is left out and noted: that edit would fail.
fn apply(current: &str, replacements: &[Replacement], notes: &mut Vec<String>) -> String {
    let mut text = current.to_string();
    for (i, r) in replacements.iter().enumerate() {
        let n = i + 1;
        if r.old.is_empty() {
            if text.is_empty() {
                text = r.new.clone();
            } else {
                notes.push(format!(
                    "edit {n} has no text to replace and the file is not empty: the tool would refuse it"
                ));
            }
            continue;
        }
        let count = text.matches(r.old.as_str()).count();
        if count == 0 {
            notes.push(format!(
                "edit {n}: the text to replace is not in the file as it was when the request was made; the tool would refuse this edit"
            ));
        } else if count > 1 && !r.all {
            notes.push(format!(
                "edit {n}: the text to replace occurs {count} times; the tool would refuse an ambiguous edit (the first is shown)"
            ));
            text = text.replacen(r.old.as_str(), &r.new, 1);
        } else if r.all {
            text = text.replace(r.old.as_str(), &r.new);
        } else {
            text = text.replacen(r.old.as_str(), &r.new, 1);
        }
    }
    text
}

/// The file's text at this moment: `Ok(None)` when there is none, `Err(why)` when it is not
/// read. Never follows into a secret, never blocks on a FIFO or device, never reads more than
/// [`MAX_BEFORE_BYTES`].
fn read_before(
    raw: &str,
    cwd: Option<&str>,
    check: &dyn PathCheck,
) -> Result<Option<String>, String> {
    let path = if Path::new(raw).is_absolute() {
        PathBuf::from(raw)
    } else if let Some(cwd) = cwd {
        Path::new(cwd).join(raw)
    } else {
        return Err("a relative path without a working directory".into());
    };
    if check.never_read(&path) {
        return Err("a secret or protected file: its content is never shown".into());
    }
    let meta = match std::fs::symlink_metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot look at it: {}", e.kind())),
    };
    // Through a link, the file read is the target: judge the target too.
    if meta.file_type().is_symlink() {
        match std::fs::canonicalize(&path) {
            Ok(target) if check.never_read(&target) => {
                return Err(
                    "a link to a secret or protected file: its content is never shown".into(),
                )
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot follow the link: {}", e.kind())),
        }
    }
    let file = open_nonblocking(&path).map_err(|e| format!("cannot open it: {}", e.kind()))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot look at it: {}", e.kind()))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_BEFORE_BYTES {
        return Err(format!(
            "{} bytes, more than the {} KiB read for a diff",
            meta.len(),
            MAX_BEFORE_BYTES / 1024
        ));
    }
    let mut buf = Vec::new();
    file.take(MAX_BEFORE_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read it: {}", e.kind()))?;
    if buf.len() as u64 > MAX_BEFORE_BYTES {
        return Err("it grew past the size read for a diff".into());
    }
    if buf.contains(&0) {
        return Err("not text (binary content)".into());
    }
    String::from_utf8(buf)
        .map(Some)
        .map_err(|_| "not UTF-8 text".into())
}

/// Opening a FIFO for reading blocks until a writer comes; `O_NONBLOCK` makes it return at
/// once (and `metadata` then refuses anything but a regular file).
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never(_: &Path) -> bool {
        false
    }

    fn edit(path: &str, old: &str, new: &str) -> FileChange {
        FileChange::Edit {
            path: path.into(),
            replacements: vec![Replacement {
                old: old.into(),
                new: new.into(),
                all: false,
            }],
        }
    }

    fn lines(d: &FileDiff) -> Vec<String> {
        d.hunks
            .iter()
            .flat_map(|h| h.lines.iter())
            .map(|l| format!("{}{}", l.op.sign(), l.text))
            .collect()
    }

    #[test]
    fn an_edit_is_diffed_against_the_file_with_context() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.rs");
        let old: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&p, &old).expect("write");
        let path = p.display().to_string();
        let d = capture(
            &edit(&path, "line 10\n", "line ten\n"),
            None,
            &Redactor::default(),
            &never,
        );
        assert_eq!(
            d.before,
            Before::Existing {
                bytes: old.len() as u64
            }
        );
        // Only the changed line is removed and added, with three lines of context each side:
        // not every old line removed and every new one added.
        assert_eq!((d.added, d.removed), (1, 1));
        assert_eq!(
            lines(&d),
            vec![
                " line 7",
                " line 8",
                " line 9",
                "-line 10",
                "+line ten",
                " line 11",
                " line 12",
                " line 13"
            ]
        );
        assert_eq!(d.hunks[0].old_start, Some(7));
    }

    #[test]
    fn a_write_over_an_existing_file_shows_only_what_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "a = 1\nb = 2\nc = 3\n").expect("write");
        let w = FileChange::Write {
            path: p.display().to_string(),
            content: "a = 1\nb = 20\nc = 3\n".into(),
        };
        let d = capture(&w, None, &Redactor::default(), &never);
        assert_eq!(lines(&d), vec![" a = 1", "-b = 2", "+b = 20", " c = 3"]);
        // The diff was taken at request time: changing the file afterwards changes nothing.
        std::fs::write(&p, "something else\n").expect("write");
        assert_eq!(lines(&d), vec![" a = 1", "-b = 2", "+b = 20", " c = 3"]);
    }

    #[test]
    fn a_new_file_and_a_missing_edit_target_are_said_plainly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let w = FileChange::Write {
            path: "new.txt".into(),
            content: "x\ny\n".into(),
        };
        let cwd = dir.path().display().to_string();
        let d = capture(&w, Some(&cwd), &Redactor::default(), &never);
        assert_eq!(d.before, Before::Missing);
        assert_eq!(lines(&d), vec!["+x", "+y"]);
        let p = dir.path().join("f");
        std::fs::write(&p, "alpha\n").expect("write");
        let d = capture(
            &edit(&p.display().to_string(), "beta", "gamma"),
            None,
            &Redactor::default(),
            &never,
        );
        assert!(
            d.notes.iter().any(|n| n.contains("not in the file")),
            "{d:?}"
        );
        assert!(d.hunks.is_empty());
    }

    #[test]
    fn secrets_are_never_read_and_credentials_are_redacted_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let env = dir.path().join(".env");
        std::fs::write(&env, "TOKEN=planted-secret-value\n").expect("write");
        let is_secret = |p: &Path| p.file_name().is_some_and(|n| n == ".env");
        let d = capture(
            &edit(&env.display().to_string(), "TOKEN", "X"),
            None,
            &Redactor::default(),
            &is_secret,
        );
        assert!(matches!(d.before, Before::NotRead { .. }));
        assert!(!format!("{d:?}").contains("planted-secret-value"));
        // Through a symlink too.
        let link = dir.path().join("innocent.txt");
        std::os::unix::fs::symlink(&env, &link).expect("symlink");
        let d = capture(
            &edit(&link.display().to_string(), "TOKEN", "X"),
            None,
            &Redactor::default(),
            &is_secret,
        );
        assert!(matches!(d.before, Before::NotRead { .. }), "{d:?}");
        assert!(!format!("{d:?}").contains("planted-secret-value"));
        // A private key spread over lines is redacted as a whole before the diff splits it.
        let key = format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
            "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW".repeat(3)
        );
        let p = dir.path().join("notes.txt");
        std::fs::write(&p, "hello\n").expect("write");
        let w = FileChange::Write {
            path: p.display().to_string(),
            content: format!("hello\n{key}"),
        };
        let d = capture(&w, None, &Redactor::default(), &never);
        let all = lines(&d).join("\n");
        assert!(!all.contains("b3BlbnNzaC1rZXkt"), "{all}");
        assert!(all.contains("REDACTED"), "{all}");
    }

    #[test]
    fn fifos_devices_and_big_files_are_not_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("pipe");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(status.success());
        // Would block forever without O_NONBLOCK.
        let d = capture(
            &edit(&fifo.display().to_string(), "a", "b"),
            None,
            &Redactor::default(),
            &never,
        );
        assert!(matches!(d.before, Before::NotRead { .. }), "{d:?}");
        let d = capture(
            &edit("/dev/zero", "a", "b"),
            None,
            &Redactor::default(),
            &never,
        );
        assert!(matches!(d.before, Before::NotRead { .. }), "{d:?}");
        let big = dir.path().join("big");
        std::fs::write(&big, "x\n".repeat(400_000)).expect("write");
        let d = capture(
            &edit(&big.display().to_string(), "x", "y"),
            None,
            &Redactor::default(),
            &never,
        );
        assert!(matches!(d.before, Before::NotRead { .. }), "{d:?}");
        // Not read: the replacement alone, old text against new, positions unknown.
        assert_eq!(lines(&d), vec!["-x", "+y"]);
        assert_eq!(d.hunks[0].old_start, None);
    }

    #[test]
    fn long_diffs_say_how_much_is_left_out() {
        let w = FileChange::Write {
            path: "/nowhere/x".into(),
            content: "l\n".repeat(MAX_DIFF_LINES + 10),
        };
        let d = build(&w, Ok(None), &Redactor::default());
        assert_eq!(d.added, MAX_DIFF_LINES + 10);
        assert!(
            d.notes.iter().any(|n| n.starts_with("10 more")),
            "{:?}",
            d.notes
        );
    }
}
