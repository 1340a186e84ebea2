//! Cache nodes as a dependency that can fail: nodes that die and come back, slow down or drop
//! operations for a while, serve a limited number of operations per second, the app's timeout
//! on an operation, the placement of keys on the nodes in service (consistent hashing or hash
//! modulo), hot keys read from one of several replicas, and the app's circuit breakers per node.
//!
//! [`NodeFaults::read_op`] says what happens to one read: answered at some time by some node,
//! or failed at some time, and why; [`NodeFaults::lock_op`] the same for a lock request or
//! poll, which always goes to the key's owner. Nothing here is drawn unless the feature that
//! needs the draw is configured, so scenarios without node faults keep their streams.
//!
//! A returning node can be warmed before it takes traffic: it stays out of the app's reach
//! (dead to readers) while the values the app writes into it are kept aside here, and they
//! become its entries when it is restored.

use std::collections::BTreeMap;
use std::ops::Range;

use rand::Rng;

use super::cluster::HashRing;
use crate::engine::rng::splitmix64;
use crate::engine::{SimDuration, SimTime, Stream};
use crate::model::config::{CacheConfig, HotKeyReplicas, Placement};
use crate::model::mitigation::breaker::{Breaker, BreakerConfig};

/// What happens to cache nodes besides reads: the app taking a dead node out, and the
/// warm-up of a node that comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeEvent {
    /// The app has noticed that dead cache node `node` is gone and rehashes without it.
    TakeOut {
        /// The node.
        node: u32,
    },
    /// Warm-up of `node`, restored at timeline entry `entry`, sends its next query.
    WarmupTick {
        /// The node.
        node: u32,
        /// The `restore_node` timeline entry.
        entry: u32,
    },
    /// The warm-up of `node`, restored at timeline entry `entry`, has run for its longest
    /// time.
    WarmupEnd {
        /// The node.
        node: u32,
        /// The `restore_node` timeline entry.
        entry: u32,
    },
}
use crate::observe::{BreakerState, CacheFailure};

/// What happens to one read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadOp {
    /// Answered at `at` by `node`, after waiting `wait` for its turn there.
    Answered {
        /// When the answer reaches the app.
        at: SimTime,
        /// The node that served it.
        node: u32,
        /// Time spent queued at the node (node capacity).
        wait: SimDuration,
    },
    /// Failed: the app learns it at `at`.
    Failed {
        /// When the app gives up or hears of it.
        at: SimTime,
        /// The node it went to.
        node: u32,
        /// Why.
        why: CacheFailure,
        /// Time spent queued at the node before the failure (node capacity).
        wait: SimDuration,
    },
}

/// A breaker's change of state, for observation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerChange {
    /// The state before.
    pub from: BreakerState,
    /// The state after.
    pub to: BreakerState,
}

#[derive(Clone, Copy, Debug)]
struct Health {
    dead: bool,
    slow_factor: f64,
    slow_until: SimTime,
    drop_share: f64,
    drop_until: SimTime,
    /// When the node's one server is next free (node capacity).
    free_at: SimTime,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            dead: false,
            slow_factor: 1.0,
            slow_until: SimTime::ZERO,
            drop_share: 0.0,
            drop_until: SimTime::ZERO,
            free_at: SimTime::ZERO,
        }
    }
}

/// The streams node faults draw from.
#[derive(Clone, Debug)]
pub struct NodeStreams {
    /// Which replica of a hot key a read goes to.
    pub replicas: Stream,
    /// Whether a dropping node drops an operation.
    pub drops: Stream,
}

/// A value written into a node that is being warmed, waiting for the node to take traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Staged {
    /// When it expires.
    pub expires: SimTime,
    /// How long its value took to compute (for early expiration).
    pub delta: SimDuration,
    /// The key's version it holds.
    pub version: u32,
}

