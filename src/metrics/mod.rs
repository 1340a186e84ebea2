//! What a run measures: per-bucket rows and a whole-run summary.
//!
//! The [`Recorder`] is fed by the model as events happen; it keeps counters for the current bucket
//! and two latency histograms (current bucket and whole run), never a per-request log, so memory
//! does not grow with the number of requests.

pub mod columns;
pub mod distribution;
pub mod herd;
pub mod interval;
mod latency_counts;
mod recorder;
pub mod recovery;
mod results;
pub mod study;

pub use columns::{BucketRow, Cell, Column, Format, Group, COLUMNS};
pub use distribution::LatencyHistogram;
pub use recorder::{measured_from, Recorder, MAX_REQUESTS_PER_BUCKET};
pub use results::{ScenarioResult, StrategyResult};
pub use study::StudyResult;

use crate::observe::Truncation;

/// Bytes of one bucket's row of results while the run goes on, and of its lines in the two CSV
/// files when written (numbers as text, about 60 columns): for the estimate of a run's memory.
pub const BYTES_PER_BUCKET_ROW: u64 = std::mem::size_of::<BucketRow>() as u64 + 700;

/// Bytes of one bucket's row of one cache node, with its line of `nodes.csv`.
pub const BYTES_PER_NODE_ROW: u64 = std::mem::size_of::<NodeRow>() as u64 + 80;

/// One cache node's figures for one bucket (only with node faults).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NodeRow {
    /// Reads sent to the node.
    pub reads: u64,
    /// Of those, reads that failed (dead, dropped, timed out).
    pub errors: u64,
    /// Of those, reads that hit the app's timeout.
    pub timeouts: u64,
    /// Reads the app's open breakers did not send to the node.
    pub breaker_rejections: u64,
    /// Longest wait of a read for its turn at the node, ms.
    pub wait_max_ms: f64,
}

/// Database queries by why they were made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CauseCounts {
    /// A read missed and rebuilt the key.
    pub miss: u64,
    /// XFetch recomputed before expiry.
    pub early_refresh: u64,
    /// Refresh-ahead or stale-while-revalidate refreshed in the background.
    pub background_refresh: u64,
    /// Warm-up before or at a deploy.
    pub warmup: u64,
    /// A lock or lease gave up waiting and fell back to the database.
    pub fallback: u64,
    /// A write.
    pub write: u64,
}

impl CauseCounts {
    /// Adds another count to this one.
    pub fn add(&mut self, o: &CauseCounts) {
        self.miss += o.miss;
        self.early_refresh += o.early_refresh;
        self.background_refresh += o.background_refresh;
        self.warmup += o.warmup;
        self.fallback += o.fallback;
        self.write += o.write;
    }
}

/// Latency percentiles, milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LatencyStats {
    /// Number of latencies measured.
    pub count: u64,
    /// Mean (whole-run figures only: 0 in a bucket's row, where no output uses it).
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile (whole-run figures only: 0 in a bucket's row).
    pub p999_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

impl BucketRow {
    /// Requests answered successfully per second.
    pub fn goodput(&self) -> f64 {
        per_s(self.completed, self.width_s)
    }

    /// Attempts answered successfully per second, whether or not their client still waited.
    pub fn throughput(&self) -> f64 {
        per_s(
            self.completed.saturating_add(self.attempts_late),
            self.width_s,
        )
    }

    /// Attempts per request arrived (1 without retries; 0 when none arrived).
    pub fn retry_amplification(&self) -> f64 {
        ratio(self.attempts, self.arrived)
    }

    /// Hits over lookups (0 when there were no lookups).
    pub fn hit_ratio(&self) -> f64 {
        ratio(self.cache_hits, self.cache_hits + self.cache_misses)
    }

    /// Outdated reads over reads served (0 when none was served).
    pub fn outdated_ratio(&self) -> f64 {
        ratio(self.outdated_reads, self.reads_served)
    }

    /// Mean herd size of the hot key (0 when no herd ended).
    pub fn herd_mean(&self) -> f64 {
        ratio(self.herd_queries, self.herds)
    }

    /// Database queries submitted, every cause.
    pub fn db_submitted(&self) -> u64 {
        let c = &self.db_by_cause;
        c.miss + c.early_refresh + c.background_refresh + c.warmup + c.fallback + c.write
    }

    /// Database queries completed per second.
    pub fn db_qps(&self) -> f64 {
        per_s(self.db_completed, self.width_s)
    }
}

/// Whole-run figures for one strategy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// The configured length of the run, seconds (arrivals stop there).
    pub duration_s: f64,
    /// How long the run went on past `duration_s` to drain requests in flight, seconds.
    pub drained_s: f64,
    /// Totals of every counter over the run (`start_s` 0, `width_s` the run's length, drain
    /// included); the
    /// latency stats cover every successful request of the run, and `db_queue_max` is the peak.
    pub totals: BucketRow,
    /// Highest database completions per second in any bucket.
    pub peak_db_qps: f64,
    /// Why and when the run stopped before its end, if it did: the system diverged (its
    /// queues grew until the in-flight safety cap) and the run was cut there to bound memory.
    /// Everything measured until then is kept.
    pub truncation: Option<Truncation>,
    /// The recovery verdict after the timeline's disturbances ([`recovery::verdict`]): `None`
    /// without a disturbing event or a level to come back to.
    pub recovery: Option<recovery::Recovery>,
    /// The worst bucket: what the whole-run figures average away.
    pub worst: WorstBucket,
    /// The latencies `totals.latency` summarises, in bins (for the report's latency CDF).
    pub latency_histogram: LatencyHistogram,
}

