//! The scenario's timeline as a part: when each entry takes effect, and the deploys' waves and
//! warm-up, with the per-deploy state they need. It decides what happens and when; the world
//! applies the outcome to the other parts (the cache, the app tier, the database).

use super::config::{TimelineAction, TimelineEvent as Entry};
use crate::engine::{SimDuration, SimTime};

/// What the scenario's timeline makes happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimelineEvent {
    /// Timeline entry `i` of the configuration takes effect.
    Entry(u32),
    /// Wave `wave` of the deploy at timeline entry `deploy` switches its instances.
    DeployWave {
        /// The deploy's timeline entry.
        deploy: u32,
        /// The wave, from 0.
        wave: u32,
    },
    /// Warm-up of the deploy at timeline entry `deploy` sends its next query.
    WarmupTick {
        /// The deploy's timeline entry.
        deploy: u32,
    },
}

/// What one timeline event asks of the other parts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TimelineStep<'a> {
    /// Entry `entry` takes effect: `action` is applied to the parts it concerns (rate
    /// changes and deploys act through the arrival process and their own events).
    Act {
        /// The timeline entry.
        entry: u32,
        /// Its action.
        action: &'a TimelineAction,
    },
    /// Instances `from..to` switch to key version `version`.
    Wave {
        /// The first time the deploy acts: the version whose key range it takes over first.
        take_over: Option<u32>,
        /// First instance of the wave.
        from: u32,
        /// One past its last instance.
        to: u32,
        /// The deploy's version.
        version: u32,
    },
    /// The deploy's warm-up queries `key` under `version` (if that version still owns its key
    /// range), and ticks again at `next`.
    Warm {
        /// The first time the deploy acts: the version whose key range it takes over first.
        take_over: Option<u32>,
        /// The logical key to warm.
        key: u32,
        /// The deploy's version.
        version: u32,
        /// When the next key is warmed (`None`: it was the last).
        next: Option<SimTime>,
    },
}

/// Per-deploy state, indexed like the timeline.
#[derive(Clone, Copy, Debug, Default)]
struct DeployState {
    /// Version the deploy switches to.
    version: u32,
    /// Whether the new version's key range was taken over yet.
    prepared: bool,
    /// Next key to warm.
    warm_cursor: u32,
}

/// The timeline's entries and the state of its deploys.
#[derive(Debug)]
pub struct Timeline<'a> {
    entries: &'a [Entry],
    deploys: Vec<DeployState>,
    /// App instances, which deploy waves split.
    instances: u32,
}

impl<'a> Timeline<'a> {
    /// The timeline of `entries` over `instances` app instances; nothing scheduled yet.
    pub fn new(entries: &'a [Entry], instances: u32) -> Self {
        Timeline {
            entries,
            deploys: vec![DeployState::default(); entries.len()],
            instances,
        }
    }

    /// Every event the timeline starts with, in the order they are to be scheduled: each
    /// entry, and the warm-up start and waves of each deploy (deploys get versions 1, 2, ...
    /// in timeline order).
    pub fn start(&mut self, mut schedule: impl FnMut(SimTime, TimelineEvent)) {
        let mut version = 0;
        for (i, e) in self.entries.iter().enumerate() {
            schedule(e.at, TimelineEvent::Entry(i as u32));
            if let TimelineAction::Deploy(d) = &e.action {
                version += 1;
                self.deploys[i] = DeployState {
                    version,
                    ..DeployState::default()
                };
                if let Some(w) = d.warmup {
                    schedule(
                        e.at - w.lead,
                        TimelineEvent::WarmupTick { deploy: i as u32 },
                    );
                }
                for wave in 0..d.waves {
                    let at = e.at + SimDuration(d.wave_interval.0.saturating_mul(wave as u64));
                    schedule(
                        at,
                        TimelineEvent::DeployWave {
                            deploy: i as u32,
                            wave,
                        },
                    );
                }
            }
        }
    }

