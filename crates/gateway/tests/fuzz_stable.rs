//! The fuzz targets of `fuzz/` (shell analyser, input-line parser, policy loader) as a
//! bounded, deterministic stress test that runs on stable Rust with `cargo test`: inputs are
//! the corpus's, mutated with the bytes and tokens that have broken shell analysers before
//! (multi-byte characters next to option letters, NUL, quotes, substitutions, globs, option
//! clusters with missing values), plus random command lines over the allowlist's own option
//! tables. Any panic fails the test, unless the place it panics (`analyser panics:
//! FILE:LINE`) is listed in `tests/oracle-pending.jsonl` as reported and awaiting a fix.
//!
//! `FUZZ_ITERS=N` multiplies the iterations (default 1), `FUZZ_SEED=S` changes the sample.
//! Each target also stops after `FUZZ_SECONDS` (default 20) so that CI time stays bounded.

// Test code reports failure by panicking: helpers outside `#[test]` functions (fixtures,
// runners) may expect, index and panic too.
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use assent_gateway::{Engine, Locations};
use assent_policy::{Policy, PolicySource};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> Option<&'a T> {
        xs.get(self.below(xs.len()))
    }
}

/// Pieces that have broken shell analysers: multi-byte text beside option letters, NUL and
/// control bytes, quoting, expansions, substitutions, globs, redirections, bare options.
const TOKENS: &[&str] = &[
    "\u{e9}",
    "-\u{e9}",
    "-a\u{e9}",
    "\u{0}",
    "$'\\0'",
    "$'\\x00'",
    "\u{1b}[31m",
    "\u{202e}",
    "-",
    "--",
    "-I",
    "-n",
    "-e",
    "-d",
    "-l",
    "-i",
    "-0",
    "-E",
    "-P",
    "-r",
    "-R",
    "-f",
    "-o",
    "-c",
    "--delimiter",
    "--max-args",
    "--replace",
    "--interactive",
    "{}",
    "*",
    "?",
    "[",
    "]",
    "a?",
    "**",
    "$(",
    ")",
    "`",
    "<<",
    "<<<",
    "((",
    "))",
    "[[",
    "]]",
    "|",
    "||",
    "&&",
    ";",
    "&",
    ">",
    ">>",
    "<",
    "2>&1",
    "'",
    "\"",
    "\\",
    "~",
    "~+",
    "$HOME",
    "${x:-y}",
    "${_@P}",
    "$_",
    "$((1))",
    "<(ls)",
    "\n",
    "\t",
    " ",
    "=",
    ",",
    "!",
    "#",
    "%",
    "@",
    "=(",
    "x=1",
    "cd",
    "..",
    "/",
    ".env",
    "~/.ssh/id_rsa",
    "xargs",
    "watch",
    "python",
    "git",
    "find",
    "sed",
    "awk",
    "env",
    "sudo",
    "time",
    "nice",
    "timeout",
    "exec",
    "eval",
    "bash -c",
    "0",
    "-1",
    "99999999999999999999",
];

fn engine() -> Engine {
    let policy = Policy::load(PolicySource::default_policy(), 1).expect("default policy loads");
    let home = PathBuf::from("/nonexistent/assent-fuzz-home");
    let loc = Locations {
        assent_home: home.join(".assent"),
        home,
        extra_guards: Vec::new(),
    };
    Engine::new(policy, &loc).expect("engine")
}

