//! The validated description of one simulated world: what the model runs.
//!
//! Built by [`crate::scenario`] from a scenario file (base plus one strategy's overrides); every
//! value here has already been checked, so the model can trust it.

use crate::engine::{SimDuration, SimTime};
pub use crate::model::distribution::Distribution;
pub use crate::model::mitigation::breaker::{BreakerConfig, DbBreakerConfig};
pub use crate::model::mitigation::early_expiration::EarlyExpiration;
pub use crate::model::mitigation::hedge::HedgeConfig;
pub use crate::model::mitigation::lock::{Fallback, LockConfig, LockKind};
pub use crate::model::mitigation::rate_limit::RateLimit;
pub use crate::model::mitigation::refresh_ahead::RefreshAhead;
pub use crate::model::mitigation::throttle::ThrottleConfig;
pub use crate::model::mitigation::write_path::WritePath;
pub use crate::model::retry::{Backoff, RetryBudget, RetryConfig, RetryLayer, RetryOn};

/// Everything one simulation run needs, apart from the seed.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelConfig {
    /// Simulated time to run for.
    pub duration: SimDuration,
    /// Width of one metrics bucket.
    pub bucket: SimDuration,
    /// After `duration`, arrivals stop and the run goes on until every admitted request has
    /// completed or failed, for at most this long (`None`: the run ends at `duration`).
    pub drain: Option<SimDuration>,
    /// The clients generating load.
    pub clients: ClientsConfig,
    /// The application tier.
    pub app: AppConfig,
    /// The cache cluster; `None` runs without a cache (every read goes to the database).
    pub cache: Option<CacheConfig>,
    /// The database.
    pub db: DbConfig,
    /// Writes to the database and how they reach the cache (`None`: a read-only workload).
    pub writes: Option<WritesConfig>,
    /// A local cache in each app instance, in front of the shared cache (`None`: none).
    pub local_cache: Option<LocalCacheConfig>,
    /// Stampede mitigations switched on.
    pub mitigations: MitigationsConfig,
    /// How clients retry failed and timed-out requests (`None`: they do not).
    pub retries: Option<RetryConfig>,
    /// Actions at given times (flushes, preloads, rate changes, deploys), sorted by time.
    pub timeline: Vec<TimelineEvent>,
    /// Safety limits.
    pub limits: LimitsConfig,
}

/// Open-loop Poisson clients.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientsConfig {
    /// Arrival rate at time zero, requests per second (changed by `set_rate` timeline events).
    pub rps: f64,
    /// Number of distinct keys; keys are numbered 0.. in decreasing popularity.
    pub keyspace: u32,
    /// How keys are chosen.
    pub popularity: Popularity,
    /// Distinct keys each request needs, fetched in parallel.
    pub fanout: u32,
    /// A request not answered within this time counts as failed (`None`: clients wait for ever).
    pub timeout: Option<SimDuration>,
    /// Share of key reads asking for a key that exists nowhere (0: none).
    pub absent_share: f64,
    /// Distinct absent keys those reads ask for, uniformly; they are numbered after the
    /// keyspace (`keyspace..keyspace + absent_keys`).
    pub absent_keys: u32,
    /// The last `optional_keys` keys of each request are optional dependencies: when their
    /// read fails, the request is answered without them (degraded) instead of failing.
    pub optional_keys: u32,
    /// A recorded trace replayed instead of Poisson arrivals and drawn keys (`None`: synthetic
    /// clients). With a trace, `rps` is its mean read rate and `keyspace` its distinct keys.
    pub trace: Option<TraceConfig>,
}

/// `[clients.trace]`: which trace is replayed, and how.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceConfig {
    /// The trace file (resolved against the scenario file's folder).
    pub path: std::path::PathBuf,
    /// Its layout.
    pub format: crate::trace::Format,
    /// Replay speed: 2.0 replays twice as fast (twice the load).
    pub speed: f64,
    /// Trace time skipped after its first record before the replay starts.
    pub start: SimDuration,
    /// Trace time replayed from `start` (`None`: to the end).
    pub length: Option<SimDuration>,
    /// Whether the trace's TTLs (when above 0) replace the cache's for the keys they come with.
    pub ttl: bool,
    /// A set at most this long after a read of the same key is a look-aside fill and dropped
    /// (`None`: every set is a write).
    pub fill_window: Option<SimDuration>,
    /// Key sampling (`None`: every key replayed).
    pub keys: Option<TraceKeys>,
    /// What the replay brings, counted when the scenario was checked (with a key sample: the
    /// reads and writes of the sample the scenario's own seed keeps, and every key).
    pub scan: crate::trace::Scan,
}

