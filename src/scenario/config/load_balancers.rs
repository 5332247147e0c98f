//! Load balancers (docs/model.md §2.7): an endpoint's `load_balancer` block — its targets
//! and their target health checks — validated against AWS's ranges, and the health check
//! fosim adds for each load balancer (its health as Route 53 evaluates it for an alias with
//! `evaluate_target_health`).
//!
//! Owns the settings; the load balancer's view of its targets is the model's
//! (model/load_balancer.rs).

use super::kinds::no_probes;
use super::{Check, CheckKind, Config, EndpointConfig, HealthCheckConfig, Validator};
use crate::input::pointer;
use crate::scenario::values::Dist;
use crate::scenario::{CheckType, Scenario};
use crate::time::{self, SimDuration, US_PER_S};

/// Most targets of one load balancer: bounds the work of routing a request.
pub const TARGETS_MAX: usize = 1_000;

/// AWS's ranges for a target group's health checks (ELB User Guide,
/// `target-group-health-checks`): interval 5–300 s, timeout 2–120 s, thresholds 2–10.
const INTERVAL_US: (SimDuration, SimDuration) = (5 * US_PER_S, 300 * US_PER_S);
const TIMEOUT_US: (SimDuration, SimDuration) = (2 * US_PER_S, 120 * US_PER_S);
const THRESHOLDS: (i64, i64) = (2, 10);

/// A load balancer: its targets and the health checks it sends them.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadBalancerConfig {
    /// The endpoints it forwards requests to, in the order given; none is a load balancer.
    pub targets: Vec<u32>,
    pub interval_us: SimDuration,
    pub timeout_us: SimDuration,
    /// Consecutive successes that put a target back in service.
    pub healthy_threshold: u32,
    /// Consecutive failures that take a target out of service.
    pub unhealthy_threshold: u32,
    /// From a change of the load balancer's health to Route 53, drawn per change.
    pub eth_delay: Dist,
    /// The health check fosim adds for it (`Config::health_checks`).
    pub check: u32,
}

/// The id of the health check fosim adds for a load balancer.
pub fn check_id(load_balancer: &str) -> String {
    format!("{load_balancer} targets")
}

