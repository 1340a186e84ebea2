//! The writers: Poisson writes of one key each, with their own rate profile and key popularity,
//! and the draws of their write path (bypass, event loss and lag, their own cache operations),
//! each from its own random stream, so that switching write paths never shifts the reads' draws
//! or the writes' arrivals and keys.

use rand::Rng;

use super::clients::{ArrivalProcess, KeyChooser, TraceFeed};
use super::config::{ModelConfig, Popularity, TimelineAction, WritesConfig};
use super::distribution::Sampler;
use super::mitigation::write_path::{AfterCommit, BeforeCommit, WritePath};
use super::setup::Setups;
use crate::engine::{SimDuration, SimTime, Stream};

/// What the writers do: writes arriving, the write-back flusher running, and the cache
/// operations of the write paths landing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriterEvent {
    /// The next write arrives.
    Arrival,
    /// The write-back flusher runs.
    Flush,
    /// A writer's (or an invalidation event's) delete of logical key `key`, for the write that
    /// committed `version`, reaches the cache.
    Delete {
        /// The logical key.
        key: u32,
        /// The version whose commit the delete is for.
        version: u32,
    },
    /// A writer's delete before its commit reaches the cache; the write goes to the database
    /// after it.
    DeleteThenCommit {
        /// The logical key.
        key: u32,
        /// Whether the write skips the cache otherwise (never, for this path; kept for the
        /// write it becomes).
        bypass: bool,
    },
    /// A writer's set of the value it committed (write-through) reaches the cache.
    Set {
        /// The logical key.
        key: u32,
        /// The committed version.
        version: u32,
    },
    /// A write-back writer's value of `key` reaches the cache.
    WriteBack {
        /// The logical key.
        key: u32,
    },
}

/// The streams writers draw from, one per purpose.
#[derive(Clone, Debug)]
pub struct WriterStreams {
    /// Arrival times.
    pub arrivals: Stream,
    /// Keys written.
    pub keys: Stream,
    /// Bypass, event loss and event lag draws.
    pub path: Stream,
    /// Latency of the writers' own cache operations (deletes, sets).
    pub cache_latency: Stream,
    /// Which writes create absent keys (only drawn from when `writes.creates` is above 0).
    pub creates: Stream,
    /// The run's seed, which picks a replayed trace's key sample (not a stream: nothing is
    /// drawn from it).
    pub run_seed: u64,
}

/// A write arrived: when the next one comes, and what this one does now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrived {
    /// When the next write arrives (`None`: not before the end of arrivals).
    pub next: Option<SimTime>,
    /// What the write does first.
    pub start: WriteStart,
}

/// What an arriving write does first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteStart {
    /// It goes to the database at once.
    Commit(Write),
    /// A replayed trace's delete of the key: it commits the key's removal at once, then
    /// deletes the key in the cache, whatever the write path.
    Delete {
        /// The logical key.
        key: u32,
    },
    /// Its cache operation lands at `at` (a write-back value, or a delete made before the
    /// commit, which commits once it has landed).
    Land {
        /// When it lands.
        at: SimTime,
        /// The operation.
        event: WriterEvent,
    },
}

/// What a committed write does to the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheOp {
    /// Nothing.
    Nothing,
    /// Its invalidation event was sent and lost.
    Lost,
    /// A delete or a set lands at `at`; `lag` is an invalidation event's delivery lag (zero
    /// for the writer's own operation).
    Land {
        /// When it lands.
        at: SimTime,
        /// The operation.
        event: WriterEvent,
        /// The event's delivery lag.
        lag: SimDuration,
    },
}

/// A committed write's operations on the cache: the path's own, and a second, delayed delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Committed {
    /// The write path's operation.
    pub op: CacheOp,
    /// When a second delete lands (double delete), if one is sent.
    pub again: Option<SimTime>,
}

/// One write as it arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Write {
    /// The logical key.
    pub key: u32,
    /// Whether it arrives by a path that skips invalidation.
    pub bypass: bool,
}

