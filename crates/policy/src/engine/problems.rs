//! Problems found while loading a policy, located by file, line and column.

use miette::Diagnostic;
use std::fmt;

/// One problem found while loading a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)?;
        if let Some(h) = &self.help {
            write!(f, "\n  help: {h}")?;
        }
        Ok(())
    }
}

/// A policy that could not be loaded, with every problem found.
#[derive(Debug, Clone)]
pub struct PolicyError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "policy rejected ({} problem{}):",
            self.problems.len(),
            if self.problems.len() == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyError {}

pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    // The offset comes from the policy parser: clamp it to the text and to a character start.
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = text.get(..end).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count() + 1)
        .unwrap_or(1);
    (line, col)
}

pub(super) fn problems_from(
    diag: &dyn Diagnostic,
    file: &str,
    text: &str,
    fallback: String,
) -> Vec<Problem> {
    let help = diag.help().map(|h| h.to_string());
    let mut out = Vec::new();
    if let Some(related) = diag.related() {
        for r in related {
            out.extend(problems_from(r, file, text, r.to_string()));
        }
        if !out.is_empty() {
            return out;
        }
    }
    let first = diag.labels().and_then(|mut l| l.next());
    let (line, column) = match first {
        Some(label) => {
            let (l, c) = line_col(text, label.offset());
            (Some(l), Some(c))
        }
        None => (None, None),
    };
    out.push(Problem {
        file: file.to_string(),
        line,
        column,
        message: fallback,
        help,
    });
    out
}

/// Line of the rule with this `@id`, or of the n-th rule in the file.
pub(super) fn rule_line(text: &str, id: &str) -> Option<usize> {
    let needle = format!("@id(\"{id}\")");
    text.find(&needle).map(|off| line_col(text, off).0)
}
