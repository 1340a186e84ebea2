//! The cache cluster: keys placed on nodes by consistent hashing, per-node LRU capacity, and
//! entries that expire.
//!
//! Keys are dense integers, so entries live in arrays indexed by key (no hashing on the hot
//! path), one array per field: a read touches only the expiry column, 8 bytes a key. Fields
//! that only some scenarios use cost nothing in the others: the LRU links exist only when
//! nodes have a capacity (then beside the expiry, as a hit reads one and moves the other),
//! and a value's compute time and version are kept only once a value has one that is not
//! zero (early expiration, writes). Each node threads its entries on an intrusive LRU list
//! through the links. Expired entries are removed lazily: they stay (and count against
//! capacity) until overwritten or evicted, as in memcached.

use std::sync::Arc;

use crate::engine::rng::splitmix64;
use crate::engine::{SimDuration, SimTime};
use crate::model::mitigation::lookup::Lookup;

const NONE: u32 = u32::MAX;

/// The expiry of a key that holds no entry. No value's expiry reaches it: a scenario's
/// durations are at most about 31 years (`scenario::duration`), so every time the model
/// computes stays below 2^63 ns.
const ABSENT: SimTime = SimTime(u64::MAX);

/// A key's expiry and its place on its node's LRU list, together: a hit reads the one and
/// moves the other, so they share a cache line.
#[derive(Clone, Copy, Debug)]
struct Lru {
    expires: SimTime,
    prev: u32,
    next: u32,
}

const UNLINKED: Lru = Lru {
    expires: ABSENT,
    prev: NONE,
    next: NONE,
};

#[derive(Clone, Copy, Debug)]
struct Node {
    len: u32,
    capacity: Option<u32>,
    /// Most recently used.
    head: u32,
    /// Least recently used: evicted first.
    tail: u32,
}

/// Which per-key columns a cluster holds, for memory estimates (see
/// [`CacheCluster::bytes_per_key`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Columns {
    /// LRU links: the nodes have a capacity.
    pub lru: bool,
    /// Each value's compute time: early expiration reads it.
    pub delta: bool,
    /// Each value's version: the scenario has writes.
    pub versions: bool,
}

/// A cluster of cache nodes holding entries for keys `0..keyspace`.
#[derive(Clone, Debug)]
pub struct CacheCluster {
    /// The node of each key; shared read-only by runs with the same placement inputs
    /// (`model::setup`), copied on the first change of placement. A key's entry, when it has
    /// one, is always on this node: a key that changes node loses its entry first.
    node_of_key: Arc<Vec<u16>>,
    /// When each key's entry expires, [`ABSENT`] for a key without an entry; empty when the
    /// nodes have a capacity (the expiry is then in `lru`).
    expires: Vec<SimTime>,
    /// Each key's expiry and place on its node's LRU list; empty when the nodes have no
    /// capacity.
    lru: Vec<Lru>,
    /// How long each key's value took to compute, for early expiration; empty (all zero)
    /// until a value with a compute time is written.
    delta: Vec<SimDuration>,
    /// Version of the value (of the key in the database) each key holds, or, once removed,
    /// the last one held or invalidated: a versioned set compares against it. Empty (all
    /// zero) until a version other than 0 is written.
    versions: Vec<u32>,
    nodes: Vec<Node>,
}

impl CacheCluster {
    /// Bytes a cluster with `columns` takes per cache key (for memory estimates), apart from
    /// its small per-node and ring tables.
    pub const fn bytes_per_key(columns: Columns) -> usize {
        use std::mem::size_of;
        // Every cluster has a node per key (with one node all zeros, which are never written).
        let mut bytes = size_of::<u16>();
        bytes += if columns.lru {
            size_of::<Lru>()
        } else {
            size_of::<SimTime>()
        };
        if columns.delta {
            bytes += size_of::<SimDuration>();
        }
        if columns.versions {
            bytes += size_of::<u32>();
        }
        bytes
    }

    /// Bytes the cluster's per-key columns hold now (their capacities; the placement counted
    /// whole even when shared with other runs).
    pub fn bytes(&self) -> usize {
        use std::mem::size_of;
        self.node_of_key.capacity() * size_of::<u16>()
            + self.expires.capacity() * size_of::<SimTime>()
            + self.lru.capacity() * size_of::<Lru>()
            + self.delta.capacity() * size_of::<SimDuration>()
            + self.versions.capacity() * size_of::<u32>()
    }

    /// An empty cluster of `nodes` nodes with `vnodes` ring points each and `capacity` entries per
    /// node (`None`: unbounded).
    pub fn new(keyspace: u32, nodes: u32, vnodes: u32, capacity: Option<u32>) -> Self {
        let placement = Arc::new(Self::placement(keyspace, nodes, vnodes));
        Self::with_placement(placement, nodes, capacity)
    }

