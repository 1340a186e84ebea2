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
    let queue_order = match raw.queue.as_deref() {
        None | Some("fifo") => QueueOrder::Fifo,
        Some("lifo") => QueueOrder::Lifo,
        Some(other) => {
            return err(
                "app.queue",
                format!(
                    "`{}` is not allowed; use \"fifo\" (a freed worker takes the request waiting longest) \
                     or \"lifo\" (it takes the newest, whose client is most likely still waiting)",
                    crate::text::quote(other)
                ),
            )
        }
    };
    let shedding = raw.shedding.as_ref().map(shedding).transpose()?;
    Ok(AppConfig {
        instances,
        workers,
        queue_limit,
        discard_abandoned: raw.discard_abandoned.unwrap_or(true),
        queue_order,
        shedding,
        cancel_abandoned: raw.cancel_abandoned.unwrap_or(false),
    })
}

/// `app.shedding = { target = "5ms", interval = "100ms" }`: both required, target ≤ interval.
fn shedding(raw: &RawShedding) -> Result<Shedding> {
    const FORM: &str = "write app.shedding = { target = \"5ms\", interval = \"100ms\" }";
    let Some(target) = raw.target else {
        return err(
            "app.shedding.target",
            format!("is required: the queue-time limit while the queue stays busy; {FORM}"),
        );
    };
    let Some(interval) = raw.interval else {
        return err(
            "app.shedding.interval",
            format!(
                "is required: the queue-time limit otherwise, and how long the queue must stay \
                 non-empty before `target` applies; {FORM}"
            ),
        );
    };
    let target = positive(
        "app.shedding.target",
        target.0,
        "queue-time limit under standing load",
    )?;
    let interval = positive(
        "app.shedding.interval",
        interval.0,
        "queue-time limit otherwise",
    )?;
    if target > interval {
        return err(
            "app.shedding.target",
            format!("must be at most the interval ({interval}), got {target}"),
        );
    }
    Ok(Shedding { target, interval })
}
