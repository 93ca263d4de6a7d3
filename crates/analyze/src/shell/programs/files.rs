//! Programs that examine files (metadata, types, sizes) or compare them.

use super::grammar::Value::*;
use super::grammar::{bad, bad_req, flag, opt, req, Operands::*, Program};

const FOLLOWS: &str = "follows symbolic links out of the workspace";
const LIST: &str = "reads a list of file names and opens each";

pub(super) const PROGRAMS: &[Program] = &[
    Program {
        options: &[
            bad(&["-L", "--dereference"], FOLLOWS),
            flag(&["-f", "--file-system"]),
            req(&["--cached"], Enum(&["always", "never", "default"])),
            // `--format` prints its escapes literally; `--printf` interprets them.
            req(&["-c", "--format"], Format),
            req(&["--printf"], Format),
            flag(&["-t", "--terse"]),
        ],
        ..Program::new(&["stat"], Metadata)
    },
    Program {
        options: &[
            flag(&["-0", "--null"]),
            flag(&["-a", "--all"]),
            flag(&["--apparent-size"]),
            req(&["-B", "--block-size"], Plain),
            flag(&["-b", "--bytes"]),
            flag(&["-c", "--total"]),
            bad(&["-D", "--dereference-args"], FOLLOWS),
            req(&["-d", "--max-depth"], Plain),
            bad_req(&["--files0-from"], LIST),
            bad(&["-H"], FOLLOWS),
            flag(&["-h", "--human-readable"]),
            flag(&["--inodes"]),
            flag(&["-k"]),
            bad(&["-L", "--dereference"], FOLLOWS),
            flag(&["-l", "--count-links"]),
            flag(&["-m"]),
            flag(&["-P", "--no-dereference"]),
            flag(&["-S", "--separate-dirs"]),
            flag(&["--si"]),
            flag(&["-s", "--summarize"]),
            req(&["-t", "--threshold"], Plain),
            opt(
                &["--time"],
                Enum(&[
                    "atime", "access", "use", "ctime", "status", "birth", "creation",
                ]),
            ),
            req(&["--time-style"], Format),
            req(&["-X", "--exclude-from"], FileRead),
            req(&["--exclude"], Glob),
            flag(&["-x", "--one-file-system"]),
        ],
        check: Some(|w, call| {
            if call.files.is_empty() {
                call.files.push(super::super::words::Arg::literal("."));
            }
            let _ = w;
        }),
        ..Program::new(&["du"], Metadata)
    },
    Program {
        options: &[
            flag(&["-a", "--all"]),
            req(&["-B", "--block-size"], Plain),
            flag(&["-h", "--human-readable"]),
            flag(&["-H", "--si"]),
            flag(&["-i", "--inodes"]),
            flag(&["-k"]),
            flag(&["-l", "--local"]),
            flag(&["--no-sync"]),
            opt(&["--output"], Plain),
            flag(&["-P", "--portability"]),
            flag(&["--sync"]),
            flag(&["--total"]),
            req(&["-t", "--type"], Plain),
            flag(&["-T", "--print-type"]),
            req(&["-x", "--exclude-type"], Plain),
            flag(&["-v"]),
        ],
        // df opens each operand (to find its file system): a secret named there is opened.
        ..Program::new(&["df"], Content)
    },
    Program {
        options: &[
            flag(&["-e", "--canonicalize-existing"]),
            flag(&["-m", "--canonicalize-missing"]),
            flag(&["-L", "--logical"]),
            flag(&["-P", "--physical"]),
            flag(&["-q", "--quiet"]),
            req(&["--relative-to"], PathMeta),
            req(&["--relative-base"], PathMeta),
            flag(&["-s", "--strip", "--no-symlinks"]),
            flag(&["-z", "--zero"]),
        ],
        ..Program::new(&["realpath"], Metadata)
    },
    Program {
        options: &[
            flag(&["-f", "--canonicalize"]),
            flag(&["-e", "--canonicalize-existing"]),
            flag(&["-m", "--canonicalize-missing"]),
            flag(&["-n", "--no-newline"]),
            flag(&["-q", "--quiet"]),
            flag(&["-s", "--silent"]),
            flag(&["-v", "--verbose"]),
            flag(&["-z", "--zero"]),
        ],
        ..Program::new(&["readlink"], Metadata)
    },
    Program {
        options: &[
            flag(&["-v", "--version"]),
            flag(&["--help"]),
            req(&["-m", "--magic-file"], FileRead),
            // Runs decompressors on the file.
            bad(&["-z", "--uncompress"], "runs decompressor programs"),
            bad(
                &["-Z", "--uncompress-noreport"],
                "runs decompressor programs",
            ),
            flag(&["-b", "--brief"]),
            flag(&["-c", "--checking-printout"]),
            req(&["-e", "--exclude"], Plain),
            req(&["--exclude-quiet"], Plain),
            bad_req(&["-f", "--files-from"], LIST),
            req(&["-F", "--separator"], Plain),
            flag(&["-i", "--mime"]),
            flag(&["--apple"]),
            flag(&["--extension"]),
            flag(&["--mime-type"]),
            flag(&["--mime-encoding"]),
            flag(&["-k", "--keep-going"]),
            flag(&["-l", "--list"]),
            bad(&["-L", "--dereference"], FOLLOWS),
            flag(&["-h", "--no-dereference"]),
            flag(&["-n", "--no-buffer"]),
            flag(&["-N", "--no-pad"]),
            flag(&["-0", "--print0"]),
            bad(&["-p", "--preserve-date"], "changes access times"),
            req(&["-P", "--parameter"], Plain),
            flag(&["-r", "--raw"]),
            flag(&["-s", "--special-files"]),
            bad(&["-S", "--no-sandbox"], "turns off its own sandbox"),
            bad(&["-C", "--compile"], "writes a compiled magic file"),
            flag(&["-d", "--debug"]),
        ],
        gnu_common: false,
        // `file` reads the start of each file to tell its type: a content read.
        ..Program::new(&["file"], Content)
    },
    Program {
        options: &[
            flag(&["--normal"]),
            flag(&["-q", "--brief"]),
            flag(&["-s", "--report-identical-files"]),
            flag(&["-c"]),
            req(&["-C"], Plain),
            opt(&["--context"], Plain),
            flag(&["-u"]),
            req(&["-U"], Plain),
            opt(&["--unified"], Plain),
            flag(&["-e", "--ed"]),
            flag(&["-n", "--rcs"]),
            flag(&["-y", "--side-by-side"]),
            req(&["-W", "--width"], Plain),
            flag(&["--left-column"]),
            flag(&["--suppress-common-lines"]),
            flag(&["-p", "--show-c-function"]),
            req(&["-F", "--show-function-line"], Glob),
            req(&["--label", "-L"], Plain),
            flag(&["-t", "--expand-tabs"]),
            flag(&["-T", "--initial-tab"]),
            req(&["--tabsize"], Plain),
            flag(&["--suppress-blank-empty"]),
            // Runs `pr`.
            bad(&["-l", "--paginate"], "runs pr"),
            // Compares every file of two trees: judged as unknown.
            bad(&["-r", "--recursive"], "reads every file below directories"),
            flag(&["--no-dereference"]),
            bad(&["-N", "--new-file"], "reads every file below directories"),
            bad(
                &["--unidirectional-new-file"],
                "reads every file below directories",
            ),
            flag(&["--ignore-file-name-case"]),
            flag(&["--no-ignore-file-name-case"]),
            req(&["-x", "--exclude"], Glob),
            req(&["-X", "--exclude-from"], FileRead),
            req(&["-S", "--starting-file"], Plain),
            req(&["--from-file"], FileRead),
            req(&["--to-file"], FileRead),
            flag(&["-i", "--ignore-case"]),
            flag(&["-E", "--ignore-tab-expansion"]),
            flag(&["-Z", "--ignore-trailing-space"]),
            flag(&["-b", "--ignore-space-change"]),
            flag(&["-w", "--ignore-all-space"]),
            flag(&["-B", "--ignore-blank-lines"]),
            req(&["-I", "--ignore-matching-lines"], Glob),
            flag(&["-a", "--text"]),
            flag(&["--strip-trailing-cr"]),
            req(&["-D", "--ifdef"], Plain),
            req(&["--old-group-format"], Format),
            req(&["--new-group-format"], Format),
            req(&["--changed-group-format"], Format),
            req(&["--unchanged-group-format"], Format),
            req(&["--line-format"], Format),
            req(&["--old-line-format"], Format),
            req(&["--new-line-format"], Format),
            req(&["--unchanged-line-format"], Format),
            flag(&["-d", "--minimal"]),
            req(&["--horizon-lines"], Plain),
            flag(&["--speed-large-files"]),
            opt(&["--color"], Enum(&["never", "always", "auto"])),
            req(&["--palette"], Plain),
            flag(&["-v", "--version"]),
            flag(&["--help"]),
        ],
        check: Some(|w, call| {
            // diff compares same-named files of two directories: every file in them is read.
            if w.cfg.resolve_symlinks {
                for f in &call.files {
                    if let Some(l) = &f.lit {
                        if std::path::Path::new(&w.ctx.classify(w.cfg, l).path).is_dir() {
                            call.read_only = false;
                        }
                    }
                }
            }
        }),
        numeric_option: true,
        max_operands: Some(2),
        gnu_common: false,
        ..Program::new(&["diff"], Content)
    },
    Program {
        options: &[
            flag(&["-b", "--print-bytes"]),
            req(&["-i", "--ignore-initial"], Plain),
            flag(&["-l", "--verbose"]),
            req(&["-n", "--bytes"], Plain),
            flag(&["-s", "--quiet", "--silent"]),
            flag(&["-v", "--version"]),
            flag(&["--help"]),
        ],
        max_operands: Some(4),
        gnu_common: false,
        ..Program::new(&["cmp"], Content)
    },
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::grammar::{parse, Value};
    use super::super::table::find;
    use super::super::words_for_test as w;

    #[test]
    fn helpers_and_link_following_are_forbidden() {
        for (prog, line) in [
            ("diff", "-l a b"),
            ("file", "-z x"),
            ("file", "--uncompress x"),
            ("du", "-L ."),
            ("stat", "-L x"),
        ] {
            let p = parse(find(prog).unwrap(), &w(line)).unwrap();
            assert!(
                p.used
                    .iter()
                    .any(|u| matches!(u.opt.value, Value::Forbidden(_))),
                "{prog} {line}"
            );
        }
    }

    #[test]
    fn printf_formats_are_judged() {
        let p = parse(find("stat").unwrap(), &w("--printf=%n x")).unwrap();
        assert_eq!(p.used[0].opt.value, Value::Format);
    }
}