/// The write rate over time: `rate` changed by `set_write_rate`, or, with `share`, the read
/// rate (with its `set_rate` changes) times `share / (1 - share)`; with a replayed trace, its
/// writes' mean rate until its last record.
pub fn write_arrivals(model: &ModelConfig, writes: &WritesConfig) -> ArrivalProcess {
    if let Some(t) = &model.clients.trace {
        // A trace's writes at their mean rate over its span, then none.
        return ArrivalProcess::new(writes.rate, [(t.span_secs(), 0.0, 0.0)]);
    }
    match writes.share {
        Some(share) => {
            let per_read = share / (1.0 - share);
            let changes = model.timeline.iter().filter_map(|e| match e.action {
                TimelineAction::SetRate { rps, ramp } => {
                    Some((e.at.as_secs_f64(), rps * per_read, ramp.as_secs_f64()))
                }
                _ => None,
            });
            ArrivalProcess::new(model.clients.rps * per_read, changes)
        }
        None => {
            let changes = model.timeline.iter().filter_map(|e| match e.action {
                TimelineAction::SetWriteRate { rate, ramp } => {
                    Some((e.at.as_secs_f64(), rate, ramp.as_secs_f64()))
                }
                _ => None,
            });
            ArrivalProcess::new(writes.rate, changes)
        }
    }
}

/// Keys written into the cache and not yet committed (write-back).
#[derive(Clone, Debug, Default)]
pub struct WriteBack {
    /// Per key, writes taken by the cache since its last flush.
    pending: Vec<u32>,
    /// Per key, the newest version given to a write (committed or not).
    assigned: Vec<u32>,
    /// Keys with pending writes, oldest first (a key whose writes were lost stays until a
    /// flush skips it).
    dirty: std::collections::VecDeque<u32>,
}

impl WriteBack {
    /// Bytes per key.
    pub const BYTES_PER_KEY: u64 = 2 * std::mem::size_of::<u32>() as u64 + 4;

    /// Nothing pending for `keyspace` keys.
    pub fn new(keyspace: u32) -> Self {
        WriteBack {
            pending: vec![0; keyspace as usize],
            assigned: vec![0; keyspace as usize],
            dirty: std::collections::VecDeque::new(),
        }
    }

    /// The cache took a write of `key`, whose committed version is `committed`: returns the
    /// version the write gets.
    pub fn take(&mut self, key: u32, committed: u32) -> u32 {
        let k = key as usize;
        if self.pending[k] == 0 {
            self.dirty.push_back(key);
        }
        self.pending[k] += 1;
        self.assigned[k] = self.assigned[k].max(committed) + 1;
        self.assigned[k]
    }

    /// The keys a flush commits, oldest first, at most `batch`: each with the version to
    /// commit (its newest). Their writes are no longer pending.
    pub fn flush(&mut self, batch: Option<u32>, out: &mut Vec<(u32, u32)>) {
        out.clear();
        let most = batch.map_or(usize::MAX, |b| b as usize);
        while out.len() < most {
            let Some(key) = self.dirty.pop_front() else {
                break;
            };
            let k = key as usize;
            if self.pending[k] > 0 {
                self.pending[k] = 0;
                out.push((key, self.assigned[k]));
            }
        }
    }

    /// The cache lost every key for which `lost_here` is true: returns how many writes were
    /// lost with them (those not flushed yet).
    pub fn lose(&mut self, mut lost_here: impl FnMut(u32) -> bool) -> u64 {
        let mut lost = 0;
        for &key in &self.dirty {
            let k = key as usize;
            if self.pending[k] > 0 && lost_here(key) {
                lost += self.pending[k] as u64;
                self.pending[k] = 0;
            }
        }
        lost
    }
}

/// The source of writes.
#[derive(Debug)]
pub struct Writers {
    arrivals: ArrivalProcess,
    /// The trace's writes replayed instead of drawn arrivals and keys, if any.
    trace: Option<TraceFeed>,
    keys: KeyChooser,
    streams: WriterStreams,
    path: WritePath,
    bypass: f64,
    lag: Option<Sampler>,
    cache_latency: Sampler,
    end: SimTime,
    /// Delay of the second delete after a commit (double delete).
    double_delete: Option<SimDuration>,
    /// Creating writes: their share, the first absent key, how many there are, and the stream
    /// choosing them.
    creates: Option<(f64, u32, u32)>,
    /// Write-back state (only on the write-back path).
    write_back: Option<WriteBack>,
    /// Keys of the last flush.
    flushed: Vec<(u32, u32)>,
}

impl Writers {
    /// The writers of `writes` in `model`.
    pub fn new(model: &ModelConfig, writes: &WritesConfig, streams: WriterStreams) -> Self {
        Self::with_setups(model, writes, streams, &Setups::default())
    }

