//! Random draws from the scenario's value types: a duration from a `Dist`, a yes/no from a
//! `Probability`. The model is the only place that draws; this is where it draws from
//! the values a scenario gives.

use crate::scenario::values::{Dist, Probability};
use crate::time::{self, SimDuration};
use rand::Rng;
use rand_distr::{Distribution, Exp1, StandardNormal};

impl Dist {
    /// One draw, in microseconds, capped at `DURATION_US_MAX` so that sums cannot overflow.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SimDuration {
        match *self {
            Dist::Fixed(d) => d,
            Dist::Uniform(low, high) => low + rng.next_u64() % (high - low + 1),
            Dist::Exponential(mean) => scale(mean as f64 * Distribution::<f64>::sample(&Exp1, rng)),
            Dist::Lognormal { median, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                scale(median as f64 * (sigma * z).exp())
            }
        }
    }
}

impl Dist {
    /// The time left, at a random instant, of a lifetime drawn from this distribution when
    /// lifetimes follow one another (a renewal process): the instant falls in a lifetime
    /// with probability proportional to its length, and uniformly within it.
    pub fn stationary_remaining<R: Rng + ?Sized>(&self, rng: &mut R) -> SimDuration {
        let length = match *self {
            Dist::Fixed(d) => d as f64,
            // Length-biased uniform on [a, b]: density ∝ x.
            Dist::Uniform(low, high) => {
                let (a, b) = (low as f64, high as f64);
                (a * a + crate::rng::unit(rng) * (b * b - a * a)).sqrt()
            }
            // Memoryless: what is left is the distribution itself.
            Dist::Exponential(_) => return self.sample(rng),
            // Length-biased lognormal: the median scales by e^(σ²).
            Dist::Lognormal { median, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                median as f64 * (sigma * sigma + sigma * z).exp()
            }
        };
        scale(crate::rng::unit(rng) * length)
    }
}

impl Probability {
    /// One draw: true with probability `p`.
    pub fn hit<R: Rng + ?Sized>(&self, rng: &mut R) -> bool {
        u128::from(rng.next_u64()) < self.threshold
    }
}

fn scale(us: f64) -> SimDuration {
    if us >= time::DURATION_US_MAX as f64 { time::DURATION_US_MAX } else { us.round() as SimDuration }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stationary_remaining_lifetimes_have_the_renewal_mean() {
        // At a random instant, the mean time left is E[L²] / (2 E[L]).
        let mut rng = crate::rng::stream(2, "test");
        let n = 200_000;
        for (d, expected) in [
            (Dist::Fixed(1_000_000), 500_000.0),
            (Dist::Uniform(0, 2_000_000), (4.0e12 / 3.0) / 2.0 / 1_000_000.0),
            (Dist::Exponential(1_000_000), 1_000_000.0),
            (
                Dist::Lognormal { median: 1_000_000, sigma: 0.5 },
                1_000_000.0 * (2.0f64 * 0.25).exp() / 2.0 * (-0.125f64).exp(),
            ),
        ] {
            let draws: Vec<f64> = (0..n).map(|_| d.stationary_remaining(&mut rng) as f64).collect();
            let mean = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let se = (var / n as f64).sqrt();
            assert!((mean - expected).abs() < 4.0 * se, "{d:?}: {mean} vs {expected}");
        }
    }

    #[test]
    fn samples_have_the_right_mean() {
        let mut rng = crate::rng::stream(1, "test");
        let n = 200_000;
        for d in [
            Dist::Exponential(1_000_000),
            Dist::Uniform(0, 2_000_000),
            Dist::Lognormal { median: 1_000_000, sigma: 0.5 },
        ] {
            let draws: Vec<f64> = (0..n).map(|_| d.sample(&mut rng) as f64).collect();
            let mean = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let se = (var / n as f64).sqrt();
            assert!((mean - d.mean_us()).abs() < 4.0 * se, "{d:?}: {mean} vs {}", d.mean_us());
        }
    }
}
