//! Metrics: fold a run's observations into its figures (docs/model.md §7): counts become
//! rates, shares and seconds here.
//!
//! Owns the meaning of every figure. Depends on the model only through `observe`: it sees
//! what happened, never the model's state, and draws nothing.

mod episodes;
mod failback;
mod history;
mod stages;
mod timeline;

use crate::observe::{Batch, CheckerFlip, CheckerId, Datapoint, Observation, Observer, Queries, RunEnd};
use crate::report::{CheckTotals, ClientRow, DatapointRow, GroupTotals, RunResult, Totals, Trace};
use crate::scenario::config::Config;
use crate::time::to_seconds;
use episodes::Episodes;
use failback::Failbacks;
use history::History;
use std::collections::BTreeMap;
use timeline::Timeline;

#[derive(Clone, Copy, Default)]
struct RequestCounts {
    requests: u64,
    failed: u64,
    misrouted: u64,
}

/// Folds the observations of one replication. `trace` keeps the timeline, per-client rows
/// and every status change for output.
pub struct Recorder<'c> {
    config: &'c Config,
    trace: bool,
    /// Filled by `Observation::Start`, which comes first.
    episodes: Episodes,
    /// After each episode: its clients back on its endpoint or not.
    failbacks: Failbacks,
    history: History,
    checkers: Vec<CheckerId>,
    /// Traced runs only.
    timeline: Option<Timeline>,
    /// The end of the timeline's current bucket (never, without a timeline).
    next_boundary_us: u64,
    groups: Vec<RequestCounts>,
    resolver_queries: u64,
    /// Name-server queries of forwarded clients (aggregated mode).
    authoritative_queries: u64,
    /// (probes, failed) per health check, warm-up included.
    probes: Vec<(u64, u64)>,
    flips: Vec<CheckerFlip>,
    /// CloudWatch datapoints, traced runs only.
    datapoints: Vec<Datapoint>,
    /// Keep an untraced run's per-client rows when there are at most this many.
    client_rows_max: Option<usize>,
}

/// A replication's figures, and its trace when one was kept.
pub struct Finished {
    pub result: RunResult,
    pub trace: Option<Trace>,
    /// An untraced run's per-client rows, when asked for (`keep_client_rows`) and few
    /// enough.
    pub client_rows: Option<Vec<ClientRow>>,
}

impl<'c> Recorder<'c> {
    pub fn new(config: &'c Config, trace: bool) -> Self {
        Recorder {
            config,
            trace,
            episodes: Episodes::default(),
            failbacks: Failbacks::default(),
            history: History::default(),
            checkers: Vec::new(),
            timeline: None,
            next_boundary_us: u64::MAX,
            groups: vec![RequestCounts::default(); config.groups.len()],
            resolver_queries: 0,
            authoritative_queries: 0,
            probes: vec![(0, 0); config.health_checks.len()],
            flips: Vec::new(),
            datapoints: Vec::new(),
            client_rows_max: None,
        }
    }

    /// Keeps the per-client rows of an untraced run too (`Finished::client_rows`), unless
    /// there are more than `max`. A traced run keeps them in its trace whatever their number.
    pub fn keep_client_rows(mut self, max: usize) -> Self {
        self.client_rows_max = Some(max);
        self
    }

    fn measured(&self, at_us: u64) -> bool {
        at_us >= self.config.warmup_us
    }

    /// Requests of one client: totals of its group, and the episodes that follow it.
    fn count(&mut self, b: &Batch, at_fault: &[u32]) {
        let misrouted = !at_fault.is_empty();
        let counts = &mut self.groups[b.group as usize];
        counts.requests += b.requests;
        counts.failed += b.failed;
        counts.misrouted += if misrouted { b.requests } else { 0 };
        self.episodes.count(b, misrouted);
    }

    fn queries(&mut self, at_us: u64, count: u64, queries: Queries) {
        if self.measured(at_us) {
            if queries != Queries::None {
                self.resolver_queries += count;
            }
            if queries == Queries::NameServer {
                self.authoritative_queries += count;
            }
        }
    }

    fn timeline(&mut self) -> Option<&mut Timeline> {
        self.timeline.as_mut()
    }

