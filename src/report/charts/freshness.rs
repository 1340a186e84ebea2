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

/// A share of reads over time, in percent on a log axis, one line per strategy: what to read
/// from a bucket and a strategy, and how the legend words it.
pub(super) struct Share {
    /// The panel's y axis label.
    pub(super) y_desc: &'static str,
    /// A bucket's share, percent; `None` (a gap) when it is 0 or there is nothing to share.
    pub(super) shown: fn(&BucketRow) -> Option<f64>,
    /// A bucket's share, percent, 0 when it is 0; `None` when there is nothing to share.
    pub(super) with_zero: fn(&BucketRow) -> Option<f64>,
    /// A strategy's share over its whole run, percent; `None` when it had nothing to share.
    pub(super) whole_run: fn(&StrategyResult) -> Option<f64>,
    /// The legend's figure of a strategy with nothing to share.
    pub(super) none: &'static str,
    /// The legend's note on what a gap in a line means.
    pub(super) gap_note: &'static str,
}

/// What `outdated_reads` draws: outdated reads, percent of the reads served.
pub(super) const OUTDATED_SHARE: Share = Share {
    y_desc: "outdated reads (% of reads)",
    shown: outdated_percent,
    with_zero: share_percent,
    whole_run: outdated_share,
    none: "no reads",
    gap_note: GAP_NOTE,
};

/// The panel of the `outdated_reads` chart: outdated reads as a percentage of the reads served
/// in each bucket, on a log axis; and its legend.
pub(super) fn outdated_reads_panel(result: &Runs) -> (Panel, Vec<LegendEntry>) {
    share_panel(result, &OUTDATED_SHARE)
}

/// The panel of a [`Share`] over time, on a log axis, and its legend: the strategies from the
/// largest whole-run share down, and a note on the gaps when a line has one.
///
/// With replications a bucket's line is the mean share over them, counting a replication
/// with a share of 0 there as 0%: a mean of 0% is the gap, and a bucket where some
/// replication had 0 has no band (its bottom, 0%, is off the log axis; drawn from the axis's
/// floor, the bands of rare events would fill the bottom of the chart).
pub(super) fn share_panel(result: &Runs, share: &Share) -> (Panel, Vec<LegendEntry>) {
    let on_log_axis = |p: &mut MeanPoint| {
        if !p.mean.is_some_and(|m| m > 0.0) {
            p.mean = None;
        }
        if p.mean.is_none() || !p.band.is_some_and(|(lo, _)| lo > 0.0) {
            p.band = None;
        }
    };
    let series = if result.is_replicated() {
        collect_mean_series(result, share.with_zero, on_log_axis)
    } else {
        collect_series(result, share.shown)
    };
    let y = share_axis(values(&series));
    let whole_run: Vec<Option<f64>> = (0..result.strategies.len())
        .map(|i| mean_figure(result.strategy(i).into_iter().map(share.whole_run)))
        .collect();
    // A strategy with nothing to share draws no line, and the legend says why: no gap of its.
    let gaps = (0..result.strategies.len())
        .filter(|&i| whole_run[i].is_some())
        .any(|i| {
            if result.is_replicated() {
                let mut points = mean_of_buckets(&result.strategy(i), share.with_zero);
                points.iter_mut().any(|p| {
                    on_log_axis(p);
                    p.mean.is_none()
                })
            } else {
                let buckets = &result.strategies[i].result.buckets;
                buckets.iter().any(|b| (share.shown)(b).is_none())
            }
        });
    let mut legend = ranked_legend(result, &whole_run, |figure| match figure {
        Some(figure) => format_share(figure),
        None => share.none.to_owned(),
    });
    if gaps {
        legend.push(LegendEntry::note(share.gap_note));
    }
    let panel = Panel::overlaid(share.y_desc, y, series);
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
    let mut series = collect_series(result, outdated_age_p99);
    let unit = AgeUnit::for_max_ms(max_value(&series, &[]));
    unit.convert(&mut series);
    let y = age_axis(values(&series), unit);
    small_multiples(result, series, unit.axis_label(), y, |max| {
        format!("max {}", format_age_ms(max * unit.ms()))
    })
}

