//! The event loop of one run: how requests flow through app instances, the cache and the database.

use std::collections::VecDeque;

use rand::Rng;

use super::cache::{CacheCluster, Lookup};
use super::clients::{ArrivalProcess, KeyChooser};
use super::config::{KeySet, ModelConfig, TimelineAction};
use super::database::{Admission, Database, Origin, Query};
use super::distribution::Sampler;
use crate::engine::{EventQueue, RandomStreams, SimDuration, SimTime, Stream};
use crate::metrics::{ErrorKind, Recorder, RunResult};

/// Purposes of the random streams. Fixed numbers: changing one changes every published result.
mod purpose {
    pub const ARRIVALS: u64 = 1;
    pub const KEYS: u64 = 2;
    pub const CACHE_LATENCY: u64 = 3;
    pub const DB_SERVICE: u64 = 4;
    pub const TTL_JITTER: u64 = 5;
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
    /// The cache answered the read of key `key_idx` of request `req`.
    CacheReply { req: u32, key_idx: u32 },
    /// The database finished a query.
    DbDone { origin: Origin, key: u32 },
    /// Query `id` has waited its full queue timeout.
    DbQueueTimeout { id: u64 },
    /// The client of request `req` (generation `gen`) gives up.
    ClientTimeout { req: u32, gen: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Free,
    Queued,
    Running,
}

/// A request in the system. Slots are reused; `gen` tells a reused slot from its past self.
#[derive(Clone, Debug)]
struct Request {
    state: State,
    gen: u32,
    arrived: SimTime,
    instance: u32,
    pending: u32,
    error: Option<ErrorKind>,
    abandoned: bool,
    keys: Vec<u32>,
}

struct Instance {
    busy: u32,
    queue: VecDeque<u32>,
}

struct World<'a> {
    config: &'a ModelConfig,
    events: EventQueue<Event>,
    end: SimTime,
    arrivals: ArrivalProcess,
    keys: KeyChooser,
    arrival_rng: Stream,
    key_rng: Stream,
    cache_latency_rng: Stream,
    db_rng: Stream,
    jitter_rng: Stream,
    cache_latency: Sampler,
    db_service: Sampler,
    cache: Option<CacheCluster>,
    db: Database,
    instances: Vec<Instance>,
    next_instance: u32,
    requests: Vec<Request>,
    free: Vec<u32>,
    in_flight: u32,
    scratch_keys: Vec<u32>,
    recorder: Recorder,
}

/// Runs `config` with `seed` to the end and returns its measurements. `progress` is called with
/// the simulated seconds covered each time a metrics bucket closes.
pub fn simulate(config: &ModelConfig, seed: u64, progress: &(dyn Fn(f64) + Sync)) -> RunResult {
    let mut world = World::new(config, seed);
    world.run(progress);
    world.recorder.finish()
}

impl<'a> World<'a> {
    fn new(config: &'a ModelConfig, seed: u64) -> Self {
        let streams = RandomStreams::new(seed);
        let c = &config.clients;
        World {
            config,
            events: EventQueue::with_lanes(lane::COUNT),
            end: SimTime(config.duration.0),
            arrivals: ArrivalProcess::from_config(config),
            keys: KeyChooser::new(c.keyspace, c.popularity),
            arrival_rng: streams.stream(purpose::ARRIVALS),
            key_rng: streams.stream(purpose::KEYS),
            cache_latency_rng: streams.stream(purpose::CACHE_LATENCY),
            db_rng: streams.stream(purpose::DB_SERVICE),
            jitter_rng: streams.stream(purpose::TTL_JITTER),
            cache_latency: config
                .cache
                .as_ref()
                .map(|cc| Sampler::new(&cc.latency))
                .unwrap_or(Sampler::Constant(0)),
            db_service: Sampler::new(&config.db.service),
            cache: config
                .cache
                .as_ref()
                .map(|cc| CacheCluster::new(c.keyspace, cc.nodes, cc.vnodes, cc.capacity)),
            db: Database::new(config.db.slots, config.db.queue_limit),
            instances: (0..config.app.instances)
                .map(|_| Instance {
                    busy: 0,
                    queue: VecDeque::new(),
                })
                .collect(),
            next_instance: 0,
            requests: Vec::new(),
            free: Vec::new(),
            in_flight: 0,
            scratch_keys: Vec::with_capacity(c.fanout as usize),
            recorder: Recorder::new(config.duration, config.bucket, config.db.slots),
        }
    }

