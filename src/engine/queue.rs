//! The pending-event set.
//!
//! Events come out in order of (time, insertion sequence): two events scheduled for the same
//! nanosecond leave in the order they were scheduled (FIFO), so a run never depends on how a heap
//! happens to break ties.
//!
//! Besides the heap, the queue has *lanes*: FIFO lines for events that are always scheduled a
//! constant delay ahead (client timeouts, queue timeouts). Their times never decrease in
//! insertion order, so a lane is already sorted and costs O(1) per event instead of a heap
//! push and pop; the order of events out of the queue is exactly the same (time, sequence)
//! order as if they were in the heap.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

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

struct Entry<E> {
    key: EventKey,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // BinaryHeap is a max-heap: reverse so the smallest key is on top.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// A priority queue of events of any type `E`, with a clock that only moves forward.
///
/// Storage grows to the largest number of pending events and is then reused, so scheduling does
/// not allocate in steady state.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    lanes: Vec<VecDeque<Entry<E>>>,
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
        EventQueue {
            heap: BinaryHeap::with_capacity(1024),
            lanes: (0..lanes).map(|_| VecDeque::with_capacity(1024)).collect(),
            next_seq: 0,
            now: SimTime::ZERO,
        }
    }

    /// The time of the event most recently taken out (zero before the first).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `time`. Scheduling in the past is a bug in the model.
    #[inline]
    pub fn schedule(&mut self, time: SimTime, event: E) {
        debug_assert!(time >= self.now, "event scheduled in the past");
        let key = EventKey {
            time,
            seq: self.next_seq,
        };
        self.next_seq += 1;
        self.heap.push(Entry { key, event });
    }

    /// Schedules `event` at `time` on FIFO lane `lane`. Each lane's times must not decrease in
    /// scheduling order (a constant delay from `now` guarantees it); breaking that is a bug.
    #[inline]
    pub fn schedule_in_lane(&mut self, lane: usize, time: SimTime, event: E) {
        debug_assert!(time >= self.now, "event scheduled in the past");
        let q = &mut self.lanes[lane];
        debug_assert!(
            q.back().is_none_or(|b| b.key.time <= time),
            "lane times must not decrease"
        );
        let key = EventKey {
            time,
            seq: self.next_seq,
        };
        self.next_seq += 1;
        q.push_back(Entry { key, event });
    }

    /// Where the next event is: `None` for the heap, `Some(i)` for lane i.
    fn next_source(&self) -> Option<Option<usize>> {
        let mut best: Option<(EventKey, Option<usize>)> = self.heap.peek().map(|e| (e.key, None));
        for (i, lane) in self.lanes.iter().enumerate() {
            if let Some(front) = lane.front() {
                if best.is_none_or(|(k, _)| front.key < k) {
                    best = Some((front.key, Some(i)));
                }
            }
        }
        best.map(|(_, source)| source)
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        let heap = self.heap.peek().map(|e| e.key.time);
        self.lanes
            .iter()
            .filter_map(|l| l.front().map(|e| e.key.time))
            .chain(heap)
            .min()
    }

    /// Removes the next event and advances the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let entry = match self.next_source()? {
            None => self.heap.pop(),
            Some(lane) => self.lanes[lane].pop_front(),
        }?;
        self.now = entry.key.time;
        Some((entry.key.time, entry.event))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len() + self.lanes.iter().map(VecDeque::len).sum::<usize>()
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
