//! Stale-while-revalidate: an entry expired less than `max_stale` ago is served while one
//! background refresh runs.

use crate::engine::{SimDuration, SimTime};

/// Whether a value that expired at `expired_at` may still be served at `now`, with
/// stale-while-revalidate allowing `max_stale` (`None`: not configured).
#[inline]
pub fn serves_stale(max_stale: Option<SimDuration>, now: SimTime, expired_at: SimTime) -> bool {
    max_stale.is_some_and(|max| now.since(expired_at) < max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_only_within_max_stale_and_only_when_configured() {
        let max = Some(SimDuration::from_secs(5));
        let expired = SimTime(10_000_000_000);
        assert!(serves_stale(max, SimTime(14_999_999_999), expired));
        assert!(!serves_stale(max, SimTime(15_000_000_000), expired));
        assert!(!serves_stale(None, expired, expired));
    }
}
