//! The cache-aside read path, composed of the mitigation stages a strategy switched on (see
//! [`crate::model::mitigation`]): what a cache answer means (early expiration, refresh-ahead,
//! stale-while-revalidate), whether a miss joins a fetch in flight (coalescing), who may rebuild
//! (lock or lease) and whether the rebuild may reach the database (rate limit). The stages
//! decide; this module applies their decisions to requests, events and queries.

use super::ReadPath;
use crate::engine::SimTime;
use crate::model::cache::CacheEvent;
use crate::model::config::{Fallback, LockConfig};
use crate::model::database::Origin;
use crate::model::event::Event;
use crate::model::mitigation::coalescing::Join;
use crate::model::mitigation::lock::AfterPoll;
use crate::model::mitigation::lookup::Decision;
use crate::model::request::KeyRef;
use crate::model::tiers::Tiers;
use crate::observe::{Cause, ErrorKind, Observer};

impl ReadPath {
    /// The reading instance's local cache answered for key `k`: a fresh copy is served (and
    /// compared with the shared cache's version), else the shared cache is read.
    pub(super) fn on_local_reply<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        t: &mut Tiers<'_, O>,
    ) {
        if self.orphaned(k, t) {
            self.query_orphan(now, k, t);
            return;
        }
        let slot = *self.slot(k);
        let r = self.request(k);
        let (instance, version) = (r.instance, r.version);
        let local = t
            .local
            .as_mut()
            .expect("local replies only exist with local caches");
        match local.read(instance, slot.key, version, now) {
            Some(data) => {
                let differs = t
                    .cache
                    .as_ref()
                    .is_some_and(|c| c.holds_any(slot.ckey) && c.version_of(slot.ckey) != data);
                t.observer.local_lookup(true, differs);
                let slot = self.slot_mut(k);
                slot.from_local = true;
                // A fresh local copy is a hit too (for `requests_all_hit`).
                slot.fresh_hit = true;
                self.resolve(now, k, Ok(data), t);
            }
            None => {
                t.observer.local_lookup(false, false);
                self.send_cache_read(now, k, t);
            }
        }
    }

    /// The cache answered the read of key `k`.
    pub(super) fn on_cache_reply<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        t: &mut Tiers<'_, O>,
    ) {
        self.note_cache_answer(now, k, t);
        if self.orphaned(k, t) {
            t.observer.cache_lookup(false);
            self.query_orphan(now, k, t);
            return;
        }
        let ckey = self.slot(k).ckey;
        match t.tier().read(ckey, now) {
            Decision::RecomputeEarly => {
                t.observer.cache_lookup(false);
                self.query_for(now, k, Cause::EarlyRefresh, t);
            }
            Decision::Serve { refresh } => {
                t.observer.cache_lookup(true);
                let key = self.slot(k).key;
                if self.settings.has_absent_keys
                    && key >= self.settings.keyspace
                    && t.tier().version_of(ckey) == 0
                {
                    // A cached "not found": the key may have been created since.
                    t.observer.negative_hit();
                    if t.db.records().version(key) > 0 {
                        t.observer.created_key_hidden();
                    }
                }
                self.slot_mut(k).fresh_hit = true;
                if refresh {
                    self.background_refresh(now, k, t);
                }
                let version = t.tier().version_of(ckey);
                self.resolve(now, k, Ok(version), t);
            }
            Decision::ServeStale => {
                t.observer.cache_lookup(true);
                t.observer.stale_served();
                self.background_refresh(now, k, t);
                let version = t.tier().version_of(ckey);
                self.resolve(now, k, Ok(version), t);
            }
            Decision::Miss => {
                t.observer.cache_lookup(false);
                let expired = t.tier().holds_stale(ckey, now);
                t.observer.cache_missed(expired);
                self.on_miss(now, k, t);
            }
        }
    }

    /// Starts one background refresh of read `k`'s key from its instance, unless one is
    /// already running there.
    fn background_refresh<O: Observer>(&mut self, now: SimTime, k: KeyRef, t: &mut Tiers<'_, O>) {
        let r = self.request(k);
        let (instance, version, ckey) = (r.instance, r.version, self.slot(k).ckey);
        if self.app.start_refresh(instance, ckey) {
            self.submit_query(
                now,
                Origin::Background { instance },
                Cause::BackgroundRefresh,
                ckey,
                version,
                t,
            );
        }
    }

    /// An orphaned read (see `orphaned`) cannot use the cache or the lock of its key range, which
    /// now belong to a newer version: it asks the database, and the result is not written back.
    pub(super) fn query_orphan<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        t: &mut Tiers<'_, O>,
    ) {
        self.end_wait(now, k, t);
        self.query_for(now, k, Cause::Miss, t);
    }

    /// A read found nothing fresh: join a fetch in flight on this instance, or rebuild.
    fn on_miss<O: Observer>(&mut self, now: SimTime, k: KeyRef, t: &mut Tiers<'_, O>) {
        if self.settings.coalescing {
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
        self.rebuild(now, k, t);
    }

    /// This read is to rebuild its key: through the lock if there is one, then subject to the
    /// rate limit (a token is only spent on a query that is made), then the DB.
    fn rebuild<O: Observer>(&mut self, now: SimTime, k: KeyRef, t: &mut Tiers<'_, O>) {
        if let Some(cache) = t.cache.as_mut().filter(|c| c.lock().is_some()) {
            if cache.has_faults() {
                self.send_lock_op(now, k, false, t);
                return;
            }
            let latency = cache.lock_latency();
            t.events
                .schedule(now + latency, Event::Cache(CacheEvent::LockReply(k)));
            return;
        }
        if !self.take_rebuild_token(now, k) {
            self.serve_stale_or_fail(now, k, t);
            return;
        }
        self.query_for(now, k, Cause::Miss, t);
    }

    /// Takes a token from the instance's rebuild bucket; always succeeds without a rate limit.
    pub(super) fn take_rebuild_token(&mut self, now: SimTime, k: KeyRef) -> bool {
        let Some(limit) = self.settings.rate_limit else {
            return true;
        };
        let instance = self.requests.get(k.req).instance;
        self.app.take_rebuild_token(instance, now, &limit)
    }

    /// Serves the expired value if the cache still holds one (under this version, or the
    /// previous version's value during a deploy); otherwise the read fails.
    pub(super) fn serve_stale_or_fail<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        t: &mut Tiers<'_, O>,
    ) {
        let ckey = self.slot(k).ckey;
        let previous = t.versions.previous(ckey, self.request(k).version);
        let held = t.cache.as_ref().and_then(|c| {
            if c.holds_stale(ckey, now) {
                Some(c.version_of(ckey))
            } else {
                previous
                    .filter(|&p| c.holds_any(p))
                    .map(|p| c.version_of(p))
            }
        });
        match held {
            Some(version) => self.resolve_stale(now, k, version, t),
            None => self.resolve(now, k, Err(ErrorKind::Fallback), t),
        }
    }

    /// Answers `k`, and every read coalesced on it, with an expired value at `version`.
    fn resolve_stale<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        version: u32,
        t: &mut Tiers<'_, O>,
    ) {
        t.observer.stale_served();
        if self.slot(k).leader {
            let mut w = self.slot(k).next_waiter;
            while w != KeyRef::NONE {
                t.observer.stale_served();
                w = self.slot(w).next_waiter;
            }
        }
        self.resolve(now, k, Ok(version), t);
    }

    /// The cache answered the lock request made after a miss. The request is "look again, and
    /// take the lock if still missing" in one round trip, so a value written since the miss
    /// is served rather than rebuilt a second time.
    pub(super) fn on_lock_reply<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        t: &mut Tiers<'_, O>,
    ) {
        if self.settled_by_answer(now, k, t, false) {
            return;
        }
        let lock = self.lock_config(t);
        let ckey = self.slot(k).ckey;
        if lock.stale_while_waiting && t.cache.as_ref().is_some_and(|c| c.holds_stale(ckey, now)) {
            // A lease's "wait" answer comes with the stale value when one is held.
            let version = t.tier().version_of(ckey);
            self.resolve_stale(now, k, version, t);
            return;
        }
        let slot = self.slot_mut(k);
        slot.waiting_since = now;
        slot.polls = 0;
        match lock.after_poll(0) {
            AfterPoll::PollAgain => self.schedule_poll(now, k, t),
            AfterPoll::FallBack => self.fall_back(now, k, t),
        }
    }

    /// What a lock reply and a poll reply both do first: note the answer, then query for an
    /// orphaned read, serve a value written meanwhile (ending the wait of a reader that was
    /// `waiting`), or take a free lock. `true` when one of these settled the read.
    fn settled_by_answer<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        t: &mut Tiers<'_, O>,
        waiting: bool,
    ) -> bool {
        self.note_cache_answer(now, k, t);
        if self.orphaned(k, t) {
            self.query_orphan(now, k, t);
            return true;
        }
        let ckey = self.slot(k).ckey;
        if t.tier().has_fresh(ckey, now) {
            if waiting {
                self.end_wait(now, k, t);
            }
            let version = t.tier().version_of(ckey);
            self.resolve(now, k, Ok(version), t);
            return true;
        }
        self.try_lock(now, k, t)
    }

    fn schedule_poll<O: Observer>(&mut self, now: SimTime, k: KeyRef, t: &mut Tiers<'_, O>) {
        let lock = self.lock_config(t);
        if t.tier().has_faults() {
            // The poll meets the node as it is when the poll is sent.
            t.events
                .schedule(now + lock.retry_interval, Event::Cache(CacheEvent::Poll(k)));
            return;
        }
        let latency = t.tier().lock_latency();
        t.events.schedule(
            now + lock.retry_interval + latency,
            Event::Cache(CacheEvent::PollReply(k)),
        );
    }

    /// A waiting reader's poll: the value may be there now, or the lock free.
    pub(super) fn on_poll_reply<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        t: &mut Tiers<'_, O>,
    ) {
        if self.settled_by_answer(now, k, t, true) {
            return;
        }
        let lock = self.lock_config(t);
        let slot = self.slot_mut(k);
        slot.polls += 1;
        match lock.after_poll(slot.polls) {
            AfterPoll::PollAgain => self.schedule_poll(now, k, t),
            AfterPoll::FallBack => self.fall_back(now, k, t),
        }
    }

    /// A reader gave up waiting for another's lock: the configured fallback.
    pub(super) fn fall_back<O: Observer>(&mut self, now: SimTime, k: KeyRef, t: &mut Tiers<'_, O>) {
        self.end_wait(now, k, t);
        let lock = self.lock_config(t);
        match lock.fallback {
            Fallback::Stale => self.serve_stale_or_fail(now, k, t),
            Fallback::Error => self.resolve(now, k, Err(ErrorKind::Fallback), t),
            // Going to the database anyway is still a rebuild: the rate limit applies.
            Fallback::Database => {
                if self.take_rebuild_token(now, k) {
                    self.query_for(now, k, Cause::Fallback, t);
                } else {
                    self.serve_stale_or_fail(now, k, t);
                }
            }
        }
    }

    pub(super) fn end_wait<O: Observer>(&mut self, now: SimTime, k: KeyRef, t: &mut Tiers<'_, O>) {
        let since = self.slot(k).waiting_since;
        if since != SimTime::NEVER {
            t.observer.lock_wait_ended(now.since(since));
            self.slot_mut(k).waiting_since = SimTime::NEVER;
        }
    }

    /// Takes the key's lock if it is free (or its TTL has passed) and rebuilds; `false` if
    /// another reader holds it. A free lock with no rebuild token left (rate limit) is not
    /// taken: the read falls back to a stale value at once.
    fn try_lock<O: Observer>(&mut self, now: SimTime, k: KeyRef, t: &mut Tiers<'_, O>) -> bool {
        let ckey = self.slot(k).ckey;
        if t.tier().lock_is_held(ckey, now) {
            return false;
        }
        let key = self.slot(k).key;
        let dies = t.tier().holder_doomed(key);
        if !dies && !self.take_rebuild_token(now, k) {
            self.end_wait(now, k, t);
            self.serve_stale_or_fail(now, k, t);
            return true;
        }
        let token = t.tier().acquire_lock(ckey, now);
        self.end_wait(now, k, t);
        if t.tier().holder_dies(key) {
            // The holder dies: it never queries, never writes, never releases. Its own request
            // (and any read coalesced on it) fails.
            self.resolve(now, k, Err(ErrorKind::Fallback), t);
            return true;
        }
        self.slot_mut(k).lock_token = token;
        self.query_for(now, k, Cause::Miss, t);
        true
    }

    /// The lock or lease configuration; only called on paths that exist with one.
    fn lock_config<O: Observer>(&self, t: &Tiers<'_, O>) -> LockConfig {
        *t.cache
            .as_ref()
            .and_then(|c| c.lock())
            .expect("lock paths only run with a lock or lease configured")
    }

    /// Releases the lock `k` holds at `now`, if it still holds it and the protocol releases
    /// on fill; with node faults, through the node that owns the key.
    pub(super) fn release_lock<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        t: &mut Tiers<'_, O>,
    ) {
        let token = std::mem::take(&mut self.slot_mut(k).lock_token);
        let ckey = self.slot(k).ckey;
        if let Some(cache) = t.cache.as_mut() {
            if token != 0 && cache.has_faults() {
                self.release_through_faults(now, k, ckey, token, t);
                return;
            }
            cache.release_lock(ckey, token);
        }
    }
}
