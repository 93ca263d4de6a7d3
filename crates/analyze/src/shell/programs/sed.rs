//! `sed`: read-only only when every script is print-only — addresses (numbers, `$`,
//! `/regex/`, `first~step`, `addr,+N`) with `p`, `=`, `l`, `q`, `Q`, `d`, `n`, `N`, `P`, `D`,
//! `F`, hold-space moves, and `s`/`y` without the `e` or `w` flags or escapes that make
//! control bytes. No `e`, `w`, `W`, `r`, `R`, `a`/`i`/`c` text, labels or branches (loops),
//! blocks, `-i`, or `-f` script files.

use super::super::words::Arg;
use super::super::Walker;
use super::grammar::Value::*;
use super::grammar::{bad_req, flag, opt, req, Operands::*, Program};
use super::judge::Call;

/// Whether a `s`/`y` part or an address regex stays printable: no control characters and no
/// GNU escapes that make bytes (`\xHH`, `\oNNN`, `\dNNN`, `\cX`).
fn part_safe(p: &str) -> bool {
    !p.chars().any(|c| c.is_control() && c != '\t')
        && !p
            .as_bytes()
            .windows(2)
            .any(|w| w.first() == Some(&b'\\') && w.get(1).is_some_and(|c| b"xodc".contains(c)))
}

/// Reads up to the next unescaped `delim`; returns the text and what follows.
fn delimited(s: &str, delim: char) -> Option<(&str, &str)> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == delim {
            return Some((s.get(..i)?, s.get(i + c.len_utf8()..)?));
        }
    }
    None
}

fn address(s: &str) -> Option<&str> {
    let s = s.trim_start();
    if let Some(r) = s.strip_prefix('$') {
        return Some(r);
    }
    if let Some(r) = s.strip_prefix('/') {
        let (re, rest) = delimited(r, '/')?;
        if !part_safe(re) {
            return None;
        }
        return Some(rest.trim_start_matches(['I', 'M']));
    }
    if let Some(r) = s.strip_prefix('\\') {
        let d = r.chars().next()?;
        let (re, rest) = delimited(r.get(d.len_utf8()..)?, d)?;
        return part_safe(re).then_some(rest.trim_start_matches(['I', 'M']));
    }
    let digits = s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits > 12 {
        return None;
    }
    let rest = s.get(digits..)?;
    if let Some(step) = rest.strip_prefix('~') {
        let d = step.len() - step.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        return (d > 0).then(|| step.get(d..)).flatten();
    }
    Some(rest)
}

/// Whether a sed script is print-only (see the module comment).
pub(super) fn print_only(script: &str) -> bool {
    let mut s = script;
    loop {
        s = s.trim_start_matches([' ', '\t', '\n', ';']);
        if s.is_empty() {
            return true;
        }
        // [addr[,addr]][!]
        let starts_addr =
            s.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '$' | '/' | '\\'));
        if starts_addr {
            let Some(rest) = address(s) else { return false };
            s = rest.trim_start();
            if let Some(r) = s.strip_prefix(',') {
                let r = r.trim_start();
                s = if let Some(n) = r.strip_prefix(['+', '~']) {
                    let d = n.len() - n.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                    if d == 0 {
                        return false;
                    }
                    n.get(d..).unwrap_or("")
                } else {
                    match address(r) {
                        Some(rest) => rest,
                        None => return false,
                    }
                };
            }
        }
        s = s.trim_start();
        if let Some(r) = s.strip_prefix('!') {
            s = r.trim_start();
        }
        let Some(cmd) = s.chars().next() else {
            return false;
        };
        s = s.get(cmd.len_utf8()..).unwrap_or("");
        match cmd {
            'p' | '=' | 'd' | 'n' | 'N' | 'P' | 'D' | 'F' | 'h' | 'H' | 'g' | 'G' | 'x' => {}
            'l' | 'q' | 'Q' => {
                s = s.trim_start_matches([' ', '\t']);
                s = s.trim_start_matches(|c: char| c.is_ascii_digit());
            }
            's' | 'y' => {
                let Some(d) = s.chars().next() else {
                    return false;
                };
                if d == '\\' || d == '\n' || d.is_whitespace() {
                    return false;
                }
                let body = s.get(d.len_utf8()..).unwrap_or("");
                let Some((a, rest)) = delimited(body, d) else {
                    return false;
                };
                let Some((b, rest)) = delimited(rest, d) else {
                    return false;
                };
                if !part_safe(a) || !part_safe(b) {
                    return false;
                }
                let flags_end = rest
                    .find(|c: char| !(c.is_ascii_digit() || (cmd == 's' && "gpiImM".contains(c))))
                    .unwrap_or(rest.len());
                s = rest.get(flags_end..).unwrap_or("");
            }
            _ => return false,
        }
        s = s.trim_start_matches([' ', '\t']);
        if !(s.is_empty() || s.starts_with([';', '\n'])) {
            return false;
        }
    }
}

fn sed_check(w: &mut Walker<'_>, call: &mut Call<'_>) {
    let first: Option<Arg> = if call.parsed.has("-e") {
        None
    } else {
        call.parsed.operands.first().cloned()
    };
    let scripts: Vec<Arg> = call.parsed.values("-e").cloned().chain(first).collect();
    if scripts.is_empty()
        || !scripts
            .iter()
            .all(|s| s.lit.as_deref().is_some_and(print_only))
    {
        call.read_only = false;
        for s in &scripts {
            w.inspect_code(s);
        }
    }
}

pub(super) const PROGRAMS: &[Program] = &[Program {
    options: &[
        flag(&["-n", "--quiet", "--silent"]),
        req(&["-e", "--expression"], Pattern),
        bad_req(&["-f", "--file"], "runs a script file not analysed here"),
        flag(&["-E", "-r", "--regexp-extended"]),
        flag(&["-s", "--separate"]),
        flag(&["-z", "--null-data"]),
        flag(&["-u", "--unbuffered"]),
        req(&["-l", "--line-length"], Plain),
        flag(&["--posix"]),
        flag(&["--debug"]),
        flag(&["--sandbox"]),
        flag(&["-b", "--binary"]),
        flag(&["--follow-symlinks"]),
        opt(&["-i", "--in-place"], Forbidden("edits files in place")),
    ],
    check: Some(sed_check),
    ..Program::new(&["sed"], PatternThenContent)
}];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::print_only;

    #[test]
    fn print_only_scripts() {
        for ok in [
            "10p",
            "1,20p",
            "$p",
            "5q",
            "/foo/p",
            "/foo/,/bar/p",
            "1~2p",
            "3,+2p",
            "=",
            "/x/!d",
            "s/a/b/g",
            "s|/usr|/opt|p",
            "y/abc/xyz/",
            "1d;$d",
            "l",
            "2q;p",
            "/^#/d",
        ] {
            assert!(print_only(ok), "{ok}");
        }
        for bad in [
            "1e sh",
            "e id",
            "w out",
            "1w out",
            "r /etc/passwd",
            "R x",
            "W x",
            "s/a/b/e",
            "s/a/b/w out",
            "s/x/\\x1b/",
            "s/x/\\o033/",
            "a\\ text",
            "i text",
            "c text",
            ":a;ba",
            "{p}",
            "1,5{p}",
            "z",
            "s/a/b",
            "/foo",
            "v",
            "#n",
        ] {
            assert!(!print_only(bad), "{bad}");
        }
    }
}
