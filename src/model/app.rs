//! The application tier: instances that take requests round-robin, each running at most
//! `workers` requests at once with a queue in front of them, and keeping what its reads share:
//! its cache-key version, coalesced fetches and background refreshes in flight, and its rebuild
//! token bucket.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use super::config::{AppConfig, QueueOrder, Shedding};
use super::mitigation::coalescing::{join_or_lead, Join};
use super::mitigation::rate_limit::{RateLimit, TokenBucket};
use super::request::KeyRef;
use crate::engine::{SimDuration, SimTime};

/// What the app tier does on its own time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppEvent {
    /// The app sends the failed database query of read `k` again (app retries).
    QueryRetry(KeyRef),
}

/// What happens to a request arriving at an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// A worker is free: the request starts now.
    Start,
    /// Every worker is busy: the request waits in the instance's queue.
    Queue,
    /// Every worker is busy and the queue is full: the request is shed (`overload`).
    Reject,
}

/// A tiny deterministic hasher for integer keys (FxHash's multiply). Maps keyed with it are
/// never iterated, so hashing never reaches the output either way.
#[derive(Clone, Copy, Debug, Default)]
pub struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(*b as u64);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

pub type IntMap<V> = HashMap<u32, V, BuildHasherDefault<IntHasher>>;
pub type IntSet = HashSet<u32, BuildHasherDefault<IntHasher>>;

/// What an app instance keeps for its reads besides its workers and queue.
#[derive(Clone, Debug)]
struct Instance {
    /// Cache-key version this instance reads and writes.
    version: u32,
    /// Coalesced fetches in flight: cache key -> leading read.
    fetching: IntMap<KeyRef>,
    /// Background refreshes in flight (cache keys).
    refreshing: IntSet,
    /// Rebuild rate limit.
    rebuild_tokens: TokenBucket,
}

/// Workers, queues and read state of every instance, and the round-robin pointer.
#[derive(Clone, Debug)]
pub struct AppTier {
    workers: Option<u32>,
    queue_limit: Option<u32>,
    /// Per instance: requests running, and requests waiting (by request slot).
    busy: Vec<u32>,
    queues: Vec<VecDeque<u32>>,
    instances: Vec<Instance>,
    next: u32,
    order: QueueOrder,
    shedding: Option<Shedding>,
    /// Whether the queue is plain FIFO without shedding (the common case, checked first).
    plain_fifo: bool,
    /// Per instance: when its queue was last seen empty (for shedding).
    last_empty: Vec<SimTime>,
}

impl AppTier {
    /// An idle tier as `config` describes it, each instance with a full rebuild token bucket
    /// for `rate_limit`.
    pub fn new(config: &AppConfig, rate_limit: Option<RateLimit>) -> Self {
        AppTier {
            workers: config.workers,
            queue_limit: config.queue_limit,
            busy: vec![0; config.instances as usize],
            queues: vec![VecDeque::new(); config.instances as usize],
            instances: (0..config.instances)
                .map(|_| Instance {
                    version: 0,
                    fetching: IntMap::default(),
                    refreshing: IntSet::default(),
                    rebuild_tokens: TokenBucket::new(rate_limit),
                })
                .collect(),
            next: 0,
            order: config.queue_order,
            shedding: config.shedding,
            plain_fifo: config.queue_order == QueueOrder::Fifo && config.shedding.is_none(),
            last_empty: vec![SimTime::ZERO; config.instances as usize],
        }
    }

    /// How many instances the tier has.
    #[inline]
    pub fn instance_count(&self) -> u32 {
        self.instances.len() as u32
    }

    /// The cache-key version `instance` reads and writes.
    #[inline]
    pub fn version_of(&self, instance: u32) -> u32 {
        self.instances[instance as usize].version
    }

    /// The newest key version any instance runs: the one writers set values under.
    pub fn newest_version(&self) -> u32 {
        self.instances.iter().map(|i| i.version).max().unwrap_or(0)
    }

    /// Instances `from..to` switch to key version `version` (a deploy's wave).
    pub fn switch_version(&mut self, from: u32, to: u32, version: u32) {
        for inst in &mut self.instances[from as usize..to as usize] {
            inst.version = version;
        }
    }

    /// Forgets every fetch and background refresh in flight for a cache key in `range` (a
    /// newer deploy took that key range over).
    pub fn forget_range(&mut self, range: &std::ops::Range<u32>) {
        for inst in &mut self.instances {
            inst.fetching.retain(|ckey, _| !range.contains(ckey));
            inst.refreshing.retain(|ckey| !range.contains(ckey));
        }
    }

