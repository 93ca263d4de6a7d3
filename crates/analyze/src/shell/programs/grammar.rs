//! The grammar engine: a program's option table (data, in one small file per program or
//! family) and the GNU `getopt_long` rules that read a command line against it.
//!
//! Rules, as `getopt_long` applies them (POSIXLY_CORRECT is not assumed, so options may
//! follow operands):
//! - `-abc` is a cluster of short options; a short option with a required value takes the
//!   rest of the cluster (`-w8`) or, when the cluster ends, the next word; one with an
//!   optional value takes only the rest of the cluster (`-w8`, never `-w 8`).
//! - `--name=value`, and `--name value` for a required value only; `--name` may be any
//!   prefix that picks out one entry of the FULL table (dangerous options included).
//! - `--` ends options; a lone `-` is an operand.
//!
//! Anything the table does not know — an unknown or ambiguous option, a value given to an
//! option that takes none, a missing value — is a parse error: the call is not read-only.

use super::super::words::Arg;

/// How an option takes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    /// No value (`-l`, `--all`).
    None,
    /// A value, attached or in the next word (`-n 5`, `-n5`, `--lines=5`, `--lines 5`).
    Required,
    /// A value attached only (`--color[=WHEN]`, `-w[N]`): the next word is never it.
    Optional,
    /// Two values in the next two words (`jq --arg NAME VALUE`); the second is judged.
    Two,
}

/// What an option's value is, or what the option does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// A harmless value (a number, a width, a separator, free text) or no value at all.
    Plain,
    /// The search pattern: the first operand is then not the pattern (`grep -e`).
    Pattern,
    /// A filter pattern (a glob or regex choosing files or lines), not the search pattern.
    Glob,
    /// One of these words, or an unambiguous prefix of one (GNU `argmatch`).
    Enum(&'static [&'static str]),
    /// A file whose content is read.
    FileRead,
    /// A file of patterns that is read (`grep -f`): also gives the pattern.
    PatternFile,
    /// A path only examined (`date -r`, `realpath --relative-to`).
    PathMeta,
    /// A format whose backslash escapes can make control bytes at run time (`stat --printf`).
    Format,
    /// Turns the walk of directory operands recursive (`grep -r`).
    Recurse,
    /// Not read-only: the option writes, runs a program, pages, follows links out of the
    /// workspace, never ends, or reads a list of further file names.
    Forbidden(&'static str),
    /// Not read-only: the value is a file that is written.
    FileWrite,
}

/// One option: all its spellings (`-A`, `--show-all`) share one entry, so that abbreviating
/// either of two aliases is not ambiguous.
#[derive(Debug, Clone, Copy)]
pub struct Opt {
    pub names: &'static [&'static str],
    pub arity: Arity,
    pub value: Value,
}

/// What a program's operands are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operands {
    /// Not paths (`echo`, `seq`, `basename`).
    Text,
    /// Files whose content is read.
    Content,
    /// Files listed or examined without reading their content.
    Metadata,
    /// The first is the pattern (unless an option gave one); the rest are files read.
    PatternThenContent,
    /// The first is the pattern; the rest are directories whose names are listed (`fd`).
    PatternThenNames,
}

/// How a program reads its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// GNU `getopt_long`.
    Gnu,
    /// Each option is one whole word (`xxd -ps`, `-c16`): no clusters, no abbreviations.
    Words,
    /// No options at all: every word is an operand (`echo`, `test`).
    Raw,
    /// Short clusters whose value options take the NEXT word even inside a cluster, never
    /// the rest of it (`tree -Lo 2 out`: `-L 2`, `-o out`).
    NextWord,
}

/// A program's grammar.
#[derive(Debug, Clone, Copy)]
pub struct Program {
    pub names: &'static [&'static str],
    pub style: Style,
    pub options: &'static [Opt],
    pub operands: Operands,
    /// Most operands a read-only call may have (`uniq`'s second operand is its output).
    pub max_operands: Option<usize>,
    /// `-NUM` is an option (`head -20`).
    pub numeric_option: bool,
    /// Whether GNU's `--help` and `--version` are accepted.
    pub gnu_common: bool,
    /// Program-specific judgement after the generic one.
    pub check: Option<fn(&mut super::super::Walker<'_>, &mut super::judge::Call<'_>)>,
}

impl Program {
    pub const fn new(names: &'static [&'static str], operands: Operands) -> Program {
        Program {
            names,
            style: Style::Gnu,
            options: &[],
            operands,
            max_operands: None,
            numeric_option: false,
            gnu_common: true,
            check: None,
        }
    }
}

