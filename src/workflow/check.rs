//! Judging a study against the expectations of its scenario file and against a saved baseline,
//! for `cachestorm check`; and the check itself ([`judge_all`]): loading the files, refusing
//! whatever can be refused before anything runs, running and judging each scenario, and saving
//! the baselines once all are judged (each file written whole, [`report::write::write_file`]).
//! The terminal and the progress bars are the command's, lent through [`Host`].
//!
//! With one replication a figure is judged on its value. With several, on its 95% confidence
//! interval, so that noise cannot flip a verdict:
//! - a bound (`at_most`, `at_least`, absolute or relative to another strategy) is a
//!   requirement: it passes only when the whole interval meets it (for a relative bound, the
//!   interval of the paired differences `a - k·b`, replication by replication);
//! - a comparison with a baseline is change detection, as criterion does: it fails only when
//!   the figure is worse than the baseline's by more than the tolerance beyond doubt (the whole
//!   interval of the excess lies above zero). The excess is paired replication by replication
//!   when both ran the same seeds (common random numbers: the shared noise cancels, also when
//!   the scenario file changed), and otherwise compares the two means with Welch's interval.
//!
//! Strategies are matched with the baseline's by name; one on a single side, or a figure the
//! baseline lacks, is reported as skipped rather than refused, so a changed file can be judged.
//! A figure with no number (an empty cell) is a failure, never a silent pass; `never` (a run
//! that did not recover) counts as infinitely long.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::engine::rng::replication_seed;
use crate::experiment::Plan;
use crate::metrics::interval::{t_975, Interval};
use crate::metrics::StudyResult;
use crate::report;
use crate::report::junit::{Outcome, Suite, TestCase};
use crate::report::metric_names;
use crate::report::replications::{figure, figures, Figure};
use crate::scenario::expect::{BaselineCheck, Expectation};
use crate::scenario::{self, Scenario, ScenarioError};
use crate::text;
use crate::workflow::WorkflowError;

/// The outcome of one expectation or comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Met.
    Pass,
    /// Not met.
    Fail,
    /// The figure has no number: a failure.
    NoData,
    /// Nothing to compare (a strategy or figure on one side only): reported, not a failure.
    Skipped,
}

impl Verdict {
    /// As the table shows it: `pass`, `FAIL`, `NO DATA` or `skip`.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::NoData => "NO DATA",
            Verdict::Skipped => "skip",
        }
    }

    /// Whether this verdict fails the check.
    pub fn fails(self) -> bool {
        matches!(self, Verdict::Fail | Verdict::NoData)
    }
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
    /// One sentence with the value, the bound and the interval, and why when it did not pass,
    /// e.g. `p99_latency_ms is 12.54, above the bound <= 8`.
    pub detail: String,
    /// The figures behind the verdict by name (`value`, `bound`, `ci95_low`, ...), for JUnit.
    pub properties: Vec<(String, String)>,
}

/// The per-replication values of a figure: numbers, `never` as infinity; `None` when a
/// replication has no value.
fn numbers(f: &Figure) -> Option<Vec<f64>> {
    written_numbers(&f.written)
}

fn written_numbers(written: &[String]) -> Option<Vec<f64>> {
    if written.is_empty() {
        return None;
    }
    written
        .iter()
        .map(|w| {
            if w == "never" {
                Some(f64::INFINITY)
            } else {
                w.parse::<f64>().ok().filter(|v| !v.is_nan())
            }
        })
        .collect()
}

/// A figure over its replications: mean and 95% interval (one value, or any infinite: a point).
#[derive(Clone, Copy, Debug)]
struct Spread {
    n: usize,
    mean: f64,
    low: f64,
    high: f64,
}

fn spread(values: &[f64]) -> Spread {
    let n = values.len();
    if values.iter().any(|v| v.is_infinite()) {
        let inf = f64::INFINITY;
        return Spread {
            n,
            mean: inf,
            low: inf,
            high: inf,
        };
    }
    if n == 1 {
        let v = values[0];
        return Spread {
            n,
            mean: v,
            low: v,
            high: v,
        };
    }
    let i = Interval::of(values);
    Spread {
        n,
        mean: i.mean,
        low: i.low(),
        high: i.high(),
    }
}

impl Spread {
    /// Short form for the table: `12.3 ± 0.4`, `12.3` or `never`.
    fn short(&self) -> String {
        if self.mean.is_infinite() {
            "never".into()
        } else if self.low == self.high {
            num(self.mean)
        } else {
            format!("{} ± {}", num(self.mean), num(self.high - self.mean))
        }
    }

    /// Long form for a sentence: with the interval's ends and the replications.
    fn long(&self) -> String {
        if self.low == self.high || self.mean.is_infinite() {
            self.short()
        } else {
            format!(
                "{} (95% interval {} to {}, {} replications)",
                self.short(),
                num(self.low),
                num(self.high),
                self.n
            )
        }
    }

    /// `value`, and `ci95_low`/`ci95_high` with replications, as JUnit properties named
    /// `prefix` + those.
    fn properties(&self, prefix: &str, out: &mut Vec<(String, String)>) {
        out.push((format!("{prefix}value"), mean_text(self.mean)));
        if self.low != self.high {
            out.push((format!("{prefix}ci95_low"), num(self.low)));
            out.push((format!("{prefix}ci95_high"), num(self.high)));
        }
        out.push((format!("{prefix}replications"), self.n.to_string()));
    }
}

