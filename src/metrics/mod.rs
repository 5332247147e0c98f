//! Metrics: fold a run's observations into its figures (docs/model.md §7). This is where
//! floats first appear.
//!
//! Owns the meaning of every figure. Depends on the model only through `observe`: it sees
//! what happened, never the model's state, and draws nothing.

mod episodes;
mod history;
mod timeline;

use crate::observe::{Batch, CheckerFlip, CheckerId, Observation, Observer, Queries, RunEnd};
use crate::report::{CheckTotals, GroupTotals, RunResult, Totals, Trace};
use crate::scenario::config::Config;
use crate::time::to_seconds;
use episodes::Episodes;
use history::History;
use std::collections::BTreeMap;
use timeline::Timeline;

#[derive(Clone, Copy, Default)]
struct RequestCounts {
    requests: u64,
    failed: u64,
    misrouted: u64,
}

/// What the run started with; present once `Observation::Start` has arrived.
struct Started {
    episodes: Episodes,
    history: History,
    checkers: Vec<CheckerId>,
    timeline: Option<Timeline>,
}

/// Folds the observations of one replication. `trace` keeps the timeline, per-client rows
/// and every status change for output.
pub struct Recorder<'c> {
    config: &'c Config,
    trace: bool,
    started: Option<Started>,
    groups: Vec<RequestCounts>,
    resolver_queries: u64,
    /// Name-server queries of forwarded clients (aggregated mode).
    authoritative_queries: u64,
    /// (probes, failed) per health check, warm-up included.
    probes: Vec<(u64, u64)>,
    flips: Vec<CheckerFlip>,
}

/// A replication's figures, and its trace when one was kept.
pub struct Finished {
    pub result: RunResult,
    pub trace: Option<Trace>,
}

impl<'c> Recorder<'c> {
    pub fn new(config: &'c Config, trace: bool) -> Self {
        Recorder {
            config,
            trace,
            started: None,
            groups: vec![RequestCounts::default(); config.groups.len()],
            resolver_queries: 0,
            authoritative_queries: 0,
            probes: vec![(0, 0); config.health_checks.len()],
            flips: Vec::new(),
        }
    }

    fn started(&mut self) -> &mut Started {
        self.started.as_mut().expect("Observation::Start comes first")
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
        self.started().episodes.count(b, misrouted);
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
        self.started.as_mut().and_then(|s| s.timeline.as_mut())
    }

    /// The run's figures, once the model has finished.
    pub fn finish(mut self, end: &RunEnd) -> Finished {
        let config = self.config;
        let Started { episodes, history, checkers, timeline } = self.started.take().expect("the run started");
        let (closed, client_rows) = episodes.finish(config);
        let mut groups = BTreeMap::new();
        let authoritative_queries = end.authoritative_queries + self.authoritative_queries;
        let mut totals = Totals {
            resolver_queries: self.resolver_queries,
            authoritative_queries,
            events: end.events,
            ..Totals::default()
        };
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
            let went_unhealthy =
                history.transitions_of(c as u32).filter(|t| !t.healthy && t.at_us >= config.warmup_us).count() as u64;
            let false_failovers =
                history.transitions_of(c as u32).filter(|t| history.is_false_failover(config, t)).count() as u64;
            totals.false_failovers += false_failovers;
            let (probes, probes_failed) = self.probes[c];
            health_checks.insert(hc.id.clone(), CheckTotals { probes, probes_failed, went_unhealthy, false_failovers });
        }
        totals.false_failover_s = history.false_failover_s(config);
        let seconds = to_seconds(config.duration_us);
        totals.authoritative_queries_per_s = authoritative_queries as f64 / seconds;
        totals.query_cost_per_month = config
            .query_price_per_million
            .map(|price| totals.authoritative_queries_per_s * 30.0 * 86_400.0 / 1e6 * price);
        totals.false_failovers_per_day = totals.false_failovers as f64 * 86_400.0 / seconds;
        let episodes_out =
            history.episodes.iter().zip(closed).map(|(e, closed)| history.episode(config, e, closed)).collect();
        let trace = timeline.map(|timeline| Trace {
            timeline: timeline.finish(),
            clients: client_rows.unwrap_or_default(),
            // Changes during the warm-up are kept at time 0, so that the state at the start
            // can be rebuilt from the file.
            check_changes: history
                .transitions
                .iter()
                .map(|t| (config.scenario_s(t.at_us), config.health_checks[t.check as usize].id.clone(), t.healthy))
                .collect(),
            checker_flips: self
                .flips
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
                .collect(),
        });
        Finished {
            result: RunResult {
                replication: end.replication,
                seed: end.seed,
                totals,
                groups,
                health_checks,
                episodes: episodes_out,
            },
            trace,
        }
    }
}

