//! Properties of every valid scenario: generated scenario files parse, run to the end, give
//! finite and consistent numbers and CSVs that read back, and run the same twice.
//!
//! The generator draws raw numbers and resolves them against each other when it writes the TOML
//! (a timeline key below the keyspace, deploys that do not overlap...), so every file it writes
//! is valid and shrinking keeps it valid. Each case is kept small (at most 5 s simulated and about
//! 40,000 cache lookups per strategy) so the suite stays quick.

use std::fmt::Write as _;
use std::path::Path;

use cachestorm::experiment::{run_scenario, ScenarioResult};
use cachestorm::report::csv::{summary, summary_columns, timeseries, timeseries_columns};
use proptest::prelude::*;

use super::invariants::check_run;

/// Most cache lookups (requests × fanout) one strategy may make at the rates generated.
const MAX_LOOKUPS: f64 = 40_000.0;
/// Most requests one strategy may receive.
const MAX_REQUESTS: f64 = 20_000.0;

/// A random duration, in microseconds.
#[derive(Clone, Debug)]
enum Dist {
    Constant(u32),
    Exponential(u32),
    LogNormal { median: u32, p99: u32 },
    Uniform { min: u32, max: u32 },
}

impl Dist {
    fn toml(&self) -> String {
        match *self {
            Dist::Constant(v) if v % 2 == 0 => format!("\"{v}us\""),
            Dist::Constant(v) => format!("{{ dist = \"constant\", value = \"{v}us\" }}"),
            Dist::Exponential(m) => format!("{{ dist = \"exponential\", mean = \"{m}us\" }}"),
            Dist::LogNormal { median, p99 } => {
                format!("{{ dist = \"lognormal\", median = \"{median}us\", p99 = \"{p99}us\" }}")
            }
            Dist::Uniform { min, max } => {
                format!("{{ dist = \"uniform\", min = \"{min}us\", max = \"{max}us\" }}")
            }
        }
    }
}

/// A [`dist`] whose mean is above 0, as a database's service time must be (validation refuses
/// a database that answers in no time): a constant or uniform of 0 becomes 1 µs.
fn positive_dist(max_us: u32) -> impl Strategy<Value = Dist> {
    dist(max_us).prop_map(|d| match d {
        Dist::Constant(0) => Dist::Constant(1),
        Dist::Uniform { min, max: 0 } => Dist::Uniform { min, max: 1 },
        d => d,
    })
}

fn dist(max_us: u32) -> impl Strategy<Value = Dist> {
    prop_oneof![
        (0..=max_us).prop_map(Dist::Constant),
        (1..=max_us).prop_map(Dist::Exponential),
        (1..=max_us, 2u32..=20).prop_map(|(median, f)| Dist::LogNormal {
            median,
            p99: median * f,
        }),
        (0..=max_us, 0..=max_us).prop_map(|(a, b)| Dist::Uniform {
            min: a.min(b),
            max: a.max(b),
        }),
    ]
}

#[derive(Clone, Debug)]
struct Cache {
    nodes: u32,
    vnodes: Option<u32>,
    capacity: Option<u32>,
    latency: Dist,
    ttl_ms: u32,
    jitter: f64,
    /// The app's timeout on a cache call (node faults fail reads past it).
    timeout_ms: Option<u32>,
}

fn cache() -> impl Strategy<Value = Cache> {
    (
        1u32..=4,
        proptest::option::of(1u32..=200),
        proptest::option::of(1u32..=3000),
        dist(2_000),
        50u32..=3000,
        prop_oneof![Just(0.0), 0.0..=1.0],
        proptest::option::of(1u32..=100),
    )
        .prop_map(
            |(nodes, vnodes, capacity, latency, ttl_ms, jitter, timeout_ms)| Cache {
                nodes,
                vnodes,
                capacity,
                latency,
                ttl_ms,
                jitter,
                timeout_ms,
            },
        )
}

/// A timeline event as raw draws; [`Scenario::toml`] resolves them against the rest of the file.
#[derive(Clone, Debug)]
struct Event {
    /// Fraction of the run at which it happens.
    at: f64,
    /// flush, preload, set_rate, deploy, kill_lock_holder, slow_node, kill_node (and
    /// restore_node).
    kind: u8,
    a: u32,
    b: u32,
    c: u32,
    flag: bool,
    flag2: bool,
    frac: f64,
}

