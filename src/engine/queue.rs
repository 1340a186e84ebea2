//! The pending-event set.
//!
//! Events come out in order of (time, insertion sequence): two events scheduled for the same
//! nanosecond leave in the order they were scheduled (FIFO), so a run never depends on how a heap
//! happens to break ties.
//!
//! The general events are in a binary min-heap keyed by (time, sequence) packed into one `u128`
//! (time in the high half), so one branch-free comparison orders two events where comparing
//! the time and then the sequence took two branches (24% fewer mispredicted branches over a
//! whole run; a 4-ary heap was tried and executed more instructions: the heap rarely holds more
//! than a few dozen events).
//!
//! Besides the heap, the queue has *lanes*: FIFO lines for events that are always scheduled a
//! constant delay ahead (client timeouts, queue timeouts). Their times never decrease in
//! insertion order, so a lane is already sorted and costs O(1) per event instead of a heap
//! push and pop; the order of events out of the queue is exactly the same (time, sequence)
//! order as if they were in the heap.
//!
//! And it has one *sole slot*, for a kind of event of which at most one is ever pending and
//! whose handler schedules the next (arrivals): held beside the heap under its key, it is one
//! comparison a pop, where a lane would be a ring buffer's bookkeeping and a heap entry a sift
//! each way.

use std::collections::VecDeque;

use crate::time::SimTime;

/// The total order of events: earlier time first, then earlier insertion first.
///
/// `seq` is a counter that grows with every insertion, so equal-time events are first-in,
/// first-out and the order is total even when two events are equal in every other respect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventKey {
    /// When the event happens.
    pub time: SimTime,
    /// Insertion sequence number, the tie-breaker.
    pub seq: u64,
}

impl EventKey {
    /// The key as one integer with the same order: time in the high 64 bits, sequence in the
    /// low.
    #[inline(always)]
    fn packed(self) -> u128 {
        ((self.time.0 as u128) << 64) | self.seq as u128
    }
}

/// A pending event under its packed key ([`EventKey::packed`]).
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    #[inline(always)]
    fn time(&self) -> SimTime {
        SimTime((self.key >> 64) as u64)
    }
}

/// Where a queue's next event is.
#[derive(Clone, Copy)]
enum Source {
    Heap,
    Lane(usize),
    Sole,
}

/// A priority queue of events of any type `E`, with a clock that only moves forward.
///
/// Storage grows to the largest number of pending events and is then reused, so scheduling does
/// not allocate in steady state.
pub struct EventQueue<E> {
    /// A binary min-heap by key: the children of `i` are `2i + 1` and `2i + 2`.
    heap: Vec<Entry<E>>,
    lanes: Vec<VecDeque<Entry<E>>>,
    /// Bit i set: lane i holds an event (so a pop looks only at lanes in use).
    occupied: u64,
    /// The sole slot's key (`u128::MAX`: empty), and its event.
    sole_key: u128,
    sole: Option<E>,
    next_seq: u64,
    now: SimTime,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// Bytes one pending event takes in the queue (for memory estimates).
    pub const ENTRY_BYTES: usize = std::mem::size_of::<Entry<E>>();

    /// An empty queue with the clock at zero and no lanes.
    pub fn new() -> Self {
        Self::with_lanes(0)
    }

    /// An empty queue with `lanes` FIFO lanes (see the module docs).
    pub fn with_lanes(lanes: usize) -> Self {
        assert!(lanes <= 64, "at most 64 lanes");
        EventQueue {
            heap: Vec::with_capacity(1024),
            lanes: (0..lanes).map(|_| VecDeque::with_capacity(1024)).collect(),
            occupied: 0,
            sole_key: u128::MAX,
            sole: None,
            next_seq: 0,
            now: SimTime::ZERO,
        }
    }

    /// The time of the event most recently taken out (zero before the first).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The next insertion's key.
    #[inline(always)]
    fn next_key(&mut self, time: SimTime) -> u128 {
        let key = EventKey {
            time,
            seq: self.next_seq,
        };
        self.next_seq += 1;
        key.packed()
    }

    /// Schedules `event` at `time`. Scheduling in the past is a bug in the model.
    #[inline]
    pub fn schedule(&mut self, time: SimTime, event: E) {
        debug_assert!(time >= self.now, "event scheduled in the past");
        let key = self.next_key(time);
        self.heap.push(Entry { key, event });
        self.sift_up(self.heap.len() - 1);
    }

    /// Schedules `event` at `time` on FIFO lane `lane`. Each lane's times must not decrease in
    /// scheduling order (a constant delay from `now` guarantees it); breaking that is a bug.
    #[inline]
    pub fn schedule_in_lane(&mut self, lane: usize, time: SimTime, event: E) {
        debug_assert!(time >= self.now, "event scheduled in the past");
        let key = self.next_key(time);
        let q = &mut self.lanes[lane];
        debug_assert!(
            q.back().is_none_or(|b| b.key <= key),
            "lane times must not decrease"
        );
        q.push_back(Entry { key, event });
        self.occupied |= 1 << lane;
    }

