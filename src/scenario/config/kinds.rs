//! Health checks that send no probes: calculated checks (the statuses of other checks) and
//! CloudWatch metric checks (an endpoint's metric), docs/model.md §3.12–§3.13, and the
//! checks fosim adds for load balancers (load_balancers.rs). Their validated settings, the
//! validation itself, and the settings derived from them that the model and the metrics
//! share (which checks depend on an endpoint).
//!
//! Probing checks are validated in the parent module; this file only refuses the fields of
//! these kinds on them.

use super::{Check, Config, HealthCheckConfig, Validator};
use crate::input::pointer;
use crate::scenario::presets::{self, Preset};
use crate::scenario::values::{Dist, Probability};
use crate::scenario::{
    CheckType, Comparison, InsufficientData, Metric, OutageData, Overrun, Quorum, Scenario, Schedule,
};
use crate::time::{self, SimDuration, US_PER_S};

/// Most children of a calculated check (R53API `ChildHealthCheckList`, `HealthThreshold`).
pub const CHILDREN_MAX: usize = 256;
/// Most consecutive periods a CloudWatch check evaluates.
pub const EVALUATION_PERIODS_MAX: i64 = 1_000;
/// Shortest metric period: bounds the datapoints of a run.
pub const PERIOD_US_MIN: SimDuration = US_PER_S;

/// What a health check is made of.
#[derive(Clone, Debug, PartialEq)]
pub enum CheckKind {
    /// Checkers probe the endpoint (docs/model.md §3.1–§3.11).
    Probing,
    Calculated(CalculatedConfig),
    Cloudwatch(CloudwatchConfig),
    /// A load balancer's health as Route 53 evaluates it: some target in service
    /// (docs/model.md §2.7); fosim adds one per load balancer, whose settings are its
    /// endpoint's.
    LoadBalancer,
}

/// A calculated check (docs/model.md §3.12).
#[derive(Clone, Debug, PartialEq)]
pub struct CalculatedConfig {
    /// Indices of the child checks, none of them calculated, in the order given.
    pub children: Vec<u32>,
    /// Healthy iff at least this many children are (0–256).
    pub health_threshold: u32,
    pub update_delay: Dist,
}

/// A CloudWatch metric check (docs/model.md §3.13).
#[derive(Clone, Debug, PartialEq)]
pub struct CloudwatchConfig {
    pub metric: Metric,
    pub period_us: SimDuration,
    pub threshold: f64,
    pub comparison: Comparison,
    pub evaluation_periods: u32,
    pub data_delay: Dist,
    pub insufficient_data: InsufficientData,
    pub outage_data: OutageData,
}

impl CloudwatchConfig {
    /// Whether a datapoint breaches the threshold.
    pub fn breaches(&self, value: f64) -> bool {
        match self.comparison {
            Comparison::GreaterThanOrEqualToThreshold => value >= self.threshold,
            Comparison::GreaterThanThreshold => value > self.threshold,
            Comparison::LessThanThreshold => value < self.threshold,
            Comparison::LessThanOrEqualToThreshold => value <= self.threshold,
        }
    }
}

/// The fields of a health check, by the kinds they belong to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Endpoint,
    Probe,
    Calculated,
    Cloudwatch,
}

