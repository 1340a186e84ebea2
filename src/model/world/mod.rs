//! The wiring of one run: the world builds the parts from the scenario, runs the event loop,
//! routes each event to the part that owns its family, and passes each part's outputs on. The
//! read path is a part of its own ([`ReadPath`]); what is left here applies the other parts'
//! steps: the database's completions ([`queries`]), the timeline's actions ([`timeline`]), the
//! nodes' events ([`nodes`]) and the writers' ([`writes`]).

mod nodes;
mod queries;
mod timeline;
mod writes;

#[cfg(test)]
mod tests;

use super::cache::{
    CacheTier, LocalCaches, LocalEvent, LocalStreams, NodeFaults, NodeStreams, TierStreams,
};
use super::clients::{ClientEvent, Workload};
use super::config::{Failover, ModelConfig, Placement, TimelineAction};
use super::database::{Database, Query};
use super::distribution::Sampler;
use super::event::{lane, Event};
use super::reads::{ReadPath, ReadStreams};
use super::request::{KeyRef, KeySlot, Request};
use super::setup::{PlacementId, Setups};
use super::tiers::{TierSettings, Tiers};
use super::timeline::Timeline;
use super::versions::KeyVersions;
use super::writes::{WriterStreams, Writers};
use crate::engine::{EventQueue, RandomStreams, SimDuration, SimTime};
use crate::observe::{Observer, RunEnd};

/// Purposes of the random streams. Fixed numbers: changing one changes every published result.
mod purpose {
    pub const ARRIVALS: u64 = 1;
    pub const KEYS: u64 = 2;
    pub const CACHE_LATENCY: u64 = 3;
    pub const DB_SERVICE: u64 = 4;
    pub const TTL_JITTER: u64 = 5;
    pub const EARLY_EXPIRATION: u64 = 6;
    pub const LOCK_LATENCY: u64 = 7;
    pub const WRITE_ARRIVALS: u64 = 8;
    pub const WRITE_KEYS: u64 = 9;
    pub const WRITE_SERVICE: u64 = 10;
    pub const WRITE_PATH: u64 = 11;
    pub const WRITE_CACHE_LATENCY: u64 = 12;
    pub const ABSENT_KEYS: u64 = 13;
    pub const BLOOM_FILTER: u64 = 14;
    pub const LOCAL_LATENCY: u64 = 15;
    pub const LOCAL_PUBSUB: u64 = 16;
    pub const WRITE_CREATES: u64 = 17;
    pub const RETRY_JITTER: u64 = 18;
    pub const DB_ERRORS: u64 = 19;
    pub const CACHE_REPLICAS: u64 = 20;
    pub const CACHE_DROPS: u64 = 21;
    pub const THROTTLE: u64 = 22;
}

struct World<'a, O: Observer> {
    /// End of arrivals (`duration`); without a drain, also the end of the run.
    end: SimTime,
    /// With a drain, the latest time the run may go on to after `end`.
    drain_until: SimTime,
    /// Whether the run drains after `end`.
    draining: bool,
    /// Width of a metrics bucket.
    bucket: SimDuration,
    /// `None` for a read-only workload.
    writers: Option<Writers>,
    /// Requests, the clients' calls and the app tier.
    reads: ReadPath,
    /// The caches, the database, the key versions, the workload, the event queue and the
    /// observer, lent to the read path's handlers.
    tiers: Tiers<'a, O>,
    /// The scenario's timeline and its deploys.
    timeline: Timeline<'a>,
    /// Keys `0..keyspace` exist (what a preload or a node's warm-up covers).
    keyspace: u32,
    /// The database's mean read service time: the compute time recorded for a value a bulk
    /// load or a writer puts into the cache.
    db_mean_service: SimDuration,
    /// With rehash failover, how long the app takes to notice a dead node.
    rehash_after: Option<SimDuration>,
    /// Records of the replayed trace, as counted at validation (0 without a trace): the
    /// progress bar ends at it.
    trace_records_total: u64,
}

/// Bytes one request in flight can hold with `fanout` keys (for memory estimates): its slot
/// with its key reads, one pending event and one database query per key, its client timeout and
/// app queue entry, and coalescing and refresh map entries, all doubled for the slack of
/// growing buffers.
pub(crate) fn request_bytes(fanout: u32) -> u64 {
    use std::mem::size_of;
    let per_key = size_of::<KeySlot>()
        + EventQueue::<Event>::ENTRY_BYTES
        + size_of::<Query>()
        + 2 * (size_of::<u32>() + size_of::<KeyRef>());
    let per_request =
        size_of::<Request>() + EventQueue::<Event>::ENTRY_BYTES + 2 * size_of::<u32>();
    2 * (per_request + fanout as usize * per_key) as u64
}

