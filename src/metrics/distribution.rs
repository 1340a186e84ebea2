//! The whole run's latency distribution, kept in the results for the report's latency CDF.
//!
//! The recorder's own histogram of the run (three significant digits up to an hour) holds some
//! 30,000 counters, too many to keep per strategy and replication in a sweep's results. At the
//! run's end it is folded once into a [`LatencyHistogram`]: log-linear bins, 32 per doubling
//! (each bin at most 1/32 = 3.1% wide, exact below 64 ns), of which only the occupied are kept
//! (a few hundred for a run). The bins are integer ranges of nanoseconds, so folding and merging
//! are exact and need no floating point, and the recorder's buckets nest in them (below 2,048 ns
//! it counts each nanosecond; above, its buckets are 1/1,024 of a doubling wide), so a latency
//! lands in the bin of its exact value. Nothing is added on the hot path.

/// Bins per doubling, as a power of two: 2^5 = 32.
const SUB_BITS: u32 = 5;

/// Bins per doubling.
const SUB: u64 = 1 << SUB_BITS;

/// Latencies of a run in log-linear bins of nanoseconds: only the occupied bins, in increasing
/// order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LatencyHistogram {
    /// (bin index, count), count above 0, indexes increasing.
    bins: Vec<(u32, u64)>,
}

/// The bin of a latency of `ns` nanoseconds.
fn bin_of(ns: u64) -> u32 {
    if ns < SUB {
        return ns as u32;
    }
    let e = 63 - ns.leading_zeros(); // ns lies in [2^e, 2^(e+1)), e >= SUB_BITS
    let k = e + 1 - SUB_BITS;
    (k << SUB_BITS) | ((ns >> (e - SUB_BITS)) & (SUB - 1)) as u32
}

/// The nanoseconds of bin `b`: `[low, high)`.
fn bin_range(b: u32) -> (u64, u64) {
    let (k, m) = (b >> SUB_BITS, u64::from(b) & (SUB - 1));
    if k == 0 {
        (m, m + 1)
    } else {
        ((SUB + m) << (k - 1), (SUB + m + 1) << (k - 1))
    }
}

impl LatencyHistogram {
    /// Counts `count` latencies of `ns` nanoseconds. Latencies given in increasing order (as a
    /// histogram's iteration gives them) are appended; others are inserted in place.
    pub fn record_n(&mut self, ns: u64, count: u64) {
        if count == 0 {
            return;
        }
        let b = bin_of(ns);
        match self.bins.last_mut() {
            Some(last) if last.0 == b => last.1 += count,
            Some(last) if last.0 > b => match self.bins.binary_search_by_key(&b, |e| e.0) {
                Ok(i) => self.bins[i].1 += count,
                Err(i) => self.bins.insert(i, (b, count)),
            },
            _ => self.bins.push((b, count)),
        }
    }

    /// The latencies of an HDR histogram of nanoseconds.
    pub fn of_hdr<C: hdrhistogram::Counter>(h: &hdrhistogram::Histogram<C>) -> Self {
        let mut out = Self::default();
        for v in h.iter_recorded() {
            out.record_n(v.value_iterated_to(), v.count_at_value().as_u64());
        }
        out
    }

    /// Adds the latencies of `other` (another replication's, for the merged distribution).
    pub fn add(&mut self, other: &LatencyHistogram) {
        let (x, y) = (&self.bins, &other.bins);
        let mut merged = Vec::with_capacity(x.len().max(y.len()));
        let (mut i, mut j) = (0, 0);
        while i < x.len() || j < y.len() {
            if j == y.len() || (i < x.len() && x[i].0 < y[j].0) {
                merged.push(x[i]);
                i += 1;
            } else if i == x.len() || y[j].0 < x[i].0 {
                merged.push(y[j]);
                j += 1;
            } else {
                merged.push((x[i].0, x[i].1 + y[j].1));
                i += 1;
                j += 1;
            }
        }
        self.bins = merged;
    }

    /// Number of latencies counted.
    pub fn count(&self) -> u64 {
        self.bins.iter().map(|b| b.1).sum()
    }

    /// The cumulative distribution: per occupied bin, in increasing order, (the bin's highest
    /// latency, ms; the share of latencies at or below it, 0–1). The last share is 1. Empty
    /// when nothing was counted.
    pub fn cdf(&self) -> Vec<(f64, f64)> {
        let total = self.count();
        let mut below = 0u64;
        self.bins
            .iter()
            .map(|&(b, n)| {
                below += n;
                let high = bin_range(b).1 - 1;
                (high as f64 / 1e6, below as f64 / total as f64)
            })
            .collect()
    }