fn event() -> impl Strategy<Value = Event> {
    (
        0.0..=1.0,
        0u8..7,
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<bool>(),
        any::<bool>(),
        0.0..=1.0,
    )
        .prop_map(|(at, kind, a, b, c, flag, flag2, frac)| Event {
            at,
            kind,
            a,
            b,
            c,
            flag,
            flag2,
            frac,
        })
}

#[derive(Clone, Debug)]
enum Lockish {
    Lock {
        ttl_ms: Option<u32>,
        retry_ms: u32,
        max_retries: u32,
        fallback: u8,
    },
    Lease {
        period_ms: u32,
        retry_ms: u32,
        max_retries: u32,
        serve_stale: bool,
        fallback: u8,
    },
}

const FALLBACKS: [&str; 3] = ["stale", "error", "db"];

fn lockish() -> impl Strategy<Value = Lockish> {
    prop_oneof![
        (
            proptest::option::of(1u32..=3000),
            1u32..=50,
            0u32..=30,
            0u8..3
        )
            .prop_map(|(ttl_ms, retry_ms, max_retries, fallback)| Lockish::Lock {
                ttl_ms,
                retry_ms,
                max_retries,
                fallback,
            }),
        (10u32..=3000, 1u32..=50, 0u32..=30, any::<bool>(), 0u8..3).prop_map(
            |(period_ms, retry_ms, max_retries, serve_stale, fallback)| Lockish::Lease {
                period_ms,
                retry_ms,
                max_retries,
                serve_stale,
                fallback,
            }
        ),
    ]
}

/// One strategy: mitigations and a couple of overrides.
#[derive(Clone, Debug)]
struct Mitigations {
    coalescing: bool,
    beta: Option<f64>,
    refresh_ahead: Option<f64>,
    max_stale_ms: Option<u32>,
    lock: Option<Lockish>,
    rate_limit: Option<(f64, u32)>,
    db_slots: Option<u32>,
    ttl_jitter: Option<f64>,
    /// Adaptive throttling: k and the window in milliseconds.
    throttle: Option<(f64, u32)>,
    /// A database breaker: failures, window, cool-down and slow (ms), probes.
    db_breaker: Option<(u32, u32, u32, u32, Option<u32>)>,
}

fn mitigations() -> impl Strategy<Value = Mitigations> {
    (
        any::<bool>(),
        proptest::option::of(0.1..=5.0),
        proptest::option::of(0.05..=0.95),
        proptest::option::of(1u32..=2000),
        proptest::option::of(lockish()),
        proptest::option::of((1.0..=2000.0, 1u32..=10)),
        proptest::option::of(1u32..=16),
        proptest::option::of(0.0..=1.0),
        proptest::option::of((1.0..=10.0, 10u32..=5000)),
        proptest::option::of((
            1u32..=20,
            1u32..=2000,
            1u32..=2000,
            1u32..=5,
            proptest::option::of(1u32..=500),
        )),
    )
        .prop_map(
            |(
                coalescing,
                beta,
                refresh_ahead,
                max_stale_ms,
                lock,
                rate_limit,
                db_slots,
                ttl_jitter,
                throttle,
                db_breaker,
            )| {
                Mitigations {
                    coalescing,
                    beta,
                    refresh_ahead,
                    max_stale_ms,
                    lock,
                    rate_limit,
                    db_slots,
                    ttl_jitter,
                    throttle,
                    db_breaker,
                }
            },
        )
}

