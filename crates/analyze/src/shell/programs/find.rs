//! `find` (in Claude Code's shell, the bundled `bfs` with GNU find's predicates).

use super::super::words::Arg;
use super::super::{Stdin, Walker};

impl Walker<'_> {
    pub(in crate::shell) fn find(&mut self, args: &[Arg]) {
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
}
