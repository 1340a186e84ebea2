//! The discrete-event core: integer time, a totally ordered event queue and seeded random streams.
//!
//! The engine knows nothing of caches, databases or requests; the model in [`crate::model`] defines
//! its own event type and drives the loop. Its time types live in the leaf module [`crate::time`]
//! and are re-exported here.

pub mod queue;
pub mod rng;

pub use queue::EventQueue;
pub use rng::{RandomStreams, Stream};

/// Simulated time, defined in the leaf module [`crate::time`] (which imports nothing of the
/// crate, so the observation vocabulary can stand on it alone) and re-exported here so
/// `engine::time`, `engine::SimTime` and `engine::SimDuration` keep working.
pub use crate::time;
pub use crate::time::{SimDuration, SimTime};
