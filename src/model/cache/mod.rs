//! The cache tier: a cluster of nodes holding entries (placement, capacity, expiry), the time
//! an operation takes, the locks and leases on rebuilding a key, and the entry-level stages
//! that decide what an answer means (early expiration, refresh-ahead, stale-while-revalidate).
//!
//! A tier is built from its own [`CacheConfig`] and random streams, so a second tier (local
//! caches per app instance) is another value of the same type in front of this one. The tier
//! answers questions and changes its own state; who waits for the answer is the event loop's
//! business.

mod cluster;
pub mod local;
pub mod nodes;

pub use cluster::{CacheCluster, Columns, HashRing};
pub use local::{Delivery, LocalCaches, LocalEvent, LocalStreams};
pub use nodes::{
    BreakerChange, NodeEvent, NodeFaults, NodeStreams, ReadOp, Release, WarmKey, WarmPace,
    WarmProgress,
};

/// What one of the nodes' own events asks of the other parts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NodeStep {
    /// Nothing.
    Nothing,
    /// A dead node was taken out of the placement: this many keys moved to other nodes.
    Remapped(u32),
    /// A warming node's next key is to be queried; the warm-up ticks again at its `next`.
    Warm(WarmKey),
    /// The node's warm-up is over: it is to take traffic now.
    Restore(u32),
}

use std::ops::Range;

use rand::Rng;

use super::config::{CacheConfig, LockConfig, LockKind, MitigationsConfig};
use super::distribution::Sampler;
use super::mitigation::jitter;
use super::mitigation::lock::LockTable;
use super::mitigation::lookup::{Decision, Lookup, ReadStages};
use super::request::KeyRef;
use crate::engine::rng::open_unit;
use crate::engine::{SimDuration, SimTime, Stream};

/// What the cache tier answers, after its operation latency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheEvent {
    /// The answer to the read of key `k`.
    Reply(KeyRef),
    /// The answer to the lock (or lease) request made after a miss of key `k`.
    LockReply(KeyRef),
    /// The answer to the poll of a reader waiting for another's lock.
    PollReply(KeyRef),
    /// With node faults, a reader waiting for another's lock sends its poll of key `k` now
    /// (its fate at the node is decided when it is sent).
    Poll(KeyRef),
    /// With node faults, the lock (or lease) request or poll of key `k` failed (a dead,
    /// dropping or slow node, or an open breaker): the app learns it now.
    LockFailed(KeyRef),
    /// The read of key `k` failed (a dead, dropping or slow node, or an open breaker): the app
    /// learns it now.
    Failed(KeyRef),
    /// The gutter pool's answer to the read of key `k`.
    GutterReply(KeyRef),
}

/// The random streams a tier draws from, one per purpose.
#[derive(Clone, Debug)]
pub struct TierStreams {
    /// Latency of reads.
    pub latency: Stream,
    /// Latency of lock requests and polls.
    pub lock_latency: Stream,
    /// TTL jitter of writes.
    pub ttl_jitter: Stream,
    /// Early-expiration draws of fresh hits.
    pub early_expiration: Stream,
}

/// One cache tier.
#[derive(Clone, Debug)]
pub struct CacheTier {
    cluster: CacheCluster,
    latency: Sampler,
    streams: TierStreams,
    ttl: SimDuration,
    ttl_jitter: f64,
    stages: ReadStages,
    lock: Option<LockConfig>,
    /// Rebuild locks (or leases) of the cache keys.
    locks: LockTable,
    /// The next holder of this logical key's lock is to die (fault injection).
    doomed_holder: Option<u32>,
    /// Sets only replace older versions, and deletes leave the version they delete for.
    versioned_sets: bool,
    /// Node deaths, slowdowns, capacity, timeouts, placement changes and breakers (only when
    /// the scenario has any).
    faults: Option<NodeFaults>,
    /// The gutter pool and the TTL of its entries.
    gutter: Option<(CacheCluster, SimDuration)>,
}

impl CacheTier {
    /// An empty tier of `keys` cache keys configured by `config`, with the stages and lock of
    /// `mitigations`.
    pub fn new(
        config: &CacheConfig,
        mitigations: &MitigationsConfig,
        keys: u32,
        streams: TierStreams,
    ) -> Self {
        let placement = CacheCluster::placement(keys, config.nodes, config.vnodes);
        Self::with_placement(config, mitigations, streams, std::sync::Arc::new(placement))
    }

