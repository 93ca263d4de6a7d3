//! Wrappers: commands judged by what they run (`bash -c`, `eval`, `env`, `xargs`, `sudo`,
//! interpreters given inline code, …).

use super::super::words::{is_name, Arg};
use super::super::{Stdin, Walker};

/// Interpreters and the flags that pass them code inline.
pub(super) fn interpreter_inline_flags(name: &str) -> Option<&'static [&'static str]> {
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    Some(match base {
        "python" | "pypy" | "python-dbg" => &["-c"],
        "node" | "nodejs" => &["-e", "--eval", "-p", "--print"],
        "bun" => &["-e", "--eval", "-p", "--print"],
        "deno" => &["eval"],
        "perl" => &["-e", "-E"],
        "ruby" | "irb" => &["-e"],
        "php" => &["-r"],
        "lua" | "luajit" => &["-e"],
        "Rscript" | "R" => &["-e"],
        "julia" => &["-e", "--eval", "-E"],
        "osascript" => &["-e"],
        "pwsh" | "powershell" => &["-c", "-command", "-Command", "-EncodedCommand", "-e", "-ec"],
        "tclsh" | "wish" | "expect" => &["-c"],
        "guile" | "racket" | "sbcl" | "clisp" | "ghci" | "elixir" | "erl" => {
            &["-c", "-e", "--eval", "-eval"]
        }
        "groovy" | "kotlinc" | "scala" => &["-e"],
        "busybox" => return None,
        _ => return None,
    })
}

