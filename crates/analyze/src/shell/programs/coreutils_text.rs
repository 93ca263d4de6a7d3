//! Text filters that read files' content (GNU coreutils, util-linux, binutils, xxd).
//! Platform notes: BSD/macOS meanings of the same letters are folded in — where any
//! platform's meaning writes or runs, the option is forbidden (`base64 -o` writes on macOS).

use super::grammar::Value::*;
use super::grammar::{bad, bad_req, flag, opt, req, Operands::*, Program, Style};

const CHECK: &str = "reads a list of file names and opens each";
const FOLLOW: &str = "follows a file forever";
const WRITES: &str = "writes a file";
const ESCAPES: &str = "decoded bytes may hold terminal escape sequences";

const SUMS: &[super::grammar::Opt] = &[
    flag(&["-b", "--binary"]),
    bad(&["-c", "--check"], CHECK),
    flag(&["--tag"]),
    flag(&["-t", "--text"]),
    flag(&["-z", "--zero"]),
    flag(&["--ignore-missing"]),
    flag(&["--quiet"]),
    flag(&["--status"]),
    flag(&["--strict"]),
    flag(&["-w", "--warn"]),
];

const BASE64: &[super::grammar::Opt] = &[
    // GNU decodes; the output is raw bytes.
    bad(&["-d", "--decode", "-D"], ESCAPES),
    // GNU: ignore garbage. macOS: `-i FILE` is the input file — then the next word is read
    // as an operand here, and checked as a file read all the same.
    flag(&["-i", "--ignore-garbage"]),
    req(&["-w", "--wrap"], Plain),
    // macOS: `-o FILE` writes FILE; `-b N` wraps.
    bad_req(&["-o", "--output"], WRITES),
    req(&["-b", "--break"], Plain),
];

