//! Words: turn a shell word into the literal string the shell would produce, when that can
//! be known without running anything, and walk every substitution hidden inside it.

use super::Walker;
use brush_parser::word::{Parameter, ParameterExpr, TildeExpr, WordPiece, WordPieceWithSource};

/// One word after analysis. `lit` is `None` when its value depends on something unknown at
/// analysis time (a variable, a substitution, a brace expansion).
#[derive(Debug, Clone)]
pub(crate) struct Arg {
    pub lit: Option<String>,
    /// The source text, for messages.
    pub raw: String,
    /// Unquoted glob characters appear (`*`, `?`, `[…]`).
    pub glob: bool,
    /// The literal parts with `*` where the value is unknown (`/proc/$PPID/environ` →
    /// `/proc/*/environ`): what a dynamic word could at most be.
    pub skeleton: String,
}

impl Arg {
    pub fn dynamic(raw: &str) -> Arg {
        Arg {
            lit: None,
            raw: raw.to_string(),
            glob: false,
            skeleton: "*".into(),
        }
    }
    pub fn literal(s: &str) -> Arg {
        Arg {
            lit: Some(s.to_string()),
            raw: s.to_string(),
            glob: false,
            skeleton: s.to_string(),
        }
    }
    pub fn is(&self, s: &str) -> bool {
        self.lit.as_deref() == Some(s)
    }
    pub fn starts_with(&self, s: &str) -> bool {
        self.lit.as_deref().is_some_and(|l| l.starts_with(s))
    }
}

pub(crate) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Variables that only change formatting, safe as `VAR=… cmd` prefixes of read-only commands.
/// Anything else (`PATH`, `LD_PRELOAD`, `GIT_PAGER`, `LESSOPEN`, `BASH_ENV`, …) can change
/// what runs.
pub(crate) fn is_harmless_prefix_var(name: &str) -> bool {
    matches!(
        name,
        "LANG" | "LANGUAGE" | "TZ" | "NO_COLOR" | "CLICOLOR" | "COLUMNS" | "LINES" | "TERM"
    ) || name.starts_with("LC_")
}

fn param_name(p: &Parameter) -> Option<&str> {
    match p {
        Parameter::Named(n) => Some(n),
        Parameter::NamedWithIndex { name, .. } | Parameter::NamedWithAllIndices { name, .. } => {
            Some(name)
        }
        _ => None,
    }
}

fn expr_parameter(e: &ParameterExpr) -> Option<(&Parameter, bool, bool)> {
    // (parameter, indirect, assigns)
    use ParameterExpr as P;
    Some(match e {
        P::Parameter {
            parameter,
            indirect,
        } => (parameter, *indirect, false),
        P::AssignDefaultValues {
            parameter,
            indirect,
            ..
        } => (parameter, *indirect, true),
        P::UseDefaultValues {
            parameter,
            indirect,
            ..
        }
        | P::IndicateErrorIfNullOrUnset {
            parameter,
            indirect,
            ..
        }
        | P::UseAlternativeValue {
            parameter,
            indirect,
            ..
        }
        | P::ParameterLength {
            parameter,
            indirect,
        }
        | P::RemoveSmallestSuffixPattern {
            parameter,
            indirect,
            ..
        }
        | P::RemoveLargestSuffixPattern {
            parameter,
            indirect,
            ..
        }
        | P::RemoveSmallestPrefixPattern {
            parameter,
            indirect,
            ..
        }
        | P::RemoveLargestPrefixPattern {
            parameter,
            indirect,
            ..
        }
        | P::Substring {
            parameter,
            indirect,
            ..
        }
        | P::Transform {
            parameter,
            indirect,
            ..
        }
        | P::UppercaseFirstChar {
            parameter,
            indirect,
            ..
        }
        | P::UppercasePattern {
            parameter,
            indirect,
            ..
        }
        | P::LowercaseFirstChar {
            parameter,
            indirect,
            ..
        }
        | P::LowercasePattern {
            parameter,
            indirect,
            ..
        }
        | P::ReplaceSubstring {
            parameter,
            indirect,
            ..
        } => (parameter, *indirect, false),
        P::VariableNames { .. } | P::MemberKeys { .. } => return None,
    })
}

