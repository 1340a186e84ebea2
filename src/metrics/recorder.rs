//! Collects measurements while a run goes, one bucket at a time.

use hdrhistogram::Histogram;

use super::herd::HerdProbe;
use super::latency_counts::LatencyCounts;
use super::recovery::Watch;
use super::{BucketRow, LatencyHistogram, LatencyStats, NodeRow, RunResult, Summary};
use crate::engine::{SimDuration, SimTime};
use crate::observe::{BreakerState, CacheFailure, Cause, ErrorKind, Observer, RunEnd};

/// Smallest upper bound of the latency histograms: one hour, in nanoseconds. The bound is
/// raised to the run's length when the run is longer, so no latency is ever clamped (a
/// latency cannot exceed the run).
const MIN_LATENCY_BOUND_NS: u64 = 3_600_000_000_000;

/// Per-bucket counters and latency histograms, fed by the model in time order.
pub struct Recorder {
    bucket_ns: u64,
    /// Buckets in the run: known up front, or unbounded (`usize::MAX`) while a drain may
    /// extend the run past `duration`; fixed by [`Recorder::finish`].
    buckets: usize,
    /// End of the run: `duration`, or `SimTime::NEVER` while a drain may extend it.
    end: SimTime,
    /// The configured length of the run (arrivals stop there).
    duration: SimDuration,
    db_slots: u64,
    current: usize,
    row: BucketRow,
    rows: Vec<BucketRow>,
    /// This bucket's latencies counted by bin, with 32-bit counts: half the memory to clear
    /// and scan at each bucket's close (validation refuses a bucket in which a count could
    /// reach 2^32, [`MAX_REQUESTS_PER_BUCKET`]); and without a warm-up the whole run's,
    /// gathered from each bucket as it closes.
    latency_counts: LatencyCounts,
    /// The whole run's latencies: with a warm-up recorded as they come, else filled from
    /// `latency_counts` when the run ends.
    run_latency: Histogram<u64>,
    /// Ages of outdated reads: made at the first one (never, in a read-only run).
    bucket_age: Option<Histogram<u64>>,
    run_age: Option<Histogram<u64>>,
    /// Upper bound of the histograms.
    bound_ns: u64,
    db_busy: u64,
    db_busy_since: SimTime,
    db_busy_ns: u128,
    total_busy_ns: u128,
    db_queue_len: u64,
    wait_ns: u128,
    wait_count: u64,
    total_wait_ns: u128,
    total_wait_count: u64,
    lock_wait_ns: u128,
    total_lock_wait_ns: u128,
    lag_ns: u128,
    total_lag_ns: u128,
    herd: HerdProbe,
    /// This bucket's row per cache node, and those of the buckets closed (only when tracking
    /// nodes).
    node_row: Vec<NodeRow>,
    node_rows: Vec<Vec<NodeRow>>,
    /// Breakers not closed now.
    breakers_open: u64,
    /// Buckets at the start left out of the whole-run figures (a warm-up).
    warmup_buckets: usize,
    /// End of the warm-up (`SimTime::ZERO` without one).
    warmup_end: SimTime,
    /// Time of the event being observed (the last passed to [`Recorder::advance`]).
    now: SimTime,
    /// Where [`Recorder::advance`] has a bucket to close (`SimTime::NEVER`: none).
    next_close: SimTime,
    /// Requests that arrived during the warm-up and ended after it: completed, and failed by
    /// kind. The rows count them in the bucket where they ended; the whole-run figures leave
    /// them out (they count the requests that arrived after the warm-up).
    warmup_tail: BucketRow,
    /// Follows the recovery verdict to stop the run once it cannot change (phase maps only).
    watch: Option<Watch>,
}

/// Most requests one bucket may complete: a latency count of a bucket is 32 bits wide.
pub const MAX_REQUESTS_PER_BUCKET: f64 = (u32::MAX / 2) as f64;

fn new_histogram(bound_ns: u64) -> Histogram<u64> {
    Histogram::new_with_bounds(1, bound_ns, 3).expect("a bound of at least one hour is valid")
}

