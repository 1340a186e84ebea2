//! The rebuild rate limit: a token bucket per app instance on queries that rebuild a key.

use crate::engine::SimTime;

/// A token bucket's state: tokens held and when they were last topped up.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TokenBucket {
    tokens: f64,
    at: SimTime,
}

/// A token bucket.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Tokens added per second.
    pub rate: f64,
    /// Bucket size (tokens available after a quiet period).
    pub burst: u32,
}

impl RateLimit {
    /// Checks `rate` (rebuilds per second per instance): greater than 0 and at most 1e9.
    pub fn check_rate(rate: f64) -> Result<f64, String> {
        if !rate.is_finite() || rate <= 0.0 || rate > 1e9 {
            return Err(format!(
                "must be a number of rebuild queries per second per instance, greater than 0 and at most 1e9, got {rate}"
            ));
        }
        Ok(rate)
    }
}

impl TokenBucket {
    /// A full bucket for `limit` (empty without one: it is then never asked).
    pub fn new(limit: Option<RateLimit>) -> Self {
        TokenBucket {
            tokens: limit.map_or(0.0, |l| l.burst as f64),
            at: SimTime::ZERO,
        }
    }

    /// Tops the bucket up to `now` at `limit.rate` (at most `limit.burst` tokens) and takes one
    /// token if there is one.
    #[inline]
    pub fn take(&mut self, now: SimTime, limit: &RateLimit) -> bool {
        let elapsed = now.since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * limit.rate).min(limit.burst as f64);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_positive_and_at_most_1e9() {
        assert_eq!(RateLimit::check_rate(5.0), Ok(5.0));
        for bad in [0.0, -1.0, 2e9, f64::NAN] {
            assert!(RateLimit::check_rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_burst_then_the_rate() {
        let limit = RateLimit {
            rate: 2.0,
            burst: 3,
        };
        let mut b = TokenBucket::new(Some(limit));
        let t = |ms: u64| SimTime(ms * 1_000_000);
        assert!((0..3).all(|_| b.take(t(0), &limit)));
        assert!(!b.take(t(0), &limit));
        // Two tokens a second: one after 500 ms, none more at once.
        assert!(!b.take(t(400), &limit));
        assert!(b.take(t(500), &limit));
        assert!(!b.take(t(500), &limit));
        // A long pause refills to the burst, not beyond.
        let taken = (0..10).filter(|_| b.take(t(60_000), &limit)).count();
        assert_eq!(taken, 3);
    }
}
