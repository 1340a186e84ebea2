//! The cache cluster: keys placed on nodes by consistent hashing, per-node LRU capacity, and
//! entries that expire.
//!
//! Keys are dense integers, so entries live in one array indexed by key (no hashing on the hot
//! path). Each node threads its entries on an intrusive LRU list through that array. Expired
//! entries are removed lazily: they stay (and count against capacity) until overwritten or
//! evicted, as in memcached.

use std::sync::Arc;

use crate::engine::rng::splitmix64;
use crate::engine::{SimDuration, SimTime};
use crate::model::mitigation::lookup::Lookup;

const NONE: u32 = u32::MAX;
const ABSENT: u16 = u16::MAX;

#[derive(Clone, Copy, Debug)]
struct Entry {
    expires: SimTime,
    /// How long the value took to compute, for early expiration.
    delta: SimDuration,
    prev: u32,
    next: u32,
    /// Version of the value (of the key in the database) held, or, once removed, the last one
    /// held or invalidated: a versioned set compares against it.
    version: u32,
    /// Node holding the entry, or `ABSENT`.
    node: u16,
}

#[derive(Clone, Copy, Debug)]
struct Node {
    len: u32,
    capacity: Option<u32>,
    /// Most recently used.
    head: u32,
    /// Least recently used: evicted first.
    tail: u32,
}

/// A cluster of cache nodes holding entries for keys `0..keyspace`.
#[derive(Clone, Debug)]
pub struct CacheCluster {
    /// The node of each key; shared read-only by runs with the same placement inputs
    /// (`model::setup`), copied on the first change of placement.
    node_of_key: Arc<Vec<u16>>,
    entries: Vec<Entry>,
    nodes: Vec<Node>,
}

impl CacheCluster {
    /// Bytes a cluster over `keyspace` cache keys takes (for memory estimates), apart from its
    /// small per-node and ring tables.
    pub const fn bytes_per_key() -> usize {
        std::mem::size_of::<Entry>() + std::mem::size_of::<u16>()
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
            entries: vec![
                Entry {
                    expires: SimTime::ZERO,
                    delta: SimDuration::ZERO,
                    prev: NONE,
                    next: NONE,
                    version: 0,
                    node: ABSENT,
                };
                keyspace
            ],
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
        self.entries.len() as u32
    }

    /// The node that owns `key`.
    pub fn node_of(&self, key: u32) -> u32 {
        self.node_of_key[key as usize] as u32
    }

    /// Entries currently held by `node` (fresh or expired).
    pub fn node_len(&self, node: u32) -> u32 {
        self.nodes[node as usize].len
    }

    /// Reads `key` at `now`; a hit refreshes its LRU position.
    #[inline]
    pub fn get(&mut self, key: u32, now: SimTime) -> Lookup {
        let e = self.entries[key as usize];
        if e.node == ABSENT {
            Lookup::Absent
        } else if e.expires > now {
            if self.nodes[e.node as usize].capacity.is_some() {
                self.unlink(key);
                self.push_front(key);
            }
            Lookup::Hit {
                expires: e.expires,
                delta: e.delta,
            }
        } else {
            Lookup::Expired {
                expired_at: e.expires,
            }
        }
    }

    /// Whether `key` holds a value, fresh or expired (without touching LRU order).
    pub fn holds_any(&self, key: u32) -> bool {
        self.entries[key as usize].node != ABSENT
    }

    /// Whether `key` holds an expired value at `now` (without touching LRU order).
    pub fn holds_stale(&self, key: u32, now: SimTime) -> bool {
        let e = self.entries[key as usize];
        e.node != ABSENT && e.expires <= now
    }

    /// The version of the value `key` holds (or, once removed, last held or invalidated).
    #[inline]
    pub fn version(&self, key: u32) -> u32 {
        self.entries[key as usize].version
    }

    /// Removes `key`'s entry, if any, remembering `version` as its version if that is newer
    /// (a delete that leaves a tombstone for versioned sets).
    pub fn invalidate(&mut self, key: u32, version: u32) {
        self.remove(key);
        let e = &mut self.entries[key as usize];
        e.version = e.version.max(version);
    }

    /// Writes `key` at `version` with expiry `expires` and compute time `delta`; returns how
    /// many entries LRU evicted (0 or 1).
    #[inline]
    pub fn set(&mut self, key: u32, expires: SimTime, delta: SimDuration, version: u32) -> u32 {
        let owner = self.node_of_key[key as usize];
        let e = &mut self.entries[key as usize];
        e.expires = expires;
        e.delta = delta;
        e.version = version;
        if e.node == owner {
            if self.nodes[owner as usize].capacity.is_some() {
                self.unlink(key);
                self.push_front(key);
            }
            return 0;
        }
        e.node = owner;
        let node = &mut self.nodes[owner as usize];
        node.len += 1;
        let Some(capacity) = node.capacity else {
            return 0;
        };
        self.push_front(key);
        let node = self.nodes[owner as usize];
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
        for e in &mut self.entries {
            e.node = ABSENT;
            e.prev = NONE;
            e.next = NONE;
        }
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
        for e in &mut self.entries {
            if e.node as u32 == node {
                e.node = ABSENT;
                e.prev = NONE;
                e.next = NONE;
            }
        }
        let n = &mut self.nodes[node as usize];
        n.len = 0;
        n.head = NONE;
        n.tail = NONE;
    }

    fn remove(&mut self, key: u32) {
        let node = self.entries[key as usize].node;
        if node == ABSENT {
            return;
        }
        if self.nodes[node as usize].capacity.is_some() {
            self.unlink(key);
        }
        self.nodes[node as usize].len -= 1;
        self.entries[key as usize].node = ABSENT;
    }

    fn unlink(&mut self, key: u32) {
        let Entry {
            prev, next, node, ..
        } = self.entries[key as usize];
        let n = &mut self.nodes[node as usize];
        if prev == NONE {
            n.head = next;
        } else {
            self.entries[prev as usize].next = next;
        }
        if next == NONE {
            n.tail = prev;
        } else {
            self.entries[next as usize].prev = prev;
        }
        let e = &mut self.entries[key as usize];
        e.prev = NONE;
        e.next = NONE;
    }

    fn push_front(&mut self, key: u32) {
        let node = self.entries[key as usize].node as usize;
        let old_head = self.nodes[node].head;
        {
            let e = &mut self.entries[key as usize];
            e.prev = NONE;
            e.next = old_head;
        }
        if old_head == NONE {
            self.nodes[node].tail = key;
        } else {
            self.entries[old_head as usize].prev = key;
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