    /// [`Writers::new`], its popularity table taken from `setups`.
    pub fn with_setups(
        model: &ModelConfig,
        writes: &WritesConfig,
        streams: WriterStreams,
        setups: &Setups,
    ) -> Self {
        let trace = model
            .clients
            .trace
            .as_ref()
            .map(|t| TraceFeed::open(t, true, SimTime(model.duration.0), streams.run_seed));
        // A traced workload's keys come from the trace: no popularity table is built.
        let popularity = match trace {
            Some(_) => Popularity::Uniform,
            None => writes.popularity,
        };
        Writers {
            arrivals: write_arrivals(model, writes),
            trace,
            keys: KeyChooser::with_table(setups.key_table(model.clients.keyspace, popularity)),
            streams,
            path: writes.path,
            bypass: writes.bypass,
            lag: writes.path.event_lag().map(Sampler::new),
            cache_latency: model
                .cache
                .as_ref()
                .map(|c| Sampler::new(&c.latency))
                .unwrap_or(Sampler::Constant(0)),
            end: SimTime(model.duration.0),
            double_delete: model.mitigations.double_delete,
            write_back: matches!(writes.path, WritePath::WriteBack { .. })
                .then(|| WriteBack::new(model.clients.keyspace)),
            flushed: Vec::new(),
            creates: (writes.creates > 0.0).then_some((
                writes.creates,
                model.clients.keyspace,
                model.clients.absent_keys,
            )),
        }
    }

    /// A write arrives at `now`: the next arrival is drawn, then the write and, when its cache
    /// operation comes first, that operation's latency.
    pub fn on_arrival(&mut self, now: SimTime) -> Arrived {
        // A traced write's key was read with its time, before the next one is read.
        let traced = self.trace.as_ref().map(|f| (f.key(), f.op()));
        let next = self.next_arrival();
        // Drawn for every write, traced or not, so that the draws stay aligned.
        let mut write = self.draw();
        if let Some((key, op)) = traced {
            if op == crate::trace::Op::Delete {
                return Arrived {
                    next,
                    start: WriteStart::Delete { key },
                };
            }
            write.key = key;
        }
        let start = match self.path.before_commit(write.bypass) {
            BeforeCommit::Commit => WriteStart::Commit(write),
            BeforeCommit::CacheFirst => WriteStart::Land {
                at: now + self.cache_latency(),
                event: WriterEvent::WriteBack { key: write.key },
            },
            BeforeCommit::DeleteFirst => WriteStart::Land {
                at: now + self.cache_latency(),
                event: WriterEvent::DeleteThenCommit {
                    key: write.key,
                    bypass: write.bypass,
                },
            },
        };
        Arrived { next, start }
    }

    /// The write-back flusher's next run after `now` (`None`: not on the write-back path, or
    /// not before the end of arrivals).
    pub fn next_flush(&self, now: SimTime) -> Option<SimTime> {
        match self.path {
            WritePath::WriteBack { interval, .. } => {
                Some(now + interval).filter(|&at| at < self.end)
            }
            _ => None,
        }
    }

    /// The write of `key`, committed at `now` as `version`, acts on the cache as its path
    /// says (`bypass`: it skips the cache), with a second delete when double delete is on.
    pub fn on_commit(&mut self, now: SimTime, key: u32, version: u32, bypass: bool) -> Committed {
        let op = match self.after_commit(bypass) {
            AfterCommit::Nothing => CacheOp::Nothing,
            AfterCommit::Lost => CacheOp::Lost,
            AfterCommit::Delete { after } => CacheOp::Land {
                at: now + after + self.cache_latency(),
                event: WriterEvent::Delete { key, version },
                lag: after,
            },
            AfterCommit::Set => CacheOp::Land {
                at: now + self.cache_latency(),
                event: WriterEvent::Set { key, version },
                lag: SimDuration::ZERO,
            },
        };
        let again = match self.double_delete {
            Some(delay) if self.path.deletes() && !bypass => {
                Some(now + delay + self.cache_latency())
            }
            _ => None,
        };
        Committed { op, again }
    }

