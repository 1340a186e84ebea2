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

/// Share of reads answered with an outdated value (a version older than the one committed in
/// the database) for one key read as a Poisson stream at `read_rate` per second and written as
/// an independent Poisson stream at `write_rate` per second, when writes do nothing to the
/// cache (TTL only) and each miss caches what it read for `ttl_s` seconds (set on miss, cache
/// and database time negligible):
///
/// ```text
///            λT − (λ/μ)(1 − e^(−μT))
/// ratio  =  ─────────────────────────      λ = read_rate, μ = write_rate, T = ttl_s
///                    1 + λT
/// ```
///
/// Derivation (renewal-reward). A cycle starts with a miss: that read goes to the database,
/// gets the version committed at that moment, so it is served fresh, and caches it for T. Each
/// of the reads in (0, T), λT of them on average, is served that cached version, which is
/// outdated if at least one write has committed since the miss: probability 1 − e^(−μt) for a
/// read at t. After T the entry has expired and the next read (an exponential wait away, with
/// no reads counted meanwhile) is the miss that starts the next cycle. Per cycle, the reads
/// served are 1 + λT on average (the miss is a served read too) and the outdated ones
/// ∫₀ᵀ λ(1 − e^(−μt)) dt = λT − (λ/μ)(1 − e^(−μT)); the long-run ratio is the ratio of the
/// two means. Limits: no writes (μ → 0) gives 0; a write between any two reads (μ → ∞) makes
/// every hit outdated, λT/(1+λT), the TTL hit ratio.
pub fn ttl_outdated_read_ratio(read_rate: f64, write_rate: f64, ttl_s: f64) -> f64 {
    let (lambda, mu, t) = (read_rate, write_rate, ttl_s);
    if mu <= 0.0 {
        return 0.0;
    }
    // λT − (λ/μ)(1 − e^(−μT)) = (λ/μ)·(x − 1 + e^(−x)) with x = μT.
    (lambda / mu) * x_minus_1_plus_exp_minus_x(mu * t) / (1.0 + lambda * t)
}

/// x − 1 + e^(−x), without the cancellation of its terms for small x: below x = 1e-3 its
/// series x²/2 − x³/6 + x⁴/24 (next term x⁵/120, under 1e-11 of the sum) is used.
fn x_minus_1_plus_exp_minus_x(x: f64) -> f64 {
    if x < 1e-3 {
        x * x * (0.5 - x / 6.0 + x * x / 24.0)
    } else {
        x + (-x).exp_m1()
    }
}

/// Database queries per second for absent keys under negative caching: `absent_keys` ids (M),
/// each read as a Poisson stream at `read_rate` per second (λ, the same for every id: uniform
/// absent keys), with "not found" cached for `ttl_s` seconds (T) from each miss (cache and
/// database time negligible):
///
/// ```text
///              λ                          λT ≫ 1       M
/// rate  =  M ──────  =  M / (T + 1/λ)       ───→      ───
///           1 + λT                                     T
/// ```
///
/// Derivation (renewal). Each id repeats one cycle: a read misses and queries the database,
/// whose "not found" is cached for T; reads during T are negative hits; after T the next read
/// (an exponential wait of mean 1/λ away, by memorylessness) is the next miss. One query per
/// cycle of mean length T + 1/λ, and the ids are independent. When each id is read many times
/// per TTL the rate tends to M/T, one query per distinct absent key per negative TTL: negative
/// caching bounds the load by the number of distinct ids, and does nothing against ids that
/// are never asked twice within T (λT → 0 gives M·λ, every read). Without negative caching
/// (T = 0) every read queries: M·λ.
///
/// The rate is that of the stationary process; for a run from an empty cache see
/// [`negative_cache_cold_start_queries`].
pub fn negative_cache_absent_query_rate(absent_keys: f64, read_rate: f64, ttl_s: f64) -> f64 {
    absent_keys * read_rate / (1.0 + read_rate * ttl_s)
}

