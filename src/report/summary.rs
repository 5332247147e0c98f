//! Summaries across replications: every numeric figure of every run, with mean, 95 %
//! confidence interval and percentiles.
//!
//! Figures are found by walking the serialised `RunResult`, so a new metric is summarised
//! without touching this file. Pure arithmetic; no I/O.

use super::RunResult;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

/// Fields of a run that identify it rather than measure it.
const NOT_FIGURES: [&str; 3] = ["replication", "seed", "occurrence"];

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Row {
    /// JSON Pointer of the figure inside a run result, e.g. `/episodes/0/detection_s`.
    pub metric: String,
    /// Runs where the figure has a value.
    pub n: u64,
    /// Runs where it is null (e.g. never detected) or absent (fewer episodes).
    pub missing: u64,
    pub mean: Option<f64>,
    pub ci95_low: Option<f64>,
    pub ci95_high: Option<f64>,
    pub sd: Option<f64>,
    pub min: Option<f64>,
    pub p5: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub max: Option<f64>,
}

pub fn summarise(runs: &[RunResult]) -> Vec<Row> {
    // Figures in the order first seen, with an index by name: a run has a few figures per
    // client group, and a linear search per figure made this quadratic in groups.
    let mut metrics: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut values: Vec<Vec<Option<f64>>> = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let mut flat = Vec::new();
        flatten(&serde_json::to_value(run).expect("a run result serialises"), String::new(), &mut flat);
        for (metric, value) in flat {
            let k = match index.get(&metric) {
                Some(&k) => k,
                None => {
                    index.insert(metric.clone(), metrics.len());
                    metrics.push(metric);
                    values.push(vec![None; runs.len()]);
                    metrics.len() - 1
                }
            };
            values[k][i] = value;
        }
    }
    metrics.into_iter().zip(values).map(|(metric, v)| row(metric, &v)).collect()
}

fn flatten(value: &Value, at: String, out: &mut Vec<(String, Option<f64>)>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if !NOT_FIGURES.contains(&key.as_str()) {
                    flatten(v, format!("{at}/{}", escape(key)), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(v, format!("{at}/{i}"), out);
            }
        }
        Value::Number(n) => out.push((at, n.as_f64())),
        Value::Null => out.push((at, None)),
        Value::Bool(_) | Value::String(_) => {}
    }
}

