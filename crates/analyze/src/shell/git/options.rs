//! Option tables of the git subcommands that can be read-only, and a parser that reads
//! arguments the way git does (parse-options for most commands, the revision and diff parser
//! for `log`, `show`, `diff` and their family). An option a table does not list — including an
//! abbreviation git would accept — makes the call not read-only.
//!
//! Table entries: `--name` (no value), `--name=` (value required: `--name=V` or `--name V`),
//! `--name=?` (value optional, attached only: `--name=V`), and the same for short options
//! (`-n=`: `-n5` or `-n 5`; `-M=?`: `-M` or `-M50%`). `-NUM` accepts `-20`.

use super::super::words::Arg;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arity {
    None,
    Required,
    Optional,
}

/// One option as given, with its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Opt {
    /// As written in the table (`--format`, `-n`).
    pub name: String,
    pub value: Option<String>,
}

#[derive(Debug, Default)]
pub(super) struct Parsed<'a> {
    pub opts: Vec<Opt>,
    /// Operands before `--` (revisions or paths) and after it (paths only).
    pub operands: Vec<&'a Arg>,
    pub after_dashdash: Vec<&'a Arg>,
    /// Words taken as the value of the option before them (`-n 5`, `-L 1,5:x`): index in the
    /// parsed arguments, and the option's name.
    pub value_words: Vec<(usize, String)>,
    /// Something the table does not know, or a word whose value is unknown: the reason.
    pub unknown: Option<String>,
}

impl Parsed<'_> {
    pub fn has(&self, name: &str) -> bool {
        self.opts.iter().any(|o| o.name == name)
    }
    pub fn values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.opts
            .iter()
            .filter(move |o| o.name == name)
            .filter_map(|o| o.value.as_deref())
    }
}

fn lookup(table: &[&[&str]], name: &str) -> Option<Arity> {
    table.iter().flat_map(|t| t.iter()).find_map(|e| {
        let (n, arity) = if let Some(n) = e.strip_suffix("=?") {
            (n, Arity::Optional)
        } else if let Some(n) = e.strip_suffix('=') {
            (n, Arity::Required)
        } else {
            (*e, Arity::None)
        };
        (n == name).then_some(arity)
    })
}

/// The entry for `name` that takes a value, if one is listed.
fn lookup_valued(table: &[&[&str]], name: &str) -> Option<Arity> {
    table.iter().flat_map(|t| t.iter()).find_map(|e| {
        if e.strip_suffix("=?") == Some(name) {
            Some(Arity::Optional)
        } else if e.strip_suffix('=') == Some(name) {
            Some(Arity::Required)
        } else {
            None
        }
    })
}

