//! The OS sandbox an allowed shell command runs in (`assent exec --sandbox`).
//!
//! Bash is too large to model perfectly, so a command the analyser judged read-only also runs
//! where a wrong verdict leaks nothing. The sandbox (bubblewrap: user, mount, pid, network,
//! IPC and UTS namespaces; no daemon) sees an allow-list, not a masked copy of the machine:
//!
//! - the workspace roots, read-only, with secret and guard paths in them masked;
//! - the system's program and library directories read-only, and from `/etc` only what
//!   programs need to start (never shadow, sudoers, ssh, private keys);
//! - a private `/tmp`, its own `/proc` (new pid namespace), a minimal `/dev`;
//! - an empty, read-only home;
//! - no protected variables in its environment (the caller scrubs them), no network unless
//!   the decision allowed it, no capabilities, no new privileges, its own session.
//!
//! This module knows nothing of policy: the caller hands it a [`View`] built from the
//! analyser's configuration, and it turns that into a bubblewrap command line.

use assent_core::json::at;
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

/// Where bubblewrap may be. Never looked up through `PATH`: whoever controls `PATH` would
/// choose the "sandbox".
const BWRAP_PATHS: &[&str] = &["/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"];

/// The system's program and library directories, mounted read-only (or recreated as the
/// symlinks they are on merged-/usr systems).
const SYSTEM_DIRS: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
];

/// What programs need from `/etc` to start, resolve users and names, and check certificates.
/// Nothing that holds a secret: no shadow, gshadow, sudoers, ssh, ssl/private, environment.
/// Kept short: each entry is a mount, and mounts are most of the sandbox's start-up time.
const ETC_ALLOW: &[&str] = &[
    "/etc/ld.so.cache",
    "/etc/ld.so.preload",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/localtime",
    "/etc/alternatives",
    "/etc/ssl/certs",
    "/etc/pki/tls/certs",
    "/etc/pki/ca-trust/extracted",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/etc/gitconfig",
    "/etc/os-release",
];

/// Most entries a workspace walk looks at before giving up (fail closed: no sandbox view).
const MAX_WALK_ENTRIES: usize = 500_000;
/// Most paths masked one by one; beyond that the view is refused rather than half built.
const MAX_MASKS: usize = 4096;

/// Everything the sandboxed command sees besides the system's programs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct View {
    /// Workspace roots, mounted read-only at their own (resolved) paths.
    pub roots: Vec<PathBuf>,
    /// The working directory inside.
    pub cwd: PathBuf,
    /// The home directory: an empty, read-only directory inside.
    pub home: PathBuf,
    /// Files replaced by `/dev/null` on a `nodev` mount: opening them fails.
    pub masked_files: Vec<PathBuf>,
    /// Directories replaced by an empty read-only one.
    pub masked_dirs: Vec<PathBuf>,
    pub allow_network: bool,
}

impl View {
    /// The view for a command run in `cwd`: `roots` mounted, and every path under them that
    /// `hidden` names (secrets, guard paths) masked, plus every regular file with more than
    /// one hard link (another name for a file outside, which no name check can see).
    ///
    /// `cache`, when given, keeps each directory's verdict between calls while the directory
    /// is unchanged (see [`WalkCache`]); `salt` must change whenever `hidden` could.
    pub fn build(
        roots: &[PathBuf],
        cwd: &Path,
        home: &Path,
        allow_network: bool,
        hidden: &dyn Fn(&Path) -> bool,
        cache: Option<(&Path, &str)>,
    ) -> Result<View, String> {
        let mut view = View {
            roots: roots.to_vec(),
            cwd: cwd.to_path_buf(),
            home: home.to_path_buf(),
            allow_network,
            ..View::default()
        };
        let mut walk_cache = cache
            .map(|(path, salt)| WalkCache::load(path, salt))
            .unwrap_or_default();
        let mut seen = 0usize;
        for root in roots {
            if hidden(root) {
                view.masked_dirs.push(root.clone());
                continue;
            }
            walk(root, roots, hidden, &mut view, &mut seen, &mut walk_cache)?;
        }
        if let Some((path, _)) = cache {
            walk_cache.save(path);
        }
        view.masked_files.sort();
        view.masked_files.dedup();
        view.masked_dirs.sort();
        view.masked_dirs.dedup();
        let dirs = view.masked_dirs.clone();
        // A file inside a masked directory is already hidden; mounting over it would fail.
        view.masked_files
            .retain(|f| !dirs.iter().any(|d| f.starts_with(d)));
        view.masked_dirs
            .retain(|d| !dirs.iter().any(|o| o != d && d.starts_with(o)));
        if view.masked_files.len() + view.masked_dirs.len() > MAX_MASKS {
            return Err(format!(
                "more than {MAX_MASKS} secret, guard or hard-linked paths in the workspace"
            ));
        }
        Ok(view)
    }
}

