//! Local caches: one per app instance, in front of the shared cache tier, each with its own
//! capacity (LRU), TTL and latency, optionally for the most popular keys only. A write's
//! change is published to every instance (pub/sub) after a lag, or lost; without pub/sub a
//! local copy lives until its TTL. Instances may then disagree about a key.

use rand::Rng;

use super::cluster::{CacheCluster, Columns};
use crate::engine::{SimDuration, SimTime, Stream};
use crate::model::config::{LocalCacheConfig, LocalInvalidation};
use crate::model::distribution::Sampler;
use crate::model::mitigation::lookup::Lookup;
use crate::model::request::KeyRef;

/// What happens at the app instances' local caches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalEvent {
    /// The answer of the reading instance's local cache for key `k`.
    Reply(KeyRef),
    /// A pub/sub message that `key` changed reaches `instance`'s local cache.
    Delete {
        /// The app instance.
        instance: u32,
        /// The logical key.
        key: u32,
    },
}

/// The streams local caches draw from.
#[derive(Clone, Debug)]
pub struct LocalStreams {
    /// Latency of local reads.
    pub latency: Stream,
    /// Loss and lag of pub/sub messages.
    pub pubsub: Stream,
}

/// Every instance's local cache.
#[derive(Clone, Debug)]
pub struct LocalCaches {
    caches: Vec<CacheCluster>,
    /// Keys below this are cached locally.
    hot: u32,
    ttl: SimDuration,
    latency: Sampler,
    lag: Option<(Sampler, f64)>,
    streams: LocalStreams,
}

/// What one pub/sub message to one instance does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// It arrives after this lag.
    After(SimDuration),
    /// It is lost.
    Lost,
}

impl LocalCaches {
    /// Bytes per cached key and instance of local caches configured by `config`, in a
    /// scenario with writes (`writes`: values carry versions) or without.
    pub const fn bytes_per_key(config: &LocalCacheConfig, writes: bool) -> u64 {
        CacheCluster::bytes_per_key(Columns {
            lru: config.capacity.is_some(),
            delta: false,
            versions: writes,
        }) as u64
    }

    /// Local caches for `instances` instances of a keyspace of `keyspace` keys, with `ranges`
    /// key-version ranges (2 with deploys).
    pub fn new(
        config: &LocalCacheConfig,
        keyspace: u32,
        instances: u32,
        ranges: u32,
        streams: LocalStreams,
    ) -> Self {
        let hot = config.hot_keys.map_or(keyspace, |h| h.min(keyspace));
        LocalCaches {
            caches: (0..instances)
                .map(|_| CacheCluster::new(hot * ranges, 1, 1, config.capacity))
                .collect(),
            hot,
            ttl: config.ttl,
            latency: Sampler::new(&config.latency),
            lag: match &config.invalidation {
                LocalInvalidation::TtlOnly => None,
                LocalInvalidation::PubSub { lag, loss } => Some((Sampler::new(lag), *loss)),
            },
            streams,
        }
    }

    /// Whether logical `key` is cached locally.
    #[inline]
    pub fn eligible(&self, key: u32) -> bool {
        key < self.hot
    }

    #[inline]
    fn index(&self, key: u32, version: u32) -> u32 {
        key + (version % 2) * self.hot
    }

    /// Time of the next local read.
    #[inline]
    pub fn latency(&mut self) -> SimDuration {
        self.latency.sample(&mut self.streams.latency)
    }

    /// `instance` reads `key` under key version `version` at `now`: the version of the value it
    /// holds fresh, if any.
    #[inline]
    pub fn read(&mut self, instance: u32, key: u32, version: u32, now: SimTime) -> Option<u32> {
        let i = self.index(key, version);
        let cache = &mut self.caches[instance as usize];
        match cache.get(i, now) {
            Lookup::Hit { .. } => Some(cache.version(i)),
            _ => None,
        }
    }

    /// `instance`'s copy of `key` under key version `version`, fresh or expired: the version of
    /// its value, if it holds one (without touching LRU order).
    pub fn read_any(&self, instance: u32, key: u32, version: u32) -> Option<u32> {
        if !self.eligible(key) {
            return None;
        }
        let i = self.index(key, version);
        let cache = &self.caches[instance as usize];
        cache.holds_any(i).then(|| cache.version(i))
    }

    /// `instance` keeps the value of `key` (data version `data`) read under key version
    /// `version` at `now`, for the local TTL; returns how many entries LRU evicted.
    #[inline]
    pub fn fill(&mut self, instance: u32, key: u32, version: u32, data: u32, now: SimTime) -> u32 {
        let i = self.index(key, version);
        self.caches[instance as usize].set(i, now + self.ttl, SimDuration::ZERO, data)
    }

