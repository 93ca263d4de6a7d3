//! Globs against globs: whether a shell pattern (`cat */prod.env`, `cat sec*/db_*`) could
//! name a path that a configured secret or guard pattern (`**/.env`, `**/secrets/**`) also
//! names. Used when a wildcard cannot be expanded on disk, so that what it *could* match is
//! judged rather than a list of sample names.
//!
//! Both patterns are split into path components; `**` is any number of components (taken as
//! zero or more on both sides, which can only widen a match). Within a component the two
//! token sequences are intersected as automata over characters. The shell side follows bash:
//! a wildcard never matches a leading `.`. Anything this module cannot parse exactly is
//! answered "may meet" (fail closed).

use std::collections::HashSet;

/// Most alternatives a brace group may expand to before the answer is "may meet".
const MAX_ALTERNATIVES: usize = 64;
/// Most search states explored for one pair of patterns.
const MAX_STATES: usize = 20_000;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(char),
    /// `?`: one character.
    Any,
    /// `*`: any run of characters.
    Star,
    /// `[…]`. `None` ranges: a class this module does not model (`[[:alpha:]]`): any char.
    Class {
        neg: bool,
        ranges: Option<Vec<(char, char)>>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Comp {
    /// `**`: zero or more whole components.
    Deep,
    Toks(Vec<Tok>),
}

/// Whether `shell` (an absolute shell pattern, after tilde expansion) and `config` (an
/// absolute or `**/`-anchored configured pattern) could match a common path. `ci` compares
/// letters without case (secret patterns do). The shell side's wildcards may match a leading
/// dot: `dotglob` may be set where the analysis cannot see it (the user's start-up files),
/// and git pathspecs match dots anyway.
pub(crate) fn may_meet(shell: &str, config: &str, ci: bool) -> bool {
    may_meet_with(shell, config, ci, false)
}

/// [`may_meet`], with bash's default rule that a wildcard does not match a leading dot when
/// `dot_rule`.
pub(crate) fn may_meet_with(shell: &str, config: &str, ci: bool, dot_rule: bool) -> bool {
    meet(shell, config, ci, dot_rule, false)
}

/// Whether `shell` could match a canonical instance of `config`: the configured pattern's
/// `*` taken as empty (`**/id_rsa*` as `id_rsa`, `**/*.pem` as `.pem`). A pattern that
/// meets a secret only through both sides' wildcards (`*.rs` and `id_rsa*`) is not aimed
/// at it; used where the pattern is matched against something other than the disk (git
/// pathspecs, matched against the repository).
pub(crate) fn aims_at(shell: &str, config: &str, ci: bool) -> bool {
    meet(shell, config, ci, false, true)
}

fn meet(shell: &str, config: &str, ci: bool, dot_rule: bool, config_star_empty: bool) -> bool {
    let (Some(shells), Some(configs)) = (braces(shell), braces(config)) else {
        return true;
    };
    shells.iter().any(|s| {
        configs.iter().any(|c| {
            let a = components(s, true);
            let mut b = components(c, false);
            if config_star_empty {
                for comp in &mut b {
                    if let Comp::Toks(t) = comp {
                        t.retain(|x| *x != Tok::Star);
                    }
                }
            }
            let mut budget = MAX_STATES;
            comps_meet(&a, &b, ci, dot_rule, &mut budget)
        })
    })
}

/// How a file name matches one shell pattern component: `strict` as bash matches it by
/// default (a wildcard does not match a leading dot, case counts), `loose` as it may match
/// under shell options the analysis cannot see (`dotglob`, `nocaseglob`, set in the user's
/// shell start-up files). `None` when the component cannot be modelled.
pub(crate) fn shell_component_matches(pattern: &str, name: &str) -> Option<NameMatch> {
    if pattern.contains(['{', '\\']) {
        return None;
    }
    let toks = tokens(pattern);
    if toks
        .iter()
        .any(|t| matches!(t, Tok::Class { ranges: None, .. }))
    {
        return None;
    }
    let name: Vec<char> = name.chars().collect();
    let strict = match_toks(&toks, &name, 0, 0, true, &mut 0usize);
    let loose = strict || match_toks(&toks, &name, 0, 0, false, &mut 0usize);
    Some(NameMatch { strict, loose })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NameMatch {
    pub strict: bool,
    pub loose: bool,
}

/// One path a pattern matches, with every wildcard filled by a character no configured
/// pattern names literally (a class by its first member): a pattern whose sample is a
/// secret names one whatever its wildcards stand for (`*/.env`, `/proc/*/environ`).
pub(crate) fn neutral_sample(pattern: &str) -> String {
    const FILL: char = '\u{1}';
    pattern
        .split('/')
        .map(|c| {
            tokens(c)
                .iter()
                .map(|t| match t {
                    Tok::Lit(l) => *l,
                    Tok::Class {
                        neg: false,
                        ranges: Some(r),
                    } => r.first().map_or(FILL, |(lo, _)| *lo),
                    _ => FILL,
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a path component has a wildcard the shell would expand.
pub(crate) fn has_wildcard(component: &str) -> bool {
    tokens(component).iter().any(|t| !matches!(t, Tok::Lit(_)))
}

/// `strict`: bash's defaults. Otherwise leading dots match wildcards and case is ignored.
fn match_toks(
    toks: &[Tok],
    name: &[char],
    i: usize,
    j: usize,
    strict: bool,
    steps: &mut usize,
) -> bool {
    *steps += 1;
    if *steps > MAX_STATES {
        return true;
    }
    match toks.get(i) {
        None => j == name.len(),
        Some(Tok::Star) => {
            if strict && j == 0 && name.first() == Some(&'.') {
                return false;
            }
            (j..=name.len()).any(|k| match_toks(toks, name, i + 1, k, strict, steps))
        }
        Some(t) => match name.get(j) {
            None => false,
            Some(&c) => {
                if strict && j == 0 && c == '.' && !matches!(t, Tok::Lit('.')) {
                    return false;
                }
                tok_accepts(t, c, !strict) && match_toks(toks, name, i + 1, j + 1, strict, steps)
            }
        },
    }
}

/// Expands `{a,b}` groups (nested allowed). `None` when there are too many alternatives.
pub(crate) fn braces(p: &str) -> Option<Vec<String>> {
    let chars: Vec<char> = p.chars().collect();
    let mut out = Vec::new();
    expand_braces(&chars, String::new(), &mut out)?;
    Some(out)
}

fn expand_braces(rest: &[char], prefix: String, out: &mut Vec<String>) -> Option<()> {
    if out.len() > MAX_ALTERNATIVES {
        return None;
    }
    let mut i = 0;
    let mut prefix = prefix;
    while let Some(&c) = rest.get(i) {
        if c == '\\' {
            prefix.push(c);
            if let Some(&n) = rest.get(i + 1) {
                prefix.push(n);
            }
            i += 2;
            continue;
        }
        if c == '{' {
            // Find the matching close and the top-level commas.
            let mut depth = 0usize;
            let mut parts = Vec::new();
            let mut start = i + 1;
            let mut close = None;
            let mut k = i;
            while let Some(&d) = rest.get(k) {
                match d {
                    '{' => depth += 1,
                    '}' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            parts.push((start, k));
                            close = Some(k);
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        parts.push((start, k));
                        start = k + 1;
                    }
                    _ => {}
                }
                k += 1;
            }
            let Some(close) = close else {
                prefix.push(c);
                i += 1;
                continue;
            };
            let tail = rest.get(close + 1..).unwrap_or(&[]);
            for (s, e) in parts {
                let mut alt: Vec<char> = rest.get(s..e).unwrap_or(&[]).to_vec();
                alt.extend_from_slice(tail);
                expand_braces(&alt, prefix.clone(), out)?;
            }
            return Some(());
        }
        prefix.push(c);
        i += 1;
    }
    out.push(prefix);
    (out.len() <= MAX_ALTERNATIVES).then_some(())
}

fn components(p: &str, shell: bool) -> Vec<Comp> {
    p.split('/')
        .filter(|c| !c.is_empty())
        .map(|c| {
            // Bash without globstar reads `**` as `*`; with it, any depth. Take the wider.
            if c == "**" {
                Comp::Deep
            } else {
                let _ = shell;
                Comp::Toks(tokens(c))
            }
        })
        .collect()
}

fn tokens(c: &str) -> Vec<Tok> {
    let chars: Vec<char> = c.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&ch) = chars.get(i) {
        match ch {
            '*' => {
                if out.last() != Some(&Tok::Star) {
                    out.push(Tok::Star);
                }
                i += 1;
            }
            '?' => {
                out.push(Tok::Any);
                i += 1;
            }
            '\\' => {
                match chars.get(i + 1) {
                    Some(&n) => out.push(Tok::Lit(n)),
                    None => out.push(Tok::Lit('\\')),
                }
                i += 2;
            }
            '[' => match class(&chars, i) {
                Some((tok, next)) => {
                    out.push(tok);
                    i = next;
                }
                None => {
                    out.push(Tok::Lit('['));
                    i += 1;
                }
            },
            _ => {
                out.push(Tok::Lit(ch));
                i += 1;
            }
        }
    }
    out
}

/// Parses `[…]` starting at `open`; returns the token and the index after `]`.
fn class(chars: &[char], open: usize) -> Option<(Tok, usize)> {
    let mut i = open + 1;
    let neg = matches!(chars.get(i), Some('!' | '^'));
    if neg {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut modelled = true;
    let mut first = true;
    loop {
        let &c = chars.get(i)?;
        if c == ']' && !first {
            break;
        }
        first = false;
        if c == '[' && matches!(chars.get(i + 1), Some(':' | '=' | '.')) {
            // `[:alpha:]`, `[=a=]`, `[.x.]`: not modelled; skip to its close.
            modelled = false;
            let kind = *chars.get(i + 1)?;
            let mut k = i + 2;
            loop {
                if chars.get(k) == Some(&kind) && chars.get(k + 1) == Some(&']') {
                    break;
                }
                chars.get(k)?;
                k += 1;
            }
            i = k + 2;
            continue;
        }
        let lo = if c == '\\' {
            i += 1;
            *chars.get(i)?
        } else {
            c
        };
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|h| *h != ']') {
            let hi = *chars.get(i + 2)?;
            ranges.push((lo, hi));
            i += 3;
        } else {
            ranges.push((lo, lo));
            i += 1;
        }
    }
    Some((
        Tok::Class {
            neg,
            ranges: modelled.then_some(ranges),
        },
        i + 1,
    ))
}

fn tok_accepts(t: &Tok, c: char, ci: bool) -> bool {
    match t {
        Tok::Lit(l) => *l == c || (ci && l.to_lowercase().eq(c.to_lowercase())),
        Tok::Any | Tok::Star => c != '/',
        Tok::Class { neg, ranges } => match ranges {
            None => true,
            Some(r) => {
                let hit = |x: char| r.iter().any(|(lo, hi)| *lo <= x && x <= *hi);
                let inside =
                    hit(c) || (ci && (hit(c.to_ascii_lowercase()) || hit(c.to_ascii_uppercase())));
                inside != *neg
            }
        },
    }
}

/// Whether some character is accepted by both tokens (never `/`; never `.` when `no_dot`).
fn chars_meet(a: &Tok, b: &Tok, ci: bool, no_dot: bool) -> bool {
    let ok = |c: char| c != '/' && !(no_dot && c == '.');
    match (a, b) {
        (Tok::Lit(x), other) | (other, Tok::Lit(x)) => ok(*x) && tok_accepts(other, *x, ci),
        (
            Tok::Class {
                neg: false,
                ranges: Some(r),
            },
            other,
        )
        | (
            other,
            Tok::Class {
                neg: false,
                ranges: Some(r),
            },
        ) => {
            // Try every character of the positive class (ranges are short in practice; a
            // wide range is sampled at its ends and a few letters, then assumed to meet).
            r.iter().any(|(lo, hi)| {
                let (lo, hi) = (*lo as u32, *hi as u32);
                if hi.saturating_sub(lo) > 256 {
                    return true;
                }
                (lo..=hi)
                    .filter_map(char::from_u32)
                    .any(|c| ok(c) && tok_accepts(other, c, ci))
            })
        }
        // Wildcards and negated or unmodelled classes leave plenty of characters.
        _ => true,
    }
}

fn toks_meet(a: &[Tok], b: &[Tok], ci: bool, dot_rule: bool, budget: &mut usize) -> bool {
    // State: positions in a and b, and whether a character has been consumed yet (the shell
    // side's wildcards may not consume a leading dot).
    let mut seen: HashSet<(usize, usize, bool)> = HashSet::new();
    let mut stack = vec![(0usize, 0usize, false)];
    while let Some(state) = stack.pop() {
        if !seen.insert(state) {
            continue;
        }
        if *budget == 0 {
            return true;
        }
        *budget -= 1;
        let (i, j, started) = state;
        let (ta, tb) = (a.get(i), b.get(j));
        if ta.is_none() && tb.is_none() {
            return true;
        }
        if ta == Some(&Tok::Star) {
            stack.push((i + 1, j, started));
        }
        if tb == Some(&Tok::Star) {
            stack.push((i, j + 1, started));
        }
        if let (Some(x), Some(y)) = (ta, tb) {
            let no_dot = dot_rule && !started && !matches!(x, Tok::Lit(_));
            if chars_meet(x, y, ci, no_dot) {
                let ni = if *x == Tok::Star { i } else { i + 1 };
                let nj = if *y == Tok::Star { j } else { j + 1 };
                stack.push((ni, nj, true));
            }
        }
    }
    false
}

fn comps_meet(a: &[Comp], b: &[Comp], ci: bool, dot_rule: bool, budget: &mut usize) -> bool {
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    let mut stack = vec![(0usize, 0usize)];
    while let Some(state) = stack.pop() {
        if !seen.insert(state) {
            continue;
        }
        if *budget == 0 {
            return true;
        }
        *budget -= 1;
        let (i, j) = state;
        let (ca, cb) = (a.get(i), b.get(j));
        match (ca, cb) {
            (None, None) => return true,
            (Some(Comp::Deep), _) | (_, Some(Comp::Deep)) => {
                if ca == Some(&Comp::Deep) {
                    stack.push((i + 1, j));
                    if cb.is_some() {
                        stack.push((i, j + 1));
                    }
                }
                if cb == Some(&Comp::Deep) {
                    stack.push((i, j + 1));
                    if ca.is_some() {
                        stack.push((i + 1, j));
                    }
                }
            }
            (Some(Comp::Toks(x)), Some(Comp::Toks(y))) if toks_meet(x, y, ci, dot_rule, budget) => {
                stack.push((i + 1, j + 1));
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_directories_meet_secret_files() {
        assert!(may_meet("/w/*/prod.env", "**/*.env", true));
        assert!(may_meet("/w/sec*/db_password.txt", "**/secrets/**", true));
        assert!(may_meet("/w/*/.env", "**/.env", true));
        assert!(may_meet("/w/.e*", "**/.env", true));
        assert!(may_meet("/w/.[e]nv", "**/.env", true));
        // Bash: `[.]env` does not match `.env` (a leading dot must be literal).
        assert!(!may_meet_with("/w/[.]env", "**/.env", true, true));
        assert!(may_meet("/home/u/.ss?/id_*", "/home/u/.ssh/**", true));
        assert!(may_meet("/proc/*/environ", "/proc/*/environ", true));
        assert!(may_meet("/w/ID_RSA", "**/id_rsa*", true));
        assert!(may_meet("/w/x/{a,.env}", "**/.env", true));
    }

    #[test]
    fn aimed_patterns() {
        assert!(aims_at("/w/*env", "**/.env", true));
        assert!(aims_at("/w/.env*", "**/.env", true));
        assert!(!aims_at("/w/*.rs", "**/id_rsa*", true));
        assert!(may_meet("/w/*.rs", "**/id_rsa*", true));
        assert!(!aims_at("/w/v1.*", "**/*.pem", true));
        assert!(aims_at("/w/*.pem", "**/*.pem", true));
    }

    #[test]
    fn harmless_patterns_do_not_meet() {
        assert!(!may_meet("/w/src/*.rs", "**/.env", true));
        assert!(!may_meet("/w/src/*.rs", "**/*.pem", true));
        // By default a shell wildcard does not match a leading dot; under dotglob it may.
        assert!(!may_meet_with("/w/*", "**/.env", true, true));
        assert!(!may_meet_with("/w/?env", "**/.env", true, true));
        assert!(may_meet("/w/?env", "**/.env", true));
        assert!(!may_meet("/w/docs/*.md", "**/secrets/**", true));
        assert!(!may_meet("/w/[abc]x", "**/.env", true));
        assert!(!may_meet("/w/*.md", "/home/u/.ssh/**", true));
    }

    #[test]
    fn component_matching_follows_bash() {
        let m = |p: &str, n: &str| shell_component_matches(p, n).map(|m| (m.strict, m.loose));
        assert_eq!(m("*", ".env"), Some((false, true)));
        assert_eq!(m(".*", ".env"), Some((true, true)));
        assert_eq!(m("*.ENV", "x.env"), Some((false, true)));
        assert_eq!(m("a?", "a?"), Some((true, true)));
        assert_eq!(m("[slug]", "s"), Some((true, true)));
        assert_eq!(m("[slug]", "[slug]"), Some((false, false)));
        assert_eq!(m("[!a]x", "bx"), Some((true, true)));
        assert_eq!(m("[[:alpha:]]", "a"), None);
    }

    #[test]
    fn hostile_patterns_end() {
        let long = "*a".repeat(200);
        let _ = may_meet(&format!("/w/{long}"), "**/*a*a*a*a*b", true);
        let _ = may_meet("/w/[", "**/[", true);
        let _ = may_meet("/w/{{{{", "**/.env", true);
        let _ = shell_component_matches(&"*".repeat(50), &"a".repeat(50));
    }
}