/// Reads `args` against `table`. `bundle`: short options may be grouped (`-sb`), as
/// parse-options allows; the revision parser does not.
pub(super) fn parse<'a>(args: &'a [Arg], table: &[&[&str]], bundle: bool) -> Parsed<'a> {
    let mut p = Parsed::default();
    let mut i = 0;
    let mut dashdash = false;
    while let Some(a) = args.get(i) {
        i += 1;
        if dashdash {
            p.after_dashdash.push(a);
            continue;
        }
        let Some(l) = a.lit.as_deref() else {
            p.unknown
                .get_or_insert_with(|| format!("`{}` is computed at run time", a.raw));
            p.operands.push(a);
            continue;
        };
        if l == "--" {
            dashdash = true;
            continue;
        }
        if l == "-" || !l.starts_with('-') {
            p.operands.push(a);
            continue;
        }
        if let Some(long) = l.strip_prefix("--") {
            let (name, attached) = match long.split_once('=') {
                Some((n, v)) => (format!("--{n}"), Some(v.to_string())),
                None => (l.to_string(), None),
            };
            // A name listed twice (`--decorate`, `--decorate=?`): a value attached picks the
            // entry that takes one.
            let arity = match (lookup(table, &name), &attached) {
                (Some(Arity::None), Some(_)) => lookup_valued(table, &name).or(Some(Arity::None)),
                (a, _) => a,
            };
            match (arity, attached) {
                (Some(Arity::None), None) => p.opts.push(Opt { name, value: None }),
                (Some(Arity::Optional), v) => p.opts.push(Opt { name, value: v }),
                (Some(Arity::Required), Some(v)) => p.opts.push(Opt {
                    name,
                    value: Some(v),
                }),
                (Some(Arity::Required), None) => match args.get(i) {
                    Some(next) => {
                        p.value_words.push((i, name.clone()));
                        i += 1;
                        if next.lit.is_none() {
                            p.unknown.get_or_insert_with(|| {
                                format!("the value of {name} is computed at run time")
                            });
                        }
                        p.opts.push(Opt {
                            name,
                            value: next.lit.clone(),
                        });
                    }
                    None => {
                        p.unknown
                            .get_or_insert_with(|| format!("{name} lacks its value"));
                    }
                },
                _ => {
                    p.unknown
                        .get_or_insert_with(|| format!("git option `{name}` is not known here"));
                }
            }
            continue;
        }
        let Some(body) = l.strip_prefix('-') else {
            continue;
        };
        if body.chars().all(|c| c.is_ascii_digit()) && lookup(table, "-NUM").is_some() {
            p.opts.push(Opt {
                name: "-NUM".into(),
                value: Some(body.to_string()),
            });
            continue;
        }
        // Short options: walk the characters (never byte offsets: the word may not be ASCII).
        let mut chars = body.char_indices().peekable();
        let mut first = true;
        while let Some((pos, c)) = chars.next() {
            if !first && !bundle {
                p.unknown
                    .get_or_insert_with(|| format!("git option `{l}` is not known here"));
                break;
            }
            first = false;
            let name = format!("-{c}");
            let rest = body.get(pos + c.len_utf8()..).unwrap_or("");
            match lookup(table, &name) {
                Some(Arity::None) => p.opts.push(Opt { name, value: None }),
                Some(Arity::Optional) => {
                    p.opts.push(Opt {
                        name,
                        value: (!rest.is_empty()).then(|| rest.to_string()),
                    });
                    break;
                }
                Some(Arity::Required) => {
                    if !rest.is_empty() {
                        p.opts.push(Opt {
                            name,
                            value: Some(rest.to_string()),
                        });
                    } else if let Some(next) = args.get(i) {
                        p.value_words.push((i, name.clone()));
                        i += 1;
                        if next.lit.is_none() {
                            p.unknown.get_or_insert_with(|| {
                                format!("the value of {name} is computed at run time")
                            });
                        }
                        p.opts.push(Opt {
                            name,
                            value: next.lit.clone(),
                        });
                    } else {
                        p.unknown
                            .get_or_insert_with(|| format!("{name} lacks its value"));
                    }
                    break;
                }
                None => {
                    p.unknown
                        .get_or_insert_with(|| format!("git option `{l}` is not known here"));
                    break;
                }
            }
            if chars.peek().is_none() {
                break;
            }
        }
    }
    p
}

