//! Endpoints and their faults: expands each fault (recurrences, flap phases) into
//! occurrences at the start of a run, then into a sorted list of segments, each holding the
//! combined state of the endpoint between two fault edges (docs/model.md §2).
//!
//! Owns what an endpoint *is* at any instant; not how probes or requests react to it
//! (health.rs and client.rs decide that). Episodes — request-affecting fault occurrences —
//! are numbered here, in start order.

use crate::observe::Episode;
use crate::rng::{self, Stream};
use crate::scenario::config::{Config, FaultConfig, OCCURRENCES_DRAWN_MAX};
use crate::scenario::values::{Dist, Probability};
use crate::scenario::{FailMode, FaultKind};
use crate::time::SimTime;

#[derive(Clone, Debug, Default)]
pub struct Segment {
    pub start_us: SimTime,
    /// Inside an outage or a flap's down phase.
    pub down: Option<FailMode>,
    pub degraded: Option<Degraded>,
    /// Probe-loss probability by region, for regions with any loss.
    pub loss: Vec<(u16, Probability)>,
    /// Episodes the endpoint is inside; non-empty means requests here are misrouted.
    pub episodes: Vec<u32>,
}

#[derive(Clone, Debug)]
pub struct Degraded {
    pub request_error: Probability,
    pub probe_error: Probability,
    pub response_time: Option<Dist>,
}

pub struct EndpointModel {
    pub response_time: Dist,
    /// Sorted by start; the first starts at 0 and the last lasts for ever.
    pub segments: Vec<Segment>,
}

impl EndpointModel {
    pub fn at(&self, t: SimTime) -> &Segment {
        let after = self.segments.partition_point(|s| s.start_us <= t);
        &self.segments[after - 1]
    }

    /// Whether a request sent at this segment fails. Draws only inside a gray failure.
    pub fn request_fails(segment: &Segment, rng: &mut Stream) -> bool {
        match (&segment.down, &segment.degraded) {
            (Some(_), _) => true,
            (None, Some(d)) => d.request_error.hit(rng),
            (None, None) => false,
        }
    }
}

pub struct Endpoints {
    pub models: Vec<EndpointModel>,
    pub episodes: Vec<Episode>,
}

/// A run-time input error: a random recurrence produced more than the model allows.
#[derive(Debug, thiserror::Error)]
#[error(
    "{pointer}: the fault expanded into more than {OCCURRENCES_DRAWN_MAX} {what} in this run; lengthen its durations"
)]
pub struct TooManyOccurrences {
    pub pointer: String,
    pub what: &'static str,
}

enum Effect {
    Down(FailMode),
    Degraded(Degraded),
    Loss(Option<Vec<u16>>, Probability),
    Episode(u32),
}

struct Window {
    start_us: SimTime,
    end_us: SimTime,
    effect: Effect,
}

struct Occurrence {
    endpoint: u32,
    fault: u32,
    occurrence: u32,
    start_us: SimTime,
    end_us: SimTime,
    down_phases: Vec<(SimTime, SimTime)>,
}

