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
        while let Some(a) = args.get(i) {
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
        let roots: Vec<Arg> = match args.get(..i) {
            Some(r) if !r.is_empty() => r.to_vec(),
            _ => vec![Arg::literal(".")],
        };
        if roots.iter().any(|r| self.glob_may_be_option(r)) {
            self.not_read_only();
        }
        // `-exec` reads the files found: with a single `-name` and no alternatives, only
        // files matching it.
        let names: Vec<&str> = args
            .iter()
            .zip(args.iter().skip(1))
            .filter(|(a, _)| a.is("-name") || a.is("-iname"))
            .filter_map(|(_, v)| v.lit.as_deref())
            .collect();
        let alternatives = args
            .iter()
            .any(|a| a.is("-o") || a.is("-or") || a.is(",") || a.is("!") || a.is("-not"));
        let only: Option<String> = match names.as_slice() {
            [one] if !alternatives => Some((*one).to_string()),
            _ => None,
        };
        while let Some(a) = args.get(i) {
            let Some(l) = a.lit.as_deref() else {
                self.facts.dynamic = true;
                self.not_read_only();
                i += 1;
                continue;
            };
            match l {
                "-exec" | "-execdir" | "-ok" | "-okdir" => {
                    let end = args
                        .iter()
                        .skip(i + 1)
                        .position(|a| a.is(";") || a.is("+"))
                        .map(|p| i + 1 + p)
                        .unwrap_or(args.len());
                    let raw_inner = args.get(i + 1..end).unwrap_or(&[]);
                    if matches!(l, "-exec" | "-execdir")
                        && end < args.len()
                        && self.read_only_exec(raw_inner, &roots, only.as_deref())
                    {
                        i = end + 1;
                        continue;
                    }
                    self.not_read_only();
                    self.facts.wrapper = true;
                    let inner: Vec<Arg> = raw_inner
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
                "-printf" => {
                    // `\033` in the format makes an escape byte at run time.
                    match args.get(i + 1).and_then(|a| a.lit.as_deref()) {
                        Some(f) if super::grammar::format_safe(f) => {}
                        Some(_) => {
                            self.not_read_only();
                            self.facts.hidden_text = true;
                        }
                        None => self.not_read_only(),
                    }
                    i += 2;
                }
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

    /// `find … -exec CMD … {} +` where CMD is an allowlisted program and `{}` stands alone:
    /// judged as CMD over the roots, plus a recursive read of the roots (limited to `only`).
    /// Returns false (and judges nothing) when that does not apply.
    fn read_only_exec(&mut self, inner: &[Arg], roots: &[Arg], only: Option<&str>) -> bool {
        let Some(program) = inner.first().and_then(|a| a.lit.as_deref()) else {
            return false;
        };
        if program.contains('/') || super::table::find(program).is_none() {
            return false;
        }
        if inner.iter().any(|a| {
            a.lit
                .as_deref()
                .is_none_or(|l| l.contains("{}") && l != "{}")
        }) {
            return false;
        }
        let mut argv: Vec<Arg> = Vec::new();
        for a in inner {
            if a.is("{}") {
                argv.extend(roots.iter().cloned());
            } else {
                argv.push(a.clone());
            }
        }
        self.exec(argv, Stdin::Terminal);
        let refs: Vec<&Arg> = roots.iter().collect();
        self.recursive_read_only(&refs, false, only);
        true
    }
}
