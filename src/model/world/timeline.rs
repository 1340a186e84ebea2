//! Timeline actions: flushes, preloads, lock-holder deaths, deploys and their warm-up (the
//! node actions and a returning node's warm-up are in [`super::nodes`]).

use super::{Event, World};
use crate::engine::{SimDuration, SimTime};
use crate::model::config::{KeySet, TimelineAction};
use crate::model::database::Origin;
use crate::observe::{Cause, Observer};

/// What the scenario's timeline makes happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TimelineEvent {
    /// Timeline entry `i` of the configuration takes effect.
    Entry(u32),
    /// Wave `wave` of the deploy at timeline entry `deploy` switches its instances.
    DeployWave { deploy: u32, wave: u32 },
    /// Warm-up of the deploy at timeline entry `deploy` sends its next query.
    WarmupTick { deploy: u32 },
}

/// Per-deploy state, indexed like the timeline.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct DeployState {
    /// Version the deploy switches to.
    version: u32,
    /// Whether the new version's key range was taken over yet.
    prepared: bool,
    /// Next key to warm.
    warm_cursor: u32,
}

impl<O: Observer> World<'_, O> {
    #[inline(never)]
    pub(super) fn on_timeline(&mut self, now: SimTime, event: TimelineEvent) {
        match event {
            TimelineEvent::Entry(i) => self.on_entry(now, i as usize),
            TimelineEvent::DeployWave { deploy, wave } => {
                self.on_deploy_wave(deploy as usize, wave)
            }
            TimelineEvent::WarmupTick { deploy } => self.on_warmup_tick(now, deploy as usize),
        }
    }

    /// Schedules every timeline entry, and the waves and warm-up of every deploy.
    pub(super) fn schedule_timeline(&mut self) {
        let mut version = 0;
        for (i, e) in self.config.timeline.iter().enumerate() {
            self.events
                .schedule(e.at, Event::Timeline(TimelineEvent::Entry(i as u32)));
            if let TimelineAction::Deploy(d) = &e.action {
                version += 1;
                self.deploys[i] = DeployState {
                    version,
                    ..DeployState::default()
                };
                if let Some(w) = d.warmup {
                    self.events.schedule(
                        e.at - w.lead,
                        Event::Timeline(TimelineEvent::WarmupTick { deploy: i as u32 }),
                    );
                }
                for wave in 0..d.waves {
                    let at = e.at + SimDuration(d.wave_interval.0.saturating_mul(wave as u64));
                    self.events.schedule(
                        at,
                        Event::Timeline(TimelineEvent::DeployWave {
                            deploy: i as u32,
                            wave,
                        }),
                    );
                }
            }
        }
    }

    fn on_entry(&mut self, now: SimTime, i: usize) {
        match self.config.timeline[i].action {
            TimelineAction::Flush { node } => {
                self.lose_unflushed(node);
                if let Some(cache) = self.cache.as_mut() {
                    cache.flush(node);
                }
            }
            TimelineAction::Preload { keys, ttl } => {
                if self.cache.is_none() {
                    return;
                }
                let n = match keys {
                    KeySet::All => self.config.clients.keyspace,
                    KeySet::Top(n) => n,
                };
                // A bulk load knows what each value cost: record the database's mean service
                // time, so early expiration has a compute time to work with from the start.
                let delta = SimDuration::from_secs_f64(self.config.db.service.mean_secs());
                // A bulk load writes the newest version any instance runs.
                let version = self.newest_version();
                for key in 0..n {
                    let ckey = self.versions.cache_key(key, version);
                    // A bulk load reads the committed versions.
                    let data = self.db.records().version(key);
                    self.write_value(now, ckey, ttl, delta, data);
                }
            }
            TimelineAction::KillLockHolder { key } => {
                if let Some(cache) = self.cache.as_mut() {
                    cache.doom_next_lock_holder(key);
                }
            }
            TimelineAction::KillNode { node } => self.kill_node(now, node),
            TimelineAction::RestoreNode { node, warmup } => match warmup {
                None => self.restore_node(node),
                Some(w) => self.begin_node_warmup(now, i as u32, node, w),
            },
            TimelineAction::SlowNode {
                node,
                factor,
                lasting,
            } => {
                if let Some(cache) = self.cache.as_mut() {
                    cache.slow_node(node, factor, now + lasting);
                }
            }
            TimelineAction::DropNode {
                node,
                share,
                lasting,
            } => {
                if let Some(cache) = self.cache.as_mut() {
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

    /// The new version takes over the key range of the version before last. What that version
    /// left there is garbage: its entries, locks and fetches in flight. Clear them once, before
    /// the new version is first read or written; its queries still in flight are dropped when
    /// they finish (their version no longer owns the range).
    fn prepare_deploy(&mut self, i: usize) {
        if std::mem::replace(&mut self.deploys[i].prepared, true) {
            return;
        }
        let range = self.versions.take_over(self.deploys[i].version);
        if let Some(cache) = self.cache.as_mut() {
            cache.clear_range(range.clone());
        }
        if let Some(local) = self.local.as_mut() {
            local.clear_range(self.deploys[i].version);
        }
        self.app.forget_range(&range);
    }

    fn on_deploy_wave(&mut self, i: usize, wave: u32) {
        self.prepare_deploy(i);
        let TimelineAction::Deploy(d) = self.config.timeline[i].action else {
            unreachable!("deploy waves are only scheduled for deploys");
        };
        let n = self.app.instance_count();
        let (from, to) = (wave * n / d.waves, (wave + 1) * n / d.waves);
        self.app.switch_version(from, to, self.deploys[i].version);
    }

    fn on_warmup_tick(&mut self, now: SimTime, i: usize) {
        self.prepare_deploy(i);
        let TimelineAction::Deploy(d) = self.config.timeline[i].action else {
            unreachable!("warm-up is only scheduled for deploys");
        };
        let Some(w) = d.warmup else {
            unreachable!("warm-up ticks are only scheduled with a warm-up");
        };
        let version = self.deploys[i].version;
        if !self.versions.is_live(version) {
            // A newer deploy took this version's key range over: its warm-up has no point.
            return;
        }
        let key = self.deploys[i].warm_cursor;
        self.deploys[i].warm_cursor += 1;
        let ckey = self.versions.cache_key(key, version);
        self.submit_query(now, Origin::Warmup, Cause::Warmup, ckey, version);
        if key + 1 < w.top {
            // Key n is warmed n / rate after warm-up starts (no drift from rounding).
            let start = self.config.timeline[i].at - w.lead;
            let next = start + SimDuration::from_secs_f64((key + 1) as f64 / w.rate);
            self.events.schedule(
                next.max(now),
                Event::Timeline(TimelineEvent::WarmupTick { deploy: i as u32 }),
            );
        }
    }
}