impl Endpoints {
    pub fn build(config: &Config, run_seed: u64) -> Result<Self, TooManyOccurrences> {
        let end_us = config.end_us();
        let mut occurrences = Vec::new();
        for (e, endpoint) in config.endpoints.iter().enumerate() {
            for (f, fault) in endpoint.faults.iter().enumerate() {
                let mut stream = rng::stream(run_seed, &format!("fault{}", fault.pointer));
                let windows = occurrence_windows(fault, config.warmup_us + fault.start_us, end_us, &mut stream)?;
                for (i, (start_us, stop_us)) in windows.into_iter().enumerate() {
                    let down_phases = match fault.kind {
                        FaultKind::Flap => flap_phases(fault, start_us, stop_us, &mut stream)?,
                        _ => Vec::new(),
                    };
                    occurrences.push(Occurrence {
                        endpoint: e as u32,
                        fault: f as u32,
                        occurrence: i as u32,
                        start_us,
                        end_us: stop_us,
                        down_phases,
                    });
                }
            }
        }
        occurrences.sort_by_key(|o| (o.start_us, o.endpoint, o.fault, o.occurrence));

        let mut windows: Vec<Vec<Window>> = config.endpoints.iter().map(|_| Vec::new()).collect();
        let mut episodes = Vec::new();
        for o in occurrences {
            let fault = &config.endpoints[o.endpoint as usize].faults[o.fault as usize];
            let list = &mut windows[o.endpoint as usize];
            let whole = |effect| Window { start_us: o.start_us, end_us: o.end_us, effect };
            match fault.kind {
                FaultKind::Outage => list.push(whole(Effect::Down(fault.mode))),
                FaultKind::Degraded => list.push(whole(Effect::Degraded(Degraded {
                    request_error: fault.request_error,
                    probe_error: fault.probe_error,
                    response_time: fault.degraded_response_time.clone(),
                }))),
                FaultKind::ProbeLoss => list.push(whole(Effect::Loss(fault.loss_regions.clone(), fault.loss_rate))),
                FaultKind::Flap => list.extend(o.down_phases.iter().map(|&(start_us, end_us)| Window {
                    start_us,
                    end_us,
                    effect: Effect::Down(fault.mode),
                })),
            }
            if fault.affects_requests() {
                list.push(whole(Effect::Episode(episodes.len() as u32)));
                episodes.push(Episode {
                    endpoint: o.endpoint,
                    fault: o.fault,
                    occurrence: o.occurrence,
                    kind: fault.kind,
                    start_us: o.start_us,
                    end_us: o.end_us,
                });
            }
        }
        let models = config
            .endpoints
            .iter()
            .zip(windows)
            .map(|(e, w)| EndpointModel {
                response_time: e.response_time.clone(),
                segments: segments(w, config.regions.len()),
            })
            .collect();
        Ok(Endpoints { models, episodes })
    }
}

/// The [start, end) engine times of each occurrence of a fault.
fn occurrence_windows(
    fault: &FaultConfig,
    first_us: SimTime,
    end_us: SimTime,
    stream: &mut Stream,
) -> Result<Vec<(SimTime, SimTime)>, TooManyOccurrences> {
    let mut out = Vec::new();
    let mut start_us = first_us;
    while start_us < end_us {
        if out.len() as u64 >= OCCURRENCES_DRAWN_MAX {
            return Err(TooManyOccurrences { pointer: fault.pointer.clone(), what: "occurrences" });
        }
        let length_us = match &fault.duration {
            Some(d) => d.sample(stream).max(1),
            None => end_us - start_us,
        };
        let stop_us = start_us.saturating_add(length_us);
        out.push((start_us, stop_us.min(end_us)));
        match &fault.every {
            Some(gap) => start_us = stop_us.saturating_add(gap.sample(stream)),
            None => break,
        }
    }
    Ok(out)
}

/// The down phases of one flap occurrence: alternating down and up, starting down.
fn flap_phases(
    fault: &FaultConfig,
    start_us: SimTime,
    end_us: SimTime,
    stream: &mut Stream,
) -> Result<Vec<(SimTime, SimTime)>, TooManyOccurrences> {
    let mut out = Vec::new();
    let mut phase_us = start_us;
    while phase_us < end_us {
        if out.len() as u64 >= OCCURRENCES_DRAWN_MAX {
            return Err(TooManyOccurrences { pointer: fault.pointer.clone(), what: "flap phases" });
        }
        let stop_us = phase_us.saturating_add(fault.flap_down.sample(stream).max(1)).min(end_us);
        out.push((phase_us, stop_us));
        phase_us = stop_us.saturating_add(fault.flap_up.sample(stream).max(1));
    }
    Ok(out)
}

