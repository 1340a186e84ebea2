//! A bucket's latencies counted on the hot path, one plain counter per bin of the bucket's HDR
//! histogram, and folded into that histogram when the bucket closes.
//!
//! Recording into `hdrhistogram` reads the histogram's layout from memory, checks the index,
//! saturates the count and keeps a minimum, a maximum and a total for every value; here a
//! latency costs its bin index (layout constants) and one increment. The histogram's figures
//! depend only on its bins' counts (its minimum and maximum are reported as the edges of their
//! bins), so folding each occupied bin's count in at the bucket's close, under a value in that
//! bin, leaves every figure as recording each latency would have.

use hdrhistogram::Histogram;

use super::LatencyStats;

/// Sub-bins per half doubling of the histograms (three significant digits: 2,048 sub-bins, of
/// which a doubling past the first uses the upper half), as a power of two.
const HALF_MAGNITUDE: u32 = 10;

/// `hdrhistogram`'s `leading_zero_count_base` for a lowest discernible value of 1 ns and three
/// significant digits: 64 − 0 (unit magnitude) − 11 (sub-bin count magnitude).
const LEADING_ZERO_BASE: u32 = 53;

/// Values below this share the first doubling's 2,048 bins, one nanosecond each.
const SUB_BIN_MASK: u64 = (2 << HALF_MAGNITUDE) - 1;

/// Bins summed at once when a bucket closes.
const CHUNK: usize = 16;

/// The sum of a chunk of counts.
#[inline(always)]
fn chunk_sum(chunk: &[u32]) -> u64 {
    chunk.iter().map(|&n| u64::from(n)).sum()
}

/// Plain counts by bin index of a histogram made with `Histogram::new_with_bounds(1, bound, 3)`:
/// the open bucket's, and the whole run's gathered bucket by bucket.
#[derive(Clone, Debug)]
pub(super) struct LatencyCounts {
    /// The open bucket's count per bin index (as many bins as the histogram has).
    bucket: Vec<u32>,
    /// The run's count per bin index, the closed buckets' added up (when asked to).
    run: Vec<u64>,
    /// The bin a latency past the last one is counted in: the bound's, where the histogram's
    /// saturating record puts it.
    clamped: usize,
}

/// The index of the bin of `ns` in a histogram of three significant digits from 1 ns (the
/// layout of `hdrhistogram`'s `index_for`).
#[inline(always)]
fn index_of(ns: u64) -> usize {
    let doubling = LEADING_ZERO_BASE - (ns | SUB_BIN_MASK).leading_zeros();
    let sub = (ns >> doubling) as usize;
    ((doubling as usize + 1) << HALF_MAGNITUDE) + sub - (1 << HALF_MAGNITUDE)
}

/// The doubling of bin `index` (0 for the first 2,048 bins, one nanosecond wide each).
fn doubling_of(index: usize) -> u32 {
    ((index >> HALF_MAGNITUDE) as u32).saturating_sub(1)
}

/// The lowest value of bin `index` (the inverse of [`index_of`] on the bins' edges).
fn value_of(index: usize) -> u64 {
    let half = 1usize << HALF_MAGNITUDE;
    if index < 2 * half {
        return index as u64;
    }
    let sub = (index & (half - 1)) + half;
    (sub as u64) << doubling_of(index)
}

/// The highest value of bin `index` (`hdrhistogram`'s `highest_equivalent`).
fn highest_of(index: usize) -> u64 {
    value_of(index) + (1u64 << doubling_of(index)) - 1
}

impl LatencyCounts {
    /// Counts for the bins of `histogram` (made with a lowest discernible value of 1 ns and
    /// three significant digits; its counts are not read).
    pub fn for_histogram<C: hdrhistogram::Counter>(histogram: &Histogram<C>) -> Self {
        let bins = histogram.distinct_values();
        LatencyCounts {
            bucket: vec![0; bins],
            run: vec![0; bins],
            clamped: index_of(histogram.high()),
        }
    }