impl Recorder {
    /// A recorder for a run of `duration` in buckets of `bucket`, with a database of `db_slots`.
    /// `max_run` is the longest the run can last: `duration`, or more with a drain (then
    /// buckets are added as the run goes on past `duration`).
    pub fn new(
        duration: SimDuration,
        bucket: SimDuration,
        db_slots: u32,
        max_run: SimDuration,
    ) -> Self {
        let buckets = duration.0.div_ceil(bucket.0) as usize;
        let may_extend = max_run > duration;
        let bound = max_run.0.max(MIN_LATENCY_BOUND_NS);
        let run_latency = new_histogram(bound);
        let mut r = Recorder {
            bucket_ns: bucket.0,
            buckets: if may_extend { usize::MAX } else { buckets },
            end: if may_extend {
                SimTime::NEVER
            } else {
                SimTime(duration.0)
            },
            duration,
            db_slots: db_slots as u64,
            current: 0,
            row: BucketRow::default(),
            rows: Vec::with_capacity(buckets),
            latency_counts: LatencyCounts::for_histogram(&run_latency),
            run_latency,
            bucket_age: None,
            run_age: None,
            bound_ns: bound,
            db_busy: 0,
            db_busy_since: SimTime::ZERO,
            db_busy_ns: 0,
            total_busy_ns: 0,
            db_queue_len: 0,
            wait_ns: 0,
            wait_count: 0,
            total_wait_ns: 0,
            total_wait_count: 0,
            lock_wait_ns: 0,
            total_lock_wait_ns: 0,
            lag_ns: 0,
            total_lag_ns: 0,
            herd: HerdProbe::default(),
            node_row: Vec::new(),
            node_rows: Vec::new(),
            breakers_open: 0,
            warmup_buckets: 0,
            warmup_end: SimTime::ZERO,
            now: SimTime::ZERO,
            next_close: SimTime::ZERO,
            warmup_tail: BucketRow::default(),
            watch: None,
        };
        r.open_bucket();
        r.set_next_close();
        r
    }

    /// The same recorder, leaving the first `buckets` buckets out of the whole-run figures
    /// (the summary): a warm-up whose transient should not weigh on them. The buckets' own
    /// rows are kept.
    pub fn with_warmup(mut self, buckets: usize) -> Self {
        self.warmup_buckets = buckets;
        self.warmup_end = self.bucket_start(buckets);
        self
    }

    /// The same recorder, asking the run to stop once `watch` says the recovery verdict can no
    /// longer change ([`Observer::should_stop`]); the run's rows end there.
    pub fn with_watch(mut self, watch: Watch) -> Self {
        self.watch = Some(watch);
        self
    }

    /// The same recorder, also keeping one row per bucket for each of `nodes` cache nodes.
    pub fn with_nodes(mut self, nodes: u32) -> Self {
        self.node_row = vec![NodeRow::default(); nodes as usize];
        self
    }

    fn bucket_start(&self, i: usize) -> SimTime {
        SimTime((i as u64).saturating_mul(self.bucket_ns))
    }

    fn bucket_end(&self, i: usize) -> SimTime {
        SimTime(
            (i as u64 + 1)
                .saturating_mul(self.bucket_ns)
                .min(self.end.0),
        )
    }

    fn open_bucket(&mut self) {
        let start = self.bucket_start(self.current);
        self.row = BucketRow {
            start_s: start.as_secs_f64(),
            width_s: self.bucket_end(self.current).since(start).as_secs_f64(),
            db_queue_max: self.db_queue_len,
            breakers_open_max: self.breakers_open,
            ..BucketRow::default()
        };
    }

    /// Closes every bucket that ends at or before `now`. Call before recording anything at `now`.
    #[inline]
    pub fn advance(&mut self, now: SimTime) {
        self.now = now;
        if now >= self.next_close {
            self.close_through(now);
        }
    }

    /// Closes every bucket that ends at or before `now`.
    #[inline(never)]
    fn close_through(&mut self, now: SimTime) {
        while now >= self.bucket_end(self.current) && self.current + 1 < self.buckets {
            self.close_bucket();
            self.current += 1;
            self.open_bucket();
            if self.current == self.warmup_buckets {
                self.end_warmup();
            }
        }
        self.set_next_close();
    }

    /// When [`Recorder::advance`] next has a bucket to close: the open bucket's end, unless it
    /// is the last.
    fn set_next_close(&mut self) {
        self.next_close = if self.current + 1 < self.buckets {
            self.bucket_end(self.current)
        } else {
            SimTime::NEVER
        };
    }

    /// The warm-up is over: the whole-run figures start from here.
    #[cold]
    fn end_warmup(&mut self) {
        self.run_latency.reset();
        if let Some(h) = self.run_age.as_mut() {
            h.reset();
        }
        self.total_busy_ns = 0;
        self.total_wait_ns = 0;
        self.total_wait_count = 0;
        self.total_lock_wait_ns = 0;
        self.total_lag_ns = 0;
    }

