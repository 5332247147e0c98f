//! Load balancers (docs/model.md §2.7): each one's view of its targets, the requests it
//! forwards, what it serves, and its health as Route 53 evaluates it.
//!
//! Everything is known when the run starts, from the targets' fault segments: the load
//! balancer probes each target every `interval` (a fixed rate from a random phase), takes
//! it out of service after `unhealthy_threshold` failures in a row and puts it back after
//! `healthy_threshold` successes. From these views follow the targets a request can go to
//! at each instant (the ones in service, or all of them when none is: the load balancer
//! fails open), the load balancer's own segments (what a probe or a metric of it sees), and
//! its health — some target in service — whose changes reach Route 53 after `eth_delay`.
//! Owns those; not the targets' state (endpoint.rs) nor what name servers do with the
//! health (dns.rs).
//!
//! The cost follows the targets' fault segments, not the run's length: stretches where a
//! probe's outcome is certain and agrees with the target's status are skipped. A probe's
//! error draw sits at a fixed place of its target's stream (by probe number), so skipping
//! draws nothing and two configurations that differ in a probe error rate see the same
//! draws.

use super::endpoint::{Degraded, EndpointModel, Endpoints, Segment};
use crate::observe::Evidence;
use crate::rng::{self, Stream};
use crate::scenario::FailMode;
use crate::scenario::config::{Config, LoadBalancerConfig};
use crate::scenario::values::Probability;
use crate::time::SimTime;
use rand::Rng;

/// A change of a target's status in its load balancer's view, and the window of the
/// health-check probes behind it: [sent first, result of the last].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceChange {
    pub at_us: SimTime,
    pub in_service: bool,
    pub from_us: SimTime,
    pub to_us: SimTime,
}

/// A load balancer's view of one target.
#[derive(Clone, Debug)]
pub struct TargetView {
    pub target: u32,
    /// The send time of the first health check; the next follow every `interval`.
    pub phase_us: SimTime,
    pub changes: Vec<ServiceChange>,
}

/// A change of the load balancer's health as it reaches Route 53, and what it rests on.
#[derive(Clone, Debug)]
pub struct Arrival {
    pub at_us: SimTime,
    pub healthy: bool,
    pub evidence: Vec<Evidence>,
}

/// One load balancer.
pub struct Balancer {
    pub endpoint: u32,
    /// Its health check (`Config::health_checks`).
    pub check: u32,
    pub views: Vec<TargetView>,
    /// From each time on, the targets requests go to (the first entry from 0).
    routed: Vec<(SimTime, Vec<u32>)>,
    /// The changes of its reported health, in the order Route 53 applies them.
    pub arrivals: Vec<Arrival>,
}

pub struct LoadBalancers {
    pub balancers: Vec<Balancer>,
    /// The balancer of each endpoint (None for the others).
    of_endpoint: Vec<Option<u32>>,
}

/// What a health check sent to a target during a segment gives.
#[derive(Clone, Copy, PartialEq)]
enum Outcome {
    Succeed,
    /// Fails, its result this long after it was sent.
    Fail(SimTime),
    /// Fails with this probability (at once).
    Draw(Probability),
}

fn outcome(lb: &LoadBalancerConfig, segment: &Segment) -> Outcome {
    match (&segment.down, &segment.degraded) {
        (Some(FailMode::Timeout), _) => Outcome::Fail(lb.timeout_us),
        (Some(FailMode::Refuse), _) => Outcome::Fail(0),
        (None, Some(d)) if d.probe_error.p >= 1.0 => Outcome::Fail(0),
        (None, Some(d)) if !d.probe_error.is_zero() => Outcome::Draw(d.probe_error),
        _ => Outcome::Succeed,
    }
}

impl LoadBalancers {
    /// Every load balancer's views, routing and health, and its own segments written into
    /// `endpoints` (targets are never load balancers, so their segments are final).
    pub fn build(config: &Config, run_seed: u64, endpoints: &mut Endpoints) -> Self {
        let end_us = config.end_us();
        let mut balancers = Vec::new();
        let mut of_endpoint = vec![None; config.endpoints.len()];
        for (e, lb) in config.load_balancers() {
            let id = &config.endpoints[e as usize].id;
            let views: Vec<TargetView> = (lb.targets.iter())
                .map(|&t| {
                    let mut stream = rng::stream(run_seed, &format!("lb/{id}/{}", config.endpoints[t as usize].id));
                    view(lb, t, &endpoints.models[t as usize], &mut stream, end_us)
                })
                .collect();
            let (routed, health) = merge(lb, &views);
            let mut stream = rng::stream(run_seed, &format!("lb/{id}"));
            let arrivals = arrivals(lb, health, &mut stream, end_us);
            endpoints.models[e as usize].segments = segments(&routed, &endpoints.models);
            of_endpoint[e as usize] = Some(balancers.len() as u32);
            balancers.push(Balancer { endpoint: e, check: lb.check, views, routed, arrivals });
        }
        LoadBalancers { balancers, of_endpoint }
    }

