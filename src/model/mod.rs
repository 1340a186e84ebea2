//! The simulated world: clients, app instances, a cache cluster and a database.
//!
//! [`run`] runs one configuration with one seed, telling an [`crate::observe::Observer`] what happens.
//! Failure modes are not scripted: spikes, queues and timeouts emerge from arrivals, expiries and
//! service times.
//! This module knows nothing of files or charts.

pub mod app;
pub mod cache;
pub mod clients;
pub mod config;
pub mod database;
pub mod distribution;
mod event;
pub mod footprint;
pub mod mitigation;
mod reads;
pub mod request;
pub mod retry;
pub mod setup;
#[cfg(test)]
mod test_fixtures;
mod tiers;
pub mod timeline;
pub mod versions;
mod world;
pub mod writes;

pub use config::*;
pub use world::{has_node_faults, run, run_shared, Progress};
