//! The database: `slots` queries in service at once, a FIFO queue in front of them, and the
//! service-time model that says how long each query takes.

use std::collections::VecDeque;

use rand::Rng;

use super::config::Degradation;
use super::distribution::Sampler;
use super::request::KeyRef;
use crate::engine::{SimDuration, SimTime, Stream};
use crate::observe::Cause;

/// What the database reports, when it happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbEvent {
    /// The query in service slot `slot` finished.
    Done {
        /// The service slot.
        slot: u32,
    },
    /// A queued query has waited its full queue timeout. Its 64-bit id is kept as two halves
    /// so that events stay 4-byte aligned and small.
    QueueTimeout {
        /// High half of the query's id.
        id_hi: u32,
        /// Low half of the query's id.
        id_lo: u32,
    },
}

/// What one of the database's events amounts to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DbOutcome {
    /// `query` finished its service; `next`, taken off the queue, has its slot (to be
    /// [served](Database::serve)).
    Finished {
        /// The query served.
        query: Query,
        /// The next in line.
        next: Option<Query>,
    },
    /// `query` waited its full queue timeout and left the queue unserved.
    TimedOut(Query),
    /// The queue timeout of a query that is no longer waiting (served, or dropped).
    Nothing,
}

impl DbEvent {
    /// The queue timeout of query `id`.
    #[inline]
    pub fn queue_timeout(id: u64) -> Self {
        DbEvent::QueueTimeout {
            id_hi: (id >> 32) as u32,
            id_lo: id as u32,
        }
    }
}

/// Who is waiting for a query's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A request's key.
    Key(KeyRef),
    /// A background refresh started by an app instance.
    Background {
        /// The instance.
        instance: u32,
    },
    /// Deploy warm-up.
    Warmup,
    /// Warm-up of returning cache node `node`, started by timeline entry `entry`.
    NodeWarmup {
        /// The node.
        node: u32,
        /// The `restore_node` entry of the timeline.
        entry: u32,
    },
    /// A write of logical key `key`.
    Write {
        /// The logical key.
        key: u32,
        /// The version it commits (a write-back flush commits the newest version the cache
        /// took); 0: the next one.
        version: u32,
        /// Whether it skips the write path (commits and does nothing to the cache).
        bypass: bool,
        /// Whether it is a replayed trace's delete: it removes the key's value, then deletes
        /// the key in the cache whatever the write path.
        delete: bool,
    },
}

/// A query for one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query {
    /// Who needs the result.
    pub origin: Origin,
    /// Why it was made.
    pub cause: Cause,
    /// The cache key (key and version) it will fill.
    pub key: u32,
    /// The key version that owned `key`'s range when the query was made: a result for a
    /// range that has since been handed to a newer version is not written.
    pub version: u32,
    /// When it was submitted.
    pub submitted: SimTime,
    /// Unique number, to match queue-timeout events.
    pub id: u64,
    /// For a read, the version of the key it read: the one committed when it entered service
    /// (0 without writes).
    pub data_version: u32,
    /// Whether it fails with a transient error when its service ends (drawn when it enters
    /// service).
    pub fails: bool,
}

/// How many recent commit times each key remembers: the age of a value up to this many
/// versions behind is exact, older ones are aged from the oldest remembered commit (a lower
/// bound).
pub const COMMIT_HISTORY: usize = 4;

/// The committed version of every key and when its last few versions were committed. Empty
/// (and never consulted) for a read-only workload.
#[derive(Clone, Debug, Default)]
pub struct Records {
    version: Vec<u32>,
    commits: Vec<[SimTime; COMMIT_HISTORY]>,
    /// Per key, the newest version whose delete has reached the cache: a set of an older
    /// version after it undoes the delete (the stale-set race).
    deleted: Vec<u32>,
}

impl Records {
    /// Bytes per key.
    pub const BYTES_PER_KEY: usize =
        2 * std::mem::size_of::<u32>() + std::mem::size_of::<[SimTime; COMMIT_HISTORY]>();

    /// Every one of `keyspace` keys at version 0.
    pub fn new(keyspace: u32) -> Self {
        Records {
            version: vec![0; keyspace as usize],
            commits: vec![[SimTime::ZERO; COMMIT_HISTORY]; keyspace as usize],
            deleted: vec![0; keyspace as usize],
        }
    }