    /// The latency at or below which a share `q` (0–1) of the latencies lie, ms: the highest
    /// latency of the first bin whose cumulative share reaches `q` (at most 3.1% above the
    /// exact quantile). `None` when nothing was counted.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        // The rank reached, as the HDR histogram counts it: at least one latency.
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut below = 0u64;
        for &(b, n) in &self.bins {
            below += n;
            if below >= rank {
                return Some((bin_range(b).1 - 1) as f64 / 1e6);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_tile_the_nanoseconds_and_are_at_most_a_32nd_of_a_doubling_wide() {
        let mut expected_low = 0u64;
        for b in 0..(40 << SUB_BITS) {
            let (low, high) = bin_range(b);
            assert_eq!(low, expected_low, "bin {b} starts where the last ended");
            assert!(high > low);
            assert!(
                (high - low) as f64 <= (low as f64 / 32.0).max(1.0),
                "bin {b}"
            );
            assert_eq!(bin_of(low), b);
            assert_eq!(bin_of(high - 1), b);
            expected_low = high;
        }
        assert_eq!(bin_of(u64::MAX) >> SUB_BITS, 64 - SUB_BITS);
    }

    #[test]
    fn the_cdf_of_a_known_histogram() {
        // 1 ms ×90, 10 ms ×9, 100 ms ×1: 90%, 99%, 100%.
        let mut h = LatencyHistogram::default();
        h.record_n(1_000_000, 90);
        h.record_n(10_000_000, 9);
        h.record_n(100_000_000, 1);
        let cdf = h.cdf();
        assert_eq!(cdf.len(), 3);
        let shares: Vec<f64> = cdf.iter().map(|p| p.1).collect();
        assert_eq!(shares, vec![0.9, 0.99, 1.0]);
        for ((ms, _), exact) in cdf.iter().zip([1.0, 10.0, 100.0]) {
            assert!(
                *ms >= exact && *ms <= exact * (1.0 + 1.0 / 32.0),
                "{ms} for {exact}"
            );
        }
        let p = |q| h.quantile_ms(q).unwrap();
        assert!(p(0.5) < 1.04 && p(0.9) < 1.04);
        assert!(p(0.95) >= 10.0 && p(0.99) < 10.4);
        assert!(p(0.995) >= 100.0 && p(1.0) < 104.0);
        assert_eq!(LatencyHistogram::default().quantile_ms(0.5), None);
        assert!(LatencyHistogram::default().cdf().is_empty());
    }

    #[test]
    fn folding_an_hdr_histogram_keeps_its_count_and_its_quantiles_within_a_bin() {
        let mut hdr =
            hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3).unwrap();
        // A log-normal-like spread from 50 µs to 2 s, deterministic.
        let mut x = 12345u64;
        for _ in 0..20_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (x >> 11) as f64 / (1u64 << 53) as f64;
            hdr.record((50_000.0 * 40_000f64.powf(u * u)) as u64)
                .unwrap();
        }
        let h = LatencyHistogram::of_hdr(&hdr);
        assert_eq!(h.count(), hdr.len());
        for q in [0.5, 0.9, 0.99, 0.999] {
            let exact = hdr.value_at_quantile(q) as f64 / 1e6;
            let ours = h.quantile_ms(q).unwrap();
            assert!(
                ours >= exact * 0.999 && ours <= exact * (1.0 + 1.0 / 32.0) * 1.001,
                "q {q}: {ours} against {exact}"
            );
        }
    }

    #[test]
    fn merging_adds_counts_bin_by_bin_in_any_order() {
        let mut a = LatencyHistogram::default();
        a.record_n(5, 2);
        a.record_n(1_000, 1);
        a.record_n(1_000_000, 4);
        let mut b = LatencyHistogram::default();
        b.record_n(1_000, 3);
        b.record_n(2_000_000, 1);
        let mut ab = a.clone();
        ab.add(&b);
        let mut ba = b.clone();
        ba.add(&a);
        assert_eq!(ab, ba);
        assert_eq!(ab.count(), 11);
        // Recorded one by one, out of order, the same.
        let mut direct = LatencyHistogram::default();
        for (ns, n) in [(2_000_000, 1), (1_000, 4), (5, 2), (1_000_000, 4)] {
            direct.record_n(ns, n);
        }
        assert_eq!(direct, ab);
    }
}
