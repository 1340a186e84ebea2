//! What a metric is called on an axis: one table from each column name of `summary.csv` and
//! `timeseries.csv` to its words and unit, read by every chart that plots a column (the sweep
//! chart's y axis, the time-series charts' axes), so a column's label is declared once.
//!
//! A label is the words, then the unit: `worst p99 latency (ms)`, `drain time (s)`,
//! `peak database queries per second`; a share (0 to 1) or a count reads as its words alone
//! (`error ratio`, `cache hits`): its words say what is counted.

/// The unit of a metric, as its axis label shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds: `(ms)` after the words.
    Ms,
    /// Seconds: `(s)` after the words.
    Seconds,
    /// A rate: `per second` after the words.
    PerSecond,
    /// A share from 0 to 1, dimensionless: the words alone.
    Share,
    /// A count of what the words name (requests, queries, reads ...): the words alone.
    Count,
    /// A ratio of two counts that may exceed 1 (attempts per request, queries per herd): the
    /// words say both.
    Ratio,
}

/// A metric's words and unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricLabel {
    /// What it is, in words, lower case: `worst p99 latency`.
    pub words: &'static str,
    /// Its unit.
    pub unit: Unit,
}

impl MetricLabel {
    /// The axis label: `worst p99 latency (ms)`, `peak database queries per second`,
    /// `error ratio`.
    pub fn text(&self) -> String {
        match self.unit {
            Unit::Ms => format!("{} (ms)", self.words),
            Unit::Seconds => format!("{} (s)", self.words),
            Unit::PerSecond => format!("{} per second", self.words),
            Unit::Share | Unit::Count | Unit::Ratio => self.words.to_string(),
        }
    }
}

use Unit::*;

