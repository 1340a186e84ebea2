//! TTL jitter: each entry's TTL is drawn uniformly in ttl·(1 ± jitter), so keys written together
//! do not expire together.

use crate::engine::{SimDuration, SimTime};

/// When an entry written at `now` with `ttl` expires, with `jitter` (a fraction of the TTL)
/// and `u` uniform in [-1, 1) (ignored, and not to be drawn, when `jitter` is 0).
#[inline]
pub fn expiry(now: SimTime, ttl: SimDuration, jitter: f64, u: f64) -> SimTime {
    if jitter == 0.0 {
        now + ttl
    } else {
        now + SimDuration::from_secs_f64(ttl.as_secs_f64() * (1.0 + jitter * u))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_spreads_over_ttl_plus_or_minus_jitter() {
        let ttl = SimDuration::from_secs(100);
        let t0 = SimTime(1_000_000_000);
        assert_eq!(expiry(t0, ttl, 0.0, 0.7), SimTime(101_000_000_000));
        assert_eq!(expiry(t0, ttl, 0.2, -1.0), SimTime(81_000_000_000));
        assert_eq!(expiry(t0, ttl, 0.2, 0.5), SimTime(111_000_000_000));
    }
}
