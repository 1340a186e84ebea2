//! `[[timeline]]`: actions at given times, and the rule that deploys do not overlap.
//!
//! A raw entry is one flat table with every action's fields; [`Action::of`] turns it into the
//! action it names with only the fields that action takes (refusing any other), and one
//! function per action checks those.

use super::*;
use crate::scenario::duration::HumanDuration;

/// Declares the actions once: the enum of actions with their fields as written, the list of
/// names and fields that the errors quote, and the dispatch from a raw entry.
macro_rules! actions {
    ($($variant:ident $name:literal { $($f:ident : $t:ty),* $(,)? })*) => {
        /// A `[[timeline]]` entry's action with the fields it takes, as written.
        pub(super) enum Action {
            $(
                #[doc = concat!("`", $name, "`.")]
                $variant { $($f: Option<$t>),* },
            )*
        }

        /// Each action's name and the fields it takes, in the order the errors list them.
        const ACTIONS: &[(&str, &[&str])] = &[$(($name, &[$(stringify!($f)),*])),*];

        impl Action {
            /// The action `raw` names, with its fields; `None` for an unknown name.
            pub(super) fn named(raw: &RawTimelineEvent) -> Option<Action> {
                match raw.action.as_str() {
                    $($name => Some(Action::$variant { $($f: raw.$f),* }),)*
                    _ => None,
                }
            }
        }
    };
}

actions! {
    Flush "flush" { node: i64 }
    Preload "preload" { top: i64, ttl: HumanDuration }
    SetRate "set_rate" { rps: f64, ramp: HumanDuration }
    SetWriteRate "set_write_rate" { rate: f64, ramp: HumanDuration }
    Deploy "deploy" {
        waves: i64,
        wave_interval: HumanDuration,
        warmup_top: i64,
        warmup_rate: f64,
        warmup_lead: HumanDuration,
    }
    KillLockHolder "kill_lock_holder" { key: i64 }
    KillNode "kill_node" { node: i64 }
    RestoreNode "restore_node" { node: i64, warmup_top: i64, warmup_rate: f64, warmup_max: HumanDuration }
    SlowNode "slow_node" { node: i64, factor: f64, lasting: HumanDuration }
    DropNode "drop_node" { node: i64, share: f64, lasting: HumanDuration }
}

impl Action {
    /// The action of the entry at `field`: an error for an unknown action or for a field the
    /// action does not take (the first such field in [`RawTimelineEvent::fields_set`] order).
    pub(super) fn of(field: &str, raw: &RawTimelineEvent) -> Result<Action> {
        let Some(action) = Action::named(raw) else {
            let names: Vec<&str> = ACTIONS.iter().map(|(name, _)| *name).collect();
            let (last, rest) = names.split_last().expect("there are actions");
            return err(
                format!("{field}.action"),
                format!(
                    "`{}` is not allowed; use {} or {last}",
                    crate::text::quote(&raw.action),
                    rest.join(", ")
                ),
            );
        };
        let takes = ACTIONS
            .iter()
            .find(|(name, _)| *name == raw.action)
            .map_or(&[][..], |(_, fields)| *fields);
        for (name, is_set) in raw.fields_set() {
            if is_set && !takes.contains(&name) {
                return err(
                    format!("{field}.{name}"),
                    format!(
                        "does not apply to action \"{}\" (it takes {})",
                        raw.action,
                        if takes.is_empty() {
                            "no other fields".to_string()
                        } else {
                            takes.join(", ")
                        }
                    ),
                );
            }
        }
        Ok(action)
    }

    /// Whether the action works on the shared cache (and so does nothing without one).
    pub(super) fn acts_on_cache(&self) -> bool {
        matches!(
            self,
            Action::Flush { .. }
                | Action::Preload { .. }
                | Action::Deploy { .. }
                | Action::KillNode { .. }
                | Action::RestoreNode { .. }
                | Action::SlowNode { .. }
                | Action::DropNode { .. }
        )
    }
}

/// What every action's checks may look at besides its own fields.
pub(super) struct Context<'a> {
    pub duration: SimDuration,
    pub clients: &'a ClientsConfig,
    pub cache: Option<&'a CacheConfig>,
    pub app: &'a AppConfig,
    pub writes: Option<&'a WritesConfig>,
}

