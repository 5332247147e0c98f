//! Route 53 health checks: checkers that probe an endpoint, per-checker thresholds, and the
//! strict "> healthy_fraction" aggregate (docs/model.md §3).
//!
//! Owns probe outcomes and health status; not what DNS does with a status change (dns.rs).
//! One event per probe: when a probe completes, the next one's send time is known
//! (`request_interval` later) and so is the endpoint's state then (segments are fixed at
//! the start of the run), so its outcome is drawn at once and only its completion is queued.

use super::endpoint::{EndpointModel, Segment};
use crate::observe::{CheckerId, Transition};
use crate::rng::{self, Stream};
use crate::scenario::config::{Config, HealthCheckConfig};
use crate::scenario::{FailMode, Overrun, Quorum, Schedule};
use crate::time::{SimDuration, SimTime};
use rand::Rng;

pub struct Checker {
    pub id: CheckerId,
    /// Position of its region among its check's regions.
    region_slot: u32,
    /// When its latest probe was sent.
    sent_us: SimTime,
    /// Consecutive results that disagree with `healthy`.
    disagreeing: u32,
    pub healthy: bool,
    rng: Stream,
}

pub struct CheckState {
    pub healthy_checkers: u32,
    /// Healthy checkers per region (for the majority-of-majorities quorum).
    region_healthy: Vec<u32>,
    /// The status Route 53 reports: after `inverted` and `disabled`.
    pub healthy: bool,
}

pub struct Health {
    pub checkers: Vec<Checker>,
    pub checks: Vec<CheckState>,
    /// Every change of a check's reported status, numbered in order.
    pub transitions: Vec<Transition>,
    /// The checkers of each check.
    checker_ranges: Vec<std::ops::Range<usize>>,
    /// Checks that expire unused (docs/model.md §3.11): since when each has been unused
    /// (None: since before the run), while no name server consults it.
    unused_since: Vec<Option<SimTime>>,
    /// When each check was last registered anew: results of probes sent before are dropped.
    registered_us: Vec<SimTime>,
}

/// What a probe handler tells the world.
pub struct ProbeResult {
    /// The next probe of this checker: (completion time, success).
    pub next: (SimTime, bool),
    /// The checker's own status flipped (to the probe's result).
    pub flipped: bool,
    /// Index into `transitions` when the check's reported status changed.
    pub transition: Option<u32>,
}

impl Health {
    pub fn new(config: &Config, run_seed: u64) -> Self {
        let mut checkers = Vec::new();
        let mut checker_ranges = Vec::with_capacity(config.health_checks.len());
        for (c, hc) in config.health_checks.iter().enumerate() {
            let first = checkers.len();
            if hc.disabled {
                checker_ranges.push(first..first);
                continue;
            }
            for (slot, &region) in hc.regions.iter().enumerate() {
                for i in 0..hc.checkers_per_region {
                    let name = format!("checker/{}/{}/{i}", hc.id, config.regions[region as usize]);
                    checkers.push(Checker {
                        id: CheckerId { check: c as u32, region, index_in_region: i },
                        region_slot: slot as u32,
                        sent_us: 0,
                        disagreeing: 0,
                        healthy: true,
                        rng: rng::stream(run_seed, &name),
                    });
                }
            }
            checker_ranges.push(first..checkers.len());
        }
        // Route 53 starts a check healthy (an inverted one unhealthy); a disabled check is
        // always healthy.
        let checks = config
            .health_checks
            .iter()
            .map(|hc| CheckState {
                healthy_checkers: hc.checker_count(),
                region_healthy: vec![if hc.disabled { 0 } else { hc.checkers_per_region }; hc.regions.len()],
                healthy: hc.disabled || !hc.inverted,
            })
            .collect();
        let n = config.health_checks.len();
        Health {
            checkers,
            checks,
            transitions: Vec::new(),
            checker_ranges,
            unused_since: vec![None; n],
            registered_us: vec![0; n],
        }
    }

