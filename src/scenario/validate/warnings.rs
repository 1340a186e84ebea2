//! Settings that validate but do nothing.
//!
//! One function per concern, each returning its warnings; [`warnings`] chains them in a fixed
//! order.

use super::timeline::Action;
use super::*;

/// One concern's check: the warnings it finds in a scenario and its validated config.
type Concern = fn(&RawScenario, &ModelConfig) -> Vec<FieldError>;

/// The concerns, in the order their warnings are shown.
const CONCERNS: &[Concern] = &[
    disabled_cache,
    cache_failover,
    mitigations_without_their_part,
    absent_keys_never_asked,
    local_cache,
    absent_key_mitigations,
    double_delete,
    write_path_fields,
    no_writes,
    app_queue,
    retries,
    timeline_entries,
    restores_of_live_nodes,
];

/// Settings that validate but do nothing in this configuration: each as (field, why). Not
/// errors, since a strategy often inherits them from the base (a "no cache" strategy keeps the
/// base's preload), but worth a word before the run.
pub fn warnings(raw: &RawScenario, config: &ModelConfig) -> Vec<FieldError> {
    CONCERNS.iter().flat_map(|c| c(raw, config)).collect()
}

fn warning(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// One warning `{section}.{name}: {message}` for each field of `fields` that is set.
fn each_set(section: &str, fields: &[(&str, bool)], message: &str) -> Vec<FieldError> {
    fields
        .iter()
        .filter(|(_, is_set)| *is_set)
        .map(|(name, _)| warning(format!("{section}.{name}"), message))
        .collect()
}

/// `[cache]` settings while the cache is disabled.
fn disabled_cache(raw: &RawScenario, config: &ModelConfig) -> Vec<FieldError> {
    if config.cache.is_some() {
        return Vec::new();
    }
    let c = &raw.cache;
    let set = [
        ("nodes", c.nodes.is_some()),
        ("vnodes", c.vnodes.is_some()),
        ("capacity", c.capacity.is_some()),
        ("latency", c.latency.is_some()),
        ("ttl", c.ttl.is_some()),
        ("ttl_jitter", c.ttl_jitter.is_some()),
        ("placement", c.placement.is_some()),
        ("timeout", c.timeout.is_some()),
        ("failover", c.failover.is_some()),
        ("rehash_after", c.rehash_after.is_some()),
        ("gutter", c.gutter.is_some()),
        ("node_ops_per_s", c.node_ops_per_s.is_some()),
        ("hot_key_replicas", c.hot_key_replicas.is_some()),
    ];
    each_set(
        "cache",
        &set,
        "does nothing: the cache is disabled (cache.enabled = false)",
    )
}

/// Failover settings of another failover, and a failover with no failure to act on.
fn cache_failover(raw: &RawScenario, config: &ModelConfig) -> Vec<FieldError> {
    let Some(cache) = &config.cache else {
        return Vec::new();
    };
    let raw = &raw.cache;
    let mut found = Vec::new();
    if raw.rehash_after.is_some() && !matches!(cache.failover, Failover::Rehash { .. }) {
        found.push(warning(
            "cache.rehash_after",
            "does nothing: it applies only to failover = \"rehash\"",
        ));
    }
    if raw.gutter.is_some() && !matches!(cache.failover, Failover::Gutter(_)) {
        found.push(warning(
            "cache.gutter",
            "does nothing: it applies only to failover = \"gutter\"",
        ));
    }
    let any = |f: fn(&TimelineAction) -> bool| config.timeline.iter().any(|e| f(&e.action));
    let kills = any(|a| matches!(a, TimelineAction::KillNode { .. }));
    // A gutter also takes reads that a dropping node or the timeout failed.
    let other_failures =
        cache.timeout.is_some() || any(|a| matches!(a, TimelineAction::DropNode { .. }));
    let inert = match cache.failover {
        Failover::None => false,
        Failover::Rehash { .. } => !kills,
        Failover::Gutter(_) => !kills && !other_failures,
    };
    if inert {
        found.push(warning(
            "cache.failover",
            format!(
                "\"{}\" does nothing: no kill_node in the timeline, so no node ever dies{}",
                raw.failover.as_deref().unwrap_or_default(),
                if matches!(cache.failover, Failover::Gutter(_)) {
                    ", and no read can fail otherwise (no drop_node, no cache.timeout)"
                } else {
                    ""
                }
            ),
        ));
    }
    found
}

/// `stale_on_error` without a local cache, `versioned_sets` without writes, a database
/// breaker that nothing can open.
fn mitigations_without_their_part(_: &RawScenario, config: &ModelConfig) -> Vec<FieldError> {
    let mut found = Vec::new();
    if config.mitigations.stale_on_error && config.local_cache.is_none() {
        found.push(warning(
            "mitigations.stale_on_error",
            "does nothing: there is no local cache ([local_cache]) to serve a copy from",
        ));
    }
    if config.mitigations.versioned_sets && config.writes.is_none() {
        found.push(warning(
            "mitigations.versioned_sets",
            "does nothing: without [writes] every value has the same version",
        ));
    }
    let db = &config.db;
    let db_can_fail = db.error_rate > 0.0 || db.queue_limit.is_some() || db.queue_timeout.is_some();
    if config
        .mitigations
        .db_breaker
        .is_some_and(|b| b.slow.is_none() && !db_can_fail)
    {
        found.push(warning(
            "mitigations.db_breaker",
            "does nothing: no database query can fail (no db.error_rate, db.queue_limit or db.queue_timeout) and no `slow` is set, so the breaker never opens",
        ));
    }
    found
}

/// `clients.absent_keys` when no read asks for an absent key.
fn absent_keys_never_asked(raw: &RawScenario, config: &ModelConfig) -> Vec<FieldError> {
    if config.clients.absent_share == 0.0 && raw.clients.absent_keys.is_some() {
        vec![warning(
            "clients.absent_keys",
            "does nothing: no read asks for an absent key (clients.absent_share is 0)",
        )]
    } else {
        Vec::new()
    }
}

/// `[local_cache]` settings while it is disabled, pub/sub settings without pub/sub, and
/// pub/sub without writes to publish.
fn local_cache(raw: &RawScenario, config: &ModelConfig) -> Vec<FieldError> {
    let Some(l) = &raw.local_cache else {
        return Vec::new();
    };
    if config.local_cache.is_none() {
        let set = [
            ("capacity", l.capacity.is_some()),
            ("ttl", l.ttl.is_some()),
            ("latency", l.latency.is_some()),
            ("hot_keys", l.hot_keys.is_some()),
            ("invalidation", l.invalidation.is_some()),
            ("pubsub_lag", l.pubsub_lag.is_some()),
            ("pubsub_loss", l.pubsub_loss.is_some()),
        ];
        return each_set(
            "local_cache",
            &set,
            "does nothing: the local cache is disabled (local_cache.enabled = false)",
        );
    }
    if l.invalidation.as_deref() != Some("pubsub") {
        let set = [
            ("pubsub_lag", l.pubsub_lag.is_some()),
            ("pubsub_loss", l.pubsub_loss.is_some()),
        ];
        return each_set(
            "local_cache",
            &set,
            "does nothing: it applies only to invalidation = \"pubsub\"",
        );
    }
    if config.writes.is_none() {
        return vec![warning(
            "local_cache.invalidation",
            "\"pubsub\" does nothing without [writes]: there are no changes to publish",
        )];
    }
    Vec::new()
}

/// Mitigations for reads of absent keys when there are none.
fn absent_key_mitigations(raw: &RawScenario, config: &ModelConfig) -> Vec<FieldError> {
    if config.clients.absent_share != 0.0 {
        return Vec::new();
    }
    let m = &raw.mitigations;
    let set = [
        ("negative_caching", m.negative_caching.is_some()),
        ("bloom_filter", m.bloom_filter.is_some()),
    ];
    each_set(
        "mitigations",
        &set,
        "does nothing: no read asks for an absent key (clients.absent_share)",
    )
}

/// `double_delete` when no write path deletes keys.
fn double_delete(_: &RawScenario, config: &ModelConfig) -> Vec<FieldError> {
    if config.mitigations.double_delete.is_some()
        && !config.writes.as_ref().is_some_and(|w| w.path.deletes())
    {
        vec![warning(
            "mitigations.double_delete",
            "does nothing: no write path deletes keys (writes.path = \"delete\", \"delete_before_commit\" or \"events\")",
        )]
    } else {
        Vec::new()
    }
}

/// `[writes]` settings of another write path.
fn write_path_fields(raw: &RawScenario, config: &ModelConfig) -> Vec<FieldError> {
    let (Some(w), Some(rw)) = (&config.writes, &raw.writes) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    if !matches!(w.path, WritePath::WriteBack { .. }) {
        let set = [
            ("flush_interval", rw.flush_interval.is_some()),
            ("flush_batch", rw.flush_batch.is_some()),
        ];
        found.extend(each_set(
            "writes",
            &set,
            "does nothing: it applies only to path = \"write_back\"",
        ));
    }
    if !matches!(w.path, WritePath::Events { .. }) {
        let set = [
            ("event_lag", rw.event_lag.is_some()),
            ("event_loss", rw.event_loss.is_some()),
        ];
        found.extend(each_set(
            "writes",
            &set,
            "does nothing: it applies only to path = \"events\"",
        ));
    }
    found
}

/// A `[writes]` section whose rate is 0 throughout.
fn no_writes(_: &RawScenario, config: &ModelConfig) -> Vec<FieldError> {
    let Some(w) = &config.writes else {
        return Vec::new();
    };
    let rate_changes = config
        .timeline
        .iter()
        .any(|e| matches!(e.action, TimelineAction::SetWriteRate { .. }));
    if w.share.is_none() && w.rate == 0.0 && !rate_changes {
        vec![warning(
            "writes.rate",
            "is 0 and no set_write_rate event changes it: there are no writes",
        )]
    } else {
        Vec::new()
    }
}

/// Queue settings when no request waits for a worker, and `cancel_abandoned` when no client
/// gives up.
fn app_queue(_: &RawScenario, config: &ModelConfig) -> Vec<FieldError> {
    let app = &config.app;
    let no_queue = match (app.workers, app.queue_limit) {
        (None, _) => Some("without app.workers no request ever waits for a worker"),
        (Some(_), Some(0)) => Some("app.queue_limit = 0, so no request ever waits for a worker"),
        _ => None,
    };
    let mut found = Vec::new();
    if let Some(why) = no_queue {
        let set = [
            ("queue", app.queue_order == QueueOrder::Lifo),
            ("shedding", app.shedding.is_some()),
        ];
        found.extend(each_set("app", &set, &format!("does nothing: {why}")));
    }
    if app.cancel_abandoned && config.clients.timeout.is_none() {
        found.push(warning(
            "app.cancel_abandoned",
            "does nothing: clients.timeout is not set, so no client ever gives up",
        ));
    }
    found
}

/// Retry settings with a single attempt, backoff settings the backoff ignores, and retrying
/// on timeouts that never happen.
fn retries(raw: &RawScenario, config: &ModelConfig) -> Vec<FieldError> {
    let (Some(r), Some(rr)) = (&config.retries, &raw.retries) else {
        return Vec::new();
    };
    if r.attempts == 1 {
        let set = [
            ("backoff", rr.backoff.is_some()),
            ("base", rr.base.is_some()),
            ("max", rr.max.is_some()),
            ("jitter", rr.jitter.is_some()),
            ("on", rr.on.is_some()),
            ("deadline", rr.deadline.is_some()),
            ("budget", rr.budget.is_some()),
        ];
        return each_set(
            "retries",
            &set,
            "does nothing: retries.attempts = 1, so no request is retried",
        );
    }
    let mut found = match r.backoff {
        Backoff::None => {
            let set = [
                ("base", rr.base.is_some()),
                ("max", rr.max.is_some()),
                ("jitter", r.jitter),
            ];
            each_set(
                "retries",
                &set,
                "does nothing: backoff is none, so retries start at once",
            )
        }
        Backoff::Fixed(_) if rr.max.is_some() => vec![warning(
            "retries.max",
            "does nothing with a fixed backoff: it caps an exponential one",
        )],
        Backoff::Fixed(_) | Backoff::Exponential { .. } => Vec::new(),
    };
    if r.on.timeout && rr.on.is_some() && config.clients.timeout.is_none() {
        found.push(warning(
            "retries.on",
            "\"timeout\" does nothing: clients.timeout is not set, so no request ever times out",
        ));
    }
    found
}

/// Timeline entries that act on a disabled cache or a lock that is not there, that happen at
/// the end of the run, or deploys whose late waves never happen.
fn timeline_entries(raw: &RawScenario, config: &ModelConfig) -> Vec<FieldError> {
    let mut found = Vec::new();
    for (i, e) in raw.timeline.iter().enumerate() {
        let field = format!("timeline[{i}]");
        let action = Action::named(e);
        match &action {
            Some(a) if a.acts_on_cache() && config.cache.is_none() => found.push(warning(
                field.clone(),
                format!(
                    "`{}` does nothing to the cache: the cache is disabled (cache.enabled = false)",
                    e.action
                ),
            )),
            Some(Action::KillLockHolder { .. }) if config.mitigations.lock.is_none() => {
                found.push(warning(
                    field.clone(),
                    "`kill_lock_holder` does nothing: no lock or lease is configured (mitigations.lock or mitigations.lease)",
                ))
            }
            _ => {}
        }
        if e.at.0 >= config.duration {
            found.push(warning(
                field,
                "happens at the end of the run (`at` = `duration`), so it changes nothing",
            ));
        } else if let Some(Action::Deploy {
            waves,
            wave_interval,
            ..
        }) = action
        {
            let waves = waves.unwrap_or(1).max(1) as u64;
            let interval = wave_interval.map_or(0, |d| d.0 .0);
            let late = (0..waves)
                .filter(|w| {
                    e.at.0 .0.saturating_add(interval.saturating_mul(*w)) >= config.duration.0
                })
                .count();
            if late > 0 {
                found.push(warning(
                    field,
                    format!(
                        "{late} of the deploy's {waves} waves fall at or after `duration` and never happen"
                    ),
                ));
            }
        }
    }
    found
}

/// `restore_node` entries whose node is up when they happen: never killed, or already
/// restored. Entries take effect in time order, file order at equal times (the order the
/// validated timeline keeps).
fn restores_of_live_nodes(raw: &RawScenario, config: &ModelConfig) -> Vec<FieldError> {
    if config.cache.is_none() {
        return Vec::new();
    }
    let timeline = &raw.timeline;
    let mut order: Vec<usize> = (0..timeline.len()).collect();
    order.sort_by_key(|&i| timeline[i].at.0);
    let mut down = std::collections::BTreeSet::new();
    let mut live = Vec::new();
    for i in order {
        match Action::named(&timeline[i]) {
            Some(Action::KillNode { node: Some(n) }) => {
                down.insert(n);
            }
            Some(Action::RestoreNode { node: Some(n), .. }) => {
                let was_down = down.remove(&n);
                if !was_down {
                    live.push((i, n));
                }
            }
            _ => {}
        }
    }
    live.sort_unstable();
    live.into_iter()
        .map(|(i, node)| {
            warning(
                format!("timeline[{i}]"),
                format!("`restore_node` does nothing: no earlier kill_node took node {node} down"),
            )
        })
        .collect()
}
