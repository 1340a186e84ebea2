//! Absent keys: negative caching and a Bloom filter of the existing keys in front of the
//! database. A Bloom filter never rejects a key that exists; it lets an absent key through
//! with its false-positive rate.

/// Whether a read of a key reaches the database past a Bloom filter with false-positive rate
/// `false_positive`: always for an existing key; for an absent one, when `u` (uniform in
/// [0, 1), drawn by the caller for every absent key checked) falls below the rate.
#[inline]
pub fn admits(false_positive: f64, absent: bool, u: f64) -> bool {
    !absent || u < false_positive
}

/// Checks a false-positive rate: above 0 (a filter with none would need unbounded memory) and
/// below 1.
pub fn check_false_positive_rate(rate: f64) -> Result<f64, String> {
    if rate.is_finite() && rate > 0.0 && rate < 1.0 {
        Ok(rate)
    } else {
        Err(format!(
            "must be a probability above 0 and below 1 (0.01: one absent key in a hundred gets through), got {rate}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn existing_keys_always_pass_and_absent_ones_at_the_false_positive_rate() {
        assert!(admits(0.01, false, 0.999));
        assert!(admits(0.01, true, 0.005));
        assert!(!admits(0.01, true, 0.01));
        assert!(!admits(0.01, true, 0.5));
        assert!(check_false_positive_rate(0.01).is_ok());
        for bad in [0.0, 1.0, -0.1, f64::NAN] {
            assert!(check_false_positive_rate(bad).is_err(), "{bad}");
        }
    }
}