    /// A name server consults the check, which none did: if it expires unused and has been
    /// unused that long (or since before the run), it is registered anew — its checkers
    /// restart unhealthy and only probes sent from now on count. Returns the checkers that
    /// flipped and the status change, if any.
    pub fn consulted(&mut self, config: &Config, check: u32, now_us: SimTime) -> (Vec<u32>, Option<u32>) {
        let c = check as usize;
        let hc = &config.health_checks[c];
        let Some(expire_us) = hc.expire_unused_us else { return (Vec::new(), None) };
        let since = self.unused_since[c].take();
        if since.is_some_and(|t| now_us - t < expire_us) {
            return (Vec::new(), None);
        }
        self.registered_us[c] = now_us;
        let state = &mut self.checks[c];
        let mut flipped = Vec::new();
        for i in self.checker_ranges[c].clone() {
            let checker = &mut self.checkers[i];
            checker.disagreeing = 0;
            if std::mem::replace(&mut checker.healthy, false) {
                flipped.push(i as u32);
                state.healthy_checkers -= 1;
                state.region_healthy[checker.region_slot as usize] -= 1;
            }
        }
        let healthy = hc.disabled || quorum_healthy(hc, state) != hc.inverted;
        if healthy == state.healthy {
            return (flipped, None);
        }
        state.healthy = healthy;
        let id = u32::try_from(self.transitions.len()).expect("fewer than 2^32 status changes");
        self.transitions.push(Transition { at_us: now_us, check, healthy });
        (flipped, Some(id))
    }

    /// A check without checkers (calculated, CloudWatch) changed its reported status:
    /// records the change and returns its number.
    pub fn record(&mut self, at_us: SimTime, check: u32, healthy: bool) -> u32 {
        let state = &mut self.checks[check as usize];
        assert_ne!(state.healthy, healthy, "a status change changes the status");
        state.healthy = healthy;
        let id = u32::try_from(self.transitions.len()).expect("fewer than 2^32 status changes");
        self.transitions.push(Transition { at_us, check, healthy });
        id
    }

    /// No name server consults the check any more.
    pub fn unused(&mut self, check: u32, now_us: SimTime) {
        self.unused_since[check as usize] = Some(now_us);
    }

    /// Each checker's first probe, at its `phase` (default a uniform phase in
    /// [0, request_interval)): (checker, completion time, success).
    pub fn first_probes(&mut self, config: &Config, endpoints: &[EndpointModel]) -> Vec<(u32, SimTime, bool)> {
        let mut out = Vec::with_capacity(self.checkers.len());
        for (i, checker) in self.checkers.iter_mut().enumerate() {
            let hc = &config.health_checks[checker.id.check as usize];
            let send_us = match &hc.phase {
                None => checker.rng.next_u64() % hc.interval_us,
                Some(phase) => phase.sample(&mut checker.rng),
            };
            let (done_us, ok) = checker.probe(hc, &endpoints[probed(hc)], send_us);
            out.push((i as u32, done_us, ok));
        }
        out
    }

