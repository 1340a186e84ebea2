//! `[mitigations]`: the stampede mitigations a strategy switches on.

use super::*;
use crate::model::mitigation::lock::{SettingError, WaitSettings};
use crate::scenario::duration::HumanDuration;

pub(super) fn mitigations(
    raw: &RawMitigations,
    cache: Option<&CacheConfig>,
) -> Result<MitigationsConfig> {
    needs_cache(raw, cache)?;
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
    let lock = lock_or_lease(raw)?;
    let rate_limit = raw.rate_limit.as_ref().map(rate_limit).transpose()?;
    let double_delete = match raw.double_delete {
        None => None,
        Some(d) => Some(positive(
            "mitigations.double_delete",
            d.0,
            "delay of the second delete after the commit",
        )?),
    };
    Ok(MitigationsConfig {
        early_expiration,
        refresh_ahead,
        coalescing: raw.coalescing.unwrap_or(false),
        lock,
        stale_while_revalidate,
        rate_limit,
        double_delete,
        versioned_sets: raw.versioned_sets.unwrap_or(false),
        negative_ttl: match &raw.negative_caching {
            None => None,
            Some(n) => Some(positive(
                "mitigations.negative_caching.ttl",
                n.ttl.0,
                "how long \"not found\" is cached",
            )?),
        },
        bloom_false_positive: match &raw.bloom_filter {
            None => None,
            Some(b) => Some(
                crate::model::mitigation::bloom::check_false_positive_rate(b.false_positive_rate)
                    .or_else(|m| err("mitigations.bloom_filter.false_positive_rate", m))?,
            ),
        },
        circuit_breaker: raw
            .circuit_breaker
            .as_ref()
            .map(circuit_breaker)
            .transpose()?,
        stale_on_error: raw.stale_on_error.unwrap_or(false),
        hedge: raw.hedge.as_ref().map(hedge).transpose()?,
        adaptive_throttling: raw
            .adaptive_throttling
            .as_ref()
            .map(adaptive_throttling)
            .transpose()?,
        db_breaker: raw.db_breaker.as_ref().map(db_breaker).transpose()?,
    })
}

/// Mitigations that act on the cache, refused when there is none.
fn needs_cache(raw: &RawMitigations, cache: Option<&CacheConfig>) -> Result<()> {
    let needing_cache = [
        ("coalescing", raw.coalescing == Some(true)),
        ("early_expiration", raw.early_expiration.is_some()),
        ("refresh_ahead", raw.refresh_ahead.is_some()),
        (
            "stale_while_revalidate",
            raw.stale_while_revalidate.is_some(),
        ),
        ("lock", raw.lock.is_some()),
        ("lease", raw.lease.is_some()),
        ("rate_limit", raw.rate_limit.is_some()),
        ("double_delete", raw.double_delete.is_some()),
        ("versioned_sets", raw.versioned_sets == Some(true)),
        ("negative_caching", raw.negative_caching.is_some()),
        ("circuit_breaker", raw.circuit_breaker.is_some()),
        ("hedge", raw.hedge.is_some()),
        ("stale_on_error", raw.stale_on_error == Some(true)),
    ];
    if let (Some((name, _)), None) = (needing_cache.iter().find(|(_, set)| *set), cache) {
        return err(
            format!("mitigations.{name}"),
            "needs a cache; remove it or set cache.enabled = true",
        );
    }
    Ok(())
}

/// `mitigations.lock` or `mitigations.lease` (not both): one rebuild per key at a time.
fn lock_or_lease(raw: &RawMitigations) -> Result<Option<LockConfig>> {
    let in_section = |section: &str| {
        let section = section.to_string();
        move |e: SettingError| FieldError {
            field: format!("mitigations.{section}.{}", e.field),
            message: e.message,
        }
    };
    Ok(match (&raw.lock, &raw.lease) {
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
                Some(
                    crate::scenario::duration::parse_duration(&l.ttl).map_err(|m| FieldError {
                        field: "mitigations.lock.ttl".into(),
                        message: format!("{m}, or \"none\" for a lock that never expires"),
                    })?,
                )
            };
            let wait = WaitSettings {
                retry_interval: l.retry_interval.map(|d| d.0),
                max_retries: l.max_retries,
                fallback: l.fallback.as_deref(),
            };
            Some(LockConfig::lock(ttl, wait).map_err(in_section("lock"))?)
        }
        (None, Some(l)) => {
            let wait = WaitSettings {
                retry_interval: l.retry_interval.map(|d| d.0),
                max_retries: l.max_retries,
                fallback: l.fallback.as_deref(),
            };
            Some(
                LockConfig::lease(l.period.map(|d| d.0), l.serve_stale, wait)
                    .map_err(in_section("lease"))?,
            )
        }
        (None, None) => None,
    })
}

