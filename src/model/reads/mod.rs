//! The read path as a part: the requests and the clients' calls, the app tier that runs them,
//! and the budgets and breakers of the reads (retry and hedge budgets, adaptive throttling,
//! breakers on the database). It handles its own event families: the clients' give-ups and
//! retries ([`ClientEvent`]), the app's query retries ([`AppEvent`]), the shared cache's
//! answers ([`CacheEvent`]) and the local caches' answers ([`LocalEvent::Reply`]), and the
//! answers and failures of the queries it made. The caches and the database are lent to it as
//! [`Tiers`]; what it does to them, schedules and observes goes through them.
//!
//! - [`attempts`]: arrivals admitted (or turned away), clients giving up and retrying, the end
//!   of an attempt, which frees its worker for the next queued request;
//! - [`lookups`]: what a cache answer means, coalescing, locks and leases, the rate limit;
//! - [`queries`]: the database queries of reads, its breakers, answers, app retries;
//! - [`nodes`]: reads, lock requests and releases through the nodes' faults, with hedging, and
//!   what the app does when a node fails.

mod attempts;
mod lookups;
mod nodes;
mod queries;

#[cfg(test)]
mod tests;

use super::app::{AppEvent, AppTier};
use super::cache::{CacheEvent, LocalEvent};
use super::clients::ClientEvent;
use super::config::HedgeConfig;
use super::config::{DbBreakerConfig, ModelConfig, RateLimit, ThrottleConfig};
use super::database::Database;
use super::event::Event;
use super::mitigation::breaker::Breaker;
use super::mitigation::hedge::HedgeBudget;
use super::mitigation::throttle::Throttle;
use super::request::{KeyRef, KeySlot, Request, Requests, State};
use super::retry::{BudgetState, Calls, RetryConfig};
use super::tiers::Tiers;
use crate::engine::{SimDuration, SimTime, Stream};
use crate::observe::{Cause, ErrorKind, Observer, Truncation};

/// What a read of one key got: the value at a version (0 without writes), or an error.
type Answer = Result<u32, ErrorKind>;

/// The scenario's settings the read path acts on, taken once when the run is built.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadSettings {
    /// Keys `0..keyspace` exist; the keys above it are absent ones.
    pub keyspace: u32,
    /// Whether reads may ask for absent keys (`clients.absent_keys > 0`).
    pub has_absent_keys: bool,
    /// The last `optional_keys` keys of a request may fail without failing it.
    pub optional_keys: u32,
    /// How long a client waits for an attempt (`clients.timeout`).
    pub client_timeout: Option<SimDuration>,
    /// Requests in flight at which the run counts as diverged (`limits.max_in_flight`).
    pub max_in_flight: u32,
    /// Whether the workload writes (staleness of what reads serve is then measured).
    pub has_writes: bool,
    /// Queued requests whose client left are dropped unserved (`app.discard_abandoned`).
    pub discard_abandoned: bool,
    /// Queries whose client left are cancelled and not retried (`app.cancel_abandoned`).
    pub cancel_abandoned: bool,
    /// Misses on one instance join a fetch in flight (`mitigations.coalescing`).
    pub coalescing: bool,
    /// The rebuild rate limit per instance.
    pub rate_limit: Option<RateLimit>,
    /// Hedged cache reads.
    pub hedge: Option<HedgeConfig>,
    /// Whether the app keeps a breaker per cache node (`mitigations.circuit_breaker`).
    pub cache_breakers: bool,
    /// Serve the local copy when the cache node fails (`mitigations.stale_on_error`).
    pub stale_on_error: bool,
    /// The Bloom filter's false-positive rate, in front of the database.
    pub bloom_false_positive: Option<f64>,
    /// A breaker per app instance on its reads' database queries.
    pub db_breaker: Option<DbBreakerConfig>,
    /// The clients' adaptive throttling.
    pub adaptive_throttling: Option<ThrottleConfig>,
    /// Retries, by the clients or the app.
    pub retries: Option<RetryConfig>,
}

impl ReadSettings {
    /// The settings of `config`.
    pub fn new(config: &ModelConfig) -> Self {
        let m = &config.mitigations;
        ReadSettings {
            keyspace: config.clients.keyspace,
            has_absent_keys: config.clients.absent_keys > 0,
            optional_keys: config.clients.optional_keys,
            client_timeout: config.clients.timeout,
            max_in_flight: config.limits.max_in_flight,
            has_writes: config.writes.is_some(),
            discard_abandoned: config.app.discard_abandoned,
            cancel_abandoned: config.app.cancel_abandoned,
            coalescing: m.coalescing,
            rate_limit: m.rate_limit,
            hedge: m.hedge,
            cache_breakers: m.circuit_breaker.is_some(),
            stale_on_error: m.stale_on_error,
            bloom_false_positive: m.bloom_false_positive,
            db_breaker: m.db_breaker,
            adaptive_throttling: m.adaptive_throttling,
            retries: config.retries,
        }
    }
}