/// Every corpus input line (hook input), as text.
fn corpus_inputs() -> Vec<Value> {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests");
    let mut out = Vec::new();
    for dir in ["corpus", "corpus-fs"] {
        let Ok(entries) = std::fs::read_dir(base.join(dir)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for f in files {
            for line in std::fs::read_to_string(&f).unwrap_or_default().lines() {
                if let Ok(case) = serde_json::from_str::<Value>(line) {
                    out.push(case["input"].clone());
                }
            }
        }
    }
    out
}

/// A char boundary of `s`, chosen at random.
fn boundary(rng: &mut Rng, s: &str) -> usize {
    let bounds: Vec<usize> = s
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .collect();
    rng.pick(&bounds).copied().unwrap_or(0)
}

/// One mutation of `s`: a token inserted, a range deleted, a range duplicated, or a word
/// swapped for a token.
fn mutate(rng: &mut Rng, s: &str) -> String {
    let mut s = s.to_string();
    for _ in 0..=rng.below(3) {
        match rng.below(5) {
            4 => {
                // Cut short: an option whose value is missing (`xargs -I`).
                let at = boundary(rng, &s);
                s.truncate(at);
            }
            0 => {
                let at = boundary(rng, &s);
                let tok = rng.pick(TOKENS).copied().unwrap_or("");
                s.insert_str(at, tok);
            }
            1 => {
                let (a, b) = (boundary(rng, &s), boundary(rng, &s));
                let (a, b) = (a.min(b), a.max(b));
                s.replace_range(a..b, "");
            }
            2 => {
                let (a, b) = (boundary(rng, &s), boundary(rng, &s));
                let (a, b) = (a.min(b), a.max(b));
                let piece = s.get(a..b).unwrap_or("").to_string();
                let at = boundary(rng, &s);
                s.insert_str(at, &piece);
            }
            _ => {
                let words: Vec<&str> = s.split(' ').collect();
                let i = rng.below(words.len());
                let tok = rng.pick(TOKENS).copied().unwrap_or("");
                s = words
                    .iter()
                    .enumerate()
                    .map(|(j, w)| if j == i { tok } else { w })
                    .collect::<Vec<_>>()
                    .join(" ");
            }
        }
    }
    s
}

/// Programs that run other programs or code, judged by code rather than by a table.
const RUNNERS: &[&str] = &[
    "xargs", "watch", "python", "python3", "node", "ruby", "perl", "env", "nice", "timeout",
    "sudo", "time", "stdbuf", "nohup", "git", "find", "sed", "awk", "bash", "sh", "exec",
    "command", "builtin", "eval", "source", "ssh", "docker", "npx", "make",
];

/// A runner with a few tokens after it, often ending on an option that wants a value.
fn runner_line(rng: &mut Rng) -> String {
    let mut words = vec![rng.pick(RUNNERS).copied().unwrap_or("xargs").to_string()];
    for _ in 0..rng.below(2) {
        words.push(rng.pick(TOKENS).copied().unwrap_or("").to_string());
    }
    if rng.below(2) == 0 {
        words.push(rng.pick(BARE_OPTIONS).copied().unwrap_or("-I").to_string());
    }
    words.join(" ")
}

/// Options that take a value, and clusters with multi-byte letters, to end a line on.
const BARE_OPTIONS: &[&str] = &[
    "-I",
    "-n",
    "-d",
    "-l",
    "-L",
    "-s",
    "-E",
    "-P",
    "-a",
    "-c",
    "-e",
    "-m",
    "-W",
    "-t",
    "-u",
    "-g",
    "-w",
    "-o",
    "-i",
    "-x",
    "--delimiter",
    "--max-args",
    "--interval",
    "--replace",
    "-\u{e9}",
    "-a\u{e9}",
    "-\u{e9}a",
    "-a\u{e9} x",
    "-\u{e9}a x",
];

/// A random command line over the allowlist's own tables: a program, a few of its options
/// (with and without values, attached and detached), and operands.
fn from_catalog(rng: &mut Rng, catalog: &[assent_analyze::ProgramInfo]) -> String {
    let Some(p) = rng.pick(catalog) else {
        return String::new();
    };
    let mut words = vec![p.names.first().copied().unwrap_or("true").to_string()];
    for _ in 0..rng.below(4) {
        let Some(o) = rng.pick(&p.options) else {
            break;
        };
        let name = rng.pick(&o.names).copied().unwrap_or("-x");
        let val = rng.pick(TOKENS).copied().unwrap_or("");
        words.push(match rng.below(4) {
            0 => name.to_string(),
            1 => format!("{name} {val}"),
            2 => format!("{name}={val}"),
            _ => format!("{name}{val}"),
        });
    }
    for _ in 0..rng.below(3) {
        words.push(rng.pick(TOKENS).copied().unwrap_or("").to_string());
    }
    words.join(" ")
}

fn pending_classes() -> BTreeSet<String> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oracle-pending.jsonl");
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .flat_map(|c| {
            c["classes"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
        .collect()
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

thread_local! {
    /// Where the last panic on this thread happened (`file:line`).
    static PANIC_AT: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Records each panic's location for the thread it happened on, then prints it as usual.
fn record_panic_locations() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // A dependency's path is made machine-independent: `brush-parser-0.4.0/src/…`.
            let at = info
                .location()
                .map(|l| {
                    let file = l.file();
                    let file = file
                        .split_once("/registry/src/")
                        .and_then(|(_, rest)| rest.split_once('/'))
                        .map_or(file, |(_, krate)| krate);
                    format!("{file}:{}", l.line())
                })
                .unwrap_or_default();
            PANIC_AT.with(|p| *p.borrow_mut() = at);
            default(info);
        }));
    });
}

