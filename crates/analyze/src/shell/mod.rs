//! The shell analyzer: parse with `brush-parser`, walk every simple command wherever it
//! hides (lists, pipelines, subshells, groups, loops, conditionals, function bodies,
//! substitutions, process substitutions, here-documents fed to shells, and the strings given
//! to `bash -c`, `eval`, `trap`, `su -c`, `watch`, `find -exec` and other wrappers), resolve
//! each program name as the shell would, and judge each command against the read-only
//! allowlist in [`programs`].
//!
//! Anything the walker cannot resolve — a program name built from an expansion, a script read
//! from a pipe, a construct it does not know — sets `parsed = false` or `dynamic = true`;
//! either keeps the action off the allow path.

mod git;
mod programs;
mod words;

pub use programs::{allowlist_catalog, OptionInfo, ProgramInfo};

use crate::config::Compiled;
use crate::paths::PathCtx;
use assent_core::Facts;
use brush_parser::ast;
use std::path::PathBuf;
use words::Arg;

/// Longest command accepted for parsing. Longer input is judged unparseable (it asks).
pub const MAX_COMMAND_BYTES: usize = 128 * 1024;
/// Deepest nesting of scripts inside scripts (`bash -c "eval '…'"`) followed.
const MAX_NESTING: usize = 12;
/// Most simple commands examined in one action.
const MAX_COMMANDS: usize = 5000;
/// Deepest bracket nesting accepted before parsing (the parser recurses on it).
const MAX_BRACKETS: usize = 100;
/// Most working directories tracked at once; beyond, the directory is unknown.
const MAX_CWDS: usize = 8;
/// Most distinct values a `for` loop's body is analysed with; beyond, the variable is unknown.
const MAX_LOOP_VALUES: usize = 64;
/// The `raw` of the word a read process substitution `<(…)` becomes (no source word can have
/// this text: unquoted it is the substitution itself), with [`PROC_SUB_PATH`] as its value.
const PROC_SUB_RAW: &str = "<(…)";
/// The path bash passes for `<(…)`: a pipe from the substituted commands.
const PROC_SUB_PATH: &str = "/dev/fd/63";

/// Every directory the shell could be in at one point of a script (likeliest first), or
/// `unknown` once it could be anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cwds {
    dirs: Vec<PathBuf>,
    unknown: bool,
}

pub(crate) fn analyze(cfg: &Compiled, ctx: &PathCtx, command: &str, facts: &mut Facts) {
    let mut w = Walker {
        cfg,
        ctx: ctx.clone(),
        facts,
        depth: 0,
        commands: 0,
        read_only: true,
        funcs: Vec::new(),
        piped_stdin: false,
        killer: false,
        mentioned_guard: false,
        cdpath_set: false,
        pwd_assigned: false,
        loop_vars: Vec::new(),
        git_repos: Default::default(),
    };
    w.script(command);
    if w.mentioned_guard && w.facts.destructive && (w.facts.dynamic || w.facts.substitution) {
        // `x=.assent; rm -rf ~/$x`, `rm -rf "$(echo ~/.assent)"`.
        w.facts.guard_tamper = true;
    }
    let text_lower = command.to_lowercase();
    if w.killer
        && cfg
            .guard_process_names
            .iter()
            .any(|n| text_lower.contains(n.as_str()))
    {
        w.facts.guard_tamper = true;
    }
    let f = &mut *w.facts;
    f.read_only = w.read_only
        && f.parsed
        && !f.dynamic
        && !f.substitution
        && !f.wrapper
        && !f.inline_eval
        && !f.writes_redirect
        && !f.secret_mention
        && !f.secret_read
        && !f.outside_workspace
        && !f.guard_tamper
        && !f.env_dump
        && !f.env_change
        && f.env_read.is_empty()
        && f.env_write.is_empty()
        && !f.destructive
        && !f.network
        && !f.privileged;
}

/// Where a command's standard input comes from, when that matters (shells and interpreters
/// run their standard input as code).
#[derive(Debug, Clone)]
enum Stdin {
    Terminal,
    Text(String),
    Unknown(&'static str),
}

pub(crate) struct Walker<'a> {
    cfg: &'a Compiled,
    ctx: PathCtx,
    facts: &'a mut Facts,
    depth: usize,
    commands: usize,
    /// Every command seen so far is a read-only form of an allowlisted program.
    read_only: bool,
    funcs: Vec<String>,
    piped_stdin: bool,
    /// A command that can signal or trace processes appears.
    killer: bool,
    /// Some word names a guard path.
    mentioned_guard: bool,
    /// The script assigns `CDPATH`: a relative `cd` may then go anywhere.
    cdpath_set: bool,
    /// The script assigns `PWD`: `$PWD` and `~+` no longer name the working directory.
    pwd_assigned: bool,
    /// `for` variables being walked, innermost last, each with the one value the body is
    /// being analysed with (`None`: unknown).
    loop_vars: Vec<(String, Option<String>)>,
    /// The repository git would use from each directory, found once per decision.
    git_repos: git::Repos,
}

