//! Key sampling: a replay keeps only the keys whose seeded hash falls below a fraction, the way
//! users of trace-driven simulators shrink a large trace. Every record of a kept key is kept,
//! so each kept key sees its whole access pattern (its popularity, gaps and writes); the load
//! and the number of keys shrink by the fraction on average.

use crate::engine::rng::splitmix64;

/// Which keys a replay keeps: those whose hash under `hash_seed` falls in the lowest
/// `fraction` of hash values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeySample {
    /// Share of keys kept, in (0, 1].
    pub fraction: f64,
    /// Seed of the hash; another seed keeps another, independent set of keys.
    pub hash_seed: u64,
}

impl KeySample {
    /// The sample of a run seeded `run_seed` for a scenario's `keys.seed`: replication `r`
    /// runs with its own seed, so each replication keeps another set of keys and the spread of
    /// replications measures the sampling error.
    pub fn for_run(fraction: f64, keys_seed: u64, run_seed: u64) -> Self {
        KeySample {
            fraction,
            hash_seed: splitmix64(run_seed ^ splitmix64(keys_seed ^ 0x6B65_7973_616D_706C)),
        }
    }

    /// Whether the trace's key `key` (its object id, or the number given to a text key in
    /// order of first appearance in the file) is kept.
    #[inline]
    pub fn keeps(&self, key: u64) -> bool {
        // The top 53 bits of a SplitMix64 hash, as a uniform number in [0, 1).
        let u = (splitmix64(key ^ self.hash_seed) >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        u < self.fraction
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_keeps_its_fraction_of_keys_and_seeds_keep_different_keys() {
        // 100,000 keys at 10%: the count is binomial, standard error about 95 keys.
        let a = KeySample::for_run(0.1, 0, 1);
        let b = KeySample::for_run(0.1, 0, 2);
        let kept_a: Vec<u64> = (0..100_000).filter(|&k| a.keeps(k)).collect();
        let kept_b = (0..100_000).filter(|&k| b.keeps(k)).count();
        assert!(
            (kept_a.len() as i64 - 10_000).abs() < 500,
            "{}",
            kept_a.len()
        );
        assert!((kept_b as i64 - 10_000).abs() < 500, "{kept_b}");
        // Independent samples share about 10% of their keys (1,000, standard error about 30).
        let both = kept_a.iter().filter(|&&k| b.keeps(k)).count();
        assert!((both as i64 - 1_000).abs() < 200, "{both}");
        // The same seed keeps the same keys; the whole fraction keeps every key.
        assert!(kept_a
            .iter()
            .all(|&k| KeySample::for_run(0.1, 0, 1).keeps(k)));
        let all = KeySample::for_run(1.0, 7, 7);
        assert!((0..1000).all(|k| all.keeps(k)));
        // Another keys.seed, another sample.
        let c = KeySample::for_run(0.1, 5, 1);
        assert!(kept_a.iter().filter(|&&k| c.keeps(k)).count() < 2_000);
    }
}
