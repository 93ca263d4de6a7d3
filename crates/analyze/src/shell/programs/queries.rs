//! Read-only subcommands of package managers and toolchains (`npm ls`, `pip list`, `pip
//! show`, `go version`): each is a grammar for the words after the subcommand. The program
//! itself is otherwise not on the allowlist (it installs, runs scripts, uses the network).

use super::super::words::Arg;
use super::grammar::Value::*;
use super::grammar::{bad, flag, req, Operands::*, Program, Style};

/// A program, the subcommand words that select the grammar, and the grammar of the rest.
pub(super) struct Query {
    pub program: &'static [&'static str],
    pub words: &'static [&'static [&'static str]],
    pub grammar: Program,
}

const NPM_LS: Program = Program {
    options: &[
        flag(&["-a", "--all"]),
        req(&["--depth"], Plain),
        flag(&["--json"]),
        flag(&["-l", "--long"]),
        flag(&["-p", "--parseable"]),
        flag(&["--prod", "--production"]),
        flag(&["--dev"]),
        req(&["--omit"], Enum(&["dev", "optional", "peer"])),
        req(&["--include"], Enum(&["prod", "dev", "optional", "peer"])),
        flag(&["--link"]),
        flag(&["--unicode"]),
        flag(&["--no-unicode"]),
        flag(&["--package-lock-only"]),
        req(&["-w", "--workspace"], Plain),
        flag(&["--workspaces", "-ws"]),
    ],
    gnu_common: false,
    ..Program::new(&["npm ls"], Text)
};

const PIP_LIST: Program = Program {
    options: &[
        // Outdated/up-to-date checks query the package index.
        bad(&["-o", "--outdated"], "queries the network"),
        bad(&["-u", "--uptodate"], "queries the network"),
        flag(&["-e", "--editable"]),
        flag(&["-l", "--local"]),
        flag(&["--user"]),
        req(&["--path"], PathMeta),
        flag(&["--pre"]),
        req(&["--format"], Enum(&["columns", "freeze", "json"])),
        flag(&["--not-required"]),
        flag(&["--exclude-editable"]),
        flag(&["--include-editable"]),
        req(&["--exclude"], Plain),
        flag(&["-v", "--verbose"]),
        flag(&["-q", "--quiet"]),
        flag(&["--no-color"]),
        flag(&["--disable-pip-version-check"]),
        flag(&["--no-input"]),
        flag(&["--isolated"]),
        flag(&["--all"]),
        flag(&["-f", "--files"]),
    ],
    gnu_common: false,
    ..Program::new(&["pip list"], Text)
};

const GO_VERSION: Program = Program {
    style: Style::Gnu,
    options: &[flag(&["-m"]), flag(&["-v"]), flag(&["-json"])],
    gnu_common: false,
    // `go version FILE` reads a binary's build information.
    ..Program::new(&["go version"], Content)
};

pub(super) const QUERIES: &[Query] = &[
    Query {
        program: &["npm", "pnpm"],
        words: &[&["ls"], &["list"], &["la"], &["ll"]],
        grammar: NPM_LS,
    },
    Query {
        program: &["pip", "pip3"],
        words: &[&["list"], &["show"], &["freeze"]],
        grammar: PIP_LIST,
    },
    Query {
        program: &["go"],
        words: &[&["version"]],
        grammar: GO_VERSION,
    },
];

/// The grammar for `program args…` when it starts with a read-only subcommand, and the words
/// after that subcommand.
pub(super) fn find<'a>(program: &str, args: &'a [Arg]) -> Option<(&'static Program, &'a [Arg])> {
    QUERIES
        .iter()
        .filter(|q| q.program.contains(&program))
        .find_map(|q| {
            q.words.iter().find_map(|w| {
                let head = args.get(..w.len())?;
                head.iter()
                    .zip(w.iter())
                    .all(|(a, w)| a.is(w))
                    .then(|| (&q.grammar, args.get(w.len()..).unwrap_or(&[])))
            })
        })
}