    /// [`CacheTier::new`] over the cache keys of `placement` (the node of each, from
    /// [`CacheCluster::placement`] with this configuration's nodes and ring points; shared).
    pub fn with_placement(
        config: &CacheConfig,
        mitigations: &MitigationsConfig,
        streams: TierStreams,
        placement: std::sync::Arc<Vec<u16>>,
    ) -> Self {
        let keys = placement.len() as u32;
        CacheTier {
            cluster: CacheCluster::with_placement(placement, config.nodes, config.capacity),
            latency: Sampler::new(&config.latency),
            streams,
            ttl: config.ttl,
            ttl_jitter: config.ttl_jitter,
            stages: ReadStages::new(mitigations, Some(config)),
            lock: mitigations.lock,
            locks: LockTable::new(keys, mitigations.lock.is_some()),
            doomed_holder: None,
            versioned_sets: mitigations.versioned_sets,
            faults: None,
            gutter: None,
        }
    }

    /// The same tier with nodes that fail, slow down or saturate as `faults` says, and a
    /// gutter pool (`gutter`: its node count, capacity per node and entry TTL).
    pub fn with_faults(
        mut self,
        faults: NodeFaults,
        vnodes: u32,
        gutter: Option<(u32, Option<u32>, SimDuration)>,
    ) -> Self {
        if faults.is_modulo() {
            self.cluster.place(faults.owner_of());
        }
        let keys = self.cluster.keys();
        self.gutter = gutter
            .map(|(nodes, capacity, ttl)| (CacheCluster::new(keys, nodes, vnodes, capacity), ttl));
        self.faults = Some(faults);
        self
    }

    /// Bytes the tier's per-key structures hold now (their capacities): the cluster's
    /// columns, the locks and the gutter pool's columns.
    pub fn bytes(&self) -> u64 {
        let gutter = self.gutter.as_ref().map_or(0, |(g, _)| g.bytes());
        (self.cluster.bytes() + gutter) as u64 + self.locks.bytes()
    }

    /// Whether reads go through node faults (else a read is only a latency draw).
    #[inline]
    pub fn has_faults(&self) -> bool {
        self.faults.is_some()
    }

    /// The node faults; only called on paths that exist with them.
    #[inline]
    fn faults_mut(&mut self) -> &mut NodeFaults {
        self.faults
            .as_mut()
            .expect("node-fault paths only run with node faults")
    }

    /// A read of cache key `ckey` (logical key `key`) by app `instance` at `now`: answered or
    /// failed, when and by which node; breaker changes go to `changed`.
    pub fn read_op(
        &mut self,
        now: SimTime,
        ckey: u32,
        key: u32,
        instance: u32,
        changed: impl FnMut(BreakerChange),
    ) -> ReadOp {
        let latency = self.read_latency();
        let owner = self.cluster.node_of(ckey);
        self.faults_mut()
            .read_op(now, key, owner, instance, latency, changed)
    }

    /// A lock (or lease) request or poll of cache key `ckey` by app `instance` at `now`, sent
    /// to the node that owns it: answered or failed, when and by which node (taking a lock
    /// latency draw); breaker changes go to `changed`.
    pub fn lock_op(
        &mut self,
        now: SimTime,
        ckey: u32,
        instance: u32,
        changed: impl FnMut(BreakerChange),
    ) -> ReadOp {
        let latency = self.lock_latency();
        let owner = self.cluster.node_of(ckey);
        self.faults_mut()
            .lock_op(now, owner, instance, latency, changed)
    }

    /// App `instance` releases the lock `token` holds on `ckey` at `now` through the node
    /// that owns it, without waiting for the answer: a dead or dropping node (or an open
    /// breaker) loses the release and the lock stays held until its TTL. Returns the node
    /// and the wait for its turn there when the release reached it (`None`: nothing was
    /// sent: a lease, no token, or the app's breaker for the node not closed).
    pub fn release_lock_via_node(
        &mut self,
        now: SimTime,
        ckey: u32,
        token: u32,
        instance: u32,
    ) -> Option<(u32, SimDuration)> {
        if token == 0 || !self.lock.is_some_and(|l| l.release_on_fill) {
            return None;
        }
        let owner = self.cluster.node_of(ckey);
        match self.faults_mut().release_op(now, owner, instance) {
            Release::NotSent => None,
            Release::Lost { wait } => Some((owner, wait)),
            Release::Applied { wait } => {
                self.locks.release(ckey, token);
                Some((owner, wait))
            }
        }
    }

