//! Programs not on the allowlist: not read-only, but every argument is still checked for
//! secrets, guard paths, protected variables and network hosts so that a hard deny applies.

use super::super::words::{is_name, Arg};
use super::super::Walker;
use super::{host_of, path_candidates, NETWORK};

impl Walker<'_> {
    /// Arguments of a program we do not know: any of them could be a file it reads or writes.
    pub(in crate::shell) fn unknown_args(&mut self, args: &[Arg], name: &str) {
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
            if matches!(name, "scp" | "rsync" | "sftp") && is_remote_spec(l) {
                // `user@host:/etc/`: a path on another machine, not a local write.
                self.facts.network = true;
                continue;
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

    pub(in crate::shell) fn kill_targets(&mut self, name: &str, args: &[Arg]) {
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
        while let Some(a) = args.get(i) {
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

/// `[user@]host:path` (and rsync's `host::module`): names a path on another machine. A local
/// path holding a colon is written `./a:b`.
fn is_remote_spec(l: &str) -> bool {
    let Some((host, _)) = l.split_once(':') else {
        return false;
    };
    !host.is_empty()
        && !l.starts_with(['/', '.', '~', '-'])
        && !host.contains('/')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '-' | '_' | '[' | ']'))
}
