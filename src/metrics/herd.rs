//! The hot-key herd measure: how many database queries pile up for the most popular key
//! between two writes of its value.
//!
//! A probe fed by the model's observations (queries submitted, values written); the model
//! keeps no count of its own.

use crate::observe::Cause;

/// The key whose herds are measured: the most popular one.
pub const HOT_KEY: u32 = 0;

/// Counts the queries for [`HOT_KEY`] since its value was last written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HerdProbe {
    /// Queries in the current herd.
    size: u64,
    /// Whether the current herd began before the value expired (early or background refresh).
    early: bool,
}

impl HerdProbe {
    /// A query was submitted for logical key `key`; queries of a key version that lost its
    /// range (`current` false) never write, so they are not part of the herd, nor are writes.
    #[inline]
    pub fn query_submitted(&mut self, cause: Cause, key: u32, current: bool) {
        if key == HOT_KEY && current && cause != Cause::Write {
            if self.size == 0 {
                self.early = matches!(cause, Cause::EarlyRefresh | Cause::BackgroundRefresh);
            }
            self.size += 1;
        }
    }

    /// A value of logical key `key` was written: ends the herd, if there was one, and returns
    /// its size and whether it began early.
    #[inline]
    pub fn value_written(&mut self, key: u32) -> Option<(u64, bool)> {
        if key == HOT_KEY && self.size > 0 {
            let herd = (self.size, self.early);
            self.size = 0;
            Some(herd)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_herd_is_the_queries_between_two_writes_of_the_hot_key() {
        let mut p = HerdProbe::default();
        assert_eq!(p.value_written(HOT_KEY), None);
        p.query_submitted(Cause::Miss, HOT_KEY, true);
        p.query_submitted(Cause::Miss, 7, true);
        p.query_submitted(Cause::Fallback, HOT_KEY, true);
        // A write of another key ends nothing.
        assert_eq!(p.value_written(7), None);
        assert_eq!(p.value_written(HOT_KEY), Some((2, false)));
        assert_eq!(p.value_written(HOT_KEY), None);
    }

    #[test]
    fn a_herd_started_by_a_refresh_is_early_and_orphaned_queries_do_not_count() {
        let mut p = HerdProbe::default();
        p.query_submitted(Cause::Miss, HOT_KEY, false);
        p.query_submitted(Cause::BackgroundRefresh, HOT_KEY, true);
        p.query_submitted(Cause::Miss, HOT_KEY, true);
        assert_eq!(p.value_written(HOT_KEY), Some((2, true)));
        p.query_submitted(Cause::Miss, HOT_KEY, true);
        p.query_submitted(Cause::EarlyRefresh, HOT_KEY, true);
        assert_eq!(p.value_written(HOT_KEY), Some((2, false)));
    }
}
