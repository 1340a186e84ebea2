//! The workload: Poisson arrivals with a piecewise-linear rate, and key choice by popularity.

use rand::Rng;

use super::config::{ModelConfig, Popularity, TimelineAction};
use crate::engine::rng::{open_unit, Stream};

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
    segment: usize,
    now: f64,
}

impl ArrivalProcess {
    /// The profile of a model: its initial rate changed by its `set_rate` timeline events.
    pub fn from_config(config: &ModelConfig) -> Self {
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
            points,
            segment: 0,
            now: 0.0,
        }
    }

    /// The rate at time `t` seconds.
    pub fn rate_at(&self, t: f64) -> f64 {
        rate_at(&self.points, t)
    }

    /// Time of the next arrival in seconds, or `None` if the rate stays zero for ever.
    pub fn next(&mut self, rng: &mut Stream) -> Option<f64> {
        let mut need = -open_unit(rng).ln();
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
pub enum KeyChooser {
    /// Every key equally likely.
    Uniform(u32),
    /// Walker/Vose alias table for an arbitrary discrete distribution: O(1) per draw.
    Alias(Vec<AliasSlot>),
}

/// One column of an alias table: keep the column's own key if the draw is below `threshold`
/// (out of 2^32), else take `alias`.
#[derive(Clone, Copy, Debug)]
pub struct AliasSlot {
    threshold: u32,
    alias: u32,
}

impl KeyChooser {
    /// The chooser for `keyspace` keys with this popularity.
    pub fn new(keyspace: u32, popularity: Popularity) -> Self {
        match popularity {
            Popularity::Uniform => KeyChooser::Uniform(keyspace),
            Popularity::Zipf { s } => {
                let weights: Vec<f64> =
                    (1..=keyspace as u64).map(|i| (i as f64).powf(-s)).collect();
                KeyChooser::Alias(alias_table(&weights))
            }
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
        match self {
            KeyChooser::Uniform(n) => rng.random_range(0..*n),
            KeyChooser::Alias(table) => {
                let r: u64 = rng.random();
                let column = (((r >> 32) * table.len() as u64) >> 32) as usize;
                let slot = table[column];
                if (r as u32) < slot.threshold {
                    column as u32
                } else {
                    slot.alias
                }
            }
        }
    }

    /// Fills `out` with `k` distinct keys.
    pub fn choose_distinct(&self, rng: &mut Stream, k: u32, out: &mut Vec<u32>) {
        out.clear();
        while out.len() < k as usize {
            let key = self.choose(rng);
            if !out.contains(&key) {
                out.push(key);
            }
        }
    }
}

/// Builds a Vose alias table for `weights` (all > 0).
fn alias_table(weights: &[f64]) -> Vec<AliasSlot> {
    let n = weights.len();
    let total: f64 = weights.iter().sum();
    let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
    let mut table = vec![
        AliasSlot {
            threshold: u32::MAX,
            alias: 0
        };
        n
    ];
    let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| scaled[i] < 1.0);
    while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
        table[s] = AliasSlot {
            threshold: (scaled[s] * 4_294_967_296.0).min(u32::MAX as f64) as u32,
            alias: l as u32,
        };
        scaled[l] -= 1.0 - scaled[s];
        if scaled[l] < 1.0 {
            large.pop();
            small.push(l);
        }
    }
    // Whatever is left has probability 1 up to rounding: always keep its own key.
    for i in small.into_iter().chain(large) {
        table[i] = AliasSlot {
            threshold: u32::MAX,
            alias: i as u32,
        };
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RandomStreams;

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

    #[test]
    fn distinct_keys_are_distinct() {
        let chooser = KeyChooser::new(10, Popularity::Zipf { s: 1.2 });
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
