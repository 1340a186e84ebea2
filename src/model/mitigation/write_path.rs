//! Write paths: what a write does to the cache around its database commit. TTL only (nothing:
//! the old value lives until it expires), delete after commit (cache-aside), delete before
//! commit (the wrong order), write-through (set the new value after the commit), and
//! invalidation events (change data capture or pub/sub: a delete delivered after a lag, or
//! lost), and write-back (the cache takes the write; a flusher commits it later, and what it
//! has not committed yet is lost with the cache node). Any deleting path can be followed by a
//! second, delayed delete ("double delete").

use crate::engine::SimDuration;
use crate::model::distribution::Distribution;

/// How a strategy's writes reach the cache.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WritePath {
    /// Nothing: cached values live until their TTL.
    TtlOnly,
    /// Commit, then delete the key (cache-aside).
    DeleteAfterCommit,
    /// Delete the key, then commit: a reader in between caches the old value again.
    DeleteBeforeCommit,
    /// Commit, then set the new value.
    WriteThrough,
    /// Commit; a change event deletes the key after `lag`, unless lost (probability `loss`).
    Events {
        /// Delivery lag of an invalidation event.
        lag: Distribution,
        /// Probability that an event is never delivered.
        loss: f64,
    },
    /// The cache takes the write; every `interval` a flusher commits the keys written since
    /// (at most `batch` of them, oldest first, each once for all its writes).
    WriteBack {
        /// Time between two flushes.
        interval: SimDuration,
        /// Most keys one flush commits (`None`: all).
        batch: Option<u32>,
    },
}

/// What a write does before its commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeforeCommit {
    /// Go to the database at once.
    Commit,
    /// Delete the key first, and commit once the delete is done.
    DeleteFirst,
    /// Set the value in the cache; a flusher commits it later.
    CacheFirst,
}

/// What a write does to the cache once committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterCommit {
    /// Nothing.
    Nothing,
    /// Delete the key, `after` the commit (plus the cache operation's own latency).
    Delete {
        /// Delay before the delete is sent (an event's delivery lag; zero for the writer's own).
        after: SimDuration,
    },
    /// Set the committed value (write-through).
    Set,
    /// An invalidation event was sent and lost.
    Lost,
}

impl WritePath {
    /// What a write does before its commit; `bypass`: it skips the cache entirely.
    #[inline]
    pub fn before_commit(&self, bypass: bool) -> BeforeCommit {
        match self {
            WritePath::DeleteBeforeCommit if !bypass => BeforeCommit::DeleteFirst,
            WritePath::WriteBack { .. } if !bypass => BeforeCommit::CacheFirst,
            _ => BeforeCommit::Commit,
        }
    }

    /// What a committed write does to the cache. `loss_draw` (uniform in [0, 1)) and `lag` (a
    /// draw of the event lag) are made by the caller for every write of an event path, lost
    /// or not, so the draws of one write never depend on another's fate.
    #[inline]
    pub fn after_commit(&self, bypass: bool, loss_draw: f64, lag: SimDuration) -> AfterCommit {
        if bypass {
            return AfterCommit::Nothing;
        }
        match *self {
            WritePath::TtlOnly | WritePath::DeleteBeforeCommit | WritePath::WriteBack { .. } => {
                AfterCommit::Nothing
            }
            WritePath::DeleteAfterCommit => AfterCommit::Delete {
                after: SimDuration::ZERO,
            },
            WritePath::WriteThrough => AfterCommit::Set,
            WritePath::Events { loss, .. } => {
                if loss_draw < loss {
                    AfterCommit::Lost
                } else {
                    AfterCommit::Delete { after: lag }
                }
            }
        }
    }

    /// Whether this path deletes keys, so a double delete applies to it.
    #[inline]
    pub fn deletes(&self) -> bool {
        !matches!(
            self,
            WritePath::TtlOnly | WritePath::WriteThrough | WritePath::WriteBack { .. }
        )
    }

    /// The event lag to draw for each write, on event paths.
    #[inline]
    pub fn event_lag(&self) -> Option<&Distribution> {
        match self {
            WritePath::Events { lag, .. } => Some(lag),
            _ => None,
        }
    }

    /// Name in scenario files.
    pub fn name(&self) -> &'static str {
        match self {
            WritePath::TtlOnly => "ttl_only",
            WritePath::DeleteAfterCommit => "delete",
            WritePath::DeleteBeforeCommit => "delete_before_commit",
            WritePath::WriteThrough => "write_through",
            WritePath::Events { .. } => "events",
            WritePath::WriteBack { .. } => "write_back",
        }
    }
}