/// What one directory's entries came to, valid while the directory is unchanged: the kernel
/// sets a directory's mtime and ctime whenever an entry is created, removed or renamed in it,
/// and nobody can set ctime back. A secret hard-linked or renamed into a directory changes
/// that directory, so its verdict is taken again.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct DirVerdict {
    stamp: [i64; 5],
    subdirs: Vec<PathBuf>,
    masked_files: Vec<PathBuf>,
    masked_dirs: Vec<PathBuf>,
}

/// Directory verdicts kept between calls, so that a large unchanged workspace costs one
/// `lstat` per directory instead of a match per entry.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct WalkCache {
    salt: String,
    dirs: std::collections::HashMap<PathBuf, DirVerdict>,
    #[serde(skip)]
    visited: std::collections::HashSet<PathBuf>,
    #[serde(skip)]
    dirty: bool,
}

impl WalkCache {
    fn load(path: &Path, salt: &str) -> WalkCache {
        let cache = std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice::<WalkCache>(&b).ok())
            .filter(|c| c.salt == salt);
        cache.unwrap_or_else(|| WalkCache {
            salt: salt.to_string(),
            dirty: true,
            ..WalkCache::default()
        })
    }

    fn save(&mut self, path: &Path) {
        let before = self.dirs.len();
        let visited = std::mem::take(&mut self.visited);
        self.dirs.retain(|d, _| visited.contains(d));
        if !self.dirty && self.dirs.len() == before {
            return;
        }
        // A path that is not UTF-8 cannot be written: then nothing is cached.
        let Ok(text) = serde_json::to_vec(self) else {
            return;
        };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, path);
        }
    }
}

fn stamp(m: &std::fs::Metadata) -> [i64; 5] {
    use std::os::unix::fs::MetadataExt;
    [
        m.ino() as i64,
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec(),
    ]
}

fn walk(
    root: &Path,
    roots: &[PathBuf],
    hidden: &dyn Fn(&Path) -> bool,
    view: &mut View,
    seen: &mut usize,
    cache: &mut WalkCache,
) -> Result<(), String> {
    // A directory changed within the last seconds may change again within the same tick of
    // the file system's clock without its stamp moving: such a verdict is not kept.
    let settled = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64 - 2)
        .unwrap_or(0);
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let meta = match std::fs::symlink_metadata(&dir) {
            Ok(m) => m,
            Err(e) => return Err(format!("cannot stat {}: {e}", dir.display())),
        };
        let st = stamp(&meta);
        cache.visited.insert(dir.clone());
        *seen += 1;
        let verdict = match cache.dirs.get(&dir) {
            Some(v) if v.stamp == st => v.clone(),
            _ => {
                let (v, cacheable) = scan(&dir, st, roots, hidden, seen)?;
                if cacheable && st[1] < settled && st[3] < settled {
                    cache.dirs.insert(dir.clone(), v.clone());
                } else {
                    cache.dirs.remove(&dir);
                }
                cache.dirty = true;
                v
            }
        };
        if *seen > MAX_WALK_ENTRIES {
            return Err(format!(
                "the workspace holds more than {MAX_WALK_ENTRIES} entries"
            ));
        }
        view.masked_files.extend(verdict.masked_files);
        view.masked_dirs.extend(verdict.masked_dirs);
        stack.extend(verdict.subdirs);
    }
    Ok(())
}

