//! Drawing random durations from a configured [`Distribution`].

use rand::Rng;
use rand_distr::StandardNormal;

use crate::engine::rng::{open_unit, Stream};
use crate::engine::SimDuration;

/// A random duration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Distribution {
    /// Always the same value.
    Constant(SimDuration),
    /// Exponential with this mean.
    Exponential {
        /// The mean.
        mean: SimDuration,
    },
    /// Log-normal given by its median and 99th percentile (p99 > median).
    LogNormal {
        /// The median.
        median: SimDuration,
        /// The 99th percentile.
        p99: SimDuration,
    },
    /// Uniform between two values.
    Uniform {
        /// The smallest value.
        min: SimDuration,
        /// The largest value.
        max: SimDuration,
    },
}

/// z such that P(Z < z) = 0.99 for a standard normal Z.
pub const Z_99: f64 = 2.326_347_874_040_841;

impl Distribution {
    /// The mean, in seconds.
    pub fn mean_secs(&self) -> f64 {
        match *self {
            Distribution::Constant(d) => d.as_secs_f64(),
            Distribution::Exponential { mean } => mean.as_secs_f64(),
            Distribution::LogNormal { median, p99 } => {
                let sigma = (p99.as_secs_f64() / median.as_secs_f64()).ln() / Z_99;
                median.as_secs_f64() * (sigma * sigma / 2.0).exp()
            }
            Distribution::Uniform { min, max } => (min.as_secs_f64() + max.as_secs_f64()) / 2.0,
        }
    }
}

/// A distribution prepared for fast sampling.
#[derive(Clone, Copy, Debug)]
pub enum Sampler {
    /// Always this many nanoseconds.
    Constant(u64),
    /// Exponential with this mean, nanoseconds.
    Exponential(f64),
    /// exp(mu + sigma * Z) nanoseconds.
    LogNormal {
        /// ln of the median in nanoseconds.
        mu: f64,
        /// Standard deviation of the log.
        sigma: f64,
    },
    /// Uniform over [min, max] nanoseconds.
    Uniform(u64, u64),
}

impl Sampler {
    /// Prepares `d` for sampling.
    pub fn new(d: &Distribution) -> Sampler {
        match *d {
            Distribution::Constant(v) => Sampler::Constant(v.0),
            Distribution::Exponential { mean } => Sampler::Exponential(mean.0 as f64),
            Distribution::LogNormal { median, p99 } => {
                let mu = (median.0 as f64).ln();
                Sampler::LogNormal {
                    mu,
                    sigma: ((p99.0 as f64).ln() - mu) / Z_99,
                }
            }
            Distribution::Uniform { min, max } => Sampler::Uniform(min.0, max.0),
        }
    }

    /// One draw. Constant distributions draw nothing from `rng`.
    #[inline(always)]
    pub fn sample(&self, rng: &mut Stream) -> SimDuration {
        // A constant is answered inline (every cache read of a constant latency asks); the
        // random draws stay one out-of-line function.
        match *self {
            Sampler::Constant(v) => SimDuration(v),
            _ => self.draw(rng),
        }
    }

    /// One draw of a random (not constant) distribution.
    #[inline(never)]
    fn draw(&self, rng: &mut Stream) -> SimDuration {
        match *self {
            Sampler::Constant(v) => SimDuration(v),
            Sampler::Exponential(mean) => {
                SimDuration::from_secs_f64(-mean * open_unit(rng).ln() * 1e-9)
            }
            Sampler::LogNormal { mu, sigma } => {
                let z: f64 = rng.sample(StandardNormal);
                SimDuration::from_secs_f64((mu + sigma * z).exp() * 1e-9)
            }
            Sampler::Uniform(min, max) => SimDuration(rng.random_range(min..=max)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RandomStreams;

    fn mean_of(d: Distribution, n: usize) -> f64 {
        let s = Sampler::new(&d);
        let mut rng = RandomStreams::new(3).stream(0);
        (0..n)
            .map(|_| s.sample(&mut rng).as_secs_f64())
            .sum::<f64>()
            / n as f64
    }

    #[test]
    fn sample_means_match_the_configured_means() {
        let ms = SimDuration::from_millis;
        for d in [
            Distribution::Constant(ms(5)),
            Distribution::Exponential { mean: ms(5) },
            Distribution::LogNormal {
                median: ms(5),
                p99: ms(40),
            },
            Distribution::Uniform {
                min: ms(1),
                max: ms(9),
            },
        ] {
            let m = mean_of(d, 200_000);
            let want = d.mean_secs();
            assert!(
                (m - want).abs() / want < 0.02,
                "{d:?}: sample mean {m} vs {want}"
            );
        }
    }

    #[test]
    fn lognormal_p99_is_where_configured() {
        let s = Sampler::new(&Distribution::LogNormal {
            median: SimDuration::from_millis(5),
            p99: SimDuration::from_millis(40),
        });
        let mut rng = RandomStreams::new(9).stream(0);
        let mut v: Vec<u64> = (0..100_000).map(|_| s.sample(&mut rng).0).collect();
        v.sort_unstable();
        let p50 = v[50_000] as f64 / 1e6;
        let p99 = v[99_000] as f64 / 1e6;
        assert!((p50 - 5.0).abs() < 0.15, "median {p50}");
        assert!((p99 - 40.0).abs() < 2.0, "p99 {p99}");
    }
}