/// Each field of a health check that only some kinds use: (name, given, family).
fn kind_fields(hc: &crate::scenario::HealthCheck) -> [(&'static str, bool, Family); 27] {
    use Family::*;
    [
        ("endpoint", hc.endpoint.is_some(), Endpoint),
        ("preset", hc.preset.is_some(), Probe),
        ("schedule", hc.schedule.is_some(), Probe),
        ("request_interval", hc.request_interval.is_some(), Probe),
        ("on_overrun", hc.on_overrun.is_some(), Probe),
        ("jitter", hc.jitter.is_some(), Probe),
        ("phase", hc.phase.is_some(), Probe),
        ("failure_threshold", hc.failure_threshold.is_some(), Probe),
        ("recovery_threshold", hc.recovery_threshold.is_some(), Probe),
        ("timeout", hc.timeout.is_some(), Probe),
        ("regions", hc.regions.is_some(), Probe),
        ("checkers_per_region", hc.checkers_per_region.is_some(), Probe),
        ("quorum", hc.quorum.is_some(), Probe),
        ("healthy_fraction", hc.healthy_fraction.is_some(), Probe),
        ("probe_loss_rate", hc.probe_loss_rate.is_some(), Probe),
        ("expire_unused_after", hc.expire_unused_after.is_some(), Probe),
        ("children", hc.children.is_some(), Calculated),
        ("health_threshold", hc.health_threshold.is_some(), Calculated),
        ("update_delay", hc.update_delay.is_some(), Calculated),
        ("metric", hc.metric.is_some(), Cloudwatch),
        ("period", hc.period.is_some(), Cloudwatch),
        ("threshold", hc.threshold.is_some(), Cloudwatch),
        ("comparison", hc.comparison.is_some(), Cloudwatch),
        ("evaluation_periods", hc.evaluation_periods.is_some(), Cloudwatch),
        ("data_delay", hc.data_delay.is_some(), Cloudwatch),
        ("insufficient_data_health_status", hc.insufficient_data_health_status.is_some(), Cloudwatch),
        ("outage_data", hc.outage_data.is_some(), Cloudwatch),
    ]
}

/// The scenario-file name of a check type.
pub fn type_name(t: CheckType) -> &'static str {
    match t {
        CheckType::Http => "http",
        CheckType::Https => "https",
        CheckType::HttpStrMatch => "http_str_match",
        CheckType::HttpsStrMatch => "https_str_match",
        CheckType::Tcp => "tcp",
        CheckType::Calculated => "calculated",
        CheckType::CloudwatchMetric => "cloudwatch_metric",
        CheckType::LoadBalancer => "load_balancer",
    }
}

/// Whether a check in the file sends probes (every type but calculated and CloudWatch).
pub fn probes(hc: &crate::scenario::HealthCheck) -> bool {
    !matches!(hc.check_type, Some(CheckType::Calculated | CheckType::CloudwatchMetric))
}

