//! Shell builtins that change or print the shell's state: variables and the working directory.

use super::super::words::{is_name, Arg};
use super::super::Walker;

impl Walker<'_> {
    pub(in crate::shell) fn var_builtin(&mut self, name: &str, args: &[Arg]) {
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
        while let Some(a) = args.get(i) {
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
}
