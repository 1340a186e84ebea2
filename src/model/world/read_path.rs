//! The cache-aside read path, composed of the mitigation stages a strategy switched on (see
//! [`crate::model::mitigation`]): what a cache answer means (early expiration, refresh-ahead,
//! stale-while-revalidate), whether a miss joins a fetch in flight (coalescing), who may rebuild
//! (lock or lease) and whether the rebuild may reach the database (rate limit). The stages
//! decide; this module applies their decisions to requests, events and queries.

use super::{Event, World};
use crate::engine::SimTime;
use crate::model::cache::{CacheEvent, CacheTier, LocalEvent};
use crate::model::config::{Fallback, LockConfig};
use crate::model::database::Origin;
use crate::model::mitigation::coalescing::Join;
use crate::model::mitigation::lock::AfterPoll;
use crate::model::mitigation::lookup::Decision;
use crate::model::request::KeyRef;
use crate::observe::{Cause, ErrorKind, Observer};

impl<O: Observer> World<'_, O> {
    #[inline]
    pub(super) fn on_cache(&mut self, now: SimTime, event: CacheEvent) {
        match event {
            CacheEvent::Reply(k) => self.on_cache_reply(now, k),
            CacheEvent::LockReply(k) => self.on_lock_reply(now, k),
            CacheEvent::PollReply(k) => self.on_poll_reply(now, k),
            CacheEvent::Poll(k) => self.send_lock_op(now, k, true),
            CacheEvent::LockFailed(k) => self.on_lock_failed(now, k),
            CacheEvent::Failed(k) => self.on_cache_failed(now, k),
            CacheEvent::GutterReply(k) => self.on_gutter_reply(now, k),
        }
    }

    /// The local caches' events: a local answer, a pub/sub message of a change.
    #[inline]
    pub(super) fn on_local(&mut self, now: SimTime, event: LocalEvent) {
        match event {
            LocalEvent::Reply(k) => self.on_local_reply(now, k),
            LocalEvent::Delete { instance, key } => {
                if let Some(local) = self.local.as_mut() {
                    local.invalidate(instance, key);
                }
            }
        }
    }

    /// The reading instance's local cache answered for key `k`: a fresh copy is served (and
    /// compared with the shared cache's version), else the shared cache is read.
    fn on_local_reply(&mut self, now: SimTime, k: KeyRef) {
        if self.orphaned(k) {
            self.query_orphan(now, k);
            return;
        }
        let slot = *self.slot(k);
        let r = self.request(k);
        let (instance, version) = (r.instance, r.version);
        let local = self
            .local
            .as_mut()
            .expect("local replies only exist with local caches");
        match local.read(instance, slot.key, version, now) {
            Some(data) => {
                let differs = self
                    .cache
                    .as_ref()
                    .is_some_and(|c| c.holds_any(slot.ckey) && c.version_of(slot.ckey) != data);
                self.observer.local_lookup(true, differs);
                let slot = self.slot_mut(k);
                slot.from_local = true;
                // A fresh local copy is a hit too (for `requests_all_hit`).
                slot.fresh_hit = true;
                self.resolve(now, k, Ok(data));
            }
            None => {
                self.observer.local_lookup(false, false);
                self.send_cache_read(now, k);
            }
        }
    }

    /// The tier's events only exist with a tier.
    #[inline]
    pub(super) fn tier(&mut self) -> &mut CacheTier {
        self.cache
            .as_mut()
            .expect("cache events and miss paths only exist with a cache")
    }

    /// The cache answered the read of key `k`.
    fn on_cache_reply(&mut self, now: SimTime, k: KeyRef) {
        self.note_cache_answer(now, k);
        if self.orphaned(k) {
            self.observer.cache_lookup(false);
            self.query_orphan(now, k);
            return;
        }
        let ckey = self.slot(k).ckey;
        match self.tier().read(ckey, now) {
            Decision::RecomputeEarly => {
                self.observer.cache_lookup(false);
                self.query_for(now, k, Cause::EarlyRefresh);
            }
            Decision::Serve { refresh } => {
                self.observer.cache_lookup(true);
                let key = self.slot(k).key;
                if self.config.clients.absent_keys > 0
                    && key >= self.config.clients.keyspace
                    && self.tier().version_of(ckey) == 0
                {
                    // A cached "not found": the key may have been created since.
                    self.observer.negative_hit();
                    if self.db.records().version(key) > 0 {
                        self.observer.created_key_hidden();
                    }
                }
                self.slot_mut(k).fresh_hit = true;
                if refresh {
                    self.background_refresh(now, k);
                }
                let version = self.tier().version_of(ckey);
                self.resolve(now, k, Ok(version));
            }
            Decision::ServeStale => {
                self.observer.cache_lookup(true);
                self.observer.stale_served();
                self.background_refresh(now, k);
                let version = self.tier().version_of(ckey);
                self.resolve(now, k, Ok(version));
            }
            Decision::Miss => {
                self.observer.cache_lookup(false);
                let expired = self.tier().holds_stale(ckey, now);
                self.observer.cache_missed(expired);
                self.on_miss(now, k);
            }
        }
    }

    /// Starts one background refresh of read `k`'s key from its instance, unless one is
    /// already running there.
    fn background_refresh(&mut self, now: SimTime, k: KeyRef) {
        let r = self.request(k);
        let (instance, version, ckey) = (r.instance, r.version, self.slot(k).ckey);
        if self.app.start_refresh(instance, ckey) {
            self.submit_query(
                now,
                Origin::Background { instance },
                Cause::BackgroundRefresh,
                ckey,
                version,
            );
        }
    }

    /// An orphaned read (see `orphaned`) cannot use the cache or the lock of its key range, which
    /// now belong to a newer version: it asks the database, and the result is not written back.
    pub(super) fn query_orphan(&mut self, now: SimTime, k: KeyRef) {
        self.end_wait(now, k);
        self.query_for(now, k, Cause::Miss);
    }

    /// A read found nothing fresh: join a fetch in flight on this instance, or rebuild.
    fn on_miss(&mut self, now: SimTime, k: KeyRef) {
        if self.config.mitigations.coalescing {
            let instance = self.request(k).instance;
            let ckey = self.slot(k).ckey;
            match self.app.join_fetch(instance, ckey, k) {
                Join::Wait(leader) => {
                    // Wait for the leader's result instead of querying again.
                    let after_leader = self.slot(leader).next_waiter;
                    self.slot_mut(k).next_waiter = after_leader;
                    self.slot_mut(leader).next_waiter = k;
                    return;
                }
                Join::Lead => self.slot_mut(k).leader = true,
            }
        }
        self.rebuild(now, k);
    }

    /// This read is to rebuild its key: through the lock if there is one, then subject to the
    /// rate limit (a token is only spent on a query that is made), then the DB.
    fn rebuild(&mut self, now: SimTime, k: KeyRef) {
        if let Some(cache) = self.cache.as_mut().filter(|c| c.lock().is_some()) {
            if cache.has_faults() {
                self.send_lock_op(now, k, false);
                return;
            }
            let latency = cache.lock_latency();
            self.events
                .schedule(now + latency, Event::Cache(CacheEvent::LockReply(k)));
            return;
        }
        if !self.take_rebuild_token(now, k) {
            self.serve_stale_or_fail(now, k);
            return;
        }
        self.query_for(now, k, Cause::Miss);
    }

    /// Takes a token from the instance's rebuild bucket; always succeeds without a rate limit.
    pub(super) fn take_rebuild_token(&mut self, now: SimTime, k: KeyRef) -> bool {
        let Some(limit) = self.config.mitigations.rate_limit else {
            return true;
        };
        let instance = self.requests.get(k.req).instance;
        self.app.take_rebuild_token(instance, now, &limit)
    }

    /// Serves the expired value if the cache still holds one (under this version, or the
    /// previous version's value during a deploy); otherwise the read fails.
    pub(super) fn serve_stale_or_fail(&mut self, now: SimTime, k: KeyRef) {
        let ckey = self.slot(k).ckey;
        let previous = self.versions.previous(ckey, self.request(k).version);
        let held = self.cache.as_ref().and_then(|c| {
            if c.holds_stale(ckey, now) {
                Some(c.version_of(ckey))
            } else {
                previous
                    .filter(|&p| c.holds_any(p))
                    .map(|p| c.version_of(p))
            }
        });
        match held {
            Some(version) => self.resolve_stale(now, k, version),
            None => self.resolve(now, k, Err(ErrorKind::Fallback)),
        }
    }

    /// Answers `k`, and every read coalesced on it, with an expired value at `version`.
    fn resolve_stale(&mut self, now: SimTime, k: KeyRef, version: u32) {
        self.observer.stale_served();
        if self.slot(k).leader {
            let mut w = self.slot(k).next_waiter;
            while w != KeyRef::NONE {
                self.observer.stale_served();
                w = self.slot(w).next_waiter;
            }
        }
        self.resolve(now, k, Ok(version));
    }

    /// The cache answered the lock request made after a miss. The request is "look again, and
    /// take the lock if still missing" in one round trip, so a value written since the miss
    /// is served rather than rebuilt a second time.
    fn on_lock_reply(&mut self, now: SimTime, k: KeyRef) {
        self.note_cache_answer(now, k);
        if self.orphaned(k) {
            self.query_orphan(now, k);
            return;
        }
        let ckey = self.slot(k).ckey;
        if self.tier().has_fresh(ckey, now) {
            let version = self.tier().version_of(ckey);
            self.resolve(now, k, Ok(version));
            return;
        }
        if self.try_lock(now, k) {
            return;
        }
        let lock = self.lock_config();
        if lock.stale_while_waiting
            && self
                .cache
                .as_ref()
                .is_some_and(|c| c.holds_stale(ckey, now))
        {
            // A lease's "wait" answer comes with the stale value when one is held.
            let version = self.tier().version_of(ckey);
            self.resolve_stale(now, k, version);
            return;
        }
        let slot = self.slot_mut(k);
        slot.waiting_since = now;
        slot.polls = 0;
        match lock.after_poll(0) {
            AfterPoll::PollAgain => self.schedule_poll(now, k),
            AfterPoll::FallBack => self.fall_back(now, k),
        }
    }

    fn schedule_poll(&mut self, now: SimTime, k: KeyRef) {
        let lock = self.lock_config();
        if self.tier().has_faults() {
            // The poll meets the node as it is when the poll is sent.
            self.events
                .schedule(now + lock.retry_interval, Event::Cache(CacheEvent::Poll(k)));
            return;
        }
        let latency = self.tier().lock_latency();
        self.events.schedule(
            now + lock.retry_interval + latency,
            Event::Cache(CacheEvent::PollReply(k)),
        );
    }

    /// A waiting reader's poll: the value may be there now, or the lock free.
    fn on_poll_reply(&mut self, now: SimTime, k: KeyRef) {
        self.note_cache_answer(now, k);
        if self.orphaned(k) {
            self.query_orphan(now, k);
            return;
        }
        let ckey = self.slot(k).ckey;
        if self.tier().has_fresh(ckey, now) {
            self.end_wait(now, k);
            let version = self.tier().version_of(ckey);
            self.resolve(now, k, Ok(version));
            return;
        }
        if self.try_lock(now, k) {
            return;
        }
        let lock = self.lock_config();
        let slot = self.slot_mut(k);
        slot.polls += 1;
        match lock.after_poll(slot.polls) {
            AfterPoll::PollAgain => self.schedule_poll(now, k),
            AfterPoll::FallBack => self.fall_back(now, k),
        }
    }

    /// A reader gave up waiting for another's lock: the configured fallback.
    pub(super) fn fall_back(&mut self, now: SimTime, k: KeyRef) {
        self.end_wait(now, k);
        let lock = self.lock_config();
        match lock.fallback {
            Fallback::Stale => self.serve_stale_or_fail(now, k),
            Fallback::Error => self.resolve(now, k, Err(ErrorKind::Fallback)),
            // Going to the database anyway is still a rebuild: the rate limit applies.
            Fallback::Database => {
                if self.take_rebuild_token(now, k) {
                    self.query_for(now, k, Cause::Fallback);
                } else {
                    self.serve_stale_or_fail(now, k);
                }
            }
        }
    }

    pub(super) fn end_wait(&mut self, now: SimTime, k: KeyRef) {
        let since = self.slot(k).waiting_since;
        if since != SimTime::NEVER {
            self.observer.lock_wait_ended(now.since(since));
            self.slot_mut(k).waiting_since = SimTime::NEVER;
        }
    }

    /// Takes the key's lock if it is free (or its TTL has passed) and rebuilds; `false` if
    /// another reader holds it. A free lock with no rebuild token left (rate limit) is not
    /// taken: the read falls back to a stale value at once.
    fn try_lock(&mut self, now: SimTime, k: KeyRef) -> bool {
        let ckey = self.slot(k).ckey;
        if self.tier().lock_is_held(ckey, now) {
            return false;
        }
        let key = self.slot(k).key;
        let dies = self.tier().holder_doomed(key);
        if !dies && !self.take_rebuild_token(now, k) {
            self.end_wait(now, k);
            self.serve_stale_or_fail(now, k);
            return true;
        }
        let token = self.tier().acquire_lock(ckey, now);
        self.end_wait(now, k);
        if self.tier().holder_dies(key) {
            // The holder dies: it never queries, never writes, never releases. Its own request
            // (and any read coalesced on it) fails.
            self.resolve(now, k, Err(ErrorKind::Fallback));
            return true;
        }
        self.slot_mut(k).lock_token = token;
        self.query_for(now, k, Cause::Miss);
        true
    }

    /// The lock or lease configuration; only called on paths that exist with one.
    fn lock_config(&self) -> LockConfig {
        *self
            .cache
            .as_ref()
            .and_then(|c| c.lock())
            .expect("lock paths only run with a lock or lease configured")
    }

    /// Releases the lock `k` holds at `now`, if it still holds it and the protocol releases
    /// on fill; with node faults, through the node that owns the key.
    pub(super) fn release_lock(&mut self, now: SimTime, k: KeyRef) {
        let token = std::mem::take(&mut self.slot_mut(k).lock_token);
        let ckey = self.slot(k).ckey;
        if let Some(cache) = self.cache.as_mut() {
            if token != 0 && cache.has_faults() {
                self.release_through_faults(now, k, ckey, token);
                return;
            }
            cache.release_lock(ckey, token);
        }
    }
}