/// Reads one directory. The verdict is not cacheable when it depends on something outside
/// the directory: a secret-named symlink (its target may appear or change later).
fn scan(
    dir: &Path,
    st: [i64; 5],
    roots: &[PathBuf],
    hidden: &dyn Fn(&Path) -> bool,
    seen: &mut usize,
) -> Result<(DirVerdict, bool), String> {
    use std::os::unix::fs::MetadataExt;
    let mut v = DirVerdict {
        stamp: st,
        subdirs: Vec::new(),
        masked_files: Vec::new(),
        masked_dirs: Vec::new(),
    };
    let mut cacheable = true;
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        // Unreadable inside the sandbox as well (same user, fewer capabilities).
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => return Ok((v, false)),
        Err(e) => return Err(format!("cannot list {}: {e}", dir.display())),
    };
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        *seen += 1;
        if *seen > MAX_WALK_ENTRIES {
            return Err(format!(
                "the workspace holds more than {MAX_WALK_ENTRIES} entries"
            ));
        }
        let path = entry.path();
        let ft = entry
            .file_type()
            .map_err(|e| format!("cannot stat {}: {e}", path.display()))?;
        if ft.is_symlink() {
            if hidden(&path) {
                cacheable = false;
                // The name is a secret: hide what it points to, if that is visible at all.
                if let Ok(target) = std::fs::canonicalize(&path) {
                    if roots.iter().any(|r| target.starts_with(r)) {
                        if target.is_dir() {
                            v.masked_dirs.push(target);
                        } else {
                            v.masked_files.push(target);
                        }
                    }
                }
            }
            continue;
        }
        if ft.is_dir() {
            if hidden(&path) {
                v.masked_dirs.push(path);
            } else {
                v.subdirs.push(path);
            }
            continue;
        }
        if hidden(&path) {
            v.masked_files.push(path);
            continue;
        }
        if ft.is_file() {
            let links = entry.metadata().map(|m| m.nlink()).unwrap_or(2);
            if links > 1 {
                v.masked_files.push(path);
            }
        }
    }
    Ok((v, cacheable))
}

