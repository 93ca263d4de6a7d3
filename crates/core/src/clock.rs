//! Time as an injected dependency: everything that expires (requests, tokens, grants) asks a
//! [`Clock`], so tests move time instead of waiting for it. The real clock lives with the
//! crates that may read the system (this crate reads nothing); [`ManualClock`] is here.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Milliseconds since the Unix epoch, as the caller's world sees them.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now_ms(&self) -> i64;
}

/// A clock that moves only when told: for tests of expiry, escalation and token lifetimes.
#[derive(Debug)]
pub struct ManualClock {
    ms: AtomicI64,
}

impl ManualClock {
    pub fn new(start_ms: i64) -> ManualClock {
        ManualClock {
            ms: AtomicI64::new(start_ms),
        }
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        let by = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        self.ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| {
                Some(v.saturating_add(by))
            })
            .ok();
    }

    pub fn set(&self, ms: i64) {
        self.ms.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.ms.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(1_000);
        assert_eq!(c.now_ms(), 1_000);
        c.advance(Duration::from_secs(90));
        assert_eq!(c.now_ms(), 91_000);
        c.advance(Duration::MAX);
        assert_eq!(c.now_ms(), i64::MAX, "saturates instead of wrapping");
        c.set(5);
        assert_eq!(c.now_ms(), 5);
    }
}
