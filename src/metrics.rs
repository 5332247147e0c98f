//! Recorders: count what happens during a run, then turn the counts and the logs of status
//! and answer changes into a `RunResult` (SPEC §3). This is the first place floats appear.
//!
//! Owns the meaning of every figure. Reads model state; never changes it.

use crate::model::dns::AnswerChange;
use crate::model::endpoint::Episode;
use crate::model::health::{Health, Transition};
use crate::report::{
    CheckTotals, ClientRow, EpisodeGroup, EpisodeResult, FailoverStats, GroupTotals, RunResult, TimelineRow, Totals,
};
use crate::scenario::FaultKind;
use crate::scenario::config::Config;
use crate::time::{SimTime, to_seconds};
use std::collections::BTreeMap;

/// Per-client episode state: not yet active, active but not failed over, or the failover
/// time in microseconds from the episode's start.
const INACTIVE: u64 = u64::MAX;
const WAITING: u64 = u64::MAX - 1;
const UNTRACKED: u32 = u32::MAX;

#[derive(Clone, Copy, Default)]
struct RequestCounts {
    requests: u64,
    failed: u64,
    misrouted: u64,
}

/// What each request of a batch also was: nothing more, a resolver query (a client without
/// a cache behind a caching resolver), or a resolver and a name-server query (behind a
/// forwarder).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Queries {
    None = 0,
    Resolver = 1,
    NameServer = 2,
}

/// Requests of one client to one endpoint: one request, or a batch counted in bulk.
#[derive(Clone, Copy, Debug)]
pub struct Batch {
    pub client: u32,
    pub group: u16,
    pub endpoint: u32,
    pub from_us: SimTime,
    pub requests: u64,
    pub failed: u64,
    /// When the first of them was sent, where a tracker needs it.
    pub first_us: Option<SimTime>,
}

/// Clients of an open episode: those whose record names its endpoint.
struct Tracker {
    endpoint: u32,
    start_us: SimTime,
    /// First slot of each group's clients; UNTRACKED for groups that cannot reach the endpoint.
    base: Vec<u32>,
    state: Vec<u64>,
    misrouted: Vec<u32>,
    /// (misrouted, failed) per group.
    counts: Vec<(u64, u64)>,
}

/// What the model counted outside the recorder, and which run this is.
pub struct RunCounts {
    pub replication: u32,
    pub seed: u64,
    pub events: u64,
    pub authoritative_queries: u64,
}

pub struct Finished {
    pub result: RunResult,
    /// Present when tracing.
    pub timeline: Option<Vec<TimelineRow>>,
    pub clients: Option<Vec<ClientRow>>,
}

pub struct Recorder {
    measure_from_us: SimTime,
    /// Expected counts of batches no episode tracked, per `[group][queries][failed]`: drawn
    /// once at the end.
    deferred: Vec<[[f64; 2]; 3]>,
    /// Name-server queries of forwarded clients (aggregated mode).
    authoritative_queries: u64,
    group_start: Vec<u32>,
    groups: Vec<RequestCounts>,
    resolver_queries: u64,
    trackers: Vec<Option<Tracker>>,
    /// Open episodes that track each group.
    group_open: Vec<Vec<u32>>,
    closed: Vec<Option<ClosedEpisode>>,
    pub answer_changes: Vec<AnswerChange>,
    timeline: Option<Timeline>,
    client_rows: Option<Vec<ClientRow>>,
}

struct ClosedEpisode {
    total: EpisodeGroup,
    groups: Vec<Option<EpisodeGroup>>,
}

