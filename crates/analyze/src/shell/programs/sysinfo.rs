//! Programs that print facts about the system or the user, and small text utilities.

use super::grammar::Value::*;
use super::grammar::{bad, bad_req, flag, opt, req, Operands::*, Program, Style};

/// `date`: an operand sets the clock unless it is a `+FORMAT` (GNU and BSD alike).
fn date_check(_: &mut super::super::Walker<'_>, call: &mut super::judge::Call<'_>) {
    if call
        .parsed
        .operands
        .iter()
        .any(|a| !a.lit.as_deref().is_some_and(|l| l.starts_with('+')))
    {
        call.read_only = false;
    }
}

pub(super) const PROGRAMS: &[Program] = &[
    Program {
        options: &[
            req(&["-d", "--date"], Plain),
            flag(&["--debug"]),
            // GNU: a file of dates. BSD: the input format. Checked as a file read.
            req(&["-f", "--file"], FileRead),
            // `-I[FMT]`: the next word is never its value (`date -I -f id_rsa`).
            opt(
                &["-I", "--iso-8601"],
                Enum(&["date", "hours", "minutes", "seconds", "ns"]),
            ),
            flag(&["--resolution"]),
            flag(&["-R", "--rfc-email"]),
            req(&["--rfc-3339"], Enum(&["date", "seconds", "ns"])),
            // GNU: a file whose time is shown. BSD: seconds.
            req(&["-r", "--reference"], PathMeta),
            bad_req(&["-s", "--set"], "sets the clock"),
            flag(&["-u", "--utc", "--universal"]),
        ],
        max_operands: Some(1),
        check: Some(date_check),
        ..Program::new(&["date"], Text)
    },
    Program {
        options: &[
            flag(&["-a", "--alias"]),
            flag(&["-A", "--all-fqdns"]),
            bad(&["-b", "--boot"], "sets the host name"),
            flag(&["-d", "--domain"]),
            flag(&["-f", "--fqdn", "--long"]),
            bad_req(&["-F", "--file"], "sets the host name"),
            flag(&["-i", "--ip-address"]),
            flag(&["-I", "--all-ip-addresses"]),
            flag(&["-s", "--short"]),
            flag(&["-y", "--yp", "--nis"]),
            flag(&["-h", "--help"]),
            flag(&["-V", "--version"]),
        ],
        gnu_common: false,
        // An operand sets the host name.
        max_operands: Some(0),
        ..Program::new(&["hostname"], Text)
    },
    Program {
        options: &[
            flag(&["-a", "--all"]),
            flag(&["-s", "--kernel-name"]),
            flag(&["-n", "--nodename"]),
            flag(&["-r", "--kernel-release"]),
            flag(&["-v", "--kernel-version"]),
            flag(&["-m", "--machine"]),
            flag(&["-p", "--processor"]),
            flag(&["-i", "--hardware-platform"]),
            flag(&["-o", "--operating-system"]),
        ],
        max_operands: Some(0),
        ..Program::new(&["uname"], Text)
    },
    Program {
        options: &[
            flag(&["-a"]),
            flag(&["-Z", "--context"]),
            flag(&["-g", "--group"]),
            flag(&["-G", "--groups"]),
            flag(&["-n", "--name"]),
            flag(&["-r", "--real"]),
            flag(&["-u", "--user"]),
            flag(&["-z", "--zero"]),
        ],
        max_operands: Some(1),
        ..Program::new(&["id"], Text)
    },
    Program {
        options: &[flag(&["--all"]), req(&["--ignore"], Plain)],
        max_operands: Some(0),
        ..Program::new(&["nproc"], Text)
    },
    Program {
        options: &[
            flag(&["-p", "--pretty"]),
            flag(&["-h", "--help"]),
            flag(&["-s", "--since"]),
            flag(&["-V", "--version"]),
        ],
        gnu_common: false,
        max_operands: Some(0),
        ..Program::new(&["uptime"], Text)
    },
    Program {
        options: &[
            flag(&["-b", "--bytes"]),
            flag(&["-k", "--kibi"]),
            flag(&["-m", "--mebi"]),
            flag(&["-g", "--gibi"]),
            flag(&["--tebi"]),
            flag(&["--pebi"]),
            flag(&["--kilo"]),
            flag(&["--mega"]),
            flag(&["--giga"]),
            flag(&["--tera"]),
            flag(&["--peta"]),
            flag(&["-h", "--human"]),
            flag(&["--si"]),
            flag(&["-l", "--lohi"]),
            flag(&["-L", "--line"]),
            flag(&["-t", "--total"]),
            flag(&["-v", "--committed"]),
            // Repeats forever unless counted.
            bad_req(&["-s", "--seconds"], "repeats forever"),
            req(&["-c", "--count"], Plain),
            flag(&["-w", "--wide"]),
            flag(&["--help"]),
            flag(&["-V", "--version"]),
        ],
        gnu_common: false,
        max_operands: Some(0),
        ..Program::new(&["free"], Text)
    },
    Program {
        max_operands: Some(0),
        ..Program::new(&["whoami", "logname", "arch"], Text)
    },
    Program {
        // `users FILE` reads a utmp file.
        max_operands: Some(0),
        ..Program::new(&["users"], Text)
    },
    Program {
        options: &[flag(&["-L", "--logical"]), flag(&["-P", "--physical"])],
        max_operands: Some(0),
        ..Program::new(&["pwd"], Text)
    },
    Program {
        options: &[flag(&["-s", "--silent", "--quiet"])],
        max_operands: Some(0),
        ..Program::new(&["tty"], Text)
    },
    Program::new(&["groups"], Text),
    Program {
        options: &[
            flag(&["-a", "--all-locales"]),
            // Lists charmaps by running gzip over them.
            bad(&["-m", "--charmaps"], "runs gzip"),
            flag(&["-c", "--category-name"]),
            flag(&["-k", "--keyword-name"]),
            flag(&["-v", "--verbose"]),
        ],
        ..Program::new(&["locale"], Text)
    },
    Program {
        options: &[flag(&["-a"]), flag(&["-s"])],
        gnu_common: false,
        ..Program::new(&["which"], Text)
    },
    Program {
        options: &[
            flag(&["-a"]),
            flag(&["-f"]),
            flag(&["-P"]),
            flag(&["-p"]),
            flag(&["-t"]),
        ],
        gnu_common: false,
        ..Program::new(&["type"], Text)
    },
    Program {
        options: &[
            flag(&["-a", "--multiple"]),
            req(&["-s", "--suffix"], Plain),
            flag(&["-z", "--zero"]),
        ],
        ..Program::new(&["basename"], Text)
    },
    Program {
        options: &[flag(&["-z", "--zero"])],
        ..Program::new(&["dirname"], Text)
    },
    Program {
        options: &[
            req(&["-f", "--format"], Format),
            req(&["-s", "--separator"], Plain),
            flag(&["-w", "--equal-width"]),
        ],
        // `seq -5 5`: a negative number is an operand.
        numeric_option: true,
        max_operands: Some(3),
        ..Program::new(&["seq"], Text)
    },
    Program {
        style: Style::Raw,
        gnu_common: false,
        ..Program::new(&["true", "false"], Text)
    },
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::grammar::parse;
    use super::super::table::find;
    use super::super::words_for_test as w;

    #[test]
    fn date_iso_takes_only_an_attached_value() {
        let p = parse(find("date").unwrap(), &w("-I -f id_rsa")).unwrap();
        assert_eq!(p.used.len(), 2);
        assert_eq!(
            p.used[1].value.as_ref().unwrap().lit.as_deref(),
            Some("id_rsa")
        );
    }

    #[test]
    fn arch_takes_no_options() {
        assert!(parse(find("arch").unwrap(), &w("-arm64 sh")).is_err());
    }
}
