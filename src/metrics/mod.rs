//! What a run measures: per-bucket rows and a whole-run summary.
//!
//! The [`Recorder`] is fed by the model as events happen; it keeps counters for the current bucket
//! and two latency histograms (current bucket and whole run), never a per-request log, so memory
//! does not grow with the number of requests.

pub mod herd;
pub mod interval;
mod recorder;
pub mod recovery;
mod results;
pub mod study;

pub use recorder::{measured_from, Recorder, MAX_REQUESTS_PER_BUCKET};
pub use results::{ScenarioResult, StrategyResult};
pub use study::StudyResult;

use crate::observe::Truncation;

/// Bytes of one bucket's row of results while the run goes on, and of its lines in the two CSV
/// files when written (numbers as text, about 60 columns): for the estimate of a run's memory.
pub const BYTES_PER_BUCKET_ROW: u64 = std::mem::size_of::<BucketRow>() as u64 + 700;

/// Bytes of one bucket's row of one cache node, with its line of `nodes.csv`.
pub const BYTES_PER_NODE_ROW: u64 = std::mem::size_of::<NodeRow>() as u64 + 80;

/// Declares [`BucketRow`] once: its fields, and from their kinds the sum of rows that gives
/// the whole-run figures ([`BucketRow::accumulate`]). A new counter is one line here (`sum
/// name: u64`, with its doc), plus the code that counts it.
macro_rules! bucket_row {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $kind:ident $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $name {
            /// Adds `row` into these whole-run figures: counts summed, peaks kept, the
            /// fields of kind `own` left as they are (the recorder sets them).
            pub fn accumulate(&mut self, row: &$name) {
                $( bucket_row!(@gather $kind self.$field, row.$field); )*
            }
        }
    };
    (@gather sum $total:expr, $row:expr) => { $total += $row; };
    (@gather max $total:expr, $row:expr) => { $total = $total.max($row); };
    (@gather add $total:expr, $row:expr) => { $total.add(&$row); };
    (@gather own $total:expr, $row:expr) => {};
}

