//! Read-only structures a run builds before it starts (the keys' popularity tables, the
//! placement of cache keys on nodes), built once per distinct input and shared by every run
//! that has the same inputs: strategies, replications, sweep points and phase cells.
//!
//! At millions of keys these dominate a short run (a `powf` per key for Zipf weights, a ring
//! search per key for placement). [`Setups`] is a memo: a batch of runs declares up front
//! which runs it will make ([`Setups::expect`]); each table is built by the first run that
//! needs it and kept while declared runs remain ([`Setups::done`]), so memory holds only the
//! tables of runs still to come. A table is the same value however it is obtained, so sharing
//! never changes a result.

use std::sync::{Arc, Mutex, OnceLock};

use super::cache::CacheCluster;
use super::clients::KeyTable;
use super::config::{ModelConfig, Popularity};
use super::versions::KeyVersions;
use super::TimelineAction;

/// The inputs of a key popularity table: the keyspace and the popularity (a Zipf exponent by
/// its bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyTableId {
    keyspace: u32,
    zipf_bits: Option<u64>,
}

impl KeyTableId {
    /// The table of `keyspace` keys with `popularity`.
    pub fn new(keyspace: u32, popularity: Popularity) -> Self {
        KeyTableId {
            keyspace,
            zipf_bits: match popularity {
                Popularity::Uniform => None,
                Popularity::Zipf { s } => Some(s.to_bits()),
            },
        }
    }

    fn popularity(&self) -> Popularity {
        match self.zipf_bits {
            None => Popularity::Uniform,
            Some(bits) => Popularity::Zipf {
                s: f64::from_bits(bits),
            },
        }
    }
}

/// The inputs of a placement: cache keys, nodes and ring points per node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlacementId {
    /// Cache keys.
    pub keys: u32,
    /// Cache nodes.
    pub nodes: u32,
    /// Ring points per node.
    pub vnodes: u32,
}

/// One memoised value: how many declared runs still need it, and the value once built.
struct Slot<K, V> {
    id: K,
    pending: usize,
    value: Arc<OnceLock<Arc<V>>>,
}

/// A memo of values by their inputs `K` (few distinct ones: a linear scan).
struct Memo<K, V> {
    slots: Mutex<Vec<Slot<K, V>>>,
}

impl<K: PartialEq + Copy, V> Memo<K, V> {
    fn new() -> Self {
        Memo {
            slots: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Slot<K, V>>> {
        // A panic while holding the lock leaves the list consistent (it only pushes, counts
        // and removes whole slots): keep using it.
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn expect(&self, id: K) {
        let mut slots = self.lock();
        match slots.iter_mut().find(|s| s.id == id) {
            Some(s) => s.pending += 1,
            None => slots.push(Slot {
                id,
                pending: 1,
                value: Arc::new(OnceLock::new()),
            }),
        }
    }

    /// The value of `id`: the shared one if runs were declared for it (built here by the first
    /// caller, the others waiting for it), else built for this caller alone.
    fn get(&self, id: K, build: impl FnOnce() -> V) -> Arc<V> {
        let cell = self
            .lock()
            .iter()
            .find(|s| s.id == id)
            .map(|s| Arc::clone(&s.value));
        match cell {
            Some(cell) => Arc::clone(cell.get_or_init(|| Arc::new(build()))),
            None => Arc::new(build()),
        }
    }

    fn done(&self, id: K) {
        let mut slots = self.lock();
        if let Some(i) = slots.iter().position(|s| s.id == id) {
            slots[i].pending -= 1;
            if slots[i].pending == 0 {
                slots.swap_remove(i);
            }
        }
    }
}

/// The read-only setup shared by a batch of runs (see the module's documentation).
/// [`Setups::default`] shares nothing: every run builds its own.
pub struct Setups {
    keys: Memo<KeyTableId, KeyTable>,
    placements: Memo<PlacementId, Vec<u16>>,
}

impl Default for Setups {
    fn default() -> Self {
        Setups {
            keys: Memo::new(),
            placements: Memo::new(),
        }
    }
}

impl std::fmt::Debug for Setups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Setups")
    }
}

impl Setups {
    /// A memo for the runs of `configs` (one entry per run to be made).
    pub fn for_runs<'a>(configs: impl IntoIterator<Item = &'a ModelConfig>) -> Self {
        let setups = Setups::default();
        for c in configs {
            setups.expect(c);
        }
        setups
    }

    /// Declares one more run of `config`: its tables are kept until [`Setups::done`] is called
    /// for it.
    pub fn expect(&self, config: &ModelConfig) {
        let (keys, placement) = ids(config);
        for id in keys.into_iter().flatten() {
            self.keys.expect(id);
        }
        if let Some(id) = placement {
            self.placements.expect(id);
        }
    }

    /// A run of `config` declared with [`Setups::expect`] is over.
    pub fn done(&self, config: &ModelConfig) {
        let (keys, placement) = ids(config);
        for id in keys.into_iter().flatten() {
            self.keys.done(id);
        }
        if let Some(id) = placement {
            self.placements.done(id);
        }
    }