/// The panel of the `outdated_age_p99` chart: the p99 age of the outdated reads of each bucket,
/// ms, on a log axis; and its legend, with each strategy's whole-run p99 age (with
/// replications, its mean over those with an outdated read). Ages swing by decades and these
/// lines tangle already, so their bands are left to `outdated_age_p99_by_strategy`.
pub(super) fn outdated_age_panel(result: &Runs) -> (Panel, Vec<LegendEntry>) {
    let mut series = collect_series(result, outdated_age_p99);
    series.iter_mut().for_each(|s| s.band.clear());
    let unit = AgeUnit::for_max_ms(max_value(&series, &[]));
    unit.convert(&mut series);
    let y = age_axis(values(&series), unit);
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
    let panel = Panel::overlaid(unit.axis_label(), y, series);
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

/// A log axis for ages in `unit`: from at least [`LOG_FLOOR_MIN`] ms, as latencies (a few ages
/// of a microsecond then sit on the bottom edge, but every decade up to a minute keeps its
/// label).
pub(super) fn age_axis(values: impl Iterator<Item = f64>, unit: AgeUnit) -> Axis {
    tidy_log_axis(values, LOG_FLOOR_MIN / unit.ms(), f64::INFINITY)
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

#[cfg(test)]
mod tests {
    use crate::report::charts::test_fixtures::*;

    #[test]
    fn freshness_charts_only_when_a_strategy_writes() {
        // Without writes: the six charts only, byte for byte what they were.
        assert!(!has_writes(&sample()));
        let mut one_writer = sample();
        one_writer.strategies[1].result.buckets[7].writes_committed = 1;
        assert!(has_writes(&one_writer));
        let mut summary_only = sample();
        summary_only.strategies[0]
            .result
            .summary
            .totals
            .writes_committed = 3;
        assert!(has_writes(&summary_only));

        let with = writing_sample();
        for format in [ImageFormat::Png, ImageFormat::Svg] {
            let charts = render_all(&with, format).unwrap();
            let expected: Vec<&str> = STEMS.iter().chain(&FRESHNESS_STEMS).copied().collect();
            assert_eq!(stems(&charts), expected);
            // The writes and freshness columns change no other chart: the first six are the same
            // bytes as without them.
            let without = render_all(&sample(), format).unwrap();
            assert_eq!(stems(&without), STEMS);
            assert_eq!(charts[..STEMS.len()], without[..]);
        }
        for stem in FRESHNESS_STEMS {
            assert!(all_stems().any(|s| s == stem), "{stem} is an output name");
            assert!(crate::report::is_output_name(&format!("{stem}.svg")));
        }
    }

    #[test]
    fn outdated_reads_are_a_percentage_on_a_log_axis_that_keeps_small_shares_visible() {
        let figure = build_figure(Kind::OutdatedReads, &writing_sample());
        let panel = &figure.panels[0];
        assert_eq!(panel.y.scale, Scale::Log);
        assert_eq!(panel.y_desc, "outdated reads (% of reads)");
        assert_eq!(
            panel.series[0].segments,
            vec![(0..120).map(|i| (f64::from(i), 50.0)).collect::<Vec<_>>()]
        );
        // 0.01% next to 50%: both inside the axis, far apart, and the top not far above 100%.
        assert!(panel.y.lo <= 0.01 && panel.y.hi > 50.0 && panel.y.hi <= SHARE_AXIS_MAX);
        let px = |v: f64| panel.y.map(&v, (0, 500));
        assert!(px(0.02) - px(0.01) > 20, "{} {}", px(0.02), px(0.01));
        // Buckets without an outdated read are gaps, not zeros at the bottom.
        assert_eq!(panel.series[1].segments.len(), 2);
        assert!(values(&panel.series).all(|v| v > 0.0));
        // Worst first, with the whole-run share; the note explains the gap.
        let legend: Vec<&str> = figure.legend.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(legend, ["fixed-ttl: 50%", "jittered-10: 0.0098%", GAP_NOTE]);
        assert_eq!(figure.legend[0].color, strategy_color(0));
        assert_eq!(figure.legend[2].sample, Sample::Note);
    }

    #[test]
    fn ages_are_drawn_in_seconds_only_when_the_largest_passes_ten_seconds() {
        assert_eq!(AgeUnit::for_max_ms(9_999.0), AgeUnit::Ms);
        assert_eq!(AgeUnit::for_max_ms(10_000.0), AgeUnit::Ms);
        assert_eq!(AgeUnit::for_max_ms(10_001.0), AgeUnit::Seconds);
        assert_eq!(AgeUnit::for_max_ms(f64::NAN), AgeUnit::Ms);
        assert_eq!(AgeUnit::for_max_ms(f64::INFINITY), AgeUnit::Ms);

        // Ages up to 30 s: the axis, its label and every point in seconds, the legend's and the
        // panels' figures unchanged.
        let long = writing_sample();
        for kind in [Kind::OutdatedAge, Kind::OutdatedAgeByStrategy] {
            let figure = build_figure(kind, &long);
            let panel = &figure.panels[0];
            assert_eq!(
                panel.y_desc,
                "p99 age of outdated reads (s)",
                "{}",
                kind.stem()
            );
            assert_eq!(line_max(&panel.series), 30.0, "{}", kind.stem());
            let second = figure.panels.iter().flat_map(|p| &p.series).nth(1);
            let second_max =
                second.map(|s| s.segments.iter().flatten().map(|p| p.1).fold(0.0, f64::max));
            assert_eq!(second_max, Some(0.0005), "{}", kind.stem());
            assert!(panel.y.lo <= 0.0005 && panel.y.hi >= 30.0 && panel.y.hi < 100.0);
        }
        let panels = build_figure(Kind::OutdatedAgeByStrategy, &long).panels;
        assert_eq!(panels[0].label.as_ref().unwrap().0, "fixed-ttl: max 30 s");
        assert_eq!(
            panels[1].label.as_ref().unwrap().0,
            "jittered-10: max 0.5 ms"
        );

        // Ages up to 9 s stay in milliseconds.
        let mut short = writing_sample();
        for b in &mut short.strategies[0].result.buckets {
            b.outdated_age.p99_ms = b.outdated_age.p99_ms.min(9_000.0);
        }
        for kind in [Kind::OutdatedAge, Kind::OutdatedAgeByStrategy] {
            let panel = &build_figure(kind, &short).panels[0];
            assert_eq!(panel.y_desc, "p99 age of outdated reads (ms)");
            assert_eq!(line_max(&panel.series), 9_000.0);
        }
    }

    #[test]
    fn outdated_age_leaves_buckets_without_outdated_reads_out_instead_of_diving_to_the_axis() {
        let mut result = writing_sample();
        // No outdated read, or a p99 that is not positive: no point at all.
        result.strategies[0].result.buckets[50].outdated_age.count = 0;
        result.strategies[0].result.buckets[60].outdated_age.p99_ms = 0.0;
        for kind in [Kind::OutdatedAge, Kind::OutdatedAgeByStrategy] {
            let figure = build_figure(kind, &result);
            let series: Vec<&Series> = figure.panels.iter().flat_map(|p| &p.series).collect();
            assert_eq!(series.len(), 2);
            assert_eq!(series[0].segments.len(), 3, "{}", kind.stem());
            assert_eq!(series[1].segments.len(), 2, "{}", kind.stem());
            let times =
                |s: &Series| -> Vec<f64> { s.segments.iter().flatten().map(|p| p.0).collect() };
            assert!(!times(series[0]).iter().any(|&t| t == 50.0 || t == 60.0));
            assert!(!times(series[1]).iter().any(|&t| t == 10.0 || t == 11.0));
            assert_eq!(times(series[0]).len() + times(series[1]).len(), 240 - 4);
            assert!(series
                .iter()
                .flat_map(|s| s.segments.iter().flatten())
                .all(|p| p.1 > 0.0));
            let y = &figure.panels[0].y;
            assert_eq!(y.scale, Scale::Log);
            // From 0.5 ms to 30 s: a log axis in seconds from below the one to past the other.
            assert!(y.lo <= 0.0005 && y.hi > 30.0, "{y:?}");
            assert_eq!(figure.panels[0].y_desc, "p99 age of outdated reads (s)");
        }
        let figure = build_figure(Kind::OutdatedAge, &result);
        let legend: Vec<&str> = figure.legend.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            legend,
            ["fixed-ttl: p99 31 s", "jittered-10: p99 0.5 ms", GAP_NOTE]
        );
        assert!(figure.panels.iter().all(|p| p.label.is_none()));
        let panels = build_figure(Kind::OutdatedAgeByStrategy, &result);
        // Labels above the plots, where the worst strategies' lines (along the top) stay visible;
        // the figure is taller by a strip per panel.
        assert_eq!(panels.size, small_multiples_size(2));
        assert_eq!(
            panels.panels[1].label.as_ref().unwrap().0,
            "jittered-10: max 0.5 ms"
        );
        assert!(panels.legend.is_empty());
    }

    #[test]
    fn no_gap_note_without_gaps() {
        let mut result = writing_sample();
        for b in &mut result.strategies[1].result.buckets {
            b.outdated_reads = 1;
            b.outdated_age.count = 1;
            b.outdated_age.p99_ms = 0.5;
        }
        for kind in [Kind::OutdatedReads, Kind::OutdatedAge] {
            let figure = build_figure(kind, &result);
            assert!(figure.legend.iter().all(|e| e.sample != Sample::Note));
        }
    }

    #[test]
    fn freshness_legend_stays_readable_with_many_strategies() {
        // Twelve strategies: the palette's eight colours repeat, so the second round is dashed,
        // and the legend runs from the worst share down.
        let strategies = (0..12u32)
            .map(|i| {
                let buckets = (0..30)
                    .map(|j| BucketRow {
                        start_s: f64::from(j),
                        width_s: 1.0,
                        writes_committed: 5,
                        reads_served: 100_000,
                        outdated_reads: u64::from(i + 1) * 10,
                        outdated_age: LatencyStats {
                            count: 1,
                            p99_ms: f64::from(i + 1),
                            ..LatencyStats::default()
                        },
                        ..BucketRow::default()
                    })
                    .collect();
                strategy(&format!("strategy-{i}"), 1000.0, buckets)
            })
            .collect();
        let result = scenario(strategies);
        let figure = build_figure(Kind::OutdatedReads, &result);
        let dashed: Vec<bool> = figure.panels[0].series.iter().map(|s| s.dashed).collect();
        // The greyed lines first (strategy-1 to strategy-11), then strategy-0 (baseline and best).
        assert_eq!(
            dashed,
            [[false; 7].as_slice(), &[true; 4], &[false]].concat()
        );
        // Twelve strategies and the note on the greyed lines.
        assert_eq!(figure.legend.len(), 13);
        assert_eq!(figure.legend[12].text, GREYED_NOTE);
        assert_eq!(figure.legend[0].text, "strategy-11: 0.12%");
        assert_eq!(figure.legend[0].sample, Sample::Dashed);
        assert_eq!(figure.legend[11].text, "strategy-0: 0.01%");
        assert_eq!(figure.legend[11].sample, Sample::Line);
        let charts = render_all(&result, ImageFormat::Svg).unwrap();
        let reads = charts
            .iter()
            .find(|c| c.file_stem == "outdated_reads")
            .unwrap();
        let text = String::from_utf8(reads.bytes.clone()).unwrap();
        // Every strategy is named: nothing is cut to "+ N more".
        assert!((0..12).all(|i| text.contains(&format!("strategy-{i}:"))));
        assert!(!text.contains("more"));
        assert!(text.contains("avalanche: outdated reads"));
        assert!(text.contains("outdated reads (% of reads)"));
    }

    #[test]
    fn freshness_small_multiples_are_left_out_beyond_max_panels() {
        let many = beyond_max_panels(&writing_sample().strategies[1]);
        let charts = render_all(&many, ImageFormat::Svg).unwrap();
        let stems = stems(&charts);
        assert!(stems.contains(&"outdated_reads") && stems.contains(&"outdated_age_p99"));
        assert!(!stems.iter().any(|s| s.ends_with("_by_strategy")));
    }

    #[test]
    fn degenerate_freshness_data_renders_without_panicking() {
        let mut odd = writing_sample();
        let b = &mut odd.strategies[0].result.buckets;
        b[1].outdated_age.p99_ms = f64::NAN;
        b[2].outdated_age.p99_ms = f64::INFINITY;
        b[3].outdated_age.p99_ms = 5e-324;
        b[4].outdated_age.p99_ms = f64::MAX;
        b[5].outdated_reads = u64::MAX;
        b[6].reads_served = 0;
        b[7].outdated_reads = 1;
        b[7].reads_served = u64::MAX;
        odd.strategies[1].result.summary.totals.outdated_age.p99_ms = f64::NAN;
        let mut no_reads = writing_sample();
        for s in &mut no_reads.strategies {
            for b in &mut s.result.buckets {
                b.reads_served = 0;
                b.outdated_reads = 0;
                b.outdated_age = LatencyStats::default();
            }
            s.result.summary.totals.outdated_age = LatencyStats::default();
        }
        for case in [odd, no_reads] {
            for format in [ImageFormat::Png, ImageFormat::Svg] {
                let charts = render_all(&case, format).unwrap();
                assert_eq!(charts.len(), STEMS.len() + FRESHNESS_STEMS.len());
            }
        }
        let legend = build_figure(Kind::OutdatedReads, &writing_sample()).legend;
        assert_eq!(legend.len(), 3);
    }

    #[test]
    fn shares_and_ages_are_written_short() {
        assert_eq!(format_share(68.484), "68%");
        assert_eq!(format_share(4.15), "4.2%");
        assert_eq!(format_share(0.457), "0.46%");
        assert_eq!(format_share(0.0098), "0.0098%");
        assert_eq!(format_share(0.4), "0.4%");
        assert_eq!(format_share(100.0), "100%");
        assert_eq!(format_share(0.0), "0%");
        assert_eq!(format_share(f64::NAN), "0%");
        assert_eq!(format_age_ms(0.42), "0.42 ms");
        assert_eq!(format_age_ms(97.3), "97 ms");
        assert_eq!(format_age_ms(611.0), "611 ms");
        assert_eq!(format_age_ms(1_792.0), "1.8 s");
        assert_eq!(format_age_ms(56_673.4), "57 s");
        assert_eq!(format_age_ms(f64::NAN), "?");
    }

    #[test]
    fn share_axis_starts_just_under_a_minimum_that_sits_under_a_power_of_ten() {
        // One read in 10,008: not a whole empty decade below it.
        let axis = share_axis([0.00999, 50.0].into_iter());
        assert!(axis.lo > 0.005 && axis.lo < 0.00999, "{axis:?}");
        assert_eq!(axis.hi, 100.0);
        // A share never exceeds 100%: the top stops a little above it.
        assert_eq!(share_axis([0.5, 75.0].into_iter()).hi, SHARE_AXIS_MAX);
        assert_eq!(share_axis([0.5, 100.0].into_iter()).hi, SHARE_AXIS_MAX);
        // Otherwise as the latency axis: from a power of ten, to a round number above.
        let axis = share_axis([0.02, 5.0].into_iter());
        assert_eq!((axis.lo, axis.hi), (0.01, 10.0));
        // Down to one read in a million.
        assert_eq!(share_axis([1e-9, 1.0].into_iter()).lo, SHARE_FLOOR_MIN);
        assert_eq!(share_axis(std::iter::empty()), Axis::log(1.0, 150.0));
    }

    #[test]
    fn freshness_svgs_with_hostile_names_are_valid_xml() {
        let mut result = writing_sample();
        result.strategies[0].name = "<b>&\"'\u{1b}[31m".to_owned();
        for chart in render_all(&result, ImageFormat::Svg).unwrap() {
            let text = String::from_utf8(chart.bytes).unwrap();
            if let Err(e) = roxmltree::Document::parse(&text) {
                panic!("{} is not valid XML: {e}", chart.file_stem);
            }
            assert!(text.contains("\\u{1b}[31m"), "{}", chart.file_stem);
        }
    }
}