/// Options every command of the revision walk (`log`, `show`, `shortlog`, `rev-list`,
/// `whatchanged`, `reflog show`, `stash list`) understands and that only select or format.
pub(super) const REV: &[&str] = &[
    "--oneline",
    "--graph",
    "--decorate",
    "--decorate=?",
    "--no-decorate",
    "--all",
    "--branches=?",
    "--tags=?",
    "--remotes=?",
    "--first-parent",
    "--merges",
    "--no-merges",
    "--min-parents=",
    "--max-parents=",
    "--no-min-parents",
    "--no-max-parents",
    "--reverse",
    "--date-order",
    "--author-date-order",
    "--topo-order",
    "-n=",
    "--max-count=",
    "-NUM",
    "--skip=",
    "--since=",
    "--after=",
    "--until=",
    "--before=",
    "--since-as-filter=",
    "--author=",
    "--committer=",
    "--grep=",
    "--all-match",
    "--invert-grep",
    "-i",
    "--regexp-ignore-case",
    "-E",
    "--extended-regexp",
    "-F",
    "--fixed-strings",
    "--perl-regexp",
    "--basic-regexp",
    "--format=",
    "--pretty=?",
    "--abbrev-commit",
    "--no-abbrev-commit",
    "--abbrev=?",
    "--no-abbrev",
    "--relative-date",
    "--date=",
    "--parents",
    "--children",
    "--left-right",
    "--boundary",
    "--cherry-pick",
    "--cherry-mark",
    "--cherry",
    "--left-only",
    "--right-only",
    "--ancestry-path",
    "--simplify-by-decoration",
    "--full-history",
    "--dense",
    "--sparse",
    "--simplify-merges",
    "--source",
    "--use-mailmap",
    "--no-use-mailmap",
    "--mailmap",
    "--no-mailmap",
    "--follow",
    "--no-walk=?",
    "--do-walk",
    "--walk-reflogs",
    "-g",
    "--no-notes",
    "--exclude=",
    "--count",
    "-z",
    "--color=?",
    "--no-color",
    "--no-show-signature",
    "--in-commit-order",
    "--exclude-first-parent-only",
    "--show-linear-break=?",
    "--log-size",
    "--no-expand-tabs",
    "--expand-tabs=?",
    "--clear-decorations",
    "--decorate-refs=",
    "--decorate-refs-exclude=",
    "--show-pulls",
    "--single-worktree",
    "--reflog",
    "--bisect",
    "--alternate-refs",
    "--timestamp",
    "--show-linear-break",
];

/// Options of the diff machinery (`diff`, `show`, `log -p`, `diff-tree`…) that only select or
/// format. Missing on purpose: `--output` (writes), `--ext-diff` and `--textconv` (run
/// programs), `-O` (reads a file), `--no-index` (reads any path), `--submodule` (reads other
/// repositories).
pub(super) const DIFF: &[&str] = &[
    "-p",
    "-u",
    "--patch",
    "-s",
    "--no-patch",
    "-U=",
    "--unified=",
    "--raw",
    "--patch-with-raw",
    "--patch-with-stat",
    "--stat=?",
    "--compact-summary",
    "--numstat",
    "--shortstat",
    "--dirstat=?",
    "--cumulative",
    "--dirstat-by-file=?",
    "--summary",
    "--name-only",
    "--name-status",
    "--stat-width=",
    "--stat-name-width=",
    "--stat-graph-width=",
    "--stat-count=",
    "--word-diff=?",
    "--color-words=?",
    "--word-diff-regex=",
    "--color-words=?",
    "--minimal",
    "--patience",
    "--histogram",
    "--diff-algorithm=",
    "--anchored=",
    "--ignore-space-change",
    "-b",
    "-w",
    "--ignore-all-space",
    "--ignore-blank-lines",
    "--ignore-space-at-eol",
    "--ignore-cr-at-eol",
    "-I=",
    "--ignore-matching-lines=",
    "--function-context",
    "-W",
    "--full-index",
    "--binary",
    "-M=?",
    "--find-renames=?",
    "-C=?",
    "--find-copies=?",
    "-B=?",
    "--break-rewrites=?",
    "--find-copies-harder",
    "--no-renames",
    "--rename-empty",
    "--no-rename-empty",
    "-l=",
    "--diff-filter=",
    "-S=",
    "-G=",
    "--find-object=",
    "--pickaxe-all",
    "--pickaxe-regex",
    "-R",
    "--relative=?",
    "--no-relative",
    "-a",
    "--text",
    "--check",
    "--exit-code",
    "--quiet",
    "--ignore-submodules=?",
    "--src-prefix=",
    "--dst-prefix=",
    "--no-prefix",
    "--default-prefix",
    "--line-prefix=",
    "--ita-invisible-in-index",
    "--ita-visible-in-index",
    "-m",
    "-c",
    "--cc",
    "--dd",
    "--combined-all-paths",
    "--diff-merges=",
    "--no-diff-merges",
    "--color-moved=?",
    "--no-color-moved",
    "--color-moved-ws=",
    "--no-color-moved-ws",
    "--no-ext-diff",
    "--no-textconv",
    "--indent-heuristic",
    "--no-indent-heuristic",
    "--inter-hunk-context=",
    "--color=?",
    "--no-color",
    "--abbrev=?",
    "-z",
    "--no-stat",
    "--irreversible-delete",
    "-D",
    "--ws-error-highlight=",
    "-t",
    "-r",
    "--root",
];

