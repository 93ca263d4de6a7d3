//! `grep` (and `egrep`, `fgrep`) and `rg`.
//!
//! Agent shell profile: in Claude Code's Bash tool, `grep` is a shell function that runs the
//! client's bundled ugrep as `ugrep -G --ignore-files --hidden -I --exclude-dir=.git … "$@"`
//! (some ugrep-only flags route to the system grep instead). So a directory operand is
//! searched RECURSIVELY with hidden files included, and with no file operand and a terminal
//! on standard input ugrep searches the working directory. This profile is the only one
//! modelled, for every shell action: it is the safe one, since GNU grep reads less (a
//! directory operand without `-r` is skipped). The grammar is the union of GNU grep 3.x and
//! the ugrep options both share; where they disagree on arity, the reading that checks more
//! words wins (`--group-separator` takes an attached value only); where they disagree on
//! meaning, the more dangerous one wins.

use super::super::words::Arg;
use super::super::{Stdin, Walker};
use super::grammar::Value::*;
use super::grammar::{bad, bad_req, flag, opt, recurse, req, Operands::*, Program};
use super::judge::Call;

const FOLLOWS: &str = "follows symbolic links out of the workspace";
const WHEN: &[&str] = &[
    "always", "yes", "force", "never", "no", "none", "auto", "tty", "if-tty",
];

/// Claude Code's grep: directory operands are walked, hidden files included.
fn grep_check(w: &mut Walker<'_>, call: &mut Call<'_>) {
    // `-d recurse`, `--directories=rec`.
    if call
        .parsed
        .values("--directories")
        .any(|v| v.lit.as_deref().is_none_or(|l| "recurse".starts_with(l)))
    {
        call.recursive = true;
    }
    // ugrep reads `-3` as `--depth=3`, which turns recursion on.
    let numeric = call
        .args
        .iter()
        .take_while(|a| !a.is("--"))
        .filter_map(|a| a.lit.as_deref())
        .any(|l| {
            l.strip_prefix('-')
                .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
        });
    if numeric {
        call.recursive = true;
    }
    let includes: Vec<&Arg> = call.parsed.values("--include").collect();
    if let [one] = includes.as_slice() {
        call.only = one.lit.clone();
    } else if !includes.is_empty() {
        // Several includes: their union is read; judged as the whole tree.
        call.only = None;
    }
    if call.files.is_empty() && matches!(call.stdin, Stdin::Terminal) {
        // ugrep with no file and a terminal searches the working directory.
        call.recursive = true;
        call.files.push(Arg::literal("."));
        return;
    }
    if call.recursive {
        return;
    }
    for f in call.files.clone() {
        if w.operand_may_be_dir(&f) {
            call.recursive = true;
        }
    }
}

fn rg_check(w: &mut Walker<'_>, call: &mut Call<'_>) {
    if call.parsed.has("--type-list") {
        return;
    }
    // ripgrep walks directories by default, skipping hidden files unless a glob or a type
    // could name them.
    let globs =
        call.parsed.has("--glob") || call.parsed.has("--iglob") || call.parsed.has("--type-add");
    for g in call
        .parsed
        .values("--glob")
        .chain(call.parsed.values("--iglob"))
        .chain(call.parsed.values("--type-add"))
        .cloned()
        .collect::<Vec<_>>()
    {
        let Some(l) = g.lit.as_deref() else {
            call.read_only = false;
            continue;
        };
        let pattern = l.rsplit(':').next().unwrap_or(l).trim_start_matches('!');
        let probe = format!("./{pattern}");
        if w.ctx.classify(w.cfg, &probe).secret || pattern.contains("env") || l.starts_with('!') {
            w.facts.secret_mention = true;
            call.read_only = false;
        }
    }
    call.skip_hidden = !globs;
    if call.files.is_empty() && !matches!(call.stdin, Stdin::Unknown(_) | Stdin::Text(_)) {
        call.files.push(Arg::literal("."));
        call.recursive = true;
        return;
    }
    if call.files.iter().any(|f| w.operand_may_be_dir(f)) {
        call.recursive = true;
    }
}

