//! Locks and leases on rebuilding a key, held on the cache node that owns it: the first reader
//! to miss takes it and rebuilds; the others poll until the value is there or the lock is free,
//! and fall back after their last poll.

use std::ops::Range;

use crate::engine::{SimDuration, SimTime};

/// Who holds the lock of each cache key, and until when.
#[derive(Clone, Debug, Default)]
pub struct LockTable {
    /// Per cache key: held until (`ZERO`: free, `NEVER`: no TTL) and the holder's token.
    held: Vec<(SimTime, u32)>,
    next_token: u32,
}

/// What a waiting reader does after a poll that found neither a value nor a free lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterPoll {
    /// Poll again after the retry interval.
    PollAgain,
    /// Stop waiting: the configured [`Fallback`].
    FallBack,
}

/// Lock or lease on rebuilding a key, held on the cache node that owns the key.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LockConfig {
    /// Which protocol this is (for reports).
    pub kind: LockKind,
    /// How long a lock lives if never released (`None`: for ever, the dangerous case). For a
    /// lease, the lease period: at most one token per key per period.
    pub ttl: Option<SimDuration>,
    /// Time between two polls of a waiting reader.
    pub retry_interval: SimDuration,
    /// Polls before the reader falls back.
    pub max_retries: u32,
    /// What a reader does when it has polled `max_retries` times.
    pub fallback: Fallback,
    /// Serve an expired value at once instead of waiting, when one is held (leases do).
    pub stale_while_waiting: bool,
    /// Whether the holder releases the lock after writing the value (a lock does; a lease is
    /// only ever given out once per period).
    pub release_on_fill: bool,
}

/// The two lock protocols.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    /// SETNX-style lock with an optional TTL.
    Lock,
    /// Memcache-style lease ("Scaling Memcache at Facebook", NSDI 2013).
    Lease,
}

/// What a reader does when it may not rebuild a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fallback {
    /// Serve the expired value if the cache still holds one, else fail.
    Stale,
    /// Fail the request.
    Error,
    /// Query the database anyway.
    Database,
}

impl LockConfig {
    /// What a reader that has polled `polls` times without success does next (after 0 polls:
    /// whether it waits at all).
    #[inline]
    pub fn after_poll(&self, polls: u32) -> AfterPoll {
        if polls < self.max_retries {
            AfterPoll::PollAgain
        } else {
            AfterPoll::FallBack
        }
    }
}

impl LockTable {
    /// A table for `keys` cache keys, all free (empty, and never asked, without a lock).
    pub fn new(keys: u32, enabled: bool) -> Self {
        LockTable {
            held: if enabled {
                vec![(SimTime::ZERO, 0); keys as usize]
            } else {
                Vec::new()
            },
            next_token: 1,
        }
    }

    /// Whether `key`'s lock is held at `now` (a lock whose TTL has passed is free).
    #[inline]
    pub fn is_held(&self, key: u32, now: SimTime) -> bool {
        self.held[key as usize].0 > now
    }

    /// Takes `key`'s lock at `now` for `ttl` (`None`: until released) and returns the
    /// holder's token (never 0).
    #[inline]
    pub fn acquire(&mut self, key: u32, now: SimTime, ttl: Option<SimDuration>) -> u32 {
        let token = self.next_token;
        self.next_token = self.next_token.wrapping_add(1).max(1);
        let until = ttl.map(|t| now + t).unwrap_or(SimTime::NEVER);
        self.held[key as usize] = (until, token);
        token
    }

    /// Releases `key`'s lock if the holder of `token` still holds it.
    #[inline]
    pub fn release(&mut self, key: u32, token: u32) {
        let lock = &mut self.held[key as usize];
        if lock.1 == token {
            *lock = (SimTime::ZERO, 0);
        }
    }

    /// Frees every lock of the cache keys in `keys` (a key range handed to a new version).
    pub fn clear(&mut self, keys: Range<u32>) {
        if let Some(locks) = self.held.get_mut(keys.start as usize..keys.end as usize) {
            locks.fill((SimTime::ZERO, 0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(max_retries: u32) -> LockConfig {
        LockConfig {
            kind: LockKind::Lock,
            ttl: Some(SimDuration::from_secs(2)),
            retry_interval: SimDuration::from_millis(20),
            max_retries,
            fallback: Fallback::Stale,
            stale_while_waiting: false,
            release_on_fill: true,
        }
    }

    #[test]
    fn a_lock_is_held_until_released_or_its_ttl_passes() {
        let mut t = LockTable::new(4, true);
        let now = SimTime(1_000);
        assert!(!t.is_held(2, now));
        let token = t.acquire(2, now, Some(SimDuration(500)));
        assert!(t.is_held(2, SimTime(1_499)) && !t.is_held(2, SimTime(1_500)));
        assert!(!t.is_held(1, now));
        // Only the holder's token releases it.
        t.release(2, token + 1);
        assert!(t.is_held(2, now));
        t.release(2, token);
        assert!(!t.is_held(2, now));
    }

    #[test]
    fn a_lock_without_ttl_is_held_for_ever_until_cleared() {
        let mut t = LockTable::new(4, true);
        let first = t.acquire(3, SimTime::ZERO, None);
        let second = t.acquire(0, SimTime::ZERO, None);
        assert_ne!(first, second);
        assert!(t.is_held(3, SimTime(u64::MAX - 1)));
        t.clear(2..4);
        assert!(!t.is_held(3, SimTime::ZERO) && t.is_held(0, SimTime::ZERO));
    }

    #[test]
    fn readers_poll_max_retries_times_then_fall_back() {
        assert_eq!(config(0).after_poll(0), AfterPoll::FallBack);
        let c = config(3);
        assert_eq!(c.after_poll(0), AfterPoll::PollAgain);
        assert_eq!(c.after_poll(2), AfterPoll::PollAgain);
        assert_eq!(c.after_poll(3), AfterPoll::FallBack);
    }
}
