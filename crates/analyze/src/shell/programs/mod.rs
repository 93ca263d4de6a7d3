//! Programs: how each command is judged once its words are known.
//!
//! Three groups. *Wrappers* (`sudo`, `env`, `xargs`, `bash -c`, `eval`, `find -exec`, …) are
//! judged by what they run: the inner command is walked like any other. *Allowlisted*
//! inspection programs are read-only only in forms whose every flag is understood here; an
//! unknown flag, a writing flag, or a path outside the workspace takes the command off the
//! allow path. *Everything else* is not read-only; its arguments are still checked for
//! secrets, guard paths, protected variables and network hosts so that a hard deny can apply.

mod awk;
mod builtins;
mod find;
pub(crate) mod grammar;
mod jq;
mod judge;
mod secret_cli;
mod sed;
pub(crate) mod table;
mod unknown;
mod wrappers;

mod coreutils_text;
mod files;
mod grep;
mod ls;
mod modern;
mod sysinfo;
mod text;

use super::words::Arg;
use super::{Stdin, Walker};
use wrappers::{interpreter_inline_flags, Inner};

pub use table::{allowlist_catalog, OptionInfo, ProgramInfo};

const STD_BIN_DIRS: &[&str] = &[
    "/bin",
    "/usr/bin",
    "/usr/local/bin",
    "/sbin",
    "/usr/sbin",
    "/usr/local/sbin",
    "/opt/homebrew/bin",
    "/usr/libexec",
    "/run/current-system/sw/bin",
];

/// Toolchains whose `--version` only prints a version.
const VERSION_QUERIES: &[&str] = &[
    "node",
    "npm",
    "npx",
    "pnpm",
    "yarn",
    "deno",
    "bun",
    "python",
    "python3",
    "pip",
    "pip3",
    "cargo",
    "rustc",
    "rustup",
    "go",
    "java",
    "javac",
    "gcc",
    "g++",
    "clang",
    "make",
    "cmake",
    "git",
    "docker",
    "kubectl",
    "terraform",
    "ruby",
    "gem",
    "perl",
    "php",
    "tsc",
    "uv",
];

const SHELLS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "tcsh", "csh", "yash", "posh",
    "rbash", "pdksh", "oksh", "elvish", "nu", "xonsh",
];

const DESTRUCTIVE: &[&str] = &[
    "rm", "rmdir", "shred", "unlink", "dd", "wipefs", "fdisk", "sfdisk", "parted", "truncate",
    "srm", "mv", "chmod", "chown", "chgrp", "chattr", "mkfs", "mke2fs", "mkswap", "rsync",
    "crontab", "kill", "pkill", "killall",
];

const NETWORK: &[&str] = &[
    "curl",
    "wget",
    "ssh",
    "scp",
    "sftp",
    "rsync",
    "nc",
    "ncat",
    "netcat",
    "socat",
    "telnet",
    "ftp",
    "tftp",
    "http",
    "https",
    "xh",
    "aria2c",
    "lynx",
    "w3m",
    "links",
    "dig",
    "nslookup",
    "host",
    "ping",
    "mail",
    "sendmail",
    "mutt",
    "openssl",
    "gh",
    "aws",
    "gcloud",
    "az",
    "kubectl",
    "docker",
    "podman",
    "npm",
    "npx",
    "pnpm",
    "yarn",
    "pip",
    "pip3",
    "uv",
    "uvx",
    "cargo",
    "go",
    "gem",
    "bundle",
    "brew",
    "apt",
    "apt-get",
    "dnf",
    "yum",
    "pacman",
    "apk",
    "snap",
    "flatpak",
    "torsocks",
    "proxychains",
    "proxychains4",
    "websocat",
    "grpcurl",
];

const PRIVILEGE: &[&str] = &[
    "sudo", "doas", "su", "pkexec", "runuser", "sg", "chroot", "setpriv",
];

const KILLERS: &[&str] = &[
    "kill",
    "pkill",
    "killall",
    "skill",
    "snice",
    "systemctl",
    "service",
    "launchctl",
    "strace",
    "ltrace",
    "gdb",
    "lldb",
    "renice",
    "ionice",
    "perf",
    "tkill",
    "xkill",
    "supervisorctl",
    "pm2",
    "start-stop-daemon",
    "initctl",
    "rc-service",
    "sv",
    "prlimit",
    "cpulimit",
    "taskset",
];