/// `clients.trace.keys`: replay only a sample of the trace's keys. Each run keeps the keys
/// whose hash, seeded from the run's seed and `seed`, falls in `fraction`
/// ([`crate::trace::KeySample::for_run`]), so replications sample different keys. The cache's
/// and the database's capacities were scaled by `fraction` when the scenario was checked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceKeys {
    /// Share of keys kept, in (0, 1].
    pub fraction: f64,
    /// Mixed with each run's seed into the hash seed.
    pub seed: u64,
}

impl TraceConfig {
    /// Seconds from the start of the replay to its last record (at least 1): the span its
    /// mean rates are taken over.
    pub fn span_secs(&self) -> f64 {
        (self.scan.last_ns as f64 / 1e9).max(1.0)
    }

    /// The part of the trace replayed by a run seeded `run_seed`; `writes`: for the writers,
    /// with look-aside fills dropped.
    pub fn window(&self, writes: bool, run_seed: u64) -> crate::trace::Window {
        crate::trace::Window {
            start_ns: self.start.0,
            length_ns: self.length.map(|l| l.0),
            speed: self.speed,
            fill_window_ns: self.fill_window.filter(|_| writes).map(|w| w.0),
            max_keys: self.scan.keys,
            sample: self
                .keys
                .map(|k| crate::trace::KeySample::for_run(k.fraction, k.seed, run_seed)),
        }
    }

    /// Why the trace file is not the one counted when the scenario was checked (its size or
    /// modification time differ, or it is gone), if it is not.
    pub fn changed(&self) -> Option<String> {
        let was = self.scan.fingerprint;
        match crate::trace::Fingerprint::of(&self.path) {
            None => Some("can no longer be read".into()),
            Some(now) if now.bytes != was.bytes => Some(format!(
                "changed after it was checked: {} bytes then, {} now",
                was.bytes, now.bytes
            )),
            Some(now) if now.modified_ns != was.modified_ns => {
                Some("changed after it was checked: it was modified since".into())
            }
            Some(_) => None,
        }
    }

    /// Opens the replay of a run seeded `run_seed`; `writes`: for the writers, with
    /// look-aside fills dropped.
    pub fn open(
        &self,
        writes: bool,
        run_seed: u64,
    ) -> Result<crate::trace::Replay, crate::trace::TraceError> {
        crate::trace::Replay::open(&self.path, &self.format, self.window(writes, run_seed))
            .map(|r| r.in_order(self.scan.in_order))
    }
}

impl ClientsConfig {
    /// Every key a read can ask for: the keyspace and the absent keys.
    pub fn all_keys(&self) -> u32 {
        self.keyspace + self.absent_keys
    }
}

/// Writes: each commits a new version of one key in the database, then takes the strategy's
/// write path to the cache.
#[derive(Clone, Debug, PartialEq)]
pub struct WritesConfig {
    /// Writes per second at time zero, over all keys (changed by `set_write_rate` events).
    pub rate: f64,
    /// Writes as a share of all operations instead of a rate: the write rate follows the
    /// read rate (`set_rate`), at `share / (1 - share)` writes per request.
    pub share: Option<f64>,
    /// Which keys are written (by default the reads' popularity).
    pub popularity: Popularity,
    /// Database time of one write; writes take slots like reads.
    pub service: Distribution,
    /// What a write does to the cache.
    pub path: WritePath,
    /// Share of writes arriving by a path that skips invalidation (an admin tool, a bulk
    /// import): they commit and do nothing to the cache.
    pub bypass: f64,
    /// Share of writes that create one of the absent keys (drawn uniformly): from then on it
    /// exists in the database, but a cached "not found" or a Bloom filter built before hides it.
    pub creates: f64,
}

/// A local cache in each app instance.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalCacheConfig {
    /// Entries per instance before LRU eviction (`None`: unbounded).
    pub capacity: Option<u32>,
    /// Time to live of a local copy.
    pub ttl: SimDuration,
    /// Time of one local read.
    pub latency: Distribution,
    /// Only the keys `0..hot_keys` (the most popular) are cached locally (`None`: all).
    pub hot_keys: Option<u32>,
    /// How a write reaches the local caches.
    pub invalidation: LocalInvalidation,
}

