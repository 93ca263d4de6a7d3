//! The audit hash chain: canonical bodies, hashing, and verification.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Canonical JSON (sorted keys, compact): the exact bytes that are hashed and stored.
pub fn canonical(v: &Value) -> String {
    let mut out = String::with_capacity(256);
    assent_core::action::write_canonical(&mut out, v);
    out
}

/// hash_n = SHA-256(prev_hash_hex ‖ "\n" ‖ body_n), hex.
pub fn chain_hash(prev: &str, body: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    hex::encode(h.finalize())
}

/// Where the chain first breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: i64,
    pub problem: String,
}

#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    pub events: u64,
    pub last_seq: i64,
    pub last_hash: String,
    pub first_break: Option<ChainBreak>,
}

/// Incremental verifier: feed rows in `seq` order.
pub fn verify_rows<'a>(
    report: &mut VerifyReport,
    rows: impl IntoIterator<Item = (i64, &'a str, &'a str)>,
) {
    use std::fmt::Write as _;
    if report.last_hash.is_empty() {
        report.last_hash = GENESIS.to_string();
    }
    // Buffers reused across rows: verification is dominated by per-row work.
    let mut seq_field = String::with_capacity(32);
    let mut prev_field = String::with_capacity(80);
    let mut hex_buf = [0u8; 64];
    for (seq, body, hash) in rows {
        if report.first_break.is_some() {
            return;
        }
        report.events += 1;
        let broken = |problem: String| Some(ChainBreak { seq, problem });
        if seq != report.last_seq + 1 {
            report.first_break = broken(format!(
                "sequence jumps from {} to {seq}: event(s) {}..{} are missing",
                report.last_seq,
                report.last_seq + 1,
                seq - 1
            ));
            return;
        }
        let mut h = Sha256::new();
        h.update(report.last_hash.as_bytes());
        h.update(b"\n");
        h.update(body.as_bytes());
        let digest = h.finalize();
        let expected = match hex::encode_to_slice(digest, &mut hex_buf) {
            Ok(()) => std::str::from_utf8(&hex_buf).unwrap_or(""),
            Err(_) => "",
        };
        if expected != hash {
            report.first_break = broken(
                "stored hash does not match the event's content (modified event or hash)".into(),
            );
            return;
        }
        // The body names its own position and predecessor: a copied or moved event fails.
        // Bodies are canonical (sorted keys, compact), so the fields appear exactly like this.
        seq_field.clear();
        let _ = write!(seq_field, "\"seq\":{seq}");
        let names_seq = body
            .match_indices(seq_field.as_str())
            .any(|(i, m)| matches!(body.as_bytes().get(i + m.len()), Some(b',') | Some(b'}')));
        if !names_seq {
            report.first_break =
                broken("event body names another sequence number (moved or inserted event)".into());
            return;
        }
        prev_field.clear();
        let _ = write!(prev_field, "\"prev\":\"{}\"", report.last_hash);
        if !body.contains(prev_field.as_str()) {
            report.first_break = broken(
                "event does not follow its predecessor (reordered or inserted event)".into(),
            );
            return;
        }
        report.last_seq = seq;
        report.last_hash.clear();
        report.last_hash.push_str(hash);
    }
}
