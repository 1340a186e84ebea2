//! Writes `scenarios/traces/shop.csv.zst`, the small trace `scenarios/trace-replay.toml`
//! replays: five minutes of a shop's cache reads rising to a peak and falling back, with sets
//! and deletes. Deterministic (seeded PCG, fixed parameters): regenerate it with
//!
//! ```text
//! cargo run --release --example shop_trace
//! ```
//!
//! Columns `t_ms,key,op`: milliseconds from the start, `i<N>` keys, `get`, `set` or
//! `delete`. Reads arrive as a Poisson process whose rate rises linearly from 80 to 180 a
//! second over the first 150 s and falls back over the next 150 s; keys are Zipf(0.9) over
//! 20,000 items; one record in fifty is a set and one in five hundred a delete, on keys drawn
//! from the same popularity.

#[path = "common/zipf.rs"]
mod zipf;

use rand::{Rng, SeedableRng};
use std::io::Write;

const SECONDS: f64 = 300.0;
const KEYS: usize = 20_000;
const ZIPF_S: f64 = 0.9;

fn rate(t: f64) -> f64 {
    let peak = SECONDS / 2.0;
    80.0 + 100.0 * (1.0 - (t - peak).abs() / peak)
}

fn main() -> std::io::Result<()> {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(2021);
    let cdf = zipf::cdf(KEYS, ZIPF_S);
    // Item numbers in a shuffled order, so key names do not give their popularity away.
    let mut names: Vec<u32> = (0..KEYS as u32).collect();
    for i in (1..KEYS).rev() {
        names.swap(i, rng.random_range(0..=i));
    }
    let mut text = String::from("t_ms,key,op\n");
    // Thinning: candidate arrivals at the peak rate, each kept with probability rate(t)/peak.
    let peak = 180.0;
    let mut t = 0.0f64;
    loop {
        let u: f64 = rng.random();
        t += -(1.0 - u).ln() / peak;
        if t >= SECONDS {
            break;
        }
        let keep: f64 = rng.random();
        let v: f64 = rng.random();
        let op: f64 = rng.random();
        if keep >= rate(t) / peak {
            continue;
        }
        let rank = zipf::rank(&cdf, v);
        let op = if op < 0.002 {
            "delete"
        } else if op < 0.022 {
            "set"
        } else {
            "get"
        };
        text.push_str(&format!("{},i{},{op}\n", (t * 1e3) as u64, names[rank]));
    }
    let z = ruzstd::encoding::compress_to_vec(
        text.as_bytes(),
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/traces/shop.csv.zst");
    std::fs::File::create(path)?.write_all(&z)?;
    println!("wrote {path}: {} bytes ({} of CSV)", z.len(), text.len());
    Ok(())
}
