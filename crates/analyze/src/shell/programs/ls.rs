//! Directory listings: `ls` (GNU coreutils; `dir`, `vdir`) and `tree`.

use super::super::words::Arg;
use super::grammar::Value::*;
use super::grammar::{bad, bad_req, flag, opt, req, Operands::*, Program, Style};

const FOLLOWS: &str = "follows symbolic links out of the workspace";
const WHEN: &[&str] = &[
    "always", "yes", "force", "never", "no", "none", "auto", "tty", "if-tty",
];

/// With no operand, the current directory is listed.
fn dot_by_default(_: &mut super::super::Walker<'_>, call: &mut super::judge::Call<'_>) {
    if call.files.is_empty() {
        call.files.push(Arg::literal("."));
    }
}

pub(super) const PROGRAMS: &[Program] = &[
    Program {
        options: &[
            flag(&["-a", "--all"]),
            flag(&["-A", "--almost-all"]),
            flag(&["--author"]),
            flag(&["-b", "--escape"]),
            req(&["--block-size"], Plain),
            flag(&["-B", "--ignore-backups"]),
            flag(&["-c"]),
            flag(&["-C"]),
            opt(&["--color", "--colour"], Enum(WHEN)),
            flag(&["-d", "--directory"]),
            flag(&["-D", "--dired"]),
            flag(&["-f"]),
            // `-F` takes no value; only `--classify[=WHEN]` does.
            flag(&["-F"]),
            opt(&["--classify"], Enum(WHEN)),
            flag(&["--file-type"]),
            req(
                &["--format"],
                Enum(&[
                    "across",
                    "commas",
                    "horizontal",
                    "long",
                    "single-column",
                    "verbose",
                    "vertical",
                ]),
            ),
            flag(&["--full-time"]),
            flag(&["-g"]),
            flag(&["--group-directories-first"]),
            flag(&["-G", "--no-group"]),
            flag(&["-h", "--human-readable"]),
            flag(&["--si"]),
            flag(&["-H", "--dereference-command-line"]),
            flag(&["--dereference-command-line-symlink-to-dir"]),
            req(&["--hide"], Glob),
            opt(&["--hyperlink"], Enum(WHEN)),
            req(
                &["--indicator-style"],
                Enum(&["none", "slash", "file-type", "classify"]),
            ),
            flag(&["-i", "--inode"]),
            req(&["-I", "--ignore"], Glob),
            flag(&["-k", "--kibibytes"]),
            flag(&["-l"]),
            // `ls -RL` walks through links out of the workspace.
            bad(&["-L", "--dereference"], FOLLOWS),
            flag(&["-m"]),
            flag(&["-n", "--numeric-uid-gid"]),
            flag(&["-N", "--literal"]),
            flag(&["-o"]),
            flag(&["-p"]),
            flag(&["-q", "--hide-control-chars"]),
            flag(&["--show-control-chars"]),
            flag(&["-Q", "--quote-name"]),
            req(
                &["--quoting-style"],
                Enum(&[
                    "literal",
                    "locale",
                    "shell",
                    "shell-always",
                    "shell-escape",
                    "shell-escape-always",
                    "c",
                    "escape",
                ]),
            ),
            flag(&["-r", "--reverse"]),
            flag(&["-R", "--recursive"]),
            flag(&["-s", "--size"]),
            flag(&["-S"]),
            req(
                &["--sort"],
                Enum(&["none", "size", "time", "version", "extension", "width"]),
            ),
            req(
                &["--time"],
                Enum(&[
                    "atime",
                    "access",
                    "use",
                    "ctime",
                    "status",
                    "mtime",
                    "modification",
                    "birth",
                    "creation",
                ]),
            ),
            req(&["--time-style"], Format),
            flag(&["-t"]),
            req(&["-T", "--tabsize"], Plain),
            flag(&["-u"]),
            flag(&["-U"]),
            flag(&["-v"]),
            req(&["-w", "--width"], Plain),
            flag(&["-x"]),
            flag(&["-X"]),
            flag(&["-Z", "--context"]),
            flag(&["--zero"]),
            flag(&["-1"]),
        ],
        check: Some(dot_by_default),
        ..Program::new(&["ls", "dir", "vdir"], Metadata)
    },
    Program {
        // tree's own parser: value options take the next word, even inside a cluster.
        style: Style::NextWord,
        options: &[
            flag(&["-a"]),
            flag(&["-d"]),
            bad(&["-l"], FOLLOWS),
            flag(&["-f"]),
            flag(&["-x"]),
            req(&["-L"], Plain),
            bad(&["-R"], "writes 00Tree.html files"),
            req(&["-P"], Glob),
            req(&["-I"], Glob),
            bad(&["--gitignore"], "reads .gitignore files"),
            bad_req(&["--gitfile"], "reads a file of patterns"),
            flag(&["--ignore-case"]),
            flag(&["--matchdirs"]),
            flag(&["--metafirst"]),
            flag(&["--prune"]),
            bad(&["--info"], "reads .info files"),
            bad_req(&["--infofile"], "reads a file"),
            flag(&["--noreport"]),
            req(&["--charset"], Plain),
            req(&["--filelimit"], Plain),
            req(&["--timefmt"], Format),
            req(&["-o"], FileWrite),
            flag(&["-q"]),
            flag(&["-N"]),
            flag(&["-Q"]),
            flag(&["-p"]),
            flag(&["-u"]),
            flag(&["-g"]),
            flag(&["-s"]),
            flag(&["-h"]),
            flag(&["--si"]),
            flag(&["--du"]),
            flag(&["-D"]),
            flag(&["--inodes"]),
            flag(&["--device"]),
            flag(&["-F"]),
            flag(&["-v"]),
            flag(&["-t"]),
            flag(&["-c"]),
            flag(&["-U"]),
            flag(&["-r"]),
            flag(&["--dirsfirst"]),
            flag(&["--filesfirst"]),
            req(
                &["--sort"],
                Enum(&["name", "version", "size", "mtime", "ctime", "none"]),
            ),
            flag(&["-i"]),
            flag(&["-A"]),
            flag(&["-S"]),
            flag(&["-n"]),
            flag(&["-C"]),
            flag(&["-X"]),
            flag(&["-J"]),
            req(&["-H"], Plain),
            req(&["-T"], Plain),
            flag(&["--nolinks"]),
            bad_req(&["--hintro"], "reads a file"),
            bad_req(&["--houtro"], "reads a file"),
            bad(&["--fromfile"], "reads listings from files"),
            bad(&["--fromtabfile"], "reads listings from files"),
            flag(&["--fflinks"]),
        ],
        check: Some(dot_by_default),
        ..Program::new(&["tree"], Metadata)
    },
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::grammar::{parse, ParseError, Value};
    use super::super::table::find;
    use super::super::words_for_test as w;

    #[test]
    fn tree_values_are_the_next_word() {
        let p = parse(find("tree").unwrap(), &w("-Lo 2 out")).unwrap();
        assert!(p.operands.is_empty());
        assert!(p.used.iter().any(|u| u.opt.value == Value::FileWrite));
        // Unknown long options are not read-only, whatever their value.
        assert!(matches!(
            parse(find("tree").unwrap(), &w("-H . --hintro=F")).map(|p| p.used[1].opt.value),
            Ok(Value::Forbidden(_))
        ));
        assert!(matches!(
            parse(find("tree").unwrap(), &w("--nope=F")),
            Err(ParseError::Unknown(_))
        ));
    }

    #[test]
    fn ls_color_takes_no_separate_value() {
        let p = parse(find("ls").unwrap(), &w("--color .env")).unwrap();
        assert_eq!(p.operands.len(), 1);
        let p = parse(find("ls").unwrap(), &w("-RL .")).unwrap();
        assert!(p
            .used
            .iter()
            .any(|u| matches!(u.opt.value, Value::Forbidden(_))));
    }
}
