//! `timeseries.csv` (one row per strategy and bucket) and `summary.csv` (one row per strategy).
//!
//! Columns are declared once, as (name, value) pairs, so a column can never drift from its
//! header. Names carry their units; the README documents each. Numbers are written with a fixed
//! number of decimals so the same results always give the same bytes. A strategy name that a
//! spreadsheet would take for a formula gets a leading `'` ([`crate::text::csv_cell`]).

use crate::metrics::{ratio, BucketRow};
use crate::metrics::{ScenarioResult, StrategyResult};

type BucketColumn = (&'static str, fn(&BucketRow) -> String);
type SummaryColumn = (&'static str, fn(&StrategyResult) -> String);

fn f3(x: f64) -> String {
    format!("{x:.3}")
}

fn f6(x: f64) -> String {
    format!("{x:.6}")
}

/// `x` with `decimals` decimals, except that a value that is not zero but would print as zero
/// is written in scientific notation (`1.389e-4`): for figures where a tiny value is no
/// rounding detail (a database capacity of one query every two hours is not 0 q/s).
pub(crate) fn fixed(x: f64, decimals: usize) -> String {
    let text = format!("{x:.decimals$}");
    if x != 0.0
        && text
            .trim_start_matches('-')
            .bytes()
            .all(|b| b == b'0' || b == b'.')
    {
        format!("{x:.3e}")
    } else {
        text
    }
}

/// A time in seconds with as many decimals as it needs to be exact to the nanosecond: 3 for
/// whole milliseconds, 6 for whole microseconds, else 9. So buckets under a millisecond stay
/// distinct, and whole-millisecond times keep their short form.
fn secs(x: f64) -> String {
    let ns = (x * 1e9).round();
    if ns % 1e6 == 0.0 {
        format!("{x:.3}")
    } else if ns % 1e3 == 0.0 {
        format!("{x:.6}")
    } else {
        format!("{x:.9}")
    }
}

/// Counters that mean the same per bucket and over the whole run.
const COUNTERS: &[BucketColumn] = &[
    ("requests_arrived", |b| b.arrived.to_string()),
    ("requests_completed", |b| b.completed.to_string()),
    ("errors_total", |b| b.errors().to_string()),
    ("errors_timeout", |b| b.errors_timeout.to_string()),
    ("errors_db_rejected", |b| b.errors_db_rejected.to_string()),
    ("errors_db_timeout", |b| b.errors_db_timeout.to_string()),
    ("errors_overload", |b| b.errors_overload.to_string()),
    ("errors_fallback", |b| b.errors_fallback.to_string()),
    ("requests_all_hit", |b| b.requests_all_hit.to_string()),
    ("cache_hits", |b| b.cache_hits.to_string()),
    ("cache_misses", |b| b.cache_misses.to_string()),
    ("hit_ratio", |b| f6(b.hit_ratio())),
    ("stale_serves", |b| b.stale_serves.to_string()),
    ("lock_waits", |b| b.lock_waits.to_string()),
    ("lock_wait_mean_ms", |b| f3(b.lock_wait_mean_ms)),
    ("db_queries_miss", |b| b.db_by_cause.miss.to_string()),
    ("db_queries_early_refresh", |b| {
        b.db_by_cause.early_refresh.to_string()
    }),
    ("db_queries_background_refresh", |b| {
        b.db_by_cause.background_refresh.to_string()
    }),
    ("db_queries_warmup", |b| b.db_by_cause.warmup.to_string()),
    ("db_queries_fallback", |b| {
        b.db_by_cause.fallback.to_string()
    }),
    ("db_queries_started", |b| b.db_started.to_string()),
    ("db_queries_completed", |b| b.db_completed.to_string()),
    ("db_busy_fraction", |b| f6(b.db_busy_fraction)),
    ("db_wait_mean_ms", |b| f3(b.db_wait_mean_ms)),
    ("evictions", |b| b.evictions.to_string()),
    ("herds", |b| b.herds.to_string()),
    ("herds_early", |b| b.herds_early.to_string()),
    ("herd_max", |b| b.herd_max.to_string()),
];

/// Writes and freshness, per bucket and over the whole run (last in both files).
const FRESHNESS: &[BucketColumn] = &[
    ("writes_committed", |b| b.writes_committed.to_string()),
    ("db_queries_write", |b| b.db_by_cause.write.to_string()),
    ("invalidations_sent", |b| b.invalidations_sent.to_string()),
    ("invalidations_lost", |b| b.invalidations_lost.to_string()),
    ("reads_served", |b| b.reads_served.to_string()),
    ("outdated_reads", |b| b.outdated_reads.to_string()),
    ("outdated_ratio", |b| f6(b.outdated_ratio())),
    ("outdated_age_p50_ms", |b| f3(b.outdated_age.p50_ms)),
    ("outdated_age_p99_ms", |b| f3(b.outdated_age.p99_ms)),
    ("outdated_age_max_ms", |b| f3(b.outdated_age.max_ms)),
    ("outdated_sets", |b| b.outdated_sets.to_string()),
    ("stale_set_races", |b| b.stale_set_races.to_string()),
    ("sets_refused", |b| b.sets_refused.to_string()),
    ("absent_reads", |b| b.absent_reads.to_string()),
    ("negative_hits", |b| b.negative_hits.to_string()),
    ("bloom_rejections", |b| b.bloom_rejections.to_string()),
    ("bloom_false_positives", |b| {
        b.bloom_false_positives.to_string()
    }),
    ("db_queries_absent", |b| b.db_queries_absent.to_string()),
    ("local_hits", |b| b.local_hits.to_string()),
    ("local_misses", |b| b.local_misses.to_string()),
    ("local_differs", |b| b.local_differs.to_string()),
    ("local_differs_ratio", |b| {
        f6(ratio(b.local_differs, b.local_hits))
    }),
    ("local_invalidations_sent", |b| {
        b.local_invalidations_sent.to_string()
    }),
    ("local_invalidations_lost", |b| {
        b.local_invalidations_lost.to_string()
    }),
    ("writes_lost", |b| b.writes_lost.to_string()),
    ("writes_arrived", |b| b.writes_arrived.to_string()),
    ("created_hidden_reads", |b| {
        b.created_hidden_reads.to_string()
    }),
    ("invalidations_delayed", |b| {
        b.invalidations_delayed.to_string()
    }),
    ("invalidation_lag_mean_ms", |b| {
        f3(b.invalidation_lag_mean_ms)
    }),
];

/// Dependency failures, retries and overload: counters, then rates and ratios (per bucket or
/// over the whole run). Appended after the freshness columns.
const DEPENDENCY: &[BucketColumn] = &[
    ("errors_shed", |b| b.errors_shed.to_string()),
    ("errors_db_error", |b| b.errors_db_error.to_string()),
    ("attempts", |b| b.attempts.to_string()),
    ("retries", |b| b.retries.to_string()),
    ("retries_refused", |b| b.retries_refused.to_string()),
    ("attempts_late", |b| b.attempts_late.to_string()),
    ("db_errors", |b| b.db_errors.to_string()),
    ("queries_cancelled", |b| b.queries_cancelled.to_string()),
    ("goodput_per_s", |b| f3(b.goodput())),
    ("throughput_per_s", |b| f3(b.throughput())),
    ("retry_amplification", |b| f6(b.retry_amplification())),
];

/// Cache nodes as a failing dependency. Appended after the dependency columns.
const NODES: &[BucketColumn] = &[
    ("cache_errors", |b| b.cache_errors.to_string()),
    ("cache_timeouts", |b| b.cache_timeouts.to_string()),
    ("breaker_rejections", |b| b.breaker_rejections.to_string()),
    ("breaker_opens", |b| b.breaker_opens.to_string()),
    ("breakers_open_max", |b| b.breakers_open_max.to_string()),
    ("gutter_hits", |b| b.gutter_hits.to_string()),
    ("gutter_misses", |b| b.gutter_misses.to_string()),
    ("stale_on_error_serves", |b| {
        b.stale_on_error_serves.to_string()
    }),
    ("keys_remapped", |b| b.keys_remapped.to_string()),
    ("node_wait_max_ms", |b| f3(b.node_wait_max_ms)),
    ("requests_degraded", |b| b.requests_degraded.to_string()),
    ("hedges", |b| b.hedges.to_string()),
    ("hedges_won", |b| b.hedges_won.to_string()),
    ("db_retries", |b| b.db_retries.to_string()),
];

/// The worst bucket, beside the whole-run figures: the last columns of `summary.csv`.
const SUMMARY_WORST: &[SummaryColumn] = &[
    ("worst_p99_latency_ms", |s| {
        f3(s.result.summary.worst.p99_ms)
    }),
    ("worst_error_ratio", |s| {
        f6(s.result.summary.worst.error_ratio)
    }),
    ("time_above_capacity_s", |s| {
        secs(s.result.summary.worst.time_above_capacity_s)
    }),
];

/// Columns of `timeseries.csv` after `strategy`.
const TIMESERIES: &[&[BucketColumn]] = &[
    &[
        ("bucket_start_s", |b| secs(b.start_s)),
        ("bucket_width_s", |b| secs(b.width_s)),
    ],
    COUNTERS,
    &[
        ("db_queries_per_s", |b| f3(b.db_qps())),
        ("db_queue_max", |b| b.db_queue_max.to_string()),
        ("p50_latency_ms", |b| f3(b.latency.p50_ms)),
        ("p95_latency_ms", |b| f3(b.latency.p95_ms)),
        ("p99_latency_ms", |b| f3(b.latency.p99_ms)),
        ("max_latency_ms", |b| f3(b.latency.max_ms)),
        ("latency_samples", |b| b.latency.count.to_string()),
        ("requests_unfinished", |b| b.unfinished.to_string()),
    ],
    FRESHNESS,
    DEPENDENCY,
    NODES,
];

/// Whole-run columns of `summary.csv` after the dependency columns.
const SUMMARY_RECOVERY: &[SummaryColumn] = &[("recovery_s", |s| match s.result.summary.recovery {
    None => String::new(),
    Some(r) if !r.recovered() => "never".to_string(),
    Some(r) => secs(r.recovery_s),
})];

/// The recovery verdict as numbers (1 yes, 0 no, empty when it does not apply), so that the
/// mean over replications is the share of them: the last columns of `summary.csv`.
const SUMMARY_VERDICT: &[SummaryColumn] = &[
    ("recovered", |s| {
        s.result
            .summary
            .recovery
            .map_or(String::new(), |r| u8::from(r.recovered()).to_string())
    }),
    ("metastable", |s| {
        s.result
            .summary
            .recovery
            .map_or(String::new(), |r| u8::from(r.metastable).to_string())
    }),
];

/// Whole-run columns of `summary.csv` after the counters.
const SUMMARY_EXTRA: &[SummaryColumn] = &[
    ("error_ratio", |s| {
        let t = &s.result.summary.totals;
        f6(ratio(t.errors(), t.arrived))
    }),
    ("all_hit_ratio", |s| {
        let t = &s.result.summary.totals;
        f6(ratio(t.requests_all_hit, t.completed + t.errors()))
    }),
    ("herd_mean", |s| f3(s.result.summary.totals.herd_mean())),
    ("peak_db_queries_per_s", |s| {
        fixed(s.result.summary.peak_db_qps, 3)
    }),
    ("db_capacity_qps", |s| fixed(s.db_capacity_qps, 3)),
    ("peak_db_queue", |s| {
        s.result.summary.totals.db_queue_max.to_string()
    }),
    ("mean_latency_ms", |s| {
        f3(s.result.summary.totals.latency.mean_ms)
    }),
    ("p50_latency_ms", |s| {
        f3(s.result.summary.totals.latency.p50_ms)
    }),
    ("p95_latency_ms", |s| {
        f3(s.result.summary.totals.latency.p95_ms)
    }),
    ("p99_latency_ms", |s| {
        f3(s.result.summary.totals.latency.p99_ms)
    }),
    ("p999_latency_ms", |s| {
        f3(s.result.summary.totals.latency.p999_ms)
    }),
    ("max_latency_ms", |s| {
        f3(s.result.summary.totals.latency.max_ms)
    }),
    ("requests_unfinished", |s| {
        s.result.summary.totals.unfinished.to_string()
    }),
    ("drain_s", |s| secs(s.result.summary.drained_s)),
    ("truncated", |s| {
        u8::from(s.result.summary.truncation.is_some()).to_string()
    }),
];

/// Header of `timeseries.csv`.
pub fn timeseries_columns() -> Vec<&'static str> {
    std::iter::once("strategy")
        .chain(TIMESERIES.iter().flat_map(|g| g.iter().map(|c| c.0)))
        .collect()
}

/// Header of `summary.csv`.
pub fn summary_columns() -> Vec<&'static str> {
    ["strategy", "duration_s"]
        .into_iter()
        .chain(COUNTERS.iter().map(|c| c.0))
        .chain(SUMMARY_EXTRA.iter().map(|c| c.0))
        .chain(FRESHNESS.iter().map(|c| c.0))
        .chain(DEPENDENCY.iter().map(|c| c.0))
        .chain(SUMMARY_RECOVERY.iter().map(|c| c.0))
        .chain(NODES.iter().map(|c| c.0))
        .chain(SUMMARY_WORST.iter().map(|c| c.0))
        .chain(SUMMARY_VERDICT.iter().map(|c| c.0))
        .collect()
}

