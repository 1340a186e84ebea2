//! Client-side adaptive throttling (Google's SRE book, "Handling Overload"): the clients keep,
//! over a sliding window, how many attempts they made (`requests`, those they rejected
//! themselves included) and how many the service accepted (`accepts`), and reject a new
//! attempt locally with probability max(0, (requests − k·accepts) / (requests + 1)). While
//! the service accepts nearly everything nothing is rejected; once it accepts less than one
//! attempt in `k`, the clients send about `k` times what it accepts and fail the rest at once,
//! so an overloaded service is not buried under retries.

use crate::engine::{SimDuration, SimTime};

/// Adaptive throttling settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ThrottleConfig {
    /// How many times the accepted attempts the clients may send (the book's K; 2 by default).
    pub k: f64,
    /// Length of the sliding window counts are kept over.
    pub window: SimDuration,
}

/// Sub-windows the sliding window is kept in: counts leave it a tenth of a window at a time.
const SLOTS: usize = 10;

/// The clients' counts over the sliding window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Throttle {
    /// Per sub-window: attempts made and attempts accepted.
    requests: [u64; SLOTS],
    accepts: [u64; SLOTS],
    /// Index (since time zero) of the newest sub-window counted in.
    newest: u64,
}

impl Throttle {
    /// Moves the window to `now`: sub-windows that ended a window ago are forgotten.
    fn advance(&mut self, config: &ThrottleConfig, now: SimTime) -> usize {
        let width = (config.window.0 / SLOTS as u64).max(1);
        let index = now.0 / width;
        if index > self.newest {
            let stale = (index - self.newest).min(SLOTS as u64);
            for i in 1..=stale {
                let slot = ((self.newest + i) % SLOTS as u64) as usize;
                self.requests[slot] = 0;
                self.accepts[slot] = 0;
            }
            self.newest = index;
        }
        (self.newest % SLOTS as u64) as usize
    }

    /// The probability that an attempt made at `now` is rejected locally.
    pub fn reject_probability(&mut self, config: &ThrottleConfig, now: SimTime) -> f64 {
        self.advance(config, now);
        let requests: u64 = self.requests.iter().sum();
        let accepts: u64 = self.accepts.iter().sum();
        ((requests as f64 - config.k * accepts as f64) / (requests as f64 + 1.0)).max(0.0)
    }

    /// Decides an attempt at `now` with the uniform draw `u` in [0, 1): `true` to send it,
    /// `false` to reject it locally. Either way it counts as a request.
    pub fn admit(&mut self, config: &ThrottleConfig, now: SimTime, u: f64) -> bool {
        let p = self.reject_probability(config, now);
        let slot = self.advance(config, now);
        self.requests[slot] += 1;
        u >= p
    }

    /// An attempt was accepted (answered successfully) at `now`.
    pub fn accepted(&mut self, config: &ThrottleConfig, now: SimTime) {
        let slot = self.advance(config, now);
        self.accepts[slot] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ThrottleConfig {
        ThrottleConfig {
            k: 2.0,
            window: SimDuration::from_secs(10),
        }
    }

    fn ms(t: u64) -> SimTime {
        SimTime(t * 1_000_000)
    }

    #[test]
    fn nothing_is_rejected_while_the_service_accepts_at_least_one_in_k() {
        let (c, mut t) = (config(), Throttle::default());
        for i in 0..1000 {
            assert!(t.admit(&c, ms(i), 0.0), "attempt {i} rejected");
            // Every other attempt accepted: exactly one in k.
            if i % 2 == 0 {
                t.accepted(&c, ms(i));
            }
        }
        assert_eq!(t.reject_probability(&c, ms(1000)), 0.0);
    }

    #[test]
    fn the_book_formula_once_the_service_accepts_less() {
        let (c, mut t) = (config(), Throttle::default());
        for i in 0..100 {
            t.admit(&c, ms(i), 0.99);
        }
        for i in 0..20 {
            t.accepted(&c, ms(100 + i));
        }
        // (100 - 2 * 20) / (100 + 1)
        let p = t.reject_probability(&c, ms(200));
        assert!((p - 60.0 / 101.0).abs() < 1e-12, "{p}");
        // A draw below p is rejected, one at or above it sent; both count as requests.
        assert!(!t.admit(&c, ms(200), p - 1e-9));
        let p = t.reject_probability(&c, ms(200));
        assert!((p - 61.0 / 102.0).abs() < 1e-12, "{p}");
        assert!(t.admit(&c, ms(200), p));
        let p = t.reject_probability(&c, ms(200));
        assert!((p - 62.0 / 103.0).abs() < 1e-12, "{p}");
    }

    #[test]
    fn counts_leave_the_window_after_it_has_passed() {
        let (c, mut t) = (config(), Throttle::default());
        for i in 0..50 {
            t.admit(&c, ms(i), 0.99);
        }
        assert!(t.reject_probability(&c, ms(5_000)) > 0.9);
        // Half a window later the counts are still there; a whole window later they are gone.
        assert!(t.reject_probability(&c, ms(9_900)) > 0.9);
        assert_eq!(t.reject_probability(&c, ms(11_000)), 0.0);
        // Long idle gaps forget everything too.
        for i in 0..50 {
            t.admit(&c, ms(20_000 + i), 0.99);
        }
        assert_eq!(t.reject_probability(&c, ms(1_000_000)), 0.0);
    }

    #[test]
    fn under_a_dead_service_about_k_accepted_sends_per_accept_hold_in_steady_state() {
        // The service accepts a fixed 100 attempts per second; clients offer 1,000 per second.
        let (c, mut t) = (config(), Throttle::default());
        let mut rng = crate::engine::RandomStreams::new(7).stream(0);
        let (mut sent, mut offered) = (0u64, 0u64);
        for i in 0..60_000u64 {
            let now = ms(i);
            if i % 10 == 0 {
                t.accepted(&c, now);
            }
            let u: f64 = rand::Rng::random(&mut rng);
            if t.admit(&c, now, u) && i >= 30_000 {
                sent += 1;
            }
            if i >= 30_000 {
                offered += 1;
            }
        }
        // Every offered attempt counts as a request: p = (1,000 - 2 × 100) / 1,001 per second
        // of window, so the clients send about k times what is accepted (200/s of 1,000/s).
        let share = sent as f64 / offered as f64;
        assert!((share - 0.2).abs() < 0.03, "{share}");
    }
}