    /// The outcome of a read app `instance` sent to `node` is known at `now`.
    pub fn record_outcome(
        &mut self,
        instance: u32,
        node: u32,
        now: SimTime,
        ok: bool,
    ) -> Option<BreakerChange> {
        self.faults_mut().record(instance, node, now, ok)
    }

    /// Whether a set of `ckey` reaches a live node (a set to a dead node is lost).
    #[inline]
    pub fn accepts(&self, ckey: u32) -> bool {
        self.faults
            .as_ref()
            .is_none_or(|f| !f.is_dead(self.cluster.node_of(ckey)))
    }

    /// `node` dies and loses its entries, and the locks of the keys it owns.
    pub fn kill_node(&mut self, node: u32) {
        self.faults_mut().kill(node);
        self.cluster.flush_node(node);
        if self.lock.is_some() {
            for ckey in 0..self.cluster.keys() {
                if self.cluster.node_of(ckey) == node {
                    self.locks.revoke(ckey);
                }
            }
        }
    }

    /// `node` comes back, empty unless it was being warmed: then what the warm-up wrote into
    /// it becomes its entries. Returns how many keys moved back to it (when the app had taken
    /// it out of the placement), and the cache keys written and the entries each evicted.
    pub fn restore_node(&mut self, node: u32) -> (u32, Vec<(u32, u32)>) {
        let faults = self.faults.as_mut().expect("node events build node faults");
        let staged = faults.end_warmup(node);
        let moved = if faults.restore(node) {
            let locks = &mut self.locks;
            let has_lock = self.lock.is_some();
            // A key's lock lives on its node: a key that moves leaves its lock behind.
            self.cluster.place_with(faults.owner_of(), |ckey| {
                if has_lock {
                    locks.revoke(ckey);
                }
            })
        } else {
            0
        };
        let mut written = Vec::new();
        for (ckey, v) in staged.into_iter().flatten() {
            // A key the node no longer owns (the placement changed meanwhile) is left out.
            if self.cluster.node_of(ckey) == node {
                let delta = self.kept_delta(v.delta);
                let evicted = self.cluster.set(ckey, v.expires, delta, v.version);
                written.push((ckey, evicted));
            }
        }
        (moved, written)
    }

    /// The app takes dead `node` out of the placement; returns how many keys moved (`None`
    /// if it was restored meanwhile).
    pub fn take_out_node(&mut self, node: u32) -> Option<u32> {
        let faults = self.faults.as_mut().expect("node events build node faults");
        if faults.take_out(node) {
            let locks = &mut self.locks;
            let has_lock = self.lock.is_some();
            Some(self.cluster.place_with(faults.owner_of(), |ckey| {
                if has_lock {
                    locks.revoke(ckey);
                }
            }))
        } else {
            None
        }
    }

    /// The cache keys among `ckeys` (in the order given) that dead `node` will own once back,
    /// at most `top` of them.
    pub fn keys_owned_on_return(
        &self,
        node: u32,
        ckeys: impl Iterator<Item = u32>,
        top: u32,
    ) -> Vec<u32> {
        let faults = self.faults.as_ref().expect("node events build node faults");
        let owner = faults.owner_on_return(node);
        ckeys
            .filter(|&ckey| owner(ckey) as u32 == node)
            .take(top as usize)
            .collect()
    }

    /// Whether `node` is dead (and so can be warmed before it takes traffic).
    pub fn is_dead(&self, node: u32) -> bool {
        self.faults.as_ref().is_some_and(|f| f.is_dead(node))
    }

    /// Starts warming dead `node` for timeline entry `entry` at `pace`: `ckeys` (of the pace's
    /// key version) are to be written into it before it takes traffic.
    pub fn begin_warmup(&mut self, node: u32, entry: u32, pace: WarmPace, ckeys: Vec<u32>) {
        self.faults_mut().begin_warmup(node, entry, pace, ckeys);
    }

    /// Handles one of the nodes' own events at `now`: what the others are to do.
    pub fn on_node(&mut self, now: SimTime, event: NodeEvent) -> NodeStep {
        match event {
            NodeEvent::TakeOut { node } => match self.take_out_node(node) {
                Some(moved) => NodeStep::Remapped(moved),
                None => NodeStep::Nothing,
            },
            NodeEvent::WarmupTick { node, entry } => {
                match self.faults_mut().next_warm_key(node, entry, now) {
                    Some(key) => NodeStep::Warm(key),
                    // Nothing to warm (the node owns no key), or the warm-up was stopped.
                    None if self.warm_done(node, entry) => NodeStep::Restore(node),
                    None => NodeStep::Nothing,
                }
            }
            NodeEvent::WarmupEnd { node, entry } if self.warming(node, entry) => {
                NodeStep::Restore(node)
            }
            NodeEvent::WarmupEnd { .. } => NodeStep::Nothing,
        }
    }

