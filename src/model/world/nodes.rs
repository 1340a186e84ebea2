//! Cache nodes as a failing dependency: sending a read through the nodes' faults (dead,
//! dropping, slow or saturated nodes, the app's timeout and breakers), what the app does when a
//! read fails (the gutter pool, the instance's local copy with stale-on-error, or the
//! database), and the timeline actions that kill, restore, slow or degrade nodes.

use super::timeline::TimelineEvent;
use super::{Event, World};
use crate::engine::SimTime;
use crate::model::cache::{CacheEvent, CacheFailure, ReadOp};
use crate::model::config::Failover;
use crate::model::mitigation::hedge::{combine, wants_hedge, Outcome};
use crate::model::observe::{Cause, Observer};
use crate::model::request::KeyRef;

/// When the app learns a read's outcome, and whether it was answered.
fn outcome(op: ReadOp) -> Outcome {
    match op {
        ReadOp::Answered { at, .. } => Outcome { at, ok: true },
        ReadOp::Failed { at, .. } => Outcome { at, ok: false },
    }
}

impl<O: Observer> World<'_, O> {
    /// Sends the shared-cache read of `k` at `now`: without node faults or hedging, an answer
    /// after one latency draw.
    #[inline(always)]
    pub(super) fn send_cache_read(&mut self, now: SimTime, k: KeyRef) {
        let hedging = self.config.mitigations.hedge.is_some();
        let cache = self.tier();
        if !cache.has_faults() && !hedging {
            let latency = cache.read_latency();
            self.events
                .schedule(now + latency, Event::Cache(CacheEvent::Reply(k)));
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

    /// A read of `k` was answered: with breakers, that call succeeded.
    #[inline]
    pub(super) fn note_cache_answer(&mut self, now: SimTime, k: KeyRef) {
        if self.config.mitigations.circuit_breaker.is_none() {
            return;
        }
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
        let slot = *self.slot(k);
        let why = slot.failure.expect("a failed read knows why");
        let instance = self.request(k).instance;
        self.observer.cache_read_failed(slot.node as u32, why);
        self.observer.cache_lookup(false);
        if why != CacheFailure::BreakerOpen {
            if let Some(c) = self
                .tier()
                .record_outcome(instance, slot.node as u32, now, false)
            {
                self.observer.breaker_changed(c.from, c.to);
            }
        }
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
            self.events.schedule(
                now + after,
                Event::Timeline(TimelineEvent::TakeOutNode { node }),
            );
        }
    }

    /// The app takes dead `node` out of its placement (unless it came back meanwhile).
    pub(super) fn take_out_node(&mut self, node: u32) {
        if let Some(moved) = self.cache.as_mut().and_then(|c| c.take_out_node(node)) {
            self.observer.keys_remapped(moved);
        }
    }

    /// Timeline: `node` comes back, empty.
    pub(super) fn restore_node(&mut self, node: u32) {
        if let Some(cache) = self.cache.as_mut() {
            let moved = cache.restore_node(node);
            if moved > 0 {
                self.observer.keys_remapped(moved);
            }
        }
    }
}