/// Runs `f` on `n` inputs from `make`, within the time budget; returns each input that
/// panicked with the place it panicked (`analyser panics: FILE:LINE`, the bug's identity).
fn stress(
    n: u64,
    mut make: impl FnMut(&mut Rng) -> String,
    f: impl Fn(&str),
) -> (u64, Vec<(String, String)>) {
    record_panic_locations();
    let mut rng = Rng(env_num("FUZZ_SEED", 11));
    let budget = Duration::from_secs(env_num("FUZZ_SECONDS", 20));
    let started = Instant::now();
    let mut panics = Vec::new();
    let mut done = 0;
    for _ in 0..n * env_num("FUZZ_ITERS", 1) {
        if started.elapsed() > budget {
            break;
        }
        let input = make(&mut rng);
        done += 1;
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&input))).is_err() {
            let at = PANIC_AT.with(|p| p.borrow().clone());
            panics.push((format!("analyser panics: {at}"), input));
        }
    }
    (done, panics)
}

fn assert_no_new(what: &str, done: u64, panics: &[(String, String)]) {
    let pending = pending_classes();
    let new: Vec<String> = panics
        .iter()
        .filter(|(class, _)| !pending.contains(class))
        .map(|(class, input)| format!("{class}  <-  {input:?}"))
        .collect();
    eprintln!(
        "fuzz_stable ({what}): {done} inputs, {} panics ({} new)",
        panics.len(),
        new.len()
    );
    assert!(
        new.is_empty(),
        "{what}: {} inputs panicked:\n{}",
        new.len(),
        new.join("\n")
    );
}

#[test]
fn shell_analyser_never_panics() {
    let engine = engine();
    let seeds: Vec<String> = corpus_inputs()
        .iter()
        .filter_map(|i| i["tool_input"]["command"].as_str().map(str::to_string))
        .collect();
    let catalog = assent_analyze::allowlist_catalog();
    let (done, panics) = stress(
        4000,
        |rng| match rng.below(4) {
            0 => from_catalog(rng, &catalog),
            1 | 2 => runner_line(rng),
            _ => {
                let seed = rng.pick(&seeds).cloned().unwrap_or_default();
                mutate(rng, &seed)
            }
        },
        |cmd| {
            let input = json!({
                "tool_name": "Bash",
                "tool_input": {"command": cmd},
                "cwd": "/nonexistent/assent-fuzz-home/project",
            });
            if let Ok(adapted) = assent_adapters::from_value(input) {
                let _ = engine.evaluate(&adapted, "agent");
            }
        },
    );
    assert_no_new("shell", done, &panics);
}

#[test]
fn input_lines_never_panic() {
    let engine = engine();
    let seeds: Vec<String> = corpus_inputs().iter().map(Value::to_string).collect();
    let (done, panics) = stress(
        3000,
        |rng| {
            let seed = rng.pick(&seeds).cloned().unwrap_or_default();
            mutate(rng, &seed)
        },
        |line| {
            if let Ok(adapted) = assent_adapters::from_json_line(line) {
                let _ = engine.evaluate(&adapted, "agent");
            }
        },
    );
    assert_no_new("input lines", done, &panics);
}

#[test]
fn policy_loader_never_panics() {
    let default = PolicySource::default_policy();
    let cedar = default
        .cedar
        .first()
        .map(|(_, t)| t.clone())
        .unwrap_or_default();
    let toml = default.settings.1.clone();
    let (done, panics) = stress(
        150,
        |rng| {
            // Mutate Cedar or settings; the other half stays the default.
            if rng.below(2) == 0 {
                format!("C{}", mutate(rng, &cedar))
            } else {
                format!("T{}", mutate(rng, &toml))
            }
        },
        |text| {
            let mut src = PolicySource::default_policy();
            match text.split_at_checked(1) {
                Some(("C", body)) => src.cedar = vec![("fuzz.cedar".into(), body.to_string())],
                Some((_, body)) => src.settings = ("assent.toml".into(), body.to_string()),
                None => {}
            }
            let _ = Policy::load(src, 1);
        },
    );
    assert_no_new("policy", done, &panics);
}