bucket_row! {
/// Measurements for one time bucket of one run. Each field says how the whole-run figures
/// gather it over the buckets: `sum` (a count), `max` (a peak), `add` (counts of its own,
/// added), `own` (set apart: times, means, latency statistics).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BucketRow {
    /// Start of the bucket, seconds.
    own start_s: f64,
    /// Length of the bucket, seconds (the last bucket may be shorter).
    own width_s: f64,
    /// Requests that arrived.
    sum arrived: u64,
    /// Requests answered successfully.
    sum completed: u64,
    /// Requests still waiting for their answer when the run ended (only in the last bucket):
    /// admitted, not completed, not failed, client not gone.
    sum unfinished: u64,
    /// Requests whose client gave up (client timeout).
    sum errors_timeout: u64,
    /// Requests failed because a database query was rejected (queue full).
    sum errors_db_rejected: u64,
    /// Requests failed because a database query waited longer than the queue timeout.
    sum errors_db_timeout: u64,
    /// Requests rejected at the door: app queue full or the in-flight safety cap reached.
    sum errors_overload: u64,
    /// Requests failed because a mitigation refused to rebuild a key and had nothing stale to
    /// serve (lock or lease gave up, rate limit), or because a lock holder died with them.
    sum errors_fallback: u64,
    /// Requests whose every key was a fresh cache hit.
    sum requests_all_hit: u64,
    /// Cache lookups that found a fresh entry.
    sum cache_hits: u64,
    /// Cache lookups that found nothing or an expired entry.
    sum cache_misses: u64,
    /// Expired values served (stale-while-revalidate, lease, lock or rate-limit fallback).
    sum stale_serves: u64,
    /// Reads that polled another reader's lock or lease (coalesced reads are not counted again).
    sum lock_waits: u64,
    /// Mean time those reads waited, ms (counted when the wait ended).
    own lock_wait_mean_ms: f64,
    /// Database queries submitted, split by cause.
    add db_by_cause: CauseCounts,
    /// Herds of the hot key (key 0) that ended in the bucket: groups of database queries for it
    /// between two writes of its value.
    sum herds: u64,
    /// Of those, herds that began before the value expired (early or background refresh).
    sum herds_early: u64,
    /// Largest herd that ended in the bucket (queries).
    max herd_max: u64,
    /// Sum of the sizes of those herds (queries), for the mean.
    sum herd_queries: u64,
    /// Database queries that entered service.
    sum db_started: u64,
    /// Database queries that finished service.
    sum db_completed: u64,
    /// Longest database queue seen in the bucket.
    max db_queue_max: u64,
    /// Fraction of database slot-time busy, 0..1.
    own db_busy_fraction: f64,
    /// Mean time queries that entered service in this bucket waited in the queue, ms.
    own db_wait_mean_ms: f64,
    /// Entries evicted by LRU to make room.
    sum evictions: u64,
    /// Latency percentiles of requests completed successfully in the bucket, ms (0 if none).
    own latency: LatencyStats,
    /// Writes committed to the database.
    sum writes_committed: u64,
    /// Writes that arrived.
    sum writes_arrived: u64,
    /// Writes the cache took (write-back) and lost with a node before they were committed.
    sum writes_lost: u64,
    /// Invalidations (deletes of written keys) sent to the cache, lost ones included.
    sum invalidations_sent: u64,
    /// Invalidations lost on the way (event loss).
    sum invalidations_lost: u64,
    /// Invalidations sent as events, to arrive after a lag.
    sum invalidations_delayed: u64,
    /// Mean lag of those, ms.
    own invalidation_lag_mean_ms: f64,
    /// Reads of one key answered with a value (a request of fan-out k makes k).
    sum reads_served: u64,
    /// Of those, reads answered with a version older than the database's committed one.
    sum outdated_reads: u64,
    /// How long before each outdated read its value had been superseded, ms.
    own outdated_age: LatencyStats,
    /// Sets that wrote a value older than the committed version.
    sum outdated_sets: u64,
    /// Of those, sets made after the cache had applied a delete for a newer version: the
    /// stale-set race, which leaves the old value until its TTL.
    sum stale_set_races: u64,
    /// Sets refused: a versioned set older than the cache's version, or a revoked lease.
    sum sets_refused: u64,
    /// Key reads of keys that exist nowhere.
    sum absent_reads: u64,
    /// Reads answered by a cached "not found" (negative caching).
    sum negative_hits: u64,
    /// Absent keys the Bloom filter stopped before the database.
    sum bloom_rejections: u64,
    /// Absent keys the Bloom filter let through (false positives).
    sum bloom_false_positives: u64,
    /// Database queries for absent keys.
    sum db_queries_absent: u64,
    /// Reads of keys created after they were absent, answered "not found".
    sum created_hidden_reads: u64,
    /// Reads answered by the instance's local cache.
    sum local_hits: u64,
    /// Reads the local cache could not answer (they go on to the shared cache).
    sum local_misses: u64,
    /// Local hits whose version differs from the one the shared cache holds.
    sum local_differs: u64,
    /// Pub/sub messages of changes sent to local caches (one per write and instance).
    sum local_invalidations_sent: u64,
    /// Of those, messages lost.
    sum local_invalidations_lost: u64,
    /// Requests shed by the app: they waited for a worker longer than the shedding limit.
    sum errors_shed: u64,
    /// Requests failed by a transient database error.
    sum errors_db_error: u64,
    /// Attempts started (without retries, one per request admitted or turned away).
    sum attempts: u64,
    /// Of those, retries (attempts after the first of their request).
    sum retries: u64,
    /// Retries the retry budget refused (their request failed instead).
    sum retries_refused: u64,
    /// Attempts answered successfully after their client had given up: work done for nobody.
    sum attempts_late: u64,
    /// Database queries that failed with a transient error.
    sum db_errors: u64,
    /// Queued database queries dropped because their client had given up (cancelled work).
    sum queries_cancelled: u64,
    /// Cache reads that failed: a dead node, a dropped operation or the app's timeout (open
    /// breakers are counted apart).
    sum cache_errors: u64,
    /// Of those, reads that hit the app's cache timeout.
    sum cache_timeouts: u64,
    /// Cache reads an open breaker rejected without making the call.
    sum breaker_rejections: u64,
    /// Breakers (one per app instance and node) that opened from closed.
    sum breaker_opens: u64,
    /// Most breakers not closed (open or half-open) at once in the bucket.
    max breakers_open_max: u64,
    /// Reads that failed over to the gutter pool and found a value there.
    sum gutter_hits: u64,
    /// Reads that failed over to the gutter pool and did not.
    sum gutter_misses: u64,
    /// Reads whose cache call failed answered with the instance's local copy.
    sum stale_on_error_serves: u64,
    /// Keys moved to another node by a change of the nodes in service.
    sum keys_remapped: u64,
    /// Longest wait of a cache read for its turn at a node (node capacity), ms.
    max node_wait_max_ms: f64,
    /// Requests answered without an optional key whose read failed (counted in `completed`).
    sum requests_degraded: u64,
    /// Cache reads hedged (a second read sent because the first was slow).
    sum hedges: u64,
    /// Of those, hedges whose outcome the app acted on (answered first).
    sum hedges_won: u64,
    /// Failed database queries the app sent again (app retries).
    sum db_retries: u64,
}
}

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
    /// Total failed requests of every kind.
    pub fn errors(&self) -> u64 {
        self.errors_timeout
            + self.errors_db_rejected
            + self.errors_db_timeout
            + self.errors_overload
            + self.errors_fallback
            + self.errors_shed
            + self.errors_db_error
    }

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
fn per_s(n: u64, width_s: f64) -> f64 {
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
