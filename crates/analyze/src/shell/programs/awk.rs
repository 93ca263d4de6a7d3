//! `awk` (and gawk, mawk, nawk): read-only only for print programs — patterns and actions
//! that compute and print, with no `system()`, pipes, output redirection, `getline`, `ARGV`
//! changes, escape bytes, or `ENVIRON` of protected names. Anything else is code: judged as
//! an interpreter given inline code.

use super::super::words::Arg;
use super::super::Walker;
use super::grammar::Value::*;
use super::grammar::{bad, bad_req, flag, req, Operands::*, Program};
use super::judge::Call;

/// Why an awk program is not a print program, if it is not.
pub(super) fn not_print_only(program: &str, protected: &dyn Fn(&str) -> bool) -> Option<String> {
    if program
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Some("control characters".into());
    }
    // `SYMTAB["ENV" "IRON"]` is ENVIRON under a computed name (gawk).
    for word in [
        "system", "getline", "ARGV", "ARGC", "close", "fflush", "PROCINFO", "SYMTAB", "FUNCTAB",
        "@",
    ] {
        if program.contains(word) {
            return Some(format!("uses `{word}`"));
        }
    }
    if program.replace("||", "").contains('|') {
        return Some("a pipe".into());
    }
    // `%c` prints any byte; `\033`, `\x1b` make escape bytes.
    if program.contains("%c") {
        return Some("`%c` prints raw bytes".into());
    }
    let bytes = program.as_bytes();
    if bytes.windows(2).any(|w| {
        w.first() == Some(&b'\\') && w.get(1).is_some_and(|c| c.is_ascii_digit() || *c == b'x')
    }) {
        return Some("escape bytes".into());
    }
    if redirects_output(program) {
        return Some("output redirection".into());
    }
    // ENVIRON["NAME"] with a literal, unprotected NAME only.
    let mut rest = program;
    while let Some(i) = rest.find("ENVIRON") {
        let after = rest.get(i + "ENVIRON".len()..).unwrap_or("");
        // A plain name only: `"OPENAI_API_" "KEY"` and `"OPENAI_API_\\KEY"` are computed.
        let Some(name) = after
            .strip_prefix("[\"")
            .and_then(|r| r.split_once("\"]"))
            .map(|(n, _)| n)
            .filter(|n| super::super::words::is_name(n))
        else {
            return Some("`ENVIRON` of a computed name".into());
        };
        if protected(name) {
            return Some(format!("reads protected variable {name}"));
        }
        rest = after;
    }
    None
}

/// Whether an awk program may redirect output (`print > "f"`): a `>` inside an action.
/// Strings are lexed with their escapes; where a regex literal or a comment could hide a
/// quote (`/"/`, `# "`), strings are not trusted and any `>` after the first `{` counts.
fn redirects_output(program: &str) -> bool {
    let ambiguous = program.contains('#') || program.contains('/');
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for c in program.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' if !ambiguous => in_string = true,
            '{' => depth += 1,
            '}' if !ambiguous => depth = depth.saturating_sub(1),
            '>' if depth > 0 => return true,
            _ => {}
        }
    }
    false
}

fn awk_check(w: &mut Walker<'_>, call: &mut Call<'_>) {
    let program: Option<Arg> = if call.parsed.has("-e") {
        None
    } else {
        call.parsed.operands.first().cloned()
    };
    let programs: Vec<Arg> = call.parsed.values("-e").cloned().chain(program).collect();
    if programs.is_empty() {
        call.read_only = false;
        return;
    }
    for p in &programs {
        let verdict = match &p.lit {
            Some(text) => not_print_only(text, &|n| w.cfg.env.is_protected(n)),
            None => Some("computed at run time".into()),
        };
        if verdict.is_some() {
            call.read_only = false;
            w.facts.inline_eval = true;
            w.inspect_code(p);
        } else if let Some(text) = &p.lit {
            for n in w.cfg.env.mentioned_in(text) {
                w.facts.env_read.insert(n);
            }
        }
    }
    // `awk '…' x=1 file`: an operand with `=` is an assignment, not a file.
    let mut escapes = false;
    call.files.retain(|f| {
        let assignment = f
            .lit
            .as_deref()
            .and_then(|l| l.split_once('='))
            .filter(|(n, _)| super::super::words::is_name(n));
        if let Some((_, v)) = assignment {
            escapes |= !super::grammar::format_safe(v);
        }
        assignment.is_none()
    });
    if escapes {
        call.read_only = false;
        w.facts.hidden_text = true;
    }
}

