//! `[db]`: the database.

use super::*;

pub(super) fn db(raw: &RawDb) -> Result<DbConfig> {
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
    let error_rate = raw.error_rate.unwrap_or(0.0);
    const SHARE: &str =
        "a share of queries from 0 to below 1 (0.01: one query in a hundred fails with a transient error)";
    if error_rate == 1.0 {
        return err(
            "db.error_rate",
            format!(
                "must be below 1: at 1 every query fails and nothing can ever be read; use {SHARE}"
            ),
        );
    }
    if !error_rate.is_finite() || !(0.0..1.0).contains(&error_rate) {
        return err(
            "db.error_rate",
            format!("must be {SHARE}, got {error_rate}"),
        );
    }
    let degradation = raw.degradation.as_ref().map(degradation).transpose()?;
    Ok(DbConfig {
        slots,
        service,
        queue_limit,
        queue_timeout,
        error_rate,
        degradation,
    })
}

/// `db.degradation = { knee = 16, per_query = 0.1 }`: both required.
fn degradation(raw: &RawDegradation) -> Result<Degradation> {
    const FORM: &str = "write db.degradation = { knee = 16, per_query = 0.1 }";
    let Some(knee) = raw.knee else {
        return err(
            "db.degradation.knee",
            format!(
                "is required: queries in service up to which service time does not grow; {FORM}"
            ),
        );
    };
    let knee = int_in(
        "db.degradation.knee",
        knee,
        0,
        1_000_000,
        "queries in service up to which service time does not grow",
    )?;
    let Some(per_query) = raw.per_query else {
        return err(
            "db.degradation.per_query",
            format!(
                "is required: the share of its service time each query in service beyond the knee \
                 adds to a query; {FORM}"
            ),
        );
    };
    if !per_query.is_finite() || per_query <= 0.0 || per_query > 1000.0 {
        return err(
            "db.degradation.per_query",
            format!(
                "must be a number above 0 and at most 1000 (0.1: each query in service beyond the \
                 knee adds 10% to the service time), got {per_query}"
            ),
        );
    }
    Ok(Degradation { knee, per_query })
}
