//! XFetch, probabilistic early expiration (Vattani, Chierichetti and Lowenstein, VLDB 2015): a
//! read recomputes a value before it expires with a probability that grows as expiry nears and
//! with the time the value took to compute.

use crate::engine::{SimDuration, SimTime};

/// XFetch, after Vattani, Chierichetti and Lowenstein (VLDB 2015): a read recomputes early when
/// `now - delta * beta * ln(U) >= expiry`, with `delta` the last recompute time and U in (0, 1].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EarlyExpiration {
    /// Eagerness; 1 is the paper's optimum, larger recomputes earlier.
    pub beta: f64,
}

impl EarlyExpiration {
    /// Checks `beta`: greater than 0 and at most 100; says what is allowed otherwise.
    pub fn new(beta: f64) -> Result<Self, String> {
        if !beta.is_finite() || beta <= 0.0 || beta > 100.0 {
            return Err(format!(
                "must be a number greater than 0 and at most 100 (1 is the paper's optimum), got {beta}"
            ));
        }
        Ok(EarlyExpiration { beta })
    }
}

impl EarlyExpiration {
    /// Whether a read at `now` of a value expiring at `expires`, whose last computation took
    /// `delta`, recomputes it now: when `now - delta * beta * ln(u) >= expires`, with `u`
    /// uniform in (0, 1]. A value of unknown compute time (`delta` 0) never does.
    #[inline]
    pub fn recomputes(&self, now: SimTime, expires: SimTime, delta: SimDuration, u: f64) -> bool {
        let lead = delta.as_secs_f64() * self.beta * -u.ln();
        delta.0 > 0 && now.as_secs_f64() + lead >= expires.as_secs_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: EarlyExpiration = EarlyExpiration { beta: 1.0 };

    #[test]
    fn the_lead_is_delta_times_beta_times_minus_ln_u() {
        let delta = SimDuration::from_millis(100);
        let expires = SimTime(10_000_000_000);
        // u = e^-1: the lead is exactly delta (100 ms).
        let u = (-1.0f64).exp();
        assert!(X.recomputes(SimTime(9_900_000_001), expires, delta, u));
        assert!(!X.recomputes(SimTime(9_899_000_000), expires, delta, u));
        // Twice as eager with beta 2.
        let x2 = EarlyExpiration { beta: 2.0 };
        assert!(x2.recomputes(SimTime(9_800_000_001), expires, delta, u));
        // u = 1: no lead at all, only at expiry.
        assert!(!X.recomputes(SimTime(9_999_999_999), expires, delta, 1.0));
        assert!(X.recomputes(expires, expires, delta, 1.0));
    }

    #[test]
    fn beta_must_be_positive_and_at_most_100() {
        assert_eq!(EarlyExpiration::new(1.0), Ok(X));
        for bad in [0.0, -1.0, 100.5, f64::NAN, f64::INFINITY] {
            assert!(EarlyExpiration::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_unknown_compute_time_never_recomputes() {
        let t = SimTime(5);
        assert!(!X.recomputes(t, t, SimDuration::ZERO, 1e-300));
    }
}