/// How a node's warm-up stands after one of its queries was answered or failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WarmProgress {
    /// No warm-up of that node from that timeline entry is running (it ended, was cancelled or
    /// superseded): the value is an ordinary set.
    NotWarming,
    /// Keys are left to send, or queries to be answered.
    Running,
    /// Every key was sent and every query answered: the node may take traffic.
    Done,
}

/// The next key a warm-up queries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WarmKey {
    /// Its cache key.
    pub ckey: u32,
    /// The key version it is warmed under.
    pub version: u32,
    /// When the warm-up sends its next key (`None`: this was the last).
    pub next: Option<SimTime>,
}

/// How a node's warm-up goes: the key version it warms, when it starts, and keys per second.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WarmPace {
    /// The key version its cache keys belong to.
    pub version: u32,
    /// When it starts.
    pub start: SimTime,
    /// Keys sent per second.
    pub rate: f64,
}

/// What became of a lock release sent without waiting for its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// Not sent: the app's breaker for the node is not closed.
    NotSent,
    /// Sent, and lost (a dead or dropping node), after waiting `wait` for its turn.
    Lost {
        /// Wait for its turn at the node.
        wait: SimDuration,
    },
    /// Sent and applied, after waiting `wait` for its turn.
    Applied {
        /// Wait for its turn at the node.
        wait: SimDuration,
    },
}

/// A returning node being warmed.
#[derive(Clone, Debug)]
struct Warming {
    /// The timeline entry that started it: events of an earlier warm-up are told apart.
    entry: u32,
    /// The key version its cache keys belong to.
    version: u32,
    /// Cache keys to warm, most popular first.
    keys: Vec<u32>,
    /// Keys sent so far.
    sent: usize,
    /// When it started, and keys sent per second: key n goes n / rate after the start.
    start: SimTime,
    rate: f64,
    /// Queries sent and not answered yet.
    pending: u32,
    /// Values written into the node so far, by cache key (a `BTreeMap`: installed in key
    /// order, so the result never depends on a hasher).
    staged: BTreeMap<u32, Staged>,
}

/// Bytes a warm-up holds per key it warms, at most: the key in its list, and the value staged
/// for it in a B-tree map (the entry and the tree's share of node overhead, rounded up).
pub const WARMUP_BYTES_PER_KEY: u64 = (std::mem::size_of::<u32>()
    + 2 * (std::mem::size_of::<u32>() + std::mem::size_of::<Staged>()))
    as u64;

/// Health, capacity, placement and breakers of the nodes.
#[derive(Clone, Debug)]
pub struct NodeFaults {
    health: Vec<Health>,
    in_service: Vec<bool>,
    placement: Placement,
    vnodes: u32,
    timeout: Option<SimDuration>,
    /// Service time of one operation at a node, ns (node capacity).
    service_ns: Option<f64>,
    replicas: Option<HotKeyReplicas>,
    breaker: Option<BreakerConfig>,
    /// Per app instance and node.
    breakers: Vec<Breaker>,
    streams: NodeStreams,
    /// Per node, its warm-up before it takes traffic again, if one is running.
    warming: Vec<Option<Warming>>,
    /// Nodes being warmed (so sets and deletes check `warming` only when one is).
    warming_nodes: u32,
}

impl NodeFaults {
    /// The nodes of `config`, all alive and in service, with a closed breaker per node for
    /// each of `instances` app instances.
    pub fn new(
        config: &CacheConfig,
        breaker: Option<BreakerConfig>,
        instances: u32,
        streams: NodeStreams,
    ) -> Self {
        NodeFaults {
            health: vec![Health::default(); config.nodes as usize],
            in_service: vec![true; config.nodes as usize],
            placement: config.placement,
            vnodes: config.vnodes,
            timeout: config.timeout,
            service_ns: config.node_ops_per_s.map(|r| 1e9 / r),
            replicas: config.hot_key_replicas,
            breaker,
            breakers: if breaker.is_some() {
                vec![Breaker::default(); (instances * config.nodes) as usize]
            } else {
                Vec::new()
            },
            streams,
            warming: vec![None; config.nodes as usize],
            warming_nodes: 0,
        }
    }

