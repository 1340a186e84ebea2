//! Zipf popularity for the trace generators (`shop_trace`, `oracle_trace`): the cumulative
//! distribution over ranks 1..=keys, and a rank drawn from it by inversion.

/// The cumulative probabilities of ranks 1..=`keys` under Zipf(`s`), in rank order.
pub fn cdf(keys: usize, s: f64) -> Vec<f64> {
    let weights: Vec<f64> = (1..=keys).map(|i| (i as f64).powf(-s)).collect();
    let total: f64 = weights.iter().sum();
    let mut cdf = Vec::with_capacity(keys);
    let mut acc = 0.0;
    for w in &weights {
        acc += w / total;
        cdf.push(acc);
    }
    cdf
}

/// The 0-based rank whose cumulative probability first reaches `v` (a uniform draw in [0, 1)).
pub fn rank(cdf: &[f64], v: f64) -> usize {
    cdf.partition_point(|&c| c < v).min(cdf.len() - 1)
}