    /// The node of each of `keyspace` keys on the ring of `nodes` nodes with `vnodes` points
    /// each (with one node, node 0 without hashing).
    pub fn placement(keyspace: u32, nodes: u32, vnodes: u32) -> Vec<u16> {
        if nodes == 1 {
            return vec![0; keyspace as usize];
        }
        let ring = HashRing::new(nodes, vnodes);
        (0..keyspace).map(|k| ring.node_for(k)).collect()
    }

    /// An empty cluster of `nodes` nodes with `capacity` entries per node (`None`: unbounded),
    /// its keys placed as `placement` says (one node per key, from [`CacheCluster::placement`]).
    pub fn with_placement(placement: Arc<Vec<u16>>, nodes: u32, capacity: Option<u32>) -> Self {
        let keyspace = placement.len();
        CacheCluster {
            node_of_key: placement,
            expires: if capacity.is_some() {
                Vec::new()
            } else {
                vec![ABSENT; keyspace]
            },
            lru: if capacity.is_some() {
                vec![UNLINKED; keyspace]
            } else {
                Vec::new()
            },
            delta: Vec::new(),
            versions: Vec::new(),
            nodes: vec![
                Node {
                    len: 0,
                    capacity,
                    head: NONE,
                    tail: NONE,
                };
                nodes as usize
            ],
        }
    }

    /// Cache keys the cluster has room for.
    pub fn keys(&self) -> u32 {
        self.node_of_key.len() as u32
    }

    /// The node that owns `key`.
    #[inline]
    pub fn node_of(&self, key: u32) -> u32 {
        self.node_of_key[key as usize] as u32
    }

    /// Entries currently held by `node` (fresh or expired).
    pub fn node_len(&self, node: u32) -> u32 {
        self.nodes[node as usize].len
    }

    /// Whether the nodes evict (have a capacity): entries are then on LRU lists.
    #[inline]
    fn lru(&self) -> bool {
        !self.lru.is_empty()
    }

    /// When `key`'s entry expires ([`ABSENT`]: it has none).
    #[inline]
    fn expiry(&self, key: u32) -> SimTime {
        if self.lru() {
            self.lru[key as usize].expires
        } else {
            self.expires[key as usize]
        }
    }

    #[inline]
    fn set_expiry(&mut self, key: u32, expires: SimTime) {
        if self.lru() {
            self.lru[key as usize].expires = expires;
        } else {
            self.expires[key as usize] = expires;
        }
    }

    /// How long `key`'s value took to compute (zero when none was kept).
    #[inline]
    fn delta(&self, key: u32) -> SimDuration {
        self.delta
            .get(key as usize)
            .copied()
            .unwrap_or(SimDuration::ZERO)
    }

    /// Reads `key` at `now`; a hit refreshes its LRU position.
    #[inline]
    pub fn get(&mut self, key: u32, now: SimTime) -> Lookup {
        let expires = self.expiry(key);
        if expires == ABSENT {
            Lookup::Absent
        } else if expires > now {
            if self.lru() {
                self.touch(key);
            }
            Lookup::Hit {
                expires,
                delta: self.delta(key),
            }
        } else {
            Lookup::Expired {
                expired_at: expires,
            }
        }
    }

    /// Whether `key` holds a value, fresh or expired (without touching LRU order).
    pub fn holds_any(&self, key: u32) -> bool {
        self.expiry(key) != ABSENT
    }

    /// Whether `key` holds an expired value at `now` (without touching LRU order).
    pub fn holds_stale(&self, key: u32, now: SimTime) -> bool {
        let expires = self.expiry(key);
        expires != ABSENT && expires <= now
    }

    /// The version of the value `key` holds (or, once removed, last held or invalidated).
    #[inline]
    pub fn version(&self, key: u32) -> u32 {
        self.versions.get(key as usize).copied().unwrap_or(0)
    }

    /// Keeps `version` as `key`'s, making the column on the first version other than 0.
    #[inline]
    fn set_version(&mut self, key: u32, version: u32) {
        if self.versions.is_empty() {
            if version == 0 {
                return;
            }
            self.versions = vec![0; self.keys() as usize];
        }
        self.versions[key as usize] = version;
    }

    /// Keeps `delta` as `key`'s compute time, making the column on the first one not zero.
    #[inline]
    fn set_delta(&mut self, key: u32, delta: SimDuration) {
        if self.delta.is_empty() {
            if delta == SimDuration::ZERO {
                return;
            }
            self.delta = vec![SimDuration::ZERO; self.keys() as usize];
        }
        self.delta[key as usize] = delta;
    }

    /// Removes `key`'s entry, if any, remembering `version` as its version if that is newer
    /// (a delete that leaves a tombstone for versioned sets).
    pub fn invalidate(&mut self, key: u32, version: u32) {
        self.remove(key);
        if version > self.version(key) {
            self.set_version(key, version);
        }
    }

