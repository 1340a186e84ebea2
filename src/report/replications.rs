//! Outputs of a run with replications: each figure's mean over replications (`summary.csv`),
//! every replication's own row (`replications.csv`), and the 95% confidence interval of every
//! figure with its paired difference from the baseline strategy (`intervals.csv`).
//!
//! Figures are read back from the single-run summary columns ([`super::csv::summary_values`]),
//! so every column of a single run's `summary.csv` is aggregated by one rule and none can be
//! forgotten.

use super::csv::{finish, fixed, summary_columns, summary_values, write_row};
use crate::metrics::interval::Interval;
use crate::metrics::{ScenarioResult, StudyResult};
use crate::text;

/// One figure of one strategy over the replications: the values as written in each
/// replication's summary, and the numbers among them.
#[derive(Clone, Debug)]
pub struct Figure {
    /// The column, as in `summary.csv`.
    pub metric: &'static str,
    /// The written value in each replication (may be empty or `never`).
    pub written: Vec<String>,
}

impl Figure {
    /// The value of replication `r` as a number, if it is one.
    pub fn value(&self, r: usize) -> Option<f64> {
        self.written[r]
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
    }

    /// The numeric values (replications whose value is not a number are left out).
    pub fn values(&self) -> Vec<f64> {
        (0..self.written.len())
            .filter_map(|r| self.value(r))
            .collect()
    }

    /// Mean and interval over the replications with a number, if any has one.
    pub fn interval(&self) -> Option<Interval> {
        let v = self.values();
        (!v.is_empty()).then(|| Interval::of(&v))
    }

    /// The mean as `summary.csv` writes it: with as many decimals as the replications' own
    /// values (3 when they are whole numbers), `never` when a replication never recovered, the
    /// common text when no value is a number.
    fn mean_text(&self) -> String {
        if self.written.iter().any(|w| w == "never") {
            return "never".into();
        }
        let values = self.values();
        if values.len() < self.written.len() {
            // Some replications have no value (an empty cell): the mean of the others would
            // pass for all of them.
            return if values.is_empty() {
                self.written[0].clone()
            } else {
                String::new()
            };
        }
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let decimals = self
            .written
            .iter()
            .map(|w| w.split_once('.').map_or(0, |(_, f)| f.len()))
            .max()
            .unwrap_or(0);
        if self.written.iter().any(|w| w.contains('e')) {
            format!("{mean:.3e}")
        } else {
            fixed(mean, if decimals == 0 { 3 } else { decimals })
        }
    }
}

/// Every figure of strategy `i` over the replications, in the order of `summary.csv`.
pub fn figures(study: &StudyResult, i: usize) -> Vec<Figure> {
    figures_in(&study.runs, i)
}

/// Every figure of strategy `i` over `runs` (the replications of a study), in the order of
/// `summary.csv`.
pub fn figures_in(runs: &[ScenarioResult], i: usize) -> Vec<Figure> {
    let per_run: Vec<Vec<String>> = runs
        .iter()
        .map(|run| summary_values(&run.strategies[i]))
        .collect();
    figures_of(&per_run)
}

/// Every figure over the replications from each replication's summary values as written
/// ([`summary_values`]), in the order of `summary.csv`.
pub fn figures_of(per_run: &[Vec<String>]) -> Vec<Figure> {
    summary_columns()
        .into_iter()
        .skip(1)
        .enumerate()
        .map(|(j, metric)| Figure {
            metric,
            written: per_run.iter().map(|v| v[j].clone()).collect(),
        })
        .collect()
}

/// The figure `metric` of the strategy named `strategy`, or `None` when either is unknown.
pub fn figure(study: &StudyResult, strategy: &str, metric: &str) -> Option<Figure> {
    let i = study
        .first()
        .strategies
        .iter()
        .position(|s| s.name == strategy)?;
    figures(study, i).into_iter().find(|f| f.metric == metric)
}

/// The bytes of `summary.csv` with replications: the columns of a single run, each the mean
/// over the replications.
pub fn summary(study: &StudyResult) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    write_row(&mut w, summary_columns().into_iter().map(String::from));
    for (i, s) in study.first().strategies.iter().enumerate() {
        let figs = figures(study, i);
        let row = std::iter::once(text::csv_cell(&s.name).into_owned())
            .chain(figs.iter().map(Figure::mean_text));
        write_row(&mut w, row);
    }
    finish(w)
}