fn row(metric: String, values: &[Option<f64>]) -> Row {
    let mut present: Vec<f64> = values.iter().flatten().copied().collect();
    present.sort_by(f64::total_cmp);
    let n = present.len();
    let mean = (n > 0).then(|| present.iter().sum::<f64>() / n as f64);
    let sd =
        mean.filter(|_| n > 1).map(|m| (present.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt());
    let half_width = sd.map(|s| t_975(n - 1) * s / (n as f64).sqrt());
    let interval = mean.zip(half_width).map(|(m, h)| honest_interval(&metric, &present, m, h));
    Row {
        metric,
        n: n as u64,
        missing: (values.len() - n) as u64,
        mean,
        ci95_low: interval.map(|i| i.0),
        ci95_high: interval.map(|i| i.1),
        sd,
        min: present.first().copied(),
        p5: percentile(&present, 0.05),
        p50: percentile(&present, 0.50),
        p95: percentile(&present, 0.95),
        max: present.last().copied(),
    }
}

/// The 95 % interval of a figure's mean, within the figure's range (docs/model.md §8.3):
/// Student's t around the mean, intersected with the range (every figure is 0 or more; shares
/// lie in [0, 1]), so an interval never holds a value the figure cannot take. A count whose t
/// interval reaches below zero, or that was zero in every run, is a rare event the normal
/// approximation cannot describe: its interval also covers the exact Poisson (Garwood)
/// interval of the per-run rate, which for a zero count still has an upper bound above 0.
/// Times and rates (`…_s`, `…_per_day`, `…_per_month`) are not counts: they keep the
/// intersected t interval.
fn honest_interval(metric: &str, sorted: &[f64], mean: f64, half_width: f64) -> (f64, f64) {
    let (floor, ceiling) = if is_share(metric) { (0.0, 1.0) } else { (0.0, f64::INFINITY) };
    let (mut low, mut high) = ((mean - half_width).max(floor), (mean + half_width).min(ceiling));
    let rate_or_time = ["_s", "_per_day", "_per_month"].iter().any(|suffix| metric.ends_with(suffix));
    let count = !rate_or_time && !is_share(metric) && sorted.iter().all(|x| x.fract() == 0.0 && *x >= 0.0);
    if count && (mean - half_width < 0.0 || sorted.last() == Some(&0.0)) {
        let (p_low, p_high) = poisson_interval(sorted.iter().sum(), sorted.len());
        (low, high) = (low.min(p_low), high.max(p_high));
    }
    (low, high)
}

/// Figures that are shares or probabilities, in [0, 1].
fn is_share(metric: &str) -> bool {
    let last = metric.rsplit('/').next().unwrap_or(metric);
    last == "availability" || last.contains("share") || last.ends_with("_fraction")
}

/// The exact (Garwood) 95 % interval of a Poisson mean per run, from `total` events in `runs`
/// runs: χ²(0.025; 2·total) / 2 and χ²(0.975; 2·total + 2) / 2, divided by the runs.
fn poisson_interval(total: f64, runs: usize) -> (f64, f64) {
    if total > 10_000.0 {
        // The normal approximation is within 0.1 % here, and the exact sum would be slow.
        let half = 1.959_964 * total.sqrt();
        return ((total - half) / runs as f64, (total + 1.0 + half) / runs as f64);
    }
    let low = if total == 0.0 { 0.0 } else { chi_square_quantile(0.025, 2.0 * total) / 2.0 };
    let high = chi_square_quantile(0.975, 2.0 * total + 2.0) / 2.0;
    (low / runs as f64, high / runs as f64)
}

/// The p quantile of χ² with an even number `df` = 2k of degrees of freedom, exactly: half of
/// it is Gamma(k, 1), whose distribution function is one minus a Poisson(y) probability of
/// fewer than k events; found by bisection.
fn chi_square_quantile(p: f64, df: f64) -> f64 {
    let k = (df / 2.0).round().max(1.0) as u64;
    // P(Gamma(k, 1) <= y) = 1 - sum_{i<k} e^-y y^i / i!, summed in logarithms.
    let cdf = |y: f64| {
        if y <= 0.0 {
            return 0.0;
        }
        let (mut log_term, mut log_sum) = (-y, -y);
        for i in 1..k {
            log_term += y.ln() - (i as f64).ln();
            let (high, low) = if log_term > log_sum { (log_term, log_sum) } else { (log_sum, log_term) };
            log_sum = high + (low - high).exp().ln_1p();
        }
        1.0 - log_sum.exp()
    };
    let mut high = k as f64 + 10.0 * (k as f64).sqrt() + 10.0;
    while cdf(high) < p {
        high *= 2.0;
    }
    let mut low = 0.0;
    for _ in 0..100 {
        let mid = 0.5 * (low + high);
        if cdf(mid) < p { low = mid } else { high = mid }
    }
    low + high
}

/// Linear interpolation between closest ranks (R's type 7) of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let (low, high) = (h.floor() as usize, h.ceil() as usize);
    Some(sorted[low] + (h - low as f64) * (sorted[high] - sorted[low]))
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom: a table to 30, then
/// the Cornish–Fisher expansion around the normal quantile (error below 1e-4).
pub fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    if (1..=30).contains(&df) {
        return TABLE[df - 1];
    }
    let z: f64 = 1.959_964;
    let v = df.max(1) as f64;
    z + (z.powi(3) + z) / (4.0 * v) + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * v * v)
}

/// Column headings of `Figures::episode_group_cells`.
pub const GROUP_COLUMNS: [&str; 7] = ["active", "stranded", "p50", "p99", "max", "misrouted", "failed"];

/// Formats summary figures for people: the value of a single run, or with several runs the
/// mean with its 95 % confidence interval, and how often the figure was missing.
pub struct Figures<'a> {
    rows: HashMap<&'a str, &'a Row>,
    pub many: bool,
}

impl<'a> Figures<'a> {
    pub fn new(report: &'a super::Report) -> Self {
        Figures { rows: report.summary.iter().map(|r| (r.metric.as_str(), r)).collect(), many: report.runs > 1 }
    }

    pub fn row(&self, metric: &str) -> Option<&Row> {
        self.rows.get(metric).copied()
    }

    /// "12.3 s", "never", or with several runs "12.3 s [11.9 – 12.7]" plus how often it was null.
    pub fn seconds(&self, metric: &str) -> String {
        self.format(metric, |x| format!("{x:.1} s"), true)
    }

    pub fn seconds_short(&self, metric: &str) -> String {
        self.format(metric, |x| format!("{x:.1}s"), false)
    }

    pub fn count(&self, metric: &str) -> String {
        self.format(metric, |x| if self.many { thousands_f(x) } else { thousands(x.round() as u64) }, true)
    }

    pub fn count_short(&self, metric: &str) -> String {
        self.format(metric, |x| if self.many { format!("{x:.1}") } else { thousands(x.round() as u64) }, false)
    }

    /// The cells of a client group's row in an episode's table, after the group's name:
    /// the columns of `GROUP_COLUMNS`.
    pub fn episode_group_cells(&self, episode: usize, group: &str) -> [String; 7] {
        let m = |f: &str| format!("/episodes/{episode}/groups/{}/{f}", escape(group));
        [
            self.count_short(&m("clients_active")),
            self.count_short(&m("clients_stranded")),
            self.seconds_short(&m("client_failover_s/p50")),
            self.seconds_short(&m("client_failover_s/p99")),
            self.seconds_short(&m("client_failover_s/max")),
            self.count_short(&m("requests_misrouted")),
            self.count_short(&m("requests_failed")),
        ]
    }