    /// A probe completed at `now_us`: apply its result and draw the next probe.
    pub fn on_probe(
        &mut self,
        config: &Config,
        endpoints: &[EndpointModel],
        now_us: SimTime,
        checker_index: u32,
        ok: bool,
    ) -> ProbeResult {
        let checker = &mut self.checkers[checker_index as usize];
        let check = checker.id.check;
        let hc = &config.health_checks[check as usize];
        let state = &mut self.checks[check as usize];
        if checker.sent_us < self.registered_us[check as usize] {
            // Sent before the check was registered anew: its result does not count.
            let send_us = checker.next_send_us(hc, now_us);
            let next = checker.probe(hc, &endpoints[probed(hc)], send_us);
            return ProbeResult { next, flipped: false, transition: None };
        }
        let flipped = if ok == checker.healthy {
            checker.disagreeing = 0;
            false
        } else {
            checker.disagreeing += 1;
            let threshold = if checker.healthy { hc.failure_threshold } else { hc.recovery_threshold };
            checker.disagreeing >= threshold
        };
        let send_us = checker.next_send_us(hc, now_us);
        let next = checker.probe(hc, &endpoints[probed(hc)], send_us);
        if !flipped {
            return ProbeResult { next, flipped, transition: None };
        }
        checker.healthy = ok;
        checker.disagreeing = 0;
        let region = &mut state.region_healthy[checker.region_slot as usize];
        if ok {
            state.healthy_checkers += 1;
            *region += 1;
        } else {
            state.healthy_checkers -= 1;
            *region -= 1;
        }
        let healthy = quorum_healthy(hc, state) != hc.inverted;
        if healthy == state.healthy {
            return ProbeResult { next, flipped, transition: None };
        }
        state.healthy = healthy;
        let id = u32::try_from(self.transitions.len()).expect("fewer than 2^32 status changes");
        self.transitions.push(Transition { at_us: now_us, check, healthy });
        ProbeResult { next, flipped, transition: Some(id) }
    }
}

/// The endpoint a check with checkers probes.
fn probed(hc: &HealthCheckConfig) -> usize {
    hc.endpoint.expect("a check with checkers probes an endpoint") as usize
}

/// Whether the checkers' views make the check healthy, before `inverted` (docs/model.md
/// §3.6).
fn quorum_healthy(hc: &HealthCheckConfig, state: &CheckState) -> bool {
    match hc.quorum {
        Quorum::MajorityOfMajorities => {
            let regions = state.region_healthy.iter().filter(|&&n| n > hc.checkers_per_region / 2).count();
            regions > hc.regions.len() / 2
        }
        _ => state.healthy_checkers >= hc.healthy_count_min,
    }
}

impl Checker {
    /// When the next probe is sent, its predecessor having completed at `done_us`
    /// (docs/model.md §3.2): `request_interval` after the response, or on the next tick of
    /// a fixed-rate timer — at once when the probe overran the tick and overruns delay, the
    /// first tick after it when they skip — plus a draw of `jitter`.
    fn next_send_us(&mut self, hc: &HealthCheckConfig, done_us: SimTime) -> SimTime {
        let jitter_us = hc.jitter.as_ref().map_or(0, |j| j.sample(&mut self.rng));
        match hc.schedule {
            Schedule::AfterResponse => done_us + hc.interval_us + jitter_us,
            Schedule::FixedRate => {
                let tick_us = self.sent_us + hc.interval_us + jitter_us;
                match hc.on_overrun {
                    _ if tick_us >= done_us => tick_us,
                    Overrun::Delay => done_us,
                    Overrun::Skip => tick_us + (done_us - tick_us).div_ceil(hc.interval_us) * hc.interval_us,
                }
            }
        }
    }

    /// Sends a probe at `send_us`: returns when its result arrives and whether it succeeded
    /// (docs/model.md §3.3). Draws in a fixed order — loss, then response time, then error —
    /// so that configurations differing in one rate stay on the same random path.
    fn probe(&mut self, hc: &HealthCheckConfig, endpoint: &EndpointModel, send_us: SimTime) -> (SimTime, bool) {
        self.sent_us = send_us;
        let segment = endpoint.at(send_us);
        let (latency_us, ok) = probe_outcome(hc, endpoint, segment, self.id.region, &mut self.rng);
        (send_us + latency_us, ok)
    }
}