/// The bytes of `replications.csv`: one row per replication and strategy, the columns of a
/// single run's `summary.csv` after `strategy`, `replication` and `seed`.
pub fn per_replication(study: &StudyResult) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = ["strategy", "replication", "seed"]
        .into_iter()
        .chain(summary_columns().into_iter().skip(1))
        .map(String::from);
    write_row(&mut w, header);
    for (r, run) in study.runs.iter().enumerate() {
        for s in &run.strategies {
            let row = [
                text::csv_cell(&s.name).into_owned(),
                r.to_string(),
                run.seed.to_string(),
            ]
            .into_iter()
            .chain(summary_values(s));
            write_row(&mut w, row);
        }
    }
    finish(w)
}

/// Columns of `intervals.csv`.
pub const INTERVAL_COLUMNS: [&str; 11] = [
    "strategy",
    "metric",
    "replications",
    "mean",
    "stdev",
    "ci95_low",
    "ci95_high",
    "baseline",
    "diff_mean",
    "diff_ci95_low",
    "diff_ci95_high",
];

/// The bytes of `intervals.csv`: one row per strategy and figure with a number in at least
/// one replication: the mean, standard deviation and 95% confidence interval over the
/// replications that have one, and the paired difference from the baseline strategy (this
/// strategy minus the baseline, replication by replication) with its interval.
pub fn intervals(study: &StudyResult) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    write_row(&mut w, INTERVAL_COLUMNS.into_iter().map(String::from));
    let strategies = &study.first().strategies;
    let base = study
        .baseline
        .as_deref()
        .and_then(|b| strategies.iter().position(|s| s.name == b));
    let base_figures = base.map(|b| figures(study, b));
    let num = |x: f64| fixed(x, 6);
    for (i, s) in strategies.iter().enumerate() {
        for (j, f) in figures(study, i).iter().enumerate() {
            let Some(ci) = f.interval() else { continue };
            let (low, high) = if ci.n > 1 {
                (num(ci.low()), num(ci.high()))
            } else {
                (String::new(), String::new())
            };
            let mut row = vec![
                text::csv_cell(&s.name).into_owned(),
                f.metric.to_string(),
                ci.n.to_string(),
                num(ci.mean),
                num(ci.stdev),
                low,
                high,
            ];
            match (&base_figures, base) {
                (Some(bf), Some(b)) if b != i => {
                    let d = paired(f, &bf[j]);
                    row.push(text::csv_cell(&strategies[b].name).into_owned());
                    match d {
                        Some(d) if d.n > 1 => {
                            row.extend([num(d.mean), num(d.low()), num(d.high())])
                        }
                        Some(d) => row.extend([num(d.mean), String::new(), String::new()]),
                        None => row.extend([String::new(), String::new(), String::new()]),
                    }
                }
                _ => row.extend(std::iter::repeat_n(String::new(), 4)),
            }
            write_row(&mut w, row);
        }
    }
    finish(w)
}

/// The paired difference `a - b` over the replications where both are numbers.
pub fn paired(a: &Figure, b: &Figure) -> Option<Interval> {
    let (x, y): (Vec<f64>, Vec<f64>) = (0..a.written.len())
        .filter_map(|r| Some((a.value(r)?, b.value(r)?)))
        .unzip();
    (!x.is_empty()).then(|| Interval::paired(&x, &y))
}

/// `mean ± half` with as many significant figures as the interval warrants.
pub(crate) fn plus_minus(mean: f64, half: f64) -> String {
    if !half.is_finite() {
        return round_sig(mean, 4);
    }
    // Two significant figures of the half width fix the decimals of both.
    let decimals = if half > 0.0 {
        (1 - half.log10().floor() as i32).clamp(0, 6) as usize
    } else {
        3
    };
    format!("{mean:.decimals$} ± {half:.decimals$}")
}

fn round_sig(x: f64, sig: i32) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let decimals = (sig - 1 - x.abs().log10().floor() as i32).clamp(0, 6) as usize;
    format!("{x:.decimals$}")
}