impl Validator<'_> {
    /// An endpoint's `load_balancer` block, if any: targets that exist, listed once, neither
    /// itself nor load balancers; AWS's ranges; no faults of its own. Its check is numbered
    /// later (`load_balancer_checks`).
    pub(super) fn load_balancer(
        &self,
        s: &Scenario,
        id: &str,
        e: &crate::scenario::Endpoint,
    ) -> Check<Option<LoadBalancerConfig>> {
        let Some(lb) = &e.load_balancer else { return Ok(None) };
        let at = |field: &str| pointer(&["endpoints", id, "load_balancer", field]);
        if !e.faults.is_empty() {
            return Err(self.error(
                &pointer(&["endpoints", id, "faults"]),
                format!("a load balancer has no faults of its own; put them on its targets ({})", quoted(&lb.targets)),
            ));
        }
        let targets = self.targets(s, id, &lb.targets)?;
        let interval_us = self.within(&at("interval"), lb.interval.map_or(30 * US_PER_S, |d| d.us()), INTERVAL_US)?;
        let timeout_us = self.within(&at("timeout"), lb.timeout.map_or(5 * US_PER_S, |d| d.us()), TIMEOUT_US)?;
        if timeout_us >= interval_us {
            return Err(self.error(
                &at("timeout"),
                format!(
                    "expected a timeout shorter than the interval ({}), found {} (AWS refuses it: the health check interval must be greater than the timeout)",
                    time::format_duration(interval_us),
                    time::format_duration(timeout_us)
                ),
            ));
        }
        let (low, high) = THRESHOLDS;
        let threshold = |field: &str, value: Option<i64>, default: i64| {
            self.count(&at(field), value.unwrap_or(default), low, high, "a threshold")
        };
        Ok(Some(LoadBalancerConfig {
            targets,
            interval_us,
            timeout_us,
            healthy_threshold: threshold("healthy_threshold", lb.healthy_threshold, 5)?,
            unhealthy_threshold: threshold("unhealthy_threshold", lb.unhealthy_threshold, 2)?,
            eth_delay: lb.eth_delay.clone().unwrap_or(Dist::Fixed(0)),
            check: u32::MAX,
        }))
    }

    /// The targets of load balancer `id`, as endpoint numbers.
    fn targets(&self, s: &Scenario, id: &str, names: &[String]) -> Check<Vec<u32>> {
        let at = pointer(&["endpoints", id, "load_balancer", "targets"]);
        if names.is_empty() || names.len() > TARGETS_MAX {
            return Err(self.error(&at, format!("expected from 1 to {TARGETS_MAX} targets, found {}", names.len())));
        }
        let mut targets = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let tat = format!("{at}/{i}");
            if names[..i].contains(name) {
                return Err(self.error(&tat, format!("the target \"{name}\" is listed twice")));
            }
            if name == id {
                return Err(self.error(&tat, format!("\"{id}\" cannot be a target of itself")));
            }
            let target = self.lookup(&tat, &s.endpoints, name, "endpoint")?;
            if s.endpoints[name].load_balancer.is_some() {
                return Err(self.error(
                    &tat,
                    format!(
                        "\"{name}\" is a load balancer too; a load balancer's targets are servers, not load balancers"
                    ),
                ));
            }
            targets.push(target);
        }
        Ok(targets)
    }

    /// A duration within AWS's range for its field.
    fn within(&self, at: &str, us: SimDuration, (low, high): (SimDuration, SimDuration)) -> Check<SimDuration> {
        if !(low..=high).contains(&us) {
            return Err(self.error(
                at,
                format!(
                    "expected from {} to {}, found {}",
                    time::format_duration(low),
                    time::format_duration(high),
                    time::format_duration(us)
                ),
            ));
        }
        Ok(us)
    }

    /// Adds one health check per load balancer, after the file's own (so that their numbers
    /// do not move), and numbers it in the endpoint's settings. Its id must not be taken.
    pub(super) fn load_balancer_checks(
        &self,
        s: &Scenario,
        endpoints: &mut [EndpointConfig],
        checks: &mut Vec<HealthCheckConfig>,
    ) -> Check<()> {
        for (e, endpoint) in (0u32..).zip(endpoints.iter_mut()) {
            let Some(lb) = &mut endpoint.load_balancer else { continue };
            let id = check_id(&endpoint.id);
            if s.health_checks.contains_key(&id) {
                return Err(self.error(
                    &pointer(&["health_checks", &id]),
                    format!(
                        "the id \"{id}\" names the health of load balancer \"{}\", which fosim adds itself; rename this health check",
                        endpoint.id
                    ),
                ));
            }
            lb.check = checks.len() as u32;
            let kind = CheckKind::LoadBalancer;
            checks.push(no_probes(&id, CheckType::LoadBalancer, false, false, Some(e), kind, lb.interval_us));
        }
        Ok(())
    }
}

/// Names as a list in words: "a", "b".
fn quoted(names: &[String]) -> String {
    names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
}

impl Config {
    /// The settings of a load balancer; None for any other endpoint.
    pub fn load_balancer(&self, endpoint: u32) -> Option<&LoadBalancerConfig> {
        self.endpoints[endpoint as usize].load_balancer.as_ref()
    }

    /// Every load balancer, as (endpoint, settings), in id order.
    pub fn load_balancers(&self) -> impl Iterator<Item = (u32, &LoadBalancerConfig)> + '_ {
        (0u32..).zip(&self.endpoints).filter_map(|(e, c)| c.load_balancer.as_ref().map(|lb| (e, lb)))
    }
}
