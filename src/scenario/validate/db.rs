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
    Ok(DbConfig {
        slots,
        service,
        queue_limit,
        queue_timeout,
    })
}
