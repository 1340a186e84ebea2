//! Key versions across deploys. A deploy that changes how values are built gives every key a
//! new version; old and new instances run side by side during a rolling deploy, each reading
//! its own version. Cache keys alternate between two ranges of `keyspace` keys: version `v`
//! lives in range `v % 2` and takes it over from version `v - 2` when its deploy starts.

use std::ops::Range;

/// Which version owns each of the two cache-key ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyVersions {
    keyspace: u32,
    owner: [u32; 2],
}

impl KeyVersions {
    /// Versions of a keyspace of `keyspace` logical keys: version 0 owns range 0 (and the
    /// never-deployed version 1 range 1).
    pub fn new(keyspace: u32) -> Self {
        KeyVersions {
            keyspace,
            owner: [0, 1],
        }
    }

    /// Cache keys needed: one range, or two when deploys make versions coexist.
    pub fn cache_keys(keyspace: u32, has_deploy: bool) -> u32 {
        if has_deploy {
            2 * keyspace
        } else {
            keyspace
        }
    }

    /// The cache key of logical `key` under `version`.
    #[inline]
    pub fn cache_key(&self, key: u32, version: u32) -> u32 {
        key + (version % 2) * self.keyspace
    }

    /// Logical keys per range.
    #[inline]
    pub fn keys_per_range(&self) -> u32 {
        self.keyspace
    }

    /// The logical key of cache key `ckey`.
    #[inline]
    pub fn logical(&self, ckey: u32) -> u32 {
        ckey % self.keyspace
    }

    /// Whether `version` still owns its range, rather than having lost it to the deploy after
    /// next.
    #[inline]
    pub fn is_live(&self, version: u32) -> bool {
        self.owner[(version % 2) as usize] == version
    }

    /// `version` takes its range over: returns the range, whose contents (entries, locks,
    /// fetches in flight) belong to the version before last and are garbage now.
    pub fn take_over(&mut self, version: u32) -> Range<u32> {
        self.owner[(version % 2) as usize] = version;
        let start = self.cache_key(0, version);
        start..start + self.keyspace
    }

    /// The cache key of the previous version's value of `ckey` (read under `version`), if the
    /// other range holds an older version. During a rolling deploy an old instance's other
    /// range holds the *newer* version; without deploys it holds version 1, never written.
    pub fn previous(&self, ckey: u32, version: u32) -> Option<u32> {
        let n = self.keyspace;
        (self.owner[((version + 1) % 2) as usize] < version).then(|| (ckey + n) % (2 * n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_alternate_between_two_ranges() {
        let mut v = KeyVersions::new(10);
        assert_eq!(
            (v.cache_key(3, 0), v.cache_key(3, 1), v.cache_key(3, 2)),
            (3, 13, 3)
        );
        assert_eq!(v.logical(13), 3);
        assert!(v.is_live(0) && !v.is_live(2));
        assert_eq!(v.previous(3, 0), None, "nothing older than version 0");
        assert_eq!(v.take_over(1), 10..20);
        assert_eq!(
            v.previous(13, 1),
            Some(3),
            "version 1 falls back to version 0"
        );
        assert_eq!(
            v.previous(3, 0),
            None,
            "an old instance never reads the newer version"
        );
        assert_eq!(v.take_over(2), 0..10);
        assert!(!v.is_live(0) && v.is_live(1) && v.is_live(2));
        assert_eq!(v.previous(3, 2), Some(13));
    }

    #[test]
    fn one_range_without_deploys() {
        assert_eq!(KeyVersions::cache_keys(10, false), 10);
        assert_eq!(KeyVersions::cache_keys(10, true), 20);
    }
}
