//! Judging a study against the expectations of its scenario file and against a saved baseline,
//! for `cachestorm check`.
//!
//! With one replication a figure is judged on its value. With several, on its 95% confidence
//! interval, so that noise cannot flip a verdict:
//! - a bound (`at_most`, `at_least`, absolute or relative to another strategy) is a
//!   requirement: it passes only when the whole interval meets it (for a relative bound, the
//!   interval of the paired differences `a - k·b`, replication by replication);
//! - a comparison with a baseline is change detection, as criterion does: it fails only when
//!   the figure is worse than the baseline's by more than the tolerance beyond doubt (the whole
//!   interval of the paired excess lies above zero).
//!
//! A figure with no number (an empty cell) is a failure, never a silent pass; `never` (a run
//! that did not recover) counts as infinitely long.

use serde::{Deserialize, Serialize};

use super::replications::{figure, figures, Figure};
use crate::metrics::interval::Interval;
use crate::metrics::StudyResult;
use crate::scenario::expect::{BaselineCheck, Expectation};

/// Figures where more is better; for every other figure less is better.
pub const HIGHER_IS_BETTER: [&str; 8] = [
    "hit_ratio",
    "all_hit_ratio",
    "requests_completed",
    "requests_all_hit",
    "cache_hits",
    "reads_served",
    "goodput_per_s",
    "throughput_per_s",
];

/// The outcome of one expectation or comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Met.
    Pass,
    /// Not met.
    Fail,
    /// The figure has no number: a failure.
    NoData,
}

/// One line of the check's report.
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    /// What was expected, e.g. `xfetch p99_latency_ms <= 0.5 × fixed-ttl`.
    pub expectation: String,
    /// The figure as judged, e.g. `12.3 ± 0.4` or `12.3`.
    pub value: String,
    /// The outcome.
    pub verdict: Verdict,
    /// Why, in one sentence, when it did not pass.
    pub reason: String,
}

/// The per-replication values of a figure: numbers, `never` as infinity; `None` when a
/// replication has no value.
fn numbers(f: &Figure) -> Option<Vec<f64>> {
    f.written
        .iter()
        .map(|w| {
            if w == "never" {
                Some(f64::INFINITY)
            } else {
                w.parse::<f64>().ok()
            }
        })
        .collect()
}

/// The interval of `values` (one value: a point), or infinite when any is.
fn interval(values: &[f64]) -> (f64, f64, f64) {
    if values.iter().any(|v| v.is_infinite()) {
        return (f64::INFINITY, f64::INFINITY, f64::INFINITY);
    }
    if values.len() == 1 {
        return (values[0], values[0], values[0]);
    }
    let i = Interval::of(values);
    (i.mean, i.low(), i.high())
}

fn show(mean: f64, low: f64, high: f64) -> String {
    if mean.is_infinite() {
        "never".into()
    } else if low == high {
        num(mean)
    } else {
        format!("{} ± {}", num(mean), num(high - mean))
    }
}