    fn integrate_busy(&mut self, until: SimTime) {
        let dt = until.since(self.db_busy_since).0 as u128;
        let busy = self.db_busy as u128 * dt;
        self.db_busy_ns += busy;
        self.total_busy_ns += busy;
        self.db_busy_since = until;
    }

    fn close_bucket(&mut self) {
        let end = self.bucket_end(self.current);
        self.integrate_busy(end);
        let width_ns = end.since(self.bucket_start(self.current)).0 as f64;
        let row = &mut self.row;
        row.db_busy_fraction = if width_ns > 0.0 {
            self.db_busy_ns as f64 / (width_ns * self.db_slots as f64)
        } else {
            0.0
        };
        row.db_wait_mean_ms = mean_ms(self.wait_ns, self.wait_count);
        row.lock_wait_mean_ms = mean_ms(self.lock_wait_ns, row.lock_waits);
        row.invalidation_lag_mean_ms = mean_ms(self.lag_ns, row.invalidations_delayed);
        self.lag_ns = 0;
        let row = &mut self.row;
        row.latency = self
            .latency_counts
            .close_bucket(self.warmup_end == SimTime::ZERO);
        if let Some(h) = self.bucket_age.as_mut().filter(|h| !h.is_empty()) {
            row.outdated_age = bucket_stats(h);
            h.reset();
        }
        self.rows.push(std::mem::take(&mut self.row));
        if let Some(w) = self.watch.as_mut() {
            w.bucket_closed(&self.rows);
        }
        if !self.node_row.is_empty() {
            let fresh = vec![NodeRow::default(); self.node_row.len()];
            self.node_rows
                .push(std::mem::replace(&mut self.node_row, fresh));
        }
        self.db_busy_ns = 0;
        self.wait_ns = 0;
        self.wait_count = 0;
        self.lock_wait_ns = 0;
    }

    /// A request arrived.
    #[inline]
    pub fn arrived(&mut self) {
        self.row.arrived += 1;
        // Its first attempt.
        self.row.attempts += 1;
    }

    /// Whether a request that arrived at `arrived` and ends now arrived during the warm-up,
    /// which is over.
    #[inline]
    fn warmup_tail(&self, arrived: SimTime) -> bool {
        arrived < self.warmup_end && self.now >= self.warmup_end
    }

    /// A request was answered successfully after `latency`.
    #[inline]
    pub fn completed(&mut self, latency: SimDuration) {
        self.row.completed += 1;
        self.latency_counts.count(latency.0);
        if self.warmup_end > SimTime::ZERO {
            self.completed_with_warmup(latency);
        }
        // Without a warm-up, the whole run's histogram gathers each bucket's as it closes.
    }

    /// With a warm-up, a completion goes to the whole run's histogram at once, unless the
    /// request arrived during the warm-up.
    #[cold]
    fn completed_with_warmup(&mut self, latency: SimDuration) {
        if self.warmup_tail(SimTime(self.now.0 - latency.0)) {
            // Counted in its bucket, left out of the whole-run figures.
            self.warmup_tail.completed += 1;
            return;
        }
        self.run_latency.saturating_record(latency.0);
    }

    /// A request that arrived at `arrived` failed.
    #[inline]
    pub fn error(&mut self, kind: ErrorKind, arrived: SimTime) {
        count_error(&mut self.row, kind);
        if self.warmup_tail(arrived) {
            count_error(&mut self.warmup_tail, kind);
        }
    }

    /// A request's keys were all fresh hits.
    #[inline]
    pub fn all_hit(&mut self) {
        self.row.requests_all_hit += 1;
    }

    /// An expired value was served.
    #[inline]
    pub fn stale_serve(&mut self) {
        self.row.stale_serves += 1;
    }

    /// A read finished waiting for a lock or lease after `wait`.
    #[inline]
    pub fn lock_wait(&mut self, wait: SimDuration) {
        self.row.lock_waits += 1;
        self.lock_wait_ns += wait.0 as u128;
        self.total_lock_wait_ns += wait.0 as u128;
    }

    /// A database query was submitted for `cause`.
    #[inline]
    pub fn db_submitted(&mut self, cause: Cause) {
        let c = &mut self.row.db_by_cause;
        match cause {
            Cause::Miss => c.miss += 1,
            Cause::EarlyRefresh => c.early_refresh += 1,
            Cause::BackgroundRefresh => c.background_refresh += 1,
            Cause::Warmup => c.warmup += 1,
            Cause::Fallback => c.fallback += 1,
            Cause::Write => c.write += 1,
        }
    }

