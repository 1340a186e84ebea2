//! Refresh-ahead: a read that finds little of the TTL left refreshes the value in the
//! background and is served the current one.

use crate::engine::{SimDuration, SimTime};

/// Refresh-ahead: a read finding less than `fraction` of the TTL left starts one background
/// refresh and is served the current value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RefreshAhead {
    /// Fraction of the TTL, in (0, 1).
    pub fraction: f64,
}

impl RefreshAhead {
    /// Checks `fraction`: greater than 0 and less than 1; says what is allowed otherwise.
    pub fn new(fraction: f64) -> Result<Self, String> {
        if !fraction.is_finite() || fraction <= 0.0 || fraction > 1.0 {
            return Err(format!(
                "must be a fraction greater than 0 and at most 1 (of the TTL left that triggers a refresh), got {fraction}"
            ));
        }
        if fraction >= 1.0 {
            return Err("must be less than 1 (1 would refresh on every read)".into());
        }
        Ok(RefreshAhead { fraction })
    }
}

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
    fn the_fraction_is_strictly_between_0_and_1() {
        assert!(RefreshAhead::new(0.2).is_ok());
        for bad in [0.0, 1.0, 1.5, -0.1, f64::NAN] {
            assert!(RefreshAhead::new(bad).is_err(), "{bad}");
        }
        assert!(RefreshAhead::new(1.0).unwrap_err().contains("less than 1"));
    }

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
