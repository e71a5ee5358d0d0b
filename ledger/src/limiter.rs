//! Per-client limits on refused submissions.
//!
//! Each peer address has a token bucket of [`RefusalLimits::burst`] tokens,
//! refilled at [`RefusalLimits::per_second`]. Every refused submission (a
//! body that does not decode, a rule it breaks, a proof that does not verify)
//! takes a token; while a peer's bucket is empty, its submissions are answered
//! `429` with `Retry-After` before anything is decoded, so a client that
//! sends forgeries costs the node almost nothing. Accepted submissions take
//! no token: an honest client is never slowed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The bucket's shape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RefusalLimits {
    /// Refusals a peer may have in a burst.
    pub burst: f64,
    /// Refusals per second a peer may have in the long run.
    pub per_second: f64,
}

impl Default for RefusalLimits {
    /// 20 in a burst, 5 per second.
    fn default() -> Self {
        RefusalLimits {
            burst: 20.0,
            per_second: 5.0,
        }
    }
}

/// Peers remembered at most; full buckets are forgotten first.
pub const MAX_PEERS: usize = 65_536;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets of every peer with recent refusals.
#[derive(Debug)]
pub struct RefusalLimiter {
    limits: RefusalLimits,
    buckets: HashMap<IpAddr, Bucket>,
}

impl RefusalLimiter {
    pub fn new(limits: RefusalLimits) -> Self {
        RefusalLimiter {
            limits: RefusalLimits {
                burst: limits.burst.max(1.0),
                per_second: limits.per_second.max(f64::MIN_POSITIVE),
            },
            buckets: HashMap::new(),
        }
    }

    fn refill(&self, b: &mut Bucket, now: Instant) {
        let dt = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + dt * self.limits.per_second).min(self.limits.burst);
        b.at = now;
    }

    /// `Err(wait)` while `peer` has used up its refusals: the time until it
    /// has one again.
    pub fn check(&mut self, peer: IpAddr, now: Instant) -> Result<(), Duration> {
        let Some(mut b) = self.buckets.get(&peer).copied() else {
            return Ok(());
        };
        self.refill(&mut b, now);
        self.buckets.insert(peer, b);
        if b.tokens >= 1.0 {
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - b.tokens) / self.limits.per_second,
            ))
        }
    }

    /// Takes a token from `peer` for a refused submission.
    pub fn refused(&mut self, peer: IpAddr, now: Instant) {
        if self.buckets.len() >= MAX_PEERS && !self.buckets.contains_key(&peer) {
            self.forget_full(now);
        }
        let burst = self.limits.burst;
        let mut b = self.buckets.get(&peer).copied().unwrap_or(Bucket {
            tokens: burst,
            at: now,
        });
        self.refill(&mut b, now);
        b.tokens = (b.tokens - 1.0).max(0.0);
        self.buckets.insert(peer, b);
    }

    /// Drops the buckets that have refilled (they behave as absent ones), or,
    /// if none has, the fullest half.
    fn forget_full(&mut self, now: Instant) {
        let limits = self.limits;
        let level = |b: &Bucket| {
            let dt = now.saturating_duration_since(b.at).as_secs_f64();
            (b.tokens + dt * limits.per_second).min(limits.burst)
        };
        self.buckets.retain(|_, b| level(b) < limits.burst);
        if self.buckets.len() >= MAX_PEERS {
            let mut levels: Vec<f64> = self.buckets.values().map(level).collect();
            levels.sort_by(|a, b| a.total_cmp(b));
            let median = levels[levels.len() / 2];
            self.buckets.retain(|_, b| level(b) < median);
        }
    }

    /// Peers with a bucket.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_is_limited_after_its_burst_and_recovers() {
        let mut l = RefusalLimiter::new(RefusalLimits {
            burst: 3.0,
            per_second: 2.0,
        });
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let t = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.check(a, t), Ok(()));
            l.refused(a, t);
        }
        let wait = l.check(a, t).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        // Another peer is not affected.
        assert_eq!(l.check(b, t), Ok(()));
        // Half a second later one refusal is allowed again, and only one.
        let t2 = t + Duration::from_millis(500);
        assert_eq!(l.check(a, t2), Ok(()));
        l.refused(a, t2);
        assert!(l.check(a, t2).is_err());
    }

    #[test]
    fn the_peer_table_stays_bounded() {
        let mut l = RefusalLimiter::new(RefusalLimits::default());
        let t = Instant::now();
        for i in 0..(MAX_PEERS as u32 + 10) {
            l.refused(IpAddr::from(i.to_be_bytes()), t);
        }
        assert!(l.len() <= MAX_PEERS, "{}", l.len());
    }
}