    pub fn balancer(&self, endpoint: u32) -> Option<&Balancer> {
        self.of_endpoint[endpoint as usize].map(|b| &self.balancers[b as usize])
    }

    /// Changes of every load balancer's health that reach Route 53 during the run.
    pub fn arrival_count(&self) -> u64 {
        self.balancers.iter().map(|b| b.arrivals.len() as u64).sum()
    }

    /// Where a request to `endpoint` sent at `at_us` goes: a load balancer forwards it to one
    /// of the targets it routes to then, chosen uniformly with one draw; any other endpoint
    /// receives it itself (no draw).
    #[inline]
    pub fn forward(&self, endpoint: u32, at_us: SimTime, rng: &mut Stream) -> u32 {
        if self.balancers.is_empty() {
            return endpoint;
        }
        let Some(b) = self.balancer(endpoint) else { return endpoint };
        let routed = b.routed_at(at_us);
        routed[(rng.next_u64() % routed.len() as u64) as usize]
    }
}

impl Balancer {
    /// The targets requests go to at `at_us`: those in service, or all of them when none is.
    pub fn routed_at(&self, at_us: SimTime) -> &[u32] {
        let after = self.routed.partition_point(|(from_us, _)| *from_us <= at_us);
        &self.routed[after - 1].1
    }
}

/// The load balancer's view of one target from its segments: a health check every
/// `interval` from a random phase; the target starts in service.
fn view(lb: &LoadBalancerConfig, target: u32, model: &EndpointModel, rng: &mut Stream, end_us: SimTime) -> TargetView {
    let interval_us = lb.interval_us;
    let phase_us = rng.next_u64() % interval_us;
    let segments = &model.segments;
    let mut changes = Vec::new();
    let (mut in_service, mut streak, mut streak_from_us) = (true, 0, 0);
    let mut seg = 0;
    let mut k: u64 = 0;
    loop {
        let send_us = phase_us + k * interval_us;
        if send_us >= end_us {
            break;
        }
        while seg + 1 < segments.len() && segments[seg + 1].start_us <= send_us {
            seg += 1;
        }
        let outcome = outcome(lb, &segments[seg]);
        let agrees = matches!((outcome, in_service), (Outcome::Succeed, true) | (Outcome::Fail(_), false));
        if agrees && streak == 0 {
            // Nothing changes until the next segment: go to its first health check.
            let Some(next) = segments.get(seg + 1) else { break };
            k = (next.start_us - phase_us).div_ceil(interval_us);
            continue;
        }
        let (ok, done_us) = match outcome {
            Outcome::Succeed => (true, send_us),
            Outcome::Fail(after_us) => (false, send_us + after_us),
            Outcome::Draw(p) => (!draw(rng, k, p), send_us),
        };
        if ok == in_service {
            streak = 0;
        } else {
            if streak == 0 {
                streak_from_us = send_us;
            }
            streak += 1;
            let threshold = if in_service { lb.unhealthy_threshold } else { lb.healthy_threshold };
            if streak >= threshold {
                if done_us >= end_us {
                    break;
                }
                in_service = ok;
                streak = 0;
                changes.push(ServiceChange { at_us: done_us, in_service, from_us: streak_from_us, to_us: done_us });
            }
        }
        k += 1;
    }
    TargetView { target, phase_us, changes }
}

/// Whether health check number `k` sees the target's error: the draw at its own place in
/// the stream (after the phase's), read in order when the checks are consecutive.
fn draw(rng: &mut Stream, k: u64, p: Probability) -> bool {
    let word = 2 + 2 * u128::from(k);
    if rng.get_word_pos() != word {
        rng.set_word_pos(word);
    }
    p.hit(rng)
}

/// A change of the load balancer's health (before `eth_delay`).
struct HealthChange {
    at_us: SimTime,
    healthy: bool,
    evidence: Vec<Evidence>,
}