/// `git log -L<range>:<file>`: a file (checked as a path).
pub(super) const LOG_ONLY: &[&str] = &["-L=", "--full-diff"];

pub(super) const DIFF_ONLY: &[&str] = &["--cached", "--staged", "--merge-base"];

pub(super) const DIFF_TREE: &[&str] = &["--no-commit-id", "--always", "-v"];

pub(super) const CHERRY: &[&str] = &["-v", "--abbrev=?"];

pub(super) const SYMBOLIC_REF: &[&str] = &["-q", "--quiet", "--short", "--no-recurse", "--recurse"];

pub(super) const CHECK_ATTR: &[&str] = &["-a", "--all", "--cached", "-z", "--source="];

pub(super) const STATUS: &[&str] = &[
    "-s",
    "--short",
    "-b",
    "--branch",
    "--show-stash",
    "--porcelain=?",
    "--long",
    "-v",
    "--verbose",
    "-u=?",
    "--untracked-files=?",
    "--ignored=?",
    "--ignore-submodules=?",
    "-z",
    "--column=?",
    "--no-column",
    "--ahead-behind",
    "--no-ahead-behind",
    "--renames",
    "--no-renames",
    "--find-renames=?",
    "--no-optional-locks",
];

pub(super) const BLAME: &[&str] = &[
    "-L=",
    "-l",
    "-t",
    "-s",
    "-e",
    "--show-email",
    "-w",
    "-M=?",
    "-C=?",
    "--porcelain",
    "-p",
    "--line-porcelain",
    "--incremental",
    "--show-name",
    "-f",
    "--show-number",
    "-n",
    "--root",
    "--show-stats",
    "--abbrev=?",
    "-c",
    "--date=",
    "--color-lines",
    "--color-by-age",
    "--minimal",
    "-b",
    "--first-parent",
    "--since=",
    "--no-progress",
    "--score-debug",
];

pub(super) const GREP: &[&str] = &[
    "-i",
    "--ignore-case",
    "-w",
    "--word-regexp",
    "-v",
    "--invert-match",
    "-n",
    "--line-number",
    "--column",
    "-l",
    "--files-with-matches",
    "--name-only",
    "-L",
    "--files-without-match",
    "-c",
    "--count",
    "-h",
    "-H",
    "--full-name",
    "-E",
    "-G",
    "-F",
    "-P",
    "--extended-regexp",
    "--basic-regexp",
    "--fixed-strings",
    "--perl-regexp",
    "-e=",
    "--and",
    "--or",
    "--not",
    "(",
    ")",
    "-A=",
    "-B=",
    "-C=",
    "--context=",
    "-NUM",
    "--after-context=",
    "--before-context=",
    "--break",
    "--heading",
    "-p",
    "--show-function",
    "-W",
    "--function-context",
    "--max-depth=",
    "-r",
    "--recursive",
    "--no-recursive",
    "--threads=",
    "-q",
    "--quiet",
    "-a",
    "--text",
    "-I",
    "--cached",
    "--all-match",
    "-o",
    "--only-matching",
    "-z",
    "--null",
    "--color=?",
    "--no-color",
    "-m=",
    "--max-count=",
    "--untracked",
    "--no-index",
    "--exclude-standard",
    "--no-exclude-standard",
    "--no-textconv",
];

pub(super) const CAT_FILE: &[&str] = &["-t", "-s", "-e", "-p", "--allow-unknown-type"];

