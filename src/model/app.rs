//! The application tier: instances that take requests round-robin, each running at most
//! `workers` requests at once with a queue in front of them, and keeping what its reads share:
//! its cache-key version, coalesced fetches and background refreshes in flight, and its rebuild
//! token bucket.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use super::config::{AppConfig, QueueOrder, Shedding};
use super::mitigation::rate_limit::{RateLimit, TokenBucket};
use super::request::KeyRef;
use crate::engine::{SimDuration, SimTime};

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
pub struct Instance {
    /// Cache-key version this instance reads and writes.
    pub version: u32,
    /// Coalesced fetches in flight: cache key -> leading read.
    pub fetching: IntMap<KeyRef>,
    /// Background refreshes in flight (cache keys).
    pub refreshing: IntSet,
    /// Rebuild rate limit.
    pub rebuild_tokens: TokenBucket,
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

    /// The read state of every instance.
    #[inline]
    pub fn instances(&self) -> &[Instance] {
        &self.instances
    }

    /// The read state of every instance, to change.
    #[inline]
    pub fn instances_mut(&mut self) -> &mut [Instance] {
        &mut self.instances
    }

    /// The instance the next request goes to (round-robin).
    #[inline]
    pub fn route(&mut self) -> u32 {
        let instance = self.next;
        self.next = (self.next + 1) % self.busy.len() as u32;
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
        assert_eq!(t.instances().len(), 3);
        for inst in t.instances_mut() {
            assert_eq!(inst.version, 0);
            assert!(inst.fetching.is_empty() && inst.refreshing.is_empty());
            let now = crate::engine::SimTime::ZERO;
            assert!(inst.rebuild_tokens.take(now, &limit) && inst.rebuild_tokens.take(now, &limit));
            assert!(!inst.rebuild_tokens.take(now, &limit));
        }
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
