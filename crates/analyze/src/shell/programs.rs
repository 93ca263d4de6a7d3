//! Programs: how each command is judged once its words are known.
//!
//! Three groups. *Wrappers* (`sudo`, `env`, `xargs`, `bash -c`, `eval`, `find -exec`, …) are
//! judged by what they run: the inner command is walked like any other. *Allowlisted*
//! inspection programs are read-only only in forms whose every flag is understood here; an
//! unknown flag, a writing flag, or a path outside the workspace takes the command off the
//! allow path. *Everything else* is not read-only; its arguments are still checked for
//! secrets, guard paths, protected variables and network hosts so that a hard deny can apply.

use super::words::{is_name, Arg};
use super::{Stdin, Walker};

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

/// Interpreters and the flags that pass them code inline.
fn interpreter_inline_flags(name: &str) -> Option<&'static [&'static str]> {
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

fn is_awk(name: &str) -> bool {
    matches!(name, "awk" | "gawk" | "mawk" | "nawk" | "busybox-awk")
}

/// How an allowlisted program's positional arguments are used.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Positionals {
    /// Not paths (`echo`, `seq`, `date`).
    Text,
    /// Files whose contents are read.
    Content,
    /// Files listed or examined without reading contents.
    Metadata,
    /// The first is a pattern (unless `-e`/`-f` gave one); the rest are files read.
    PatternThenContent,
}

struct Spec {
    positionals: Positionals,
    /// `None`: every flag of this program is read-only. `Some(list)`: only these are known.
    allowed: Option<&'static [&'static str]>,
    /// Flags that take a value (next word, when not attached with `=` or in the cluster).
    value_flags: &'static [&'static str],
    /// Flags that write, execute or page: the command is not read-only with them.
    forbidden: &'static [&'static str],
    max_positionals: Option<usize>,
}

/// Flags, of any allowlisted program, whose value is a file that is read.
const FILE_VALUE_FLAGS: &[&str] = &[
    "--file",
    "--files0-from",
    "--ignore-file",
    "--exclude-from",
    "--magic-file",
    "--files-from",
    "--reference",
    "--from-file",
    "--to-file",
];

/// Long options that write, run programs, follow links or read other files, for any
/// allowlisted program. GNU getopt and git accept any unambiguous prefix (`--out` is
/// `--output`), so an option that is a prefix of one of these is treated as it.
const DANGEROUS_LONG: &[&str] = &[
    "--output",
    "--compress-program",
    "--compile",
    "--files0-from",
    "--file",
    "--from-file",
    "--to-file",
    "--format-file",
    "--open-files-in-pager",
    "--pre",
    "--pre-glob",
    "--hostname-bin",
    "--contents",
    "--set",
    "--random-source",
    "--gitfile",
    "--exec",
    "--ext-diff",
    "--textconv",
    "--upload-pack",
    "--filters",
    "--magic-file",
    "--files-from",
    "--reference",
    "--fromfile",
    "--output-file",
    "--batch",
    "--batch-all-objects",
    "--batch-check",
    "--follow",
    "--dereference",
    "--dereference-recursive",
    "--hidden",
    "--no-ignore",
    "--unrestricted",
    "--paginate",
    "--editor",
    "--ignore-revs-file",
    "--exclude-from",
    "--ignore-file",
    "--search-zip",
    "--no-index",
    "--config",
    "--infofile",
    "--check",
];

/// True when `flag` (a `--long` option without its value) is, or abbreviates, a dangerous
/// option of the program.
pub(super) fn dangerous_long(program: &str, flag: &str, forbidden: &[&str]) -> bool {
    // Real options that happen to be prefixes of dangerous ones.
    const SAFE_EXACT: &[(&str, &str)] = &[
        ("*", "--format"),
        ("git", "--follow"),
        ("*", "--pretty"),
        ("rg", "--files"),
        ("git", "--set-upstream"),
        ("*", "--exclude"),
    ];
    if flag.len() < 3
        || SAFE_EXACT
            .iter()
            .any(|(p, f)| (*p == "*" || *p == program) && *f == flag)
    {
        return false;
    }
    DANGEROUS_LONG
        .iter()
        .chain(forbidden.iter())
        .any(|d| d.starts_with("--") && d.starts_with(flag))
}

/// Short flags whose value is a file that is read, per program.
fn short_file_flag(name: &str, flag: &str) -> bool {
    match name {
        "grep" | "egrep" | "fgrep" | "rg" => flag == "-f",
        "date" => flag == "-f" || flag == "-r",
        "file" => flag == "-m" || flag == "-f",
        "du" => flag == "-X",
        "diff" => flag == "-X",
        _ => false,
    }
}

const fn spec(positionals: Positionals) -> Spec {
    Spec {
        positionals,
        allowed: None,
        value_flags: &[],
        forbidden: &[],
        max_positionals: None,
    }
}