impl Walker<'_> {
    /// Runs the words as a script, as `eval` and `bash -c` do.
    pub(in crate::shell) fn run_joined(&mut self, args: &[Arg], who: &str) {
        if args.iter().any(|a| a.lit.is_none()) {
            self.facts.dynamic = true;
            self.facts
                .not_understood(format!("`{who}` runs text computed at run time"));
            return;
        }
        let text: Vec<&str> = args.iter().filter_map(|a| a.lit.as_deref()).collect();
        self.script(&text.join(" "));
    }

    pub(in crate::shell) fn shell(&mut self, args: &[Arg], stdin: Stdin) {
        self.not_read_only();
        self.facts.wrapper = true;
        let mut i = 0;
        let mut command_string = false;
        while let Some(arg) = args.get(i) {
            let Some(a) = arg.lit.as_deref() else {
                break;
            };
            if a == "--" || a == "-" {
                i += 1;
                break;
            }
            if let Some(flags) = a.strip_prefix('-').or_else(|| a.strip_prefix('+')) {
                if a.starts_with("--") {
                    if a == "--rcfile" || a == "--init-file" {
                        i += 1;
                    }
                } else if flags.contains('c') {
                    command_string = true;
                } else if flags.contains('o') || flags.contains('O') {
                    i += 1;
                }
                i += 1;
                continue;
            }
            break;
        }
        if command_string {
            match args.get(i) {
                Some(code) => self.run_joined(std::slice::from_ref(code), "sh -c"),
                None => self.facts.not_understood("`-c` without a command string"),
            }
            return;
        }
        if let Some(script) = args.get(i) {
            self.read_path(script, true);
            self.facts
                .not_understood("runs a script file whose contents are not analysed");
            return;
        }
        match stdin {
            Stdin::Text(code) => self.script(&code),
            Stdin::Unknown(from) => self
                .facts
                .not_understood(format!("a shell runs commands read from {from}")),
            Stdin::Terminal => {}
        }
    }

    pub(in crate::shell) fn interpreter(
        &mut self,
        name: &str,
        inline: &[&str],
        args: &[Arg],
        stdin: Stdin,
    ) {
        self.not_read_only();
        let mut code: Option<Arg> = None;
        let mut script: Option<&Arg> = None;
        let mut i = 0;
        while let Some(a) = args.get(i) {
            let Some(l) = a.lit.as_deref() else {
                if script.is_none() && code.is_none() {
                    self.facts.dynamic = true;
                }
                break;
            };
            if inline.contains(&l) {
                code = Some(args.get(i + 1).cloned().unwrap_or_else(|| Arg::literal("")));
                break;
            }
            // Clusters like `python3 -Sc 'code'` and `perl -ne 'code'`.
            if l.starts_with('-') && !l.starts_with("--") && l.len() > 2 {
                let last = l.chars().last();
                if inline
                    .iter()
                    .any(|f| f.len() == 2 && f.chars().nth(1) == last)
                {
                    code = Some(args.get(i + 1).cloned().unwrap_or_else(|| Arg::literal("")));
                    break;
                }
            }
            if l == "-m" && name.starts_with("python") {
                // `python -m module` runs a module: code we do not see.
                self.facts.inline_eval = true;
                break;
            }
            if !l.starts_with('-') {
                script = Some(a);
                break;
            }
            i += 1;
        }
        if let Some(code) = code {
            self.facts.inline_eval = true;
            self.inspect_code(&code);
        } else if let Some(s) = script {
            self.read_path(s, true);
            self.facts.not_understood(format!(
                "`{name}` runs a script file whose contents are not analysed"
            ));
        } else {
            match stdin {
                Stdin::Text(t) => {
                    self.facts.inline_eval = true;
                    self.inspect_code(&Arg::literal(&t));
                }
                Stdin::Unknown(from) => {
                    self.facts.inline_eval = true;
                    self.facts
                        .not_understood(format!("`{name}` runs code read from {from}"));
                }
                Stdin::Terminal => {}
            }
        }
        let rest: Vec<Arg> = args.iter().skip(i + 2).cloned().collect();
        self.unknown_args(&rest, name);
    }

    /// Looks inside code handed to an interpreter for the things that are hard denies
    /// anywhere: secrets, protected variables, environment dumps, guard paths.
    pub(in crate::shell) fn inspect_code(&mut self, code: &Arg) {
        let Some(text) = &code.lit else {
            self.facts.dynamic = true;
            return;
        };
        for n in self.cfg.env.mentioned_in(text) {
            self.facts.env_read.insert(n);
        }
        const DUMPS: &[&str] = &[
            "os.environ)",
            "os.environ}",
            "os.environ.items",
            "os.environ.copy",
            "dict(os.environ",
            "print(os.environ",
            "process.env)",
            "process.env}",
            "JSON.stringify(process.env",
            "%ENV",
            "ENV.to_h",
            "ENV.each",
            "ENV.inspect",
            "p ENV",
            "Get-ChildItem env:",
            "gci env:",
            "dir env:",
            "ls env:",
            "getenv()",
            "System.getenv()",
            "ENVIRON",
            "environ.items",
            "Deno.env.toObject",
        ];
        if DUMPS.iter().any(|d| text.contains(d)) {
            self.facts.env_dump = true;
        }
        let tokens = text
            .split(|c: char| c.is_whitespace() || "'\"`(),;[]{}=+<>|".contains(c))
            .filter(|t| !t.is_empty());
        for tok in tokens.take(2000) {
            if tok.contains('/')
                || tok.starts_with('.')
                || tok.starts_with('~')
                || tok.contains(".env")
                || tok.starts_with("id_")
            {
                let class = self.ctx.classify(self.cfg, tok);
                if class.secret {
                    self.facts.secret_read = true;
                }
                if class.guard {
                    self.facts.guard_tamper = true;
                }
            }
        }
    }

    pub(in crate::shell) fn env_cmd(&mut self, args: &[Arg], stdin: Stdin) {
        self.not_read_only();
        let mut i = 0;
        while let Some(a) = args.get(i) {
            let Some(l) = a.lit.as_deref() else {
                self.facts.dynamic = true;
                return;
            };
            if l == "--" {
                i += 1;
                break;
            }
            if l == "-u" || l == "--unset" {
                if let Some(n) = args.get(i + 1).and_then(|a| a.lit.as_deref()) {
                    self.assign_var(n);
                }
                i += 2;
                continue;
            }
            if let Some(n) = l
                .strip_prefix("--unset=")
                .or_else(|| l.strip_prefix("-u").filter(|s| !s.is_empty()))
            {
                self.assign_var(n);
                i += 1;
                continue;
            }
            if l == "-C" || l == "--chdir" {
                i += 2;
                continue;
            }
            if l == "-S"
                || l == "--split-string"
                || l.starts_with("--split-string=")
                || (l.starts_with("-S") && l.len() > 2)
            {
                self.facts.wrapper = true;
                let code = if l == "-S" || l == "--split-string" {
                    args.get(i + 1).cloned()
                } else {
                    Some(Arg::literal(
                        l.trim_start_matches("--split-string=")
                            .trim_start_matches("-S"),
                    ))
                };
                let mut joined: Vec<Arg> = code.into_iter().collect();
                joined.extend(args.iter().skip(i + 2).cloned());
                self.run_joined(&joined, "env -S");
                return;
            }
            if l.starts_with('-') {
                i += 1;
                continue;
            }
            if let Some((n, _)) = l.split_once('=') {
                if is_name(n) {
                    self.assign_var(n);
                    i += 1;
                    continue;
                }
            }
            break;
        }
        if i >= args.len() {
            self.facts.env_dump = true;
            return;
        }
        self.facts.wrapper = true;
        self.exec(args.get(i..).unwrap_or(&[]).to_vec(), stdin);
    }

    pub(in crate::shell) fn xargs(&mut self, args: &[Arg]) {
        self.not_read_only();
        self.facts.wrapper = true;
        self.facts.dynamic = true;
        const VALUE: &[&str] = &[
            "-I",
            "-i",
            "-L",
            "-l",
            "-n",
            "-P",
            "-s",
            "-d",
            "-E",
            "-e",
            "-a",
            "--arg-file",
            "--delimiter",
            "--max-args",
            "--max-procs",
            "--max-lines",
            "--replace",
            "--eof",
            "--max-chars",
            "--process-slot-var",
        ];
        let mut i = 0;
        while let Some(arg) = args.get(i) {
            match arg.lit.as_deref() {
                Some(l) if VALUE.contains(&l) => {
                    if l == "-a" || l == "--arg-file" {
                        if let Some(f) = args.get(i + 1) {
                            self.read_path(f, true);
                        }
                    }
                    i += 2;
                }
                Some(l) if l.starts_with('-') => i += 1,
                _ => break,
            }
        }
        let mut inner: Vec<Arg> = args.get(i..).unwrap_or(&[]).to_vec();
        if inner.is_empty() {
            inner.push(Arg::literal("echo"));
        }
        inner.push(Arg::dynamic("(arguments from standard input)"));
        self.exec(inner, Stdin::Unknown("xargs"));
    }
}