/// Checks the entry at `field` (`timeline[2]`).
pub(super) fn timeline_event(
    field: &str,
    raw: &RawTimelineEvent,
    cx: &Context,
) -> Result<TimelineEvent> {
    let at = raw.at.0;
    let duration = cx.duration;
    if at > duration {
        return err(
            format!("{field}.at"),
            format!("{at} is after the end of the run ({duration})"),
        );
    }
    let action = match Action::of(field, raw)? {
        Action::Flush { node } => flush(field, node, cx.cache)?,
        Action::Preload { top, ttl } => preload(field, top, ttl, cx.clients)?,
        Action::SetRate { rps, ramp } => set_rate(field, rps, ramp)?,
        Action::SetWriteRate { rate, ramp } => set_write_rate(field, rate, ramp, cx.writes)?,
        Action::Deploy {
            waves,
            wave_interval,
            warmup_top,
            warmup_rate,
            warmup_lead,
        } => deploy(
            field,
            at,
            waves,
            wave_interval,
            (warmup_top, warmup_rate),
            warmup_lead,
            cx,
        )?,
        Action::KillLockHolder { key } => TimelineAction::KillLockHolder {
            key: int_in(
                &format!("{field}.key"),
                key.unwrap_or(0),
                0,
                cx.clients.keyspace as i64 - 1,
                "a key number; 0 is the most popular",
            )?,
        },
        Action::KillNode { node } => TimelineAction::KillNode {
            node: required_node(field, &raw.action, node, cx.cache)?,
        },
        Action::RestoreNode {
            node,
            warmup_top,
            warmup_rate,
            warmup_max,
        } => {
            let node = required_node(field, &raw.action, node, cx.cache)?;
            let warmup = warmup_top_and_rate(field, warmup_top, warmup_rate, cx.clients)?;
            restore_node(field, node, warmup, warmup_max)?
        }
        Action::SlowNode {
            node,
            factor,
            lasting: l,
        } => TimelineAction::SlowNode {
            node: node.map(|n| node_of(field, n, cx.cache)).transpose()?,
            factor: slow_factor(field, factor)?,
            lasting: lasting(field, &raw.action, l)?,
        },
        Action::DropNode {
            node,
            share,
            lasting: l,
        } => TimelineAction::DropNode {
            node: node.map(|n| node_of(field, n, cx.cache)).transpose()?,
            share: drop_share(field, share)?,
            lasting: lasting(field, &raw.action, l)?,
        },
    };
    Ok(TimelineEvent {
        at: SimTime(at.0),
        action,
    })
}

/// `flush`: the whole cache, or one node of it.
fn flush(field: &str, node: Option<i64>, cache: Option<&CacheConfig>) -> Result<TimelineAction> {
    let node = match node {
        None => None,
        Some(n) => {
            let Some(c) = cache else {
                return err(
                    format!("{field}.node"),
                    "there is no cache (cache.enabled = false)",
                );
            };
            Some(int_in(
                &format!("{field}.node"),
                n,
                0,
                c.nodes as i64 - 1,
                "index of a cache node",
            )?)
        }
    };
    Ok(TimelineAction::Flush { node })
}

/// `preload`: all keys or the most popular ones, with the cache's TTL or their own.
fn preload(
    field: &str,
    top: Option<i64>,
    ttl: Option<HumanDuration>,
    clients: &ClientsConfig,
) -> Result<TimelineAction> {
    let keys = match top {
        None => KeySet::All,
        Some(n) => KeySet::Top(int_in(
            &format!("{field}.top"),
            n,
            1,
            clients.keyspace as i64,
            "number of most popular keys, at most the keyspace",
        )?),
    };
    let ttl = ttl
        .map(|t| positive(&format!("{field}.ttl"), t.0, "TTL of preloaded entries"))
        .transpose()?;
    Ok(TimelineAction::Preload { keys, ttl })
}

/// `set_rate`: the clients' new request rate, reached over `ramp`.
fn set_rate(field: &str, rps: Option<f64>, ramp: Option<HumanDuration>) -> Result<TimelineAction> {
    let Some(r) = rps else {
        return err(
            format!("{field}.rps"),
            "is required for set_rate (requests per second)",
        );
    };
    Ok(TimelineAction::SetRate {
        rps: rate(&format!("{field}.rps"), r)?,
        ramp: ramp.map(|r| r.0).unwrap_or_default(),
    })
}

/// `set_write_rate`: the new write rate, reached over `ramp`; needs writes at a rate of their own.
fn set_write_rate(
    field: &str,
    new_rate: Option<f64>,
    ramp: Option<HumanDuration>,
    writes: Option<&WritesConfig>,
) -> Result<TimelineAction> {
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
    let Some(r) = new_rate else {
        return err(
            format!("{field}.rate"),
            "is required for set_write_rate (writes per second)",
        );
    };
    let rate = rate(&format!("{field}.rate"), r).map_err(|e| FieldError {
        message: e
            .message
            .replace("requests per second", "writes per second"),
        ..e
    })?;
    Ok(TimelineAction::SetWriteRate {
        rate,
        ramp: ramp.map(|r| r.0).unwrap_or_default(),
    })
}