/// A whole scenario as raw draws.
#[derive(Clone, Debug)]
struct Scenario {
    seed: u64,
    duration_ms: u32,
    bucket_ms: u32,
    rps: f64,
    keyspace: u32,
    zipf_s: Option<f64>,
    fanout: u32,
    client_timeout_ms: Option<u32>,
    instances: u32,
    workers: Option<u32>,
    app_queue_limit: Option<u32>,
    discard_abandoned: Option<bool>,
    cache: Option<Cache>,
    db_slots: u32,
    db_service: Dist,
    db_queue_limit: Option<u32>,
    db_queue_timeout_ms: Option<u32>,
    max_in_flight: Option<u32>,
    timeline: Vec<Event>,
    strategies: Vec<Mitigations>,
    /// Client retries: attempts, and whether a client timeout is retried only (else every
    /// failure), with a backoff in milliseconds (0: none).
    retries: Option<(u32, bool, u32)>,
    /// Buckets of warm-up left out of the whole-run figures (at most all but one).
    warmup_buckets: u32,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let world = (
        // TOML integers are i64, so a file cannot hold a larger seed.
        0..=i64::MAX as u64,
        200u32..=5000,
        prop::sample::select(vec![50u32, 100, 250, 500, 1000]),
        0.0..=1.0,
        prop_oneof![1u32..=20, 1u32..=5000],
        proptest::option::of(prop_oneof![0.01..=2.0, 0.01..=10.0]),
        1u32..=50,
        proptest::option::of(20u32..=2000),
    );
    let app = (
        1u32..=8,
        proptest::option::of(1u32..=50),
        proptest::option::of(0u32..=100),
        proptest::option::of(any::<bool>()),
    );
    let rest = (
        prop::option::weighted(0.85, cache()),
        1u32..=16,
        positive_dist(20_000),
        proptest::option::of(0u32..=200),
        proptest::option::of(10u32..=500),
        proptest::option::of(1u32..=2000),
        prop::collection::vec(event(), 0..=5),
        prop::collection::vec(mitigations(), 0..=3),
    );
    let study = (
        proptest::option::of((2u32..=4, any::<bool>(), prop_oneof![Just(0u32), 1u32..=200])),
        prop_oneof![Just(0u32), 1u32..=4],
    );
    (world, app, rest, study).prop_map(
        |(
            (seed, duration_ms, bucket_ms, rps_frac, keyspace, zipf_s, fanout, client_timeout_ms),
            (instances, workers, app_queue_limit, discard_abandoned),
            (
                cache,
                db_slots,
                db_service,
                db_queue_limit,
                db_queue_timeout_ms,
                max_in_flight,
                timeline,
                strategies,
            ),
            (retries, warmup_buckets),
        )| {
            let fanout = fanout.min(keyspace);
            let max_rps = max_rps(duration_ms, fanout);
            Scenario {
                seed,
                duration_ms,
                bucket_ms: bucket_ms.min(duration_ms),
                rps: rps_frac * max_rps,
                keyspace,
                zipf_s,
                fanout,
                client_timeout_ms,
                instances,
                workers,
                app_queue_limit,
                discard_abandoned,
                cache,
                db_slots,
                db_service,
                db_queue_limit,
                db_queue_timeout_ms,
                max_in_flight,
                timeline,
                strategies,
                retries,
                warmup_buckets,
            }
        },
    )
}

/// Highest arrival rate that keeps one strategy within the request and lookup budget.
fn max_rps(duration_ms: u32, fanout: u32) -> f64 {
    let secs = duration_ms as f64 / 1000.0;
    (MAX_REQUESTS / secs).min(MAX_LOOKUPS / (fanout as f64 * secs))
}

