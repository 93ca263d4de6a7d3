//! The signature scheme (Standard Webhooks, <https://www.standardwebhooks.com>):
//!
//! - `webhook-id`: the notice's id, the same on every retry (receivers deduplicate on it);
//! - `webhook-timestamp`: Unix seconds when this attempt was sent;
//! - `webhook-signature`: `v1,` and the base64 of HMAC-SHA256(key, `{id}.{timestamp}.{body}`).
//!
//! The key is the secret's bytes; a secret written `whsec_<base64>` (the Standard Webhooks
//! form) is the decoded bytes. A receiver recomputes the HMAC over the raw body it received,
//! compares in constant time, and refuses a timestamp more than a few minutes from its clock
//! (replays).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const HEADER_ID: &str = "webhook-id";
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
pub const HEADER_SIGNATURE: &str = "webhook-signature";

/// Shortest key accepted, in bytes.
pub const MIN_KEY: usize = 16;

/// A signing key. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl Secret {
    /// The key a secret string stands for (`whsec_<base64>` decoded, else its bytes).
    pub fn parse(text: &str) -> Result<Secret, String> {
        let text = text.trim();
        let key = match text.strip_prefix("whsec_") {
            Some(b64) => STANDARD
                .decode(b64)
                .map_err(|_| "a `whsec_` secret must be base64 after the prefix".to_string())?,
            None => text.as_bytes().to_vec(),
        };
        if key.len() < MIN_KEY {
            return Err(format!("a webhook secret must be at least {MIN_KEY} bytes"));
        }
        Ok(Secret(key))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        // HMAC takes a key of any length; this cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => Hmac::<Sha256>::new(&Default::default()),
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` header value.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.mac(id, timestamp, body).finalize().into_bytes();
        format!("v1,{}", STANDARD.encode(tag))
    }

    /// What a receiver does: true when one of the space-separated `v1,` signatures in
    /// `header` matches (constant-time) and `timestamp` is within `tolerance_s` of `now_s`.
    pub fn verify(
        &self,
        id: &str,
        timestamp: i64,
        body: &[u8],
        header: &str,
        now_s: i64,
        tolerance_s: i64,
    ) -> bool {
        if now_s.abs_diff(timestamp) > tolerance_s.unsigned_abs() {
            return false;
        }
        header.split(' ').any(|sig| {
            sig.strip_prefix("v1,")
                .and_then(|b64| STANDARD.decode(b64).ok())
                .is_some_and(|tag| self.mac(id, timestamp, body).verify_slice(&tag).is_ok())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_and_refuses_every_change() {
        let s = Secret::parse("0123456789abcdef-secret").expect("long enough");
        let body = br#"{"type":"request.created"}"#;
        let sig = s.sign("n1", 1_700_000_000, body);
        assert!(sig.starts_with("v1,"));
        assert!(s.verify("n1", 1_700_000_000, body, &sig, 1_700_000_010, 300));
        // Another id, time, body, key; a stale timestamp; a garbled header.
        assert!(!s.verify("n2", 1_700_000_000, body, &sig, 1_700_000_010, 300));
        assert!(!s.verify("n1", 1_700_000_001, body, &sig, 1_700_000_010, 300));
        assert!(!s.verify("n1", 1_700_000_000, b"{}", &sig, 1_700_000_010, 300));
        let other = Secret::parse("another-secret-of-16").expect("key");
        assert!(!other.verify("n1", 1_700_000_000, body, &sig, 1_700_000_010, 300));
        assert!(!s.verify("n1", 1_700_000_000, body, &sig, 1_700_001_000, 300));
        assert!(!s.verify("n1", 1_700_000_000, body, "v1,AAAA", 1_700_000_010, 300));
        assert!(!s.verify("n1", 1_700_000_000, body, "", 1_700_000_010, 300));
        // Several signatures (key rotation): one matching is enough.
        let both = format!("v1,AAAA {sig}");
        assert!(s.verify("n1", 1_700_000_000, body, &both, 1_700_000_010, 300));
    }

    #[test]
    fn matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let s = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("key");
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            s.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn short_or_garbled_secrets_are_refused_and_never_printed() {
        assert!(Secret::parse("short").is_err());
        assert!(Secret::parse("whsec_!!!not-base64!!!").is_err());
        let s = Secret::parse("a-long-enough-secret-value").expect("key");
        assert!(!format!("{s:?}").contains("long-enough"));
    }
}