    /// The run's figures, once the model has finished.
    pub fn finish(mut self, end: &RunEnd) -> Finished {
        let config = self.config;
        let history = std::mem::take(&mut self.history);
        let (closed, client_rows) = std::mem::take(&mut self.episodes).finish(config);
        let (mut totals, groups) = self.totals(end);
        let health_checks = self.health_checks(&history, &mut totals);
        let failbacks = std::mem::take(&mut self.failbacks).finish(config);
        let episodes_out = history
            .episodes
            .iter()
            .zip(closed)
            .zip(failbacks)
            .map(|((e, closed), failback)| {
                let mut episode = history.episode(config, e, closed);
                if let Some((total, groups)) = failback {
                    episode.failback = Some(total);
                    for (g, figures) in groups {
                        if let Some(group) = episode.groups.get_mut(&config.groups[g as usize].id) {
                            group.failback = Some(figures);
                        }
                    }
                }
                episode
            })
            .collect();
        let (client_rows, untraced_rows) = if self.trace { (client_rows, None) } else { (None, client_rows) };
        let trace = self.timeline.take().map(|timeline| Trace {
            timeline: timeline.finish(),
            clients: client_rows.unwrap_or_default(),
            clients_pooled: false,
            check_changes: history.check_changes(config),
            checker_flips: self.checker_flips(&self.checkers),
            datapoints: self.datapoint_rows(),
        });
        let result = RunResult {
            replication: end.replication,
            seed: end.seed,
            totals,
            groups,
            health_checks,
            episodes: episodes_out,
        };
        Finished { result, trace, client_rows: untraced_rows }
    }

    /// Request and query totals, overall and per group.
    fn totals(&self, end: &RunEnd) -> (Totals, BTreeMap<String, GroupTotals>) {
        let config = self.config;
        let authoritative_queries = end.authoritative_queries + self.authoritative_queries;
        let mut totals = Totals {
            resolver_queries: self.resolver_queries,
            authoritative_queries,
            events: end.events,
            ..Totals::default()
        };
        let mut groups = BTreeMap::new();
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
        let seconds = to_seconds(config.duration_us);
        totals.authoritative_queries_per_s = authoritative_queries as f64 / seconds;
        totals.query_cost_per_month = config
            .query_price_per_million
            .map(|price| totals.authoritative_queries_per_s * 30.0 * 86_400.0 / 1e6 * price);
        (totals, groups)
    }

    /// Per health check figures; adds the false failovers to the totals.
    fn health_checks(&self, history: &History, totals: &mut Totals) -> BTreeMap<String, CheckTotals> {
        let config = self.config;
        let mut out = BTreeMap::new();
        for (c, hc) in config.health_checks.iter().enumerate() {
            let went_unhealthy =
                history.transitions_of(c as u32).filter(|t| !t.healthy && t.at_us >= config.warmup_us).count() as u64;
            let false_failovers =
                history.transition_ids_of(c as u32).filter(|&id| history.is_false_failover(config, id)).count() as u64;
            totals.false_failovers += false_failovers;
            let (probes, probes_failed) = self.probes[c];
            out.insert(hc.id.clone(), CheckTotals { probes, probes_failed, went_unhealthy, false_failovers });
        }
        totals.false_failover_s = history.false_failover_s(config);
        totals.false_failovers_per_day = totals.false_failovers as f64 * 86_400.0 / to_seconds(config.duration_us);
        out
    }

    /// The datapoints of the measured time: those whose period ends after the warm-up.
    fn datapoint_rows(&self) -> Vec<DatapointRow> {
        let config = self.config;
        self.datapoints
            .iter()
            .filter(|d| d.period_end_us > config.warmup_us)
            .map(|d| DatapointRow {
                health_check: config.health_checks[d.check as usize].id.clone(),
                period_start_s: config.scenario_s(d.period_start_us),
                period_end_s: config.scenario_s(d.period_end_us),
                arrived_s: config.scenario_s(d.at_us),
                value: d.value,
            })
            .collect()
    }