    /// A trace's delete of `key`, committed at `now` as `version`: the delete of the key in the
    /// cache and when it lands (the writers' own cache latency), whatever the write path.
    pub fn on_delete_commit(&mut self, now: SimTime, key: u32, version: u32) -> CacheOp {
        CacheOp::Land {
            at: now + self.cache_latency(),
            event: WriterEvent::Delete { key, version },
            lag: SimDuration::ZERO,
        }
    }

    /// Write-back state, on the write-back path.
    #[inline]
    pub fn write_back(&mut self) -> Option<&mut WriteBack> {
        self.write_back.as_mut()
    }

    /// Runs a flush: fills `out` with the keys (and versions) to commit now.
    pub fn flush(&mut self, out: &mut Vec<(u32, u32)>) {
        let batch = match self.path {
            WritePath::WriteBack { batch, .. } => batch,
            _ => None,
        };
        if let Some(wb) = self.write_back.as_mut() {
            wb.flush(batch, out);
        }
    }

    /// The buffer of the last flush, to reuse (taken while its keys are committed).
    pub fn take_flush_buffer(&mut self) -> Vec<(u32, u32)> {
        std::mem::take(&mut self.flushed)
    }

    /// Gives the flush buffer back.
    pub fn return_flush_buffer(&mut self, buffer: Vec<(u32, u32)>) {
        self.flushed = buffer;
    }

    /// The write path.
    #[inline]
    pub fn path(&self) -> &WritePath {
        &self.path
    }

    /// When the next write arrives, if before the end of arrivals.
    #[inline]
    pub fn next_arrival(&mut self) -> Option<SimTime> {
        if let Some(feed) = &mut self.trace {
            return feed.next_arrival();
        }
        let t = self.arrivals.next(&mut self.streams.arrivals)?;
        let at = SimTime::from_secs_f64(t);
        (at < self.end).then_some(at)
    }

    /// Draws the key of an arriving write and whether it bypasses invalidation (one draw each,
    /// whatever the share, so every strategy sees the same writes).
    #[inline]
    pub fn draw(&mut self) -> Write {
        let mut key = self.keys.choose(&mut self.streams.keys);
        let u: f64 = self.streams.path.random();
        if let Some((share, first, count)) = self.creates {
            let rng = &mut self.streams.creates;
            let c: f64 = rng.random();
            let id = rng.random_range(0..count);
            if c < share {
                key = first + id;
            }
        }
        Write {
            key,
            bypass: u < self.bypass,
        }
    }

    /// What a committed write does to the cache; draws its event's loss and lag on event paths
    /// (both, lost or not).
    #[inline]
    pub fn after_commit(&mut self, bypass: bool) -> AfterCommit {
        let (loss_draw, lag) = match &self.lag {
            Some(lag) => {
                let u: f64 = self.streams.path.random();
                (u, lag.sample(&mut self.streams.path))
            }
            None => (1.0, SimDuration::ZERO),
        };
        self.path.after_commit(bypass, loss_draw, lag)
    }