/// The random streams the read path draws from.
pub(crate) struct ReadStreams {
    /// The Bloom filter in front of the database (absent keys only).
    pub bloom: Stream,
    /// Retry jitter.
    pub retry_jitter: Stream,
    /// Adaptive throttling's draws.
    pub throttle: Stream,
}

/// The read path: requests in flight, the clients' calls, the app tier, and the reads' budgets
/// and breakers.
pub(crate) struct ReadPath {
    settings: ReadSettings,
    app: AppTier,
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
    /// Draws of the Bloom filter in front of the database (absent keys only).
    bloom_rng: Stream,
}

impl ReadPath {
    /// An idle read path for `config`, drawing from `streams`.
    pub fn new(config: &ModelConfig, streams: ReadStreams) -> Self {
        let settings = ReadSettings::new(config);
        ReadPath {
            settings,
            app: AppTier::new(&config.app, config.mitigations.rate_limit),
            requests: Requests::default(),
            calls: Calls::default(),
            retrying: 0,
            budget: settings
                .retries
                .and_then(|r| r.budget)
                .map(|b| BudgetState::new(&b)),
            retry_rng: streams.retry_jitter,
            hedge_budget: settings.hedge.map(|h| HedgeBudget::new(&h)),
            throttle: settings.adaptive_throttling.map(|_| Throttle::default()),
            throttle_rng: streams.throttle,
            db_breakers: match settings.db_breaker {
                Some(_) => vec![Breaker::default(); config.app.instances as usize],
                None => Vec::new(),
            },
            bloom_rng: streams.bloom,
        }
    }

    /// The clients' events: giving up on an attempt, retrying a call. (Arrivals are the
    /// workload's; the world hands each one's keys to [`ReadPath::on_arrival`].)
    #[inline]
    pub fn on_client<O: Observer>(
        &mut self,
        now: SimTime,
        event: ClientEvent,
        t: &mut Tiers<'_, O>,
    ) {
        match event {
            ClientEvent::Arrival => unreachable!("arrivals are routed to the workload"),
            ClientEvent::GiveUp { req, gen } => self.on_give_up(now, req, gen, t),
            ClientEvent::Retry { call } => self.on_retry(now, call, t),
        }
    }

    /// The shared cache tier's answers to reads, lock requests and polls.
    #[inline]
    pub fn on_cache<O: Observer>(&mut self, now: SimTime, event: CacheEvent, t: &mut Tiers<'_, O>) {
        match event {
            CacheEvent::Reply(k) => self.on_cache_reply(now, k, t),
            CacheEvent::LockReply(k) => self.on_lock_reply(now, k, t),
            CacheEvent::PollReply(k) => self.on_poll_reply(now, k, t),
            CacheEvent::Poll(k) => self.send_lock_op(now, k, true, t),
            CacheEvent::LockFailed(k) => self.on_lock_failed(now, k, t),
            CacheEvent::Failed(k) => self.on_cache_failed(now, k, t),
            CacheEvent::GutterReply(k) => self.on_gutter_reply(now, k, t),
        }
    }

    /// The local caches' answers (their pub/sub messages go to the caches themselves).
    #[inline]
    pub fn on_local<O: Observer>(&mut self, now: SimTime, event: LocalEvent, t: &mut Tiers<'_, O>) {
        match event {
            LocalEvent::Reply(k) => self.on_local_reply(now, k, t),
            LocalEvent::Delete { .. } => {
                unreachable!("pub/sub messages are routed to the local caches")
            }
        }
    }

    /// The app tier's own events.
    #[inline(never)]
    pub fn on_app<O: Observer>(&mut self, now: SimTime, event: AppEvent, t: &mut Tiers<'_, O>) {
        match event {
            AppEvent::QueryRetry(k) => self.on_query_retry(now, k, t),
        }
    }

    /// Clients whose answer is still due: attempts awaited, and calls waiting to retry.
    pub fn awaiting(&self) -> u64 {
        self.requests.awaiting() + self.retrying
    }

    /// Requests in flight (admitted, not finished).
    #[cfg(test)]
    pub fn in_flight(&self) -> u32 {
        self.requests.in_flight()
    }