    /// (time s, check, region, index in region, healthy) of every checker flip.
    fn checker_flips(&self, checkers: &[CheckerId]) -> Vec<(f64, String, String, u32, bool)> {
        let config = self.config;
        self.flips
            .iter()
            .map(|f| {
                let id = checkers[f.checker as usize];
                (
                    config.scenario_s(f.at_us),
                    config.health_checks[id.check as usize].id.clone(),
                    config.regions[id.region as usize].clone(),
                    id.index_in_region,
                    f.healthy,
                )
            })
            .collect()
    }
}

impl Observer for Recorder<'_> {
    #[inline(always)]
    fn observe(&mut self, observation: Observation<'_>) {
        match observation {
            Observation::Start(start) => self.start(&start),
            Observation::Clock(now_us) => {
                if now_us >= self.next_boundary_us
                    && let Some(timeline) = &mut self.timeline
                {
                    timeline.advance(now_us);
                    self.next_boundary_us = timeline.next_boundary_us;
                }
            }
            Observation::EpisodeStart(id) => {
                let episode = self.history.episodes[id as usize].clone();
                self.episodes.open(self.config, id, &episode);
            }
            Observation::EpisodeEnd(id) => {
                let mut failed_over = Vec::new();
                self.episodes.failed_over(id, |g, i| failed_over.push((g, i)));
                let episode = &self.history.episodes[id as usize];
                self.failbacks.open(self.config, id, episode, &failed_over);
                self.episodes.close(self.config, id);
            }
            Observation::Probe { check, ok } => {
                let (probes, failed) = &mut self.probes[check as usize];
                *probes += 1;
                *failed += u64::from(!ok);
            }
            Observation::CheckerFlip(flip) => self.checker_flipped(flip),
            Observation::Transition(t) => {
                if let Some(timeline) = self.timeline() {
                    timeline.check_changed(t.check, t.healthy);
                }
                self.history.transitions.push(t);
            }
            Observation::Evidence { transition, evidence } => self.history.add_evidence(transition, evidence),
            Observation::Datapoint(d) => {
                if self.trace {
                    self.datapoints.push(d);
                }
            }
            Observation::AnswerChange { change, answer, previous: _ } => {
                if let Some(timeline) = self.timeline() {
                    timeline.answer_changed(change.name_server, change.question, answer);
                }
                self.history.answer_changed(change, answer);
            }
            Observation::Resolved { at_us, count } => self.queries(at_us, count, Queries::Resolver),
            Observation::Request { at_us, client, group, endpoint, failed, at_fault, delay_us, passed } => {
                if !passed.is_empty() && !failed && self.measured(at_us) {
                    self.episodes.delayed(passed, delay_us);
                }
                self.request(at_us, client, group, endpoint, failed, at_fault)
            }
            Observation::Reached { client, group, from_us, marks } => {
                if self.measured(from_us) {
                    self.episodes.reached(client, group, from_us, marks);
                }
            }
            Observation::Batch { batch, at_fault } => self.batch(&batch, at_fault),
            Observation::Deferred(batch) => {
                if let Some(timeline) = self.timeline() {
                    timeline.heading(batch.client, batch.endpoint);
                }
                if self.failbacks.follows(batch.group) {
                    let at_us = self.expected_first_us(&batch);
                    self.failbacks.saw(self.config, batch.client, batch.group, batch.endpoint, at_us);
                }
            }
            Observation::DeferredCounts { group, queries, failed, count } => {
                let counts = &mut self.groups[group as usize];
                counts.requests += count;
                counts.failed += if failed { count } else { 0 };
                self.queries(self.config.warmup_us, count, queries);
            }
            Observation::BucketCounts { row, endpoint, failed, count } => {
                if let Some(timeline) = self.timeline() {
                    timeline.bucket_counts(row, endpoint, failed, count);
                }
            }
        }
    }
}

