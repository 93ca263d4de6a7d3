//! Words: turn a shell word into the literal string the shell would produce, when that can
//! be known without running anything, and walk every substitution hidden inside it.

use super::Walker;
use brush_parser::word::{
    Parameter, ParameterExpr, ParameterTransformOp, TildeExpr, WordPiece, WordPieceWithSource,
};

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
    /// For a glob (`glob` and `lit`): the words bash expands it to on disk now, in the
    /// form bash produces them (empty: nothing matches, bash passes `lit` as it is).
    /// `None` when not a glob or when the expansion cannot be known completely: then the
    /// glob is any number of operands, any of which may start with `-`.
    pub expansion: Option<Vec<String>>,
}

impl Arg {
    pub fn dynamic(raw: &str) -> Arg {
        Arg {
            lit: None,
            raw: raw.to_string(),
            glob: false,
            skeleton: "*".into(),
            expansion: None,
        }
    }
    pub fn literal(s: &str) -> Arg {
        Arg {
            lit: Some(s.to_string()),
            raw: s.to_string(),
            glob: false,
            skeleton: s.to_string(),
            expansion: None,
        }
    }
    pub fn is(&self, s: &str) -> bool {
        self.lit.as_deref() == Some(s)
    }
    pub fn starts_with(&self, s: &str) -> bool {
        self.lit.as_deref().is_some_and(|l| l.starts_with(s))
    }
    /// Whether the shell may turn this word into one that starts with `-` (an option to
    /// the program): a glob whose expansion is unknown or has such a word.
    #[allow(dead_code)]
    pub fn may_expand_to_option(&self) -> bool {
        self.glob
            && match &self.expansion {
                None => true,
                Some(words) => words.iter().any(|w| w.starts_with('-')),
            }
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

/// Decodes the body of `$'…'` exactly as bash does (lib/sh/strtrans.c): `\a \b \e \E \f
/// \n \r \t \v \\ \' \" \?`, `\nnn` (one to three octal digits, taken modulo 256), `\xHH`
/// (one or two hex digits), `\uHHHH`, `\UHHHHHHHH`, `\cX`; any other escape stays as it is.
/// Bash keeps the result as a C string, so a NUL (`\0`, `\x00`, `\400`, `\c@`…) ends the
/// piece: `.e$'\0'nv` is `.env`. `None` when the bytes are not UTF-8 or depend on the locale
/// (`\u` above 0x7f is UTF-8 in a UTF-8 locale and `\u00E9` text in the C locale).
pub(crate) fn ansi_c(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    // Where the first locale-dependent escape landed (it matters only before a NUL).
    let mut unsure: Option<usize> = None;
    let mut i = 0;
    let hex = |b: &[u8], i: &mut usize, max: usize| -> Option<u32> {
        let mut v: u32 = 0;
        let mut n = 0;
        while n < max {
            match b.get(*i).and_then(|c| char::from(*c).to_digit(16)) {
                Some(d) => {
                    v = v.wrapping_mul(16).wrapping_add(d);
                    *i += 1;
                    n += 1;
                }
                None => break,
            }
        }
        (n > 0).then_some(v)
    };
    while let Some(&c) = b.get(i) {
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = b.get(i) else {
            out.push(b'\\');
            continue;
        };
        i += 1;
        match e {
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'e' | b'E' => out.push(0x1b),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(0x0b),
            b'\\' | b'\'' | b'"' | b'?' => out.push(e),
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match b.get(i) {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push((v & 0xff) as u8);
            }
            b'x' => match hex(b, &mut i, 2) {
                Some(v) => out.push((v & 0xff) as u8),
                None => out.extend_from_slice(b"\\x"),
            },
            b'u' | b'U' => match hex(b, &mut i, if e == b'u' { 4 } else { 8 }) {
                Some(v) if v < 0x80 => out.push(v as u8),
                Some(_) => {
                    unsure.get_or_insert(out.len());
                    out.push(b'?');
                }
                None => {
                    out.push(b'\\');
                    out.push(e);
                }
            },
            b'c' => match b.get(i) {
                None => out.extend_from_slice(b"\\c"),
                Some(&x) => {
                    i += 1;
                    if x == b'\\' && b.get(i) == Some(&b'\\') {
                        i += 1;
                    }
                    if !x.is_ascii() {
                        unsure.get_or_insert(out.len());
                    }
                    out.push(if x == b'?' {
                        0x7f
                    } else {
                        x.to_ascii_uppercase() & 0x1f
                    });
                }
            },
            _ => {
                out.push(b'\\');
                out.push(e);
            }
        }
    }
    if let Some(nul) = out.iter().position(|&x| x == 0) {
        out.truncate(nul);
    }
    if unsure.is_some_and(|u| u < out.len()) {
        return None;
    }
    String::from_utf8(out).ok()
}

impl Walker<'_> {
    /// Analyses one shell word.
    pub(crate) fn word(&mut self, raw: &str) -> Arg {
        let options = brush_parser::ParserOptions::default();
        // brush-parser panics on some words (`~99999999999999999999/x` overflows a tilde
        // index); a word it cannot parse without panicking is not understood.
        let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            brush_parser::word::parse(raw, &options)
        }));
        match parsed {
            Ok(Ok(pieces)) => self.pieces_to_arg(&pieces, raw),
            Ok(Err(_)) | Err(_) => {
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
        let expansion = if glob && !dynamic && out.len() <= 4096 {
            self.ctx.expand_word(self.cfg, &out).and_then(|x| x.words)
        } else {
            None
        };
        Arg {
            skeleton: out.clone(),
            lit: (!dynamic).then_some(out),
            raw: raw.to_string(),
            glob,
            expansion,
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
                            || t.split_once('[')
                                .is_some_and(|(_, after)| after.contains(']') && t.len() > 1)
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
                WordPiece::AnsiCQuotedText(t) => match ansi_c(t) {
                    Some(text) => out.push_str(&text),
                    None => {
                        // Bytes that are not UTF-8, or that depend on the locale.
                        *dynamic = true;
                        out.push('*');
                    }
                },
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
                        if !self.ctx.cwd_unknown
                            && self.ctx.cwd_alts.is_empty()
                            && !self.pwd_assigned =>
                    {
                        out.push_str(&self.ctx.cwd.display().to_string())
                    }
                    _ => {
                        *dynamic = true;
                        out.push('*');
                    }
                },
                WordPiece::ParameterExpansion(e) => {
                    if let Some(value) = self.loop_value(e) {
                        self.bound_value(&value, quoted, out, dynamic, glob);
                    } else {
                        self.parameter(e, p, raw, out, dynamic);
                    }
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

    /// The value a plain `$NAME`/`${NAME}` has while a `for` body is walked for one value of
    /// its variable. `None` (the expansion is judged as any other) when NAME is not a loop
    /// variable here or its value is unknown.
    fn loop_value(&self, e: &ParameterExpr) -> Option<String> {
        let ParameterExpr::Parameter {
            parameter: Parameter::Named(name),
            indirect: false,
        } = e
        else {
            return None;
        };
        self.loop_vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.clone())
    }

    /// A loop variable's known value in a word. Unquoted, bash splits it on IFS and globs
    /// it: a value with blanks (or empty: the word may vanish) or backslashes is not
    /// followed; one with glob characters makes the word a glob, judged as one.
    fn bound_value(
        &mut self,
        value: &str,
        quoted: bool,
        out: &mut String,
        dynamic: &mut bool,
        glob: &mut bool,
    ) {
        if !quoted {
            if value.is_empty() || value.contains([' ', '\t', '\n', '\\']) {
                *dynamic = true;
                out.push('*');
                return;
            }
            if value.contains(['*', '?', '['])
                || ["+(", "@(", "!("].iter().any(|x| value.contains(x))
            {
                *glob = true;
            }
        }
        out.push_str(value);
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
        // Arithmetic inside the expansion: `${X:OFFSET:LENGTH}`, `${A[SUBSCRIPT]}`.
        if let ParameterExpr::Substring { offset, length, .. } = e {
            self.arith(&offset.value);
            if let Some(l) = length {
                self.arith(&l.value);
            }
        }
        if let Some((Parameter::NamedWithIndex { index, .. }, _, _)) = expr_parameter(e) {
            self.arith(index);
        }
        if let ParameterExpr::Transform {
            op: ParameterTransformOp::PromptExpand,
            ..
        } = e
        {
            // `${X@P}` expands the value like a prompt: `$(…)` in it runs.
            self.read_only = false;
            self.facts.inline_eval = true;
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
                        if !self.ctx.cwd_unknown
                            && self.ctx.cwd_alts.is_empty()
                            && !self.pwd_assigned =>
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
        let d = |s: &str| ansi_c(s).unwrap_or_else(|| "<none>".into());
        assert_eq!(d(r"\x72\x6d"), "rm");
        assert_eq!(d(r"\162\155"), "rm");
        assert_eq!(d(r"\u0072m"), "rm");
        assert_eq!(d(r"a\nb"), "a\nb");
        // NUL ends the piece.
        assert_eq!(d(r"\0"), "");
        assert_eq!(d(r"a\0b"), "a");
        assert_eq!(d(r"a\x00b"), "a");
        assert_eq!(d(r"a\400b"), "a");
        assert_eq!(d(r"a\c@b"), "a");
        assert_eq!(d(r"a\u0000b"), "a");
        assert_eq!(d(r"\x"), "\\x");
        assert_eq!(d(r"\c\\x"), "\u{1c}x");
        assert_eq!(ansi_c(r"\xff"), None);
        assert_eq!(ansi_c(r"\u00e9"), None);
    }

    /// Differential test against the real bash: random `$'…'` bodies, decoded by bash and
    /// by `ansi_c`, must agree byte for byte (or `ansi_c` declines bytes that are not
    /// UTF-8 or depend on the locale). Skipped where bash is not installed.
    #[test]
    fn ansi_c_matches_real_bash() {
        const FRAGMENTS: &[&str] = &[
            r"\0",
            r"\00",
            r"\000",
            r"\0000",
            r"\1",
            r"\12",
            r"\123",
            r"\1234",
            r"\400",
            r"\777",
            r"\8",
            r"\9",
            r"\x",
            r"\x0",
            r"\x00",
            r"\x4",
            r"\x41",
            r"\x7f",
            r"\xff",
            r"\xg",
            r"\u",
            r"\u0",
            r"\u41",
            r"\u0041",
            r"\u00e9",
            r"\u0000",
            r"\U",
            r"\U41",
            r"\U0001F600",
            r"\U00000000",
            r"\c",
            r"\c@",
            r"\cA",
            r"\ca",
            r"\c?",
            r"\c[",
            r"\c\\",
            r"\c\x",
            r"\a",
            r"\b",
            r"\e",
            r"\E",
            r"\f",
            r"\n",
            r"\r",
            r"\t",
            r"\v",
            r"\\",
            r"\'",
            r#"\""#,
            r"\?",
            r"\z",
            r"\ ",
            "a",
            ".",
            "/",
            "e",
            "n",
            "v",
            "0",
            "7",
            "f",
            "x",
            " ",
            "é",
            "$",
            "*",
        ];
        let Ok(probe) = std::process::Command::new("bash")
            .arg("-c")
            .arg("true")
            .output()
        else {
            return;
        };
        if !probe.status.success() {
            return;
        }
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut cases = Vec::new();
        for _ in 0..3000 {
            let n = 1 + (next() % 6) as usize;
            let body: String = (0..n)
                .map(|_| FRAGMENTS[(next() % FRAGMENTS.len() as u64) as usize])
                .collect();
            cases.push(body);
        }
        let script: String = cases
            .iter()
            .map(|c| format!("printf '%s\\0' $'{c}'\n"))
            .collect();
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(&script)
            .env("LC_ALL", "C.UTF-8")
            .output()
            .expect("bash runs");
        let got: Vec<&[u8]> = out.stdout.split(|b| *b == 0).collect();
        assert!(got.len() > cases.len(), "bash printed too few results");
        let mut declined = 0;
        for (case, bash) in cases.iter().zip(got) {
            match ansi_c(case) {
                Some(ours) => assert_eq!(ours.as_bytes(), bash, "$'{case}'"),
                None => {
                    declined += 1;
                    assert!(
                        std::str::from_utf8(bash).is_err() || bash.iter().any(|b| *b >= 0x80),
                        "$'{case}' declined but bash gives plain {bash:?}"
                    );
                }
            }
        }
        assert!(declined < cases.len() / 2, "too many declined: {declined}");
    }
}
