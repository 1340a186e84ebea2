//! The charts of retries and dependency failures, drawn only when a strategy of the scenario
//! retried, shed requests, cancelled queries or met database errors: how much of the work done
//! reached a client still waiting, and how many attempts each request cost.
//!
//! Under a retry storm the database can stay busy while clients get nothing: it answers attempts
//! whose client has already given up. `goodput` shows that gap, one panel per strategy on one
//! shared scale: requests answered in time per second (goodput, solid), attempts answered
//! whether their client still waited or not (throughput, dashed, same colour) and requests
//! arriving (thin grey, behind them). `retry_amplification` overlays the attempts per request
//! arrived, one line per strategy, on a linear axis from 1 (no retries).

use super::*;

use crate::metrics::BucketRow;
use crate::metrics::ScenarioResult;
use crate::metrics::StrategyResult;

/// The lowest top of the retry amplification axis, attempts per request: a strategy that
/// hardly retries is drawn as the small bump it is, not stretched over the whole height.
pub(super) const AMPLIFICATION_TOP_MIN: f64 = 1.5;

/// Title of `goodput`, after the scenario's name.
pub(super) const GOODPUT_TITLE: &str = "goodput: requests answered in time per second, by strategy";

/// What a gap in a retry amplification line means.
pub(super) const NO_ARRIVALS_NOTE: &str = "A gap: no request arrived";

/// Whether any strategy of the scenario retried, shed a request, cancelled a database query or
/// met a database error, in a bucket or in its run's totals. Without any, retries and failures
/// of dependencies have nothing to show and these charts are not drawn.
pub(super) fn has_retries_or_dependency_activity(result: &ScenarioResult) -> bool {
    let active = |b: &BucketRow| {
        b.retries > 0 || b.errors_shed > 0 || b.queries_cancelled > 0 || b.db_errors > 0
    };
    result
        .strategies
        .iter()
        .any(|s| active(&s.result.summary.totals) || s.result.buckets.iter().any(active))
}

/// Requests answered in time per second in a bucket; `None` (a gap) for a bucket of no width.
pub(super) fn goodput_per_s(b: &BucketRow) -> Option<f64> {
    (b.width_s > 0.0).then(|| b.goodput())
}

/// Attempts answered per second in a bucket, in time or not; `None` for a bucket of no width.
pub(super) fn throughput_per_s(b: &BucketRow) -> Option<f64> {
    (b.width_s > 0.0).then(|| b.throughput())
}

/// Requests arrived per second in a bucket; `None` for a bucket of no width.
pub(super) fn arrivals_per_s(b: &BucketRow) -> Option<f64> {
    (b.width_s > 0.0).then(|| b.arrived as f64 / b.width_s)
}

/// Attempts per request arrived in a bucket; `None` (a gap) when no request arrived.
pub(super) fn amplification(b: &BucketRow) -> Option<f64> {
    (b.arrived > 0).then(|| b.retry_amplification())
}

/// The panels of `goodput`: one per strategy, each with its arrivals (thin grey), throughput
/// (dashed) and goodput (solid) in that order, so goodput is drawn on top; all on one linear
/// axis from 0, and labelled above the plot with the share of requests left unanswered and the
/// share of answers that came too late. With replications only goodput has a band: the others
/// are backdrops to it.
pub(super) fn goodput_panels(result: &Runs) -> Vec<Panel> {
    let goodput = collect_series(result, goodput_per_s);
    let throughput = collect_series(result, throughput_per_s);
    let arrivals = collect_series(result, arrivals_per_s);
    let others = [max_value(&throughput, &[]), max_value(&arrivals, &[])];
    let y = Axis::linear(0.0, padded_max(&goodput, &others));
    let last = result.strategies.len().saturating_sub(1);
    result
        .strategies
        .iter()
        .zip(goodput.into_iter().zip(throughput).zip(arrivals))
        .enumerate()
        .map(|(i, (s, ((mut goodput, mut throughput), mut arrivals)))| {
            // One strategy a panel, named by its label: solid and dashed tell the two apart.
            goodput.dashed = false;
            throughput.dashed = true;
            throughput.band.clear();
            arrivals.dashed = false;
            arrivals.color = ARRIVALS_COLOR;
            arrivals.width = THIN_LINE_WIDTH;
            arrivals.band.clear();
            let summary = goodput_summary(&result.strategy(i));
            Panel {
                y_desc: "requests or attempts per second",
                label: Some((format!("{}: {summary}", s.name), goodput.color)),
                strategy: Some(i),
                y: y.clone(),
                // Labels go above the plots.
                weight: labelled_panel_weight(i, last),
                integer: false,
                refs: Vec::new(),
                series: vec![arrivals, throughput, goodput],
                empty_text: NO_DATA,
            }
        })
        .collect()
}

