//! The workload: Poisson arrivals with a piecewise-linear rate, and key choice by popularity;
//! or the reads of a recorded trace, replayed as they come ([`TraceFeed`]).

use std::sync::Arc;

use rand::Rng;

use super::config::{ModelConfig, Popularity, TimelineAction, TraceConfig};
use crate::engine::rng::{open_unit, Stream};
use crate::engine::SimTime;

/// What happens on the clients' side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// The next request arrives.
    Arrival,
    /// The client of request `req` (generation `gen`) gives up waiting.
    GiveUp {
        /// Request slot.
        req: u32,
        /// Generation of the slot when the request arrived.
        gen: u32,
    },
    /// The client of call `call` tries again.
    Retry {
        /// The call's slot.
        call: u32,
    },
}

/// The clients as one component: when the next request arrives, and which distinct keys it
/// needs, each drawn from its own random stream so that nothing else in the model shifts them.
#[derive(Debug)]
pub struct Workload {
    arrivals: ArrivalProcess,
    keys: KeyChooser,
    arrival_rng: Stream,
    key_rng: Stream,
    fanout: u32,
    /// Arrivals stop here (`duration`).
    end: SimTime,
    /// The keys of the last arrival.
    drawn: Vec<u32>,
    /// Reads of absent keys: their share, the first absent key (the keyspace), how many
    /// there are, and the stream deciding which reads they are.
    absent: Option<(f64, u32, u32, Stream)>,
    /// The trace replayed instead of drawn arrivals and keys, if any.
    trace: Option<TraceFeed>,
}

/// The records of one kind (reads, or writes) of a replayed trace, one arrival each: the next
/// one's time and key are read ahead, so that an arrival's key is the one read with its time.
#[derive(Debug)]
pub struct TraceFeed {
    replay: Option<crate::trace::Replay>,
    /// Whether this feed gives writes (sets and deletes) instead of reads.
    writes: bool,
    /// Arrivals stop here.
    end: SimTime,
    /// The key of the arrival read ahead.
    ahead: u32,
    /// Its operation.
    ahead_op: crate::trace::Op,
    /// Per key, the TTL in seconds its latest record came with (0: none), when TTLs are
    /// honoured.
    ttl_s: Vec<u32>,
    /// Records (or lines) read from the file so far.
    records_read: u64,
}

impl TraceFeed {
    /// The reads (or, with `writes`, the writes) of `trace` in the run seeded `run_seed`
    /// (which picks its key sample), arriving before `end`.
    ///
    /// The trace was read whole when the scenario was checked; should it have become unreadable
    /// since, arrivals end where it fails.
    pub fn open(trace: &TraceConfig, writes: bool, end: SimTime, run_seed: u64) -> Self {
        let honour_ttl = trace.ttl && trace.scan.has_ttl && !writes;
        TraceFeed {
            // A file changed since it was counted is not replayed (the commands refuse it
            // before running; this guards a change during the run's set-up).
            replay: match trace.changed() {
                None => trace.open(writes, run_seed).ok(),
                Some(_) => None,
            },
            records_read: 0,
            writes,
            end,
            ahead: 0,
            ahead_op: crate::trace::Op::Get,
            ttl_s: if honour_ttl {
                vec![0; trace.scan.keys as usize]
            } else {
                Vec::new()
            },
        }
    }

    /// Reads ahead to the next arrival of this feed's kind: its time, if before the end.
    pub fn next_arrival(&mut self) -> Option<SimTime> {
        loop {
            let replay = self.replay.as_mut()?;
            let record = replay.next_record();
            self.records_read = replay.records_read();
            let Ok(Some(r)) = record else {
                self.replay = None;
                return None;
            };
            if let Some(ttl) = self.ttl_s.get_mut(r.key as usize) {
                if r.ttl_s > 0 {
                    *ttl = r.ttl_s;
                }
            }
            if (r.op != crate::trace::Op::Get) != self.writes {
                continue;
            }
            let at = SimTime(r.at_ns);
            if at >= self.end {
                self.replay = None;
                return None;
            }
            self.ahead = r.key;
            self.ahead_op = r.op;
            return Some(at);
        }
    }

    /// Records (or lines) of the trace file read so far.
    #[inline]
    pub fn records_read(&self) -> u64 {
        self.records_read
    }

    /// The key of the arrival read ahead.
    #[inline]
    pub fn key(&self) -> u32 {
        self.ahead
    }

    /// The operation of the arrival read ahead (a writes feed gives sets and deletes).
    #[inline]
    pub fn op(&self) -> crate::trace::Op {
        self.ahead_op
    }

    /// The TTL the trace gives `key` (`None`: none, or TTLs not honoured).
    #[inline]
    pub fn ttl(&self, key: u32) -> Option<crate::engine::SimDuration> {
        match self.ttl_s.get(key as usize) {
            Some(&s) if s > 0 => Some(crate::engine::SimDuration::from_secs(s as u64)),
            _ => None,
        }
    }
}

impl Workload {
    /// The workload of `config` in the run seeded `run_seed` (which picks a trace's key
    /// sample), drawing arrival times from `arrival_rng` and keys from `key_rng`.
    pub fn new(config: &ModelConfig, run_seed: u64, arrival_rng: Stream, key_rng: Stream) -> Self {
        let c = &config.clients;
        let table = Arc::new(KeyTable::new(c.keyspace, c.popularity));
        Self::with_key_table(config, run_seed, arrival_rng, key_rng, table)
    }