/// Resolves a program word as the shell would find it: `/usr/bin/rm` is `rm`; a path outside
/// the standard directories stays a path (an unknown program).
fn resolve_program(lit: &str) -> String {
    if let Some((dir, base)) = lit.rsplit_once('/') {
        let dir = if dir.is_empty() { "/" } else { dir };
        // Only an absolute standard directory names the system's program: `./bin/ls` or
        // `bin/ls` is whatever the workspace put there.
        if !dir.starts_with('/') {
            return lit.to_string();
        }
        let normal = crate::paths::lexical(std::path::Path::new(dir));
        if STD_BIN_DIRS
            .iter()
            .any(|d| normal == std::path::Path::new(d))
            && !base.is_empty()
        {
            return base.to_string();
        }
        return lit.to_string();
    }
    lit.to_string()
}

impl Walker<'_> {
    /// Judges one command given its words.
    pub(super) fn exec(&mut self, argv: Vec<Arg>, stdin: Stdin) {
        let Some((first, args)) = argv.split_first() else {
            return;
        };
        let Some(raw_name) = first.lit.clone() else {
            self.facts.dynamic = true;
            self.facts.not_understood(format!(
                "program name `{}` is computed at run time",
                assent_core::text::escape_line(&first.raw)
            ));
            self.facts.programs.insert("(dynamic)".into());
            self.unknown_args(args, "(dynamic)");
            return;
        };
        if first.glob {
            self.facts.dynamic = true;
            self.facts.not_understood(format!(
                "program name `{}` is a glob",
                assent_core::text::escape_line(&raw_name)
            ));
        }
        if raw_name.is_empty()
            || raw_name
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            self.facts
                .not_understood("program name is empty or contains blanks or control characters");
        }
        let name = resolve_program(&raw_name);
        self.facts.programs.insert(name.clone());
        if matches!(name.as_str(), "egrep" | "fgrep") {
            // Scripts that run `grep -E` / `grep -F`.
            self.facts.programs.insert("grep".into());
        }
        if let Some(sub) = args
            .iter()
            .filter_map(|a| a.lit.as_deref())
            .find(|a| !a.starts_with('-'))
        {
            if sub.len() <= 64 {
                self.facts.subcommands.insert(format!("{name} {sub}"));
            }
        }
        if self.funcs.iter().any(|f| f == &name) {
            self.not_read_only();
        }
        if let [only] = args {
            if only.is("--version") && VERSION_QUERIES.contains(&name.as_str()) {
                // `cargo --version`: prints a version, touches nothing.
                return;
            }
            if self.version_or_help(&name, only) {
                return;
            }
        }
        if secret_cli::reads_secret(&name, args) {
            // `vault kv get`, `aws secretsmanager get-secret-value`, `op read`: the output is
            // a secret's value.
            self.facts.secret_read = true;
        }
        if DESTRUCTIVE.contains(&name.as_str()) || name.starts_with("mkfs.") {
            self.facts.destructive = true;
        }
        if NETWORK.contains(&name.as_str()) {
            self.facts.network = true;
        }
        if PRIVILEGE.contains(&name.as_str()) {
            self.facts.privileged = true;
        }
        // The agent running Assent's own approver or policy commands is changing its guard.
        let first_arg = argv.get(1).and_then(|a| a.lit.as_deref()).unwrap_or("");
        let base_name = name
            .rsplit('/')
            .next()
            .unwrap_or(&name)
            .to_ascii_lowercase();
        let is_assent = self
            .cfg
            .guard_process_names
            .iter()
            .any(|g| base_name.starts_with(g.as_str()));
        let approver_verb = matches!(
            first_arg,
            "approve" | "deny" | "revoke" | "watch" | "grants" | "init" | "serve"
        ) && (argv.len() == 2
            || argv
                .get(2)
                .and_then(|a| a.lit.as_deref())
                .is_some_and(|x| x.chars().all(|c| c.is_ascii_digit()) || x.starts_with('-')))
            // Minting or revoking identities (`assent token create --principal owner`).
            || (first_arg == "token"
                && argv
                    .get(2)
                    .and_then(|a| a.lit.as_deref())
                    .is_some_and(|x| matches!(x, "create" | "list" | "revoke")));
        // Only Assent's own binary is Assent (`npx serve`, `npm run serve` are not); a program
        // named by a path outside the system's directories could be a copy of it.
        let maybe_assent = is_assent || (name.contains('/') && !name.starts_with("/usr/"));
        if (is_assent && !matches!(first_arg, "check" | "--version" | "--help" | "-h" | "-V"))
            || (approver_verb && maybe_assent)
        {
            self.facts.guard_tamper = true;
        }
        if KILLERS.contains(&name.as_str()) {
            self.killer = true;
            self.kill_targets(&name, args);
        }
        match name.as_str() {
            n if SHELLS.contains(&n) => self.shell(args, stdin),
            "busybox" | "toybox" => {
                self.not_read_only();
                self.facts.wrapper = true;
                self.exec(args.to_vec(), stdin);
            }
            "eval" => {
                self.not_read_only();
                self.facts.wrapper = true;
                self.run_joined(args, "eval");
            }
            "trap" => {
                self.not_read_only();
                if let Some(code) = args.iter().find(|a| !a.starts_with("-")) {
                    self.facts.wrapper = true;
                    self.run_joined(std::slice::from_ref(code), "trap");
                }
            }
            "source" | "." => {
                self.not_read_only();
                self.facts.wrapper = true;
                if let Some(f) = args.first() {
                    self.read_path(f, true);
                    if let Some(l) = &f.lit {
                        let class = self.ctx.classify(self.cfg, l);
                        if class.secret {
                            // Sourcing `.env` loads its variables into the shell.
                            self.facts.env_change = true;
                        }
                    }
                }
            }
            "env" => self.env_cmd(args, stdin),
            "ssh-keygen" if self.ssh_keygen_fingerprint(args) => {}
            "printenv" => {
                // `printenv HOME`: ordinary variables by name are a read-only look; options
                // other than `-0` and names that are not plain upper-case words are not.
                let plain = args.iter().all(|a| {
                    a.is("-0")
                        || a.is("--null")
                        || a.lit.as_deref().is_some_and(|n| {
                            super::words::is_name(n)
                                && n.chars().all(|c| !c.is_ascii_lowercase())
                                && !self.cfg.env.is_protected(n)
                        })
                });
                if !plain || args.iter().all(|a| a.starts_with("-")) {
                    self.not_read_only();
                }
                let names: Vec<&Arg> = args.iter().filter(|a| !a.starts_with("-")).collect();
                if names.is_empty() {
                    self.facts.env_dump = true;
                }
                for a in names {
                    match &a.lit {
                        Some(n) if self.cfg.env.is_protected(n) => {
                            self.facts.env_read.insert(n.clone());
                        }
                        Some(_) => {}
                        None => self.facts.dynamic = true,
                    }
                }
            }
            "export" | "declare" | "typeset" | "local" | "readonly" | "set" | "unset"
            | "compgen" | "read" | "mapfile" | "readarray" | "getopts" | "let" | "shopt"
            | "alias" | "unalias" | "hash" | "enable" => self.var_builtin(&name, args),
            "find" => self.find(args),
            "seq"
                if args.iter().any(|a| {
                    a.lit.as_deref().is_none_or(|l| {
                        let l = l.to_ascii_lowercase();
                        l.contains("inf")
                            || l.contains("nan")
                            || l.parse::<f64>().is_ok_and(|v| v.abs() > 1e7)
                    })
                }) =>
            {
                // Endless or enormous output.
                self.not_read_only();
            }
            "ps" => {
                self.not_read_only();
                // BSD-style `ps e`, `ps eww`, `ps aux e`: print every process's environment.
                if args.iter().any(|a| {
                    a.lit.as_deref().is_some_and(|l| {
                        !l.starts_with('-')
                            && l.contains('e')
                            && l.chars().all(|c| c.is_ascii_alphabetic())
                    }) || a.is("-E")
                        || a.is("--environment")
                }) {
                    self.facts.env_dump = true;
                }
            }
            n if matches!(args, [only] if only.is("--version")) && VERSION_QUERIES.contains(&n) => {
            }
            "xargs" => self.xargs(args),
            "git" => self.git(args),
            "cd" => self.cd(args),
            "pushd" | "popd" => {
                // `pushd -n` does not move; `popd` goes wherever the stack says.
                self.not_read_only();
                self.ctx.cwd_unknown = true;
            }
            "command" if args.first().is_some_and(|a| a.is("-v") || a.is("-V")) => {}
            "arch"
                if args.first().is_some_and(|a| {
                    a.lit.as_deref() != Some("--help") && a.lit.as_deref() != Some("--version")
                }) =>
            {
                // macOS: `arch -arm64 CMD` runs CMD (`-arch NAME`, `-e VAR=V`, `-d VAR` take
                // a value). GNU arch takes no operand at all.
                self.not_read_only();
                self.facts.wrapper = true;
                let mut i = 0;
                while let Some(l) = args.get(i).and_then(|a| a.lit.as_deref()) {
                    if !l.starts_with('-') {
                        break;
                    }
                    i += if matches!(l, "-arch" | "-e" | "-d") {
                        2
                    } else {
                        1
                    };
                }
                if args.get(i).is_some_and(|a| a.lit.is_none()) {
                    self.facts.dynamic = true;
                }
                let rest: Vec<Arg> = args.get(i..).map(|s| s.to_vec()).unwrap_or_default();
                if !rest.is_empty() {
                    self.exec(rest, stdin);
                }
            }
            _ => {
                if let Some(inner) = self.wrapper_inner(&name, args) {
                    self.not_read_only();
                    self.facts.wrapper = true;
                    match inner {
                        Inner::Argv(rest) => {
                            if rest.is_empty() {
                                return;
                            }
                            self.exec(rest, stdin);
                        }
                        Inner::Script(code) => self.run_joined(&[code], &name),
                        Inner::Opaque(why) => {
                            self.facts.not_understood(format!("`{name}` runs {why}"));
                            self.unknown_args(args, &name);
                        }
                    }
                    return;
                }
                if let Some(flags) = interpreter_inline_flags(&name) {
                    self.interpreter(&name, flags, args, stdin);
                    return;
                }
                if let Some(program) = table::find(&name) {
                    self.judge(&name, program, args, &stdin);
                    return;
                }
                self.not_read_only();
                self.unknown_args(args, &name);
            }
        }
    }

    /// `ssh-keygen -l -f KEY.pub [-E HASH] [-v]`: prints a public key's fingerprint. The
    /// public half is no secret (the private key beside it is judged as itself).
    fn ssh_keygen_fingerprint(&mut self, args: &[Arg]) -> bool {
        let mut listed = false;
        let mut file: Option<&Arg> = None;
        let mut i = 0;
        while let Some(a) = args.get(i) {
            i += 1;
            let Some(l) = a.lit.as_deref().and_then(|l| l.strip_prefix('-')) else {
                return false;
            };
            let mut chars = l.chars();
            while let Some(c) = chars.next() {
                match c {
                    'l' => listed = true,
                    'v' => {}
                    'f' | 'E' => {
                        let rest = chars.as_str();
                        let v = if rest.is_empty() {
                            i += 1;
                            match args.get(i - 1) {
                                Some(v) => v.clone(),
                                None => return false,
                            }
                        } else {
                            Arg::literal(rest)
                        };
                        if c == 'f' {
                            file = args.iter().find(|x| x.lit == v.lit);
                            if file.is_none() {
                                return false;
                            }
                        }
                        break;
                    }
                    _ => return false,
                }
            }
        }
        let Some(f) = file else { return false };
        if !listed || !f.lit.as_deref().is_some_and(|l| l.ends_with(".pub")) {
            return false;
        }
        self.read_path(f, false);
        true
    }

    /// `PROG --version` / `PROG --help` of a program installed in the system's own bin
    /// directories: prints and exits. Programs that change things, signal processes, raise
    /// privileges or wrap other commands are left to their own judgement.
    fn version_or_help(&self, name: &str, arg: &Arg) -> bool {
        if !(arg.is("--version") || arg.is("--help")) || name.contains('/') || name.is_empty() {
            return false;
        }
        if DESTRUCTIVE.contains(&name)
            || KILLERS.contains(&name)
            || PRIVILEGE.contains(&name)
            || NETWORK.contains(&name) && !VERSION_QUERIES.contains(&name)
            || SHELLS.contains(&name)
            || matches!(
                name,
                "less" | "more" | "most" | "pg" | "man" | "info" | "login" | "script"
            )
            || self.funcs.iter().any(|f| f == name)
            || !self.cfg.resolve_symlinks
        {
            return false;
        }
        ["/usr/bin", "/bin"].iter().any(|d| {
            let p = std::path::Path::new(d).join(name);
            std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_file() || m.file_type().is_symlink())
        })
    }

    /// Whether the last component of a path is a directory that holds guard files anywhere
    /// (`.claude`).
    pub(super) fn names_guard_dir(&self, candidate: &str) -> bool {
        std::path::Path::new(candidate)
            .file_name()
            .is_some_and(|n| {
                self.cfg
                    .guard_dir_names
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(&n.to_string_lossy()))
            })
    }

    /// A recursive read (`grep -r`, `rg`, `git grep`): every file below the roots is read, so
    /// a tree holding a secret makes it a secret read. Checked on the file system, bounded;
    /// without file-system access, or past the bound, it asks.
    pub(super) fn recursive_read_with(&mut self, roots: &[&Arg], skip_hidden: bool) {
        self.recursive_read_only(roots, skip_hidden, None)
    }

    /// A recursive read limited to files whose name matches `only` (`grep --include=*.js`).
    pub(super) fn recursive_read_only(
        &mut self,
        roots: &[&Arg],
        skip_hidden: bool,
        only: Option<&str>,
    ) {
        let dot = Arg::literal(".");
        let roots: Vec<&Arg> = if roots.is_empty() {
            vec![&dot]
        } else {
            roots.to_vec()
        };
        if !self.cfg.resolve_symlinks {
            self.not_read_only();
            return;
        }
        for root in roots {
            let Some(l) = &root.lit else {
                self.not_read_only();
                continue;
            };
            let class = self.ctx.classify(self.cfg, l);
            if class.secret_ancestor || class.secret {
                self.facts.secret_read = true;
                continue;
            }
            match crate::paths::tree_holds_secret(
                self.cfg,
                &self.ctx,
                std::path::Path::new(&class.path),
                skip_hidden,
                only,
            ) {
                Some(crate::paths::Tree::Clean) => {}
                Some(crate::paths::Tree::Secret) => self.facts.secret_read = true,
                // Secret by content only: asked, as the Read tool does (it may be a sample).
                Some(crate::paths::Tree::Credentials) => self.facts.secret_mention = true,
                None => {
                    self.not_read_only();
                    self.facts
                        .not_understood("recursive read of a tree too large to check for secrets");
                }
            }
        }
    }
}

