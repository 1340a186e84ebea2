//! The discrete-event core: integer time, a totally ordered event queue and seeded random streams.
//!
//! The engine knows nothing of caches, databases or requests; the model in [`crate::model`] defines
//! its own event type and drives the loop.

pub mod queue;
pub mod rng;
pub mod time;

pub use queue::EventQueue;
pub use rng::{RandomStreams, Stream};
pub use time::{SimDuration, SimTime};