pub const fn flag(names: &'static [&'static str]) -> Opt {
    Opt {
        names,
        arity: Arity::None,
        value: Value::Plain,
    }
}
pub const fn req(names: &'static [&'static str], value: Value) -> Opt {
    Opt {
        names,
        arity: Arity::Required,
        value,
    }
}
pub const fn opt(names: &'static [&'static str], value: Value) -> Opt {
    Opt {
        names,
        arity: Arity::Optional,
        value,
    }
}
/// An option that turns recursion on (`grep -r`).
pub const fn recurse(names: &'static [&'static str]) -> Opt {
    Opt {
        names,
        arity: Arity::None,
        value: Value::Recurse,
    }
}
/// An option followed by two words (`--arg NAME VALUE`); `value` judges the second.
pub const fn two(names: &'static [&'static str], value: Value) -> Opt {
    Opt {
        names,
        arity: Arity::Two,
        value,
    }
}
/// An option that takes no value and is not read-only.
pub const fn bad(names: &'static [&'static str], why: &'static str) -> Opt {
    Opt {
        names,
        arity: Arity::None,
        value: Value::Forbidden(why),
    }
}
/// An option that takes a value and is not read-only.
pub const fn bad_req(names: &'static [&'static str], why: &'static str) -> Opt {
    Opt {
        names,
        arity: Arity::Required,
        value: Value::Forbidden(why),
    }
}

pub const GNU_COMMON: &[Opt] = &[flag(&["--help"]), flag(&["--version"])];

/// One option as used on the command line.
#[derive(Debug, Clone)]
pub struct Used {
    pub opt: Opt,
    /// The spelling as resolved (`--regexp` for `--rege`, `-e` for `-e`).
    #[allow(dead_code)] // for tests and messages
    pub name: &'static str,
    pub value: Option<Arg>,
}

/// A command line read against a grammar.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub used: Vec<Used>,
    pub operands: Vec<Arg>,
}

impl Parsed {
    /// The options used whose spellings include `name`.
    pub fn has(&self, name: &str) -> bool {
        self.used.iter().any(|u| u.opt.names.contains(&name))
    }
    /// The values given to the option spelled (among others) `name`.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Arg> + 'a {
        self.used
            .iter()
            .filter(move |u| u.opt.names.contains(&name))
            .filter_map(|u| u.value.as_ref())
    }
}

/// Why a command line does not fit the grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    Unknown(String),
    Ambiguous(String),
    MissingValue(String),
    UnexpectedValue(String),
    /// A word whose value is unknown stands where an option could be.
    Dynamic,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let esc = assent_core::text::escape_line;
        match self {
            ParseError::Unknown(o) => write!(f, "option `{}` is not known", esc(o)),
            ParseError::Ambiguous(o) => write!(f, "option `{}` is ambiguous", esc(o)),
            ParseError::MissingValue(o) => write!(f, "option `{}` needs a value", esc(o)),
            ParseError::UnexpectedValue(o) => write!(f, "option `{}` takes no value", esc(o)),
            ParseError::Dynamic => write!(f, "a word computed at run time could be an option"),
        }
    }
}

fn all_options(p: &Program) -> impl Iterator<Item = &Opt> {
    let common: &[Opt] = if p.gnu_common { GNU_COMMON } else { &[] };
    p.options.iter().chain(common.iter())
}