    /// A miss of `ckey` by read `k` on `instance` under coalescing: it waits for the fetch in
    /// flight there, or leads a new one.
    #[inline]
    pub fn join_fetch(&mut self, instance: u32, ckey: u32, k: KeyRef) -> Join<KeyRef> {
        join_or_lead(&mut self.instances[instance as usize].fetching, ckey, k)
    }

    /// The fetch of `ckey` that read `k` led on `instance` is over (unless a deploy cleared it
    /// and a newer read leads one for the key now).
    #[inline]
    pub fn end_fetch(&mut self, instance: u32, ckey: u32, k: KeyRef) {
        let fetching = &mut self.instances[instance as usize].fetching;
        if fetching.get(&ckey) == Some(&k) {
            fetching.remove(&ckey);
        }
    }

    /// Starts a background refresh of `ckey` on `instance`; `false` if one runs there already.
    #[inline]
    pub fn start_refresh(&mut self, instance: u32, ckey: u32) -> bool {
        self.instances[instance as usize].refreshing.insert(ckey)
    }

    /// The background refresh of `ckey` on `instance` is over.
    #[inline]
    pub fn end_refresh(&mut self, instance: u32, ckey: u32) {
        self.instances[instance as usize].refreshing.remove(&ckey);
    }

    /// Takes a token from `instance`'s rebuild bucket at `now` under `limit`.
    #[inline]
    pub fn take_rebuild_token(&mut self, instance: u32, now: SimTime, limit: &RateLimit) -> bool {
        self.instances[instance as usize]
            .rebuild_tokens
            .take(now, limit)
    }

    /// The instance the next request goes to (round-robin).
    #[inline]
    pub fn route(&mut self) -> u32 {
        let instance = self.next;
        // Round robin without a division.
        let next = instance + 1;
        self.next = if next as usize == self.busy.len() {
            0
        } else {
            next
        };
        instance
    }

    /// Whether a request arriving at `instance` starts, waits or is shed.
    #[inline]
    pub fn admit(&self, instance: u32) -> Admission {
        let i = instance as usize;
        if self.workers.is_none_or(|w| self.busy[i] < w) {
            Admission::Start
        } else if self
            .queue_limit
            .is_some_and(|l| self.queues[i].len() >= l as usize)
        {
            Admission::Reject
        } else {
            Admission::Queue
        }
    }

    /// Request `req` waits at `instance` from `now`.
    #[inline]
    pub fn enqueue(&mut self, instance: u32, req: u32, now: SimTime) {
        let queue = &mut self.queues[instance as usize];
        if queue.is_empty() {
            self.last_empty[instance as usize] = now;
        }
        queue.push_back(req);
    }

    /// A worker of `instance` takes a request.
    #[inline]
    pub fn start(&mut self, instance: u32) {
        self.busy[instance as usize] += 1;
    }

    /// A worker of `instance` finished its request.
    #[inline]
    pub fn release(&mut self, instance: u32) {
        self.busy[instance as usize] -= 1;
    }

    /// The request a freed worker of `instance` takes, off its queue: the one waiting longest
    /// (FIFO) or the newest (LIFO).
    #[inline]
    pub fn next_queued(&mut self, instance: u32) -> Option<u32> {
        let queue = &mut self.queues[instance as usize];
        if self.order == QueueOrder::Lifo {
            queue.pop_back()
        } else {
            queue.pop_front()
        }
    }

    /// The request waiting longest at `instance`, if `drop` says it should go: taken off the
    /// queue. Under LIFO, the oldest requests are the ones a worker never reaches; this lets
    /// them leave when their client gave up or they waited past the shedding limit.
    #[inline]
    pub fn drop_oldest_if(&mut self, instance: u32, drop: impl FnOnce(u32) -> bool) -> Option<u32> {
        let queue = &mut self.queues[instance as usize];
        let &oldest = queue.front()?;
        if drop(oldest) {
            queue.pop_front()
        } else {
            None
        }
    }

    /// Whether queued requests may be taken out of order or shed (LIFO, or a shedding limit).
    #[inline]
    pub fn sheds(&self) -> bool {
        !self.plain_fifo
    }

    /// Whether requests are taken newest first.
    #[inline]
    pub fn is_lifo(&self) -> bool {
        self.order == QueueOrder::Lifo
    }

    /// The longest a request may have waited at `instance` at `now` and still be served
    /// (`None`: no limit): `target` while the queue has stood non-empty for longer than
    /// `interval`, else `interval`.
    #[inline]
    pub fn queue_time_limit(&self, instance: u32, now: SimTime) -> Option<SimDuration> {
        let s = self.shedding?;
        let standing = now.since(self.last_empty[instance as usize]) > s.interval;
        Some(if standing { s.target } else { s.interval })
    }