/// A number for people: up to 4 significant figures, no trailing zeros.
fn num(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = (3 - x.abs().log10().floor() as i32).clamp(0, 9) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Judges one expectation. The strategies and metric must exist in `study` (checked before
/// running); a strategy left out with --strategy is judged as having no data.
pub fn judge(study: &StudyResult, e: &Expectation) -> Judgement {
    let relative = |k: f64| match &e.of {
        Some(of) => format!("{} × {of}", num(k)),
        None => num(k),
    };
    let mut bounds = Vec::new();
    if let Some(lo) = e.at_least {
        bounds.push(format!(">= {}", relative(lo)));
    }
    if let Some(hi) = e.at_most {
        bounds.push(format!("<= {}", relative(hi)));
    }
    let expectation = format!("{} {} {}", e.strategy, e.metric, bounds.join(" and "));
    let no_data = |what: &str| Judgement {
        expectation: expectation.clone(),
        value: "-".into(),
        verdict: Verdict::NoData,
        reason: format!("{what} has no value for {}", e.metric),
    };
    let Some(a) = figure(study, &e.strategy, &e.metric)
        .as_ref()
        .and_then(numbers)
    else {
        return no_data(&e.strategy);
    };
    let (mean, low, high) = interval(&a);
    let mut value = show(mean, low, high);
    // The quantity whose interval must lie below `hi` and above `lo`: the figure itself, or
    // its paired excess over k times the other's (then the bounds are 0).
    let (ok_low, ok_high, reason_of) = match &e.of {
        None => {
            let ok_high = e.at_most.is_none_or(|hi| high <= hi);
            let ok_low = e.at_least.is_none_or(|lo| low >= lo);
            (ok_low, ok_high, format!("{} is {value}", e.metric))
        }
        Some(of) => {
            let Some(b) = figure(study, of, &e.metric).as_ref().and_then(numbers) else {
                return no_data(of);
            };
            let (bm, bl, bh) = interval(&b);
            value = format!("{value} ({of} {})", show(bm, bl, bh));
            let excess = |k: f64| -> (f64, f64) {
                let d: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x - k * y).collect();
                if d.iter().any(|v| v.is_nan()) {
                    // never - never: no comparison possible.
                    return (f64::NAN, f64::NAN);
                }
                let (_, l, h) = interval(&d);
                (l, h)
            };
            let ok_high = e.at_most.is_none_or(|k| excess(k).1 <= 0.0);
            let ok_low = e.at_least.is_none_or(|k| excess(k).0 >= 0.0);
            (ok_low, ok_high, format!("{} is {value}", e.metric))
        }
    };
    let pass = ok_low && ok_high;
    Judgement {
        expectation,
        value,
        verdict: if pass { Verdict::Pass } else { Verdict::Fail },
        reason: if pass {
            String::new()
        } else if a.len() > 1 {
            format!("{reason_of}: its 95% interval does not lie within the bound")
        } else {
            format!("{reason_of}: outside the bound")
        },
    }
}

/// Figures of a study saved to compare later runs with (`check --save-baseline`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Version of cachestorm that saved it.
    pub cachestorm_version: String,
    /// Scenario name.
    pub scenario: String,
    /// SHA-256 of the scenario file it ran.
    pub scenario_sha256: String,
    /// Seed of each replication.
    pub seeds: Vec<u64>,
    /// Warm-up left out, seconds.
    pub warmup_s: f64,
    /// Per strategy, every figure as written in each replication.
    pub strategies: Vec<SavedStrategy>,
}

/// One strategy's figures in a [`Baseline`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedStrategy {
    /// Strategy name.
    pub name: String,
    /// (metric, the value written in each replication).
    pub figures: Vec<(String, Vec<String>)>,
}

impl Baseline {
    /// The baseline of `study`, run from a file with hash `sha256`.
    pub fn of(study: &StudyResult, sha256: &str) -> Baseline {
        let first = study.first();
        Baseline {
            cachestorm_version: env!("CARGO_PKG_VERSION").into(),
            scenario: first.name.clone(),
            scenario_sha256: sha256.into(),
            seeds: study.runs.iter().map(|r| r.seed).collect(),
            warmup_s: study.warmup_s,
            strategies: first
                .strategies
                .iter()
                .enumerate()
                .map(|(i, s)| SavedStrategy {
                    name: s.name.clone(),
                    figures: figures(study, i)
                        .into_iter()
                        .map(|f| (f.metric.to_string(), f.written))
                        .collect(),
                })
                .collect(),
        }
    }

    /// Why `study` (from a file with hash `sha256`) cannot be compared with this baseline, if
    /// it cannot: another scenario file, other seeds or replications, another warm-up.
    pub fn mismatch(&self, study: &StudyResult, sha256: &str) -> Option<String> {
        let seeds: Vec<u64> = study.runs.iter().map(|r| r.seed).collect();
        if self.scenario_sha256 != sha256 {
            Some("the scenario file changed since the baseline was saved (its SHA-256 differs); save the baseline again from this file".into())
        } else if self.seeds != seeds {
            Some(format!(
                "the baseline ran {} replication(s) with seeds {:?}, this run {} with {:?}; run with the same --seed and --replications",
                self.seeds.len(),
                self.seeds,
                seeds.len(),
                seeds
            ))
        } else if self.warmup_s != study.warmup_s {
            Some("the warm-up differs from the baseline's".into())
        } else {
            None
        }
    }
}