/// True when some `<<` (not `<<<`) is followed by anything but a plain delimiter word
/// (`EOF`, `'EOF'`, `"END"`, `\EOF`, `_x.y-z`). Real here-documents use plain words; odd
/// delimiters (`$(`, `)`, nothing) send brush-parser's tokenizer into unbounded allocation.
fn has_odd_heredoc_delimiter(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes.get(i..i + 2) == Some(b"<<".as_slice()) {
            if bytes.get(i + 2) == Some(&b'<') {
                i += 3;
                continue;
            }
            let mut j = i + 2;
            if bytes.get(j) == Some(&b'-') {
                j += 1;
            }
            while matches!(bytes.get(j), Some(b' ') | Some(b'\t')) {
                j += 1;
            }
            if bytes.get(j) == Some(&b'\\') {
                j += 1;
            }
            let quote = match bytes.get(j) {
                Some(q @ (b'\'' | b'"')) => {
                    j += 1;
                    Some(*q)
                }
                _ => None,
            };
            let start = j;
            while matches!(bytes.get(j), Some(c) if c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.' || *c == b'-')
            {
                j += 1;
            }
            if j == start {
                return true;
            }
            if let Some(q) = quote {
                if bytes.get(j) != Some(&q) {
                    return true;
                }
                j += 1;
            }
            match bytes.get(j) {
                None | Some(b' ' | b'\t' | b'\n' | b';' | b'|' | b'&' | b'>' | b'<' | b')') => {}
                _ => return true,
            }
            i = j;
            continue;
        }
        i += 1;
    }
    false
}

