//! Shared fixtures of the chart tests: builders of results (a run, replications, fan-out
//! data), the stems each group of charts adds, and helpers that read rendered charts back.
//! Every chart module's `tests` needs this one import: it also re-exports the charts module's
//! items, the metrics types the builders fill and the plotters items tests compare against.

pub(super) use plotters::coord::ranged1d::Ranged;
pub(super) use plotters::prelude::*;

pub(super) use super::*;
pub(super) use crate::metrics::StrategyResult;
pub(super) use crate::metrics::{BucketRow, CauseCounts, LatencyStats, NodeRow, RunResult};

pub(super) const STEMS: [&str; 6] = [
    "latency_p99",
    "db_load",
    "hit_ratio",
    "errors",
    "latency_p99_by_strategy",
    "db_load_by_strategy",
];

pub(super) const FANOUT_STEMS: [&str; 2] = ["fanout_all_hit", "fanout_latency"];

pub(super) fn bucket(
    start_s: f64,
    qps: u64,
    queue: u64,
    p99_ms: f64,
    hits: u64,
    misses: u64,
) -> BucketRow {
    BucketRow {
        start_s,
        width_s: 1.0,
        cache_hits: hits,
        cache_misses: misses,
        db_completed: qps,
        db_by_cause: CauseCounts {
            miss: qps,
            ..CauseCounts::default()
        },
        db_queue_max: queue,
        latency: LatencyStats {
            count: u64::from(p99_ms > 0.0),
            p99_ms,
            ..LatencyStats::default()
        },
        ..BucketRow::default()
    }
}

pub(super) fn strategy(name: &str, capacity: f64, buckets: Vec<BucketRow>) -> StrategyResult {
    StrategyResult {
        name: name.to_owned(),
        description: String::new(),
        db_capacity_qps: capacity,
        fanout: 1,
        marks: Vec::new(),
        client_timeout_s: None,
        result: RunResult {
            buckets,
            nodes: Vec::new(),
            summary: Default::default(),
        },
    }
}

/// A scenario with one panel more than a small-multiples chart draws: copies of `template`
/// named `s0`, `s1`, ...
pub(super) fn beyond_max_panels(template: &StrategyResult) -> ScenarioResult {
    scenario(
        (0..=super::MAX_PANELS)
            .map(|i| StrategyResult {
                name: format!("s{i}"),
                ..template.clone()
            })
            .collect(),
    )
}

pub(super) fn scenario(strategies: Vec<StrategyResult>) -> ScenarioResult {
    ScenarioResult {
        name: "avalanche".to_owned(),
        description: String::new(),
        seed: 7,
        duration_s: 120.0,
        bucket_s: 1.0,
        timeline: vec![
            (0.0, "preload top 20000".to_owned()),
            (0.5, "rate 4000/s".to_owned()),
            (60.0, "flush".to_owned()),
        ],
        strategies,
    }
}

pub(super) fn sample() -> ScenarioResult {
    let spiky = (0..120)
        .map(|i| {
            let spike = i % 60 < 3;
            let (qps, queue, p99) = if spike {
                (5000, 3000, 1000.0)
            } else {
                (300, 0, 8.0)
            };
            let hits = if spike { 200 } else { 950 };
            bucket(f64::from(i), qps, queue, p99, hits, 1000 - hits)
        })
        .collect();
    let flat = (0..120)
        .map(|i| bucket(f64::from(i), 300, 1, 10.0, 950, 50))
        .collect();
    scenario(vec![
        strategy("fixed-ttl", 1600.0, spiky),
        strategy("jittered-10", 1600.0, flat),
    ])
}

pub(super) fn stems(charts: &[Chart]) -> Vec<&'static str> {
    charts.iter().map(|c| c.file_stem).collect()
}

pub(super) fn fanout_sample() -> FanoutChartData {
    let mut simulated = Vec::new();
    for k in [1u32, 5, 10] {
        for h in [0.5f64, 0.7, 0.9, 0.95, 0.99] {
            simulated.push((k, h, h.powf(f64::from(k)) + 0.01));
        }
    }
    simulated.push((7, 0.9, 0.5));
    FanoutChartData {
        title: "fan-out".to_owned(),
        curve_ks: vec![1, 2, 5, 10, 20],
        simulated,
        latency_by_k: (1..=10u32)
            .map(|k| {
                (
                    k,
                    f64::from(k) * 0.5,
                    f64::from(k) * 3.0,
                    f64::from(k) * 20.0,
                )
            })
            .collect(),
    }
}

