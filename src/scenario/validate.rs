//! Checks a [`RawScenario`] and turns it into a [`ModelConfig`].
//!
//! Every error names the field path (`db.slots`) and says what is allowed.

use super::raw::*;
use crate::engine::{SimDuration, SimTime};
use crate::model::config::*;

/// A problem with one field: its dotted path and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// Dotted path of the field, such as `db.slots` or `timeline[2].rps`.
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

type Result<T> = std::result::Result<T, FieldError>;

fn err<T>(field: impl Into<String>, message: impl Into<String>) -> Result<T> {
    Err(FieldError {
        field: field.into(),
        message: message.into(),
    })
}

/// Largest keyspace accepted.
pub const MAX_KEYSPACE: i64 = 20_000_000;
/// Largest fan-out accepted.
pub const MAX_FANOUT: i64 = 1_000;
/// Most metrics buckets in one run.
pub const MAX_BUCKETS: u64 = 1_000_000;
/// Longest drain of `drain = true`.
pub const DEFAULT_DRAIN: SimDuration = SimDuration::from_secs(3600);
/// Default in-flight cap, lowered for large fan-outs so that requests in flight take at most
/// [`DEFAULT_IN_FLIGHT_BYTES`].
pub const DEFAULT_MAX_IN_FLIGHT: i64 = 1_000_000;
/// Memory the default in-flight cap allows requests in flight to take.
pub const DEFAULT_IN_FLIGHT_BYTES: u64 = 1 << 30;

/// The in-flight cap of a scenario that does not set `limits.max_in_flight`.
pub fn default_max_in_flight(fanout: u32) -> i64 {
    let fits = DEFAULT_IN_FLIGHT_BYTES / crate::model::footprint::bytes_per_request(fanout);
    (fits as i64).clamp(1, DEFAULT_MAX_IN_FLIGHT)
}

/// Checks a scenario's name: used as a folder name, so a plain word.
pub fn check_name(field: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        err(
            field,
            format!(
                "`{}` is not allowed; use 1 to 64 letters, digits, `-`, `_` or `.` (not starting with `.`)",
                crate::text::quote(name)
            ),
        )
    }
}

/// `drain`: absent or `false` (the run ends at `duration`), `true` (drain for up to
/// [`DEFAULT_DRAIN`]) or the longest drain as a duration.
fn drain(raw: Option<&toml::Value>) -> Result<Option<SimDuration>> {
    const ALLOWED: &str =
        "must be true, false or a duration such as \"60s\" (how long the run may go on after \
         `duration`, without new arrivals, until every request in flight has finished or failed)";
    match raw {
        None | Some(toml::Value::Boolean(false)) => Ok(None),
        Some(toml::Value::Boolean(true)) => Ok(Some(DEFAULT_DRAIN)),
        Some(toml::Value::String(s)) => match super::duration::parse_duration(s) {
            Ok(d) if d.0 > 0 => Ok(Some(d)),
            Ok(_) => err(
                "drain",
                format!("{ALLOWED}; a duration must be longer than 0"),
            ),
            Err(m) => err("drain", format!("{ALLOWED}: {m}")),
        },
        Some(_) => err("drain", ALLOWED),
    }
}

fn int_in(field: &str, v: i64, min: i64, max: i64, what: &str) -> Result<u32> {
    if v < min || v > max {
        err(
            field,
            format!("must be an integer from {min} to {max} ({what}), got {v}"),
        )
    } else {
        Ok(v as u32)
    }
}

fn positive(field: &str, d: SimDuration, what: &str) -> Result<SimDuration> {
    if d.0 == 0 {
        err(field, format!("must be longer than 0 ({what})"))
    } else {
        Ok(d)
    }
}

fn rate(field: &str, v: f64) -> Result<f64> {
    if !v.is_finite() || !(0.0..=1e9).contains(&v) {
        err(
            field,
            format!("must be a number of requests per second from 0 to 1e9, got {v}"),
        )
    } else {
        Ok(v)
    }
}

