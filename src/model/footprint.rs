//! What a run will cost before it starts: memory, from the sizes of the model's own structures,
//! and work, from the arrivals the workload will bring. Used to refuse a run that cannot fit,
//! to size the thread pool, and to warn before a long run.

use super::cache::{CacheCluster, Columns};
use super::config::{CacheConfig, ModelConfig, TimelineAction};
use super::world::request_bytes;

/// The memory one run of a configuration needs, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footprint {
    /// Independent of load: key popularity tables, cache entries, locks, instances.
    pub fixed: u64,
    /// The backlog at its bounds: requests in flight at their cap (`limits.max_in_flight`),
    /// with their key reads, events and queries, and background queries queued at the
    /// database. Reached only by a run that diverges.
    pub in_flight: u64,
    /// Measurements kept until the run is reported: one row per bucket, and the histograms.
    pub results: u64,
}

impl Footprint {
    /// The most the run can hold while it runs.
    pub fn peak(&self) -> u64 {
        self.fixed + self.in_flight + self.results
    }
}

/// Bytes one request in flight can hold with `fanout` keys (see [`Footprint::in_flight`]).
pub fn bytes_per_request(fanout: u32) -> u64 {
    request_bytes(fanout)
}

/// What one row of results takes, as whatever measures the run says (the model knows nothing
/// of the rows: `crate::experiment::footprint` passes the metrics' sizes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowBytes {
    /// One bucket's row, kept while the run goes on and written to the CSV files.
    pub bucket: u64,
    /// One bucket's row of one cache node (with node faults).
    pub node: u64,
}

/// Memory of one run of `config`, whose results take `rows` per row.
pub fn footprint(config: &ModelConfig, rows: RowBytes) -> Footprint {
    let keyspace = config.clients.keyspace as u64;
    let deploys = config
        .timeline
        .iter()
        .any(|e| matches!(e.action, TimelineAction::Deploy(_)));
    let all_keys = config.clients.all_keys() as u64;
    let cache_keys = if deploys { 2 * all_keys } else { all_keys };
    // Local caches: one array of the cached keys per instance and key-version range.
    let local = config.local_cache.as_ref().map_or(0, |l| {
        let hot = l.hot_keys.map_or(keyspace, |h| (h as u64).min(keyspace));
        let ranges = if deploys { 2 } else { 1 };
        config.app.instances as u64
            * ranges
            * hot
            * super::cache::LocalCaches::bytes_per_key(l, config.writes.is_some())
    });
    let popularity =
        super::clients::KeyTable::bytes(config.clients.keyspace, config.clients.popularity);
    let cache = config.cache.as_ref().map_or(0, |c| {
        cache_keys * CacheCluster::bytes_per_key(cache_columns(config, c)) as u64
            + c.nodes as u64 * c.vnodes as u64 * 16
    });
    let locks = if config.mitigations.lock.is_some() {
        cache_keys * 16
    } else {
        0
    };
    let instances = config.app.instances as u64 * 256;
    // Background queries the database queue may hold besides those of requests in flight.
    let background = super::tiers::BACKGROUND_QUERIES_CAP
        * std::mem::size_of::<super::database::Query>() as u64
        * 2;
    // Two latency histograms covering the run: a few hundred kilobytes each; with writes, two
    // more for the ages of outdated reads.
    let histograms = if config.writes.is_some() {
        4 << 20
    } else {
        2 << 20
    };
    // Writes: each key's committed version and recent commit times, and the writers' own key
    // popularity table.
    let writes = config.writes.as_ref().map_or(0, |_| {
        keyspace * (super::database::Records::BYTES_PER_KEY as u64 + 16)
    });
    // Node faults: the gutter pool (a second array of entries), a breaker per instance and
    // node, and one row per bucket and node of results (with its line of nodes.csv).
    let faults = super::has_node_faults(config);
    let (gutter, breakers, node_rows) = match config.cache.as_ref().filter(|_| faults) {
        Some(c) => (
            match c.failover {
                super::config::Failover::Gutter(g) => {
                    let columns = Columns {
                        lru: g.capacity.is_some(),
                        delta: false,
                        versions: config.writes.is_some(),
                    };
                    cache_keys * CacheCluster::bytes_per_key(columns) as u64
                }
                _ => 0,
            },
            if config.mitigations.circuit_breaker.is_some() {
                config.app.instances as u64 * c.nodes as u64 * 32
            } else {
                0
            },
            c.nodes as u64 * rows.node,
        ),
        None => (0, 0, 0),
    };
    // Warm-ups of returning nodes: each node warms at most its `top` keys at a time.
    let warmups = node_warmup_bytes(config, cache_keys);
    // With retries, each request in flight belongs to a call holding its keys.
    let calls = if config.retries.is_some() {
        super::retry::Calls::bytes(config.clients.fanout) as u64
    } else {
        0
    };
    let buckets = max_buckets(config);
    Footprint {
        fixed: popularity
            + cache
            + local
            + locks
            + instances
            + histograms
            + writes
            + gutter
            + breakers
            + warmups,
        in_flight: config.limits.max_in_flight as u64
            * (request_bytes(config.clients.fanout) + calls)
            + background,
        results: buckets * (rows.bucket + node_rows),
    }
}

