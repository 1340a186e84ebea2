//! `[retries]`: how clients retry a failed or timed-out request.

use super::*;

/// Most attempts per request.
pub const MAX_ATTEMPTS: i64 = 100;
/// Longest default cap of an exponential backoff (the default is 100 × base, at most this).
pub const DEFAULT_MAX_BACKOFF: SimDuration = SimDuration::from_secs(3600);
/// Largest retry budget, in tokens.
const MAX_BUDGET_CAPACITY: f64 = 1e9;

const BACKOFFS: &str = "\"none\" (retry at once), \"fixed\" (wait `base` before every retry) or \
     \"exponential\" (wait `base`, doubling before each next retry, at most `max`)";
const JITTERS: &str = "\"none\" (wait the backoff's delay) or \"full\" (wait a uniform draw \
     between 0 and the backoff's delay)";
const FAILURES: &str = "\"timeout\", \"overload\", \"db_error\", \"db_busy\" or \"fallback\"";

pub(super) fn retries(raw: Option<&RawRetries>) -> Result<Option<RetryConfig>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let Some(attempts) = raw.attempts else {
        return err(
            "retries.attempts",
            format!(
                "is required in [retries]: attempts per request, the first one included \
                 (1 to {MAX_ATTEMPTS}; 3 makes up to two retries)"
            ),
        );
    };
    let attempts = int_in(
        "retries.attempts",
        attempts,
        1,
        MAX_ATTEMPTS,
        "attempts per request, the first one included",
    )?;
    let backoff = backoff(raw)?;
    let jitter = match raw.jitter.as_deref() {
        None | Some("none") => false,
        Some("full") => true,
        Some(other) => {
            return err(
                "retries.jitter",
                format!(
                    "`{}` is not allowed; use {JITTERS}",
                    crate::text::quote(other)
                ),
            )
        }
    };
    let on = match &raw.on {
        None => RetryOn::ALL,
        Some(names) => retry_on(names)?,
    };
    let deadline = match raw.deadline {
        None => None,
        Some(d) => Some(positive(
            "retries.deadline",
            d.0,
            "no retry starts later than this after the request arrived",
        )?),
    };
    let budget = raw.budget.as_ref().map(budget).transpose()?;
    let by = match raw.by.as_deref() {
        None | Some("client") => RetryLayer::Client,
        Some("app") => RetryLayer::App,
        Some(other) => {
            return err(
                "retries.by",
                format!(
                    "must be \"client\" (the client sends the request again) or \"app\" (the app \
                     sends a failed database query again within the request), got `{}`",
                    crate::text::quote(other)
                ),
            )
        }
    };
    Ok(Some(RetryConfig {
        by,
        attempts,
        backoff,
        jitter,
        on,
        deadline,
        budget,
    }))
}

/// `retries.backoff` with its `base` and `max`.
fn backoff(raw: &RawRetries) -> Result<Backoff> {
    let base = || -> Result<SimDuration> {
        match raw.base {
            None => err(
                "retries.base",
                format!(
                    "is required for backoff = \"{}\": the wait before the first retry, such as \"100ms\"",
                    raw.backoff.as_deref().unwrap_or_default()
                ),
            ),
            Some(b) => positive("retries.base", b.0, "wait before the first retry"),
        }
    };
    match raw.backoff.as_deref().unwrap_or("none") {
        "none" => Ok(Backoff::None),
        "fixed" => Ok(Backoff::Fixed(base()?)),
        "exponential" => {
            let base = base()?;
            let max = match raw.max {
                None => {
                    SimDuration(base.0.saturating_mul(100).min(DEFAULT_MAX_BACKOFF.0)).max(base)
                }
                Some(m) if m.0 < base => {
                    return err(
                        "retries.max",
                        format!("must be at least base ({base}), got {}", m.0),
                    )
                }
                Some(m) => m.0,
            };
            Ok(Backoff::Exponential { base, max })
        }
        other => err(
            "retries.backoff",
            format!(
                "`{}` is not allowed; use {BACKOFFS}",
                crate::text::quote(other)
            ),
        ),
    }
}

