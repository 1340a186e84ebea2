//! The runs a chart draws: one plain run, or every replication of a study. With replications a
//! line is the mean over them, bucket by bucket, with a shaded band around it.
//!
//! A bucket's mean is taken over the replications that have a value there (a bucket where
//! nothing completed has no p99), and its band runs from the lowest of those values to the
//! highest: the range a single run can land anywhere in. Not a confidence interval, on purpose:
//! a bucket's value across replications is rarely near normal (a herd either struck that second
//! or not, so its p99 is 1 ms in some runs and 600 ms in others), and the symmetric Student t
//! interval of such values reaches below 0, diving to the floor of a log axis at every spike,
//! while the range stays on values that happened. The 95% intervals of whole-run figures are in
//! `intervals.csv`. An axis reaches past the top of every band, and a band below a log axis
//! is drawn from its bottom edge. Where fewer than two replications have a value there is a
//! line but no band.
//!
//! Replications of a strategy have the same buckets unless a drain lets each run on until its
//! last request ends, or a run that diverged is cut short: a bucket only some replications
//! reach is the mean of those, and the legend says from when.
//!
//! With one run nothing here changes a chart: lines are the run's own values and no band is
//! drawn, so [`super::render_all`] draws exactly what it drew before replications existed.

use std::ops::Deref;

use plotters::style::RGBColor;

use super::*;

use crate::metrics::BucketRow;
use crate::metrics::ScenarioResult;
use crate::metrics::StrategyResult;

/// The runs a chart draws: a plain run, or every replication of a study, in order.
///
/// Dereferences to the first run, for what every replication shares: the scenario's and
/// strategies' names, capacities, client timeouts and timeline marks.
#[derive(Clone, Copy, Debug)]
pub(super) struct Runs<'a> {
    runs: &'a [ScenarioResult],
    /// What "best" means for these runs: the scenario's `[[expect]]` figures (see
    /// [`crate::report::ranking`]); empty for p99 latency, then errors.
    objective: &'a [String],
}

impl<'a> Runs<'a> {
    /// The replications of a study (at least one).
    pub(super) fn of(runs: &'a [ScenarioResult]) -> Self {
        assert!(!runs.is_empty(), "a study has at least one run");
        Runs {
            runs,
            objective: &[],
        }
    }

    /// These runs, ranked on `objective` (the scenario's `[[expect]]` figures).
    pub(super) fn with_objective(self, objective: &'a [String]) -> Self {
        Runs { objective, ..self }
    }

    /// The objective the runs are ranked on.
    pub(super) fn objective(self) -> &'a [String] {
        self.objective
    }

    /// Every run, the first being the plain run.
    pub(super) fn all(self) -> &'a [ScenarioResult] {
        self.runs
    }

    /// How many replications the lines are the mean of.
    pub(super) fn count(self) -> usize {
        self.runs.len()
    }

    /// Whether the lines are means over several replications, with bands.
    pub(super) fn is_replicated(self) -> bool {
        self.runs.len() > 1
    }

    /// ` (mean of 3)` after a figure read off a mean line (a panel's peak), so it is not taken
    /// for one replication's; nothing for a plain run.
    pub(super) fn of_the_mean(self) -> String {
        if self.is_replicated() {
            format!(" (mean of {})", self.count())
        } else {
            String::new()
        }
    }

    /// Strategy `i` in every run that has it (every run has every strategy).
    pub(super) fn strategy(self, i: usize) -> Vec<&'a StrategyResult> {
        self.runs
            .iter()
            .filter_map(|run| run.strategies.get(i))
            .collect()
    }

    /// The start of the first bucket that some replication of some strategy does not reach,
    /// when replications end at different times (a drain, a run cut short); `None` when every
    /// replication of each strategy has the same buckets.
    pub(super) fn ragged_from_s(self) -> Option<f64> {
        (0..self.strategies.len())
            .filter_map(|i| {
                let replicas = self.strategy(i);
                let shortest = replicas.iter().map(|s| s.result.buckets.len()).min()?;
                replicas
                    .iter()
                    .find_map(|s| s.result.buckets.get(shortest))
                    .map(|b| b.start_s)
            })
            .filter(|t| t.is_finite())
            .reduce(f64::min)
    }
}

impl<'a> From<&'a ScenarioResult> for Runs<'a> {
    fn from(result: &'a ScenarioResult) -> Self {
        Runs {
            runs: std::slice::from_ref(result),
            objective: &[],
        }
    }
}

