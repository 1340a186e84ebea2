//! The event loop of one run: how requests flow through app instances, the cache and the
//! database. The read path and its mitigations live in [`read_path`]; timeline actions
//! (flushes, preloads, deploys, warm-up) in [`timeline`].

mod read_path;
mod timeline;

use rand::Rng;

use super::app::{Admission as AppAdmission, AppTier};
use super::cache::CacheCluster;
use super::clients::Workload;
use super::config::{ModelConfig, TimelineAction};
use super::database::{Admission, Database, KeyRef, Origin, Query};
use super::distribution::Sampler;
use super::mitigation::jitter;
use super::mitigation::lock::LockTable;
use super::mitigation::lookup::ReadStages;
use super::observe::{Cause, ErrorKind, Observer, RunEnd, Truncation};
use crate::engine::{EventQueue, RandomStreams, SimDuration, SimTime, Stream};

/// Purposes of the random streams. Fixed numbers: changing one changes every published result.
mod purpose {
    pub const ARRIVALS: u64 = 1;
    pub const KEYS: u64 = 2;
    pub const CACHE_LATENCY: u64 = 3;
    pub const DB_SERVICE: u64 = 4;
    pub const TTL_JITTER: u64 = 5;
    pub const EARLY_EXPIRATION: u64 = 6;
    pub const LOCK_LATENCY: u64 = 7;
}

/// FIFO lanes of the event queue for constant-delay events.
mod lane {
    pub const CLIENT_TIMEOUT: usize = 0;
    pub const DB_QUEUE_TIMEOUT: usize = 1;
    pub const COUNT: usize = 2;
}

/// Everything that can happen. Small and `Copy`, so scheduling never allocates.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// The next client request arrives.
    Arrival,
    /// Timeline entry `i` of the configuration takes effect.
    Timeline(u32),
    /// The cache answered a read.
    CacheReply(KeyRef),
    /// The cache answered a lock (or lease) request made after a miss.
    LockReply(KeyRef),
    /// The cache answered the poll of a reader waiting for another's lock.
    PollReply(KeyRef),
    /// The database finished the query in service slot `i`.
    DbDone(u32),
    /// Query `id` has waited its full queue timeout.
    DbQueueTimeout(u64),
    /// The client of request `req` (generation `gen`) gives up.
    ClientTimeout { req: u32, gen: u32 },
    /// Wave `wave` of the deploy at timeline entry `deploy` switches its instances.
    DeployWave { deploy: u32, wave: u32 },
    /// Warm-up of the deploy at timeline entry `deploy` sends its next query.
    WarmupTick { deploy: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Free,
    Queued,
    Running,
}

/// One key of a request and where its read stands.
#[derive(Clone, Copy, Debug)]
struct KeySlot {
    /// Logical key (0 is the most popular).
    key: u32,
    /// Cache key: the key under the version of the instance serving the request.
    ckey: u32,
    /// Next reader waiting on the same coalesced fetch (when this one leads it).
    next_waiter: KeyRef,
    /// Whether this read leads a coalesced fetch on its instance.
    leader: bool,
    /// Lock token held while rebuilding (0: none).
    lock_token: u32,
    /// When this read started waiting for another's lock (`NEVER`: not waiting).
    waiting_since: SimTime,
    /// Polls made while waiting.
    polls: u32,
    /// Whether it was answered by a fresh cache hit.
    fresh_hit: bool,
}

/// A request in the system. Slots are reused; `gen` tells a reused slot from its past self.
#[derive(Clone, Debug)]
struct Request {
    state: State,
    gen: u32,
    arrived: SimTime,
    instance: u32,
    /// Cache-key version the request reads and writes (its instance's when it started).
    version: u32,
    pending: u32,
    error: Option<ErrorKind>,
    abandoned: bool,
    keys: Vec<KeySlot>,
}

/// Per-deploy state, indexed like the timeline.
#[derive(Clone, Copy, Debug, Default)]
struct DeployState {
    /// Version the deploy switches to.
    version: u32,
    /// Whether the new version's keys were cleared of older entries yet.
    prepared: bool,
    /// Next key to warm.
    warm_cursor: u32,
}

