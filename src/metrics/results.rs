//! The results of a scenario: every strategy's rows and summary, with what reports need to
//! name and scale them. Produced by the experiment runner, read by every report.

use super::RunResult;

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
    /// Where each event of the strategy's timeline starts to act: (time in seconds, label), in
    /// time order (see [`crate::model::ModelConfig::timeline_marks`]); charts mark it on this
    /// strategy's lines and panels only.
    pub marks: Vec<(f64, String)>,
    /// How long a client waits for its answer before giving up, seconds (`None`: for ever).
    pub client_timeout_s: Option<f64>,
    /// Per-bucket rows and summary.
    pub result: RunResult,
}