impl Validator<'_> {
    /// Refuses every field of `hc` that its type does not use, naming the type.
    fn check_kind_fields(&self, id: &str, hc: &crate::scenario::HealthCheck) -> Check<()> {
        let check_type = hc.check_type.unwrap_or_default();
        let allowed: &[Family] = match check_type {
            CheckType::Calculated => &[Family::Calculated],
            CheckType::CloudwatchMetric => &[Family::Cloudwatch, Family::Endpoint],
            CheckType::LoadBalancer => unreachable!("a file cannot name this type"),
            _ => &[Family::Probe, Family::Endpoint],
        };
        let name = type_name(check_type);
        for (field, given, family) in kind_fields(hc) {
            if given && !allowed.contains(&family) {
                let article = if name.starts_with(['a', 'e', 'h', 'i', 'o', 'u']) { "an" } else { "a" };
                let belongs = match family {
                    Family::Calculated => " (it belongs to type \"calculated\")",
                    Family::Cloudwatch => " (it belongs to type \"cloudwatch_metric\")",
                    Family::Endpoint => " (a calculated check follows its children, not an endpoint)",
                    Family::Probe => " (it configures probes, which this type does not send)",
                };
                return Err(self.error(
                    &pointer(&["health_checks", id, field]),
                    format!("the field \"{field}\" does not apply to {article} {name} health check{belongs}"),
                ));
            }
        }
        Ok(())
    }

    /// The endpoint a probing or CloudWatch check watches: required, and must exist.
    fn watched_endpoint(&self, s: &Scenario, id: &str, hc: &crate::scenario::HealthCheck) -> Check<u32> {
        let at = pointer(&["health_checks", id, "endpoint"]);
        let Some(endpoint) = &hc.endpoint else {
            let name = type_name(hc.check_type.unwrap_or_default());
            return Err(self.error(&at, format!("a {name} health check needs \"endpoint\" (the endpoint it watches)")));
        };
        self.lookup(&at, &s.endpoints, endpoint, "endpoint")
    }

    /// A probing check's endpoint, after refusing the fields of the other kinds.
    pub(super) fn probed_endpoint(&self, s: &Scenario, id: &str, hc: &crate::scenario::HealthCheck) -> Check<u32> {
        self.check_kind_fields(id, hc)?;
        self.watched_endpoint(s, id, hc)
    }

    /// The whole config of a calculated or CloudWatch check; None for a probing one.
    pub(super) fn derived_check(
        &mut self,
        s: &Scenario,
        id: &str,
        hc: &crate::scenario::HealthCheck,
    ) -> Check<Option<HealthCheckConfig>> {
        let (endpoint, kind, interval_us) = match hc.check_type {
            Some(CheckType::Calculated) => {
                self.check_kind_fields(id, hc)?;
                let calculated = self.calculated(s, id, hc)?;
                (None, CheckKind::Calculated(calculated), presets::ROUTE53.interval_us)
            }
            Some(CheckType::CloudwatchMetric) => {
                self.check_kind_fields(id, hc)?;
                let endpoint = self.watched_endpoint(s, id, hc)?;
                let cloudwatch = self.cloudwatch(id, hc)?;
                let period_us = cloudwatch.period_us;
                (Some(endpoint), CheckKind::Cloudwatch(cloudwatch), period_us)
            }
            _ => return Ok(None),
        };
        let check_type = hc.check_type.expect("only calculated and CloudWatch checks have no probes");
        Ok(Some(no_probes(id, check_type, hc.inverted, hc.disabled, endpoint, kind, interval_us)))
    }

    /// A calculated check's children (each an existing check that is not calculated, listed
    /// once, 1 to 256 of them) and its threshold.
    fn calculated(&mut self, s: &Scenario, id: &str, hc: &crate::scenario::HealthCheck) -> Check<CalculatedConfig> {
        let at = |field: &str| pointer(&["health_checks", id, field]);
        let Some(names) = &hc.children else {
            return Err(self.error(
                &at("children"),
                "a calculated health check needs \"children\" (the ids of the health checks it combines)",
            ));
        };
        if names.is_empty() || names.len() > CHILDREN_MAX {
            return Err(self
                .error(&at("children"), format!("expected from 1 to {CHILDREN_MAX} children, found {}", names.len())));
        }
        let mut children = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let cat = pointer(&["health_checks", id, "children", &i.to_string()]);
            if names[..i].contains(name) {
                return Err(self.error(&cat, format!("the child \"{name}\" is listed twice")));
            }
            let child = self.lookup(&cat, &s.health_checks, name, "health check")?;
            if s.health_checks[name].check_type == Some(CheckType::Calculated) {
                let chain = if name == id { format!("{id} → {id}") } else { format!("{id} → {name}") };
                return Err(self.error(&cat, format!(
                    "\"{name}\" is a calculated health check, and a calculated check cannot monitor another calculated check ({chain}); list the checks it combines instead")));
            }
            children.push(child);
        }
        let Some(threshold) = hc.health_threshold else {
            return Err(self.error(
                &at("health_threshold"),
                format!("a calculated health check needs \"health_threshold\" (how many of its {} children must be healthy)", names.len()),
            ));
        };
        let health_threshold =
            self.count(&at("health_threshold"), threshold, 0, CHILDREN_MAX as i64, "a health threshold")?;
        if health_threshold == 0 {
            self.warn(&at("health_threshold"), "a health threshold of 0 makes the check always healthy");
        } else if health_threshold as usize > names.len() {
            self.warn(
                &at("health_threshold"),
                format!(
                    "a health threshold of {health_threshold} with {} children makes the check always unhealthy",
                    names.len()
                ),
            );
        }
        let update_delay = hc.update_delay.clone().unwrap_or(Dist::Fixed(0));
        Ok(CalculatedConfig { children, health_threshold, update_delay })
    }

    /// A CloudWatch check's metric settings, with Route 53's limits as warnings.
    fn cloudwatch(&mut self, id: &str, hc: &crate::scenario::HealthCheck) -> Check<CloudwatchConfig> {
        let at = |field: &str| pointer(&["health_checks", id, field]);
        let Some(metric) = hc.metric else {
            return Err(self.error(
                &at("metric"),
                "a cloudwatch_metric health check needs \"metric\" (\"error_rate\", \"latency_average\" or \"latency_p99\")",
            ));
        };
        let threshold = self.metric_threshold(id, hc, metric)?;
        let period_us = hc.period.map_or(60 * US_PER_S, |d| d.us());
        if period_us < PERIOD_US_MIN {
            return Err(self.error(
                &at("period"),
                format!("expected a period of at least 1s, found {}", time::format_duration(period_us)),
            ));
        }
        if !period_us.is_multiple_of(60 * US_PER_S) {
            self.warn(
                &at("period"),
                format!(
                    "Route 53 accepts standard-resolution metrics only: a period of 60s or a multiple of it, found {}",
                    time::format_duration(period_us)
                ),
            );
        }
        if metric == Metric::LatencyP99 {
            self.warn(&at("metric"), "Route 53 accepts the statistics Average, Minimum, Maximum, Sum and SampleCount only; a p99 is an extended statistic");
        }
        let evaluation_periods = self.count(
            &at("evaluation_periods"),
            hc.evaluation_periods.unwrap_or(1),
            1,
            EVALUATION_PERIODS_MAX,
            "a number of evaluation periods",
        )?;
        Ok(CloudwatchConfig {
            metric,
            period_us,
            threshold,
            comparison: hc.comparison.unwrap_or_default(),
            evaluation_periods,
            data_delay: hc.data_delay.clone().unwrap_or(Dist::Fixed(0)),
            insufficient_data: hc.insufficient_data_health_status.unwrap_or_default(),
            outage_data: hc.outage_data.unwrap_or_default(),
        })
    }

    /// The threshold, in the metric's unit: a share from 0 to 1 for error rates (a common
    /// slip is 5 for 5 %), seconds from 0 for latencies.
    fn metric_threshold(&self, id: &str, hc: &crate::scenario::HealthCheck, metric: Metric) -> Check<f64> {
        let at = pointer(&["health_checks", id, "threshold"]);
        let Some(threshold) = hc.threshold else {
            return Err(self.error(
                &at,
                "a cloudwatch_metric health check needs \"threshold\" (the value each datapoint is compared with)",
            ));
        };
        match metric {
            Metric::ErrorRate if !(0.0..=1.0).contains(&threshold) => {
                Err(self.error(&at, format!("expected an error rate from 0 to 1 (5 % is 0.05), found {threshold}")))
            }
            Metric::LatencyAverage | Metric::LatencyP99 if !(threshold >= 0.0 && threshold.is_finite()) => {
                Err(self.error(&at, format!("expected a latency in seconds, at least 0, found {threshold}")))
            }
            _ => Ok(threshold),
        }
    }
}