/// Decodes the body of `$'…'`.
fn ansi_c(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('a') => out.push('\u{7}'),
            Some('b') => out.push('\u{8}'),
            Some('e') | Some('E') => out.push('\u{1b}'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some('\\') => out.push('\\'),
            Some('\'') => out.push('\''),
            Some('"') => out.push('"'),
            Some('?') => out.push('?'),
            Some('c') => {
                if let Some(x) = chars.next() {
                    out.push(char::from((x as u8) & 0x1f));
                }
            }
            Some(d @ '0'..='7') => {
                let mut v = d.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(n) => {
                            v = v * 8 + n;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(v & 0xff).unwrap_or('\u{FFFD}'));
            }
            Some(k @ ('x' | 'u' | 'U')) => {
                let max = match k {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut v = 0u32;
                let mut n = 0;
                while n < max {
                    match chars.peek().and_then(|c| c.to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d;
                            chars.next();
                            n += 1;
                        }
                        None => break,
                    }
                }
                if n == 0 {
                    out.push('\\');
                    out.push(k);
                } else {
                    out.push(char::from_u32(v).unwrap_or('\u{FFFD}'));
                }
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

impl Walker<'_> {
    /// Analyses one shell word.
    pub(crate) fn word(&mut self, raw: &str) -> Arg {
        let options = brush_parser::ParserOptions::default();
        match brush_parser::word::parse(raw, &options) {
            Ok(pieces) => self.pieces_to_arg(&pieces, raw),
            Err(_) => {
                self.facts.not_understood(format!(
                    "word `{}` could not be parsed",
                    assent_core::text::escape_line(&raw.chars().take(80).collect::<String>())
                ));
                Arg::dynamic(raw)
            }
        }
    }

    pub(crate) fn pieces_to_arg(&mut self, pieces: &[WordPieceWithSource], raw: &str) -> Arg {
        let mut out = String::new();
        let mut dynamic = false;
        let mut glob = false;
        self.pieces(pieces, raw, &mut out, &mut dynamic, &mut glob, false);
        Arg {
            skeleton: out.clone(),
            lit: (!dynamic).then_some(out),
            raw: raw.to_string(),
            glob,
        }
    }

    fn pieces(
        &mut self,
        pieces: &[WordPieceWithSource],
        raw: &str,
        out: &mut String,
        dynamic: &mut bool,
        glob: &mut bool,
        quoted: bool,
    ) {
        for p in pieces {
            match &p.piece {
                WordPiece::Text(t) => {
                    if !quoted {
                        if t.contains(['*', '?'])
                            || ["+(", "@(", "!("].iter().any(|x| t.contains(x))
                            || t.find('[')
                                .is_some_and(|i| t[i..].contains(']') && t.len() > 1)
                        {
                            *glob = true;
                        }
                        // Brace expansion (`{rm,-rf,x}`, `{1..3}`) produces words we do not
                        // compute: treat the word as unknown.
                        if t.contains('{') && (t.contains(',') || t.contains("..")) {
                            *dynamic = true;
                        }
                    }
                    out.push_str(t);
                }
                WordPiece::SingleQuotedText(t) => out.push_str(t),
                WordPiece::AnsiCQuotedText(t) => out.push_str(&ansi_c(t)),
                WordPiece::DoubleQuotedSequence(inner)
                | WordPiece::GettextDoubleQuotedSequence(inner) => {
                    self.pieces(inner, raw, out, dynamic, glob, true)
                }
                WordPiece::TildeExpansion(t) => match t {
                    TildeExpr::Home => out.push_str(&self.cfg.home.display().to_string()),
                    TildeExpr::UserHome(user) => {
                        if user == "root" {
                            out.push_str("/root");
                        } else {
                            out.push_str("/home/");
                            out.push_str(user);
                        }
                    }
                    // `~+` is $PWD: known only while the shell can be in one directory.
                    TildeExpr::WorkingDir
                        if !self.ctx.cwd_unknown && self.ctx.cwd_alts.is_empty() =>
                    {
                        out.push_str(&self.ctx.cwd.display().to_string())
                    }
                    _ => {
                        *dynamic = true;
                        out.push('*');
                    }
                },
                WordPiece::ParameterExpansion(e) => {
                    self.parameter(e, p, raw, out, dynamic);
                }
                WordPiece::CommandSubstitution(s) | WordPiece::BackquotedCommandSubstitution(s) => {
                    self.facts.substitution = true;
                    self.read_only = false;
                    *dynamic = true;
                    out.push('*');
                    let s = if matches!(p.piece, WordPiece::BackquotedCommandSubstitution(_)) {
                        s.replace("\\`", "`")
                            .replace("\\\\", "\\")
                            .replace("\\$", "$")
                    } else {
                        s.clone()
                    };
                    self.script(&s);
                }
                WordPiece::EscapeSequence(s) => {
                    let body = s.strip_prefix('\\').unwrap_or(s);
                    if body != "\n" {
                        out.push_str(body);
                    }
                }
                WordPiece::ArithmeticExpression(e) => {
                    *dynamic = true;
                    out.push('*');
                    self.arith(&e.value);
                }
            }
        }
    }

    fn parameter(
        &mut self,
        e: &ParameterExpr,
        p: &WordPieceWithSource,
        raw: &str,
        out: &mut String,
        dynamic: &mut bool,
    ) {
        let source = raw.get(p.start_index..p.end_index).unwrap_or("");
        // Anything beyond a plain `$NAME` can carry words of its own (`${X:-$(rm …)}`): walk
        // the inside as a word so that substitutions in it are seen.
        if !matches!(e, ParameterExpr::Parameter { .. }) {
            if let Some(inner) = source.strip_prefix("${").and_then(|s| s.strip_suffix('}')) {
                if inner.contains(['$', '`']) {
                    self.word(&format!("\"{}\"", inner.replace('"', "\\\"")));
                }
            }
        }
        match expr_parameter(e) {
            Some((param, indirect, assigns)) => {
                let name = param_name(param);
                if let Some(n) = name {
                    if self.cfg.env.is_protected(n) {
                        self.facts.env_read.insert(n.to_string());
                    }
                    if assigns {
                        self.facts.env_change = true;
                        if self.cfg.env.is_protected(n) {
                            self.facts.env_write.insert(n.to_string());
                        }
                    }
                }
                let plain = matches!(e, ParameterExpr::Parameter { .. }) && !indirect;
                match (plain, name) {
                    (true, Some("HOME")) => out.push_str(&self.cfg.home.display().to_string()),
                    (true, Some("PWD"))
                        if !self.ctx.cwd_unknown && self.ctx.cwd_alts.is_empty() =>
                    {
                        out.push_str(&self.ctx.cwd.display().to_string())
                    }
                    _ => {
                        if indirect {
                            // `${!X}` reads a variable whose name is in X: could be any.
                            self.facts.dynamic = true;
                        }
                        *dynamic = true;
                        out.push('*');
                    }
                }
            }
            None => {
                // `${!PREFIX*}` and `${!arr[@]}` list names.
                *dynamic = true;
                out.push('*');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ansi_c;

    #[test]
    fn ansi_c_decodes_escapes() {
        assert_eq!(ansi_c(r"\x72\x6d"), "rm");
        assert_eq!(ansi_c(r"\162\155"), "rm");
        assert_eq!(ansi_c(r"\u0072m"), "rm");
        assert_eq!(ansi_c(r"a\nb"), "a\nb");
    }
}