/// bubblewrap on this machine, from fixed system paths only.
pub fn bwrap() -> Option<PathBuf> {
    BWRAP_PATHS.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// The bubblewrap command that runs `argv` in `view`, with exactly the environment `env`.
pub fn command(bwrap: &Path, view: &View, argv: &[String], env: &[(String, OsString)]) -> Command {
    let mut a: Vec<OsString> = Vec::new();
    let mut push = |items: &[&std::ffi::OsStr]| a.extend(items.iter().map(|s| s.to_os_string()));
    push(&["--unshare-all".as_ref()]);
    if view.allow_network {
        push(&["--share-net".as_ref()]);
    }
    push(&[
        "--die-with-parent".as_ref(),
        "--new-session".as_ref(),
        "--cap-drop".as_ref(),
        "ALL".as_ref(),
    ]);
    for dir in SYSTEM_DIRS {
        let p = Path::new(dir);
        match std::fs::symlink_metadata(p) {
            Ok(m) if m.file_type().is_symlink() => {
                if let Ok(target) = std::fs::read_link(p) {
                    push(&["--symlink".as_ref(), target.as_os_str(), p.as_os_str()]);
                }
            }
            Ok(m) if m.is_dir() => push(&["--ro-bind".as_ref(), p.as_os_str(), p.as_os_str()]),
            _ => {}
        }
    }
    for f in ETC_ALLOW {
        push(&["--ro-bind-try".as_ref(), f.as_ref(), f.as_ref()]);
    }
    push(&[
        "--proc".as_ref(),
        "/proc".as_ref(),
        "--dev".as_ref(),
        "/dev".as_ref(),
        "--tmpfs".as_ref(),
        "/tmp".as_ref(),
        "--tmpfs".as_ref(),
        "/var/tmp".as_ref(),
    ]);
    // Shallow mounts first: an empty home, then a workspace inside it (or the other way).
    let home_usable = view.home.is_absolute()
        && view.home.components().count() > 1
        && !SYSTEM_DIRS.iter().any(|d| view.home.starts_with(d));
    let mut mounts: Vec<(&Path, bool)> = view.roots.iter().map(|r| (r.as_path(), true)).collect();
    if home_usable {
        mounts.push((view.home.as_path(), false));
    }
    mounts.sort_by_key(|(p, _)| p.components().count());
    for (p, is_root) in &mounts {
        if *is_root {
            push(&["--ro-bind".as_ref(), p.as_os_str(), p.as_os_str()]);
        } else {
            push(&["--tmpfs".as_ref(), p.as_os_str()]);
        }
    }
    for d in &view.masked_dirs {
        push(&[
            "--tmpfs".as_ref(),
            d.as_os_str(),
            "--remount-ro".as_ref(),
            d.as_os_str(),
        ]);
    }
    for f in &view.masked_files {
        push(&["--ro-bind".as_ref(), "/dev/null".as_ref(), f.as_os_str()]);
    }
    let visible = view.roots.iter().any(|r| view.cwd.starts_with(r))
        || SYSTEM_DIRS.iter().any(|d| view.cwd.starts_with(d))
        || view.cwd == Path::new("/");
    if !visible {
        // Outside every workspace the analyser judged no file there readable: an empty
        // directory stands in for it.
        push(&["--dir".as_ref(), view.cwd.as_os_str()]);
    }
    if home_usable {
        push(&["--remount-ro".as_ref(), view.home.as_os_str()]);
    }
    push(&[
        "--remount-ro".as_ref(),
        "/".as_ref(),
        "--chdir".as_ref(),
        view.cwd.as_os_str(),
        "--".as_ref(),
    ]);
    a.extend(argv.iter().map(OsString::from));
    let mut cmd = Command::new(bwrap);
    cmd.args(a).env_clear();
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Whether the sandbox can start here, as last measured. The answer is cached in `cache`
/// (a file) against what could change it: bubblewrap's binary, the kernel's user-namespace
/// switches and the boot. `fresh` is true when this call measured it.
pub struct Probe {
    pub ok: Result<(), String>,
    pub fresh: bool,
}

pub fn probe(cache: &Path) -> Probe {
    let Some(bwrap) = bwrap() else {
        return Probe {
            ok: Err("bubblewrap (bwrap) is not installed".into()),
            fresh: remember(
                cache,
                "no-bwrap",
                &Err("bubblewrap (bwrap) is not installed".into()),
            ),
        };
    };
    let key = probe_key(&bwrap);
    if let Ok(text) = std::fs::read_to_string(cache) {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            if at(&v, "/key").as_str() == Some(key.as_str()) {
                let ok = match at(&v, "/error").as_str() {
                    None => Ok(()),
                    Some(e) => Err(e.to_string()),
                };
                return Probe { ok, fresh: false };
            }
        }
    }
    let view = View {
        cwd: PathBuf::from("/"),
        home: PathBuf::from("/nonexistent-home"),
        ..View::default()
    };
    let ok = match command(
        &bwrap,
        &view,
        &["true".to_string()],
        &[("PATH".into(), "/usr/bin:/bin".into())],
    )
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .output()
    {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "bubblewrap cannot start a sandbox here ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!("bubblewrap cannot be run: {e}")),
    };
    remember(cache, &key, &ok);
    Probe { ok, fresh: true }
}

/// Writes the probe's answer; true when it differs from what was cached (say it once).
fn remember(cache: &Path, key: &str, ok: &Result<(), String>) -> bool {
    let v = serde_json::json!({"key": key, "error": ok.as_ref().err()});
    let text = v.to_string();
    if std::fs::read_to_string(cache).is_ok_and(|old| old == text) {
        return false;
    }
    if let Some(dir) = cache.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let tmp = cache.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, &text).is_ok() {
        let _ = std::fs::rename(&tmp, cache);
    }
    true
}

