//! Fitting a synthetic workload to a trace: its read rate over time, its keys, a Zipf
//! exponent for their popularity (by maximum likelihood, with how well it fits), its write
//! share, sizes and TTLs. Pure statistics over one streaming pass; [`crate::workflow::fit`]
//! turns the result into a scenario. The keys a trace never shows are estimated in
//! [`keyspace`].

use std::path::Path;

pub mod keyspace;

use super::{Format, Op, Replay, TraceError, Window};

/// Seconds of the finest rate profile kept while reading (buckets are whole multiples).
const SECOND_NS: u64 = 1_000_000_000;

/// What one pass over a trace measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// Reads in each second of the trace, from its first record.
    pub reads_per_s: Vec<u64>,
    /// Reads.
    pub reads: u64,
    /// Writes (sets and deletes; sets within the fill window of a read of their key dropped).
    pub writes: u64,
    /// Reads of each key, by key in order of first appearance.
    pub key_reads: Vec<u64>,
    /// Nanoseconds from the first record to the last.
    pub span_ns: u64,
    /// Mean size of the records that give one, bytes (`None`: none does).
    pub mean_size_bytes: Option<f64>,
    /// The TTL most records that give one carry, seconds (`None`: none does).
    pub common_ttl_s: Option<u32>,
}

/// Reads `path` of `format` once, whole, dropping sets within `fill_window_ns` of a read of
/// their key (look-aside fills), as a replay does.
pub fn profile(
    path: &Path,
    format: &Format,
    fill_window_ns: Option<u64>,
    max_keys: u32,
) -> Result<Profile, TraceError> {
    let window = Window {
        fill_window_ns,
        ..Window::whole(max_keys)
    };
    let mut replay = Replay::open(path, format, window)?;
    let mut p = Profile {
        reads_per_s: Vec::new(),
        reads: 0,
        writes: 0,
        key_reads: Vec::new(),
        span_ns: 0,
        mean_size_bytes: None,
        common_ttl_s: None,
    };
    let (mut size_sum, mut sized) = (0f64, 0u64);
    // TTLs seen and how often (a trace has few distinct ones); sorted by TTL.
    let mut ttls: Vec<(u32, u64)> = Vec::new();
    while let Some(r) = replay.next_record()? {
        p.span_ns = r.at_ns;
        if r.key as usize >= p.key_reads.len() {
            p.key_reads.resize(r.key as usize + 1, 0);
        }
        if r.size_bytes > 0 {
            size_sum += r.size_bytes as f64;
            sized += 1;
        }
        if r.ttl_s > 0 && ttls.len() < 4096 {
            match ttls.binary_search_by_key(&r.ttl_s, |t| t.0) {
                Ok(i) => ttls[i].1 += 1,
                Err(i) => ttls.insert(i, (r.ttl_s, 1)),
            }
        }
        if r.op != Op::Get {
            p.writes += 1;
            continue;
        }
        p.reads += 1;
        p.key_reads[r.key as usize] += 1;
        let second = (r.at_ns / SECOND_NS) as usize;
        if second >= p.reads_per_s.len() {
            p.reads_per_s.resize(second + 1, 0);
        }
        p.reads_per_s[second] += 1;
    }
    if p.reads == 0 {
        return Err(TraceError {
            file: path.to_path_buf(),
            at: String::new(),
            field: String::new(),
            message: if p.writes == 0 {
                "has no record".into()
            } else {
                "has no read (get): there is no read rate or popularity to fit".into()
            },
        });
    }
    p.mean_size_bytes = (sized > 0).then(|| size_sum / sized as f64);
    // The most frequent TTL; the smaller one on a tie.
    p.common_ttl_s = ttls
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|t| t.0);
    Ok(p)
}

impl Profile {
    /// The read rate of each bucket of `bucket_s` seconds, per second; the last bucket's
    /// rate is over its whole width.
    pub fn rates(&self, bucket_s: u64) -> Vec<f64> {
        self.reads_per_s
            .chunks(bucket_s.max(1) as usize)
            .map(|c| c.iter().sum::<u64>() as f64 / bucket_s.max(1) as f64)
            .collect()
    }

    /// Mean reads per second over the span (at least 1 s).
    pub fn mean_read_rate(&self) -> f64 {
        self.reads as f64 / (self.span_ns as f64 / 1e9).max(1.0)
    }

    /// Share of operations that are writes.
    pub fn write_share(&self) -> f64 {
        self.writes as f64 / (self.reads + self.writes) as f64
    }
}

/// A Zipf law fitted to key popularity: key of rank `r` (1 = most read) of `keys` is read
/// with probability `r^-s / H(keys, s)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ZipfFit {
    /// The exponent.
    pub s: f64,
    /// Keys ranked (those read at least once).
    pub keys: u32,
    /// R² of log(reads) against the fitted law's log(expected reads), over ranks: 1 is a
    /// perfect straight line on a log-log rank-frequency plot.
    pub r_squared: f64,
    /// Share of reads the law puts on other keys than the trace does: half the sum over ranks
    /// of |observed share - fitted share| (0: a perfect fit; the traffic the fit misses).
    pub missed_share: f64,
    /// Share of reads the next read would make of a key the trace never showed, by
    /// Good–Turing: keys read once over reads. What a short trace cannot show of the
    /// popularity: the fitted law has only the keys read, so it hits more than the traffic
    /// would in a cache that holds most of them.
    pub unseen_share: f64,
}

/// The largest exponent searched.
const MAX_S: f64 = 10.0;