    /// A herd of `size` queries for the hot key ended; `early` if it began before the value
    /// expired (an early or background refresh).
    #[inline]
    pub fn herd(&mut self, size: u64, early: bool) {
        self.row.herds += 1;
        self.row.herds_early += early as u64;
        self.row.herd_queries += size;
        self.row.herd_max = self.row.herd_max.max(size);
    }

    /// A cache lookup found a fresh entry.
    #[inline]
    pub fn cache_hit(&mut self) {
        self.row.cache_hits += 1;
    }

    /// A cache lookup found nothing fresh.
    #[inline]
    pub fn cache_miss(&mut self) {
        self.row.cache_misses += 1;
    }

    /// LRU evicted `n` entries.
    #[inline]
    pub fn evicted(&mut self, n: u32) {
        self.row.evictions += n as u64;
    }

    /// A query entered service at `now` after waiting `wait`; `busy` slots are now in use.
    #[inline]
    pub fn db_started(&mut self, now: SimTime, wait: SimDuration, busy: u32) {
        self.row.db_started += 1;
        self.wait_ns += wait.0 as u128;
        self.wait_count += 1;
        self.total_wait_ns += wait.0 as u128;
        self.total_wait_count += 1;
        self.db_busy_changed(now, busy);
    }

    /// A query finished service at `now`; `busy` slots are now in use.
    #[inline]
    pub fn db_completed(&mut self, now: SimTime, busy: u32) {
        self.row.db_completed += 1;
        self.db_busy_changed(now, busy);
    }

    #[inline]
    fn db_busy_changed(&mut self, now: SimTime, busy: u32) {
        self.integrate_busy(now);
        self.db_busy = busy as u64;
    }

    /// The database queue now holds `len` queries.
    #[inline]
    pub fn db_queue_len(&mut self, len: usize) {
        self.db_queue_len = len as u64;
        self.row.db_queue_max = self.row.db_queue_max.max(len as u64);
    }