/// The bytes of `timeseries.csv`.
pub fn timeseries(result: &ScenarioResult) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    write_row(&mut w, timeseries_columns().into_iter().map(String::from));
    for s in &result.strategies {
        for b in &s.result.buckets {
            let row = std::iter::once(crate::text::csv_cell(&s.name).into_owned())
                .chain(TIMESERIES.iter().flat_map(|g| g.iter().map(|c| (c.1)(b))));
            write_row(&mut w, row);
        }
    }
    finish(w)
}

/// The bytes of `summary.csv`.
pub fn summary(result: &ScenarioResult) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    write_row(&mut w, summary_columns().into_iter().map(String::from));
    for s in &result.strategies {
        let row =
            std::iter::once(crate::text::csv_cell(&s.name).into_owned()).chain(summary_values(s));
        write_row(&mut w, row);
    }
    finish(w)
}

/// The values of a strategy's `summary.csv` row after `strategy`, as written, in the order of
/// [`summary_columns`] (without its first).
pub fn summary_values(s: &StrategyResult) -> Vec<String> {
    let t = &s.result.summary.totals;
    std::iter::once(secs(s.result.summary.duration_s))
        .chain(COUNTERS.iter().map(|c| (c.1)(t)))
        .chain(SUMMARY_EXTRA.iter().map(|c| (c.1)(s)))
        .chain(FRESHNESS.iter().map(|c| (c.1)(t)))
        .chain(DEPENDENCY.iter().map(|c| (c.1)(t)))
        .chain(SUMMARY_RECOVERY.iter().map(|c| (c.1)(s)))
        .chain(NODES.iter().map(|c| (c.1)(t)))
        .chain(SUMMARY_WORST.iter().map(|c| (c.1)(s)))
        .chain(SUMMARY_VERDICT.iter().map(|c| (c.1)(s)))
        .collect()
}