/// Every column of `summary.csv` and `timeseries.csv` but `strategy`: (name, words, unit).
/// A summary column sums or summarises the run, a time-series one a bucket; the words fit
/// both.
const METRICS: &[(&str, &str, Unit)] = &[
    ("duration_s", "duration", Seconds),
    ("bucket_start_s", "bucket start", Seconds),
    ("bucket_width_s", "bucket width", Seconds),
    ("requests_arrived", "requests arrived", Count),
    ("requests_completed", "requests answered", Count),
    ("errors_total", "failed requests", Count),
    ("errors_timeout", "requests timed out", Count),
    (
        "errors_db_rejected",
        "requests failed: database queue full",
        Count,
    ),
    (
        "errors_db_timeout",
        "requests failed: database queue wait",
        Count,
    ),
    ("errors_overload", "requests shed: app queue full", Count),
    ("errors_fallback", "requests failed: rebuild refused", Count),
    ("requests_all_hit", "requests with every key a hit", Count),
    ("cache_hits", "cache hits", Count),
    ("cache_misses", "cache misses", Count),
    ("hit_ratio", "cache hit ratio", Share),
    ("stale_serves", "stale values served", Count),
    ("lock_waits", "reads waiting on a lock", Count),
    ("lock_wait_mean_ms", "mean lock wait", Ms),
    ("db_queries_miss", "database queries after a miss", Count),
    (
        "db_queries_early_refresh",
        "database queries, early refresh",
        Count,
    ),
    (
        "db_queries_background_refresh",
        "database queries, background refresh",
        Count,
    ),
    ("db_queries_warmup", "database queries, warm-up", Count),
    ("db_queries_fallback", "database queries, fallback", Count),
    ("db_queries_started", "database queries started", Count),
    ("db_queries_completed", "database queries completed", Count),
    ("db_busy_fraction", "database busy fraction", Share),
    ("db_wait_mean_ms", "mean database queue wait", Ms),
    ("evictions", "cache evictions", Count),
    ("herds", "hot-key herds", Count),
    ("herds_early", "hot-key herds before expiry", Count),
    ("herd_max", "largest hot-key herd (queries)", Count),
    ("writes_committed", "writes committed", Count),
    ("db_queries_write", "database queries, writes", Count),
    ("invalidations_sent", "invalidations sent", Count),
    ("invalidations_lost", "invalidations lost", Count),
    ("reads_served", "key reads served", Count),
    ("outdated_reads", "outdated reads", Count),
    ("outdated_ratio", "outdated read ratio", Share),
    ("outdated_age_p50_ms", "median age of outdated reads", Ms),
    ("outdated_age_p99_ms", "p99 age of outdated reads", Ms),
    ("outdated_age_max_ms", "largest age of outdated reads", Ms),
    ("outdated_sets", "outdated values set in the cache", Count),
    ("stale_set_races", "stale-set races", Count),
    ("sets_refused", "cache sets refused", Count),
    ("absent_reads", "reads of absent keys", Count),
    ("negative_hits", "negative-cache hits", Count),
    ("bloom_rejections", "Bloom filter rejections", Count),
    (
        "bloom_false_positives",
        "Bloom filter false positives",
        Count,
    ),
    (
        "db_queries_absent",
        "database queries for absent keys",
        Count,
    ),
    ("local_hits", "local cache hits", Count),
    ("local_misses", "local cache misses", Count),
    (
        "local_differs",
        "local hits differing from the shared cache",
        Count,
    ),
    (
        "local_differs_ratio",
        "share of local hits differing",
        Share,
    ),
    (
        "local_invalidations_sent",
        "local invalidations sent",
        Count,
    ),
    (
        "local_invalidations_lost",
        "local invalidations lost",
        Count,
    ),
    ("writes_lost", "writes lost", Count),
    ("writes_arrived", "writes arrived", Count),
    ("created_hidden_reads", "reads missing a created key", Count),
    ("invalidations_delayed", "invalidations delayed", Count),
    ("invalidation_lag_mean_ms", "mean invalidation lag", Ms),
    ("errors_shed", "requests shed: app worker wait", Count),
    ("errors_db_error", "requests failed: database error", Count),
    ("attempts", "attempts", Count),
    ("retries", "retries", Count),
    ("retries_refused", "retries refused", Count),
    ("attempts_late", "attempts answered too late", Count),
    ("db_errors", "database errors", Count),
    ("queries_cancelled", "database queries cancelled", Count),
    ("goodput_per_s", "requests answered in time", PerSecond),
    ("throughput_per_s", "attempts answered", PerSecond),
    ("retry_amplification", "attempts per request", Ratio),
    ("cache_errors", "cache errors", Count),
    ("cache_timeouts", "cache timeouts", Count),
    ("breaker_rejections", "circuit breaker rejections", Count),
    ("breaker_opens", "circuit breakers opened", Count),
    ("breakers_open_max", "most circuit breakers open", Count),
    ("gutter_hits", "gutter pool hits", Count),
    ("gutter_misses", "gutter pool misses", Count),
    (
        "stale_on_error_serves",
        "stale values served on error",
        Count,
    ),
    ("keys_remapped", "keys remapped", Count),
    ("node_wait_max_ms", "longest wait at a cache node", Ms),
    ("requests_degraded", "requests answered degraded", Count),
    ("hedges", "hedged reads", Count),
    ("hedges_won", "hedged reads won", Count),
    ("db_retries", "database queries retried", Count),
    (
        "cache_misses_expired",
        "cache misses on expired entries",
        Count,
    ),
    ("db_queries_per_s", "database queries", PerSecond),
    ("db_queue_max", "longest database queue (queries)", Count),
    ("latency_samples", "latency samples", Count),
    ("error_ratio", "error ratio", Share),
    ("all_hit_ratio", "all-hit ratio", Share),
    ("herd_mean", "mean hot-key herd (queries)", Ratio),
    ("peak_db_queries_per_s", "peak database queries", PerSecond),
    ("db_capacity_qps", "database capacity, queries", PerSecond),
    ("peak_db_queue", "longest database queue (queries)", Count),
    ("mean_latency_ms", "mean latency", Ms),
    ("p50_latency_ms", "median latency", Ms),
    ("p95_latency_ms", "p95 latency", Ms),
    ("p99_latency_ms", "p99 latency", Ms),
    ("p999_latency_ms", "p99.9 latency", Ms),
    ("max_latency_ms", "largest latency", Ms),
    ("requests_unfinished", "requests unfinished", Count),
    ("drain_s", "drain time", Seconds),
    ("truncated", "run truncated (1 = yes)", Count),
    ("recovery_s", "recovery time", Seconds),
    ("worst_p99_latency_ms", "worst p99 latency", Ms),
    ("worst_error_ratio", "worst error ratio", Share),
    (
        "time_above_capacity_s",
        "time above database capacity",
        Seconds,
    ),
    ("recovered", "recovered (share of runs)", Share),
    (
        "metastable",
        "metastable: not recovered (share of runs)",
        Share,
    ),
];

