//! `awk` and its variants.

use super::super::words::Arg;
use super::super::Walker;

pub(super) fn is_awk(name: &str) -> bool {
    matches!(name, "awk" | "gawk" | "mawk" | "nawk" | "busybox-awk")
}

impl Walker<'_> {
    pub(in crate::shell) fn awk(&mut self, args: &[Arg]) {
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
}
