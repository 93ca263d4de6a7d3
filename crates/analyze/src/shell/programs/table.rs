//! The allowlist: every program with a grammar, and a listing of it for tools that test the
//! analyser against the real programs (the differential oracle, property tests).

use super::grammar::{Arity, Operands, Program, Value, GNU_COMMON};

/// Every table, one slice per file.
const TABLES: &[&[Program]] = &[
    super::awk::PROGRAMS,
    super::coreutils_text::PROGRAMS,
    super::files::PROGRAMS,
    super::grep::PROGRAMS,
    super::jq::PROGRAMS,
    super::ls::PROGRAMS,
    super::modern::PROGRAMS,
    super::sed::PROGRAMS,
    super::sysinfo::PROGRAMS,
    super::text::PROGRAMS,
];

fn all() -> impl Iterator<Item = &'static Program> {
    TABLES.iter().flat_map(|t| t.iter())
}

/// The grammar of an allowlisted program.
pub(crate) fn find(name: &str) -> Option<&'static Program> {
    TABLES
        .iter()
        .flat_map(|t| t.iter())
        .find(|p| p.names.contains(&name))
}

/// One option of an allowlisted program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionInfo {
    /// Every spelling: `-A`, `--show-all`.
    pub names: Vec<&'static str>,
    /// `none`, `required` or `optional` (attached only).
    pub arity: &'static str,
    /// `plain`, `pattern`, `enum`, `file-read`, `pattern-file`, `path-meta`, `format`,
    /// `recurse`, `forbidden`, `file-write`.
    pub value: &'static str,
    /// For `enum`: the accepted words.
    pub words: Vec<&'static str>,
}

/// One allowlisted program, as the analyser reads its command lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramInfo {
    pub names: Vec<&'static str>,
    pub options: Vec<OptionInfo>,
    /// `text`, `content`, `metadata` or `pattern-then-content`.
    pub operands: &'static str,
    pub max_operands: Option<usize>,
    /// `-NUM` is an option (`head -20`).
    pub numeric_option: bool,
}

/// The whole allowlist, for generators of program × option × operand combinations.
pub fn allowlist_catalog() -> Vec<ProgramInfo> {
    all()
        .map(|p| {
            let common: &[_] = if p.gnu_common { GNU_COMMON } else { &[] };
            ProgramInfo {
                names: p.names.to_vec(),
                options: p
                    .options
                    .iter()
                    .chain(common.iter())
                    .map(|o| OptionInfo {
                        names: o.names.to_vec(),
                        arity: match o.arity {
                            Arity::None => "none",
                            Arity::Required => "required",
                            Arity::Optional => "optional",
                            Arity::Two => "two",
                        },
                        value: match o.value {
                            Value::Plain => "plain",
                            Value::Pattern => "pattern",
                            Value::Glob => "glob",
                            Value::Enum(_) => "enum",
                            Value::FileRead => "file-read",
                            Value::PatternFile => "pattern-file",
                            Value::PathMeta => "path-meta",
                            Value::Format => "format",
                            Value::Recurse => "recurse",
                            Value::Forbidden(_) => "forbidden",
                            Value::FileWrite => "file-write",
                        },
                        words: match o.value {
                            Value::Enum(w) => w.to_vec(),
                            _ => Vec::new(),
                        },
                    })
                    .collect(),
                operands: match p.operands {
                    Operands::Text => "text",
                    Operands::Content => "content",
                    Operands::Metadata => "metadata",
                    Operands::PatternThenContent => "pattern-then-content",
                    Operands::PatternThenNames => "pattern-then-names",
                },
                max_operands: p.max_operands,
                numeric_option: p.numeric_option,
            }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{all, GNU_COMMON};

    /// A spelling listed twice would make its abbreviations ambiguous or, worse, hide one of
    /// the two meanings.
    #[test]
    fn no_program_lists_a_spelling_twice() {
        for p in all() {
            let common: &[_] = if p.gnu_common { GNU_COMMON } else { &[] };
            let mut seen = std::collections::HashSet::new();
            for o in p.options.iter().chain(common.iter()) {
                for n in o.names {
                    assert!(seen.insert(*n), "{:?} lists {n} twice", p.names);
                }
            }
        }
    }
}