/// The bytes of `timeseries.csv` for several replications: the rows of each in turn, with a
/// last column `replication` (from 0).
pub fn timeseries_replications(runs: &[ScenarioResult]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    write_row(
        &mut w,
        timeseries_columns()
            .into_iter()
            .chain(["replication"])
            .map(String::from),
    );
    for (r, result) in runs.iter().enumerate() {
        for s in &result.strategies {
            for b in &s.result.buckets {
                let row = std::iter::once(crate::text::csv_cell(&s.name).into_owned())
                    .chain(TIMESERIES.iter().flat_map(|g| g.iter().map(|c| (c.1)(b))))
                    .chain([r.to_string()]);
                write_row(&mut w, row);
            }
        }
    }
    finish(w)
}

/// The columns of `nodes.csv`.
const NODES_HEADER: [&str; 8] = [
    "strategy",
    "bucket_start_s",
    "node",
    "reads",
    "errors",
    "timeouts",
    "breaker_rejections",
    "wait_max_ms",
];

/// The bytes of `nodes.csv`: one row per strategy, bucket and cache node, for the strategies
/// whose reads go through node faults; `None` when none does.
pub fn nodes(result: &ScenarioResult) -> Option<Vec<u8>> {
    nodes_of(std::slice::from_ref(result), false)
}

