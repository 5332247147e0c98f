//! The statistics of `compare`: a mean with its standard error, the two-sample
//! Kolmogorov–Smirnov distance, its textbook p-value, and a p-value from a null distribution
//! that keeps trials whole (per-client times within one trial are correlated, so the textbook
//! value, which assumes independent samples, is far too small for a correct model).
//! Pure functions; the bootstrap is seeded, so results are the same on every run.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// A mean over per-trial (or per-episode) values and its standard error (sample standard
/// deviation over √n; `None` with fewer than two values).
#[derive(Debug, Clone, Copy)]
pub struct MeanSe {
    pub n: usize,
    pub mean: f64,
    pub se: Option<f64>,
}

pub fn mean_se(values: &[f64]) -> Option<MeanSe> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let se = (n >= 2).then(|| {
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        (var / n as f64).sqrt()
    });
    Some(MeanSe { n, mean, se })
}

/// Value at quantile `p` of sorted values, linear between closest ranks (R type 7).
pub fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    let (a, b) = (sorted[lo], sorted[hi]);
    if a == b { Some(a) } else { Some(a + (h - lo as f64) * (b - a)) }
}

/// Share of `sorted` that is ≤ x (`inclusive`) or < x.
fn cdf(sorted: &[f64], x: f64, inclusive: bool) -> f64 {
    let k = if inclusive { sorted.partition_point(|v| *v <= x) } else { sorted.partition_point(|v| *v < x) };
    k as f64 / sorted.len() as f64
}

/// The two-sample Kolmogorov–Smirnov distance: the largest gap between the empirical CDFs of
/// `sample` and `reference`, both sorted (`+∞` allowed: a stranded client). Both CDFs are
/// steps, so the gap is largest at, or just before, one of the sample's values.
pub fn ks_distance(sample: &[f64], reference: &[f64]) -> f64 {
    let n = sample.len() as f64;
    let mut d: f64 = 0.0;
    let mut i = 0;
    while i < sample.len() {
        let x = sample[i];
        let below = i as f64 / n;
        while i < sample.len() && sample[i] == x {
            i += 1;
        }
        let upto = i as f64 / n;
        d = d.max((below - cdf(reference, x, false)).abs()).max((upto - cdf(reference, x, true)).abs());
    }
    d
}

/// Probability that the Kolmogorov distribution exceeds λ: Q(λ) = 2 Σ (−1)^(k−1) e^(−2k²λ²),
/// or for small λ its equivalent 1 − √(2π)/λ Σ e^(−(2k−1)²π²/(8λ²)), which converges there.
fn kolmogorov_q(lambda: f64) -> f64 {
    if lambda <= 0.0 {
        return 1.0;
    }
    let q = if lambda < 1.18 {
        let s: f64 = (1..=20)
            .map(|k| {
                let j = (2 * k - 1) as f64;
                (-(j * j) * std::f64::consts::PI.powi(2) / (8.0 * lambda * lambda)).exp()
            })
            .sum();
        1.0 - (2.0 * std::f64::consts::PI).sqrt() / lambda * s
    } else {
        (1..=100)
            .map(|k| {
                let k = k as f64;
                let sign = if k as u64 % 2 == 1 { 2.0 } else { -2.0 };
                sign * (-2.0 * k * k * lambda * lambda).exp()
            })
            .sum()
    };
    q.clamp(0.0, 1.0)
}

/// The textbook (asymptotic) p-value of a two-sample KS distance `d` between samples of sizes
/// `n` and `m`, with the usual small-sample correction of λ (Stephens 1970).
pub fn ks_p_textbook(d: f64, n: usize, m: usize) -> f64 {
    let ne = (n as f64 * m as f64) / (n + m) as f64;
    let root = ne.sqrt();
    kolmogorov_q((root + 0.12 + 0.11 / root) * d)
}

/// One draw of the clustered null: its KS distance to the reference and its empirical CDF on
/// the grid (for the plot's band).
pub struct NullDraw {
    pub d: f64,
    pub cdf_on_grid: Vec<f64>,
}