/// Sweeps the windows' edges in time order, combining the windows active between each
/// pair of edges into one segment.
fn segments(windows: Vec<Window>, region_count: usize) -> Vec<Segment> {
    let mut edges: Vec<SimTime> = windows.iter().flat_map(|w| [w.start_us, w.end_us]).collect();
    edges.push(0);
    edges.sort_unstable();
    edges.dedup();
    let mut by_start: Vec<usize> = (0..windows.len()).collect();
    by_start.sort_by_key(|&i| windows[i].start_us);
    let mut next = 0;
    let mut active: Vec<usize> = Vec::new();
    let mut out: Vec<Segment> = Vec::with_capacity(edges.len());
    for &edge in &edges {
        active.retain(|&i| windows[i].end_us > edge);
        while next < by_start.len() && windows[by_start[next]].start_us <= edge {
            if windows[by_start[next]].end_us > edge {
                active.push(by_start[next]);
            }
            next += 1;
        }
        active.sort_unstable();
        out.push(combine(edge, active.iter().map(|&i| &windows[i].effect), region_count));
    }
    out
}

fn combine<'a>(start_us: SimTime, effects: impl Iterator<Item = &'a Effect>, region_count: usize) -> Segment {
    let mut segment = Segment { start_us, ..Segment::default() };
    let mut request_ok = 1.0;
    let mut probe_ok = 1.0;
    let mut response_time = None;
    let mut degraded = false;
    let mut loss_kept = vec![1.0f64; region_count];
    for effect in effects {
        match effect {
            // A black hole dominates a refusal: the probe waits for its connect timeout.
            Effect::Down(mode) => {
                segment.down = Some(match (segment.down, mode) {
                    (Some(FailMode::Timeout), _) | (_, FailMode::Timeout) => FailMode::Timeout,
                    _ => FailMode::Refuse,
                })
            }
            Effect::Degraded(d) => {
                degraded = true;
                request_ok *= 1.0 - d.request_error.p;
                probe_ok *= 1.0 - d.probe_error.p;
                response_time = response_time.or_else(|| d.response_time.clone());
            }
            Effect::Loss(regions, rate) => {
                for (r, kept) in loss_kept.iter_mut().enumerate() {
                    if regions.as_ref().is_none_or(|list| list.contains(&(r as u16))) {
                        *kept *= 1.0 - rate.p;
                    }
                }
            }
            Effect::Episode(id) => segment.episodes.push(*id),
        }
    }
    if degraded {
        segment.degraded = Some(Degraded {
            request_error: Probability::new((1.0 - request_ok).clamp(0.0, 1.0)),
            probe_error: Probability::new((1.0 - probe_ok).clamp(0.0, 1.0)),
            response_time,
        });
    }
    segment.loss = loss_kept
        .iter()
        .enumerate()
        .filter(|(_, kept)| **kept < 1.0)
        .map(|(r, kept)| (r as u16, Probability::new((1.0 - kept).clamp(0.0, 1.0))))
        .collect();
    segment.episodes.sort_unstable();
    segment
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(start_us: SimTime, end_us: SimTime, effect: Effect) -> Window {
        Window { start_us, end_us, effect }
    }

    #[test]
    fn overlapping_windows_combine() {
        let w = vec![
            window(10, 30, Effect::Down(FailMode::Refuse)),
            window(20, 40, Effect::Down(FailMode::Timeout)),
            window(20, 50, Effect::Loss(Some(vec![1]), Probability::new(0.5))),
            window(10, 40, Effect::Episode(0)),
        ];
        let s = segments(w, 2);
        let starts: Vec<SimTime> = s.iter().map(|s| s.start_us).collect();
        assert_eq!(starts, vec![0, 10, 20, 30, 40, 50]);
        assert_eq!(s[0].down, None);
        assert!(s[0].episodes.is_empty());
        assert_eq!(s[1].down, Some(FailMode::Refuse));
        assert_eq!(s[2].down, Some(FailMode::Timeout));
        assert_eq!(s[2].loss.len(), 1);
        assert_eq!(s[2].loss[0].0, 1);
        assert_eq!(s[3].down, Some(FailMode::Timeout));
        assert_eq!(s[4].down, None);
        assert!(s[4].episodes.is_empty());
        assert_eq!(s[4].loss.len(), 1);
        assert!(s[5].loss.is_empty());
        let model = EndpointModel { response_time: Dist::Fixed(0), segments: s };
        assert_eq!(model.at(0).start_us, 0);
        assert_eq!(model.at(19).start_us, 10);
        assert_eq!(model.at(20).start_us, 20);
        assert_eq!(model.at(1_000).start_us, 50);
    }
}
