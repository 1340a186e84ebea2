//! Confidence intervals over independent replications (Student t), and paired differences.
//!
//! With `n` replications of a figure, the interval is `mean ± t(0.975, n-1) · s / √n`, where `s`
//! is the sample standard deviation: the textbook interval for the mean of independent,
//! roughly normal observations (Law, "Simulation Modeling and Analysis", ch. 9). Replication
//! `r` of every strategy sees the same random draws (common random numbers), so the difference
//! of two strategies is taken replication by replication: its interval is that of the paired
//! differences, narrower than comparing two independent intervals whenever the strategies
//! respond alike to the same workload.

/// A mean with its two-sided 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// Observations.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Sample standard deviation (0 for one observation).
    pub stdev: f64,
    /// Half the interval's width: `mean ± half_width`. Infinite for one observation: a single
    /// run says nothing of its own noise.
    pub half_width: f64,
}

impl Interval {
    /// The interval of the mean of `values` (at least one).
    pub fn of(values: &[f64]) -> Interval {
        let n = values.len();
        assert!(n > 0, "an interval needs at least one observation");
        let mean = values.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Interval {
                n,
                mean,
                stdev: 0.0,
                half_width: f64::INFINITY,
            };
        }
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
        let stdev = var.sqrt();
        Interval {
            n,
            mean,
            stdev,
            half_width: t_975(n - 1) * stdev / (n as f64).sqrt(),
        }
    }

    /// The interval of the mean difference `a[r] - b[r]`, replication by replication.
    pub fn paired(a: &[f64], b: &[f64]) -> Interval {
        assert_eq!(a.len(), b.len(), "paired observations come in pairs");
        let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
        Interval::of(&d)
    }

    /// Lower end.
    pub fn low(&self) -> f64 {
        self.mean - self.half_width
    }

    /// Upper end.
    pub fn high(&self) -> f64 {
        self.mean + self.half_width
    }

    /// Whether `x` lies inside the interval (ends included).
    pub fn contains(&self, x: f64) -> bool {
        self.low() <= x && x <= self.high()
    }
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom (two-sided 95%): exact to
/// three decimals from a table up to 30, then the Cornish–Fisher expansion around the normal
/// quantile (error below 1e-4 there).
pub fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    assert!(df > 0, "t needs at least one degree of freedom");
    if df <= TABLE.len() {
        return TABLE[df - 1];
    }
    let z: f64 = 1.959_963_984_540_054;
    let n = df as f64;
    let (z3, z5, z7) = (z.powi(3), z.powi(5), z.powi(7));
    z + (z3 + z) / (4.0 * n)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * n * n)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * n * n * n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_published_values() {
        // Values from any t table.
        for (df, t) in [
            (1, 12.706),
            (4, 2.776),
            (9, 2.262),
            (29, 2.045),
            (30, 2.042),
        ] {
            assert!((t_975(df) - t).abs() < 1e-3, "df {df}");
        }
        for (df, t) in [(40, 2.0211), (60, 2.0003), (120, 1.9799), (1000, 1.9623)] {
            assert!((t_975(df) - t).abs() < 2e-4, "df {df}: {}", t_975(df));
        }
        // The expansion meets the table without a jump.
        assert!((t_975(31) - 2.0395).abs() < 2e-4);
    }

    #[test]
    fn interval_of_known_values() {
        let i = Interval::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(i.mean, 3.0);
        assert!((i.stdev - 2.5f64.sqrt()).abs() < 1e-12);
        assert!((i.half_width - 2.776 * 2.5f64.sqrt() / 5f64.sqrt()).abs() < 1e-9);
        assert!(i.contains(3.0) && !i.contains(5.0));
        let one = Interval::of(&[7.0]);
        assert_eq!(one.mean, 7.0);
        assert!(one.half_width.is_infinite());
    }

    #[test]
    fn pairing_removes_what_both_share() {
        // b follows a with a shift of one: the paired interval is exactly the shift.
        let a = [10.0, 30.0, 20.0, 50.0];
        let b = [9.0, 29.0, 19.0, 49.0];
        let p = Interval::paired(&a, &b);
        assert_eq!((p.mean, p.half_width), (1.0, 0.0));
        let unpaired = Interval::of(&a).half_width + Interval::of(&b).half_width;
        assert!(unpaired > 10.0);
    }
}