fn mean_text(x: f64) -> String {
    if x == f64::INFINITY {
        "never".into()
    } else {
        num(x)
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
    let bound = bounds.join(" and ");
    let expectation = format!("{} {} {bound}", e.strategy, e.metric);
    let no_data = |what: &str| {
        Judgement {
        expectation: expectation.clone(),
        value: "-".into(),
        verdict: Verdict::NoData,
        detail: format!(
            "{what} has no value for {} (an empty cell in summary.csv), so the bound {bound} cannot be met",
            e.metric
        ),
        properties: vec![("bound".into(), bound.clone())],
    }
    };
    let Some(a) = figure(study, &e.strategy, &e.metric)
        .as_ref()
        .and_then(numbers)
    else {
        return no_data(&e.strategy);
    };
    let sa = spread(&a);
    let mut properties = Vec::new();
    sa.properties("", &mut properties);
    properties.push(("bound".into(), bound.clone()));
    let several = a.len() > 1;
    let (pass, value, detail) = match &e.of {
        None => {
            let ok_high = e.at_most.is_none_or(|hi| sa.high <= hi);
            let ok_low = e.at_least.is_none_or(|lo| sa.low >= lo);
            let pass = ok_low && ok_high;
            let verdict = match (pass, several) {
                (true, false) => "within",
                (true, true) => "its 95% interval lies wholly within",
                (false, false) => "outside",
                (false, true) => "its 95% interval does not lie wholly within",
            };
            let detail = format!("{} is {}: {verdict} the bound {bound}", e.metric, sa.long());
            (pass, sa.short(), detail)
        }
        Some(of) => {
            let Some(b) = figure(study, of, &e.metric).as_ref().and_then(numbers) else {
                return no_data(of);
            };
            let sb = spread(&b);
            sb.properties(&format!("{of}_"), &mut properties);
            // The paired excess a - k·b, replication by replication: its interval must lie
            // below 0 for at_most and above 0 for at_least.
            let excess = |k: f64| -> Spread {
                let d: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x - k * y).collect();
                if d.iter().any(|v| v.is_nan()) {
                    // never - never: no comparison possible.
                    let nan = f64::NAN;
                    return Spread {
                        n: d.len(),
                        mean: nan,
                        low: nan,
                        high: nan,
                    };
                }
                spread(&d)
            };
            let mut parts = Vec::new();
            let mut pass = true;
            for (k, at_most) in [(e.at_most, true), (e.at_least, false)]
                .into_iter()
                .filter_map(|(k, m)| k.map(|k| (k, m)))
            {
                let x = excess(k);
                let ok = if at_most { x.high <= 0.0 } else { x.low >= 0.0 };
                pass &= ok;
                let target = k * sb.mean;
                let limit = if target.is_finite() {
                    format!(
                        "{} {} × {of}'s = {}",
                        if at_most { "<=" } else { ">=" },
                        num(k),
                        num(target)
                    )
                } else {
                    format!("{} {} × {of}'s", if at_most { "<=" } else { ">=" }, num(k))
                };
                let paired = if several && x.low != x.high && x.mean.is_finite() {
                    format!(
                        " (paired {} − {}·{of}: {}, 95% interval {} to {})",
                        e.strategy,
                        num(k),
                        num(x.mean),
                        num(x.low),
                        num(x.high)
                    )
                } else {
                    String::new()
                };
                let both = e.at_most.is_some() && e.at_least.is_some();
                parts.push(format!(
                    "{limit}{paired}{}",
                    if ok || !both { "" } else { " (not met)" }
                ));
                let side = if at_most { "at_most" } else { "at_least" };
                if several && x.mean.is_finite() {
                    properties.push((format!("{side}_excess_ci95_low"), num(x.low)));
                    properties.push((format!("{side}_excess_ci95_high"), num(x.high)));
                }
            }
            let detail = format!(
                "{} is {}, {of}'s {}; bound {}: {}",
                e.metric,
                sa.long(),
                sb.long(),
                parts.join("; "),
                match (pass, several) {
                    (true, false) => "within the bound",
                    (true, true) => "the paired interval lies wholly within the bound",
                    (false, false) => "outside the bound",
                    (false, true) => "the paired interval does not lie wholly within the bound",
                }
            );
            (
                pass,
                format!("{} ({of} {})", sa.short(), sb.short()),
                detail,
            )
        }
    };
    Judgement {
        expectation,
        value,
        verdict: if pass { Verdict::Pass } else { Verdict::Fail },
        detail,
        properties,
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

/// What the current run is, to compare with a [`Baseline`] before or after it runs.
#[derive(Clone, Copy, Debug)]
pub struct RunIdentity<'a> {
    /// SHA-256 of the scenario file.
    pub sha256: &'a str,
    /// Seed of each replication.
    pub seeds: &'a [u64],
    /// Warm-up left out, seconds.
    pub warmup_s: f64,
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

    /// Why this baseline is not a well-formed one, if it is not: `(field, what is wrong)`.
    /// A strategy or a figure twice would make the comparison ambiguous; a figure with another
    /// number of values than the baseline's seeds cannot be paired with them.
    pub fn invalid(&self) -> Option<(String, String)> {
        if self.seeds.is_empty() {
            return Some((
                "seeds".into(),
                "is empty; a baseline holds at least one replication".into(),
            ));
        }
        for (i, s) in self.strategies.iter().enumerate() {
            if let Some(j) = self.strategies[..i].iter().position(|o| o.name == s.name) {
                return Some((
                    format!("strategies[{i}].name"),
                    format!(
                        "strategy `{}` appears twice (also strategies[{j}]); a baseline holds each strategy once",
                        crate::text::quote(&s.name)
                    ),
                ));
            }
            for (k, (metric, written)) in s.figures.iter().enumerate() {
                if let Some(j) = s.figures[..k].iter().position(|(m, _)| m == metric) {
                    return Some((
                        format!("strategies[{i}].figures[{k}]"),
                        format!(
                            "figure `{}` of strategy `{}` appears twice (also figures[{j}])",
                            crate::text::quote(metric),
                            crate::text::quote(&s.name)
                        ),
                    ));
                }
                if written.len() != self.seeds.len() {
                    return Some((
                        format!("strategies[{i}].figures[{k}]"),
                        format!(
                            "figure `{}` of strategy `{}` has {} value(s) for {} seed(s); it needs one per seed",
                            crate::text::quote(metric),
                            crate::text::quote(&s.name),
                            written.len(),
                            self.seeds.len()
                        ),
                    ));
                }
            }
        }
        None
    }

    /// Why a run of `now` differs from the one this baseline was saved from, if it does:
    /// another scenario file, other seeds or replications, another warm-up. `check` compares
    /// such runs all the same (saying so), and refuses them with `--strict-baseline`.
    pub fn mismatch(&self, now: RunIdentity) -> Option<String> {
        if self.scenario_sha256 != now.sha256 {
            Some(
                "the scenario file changed since the baseline was saved (its SHA-256 differs)"
                    .into(),
            )
        } else if self.seeds != now.seeds {
            Some(format!(
                "the baseline ran {}, this run {}; run with the same --seed and --replications",
                seeds_text(&self.seeds),
                seeds_text(now.seeds)
            ))
        } else if self.warmup_s != now.warmup_s {
            Some(format!(
                "the warm-up differs from the baseline's ({} s there, {} s here)",
                num(self.warmup_s),
                num(now.warmup_s)
            ))
        } else {
            None
        }
    }
}

/// Seeds for a message: `5 replication(s) from seed 11` (replication 0 runs the file's seed,
/// from which the others are mixed).
fn seeds_text(seeds: &[u64]) -> String {
    match seeds.first() {
        Some(first) => format!("{} replication(s) from seed {first}", seeds.len()),
        None => "no replication".into(),
    }
}

/// The judgements of a comparison with a baseline, and notes on how it was made.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Notes for the reader, such as "the scenario file differs from the baseline's".
    pub notes: Vec<String>,
    /// One per strategy and figure of `[check].metrics`; strategies on one side only are
    /// `Skipped`.
    pub judged: Vec<Judgement>,
}