fn bracket_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for c in text.chars() {
        match c {
            '(' | '{' | '[' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' | '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

impl<'a> Walker<'a> {
    fn not_read_only(&mut self) {
        self.read_only = false;
    }

    /// Parses and walks a script (the top-level command or a string run by a wrapper).
    fn script(&mut self, text: &str) {
        if self.depth > MAX_NESTING {
            self.facts
                .not_understood("scripts nested too deeply to follow");
            return;
        }
        if text.len() > MAX_COMMAND_BYTES {
            self.facts.not_understood("command too long to analyse");
            self.token_scan(text);
            return;
        }
        if text.contains('\0') {
            self.facts
                .not_understood("command contains a NUL character");
            self.token_scan(text);
            return;
        }
        if has_odd_heredoc_delimiter(text) {
            self.facts
                .not_understood("here-document delimiter is not a plain word");
            self.token_scan(text);
            return;
        }
        if bracket_depth(text) > MAX_BRACKETS {
            self.facts
                .not_understood("command nests brackets too deeply to analyse");
            self.token_scan(text);
            return;
        }
        let options = brush_parser::ParserOptions::default();
        let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut parser = brush_parser::Parser::new(std::io::Cursor::new(text), &options);
            parser.parse_program()
        }));
        match parsed {
            Ok(Ok(program)) => {
                self.depth += 1;
                let before = self.cwd_state();
                for cc in &program.complete_commands {
                    self.list(cc);
                }
                if self.depth > 1 {
                    // A nested script is a subshell (`$(…)`, `bash -c`) or runs in this shell
                    // (`eval`, `source`): afterwards the shell is where it was or where the
                    // script left it.
                    let after = self.cwd_state();
                    let both = self.union_cwds(&before, &after);
                    self.set_cwds(both);
                }
                self.depth -= 1;
            }
            Ok(Err(e)) => {
                let msg = e.to_string();
                self.facts.not_understood(format!(
                    "shell syntax could not be parsed: {}",
                    assent_core::text::escape_line(&msg.chars().take(160).collect::<String>())
                ));
                self.token_scan(text);
            }
            Err(_) => {
                self.facts
                    .not_understood("shell parser failed on this input");
                self.token_scan(text);
            }
        }
    }

    /// For input that could not be parsed: look at its words anyway, so that a secret, a guard
    /// path or a protected variable in broken syntax is still seen.
    fn token_scan(&mut self, text: &str) {
        // Keywords that assign the next word even in syntax we could not parse.
        let words: Vec<&str> = text.split_whitespace().collect();
        for w in words.windows(2) {
            let &[keyword, name] = w else { continue };
            if matches!(
                keyword,
                "select"
                    | "coproc"
                    | "for"
                    | "read"
                    | "export"
                    | "declare"
                    | "local"
                    | "typeset"
                    | "readonly"
            ) && words::is_name(name)
                && self.cfg.env.is_protected(name)
            {
                self.facts.env_write.insert(name.to_string());
            }
        }
        for tok in text.split(|c: char| c.is_whitespace() || ";|&()<>`$\"'{}".contains(c)) {
            if tok.is_empty() || tok.len() > 4096 {
                continue;
            }
            let class = self.ctx.classify(self.cfg, tok);
            if class.secret {
                self.facts.secret_mention = true;
            }
            if class.guard {
                self.facts.secret_mention = true;
            }
            if let Some((name, _)) = tok.split_once('=') {
                if words::is_name(name) && self.cfg.env.is_protected(name) {
                    self.facts.env_write.insert(name.to_string());
                }
            }
        }
    }

    fn cwd_state(&self) -> Cwds {
        Cwds {
            dirs: self.ctx.cwds().cloned().collect(),
            unknown: self.ctx.cwd_unknown,
        }
    }

    fn set_cwds(&mut self, s: Cwds) {
        let mut dirs = s.dirs.into_iter();
        if let Some(first) = dirs.next() {
            self.ctx.cwd = first;
        }
        self.ctx.cwd_alts = dirs.collect();
        self.ctx.cwd_unknown = s.unknown;
    }

    /// The directories of either state, `later`'s first. Past [`MAX_CWDS`] the directory is
    /// unknown, and relative paths are then never read-only.
    fn union_cwds(&mut self, earlier: &Cwds, later: &Cwds) -> Cwds {
        let mut dirs = later.dirs.clone();
        for d in &earlier.dirs {
            if !dirs.contains(d) {
                dirs.push(d.clone());
            }
        }
        let mut unknown = earlier.unknown || later.unknown;
        if dirs.len() > MAX_CWDS {
            dirs.truncate(MAX_CWDS);
            unknown = true;
            self.not_read_only();
        }
        Cwds { dirs, unknown }
    }

    /// Walks a loop body (run zero or more times): a second pass from every directory the
    /// first could leave the shell in; a body that keeps moving it (`cd ..`) leaves it unknown.
    fn looped(&mut self, body: &dyn Fn(&mut Self)) {
        let before = self.cwd_state();
        body(self);
        let after = self.cwd_state();
        if after == before {
            return;
        }
        let once = self.union_cwds(&before, &after);
        self.set_cwds(once.clone());
        body(self);
        let again = self.cwd_state();
        let mut twice = self.union_cwds(&once, &again);
        if twice != once {
            twice.unknown = true;
            self.not_read_only();
        }
        self.set_cwds(twice);
    }

    /// `<(…)` read by the command: the list runs in a subshell with the shell's standard
    /// input, and its output is a pipe (a `/dev/fd/N` path). Only its own commands decide
    /// whether it is read-only: the walk of the list records them as any other command.
    fn read_substitution(&mut self, list: &ast::CompoundList) {
        let saved = self.piped_stdin;
        self.piped_stdin = false;
        self.in_subshell(&|w: &mut Self| w.list(list));
        self.piped_stdin = saved;
    }

    /// `for NAME in WORDS; do BODY; done`, judged as its unrolling: the body is walked once
    /// for every value NAME can take (a glob stands for its expansion on disk and, when
    /// nothing matches, itself). With a value that cannot be known (`$(cat list)`, `"$@"`, a
    /// glob whose expansion is unknown, too many values) NAME is unknown in the body, and
    /// whatever uses it is not read-only. A name bash treats specially (`PORT` when
    /// protected, `IFS`, `PATH`, `CDPATH`: all upper case) is an assignment like any other.
    fn for_clause(&mut self, f: &ast::ForClauseCommand) {
        let name = f.variable_name.as_str();
        // An exported variable keeps its export when a loop assigns it: children see the
        // value. The lower-case ones programs read (`http_proxy`…) are assignments too.
        let plain_name = words::is_name(name)
            && name.chars().any(|c| c.is_ascii_lowercase())
            && !name.to_ascii_lowercase().contains("proxy")
            && !self.cfg.env.is_protected(name);
        if !plain_name {
            self.assign_var(name);
        }
        let mut values: Option<Vec<String>> = Some(Vec::new());
        match &f.values {
            // `for f; do` iterates over the positional parameters.
            None => values = None,
            Some(words) => {
                for v in words {
                    let arg = self.word(&v.value);
                    self.glob_listing(&arg);
                    let (Some(list), Some(lit)) = (values.as_mut(), arg.lit.clone()) else {
                        values = None;
                        continue;
                    };
                    if arg.glob {
                        match &arg.expansion {
                            Some(expanded) => list.extend(expanded.iter().cloned()),
                            None => {
                                values = None;
                                continue;
                            }
                        }
                    }
                    list.push(lit);
                }
            }
        }
        if let Some(list) = values.as_mut() {
            let mut seen = std::collections::HashSet::new();
            list.retain(|v| seen.insert(v.clone()));
            if list.len() > MAX_LOOP_VALUES {
                values = None;
            }
        }
        let body = |w: &mut Self| w.list(&f.body.list);
        match values {
            Some(list) if plain_name => {
                for v in list {
                    self.loop_vars.push((name.to_string(), Some(v)));
                    self.looped(&body);
                    self.loop_vars.pop();
                }
                // The variable keeps its last value after the loop: not followed.
                self.forget_loop_var(name);
            }
            _ => {
                self.loop_vars.push((name.to_string(), None));
                self.looped(&body);
                self.loop_vars.pop();
                self.forget_loop_var(name);
            }
        }
    }

    /// After a loop, its variable holds a value the rest of the script is not told about
    /// (an outer loop's binding of the same name no longer holds).
    fn forget_loop_var(&mut self, name: &str) {
        for (n, v) in self.loop_vars.iter_mut() {
            if n == name {
                *v = None;
            }
        }
    }

    /// Runs `f` as in a subshell: the working directory afterwards is the one before.
    fn in_subshell(&mut self, f: &dyn Fn(&mut Self)) {
        let before = self.cwd_state();
        f(self);
        self.set_cwds(before);
    }

    fn list(&mut self, list: &ast::CompoundList) {
        for item in &list.0 {
            if matches!(item.1, ast::SeparatorOperator::Async) {
                // `cd x &` runs in a background subshell.
                self.in_subshell(&|w: &mut Self| w.and_or(&item.0));
            } else {
                self.and_or(&item.0);
            }
        }
    }

    /// `A && B || C`: B runs only where A succeeded, C only where A or B failed. A `cd` that
    /// fails leaves the shell where it was, so a failure state includes the state before.
    fn and_or(&mut self, a: &ast::AndOrList) {
        let (mut ok, mut fail) = self.pipeline_outcomes(&a.first);
        for next in &a.additional {
            match next {
                ast::AndOr::And(p) => {
                    self.set_cwds(ok.clone());
                    let (o, f) = self.pipeline_outcomes(p);
                    fail = self.union_cwds(&fail, &f);
                    ok = o;
                }
                ast::AndOr::Or(p) => {
                    self.set_cwds(fail.clone());
                    let (o, f) = self.pipeline_outcomes(p);
                    ok = self.union_cwds(&ok, &o);
                    fail = f;
                }
            }
        }
        let end = self.union_cwds(&fail, &ok);
        self.set_cwds(end);
    }

    /// The directories after a pipeline that succeeded and after one that failed. The walk
    /// of a simple `cd` leaves its success state; anything compound already leaves both.
    fn pipeline_outcomes(&mut self, p: &ast::Pipeline) -> (Cwds, Cwds) {
        let before = self.cwd_state();
        self.pipeline(p);
        let after = self.cwd_state();
        let either = self.union_cwds(&before, &after);
        if p.bang {
            (either, after)
        } else {
            (after, either)
        }
    }

    fn pipeline(&mut self, p: &ast::Pipeline) {
        if p.timed.is_some() {
            // `time cmd` is harmless, but the allow path takes no wrapper of any kind.
            self.facts.wrapper = true;
        }
        let before = self.cwd_state();
        let stages = p.seq.len();
        for (i, c) in p.seq.iter().enumerate() {
            let saved = self.piped_stdin;
            self.piped_stdin = i > 0;
            if stages > 1 {
                // Every stage of a pipeline is a subshell.
                self.set_cwds(before.clone());
            }
            self.command(c);
            self.piped_stdin = saved;
        }
        if stages > 1 {
            // With `shopt -s lastpipe` the last stage runs in this shell.
            let last = self.cwd_state();
            let both = self.union_cwds(&before, &last);
            self.set_cwds(both);
        }
    }

    fn command(&mut self, c: &ast::Command) {
        self.commands += 1;
        if self.commands > MAX_COMMANDS {
            self.facts.not_understood("too many commands to analyse");
            return;
        }
        match c {
            ast::Command::Simple(sc) => self.simple(sc),
            ast::Command::Compound(cc, redirects) => {
                self.compound(cc);
                if let Some(list) = redirects {
                    for r in &list.0 {
                        self.redirect(r);
                    }
                }
            }
            ast::Command::Function(f) => {
                self.not_read_only();
                self.funcs.push(f.fname.value.clone());
                self.facts
                    .programs
                    .insert(format!("function:{}", f.fname.value));
                // The body runs when the function is called, any number of times.
                self.looped(&|w: &mut Self| {
                    w.compound(&f.body.0);
                    if let Some(list) = &f.body.1 {
                        for r in &list.0 {
                            w.redirect(r);
                        }
                    }
                });
            }
            ast::Command::ExtendedTest(t, redirects) => {
                self.ext_test(&t.expr);
                if let Some(list) = redirects {
                    for r in &list.0 {
                        self.redirect(r);
                    }
                }
            }
        }
    }

    fn ext_test(&mut self, e: &ast::ExtendedTestExpr) {
        match e {
            ast::ExtendedTestExpr::And(a, b) | ast::ExtendedTestExpr::Or(a, b) => {
                self.ext_test(a);
                self.ext_test(b);
            }
            ast::ExtendedTestExpr::Not(a) | ast::ExtendedTestExpr::Parenthesized(a) => {
                self.ext_test(a)
            }
            ast::ExtendedTestExpr::UnaryTest(op, w) => {
                let a = self.dynamic_test_word(&w.value);
                if matches!(
                    op,
                    ast::UnaryPredicate::ShellVariableIsSetAndAssigned
                        | ast::UnaryPredicate::ShellVariableIsSetAndNameRef
                ) {
                    self.variable_operand(&a);
                } else {
                    self.arithmetic_operand(&a);
                }
            }
            ast::ExtendedTestExpr::BinaryTest(op, a, b) => {
                let a = self.dynamic_test_word(&a.value);
                let b = self.dynamic_test_word(&b.value);
                use ast::BinaryPredicate as B;
                if matches!(
                    op,
                    B::ArithmeticEqualTo
                        | B::ArithmeticNotEqualTo
                        | B::ArithmeticLessThan
                        | B::ArithmeticLessThanOrEqualTo
                        | B::ArithmeticGreaterThan
                        | B::ArithmeticGreaterThanOrEqualTo
                ) {
                    // `[[ A -eq B ]]` evaluates both sides as arithmetic expressions.
                    for side in [&a, &b] {
                        match &side.lit {
                            Some(text) => self.arith(text),
                            None => self.not_read_only(),
                        }
                    }
                } else {
                    self.arithmetic_operand(&a);
                    self.arithmetic_operand(&b);
                }
            }
        }
    }

    fn compound(&mut self, cc: &ast::CompoundCommand) {
        match cc {
            ast::CompoundCommand::Arithmetic(a) => {
                self.not_read_only();
                self.arith(&a.expr.value);
            }
            ast::CompoundCommand::ArithmeticForClause(f) => {
                self.not_read_only();
                for e in [&f.initializer, &f.condition, &f.updater]
                    .into_iter()
                    .flatten()
                {
                    self.arith(&e.value);
                }
                self.looped(&|w: &mut Self| w.list(&f.body.list));
            }
            ast::CompoundCommand::BraceGroup(b) => self.list(&b.list),
            ast::CompoundCommand::Subshell(s) => self.in_subshell(&|w: &mut Self| w.list(&s.list)),
            ast::CompoundCommand::ForClause(f) => self.for_clause(f),
            ast::CompoundCommand::CaseClause(c) => {
                self.dynamic_test_word(&c.value.value);
                let start = self.cwd_state();
                let mut end = start.clone();
                for item in &c.cases {
                    self.set_cwds(start.clone());
                    for p in &item.patterns {
                        self.dynamic_test_word(&p.value);
                    }
                    if let Some(cmd) = &item.cmd {
                        self.list(cmd);
                    }
                    let after = self.cwd_state();
                    end = self.union_cwds(&end, &after);
                }
                self.set_cwds(end);
            }
            ast::CompoundCommand::IfClause(i) => {
                self.list(&i.condition);
                // Each branch from wherever the conditions could leave the shell.
                let mut start = self.cwd_state();
                self.list(&i.then);
                let mut end = self.cwd_state();
                let mut has_else = false;
                if let Some(elses) = &i.elses {
                    for e in elses {
                        self.set_cwds(start.clone());
                        match &e.condition {
                            Some(c) => {
                                self.list(c);
                                let after = self.cwd_state();
                                start = self.union_cwds(&start, &after);
                                self.set_cwds(start.clone());
                            }
                            None => has_else = true,
                        }
                        self.list(&e.body);
                        let after = self.cwd_state();
                        end = self.union_cwds(&end, &after);
                    }
                }
                if !has_else {
                    end = self.union_cwds(&start, &end);
                }
                self.set_cwds(end);
            }
            ast::CompoundCommand::WhileClause(w) | ast::CompoundCommand::UntilClause(w) => {
                self.list(&w.0);
                self.looped(&|me: &mut Self| {
                    me.list(&w.1.list);
                    me.list(&w.0);
                });
            }
            ast::CompoundCommand::Coprocess(c) => {
                self.not_read_only();
                if let Some(name) = &c.name {
                    // `coproc NAME { … }` sets NAME (an array of file descriptors).
                    self.assign_var(&name.value);
                }
                self.in_subshell(&|w: &mut Self| w.command(&c.body));
            }
        }
    }

    /// `cd [-L|-P] [DIR]`, run from one known directory. A `cd` may fail (the caller keeps
    /// the state before it as the failure state). Bash moves logically (`link/..` is the
    /// directory holding `link`) and falls back to the physical path; both are kept.
    pub(super) fn cd(&mut self, args: &[Arg]) {
        let mut physical = false;
        let mut i = 0;
        while let Some(l) = args.get(i).and_then(|a| a.lit.as_deref()) {
            if l == "--" {
                i += 1;
                break;
            }
            let Some(flags) = l.strip_prefix('-') else {
                break;
            };
            if flags.is_empty() || !flags.chars().all(|c| matches!(c, 'L' | 'P' | 'e' | '@')) {
                break;
            }
            physical |= flags.contains('P');
            i += 1;
        }
        let Some(target) = args.get(i) else {
            self.set_cwds(Cwds {
                dirs: vec![self.cfg.home.clone()],
                unknown: self.ctx.cwd_unknown,
            });
            return;
        };
        let dir = match target.lit.as_deref() {
            // `cd -` goes to $OLDPWD; `cd "$X"` anywhere.
            Some("-") | None => {
                self.ctx.cwd_unknown = true;
                self.not_read_only();
                return;
            }
            Some("") => return,
            Some(d) => d.to_string(),
        };
        let expanded = crate::config::expand_tilde(&dir, &self.cfg.home);
        let relative = !expanded.starts_with('/');
        let plain_relative = relative
            && !(expanded == "."
                || expanded == ".."
                || expanded.starts_with("./")
                || expanded.starts_with("../"));
        if self.cdpath_set && plain_relative {
            // `CDPATH=/ cd etc`: the directory is looked up along CDPATH.
            self.ctx.cwd_unknown = true;
            self.not_read_only();
            return;
        }
        let class = self.ctx.classify(self.cfg, &dir);
        if !class.inside_workspace {
            self.not_read_only();
            self.facts.outside_workspace = true;
        }
        let joined = if relative {
            self.ctx.cwd.join(&expanded)
        } else {
            PathBuf::from(&expanded)
        };
        let resolved = crate::paths::resolve(self.cfg, &joined);
        let mut dirs = Vec::new();
        if !physical {
            dirs.push(crate::paths::lexical(&joined));
        }
        if !dirs.contains(&resolved) {
            dirs.push(resolved);
        }
        self.set_cwds(Cwds {
            dirs,
            unknown: self.ctx.cwd_unknown,
        });
    }

    /// The directories bash itself lists to expand a glob word (`*/*` lists `sshlink/`,
    /// which is `~/.ssh`): whatever the program then does, the shell has read them.
    fn glob_listing(&mut self, a: &Arg) {
        let (true, Some(l)) = (a.glob, &a.lit) else {
            return;
        };
        if l.len() > 4096 {
            return;
        }
        let Some(x) = self.ctx.expand_word(self.cfg, l) else {
            return;
        };
        for d in x.dirs_read {
            let c = self.ctx.classify(self.cfg, &d.display().to_string());
            if !c.inside_workspace {
                self.facts.outside_workspace = true;
                self.not_read_only();
            }
            if c.secret {
                self.facts.secret_mention = true;
            }
        }
    }

    /// A word the shell matches or tests (`case` subjects and patterns): a value the
    /// analysis cannot know is not followed exactly.
    fn dynamic_test_word(&mut self, raw: &str) -> Arg {
        let a = self.word(raw);
        if a.lit.is_none() {
            self.not_read_only();
        }
        a
    }

    /// An operand of `test`/`[`: bash evaluates the subscript of `-v 'a[…]'` (and of `-R`)
    /// arithmetically, so a subscript can run code (`'a[$(cmd)]'`) or read variables. A
    /// dynamic operand could be such a name.
    pub(super) fn arithmetic_operand(&mut self, a: &Arg) {
        let Some(l) = &a.lit else {
            self.not_read_only();
            return;
        };
        if l.contains("$(") || l.contains('`') || (l.contains('[') && l.contains('$')) {
            self.not_read_only();
            self.facts.inline_eval = true;
        }
        if let Some((_, rest)) = l.split_once('[') {
            if rest.contains(']') {
                self.variable_operand(a);
            }
        }
    }

    /// A variable name as `-v`/`-R` test it (`NAME`, `NAME[SUBSCRIPT]`): its value is read
    /// (whether it is set, at least) and the subscript is an arithmetic expression.
    fn variable_operand(&mut self, a: &Arg) {
        let Some(l) = &a.lit else {
            self.not_read_only();
            return;
        };
        let (name, subscript) = match l.split_once('[') {
            Some((n, rest)) => (n, rest.rsplit_once(']').map(|(s, _)| s)),
            None => (l.as_str(), None),
        };
        if self.cfg.env.is_protected(name) {
            self.facts.env_read.insert(name.to_string());
        }
        if let Some(sub) = subscript {
            self.arith(sub);
        }
    }

    /// An arithmetic expression (`(( ))`, `$(( ))`, `[[ A -eq B ]]`, `${X:OFFSET}`, array
    /// subscripts, `let`). Bash evaluates every name in it recursively: a variable whose
    /// value is an expression is evaluated too, subscripts and command substitutions
    /// included (`true 'a[$(id)]'; [[ _ -eq 0 ]]` runs `id`), so only plain numbers are
    /// followed exactly. Names are reads (protected ones are recorded); `NAME=`, `NAME+=`,
    /// `NAME++` are writes; substitutions are walked.
    fn arith(&mut self, text: &str) {
        self.facts.substitution |= text.contains("$(") || text.contains('`');
        let bytes = text.as_bytes();
        let mut i = 0;
        while let Some(&c) = bytes.get(i) {
            if c.is_ascii_digit() {
                // A number: `10`, `0x1f`, `16#ff`, `64#_@`.
                while bytes
                    .get(i)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'#' | b'@' | b'_'))
                {
                    i += 1;
                }
                continue;
            }
            if c == b'$' {
                // `$x` expands to text that is evaluated in turn; skip the name after it.
                self.not_read_only();
                i += 1;
                while bytes
                    .get(i)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
                {
                    i += 1;
                }
                continue;
            }
            if c.is_ascii_alphabetic() || c == b'_' {
                let start = i;
                while bytes
                    .get(i)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
                {
                    i += 1;
                }
                let name = text.get(start..i).unwrap_or("");
                let before = text.get(..start).unwrap_or("").trim_end();
                let rest = text.get(i..).unwrap_or("").trim_start();
                let assigns = (rest.starts_with('=') && !rest.starts_with("=="))
                    || rest.starts_with("++")
                    || rest.starts_with("--")
                    || ["+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="]
                        .iter()
                        .any(|op| rest.starts_with(op))
                    || before.ends_with("++")
                    || before.ends_with("--");
                // Reading a name evaluates its value as an expression: not followed.
                self.not_read_only();
                if self.cfg.env.is_protected(name) {
                    self.facts.env_read.insert(name.to_string());
                }
                if assigns {
                    self.assign_var(name);
                }
                continue;
            }
            if c == b'`' {
                self.not_read_only();
            }
            i += 1;
        }
        if text.contains("$(") || text.contains('`') || text.contains('$') {
            self.word(&format!("\"{}\"", text.replace('"', "\\\"")));
        }
    }

    /// Records an assignment to a shell or environment variable.
    fn assign_var(&mut self, name: &str) {
        match name {
            "CDPATH" => self.cdpath_set = true,
            "PWD" => self.pwd_assigned = true,
            _ => {}
        }
        self.facts.env_change = true;
        self.not_read_only();
        if self.cfg.env.is_protected(name) {
            self.facts.env_write.insert(name.to_string());
        }
    }

    fn assignment(&mut self, a: &ast::Assignment) -> Arg {
        let name = match &a.name {
            ast::AssignmentName::VariableName(n) => n.clone(),
            ast::AssignmentName::ArrayElementName(n, idx) => {
                self.word(&format!("\"{idx}\""));
                // An indexed array's subscript is an arithmetic expression.
                self.arith(idx);
                n.clone()
            }
        };
        let value = match &a.value {
            ast::AssignmentValue::Scalar(w) => self.word(&w.value),
            ast::AssignmentValue::Array(items) => {
                for (k, v) in items {
                    if let Some(k) = k {
                        self.word(&k.value);
                    }
                    self.word(&v.value);
                }
                Arg::dynamic("(array)")
            }
        };
        if let Some(v) = &value.lit {
            self.note_guard_mention(v);
        }
        Arg {
            skeleton: format!("{name}={}", value.skeleton),
            lit: value.lit.map(|v| format!("{name}={v}")),
            raw: format!("{name}=…"),
            glob: false,
            expansion: None,
        }
    }

    /// Remembers that a word names a guard path (or a directory holding one), for the case
    /// where a destructive command later gets its target from an expansion.
    pub(super) fn note_guard_mention(&mut self, text: &str) {
        if text.is_empty() || text.len() > 4096 {
            return;
        }
        let class = self.ctx.classify(self.cfg, text);
        let named = text.contains('/') || text.starts_with('.') || text.starts_with('~');
        if named
            && (class.guard || (class.guard_ancestor && text != "/" && text != "." && text != ".."))
        {
            self.mentioned_guard = true;
        }
        if text.contains(".assent") || text.contains(".claude") {
            self.mentioned_guard = true;
        }
    }

    /// A simple command, judged once for every directory the shell could be in (its words,
    /// its paths, and what git or `cd` find there depend on it).
    fn simple(&mut self, sc: &ast::SimpleCommand) {
        if self.ctx.cwd_alts.is_empty() {
            return self.simple_here(sc);
        }
        let start = self.cwd_state();
        let mut end: Option<Cwds> = None;
        for d in &start.dirs {
            self.set_cwds(Cwds {
                dirs: vec![d.clone()],
                unknown: start.unknown,
            });
            self.simple_here(sc);
            let after = self.cwd_state();
            end = Some(match end {
                None => after,
                Some(e) => self.union_cwds(&e, &after),
            });
        }
        if let Some(e) = end {
            self.set_cwds(e);
        }
    }

    fn simple_here(&mut self, sc: &ast::SimpleCommand) {
        let mut argv: Vec<Arg> = Vec::new();
        let mut assigns: Vec<String> = Vec::new();
        let mut stdin = if self.piped_stdin {
            Stdin::Unknown("a pipe")
        } else {
            Stdin::Terminal
        };
        let prefix = sc.prefix.iter().flat_map(|p| p.0.iter());
        let suffix = sc.suffix.iter().flat_map(|s| s.0.iter());
        let mut items: Vec<&ast::CommandPrefixOrSuffixItem> = prefix.collect();
        let prefix_len = items.len();
        items.extend(suffix);
        for (i, item) in items.iter().enumerate() {
            if i == prefix_len {
                if let Some(w) = &sc.word_or_name {
                    argv.push(self.word(&w.value));
                }
            }
            match item {
                ast::CommandPrefixOrSuffixItem::IoRedirect(r) => {
                    if let Some(s) = self.redirect(r) {
                        stdin = s;
                    }
                }
                ast::CommandPrefixOrSuffixItem::Word(w) => argv.push(self.word(&w.value)),
                ast::CommandPrefixOrSuffixItem::AssignmentWord(a, w) => {
                    let arg = self.assignment(a);
                    if i < prefix_len && argv.is_empty() {
                        let (ast::AssignmentName::VariableName(n)
                        | ast::AssignmentName::ArrayElementName(n, _)) = &a.name;
                        assigns.push(n.clone());
                    } else {
                        // `export X=1`, `declare X=1`: an argument the builtin acts on.
                        let _ = w;
                        argv.push(arg);
                    }
                }
                ast::CommandPrefixOrSuffixItem::ProcessSubstitution(kind, sub) => {
                    if matches!(kind, ast::ProcessSubstitutionKind::Read) {
                        self.read_substitution(&sub.list);
                        argv.push(Arg {
                            lit: Some(PROC_SUB_PATH.to_string()),
                            raw: PROC_SUB_RAW.to_string(),
                            glob: false,
                            skeleton: PROC_SUB_PATH.to_string(),
                            expansion: None,
                        });
                    } else {
                        self.facts.substitution = true;
                        self.not_read_only();
                        self.list(&sub.list);
                        argv.push(Arg::dynamic(">(…)"));
                    }
                }
            }
        }
        if items.len() == prefix_len {
            if let Some(w) = &sc.word_or_name {
                argv.push(self.word(&w.value));
            }
        }
        // `{NAME}>file` opens a file descriptor and stores its number in NAME.
        for a in &argv {
            if let Some(n) = a
                .lit
                .as_deref()
                .and_then(|l| l.strip_prefix('{'))
                .and_then(|l| l.strip_suffix('}'))
            {
                if words::is_name(n) {
                    self.assign_var(n);
                }
            }
        }
        if argv.is_empty() {
            for name in &assigns {
                self.assign_var(name);
            }
            return;
        }
        for a in &argv {
            self.glob_listing(a);
        }
        if argv.first().is_some_and(|a| a.is("let")) {
            // `let EXPR…`: each argument is an arithmetic expression.
            for a in argv.iter().skip(1) {
                match &a.lit {
                    Some(text) => self.arith(text),
                    None => self.not_read_only(),
                }
            }
        }
        for name in &assigns {
            if !words::is_harmless_prefix_var(name) {
                self.assign_var(name);
            }
            if self.cfg.env.is_protected(name) {
                self.facts.env_write.insert(name.clone());
            }
        }
        self.exec(argv, stdin);
    }

    /// Handles one redirection; returns the new standard input if it sets one.
    fn redirect(&mut self, r: &ast::IoRedirect) -> Option<Stdin> {
        use ast::{IoFileRedirectKind as K, IoFileRedirectTarget as T};
        match r {
            ast::IoRedirect::File(_, kind, target) => match target {
                T::Filename(w) => {
                    let arg = self.word(&w.value);
                    self.network_redirect(&arg);
                    match kind {
                        K::Read => {
                            self.read_path(&arg, true);
                            return Some(Stdin::Unknown("a file"));
                        }
                        K::Write | K::Append | K::Clobber | K::ReadAndWrite => {
                            self.write_path(&arg, true)
                        }
                        K::DuplicateInput | K::DuplicateOutput => {
                            if !arg.lit.as_deref().is_some_and(is_fd_word) {
                                self.write_path(&arg, true);
                            } else if matches!(kind, K::DuplicateOutput)
                                && !matches!(arg.lit.as_deref(), Some("1" | "2" | "-"))
                            {
                                self.not_read_only();
                                self.facts.writes_redirect = true;
                            }
                        }
                    }
                    None
                }
                T::Fd(fd) => {
                    // `>&3`: a descriptor other than stdout/stderr was inherited from somewhere
                    // this analysis cannot see.
                    if matches!(kind, K::DuplicateOutput) && !matches!(fd, 1 | 2) {
                        self.not_read_only();
                        self.facts.writes_redirect = true;
                    }
                    None
                }
                T::ProcessSubstitution(sk, sub) => {
                    if matches!(kind, K::Read) && matches!(sk, ast::ProcessSubstitutionKind::Read) {
                        // `< <(ls)`: standard input is the output of the substituted commands.
                        self.read_substitution(&sub.list);
                        return Some(Stdin::Unknown("a process substitution"));
                    }
                    self.facts.substitution = true;
                    self.not_read_only();
                    self.list(&sub.list);
                    None
                }
                T::Duplicate(w) => {
                    let arg = self.word(&w.value);
                    if !arg.lit.as_deref().is_some_and(is_fd_word) {
                        self.write_path(&arg, true);
                    } else if matches!(kind, K::DuplicateOutput)
                        && !matches!(arg.lit.as_deref(), Some("1" | "2" | "-"))
                    {
                        // `>&3`: a descriptor inherited from somewhere this analysis cannot see.
                        self.not_read_only();
                        self.facts.writes_redirect = true;
                    }
                    None
                }
            },
            ast::IoRedirect::HereDocument(_, doc) => {
                if doc.requires_expansion {
                    let options = brush_parser::ParserOptions::default();
                    // brush-parser can panic on a word; a panic is a parse failure here.
                    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        brush_parser::word::parse_heredoc(&doc.doc.value, &options)
                    }));
                    match parsed {
                        Ok(Ok(pieces)) => {
                            let arg = self.pieces_to_arg(&pieces, &doc.doc.value);
                            return Some(match arg.lit {
                                Some(t) => Stdin::Text(t),
                                None => {
                                    self.not_read_only();
                                    Stdin::Unknown("a here-document with expansions")
                                }
                            });
                        }
                        Ok(Err(_)) | Err(_) => {
                            self.facts
                                .not_understood("here-document could not be parsed");
                            return Some(Stdin::Unknown("an unparsed here-document"));
                        }
                    }
                }
                Some(Stdin::Text(doc.doc.value.clone()))
            }
            ast::IoRedirect::HereString(_, w) => {
                let arg = self.word(&w.value);
                Some(match arg.lit {
                    Some(t) => Stdin::Text(t),
                    None => {
                        self.not_read_only();
                        Stdin::Unknown("a here-string with expansions")
                    }
                })
            }
            ast::IoRedirect::OutputAndError(w, _) => {
                let arg = self.word(&w.value);
                self.write_path(&arg, true);
                None
            }
        }
    }

    /// Bash itself opens a socket for a redirection to `/dev/tcp/HOST/PORT` or
    /// `/dev/udp/HOST/PORT` (the files need not exist): that is network access, whatever the
    /// command. A dynamic target that could spell one counts too.
    fn network_redirect(&mut self, arg: &Arg) {
        let text = arg.lit.as_deref().unwrap_or(arg.skeleton.as_str());
        let normalised = crate::paths::lexical(std::path::Path::new(text));
        let normalised = normalised.to_string_lossy();
        let socket = |t: &str| t.starts_with("/dev/tcp/") || t.starts_with("/dev/udp/");
        if socket(text) || socket(&normalised) || (arg.lit.is_none() && text.contains("/dev/")) {
            self.facts.network = true;
            self.not_read_only();
            let host = normalised.split('/').nth(3).unwrap_or("").to_string();
            if !host.is_empty() && arg.lit.is_some() {
                self.facts.hosts.insert(host);
            }
        }
    }

    /// A path the command reads. `content` is false for commands that only list or test it.
    fn read_path(&mut self, arg: &Arg, content: bool) {
        let Some(p) = &arg.lit else {
            self.facts.dynamic = true;
            self.not_read_only();
            self.skeleton_check(arg, content);
            return;
        };
        if p.is_empty() || p == "-" {
            return;
        }
        if arg.raw == PROC_SUB_RAW && p == PROC_SUB_PATH {
            // `diff <(sort a) b`: a pipe from commands walked (and judged) already.
            return;
        }
        let class = self.ctx.classify(self.cfg, p);
        self.facts.paths.insert(class.path.clone());
        // A listing (`ls */`) of a pattern that only could match a secret shows no secret.
        if class.secret && (content || !class.secret_by_pattern) {
            if content && class.secret_certain {
                self.facts.secret_read = true;
            } else {
                self.facts.secret_mention = true;
            }
        }
        if class.secret_ancestor && !class.inside_workspace {
            self.facts.secret_mention = true;
        }
        if !class.inside_workspace {
            self.facts.outside_workspace = true;
            self.not_read_only();
        }
        if class.hardlinked && content {
            self.facts.not_understood(
                "reads a file with several hard links (it may be another name for a secret)",
            );
        }
        if class.credentials && content {
            // What the Read tool asks about (`cat .git/config` with a token in a remote URL,
            // a notes file holding a key): asked, never denied — it may be a sample.
            self.facts.secret_mention = true;
        }
    }

    /// What a dynamic word could be: `/proc/$PPID/environ` is an environment file whatever
    /// the number is.
    pub(super) fn skeleton_check(&mut self, arg: &Arg, content: bool) {
        if arg.skeleton == "*" || arg.skeleton.is_empty() {
            return;
        }
        let class = self.ctx.classify_pattern(self.cfg, &arg.skeleton);
        if class.secret {
            if content && class.secret_certain {
                self.facts.secret_read = true;
            } else {
                self.facts.secret_mention = true;
            }
        }
    }

    /// A path the command writes, creates, moves or deletes. `redirect` is true for `>`.
    fn write_path(&mut self, arg: &Arg, redirect: bool) {
        let Some(p) = &arg.lit else {
            self.not_read_only();
            self.facts.dynamic = true;
            if redirect {
                self.facts.writes_redirect = true;
            }
            return;
        };
        if matches!(
            p.as_str(),
            "/dev/null" | "/dev/stdout" | "/dev/stderr" | "/dev/tty" | "/dev/fd/1" | "/dev/fd/2"
        ) {
            return;
        }
        self.not_read_only();
        if redirect {
            self.facts.writes_redirect = true;
        }
        let class = self.ctx.classify(self.cfg, p);
        self.facts.paths.insert(class.path.clone());
        self.facts.write_paths.insert(class.path.clone());
        if class.secret {
            // Overwriting `.env` changes the environment of whatever loads it.
            self.facts.secret_read = true;
        }
        if class.guard {
            self.facts.guard_tamper = true;
        }
        if !class.inside_workspace {
            self.facts.outside_workspace = true;
        }
    }
}

fn is_fd_word(s: &str) -> bool {
    s == "-" || (!s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))
}

/// Checks code handed to an interpreter (outside a shell command) for secrets, protected
/// variables, environment dumps and guard paths.
pub(crate) fn inspect_code_text(cfg: &Compiled, ctx: &PathCtx, code: &str, facts: &mut Facts) {
    let mut w = Walker {
        cfg,
        ctx: ctx.clone(),
        facts,
        depth: 0,
        commands: 0,
        read_only: false,
        funcs: Vec::new(),
        piped_stdin: false,
        killer: false,
        mentioned_guard: false,
        cdpath_set: false,
        pwd_assigned: false,
        loop_vars: Vec::new(),
        git_repos: Default::default(),
    };
    w.inspect_code(&Arg::literal(code));
}