/// The label of column `name` of `summary.csv` or `timeseries.csv`, if it is one.
pub fn metric_label(name: &str) -> Option<MetricLabel> {
    METRICS
        .iter()
        .find(|m| m.0 == name)
        .map(|&(_, words, unit)| MetricLabel { words, unit })
}

/// The axis label of column `name`: its words and unit ([`MetricLabel::text`]), or the name
/// itself when it is no column (a chart never fails for a label). Static, for the charts'
/// descriptions: the labels are built once.
pub fn axis_label(name: &str) -> std::borrow::Cow<'static, str> {
    static TEXTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let texts = TEXTS.get_or_init(|| {
        METRICS
            .iter()
            .map(|&(_, words, unit)| MetricLabel { words, unit }.text())
            .collect()
    });
    match METRICS.iter().position(|m| m.0 == name) {
        Some(i) => std::borrow::Cow::Borrowed(texts[i].as_str()),
        None => std::borrow::Cow::Owned(name.to_string()),
    }
}

/// The label of the rate of count column `name` (its count per bucket over the bucket's
/// width): `failed requests per second` for `errors_total`.
pub(super) fn rate_label(name: &'static str) -> &'static str {
    static TEXTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let texts = TEXTS.get_or_init(|| {
        METRICS
            .iter()
            .map(|&(_, words, unit)| match unit {
                Count => MetricLabel {
                    words,
                    unit: PerSecond,
                }
                .text(),
                _ => String::new(),
            })
            .collect()
    });
    match METRICS.iter().position(|m| m.0 == name) {
        Some(i) if !texts[i].is_empty() => texts[i].as_str(),
        _ => panic!("internal error: `{name}` is no count column"),
    }
}

/// [`axis_label`] of a column the code names: always in the table.
pub(super) fn column_label(name: &'static str) -> &'static str {
    match axis_label(name) {
        std::borrow::Cow::Borrowed(text) => text,
        std::borrow::Cow::Owned(_) => panic!("internal error: `{name}` has no axis label"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::csv::{summary_columns, timeseries_columns};

    #[test]
    fn every_column_a_chart_can_plot_has_words_and_a_unit() {
        let columns: Vec<&str> = summary_columns()
            .into_iter()
            .chain(timeseries_columns())
            .filter(|c| *c != "strategy")
            .collect();
        for c in &columns {
            let label = metric_label(c).unwrap_or_else(|| panic!("`{c}` has no label"));
            let text = label.text();
            assert!(
                !text.contains('_') && text.chars().next().unwrap().is_ascii_lowercase()
                    || text.starts_with("Bloom"),
                "{c}: `{text}` is words"
            );
            // The unit the name carries is the label's.
            let want = if c.ends_with("_ms") {
                Some(Ms)
            } else if c.ends_with("_per_s") || c.ends_with("_qps") {
                Some(PerSecond)
            } else if c.ends_with("_s") {
                Some(Seconds)
            } else if c.ends_with("_ratio") && *c != "retry_amplification"
                || c.ends_with("_fraction")
            {
                Some(Share)
            } else {
                None
            };
            if let Some(unit) = want {
                assert_eq!(label.unit, unit, "{c}");
            }
            // A name without a unit's suffix is dimensionless: a count, a ratio or a share.
            if want.is_none() {
                assert!(
                    matches!(label.unit, Count | Ratio | Share),
                    "{c}: {:?}",
                    label.unit
                );
            }
        }
        // Every entry is a column: the table holds nothing stale, and no name twice.
        for (i, m) in METRICS.iter().enumerate() {
            assert!(columns.contains(&m.0), "`{}` is no column", m.0);
            assert!(!METRICS[..i].iter().any(|o| o.0 == m.0), "`{}` twice", m.0);
        }
    }

    #[test]
    fn labels_read_as_words_then_unit() {
        assert_eq!(axis_label("worst_p99_latency_ms"), "worst p99 latency (ms)");
        assert_eq!(axis_label("error_ratio"), "error ratio");
        assert_eq!(
            axis_label("peak_db_queries_per_s"),
            "peak database queries per second"
        );
        assert_eq!(
            axis_label("db_queries_per_s"),
            "database queries per second"
        );
        assert_eq!(axis_label("drain_s"), "drain time (s)");
        assert_eq!(axis_label("no_such_metric"), "no_such_metric");
        assert_eq!(rate_label("errors_total"), "failed requests per second");
        assert_eq!(column_label("hit_ratio"), "cache hit ratio");
    }
}