/// How local caches learn of writes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LocalInvalidation {
    /// They do not: a local copy lives until its TTL.
    TtlOnly,
    /// The writer publishes each committed change; each instance drops the key when the
    /// message arrives, after `lag`, unless it is lost (probability `loss`).
    PubSub {
        /// Delivery lag of a message to one instance.
        lag: Distribution,
        /// Probability that a message to one instance is lost.
        loss: f64,
    },
}

/// Key popularity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Popularity {
    /// Every key equally likely.
    Uniform,
    /// Key of rank i (from 1) has weight 1 / i^s.
    Zipf {
        /// The exponent s (> 0).
        s: f64,
    },
}

/// The application tier.
#[derive(Clone, Debug, PartialEq)]
pub struct AppConfig {
    /// Number of app instances; requests are spread round-robin.
    pub instances: u32,
    /// Concurrent requests per instance (`None`: unlimited).
    pub workers: Option<u32>,
    /// Requests waiting for a worker per instance before new ones are rejected (`None`: unlimited).
    pub queue_limit: Option<u32>,
    /// Whether a queued request whose client already gave up is dropped instead of served.
    pub discard_abandoned: bool,
    /// Which waiting request a freed worker takes.
    pub queue_order: QueueOrder,
    /// Adaptive queue-time limit (CoDel-like): requests that waited too long are shed.
    pub shedding: Option<Shedding>,
    /// Whether the database queries of a request whose client gave up are dropped before
    /// service (the client's cancellation reaches the database), instead of run for nothing.
    pub cancel_abandoned: bool,
}

/// Which waiting request a freed app worker takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueOrder {
    /// The one waiting longest.
    Fifo,
    /// The newest: under overload the requests served are those whose clients still wait.
    Lifo,
}

/// An adaptive limit on the time a request waits for an app worker, after Facebook's
/// "adaptive LIFO and CoDel" ("Fail at scale", 2015): while an instance's queue has not been
/// empty for `interval`, a request that waited longer than `target` is shed when a worker
/// reaches it; otherwise the limit is `interval`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shedding {
    /// Queue-time limit under standing load.
    pub target: SimDuration,
    /// Queue-time limit otherwise, and how long the queue must stay non-empty for `target`.
    pub interval: SimDuration,
}

/// The cache cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheConfig {
    /// Number of cache nodes.
    pub nodes: u32,
    /// Virtual nodes per cache node on the consistent-hash ring.
    pub vnodes: u32,
    /// Entries per node before LRU eviction (`None`: unbounded).
    pub capacity: Option<u32>,
    /// Time for one cache operation (get), as seen by the app.
    pub latency: Distribution,
    /// Base time to live of an entry.
    pub ttl: SimDuration,
    /// Uniform TTL jitter as a fraction of the TTL: expiry is ttl * (1 + jitter * u), u in [-1, 1).
    pub ttl_jitter: f64,
    /// How keys are placed on nodes.
    pub placement: Placement,
    /// The app's timeout on one cache operation: an operation not answered within it fails
    /// (`None`: the app waits as long as the operation takes).
    pub timeout: Option<SimDuration>,
    /// What the app does once a node has died.
    pub failover: Failover,
    /// Operations per second one node serves, one at a time in arrival order (`None`:
    /// unlimited). Reads, lock requests and polls take a turn; sets do not.
    pub node_ops_per_s: Option<f64>,
    /// The most popular keys held by several nodes, each read going to one of them at random.
    pub hot_key_replicas: Option<HotKeyReplicas>,
}

/// How keys are placed on cache nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A consistent-hash ring with `vnodes` points per node: a node leaving moves only its keys.
    Consistent,
    /// Hash modulo the number of nodes in service: a node leaving moves almost every key.
    Modulo,
}

/// What the app does once a cache node has died.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Failover {
    /// Nothing: operations on the dead node fail until it comes back; reads fall through to
    /// the database.
    None,
    /// `after` the death the app takes the node out of its placement, so its keys move to the
    /// others (as the placement says); a node coming back takes its keys back at once.
    Rehash {
        /// Time to notice the death.
        after: SimDuration,
    },
    /// Operations that fail go to a small separate pool instead, whose entries live `ttl`
    /// (after "Scaling Memcache at Facebook", NSDI 2013).
    Gutter(GutterConfig),
}

