//! The comparison of one configuration, figure by figure: means (4 combined standard errors
//! plus the latency allowance), the per-client failover distribution (two-sample KS with a
//! clustered null), and stranded clients. Produces verdicts; renders nothing.

use super::measured::Measured;
use super::predicted::Predicted;
use super::sample::Sample;
use super::stats::{self, MeanSe, NullDraw};

/// Standard errors a mean may be off by.
pub const SE_LIMIT: f64 = 4.0;
/// Significance level of the distribution test.
pub const ALPHA: f64 = 0.001;
const FAILOVER_MEAN: &str = "per-client failover, mean";
/// Points on which the plot's band of pseudo-measured CDFs is evaluated.
const GRID_POINTS: usize = 241;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// The figure could not be judged (too few values); counted as a failure.
    Unjudged(String),
}

impl Verdict {
    pub fn passed(&self) -> bool {
        *self == Verdict::Pass
    }
}

/// A figure compared on its mean.
pub struct MeanCheck {
    pub figure: &'static str,
    pub unit: &'static str,
    pub measured: Option<MeanSe>,
    pub predicted: Option<MeanSe>,
    /// measured − predicted, the tolerance, and the difference in combined standard errors.
    pub difference: Option<f64>,
    pub tolerance: Option<f64>,
    pub in_se: Option<f64>,
    pub verdict: Verdict,
}

/// The per-client failover distributions.
pub struct DistributionCheck {
    pub measured_n: usize,
    pub predicted_n: usize,
    pub d: f64,
    pub p_textbook: f64,
    pub p_clustered: f64,
    pub draws: usize,
    pub verdict: Verdict,
    /// Pooled percentiles (p50, p90, p99, max) of each side.
    pub measured_quantiles: [Option<f64>; 4],
    pub predicted_quantiles: [Option<f64>; 4],
    /// For the plot: sorted pools, the grid and the pointwise 2.5 %–97.5 % band of the
    /// pseudo-measured CDFs.
    pub measured_sorted: Vec<f64>,
    pub predicted_sorted: Vec<f64>,
    pub grid: Vec<f64>,
    pub band: Vec<(f64, f64)>,
}

pub struct StrandedCheck {
    pub measured: (u64, u64),
    pub predicted: (u64, u64),
    pub verdict: Verdict,
}

/// Everything compared for one configuration.
pub struct Comparison {
    pub means: Vec<MeanCheck>,
    pub distribution: DistributionCheck,
    pub stranded: StrandedCheck,
}