/// The legend of `goodput`: what each kind of line is (the colours are the strategies').
pub(super) fn goodput_legend() -> Vec<LegendEntry> {
    vec![
        LegendEntry::new(
            "goodput (answered in time)".to_owned(),
            NEUTRAL_COLOR,
            Sample::Line,
        ),
        LegendEntry::new(
            "throughput (all answers)".to_owned(),
            NEUTRAL_COLOR,
            Sample::Dashed,
        ),
        LegendEntry::new("arrivals".to_owned(), ARRIVALS_COLOR, Sample::ThinLine),
    ]
}

/// A strategy's whole run in a few words: `35% of requests unanswered; 43% of answers too
/// late`; with replications (`replicas`, the strategy in each), of all their requests.
pub(super) fn goodput_summary(replicas: &[&StrategyResult]) -> String {
    let (arrived, completed, late) =
        replicas
            .iter()
            .flat_map(|s| &s.result.buckets)
            .fold((0u64, 0u64, 0u64), |(a, c, l), b| {
                (
                    a.saturating_add(b.arrived),
                    c.saturating_add(b.completed),
                    l.saturating_add(b.attempts_late),
                )
            });
    if arrived == 0 {
        return "no requests".to_owned();
    }
    let unanswered = 100.0 * arrived.saturating_sub(completed) as f64 / arrived as f64;
    let answers = completed.saturating_add(late);
    let too_late = if answers == 0 {
        0.0
    } else {
        100.0 * late as f64 / answers as f64
    };
    format!(
        "{} of requests unanswered; {} of answers too late",
        format_share(unanswered),
        format_share(too_late)
    )
}

/// The panel of `retry_amplification`: attempts per request arrived, one line per strategy, on
/// a linear axis from just under 1 (so a line at 1 is not hidden by the frame) to past the
/// largest value; and its legend, from the largest whole-run amplification down, with each
/// strategy's whole-run and peak figure (with replications: the mean of the whole-run figures
/// and the peak of the mean line).
pub(super) fn retry_amplification_panel(result: &Runs) -> (Panel, Vec<LegendEntry>) {
    let series = collect_series(result, amplification);
    let y = amplification_axis(values(&series));
    let whole_run: Vec<Option<f64>> = (0..result.strategies.len())
        .map(|i| mean_figure(result.strategy(i).into_iter().map(whole_run_amplification)))
        .collect();
    let peaks: Vec<f64> = if result.is_replicated() {
        series
            .iter()
            .map(|s| {
                s.segments
                    .iter()
                    .flatten()
                    .map(|p| p.1)
                    .fold(f64::NAN, f64::max)
            })
            .collect()
    } else {
        result
            .strategies
            .iter()
            .map(|s| {
                s.result
                    .buckets
                    .iter()
                    .filter_map(amplification)
                    .filter(|v| v.is_finite())
                    .fold(f64::NAN, f64::max)
            })
            .collect()
    };
    let mut legend = ranked_legend_with(result, &whole_run, |i, v| match v {
        Some(v) => match peaks.get(i).filter(|p| p.is_finite()) {
            Some(peak) => format!(
                "{}× (peak {}×)",
                format_amplification(v),
                format_amplification(*peak)
            ),
            None => format!("{}×", format_amplification(v)),
        },
        None => "no requests".to_owned(),
    });
    if has_gaps(result, amplification) {
        legend.push(LegendEntry::note(NO_ARRIVALS_NOTE));
    }
    let panel = Panel::overlaid("attempts per request", y, series);
    (panel, legend)
}

/// A strategy's attempts per request arrived over its whole run; `None` when none arrived.
pub(super) fn whole_run_amplification(s: &StrategyResult) -> Option<f64> {
    let (attempts, arrived) = s.result.buckets.iter().fold((0u64, 0u64), |(t, a), b| {
        (t.saturating_add(b.attempts), a.saturating_add(b.arrived))
    });
    (arrived > 0).then(|| attempts as f64 / arrived as f64)
}

/// The linear axis of attempts per request: from a little under 1 (or under the smallest value,
/// should one be below 1) to 10% above the largest, at least to [`AMPLIFICATION_TOP_MIN`].
pub(super) fn amplification_axis(values: impl Iterator<Item = f64>) -> Axis {
    let (min, max) = values
        .filter(|v| v.is_finite())
        .fold((1.0f64, 1.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let hi = (min + (max - min) * 1.1).max(AMPLIFICATION_TOP_MIN);
    let hi = if hi.is_finite() { hi } else { max };
    let lo = (min - 0.03 * (hi - min)).max(0.0);
    Axis::linear(lo, hi)
}

/// Attempts per request with two decimals: `1.00`, `1.05`, `3.92`.
pub(super) fn format_amplification(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "?".to_owned()
    }
}
