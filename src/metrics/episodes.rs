//! Per-client figures of each episode: which clients it follows, which of them were active,
//! when each first reached a healthy endpoint, and their misrouted and failed requests
//! (docs/model.md §7.1–7.2).
//!
//! An episode follows the clients whose record names its endpoint (`Config::groups_reaching`).
//! Its work is proportional to the groups it follows: nothing here walks every group per
//! episode or per request.
//! A client is active once it sends a measured request inside the episode; its failover
//! time is the time from the episode's start to its first request sent to an endpoint
//! outside every fault; an active client that never gets there is stranded.

use crate::observe::{Batch, Episode, Marks};
use crate::report::{ClientRow, DelayStats, EpisodeGroup, FailoverStats};
use crate::scenario::config::Config;
use crate::time::{SimTime, to_seconds};
use std::collections::BTreeMap;

/// Per-client state: not yet active, active but not failed over, or the failover time in
/// microseconds from the episode's start.
const INACTIVE: u64 = u64::MAX;
const WAITING: u64 = u64::MAX - 1;

/// The clients of one open episode.
struct Tracker {
    endpoint: u32,
    start_us: SimTime,
    /// The groups it follows, in group order, and the first slot of each one's clients.
    groups: Vec<(u32, u32)>,
    state: Vec<u64>,
    misrouted: Vec<u32>,
    /// What held each client back, told as it first reached a healthy endpoint.
    marks: Vec<Option<Marks>>,
    /// (misrouted, failed) per group followed, as `groups`.
    counts: Vec<(u64, u64)>,
}

/// An open episode following a group: its id, the first slot of the group's clients, and
/// the group's place in its `Tracker::groups`.
#[derive(Clone, Copy, Debug)]
struct Following {
    episode: u32,
    base: u32,
    k: u32,
}

/// An episode's client figures, overall and per group followed.
#[derive(Clone, Debug, PartialEq)]
pub struct Closed {
    pub total: EpisodeGroup,
    /// The groups followed, in group order.
    pub groups: Vec<(u32, EpisodeGroup)>,
    /// Present when some group tries the next address.
    pub delay: Option<DelayStats>,
    /// Per group followed, as `groups`: each client that failed over, its failover time and
    /// what held it back (for its stages, which need the episode's detection).
    pub reached: Vec<Vec<(u64, Marks)>>,
}

#[derive(Default)]
pub struct Episodes {
    trackers: Vec<Option<Tracker>>,
    /// Open episodes that follow each group.
    group_open: Vec<Vec<Following>>,
    /// Per endpoint, the groups an episode on it follows (`Config::groups_reaching_each`).
    reaching: Vec<Vec<u32>>,
    closed: Vec<Option<Closed>>,
    group_start: Vec<u32>,
    /// Per episode, when some group tries the next address: requests that passed its
    /// endpoint, by time lost.
    delays: Option<Vec<BTreeMap<u64, u64>>>,
    /// Present when tracing: one row per active client of each closed episode.
    pub rows: Option<Vec<ClientRow>>,
    /// Rows beyond this many are dropped, all of them (`keep_rows`); no limit when tracing.
    rows_max: usize,
}

impl Episodes {
    pub fn new(config: &Config, episode_count: usize, group_start: &[u32], trace: bool) -> Self {
        Episodes {
            trackers: (0..episode_count).map(|_| None).collect(),
            group_open: vec![Vec::new(); config.groups.len()],
            closed: vec![None; episode_count],
            group_start: group_start.to_vec(),
            reaching: config.groups_reaching_each(),
            delays: (config.groups.iter().any(|g| g.next_address_after_us.is_some()))
                .then(|| vec![BTreeMap::new(); episode_count]),
            rows: trace.then(Vec::new),
            rows_max: usize::MAX,
        }
    }

    /// Keeps the per-client rows of an untraced run too, unless there are more than `max`
    /// of them, in which case none are kept (the caller pools runs only when each fits).
    pub fn keep_rows(&mut self, max: usize) {
        if self.rows.is_none() {
            self.rows = Some(Vec::new());
            self.rows_max = max;
        }
    }

