//! What a part is lent while it handles an event: the cache tier, the local caches, the
//! database, the key versions, the workload's keys, the event queue and the observer, in one
//! struct. It also holds the two operations every part shares: submitting a database query,
//! and writing a value into the cache.

use super::cache::{CacheTier, LocalCaches};
use super::clients::Workload;
use super::config::ModelConfig;
use super::database::{Admission, Database, DbEvent, Origin, Query};
use super::event::{lane, Event};
use super::versions::KeyVersions;
use crate::engine::{EventQueue, SimDuration, SimTime};
use crate::observe::{Cause, Observer, Truncation};

/// Database queries beyond those of requests in flight (background refreshes, warm-up) the
/// queue may hold before the run counts as diverged.
pub(crate) const BACKGROUND_QUERIES_CAP: u64 = 1_000_000;

/// The settings [`Tiers`]' shared operations need, taken from the scenario once.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TierSettings {
    /// Keys `0..keyspace` exist; the keys above it are absent ones.
    pub keyspace: u32,
    /// Whether reads may ask for absent keys (`clients.absent_keys > 0`).
    pub has_absent_keys: bool,
    /// How long a "not found" is cached (`mitigations.negative_ttl`; `None`: not cached).
    pub negative_ttl: Option<SimDuration>,
    /// Whether the workload writes (`[writes]`).
    pub has_writes: bool,
    /// Longest database queue (queries) before the run counts as diverged: every key of every
    /// request in flight, plus [`BACKGROUND_QUERIES_CAP`].
    pub db_queue_cap: u64,
    /// How long a query may wait in the database queue (`db.queue_timeout`).
    pub db_queue_timeout: Option<SimDuration>,
}

impl TierSettings {
    /// The settings of `config`.
    pub fn new(config: &ModelConfig) -> Self {
        TierSettings {
            keyspace: config.clients.keyspace,
            has_absent_keys: config.clients.absent_keys > 0,
            negative_ttl: config.mitigations.negative_ttl,
            has_writes: config.writes.is_some(),
            db_queue_cap: config.limits.max_in_flight as u64 * config.clients.fanout as u64
                + BACKGROUND_QUERIES_CAP,
            db_queue_timeout: config.db.queue_timeout,
        }
    }
}

/// The parts a handler works with besides its own state, and where its outputs go: events to
/// schedule, queries to submit, observations. The world owns them and lends them whole (one
/// pointer per call: building a struct of borrows for every event cost 3% more instructions).
pub(crate) struct Tiers<'a, O: Observer> {
    /// The event queue: what the handler schedules, for itself or another part.
    pub events: EventQueue<Event>,
    /// The shared cache tier (`None`: the strategy runs without a cache).
    pub cache: Option<CacheTier>,
    /// The instances' local caches (`None`: none).
    pub local: Option<LocalCaches>,
    /// The database.
    pub db: Database,
    /// Which key version owns each cache-key range.
    pub versions: KeyVersions,
    /// The workload: the keys of the arrival just drawn, and a trace's TTLs.
    pub workload: Workload,
    /// Receives what happens.
    pub observer: &'a mut O,
    /// Set when the run diverged and must stop.
    pub truncation: Option<Truncation>,
    /// Settings of the shared operations.
    pub settings: TierSettings,
}

impl<O: Observer> Tiers<'_, O> {
    /// The cache tier, on paths that only exist with one.
    #[inline]
    pub fn tier(&mut self) -> &mut CacheTier {
        self.cache
            .as_mut()
            .expect("cache events and miss paths only exist with a cache")
    }

    /// Queries the database for `ckey` on behalf of `origin`; `version` is the key version the
    /// result is for (it is written back only if that version still owns the key's range).
    /// Returns the query when the database rejected it: whoever made it fails it.
    #[must_use]
    pub fn submit(
        &mut self,
        now: SimTime,
        origin: Origin,
        cause: Cause,
        ckey: u32,
        version: u32,
    ) -> Option<Query> {
        let key = self.versions.logical(ckey);
        self.observer
            .query_submitted(cause, key, self.versions.is_live(version));
        if key >= self.settings.keyspace {
            self.observer.absent_query();
        }
        let (admission, query) = self.db.submit(origin, cause, ckey, version, now);
        match admission {
            Admission::Started => self.start_query(now, query),
            Admission::Queued => {
                self.observer.db_queue_changed(self.db.queue_len());
                if self.db.queue_len() as u64 > self.settings.db_queue_cap
                    && self.truncation.is_none()
                {
                    // Queries not tied to a waiting request (background refreshes, warm-up)
                    // piled up: the database cannot keep up and nothing bounds its queue.
                    self.truncation = Some(Truncation {
                        at_s: now.as_secs_f64(),
                        reason: format!(
                            "the database queue held {} queries, more than the requests in flight \
                             (limits.max_in_flight × clients.fanout) plus {BACKGROUND_QUERIES_CAP} \
                             background queries",
                            self.db.queue_len()
                        ),
                    });
                }
                if let Some(t) = self.settings.db_queue_timeout {
                    self.events.schedule_in_lane(
                        lane::DB_QUEUE_TIMEOUT,
                        now + t,
                        Event::Db(DbEvent::queue_timeout(query.id)),
                    );
                }
            }
            Admission::Rejected => return Some(query),
        }
        None
    }

    /// Query `q` takes a database slot at `now`; its completion is scheduled.
    pub fn start_query(&mut self, now: SimTime, q: Query) {
        self.observer
            .query_started(now, now.since(q.submitted), self.db.busy());
        let (slot, done) = self.db.serve(q, now);
        self.events
            .schedule(done, Event::Db(DbEvent::Done { slot }));
    }

    /// Writes `ckey`'s value at `version` into the cache (if there is one) at `now` with `ttl`
    /// (the cache's TTL if `None`) plus jitter, and reports it: a set refused (versioned sets),
    /// or one that wrote a value older than the committed one (the stale-set race).
    pub fn write_value(
        &mut self,
        now: SimTime,
        ckey: u32,
        ttl: Option<SimDuration>,
        delta: SimDuration,
        version: u32,
    ) {
        let Some(cache) = self.cache.as_mut() else {
            return;
        };
        if !cache.accepts(ckey) {
            // Its node is dead: the set is lost.
            return;
        }
        let key = self.versions.logical(ckey);
        // "Not found" (version 0 of an absent key; a created one has a version) is cached only
        // with negative caching, for its own TTL.
        let ttl = if self.settings.has_absent_keys && key >= self.settings.keyspace && version == 0
        {
            match self.settings.negative_ttl {
                Some(t) => Some(t),
                None => return,
            }
        } else {
            // A replayed trace may give the key its own TTL.
            ttl.or_else(|| self.workload.trace_ttl(key))
        };
        match cache.write(now, ckey, ttl, delta, version) {
            Some(evicted) => {
                self.observer.value_written(key, evicted);
                let records = self.db.records();
                if self.settings.has_writes && version < records.version(key) {
                    self.observer
                        .outdated_set(records.undoes_delete(key, version));
                }
            }
            None => self.observer.set_refused(),
        }
    }
}
