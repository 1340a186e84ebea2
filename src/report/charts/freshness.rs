//! The freshness charts, drawn only when a strategy of the scenario writes: how many reads were
//! answered with a version older than the database's committed one (outdated, or stale, reads),
//! and how long before each such read its value had been superseded.
//!
//! Outdated shares run from one read in ten thousand to most of them, and ages from well under
//! a millisecond to a TTL, often between strategies of one scenario: both charts use a log axis,
//! so the best strategies are not flattened against zero by the worst. A bucket without any
//! outdated read has no share or age to put on a log axis and is left out (a gap in the line,
//! which the legend explains), rather than drawn as a dive to the bottom that would hide the
//! other lines. The legend lists the strategies from the worst whole-run figure down (share of
//! reads outdated; p99 age) and gives that figure. With more than eight strategies the colours
//! repeat, so the lines of the second round of colours are dashed.
//!
//! Ages of few outdated reads swing by decades from bucket to bucket and tangle when overlaid,
//! so they are also drawn one panel per strategy (`outdated_age_p99_by_strategy`).

use super::*;

use crate::metrics::BucketRow;
use crate::metrics::ScenarioResult;
use crate::metrics::StrategyResult;

/// The lowest floor of the outdated share axis, percent of reads (one read in a million).
pub(super) const SHARE_FLOOR_MIN: f64 = 1e-4;

/// The top of the outdated share axis never goes beyond this, percent: a share is at most 100%.
pub(super) const SHARE_AXIS_MAX: f64 = 150.0;

/// Whether any strategy of the scenario wrote: committed a write, or served an outdated read.
/// The results do not carry each strategy's configuration, and a strategy whose writes never
/// committed has no freshness to show.
pub(super) fn has_writes(result: &ScenarioResult) -> bool {
    result.strategies.iter().any(|s| {
        let totals = &s.result.summary.totals;
        totals.writes_committed > 0
            || totals.outdated_reads > 0
            || s.result
                .buckets
                .iter()
                .any(|b| b.writes_committed > 0 || b.outdated_reads > 0)
    })
}

/// The panel of the `outdated_reads` chart: outdated reads as a percentage of the reads served
/// in each bucket, on a log axis; and its legend.
///
/// With replications a bucket's line is the mean share over them, counting a replication
/// without an outdated read there as 0%: a mean of 0% is the gap, and a bucket where some
/// replication had none has no band (its bottom, 0%, is off the log axis; drawn from the axis's
/// floor, the bands of rare outdated reads would fill the bottom of the chart).
pub(super) fn outdated_reads_panel(result: &Runs) -> (Panel, Vec<LegendEntry>) {
    let on_log_axis = |p: &mut MeanPoint| {
        if !p.mean.is_some_and(|m| m > 0.0) {
            p.mean = None;
        }
        if p.mean.is_none() || !p.band.is_some_and(|(lo, _)| lo > 0.0) {
            p.band = None;
        }
    };
    let (series, gaps) = if result.is_replicated() {
        (
            collect_mean_series(result, share_percent, on_log_axis),
            mean_has_gaps(result, share_percent, on_log_axis),
        )
    } else {
        (
            collect_series(result, outdated_percent),
            has_gaps(result, outdated_percent),
        )
    };
    let y = share_axis(values(&series));
    let whole_run: Vec<Option<f64>> = (0..result.strategies.len())
        .map(|i| mean_figure(result.strategy(i).into_iter().map(outdated_share)))
        .collect();
    let mut legend = ranked_legend(result, &whole_run, |share| match share {
        Some(share) => format_share(share),
        None => "no reads".to_owned(),
    });
    if gaps {
        legend.push(gap_note());
    }
    let panel = Panel::overlaid("outdated reads (% of reads)", y, series);
    (panel, legend)
}

/// A bucket's outdated reads, percent of the reads it served; `None` (a gap) when it had none.
pub(super) fn outdated_percent(b: &BucketRow) -> Option<f64> {
    (b.outdated_reads > 0 && b.reads_served > 0).then(|| 100.0 * b.outdated_ratio())
}