    pub fn rate(&self, metric: &str) -> String {
        self.format(metric, |x| format!("{x:.3}"), true)
    }

    pub fn money(&self, metric: &str) -> String {
        self.format(metric, |x| format!("{x:.2}"), true)
    }

    pub fn percent(&self, metric: &str) -> String {
        self.format(metric, |x| format!("{:.3} %", 100.0 * x), true)
    }

    fn format(&self, metric: &str, unit: impl Fn(f64) -> String, long: bool) -> String {
        let Some(row) = self.row(metric) else { return "–".into() };
        let Some(mean) = row.mean else { return "never".into() };
        if !self.many || !long {
            let value = unit(mean);
            return if row.missing > 0 && self.many { format!("{value}*") } else { value };
        }
        let mut s = unit(mean);
        if let (Some(low), Some(high)) = (row.ci95_low, row.ci95_high) {
            s += &format!(" [{} – {}]", unit(low), unit(high));
        }
        if row.missing > 0 {
            s += &format!(" (none in {} of {} runs)", row.missing, row.missing + row.n);
        }
        s
    }
}

/// A JSON Pointer segment for a key (ids may contain '/' or '~').
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn thousands_f(x: f64) -> String {
    if x.abs() >= 1000.0 { thousands(x.round() as u64) } else { format!("{x:.1}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&v, 0.5), Some(2.5));
        assert_eq!(percentile(&v, 1.0), Some(4.0));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn t_quantile_is_continuous_past_the_table() {
        assert!((t_975(31) - 2.040).abs() < 2e-3);
        assert!((t_975(120) - 1.980).abs() < 2e-3);
        assert!((t_975(100_000) - 1.960).abs() < 1e-3);
    }

    #[test]
    fn groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn rows_count_missing_values() {
        let r = row("x".into(), &[Some(1.0), None, Some(3.0)]);
        assert_eq!((r.n, r.missing), (2, 1));
        assert_eq!(r.mean, Some(2.0));
        assert!(r.ci95_low.unwrap() < 2.0 && r.ci95_high.unwrap() > 2.0);
        let single = row("y".into(), &[Some(5.0)]);
        assert_eq!(single.ci95_low, None);
    }

    #[test]
    fn intervals_stay_within_a_figures_range() {
        // One false failover in ten runs: the t interval reaches below zero; the exact Poisson
        // interval of 1 event in 10 runs is [0.0025, 0.557].
        let mut v = vec![Some(0.0); 9];
        v.push(Some(1.0));
        let r = row("/totals/false_failovers".into(), &v);
        assert_eq!(r.ci95_low, Some(0.0));
        assert!((r.ci95_high.unwrap() - 0.557).abs() < 0.01, "{:?}", r.ci95_high);
        // Never seen in 10 runs: still an upper bound, -ln(0.025) / 10.
        let r = row("/totals/false_failovers".into(), &[Some(0.0); 10]);
        assert_eq!(r.ci95_low, Some(0.0));
        assert!((r.ci95_high.unwrap() - 0.3689).abs() < 1e-3, "{:?}", r.ci95_high);
        // A skewed duration: clipped at zero, not widened.
        let r = row("/totals/false_failover_s".into(), &v);
        assert_eq!(r.ci95_low, Some(0.0));
        assert!((r.ci95_high.unwrap() - (0.1 + t_975(9) * (0.1f64).sqrt() / 10f64.sqrt())).abs() < 1e-9);
        // A share near 1 never above 1.
        let r = row("/totals/availability".into(), &[Some(1.0), Some(1.0), Some(0.9)]);
        assert_eq!(r.ci95_high, Some(1.0));
        // A count that does not vary keeps its point interval.
        let r = row("/episodes/0/clients_active".into(), &[Some(100.0), Some(100.0)]);
        assert_eq!((r.ci95_low, r.ci95_high), (Some(100.0), Some(100.0)));
    }

    #[test]
    fn chi_square_quantiles_match_tables() {
        // R: qchisq(0.975, 2) = 7.3778, qchisq(0.975, 4) = 11.1433, qchisq(0.025, 4) = 0.48442,
        // qchisq(0.975, 22) = 36.7807, qchisq(0.025, 2000) = 1877.86.
        for (p, df, expected) in [
            (0.975, 2.0, 7.3778),
            (0.975, 4.0, 11.1433),
            (0.025, 4.0, 0.48442),
            (0.975, 22.0, 36.7807),
            (0.025, 2000.0, 1877.86),
        ] {
            let found = chi_square_quantile(p, df);
            assert!((found - expected).abs() / expected < 1e-4, "qchisq({p}, {df}) = {found}, expected {expected}");
        }
    }
}
