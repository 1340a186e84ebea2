//! `[local_cache]`: a local cache in each app instance, in front of the shared cache.

use super::*;
use crate::model::mitigation::write_path::check_loss;

pub(super) fn local_cache(
    raw: Option<&RawLocalCache>,
    clients: &ClientsConfig,
    cache: Option<&CacheConfig>,
) -> Result<Option<LocalCacheConfig>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let enabled = raw.enabled != Some(false);
    if enabled && cache.is_none() {
        return err(
            "local_cache",
            "stands in front of the shared cache, and there is none; set cache.enabled = true or local_cache.enabled = false",
        );
    }
    let capacity = raw
        .capacity
        .map(|c| {
            int_in(
                "local_cache.capacity",
                c,
                1,
                i32::MAX as i64,
                "entries per app instance",
            )
        })
        .transpose()?;
    let ttl = match raw.ttl {
        Some(t) => positive("local_cache.ttl", t.0, "time to live of a local copy")?,
        None => SimDuration::from_secs(10),
    };
    let latency = match &raw.latency {
        Some(l) => distribution("local_cache.latency", l)?,
        None => Distribution::Constant(SimDuration(1_000)),
    };
    let hot_keys = raw
        .hot_keys
        .map(|h| {
            int_in(
                "local_cache.hot_keys",
                h,
                1,
                clients.keyspace as i64,
                "the most popular keys cached locally, at most the keyspace",
            )
        })
        .transpose()?;
    let name = raw.invalidation.as_deref().unwrap_or("ttl_only");
    let invalidation = match name {
        "ttl_only" => LocalInvalidation::TtlOnly,
        "pubsub" => LocalInvalidation::PubSub {
            lag: match &raw.pubsub_lag {
                Some(l) => distribution("local_cache.pubsub_lag", l)?,
                None => {
                    return err(
                        "local_cache.pubsub_lag",
                        "is required for invalidation = \"pubsub\" (delivery lag of a message to one instance, for example \"20ms\")",
                    )
                }
            },
            loss: check_loss(raw.pubsub_loss.unwrap_or(0.0))
                .or_else(|m| err("local_cache.pubsub_loss", m))?,
        },
        other => {
            return err(
                "local_cache.invalidation",
                format!(
                    "`{}` is not allowed; use \"ttl_only\" (a local copy lives until its TTL) or \"pubsub\" (each write is published to every instance, after `pubsub_lag`, lost with probability `pubsub_loss`)",
                    crate::text::quote(other)
                ),
            )
        }
    };
    if !enabled {
        // Checked all the same: a strategy may switch it on.
        return Ok(None);
    }
    Ok(Some(LocalCacheConfig {
        capacity,
        ttl,
        latency,
        hot_keys,
        invalidation,
    }))
}