/// Validates a whole scenario (base or base merged with a strategy's overrides).
pub fn model_config(raw: &RawScenario) -> Result<ModelConfig> {
    let duration = positive("duration", raw.duration.0, "length of the simulated run")?;
    let bucket = match raw.bucket {
        Some(b) => positive("bucket", b.0, "width of a metrics bucket")?,
        None => SimDuration::from_secs(1),
    };
    if bucket > duration {
        return err(
            "bucket",
            format!("{bucket} is longer than the run ({duration}); use a bucket no longer than `duration`"),
        );
    }
    if duration.0.div_ceil(bucket.0) > MAX_BUCKETS {
        return err(
            "bucket",
            format!("{bucket} gives more than {MAX_BUCKETS} buckets over {duration}; use a wider bucket"),
        );
    }
    let drain = drain(raw.drain.as_ref())?;
    if let Some(d) = drain {
        let longest = duration.0.saturating_add(d.0);
        if longest.div_ceil(bucket.0) > MAX_BUCKETS {
            return err(
                "drain",
                format!(
                    "a drain of up to {d} after {duration} gives more than {MAX_BUCKETS} buckets of {bucket}; \
                     use a shorter drain or a wider bucket"
                ),
            );
        }
    }
    let clients = clients(&raw.clients)?;
    let app = app(&raw.app)?;
    let cache = cache(&raw.cache)?;
    let db = db(&raw.db)?;
    let mitigations = mitigations(&raw.mitigations, cache.as_ref())?;
    let mut timeline = Vec::with_capacity(raw.timeline.len());
    for (i, e) in raw.timeline.iter().enumerate() {
        timeline.push(timeline_event(
            &format!("timeline[{i}]"),
            e,
            duration,
            &clients,
            cache.as_ref(),
            &app,
        )?);
    }
    // Stable sort: events at the same time keep file order.
    timeline.sort_by_key(|e| e.at);
    check_deploys_do_not_overlap(&timeline, &raw.timeline)?;
    let max_in_flight = int_in(
        "limits.max_in_flight",
        raw.limits
            .max_in_flight
            .unwrap_or_else(|| default_max_in_flight(clients.fanout)),
        1,
        100_000_000,
        "requests in the system at once before arrivals are shed",
    )?;
    Ok(ModelConfig {
        duration,
        bucket,
        drain,
        clients,
        app,
        cache,
        db,
        mitigations,
        timeline,
        limits: LimitsConfig {
            max_in_flight,
            max_in_flight_is_default: raw.limits.max_in_flight.is_none(),
        },
    })
}