    /// Whether versions are kept (there are writes).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.version.is_empty()
    }

    /// The committed version of `key` (0 without writes).
    #[inline]
    pub fn version(&self, key: u32) -> u32 {
        self.version.get(key as usize).copied().unwrap_or(0)
    }

    /// Commits a new version of `key` at `now`; returns it.
    #[inline]
    pub fn commit(&mut self, key: u32, now: SimTime) -> u32 {
        let v = self.version[key as usize] + 1;
        self.commit_to(key, v, now)
    }

    /// Commits `key` at `version` at `now` (a write-back flush may skip versions: they all
    /// count as committed now); an older version than the committed one changes nothing.
    /// Returns the committed version.
    #[inline]
    pub fn commit_to(&mut self, key: u32, version: u32, now: SimTime) -> u32 {
        let k = key as usize;
        let old = self.version[k];
        if version > old {
            let from = (old + 1).max(version.saturating_sub(COMMIT_HISTORY as u32 - 1));
            for v in from..=version {
                self.commits[k][v as usize % COMMIT_HISTORY] = now;
            }
            self.version[k] = version;
        }
        self.version[k]
    }

    /// A delete of `key` for `version` reached the cache.
    #[inline]
    pub fn deleted(&mut self, key: u32, version: u32) {
        if let Some(d) = self.deleted.get_mut(key as usize) {
            *d = (*d).max(version);
        }
    }

    /// Whether setting `key` at `version` undoes a delete the cache already applied for a
    /// newer version: the stale-set race.
    #[inline]
    pub fn undoes_delete(&self, key: u32, version: u32) -> bool {
        self.deleted.get(key as usize).is_some_and(|&d| version < d)
    }

    /// For a value of `key` at version `served` read at `now`: `None` if it is the committed
    /// version, else how long ago it was superseded (when version `served + 1` was committed;
    /// from the oldest remembered commit if that is longer ago than [`COMMIT_HISTORY`]
    /// versions).
    #[inline]
    pub fn outdated_by(&self, key: u32, served: u32, now: SimTime) -> Option<SimDuration> {
        let current = self.version(key);
        if served >= current {
            return None;
        }
        let oldest_kept = current.saturating_sub(COMMIT_HISTORY as u32 - 1).max(1);
        let next = (served + 1).max(oldest_kept);
        Some(now.since(self.commits[key as usize][next as usize % COMMIT_HISTORY]))
    }
}

/// What happened to a submitted query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// A slot was free: service starts now.
    Started,
    /// All slots busy: the query waits in the queue.
    Queued,
    /// All slots busy and the queue full: the query is refused.
    Rejected,
}

/// Slot occupancy, the waiting queue, the queries in service and their service times. The
/// event loop schedules completions at the times it is given.
#[derive(Clone, Debug)]
pub struct Database {
    slots: u32,
    busy: u32,
    queue_limit: Option<u32>,
    queue: VecDeque<Query>,
    next_id: u64,
    /// Service time of one query, drawn from `rng` (its own stream).
    service: Sampler,
    rng: Stream,
    /// Queries in service, by service slot; `free` lists the slots to reuse.
    in_service: Vec<Query>,
    free: Vec<u32>,
    /// Service time of a write, drawn from its own stream (only with writes).
    write_service: Option<(Sampler, Stream)>,
    /// Keys' committed versions (only with writes).
    records: Records,
    /// Logical keys: a cache key modulo this is the key whose version a read sees.
    keyspace: u32,
    /// Share of reads failing with a transient error, and the stream that decides (only with
    /// errors).
    errors: Option<(f64, Stream)>,
    /// How service times grow with the queries in service.
    degradation: Option<Degradation>,
}

impl Database {
    /// An idle database of `slots` slots, with a queue of at most `queue_limit` (`None`:
    /// unlimited), whose queries take `service` drawn from `rng`.
    pub fn new(slots: u32, queue_limit: Option<u32>, service: Sampler, rng: Stream) -> Self {
        Database {
            slots,
            busy: 0,
            queue_limit,
            queue: VecDeque::with_capacity(1024),
            next_id: 0,
            service,
            rng,
            in_service: Vec::new(),
            free: Vec::new(),
            write_service: None,
            records: Records::default(),
            keyspace: 1,
            errors: None,
            degradation: None,
        }
    }

