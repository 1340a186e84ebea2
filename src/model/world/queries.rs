//! Database queries: submitting them (and noticing a queue that grows without bound), their
//! completions and queue timeouts, and writing results back to the cache.

use super::{db_queue_cap, lane, Event, World, BACKGROUND_QUERIES_CAP};
use crate::engine::{SimDuration, SimTime};
use crate::model::app::AppEvent;
use crate::model::database::{Admission, DbEvent, DbOutcome, Origin, Query};
use crate::model::mitigation::bloom;
use crate::model::request::KeyRef;
use crate::model::retry::{AfterFailure, RetryLayer};
use crate::observe::{Cause, ErrorKind, Observer, Truncation};
use rand::Rng;

impl<O: Observer> World<'_, O> {
    #[inline]
    pub(super) fn on_db(&mut self, now: SimTime, event: DbEvent) {
        match self.db.on(event) {
            DbOutcome::Finished { query, next } => self.on_db_done(now, query, next),
            DbOutcome::TimedOut(q) => {
                self.observer.db_queue_changed(self.db.queue_len());
                self.query_failed(now, &q, ErrorKind::DbTimeout);
            }
            DbOutcome::Nothing => {}
        }
    }

    /// Queries the database for read `k`'s key, under the request's version; an absent key
    /// may be stopped by the Bloom filter first and answered "not found" at once.
    pub(super) fn query_for(&mut self, now: SimTime, k: KeyRef, cause: Cause) {
        if let Some(fp) = self.config.mitigations.bloom_false_positive {
            let absent = self.slot(k).key >= self.config.clients.keyspace;
            if absent {
                let u: f64 = self.bloom_rng.random();
                let passed = bloom::admits(fp, absent, u);
                self.observer.bloom_checked(passed);
                if !passed {
                    let key = self.slot(k).key;
                    if self.db.records().version(key) > 0 {
                        // Created after the filter was built: the filter hides it.
                        self.observer.created_key_hidden();
                    }
                    self.release_lock(now, k);
                    self.resolve(now, k, Ok(0));
                    return;
                }
            }
        }
        let (ckey, version) = (self.slot(k).ckey, self.request(k).version);
        self.submit_query(now, Origin::Key(k), cause, ckey, version);
    }

    /// Queries the database for `ckey` on behalf of `origin`; `version` is the key version the
    /// result is for (it is written back only if that version still owns the key's range).
    pub(super) fn submit_query(
        &mut self,
        now: SimTime,
        origin: Origin,
        cause: Cause,
        ckey: u32,
        version: u32,
    ) {
        if !self.db_breakers.is_empty() && self.db_breaker_refuses(now, origin) {
            return;
        }
        let key = self.versions.logical(ckey);
        self.observer
            .query_submitted(cause, key, self.versions.is_live(version));
        if key >= self.config.clients.keyspace {
            self.observer.absent_query();
        }
        let (admission, query) = self.db.submit(origin, cause, ckey, version, now);
        match admission {
            Admission::Started => self.start_query(now, query),
            Admission::Queued => {
                self.observer.db_queue_changed(self.db.queue_len());
                if self.db.queue_len() as u64 > db_queue_cap(self.config)
                    && self.truncation.is_none()
                {
                    // Queries not tied to a waiting request (background refreshes, warm-up)
                    // piled up: the database cannot keep up and nothing bounds its queue.
                    self.truncation = Some(Truncation {
                        at_s: now.as_secs_f64(),
                        reason: format!(
                            "the database queue held {} queries, more than the requests in flight \
                             (limits.max_in_flight × clients.fanout) plus {BACKGROUND_QUERIES_CAP} \
                             background queries",
                            self.db.queue_len()
                        ),
                    });
                }
                if let Some(t) = self.config.db.queue_timeout {
                    self.events.schedule_in_lane(
                        lane::DB_QUEUE_TIMEOUT,
                        now + t,
                        Event::Db(DbEvent::queue_timeout(query.id)),
                    );
                }
            }
            Admission::Rejected => self.query_failed(now, &query, ErrorKind::DbRejected),
        }
    }

    /// With a breaker on the database, whether the instance of read `origin` refuses to send
    /// it at `now` (its breaker is open); the read then fails at once.
    #[inline(never)]
    fn db_breaker_refuses(&mut self, now: SimTime, origin: Origin) -> bool {
        let (Some(config), Origin::Key(k)) = (self.config.mitigations.db_breaker, origin) else {
            return false;
        };
        let breaker = &mut self.db_breakers[self.requests.get(k.req).instance as usize];
        let from = breaker.stored_state();
        let (allowed, change) = breaker.allow(&config.breaker, now);
        if let Some(to) = change {
            self.observer.db_breaker_changed(from, to);
        }
        if allowed {
            return false;
        }
        self.key_query_failed(now, k, ErrorKind::DbBreakerOpen);
        true
    }

    /// With a breaker on the database, read `k`'s query succeeded (`ok`) or failed at `now`.
    #[inline(never)]
    fn note_db_outcome(&mut self, now: SimTime, k: KeyRef, ok: bool) {
        let Some(config) = self.config.mitigations.db_breaker else {
            return;
        };
        let breaker = &mut self.db_breakers[self.requests.get(k.req).instance as usize];
        let from = breaker.stored_state();
        if let Some(to) = breaker.record(&config.breaker, now, ok) {
            self.observer.db_breaker_changed(from, to);
        }
    }

    fn start_query(&mut self, now: SimTime, q: Query) {
        self.observer
            .query_started(now, now.since(q.submitted), self.db.busy());
        let (slot, done) = self.db.serve(q, now);
        self.events
            .schedule(done, Event::Db(DbEvent::Done { slot }));
    }

    /// Query `q` was answered (or failed) and `next` takes its database slot.
    fn on_db_done(&mut self, now: SimTime, q: Query, mut next: Option<Query>) {
        if self.config.app.cancel_abandoned {
            next = self.skip_cancelled(now, next);
        }
        match next {
            Some(next) => {
                self.observer.query_completed(now, self.db.busy());
                self.observer.db_queue_changed(self.db.queue_len());
                self.start_query(now, next);
            }
            None => self.observer.query_completed(now, self.db.busy()),
        }
        if let Origin::Write {
            key,
            version,
            bypass,
        } = q.origin
        {
            self.on_commit(now, key, version, bypass);
            return;
        }
        if q.fails {
            self.observer.db_error();
            self.query_failed(now, &q, ErrorKind::DbError);
            return;
        }
        if let Origin::NodeWarmup { node, entry } = q.origin {
            self.node_warmup_answered(now, node, entry, &q);
            return;
        }
        if let (Some(state), Some(r)) = (self.budget.as_mut(), self.config.retries) {
            // App retries: a query answered refunds the budget, as a client's success does.
            if let (RetryLayer::App, Some(b), Origin::Key(_)) = (r.by, r.budget, q.origin) {
                state.refund(&b);
            }
        }
        // The app writes the value back; the compute time it saw is stored for early expiration.
        // A result for a version whose key range a newer deploy took over is garbage: dropped.
        // So is the result of a reader whose lease a delete revoked.
        let current = self.versions.is_live(q.version);
        let revoked = match (q.origin, self.cache.as_ref()) {
            (Origin::Key(k), Some(cache)) if self.config.writes.is_some() => {
                cache.lease_revoked(q.key, self.slot(k).lock_token)
            }
            _ => false,
        };
        let to_gutter = match q.origin {
            Origin::Key(k) if self.cache.as_ref().is_some_and(|c| c.has_gutter()) => {
                self.slot(k).via_gutter
            }
            _ => false,
        };
        if revoked {
            self.observer.set_refused();
        } else if to_gutter {
            // A read that failed over to the gutter pool fills the gutter, not the failed node.
            self.tier().gutter_write(q.key, q.data_version, now);
        } else if current {
            self.write_value(now, q.key, None, now.since(q.submitted), q.data_version);
        }
        match q.origin {
            Origin::Key(k) => {
                if !self.db_breakers.is_empty() {
                    let in_time = self
                        .config
                        .mitigations
                        .db_breaker
                        .is_some_and(|b| b.answered_in_time(now.since(q.submitted)));
                    self.note_db_outcome(now, k, in_time);
                }
                self.release_lock(now, k);
                self.resolve(now, k, Ok(q.data_version));
            }
            Origin::Background { instance } => {
                if current {
                    self.app.end_refresh(instance, q.key);
                }
            }
            Origin::Warmup | Origin::NodeWarmup { .. } | Origin::Write { .. } => {}
        }
    }

    /// With app retries, whether the failed query of `k` is sent again after a backoff (its
    /// key's read waits); a retry is counted like a client's, budget included.
    fn app_retries(&mut self, now: SimTime, k: KeyRef, kind: ErrorKind) -> bool {
        let Some(r) = self.config.retries.filter(|r| r.by == RetryLayer::App) else {
            return false;
        };
        if kind == ErrorKind::Timeout
            || (self.request(k).abandoned && self.config.app.cancel_abandoned)
        {
            return false;
        }
        let tries = self.slot(k).db_retries as u32 + 1;
        let arrived = self.request(k).arrived;
        let u = if r.jitter {
            self.retry_rng.random::<f64>()
        } else {
            0.0
        };
        match r.after_failure(arrived, tries, kind, now, u, self.budget.as_mut()) {
            AfterFailure::Retry(wait) => {
                self.slot_mut(k).db_retries = tries.min(u8::MAX as u32) as u8;
                self.observer.query_retried();
                self.events
                    .schedule(now + wait, Event::App(AppEvent::QueryRetry(k)));
                true
            }
            AfterFailure::Refused => {
                self.observer.retry_refused();
                false
            }
            AfterFailure::GiveUp => false,
        }
    }

    /// The app tier's own events.
    #[inline(never)]
    pub(super) fn on_app(&mut self, now: SimTime, event: AppEvent) {
        match event {
            AppEvent::QueryRetry(k) => self.on_query_retry(now, k),
        }
    }

    /// The app sends `k`'s failed query again (unless its client left and the app cancels
    /// abandoned work).
    fn on_query_retry(&mut self, now: SimTime, k: KeyRef) {
        if self.request(k).abandoned && self.config.app.cancel_abandoned {
            self.resolve(now, k, Err(ErrorKind::Timeout));
            return;
        }
        self.query_for(now, k, Cause::Miss);
    }

    /// The queries handed a freed slot, from `next` on, that no client waits for any more
    /// are dropped (their reads fail unseen); returns the first one someone waits for.
    fn skip_cancelled(&mut self, now: SimTime, mut next: Option<Query>) -> Option<Query> {
        while let Some(q) = next {
            if !self.nobody_waits_for(&q) {
                return Some(q);
            }
            next = self.db.pass();
            self.observer.query_cancelled();
            self.observer.db_queue_changed(self.db.queue_len());
            self.query_failed(now, &q, ErrorKind::Timeout);
        }
        None
    }

    /// Whether `q` reads a key for a request whose client gave up, with no read of a waiting
    /// client coalesced on it.
    fn nobody_waits_for(&self, q: &Query) -> bool {
        let Origin::Key(k) = q.origin else {
            return false;
        };
        if !self.request(k).abandoned {
            return false;
        }
        if self.slot(k).leader {
            let mut w = self.slot(k).next_waiter;
            while w != KeyRef::NONE {
                if !self.request(w).abandoned {
                    return false;
                }
                w = self.slot(w).next_waiter;
            }
        }
        true
    }

    /// Writes `ckey`'s value at `version` into the cache (if there is one) at `now` with `ttl`
    /// (the cache's TTL if `None`) plus jitter, and reports it: a set refused (versioned sets),
    /// or one that wrote a value older than the committed one (the stale-set race).
    pub(super) fn write_value(
        &mut self,
        now: SimTime,
        ckey: u32,
        ttl: Option<SimDuration>,
        delta: SimDuration,
        version: u32,
    ) {
        let Some(cache) = self.cache.as_mut() else {
            return;
        };
        if !cache.accepts(ckey) {
            // Its node is dead: the set is lost.
            return;
        }
        let key = self.versions.logical(ckey);
        // "Not found" (version 0 of an absent key; a created one has a version) is cached only
        // with negative caching, for its own TTL.
        let ttl = if self.config.clients.absent_keys > 0
            && key >= self.config.clients.keyspace
            && version == 0
        {
            match self.config.mitigations.negative_ttl {
                Some(t) => Some(t),
                None => return,
            }
        } else {
            // A replayed trace may give the key its own TTL.
            ttl.or_else(|| self.workload.trace_ttl(key))
        };
        match cache.write(now, ckey, ttl, delta, version) {
            Some(evicted) => {
                self.observer.value_written(key, evicted);
                let records = self.db.records();
                if self.config.writes.is_some() && version < records.version(key) {
                    self.observer
                        .outdated_set(records.undoes_delete(key, version));
                }
            }
            None => self.observer.set_refused(),
        }
    }

    /// The query of read `k` failed with `kind` (or was never sent): its lock is released,
    /// and the app retries it or the read fails.
    fn key_query_failed(&mut self, now: SimTime, k: KeyRef, kind: ErrorKind) {
        self.release_lock(now, k);
        if self.app_retries(now, k, kind) {
            return;
        }
        self.resolve(now, k, Err(kind));
    }

    pub(super) fn query_failed(&mut self, now: SimTime, q: &Query, kind: ErrorKind) {
        match q.origin {
            Origin::Key(k) => {
                if !self.db_breakers.is_empty() && kind != ErrorKind::Timeout {
                    // Rejected, timed out in the queue or failed: the database failed the call
                    // (a query cancelled for a client that left is not its failure).
                    self.note_db_outcome(now, k, false);
                }
                self.key_query_failed(now, k, kind);
            }
            Origin::Background { instance } => {
                if self.versions.is_live(q.version) {
                    self.app.end_refresh(instance, q.key);
                }
            }
            Origin::NodeWarmup { node, entry } => self.node_warmup_failed(now, node, entry, q.key),
            // A write that failed was never committed: nothing changes.
            Origin::Warmup | Origin::Write { .. } => {}
        }
    }
}
