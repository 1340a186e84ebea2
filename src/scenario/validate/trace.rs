//! `[clients.trace]`: a recorded trace replayed instead of the synthetic clients. The trace is
//! read once here, whole, so that a bad record is refused (exit 2) before anything runs, and
//! its keys, reads and writes are counted for the model and the cost estimate.

use std::path::{Path, PathBuf};

use super::*;
use crate::trace::{self, CsvColumns, Format, Scan};

/// Scans of the traces a scenario names, so that strategies sharing a trace read it once.
pub struct TraceScans {
    /// The folder trace paths are relative to: the scenario file's.
    dir: PathBuf,
    done: Vec<(TraceConfig, Scan)>,
}

impl TraceScans {
    /// Traces named by the scenario file `file`.
    pub fn new(file: &Path) -> Self {
        TraceScans {
            dir: file.parent().map(Path::to_path_buf).unwrap_or_default(),
            done: Vec::new(),
        }
    }
}

const FORMATS: &str = "\"csv\" (a header line; name its columns in [clients.trace.columns]), \
     \"twitter\" (twemcache traces) or \"oracle-general\" (libCacheSim's binary records, .zst or not)";

/// The trace of `[clients.trace]`, read and counted; with a key sample, counted with the
/// sample of a run seeded `seed` (the scenario's first replication).
pub(super) fn trace(raw: &RawTrace, seed: u64, scans: &mut TraceScans) -> Result<TraceConfig> {
    let f = |name: &str| format!("clients.trace.{name}");
    if raw.path.trim().is_empty() {
        return err(
            f("path"),
            "must name the trace file (relative to the scenario file)",
        );
    }
    let format = format(raw)?;
    let speed = raw.speed.unwrap_or(1.0);
    if !speed.is_finite() || !(0.001..=1000.0).contains(&speed) {
        return err(
            f("speed"),
            format!("must be a number from 0.001 to 1000 (2: replay twice as fast, twice the load), got {speed}"),
        );
    }
    let start = raw.start.map_or(SimDuration::ZERO, |d| d.0);
    let length = match raw.length {
        Some(d) => Some(positive(&f("length"), d.0, "trace time replayed")?),
        None => None,
    };
    let fill_window = raw
        .fill_window
        .map_or(Some(SimDuration::from_secs(1)), |d| {
            Some(d.0).filter(|d| d.0 > 0)
        });
    let keys = match &raw.keys {
        None => None,
        Some(k) => {
            if !k.fraction.is_finite() || k.fraction <= 0.0 || k.fraction > 1.0 {
                return err(
                    f("keys.fraction"),
                    format!(
                        "must be above 0 and at most 1 (the share of keys replayed; 0.1 keeps one key in ten), got {}",
                        k.fraction
                    ),
                );
            }
            Some(TraceKeys {
                fraction: k.fraction,
                seed: k.seed.unwrap_or(0),
            })
        }
    };
    let mut config = TraceConfig {
        path: scans.dir.join(&raw.path),
        format,
        speed,
        start,
        length,
        ttl: raw.ttl.unwrap_or(true),
        fill_window,
        keys,
        scan: Scan::default(),
    };
    config.scan = match scans.done.iter().find(|(c, _)| *c == config) {
        Some((_, s)) => *s,
        None => {
            let mut window = config.window(true, seed);
            window.max_keys = MAX_KEYSPACE as u32;
            let s = trace::scan(&config.path, &config.format, window)
                .or_else(|e| err(f("path"), e.to_string()))?;
            scans.done.push((config.clone(), s));
            s
        }
    };
    Ok(config)
}

/// The trace's layout: `format`, with `columns` and `time_unit` for a CSV trace.
fn format(raw: &RawTrace) -> Result<Format> {
    let f = |name: &str| format!("clients.trace.{name}");
    Ok(match raw.format.as_str() {
        "csv" => {
            let Some(c) = &raw.columns else {
                return err(
                    f("columns"),
                    "is required with format = \"csv\": the header names of the columns, as \
                     { time = \"ts\", key = \"key\", op = \"op\" } (op, size and ttl are optional)",
                );
            };
            let time_unit_ns = match raw.time_unit.as_deref().unwrap_or("s") {
                "s" => 1_000_000_000,
                "ms" => 1_000_000,
                "us" => 1_000,
                "ns" => 1,
                other => {
                    return err(
                        f("time_unit"),
                        format!(
                            "`{}` is not allowed; use \"s\", \"ms\", \"us\" or \"ns\" (the unit of the time column)",
                            crate::text::quote(other)
                        ),
                    )
                }
            };
            Format::Csv(CsvColumns {
                time: c.time.clone(),
                key: c.key.clone(),
                op: c.op.clone(),
                size: c.size.clone(),
                ttl: c.ttl.clone(),
                time_unit_ns,
            })
        }
        "twitter" | "oracle-general" => {
            if raw.columns.is_some() {
                return err(f("columns"), "applies only to format = \"csv\"");
            }
            if raw.time_unit.is_some() {
                return err(f("time_unit"), "applies only to format = \"csv\"");
            }
            if raw.format == "twitter" {
                Format::Twitter
            } else {
                Format::OracleGeneral
            }
        }
        other => {
            return err(
                f("format"),
                format!(
                    "`{}` is not allowed; use {FORMATS}",
                    crate::text::quote(other)
                ),
            )
        }
    })
}

/// Refuses the synthetic clients' settings beside a trace, which sets them.
pub(super) fn refuse_synthetic(raw: &RawClients) -> Result<()> {
    let set = [
        ("rps", raw.rps.is_some()),
        ("keyspace", raw.keyspace.is_some()),
        ("popularity", raw.popularity.is_some()),
        ("fanout", raw.fanout.is_some()),
        ("absent_share", raw.absent_share.is_some()),
        ("absent_keys", raw.absent_keys.is_some()),
        ("optional_keys", raw.optional_keys.is_some()),
    ];
    for (name, given) in set {
        if given {
            return err(
                format!("clients.{name}"),
                "is given by [clients.trace] (its arrivals and keys); remove it, or remove the trace",
            );
        }
    }
    Ok(())
}

/// The mean rate of `count` events over the span of `trace`, per second.
pub(super) fn mean_rate(count: u64, trace: &TraceConfig) -> f64 {
    count as f64 / trace.span_secs()
}

/// Scales what holds or serves keys by a key sample's `fraction`, so that a sampled replay
/// loads its caches and database as the whole trace would: each cache node's and the gutter's
/// capacity in entries, the local caches' capacity in entries, each cache node's operations per
/// second, and the database's slots. Each is rounded to the nearest whole number (at least 1);
/// nothing else (latencies, timeouts, queue limits, app workers) changes.
pub(super) fn scale_capacities(
    fraction: f64,
    cache: &mut Option<CacheConfig>,
    local_cache: &mut Option<LocalCacheConfig>,
    db: &mut DbConfig,
) {
    let scale = |n: u32| ((n as f64 * fraction).round() as u32).max(1);
    if let Some(c) = cache {
        c.capacity = c.capacity.map(scale);
        if let Failover::Gutter(g) = &mut c.failover {
            g.capacity = g.capacity.map(scale);
        }
        c.node_ops_per_s = c.node_ops_per_s.map(|r| r * fraction);
    }
    if let Some(l) = local_cache {
        l.capacity = l.capacity.map(scale);
    }
    db.slots = scale(db.slots);
}
