//! CloudWatch metric health checks (docs/model.md §3.13): each period's datapoint is
//! computed from the endpoint's known state over the period (its fault segments), reaches
//! Route 53 a draw of `data_delay` after the period ends, and sets the status from the
//! latest `evaluation_periods` datapoints.
//!
//! Owns the periods, the datapoints and the status they give; not the endpoint's state
//! (endpoint.rs). Requests are aggregated lazily (docs/model.md §8), so a datapoint is what
//! the endpoint's state implies for requests, not a count of the simulated ones.

use super::endpoint::{EndpointModel, Segment};
use crate::rng::{self, Stream};
use crate::scenario::config::{CheckKind, CloudwatchConfig, Config, HealthCheckConfig};
use crate::scenario::values::Dist;
use crate::scenario::{InsufficientData, Metric, OutageData};
use crate::time::{SimTime, US_PER_S};
use rand::Rng;

/// What one period's datapoint says.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    Breaching,
    Fine,
    NoData,
}

struct Watch {
    check: u32,
    /// Start of period 0: periods are [phase + k·period, phase + (k + 1)·period).
    phase_us: SimTime,
    rng: Stream,
    /// The latest periods' outcomes, at `period % evaluation_periods`.
    recent: Vec<Option<(u32, Outcome)>>,
    /// The newest period whose datapoint (or its absence) has arrived.
    newest: Option<u32>,
    /// The status the data gives, before `inverted` and `disabled`: the last known status.
    data_healthy: bool,
}

/// A datapoint that reached Route 53, and the status change it caused.
pub struct Arrival {
    pub check: u32,
    pub period_start_us: SimTime,
    pub period_end_us: SimTime,
    /// None: the period has no data.
    pub value: Option<f64>,
    /// The check's new reported status, and the periods it rests on [from, to).
    pub change: Option<(bool, SimTime, SimTime)>,
}

pub struct Watches {
    watches: Vec<Watch>,
}

fn cloudwatch(hc: &HealthCheckConfig) -> &CloudwatchConfig {
    match &hc.kind {
        CheckKind::Cloudwatch(c) => c,
        _ => panic!("{} is not a CloudWatch check", hc.id),
    }
}

impl Watches {
    /// One watch per CloudWatch check that is not disabled (a disabled check is always
    /// healthy and Route 53 stops reading its metric). Its first draw is the phase of its
    /// periods, uniform over one period: CloudWatch's periods follow the clock, and the
    /// faults fall anywhere on it.
    pub fn new(config: &Config, run_seed: u64) -> Self {
        let mut watches = Vec::new();
        for (c, hc) in config.health_checks.iter().enumerate() {
            let CheckKind::Cloudwatch(cw) = &hc.kind else { continue };
            if hc.disabled {
                continue;
            }
            let mut rng = rng::stream(run_seed, &format!("cloudwatch/{}", hc.id));
            let phase_us = rng.next_u64() % cw.period_us;
            watches.push(Watch {
                check: c as u32,
                phase_us,
                rng,
                recent: vec![None; cw.evaluation_periods as usize],
                newest: None,
                data_healthy: true,
            });
        }
        Watches { watches }
    }

    /// The check a watch belongs to.
    pub fn check(&self, w: u32) -> u32 {
        self.watches[w as usize].check
    }

    /// When each watch's first period ends, if before the end of the run: (watch, time).
    pub fn first_period_ends(&self, config: &Config) -> Vec<(u32, SimTime)> {
        (0..self.watches.len() as u32)
            .map(|w| (w, self.period_end_us(config, w, 0)))
            .filter(|&(_, end_us)| end_us < config.end_us())
            .collect()
    }

    /// When period `period` of watch `w` ends.
    pub fn period_end_us(&self, config: &Config, w: u32, period: u32) -> SimTime {
        let watch = &self.watches[w as usize];
        let period_us = cloudwatch(&config.health_checks[watch.check as usize]).period_us;
        watch.phase_us + (u64::from(period) + 1) * period_us
    }

    /// A period ended: when its datapoint reaches Route 53 (one draw of `data_delay`, drawn
    /// whether or not the period has data, so that the stream's path does not depend on it).
    pub fn arrival_us(&mut self, config: &Config, w: u32, period: u32) -> SimTime {
        let end_us = self.period_end_us(config, w, period);
        let watch = &mut self.watches[w as usize];
        end_us + cloudwatch(&config.health_checks[watch.check as usize]).data_delay.sample(&mut watch.rng)
    }