    fn run(&mut self, progress: &(dyn Fn(f64) + Sync)) {
        for (i, e) in self.config.timeline.iter().enumerate() {
            self.events.schedule(e.at, Event::Timeline(i as u32));
        }
        self.schedule_next_arrival();
        let bucket_s = self.config.bucket.as_secs_f64();
        let mut reported = 0;
        while let Some((now, event)) = self.events.pop() {
            if now >= self.end {
                break;
            }
            self.recorder.advance(now);
            let bucket = self.recorder.current_bucket();
            if bucket > reported {
                progress((bucket - reported) as f64 * bucket_s);
                reported = bucket;
            }
            self.handle(now, event);
        }
        let left = self.config.duration.as_secs_f64() - reported as f64 * bucket_s;
        progress(left.max(0.0));
    }

    fn handle(&mut self, now: SimTime, event: Event) {
        match event {
            Event::Arrival => self.on_arrival(now),
            Event::Timeline(i) => self.on_timeline(now, i as usize),
            Event::CacheReply { req, key_idx } => self.on_cache_reply(now, req, key_idx),
            Event::DbDone { origin, key } => self.on_db_done(now, origin, key),
            Event::DbQueueTimeout { id } => {
                if let Some(q) = self.db.time_out(id) {
                    self.recorder.db_queue_len(self.db.queue_len());
                    self.query_failed(now, q.origin, ErrorKind::DbTimeout);
                }
            }
            Event::ClientTimeout { req, gen } => {
                let r = &mut self.requests[req as usize];
                if r.gen == gen && r.state != State::Free && !r.abandoned {
                    r.abandoned = true;
                    self.recorder.error(ErrorKind::Timeout);
                }
            }
        }
    }

    fn schedule_next_arrival(&mut self) {
        if let Some(t) = self.arrivals.next(&mut self.arrival_rng) {
            let at = SimTime::from_secs_f64(t);
            if at < self.end {
                self.events.schedule(at, Event::Arrival);
            }
        }
    }

