//! The scenario file as written: serde structs that mirror the TOML, with no checks beyond types.
//!
//! Every struct denies unknown fields, so a typo is an error naming the field rather than a
//! silently ignored setting. [`super::validate`] turns these into a checked
//! [`crate::model::ModelConfig`].

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, value::MapAccessDeserializer, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::duration::HumanDuration;

/// The top level of a scenario file (without its `strategies`, which are read separately).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub seed: u64,
    pub duration: HumanDuration,
    pub bucket: Option<HumanDuration>,
    /// `true`, `false` or a duration: checked by the validator.
    pub drain: Option<toml::Value>,
    pub clients: RawClients,
    #[serde(default)]
    pub app: RawApp,
    #[serde(default)]
    pub cache: RawCache,
    pub db: RawDb,
    pub writes: Option<RawWrites>,
    pub local_cache: Option<RawLocalCache>,
    #[serde(default)]
    pub mitigations: RawMitigations,
    pub retries: Option<RawRetries>,
    #[serde(default)]
    pub timeline: Vec<RawTimelineEvent>,
    #[serde(default)]
    pub limits: RawLimits,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClients {
    pub rps: Option<f64>,
    pub keyspace: Option<i64>,
    pub popularity: Option<StringOrTable<RawPopularity>>,
    pub fanout: Option<i64>,
    pub timeout: Option<HumanDuration>,
    pub absent_share: Option<f64>,
    pub absent_keys: Option<i64>,
    pub optional_keys: Option<i64>,
    pub trace: Option<RawTrace>,
}

/// `[clients.trace]`: a recorded trace replayed instead of the synthetic clients.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrace {
    pub path: String,
    pub format: String,
    pub columns: Option<RawTraceColumns>,
    pub time_unit: Option<String>,
    pub speed: Option<f64>,
    pub start: Option<HumanDuration>,
    pub length: Option<HumanDuration>,
    pub ttl: Option<bool>,
    pub fill_window: Option<HumanDuration>,
    pub keys: Option<RawTraceKeys>,
}

/// `clients.trace.keys = { fraction = 0.1, seed = 7 }`: replay a sample of the keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTraceKeys {
    pub fraction: f64,
    pub seed: Option<u64>,
}