/// Finds a long option (given without `--`'s value) by exact name, else by unique prefix.
fn find_long(p: &Program, name: &str) -> Result<(Opt, &'static str), ParseError> {
    for o in all_options(p) {
        if let Some(n) = o.names.iter().find(|n| **n == name) {
            return Ok((*o, n));
        }
    }
    let mut found: Option<(Opt, &'static str)> = None;
    for o in all_options(p) {
        if let Some(n) = o
            .names
            .iter()
            .find(|n| n.starts_with("--") && n.starts_with(name))
        {
            match &found {
                Some((f, _)) if !std::ptr::eq(f.names, o.names) => {
                    return Err(ParseError::Ambiguous(name.to_string()))
                }
                Some(_) => {}
                None => found = Some((*o, n)),
            }
        }
    }
    found.ok_or_else(|| ParseError::Unknown(name.to_string()))
}

fn find_short(p: &Program, c: char) -> Option<(Opt, &'static str)> {
    all_options(p).find_map(|o| {
        o.names
            .iter()
            .find(|n| {
                let mut ch = n.chars();
                ch.next() == Some('-') && ch.next() == Some(c) && ch.next().is_none()
            })
            .map(|n| (*o, *n))
    })
}

/// Reads `args` against the grammar.
pub fn parse(p: &Program, args: &[Arg]) -> Result<Parsed, ParseError> {
    let mut out = Parsed::default();
    if p.style == Style::Raw {
        out.operands = args.to_vec();
        return Ok(out);
    }
    let mut i = 0;
    let mut options_done = false;
    while let Some(a) = args.get(i) {
        i += 1;
        let Some(l) = a.lit.as_deref() else {
            if options_done {
                out.operands.push(a.clone());
                continue;
            }
            // `$x` could expand to `--output=…`; only a skeleton that starts with something
            // other than `-` cannot.
            if a.skeleton.starts_with('*') || a.skeleton.starts_with('-') || a.skeleton.is_empty() {
                return Err(ParseError::Dynamic);
            }
            out.operands.push(a.clone());
            continue;
        };
        if options_done || !l.starts_with('-') || l == "-" {
            // `Words` programs (xxd) stop reading options at the first operand: a later
            // `-ps` is the output file's name.
            options_done |= p.style == Style::Words;
            out.operands.push(a.clone());
            continue;
        }
        if l == "--" {
            options_done = true;
            continue;
        }
        if let Some(body) = l.strip_prefix("--") {
            let (name, attached) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            let (o, spelled) = find_long(p, &format!("--{name}"))?;
            let value = match (o.arity, attached) {
                (Arity::Two, _) => {
                    if attached.is_some() || args.get(i + 1).is_none() {
                        return Err(ParseError::MissingValue(l.into()));
                    }
                    // The first word (a name) is judged as plain text.
                    out.used.push(Used {
                        opt: Opt {
                            value: Value::Plain,
                            ..o
                        },
                        name: spelled,
                        value: args.get(i).cloned(),
                    });
                    i += 2;
                    args.get(i - 1).cloned()
                }
                (Arity::None, Some(_)) => return Err(ParseError::UnexpectedValue(l.into())),
                (Arity::None, None) | (Arity::Optional, None) => None,
                (_, Some(v)) => Some(Arg::literal(v)),
                (Arity::Required, None) => {
                    let v = args
                        .get(i)
                        .cloned()
                        .ok_or_else(|| ParseError::MissingValue(l.into()))?;
                    i += 1;
                    Some(v)
                }
            };
            out.used.push(Used {
                opt: o,
                name: spelled,
                value,
            });
            continue;
        }
        let body = l.strip_prefix('-').unwrap_or(l);
        if p.style == Style::Words {
            out.used.push(word_option(p, l, args, &mut i)?);
            continue;
        }
        if p.numeric_option && body.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let chars = body.char_indices();
        for (k, c) in chars {
            let Some((o, spelled)) = find_short(p, c) else {
                return Err(ParseError::Unknown(format!("-{c}")));
            };
            let rest = body.get(k + c.len_utf8()..).unwrap_or("");
            let value = match o.arity {
                Arity::None => None,
                // Two-value options are long only.
                Arity::Two => return Err(ParseError::Unknown(format!("-{c}"))),
                Arity::Required | Arity::Optional if p.style == Style::NextWord => {
                    let v = args
                        .get(i)
                        .cloned()
                        .ok_or_else(|| ParseError::MissingValue(format!("-{c}")))?;
                    i += 1;
                    out.used.push(Used {
                        opt: o,
                        name: spelled,
                        value: Some(v),
                    });
                    continue;
                }
                Arity::Optional if rest.is_empty() => None,
                Arity::Optional | Arity::Required if !rest.is_empty() => Some(Arg::literal(rest)),
                _ => {
                    let v = args
                        .get(i)
                        .cloned()
                        .ok_or_else(|| ParseError::MissingValue(format!("-{c}")))?;
                    i += 1;
                    Some(v)
                }
            };
            let took_rest = (value.is_some() && !rest.is_empty()) || o.arity == Arity::Required;
            out.used.push(Used {
                opt: o,
                name: spelled,
                value,
            });
            if took_rest {
                break;
            }
        }
    }
    Ok(out)
}

/// One option word of a `Style::Words` program: the whole word, or a short name with its
/// value (digits, signs) attached.
fn word_option(p: &Program, l: &str, args: &[Arg], i: &mut usize) -> Result<Used, ParseError> {
    let exact = all_options(p).find_map(|o| o.names.iter().find(|n| **n == l).map(|n| (*o, *n)));
    if let Some((o, name)) = exact {
        if o.arity == Arity::Two {
            return Err(ParseError::Unknown(l.to_string()));
        }
        let value = if o.arity == Arity::Required {
            let v = args
                .get(*i)
                .cloned()
                .ok_or_else(|| ParseError::MissingValue(l.into()))?;
            *i += 1;
            Some(v)
        } else {
            None
        };
        return Ok(Used {
            opt: o,
            name,
            value,
        });
    }
    for o in all_options(p).filter(|o| o.arity != Arity::None) {
        for n in o.names {
            let attached = l.strip_prefix(n).filter(|v| {
                !v.is_empty()
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-')
            });
            if let Some(v) = attached {
                return Ok(Used {
                    opt: *o,
                    name: n,
                    value: Some(Arg::literal(v)),
                });
            }
        }
    }
    Err(ParseError::Unknown(l.to_string()))
}

/// Whether `v` is one of `words`, or an unambiguous-or-not prefix of one (every word in the
/// list is acceptable, so any prefix of one is).
pub fn enum_ok(words: &[&str], v: &str) -> bool {
    !v.is_empty() && words.iter().any(|w| w.starts_with(v))
}

/// Whether a format string's backslash escapes stay printable: `\n`, `\t`, `\\`, `\"` only,
/// and no control character of its own.
pub fn format_safe(v: &str) -> bool {
    let mut it = v.chars();
    while let Some(c) = it.next() {
        if c.is_control() && c != '\n' && c != '\t' {
            return false;
        }
        if c == '\\' && !matches!(it.next(), Some('n' | 't' | '\\' | '"' | '\'')) {
            return false;
        }
    }
    true
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const T: Program = Program {
        options: &[
            flag(&["-a", "--all"]),
            flag(&["--almost"]),
            req(&["-n", "--lines"], Value::Plain),
            opt(&["-w", "--width"], Value::Plain),
            opt(&["--color", "--colour"], Value::Plain),
            bad_req(&["-o", "--output"], "writes"),
        ],
        ..Program::new(&["t"], Operands::Content)
    };

    fn words(s: &str) -> Vec<Arg> {
        s.split_whitespace().map(Arg::literal).collect()
    }
    fn ops(p: &Parsed) -> Vec<String> {
        p.operands.iter().filter_map(|a| a.lit.clone()).collect()
    }

    #[test]
    fn optional_values_are_attached_only() {
        let p = parse(&T, &words("--color KEY .env")).unwrap();
        assert_eq!(ops(&p), ["KEY", ".env"]);
        let p = parse(&T, &words("-w .env")).unwrap();
        assert_eq!(ops(&p), [".env"]);
        let p = parse(&T, &words("-aw8 x")).unwrap();
        assert_eq!(p.used[1].value.as_ref().unwrap().lit.as_deref(), Some("8"));
        assert_eq!(ops(&p), ["x"]);
    }

    #[test]
    fn required_values_take_the_next_word_or_the_rest() {
        let p = parse(&T, &words("-n 5 f")).unwrap();
        assert_eq!(ops(&p), ["f"]);
        let p = parse(&T, &words("-an5 f")).unwrap();
        assert_eq!(p.used[1].value.as_ref().unwrap().lit.as_deref(), Some("5"));
        let p = parse(&T, &words("--lines -x f")).unwrap();
        assert_eq!(p.used[0].value.as_ref().unwrap().lit.as_deref(), Some("-x"));
        assert_eq!(
            parse(&T, &words("-n")).unwrap_err(),
            ParseError::MissingValue("-n".into())
        );
    }

    #[test]
    fn abbreviations_resolve_against_the_whole_table() {
        let p = parse(&T, &words("--out=x f")).unwrap();
        assert_eq!(p.used[0].name, "--output");
        assert!(matches!(p.used[0].opt.value, Value::Forbidden(_)));
        // `--al` could be `--all` or `--almost`.
        assert!(matches!(
            parse(&T, &words("--al")),
            Err(ParseError::Ambiguous(_))
        ));
        // Two spellings of one option are not ambiguous.
        assert!(parse(&T, &words("--col")).is_ok());
        assert!(matches!(
            parse(&T, &words("--nope")),
            Err(ParseError::Unknown(_))
        ));
        assert!(matches!(
            parse(&T, &words("-aZ")),
            Err(ParseError::Unknown(_))
        ));
        assert!(matches!(
            parse(&T, &words("--all=1")),
            Err(ParseError::UnexpectedValue(_))
        ));
    }

    #[test]
    fn options_follow_operands_until_double_dash() {
        let p = parse(&T, &words("f -a -- -n")).unwrap();
        assert_eq!(ops(&p), ["f", "-n"]);
        assert!(p.has("--all"));
    }

    #[test]
    fn dynamic_words_where_an_option_could_be_fail() {
        assert_eq!(
            parse(&T, &[Arg::dynamic("$x")]).unwrap_err(),
            ParseError::Dynamic
        );
        assert!(parse(&T, &[Arg::literal("--"), Arg::dynamic("$x")]).is_ok());
    }

    #[test]
    fn formats_with_control_escapes_are_not_safe() {
        assert!(format_safe("%n\\n"));
        assert!(!format_safe("\\033[2J"));
        assert!(!format_safe("\\e"));
        assert!(!format_safe("\\x1b"));
        assert!(enum_ok(&["always", "never"], "al"));
        assert!(!enum_ok(&["always", "never"], "x"));
    }
}
