//! The database: `slots` queries in service at once, a FIFO queue in front of them, and the
//! service-time model that says how long each query takes.

use std::collections::VecDeque;

use super::distribution::Sampler;
use super::observe::Cause;
use super::request::KeyRef;
use crate::engine::{SimTime, Stream};

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
        }
    }

    /// Puts `q`, admitted by [`Database::submit`] or returned by [`Database::complete`], in
    /// service at `now`: returns its service slot and when it completes.
    #[inline]
    pub fn serve(&mut self, q: Query, now: SimTime) -> (u32, SimTime) {
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
        (slot, now + self.service.sample(&mut self.rng))
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
}