    /// The same database, failing a share `rate` of reads with a transient error, decided by
    /// draws from `rng` (its own stream; nothing is drawn when `rate` is 0).
    pub fn with_errors(mut self, rate: f64, rng: Stream) -> Self {
        if rate > 0.0 {
            self.errors = Some((rate, rng));
        }
        self
    }

    /// The same database, with service times that grow with the queries in service.
    pub fn with_degradation(mut self, degradation: Option<Degradation>) -> Self {
        self.degradation = degradation;
        self
    }

    /// The same database, also taking writes of `keyspace` keys whose service time is `service`
    /// drawn from `rng`, and keeping every key's committed version. Cache keys are logical keys
    /// modulo `all_keys` (the keyspace and the absent keys).
    pub fn with_writes(
        mut self,
        keyspace: u32,
        all_keys: u32,
        service: Sampler,
        rng: Stream,
    ) -> Self {
        self.write_service = Some((service, rng));
        self.records = Records::new(keyspace);
        self.keyspace = all_keys;
        self
    }

    /// The keys' committed versions.
    #[inline]
    pub fn records(&self) -> &Records {
        &self.records
    }

    /// Commits a write of `key` at `now` (at `version`, or the next one if 0); returns the
    /// committed version.
    #[inline]
    pub fn commit(&mut self, key: u32, version: u32, now: SimTime) -> u32 {
        if version == 0 {
            self.records.commit(key, now)
        } else {
            self.records.commit_to(key, version, now)
        }
    }

    /// The keys' committed versions, to note deletes.
    #[inline]
    pub fn records_mut(&mut self) -> &mut Records {
        &mut self.records
    }

    /// Puts `q`, admitted by [`Database::submit`] or returned by [`Database::complete`], in
    /// service at `now`: returns its service slot and when it completes.
    #[inline]
    pub fn serve(&mut self, mut q: Query, now: SimTime) -> (u32, SimTime) {
        let mut service = match (&mut self.write_service, q.origin) {
            (Some((sampler, rng)), Origin::Write { .. }) => sampler.sample(rng),
            _ => {
                if !self.records.is_empty() {
                    q.data_version = self.records.version(q.key % self.keyspace);
                }
                if let Some((rate, rng)) = &mut self.errors {
                    q.fails = rng.random::<f64>() < *rate;
                }
                self.service.sample(&mut self.rng)
            }
        };
        if let Some(d) = self.degradation {
            // `busy` counts this query: it took its slot when admitted or handed over.
            service = SimDuration((service.0 as f64 * d.factor(self.busy)) as u64);
        }
        let slot = match self.free.pop() {
            Some(s) => {
                self.in_service[s as usize] = q;
                s
            }
            None => {
                self.in_service.push(q);
                (self.in_service.len() - 1) as u32
            }
        };
        (slot, now + service)
    }

    /// Handles one of the database's events.
    #[inline]
    pub fn on(&mut self, event: DbEvent) -> DbOutcome {
        match event {
            DbEvent::Done { slot } => {
                let (query, next) = self.complete(slot);
                DbOutcome::Finished { query, next }
            }
            DbEvent::QueueTimeout { id_hi, id_lo } => {
                match self.time_out((id_hi as u64) << 32 | id_lo as u64) {
                    Some(q) => DbOutcome::TimedOut(q),
                    None => DbOutcome::Nothing,
                }
            }
        }
    }

    /// The query in service slot `slot` completed: returns it, and the next queued query if
    /// one takes the slot (to be [served](Database::serve)).
    #[inline]
    pub fn complete(&mut self, slot: u32) -> (Query, Option<Query>) {
        let q = self.in_service[slot as usize];
        self.free.push(slot);
        (q, self.finish())
    }

    /// Slots in service.
    #[inline]
    pub fn busy(&self) -> u32 {
        self.busy
    }

    /// Queries waiting.
    #[inline]
    pub fn queue_len(&self) -> usize {
        self.queue.len()
    }

    /// Submits a query for `key` at `now`; returns what happened and the query.
    #[inline]
    pub fn submit(
        &mut self,
        origin: Origin,
        cause: Cause,
        key: u32,
        version: u32,
        now: SimTime,
    ) -> (Admission, Query) {
        let q = Query {
            origin,
            cause,
            key,
            version,
            submitted: now,
            id: self.next_id,
            data_version: 0,
            fails: false,
        };
        self.next_id += 1;
        if self.busy < self.slots {
            self.busy += 1;
            (Admission::Started, q)
        } else if self
            .queue_limit
            .is_some_and(|l| self.queue.len() >= l as usize)
        {
            (Admission::Rejected, q)
        } else {
            self.queue.push_back(q);
            (Admission::Queued, q)
        }
    }