impl Recorder<'_> {
    fn start(&mut self, start: &crate::observe::Start<'_>) {
        let config = self.config;
        self.episodes = Episodes::new(config, start.episodes.len(), start.group_start, self.trace);
        if let (Some(max), false) = (self.client_rows_max, self.trace) {
            self.episodes.keep_rows(max);
        }
        self.failbacks = Failbacks::new(config, start.episodes, start.group_start, start.healthy_answers);
        self.history = History::new(config, start);
        self.checkers = start.checkers.to_vec();
        self.timeline = self.trace.then(|| Timeline::new(config, start));
        self.next_boundary_us = self.timeline.as_ref().map_or(u64::MAX, |t| t.next_boundary_us);
    }

    fn checker_flipped(&mut self, flip: CheckerFlip) {
        if let Some(timeline) = self.timeline() {
            timeline.checker_flipped(flip.checker, flip.healthy);
        }
        if self.trace {
            self.flips.push(flip);
        }
    }

    /// One request simulated on its own; counted once the warm-up is over.
    #[inline]
    fn request(&mut self, at_us: u64, client: u32, group: u16, endpoint: u32, failed: bool, at_fault: &[u32]) {
        if let Some(timeline) = self.timeline() {
            timeline.request(at_us, client, endpoint, failed);
        }
        if self.measured(at_us) {
            if self.failbacks.follows(group) {
                self.failbacks.saw(self.config, client, group, endpoint, at_us);
            }
            let batch = Batch {
                client,
                group,
                endpoint,
                from_us: at_us,
                to_us: at_us,
                requests: 1,
                failed: u64::from(failed),
                first_us: Some(at_us),
                queries: Queries::None,
            };
            self.count(&batch, at_fault);
        }
    }

    #[inline]
    fn batch(&mut self, batch: &Batch, at_fault: &[u32]) {
        if batch.requests > 0
            && let Some(timeline) = self.timeline()
        {
            timeline.heading(batch.client, batch.endpoint);
        }
        if self.measured(batch.from_us) && batch.requests > 0 {
            self.count(batch, at_fault);
            if self.failbacks.follows(batch.group) {
                let at_us = self.expected_first_us(batch);
                self.failbacks.saw(self.config, batch.client, batch.group, batch.endpoint, at_us);
            }
        }
        self.queries(batch.from_us, batch.requests, batch.queries);
    }
}

impl Recorder<'_> {
    /// When the first request of a span went (for failback, docs/model.md §7.2.8): its drawn
    /// time when the model drew it; else, for a drawn count of n requests over [from, to),
    /// from + (to − from)/(n + 1), their expected first given n (Poisson requests spread
    /// uniformly); for a deferred span, whose count is not drawn, from + 1/rate, the expected
    /// wait for a client's next request from any instant. The expectations keep the mean
    /// time back and the requests elsewhere unbiased; the spread of the times back is
    /// narrower than drawn times would give.
    fn expected_first_us(&self, b: &Batch) -> u64 {
        if let Some(first_us) = b.first_us {
            return first_us;
        }
        if b.requests > 0 {
            return b.from_us + (b.to_us - b.from_us) / (b.requests + 1);
        }
        let rate = self.config.groups[b.group as usize].requests_per_s;
        if rate > 0.0 { b.from_us.saturating_add((1e6 / rate).round() as u64) } else { b.from_us }
    }
}

fn availability(requests: u64, failed: u64) -> f64 {
    if requests == 0 { 1.0 } else { (requests - failed) as f64 / requests as f64 }
}

#[cfg(test)]
mod tests {
    //! Each figure from a hand-built sequence of observations: a primary/secondary pair,
    //! one health check with one checker, two name servers, three clients, no warm-up, and
    //! one outage of the primary from 600 s to 1200 s.
    use super::*;
    use crate::observe::{AnswerChange, AnswerSummary, CheckerFlip, Episode, Start, Transition};
    use crate::scenario::FaultKind;
    use crate::scenario::config::{build, parse};
    use crate::time::US_PER_S;
    use std::path::Path;

    const PRIMARY: u32 = 0;
    const SECONDARY: u32 = 1;