fn probe_key(bwrap: &Path) -> String {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(bwrap)
        .map(|m| format!("{}:{}:{}", m.ino(), m.size(), m.mtime()))
        .unwrap_or_default();
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "-".into())
    };
    format!(
        "{}|{meta}|{}|{}|{}|{}",
        bwrap.display(),
        read("/proc/sys/kernel/random/boot_id"),
        read("/proc/sys/kernel/unprivileged_userns_clone"),
        read("/proc/sys/user/max_user_namespaces"),
        read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"),
    )
}

/// A decision the hook already made, handed to `assent exec --ticket` so the command is not
/// decided (or asked about) twice. Stored as a file in Assent's home, which the agent cannot
/// change; bound to the exact argv and working directory; used once.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Ticket {
    pub argv: Vec<String>,
    pub view: View,
    /// Protected variable names and patterns, removed from the environment.
    pub protected_env: Vec<String>,
    pub expires_ms: i64,
}

/// How long a ticket stays good: long enough for a queue of tool calls, short enough that a
/// stray one does not linger.
pub const TICKET_TTL_MS: i64 = 3600 * 1000;

pub fn issue(dir: &Path, ticket: &Ticket, now_ms: i64) -> Result<String, String> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    prune(dir, now_ms);
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf).map_err(|e| format!("no randomness for a ticket: {e}"))?;
    let id = hex::encode(buf);
    let text = serde_json::to_vec(ticket).map_err(|e| e.to_string())?;
    let path = dir.join(&id);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    // No fsync: the ticket is read a few milliseconds later by `exec`, or never.
    f.write_all(&text)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(id)
}

/// Takes the ticket `id` out of `dir`: it can be redeemed once.
pub fn redeem(dir: &Path, id: &str, now_ms: i64) -> Result<Ticket, String> {
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("malformed sandbox ticket".into());
    }
    let path = dir.join(id);
    // Renaming first makes redemption atomic: of two callers only one gets the file.
    let taken = dir.join(format!("{id}.taken{}", std::process::id()));
    std::fs::rename(&path, &taken)
        .map_err(|_| "unknown or already used sandbox ticket".to_string())?;
    let text = std::fs::read(&taken);
    let _ = std::fs::remove_file(&taken);
    let text = text.map_err(|e| format!("cannot read the sandbox ticket: {e}"))?;
    let ticket: Ticket =
        serde_json::from_slice(&text).map_err(|e| format!("invalid sandbox ticket: {e}"))?;
    if ticket.expires_ms < now_ms {
        return Err("expired sandbox ticket".into());
    }
    Ok(ticket)
}

/// Removes tickets (and leftovers) older than their lifetime.
/// Removes tickets older than their lifetime, at most once a minute per process: a
/// long-running server issues a ticket for every allowed Bash command, and reading the whole
/// directory each time made every such hook call pay for all unredeemed tickets of the last
/// hour. (Expired tickets are refused on redemption anyway; pruning only keeps the directory
/// small.)
fn prune(dir: &Path, now_ms: i64) {
    use std::sync::atomic::{AtomicI64, Ordering};
    static LAST: AtomicI64 = AtomicI64::new(i64::MIN);
    const EVERY_MS: i64 = 60_000;
    let last = LAST.load(Ordering::Relaxed);
    if now_ms.saturating_sub(last) < EVERY_MS
        || LAST
            .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let cutoff = std::time::Duration::from_millis(TICKET_TTL_MS.max(0) as u64);
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > cutoff);
        if old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Renders output so that nothing in it acts on whoever reads it: ESC, the other C0 and C1
/// controls, DEL, bytes that are not UTF-8, and invisible or bidi characters become visible
/// escapes (`\x1b`, `\u{202E}`). Newline, tab and CR+LF are kept. Streams: a UTF-8 sequence
/// or CR split across two reads is held until the next.
#[derive(Debug, Default)]
pub struct Escaper {
    held: Vec<u8>,
}

impl Escaper {
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut buf = std::mem::take(&mut self.held);
        buf.extend_from_slice(input);
        let rest = escape_bytes(&buf, false, out);
        self.held = rest.to_vec();
    }

    pub fn finish(&mut self, out: &mut Vec<u8>) {
        let buf = std::mem::take(&mut self.held);
        escape_bytes(&buf, true, out);
    }
}

