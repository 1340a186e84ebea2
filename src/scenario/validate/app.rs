//! `[app]`: the application tier.

use super::*;

pub(super) fn app(raw: &RawApp) -> Result<AppConfig> {
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