    /// Whether `node` is being warmed by timeline entry `entry`.
    pub fn warming(&self, node: u32, entry: u32) -> bool {
        self.faults.as_ref().is_some_and(|f| f.warming(node, entry))
    }

    /// Whether `node`'s warm-up by timeline entry `entry` has sent every key and had every
    /// answer.
    pub fn warm_done(&self, node: u32, entry: u32) -> bool {
        self.faults
            .as_ref()
            .is_some_and(|f| f.warm_done(node, entry))
    }

    /// A warm-up query of `node` (timeline entry `entry`) for `ckey` was answered at `now`
    /// with `version` (computed in `delta`), or failed (`None`): the value is written into the
    /// warming node with the tier's TTL and jitter.
    pub fn warm_answered(
        &mut self,
        node: u32,
        entry: u32,
        now: SimTime,
        ckey: u32,
        delta: SimDuration,
        version: Option<u32>,
    ) -> WarmProgress {
        if !self.warming(node, entry) {
            return WarmProgress::NotWarming;
        }
        let value = version.map(|version| nodes::Staged {
            expires: self.expiry(now, self.ttl),
            delta,
            version,
        });
        self.faults_mut().warm_answered(node, entry, ckey, value)
    }

    /// Operations on `node` (or all) take `factor` times as long until `until`.
    pub fn slow_node(&mut self, node: Option<u32>, factor: f64, until: SimTime) {
        self.faults_mut().slow(node, factor, until);
    }

    /// `node` (or all) drops a share of operations until `until`.
    pub fn drop_on_node(&mut self, node: Option<u32>, share: f64, until: SimTime) {
        self.faults_mut().drop_share(node, share, until);
    }

    /// Whether the tier has a gutter pool.
    #[inline]
    pub fn has_gutter(&self) -> bool {
        self.gutter.is_some()
    }

    /// Reads `ckey` from the gutter pool at `now`: the version of a fresh value, if any.
    pub fn gutter_read(&mut self, ckey: u32, now: SimTime) -> Option<u32> {
        let (g, _) = self.gutter.as_mut()?;
        match g.get(ckey, now) {
            Lookup::Hit { .. } => Some(g.version(ckey)),
            _ => None,
        }
    }

    /// Writes `ckey`'s value at `version` into the gutter pool at `now`, for the gutter's TTL.
    pub fn gutter_write(&mut self, ckey: u32, version: u32, now: SimTime) -> u32 {
        match self.gutter.as_mut() {
            Some((g, ttl)) => g.set(ckey, now + *ttl, SimDuration::ZERO, version),
            None => 0,
        }
    }

    /// Cache keys in the tier.
    #[inline]
    pub fn keys(&self) -> u32 {
        self.cluster.keys()
    }

    /// Whether every read takes the same time (no draw).
    #[inline]
    pub fn read_latency_is_constant(&self) -> bool {
        matches!(self.latency, Sampler::Constant(_))
    }

    /// Time the next read takes.
    #[inline]
    pub fn read_latency(&mut self) -> SimDuration {
        self.latency.sample(&mut self.streams.latency)
    }

    /// Time the next lock request or poll takes (same distribution as reads, own stream).
    #[inline]
    pub fn lock_latency(&mut self) -> SimDuration {
        self.latency.sample(&mut self.streams.lock_latency)
    }

    /// Reads `ckey` at `now` and decides what the answer means.
    #[inline]
    pub fn read(&mut self, ckey: u32, now: SimTime) -> Decision {
        let lookup = self.cluster.get(ckey, now);
        let rng = &mut self.streams.early_expiration;
        self.stages.decide(lookup, now, || open_unit(rng))
    }

    /// Reads `ckey` at `now` (a hit refreshes its LRU position): whether it is fresh.
    #[inline]
    pub fn has_fresh(&mut self, ckey: u32, now: SimTime) -> bool {
        matches!(self.cluster.get(ckey, now), Lookup::Hit { .. })
    }