impl Deref for Runs<'_> {
    type Target = ScenarioResult;

    fn deref(&self) -> &ScenarioResult {
        &self.runs[0]
    }
}

/// One bucket of a strategy's mean line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct MeanPoint {
    /// Start of the bucket, seconds.
    pub(super) t: f64,
    /// Mean of the values the replications have there; `None` when none has one (a gap).
    pub(super) mean: Option<f64>,
    /// The lowest and highest of those values; `None` with fewer than two.
    pub(super) band: Option<(f64, f64)>,
}

/// The mean line of a value over replications: at each bucket index `k` up to the longest
/// replication's, the mean and range of `point(r, k)`'s values over the replications `r` with
/// `k < lens[r]`, at the time of the first of them. A value `None` or not finite is left out.
pub(super) fn mean_line(
    lens: &[usize],
    point: impl Fn(usize, usize) -> (f64, Option<f64>),
) -> Vec<MeanPoint> {
    let longest = lens.iter().copied().max().unwrap_or(0);
    let mut values = Vec::with_capacity(lens.len());
    (0..longest)
        .map(|k| {
            values.clear();
            let mut t = None;
            for (r, _) in lens.iter().enumerate().filter(|(_, &len)| k < len) {
                let (start, value) = point(r, k);
                t.get_or_insert(start);
                values.extend(value.filter(|v| v.is_finite()));
            }
            let t = t.expect("the longest replication has every bucket");
            if values.is_empty() {
                return MeanPoint {
                    t,
                    mean: None,
                    band: None,
                };
            }
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let band = (values.len() > 1).then_some((lo, hi));
            MeanPoint {
                t,
                mean: Some(mean),
                band,
            }
        })
        .collect()
}

/// The mean line of a bucket's `value` over a strategy's replications.
pub(super) fn mean_of_buckets(
    replicas: &[&StrategyResult],
    value: impl Fn(&BucketRow) -> Option<f64>,
) -> Vec<MeanPoint> {
    let lens: Vec<usize> = replicas.iter().map(|s| s.result.buckets.len()).collect();
    mean_line(&lens, |r, k| {
        let b = &replicas[r].result.buckets[k];
        (b.start_s, value(b))
    })
}

/// A line of `color` through mean points, with their band: the line breaks where a mean is
/// missing, the band where a band is (or the line is) missing; both are thinned as every line
/// is (see [`thin`] and [`thin_band`]).
pub(super) fn mean_series(color: RGBColor, points: &[MeanPoint]) -> Series {
    let segments = line_segments(points.iter().map(|p| (p.t, p.mean)));
    let band = band_segments(
        points
            .iter()
            .map(|p| (p.t, p.band.filter(|_| p.mean.is_some()))),
    );
    Series {
        band,
        ..Series::line(color, segments)
    }
}