impl Scenario {
    /// The scenario file.
    fn toml(&self) -> String {
        let mut t = String::new();
        let w = &mut t;
        let _ = writeln!(w, "name = \"prop\"\nseed = {}", self.seed);
        let _ = writeln!(w, "duration = \"{}ms\"", self.duration_ms);
        // A third of the scenarios drain their requests in flight after `duration`.
        if self.seed % 3 == 0 {
            let _ = writeln!(w, "drain = \"{}ms\"", self.duration_ms);
        }
        let _ = writeln!(w, "bucket = \"{}ms\"", self.bucket_ms);
        let buckets = self.duration_ms.div_ceil(self.bucket_ms);
        let warmup = self.warmup_buckets.min(buckets - 1);
        if warmup > 0 {
            let _ = writeln!(w, "warmup = \"{}ms\"", warmup * self.bucket_ms);
        }
        let _ = writeln!(w, "[clients]\nrps = {:?}", self.rps);
        let _ = writeln!(w, "keyspace = {}\nfanout = {}", self.keyspace, self.fanout);
        match self.zipf_s {
            Some(s) => {
                let _ = writeln!(w, "popularity = {{ dist = \"zipf\", s = {s:?} }}");
            }
            None => {
                let _ = writeln!(w, "popularity = \"uniform\"");
            }
        }
        if let Some(ms) = self.client_timeout_ms {
            let _ = writeln!(w, "timeout = \"{ms}ms\"");
        }
        let _ = writeln!(w, "[app]\ninstances = {}", self.instances);
        if let Some(v) = self.workers {
            let _ = writeln!(w, "workers = {v}");
        }
        if let Some(v) = self.app_queue_limit {
            let _ = writeln!(w, "queue_limit = {v}");
        }
        if let Some(v) = self.discard_abandoned {
            let _ = writeln!(w, "discard_abandoned = {v}");
        }
        let _ = writeln!(w, "[cache]");
        match &self.cache {
            None => {
                let _ = writeln!(w, "enabled = false");
            }
            Some(c) => {
                let _ = writeln!(w, "nodes = {}", c.nodes);
                if let Some(v) = c.vnodes {
                    let _ = writeln!(w, "vnodes = {v}");
                }
                if let Some(v) = c.capacity {
                    let _ = writeln!(w, "capacity = {v}");
                }
                let _ = writeln!(w, "latency = {}", c.latency.toml());
                let _ = writeln!(w, "ttl = \"{}ms\"\nttl_jitter = {:?}", c.ttl_ms, c.jitter);
                if let Some(ms) = c.timeout_ms {
                    let _ = writeln!(w, "timeout = \"{ms}ms\"");
                }
            }
        }
        let _ = writeln!(w, "[db]\nslots = {}", self.db_slots);
        let _ = writeln!(w, "service = {}", self.db_service.toml());
        if let Some(v) = self.db_queue_limit {
            let _ = writeln!(w, "queue_limit = {v}");
        }
        if let Some(ms) = self.db_queue_timeout_ms {
            let _ = writeln!(w, "queue_timeout = \"{ms}ms\"");
        }
        if let Some(v) = self.max_in_flight {
            let _ = writeln!(w, "[limits]\nmax_in_flight = {v}");
        }
        if let Some((attempts, timeout_only, backoff_ms)) = self.retries {
            let _ = writeln!(w, "[retries]\nattempts = {attempts}");
            if timeout_only {
                let _ = writeln!(w, "on = [\"timeout\"]");
            }
            if backoff_ms > 0 {
                let _ = writeln!(w, "backoff = \"fixed\"\nbase = \"{backoff_ms}ms\"");
            }
        }
        self.write_timeline(w);
        for (i, m) in self.strategies.iter().enumerate() {
            let _ = writeln!(w, "[[strategies]]\nname = \"s{i}\"");
            if let Some(v) = m.db_slots {
                let _ = writeln!(w, "db.slots = {v}");
            }
            if self.cache.is_some() {
                write_mitigations(w, m);
            }
        }
        t
    }

