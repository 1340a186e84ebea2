//! Stampede mitigations as decision stages.
//!
//! Each module owns one mitigation's decision, made from the state it is shown (an entry's
//! expiry and compute time, a lock's holder, a token bucket) and returned as a value the read
//! path applies; random draws are made by the caller in a fixed order and passed in, so every
//! decision is a pure function that can be unit-tested without building a world. A strategy's
//! read path is the composition of its stages: [`lookup::ReadStages`] decides what a cache
//! answer means (serve, serve stale and refresh, recompute early, miss), [`coalescing`] whether a
//! miss joins a fetch in flight, [`lock`] who may rebuild and how the others wait, and
//! [`rate_limit`] whether a rebuild may reach the database, [`throttle`] whether a client sends
//! an attempt at all (adaptive throttling). [`jitter`] sets expiries. [`write_path`] decides what a write does to the cache around its
//! commit.

pub mod bloom;
pub mod breaker;
pub mod coalescing;
pub mod early_expiration;
pub mod hedge;
pub mod jitter;
pub mod lock;
pub mod lookup;
pub mod rate_limit;
pub mod refresh_ahead;
pub mod stale_while_revalidate;
pub mod throttle;
pub mod write_path;