    /// Requests waiting at every instance.
    pub fn queued(&self) -> usize {
        self.queues.iter().map(VecDeque::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(instances: u32, workers: Option<u32>, queue_limit: Option<u32>) -> AppTier {
        AppTier::new(
            &AppConfig {
                instances,
                workers,
                queue_limit,
                discard_abandoned: true,
                queue_order: crate::model::config::QueueOrder::Fifo,
                shedding: None,
                cancel_abandoned: false,
            },
            None,
        )
    }

    #[test]
    fn requests_go_round_robin() {
        let mut t = tier(3, None, None);
        let order: Vec<u32> = (0..7).map(|_| t.route()).collect();
        assert_eq!(order, vec![0, 1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn workers_then_queue_then_shedding() {
        let mut t = tier(2, Some(2), Some(1));
        assert_eq!(t.admit(0), Admission::Start);
        t.start(0);
        t.start(0);
        assert_eq!(t.admit(0), Admission::Queue);
        t.enqueue(0, 7, SimTime::ZERO);
        assert_eq!(t.admit(0), Admission::Reject);
        // The other instance is idle.
        assert_eq!(t.admit(1), Admission::Start);
        assert_eq!(t.queued(), 1);
        t.release(0);
        assert_eq!(t.next_queued(0), Some(7));
        assert_eq!(t.next_queued(0), None);
        assert_eq!(t.admit(0), Admission::Start);
    }

    #[test]
    fn each_instance_starts_at_version_0_with_a_full_token_bucket() {
        let limit = RateLimit {
            rate: 1.0,
            burst: 2,
        };
        let config = AppConfig {
            instances: 3,
            workers: None,
            queue_limit: None,
            discard_abandoned: true,
            queue_order: crate::model::config::QueueOrder::Fifo,
            shedding: None,
            cancel_abandoned: false,
        };
        let mut t = AppTier::new(&config, Some(limit));
        assert_eq!(t.instance_count(), 3);
        for i in 0..3 {
            assert_eq!(t.version_of(i), 0);
            let now = crate::engine::SimTime::ZERO;
            assert!(t.take_rebuild_token(i, now, &limit) && t.take_rebuild_token(i, now, &limit));
            assert!(!t.take_rebuild_token(i, now, &limit));
            // Nothing in flight: a refresh starts, a miss leads.
            assert!(t.start_refresh(i, 5));
            assert_eq!(t.join_fetch(i, 5, KeyRef { req: 1, idx: 0 }), Join::Lead);
        }
    }

    #[test]
    fn fetches_and_refreshes_are_per_instance_and_end_once() {
        let mut t = tier(2, None, None);
        let (a, b) = (KeyRef { req: 1, idx: 0 }, KeyRef { req: 2, idx: 0 });
        assert_eq!(t.join_fetch(0, 7, a), Join::Lead);
        assert_eq!(t.join_fetch(0, 7, b), Join::Wait(a));
        // Another instance fetches on its own.
        assert_eq!(t.join_fetch(1, 7, b), Join::Lead);
        // Only the leader ends its fetch.
        t.end_fetch(0, 7, b);
        assert_eq!(t.join_fetch(0, 7, b), Join::Wait(a));
        t.end_fetch(0, 7, a);
        assert_eq!(t.join_fetch(0, 7, b), Join::Lead);
        assert!(t.start_refresh(0, 9));
        assert!(!t.start_refresh(0, 9));
        t.end_refresh(0, 9);
        assert!(t.start_refresh(0, 9));
    }

    #[test]
    fn a_deploy_switches_waves_and_forgets_the_taken_range() {
        let mut t = tier(4, None, None);
        t.switch_version(0, 2, 1);
        assert_eq!(
            (t.version_of(0), t.version_of(1), t.version_of(2)),
            (1, 1, 0)
        );
        assert_eq!(t.newest_version(), 1);
        let a = KeyRef { req: 1, idx: 0 };
        assert_eq!(t.join_fetch(3, 15, a), Join::Lead);
        assert_eq!(t.join_fetch(3, 25, a), Join::Lead);
        assert!(t.start_refresh(3, 15));
        t.forget_range(&(10..20));
        assert_eq!(t.join_fetch(3, 15, a), Join::Lead);
        assert_eq!(t.join_fetch(3, 25, a), Join::Wait(a));
        assert!(t.start_refresh(3, 15));
    }

    #[test]
    fn unlimited_workers_never_queue() {
        let mut t = tier(1, None, Some(0));
        for _ in 0..1000 {
            assert_eq!(t.admit(0), Admission::Start);
            t.start(0);
        }
    }
}