    /// The owner of each key under the placement of the nodes in service (every node if none
    /// is), as a function of the key.
    pub fn owner_of(&self) -> impl Fn(u32) -> u16 + '_ {
        self.owner_with(None)
    }

    /// The owner of each key once `node` is back in service, as a function of the key.
    pub fn owner_on_return(&self, node: u32) -> impl Fn(u32) -> u16 + '_ {
        self.owner_with(Some(node))
    }

    /// The owner of each key under the placement of the nodes in service and `also`.
    fn owner_with(&self, also: Option<u32>) -> impl Fn(u32) -> u16 + '_ {
        let live: Vec<u32> = (0..self.in_service.len() as u32)
            .filter(|&n| self.in_service[n as usize] || also == Some(n))
            .collect();
        let live = if live.is_empty() {
            (0..self.in_service.len() as u32).collect()
        } else {
            live
        };
        let ring = match self.placement {
            Placement::Consistent => Some(HashRing::of_nodes(live.iter().copied(), self.vnodes)),
            Placement::Modulo => None,
        };
        move |key| match &ring {
            Some(r) => r.node_for(key),
            None => {
                let h = splitmix64(key as u64 ^ 0x6B65_7973);
                live[(h % live.len() as u64) as usize] as u16
            }
        }
    }

    /// Whether keys are placed by hash modulo (the cluster starts on a ring and must be
    /// placed again).
    pub fn is_modulo(&self) -> bool {
        self.placement == Placement::Modulo
    }

    /// Whether `node` is dead.
    #[inline]
    pub fn is_dead(&self, node: u32) -> bool {
        self.health[node as usize].dead
    }

    /// `node` dies; a warm-up of it stops, and what it had written is lost.
    pub fn kill(&mut self, node: u32) {
        self.health[node as usize].dead = true;
        self.end_warmup(node);
    }

    /// `node` comes back (empty: its entries were lost when it died). Returns whether it was
    /// out of the placement (so keys must move back). A warm-up of it ends: take what it
    /// wrote with [`NodeFaults::end_warmup`] first.
    pub fn restore(&mut self, node: u32) -> bool {
        self.end_warmup(node);
        let h = &mut self.health[node as usize];
        h.dead = false;
        h.free_at = SimTime::ZERO;
        !std::mem::replace(&mut self.in_service[node as usize], true)
    }

    /// The app notices `node` is dead and takes it out of the placement; false if it is not
    /// dead (restored meanwhile) or already out.
    pub fn take_out(&mut self, node: u32) -> bool {
        if !self.health[node as usize].dead || !self.in_service[node as usize] {
            return false;
        }
        self.in_service[node as usize] = false;
        true
    }

    /// Operations on `node` (or every node) take `factor` times as long until `until`.
    pub fn slow(&mut self, node: Option<u32>, factor: f64, until: SimTime) {
        for (n, h) in self.health.iter_mut().enumerate() {
            if node.is_none_or(|x| x as usize == n) {
                h.slow_factor = factor;
                h.slow_until = until;
            }
        }
    }

    /// `node` (or every node) drops a share `share` of its operations until `until`.
    pub fn drop_share(&mut self, node: Option<u32>, share: f64, until: SimTime) {
        for (n, h) in self.health.iter_mut().enumerate() {
            if node.is_none_or(|x| x as usize == n) {
                h.drop_share = share;
                h.drop_until = until;
            }
        }
    }

    /// The node a read of cache key `ckey` (logical key `key`, owned by `owner`) goes to: the
    /// owner, or for a replicated hot key one of its replicas at random.
    #[inline]
    fn pick(&mut self, key: u32, owner: u32) -> u32 {
        match self.replicas {
            Some(r) if key < r.keys && r.replicas > 1 => {
                let i = self.streams.replicas.random_range(0..r.replicas);
                (owner + i) % self.health.len() as u32
            }
            _ => owner,
        }
    }

    /// A read by app `instance` of logical key `key` owned by `owner`, sent at `now`, whose
    /// round trip takes `latency`: answered or failed, when, and by which node. Changes of a
    /// breaker's state are passed to `changed`.
    pub fn read_op(
        &mut self,
        now: SimTime,
        key: u32,
        owner: u32,
        instance: u32,
        latency: SimDuration,
        changed: impl FnMut(BreakerChange),
    ) -> ReadOp {
        let node = self.pick(key, owner);
        self.call(now, node, instance, latency, changed)
    }

    /// A lock (or lease) request or poll by app `instance` for a key owned by `owner`: as a
    /// read, but always to the owner, where the key's lock lives (never to a replica).
    pub fn lock_op(
        &mut self,
        now: SimTime,
        owner: u32,
        instance: u32,
        latency: SimDuration,
        changed: impl FnMut(BreakerChange),
    ) -> ReadOp {
        self.call(now, owner, instance, latency, changed)
    }

    /// A lock release sent at `now` by app `instance` to `owner` without waiting for its
    /// answer: sent only while the app's breaker for the node is closed (a release never
    /// takes a half-open breaker's probe), applied unless the node is dead or drops it; it
    /// takes its turn there (node capacity). A slow node's timeout does not apply: nobody
    /// waits for the answer.
    pub fn release_op(&mut self, now: SimTime, owner: u32, instance: u32) -> Release {
        if let Some(config) = self.breaker {
            let b = &self.breakers[(instance as usize) * self.health.len() + owner as usize];
            if b.state(&config, now) != BreakerState::Closed {
                return Release::NotSent;
            }
        }
        match self.serve(now, owner, SimDuration::ZERO) {
            Ok((_, wait)) => Release::Applied { wait },
            Err((_, wait)) => Release::Lost { wait },
        }
    }

    /// A call by app `instance` to `node` at `now` whose round trip takes `latency`, through
    /// the app's breaker and timeout.
    fn call(
        &mut self,
        now: SimTime,
        node: u32,
        instance: u32,
        latency: SimDuration,
        mut changed: impl FnMut(BreakerChange),
    ) -> ReadOp {
        if let Some(config) = self.breaker {
            let b = &mut self.breakers[(instance as usize) * self.health.len() + node as usize];
            let before = b.stored_state();
            let (allowed, change) = b.allow(&config, now);
            if let Some(to) = change {
                changed(BreakerChange { from: before, to });
            }
            if !allowed {
                return ReadOp::Failed {
                    at: now,
                    node,
                    why: CacheFailure::BreakerOpen,
                    wait: SimDuration::ZERO,
                };
            }
        }
        // No answer: the app notices at its timeout, or at once (an error reply, a refused
        // connection) without one.
        let no_answer = now + self.timeout.unwrap_or(latency);
        let (at, wait) = match self.serve(now, node, latency) {
            Ok(answer) => answer,
            Err((why, wait)) => {
                return ReadOp::Failed {
                    at: no_answer,
                    node,
                    why,
                    wait,
                }
            }
        };
        if let Some(t) = self.timeout {
            if at.since(now) > t {
                return ReadOp::Failed {
                    at: now + t,
                    node,
                    why: CacheFailure::Timeout,
                    wait,
                };
            }
        }
        ReadOp::Answered { at, node, wait }
    }

    /// `node` serves an operation sent at `now` whose round trip takes `latency`: when its
    /// answer reaches the app and how long it waited for its turn, or why it got no answer
    /// (dead, dropped) and how long it waited.
    #[inline]
    fn serve(
        &mut self,
        now: SimTime,
        node: u32,
        latency: SimDuration,
    ) -> Result<(SimTime, SimDuration), (CacheFailure, SimDuration)> {
        let h = self.health[node as usize];
        if h.dead {
            return Err((CacheFailure::Dead, SimDuration::ZERO));
        }
        let factor = if now < h.slow_until {
            h.slow_factor
        } else {
            1.0
        };
        let scaled = |d: SimDuration| SimDuration((d.0 as f64 * factor) as u64);
        let mut wait = SimDuration::ZERO;
        let mut at = now + scaled(latency);
        if let Some(service) = self.service_ns {
            let h = &mut self.health[node as usize];
            let start = h.free_at.max(now);
            wait = start.since(now);
            h.free_at = start + SimDuration((service * factor) as u64);
            at = h.free_at + scaled(latency);
        }
        if now < h.drop_until
            && h.drop_share > 0.0
            && self.streams.drops.random::<f64>() < h.drop_share
        {
            return Err((CacheFailure::Dropped, wait));
        }
        Ok((at, wait))
    }

    /// Starts warming dead `node` before it takes traffic again, for timeline entry `entry`:
    /// `keys` (cache keys of key version `version`, most popular first) are to be written into
    /// it. The node stays dead to readers meanwhile. A warm-up already running for it is
    /// replaced (what it wrote is kept).
    pub fn begin_warmup(&mut self, node: u32, entry: u32, pace: WarmPace, keys: Vec<u32>) {
        let staged = self.end_warmup(node).unwrap_or_default();
        self.warming[node as usize] = Some(Warming {
            entry,
            version: pace.version,
            keys,
            sent: 0,
            start: pace.start,
            rate: pace.rate,
            pending: 0,
            staged,
        });
        self.warming_nodes += 1;
    }

    /// Ends `node`'s warm-up, if one runs; returns what it wrote into the node.
    pub fn end_warmup(&mut self, node: u32) -> Option<BTreeMap<u32, Staged>> {
        let w = self.warming[node as usize].take()?;
        self.warming_nodes -= 1;
        Some(w.staged)
    }

    /// Whether `node` is being warmed by timeline entry `entry`.
    pub fn warming(&self, node: u32, entry: u32) -> bool {
        self.warming[node as usize]
            .as_ref()
            .is_some_and(|w| w.entry == entry)
    }

    /// The next key `node`'s warm-up (of timeline entry `entry`) sends a query for; `None` if
    /// that warm-up is not running or has sent every key.
    pub fn next_warm_key(&mut self, node: u32, entry: u32, now: SimTime) -> Option<WarmKey> {
        let w = self.warming[node as usize]
            .as_mut()
            .filter(|w| w.entry == entry && w.sent < w.keys.len())?;
        let ckey = w.keys[w.sent];
        w.sent += 1;
        w.pending += 1;
        // Key n is sent n / rate after the warm-up starts (no drift from rounding).
        let next = (w.sent < w.keys.len())
            .then(|| (w.start + SimDuration::from_secs_f64(w.sent as f64 / w.rate)).max(now));
        Some(WarmKey {
            ckey,
            version: w.version,
            next,
        })
    }

    /// A warm-up query of `node` (timeline entry `entry`) for `ckey` was answered with
    /// `value` to write into the node, or failed (`None`).
    pub fn warm_answered(
        &mut self,
        node: u32,
        entry: u32,
        ckey: u32,
        value: Option<Staged>,
    ) -> WarmProgress {
        let Some(w) = self.warming[node as usize]
            .as_mut()
            .filter(|w| w.entry == entry)
        else {
            return WarmProgress::NotWarming;
        };
        if let Some(v) = value {
            w.staged.insert(ckey, v);
        }
        w.pending = w.pending.saturating_sub(1);
        if w.sent == w.keys.len() && w.pending == 0 {
            WarmProgress::Done
        } else {
            WarmProgress::Running
        }
    }

    /// Whether a warm-up with nothing to warm (or done) may end at once.
    pub fn warm_done(&self, node: u32, entry: u32) -> bool {
        self.warming[node as usize]
            .as_ref()
            .is_some_and(|w| w.entry == entry && w.sent == w.keys.len() && w.pending == 0)
    }

    /// A set of `ckey` at `version` (`None`: a delete) reached the cache: a value written into
    /// a warming node that is older (or deleted) is dropped, as the app sends its deletes and
    /// sets to the warming node too, so a warm-up never brings back an outdated value.
    #[inline]
    pub fn forget_warmed(&mut self, ckey: u32, version: Option<u32>) {
        if self.warming_nodes == 0 {
            return;
        }
        for w in self.warming.iter_mut().flatten() {
            if let Some(s) = w.staged.get(&ckey) {
                if version.is_none_or(|v| s.version < v) {
                    w.staged.remove(&ckey);
                }
            }
        }
    }

    /// Drops the values written into warming nodes: `node`'s, or every node's, within the
    /// cache keys `range` (a flush, or a key range handed to a new version).
    pub fn forget_warmed_on(&mut self, node: Option<u32>, range: Range<u32>) {
        if self.warming_nodes == 0 {
            return;
        }
        for (n, w) in self.warming.iter_mut().enumerate() {
            if let Some(w) = w.as_mut().filter(|_| node.is_none_or(|x| x as usize == n)) {
                w.staged.retain(|ckey, _| !range.contains(ckey));
            }
        }
    }

    /// The outcome of a call app `instance` made to `node` is known at `now` (`ok`: answered);
    /// returns the breaker's change of state, if any.
    pub fn record(
        &mut self,
        instance: u32,
        node: u32,
        now: SimTime,
        ok: bool,
    ) -> Option<BreakerChange> {
        let config = self.breaker?;
        let b = &mut self.breakers[(instance as usize) * self.health.len() + node as usize];
        let from = b.stored_state();
        b.record(&config, now, ok)
            .map(|to| BreakerChange { from, to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RandomStreams;
    use crate::model::config::{Distribution, Failover};

    fn config(placement: Placement) -> CacheConfig {
        CacheConfig {
            nodes: 4,
            vnodes: 160,
            capacity: None,
            latency: Distribution::Constant(SimDuration::from_millis(1)),
            ttl: SimDuration::from_secs(10),
            ttl_jitter: 0.0,
            placement,
            timeout: Some(SimDuration::from_millis(10)),
            failover: Failover::None,
            node_ops_per_s: None,
            hot_key_replicas: None,
        }
    }

    fn streams() -> NodeStreams {
        let s = RandomStreams::new(3);
        NodeStreams {
            replicas: s.stream(20),
            drops: s.stream(21),
        }
    }

    fn moved_share(placement: Placement) -> f64 {
        let mut f = NodeFaults::new(&config(placement), None, 1, streams());
        let keys = 100_000;
        let before: Vec<u16> = {
            let owner = f.owner_of();
            (0..keys).map(&owner).collect()
        };
        f.kill(2);
        assert!(f.take_out(2));
        let owner = f.owner_of();
        let moved = (0..keys)
            .filter(|&k| owner(k) != before[k as usize])
            .count();
        assert!(
            (0..keys).all(|k| owner(k) != 2),
            "nothing stays on the dead node"
        );
        moved as f64 / keys as f64
    }

    #[test]
    fn losing_one_of_four_nodes_moves_a_quarter_of_keys_on_a_ring_and_three_quarters_by_modulo() {
        let ring = moved_share(Placement::Consistent);
        let modulo = moved_share(Placement::Modulo);
        assert!((ring - 0.25).abs() < 0.05, "consistent: {ring}");
        assert!((modulo - 0.75).abs() < 0.01, "modulo: {modulo}");
    }

    #[test]
    fn dead_slow_and_timed_out_reads() {
        let mut f = NodeFaults::new(&config(Placement::Consistent), None, 1, streams());
        let lat = SimDuration::from_millis(1);
        let t0 = SimTime::ZERO;
        assert!(matches!(
            f.read_op(t0, 7, 1, 0, lat, |_| {}),
            ReadOp::Answered { node: 1, .. }
        ));
        f.kill(1);
        assert_eq!(
            f.read_op(t0, 7, 1, 0, lat, |_| {}),
            ReadOp::Failed {
                at: SimTime(10_000_000),
                node: 1,
                why: CacheFailure::Dead,
                wait: SimDuration::ZERO
            },
            "a dead node is noticed at the timeout"
        );
        f.slow(Some(0), 20.0, SimTime(1_000_000_000));
        assert!(matches!(
            f.read_op(t0, 7, 0, 0, lat, |_| {}),
            ReadOp::Failed {
                why: CacheFailure::Timeout,
                ..
            }
        ));
        assert!(
            matches!(
                f.read_op(SimTime(1_000_000_000), 7, 0, 0, lat, |_| {}),
                ReadOp::Answered { .. }
            ),
            "the slowdown is over"
        );
        assert!(!f.restore(1), "never taken out");
    }

    #[test]
    fn a_node_serves_one_operation_at_a_time() {
        let mut c = config(Placement::Consistent);
        c.node_ops_per_s = Some(1000.0);
        c.timeout = None;
        let mut f = NodeFaults::new(&c, None, 1, streams());
        let lat = SimDuration::from_millis(1);
        let waits: Vec<u64> = (0..3)
            .map(|_| match f.read_op(SimTime::ZERO, 5, 0, 0, lat, |_| {}) {
                ReadOp::Answered { wait, .. } => wait.0 / 1_000_000,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(waits, vec![0, 1, 2], "1 ms each, in arrival order");
        // Another node is idle.
        assert!(matches!(
            f.read_op(SimTime::ZERO, 5, 1, 0, lat, |_| {}),
            ReadOp::Answered {
                wait: SimDuration::ZERO,
                ..
            }
        ));
    }

    #[test]
    fn replicas_spread_a_hot_key_over_its_nodes() {
        let mut c = config(Placement::Consistent);
        c.hot_key_replicas = Some(HotKeyReplicas {
            keys: 1,
            replicas: 3,
        });
        let mut f = NodeFaults::new(&c, None, 1, streams());
        let mut per_node = [0u32; 4];
        for _ in 0..3000 {
            if let ReadOp::Answered { node, .. } =
                f.read_op(SimTime::ZERO, 0, 3, 0, SimDuration::ZERO, |_| {})
            {
                per_node[node as usize] += 1;
            }
        }
        assert_eq!(
            per_node[2], 0,
            "node 2 is not a replica of a key owned by 3"
        );
        for n in [3, 0, 1] {
            assert!((800..1200).contains(&per_node[n]), "{per_node:?}");
        }
    }

    #[test]
    fn an_open_breaker_fails_calls_at_once() {
        let breaker = BreakerConfig {
            failures: 2,
            window: SimDuration::from_secs(1),
            cool_down: SimDuration::from_secs(5),
            probes: 1,
        };
        let mut f = NodeFaults::new(&config(Placement::Consistent), Some(breaker), 2, streams());
        let now = SimTime::ZERO;
        assert_eq!(f.record(1, 0, now, false), None);
        assert_eq!(
            f.record(1, 0, now, false),
            Some(BreakerChange {
                from: BreakerState::Closed,
                to: BreakerState::Open
            })
        );
        let lat = SimDuration::from_millis(1);
        assert!(matches!(
            f.read_op(now, 9, 0, 1, lat, |_| {}),
            ReadOp::Failed {
                why: CacheFailure::BreakerOpen,
                at: SimTime::ZERO,
                ..
            }
        ));
        // Instance 0's breaker for the node is its own.
        assert!(matches!(
            f.read_op(now, 9, 0, 0, lat, |_| {}),
            ReadOp::Answered { .. }
        ));
        let mut changes = Vec::new();
        f.read_op(SimTime(5_000_000_000), 9, 0, 1, lat, |c| changes.push(c));
        assert_eq!(changes[0].to, BreakerState::HalfOpen);
    }

    #[test]
    fn lock_operations_go_to_the_owner_even_for_a_replicated_key() {
        let mut c = config(Placement::Consistent);
        c.hot_key_replicas = Some(HotKeyReplicas {
            keys: 1,
            replicas: 4,
        });
        let mut f = NodeFaults::new(&c, None, 1, streams());
        let lat = SimDuration::from_millis(1);
        for _ in 0..50 {
            assert!(matches!(
                f.lock_op(SimTime::ZERO, 2, 0, lat, |_| {}),
                ReadOp::Answered { node: 2, .. }
            ));
        }
        assert_eq!(f.streams.replicas, streams().replicas, "no replica drawn");
        f.kill(2);
        assert!(matches!(
            f.lock_op(SimTime::ZERO, 2, 0, lat, |_| {}),
            ReadOp::Failed {
                why: CacheFailure::Dead,
                ..
            }
        ));
        assert_eq!(
            f.release_op(SimTime::ZERO, 2, 0),
            Release::Lost {
                wait: SimDuration::ZERO
            },
            "a dead node loses the release"
        );
        // A slow node applies a release (nobody waits for its answer), past the timeout.
        f.slow(Some(1), 100.0, SimTime(1_000_000_000));
        assert!(matches!(
            f.release_op(SimTime::ZERO, 1, 0),
            Release::Applied { .. }
        ));
    }

    #[test]
    fn a_warm_up_sends_its_keys_once_and_is_done_when_every_answer_is_in() {
        let mut f = NodeFaults::new(&config(Placement::Consistent), None, 1, streams());
        f.kill(3);
        // Two keys a second from 10 s: the second is due at 10.5 s.
        let pace = |version| WarmPace {
            version,
            start: SimTime(10_000_000_000),
            rate: 2.0,
        };
        f.begin_warmup(3, 7, pace(0), vec![10, 11]);
        assert!(f.warming(3, 7) && !f.warming(3, 6) && !f.warming(2, 7));
        let now = SimTime(10_000_000_000);
        let first = f.next_warm_key(3, 7, now).unwrap();
        assert_eq!(
            (first.ckey, first.next),
            (10, Some(SimTime(10_500_000_000)))
        );
        assert_eq!(
            f.next_warm_key(3, 6, now),
            None,
            "another entry's tick is ignored"
        );
        // A late tick sends at once but does not drift the pace.
        let last = f.next_warm_key(3, 7, SimTime(12_000_000_000)).unwrap();
        assert_eq!((last.ckey, last.version, last.next), (11, 0, None));
        assert_eq!(f.next_warm_key(3, 7, now), None);
        let v = Staged {
            expires: SimTime(5),
            delta: SimDuration::ZERO,
            version: 1,
        };
        assert_eq!(f.warm_answered(3, 7, 10, Some(v)), WarmProgress::Running);
        // A newer set of key 10 elsewhere makes the warmed copy outdated: dropped.
        f.forget_warmed(10, Some(2));
        assert_eq!(f.warm_answered(3, 7, 11, Some(v)), WarmProgress::Done);
        f.forget_warmed(11, Some(1));
        let staged = f.end_warmup(3).unwrap();
        assert_eq!(staged.keys().copied().collect::<Vec<_>>(), vec![11]);
        assert_eq!(f.warm_answered(3, 7, 11, None), WarmProgress::NotWarming);
        // A node that dies again while warming loses what was written.
        f.begin_warmup(3, 8, pace(4), vec![12]);
        assert_eq!(f.next_warm_key(3, 8, now).map(|k| k.version), Some(4));
        f.warm_answered(3, 8, 12, Some(v));
        f.kill(3);
        assert!(!f.warming(3, 8) && f.end_warmup(3).is_none());
        assert_eq!(f.warming_nodes, 0);
    }
}