    pub fn open(&mut self, config: &Config, id: u32, episode: &Episode) {
        let reaching = &self.reaching[episode.endpoint as usize];
        let mut groups = Vec::with_capacity(reaching.len());
        let mut slots = 0u32;
        for (k, &g) in (0u32..).zip(reaching) {
            groups.push((g, slots));
            self.group_open[g as usize].push(Following { episode: id, base: slots, k });
            slots += config.groups[g as usize].count;
        }
        self.trackers[id as usize] = Some(Tracker {
            endpoint: episode.endpoint,
            start_us: episode.start_us,
            counts: vec![(0, 0); groups.len()],
            groups,
            state: vec![INACTIVE; slots as usize],
            misrouted: vec![0; slots as usize],
            marks: vec![None; slots as usize],
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
        for &Following { episode, base, k } in &self.group_open[g] {
            let tracker = self.trackers[episode as usize].as_mut().expect("open episodes have trackers");
            if tracker.start_us > b.from_us {
                continue;
            }
            let slot = (base + index_in_group) as usize;
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
                tracker.counts[k as usize].0 += b.requests;
                tracker.counts[k as usize].1 += b.failed;
            }
        }
    }

    /// What held a client back until it reached a healthy endpoint (from `from_us`): kept
    /// for the episodes following it that had not heard yet.
    pub fn reached(&mut self, client: u32, group: u16, from_us: SimTime, marks: Marks) {
        let g = group as usize;
        let index_in_group = client - self.group_start[g];
        for &Following { episode, base, .. } in &self.group_open[g] {
            let tracker = self.trackers[episode as usize].as_mut().expect("open episodes have trackers");
            let slot = &mut tracker.marks[(base + index_in_group) as usize];
            if tracker.start_us <= from_us && slot.is_none() {
                *slot = Some(marks);
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
        let mut groups = Vec::with_capacity(tracker.groups.len());
        let mut reached = Vec::with_capacity(tracker.groups.len());
        for (&(g, base), &(misrouted, failed)) in tracker.groups.iter().zip(&tracker.counts) {
            let group = &config.groups[g as usize];
            self.group_open[g as usize].retain(|f| f.episode != id);
            let range = base as usize..(base + group.count) as usize;
            let mut times: Vec<u64> = tracker.state[range.clone()].iter().copied().filter(|&s| s != INACTIVE).collect();
            if let Some(rows) = &mut self.rows {
                for (i, (&state, &misrouted)) in
                    tracker.state[range.clone()].iter().zip(&tracker.misrouted[range.clone()]).enumerate()
                {
                    if state != INACTIVE {
                        rows.push(ClientRow {
                            episode: id,
                            group: group.id.clone(),
                            client: i as u32,
                            failover_s: (state != WAITING).then(|| to_seconds(state)),
                            requests_misrouted: misrouted,
                            run: 0,
                        });
                    }
                }
            }
            reached.push(
                tracker.state[range.clone()]
                    .iter()
                    .zip(&tracker.marks[range.clone()])
                    .filter(|&(&state, _)| state < WAITING)
                    .map(|(&state, marks)| (state, marks.unwrap_or_default()))
                    .collect(),
            );
            if self.rows.as_ref().is_some_and(|rows| rows.len() > self.rows_max) {
                self.rows = None;
            }
            let summary = episode_group(&mut times, misrouted, failed);
            total.requests_misrouted += misrouted;
            total.requests_failed += failed;
            total_times.extend(times);
            groups.push((g, summary));
        }
        let combined = episode_group(&mut total_times, total.requests_misrouted, total.requests_failed);
        let delay = self.delays.as_ref().map(|d| delay_stats(&d[id as usize]));
        self.closed[id as usize] = Some(Closed { total: combined, groups, delay, reached });
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

impl Episodes {
    /// The clients of an open episode that failed over, as (group, index in group), in
    /// group and client order (for `failback.rs`, before the episode closes).
    pub fn failed_over(&self, id: u32, mut each: impl FnMut(u32, u32)) {
        let Some(tracker) = &self.trackers[id as usize] else { return };
        for (k, &(g, base)) in tracker.groups.iter().enumerate() {
            let end = tracker.groups.get(k + 1).map_or(tracker.state.len(), |&(_, next)| next as usize);
            for (i, &state) in (0u32..).zip(&tracker.state[base as usize..end]) {
                if state < WAITING {
                    each(g, i);
                }
            }
        }
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
        stages: None,
        failback: None,
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
