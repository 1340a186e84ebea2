//! Running a sweep's points: each checked and planned within the memory budget before anything
//! runs, then run a chunk at a time, all strategies and replications side by side, keeping of
//! each run only its summary values, which become the rows of `sweep.csv` at once.

use super::Sweep;
use crate::experiment;
use crate::report::csv::summary_values;
use crate::report::replications::{figures_of, Figure};
use crate::report::sweep::{self as out, Row};
use crate::scenario::overrides;
use crate::scenario::Scenario;
use crate::workflow::{input, Meter, Meters, WorkflowError};

/// Points built and run at once: enough to keep every thread busy, few enough that their
/// scenarios never hold much memory however large the grid.
const CHUNK_POINTS: usize = 64;

/// What every point of a checked sweep shares.
pub struct Checked {
    /// Point 0's scenario: name, seed, SHA-256, strategies (the same at every point); its
    /// `warnings` are those of every point, each once.
    pub first: Scenario,
    /// Threads that fit the memory budget at every point.
    pub threads: usize,
    /// The memory budget, bytes.
    pub budget: u64,
    /// Estimated seconds of one core per point.
    pub cpu_seconds: Vec<f64>,
    /// Warnings about the plan (in-flight caps lowered, fewer threads), to show before
    /// `first.warnings`.
    pub plan_warnings: Vec<String>,
}

/// Checks every point (all of them, whichever a shard or a search will run) and plans each
/// within the memory budget, before anything runs. Runs of several points go side by side
/// ([`run_figures`]), so the threads are those that fit however the runs at once are drawn
/// from the points (`threads_across_points`), not only those one point has runs for.
/// `budget` is the memory budget, bytes.
pub fn check_points(sweep: &Sweep, budget: u64) -> Result<Checked, WorkflowError> {
    let most = rayon::current_num_threads();
    let mut threads = most;
    // Runs there are at once at most: every strategy and replication of the points built
    // together.
    let mut runs_at_once = 0;
    let mut cpu_seconds = Vec::with_capacity(sweep.points.len());
    let mut first = None;
    let mut warnings: Vec<String> = Vec::new();
    let mut lowered: Vec<(String, u32, u32)> = Vec::new();
    for p in 0..sweep.points.len() {
        let mut s = sweep.scenario(p).map_err(input)?;
        let plan = experiment::plan(&mut s, budget, most).map_err(|e| {
            input(format!(
                "sweep point {p} of {} ({}): {e}",
                sweep.points.len(),
                sweep.describe(p)
            ))
        })?;
        threads = threads.min(threads_across_points(&s, &plan, budget, most));
        runs_at_once = (runs_at_once + s.strategies.len() * s.study.replications as usize)
            .min(most * CHUNK_POINTS);
        cpu_seconds.push(plan.seconds * plan.threads as f64);
        for l in plan.lowered {
            if !lowered.contains(&l) {
                lowered.push(l);
            }
        }
        for w in &s.warnings {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
        if first.is_none() {
            first = Some(s);
        }
    }
    let mut first = first.expect("a grid has at least one point");
    let mut plan_warnings = Vec::new();
    for (name, from, to) in &lowered {
        plan_warnings.push(format!(
            "{}: strategy `{name}`: limits.max_in_flight lowered from its default {from} to {to} \
             at some points to fit the memory budget of {} (--max-memory); give every shard the \
             same --max-memory",
            first.name,
            experiment::bytes(budget)
        ));
    }
    // Fewer runs than threads is no memory limit: say so only when the budget is why.
    let threads = threads.min(runs_at_once.max(1));
    if threads < most.min(runs_at_once) {
        plan_warnings.push(format!(
            "{}: simulating {threads} run{} at a time instead of {most}, to stay within the memory \
             budget of {} (--max-memory)",
            first.name,
            if threads == 1 { "" } else { "s" },
            experiment::bytes(budget)
        ));
    }
    first.warnings = warnings;
    Ok(Checked {
        first,
        threads,
        budget,
        cpu_seconds,
        plan_warnings,
    })
}

/// How many runs may go at once when the runs at once are this point's `s` (already planned
/// by `plan`, which set its in-flight caps and fits its own runs): when the point has fewer
/// runs than `most` threads, the plan of a copy with the replications of as many points as
/// fill them (memory of each run and the results of all, as for a point), else the point's.
/// A sweep keeps only each run's summary, so this counts more results than it holds.
fn threads_across_points(s: &Scenario, plan: &experiment::Plan, budget: u64, most: usize) -> usize {
    let runs = (s.strategies.len() * s.study.replications as usize).max(1);
    if runs >= most {
        return plan.threads;
    }
    let mut batch = s.clone();
    batch.study.replications = s.study.replications.max(1) * most.div_ceil(runs) as u32;
    match experiment::plan(&mut batch, budget, most) {
        // A batch that fits only with lower in-flight caps than the point's does not fit as
        // the point runs.
        Ok(p) if p.lowered.is_empty() => p.threads.max(plan.threads),
        _ => plan.threads,
    }
}

/// The scenarios of `points`, planned as when they were checked (the same in-flight caps).
fn scenarios(
    sweep: &Sweep,
    checked: &Checked,
    points: &[usize],
) -> Result<Vec<Scenario>, WorkflowError> {
    points
        .iter()
        .map(|&p| {
            let mut s = sweep.scenario(p).map_err(input)?;
            experiment::plan(&mut s, checked.budget, checked.threads).map_err(input)?;
            Ok(s)
        })
        .collect()
}

/// Runs `points`, all strategies and replications of each side by side, and returns each
/// point's figures by strategy.
pub fn run_figures(
    sweep: &Sweep,
    checked: &Checked,
    points: &[usize],
    progress: &dyn Meter,
) -> Result<Vec<Vec<Vec<Figure>>>, WorkflowError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(checked.threads)
        .build()
        .map_err(|e| {
            WorkflowError::Other(anyhow::anyhow!(
                "cannot start {} threads: {e}",
                checked.threads
            ))
        })?;
    let mut all = Vec::with_capacity(points.len() * checked.first.strategies.len());
    for chunk in points.chunks(CHUNK_POINTS) {
        let scenarios = scenarios(sweep, checked, chunk)?;
        let kept = pool.install(|| {
            experiment::run_each(&scenarios, &|st| summary_values(&st), &|p| {
                progress.advance(p)
            })
        });
        for per_strategy in kept {
            all.push(
                per_strategy
                    .iter()
                    .map(|reps| figures_of(reps))
                    .collect::<Vec<_>>(),
            );
        }
    }
    Ok(all)
}