/// (`HEAD:.env`, `host:path`).
pub(super) fn path_candidates(arg: &str) -> Vec<String> {
    let mut out = vec![arg.to_string()];
    if arg.contains("://") {
        return out;
    }
    if let Some((_, v)) = arg.split_once('=') {
        out.push(v.to_string());
        if let Some(v2) = v.strip_prefix('@') {
            out.push(v2.to_string());
        }
    }
    if let Some(v) = arg.strip_prefix('@') {
        out.push(v.to_string());
    }
    if let Some((_, v)) = arg.rsplit_once(':') {
        if !v.is_empty() {
            out.push(v.to_string());
        }
    }
    if let Some(v) = arg.strip_prefix('<') {
        out.push(v.to_string());
    }
    out.retain(|s| !s.is_empty());
    out
}

/// The host named in a URL argument.
fn host_of(arg: &str) -> Option<String> {
    if !arg.contains("://") {
        return None;
    }
    let from_scheme = arg.trim_start_matches(|c: char| !c.is_ascii_alphabetic());
    if from_scheme.is_empty() {
        return None;
    }
    url::Url::parse(from_scheme)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
}

#[cfg(test)]
pub(super) fn words_for_test(s: &str) -> Vec<Arg> {
    s.split_whitespace().map(Arg::literal).collect()
}
