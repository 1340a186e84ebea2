//! The workflows built on runs: what to run, how to judge or search the results, and the
//! result types they hand to [`crate::report`] and the commands.
//!
//! - [`run`]: planning scenarios within the memory budget, simulating them and writing a
//!   run's output folder (`run`, `fanout --scenario`, `diagnose --out`);
//! - [`objective`]: objectives such as `p99_latency_ms < 50` and `sweep --find`'s bisection;
//! - [`check`]: judging a study against its expectations and a saved baseline (`check`);
//! - [`sweep`]: the points of `sweep` (grid, shards), running them, `--find` and `merge`;
//! - [`diagnose`]: the base strategy diagnosed, then rerun with each suggested mitigation
//!   (`diagnose`);
//! - [`phase`]: P(metastable) over a load × trigger grid, per strategy (`phase`).
//!
//! The commands in [`crate::commands`] only read arguments and print; writing bytes stays in
//! [`crate::report`].

pub mod check;
pub mod checked;
pub mod diagnose;
pub mod fit;
pub mod objective;
pub mod phase;
pub mod run;
pub mod sweep;

/// How a workflow failed; the commands map it to an exit code.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// Bad input: a scenario file, a field, an argument or a file read back (exit code 2).
    #[error("{0}")]
    Input(String),
    /// Anything else (exit code 1).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Bad input, said by `message`.
pub(crate) fn input(message: String) -> WorkflowError {
    WorkflowError::Input(message)
}

/// What a run reports of how far it has got (simulated time, events, trace records read).
pub use crate::model::Progress as RunProgress;

/// Shows how far a batch of runs has got (a progress bar, in the commands).
pub trait Meter: Sync {
    /// Moves the meter by what a run reports.
    fn advance(&self, p: RunProgress);
    /// Removes the meter.
    fn finish(self: Box<Self>);
}

/// Starts a [`Meter`] named by its first argument for the second, seconds of simulated time.
pub type Meters<'a> = &'a dyn Fn(&str, f64) -> Box<dyn Meter>;
