//! What one decision has already learnt from the file system, kept for the rest of that
//! decision only.
//!
//! A decision reads the file system as it is now; resolving the same path twice within it
//! (the working directory for the workspace, for the repository, for each git command of a
//! compound…) must give the same answer, and asking the kernel again only costs system calls
//! (`realpath` is one `readlink` per component). The memo lives from the start of
//! [`crate::Analyzer::analyze`] to its end, on the thread that runs it; nothing is kept
//! across decisions, so no change to the file system between two decisions can be missed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Most paths remembered in one decision; past it, resolving is done anew each time.
const MAX_ENTRIES: usize = 4096;
/// Most directory entries remembered in one decision (a tree walk stops at 20,000 anyway).
const MAX_LISTED: usize = 50_000;

#[derive(Default)]
struct Memo {
    canonical: HashMap<PathBuf, Option<PathBuf>>,
    listings: HashMap<PathBuf, Option<Rc<Vec<Listed>>>>,
    /// Entries held by `listings`, all directories together.
    listed: usize,
}

/// One entry of a directory, as a walk of a tree needs it: its name, its type (not
/// following a symlink) and its metadata (of the entry itself, not a link's target).
#[derive(Debug)]
pub(crate) struct Listed {
    pub name: std::ffi::OsString,
    pub path: PathBuf,
    pub is_dir: bool,
    pub meta: Option<std::fs::Metadata>,
}

thread_local! {
    static MEMO: RefCell<Option<Memo>> = const { RefCell::new(None) };
}

/// The memo of one decision; dropping it forgets everything.
pub(crate) struct Decision {
    owner: bool,
}

/// Starts remembering for one decision (nested calls share the outer decision's memo).
pub(crate) fn decision() -> Decision {
    let owner = MEMO.with(|m| {
        let Ok(mut m) = m.try_borrow_mut() else {
            return false;
        };
        if m.is_some() {
            return false;
        }
        *m = Some(Memo::default());
        true
    });
    Decision { owner }
}

impl Drop for Decision {
    fn drop(&mut self) {
        if self.owner {
            MEMO.with(|m| {
                if let Ok(mut m) = m.try_borrow_mut() {
                    *m = None;
                }
            });
        }
    }
}

/// `std::fs::canonicalize`, remembered for the current decision (`None` where it fails).
pub(crate) fn canonicalize(p: &Path) -> Option<PathBuf> {
    let hit = MEMO.with(|m| {
        m.try_borrow()
            .ok()
            .and_then(|m| m.as_ref().and_then(|m| m.canonical.get(p).cloned()))
    });
    if let Some(known) = hit {
        return known;
    }
    let found = std::fs::canonicalize(p).ok();
    MEMO.with(|m| {
        if let Ok(mut m) = m.try_borrow_mut() {
            if let Some(m) = m.as_mut() {
                if m.canonical.len() < MAX_ENTRIES {
                    m.canonical.insert(p.to_path_buf(), found.clone());
                }
            }
        }
    });
    found
}

/// The entries of directory `dir` (`None` when it cannot be listed), remembered for the
/// current decision: the trees of `grep -r src` and `rg src` in one command are listed once.
pub(crate) fn list_dir(dir: &Path) -> Option<Rc<Vec<Listed>>> {
    let hit = MEMO.with(|m| {
        m.try_borrow()
            .ok()
            .and_then(|m| m.as_ref().and_then(|m| m.listings.get(dir).cloned()))
    });
    if let Some(known) = hit {
        return known;
    }
    let found = std::fs::read_dir(dir).ok().map(|entries| {
        Rc::new(
            entries
                .flatten()
                .map(|e| Listed {
                    name: e.file_name(),
                    path: e.path(),
                    is_dir: e.file_type().is_ok_and(|t| t.is_dir()),
                    meta: e.metadata().ok(),
                })
                .collect::<Vec<_>>(),
        )
    });
    MEMO.with(|m| {
        if let Ok(mut m) = m.try_borrow_mut() {
            if let Some(m) = m.as_mut() {
                let n = found.as_ref().map_or(0, |f| f.len());
                if m.listed.saturating_add(n) <= MAX_LISTED {
                    m.listed += n;
                    m.listings.insert(dir.to_path_buf(), found.clone());
                }
            }
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_within_a_decision_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = std::fs::canonicalize(dir.path()).expect("real");
        let a = root.join("a");
        let b = root.join("b");
        std::fs::create_dir(&a).expect("mkdir");
        std::fs::create_dir(&b).expect("mkdir");
        let link = root.join("link");
        std::os::unix::fs::symlink(&a, &link).expect("symlink");
        {
            let _d = decision();
            assert_eq!(canonicalize(&link), Some(a.clone()));
            std::fs::remove_file(&link).expect("rm");
            std::os::unix::fs::symlink(&b, &link).expect("symlink");
            // Within one decision: the first answer stands.
            assert_eq!(canonicalize(&link), Some(a.clone()));
        }
        {
            let _d = decision();
            // The next decision sees the link as it is now.
            assert_eq!(canonicalize(&link), Some(b.clone()));
        }
        std::fs::remove_file(&link).expect("rm");
        // Outside a decision nothing is remembered.
        assert_eq!(canonicalize(&link), None);
    }

    #[test]
    fn listings_are_remembered_within_a_decision_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let names = |d: &Path| -> Vec<String> {
            let mut v: Vec<String> = list_dir(d)
                .expect("listed")
                .iter()
                .map(|e| e.name.to_string_lossy().to_string())
                .collect();
            v.sort();
            v
        };
        std::fs::write(dir.path().join("a"), "x").expect("write");
        {
            let _d = decision();
            assert_eq!(names(dir.path()), ["a"]);
            std::fs::write(dir.path().join(".env"), "x").expect("write");
            assert_eq!(names(dir.path()), ["a"]);
        }
        let _d = decision();
        assert_eq!(names(dir.path()), [".env", "a"]);
    }
}