/// Compares every strategy of `study` (run from a file with hash `sha256`) with the baseline
/// `name` on `check.metrics`, matching strategies by name: fails a figure worse than the
/// baseline's by more than `check.tolerance` (relative), beyond the noise of the replications.
pub fn compare(
    study: &StudyResult,
    sha256: &str,
    saved: &Baseline,
    name: &str,
    check: &BaselineCheck,
) -> Comparison {
    let seeds: Vec<u64> = study.runs.iter().map(|r| r.seed).collect();
    let paired = saved.seeds == seeds;
    let mut notes = Vec::new();
    if saved.scenario_sha256 != sha256 {
        notes.push(format!(
            "the scenario file differs from the one baseline `{name}` was saved from: strategies are matched by name (--strict-baseline refuses a changed file)"
        ));
    }
    if !paired {
        notes.push(format!(
            "the baseline ran {}, this run {}: figures are compared unpaired (Welch's interval of the two means), not replication by replication",
            seeds_text(&saved.seeds),
            seeds_text(&seeds)
        ));
    }
    if saved.warmup_s != study.warmup_s {
        notes.push(format!(
            "the warm-up differs from the baseline's ({} s there, {} s here)",
            num(saved.warmup_s),
            num(study.warmup_s)
        ));
    }
    if saved.cachestorm_version != env!("CARGO_PKG_VERSION") {
        notes.push(format!(
            "the baseline was saved by cachestorm {}, this is {}",
            crate::text::quote(&saved.cachestorm_version),
            env!("CARGO_PKG_VERSION")
        ));
    }
    let tol = check.tolerance;
    let skipped = |expectation: String, detail: String| Judgement {
        expectation,
        value: "-".into(),
        verdict: Verdict::Skipped,
        detail,
        properties: Vec::new(),
    };
    let mut out = Vec::new();
    let strategies = &study.first().strategies;
    for (i, s) in strategies.iter().enumerate() {
        let Some(old) = saved.strategies.iter().find(|o| o.name == s.name) else {
            out.push(skipped(
                format!("{} not in baseline", s.name),
                format!(
                    "strategy `{}` is not in baseline `{name}`: nothing to compare it with (save the baseline again to include it)",
                    s.name
                ),
            ));
            continue;
        };
        let now = figures(study, i);
        for metric in &check.metrics {
            let higher = crate::metrics::columns::higher_is_better(metric);
            let expectation = format!(
                "{} {metric} {} than baseline by at most {}%",
                s.name,
                if higher { "lower" } else { "higher" },
                num(tol * 100.0)
            );
            let Some((_, was)) = old.figures.iter().find(|(m, _)| m == metric) else {
                out.push(skipped(
                    expectation,
                    format!("baseline `{name}` has no figure {metric} for {}", s.name),
                ));
                continue;
            };
            let new = now.iter().find(|f| f.metric == metric).and_then(numbers);
            let (new, was) = match (new, written_numbers(was)) {
                (Some(n), Some(w)) => (n, w),
                (None, None) => {
                    out.push(skipped(
                        expectation,
                        format!("{metric} has no value in this run nor in baseline `{name}`"),
                    ));
                    continue;
                }
                (Some(_), None) => {
                    out.push(skipped(
                        expectation,
                        format!(
                            "{metric} has no value in baseline `{name}`: nothing to compare with"
                        ),
                    ));
                    continue;
                }
                (None, Some(_)) => {
                    out.push(Judgement {
                        expectation,
                        value: "-".into(),
                        verdict: Verdict::NoData,
                        detail: format!(
                            "{metric} has no value in this run, where baseline `{name}` has one"
                        ),
                        properties: Vec::new(),
                    });
                    continue;
                }
            };
            out.push(judge_change(
                &new,
                &was,
                higher,
                tol,
                paired,
                expectation,
                metric,
            ));
        }
    }
    for old in &saved.strategies {
        if !strategies.iter().any(|s| s.name == old.name) {
            out.push(skipped(
                format!("{} (baseline) not in this file", old.name),
                format!(
                    "strategy `{}` of baseline `{name}` is not in this file: not compared",
                    crate::text::quote(&old.name)
                ),
            ));
        }
    }
    Comparison { notes, judged: out }
}

