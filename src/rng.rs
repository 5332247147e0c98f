//! Random streams: one `ChaCha8Rng` per component, derived from `(run seed, component name)`.
//!
//! Owns seed derivation only. Adding a component never shifts another component's stream,
//! which is what makes two configurations compared at the same seed see the same failures.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution, Exp1, Poisson};

pub type Stream = ChaCha8Rng;

/// The seed of replication `replication` of a run with scenario seed `seed`.
pub fn replication_seed(seed: u64, replication: u32) -> u64 {
    splitmix64(seed ^ splitmix64(u64::from(replication).wrapping_add(0x05EE_D0FF_051A)))
}

/// The stream of one component: the run seed picks the key, the component name the stream.
pub fn stream(run_seed: u64, component: &str) -> Stream {
    let mut rng = ChaCha8Rng::seed_from_u64(run_seed);
    rng.set_stream(fnv1a64(component.as_bytes()));
    rng
}

/// A uniform draw in [0, 1), from 53 random bits.
pub fn unit<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// An exponential draw with the given mean, in whole microseconds.
pub fn exponential_us<R: Rng + ?Sized>(rng: &mut R, mean_us: f64) -> u64 {
    let x: f64 = Exp1.sample(rng);
    // Non-negative, so adding a half and truncating rounds to nearest, without `round`.
    (x * mean_us + 0.5).min(crate::time::DURATION_US_MAX as f64) as u64
}

/// A Poisson count of the given mean; 0, without drawing, for a mean of 0 or less.
#[inline(always)]
pub fn poisson<R: Rng + ?Sized>(rng: &mut R, mean: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    // Means are expected request counts: finite, and far below the sampler's 1.8e19 limit.
    Poisson::new(mean).expect("a Poisson mean is finite and below 1.8e19").sample(rng) as u64
}

/// A binomial count of `n` trials of probability `p`; no draw when the result is certain.
#[inline]
pub fn binomial<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    if p <= 0.0 || n == 0 {
        0
    } else if p >= 1.0 {
        n
    } else {
        Binomial::new(n, p).expect("a probability inside (0, 1)").sample(rng)
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// FNV-1a: stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a1 = stream(7, "checker/hc/us-east-1/0").next_u64();
        let a2 = stream(7, "checker/hc/us-east-1/0").next_u64();
        let b = stream(7, "checker/hc/us-east-1/1").next_u64();
        let c = stream(8, "checker/hc/us-east-1/0").next_u64();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        assert_ne!(a1, c);
        assert_ne!(replication_seed(1, 0), replication_seed(1, 1));
        assert_ne!(replication_seed(1, 0), replication_seed(2, 0));
    }
}
