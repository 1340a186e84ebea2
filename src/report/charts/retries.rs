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

#[cfg(test)]
mod tests {
    use crate::report::charts::test_fixtures::*;

    #[test]
    fn retry_charts_only_when_a_strategy_retries_sheds_cancels_or_meets_db_errors() {
        // Requests and attempts alone are no retry activity.
        let mut quiet = retrying_sample();
        for b in &mut quiet.strategies[0].result.buckets {
            b.attempts = b.arrived;
            b.retries = 0;
            b.attempts_late = 0;
        }
        assert!(!has_retries_or_dependency_activity(&sample()));
        assert!(!has_retries_or_dependency_activity(&quiet));
        let activities: [fn(&mut BucketRow); 4] = [
            |b| b.retries = 1,
            |b| b.errors_shed = 1,
            |b| b.queries_cancelled = 1,
            |b| b.db_errors = 1,
        ];
        for activity in activities {
            let mut one = sample();
            activity(&mut one.strategies[1].result.buckets[7]);
            assert!(has_retries_or_dependency_activity(&one));
            let mut summary_only = sample();
            activity(&mut summary_only.strategies[0].result.summary.totals);
            assert!(has_retries_or_dependency_activity(&summary_only));
        }

        for format in [ImageFormat::Png, ImageFormat::Svg] {
            let charts = render_all(&retrying_sample(), format).unwrap();
            let expected: Vec<&str> = STEMS.iter().chain(&RETRY_STEMS).copied().collect();
            assert_eq!(stems(&charts), expected);
            // The new columns change no other chart: the first six are the same bytes as without
            // them, and without activity no chart is added.
            let without = render_all(&sample(), format).unwrap();
            assert_eq!(charts[..STEMS.len()], without[..]);
            assert_eq!(render_all(&quiet, format).unwrap(), without);
            // With writes too: the freshness charts, then these.
            let mut both = writing_sample();
            both.strategies[0].result.buckets[3].retries = 1;
            let expected: Vec<&str> = STEMS
                .iter()
                .chain(&FRESHNESS_STEMS)
                .chain(&RETRY_STEMS)
                .copied()
                .collect();
            assert_eq!(stems(&render_all(&both, format).unwrap()), expected);
        }
        for stem in RETRY_STEMS {
            assert!(all_stems().any(|s| s == stem), "{stem} is an output name");
            assert!(crate::report::is_output_name(&format!("{stem}.png")));
            assert!(crate::report::is_output_name(&format!("{stem}.svg")));
        }
    }

    #[test]
    fn goodput_panels_show_goodput_throughput_and_arrivals_on_one_scale_from_zero() {
        let result = retrying_sample();
        let figure = build_figure(Kind::Goodput, &result);
        assert_eq!(figure.panels.len(), 2);
        for (i, panel) in figure.panels.iter().enumerate() {
            // Arrivals behind, thin and grey; then throughput dashed and goodput solid, both in
            // the strategy's colour.
            let [arrivals, throughput, goodput] = panel.series.as_slice() else {
                panic!("three series a panel");
            };
            assert_eq!(
                (arrivals.color, arrivals.width, arrivals.dashed),
                (ARRIVALS_COLOR, THIN_LINE_WIDTH, false)
            );
            assert_eq!(
                (throughput.color, throughput.width, throughput.dashed),
                (strategy_color(i), LINE_WIDTH, true)
            );
            assert_eq!(
                (goodput.color, goodput.width, goodput.dashed),
                (strategy_color(i), LINE_WIDTH, false)
            );
            assert_eq!(arrivals.segments[0][0], (0.0, 1000.0));
            // One shared linear axis from 0, past the largest value of any line of any panel.
            assert_eq!(panel.y, figure.panels[0].y);
            assert_eq!((panel.y.scale, panel.y.lo), (Scale::Linear, 0.0));
            assert!(panel.y.hi > max_value(&panel.series, &[]));
        }
        let storm = &figure.panels[0].series;
        assert_eq!(storm[1].segments[0][0], (0.0, 2200.0));
        assert_eq!(storm[2].segments[0][0], (0.0, 400.0));
        assert_eq!(storm[2].segments[0][3], (3.0, 1000.0));
        assert!((figure.panels[0].y.hi - 2420.0).abs() < 1e-9);
        // Labels above the plots, with the whole run's unanswered requests and late answers.
        assert_eq!(figure.size, small_multiples_size(2));
        let labels: Vec<&str> = figure
            .panels
            .iter()
            .map(|p| p.label.as_ref().unwrap().0.as_str())
            .collect();
        assert_eq!(
            labels,
            [
                "fixed-ttl: 3% of requests unanswered; 8.5% of answers too late",
                "jittered-10: 0% of requests unanswered; 0% of answers too late",
            ]
        );
        // The legend names the kinds of line, not the strategies.
        let samples: Vec<Sample> = figure.legend.iter().map(|e| e.sample).collect();
        assert_eq!(samples, [Sample::Line, Sample::Dashed, Sample::ThinLine]);
        assert!(figure.title.contains("goodput"));
    }