    /// `instance` drops every version of `key` (a pub/sub message arrived).
    pub fn invalidate(&mut self, instance: u32, key: u32) {
        if !self.eligible(key) {
            return;
        }
        let cache = &mut self.caches[instance as usize];
        let mut i = key;
        while i < cache.keys() {
            cache.invalidate(i, 0);
            i += self.hot;
        }
    }

    /// Every instance drops what it holds under key version `version`'s range (the version
    /// before last, whose range `version` takes over).
    pub fn clear_range(&mut self, version: u32) {
        let start = self.index(0, version);
        for cache in &mut self.caches {
            if start < cache.keys() {
                cache.flush_keys(start..start + self.hot);
            }
        }
    }

    /// Instances.
    pub fn instances(&self) -> u32 {
        self.caches.len() as u32
    }

    /// Whether writes publish changes to the local caches.
    pub fn has_pubsub(&self) -> bool {
        self.lag.is_some()
    }

    /// Draws the fate of one pub/sub message to one instance (loss, then lag: both drawn
    /// for every message).
    #[inline]
    pub fn deliver(&mut self) -> Delivery {
        let Some((lag, loss)) = &self.lag else {
            return Delivery::Lost;
        };
        let u: f64 = self.streams.pubsub.random();
        let after = lag.sample(&mut self.streams.pubsub);
        if u < *loss {
            Delivery::Lost
        } else {
            Delivery::After(after)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RandomStreams;
    use crate::model::config::Distribution;

    fn config(hot_keys: Option<u32>, invalidation: LocalInvalidation) -> LocalCacheConfig {
        LocalCacheConfig {
            capacity: None,
            ttl: SimDuration::from_secs(5),
            latency: Distribution::Constant(SimDuration(10_000)),
            hot_keys,
            invalidation,
        }
    }

    fn streams() -> LocalStreams {
        let s = RandomStreams::new(3);
        LocalStreams {
            latency: s.stream(15),
            pubsub: s.stream(16),
        }
    }

    fn at(s: u64) -> SimTime {
        SimTime(s * 1_000_000_000)
    }

    #[test]
    fn each_instance_has_its_own_copy_until_its_ttl() {
        let mut l = LocalCaches::new(
            &config(None, LocalInvalidation::TtlOnly),
            10,
            3,
            1,
            streams(),
        );
        assert_eq!(l.read(0, 4, 0, at(0)), None);
        l.fill(0, 4, 0, 7, at(0));
        assert_eq!(l.read(0, 4, 0, at(4)), Some(7));
        assert_eq!(
            l.read(1, 4, 0, at(4)),
            None,
            "another instance has its own cache"
        );
        assert_eq!(l.read(0, 4, 0, at(5)), None, "the local TTL passed");
        l.fill(2, 4, 0, 8, at(10));
        l.invalidate(2, 4);
        assert_eq!(l.read(2, 4, 0, at(10)), None);
        assert_eq!(l.latency(), SimDuration(10_000));
    }

    #[test]
    fn only_hot_keys_are_local_and_versions_have_their_ranges() {
        let mut l = LocalCaches::new(
            &config(Some(3), LocalInvalidation::TtlOnly),
            10,
            1,
            2,
            streams(),
        );
        assert!(l.eligible(2) && !l.eligible(3));
        l.fill(0, 1, 0, 5, at(0));
        l.fill(0, 1, 1, 6, at(0));
        assert_eq!(
            (l.read(0, 1, 0, at(1)), l.read(0, 1, 1, at(1))),
            (Some(5), Some(6))
        );
        l.clear_range(2);
        assert_eq!(
            (l.read(0, 1, 0, at(1)), l.read(0, 1, 1, at(1))),
            (None, Some(6))
        );
        l.invalidate(0, 1);
        assert_eq!(
            l.read(0, 1, 1, at(1)),
            None,
            "a message drops every version"
        );
    }

    #[test]
    fn pubsub_messages_are_lost_at_their_rate_else_delayed_by_their_lag() {
        let lag = SimDuration::from_millis(50);
        let mut l = LocalCaches::new(
            &config(
                None,
                LocalInvalidation::PubSub {
                    lag: Distribution::Constant(lag),
                    loss: 0.1,
                },
            ),
            10,
            1,
            1,
            streams(),
        );
        assert!(l.has_pubsub());
        let n = 20_000;
        let lost = (0..n)
            .filter(|_| match l.deliver() {
                Delivery::Lost => true,
                Delivery::After(d) => {
                    assert_eq!(d, lag);
                    false
                }
            })
            .count();
        // Binomial: 0.1 +- 0.0021 over 20,000; allow four standard errors.
        assert!((lost as f64 / n as f64 - 0.1).abs() < 0.0085, "{lost}");
    }
}