    fn config() -> Config {
        let text = r#"{ "name": "t", "duration": "1h", "warmup": "0s",
            "endpoints": { "primary": { "faults": [ { "kind": "outage", "start": "10m", "duration": "10m" } ] },
                           "secondary": {} },
            "health_checks": { "hc": { "endpoint": "primary", "regions": ["us-east-1"], "checkers_per_region": 1 } },
            "dns": { "name_servers": 2,
                     "records": { "app": { "ttl": "60s", "failover": { "primary": { "endpoint": "primary", "health_check": "hc" },
                                                                     "secondary": { "endpoint": "secondary" } } } } },
            "resolvers": { "isp": { "count": 1 } },
            "clients": { "users": { "count": 3, "record": "app", "requests_per_s": 1 } } }"#;
        let (scenario, _) = parse(Path::new("t.json"), text).unwrap();
        build(&scenario, Path::new("t.json")).unwrap()
    }

    fn s(seconds: u64) -> u64 {
        seconds * US_PER_S
    }

    fn episode() -> Episode {
        Episode {
            endpoint: PRIMARY,
            fault: 0,
            occurrence: 0,
            kind: FaultKind::Outage,
            start_us: s(600),
            end_us: s(1200),
        }
    }

    /// Feeds the start, then `observations`, then finishes the run.
    fn run(config: &Config, observations: &[Observation<'_>]) -> RunResult {
        traced(config, observations, false).result
    }

    fn traced(config: &Config, observations: &[Observation<'_>], trace: bool) -> Finished {
        let mut recorder = Recorder::new(config, trace);
        let episodes = [episode()];
        let checkers = [CheckerId { check: 0, region: 0, index_in_region: 0 }];
        recorder.observe(Observation::Start(Start {
            episodes: &episodes,
            checkers: &checkers,
            check_healthy: &[true],
            checkers_healthy: &[1],
            answers: &[only(PRIMARY).clone()],
            healthy_answers: &[only(PRIMARY).clone()],
            client_endpoints: &[PRIMARY; 3],
            group_start: &[0],
        }));
        for &o in observations {
            recorder.observe(o);
        }
        let end = RunEnd { replication: 0, seed: 1, events: 0, authoritative_queries: 0, pending_peak: 0 };
        recorder.finish(&end)
    }

    fn transition(at: u64, healthy: bool) -> Observation<'static> {
        Observation::Transition(Transition { at_us: s(at), check: 0, healthy })
    }

    /// The summary of an answer naming one endpoint.
    fn only(endpoint: u32) -> &'static AnswerSummary {
        Box::leak(Box::new(AnswerSummary { shares: vec![(endpoint, 1.0)], names: vec![endpoint] }))
    }

    fn answer(at: u64, name_server: u32, endpoint: u32, transition: u32) -> Observation<'static> {
        let previous_endpoint = if endpoint == PRIMARY { SECONDARY } else { PRIMARY };
        Observation::AnswerChange {
            change: AnswerChange { at_us: s(at), name_server, question: 0, transition },
            answer: only(endpoint),
            previous: only(previous_endpoint),
        }
    }

    const AT_FAULT: &[u32] = &[0];

    fn request(at: u64, client: u32, endpoint: u32, failed: bool) -> Observation<'static> {
        let at_fault = if endpoint == PRIMARY && (600..1200).contains(&at) { AT_FAULT } else { &[] };
        Observation::Request { at_us: s(at), client, group: 0, endpoint, failed, at_fault, delay_us: 0, passed: &[] }
    }

    /// The outage detected at 695 s, name servers switching at 695 s and 700 s, back at
    /// 1263 s and 1270 s after recovery at 1263 s.
    fn failover() -> Vec<Observation<'static>> {
        vec![
            Observation::EpisodeStart(0),
            Observation::CheckerFlip(CheckerFlip { at_us: s(695), checker: 0, healthy: false }),
            transition(695, false),
            answer(695, 0, SECONDARY, 0),
            answer(700, 1, SECONDARY, 0),
            Observation::EpisodeEnd(0),
            transition(1263, true),
            answer(1263, 0, PRIMARY, 1),
            answer(1270, 1, PRIMARY, 1),
        ]
    }

    #[test]
    fn detection_is_the_first_unhealthy_transition_inside_the_episode() {
        let config = config();
        let result = run(&config, &failover());
        let e = &result.episodes[0];
        assert_eq!(e.health_check.as_deref(), Some("hc"));
        assert_eq!(e.detection_s, Some(95.0));
        // A check already unhealthy when the episode starts detects at 0.
        let mut early = vec![transition(500, false)];
        early.extend(failover());
        let e = &run(&config, &early).episodes[0];
        assert_eq!(e.detection_s, Some(0.0));
        // One that never turns unhealthy never detects.
        let e = &run(&config, &[Observation::EpisodeStart(0), Observation::EpisodeEnd(0)]).episodes[0];
        assert_eq!(e.detection_s, None);
    }

    #[test]
    fn dns_switch_is_the_first_and_last_name_server_to_answer_away() {
        let result = run(&config(), &failover());
        let e = &result.episodes[0];
        assert_eq!(e.dns_switch_first_s, Some(95.0));
        assert_eq!(e.dns_switch_last_s, Some(100.0));
        // Until every name server has switched there is no last switch.
        let partial: Vec<_> = failover()
            .into_iter()
            .filter(|o| !matches!(o, Observation::AnswerChange { change, .. } if change.name_server == 1))
            .collect();
        let e = &run(&config(), &partial).episodes[0];
        assert_eq!((e.dns_switch_first_s, e.dns_switch_last_s), (Some(95.0), None));
    }

    #[test]
    fn recovery_and_failback_count_from_the_end() {
        let result = run(&config(), &failover());
        let e = &result.episodes[0];
        assert_eq!(e.recovery_detection_s, Some(63.0));
        assert_eq!(e.dns_failback_last_s, Some(70.0));
    }

    #[test]
    fn client_failover_counts_active_clients_and_strands_those_that_never_reach_a_healthy_endpoint() {
        let mut observations = failover();
        observations.splice(
            1..1,
            [
                request(610, 0, PRIMARY, true),
                request(620, 1, PRIMARY, true),
                request(800, 0, SECONDARY, false),
                // Before the episode: not active because of it.
                request(100, 2, PRIMARY, false),
            ],
        );
        let result = run(&config(), &observations);
        let e = &result.episodes[0];
        assert_eq!((e.clients_active, e.clients_stranded), (2, 1));
        assert_eq!(e.client_failover_s.count, 1);
        assert_eq!(e.client_failover_s.mean, Some(200.0));
        // Nearest rank over two active clients, the stranded one ranked last.
        assert_eq!(e.client_failover_s.p50, Some(200.0));
        assert_eq!((e.client_failover_s.p99, e.client_failover_s.max), (None, None));
        assert_eq!(e.groups["users"].clients_stranded, 1);
    }

    #[test]
    fn misrouted_requests_went_to_the_faulty_endpoint_failed_ones_failed() {
        let mut observations = failover();
        observations.splice(
            1..1,
            [
                request(610, 0, PRIMARY, true),
                // A request inside the episode that happened to succeed is still misrouted.
                request(611, 1, PRIMARY, false),
                request(612, 2, SECONDARY, false),
            ],
        );
        observations.push(request(1300, 2, PRIMARY, false));
        let result = run(&config(), &observations);
        let e = &result.episodes[0];
        assert_eq!((e.requests_misrouted, e.requests_failed), (2, 1));
        assert_eq!(result.totals.requests, 4);
        assert_eq!((result.totals.requests_misrouted, result.totals.requests_failed), (2, 1));
        assert_eq!(result.totals.availability, 0.75);
    }

    #[test]
    fn false_failovers_are_unhealthy_transitions_outside_every_episode() {
        // Unhealthy at 300 s with no fault; name servers away from 300 s and 310 s until
        // 400 s: a mean of 95 s over the two name servers.
        let observations = [
            Observation::EpisodeStart(0),
            transition(300, false),
            answer(300, 0, SECONDARY, 0),
            answer(310, 1, SECONDARY, 0),
            transition(400, true),
            answer(400, 0, PRIMARY, 1),
            answer(400, 1, PRIMARY, 1),
        ];
        let result = run(&config(), &observations);
        assert_eq!(result.totals.false_failovers, 1);
        assert_eq!(result.health_checks["hc"].false_failovers, 1);
        assert_eq!(result.totals.false_failover_s, 95.0);
        assert_eq!(result.totals.false_failovers_per_day, 24.0);
        // The real outage's detection is not a false failover.
        let result = run(&config(), &failover());
        assert_eq!((result.totals.false_failovers, result.health_checks["hc"].went_unhealthy), (0, 1));
    }

    #[test]
    fn failback_is_the_first_request_to_the_primary_after_the_end() {
        let deferred = |at: u64, client: u32, endpoint: u32| {
            Observation::Deferred(Batch {
                client,
                group: 0,
                endpoint,
                from_us: s(at),
                to_us: s(at + 50),
                requests: 0,
                failed: 0,
                first_us: None,
                queries: Queries::Resolver,
            })
        };
        let mut observations = failover();
        observations.splice(
            1..1,
            [
                request(610, 0, PRIMARY, true),
                request(700, 0, SECONDARY, false),
                request(620, 1, PRIMARY, true),
                request(710, 1, SECONDARY, false),
                request(630, 2, PRIMARY, true),
                request(720, 2, SECONDARY, false),
            ],
        );
        observations.extend([
            // Client 0: back 100 s after the end; client 1 still on the secondary; client 2
            // in a span whose count is not drawn: back at its start plus 1/rate (1 s).
            request(1250, 0, SECONDARY, false),
            request(1300, 0, PRIMARY, false),
            request(1400, 0, SECONDARY, false),
            deferred(1260, 1, SECONDARY),
            deferred(1219, 2, PRIMARY),
        ]);
        let e = &run(&config(), &observations).episodes[0];
        let f = e.failback.as_ref().unwrap();
        assert_eq!((f.clients_failed_over, f.back_s.count, f.clients_away_at_end), (3, 2, 1));
        assert_eq!((f.back_s.p50, f.back_s.mean, f.back_s.max), (Some(100.0), Some(60.0), None));
        // Away after the end: 100 s, 20 s and the 2400 s to the end of the run, at 1 request/s.
        assert_eq!(f.requests_elsewhere_expected, 2520.0);
        assert_eq!(e.groups["users"].failback.as_ref(), Some(f));
        // An episode lasting to the end of the run has no failback.
        let open: Vec<_> = observations.into_iter().filter(|o| !matches!(o, Observation::EpisodeEnd(_))).collect();
        assert_eq!(run(&config(), &open).episodes[0].failback, None);
    }

    #[test]
    fn deferred_counts_add_to_the_group_totals() {
        let observations = [
            Observation::EpisodeStart(0),
            Observation::DeferredCounts { group: 0, queries: Queries::None, failed: false, count: 7 },
            Observation::DeferredCounts { group: 0, queries: Queries::NameServer, failed: true, count: 3 },
        ];
        let result = run(&config(), &observations);
        let g = &result.groups["users"];
        assert_eq!((g.requests, g.requests_failed), (10, 3));
        assert_eq!((result.totals.resolver_queries, result.totals.authoritative_queries), (3, 3));
    }

    #[test]
    fn timeline_rows_snapshot_the_gauges_at_each_bucket_end() {
        let config = config();
        assert_eq!(config.timeline_bucket_us, s(5));
        let observations = [
            Observation::EpisodeStart(0),
            Observation::Clock(s(2)),
            request(2, 0, SECONDARY, false),
            Observation::Clock(s(6)),
            transition(6, false),
            answer(6, 0, SECONDARY, 0),
            Observation::CheckerFlip(CheckerFlip { at_us: s(6), checker: 0, healthy: false }),
            Observation::BucketCounts { row: 1, endpoint: PRIMARY, failed: true, count: 4 },
            Observation::Clock(s(10)),
        ];
        let trace = traced(&config, &observations, true).trace.unwrap();
        let (first, second) = (&trace.timeline[0], &trace.timeline[1]);
        assert_eq!(first.clients_share, vec![2.0 / 3.0, 1.0 / 3.0]);
        assert_eq!(first.requests, vec![0, 1]);
        assert_eq!(first.name_servers_share, vec![1.0, 0.0]);
        assert_eq!(first.checkers_healthy_share, vec![1.0]);
        assert_eq!(second.name_servers_share, vec![0.5, 0.5]);
        assert_eq!(second.checkers_healthy_share, vec![0.0]);
        assert_eq!((second.requests.clone(), second.requests_failed.clone()), (vec![4, 0], vec![4, 0]));
        // Rows after the last observation take the state at the end of the run.
        assert_eq!(trace.timeline.last().unwrap().name_servers_share, vec![0.5, 0.5]);
        assert_eq!(trace.checker_flips, vec![(6.0, "hc".to_owned(), "us-east-1".to_owned(), 0, false)]);
    }
}
