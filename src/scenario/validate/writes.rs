//! `[writes]`: writes to the database and the path they take to the cache.

use super::clients::popularity;
use super::*;
use crate::model::mitigation::write_path::{check_bypass, check_loss};

const PATHS: &str = "\"ttl_only\" (the old value lives until its TTL), \"delete\" (commit, then delete), \
     \"delete_before_commit\" (delete, then commit), \"write_through\" (commit, then set the new value), \
     \"events\" (commit; a change event deletes the key after `event_lag`, lost with probability `event_loss`) \
     or \"write_back\" (the cache takes the write; a flusher commits it every `flush_interval`)";

pub(super) fn writes(
    raw: Option<&RawWrites>,
    clients: &ClientsConfig,
    db: &DbConfig,
    cache: Option<&CacheConfig>,
) -> Result<Option<WritesConfig>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let (rate, share) = match &clients.trace {
        Some(t) => {
            for (name, given) in [
                ("rate", raw.rate.is_some()),
                ("share", raw.share.is_some()),
                ("popularity", raw.popularity.is_some()),
                ("creates", raw.creates.is_some()),
            ] {
                if given {
                    return err(
                        format!("writes.{name}"),
                        "is given by [clients.trace] (its sets and deletes); remove it",
                    );
                }
            }
            (super::trace::mean_rate(t.scan.writes, t), None)
        }
        None => rate_and_share(raw, clients)?,
    };
    let popularity = popularity(
        "writes.popularity",
        raw.popularity.as_ref(),
        clients.popularity,
    )?;
    let service = match &raw.service {
        None => db.service,
        Some(s) => {
            let d = distribution("writes.service", s)?;
            if d.mean_secs() <= 0.0 {
                return err(
                    "writes.service",
                    "must have a mean above 0 (database time of one write); use at least \"1ns\"",
                );
            }
            d
        }
    };
    let name = raw.path.as_deref().unwrap_or("ttl_only");
    let path = path(name, raw)?;
    if path != WritePath::TtlOnly && cache.is_none() {
        return err(
            "writes.path",
            format!("\"{name}\" acts on the cache, and there is none; use \"ttl_only\" or set cache.enabled = true"),
        );
    }
    let bypass = check_bypass(raw.bypass.unwrap_or(0.0)).or_else(|m| err("writes.bypass", m))?;
    let creates = raw.creates.unwrap_or(0.0);
    if !creates.is_finite() || !(0.0..=1.0).contains(&creates) {
        return err(
            "writes.creates",
            format!("must be a share of writes from 0 to 1 (0.1: one write in ten creates a key), got {creates}"),
        );
    }
    if creates > 0.0 && clients.absent_keys == 0 {
        return err(
            "writes.creates",
            "creates keys among the absent ones, and there are none; set clients.absent_keys (and absent_share for reads of them)",
        );
    }
    Ok(Some(WritesConfig {
        rate,
        share,
        popularity,
        service,
        path,
        bypass,
        creates,
    }))
}

/// `writes.rate` or `writes.share` (one of them): the write rate at time zero, and the share
/// when writes follow the read rate.
fn rate_and_share(raw: &RawWrites, clients: &ClientsConfig) -> Result<(f64, Option<f64>)> {
    Ok(match (raw.rate, raw.share) {
        (Some(r), None) => (
            rate("writes.rate", r).map_err(|e| FieldError {
                message: e.message.replace("requests per second", "writes per second"),
                ..e
            })?,
            None,
        ),
        (None, Some(s)) => {
            if !s.is_finite() || !(0.0..1.0).contains(&s) {
                return err(
                    "writes.share",
                    format!("must be a share of operations from 0 to below 1 (0.1: one operation in ten is a write), got {s}"),
                );
            }
            let per_read = s / (1.0 - s);
            if clients.rps * per_read > 1e9 {
                return err(
                    "writes.share",
                    format!("{s} gives more than 1e9 writes per second at clients.rps; use a smaller share"),
                );
            }
            (clients.rps * per_read, Some(s))
        }
        (Some(_), Some(_)) => {
            return err(
                "writes.share",
                "a [writes] table sets either a rate (writes per second) or a share of operations, not both",
            )
        }
        (None, None) => {
            return err(
                "writes.rate",
                "is required in [writes]: writes per second (or `share`, the share of operations that are writes)",
            )
        }
    })
}

/// `writes.path` named `name`, with its own settings.
fn path(name: &str, raw: &RawWrites) -> Result<WritePath> {
    Ok(match name {
        "ttl_only" => WritePath::TtlOnly,
        "delete" => WritePath::DeleteAfterCommit,
        "delete_before_commit" => WritePath::DeleteBeforeCommit,
        "write_through" => WritePath::WriteThrough,
        "events" => {
            let Some(lag) = &raw.event_lag else {
                return err(
                    "writes.event_lag",
                    "is required for path = \"events\" (delivery lag of an invalidation event, \
                     for example \"200ms\" or { dist = \"exponential\", mean = \"200ms\" })",
                );
            };
            WritePath::Events {
                lag: distribution("writes.event_lag", lag)?,
                loss: check_loss(raw.event_loss.unwrap_or(0.0))
                    .or_else(|m| err("writes.event_loss", m))?,
            }
        }
        "write_back" => WritePath::WriteBack {
            interval: match raw.flush_interval {
                Some(d) => positive("writes.flush_interval", d.0, "time between two flushes")?,
                None => SimDuration::from_secs(1),
            },
            batch: raw
                .flush_batch
                .map(|b| {
                    int_in(
                        "writes.flush_batch",
                        b,
                        1,
                        100_000_000,
                        "most keys one flush commits",
                    )
                })
                .transpose()?,
        },
        other => {
            return err(
                "writes.path",
                format!(
                    "`{}` is not allowed; use {PATHS}",
                    crate::text::quote(other)
                ),
            )
        }
    })
}