fn allowlisted(name: &str) -> Option<Spec> {
    use Positionals::*;
    Some(match name {
        // Value flags are listed per program: a flag wrongly said to take a value would hide
        // the next word (`cat -n ~/.ssh/id_rsa`) from every path check.
        "cat" | "rev" | "sum" | "comm" => spec(Content),
        // `-c` reads a list of file names (from a file or stdin) and opens each.
        "md5sum" | "sha1sum" | "sha224sum" | "sha256sum" | "sha384sum" | "sha512sum" => Spec {
            forbidden: &["-c", "--check"],
            ..spec(Content)
        },
        "tac" => Spec {
            value_flags: &["-s", "--separator"],
            ..spec(Content)
        },
        "base64" | "base32" | "fold" => Spec {
            value_flags: &["-w", "--wrap", "--width"],
            ..spec(Content)
        },
        "fmt" => Spec {
            value_flags: &["-w", "-p", "-g", "--width", "--prefix", "--goal"],
            ..spec(Content)
        },
        "expand" | "unexpand" => Spec {
            value_flags: &["-t", "--tabs"],
            ..spec(Content)
        },
        "paste" => Spec {
            value_flags: &["-d", "--delimiters"],
            ..spec(Content)
        },
        "b2sum" | "cksum" => Spec {
            value_flags: &["-l", "-a", "--length", "--algorithm"],
            forbidden: &["-c", "--check"],
            ..spec(Content)
        },
        "cmp" => Spec {
            value_flags: &["-i", "-n", "--ignore-initial", "--bytes"],
            ..spec(Content)
        },
        "join" => Spec {
            value_flags: &["-1", "-2", "-j", "-t", "-o", "-e", "-a", "-v"],
            ..spec(Content)
        },
        "nl" => Spec {
            value_flags: &["-b", "-d", "-f", "-h", "-i", "-l", "-n", "-s", "-v", "-w"],
            ..spec(Content)
        },
        "od" => Spec {
            value_flags: &["-A", "-j", "-N", "-t", "-w", "-S"],
            ..spec(Content)
        },
        "strings" => Spec {
            value_flags: &[
                "-n",
                "-t",
                "-e",
                "-T",
                "--bytes",
                "--radix",
                "--encoding",
                "--target",
            ],
            ..spec(Content)
        },
        "tail" => Spec {
            value_flags: &[
                "-n",
                "-c",
                "--lines",
                "--bytes",
                "-s",
                "--sleep-interval",
                "--pid",
            ],
            // Following never ends: the agent would hang on it.
            forbidden: &["-f", "-F", "--follow", "--retry"],
            ..spec(Content)
        },
        "head" => Spec {
            value_flags: &[
                "-n",
                "-c",
                "--lines",
                "--bytes",
                "-s",
                "--sleep-interval",
                "--pid",
            ],
            ..spec(Content)
        },
        "wc" => Spec {
            value_flags: &["--files0-from"],
            forbidden: &["--files0-from"],
            ..spec(Content)
        },
        "ls" | "dir" | "vdir" => Spec {
            value_flags: &[
                "-I",
                "-w",
                "-T",
                "--hide",
                "--ignore",
                "--width",
                "--tabsize",
            ],
            ..spec(Metadata)
        },
        "realpath" | "readlink" => Spec {
            value_flags: &["--relative-to", "--relative-base"],
            ..spec(Metadata)
        },
        "stat" => Spec {
            value_flags: &["-c", "--format", "--printf"],
            ..spec(Metadata)
        },
        "file" => Spec {
            value_flags: &[
                "-m",
                "-f",
                "-F",
                "-e",
                "-P",
                "--magic-file",
                "--files-from",
                "--separator",
                "--exclude",
            ],
            forbidden: &["-C", "--compile", "-f", "--files-from"],
            ..spec(Metadata)
        },
        "du" => Spec {
            value_flags: &[
                "-d",
                "-B",
                "-t",
                "-X",
                "--max-depth",
                "--block-size",
                "--threshold",
                "--exclude-from",
                "--time-style",
            ],
            forbidden: &["-L", "--dereference", "--files0-from"],
            ..spec(Metadata)
        },
        "df" => Spec {
            value_flags: &[
                "-B",
                "-t",
                "-x",
                "--block-size",
                "--type",
                "--exclude-type",
                "--output",
            ],
            ..spec(Metadata)
        },
        "tree" => Spec {
            value_flags: &[
                "-L",
                "-I",
                "-P",
                "-H",
                "-T",
                "--charset",
                "--filelimit",
                "--timefmt",
                "--sort",
            ],
            forbidden: &[
                "-o",
                "--fromfile",
                "-R",
                "-l",
                "--gitfile",
                "--infofile",
                "--info",
            ],
            ..spec(Metadata)
        },
        "hexdump" => Spec {
            value_flags: &["-e", "-n", "-s"],
            forbidden: &["-f", "--format-file"],
            ..spec(Content)
        },
        "grep" | "egrep" | "fgrep" => Spec {
            value_flags: &[
                "-e",
                "-f",
                "-m",
                "-A",
                "-B",
                "-C",
                "-d",
                "-D",
                "--regexp",
                "--file",
                "--max-count",
                "--after-context",
                "--before-context",
                "--context",
                "--include",
                "--exclude",
                "--exclude-dir",
                "--exclude-from",
                "--label",
                "--color",
                "--colour",
                "--binary-files",
                "--devices",
                "--directories",
                "--group-separator",
            ],
            ..spec(PatternThenContent)
        },
        "rg" => Spec {
            value_flags: &[
                "-e",
                "-f",
                "-g",
                "-t",
                "-T",
                "-m",
                "-A",
                "-B",
                "-C",
                "-j",
                "-M",
                "-r",
                "-E",
                "-d",
                "--type",
                "--type-not",
                "--glob",
                "--iglob",
                "--max-count",
                "--max-depth",
                "--regexp",
                "--file",
                "--replace",
                "--color",
                "--colors",
                "--context",
                "--after-context",
                "--before-context",
                "--sort",
                "--sortr",
                "--encoding",
                "--max-columns",
                "--max-filesize",
                "--path-separator",
                "--type-add",
                "--ignore-file",
                "--threads",
                "--context-separator",
                "--field-match-separator",
            ],
            forbidden: &[
                "--pre",
                "--pre-glob",
                "--hostname-bin",
                "--hidden",
                "-.",
                "-u",
                "--unrestricted",
                "--no-ignore",
                "--no-ignore-vcs",
                "--no-ignore-dot",
                "--no-ignore-global",
                "--no-ignore-parent",
                "--no-ignore-files",
                "--no-ignore-exclude",
                "-L",
                "--follow",
                "-z",
                "--search-zip",
            ],
            ..spec(PatternThenContent)
        },
        "sort" => Spec {
            value_flags: &[
                "-k",
                "-t",
                "-S",
                "-T",
                "--key",
                "--field-separator",
                "--buffer-size",
                "--temporary-directory",
                "--parallel",
                "--files0-from",
                "--batch-size",
            ],
            forbidden: &[
                "-o",
                "--output",
                "--compress-program",
                "--files0-from",
                "--random-source",
                "-T",
                "--temporary-directory",
            ],
            ..spec(Content)
        },
        "uniq" => Spec {
            value_flags: &[
                "-f",
                "-s",
                "-w",
                "--skip-fields",
                "--skip-chars",
                "--check-chars",
            ],
            // A second file name is the *output* file.
            max_positionals: Some(1),
            ..spec(Content)
        },
        "cut" => Spec {
            value_flags: &[
                "-d",
                "-f",
                "-c",
                "-b",
                "--delimiter",
                "--fields",
                "--characters",
                "--bytes",
                "--output-delimiter",
            ],
            ..spec(Content)
        },
        "diff" => Spec {
            value_flags: &[
                "-U",
                "-C",
                "-L",
                "-x",
                "-X",
                "-I",
                "-F",
                "--label",
                "--exclude",
                "--exclude-from",
                "--ignore-matching-lines",
                "--show-function-line",
                "--horizon-lines",
                "--width",
                "-W",
            ],
            forbidden: &[
                "-r",
                "--recursive",
                "-N",
                "--new-file",
                "--unidirectional-new-file",
            ],
            ..spec(Content)
        },
        "tr" | "echo" | "seq" | "true" | "false" | "test" | "[" | "pwd" | "whoami" | "id"
        | "uname" | "basename" | "dirname" | "which" | "nproc" | "arch" | "tty" | "groups"
        | "printf" | "type" | "expr" | "logname" | "users" | "locale" => Spec {
            forbidden: &["-v"],
            ..spec(Text)
        },
        "date" => Spec {
            value_flags: &[
                "-d",
                "--date",
                "-r",
                "--reference",
                "-f",
                "--file",
                "-I",
                "--iso-8601",
                "--rfc-3339",
            ],
            forbidden: &["-s", "--set"],
            ..spec(Text)
        },
        "hostname" => Spec {
            allowed: Some(&[
                "-f",
                "-s",
                "-i",
                "-I",
                "-d",
                "-A",
                "-a",
                "-y",
                "--fqdn",
                "--short",
                "--all-fqdns",
                "--ip-address",
                "--all-ip-addresses",
                "--domain",
                "--alias",
            ]),
            max_positionals: Some(0),
            ..spec(Text)
        },
        _ => return None,
    })
}

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
        let Some(first) = argv.first() else { return };
        let Some(raw_name) = first.lit.clone() else {
            self.facts.dynamic = true;
            self.facts.not_understood(format!(
                "program name `{}` is computed at run time",
                assent_core::text::escape_line(&first.raw)
            ));
            self.facts.programs.insert("(dynamic)".into());
            self.unknown_args(&argv[1..], "(dynamic)");
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
        if let Some(sub) = argv[1..]
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
        if argv.len() == 2 && argv[1].is("--version") && VERSION_QUERIES.contains(&name.as_str()) {
            // `cargo --version`: prints a version, touches nothing.
            return;
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
                .is_some_and(|x| x.chars().all(|c| c.is_ascii_digit()) || x.starts_with('-')));
        if (is_assent && !matches!(first_arg, "check" | "--version" | "--help" | "-h" | "-V"))
            || approver_verb
        {
            self.facts.guard_tamper = true;
        }
        if KILLERS.contains(&name.as_str()) {
            self.killer = true;
            self.kill_targets(&name, &argv[1..]);
        }
        let args = &argv[1..];
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
            "printenv" => {
                self.not_read_only();
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
            "sed" => self.sed(args),
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
            n if args.len() == 1 && args[0].is("--version") && VERSION_QUERIES.contains(&n) => {}
            "xargs" => self.xargs(args),
            "git" => self.git(args),
            "cd" => self.cd(args),
            "pushd" | "popd" => {
                // `pushd -n` does not move; `popd` goes wherever the stack says.
                self.not_read_only();
                self.ctx.cwd_unknown = true;
            }
            "command" if args.first().is_some_and(|a| a.is("-v") || a.is("-V")) => {}
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
                if is_awk(&name) {
                    self.awk(args);
                    return;
                }
                if let Some(spec) = allowlisted(&name) {
                    if name == "printf" {
                        if let Some(pos) = args.iter().position(|a| a.is("-v")) {
                            if let Some(var) = args.get(pos + 1).and_then(|a| a.lit.as_deref()) {
                                self.assign_var(var);
                            }
                        }
                    }
                    self.allowlisted_cmd(&name, &spec, args);
                    return;
                }
                self.not_read_only();
                self.unknown_args(args, &name);
            }
        }
    }

    /// Runs the words as a script, as `eval` and `bash -c` do.
    fn run_joined(&mut self, args: &[Arg], who: &str) {
        if args.iter().any(|a| a.lit.is_none()) {
            self.facts.dynamic = true;
            self.facts
                .not_understood(format!("`{who}` runs text computed at run time"));
            return;
        }
        let text: Vec<&str> = args.iter().filter_map(|a| a.lit.as_deref()).collect();
        self.script(&text.join(" "));
    }

    fn shell(&mut self, args: &[Arg], stdin: Stdin) {
        self.not_read_only();
        self.facts.wrapper = true;
        let mut i = 0;
        let mut command_string = false;
        while i < args.len() {
            let Some(a) = args[i].lit.as_deref() else {
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

    fn interpreter(&mut self, name: &str, inline: &[&str], args: &[Arg], stdin: Stdin) {
        self.not_read_only();
        let mut code: Option<Arg> = None;
        let mut script: Option<&Arg> = None;
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
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
                let last = &l[l.len() - 1..];
                if inline.iter().any(|f| f.len() == 2 && &f[1..] == last) {
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
    pub(super) fn inspect_code(&mut self, code: &Arg) {
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
        let mut rest = text.as_str();
        let mut tokens: Vec<&str> = Vec::new();
        while !rest.is_empty() {
            let start =
                rest.find(|c: char| !(c.is_whitespace() || "'\"`(),;[]{}=+<>|".contains(c)));
            let Some(s) = start else { break };
            rest = &rest[s..];
            let end = rest
                .find(|c: char| c.is_whitespace() || "'\"`(),;[]{}=+<>|".contains(c))
                .unwrap_or(rest.len());
            tokens.push(&rest[..end]);
            rest = &rest[end..];
        }
        for tok in tokens.into_iter().take(2000) {
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

    fn awk(&mut self, args: &[Arg]) {
        self.not_read_only();
        self.facts.inline_eval = true;
        let mut i = 0;
        let mut have_program = false;
        while i < args.len() {
            let a = &args[i];
            match a.lit.as_deref() {
                Some("-f") | Some("--file") => {
                    if let Some(f) = args.get(i + 1) {
                        self.read_path(f, true);
                    }
                    have_program = true;
                    i += 2;
                    continue;
                }
                Some("-v") | Some("-F") | Some("--assign") | Some("--field-separator") => {
                    i += 2;
                    continue;
                }
                Some(l) if l.starts_with('-') && l.len() > 1 => {
                    i += 1;
                    continue;
                }
                _ => {}
            }
            if !have_program {
                self.inspect_code(a);
                have_program = true;
            } else {
                self.read_path(a, true);
            }
            i += 1;
        }
    }

    fn env_cmd(&mut self, args: &[Arg], stdin: Stdin) {
        self.not_read_only();
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
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
        self.exec(args[i..].to_vec(), stdin);
    }

    fn var_builtin(&mut self, name: &str, args: &[Arg]) {
        self.not_read_only();
        let flags: Vec<&str> = args
            .iter()
            .filter_map(|a| a.lit.as_deref())
            .filter(|a| a.starts_with('-') || a.starts_with('+'))
            .collect();
        let names: Vec<&Arg> = args
            .iter()
            .filter(|a| !(a.starts_with("-") || a.starts_with("+")))
            .collect();
        match name {
            "export" | "declare" | "typeset" | "readonly" | "local" => {
                if flags.iter().any(|f| f.contains('n')) {
                    // `declare -n r=PORT` makes every later `r=…` a change of PORT.
                    for a in &names {
                        if let Some((_, target)) = a.lit.as_deref().and_then(|l| l.split_once('='))
                        {
                            self.assign_var(target);
                        }
                    }
                }
                let prints = flags.iter().any(|f| f.contains('p'))
                    || flags.is_empty()
                    || flags.iter().all(|f| f.contains('x'));
                if names.is_empty() && prints {
                    self.facts.env_dump = true;
                }
            }
            "set" => {
                if args.is_empty() {
                    self.facts.env_dump = true;
                }
                return;
            }
            "compgen" => {
                if flags.iter().any(|f| f.contains('e') || f.contains('v'))
                    || args.iter().any(|a| a.is("variable") || a.is("export"))
                {
                    self.facts.env_dump = true;
                }
                return;
            }
            "shopt" | "alias" | "unalias" | "hash" | "enable" => return,
            _ => {}
        }
        let skip_values: &[&str] = match name {
            "read" => &["-p", "-t", "-n", "-N", "-d", "-u", "-i", "-a"],
            "mapfile" | "readarray" => &["-d", "-n", "-O", "-s", "-u", "-C", "-c"],
            _ => &[],
        };
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            match a.lit.as_deref() {
                Some(l) if skip_values.contains(&l) => {
                    if l == "-a" {
                        if let Some(n) = args.get(i + 1).and_then(|a| a.lit.as_deref()) {
                            self.assign_var(n);
                        }
                    }
                    i += 2;
                    continue;
                }
                Some(l) if l.starts_with('-') || l.starts_with('+') => {}
                Some(l) => {
                    let var = l.split_once(['=', '[', '+']).map(|(n, _)| n).unwrap_or(l);
                    if name == "getopts" && i == 0 {
                        // the option string
                    } else if is_name(var) {
                        self.assign_var(var);
                    } else if name == "let" {
                        let var: String = l
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        if !var.is_empty() {
                            self.assign_var(&var);
                        }
                    }
                }
                None => {
                    self.facts.dynamic = true;
                    self.facts.env_change = true;
                }
            }
            i += 1;
        }
    }

    fn find(&mut self, args: &[Arg]) {
        const NO_VALUE: &[&str] = &[
            "-print",
            "-print0",
            "-ls",
            "-empty",
            "-true",
            "-false",
            "-prune",
            "-quit",
            "-depth",
            "-d",
            "-mount",
            "-xdev",
            "-noleaf",
            "-follow",
            "-readable",
            "-writable",
            "-executable",
            "-nouser",
            "-nogroup",
            "-daystart",
            "-not",
            "!",
            "(",
            ")",
            "-o",
            "-a",
            "-and",
            "-or",
            ",",
            "-ignore_readdir_race",
            "-noignore_readdir_race",
            "-L",
            "-H",
            "-P",
        ];
        const ONE_VALUE: &[&str] = &[
            "-name",
            "-iname",
            "-path",
            "-ipath",
            "-wholename",
            "-iwholename",
            "-regex",
            "-iregex",
            "-type",
            "-xtype",
            "-maxdepth",
            "-mindepth",
            "-size",
            "-mtime",
            "-mmin",
            "-atime",
            "-amin",
            "-ctime",
            "-cmin",
            "-newer",
            "-anewer",
            "-cnewer",
            "-perm",
            "-user",
            "-group",
            "-uid",
            "-gid",
            "-links",
            "-inum",
            "-samefile",
            "-lname",
            "-ilname",
            "-used",
            "-regextype",
            "-printf",
            "-fstype",
            "-newermt",
            "-newerct",
            "-newerat",
            "-context",
        ];
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            match a.lit.as_deref() {
                Some(l) if l.starts_with('-') || l == "!" || l == "(" || l == ")" => break,
                _ => {
                    self.read_path(a, false);
                    i += 1;
                }
            }
        }
        if i == 0 {
            self.read_path(&Arg::literal("."), false);
        }
        while i < args.len() {
            let a = &args[i];
            let Some(l) = a.lit.as_deref() else {
                self.facts.dynamic = true;
                self.not_read_only();
                i += 1;
                continue;
            };
            match l {
                "-exec" | "-execdir" | "-ok" | "-okdir" => {
                    self.not_read_only();
                    self.facts.wrapper = true;
                    let end = args[i + 1..]
                        .iter()
                        .position(|a| a.is(";") || a.is("+"))
                        .map(|p| i + 1 + p)
                        .unwrap_or(args.len());
                    let inner: Vec<Arg> = args[i + 1..end]
                        .iter()
                        .map(|a| {
                            if a.lit.as_deref().is_some_and(|l| l.contains("{}")) {
                                Arg::dynamic("{}")
                            } else {
                                a.clone()
                            }
                        })
                        .collect();
                    self.exec(inner, Stdin::Terminal);
                    i = end + 1;
                }
                "-delete" => {
                    self.not_read_only();
                    self.facts.destructive = true;
                    i += 1;
                }
                "-fprint" | "-fprint0" | "-fls" => {
                    if let Some(t) = args.get(i + 1) {
                        self.write_path(t, false);
                    }
                    i += 2;
                }
                "-fprintf" => {
                    if let Some(t) = args.get(i + 1) {
                        self.write_path(t, false);
                    }
                    i += 3;
                }
                "-follow" | "-L" => {
                    // Following symlinks walks out of the workspace.
                    self.not_read_only();
                    i += 1;
                }
                l if NO_VALUE.contains(&l) => i += 1,
                l if ONE_VALUE.contains(&l) => {
                    if l == "-newer" || l == "-anewer" || l == "-cnewer" || l == "-samefile" {
                        if let Some(f) = args.get(i + 1) {
                            self.read_path(f, false);
                        }
                    }
                    i += 2;
                }
                _ => {
                    self.not_read_only();
                    self.facts.not_understood(format!(
                        "find predicate `{}` is not known",
                        assent_core::text::escape_line(l)
                    ));
                    i += 1;
                }
            }
        }
        if self.facts.destructive {
            // `find ~ -delete` deletes whatever is below its roots.
            for a in args.iter().take_while(|a| !a.starts_with("-")) {
                if let Some(l) = &a.lit {
                    let class = self.ctx.classify(self.cfg, l);
                    if class.guard || class.guard_ancestor {
                        self.facts.guard_tamper = true;
                    }
                }
            }
        }
    }

    fn xargs(&mut self, args: &[Arg]) {
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
        while i < args.len() {
            match args[i].lit.as_deref() {
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
        let mut inner: Vec<Arg> = args[i..].to_vec();
        if inner.is_empty() {
            inner.push(Arg::literal("echo"));
        }
        inner.push(Arg::dynamic("(arguments from standard input)"));
        self.exec(inner, Stdin::Unknown("xargs"));
    }

    fn cd(&mut self, args: &[Arg]) {
        let target = args.iter().find(|a| !a.starts_with("-") || a.is("-"));
        match target {
            None => {
                self.ctx.cwd = self.cfg.home.clone();
            }
            Some(t) => match t.lit.as_deref() {
                Some("-") | None => {
                    self.ctx.cwd_unknown = true;
                    self.not_read_only();
                }
                Some(dir) => {
                    let class = self.ctx.classify(self.cfg, dir);
                    self.ctx.cwd = std::path::PathBuf::from(&class.path);
                    if !class.inside_workspace {
                        self.not_read_only();
                        self.facts.outside_workspace = true;
                    }
                }
            },
        }
    }

    /// Arguments of a program we do not know: any of them could be a file it reads or writes.
    pub(super) fn unknown_args(&mut self, args: &[Arg], name: &str) {
        let writes_all = matches!(
            name,
            "rm" | "rmdir"
                | "shred"
                | "unlink"
                | "touch"
                | "mkdir"
                | "chmod"
                | "chown"
                | "chgrp"
                | "chattr"
                | "truncate"
                | "tee"
                | "mv"
                | "srm"
                | "setfacl"
        );
        let writes_last = matches!(name, "cp" | "ln" | "install" | "rsync" | "scp");
        let recursive_delete = matches!(
            name,
            "rm" | "mv"
                | "chmod"
                | "chown"
                | "chgrp"
                | "shred"
                | "rsync"
                | "srm"
                | "setfacl"
                | "chattr"
        );
        let positional_count = args.iter().filter(|a| !a.starts_with("-")).count();
        let mut seen = 0;
        for a in args {
            let Some(l) = a.lit.as_deref() else {
                self.facts.dynamic = true;
                // What it could at most be: `~/.{assent,x}`, `~/$x`.
                if a.skeleton != "*" && !a.skeleton.is_empty() && (recursive_delete || writes_all) {
                    let class = self.ctx.classify(self.cfg, &a.skeleton);
                    if class.guard || class.guard_ancestor {
                        self.facts.guard_tamper = true;
                    }
                }
                continue;
            };
            if !l.starts_with('-') {
                seen += 1;
            }
            // `NAME=value` handed to a program sets a variable somewhere (make, docker -e…).
            if let Some((n, _)) = l.split_once('=') {
                if is_name(n) && self.cfg.env.is_protected(n) {
                    self.facts.env_write.insert(n.to_string());
                }
            }
            if let Some(host) = host_of(l) {
                self.facts.hosts.insert(host);
                if !NETWORK.contains(&name) {
                    self.facts.network = true;
                }
            }
            if l.contains("://") {
                // A URL is not a file name (and joining it to a directory would mangle it
                // past redaction).
                continue;
            }
            let is_write = !l.starts_with('-')
                && (writes_all
                    || (writes_last && seen == positional_count && positional_count > 1));
            for candidate in path_candidates(l) {
                let class = self.ctx.classify(self.cfg, &candidate);
                let pathish = candidate.contains('/')
                    || candidate.starts_with('.')
                    || candidate.starts_with('~');
                if pathish || class.secret || class.guard {
                    self.facts.paths.insert(class.path.clone());
                }
                if class.secret {
                    if class.glob
                        || matches!(
                            name,
                            "echo"
                                | "printf"
                                | "test"
                                | "["
                                | "ls"
                                | "stat"
                                | "basename"
                                | "dirname"
                                | "realpath"
                                | "readlink"
                        )
                    {
                        self.facts.secret_mention = true;
                    } else {
                        self.facts.secret_read = true;
                    }
                }
                if class.guard {
                    self.facts.guard_tamper = true;
                }
                let names_guard_dir = self.names_guard_dir(&candidate);
                if names_guard_dir {
                    // `cp -t .claude …`, `tar -C .claude`, `vim .claude`: anything but a
                    // read-only look into the hook settings' directory.
                    self.facts.guard_tamper = true;
                }
                if class.guard_ancestor && (recursive_delete || is_write) && !l.starts_with('-') {
                    self.facts.guard_tamper = true;
                }
                if class.secret_ancestor
                    && !l.starts_with('-')
                    && matches!(
                        name,
                        "tar" | "zip" | "cp" | "rsync" | "scp" | "7z" | "cpio" | "gzip" | "base64"
                    )
                {
                    self.facts.secret_mention = true;
                }
                if pathish && !class.inside_workspace {
                    self.facts.outside_workspace = true;
                }
                if is_write && candidate == l {
                    self.facts.write_paths.insert(class.path.clone());
                }
            }
        }
    }

    fn allowlisted_cmd(&mut self, name: &str, spec: &Spec, args: &[Arg]) {
        let mut positionals: Vec<&Arg> = Vec::new();
        let mut pattern_given = false;
        let mut recursive = false;
        let mut rg_globs = false;
        let mut i = 0;
        let mut end_of_flags = false;
        if name == "printf"
            && args
                .first()
                .and_then(|a| a.lit.as_deref())
                .is_some_and(|l| l.starts_with('-') && l != "--")
        {
            // `printf -v NAME` and `-vNAME` assign a variable.
            self.not_read_only();
            if let Some(l) = args.first().and_then(|a| a.lit.as_deref()) {
                let var = l.trim_start_matches("-v");
                let var = if var.is_empty() {
                    args.get(1).and_then(|a| a.lit.as_deref()).unwrap_or("")
                } else {
                    var
                };
                let var = var.split('[').next().unwrap_or(var);
                if !var.is_empty() {
                    self.assign_var(var);
                }
            }
        }
        if args.iter().any(|a| a.starts_with("@"))
            && !matches!(name, "echo" | "printf" | "grep" | "egrep" | "fgrep" | "rg")
        {
            // binutils read `@FILE` as a list of more arguments.
            self.not_read_only();
        }
        while i < args.len() {
            let a = &args[i];
            let Some(l) = a.lit.as_deref() else {
                self.facts.dynamic = true;
                self.not_read_only();
                positionals.push(a);
                i += 1;
                continue;
            };
            if end_of_flags
                || !l.starts_with('-')
                || l == "-"
                || spec.positionals == Positionals::Text
                    && name != "date"
                    && name != "hostname"
                    && !l.starts_with('-')
            {
                positionals.push(a);
                i += 1;
                continue;
            }
            if l == "--" {
                end_of_flags = true;
                i += 1;
                continue;
            }
            if matches!(name, "head" | "tail") && l[1..].chars().all(|c| c.is_ascii_digit()) {
                i += 1;
                continue;
            }
            let (flag, attached) = match l.split_once('=') {
                Some((f, _)) if l.starts_with("--") => (f, true),
                _ => (l, false),
            };
            if l.starts_with("--") {
                if spec.forbidden.contains(&flag)
                    || spec.allowed.is_some_and(|al| !al.contains(&flag))
                    || dangerous_long(name, flag, spec.forbidden)
                {
                    self.not_read_only();
                }
                let value_now = l
                    .split_once('=')
                    .map(|(_, v)| v)
                    .or_else(|| args.get(i + 1).and_then(|a| a.lit.as_deref()))
                    .unwrap_or("");
                if (flag.len() >= 5 && "--recursive".starts_with(flag))
                    || flag == "--dereference-recursive"
                    || (flag.len() >= 5
                        && "--directories".starts_with(flag)
                        && value_now.starts_with("rec"))
                {
                    recursive = true;
                }
                if name == "rg" && matches!(flag, "--glob" | "--iglob" | "--type-add") {
                    rg_globs = true;
                }
                if matches!(flag, "--regexp" | "--file") {
                    pattern_given = true;
                }
                let reads_file = FILE_VALUE_FLAGS.contains(&flag)
                    || (flag.len() >= 3 && FILE_VALUE_FLAGS.iter().any(|f| f.starts_with(flag)));
                if attached {
                    if reads_file {
                        let value = l.split_once('=').map(|(_, v)| v).unwrap_or("");
                        self.read_path(&Arg::literal(value), true);
                    }
                    i += 1;
                } else if spec.value_flags.contains(&flag) || reads_file {
                    if reads_file {
                        if let Some(v) = args.get(i + 1) {
                            self.read_path(v, true);
                        }
                    } else if let Some(v) = args.get(i + 1) {
                        self.flag_value(name, flag, v);
                    }
                    i += 2;
                } else {
                    i += 1;
                }
                continue;
            }
            // A short-flag cluster: `-la`, `-n20`, `-e PATTERN`.
            if name == "echo"
                || (name == "test" || name == "[")
                || name == "expr"
                || name == "printf" && l != "-v"
            {
                positionals.push(a);
                i += 1;
                continue;
            }
            let chars: Vec<char> = l[1..].chars().collect();
            let mut consumed_next = false;
            for (k, c) in chars.iter().enumerate() {
                let f = format!("-{c}");
                if matches!(name, "grep" | "egrep" | "fgrep") && *c == 'd' {
                    let value: String = chars[k + 1..].iter().collect();
                    let value = if value.is_empty() {
                        args.get(i + 1)
                            .and_then(|a| a.lit.clone())
                            .unwrap_or_default()
                    } else {
                        value
                    };
                    if value.starts_with("rec") {
                        recursive = true;
                    }
                }
                if name == "rg" && *c == 'g' {
                    rg_globs = true;
                }
                if matches!(name, "grep" | "egrep" | "fgrep") && (*c == 'r' || *c == 'R') {
                    recursive = true;
                    if *c == 'R' {
                        // -R follows every symlink, out of the workspace.
                        self.not_read_only();
                    }
                }
                if spec.forbidden.contains(&f.as_str())
                    || spec.allowed.is_some_and(|al| !al.contains(&f.as_str()))
                {
                    self.not_read_only();
                }
                if (f == "-e" || f == "-f") && spec.positionals == Positionals::PatternThenContent {
                    pattern_given = true;
                }
                if spec.value_flags.contains(&f.as_str()) || short_file_flag(name, &f) {
                    let value_attached = k + 1 < chars.len();
                    if !value_attached {
                        if short_file_flag(name, &f) {
                            if let Some(v) = args.get(i + 1) {
                                self.read_path(v, true);
                            }
                        } else if let Some(v) = args.get(i + 1) {
                            self.flag_value(name, &f, v);
                        }
                        consumed_next = true;
                    } else if short_file_flag(name, &f) {
                        let value: String = chars[k + 1..].iter().collect();
                        self.read_path(&Arg::literal(&value), true);
                    }
                    break;
                }
            }
            i += if consumed_next { 2 } else { 1 };
        }
        if let Some(max) = spec.max_positionals {
            if positionals.len() > max {
                self.not_read_only();
            }
        }
        let files: Vec<&Arg> = match spec.positionals {
            Positionals::Text => {
                // Text arguments are not read, but a protected variable assignment or a
                // secret named for display is still worth knowing.
                for a in &positionals {
                    if let Some(l) = &a.lit {
                        if (l.contains('/') || l.starts_with('.') || l.starts_with('~'))
                            && self.ctx.classify(self.cfg, l).secret
                        {
                            self.facts.secret_mention = true;
                        }
                        self.note_guard_mention(l);
                        // Terminal control sequences in output can rewrite what a person
                        // sees (`echo $'\e[2J'`, `printf '\033]52;…'`).
                        let escapes = [
                            "\\e", "\\033", "\\x1b", "\\x1B", "\\u001b", "\\x9b", "\\233", "\\E",
                        ];
                        // printf and `echo -e` turn `\NNN`, `\xHH`, `\uHHHH`, `\e`, `\c` into bytes.
                        let interprets = l
                            .as_bytes()
                            .windows(2)
                            .any(|w| w[0] == b'\\' && b"01234567xuUeEc".contains(&w[1]));
                        if l.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
                            || !assent_core::text::scan(l).is_empty()
                            || (matches!(name, "printf" | "echo")
                                && (escapes.iter().any(|e| l.contains(e)) || interprets))
                        {
                            self.not_read_only();
                            self.facts.hidden_text = true;
                        }
                    }
                    if matches!(name, "test" | "[") {
                        self.arithmetic_operand(a);
                    }
                }
                Vec::new()
            }
            Positionals::PatternThenContent if !pattern_given => {
                positionals.iter().skip(1).copied().collect()
            }
            _ => positionals.clone(),
        };
        let content = matches!(
            spec.positionals,
            Positionals::Content | Positionals::PatternThenContent
        );
        if files.is_empty() && matches!(name, "ls" | "dir" | "vdir" | "tree" | "du") {
            // These list the current directory when given nothing.
            self.read_path(&Arg::literal("."), false);
        }
        if recursive {
            self.recursive_read(&files);
        }
        if name == "rg" && !args.iter().any(|a| a.is("--files") || a.is("--type-list")) {
            // ripgrep searches directories recursively by default, skipping hidden files
            // unless a glob or type names them.
            let dirs: Vec<&Arg> = files
                .iter()
                .copied()
                .filter(|f| {
                    f.lit.as_deref().is_some_and(|l| {
                        std::path::Path::new(&self.ctx.classify(self.cfg, l).path).is_dir()
                    })
                })
                .collect();
            if files.is_empty() || !dirs.is_empty() {
                self.recursive_read_with(&dirs, !rg_globs);
            }
        }
        if matches!(name, "diff" | "cmp") && self.cfg.resolve_symlinks {
            // diff compares same-named files of two directories: every file in them is read.
            for f in &files {
                if let Some(l) = &f.lit {
                    if std::path::Path::new(&self.ctx.classify(self.cfg, l).path).is_dir() {
                        self.not_read_only();
                    }
                }
            }
        }
        for f in files {
            self.read_path(f, content);
        }
    }

    /// `grep -r`: a recursive read sees every file below its roots, so the roots must hold no
    /// secret. Checked on the file system (bounded); without file-system access it asks.
    fn recursive_read(&mut self, roots: &[&Arg]) {
        self.recursive_read_with(roots, false)
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

    /// `sed` is read-only in one form only: `sed -n 'ADDRp' FILE…` with line-number
    /// addresses (`10p`, `1,20p`, `$p`). Every other script can write (`w`), run (`e`) or
    /// edit in place (`-i`); those are judged as an unknown program.
    fn sed(&mut self, args: &[Arg]) {
        let addr = |a: &str| {
            a == "$" || (!a.is_empty() && a.len() <= 12 && a.chars().all(|c| c.is_ascii_digit()))
        };
        let script_ok = |s: &str| {
            s.split(';').map(str::trim).all(|cmd| {
                cmd.strip_suffix('p')
                    .is_some_and(|range| match range.split_once(',') {
                        Some((a, b)) => addr(a) && addr(b),
                        None => addr(range),
                    })
            })
        };
        let mut quiet = false;
        let mut script: Option<&str> = None;
        let mut files: Vec<&Arg> = Vec::new();
        let mut ok = true;
        for a in args {
            match a.lit.as_deref() {
                Some("-n") | Some("--quiet") | Some("--silent") => quiet = true,
                Some(l) if l.starts_with('-') && l != "-" => ok = false,
                Some(l) if script.is_none() => script = Some(l),
                Some(_) => files.push(a),
                None => {
                    ok = false;
                    self.facts.dynamic = true;
                }
            }
        }
        if ok && quiet && script.is_some_and(script_ok) {
            for f in files {
                self.read_path(f, true);
            }
            return;
        }
        self.not_read_only();
        self.unknown_args(args, "sed");
    }

    /// The value of an option. Patterns, formats and separators are not files, but a value
    /// that looks like a path is checked like one (a flag wrongly taken to need a value must
    /// not hide a file), and ripgrep globs can name hidden secrets.
    fn flag_value(&mut self, name: &str, flag: &str, v: &Arg) {
        let Some(l) = v.lit.as_deref() else { return };
        const NOT_FILES: &[&str] = &[
            "-e",
            "--regexp",
            "-d",
            "--delimiter",
            "-t",
            "--field-separator",
            "-c",
            "--format",
            "--printf",
            "-I",
            "-P",
            "--exclude",
            "--include",
            "--exclude-dir",
            "--hide",
            "--ignore",
            "-m",
            "--max-count",
            "-n",
            "--lines",
            "--bytes",
            "-w",
            "-s",
            "--label",
            "-o",
            "--output-delimiter",
            "--color",
            "--colour",
            "--sort",
            "--sortr",
            "-k",
            "--key",
            "-M",
            "-E",
            "--encoding",
        ];
        if name == "rg" && matches!(flag, "-g" | "--glob" | "--iglob" | "--type-add") {
            let pattern = l.rsplit(':').next().unwrap_or(l).trim_start_matches('!');
            let probe = format!("./{pattern}");
            if self.ctx.classify(self.cfg, &probe).secret || pattern.contains("env") {
                self.facts.secret_mention = true;
                self.not_read_only();
            }
            return;
        }
        if NOT_FILES.contains(&flag) || l == "/" || l.is_empty() {
            return;
        }
        if l.contains('/') || l.starts_with('.') || l.starts_with('~') {
            self.read_path(v, true);
        }
    }

    /// A recursive read (`grep -r`, `rg`, `git grep`): every file below the roots is read, so
    /// a tree holding a secret makes it a secret read. Checked on the file system, bounded;
    /// without file-system access, or past the bound, it asks.
    pub(super) fn recursive_read_with(&mut self, roots: &[&Arg], skip_hidden: bool) {
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
                None,
            ) {
                Some(false) => {}
                Some(true) => self.facts.secret_read = true,
                None => {
                    self.not_read_only();
                    self.facts
                        .not_understood("recursive read of a tree too large to check for secrets");
                }
            }
        }
    }

    fn kill_targets(&mut self, name: &str, args: &[Arg]) {
        let guards = self.cfg.guard_process_names.clone();
        let could_match = |pattern: &str| {
            let p = pattern.to_ascii_lowercase();
            guards
                .iter()
                .any(|g| g.contains(p.as_str()) || p.contains(g.as_str()))
                || p.contains(['.', '*', '?', '[', '|', '+', '^', '$', '\\', '('])
        };
        let pattern_killer = matches!(name, "pkill" | "killall" | "skill" | "snice" | "pgrep");
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            let Some(l) = a.lit.as_deref() else {
                // `kill $(pgrep …)`: the target is unknown; the whole command text decides.
                i += 1;
                continue;
            };
            let lower = l.to_ascii_lowercase();
            if guards.iter().any(|g| lower.contains(g.as_str())) {
                self.facts.guard_tamper = true;
            }
            // Every process of a user or of every user: Assent's included.
            if pattern_killer
                && matches!(
                    l,
                    "-u" | "-U" | "--uid" | "--euid" | "-g" | "--pgroup" | "--user"
                )
            {
                self.facts.guard_tamper = true;
            }
            if pattern_killer && !l.starts_with('-') && could_match(l) {
                self.facts.guard_tamper = true;
            }
            if pattern_killer && matches!(l, "-r" | "--regexp" | "-f" | "--full") {
                if let Some(p) = args.get(i + 1).and_then(|a| a.lit.as_deref()) {
                    if could_match(p) {
                        self.facts.guard_tamper = true;
                    }
                }
            }
            if matches!(name, "kill" | "tkill") && (l == "-1" || l == "0" || l == "-0") && i > 0 {
                self.facts.guard_tamper = true;
            }
            if matches!(name, "kill" | "tkill")
                && l == "--"
                && args.get(i + 1).is_some_and(|a| a.is("-1"))
            {
                self.facts.guard_tamper = true;
            }
            if self.cfg.resolve_symlinks && !l.is_empty() && l.chars().all(|c| c.is_ascii_digit()) {
                if let Ok(comm) = std::fs::read_to_string(format!("/proc/{l}/comm")) {
                    let comm = comm.trim().to_ascii_lowercase();
                    if guards.iter().any(|g| comm.contains(g.as_str())) {
                        self.facts.guard_tamper = true;
                    }
                }
            }
            i += 1;
        }
        if name == "kill" && args.iter().any(|a| a.is("-1")) {
            // `kill -9 -1`, `kill -s KILL -1`: every process the user owns.
            self.facts.guard_tamper = true;
        }
    }
}

/// What a wrapper runs.
enum Inner {
    Argv(Vec<Arg>),
    Script(Arg),
    Opaque(&'static str),
}

impl Walker<'_> {
    fn wrapper_inner(&mut self, name: &str, args: &[Arg]) -> Option<Inner> {
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
                        return Some(Inner::Argv(args[p + 1..].to_vec()));
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
                while i < args.len() && args[i].starts_with("-") {
                    i += if args[i].is("-n") || args[i].is("--interval") || args[i].is("-q") {
                        2
                    } else {
                        1
                    };
                }
                if args.iter().any(|a| a.is("-x") || a.is("--exec")) {
                    return Some(Inner::Argv(args[i..].to_vec()));
                }
                let joined: Vec<&str> = args[i..].iter().filter_map(|a| a.lit.as_deref()).collect();
                if joined.len() != args[i..].len() {
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
                    return Some(Inner::Argv(args[p + 1..].to_vec()));
                }
                return Some(Inner::Opaque("a command whose position is not known"));
            }
            _ => {}
        }
        let mut i = 0;
        while i < args.len() {
            let Some(l) = args[i].lit.as_deref() else {
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
            if name == "nice" && l[1..].chars().all(|c| c.is_ascii_digit()) {
                // nice -10 cmd
            }
            i += 1;
        }
        if name == "chrt" {
            // chrt [options] prio command
            while i < args.len() && args[i].starts_with("-") {
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

/// The strings inside one argument that might be file names: the argument itself, the value
/// after `=` (`--file=.env`, `if=/dev/sda`), after `@` (`-d @.env`), and after the last `:`
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
    let start = arg.find(|c: char| c.is_ascii_alphabetic())?;
    url::Url::parse(&arg[start..])
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
}
