//! Refresh-ahead: a read that finds little of the TTL left refreshes the value in the
//! background and is served the current one.

use crate::engine::{SimDuration, SimTime};
pub use crate::model::config::RefreshAhead;

impl RefreshAhead {
    /// Whether a read at `now` of a fresh value expiring at `expires`, written with `ttl`,
    /// starts a background refresh: when less than `fraction` of the TTL is left.
    #[inline]
    pub fn refreshes(&self, now: SimTime, expires: SimTime, ttl: SimDuration) -> bool {
        let left = expires.since(now).as_secs_f64();
        left < self.fraction * ttl.as_secs_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refreshes_in_the_last_fraction_of_the_ttl() {
        let r = RefreshAhead { fraction: 0.1 };
        let ttl = SimDuration::from_secs(60);
        let expires = SimTime(60_000_000_000);
        assert!(!r.refreshes(SimTime(53_000_000_000), expires, ttl));
        assert!(r.refreshes(SimTime(54_000_000_001), expires, ttl));
        assert!(r.refreshes(SimTime(59_999_999_999), expires, ttl));
    }
}