/// Checks an event loss probability: from 0 to 1.
pub fn check_loss(loss: f64) -> Result<f64, String> {
    if loss.is_finite() && (0.0..=1.0).contains(&loss) {
        Ok(loss)
    } else {
        Err(format!(
            "must be a probability from 0 to 1 (0.01: one event in a hundred is lost), got {loss}"
        ))
    }
}

/// Checks a bypass share: from 0 to 1.
pub fn check_bypass(share: f64) -> Result<f64, String> {
    if share.is_finite() && (0.0..=1.0).contains(&share) {
        Ok(share)
    } else {
        Err(format!(
            "must be a share of writes from 0 to 1 (0.05: one write in twenty skips invalidation), got {share}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAG: SimDuration = SimDuration::from_millis(200);

    fn events(loss: f64) -> WritePath {
        WritePath::Events {
            lag: Distribution::Constant(LAG),
            loss,
        }
    }

    #[test]
    fn each_path_does_its_own_thing_around_the_commit() {
        let zero = SimDuration::ZERO;
        assert_eq!(
            WritePath::TtlOnly.after_commit(false, 0.5, zero),
            AfterCommit::Nothing
        );
        assert_eq!(
            WritePath::DeleteAfterCommit.after_commit(false, 0.5, zero),
            AfterCommit::Delete { after: zero }
        );
        assert_eq!(
            WritePath::WriteThrough.after_commit(false, 0.5, zero),
            AfterCommit::Set
        );
        assert_eq!(
            WritePath::DeleteBeforeCommit.before_commit(false),
            BeforeCommit::DeleteFirst
        );
        assert_eq!(
            WritePath::DeleteBeforeCommit.after_commit(false, 0.5, zero),
            AfterCommit::Nothing
        );
        for p in [
            WritePath::TtlOnly,
            WritePath::DeleteAfterCommit,
            WritePath::WriteThrough,
            events(0.1),
        ] {
            assert_eq!(p.before_commit(false), BeforeCommit::Commit, "{}", p.name());
        }
    }

    #[test]
    fn write_back_sets_the_cache_first_and_commits_later() {
        let p = WritePath::WriteBack {
            interval: SimDuration::from_secs(1),
            batch: None,
        };
        assert_eq!(p.before_commit(false), BeforeCommit::CacheFirst);
        assert_eq!(
            p.before_commit(true),
            BeforeCommit::Commit,
            "a bypass goes to the database"
        );
        assert_eq!(
            p.after_commit(false, 0.5, SimDuration::ZERO),
            AfterCommit::Nothing
        );
        assert!(!p.deletes());
    }

    #[test]
    fn an_event_is_lost_with_its_probability_else_delivered_after_its_lag() {
        assert_eq!(
            events(0.01).after_commit(false, 0.005, LAG),
            AfterCommit::Lost
        );
        assert_eq!(
            events(0.01).after_commit(false, 0.01, LAG),
            AfterCommit::Delete { after: LAG }
        );
        assert_eq!(
            events(0.0).after_commit(false, 0.0, LAG),
            AfterCommit::Delete { after: LAG }
        );
        assert_eq!(
            events(1.0).after_commit(false, 0.999, LAG),
            AfterCommit::Lost
        );
        assert_eq!(events(0.5).event_lag(), Some(&Distribution::Constant(LAG)));
        assert_eq!(WritePath::WriteThrough.event_lag(), None);
    }

    #[test]
    fn a_bypassing_write_touches_nothing() {
        for p in [
            WritePath::DeleteAfterCommit,
            WritePath::DeleteBeforeCommit,
            WritePath::WriteThrough,
            events(0.0),
        ] {
            assert_eq!(p.before_commit(true), BeforeCommit::Commit);
            assert_eq!(p.after_commit(true, 0.9, LAG), AfterCommit::Nothing);
        }
    }

    #[test]
    fn double_delete_applies_to_deleting_paths_only() {
        assert!(WritePath::DeleteAfterCommit.deletes() && WritePath::DeleteBeforeCommit.deletes());
        assert!(events(0.0).deletes());
        assert!(!WritePath::TtlOnly.deletes() && !WritePath::WriteThrough.deletes());
    }

    #[test]
    fn shares_and_probabilities_are_checked() {
        assert!(check_loss(0.0).is_ok() && check_loss(1.0).is_ok());
        assert!(
            check_loss(-0.1).is_err() && check_loss(f64::NAN).is_err() && check_loss(1.5).is_err()
        );
        assert!(check_bypass(0.05).is_ok() && check_bypass(2.0).is_err());
    }
}
