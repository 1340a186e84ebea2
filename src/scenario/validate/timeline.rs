//! `[[timeline]]`: actions at given times, and the rule that deploys do not overlap.

use super::*;

pub(super) fn timeline_event(
    field: &str,
    raw: &RawTimelineEvent,
    duration: SimDuration,
    clients: &ClientsConfig,
    cache: Option<&CacheConfig>,
    app: &AppConfig,
    writes: Option<&WritesConfig>,
) -> Result<TimelineEvent> {
    let at = raw.at.0;
    if at > duration {
        return err(
            format!("{field}.at"),
            format!("{at} is after the end of the run ({duration})"),
        );
    }
    let allowed: &[&str] = match raw.action.as_str() {
        "flush" => &["node"],
        "preload" => &["top", "ttl"],
        "set_rate" => &["rps", "ramp"],
        "set_write_rate" => &["rate", "ramp"],
        "deploy" => &[
            "waves",
            "wave_interval",
            "warmup_top",
            "warmup_rate",
            "warmup_lead",
        ],
        "kill_lock_holder" => &["key"],
        "kill_node" => &["node"],
        "restore_node" => &["node", "warmup_top", "warmup_rate", "warmup_max"],
        "slow_node" => &["node", "factor", "lasting"],
        "drop_node" => &["node", "share", "lasting"],
        other => {
            return err(
                format!("{field}.action"),
                format!(
                    "`{}` is not allowed; use flush, preload, set_rate, set_write_rate, deploy, \
                     kill_lock_holder, kill_node, restore_node, slow_node or drop_node",
                    crate::text::quote(other)
                ),
            )
        }
    };
    let present = [
        ("node", raw.node.is_some()),
        ("top", raw.top.is_some()),
        ("ttl", raw.ttl.is_some()),
        ("rps", raw.rps.is_some()),
        ("rate", raw.rate.is_some()),
        ("ramp", raw.ramp.is_some()),
        ("key", raw.key.is_some()),
        ("waves", raw.waves.is_some()),
        ("wave_interval", raw.wave_interval.is_some()),
        ("warmup_top", raw.warmup_top.is_some()),
        ("warmup_rate", raw.warmup_rate.is_some()),
        ("warmup_lead", raw.warmup_lead.is_some()),
        ("warmup_max", raw.warmup_max.is_some()),
        ("factor", raw.factor.is_some()),
        ("share", raw.share.is_some()),
        ("lasting", raw.lasting.is_some()),
    ];
    for (name, is_set) in present {
        if is_set && !allowed.contains(&name) {
            return err(
                format!("{field}.{name}"),
                format!(
                    "does not apply to action \"{}\" (it takes {})",
                    raw.action,
                    if allowed.is_empty() {
                        "no other fields".to_string()
                    } else {
                        allowed.join(", ")
                    }
                ),
            );
        }
    }
    let action = match raw.action.as_str() {
        "flush" => {
            let node = match raw.node {
                None => None,
                Some(n) => {
                    let nodes = match cache {
                        Some(c) => c.nodes,
                        None => {
                            return err(
                                format!("{field}.node"),
                                "there is no cache (cache.enabled = false)",
                            )
                        }
                    };
                    Some(int_in(
                        &format!("{field}.node"),
                        n,
                        0,
                        nodes as i64 - 1,
                        "index of a cache node",
                    )?)
                }
            };
            TimelineAction::Flush { node }
        }
        "preload" => {
            let keys = match raw.top {
                None => KeySet::All,
                Some(n) => KeySet::Top(int_in(
                    &format!("{field}.top"),
                    n,
                    1,
                    clients.keyspace as i64,
                    "number of most popular keys, at most the keyspace",
                )?),
            };
            let ttl = match raw.ttl {
                Some(t) => Some(positive(
                    &format!("{field}.ttl"),
                    t.0,
                    "TTL of preloaded entries",
                )?),
                None => None,
            };
            TimelineAction::Preload { keys, ttl }
        }
        "deploy" => {
            let waves = int_in(
                &format!("{field}.waves"),
                raw.waves.unwrap_or(1),
                1,
                app.instances as i64,
                "waves of app instances, at most app.instances",
            )?;
            let wave_interval = match raw.wave_interval {
                Some(d) => d.0,
                None if waves > 1 => {
                    return err(
                        format!("{field}.wave_interval"),
                        "is required when waves > 1 (time between waves)",
                    )
                }
                None => SimDuration::ZERO,
            };
            let warmup = match warmup_top_and_rate(field, raw, clients)? {
                None => {
                    if raw.warmup_lead.is_some() {
                        return err(
                            format!("{field}.warmup_lead"),
                            "applies only with warmup_top and warmup_rate",
                        );
                    }
                    None
                }
                Some((top, rate)) => {
                    let lead = raw.warmup_lead.map(|d| d.0).unwrap_or_default();
                    if lead > at {
                        return err(format!("{field}.warmup_lead"), format!("{lead} would start warming before the run starts (the deploy is at {at})"));
                    }
                    Some(Warmup { top, rate, lead })
                }
            };
            TimelineAction::Deploy(Deploy {
                waves,
                wave_interval,
                warmup,
            })
        }
        "kill_node" | "restore_node" => {
            let Some(n) = raw.node else {
                return err(
                    format!("{field}.node"),
                    format!(
                        "is required for {} (index of a cache node, from 0)",
                        raw.action
                    ),
                );
            };
            let node = node_of(field, n, cache)?;
            if raw.action == "kill_node" {
                TimelineAction::KillNode { node }
            } else {
                let warmup = match warmup_top_and_rate(field, raw, clients)? {
                    None => {
                        if raw.warmup_max.is_some() {
                            return err(
                                format!("{field}.warmup_max"),
                                "applies only with warmup_top and warmup_rate",
                            );
                        }
                        None
                    }
                    Some((top, rate)) => Some(NodeWarmup {
                        top,
                        rate,
                        max: raw
                            .warmup_max
                            .map(|d| {
                                positive(
                                    &format!("{field}.warmup_max"),
                                    d.0,
                                    "longest warm-up before the node takes traffic",
                                )
                            })
                            .transpose()?,
                    }),
                };
                TimelineAction::RestoreNode { node, warmup }
            }
        }
        "slow_node" => {
            let node = raw.node.map(|n| node_of(field, n, cache)).transpose()?;
            let factor = match raw.factor {
                Some(f) if f.is_finite() && (1.0..=MAX_SLOW_FACTOR).contains(&f) => f,
                Some(f) => {
                    return err(
                        format!("{field}.factor"),
                        format!(
                            "must be a number from 1 to {MAX_SLOW_FACTOR} (3: cache operations \
                             take three times as long), got {f}"
                        ),
                    )
                }
                None => {
                    return err(
                        format!("{field}.factor"),
                        format!(
                            "is required for slow_node (how many times as long cache operations \
                             take, 1 to {MAX_SLOW_FACTOR})"
                        ),
                    )
                }
            };
            TimelineAction::SlowNode {
                node,
                factor,
                lasting: lasting(field, raw)?,
            }
        }
        "drop_node" => {
            let node = raw.node.map(|n| node_of(field, n, cache)).transpose()?;
            let share = match raw.share {
                Some(s) if s.is_finite() && s > 0.0 && s <= 1.0 => s,
                Some(s) => {
                    return err(
                        format!("{field}.share"),
                        format!(
                            "must be a share of operations above 0 and at most 1 (0.3: three \
                             operations in ten are never answered), got {s}"
                        ),
                    )
                }
                None => {
                    return err(
                        format!("{field}.share"),
                        "is required for drop_node (share of operations never answered, above 0 and at most 1)",
                    )
                }
            };
            TimelineAction::DropNode {
                node,
                share,
                lasting: lasting(field, raw)?,
            }
        }
        "kill_lock_holder" => TimelineAction::KillLockHolder {
            key: int_in(
                &format!("{field}.key"),
                raw.key.unwrap_or(0),
                0,
                clients.keyspace as i64 - 1,
                "a key number; 0 is the most popular",
            )?,
        },
        "set_write_rate" => {
            match writes {
                None => {
                    return err(
                        format!("{field}.action"),
                        "set_write_rate needs a [writes] section (its rate at time zero, 0 for none)",
                    )
                }
                Some(w) if w.share.is_some() => {
                    return err(
                        format!("{field}.action"),
                        "set_write_rate needs writes.rate: with writes.share the write rate follows the read rate (set_rate)",
                    )
                }
                Some(_) => {}
            }
            let rate = match raw.rate {
                Some(r) => rate(&format!("{field}.rate"), r).map_err(|e| FieldError {
                    message: e
                        .message
                        .replace("requests per second", "writes per second"),
                    ..e
                })?,
                None => {
                    return err(
                        format!("{field}.rate"),
                        "is required for set_write_rate (writes per second)",
                    )
                }
            };
            TimelineAction::SetWriteRate {
                rate,
                ramp: raw.ramp.map(|r| r.0).unwrap_or_default(),
            }
        }
        _ => {
            let rps = match raw.rps {
                Some(r) => rate(&format!("{field}.rps"), r)?,
                None => {
                    return err(
                        format!("{field}.rps"),
                        "is required for set_rate (requests per second)",
                    )
                }
            };
            TimelineAction::SetRate {
                rps,
                ramp: raw.ramp.map(|r| r.0).unwrap_or_default(),
            }
        }
    };
    Ok(TimelineEvent {
        at: SimTime(at.0),
        action,
    })
}

