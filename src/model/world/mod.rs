//! The event loop of one run: how requests flow through app instances, the cache and the
//! database. The read path and its mitigations live in [`read_path`]; timeline actions
//! (flushes, preloads, deploys, warm-up) in [`timeline`].

mod attempts;
mod nodes;
mod queries;
mod read_path;
mod timeline;
mod writes;

#[cfg(test)]
mod tests;

use super::app::{AppEvent, AppTier};
use super::cache::{
    CacheEvent, CacheTier, LocalCaches, LocalEvent, LocalStreams, NodeEvent, NodeFaults,
    NodeStreams, TierStreams,
};
use super::clients::{ClientEvent, Workload};
use super::config::{Failover, ModelConfig, Placement, TimelineAction};
use super::database::{Database, DbEvent, Query};
use super::distribution::Sampler;
use super::mitigation::breaker::Breaker;
use super::mitigation::hedge::HedgeBudget;
use super::mitigation::throttle::Throttle;
use super::request::{KeyRef, KeySlot, Request, Requests, State};
use super::retry::{BudgetState, Calls};
use super::setup::{PlacementId, Setups};
use super::timeline::{Timeline, TimelineEvent};
use super::versions::KeyVersions;
use super::writes::{WriterEvent, WriterStreams, Writers};
use crate::engine::{EventQueue, RandomStreams, SimTime, Stream};
use crate::observe::{Cause, ErrorKind, Observer, RunEnd, Truncation};

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

/// FIFO lanes of the event queue for constant-delay events.
mod lane {
    pub const CLIENT_TIMEOUT: usize = 0;
    pub const DB_QUEUE_TIMEOUT: usize = 1;
    /// Answers to shared-cache reads when their latency is constant (and nothing delays them).
    pub const CACHE_REPLY: usize = 2;
    pub const COUNT: usize = 3;
}

/// Everything that can happen, addressed to the component it concerns. Small and `Copy`, so
/// scheduling never allocates.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// The clients: arrivals, giving up, retrying.
    Client(ClientEvent),
    /// The writers: arrivals, flushes, their cache operations landing.
    Writers(WriterEvent),
    /// The app tier: retries of failed database queries.
    App(AppEvent),
    /// Answers of the shared cache tier to reads, lock requests and polls.
    Cache(CacheEvent),
    /// Answers of the local caches, and their pub/sub messages.
    Local(LocalEvent),
    /// Completions and queue timeouts of the database.
    Db(DbEvent),
    /// The scenario's timeline: its entries, deploy waves and warm-up.
    Timeline(TimelineEvent),
    /// Cache nodes: a dead one taken out, a returning one warmed.
    Node(NodeEvent),
}

/// What a read of one key got: the value at a version (0 without writes), or an error.
type Answer = Result<u32, ErrorKind>;

// An event queue entry stays at 32 bytes: 16 for the key, 16 for the event.
const _: () = assert!(std::mem::size_of::<Event>() <= 16);

struct World<'a, O: Observer> {
    config: &'a ModelConfig,
    events: EventQueue<Event>,
    /// End of arrivals (`duration`); without a drain, also the end of the run.
    end: SimTime,
    /// With a drain, the latest time the run may go on to after `end`.
    drain_until: SimTime,
    workload: Workload,
    /// Draws of the Bloom filter in front of the database (absent keys only).
    bloom_rng: Stream,
    /// `None` for a read-only workload.
    writers: Option<Writers>,
    app: AppTier,
    /// `None` when the strategy runs without a cache.
    cache: Option<CacheTier>,
    /// Each instance's local cache, in front of `cache` (`None`: none).
    local: Option<LocalCaches>,
    db: Database,
    requests: Requests,
    /// The clients' calls, when they retry.
    calls: Calls,
    /// Calls waiting to retry (no attempt in flight).
    retrying: u64,
    /// The retry budget's tokens (only with one).
    budget: Option<BudgetState>,
    /// Draws of retry jitter.
    retry_rng: Stream,
    /// The hedge budget's tokens (only with hedging).
    hedge_budget: Option<HedgeBudget>,
    /// The clients' counts for adaptive throttling (only with it), and its draws.
    throttle: Option<Throttle>,
    throttle_rng: Stream,
    /// Each app instance's circuit breaker on the database (empty without one).
    db_breakers: Vec<Breaker>,
    /// Which key version owns each cache-key range.
    versions: KeyVersions,
    /// The scenario's timeline and its deploys.
    timeline: Timeline<'a>,
    /// Set when the run diverged and must stop.
    truncation: Option<Truncation>,
    /// Receives what happens.
    observer: &'a mut O,
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
}

/// Database queries beyond those of requests in flight (background refreshes, warm-up) the
/// queue may hold before the run counts as diverged.
pub(crate) const BACKGROUND_QUERIES_CAP: u64 = 1_000_000;