/// Escapes `buf` into `out`; returns the unfinished tail (when not `last`).
fn escape_bytes<'a>(buf: &'a [u8], last: bool, out: &mut Vec<u8>) -> &'a [u8] {
    let mut rest = buf;
    while let Some((&b, tail)) = rest.split_first() {
        match b {
            b'\n' | b'\t' => out.push(b),
            b'\r' => match tail.first() {
                Some(b'\n') => {
                    out.extend_from_slice(b"\r\n");
                    rest = tail.get(1..).unwrap_or_default();
                    continue;
                }
                None if !last => return rest,
                _ => out.extend_from_slice(b"\\r"),
            },
            0x00..=0x1f | 0x7f => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
            0x20..=0x7e => out.push(b),
            _ => {
                let width = match b {
                    0xc2..=0xdf => 2,
                    0xe0..=0xef => 3,
                    0xf0..=0xf4 => 4,
                    _ => 0,
                };
                if width == 0 {
                    out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
                } else if rest.len() < width
                    && !last
                    && std::str::from_utf8(rest).is_err_and(|e| e.error_len().is_none())
                {
                    // An unfinished sequence at the end of this read.
                    return rest;
                } else {
                    match rest.get(..width).map(std::str::from_utf8) {
                        Some(Ok(s)) => {
                            let c = s.chars().next().unwrap_or('\u{FFFD}');
                            if c.is_control() || assent_core::text::is_invisible(c) {
                                out.extend_from_slice(
                                    format!("\\u{{{:04X}}}", c as u32).as_bytes(),
                                );
                            } else {
                                out.extend_from_slice(s.as_bytes());
                            }
                            rest = rest.get(width..).unwrap_or_default();
                            continue;
                        }
                        _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
                    }
                }
            }
        }
        rest = tail;
    }
    rest
}

