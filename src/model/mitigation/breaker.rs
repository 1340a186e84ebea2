//! A circuit breaker on cache calls, one per app instance and cache node: it opens after
//! `failures` failed calls within a `window`, rejects calls at once while open, lets `probes`
//! calls through after `cool_down` (half-open), and closes when they all succeed; a failed
//! probe opens it again.

use crate::engine::{SimDuration, SimTime};
use crate::observe::BreakerState;

/// Circuit breaker settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Failed calls within `window` that open the breaker.
    pub failures: u32,
    /// Length of the window failures are counted in (a fixed window, restarted by the first
    /// failure after it ends).
    pub window: SimDuration,
    /// Time the breaker stays open before letting probes through.
    pub cool_down: SimDuration,
    /// Successful probes that close it again.
    pub probes: u32,
}

/// A circuit breaker per app instance on its database reads: it counts as failed a query
/// rejected, timed out in the queue or failed with an error, and one answered later than
/// `slow` (if set) after it was sent; while open, reads that need the database fail at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DbBreakerConfig {
    /// When it opens, how long it stays open, how it closes.
    pub breaker: BreakerConfig,
    /// Answers slower than this count as failures (`None`: only errors do).
    pub slow: Option<SimDuration>,
}

impl DbBreakerConfig {
    /// Whether a query answered after `took` counts as a success.
    #[inline]
    pub fn answered_in_time(&self, took: SimDuration) -> bool {
        self.slow.is_none_or(|s| took <= s)
    }
}

/// One breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Breaker {
    state: BreakerState,
    /// Closed: start of the counting window and failures in it. Open: when it opened.
    since: SimTime,
    failures: u32,
    /// Half-open: probes let through, and how many succeeded.
    probes_sent: u32,
    probes_ok: u32,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            state: BreakerState::Closed,
            since: SimTime::ZERO,
            failures: 0,
            probes_sent: 0,
            probes_ok: 0,
        }
    }
}

/// A change of state, for observation.
pub type Transition = Option<BreakerState>;

impl Breaker {
    /// The state as last changed (an open breaker stays open until a call is allowed).
    pub fn stored_state(&self) -> BreakerState {
        self.state
    }

    /// The state at `now` (an open breaker whose cool-down has passed is half-open).
    pub fn state(&self, config: &BreakerConfig, now: SimTime) -> BreakerState {
        if self.state == BreakerState::Open && now.since(self.since) >= config.cool_down {
            BreakerState::HalfOpen
        } else {
            self.state
        }
    }

    /// Whether a call at `now` may go through; returns it with the state change it made (an
    /// open breaker turning half-open).
    pub fn allow(&mut self, config: &BreakerConfig, now: SimTime) -> (bool, Transition) {
        match self.state {
            BreakerState::Closed => (true, None),
            BreakerState::Open => {
                if now.since(self.since) < config.cool_down {
                    return (false, None);
                }
                self.state = BreakerState::HalfOpen;
                self.probes_sent = 1;
                self.probes_ok = 0;
                (true, Some(BreakerState::HalfOpen))
            }
            BreakerState::HalfOpen => {
                if self.probes_sent < config.probes {
                    self.probes_sent += 1;
                    (true, None)
                } else {
                    (false, None)
                }
            }
        }
    }

    /// A call let through at some point succeeded (`ok`) or failed, learnt at `now`; returns
    /// the state change it made.
    pub fn record(&mut self, config: &BreakerConfig, now: SimTime, ok: bool) -> Transition {
        match self.state {
            BreakerState::Closed => {
                if ok {
                    return None;
                }
                if self.failures == 0 || now.since(self.since) > config.window {
                    self.since = now;
                    self.failures = 0;
                }
                self.failures += 1;
                if self.failures >= config.failures {
                    self.open(now);
                    Some(BreakerState::Open)
                } else {
                    None
                }
            }
            // A call made before the breaker opened: it changes nothing.
            BreakerState::Open => None,
            BreakerState::HalfOpen => {
                if !ok {
                    self.open(now);
                    return Some(BreakerState::Open);
                }
                self.probes_ok += 1;
                if self.probes_ok >= config.probes {
                    *self = Breaker::default();
                    Some(BreakerState::Closed)
                } else {
                    None
                }
            }
        }
    }

    fn open(&mut self, now: SimTime) {
        self.state = BreakerState::Open;
        self.since = now;
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> BreakerConfig {
        BreakerConfig {
            failures: 3,
            window: SimDuration::from_secs(1),
            cool_down: SimDuration::from_secs(5),
            probes: 2,
        }
    }

    fn ms(n: u64) -> SimTime {
        SimTime(n * 1_000_000)
    }

    #[test]
    fn opens_after_the_failures_in_a_window_half_opens_after_the_cool_down_and_closes() {
        let c = config();
        let mut b = Breaker::default();
        assert_eq!(b.record(&c, ms(0), false), None);
        assert_eq!(b.record(&c, ms(500), false), None);
        assert_eq!(
            b.record(&c, ms(900), true),
            None,
            "a success does not reset"
        );
        assert_eq!(b.record(&c, ms(1000), false), Some(BreakerState::Open));
        assert_eq!(b.state(&c, ms(1000)), BreakerState::Open);
        assert_eq!(b.allow(&c, ms(5999)), (false, None));
        assert_eq!(b.state(&c, ms(6000)), BreakerState::HalfOpen);
        assert_eq!(b.allow(&c, ms(6000)), (true, Some(BreakerState::HalfOpen)));
        assert_eq!(b.allow(&c, ms(6001)), (true, None), "second probe");
        assert_eq!(b.allow(&c, ms(6002)), (false, None), "only two probes");
        assert_eq!(b.record(&c, ms(6010), true), None);
        assert_eq!(b.record(&c, ms(6011), true), Some(BreakerState::Closed));
        assert_eq!(b.allow(&c, ms(6012)), (true, None));
    }

    #[test]
    fn failures_spread_over_more_than_a_window_do_not_open_it() {
        let c = config();
        let mut b = Breaker::default();
        for t in [0, 800, 1900, 2700, 3800] {
            assert_eq!(b.record(&c, ms(t), false), None, "at {t} ms");
        }
        assert_eq!(b.state(&c, ms(4000)), BreakerState::Closed);
    }

    #[test]
    fn a_failed_probe_opens_it_again_for_a_whole_cool_down() {
        let c = config();
        let mut b = Breaker::default();
        for t in [0, 1, 2] {
            b.record(&c, ms(t), false);
        }
        assert_eq!(b.allow(&c, ms(5002)), (true, Some(BreakerState::HalfOpen)));
        assert_eq!(b.record(&c, ms(5003), false), Some(BreakerState::Open));
        assert_eq!(b.allow(&c, ms(10002)), (false, None));
        assert!(b.allow(&c, ms(10003)).0);
    }
}
