//! Per-client figures of each episode: which clients it follows, which of them were active,
//! when each first reached a healthy endpoint, and their misrouted and failed requests
//! (docs/model.md §7.1–7.2).
//!
//! An episode follows the clients whose record names its endpoint (`Config::groups_reaching`).
//! A client is active once it sends a measured request inside the episode; its failover
//! time is the time from the episode's start to its first request sent to an endpoint
//! outside every fault; an active client that never gets there is stranded.

use crate::observe::{Batch, Episode};
use crate::report::{ClientRow, DelayStats, EpisodeGroup, FailoverStats};
use crate::scenario::config::Config;
use crate::time::{SimTime, to_seconds};
use std::collections::BTreeMap;

/// Per-client state: not yet active, active but not failed over, or the failover time in
/// microseconds from the episode's start.
const INACTIVE: u64 = u64::MAX;
const WAITING: u64 = u64::MAX - 1;
const UNTRACKED: u32 = u32::MAX;

/// The clients of one open episode.
struct Tracker {
    endpoint: u32,
    start_us: SimTime,
    /// First slot of each group's clients; UNTRACKED for groups it does not follow.
    base: Vec<u32>,
    state: Vec<u64>,
    misrouted: Vec<u32>,
    /// (misrouted, failed) per group.
    counts: Vec<(u64, u64)>,
}

/// An episode's client figures, overall and per group followed.
#[derive(Clone, Debug, PartialEq)]
pub struct Closed {
    pub total: EpisodeGroup,
    pub groups: Vec<Option<EpisodeGroup>>,
    /// Present when some group tries the next address.
    pub delay: Option<DelayStats>,
}

#[derive(Default)]
pub struct Episodes {
    trackers: Vec<Option<Tracker>>,
    /// Open episodes that follow each group.
    group_open: Vec<Vec<u32>>,
    closed: Vec<Option<Closed>>,
    group_start: Vec<u32>,
    /// Per episode, when some group tries the next address: requests that passed its
    /// endpoint, by time lost.
    delays: Option<Vec<BTreeMap<u64, u64>>>,
    /// Present when tracing: one row per active client of each closed episode.
    pub rows: Option<Vec<ClientRow>>,
}

impl Episodes {
    pub fn new(config: &Config, episode_count: usize, group_start: &[u32], trace: bool) -> Self {
        Episodes {
            trackers: (0..episode_count).map(|_| None).collect(),
            group_open: vec![Vec::new(); config.groups.len()],
            closed: vec![None; episode_count],
            group_start: group_start.to_vec(),
            delays: (config.groups.iter().any(|g| g.next_address_after_us.is_some()))
                .then(|| vec![BTreeMap::new(); episode_count]),
            rows: trace.then(Vec::new),
        }
    }

    pub fn open(&mut self, config: &Config, id: u32, episode: &Episode) {
        let mut base = vec![UNTRACKED; config.groups.len()];
        let mut slots = 0u32;
        for g in config.groups_reaching(episode.endpoint) {
            base[g] = slots;
            slots += config.groups[g].count;
            self.group_open[g].push(id);
        }
        self.trackers[id as usize] = Some(Tracker {
            endpoint: episode.endpoint,
            start_us: episode.start_us,
            base,
            state: vec![INACTIVE; slots as usize],
            misrouted: vec![0; slots as usize],
            counts: vec![(0, 0); config.groups.len()],
        });
    }

    /// Whether the episode is open (started and not yet closed).
    pub fn is_open(&self, id: u32) -> bool {
        self.trackers[id as usize].is_some()
    }

    /// Measured requests of one client: `misrouted` when sent to an endpoint under a fault.
    pub fn count(&mut self, b: &Batch, misrouted: bool) {
        let g = b.group as usize;
        let index_in_group = b.client - self.group_start[g];
        for &e in &self.group_open[g] {
            let tracker = self.trackers[e as usize].as_mut().expect("open episodes have trackers");
            if tracker.start_us > b.from_us {
                continue;
            }
            let slot = (tracker.base[g] + index_in_group) as usize;
            let state = &mut tracker.state[slot];
            if !misrouted {
                // Batches of one client come in time order, but a forwarded client's batches
                // to two endpoints cover the same span: keep the earliest.
                match b.first_us {
                    Some(first_us) if *state >= WAITING || first_us - tracker.start_us < *state => {
                        *state = first_us - tracker.start_us;
                    }
                    None => assert!(*state < WAITING, "a batch that can fail a client over knows its first request"),
                    Some(_) => {}
                }
            } else if *state == INACTIVE {
                *state = WAITING;
            }
            if b.endpoint == tracker.endpoint {
                tracker.misrouted[slot] += b.requests as u32;
                tracker.counts[g].0 += b.requests;
                tracker.counts[g].1 += b.failed;
            }
        }
    }

