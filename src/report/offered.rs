//! The mitigations a verdict offers a strategy ([`Mode::mitigations`]), each marked where the
//! strategy's configuration already has it on: the diagnosis knows the failure modes, the
//! model's configuration says what is on, and this joins the two for the page.

use crate::diagnose::Mode;
use crate::model::retry::Backoff;
use crate::model::{Failover, LocalInvalidation, LockKind, ModelConfig, TimelineAction};

/// [`Mode::mitigations`] of `mode` as offered to a strategy configured as `config`: each one it
/// already has on ([`mitigation_on`]) followed by ` (on here)`; the others, and every one
/// without a config, as they are.
pub fn mitigations_for(mode: Mode, config: Option<&ModelConfig>) -> Vec<String> {
    mode.mitigations()
        .iter()
        .map(|m| match config.and_then(|c| mitigation_on(c, m)) {
            Some(true) => format!("{m} (on here)"),
            _ => (*m).to_string(),
        })
        .collect()
}

/// Whether `config` already has `setting` (one of [`Mode::mitigations`], named by its text
/// before ` (`) on: `Some(true)` or `Some(false)`, or `None` for a setting no config can say
/// (a shorter TTL, more capacity, the write path, fewer keys per request).
pub fn mitigation_on(config: &ModelConfig, setting: &str) -> Option<bool> {
    let key = setting.split(" (").next().unwrap_or(setting);
    let m = &config.mitigations;
    let cache = config.cache.as_ref();
    let retries = config.retries.as_ref();
    let lock = |kind: LockKind| m.lock.is_some_and(|l| l.kind == kind);
    let mut deploys = config.timeline.iter().filter_map(|e| match &e.action {
        TimelineAction::Deploy(d) => Some(d),
        _ => None,
    });
    Some(match key {
        "db.queue_limit" => config.db.queue_limit.is_some(),
        "db.queue_timeout" => config.db.queue_timeout.is_some(),
        "app.cancel_abandoned" => config.app.cancel_abandoned,
        "app.shedding" => config.app.shedding.is_some(),
        "mitigations.db_breaker" => m.db_breaker.is_some(),
        "mitigations.adaptive_throttling" => m.adaptive_throttling.is_some(),
        "retries.budget" => retries.is_some_and(|r| r.budget.is_some()),
        "retries.backoff with jitter" => {
            retries.is_some_and(|r| r.jitter && r.backoff != Backoff::None)
        }
        "a lock TTL" => m
            .lock
            .is_some_and(|l| l.kind == LockKind::Lock && l.ttl.is_some()),
        "mitigations.lock" => lock(LockKind::Lock),
        "mitigations.lease" => lock(LockKind::Lease),
        "mitigations.stale_while_revalidate" => m.stale_while_revalidate.is_some(),
        "cache.timeout" => cache.is_some_and(|c| c.timeout.is_some()),
        "mitigations.circuit_breaker" => m.circuit_breaker.is_some(),
        "cache.failover" => cache.is_some_and(|c| c.failover != Failover::None),
        "cache.hot_key_replicas" => cache.is_some_and(|c| c.hot_key_replicas.is_some()),
        "mitigations.hedge" => m.hedge.is_some(),
        "mitigations.stale_on_error" => m.stale_on_error,
        "mitigations.negative_caching" => m.negative_ttl.is_some(),
        "mitigations.bloom_filter" => m.bloom_false_positive.is_some(),
        "local_cache.invalidation = \"pubsub\"" => config
            .local_cache
            .as_ref()
            .is_some_and(|l| matches!(l.invalidation, LocalInvalidation::PubSub { .. })),
        "mitigations.versioned_sets" => m.versioned_sets,
        "mitigations.double_delete" => m.double_delete.is_some(),
        "mitigations.coalescing" => m.coalescing,
        "mitigations.early_expiration" => m.early_expiration.is_some(),
        "mitigations.refresh_ahead" => m.refresh_ahead.is_some(),
        "cache.ttl_jitter" => cache.is_some_and(|c| c.ttl_jitter > 0.0),
        "mitigations.rate_limit" => m.rate_limit.is_some(),
        "deploy warmup_top / warmup_rate" => deploys.any(|d| d.warmup.is_some()),
        "deploy waves" => deploys.any(|d| d.waves > 1),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mitigations_a_strategy_already_has_on_are_marked_so() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/avalanche.toml");
        let scenario = crate::scenario::load(&path).expect("avalanche loads");
        let config = |name: &str| {
            &scenario
                .strategies
                .iter()
                .find(|s| s.name == name)
                .expect(name)
                .config
        };
        let (fixed, xfetch) = (config("fixed-ttl"), config("jitter+xfetch"));
        let early = "mitigations.early_expiration";
        assert_eq!(mitigation_on(fixed, early), Some(false));
        assert_eq!(mitigation_on(xfetch, early), Some(true));
        assert_eq!(
            mitigation_on(xfetch, "cache.ttl_jitter (spreads them)"),
            Some(true)
        );
        assert_eq!(mitigation_on(fixed, "cache.ttl_jitter"), Some(false));
        assert_eq!(mitigation_on(xfetch, "a shorter cache.ttl"), None);
        let offered = |c| mitigations_for(Mode::SynchronisedExpiry, Some(c));
        assert_eq!(
            offered(xfetch),
            [
                "cache.ttl_jitter (on here)",
                "mitigations.early_expiration (on here)",
                "mitigations.refresh_ahead"
            ]
        );
        assert_eq!(offered(fixed), Mode::SynchronisedExpiry.mitigations());
        assert_eq!(
            mitigations_for(Mode::SynchronisedExpiry, None),
            Mode::SynchronisedExpiry.mitigations()
        );
        // Settings of other sections are read too: avalanche's database drops queries that
        // waited 500 ms.
        assert_eq!(
            mitigation_on(fixed, "db.queue_timeout (drops them)"),
            Some(true)
        );
        assert_eq!(mitigation_on(fixed, "db.queue_limit"), Some(false));
        // Every setting is judged but those no config can say, so a misspelt key (judged
        // `None`) fails here.
        let unjudged = [
            "writes.path (delete or update on write)",
            "a shorter local_cache.ttl",
            "a shorter cache.ttl",
            "fewer keys per request (clients.fanout)",
            "clients.optional_keys",
            "a larger cache or longer cache.ttl",
            "more database capacity (db.slots)",
        ];
        for mode in Mode::ALL {
            for m in mode.mitigations() {
                let judged = mitigation_on(fixed, m);
                assert_eq!(judged.is_none(), unjudged.contains(m), "{mode:?}: {m}");
            }
        }
    }
}