    /// [`Workload::new`], drawing keys from `table` (built for the clients' keyspace and
    /// popularity, and shared read-only by runs with the same ones: `model::setup`).
    pub fn with_key_table(
        config: &ModelConfig,
        run_seed: u64,
        arrival_rng: Stream,
        key_rng: Stream,
        table: Arc<KeyTable>,
    ) -> Self {
        let c = &config.clients;
        Workload {
            arrivals: ArrivalProcess::from_config(config),
            keys: KeyChooser::with_table(table),
            arrival_rng,
            key_rng,
            fanout: c.fanout,
            end: SimTime(config.duration.0),
            drawn: Vec::with_capacity(c.fanout as usize),
            absent: None,
            trace: c
                .trace
                .as_ref()
                .map(|t| TraceFeed::open(t, false, SimTime(config.duration.0), run_seed)),
        }
    }

    /// The same workload, where a share of key reads asks for absent keys, decided by draws
    /// from `rng` (two per key read: whether it is absent, and which), after the keys' own
    /// draws, so the existing keys' draws stay as they were.
    pub fn with_absent_keys(mut self, config: &ModelConfig, rng: Stream) -> Self {
        let c = &config.clients;
        if c.absent_share > 0.0 {
            self.absent = Some((c.absent_share, c.keyspace, c.absent_keys, rng));
        }
        self
    }

    /// A request arrives: draws when the next one comes (`None`: not before the end of
    /// arrivals) and this one's keys ([`Workload::keys`]).
    #[inline]
    pub fn on_arrival(&mut self) -> Option<SimTime> {
        if let Some(feed) = &mut self.trace {
            // This arrival's key was read with its time; then read the next one.
            self.drawn.clear();
            self.drawn.push(feed.key());
            return feed.next_arrival();
        }
        let next = self.next_arrival();
        self.draw_keys();
        next
    }

    /// Records (or lines) of a replayed trace file read so far (0 without a trace).
    #[inline]
    pub fn trace_records_read(&self) -> u64 {
        self.trace.as_ref().map_or(0, TraceFeed::records_read)
    }

    /// When the next request arrives, if before the end of arrivals.
    #[inline]
    pub fn next_arrival(&mut self) -> Option<SimTime> {
        if let Some(feed) = &mut self.trace {
            return feed.next_arrival();
        }
        let t = self.arrivals.next(&mut self.arrival_rng)?;
        let at = SimTime::from_secs_f64(t);
        (at < self.end).then_some(at)
    }

    /// Draws the distinct keys of an arriving request; [`Workload::keys`] returns them.
    #[inline]
    pub fn draw_keys(&mut self) {
        self.keys
            .choose_distinct(&mut self.key_rng, self.fanout, &mut self.drawn);
        if let Some((share, first, count, rng)) = &mut self.absent {
            for key in &mut self.drawn {
                let u: f64 = rng.random();
                let id = rng.random_range(0..*count);
                if u < *share {
                    *key = *first + id;
                }
            }
        }
    }

    /// The keys of the last arrival.
    #[inline]
    pub fn keys(&self) -> &[u32] {
        &self.drawn
    }

    /// The TTL a replayed trace gives `key`, when it gives one and TTLs are honoured.
    #[inline]
    pub fn trace_ttl(&self, key: u32) -> Option<crate::engine::SimDuration> {
        self.trace.as_ref().and_then(|f| f.ttl(key))
    }
}

/// A non-homogeneous Poisson process whose rate is piecewise linear in time.
///
/// Arrivals are drawn by inversion: each gap uses exactly one uniform draw (an Exp(1) amount of
/// integrated rate), so a rate change moves arrivals but never changes how many draws are made
/// before it.
#[derive(Clone, Debug)]
pub struct ArrivalProcess {
    /// Breakpoints (time in seconds, rate per second); the rate is linear between consecutive
    /// points and constant after the last. Two points at the same time make a step.
    points: Vec<(f64, f64)>,
    /// The rate when it never changes (one point): arrivals skip the segment walk.
    constant_rate: Option<f64>,
    segment: usize,
    now: f64,
}

impl ArrivalProcess {
    /// The profile of a model: its initial rate changed by its `set_rate` timeline events (a
    /// replayed trace: its mean read rate until its last record).
    pub fn from_config(config: &ModelConfig) -> Self {
        if let Some(t) = &config.clients.trace {
            // A trace's reads at their mean rate over its span, then none: what cost estimates
            // and bucket checks expect of it.
            return Self::new(config.clients.rps, [(t.span_secs(), 0.0, 0.0)]);
        }
        let changes = config.timeline.iter().filter_map(|e| match e.action {
            TimelineAction::SetRate { rps, ramp } => {
                Some((e.at.as_secs_f64(), rps, ramp.as_secs_f64()))
            }
            _ => None,
        });
        Self::new(config.clients.rps, changes)
    }

    /// A profile starting at `rps`, then for each `(at, rps, ramp)` in time order (seconds) moving
    /// linearly to `rps` over `ramp` seconds from `at` (a step when `ramp` is 0).
    pub fn new(rps: f64, changes: impl IntoIterator<Item = (f64, f64, f64)>) -> Self {
        let mut points = vec![(0.0, rps)];
        for (at, rps, ramp) in changes {
            let current = rate_at(&points, at);
            // A later change overrides the rest of an earlier ramp.
            points.retain(|&(t, _)| t <= at);
            points.push((at, current));
            points.push((at + ramp, rps));
        }
        ArrivalProcess {
            constant_rate: (points.len() == 1).then(|| points[0].1),
            points,
            segment: 0,
            now: 0.0,
        }
    }