/// A bucket's outdated reads, percent of the reads it served, 0 when none was outdated; `None`
/// when it served none.
pub(super) fn share_percent(b: &BucketRow) -> Option<f64> {
    (b.reads_served > 0).then(|| 100.0 * b.outdated_ratio())
}

/// A bucket's p99 age of outdated reads, ms; `None` (a gap) when it had none.
pub(super) fn outdated_age_p99(b: &BucketRow) -> Option<f64> {
    (b.outdated_age.count > 0 && b.outdated_age.p99_ms > 0.0).then_some(b.outdated_age.p99_ms)
}

/// The panels of `outdated_age_p99_by_strategy`: the same ages, one panel per strategy on one
/// shared log axis, each labelled with its largest p99.
pub(super) fn outdated_age_by_strategy_panels(result: &Runs) -> Vec<Panel> {
    let series = collect_series(result, outdated_age_p99);
    let y = age_axis(values(&series));
    small_multiples(
        result,
        series,
        labels::column_label("outdated_age_p99_ms"),
        y,
        |max| format!("max {}", format_age_ms(max)),
    )
}

/// The panel of the `outdated_age_p99` chart: the p99 age of the outdated reads of each bucket,
/// ms, on a log axis; and its legend, with each strategy's whole-run p99 age (with
/// replications, its mean over those with an outdated read). Ages swing by decades and these
/// lines tangle already, so their bands are left to `outdated_age_p99_by_strategy`.
pub(super) fn outdated_age_panel(result: &Runs) -> (Panel, Vec<LegendEntry>) {
    let mut series = collect_series(result, outdated_age_p99);
    series.iter_mut().for_each(|s| s.band.clear());
    let y = age_axis(values(&series));
    let whole_run: Vec<Option<f64>> = (0..result.strategies.len())
        .map(|i| mean_figure(result.strategy(i).into_iter().map(whole_run_age_p99)))
        .collect();
    let mut legend = ranked_legend(result, &whole_run, |age| match age {
        Some(age) if age > 0.0 => format!("p99 {}", format_age_ms(age)),
        _ => "none".to_owned(),
    });
    if has_gaps(result, outdated_age_p99) {
        legend.push(gap_note());
    }
    let panel = Panel::overlaid(labels::column_label("outdated_age_p99_ms"), y, series);
    (panel, legend)
}

/// A strategy's outdated reads over its whole run, percent of the reads served; `None` when it
/// served no read.
pub(super) fn outdated_share(s: &StrategyResult) -> Option<f64> {
    let (outdated, served) = s.result.buckets.iter().fold((0u64, 0u64), |(o, r), b| {
        (
            o.saturating_add(b.outdated_reads),
            r.saturating_add(b.reads_served),
        )
    });
    (served > 0).then(|| 100.0 * outdated as f64 / served as f64)
}

/// A strategy's p99 age of outdated reads over its whole run, ms (from the run's summary, as
/// percentiles do not add up from buckets); `None` when it had no outdated read.
pub(super) fn whole_run_age_p99(s: &StrategyResult) -> Option<f64> {
    let age = &s.result.summary.totals.outdated_age;
    (age.count > 0 && age.p99_ms.is_finite()).then_some(age.p99_ms)
}

/// A log axis for shares in percent: down to one read in a million at most, and never far above
/// 100%. When the smallest share lies just under a power of ten (one read in 10,008 is
/// 0.00999%), the axis starts just under it rather than a whole empty decade lower.
pub(super) fn share_axis(values: impl Iterator<Item = f64>) -> Axis {
    tidy_log_axis(values, SHARE_FLOOR_MIN, SHARE_AXIS_MAX)
}

/// A log axis for ages, ms: from at least [`LOG_FLOOR_MIN`], as latencies (a few ages of a
/// microsecond then sit on the bottom edge, but every decade up to a minute keeps its label).
pub(super) fn age_axis(values: impl Iterator<Item = f64>) -> Axis {
    tidy_log_axis(values, LOG_FLOOR_MIN, f64::INFINITY)
}

