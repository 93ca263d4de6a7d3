//! `jq`: the filter is judged for what it can reach beyond its input — `$ENV`/`env` (a
//! protected name is an environment read; the whole environment is a dump), modules
//! (`import`, `include`, `-L`), and escape bytes made at run time (`"\u001b"`, `implode`).
//! `input_filename`, `input`, `inputs` only see the files given.

use super::super::words::Arg;
use super::super::Walker;
use super::grammar::Value::*;
use super::grammar::{bad_req, flag, req, two, Operands::*, Program};
use super::judge::Call;

/// Why a jq filter is not read-only, if it is not. `env_reads` collects protected names
/// read through `$ENV.NAME` / `env.NAME`.
pub(super) fn judge_filter(
    filter: &str,
    protected: &dyn Fn(&str) -> bool,
    env_reads: &mut Vec<String>,
) -> Result<(), &'static str> {
    if filter
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("control characters");
    }
    if filter.contains("\\u") || filter.contains("implode") {
        return Err("may make escape bytes");
    }
    for word in [
        "import",
        "include",
        "modulemeta",
        "$__prog",
        "getpath(\"$ENV",
    ] {
        if filter.contains(word) {
            return Err("loads modules");
        }
    }
    let bytes = filter.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while let Some(pos) = filter.get(i..).and_then(|r| {
        let a = r.find("$ENV");
        let b = r.find("env");
        match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (x, y) => x.or(y),
        }
    }) {
        let start = i + pos;
        let dollar = filter.get(start..).is_some_and(|r| r.starts_with("$ENV"));
        let len = if dollar { 4 } else { 3 };
        let end = start + len;
        i = end;
        let before_ok = start == 0
            || !bytes
                .get(start - 1)
                .is_some_and(|b| is_ident(*b) || *b == b'$' || *b == b'.');
        let after_ok = !bytes.get(end).is_some_and(|b| is_ident(*b));
        if !(before_ok && after_ok) || (!dollar && bytes.get(start.wrapping_sub(1)) == Some(&b'$'))
        {
            continue;
        }
        // `$ENV.NAME`, `env.NAME`, `$ENV["NAME"]`.
        let rest = filter.get(end..).unwrap_or("");
        let name: Option<&str> = if let Some(r) = rest.strip_prefix('.') {
            let n = r.len()
                - r.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
                    .len();
            r.get(..n).filter(|n| !n.is_empty())
        } else {
            rest.strip_prefix("[\"")
                .and_then(|r| r.split_once("\"]"))
                .map(|(n, _)| n)
        };
        match name {
            Some(n) if protected(n) => env_reads.push(n.to_string()),
            Some(_) => {}
            None => return Err("reads the whole environment"),
        }
    }
    Ok(())
}

fn jq_check(w: &mut Walker<'_>, call: &mut Call<'_>) {
    let filter: Option<Arg> = call.parsed.operands.first().cloned();
    let Some(filter) = filter else {
        return;
    };
    let Some(text) = filter.lit.as_deref() else {
        call.read_only = false;
        return;
    };
    let mut reads = Vec::new();
    match judge_filter(text, &|n| w.cfg.env.is_protected(n), &mut reads) {
        Ok(()) => {}
        Err("reads the whole environment") => {
            w.facts.env_dump = true;
            call.read_only = false;
        }
        Err(_) => call.read_only = false,
    }
    for n in reads {
        w.facts.env_read.insert(n);
    }
    // `--args` / `--jsonargs`: later operands are values, not files; they are still checked
    // as files here (a name that is a secret still counts).
}

pub(super) const PROGRAMS: &[Program] = &[Program {
    options: &[
        flag(&["-n", "--null-input"]),
        flag(&["-R", "--raw-input"]),
        flag(&["-s", "--slurp"]),
        flag(&["-c", "--compact-output"]),
        flag(&["-r", "--raw-output"]),
        flag(&["--raw-output0"]),
        flag(&["-j", "--join-output"]),
        flag(&["-a", "--ascii-output"]),
        flag(&["-S", "--sort-keys"]),
        flag(&["-C", "--color-output"]),
        flag(&["-M", "--monochrome-output"]),
        flag(&["--tab"]),
        req(&["--indent"], Plain),
        flag(&["--unbuffered"]),
        flag(&["--stream"]),
        flag(&["--stream-errors"]),
        flag(&["--seq"]),
        flag(&["-e", "--exit-status"]),
        flag(&["-0", "--nul-output"]),
        bad_req(
            &["-f", "--from-file"],
            "runs a filter file not analysed here",
        ),
        bad_req(&["-L"], "loads modules from a directory"),
        two(&["--arg"], Plain),
        two(&["--argjson"], Plain),
        two(&["--slurpfile"], FileRead),
        two(&["--rawfile"], FileRead),
        flag(&["--args"]),
        flag(&["--jsonargs"]),
        flag(&["-h", "--help"]),
        flag(&["-V", "--version"]),
        flag(&["--build-configuration"]),
    ],
    gnu_common: false,
    check: Some(jq_check),
    ..Program::new(&["jq", "gojq", "jaq"], PatternThenContent)
}];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::judge_filter;

    #[test]
    fn filters() {
        let p = |n: &str| n.contains("KEY") || n == "PORT";
        let mut r = Vec::new();
        for ok in [
            ".",
            ".a.b",
            ".[] | select(.x > 1)",
            "keys",
            "input_filename",
            "$ENV.HOME",
            "env.USER",
            ".environment",
        ] {
            assert!(judge_filter(ok, &p, &mut r).is_ok(), "{ok}");
        }
        assert!(r.is_empty());
        judge_filter("$ENV.OPENAI_API_KEY", &p, &mut r).unwrap();
        judge_filter("env[\"PORT\"]", &p, &mut r).unwrap();
        assert_eq!(r, ["OPENAI_API_KEY", "PORT"]);
        for bad in [
            "$ENV",
            "env",
            "env | keys",
            "$ENV | tostring",
            "\"\\u001b[2J\"",
            "[27]|implode",
            "import \"x\" as x; .",
        ] {
            assert!(judge_filter(bad, &p, &mut Vec::new()).is_err(), "{bad}");
        }
    }
}