    /// Closes the last bucket and returns every row and the summary, for a run that ended as
    /// `end` says: at `end.at` (`duration`, later after a drain, earlier if it diverged), with
    /// `end.unfinished` requests whose client was still waiting (counted in the last bucket).
    pub fn finish(mut self, end: RunEnd) -> RunResult {
        let RunEnd {
            at: run_end,
            unfinished,
            truncation,
        } = end;
        self.end = run_end;
        self.buckets = (run_end.0.div_ceil(self.bucket_ns) as usize).max(1);
        self.set_next_close();
        self.advance(run_end);
        // With a drain, the open bucket may end earlier than it could have when it opened.
        let start = self.bucket_start(self.current);
        self.row.width_s = self.bucket_end(self.current).since(start).as_secs_f64();
        self.row.unfinished = unfinished;
        // A run stopped by its watch ends where the bucket just opened starts: that bucket is
        // empty and not kept.
        let stopped = self.watch.as_ref().is_some_and(|w| w.done())
            && self.current > 0
            && self.bucket_start(self.current) >= run_end;
        if stopped {
            self.latency_counts
                .end_bucket(self.warmup_end == SimTime::ZERO);
            self.integrate_busy(run_end);
            self.rows
                .last_mut()
                .expect("a bucket was closed")
                .unfinished = unfinished;
        } else {
            self.close_bucket();
        }
        // Whole-run figures start after the warm-up; a run that stopped before the warm-up
        // ended (it diverged) is measured whole.
        let skip = measured_from(self.warmup_buckets, self.rows.len());
        let measured_from = self.bucket_start(skip);
        let mut totals = BucketRow {
            start_s: measured_from.as_secs_f64(),
            width_s: self.end.since(measured_from).as_secs_f64(),
            ..BucketRow::default()
        };
        for r in &self.rows[skip..] {
            totals.accumulate(r);
        }
        // The peak rate of whole buckets: a short last bucket (a run or drain that ends
        // between bucket boundaries) would turn one completion into a huge rate.
        let whole = |r: &&BucketRow| (r.width_s - self.bucket_ns as f64 / 1e9).abs() < 1e-12;
        let peak_of = |rows: &mut dyn Iterator<Item = &BucketRow>| {
            rows.map(|r| r.db_qps()).fold(0.0f64, f64::max)
        };
        let measured = &self.rows[skip..];
        let peak_db_qps = if measured.iter().any(|r| whole(&r)) {
            peak_of(&mut measured.iter().filter(whole))
        } else {
            peak_of(&mut measured.iter())
        };
        let run_ns = self.end.since(measured_from).0 as f64 * self.db_slots as f64;
        totals.db_busy_fraction = if run_ns > 0.0 {
            self.total_busy_ns as f64 / run_ns
        } else {
            0.0
        };
        totals.db_wait_mean_ms = mean_ms(self.total_wait_ns, self.total_wait_count);
        totals.lock_wait_mean_ms = mean_ms(self.total_lock_wait_ns, totals.lock_waits);
        totals.invalidation_lag_mean_ms = mean_ms(self.total_lag_ns, totals.invalidations_delayed);
        if self.warmup_end == SimTime::ZERO {
            // Gathered bucket by bucket: each bin keeps its count, and the run's figures
            // (count, mean, percentiles, max) depend only on those counts.
            self.latency_counts.run_into(&mut self.run_latency);
        }
        totals.latency = stats(&self.run_latency);
        if let Some(h) = &self.run_age {
            totals.outdated_age = stats(h);
        }
        // Every request that arrived is completed, failed or unfinished. Those that arrived
        // during a warm-up and ended after it are left out of the whole-run figures, which
        // count the requests that arrived after it, wherever they ended; of the unfinished,
        // those that arrived during the warm-up are what the warm-up left open.
        let (tail, warm) = (&self.warmup_tail, &self.rows[..skip]);
        totals.completed -= tail.completed;
        totals.requests_all_hit -= tail.requests_all_hit;
        totals.subtract_errors(tail);
        let warm_arrived: u64 = warm.iter().map(|r| r.arrived).sum();
        let warm_ended: u64 = warm.iter().map(|r| r.completed + r.errors()).sum::<u64>()
            + tail.completed
            + tail.errors();
        let warm_open = warm_arrived.checked_sub(warm_ended);
        totals.unfinished = warm_open
            .and_then(|open| unfinished.checked_sub(open))
            .expect("every arrival is completed, failed or unfinished");
        assert_eq!(
            totals.arrived,
            totals.completed + totals.errors() + totals.unfinished,
            "every arrival is completed, failed or unfinished"
        );
        RunResult {
            buckets: self.rows,
            nodes: self.node_rows,
            summary: Summary {
                duration_s: self.duration.as_secs_f64(),
                drained_s: run_end.since(SimTime(self.duration.0)).as_secs_f64(),
                totals,
                peak_db_qps,
                truncation,
                recovery: None,
                worst: Default::default(),
                latency_histogram: LatencyHistogram::of_hdr(&self.run_latency),
            },
        }
    }
}

/// The first bucket of the whole-run figures, of `rows` buckets after a warm-up of
/// `warmup_buckets`: the one after the warm-up, or the first if the run stopped before the
/// warm-up ended.
pub fn measured_from(warmup_buckets: usize, rows: usize) -> usize {
    if warmup_buckets < rows {
        warmup_buckets
    } else {
        0
    }
}

/// Counts a failed request of `kind` in `row`.
#[inline]
fn count_error(row: &mut BucketRow, kind: ErrorKind) {
    match kind {
        ErrorKind::Timeout => row.errors_timeout += 1,
        ErrorKind::DbRejected => row.errors_db_rejected += 1,
        ErrorKind::DbTimeout => row.errors_db_timeout += 1,
        ErrorKind::Overload => row.errors_overload += 1,
        ErrorKind::Fallback => row.errors_fallback += 1,
        ErrorKind::Shed => row.errors_shed += 1,
        ErrorKind::DbError => row.errors_db_error += 1,
        ErrorKind::Throttled => row.errors_throttled += 1,
        ErrorKind::DbBreakerOpen => row.errors_db_breaker += 1,
    }
}

fn mean_ms(total_ns: u128, count: u64) -> f64 {
    if count == 0 {
        0.0
    } else {
        total_ns as f64 / count as f64 / 1e6
    }
}

/// A bucket's figures: those the per-bucket outputs use, without the mean and p99.9 (whole-run
/// figures only; 0 here), which take two more passes over the counts at every bucket.
pub(super) fn bucket_stats<C: hdrhistogram::Counter>(h: &Histogram<C>) -> LatencyStats {
    if h.is_empty() {
        return LatencyStats::default();
    }
    let ms = |ns: u64| ns as f64 / 1e6;
    LatencyStats {
        count: h.len(),
        mean_ms: 0.0,
        p50_ms: ms(h.value_at_quantile(0.50)),
        p95_ms: ms(h.value_at_quantile(0.95)),
        p99_ms: ms(h.value_at_quantile(0.99)),
        p999_ms: 0.0,
        max_ms: ms(h.max()),
    }
}

