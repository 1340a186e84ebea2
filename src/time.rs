//! Simulated time as integer nanoseconds.
//!
//! Integer time never runs backwards through rounding and makes event order exact; conversion to
//! floating point happens only when reporting.
//!
//! A leaf: it imports nothing of the crate (only `std`), so every layer can speak of time without
//! depending on another. The engine re-exports it ([`crate::engine::SimTime`]), and the observation
//! vocabulary ([`crate::observe`]) uses it as its only crate import.

use std::fmt;
use std::ops::{Add, Sub};

/// A point in simulated time, in nanoseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A length of simulated time, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

/// Nanoseconds in one second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// A time later than any run can reach.
    pub const NEVER: SimTime = SimTime(u64::MAX);

    /// Seconds since the start, for reporting.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// The time `secs` seconds after the start, rounded to the nearest nanosecond.
    pub fn from_secs_f64(secs: f64) -> SimTime {
        SimTime(secs_to_nanos(secs))
    }

    /// Time elapsed since `earlier` (zero if `earlier` is later).
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A duration of whole milliseconds.
    pub const fn from_millis(ms: u64) -> SimDuration {
        SimDuration(ms * 1_000_000)
    }

    /// A duration of whole seconds.
    pub const fn from_secs(s: u64) -> SimDuration {
        SimDuration(s * NANOS_PER_SEC)
    }

    /// A duration of `secs` seconds, rounded to the nearest nanosecond (negative becomes zero).
    pub fn from_secs_f64(secs: f64) -> SimDuration {
        SimDuration(secs_to_nanos(secs))
    }

    /// The length in seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// The length in milliseconds.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1_000_000.0
    }
}

fn secs_to_nanos(secs: f64) -> u64 {
    if secs.is_nan() || secs <= 0.0 {
        0
    } else {
        let ns = secs * NANOS_PER_SEC as f64;
        if ns >= u64::MAX as f64 {
            u64::MAX
        } else {
            round_positive(ns)
        }
    }
}

/// `x.round() as u64` for `0 <= x < 2^64`, without a call into libm (one of the hot path's
/// costs: every sampled duration passes here). Exact: below 2^52 the truncation and the
/// difference `x - t` are exact, and from 2^52 on `x` is a whole number, so the difference is 0.
///
/// Below 2^63 (292 years of nanoseconds: every time a run reaches) through `i64`, which x86-64
/// converts both ways in one instruction each, where `u64` takes a dozen; the same integers,
/// since both conversions are exact or round to nearest on the same value.
#[inline(always)]
fn round_positive(x: f64) -> u64 {
    if x < 9_223_372_036_854_775_808.0 {
        let t = x as i64;
        return t as u64 + (x - t as f64 >= 0.5) as u64;
    }
    let t = x as u64;
    // Without a branch: the fraction is above or below one half at random, so a branch here
    // would be mispredicted about every other draw (fewer instructions, more time).
    t + (x - t as f64 >= 0.5) as u64
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl Sub<SimDuration> for SimTime {
    type Output = SimTime;
    fn sub(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_sub(d.0))
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

impl fmt::Display for SimDuration {
    /// Human form with the largest unit that divides the value exactly: `300s`, `5ms`, `250us`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(u64, &str); 6] = [
            (3_600 * NANOS_PER_SEC, "h"),
            (60 * NANOS_PER_SEC, "m"),
            (NANOS_PER_SEC, "s"),
            (1_000_000, "ms"),
            (1_000, "us"),
            (1, "ns"),
        ];
        if self.0 == 0 {
            return write!(f, "0s");
        }
        for (size, unit) in UNITS {
            if self.0 % size == 0 {
                return write!(f, "{}{}", self.0 / size, unit);
            }
        }
        unreachable!("every duration is a whole number of nanoseconds")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_picks_the_largest_exact_unit() {
        assert_eq!(SimDuration::from_secs(300).to_string(), "5m");
        assert_eq!(SimDuration::from_secs(90).to_string(), "90s");
        assert_eq!(SimDuration::from_millis(5).to_string(), "5ms");
        assert_eq!(SimDuration(1_500).to_string(), "1500ns");
        assert_eq!(SimDuration(0).to_string(), "0s");
    }

    #[test]
    fn float_conversion_rounds_and_clamps() {
        assert_eq!(SimDuration::from_secs_f64(0.0015).0, 1_500_000);
        assert_eq!(SimDuration::from_secs_f64(-1.0).0, 0);
        assert_eq!(SimTime::from_secs_f64(f64::NAN), SimTime::ZERO);
    }

    #[test]
    fn rounding_matches_the_standard_library() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut cases: Vec<f64> = vec![0.0, 0.49999999999999994, 0.5, 1.5, 2.5, 4503599627370495.5];
        cases.extend([(1u64 << 52) as f64, (1u64 << 53) as f64 + 2.0, 1.8e19]);
        // Both sides of 2^63, where the conversion changes from i64 to u64.
        cases.extend([9_223_372_036_854_774_784.0, 9_223_372_036_854_775_808.0]);
        for _ in 0..100_000 {
            // xorshift: values over many magnitudes, and halves.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mantissa = (x >> 11) as f64 / (1u64 << 53) as f64;
            cases.push(mantissa * 10f64.powi((x % 20) as i32));
            cases.push((x % 1_000_000) as f64 + 0.5);
        }
        for c in cases {
            assert_eq!(round_positive(c), c.round() as u64, "{c}");
        }
    }
}