/// The extra database queries for absent keys that a run starting with an empty cache makes
/// over a long run, beyond the stationary rate times its duration (see
/// [`negative_cache_absent_query_rate`]): M·(λT/(1+λT))²/2.
///
/// From an empty cache, each id's first query comes after an exponential wait (1/λ), not a
/// whole cycle (T + 1/λ): its queries are a delayed renewal process, whose expected count by
/// time D is D/μ + (σ² + μ²)/(2μ²) − E[first]/μ + o(1), with μ = T + 1/λ, σ = 1/λ and
/// E[first] = 1/λ; with a = 1/(λμ) = 1/(1+λT) the constant is (1 − a)²/2. The o(1) term is a
/// damped oscillation of period about μ (its ratio per cycle is 1/√(1 + (2πa)²)), so after a
/// few dozen cycles per id it is negligible (under 1e-4 per id after 200 cycles at λT = 20,
/// checked against the exact sum Σₙ P(Gamma(n, λ) ≤ D − (n−1)T)).
pub fn negative_cache_cold_start_queries(absent_keys: f64, read_rate: f64, ttl_s: f64) -> f64 {
    let hit = ttl_hit_ratio(read_rate, ttl_s);
    absent_keys * hit * hit / 2.0
}

/// Expected database queries when one key expires under Poisson reads at `rate` per second and
/// its rebuild takes `rebuild_s` seconds, with no protection: the first miss plus every read
/// that arrives while the rebuild runs, 1 + rate·Δ.
pub fn herd_size(rate: f64, rebuild_s: f64) -> f64 {
    1.0 + rate * rebuild_s
}

/// XFetch (Vattani et al., VLDB 2015): probability that no read recomputes before expiry, for
/// Poisson reads at `rate`, recompute time `delta_s` and eagerness `beta`: exp(-rate·Δ·β).
///
/// A read at time s before expiry recomputes with probability exp(-s / (Δβ)), so early
/// recomputes form a Poisson process of intensity rate·exp(-s/(Δβ)), whose total mass is rate·Δ·β.
pub fn xfetch_p_no_early(rate: f64, delta_s: f64, beta: f64) -> f64 {
    (-rate * delta_s * beta).exp()
}

/// XFetch: expected recomputes (database queries) per expiry cycle, under the same model.
///
/// With no early recompute, the cycle ends in an ordinary herd of 1 + rate·Δ. Otherwise the
/// first early recompute starts at s before expiry and, while it runs (for Δ), every read
/// recomputes too with probability exp(-s'/(Δβ)), or 1 once the value has expired. Integrated
/// numerically over the density of the first recompute.
pub fn xfetch_expected_recomputes(rate: f64, delta_s: f64, beta: f64) -> f64 {
    let scale = delta_s * beta;
    let lambda = |s: f64| rate * (-s / scale).exp();
    // Expected extra recomputes while the first one (started at s) runs.
    let extra = |s: f64| {
        let lo = (s - delta_s).max(0.0);
        let before_expiry = rate * scale * ((-lo / scale).exp() - (-s / scale).exp());
        let after_expiry = rate * (delta_s - s).max(0.0);
        before_expiry + after_expiry
    };
    let upper = scale * (rate * scale).max(1.0).ln() + 40.0 * scale;
    let steps = 200_000;
    let h = upper / steps as f64;
    let mut early = 0.0;
    for i in 0..steps {
        let s = (i as f64 + 0.5) * h;
        let density = lambda(s) * (-rate * scale * (-s / scale).exp()).exp();
        early += density * (1.0 + extra(s)) * h;
    }
    xfetch_p_no_early(rate, delta_s, beta) * herd_size(rate, delta_s) + early
}