// Freshness charts
pub(super) const FRESHNESS_STEMS: [&str; 3] = [
    "outdated_reads",
    "outdated_age_p99",
    "outdated_age_p99_by_strategy",
];

/// `sample()` with writes: strategy 0 serves half its reads outdated, by about 30 s; strategy 1
/// one read in 10,000, by 0.5 ms, and none at all in buckets 10 and 11.
pub(super) fn writing_sample() -> ScenarioResult {
    let mut result = sample();
    for (i, s) in result.strategies.iter_mut().enumerate() {
        let mut outdated_total = 0;
        for (j, b) in s.result.buckets.iter_mut().enumerate() {
            b.writes_committed = 20;
            b.reads_served = 10_000;
            b.outdated_reads = match (i, j) {
                (0, _) => 5_000,
                (_, 10 | 11) => 0,
                _ => 1,
            };
            outdated_total += b.outdated_reads;
            b.outdated_age = LatencyStats {
                count: b.outdated_reads,
                p99_ms: if b.outdated_reads == 0 {
                    0.0
                } else if i == 0 {
                    30_000.0
                } else {
                    0.5
                },
                ..LatencyStats::default()
            };
        }
        s.result.summary.totals.writes_committed = 20 * s.result.buckets.len() as u64;
        s.result.summary.totals.outdated_reads = outdated_total;
        s.result.summary.totals.outdated_age = LatencyStats {
            count: outdated_total,
            p99_ms: if i == 0 { 31_000.0 } else { 0.5 },
            ..LatencyStats::default()
        };
    }
    result
}

// Retry and dependency charts
pub(super) const RETRY_STEMS: [&str; 2] = ["goodput", "retry_amplification"];

/// `sample()` with 1,000 requests arriving each second. Strategy 0 retries in its spikes: three
/// attempts per request, 400 requests answered in time and 1,800 attempts answered after their
/// client had gone; otherwise every request is answered at its first attempt. Strategy 1 never
/// retries.
pub(super) fn retrying_sample() -> ScenarioResult {
    let mut result = sample();
    for (i, s) in result.strategies.iter_mut().enumerate() {
        for (j, b) in s.result.buckets.iter_mut().enumerate() {
            let storm = i == 0 && j % 60 < 3;
            b.arrived = 1_000;
            b.attempts = if storm { 3_000 } else { 1_000 };
            b.retries = b.attempts - b.arrived;
            b.completed = if storm { 400 } else { 1_000 };
            b.attempts_late = if storm { 1_800 } else { 0 };
        }
    }
    result
}

// Cache node charts
/// `sample()` and a third strategy, "rehash", with per-node rows for three nodes in the first
/// and third: node 0 is sent 100 reads a second, node 1 200 and node 2 (hot) 400. In
/// `fixed-ttl` node 1 is dead from 60 s to 90 s and every read sent to it fails; in `rehash` it
/// fails its reads for two seconds, then is sent none until 90 s while nodes 0 and 2 take 100
/// more each. `jittered-10` has no node rows.
pub(super) fn node_sample() -> ScenarioResult {
    let mut result = sample();
    let rehash = StrategyResult {
        name: "rehash".to_owned(),
        ..result.strategies[1].clone()
    };
    result.strategies.push(rehash);
    for i in [0, 2] {
        let s = &mut result.strategies[i];
        s.result.nodes = s
            .result
            .buckets
            .iter()
            .map(|b| {
                let down = (60.0..90.0).contains(&b.start_s);
                let moved = i == 2 && down && b.start_s >= 62.0;
                let row = |reads: u64, errors: u64| NodeRow {
                    reads,
                    errors,
                    ..NodeRow::default()
                };
                let node1 = match (down, moved) {
                    (false, _) => row(200, 0),
                    (true, false) => row(200, 200),
                    (true, true) => row(0, 0),
                };
                let extra = if moved { 100 } else { 0 };
                vec![row(100 + extra, 0), node1, row(400 + extra, 0)]
            })
            .collect();
    }
    result
}