pub(super) const PROGRAMS: &[Program] = &[
    Program {
        options: &[
            flag(&["-E", "--extended-regexp"]),
            flag(&["-F", "--fixed-strings"]),
            flag(&["-G", "--basic-regexp"]),
            flag(&["-P", "--perl-regexp"]),
            req(&["-e", "--regexp"], Pattern),
            req(&["-f", "--file"], PatternFile),
            flag(&["-i", "--ignore-case"]),
            flag(&["--no-ignore-case"]),
            flag(&["-w", "--word-regexp"]),
            flag(&["-x", "--line-regexp"]),
            // GNU: NUL-separated lines. ugrep: decompress and search inside archives.
            bad(
                &["-z", "--null-data", "--decompress"],
                "ugrep searches inside archives",
            ),
            flag(&["-s", "--no-messages"]),
            flag(&["-v", "--invert-match"]),
            flag(&["-V", "--version"]),
            flag(&["--help"]),
            req(&["-m", "--max-count"], Plain),
            flag(&["-b", "--byte-offset"]),
            flag(&["-n", "--line-number"]),
            flag(&["--line-buffered"]),
            flag(&["-H", "--with-filename"]),
            flag(&["-h", "--no-filename"]),
            req(&["--label"], Plain),
            flag(&["-o", "--only-matching"]),
            flag(&["-q", "--quiet", "--silent"]),
            req(
                &["--binary-files"],
                Enum(&["binary", "text", "without-match", "hex", "with-hex"]),
            ),
            flag(&["-a", "--text"]),
            flag(&["-I"]),
            req(&["-d", "--directories"], Enum(&["read", "recurse", "skip"])),
            req(&["-D", "--devices"], Enum(&["read", "skip"])),
            recurse(&["-r", "--recursive"]),
            bad(&["-R", "--dereference-recursive"], FOLLOWS),
            req(&["--include"], Glob),
            req(&["--exclude"], Glob),
            req(&["--exclude-from"], FileRead),
            req(&["--include-from"], FileRead),
            req(&["--exclude-dir"], Glob),
            req(&["--include-dir"], Glob),
            flag(&["-L", "--files-without-match"]),
            flag(&["-l", "--files-with-matches"]),
            flag(&["-c", "--count"]),
            flag(&["-T", "--initial-tab"]),
            // GNU: NUL after names (no value). ugrep: fuzzy matching with an attached cost.
            // Read as GNU does, so that the rest of a cluster stays options (`-Zf.env`
            // is `-Z -f .env` to GNU grep).
            flag(&["-Z", "--null"]),
            req(&["-B", "--before-context"], Plain),
            req(&["-A", "--after-context"], Plain),
            req(&["-C", "--context"], Plain),
            // GNU requires the value; ugrep takes it attached only.
            opt(&["--group-separator"], Plain),
            flag(&["--no-group-separator"]),
            opt(&["--color", "--colour"], Enum(WHEN)),
            flag(&["-U", "--binary"]),
            flag(&["-y"]),
            // ugrep-only options that would change what is read or run.
            flag(&["--hidden", "-."]),
            bad(&["-S", "--dereference-files"], FOLLOWS),
            bad(&["-Q", "--query"], "opens an interactive interface"),
            opt(&["--pager"], Forbidden("runs a pager")),
            bad_req(&["--filter"], "runs filter programs"),
            opt(&["--save-config"], Forbidden("writes a configuration file")),
            opt(&["--config"], Forbidden("reads a configuration file")),
            opt(&["--ignore-files"], Forbidden("reads ignore files")),
        ],
        numeric_option: true,
        gnu_common: false,
        check: Some(grep_check),
        ..Program::new(&["grep", "egrep", "fgrep"], PatternThenContent)
    },
    Program {
        options: &[
            req(&["-e", "--regexp"], Pattern),
            req(&["-f", "--file"], PatternFile),
            req(&["-g", "--glob"], Glob),
            req(&["--iglob"], Glob),
            req(&["-t", "--type"], Plain),
            req(&["-T", "--type-not"], Plain),
            req(&["--type-add"], Glob),
            req(&["-m", "--max-count"], Plain),
            req(&["-A", "--after-context"], Plain),
            req(&["-B", "--before-context"], Plain),
            req(&["-C", "--context"], Plain),
            req(&["-j", "--threads"], Plain),
            req(&["-M", "--max-columns"], Plain),
            req(&["-r", "--replace"], Plain),
            req(&["-E", "--encoding"], Plain),
            req(&["-d", "--max-depth", "--maxdepth"], Plain),
            req(
                &["--color", "--colour"],
                Enum(&["never", "auto", "always", "ansi"]),
            ),
            req(&["--colors"], Plain),
            req(
                &["--sort"],
                Enum(&["none", "path", "modified", "accessed", "created"]),
            ),
            req(
                &["--sortr"],
                Enum(&["none", "path", "modified", "accessed", "created"]),
            ),
            req(&["--max-filesize"], Plain),
            req(&["--path-separator"], Plain),
            req(&["--ignore-file"], FileRead),
            req(&["--context-separator"], Plain),
            req(&["--field-match-separator"], Plain),
            req(&["--field-context-separator"], Plain),
            flag(&["-i", "--ignore-case"]),
            flag(&["-s", "--case-sensitive"]),
            flag(&["-S", "--smart-case"]),
            flag(&["-F", "--fixed-strings"]),
            flag(&["-w", "--word-regexp"]),
            flag(&["-x", "--line-regexp"]),
            flag(&["-v", "--invert-match"]),
            flag(&["-c", "--count"]),
            flag(&["--count-matches"]),
            flag(&["-l", "--files-with-matches"]),
            flag(&["--files-without-match"]),
            flag(&["--files"]),
            flag(&["--type-list"]),
            flag(&["-n", "--line-number"]),
            flag(&["-N", "--no-line-number"]),
            flag(&["-H", "--with-filename"]),
            flag(&["-I", "--no-filename"]),
            flag(&["-o", "--only-matching"]),
            flag(&["-q", "--quiet"]),
            flag(&["-p", "--pretty"]),
            flag(&["--heading"]),
            flag(&["--no-heading"]),
            flag(&["--column"]),
            flag(&["--json"]),
            flag(&["--vimgrep"]),
            flag(&["-0", "--null"]),
            flag(&["-b", "--byte-offset"]),
            flag(&["-U", "--multiline"]),
            flag(&["--multiline-dotall"]),
            flag(&["-P", "--pcre2"]),
            flag(&["-a", "--text"]),
            flag(&["--binary"]),
            flag(&["--trim"]),
            flag(&["--stats"]),
            flag(&["--debug"]),
            flag(&["--no-messages"]),
            flag(&["--passthru"]),
            flag(&["-V", "--version"]),
            flag(&["-h", "--help"]),
            flag(&["--no-config"]),
            bad_req(&["--pre"], "runs a preprocessor program"),
            bad_req(&["--pre-glob"], "runs a preprocessor program"),
            bad_req(&["--hostname-bin"], "runs a program"),
            bad(&["--hidden", "-."], "reads hidden files"),
            bad(&["-u", "--unrestricted"], "reads hidden and ignored files"),
            bad(&["--no-ignore"], "reads ignored files"),
            bad(&["--no-ignore-vcs"], "reads ignored files"),
            bad(&["--no-ignore-dot"], "reads ignored files"),
            bad(&["--no-ignore-global"], "reads ignored files"),
            bad(&["--no-ignore-parent"], "reads ignored files"),
            bad(&["--no-ignore-files"], "reads ignored files"),
            bad(&["--no-ignore-exclude"], "reads ignored files"),
            bad(&["-L", "--follow"], FOLLOWS),
            bad(&["-z", "--search-zip"], "runs decompressor programs"),
        ],
        gnu_common: false,
        check: Some(rg_check),
        ..Program::new(&["rg"], PatternThenContent)
    },
];