    /// Timeline events, resolved so that each is valid: keys below the keyspace, nodes below the
    /// node count, waves at most the instances, and deploys that do not overlap (a deploy that
    /// would overlap the previous one, or that has no cache to act on, becomes a flush).
    fn write_timeline(&self, w: &mut String) {
        let mut events: Vec<(u32, &Event)> = self
            .timeline
            .iter()
            .map(|e| ((e.at * self.duration_ms as f64) as u32, e))
            .collect();
        events.sort_by_key(|e| e.0);
        let max_rps = max_rps(self.duration_ms, self.fanout);
        let mut deploy_end: Option<u32> = None;
        for (at, e) in events {
            let _ = write!(w, "[[timeline]]\nat = \"{at}ms\"\n");
            match e.kind {
                1 => {
                    let _ = writeln!(w, "action = \"preload\"");
                    if e.flag {
                        let _ = writeln!(w, "top = {}", 1 + e.a % self.keyspace);
                    }
                    if e.flag2 {
                        let _ = writeln!(w, "ttl = \"{}ms\"", 10 + e.b % 2000);
                    }
                }
                2 => {
                    let _ = writeln!(w, "action = \"set_rate\"\nrps = {:?}", e.frac * max_rps);
                    if e.flag {
                        let _ = writeln!(w, "ramp = \"{}ms\"", e.b % 2000);
                    }
                }
                3 if self.cache.is_some() => {
                    let waves = 1 + e.a % self.instances;
                    let interval = if waves > 1 || e.flag { e.b % 200 } else { 0 };
                    let lead = if e.flag2 { e.c % (at + 1) } else { 0 };
                    if deploy_end.is_some_and(|end| at - lead <= end) {
                        let _ = writeln!(w, "action = \"flush\"");
                        continue;
                    }
                    deploy_end = Some(at + interval * (waves - 1));
                    let _ = writeln!(w, "action = \"deploy\"\nwaves = {waves}");
                    if waves > 1 || e.flag {
                        let _ = writeln!(w, "wave_interval = \"{interval}ms\"");
                    }
                    if e.flag2 {
                        let _ = writeln!(w, "warmup_top = {}", 1 + e.c % self.keyspace);
                        let _ = writeln!(w, "warmup_rate = {:?}", 1.0 + e.frac * 5000.0);
                        let _ = writeln!(w, "warmup_lead = \"{lead}ms\"");
                    }
                }
                4 => {
                    let _ = writeln!(w, "action = \"kill_lock_holder\"");
                    let _ = writeln!(w, "key = {}", e.a % self.keyspace);
                }
                5 if self.cache.is_some() => {
                    let _ = writeln!(w, "action = \"slow_node\"");
                    let _ = writeln!(w, "factor = {:?}", 1.0 + e.frac * 50.0);
                    let _ = writeln!(w, "lasting = \"{}ms\"", 1 + e.b % 2000);
                }
                6 if self.cache.is_some() => {
                    // A node dies, and comes back later in the run when `flag`.
                    let node = e.a % self.cache.as_ref().map_or(1, |c| c.nodes);
                    let _ = writeln!(w, "action = \"kill_node\"\nnode = {node}");
                    if e.flag {
                        let back = at + ((self.duration_ms - at) as f64 * e.frac) as u32;
                        let _ = writeln!(
                            w,
                            "[[timeline]]\nat = \"{back}ms\"\naction = \"restore_node\"\nnode = {node}"
                        );
                    }
                }
                _ => {
                    let _ = writeln!(w, "action = \"flush\"");
                    if let (Some(c), true) = (&self.cache, e.flag) {
                        let _ = writeln!(w, "node = {}", e.a % c.nodes);
                    }
                }
            }
        }
    }
}

fn write_mitigations(w: &mut String, m: &Mitigations) {
    if m.coalescing {
        let _ = writeln!(w, "mitigations.coalescing = true");
    }
    if let Some(beta) = m.beta {
        let _ = writeln!(w, "mitigations.early_expiration = {{ beta = {beta:?} }}");
    }
    if let Some(f) = m.refresh_ahead {
        let _ = writeln!(w, "mitigations.refresh_ahead = {{ fraction = {f:?} }}");
    }
    if let Some(ms) = m.max_stale_ms {
        let _ = writeln!(
            w,
            "mitigations.stale_while_revalidate = {{ max_stale = \"{ms}ms\" }}"
        );
    }
    match &m.lock {
        None => {}
        Some(Lockish::Lock {
            ttl_ms,
            retry_ms,
            max_retries,
            fallback,
        }) => {
            let ttl = ttl_ms.map_or("none".to_string(), |ms| format!("{ms}ms"));
            let _ = writeln!(
                w,
                "mitigations.lock = {{ ttl = \"{ttl}\", retry_interval = \"{retry_ms}ms\", max_retries = {max_retries}, fallback = \"{}\" }}",
                FALLBACKS[*fallback as usize]
            );
        }
        Some(Lockish::Lease {
            period_ms,
            retry_ms,
            max_retries,
            serve_stale,
            fallback,
        }) => {
            let _ = writeln!(
                w,
                "mitigations.lease = {{ period = \"{period_ms}ms\", retry_interval = \"{retry_ms}ms\", max_retries = {max_retries}, serve_stale = {serve_stale}, fallback = \"{}\" }}",
                FALLBACKS[*fallback as usize]
            );
        }
    }
    if let Some((rate, burst)) = m.rate_limit {
        let _ = writeln!(
            w,
            "mitigations.rate_limit = {{ rate = {rate:?}, burst = {burst} }}"
        );
    }
    if let Some(j) = m.ttl_jitter {
        let _ = writeln!(w, "cache.ttl_jitter = {j:?}");
    }
    if let Some((k, window_ms)) = m.throttle {
        let _ = writeln!(
            w,
            "mitigations.adaptive_throttling = {{ k = {k:?}, window = \"{window_ms}ms\" }}"
        );
    }
    if let Some((failures, window_ms, cool_ms, probes, slow_ms)) = m.db_breaker {
        let slow = slow_ms.map_or(String::new(), |ms| format!(", slow = \"{ms}ms\""));
        let _ = writeln!(
            w,
            "mitigations.db_breaker = {{ failures = {failures}, window = \"{window_ms}ms\", cool_down = \"{cool_ms}ms\", probes = {probes}{slow} }}"
        );
    }
}

