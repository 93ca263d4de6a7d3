//! From a command line read against a program's grammar to facts: what each option value
//! and operand does, under the generic rules every table shares.

use super::super::words::Arg;
use super::super::{Stdin, Walker};
use super::grammar::{self, Operands, Program, Value};

/// One call of an allowlisted program, as its per-program check sees it.
pub struct Call<'a> {
    pub args: &'a [Arg],
    pub parsed: grammar::Parsed,
    /// Operands that are files (the pattern operand removed).
    pub files: Vec<Arg>,
    /// Directory operands are walked recursively.
    pub recursive: bool,
    /// The recursive walk skips hidden files (ripgrep without `--hidden`).
    pub skip_hidden: bool,
    /// The recursive walk reads only files whose name matches this glob.
    pub only: Option<String>,
    /// Nothing seen so far takes the call off the read-only path.
    pub read_only: bool,
    pub stdin: &'a Stdin,
}

impl Walker<'_> {
    /// Judges an allowlisted program's call against its grammar. Anything the grammar does
    /// not know, or marks as not read-only, also has every argument checked as for an
    /// unknown program (so that writes to guard paths and secret reads still hard-deny).
    pub(in crate::shell) fn judge(
        &mut self,
        name: &str,
        program: &Program,
        args: &[Arg],
        stdin: &Stdin,
    ) {
        let parsed = match grammar::parse(program, args) {
            Ok(p) => p,
            Err(e) => {
                self.not_read_only();
                if matches!(e, grammar::ParseError::Dynamic) {
                    self.facts.dynamic = true;
                }
                self.unknown_args(args, name);
                return;
            }
        };
        if args.iter().any(|a| {
            a.lit
                .as_deref()
                .is_some_and(|l| l.chars().any(|c| c.is_control() && c != '\n' && c != '\t'))
        }) {
            // `stat -f $'\e[2J'` (BSD: a format), file names printed back: a control
            // character in any word can reach the terminal.
            self.facts.hidden_text = true;
            self.not_read_only();
        }
        let mut call = Call {
            args,
            files: Vec::new(),
            recursive: false,
            skip_hidden: false,
            only: None,
            read_only: true,
            stdin,
            parsed,
        };
        let mut pattern_given = false;
        let used = call.parsed.used.clone();
        for u in &used {
            let v = u.value.as_ref();
            match u.opt.value {
                Value::Plain | Value::Glob => {
                    if let Some(v) = v {
                        self.mention(v);
                    }
                }
                Value::Pattern => {
                    pattern_given = true;
                    if let Some(v) = v {
                        self.mention(v);
                    }
                }
                Value::Enum(words) => {
                    if let Some(v) = v {
                        if !v.lit.as_deref().is_some_and(|l| grammar::enum_ok(words, l)) {
                            call.read_only = false;
                        }
                    }
                }
                Value::FileRead => {
                    if let Some(v) = v {
                        self.read_path(v, true);
                    }
                }
                Value::PatternFile => {
                    pattern_given = true;
                    if let Some(v) = v {
                        self.read_path(v, true);
                    }
                }
                Value::PathMeta => {
                    if let Some(v) = v {
                        self.read_path(v, false);
                    }
                }
                Value::Format => {
                    if let Some(v) = v {
                        self.mention(v);
                        match v.lit.as_deref() {
                            Some(l) if grammar::format_safe(l) => {}
                            Some(_) => {
                                // `stat --printf '\033]52;…'` makes escape bytes at run time.
                                call.read_only = false;
                                self.facts.hidden_text = true;
                            }
                            None => call.read_only = false,
                        }
                    }
                }
                Value::Recurse => call.recursive = true,
                Value::Forbidden(_) => call.read_only = false,
                Value::FileWrite => {
                    call.read_only = false;
                    if let Some(v) = v {
                        self.write_path(v, false);
                    }
                }
            }
        }
        let operands = call.parsed.operands.clone();
        for a in &operands {
            if a.glob && program.max_operands.is_some() {
                // A glob is any number of operands: `uniq .claude/settings*.json` has a
                // second, written, operand when two files match.
                call.read_only = false;
            }
            if self.glob_may_be_option(a) {
                // `sed -n 1p *.txt` beside a file named `--expression=1e sh x.txt`.
                call.read_only = false;
                self.facts
                    .not_understood("a glob matches a file whose name is an option");
            }
        }
        if program.max_operands.is_some_and(|max| operands.len() > max) {
            call.read_only = false;
        }
        let content = matches!(
            program.operands,
            Operands::Content | Operands::PatternThenContent
        );
        call.files = match program.operands {
            Operands::Text => {
                self.text_operands(name, &operands);
                Vec::new()
            }
            Operands::PatternThenContent | Operands::PatternThenNames if !pattern_given => {
                if let Some(p) = operands.first() {
                    self.mention(p);
                }
                operands.iter().skip(1).cloned().collect()
            }
            _ => operands.clone(),
        };
        if let Some(check) = program.check {
            check(self, &mut call);
        }
        if call.recursive {
            let roots: Vec<&Arg> = call.files.iter().collect();
            self.recursive_read_only(&roots, call.skip_hidden, call.only.as_deref());
        }
        for f in &call.files {
            self.read_path(f, content);
        }
        if !call.read_only {
            self.not_read_only();
            self.unknown_args(args, name);
        }
    }

    /// A word that is not a path to the program (a pattern, a label): naming a secret is
    /// still worth knowing.
    pub(in crate::shell) fn mention(&mut self, a: &Arg) {
        let Some(l) = a.lit.as_deref() else { return };
        if l.is_empty() || l.len() > 4096 {
            return;
        }
        if (l.contains('/') || l.starts_with('.') || l.starts_with('~'))
            && self.ctx.classify(self.cfg, l).secret
        {
            self.facts.secret_mention = true;
        }
    }

    /// Operands that are text: not read, but a secret named for display, a guard path, and
    /// escape sequences that reach the terminal are still judged.
    pub(in crate::shell) fn text_operands(&mut self, name: &str, operands: &[Arg]) {
        let echo_escapes = operands.iter().any(|a| {
            a.lit
                .as_deref()
                .is_some_and(|l| l.starts_with('-') && l.contains('e'))
        });
        for a in operands {
            let Some(l) = &a.lit else {
                if name == "echo" && !echo_escapes && self.plain_unprotected_variable(a) {
                    // `echo $PATH`, `echo "${SHELL}"`: prints an ordinary variable.
                    continue;
                }
                self.facts.dynamic = true;
                self.not_read_only();
                continue;
            };
            if (l.contains('/') || l.starts_with('.') || l.starts_with('~'))
                && self.ctx.classify(self.cfg, l).secret
            {
                self.facts.secret_mention = true;
            }
            self.note_guard_mention(l);
            // Terminal control sequences in output can rewrite what a person sees
            // (`echo $'\e[2J'`, `printf '\033]52;…'`).
            let escapes = [
                "\\e", "\\033", "\\x1b", "\\x1B", "\\u001b", "\\x9b", "\\233", "\\E",
            ];
            // printf, `echo -e` and `tr` turn `\NNN`, `\xHH`, `\uHHHH`, `\e`, `\c` into bytes.
            let interprets = l.as_bytes().windows(2).any(|w| {
                w.first() == Some(&b'\\') && w.get(1).is_some_and(|c| b"01234567xuUeEc".contains(c))
            });
            if l.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
                || !assent_core::text::scan(l).is_empty()
                || (matches!(name, "printf" | "echo" | "tr")
                    && (escapes.iter().any(|e| l.contains(e)) || interprets))
            {
                self.not_read_only();
                self.facts.hidden_text = true;
            }
            if matches!(name, "test" | "[") {
                self.arithmetic_operand(a);
            }
        }
    }

    /// A word that is exactly one expansion of an ordinary, unprotected environment variable
    /// (`$PATH`, `"${SHELL}"`): upper-case name, not a special parameter, not protected.
    fn plain_unprotected_variable(&self, a: &Arg) -> bool {
        let raw = a.raw.trim_matches('"');
        let name = raw
            .strip_prefix("${")
            .and_then(|r| r.strip_suffix('}'))
            .or_else(|| raw.strip_prefix('$'));
        name.is_some_and(|n| {
            n.len() > 1
                && n.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && n.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                && !self.cfg.env.is_protected(n)
        })
    }

    /// Whether a glob operand could expand to a word starting with `-` (which the program
    /// then reads as an option). Only a first path component that starts with a wildcard
    /// can; it is matched against the names in the working directory.
    pub(in crate::shell) fn glob_may_be_option(&self, a: &Arg) -> bool {
        if !a.glob {
            return false;
        }
        let Some(l) = a.lit.as_deref() else {
            return false;
        };
        let first = l.split('/').next().unwrap_or("");
        if !first.starts_with(['*', '?', '[', '@', '+', '!']) {
            return false;
        }
        if !self.cfg.resolve_symlinks || self.ctx.cwd_unknown {
            return true;
        }
        let Ok(entries) = std::fs::read_dir(&self.ctx.cwd) else {
            return true;
        };
        let matcher = globset::GlobBuilder::new(first)
            .literal_separator(true)
            .build()
            .map(|g| g.compile_matcher());
        for (n, e) in entries.enumerate() {
            if n > 20_000 {
                return true;
            }
            let Ok(e) = e else { return true };
            let name = e.file_name();
            let name = name.to_string_lossy();
            if !name.starts_with('-') {
                continue;
            }
            match &matcher {
                Ok(m) if !first.contains(['(', '|']) => {
                    if m.is_match(name.as_ref()) {
                        return true;
                    }
                }
                // extglob or a pattern globset cannot read: any option-named file may match.
                _ => return true,
            }
        }
        false
    }
}