pub(super) const CONFIG: &[&str] = &[
    "--get",
    "--get-all",
    "--get-regexp",
    "--local",
    "--global",
    "--system",
    "--worktree",
    "--show-origin",
    "--show-scope",
    "--type=",
    "--bool",
    "--int",
    "--bool-or-int",
    "--path",
    "--expiry-date",
    "--default=",
    "-z",
    "--null",
    "--name-only",
    "--includes",
    "--no-includes",
    "--list",
    "-l",
    "--all",
    "--regexp",
    "--value=",
    "--fixed-value",
];

pub(super) const BRANCH: &[&str] = &[
    "-a",
    "--all",
    "-r",
    "--remotes",
    "-v",
    "-vv",
    "--verbose",
    "-l",
    "--list",
    "--show-current",
    "--no-color",
    "--color=?",
    "--merged=?",
    "--no-merged=?",
    "--contains=?",
    "--no-contains=?",
    "--points-at=",
    "--sort=",
    "--format=",
    "--column=?",
    "--no-column",
    "-q",
    "--quiet",
    "--abbrev=",
    "--no-abbrev",
    "-i",
    "--ignore-case",
    "--omit-empty",
];

pub(super) const TAG: &[&str] = &[
    "-l",
    "--list",
    "-n=?",
    "--contains=?",
    "--no-contains=?",
    "--merged=?",
    "--no-merged=?",
    "--points-at=",
    "--sort=",
    "--format=",
    "--column=?",
    "--no-column",
    "-i",
    "--ignore-case",
    "--color=?",
    "--omit-empty",
];

pub(super) const REMOTE: &[&str] = &["-v", "--verbose"];
pub(super) const REMOTE_GET_URL: &[&str] = &["--push", "--all"];

pub(super) const REV_PARSE: &[&str] = &[
    "--show-toplevel",
    "--git-dir",
    "--git-common-dir",
    "--is-inside-work-tree",
    "--is-bare-repository",
    "--is-inside-git-dir",
    "--is-shallow-repository",
    "--abbrev-ref=?",
    "--short=?",
    "--symbolic-full-name",
    "--symbolic",
    "--verify",
    "-q",
    "--quiet",
    "--show-prefix",
    "--show-cdup",
    "--absolute-git-dir",
    "--path-format=",
    "--show-superproject-working-tree",
    "--default=",
    "--revs-only",
    "--no-revs",
    "--flags",
    "--no-flags",
    "--all",
    "--branches=?",
    "--tags=?",
    "--remotes=?",
    "--git-path=",
    "--show-object-format=?",
    "--show-ref-format",
    "--sq",
    "--not",
    "--local-env-vars",
    "--shared-index-path",
    "--end-of-options",
];

pub(super) const LS_FILES: &[&str] = &[
    "-c",
    "--cached",
    "-d",
    "--deleted",
    "-m",
    "--modified",
    "-o",
    "--others",
    "-i",
    "--ignored",
    "-s",
    "--stage",
    "-u",
    "--unmerged",
    "-k",
    "--killed",
    "-z",
    "-t",
    "-v",
    "-f",
    "--directory",
    "--no-empty-directory",
    "--exclude-standard",
    "--full-name",
    "--abbrev=?",
    "--error-unmatch",
    "--eol",
    "--deduplicate",
    "--sparse",
    "--format=",
    "-x=",
    "--exclude=",
    "--with-tree=",
    "--debug",
];

pub(super) const LS_TREE: &[&str] = &[
    "-d",
    "-r",
    "-t",
    "-l",
    "--long",
    "-z",
    "--name-only",
    "--name-status",
    "--object-only",
    "--full-name",
    "--full-tree",
    "--abbrev=?",
    "--format=",
];

pub(super) const DESCRIBE: &[&str] = &[
    "--tags",
    "--all",
    "--long",
    "--abbrev=",
    "--always",
    "--dirty=?",
    "--broken=?",
    "--exact-match",
    "--candidates=",
    "--first-parent",
    "--match=",
    "--exclude=",
    "--contains",
    "--debug",
];

pub(super) const SHORTLOG: &[&str] = &[
    "-s",
    "--summary",
    "-n",
    "--numbered",
    "-e",
    "--email",
    "--group=",
    "-c",
    "--committer",
    "-w=?",
];

