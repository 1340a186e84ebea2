//! Checked advice: for each failure mode, the mitigations `cachestorm diagnose` switches on to
//! try them, each at one documented default setting, as the scenario overrides it applies.
//!
//! A setting here is what a strategy of a scenario file would write (`mitigations.coalescing =
//! true`), applied over the diagnosed strategy's own world, so every mitigation is checked by the
//! same validation as a file and runs on the same seeds (common random numbers). The defaults are
//! those the shipped scenarios use for the same mitigation. An entry whose setting depends on the
//! scenario itself (a rate, a timeline event) is [`Advice::manual`]: it is named, never tried, and
//! said to be so.

use super::Mode;

/// One mitigation to try, at its default setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Advice {
    /// Short name, also the name of its strategy in the rerun.
    pub name: &'static str,
    /// What it does at this setting, in one line.
    pub about: &'static str,
    /// The overrides it applies over the diagnosed strategy: (field path, TOML value), as
    /// `sweep --set` and a strategy's table set them.
    pub settings: &'static [(&'static str, &'static str)],
    /// A part of the scenario it needs (a field path that must be set), if any: without it the
    /// mitigation does not apply.
    pub needs: Option<&'static str>,
    /// Why it is not tried automatically (its setting depends on the scenario), if so.
    pub manual: Option<&'static str>,
}

const fn tried(
    name: &'static str,
    about: &'static str,
    settings: &'static [(&'static str, &'static str)],
    needs: Option<&'static str>,
) -> Advice {
    Advice {
        name,
        about,
        settings,
        needs,
        manual: None,
    }
}

const fn manual(name: &'static str, why: &'static str) -> Advice {
    Advice {
        name,
        about: why,
        settings: &[],
        needs: None,
        manual: Some(why),
    }
}