/// Longest database queue before the run counts as diverged: every key of every request in
/// flight, plus [`BACKGROUND_QUERIES_CAP`].
fn db_queue_cap(config: &ModelConfig) -> u64 {
    config.limits.max_in_flight as u64 * config.clients.fanout as u64 + BACKGROUND_QUERIES_CAP
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
        truncation: world.truncation.take(),
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
        World {
            config,
            events: EventQueue::with_lanes(lane::COUNT),
            end: SimTime(config.duration.0),
            drain_until: SimTime(
                config
                    .duration
                    .0
                    .saturating_add(config.drain.map_or(0, |d| d.0)),
            ),
            workload: Workload::with_setups(
                config,
                streams.stream(purpose::ARRIVALS),
                streams.stream(purpose::KEYS),
                setups,
            )
            .with_absent_keys(config, streams.stream(purpose::ABSENT_KEYS)),
            bloom_rng: streams.stream(purpose::BLOOM_FILTER),
            writers: config.writes.as_ref().map(|w| {
                let writer_streams = WriterStreams {
                    arrivals: streams.stream(purpose::WRITE_ARRIVALS),
                    keys: streams.stream(purpose::WRITE_KEYS),
                    path: streams.stream(purpose::WRITE_PATH),
                    cache_latency: streams.stream(purpose::WRITE_CACHE_LATENCY),
                    creates: streams.stream(purpose::WRITE_CREATES),
                };
                Writers::with_setups(config, w, writer_streams, setups)
            }),
            app: AppTier::new(&config.app, config.mitigations.rate_limit),
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
            requests: Requests::default(),
            calls: Calls::default(),
            retrying: 0,
            budget: config
                .retries
                .and_then(|r| r.budget)
                .map(|b| BudgetState::new(&b)),
            retry_rng: streams.stream(purpose::RETRY_JITTER),
            hedge_budget: config.mitigations.hedge.map(|h| HedgeBudget::new(&h)),
            throttle: config
                .mitigations
                .adaptive_throttling
                .map(|_| Throttle::default()),
            throttle_rng: streams.stream(purpose::THROTTLE),
            db_breakers: match config.mitigations.db_breaker {
                Some(_) => vec![Breaker::default(); config.app.instances as usize],
                None => Vec::new(),
            },
            versions: KeyVersions::new(all_keys),
            timeline: Timeline::new(&config.timeline, config.app.instances),
            truncation: None,
            observer,
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
        let mut events = 0u64;
        let draining = self.config.drain.is_some();
        let mut run_end = self.end;
        // Asked once per bucket whether the observer is done (phase maps stop early).
        let mut next_bucket = SimTime::ZERO;
        while let Some((now, event)) = self.events.pop() {
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
            self.observer.advance(now);
            if now >= next_bucket {
                next_bucket = self.bucket_end(now);
                if self.observer.should_stop() {
                    run_end = SimTime(next_bucket.0.saturating_sub(self.config.bucket.0));
                    break;
                }
            }
            events += 1;
            if events % PROGRESS_EVERY == 0 {
                let covered = now.min(self.end);
                progress(Progress {
                    simulated_s: covered.since(reported).as_secs_f64(),
                    events: PROGRESS_EVERY,
                });
                reported = covered;
            }
            self.handle(now, event);
            if self.truncation.is_some() {
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
        progress(Progress {
            simulated_s: self.end.since(reported).as_secs_f64(),
            events: events % PROGRESS_EVERY,
        });
        run_end
    }

    /// End of the metrics bucket holding `now`.
    fn bucket_end(&self, now: SimTime) -> SimTime {
        let width = self.config.bucket.0;
        SimTime((now.0 / width + 1).saturating_mul(width))
    }

    /// Routes `event` to the handler of its component.
    #[inline]
    fn handle(&mut self, now: SimTime, event: Event) {
        match event {
            Event::Client(e) => self.on_client(now, e),
            Event::Writers(e) => self.on_writers(now, e),
            Event::App(e) => self.on_app(now, e),
            Event::Cache(e) => self.on_cache(now, e),
            Event::Local(e) => self.on_local(now, e),
            Event::Db(e) => self.on_db(now, e),
            Event::Timeline(e) => self.on_timeline(now, e),
            Event::Node(e) => self.on_node(now, e),
        }
    }

    #[inline]
    fn on_client(&mut self, now: SimTime, event: ClientEvent) {
        match event {
            ClientEvent::Arrival => self.on_arrival(now),
            ClientEvent::GiveUp { req, gen } => self.on_give_up(now, req, gen),
            ClientEvent::Retry { call } => self.on_retry(now, call),
        }
    }

    /// Schedules the first arrival.
    fn schedule_next_arrival(&mut self) {
        if let Some(at) = self.workload.next_arrival() {
            self.events
                .schedule(at, Event::Client(ClientEvent::Arrival));
        }
    }

    /// The run reached its in-flight cap at `now`: says where the backlog is.
    fn divergence(&self, now: SimTime) -> Truncation {
        let app_queued = self.app.queued();
        let db_queued = self.db.queue_len();
        let where_ = if db_queued >= app_queued {
            format!(
                "the database queue held {db_queued} queries ({} slots busy) and app queues {app_queued} requests",
                self.db.busy()
            )
        } else {
            format!(
                "app instance queues held {app_queued} requests waiting for a worker and the database queue {db_queued} queries"
            )
        };
        Truncation {
            at_s: now.as_secs_f64(),
            reason: format!(
                "{} requests were in flight (limits.max_in_flight); {where_}",
                self.requests.in_flight()
            ),
        }
    }

    /// A worker takes the request: read every key from the cache (or the database without one).
    fn start_request(&mut self, now: SimTime, req: u32) {
        let instance = self.requests.get(req).instance;
        let version = self.app.version_of(instance);
        self.app.start(instance);
        let r = self.requests.get_mut(req);
        r.version = version;
        for slot in &mut r.keys {
            slot.ckey = self.versions.cache_key(slot.key, version);
        }
        let fanout = r.keys.len() as u32;
        if self.config.clients.absent_keys > 0 {
            let absent = r
                .keys
                .iter()
                .filter(|s| s.key >= self.config.clients.keyspace)
                .count();
            for _ in 0..absent {
                self.observer.absent_read();
            }
        }
        let r = self.requests.get_mut(req);
        r.state = State::Running;
        r.pending = fanout;
        for idx in 0..fanout {
            let k = KeyRef { req, idx };
            if let Some(local) = self.local.as_mut() {
                if local.eligible(self.requests.slot(k).key) {
                    let latency = local.latency();
                    self.events
                        .schedule(now + latency, Event::Local(LocalEvent::Reply(k)));
                    continue;
                }
            }
            if self.cache.is_some() {
                self.send_cache_read(now, k);
            } else {
                self.query_for(now, k, Cause::Miss);
            }
        }
    }

    #[inline]
    fn slot(&self, k: KeyRef) -> &KeySlot {
        self.requests.slot(k)
    }

    #[inline]
    fn slot_mut(&mut self, k: KeyRef) -> &mut KeySlot {
        self.requests.slot_mut(k)
    }

    #[inline]
    fn request(&self, k: KeyRef) -> &Request {
        self.requests.get(k.req)
    }

    /// Whether read `k`'s version lost its key range to a newer deploy while the read was in
    /// flight: what the cache holds there, and its lock, now belong to the newer version.
    fn orphaned(&self, k: KeyRef) -> bool {
        !self.versions.is_live(self.request(k).version)
    }

    /// A key of a request is answered with the value of a version, or failed; so is every
    /// read coalesced on it.
    #[inline]
    fn resolve(&mut self, now: SimTime, k: KeyRef, answer: Answer) {
        let slot = *self.slot(k);
        if slot.leader {
            let instance = self.request(k).instance;
            // A deploy may have cleared this fetch and a newer read may lead one for the key.
            self.app.end_fetch(instance, slot.ckey, k);
            let mut w = slot.next_waiter;
            while w != KeyRef::NONE {
                let next = self.slot(w).next_waiter;
                self.key_done(now, w, answer);
                w = next;
            }
        }
        self.key_done(now, k, answer);
    }

    /// One key of a request is answered (or failed); the request finishes when all are.
    #[inline]
    fn key_done(&mut self, now: SimTime, k: KeyRef, answer: Answer) {
        let error = match answer {
            Ok(version) => {
                let outdated = if self.config.writes.is_some() {
                    let key = self.requests.slot(k).key;
                    self.db.records().outdated_by(key, version, now)
                } else {
                    None
                };
                self.observer.read_served(outdated);
                if let Some(local) = self.local.as_mut() {
                    // A value from the shared cache or the database is kept locally.
                    let r = self.requests.get(k.req);
                    let slot = &r.keys[k.idx as usize];
                    if !slot.from_local
                        && local.eligible(slot.key)
                        && self.versions.is_live(r.version)
                    {
                        local.fill(r.instance, slot.key, r.version, version, now);
                    }
                }
                None
            }
            Err(kind) => {
                let optional = self.config.clients.optional_keys;
                let fanout = self.requests.get(k.req).keys.len() as u32;
                if optional > 0 && k.idx >= fanout.saturating_sub(optional) {
                    // An optional dependency failed: the answer goes out without it.
                    self.requests.get_mut(k.req).degraded = true;
                    None
                } else {
                    Some(kind)
                }
            }
        };
        if self.requests.key_done(k, error) {
            self.finish_request(now, k.req);
        }
    }
}
