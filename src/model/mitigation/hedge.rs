//! Hedged cache reads: when a read has not been answered `after` it was sent, the app sends a
//! second one (to another replica of a replicated key, or the same node over another
//! connection) and takes the first answer. A budget caps hedges at a share of reads: each read
//! earns `max_share` of a token, a hedge spends one, at most `burst` are saved.
//!
//! Both reads' outcomes are known when the first is sent (the model draws them up front), so a
//! hedged read is one answer at the earlier success, not two racing events.

use crate::engine::{SimDuration, SimTime};

/// Hedging settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HedgeConfig {
    /// Time after which an unanswered read is hedged.
    pub after: SimDuration,
    /// Most hedges per read over a long run.
    pub max_share: f64,
    /// Hedges the budget can save for a burst.
    pub burst: f64,
}

impl HedgeConfig {
    /// Checks `max_share`: above 0 and at most 1.
    pub fn check_share(share: f64) -> Result<f64, String> {
        if !share.is_finite() || share <= 0.0 || share > 1.0 {
            return Err(format!(
                "must be a share of reads above 0 and at most 1 (0.05: at most one hedge per 20 reads), got {share}"
            ));
        }
        Ok(share)
    }
}

/// The hedge budget's tokens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HedgeBudget {
    tokens: f64,
}

impl HedgeBudget {
    /// A full budget.
    pub fn new(config: &HedgeConfig) -> Self {
        HedgeBudget {
            tokens: config.burst,
        }
    }

    /// A read was sent: it earns its share.
    #[inline]
    pub fn earn(&mut self, config: &HedgeConfig) {
        self.tokens = (self.tokens + config.max_share).min(config.burst);
    }

    /// Takes a token for a hedge, if there is one.
    #[inline]
    pub fn spend(&mut self) -> bool {
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// One read's outcome: when the app learns it, and whether it was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// When the answer (or the failure) reaches the app.
    pub at: SimTime,
    /// Answered (`true`) or failed.
    pub ok: bool,
}

/// Whether the app hedges a read sent at `sent` whose own outcome is `first`: it has not
/// been answered by `sent + after` (a failure learnt earlier is handled as a failure).
#[inline]
pub fn wants_hedge(first: Outcome, sent: SimTime, after: SimDuration) -> bool {
    first.at > sent + after
}

/// Which outcome the app acts on for a read hedged with `second`: the earlier answer, or if
/// neither is answered, the later failure (it waits for both). Returns the outcome and whether
/// it is the hedge's.
#[inline]
pub fn combine(first: Outcome, second: Outcome) -> (Outcome, bool) {
    match (first.ok, second.ok) {
        (true, true) => {
            if second.at < first.at {
                (second, true)
            } else {
                (first, false)
            }
        }
        (true, false) => (first, false),
        (false, true) => (second, true),
        (false, false) => {
            if second.at > first.at {
                (second, true)
            } else {
                (first, false)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(ms: u64, ok: bool) -> Outcome {
        Outcome {
            at: SimTime(ms * 1_000_000),
            ok,
        }
    }

    #[test]
    fn the_first_answer_wins_and_a_failure_waits_for_the_other() {
        assert_eq!(combine(o(30, true), o(12, true)), (o(12, true), true));
        assert_eq!(combine(o(10, true), o(12, true)), (o(10, true), false));
        assert_eq!(combine(o(50, false), o(12, true)), (o(12, true), true));
        assert_eq!(combine(o(9, true), o(12, false)), (o(9, true), false));
        assert_eq!(combine(o(50, false), o(60, false)), (o(60, false), true));
        let after = SimDuration::from_millis(5);
        assert!(wants_hedge(o(6, true), SimTime::ZERO, after));
        assert!(!wants_hedge(o(5, true), SimTime::ZERO, after));
    }

    #[test]
    fn the_budget_allows_its_share_and_its_burst() {
        let c = HedgeConfig {
            after: SimDuration::from_millis(5),
            max_share: 0.1,
            burst: 2.0,
        };
        let mut b = HedgeBudget::new(&c);
        assert!(b.spend() && b.spend() && !b.spend(), "the burst");
        let mut hedges = 0;
        for _ in 0..1000 {
            b.earn(&c);
            if b.spend() {
                hedges += 1;
            }
        }
        // A tenth of reads (0.1 is not exact in binary: the hundredth token may be a hair short).
        assert!((99..=100).contains(&hedges), "a tenth of reads: {hedges}");
        assert!(HedgeConfig::check_share(0.0).is_err() && HedgeConfig::check_share(1.5).is_err());
    }
}