/// The views merged in time order: the targets routed to from each change on, and the
/// changes of the load balancer's health with the probe windows they rest on — going down,
/// every target's latest removal; coming back, the targets put back in service.
fn merge(lb: &LoadBalancerConfig, views: &[TargetView]) -> (Vec<(SimTime, Vec<u32>)>, Vec<HealthChange>) {
    let mut all: Vec<(usize, &ServiceChange)> =
        views.iter().enumerate().flat_map(|(slot, v)| v.changes.iter().map(move |c| (slot, c))).collect();
    all.sort_by_key(|&(slot, c)| (c.at_us, slot));
    let mut in_service = vec![true; views.len()];
    let mut latest: Vec<Option<&ServiceChange>> = vec![None; views.len()];
    let mut routed = vec![(0, lb.targets.clone())];
    let mut health = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let at_us = all[i].1.at_us;
        let was_healthy = in_service.contains(&true);
        let mut back = Vec::new();
        while i < all.len() && all[i].1.at_us == at_us {
            let (slot, change) = all[i];
            in_service[slot] = change.in_service;
            latest[slot] = Some(change);
            if change.in_service {
                back.push(slot);
            }
            i += 1;
        }
        let serving: Vec<u32> = (0..views.len()).filter(|&s| in_service[s]).map(|s| lb.targets[s]).collect();
        let now: Vec<u32> = if serving.is_empty() { lb.targets.clone() } else { serving };
        if routed.last().is_none_or(|(_, r)| *r != now) {
            routed.push((at_us, now));
        }
        let healthy = in_service.contains(&true);
        if healthy != was_healthy {
            let slots: Vec<usize> = if healthy { back } else { (0..views.len()).collect() };
            let evidence = (slots.into_iter())
                .filter_map(|s| latest[s].map(|c| (s, c)))
                .map(|(s, c)| Evidence::Target { endpoint: lb.targets[s], from_us: c.from_us, to_us: c.to_us })
                .collect();
            health.push(HealthChange { at_us, healthy, evidence });
        }
    }
    (routed, health)
}

/// The health changes as Route 53 applies them: each arrives a draw of `eth_delay` later
/// (one per change, in order).
fn arrivals(lb: &LoadBalancerConfig, health: Vec<HealthChange>, rng: &mut Stream, end_us: SimTime) -> Vec<Arrival> {
    let arrive_us: Vec<SimTime> = health.iter().map(|h| h.at_us.saturating_add(lb.eth_delay.sample(rng))).collect();
    applied(health, &arrive_us, end_us)
}

/// The changes arriving at `arrive_us`, in arrival order: one older than one already
/// applied changes nothing, and arrivals after the end of the run are dropped. Only
/// arrivals that change the reported status (healthy at first) are kept.
fn applied(health: Vec<HealthChange>, arrive_us: &[SimTime], end_us: SimTime) -> Vec<Arrival> {
    let mut order: Vec<usize> = (0..health.len()).filter(|&i| arrive_us[i] < end_us).collect();
    order.sort_by_key(|&i| (arrive_us[i], i));
    let mut latest: Option<usize> = None;
    let mut healthy = true;
    let mut out = Vec::new();
    let mut health: Vec<Option<HealthChange>> = health.into_iter().map(Some).collect();
    for i in order {
        if latest.is_some_and(|l| l > i) {
            continue;
        }
        latest = Some(i);
        let change = health[i].take().expect("each change arrives once");
        if change.healthy != healthy {
            healthy = change.healthy;
            out.push(Arrival { at_us: arrive_us[i], healthy, evidence: change.evidence });
        }
    }
    out
}

/// The load balancer's own segments: between any two edges of its targets' segments or of
/// its routing, the state of the targets it routes to combined — down when every one is
/// (a black hole if any is one), else degraded with the average of their failure
/// probabilities (1 for a target that is down), and inside their episodes.
fn segments(routed: &[(SimTime, Vec<u32>)], models: &[EndpointModel]) -> Vec<Segment> {
    let mut edges: Vec<SimTime> = routed.iter().map(|(at_us, _)| *at_us).collect();
    for &t in &routed[0].1 {
        edges.extend(models[t as usize].segments.iter().map(|s| s.start_us));
    }
    edges.sort_unstable();
    edges.dedup();
    let mut out: Vec<Segment> = Vec::with_capacity(edges.len());
    let mut r = 0;
    for start_us in edges {
        while r + 1 < routed.len() && routed[r + 1].0 <= start_us {
            r += 1;
        }
        out.push(combine(start_us, routed[r].1.iter().map(|&t| models[t as usize].at(start_us))));
    }
    out
}