    fn on_arrival(&mut self, now: SimTime) {
        self.schedule_next_arrival();
        self.recorder.arrived();
        // Draw keys and pick the instance before any admission check, so every strategy consumes
        // the same draws for the same arrival.
        self.keys.choose_distinct(
            &mut self.key_rng,
            self.config.clients.fanout,
            &mut self.scratch_keys,
        );
        let instance = self.next_instance;
        self.next_instance = (self.next_instance + 1) % self.config.app.instances;

        if self.in_flight >= self.config.limits.max_in_flight {
            self.recorder.in_flight_cap_reached();
            self.recorder.error(ErrorKind::Overload);
            return;
        }
        let inst = &self.instances[instance as usize];
        let has_worker = self.config.app.workers.is_none_or(|w| inst.busy < w);
        if !has_worker
            && self
                .config
                .app
                .queue_limit
                .is_some_and(|l| inst.queue.len() >= l as usize)
        {
            self.recorder.error(ErrorKind::Overload);
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
        if has_worker {
            self.start_request(now, req);
        } else {
            self.requests[req as usize].state = State::Queued;
            self.instances[instance as usize].queue.push_back(req);
        }
    }

    fn alloc_request(&mut self, now: SimTime, instance: u32) -> u32 {
        self.in_flight += 1;
        let idx = match self.free.pop() {
            Some(i) => i,
            None => {
                self.requests.push(Request {
                    state: State::Free,
                    gen: 0,
                    arrived: now,
                    instance,
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
        r.keys.extend_from_slice(&self.scratch_keys);
        idx
    }

    fn free_request(&mut self, req: u32) {
        let r = &mut self.requests[req as usize];
        r.state = State::Free;
        r.gen = r.gen.wrapping_add(1);
        self.free.push(req);
        self.in_flight -= 1;
    }

    /// A worker takes the request: read every key from the cache (or the database without one).
    fn start_request(&mut self, now: SimTime, req: u32) {
        let r = &mut self.requests[req as usize];
        r.state = State::Running;
        r.pending = r.keys.len() as u32;
        let instance = r.instance;
        self.instances[instance as usize].busy += 1;
        let fanout = self.requests[req as usize].keys.len() as u32;
        for key_idx in 0..fanout {
            if self.cache.is_some() {
                let latency = self.cache_latency.sample(&mut self.cache_latency_rng);
                self.events
                    .schedule(now + latency, Event::CacheReply { req, key_idx });
            } else {
                let key = self.requests[req as usize].keys[key_idx as usize];
                self.submit_query(now, Origin::Request { req, key_idx }, key);
            }
        }
    }

    fn on_cache_reply(&mut self, now: SimTime, req: u32, key_idx: u32) {
        let key = self.requests[req as usize].keys[key_idx as usize];
        let cache = self
            .cache
            .as_mut()
            .expect("cache replies only exist with a cache");
        match cache.get(key, now) {
            Lookup::Hit => {
                self.recorder.cache_hit();
                self.key_done(now, req, None);
            }
            Lookup::Expired | Lookup::Absent => {
                self.recorder.cache_miss();
                self.submit_query(now, Origin::Request { req, key_idx }, key);
            }
        }
    }

    fn submit_query(&mut self, now: SimTime, origin: Origin, key: u32) {
        let (admission, query) = self.db.submit(origin, key, now);
        match admission {
            Admission::Started => self.start_query(now, query),
            Admission::Queued => {
                self.recorder.db_queue_len(self.db.queue_len());
                if let Some(t) = self.config.db.queue_timeout {
                    self.events.schedule_in_lane(
                        lane::DB_QUEUE_TIMEOUT,
                        now + t,
                        Event::DbQueueTimeout { id: query.id },
                    );
                }
            }
            Admission::Rejected => self.query_failed(now, origin, ErrorKind::DbRejected),
        }
    }

    fn start_query(&mut self, now: SimTime, q: Query) {
        self.recorder
            .db_started(now, now.since(q.submitted), self.db.busy());
        let service = self.db_service.sample(&mut self.db_rng);
        self.events.schedule(
            now + service,
            Event::DbDone {
                origin: q.origin,
                key: q.key,
            },
        );
    }

    fn on_db_done(&mut self, now: SimTime, origin: Origin, key: u32) {
        match self.db.finish() {
            Some(next) => {
                self.recorder.db_completed(now, self.db.busy());
                self.recorder.db_queue_len(self.db.queue_len());
                self.start_query(now, next);
            }
            None => self.recorder.db_completed(now, self.db.busy()),
        }
        if let Some(expires) = self.expiry(now, None) {
            let cache = self
                .cache
                .as_mut()
                .expect("expiry is only computed with a cache");
            let evicted = cache.set(key, expires);
            self.recorder.evicted(evicted);
        }
        match origin {
            Origin::Request { req, .. } => self.key_done(now, req, None),
        }
    }

    /// Expiry of an entry written at `now` with `ttl` (the cache's TTL if `None`) plus jitter;
    /// `None` without a cache.
    fn expiry(&mut self, now: SimTime, ttl: Option<SimDuration>) -> Option<SimTime> {
        let cache = self.config.cache.as_ref()?;
        let ttl = ttl.unwrap_or(cache.ttl);
        if cache.ttl_jitter == 0.0 {
            return Some(now + ttl);
        }
        let u: f64 = self.jitter_rng.random::<f64>() * 2.0 - 1.0;
        let factor = 1.0 + cache.ttl_jitter * u;
        Some(now + SimDuration::from_secs_f64(ttl.as_secs_f64() * factor))
    }

    fn query_failed(&mut self, now: SimTime, origin: Origin, kind: ErrorKind) {
        match origin {
            Origin::Request { req, .. } => self.key_done(now, req, Some(kind)),
        }
    }

    /// One key of a request is done (or failed); the request finishes when all are.
    fn key_done(&mut self, now: SimTime, req: u32, error: Option<ErrorKind>) {
        let r = &mut self.requests[req as usize];
        if r.error.is_none() {
            r.error = error;
        }
        r.pending -= 1;
        if r.pending == 0 {
            self.finish_request(now, req);
        }
    }

    fn finish_request(&mut self, now: SimTime, req: u32) {
        let r = &self.requests[req as usize];
        let (instance, abandoned, error, arrived) = (r.instance, r.abandoned, r.error, r.arrived);
        if !abandoned {
            match error {
                None => self.recorder.completed(now.since(arrived)),
                Some(kind) => self.recorder.error(kind),
            }
        }
        self.free_request(req);
        self.instances[instance as usize].busy -= 1;
        // The freed worker takes the next queued request whose client is still waiting.
        while let Some(next) = self.instances[instance as usize].queue.pop_front() {
            if self.config.app.discard_abandoned && self.requests[next as usize].abandoned {
                self.free_request(next);
                continue;
            }
            self.start_request(now, next);
            break;
        }
    }

    fn on_timeline(&mut self, now: SimTime, i: usize) {
        let action = self.config.timeline[i].action.clone();
        match action {
            TimelineAction::Flush { node } => {
                if let Some(cache) = self.cache.as_mut() {
                    match node {
                        Some(n) => cache.flush_node(n),
                        None => cache.flush_all(),
                    }
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
                for key in 0..n {
                    let expires = self
                        .expiry(now, ttl)
                        .expect("checked above: there is a cache");
                    let evicted = self
                        .cache
                        .as_mut()
                        .expect("checked above")
                        .set(key, expires);
                    self.recorder.evicted(evicted);
                }
            }
            // Rate changes are part of the arrival process from the start.
            TimelineAction::SetRate { .. } => {}
        }
    }
}