pub(super) const PROGRAMS: &[Program] = &[Program {
    options: &[
        req(&["-F", "--field-separator"], Plain),
        // awk turns escapes in assigned values into bytes.
        req(&["-v", "--assign"], Format),
        bad_req(&["-f", "--file"], "runs a program file not analysed here"),
        req(&["-e", "--source"], Pattern),
        bad_req(&["-i", "--include"], "loads a source file"),
        bad_req(&["-l", "--load"], "loads an extension"),
        bad_req(&["-E", "--exec"], "runs a program file"),
        flag(&["-b", "--characters-as-bytes"]),
        flag(&["-c", "--traditional"]),
        flag(&["-P", "--posix"]),
        flag(&["-r", "--re-interval"]),
        flag(&["-S", "--sandbox"]),
        flag(&["-N", "--use-lc-numeric"]),
        flag(&["-n", "--non-decimal-data"]),
        flag(&["-s", "--no-optimize"]),
        bad(&["-o", "--pretty-print"], "writes a file"),
        bad(&["-p", "--profile"], "writes a file"),
        bad(&["-d", "--dump-variables"], "writes a file"),
        bad(&["-D", "--debug"], "interactive debugger"),
        flag(&["-V", "--version"]),
        flag(&["-h", "--help", "--usage"]),
    ],
    gnu_common: false,
    check: Some(awk_check),
    ..Program::new(&["awk", "gawk", "mawk", "nawk"], PatternThenContent)
}];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::not_print_only;

    #[test]
    fn print_programs_only() {
        let p = |n: &str| n.contains("KEY");
        for ok in [
            "{print $1}",
            "$3 > 100 {print $1, $2}",
            "NR==1",
            "BEGIN{FS=\":\"} {n++} END{print n}",
            "{printf \"%s\\n\", $2}",
            "/foo/ {print FILENAME\": \"$0}",
            "{print ENVIRON[\"HOME\"]}",
            "length($0) > 80",
            "{ if (x || y) print }",
            "{print \">\" $1}",
            "{print \"a\\\"b>\" $1}",
        ] {
            assert!(not_print_only(ok, &p).is_none(), "{ok}");
        }
        for bad in [
            "{system(\"id\")}",
            "{print | \"sh\"}",
            "{print > \"out\"}",
            "{\"date\" | getline d}",
            "BEGIN{while((getline l < \".env\")>0)print l}",
            "{print ENVIRON[\"OPENAI_API_KEY\"]}",
            "{print ENVIRON[k]}",
            "BEGIN{ARGV[1]=\"/etc/shadow\"}",
            "BEGIN{printf \"%c\", 27}",
            "BEGIN{print \"\\033[2J\"}",
            "BEGIN{print \"\\x1b\"}",
            "@load \"x\"",
            // A quote in a regex literal or a comment must not hide the redirection.
            "/\"/ {print > \"x\"}",
            "{ if (/\"/) print > \"x\" }",
            "{ # \"\n print > \"x\" }",
            "{ x = \"\\\\\"; print > \"x\" }",
            "{print ENVIRON[\"OPENAI_API_\" \"KEY\"]}",
            "{print ENVIRON[\"OPENAI_API_\\KEY\"]}",
            "BEGIN{for (k in SYMTAB[\"ENV\" \"IRON\"]) print k}",
        ] {
            assert!(not_print_only(bad, &p).is_some(), "{bad}");
        }
    }
}