/// `warmup_top` and `warmup_rate` of a deploy or a restored node: both or neither.
fn warmup_top_and_rate(
    field: &str,
    raw: &RawTimelineEvent,
    clients: &ClientsConfig,
) -> Result<Option<(u32, f64)>> {
    match (raw.warmup_top, raw.warmup_rate) {
        (None, None) => Ok(None),
        (Some(top), Some(rate)) => {
            let top = int_in(
                &format!("{field}.warmup_top"),
                top,
                1,
                clients.keyspace as i64,
                "most popular keys to warm, at most the keyspace",
            )?;
            if !rate.is_finite() || rate <= 0.0 || rate > 1e9 {
                return err(
                    format!("{field}.warmup_rate"),
                    format!("must be keys per second, greater than 0 and at most 1e9, got {rate}"),
                );
            }
            Ok(Some((top, rate)))
        }
        (Some(_), None) => err(
            format!("{field}.warmup_rate"),
            "is required with warmup_top (keys warmed per second)",
        ),
        (None, Some(_)) => err(
            format!("{field}.warmup_top"),
            "is required with warmup_rate (how many of the most popular keys)",
        ),
    }
}

/// Largest `slow_node` factor.
const MAX_SLOW_FACTOR: f64 = 10_000.0;

/// The cache node a node action names. Without a cache the action does nothing (a warning
/// says so, as a strategy without a cache often inherits the base's timeline), so the index
/// is only checked against the largest cluster.
fn node_of(field: &str, n: i64, cache: Option<&CacheConfig>) -> Result<u32> {
    let nodes = cache.map_or(super::cache::MAX_NODES, |c| c.nodes as i64);
    int_in(
        &format!("{field}.node"),
        n,
        0,
        nodes - 1,
        "index of a cache node, below cache.nodes",
    )
}