impl Recorder {
    /// `initial_answer` is each client's destination at the start, for the timeline's share
    /// of clients per endpoint.
    pub fn new(
        config: &Config,
        group_start: Vec<u32>,
        episode_count: usize,
        trace: bool,
        initial: impl Fn(usize) -> u32,
    ) -> Self {
        let timeline = trace.then(|| Timeline::new(config, &initial));
        Recorder {
            measure_from_us: config.warmup_us,
            deferred: vec![[[0.0; 2]; 3]; config.groups.len()],
            authoritative_queries: 0,
            group_start,
            groups: vec![RequestCounts::default(); config.groups.len()],
            resolver_queries: 0,
            trackers: (0..episode_count).map(|_| None).collect(),
            group_open: vec![Vec::new(); config.groups.len()],
            closed: (0..episode_count).map(|_| None).collect(),
            answer_changes: Vec::new(),
            timeline,
            client_rows: trace.then(Vec::new),
        }
    }

    /// Called before each event: closes the timeline buckets that ended before `now_us`.
    pub fn advance(&mut self, now_us: SimTime, config: &Config, health: &Health) {
        if let Some(timeline) = &mut self.timeline
            && now_us >= timeline.next_boundary_us
        {
            timeline.advance(now_us, config, health);
        }
    }

    /// Client-to-resolver queries, counted after the warm-up.
    pub fn resolved(&mut self, now_us: SimTime, count: u64) {
        if now_us >= self.measure_from_us {
            self.resolver_queries += count;
        }
    }

    /// Counts the queries a drawn batch of `count` requests made.
    pub fn queries(&mut self, at_us: SimTime, count: u64, queries: Queries) {
        if at_us >= self.measure_from_us {
            if queries != Queries::None {
                self.resolver_queries += count;
            }
            if queries == Queries::NameServer {
                self.authoritative_queries += count;
            }
        }
    }

    /// Whether an open episode tracks the group at `at_us`.
    pub fn tracks(&self, group: u16, at_us: SimTime) -> bool {
        self.tracked_starts(group).any(|start_us| start_us <= at_us)
    }

    /// A batch that only adds to its group's totals: its expected counts are kept, and drawn
    /// at the end. `batch` names the client and endpoint (for the timeline); its counts are
    /// unused.
    pub fn defer(&mut self, batch: Batch, to_us: SimTime, rate_per_us: f64, failure: f64, queries: Queries) {
        debug_assert!(batch.from_us >= self.measure_from_us);
        let expected = rate_per_us * (to_us - batch.from_us) as f64;
        let cell = &mut self.deferred[batch.group as usize][queries as usize];
        cell[0] += expected * (1.0 - failure);
        cell[1] += expected * failure;
        if let Some(timeline) = &mut self.timeline {
            timeline.batch(&batch, to_us, rate_per_us, failure, true);
        }
    }

    pub fn measure_from_us(&self) -> SimTime {
        self.measure_from_us
    }

