//! `sweep --find`: for each strategy, a bisection ([`find_smallest`]) over the values of the
//! setting searched for the smallest meeting every objective, on the mean over replications,
//! and the report of its answers.

use std::collections::BTreeMap;

use super::points::{rows_of, run_figures, simulated_seconds, Checked};
use super::Sweep;
use crate::report::replications::{plus_minus, Figure};
use crate::report::sweep::{FoundRecord, Row};
use crate::scenario::overrides;
use crate::text;
use crate::workflow::objective::{find_smallest, monotonicity_violation, Objective, Outcome};
use crate::workflow::{Meters, WorkflowError};

/// What `--find` found.
pub struct Answers {
    /// The rows of the points run, in point order.
    pub rows: Vec<Row>,
    /// Each strategy's answer, for the manifest.
    pub found: Vec<FoundRecord>,
    /// The report to print: each strategy's answer and the points its bisection ran.
    pub report: String,
}

/// `--find`: for each strategy, a bisection over the searched values (setting `searched`, its
/// points in ascending `order`) for the smallest meeting every objective (each on the mean
/// over replications). A point runs every strategy at once and is run at most once, shown on
/// a meter from `meters`.
#[allow(clippy::too_many_arguments)]
pub fn find(
    sweep: &Sweep,
    checked: &Checked,
    objectives: &[Objective],
    searched: usize,
    order: &[usize],
    strategies: &[String],
    meters: Meters,
) -> Result<Answers, WorkflowError> {
    let mut cache: BTreeMap<usize, Vec<Vec<Figure>>> = BTreeMap::new();
    let labels: Vec<String> = sweep.settings[searched]
        .values
        .iter()
        .map(overrides::value_label)
        .collect();
    // Whether the mean of strategy i at point p meets objective o (no number never does).
    let meets = |cache: &BTreeMap<usize, Vec<Vec<Figure>>>, p: usize, i: usize, o: &Objective| {
        mean_of(&cache[&p][i], &o.metric).is_some_and(|(mean, _)| o.met(mean))
    };
    let mut searches = Vec::with_capacity(strategies.len());
    for i in 0..strategies.len() {
        let search = find_smallest(order.len(), |k| {
            let p = order[k];
            evaluate(sweep, checked, &mut cache, p, meters)?;
            Ok::<bool, WorkflowError>(objectives.iter().all(|o| meets(&cache, p, i, o)))
        })?;
        searches.push(search);
    }
    let path = &sweep.settings[searched].path;
    let value = |p: usize| text::escape(&labels[p]).into_owned();
    let several = objectives.len() > 1;
    let all = objectives
        .iter()
        .map(Objective::to_string)
        .collect::<Vec<_>>()
        .join(" and ");
    // Each objective's metric at point p, `p99_latency_ms 38 ± 2`; with several objectives,
    // those missed say so. With one, `named` false leaves out the metric named just before.
    let figures = |p: usize, i: usize, named: bool| {
        objectives
            .iter()
            .map(|o| {
                let shown = match mean_of(&cache[&p][i], &o.metric) {
                    Some((mean, half)) => plus_minus(mean, half),
                    None => "no data".into(),
                };
                let missed = if several && !meets(&cache, p, i, o) {
                    format!(", missing {} {}", o.op.symbol(), o.bound)
                } else {
                    String::new()
                };
                if named || several {
                    format!("{} {shown}{missed}", o.metric)
                } else {
                    shown
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    // Whether the interval of o's metric at point p reaches across its bound: the answer
    // there may change with more replications.
    let straddles = |p: usize, i: usize, o: &Objective| {
        mean_of(&cache[&p][i], &o.metric).is_some_and(|(mean, half)| {
            half.is_finite() && mean - half <= o.bound && o.bound <= mean + half
        })
    };
    let mut report = String::new();
    let mut found = Vec::with_capacity(strategies.len());
    for (i, (name, search)) in strategies.iter().zip(&searches).enumerate() {
        let name_shown = text::escape(name);
        let answer = match search.outcome {
            Outcome::Found(k) => format!(
                "smallest {path} meeting {all}: {} ({}); the value below, {}, does not ({})",
                value(order[k]),
                figures(order[k], i, true),
                value(order[k - 1]),
                figures(order[k - 1], i, false)
            ),
            Outcome::SmallestMeets => format!(
                "even the smallest value, {path} = {}, meets {all} ({}): the threshold may lie \
                 below the range",
                value(order[0]),
                figures(order[0], i, true)
            ),
            Outcome::NoneMeets => {
                let last = order[order.len() - 1];
                format!(
                    "none of the values meets {all}, not even {path} = {} ({})",
                    value(last),
                    figures(last, i, true)
                )
            }
        };
        let near: Vec<usize> = match search.outcome {
            Outcome::Found(k) => vec![order[k - 1], order[k]],
            Outcome::SmallestMeets => vec![order[0]],
            Outcome::NoneMeets => vec![order[order.len() - 1]],
        };
        let across: Vec<String> = objectives
            .iter()
            .filter(|o| near.iter().any(|&p| straddles(p, i, o)))
            .map(|o| {
                if several {
                    format!("{} ({})", o.bound, o.metric)
                } else {
                    o.bound.to_string()
                }
            })
            .collect();
        let doubt = if across.is_empty() {
            String::new()
        } else {
            format!(
                " (the 95% interval there reaches across {}: more replications would settle it)",
                across.join(" and ")
            )
        };
        let ran: Vec<String> = search
            .evaluated
            .iter()
            .map(|&(k, met)| {
                format!(
                    "{} ({})",
                    value(order[k]),
                    if met { "meets" } else { "does not" }
                )
            })
            .collect();
        report.push_str(&format!(
            "{name_shown}: {answer}{doubt}. The bisection over {} values ran {path} = {}\n",
            order.len(),
            ran.join(", ")
        ));
        // An objective met at a value and missed at a larger one among the points run: the
        // bisection's assumption does not hold for it, so its answer may not be the smallest.
        for o in objectives {
            let results: Vec<(usize, bool)> = search
                .evaluated
                .iter()
                .map(|&(k, _)| (k, meets(&cache, order[k], i, o)))
                .collect();
            if let Some((met, missed)) = monotonicity_violation(&results) {
                report.push_str(&format!(
                    "{name_shown}: {o} holds at {path} = {} but not at the larger {}: it does not \
                     keep holding as {path} grows, so the answer above may not be the smallest \
                     value meeting {all}; run the whole sweep (without --find) to see\n",
                    value(order[met]),
                    value(order[missed]),
                ));
            }
        }
        found.push(FoundRecord::new(
            name,
            search.outcome,
            &search.evaluated,
            order,
            &labels,
        ));
    }
    let reps = checked.first.study.replications;
    report.push_str(&format!(
        "{} of {} points run (each with every strategy and {reps} replication{}), judged on the \
         mean over replications. The bisection assumes that a value meeting {} means every \
         larger one does; a full sweep (without --find) shows whether it holds.\n",
        cache.len(),
        order.len(),
        if reps == 1 { "" } else { "s" },
        if several {
            "every objective"
        } else {
            "the objective"
        }
    ));
    let rows = cache
        .into_iter()
        .flat_map(|(p, figures)| rows_of(sweep, p, strategies, figures))
        .collect();
    Ok(Answers {
        rows,
        found,
        report,
    })
}

/// Runs point `p` unless `cache` holds it already, and keeps its figures by strategy there.
fn evaluate(
    sweep: &Sweep,
    checked: &Checked,
    cache: &mut BTreeMap<usize, Vec<Vec<Figure>>>,
    p: usize,
    meters: Meters,
) -> Result<(), WorkflowError> {
    if cache.contains_key(&p) {
        return Ok(());
    }
    let progress = meters(
        &format!("{} point {p} ({})", checked.first.name, sweep.describe(p)),
        simulated_seconds(checked, 1),
    );
    let figures = run_figures(sweep, checked, &[p], &*progress);
    progress.finish();
    cache.insert(p, figures?.remove(0));
    Ok(())
}

/// The mean of `metric` among `figures`, and half its 95% interval (infinite with one
/// replication); `None` without a number.
fn mean_of(figures: &[Figure], metric: &str) -> Option<(f64, f64)> {
    let ci = figures.iter().find(|f| f.metric == metric)?.interval()?;
    Some((ci.mean, ci.half_width))
}