    /// Period `period`'s datapoint reaches Route 53; `reported` is the check's status now.
    /// A datapoint older than one already evaluated is kept for later evaluations but
    /// changes nothing now.
    pub fn on_arrival(
        &mut self,
        config: &Config,
        endpoints: &[EndpointModel],
        w: u32,
        period: u32,
        reported: bool,
    ) -> Arrival {
        let end_us = self.period_end_us(config, w, period);
        let watch = &mut self.watches[w as usize];
        let hc = &config.health_checks[watch.check as usize];
        let cw = cloudwatch(hc);
        let start_us = end_us - cw.period_us;
        let endpoint = &endpoints[hc.endpoint.expect("a CloudWatch check watches an endpoint") as usize];
        let value = datapoint(cw, endpoint, start_us, end_us);
        let outcome = match value {
            None => Outcome::NoData,
            Some(v) if cw.breaches(v) => Outcome::Breaching,
            Some(_) => Outcome::Fine,
        };
        let m = cw.evaluation_periods;
        watch.recent[(period % m) as usize] = Some((period, outcome));
        let mut arrival =
            Arrival { check: watch.check, period_start_us: start_us, period_end_us: end_us, value, change: None };
        if watch.newest.is_some_and(|n| period < n) {
            return arrival;
        }
        watch.newest = Some(period);
        watch.data_healthy = match outcome {
            Outcome::NoData => match cw.insufficient_data {
                InsufficientData::Healthy => true,
                InsufficientData::Unhealthy => false,
                InsufficientData::LastKnownStatus => watch.data_healthy,
            },
            // Unhealthy iff the latest `m` periods all breach (no M-of-N in Route 53).
            _ => !(0..m).all(|back| {
                period >= back
                    && watch.recent[((period - back) % m) as usize] == Some((period - back, Outcome::Breaching))
            }),
        };
        let healthy = hc.disabled || (watch.data_healthy != hc.inverted);
        if healthy != reported {
            let first = period.saturating_sub(m - 1);
            arrival.change = Some((healthy, end_us - u64::from(period - first + 1) * cw.period_us, end_us));
        }
        arrival
    }
}

/// The metric over [from_us, to_us), from the endpoint's segments; None when nothing is
/// published (the endpoint down throughout with `outage_data: missing`, or, for latencies,
/// no request answered).
pub fn datapoint(cw: &CloudwatchConfig, endpoint: &EndpointModel, from_us: SimTime, to_us: SimTime) -> Option<f64> {
    let pieces = pieces(endpoint, from_us, to_us);
    match cw.metric {
        Metric::ErrorRate => {
            let mut weight_us = 0u64;
            let mut failing = 0.0;
            for (segment, len_us) in &pieces {
                let p = match (&segment.down, &segment.degraded) {
                    (Some(_), _) if cw.outage_data == OutageData::Missing => continue,
                    (Some(_), _) => 1.0,
                    (None, Some(d)) => d.request_error.p,
                    (None, None) => 0.0,
                };
                weight_us += len_us;
                failing += p * *len_us as f64;
            }
            (weight_us > 0).then(|| failing / weight_us as f64)
        }
        Metric::LatencyAverage | Metric::LatencyP99 => {
            // Answered requests only: a request to a down endpoint has no response time.
            let answered: Vec<(&Dist, u64)> = pieces
                .iter()
                .filter(|(s, _)| s.down.is_none())
                .map(|(s, len)| {
                    (
                        s.degraded.as_ref().and_then(|d| d.response_time.as_ref()).unwrap_or(&endpoint.response_time),
                        *len,
                    )
                })
                .collect();
            let total_us: u64 = answered.iter().map(|(_, len)| len).sum();
            if total_us == 0 {
                return None;
            }
            let latency_us = if cw.metric == Metric::LatencyAverage {
                answered.iter().map(|(d, len)| d.mean_us() * *len as f64).sum::<f64>() / total_us as f64
            } else {
                mixture_quantile_us(&answered, total_us, 0.99) as f64
            };
            Some(latency_us / US_PER_S as f64)
        }
    }
}

/// The endpoint's segments cut to [from_us, to_us): (segment, length).
fn pieces(endpoint: &EndpointModel, from_us: SimTime, to_us: SimTime) -> Vec<(&Segment, u64)> {
    let first = endpoint.segments.partition_point(|s| s.start_us <= from_us) - 1;
    let mut out = Vec::new();
    for (i, segment) in endpoint.segments.iter().enumerate().skip(first) {
        if segment.start_us >= to_us {
            break;
        }
        let end_us = endpoint.segments.get(i + 1).map_or(to_us, |next| next.start_us.min(to_us));
        out.push((segment, end_us - segment.start_us.max(from_us)));
    }
    out
}

/// The smallest whole microsecond x at which the time-weighted mixture of the response-time
/// distributions reaches probability q (requests arrive evenly over the period).
fn mixture_quantile_us(parts: &[(&Dist, u64)], total_us: u64, q: f64) -> u64 {
    let cdf = |x: u64| parts.iter().map(|(d, len)| cdf(d, x as f64) * *len as f64).sum::<f64>() / total_us as f64;
    let (mut low, mut high) = (0u64, crate::time::DURATION_US_MAX);
    while low < high {
        let mid = low + (high - low) / 2;
        if cdf(mid) >= q { high = mid } else { low = mid + 1 }
    }
    low
}