/// How far a run got since its last report.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Progress {
    /// Simulated seconds covered (up to `duration`; a drain after it is not counted).
    pub simulated_s: f64,
    /// Events handled.
    pub events: u64,
    /// Records (or lines) of a replayed trace read (0 without a trace).
    pub trace_records: u64,
}

/// Whether reads go through node faults: the cache has a timeout, failover, node capacity,
/// replicas, hash-modulo placement or breakers, or the timeline acts on nodes.
pub fn has_node_faults(config: &ModelConfig) -> bool {
    let Some(c) = &config.cache else {
        return false;
    };
    c.timeout.is_some()
        || c.failover != Failover::None
        || c.node_ops_per_s.is_some()
        || c.hot_key_replicas.is_some()
        || c.placement == Placement::Modulo
        || config.mitigations.circuit_breaker.is_some()
        || config.timeline.iter().any(|e| {
            matches!(
                e.action,
                TimelineAction::KillNode { .. }
                    | TimelineAction::RestoreNode { .. }
                    | TimelineAction::SlowNode { .. }
                    | TimelineAction::DropNode { .. }
            )
        })
}

/// Events between two progress reports.
const PROGRESS_EVERY: u64 = 1 << 16;

/// Runs `config` with `seed` to the end, telling `observer` what happens, and says how the
/// run ended. `progress` is called every few tens of thousands of events and at the end, with
/// what was covered since its last call; the simulated seconds add up to `duration`.
pub fn run<O: Observer>(
    config: &ModelConfig,
    seed: u64,
    observer: &mut O,
    progress: &(dyn Fn(Progress) + Sync),
) -> RunEnd {
    run_shared(config, seed, &Setups::default(), observer, progress)
}

/// [`run`], taking the read-only tables it needs (popularity, placement) from `setups`.
pub fn run_shared<O: Observer>(
    config: &ModelConfig,
    seed: u64,
    setups: &Setups,
    observer: &mut O,
    progress: &(dyn Fn(Progress) + Sync),
) -> RunEnd {
    let mut world = World::new_shared(config, seed, setups, observer);
    let at = world.run(progress);
    RunEnd {
        at,
        unfinished: world.awaiting(),
        truncation: world.tiers.truncation.take(),
    }
}

impl<'a, O: Observer> World<'a, O> {
    #[cfg(test)]
    fn new(config: &'a ModelConfig, seed: u64, observer: &'a mut O) -> Self {
        Self::new_shared(config, seed, &Setups::default(), observer)
    }