/// `mitigations.rate_limit`: the token bucket's `rate` and `burst`.
fn rate_limit(r: &RawRateLimit) -> Result<RateLimit> {
    let rate = RateLimit::check_rate(r.rate).or_else(|m| err("mitigations.rate_limit.rate", m))?;
    let burst = int_in(
        "mitigations.rate_limit.burst",
        r.burst.unwrap_or(1),
        1,
        100_000_000,
        "tokens in a full bucket",
    )?;
    Ok(RateLimit { rate, burst })
}

/// `mitigations.hedge = { after = "5ms", max_share = 0.05, burst = 10 }`: `after` required.
fn hedge(raw: &RawHedge) -> Result<HedgeConfig> {
    let after = positive(
        "mitigations.hedge.after",
        raw.after.0,
        "time after which an unanswered cache read is hedged",
    )?;
    let max_share = HedgeConfig::check_share(raw.max_share.unwrap_or(0.05))
        .or_else(|m| err("mitigations.hedge.max_share", m))?;
    let burst = raw.burst.unwrap_or(10.0);
    if !burst.is_finite() || !(1.0..=1e9).contains(&burst) {
        return err(
            "mitigations.hedge.burst",
            format!("must be a number of hedges from 1 to 1e9 (saved for a burst of slow reads), got {burst}"),
        );
    }
    Ok(HedgeConfig {
        after,
        max_share,
        burst,
    })
}

/// `mitigations.circuit_breaker = { failures = 5, window = "1s", cool_down = "5s", probes = 1 }`,
/// each optional with these defaults.
fn circuit_breaker(raw: &RawCircuitBreaker) -> Result<BreakerConfig> {
    breaker_settings(
        "mitigations.circuit_breaker",
        "failed cache calls",
        BreakerFields {
            failures: raw.failures,
            window: raw.window,
            cool_down: raw.cool_down,
            probes: raw.probes,
        },
    )
}

/// `mitigations.db_breaker`: the breaker's settings as for cache nodes, and `slow`, the answer
/// time beyond which a query counts as failed (optional).
fn db_breaker(raw: &RawDbBreaker) -> Result<DbBreakerConfig> {
    let breaker = breaker_settings(
        "mitigations.db_breaker",
        "failed or slow database reads",
        BreakerFields {
            failures: raw.failures,
            window: raw.window,
            cool_down: raw.cool_down,
            probes: raw.probes,
        },
    )?;
    let slow = match raw.slow {
        Some(s) => Some(positive(
            "mitigations.db_breaker.slow",
            s.0,
            "answer time beyond which a database read counts as failed",
        )?),
        None => None,
    };
    Ok(DbBreakerConfig { breaker, slow })
}

/// `mitigations.adaptive_throttling = { k = 2, window = "2m" }`, each optional with these
/// defaults (Google's SRE book).
fn adaptive_throttling(raw: &RawAdaptiveThrottling) -> Result<ThrottleConfig> {
    let k = raw.k.unwrap_or(2.0);
    if !k.is_finite() || !(1.0..=100.0).contains(&k) {
        return err(
            "mitigations.adaptive_throttling.k",
            format!("must be a number from 1 to 100 (how many times the accepted attempts the clients may send; 2 in the SRE book), got {k}"),
        );
    }
    let window = match raw.window {
        Some(w) => positive(
            "mitigations.adaptive_throttling.window",
            w.0,
            "time over which attempts and accepts are counted",
        )?,
        None => SimDuration::from_secs(120),
    };
    Ok(ThrottleConfig { k, window })
}

/// A breaker's four settings as written.
struct BreakerFields {
    failures: Option<i64>,
    window: Option<HumanDuration>,
    cool_down: Option<HumanDuration>,
    probes: Option<i64>,
}

/// A breaker's settings under `section`, each optional: 5 `calls` within 1 s open it, it
/// stays open 5 s, one successful probe closes it.
fn breaker_settings(section: &str, calls: &str, raw: BreakerFields) -> Result<BreakerConfig> {
    let failures = int_in(
        &format!("{section}.failures"),
        raw.failures.unwrap_or(5),
        1,
        1_000_000,
        &format!("{calls} within the window that open the breaker"),
    )?;
    let window = match raw.window {
        Some(w) => positive(
            &format!("{section}.window"),
            w.0,
            "time over which failures are counted",
        )?,
        None => SimDuration::from_secs(1),
    };
    let cool_down = match raw.cool_down {
        Some(c) => positive(
            &format!("{section}.cool_down"),
            c.0,
            "time the breaker stays open before it lets probes through",
        )?,
        None => SimDuration::from_secs(5),
    };
    let probes = int_in(
        &format!("{section}.probes"),
        raw.probes.unwrap_or(1),
        1,
        1_000_000,
        "successful probes that close the breaker again",
    )?;
    Ok(BreakerConfig {
        failures,
        window,
        cool_down,
        probes,
    })
}