/// The gutter pool.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GutterConfig {
    /// Nodes in the pool.
    pub nodes: u32,
    /// Entries per gutter node before LRU eviction (`None`: unbounded).
    pub capacity: Option<u32>,
    /// Time to live of a gutter entry (short: writes do not invalidate the gutter).
    pub ttl: SimDuration,
}

/// Replication of the hottest keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HotKeyReplicas {
    /// The keys `0..keys` (the most popular) are replicated.
    pub keys: u32,
    /// Nodes holding each (its owner and the next ones), at most the node count.
    pub replicas: u32,
}

/// The database.
#[derive(Clone, Debug, PartialEq)]
pub struct DbConfig {
    /// Queries served in parallel.
    pub slots: u32,
    /// Service time of one query.
    pub service: Distribution,
    /// Queries allowed to wait for a slot; further ones are rejected (`None`: unlimited).
    pub queue_limit: Option<u32>,
    /// A query waiting longer than this is dropped with an error (`None`: waits for ever).
    pub queue_timeout: Option<SimDuration>,
    /// Share of queries that fail with a transient error after their service time (0: none).
    pub error_rate: f64,
    /// Service times that grow with the queries in service (`None`: they do not).
    pub degradation: Option<Degradation>,
}

/// A database that slows down under load (lock contention, buffer-cache thrash): a query
/// entering service while `n` queries are in service (itself included) takes its drawn service
/// time multiplied by `1 + per_query * max(0, n - knee)`. Saturated with `n` in service, its
/// throughput is `n / (mean * (1 + per_query * (n - knee)))` queries per second, which falls
/// as `n` grows when `per_query * knee > 1`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Degradation {
    /// Queries in service up to which service time does not grow.
    pub knee: u32,
    /// Share of the service time each query in service beyond the knee adds.
    pub per_query: f64,
}

impl Degradation {
    /// The service-time multiplier with `in_service` queries in service.
    #[inline]
    pub fn factor(&self, in_service: u32) -> f64 {
        1.0 + self.per_query * in_service.saturating_sub(self.knee) as f64
    }
}

/// Stampede mitigations; each is off unless configured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MitigationsConfig {
    /// Probabilistic early expiration (XFetch).
    pub early_expiration: Option<EarlyExpiration>,
    /// Background refresh when little of the TTL is left.
    pub refresh_ahead: Option<RefreshAhead>,
    /// Concurrent misses for one key on one app instance share one fetch (singleflight).
    pub coalescing: bool,
    /// A distributed lock or a lease on rebuilding a key.
    pub lock: Option<LockConfig>,
    /// Serve an expired entry younger than this while one background refresh runs.
    pub stale_while_revalidate: Option<SimDuration>,
    /// Token bucket on cache-miss database queries, per app instance.
    pub rate_limit: Option<RateLimit>,
    /// A second delete of a written key this long after the first (delete write paths).
    pub double_delete: Option<SimDuration>,
    /// A set only replaces an older version, and a delete leaves the version it deleted for
    /// (compare-and-set), so a slow reader cannot write back a value older than a delete.
    pub versioned_sets: bool,
    /// Cache "not found" for this long (negative caching).
    pub negative_ttl: Option<SimDuration>,
    /// A Bloom filter of the existing keys in front of the database, with this false-positive
    /// rate: an absent key passes it with this probability.
    pub bloom_false_positive: Option<f64>,
    /// A circuit breaker per app instance and cache node on cache reads.
    pub circuit_breaker: Option<BreakerConfig>,
    /// When a cache read fails (or its breaker is open), serve the instance's local copy,
    /// fresh or expired, if it has one, instead of going to the database.
    pub stale_on_error: bool,
    /// Hedged cache reads: a second read when the first is slow.
    pub hedge: Option<HedgeConfig>,
    /// Client-side adaptive throttling: clients reject attempts themselves when the service
    /// accepts too few.
    pub adaptive_throttling: Option<ThrottleConfig>,
    /// A circuit breaker per app instance on database reads.
    pub db_breaker: Option<DbBreakerConfig>,
}

/// Safety limits that keep an unstable run from exhausting memory.
#[derive(Clone, Debug, PartialEq)]
pub struct LimitsConfig {
    /// Requests in the system at once; reaching it means the run diverged, and it stops.
    pub max_in_flight: u32,
    /// Whether `max_in_flight` is the default (not set in the file), which a memory budget
    /// may lower.
    pub max_in_flight_is_default: bool,
}