/// The per-key columns of the shared cache `cache` of `config` (`model::cache::cluster`).
pub fn cache_columns(config: &ModelConfig, cache: &CacheConfig) -> Columns {
    Columns {
        lru: cache.capacity.is_some(),
        delta: config.mitigations.early_expiration.is_some(),
        versions: config.writes.is_some(),
    }
}

/// Memory the warm-ups of returning nodes can hold at once: one warm-up per node at a time
/// (a later one replaces it), of at most its `top` keys and no more than the cache keys.
fn node_warmup_bytes(config: &ModelConfig, cache_keys: u64) -> u64 {
    let mut top_per_node: std::collections::BTreeMap<u32, u64> = Default::default();
    for e in &config.timeline {
        if let TimelineAction::RestoreNode {
            node,
            warmup: Some(w),
        } = &e.action
        {
            let top = top_per_node.entry(*node).or_default();
            *top = (*top).max((w.top as u64).min(cache_keys));
        }
    }
    top_per_node.values().sum::<u64>() * super::cache::nodes::WARMUP_BYTES_PER_KEY
}

/// The most buckets the run can have (a drain adds buckets after `duration`).
pub fn max_buckets(config: &ModelConfig) -> u64 {
    let longest = config
        .duration
        .0
        .saturating_add(config.drain.map_or(0, |d| d.0));
    longest.div_ceil(config.bucket.0)
}

/// Repeated draws a request makes, on average, choosing its distinct keys by rejection
/// (at most the rejection budget, after which an exact sampler takes over): drawing the j-th
/// key rejects about m/(1 - m) draws, m the mass of the keys already chosen (taken as the j
/// most popular, an upper bound).
pub fn rejections_per_request(config: &ModelConfig) -> f64 {
    use super::clients::{REJECTION_BUDGET_BASE, REJECTION_BUDGET_PER_KEY};
    use super::config::Popularity;
    let k = config.clients.fanout as usize;
    let n = config.clients.keyspace as usize;
    if k <= 1 {
        return 0.0;
    }
    let weight = |i: usize| match config.clients.popularity {
        Popularity::Uniform => 1.0,
        Popularity::Zipf { s } => ((i + 1) as f64).powf(-s),
    };
    // Smallest weights first, for accuracy.
    let total: f64 = (0..n).rev().map(weight).sum();
    let mut taken = 0.0;
    let mut rejections = 0.0;
    for j in 0..k {
        let m = (taken / total).min(1.0);
        rejections += if m < 1.0 {
            m / (1.0 - m)
        } else {
            f64::INFINITY
        };
        taken += weight(j);
    }
    let budget = (REJECTION_BUDGET_BASE + REJECTION_BUDGET_PER_KEY * k as u64) as f64;
    rejections.min(budget)
}

/// Requests the workload brings over `duration`: the integral of the arrival rate.
pub fn expected_requests(config: &ModelConfig) -> f64 {
    let arrivals = super::clients::ArrivalProcess::from_config(config);
    arrivals.integral(config.duration.as_secs_f64())
}