fn combine<'a>(start_us: SimTime, routed: impl ExactSizeIterator<Item = &'a Segment>) -> Segment {
    let n = routed.len() as f64;
    let mut segment = Segment { start_us, ..Segment::default() };
    let (mut down, mut black_hole, mut request_error, mut probe_error) = (0.0, false, 0.0, 0.0);
    for s in routed {
        segment.episodes.extend_from_slice(&s.episodes);
        match (&s.down, &s.degraded) {
            (Some(mode), _) => {
                down += 1.0;
                black_hole |= *mode == FailMode::Timeout;
            }
            (None, Some(d)) => {
                request_error += d.request_error.p;
                probe_error += d.probe_error.p;
            }
            (None, None) => {}
        }
    }
    segment.episodes.sort_unstable();
    segment.episodes.dedup();
    if down == n {
        segment.down = Some(if black_hole { FailMode::Timeout } else { FailMode::Refuse });
    } else if down > 0.0 || request_error > 0.0 || probe_error > 0.0 {
        let share = |sum: f64| Probability::new(((down + sum) / n).clamp(0.0, 1.0));
        segment.degraded = Some(Degraded {
            request_error: share(request_error),
            probe_error: share(probe_error),
            response_time: None,
        });
    }
    segment
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::values::Dist;

    const S: SimTime = 1_000_000;

    fn lb() -> LoadBalancerConfig {
        LoadBalancerConfig {
            targets: vec![0, 1],
            interval_us: 10 * S,
            timeout_us: 4 * S,
            healthy_threshold: 2,
            unhealthy_threshold: 3,
            eth_delay: Dist::Fixed(0),
            check: 0,
        }
    }

    fn segment(start_us: SimTime, down: Option<FailMode>, degraded: Option<(f64, f64)>, episodes: &[u32]) -> Segment {
        let degraded = degraded.map(|(request, probe)| Degraded {
            request_error: Probability::new(request),
            probe_error: Probability::new(probe),
            response_time: None,
        });
        Segment { start_us, down, degraded, loss: Vec::new(), episodes: episodes.to_vec() }
    }

    #[test]
    fn a_target_leaves_service_at_its_kth_failure_and_returns_after_its_successes() {
        // Dark on [100 s, 200 s): out at the 3rd failing check's timeout, back at the 2nd
        // successful one after the fault.
        let segments = vec![
            segment(0, None, None, &[]),
            segment(100 * S, Some(FailMode::Timeout), None, &[0]),
            segment(200 * S, None, None, &[]),
        ];
        let model = EndpointModel { response_time: Dist::Fixed(0), segments };
        let mut rng = rng::stream(7, "t");
        let v = view(&lb(), 0, &model, &mut rng, 1_000 * S);
        let first = |from_us: SimTime| v.phase_us + (from_us - v.phase_us).div_ceil(10 * S) * 10 * S;
        let out_us = first(100 * S) + 20 * S + 4 * S;
        let back_us = first(200 * S) + 10 * S;
        let expected = vec![
            ServiceChange { at_us: out_us, in_service: false, from_us: first(100 * S), to_us: out_us },
            ServiceChange { at_us: back_us, in_service: true, from_us: first(200 * S), to_us: back_us },
        ];
        assert_eq!(v.changes, expected);
    }

    #[test]
    fn what_the_load_balancer_serves_combines_the_targets_it_routes_to() {
        let dark = segment(0, Some(FailMode::Timeout), None, &[0]);
        let refusing = segment(0, Some(FailMode::Refuse), None, &[1]);
        let gray = segment(0, None, Some((0.2, 0.0)), &[2]);
        let fine = segment(0, None, None, &[]);
        let both_down = combine(5, [&dark, &refusing].into_iter());
        assert_eq!((both_down.down, both_down.episodes.clone()), (Some(FailMode::Timeout), vec![0, 1]));
        let one_down = combine(5, [&dark, &gray].into_iter());
        let d = one_down.degraded.expect("half the requests reach a dark target");
        assert_eq!((one_down.down, d.request_error.p, d.probe_error.p), (None, 0.6, 0.5));
        let healthy = combine(5, [&fine, &fine].into_iter());
        assert!(healthy.down.is_none() && healthy.degraded.is_none() && healthy.episodes.is_empty());
    }

    #[test]
    fn an_older_change_arriving_late_changes_nothing() {
        let change = |at_us, healthy| HealthChange { at_us, healthy, evidence: Vec::new() };
        // Down at 10, up at 20, down at 30; the first arrives after the second.
        let health = vec![change(10, false), change(20, true), change(30, false)];
        let arrived = applied(health, &[50, 25, 35], 1_000);
        let seen: Vec<(SimTime, bool)> = arrived.iter().map(|a| (a.at_us, a.healthy)).collect();
        assert_eq!(seen, vec![(35, false)], "up at 25 is no change; down at 50 is older than the one at 35");
        let health = vec![change(10, false), change(20, true)];
        assert_eq!(applied(health, &[10, 2_000], 1_000).len(), 1, "an arrival after the end is dropped");
    }
}