    /// Writes `key` at `version` with expiry `expires` and compute time `delta`; returns how
    /// many entries LRU evicted (0 or 1).
    #[inline]
    pub fn set(&mut self, key: u32, expires: SimTime, delta: SimDuration, version: u32) -> u32 {
        debug_assert!(expires < ABSENT, "an expiry below 2^64 - 1 ns");
        let held = self.expiry(key) != ABSENT;
        self.set_expiry(key, expires);
        self.set_delta(key, delta);
        self.set_version(key, version);
        if held {
            if self.lru() {
                self.touch(key);
            }
            return 0;
        }
        let owner = self.node_of_key[key as usize] as usize;
        let node = &mut self.nodes[owner];
        node.len += 1;
        let Some(capacity) = node.capacity else {
            return 0;
        };
        self.push_front(key, owner);
        let node = self.nodes[owner];
        if node.len > capacity {
            self.remove(node.tail);
            1
        } else {
            0
        }
    }

    /// Places every key on the node `owner` gives; a key that changes node loses its entry
    /// (the value stays on the old node, unreachable, until evicted there). Returns how many
    /// keys moved.
    pub fn place(&mut self, owner: impl Fn(u32) -> u16) -> u32 {
        self.place_with(owner, |_| {})
    }

    /// [`CacheCluster::place`], telling `moved_key` each key that moved.
    pub fn place_with(
        &mut self,
        owner: impl Fn(u32) -> u16,
        mut moved_key: impl FnMut(u32),
    ) -> u32 {
        let mut moved = 0;
        for key in 0..self.keys() {
            let new = owner(key);
            if new != self.node_of_key[key as usize] {
                self.remove(key);
                Arc::make_mut(&mut self.node_of_key)[key as usize] = new;
                moved_key(key);
                moved += 1;
            }
        }
        moved
    }

    /// Removes every entry of every node.
    pub fn flush_all(&mut self) {
        self.expires.fill(ABSENT);
        self.lru.fill(UNLINKED);
        for n in &mut self.nodes {
            n.len = 0;
            n.head = NONE;
            n.tail = NONE;
        }
    }

    /// Removes the entries of keys `range` (a cache-key version being reused).
    pub fn flush_keys(&mut self, range: std::ops::Range<u32>) {
        for key in range {
            self.remove(key);
        }
    }

    /// Removes every entry of one node.
    pub fn flush_node(&mut self, node: u32) {
        for (key, &owner) in self.node_of_key.iter().enumerate() {
            if owner as u32 == node {
                match self.lru.get_mut(key) {
                    Some(entry) => *entry = UNLINKED,
                    None => self.expires[key] = ABSENT,
                }
            }
        }
        let n = &mut self.nodes[node as usize];
        n.len = 0;
        n.head = NONE;
        n.tail = NONE;
    }

    fn remove(&mut self, key: u32) {
        if self.expiry(key) == ABSENT {
            return;
        }
        let node = self.node_of_key[key as usize] as usize;
        if self.lru() {
            self.unlink(key, node);
        }
        self.nodes[node].len -= 1;
        self.set_expiry(key, ABSENT);
    }

    /// Moves held `key` to the front of its node's LRU list (nothing to do at the front).
    #[inline]
    fn touch(&mut self, key: u32) {
        if self.lru[key as usize].prev != NONE {
            let node = self.node_of_key[key as usize] as usize;
            self.unlink(key, node);
            self.push_front(key, node);
        }
    }

    fn unlink(&mut self, key: u32, node: usize) {
        let Lru { prev, next, .. } = self.lru[key as usize];
        if prev == NONE {
            self.nodes[node].head = next;
        } else {
            self.lru[prev as usize].next = next;
        }
        if next == NONE {
            self.nodes[node].tail = prev;
        } else {
            self.lru[next as usize].prev = prev;
        }
        let entry = &mut self.lru[key as usize];
        entry.prev = NONE;
        entry.next = NONE;
    }

    fn push_front(&mut self, key: u32, node: usize) {
        let old_head = self.nodes[node].head;
        let entry = &mut self.lru[key as usize];
        entry.prev = NONE;
        entry.next = old_head;
        if old_head == NONE {
            self.nodes[node].tail = key;
        } else {
            self.lru[old_head as usize].prev = key;
        }
        self.nodes[node].head = key;
    }
}

/// A consistent-hash ring: each node owns `vnodes` points; a key belongs to the first point at
/// or after its hash, wrapping around.
#[derive(Clone, Debug)]
pub struct HashRing {
    points: Vec<(u64, u16)>,
}