pub(super) const MERGE_BASE: &[&str] = &[
    "-a",
    "--all",
    "--octopus",
    "--is-ancestor",
    "--independent",
    "--fork-point",
];

pub(super) const NAME_REV: &[&str] = &[
    "--name-only",
    "--tags",
    "--refs=",
    "--exclude=",
    "--all",
    "--no-undefined",
    "--always",
    "--annotate-stdin",
];

pub(super) const SHOW_REF: &[&str] = &[
    "--heads",
    "--tags",
    "--branches",
    "--head",
    "-d",
    "--dereference",
    "-s",
    "--hash=?",
    "--abbrev=?",
    "--verify",
    "-q",
    "--quiet",
    "--exists",
];

pub(super) const COUNT_OBJECTS: &[&str] = &["-v", "--verbose", "-H", "--human-readable"];

pub(super) const CHECK_IGNORE: &[&str] =
    &["-q", "--quiet", "-n", "--non-matching", "--no-index", "-z"];

pub(super) const SHOW_BRANCH: &[&str] = &[
    "-a",
    "--all",
    "-r",
    "--remotes",
    "--list",
    "--topo-order",
    "--date-order",
    "--current",
    "--sha1-name",
    "--no-name",
    "--more=",
    "--independent",
    "--merge-base",
    "--sparse",
    "--color=?",
    "--no-color",
];

pub(super) const FOR_EACH_REF: &[&str] = &[
    "--format=",
    "--sort=",
    "--count=",
    "--points-at=",
    "--merged=?",
    "--no-merged=?",
    "--contains=?",
    "--no-contains=?",
    "--ignore-case",
    "--omit-empty",
    "--exclude=",
    "--shell",
    "--perl",
    "--python",
    "--tcl",
];

pub(super) const WORKTREE_LIST: &[&str] = &["--porcelain", "-v", "--verbose", "-z"];

pub(super) const STASH_SHOW: &[&str] = &["--no-include-untracked"];

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<Arg> {
        v.iter().map(|s| Arg::literal(s)).collect()
    }

    #[test]
    fn arity_and_bundling() {
        let a = args(&["-sb", "--porcelain=v2", "-uno", "--", "-x"]);
        let p = parse(&a, &[STATUS], true);
        assert!(p.unknown.is_none(), "{:?}", p.unknown);
        assert!(p.has("-s") && p.has("-b"));
        assert_eq!(p.values("-u").collect::<Vec<_>>(), vec!["no"]);
        assert_eq!(p.after_dashdash.len(), 1);

        // Optional values are attached only: the next word stays an operand.
        let a = args(&["--stat", "README.md"]);
        let p = parse(&a, &[DIFF], false);
        assert!(p.unknown.is_none());
        assert_eq!(p.operands.len(), 1);

        // Required values take the next word.
        let a = args(&["-n", "5", "--format", "%h"]);
        let p = parse(&a, &[REV], false);
        assert!(p.unknown.is_none());
        assert_eq!(p.values("--format").collect::<Vec<_>>(), vec!["%h"]);
        assert!(p.operands.is_empty());
    }

    #[test]
    fn unknown_abbreviated_or_odd_options_are_unknown() {
        for bad in [
            &["--outp=x"][..],
            &["--output=x"],
            &["--conte=x"],
            &["-éa"],
            &["-pé"],
            &["--ext-diff"],
            &["-O/etc/passwd"],
            &["--stat", "--textconv"],
            &["-n"],
        ] {
            let a = args(bad);
            assert!(parse(&a, &[REV, DIFF], false).unknown.is_some(), "{bad:?}");
        }
        // Revision options do not bundle: `-pS` is not `-p -S`.
        let a = args(&["-ps"]);
        assert!(parse(&a, &[REV, DIFF], false).unknown.is_some());
        let a = args(&["-20"]);
        assert!(parse(&a, &[REV, DIFF], false).unknown.is_none());
    }
}