/// Judges a figure now (`new`, per replication) against the baseline's (`was`): the excess
/// over the allowed worsening must not lie wholly above 0.
fn judge_change(
    new: &[f64],
    was: &[f64],
    higher: bool,
    tol: f64,
    paired: bool,
    expectation: String,
    metric: &str,
) -> Judgement {
    let k = if higher { 1.0 - tol } else { 1.0 + tol };
    // Excess over the allowed worsening, as (mean, low, high): above 0 is worse.
    let excess = |n: f64, w: f64| if higher { k * w - n } else { n - k * w };
    let infinite = new.iter().chain(was).any(|v| v.is_infinite());
    let x: Spread = if infinite {
        // `never` (did not recover): worse only when now never and the baseline did.
        let now_never = new.iter().any(|v| v.is_infinite());
        let was_never = was.iter().any(|v| v.is_infinite());
        let v = if paired {
            let per: Vec<f64> = new
                .iter()
                .zip(was)
                .map(|(&n, &w)| {
                    if n.is_infinite() || w.is_infinite() {
                        if n == w {
                            0.0
                        } else if higher == (n < w) {
                            f64::INFINITY
                        } else {
                            f64::NEG_INFINITY
                        }
                    } else {
                        excess(n, w)
                    }
                })
                .collect();
            per.iter().cloned().fold(f64::INFINITY, f64::min)
        } else if now_never && !was_never {
            f64::INFINITY
        } else if was_never && !now_never {
            f64::NEG_INFINITY
        } else {
            0.0
        };
        Spread {
            n: new.len(),
            mean: v,
            low: v,
            high: v,
        }
    } else if paired {
        let d: Vec<f64> = new.iter().zip(was).map(|(&n, &w)| excess(n, w)).collect();
        spread(&d)
    } else {
        welch(new, was, k, higher)
    };
    let sn = spread(new);
    let sw = spread(was);
    let worse = x.low > 0.0;
    let bound = format!("{} {} × baseline", if higher { ">=" } else { "<=" }, num(k));
    let mut properties = Vec::new();
    sn.properties("", &mut properties);
    sw.properties("baseline_", &mut properties);
    properties.push(("bound".into(), bound.clone()));
    properties.push((
        "comparison".into(),
        if paired { "paired" } else { "unpaired" }.into(),
    ));
    if x.mean.is_finite() {
        properties.push(("excess".into(), num(x.mean)));
        if x.low != x.high {
            properties.push(("excess_ci95_low".into(), num(x.low)));
            properties.push(("excess_ci95_high".into(), num(x.high)));
        }
    }
    let limit = k * sw.mean;
    let limit = if limit.is_finite() {
        format!("{bound} = {}", num(limit))
    } else {
        bound
    };
    let how = if x.low == x.high {
        String::new()
    } else {
        format!(
            "; excess over the bound ({}): {} (95% interval {} to {})",
            if paired {
                "paired by replication"
            } else {
                "unpaired"
            },
            num(x.mean),
            num(x.low),
            num(x.high)
        )
    };
    let detail = format!(
        "{metric} is {}, baseline {}; bound {limit}{how}: {}",
        sn.long(),
        sw.long(),
        if !worse {
            "not worse beyond the tolerance".to_string()
        } else if x.low == x.high {
            format!("worse by more than {}%", num(tol * 100.0))
        } else {
            format!(
                "worse by more than {}% beyond the noise (that interval lies above 0)",
                num(tol * 100.0)
            )
        }
    );
    Judgement {
        expectation,
        value: format!("{} (baseline {})", sn.short(), sw.short()),
        verdict: if worse { Verdict::Fail } else { Verdict::Pass },
        detail,
        properties,
    }
}

/// The excess of the mean of `new` over `k` times the mean of `was` (reversed when `higher` is
/// better) with Welch's 95% interval; a side of one value counts as exact.
fn welch(new: &[f64], was: &[f64], k: f64, higher: bool) -> Spread {
    let a = Interval::of(new);
    let b = Interval::of(was);
    let mean = if higher {
        k * b.mean - a.mean
    } else {
        a.mean - k * b.mean
    };
    let var = |i: &Interval, scale: f64| {
        if i.n > 1 {
            scale * scale * i.stdev * i.stdev / i.n as f64
        } else {
            0.0
        }
    };
    let (va, vb) = (var(&a, 1.0), var(&b, k));
    let total = va + vb;
    if total == 0.0 || !total.is_finite() {
        return Spread {
            n: new.len(),
            mean,
            low: mean,
            high: mean,
        };
    }
    let part = |v: f64, n: usize| if n > 1 { v * v / (n - 1) as f64 } else { 0.0 };
    let df = total * total / (part(va, a.n) + part(vb, b.n));
    let half = t_975((df.floor() as usize).max(1)) * total.sqrt();
    Spread {
        n: new.len(),
        mean,
        low: mean - half,
        high: mean + half,
    }
}

/// The table `check` prints for one scenario: the notes, then one line per judgement, each
/// that did not pass followed by its detail.
pub fn table(
    scenario: &str,
    replications: usize,
    notes: &[String],
    judged: &[Judgement],
) -> String {
    let skipped = judged
        .iter()
        .filter(|j| j.verdict == Verdict::Skipped)
        .count();
    let count = judged.len() - skipped;
    let mut out = format!(
        "{}: {} expectation{} judged on {}{}\n",
        crate::text::escape(scenario),
        count,
        if count == 1 { "" } else { "s" },
        if replications > 1 {
            format!("the 95% intervals of {replications} replications")
        } else {
            "one run".to_string()
        },
        if skipped > 0 {
            format!(", {skipped} skipped")
        } else {
            String::new()
        }
    );
    for note in notes {
        out.push_str(&format!("  note: {}\n", crate::text::escape(note)));
    }
    let rows: Vec<[String; 3]> = judged
        .iter()
        .map(|j| {
            [
                j.verdict.label().to_string(),
                crate::text::escape(&j.expectation).into_owned(),
                crate::text::escape(&j.value).into_owned(),
            ]
        })
        .collect();
    let w: Vec<usize> = (0..3)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for (r, j) in rows.into_iter().zip(judged) {
        let pad = |c: usize| " ".repeat(w[c] - r[c].chars().count());
        let line = format!("  {}{}  {}{}  {}", r[0], pad(0), r[1], pad(1), r[2]);
        out.push_str(line.trim_end());
        out.push('\n');
        if j.verdict != Verdict::Pass {
            out.push_str(&format!(
                "  {}  {}\n",
                " ".repeat(w[0]),
                crate::text::escape(&j.detail)
            ));
        }
    }
    out
}

