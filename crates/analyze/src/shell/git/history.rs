//! What a repository's history holds, as far as a command that prints old contents can reach
//! it: every object reachable from a ref, a reflog entry, a stash or the index, with the path
//! it was reached by. `.env` committed once and removed since is in no index and on no disk
//! (no sandbox masks it), yet `git log -p`, `git show HEAD~3` and `git diff v1` print it.
//!
//! Listed by git itself (`git rev-list --objects --all --reflog --indexed-objects`): object
//! storage (packs, deltas) is not parsed here. The run is bounded in time and output and
//! never fetches (`--missing=allow-any`, no lazy fetch); it is made only for a repository
//! whose configuration runs nothing (the caller checks `dangers()` first). What cannot be
//! listed exactly is `None`: the caller refuses. The listing is kept while the repository's
//! refs, reflogs, packs and index are unchanged.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Longest a listing may take.
const TIME_LIMIT: Duration = Duration::from_secs(3);
/// Most bytes of listing read.
const OUTPUT_LIMIT: usize = 32 * 1024 * 1024;
/// Most entries looked at to fingerprint refs and reflogs.
const FINGERPRINT_LIMIT: usize = 20_000;

/// Every reachable object: its id, and the path it was reached by (none for commits).
#[derive(Debug, Default)]
pub(super) struct History {
    /// Object ids, sorted (for prefix lookups of abbreviated ids).
    ids: Vec<String>,
    /// Distinct paths, relative to the top of the work tree.
    pub paths: Vec<String>,
}

impl History {
    /// Whether an abbreviated object id names a reachable object.
    pub fn reaches_id(&self, prefix: &str) -> bool {
        let prefix = prefix.to_ascii_lowercase();
        let at = self.ids.partition_point(|id| id.as_str() < prefix.as_str());
        self.ids.get(at).is_some_and(|id| id.starts_with(&prefix))
    }
}

type Cache = Mutex<HashMap<PathBuf, (Vec<u8>, Arc<History>)>>;
static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();

/// A fingerprint of everything that changes what is reachable: refs, packed refs, reflogs,
/// HEAD, the index, the pack directory (identities of every file and directory below).
fn fingerprint(gitdir: &Path, commondir: &Path) -> Option<Vec<u8>> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let mut seen = 0usize;
    let mut stack: Vec<PathBuf> = vec![
        gitdir.join("HEAD"),
        gitdir.join("index"),
        gitdir.join("logs"),
        commondir.join("refs"),
        commondir.join("packed-refs"),
        commondir.join("logs"),
        commondir.join("objects/pack"),
        commondir.join("objects/info"),
        commondir.join("shallow"),
    ];
    while let Some(p) = stack.pop() {
        seen += 1;
        if seen > FINGERPRINT_LIMIT {
            return None;
        }
        let Ok(m) = std::fs::symlink_metadata(&p) else {
            out.extend(p.as_os_str().as_encoded_bytes());
            out.push(0);
            continue;
        };
        out.extend(p.as_os_str().as_encoded_bytes());
        for n in [
            m.dev(),
            m.ino(),
            m.size(),
            m.mtime() as u64,
            m.mtime_nsec() as u64,
            m.ctime() as u64,
            m.ctime_nsec() as u64,
        ] {
            out.extend(n.to_le_bytes());
        }
        if m.is_dir() && !p.ends_with("objects/pack") {
            let entries = std::fs::read_dir(&p).ok()?;
            for e in entries {
                stack.push(e.ok()?.path());
            }
        }
    }
    // git updates a ref by renaming a lock file over it (a new inode) and appends to a
    // reflog (a new size): either changes the fingerprint.
    Some(out)
}

/// The reachable objects of the repository whose work tree (or git directory, when bare) is
/// `dir`; `None` when they cannot be listed exactly within the bounds.
pub(super) fn history(dir: &Path, gitdir: &Path, commondir: &Path) -> Option<Arc<History>> {
    let print = fingerprint(gitdir, commondir);
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(fp) = &print {
        if let Ok(c) = cache.lock() {
            if let Some((old, h)) = c.get(commondir) {
                if old == fp {
                    return Some(h.clone());
                }
            }
        }
    }
    let listed = Arc::new(list(dir)?);
    if let Some(fp) = print {
        if let Ok(mut c) = cache.lock() {
            if c.len() > 256 {
                c.clear();
            }
            c.insert(commondir.to_path_buf(), (fp, listed.clone()));
        }
    }
    Some(listed)
}

fn list(dir: &Path) -> Option<History> {
    let mut cmd = std::process::Command::new("git");
    cmd.current_dir(dir)
        .args([
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "protocol.allow=never",
            "--no-pager",
            "rev-list",
            "--objects",
            "--all",
            "--reflog",
            "--indexed-objects",
            "--missing=allow-any",
        ])
        .env("GIT_NO_LAZY_FETCH", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("GIT_") && k != "GIT_EXEC_PATH" {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd.spawn().ok()?;
    let mut stdout = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let mut limited = (&mut stdout).take(OUTPUT_LIMIT as u64 + 1);
        let ok = limited.read_to_end(&mut buf).is_ok();
        (ok, buf)
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() < TIME_LIMIT => {
                std::thread::sleep(Duration::from_millis(2));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let (read_ok, buf) = reader.join().ok()?;
    if !status?.success() || !read_ok || buf.len() > OUTPUT_LIMIT {
        return None;
    }
    let text = String::from_utf8(buf).ok()?;
    let mut ids = Vec::new();
    let mut paths = std::collections::HashSet::new();
    for line in text.lines() {
        let (id, path) = match line.split_once(' ') {
            Some((id, p)) => (id, Some(p)),
            None => (line, None),
        };
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        ids.push(id.to_ascii_lowercase());
        if let Some(p) = path {
            if !p.is_empty() {
                paths.insert(p.to_string());
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    let mut paths: Vec<String> = paths.into_iter().collect();
    paths.sort_unstable();
    Some(History { ids, paths })
}
