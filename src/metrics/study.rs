//! The results of a study: every replication of every strategy of a scenario.

use super::ScenarioResult;

/// Every replication of a scenario's strategies, with how they are to be compared.
#[derive(Clone, Debug)]
pub struct StudyResult {
    /// One result per replication, in order; the first is the plain run with the file's seed.
    pub runs: Vec<ScenarioResult>,
    /// Start of each run left out of the whole-run figures, seconds.
    pub warmup_s: f64,
    /// Strategy the others are compared with (only when it ran).
    pub baseline: Option<String>,
    /// The summary columns the scenario's `[[expect]]` tables judge, in file order
    /// (duplicates allowed): what "best" means (see [`crate::report::ranking`]). Empty: p99
    /// latency, then the error ratio.
    pub objective: Vec<String>,
}

impl StudyResult {
    /// The first replication (the only one without replications).
    pub fn first(&self) -> &ScenarioResult {
        &self.runs[0]
    }

    /// Replications per strategy.
    pub fn replications(&self) -> usize {
        self.runs.len()
    }
}
