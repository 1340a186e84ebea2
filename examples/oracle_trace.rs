//! Writes a large libCacheSim `oracleGeneral` trace to standard output, for measuring how fast
//! and in how much memory cachestorm replays one (the README's trace section). Deterministic
//! (seeded PCG, fixed parameters); not shipped (100 million records are 2.4 GB before
//! compression). Compress it with the zstd tool:
//!
//! ```text
//! cargo run --release --example oracle_trace -- 100000000 | zstd -T1 -3 -o /tmp/big.oracleGeneral.zst
//! ```
//!
//! RECORDS records (default 10 million) of reads arriving as a Poisson process at 20,000 a
//! second (times in whole seconds, as the format has them), keys drawn Zipf(0.9) over 1 million
//! objects whose ids are hashed (sparse 64-bit numbers, as in the published traces), sizes of
//! 100 to 1,099 bytes fixed per object, next access time -1 (cachestorm does not read it).

#[path = "common/zipf.rs"]
mod zipf;

use rand::{Rng, SeedableRng};
use std::io::Write;

const KEYS: usize = 1_000_000;
const ZIPF_S: f64 = 0.9;
const RATE_PER_S: f64 = 20_000.0;

/// SplitMix64's finaliser, to turn an object's rank into a sparse id.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn main() -> std::io::Result<()> {
    let records: u64 = match std::env::args().nth(1) {
        None => 10_000_000,
        Some(a) => a.parse().map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("RECORDS must be a whole number, got `{a}`"),
            )
        })?,
    };
    let mut rng = rand_pcg::Pcg64::seed_from_u64(100);
    let cdf = zipf::cdf(KEYS, ZIPF_S);
    let out = std::io::stdout().lock();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
    let mut t = 0.0f64;
    for _ in 0..records {
        let u: f64 = rng.random();
        t += -(1.0 - u).ln() / RATE_PER_S;
        let v: f64 = rng.random();
        let rank = zipf::rank(&cdf, v) as u64;
        let id = mix(rank);
        let size = 100 + (id % 1000) as u32;
        let mut record = [0u8; 24];
        record[0..4].copy_from_slice(&(t as u32).to_le_bytes());
        record[4..12].copy_from_slice(&id.to_le_bytes());
        record[12..16].copy_from_slice(&size.to_le_bytes());
        record[16..24].copy_from_slice(&(-1i64).to_le_bytes());
        out.write_all(&record)?;
    }
    out.flush()
}