    /// Counts a latency of `ns` nanoseconds in the open bucket.
    #[inline(always)]
    pub fn count(&mut self, ns: u64) {
        match self.bucket.get_mut(index_of(ns)) {
            Some(c) => *c += 1,
            None => self.count_past_last_bin(),
        }
    }

    #[cold]
    fn count_past_last_bin(&mut self) {
        self.bucket[self.clamped] += 1;
    }

    /// Closes the open bucket: its figures (count, median, 95th and 99th percentiles and
    /// maximum, as the histogram of its latencies gives them; no mean, no 99.9th), its counts
    /// added to the run's when `into_run`, then cleared.
    pub fn close_bucket(&mut self, into_run: bool) -> LatencyStats {
        let (total, occupied) = self.total();
        let stats = self.bucket_stats(total, occupied);
        self.end_bucket_up_to(occupied, into_run);
        stats
    }

    /// Clears the open bucket, adding its counts to the run's when `into_run`.
    pub fn end_bucket(&mut self, into_run: bool) {
        let (_, occupied) = self.total();
        self.end_bucket_up_to(occupied, into_run);
    }

    /// The open bucket's count, and the end of its chunks that hold any: one pass of sums
    /// over chunks (vectorised).
    fn total(&self) -> (u64, usize) {
        let mut total = 0;
        let mut occupied = 0;
        for (c, chunk) in self.bucket.chunks(CHUNK).enumerate() {
            let sum = chunk_sum(chunk);
            if sum > 0 {
                total += sum;
                occupied = (c + 1) * CHUNK;
            }
        }
        (total, occupied.min(self.bucket.len()))
    }

    /// Clears the open bucket's bins below `occupied` (none above holds a count), adding them
    /// to the run's when `into_run`.
    fn end_bucket_up_to(&mut self, occupied: usize, into_run: bool) {
        let bucket = &mut self.bucket[..occupied];
        if into_run {
            for (r, b) in self.run.iter_mut().zip(bucket.iter()) {
                *r += u64::from(*b);
            }
        }
        bucket.fill(0);
    }

