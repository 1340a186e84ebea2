//! Requests in flight: each with its keys and where the read of each stands. Slots are reused,
//! so admitting a request allocates nothing once the table has grown to the load.

use crate::engine::SimTime;
use crate::observe::{CacheFailure, ErrorKind};

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

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// The slot is free.
    Free,
    /// Waiting in its instance's queue for a worker.
    Queued,
    /// A worker is reading its keys.
    Running,
}

/// One key of a request and where its read stands.
#[derive(Clone, Copy, Debug)]
pub struct KeySlot {
    /// Logical key (0 is the most popular).
    pub key: u32,
    /// Cache key: the key under the version of the instance serving the request.
    pub ckey: u32,
    /// Next reader waiting on the same coalesced fetch (when this one leads it).
    pub next_waiter: KeyRef,
    /// Whether this read leads a coalesced fetch on its instance.
    pub leader: bool,
    /// Lock token held while rebuilding (0: none).
    pub lock_token: u32,
    /// When this read started waiting for another's lock (`NEVER`: not waiting).
    pub waiting_since: SimTime,
    /// Polls made while waiting.
    pub polls: u32,
    /// Whether it was answered by a fresh cache hit.
    pub fresh_hit: bool,
    /// Whether it was answered by its instance's local cache.
    pub from_local: bool,
    /// The cache node its read went to (with node faults).
    pub node: u16,
    /// Why its cache read failed, if it did (with node faults).
    pub failure: Option<CacheFailure>,
    /// Whether it fell back to the gutter pool, where its value is to be written.
    pub via_gutter: bool,
    /// Database queries the app retried for it (app retries).
    pub db_retries: u8,
}

/// A request in the system. Slots are reused; `gen` tells a reused slot from its past self.
#[derive(Clone, Debug)]
pub struct Request {
    /// Where it stands.
    pub state: State,
    /// Generation of the slot.
    pub gen: u32,
    /// When it arrived.
    pub arrived: SimTime,
    /// App instance serving it.
    pub instance: u32,
    /// Cache-key version the request reads and writes (its instance's when it started).
    pub version: u32,
    /// Keys not answered yet.
    pub pending: u32,
    /// The first error of one of its keys.
    pub error: Option<ErrorKind>,
    /// Whether its client gave up waiting.
    pub abandoned: bool,
    /// Whether an optional key's read failed (the answer is degraded).
    pub degraded: bool,
    /// The client's call this request is an attempt at (`NO_CALL`: a client that does not
    /// retry).
    pub call: u32,
    /// Its keys.
    pub keys: Vec<KeySlot>,
}

/// The requests in flight and the accounting of their clients.
#[derive(Clone, Debug, Default)]
pub struct Requests {
    slots: Vec<Request>,
    free: Vec<u32>,
    in_flight: u32,
    /// Requests admitted whose client is still waiting: neither completed, failed nor
    /// abandoned.
    awaiting: u64,
}

impl Requests {
    /// Bytes one request with `fanout` keys takes in the table, apart from the events and
    /// queries it has pending.
    pub fn bytes(fanout: u32) -> usize {
        std::mem::size_of::<Request>() + fanout as usize * std::mem::size_of::<KeySlot>()
    }