/// The first metric a scenario file names that is not a column of summary.csv, in its
/// `[[expect]]` entries or then its `[check] metrics`: `(field, message)`, the message naming
/// the file and the field, with the name it most probably is.
pub fn unknown_metric(s: &Scenario) -> Option<(String, String)> {
    let metrics = metric_names::metrics();
    for e in &s.study.expectations {
        if !metrics.contains(&e.metric.as_str()) {
            let field = format!("expect[{}].metric", e.index);
            let message = format!(
                "{}: field `{field}`: `{}` is not a column of summary.csv{} (see the README's list)",
                s.file.display(),
                text::quote(&e.metric),
                metric_names::did_you_mean(&e.metric)
            );
            return Some((field, message));
        }
    }
    for (i, m) in s.study.baseline_check.metrics.iter().enumerate() {
        if !metrics.contains(&m.as_str()) {
            let field = format!("check.metrics[{i}]");
            let message = format!(
                "{}: field `{field}`: `{}` is not a column of summary.csv{}",
                s.file.display(),
                text::quote(m),
                metric_names::did_you_mean(m)
            );
            return Some((field, message));
        }
    }
    None
}

/// A baseline's path: `dir/<scenario>/NAME.json`, its name a file name of letters, digits,
/// `-`, `_` and `.`; otherwise the message refusing the name.
pub fn baseline_file(dir: &Path, scenario: &str, name: &str) -> Result<PathBuf, String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        return Err(format!(
            "baseline name `{}` is not allowed; use 1 to 64 letters, digits, '-', '_' or '.', not starting with '.'",
            text::quote(name)
        ));
    }
    Ok(dir.join(scenario).join(format!("{name}.json")))
}

/// Reads and checks baseline `name` of scenario `s` from `path`; otherwise the field of the
/// baseline at fault (if one) and the message, naming the scenario file and the baseline.
pub fn read_baseline(
    path: &Path,
    s: &Scenario,
    name: &str,
) -> Result<Baseline, (Option<String>, String)> {
    let shown = text::escape(&path.display().to_string()).into_owned();
    let bytes = std::fs::read(path).map_err(|e| {
        (
            None,
            format!(
                "{}: cannot read baseline `{name}` ({shown}): {e}; save one with --save-baseline {name}",
                s.file.display(),
            ),
        )
    })?;
    let b: Baseline = serde_json::from_slice(&bytes).map_err(|e| {
        (
            None,
            format!(
                "{}: baseline {shown} is not a baseline file: {e}",
                s.file.display()
            ),
        )
    })?;
    if let Some((field, why)) = b.invalid() {
        let message = format!(
            "{}: baseline {shown}: field `{field}`: {why}; save the baseline again with --save-baseline {name}",
            s.file.display()
        );
        return Err((Some(field), message));
    }
    Ok(b)
}

/// Why baseline `b` (named `name`) cannot be compared with a run of `s` under
/// `--strict-baseline` (another file, other seeds or another warm-up), as the message refusing
/// it; `None` when it can.
pub fn strict_mismatch(s: &Scenario, b: &Baseline, name: &str) -> Option<String> {
    let seeds: Vec<u64> = (0..s.study.replications)
        .map(|r| replication_seed(s.seed, r))
        .collect();
    let now = RunIdentity {
        sha256: &s.source_sha256,
        seeds: &seeds,
        warmup_s: s.study.warmup.as_secs_f64(),
    };
    b.mismatch(now).map(|why| {
        format!(
            "{}: baseline `{name}` cannot be compared with --strict-baseline: {why}; save the baseline again from this file, or leave out --strict-baseline to compare strategies by name",
            s.file.display()
        )
    })
}

/// The judgements of one scenario's study.
pub struct Judged {
    /// Each expectation's judgement, then each baseline comparison's.
    pub judged: Vec<Judgement>,
    /// Notes of the baseline comparison (strategies matched by name, a changed file).
    pub notes: Vec<String>,
    /// Properties for the JUnit suite: the baseline's name, whether the file changed, the
    /// notes.
    pub properties: Vec<(String, String)>,
}

/// Judges `study`, run from `s`, against its expectations and, when given, `baseline` (with
/// its name).
pub fn judge_study(
    study: &StudyResult,
    s: &Scenario,
    baseline: Option<(&Baseline, &str)>,
) -> Judged {
    let mut judged: Vec<Judgement> = s
        .study
        .expectations
        .iter()
        .map(|e| judge(study, e))
        .collect();
    let mut notes = Vec::new();
    let mut properties = Vec::new();
    if let Some((b, name)) = baseline {
        let c = compare(study, &s.source_sha256, b, name, &s.study.baseline_check);
        properties.push(("baseline".to_string(), name.to_string()));
        properties.push((
            "baseline_file_changed".to_string(),
            (b.scenario_sha256 != s.source_sha256).to_string(),
        ));
        for n in &c.notes {
            properties.push(("note".to_string(), n.clone()));
        }
        notes = c.notes;
        judged.extend(c.judged);
    }
    Judged {
        judged,
        notes,
        properties,
    }
}

/// What `check` was asked: the files and the command line's settings.
#[derive(Clone, Debug)]
pub struct Request {
    /// The scenario files, in the order given.
    pub files: Vec<PathBuf>,
    /// A seed overriding every file's.
    pub seed: Option<u64>,
    /// A number of replications overriding every file's.
    pub replications: Option<u32>,
    /// The name of the baseline to compare with.
    pub baseline: Option<String>,
    /// The name to save each study's baseline under.
    pub save_baseline: Option<String>,
    /// Refuse a baseline saved from another version of the file.
    pub strict_baseline: bool,
    /// The folder holding the baselines (one folder per scenario inside it).
    pub baselines: PathBuf,
    /// The memory budget, bytes (`None`: the machine's default).
    pub max_memory: Option<u64>,
}