    /// Start times of the episodes now tracking a group's clients: counted request batches
    /// must not straddle them.
    pub fn tracked_starts(&self, group: u16) -> impl Iterator<Item = SimTime> + '_ {
        self.group_open[group as usize]
            .iter()
            .map(|&e| self.trackers[e as usize].as_ref().expect("open episodes have trackers").start_us)
    }

    /// Whether a batch of requests at `from_us` to a healthy endpoint needs the time of its
    /// first request: when an open episode has not yet seen this client reach one.
    pub fn needs_first_arrival(&self, client: u32, group: u16, from_us: SimTime) -> bool {
        let g = group as usize;
        let index_in_group = client - self.group_start[g];
        self.group_open[g].iter().any(|&e| {
            let tracker = self.trackers[e as usize].as_ref().expect("open episodes have trackers");
            tracker.start_us <= from_us && tracker.state[(tracker.base[g] + index_in_group) as usize] >= WAITING
        })
    }

    /// One request: `at_fault` lists the episodes its destination is inside.
    pub fn request(&mut self, now_us: SimTime, client: u32, group: u16, endpoint: u32, failed: bool, at_fault: &[u32]) {
        if let Some(timeline) = &mut self.timeline {
            timeline.request(now_us, client, endpoint, failed);
        }
        if now_us >= self.measure_from_us {
            self.count(
                Batch {
                    client,
                    group,
                    endpoint,
                    from_us: now_us,
                    requests: 1,
                    failed: u64::from(failed),
                    first_us: Some(now_us),
                },
                at_fault,
            );
        }
    }

    /// Requests counted in bulk over [from, to) (aggregated mode): `rate_per_us` and
    /// `failure` give the timeline its expected counts; `batch` holds the drawn ones.
    pub fn batch(&mut self, batch: Batch, to_us: SimTime, rate_per_us: f64, failure: f64, at_fault: &[u32]) {
        debug_assert!(
            batch.from_us >= self.measure_from_us || to_us <= self.measure_from_us,
            "batches are split at the end of the warm-up"
        );
        if let Some(timeline) = &mut self.timeline {
            timeline.batch(&batch, to_us, rate_per_us, failure, batch.requests > 0);
        }
        if batch.from_us >= self.measure_from_us && batch.requests > 0 {
            self.count(batch, at_fault);
        }
    }

    fn count(&mut self, b: Batch, at_fault: &[u32]) {
        let misrouted = !at_fault.is_empty();
        let g = b.group as usize;
        let counts = &mut self.groups[g];
        counts.requests += b.requests;
        counts.failed += b.failed;
        counts.misrouted += if misrouted { b.requests } else { 0 };
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

    pub fn answer_changed(&mut self, change: AnswerChange) {
        if let Some(timeline) = &mut self.timeline {
            timeline.name_servers_on[change.previous_endpoint as usize] -= 1;
            timeline.name_servers_on[change.endpoint as usize] += 1;
        }
        self.answer_changes.push(change);
    }

    pub fn open_episode(&mut self, config: &Config, id: u32, episode: &Episode) {
        let mut base = vec![UNTRACKED; config.groups.len()];
        let mut slots = 0u32;
        for (g, group) in config.groups.iter().enumerate() {
            if config.records[group.record as usize].names_endpoint(episode.endpoint) {
                base[g] = slots;
                slots += group.count;
                self.group_open[g].push(id);
            }
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

    pub fn close_episode(&mut self, config: &Config, id: u32) {
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
            if let Some(rows) = &mut self.client_rows {
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
        self.closed[id as usize] = Some(ClosedEpisode { total: combined, groups });
    }

    /// Builds the run's figures from the counters and the logs.
    pub fn finish(mut self, config: &Config, health: &Health, episodes: &[Episode], run: RunCounts) -> Finished {
        let RunCounts { replication, seed, events, authoritative_queries } = run;
        // Episodes lasting to the end of the run close with it.
        for id in 0..self.trackers.len() {
            if self.trackers[id].is_some() {
                self.close_episode(config, id as u32);
            }
        }
        if let Some(timeline) = &mut self.timeline {
            timeline.advance(config.end_us(), config, health);
            timeline.draw_batches(&mut crate::rng::stream(seed, "timeline"));
        }
        // Deferred batches: independent Poisson counts per group, kind of query and outcome.
        let mut rng = crate::rng::stream(seed, "deferred");
        let mut deferred_authoritative = 0;
        for (g, cells) in self.deferred.iter().enumerate() {
            for (queries, cell) in cells.iter().enumerate() {
                for (failed, &expected) in cell.iter().enumerate() {
                    if expected <= 0.0 {
                        continue;
                    }
                    use rand_distr::{Distribution, Poisson};
                    let n = Poisson::new(expected).map_or(0.0, |p| p.sample(&mut rng)) as u64;
                    let counts = &mut self.groups[g];
                    counts.requests += n;
                    counts.failed += if failed == 1 { n } else { 0 };
                    if queries >= Queries::Resolver as usize {
                        self.resolver_queries += n;
                    }
                    if queries == Queries::NameServer as usize {
                        deferred_authoritative += n;
                    }
                }
            }
        }
        let authoritative_queries = authoritative_queries + self.authoritative_queries + deferred_authoritative;
        let logs = Logs::new(config, health, &self.answer_changes, episodes);
        let mut groups = BTreeMap::new();
        let mut totals =
            Totals { resolver_queries: self.resolver_queries, authoritative_queries, events, ..Totals::default() };
        for (g, counts) in self.groups.iter().enumerate() {
            totals.requests += counts.requests;
            totals.requests_failed += counts.failed;
            totals.requests_misrouted += counts.misrouted;
            groups.insert(
                config.groups[g].id.clone(),
                GroupTotals {
                    requests: counts.requests,
                    requests_failed: counts.failed,
                    requests_misrouted: counts.misrouted,
                    availability: availability(counts.requests, counts.failed),
                },
            );
        }
        totals.availability = availability(totals.requests, totals.requests_failed);
        let mut health_checks = BTreeMap::new();
        for (c, hc) in config.health_checks.iter().enumerate() {
            let state = &health.checks[c];
            let went_unhealthy =
                logs.transitions_of(c as u32).filter(|t| !t.healthy && t.at_us >= config.warmup_us).count() as u64;
            let false_failovers =
                logs.transitions_of(c as u32).filter(|t| logs.is_false_failover(config, t)).count() as u64;
            totals.false_failovers += false_failovers;
            health_checks.insert(
                hc.id.clone(),
                CheckTotals {
                    probes: state.probes,
                    probes_failed: state.probes_failed,
                    went_unhealthy,
                    false_failovers,
                },
            );
        }
        totals.false_failover_s = logs.false_failover_s(config);
        let seconds = to_seconds(config.duration_us);
        totals.authoritative_queries_per_s = authoritative_queries as f64 / seconds;
        totals.query_cost_per_month = config
            .query_price_per_million
            .map(|price| totals.authoritative_queries_per_s * 30.0 * 86_400.0 / 1e6 * price);
        totals.false_failovers_per_day = totals.false_failovers as f64 * 86_400.0 / seconds;
        let episodes_out = episodes
            .iter()
            .enumerate()
            .map(|(id, e)| {
                let closed = self.closed[id].take().expect("every episode closed");
                logs.episode(config, e, closed)
            })
            .collect();
        Finished {
            result: RunResult { replication, seed, totals, groups, health_checks, episodes: episodes_out },
            timeline: self.timeline.map(|t| t.rows),
            clients: self.client_rows,
        }
    }
}

fn availability(requests: u64, failed: u64) -> f64 {
    if requests == 0 { 1.0 } else { (requests - failed) as f64 / requests as f64 }
}

/// Failover statistics over active clients; `times` holds failover times and WAITING for
/// stranded clients.
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

/// Status and answer histories, indexed for the post-run questions of SPEC §3.
struct Logs<'a> {
    transitions: &'a [Transition],
    /// Answer changes of each (name server, record), in time order.
    answers: Vec<Vec<AnswerChange>>,
    initial_answers: Vec<u32>,
    record_count: usize,
    episodes: &'a [Episode],
}

impl<'a> Logs<'a> {
    fn new(config: &Config, health: &'a Health, changes: &[AnswerChange], episodes: &'a [Episode]) -> Self {
        let record_count = config.records.len();
        let mut answers = vec![Vec::new(); config.name_server_count as usize * record_count];
        for change in changes {
            answers[change.name_server as usize * record_count + change.record as usize].push(*change);
        }
        let initial_health: Vec<bool> = config.health_checks.iter().map(|hc| hc.disabled || !hc.inverted).collect();
        let initial_answers = config
            .records
            .iter()
            .map(|r| crate::model::dns::failover_answer(r, |c| initial_health[c as usize]))
            .collect();
        Logs { transitions: &health.transitions, answers, initial_answers, record_count, episodes }
    }

    fn transitions_of(&self, check: u32) -> impl Iterator<Item = &Transition> + '_ {
        self.transitions.iter().filter(move |t| t.check == check)
    }

    /// Results caused by a fault arrive until its end plus the longest probe.
    fn attributed_end_us(config: &Config, check: u32, episode: &Episode) -> SimTime {
        episode.end_us + config.health_checks[check as usize].probe_duration_us_max()
    }

    fn is_false_failover(&self, config: &Config, t: &Transition) -> bool {
        let hc = &config.health_checks[t.check as usize];
        !t.healthy
            && !hc.inverted
            && t.at_us >= config.warmup_us
            && !self.episodes.iter().any(|e| {
                e.endpoint == hc.endpoint
                    && e.start_us <= t.at_us
                    && t.at_us < Self::attributed_end_us(config, t.check, e)
            })
    }

    fn status_after(&self, check: u32, initial: bool, at_us: SimTime, inclusive: bool) -> bool {
        self.transitions_of(check)
            .take_while(|t| t.at_us < at_us || (inclusive && t.at_us == at_us))
            .last()
            .map_or(initial, |t| t.healthy)
    }

    fn answer_before(&self, ns: usize, record: usize, at_us: SimTime) -> u32 {
        self.answers[ns * self.record_count + record]
            .iter()
            .take_while(|c| c.at_us < at_us)
            .last()
            .map_or(self.initial_answers[record], |c| c.endpoint)
    }

    fn false_failover_s(&self, config: &Config) -> f64 {
        let mut total_us = 0u64;
        for (slot, changes) in self.answers.iter().enumerate() {
            let record = &config.records[slot % self.record_count];
            let primary = record.primary.endpoint;
            let mut away_since: Option<SimTime> = None;
            let mut close = |from_us: SimTime, to_us: SimTime| {
                // Time inside an episode of the primary is a real failover, not a false one.
                let mut until_us = to_us;
                for e in self.episodes.iter().filter(|e| e.endpoint == primary && e.end_us > from_us) {
                    until_us = until_us.min(e.start_us.max(from_us));
                }
                let from_us = from_us.max(config.warmup_us);
                total_us += until_us.saturating_sub(from_us);
            };
            for change in changes {
                if change.endpoint == primary {
                    if let Some(since) = away_since.take() {
                        close(since, change.at_us);
                    }
                } else if away_since.is_none()
                    && self.is_false_failover(config, &self.transitions[change.transition as usize])
                {
                    away_since = Some(change.at_us);
                }
            }
            if let Some(since) = away_since {
                close(since, config.end_us());
            }
        }
        to_seconds(total_us) / f64::from(config.name_server_count)
    }

    fn episode(&self, config: &Config, e: &Episode, closed: ClosedEpisode) -> EpisodeResult {
        let fault = &config.endpoints[e.endpoint as usize].faults[e.fault as usize];
        let check = config.checks_of(e.endpoint).next().map(|(c, _)| c);
        let since_start = |t: SimTime| to_seconds(t - e.start_us);
        let mut detection_us = None;
        let mut attributed_end_us = e.end_us;
        if let Some(c) = check {
            let hc = &config.health_checks[c as usize];
            attributed_end_us = Self::attributed_end_us(config, c, e);
            let initial = hc.disabled || !hc.inverted;
            detection_us = if !self.status_after(c, initial, e.start_us, false) {
                Some(e.start_us)
            } else {
                self.transitions_of(c)
                    .find(|t| !t.healthy && t.at_us >= e.start_us && t.at_us < attributed_end_us)
                    .map(|t| t.at_us)
            };
        }
        let recovery_us = match (check, detection_us) {
            (Some(c), Some(detected_us)) => {
                let from_us = e.end_us.max(detected_us);
                let hc = &config.health_checks[c as usize];
                if self.status_after(c, hc.disabled || !hc.inverted, from_us, true) {
                    Some(from_us)
                } else {
                    self.transitions_of(c).find(|t| t.healthy && t.at_us > from_us).map(|t| t.at_us)
                }
            }
            _ => None,
        };

        let records: Vec<usize> =
            (0..self.record_count).filter(|&r| config.records[r].names_endpoint(e.endpoint)).collect();
        let mut switches = Vec::new();
        let mut failbacks = Vec::new();
        for ns in 0..config.name_server_count as usize {
            let (switch, failback) = self.name_server_episode(ns, &records, e, attributed_end_us);
            // Failback counts only for name servers this episode moved away.
            if switch.is_some_and(|t| t > e.start_us) {
                failbacks.push(failback);
            }
            switches.push(switch);
        }
        let switch_first = switches.iter().flatten().min().copied();
        let switch_last =
            if switches.iter().all(Option::is_some) { switches.iter().flatten().max().copied() } else { None };
        // Route 53 fails back only to a primary; a secondary is never "returned to".
        let is_primary = config.records.iter().any(|r| r.primary.endpoint == e.endpoint);
        let failback_last = if is_primary && !failbacks.is_empty() && failbacks.iter().all(Option::is_some) {
            failbacks.iter().flatten().max().map(|&t| to_seconds(t - e.end_us))
        } else {
            None
        };
        let groups = config
            .groups
            .iter()
            .zip(closed.groups)
            .filter_map(|(g, summary)| summary.map(|s| (g.id.clone(), s)))
            .collect();
        EpisodeResult {
            endpoint: config.endpoints[e.endpoint as usize].id.clone(),
            kind: match e.kind {
                FaultKind::Outage => "outage",
                FaultKind::Flap => "flap",
                FaultKind::Degraded => "degraded",
                FaultKind::ProbeLoss => "probe_loss",
            }
            .into(),
            fault: fault.pointer.clone(),
            occurrence: e.occurrence,
            start_s: to_seconds(e.start_us - config.warmup_us),
            end_s: to_seconds(e.end_us - config.warmup_us),
            health_check: check.map(|c| config.health_checks[c as usize].id.clone()),
            detection_s: detection_us.map(since_start),
            dns_switch_first_s: switch_first.map(since_start),
            dns_switch_last_s: switch_last.map(since_start),
            client_failover_s: closed.total.client_failover_s,
            clients_active: closed.total.clients_active,
            clients_stranded: closed.total.clients_stranded,
            requests_misrouted: closed.total.requests_misrouted,
            requests_failed: closed.total.requests_failed,
            recovery_detection_s: recovery_us.map(|t| to_seconds(t - e.end_us)),
            dns_failback_last_s: failback_last,
            groups,
        }
    }

    /// When one name server stopped answering the episode's endpoint for every record that
    /// names it (the start itself if it already had), counting only a switch caused by a
    /// status change attributed to the episode; and when, at or after the episode's end, it
    /// answered the endpoint again.
    fn name_server_episode(
        &self,
        ns: usize,
        records: &[usize],
        e: &Episode,
        attributed_end_us: SimTime,
    ) -> (Option<SimTime>, Option<SimTime>) {
        if records.is_empty() {
            return (None, None);
        }
        let at_start: Vec<u32> = records.iter().map(|&r| self.answer_before(ns, r, e.start_us)).collect();
        let mut changes: Vec<(usize, AnswerChange)> = records
            .iter()
            .enumerate()
            .flat_map(|(k, &r)| self.answers[ns * self.record_count + r].iter().map(move |c| (k, *c)))
            .filter(|(_, c)| c.at_us >= e.start_us)
            .collect();
        changes.sort_by_key(|(_, c)| c.at_us);
        let away = |answers: &[u32]| answers.iter().all(|&a| a != e.endpoint);

        let switch_us = if away(&at_start) {
            Some(e.start_us)
        } else {
            let mut answers = at_start.clone();
            let first_away = changes.iter().find(|(k, c)| {
                answers[*k] = c.endpoint;
                away(&answers)
            });
            first_away
                .map(|(_, c)| (c.at_us, self.transitions[c.transition as usize].at_us))
                .filter(|&(_, cause_us)| cause_us >= e.start_us && cause_us < attributed_end_us)
                .map(|(at_us, _)| at_us)
        };
        let Some(switch_us) = switch_us else { return (None, None) };

        let mut answers = at_start;
        let mut later = changes.iter().peekable();
        while let Some((k, c)) = later.next_if(|(_, c)| c.at_us <= e.end_us) {
            answers[*k] = c.endpoint;
        }
        let failback_us = if !away(&answers) {
            Some(e.end_us)
        } else {
            later
                .find(|(k, c)| {
                    answers[*k] = c.endpoint;
                    !away(&answers)
                })
                .map(|(_, c)| c.at_us)
        };
        (Some(switch_us), failback_us)
    }
}

/// Buckets of requests per endpoint, and snapshots of the gauges at each bucket's end.
struct Timeline {
    from_us: SimTime,
    bucket_us: SimTime,
    /// Expected counts of requests counted in bulk, per `[row * endpoints + endpoint]`, for
    /// successes and failures: partial-bucket amounts plus full-bucket rate steps, so that
    /// a batch costs O(1) whatever its length.
    expected_partial: [Vec<f64>; 2],
    expected_rate_steps: [Vec<f64>; 2],
    next_boundary_us: SimTime,
    endpoint_count: usize,
    rows: Vec<TimelineRow>,
    filled: usize,
    last_endpoint: Vec<u32>,
    clients_on: Vec<u64>,
    name_servers_on: Vec<u64>,
    name_server_slots: u64,
}

impl Timeline {
    fn new(config: &Config, initial: &dyn Fn(usize) -> u32) -> Self {
        let endpoint_count = config.endpoints.len();
        let row_count = config.duration_us.div_ceil(config.timeline_bucket_us) as usize;
        let rows = (0..row_count)
            .map(|i| TimelineRow {
                start_s: to_seconds(i as u64 * config.timeline_bucket_us),
                requests: vec![0; endpoint_count],
                requests_failed: vec![0; endpoint_count],
                ..TimelineRow::default()
            })
            .collect();
        let last_endpoint: Vec<u32> = (0..config.client_count() as usize).map(initial).collect();
        let mut clients_on = vec![0; endpoint_count];
        for &e in &last_endpoint {
            clients_on[e as usize] += 1;
        }
        let initial_health: Vec<bool> = config.health_checks.iter().map(|hc| hc.disabled || !hc.inverted).collect();
        let mut name_servers_on = vec![0; endpoint_count];
        for r in &config.records {
            let answer = crate::model::dns::failover_answer(r, |c| initial_health[c as usize]);
            name_servers_on[answer as usize] += u64::from(config.name_server_count);
        }
        let cells = row_count * endpoint_count;
        Timeline {
            expected_partial: [vec![0.0; cells], vec![0.0; cells]],
            expected_rate_steps: [vec![0.0; cells + endpoint_count], vec![0.0; cells + endpoint_count]],
            from_us: config.warmup_us,
            bucket_us: config.timeline_bucket_us,
            next_boundary_us: config.warmup_us + config.timeline_bucket_us,
            endpoint_count,
            rows,
            filled: 0,
            last_endpoint,
            clients_on,
            name_servers_on,
            name_server_slots: u64::from(config.name_server_count) * config.records.len() as u64,
        }
    }

    /// The client's latest requests go to `endpoint` (the share-of-clients gauge).
    fn heading(&mut self, client: u32, endpoint: u32) {
        let last = &mut self.last_endpoint[client as usize];
        if *last != endpoint {
            self.clients_on[*last as usize] -= 1;
            self.clients_on[endpoint as usize] += 1;
            *last = endpoint;
        }
    }

    fn request(&mut self, now_us: SimTime, client: u32, endpoint: u32, failed: bool) {
        self.heading(client, endpoint);
        if now_us >= self.from_us {
            let row = &mut self.rows[((now_us - self.from_us) / self.bucket_us) as usize];
            row.requests[endpoint as usize] += 1;
            row.requests_failed[endpoint as usize] += u64::from(failed);
        }
    }

    /// A batch over [from, to) at `rate` requests per µs, a share `failure` of them failing;
    /// `sent` when the client sent any (or, deferred, is expected to).
    fn batch(&mut self, b: &Batch, to_us: SimTime, rate: f64, failure: f64, sent: bool) {
        if sent {
            self.heading(b.client, b.endpoint);
        }
        if b.from_us < self.from_us || to_us <= b.from_us || rate <= 0.0 {
            return;
        }
        let n = self.endpoint_count;
        let e = b.endpoint as usize;
        let (a, z) = (b.from_us - self.from_us, to_us - self.from_us);
        let (first, last) = ((a / self.bucket_us) as usize, ((z - 1) / self.bucket_us) as usize);
        for (k, r) in [(0, rate * (1.0 - failure)), (1, rate * failure)] {
            if r <= 0.0 {
                continue;
            }
            if first == last {
                self.expected_partial[k][first * n + e] += r * (z - a) as f64;
            } else {
                self.expected_partial[k][first * n + e] += r * ((first as u64 + 1) * self.bucket_us - a) as f64;
                self.expected_partial[k][last * n + e] += r * (z - last as u64 * self.bucket_us) as f64;
                self.expected_rate_steps[k][(first + 1) * n + e] += r;
                self.expected_rate_steps[k][last * n + e] -= r;
            }
        }
    }

    /// Adds draws of the batches' counts to each row: successes and failures are independent
    /// Poisson counts of their expected numbers (thinning), so each row's counts have their
    /// exact distribution. In exact mode there are no batches and nothing is drawn.
    fn draw_batches(&mut self, rng: &mut crate::rng::Stream) {
        use rand_distr::{Distribution, Poisson};
        let n = self.endpoint_count;
        for (k, failed) in [(0, false), (1, true)] {
            let mut rate = vec![0.0; n];
            for (row_index, row) in self.rows.iter_mut().enumerate() {
                for (e, rate) in rate.iter_mut().enumerate() {
                    *rate += self.expected_rate_steps[k][row_index * n + e];
                    let expected = self.expected_partial[k][row_index * n + e] + *rate * self.bucket_us as f64;
                    if expected > 1e-12 {
                        let drawn = Poisson::new(expected).map_or(0.0, |p| p.sample(rng)) as u64;
                        row.requests[e] += drawn;
                        if failed {
                            row.requests_failed[e] += drawn;
                        }
                    }
                }
            }
        }
    }

    fn advance(&mut self, now_us: SimTime, config: &Config, health: &Health) {
        let clients = self.last_endpoint.len().max(1) as f64;
        while self.filled < self.rows.len() && now_us >= self.next_boundary_us.min(config.end_us()) {
            let row = &mut self.rows[self.filled];
            row.clients_share = self.clients_on.iter().map(|&n| n as f64 / clients).collect();
            row.name_servers_share =
                self.name_servers_on.iter().map(|&n| n as f64 / self.name_server_slots as f64).collect();
            row.check_healthy = health.checks.iter().map(|c| c.healthy).collect();
            row.checkers_healthy_share = config
                .health_checks
                .iter()
                .zip(&health.checks)
                .map(|(hc, c)| {
                    if hc.checker_count() == 0 {
                        1.0
                    } else {
                        f64::from(c.healthy_checkers) / f64::from(hc.checker_count())
                    }
                })
                .collect();
            debug_assert_eq!(row.requests.len(), self.endpoint_count);
            self.filled += 1;
            self.next_boundary_us += self.bucket_us;
        }
    }
}