fn clients(raw: &RawClients) -> Result<ClientsConfig> {
    let rps = rate("clients.rps", raw.rps)?;
    let keyspace = int_in(
        "clients.keyspace",
        raw.keyspace,
        1,
        MAX_KEYSPACE,
        "number of distinct keys",
    )?;
    let popularity = match &raw.popularity {
        None => Popularity::Uniform,
        Some(StringOrTable::Text(t)) if t == "uniform" => Popularity::Uniform,
        Some(StringOrTable::Text(t)) if t == "zipf" => {
            return err(
                "clients.popularity",
                "zipf needs its exponent: write { dist = \"zipf\", s = 0.99 }",
            )
        }
        Some(StringOrTable::Text(t)) => {
            return err(
                "clients.popularity",
                format!(
                    "`{}` is not allowed; use \"uniform\" or {{ dist = \"zipf\", s = 0.99 }}",
                    crate::text::quote(t)
                ),
            )
        }
        Some(StringOrTable::Table(p)) => match (p.dist.as_str(), p.s) {
            ("uniform", None) => Popularity::Uniform,
            ("zipf", Some(s)) if s.is_finite() && s > 0.0 && s <= 10.0 => Popularity::Zipf { s },
            ("zipf", Some(s)) => {
                return err(
                    "clients.popularity.s",
                    format!("must be a number greater than 0 and at most 10, got {s}"),
                )
            }
            ("zipf", None) => {
                return err(
                    "clients.popularity.s",
                    "is required for zipf (for example s = 0.99)",
                )
            }
            ("uniform", Some(_)) => return err("clients.popularity.s", "applies only to zipf"),
            (d, _) => {
                return err(
                    "clients.popularity.dist",
                    format!(
                        "`{}` is not allowed; use \"uniform\" or \"zipf\"",
                        crate::text::quote(d)
                    ),
                )
            }
        },
    };
    let fanout = int_in(
        "clients.fanout",
        raw.fanout.unwrap_or(1),
        1,
        MAX_FANOUT,
        "distinct keys per request",
    )?;
    if fanout > keyspace {
        return err(
            "clients.fanout",
            format!("{fanout} is larger than the keyspace ({keyspace}); a request needs that many distinct keys"),
        );
    }
    let timeout = match raw.timeout {
        Some(t) => Some(positive("clients.timeout", t.0, "time a client waits")?),
        None => None,
    };
    Ok(ClientsConfig {
        rps,
        keyspace,
        popularity,
        fanout,
        timeout,
    })
}