/// What a check needs from whoever runs it: the terminal, the progress bars and the memory plan
/// stay with the command; the order of the steps and every decision are here.
pub trait Host {
    /// Says `message` as a warning.
    fn warn(&mut self, message: &str);
    /// Says what is worth reading about `s` before it runs.
    fn before_running(&mut self, s: &Scenario);
    /// Plans every scenario within the memory budget (`max_memory` bytes, or the default),
    /// refusing one that cannot fit.
    fn plan(
        &mut self,
        scenarios: &mut [Scenario],
        max_memory: Option<u64>,
    ) -> Result<Vec<Plan>, WorkflowError>;
    /// Simulates `s` as `plan` says, showing how far it has got.
    fn simulate(&mut self, s: &Scenario, plan: &Plan) -> Result<StudyResult, WorkflowError>;
    /// Prints `text`, escaped already, on standard output.
    fn print(&mut self, text: &str);
}

/// Why `check` stopped, and where: one place per error (several when several files are
/// refused), each with the file and the field when known, for the JUnit error cases.
#[derive(Debug)]
pub struct Stopped {
    /// The error, which decides the exit code.
    pub error: WorkflowError,
    /// Where it happened: one entry per error.
    pub places: Vec<Place>,
}

/// One error of a [`Stopped`] check.
#[derive(Debug)]
pub struct Place {
    /// The scenario file, when one is to blame.
    pub file: Option<String>,
    /// The field of that file, when one is to blame.
    pub field: Option<String>,
    /// The message, as the terminal shows it.
    pub message: String,
}

impl Stopped {
    /// The JUnit suite of a check that stopped: an `<error>` case per error, naming the file
    /// and the field.
    pub fn suite(&self) -> Suite {
        let kind = match self.error {
            WorkflowError::Input(_) => "input refused",
            _ => "error",
        };
        let cases = self
            .places
            .iter()
            .map(|place| {
                let name = match &place.file {
                    Some(f) => format!("{kind}: {f}"),
                    None => kind.to_string(),
                };
                let mut case = TestCase::new(
                    &name,
                    "cachestorm.check",
                    Outcome::Error(place.message.clone()),
                );
                if let Some(f) = &place.file {
                    case.properties.push(("file".into(), f.clone()));
                }
                if let Some(f) = &place.field {
                    case.properties.push(("field".into(), f.clone()));
                }
                case
            })
            .collect();
        Suite {
            name: "cachestorm check".into(),
            properties: Vec::new(),
            cases,
        }
    }
}

impl From<WorkflowError> for Stopped {
    fn from(error: WorkflowError) -> Self {
        let message = format!("{error:#}");
        Stopped {
            error,
            places: vec![Place {
                file: None,
                field: None,
                message,
            }],
        }
    }
}

impl From<anyhow::Error> for Stopped {
    fn from(error: anyhow::Error) -> Self {
        WorkflowError::Other(error).into()
    }
}

/// A refusal of `field` (if any) of `file`: the message names both.
fn refused(file: &Path, field: Option<&str>, message: String) -> Stopped {
    Stopped {
        places: vec![Place {
            file: Some(file.display().to_string()),
            field: field.map(String::from),
            message: message.clone(),
        }],
        error: WorkflowError::Input(message),
    }
}

/// Loads, refuses or runs and judges every file, adding one suite per scenario judged and
/// printing each scenario's table as it is judged; saves the baselines once every scenario
/// has been judged. Returns how many judgements were made (skipped ones left out).
pub fn judge_all(
    req: &Request,
    host: &mut dyn Host,
    suites: &mut Vec<Suite>,
) -> Result<usize, Stopped> {
    let mut scenarios = load(req)?;
    // A file with nothing to check is left out (said aloud); none at all is an error.
    let nothing = |s: &Scenario| {
        s.study.expectations.is_empty() && req.baseline.is_none() && req.save_baseline.is_none()
    };
    if scenarios.iter().all(nothing) {
        return Err(WorkflowError::Input(
            "nothing to check: no file has [[expect]] entries, and no --baseline or --save-baseline was given"
                .into(),
        )
        .into());
    }
    for s in scenarios.iter().filter(|s| nothing(s)) {
        host.warn(&format!(
            "{}: no [[expect]] entries: not run",
            s.file.display()
        ));
    }
    scenarios.retain(|s| !nothing(s));
    // Everything that can be refused is refused before anything runs.
    let mut saved = Vec::new();
    for s in &scenarios {
        if let Some((field, message)) = unknown_metric(s) {
            return Err(refused(&s.file, Some(&field), message));
        }
        if let Some(name) = &req.save_baseline {
            let path = baseline_path(&req.baselines, &s.name, name)?;
            baseline_folder_writable(&path)?;
        }
        saved.push(match &req.baseline {
            None => None,
            Some(name) => {
                let b = read_baseline_of(req, s, name)?;
                if req.strict_baseline {
                    if let Some(message) = strict_mismatch(s, &b, name) {
                        return Err(refused(&s.file, None, message));
                    }
                }
                Some(b)
            }
        });
    }
    for s in &scenarios {
        host.before_running(s);
    }
    let plans = host.plan(&mut scenarios, req.max_memory)?;
    let mut judged_count = 0;
    let mut to_save: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for ((s, plan), baseline) in scenarios.iter().zip(&plans).zip(&saved) {
        let started = std::time::Instant::now();
        let study = host.simulate(s, plan).map_err(|error| {
            let mut stopped = Stopped::from(error);
            stopped.places[0].file = Some(s.file.display().to_string());
            stopped
        })?;
        let Judged {
            judged,
            notes,
            properties,
        } = judge_study(&study, s, baseline.as_ref().zip(req.baseline.as_deref()));
        if let Some(name) = &req.save_baseline {
            let path = baseline_path(&req.baselines, &s.name, name)?;
            let bytes = serde_json::to_vec_pretty(&Baseline::of(&study, &s.source_sha256))
                .context("encoding the baseline")?;
            to_save.push((path, bytes));
        }
        host.print(&table(&s.name, study.replications(), &notes, &judged));
        host.print("\n");
        let seconds = started.elapsed().as_secs_f64() / judged.len().max(1) as f64;
        let classname = format!("cachestorm.{}", s.name);
        let cases = judged
            .iter()
            .map(|j| {
                let outcome = match j.verdict {
                    Verdict::Pass => Outcome::Passed,
                    Verdict::Fail | Verdict::NoData => Outcome::Failed(j.detail.clone()),
                    Verdict::Skipped => Outcome::Skipped(j.detail.clone()),
                };
                TestCase {
                    time_s: seconds,
                    properties: j.properties.clone(),
                    // A failure or a skip says it in its message already.
                    system_out: if j.verdict == Verdict::Pass {
                        j.detail.clone()
                    } else {
                        String::new()
                    },
                    ..TestCase::new(&j.expectation, &classname, outcome)
                }
            })
            .collect();
        judged_count += judged
            .iter()
            .filter(|j| j.verdict != Verdict::Skipped)
            .count();
        suites.push(Suite {
            name: s.name.clone(),
            properties,
            cases,
        });
    }
    for (path, bytes) in &to_save {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        report::write::write_file(path, bytes)
            .with_context(|| format!("writing {}", path.display()))?;
        host.print(&format!(
            "saved baseline `{}` to {}\n",
            req.save_baseline.as_deref().unwrap_or_default(),
            text::escape(&path.display().to_string())
        ));
    }
    Ok(judged_count)
}