struct World<'a, O: Observer> {
    config: &'a ModelConfig,
    events: EventQueue<Event>,
    /// End of arrivals (`duration`); without a drain, also the end of the run.
    end: SimTime,
    /// With a drain, the latest time the run may go on to after `end`.
    drain_until: SimTime,
    workload: Workload,
    cache_latency_rng: Stream,
    lock_latency_rng: Stream,
    jitter_rng: Stream,
    xfetch_rng: Stream,
    cache_latency: Sampler,
    cache: Option<CacheCluster>,
    /// Rebuild locks (or leases) of the cache keys.
    locks: LockTable,
    /// The stages that decide what a cache answer means.
    stages: ReadStages,
    /// A lock holder of this logical key is to die (set by `kill_lock_holder`).
    kill_lock_holder_of: Option<u32>,
    db: Database,
    app: AppTier,
    requests: Vec<Request>,
    free: Vec<u32>,
    in_flight: u32,
    /// Requests admitted whose client is still waiting: neither completed, failed nor
    /// abandoned. Arrived = completed + failed + awaiting, at every moment.
    awaiting: u64,
    /// Set when the run diverged and must stop.
    truncation: Option<Truncation>,
    deploys: Vec<DeployState>,
    /// The version that owns each of the two cache-key ranges: version v uses range v % 2 and
    /// takes it over from version v - 2 when its deploy is prepared.
    range_version: [u32; 2],
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
    let mut world = World::new(config, seed, observer);
    let at = world.run(progress);
    RunEnd {
        at,
        unfinished: world.awaiting,
        truncation: world.truncation.take(),
    }
}