fn stats<C: hdrhistogram::Counter>(h: &Histogram<C>) -> LatencyStats {
    if h.is_empty() {
        return LatencyStats::default();
    }
    let ms = |ns: u64| ns as f64 / 1e6;
    LatencyStats {
        count: h.len(),
        mean_ms: h.mean() / 1e6,
        p50_ms: ms(h.value_at_quantile(0.50)),
        p95_ms: ms(h.value_at_quantile(0.95)),
        p99_ms: ms(h.value_at_quantile(0.99)),
        p999_ms: ms(h.value_at_quantile(0.999)),
        max_ms: ms(h.max()),
    }
}

/// The recorder is the observer of per-bucket rows: each observation lands in the bucket of
/// the time last passed to [`Observer::advance`].
impl Observer for Recorder {
    #[inline]
    fn advance(&mut self, now: SimTime) {
        Recorder::advance(self, now);
    }
    #[inline]
    fn request_arrived(&mut self) {
        self.arrived();
    }
    #[inline]
    fn request_completed(&mut self, latency: SimDuration) {
        self.completed(latency);
    }
    #[inline]
    fn request_failed(&mut self, kind: ErrorKind, arrived: SimTime) {
        self.error(kind, arrived);
    }
    #[inline]
    fn request_all_hit(&mut self, arrived: SimTime) {
        self.all_hit();
        if self.warmup_tail(arrived) {
            self.warmup_tail.requests_all_hit += 1;
        }
    }
    #[inline]
    fn cache_lookup(&mut self, hit: bool) {
        if hit {
            self.cache_hit();
        } else {
            self.cache_miss();
        }
    }
    #[inline]
    fn cache_missed(&mut self, expired: bool) {
        self.row.cache_misses_expired += u64::from(expired);
    }
    #[inline]
    fn stale_served(&mut self) {
        self.stale_serve();
    }
    #[inline]
    fn lock_wait_ended(&mut self, wait: SimDuration) {
        self.lock_wait(wait);
    }
    #[inline]
    fn query_submitted(&mut self, cause: Cause, key: u32, current: bool) {
        self.db_submitted(cause);
        self.herd.query_submitted(cause, key, current);
    }
    #[inline]
    fn query_started(&mut self, now: SimTime, wait: SimDuration, busy: u32) {
        self.db_started(now, wait, busy);
    }
    #[inline]
    fn query_completed(&mut self, now: SimTime, busy: u32) {
        self.db_completed(now, busy);
    }
    #[inline]
    fn db_queue_changed(&mut self, len: usize) {
        self.db_queue_len(len);
    }
    #[inline]
    fn value_written(&mut self, key: u32, evicted: u32) {
        self.evicted(evicted);
        if let Some((size, early)) = self.herd.value_written(key) {
            self.herd(size, early);
        }
    }
    #[inline]
    fn read_served(&mut self, outdated: Option<SimDuration>) {
        self.row.reads_served += 1;
        if let Some(age) = outdated {
            self.row.outdated_reads += 1;
            // Ages never exceed the run, which the histograms' bound covers (an age of 0,
            // a read at the commit's very nanosecond, is recorded as 1 ns).
            let bound = self.bound_ns;
            for h in [&mut self.bucket_age, &mut self.run_age] {
                h.get_or_insert_with(|| new_histogram(bound))
                    .saturating_record(age.0.max(1));
            }
        }
    }
    #[inline]
    fn write_committed(&mut self, _key: u32) {
        self.row.writes_committed += 1;
    }
    #[inline]
    fn invalidation_delayed(&mut self, lag: SimDuration) {
        self.row.invalidations_delayed += 1;
        self.lag_ns += lag.0 as u128;
        self.total_lag_ns += lag.0 as u128;
    }
    #[inline]
    fn trace_delete(&mut self) {
        self.row.trace_deletes += 1;
    }
    #[inline]
    fn write_arrived(&mut self) {
        self.row.writes_arrived += 1;
    }
    #[inline]
    fn writes_lost(&mut self, n: u64) {
        self.row.writes_lost += n;
    }
    #[inline]
    fn invalidation_sent(&mut self, lost: bool) {
        self.row.invalidations_sent += 1;
        self.row.invalidations_lost += lost as u64;
    }
    #[inline]
    fn outdated_set(&mut self, after_delete: bool) {
        self.row.outdated_sets += 1;
        self.row.stale_set_races += after_delete as u64;
    }
    #[inline]
    fn set_refused(&mut self) {
        self.row.sets_refused += 1;
    }
    #[inline]
    fn absent_read(&mut self) {
        self.row.absent_reads += 1;
    }
    #[inline]
    fn negative_hit(&mut self) {
        self.row.negative_hits += 1;
    }
    #[inline]
    fn bloom_checked(&mut self, passed: bool) {
        if passed {
            self.row.bloom_false_positives += 1;
        } else {
            self.row.bloom_rejections += 1;
        }
    }
    #[inline]
    fn created_key_hidden(&mut self) {
        self.row.created_hidden_reads += 1;
    }
    #[inline]
    fn absent_query(&mut self) {
        self.row.db_queries_absent += 1;
    }
    #[inline]
    fn local_lookup(&mut self, hit: bool, differs: bool) {
        if hit {
            self.row.local_hits += 1;
            self.row.local_differs += differs as u64;
        } else {
            self.row.local_misses += 1;
        }
    }
    #[inline]
    fn local_invalidation(&mut self, lost: bool) {
        self.row.local_invalidations_sent += 1;
        self.row.local_invalidations_lost += lost as u64;
    }