/// Loads every file with the command line's overrides; nothing runs until all are valid.
/// Every file that cannot be loaded is reported, not only the first.
fn load(req: &Request) -> Result<Vec<Scenario>, Stopped> {
    let mut loaded = Vec::new();
    let mut places = Vec::new();
    for file in &req.files {
        match scenario::load(file) {
            Ok(s) => loaded.push((file, s)),
            Err(e) => places.push(Place {
                file: Some(file.display().to_string()),
                field: match &e {
                    ScenarioError::Field { field, .. } => Some(field.clone()),
                    _ => None,
                },
                message: e.to_string(),
            }),
        }
    }
    if !places.is_empty() {
        let all: Vec<&str> = places.iter().map(|p| p.message.as_str()).collect();
        return Err(Stopped {
            error: WorkflowError::Input(all.join("\n")),
            places,
        });
    }
    let mut scenarios: Vec<Scenario> = Vec::new();
    for (file, mut s) in loaded {
        if let Some(seed) = req.seed {
            s.seed = seed;
        }
        if let Some(r) = req.replications {
            s.study.replications = r;
        }
        let baselines = req.baseline.is_some() || req.save_baseline.is_some();
        if let Some(other) = scenarios
            .iter()
            .find(|o| o.name == s.name)
            .filter(|_| baselines)
        {
            return Err(refused(
                file,
                Some("name"),
                format!(
                    "{}: scenario name `{}` is also used by {}; both would use the same baselines ({}/{})",
                    file.display(),
                    s.name,
                    other.file.display(),
                    text::escape(&req.baselines.display().to_string()),
                    s.name
                ),
            ));
        }
        scenarios.push(s);
    }
    Ok(scenarios)
}

/// Reads and checks baseline `name` of scenario `s`.
fn read_baseline_of(req: &Request, s: &Scenario, name: &str) -> Result<Baseline, Stopped> {
    let path = baseline_path(&req.baselines, &s.name, name)?;
    read_baseline(&path, s, name)
        .map_err(|(field, message)| refused(&s.file, field.as_deref(), message))
}

/// [`baseline_file`], a name refused as bad input.
fn baseline_path(dir: &Path, scenario: &str, name: &str) -> Result<PathBuf, WorkflowError> {
    baseline_file(dir, scenario, name).map_err(WorkflowError::Input)
}

