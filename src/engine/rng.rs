//! Seeded random streams, one per purpose.
//!
//! Every draw in a run comes from a [`Stream`] derived from the run's seed and a fixed purpose
//! number, so switching a mitigation on (which draws more service times, say) never shifts the
//! arrival or key draws: every strategy sees the same workload (common random numbers).
//! The generator is PCG-64 (`rand_pcg::Pcg64Mcg`), whose output is stable across versions.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// A seeded, version-stable random generator for one purpose.
pub type Stream = Pcg64Mcg;

/// Derives independent streams from one seed.
#[derive(Clone, Copy, Debug)]
pub struct RandomStreams {
    seed: u64,
}

impl RandomStreams {
    /// Streams for the run with this seed.
    pub fn new(seed: u64) -> Self {
        RandomStreams { seed }
    }

    /// The stream for `purpose`, a small constant naming what the draws are for.
    ///
    /// Mixing uses SplitMix64, so nearby seeds and purposes give unrelated streams.
    pub fn stream(&self, purpose: u64) -> Stream {
        let a = splitmix64(self.seed ^ splitmix64(purpose.wrapping_add(0x5EED)));
        let b = splitmix64(a ^ 0xA076_1D64_78BD_642F);
        let seed128 = ((a as u128) << 64) | b as u128;
        Pcg64Mcg::from_seed(seed128.to_le_bytes())
    }
}

/// The seed of replication `r` of a run seeded `seed`: `seed` itself for the first (so one
/// replication is exactly the plain run), then seeds mixed from both. Every strategy's
/// replication `r` uses the same seed: common random numbers across strategies.
pub fn replication_seed(seed: u64, r: u32) -> u64 {
    if r == 0 {
        seed
    } else {
        splitmix64(seed ^ splitmix64(0x7E71_CA7E_u64.wrapping_add(r as u64)))
    }
}

/// SplitMix64's finaliser: a fast, well-mixed 64-bit hash.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform draw in (0, 1]: never zero, so `ln` of it is finite.
pub fn open_unit(rng: &mut Stream) -> f64 {
    // 53 random bits, shifted into (0, 1]; converted through i64 (one instruction on x86-64,
    // where u64 takes a dozen; the value is below 2^54, so the same float).
    ((rng.random::<u64>() >> 11) + 1) as i64 as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_and_purpose_give_the_same_draws() {
        let s = RandomStreams::new(7);
        let a: Vec<u64> = (0..5)
            .map(|_| 0)
            .scan(s.stream(1), |r, _| Some(r.random()))
            .collect();
        let b: Vec<u64> = (0..5)
            .map(|_| 0)
            .scan(s.stream(1), |r, _| Some(r.random()))
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn purposes_and_seeds_give_different_streams() {
        let s = RandomStreams::new(7);
        let x: u64 = s.stream(1).random();
        let y: u64 = s.stream(2).random();
        let z: u64 = RandomStreams::new(8).stream(1).random();
        assert_ne!(x, y);
        assert_ne!(x, z);
    }

    #[test]
    fn version_stable_output() {
        // Pinned values: if a dependency update changes them, every published result changes
        // with them, so this must fail loudly.
        let mut r = RandomStreams::new(42).stream(1);
        assert_eq!(r.random::<u64>(), 9_564_196_917_964_415_997);
        assert_eq!(r.random::<u64>(), 2_827_759_707_150_153_946);
        assert!(open_unit(&mut r) > 0.0);
    }
}