    #[inline]
    fn retry_started(&mut self) {
        self.row.attempts += 1;
        self.row.retries += 1;
    }

    #[inline]
    fn retry_refused(&mut self) {
        self.row.retries_refused += 1;
    }

    #[inline]
    fn attempt_late(&mut self) {
        self.row.attempts_late += 1;
    }

    #[inline]
    fn db_error(&mut self) {
        self.row.db_errors += 1;
    }

    #[inline]
    fn query_cancelled(&mut self) {
        self.row.queries_cancelled += 1;
    }

    fn cache_read_sent(&mut self, node: u32, wait: SimDuration) {
        let wait_ms = wait.as_secs_f64() * 1e3;
        self.row.node_wait_max_ms = self.row.node_wait_max_ms.max(wait_ms);
        if let Some(n) = self.node_row.get_mut(node as usize) {
            n.reads += 1;
            n.wait_max_ms = n.wait_max_ms.max(wait_ms);
        }
    }

    fn cache_read_failed(&mut self, node: u32, why: CacheFailure) {
        let n = self.node_row.get_mut(node as usize);
        match why {
            CacheFailure::BreakerOpen => {
                self.row.breaker_rejections += 1;
                if let Some(n) = n {
                    n.breaker_rejections += 1;
                }
            }
            _ => {
                let timeout = (why == CacheFailure::Timeout) as u64;
                self.row.cache_errors += 1;
                self.row.cache_timeouts += timeout;
                if let Some(n) = n {
                    n.errors += 1;
                    n.timeouts += timeout;
                }
            }
        }
    }

    fn breaker_changed(&mut self, from: BreakerState, to: BreakerState) {
        match (from, to) {
            (BreakerState::Closed, BreakerState::Open) => {
                self.row.breaker_opens += 1;
                self.breakers_open += 1;
                self.row.breakers_open_max = self.row.breakers_open_max.max(self.breakers_open);
            }
            (_, BreakerState::Closed) => self.breakers_open = self.breakers_open.saturating_sub(1),
            _ => {}
        }
    }

    fn db_breaker_changed(&mut self, from: BreakerState, to: BreakerState) {
        if (from, to) == (BreakerState::Closed, BreakerState::Open) {
            self.row.db_breaker_opens += 1;
        }
    }

    fn gutter_lookup(&mut self, hit: bool) {
        if hit {
            self.row.gutter_hits += 1;
        } else {
            self.row.gutter_misses += 1;
        }
    }

    fn query_retried(&mut self) {
        self.row.db_retries += 1;
    }

    fn hedge_sent(&mut self, won: bool) {
        self.row.hedges += 1;
        self.row.hedges_won += won as u64;
    }

    fn request_degraded(&mut self) {
        self.row.requests_degraded += 1;
    }

    fn stale_on_error(&mut self) {
        self.row.stale_on_error_serves += 1;
    }

    fn should_stop(&self) -> bool {
        self.watch.as_ref().is_some_and(Watch::done)
    }