/// An action at a given time.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineEvent {
    /// When it happens.
    pub at: SimTime,
    /// What happens.
    pub action: TimelineAction,
}

/// What a timeline event does.
#[derive(Clone, Debug, PartialEq)]
pub enum TimelineAction {
    /// Empties the whole cache, or one node of it.
    Flush {
        /// The node to flush (`None`: all nodes).
        node: Option<u32>,
    },
    /// Writes keys into the cache without touching the database, all with one TTL (plus the
    /// cache's jitter), the way a bulk load or a warm restore does.
    Preload {
        /// Which keys.
        keys: KeySet,
        /// Their TTL (the cache's own if not given).
        ttl: Option<SimDuration>,
    },
    /// Switches to a new cache-key version, so every old entry becomes unreachable: at once or
    /// in waves of app instances, optionally after warming the new version's keys.
    Deploy(Deploy),
    /// The next client to take the rebuild lock of `key` dies holding it: it never writes the
    /// value and never releases the lock.
    KillLockHolder {
        /// The logical key (0 is the most popular).
        key: u32,
    },
    /// Changes the arrival rate, at once or along a linear ramp.
    SetRate {
        /// The new rate, requests per second.
        rps: f64,
        /// Time over which the rate moves linearly to `rps` (zero: a step).
        ramp: SimDuration,
    },
    /// A cache node dies: it loses its entries and answers nothing until restored.
    KillNode {
        /// The node.
        node: u32,
    },
    /// A dead cache node comes back, empty, or warmed first: the app warms the keys it will
    /// own through the database and puts it back in the placement when the warm-up ends.
    RestoreNode {
        /// The node.
        node: u32,
        /// The warm-up before it takes traffic (`None`: it takes traffic at once, empty).
        warmup: Option<NodeWarmup>,
    },
    /// Cache operations on one node (or all) take `factor` times as long for `lasting`.
    SlowNode {
        /// The node (`None`: every node).
        node: Option<u32>,
        /// Latency multiplier (and service-time multiplier with node capacity).
        factor: f64,
        /// How long.
        lasting: SimDuration,
    },
    /// One node (or all) drops a share of its operations for `lasting`: they are never
    /// answered.
    DropNode {
        /// The node (`None`: every node).
        node: Option<u32>,
        /// Share of operations dropped.
        share: f64,
        /// How long.
        lasting: SimDuration,
    },
    /// Changes the write rate, at once or along a linear ramp.
    SetWriteRate {
        /// The new rate, writes per second.
        rate: f64,
        /// Time over which the rate moves linearly to `rate` (zero: a step).
        ramp: SimDuration,
    },
}

/// A deploy that changes the cache-key version.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Deploy {
    /// Number of waves (1: every instance at once).
    pub waves: u32,
    /// Time between two waves.
    pub wave_interval: SimDuration,
    /// Keys to warm under the new version before or at the cut-over.
    pub warmup: Option<Warmup>,
}

impl Deploy {
    /// Time from the deploy's `at` to its last wave.
    pub fn span(&self) -> SimDuration {
        SimDuration(self.wave_interval.0.saturating_mul(self.waves as u64 - 1))
    }
}

/// Warming the top keys through the database at a bounded rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Warmup {
    /// The most popular `top` keys are warmed.
    pub top: u32,
    /// Keys warmed per second.
    pub rate: f64,
    /// How long before the deploy's first wave warming starts (zero: at the cut-over).
    pub lead: SimDuration,
}

/// Warming a returning cache node through the database before it takes traffic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NodeWarmup {
    /// The most popular `top` keys the node will own are warmed (fewer if it owns fewer).
    pub top: u32,
    /// Keys warmed per second.
    pub rate: f64,
    /// Longest warm-up: the node takes traffic this long after it came back even if some of
    /// its keys are not warmed yet (`None`: when every warm-up query has been answered).
    pub max: Option<SimDuration>,
}

/// A set of keys named in a timeline event.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KeySet {
    /// Every key.
    All,
    /// The `n` most popular keys.
    Top(u32),
}

impl TimelineEvent {
    /// Whether the event disturbs the system (a preload only fills the cache): recovery is
    /// measured from the last one.
    pub fn is_trigger(&self) -> bool {
        !matches!(self.action, TimelineAction::Preload { .. })
    }

