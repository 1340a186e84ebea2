//! The cache nodes' events (a dead node taken out, a returning node's warm-up) and the
//! timeline actions that kill or restore nodes (at once, or after warming through the
//! database). Reads through the nodes' faults are the read path's.

use super::{Event, World};
use crate::engine::{SimDuration, SimTime};
use crate::model::cache::{NodeEvent, NodeStep, WarmPace, WarmProgress};
use crate::model::config::NodeWarmup;
use crate::model::database::{Origin, Query};
use crate::observe::{Cause, Observer};

impl<O: Observer> World<'_, O> {
    /// The nodes' own events: a dead node taken out, a returning node's warm-up.
    #[inline(never)]
    pub(super) fn on_node(&mut self, now: SimTime, event: NodeEvent) {
        match self.tier().on_node(now, event) {
            NodeStep::Nothing => {}
            NodeStep::Remapped(moved) => self.tiers.observer.keys_remapped(moved),
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
                    self.tiers.events.schedule(next, Event::Node(event));
                }
            }
            NodeStep::Restore(node) => self.restore_node(node),
        }
    }

    /// Timeline: `node` dies; with rehash failover the app takes it out after noticing.
    pub(super) fn kill_node(&mut self, now: SimTime, node: u32) {
        if self.tiers.cache.is_none() {
            return;
        }
        self.lose_unflushed(Some(node));
        self.tier().kill_node(node);
        if let Some(after) = self.rehash_after {
            self.tiers
                .events
                .schedule(now + after, Event::Node(NodeEvent::TakeOut { node }));
        }
    }

    /// Timeline: `node` comes back, empty (or with what a warm-up wrote into it) and takes
    /// traffic.
    pub(super) fn restore_node(&mut self, node: u32) {
        let Some(cache) = self.tiers.cache.as_mut() else {
            return;
        };
        let (moved, written) = cache.restore_node(node);
        if moved > 0 {
            self.tiers.observer.keys_remapped(moved);
        }
        for (ckey, evicted) in written {
            let key = self.tiers.versions.logical(ckey);
            self.tiers.observer.value_written(key, evicted);
        }
    }

    /// Timeline entry `entry`: dead `node` comes back but is warmed before it takes traffic.
    /// The app queries the database for the keys the node will own, most popular first, at
    /// `w.rate` a second, like any query (they queue behind the readers' and can time out),
    /// and writes the answers into the node; readers keep going where they went while it was
    /// dead. The node takes traffic when every query is answered, or `w.max` after now.
    pub(super) fn begin_node_warmup(&mut self, now: SimTime, entry: u32, node: u32, w: NodeWarmup) {
        let Some(cache) = self.tiers.cache.as_ref() else {
            return;
        };
        if !cache.is_dead(node) {
            // It never died (a warning says so): nothing to warm, nothing to restore.
            self.restore_node(node);
            return;
        }
        // The newest version any instance runs, as a bulk load writes.
        let version = self.newest_version();
        let versions = &self.tiers.versions;
        let ckeys = (0..self.keyspace).map(|key| versions.cache_key(key, version));
        let keys = cache.keys_owned_on_return(node, ckeys, w.top);
        let pace = WarmPace {
            version,
            start: now,
            rate: w.rate,
        };
        self.tier().begin_warmup(node, entry, pace, keys);
        self.tiers
            .events
            .schedule(now, Event::Node(NodeEvent::WarmupTick { node, entry }));
        if let Some(max) = w.max {
            self.tiers
                .events
                .schedule(now + max, Event::Node(NodeEvent::WarmupEnd { node, entry }));
        }
    }

    /// A warm-up query of timeline entry `entry` was answered: the value goes into the warming
    /// node, or, once the node takes traffic (or the warm-up stopped), into the cache as any
    /// answer does.
    pub(super) fn node_warmup_answered(&mut self, now: SimTime, node: u32, entry: u32, q: &Query) {
        let current = self.tiers.versions.is_live(q.version);
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
}
