//! The database queries of reads: submitting them (through the instance's breaker on the
//! database, and the Bloom filter for absent keys), their answers written back to the cache,
//! their failures, the app's retries, and cancelling those no client waits for.

use super::ReadPath;
use crate::engine::SimTime;
use crate::model::app::AppEvent;
use crate::model::database::{Origin, Query};
use crate::model::event::Event;
use crate::model::mitigation::bloom;
use crate::model::request::KeyRef;
use crate::model::retry::{AfterFailure, RetryLayer};
use crate::model::tiers::Tiers;
use crate::observe::{Cause, ErrorKind, Observer};
use rand::Rng;

impl ReadPath {
    /// Queries the database for read `k`'s key, under the request's version; an absent key
    /// may be stopped by the Bloom filter first and answered "not found" at once.
    pub(super) fn query_for<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        cause: Cause,
        t: &mut Tiers<'_, O>,
    ) {
        if let Some(fp) = self.settings.bloom_false_positive {
            let absent = self.slot(k).key >= self.settings.keyspace;
            if absent {
                let u: f64 = self.bloom_rng.random();
                let passed = bloom::admits(fp, absent, u);
                t.observer.bloom_checked(passed);
                if !passed {
                    let key = self.slot(k).key;
                    if t.db.records().version(key) > 0 {
                        // Created after the filter was built: the filter hides it.
                        t.observer.created_key_hidden();
                    }
                    self.release_lock(now, k, t);
                    self.resolve(now, k, Ok(0), t);
                    return;
                }
            }
        }
        let (ckey, version) = (self.slot(k).ckey, self.request(k).version);
        self.submit_query(now, Origin::Key(k), cause, ckey, version, t);
    }

    /// Queries the database for `ckey` on behalf of `origin` (a read, or a background refresh);
    /// a read's query goes through its instance's breaker on the database first.
    pub(super) fn submit_query<O: Observer>(
        &mut self,
        now: SimTime,
        origin: Origin,
        cause: Cause,
        ckey: u32,
        version: u32,
        t: &mut Tiers<'_, O>,
    ) {
        if !self.db_breakers.is_empty() && self.db_breaker_refuses(now, origin, t) {
            return;
        }
        if let Some(rejected) = t.submit(now, origin, cause, ckey, version) {
            self.on_query_failed(now, &rejected, ErrorKind::DbRejected, t);
        }
    }

    /// With a breaker on the database, whether the instance of read `origin` refuses to send
    /// it at `now` (its breaker is open); the read then fails at once.
    #[inline(never)]
    fn db_breaker_refuses<O: Observer>(
        &mut self,
        now: SimTime,
        origin: Origin,
        t: &mut Tiers<'_, O>,
    ) -> bool {
        let (Some(config), Origin::Key(k)) = (self.settings.db_breaker, origin) else {
            return false;
        };
        let breaker = &mut self.db_breakers[self.requests.get(k.req).instance as usize];
        let from = breaker.stored_state();
        let (allowed, change) = breaker.allow(&config.breaker, now);
        if let Some(to) = change {
            t.observer.db_breaker_changed(from, to);
        }
        if allowed {
            return false;
        }
        self.key_query_failed(now, k, ErrorKind::DbBreakerOpen, t);
        true
    }

    /// With a breaker on the database, read `k`'s query succeeded (`ok`) or failed at `now`.
    #[inline(never)]
    fn note_db_outcome<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        ok: bool,
        t: &mut Tiers<'_, O>,
    ) {
        let Some(config) = self.settings.db_breaker else {
            return;
        };
        let breaker = &mut self.db_breakers[self.requests.get(k.req).instance as usize];
        let from = breaker.stored_state();
        if let Some(to) = breaker.record(&config.breaker, now, ok) {
            t.observer.db_breaker_changed(from, to);
        }
    }

    /// The database answered query `q` of a read or a background refresh (see
    /// [`ReadPath::owns`]) at `now`: the app writes the value back, and the read is answered.
    pub fn on_answer<O: Observer>(&mut self, now: SimTime, q: &Query, t: &mut Tiers<'_, O>) {
        if let (Some(state), Some(r)) = (self.budget.as_mut(), self.settings.retries) {
            // App retries: a query answered refunds the budget, as a client's success does.
            if let (RetryLayer::App, Some(b), Origin::Key(_)) = (r.by, r.budget, q.origin) {
                state.refund(&b);
            }
        }
        // The app writes the value back; the compute time it saw is stored for early expiration.
        // A result for a version whose key range a newer deploy took over is garbage: dropped.
        // So is the result of a reader whose lease a delete revoked.
        let current = t.versions.is_live(q.version);
        let revoked = match (q.origin, t.cache.as_ref()) {
            (Origin::Key(k), Some(cache)) if self.settings.has_writes => {
                cache.lease_revoked(q.key, self.slot(k).lock_token)
            }
            _ => false,
        };
        let to_gutter = match q.origin {
            Origin::Key(k) if t.cache.as_ref().is_some_and(|c| c.has_gutter()) => {
                self.slot(k).via_gutter
            }
            _ => false,
        };
        if revoked {
            t.observer.set_refused();
        } else if to_gutter {
            // A read that failed over to the gutter pool fills the gutter, not the failed node.
            t.tier().gutter_write(q.key, q.data_version, now);
        } else if current {
            t.write_value(now, q.key, None, now.since(q.submitted), q.data_version);
        }
        match q.origin {
            Origin::Key(k) => {
                if !self.db_breakers.is_empty() {
                    let in_time = self
                        .settings
                        .db_breaker
                        .is_some_and(|b| b.answered_in_time(now.since(q.submitted)));
                    self.note_db_outcome(now, k, in_time, t);
                }
                self.release_lock(now, k, t);
                self.resolve(now, k, Ok(q.data_version), t);
            }
            Origin::Background { instance } => {
                if current {
                    self.app.end_refresh(instance, q.key);
                }
            }
            Origin::Warmup | Origin::NodeWarmup { .. } | Origin::Write { .. } => {
                unreachable!("only the answers of reads and refreshes reach the read path")
            }
        }
    }

    /// Whether the read path made query `q` (a read's, or a background refresh): its answer
    /// and failure are the read path's to handle.
    #[inline]
    pub fn owns(q: &Query) -> bool {
        matches!(q.origin, Origin::Key(_) | Origin::Background { .. })
    }

    /// With app retries, whether the failed query of `k` is sent again after a backoff (its
    /// key's read waits); a retry is counted like a client's, budget included.
    fn app_retries<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        kind: ErrorKind,
        t: &mut Tiers<'_, O>,
    ) -> bool {
        let Some(r) = self.settings.retries.filter(|r| r.by == RetryLayer::App) else {
            return false;
        };
        if kind == ErrorKind::Timeout
            || (self.request(k).abandoned && self.settings.cancel_abandoned)
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
                t.observer.query_retried();
                t.events
                    .schedule(now + wait, Event::App(AppEvent::QueryRetry(k)));
                true
            }
            AfterFailure::Refused => {
                t.observer.retry_refused();
                false
            }
            AfterFailure::GiveUp => false,
        }
    }

    /// The app sends `k`'s failed query again (unless its client left and the app cancels
    /// abandoned work).
    pub(super) fn on_query_retry<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        t: &mut Tiers<'_, O>,
    ) {
        if self.request(k).abandoned && self.settings.cancel_abandoned {
            self.resolve(now, k, Err(ErrorKind::Timeout), t);
            return;
        }
        self.query_for(now, k, Cause::Miss, t);
    }

    /// With `app.cancel_abandoned`, the queries handed a freed database slot, from `next` on,
    /// that no client waits for any more are dropped (their reads fail unseen); returns the
    /// first one someone waits for. Without it, `next` itself.
    pub fn skip_cancelled<O: Observer>(
        &mut self,
        now: SimTime,
        mut next: Option<Query>,
        t: &mut Tiers<'_, O>,
    ) -> Option<Query> {
        if !self.settings.cancel_abandoned {
            return next;
        }
        while let Some(q) = next {
            if !self.nobody_waits_for(&q) {
                return Some(q);
            }
            next = t.db.pass();
            t.observer.query_cancelled();
            t.observer.db_queue_changed(t.db.queue_len());
            self.on_query_failed(now, &q, ErrorKind::Timeout, t);
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

    /// The query of read `k` failed with `kind` (or was never sent): its lock is released,
    /// and the app retries it or the read fails.
    fn key_query_failed<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        kind: ErrorKind,
        t: &mut Tiers<'_, O>,
    ) {
        self.release_lock(now, k, t);
        if self.app_retries(now, k, kind, t) {
            return;
        }
        self.resolve(now, k, Err(kind), t);
    }

    /// Query `q` of a read or a background refresh (see [`ReadPath::owns`]) failed with
    /// `kind`: rejected, timed out in the queue, failed, or cancelled.
    pub fn on_query_failed<O: Observer>(
        &mut self,
        now: SimTime,
        q: &Query,
        kind: ErrorKind,
        t: &mut Tiers<'_, O>,
    ) {
        match q.origin {
            Origin::Key(k) => {
                if !self.db_breakers.is_empty() && kind != ErrorKind::Timeout {
                    // Rejected, timed out in the queue or failed: the database failed the call
                    // (a query cancelled for a client that left is not its failure).
                    self.note_db_outcome(now, k, false, t);
                }
                self.key_query_failed(now, k, kind, t);
            }
            Origin::Background { instance } => {
                if t.versions.is_live(q.version) {
                    self.app.end_refresh(instance, q.key);
                }
            }
            Origin::Warmup | Origin::NodeWarmup { .. } | Origin::Write { .. } => {
                unreachable!("only the queries of reads and refreshes reach the read path")
            }
        }
    }
}