    /// The rate at time `t` seconds.
    pub fn rate_at(&self, t: f64) -> f64 {
        rate_at(&self.points, t)
    }

    /// Expected arrivals from 0 to `until` seconds: the integral of the rate.
    pub fn integral(&self, until: f64) -> f64 {
        let mut total = 0.0;
        for w in self.points.windows(2) {
            let ((t0, r0), (t1, r1)) = (w[0], w[1]);
            if t0 >= until {
                return total;
            }
            let end = t1.min(until);
            if end > t0 {
                let r_end = r0 + (r1 - r0) * (end - t0) / (t1 - t0);
                total += (r0 + r_end) / 2.0 * (end - t0);
            }
        }
        let (t_last, r_last) = *self.points.last().expect("a profile has a first point");
        total + r_last * (until - t_last).max(0.0)
    }

    /// Time of the next arrival in seconds, or `None` if the rate stays zero for ever.
    #[inline]
    pub fn next(&mut self, rng: &mut Stream) -> Option<f64> {
        let mut need = -open_unit(rng).ln();
        if let Some(rate) = self.constant_rate {
            // The last segment's step below, without the walk.
            if rate <= 0.0 {
                return None;
            }
            self.now += need / rate;
            return Some(self.now);
        }
        loop {
            let (t0, r0) = self.points[self.segment];
            let Some(&(t1, r1)) = self.points.get(self.segment + 1) else {
                // Last segment: constant rate for ever.
                if r0 <= 0.0 {
                    return None;
                }
                self.now += need / r0;
                return Some(self.now);
            };
            if t1 <= self.now {
                self.segment += 1;
                continue;
            }
            let slope = if t1 > t0 { (r1 - r0) / (t1 - t0) } else { 0.0 };
            let rate_now = r0 + slope * (self.now - t0);
            let available = (rate_now + r1) / 2.0 * (t1 - self.now);
            if need <= available && available > 0.0 {
                // Solve rate_now*x + slope/2*x^2 = need in its numerically stable form.
                let disc = (rate_now * rate_now + 2.0 * slope * need).max(0.0);
                let x = 2.0 * need / (rate_now + disc.sqrt());
                self.now = (self.now + x).min(t1);
                return Some(self.now);
            }
            need -= available.max(0.0);
            self.now = t1;
            self.segment += 1;
        }
    }
}

fn rate_at(points: &[(f64, f64)], t: f64) -> f64 {
    let mut rate = points[0].1;
    for w in points.windows(2) {
        let ((t0, r0), (t1, r1)) = (w[0], w[1]);
        if t >= t1 {
            rate = r1;
        } else if t >= t0 {
            return if t1 > t0 {
                r0 + (r1 - r0) * (t - t0) / (t1 - t0)
            } else {
                r1
            };
        }
    }
    rate
}

/// Chooses keys by popularity. Key 0 is the most popular.
#[derive(Clone, Debug)]
pub struct KeyChooser {
    /// The popularity tables, read-only and shared by runs with the same keyspace and
    /// popularity (`model::setup`).
    table: Arc<KeyTable>,
    /// Working space of [`ExactSampler`]: the sum tree of the head's free weights.
    tree: Vec<f64>,
    /// Working space of rejection for large fan-outs: which keys this request holds, one bit a
    /// key (allocated on the first request of more than [`SMALL_FANOUT`] keys).
    taken: Vec<u64>,
}

/// How one key is drawn.
#[derive(Clone, Debug)]
enum Draw {
    /// Every key equally likely.
    Uniform(u32),
    /// Walker/Vose alias table for an arbitrary discrete distribution: O(1) per draw.
    Alias(Vec<AliasSlot>),
}

/// One column of an alias table: keep the column's own key if the draw is below the
/// threshold (out of 2^32, the low 32 bits), else take the alias (the high 32 bits). One word,
/// so that the table is built in place over the weights (see [`alias_table`]).
#[derive(Clone, Copy, Debug)]
pub struct AliasSlot(u64);

impl AliasSlot {
    fn new(threshold: u32, alias: u32) -> Self {
        AliasSlot(threshold as u64 | (alias as u64) << 32)
    }

    /// Below it (out of 2^32), a draw keeps its column's own key.
    #[inline]
    fn threshold(self) -> u32 {
        self.0 as u32
    }

    /// The key a draw at or above the threshold takes.
    #[inline]
    fn alias(self) -> u32 {
        (self.0 >> 32) as u32
    }
}

/// Rejected draws allowed per request before [`KeyChooser::choose_distinct`] switches from
/// rejection to the exact sampler: `REJECTION_BUDGET_BASE + REJECTION_BUDGET_PER_KEY * k`.
/// Generous, so that every workload where rejection is quick keeps exactly today's draws, and
/// small enough that no request spends more than about a millisecond on rejections.
pub const REJECTION_BUDGET_BASE: u64 = 10_000;
/// See [`REJECTION_BUDGET_BASE`].
pub const REJECTION_BUDGET_PER_KEY: u64 = 100;

/// The read-only tables of a [`KeyChooser`]: how one key is drawn, and the exact sampler.
#[derive(Clone, Debug)]
pub struct KeyTable {
    draw: Draw,
    /// The exact sampler without replacement that takes over when rejection stalls.
    exact: ExactSampler,
}

