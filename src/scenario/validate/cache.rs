//! `[cache]`: the cache cluster, how keys are placed on its nodes, and what the app does when
//! a node fails.

use super::*;

/// Most cache nodes.
pub(super) const MAX_NODES: i64 = 1024;
/// Most nodes in a gutter pool.
const MAX_GUTTER_NODES: i64 = 1000;

const PLACEMENTS: &str = "\"consistent\" (a hash ring with cache.vnodes points per node: a node \
     leaving moves only its own keys) or \"modulo\" (hash modulo the nodes in service: a node \
     leaving moves almost every key)";
const FAILOVERS: &str = "\"none\" (operations on a dead node fail until it comes back), \
     \"rehash\" (after cache.rehash_after its keys move to the other nodes) or \"gutter\" \
     (failed operations go to a small separate pool, cache.gutter)";

pub(super) fn cache(raw: &RawCache, clients: &ClientsConfig) -> Result<Option<CacheConfig>> {
    if raw.enabled == Some(false) {
        return Ok(None);
    }
    let nodes = int_in(
        "cache.nodes",
        raw.nodes.unwrap_or(1),
        1,
        MAX_NODES,
        "number of cache nodes",
    )?;
    let vnodes = int_in(
        "cache.vnodes",
        raw.vnodes.unwrap_or(160),
        1,
        10_000,
        "virtual nodes per cache node",
    )?;
    let capacity = raw
        .capacity
        .map(|c| capacity("cache.capacity", c))
        .transpose()?;
    let latency = match &raw.latency {
        Some(d) => distribution("cache.latency", d)?,
        None => Distribution::Constant(SimDuration(500_000)),
    };
    let ttl = positive(
        "cache.ttl",
        raw.ttl.map(|t| t.0).unwrap_or(SimDuration::from_secs(300)),
        "time to live of an entry",
    )?;
    let ttl_jitter = raw.ttl_jitter.unwrap_or(0.0);
    if !(0.0..=1.0).contains(&ttl_jitter) {
        return err(
            "cache.ttl_jitter",
            format!("must be a fraction of the TTL from 0 to 1 (0.2 = ±20%), got {ttl_jitter}"),
        );
    }
    let placement = placement(raw.placement.as_deref())?;
    let timeout = match raw.timeout {
        Some(t) => Some(positive(
            "cache.timeout",
            t.0,
            "the app's wait for one cache operation before it counts as failed",
        )?),
        None => None,
    };
    let failover = failover(raw)?;
    let node_ops_per_s = node_ops_per_s(raw.node_ops_per_s)?;
    let hot_key_replicas = raw
        .hot_key_replicas
        .as_ref()
        .map(|h| hot_key_replicas(h, clients.keyspace, nodes))
        .transpose()?;
    Ok(Some(CacheConfig {
        nodes,
        vnodes,
        capacity,
        latency,
        ttl,
        ttl_jitter,
        placement,
        timeout,
        failover,
        node_ops_per_s,
        hot_key_replicas,
    }))
}

/// `cache.placement`: how keys map to nodes.
fn placement(raw: Option<&str>) -> Result<Placement> {
    match raw.unwrap_or("consistent") {
        "consistent" => Ok(Placement::Consistent),
        "modulo" => Ok(Placement::Modulo),
        other => err(
            "cache.placement",
            format!(
                "`{}` is not allowed; use {PLACEMENTS}",
                crate::text::quote(other)
            ),
        ),
    }
}

/// `cache.failover`, with `rehash_after` and `gutter` (checked whichever failover is chosen:
/// a strategy may switch to it).
fn failover(raw: &RawCache) -> Result<Failover> {
    let rehash_after = raw.rehash_after.map_or(SimDuration::from_secs(1), |d| d.0);
    let gutter = raw.gutter.as_ref().map(gutter).transpose()?;
    match raw.failover.as_deref().unwrap_or("none") {
        "none" => Ok(Failover::None),
        "rehash" => Ok(Failover::Rehash {
            after: rehash_after,
        }),
        "gutter" => Ok(Failover::Gutter(gutter.unwrap_or(DEFAULT_GUTTER))),
        other => err(
            "cache.failover",
            format!(
                "`{}` is not allowed; use {FAILOVERS}",
                crate::text::quote(other)
            ),
        ),
    }
}

/// `cache.node_ops_per_s`: one node's throughput, unlimited when absent.
fn node_ops_per_s(raw: Option<f64>) -> Result<Option<f64>> {
    match raw {
        None => Ok(None),
        Some(v) if v.is_finite() && v > 0.0 && v <= 1e9 => Ok(Some(v)),
        Some(v) => err(
            "cache.node_ops_per_s",
            format!(
                "must be the operations per second one node serves, above 0 and at most \
                 1e9 (leave it out for unlimited), got {v}"
            ),
        ),
    }
}

/// The gutter pool of `failover = "gutter"` without a `cache.gutter` table.
const DEFAULT_GUTTER: GutterConfig = GutterConfig {
    nodes: 1,
    capacity: None,
    ttl: SimDuration::from_secs(10),
};

/// Entries per node before LRU eviction.
fn capacity(field: &str, c: i64) -> Result<u32> {
    int_in(
        field,
        c,
        1,
        i32::MAX as i64,
        "entries per node; leave it out for unbounded",
    )
}

/// `cache.gutter = { nodes = 1, capacity = 10000, ttl = "10s" }`, each optional.
fn gutter(raw: &RawGutter) -> Result<GutterConfig> {
    let nodes = int_in(
        "cache.gutter.nodes",
        raw.nodes.unwrap_or(DEFAULT_GUTTER.nodes as i64),
        1,
        MAX_GUTTER_NODES,
        "nodes in the gutter pool",
    )?;
    let capacity = raw
        .capacity
        .map(|c| capacity("cache.gutter.capacity", c))
        .transpose()?;
    let ttl = match raw.ttl {
        Some(t) => positive("cache.gutter.ttl", t.0, "time to live of a gutter entry")?,
        None => DEFAULT_GUTTER.ttl,
    };
    Ok(GutterConfig {
        nodes,
        capacity,
        ttl,
    })
}

/// `cache.hot_key_replicas = { keys = 10, replicas = 3 }`: both required.
fn hot_key_replicas(raw: &RawHotKeyReplicas, keyspace: u32, nodes: u32) -> Result<HotKeyReplicas> {
    const FORM: &str = "write cache.hot_key_replicas = { keys = 10, replicas = 3 }";
    let Some(keys) = raw.keys else {
        return err(
            "cache.hot_key_replicas.keys",
            format!("is required: how many of the most popular keys are replicated; {FORM}"),
        );
    };
    let keys = int_in(
        "cache.hot_key_replicas.keys",
        keys,
        1,
        keyspace as i64,
        "the most popular keys replicated, at most clients.keyspace",
    )?;
    let Some(replicas) = raw.replicas else {
        return err(
            "cache.hot_key_replicas.replicas",
            format!("is required: nodes holding each of those keys; {FORM}"),
        );
    };
    let replicas = int_in(
        "cache.hot_key_replicas.replicas",
        replicas,
        1,
        nodes as i64,
        "nodes holding each replicated key, at most cache.nodes",
    )?;
    Ok(HotKeyReplicas { keys, replicas })
}