    /// The newest key version any instance runs: the one writers set values under.
    pub fn newest_version(&self) -> u32 {
        self.app.newest_version()
    }

    /// The cache-key version `instance` reads and writes.
    #[cfg(test)]
    pub fn version_of(&self, instance: u32) -> u32 {
        self.app.version_of(instance)
    }

    /// Instances `from..to` switch to key version `version` (a deploy's wave).
    pub fn switch_version(&mut self, from: u32, to: u32, version: u32) {
        self.app.switch_version(from, to, version);
    }

    /// Forgets every fetch and background refresh in flight for a cache key in `range` (a
    /// newer deploy took that key range over).
    pub fn forget_range(&mut self, range: &std::ops::Range<u32>) {
        self.app.forget_range(range);
    }

    /// The run reached its in-flight cap at `now`: says where the backlog is.
    fn divergence(&self, now: SimTime, db: &Database) -> Truncation {
        let app_queued = self.app.queued();
        let db_queued = db.queue_len();
        let where_ = if db_queued >= app_queued {
            format!(
                "the database queue held {db_queued} queries ({} slots busy) and app queues {app_queued} requests",
                db.busy()
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
    /// Inlined: its call, from the arrival and from a freed worker, cost more than its body
    /// on a read of one key.
    #[inline(always)]
    fn start_request<O: Observer>(&mut self, now: SimTime, req: u32, t: &mut Tiers<'_, O>) {
        let instance = self.requests.get(req).instance;
        let version = self.app.version_of(instance);
        self.app.start(instance);
        let r = self.requests.get_mut(req);
        r.version = version;
        for slot in &mut r.keys {
            slot.ckey = t.versions.cache_key(slot.key, version);
        }
        let fanout = r.keys.len() as u32;
        if self.settings.has_absent_keys {
            let keyspace = self.settings.keyspace;
            let absent = r.keys.iter().filter(|s| s.key >= keyspace).count();
            for _ in 0..absent {
                t.observer.absent_read();
            }
        }
        let r = self.requests.get_mut(req);
        r.state = State::Running;
        r.pending = fanout;
        for idx in 0..fanout {
            let k = KeyRef { req, idx };
            if let Some(local) = t.local.as_mut() {
                if local.eligible(self.requests.slot(k).key) {
                    let latency = local.latency();
                    t.events
                        .schedule(now + latency, Event::Local(LocalEvent::Reply(k)));
                    continue;
                }
            }
            if t.cache.is_some() {
                self.send_cache_read(now, k, t);
            } else {
                self.query_for(now, k, Cause::Miss, t);
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
    fn orphaned<O: Observer>(&self, k: KeyRef, t: &Tiers<'_, O>) -> bool {
        !t.versions.is_live(self.request(k).version)
    }

    /// A key of a request is answered with the value of a version, or failed; so is every
    /// read coalesced on it.
    #[inline]
    fn resolve<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        answer: Answer,
        t: &mut Tiers<'_, O>,
    ) {
        let slot = *self.slot(k);
        if slot.leader {
            let instance = self.request(k).instance;
            // A deploy may have cleared this fetch and a newer read may lead one for the key.
            self.app.end_fetch(instance, slot.ckey, k);
            let mut w = slot.next_waiter;
            while w != KeyRef::NONE {
                let next = self.slot(w).next_waiter;
                self.key_done(now, w, answer, t);
                w = next;
            }
        }
        self.key_done(now, k, answer, t);
    }

    /// One key of a request is answered (or failed); the request finishes when all are.
    #[inline]
    fn key_done<O: Observer>(
        &mut self,
        now: SimTime,
        k: KeyRef,
        answer: Answer,
        t: &mut Tiers<'_, O>,
    ) {
        let error = match answer {
            Ok(version) => {
                let outdated = if self.settings.has_writes {
                    let key = self.requests.slot(k).key;
                    t.db.records().outdated_by(key, version, now)
                } else {
                    None
                };
                t.observer.read_served(outdated);
                if let Some(local) = t.local.as_mut() {
                    // A value from the shared cache or the database is kept locally.
                    let r = self.requests.get(k.req);
                    let slot = &r.keys[k.idx as usize];
                    if !slot.from_local && local.eligible(slot.key) && t.versions.is_live(r.version)
                    {
                        local.fill(r.instance, slot.key, r.version, version, now);
                    }
                }
                None
            }
            Err(kind) => {
                let optional = self.settings.optional_keys;
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
            self.finish_request(now, k.req, t);
        }
    }
}
