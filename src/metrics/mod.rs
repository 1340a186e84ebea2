//! What a run measures: per-bucket rows and a whole-run summary.
//!
//! The [`Recorder`] is fed by the model as events happen; it keeps counters for the current bucket
//! and two latency histograms (current bucket and whole run), never a per-request log, so memory
//! does not grow with the number of requests.

mod recorder;

pub use recorder::{ErrorKind, Recorder};

/// Measurements for one time bucket of one run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BucketRow {
    /// Start of the bucket, seconds.
    pub start_s: f64,
    /// Length of the bucket, seconds (the last bucket may be shorter).
    pub width_s: f64,
    /// Requests that arrived.
    pub arrived: u64,
    /// Requests answered successfully.
    pub completed: u64,
    /// Requests whose client gave up (client timeout).
    pub errors_timeout: u64,
    /// Requests failed because a database query was rejected (queue full).
    pub errors_db_rejected: u64,
    /// Requests failed because a database query waited longer than the queue timeout.
    pub errors_db_timeout: u64,
    /// Requests rejected at the door: app queue full or the in-flight safety cap reached.
    pub errors_overload: u64,
    /// Cache lookups that found a fresh entry.
    pub cache_hits: u64,
    /// Cache lookups that found nothing or an expired entry.
    pub cache_misses: u64,
    /// Database queries that entered service.
    pub db_started: u64,
    /// Database queries that finished service.
    pub db_completed: u64,
    /// Longest database queue seen in the bucket.
    pub db_queue_max: u64,
    /// Fraction of database slot-time busy, 0..1.
    pub db_busy_fraction: f64,
    /// Mean time queries that entered service in this bucket waited in the queue, ms.
    pub db_wait_mean_ms: f64,
    /// Entries evicted by LRU to make room.
    pub evictions: u64,
    /// Latency percentiles of requests completed successfully in the bucket, ms (0 if none).
    pub latency: LatencyStats,
}

/// Latency percentiles, milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LatencyStats {
    /// Number of latencies measured.
    pub count: u64,
    /// Mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

impl BucketRow {
    /// Total failed requests of every kind.
    pub fn errors(&self) -> u64 {
        self.errors_timeout
            + self.errors_db_rejected
            + self.errors_db_timeout
            + self.errors_overload
    }

    /// Hits over lookups (0 when there were no lookups).
    pub fn hit_ratio(&self) -> f64 {
        ratio(self.cache_hits, self.cache_hits + self.cache_misses)
    }

    /// Database queries completed per second.
    pub fn db_qps(&self) -> f64 {
        if self.width_s > 0.0 {
            self.db_completed as f64 / self.width_s
        } else {
            0.0
        }
    }
}

/// Whole-run figures for one strategy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Totals of every counter over the run (`start_s` 0, `width_s` the run's length); the
    /// latency stats cover every successful request of the run, and `db_queue_max` is the peak.
    pub totals: BucketRow,
    /// Highest database completions per second in any bucket.
    pub peak_db_qps: f64,
    /// Whether the in-flight safety cap was reached: the system was unstable and arrivals were
    /// shed to bound memory.
    pub hit_in_flight_cap: bool,
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
    /// Whole-run figures.
    pub summary: Summary,
}