    /// The open bucket's figures, as `hdrhistogram`'s `value_at_quantile` and `max` give them:
    /// a quantile q is the highest value of the first bin at which the running count reaches
    /// ceil(q × count) (at least 1); the maximum the highest value of the last occupied bin,
    /// where the running count reaches the count.
    fn bucket_stats(&self, total: u64, occupied: usize) -> LatencyStats {
        if total == 0 {
            return LatencyStats::default();
        }
        let targets =
            [0.50, 0.95, 0.99, 1.0].map(|q: f64| ((q * total as f64).ceil() as u64).max(1));
        let mut at = [0u64; 4];
        let mut q = 0;
        let mut below = 0u64;
        'chunks: for (c, chunk) in self.bucket[..occupied].chunks(CHUNK).enumerate() {
            let sum = chunk_sum(chunk);
            if below + sum < targets[q] {
                below += sum;
                continue;
            }
            for (i, &n) in chunk.iter().enumerate() {
                below += u64::from(n);
                while below >= targets[q] {
                    at[q] = highest_of(c * CHUNK + i);
                    q += 1;
                    if q == targets.len() {
                        break 'chunks;
                    }
                }
            }
        }
        let ms = |ns: u64| ns as f64 / 1e6;
        LatencyStats {
            count: total,
            mean_ms: 0.0,
            p50_ms: ms(at[0]),
            p95_ms: ms(at[1]),
            p99_ms: ms(at[2]),
            p999_ms: 0.0,
            max_ms: ms(at[3]),
        }
    }

    /// Records the run's counts into `run` (once, when the run ends), in increasing order.
    pub fn run_into(&self, run: &mut Histogram<u64>) {
        for (i, &n) in self.run.iter().enumerate() {
            if n > 0 {
                run.saturating_record_n(value_of(i), n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RandomStreams;
    use rand::Rng;

    const BOUND: u64 = 3_600_000_000_000;

    #[test]
    fn bins_are_the_histograms_bins() {
        let h = Histogram::<u32>::new_with_bounds(1, BOUND, 3).unwrap();
        let mut rng = RandomStreams::new(7).stream(1);
        let mut values: Vec<u64> = (0..5000u64).collect();
        values.extend((0..20_000).map(|_| {
            let bits = rng.random_range(0..42);
            rng.random_range(0..=(1u64 << bits))
        }));
        values.push(BOUND);
        for v in values {
            let i = index_of(v);
            assert_eq!(h.lowest_equivalent(v), value_of(i), "value {v}, bin {i}");
            assert_eq!(h.highest_equivalent(v), highest_of(i), "value {v}, bin {i}");
            assert_eq!(index_of(value_of(i)), i);
        }
        assert!(index_of(BOUND) < h.distinct_values());
    }

    /// The figures a histogram of the same latencies gives (`recorder::bucket_stats`, which
    /// the per-bucket outputs took before latencies were counted by bin).
    fn hdr_stats(h: &Histogram<u32>) -> LatencyStats {
        crate::metrics::recorder::bucket_stats(h)
    }

    #[test]
    fn counted_buckets_give_the_figures_of_every_latency_recorded() {
        let mut rng = RandomStreams::new(11).stream(2);
        let mut direct = Histogram::<u32>::new_with_bounds(1, BOUND, 3).unwrap();
        let mut run_direct = Histogram::<u64>::new_with_bounds(1, BOUND, 3).unwrap();
        let mut counts = LatencyCounts::for_histogram(&direct);
        // Buckets of 1 to 20,000 latencies: few samples put quantiles on bin edges.
        for (round, n) in [1usize, 2, 3, 7, 100, 20_000, 0, 5].into_iter().enumerate() {
            for _ in 0..n {
                // Log-uniform from 1 ns to about 1,000 s, a few exact small values, and a
                // few past the bound (clamped).
                let u: f64 = rng.random();
                let ns = if u < 0.1 {
                    rng.random_range(0..100)
                } else if u < 0.101 {
                    BOUND * 3
                } else {
                    (rng.random::<f64>() * 27.6).exp() as u64
                };
                direct.saturating_record(ns);
                run_direct.saturating_record(ns);
                counts.count(ns);
            }
            let stats = counts.close_bucket(true);
            assert_eq!(stats, hdr_stats(&direct), "bucket {round} of {n}");
            direct.reset();
        }
        assert!(counts.bucket.iter().all(|&c| c == 0), "cleared");
        let mut run = Histogram::<u64>::new_with_bounds(1, BOUND, 3).unwrap();
        counts.run_into(&mut run);
        assert_eq!(run.len(), run_direct.len());
        assert_eq!(
            (run.max(), run.mean()),
            (run_direct.max(), run_direct.mean())
        );
        for q in [0.5, 0.99, 0.999] {
            assert_eq!(run.value_at_quantile(q), run_direct.value_at_quantile(q));
        }
        let bins = |h: &Histogram<u64>| {
            h.iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect::<Vec<_>>()
        };
        assert_eq!(bins(&run), bins(&run_direct));
    }

    #[test]
    fn a_bucket_left_out_of_the_run_is_only_cleared() {
        let h = Histogram::<u32>::new_with_bounds(1, BOUND, 3).unwrap();
        let mut counts = LatencyCounts::for_histogram(&h);
        counts.count(5_000);
        counts.end_bucket(false);
        counts.count(7_000);
        assert_eq!(counts.close_bucket(true).count, 1);
        let mut run = Histogram::<u64>::new_with_bounds(1, BOUND, 3).unwrap();
        counts.run_into(&mut run);
        assert_eq!((run.len(), run.min()), (1, 7_000));
    }
}