pub(super) const PROGRAMS: &[Program] = &[
    Program {
        options: &[
            flag(&["-A", "--show-all"]),
            flag(&["-b", "--number-nonblank"]),
            flag(&["-e"]),
            flag(&["-E", "--show-ends"]),
            flag(&["-n", "--number"]),
            flag(&["-s", "--squeeze-blank"]),
            flag(&["-t"]),
            flag(&["-T", "--show-tabs"]),
            flag(&["-u"]),
            flag(&["-v", "--show-nonprinting"]),
        ],
        ..Program::new(&["cat"], Content)
    },
    Program {
        options: &[
            flag(&["-b", "--before"]),
            flag(&["-r", "--regex"]),
            req(&["-s", "--separator"], Plain),
        ],
        ..Program::new(&["tac"], Content)
    },
    Program {
        options: &[
            flag(&["-h", "--help"]),
            flag(&["-V", "--version"]),
            flag(&["-0", "--zero"]),
        ],
        gnu_common: false,
        ..Program::new(&["rev"], Content)
    },
    Program {
        options: &[flag(&["-r"]), flag(&["-s", "--sysv"])],
        ..Program::new(&["sum"], Content)
    },
    Program {
        options: SUMS,
        ..Program::new(
            &[
                "md5sum",
                "sha1sum",
                "sha224sum",
                "sha256sum",
                "sha384sum",
                "sha512sum",
            ],
            Content,
        )
    },
    Program {
        options: &[
            flag(&["-b", "--binary"]),
            bad(&["-c", "--check"], CHECK),
            req(&["-l", "--length"], Plain),
            flag(&["--tag"]),
            flag(&["-t", "--text"]),
            flag(&["-z", "--zero"]),
            flag(&["--ignore-missing"]),
            flag(&["--quiet"]),
            flag(&["--status"]),
            flag(&["--strict"]),
            flag(&["-w", "--warn"]),
        ],
        ..Program::new(&["b2sum"], Content)
    },
    Program {
        options: &[
            req(
                &["-a", "--algorithm"],
                Enum(&[
                    "sysv", "bsd", "crc", "md5", "sha1", "sha224", "sha256", "sha384", "sha512",
                    "blake2b", "sm3",
                ]),
            ),
            flag(&["--base64"]),
            bad(&["-c", "--check"], CHECK),
            req(&["-l", "--length"], Plain),
            flag(&["--raw"]),
            flag(&["--tag"]),
            flag(&["--untagged"]),
            flag(&["-z", "--zero"]),
            flag(&["--ignore-missing"]),
            flag(&["--quiet"]),
            flag(&["--status"]),
            flag(&["--strict"]),
            flag(&["-w", "--warn"]),
            flag(&["--debug"]),
        ],
        ..Program::new(&["cksum"], Content)
    },
    Program {
        options: BASE64,
        max_operands: Some(1),
        ..Program::new(&["base64", "base32"], Content)
    },
    Program {
        options: &[
            flag(&["-b", "--bytes"]),
            flag(&["-s", "--spaces"]),
            req(&["-w", "--width"], Plain),
        ],
        numeric_option: true,
        ..Program::new(&["fold"], Content)
    },
    Program {
        options: &[
            flag(&["-c", "--crown-margin"]),
            req(&["-p", "--prefix"], Plain),
            flag(&["-s", "--split-only"]),
            flag(&["-t", "--tagged-paragraph"]),
            flag(&["-u", "--uniform-spacing"]),
            req(&["-w", "--width"], Plain),
            req(&["-g", "--goal"], Plain),
        ],
        numeric_option: true,
        ..Program::new(&["fmt"], Content)
    },
    Program {
        options: &[flag(&["-i", "--initial"]), req(&["-t", "--tabs"], Plain)],
        numeric_option: true,
        ..Program::new(&["expand"], Content)
    },
    Program {
        options: &[
            flag(&["-a", "--all"]),
            flag(&["--first-only"]),
            req(&["-t", "--tabs"], Plain),
        ],
        numeric_option: true,
        ..Program::new(&["unexpand"], Content)
    },
    Program {
        options: &[
            req(&["-d", "--delimiters"], Plain),
            flag(&["-s", "--serial"]),
            flag(&["-z", "--zero-terminated"]),
        ],
        ..Program::new(&["paste"], Content)
    },
    Program {
        options: &[
            flag(&["-1"]),
            flag(&["-2"]),
            flag(&["-3"]),
            flag(&["--check-order"]),
            flag(&["--nocheck-order"]),
            req(&["--output-delimiter"], Plain),
            flag(&["--total"]),
            flag(&["-z", "--zero-terminated"]),
        ],
        max_operands: Some(2),
        ..Program::new(&["comm"], Content)
    },
    Program {
        options: &[
            req(&["-a"], Plain),
            req(&["-e"], Plain),
            flag(&["-i", "--ignore-case"]),
            req(&["-j"], Plain),
            req(&["-o"], Plain),
            req(&["-t"], Plain),
            req(&["-v"], Plain),
            req(&["-1"], Plain),
            req(&["-2"], Plain),
            flag(&["--check-order"]),
            flag(&["--nocheck-order"]),
            flag(&["--header"]),
            flag(&["-z", "--zero-terminated"]),
        ],
        max_operands: Some(2),
        ..Program::new(&["join"], Content)
    },
    Program {
        options: &[
            req(&["-b", "--body-numbering"], Plain),
            req(&["-d", "--section-delimiter"], Plain),
            req(&["-f", "--footer-numbering"], Plain),
            req(&["-h", "--header-numbering"], Plain),
            req(&["-i", "--line-increment"], Plain),
            req(&["-l", "--join-blank-lines"], Plain),
            req(&["-n", "--number-format"], Enum(&["ln", "rn", "rz"])),
            flag(&["-p", "--no-renumber"]),
            req(&["-s", "--number-separator"], Plain),
            req(&["-v", "--starting-line-number"], Plain),
            req(&["-w", "--number-width"], Plain),
        ],
        ..Program::new(&["nl"], Content)
    },
    Program {
        options: &[
            req(&["-A", "--address-radix"], Enum(&["d", "o", "x", "n"])),
            req(&["--endian"], Enum(&["big", "little"])),
            req(&["-j", "--skip-bytes"], Plain),
            req(&["-N", "--read-bytes"], Plain),
            // `-S BYTES` but `--strings[=BYTES]`.
            req(&["-S"], Plain),
            opt(&["--strings"], Plain),
            req(&["-t", "--format"], Plain),
            flag(&["-v", "--output-duplicates"]),
            // `-w[BYTES]`: the next word is never its value (`od -w ~/.ssh/id_rsa`).
            opt(&["-w", "--width"], Plain),
            flag(&["--traditional"]),
            flag(&["-a"]),
            flag(&["-b"]),
            flag(&["-c"]),
            flag(&["-d"]),
            flag(&["-f"]),
            flag(&["-i"]),
            flag(&["-l"]),
            flag(&["-o"]),
            flag(&["-s"]),
            flag(&["-x"]),
        ],
        ..Program::new(&["od"], Content)
    },
    Program {
        options: &[
            flag(&["-a", "--all"]),
            flag(&["-d", "--data"]),
            flag(&["-f", "--print-file-name"]),
            req(&["-n", "--bytes"], Plain),
            req(&["-t", "--radix"], Enum(&["o", "d", "x"])),
            flag(&["-w", "--include-all-whitespace"]),
            flag(&["-o"]),
            req(&["-T", "--target"], Plain),
            req(&["-e", "--encoding"], Enum(&["s", "S", "b", "l", "B", "L"])),
            req(
                &["--unicode"],
                Enum(&["default", "locale", "invalid", "hex", "escape"]),
            ),
            req(&["-U"], Enum(&["d", "l", "i", "x", "e"])),
            req(&["-s", "--output-separator"], Plain),
            flag(&["-h", "--help"]),
            flag(&["-v", "-V", "--version"]),
        ],
        gnu_common: false,
        numeric_option: true,
        check: Some(|w, call| {
            // binutils read `@FILE` as more options.
            if call.args.iter().any(|a| a.starts_with("@")) {
                call.read_only = false;
            }
            let _ = w;
        }),
        ..Program::new(&["strings"], Content)
    },
    Program {
        options: &[
            req(&["-c", "--bytes"], Plain),
            req(&["-n", "--lines"], Plain),
            flag(&["-q", "--quiet", "--silent"]),
            flag(&["-v", "--verbose"]),
            flag(&["-z", "--zero-terminated"]),
        ],
        numeric_option: true,
        ..Program::new(&["head"], Content)
    },
    Program {
        options: &[
            req(&["-c", "--bytes"], Plain),
            bad(&["-f"], FOLLOW),
            opt(&["--follow"], Forbidden(FOLLOW)),
            bad(&["-F"], FOLLOW),
            req(&["-n", "--lines"], Plain),
            req(&["--max-unchanged-stats"], Plain),
            req(&["--pid"], Plain),
            flag(&["-q", "--quiet", "--silent"]),
            bad(&["--retry"], FOLLOW),
            req(&["-s", "--sleep-interval"], Plain),
            flag(&["-v", "--verbose"]),
            flag(&["-z", "--zero-terminated"]),
        ],
        numeric_option: true,
        ..Program::new(&["tail"], Content)
    },
    Program {
        options: &[
            flag(&["-c", "--bytes"]),
            flag(&["-m", "--chars"]),
            flag(&["-l", "--lines"]),
            bad_req(&["--files0-from"], CHECK),
            flag(&["-L", "--max-line-length"]),
            flag(&["-w", "--words"]),
            req(&["--total"], Enum(&["auto", "always", "only", "never"])),
        ],
        ..Program::new(&["wc"], Content)
    },
    Program {
        options: &[
            flag(&["-b", "--ignore-leading-blanks"]),
            flag(&["-d", "--dictionary-order"]),
            flag(&["-f", "--ignore-case"]),
            flag(&["-g", "--general-numeric-sort"]),
            flag(&["-i", "--ignore-nonprinting"]),
            flag(&["-M", "--month-sort"]),
            flag(&["-h", "--human-numeric-sort"]),
            flag(&["-n", "--numeric-sort"]),
            flag(&["-R", "--random-sort"]),
            bad_req(&["--random-source"], "reads a file of random bytes"),
            flag(&["-r", "--reverse"]),
            req(
                &["--sort"],
                Enum(&[
                    "general-numeric",
                    "human-numeric",
                    "month",
                    "numeric",
                    "random",
                    "version",
                ]),
            ),
            flag(&["-V", "--version-sort"]),
            req(&["--batch-size"], Plain),
            flag(&["-c"]),
            opt(&["--check"], Enum(&["diagnose-first", "quiet", "silent"])),
            flag(&["-C"]),
            bad_req(&["--compress-program"], "runs a program"),
            flag(&["--debug"]),
            bad_req(&["--files0-from"], CHECK),
            req(&["-k", "--key"], Plain),
            flag(&["-m", "--merge"]),
            req(&["-o", "--output"], FileWrite),
            flag(&["-s", "--stable"]),
            req(&["-S", "--buffer-size"], Plain),
            req(&["-t", "--field-separator"], Plain),
            bad_req(
                &["-T", "--temporary-directory"],
                "writes temporary files there",
            ),
            req(&["--parallel"], Plain),
            flag(&["-u", "--unique"]),
            flag(&["-z", "--zero-terminated"]),
        ],
        ..Program::new(&["sort"], Content)
    },
    Program {
        options: &[
            flag(&["-c", "--count"]),
            flag(&["-d", "--repeated"]),
            flag(&["-D"]),
            opt(&["--all-repeated"], Enum(&["none", "prepend", "separate"])),
            req(&["-f", "--skip-fields"], Plain),
            opt(
                &["--group"],
                Enum(&["separate", "prepend", "append", "both"]),
            ),
            flag(&["-i", "--ignore-case"]),
            req(&["-s", "--skip-chars"], Plain),
            flag(&["-u", "--unique"]),
            flag(&["-z", "--zero-terminated"]),
            req(&["-w", "--check-chars"], Plain),
        ],
        // The second operand is the OUTPUT file.
        max_operands: Some(1),
        numeric_option: true,
        ..Program::new(&["uniq"], Content)
    },
    Program {
        options: &[
            req(&["-b", "--bytes"], Plain),
            req(&["-c", "--characters"], Plain),
            req(&["-d", "--delimiter"], Plain),
            req(&["-f", "--fields"], Plain),
            flag(&["-n"]),
            flag(&["--complement"]),
            flag(&["-s", "--only-delimited"]),
            req(&["--output-delimiter"], Plain),
            flag(&["-z", "--zero-terminated"]),
        ],
        ..Program::new(&["cut"], Content)
    },
    Program {
        options: &[
            flag(&["-c", "-C", "--complement"]),
            flag(&["-d", "--delete"]),
            flag(&["-s", "--squeeze-repeats"]),
            flag(&["-t", "--truncate-set1"]),
        ],
        // The sets are text; `tr x '\033'` makes an escape byte (judged with the text).
        max_operands: Some(2),
        ..Program::new(&["tr"], Text)
    },
    Program {
        options: &[
            flag(&["-t", "--table"]),
            req(&["-n", "--table-name"], Plain),
            req(&["-O", "--table-order"], Plain),
            req(&["-N", "--table-columns"], Plain),
            req(&["-l", "--table-columns-limit"], Plain),
            req(&["-E", "--table-noextreme"], Plain),
            flag(&["-d", "--table-noheadings"]),
            flag(&["-e", "--table-header-repeat"]),
            req(&["-H", "--table-hide"], Plain),
            req(&["-R", "--table-right"], Plain),
            req(&["-T", "--table-truncate"], Plain),
            req(&["-W", "--table-wrap"], Plain),
            flag(&["-L", "--keep-empty-lines"]),
            flag(&["-J", "--json"]),
            req(&["-r", "--tree"], Plain),
            req(&["-i", "--tree-id"], Plain),
            req(&["-p", "--tree-parent"], Plain),
            req(&["-c", "--output-width"], Plain),
            req(&["-o", "--output-separator"], Plain),
            req(&["-s", "--separator"], Plain),
            flag(&["-x", "--fillrows"]),
            flag(&["-h", "--help"]),
            flag(&["-V", "--version"]),
        ],
        gnu_common: false,
        ..Program::new(&["column"], Content)
    },
    Program {
        options: &[
            flag(&["--debug"]),
            req(&["-d", "--delimiter"], Plain),
            req(&["--field"], Plain),
            req(&["--format"], Format),
            req(&["--from"], Enum(&["none", "auto", "si", "iec", "iec-i"])),
            req(&["--from-unit"], Plain),
            flag(&["--grouping"]),
            opt(&["--header"], Plain),
            req(&["--invalid"], Enum(&["abort", "fail", "warn", "ignore"])),
            req(&["--padding"], Plain),
            req(
                &["--round"],
                Enum(&["up", "down", "from-zero", "towards-zero", "nearest"]),
            ),
            req(&["--suffix"], Plain),
            req(&["--to"], Enum(&["none", "auto", "si", "iec", "iec-i"])),
            req(&["--to-unit"], Plain),
            flag(&["-z", "--zero-terminated"]),
        ],
        ..Program::new(&["numfmt"], Text)
    },
    Program {
        style: Style::Words,
        options: &[
            flag(&["-a", "-autoskip"]),
            flag(&["-b", "-bits"]),
            flag(&["-C", "-capitalize"]),
            req(&["-c", "-cols"], Plain),
            flag(&["-E", "-EBCDIC"]),
            flag(&["-e"]),
            req(&["-g", "-groupsize"], Plain),
            flag(&["-h", "-help"]),
            flag(&["-i", "-include"]),
            req(&["-l", "-len"], Plain),
            req(&["-n", "-name"], Plain),
            req(&["-o", "-offset"], Plain),
            flag(&["-p", "-ps", "-postscript", "-plain"]),
            bad(
                &["-r", "-revert"],
                "writes binary bytes (or patches the output file)",
            ),
            flag(&["-d"]),
            req(&["-s", "-seek"], Plain),
            flag(&["-u", "-uppercase"]),
            flag(&["-v", "-version"]),
        ],
        gnu_common: false,
        // `xxd IN OUT` writes OUT.
        max_operands: Some(1),
        ..Program::new(&["xxd"], Content)
    },
    Program {
        options: &[
            flag(&["-b", "--one-byte-octal"]),
            flag(&["-c", "--one-byte-char"]),
            flag(&["-C", "--canonical"]),
            flag(&["-d", "--two-bytes-decimal"]),
            flag(&["-o", "--two-bytes-octal"]),
            flag(&["-x", "--two-bytes-hex"]),
            opt(&["-L", "--color"], Enum(&["auto", "always", "never"])),
            req(&["-e", "--format"], Format),
            req(&["-f", "--format-file"], FileRead),
            req(&["-n", "--length"], Plain),
            req(&["-s", "--skip"], Plain),
            flag(&["-v", "--no-squeezing"]),
            flag(&["-h", "--help"]),
            flag(&["-V", "--version"]),
        ],
        gnu_common: false,
        check: Some(|_, call| {
            // A format file's escapes are not seen here.
            if call.parsed.has("-f") {
                call.read_only = false;
            }
        }),
        ..Program::new(&["hexdump", "hd"], Content)
    },
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::grammar::{parse, Value};
    use super::super::table::find;
    use super::super::words_for_test as w;

    #[test]
    fn od_width_takes_no_separate_value() {
        let p = parse(find("od").unwrap(), &w("-An -c -w ~/.ssh/id_ed25519")).unwrap();
        assert_eq!(p.operands.len(), 1);
    }

    #[test]
    fn xxd_options_end_at_the_first_operand() {
        let p = parse(find("xxd").unwrap(), &w("f -ps")).unwrap();
        assert_eq!(p.operands.len(), 2);
    }

    #[test]
    fn uniq_and_xxd_take_one_operand() {
        assert_eq!(find("uniq").unwrap().max_operands, Some(1));
        assert_eq!(find("xxd").unwrap().max_operands, Some(1));
        let p = parse(find("xxd").unwrap(), &w("-c16 -ps f")).unwrap();
        assert_eq!(p.operands.len(), 1);
        let p = parse(find("xxd").unwrap(), &w("-r f")).unwrap();
        assert!(matches!(p.used[0].opt.value, Value::Forbidden(_)));
    }

    #[test]
    fn sort_output_abbreviation_is_a_write() {
        let p = parse(find("sort").unwrap(), &w("--out=x f")).unwrap();
        assert_eq!(p.used[0].opt.value, Value::FileWrite);
        let p = parse(find("base64").unwrap(), &w("-d -o x")).unwrap();
        assert!(p
            .used
            .iter()
            .all(|u| matches!(u.opt.value, Value::Forbidden(_))));
    }
}