    fn new_shared(
        config: &'a ModelConfig,
        seed: u64,
        setups: &Setups,
        observer: &'a mut O,
    ) -> Self {
        let streams = RandomStreams::new(seed);
        let keyspace = config.clients.keyspace;
        // Absent keys follow the keyspace: every key a read can ask for has a cache key.
        let all_keys = config.clients.all_keys();
        let has_deploy = config
            .timeline
            .iter()
            .any(|e| matches!(e.action, TimelineAction::Deploy(_)));
        // With deploys, two versions of every key can coexist (old and new).
        let cache_keys = KeyVersions::cache_keys(all_keys, has_deploy);
        let tiers = Tiers {
            events: EventQueue::with_lanes(lane::COUNT),
            workload: Workload::with_key_table(
                config,
                seed,
                streams.stream(purpose::ARRIVALS),
                streams.stream(purpose::KEYS),
                setups.key_table(config.clients.keyspace, config.clients.popularity),
            )
            .with_absent_keys(config, streams.stream(purpose::ABSENT_KEYS)),
            cache: config.cache.as_ref().map(|cc| {
                let tier_streams = TierStreams {
                    latency: streams.stream(purpose::CACHE_LATENCY),
                    lock_latency: streams.stream(purpose::LOCK_LATENCY),
                    ttl_jitter: streams.stream(purpose::TTL_JITTER),
                    early_expiration: streams.stream(purpose::EARLY_EXPIRATION),
                };
                let placement = setups.placement(PlacementId {
                    keys: cache_keys,
                    nodes: cc.nodes,
                    vnodes: cc.vnodes,
                });
                let tier =
                    CacheTier::with_placement(cc, &config.mitigations, tier_streams, placement);
                if !has_node_faults(config) {
                    return tier;
                }
                let faults = NodeFaults::new(
                    cc,
                    config.mitigations.circuit_breaker,
                    config.app.instances,
                    NodeStreams {
                        replicas: streams.stream(purpose::CACHE_REPLICAS),
                        drops: streams.stream(purpose::CACHE_DROPS),
                    },
                );
                let gutter = match cc.failover {
                    Failover::Gutter(g) => Some((g.nodes, g.capacity, g.ttl)),
                    _ => None,
                };
                tier.with_faults(faults, cc.vnodes, gutter)
            }),
            local: config.local_cache.as_ref().map(|lc| {
                LocalCaches::new(
                    lc,
                    keyspace,
                    config.app.instances,
                    if has_deploy { 2 } else { 1 },
                    LocalStreams {
                        latency: streams.stream(purpose::LOCAL_LATENCY),
                        pubsub: streams.stream(purpose::LOCAL_PUBSUB),
                    },
                )
            }),
            db: {
                let db = Database::new(
                    config.db.slots,
                    config.db.queue_limit,
                    Sampler::new(&config.db.service),
                    streams.stream(purpose::DB_SERVICE),
                )
                .with_errors(config.db.error_rate, streams.stream(purpose::DB_ERRORS))
                .with_degradation(config.db.degradation);
                match &config.writes {
                    Some(w) => db.with_writes(
                        // Created keys have versions too.
                        if w.creates > 0.0 { all_keys } else { keyspace },
                        all_keys,
                        Sampler::new(&w.service),
                        streams.stream(purpose::WRITE_SERVICE),
                    ),
                    None => db,
                }
            },
            versions: KeyVersions::new(all_keys),
            observer,
            truncation: None,
            settings: TierSettings::new(config),
        };
        World {
            end: SimTime(config.duration.0),
            drain_until: SimTime(
                config
                    .duration
                    .0
                    .saturating_add(config.drain.map_or(0, |d| d.0)),
            ),
            draining: config.drain.is_some(),
            bucket: config.bucket,
            writers: config.writes.as_ref().map(|w| {
                let writer_streams = WriterStreams {
                    arrivals: streams.stream(purpose::WRITE_ARRIVALS),
                    keys: streams.stream(purpose::WRITE_KEYS),
                    path: streams.stream(purpose::WRITE_PATH),
                    cache_latency: streams.stream(purpose::WRITE_CACHE_LATENCY),
                    creates: streams.stream(purpose::WRITE_CREATES),
                    run_seed: seed,
                };
                Writers::with_setups(config, w, writer_streams, setups)
            }),
            reads: ReadPath::new(
                config,
                ReadStreams {
                    bloom: streams.stream(purpose::BLOOM_FILTER),
                    retry_jitter: streams.stream(purpose::RETRY_JITTER),
                    throttle: streams.stream(purpose::THROTTLE),
                },
            ),
            tiers,
            timeline: Timeline::new(&config.timeline, config.app.instances),
            keyspace,
            db_mean_service: SimDuration::from_secs_f64(config.db.service.mean_secs()),
            rehash_after: match config.cache.as_ref().map(|c| c.failover) {
                Some(Failover::Rehash { after }) => Some(after),
                _ => None,
            },
            trace_records_total: config.clients.trace.as_ref().map_or(0, |t| t.scan.records),
        }
    }

