//! What the model's unit tests share: a small configuration built from a scenario's body, and
//! an observer that keeps what the tests look at (the read path's tests in `reads/tests.rs`
//! and the world's routing tests in `world/tests.rs` both use them).

use crate::engine::{SimDuration, SimTime};
use crate::model::config::ModelConfig;
use crate::model::event::Event;
use crate::observe::{Cause, ErrorKind, Observer};

/// What the tests look at of what the parts report.
#[derive(Default)]
pub(super) struct Seen {
    /// Requests answered.
    pub(super) completed: u64,
    /// Requests failed, by kind, in order.
    pub(super) failed: Vec<ErrorKind>,
    /// Shared-cache lookups that hit.
    pub(super) hits: u64,
    /// Shared-cache lookups that missed.
    pub(super) misses: u64,
    /// Database queries submitted, by cause, in order.
    pub(super) queries: Vec<Cause>,
    /// Client retries started.
    pub(super) retries: u64,
    /// Local-cache lookups that hit.
    pub(super) local_hits: u64,
    /// Writes committed to the database.
    pub(super) committed: u64,
    /// Keys moved to another node.
    pub(super) remapped: u32,
    /// Database queries retried.
    pub(super) query_retries: u64,
    /// Invalidation messages that reached a local cache.
    pub(super) local_messages: u64,
}

impl Observer for Seen {
    fn request_completed(&mut self, _: SimDuration) {
        self.completed += 1;
    }
    fn request_failed(&mut self, kind: ErrorKind, _: SimTime) {
        self.failed.push(kind);
    }
    fn cache_lookup(&mut self, hit: bool) {
        if hit {
            self.hits += 1;
        } else {
            self.misses += 1;
        }
    }
    fn query_submitted(&mut self, cause: Cause, _: u32, _: bool) {
        self.queries.push(cause);
    }
    fn retry_started(&mut self) {
        self.retries += 1;
    }
    fn local_lookup(&mut self, hit: bool, _: bool) {
        if hit {
            self.local_hits += 1;
        }
    }
    fn write_committed(&mut self, _: u32) {
        self.committed += 1;
    }
    fn keys_remapped(&mut self, n: u32) {
        self.remapped += n;
    }
    fn query_retried(&mut self) {
        self.query_retries += 1;
    }
    fn local_invalidation(&mut self, _: bool) {
        self.local_messages += 1;
    }
}

/// The first strategy of a scenario whose body is `body` (name, seed and a 100 s duration
/// added).
pub(super) fn config(body: &str) -> ModelConfig {
    let text = format!("name = \"t\"\nseed = 3\nduration = \"100s\"\n{body}");
    crate::scenario::parse(&text, std::path::Path::new("t.toml"))
        .expect("a valid scenario")
        .strategies
        .remove(0)
        .config
}

/// "Family::Variant" of an event, e.g. "Cache::Reply".
pub fn name(event: &Event) -> String {
    let debug = format!("{event:?}");
    let parts: Vec<&str> = debug
        .split(['(', ')', '{', '}', ' ', ','])
        .filter(|s| !s.is_empty())
        .take(2)
        .collect();
    parts.join("::")
}