    /// The popularity table of `keyspace` keys with `popularity`.
    pub fn key_table(&self, keyspace: u32, popularity: Popularity) -> Arc<KeyTable> {
        let id = KeyTableId::new(keyspace, popularity);
        self.keys
            .get(id, || KeyTable::new(id.keyspace, id.popularity()))
    }

    /// The node of each of `id.keys` cache keys on the ring of `id.nodes` nodes.
    pub fn placement(&self, id: PlacementId) -> Arc<Vec<u16>> {
        self.placements
            .get(id, || CacheCluster::placement(id.keys, id.nodes, id.vnodes))
    }
}

/// The tables a run of `config` asks for: the reads' and the writes' popularity tables, and
/// the shared cache's placement. Must follow the model's construction (`world`, `writes`).
fn ids(config: &ModelConfig) -> ([Option<KeyTableId>; 2], Option<PlacementId>) {
    let c = &config.clients;
    let traced = c.trace.is_some();
    let reads = Some(KeyTableId::new(c.keyspace, c.popularity));
    let writes = config.writes.as_ref().map(|w| {
        let popularity = if traced {
            Popularity::Uniform
        } else {
            w.popularity
        };
        KeyTableId::new(c.keyspace, popularity)
    });
    let has_deploy = config
        .timeline
        .iter()
        .any(|e| matches!(e.action, TimelineAction::Deploy(_)));
    let placement = config.cache.as_ref().map(|cc| PlacementId {
        keys: KeyVersions::cache_keys(c.all_keys(), has_deploy),
        nodes: cc.nodes,
        vnodes: cc.vnodes,
    });
    ([reads, writes], placement)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_value_is_built_once_and_dropped_after_its_last_run() {
        let memo: Memo<u32, Vec<u8>> = Memo::new();
        memo.expect(7);
        memo.expect(7);
        let builds = std::sync::atomic::AtomicUsize::new(0);
        let build = || {
            builds.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            vec![1, 2, 3]
        };
        let a = memo.get(7, build);
        let b = memo.get(7, build);
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(builds.load(std::sync::atomic::Ordering::Relaxed), 1);
        memo.done(7);
        assert_eq!(memo.lock().len(), 1, "one run still to come");
        memo.done(7);
        assert!(memo.lock().is_empty(), "no run left: the memo lets go");
        drop(b);
        assert_eq!(Arc::strong_count(&a), 1, "only the last user holds it");
    }

    #[test]
    fn an_undeclared_value_is_built_for_each_caller() {
        let memo: Memo<u32, u8> = Memo::new();
        let (a, b) = (memo.get(1, || 5), memo.get(1, || 5));
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(memo.lock().is_empty());
    }

    /// The strategies of a scenario whose body is `body`.
    fn configs(body: &str) -> Vec<ModelConfig> {
        let text = format!("name = \"t\"\nseed = 3\nduration = \"10s\"\n{body}");
        crate::scenario::parse(&text, std::path::Path::new("t.toml"))
            .expect("a valid scenario")
            .strategies
            .into_iter()
            .map(|s| s.config)
            .collect()
    }

    #[test]
    fn runs_share_the_tables_of_equal_inputs_only() {
        let c = configs(
            r#"
[clients]
rps = 10
keyspace = 5000
popularity = { dist = "zipf", s = 0.9 }
[cache]
nodes = 3
[db]
slots = 2
service = "1ms"
[[strategies]]
name = "a"
[[strategies]]
name = "b"
cache.nodes = 4
"#,
        );
        let setups = Setups::for_runs(&c);
        let placement = |c: &ModelConfig| {
            let cc = c.cache.as_ref().expect("a cache");
            setups.placement(PlacementId {
                keys: c.clients.keyspace,
                nodes: cc.nodes,
                vnodes: cc.vnodes,
            })
        };
        let (pa, pb) = (placement(&c[0]), placement(&c[1]));
        assert!(!Arc::ptr_eq(&pa, &pb), "3 and 4 nodes place keys apart");
        assert!(Arc::ptr_eq(&pa, &placement(&c[0])));
        assert_eq!(*pb, CacheCluster::placement(5000, 4, 160));
        let keys = |c: &ModelConfig| setups.key_table(c.clients.keyspace, c.clients.popularity);
        assert!(Arc::ptr_eq(&keys(&c[0]), &keys(&c[1])), "same popularity");
        setups.done(&c[0]);
        setups.done(&c[1]);
        assert!(setups.keys.lock().is_empty() && setups.placements.lock().is_empty());
    }

    #[test]
    fn different_inputs_get_different_tables() {
        let setups = Setups::default();
        let zipf = |s| Popularity::Zipf { s };
        setups.keys.expect(KeyTableId::new(100, zipf(0.9)));
        setups.keys.expect(KeyTableId::new(100, zipf(1.1)));
        let a = setups.key_table(100, zipf(0.9));
        let b = setups.key_table(100, zipf(1.1));
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(Arc::ptr_eq(&a, &setups.key_table(100, zipf(0.9))));
    }
}