    #[inline]
    fn keys_remapped(&mut self, n: u32) {
        self.row.keys_remapped += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_run_latency_gathered_bucket_by_bucket_is_the_latency_of_every_request() {
        // Without a warm-up the run's histogram is the sum of the buckets' at their close:
        // its figures must be those of every latency recorded directly.
        let secs = SimDuration::from_secs;
        let mut r = Recorder::new(secs(5), secs(1), 2, secs(5));
        let mut direct = new_histogram(secs(5).0);
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..20_000u64 {
            let now = SimTime(i * 250_000 + 1);
            r.advance(now);
            // Latencies from 1 us to about 1 s, up to `now`.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let latency = (1_000 + x % (1u64 << (10 + x % 20))).min(now.0);
            r.arrived();
            r.completed(SimDuration(latency));
            direct.record(latency).unwrap();
        }
        let res = r.finish(RunEnd {
            at: SimTime(5_000_000_000),
            unfinished: 0,
            truncation: None,
        });
        assert_eq!(res.buckets.len(), 5);
        let whole = res.summary.totals.latency;
        assert_eq!(whole, stats(&direct));
        assert_eq!(whole.count, 20_000);
        assert!(whole.max_ms > whole.p999_ms && whole.p999_ms > whole.p50_ms);
        // The binned distribution kept for the report holds the same latencies.
        let kept = &res.summary.latency_histogram;
        assert_eq!(kept, &LatencyHistogram::of_hdr(&direct));
        assert_eq!(kept.count(), 20_000);
    }

    #[test]
    fn counts_land_in_their_buckets_and_sum_in_totals() {
        let mut r = Recorder::new(
            SimDuration::from_secs(3),
            SimDuration::from_secs(1),
            2,
            SimDuration::from_secs(3),
        );
        r.arrived();
        r.advance(SimTime(1_500_000_000));
        r.arrived();
        r.arrived();
        r.completed(SimDuration::from_millis(10));
        r.advance(SimTime(2_999_999_999));
        r.error(ErrorKind::Timeout, SimTime::ZERO);
        let res = r.finish(RunEnd {
            at: SimTime(3_000_000_000),
            unfinished: 1,
            truncation: None,
        });
        assert_eq!(res.buckets.len(), 3);
        assert_eq!(
            res.buckets.iter().map(|b| b.arrived).collect::<Vec<_>>(),
            vec![1, 2, 0]
        );
        assert_eq!(res.buckets[2].errors_timeout, 1);
        assert_eq!(res.summary.totals.arrived, 3);
        assert!((res.buckets[1].latency.p99_ms - 10.0).abs() < 0.01);
        assert_eq!(res.buckets[0].latency.count, 0);
    }

    #[test]
    fn busy_fraction_splits_across_bucket_boundaries() {
        let mut r = Recorder::new(
            SimDuration::from_secs(2),
            SimDuration::from_secs(1),
            2,
            SimDuration::from_secs(2),
        );
        // One of two slots busy from 0.5 s to 1.5 s.
        r.advance(SimTime(500_000_000));
        r.db_started(SimTime(500_000_000), SimDuration::ZERO, 1);
        r.advance(SimTime(1_500_000_000));
        r.db_completed(SimTime(1_500_000_000), 0);
        let res = r.finish(RunEnd {
            at: SimTime(2_000_000_000),
            unfinished: 0,
            truncation: None,
        });
        assert!((res.buckets[0].db_busy_fraction - 0.25).abs() < 1e-9);
        assert!((res.buckets[1].db_busy_fraction - 0.25).abs() < 1e-9);
        assert!((res.summary.totals.db_busy_fraction - 0.25).abs() < 1e-9);
    }

    #[test]
    fn latencies_longer_than_an_hour_are_not_clamped() {
        let three_hours = SimDuration::from_secs(3 * 3600);
        let mut r = Recorder::new(three_hours, SimDuration::from_secs(60), 1, three_hours);
        r.arrived();
        r.advance(SimTime(2 * 3600 * 1_000_000_000));
        r.completed(SimDuration::from_secs(2 * 3600));
        let res = r.finish(RunEnd {
            at: SimTime(three_hours.0),
            unfinished: 0,
            truncation: None,
        });
        let max = res.summary.totals.latency.max_ms;
        assert!((max / 7_200_000.0 - 1.0).abs() < 0.001, "max {max} ms");
    }

    #[test]
    fn last_bucket_may_be_short() {
        let r = Recorder::new(
            SimDuration::from_millis(2500),
            SimDuration::from_secs(1),
            1,
            SimDuration::from_millis(2500),
        );
        let res = r.finish(RunEnd {
            at: SimTime(2_500_000_000),
            unfinished: 0,
            truncation: None,
        });
        assert_eq!(res.buckets.len(), 3);
        assert!((res.buckets[2].width_s - 0.5).abs() < 1e-12);
    }
}
