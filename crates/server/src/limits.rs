//! Limits on what one caller can make the server do: request rates per principal and per
//! address (token buckets), a stricter budget for failed authentications per address, body
//! size and time per request.

use crate::problem::Problem;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The server's limits. Defaults suit a team server; benchmarks raise the rates.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Requests per second one principal may make (sustained), and its burst.
    pub principal_rate: Rate,
    /// Requests per second one client address may make, and its burst. Every connection
    /// through the Unix socket counts as one address.
    pub address_rate: Rate,
    /// Failed authentications per second one address may make before it is refused
    /// outright: guessing tokens is slow by construction.
    pub auth_failure_rate: Rate,
    /// Largest request body, in bytes (hook input can be large: file writes).
    pub max_body: usize,
    /// Time limit of every route that is not a long-poll or a stream.
    pub request_timeout: Duration,
    /// Longest single long-poll (`/wait`); a caller wanting longer polls again.
    pub max_wait: Duration,
    /// Longest life of one event stream; clients reconnect (SSE does it by itself).
    pub max_stream: Duration,
}

#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            principal_rate: Rate {
                per_second: 200.0,
                burst: 400.0,
            },
            address_rate: Rate {
                per_second: 500.0,
                burst: 1000.0,
            },
            auth_failure_rate: Rate {
                per_second: 0.5,
                burst: 10.0,
            },
            max_body: 8 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_wait: Duration::from_secs(24 * 3600),
            max_stream: Duration::from_secs(3600),
        }
    }
}

/// Token buckets keyed by a string (a principal's name, an address). The map is bounded:
/// when it is full, buckets that have refilled completely (idle callers) are dropped, and if
/// none has, the new key is refused — a flood of fresh addresses cannot grow memory.
pub struct Buckets {
    rate: Rate,
    map: Mutex<HashMap<String, Bucket>>,
    max_keys: usize,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Buckets {
    pub fn new(rate: Rate) -> Buckets {
        Buckets {
            rate,
            map: Mutex::new(HashMap::new()),
            max_keys: 100_000,
        }
    }

    /// Takes one token for `key`; when none is left, how many seconds until one is.
    pub fn take(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let Ok(mut map) = self.map.lock() else {
            // A poisoned lock means a panic elsewhere: refuse rather than count nothing.
            return Err(1);
        };
        if !map.contains_key(key) && map.len() >= self.max_keys {
            let rate = self.rate;
            map.retain(|_, b| refill(rate, b, now) < rate.burst);
            if map.len() >= self.max_keys {
                return Err(1);
            }
        }
        let b = map.entry(key.to_string()).or_insert(Bucket {
            tokens: self.rate.burst,
            at: now,
        });
        let tokens = refill(self.rate, b, now);
        if tokens >= 1.0 {
            b.tokens = tokens - 1.0;
            b.at = now;
            Ok(())
        } else {
            let per = self.rate.per_second.max(f64::MIN_POSITIVE);
            Err(((1.0 - tokens) / per).ceil().max(1.0) as u64)
        }
    }

    /// Whether `key` has a token left, without taking it.
    pub fn has(&self, key: &str) -> bool {
        let now = Instant::now();
        let Ok(map) = self.map.lock() else {
            return false;
        };
        match map.get(key) {
            None => true,
            Some(b) => {
                let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
                (b.tokens + elapsed * self.rate.per_second).min(self.rate.burst) >= 1.0
            }
        }
    }
}

fn refill(rate: Rate, b: &Bucket, now: Instant) -> f64 {
    let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
    (b.tokens + elapsed * rate.per_second).min(rate.burst)
}

/// The buckets the server keeps.
pub struct RateLimits {
    pub principal: Buckets,
    pub address: Buckets,
    pub auth_failures: Buckets,
}

impl RateLimits {
    pub fn new(l: &Limits) -> RateLimits {
        RateLimits {
            principal: Buckets::new(l.principal_rate),
            address: Buckets::new(l.address_rate),
            auth_failures: Buckets::new(l.auth_failure_rate),
        }
    }
}

pub fn limited(what: &str, retry_after: u64) -> Problem {
    Problem::too_many(
        retry_after,
        format!("too many requests from this {what}; retry after {retry_after} s"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refuses_with_a_wait() {
        let b = Buckets::new(Rate {
            per_second: 1.0,
            burst: 3.0,
        });
        for _ in 0..3 {
            assert_eq!(b.take("a"), Ok(()));
        }
        assert_eq!(b.take("a"), Err(1));
        // Another key has its own bucket.
        assert_eq!(b.take("b"), Ok(()));
    }

    #[test]
    fn a_full_map_drops_idle_keys_and_refuses_when_none_is_idle() {
        let mut b = Buckets::new(Rate {
            per_second: 0.001,
            burst: 2.0,
        });
        b.max_keys = 2;
        assert!(b.take("a").is_ok());
        assert!(b.take("b").is_ok());
        // Neither has refilled: a third key is refused, not let in uncounted.
        assert!(b.take("c").is_err());
        // The keys already counted keep working.
        assert!(b.take("a").is_ok());
    }
}