impl Walker<'_> {
    /// Whether an operand could name a directory (then grep in the agent's shell walks it).
    pub(in crate::shell) fn operand_may_be_dir(&self, a: &Arg) -> bool {
        let Some(l) = a.lit.as_deref() else {
            return true;
        };
        if a.glob {
            // `grep KEY *` walks every directory the glob matches.
            return self.glob_matches_dir(l);
        }
        if l == "." || l == ".." || l.ends_with('/') || l == "~" {
            return true;
        }
        if !self.cfg.resolve_symlinks {
            return false;
        }
        std::path::Path::new(&self.ctx.classify(self.cfg, l).path).is_dir()
    }

    fn glob_matches_dir(&self, pattern: &str) -> bool {
        if !self.cfg.resolve_symlinks {
            return true;
        }
        let abs = self.ctx.absolute(self.cfg, pattern);
        let (Some(parent), Some(last)) = (abs.parent(), abs.file_name()) else {
            return true;
        };
        if parent.to_string_lossy().contains(['*', '?', '[']) {
            return true;
        }
        let Ok(g) = globset::GlobBuilder::new(&last.to_string_lossy())
            .literal_separator(true)
            .build()
        else {
            return true;
        };
        let m = g.compile_matcher();
        let Ok(entries) = std::fs::read_dir(parent) else {
            return false;
        };
        entries
            .take(20_000)
            .flatten()
            .any(|e| m.is_match(e.file_name()) && e.path().is_dir())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::grammar::{parse, Value};
    use super::super::table::find;
    use super::super::words_for_test as w;

    #[test]
    fn color_does_not_hide_the_next_word() {
        let p = parse(find("grep").unwrap(), &w("--color KEY .env")).unwrap();
        assert_eq!(p.operands.len(), 2);
    }

    #[test]
    fn abbreviations_resolve() {
        let p = parse(find("grep").unwrap(), &w("--rege=. x")).unwrap();
        assert_eq!(p.used[0].opt.value, Value::Pattern);
        let p = parse(find("grep").unwrap(), &w("--di=recurse KEY .")).unwrap();
        assert_eq!(p.used[0].name, "--directories");
        assert!(parse(find("rg").unwrap(), &w("--pre=x K"))
            .is_ok_and(|p| matches!(p.used[0].opt.value, Value::Forbidden(_))));
    }
}
