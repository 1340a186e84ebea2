//! `[mitigations]`: the stampede mitigations a strategy switches on.

use super::*;

pub(super) fn fallback(field: &str, raw: Option<&str>, default: Fallback) -> Result<Fallback> {
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

pub(super) fn mitigations(
    raw: &RawMitigations,
    cache: Option<&CacheConfig>,
) -> Result<MitigationsConfig> {
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
        Some(e) => Some(
            EarlyExpiration::new(e.beta.unwrap_or(1.0))
                .or_else(|m| err("mitigations.early_expiration.beta", m))?,
        ),
    };
    let refresh_ahead = match &raw.refresh_ahead {
        None => None,
        Some(r) => Some(
            RefreshAhead::new(r.fraction)
                .or_else(|m| err("mitigations.refresh_ahead.fraction", m))?,
        ),
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
                let d =
                    crate::scenario::duration::parse_duration(&l.ttl).map_err(|m| FieldError {
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
            let rate =
                RateLimit::check_rate(r.rate).or_else(|m| err("mitigations.rate_limit.rate", m))?;
            let burst = int_in(
                "mitigations.rate_limit.burst",
                r.burst.unwrap_or(1),
                1,
                100_000_000,
                "tokens in a full bucket",
            )?;
            Some(RateLimit { rate, burst })
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
