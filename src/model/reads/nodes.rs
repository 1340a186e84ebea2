//! Cache nodes as a failing dependency of reads: sending a read, or a lock request, poll or
//! release, through the nodes' faults (dead, dropping, slow or saturated nodes, the app's
//! timeout and breakers), with hedging, and what the app does when one fails (the gutter pool,
//! the instance's local copy with stale-on-error, or the database).

use super::ReadPath;
use crate::engine::{SimDuration, SimTime};
use crate::model::cache::{CacheEvent, ReadOp};
use crate::model::event::Event;
use crate::model::mitigation::hedge::{combine, wants_hedge, Outcome};
use crate::model::request::{KeyRef, KeySlot};
use crate::model::tiers::Tiers;
use crate::observe::{CacheFailure, Cause, Observer};

/// When the app learns a read's outcome, and whether it was answered.
fn outcome(op: ReadOp) -> Outcome {
    match op {
        ReadOp::Answered { at, .. } => Outcome { at, ok: true },
        ReadOp::Failed { at, .. } => Outcome { at, ok: false },
    }
}

impl ReadPath {
    /// Sends the shared-cache read of `k` at `now`: without node faults or hedging, an answer
    /// after one latency draw.
    #[inline(always)]
    pub(super) fn send_cache_read<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        t: &mut Tiers<'_, O>,
    ) {
        let hedging = self.settings.hedge.is_some();
        let cache = t.tier();
        if !cache.has_faults() && !hedging {
            let latency = cache.read_latency();
            t.events
                .schedule(now + latency, Event::Cache(CacheEvent::Reply(k)));
            return;
        }
        self.send_read_through_faults(now, k, t);
    }

    /// One read of `k` sent at `now` through the nodes' faults (or, without them, answered
    /// after a latency draw).
    fn read_once<O: Observer>(&mut self, now: SimTime, k: KeyRef, t: &mut Tiers<'_, O>) -> ReadOp {
        let cache = t
            .cache
            .as_mut()
            .expect("cache reads only exist with a cache");
        if !cache.has_faults() {
            let at = now + cache.read_latency();
            return ReadOp::Answered {
                at,
                node: 0,
                wait: SimDuration::ZERO,
            };
        }
        let (ckey, key) = (self.slot(k).ckey, self.slot(k).key);
        let instance = self.request(k).instance;
        let observer = &mut *t.observer;
        let cache = t
            .cache
            .as_mut()
            .expect("cache reads only exist with a cache");
        cache.read_op(now, ckey, key, instance, |c| {
            observer.breaker_changed(c.from, c.to)
        })
    }

    /// A read through the nodes' faults and, with hedging, its hedge.
    #[inline(never)]
    fn send_read_through_faults<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        t: &mut Tiers<'_, O>,
    ) {
        let mut op = self.read_once(now, k, t);
        let mut reported = false;
        if let Some(h) = self.settings.hedge {
            let budget = self.hedge_budget.as_mut().expect("hedging keeps a budget");
            budget.earn(&h);
            let first = outcome(op);
            if wants_hedge(first, now, h.after) && budget.spend() {
                // Both reads went out: their nodes did the work.
                self.report_sent(op, t);
                let second = self.read_once(now + h.after, k, t);
                self.report_sent(second, t);
                reported = true;
                let (_, hedge_won) = combine(first, outcome(second));
                t.observer.hedge_sent(hedge_won);
                if hedge_won {
                    op = second;
                }
            }
        }
        match op {
            ReadOp::Answered { at, node, .. } => {
                if !reported {
                    self.report_sent(op, t);
                }
                let slot = self.slot_mut(k);
                slot.node = node as u16;
                slot.failure = None;
                t.events.schedule(at, Event::Cache(CacheEvent::Reply(k)));
            }
            ReadOp::Failed { at, node, why, .. } => {
                if !reported {
                    self.report_sent(op, t);
                }
                let slot = self.slot_mut(k);
                slot.node = node as u16;
                slot.failure = Some(why);
                t.events.schedule(at, Event::Cache(CacheEvent::Failed(k)));
            }
        }
    }

    /// Tells the observer a read went to a node (with node faults; a read an open breaker
    /// kept back went nowhere).
    fn report_sent<O: Observer>(&mut self, op: ReadOp, t: &mut Tiers<'_, O>) {
        if !t.tier().has_faults() {
            return;
        }
        match op {
            ReadOp::Answered { node, wait, .. } => t.observer.cache_read_sent(node, wait),
            ReadOp::Failed {
                node, why, wait, ..
            } if why != CacheFailure::BreakerOpen => t.observer.cache_read_sent(node, wait),
            ReadOp::Failed { .. } => {}
        }
    }

    /// A read of `k` was answered: with breakers, that call succeeded. (Every answered read
    /// passes here, so the check is inline and the breaker's work out of line.)
    #[inline(always)]
    pub(super) fn note_cache_answer<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        t: &mut Tiers<'_, O>,
    ) {
        if self.settings.cache_breakers {
            self.note_breaker_success(now, k, t);
        }
    }

    #[inline(never)]
    fn note_breaker_success<O: Observer>(&mut self, now: SimTime, k: KeyRef, t: &mut Tiers<'_, O>) {
        let node = self.slot(k).node as u32;
        let instance = self.request(k).instance;
        if let Some(c) = t.tier().record_outcome(instance, node, now, true) {
            t.observer.breaker_changed(c.from, c.to);
        }
    }

    /// The read of `k` failed: the gutter pool, the local copy (stale-on-error) or the
    /// database answers instead.
    #[inline(never)]
    pub(super) fn on_cache_failed<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        t: &mut Tiers<'_, O>,
    ) {
        let (slot, instance) = self.report_failed_call(now, k, "a failed read knows why", t);
        t.observer.cache_lookup(false);
        if self.orphaned(k, t) {
            self.query_orphan(now, k, t);
            return;
        }
        if t.tier().has_gutter() {
            self.slot_mut(k).via_gutter = true;
            let latency = t.tier().read_latency();
            t.events
                .schedule(now + latency, Event::Cache(CacheEvent::GutterReply(k)));
            return;
        }
        if self.settings.stale_on_error {
            let version = self.request(k).version;
            if let Some(data) = t
                .local
                .as_ref()
                .and_then(|l| l.read_any(instance, slot.key, version))
            {
                t.observer.stale_on_error();
                self.resolve(now, k, Ok(data), t);
                return;
            }
        }
        self.query_for(now, k, Cause::Miss, t);
    }

    /// The gutter pool answered the read of `k`.
    #[inline(never)]
    pub(super) fn on_gutter_reply<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        t: &mut Tiers<'_, O>,
    ) {
        if self.orphaned(k, t) {
            self.query_orphan(now, k, t);
            return;
        }
        let ckey = self.slot(k).ckey;
        match t.tier().gutter_read(ckey, now) {
            Some(data) => {
                t.observer.gutter_lookup(true);
                self.resolve(now, k, Ok(data), t);
            }
            None => {
                t.observer.gutter_lookup(false);
                self.query_for(now, k, Cause::Miss, t);
            }
        }
    }

    /// Sends the lock (or lease) request of `k`, or its poll (`poll`), to the node that owns
    /// the key, through its faults.
    #[inline(never)]
    pub(super) fn send_lock_op<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        poll: bool,
        t: &mut Tiers<'_, O>,
    ) {
        let ckey = self.slot(k).ckey;
        let instance = self.request(k).instance;
        let observer = &mut *t.observer;
        let op = t
            .cache
            .as_mut()
            .expect("lock requests only exist with a cache")
            .lock_op(now, ckey, instance, |c| {
                observer.breaker_changed(c.from, c.to)
            });
        self.report_sent(op, t);
        let (at, node, failure) = match op {
            ReadOp::Answered { at, node, .. } => (at, node, None),
            ReadOp::Failed { at, node, why, .. } => (at, node, Some(why)),
        };
        let slot = self.slot_mut(k);
        slot.node = node as u16;
        slot.failure = failure;
        let event = match (failure, poll) {
            (Some(_), _) => CacheEvent::LockFailed(k),
            (None, false) => CacheEvent::LockReply(k),
            (None, true) => CacheEvent::PollReply(k),
        };
        t.events.schedule(at, Event::Cache(event));
    }

    /// A cache call for `k` failed: the node's failure is reported, and the call counts as a
    /// failure for the app's breaker of that node unless the breaker itself refused it.
    /// `why_known` is the invariant's message (the slot records why the call failed). Returns
    /// the key's slot and the request's app instance.
    fn report_failed_call<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        why_known: &str,
        t: &mut Tiers<'_, O>,
    ) -> (KeySlot, u32) {
        let slot = *self.slot(k);
        let why = slot.failure.expect(why_known);
        let instance = self.request(k).instance;
        t.observer.cache_read_failed(slot.node as u32, why);
        if why != CacheFailure::BreakerOpen {
            if let Some(c) = t
                .tier()
                .record_outcome(instance, slot.node as u32, now, false)
            {
                t.observer.breaker_changed(c.from, c.to);
            }
        }
        (slot, instance)
    }

    /// The lock request or poll of `k` failed. The app cannot coordinate through the node, so
    /// the reader rebuilds without the lock, as a failed read does (cache-aside treats cache
    /// errors as misses): it queries the database (a fallback query; the rate limit still
    /// applies), whatever `fallback` says, which is for readers that polled in vain.
    #[inline(never)]
    pub(super) fn on_lock_failed<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        t: &mut Tiers<'_, O>,
    ) {
        self.report_failed_call(now, k, "a failed lock request knows why", t);
        if self.orphaned(k, t) {
            self.query_orphan(now, k, t);
            return;
        }
        self.end_wait(now, k, t);
        if self.take_rebuild_token(now, k) {
            self.query_for(now, k, Cause::Fallback, t);
        } else {
            self.serve_stale_or_fail(now, k, t);
        }
    }

    /// Sends the release of the lock `token` that `k` holds on `ckey` to the key's node,
    /// without waiting for its answer (the node counts it as an operation).
    #[inline(never)]
    pub(super) fn release_through_faults<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        ckey: u32,
        token: u32,
        t: &mut Tiers<'_, O>,
    ) {
        let instance = self.request(k).instance;
        if let Some((node, wait)) = t.tier().release_lock_via_node(now, ckey, token, instance) {
            t.observer.cache_read_sent(node, wait);
        }
    }
}