impl KeyTable {
    /// Bytes the tables of `keyspace` keys with `popularity` take at most, while they are
    /// built: Zipf's alias table (8 bytes a key) with its construction's work list (4), and the
    /// exact sampler's head; uniform keys have no table.
    pub fn bytes(keyspace: u32, popularity: Popularity) -> u64 {
        let head = 8 * keyspace.min(ALL_HEAD) as u64;
        match popularity {
            Popularity::Uniform => head,
            Popularity::Zipf { .. } => {
                let table = std::mem::size_of::<AliasSlot>() + std::mem::size_of::<u32>();
                table as u64 * keyspace as u64 + head
            }
        }
    }

    /// Bytes the tables hold once built (their capacities).
    pub fn built_bytes(&self) -> u64 {
        let draw = match &self.draw {
            Draw::Uniform(_) => 0,
            Draw::Alias(table) => table.capacity() * std::mem::size_of::<AliasSlot>(),
        };
        (draw + self.exact.head.capacity() * std::mem::size_of::<f64>()) as u64
    }

    /// The tables of `keyspace` keys with this popularity.
    pub fn new(keyspace: u32, popularity: Popularity) -> Self {
        let (draw, exact) = match popularity {
            Popularity::Uniform => (
                Draw::Uniform(keyspace),
                ExactSampler::new(keyspace, popularity, None),
            ),
            Popularity::Zipf { s } => {
                let weights: Vec<f64> =
                    (1..=keyspace as u64).map(|i| (i as f64).powf(-s)).collect();
                let exact = ExactSampler::new(keyspace, popularity, Some(&weights));
                (Draw::Alias(alias_table(weights)), exact)
            }
        };
        KeyTable { draw, exact }
    }
}

impl KeyChooser {
    /// The chooser for `keyspace` keys with this popularity (its own tables).
    pub fn new(keyspace: u32, popularity: Popularity) -> Self {
        Self::with_table(Arc::new(KeyTable::new(keyspace, popularity)))
    }

    /// The chooser drawing from `table` (shared).
    pub fn with_table(table: Arc<KeyTable>) -> Self {
        KeyChooser {
            table,
            tree: Vec::new(),
            taken: Vec::new(),
        }
    }

    /// Probability of each key, most popular first (for theory checks and reports).
    pub fn probabilities(keyspace: u32, popularity: Popularity) -> Vec<f64> {
        let w: Vec<f64> = match popularity {
            Popularity::Uniform => vec![1.0; keyspace as usize],
            Popularity::Zipf { s } => (1..=keyspace as u64).map(|i| (i as f64).powf(-s)).collect(),
        };
        let total: f64 = w.iter().sum();
        w.into_iter().map(|x| x / total).collect()
    }

    /// One key.
    #[inline]
    pub fn choose(&self, rng: &mut Stream) -> u32 {
        match &self.table.draw {
            Draw::Uniform(n) => rng.random_range(0..*n),
            Draw::Alias(table) => {
                let r: u64 = rng.random();
                let column = (((r >> 32) * table.len() as u64) >> 32) as usize;
                let slot = table[column];
                if (r as u32) < slot.threshold() {
                    column as u32
                } else {
                    slot.alias()
                }
            }
        }
    }

    /// Fills `out` with `k` distinct keys (`k` at most the keyspace), drawn one after the other,
    /// each from the popularity distribution restricted to the keys not yet chosen (successive
    /// sampling without replacement).
    ///
    /// Draws by rejection (draw, discard repeats) while that is quick; when a request has
    /// rejected more than its budget of draws (steep popularity with `k` close to the number of
    /// keys that carry the mass), the remaining keys come from an exact sampler, whose cost is
    /// bounded whatever the distribution. Both give the same distribution; rejection alone could
    /// take longer than the age of the universe for, say, Zipf s = 10 over 12 keys with k = 12.
    #[inline]
    pub fn choose_distinct(&mut self, rng: &mut Stream, k: u32, out: &mut Vec<u32>) {
        out.clear();
        if k == 1 {
            // Nothing to repeat: one draw, as rejection would make.
            out.push(self.choose(rng));
            return;
        }
        let budget = REJECTION_BUDGET_BASE + REJECTION_BUDGET_PER_KEY * k as u64;
        let mut rejected = 0u64;
        // A repeat is found by scanning the few keys held, or with a bitmap for many.
        let bitmap = k as usize > SMALL_FANOUT;
        if bitmap && self.taken.is_empty() {
            self.taken = vec![0; (self.table.exact.keyspace as usize).div_ceil(64)];
        }
        while out.len() < k as usize {
            if rejected > budget {
                self.table.exact.fill(rng, k as usize, out, &mut self.tree);
                break;
            }
            let key = self.choose(rng);
            let repeat = if bitmap {
                let (word, bit) = ((key / 64) as usize, 1u64 << (key % 64));
                let seen = self.taken[word] & bit != 0;
                self.taken[word] |= bit;
                seen
            } else {
                out.contains(&key)
            };
            if repeat {
                rejected += 1;
            } else {
                out.push(key);
            }
        }
        if bitmap {
            for &key in out.iter() {
                self.taken[(key / 64) as usize] = 0;
            }
        }
    }
}

/// Fan-outs up to this many keys find repeats by scanning the keys already chosen.
const SMALL_FANOUT: usize = 16;

