//! Runs every strategy of a scenario on rayon and gathers the results in input order.
//!
//! Each simulation is single-threaded; strategies run side by side and results are collected by
//! index, so the thread count never changes a byte of output.

use rayon::prelude::*;

use crate::metrics::RunResult;
use crate::model;
use crate::scenario::Scenario;

/// The results of one scenario file: every selected strategy, in file order.
#[derive(Clone, Debug)]
pub struct ScenarioResult {
    /// The scenario's name (also its output folder name).
    pub name: String,
    /// The scenario's description.
    pub description: String,
    /// The seed every strategy ran with.
    pub seed: u64,
    /// Length of the run, seconds.
    pub duration_s: f64,
    /// Width of a metrics bucket, seconds.
    pub bucket_s: f64,
    /// Timeline events of the base scenario to mark on charts: (time in seconds, label).
    pub timeline: Vec<(f64, String)>,
    /// One entry per strategy, in the order of the file.
    pub strategies: Vec<StrategyResult>,
}

/// The results of one strategy.
#[derive(Clone, Debug)]
pub struct StrategyResult {
    /// The strategy's name.
    pub name: String,
    /// The strategy's description (may be empty).
    pub description: String,
    /// Database capacity, queries per second (slots / mean service time).
    pub db_capacity_qps: f64,
    /// Keys per request.
    pub fanout: u32,
    /// Per-bucket rows and summary.
    pub result: RunResult,
}

/// Runs every strategy of `scenario` in parallel. `progress` is called with simulated seconds as
/// runs advance (from several threads at once).
pub fn run_scenario(scenario: &Scenario, progress: &(dyn Fn(f64) + Sync)) -> ScenarioResult {
    let strategies: Vec<StrategyResult> = scenario
        .strategies
        .par_iter()
        .map(|s| StrategyResult {
            name: s.name.clone(),
            description: s.description.clone(),
            db_capacity_qps: s.config.db_capacity_qps(),
            fanout: s.config.clients.fanout,
            result: model::simulate(&s.config, scenario.seed, progress),
        })
        .collect();
    ScenarioResult {
        name: scenario.name.clone(),
        description: scenario.description.clone(),
        seed: scenario.seed,
        duration_s: scenario.base.duration.as_secs_f64(),
        bucket_s: scenario.base.bucket.as_secs_f64(),
        timeline: timeline_marks(scenario),
        strategies,
    }
}

/// Timeline events to mark on charts: those of every selected strategy, once each, in time order.
fn timeline_marks(scenario: &Scenario) -> Vec<(f64, String)> {
    let mut marks: Vec<(crate::engine::SimTime, String)> = Vec::new();
    for s in &scenario.strategies {
        for e in &s.config.timeline {
            let mark = (e.at, e.label());
            if !marks.contains(&mark) {
                marks.push(mark);
            }
        }
    }
    marks.sort_by_key(|m| m.0);
    marks
        .into_iter()
        .map(|(t, l)| (t.as_secs_f64(), l))
        .collect()
}
