//! The model of `benches/compare/model.toml` as a tight hand-written loop: a binary heap of
//! events, a Vose alias table for the Zipf keys, one `u64` expiry per key, a FIFO queue in front
//! of the database's slots and a log-linear latency histogram. Times are integer nanoseconds.
//!
//! Usage: `tight SEED` prints `requests`, `hits`, `db_queries`, `hit_ratio` and `p99_ms`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

const RATE: f64 = 20_000.0; // requests per second
const DURATION: u64 = 60_000_000_000; // ns
const KEYS: usize = 100_000;
const ZIPF_S: f64 = 0.9;
const TTL: u64 = 30_000_000_000; // ns
const CACHE_LATENCY: u64 = 500_000; // ns
const SLOTS: u32 = 8;
const DB_MEAN: f64 = 500_000.0; // ns

/// PCG-XSL-RR 128/64 (the generator of `rand_pcg::Pcg64`), seeded through SplitMix64.
struct Rng {
    state: u128,
    inc: u128,
}

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut s = seed;
        let mut next = || {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let state = (next() as u128) << 64 | next() as u128;
        let inc = ((next() as u128) << 64 | next() as u128) | 1;
        let mut rng = Rng { state: 0, inc };
        rng.step();
        rng.state = rng.state.wrapping_add(state);
        rng.step();
        rng
    }

    #[inline]
    fn step(&mut self) {
        const MUL: u128 = 0x2360_ED05_1FC6_5DA4_4385_DF64_9FCC_F645;
        self.state = self.state.wrapping_mul(MUL).wrapping_add(self.inc);
    }

    #[inline]
    fn next_u64(&mut self) -> u64 {
        self.step();
        let s = self.state;
        ((s >> 64) as u64 ^ s as u64).rotate_right((s >> 122) as u32)
    }

    /// Uniform in (0, 1].
    #[inline]
    fn open_unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Exponential with mean `mean`, rounded to an integer.
    #[inline]
    fn exp(&mut self, mean: f64) -> u64 {
        (-mean * self.open_unit().ln()).round() as u64
    }
}

/// One alias column: keep the column's key below `threshold` (out of 2^32), else `alias`.
#[derive(Clone, Copy)]
struct Slot {
    threshold: u32,
    alias: u32,
}

fn alias_table(weights: &[f64]) -> Vec<Slot> {
    let n = weights.len();
    let total: f64 = weights.iter().sum();
    let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
    let mut table = vec![
        Slot {
            threshold: u32::MAX,
            alias: 0
        };
        n
    ];
    let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| scaled[i] < 1.0);
    while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
        table[s] = Slot {
            threshold: (scaled[s] * 4_294_967_296.0).min(u32::MAX as f64) as u32,
            alias: l as u32,
        };
        scaled[l] -= 1.0 - scaled[s];
        if scaled[l] < 1.0 {
            large.pop();
            small.push(l);
        }
    }
    for i in small.into_iter().chain(large) {
        table[i] = Slot {
            threshold: u32::MAX,
            alias: i as u32,
        };
    }
    table
}

#[inline]
fn draw_key(table: &[Slot], rng: &mut Rng) -> u32 {
    let r = rng.next_u64();
    let column = (((r >> 32) * table.len() as u64) >> 32) as usize;
    let slot = table[column];
    if (r as u32) < slot.threshold {
        column as u32
    } else {
        slot.alias
    }
}

/// Latency histogram: 256 sub-buckets per power of two of nanoseconds (under 0.2% error from
/// a bucket's middle).
struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Histogram {
    fn new() -> Histogram {
        Histogram {
            counts: vec![0; 64 * 256],
            total: 0,
        }
    }

    #[inline]
    fn index(v: u64) -> usize {
        if v < 256 {
            return v as usize;
        }
        let bits = 63 - v.leading_zeros() as usize; // >= 8
        (bits - 7) * 256 + ((v >> (bits - 8)) as usize & 255)
    }

    /// The middle of bucket `i`, ns.
    fn value(i: usize) -> f64 {
        if i < 256 {
            return i as f64;
        }
        let shift = i / 256 - 1;
        ((256 + (i % 256)) as f64 + 0.5) * (1u64 << shift) as f64
    }

    #[inline]
    fn record(&mut self, v: u64) {
        self.counts[Self::index(v)] += 1;
        self.total += 1;
    }

    fn quantile(&self, q: f64) -> f64 {
        let want = (q * self.total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= want {
                return Self::value(i);
            }
        }
        0.0
    }
}

/// An event, ordered by time, then by insertion (`seq`); `start` is its request's arrival, ns.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Event {
    time: u64,
    seq: u64,
    key: u32,
    kind: u8,
    start: u64,
}

const ARRIVAL: u8 = 0;
const CACHE_REPLY: u8 = 1;
const DB_DONE: u8 = 2;

fn main() {
    let seed: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut arrivals = Rng::new(seed.wrapping_mul(4) + 1);
    let mut keys = Rng::new(seed.wrapping_mul(4) + 2);
    let mut service = Rng::new(seed.wrapping_mul(4) + 3);

    let weights: Vec<f64> = (1..=KEYS as u64)
        .map(|i| (i as f64).powf(-ZIPF_S))
        .collect();
    let table = alias_table(&weights);
    drop(weights);
    let mut expires = vec![0u64; KEYS];
    let mut heap: BinaryHeap<Reverse<Event>> = BinaryHeap::with_capacity(1 << 16);
    let mut queue: VecDeque<(u32, u64)> = VecDeque::with_capacity(1 << 16);
    let mut hist = Histogram::new();
    let (mut seq, mut busy, mut requests, mut hits, mut queries) = (0u64, 0u32, 0u64, 0u64, 0u64);
    let mut push = |heap: &mut BinaryHeap<Reverse<Event>>, time, kind, key, start| {
        seq += 1;
        heap.push(Reverse(Event {
            time,
            seq,
            key,
            kind,
            start,
        }));
    };
    let mean_gap = 1e9 / RATE;
    let first = arrivals.exp(mean_gap);
    push(&mut heap, first, ARRIVAL, 0, 0);
    while let Some(Reverse(e)) = heap.pop() {
        let now = e.time;
        match e.kind {
            ARRIVAL => {
                requests += 1;
                let key = draw_key(&table, &mut keys);
                push(&mut heap, now + CACHE_LATENCY, CACHE_REPLY, key, now);
                let next = now + arrivals.exp(mean_gap);
                if next < DURATION {
                    push(&mut heap, next, ARRIVAL, 0, 0);
                }
            }
            CACHE_REPLY => {
                if expires[e.key as usize] > now {
                    hits += 1;
                    hist.record(now - e.start);
                } else {
                    queries += 1;
                    if busy < SLOTS {
                        busy += 1;
                        push(
                            &mut heap,
                            now + service.exp(DB_MEAN),
                            DB_DONE,
                            e.key,
                            e.start,
                        );
                    } else {
                        queue.push_back((e.key, e.start));
                    }
                }
            }
            _ => {
                expires[e.key as usize] = now + TTL;
                hist.record(now - e.start);
                match queue.pop_front() {
                    Some((key, start)) => {
                        push(&mut heap, now + service.exp(DB_MEAN), DB_DONE, key, start)
                    }
                    None => busy -= 1,
                }
            }
        }
    }
    println!("requests {requests}");
    println!("hits {hits}");
    println!("db_queries {queries}");
    println!("hit_ratio {:.6}", hits as f64 / requests as f64);
    println!("p99_ms {:.4}", hist.quantile(0.99) / 1e6);
}