fn app(raw: &RawApp) -> Result<AppConfig> {
    let instances = int_in(
        "app.instances",
        raw.instances.unwrap_or(1),
        1,
        10_000,
        "number of app instances",
    )?;
    let workers = raw
        .workers
        .map(|w| {
            int_in(
                "app.workers",
                w,
                1,
                10_000_000,
                "concurrent requests per instance",
            )
        })
        .transpose()?;
    let queue_limit = raw
        .queue_limit
        .map(|q| {
            int_in(
                "app.queue_limit",
                q,
                0,
                100_000_000,
                "requests waiting per instance",
            )
        })
        .transpose()?;
    Ok(AppConfig {
        instances,
        workers,
        queue_limit,
        discard_abandoned: raw.discard_abandoned.unwrap_or(true),
    })
}

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
        ];
        for (name, _) in set.iter().filter(|(_, is_set)| *is_set) {
            warn(
                format!("cache.{name}"),
                "does nothing: the cache is disabled (cache.enabled = false)",
            );
        }
    }
    for (i, e) in raw.timeline.iter().enumerate() {
        let field = format!("timeline[{i}]");
        match e.action.as_str() {
            "flush" | "preload" | "deploy" if config.cache.is_none() => warn(
                field.clone(),
                &format!(
                    "`{}` does nothing to the cache: the cache is disabled (cache.enabled = false)",
                    e.action
                ),
            ),
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
    found
}

fn cache(raw: &RawCache) -> Result<Option<CacheConfig>> {
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

fn db(raw: &RawDb) -> Result<DbConfig> {
    let slots = int_in(
        "db.slots",
        raw.slots,
        1,
        1_000_000,
        "queries served in parallel",
    )?;
    let service = distribution("db.service", &raw.service)?;
    if service.mean_secs() <= 0.0 {
        return err(
            "db.service",
            "must have a mean above 0: a database that answers in no time has unlimited capacity, \
             which no column or chart can show; use at least \"1ns\"",
        );
    }
    let queue_limit = raw
        .queue_limit
        .map(|q| {
            int_in(
                "db.queue_limit",
                q,
                0,
                100_000_000,
                "queries waiting for a slot",
            )
        })
        .transpose()?;
    let queue_timeout = match raw.queue_timeout {
        Some(t) => Some(positive(
            "db.queue_timeout",
            t.0,
            "longest wait for a slot",
        )?),
        None => None,
    };
    Ok(DbConfig {
        slots,
        service,
        queue_limit,
        queue_timeout,
    })
}

fn fraction(field: &str, v: f64, low_open: bool, what: &str) -> Result<f64> {
    let ok = v.is_finite() && v <= 1.0 && if low_open { v > 0.0 } else { v >= 0.0 };
    if ok {
        Ok(v)
    } else {
        let range = if low_open {
            "greater than 0 and at most 1"
        } else {
            "from 0 to 1"
        };
        err(
            field,
            format!("must be a fraction {range} ({what}), got {v}"),
        )
    }
}

fn fallback(field: &str, raw: Option<&str>, default: Fallback) -> Result<Fallback> {
    match raw {
        None => Ok(default),
        Some("stale") => Ok(Fallback::Stale),
        Some("error") => Ok(Fallback::Error),
        Some("db") => Ok(Fallback::Database),
        Some(other) => err(
            field,
            format!("`{}` is not allowed; use \"stale\" (serve the expired value if held, else fail), \"error\" or \"db\" (query the database anyway)", crate::text::quote(other)),
        ),
    }
}

fn mitigations(raw: &RawMitigations, cache: Option<&CacheConfig>) -> Result<MitigationsConfig> {
    let any = raw.coalescing == Some(true)
        || raw.early_expiration.is_some()
        || raw.refresh_ahead.is_some()
        || raw.stale_while_revalidate.is_some()
        || raw.lock.is_some()
        || raw.lease.is_some()
        || raw.rate_limit.is_some();
    if any && cache.is_none() {
        return err(
            "mitigations",
            "need a cache; remove them or set cache.enabled = true",
        );
    }
    let early_expiration = match &raw.early_expiration {
        None => None,
        Some(e) => {
            let beta = e.beta.unwrap_or(1.0);
            if !beta.is_finite() || beta <= 0.0 || beta > 100.0 {
                return err(
                    "mitigations.early_expiration.beta",
                    format!("must be a number greater than 0 and at most 100 (1 is the paper's optimum), got {beta}"),
                );
            }
            Some(EarlyExpiration { beta })
        }
    };
    let refresh_ahead = match &raw.refresh_ahead {
        None => None,
        Some(r) => {
            let f = fraction(
                "mitigations.refresh_ahead.fraction",
                r.fraction,
                true,
                "of the TTL left that triggers a refresh",
            )?;
            if f >= 1.0 {
                return err(
                    "mitigations.refresh_ahead.fraction",
                    "must be less than 1 (1 would refresh on every read)",
                );
            }
            Some(RefreshAhead { fraction: f })
        }
    };
    let stale_while_revalidate = match &raw.stale_while_revalidate {
        None => None,
        Some(s) => Some(positive(
            "mitigations.stale_while_revalidate.max_stale",
            s.max_stale.0,
            "oldest expired entry still served",
        )?),
    };
    let retries = |field: &str, v: Option<i64>, default: i64| {
        int_in(
            field,
            v.unwrap_or(default),
            0,
            1_000_000,
            "polls before falling back",
        )
    };
    let lock = match (&raw.lock, &raw.lease) {
        (Some(_), Some(_)) => {
            return err(
                "mitigations.lease",
                "a strategy uses either a lock or a lease, not both",
            )
        }
        (Some(l), None) => {
            let ttl = if l.ttl == "none" {
                None
            } else {
                let d = super::duration::parse_duration(&l.ttl).map_err(|m| FieldError {
                    field: "mitigations.lock.ttl".into(),
                    message: format!("{m}, or \"none\" for a lock that never expires"),
                })?;
                Some(positive(
                    "mitigations.lock.ttl",
                    d,
                    "lock lifetime; use \"none\" for no TTL",
                )?)
            };
            Some(LockConfig {
                kind: LockKind::Lock,
                ttl,
                retry_interval: positive(
                    "mitigations.lock.retry_interval",
                    l.retry_interval
                        .map(|d| d.0)
                        .unwrap_or(SimDuration::from_millis(20)),
                    "time between polls",
                )?,
                max_retries: retries("mitigations.lock.max_retries", l.max_retries, 25)?,
                fallback: fallback(
                    "mitigations.lock.fallback",
                    l.fallback.as_deref(),
                    Fallback::Stale,
                )?,
                stale_while_waiting: false,
                release_on_fill: true,
            })
        }
        (None, Some(l)) => Some(LockConfig {
            kind: LockKind::Lease,
            ttl: Some(positive(
                "mitigations.lease.period",
                l.period.map(|d| d.0).unwrap_or(SimDuration::from_secs(10)),
                "at most one lease per key per period",
            )?),
            retry_interval: positive(
                "mitigations.lease.retry_interval",
                l.retry_interval
                    .map(|d| d.0)
                    .unwrap_or(SimDuration::from_millis(20)),
                "time between polls",
            )?,
            max_retries: retries("mitigations.lease.max_retries", l.max_retries, 25)?,
            fallback: fallback(
                "mitigations.lease.fallback",
                l.fallback.as_deref(),
                Fallback::Database,
            )?,
            stale_while_waiting: l.serve_stale.unwrap_or(true),
            release_on_fill: false,
        }),
        (None, None) => None,
    };
    let rate_limit = match &raw.rate_limit {
        None => None,
        Some(r) => {
            if !r.rate.is_finite() || r.rate <= 0.0 || r.rate > 1e9 {
                return err(
                    "mitigations.rate_limit.rate",
                    format!("must be a number of rebuild queries per second per instance, greater than 0 and at most 1e9, got {}", r.rate),
                );
            }
            let burst = int_in(
                "mitigations.rate_limit.burst",
                r.burst.unwrap_or(1),
                1,
                100_000_000,
                "tokens in a full bucket",
            )?;
            Some(RateLimit {
                rate: r.rate,
                burst,
            })
        }
    };
    Ok(MitigationsConfig {
        early_expiration,
        refresh_ahead,
        coalescing: raw.coalescing.unwrap_or(false),
        lock,
        stale_while_revalidate,
        rate_limit,
    })
}

fn check_deploys_do_not_overlap(
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

const DIST_FORMS: &str = "a duration such as \"5ms\", or a table: { dist = \"constant\", value = \"5ms\" }, \
{ dist = \"exponential\", mean = \"5ms\" }, { dist = \"lognormal\", median = \"5ms\", p99 = \"40ms\" } or \
{ dist = \"uniform\", min = \"1ms\", max = \"9ms\" }";

/// Validates a distribution written as a duration string or a table.
pub fn distribution(field: &str, raw: &StringOrTable<RawDistribution>) -> Result<Distribution> {
    let t = match raw {
        StringOrTable::Text(s) => {
            return super::duration::parse_duration(s)
                .map(Distribution::Constant)
                .map_err(|m| FieldError {
                    field: field.to_string(),
                    message: format!("{m}; or use {DIST_FORMS}"),
                })
        }
        StringOrTable::Table(t) => t,
    };
    let given = [
        ("value", t.value),
        ("mean", t.mean),
        ("median", t.median),
        ("p99", t.p99),
        ("min", t.min),
        ("max", t.max),
    ];
    let needs: &[&str] = match t.dist.as_str() {
        "constant" => &["value"],
        "exponential" => &["mean"],
        "lognormal" => &["median", "p99"],
        "uniform" => &["min", "max"],
        other => {
            return err(
                format!("{field}.dist"),
                format!(
                    "`{}` is not allowed; use constant, exponential, lognormal or uniform",
                    crate::text::quote(other)
                ),
            )
        }
    };
    for (name, value) in given {
        let needed = needs.contains(&name);
        if needed && value.is_none() {
            return err(
                format!("{field}.{name}"),
                format!(
                    "is required for dist = \"{}\" (needs {})",
                    crate::text::quote(&t.dist),
                    needs.join(" and ")
                ),
            );
        }
        if !needed && value.is_some() {
            return err(
                format!("{field}.{name}"),
                format!(
                    "does not apply to dist = \"{}\" (it takes {})",
                    crate::text::quote(&t.dist),
                    needs.join(" and ")
                ),
            );
        }
    }
    let get = |n: &str| {
        given
            .iter()
            .find(|(k, _)| *k == n)
            .and_then(|(_, v)| v.map(|h| h.0))
            .unwrap_or_default()
    };
    match t.dist.as_str() {
        "constant" => Ok(Distribution::Constant(get("value"))),
        "exponential" => Ok(Distribution::Exponential {
            mean: positive(
                &format!("{field}.mean"),
                get("mean"),
                "mean of the exponential",
            )?,
        }),
        "lognormal" => {
            let median = positive(&format!("{field}.median"), get("median"), "median")?;
            let p99 = get("p99");
            if p99 <= median {
                return err(
                    format!("{field}.p99"),
                    format!("must be larger than the median ({median}), got {p99}"),
                );
            }
            Ok(Distribution::LogNormal { median, p99 })
        }
        _ => {
            let (min, max) = (get("min"), get("max"));
            if min > max {
                return err(
                    format!("{field}.max"),
                    format!("must be at least min ({min}), got {max}"),
                );
            }
            Ok(Distribution::Uniform { min, max })
        }
    }
}

fn timeline_event(
    field: &str,
    raw: &RawTimelineEvent,
    duration: SimDuration,
    clients: &ClientsConfig,
    cache: Option<&CacheConfig>,
    app: &AppConfig,
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
        "deploy" => &[
            "waves",
            "wave_interval",
            "warmup_top",
            "warmup_rate",
            "warmup_lead",
        ],
        "kill_lock_holder" => &["key"],
        other => {
            return err(
                format!("{field}.action"),
                format!(
                    "`{}` is not allowed; use flush, preload, set_rate, deploy or kill_lock_holder",
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
        ("ramp", raw.ramp.is_some()),
        ("key", raw.key.is_some()),
        ("waves", raw.waves.is_some()),
        ("wave_interval", raw.wave_interval.is_some()),
        ("warmup_top", raw.warmup_top.is_some()),
        ("warmup_rate", raw.warmup_rate.is_some()),
        ("warmup_lead", raw.warmup_lead.is_some()),
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
            let warmup = match (raw.warmup_top, raw.warmup_rate) {
                (None, None) => {
                    if raw.warmup_lead.is_some() {
                        return err(
                            format!("{field}.warmup_lead"),
                            "applies only with warmup_top and warmup_rate",
                        );
                    }
                    None
                }
                (Some(top), Some(rate)) => {
                    let top = int_in(
                        &format!("{field}.warmup_top"),
                        top,
                        1,
                        clients.keyspace as i64,
                        "most popular keys to warm, at most the keyspace",
                    )?;
                    if !rate.is_finite() || rate <= 0.0 || rate > 1e9 {
                        return err(format!("{field}.warmup_rate"), format!("must be keys per second, greater than 0 and at most 1e9, got {rate}"));
                    }
                    let lead = raw.warmup_lead.map(|d| d.0).unwrap_or_default();
                    if lead > at {
                        return err(format!("{field}.warmup_lead"), format!("{lead} would start warming before the run starts (the deploy is at {at})"));
                    }
                    Some(Warmup { top, rate, lead })
                }
                (Some(_), None) => {
                    return err(
                        format!("{field}.warmup_rate"),
                        "is required with warmup_top (keys warmed per second)",
                    )
                }
                (None, Some(_)) => {
                    return err(
                        format!("{field}.warmup_top"),
                        "is required with warmup_rate (how many of the most popular keys)",
                    )
                }
            };
            TimelineAction::Deploy(Deploy {
                waves,
                wave_interval,
                warmup,
            })
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