    /// Whether `ckey` holds an expired value at `now` (without touching LRU order).
    #[inline]
    pub fn holds_stale(&self, ckey: u32, now: SimTime) -> bool {
        self.cluster.holds_stale(ckey, now)
    }

    /// Whether `ckey` holds a value, fresh or expired (without touching LRU order).
    #[inline]
    pub fn holds_any(&self, ckey: u32) -> bool {
        self.cluster.holds_any(ckey)
    }

    /// The version of the value `ckey` holds (0 without writes).
    #[inline]
    pub fn version_of(&self, ckey: u32) -> u32 {
        self.cluster.version(ckey)
    }

    /// Writes `ckey`'s value at `version` at `now`, for `ttl` (the tier's TTL if `None`) plus
    /// jitter, with compute time `delta`; returns how many entries LRU evicted, or `None` if
    /// the set was refused (versioned sets: the cache knows a newer version).
    #[inline]
    pub fn write(
        &mut self,
        now: SimTime,
        ckey: u32,
        ttl: Option<SimDuration>,
        delta: SimDuration,
        version: u32,
    ) -> Option<u32> {
        if self.versioned_sets && version < self.cluster.version(ckey) {
            return None;
        }
        if let Some(f) = self.faults.as_mut() {
            f.forget_warmed(ckey, Some(version));
        }
        let expires = self.expiry(now, ttl.unwrap_or(self.ttl));
        let delta = self.kept_delta(delta);
        Some(self.cluster.set(ckey, expires, delta, version))
    }

    /// A value's compute time as the cache keeps it: only early expiration reads it, so
    /// without it none is kept (and the cluster makes no column for it).
    #[inline]
    fn kept_delta(&self, delta: SimDuration) -> SimDuration {
        if self.stages.reads_delta() {
            delta
        } else {
            SimDuration::ZERO
        }
    }

    /// When a value written at `now` for `ttl` expires, with the tier's jitter.
    #[inline]
    fn expiry(&mut self, now: SimTime, ttl: SimDuration) -> SimTime {
        // Drawn only with jitter, so switching it on never shifts another stream.
        let u = if self.ttl_jitter == 0.0 {
            0.0
        } else {
            self.streams.ttl_jitter.random::<f64>() * 2.0 - 1.0
        };
        jitter::expiry(now, ttl, self.ttl_jitter, u)
    }

    /// Deletes `ckey` for a write that committed `version`: with versioned sets the cache
    /// remembers the version, so an older value cannot be set again; a lease on the key is
    /// revoked, so its holder's set is refused (as memcache leases do).
    pub fn invalidate(&mut self, ckey: u32, version: u32) {
        let remembered = if self.versioned_sets { version } else { 0 };
        self.cluster.invalidate(ckey, remembered);
        if let Some(f) = self.faults.as_mut() {
            f.forget_warmed(ckey, None);
        }
        if self.lock.is_some_and(|l| l.kind == LockKind::Lease) {
            self.locks.revoke(ckey);
        }
    }

    /// Whether the lease `token` on `ckey` was revoked (or taken over) since it was given, so
    /// its holder may not set the value. Always false for locks and for no token.
    #[inline]
    pub fn lease_revoked(&self, ckey: u32, token: u32) -> bool {
        token != 0
            && self.lock.is_some_and(|l| l.kind == LockKind::Lease)
            && !self.locks.holds(ckey, token)
    }

    /// The node that owns `ckey`.
    #[inline]
    pub fn node_of(&self, ckey: u32) -> u32 {
        self.cluster.node_of(ckey)
    }

    /// Removes every entry (`node: None`) or those of one node.
    pub fn flush(&mut self, node: Option<u32>) {
        match node {
            Some(n) => self.cluster.flush_node(n),
            None => self.cluster.flush_all(),
        }
        let keys = self.cluster.keys();
        if let Some(f) = self.faults.as_mut() {
            f.forget_warmed_on(node, 0..keys);
        }
    }

    /// Forgets everything about the cache keys in `range`: entries and locks (a key range
    /// handed over to a new key version).
    pub fn clear_range(&mut self, range: Range<u32>) {
        self.cluster.flush_keys(range.clone());
        if let Some(f) = self.faults.as_mut() {
            f.forget_warmed_on(None, range.clone());
        }
        self.locks.clear(range);
    }

    /// The lock or lease on rebuilding, if the strategy has one.
    #[inline]
    pub fn lock(&self) -> Option<&LockConfig> {
        self.lock.as_ref()
    }