    /// Requests in the system (admitted, not finished), abandoned or not.
    #[inline]
    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }

    /// Requests whose client still waits for an answer.
    #[inline]
    pub fn awaiting(&self) -> u64 {
        self.awaiting
    }

    /// Admits a request arriving at `now` for `keys`, served by `instance`; returns its slot.
    #[inline(always)]
    pub fn admit(&mut self, now: SimTime, instance: u32, keys: &[u32]) -> u32 {
        self.in_flight += 1;
        self.awaiting += 1;
        let idx = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(Request {
                    state: State::Free,
                    gen: 0,
                    arrived: now,
                    instance,
                    version: 0,
                    pending: 0,
                    error: None,
                    abandoned: false,
                    degraded: false,
                    call: super::retry::NO_CALL,
                    keys: Vec::with_capacity(keys.len()),
                });
                (self.slots.len() - 1) as u32
            }
        };
        let r = &mut self.slots[idx as usize];
        r.arrived = now;
        r.instance = instance;
        r.error = None;
        r.abandoned = false;
        r.degraded = false;
        r.call = super::retry::NO_CALL;
        r.keys.clear();
        r.keys.extend(keys.iter().map(|&key| KeySlot {
            key,
            ckey: key,
            next_waiter: KeyRef::NONE,
            leader: false,
            lock_token: 0,
            waiting_since: SimTime::NEVER,
            polls: 0,
            fresh_hit: false,
            from_local: false,
            node: 0,
            failure: None,
            via_gutter: false,
            db_retries: 0,
        }));
        idx
    }

    /// Frees slot `req` (its request finished, or was discarded unstarted).
    #[inline]
    pub fn free(&mut self, req: u32) {
        let r = &mut self.slots[req as usize];
        r.state = State::Free;
        r.gen = r.gen.wrapping_add(1);
        self.free.push(req);
        self.in_flight -= 1;
    }

    /// The client of request `req` (generation `gen`) gives up: whether that request was still
    /// in flight and awaited (and now is abandoned).
    #[inline]
    pub fn give_up(&mut self, req: u32, gen: u32) -> bool {
        let r = &mut self.slots[req as usize];
        if r.gen == gen && r.state != State::Free && !r.abandoned {
            r.abandoned = true;
            self.awaiting -= 1;
            true
        } else {
            false
        }
    }

    /// Request `req` finished: whether its client was still waiting for it.
    #[inline]
    pub fn answer(&mut self, req: u32) -> bool {
        let awaited = !self.slots[req as usize].abandoned;
        if awaited {
            self.awaiting -= 1;
        }
        awaited
    }

    /// Key `k` is done (`error`: it failed); whether that was the request's last key.
    #[inline]
    pub fn key_done(&mut self, k: KeyRef, error: Option<ErrorKind>) -> bool {
        let r = &mut self.slots[k.req as usize];
        if r.error.is_none() {
            r.error = error;
        }
        r.pending -= 1;
        r.pending == 0
    }

    /// Request `req`.
    #[inline]
    pub fn get(&self, req: u32) -> &Request {
        &self.slots[req as usize]
    }

    /// Request `req`, to change.
    #[inline]
    pub fn get_mut(&mut self, req: u32) -> &mut Request {
        &mut self.slots[req as usize]
    }

    /// The read of key `k`.
    #[inline]
    pub fn slot(&self, k: KeyRef) -> &KeySlot {
        &self.slots[k.req as usize].keys[k.idx as usize]
    }

    /// The read of key `k`, to change.
    #[inline]
    pub fn slot_mut(&mut self, k: KeyRef) -> &mut KeySlot {
        &mut self.slots[k.req as usize].keys[k.idx as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_reused_and_a_reused_slot_ignores_its_past_clients_timeout() {
        let mut r = Requests::default();
        let a = r.admit(SimTime(1), 0, &[4, 5]);
        assert_eq!((r.in_flight(), r.awaiting()), (1, 1));
        assert_eq!(r.get(a).keys.len(), 2);
        let gen = r.get(a).gen;
        r.get_mut(a).state = State::Running;
        r.get_mut(a).pending = 2;
        assert!(!r.key_done(KeyRef { req: a, idx: 0 }, None));
        assert!(r.key_done(KeyRef { req: a, idx: 1 }, Some(ErrorKind::DbTimeout)));
        assert_eq!(r.get(a).error, Some(ErrorKind::DbTimeout));
        assert!(r.answer(a));
        r.free(a);
        assert_eq!((r.in_flight(), r.awaiting()), (0, 0));
        let b = r.admit(SimTime(2), 1, &[7]);
        assert_eq!(b, a, "the slot is reused");
        assert_eq!((r.get(b).keys[0].key, r.get(b).error), (7, None));
        r.get_mut(b).state = State::Queued;
        assert!(
            !r.give_up(b, gen),
            "the old request's timeout does not touch the new one"
        );
        assert!(r.give_up(b, gen + 1));
        assert!(!r.give_up(b, gen + 1), "a request is abandoned once");
        assert_eq!(r.awaiting(), 0);
        assert!(!r.answer(b), "nobody waits for an abandoned request");
    }

    #[test]
    fn the_first_error_of_a_request_sticks() {
        let mut r = Requests::default();
        let a = r.admit(SimTime(0), 0, &[1, 2, 3]);
        r.get_mut(a).pending = 3;
        r.key_done(KeyRef { req: a, idx: 0 }, Some(ErrorKind::Fallback));
        r.key_done(KeyRef { req: a, idx: 1 }, Some(ErrorKind::DbRejected));
        assert!(r.key_done(KeyRef { req: a, idx: 2 }, None));
        assert_eq!(r.get(a).error, Some(ErrorKind::Fallback));
    }
}