/// Che's approximation of the hit ratio of an LRU cache of `capacity` entries under independent
/// requests with key probabilities `p`: find the characteristic time T with
/// Σ (1 - e^{-p_i T}) = capacity, then the hit ratio is Σ p_i (1 - e^{-p_i T}).
pub fn che_lru_hit_ratio(p: &[f64], capacity: f64) -> f64 {
    if capacity >= p.len() as f64 {
        return 1.0;
    }
    let occupancy = |t: f64| p.iter().map(|&q| 1.0 - (-q * t).exp()).sum::<f64>();
    let (mut lo, mut hi) = (0.0, 1.0);
    while occupancy(hi) < capacity {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if occupancy(mid) < capacity {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let t = 0.5 * (lo + hi);
    p.iter().map(|&q| q * (1.0 - (-q * t).exp())).sum()
}

/// Probability that all `k` independent dependencies hit when each hits with probability `h`.
pub fn fanout_all_hit(h: f64, k: u32) -> f64 {
    h.powi(k as i32)
}

/// Per-dependency hit rate needed for all `k` to hit with probability `target`: target^(1/k).
pub fn fanout_required_hit_rate(target: f64, k: u32) -> f64 {
    target.powf(1.0 / k as f64)
}

/// Mean attempts per request when each attempt fails independently with probability `p` and a
/// client makes at most `n`: 1 + p + ... + p^(n-1) = (1 - p^n) / (1 - p).
pub fn retry_attempts_per_request(p: f64, n: u32) -> f64 {
    if p >= 1.0 {
        n as f64
    } else {
        (1.0 - p.powi(n as i32)) / (1.0 - p)
    }
}

/// Queries per second a database completes with `n` queries always in service, when each takes
/// `mean_s` on average multiplied by `1 + per_query * max(0, n - knee)` (a degrading database).
pub fn degraded_throughput(n: u32, mean_s: f64, knee: u32, per_query: f64) -> f64 {
    n as f64 / (mean_s * (1.0 + per_query * n.saturating_sub(knee) as f64))
}

/// Arrival rate above which clients that retry every timed-out attempt keep a cache-fronted
/// database overloaded once it is (requests per second): in the bad state every miss's
/// attempts all wait longer than the client's timeout (the queue's wait exceeds it), each
/// makes a query, and the queue stays full while `attempts * miss_ratio * rate` exceeds the
/// database's `capacity_qps`.
pub fn retry_storm_threshold(capacity_qps: f64, attempts: u32, miss_ratio: f64) -> f64 {
    capacity_qps / (attempts as f64 * miss_ratio)
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
    fn xfetch_limits() {
        // Very lazy beta: almost never early, so a plain herd.
        let lazy = xfetch_expected_recomputes(100.0, 0.01, 1e-4);
        assert!((lazy - herd_size(100.0, 0.01)).abs() < 0.01, "{lazy}");
        assert!((xfetch_p_no_early(100.0, 0.01, 1.0) - (-1.0f64).exp()).abs() < 1e-12);
        // Eager beta: nearly always early, and more than one recompute is rare at r·Δ = 0.1.
        let eager = xfetch_expected_recomputes(10.0, 0.01, 50.0);
        assert!((1.0..1.2).contains(&eager), "{eager}");
    }

    #[test]
    fn che_limits() {
        let uniform = vec![0.001; 1000];
        // Uniform popularity: LRU holds C of N keys, hit ratio C/N.
        assert!((che_lru_hit_ratio(&uniform, 250.0) - 0.25).abs() < 1e-3);
        assert_eq!(che_lru_hit_ratio(&uniform, 2000.0), 1.0);
    }

    #[test]
    fn retry_and_degradation_formulas() {
        assert!((retry_attempts_per_request(0.5, 3) - 1.75).abs() < 1e-12);
        assert_eq!(retry_attempts_per_request(0.0, 5), 1.0);
        assert_eq!(retry_attempts_per_request(1.0, 4), 4.0);
        // Below the knee a saturated database serves n / mean; past it throughput falls when
        // per_query * knee > 1.
        assert!((degraded_throughput(8, 0.01, 8, 0.25) - 800.0).abs() < 1e-9);
        assert!((degraded_throughput(16, 0.01, 8, 0.25) - 16.0 / 0.03).abs() < 1e-9);
        assert!(degraded_throughput(24, 0.01, 8, 0.25) < degraded_throughput(16, 0.01, 8, 0.25));
        assert!((retry_storm_threshold(1000.0, 3, 0.5) - 666.666_666_666_666_7).abs() < 1e-9);
    }

    #[test]
    fn fanout_formulas() {
        assert!((fanout_all_hit(0.5, 5) - 0.03125).abs() < 1e-12);
        assert!((fanout_required_hit_rate(0.03125, 5) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn ttl_outdated_read_ratio_limits() {
        let (lambda, t) = (20.0, 1.0);
        // No writes: nothing is outdated; rare writes: almost nothing, smoothly (no cancellation).
        assert_eq!(ttl_outdated_read_ratio(lambda, 0.0, t), 0.0);
        let rare = ttl_outdated_read_ratio(lambda, 1e-9, t);
        assert!(rare > 0.0 && rare < 1e-9, "{rare}");
        // A write between any two reads: every hit is outdated, the TTL hit ratio λT/(1+λT).
        let hits = ttl_hit_ratio(lambda, t);
        assert!((ttl_outdated_read_ratio(lambda, 1e9, t) - hits).abs() < 1e-6);
        // In between it grows with the write rate and stays below the hit ratio.
        let mut last = 0.0;
        for mu in [0.01, 0.1, 1.0, 10.0, 100.0] {
            let r = ttl_outdated_read_ratio(lambda, mu, t);
            assert!(r > last && r < hits, "μ = {mu}: {r}");
            last = r;
        }
        // The series and the closed form agree where they meet (x = μT = 1e-3).
        let x: f64 = 1e-3;
        let (series, direct) = (x * x * (0.5 - x / 6.0 + x * x / 24.0), x + (-x).exp_m1());
        assert!(
            (series - direct).abs() < 1e-9 * direct,
            "{series} vs {direct}"
        );
        assert_eq!(x_minus_1_plus_exp_minus_x(x), direct);
        // One value by hand: λ = 10, μ = 2, T = 1: (10 − 5(1 − e^(−2)))/11.
        let want = (10.0 - 5.0 * (1.0 - (-2.0f64).exp())) / 11.0;
        assert!((ttl_outdated_read_ratio(10.0, 2.0, 1.0) - want).abs() < 1e-12);
    }

    #[test]
    fn ttl_hit_ratio_limits() {
        assert_eq!(ttl_hit_ratio(1.0, 1.0), 0.5);
        assert!(ttl_hit_ratio(1000.0, 10.0) > 0.9999);
    }

    #[test]
    fn negative_cache_query_rate_limits() {
        // λT = 20: close to one query per absent key per TTL, M/T; λT → 0: every read, M·λ.
        let (m, t) = (100.0, 1.0);
        assert!((negative_cache_absent_query_rate(m, 20.0, t) - m * 20.0 / 21.0).abs() < 1e-9);
        assert!((negative_cache_absent_query_rate(m, 1e9, t) - m / t).abs() < 1e-6);
        assert!((negative_cache_absent_query_rate(m, 1e-9, t) - m * 1e-9).abs() < 1e-15);
        assert_eq!(negative_cache_absent_query_rate(m, 3.0, 0.0), m * 3.0);
        // The cold start adds at most half a query per key: none when keys are rarely read again
        // within a TTL, half when they always are.
        assert!(negative_cache_cold_start_queries(m, 1e-9, t) < 1e-12);
        assert!((negative_cache_cold_start_queries(m, 1e9, t) - m / 2.0).abs() < 1e-6);
        assert!((negative_cache_cold_start_queries(1.0, 1.0, 2.0) - 2.0 / 9.0).abs() < 1e-12);
    }
}
