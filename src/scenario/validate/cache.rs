//! `[cache]`: the cache cluster.

use super::*;

pub(super) fn cache(raw: &RawCache) -> Result<Option<CacheConfig>> {
    if raw.enabled == Some(false) {
        return Ok(None);
    }
    let nodes = int_in(
        "cache.nodes",
        raw.nodes.unwrap_or(1),
        1,
        1024,
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
        .map(|c| {
            int_in(
                "cache.capacity",
                c,
                1,
                i32::MAX as i64,
                "entries per node; leave it out for unbounded",
            )
        })
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
    Ok(Some(CacheConfig {
        nodes,
        vnodes,
        capacity,
        latency,
        ttl,
        ttl_jitter,
    }))
}