    /// A measured request passed the endpoints of these episodes, losing `delay_us`.
    pub fn delayed(&mut self, passed: &[u32], delay_us: u64) {
        if let Some(delays) = &mut self.delays {
            for &e in passed {
                *delays[e as usize].entry(delay_us).or_insert(0) += 1;
            }
        }
    }

    /// Closes an episode and summarises its clients.
    pub fn close(&mut self, config: &Config, id: u32) {
        let tracker = self.trackers[id as usize].take().expect("an episode closes once");
        let mut total_times = Vec::new();
        let mut total = EpisodeGroup::default();
        let mut groups = vec![None; config.groups.len()];
        for (g, group) in config.groups.iter().enumerate() {
            if tracker.base[g] == UNTRACKED {
                continue;
            }
            self.group_open[g].retain(|&e| e != id);
            let range = tracker.base[g] as usize..(tracker.base[g] + group.count) as usize;
            let mut times: Vec<u64> = tracker.state[range.clone()].iter().copied().filter(|&s| s != INACTIVE).collect();
            if let Some(rows) = &mut self.rows {
                for (i, (&state, &misrouted)) in
                    tracker.state[range.clone()].iter().zip(&tracker.misrouted[range]).enumerate()
                {
                    if state != INACTIVE {
                        rows.push(ClientRow {
                            episode: id,
                            group: group.id.clone(),
                            client: i as u32,
                            failover_s: (state != WAITING).then(|| to_seconds(state)),
                            requests_misrouted: misrouted,
                        });
                    }
                }
            }
            let (misrouted, failed) = tracker.counts[g];
            let summary = episode_group(&mut times, misrouted, failed);
            total.requests_misrouted += misrouted;
            total.requests_failed += failed;
            total_times.extend(times);
            groups[g] = Some(summary);
        }
        let combined = episode_group(&mut total_times, total.requests_misrouted, total.requests_failed);
        let delay = self.delays.as_ref().map(|d| delay_stats(&d[id as usize]));
        self.closed[id as usize] = Some(Closed { total: combined, groups, delay });
    }

    /// Closes the episodes still open (those lasting to the end of the run) and hands out
    /// every episode's figures, in episode order.
    pub fn finish(mut self, config: &Config) -> (Vec<Closed>, Option<Vec<ClientRow>>) {
        for id in 0..self.trackers.len() as u32 {
            if self.is_open(id) {
                self.close(config, id);
            }
        }
        let closed = self.closed.into_iter().map(|c| c.expect("every episode closed")).collect();
        (closed, self.rows)
    }
}

/// Failover statistics over active clients; `times` holds failover times and WAITING for
/// stranded clients. Percentiles are nearest-rank, ranking stranded clients last.
fn episode_group(times: &mut [u64], misrouted: u64, failed: u64) -> EpisodeGroup {
    times.sort_unstable();
    let active = times.len() as u64;
    let reached: Vec<u64> = times.iter().copied().filter(|&t| t != WAITING).collect();
    let stranded = active - reached.len() as u64;
    let rank = |p: f64| -> Option<f64> {
        if times.is_empty() {
            return None;
        }
        let index = ((p * times.len() as f64).ceil() as usize).clamp(1, times.len()) - 1;
        (times[index] != WAITING).then(|| to_seconds(times[index]))
    };
    let mean = (!reached.is_empty()).then(|| to_seconds(reached.iter().sum::<u64>()) / reached.len() as f64);
    EpisodeGroup {
        client_failover_s: FailoverStats {
            count: reached.len() as u64,
            mean,
            p50: rank(0.50),
            p90: rank(0.90),
            p99: rank(0.99),
            max: rank(1.0),
        },
        clients_active: active,
        clients_stranded: stranded,
        requests_misrouted: misrouted,
        requests_failed: failed,
    }
}

/// Count, mean and p99 (nearest rank) of requests by time lost.
fn delay_stats(delays: &BTreeMap<u64, u64>) -> DelayStats {
    let requests: u64 = delays.values().sum();
    if requests == 0 {
        return DelayStats::default();
    }
    let total_us: u128 = delays.iter().map(|(&d, &n)| u128::from(d) * u128::from(n)).sum();
    let rank = ((0.99 * requests as f64).ceil() as u64).clamp(1, requests);
    let mut seen = 0;
    let p99 = delays.iter().find(|&(_, &n)| {
        seen += n;
        seen >= rank
    });
    DelayStats { requests, mean: Some(total_us as f64 / 1e6 / requests as f64), p99: p99.map(|(&d, _)| to_seconds(d)) }
}