/// Exact sampling of one key from the popularity distribution restricted to the keys not yet
/// chosen, in time bounded by the head size plus the number of chosen keys (plus a tail draw
/// whose expected number of tries is close to 1).
///
/// The keys are split into a head (the `HEAD` most popular keys, or every key of a small
/// keyspace), whose weights are kept and summed directly over the unchosen keys (so no
/// precision is lost however much of the mass is already chosen), and a tail of at least
/// `HEAD` keys, sampled by inversion of the weight function: uniform, or Zipf by
/// rejection-inversion (Hörmann and Derflinger, 1996). Fewer than 1,000 keys are ever chosen and
/// the tail has more than 4,000, so rejecting chosen tail keys stays cheap.
#[derive(Clone, Debug)]
struct ExactSampler {
    /// Number of keys.
    keyspace: u32,
    /// Raw (unnormalised) weights of the head keys, most popular first.
    head: Vec<f64>,
    /// The keys after the head, if any.
    tail: Option<Tail>,
}

/// Keys in the head of [`ExactSampler`] when the keyspace is split.
const HEAD: u32 = 4_096;
/// Keyspaces up to this size are all head.
const ALL_HEAD: u32 = 2 * HEAD;

#[derive(Clone, Copy, Debug)]
struct Tail {
    /// First key of the tail (the head's length).
    first: u32,
    /// Last key of the tail.
    last: u32,
    /// Sum of the raw weights of the tail keys.
    mass: f64,
    /// Zipf exponent; `None` for uniform weights (all 1).
    zipf_s: Option<f64>,
}

impl ExactSampler {
    fn new(keyspace: u32, popularity: Popularity, weights: Option<&[f64]>) -> Self {
        let weight = |key: u32| match (weights, popularity) {
            (Some(w), _) => w[key as usize],
            (None, Popularity::Zipf { s }) => ((key as f64) + 1.0).powf(-s),
            (None, Popularity::Uniform) => 1.0,
        };
        let head_len = if keyspace <= ALL_HEAD { keyspace } else { HEAD };
        let head = (0..head_len).map(weight).collect();
        let tail = (keyspace > head_len).then(|| Tail {
            first: head_len,
            last: keyspace - 1,
            // Smallest weights first, for accuracy.
            mass: (head_len..keyspace).rev().map(weight).sum(),
            zipf_s: match popularity {
                Popularity::Zipf { s } => Some(s),
                Popularity::Uniform => None,
            },
        });
        ExactSampler {
            keyspace,
            head,
            tail,
        }
    }

    /// Draws keys not yet in `out`, one after the other, each with probability proportional to
    /// its weight among the keys still free, until `out` holds `k` keys (at most the keyspace).
    ///
    /// The head's free weights sit in a sum tree (`tree`, working space) whose inner nodes are
    /// recomputed from their children when a key is taken, never by subtraction, so no precision
    /// is lost however much of the mass is taken: each head draw and update costs O(log head).
    fn fill(&self, rng: &mut Stream, k: usize, out: &mut Vec<u32>, tree: &mut Vec<f64>) {
        let head_len = self.head.len();
        let size = head_len.next_power_of_two();
        tree.clear();
        tree.resize(2 * size, 0.0);
        tree[size..size + head_len].copy_from_slice(&self.head);
        for &c in out.iter() {
            if (c as usize) < head_len {
                tree[size + c as usize] = 0.0;
            }
        }
        for node in (1..size).rev() {
            tree[node] = tree[2 * node] + tree[2 * node + 1];
        }
        let mut tail_taken: f64 = self.tail.map_or(0.0, |t| {
            out.iter()
                .filter(|&&c| c >= t.first)
                .map(|&c| t.weight(c))
                .sum()
        });
        while out.len() < k {
            let head_free = tree[1];
            let tail_free = self.tail.map_or(0.0, |t| (t.mass - tail_taken).max(0.0));
            let u = rng.random::<f64>() * (head_free + tail_free);
            if head_free > 0.0 && (u < head_free || tail_free <= 0.0) {
                // Descend to the leaf whose share of the free mass holds u.
                let (mut node, mut u) = (1, u);
                while node < size {
                    let (left, right) = (tree[2 * node], tree[2 * node + 1]);
                    node = if right <= 0.0 || (left > 0.0 && u < left) {
                        2 * node
                    } else {
                        u -= left;
                        2 * node + 1
                    };
                }
                out.push((node - size) as u32);
                tree[node] = 0.0;
                let mut up = node / 2;
                while up >= 1 {
                    tree[up] = tree[2 * up] + tree[2 * up + 1];
                    up /= 2;
                }
                continue;
            }
            let tail = self
                .tail
                .expect("a free key exists, and none is in the head");
            let key = loop {
                let key = tail.draw(rng);
                if !out.contains(&key) {
                    break key;
                }
            };
            tail_taken += tail.weight(key);
            out.push(key);
        }
    }
}

impl Tail {
    fn weight(&self, key: u32) -> f64 {
        match self.zipf_s {
            Some(s) => ((key as f64) + 1.0).powf(-s),
            None => 1.0,
        }
    }

