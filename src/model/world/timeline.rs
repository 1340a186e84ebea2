//! Timeline actions: flushes, preloads, lock-holder deaths, deploys and their warm-up (the
//! node actions and a returning node's warm-up are in [`super::nodes`]).

use super::{Event, World};
use crate::engine::SimTime;
use crate::model::config::{KeySet, TimelineAction};
use crate::model::database::Origin;
use crate::model::timeline::{TimelineEvent, TimelineStep};
use crate::observe::{Cause, Observer};

impl<O: Observer> World<'_, O> {
    /// A timeline event: the timeline decides, and its step is applied to the parts.
    #[inline(never)]
    pub(super) fn on_timeline(&mut self, now: SimTime, event: TimelineEvent) {
        match self.timeline.on(now, event) {
            TimelineStep::Act { entry, action } => self.on_entry(now, entry, action),
            TimelineStep::Wave {
                take_over,
                from,
                to,
                version,
            } => {
                self.take_over(take_over);
                self.reads.switch_version(from, to, version);
            }
            TimelineStep::Warm {
                take_over,
                key,
                version,
                next,
            } => {
                self.take_over(take_over);
                if !self.tiers.versions.is_live(version) {
                    // A newer deploy took this version's key range over: its warm-up has no
                    // point.
                    return;
                }
                let ckey = self.tiers.versions.cache_key(key, version);
                self.submit_query(now, Origin::Warmup, Cause::Warmup, ckey, version);
                if let Some(next) = next {
                    // The same deploy's next key.
                    self.tiers.events.schedule(next, Event::Timeline(event));
                }
            }
        }
    }

    /// Schedules every timeline entry, and the waves and warm-up of every deploy.
    pub(super) fn schedule_timeline(&mut self) {
        let events = &mut self.tiers.events;
        self.timeline
            .start(|at, e| events.schedule(at, Event::Timeline(e)));
    }

    /// Timeline entry `i` takes effect: its action is applied to the parts it concerns.
    fn on_entry(&mut self, now: SimTime, i: u32, action: &TimelineAction) {
        match *action {
            TimelineAction::Flush { node } => {
                self.lose_unflushed(node);
                if let Some(cache) = self.tiers.cache.as_mut() {
                    cache.flush(node);
                }
            }
            TimelineAction::Preload { keys, ttl } => {
                if self.tiers.cache.is_none() {
                    return;
                }
                let n = match keys {
                    KeySet::All => self.keyspace,
                    KeySet::Top(n) => n,
                };
                // A bulk load knows what each value cost: record the database's mean service
                // time, so early expiration has a compute time to work with from the start.
                let delta = self.db_mean_service;
                // A bulk load writes the newest version any instance runs.
                let version = self.newest_version();
                for key in 0..n {
                    let ckey = self.tiers.versions.cache_key(key, version);
                    // A bulk load reads the committed versions.
                    let data = self.tiers.db.records().version(key);
                    self.write_value(now, ckey, ttl, delta, data);
                }
            }
            TimelineAction::KillLockHolder { key } => {
                if let Some(cache) = self.tiers.cache.as_mut() {
                    cache.doom_next_lock_holder(key);
                }
            }
            TimelineAction::KillNode { node } => self.kill_node(now, node),
            TimelineAction::RestoreNode { node, warmup } => match warmup {
                None => self.restore_node(node),
                Some(w) => self.begin_node_warmup(now, i, node, w),
            },
            TimelineAction::SlowNode {
                node,
                factor,
                lasting,
            } => {
                if let Some(cache) = self.tiers.cache.as_mut() {
                    cache.slow_node(node, factor, now + lasting);
                }
            }
            TimelineAction::DropNode {
                node,
                share,
                lasting,
            } => {
                if let Some(cache) = self.tiers.cache.as_mut() {
                    cache.drop_on_node(node, share, now + lasting);
                }
            }
            // Rate changes are part of the arrival process from the start; deploys act
            // through their own wave and warm-up events.
            TimelineAction::SetRate { .. }
            | TimelineAction::SetWriteRate { .. }
            | TimelineAction::Deploy(_) => {}
        }
    }

    /// The new version takes over the key range of the version before last (`None`: the
    /// deploy did so already). What that version left there is garbage: its entries, locks
    /// and fetches in flight. Clear them once, before the new version is first read or
    /// written; its queries still in flight are dropped when they finish (their version no
    /// longer owns the range).
    fn take_over(&mut self, version: Option<u32>) {
        let Some(version) = version else {
            return;
        };
        let range = self.tiers.versions.take_over(version);
        if let Some(cache) = self.tiers.cache.as_mut() {
            cache.clear_range(range.clone());
        }
        if let Some(local) = self.tiers.local.as_mut() {
            local.clear_range(version);
        }
        self.reads.forget_range(&range);
    }
}