    /// Time one of the writers' cache operations takes.
    #[inline]
    pub fn cache_latency(&mut self) -> SimDuration {
        self.cache_latency.sample(&mut self.streams.cache_latency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RandomStreams;
    use crate::model::config::{Distribution, Popularity};

    fn model() -> ModelConfig {
        crate::scenario::parse(
            r#"
name = "t"
seed = 1
duration = "100s"
[clients]
rps = 10
keyspace = 100
[db]
slots = 4
service = "1ms"
"#,
            std::path::Path::new("t.toml"),
        )
        .expect("a valid scenario")
        .base
    }

    fn streams(seed: u64) -> WriterStreams {
        let s = RandomStreams::new(seed);
        WriterStreams {
            arrivals: s.stream(8),
            keys: s.stream(9),
            path: s.stream(11),
            cache_latency: s.stream(12),
            creates: s.stream(17),
            run_seed: seed,
        }
    }

    fn writes(path: WritePath, bypass: f64) -> WritesConfig {
        WritesConfig {
            rate: 50.0,
            share: None,
            popularity: Popularity::Uniform,
            service: Distribution::Constant(SimDuration::from_millis(1)),
            path,
            bypass,
            creates: 0.0,
        }
    }

    #[test]
    fn writes_arrive_at_their_rate_and_every_path_sees_the_same_writes() {
        let m = model();
        let mut a = Writers::new(&m, &writes(WritePath::TtlOnly, 0.0), streams(3));
        let events = WritePath::Events {
            lag: Distribution::Exponential {
                mean: SimDuration::from_millis(100),
            },
            loss: 0.5,
        };
        let mut b = Writers::new(&m, &writes(events, 0.3), streams(3));
        let mut n = 0;
        while let Some(at) = a.next_arrival() {
            assert_eq!(b.next_arrival(), Some(at));
            let (wa, wb) = (a.draw(), b.draw());
            assert_eq!(wa.key, wb.key);
            a.after_commit(wa.bypass);
            b.after_commit(wb.bypass);
            n += 1;
        }
        // 50 writes/s for 100 s: 5000 +- 4 standard deviations.
        assert!((4717..=5283).contains(&n), "{n} writes");
    }

    #[test]
    fn bypass_and_loss_happen_at_their_rates() {
        let m = model();
        let events = WritePath::Events {
            lag: Distribution::Constant(SimDuration::from_millis(100)),
            loss: 0.2,
        };
        let mut w = Writers::new(&m, &writes(events, 0.1), streams(5));
        let (mut bypassed, mut lost, n) = (0, 0, 20_000);
        for _ in 0..n {
            let write = w.draw();
            bypassed += write.bypass as u32;
            match w.after_commit(write.bypass) {
                AfterCommit::Lost => lost += 1,
                AfterCommit::Delete { after } => {
                    assert_eq!(after, SimDuration::from_millis(100))
                }
                AfterCommit::Nothing => assert!(write.bypass),
                AfterCommit::Set => unreachable!("an event path never sets"),
            }
        }
        // Binomial standard errors: 0.1 -> 0.0021 over 20,000; 0.2 -> 0.003 over ~18,000.
        let bypass_share = bypassed as f64 / n as f64;
        let loss_share = lost as f64 / (n - bypassed) as f64;
        assert!((bypass_share - 0.1).abs() < 0.009, "{bypass_share}");
        assert!((loss_share - 0.2).abs() < 0.012, "{loss_share}");
    }

    #[test]
    fn an_arriving_write_commits_at_once_or_sends_its_cache_operation_first() {
        let mut m = model();
        m.cache = None;
        let now = SimTime(7_000);
        let first = |path: WritePath, bypass: f64| {
            Writers::new(&m, &writes(path, bypass), streams(3))
                .on_arrival(now)
                .start
        };
        let write_back = WritePath::WriteBack {
            interval: SimDuration::from_millis(100),
            batch: None,
        };
        // Without a cache, the writers' cache operations take no time.
        assert!(matches!(
            first(WritePath::DeleteAfterCommit, 0.0),
            WriteStart::Commit(_)
        ));
        assert!(matches!(
            first(WritePath::DeleteBeforeCommit, 0.0),
            WriteStart::Land { at, event: WriterEvent::DeleteThenCommit { bypass: false, .. } }
                if at == now
        ));
        assert!(matches!(
            first(write_back, 0.0),
            WriteStart::Land {
                event: WriterEvent::WriteBack { .. },
                ..
            }
        ));
        // A write around the cache goes to the database on every path.
        assert!(matches!(
            first(WritePath::DeleteBeforeCommit, 1.0),
            WriteStart::Commit(Write { bypass: true, .. })
        ));
        assert!(matches!(first(write_back, 1.0), WriteStart::Commit(_)));
        // The next arrival is drawn as next_arrival draws it.
        let mut a = Writers::new(&m, &writes(WritePath::DeleteAfterCommit, 0.0), streams(3));
        let mut b = Writers::new(&m, &writes(WritePath::DeleteAfterCommit, 0.0), streams(3));
        assert_eq!(a.on_arrival(now).next, b.next_arrival());
    }

    #[test]
    fn a_commit_deletes_sets_or_sends_an_event_and_a_double_delete_follows_deletes_only() {
        let mut m = model();
        // Without a cache, the writers' cache operations take no time.
        m.cache = None;
        let now = SimTime(1_000_000);
        let ms = SimDuration::from_millis;
        let delete = |at| CacheOp::Land {
            at,
            event: WriterEvent::Delete { key: 4, version: 2 },
            lag: SimDuration::ZERO,
        };
        let commit = |m: &ModelConfig, path: WritePath, bypass: bool| {
            Writers::new(m, &writes(path, 0.0), streams(3)).on_commit(now, 4, 2, bypass)
        };
        let only = |op| Committed { op, again: None };
        assert_eq!(
            commit(&m, WritePath::DeleteAfterCommit, false),
            only(delete(now))
        );
        assert_eq!(
            commit(&m, WritePath::TtlOnly, false),
            only(CacheOp::Nothing)
        );
        assert_eq!(
            commit(&m, WritePath::DeleteAfterCommit, true),
            only(CacheOp::Nothing)
        );
        assert_eq!(
            commit(&m, WritePath::WriteThrough, false),
            only(CacheOp::Land {
                at: now,
                event: WriterEvent::Set { key: 4, version: 2 },
                lag: SimDuration::ZERO
            })
        );
        let events = WritePath::Events {
            lag: Distribution::Constant(ms(100)),
            loss: 0.0,
        };
        assert_eq!(
            commit(&m, events, false),
            only(CacheOp::Land {
                at: now + ms(100),
                event: WriterEvent::Delete { key: 4, version: 2 },
                lag: ms(100)
            })
        );
        m.mitigations.double_delete = Some(ms(500));
        assert_eq!(
            commit(&m, WritePath::DeleteAfterCommit, false),
            Committed {
                op: delete(now),
                again: Some(now + ms(500))
            }
        );
        // Paths that never delete, and writes around the cache, get no second delete.
        assert_eq!(commit(&m, WritePath::WriteThrough, false).again, None);
        assert_eq!(commit(&m, WritePath::DeleteAfterCommit, true).again, None);
    }

    #[test]
    fn the_flusher_runs_every_interval_until_arrivals_end() {
        let m = model();
        let write_back = WritePath::WriteBack {
            interval: SimDuration::from_millis(400),
            batch: None,
        };
        let w = Writers::new(&m, &writes(write_back, 0.0), streams(3));
        assert_eq!(w.next_flush(SimTime::ZERO), Some(SimTime(400_000_000)));
        // Arrivals end at 100 s.
        assert_eq!(
            w.next_flush(SimTime(99_500_000_000)),
            Some(SimTime(99_900_000_000))
        );
        assert_eq!(w.next_flush(SimTime(99_600_000_000)), None);
        let w = Writers::new(&m, &writes(WritePath::DeleteAfterCommit, 0.0), streams(3));
        assert_eq!(w.next_flush(SimTime::ZERO), None);
    }

    #[test]
    fn a_write_rate_change_moves_writes() {
        let mut m = model();
        m.timeline.push(crate::model::config::TimelineEvent {
            at: SimTime(50_000_000_000),
            action: TimelineAction::SetWriteRate {
                rate: 0.0,
                ramp: SimDuration::ZERO,
            },
        });
        let mut w = Writers::new(&m, &writes(WritePath::TtlOnly, 0.0), streams(2));
        let mut last = SimTime::ZERO;
        while let Some(at) = w.next_arrival() {
            last = at;
        }
        assert!(last < SimTime(50_000_000_000) && last > SimTime(49_000_000_000));
    }
}

#[cfg(test)]
mod write_back_tests {
    use super::WriteBack;

    #[test]
    fn a_flush_commits_each_dirty_key_once_at_its_newest_version() {
        let mut wb = WriteBack::new(4);
        assert_eq!(wb.take(2, 0), 1);
        assert_eq!(wb.take(2, 0), 2);
        assert_eq!(wb.take(1, 5), 6);
        let mut out = Vec::new();
        wb.flush(Some(1), &mut out);
        assert_eq!(out, [(2, 2)], "oldest first, at most the batch");
        wb.flush(None, &mut out);
        assert_eq!(out, [(1, 6)]);
        wb.flush(None, &mut out);
        assert!(out.is_empty());
        // A write after a flush still in flight gets a newer version than the flushed one.
        assert_eq!(wb.take(2, 0), 3);
    }

    #[test]
    fn losing_a_node_loses_exactly_its_unflushed_writes() {
        let mut wb = WriteBack::new(4);
        for key in [0, 1, 1, 3, 3, 3] {
            wb.take(key, 0);
        }
        let mut out = Vec::new();
        wb.flush(Some(1), &mut out); // key 0 is flushed
        assert_eq!(wb.lose(|k| k % 2 == 1), 5, "keys 1 and 3: 2 + 3 writes");
        assert_eq!(wb.lose(|_| true), 0, "nothing left to lose");
        wb.flush(None, &mut out);
        assert!(out.is_empty(), "lost writes are never committed");
    }
}
