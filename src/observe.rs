//! What the model says about a run as it goes: observations, not measurements.
//!
//! The model reports what happened (a request arrived, completed or failed, a query was
//! submitted for a cause, a value was written, a stale value was served) to an [`Observer`];
//! whatever measures (the recorder of per-bucket rows, the hot-key herd measure, future probes
//! of staleness or retries) is an observer and keeps its own state. Every hook has a default
//! that does nothing, so a probe implements only what it listens to (as criterion's `Report`
//! does). The model keeps no measuring state of its own.
//!
//! The vocabulary stands alone: its only crate import is the leaf [`crate::time`] (integer
//! nanoseconds, itself importing nothing of the crate), because every observation is stamped with
//! a simulated time. It imports nothing of the model, the engine or the metrics; the model and the
//! metrics both depend on it, never it on them (a test in this module checks that, and that
//! `src/model/` imports nothing of `crate::metrics`).

use crate::time::{SimDuration, SimTime};

/// Why a cache operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheFailure {
    /// The node is dead.
    Dead,
    /// The node dropped the operation.
    Dropped,
    /// The answer would have come after the app's timeout.
    Timeout,
    /// The app's breaker for the node is open: the call was not made.
    BreakerOpen,
}

/// Where a breaker stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through; failures are counted.
    Closed,
    /// Calls are rejected until the cool-down ends.
    Open,
    /// Probes go through; the others are rejected.
    HalfOpen,
}

/// Why a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The client gave up waiting.
    Timeout,
    /// A database query was rejected because the queue was full.
    DbRejected,
    /// A database query waited longer than the queue timeout.
    DbTimeout,
    /// The request was shed at the door (app queue full).
    Overload,
    /// A mitigation would not rebuild a key and had nothing stale to serve.
    Fallback,
    /// The request waited for an app worker longer than the shedding limit.
    Shed,
    /// A database query failed with a transient error.
    DbError,
    /// The client rejected the attempt itself (adaptive throttling).
    Throttled,
    /// The app's circuit breaker on the database was open: the query was never sent.
    DbBreakerOpen,
}

/// Why a database query was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// A read missed.
    Miss,
    /// XFetch recomputed early.
    EarlyRefresh,
    /// Refresh-ahead or stale-while-revalidate.
    BackgroundRefresh,
    /// Deploy warm-up.
    Warmup,
    /// Lock or lease fallback to the database.
    Fallback,
    /// A write.
    Write,
}

/// A run stopped early because it diverged.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Truncation {
    /// When it stopped, simulated seconds.
    pub at_s: f64,
    /// Which component held the backlog, and how much, in words.
    pub reason: String,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub struct RunEnd {
    /// When the run ended: `duration`, later after a drain, or earlier if it diverged (at the
    /// end of a metrics bucket, so every bucket keeps its width).
    pub at: SimTime,
    /// Requests admitted whose client was still waiting: not completed, not failed.
    pub unfinished: u64,
    /// Why the run stopped early, if it did.
    pub truncation: Option<Truncation>,
}