/// `node_sample()` with no read sent to any node.
pub(super) fn node_sample_idle() -> ScenarioResult {
    let mut idle = node_sample();
    for s in &mut idle.strategies {
        for rows in &mut s.result.nodes {
            rows.iter_mut().for_each(|row| *row = NodeRow::default());
        }
    }
    idle
}

// Charts that tell the truth at a glance (issue 11, item 7).
/// `sample()` where only `jittered-10` deploys in two waves after a warm-up, only `fixed-ttl`
/// is flushed, both preload, and the scenario drains: the lists `run_scenario` gives.
pub(super) fn marked_sample() -> ScenarioResult {
    let mut result = sample();
    let preload = (0.0, "preload all".to_owned());
    result.strategies[0].marks = vec![preload.clone(), (60.0, "flush".to_owned())];
    result.strategies[1].marks = vec![
        preload.clone(),
        (55.0, "warm-up starts".to_owned()),
        (60.0, "deploy (2 waves)".to_owned()),
        (70.0, "wave 2/2".to_owned()),
    ];
    result.timeline = vec![
        preload,
        (60.0, "flush".to_owned()),
        (60.0, "deploy (2 waves)".to_owned()),
        (110.0, "arrivals stop (drain)".to_owned()),
    ];
    result
}

/// Decodes standard base64 (the inverse of `base64`).
pub(super) fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = text.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= u32::from(value(c)) << (18 - 6 * i);
        }
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

// Replications: the mean line with a band
pub(super) fn study(runs: Vec<ScenarioResult>) -> StudyResult {
    StudyResult {
        runs,
        warmup_s: 0.0,
        baseline: None,
        objective: Vec::new(),
    }
}

/// `count` replications of `base`, each passed to `vary` with its index.
pub(super) fn replicate(
    base: &ScenarioResult,
    count: usize,
    vary: impl Fn(usize, &mut ScenarioResult),
) -> Vec<ScenarioResult> {
    (0..count)
        .map(|r| {
            let mut run = base.clone();
            run.seed = base.seed + r as u64;
            vary(r, &mut run);
            run
        })
        .collect()
}

/// Three replications of `sample()` that differ only in fixed-ttl's quiet bucket 30: p99 10,
/// 20 and 60 ms; 100, 200 and 600 queries completed, twice that submitted; a queue of 0, 3
/// and 6; 900, 800 and 400 hits of 1,000 lookups; 0, 0 and 90 failed requests.
pub(super) fn three_replications() -> Vec<ScenarioResult> {
    replicate(&sample(), 3, |r, run| {
        let b = &mut run.strategies[0].result.buckets[30];
        let (p99, completed, queue, hits, failed) = [
            (10.0, 100, 0, 900, 0),
            (20.0, 200, 3, 800, 0),
            (60.0, 600, 6, 400, 90),
        ][r];
        b.latency.p99_ms = p99;
        b.db_completed = completed;
        b.db_by_cause.miss = 2 * completed;
        b.db_queue_max = queue;
        (b.cache_hits, b.cache_misses) = (hits, 1_000 - hits);
        b.errors_timeout = failed;
    })
}

/// The point of `series` at time `t`, and its band there.
pub(super) fn at(series: &Series, t: f64) -> (Option<f64>, Option<(f64, f64)>) {
    let point = series.segments.iter().flatten().find(|p| p.0 == t);
    let band = series.band.iter().flatten().find(|b| b.0 == t);
    (point.map(|p| p.1), band.map(|b| (b.1, b.2)))
}

pub(super) fn assert_near(
    actual: (Option<f64>, Option<(f64, f64)>),
    expected: (f64, Option<(f64, f64)>),
) {
    let near = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    let (Some(mean), band) = actual else {
        panic!("no point where {expected:?} was expected");
    };
    assert!(near(mean, expected.0), "{actual:?} != {expected:?}");
    match (band, expected.1) {
        (Some((lo, hi)), Some((elo, ehi))) => {
            assert!(near(lo, elo) && near(hi, ehi), "{actual:?} != {expected:?}")
        }
        (None, None) => {}
        _ => panic!("{actual:?} != {expected:?}"),
    }
}

pub(super) const BAND_LEGEND: &str = "Lines: mean of 3 replications; shaded: min to max";