    /// One tail key with probability proportional to its weight.
    fn draw(&self, rng: &mut Stream) -> u32 {
        let Some(s) = self.zipf_s else {
            return rng.random_range(self.first..=self.last);
        };
        // Rejection-inversion over ranks a..=b (rank = key + 1): draw x from the density
        // x^-s on [a - 1/2, b + 1/2] by inversion, round it to rank r, accept with
        // probability r^-s / (integral of x^-s over [r - 1/2, r + 1/2]) <= 1 (x^-s is convex).
        // Integrals are written relative to the lower end, with expm1/ln_1p, so they stay exact
        // for every s (s close to 1 included) and far tails.
        let one_minus_s = 1.0 - s;
        // E(z) = (e^((1-s) z) - 1) / (1-s): the integral of x^-s from L to L e^z, over L^(1-s).
        let e = |z: f64| {
            if one_minus_s.abs() < 1e-12 {
                z
            } else {
                (one_minus_s * z).exp_m1() / one_minus_s
            }
        };
        let e_inv = |v: f64| {
            if one_minus_s.abs() < 1e-12 {
                v
            } else {
                (one_minus_s * v).ln_1p() / one_minus_s
            }
        };
        let low = self.first as f64 + 0.5; // rank a - 1/2
        let high = self.last as f64 + 1.5; // rank b + 1/2
        let span = e((high / low).ln());
        loop {
            let u: f64 = rng.random::<f64>(); // in [0, 1): keeps ln_1p's argument above -1
            let x = low * e_inv(u * span).exp();
            let rank = x
                .round()
                .clamp(self.first as f64 + 1.0, self.last as f64 + 1.0);
            // Integral of x^-s over [rank - 1/2, rank + 1/2], times rank^s: the acceptance
            // test is v * that <= 1.
            let local = rank * (e((0.5 / rank).ln_1p()) - e((-0.5 / rank).ln_1p()));
            let v: f64 = rng.random::<f64>();
            if v * local <= 1.0 {
                return rank as u32 - 1;
            }
        }
    }
}