/// `deploy` at `at`: its waves, and the warm-up (`warmup_top`, `warmup_rate`) that may start
/// `warmup_lead` before it.
fn deploy(
    field: &str,
    at: SimDuration,
    waves: Option<i64>,
    wave_interval: Option<HumanDuration>,
    (warmup_top, warmup_rate): (Option<i64>, Option<f64>),
    warmup_lead: Option<HumanDuration>,
    cx: &Context,
) -> Result<TimelineAction> {
    let waves = int_in(
        &format!("{field}.waves"),
        waves.unwrap_or(1),
        1,
        cx.app.instances as i64,
        "waves of app instances, at most app.instances",
    )?;
    let wave_interval = match wave_interval {
        Some(d) => d.0,
        None if waves > 1 => {
            return err(
                format!("{field}.wave_interval"),
                "is required when waves > 1 (time between waves)",
            )
        }
        None => SimDuration::ZERO,
    };
    let warmup = match warmup_top_and_rate(field, warmup_top, warmup_rate, cx.clients)? {
        None if warmup_lead.is_some() => {
            return err(
                format!("{field}.warmup_lead"),
                "applies only with warmup_top and warmup_rate",
            )
        }
        None => None,
        Some((top, rate)) => {
            let lead = warmup_lead.map(|d| d.0).unwrap_or_default();
            if lead > at {
                return err(
                    format!("{field}.warmup_lead"),
                    format!(
                        "{lead} would start warming before the run starts (the deploy is at {at})"
                    ),
                );
            }
            Some(Warmup { top, rate, lead })
        }
    };
    Ok(TimelineAction::Deploy(Deploy {
        waves,
        wave_interval,
        warmup,
    }))
}

/// `restore_node`: the node back, warmed first when `warmup` says so.
fn restore_node(
    field: &str,
    node: u32,
    warmup: Option<(u32, f64)>,
    warmup_max: Option<HumanDuration>,
) -> Result<TimelineAction> {
    let warmup = match warmup {
        None if warmup_max.is_some() => {
            return err(
                format!("{field}.warmup_max"),
                "applies only with warmup_top and warmup_rate",
            )
        }
        None => None,
        Some((top, rate)) => Some(NodeWarmup {
            top,
            rate,
            max: warmup_max
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
    Ok(TimelineAction::RestoreNode { node, warmup })
}

/// `factor` of `slow_node`: required, from 1 to [`MAX_SLOW_FACTOR`].
fn slow_factor(field: &str, factor: Option<f64>) -> Result<f64> {
    match factor {
        Some(f) if f.is_finite() && (1.0..=MAX_SLOW_FACTOR).contains(&f) => Ok(f),
        Some(f) => err(
            format!("{field}.factor"),
            format!(
                "must be a number from 1 to {MAX_SLOW_FACTOR} (3: cache operations \
                 take three times as long), got {f}"
            ),
        ),
        None => err(
            format!("{field}.factor"),
            format!(
                "is required for slow_node (how many times as long cache operations \
                 take, 1 to {MAX_SLOW_FACTOR})"
            ),
        ),
    }
}

/// `share` of `drop_node`: required, above 0 and at most 1.
fn drop_share(field: &str, share: Option<f64>) -> Result<f64> {
    match share {
        Some(s) if s.is_finite() && s > 0.0 && s <= 1.0 => Ok(s),
        Some(s) => err(
            format!("{field}.share"),
            format!(
                "must be a share of operations above 0 and at most 1 (0.3: three \
                 operations in ten are never answered), got {s}"
            ),
        ),
        None => err(
            format!("{field}.share"),
            "is required for drop_node (share of operations never answered, above 0 and at most 1)",
        ),
    }
}

/// `warmup_top` and `warmup_rate` of a deploy or a restored node: both or neither.
fn warmup_top_and_rate(
    field: &str,
    top: Option<i64>,
    rate: Option<f64>,
    clients: &ClientsConfig,
) -> Result<Option<(u32, f64)>> {
    match (top, rate) {
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

/// `node` of `kill_node` and `restore_node`: required.
fn required_node(
    field: &str,
    action: &str,
    node: Option<i64>,
    cache: Option<&CacheConfig>,
) -> Result<u32> {
    let Some(n) = node else {
        return err(
            format!("{field}.node"),
            format!("is required for {action} (index of a cache node, from 0)"),
        );
    };
    node_of(field, n, cache)
}

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
fn lasting(field: &str, action: &str, lasting: Option<HumanDuration>) -> Result<SimDuration> {
    match lasting {
        Some(d) => positive(&format!("{field}.lasting"), d.0, "how long it lasts"),
        None => err(
            format!("{field}.lasting"),
            format!("is required for {action} (how long it lasts, such as \"30s\")"),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A field an action takes but `fields_set` leaves out would never be refused on another
    /// action.
    #[test]
    fn every_field_an_action_takes_is_one_fields_set_reports() {
        let raw: RawTimelineEvent = toml::from_str("at = \"1s\"\naction = \"flush\"").unwrap();
        let known: Vec<&str> = raw.fields_set().iter().map(|(name, _)| *name).collect();
        for (action, fields) in ACTIONS {
            for f in *fields {
                assert!(known.contains(f), "{action}.{f} is missing from fields_set");
            }
        }
        let taken: Vec<&str> = ACTIONS
            .iter()
            .flat_map(|(_, f)| f.iter().copied())
            .collect();
        for f in &known {
            assert!(taken.contains(f), "no action takes {f}");
        }
    }
}