fn parse(text: &str) -> cachestorm::scenario::Scenario {
    cachestorm::scenario::parse(text, Path::new("prop.toml"))
        .unwrap_or_else(|e| panic!("generated scenario refused: {e}\n{text}"))
}

/// Reads `bytes` back as CSV: header and rows as strings.
fn read_csv(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(bytes);
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// The CSVs read back with the documented header, one row per bucket (strategy), every number
/// finite, `errors_total` the sum of the five error columns and `hit_ratio` in [0, 1].
fn check_csvs(result: &ScenarioResult) {
    let files = [
        (
            "timeseries.csv",
            timeseries(result),
            timeseries_columns(),
            result
                .strategies
                .iter()
                .map(|s| s.result.buckets.len())
                .sum::<usize>(),
        ),
        (
            "summary.csv",
            summary(result),
            summary_columns(),
            result.strategies.len(),
        ),
    ];
    for (file, bytes, columns, rows) in files {
        let (header, records) = read_csv(&bytes);
        assert_eq!(header, columns, "{file}: header");
        assert_eq!(records.len(), rows, "{file}: row count");
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        for (i, rec) in records.iter().enumerate() {
            assert_eq!(rec.len(), header.len(), "{file} row {i}: field count");
            let num = |name: &str| -> f64 {
                let v: f64 = rec[col(name)]
                    .parse()
                    .unwrap_or_else(|_| panic!("{file} row {i}: {name} = {}", rec[col(name)]));
                v
            };
            for name in header.iter().skip(1) {
                if name == "recovery_s" {
                    // Seconds, "never" (goodput did not come back within the run), or empty
                    // (no trigger event, or no goodput before it to come back to).
                    let v = &rec[col(name)];
                    assert!(
                        v.is_empty() || v == "never" || num(name) >= 0.0,
                        "{file} row {i}: recovery_s = {v}"
                    );
                    continue;
                }
                if name == "recovered" || name == "metastable" {
                    // 1, 0, or empty when the verdict does not apply; empty exactly when
                    // recovery_s is, and recovered is 0 exactly when it is "never".
                    let (v, r) = (&rec[col(name)], &rec[col("recovery_s")]);
                    assert_eq!(v.is_empty(), r.is_empty(), "{file} row {i}: {name} = {v}");
                    assert!(
                        v.is_empty() || v == "0" || v == "1",
                        "{file} row {i}: {name}"
                    );
                    if name == "recovered" && !v.is_empty() {
                        assert_eq!(v == "0", r == "never", "{file} row {i}: {v} vs {r}");
                    }
                    if name == "metastable" && v == "1" {
                        assert_eq!(r, "never", "{file} row {i}: metastable but recovered");
                    }
                    continue;
                }
                assert!(num(name).is_finite(), "{file} row {i}: {name} not finite");
            }
            // Every kind of failed request, as the column declaration lists them.
            let kinds: f64 = cachestorm::metrics::columns::failure_kinds()
                .iter()
                .map(|(n, _)| num(n))
                .sum();
            assert_eq!(num("errors_total"), kinds, "{file} row {i}: errors_total");
            assert!(
                num("attempts") >= num("requests_arrived"),
                "{file} row {i}: fewer attempts than requests"
            );
            assert!(
                (0.0..=1.0).contains(&num("hit_ratio")),
                "{file} row {i}: hit_ratio"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_valid_scenario_runs_with_consistent_figures(s in scenario()) {
        let text = s.toml();
        let scenario = parse(&text);
        let result = run_scenario(&scenario, &|_| {});
        for (strategy, r) in scenario.strategies.iter().zip(&result.strategies) {
            check_run(&strategy.config, &r.result);
            // The run did the work estimated before it: no more arrivals than the rates bring
            // (Poisson: within six standard deviations), and the drain within its bound.
            let expected = cachestorm::model::footprint::expected_requests(&strategy.config);
            let arrived = r.result.summary.totals.arrived as f64;
            prop_assert!(
                arrived <= expected + 6.0 * expected.sqrt() + 10.0,
                "{} arrivals for {expected:.0} expected", arrived
            );
            let bound = strategy.config.drain.map_or(0.0, |d| d.as_secs_f64());
            prop_assert!(r.result.summary.drained_s <= bound + 1e-9);
        }
        check_csvs(&result);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        max_shrink_iters: 100,
        ..ProptestConfig::default()
    })]

    #[test]
    fn same_scenario_and_seed_give_the_same_result(s in scenario()) {
        let scenario = parse(&s.toml());
        for strategy in &scenario.strategies {
            let a = cachestorm::experiment::simulate(&strategy.config, scenario.seed, &|_| {});
            let b = cachestorm::experiment::simulate(&strategy.config, scenario.seed, &|_| {});
            prop_assert_eq!(a, b, "strategy {}", strategy.name);
        }
    }
}

/// The figures a baseline check compares by default are those flagged `baseline(N)` in the
/// column declaration, each a summary column, in the order the README's `[check]` example
/// gives them (the defaults it documents).
#[test]
fn the_default_baseline_metrics_are_the_declared_ones_and_the_documented_ones() {
    let declared = cachestorm::metrics::columns::baseline_metrics();
    let summary = summary_columns();
    assert!(!declared.is_empty());
    for m in &declared {
        assert!(
            summary.iter().any(|c| c == m),
            "{m} is not a summary column"
        );
    }
    let default = cachestorm::scenario::expect::BaselineCheck::default();
    assert_eq!(default.metrics, declared);
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let line = readme
        .lines()
        .skip_while(|l| !l.starts_with("[check]"))
        .find(|l| l.starts_with("metrics = ["))
        .expect("the README's [check] example lists its metrics");
    let documented: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
    assert_eq!(documented, declared, "README: {line}");
}

/// Every CSV column is documented in README.md's column tables and every column documented
/// there exists, so a column cannot ship undocumented nor a documented one vanish.
#[test]
fn csv_headers_are_the_documented_columns() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = |title: &str| -> String {
        let start = readme
            .find(title)
            .unwrap_or_else(|| panic!("README lacks {title}"));
        let rest = &readme[start + title.len()..];
        rest[..rest.find("\n#").unwrap_or(rest.len())].to_string()
    };
    let backticked = |text: &str| -> Vec<String> {
        text.split('`')
            .skip(1)
            .step_by(2)
            .map(String::from)
            .collect()
    };
    // The first cell of each table row names columns; summary.csv's opening sentence names a
    // few more and refers to timeseries.csv for the counters.
    let first_cells = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("| `"))
            .flat_map(|l| backticked(l.split('|').nth(1).unwrap_or("")))
            .collect()
    };
    let ts = section("### `timeseries.csv` columns");
    let sm = section("### `summary.csv` columns");
    let ts_doc = first_cells(&ts);
    let sum_doc: Vec<String> = first_cells(&sm)
        .into_iter()
        .chain(backticked(
            sm.trim_start().split("\n\n").next().unwrap_or(""),
        ))
        .collect();
    let ts_cols = timeseries_columns();
    let sum_cols = summary_columns();
    for c in &ts_cols {
        assert!(
            ts_doc.iter().any(|d| d == c),
            "timeseries.csv column `{c}` is not in README"
        );
    }
    for c in &sum_cols {
        let documented = sum_doc.iter().any(|d| d == c)
            || (ts_doc.iter().any(|d| d == c) && !c.starts_with("bucket_"));
        assert!(documented, "summary.csv column `{c}` is not in README");
    }
    for d in &ts_doc {
        assert!(
            ts_cols.contains(&d.as_str()),
            "README documents timeseries.csv column `{d}` that the CSV lacks"
        );
    }
    for d in first_cells(&sm) {
        assert!(
            sum_cols.contains(&d.as_str()),
            "README documents summary.csv column `{d}` that the CSV lacks"
        );
    }
}
