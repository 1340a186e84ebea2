//! Checks a [`RawScenario`] and turns it into a [`ModelConfig`].
//!
//! Every error names the field path (`db.slots`) and says what is allowed.

mod app;
mod cache;
mod clients;
mod db;
mod distribution;
mod local_cache;
mod mitigations;
mod retries;
mod timeline;
mod trace;
mod warnings;
mod writes;

use app::app;
use cache::cache;
use clients::clients;
use db::db;
pub use distribution::distribution;
use local_cache::local_cache;
use mitigations::mitigations;
use retries::retries;
use timeline::{check_deploys_do_not_overlap, timeline_event};
pub use trace::TraceScans;
pub use warnings::warnings;
use writes::writes;

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
        Some(toml::Value::String(s)) => match crate::scenario::duration::parse_duration(s) {
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
/// Traces the scenario replays are read through `traces` (see [`TraceScans`]).
pub fn model_config(raw: &RawScenario, traces: &mut TraceScans) -> Result<ModelConfig> {
    let (duration, bucket, drain) = run_length(raw)?;
    let clients = clients(&raw.clients, raw.seed, traces)?;
    let app = app(&raw.app)?;
    let mut cache = cache(&raw.cache, &clients)?;
    let mut local_cache = local_cache(raw.local_cache.as_ref(), &clients, cache.as_ref())?;
    let mut db = db(&raw.db)?;
    if let Some(k) = clients.trace.as_ref().and_then(|t| t.keys) {
        trace::scale_capacities(k.fraction, &mut cache, &mut local_cache, &mut db);
    }
    let traced_writes = clients
        .trace
        .as_ref()
        .is_some_and(|t| t.scan.writes > 0 && raw.writes.is_none())
        .then(RawWrites::default);
    let writes = writes(
        raw.writes.as_ref().or(traced_writes.as_ref()),
        &clients,
        &db,
        cache.as_ref(),
    )?;
    let mitigations = mitigations(&raw.mitigations, cache.as_ref())?;
    let retries = retries(raw.retries.as_ref())?;
    let cx = timeline::Context {
        duration,
        clients: &clients,
        cache: cache.as_ref(),
        app: &app,
        writes: writes.as_ref(),
    };
    let timeline = timeline(raw, &cx)?;
    let max_in_flight = int_in(
        "limits.max_in_flight",
        raw.limits
            .max_in_flight
            .unwrap_or_else(|| default_max_in_flight(clients.fanout)),
        1,
        100_000_000,
        "requests in the system at once before arrivals are shed",
    )?;
    let config = ModelConfig {
        duration,
        bucket,
        drain,
        clients,
        app,
        cache,
        db,
        writes,
        local_cache,
        mitigations,
        retries,
        timeline,
        limits: LimitsConfig {
            max_in_flight,
            max_in_flight_is_default: raw.limits.max_in_flight.is_none(),
        },
    };
    requests_per_bucket(&config)?;
    Ok(config)
}

/// The run's length, its metrics bucket and its drain (`duration`, `bucket`, `drain`), with
/// the buckets they give bounded.
fn run_length(raw: &RawScenario) -> Result<(SimDuration, SimDuration, Option<SimDuration>)> {
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
    Ok((duration, bucket, drain))
}

/// The timeline's events in time order (file order among events at the same time); a rate
/// change is refused beside a trace, which sets the arrivals.
fn timeline(raw: &RawScenario, cx: &timeline::Context) -> Result<Vec<TimelineEvent>> {
    let mut timeline = Vec::with_capacity(raw.timeline.len());
    for (i, e) in raw.timeline.iter().enumerate() {
        timeline.push(timeline_event(&format!("timeline[{i}]"), e, cx)?);
    }
    // Stable sort: events at the same time keep file order.
    timeline.sort_by_key(|e| e.at);
    check_deploys_do_not_overlap(&timeline, &raw.timeline)?;
    if cx.clients.trace.is_some() {
        if let Some(i) = raw
            .timeline
            .iter()
            .position(|e| e.action == "set_rate" || e.action == "set_write_rate")
        {
            return err(
                format!("timeline[{i}].action"),
                "changes a rate, and the trace sets the arrivals; use clients.trace.speed to scale it",
            );
        }
    }
    Ok(timeline)
}

/// Refuses a bucket so wide that the requests it completes could overflow its latency counts
/// ([`crate::metrics::MAX_REQUESTS_PER_BUCKET`]): the arrivals expected in the busiest bucket,
/// with room for chance, plus every request that may be in flight when it starts.
fn requests_per_bucket(config: &ModelConfig) -> Result<()> {
    let limit = crate::metrics::MAX_REQUESTS_PER_BUCKET;
    let most =
        |arrivals: f64| arrivals + 6.0 * arrivals.sqrt() + config.limits.max_in_flight as f64;
    let arrivals = crate::model::clients::ArrivalProcess::from_config(config);
    let run_s = config.duration.as_secs_f64();
    if most(arrivals.integral(run_s)) <= limit {
        return Ok(());
    }
    let width_s = config.bucket.as_secs_f64();
    let buckets = config.duration.0.div_ceil(config.bucket.0);
    let busiest = (0..buckets)
        .map(|i| {
            let start = i as f64 * width_s;
            arrivals.integral((start + width_s).min(run_s)) - arrivals.integral(start)
        })
        .fold(0.0, f64::max);
    if most(busiest) <= limit {
        return Ok(());
    }
    err(
        "bucket",
        format!(
            "about {:.2} billion requests could complete in one bucket of {}, more than the {:.1} \
             billion a bucket's latency counts hold; use a narrower bucket",
            most(busiest) / 1e9,
            config.bucket,
            limit / 1e9
        ),
    )
}
