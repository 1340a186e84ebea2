//! Closed forms from queueing and caching theory that the simulator is checked against.

/// Erlang C: probability that an arrival waits in an M/M/c queue with offered load `a = λ/μ`
/// (in Erlangs) and `c` servers. Requires `a < c`.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    // Erlang B by its stable recurrence, then C from B.
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    let rho = a / c as f64;
    b / (1.0 - rho + rho * b)
}

/// Mean time in queue (before service) of an M/M/c queue, in the unit of `1/mu`.
pub fn mmc_mean_wait(c: u32, lambda: f64, mu: f64) -> f64 {
    let a = lambda / mu;
    erlang_c(c, a) / (c as f64 * mu - lambda)
}

/// Hit ratio of one key read as a Poisson stream at `rate` per second, cached for `ttl_s`
/// seconds from each miss (fill time negligible): λT / (1 + λT).
pub fn ttl_hit_ratio(rate: f64, ttl_s: f64) -> f64 {
    let x = rate * ttl_s;
    x / (1.0 + x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_known_values() {
        // M/M/1: P(wait) = ρ.
        assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12);
        // A textbook value: c = 2, a = 1 gives 1/3.
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        // M/M/1 mean wait: ρ / (μ - λ).
        assert!((mmc_mean_wait(1, 0.5, 1.0) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn ttl_hit_ratio_limits() {
        assert_eq!(ttl_hit_ratio(1.0, 1.0), 0.5);
        assert!(ttl_hit_ratio(1000.0, 10.0) > 0.9999);
    }
}