/// Fits a Zipf law by maximum likelihood to per-key read counts (in any order; keys never read
/// are left out). The log-likelihood, `-s Σ c_r ln r - N ln H(n, s)`, is concave in `s`, so
/// the zero of its derivative is found by bisection. `None` when no key was read.
pub fn fit_zipf(counts: &[u64]) -> Option<ZipfFit> {
    let mut ranked: Vec<u64> = counts.iter().copied().filter(|&c| c > 0).collect();
    if ranked.is_empty() {
        return None;
    }
    ranked.sort_unstable_by(|a, b| b.cmp(a));
    let n = ranked.len();
    let total: f64 = ranked.iter().map(|&c| c as f64).sum();
    let ln_rank: Vec<f64> = (1..=n).map(|r| (r as f64).ln()).collect();
    let observed_mean_ln: f64 = ranked
        .iter()
        .zip(&ln_rank)
        .map(|(&c, l)| c as f64 * l)
        .sum::<f64>()
        / total;
    // d/ds of the log-likelihood over N: E_s[ln r] - mean observed ln r, falling in s.
    let slope = |s: f64| {
        let (mut h, mut m) = (0.0, 0.0);
        for l in &ln_rank {
            let w = (-s * l).exp();
            h += w;
            m += w * l;
        }
        m / h - observed_mean_ln
    };
    let s = if n == 1 || slope(0.0) <= 0.0 {
        0.0
    } else if slope(MAX_S) >= 0.0 {
        MAX_S
    } else {
        let (mut lo, mut hi) = (0.0, MAX_S);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if slope(mid) > 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    };
    let h: f64 = ln_rank.iter().map(|l| (-s * l).exp()).sum();
    let (mut missed, mut ss_res, mut sum_ln, mut sum_ln2) = (0.0, 0.0, 0.0, 0.0);
    for (&c, l) in ranked.iter().zip(&ln_rank) {
        let p = (-s * l).exp() / h;
        missed += (c as f64 / total - p).abs();
        let ln_c = (c as f64).ln();
        ss_res += (ln_c - (total * p).ln()).powi(2);
        sum_ln += ln_c;
        sum_ln2 += ln_c * ln_c;
    }
    let ss_tot = sum_ln2 - sum_ln * sum_ln / n as f64;
    let once = ranked.iter().filter(|&&c| c == 1).count();
    Some(ZipfFit {
        s,
        keys: n as u32,
        r_squared: if ss_tot > 0.0 {
            1.0 - ss_res / ss_tot
        } else {
            1.0
        },
        missed_share: missed / 2.0,
        unseen_share: once as f64 / total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Reads of each of `keys` keys (rank order) in `draws` draws of Zipf `s`.
    pub(super) fn zipf_counts(keys: usize, s: f64, draws: usize, seed: u64) -> Vec<u64> {
        let w: Vec<f64> = (1..=keys).map(|r| (r as f64).powf(-s)).collect();
        let total: f64 = w.iter().sum();
        let mut cdf = Vec::with_capacity(keys);
        let mut acc = 0.0;
        for x in &w {
            acc += x / total;
            cdf.push(acc);
        }
        let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
        let mut counts = vec![0u64; keys];
        for _ in 0..draws {
            let u: f64 = rng.random();
            counts[cdf.partition_point(|&c| c < u).min(keys - 1)] += 1;
        }
        counts
    }

    #[test]
    fn good_turing_estimates_the_reads_of_keys_a_short_trace_never_shows() {
        // 40,000 reads of Zipf 0.9 over 20,000 keys show about half of them; the keys never
        // read carry a known share of the popularity, which keys read once estimate (its
        // standard error here is about 0.003).
        let (keys, s) = (20_000usize, 0.9);
        let counts = zipf_counts(keys, s, 40_000, 8);
        let w: Vec<f64> = (1..=keys).map(|r| (r as f64).powf(-s)).collect();
        let total: f64 = w.iter().sum();
        let unseen: f64 = counts
            .iter()
            .zip(&w)
            .filter(|(&c, _)| c == 0)
            .map(|(_, x)| x / total)
            .sum();
        let f = fit_zipf(&counts).unwrap();
        assert!(unseen > 0.1, "the trace is short: {unseen}");
        assert!((f.unseen_share - unseen).abs() < 0.012, "{f:?} vs {unseen}");
    }

    #[test]
    fn the_fit_recovers_zipf_exponents_and_says_how_well_it_fits() {
        for s in [0.6, 0.9, 1.2] {
            let f = fit_zipf(&zipf_counts(1000, s, 200_000, 5)).unwrap();
            assert!((f.s - s).abs() < 0.03, "s {s}: fitted {}", f.s);
            assert!(f.missed_share < 0.03, "{f:?}");
            assert!(f.r_squared > 0.95, "{f:?}");
        }
        // Uniform popularity fits an exponent near 0 (ranking by observed counts makes any
        // noise look like a slope: 400 reads a key, ±20, fit about 0.05).
        let f = fit_zipf(&zipf_counts(500, 0.0, 200_000, 6)).unwrap();
        assert!(f.s < 0.08, "{f:?}");
        // Two populations (half the reads on 10 keys, half spread over 1,000): no Zipf law
        // fits, and the fit says so.
        let mut two = vec![10_000u64; 10];
        two.extend(vec![100u64; 1000]);
        let f = fit_zipf(&two).unwrap();
        assert!(f.missed_share > 0.1, "{f:?}");
        assert_eq!(fit_zipf(&[0, 0]), None);
        assert_eq!(fit_zipf(&[1, 3, 1, 0]).unwrap().unseen_share, 0.4);
        assert_eq!(fit_zipf(&[5]).unwrap().s, 0.0);
    }
}