/// One row of a configuration's table.
pub enum Row<'a> {
    Mean(&'a MeanCheck),
    Distribution(&'a DistributionCheck),
    Stranded(&'a StrandedCheck),
}

impl Comparison {
    /// Every check in document order: the per-client distribution after the per-client mean,
    /// stranded clients last.
    pub fn rows(&self) -> Vec<Row<'_>> {
        let mut rows: Vec<Row<'_>> = self.means.iter().map(Row::Mean).collect();
        let after_mean = self.means.iter().position(|m| m.figure == FAILOVER_MEAN).map_or(rows.len(), |i| i + 1);
        rows.insert(after_mean, Row::Distribution(&self.distribution));
        rows.push(Row::Stranded(&self.stranded));
        rows
    }

    /// (figure, verdict) of every check, in document order.
    pub fn verdicts(&self) -> Vec<(&'static str, &Verdict)> {
        self.rows()
            .into_iter()
            .map(|row| match row {
                Row::Mean(m) => (m.figure, &m.verdict),
                Row::Distribution(d) => ("per-client failover, distribution", &d.verdict),
                Row::Stranded(s) => ("stranded clients", &s.verdict),
            })
            .collect()
    }

    pub fn failures(&self) -> usize {
        self.verdicts().iter().filter(|(_, v)| !v.passed()).count()
    }
}

/// Compares one configuration; `draws` bootstrap draws seeded with `seed`.
pub fn compare(m: &Measured, p: &Predicted, draws: usize, seed: u64) -> Comparison {
    let a = m.allowance.total_s;
    let rate = m.config.clients.requests_per_s;
    let check = |figure, unit, allowance, get: fn(&Sample) -> Option<f64>| {
        mean_check(figure, unit, allowance, &values(&m.trials, get), &values(&p.episodes, get))
    };
    let means = vec![
        check("detection", "s", a, |s| s.detection_s),
        check(FAILOVER_MEAN, "s", a, |s| s.failover_mean_s),
        check("last client switched", "s", a, |s| s.last_switched_s),
        check("misrouted requests per active client", "requests", rate * a, |s| s.misrouted_per_active),
    ];
    Comparison { means, distribution: distribution(&m.trials, &p.episodes, draws, seed), stranded: stranded(m, p) }
}

fn values(samples: &[Sample], get: fn(&Sample) -> Option<f64>) -> Vec<f64> {
    samples.iter().filter_map(get).collect()
}

fn mean_check(figure: &'static str, unit: &'static str, allowance: f64, m: &[f64], p: &[f64]) -> MeanCheck {
    let (measured, predicted) = (stats::mean_se(m), stats::mean_se(p));
    let mut check = MeanCheck {
        figure,
        unit,
        measured,
        predicted,
        difference: None,
        tolerance: None,
        in_se: None,
        verdict: Verdict::Unjudged("fewer than two values on a side".into()),
    };
    let (Some(ms), Some(ps)) = (measured, predicted) else { return check };
    let (Some(se_m), Some(se_p)) = (ms.se, ps.se) else { return check };
    let se = (se_m * se_m + se_p * se_p).sqrt();
    let difference = ms.mean - ps.mean;
    let tolerance = SE_LIMIT * se + allowance;
    check.difference = Some(difference);
    check.tolerance = Some(tolerance);
    check.in_se = (se > 0.0).then(|| difference / se);
    check.verdict = if difference.abs() <= tolerance { Verdict::Pass } else { Verdict::Fail };
    check
}

fn pooled_sorted(samples: &[Sample]) -> Vec<f64> {
    let mut v: Vec<f64> = samples.iter().flat_map(|s| s.failover_s.iter().copied()).collect();
    v.sort_by(f64::total_cmp);
    v
}

fn four_quantiles(sorted: &[f64]) -> [Option<f64>; 4] {
    [0.5, 0.9, 0.99, 1.0].map(|q| stats::quantile(sorted, q))
}

fn distribution(trials: &[Sample], episodes: &[Sample], draws: usize, seed: u64) -> DistributionCheck {
    let measured_sorted = pooled_sorted(trials);
    let predicted_sorted = pooled_sorted(episodes);
    let d = stats::ks_distance(&measured_sorted, &predicted_sorted);
    let grid = grid(&measured_sorted, &predicted_sorted);
    let clusters: Vec<Vec<f64>> = episodes.iter().map(|e| e.failover_s.clone()).collect();
    let null = stats::clustered_null(&clusters, &predicted_sorted, trials.len(), draws, seed, &grid);
    let p_clustered = stats::share_at_least(&null, d);
    let judgeable = !measured_sorted.is_empty() && !predicted_sorted.is_empty();
    DistributionCheck {
        measured_n: measured_sorted.len(),
        predicted_n: predicted_sorted.len(),
        d,
        p_textbook: stats::ks_p_textbook(d, measured_sorted.len(), predicted_sorted.len()),
        p_clustered,
        draws,
        verdict: match judgeable {
            false => Verdict::Unjudged("no client times on a side".into()),
            true if p_clustered >= ALPHA => Verdict::Pass,
            true => Verdict::Fail,
        },
        measured_quantiles: four_quantiles(&measured_sorted),
        predicted_quantiles: four_quantiles(&predicted_sorted),
        band: band(&null, grid.len()),
        measured_sorted,
        predicted_sorted,
        grid,
    }
}

/// The plot's time axis: 0 to the largest finite measured time or predicted 99.9th
/// percentile, rounded up to a whole second.
fn grid(measured: &[f64], predicted: &[f64]) -> Vec<f64> {
    let finite = |v: &[f64]| v.iter().copied().filter(|x| x.is_finite()).collect::<Vec<_>>();
    let top =
        finite(measured).last().copied().unwrap_or(1.0).max(stats::quantile(&finite(predicted), 0.999).unwrap_or(1.0));
    let top = top.ceil().max(1.0);
    (0..GRID_POINTS).map(|i| top * i as f64 / (GRID_POINTS - 1) as f64).collect()
}

/// Pointwise 2.5 % and 97.5 % of the null's CDFs at each grid point.
fn band(null: &[NullDraw], points: usize) -> Vec<(f64, f64)> {
    (0..points)
        .map(|i| {
            let mut column: Vec<f64> = null.iter().map(|d| d.cdf_on_grid[i]).collect();
            column.sort_by(f64::total_cmp);
            (stats::quantile(&column, 0.025).unwrap_or(0.0), stats::quantile(&column, 0.975).unwrap_or(0.0))
        })
        .collect()
}

fn stranded(m: &Measured, p: &Predicted) -> StrandedCheck {
    let sum = |s: &[Sample]| (s.iter().map(|x| x.stranded).sum(), s.iter().map(|x| x.active).sum());
    let (measured, predicted): ((u64, u64), (u64, u64)) = (sum(&m.trials), sum(&p.episodes));
    let verdict = if measured.0 == 0 && predicted.0 == 0 { Verdict::Pass } else { Verdict::Fail };
    StrandedCheck { measured, predicted, verdict }
}