impl<'a, O: Observer> World<'a, O> {
    fn new(config: &'a ModelConfig, seed: u64, observer: &'a mut O) -> Self {
        let streams = RandomStreams::new(seed);
        let c = &config.clients;
        let has_deploy = config
            .timeline
            .iter()
            .any(|e| matches!(e.action, TimelineAction::Deploy(_)));
        // With deploys, two versions of every key can coexist (old and new).
        let cache_keys = if has_deploy {
            2 * c.keyspace
        } else {
            c.keyspace
        };
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
            workload: Workload::new(
                config,
                streams.stream(purpose::ARRIVALS),
                streams.stream(purpose::KEYS),
            ),
            cache_latency_rng: streams.stream(purpose::CACHE_LATENCY),
            lock_latency_rng: streams.stream(purpose::LOCK_LATENCY),
            jitter_rng: streams.stream(purpose::TTL_JITTER),
            xfetch_rng: streams.stream(purpose::EARLY_EXPIRATION),
            cache_latency: config
                .cache
                .as_ref()
                .map(|cc| Sampler::new(&cc.latency))
                .unwrap_or(Sampler::Constant(0)),
            cache: config
                .cache
                .as_ref()
                .map(|cc| CacheCluster::new(cache_keys, cc.nodes, cc.vnodes, cc.capacity)),
            locks: LockTable::new(cache_keys, config.mitigations.lock.is_some()),
            stages: ReadStages::new(&config.mitigations, config.cache.as_ref()),
            kill_lock_holder_of: None,
            db: Database::new(
                config.db.slots,
                config.db.queue_limit,
                Sampler::new(&config.db.service),
                streams.stream(purpose::DB_SERVICE),
            ),
            app: AppTier::new(&config.app, config.mitigations.rate_limit),
            requests: Vec::new(),
            free: Vec::new(),
            in_flight: 0,
            awaiting: 0,
            truncation: None,
            deploys: vec![DeployState::default(); config.timeline.len()],
            range_version: [0, 1],
            observer,
        }
    }

    /// Runs until `duration` (arrivals stop there) or, with a drain, until every admitted
    /// request has completed or failed, or the drain's bound. Returns when the run ended.
    fn run(&mut self, progress: &(dyn Fn(Progress) + Sync)) -> SimTime {
        self.schedule_timeline();
        self.schedule_next_arrival();
        let mut reported = SimTime::ZERO;
        let mut events = 0u64;
        let draining = self.config.drain.is_some();
        let mut run_end = self.end;
        while let Some((now, event)) = self.events.pop() {
            if now >= self.end {
                if !draining || self.awaiting == 0 {
                    break;
                }
                if now >= self.drain_until {
                    run_end = self.drain_until;
                    break;
                }
                // The scenario's own timeline ends with `duration`.
                if matches!(
                    event,
                    Event::Timeline(_) | Event::DeployWave { .. } | Event::WarmupTick { .. }
                ) {
                    continue;
                }
            }
            self.observer.advance(now);
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
            if now >= self.end && self.awaiting == 0 {
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

    fn handle(&mut self, now: SimTime, event: Event) {
        match event {
            Event::Arrival => self.on_arrival(now),
            Event::Timeline(i) => self.on_timeline(now, i as usize),
            Event::CacheReply(k) => self.on_cache_reply(now, k),
            Event::LockReply(k) => self.on_lock_reply(now, k),
            Event::PollReply(k) => self.on_poll_reply(now, k),
            Event::DbDone(slot) => self.on_db_done(now, slot),
            Event::DbQueueTimeout(id) => {
                if let Some(q) = self.db.time_out(id) {
                    self.observer.db_queue_changed(self.db.queue_len());
                    self.query_failed(now, &q, ErrorKind::DbTimeout);
                }
            }
            Event::ClientTimeout { req, gen } => {
                let r = &mut self.requests[req as usize];
                if r.gen == gen && r.state != State::Free && !r.abandoned {
                    r.abandoned = true;
                    self.awaiting -= 1;
                    self.observer.request_failed(ErrorKind::Timeout);
                }
            }
            Event::DeployWave { deploy, wave } => self.on_deploy_wave(now, deploy as usize, wave),
            Event::WarmupTick { deploy } => self.on_warmup_tick(now, deploy as usize),
        }
    }

    fn schedule_next_arrival(&mut self) {
        if let Some(at) = self.workload.next_arrival() {
            self.events.schedule(at, Event::Arrival);
        }
    }

    fn on_arrival(&mut self, now: SimTime) {
        if self.in_flight >= self.config.limits.max_in_flight {
            self.truncation = Some(self.divergence(now));
            return;
        }
        self.schedule_next_arrival();
        self.observer.request_arrived();
        // Draw keys and pick the instance before any admission check, so every strategy consumes
        // the same draws for the same arrival.
        self.workload.draw_keys();
        let instance = self.app.route();
        let admission = self.app.admit(instance);
        if admission == AppAdmission::Reject {
            self.observer.request_failed(ErrorKind::Overload);
            return;
        }

        let req = self.alloc_request(now, instance);
        if let Some(timeout) = self.config.clients.timeout {
            let gen = self.requests[req as usize].gen;
            self.events.schedule_in_lane(
                lane::CLIENT_TIMEOUT,
                now + timeout,
                Event::ClientTimeout { req, gen },
            );
        }
        if admission == AppAdmission::Start {
            self.start_request(now, req);
        } else {
            self.requests[req as usize].state = State::Queued;
            self.app.enqueue(instance, req);
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
                self.in_flight
            ),
        }
    }

    fn alloc_request(&mut self, now: SimTime, instance: u32) -> u32 {
        self.in_flight += 1;
        self.awaiting += 1;
        let idx = match self.free.pop() {
            Some(i) => i,
            None => {
                self.requests.push(Request {
                    state: State::Free,
                    gen: 0,
                    arrived: now,
                    instance,
                    version: 0,
                    pending: 0,
                    error: None,
                    abandoned: false,
                    keys: Vec::with_capacity(self.config.clients.fanout as usize),
                });
                (self.requests.len() - 1) as u32
            }
        };
        let r = &mut self.requests[idx as usize];
        r.arrived = now;
        r.instance = instance;
        r.error = None;
        r.abandoned = false;
        r.keys.clear();
        r.keys
            .extend(self.workload.keys().iter().map(|&key| KeySlot {
                key,
                ckey: key,
                next_waiter: KeyRef::NONE,
                leader: false,
                lock_token: 0,
                waiting_since: SimTime::NEVER,
                polls: 0,
                fresh_hit: false,
            }));
        idx
    }

    fn free_request(&mut self, req: u32) {
        let r = &mut self.requests[req as usize];
        r.state = State::Free;
        r.gen = r.gen.wrapping_add(1);
        self.free.push(req);
        self.in_flight -= 1;
    }

    /// The cache key of `key` under `version`: versions alternate between two key ranges.
    fn cache_key(&self, key: u32, version: u32) -> u32 {
        key + (version % 2) * self.config.clients.keyspace
    }

    /// Whether `version` still owns its key range (range `version % 2`, where all of its cache
    /// keys live), rather than having lost it to the deploy after next.
    fn is_live(&self, version: u32) -> bool {
        self.range_version[(version % 2) as usize] == version
    }

    /// A worker takes the request: read every key from the cache (or the database without one).
    fn start_request(&mut self, now: SimTime, req: u32) {
        let instance = self.requests[req as usize].instance;
        let version = self.app.instances()[instance as usize].version;
        self.requests[req as usize].version = version;
        self.app.start(instance);
        let fanout = self.requests[req as usize].keys.len() as u32;
        for idx in 0..fanout {
            let ckey = self.cache_key(self.requests[req as usize].keys[idx as usize].key, version);
            self.requests[req as usize].keys[idx as usize].ckey = ckey;
        }
        let r = &mut self.requests[req as usize];
        r.state = State::Running;
        r.pending = fanout;
        for idx in 0..fanout {
            let k = KeyRef { req, idx };
            if self.cache.is_some() {
                let latency = self.cache_latency.sample(&mut self.cache_latency_rng);
                self.events.schedule(now + latency, Event::CacheReply(k));
            } else {
                self.query_for(now, k, Cause::Miss);
            }
        }
    }

    fn slot(&self, k: KeyRef) -> &KeySlot {
        &self.requests[k.req as usize].keys[k.idx as usize]
    }

    fn slot_mut(&mut self, k: KeyRef) -> &mut KeySlot {
        &mut self.requests[k.req as usize].keys[k.idx as usize]
    }

    /// Queries the database for read `k`'s key, under the request's version.
    fn query_for(&mut self, now: SimTime, k: KeyRef, cause: Cause) {
        let (ckey, version) = (self.slot(k).ckey, self.requests[k.req as usize].version);
        self.submit_query(now, Origin::Key(k), cause, ckey, version);
    }

    /// Whether read `k`'s version lost its key range to a newer deploy while the read was in
    /// flight: what the cache holds there, and its lock, now belong to the newer version.
    fn orphaned(&self, k: KeyRef) -> bool {
        !self.is_live(self.requests[k.req as usize].version)
    }

    /// Queries the database for `ckey` on behalf of `origin`; `version` is the key version the
    /// result is for (it is written back only if that version still owns the key's range).
    fn submit_query(
        &mut self,
        now: SimTime,
        origin: Origin,
        cause: Cause,
        ckey: u32,
        version: u32,
    ) {
        self.observer.query_submitted(
            cause,
            ckey % self.config.clients.keyspace,
            self.is_live(version),
        );
        let (admission, query) = self.db.submit(origin, cause, ckey, version, now);
        match admission {
            Admission::Started => self.start_query(now, query),
            Admission::Queued => {
                self.observer.db_queue_changed(self.db.queue_len());
                if self.db.queue_len() as u64 > db_queue_cap(self.config)
                    && self.truncation.is_none()
                {
                    // Queries not tied to a waiting request (background refreshes, warm-up)
                    // piled up: the database cannot keep up and nothing bounds its queue.
                    self.truncation = Some(Truncation {
                        at_s: now.as_secs_f64(),
                        reason: format!(
                            "the database queue held {} queries, more than the requests in flight \
                             (limits.max_in_flight × clients.fanout) plus {BACKGROUND_QUERIES_CAP} \
                             background queries",
                            self.db.queue_len()
                        ),
                    });
                }
                if let Some(t) = self.config.db.queue_timeout {
                    self.events.schedule_in_lane(
                        lane::DB_QUEUE_TIMEOUT,
                        now + t,
                        Event::DbQueueTimeout(query.id),
                    );
                }
            }
            Admission::Rejected => self.query_failed(now, &query, ErrorKind::DbRejected),
        }
    }

    fn start_query(&mut self, now: SimTime, q: Query) {
        self.observer
            .query_started(now, now.since(q.submitted), self.db.busy());
        let (slot, done) = self.db.serve(q, now);
        self.events.schedule(done, Event::DbDone(slot));
    }

    fn on_db_done(&mut self, now: SimTime, slot: u32) {
        let (q, next) = self.db.complete(slot);
        match next {
            Some(next) => {
                self.observer.query_completed(now, self.db.busy());
                self.observer.db_queue_changed(self.db.queue_len());
                self.start_query(now, next);
            }
            None => self.observer.query_completed(now, self.db.busy()),
        }
        // The app writes the value back; the compute time it saw is stored for early expiration.
        // A result for a version whose key range a newer deploy took over is garbage: dropped.
        let current = self.is_live(q.version);
        if self.cache.is_some() && current {
            self.write_value(now, q.key, None, now.since(q.submitted));
        }
        match q.origin {
            Origin::Key(k) => {
                self.release_lock(k);
                self.resolve(now, k, None);
            }
            Origin::Background { instance } => {
                if current {
                    self.app.instances_mut()[instance as usize]
                        .refreshing
                        .remove(&q.key);
                }
            }
            Origin::Warmup => {}
        }
    }

    /// Writes `ckey` into the cache at `now` with `ttl` (the cache's TTL if `None`) plus
    /// jitter, and closes the hot key's herd when it is the hot key.
    fn write_value(
        &mut self,
        now: SimTime,
        ckey: u32,
        ttl: Option<SimDuration>,
        delta: SimDuration,
    ) {
        let Some(cache_config) = self.config.cache.as_ref() else {
            return;
        };
        let ttl = ttl.unwrap_or(cache_config.ttl);
        let jitter = cache_config.ttl_jitter;
        // Drawn only with jitter, so switching it on never shifts another stream.
        let u = if jitter == 0.0 {
            0.0
        } else {
            self.jitter_rng.random::<f64>() * 2.0 - 1.0
        };
        let expires = jitter::expiry(now, ttl, jitter, u);
        let cache = self
            .cache
            .as_mut()
            .expect("checked above: there is a cache config");
        let evicted = cache.set(ckey, expires, delta);
        self.observer
            .value_written(ckey % self.config.clients.keyspace, evicted);
    }

    fn query_failed(&mut self, now: SimTime, q: &Query, kind: ErrorKind) {
        match q.origin {
            Origin::Key(k) => {
                self.release_lock(k);
                self.resolve(now, k, Some(kind));
            }
            Origin::Background { instance } => {
                if self.is_live(q.version) {
                    self.app.instances_mut()[instance as usize]
                        .refreshing
                        .remove(&q.key);
                }
            }
            Origin::Warmup => {}
        }
    }

    /// A key of a request is answered (`None`) or failed; so is every read coalesced on it.
    fn resolve(&mut self, now: SimTime, k: KeyRef, error: Option<ErrorKind>) {
        let slot = *self.slot(k);
        if slot.leader {
            let instance = self.requests[k.req as usize].instance as usize;
            // A deploy may have cleared this fetch and a newer read may lead one for the key.
            let fetching = &mut self.app.instances_mut()[instance].fetching;
            if fetching.get(&slot.ckey) == Some(&k) {
                fetching.remove(&slot.ckey);
            }
            let mut w = slot.next_waiter;
            while w != KeyRef::NONE {
                let next = self.slot(w).next_waiter;
                self.key_done(now, w, error);
                w = next;
            }
        }
        self.key_done(now, k, error);
    }

    /// One key of a request is done (or failed); the request finishes when all are.
    fn key_done(&mut self, now: SimTime, k: KeyRef, error: Option<ErrorKind>) {
        let r = &mut self.requests[k.req as usize];
        if r.error.is_none() {
            r.error = error;
        }
        r.pending -= 1;
        if r.pending == 0 {
            self.finish_request(now, k.req);
        }
    }

    fn finish_request(&mut self, now: SimTime, req: u32) {
        let r = &self.requests[req as usize];
        let (instance, abandoned, error, arrived) = (r.instance, r.abandoned, r.error, r.arrived);
        if r.keys.iter().all(|s| s.fresh_hit) {
            self.observer.request_all_hit();
        }
        if !abandoned {
            self.awaiting -= 1;
            match error {
                None => self.observer.request_completed(now.since(arrived)),
                Some(kind) => self.observer.request_failed(kind),
            }
        }
        self.free_request(req);
        self.app.release(instance);
        // The freed worker takes the next queued request whose client is still waiting.
        while let Some(next) = self.app.next_queued(instance) {
            if self.config.app.discard_abandoned && self.requests[next as usize].abandoned {
                self.free_request(next);
                continue;
            }
            self.start_request(now, next);
            break;
        }
    }
}