/// Compares every strategy of `study` that the baseline also has on `check.metrics`: fails
/// when a figure is worse than the baseline's by more than `check.tolerance` (relative), beyond
/// the noise of the replications.
pub fn compare(study: &StudyResult, saved: &Baseline, check: &BaselineCheck) -> Vec<Judgement> {
    let mut out = Vec::new();
    let tol = check.tolerance;
    for (i, s) in study.first().strategies.iter().enumerate() {
        let Some(old) = saved.strategies.iter().find(|o| o.name == s.name) else {
            continue;
        };
        let now = figures(study, i);
        for metric in &check.metrics {
            let higher = HIGHER_IS_BETTER.contains(&metric.as_str());
            let expectation = format!(
                "{} {metric} {} than baseline by at most {}%",
                s.name,
                if higher { "lower" } else { "higher" },
                num(tol * 100.0)
            );
            let new = now.iter().find(|f| f.metric == metric).and_then(numbers);
            let was = old
                .figures
                .iter()
                .find(|(m, _)| m == metric)
                .and_then(|(_, w)| {
                    numbers(&Figure {
                        metric: "",
                        written: w.clone(),
                    })
                });
            let (Some(new), Some(was)) = (new, was) else {
                out.push(Judgement {
                    expectation,
                    value: "-".into(),
                    verdict: Verdict::NoData,
                    reason: format!("{metric} has no value in this run or in the baseline"),
                });
                continue;
            };
            // Excess over the allowed worsening, replication by replication: above 0 is worse.
            let excess: Vec<f64> = new
                .iter()
                .zip(&was)
                .map(|(n, w)| {
                    if n.is_infinite() || w.is_infinite() {
                        if n == w {
                            0.0
                        } else if higher == (n < w) {
                            f64::INFINITY
                        } else {
                            f64::NEG_INFINITY
                        }
                    } else if higher {
                        (1.0 - tol) * w - n
                    } else {
                        n - (1.0 + tol) * w
                    }
                })
                .collect();
            let low = if excess.iter().any(|e| e.is_infinite()) {
                excess.iter().cloned().fold(f64::INFINITY, f64::min)
            } else {
                interval(&excess).1
            };
            let (nm, nl, nh) = interval(&new);
            let (wm, wl, wh) = interval(&was);
            let value = format!("{} (baseline {})", show(nm, nl, nh), show(wm, wl, wh));
            let worse = low > 0.0;
            out.push(Judgement {
                expectation,
                value,
                verdict: if worse { Verdict::Fail } else { Verdict::Pass },
                reason: if worse {
                    format!(
                        "{metric} worsened by more than {}% against the baseline",
                        num(tol * 100.0)
                    )
                } else {
                    String::new()
                },
            });
        }
    }
    out
}

/// The table `check` prints for one scenario: one line per judgement.
pub fn table(scenario: &str, replications: usize, judged: &[Judgement]) -> String {
    let mut out = format!(
        "{}: {} expectation{} judged on {}\n",
        crate::text::escape(scenario),
        judged.len(),
        if judged.len() == 1 { "" } else { "s" },
        if replications > 1 {
            format!("the 95% intervals of {replications} replications")
        } else {
            "one run".to_string()
        }
    );
    let rows: Vec<[String; 3]> = judged
        .iter()
        .map(|j| {
            [
                match j.verdict {
                    Verdict::Pass => "pass",
                    Verdict::Fail => "FAIL",
                    Verdict::NoData => "NO DATA",
                }
                .to_string(),
                crate::text::escape(&j.expectation).into_owned(),
                crate::text::escape(&j.value).into_owned(),
            ]
        })
        .collect();
    let w: Vec<usize> = (0..3)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for r in rows {
        let pad = |c: usize| " ".repeat(w[c] - r[c].chars().count());
        out.push_str(&format!(
            "  {}{}  {}{}  {}\n",
            r[0],
            pad(0),
            r[1],
            pad(1),
            r[2]
        ));
    }
    out
}
