//! Request coalescing (singleflight) per app instance: concurrent misses for one key on one
//! instance share one fetch.

use std::collections::HashMap;
use std::hash::BuildHasher;

/// What a miss does under coalescing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Join<R> {
    /// A fetch for the key is in flight on this instance, led by this read: wait for it.
    Wait(R),
    /// No fetch in flight: this read leads one (and is now registered as its leader).
    Lead,
}

/// Joins the fetch in flight for `key` in `fetching` (cache key to leading read), or registers
/// `read` as the leader of a new one.
#[inline]
pub fn join_or_lead<R: Copy, S: BuildHasher>(
    fetching: &mut HashMap<u32, R, S>,
    key: u32,
    read: R,
) -> Join<R> {
    match fetching.get(&key) {
        Some(&leader) => Join::Wait(leader),
        None => {
            fetching.insert(key, read);
            Join::Lead
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_miss_leads_and_the_next_ones_wait_for_it() {
        let mut fetching: HashMap<u32, u8> = HashMap::new();
        assert_eq!(join_or_lead(&mut fetching, 7, 1), Join::Lead);
        assert_eq!(join_or_lead(&mut fetching, 7, 2), Join::Wait(1));
        assert_eq!(join_or_lead(&mut fetching, 8, 3), Join::Lead);
        fetching.remove(&7);
        assert_eq!(join_or_lead(&mut fetching, 7, 4), Join::Lead);
    }
}
