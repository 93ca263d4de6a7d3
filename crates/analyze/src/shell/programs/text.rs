//! Programs whose every word is text (no options in the getopt sense): `echo`, `printf`,
//! `test`/`[`, `expr`. Their words are checked for escape sequences that reach the terminal,
//! secrets named for display, and (for `test`) arithmetic that runs code.

use super::grammar::{Operands::*, Program, Style};

/// `printf -v NAME` assigns a variable.
fn printf_check(w: &mut super::super::Walker<'_>, call: &mut super::judge::Call<'_>) {
    let Some(first) = call.args.first().and_then(|a| a.lit.as_deref()) else {
        return;
    };
    if !first.starts_with('-') || first == "--" {
        return;
    }
    call.read_only = false;
    let var = first.trim_start_matches("-v");
    let var = if var.is_empty() {
        call.args
            .get(1)
            .and_then(|a| a.lit.as_deref())
            .unwrap_or("")
    } else {
        var
    };
    let var = var.split('[').next().unwrap_or(var);
    if !var.is_empty() {
        w.assign_var(var);
    }
}

pub(super) const PROGRAMS: &[Program] = &[
    Program {
        style: Style::Raw,
        gnu_common: false,
        ..Program::new(&["echo", "test", "[", "expr"], Text)
    },
    Program {
        style: Style::Raw,
        gnu_common: false,
        check: Some(printf_check),
        ..Program::new(&["printf"], Text)
    },
];