/// [`log_axis_with_floor`], cut at `cap` at the top, and starting at 80% of the smallest value
/// when that value lies in the top fifth of the axis's lowest decade (which is then mostly
/// empty).
fn tidy_log_axis(values: impl Iterator<Item = f64>, floor_min: f64, cap: f64) -> Axis {
    let values: Vec<f64> = values.filter(|v| v.is_finite() && *v > 0.0).collect();
    let axis = log_axis_with_floor(values.iter().copied(), floor_min);
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let lo = if min.is_finite() && min * 0.8 > axis.lo * 5.0 {
        min * 0.8
    } else {
        axis.lo
    };
    let hi = if axis.hi > cap && lo < cap {
        cap
    } else {
        axis.hi
    };
    if (lo, hi) == (axis.lo, axis.hi) {
        axis
    } else {
        Axis::log(lo, hi)
    }
}

/// One legend entry per strategy, `name: figure`, from the largest whole-run figure down
/// (strategies without one last, in file order); each in its line's colour and dash.
pub(super) fn ranked_legend(
    result: &ScenarioResult,
    whole_run: &[Option<f64>],
    describe: impl Fn(Option<f64>) -> String,
) -> Vec<LegendEntry> {
    ranked_legend_with(result, whole_run, |_, figure| describe(figure))
}

/// [`ranked_legend`], with `describe` also told the strategy's index.
pub(super) fn ranked_legend_with(
    result: &ScenarioResult,
    whole_run: &[Option<f64>],
    describe: impl Fn(usize, Option<f64>) -> String,
) -> Vec<LegendEntry> {
    let mut order: Vec<usize> = (0..result.strategies.len()).collect();
    let key = |i: usize| {
        whole_run
            .get(i)
            .copied()
            .flatten()
            .filter(|v| v.is_finite())
            .unwrap_or(f64::NEG_INFINITY)
    };
    // Stable: ties keep the order of the file.
    order.sort_by(|&a, &b| key(b).total_cmp(&key(a)));
    order
        .into_iter()
        .map(|i| {
            let s = &result.strategies[i];
            let figure = describe(i, whole_run.get(i).copied().flatten());
            LegendEntry {
                strategy: Some(i),
                ..LegendEntry::new(
                    format!("{}: {figure}", s.name),
                    strategy_color(i),
                    line_sample(i),
                )
            }
        })
        .collect()
}

/// Whether a bucket of some strategy has no `value`, so that a line shows a gap (with
/// replications: no replication has a value there).
pub(super) fn has_gaps(result: &Runs, value: impl Fn(&BucketRow) -> Option<f64>) -> bool {
    if result.is_replicated() {
        return mean_has_gaps(result, value, |_| {});
    }
    result
        .strategies
        .iter()
        .flat_map(|s| &s.result.buckets)
        .any(|b| value(b).is_none())
}

/// The legend's last line, when a line has a gap: what the gap means.
pub(super) fn gap_note() -> LegendEntry {
    LegendEntry::note(GAP_NOTE)
}

/// What a gap in a freshness line means.
pub(super) const GAP_NOTE: &str = "A gap: no outdated read";

/// A share in percent with two significant digits: `68%`, `4.2%`, `0.46%`, `0.0077%`.
pub(super) fn format_share(percent: f64) -> String {
    if !(percent.is_finite() && percent > 0.0) {
        return "0%".to_owned();
    }
    format!("{}%", format_quantity_2(percent))
}

/// An age in the unit that reads best: `0.4 ms`, `97 ms`, `1.8 s`, `57 s`.
pub(super) fn format_age_ms(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        return "?".to_owned();
    }
    if ms < 1000.0 {
        format!("{} ms", format_quantity_2(ms))
    } else {
        format!("{} s", format_quantity_2(ms / 1000.0))
    }
}

/// Two significant digits below 100 (`0.42`, `4.2`, `42`), whole numbers above.
fn format_quantity_2(v: f64) -> String {
    if v >= 100.0 || v <= 0.0 {
        return format_quantity(v);
    }
    let decimals = (1 - v.log10().floor() as i32).clamp(0, 6) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        let trimmed = text.trim_end_matches('0').trim_end_matches('.');
        trimmed.to_owned()
    } else {
        text
    }
}