    /// Whether `ckey`'s lock is held at `now` (one whose TTL has passed is free).
    #[inline]
    pub fn lock_is_held(&self, ckey: u32, now: SimTime) -> bool {
        self.locks.is_held(ckey, now)
    }

    /// Takes `ckey`'s lock at `now` for the configured TTL; returns the holder's token.
    #[inline]
    pub fn acquire_lock(&mut self, ckey: u32, now: SimTime) -> u32 {
        let ttl = self.lock.as_ref().and_then(|l| l.ttl);
        self.locks.acquire(ckey, now, ttl)
    }

    /// The holder of `token` filled `ckey`: releases its lock if it still holds it and the
    /// protocol releases on fill (a lock does; a lease lives out its period).
    #[inline]
    pub fn release_lock(&mut self, ckey: u32, token: u32) {
        if token != 0 && self.lock.is_some_and(|l| l.release_on_fill) {
            self.locks.release(ckey, token);
        }
    }

    /// The next holder of logical key `key`'s lock will die holding it.
    pub fn doom_next_lock_holder(&mut self, key: u32) {
        self.doomed_holder = Some(key);
    }

    /// Whether a reader taking logical key `key`'s lock now is the one doomed to die; if so,
    /// the doom is spent.
    #[inline]
    pub fn holder_dies(&mut self, key: u32) -> bool {
        if self.doomed_holder == Some(key) {
            self.doomed_holder = None;
            true
        } else {
            false
        }
    }