/// Lock polls a run can make at most (0 without a lock or lease): every key read polling
/// `max_retries` times (or until the run ends), but no more than the reads that can wait at once (the app's workers,
/// else the in-flight cap, times the fan-out) polling every `retry_interval` for the whole run.
/// A poll storm (a holder that died, a lock without TTL, a short interval) costs far more than
/// the requests themselves; a stable run polls much less than this bound.
pub fn lock_polls_bound(config: &ModelConfig) -> f64 {
    let Some(lock) = &config.mitigations.lock else {
        return 0.0;
    };
    let fanout = config.clients.fanout as f64;
    let key_reads = expected_requests(config) * fanout;
    let in_flight = config.limits.max_in_flight as f64;
    let waiting_requests = config.app.workers.map_or(in_flight, |w| {
        (w as f64 * config.app.instances as f64).min(in_flight)
    });
    let longest_s = config
        .duration
        .0
        .saturating_add(config.drain.map_or(0, |d| d.0)) as f64
        / 1e9;
    let interval_s = lock.retry_interval.as_secs_f64().max(1e-9);
    // A read stops polling at the end of the run: on average half the run is left after it.
    let per_read = (lock.max_retries as f64).min(longest_s / interval_s / 2.0);
    (key_reads * per_read).min(waiting_requests * fanout * longest_s / interval_s)
}

/// Writes the workload brings over `duration`: the integral of the write rate.
pub fn expected_writes(config: &ModelConfig) -> f64 {
    let Some(w) = &config.writes else {
        return 0.0;
    };
    super::writes::write_arrivals(config, w).integral(config.duration.as_secs_f64())
}

/// CPU time of one core for a request, seconds, besides its key reads; see [`cpu_seconds`].
const SECONDS_PER_REQUEST: f64 = 20e-9;
/// CPU time for a key read (a request reads `clients.fanout` keys), seconds.
const SECONDS_PER_KEY: f64 = 95e-9;
/// CPU time a request adds when clients time out (`clients.timeout`: a timeout event each),
/// seconds.
const SECONDS_PER_TIMED_REQUEST: f64 = 55e-9;
/// CPU time a request adds when failed attempts are retried (`retries`), seconds.
const SECONDS_PER_RETRIED_REQUEST: f64 = 165e-9;
/// CPU time a key read adds when cache reads time out (`cache.timeout`), seconds.
const SECONDS_PER_TIMED_KEY: f64 = 100e-9;
/// CPU time for a repeated key draw (choosing distinct keys by rejection), seconds.
const SECONDS_PER_REJECTION: f64 = 7e-9;
/// CPU time for a metrics bucket (closing its histograms, writing its CSV row), seconds:
/// 13 µs measured (the comparison model with 10 ms buckets against 1 s ones).
const SECONDS_PER_BUCKET: f64 = 18e-6;
/// CPU time for a key of the keyspace (popularity table, placement and cache arrays built),
/// seconds: 24 ns measured at 10 million keys on one node, more with hashing onto several.
const SECONDS_PER_KEY_OF_KEYSPACE: f64 = 50e-9;
/// CPU time for a lock poll of [`lock_polls_bound`] (an event and a cache round trip), seconds:
/// small, because the bound is far above the polls of a stable run.
const SECONDS_PER_LOCK_POLL: f64 = 10e-9;

