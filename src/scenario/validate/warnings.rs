//! Settings that validate but do nothing.

use super::*;

/// Settings that validate but do nothing in this configuration: each as (field, why). Not
/// errors, since a strategy often inherits them from the base (a "no cache" strategy keeps the
/// base's preload), but worth a word before the run.
pub fn warnings(raw: &RawScenario, config: &ModelConfig) -> Vec<FieldError> {
    let mut found = Vec::new();
    let mut warn = |field: String, message: &str| {
        found.push(FieldError {
            field,
            message: message.to_string(),
        })
    };
    if config.cache.is_none() {
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
        for (name, _) in set.iter().filter(|(_, is_set)| *is_set) {
            warn(
                format!("cache.{name}"),
                "does nothing: the cache is disabled (cache.enabled = false)",
            );
        }
    }
    if let Some(cache) = &config.cache {
        let raw = &raw.cache;
        if raw.rehash_after.is_some() && !matches!(cache.failover, Failover::Rehash { .. }) {
            warn(
                "cache.rehash_after".into(),
                "does nothing: it applies only to failover = \"rehash\"",
            );
        }
        if raw.gutter.is_some() && !matches!(cache.failover, Failover::Gutter(_)) {
            warn(
                "cache.gutter".into(),
                "does nothing: it applies only to failover = \"gutter\"",
            );
        }
        let kills = config
            .timeline
            .iter()
            .any(|e| matches!(e.action, TimelineAction::KillNode { .. }));
        // A gutter also takes reads that a dropping node or the timeout failed.
        let other_failures = cache.timeout.is_some()
            || config
                .timeline
                .iter()
                .any(|e| matches!(e.action, TimelineAction::DropNode { .. }));
        let inert = match cache.failover {
            Failover::None => false,
            Failover::Rehash { .. } => !kills,
            Failover::Gutter(_) => !kills && !other_failures,
        };
        if inert {
            warn(
                "cache.failover".into(),
                &format!(
                    "\"{}\" does nothing: no kill_node in the timeline, so no node ever dies{}",
                    raw.failover.as_deref().unwrap_or_default(),
                    if matches!(cache.failover, Failover::Gutter(_)) {
                        ", and no read can fail otherwise (no drop_node, no cache.timeout)"
                    } else {
                        ""
                    }
                ),
            );
        }
    }
    if config.mitigations.stale_on_error && config.local_cache.is_none() {
        warn(
            "mitigations.stale_on_error".into(),
            "does nothing: there is no local cache ([local_cache]) to serve a copy from",
        );
    }
    if config.mitigations.versioned_sets && config.writes.is_none() {
        warn(
            "mitigations.versioned_sets".into(),
            "does nothing: without [writes] every value has the same version",
        );
    }
    if config.clients.absent_share == 0.0 && raw.clients.absent_keys.is_some() {
        warn(
            "clients.absent_keys".into(),
            "does nothing: no read asks for an absent key (clients.absent_share is 0)",
        );
    }
    if let Some(l) = &raw.local_cache {
        let pubsub = l.invalidation.as_deref() == Some("pubsub");
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
            for (name, _) in set.iter().filter(|(_, is_set)| *is_set) {
                warn(
                    format!("local_cache.{name}"),
                    "does nothing: the local cache is disabled (local_cache.enabled = false)",
                );
            }
        } else if !pubsub {
            for (name, set) in [
                ("pubsub_lag", l.pubsub_lag.is_some()),
                ("pubsub_loss", l.pubsub_loss.is_some()),
            ] {
                if set {
                    warn(
                        format!("local_cache.{name}"),
                        "does nothing: it applies only to invalidation = \"pubsub\"",
                    );
                }
            }
        } else if config.writes.is_none() {
            warn(
                "local_cache.invalidation".into(),
                "\"pubsub\" does nothing without [writes]: there are no changes to publish",
            );
        }
    }
    if config.clients.absent_share == 0.0 {
        if raw.mitigations.negative_caching.is_some() {
            warn(
                "mitigations.negative_caching".into(),
                "does nothing: no read asks for an absent key (clients.absent_share)",
            );
        }
        if raw.mitigations.bloom_filter.is_some() {
            warn(
                "mitigations.bloom_filter".into(),
                "does nothing: no read asks for an absent key (clients.absent_share)",
            );
        }
    }
    if config.mitigations.double_delete.is_some()
        && !config.writes.as_ref().is_some_and(|w| w.path.deletes())
    {
        warn(
            "mitigations.double_delete".into(),
            "does nothing: no write path deletes keys (writes.path = \"delete\", \"delete_before_commit\" or \"events\")",
        );
    }
    if let (Some(w), Some(rw)) = (&config.writes, &raw.writes) {
        if !matches!(w.path, WritePath::WriteBack { .. }) {
            for (field, set) in [
                ("flush_interval", rw.flush_interval.is_some()),
                ("flush_batch", rw.flush_batch.is_some()),
            ] {
                if set {
                    warn(
                        format!("writes.{field}"),
                        "does nothing: it applies only to path = \"write_back\"",
                    );
                }
            }
        }
        if !matches!(w.path, WritePath::Events { .. }) {
            for (field, set) in [
                ("event_lag", rw.event_lag.is_some()),
                ("event_loss", rw.event_loss.is_some()),
            ] {
                if set {
                    warn(
                        format!("writes.{field}"),
                        "does nothing: it applies only to path = \"events\"",
                    );
                }
            }
        }
    }
    if let Some(w) = &config.writes {
        let rate_changes = config
            .timeline
            .iter()
            .any(|e| matches!(e.action, TimelineAction::SetWriteRate { .. }));
        if w.share.is_none() && w.rate == 0.0 && !rate_changes {
            warn(
                "writes.rate".into(),
                "is 0 and no set_write_rate event changes it: there are no writes",
            );
        }
    }
    let app = &config.app;
    let no_queue = match (app.workers, app.queue_limit) {
        (None, _) => Some("without app.workers no request ever waits for a worker"),
        (Some(_), Some(0)) => Some("app.queue_limit = 0, so no request ever waits for a worker"),
        _ => None,
    };
    if let Some(why) = no_queue {
        for (field, set) in [
            ("queue", app.queue_order == QueueOrder::Lifo),
            ("shedding", app.shedding.is_some()),
        ] {
            if set {
                warn(format!("app.{field}"), &format!("does nothing: {why}"));
            }
        }
    }
    if app.cancel_abandoned && config.clients.timeout.is_none() {
        warn(
            "app.cancel_abandoned".into(),
            "does nothing: clients.timeout is not set, so no client ever gives up",
        );
    }
    if let (Some(r), Some(rr)) = (&config.retries, &raw.retries) {
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
            for (name, _) in set.iter().filter(|(_, is_set)| *is_set) {
                warn(
                    format!("retries.{name}"),
                    "does nothing: retries.attempts = 1, so no request is retried",
                );
            }
        } else {
            match r.backoff {
                Backoff::None => {
                    for (name, set) in [
                        ("base", rr.base.is_some()),
                        ("max", rr.max.is_some()),
                        ("jitter", r.jitter),
                    ] {
                        if set {
                            warn(
                                format!("retries.{name}"),
                                "does nothing: backoff is none, so retries start at once",
                            );
                        }
                    }
                }
                Backoff::Fixed(_) if rr.max.is_some() => warn(
                    "retries.max".into(),
                    "does nothing with a fixed backoff: it caps an exponential one",
                ),
                Backoff::Fixed(_) | Backoff::Exponential { .. } => {}
            }
            if r.on.timeout && rr.on.is_some() && config.clients.timeout.is_none() {
                warn(
                    "retries.on".into(),
                    "\"timeout\" does nothing: clients.timeout is not set, so no request ever times out",
                );
            }
        }
    }
    for (i, e) in raw.timeline.iter().enumerate() {
        let field = format!("timeline[{i}]");
        match e.action.as_str() {
            "flush" | "preload" | "deploy" | "kill_node" | "restore_node" | "slow_node"
            | "drop_node"
                if config.cache.is_none() =>
            {
                warn(
                    field.clone(),
                    &format!(
                        "`{}` does nothing to the cache: the cache is disabled (cache.enabled = false)",
                        e.action
                    ),
                )
            }
            "kill_lock_holder" if config.mitigations.lock.is_none() => warn(
                field.clone(),
                "`kill_lock_holder` does nothing: no lock or lease is configured (mitigations.lock or mitigations.lease)",
            ),
            _ => {}
        }
        if e.at.0 >= config.duration {
            warn(
                field.clone(),
                "happens at the end of the run (`at` = `duration`), so it changes nothing",
            );
        } else if e.action == "deploy" {
            let waves = e.waves.unwrap_or(1).max(1) as u64;
            let interval = e.wave_interval.map_or(0, |d| d.0 .0);
            let late = (0..waves)
                .filter(|w| {
                    e.at.0 .0.saturating_add(interval.saturating_mul(*w)) >= config.duration.0
                })
                .count();
            if late > 0 {
                warn(
                    field,
                    &format!(
                        "{late} of the deploy's {waves} waves fall at or after `duration` and never happen"
                    ),
                );
            }
        }
    }
    if config.cache.is_some() {
        for i in restores_of_live_nodes(&raw.timeline) {
            let node = raw.timeline[i].node.unwrap_or_default();
            warn(
                format!("timeline[{i}]"),
                &format!("`restore_node` does nothing: no earlier kill_node took node {node} down"),
            );
        }
    }
    found
}

/// Indexes of the `restore_node` entries whose node is up when they happen: never killed,
/// or already restored. Entries take effect in time order, file order at equal times (the
/// order the validated timeline keeps).
fn restores_of_live_nodes(timeline: &[RawTimelineEvent]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..timeline.len()).collect();
    order.sort_by_key(|&i| timeline[i].at.0);
    let mut down = std::collections::BTreeSet::new();
    let mut live = Vec::new();
    for i in order {
        let e = &timeline[i];
        match (e.action.as_str(), e.node) {
            ("kill_node", Some(n)) => {
                down.insert(n);
            }
            ("restore_node", Some(n)) => {
                let was_down = down.remove(&n);
                if !was_down {
                    live.push(i);
                }
            }
            _ => {}
        }
    }
    live.sort_unstable();
    live
}
