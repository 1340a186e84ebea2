//! What every run must satisfy, whatever its scenario: shared by the property tests, the
//! regression tests and the fuzz target (`fuzz/fuzz_targets/scenario.rs` includes this file by
//! path, so it may use nothing but `cachestorm` and std).

use cachestorm::metrics::columns::{Cell, Column, Gather, COLUMNS};
use cachestorm::metrics::{BucketRow, RunResult};
use cachestorm::model::ModelConfig;

/// A counter of a row, named.
type Counter = (&'static str, fn(&BucketRow) -> u64);

/// The count a column of counts holds.
fn count(name: &str, cell: Cell) -> u64 {
    match cell {
        Cell::Count(n) => n,
        other => panic!("{name} is a count, not {other:?}"),
    }
}

/// Slack for fractions computed from integer nanoseconds (busy slot-time over bucket width).
const FRACTION_SLACK: f64 = 1e-9;

/// Panics, naming the bucket and the field, if `result` breaks an invariant of a run of `config`.
pub fn check_run(config: &ModelConfig, result: &RunResult) {
    // One row per bucket: up to `duration`, or on until the drain ended, or until the run
    // stopped as diverged.
    let rows = result.buckets.len();
    let plain = result.summary.truncation.is_none() && result.summary.drained_s == 0.0;
    if plain {
        assert_eq!(rows, config.bucket_count(), "one row per bucket");
    } else {
        let most = cachestorm::model::footprint::max_buckets(config) as usize;
        assert!(
            (1..=most).contains(&rows),
            "{rows} rows for at most {most} buckets"
        );
    }
    // The whole-run figures start after any warm-up: they count what happened in the buckets
    // from there on, and the requests that arrived there (wherever they ended).
    let skip = measured_from(result);
    let measured = &result.buckets[skip..];
    let widths: f64 = measured.iter().map(|b| b.width_s).sum();
    assert!(
        (widths - result.summary.totals.width_s).abs() < 1e-6,
        "bucket widths add up to the measured run: {widths} vs {}",
        result.summary.totals.width_s
    );
    // Queries in service at the end fit the database's slots (over the whole run: a query of
    // a warm-up may end after it).
    let all = |f: fn(&BucketRow) -> u64| result.buckets.iter().map(f).sum::<u64>();
    let (started, completed) = (all(|b| b.db_started), all(|b| b.db_completed));
    assert!(
        started >= completed && started - completed <= config.db.slots as u64,
        "{started} queries started and {completed} completed with {} slots",
        config.db.slots
    );
    for (i, b) in result.buckets.iter().enumerate() {
        check_row(&format!("bucket {i}"), b);
        assert_eq!(
            b.latency.count, b.completed,
            "bucket {i}: one latency sample per completed request"
        );
    }
    let t = &result.summary.totals;
    check_row("totals", t);
    assert!(
        result.summary.peak_db_qps.is_finite() && result.summary.peak_db_qps >= 0.0,
        "peak_db_qps {}",
        result.summary.peak_db_qps
    );
    let sum = |f: fn(&BucketRow) -> u64| measured.iter().map(f).sum::<u64>();
    let by_arrival: [Counter; 3] = [
        ("completed", |b| b.completed),
        ("errors", |b| b.errors()),
        ("requests_all_hit", |b| b.requests_all_hit),
    ];
    for (name, f) in by_arrival {
        if skip == 0 {
            assert_eq!(f(t), sum(f), "totals.{name} is the sum of the buckets");
        } else {
            // Less those of requests that arrived during the warm-up.
            assert!(
                f(t) <= sum(f),
                "totals.{name} above the sum of the measured buckets"
            );
        }
    }
    // Every other count of the declaration is the sum of the measured buckets', and every
    // peak the largest of theirs.
    let counted_by_arrival = |c: &Column| {
        c.failure.is_some()
            || [
                "requests_completed",
                "requests_all_hit",
                "requests_unfinished",
            ]
            .contains(&c.name)
    };
    let gathered = |c: &&Column| matches!(c.gather, Gather::Sum | Gather::Max);
    for c in COLUMNS
        .iter()
        .filter(gathered)
        .filter(|c| !counted_by_arrival(c))
    {
        let cells = measured.iter().map(|b| c.value(b, None));
        match (c.gather, c.value(t, None)) {
            (Gather::Sum, Cell::Count(total)) => {
                let sum: u64 = cells.map(|v| count(c.name, v)).sum();
                assert_eq!(total, sum, "totals.{} is the sum of the buckets", c.name);
            }
            (Gather::Max, total) => {
                let peak = cells.fold(None, |m: Option<Cell>, v| match (m, v) {
                    (Some(Cell::Count(a)), Cell::Count(b)) => Some(Cell::Count(a.max(b))),
                    (Some(Cell::Real(a)), Cell::Real(b)) => Some(Cell::Real(a.max(b))),
                    (_, v) => Some(v),
                });
                assert_eq!(
                    Some(total),
                    peak.or(Some(total)),
                    "totals.{} is the largest of the buckets'",
                    c.name
                );
            }
            (_, other) => panic!("{} sums but holds {other:?}", c.name),
        }
    }
    assert_eq!(
        t.latency.count, t.completed,
        "totals: one latency sample per completed request"
    );
    let submitted = all(|b| {
        let c = &b.db_by_cause;
        c.miss + c.early_refresh + c.background_refresh + c.warmup + c.fallback + c.write
    });
    assert!(
        submitted >= started,
        "{started} queries started but only {submitted} submitted"
    );
    check_accounting(result);
}

/// The first bucket of the whole-run figures (after a warm-up, if any).
pub fn measured_from(result: &RunResult) -> usize {
    let from = result.summary.totals.start_s;
    result
        .buckets
        .iter()
        .position(|b| (b.start_s - from).abs() < 1e-9)
        .expect("the whole-run figures start at a bucket")
}

/// Request accounting: every arrival ends as exactly one of completed, failed or unfinished
/// (those of the whole-run figures: the requests that arrived after any warm-up, wherever they
/// ended), and only the last bucket holds unfinished requests.
pub fn check_accounting(result: &RunResult) {
    let t = &result.summary.totals;
    assert_eq!(
        t.arrived,
        t.completed + t.errors() + t.unfinished,
        "totals: arrived = completed + failed + unfinished"
    );
    let (last, earlier) = result
        .buckets
        .split_last()
        .expect("a run has at least one bucket");
    let all: u64 = result.buckets.iter().map(|b| b.arrived).sum();
    let ended: u64 = result
        .buckets
        .iter()
        .map(|b| b.completed + b.errors())
        .sum();
    assert_eq!(
        all,
        ended + last.unfinished,
        "buckets: arrived = completed + failed + unfinished"
    );
    if measured_from(result) == 0 {
        assert_eq!(
            last.unfinished, t.unfinished,
            "unfinished in the last bucket"
        );
    } else {
        assert!(
            t.unfinished <= last.unfinished,
            "unfinished in the last bucket"
        );
    }
    assert!(earlier.iter().all(|b| b.unfinished == 0));
    assert!(
        t.requests_all_hit <= t.completed + t.errors(),
        "totals: {} all-hit requests but only {} finished",
        t.requests_all_hit,
        t.completed + t.errors()
    );
}

/// Checks one row on its own: finite numbers, ratios in range, ordered percentiles.
pub fn check_row(at: &str, b: &BucketRow) {
    let l = &b.latency;
    let floats = [
        ("start_s", b.start_s),
        ("width_s", b.width_s),
        ("lock_wait_mean_ms", b.lock_wait_mean_ms),
        ("db_busy_fraction", b.db_busy_fraction),
        ("db_wait_mean_ms", b.db_wait_mean_ms),
        ("hit_ratio", b.hit_ratio()),
        ("herd_mean", b.herd_mean()),
        ("db_qps", b.db_qps()),
        ("latency.mean_ms", l.mean_ms),
        ("latency.p50_ms", l.p50_ms),
        ("latency.p95_ms", l.p95_ms),
        ("latency.p99_ms", l.p99_ms),
        ("latency.p999_ms", l.p999_ms),
        ("latency.max_ms", l.max_ms),
    ];
    for (name, v) in floats {
        assert!(v.is_finite() && v >= 0.0, "{at}: {name} = {v}");
    }
    assert!(b.width_s > 0.0, "{at}: empty bucket");
    assert!(
        (0.0..=1.0).contains(&b.hit_ratio()),
        "{at}: hit ratio {}",
        b.hit_ratio()
    );
    assert!(
        b.db_busy_fraction <= 1.0 + FRACTION_SLACK,
        "{at}: db_busy_fraction {}",
        b.db_busy_fraction
    );
    assert!(
        l.p50_ms <= l.p95_ms && l.p95_ms <= l.p99_ms && l.p99_ms <= l.max_ms * (1.0 + 1e-3) + 1e-6,
        "{at}: percentiles out of order: {l:?}"
    );
    if at == "totals" {
        // The mean and p99.9 are whole-run figures only (0 in a bucket's row).
        assert!(
            l.p99_ms <= l.p999_ms && l.p999_ms <= l.max_ms * (1.0 + 1e-3) + 1e-6,
            "{at}: {l:?}"
        );
        assert!(
            l.count == 0 || l.mean_ms > 0.0 || l.max_ms == 0.0,
            "{at}: {l:?}"
        );
    } else {
        assert_eq!((l.mean_ms, l.p999_ms), (0.0, 0.0), "{at}: {l:?}");
    }
    assert!(
        b.herds_early <= b.herds,
        "{at}: more early herds than herds"
    );
    assert!(
        b.herd_max <= b.herd_queries,
        "{at}: herd_max above the herd total"
    );
}