/// CPU seconds of one core that one run of `config` takes, without charts (for the warnings
/// before a long run, sweep or phase map): per request, per key read, per repeated key draw,
/// per write (as two key reads), per metrics bucket, per key of the keyspace and per lock poll
/// of [`lock_polls_bound`], with more per request when clients time out or retry and per key
/// read when cache reads time out (each an event more).
///
/// Calibrated on every shipped scenario (`scenarios/*.toml`, `scenarios/incidents/*.toml`),
/// `benches/scenarios/throughput.toml` and `benches/compare/model.toml`, each run whole with
/// `--no-charts --no-report` (user + system time, 2-core machine under a load of about 7): the
/// estimate is 0.83 to 1.44 times the measured time for all but `trace-replay` (0.61: 0.08 s,
/// mostly reading its trace), e.g. `avalanche` 7.41 s for 5.67 measured, `congestive-collapse`
/// 0.93 for 1.12, `thundering-herd` 2.68 for 1.89, the comparison model 0.144 for 0.12. The
/// comparison model's 100-point sweep (`--set db.slots=8..107:1`) took 10.43 s on an idle
/// machine: the estimate, 14.4 s, is 1.38 times that (the constants before, 0.62 s a point, were
/// 5.9 times). What a run really costs depends on what happens in it (misses, queueing,
/// retries), which no estimate before the run knows.
pub fn cpu_seconds(config: &ModelConfig) -> f64 {
    let requests = expected_requests(config);
    let key_reads = requests * config.clients.fanout as f64;
    let mut per_request =
        SECONDS_PER_REQUEST + SECONDS_PER_REJECTION * rejections_per_request(config);
    if config.clients.timeout.is_some() {
        per_request += SECONDS_PER_TIMED_REQUEST;
    }
    if config.retries.is_some() {
        per_request += SECONDS_PER_RETRIED_REQUEST;
    }
    let mut per_key = SECONDS_PER_KEY;
    if config.cache.as_ref().is_some_and(|c| c.timeout.is_some()) {
        per_key += SECONDS_PER_TIMED_KEY;
    }
    requests * per_request
        + key_reads * per_key
        + expected_writes(config) * 2.0 * SECONDS_PER_KEY
        + max_buckets(config) as f64 * SECONDS_PER_BUCKET
        + config.clients.keyspace as f64 * SECONDS_PER_KEY_OF_KEYSPACE
        + lock_polls_bound(config) * SECONDS_PER_LOCK_POLL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_costs_a_few_hundred_bytes_plus_a_little_per_key() {
        let one = bytes_per_request(1);
        let hundred = bytes_per_request(100);
        assert!((100..2_000).contains(&one), "{one}");
        let per_key = (hundred - one) / 99;
        assert!((40..1_000).contains(&per_key), "{per_key}");
    }

    /// The strategies of scenario `text` over `keyspace` keys.
    fn strategies(text: &str, keyspace: u32) -> Vec<ModelConfig> {
        crate::scenario::parse(text, std::path::Path::new("s.toml"))
            .expect("a shipped scenario")
            .strategies
            .into_iter()
            .map(|s| {
                let mut config = s.config;
                config.clients.keyspace = keyspace;
                config
            })
            .collect()
    }

    /// Bytes the per-key structures of a run of `config` hold once built and written to (the
    /// capacities of the key popularity table and of the cache tier's arrays, a value written
    /// with a compute time).
    fn built_bytes(config: &ModelConfig) -> u64 {
        use super::super::cache::{CacheTier, TierStreams};
        use crate::engine::{RandomStreams, SimDuration, SimTime};
        let keys = super::super::clients::KeyTable::new(
            config.clients.keyspace,
            config.clients.popularity,
        );
        let s = RandomStreams::new(1);
        let streams = TierStreams {
            latency: s.stream(0),
            lock_latency: s.stream(1),
            ttl_jitter: s.stream(2),
            early_expiration: s.stream(3),
        };
        let cache = config.cache.as_ref().expect("a cache");
        let mut tier = CacheTier::new(cache, &config.mitigations, config.clients.keyspace, streams);
        tier.write(SimTime::ZERO, 1, None, SimDuration::from_millis(2), 0);
        keys.built_bytes() + tier.bytes()
    }

    #[test]
    fn bytes_per_key_stay_within_their_bounds_and_the_estimate_counts_them() {
        const N: u32 = 100_000;
        let per_key = |bytes: &dyn Fn(u32) -> u64| (bytes(2 * N) - bytes(N)) as f64 / N as f64;
        let rows = RowBytes { bucket: 0, node: 0 };
        let comparison = include_str!("../../benches/compare/model.toml");
        let benchmark = include_str!("../../benches/scenarios/throughput.toml");
        // Issue 23's target of 24 bytes a key, on its comparison model; the benchmark's LRU
        // nodes add 8 bytes of links and its 4 nodes a 2-byte placement, its mitigations a
        // compute time (8) and a lock (16) per key.
        for (name, text, strategy, most) in [
            ("comparison model", comparison, 0, 24.0),
            ("benchmark, plain", benchmark, 0, 30.0),
            ("benchmark, mitigations", benchmark, 1, 54.0),
        ] {
            let config = |n| strategies(text, n).swap_remove(strategy);
            let built = per_key(&|n| built_bytes(&config(n)));
            let estimated = per_key(&|n| footprint(&config(n), rows).fixed);
            // The estimate is the peak: the built structures, and while the alias table is
            // built its work list (4 bytes a key).
            assert!(
                built <= estimated && estimated <= built + 4.0,
                "{name}: built {built} bytes a key, estimated {estimated}"
            );
            assert!(
                estimated <= most,
                "{name}: {estimated} bytes a key, more than {most}"
            );
        }
    }

    #[test]
    fn the_cpu_estimate_adds_up_its_terms() {
        use crate::engine::SimDuration;
        let base = strategies(include_str!("../../benches/compare/model.toml"), 100_000).remove(0);
        // 1.2 million requests of one key each, 60 buckets, 100,000 keys, nothing else.
        let requests = expected_requests(&base);
        assert!((requests - 1.2e6).abs() < 1.0, "{requests}");
        let expected = requests * (SECONDS_PER_REQUEST + SECONDS_PER_KEY)
            + 60.0 * SECONDS_PER_BUCKET
            + 100_000.0 * SECONDS_PER_KEY_OF_KEYSPACE;
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
        assert!(
            close(cpu_seconds(&base), expected),
            "{}",
            cpu_seconds(&base)
        );
        // Each input moves its own term and no other.
        let with = |change: &dyn Fn(&mut ModelConfig)| {
            let mut c = base.clone();
            change(&mut c);
            cpu_seconds(&c) - cpu_seconds(&base)
        };
        let timed = with(&|c| c.clients.timeout = Some(SimDuration::from_millis(100)));
        assert!(
            close(timed, requests * SECONDS_PER_TIMED_REQUEST),
            "{timed}"
        );
        let cache_timed =
            with(&|c| c.cache.as_mut().unwrap().timeout = Some(SimDuration::from_millis(5)));
        assert!(
            close(cache_timed, requests * SECONDS_PER_TIMED_KEY),
            "{cache_timed}"
        );
        let keys = with(&|c| c.clients.keyspace = 1_100_000);
        assert!(close(keys, 1e6 * SECONDS_PER_KEY_OF_KEYSPACE), "{keys}");
        let twice = with(&|c| c.duration = SimDuration::from_secs(120));
        assert!(
            close(twice, expected - 100_000.0 * SECONDS_PER_KEY_OF_KEYSPACE),
            "{twice}"
        );
        // Fan-out 4: three key reads more a request, and the repeated draws of distinct keys.
        let fanout = with(&|c| c.clients.fanout = 4);
        let mut four = base.clone();
        four.clients.fanout = 4;
        let rejections = rejections_per_request(&four);
        assert!(rejections > 0.0);
        let extra = requests * (3.0 * SECONDS_PER_KEY + rejections * SECONDS_PER_REJECTION);
        assert!(close(fanout, extra), "{fanout} against {extra}");
        // Retries: the retry storm's strategies that retry against the same without.
        let storm = strategies(
            include_str!("../../scenarios/metastable-retry-storm.toml"),
            1000,
        );
        let retrying = storm
            .iter()
            .find(|c| c.retries.is_some())
            .expect("one retries");
        let mut plain = retrying.clone();
        plain.retries = None;
        let retried = cpu_seconds(retrying) - cpu_seconds(&plain);
        let expected = expected_requests(retrying) * SECONDS_PER_RETRIED_REQUEST;
        assert!(close(retried, expected), "{retried} against {expected}");
    }

    #[test]
    fn the_cpu_estimate_of_the_comparison_model_is_near_its_measured_time() {
        // A 100-point sweep of the comparison model (db.slots 8 to 107, --no-charts) took
        // 10.43 s of CPU on one thread of the idle development machine: 0.1043 s a point. The
        // estimate may be above it by a safety margin of up to 1.5 times, never below it.
        let config =
            strategies(include_str!("../../benches/compare/model.toml"), 100_000).remove(0);
        let ratio = cpu_seconds(&config) / 0.1043;
        assert!((1.0..=1.5).contains(&ratio), "{ratio}");
    }
}