    /// A short label for charts, such as `flush`, `preload top 5000`, `rate 4000/s`.
    pub fn label(&self) -> String {
        match &self.action {
            TimelineAction::Flush { node: None } => "flush".to_string(),
            TimelineAction::Flush { node: Some(n) } => format!("flush node {n}"),
            TimelineAction::Preload {
                keys: KeySet::All, ..
            } => "preload all".to_string(),
            TimelineAction::Preload {
                keys: KeySet::Top(n),
                ..
            } => format!("preload top {n}"),
            TimelineAction::SetRate { rps, .. } => format!("rate {rps}/s"),
            TimelineAction::SetWriteRate { rate, .. } => format!("writes {rate}/s"),
            TimelineAction::Deploy(d) if d.waves > 1 => format!("deploy ({} waves)", d.waves),
            TimelineAction::Deploy(d) if d.warmup.is_some() => "deploy (warmed)".to_string(),
            TimelineAction::Deploy(_) => "deploy".to_string(),
            TimelineAction::KillLockHolder { key: 0 } => "next lock holder dies".to_string(),
            TimelineAction::KillLockHolder { key } => format!("next lock holder of key {key} dies"),
            TimelineAction::KillNode { node } => format!("node {node} dies"),
            TimelineAction::RestoreNode { node, warmup: None } => format!("node {node} back"),
            TimelineAction::RestoreNode {
                node,
                warmup: Some(_),
            } => format!("node {node} back (warmed)"),
            TimelineAction::SlowNode {
                node: None, factor, ..
            } => format!("cache {factor}x slower"),
            TimelineAction::SlowNode {
                node: Some(n),
                factor,
                ..
            } => format!("node {n} {factor}x slower"),
            TimelineAction::DropNode {
                node: None, share, ..
            } => format!("cache drops {:.0}%", share * 100.0),
            TimelineAction::DropNode {
                node: Some(n),
                share,
                ..
            } => format!("node {n} drops {:.0}%", share * 100.0),
        }
    }
}

impl ModelConfig {
    /// Number of metrics buckets (the last may be shorter than `bucket`).
    pub fn bucket_count(&self) -> usize {
        self.duration.0.div_ceil(self.bucket.0) as usize
    }

    /// Database capacity in queries per second: slots / mean service time or, for a database
    /// that degrades under load, the most it completes at any number of queries in service up
    /// to its slots (at the knee when throughput falls past it, else with every slot busy).
    pub fn db_capacity_qps(&self) -> f64 {
        let mean = self.db.service.mean_secs();
        if mean <= 0.0 {
            return f64::INFINITY;
        }
        let slots = self.db.slots;
        match self.db.degradation {
            None => slots as f64 / mean,
            Some(d) => {
                let at = |n: u32| n as f64 / (mean * d.factor(n));
                at(slots.min(d.knee).max(1)).max(at(slots))
            }
        }
    }

    /// Where each event of the timeline starts to act: (time in seconds, label), in time order
    /// (marks at the same time in the order of their events in the timeline). Every event gives
    /// `(at, label)` with its [`label`](TimelineEvent::label); a deploy also gives the start of
    /// its warm-up when that comes before the cut-over (`warm-up starts`), and each wave after
    /// the first (`wave 2/5` ...). Charts mark them on the strategy's lines.
    pub fn timeline_marks(&self) -> Vec<(f64, String)> {
        let mut marks: Vec<(SimTime, String)> = Vec::new();
        for e in &self.timeline {
            if let TimelineAction::Deploy(d) = &e.action {
                if let Some(w) = d.warmup.filter(|w| w.lead.0 > 0) {
                    marks.push((e.at - w.lead, "warm-up starts".to_owned()));
                }
            }
            marks.push((e.at, e.label()));
            if let TimelineAction::Deploy(d) = &e.action {
                for wave in 1..d.waves {
                    let after = SimDuration(d.wave_interval.0.saturating_mul(wave as u64));
                    marks.push((e.at + after, format!("wave {}/{}", wave + 1, d.waves)));
                }
            }
        }
        // Stable: marks at the same time keep the order of their events.
        marks.sort_by_key(|m| m.0);
        marks
            .into_iter()
            .map(|(t, label)| (t.as_secs_f64(), label))
            .collect()
    }
}