const COALESCING: Advice = tried(
    "coalescing",
    "concurrent misses for one key on one app instance share one query",
    &[("mitigations.coalescing", "true")],
    None,
);
const LOCK: Advice = tried(
    "lock",
    "SETNX lock with a 2 s TTL; others poll every 20 ms up to 25 times, then serve stale",
    &[("mitigations.lock", "{ ttl = \"2s\" }")],
    None,
);
const LEASE: Advice = tried(
    "lease",
    "memcache lease, one token per key per 10 s; refused readers get the stale value",
    &[("mitigations.lease", "{ period = \"10s\" }")],
    None,
);
const STALE_WHILE_REVALIDATE: Advice = tried(
    "stale-while-revalidate",
    "entries expired less than 10 s ago are served while one background refresh runs",
    &[(
        "mitigations.stale_while_revalidate",
        "{ max_stale = \"10s\" }",
    )],
    None,
);
const XFETCH: Advice = tried(
    "xfetch",
    "probabilistic early expiration, beta = 1",
    &[("mitigations.early_expiration", "{ beta = 1.0 }")],
    None,
);
const TTL_JITTER: Advice = tried(
    "ttl-jitter",
    "TTLs drawn uniformly within ±20%",
    &[("cache.ttl_jitter", "0.2")],
    Some("cache"),
);
const REFRESH_AHEAD: Advice = tried(
    "refresh-ahead",
    "a read with less than 20% of the TTL left refreshes the key in the background",
    &[("mitigations.refresh_ahead", "{ fraction = 0.2 }")],
    None,
);
const NEGATIVE_CACHING: Advice = tried(
    "negative-caching",
    "\"not found\" answers cached for 60 s",
    &[("mitigations.negative_caching", "{ ttl = \"60s\" }")],
    None,
);
const BLOOM_FILTER: Advice = tried(
    "bloom-filter",
    "a Bloom filter of the existing keys (1% false positives) in front of the database",
    &[("mitigations.bloom_filter", "{ false_positive_rate = 0.01 }")],
    None,
);
const PUBSUB: Advice = tried(
    "pubsub-invalidation",
    "each change published to every app instance's local cache",
    &[("local_cache.invalidation", "\"pubsub\"")],
    Some("local_cache"),
);
const VERSIONED_SETS: Advice = tried(
    "versioned-sets",
    "compare-and-set on the version: an older value never replaces a newer one",
    &[("mitigations.versioned_sets", "true")],
    None,
);
const DELETE_ON_WRITE: Advice = tried(
    "delete-on-write",
    "a write deletes the key from the cache after its commit",
    &[("writes.path", "\"delete\"")],
    Some("writes"),
);
const DOUBLE_DELETE: Advice = tried(
    "double-delete",
    "a second delete 500 ms after the commit",
    &[("mitigations.double_delete", "\"500ms\"")],
    Some("writes"),
);
const CIRCUIT_BREAKER: Advice = tried(
    "circuit-breaker",
    "a breaker per app instance and cache node: 5 failures in 1 s open it for 5 s",
    &[("mitigations.circuit_breaker", "{}")],
    None,
);
const STALE_ON_ERROR: Advice = tried(
    "stale-on-error",
    "a failed cache read serves the instance's local copy",
    &[("mitigations.stale_on_error", "true")],
    Some("local_cache"),
);
const HEDGE: Advice = tried(
    "hedge",
    "a cache read not answered after 5 ms gets a second read (at most 5% of reads)",
    &[("mitigations.hedge", "{ after = \"5ms\" }")],
    None,
);
const REHASH: Advice = tried(
    "failover-rehash",
    "a dead node is taken out of the placement, its keys move to the others",
    &[("cache.failover", "\"rehash\"")],
    Some("cache"),
);
const LOCK_TTL: Advice = tried(
    "lock-ttl",
    "the lock frees itself 2 s after it was taken, even if its holder died",
    &[("mitigations.lock.ttl", "\"2s\"")],
    Some("mitigations.lock"),
);
const RETRY_BUDGET: Advice = tried(
    "retry-budget",
    "a retry costs 10 tokens of a bucket of 100, a success refunds 1",
    &[(
        "retries.budget",
        "{ capacity = 100, cost = 10, refund = 1 }",
    )],
    Some("retries"),
);
const BACKOFF: Advice = tried(
    "backoff-jitter",
    "exponential backoff from 100 ms with full jitter",
    &[
        ("retries.backoff", "\"exponential\""),
        ("retries.base", "\"100ms\""),
        ("retries.jitter", "\"full\""),
    ],
    Some("retries"),
);
const DB_BREAKER: Advice = tried(
    "db-breaker",
    "a breaker per app instance on the database: 20 queries failed or slower than 500 ms in 1 s open it for 2 s",
    &[(
        "mitigations.db_breaker",
        "{ failures = 20, window = \"1s\", cool_down = \"2s\", probes = 5, slow = \"500ms\" }",
    )],
    None,
);
const THROTTLING: Advice = tried(
    "adaptive-throttling",
    "clients reject attempts themselves once fewer than one in two succeed (k = 2, over 10 s)",
    &[(
        "mitigations.adaptive_throttling",
        "{ k = 2, window = \"10s\" }",
    )],
    None,
);
const CANCEL_ABANDONED: Advice = tried(
    "cancel-abandoned",
    "a client's timeout cancels its queued database query",
    &[("app.cancel_abandoned", "true")],
    None,
);
const QUEUE_TIMEOUT: Advice = tried(
    "db-queue-timeout",
    "queries that waited 1 s for the database are dropped",
    &[("db.queue_timeout", "\"1s\"")],
    None,
);
const SHEDDING: Advice = tried(
    "load-shedding",
    "newest request first; requests that waited past 50 ms (500 ms without a standing queue) are shed",
    &[
        ("app.queue", "\"lifo\""),
        ("app.shedding", "{ target = \"50ms\", interval = \"500ms\" }"),
    ],
    Some("app.workers"),
);
const WARM_UP: Advice = manual(
    "deploy or node warm-up",
    "warmup_top and warmup_rate belong to the timeline event that empties the cache and depend on its keys and the database's spare capacity: set them on that [[timeline]] entry",
);
const RATE_LIMIT: Advice = manual(
    "rate-limit",
    "mitigations.rate_limit.rate must fit the database's spare capacity per app instance",
);
const FEWER_KEYS: Advice = manual(
    "fewer keys per request",
    "clients.fanout and clients.optional_keys change what a request needs, not how the cache serves it",
);