/// What a wrapper runs.
pub(in crate::shell) enum Inner {
    Argv(Vec<Arg>),
    Script(Arg),
    Opaque(&'static str),
}

impl Walker<'_> {
    pub(in crate::shell) fn wrapper_inner(&mut self, name: &str, args: &[Arg]) -> Option<Inner> {
        // (flags that take a value, whether a leading positional is consumed before the command)
        let (value_flags, skip_positionals): (&[&str], usize) = match name {
            "sudo" => (
                &[
                    "-u",
                    "-g",
                    "-C",
                    "-D",
                    "-h",
                    "-p",
                    "-r",
                    "-t",
                    "-U",
                    "-T",
                    "--user",
                    "--group",
                    "--prompt",
                    "--chdir",
                    "--role",
                    "--type",
                    "--other-user",
                    "--close-from",
                    "--host",
                    "--command-timeout",
                ],
                0,
            ),
            "doas" => (&["-u", "-C"], 0),
            "pkexec" => (&["--user"], 0),
            "nice" => (&["-n", "--adjustment"], 0),
            "nohup" | "builtin" | "setsid" | "unbuffer" | "dbus-run-session" | "catchsegv"
            | "caffeinate" | "time" | "command" => (&["-f", "-o", "--format", "--output"], 0),
            "exec" => (&["-a"], 0),
            "stdbuf" => (&["-i", "-o", "-e", "--input", "--output", "--error"], 0),
            "ionice" => (&["-c", "-n", "-p", "-P", "-u", "--class", "--classdata"], 0),
            "chrt" => (&[], 1),
            "taskset" => (&["-c", "--cpu-list"], 1),
            "timeout" => (&["-s", "-k", "--signal", "--kill-after"], 1),
            "chroot" => (&["--userspec", "--groups"], 1),
            "flock" => (&["-w", "-E", "--timeout", "--conflict-exit-code"], 1),
            "strace" | "ltrace" => (
                &[
                    "-o", "-e", "-s", "-p", "-a", "-E", "-u", "-P", "-S", "-X", "-b", "-I",
                ],
                0,
            ),
            "valgrind" | "firejail" | "proxychains" | "proxychains4" | "torsocks" | "tsocks"
            | "faketime" | "xvfb-run" | "unshare" | "nsenter" | "setpriv" | "runuser" | "sg"
            | "prlimit" | "cpulimit" | "systemd-run" | "env-update" | "with-contenv" | "pv"
            | "script" | "watch" | "su" | "ssh" | "entr" | "parallel" | "gosu" | "su-exec"
            | "chpst" | "numactl" | "cgexec" | "sandbox-exec" | "bwrap" | "nix-shell"
            | "direnv" | "dotenv" | "op" | "aws-vault" | "doppler" | "infisical" | "heroku" => {
                (&[], 0)
            }
            _ => return None,
        };
        match name {
            "su" | "runuser" => {
                if let Some(p) = args.iter().position(|a| a.is("-c") || a.is("--command")) {
                    return Some(match args.get(p + 1) {
                        Some(code) => Inner::Script(code.clone()),
                        None => Inner::Opaque("a missing command"),
                    });
                }
                if name == "runuser" {
                    if let Some(p) = args.iter().position(|a| a.is("--")) {
                        return Some(Inner::Argv(args.get(p + 1..).unwrap_or(&[]).to_vec()));
                    }
                }
                return Some(Inner::Opaque("a login shell"));
            }
            "script" => {
                if let Some(p) = args.iter().position(|a| a.is("-c") || a.is("--command")) {
                    if let Some(code) = args.get(p + 1) {
                        return Some(Inner::Script(code.clone()));
                    }
                }
                return Some(Inner::Opaque("an interactive shell"));
            }
            "watch" => {
                let mut i = 0;
                while let Some(a) = args.get(i).filter(|a| a.starts_with("-")) {
                    i += if a.is("-n") || a.is("--interval") || a.is("-q") {
                        2
                    } else {
                        1
                    };
                }
                if args.iter().any(|a| a.is("-x") || a.is("--exec")) {
                    return Some(Inner::Argv(args.get(i..).unwrap_or(&[]).to_vec()));
                }
                let joined: Vec<&str> = args
                    .get(i..)
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|a| a.lit.as_deref())
                    .collect();
                if joined.len() != args.get(i..).unwrap_or(&[]).len() {
                    return Some(Inner::Opaque("a command computed at run time"));
                }
                return Some(Inner::Script(Arg::literal(&joined.join(" "))));
            }
            "flock" => {
                if let Some(p) = args.iter().position(|a| a.is("-c") || a.is("--command")) {
                    if let Some(code) = args.get(p + 1) {
                        return Some(Inner::Script(code.clone()));
                    }
                }
            }
            "ssh" => {
                self.facts.network = true;
                return Some(Inner::Opaque("a command on another machine"));
            }
            "strace" | "ltrace" if args.iter().any(|a| a.is("-p") || a.starts_with("-p")) => {
                // Attaching to a running process: could be Assent itself.
                return Some(Inner::Opaque("a trace of a running process"));
            }
            "parallel" | "xvfb-run" | "valgrind" | "firejail" | "unshare" | "nsenter"
            | "setpriv" | "sg" | "prlimit" | "cpulimit" | "systemd-run" | "entr" | "gosu"
            | "su-exec" | "chpst" | "numactl" | "cgexec" | "sandbox-exec" | "bwrap"
            | "nix-shell" | "direnv" | "dotenv" | "op" | "aws-vault" | "doppler" | "infisical"
            | "heroku" | "faketime" | "proxychains" | "proxychains4" | "torsocks" | "tsocks"
            | "pv" | "env-update" | "with-contenv" => {
                // Wrappers whose option grammar is not modelled: find a `--`, else give up.
                if let Some(p) = args.iter().position(|a| a.is("--")) {
                    return Some(Inner::Argv(args.get(p + 1..).unwrap_or(&[]).to_vec()));
                }
                return Some(Inner::Opaque("a command whose position is not known"));
            }
            _ => {}
        }
        let mut i = 0;
        while let Some(arg) = args.get(i) {
            let Some(l) = arg.lit.as_deref() else {
                return Some(Inner::Opaque("a command computed at run time"));
            };
            if l == "--" {
                i += 1;
                break;
            }
            if !l.starts_with('-') || l == "-" {
                break;
            }
            if l.starts_with("--") {
                if !l.contains('=') && value_flags.contains(&l) {
                    i += 1;
                }
            } else {
                // short cluster: the value flag must be last in the cluster to take the next word
                let last = format!("-{}", l.chars().last().unwrap_or('-'));
                if value_flags.contains(&last.as_str()) && l.len() == 2 {
                    i += 1;
                } else if l.len() > 2
                    && value_flags.iter().any(|f| f.len() == 2 && l.starts_with(f))
                {
                    // attached value: -n10, -uroot
                } else if value_flags.contains(&last.as_str()) {
                    i += 1;
                }
            }
            if name == "nice"
                && l.strip_prefix('-')
                    .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
            {
                // nice -10 cmd
            }
            i += 1;
        }
        if name == "chrt" {
            // chrt [options] prio command
            while args.get(i).is_some_and(|a| a.starts_with("-")) {
                i += 1;
            }
        }
        i += skip_positionals;
        if name == "sudo" && i >= args.len() && args.iter().any(|a| a.is("-i") || a.is("-s")) {
            return Some(Inner::Opaque("a root shell"));
        }
        Some(Inner::Argv(
            args.get(i..).map(|s| s.to_vec()).unwrap_or_default(),
        ))
    }
}