impl HashRing {
    /// The ring of `nodes` nodes with `vnodes` points each.
    pub fn new(nodes: u32, vnodes: u32) -> Self {
        Self::of_nodes(0..nodes, vnodes)
    }

    /// The ring of the listed nodes with `vnodes` points each; a node's points are the same
    /// whatever the other nodes, so removing one moves only its keys.
    pub fn of_nodes(nodes: impl Iterator<Item = u32>, vnodes: u32) -> Self {
        let mut points: Vec<(u64, u16)> = nodes
            .flat_map(|n| {
                (0..vnodes).map(move |v| {
                    (
                        splitmix64(((n as u64) << 32) | v as u64 ^ 0xC0FFEE),
                        n as u16,
                    )
                })
            })
            .collect();
        points.sort_unstable();
        HashRing { points }
    }

    /// The node owning `key`.
    pub fn node_for(&self, key: u32) -> u16 {
        let h = splitmix64(key as u64 ^ 0x6B65_7973);
        let i = self.points.partition_point(|&(p, _)| p < h);
        self.points[if i == self.points.len() { 0 } else { i }].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_keys_of_a_shared_placement_leaves_the_other_runs_placement_alone() {
        let shared = Arc::new(CacheCluster::placement(1000, 3, 50));
        let mut c = CacheCluster::with_placement(Arc::clone(&shared), 3, None);
        let moved = c.place(|_| 0);
        assert!(moved > 0);
        assert!((0..1000).all(|k| c.node_of(k) == 0));
        assert_eq!(*shared, CacheCluster::placement(1000, 3, 50));
        assert!(shared.iter().any(|&n| n != 0));
    }

    #[test]
    fn one_node_places_every_key_on_it_as_the_ring_does() {
        let ring = HashRing::new(1, 160);
        let one = CacheCluster::placement(500, 1, 160);
        assert!((0..500).all(|k| one[k as usize] == ring.node_for(k)));
    }
    #[test]
    fn hit_expired_absent() {
        let mut c = CacheCluster::new(10, 1, 1, None);
        assert_eq!(c.get(3, SimTime(0)), Lookup::Absent);
        c.set(3, SimTime(100), SimDuration::ZERO, 0);
        assert!(matches!(c.get(3, SimTime(99)), Lookup::Hit { .. }));
        assert_eq!(
            c.get(3, SimTime(100)),
            Lookup::Expired {
                expired_at: SimTime(100)
            }
        );
        assert!(c.holds_stale(3, SimTime(100)));
    }

    #[test]
    fn lru_evicts_the_least_recently_used() {
        let mut c = CacheCluster::new(10, 1, 1, Some(3));
        let far = SimTime(1_000);
        let z = SimDuration::ZERO;
        assert_eq!(
            c.set(0, far, z, 0) + c.set(1, far, z, 0) + c.set(2, far, z, 0),
            0
        );
        assert!(matches!(c.get(0, SimTime(1)), Lookup::Hit { .. })); // 1 is now the least recent
        assert_eq!(c.set(3, far, z, 0), 1);
        assert_eq!(c.get(1, SimTime(1)), Lookup::Absent);
        for k in [0, 2, 3] {
            assert!(
                matches!(c.get(k, SimTime(1)), Lookup::Hit { .. }),
                "key {k}"
            );
        }
        assert_eq!(c.node_len(0), 3);
        // Overwriting an entry does not evict.
        assert_eq!(c.set(2, far, z, 0), 0);
        assert_eq!(c.node_len(0), 3);
    }

    #[test]
    fn consistent_hashing_spreads_keys_and_moves_few_on_resize() {
        let (a, b) = (HashRing::new(4, 160), HashRing::new(5, 160));
        let n = 100_000;
        let mut per_node = [0u32; 4];
        let mut moved = 0;
        for k in 0..n {
            let na = a.node_for(k);
            per_node[na as usize] += 1;
            if na != b.node_for(k) {
                moved += 1;
            }
        }
        for c in per_node {
            assert!((c as f64 - 25_000.0).abs() < 3_000.0, "{per_node:?}");
        }
        // Adding a fifth node should move about a fifth of the keys, not most of them.
        assert!(
            (moved as f64 / n as f64 - 0.2).abs() < 0.05,
            "moved {moved}"
        );
    }

    #[test]
    fn flushing_one_node_keeps_the_others() {
        let mut c = CacheCluster::new(1000, 3, 50, None);
        for k in 0..1000 {
            c.set(k, SimTime(10), SimDuration::ZERO, 0);
        }
        c.flush_node(1);
        for k in 0..1000 {
            let hit = matches!(c.get(k, SimTime(0)), Lookup::Hit { .. });
            assert_eq!(hit, c.node_of(k) != 1, "key {k}");
        }
        c.flush_all();
        assert!((0..1000).all(|k| c.get(k, SimTime(0)) == Lookup::Absent));
    }
}