/// Refuses (bad input) a baseline path that cannot be written: the path is a folder, or the
/// nearest existing folder above it is not a writable folder (the missing ones are created
/// when the baseline is saved).
fn baseline_folder_writable(path: &Path) -> Result<(), WorkflowError> {
    let shown = || text::escape(&path.display().to_string()).into_owned();
    if path.is_dir() {
        return Err(WorkflowError::Input(format!(
            "--save-baseline: {} is a folder; remove it or choose another name",
            shown()
        )));
    }
    let mut dir = path.parent();
    while let Some(d) = dir {
        let d = if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        };
        if d.exists() {
            return report::write::writable_folder(d).map_err(|why| {
                WorkflowError::Input(format!(
                    "--save-baseline: cannot save {}: {} {why} (--baselines chooses another folder)",
                    shown(),
                    text::escape(&d.display().to_string())
                ))
            });
        }
        dir = d.parent();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small study: two strategies, `slots` database slots for the first, 2 replications.
    fn study(replications: u32) -> StudyResult {
        let text = format!(
            r#"
name = "tiny"
seed = 3
duration = "2s"
bucket = "1s"
replications = {replications}
[clients]
rps = 500
keyspace = 100
[app]
instances = 1
[cache]
enabled = false
[db]
slots = 2
service = {{ dist = "exponential", mean = "1ms" }}
[[strategies]]
name = "a"
[[strategies]]
name = "b"
db.slots = 1
"#
        );
        let s = crate::scenario::parse(&text, std::path::Path::new("tiny.toml")).unwrap();
        crate::experiment::run_study(&s, &|_| {})
    }

    fn expectation(metric: &str, at_most: f64, of: Option<&str>) -> Expectation {
        Expectation {
            strategy: "b".into(),
            metric: metric.into(),
            at_most: Some(at_most),
            at_least: None,
            of: of.map(Into::into),
            index: 0,
        }
    }

    #[test]
    fn a_failure_states_value_and_bound_not_the_value_twice() {
        let st = study(1);
        let j = judge(&st, &expectation("p99_latency_ms", 0.001, None));
        assert_eq!(j.verdict, Verdict::Fail);
        assert!(
            j.detail == format!("p99_latency_ms is {}: outside the bound <= 0.001", j.value),
            "{}",
            j.detail
        );
        assert_eq!(j.detail.matches(&j.value).count(), 1, "{}", j.detail);
        let pass = judge(&st, &expectation("p99_latency_ms", 1e9, None));
        assert_eq!(pass.verdict, Verdict::Pass);
        assert!(pass
            .properties
            .contains(&("bound".into(), "<= 1000000000".into())));
        assert!(pass
            .properties
            .iter()
            .any(|(k, v)| k == "value" && *v == pass.value));
    }

    #[test]
    fn with_replications_a_failure_states_the_interval() {
        let st = study(3);
        let j = judge(&st, &expectation("mean_latency_ms", 0.001, None));
        assert_eq!(j.verdict, Verdict::Fail);
        assert!(j.detail.contains("(95% interval "), "{}", j.detail);
        assert!(j.detail.contains("3 replications"), "{}", j.detail);
        assert!(j.detail.contains("bound <= 0.001"), "{}", j.detail);
        let names: Vec<&str> = j.properties.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            ["value", "ci95_low", "ci95_high", "replications", "bound"]
        );
        let relative = judge(&st, &expectation("mean_latency_ms", 0.5, Some("a")));
        assert_eq!(relative.verdict, Verdict::Fail, "{}", relative.detail);
        assert!(
            relative.detail.contains("paired b − 0.5·a"),
            "{}",
            relative.detail
        );
    }

    #[test]
    fn a_changed_study_is_compared_by_strategy_name_with_notes() {
        let st = study(2);
        let mut saved = Baseline::of(&st, "old");
        saved.strategies[1].name = "gone".into();
        saved.strategies[0]
            .figures
            .retain(|(m, _)| m != "hit_ratio");
        let c = compare(&st, "new", &saved, "main", &BaselineCheck::default());
        assert!(
            c.notes[0].contains("differs from the one baseline `main`"),
            "{:?}",
            c.notes
        );
        assert_eq!(
            c.notes.len(),
            1,
            "same seeds, warm-up and version: {:?}",
            c.notes
        );
        let verdicts: Vec<(&str, Verdict)> = c
            .judged
            .iter()
            .map(|j| (j.expectation.as_str(), j.verdict))
            .collect();
        assert!(verdicts.contains(&("b not in baseline", Verdict::Skipped)));
        assert!(verdicts.contains(&("gone (baseline) not in this file", Verdict::Skipped)));
        assert!(verdicts.contains(&(
            "a hit_ratio lower than baseline by at most 10%",
            Verdict::Skipped
        )));
        let passed = verdicts.iter().filter(|v| v.1 == Verdict::Pass).count();
        assert_eq!(passed, 5, "{verdicts:?}");
        // Against itself with other seeds: compared unpaired, and said so.
        let mut other = Baseline::of(&st, "new");
        other.seeds = vec![1, 2, 3];
        for s in &mut other.strategies {
            for (_, w) in &mut s.figures {
                w.push(w[0].clone());
            }
        }
        let c = compare(&st, "new", &other, "main", &BaselineCheck::default());
        assert!(
            c.notes.iter().any(|n| n.contains("unpaired")),
            "{:?}",
            c.notes
        );
        assert!(
            c.judged.iter().all(|j| !j.verdict.fails()),
            "{:?}",
            c.judged
        );
        assert!(c.judged.iter().all(|j| j
            .properties
            .contains(&("comparison".into(), "unpaired".into()))));
    }

    #[test]
    fn a_worsening_beyond_the_noise_fails_paired_or_not() {
        let was = [10.0, 11.0, 12.0];
        let worse = [15.0, 16.0, 17.0];
        let near = [10.5, 11.2, 12.9];
        for paired in [true, false] {
            let j = judge_change(
                &worse,
                &was,
                false,
                0.1,
                paired,
                "x".into(),
                "p99_latency_ms",
            );
            assert_eq!(j.verdict, Verdict::Fail, "{paired}: {}", j.detail);
            assert!(
                j.detail.contains("bound <= 1.1 × baseline = 12.1"),
                "{}",
                j.detail
            );
            assert!(j.detail.contains("95% interval"), "{}", j.detail);
            let j = judge_change(
                &near,
                &was,
                false,
                0.1,
                paired,
                "x".into(),
                "p99_latency_ms",
            );
            assert_eq!(j.verdict, Verdict::Pass, "{paired}: {}", j.detail);
        }
        // More is better for a hit ratio: a drop fails, a rise passes.
        let j = judge_change(&[0.5], &[0.9], true, 0.1, true, "x".into(), "hit_ratio");
        assert_eq!(j.verdict, Verdict::Fail, "{}", j.detail);
        let j = judge_change(&[0.95], &[0.9], true, 0.1, false, "x".into(), "hit_ratio");
        assert_eq!(j.verdict, Verdict::Pass, "{}", j.detail);
        // `never` now, a recovery before: worse.
        let j = judge_change(
            &[f64::INFINITY],
            &[7.0],
            false,
            0.1,
            false,
            "x".into(),
            "recovery_s",
        );
        assert_eq!(j.verdict, Verdict::Fail, "{}", j.detail);
    }

    #[test]
    fn welch_widens_with_the_noise_of_both_sides() {
        let tight = welch(&[10.0, 10.1, 9.9], &[5.0, 5.1, 4.9], 1.0, false);
        assert!((tight.mean - 5.0).abs() < 1e-9);
        assert!(tight.low > 4.5 && tight.high < 5.5, "{tight:?}");
        let loose = welch(&[10.0, 14.0, 6.0], &[5.0, 5.1, 4.9], 1.0, false);
        assert!(loose.low < 0.0, "{loose:?}");
        let point = welch(&[10.0], &[5.0], 1.0, false);
        assert_eq!((point.low, point.high), (5.0, 5.0));
    }

    #[test]
    fn a_baseline_with_a_strategy_or_figure_twice_is_invalid() {
        let st = study(1);
        let good = Baseline::of(&st, "x");
        assert_eq!(good.invalid(), None);
        let mut twice = good.clone();
        twice.strategies[1].name = "a".into();
        let (field, why) = twice.invalid().unwrap();
        assert_eq!(field, "strategies[1].name");
        assert!(why.contains("`a` appears twice"), "{why}");
        let mut figure = good.clone();
        let first = figure.strategies[0].figures[0].clone();
        figure.strategies[0].figures.push(first);
        assert!(figure.invalid().unwrap().1.contains("appears twice"));
        let mut short = good.clone();
        short.strategies[0].figures[2].1.clear();
        assert!(short
            .invalid()
            .unwrap()
            .1
            .contains("0 value(s) for 1 seed(s)"));
        let mut none = good;
        none.seeds.clear();
        assert_eq!(none.invalid().unwrap().0, "seeds");
    }
}
