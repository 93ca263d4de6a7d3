//! `sed`: read-only only as a print-only script.

use super::super::words::Arg;
use super::super::Walker;

impl Walker<'_> {
    /// `sed` is read-only in one form only: `sed -n 'ADDRp' FILE…` with line-number
    /// addresses (`10p`, `1,20p`, `$p`). Every other script can write (`w`), run (`e`) or
    /// edit in place (`-i`); those are judged as an unknown program.
    pub(in crate::shell) fn sed(&mut self, args: &[Arg]) {
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
}
