//! `timeseries.csv` (one row per strategy and bucket) and `summary.csv` (one row per strategy).
//!
//! Column names carry their units; the README documents each. Numbers are written with a fixed
//! number of decimals so the same results always give the same bytes.

use crate::experiment::ScenarioResult;
use crate::metrics::BucketRow;

/// Columns of `timeseries.csv`, in order.
pub const TIMESERIES_COLUMNS: [&str; 25] = [
    "strategy",
    "bucket_start_s",
    "bucket_width_s",
    "requests_arrived",
    "requests_completed",
    "errors_total",
    "errors_timeout",
    "errors_db_rejected",
    "errors_db_timeout",
    "errors_overload",
    "cache_hits",
    "cache_misses",
    "hit_ratio",
    "db_queries_started",
    "db_queries_completed",
    "db_queries_per_s",
    "db_queue_max",
    "db_busy_fraction",
    "db_wait_mean_ms",
    "evictions",
    "p50_latency_ms",
    "p95_latency_ms",
    "p99_latency_ms",
    "max_latency_ms",
    "latency_samples",
];

/// Columns of `summary.csv`, in order.
pub const SUMMARY_COLUMNS: [&str; 27] = [
    "strategy",
    "duration_s",
    "requests_arrived",
    "requests_completed",
    "errors_total",
    "errors_timeout",
    "errors_db_rejected",
    "errors_db_timeout",
    "errors_overload",
    "error_ratio",
    "cache_hits",
    "cache_misses",
    "hit_ratio",
    "db_queries_started",
    "db_queries_completed",
    "peak_db_queries_per_s",
    "db_capacity_qps",
    "peak_db_queue",
    "db_busy_fraction",
    "db_wait_mean_ms",
    "evictions",
    "mean_latency_ms",
    "p50_latency_ms",
    "p95_latency_ms",
    "p99_latency_ms",
    "p999_latency_ms",
    "max_latency_ms",
];

fn f3(x: f64) -> String {
    format!("{x:.3}")
}

fn f6(x: f64) -> String {
    format!("{x:.6}")
}

/// Request counters shared by both files: arrived, completed, then the errors.
fn request_counters(b: &BucketRow) -> [String; 7] {
    [
        b.arrived.to_string(),
        b.completed.to_string(),
        b.errors().to_string(),
        b.errors_timeout.to_string(),
        b.errors_db_rejected.to_string(),
        b.errors_db_timeout.to_string(),
        b.errors_overload.to_string(),
    ]
}

/// The bytes of `timeseries.csv`.
pub fn timeseries(result: &ScenarioResult) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    write_row(&mut w, TIMESERIES_COLUMNS.iter().map(|s| s.to_string()));
    for s in &result.strategies {
        for b in &s.result.buckets {
            let row = [s.name.clone(), f3(b.start_s), f3(b.width_s)]
                .into_iter()
                .chain(request_counters(b))
                .chain([
                    b.cache_hits.to_string(),
                    b.cache_misses.to_string(),
                    f6(b.hit_ratio()),
                    b.db_started.to_string(),
                    b.db_completed.to_string(),
                    f3(b.db_qps()),
                    b.db_queue_max.to_string(),
                    f6(b.db_busy_fraction),
                    f3(b.db_wait_mean_ms),
                    b.evictions.to_string(),
                    f3(b.latency.p50_ms),
                    f3(b.latency.p95_ms),
                    f3(b.latency.p99_ms),
                    f3(b.latency.max_ms),
                    b.latency.count.to_string(),
                ]);
            write_row(&mut w, row);
        }
    }
    finish(w)
}

/// The bytes of `summary.csv`.
pub fn summary(result: &ScenarioResult) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    write_row(&mut w, SUMMARY_COLUMNS.iter().map(|s| s.to_string()));
    for s in &result.strategies {
        let sum = &s.result.summary;
        let t = &sum.totals;
        let row = [s.name.clone(), f3(t.width_s)]
            .into_iter()
            .chain(request_counters(t))
            .chain([
                f6(crate::metrics::ratio(t.errors(), t.arrived)),
                t.cache_hits.to_string(),
                t.cache_misses.to_string(),
                f6(t.hit_ratio()),
                t.db_started.to_string(),
                t.db_completed.to_string(),
                f3(sum.peak_db_qps),
                f3(s.db_capacity_qps),
                t.db_queue_max.to_string(),
                f6(t.db_busy_fraction),
                f3(t.db_wait_mean_ms),
                t.evictions.to_string(),
                f3(t.latency.mean_ms),
                f3(t.latency.p50_ms),
                f3(t.latency.p95_ms),
                f3(t.latency.p99_ms),
                f3(t.latency.p999_ms),
                f3(t.latency.max_ms),
            ]);
        write_row(&mut w, row);
    }
    finish(w)
}

fn write_row(w: &mut csv::Writer<Vec<u8>>, row: impl IntoIterator<Item = String>) {
    // Writing to a Vec cannot fail.
    w.write_record(row.into_iter().collect::<Vec<_>>())
        .expect("writing CSV to memory cannot fail");
}

fn finish(w: csv::Writer<Vec<u8>>) -> Vec<u8> {
    w.into_inner().expect("flushing CSV to memory cannot fail")
}
