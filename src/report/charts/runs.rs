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
}

impl<'a> Runs<'a> {
    /// The replications of a study (at least one).
    pub(super) fn of(runs: &'a [ScenarioResult]) -> Self {
        assert!(!runs.is_empty(), "a study has at least one run");
        Runs { runs }
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