    /// Schedules `event` at `time` in the sole slot (see the module docs), which must be
    /// empty: holding two events there is a bug.
    #[inline]
    pub fn schedule_sole(&mut self, time: SimTime, event: E) {
        debug_assert!(time >= self.now, "event scheduled in the past");
        debug_assert!(self.sole.is_none(), "the sole slot holds one event");
        self.sole_key = self.next_key(time);
        self.sole = Some(event);
    }

    /// Moves the entry at `i` up to its place: up while it is smaller than its parent.
    #[inline(always)]
    fn sift_up(&mut self, mut i: usize) {
        let heap = self.heap.as_mut_ptr();
        // SAFETY: `i < len` on entry and parents are smaller indices; the entry taken out of
        // `i` is written back exactly once, into the final hole (a standard hole-based sift).
        unsafe {
            let moving = std::ptr::read(heap.add(i));
            while i > 0 {
                let parent = (i - 1) / 2;
                if (*heap.add(parent)).key <= moving.key {
                    break;
                }
                std::ptr::copy_nonoverlapping(heap.add(parent), heap.add(i), 1);
                i = parent;
            }
            std::ptr::write(heap.add(i), moving);
        }
    }

    /// Takes the heap's smallest entry out (the heap is not empty).
    #[inline(always)]
    fn pop_heap(&mut self) -> Entry<E> {
        let last = self.heap.pop().expect("pop_heap on a non-empty heap");
        let len = self.heap.len();
        if len == 0 {
            return last;
        }
        let heap = self.heap.as_mut_ptr();
        // SAFETY: every index read or written is below `len`; the root is read out once
        // (returned), `last` fills the final hole once, and every other move copies an entry
        // into the hole left by the previous one (a standard hole-based sift down).
        unsafe {
            let top = std::ptr::read(heap);
            // Down to the bottom along the smaller children (the last entry, from the bottom,
            // usually belongs there), then up to its place.
            let mut hole = 0;
            let mut child = 1;
            while child + 1 < len {
                child += ((*heap.add(child + 1)).key < (*heap.add(child)).key) as usize;
                std::ptr::copy_nonoverlapping(heap.add(child), heap.add(hole), 1);
                hole = child;
                child = 2 * hole + 1;
            }
            if child + 1 == len {
                std::ptr::copy_nonoverlapping(heap.add(child), heap.add(hole), 1);
                hole = child;
            }
            while hole > 0 {
                let parent = (hole - 1) / 2;
                if (*heap.add(parent)).key <= last.key {
                    break;
                }
                std::ptr::copy_nonoverlapping(heap.add(parent), heap.add(hole), 1);
                hole = parent;
            }
            std::ptr::write(heap.add(hole), last);
            top
        }
    }

    /// Where the next event is, if any. (No event's key is `u128::MAX`: its sequence number
    /// would be the last of 2^64.)
    #[inline(always)]
    fn next_source(&self) -> Option<Source> {
        let mut best_key = self.heap.first().map_or(u128::MAX, |e| e.key);
        let mut best = Source::Heap;
        if self.sole_key < best_key {
            best_key = self.sole_key;
            best = Source::Sole;
        }
        let mut occupied = self.occupied;
        while occupied != 0 {
            let i = occupied.trailing_zeros() as usize;
            occupied &= occupied - 1;
            if let Some(front) = self.lanes[i].front() {
                if front.key < best_key {
                    best_key = front.key;
                    best = Source::Lane(i);
                }
            }
        }
        (best_key != u128::MAX).then_some(best)
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        let heap = self.heap.first().map(Entry::time);
        let sole = self
            .sole
            .is_some()
            .then_some(SimTime((self.sole_key >> 64) as u64));
        self.lanes
            .iter()
            .filter_map(|l| l.front().map(Entry::time))
            .chain(heap)
            .chain(sole)
            .min()
    }