    /// Handles `event` at `now`: what the other parts are to do.
    pub fn on(&mut self, now: SimTime, event: TimelineEvent) -> TimelineStep<'a> {
        match event {
            TimelineEvent::Entry(i) => TimelineStep::Act {
                entry: i,
                action: &self.entries[i as usize].action,
            },
            TimelineEvent::DeployWave { deploy, wave } => {
                let i = deploy as usize;
                let take_over = self.take_over(i);
                let TimelineAction::Deploy(d) = &self.entries[i].action else {
                    unreachable!("deploy waves are only scheduled for deploys");
                };
                let n = self.instances;
                TimelineStep::Wave {
                    take_over,
                    from: wave * n / d.waves,
                    to: (wave + 1) * n / d.waves,
                    version: self.deploys[i].version,
                }
            }
            TimelineEvent::WarmupTick { deploy } => {
                let i = deploy as usize;
                let take_over = self.take_over(i);
                let entry = &self.entries[i];
                let TimelineAction::Deploy(d) = &entry.action else {
                    unreachable!("warm-up is only scheduled for deploys");
                };
                let Some(w) = d.warmup else {
                    unreachable!("warm-up ticks are only scheduled with a warm-up");
                };
                let key = self.deploys[i].warm_cursor;
                self.deploys[i].warm_cursor += 1;
                // Key n is warmed n / rate after warm-up starts (no drift from rounding).
                let next = (key + 1 < w.top).then(|| {
                    let start = entry.at - w.lead;
                    (start + SimDuration::from_secs_f64((key + 1) as f64 / w.rate)).max(now)
                });
                TimelineStep::Warm {
                    take_over,
                    key,
                    version: self.deploys[i].version,
                    next,
                }
            }
        }
    }

    /// The version deploy `i` takes over with, the first time it acts; `None` after.
    fn take_over(&mut self, i: usize) -> Option<u32> {
        let d = &mut self.deploys[i];
        (!std::mem::replace(&mut d.prepared, true)).then_some(d.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::{Deploy, KeySet, Warmup};

    fn secs(s: u64) -> SimTime {
        SimTime(s * 1_000_000_000)
    }

    fn deploy(at: u64, waves: u32, warmup: Option<Warmup>) -> Entry {
        Entry {
            at: secs(at),
            action: TimelineAction::Deploy(Deploy {
                waves,
                wave_interval: SimDuration::from_secs_f64(10.0),
                warmup,
            }),
        }
    }

    fn started(t: &mut Timeline) -> Vec<(SimTime, TimelineEvent)> {
        let mut out = Vec::new();
        t.start(|at, e| out.push((at, e)));
        out
    }

    #[test]
    fn entries_are_scheduled_in_order_with_each_deploys_warmup_and_waves() {
        let entries = vec![
            Entry {
                at: secs(5),
                action: TimelineAction::Flush { node: None },
            },
            deploy(
                30,
                2,
                Some(Warmup {
                    top: 3,
                    rate: 1.0,
                    lead: SimDuration::from_secs_f64(4.0),
                }),
            ),
        ];
        let mut t = Timeline::new(&entries, 4);
        assert_eq!(
            started(&mut t),
            vec![
                (secs(5), TimelineEvent::Entry(0)),
                (secs(30), TimelineEvent::Entry(1)),
                (secs(26), TimelineEvent::WarmupTick { deploy: 1 }),
                (secs(30), TimelineEvent::DeployWave { deploy: 1, wave: 0 }),
                (secs(40), TimelineEvent::DeployWave { deploy: 1, wave: 1 }),
            ]
        );
        assert_eq!(
            t.on(secs(5), TimelineEvent::Entry(0)),
            TimelineStep::Act {
                entry: 0,
                action: &TimelineAction::Flush { node: None }
            }
        );
    }

    #[test]
    fn waves_split_the_instances_and_only_the_first_step_takes_the_range_over() {
        let entries = vec![deploy(10, 3, None), deploy(100, 1, None)];
        let mut t = Timeline::new(&entries, 5);
        started(&mut t);
        let waves: Vec<_> = (0..3)
            .map(|wave| t.on(secs(10), TimelineEvent::DeployWave { deploy: 0, wave }))
            .collect();
        assert_eq!(
            waves,
            vec![
                TimelineStep::Wave {
                    take_over: Some(1),
                    from: 0,
                    to: 1,
                    version: 1
                },
                TimelineStep::Wave {
                    take_over: None,
                    from: 1,
                    to: 3,
                    version: 1
                },
                TimelineStep::Wave {
                    take_over: None,
                    from: 3,
                    to: 5,
                    version: 1
                },
            ]
        );
        // The second deploy runs version 2, all instances at once.
        assert_eq!(
            t.on(secs(100), TimelineEvent::DeployWave { deploy: 1, wave: 0 }),
            TimelineStep::Wave {
                take_over: Some(2),
                from: 0,
                to: 5,
                version: 2
            }
        );
    }

    #[test]
    fn warmup_walks_the_top_keys_at_its_rate_and_stops_after_the_last() {
        let entries = vec![
            Entry {
                at: secs(1),
                action: TimelineAction::Preload {
                    keys: KeySet::All,
                    ttl: None,
                },
            },
            deploy(
                20,
                1,
                Some(Warmup {
                    top: 3,
                    rate: 2.0,
                    lead: SimDuration::from_secs_f64(10.0),
                }),
            ),
        ];
        let mut t = Timeline::new(&entries, 2);
        started(&mut t);
        let tick = TimelineEvent::WarmupTick { deploy: 1 };
        let half = SimDuration::from_secs_f64(0.5);
        assert_eq!(
            t.on(secs(10), tick),
            TimelineStep::Warm {
                take_over: Some(1),
                key: 0,
                version: 1,
                next: Some(secs(10) + half)
            }
        );
        // A late tick is not drifted: key 2 is due at 11 s, whenever key 1 went.
        assert_eq!(
            t.on(secs(10) + half + half, tick),
            TimelineStep::Warm {
                take_over: None,
                key: 1,
                version: 1,
                next: Some(secs(11))
            }
        );
        assert_eq!(
            t.on(secs(11), tick),
            TimelineStep::Warm {
                take_over: None,
                key: 2,
                version: 1,
                next: None
            }
        );
    }
}
