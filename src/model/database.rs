//! The database: `slots` queries in service at once and a FIFO queue in front of them.

use std::collections::VecDeque;

use super::observe::Cause;
use crate::engine::SimTime;

/// One key of one request: request slot `req`, key number `idx` within it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRef {
    /// Request slot.
    pub req: u32,
    /// Index of the key within the request.
    pub idx: u32,
}

impl KeyRef {
    /// No key (end of a list).
    pub const NONE: KeyRef = KeyRef {
        req: u32::MAX,
        idx: u32::MAX,
    };
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

/// Slot occupancy and the waiting queue. Timing (service draws, events) is the world's job.
#[derive(Clone, Debug)]
pub struct Database {
    slots: u32,
    busy: u32,
    queue_limit: Option<u32>,
    queue: VecDeque<Query>,
    next_id: u64,
}

impl Database {
    /// An idle database.
    pub fn new(slots: u32, queue_limit: Option<u32>) -> Self {
        Database {
            slots,
            busy: 0,
            queue_limit,
            queue: VecDeque::with_capacity(1024),
            next_id: 0,
        }
    }

    /// Slots in service.
    pub fn busy(&self) -> u32 {
        self.busy
    }

    /// Queries waiting.
    pub fn queue_len(&self) -> usize {
        self.queue.len()
    }

    /// Submits a query for `key` at `now`; returns what happened and the query.
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
    pub fn finish(&mut self) -> Option<Query> {
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

    fn origin() -> Origin {
        Origin::Key(KeyRef { req: 0, idx: 0 })
    }

    #[test]
    fn slots_then_queue_then_rejection() {
        let mut db = Database::new(2, Some(1));
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
    fn time_out_removes_only_the_head() {
        let mut db = Database::new(1, None);
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