/// `[clients.trace.columns]`: the header names of a CSV trace's columns.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTraceColumns {
    pub time: String,
    pub key: String,
    pub op: Option<String>,
    pub size: Option<String>,
    pub ttl: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPopularity {
    pub dist: String,
    pub s: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApp {
    pub instances: Option<i64>,
    pub workers: Option<i64>,
    pub queue_limit: Option<i64>,
    pub discard_abandoned: Option<bool>,
    pub queue: Option<String>,
    pub shedding: Option<RawShedding>,
    pub cancel_abandoned: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawShedding {
    pub target: Option<HumanDuration>,
    pub interval: Option<HumanDuration>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCache {
    pub enabled: Option<bool>,
    pub nodes: Option<i64>,
    pub vnodes: Option<i64>,
    pub capacity: Option<i64>,
    pub latency: Option<StringOrTable<RawDistribution>>,
    pub ttl: Option<HumanDuration>,
    pub ttl_jitter: Option<f64>,
    pub placement: Option<String>,
    pub timeout: Option<HumanDuration>,
    pub failover: Option<String>,
    pub rehash_after: Option<HumanDuration>,
    pub gutter: Option<RawGutter>,
    pub node_ops_per_s: Option<f64>,
    pub hot_key_replicas: Option<RawHotKeyReplicas>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGutter {
    pub nodes: Option<i64>,
    pub capacity: Option<i64>,
    pub ttl: Option<HumanDuration>,
}

/// Both fields are required; they are optional here so that the validator can say what each
/// one means when it is missing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHotKeyReplicas {
    pub keys: Option<i64>,
    pub replicas: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDb {
    pub slots: i64,
    pub service: StringOrTable<RawDistribution>,
    pub queue_limit: Option<i64>,
    pub queue_timeout: Option<HumanDuration>,
    pub error_rate: Option<f64>,
    pub degradation: Option<RawDegradation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDegradation {
    pub knee: Option<i64>,
    pub per_query: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLocalCache {
    pub enabled: Option<bool>,
    pub capacity: Option<i64>,
    pub ttl: Option<HumanDuration>,
    pub latency: Option<StringOrTable<RawDistribution>>,
    pub hot_keys: Option<i64>,
    pub invalidation: Option<String>,
    pub pubsub_lag: Option<StringOrTable<RawDistribution>>,
    pub pubsub_loss: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWrites {
    pub rate: Option<f64>,
    pub share: Option<f64>,
    pub popularity: Option<StringOrTable<RawPopularity>>,
    pub service: Option<StringOrTable<RawDistribution>>,
    pub path: Option<String>,
    pub event_lag: Option<StringOrTable<RawDistribution>>,
    pub event_loss: Option<f64>,
    pub flush_interval: Option<HumanDuration>,
    pub flush_batch: Option<i64>,
    pub bypass: Option<f64>,
    pub creates: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMitigations {
    pub coalescing: Option<bool>,
    pub early_expiration: Option<RawEarlyExpiration>,
    pub refresh_ahead: Option<RawRefreshAhead>,
    pub stale_while_revalidate: Option<RawStaleWhileRevalidate>,
    pub lock: Option<RawLock>,
    pub lease: Option<RawLease>,
    pub rate_limit: Option<RawRateLimit>,
    pub double_delete: Option<HumanDuration>,
    pub versioned_sets: Option<bool>,
    pub negative_caching: Option<RawNegativeCaching>,
    pub bloom_filter: Option<RawBloomFilter>,
    pub circuit_breaker: Option<RawCircuitBreaker>,
    pub hedge: Option<RawHedge>,
    pub stale_on_error: Option<bool>,
    pub adaptive_throttling: Option<RawAdaptiveThrottling>,
    pub db_breaker: Option<RawDbBreaker>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdaptiveThrottling {
    pub k: Option<f64>,
    pub window: Option<HumanDuration>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDbBreaker {
    pub failures: Option<i64>,
    pub window: Option<HumanDuration>,
    pub cool_down: Option<HumanDuration>,
    pub probes: Option<i64>,
    pub slow: Option<HumanDuration>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHedge {
    pub after: HumanDuration,
    pub max_share: Option<f64>,
    pub burst: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCircuitBreaker {
    pub failures: Option<i64>,
    pub window: Option<HumanDuration>,
    pub cool_down: Option<HumanDuration>,
    pub probes: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNegativeCaching {
    pub ttl: HumanDuration,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBloomFilter {
    pub false_positive_rate: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEarlyExpiration {
    pub beta: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRefreshAhead {
    pub fraction: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStaleWhileRevalidate {
    pub max_stale: HumanDuration,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLock {
    /// A duration, or "none" for a lock that is never released if its holder dies.
    pub ttl: String,
    pub retry_interval: Option<HumanDuration>,
    pub max_retries: Option<i64>,
    pub fallback: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLease {
    pub period: Option<HumanDuration>,
    pub retry_interval: Option<HumanDuration>,
    pub max_retries: Option<i64>,
    pub serve_stale: Option<bool>,
    pub fallback: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRateLimit {
    pub rate: f64,
    pub burst: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetries {
    pub by: Option<String>,
    pub attempts: Option<i64>,
    pub backoff: Option<String>,
    pub base: Option<HumanDuration>,
    pub max: Option<HumanDuration>,
    pub jitter: Option<String>,
    pub on: Option<Vec<String>>,
    pub deadline: Option<HumanDuration>,
    pub budget: Option<RawRetryBudget>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetryBudget {
    pub capacity: Option<f64>,
    pub cost: Option<f64>,
    pub refund: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDistribution {
    pub dist: String,
    pub value: Option<HumanDuration>,
    pub mean: Option<HumanDuration>,
    pub median: Option<HumanDuration>,
    pub p99: Option<HumanDuration>,
    pub min: Option<HumanDuration>,
    pub max: Option<HumanDuration>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTimelineEvent {
    pub at: HumanDuration,
    pub action: String,
    pub node: Option<i64>,
    pub top: Option<i64>,
    pub ttl: Option<HumanDuration>,
    pub rps: Option<f64>,
    pub rate: Option<f64>,
    pub ramp: Option<HumanDuration>,
    pub key: Option<i64>,
    pub waves: Option<i64>,
    pub wave_interval: Option<HumanDuration>,
    pub warmup_top: Option<i64>,
    pub warmup_rate: Option<f64>,
    pub warmup_lead: Option<HumanDuration>,
    pub warmup_max: Option<HumanDuration>,
    pub factor: Option<f64>,
    pub share: Option<f64>,
    pub lasting: Option<HumanDuration>,
}

impl RawTimelineEvent {
    /// Whether each field besides `at` and `action` is set, in the order an error about a
    /// field the action does not take looks for one.
    pub fn fields_set(&self) -> [(&'static str, bool); 16] {
        [
            ("node", self.node.is_some()),
            ("top", self.top.is_some()),
            ("ttl", self.ttl.is_some()),
            ("rps", self.rps.is_some()),
            ("rate", self.rate.is_some()),
            ("ramp", self.ramp.is_some()),
            ("key", self.key.is_some()),
            ("waves", self.waves.is_some()),
            ("wave_interval", self.wave_interval.is_some()),
            ("warmup_top", self.warmup_top.is_some()),
            ("warmup_rate", self.warmup_rate.is_some()),
            ("warmup_lead", self.warmup_lead.is_some()),
            ("warmup_max", self.warmup_max.is_some()),
            ("factor", self.factor.is_some()),
            ("share", self.share.is_some()),
            ("lasting", self.lasting.is_some()),
        ]
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    pub max_in_flight: Option<i64>,
}

/// A field written either as a short string (`"5ms"`, `"uniform"`) or as a table.
#[derive(Debug)]
pub enum StringOrTable<T> {
    /// The short form.
    Text(String),
    /// The table form.
    Table(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for StringOrTable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = StringOrTable<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a table")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StringOrTable::Text(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(StringOrTable::Table)
            }
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}
