//! What a cache answer means for a read: the composition of the stages that look at an entry
//! (early expiration, refresh-ahead, stale-while-revalidate).

use super::stale_while_revalidate::serves_stale;
use crate::engine::{SimDuration, SimTime};
use crate::model::config::{CacheConfig, EarlyExpiration, MitigationsConfig, RefreshAhead};

/// Result of a cache read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A fresh entry.
    Hit {
        /// When it expires.
        expires: SimTime,
        /// How long its value took to compute.
        delta: SimDuration,
    },
    /// An entry whose TTL has passed, still held (stale).
    Expired {
        /// When it expired.
        expired_at: SimTime,
    },
    /// No entry.
    Absent,
}

/// What to do with a cache answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Serve the fresh value; `refresh`: also start a background refresh (refresh-ahead).
    Serve {
        /// Whether to refresh in the background.
        refresh: bool,
    },
    /// Serve the expired value and refresh it in the background (stale-while-revalidate).
    ServeStale,
    /// Recompute the value now, before it expires (XFetch); counts as a miss.
    RecomputeEarly,
    /// Nothing to serve: the miss path (coalescing, lock, rate limit) decides how to rebuild.
    Miss,
}

/// The entry-level stages a strategy switched on.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ReadStages {
    early: Option<EarlyExpiration>,
    ahead: Option<RefreshAhead>,
    ttl: SimDuration,
    max_stale: Option<SimDuration>,
}

impl ReadStages {
    /// The stages of `mitigations`, for a cache configured as `cache`.
    pub fn new(mitigations: &MitigationsConfig, cache: Option<&CacheConfig>) -> Self {
        ReadStages {
            early: mitigations.early_expiration,
            ahead: mitigations.refresh_ahead,
            ttl: cache.map(|c| c.ttl).unwrap_or_default(),
            max_stale: mitigations.stale_while_revalidate,
        }
    }

    /// Whether a decision reads a hit's compute time (`delta`): only early expiration does.
    #[inline]
    pub fn reads_delta(&self) -> bool {
        self.early.is_some()
    }

    /// Decides what `lookup` at `now` means. `draw` gives a uniform number in (0, 1] for early
    /// expiration; it is called once for every fresh hit when early expiration is on, and
    /// never otherwise.
    #[inline]
    pub fn decide(&self, lookup: Lookup, now: SimTime, draw: impl FnOnce() -> f64) -> Decision {
        match lookup {
            Lookup::Hit { expires, delta } => {
                if let Some(x) = self.early {
                    if x.recomputes(now, expires, delta, draw()) {
                        return Decision::RecomputeEarly;
                    }
                }
                Decision::Serve {
                    refresh: self
                        .ahead
                        .is_some_and(|r| r.refreshes(now, expires, self.ttl)),
                }
            }
            Lookup::Expired { expired_at } if serves_stale(self.max_stale, now, expired_at) => {
                Decision::ServeStale
            }
            Lookup::Expired { .. } | Lookup::Absent => Decision::Miss,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stages(m: MitigationsConfig) -> ReadStages {
        ReadStages {
            ttl: SimDuration::from_secs(10),
            ..ReadStages::new(&m, None)
        }
    }

    const HIT: Lookup = Lookup::Hit {
        expires: SimTime(10_000_000_000),
        delta: SimDuration(100_000_000),
    };

    #[test]
    fn without_stages_a_hit_is_served_and_anything_else_misses() {
        let s = stages(MitigationsConfig::default());
        let now = SimTime(9_999_000_000);
        let no_draw = || -> f64 { panic!("no early expiration, no draw") };
        assert_eq!(
            s.decide(HIT, now, no_draw),
            Decision::Serve { refresh: false }
        );
        let expired = Lookup::Expired {
            expired_at: SimTime(1),
        };
        assert_eq!(s.decide(expired, now, no_draw), Decision::Miss);
        assert_eq!(s.decide(Lookup::Absent, now, no_draw), Decision::Miss);
    }

    #[test]
    fn each_stage_changes_its_own_case() {
        let now = SimTime(9_950_000_000);
        let early = stages(MitigationsConfig {
            early_expiration: Some(EarlyExpiration { beta: 1.0 }),
            ..MitigationsConfig::default()
        });
        // 50 ms before expiry with delta 100 ms: u = 0.1 gives a lead of 230 ms.
        assert_eq!(early.decide(HIT, now, || 0.1), Decision::RecomputeEarly);
        assert_eq!(
            early.decide(HIT, now, || 0.9),
            Decision::Serve { refresh: false }
        );
        let ahead = stages(MitigationsConfig {
            refresh_ahead: Some(RefreshAhead { fraction: 0.1 }),
            ..MitigationsConfig::default()
        });
        assert_eq!(
            ahead.decide(HIT, now, || 1.0),
            Decision::Serve { refresh: true }
        );
        assert_eq!(
            ahead.decide(HIT, SimTime(1), || 1.0),
            Decision::Serve { refresh: false }
        );
        let swr = stages(MitigationsConfig {
            stale_while_revalidate: Some(SimDuration::from_secs(5)),
            ..MitigationsConfig::default()
        });
        let expired = |ago_s: u64| Lookup::Expired {
            expired_at: SimTime(20_000_000_000 - ago_s * 1_000_000_000),
        };
        let at = SimTime(20_000_000_000);
        assert_eq!(swr.decide(expired(4), at, || 1.0), Decision::ServeStale);
        assert_eq!(swr.decide(expired(6), at, || 1.0), Decision::Miss);
    }
}