/// The null distribution that respects clustering: `draws` times, pick `trials` clusters
/// (predicted episodes) with replacement, pool their values, and measure that pseudo-measured
/// pool against the reference (all predicted values pooled, sorted). Draw `b` uses its own
/// ChaCha8 stream of `seed`, so the result does not depend on the thread count.
pub fn clustered_null(
    clusters: &[Vec<f64>],
    reference: &[f64],
    trials: usize,
    draws: usize,
    seed: u64,
    grid: &[f64],
) -> Vec<NullDraw> {
    (0..draws)
        .into_par_iter()
        .map(|b| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(b as u64);
            let mut pool: Vec<f64> = Vec::new();
            for _ in 0..trials {
                pool.extend_from_slice(&clusters[rng.random_range(0..clusters.len())]);
            }
            pool.sort_by(f64::total_cmp);
            let cdf_on_grid = grid.iter().map(|&x| cdf(&pool, x, true)).collect();
            NullDraw { d: ks_distance(&pool, reference), cdf_on_grid }
        })
        .collect()
}

/// Share of the null's distances at least as large as the observed one.
pub fn share_at_least(null: &[NullDraw], observed: f64) -> f64 {
    null.iter().filter(|draw| draw.d >= observed).count() as f64 / null.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_distance_of_identical_and_disjoint_samples() {
        let a = [1.0, 2.0, 3.0];
        assert_eq!(ks_distance(&a, &a), 0.0);
        assert_eq!(ks_distance(&a, &[4.0, 5.0]), 1.0);
        assert!((ks_distance(&[1.0, 2.0], &[1.5, 2.5]) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn ks_distance_counts_stranded_as_never() {
        let reference = [1.0, 2.0, 3.0, 4.0];
        let sample = [1.0, 2.0, f64::INFINITY, f64::INFINITY];
        assert!((ks_distance(&sample, &reference) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn kolmogorov_tail_matches_known_values() {
        // Q(1.36) ≈ 0.049, Q(1.63) ≈ 0.010, Q(0.5) ≈ 0.964.
        assert!((kolmogorov_q(1.358) - 0.05).abs() < 1e-3);
        assert!((kolmogorov_q(1.628) - 0.01).abs() < 1e-3);
        assert!((kolmogorov_q(0.5) - 0.9639).abs() < 1e-3);
        // Both series agree where they meet.
        let below = 1.0
            - (2.0 * std::f64::consts::PI).sqrt() / 1.18
                * (1..=20)
                    .map(|k| (-((2 * k - 1) as f64).powi(2) * std::f64::consts::PI.powi(2) / (8.0 * 1.18 * 1.18)).exp())
                    .sum::<f64>();
        assert!((below - kolmogorov_q(1.18)).abs() < 1e-9);
    }

    #[test]
    fn mean_and_standard_error() {
        let m = mean_se(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(m.mean, 2.5);
        assert!((m.se.unwrap() - (1.666_666_666_666_666_7f64 / 4.0).sqrt()).abs() < 1e-12);
        assert!(mean_se(&[1.0]).unwrap().se.is_none());
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
    }

    #[test]
    fn clustered_null_is_deterministic_and_small_for_the_model_itself() {
        let clusters: Vec<Vec<f64>> =
            (0..200).map(|e| (0..10).map(|c| (e * 7 + c * 3) as f64 % 17.0).collect()).collect();
        let mut reference: Vec<f64> = clusters.iter().flatten().copied().collect();
        reference.sort_by(f64::total_cmp);
        let a = clustered_null(&clusters, &reference, 16, 100, 42, &[1.0, 5.0]);
        let b = clustered_null(&clusters, &reference, 16, 100, 42, &[1.0, 5.0]);
        assert!(a.iter().zip(&b).all(|(x, y)| x.d == y.d && x.cdf_on_grid == y.cdf_on_grid));
        assert!(share_at_least(&a, 0.0) == 1.0);
    }
}