/// The runs of a band through `points` (time, (low, high)), each thinned: a point without a
/// band, or not finite, or at a time that is not a finite time from 0, breaks it; values below
/// 0 are drawn at 0, as the lines' are.
pub(super) fn band_segments(
    points: impl Iterator<Item = (f64, Option<(f64, f64)>)>,
) -> Vec<Vec<(f64, f64, f64)>> {
    let mut segments: Vec<Vec<(f64, f64, f64)>> = Vec::new();
    let mut current = Vec::new();
    for (t, band) in points {
        match band {
            Some((lo, hi)) if lo.is_finite() && hi.is_finite() && t.is_finite() && t >= 0.0 => {
                current.push((t, lo.min(hi).max(0.0), hi.max(lo).max(0.0)));
            }
            _ => {
                if !current.is_empty() {
                    segments.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        segments.push(current);
    }
    segments.into_iter().map(thin_band).collect()
}

/// Thins a band of more than [`MAX_POINTS`] points as [`thin`] thins a line: each run of
/// consecutive points becomes its envelope (lowest low, highest high) at the run's first and
/// last time, so the band still covers every point's.
pub(super) fn thin_band(points: Vec<(f64, f64, f64)>) -> Vec<(f64, f64, f64)> {
    if points.len() <= MAX_POINTS {
        return points;
    }
    let run = points.len().div_ceil(MAX_POINTS / 2);
    let mut out = Vec::with_capacity(MAX_POINTS + 2);
    for chunk in points.chunks(run) {
        let lo = chunk.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let hi = chunk.iter().map(|p| p.2).fold(f64::NEG_INFINITY, f64::max);
        let (first, last) = (chunk[0].0, chunk[chunk.len() - 1].0);
        out.push((first, lo, hi));
        if last != first {
            out.push((last, lo, hi));
        }
    }
    out
}

/// The legend's note on what the lines (and, when `banded`, the bands) of a chart drawn from
/// `runs` are, `None` with one run: `Lines: mean of 5 replications; shaded: min to max`, and
/// when replications end at different times, from when the mean is of fewer.
pub(super) fn replications_note(runs: &Runs, banded: bool) -> Option<String> {
    if !runs.is_replicated() {
        return None;
    }
    let mut note = format!("Lines: mean of {} replications", runs.count());
    if banded {
        note.push_str(BAND_NOTE);
    }
    if let Some(t) = runs.ragged_from_s() {
        note.push_str(&format!(
            "; from {} s on, of those still running",
            format_quantity(t)
        ));
    }
    Some(note)
}

/// What the shaded bands are, after the note on the lines.
pub(super) const BAND_NOTE: &str = "; shaded: min to max";

/// Whether some strategy's mean line of `value` has a gap: a bucket where no replication has a
/// value, or whose mean `adjust` leaves out (see [`collect_mean_series`]).
pub(super) fn mean_has_gaps(
    runs: &Runs,
    value: impl Fn(&BucketRow) -> Option<f64>,
    adjust: impl Fn(&mut MeanPoint),
) -> bool {
    (0..runs.strategies.len()).any(|i| {
        mean_of_buckets(&runs.strategy(i), &value)
            .iter_mut()
            .any(|p| {
                adjust(p);
                p.mean.is_none()
            })
    })
}

/// The mean of a whole-run figure over replications (one figure each), of those that have one
/// and are finite; `None` when none has.
pub(super) fn mean_figure(figures: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let (sum, n) = figures
        .flatten()
        .filter(|v| v.is_finite())
        .fold((0.0, 0usize), |(sum, n), v| (sum + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

#[cfg(test)]
mod tests {
    use crate::report::charts::test_fixtures::*;

    #[test]
    fn replications_draw_the_mean_line_with_a_band_from_lowest_to_highest() {
        let runs = three_replications();
        let runs = Runs::of(&runs);

        let latency = build_figure(Kind::Latency, runs);
        let line = &latency.panels[0].series[0];
        assert_near(at(line, 30.0), (30.0, Some((10.0, 60.0))));
        // Where every replication has the same value the mean is that value, the band a line.
        assert_near(at(line, 31.0), (8.0, Some((8.0, 8.0))));
        assert_near(at(line, 0.0), (1000.0, Some((1000.0, 1000.0))));
        assert_eq!(line.color, strategy_color(0));
        assert_eq!(latency.legend.last().unwrap().text, BAND_LEGEND);
        assert_eq!(latency.legend.last().unwrap().sample, Sample::Note);

        let hits = build_figure(Kind::HitRatio, runs);
        assert_near(at(&hits.panels[0].series[0], 30.0), (0.7, Some((0.4, 0.9))));

        // The axis reaches past the top of a band, not only past the mean.
        let errors = build_figure(Kind::Errors, runs);
        let failed = &errors.panels[0].series[0];
        assert_near(at(failed, 30.0), (30.0, Some((0.0, 90.0))));
        assert!(errors.panels[0].y.hi > 90.0);

        // The database load: throughput with its band; demand's mean dashed, without a band (two
        // bands a strategy would bury the lines); the queue with its band.
        let db = build_figure(Kind::DbLoad, runs);
        let (submitted, completed) = (&db.panels[0].series[0], &db.panels[0].series[2]);
        assert!(submitted.dashed && !completed.dashed);
        assert_near(at(completed, 30.0), (300.0, Some((100.0, 600.0))));
        assert_near(at(submitted, 30.0), (600.0, None));
        assert!(db.panels[0].series[..2].iter().all(|s| s.band.is_empty()));
        assert_near(at(&db.panels[1].series[0], 30.0), (3.0, Some((0.0, 6.0))));

        // Each panel of the small multiples has both bands, and a label of its mean line's peak.
        let by_strategy = build_figure(Kind::DbLoadByStrategy, runs);
        let lines = &by_strategy.panels[0].series;
        assert_near(at(&lines[0], 30.0), (600.0, Some((200.0, 1200.0))));
        assert_near(at(&lines[1], 30.0), (300.0, Some((100.0, 600.0))));
        assert_eq!(
            by_strategy.panels[0].label.as_ref().unwrap().0,
            "fixed-ttl: peak 5000 q/s submitted, 5000 completed (mean of 3)"
        );
        assert_eq!(by_strategy.legend.last().unwrap().text, BAND_LEGEND);
        let latency = build_figure(Kind::LatencyByStrategy, runs);
        assert_near(
            at(&latency.panels[0].series[0], 30.0),
            (30.0, Some((10.0, 60.0))),
        );

        // jittered-10 is the same in every replication: its band has no height anywhere.
        let flat = &build_figure(Kind::Latency, runs).panels[0].series[1];
        assert!(flat
            .band
            .iter()
            .flatten()
            .all(|b| b.1 == 10.0 && b.2 == 10.0));
        assert_eq!(flat.band.iter().flatten().count(), 120);
    }

    #[test]
    fn a_panel_label_with_replications_says_its_peak_is_the_mean_lines() {
        // fixed-ttl's p99 in bucket 30: 3000 ms in the first replication, 10 in the others;
        // its mean line peaks there at 1006.7 ms, above every other bucket's 1000 ms.
        let runs = replicate(&sample(), 3, |r, run| {
            run.strategies[0].result.buckets[30].latency.p99_ms = [3000.0, 10.0, 10.0][r];
        });
        let label = |runs: Runs| {
            let figure = build_figure(Kind::LatencyByStrategy, runs);
            figure.panels[0].label.clone().unwrap().0
        };
        assert_eq!(label(Runs::of(&runs)), "fixed-ttl: max 1007 ms (mean of 3)");
        // One run: its own peak, with nothing about means.
        assert_eq!(label(Runs::of(&runs[..1])), "fixed-ttl: max 3000 ms");
    }

    #[test]
    fn a_bucket_some_replications_lack_is_the_mean_of_the_others() {
        let mut runs = three_replications();
        // Replication 1 stops a bucket early and replication 2 two (a drain that ended sooner):
        // bucket 118 is the mean of two, bucket 119 the one value that reached it, without a band.
        runs[1].strategies[0].result.buckets.truncate(119);
        runs[2].strategies[0].result.buckets.truncate(118);
        runs[0].strategies[0].result.buckets[118].latency.p99_ms = 4.0;
        runs[1].strategies[0].result.buckets[118].latency.p99_ms = 6.0;
        runs[0].strategies[0].result.buckets[119].latency.p99_ms = 7.0;
        // Nothing completed in bucket 40 of replication 2 (no p99): the mean of the other two.
        runs[0].strategies[0].result.buckets[40].latency.p99_ms = 2.0;
        runs[2].strategies[0].result.buckets[40].latency.count = 0;
        // Nothing completed in bucket 50 of any replication: a gap.
        for run in &mut runs {
            run.strategies[0].result.buckets[50].latency.count = 0;
        }
        let figure = build_figure(Kind::Latency, Runs::of(&runs));
        let line = &figure.panels[0].series[0];
        assert_near(at(line, 118.0), (5.0, Some((4.0, 6.0))));
        assert_near(at(line, 119.0), (7.0, None));
        assert_near(at(line, 40.0), (5.0, Some((2.0, 8.0))));
        assert_eq!(at(line, 50.0), (None, None));
        assert_eq!(line.segments.len(), 2);
        assert_eq!(
            line.band.len(),
            2,
            "the band breaks at the gap and where one value is left"
        );
        assert_eq!(
            figure.legend.last().unwrap().text,
            format!("{BAND_LEGEND}; from 118 s on, of those still running")
        );
        // The time axis covers the longest replication, whichever it is.
        runs.swap(0, 2);
        assert_eq!(x_extent(Runs::of(&runs)), 120.0);
    }

    #[test]
    fn failures_by_kind_are_means_over_replications_and_drawn_when_any_replication_failed() {
        // fixed-ttl fails 0, 30 and 60 requests a second in buckets 0 to 2 of replications 0 to 2.
        let runs = replicate(&sample(), 3, |r, run| {
            for b in &mut run.strategies[0].result.buckets[..3] {
                b.errors_timeout = 30 * r as u64;
                b.arrived = 100;
            }
        });
        assert!(!stems(&render_all(&runs[0], ImageFormat::Png).unwrap())
            .contains(&"errors_by_strategy"));
        let charts = render_study(&study(runs.clone()), ImageFormat::Png).unwrap();
        assert!(stems(&charts).contains(&"errors_by_strategy"));

        let figure = build_figure(Kind::ErrorsByStrategy, Runs::of(&runs));
        let line = &figure.panels[0].series[0];
        assert_near(at(line, 0.0), (30.0, Some((0.0, 60.0))));
        // Drawn near failures only: the zero next to the last failure, then nothing.
        assert_near(at(line, 3.0), (0.0, Some((0.0, 0.0))));
        assert_eq!(at(line, 4.0), (None, None));
        assert_eq!(
            figure.panels[0].label.as_ref().unwrap().0,
            "fixed-ttl: mean 90 failed (30% of requests)"
        );
        assert_eq!(
            figure.panels[1].label.as_ref().unwrap().0,
            "jittered-10: none failed"
        );
    }

    #[test]
    fn outdated_shares_count_a_replication_without_outdated_reads_as_zero() {
        // jittered-10 has 1 outdated read in 10,000 a bucket, none in buckets 10 and 11; in bucket
        // 20 of replications 0 to 2, none, 2 and 4.
        let runs = replicate(&writing_sample(), 3, |r, run| {
            run.strategies[1].result.buckets[20].outdated_reads = 2 * r as u64;
        });
        let figure = build_figure(Kind::OutdatedReads, Runs::of(&runs));
        let line = &figure.panels[0].series[1];
        // Mean 0.02%; no band, whose bottom (0%) is off the log axis.
        assert_near(at(line, 20.0), (0.02, None));
        assert_near(at(line, 21.0), (0.01, Some((0.01, 0.01))));
        assert_eq!(
            at(line, 10.0),
            (None, None),
            "no outdated read in any replication: a gap"
        );
        let texts: Vec<&str> = figure.legend.iter().map(|e| e.text.as_str()).collect();
        assert!(texts.contains(&GAP_NOTE), "{texts:?}");
        assert_eq!(texts.last(), Some(&BAND_LEGEND));

        // The overlaid ages tangle: their bands are only in the small multiples, and the legend
        // says the lines are means without speaking of bands.
        let ages = build_figure(Kind::OutdatedAge, Runs::of(&runs));
        assert!(ages.panels[0].series.iter().all(|s| s.band.is_empty()));
        assert_eq!(
            ages.legend.last().unwrap().text,
            "Lines: mean of 3 replications"
        );
        let by_strategy = build_figure(Kind::OutdatedAgeByStrategy, Runs::of(&runs));
        assert!(!by_strategy.panels[1].series[0].band.is_empty());
        assert_eq!(by_strategy.legend.len(), 1, "a legend of the note alone");
    }

    #[test]
    fn goodput_has_a_band_and_its_backdrops_do_not() {
        let runs = replicate(&retrying_sample(), 3, |r, run| {
            run.strategies[0].result.buckets[30].completed = 400 * r as u64;
        });
        let figure = build_figure(Kind::Goodput, Runs::of(&runs));
        let [arrivals, throughput, goodput] = &figure.panels[0].series[..] else {
            panic!("three lines a panel");
        };
        assert!(arrivals.band.is_empty() && throughput.band.is_empty());
        assert_near(at(goodput, 30.0), (400.0, Some((0.0, 800.0))));
    }

    #[test]
    fn node_reads_are_means_with_bands_and_failed_reads_means_without() {
        let runs = replicate(&node_sample(), 3, |r, run| {
            run.strategies[0].result.nodes[5][2].reads = 400 + 300 * r as u64;
        });
        let figure = build_figure(Kind::NodeLoad, Runs::of(&runs));
        let series = &figure.panels[0].series;
        assert_near(at(&series[2], 5.0), (700.0, Some((400.0, 1000.0))));
        let failed = &series[3];
        assert_eq!(failed.width, WIDE_LINE_WIDTH);
        assert!(failed.band.is_empty());
        assert_near(at(failed, 60.0), (200.0, None));
    }

    #[test]
    fn a_band_of_a_million_points_is_thinned_to_an_envelope_of_every_point() {
        let mut points: Vec<(f64, f64, f64)> =
            (0..1_000_000).map(|i| (i as f64, 1.0, 2.0)).collect();
        points[123_456].2 = 50.0;
        points[777_777].1 = 0.25;
        let thin = thin_band(points);
        assert!(thin.len() <= MAX_POINTS + 2, "{}", thin.len());
        assert!(thin.windows(2).all(|w| w[0].0 < w[1].0));
        let covering = |t: f64, v: f64| {
            thin.windows(2)
                .any(|w| w[0].0 <= t && t <= w[1].0 && w[0].1 <= v && v <= w[0].2)
        };
        assert!(covering(123_456.0, 50.0) && covering(777_777.0, 0.25));
        let few: Vec<(f64, f64, f64)> = (0..10).map(|i| (i as f64, 0.0, 1.0)).collect();
        assert_eq!(thin_band(few.clone()), few);
    }
}