fn probe_outcome(
    hc: &HealthCheckConfig,
    endpoint: &EndpointModel,
    segment: &Segment,
    region: u16,
    rng: &mut Stream,
) -> (SimDuration, bool) {
    let connect_us = hc.connect_timeout_us();
    let lost_background = hc.probe_loss.hit(rng);
    let lost_fault = match segment.loss.iter().find(|(r, _)| *r == region) {
        Some((_, rate)) => rate.hit(rng),
        None => false,
    };
    match segment.down {
        Some(FailMode::Timeout) => return (connect_us, false),
        Some(FailMode::Refuse) if !lost_background && !lost_fault => {
            return (endpoint.response_time.sample(rng), false);
        }
        _ => {}
    }
    if lost_background || lost_fault {
        return (connect_us, false);
    }
    let degraded = segment.degraded.as_ref();
    let response_us = degraded.and_then(|d| d.response_time.as_ref()).unwrap_or(&endpoint.response_time).sample(rng);
    let error = degraded.is_some_and(|d| d.probe_error.hit(rng));
    match hc.response_limit_us() {
        // tcp: connected is healthy; an application error the checker is told to see
        // refuses the connection at once.
        None => (0, !error),
        Some(limit_us) if response_us > limit_us => (limit_us, false),
        Some(_) => (response_us, !error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::values::{Dist, Probability};
    use crate::scenario::{CheckType, config};

    fn hc(check_type: CheckType) -> HealthCheckConfig {
        HealthCheckConfig {
            id: "hc".into(),
            endpoint: Some(0),
            preset: &crate::scenario::presets::ROUTE53,
            check_type,
            schedule: Schedule::AfterResponse,
            interval_us: 30_000_000,
            on_overrun: Overrun::Delay,
            jitter: None,
            phase: None,
            failure_threshold: 3,
            recovery_threshold: 3,
            timeout_us: None,
            expire_unused_us: None,
            regions: vec![0],
            checkers_per_region: 1,
            quorum: Quorum::FractionAbove,
            healthy_fraction: 0.18,
            healthy_count_min: 1,
            inverted: false,
            disabled: false,
            probe_loss: Probability::ZERO,
            kind: config::CheckKind::Probing,
        }
    }

    fn endpoint(response_us: u64) -> EndpointModel {
        EndpointModel { response_time: Dist::Fixed(response_us), segments: vec![Segment::default()] }
    }

    #[test]
    fn probe_timings_follow_route53_limits() {
        let mut rng = rng::stream(1, "t");
        let healthy = Segment::default();
        let dark = Segment { down: Some(FailMode::Timeout), ..Segment::default() };
        let refusing = Segment { down: Some(FailMode::Refuse), ..Segment::default() };
        let http = hc(CheckType::Http);
        let tcp = hc(CheckType::Tcp);
        let str_match = hc(CheckType::HttpStrMatch);
        assert_eq!(probe_outcome(&http, &endpoint(50_000), &healthy, 0, &mut rng), (50_000, true));
        assert_eq!(probe_outcome(&http, &endpoint(3_000_000), &healthy, 0, &mut rng), (2_000_000, false));
        assert_eq!(probe_outcome(&str_match, &endpoint(3_000_000), &healthy, 0, &mut rng), (3_000_000, true));
        assert_eq!(probe_outcome(&tcp, &endpoint(3_000_000), &healthy, 0, &mut rng), (0, true));
        assert_eq!(probe_outcome(&http, &endpoint(50_000), &dark, 0, &mut rng), (4_000_000, false));
        assert_eq!(probe_outcome(&tcp, &endpoint(50_000), &dark, 0, &mut rng), (10_000_000, false));
        assert_eq!(probe_outcome(&http, &endpoint(50_000), &refusing, 0, &mut rng), (50_000, false));
        let lossy = Segment { loss: vec![(0, Probability::new(1.0))], ..Segment::default() };
        assert_eq!(probe_outcome(&http, &endpoint(50_000), &lossy, 0, &mut rng), (4_000_000, false));
        assert_eq!(probe_outcome(&http, &endpoint(50_000), &lossy, 1, &mut rng), (50_000, true));
        assert_eq!(config::ROUTE53_REGIONS.len(), 8);
    }
}