    /// Runs until `duration` (arrivals stop there) or, with a drain, until every admitted
    /// request has completed or failed, or the drain's bound. Returns when the run ended.
    fn run(&mut self, progress: &(dyn Fn(Progress) + Sync)) -> SimTime {
        self.schedule_timeline();
        self.schedule_next_arrival();
        self.schedule_next_write();
        self.schedule_flush(SimTime::ZERO);
        let mut reported = SimTime::ZERO;
        let mut reported_records = 0u64;
        let mut events = 0u64;
        let draining = self.draining;
        let mut run_end = self.end;
        // Asked once per bucket whether the observer is done (phase maps stop early).
        let mut next_bucket = SimTime::ZERO;
        while let Some((now, event)) = self.tiers.events.pop() {
            if now >= self.end {
                if !draining || self.awaiting() == 0 {
                    break;
                }
                if now >= self.drain_until {
                    run_end = self.drain_until;
                    break;
                }
                // The scenario's own timeline ends with `duration`.
                if matches!(event, Event::Timeline(_)) {
                    continue;
                }
            }
            self.tiers.observer.advance(now);
            if now >= next_bucket {
                next_bucket = self.bucket_end(now);
                if self.tiers.observer.should_stop() {
                    run_end = SimTime(next_bucket.0.saturating_sub(self.bucket.0));
                    break;
                }
            }
            events += 1;
            if events % PROGRESS_EVERY == 0 {
                let covered = now.min(self.end);
                let records = self.tiers.workload.trace_records_read();
                progress(Progress {
                    simulated_s: covered.since(reported).as_secs_f64(),
                    events: PROGRESS_EVERY,
                    trace_records: records.saturating_sub(reported_records),
                });
                reported = covered;
                reported_records = records;
            }
            self.handle(now, event);
            if self.tiers.truncation.is_some() {
                // Stop at the end of the bucket: every bucket keeps its full width, so rates
                // stay rates (the last one is partial, and the run is marked truncated).
                run_end = self.bucket_end(now).min(if now < self.end {
                    self.end
                } else {
                    self.drain_until
                });
                break;
            }
            if now >= self.end && self.awaiting() == 0 {
                // The drain is over: the run ends with the bucket of the last request.
                run_end = self.bucket_end(now).min(self.drain_until);
                break;
            }
        }
        // The bar ends full: the trace counted as read whole, as simulated time is.
        let trace_total = self.trace_records_total;
        progress(Progress {
            simulated_s: self.end.since(reported).as_secs_f64(),
            events: events % PROGRESS_EVERY,
            trace_records: trace_total.saturating_sub(reported_records),
        });
        run_end
    }

    /// End of the metrics bucket holding `now`.
    fn bucket_end(&self, now: SimTime) -> SimTime {
        let width = self.bucket.0;
        SimTime((now.0 / width + 1).saturating_mul(width))
    }

    /// Routes `event` to the part that owns its family. Inlined into the event loop: a call
    /// per event saved and restored a dozen registers.
    #[inline(always)]
    fn handle(&mut self, now: SimTime, event: Event) {
        match event {
            Event::Client(ClientEvent::Arrival) => self.on_arrival(now),
            Event::Client(e) => self.reads.on_client(now, e, &mut self.tiers),
            Event::Writers(e) => self.on_writers(now, e),
            Event::App(e) => self.reads.on_app(now, e, &mut self.tiers),
            Event::Cache(e) => self.reads.on_cache(now, e, &mut self.tiers),
            Event::Local(LocalEvent::Delete { instance, key }) => {
                if let Some(local) = self.tiers.local.as_mut() {
                    local.invalidate(instance, key);
                }
            }
            Event::Local(e) => self.reads.on_local(now, e, &mut self.tiers),
            Event::Db(e) => self.on_db(now, e),
            Event::Timeline(e) => self.on_timeline(now, e),
            Event::Node(e) => self.on_node(now, e),
        }
    }

    /// A request arrives: the workload draws its keys (and the next arrival), and the read
    /// path takes it, unless the run diverged.
    #[inline]
    fn on_arrival(&mut self, now: SimTime) {
        if !self.reads.admits_arrival(now, &mut self.tiers) {
            return;
        }
        // Keys are drawn before any admission check, so every strategy consumes the same
        // draws for the same arrival.
        if let Some(at) = self.tiers.workload.on_arrival() {
            self.schedule_arrival(at);
        }
        self.reads.on_arrival(now, &mut self.tiers);
    }

    /// Schedules the first arrival.
    fn schedule_next_arrival(&mut self) {
        if let Some(at) = self.tiers.workload.next_arrival() {
            self.schedule_arrival(at);
        }
    }

    /// Schedules the arrival at `at`: one arrival is pending at a time, each scheduled by the
    /// one before, so it takes the queue's sole slot.
    #[inline(always)]
    fn schedule_arrival(&mut self, at: SimTime) {
        self.tiers
            .events
            .schedule_sole(at, Event::Client(ClientEvent::Arrival));
    }

    /// Clients whose answer is still due: attempts awaited, and calls waiting to retry.
    fn awaiting(&self) -> u64 {
        self.reads.awaiting()
    }

    /// The cache tier, on paths that only exist with one.
    #[inline]
    fn tier(&mut self) -> &mut CacheTier {
        self.tiers
            .cache
            .as_mut()
            .expect("cache events and node paths only exist with a cache")
    }
}
