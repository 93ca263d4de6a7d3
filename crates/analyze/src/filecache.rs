//! Files the analyser parses on many decisions (git's configuration files, its index,
//! attribute files), kept parsed across decisions while they are unchanged.
//!
//! A cached parse is used only when the file's identity — device, inode, size, modification
//! and status-change times to the nanosecond — is what it was when the file was read, so a
//! changed, replaced or recreated file is always read again: the cache saves the reading and
//! the parsing, never the `stat`. A file changed within [`SETTLE`] of being read is not
//! cached at all: a file system's clock ticks coarsely (a few milliseconds on Linux, up to
//! two seconds on FAT), and two writes within one tick can leave the same identity (git's
//! "racy clean" problem). Writing a file always sets its status-change time to the clock,
//! which cannot be set back by a program, so a file that had settled and then changes gets a
//! new identity.

use std::collections::HashMap;
use std::hash::Hash;
use std::os::unix::fs::MetadataExt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a file must have been unchanged before its parse is cached.
pub(crate) const SETTLE: Duration = Duration::from_secs(2);

/// Most files kept per cache; past this the cache starts over.
const MAX_FILES: usize = 4096;

/// What identifies one state of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Identity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Identity {
    pub fn of(m: &std::fs::Metadata) -> Identity {
        Identity {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }

    /// Whether the file has been unchanged for [`SETTLE`] (by the clock now).
    fn settled(&self) -> bool {
        let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH) else {
            return false;
        };
        let last = self.mtime.0.max(self.ctime.0);
        // Whole seconds, rounded up: a change at second `last` may be as late as `last + 1`.
        let Ok(last) = u64::try_from(last.saturating_add(1)) else {
            return false;
        };
        now.as_secs() >= last.saturating_add(SETTLE.as_secs())
    }
}

/// One parsed file and the identity of the file it was parsed from, by key.
type Entries<K, T> = HashMap<K, (Identity, Arc<T>)>;

/// Parsed files by key (a path, or a path and how it was parsed), each with the identity of
/// the file it was parsed from.
#[derive(Debug)]
pub(crate) struct ParsedCache<K, T> {
    map: Mutex<Option<Entries<K, T>>>,
}

impl<K: Eq + Hash + Clone, T> ParsedCache<K, T> {
    pub const fn new() -> ParsedCache<K, T> {
        ParsedCache {
            map: Mutex::new(None),
        }
    }

    /// The parse of the file `key` names, whose metadata (just taken) is `meta`: the cached
    /// one when the file is unchanged, else `parse()` (cached when the file has settled).
    pub fn get(&self, key: &K, meta: &std::fs::Metadata, parse: impl FnOnce() -> T) -> Arc<T> {
        let id = Identity::of(meta);
        if let Ok(guard) = self.map.lock() {
            if let Some((have, parsed)) = guard.as_ref().and_then(|m| m.get(key)) {
                if *have == id {
                    return parsed.clone();
                }
            }
        }
        let parsed = Arc::new(parse());
        if id.settled() {
            if let Ok(mut guard) = self.map.lock() {
                let map = guard.get_or_insert_with(HashMap::new);
                if map.len() >= MAX_FILES {
                    map.clear();
                }
                map.insert(key.clone(), (id, parsed.clone()));
            }
        }
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// Reads `p` through the cache, counting the parses.
    fn parse_count(cache: &ParsedCache<PathBuf, String>, p: &PathBuf, n: &mut usize) -> String {
        let meta = std::fs::metadata(p).expect("meta");
        cache
            .get(p, &meta, || {
                *n += 1;
                std::fs::read_to_string(p).expect("read")
            })
            .to_string()
    }

    #[test]
    fn a_fresh_file_is_never_cached() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("config");
        std::fs::write(&p, "a").expect("write");
        let cache = ParsedCache::new();
        let mut n = 0;
        assert_eq!(parse_count(&cache, &p, &mut n), "a");
        assert_eq!(parse_count(&cache, &p, &mut n), "a");
        assert_eq!(n, 2, "a file written just now is read every time");
        // Same size, same second: only the content differs.
        std::fs::write(&p, "b").expect("write");
        assert_eq!(parse_count(&cache, &p, &mut n), "b");
    }

    #[test]
    fn a_settled_file_is_read_once_until_it_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("config");
        std::fs::write(&p, "a").expect("write");
        std::thread::sleep(SETTLE + Duration::from_millis(1100));
        let cache = ParsedCache::new();
        let mut n = 0;
        assert_eq!(parse_count(&cache, &p, &mut n), "a");
        assert_eq!(parse_count(&cache, &p, &mut n), "a");
        assert_eq!(n, 1, "an unchanged, settled file is parsed once");
        // Same size: the status-change time tells.
        std::fs::write(&p, "b").expect("write");
        assert_eq!(parse_count(&cache, &p, &mut n), "b");
        assert_eq!(n, 2);
        // Replaced by rename: a new inode.
        let q = dir.path().join("new");
        std::fs::write(&q, "c").expect("write");
        std::fs::rename(&q, &p).expect("rename");
        assert_eq!(parse_count(&cache, &p, &mut n), "c");
    }
}