/// `retries.on`: a non-empty list of failure names; repeats are harmless.
fn retry_on(names: &[String]) -> Result<RetryOn> {
    if names.is_empty() {
        return err(
            "retries.on",
            "is empty, so no failure would be retried; to turn retries off set \
             retries.attempts = 1 (or remove [retries])",
        );
    }
    let mut on = RetryOn {
        timeout: false,
        overload: false,
        db_error: false,
        db_busy: false,
        fallback: false,
    };
    for name in names {
        match flag(&mut on, name) {
            Some(f) => *f = true,
            None => {
                return err(
                    "retries.on",
                    format!(
                        "`{}` is not a failure clients can retry; use any of {FAILURES}",
                        crate::text::quote(name)
                    ),
                )
            }
        }
    }
    Ok(on)
}

/// The flag of `on` that failure `name` sets, if it names one.
fn flag<'a>(on: &'a mut RetryOn, name: &str) -> Option<&'a mut bool> {
    Some(match name {
        "timeout" => &mut on.timeout,
        "overload" => &mut on.overload,
        "db_error" => &mut on.db_error,
        "db_busy" => &mut on.db_busy,
        "fallback" => &mut on.fallback,
        _ => return None,
    })
}

/// `retries.budget = { capacity = 500, cost = 5, refund = 1 }`, each optional.
fn budget(raw: &RawRetryBudget) -> Result<RetryBudget> {
    let capacity = raw.capacity.unwrap_or(500.0);
    if !capacity.is_finite() || capacity <= 0.0 || capacity > MAX_BUDGET_CAPACITY {
        return err(
            "retries.budget.capacity",
            format!("must be the tokens in a full bucket, above 0 and at most 1e9, got {capacity}"),
        );
    }
    let cost = raw.cost.unwrap_or(5.0);
    if !cost.is_finite() || cost <= 0.0 || cost > capacity {
        return err(
            "retries.budget.cost",
            format!(
                "must be the tokens one retry takes, above 0 and at most the capacity \
                 ({capacity}), got {cost}"
            ),
        );
    }
    let refund = raw.refund.unwrap_or(1.0);
    if !refund.is_finite() || refund < 0.0 || refund > capacity {
        return err(
            "retries.budget.refund",
            format!(
                "must be the tokens a successful attempt gives back, from 0 to the capacity \
                 ({capacity}), got {refund}"
            ),
        );
    }
    Ok(RetryBudget {
        capacity,
        cost,
        refund,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(attempts: i64) -> RawRetries {
        RawRetries {
            by: None,
            attempts: Some(attempts),
            backoff: None,
            base: None,
            max: None,
            jitter: None,
            on: None,
            deadline: None,
            budget: None,
        }
    }

    fn ms(n: u64) -> SimDuration {
        SimDuration::from_millis(n)
    }

    #[test]
    fn the_default_cap_of_an_exponential_backoff_is_100_bases_at_most_an_hour_never_below_base() {
        let cap_of = |base: SimDuration| {
            let r = RawRetries {
                backoff: Some("exponential".into()),
                base: Some(crate::scenario::duration::HumanDuration(base)),
                ..raw(3)
            };
            match retries(Some(&r)).unwrap().unwrap().backoff {
                Backoff::Exponential { max, .. } => max,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(cap_of(ms(100)), SimDuration::from_secs(10));
        assert_eq!(cap_of(SimDuration::from_secs(60)), DEFAULT_MAX_BACKOFF);
        assert_eq!(
            cap_of(SimDuration::from_secs(7200)),
            SimDuration::from_secs(7200)
        );
    }

    #[test]
    fn on_names_set_their_flags_and_repeats_are_harmless() {
        let names = ["db_error", "timeout", "db_error"].map(String::from);
        assert_eq!(
            retry_on(&names).unwrap(),
            RetryOn {
                timeout: true,
                overload: false,
                db_error: true,
                db_busy: false,
                fallback: false,
            }
        );
        let all = ["timeout", "overload", "db_error", "db_busy", "fallback"].map(String::from);
        assert_eq!(retry_on(&all).unwrap(), RetryOn::ALL);
    }
}