/// The config of a check without checkers: the probe settings that do not apply are
/// zero or Route 53's, and nothing reads them.
pub(super) fn no_probes(
    id: &str,
    check_type: CheckType,
    inverted: bool,
    disabled: bool,
    endpoint: Option<u32>,
    kind: CheckKind,
    interval_us: SimDuration,
) -> HealthCheckConfig {
    let preset: &'static Preset = &presets::ROUTE53;
    HealthCheckConfig {
        id: id.to_owned(),
        endpoint,
        preset,
        check_type,
        schedule: Schedule::AfterResponse,
        interval_us,
        on_overrun: Overrun::Delay,
        jitter: None,
        phase: None,
        failure_threshold: 0,
        recovery_threshold: 0,
        timeout_us: None,
        expire_unused_us: None,
        regions: Vec::new(),
        checkers_per_region: 0,
        quorum: Quorum::FractionAbove,
        healthy_fraction: 0.0,
        healthy_count_min: 0,
        inverted,
        disabled,
        probe_loss: Probability::ZERO,
        kind,
    }
}

impl Config {
    /// Whether a check's status follows this endpoint: it probes or watches it or a load
    /// balancer in front of it (a load balancer's own check included), or (a calculated
    /// check) one of its children does.
    pub fn depends_on(&self, check: u32, endpoint: u32) -> bool {
        let hc = &self.health_checks[check as usize];
        match &hc.kind {
            CheckKind::Calculated(c) => c.children.iter().any(|&child| self.depends_on(child, endpoint)),
            _ => hc.endpoint.is_some_and(|watched| self.serves(watched, endpoint)),
        }
    }

    /// Whether what `watched` serves follows `endpoint`'s state: it is the endpoint, or a
    /// load balancer in front of it.
    pub fn serves(&self, watched: u32, endpoint: u32) -> bool {
        watched == endpoint || self.load_balancer(watched).is_some_and(|lb| lb.targets.contains(&endpoint))
    }

    /// The checks whose status follows this endpoint, in id order.
    pub fn checks_depending_on(&self, endpoint: u32) -> impl Iterator<Item = u32> + '_ {
        (0..self.health_checks.len() as u32).filter(move |&c| self.depends_on(c, endpoint))
    }

    /// The calculated checks that list `child`, in id order.
    pub fn parents_of(&self, child: u32) -> impl Iterator<Item = u32> + '_ {
        (0u32..).zip(&self.health_checks).filter_map(move |(c, hc)| match &hc.kind {
            CheckKind::Calculated(calc) if calc.children.contains(&child) => Some(c),
            _ => None,
        })
    }

    /// Datapoints CloudWatch checks publish over the run (two events each: the period's
    /// end and the arrival).
    pub fn datapoints_max(&self) -> u64 {
        self.health_checks
            .iter()
            .map(|hc| match &hc.kind {
                CheckKind::Cloudwatch(cw) => self.end_us() / cw.period_us + 1,
                _ => 0,
            })
            .sum()
    }
}
