//! A reader for git's index file (`.git/index`, versions 2–4), for the names and modes of
//! tracked entries. What it cannot read exactly (a split index, a sparse directory entry, a
//! truncated or unknown file) is an error: the caller then assumes the worst.

/// A tracked entry: its path relative to the work tree, and whether it is a gitlink (a
/// submodule or embedded repository, mode 160000).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    pub name: String,
    pub gitlink: bool,
    /// Stat data git recorded (low 32 bits, as git keeps them): modification time in seconds
    /// and nanoseconds, and size.
    pub mtime_s: u32,
    pub mtime_ns: u32,
    pub size: u32,
}

/// Largest index read; bigger ones are not examined (the caller assumes the worst).
pub(super) const MAX_INDEX_BYTES: u64 = 64 * 1024 * 1024;

fn u32_at(b: &[u8], at: usize) -> Result<u32, String> {
    let s = b.get(at..at + 4).ok_or("index truncated")?;
    let mut a = [0u8; 4];
    a.copy_from_slice(s);
    Ok(u32::from_be_bytes(a))
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, String> {
    let s = b.get(at..at + 2).ok_or("index truncated")?;
    let mut a = [0u8; 2];
    a.copy_from_slice(s);
    Ok(u16::from_be_bytes(a))
}

/// Parses an index. `hash_len` is 20 for SHA-1 repositories, 32 for SHA-256.
pub(super) fn parse(b: &[u8], hash_len: usize) -> Result<Vec<Entry>, String> {
    if b.get(0..4) != Some(b"DIRC") {
        return Err("not an index file".into());
    }
    let version = u32_at(b, 4)?;
    if !(2..=4).contains(&version) {
        return Err(format!("index version {version} not understood"));
    }
    let count = u32_at(b, 8)? as usize;
    // Every entry takes at least 40 + hash + 2 bytes: a count larger than the file allows is
    // corrupt.
    if count > b.len() / (42 + hash_len) {
        return Err("index entry count larger than the file".into());
    }
    let mut at = 12;
    let mut out = Vec::with_capacity(count);
    let mut prev: Vec<u8> = Vec::new();
    for _ in 0..count {
        let start = at;
        let mtime_s = u32_at(b, at + 8)?;
        let mtime_ns = u32_at(b, at + 12)?;
        let mode = u32_at(b, at + 24)?;
        let size = u32_at(b, at + 36)?;
        let flags = u16_at(b, at + 40 + hash_len)?;
        at += 40 + hash_len + 2;
        if version >= 3 && flags & 0x4000 != 0 {
            at += 2;
        }
        let name: Vec<u8> = if version == 4 {
            // Prefix compression: strip N bytes from the previous name, append a suffix.
            let (strip, used) = varint(b, at)?;
            at += used;
            let end = b
                .get(at..)
                .and_then(|r| r.iter().position(|c| *c == 0))
                .ok_or("index name unterminated")?;
            let suffix = b.get(at..at + end).ok_or("index truncated")?;
            at += end + 1;
            let keep = prev
                .len()
                .checked_sub(strip)
                .ok_or("index name prefix out of range")?;
            let mut n = prev.get(..keep).ok_or("index truncated")?.to_vec();
            n.extend_from_slice(suffix);
            n
        } else {
            let end = b
                .get(at..)
                .and_then(|r| r.iter().position(|c| *c == 0))
                .ok_or("index name unterminated")?;
            let n = b.get(at..at + end).ok_or("index truncated")?.to_vec();
            // Entries are padded with 1–8 NULs to a multiple of eight bytes.
            let len = at + end - start;
            at = start + ((len + 8) & !7);
            n
        };
        if at > b.len() {
            return Err("index truncated".into());
        }
        let kind = mode >> 12;
        if kind == 0o04 {
            // A sparse-index directory entry stands for files not listed.
            return Err("sparse index directory entry".into());
        }
        let text = String::from_utf8(name.clone()).map_err(|_| "index name is not UTF-8")?;
        out.push(Entry {
            name: text,
            gitlink: kind == 0o16,
            mtime_s,
            mtime_ns,
            size,
        });
        prev = name;
    }
    // Extensions: a split index keeps entries in another file.
    while at + 8 <= b.len().saturating_sub(hash_len) {
        let sig = b.get(at..at + 4).ok_or("index truncated")?;
        if sig == b"link" || sig == b"sdir" {
            return Err("split or sparse index".into());
        }
        let size = u32_at(b, at + 4)? as usize;
        at = at.checked_add(8 + size).ok_or("index extension size")?;
    }
    Ok(out)
}

/// git's offset encoding (varint.c).
fn varint(b: &[u8], at: usize) -> Result<(usize, usize), String> {
    let mut i = at;
    let mut c = *b.get(i).ok_or("index truncated")?;
    i += 1;
    let mut val = (c & 127) as usize;
    while c & 128 != 0 {
        c = *b.get(i).ok_or("index truncated")?;
        i += 1;
        val = val
            .checked_add(1)
            .and_then(|v| v.checked_mul(128))
            .and_then(|v| v.checked_add((c & 127) as usize))
            .ok_or("index varint overflow")?;
        if i - at > 8 {
            return Err("index varint too long".into());
        }
    }
    Ok((val, i - at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_garbage_without_panicking() {
        for b in [
            &b""[..],
            b"DIRC",
            b"DIRC\x00\x00\x00\x02\xff\xff\xff\xff",
            b"DIRC\x00\x00\x00\x09\x00\x00\x00\x00",
            b"DIRC\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x00\x00\x04.env\x00",
        ] {
            assert!(parse(b, 20).is_err());
        }
        // Every prefix of a real-looking entry is an error or a result, never a panic.
        let mut e = b"DIRC\x00\x00\x00\x04\x00\x00\x00\x01".to_vec();
        e.extend([0u8; 24]);
        e.extend(0o100644u32.to_be_bytes());
        e.extend([0u8; 12 + 20]);
        e.extend(4u16.to_be_bytes());
        e.extend(b"\x00.env\x00");
        assert_eq!(
            parse(&e, 20),
            Ok(vec![Entry {
                name: ".env".into(),
                gitlink: false,
                mtime_s: 0,
                mtime_ns: 0,
                size: 0,
            }])
        );
        for n in 0..e.len() {
            let _ = parse(e.get(..n).unwrap_or(&[]), 20);
        }
    }
}