/// Seconds of simulated time of every run of `points`.
pub fn simulated_seconds(checked: &Checked, points: usize) -> f64 {
    let s = &checked.first;
    s.strategies
        .iter()
        .map(|st| st.config.duration.as_secs_f64())
        .sum::<f64>()
        * s.study.replications as f64
        * points as f64
}

/// The rows of point `p` from its figures by strategy.
pub fn rows_of(
    sweep: &Sweep,
    p: usize,
    strategies: &[String],
    figures: Vec<Vec<Figure>>,
) -> Vec<Row> {
    let labels: Vec<String> = sweep.points[p]
        .iter()
        .map(|(_, v)| overrides::value_label(v))
        .collect();
    let named: Vec<(&str, Vec<Figure>)> =
        strategies.iter().map(String::as_str).zip(figures).collect();
    out::point_rows(p, &labels, &named)
}

/// Runs every point of `runs` and returns their rows, in point order, shown on a meter from
/// `meters`.
pub fn run_points(
    sweep: &Sweep,
    checked: &Checked,
    runs: &[usize],
    meters: Meters,
) -> Result<Vec<Row>, WorkflowError> {
    let progress = meters(
        &format!("{}-sweep", checked.first.name),
        simulated_seconds(checked, runs.len()),
    );
    let figures = run_figures(sweep, checked, runs, &*progress);
    progress.finish();
    let strategies: Vec<String> = checked
        .first
        .strategies
        .iter()
        .map(|s| s.name.clone())
        .collect();
    Ok(runs
        .iter()
        .zip(figures?)
        .flat_map(|(&p, f)| rows_of(sweep, p, &strategies, f))
        .collect())
}