impl Observer for Recorder<'_> {
    #[inline(always)]
    fn observe(&mut self, observation: Observation<'_>) {
        let config = self.config;
        match observation {
            Observation::Start(start) => {
                self.started = Some(Started {
                    episodes: Episodes::new(config, start.episodes.len(), start.group_start, self.trace),
                    history: History::new(config, &start),
                    checkers: start.checkers.to_vec(),
                    timeline: self.trace.then(|| Timeline::new(config, &start)),
                });
            }
            Observation::Clock(now_us) => {
                if let Some(timeline) = self.timeline()
                    && now_us >= timeline.next_boundary_us
                {
                    timeline.advance(now_us);
                }
            }
            Observation::EpisodeStart(id) => {
                let started = self.started();
                let episode = started.history.episodes[id as usize].clone();
                started.episodes.open(config, id, &episode);
            }
            Observation::EpisodeEnd(id) => self.started().episodes.close(config, id),
            Observation::Probe { check, ok } => {
                let (probes, failed) = &mut self.probes[check as usize];
                *probes += 1;
                *failed += u64::from(!ok);
            }
            Observation::CheckerFlip(flip) => {
                if let Some(timeline) = self.timeline() {
                    timeline.checker_flipped(flip.checker, flip.healthy);
                }
                if self.trace {
                    self.flips.push(flip);
                }
            }
            Observation::Transition(t) => {
                if let Some(timeline) = self.timeline() {
                    timeline.check_changed(t.check, t.healthy);
                }
                self.started().history.transitions.push(t);
            }
            Observation::AnswerChange(change) => {
                if let Some(timeline) = self.timeline() {
                    timeline.answer_changed(change.previous_endpoint, change.endpoint);
                }
                self.started().history.answer_changed(change);
            }
            Observation::Resolved { at_us, count } => {
                if self.measured(at_us) {
                    self.resolver_queries += count;
                }
            }
            Observation::Request { at_us, client, group, endpoint, failed, at_fault } => {
                if let Some(timeline) = self.timeline() {
                    timeline.request(at_us, client, endpoint, failed);
                }
                if self.measured(at_us) {
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
            Observation::Batch { batch, at_fault } => {
                if batch.requests > 0
                    && let Some(timeline) = self.timeline()
                {
                    timeline.heading(batch.client, batch.endpoint);
                }
                if self.measured(batch.from_us) && batch.requests > 0 {
                    self.count(&batch, at_fault);
                }
                self.queries(batch.from_us, batch.requests, batch.queries);
            }
            Observation::Deferred(batch) => {
                if let Some(timeline) = self.timeline() {
                    timeline.heading(batch.client, batch.endpoint);
                }
            }
            Observation::DeferredCounts { group, queries, failed, count } => {
                let counts = &mut self.groups[group as usize];
                counts.requests += count;
                counts.failed += if failed { count } else { 0 };
                if queries != Queries::None {
                    self.resolver_queries += count;
                }
                if queries == Queries::NameServer {
                    self.authoritative_queries += count;
                }
            }
            Observation::BucketCounts { row, endpoint, failed, count } => {
                if let Some(timeline) = self.timeline() {
                    timeline.bucket_counts(row, endpoint, failed, count);
                }
            }
        }
    }
}

fn availability(requests: u64, failed: u64) -> f64 {
    if requests == 0 { 1.0 } else { (requests - failed) as f64 / requests as f64 }
}
