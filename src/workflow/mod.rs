//! The workflows built on runs: what to run, how to judge or search the results, and the
//! result types they hand to [`crate::report`] and the commands.
//!
//! - [`objective`]: objectives such as `p99_latency_ms < 50` and `sweep --find`'s bisection;
//! - [`check`]: judging a study against its expectations and a saved baseline (`check`).
//!
//! The commands in [`crate::commands`] only read arguments and print; writing bytes stays in
//! [`crate::report`].

pub mod check;
pub mod objective;