/// Builds a Vose alias table for `weights` (all > 0), in their memory.
///
/// At millions of keys this is the run's largest allocation, so it takes 12 bytes a key at
/// its peak (the weights' 8, then the table's, and a 4-byte work list) where separate scaled
/// weights, table and small and large lists took 32: until its slot is settled, a column's
/// slot holds its scaled weight (the f64's bits), and the small and large stacks share one
/// list, the small from its start and the large from its end. The columns are paired in the
/// same order as with two lists, so the table is the same, bit for bit.
fn alias_table(weights: Vec<f64>) -> Vec<AliasSlot> {
    let n = weights.len();
    let total: f64 = weights.iter().sum();
    // Collected in place: the same size and alignment (std's in-place iteration).
    let mut table: Vec<AliasSlot> = weights
        .into_iter()
        .map(|w| AliasSlot((w * n as f64 / total).to_bits()))
        .collect();
    let scaled = |table: &[AliasSlot], i: usize| f64::from_bits(table[i].0);
    // Small columns (scaled weight below 1) in work[..small], in increasing order; large ones
    // in work[n - large..] in decreasing order, so that the top of each stack is at its inner
    // end.
    let mut work = vec![0u32; n];
    let (mut small, mut large) = (0usize, 0usize);
    for i in 0..n {
        if scaled(&table, i) < 1.0 {
            work[small] = i as u32;
            small += 1;
        } else {
            large += 1;
            work[n - large] = i as u32;
        }
    }
    while small > 0 {
        small -= 1;
        let s = work[small] as usize;
        if large == 0 {
            // Taken off the small stack with no large column left: it keeps its own key
            // below the full threshold, and its alias stays 0.
            table[s] = AliasSlot::new(u32::MAX, 0);
            break;
        }
        let l = work[n - large] as usize;
        let scaled_s = scaled(&table, s);
        table[s] = AliasSlot::new(
            (scaled_s * 4_294_967_296.0).min(u32::MAX as f64) as u32,
            l as u32,
        );
        let scaled_l = scaled(&table, l) - (1.0 - scaled_s);
        table[l] = AliasSlot(scaled_l.to_bits());
        if scaled_l < 1.0 {
            large -= 1;
            work[small] = l as u32;
            small += 1;
        }
    }
    // Whatever is left has probability 1 up to rounding: always keep its own key.
    for &i in work[..small].iter().chain(&work[n - large..]) {
        table[i as usize] = AliasSlot::new(u32::MAX, i);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RandomStreams;

    /// The alias table as it was built before it was built in place: separate scaled
    /// weights, table and small and large lists.
    fn alias_table_with_lists(weights: &[f64]) -> Vec<(u32, u32)> {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut table = vec![(u32::MAX, 0); n];
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..n).partition(|&i| scaled[i] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            table[s] = (
                (scaled[s] * 4_294_967_296.0).min(u32::MAX as f64) as u32,
                l as u32,
            );
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        for i in small.into_iter().chain(large) {
            table[i] = (u32::MAX, i as u32);
        }
        table
    }

    #[test]
    fn the_alias_table_built_in_place_is_the_one_built_with_lists() {
        let mut cases: Vec<Vec<f64>> = [(0.9, 100_000), (0.5, 1), (1.3, 7), (0.0, 1_000)]
            .iter()
            .map(|&(s, n)| (1..=n).map(|i| (i as f64).powf(-s)).collect())
            .collect();
        // Unordered weights; increasing ones leave a small column other than key 0 without a
        // large one (Zipf leaves key 0).
        cases.push((0..5_000).map(|i| ((i * 7919) % 101 + 1) as f64).collect());
        for (s, n) in [(1.1, 1_000), (1.5, 100)] {
            cases.push((1..=n).rev().map(|i| (i as f64).powf(-s)).collect());
        }
        cases.push(vec![1.0, 1.0, 1.0 + 1e-15, 3.0, 1e-9]);
        for weights in cases {
            let want = alias_table_with_lists(&weights);
            let built = alias_table(weights.clone());
            assert_eq!(built.capacity(), weights.len(), "in the weights' memory");
            let got: Vec<(u32, u32)> = built.iter().map(|a| (a.threshold(), a.alias())).collect();
            assert!(got == want, "{} weights", weights.len());
        }
    }

    #[test]
    fn zipf_frequencies_match_the_probabilities() {
        let pop = Popularity::Zipf { s: 1.0 };
        let chooser = KeyChooser::new(100, pop);
        let p = KeyChooser::probabilities(100, pop);
        let mut rng = RandomStreams::new(1).stream(0);
        let n = 1_000_000;
        let mut counts = vec![0u64; 100];
        for _ in 0..n {
            counts[chooser.choose(&mut rng) as usize] += 1;
        }
        for k in [0usize, 1, 9, 99] {
            let f = counts[k] as f64 / n as f64;
            let sd = (p[k] * (1.0 - p[k]) / n as f64).sqrt();
            assert!((f - p[k]).abs() < 5.0 * sd, "key {k}: {f} vs {}", p[k]);
        }
    }

    /// What `choose_distinct` did before the exact sampler existed: pure rejection.
    fn by_rejection(chooser: &KeyChooser, rng: &mut Stream, k: u32) -> Vec<u32> {
        let mut out = Vec::new();
        while out.len() < k as usize {
            let key = chooser.choose(rng);
            if !out.contains(&key) {
                out.push(key);
            }
        }
        out
    }

    #[test]
    fn quick_workloads_keep_the_draws_of_plain_rejection() {
        for (n, pop, k) in [
            (50_000, Popularity::Zipf { s: 0.9 }, 20),
            (20, Popularity::Zipf { s: 1.5 }, 1),
            (10_000, Popularity::Uniform, 1),
            (1_000, Popularity::Uniform, 1_000),
            (100, Popularity::Zipf { s: 1.0 }, 50),
        ] {
            let mut chooser = KeyChooser::new(n, pop);
            let mut a = RandomStreams::new(4).stream(2);
            let mut b = RandomStreams::new(4).stream(2);
            let mut out = Vec::new();
            for _ in 0..200 {
                chooser.choose_distinct(&mut a, k, &mut out);
                assert_eq!(out, by_rejection(&chooser, &mut b, k), "{n} {pop:?} {k}");
            }
        }
    }

    #[test]
    fn steep_popularity_with_a_large_fanout_terminates() {
        // Each of these looped for ever by rejection alone (issue 7).
        for (n, s, k) in [
            (12, 10.0, 12),
            (100_000, 10.0, 20),
            (200_000, 3.0, 1_000),
            (8_193, 10.0, 1_000),
        ] {
            let mut chooser = KeyChooser::new(n, Popularity::Zipf { s });
            let mut rng = RandomStreams::new(1).stream(0);
            let mut out = Vec::new();
            for _ in 0..20 {
                chooser.choose_distinct(&mut rng, k, &mut out);
                let mut sorted = out.clone();
                sorted.sort_unstable();
                sorted.dedup();
                assert_eq!(sorted.len(), k as usize, "{n} {s} {k}");
                assert!(sorted.iter().all(|&key| key < n));
            }
            // The mass is on the first keys, so they are always among the chosen.
            assert!(out.contains(&0) && out.contains(&1));
        }
    }

    /// Probability of drawing the ordered sequence `seq` by successive sampling from `p`.
    fn sequence_probability(p: &[f64], seq: &[u32]) -> f64 {
        let mut left = 1.0;
        let mut prob = 1.0;
        for &key in seq {
            prob *= p[key as usize] / left;
            left -= p[key as usize];
        }
        prob
    }

    #[test]
    fn the_exact_sampler_draws_successive_samples_with_the_right_probabilities() {
        let (n, k) = (6u32, 3usize);
        let pop = Popularity::Zipf { s: 2.0 };
        let chooser = KeyChooser::new(n, pop);
        let p = KeyChooser::probabilities(n, pop);
        let mut rng = RandomStreams::new(8).stream(1);
        let mut counts = std::collections::HashMap::new();
        let (mut out, mut tree) = (Vec::new(), Vec::new());
        let draws = 200_000;
        for _ in 0..draws {
            out.clear();
            chooser.table.exact.fill(&mut rng, k, &mut out, &mut tree);
            let mut distinct = out.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), k);
            *counts.entry(out.clone()).or_insert(0u64) += 1;
        }
        for (seq, count) in counts {
            let want = sequence_probability(&p, &seq);
            let f = count as f64 / draws as f64;
            let sd = (want * (1.0 - want) / draws as f64).sqrt();
            assert!((f - want).abs() < 5.0 * sd + 1e-6, "{seq:?}: {f} vs {want}");
        }
    }

    #[test]
    fn tail_draws_follow_the_weights() {
        // Keys from HEAD to n - 1: compare the frequency of the first tail key and of the first
        // 1,000 tail keys with the exact weights, for Zipf exponents around 1 and uniform.
        let n = 20_000u32;
        for pop in [
            Popularity::Zipf { s: 0.5 },
            Popularity::Zipf { s: 1.0 },
            Popularity::Zipf { s: 1.2 },
            Popularity::Zipf { s: 10.0 },
            Popularity::Uniform,
        ] {
            let chooser = KeyChooser::new(n, pop);
            let tail = chooser.table.exact.tail.expect("n > ALL_HEAD has a tail");
            let p = KeyChooser::probabilities(n, pop);
            let tail_p: f64 = p[HEAD as usize..].iter().sum();
            let first = p[HEAD as usize] / tail_p;
            let block: f64 = p[HEAD as usize..HEAD as usize + 1000].iter().sum::<f64>() / tail_p;
            let mut rng = RandomStreams::new(3).stream(0);
            let draws = 200_000;
            let (mut c_first, mut c_block) = (0u64, 0u64);
            for _ in 0..draws {
                let key = tail.draw(&mut rng);
                assert!((HEAD..n).contains(&key));
                c_first += (key == HEAD) as u64;
                c_block += (key < HEAD + 1000) as u64;
            }
            for (count, want) in [(c_first, first), (c_block, block)] {
                let f = count as f64 / draws as f64;
                let sd = (want * (1.0 - want) / draws as f64).sqrt();
                assert!((f - want).abs() < 5.0 * sd + 1e-9, "{pop:?}: {f} vs {want}");
            }
        }
    }

    #[test]
    fn head_and_tail_share_the_free_mass() {
        // With the 100 most popular keys taken, the next key is from the tail with probability
        // tail mass / free mass.
        let n = 30_000u32;
        let pop = Popularity::Zipf { s: 1.1 };
        let chooser = KeyChooser::new(n, pop);
        let p = KeyChooser::probabilities(n, pop);
        let chosen: Vec<u32> = (0..100).collect();
        let free: f64 = p[100..].iter().sum();
        let want = p[HEAD as usize..].iter().sum::<f64>() / free;
        let mut rng = RandomStreams::new(6).stream(0);
        let mut tree = Vec::new();
        let draws = 100_000;
        let mut in_tail = 0u64;
        for _ in 0..draws {
            let mut out = chosen.clone();
            chooser.table.exact.fill(&mut rng, 101, &mut out, &mut tree);
            let key = out[100];
            assert!(key >= 100);
            in_tail += (key >= HEAD) as u64;
        }
        let f = in_tail as f64 / draws as f64;
        let sd = (want * (1.0 - want) / draws as f64).sqrt();
        assert!((f - want).abs() < 5.0 * sd, "{f} vs {want}");
    }

    #[test]
    fn distinct_keys_are_distinct() {
        let mut chooser = KeyChooser::new(10, Popularity::Zipf { s: 1.2 });
        let mut rng = RandomStreams::new(1).stream(0);
        let mut out = Vec::new();
        chooser.choose_distinct(&mut rng, 10, &mut out);
        let mut sorted = out.clone();
        sorted.sort();
        assert_eq!(sorted, (0..10).collect::<Vec<u32>>());
    }

    fn process(rps: f64, changes: &[(f64, f64, f64)]) -> ArrivalProcess {
        ArrivalProcess::new(rps, changes.iter().copied())
    }

    fn count_between(p: &mut ArrivalProcess, a: f64, b: f64) -> usize {
        let mut rng = RandomStreams::new(5).stream(0);
        let mut n = 0;
        while let Some(t) = p.next(&mut rng) {
            if t >= b {
                break;
            }
            if t >= a {
                n += 1;
            }
        }
        n
    }

    #[test]
    fn counts_follow_a_step_and_a_ramp() {
        // 1000/s for 10 s, step to 5000/s at 10 s, ramp back down to 1000/s over 10 s at 20 s.
        let base = process(1000.0, &[(10.0, 5000.0, 0.0), (20.0, 1000.0, 10.0)]);
        let cases = [
            (0.0, 10.0, 10_000.0),
            (10.0, 20.0, 50_000.0),
            (20.0, 30.0, 30_000.0),
            (30.0, 40.0, 10_000.0),
        ];
        for (a, b, expected) in cases {
            let n = count_between(&mut base.clone(), a, b) as f64;
            assert!(
                (n - expected).abs() < 4.0 * expected.sqrt(),
                "[{a},{b}): {n} vs {expected}"
            );
        }
        assert_eq!(base.rate_at(25.0), 3000.0);
    }

    #[test]
    fn a_workload_stops_arriving_at_the_end_and_draws_its_fanout() {
        use crate::scenario;
        let text = "name = \"w\"\nseed = 1\nduration = \"2s\"\n[clients]\nrps = 100\nkeyspace = 50\nfanout = 3\n[db]\nslots = 1\nservice = \"1ms\"\n";
        let s = scenario::parse(text, std::path::Path::new("w.toml")).unwrap();
        let streams = RandomStreams::new(1);
        let mut w = Workload::new(
            &s.strategies[0].config,
            1,
            streams.stream(1),
            streams.stream(2),
        );
        // Driven by its own arrivals: each one draws its keys and the next arrival.
        let mut next = w.next_arrival();
        let mut n = 0;
        while let Some(at) = next {
            assert!(at < SimTime(2_000_000_000));
            n += 1;
            next = w.on_arrival();
            assert!(next.is_none_or(|t| t >= at));
            let mut keys = w.keys().to_vec();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), 3, "three distinct keys");
            assert!(keys.iter().all(|&k| k < 50));
        }
        assert!((150..250).contains(&n), "{n} arrivals");
    }

    #[test]
    fn zero_rate_ends_arrivals() {
        let mut p = process(0.0, &[]);
        let mut rng = RandomStreams::new(5).stream(0);
        assert_eq!(p.next(&mut rng), None);
        let mut p = process(100.0, &[(1.0, 0.0, 0.0)]);
        let mut last = 0.0;
        while let Some(t) = p.next(&mut rng) {
            last = t;
        }
        assert!(last < 1.0);
    }
}