    #[test]
    fn retry_amplification_is_attempts_per_request_on_a_linear_axis_from_one() {
        let mut result = retrying_sample();
        // No request arrived: a gap, not a drop to 0.
        let quiet = &mut result.strategies[1].result.buckets[30];
        (quiet.arrived, quiet.attempts) = (0, 0);
        let figure = build_figure(Kind::RetryAmplification, &result);
        let panel = &figure.panels[0];
        assert_eq!(panel.y_desc, "attempts per request");
        assert_eq!(panel.y.scale, Scale::Linear);
        // From just under 1, so a line at 1 is not hidden by the frame, to past the largest value.
        assert!(panel.y.lo < 1.0 && panel.y.lo > 0.9, "{:?}", panel.y);
        assert!(panel.y.hi > 3.0);
        assert!(panel.y.ticks(Y_LABELS).contains(&1.0));
        assert_eq!(panel.series[0].segments[0][0], (0.0, 3.0));
        assert_eq!(panel.series[1].segments.len(), 2);
        assert!(values(&panel.series).all(|v| v >= 1.0));
        // From the largest whole-run amplification down, with its peak; the note explains the gap.
        let legend: Vec<&str> = figure.legend.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            legend,
            [
                "fixed-ttl: 1.10× (peak 3.00×)",
                "jittered-10: 1.00× (peak 1.00×)",
                NO_ARRIVALS_NOTE
            ]
        );

        // Without retries the axis still reaches 1.5; a value below 1 stays inside it.
        let flat = amplification_axis([1.0, 1.0].into_iter());
        assert!(flat.lo < 1.0 && flat.hi == AMPLIFICATION_TOP_MIN);
        assert_eq!(amplification_axis(std::iter::empty()), flat);
        let low = amplification_axis([0.5, 2.0].into_iter());
        assert!(low.lo < 0.5 && low.lo >= 0.0 && low.hi > 2.0);
        assert_eq!(
            amplification_axis([f64::NAN, f64::INFINITY].into_iter()),
            flat
        );

        for kind in [Kind::Goodput, Kind::RetryAmplification] {
            for panel in &build_figure(kind, &result).panels {
                let min = values(&panel.series).fold(f64::INFINITY, f64::min);
                assert!(panel.y.lo <= min && panel.y.hi > max_value(&panel.series, &[]));
            }
        }
    }

    #[test]
    fn goodput_is_left_out_beyond_max_panels_and_retry_amplification_is_not() {
        let many = beyond_max_panels(&retrying_sample().strategies[0]);
        let charts = render_all(&many, ImageFormat::Svg).unwrap();
        let stems = stems(&charts);
        assert!(stems.contains(&"retry_amplification"));
        assert!(!stems.contains(&"goodput"));
    }

    #[test]
    fn degenerate_retry_data_renders_without_panicking() {
        let mut odd = retrying_sample();
        let b = &mut odd.strategies[0].result.buckets;
        b[1].width_s = 0.0;
        b[2].width_s = f64::NAN;
        b[3].width_s = 1e-300;
        b[4].arrived = u64::MAX;
        b[5].attempts = u64::MAX;
        b[6].completed = u64::MAX / 2;
        b[6].attempts_late = u64::MAX / 2;
        b[7].arrived = 0;
        odd.strategies[1].name = "<b>&\"'\u{1b}[31m".to_owned();
        let mut idle = retrying_sample();
        for s in &mut idle.strategies {
            for b in &mut s.result.buckets {
                (b.arrived, b.attempts, b.completed, b.attempts_late) = (0, 0, 0, 0);
            }
        }
        let empty = scenario(vec![strategy("no-buckets", 100.0, Vec::new())]);
        let mut empty_active = empty.clone();
        empty_active.strategies[0].result.summary.totals.db_errors = 1;
        for case in [odd, idle, empty_active] {
            for format in [ImageFormat::Png, ImageFormat::Svg] {
                let charts = render_all(&case, format).unwrap();
                assert_eq!(charts.len(), STEMS.len() + RETRY_STEMS.len());
                if format == ImageFormat::Svg {
                    for chart in &charts {
                        let text = std::str::from_utf8(&chart.bytes).unwrap();
                        if let Err(e) = roxmltree::Document::parse(text) {
                            panic!("{} is not valid XML: {e}", chart.file_stem);
                        }
                    }
                }
            }
        }
        assert_eq!(
            goodput_summary(&[&empty.strategies[0]]),
            "no requests".to_owned()
        );
    }
}