/// The worst bucket of a run, beside the whole-run figures.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WorstBucket {
    /// Highest p99 latency of any bucket, ms.
    pub p99_ms: f64,
    /// Highest share of failures among the requests that ended (answered or failed) in any
    /// bucket.
    pub error_ratio: f64,
    /// Time in buckets where the database was asked for more queries per second than its
    /// capacity, s.
    pub time_above_capacity_s: f64,
}

impl WorstBucket {
    /// The worst of `buckets`, for a database of `capacity_qps`.
    pub fn of(buckets: &[BucketRow], capacity_qps: f64) -> Self {
        let mut w = WorstBucket::default();
        for b in buckets {
            w.p99_ms = w.p99_ms.max(b.latency.p99_ms);
            w.error_ratio = w
                .error_ratio
                .max(ratio(b.errors(), b.errors() + b.completed));
            if per_s(b.db_submitted(), b.width_s) > capacity_qps {
                w.time_above_capacity_s += b.width_s;
            }
        }
        w
    }
}

/// `n / width_s`, or 0 for an empty bucket.
pub fn per_s(n: u64, width_s: f64) -> f64 {
    if width_s > 0.0 {
        n as f64 / width_s
    } else {
        0.0
    }
}

/// `num / den`, or 0 when `den` is 0.
pub fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// Everything one run of one strategy produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunResult {
    /// One row per bucket, in time order.
    pub buckets: Vec<BucketRow>,
    /// Per bucket, one row per cache node (empty without node faults).
    pub nodes: Vec<Vec<NodeRow>>,
    /// Whole-run figures.
    pub summary: Summary,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accumulating_rows_sums_counts_keeps_peaks_and_leaves_own_fields() {
        let row = |n: u64| BucketRow {
            start_s: n as f64,
            width_s: 1.0,
            arrived: n,
            db_retries: 2 * n,
            herd_max: 10 - n,
            node_wait_max_ms: n as f64,
            db_by_cause: CauseCounts {
                miss: n,
                ..CauseCounts::default()
            },
            db_busy_fraction: 0.5,
            ..BucketRow::default()
        };
        let mut total = BucketRow::default();
        for n in 1..=3 {
            total.accumulate(&row(n));
        }
        assert_eq!((total.arrived, total.db_retries), (6, 12));
        assert_eq!((total.herd_max, total.node_wait_max_ms), (9, 3.0));
        assert_eq!(total.db_by_cause.miss, 6);
        // Times and means are the recorder's to set.
        assert_eq!(
            (total.start_s, total.width_s, total.db_busy_fraction),
            (0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn the_worst_bucket_is_what_the_whole_run_averages_away() {
        let row = |p99: f64, ended: u64, failed: u64, submitted: u64| BucketRow {
            width_s: 1.0,
            arrived: ended,
            completed: ended - failed,
            errors_timeout: failed,
            db_by_cause: CauseCounts {
                miss: submitted,
                ..CauseCounts::default()
            },
            latency: LatencyStats {
                p99_ms: p99,
                ..LatencyStats::default()
            },
            ..BucketRow::default()
        };
        let buckets = [
            row(1.0, 100, 0, 50),
            row(680.0, 100, 30, 500),
            row(2.0, 0, 0, 0),
            row(3.0, 100, 5, 101),
        ];
        let w = WorstBucket::of(&buckets, 100.0);
        assert_eq!(w.p99_ms, 680.0);
        assert_eq!(w.error_ratio, 0.3);
        assert_eq!(
            w.time_above_capacity_s, 2.0,
            "500 and 101 asked of 100 a second"
        );
    }
}
