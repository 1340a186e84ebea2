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

/// Settings shared by a lock and a lease, as written (`None`: the default).
#[derive(Clone, Copy, Debug, Default)]
pub struct WaitSettings<'a> {
    /// Time between two polls (default 20 ms).
    pub retry_interval: Option<SimDuration>,
    /// Polls before falling back (default 25).
    pub max_retries: Option<i64>,
    /// Name of the fallback: "stale", "error" or "db" (default: "stale" for a lock, "db" for
    /// a lease).
    pub fallback: Option<&'a str>,
}

/// A setting of a lock or lease that is not allowed: the field, within its section, and what
/// is allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingError {
    /// Field name within `[mitigations.lock]` or `[mitigations.lease]`.
    pub field: &'static str,
    /// What is allowed.
    pub message: String,
}

fn setting_error<T>(field: &'static str, message: String) -> Result<T, SettingError> {
    Err(SettingError { field, message })
}

fn positive(field: &'static str, d: SimDuration, what: &str) -> Result<SimDuration, SettingError> {
    if d.0 == 0 {
        setting_error(field, format!("must be longer than 0 ({what})"))
    } else {
        Ok(d)
    }
}

impl Fallback {
    /// The fallback a scenario file names `name`.
    pub fn from_name(name: &str) -> Result<Self, String> {
        match name {
            "stale" => Ok(Fallback::Stale),
            "error" => Ok(Fallback::Error),
            "db" => Ok(Fallback::Database),
            other => Err(format!(
                "`{}` is not allowed; use \"stale\" (serve the expired value if held, else fail), \"error\" or \"db\" (query the database anyway)",
                crate::text::quote(other)
            )),
        }
    }
}

impl WaitSettings<'_> {
    /// Checks the settings in the order a reader meets them; returns the retry interval, the
    /// polls and the fallback.
    fn check(
        &self,
        default_fallback: Fallback,
    ) -> Result<(SimDuration, u32, Fallback), SettingError> {
        let retry_interval = positive(
            "retry_interval",
            self.retry_interval.unwrap_or(SimDuration::from_millis(20)),
            "time between polls",
        )?;
        let max_retries = self.max_retries.unwrap_or(25);
        if !(0..=1_000_000).contains(&max_retries) {
            return setting_error(
                "max_retries",
                format!(
                    "must be an integer from 0 to 1000000 (polls before falling back), got {max_retries}"
                ),
            );
        }
        let fallback = match self.fallback {
            None => default_fallback,
            Some(name) => Fallback::from_name(name).or_else(|m| setting_error("fallback", m))?,
        };
        Ok((retry_interval, max_retries as u32, fallback))
    }
}

impl LockConfig {
    /// A SETNX-style lock living `ttl` (`None`: until released, the dangerous case); a reader
    /// that finds it held polls, then falls back (by default to a stale value).
    pub fn lock(ttl: Option<SimDuration>, wait: WaitSettings) -> Result<Self, SettingError> {
        let ttl = match ttl {
            None => None,
            Some(t) => Some(positive(
                "ttl",
                t,
                "lock lifetime; use \"none\" for no TTL",
            )?),
        };
        let (retry_interval, max_retries, fallback) = wait.check(Fallback::Stale)?;
        Ok(LockConfig {
            kind: LockKind::Lock,
            ttl,
            retry_interval,
            max_retries,
            fallback,
            stale_while_waiting: false,
            release_on_fill: true,
        })
    }

    /// A lease: at most one per key per `period` (default 10 s), never released early; a
    /// reader without one is served the stale value when one is held (`serve_stale`, default
    /// true), else polls and falls back (by default to the database).
    pub fn lease(
        period: Option<SimDuration>,
        serve_stale: Option<bool>,
        wait: WaitSettings,
    ) -> Result<Self, SettingError> {
        let period = positive(
            "period",
            period.unwrap_or(SimDuration::from_secs(10)),
            "at most one lease per key per period",
        )?;
        let (retry_interval, max_retries, fallback) = wait.check(Fallback::Database)?;
        Ok(LockConfig {
            kind: LockKind::Lease,
            ttl: Some(period),
            retry_interval,
            max_retries,
            fallback,
            stale_while_waiting: serve_stale.unwrap_or(true),
            release_on_fill: false,
        })
    }

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

    /// Bytes the table holds (its capacity).
    pub fn bytes(&self) -> u64 {
        (self.held.capacity() * std::mem::size_of::<(SimTime, u32)>()) as u64
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

    /// Whether the holder of `token` still holds `key`'s lock (it may have expired, but nobody
    /// took it since and it was not revoked).
    #[inline]
    pub fn holds(&self, key: u32, token: u32) -> bool {
        self.held[key as usize].1 == token
    }

    /// Frees `key`'s lock whoever holds it (a delete revokes a lease).
    #[inline]
    pub fn revoke(&mut self, key: u32) {
        self.held[key as usize] = (SimTime::ZERO, 0);
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
    fn a_lock_and_a_lease_have_their_own_defaults() {
        let lock = LockConfig::lock(None, WaitSettings::default()).unwrap();
        assert_eq!(
            (
                lock.ttl,
                lock.fallback,
                lock.release_on_fill,
                lock.stale_while_waiting
            ),
            (None, Fallback::Stale, true, false)
        );
        assert_eq!(
            (lock.retry_interval, lock.max_retries),
            (SimDuration::from_millis(20), 25)
        );
        let lease = LockConfig::lease(None, None, WaitSettings::default()).unwrap();
        assert_eq!(
            (
                lease.ttl,
                lease.fallback,
                lease.release_on_fill,
                lease.stale_while_waiting
            ),
            (
                Some(SimDuration::from_secs(10)),
                Fallback::Database,
                false,
                true
            )
        );
    }

    #[test]
    fn settings_out_of_range_name_their_field() {
        let field = |r: Result<LockConfig, SettingError>| r.unwrap_err().field;
        assert_eq!(
            field(LockConfig::lock(
                Some(SimDuration::ZERO),
                WaitSettings::default()
            )),
            "ttl"
        );
        assert_eq!(
            field(LockConfig::lease(
                Some(SimDuration::ZERO),
                None,
                WaitSettings::default()
            )),
            "period"
        );
        let wait = |retry_interval, max_retries, fallback| WaitSettings {
            retry_interval,
            max_retries,
            fallback,
        };
        assert_eq!(
            field(LockConfig::lock(
                None,
                wait(Some(SimDuration::ZERO), None, None)
            )),
            "retry_interval"
        );
        assert_eq!(
            field(LockConfig::lock(None, wait(None, Some(-1), None))),
            "max_retries"
        );
        assert_eq!(
            field(LockConfig::lock(None, wait(None, Some(1_000_001), None))),
            "max_retries"
        );
        let e = LockConfig::lease(None, None, wait(None, None, Some("retry"))).unwrap_err();
        assert_eq!(e.field, "fallback");
        assert!(
            e.message.contains("\"stale\"") && e.message.contains("`retry`"),
            "{}",
            e.message
        );
        let ok = LockConfig::lock(None, wait(None, Some(0), Some("error"))).unwrap();
        assert_eq!((ok.max_retries, ok.fallback), (0, Fallback::Error));
        assert_eq!(Fallback::from_name("db"), Ok(Fallback::Database));
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
