//! Cache nodes as a failing dependency: sending a read, or a lock request, poll or release,
//! through the nodes' faults (dead, dropping, slow or saturated nodes, the app's timeout and
//! breakers), what the app does when one fails (the gutter pool, the instance's local copy
//! with stale-on-error, or the database), and the timeline actions that kill, restore (at
//! once, or after warming through the database), slow or degrade nodes.

use super::{lane, Event, World};
use crate::engine::{SimDuration, SimTime};
use crate::model::cache::{CacheEvent, NodeEvent, NodeStep, ReadOp, WarmPace, WarmProgress};
use crate::model::config::{Failover, NodeWarmup};
use crate::model::database::{Origin, Query};
use crate::model::mitigation::hedge::{combine, wants_hedge, Outcome};
use crate::model::request::{KeyRef, KeySlot};
use crate::observe::{CacheFailure, Cause, Observer};

/// When the app learns a read's outcome, and whether it was answered.
fn outcome(op: ReadOp) -> Outcome {
    match op {
        ReadOp::Answered { at, .. } => Outcome { at, ok: true },
        ReadOp::Failed { at, .. } => Outcome { at, ok: false },
    }
}

impl<O: Observer> World<'_, O> {
    /// The nodes' own events: a dead node taken out, a returning node's warm-up.
    #[inline(never)]
    pub(super) fn on_node(&mut self, now: SimTime, event: NodeEvent) {
        match self.tier().on_node(now, event) {
            NodeStep::Nothing => {}
            NodeStep::Remapped(moved) => self.observer.keys_remapped(moved),
            NodeStep::Warm(key) => {
                let NodeEvent::WarmupTick { node, entry } = event else {
                    unreachable!("only a warm-up tick sends a key");
                };
                self.submit_query(
                    now,
                    Origin::NodeWarmup { node, entry },
                    Cause::Warmup,
                    key.ckey,
                    key.version,
                );
                if let Some(next) = key.next {
                    self.events.schedule(next, Event::Node(event));
                }
            }
            NodeStep::Restore(node) => self.restore_node(node),
        }
    }

    /// Sends the shared-cache read of `k` at `now`: without node faults or hedging, an answer
    /// after one latency draw.
    #[inline(always)]
    pub(super) fn send_cache_read(&mut self, now: SimTime, k: KeyRef) {
        let hedging = self.config.mitigations.hedge.is_some();
        let cache = self.tier();
        if !cache.has_faults() && !hedging {
            let constant = cache.read_latency_is_constant();
            let at = now + cache.read_latency();
            let reply = Event::Cache(CacheEvent::Reply(k));
            if constant {
                // A constant delay from `now`: a FIFO lane keeps the heap's order.
                self.events.schedule_in_lane(lane::CACHE_REPLY, at, reply);
            } else {
                self.events.schedule(at, reply);
            }
            return;
        }
        self.send_read_through_faults(now, k);
    }

    /// One read of `k` sent at `now` through the nodes' faults (or, without them, answered
    /// after a latency draw).
    fn read_once(&mut self, now: SimTime, k: KeyRef) -> ReadOp {
        let cache = self
            .cache
            .as_mut()
            .expect("cache reads only exist with a cache");
        if !cache.has_faults() {
            let at = now + cache.read_latency();
            return ReadOp::Answered {
                at,
                node: 0,
                wait: crate::engine::SimDuration::ZERO,
            };
        }
        let (ckey, key) = (self.slot(k).ckey, self.slot(k).key);
        let instance = self.request(k).instance;
        let observer = &mut *self.observer;
        let cache = self
            .cache
            .as_mut()
            .expect("cache reads only exist with a cache");
        cache.read_op(now, ckey, key, instance, |c| {
            observer.breaker_changed(c.from, c.to)
        })
    }

    /// A read through the nodes' faults and, with hedging, its hedge.
    #[inline(never)]
    fn send_read_through_faults(&mut self, now: SimTime, k: KeyRef) {
        let mut op = self.read_once(now, k);
        let mut reported = false;
        if let Some(h) = self.config.mitigations.hedge {
            let budget = self.hedge_budget.as_mut().expect("hedging keeps a budget");
            budget.earn(&h);
            let first = outcome(op);
            if wants_hedge(first, now, h.after) && budget.spend() {
                // Both reads went out: their nodes did the work.
                self.report_sent(op);
                let second = self.read_once(now + h.after, k);
                self.report_sent(second);
                reported = true;
                let (_, hedge_won) = combine(first, outcome(second));
                self.observer.hedge_sent(hedge_won);
                if hedge_won {
                    op = second;
                }
            }
        }
        match op {
            ReadOp::Answered { at, node, .. } => {
                if !reported {
                    self.report_sent(op);
                }
                let slot = self.slot_mut(k);
                slot.node = node as u16;
                slot.failure = None;
                self.events.schedule(at, Event::Cache(CacheEvent::Reply(k)));
            }
            ReadOp::Failed { at, node, why, .. } => {
                if !reported {
                    self.report_sent(op);
                }
                let slot = self.slot_mut(k);
                slot.node = node as u16;
                slot.failure = Some(why);
                self.events
                    .schedule(at, Event::Cache(CacheEvent::Failed(k)));
            }
        }
    }

    /// Tells the observer a read went to a node (with node faults; a read an open breaker
    /// kept back went nowhere).
    fn report_sent(&mut self, op: ReadOp) {
        if !self.tier().has_faults() {
            return;
        }
        match op {
            ReadOp::Answered { node, wait, .. } => self.observer.cache_read_sent(node, wait),
            ReadOp::Failed {
                node, why, wait, ..
            } if why != CacheFailure::BreakerOpen => self.observer.cache_read_sent(node, wait),
            ReadOp::Failed { .. } => {}
        }
    }

    /// A read of `k` was answered: with breakers, that call succeeded. (Every answered read
    /// passes here, so the check is inline and the breaker's work out of line.)
    #[inline(always)]
    pub(super) fn note_cache_answer(&mut self, now: SimTime, k: KeyRef) {
        if self.config.mitigations.circuit_breaker.is_some() {
            self.note_breaker_success(now, k);
        }
    }

    #[inline(never)]
    fn note_breaker_success(&mut self, now: SimTime, k: KeyRef) {
        let node = self.slot(k).node as u32;
        let instance = self.request(k).instance;
        if let Some(c) = self.tier().record_outcome(instance, node, now, true) {
            self.observer.breaker_changed(c.from, c.to);
        }
    }

    /// The read of `k` failed: the gutter pool, the local copy (stale-on-error) or the
    /// database answers instead.
    #[inline(never)]
    pub(super) fn on_cache_failed(&mut self, now: SimTime, k: KeyRef) {
        let (slot, instance) = self.report_failed_call(now, k, "a failed read knows why");
        self.observer.cache_lookup(false);
        if self.orphaned(k) {
            self.query_orphan(now, k);
            return;
        }
        if self.tier().has_gutter() {
            self.slot_mut(k).via_gutter = true;
            let latency = self.tier().read_latency();
            self.events
                .schedule(now + latency, Event::Cache(CacheEvent::GutterReply(k)));
            return;
        }
        if self.config.mitigations.stale_on_error {
            let version = self.request(k).version;
            if let Some(data) = self
                .local
                .as_ref()
                .and_then(|l| l.read_any(instance, slot.key, version))
            {
                self.observer.stale_on_error();
                self.resolve(now, k, Ok(data));
                return;
            }
        }
        self.query_for(now, k, Cause::Miss);
    }

    /// The gutter pool answered the read of `k`.
    #[inline(never)]
    pub(super) fn on_gutter_reply(&mut self, now: SimTime, k: KeyRef) {
        if self.orphaned(k) {
            self.query_orphan(now, k);
            return;
        }
        let ckey = self.slot(k).ckey;
        match self.tier().gutter_read(ckey, now) {
            Some(data) => {
                self.observer.gutter_lookup(true);
                self.resolve(now, k, Ok(data));
            }
            None => {
                self.observer.gutter_lookup(false);
                self.query_for(now, k, Cause::Miss);
            }
        }
    }

    /// Timeline: `node` dies; with rehash failover the app takes it out after noticing.
    pub(super) fn kill_node(&mut self, now: SimTime, node: u32) {
        if self.cache.is_none() {
            return;
        }
        self.lose_unflushed(Some(node));
        self.tier().kill_node(node);
        if let Some(Failover::Rehash { after }) = self.config.cache.as_ref().map(|c| c.failover) {
            self.events
                .schedule(now + after, Event::Node(NodeEvent::TakeOut { node }));
        }
    }

    /// Timeline: `node` comes back, empty (or with what a warm-up wrote into it) and takes
    /// traffic.
    pub(super) fn restore_node(&mut self, node: u32) {
        let Some(cache) = self.cache.as_mut() else {
            return;
        };
        let (moved, written) = cache.restore_node(node);
        if moved > 0 {
            self.observer.keys_remapped(moved);
        }
        for (ckey, evicted) in written {
            let key = self.versions.logical(ckey);
            self.observer.value_written(key, evicted);
        }
    }

    /// Timeline entry `entry`: dead `node` comes back but is warmed before it takes traffic.
    /// The app queries the database for the keys the node will own, most popular first, at
    /// `w.rate` a second, like any query (they queue behind the readers' and can time out),
    /// and writes the answers into the node; readers keep going where they went while it was
    /// dead. The node takes traffic when every query is answered, or `w.max` after now.
    pub(super) fn begin_node_warmup(&mut self, now: SimTime, entry: u32, node: u32, w: NodeWarmup) {
        let Some(cache) = self.cache.as_ref() else {
            return;
        };
        if !cache.is_dead(node) {
            // It never died (a warning says so): nothing to warm, nothing to restore.
            self.restore_node(node);
            return;
        }
        // The newest version any instance runs, as a bulk load writes.
        let version = self.newest_version();
        let versions = &self.versions;
        let ckeys = (0..self.config.clients.keyspace).map(|key| versions.cache_key(key, version));
        let keys = cache.keys_owned_on_return(node, ckeys, w.top);
        let pace = WarmPace {
            version,
            start: now,
            rate: w.rate,
        };
        self.tier().begin_warmup(node, entry, pace, keys);
        self.events
            .schedule(now, Event::Node(NodeEvent::WarmupTick { node, entry }));
        if let Some(max) = w.max {
            self.events
                .schedule(now + max, Event::Node(NodeEvent::WarmupEnd { node, entry }));
        }
    }

    /// A warm-up query of timeline entry `entry` was answered: the value goes into the warming
    /// node, or, once the node takes traffic (or the warm-up stopped), into the cache as any
    /// answer does.
    pub(super) fn node_warmup_answered(&mut self, now: SimTime, node: u32, entry: u32, q: &Query) {
        let current = self.versions.is_live(q.version);
        let delta = now.since(q.submitted);
        let version = current.then_some(q.data_version);
        match self
            .tier()
            .warm_answered(node, entry, now, q.key, delta, version)
        {
            WarmProgress::NotWarming => {
                if current {
                    self.write_value(now, q.key, None, delta, q.data_version);
                }
            }
            WarmProgress::Running => {}
            WarmProgress::Done => self.restore_node(node),
        }
    }

    /// A warm-up query of timeline entry `entry` for `ckey` failed (rejected, timed out in
    /// the queue, a transient error): that key is not warmed.
    pub(super) fn node_warmup_failed(&mut self, now: SimTime, node: u32, entry: u32, ckey: u32) {
        let progress = self
            .tier()
            .warm_answered(node, entry, now, ckey, SimDuration::ZERO, None);
        if progress == WarmProgress::Done {
            self.restore_node(node);
        }
    }

    /// Sends the lock (or lease) request of `k`, or its poll (`poll`), to the node that owns
    /// the key, through its faults.
    #[inline(never)]
    pub(super) fn send_lock_op(&mut self, now: SimTime, k: KeyRef, poll: bool) {
        let ckey = self.slot(k).ckey;
        let instance = self.request(k).instance;
        let observer = &mut *self.observer;
        let op = self
            .cache
            .as_mut()
            .expect("lock requests only exist with a cache")
            .lock_op(now, ckey, instance, |c| {
                observer.breaker_changed(c.from, c.to)
            });
        self.report_sent(op);
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
        self.events.schedule(at, Event::Cache(event));
    }

    /// A cache call for `k` failed: the node's failure is reported, and the call counts as a
    /// failure for the app's breaker of that node unless the breaker itself refused it.
    /// `why_known` is the invariant's message (the slot records why the call failed). Returns
    /// the key's slot and the request's app instance.
    fn report_failed_call(&mut self, now: SimTime, k: KeyRef, why_known: &str) -> (KeySlot, u32) {
        let slot = *self.slot(k);
        let why = slot.failure.expect(why_known);
        let instance = self.request(k).instance;
        self.observer.cache_read_failed(slot.node as u32, why);
        if why != CacheFailure::BreakerOpen {
            if let Some(c) = self
                .tier()
                .record_outcome(instance, slot.node as u32, now, false)
            {
                self.observer.breaker_changed(c.from, c.to);
            }
        }
        (slot, instance)
    }

    /// The lock request or poll of `k` failed. The app cannot coordinate through the node, so
    /// the reader rebuilds without the lock, as a failed read does (cache-aside treats cache
    /// errors as misses): it queries the database (a fallback query; the rate limit still
    /// applies), whatever `fallback` says, which is for readers that polled in vain.
    #[inline(never)]
    pub(super) fn on_lock_failed(&mut self, now: SimTime, k: KeyRef) {
        self.report_failed_call(now, k, "a failed lock request knows why");
        if self.orphaned(k) {
            self.query_orphan(now, k);
            return;
        }
        self.end_wait(now, k);
        if self.take_rebuild_token(now, k) {
            self.query_for(now, k, Cause::Fallback);
        } else {
            self.serve_stale_or_fail(now, k);
        }
    }

    /// Sends the release of the lock `token` that `k` holds on `ckey` to the key's node,
    /// without waiting for its answer (the node counts it as an operation).
    #[inline(never)]
    pub(super) fn release_through_faults(
        &mut self,
        now: SimTime,
        k: KeyRef,
        ckey: u32,
        token: u32,
    ) {
        let instance = self.request(k).instance;
        if let Some((node, wait)) = self
            .tier()
            .release_lock_via_node(now, ckey, token, instance)
        {
            self.observer.cache_read_sent(node, wait);
        }
    }
}