/// The mitigations `diagnose` tries for `mode`, in order.
pub fn for_mode(mode: Mode) -> &'static [Advice] {
    match mode {
        Mode::CongestiveCollapse => &[
            QUEUE_TIMEOUT,
            CANCEL_ABANDONED,
            SHEDDING,
            DB_BREAKER,
            THROTTLING,
        ],
        Mode::RetryStorm => &[
            RETRY_BUDGET,
            BACKOFF,
            DB_BREAKER,
            THROTTLING,
            CANCEL_ABANDONED,
        ],
        Mode::AbandonedLock => &[LOCK_TTL, LEASE, STALE_WHILE_REVALIDATE],
        Mode::Dependency => &[CIRCUIT_BREAKER, STALE_ON_ERROR, HEDGE, REHASH],
        Mode::Penetration => &[NEGATIVE_CACHING, BLOOM_FILTER],
        Mode::Consistency => &[PUBSUB, VERSIONED_SETS],
        Mode::Freshness => &[DELETE_ON_WRITE, DOUBLE_DELETE, VERSIONED_SETS],
        Mode::HotKeyHerd => &[COALESCING, LOCK, LEASE, STALE_WHILE_REVALIDATE, XFETCH],
        Mode::SynchronisedExpiry => &[TTL_JITTER, XFETCH, REFRESH_AHEAD],
        Mode::ColdCache => &[COALESCING, WARM_UP, RATE_LIMIT],
        Mode::FanOut => &[FEWER_KEYS],
        Mode::HiddenOverload => &[TTL_JITTER, XFETCH],
    }
}

/// The summary figure (a column of `summary.csv`) that shows `mode`, whose change says whether
/// a mitigation helped.
pub fn figure(mode: Mode) -> &'static str {
    match mode {
        Mode::CongestiveCollapse => "goodput_per_s",
        Mode::RetryStorm => "retry_amplification",
        Mode::AbandonedLock | Mode::Dependency => "error_ratio",
        Mode::Penetration => "db_queries_absent",
        Mode::Consistency => "local_differs_ratio",
        Mode::Freshness => "outdated_ratio",
        Mode::HotKeyHerd => "herd_max",
        Mode::SynchronisedExpiry => "peak_db_queries_per_s",
        Mode::ColdCache => "worst_p99_latency_ms",
        Mode::FanOut => "all_hit_ratio",
        Mode::HiddenOverload => "peak_db_queue",
    }
}

/// A setting's value as TOML (the texts above are checked by a test).
pub fn value(text: &str) -> toml::Value {
    let table: toml::Table = format!("v = {text}")
        .parse()
        .unwrap_or_else(|e| panic!("advice value `{text}` is not TOML: {e}"));
    table["v"].clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_is_toml_on_a_valid_path_and_every_figure_a_summary_column() {
        for mode in Mode::ALL {
            let figure = figure(mode);
            assert!(
                crate::metrics::columns::summary_columns().any(|c| c.name == figure),
                "{mode:?}: {figure}"
            );
            assert!(!for_mode(mode).is_empty(), "{mode:?}");
            for a in for_mode(mode) {
                assert_eq!(a.settings.is_empty(), a.manual.is_some(), "{}", a.name);
                let mut doc = toml::Table::new();
                for (path, text) in a.settings {
                    crate::scenario::overrides::apply(&mut doc, path, value(text))
                        .unwrap_or_else(|e| panic!("{}: {e}", a.name));
                }
            }
        }
    }

    #[test]
    fn a_herd_is_offered_coalescing_a_lock_a_lease_and_stale_while_revalidate() {
        let names: Vec<&str> = for_mode(Mode::HotKeyHerd).iter().map(|a| a.name).collect();
        for wanted in ["coalescing", "lock", "lease", "stale-while-revalidate"] {
            assert!(names.contains(&wanted), "{names:?}");
        }
    }
}