/// Receives the model's observations, in time order. Every hook does nothing by default.
#[allow(unused_variables)]
pub trait Observer {
    /// Simulated time moved to `now`; called before anything happening at `now` is reported.
    #[inline]
    fn advance(&mut self, now: SimTime) {}
    /// A client request arrived.
    #[inline]
    fn request_arrived(&mut self) {}
    /// A request was answered successfully, `latency` after it arrived.
    #[inline]
    fn request_completed(&mut self, latency: SimDuration) {}
    /// A request that arrived at `arrived` failed.
    #[inline]
    fn request_failed(&mut self, kind: ErrorKind, arrived: SimTime) {}
    /// A finished request, arrived at `arrived`, had every one of its keys answered by a fresh
    /// cache hit.
    #[inline]
    fn request_all_hit(&mut self, arrived: SimTime) {}
    /// A cache read found a value to serve (`true`) or nothing fresh (`false`).
    #[inline]
    fn cache_lookup(&mut self, hit: bool) {}
    /// A cache read missed: it found the key's entry expired (`true`) or no entry (`false`).
    #[inline]
    fn cache_missed(&mut self, expired: bool) {}
    /// An expired value was served.
    #[inline]
    fn stale_served(&mut self) {}
    /// A read stopped waiting for another reader's lock or lease after `wait`.
    #[inline]
    fn lock_wait_ended(&mut self, wait: SimDuration) {}
    /// A database query was submitted for `cause`, for logical key `key` (0 is the most
    /// popular); `current` is false for a read whose key version lost its key range to a newer
    /// deploy (its result will not be written).
    #[inline]
    fn query_submitted(&mut self, cause: Cause, key: u32, current: bool) {}
    /// A query entered service at `now` after waiting `wait`; `busy` slots are now in use.
    #[inline]
    fn query_started(&mut self, now: SimTime, wait: SimDuration, busy: u32) {}
    /// A query left service at `now`; `busy` slots are now in use.
    #[inline]
    fn query_completed(&mut self, now: SimTime, busy: u32) {}
    /// The database queue now holds `len` queries.
    #[inline]
    fn db_queue_changed(&mut self, len: usize) {}
    /// A value of logical key `key` was written into the cache, evicting `evicted` entries.
    #[inline]
    fn value_written(&mut self, key: u32, evicted: u32) {}
    /// A read of one key was answered with a value; `outdated`: how long ago a newer version
    /// of it was committed to the database (`None`: the value is the committed version).
    #[inline]
    fn read_served(&mut self, outdated: Option<SimDuration>) {}
    /// An invalidation was sent to arrive `lag` after its write's commit (an invalidation
    /// event), rather than at once.
    #[inline]
    fn invalidation_delayed(&mut self, lag: SimDuration) {}
    /// A write arrived.
    #[inline]
    fn write_arrived(&mut self) {}
    /// A replayed trace's delete arrived (it commits, then deletes the key in the cache).
    #[inline]
    fn trace_delete(&mut self) {}
    /// A write of logical key `key` was committed to the database.
    #[inline]
    fn write_committed(&mut self, key: u32) {}
    /// `n` writes the cache had taken (write-back) were lost before being committed.
    #[inline]
    fn writes_lost(&mut self, n: u64) {}
    /// An invalidation (a delete of a written key) was sent to the cache, or lost on the way
    /// (`lost`: never delivered).
    #[inline]
    fn invalidation_sent(&mut self, lost: bool) {}
    /// A set wrote a value older than the database's committed version; `after_delete`: after
    /// the cache had applied a delete for a newer version, which it undoes (the stale-set
    /// race: the old value now lives until its TTL).
    #[inline]
    fn outdated_set(&mut self, after_delete: bool) {}
    /// A set was refused: a versioned set older than the cache's version, or a lease revoked
    /// by a delete.
    #[inline]
    fn set_refused(&mut self) {}
    /// A request started reading a key that exists nowhere.
    #[inline]
    fn absent_read(&mut self) {}
    /// A cached "not found" answered a read (negative caching).
    #[inline]
    fn negative_hit(&mut self) {}
    /// The Bloom filter checked an absent key: `passed` is a false positive (it goes on to
    /// the database), otherwise it was rejected without a query.
    #[inline]
    fn bloom_checked(&mut self, passed: bool) {}
    /// A read of a key created after it was absent was answered "not found" (by a cached
    /// "not found" or a Bloom filter built before the key existed).
    #[inline]
    fn created_key_hidden(&mut self) {}
    /// A database query was submitted for an absent key.
    #[inline]
    fn absent_query(&mut self) {}
    /// An instance's local cache was read: `hit` if it held a fresh copy; `differs` if that
    /// copy's version differs from the one the shared cache holds.
    #[inline]
    fn local_lookup(&mut self, hit: bool, differs: bool) {}
    /// A write's change was published to one instance's local cache (`lost`: never arrives).
    #[inline]
    fn local_invalidation(&mut self, lost: bool) {}
    /// A client retried a request: another attempt at it started (its first attempt is the
    /// request's arrival).
    #[inline]
    fn retry_started(&mut self) {}
    /// The app sent a failed database query again (app retries).
    #[inline]
    fn query_retried(&mut self) {}
    /// The retry budget refused a retry.
    #[inline]
    fn retry_refused(&mut self) {}
    /// An attempt was answered successfully after its client had given up on it.
    #[inline]
    fn attempt_late(&mut self) {}
    /// A database query failed with a transient error.
    #[inline]
    fn db_error(&mut self) {}
    /// A queued database query was dropped because its client had given up.
    #[inline]
    fn query_cancelled(&mut self) {}
    /// A cache read (or a lock request, poll or release) was sent to `node` (with node
    /// faults), where it waited `wait` for its turn (node capacity).
    #[inline]
    fn cache_read_sent(&mut self, node: u32, wait: SimDuration) {}
    /// A cache read (or a lock request or poll) to `node` failed for `why`.
    #[inline]
    fn cache_read_failed(&mut self, node: u32, why: CacheFailure) {}
    /// A circuit breaker (of one app instance, for one node) changed state.
    #[inline]
    fn breaker_changed(&mut self, from: BreakerState, to: BreakerState) {}
    /// An app instance's circuit breaker on the database went from `from` to `to`.
    #[inline]
    fn db_breaker_changed(&mut self, from: BreakerState, to: BreakerState) {}
    /// A read that failed over to the gutter pool found a fresh value there (`hit`) or not.
    #[inline]
    fn gutter_lookup(&mut self, hit: bool) {}
    /// A read whose cache call failed was answered with the instance's local copy (fresh or
    /// expired) instead of going to the database.
    #[inline]
    fn stale_on_error(&mut self) {}
    /// A slow cache read was hedged; `won`: the hedge's outcome is the one acted on.
    #[inline]
    fn hedge_sent(&mut self, won: bool) {}
    /// A request was answered without one of its optional keys, whose read failed (it is
    /// also reported completed).
    #[inline]
    fn request_degraded(&mut self) {}
    /// A change of the nodes in service moved `n` keys to another node.
    #[inline]
    fn keys_remapped(&mut self, n: u32) {}
    /// Whether the run may stop now: what this observer measures can no longer change (a
    /// phase map's recovery verdict, reached early). Asked once per bucket, at the first
    /// event of a new bucket after [`Observer::advance`]; the run then ends at that bucket's
    /// start. Never by default: a run goes to its end.
    #[inline]
    fn should_stop(&self) -> bool {
        false
    }
}

/// An observer that ignores everything: for runs whose outcome alone matters.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ignore;

impl Observer for Ignore {}