    /// The query handed a slot by [`Database::complete`] or an earlier `pass` was cancelled
    /// before service: the slot goes to the next in line (returned), or is freed.
    #[inline]
    pub fn pass(&mut self) -> Option<Query> {
        self.finish()
    }

    /// A query finished: frees its slot and, if one waits, starts the next and returns it.
    #[inline]
    fn finish(&mut self) -> Option<Query> {
        match self.queue.pop_front() {
            Some(q) => Some(q),
            None => {
                self.busy -= 1;
                None
            }
        }
    }

    /// Removes the query `id` if it is still first in the queue (the only place a query whose
    /// queue timeout is due can be, since the queue is FIFO and the timeout constant).
    #[inline]
    pub fn time_out(&mut self, id: u64) -> Option<Query> {
        if self.queue.front().is_some_and(|q| q.id == id) {
            self.queue.pop_front()
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RandomStreams;

    #[test]
    fn a_queue_timeout_carries_the_whole_id() {
        for id in [0, 1, u32::MAX as u64, u32::MAX as u64 + 1, u64::MAX - 3] {
            let DbEvent::QueueTimeout { id_hi, id_lo } = DbEvent::queue_timeout(id) else {
                panic!("not a queue timeout");
            };
            assert_eq!((id_hi as u64) << 32 | id_lo as u64, id);
        }
    }

    #[test]
    fn records_say_how_long_ago_a_served_version_was_superseded() {
        let mut r = Records::new(3);
        let t = |s: u64| SimTime(s * 1_000_000_000);
        assert_eq!(r.outdated_by(1, 0, t(1)), None);
        assert_eq!(r.commit(1, t(10)), 1);
        assert_eq!(r.outdated_by(1, 0, t(12)), Some(SimDuration::from_secs(2)));
        assert_eq!(r.outdated_by(1, 1, t(12)), None);
        assert_eq!(r.outdated_by(0, 0, t(12)), None, "other keys are untouched");
        for (i, at) in [20, 30, 40, 50].into_iter().enumerate() {
            assert_eq!(r.commit(1, t(at)), i as u32 + 2);
        }
        // Version 5 is current; versions 2..=5 are remembered.
        assert_eq!(r.outdated_by(1, 4, t(60)), Some(SimDuration::from_secs(10)));
        assert_eq!(r.outdated_by(1, 1, t(60)), Some(SimDuration::from_secs(40)));
        // Version 1 was superseded at 20 s, no longer remembered: aged from 20 s (version 2).
        assert_eq!(r.outdated_by(1, 0, t(60)), Some(SimDuration::from_secs(40)));
        assert_eq!(r.version(1), 5);
        // A write-back flush commits several versions at once.
        assert_eq!(r.commit_to(1, 9, t(70)), 9);
        assert_eq!(r.outdated_by(1, 5, t(75)), Some(SimDuration::from_secs(5)));
        assert_eq!(
            r.commit_to(1, 7, t(80)),
            9,
            "an older version changes nothing"
        );
    }

    #[test]
    fn reads_see_the_version_committed_when_they_enter_service_and_writes_take_slots() {
        let streams = RandomStreams::new(1);
        let mut db = database(1, None).with_writes(
            4,
            4,
            Sampler::new(&crate::model::config::Distribution::Constant(SimDuration(
                7,
            ))),
            streams.stream(9),
        );
        let write = Origin::Write {
            key: 2,
            version: 0,
            bypass: false,
            delete: false,
        };
        let (a, w) = db.submit(write, Cause::Write, 2, 0, SimTime(0));
        assert_eq!(a, Admission::Started);
        let (slot, done) = db.serve(w, SimTime(0));
        assert_eq!(done, SimTime(7), "a write takes the write service time");
        // A read of cache key 6 (key 2 under the second version range) queues behind it.
        let (a, _) = db.submit(origin(), Cause::Miss, 6, 1, SimTime(1));
        assert_eq!(a, Admission::Queued);
        let (w, next) = db.complete(slot);
        assert_eq!(db.commit(w.key, 0, done), 1);
        let (_, read_done) = db.serve(next.expect("the read takes the slot"), done);
        let (r, _) = db.complete(0);
        assert!(read_done > done);
        assert_eq!(
            r.data_version, 1,
            "the read entered service after the commit"
        );
    }

    fn origin() -> Origin {
        Origin::Key(KeyRef { req: 0, idx: 0 })
    }

    fn database(slots: u32, queue_limit: Option<u32>) -> Database {
        let service = Sampler::Constant(5);
        Database::new(slots, queue_limit, service, RandomStreams::new(1).stream(0))
    }

    #[test]
    fn slots_then_queue_then_rejection() {
        let mut db = database(2, Some(1));
        let t = SimTime::ZERO;
        assert_eq!(
            db.submit(origin(), Cause::Miss, 1, 0, t).0,
            Admission::Started
        );
        assert_eq!(
            db.submit(origin(), Cause::Miss, 2, 0, t).0,
            Admission::Started
        );
        let (a, queued) = db.submit(origin(), Cause::Miss, 3, 0, t);
        assert_eq!(a, Admission::Queued);
        assert_eq!(
            db.submit(origin(), Cause::Miss, 4, 0, t).0,
            Admission::Rejected
        );
        assert_eq!(
            db.finish(),
            Some(queued),
            "a finishing slot takes the next in line"
        );
        assert_eq!(db.busy(), 2);
        assert_eq!(db.finish(), None);
        assert_eq!(db.busy(), 1);
    }

    #[test]
    fn served_queries_complete_after_their_service_time_and_free_their_slot() {
        let mut db = database(2, None);
        let t = SimTime(100);
        let (_, a) = db.submit(origin(), Cause::Miss, 1, 0, t);
        let (_, b) = db.submit(origin(), Cause::Warmup, 2, 0, t);
        let (_, c) = db.submit(origin(), Cause::Miss, 3, 0, t);
        let (slot_a, done_a) = db.serve(a, t);
        let (slot_b, _) = db.serve(b, t);
        assert_eq!(done_a, SimTime(105));
        assert_ne!(slot_a, slot_b);
        // a completes; c, queued, takes its slot.
        assert_eq!(db.complete(slot_a), (a, Some(c)));
        let (slot_c, done_c) = db.serve(c, SimTime(105));
        assert_eq!((slot_c, done_c), (slot_a, SimTime(110)));
        assert_eq!(db.complete(slot_b), (b, None));
        assert_eq!(db.busy(), 1);
    }

    #[test]
    fn time_out_removes_only_the_head() {
        let mut db = database(1, None);
        let t = SimTime::ZERO;
        db.submit(origin(), Cause::Miss, 1, 0, t);
        let (_, a) = db.submit(origin(), Cause::Miss, 2, 0, t);
        let (_, b) = db.submit(origin(), Cause::Miss, 3, 0, t);
        assert_eq!(db.time_out(b.id), None);
        assert_eq!(db.time_out(a.id), Some(a));
        assert_eq!(db.time_out(b.id), Some(b));
        assert_eq!(db.queue_len(), 0);
    }

    #[test]
    fn its_events_finish_a_query_and_hand_its_slot_on_or_time_a_waiting_one_out() {
        let mut db = database(1, None);
        let t = SimTime::ZERO;
        let (_, a) = db.submit(origin(), Cause::Miss, 1, 0, t);
        let (slot, _) = db.serve(a, t);
        let (_, b) = db.submit(origin(), Cause::Miss, 2, 0, t);
        let (_, c) = db.submit(origin(), Cause::Miss, 3, 0, t);
        // c's timeout comes while b is ahead of it: nothing yet.
        assert_eq!(db.on(DbEvent::queue_timeout(c.id)), DbOutcome::Nothing);
        assert_eq!(
            db.on(DbEvent::Done { slot }),
            DbOutcome::Finished {
                query: a,
                next: Some(b)
            }
        );
        // b has left the queue for the slot: its timeout finds nothing; c's now does.
        assert_eq!(db.on(DbEvent::queue_timeout(b.id)), DbOutcome::Nothing);
        assert_eq!(db.on(DbEvent::queue_timeout(c.id)), DbOutcome::TimedOut(c));
        let (slot, _) = db.serve(b, t);
        assert_eq!(
            db.on(DbEvent::Done { slot }),
            DbOutcome::Finished {
                query: b,
                next: None
            }
        );
        assert_eq!((db.busy(), db.queue_len()), (0, 0));
    }
}