/// P(draw ≤ x) for a response-time distribution.
fn cdf(d: &Dist, x: f64) -> f64 {
    let step = |at: u64| if x >= at as f64 { 1.0 } else { 0.0 };
    match *d {
        Dist::Fixed(v) => step(v),
        Dist::Uniform(a, b) if a == b => step(a),
        // Whole microseconds from a to b, both included.
        Dist::Uniform(a, b) => ((x.floor() - a as f64 + 1.0) / (b - a + 1) as f64).clamp(0.0, 1.0),
        Dist::Exponential(0) => 1.0,
        Dist::Exponential(mean) => 1.0 - (-x / mean as f64).exp(),
        Dist::Lognormal { median, sigma } => {
            if median == 0 || sigma == 0.0 {
                step(median)
            } else if x <= 0.0 {
                0.0
            } else {
                0.5 * erfc(-(x / median as f64).ln() / (sigma * std::f64::consts::SQRT_2))
            }
        }
    }
}

/// The complementary error function, with a fractional error below 1.2 × 10⁻⁷ (Numerical
/// Recipes' Chebyshev fit): ample for a percentile.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::endpoint::Degraded;
    use crate::scenario::values::Probability;
    use crate::scenario::{Comparison, FailMode};

    fn cw(metric: Metric, outage_data: OutageData) -> CloudwatchConfig {
        CloudwatchConfig {
            metric,
            period_us: 60 * US_PER_S,
            threshold: 0.05,
            comparison: Comparison::GreaterThanOrEqualToThreshold,
            evaluation_periods: 1,
            data_delay: Dist::Fixed(0),
            insufficient_data: InsufficientData::LastKnownStatus,
            outage_data,
        }
    }

    /// Healthy until 30 s, down 30–60 s, degraded (10 % errors, 1 s responses) 60–120 s.
    fn endpoint() -> EndpointModel {
        let s = |start_s: u64| Segment { start_us: start_s * US_PER_S, ..Segment::default() };
        let degraded = Degraded {
            request_error: Probability::new(0.1),
            probe_error: Probability::ZERO,
            response_time: Some(Dist::Fixed(US_PER_S)),
        };
        EndpointModel {
            response_time: Dist::Fixed(50_000),
            segments: vec![
                s(0),
                Segment { down: Some(FailMode::Timeout), ..s(30) },
                Segment { degraded: Some(degraded), ..s(60) },
                s(120),
            ],
        }
    }

    #[test]
    fn error_rates_average_the_failure_probability_over_the_period() {
        let e = endpoint();
        let at = |m, o, from: u64, to: u64| datapoint(&cw(m, o), &e, from * US_PER_S, to * US_PER_S);
        // Down half the period: a crashed host publishes only the healthy half; a load
        // balancer reports the down half as errors.
        assert_eq!(at(Metric::ErrorRate, OutageData::Missing, 0, 60), Some(0.0));
        assert_eq!(at(Metric::ErrorRate, OutageData::Errors, 0, 60), Some(0.5));
        assert_eq!(at(Metric::ErrorRate, OutageData::Missing, 30, 60), None);
        assert_eq!(at(Metric::ErrorRate, OutageData::Missing, 60, 120), Some(0.1));
        let mixed = at(Metric::ErrorRate, OutageData::Errors, 45, 75).unwrap();
        assert!((mixed - 0.55).abs() < 1e-12, "{mixed}");
    }

    #[test]
    fn latencies_weigh_the_answered_time() {
        let e = endpoint();
        let at = |m, from: u64, to: u64| datapoint(&cw(m, OutageData::Errors), &e, from * US_PER_S, to * US_PER_S);
        assert_eq!(at(Metric::LatencyAverage, 0, 30), Some(0.05));
        // Half the answered time at 50 ms and half at 1 s.
        assert_eq!(at(Metric::LatencyAverage, 0, 90), Some(0.525));
        assert_eq!(at(Metric::LatencyP99, 0, 90), Some(1.0));
        assert_eq!(at(Metric::LatencyP99, 30, 60), None);
        assert_eq!(at(Metric::LatencyP99, 0, 30), Some(0.05));
    }

    #[test]
    fn quantiles_follow_each_distribution() {
        let exp = Dist::Exponential(US_PER_S);
        let q = mixture_quantile_us(&[(&exp, 1)], 1, 0.99) as f64 / 1e6;
        assert!((q - 100f64.ln()).abs() < 1e-5, "{q}");
        let logn = Dist::Lognormal { median: US_PER_S, sigma: 1.0 };
        let q = mixture_quantile_us(&[(&logn, 1)], 1, 0.99) as f64 / 1e6;
        // e^(2.326348): the 99th percentile of the standard normal.
        assert!((q - 2.326_348f64.exp()).abs() < 1e-3, "{q}");
        let uniform = Dist::Uniform(0, 999_999);
        assert_eq!(mixture_quantile_us(&[(&uniform, 1)], 1, 0.99), 989_999);
    }
}