    /// Removes the next event and advances the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let entry = match self.next_source()? {
            Source::Heap => self.pop_heap(),
            Source::Sole => {
                let key = std::mem::replace(&mut self.sole_key, u128::MAX);
                let event = self
                    .sole
                    .take()
                    .expect("the sole slot's key says it holds one");
                Entry { key, event }
            }
            Source::Lane(lane) => {
                let q = &mut self.lanes[lane];
                let entry = q.pop_front()?;
                if q.is_empty() {
                    self.occupied &= !(1 << lane);
                }
                entry
            }
        };
        let time = entry.time();
        self.now = time;
        Some((time, entry.event))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
            + self.lanes.iter().map(VecDeque::len).sum::<usize>()
            + usize::from(self.sole.is_some())
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_schedules_leave_in_time_then_sequence_order() {
        // Against a sorted reference: random times (many equal, to exercise the tie-break),
        // pushes and pops interleaved so the heap grows and shrinks through several levels,
        // with lanes fed at times that never decrease and the sole slot refilled when empty.
        use rand::Rng;
        let mut rng = crate::engine::RandomStreams::new(5).stream(0);
        let mut q = EventQueue::with_lanes(2);
        let mut reference = std::collections::BTreeSet::new();
        let mut seq = 0u64;
        let mut lane_last = [0u64; 2];
        for round in 0..20_000u64 {
            let now = q.now().0;
            if q.sole.is_none() && rng.random_range(0..3) == 0 {
                let t = now + rng.random_range(0..20);
                q.schedule_sole(SimTime(t), seq);
                reference.insert((t, seq));
                seq += 1;
            }
            for _ in 0..rng.random_range(0..4) {
                let lane = rng.random_range(0..4usize);
                let time = if lane < 2 {
                    lane_last[lane] = lane_last[lane].max(now) + rng.random_range(0..3);
                    q.schedule_in_lane(lane, SimTime(lane_last[lane]), seq);
                    lane_last[lane]
                } else {
                    let t = now + rng.random_range(0..50);
                    q.schedule(SimTime(t), seq);
                    t
                };
                reference.insert((time, seq));
                seq += 1;
            }
            if round % 3 != 0 {
                let want = reference.pop_first();
                assert_eq!(q.pop(), want.map(|(t, s)| (SimTime(t), s)));
                assert_eq!(q.peek_time(), reference.first().map(|&(t, _)| SimTime(t)));
            }
            assert_eq!(q.len(), reference.len());
        }
        while let Some((t, s)) = reference.pop_first() {
            assert_eq!(q.pop(), Some((SimTime(t), s)));
        }
        assert!(q.pop().is_none());
    }

    #[test]
    fn events_leave_in_time_order() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(30), 'c');
        q.schedule(SimTime(10), 'a');
        q.schedule(SimTime(20), 'b');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['a', 'b', 'c']);
    }

    #[test]
    fn equal_times_leave_first_in_first_out() {
        let mut q = EventQueue::new();
        for i in 0..1000u32 {
            q.schedule(SimTime(5), i);
        }
        q.schedule(SimTime(1), 9999);
        assert_eq!(q.pop(), Some((SimTime(1), 9999)));
        for i in 0..1000u32 {
            assert_eq!(q.pop(), Some((SimTime(5), i)));
        }
        assert!(q.pop().is_none());
    }

    #[test]
    fn fifo_holds_for_events_scheduled_while_running() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(1), 0u32);
        let (t, _) = q.pop().unwrap();
        assert_eq!(q.now(), t);
        q.schedule(t, 1);
        q.schedule(t, 2);
        q.schedule(SimTime(0).max(t), 3);
        let order: Vec<u32> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec![1, 2, 3]);
    }

    #[test]
    fn a_lane_emptied_and_filled_again_is_seen_again() {
        // A pop looks only at lanes marked as holding events: emptying a lane unmarks it,
        // and the next event scheduled on it must mark it again.
        let mut q = EventQueue::with_lanes(3);
        q.schedule_in_lane(2, SimTime(1), "lane2 t1");
        q.schedule(SimTime(4), "heap t4");
        assert_eq!(q.pop(), Some((SimTime(1), "lane2 t1")));
        q.schedule_in_lane(2, SimTime(2), "lane2 t2");
        q.schedule_in_lane(0, SimTime(3), "lane0 t3");
        let order: Vec<&str> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!["lane2 t2", "lane0 t3", "heap t4"]);
        assert!(q.is_empty());
        q.schedule_in_lane(1, SimTime(9), "lane1 t9");
        assert_eq!(q.peek_time(), Some(SimTime(9)));
        assert_eq!(q.pop(), Some((SimTime(9), "lane1 t9")));
    }

    #[test]
    fn lanes_interleave_with_the_heap_in_time_then_sequence_order() {
        let mut q = EventQueue::with_lanes(2);
        q.schedule_in_lane(0, SimTime(10), "lane0 t10 first");
        q.schedule(SimTime(10), "heap t10 second");
        q.schedule_in_lane(1, SimTime(5), "lane1 t5");
        q.schedule_in_lane(0, SimTime(20), "lane0 t20");
        q.schedule(SimTime(15), "heap t15");
        q.schedule_in_lane(1, SimTime(10), "lane1 t10 third");
        assert_eq!(q.len(), 6);
        let order: Vec<&str> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(
            order,
            vec![
                "lane1 t5",
                "lane0 t10 first",
                "heap t10 second",
                "lane1 t10 third",
                "heap t15",
                "lane0 t20"
            ]
        );
        assert!(q.is_empty());
    }
}