/// Runs `cmd`; with `escape`, its stdout and stderr pass through an [`Escaper`] each.
pub fn run(mut cmd: Command, escape: bool) -> std::io::Result<ExitStatus> {
    if !escape {
        return cmd.status();
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    let out = child
        .stdout
        .take()
        .map(|r| std::thread::spawn(move || relay(r, std::io::stdout())));
    let err = child
        .stderr
        .take()
        .map(|r| std::thread::spawn(move || relay(r, std::io::stderr())));
    let status = child.wait();
    for t in [out, err].into_iter().flatten() {
        let _ = t.join();
    }
    status
}

fn relay(mut from: impl Read, to: impl Write) {
    let mut to = to;
    let mut esc = Escaper::default();
    let mut buf = vec![0u8; 16 * 1024];
    let mut out = Vec::with_capacity(64 * 1024);
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        out.clear();
        esc.push(buf.get(..n).unwrap_or_default(), &mut out);
        if to.write_all(&out).and_then(|_| to.flush()).is_err() {
            // The reader went away: keep draining so the command is not blocked on a full pipe.
            continue;
        }
    }
    out.clear();
    esc.finish(&mut out);
    let _ = to.write_all(&out).and_then(|_| to.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(chunks: &[&[u8]]) -> String {
        let mut e = Escaper::default();
        let mut out = Vec::new();
        for c in chunks {
            e.push(c, &mut out);
        }
        e.finish(&mut out);
        String::from_utf8(out).expect("escaped output is UTF-8")
    }

    #[test]
    fn escapes_every_control_but_newline_tab_and_crlf() {
        assert_eq!(esc(&[b"a\x1b[2Jb"]), "a\\x1b[2Jb");
        assert_eq!(esc(&[b"l1\nl2\tx\r\n"]), "l1\nl2\tx\r\n");
        assert_eq!(esc(&[b"safe\rEVIL"]), "safe\\rEVIL");
        assert_eq!(esc(&[b"\x00\x07\x7f"]), "\\x00\\x07\\x7f");
        assert_eq!(esc(&["\u{9b}2J".as_bytes()]), "\\u{009B}2J", "C1 CSI");
        assert_eq!(esc(&["\u{202e}txt".as_bytes()]), "\\u{202E}txt", "bidi");
        assert_eq!(esc(&[b"\xff\xfe ok"]), "\\xff\\xfe ok", "not UTF-8");
        assert_eq!(esc(&["héllo ✓ 日本".as_bytes()]), "héllo ✓ 日本");
    }

    #[test]
    fn sequences_split_across_reads_are_judged_whole() {
        let s = "é✓".as_bytes();
        for cut in 0..=s.len() {
            let (a, b) = s.split_at(cut);
            assert_eq!(esc(&[a, b]), "é✓", "cut at {cut}");
        }
        assert_eq!(esc(&[b"x\r", b"\ny"]), "x\r\ny");
        assert_eq!(esc(&[b"x\r", b"y"]), "x\\ry");
        assert_eq!(esc(&[b"x\r"]), "x\\r");
        assert_eq!(esc(&[b"\xe2\x9c"]), "\\xe2\\x9c", "truncated at the end");
    }

    #[test]
    fn the_walk_cache_never_hides_a_new_secret() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = std::fs::canonicalize(dir.path()).expect("canonical");
        let ws = root.join("ws");
        std::fs::create_dir_all(ws.join("a/b")).expect("mkdir");
        std::fs::create_dir_all(root.join("outside")).expect("mkdir");
        std::fs::write(ws.join("a/b/x.txt"), "x").expect("write");
        std::fs::write(ws.join("a/.env"), "s").expect("write");
        std::fs::write(root.join("outside/key"), "k").expect("write");
        let calls = std::cell::Cell::new(0usize);
        let hidden = |p: &Path| {
            calls.set(calls.get() + 1);
            p.file_name().is_some_and(|n| n == ".env")
        };
        let cache = root.join("cache.json");
        let build = || {
            View::build(
                std::slice::from_ref(&ws),
                &ws,
                &root,
                false,
                &hidden,
                Some((&cache, "salt")),
            )
            .expect("view")
        };
        // Only directories settled for a few seconds are kept.
        std::thread::sleep(std::time::Duration::from_millis(3100));
        let first = build();
        assert_eq!(first.masked_files, vec![ws.join("a/.env")]);
        let before = calls.get();
        assert_eq!(build(), first, "the same view from the cache");
        assert_eq!(
            calls.get(),
            before + 1,
            "an unchanged tree is not matched again (only its root)"
        );
        // New names in a cached directory: a secret, and a hard link to a file outside.
        std::fs::write(ws.join("a/b/.env"), "s").expect("write");
        std::fs::hard_link(root.join("outside/key"), ws.join("a/harmless")).expect("link");
        let third = build();
        assert!(
            third.masked_files.contains(&ws.join("a/b/.env")),
            "{third:?}"
        );
        assert!(
            third.masked_files.contains(&ws.join("a/harmless")),
            "{third:?}"
        );
        // Other patterns (another salt) never reuse the verdicts.
        let none = View::build(
            std::slice::from_ref(&ws),
            &ws,
            &root,
            false,
            &|_: &Path| false,
            Some((&cache, "other")),
        )
        .expect("view");
        assert_eq!(none.masked_files, vec![ws.join("a/harmless")]);
    }

    #[test]
    fn tickets_are_bound_used_once_and_expire() {
        let dir = tempfile::tempdir().expect("tempdir");
        let t = Ticket {
            argv: vec!["/bin/bash".into(), "-c".into(), "ls".into()],
            view: View::default(),
            protected_env: vec![],
            expires_ms: 2_000,
        };
        let id = issue(dir.path(), &t, 1_000).expect("issued");
        assert_eq!(redeem(dir.path(), &id, 1_500).as_ref(), Ok(&t));
        assert!(redeem(dir.path(), &id, 1_500).is_err(), "used once");
        let id = issue(dir.path(), &t, 1_000).expect("issued");
        assert!(redeem(dir.path(), &id, 3_000).is_err(), "expired");
        assert!(redeem(dir.path(), "../../etc/passwd", 0).is_err());
        assert!(redeem(dir.path(), &"0".repeat(32), 0).is_err());
    }
}