    /// Whether logical key `key`'s next lock holder is doomed (without spending it).
    #[inline]
    pub fn holder_doomed(&self, key: u32) -> bool {
        self.doomed_holder == Some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RandomStreams;
    use crate::model::config::{Distribution, Fallback, LockKind};

    fn config(ttl_jitter: f64) -> CacheConfig {
        CacheConfig {
            nodes: 2,
            vnodes: 16,
            capacity: None,
            latency: Distribution::Constant(SimDuration::from_millis(1)),
            ttl: SimDuration::from_secs(10),
            ttl_jitter,
            placement: crate::model::config::Placement::Consistent,
            timeout: None,
            failover: crate::model::config::Failover::None,
            node_ops_per_s: None,
            hot_key_replicas: None,
        }
    }

    fn streams() -> TierStreams {
        let s = RandomStreams::new(7);
        TierStreams {
            latency: s.stream(3),
            lock_latency: s.stream(7),
            ttl_jitter: s.stream(5),
            early_expiration: s.stream(6),
        }
    }

    fn lock() -> LockConfig {
        LockConfig {
            kind: LockKind::Lock,
            ttl: Some(SimDuration::from_secs(2)),
            retry_interval: SimDuration::from_millis(20),
            max_retries: 3,
            fallback: Fallback::Stale,
            stale_while_waiting: false,
            release_on_fill: true,
        }
    }

    fn at(s: u64) -> SimTime {
        SimTime(s * 1_000_000_000)
    }

    #[test]
    fn a_written_key_is_served_until_its_ttl_then_held_stale() {
        let mut tier = CacheTier::new(&config(0.0), &MitigationsConfig::default(), 8, streams());
        assert_eq!(tier.read(3, at(0)), Decision::Miss);
        tier.write(at(0), 3, None, SimDuration::ZERO, 0);
        assert_eq!(tier.read(3, at(9)), Decision::Serve { refresh: false });
        assert!(!tier.holds_stale(3, at(9)));
        assert_eq!(tier.read(3, at(10)), Decision::Miss);
        assert!(tier.holds_stale(3, at(10)));
        assert!(tier.holds_any(3) && !tier.holds_any(4));
        tier.write(
            at(0),
            4,
            Some(SimDuration::from_secs(1)),
            SimDuration::ZERO,
            0,
        );
        assert!(!tier.has_fresh(4, at(1)));
    }

    #[test]
    fn jitter_spreads_expiry_within_its_band_and_draws_only_when_on() {
        let mut tier = CacheTier::new(&config(0.5), &MitigationsConfig::default(), 64, streams());
        for k in 0..64 {
            tier.write(at(0), k, None, SimDuration::ZERO, 0);
        }
        let fresh_at =
            |tier: &mut CacheTier, s| (0..64).filter(|&k| tier.has_fresh(k, at(s))).count();
        assert_eq!(
            fresh_at(&mut tier, 4),
            64,
            "nothing expires before ttl * 0.5"
        );
        let mid = fresh_at(&mut tier, 10);
        assert!(
            (16..=48).contains(&mid),
            "about half left at the TTL: {mid}"
        );
        assert_eq!(fresh_at(&mut tier, 15), 0, "everything gone by ttl * 1.5");
        // Without jitter the jitter stream is untouched.
        let mut plain = CacheTier::new(&config(0.0), &MitigationsConfig::default(), 8, streams());
        plain.write(at(0), 1, None, SimDuration::ZERO, 0);
        assert_eq!(plain.streams.ttl_jitter, streams().ttl_jitter);
    }

    #[test]
    fn locks_are_exclusive_released_on_fill_and_cleared_with_their_range() {
        let m = MitigationsConfig {
            lock: Some(lock()),
            ..MitigationsConfig::default()
        };
        let mut tier = CacheTier::new(&config(0.0), &m, 8, streams());
        assert!(!tier.lock_is_held(2, at(0)));
        let token = tier.acquire_lock(2, at(0));
        assert!(tier.lock_is_held(2, at(1)));
        assert!(!tier.lock_is_held(2, at(2)), "the lock's TTL passed");
        tier.release_lock(2, token + 1);
        assert!(
            tier.lock_is_held(2, at(1)),
            "a stale token releases nothing"
        );
        tier.release_lock(2, token);
        assert!(!tier.lock_is_held(2, at(1)));
        tier.acquire_lock(5, at(0));
        tier.write(at(0), 5, None, SimDuration::ZERO, 0);
        tier.clear_range(4..8);
        assert!(!tier.lock_is_held(5, at(0)) && !tier.holds_any(5));
    }

    #[test]
    fn a_lease_is_not_released_on_fill() {
        let m = MitigationsConfig {
            lock: Some(LockConfig {
                kind: LockKind::Lease,
                release_on_fill: false,
                ..lock()
            }),
            ..MitigationsConfig::default()
        };
        let mut tier = CacheTier::new(&config(0.0), &m, 8, streams());
        let token = tier.acquire_lock(1, at(0));
        tier.release_lock(1, token);
        assert!(tier.lock_is_held(1, at(1)));
    }

    #[test]
    fn versioned_sets_refuse_values_older_than_the_cache_knows() {
        let m = MitigationsConfig {
            versioned_sets: true,
            ..MitigationsConfig::default()
        };
        let mut tier = CacheTier::new(&config(0.0), &m, 8, streams());
        assert_eq!(tier.write(at(0), 1, None, SimDuration::ZERO, 3), Some(0));
        assert_eq!(tier.version_of(1), 3);
        assert_eq!(
            tier.write(at(1), 1, None, SimDuration::ZERO, 2),
            None,
            "older: refused"
        );
        // A delete for version 5 leaves a tombstone: a slow reader's version 4 is refused.
        tier.invalidate(1, 5);
        assert!(!tier.holds_any(1));
        assert_eq!(tier.write(at(2), 1, None, SimDuration::ZERO, 4), None);
        assert_eq!(tier.write(at(2), 1, None, SimDuration::ZERO, 5), Some(0));
        // Without versioned sets the same sequence writes the old value back.
        let mut plain = CacheTier::new(&config(0.0), &MitigationsConfig::default(), 8, streams());
        plain.write(at(0), 1, None, SimDuration::ZERO, 3);
        plain.invalidate(1, 5);
        assert_eq!(plain.write(at(2), 1, None, SimDuration::ZERO, 4), Some(0));
        assert_eq!(plain.version_of(1), 4);
    }

    #[test]
    fn a_delete_revokes_a_lease_but_not_a_lock() {
        for (kind, revoked) in [(LockKind::Lease, true), (LockKind::Lock, false)] {
            let m = MitigationsConfig {
                lock: Some(LockConfig {
                    kind,
                    release_on_fill: kind == LockKind::Lock,
                    ..lock()
                }),
                ..MitigationsConfig::default()
            };
            let mut tier = CacheTier::new(&config(0.0), &m, 8, streams());
            let token = tier.acquire_lock(2, at(0));
            assert!(!tier.lease_revoked(2, token));
            tier.invalidate(2, 1);
            assert_eq!(tier.lease_revoked(2, token), revoked, "{kind:?}");
            assert!(!tier.lease_revoked(2, 0), "no token, nothing to revoke");
        }
    }

    #[test]
    fn a_doomed_lock_holder_dies_once() {
        let mut tier = CacheTier::new(&config(0.0), &MitigationsConfig::default(), 8, streams());
        assert!(!tier.holder_dies(3));
        tier.doom_next_lock_holder(3);
        assert!(tier.holder_doomed(3) && !tier.holder_dies(2));
        assert!(tier.holder_dies(3));
        assert!(!tier.holder_dies(3));
    }

    #[test]
    fn flushing_one_node_keeps_the_others_keys() {
        let mut tier = CacheTier::new(&config(0.0), &MitigationsConfig::default(), 64, streams());
        for k in 0..64 {
            tier.write(at(0), k, None, SimDuration::ZERO, 0);
        }
        let node0: Vec<u32> = (0..64).filter(|&k| tier.cluster.node_of(k) == 0).collect();
        assert!(!node0.is_empty() && node0.len() < 64);
        tier.flush(Some(0));
        for k in 0..64 {
            assert_eq!(tier.holds_any(k), !node0.contains(&k));
        }
        tier.flush(None);
        assert!((0..64).all(|k| !tier.holds_any(k)));
    }

    fn faulty(tier: CacheTier) -> CacheTier {
        let s = RandomStreams::new(9);
        let mut c = config(0.0);
        c.timeout = Some(SimDuration::from_millis(10));
        let faults = NodeFaults::new(
            &c,
            None,
            1,
            NodeStreams {
                replicas: s.stream(20),
                drops: s.stream(21),
            },
        );
        tier.with_faults(faults, c.vnodes, None)
    }

    #[test]
    fn a_warmed_node_comes_back_with_what_was_written_into_it_and_a_dead_node_loses_its_locks() {
        let m = MitigationsConfig {
            lock: Some(lock()),
            ..MitigationsConfig::default()
        };
        let mut tier = faulty(CacheTier::new(&config(0.0), &m, 64, streams()));
        let node0: Vec<u32> = (0..64).filter(|&k| tier.node_of(k) == 0).collect();
        tier.acquire_lock(node0[0], at(0));
        tier.kill_node(0);
        assert!(!tier.lock_is_held(node0[0], at(0)), "its lock died with it");
        assert!(tier.is_dead(0) && !tier.is_dead(1));
        let keys = tier.keys_owned_on_return(0, 0..64, 3);
        assert_eq!(keys, node0[..3].to_vec());
        let pace = WarmPace {
            version: 0,
            start: at(0),
            rate: 1000.0,
        };
        tier.begin_warmup(0, 5, pace, keys.clone());
        // Driven by its ticks: one key each, the next due a millisecond later.
        let tick = NodeEvent::WarmupTick { node: 0, entry: 5 };
        for (i, &k) in keys.iter().enumerate() {
            let NodeStep::Warm(w) = tier.on_node(at(0), tick) else {
                panic!("tick {i} sends a key");
            };
            let due = (i + 1 < keys.len()).then(|| SimTime(1_000_000 * (i as u64 + 1)));
            assert_eq!((w.ckey, w.next), (k, due));
        }
        // Every key sent, answers pending: a tick does nothing; another entry's end neither.
        assert_eq!(tier.on_node(at(0), tick), NodeStep::Nothing);
        let end = |entry| NodeEvent::WarmupEnd { node: 0, entry };
        assert_eq!(tier.on_node(at(0), end(4)), NodeStep::Nothing);
        tier.warm_answered(0, 5, at(1), keys[0], SimDuration::ZERO, Some(0));
        tier.warm_answered(0, 5, at(1), keys[1], SimDuration::ZERO, None);
        assert!(!tier.warm_done(0, 5));
        // A write while it warms: the key's warmed copy is deleted with it.
        tier.warm_answered(0, 5, at(1), keys[2], SimDuration::ZERO, Some(0));
        assert!(tier.warm_done(0, 5));
        // Its longest time is up while it still warms: it is to take traffic.
        assert_eq!(tier.on_node(at(1), end(5)), NodeStep::Restore(0));
        // A live node is never taken out.
        assert_eq!(
            tier.on_node(at(1), NodeEvent::TakeOut { node: 1 }),
            NodeStep::Nothing
        );
        tier.invalidate(keys[2], 1);
        assert!(
            !tier.holds_any(keys[0]),
            "nothing is served before it is back"
        );
        let (moved, written) = tier.restore_node(0);
        assert_eq!(moved, 0, "never taken out of the placement");
        assert_eq!(written, vec![(keys[0], 0)]);
        assert!(tier.has_fresh(keys[0], at(2)));
        assert!(!tier.holds_any(keys[1]) && !tier.holds_any(keys[2]));
    }
}