/// The bytes of `nodes.csv` for several replications: the rows of each in turn, with a last
/// column `replication` (from 0), as in `timeseries.csv`.
pub fn nodes_replications(runs: &[ScenarioResult]) -> Option<Vec<u8>> {
    nodes_of(runs, true)
}

fn nodes_of(runs: &[ScenarioResult], numbered: bool) -> Option<Vec<u8>> {
    let first = runs.first()?;
    if first.strategies.iter().all(|s| s.result.nodes.is_empty()) {
        return None;
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let extra = numbered.then_some("replication");
    write_row(
        &mut w,
        NODES_HEADER.into_iter().chain(extra).map(String::from),
    );
    for (r, result) in runs.iter().enumerate() {
        let replication = numbered.then(|| r.to_string());
        for s in &result.strategies {
            let name = crate::text::csv_cell(&s.name).into_owned();
            for (b, nodes) in s.result.buckets.iter().zip(&s.result.nodes) {
                for (i, n) in nodes.iter().enumerate() {
                    let row = [
                        name.clone(),
                        secs(b.start_s),
                        i.to_string(),
                        n.reads.to_string(),
                        n.errors.to_string(),
                        n.timeouts.to_string(),
                        n.breaker_rejections.to_string(),
                        f3(n.wait_max_ms),
                    ];
                    write_row(&mut w, row.into_iter().chain(replication.clone()));
                }
            }
        }
    }
    Some(finish(w))
}

pub(crate) fn write_row(w: &mut csv::Writer<Vec<u8>>, row: impl IntoIterator<Item = String>) {
    w.write_record(row.into_iter().collect::<Vec<_>>())
        .expect("writing CSV to memory cannot fail");
}

pub(crate) fn finish(w: csv::Writer<Vec<u8>>) -> Vec<u8> {
    w.into_inner().expect("flushing CSV to memory cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{RunResult, Summary};

    fn result() -> ScenarioResult {
        let bucket = BucketRow {
            width_s: 1.0,
            arrived: 10,
            completed: 8,
            errors_timeout: 2,
            cache_hits: 3,
            cache_misses: 1,
            ..BucketRow::default()
        };
        ScenarioResult {
            name: "t".into(),
            description: String::new(),
            seed: 1,
            duration_s: 2.0,
            bucket_s: 1.0,
            timeline: vec![],
            strategies: vec![StrategyResult {
                name: "a, b".into(),
                description: String::new(),
                db_capacity_qps: 100.0,
                fanout: 1,
                marks: Vec::new(),
                client_timeout_s: None,
                result: RunResult {
                    buckets: vec![
                        bucket.clone(),
                        BucketRow {
                            start_s: 1.0,
                            ..bucket.clone()
                        },
                    ],
                    nodes: Vec::new(),
                    summary: Summary {
                        duration_s: 2.0,
                        drained_s: 0.0,
                        totals: bucket,
                        peak_db_qps: 0.0,
                        truncation: None,
                        recovery: None,
                        worst: Default::default(),
                    },
                },
            }],
        }
    }

    #[test]
    fn small_numbers_are_never_written_as_zero() {
        assert_eq!(fixed(0.000138, 3), "1.380e-4");
        assert_eq!(fixed(-0.0001, 3), "-1.000e-4");
        assert_eq!(fixed(0.0, 3), "0.000");
        assert_eq!(fixed(0.0005, 3), "0.001");
        assert_eq!(fixed(1584.25, 3), "1584.250");
        assert_eq!(fixed(2e-9, 6), "2.000e-9");
        assert_eq!(fixed(0.5, 6), "0.500000");
    }

    #[test]
    fn times_keep_every_nanosecond_they_have() {
        assert_eq!(secs(600.0), "600.000");
        assert_eq!(secs(0.0005), "0.000500");
        assert_eq!(secs(0.00025), "0.000250");
        assert_eq!(secs(1.000_000_001), "1.000000001");
        // Buckets of 100 us: starts and widths stay distinct.
        assert_ne!(secs(0.0001), secs(0.0002));
        assert_ne!(secs(0.0001), "0.000");
    }

    #[test]
    fn every_row_has_as_many_fields_as_the_header() {
        let r = result();
        for (bytes, header) in [
            (timeseries(&r), timeseries_columns()),
            (summary(&r), summary_columns()),
        ] {
            let mut reader = csv::Reader::from_reader(bytes.as_slice());
            assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), header);
            for rec in reader.records() {
                assert_eq!(rec.unwrap().len(), header.len());
            }
        }
    }

    #[test]
    fn values_land_under_their_column() {
        let r = result();
        let bytes = timeseries(&r);
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let h = reader.headers().unwrap().clone();
        let rec = reader.records().next().unwrap().unwrap();
        let get = |name: &str| rec[h.iter().position(|c| c == name).unwrap()].to_string();
        assert_eq!(
            get("strategy"),
            "a, b",
            "names with commas are quoted, not split"
        );
        assert_eq!(get("requests_arrived"), "10");
        assert_eq!(get("errors_total"), "2");
        assert_eq!(get("hit_ratio"), "0.750000");
    }

    #[test]
    fn a_name_starting_with_a_formula_character_is_defused_in_both_files() {
        let mut r = result();
        r.strategies[0].name = "=HYPERLINK(\"http://x\")".into();
        for bytes in [timeseries(&r), summary(&r)] {
            let mut reader = csv::Reader::from_reader(bytes.as_slice());
            let rec = reader.records().next().unwrap().unwrap();
            assert_eq!(&rec[0], "'=HYPERLINK(\"http://x\")");
        }
    }
}
