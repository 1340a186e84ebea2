//! `[clients]`: the workload.

use super::trace::{mean_rate, refuse_synthetic, trace, TraceScans};
use super::*;

/// The clients of a scenario seeded `seed` (which picks the key sample a trace is counted
/// with).
pub(super) fn clients(
    raw: &RawClients,
    seed: u64,
    scans: &mut TraceScans,
) -> Result<ClientsConfig> {
    if let Some(t) = &raw.trace {
        return traced(raw, t, seed, scans);
    }
    let Some(rps) = raw.rps else {
        return err("clients.rps", "is required");
    };
    let Some(keyspace) = raw.keyspace else {
        return err("clients.keyspace", "is required");
    };
    let rps = rate("clients.rps", rps)?;
    let keyspace = int_in(
        "clients.keyspace",
        keyspace,
        1,
        MAX_KEYSPACE,
        "number of distinct keys",
    )?;
    let popularity = popularity(
        "clients.popularity",
        raw.popularity.as_ref(),
        Popularity::Uniform,
    )?;
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
    let timeout = timeout(raw)?;
    let absent_share = raw.absent_share.unwrap_or(0.0);
    if !absent_share.is_finite() || !(0.0..=1.0).contains(&absent_share) {
        return err(
            "clients.absent_share",
            format!("must be a share of key reads from 0 to 1 (0.05: one read in twenty asks for a key that does not exist), got {absent_share}"),
        );
    }
    let absent_keys = match raw.absent_keys {
        None if absent_share > 0.0 => return err(
            "clients.absent_keys",
            "is required with absent_share (how many distinct absent keys those reads ask for: \
                 a scraper tries many, a bug that requests deleted ids a few)",
        ),
        None => 0,
        Some(m) => int_in(
            "clients.absent_keys",
            m,
            1,
            MAX_KEYSPACE - keyspace as i64,
            "distinct absent keys; with the keyspace at most 20,000,000",
        )?,
    };
    let optional_keys = int_in(
        "clients.optional_keys",
        raw.optional_keys.unwrap_or(0),
        0,
        fanout as i64,
        "keys of a request whose failure degrades it instead of failing it; at most clients.fanout",
    )?;
    Ok(ClientsConfig {
        optional_keys,
        rps,
        keyspace,
        popularity,
        fanout,
        timeout,
        absent_share,
        absent_keys,
        trace: None,
    })
}

/// The clients of a trace replay: the trace sets the arrivals and the keys.
fn traced(
    raw: &RawClients,
    t: &RawTrace,
    seed: u64,
    scans: &mut TraceScans,
) -> Result<ClientsConfig> {
    refuse_synthetic(raw)?;
    let trace = trace(t, seed, scans)?;
    let timeout = timeout(raw)?;
    Ok(ClientsConfig {
        rps: mean_rate(trace.scan.reads, &trace),
        keyspace: trace.scan.keys,
        popularity: Popularity::Uniform,
        fanout: 1,
        timeout,
        absent_share: 0.0,
        absent_keys: 0,
        optional_keys: 0,
        trace: Some(trace),
    })
}

/// `clients.timeout`, if set: how long a client waits.
fn timeout(raw: &RawClients) -> Result<Option<SimDuration>> {
    match raw.timeout {
        Some(t) => Ok(Some(positive(
            "clients.timeout",
            t.0,
            "time a client waits",
        )?)),
        None => Ok(None),
    }
}

/// A popularity, written `"uniform"` or `{ dist = "zipf", s = 0.99 }`, at `field`.
pub(super) fn popularity(
    field: &str,
    raw: Option<&StringOrTable<RawPopularity>>,
    default: Popularity,
) -> Result<Popularity> {
    Ok(match raw {
        None => default,
        Some(StringOrTable::Text(t)) if t == "uniform" => Popularity::Uniform,
        Some(StringOrTable::Text(t)) if t == "zipf" => {
            return err(
                field,
                "zipf needs its exponent: write { dist = \"zipf\", s = 0.99 }",
            )
        }
        Some(StringOrTable::Text(t)) => {
            return err(
                field,
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
                    format!("{field}.s"),
                    format!("must be a number greater than 0 and at most 10, got {s}"),
                )
            }
            ("zipf", None) => {
                return err(
                    format!("{field}.s"),
                    "is required for zipf (for example s = 0.99)",
                )
            }
            ("uniform", Some(_)) => return err(format!("{field}.s"), "applies only to zipf"),
            (d, _) => {
                return err(
                    format!("{field}.dist"),
                    format!(
                        "`{}` is not allowed; use \"uniform\" or \"zipf\"",
                        crate::text::quote(d)
                    ),
                )
            }
        },
    })
}