/// `lasting` of `slow_node` and `drop_node`: required, above 0.
fn lasting(field: &str, raw: &RawTimelineEvent) -> Result<SimDuration> {
    match raw.lasting {
        Some(d) => positive(&format!("{field}.lasting"), d.0, "how long it lasts"),
        None => err(
            format!("{field}.lasting"),
            format!(
                "is required for {} (how long it lasts, such as \"30s\")",
                raw.action
            ),
        ),
    }
}

pub(super) fn check_deploys_do_not_overlap(
    timeline: &[TimelineEvent],
    raw: &[RawTimelineEvent],
) -> Result<()> {
    let mut previous_end: Option<SimTime> = None;
    for e in timeline {
        if let TimelineAction::Deploy(d) = &e.action {
            let start = e.at - d.warmup.map(|w| w.lead).unwrap_or_default();
            if previous_end.is_some_and(|end| start <= end) {
                let i = raw
                    .iter()
                    .position(|r| r.at.0 .0 == e.at.0 && r.action == "deploy")
                    .unwrap_or(0);
                return err(
                    format!("timeline[{i}].at"),
                    "this deploy (with its warm-up) starts before the previous deploy's last wave; deploys may not overlap",
                );
            }
            previous_end = Some(e.at + d.span());
        }
    }
    Ok(())
}
