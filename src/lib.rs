//! cachestorm: a deterministic discrete-event simulator of cache failure modes.
//!
//! A scenario file describes clients, app instances, a cache cluster and a capacity-limited
//! database, plus named strategies that each override part of it. Every strategy is simulated on
//! the same seeded workload and the results are written as CSV and charts side by side.
//!
//! Layers, each depending only on the ones below it:
//! - [`cli`] and `main`: arguments and exit codes; [`console`] prints without panicking;
//! - [`experiment`]: plans a scenario's cost, runs its strategies in parallel, each observed by
//!   a recorder;
//! - [`metrics`]: observes a run through [`observe::Observer`] (the model keeps no
//!   measuring state) and holds the results; [`report`] turns them into files;
//! - [`model`]: the simulated world (and [`scenario`], which builds its configuration from TOML);
//! - [`engine`]: events and random streams, knowing nothing of caches;
//! - [`observe`]: the observation vocabulary (the `Observer` trait and what it carries), importing
//!   nothing of the crate but [`time`], the leaf that defines integer simulated time;
//! - [`workflow`]: what `check`, `sweep` and `merge` run and how they judge, search and merge
//!   the results (the commands only read arguments and print);
//! - [`diagnose`]: which failure mode a run shows, and why, from its measured series;
//! - [`text`] escapes what a user typed before it reaches a terminal, a CSV cell or a chart.

pub mod cli;
pub mod commands;
pub mod console;
pub mod diagnose;
pub mod engine;
pub mod experiment;
pub mod memory_budget;
pub mod metrics;
pub mod model;
pub mod observe;
pub mod report;
pub mod scenario;
pub mod text;
pub mod theory;
pub mod time;
pub mod trace;
pub mod workflow;
