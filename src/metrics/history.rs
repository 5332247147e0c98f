//! The status and answer histories of a run, and the post-run questions asked of them:
//! when a fault was detected and recovered from, when name servers switched away and back,
//! which unhealthy transitions were false failovers, and how long name servers answered
//! away from what they answer when all is well (docs/model.md §7).

use super::episodes::Closed;
use crate::observe::{AnswerChange, AnswerSummary, Episode, Evidence, Start, Transition};
use crate::report::{EpisodeResult, RecordSetTimes};
use crate::scenario::FaultKind;
use crate::scenario::config::Config;
use crate::time::{SimTime, to_seconds};
use std::collections::BTreeMap;

#[derive(Default)]
pub struct History {
    pub episodes: Vec<Episode>,
    /// Every change of a check's reported status, in order; `AnswerChange::transition`
    /// indexes it.
    pub transitions: Vec<Transition>,
    /// Answer changes of each (name server, question), in time order.
    answers: Vec<Vec<Change>>,
    initial_health: Vec<bool>,
    /// The endpoints each question's answer names at the start.
    initial_names: Vec<Vec<u32>>,
    /// The endpoints each question's answer names while every check is healthy.
    healthy_names: Vec<Vec<u32>>,
    question_count: usize,
    /// Per record set, whether some client group asks it (found once, not per episode).
    asked: Vec<bool>,
    /// What each status change of a calculated, CloudWatch or load balancer's check rests
    /// on, by number.
    evidence: BTreeMap<u32, Vec<Evidence>>,
}

/// A change of one name server's answer to one question: when, why, and which endpoints the
/// new answer names.
#[derive(Clone, Debug)]
struct Change {
    at_us: SimTime,
    transition: u32,
    names: Vec<u32>,
}

/// When the health check saw an episode: detection and recovery (engine times), and until
/// when its results are attributed to the episode.
struct CheckTimes {
    check: Option<u32>,
    detection_us: Option<SimTime>,
    recovery_us: Option<SimTime>,
    attributed_end_us: SimTime,
}

/// When the name servers switched away from an episode's endpoint and back.
struct DnsTimes {
    switch_first_us: Option<SimTime>,
    switch_last_us: Option<SimTime>,
    failback_last_us: Option<SimTime>,
}

impl History {
    pub fn new(config: &Config, start: &Start<'_>) -> Self {
        let question_count = config.questions.len();
        History {
            episodes: start.episodes.to_vec(),
            transitions: Vec::new(),
            answers: vec![Vec::new(); config.name_server_count as usize * question_count],
            initial_health: start.check_healthy.to_vec(),
            initial_names: start.answers.iter().map(|a| a.names.clone()).collect(),
            healthy_names: start.healthy_answers.iter().map(|a| a.names.clone()).collect(),
            question_count,
            asked: {
                let mut asked = vec![false; config.records.len()];
                for g in &config.groups {
                    asked[g.record as usize] = true;
                }
                asked
            },
            evidence: BTreeMap::new(),
        }
    }

    pub fn add_evidence(&mut self, transition: u32, evidence: Evidence) {
        self.evidence.entry(transition).or_default().push(evidence);
    }

    pub fn answer_changed(&mut self, change: AnswerChange, answer: &AnswerSummary) {
        let slot = change.name_server as usize * self.question_count + change.question as usize;
        self.answers[slot].push(Change {
            at_us: change.at_us,
            transition: change.transition,
            names: answer.names.clone(),
        });
    }

    pub fn transitions_of(&self, check: u32) -> impl Iterator<Item = &Transition> + '_ {
        self.transitions.iter().filter(move |t| t.check == check)
    }

    /// The numbers of a check's status changes, in order.
    pub fn transition_ids_of(&self, check: u32) -> impl Iterator<Item = u32> + '_ {
        (0u32..).zip(&self.transitions).filter(move |(_, t)| t.check == check).map(|(id, _)| id)
    }

    /// (time s, check, healthy) of every change of a check's status. Changes during the
    /// warm-up read as time 0, so that the state at the start can be rebuilt from them.
    pub fn check_changes(&self, config: &Config) -> Vec<(f64, String, bool)> {
        self.transitions
            .iter()
            .map(|t| (config.scenario_s(t.at_us), config.health_checks[t.check as usize].id.clone(), t.healthy))
            .collect()
    }

    /// Results caused by a fault arrive until its end plus the longest probe.
    fn attributed_end_us(config: &Config, check: u32, episode: &Episode) -> SimTime {
        episode.end_us + config.health_checks[check as usize].probe_duration_us_max()
    }

    /// Whether status change number `id` is attributed to episode `e` (docs/model.md
    /// §7.2.3): a probing check's change of the episode's endpoint (or of a load balancer in
    /// front of it) between its start and its end plus the check's longest probe; a
    /// CloudWatch check's change whose datapoints' periods overlap the episode; a calculated
    /// check's change whose child's change is attributed to it; a load balancer's change
    /// resting on health checks of the episode's endpoint, a target, that overlap it.
    fn attributed(&self, config: &Config, id: u32, e: &Episode) -> bool {
        let t = &self.transitions[id as usize];
        // A check of a load balancer sees its targets' faults.
        let watched = config.health_checks[t.check as usize].endpoint;
        let watches_endpoint = watched.is_some_and(|w| config.serves(w, e.endpoint));
        let Some(evidence) = self.evidence.get(&id) else {
            return watches_endpoint && e.start_us <= t.at_us && t.at_us < Self::attributed_end_us(config, t.check, e);
        };
        evidence.iter().any(|evidence| match *evidence {
            Evidence::Child { transition } => self.attributed(config, transition, e),
            Evidence::Metric { from_us, to_us } => watches_endpoint && from_us < e.end_us && to_us > e.start_us,
            Evidence::Target { endpoint, from_us, to_us } => {
                endpoint == e.endpoint && from_us < e.end_us && to_us >= e.start_us
            }
        })
    }

    /// A check went unhealthy, measured, attributed to no episode (inverted checks are
    /// unhealthy by design when all is well, so never count).
    pub fn is_false_failover(&self, config: &Config, id: u32) -> bool {
        let t = &self.transitions[id as usize];
        !t.healthy
            && !config.health_checks[t.check as usize].inverted
            && t.at_us >= config.warmup_us
            && !self.episodes.iter().any(|e| self.attributed(config, id, e))
    }

    fn status_after(&self, check: u32, at_us: SimTime, inclusive: bool) -> bool {
        self.transitions_of(check)
            .take_while(|t| t.at_us < at_us || (inclusive && t.at_us == at_us))
            .last()
            .map_or(self.initial_health[check as usize], |t| t.healthy)
    }

    /// The endpoints a name server's answer to a question named just before `at_us`.
    fn names_before(&self, ns: usize, question: usize, at_us: SimTime) -> &[u32] {
        self.answers[ns * self.question_count + question]
            .iter()
            .take_while(|c| c.at_us < at_us)
            .last()
            .map_or(&self.initial_names[question], |c| &c.names)
    }

    /// Mean over name servers of the time spent answering away from what a question is
    /// answered when all is well (some endpoint of that answer no longer named) after a
    /// false failover, until it is answered again or a real episode on one of its endpoints
    /// starts, summed over questions. For a failover pair: away from its primary.
    pub fn false_failover_s(&self, config: &Config) -> f64 {
        let mut total_us = 0u64;
        for (slot, changes) in self.answers.iter().enumerate() {
            let healthy = &self.healthy_names[slot % self.question_count];
            let away = |names: &[u32]| healthy.iter().any(|e| !names.contains(e));
            let mut away_since: Option<SimTime> = None;
            let mut close = |from_us: SimTime, to_us: SimTime| {
                // Time inside an episode of a healthy answer's endpoint is a real failover, not
                // a false one.
                let mut until_us = to_us;
                for e in self.episodes.iter().filter(|e| healthy.contains(&e.endpoint) && e.end_us > from_us) {
                    until_us = until_us.min(e.start_us.max(from_us));
                }
                let from_us = from_us.max(config.warmup_us);
                total_us += until_us.saturating_sub(from_us);
            };
            for change in changes {
                // An answer at random sends part of the traffic to the primary: not away.
                if !away(&change.names) {
                    if let Some(since) = away_since.take() {
                        close(since, change.at_us);
                    }
                } else if away_since.is_none() && self.is_false_failover(config, change.transition) {
                    away_since = Some(change.at_us);
                }
            }
            if let Some(since) = away_since {
                close(since, config.end_us());
            }
        }
        to_seconds(total_us) / f64::from(config.name_server_count)
    }

    /// An episode's figures, from the histories and its clients' figures.
    pub fn episode(&self, config: &Config, e: &Episode, closed: Closed) -> EpisodeResult {
        let fault = &config.endpoints[e.endpoint as usize].faults[e.fault as usize];
        let since_start = |t: SimTime| to_seconds(t - e.start_us);
        let check = self.check_times(config, e);
        let dns = self.dns_times(config, e, check.attributed_end_us);
        let groups = closed
            .groups
            .into_iter()
            .zip(&closed.reached)
            .map(|((g, mut summary), reached)| {
                let question = config.groups[g as usize].question as usize;
                let switched_us = self.dns_times_of(config, &[question], e, check.attributed_end_us).switch_first_us;
                summary.stages = super::stages::summarise(e.start_us, check.detection_us, switched_us, reached);
                (config.groups[g as usize].id.clone(), summary)
            })
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
            health_check: check.check.map(|c| config.health_checks[c as usize].id.clone()),
            detection_s: check.detection_us.map(since_start),
            dns_switch_first_s: dns.switch_first_us.map(since_start),
            dns_switch_last_s: dns.switch_last_us.map(since_start),
            client_failover_s: closed.total.client_failover_s,
            clients_active: closed.total.clients_active,
            clients_stranded: closed.total.clients_stranded,
            requests_misrouted: closed.total.requests_misrouted,
            requests_failed: closed.total.requests_failed,
            recovery_detection_s: check.recovery_us.map(|t| to_seconds(t - e.end_us)),
            dns_failback_last_s: dns.failback_last_us.map(|t| to_seconds(t - e.end_us)),
            groups,
            request_delay_s: closed.delay,
            record_sets: self.record_set_times(config, e, check.attributed_end_us),
            failback: None,
        }
    }

    /// Detection: the first status change to unhealthy attributed to the episode of any
    /// check that depends on its endpoint — at the start itself if one of the endpoint's own
    /// checks already was unhealthy. Recovery: the detecting check healthy again at or after
    /// the end (and after detection). Without a detection the episode names the endpoint's
    /// first own check, else its first calculated one.
    fn check_times(&self, config: &Config, e: &Episode) -> CheckTimes {
        // Answer changes count for the episode until its probing checks' last results can
        // arrive (or when a change is attributed to it).
        let attributed_end_us =
            config.checks_of(e.endpoint).map(|(c, _)| Self::attributed_end_us(config, c, e)).max().unwrap_or(e.end_us);
        let mut first: Option<(SimTime, Option<u32>, u32)> = None;
        for c in config.checks_depending_on(e.endpoint) {
            if let Some(found) = self.detection(config, c, e)
                && first.is_none_or(|best| found < best)
            {
                first = Some(found);
            }
        }
        let check = first.map(|(_, _, c)| c).or_else(|| {
            let own =
                config.checks_depending_on(e.endpoint).find(|&c| config.health_checks[c as usize].endpoint.is_some());
            own.or_else(|| config.checks_depending_on(e.endpoint).next())
        });
        let recovery_us = first.and_then(|(detected_us, _, c)| {
            let from_us = e.end_us.max(detected_us);
            if self.status_after(c, from_us, true) {
                Some(from_us)
            } else {
                self.transitions_of(c).find(|t| t.healthy && t.at_us > from_us).map(|t| t.at_us)
            }
        });
        CheckTimes { check, detection_us: first.map(|(t, _, _)| t), recovery_us, attributed_end_us }
    }

    /// When check `c` detected the episode: (time, the change's number — None when the
    /// check, one of the endpoint's own, was already unhealthy at the start —, c). A
    /// calculated check unhealthy at the start may be so because of another endpoint, so
    /// only its attributed changes count.
    fn detection(&self, config: &Config, c: u32, e: &Episode) -> Option<(SimTime, Option<u32>, u32)> {
        let own = config.health_checks[c as usize].endpoint == Some(e.endpoint);
        if own && !self.status_after(c, e.start_us, false) {
            return Some((e.start_us, None, c));
        }
        self.transition_ids_of(c)
            .find(|&id| {
                let t = &self.transitions[id as usize];
                !t.healthy && t.at_us >= e.start_us && self.attributed(config, id, e)
            })
            .map(|id| (self.transitions[id as usize].at_us, Some(id), c))
    }

    /// The first and last name server to stop answering the endpoint (for every question
    /// whose answers can name it, or a load balancer in front of it), and the last to answer it again after the end — over the
    /// name servers this episode moved away, and only for an endpoint answered when all is
    /// well: Route 53 fails back only to a primary.
    fn dns_times(&self, config: &Config, e: &Episode, attributed_end_us: SimTime) -> DnsTimes {
        let questions: Vec<usize> = (0..self.question_count)
            .filter(|&q| config.question_tree(q as u32).reached.contains(&e.endpoint))
            .collect();
        self.dns_times_of(config, &questions, e, attributed_end_us)
    }

    /// `dns_times` over some of the questions.
    fn dns_times_of(&self, config: &Config, questions: &[usize], e: &Episode, attributed_end_us: SimTime) -> DnsTimes {
        let mut switches = Vec::new();
        let mut failbacks = Vec::new();
        for ns in 0..config.name_server_count as usize {
            let (switch, failback) = self.name_server_episode(config, ns, questions, e, attributed_end_us);
            if switch.is_some_and(|t| t > e.start_us) {
                failbacks.push(failback);
            }
            switches.push(switch);
        }
        let switch_first_us = switches.iter().flatten().min().copied();
        let switch_last_us =
            if switches.iter().all(Option::is_some) { switches.iter().flatten().max().copied() } else { None };
        let is_primary = questions.iter().any(|&q| self.healthy_names[q].contains(&e.endpoint));
        let failback_last_us = if is_primary && !failbacks.is_empty() && failbacks.iter().all(Option::is_some) {
            failbacks.iter().flatten().max().copied()
        } else {
            None
        };
        DnsTimes { switch_first_us, switch_last_us, failback_last_us }
    }

    /// The DNS figures per record set that clients ask and whose answers can name the
    /// endpoint, when more than one can.
    fn record_set_times(
        &self,
        config: &Config,
        e: &Episode,
        attributed_end_us: SimTime,
    ) -> BTreeMap<String, RecordSetTimes> {
        let sets: Vec<usize> = (0..config.records.len())
            .filter(|&r| self.asked[r] && config.records[r].names_endpoint(e.endpoint))
            .collect();
        if sets.len() < 2 {
            return BTreeMap::new();
        }
        let since_start = |t: SimTime| to_seconds(t - e.start_us);
        sets.into_iter()
            .map(|r| {
                let questions: Vec<usize> =
                    (0..self.question_count).filter(|&q| config.questions[q].record as usize == r).collect();
                let dns = self.dns_times_of(config, &questions, e, attributed_end_us);
                let times = RecordSetTimes {
                    dns_switch_first_s: dns.switch_first_us.map(since_start),
                    dns_switch_last_s: dns.switch_last_us.map(since_start),
                    dns_failback_last_s: dns.failback_last_us.map(|t| to_seconds(t - e.end_us)),
                };
                (config.records[r].name.clone(), times)
            })
            .collect()
    }

    /// When one name server stopped answering the episode's endpoint to every question
    /// whose answers can name it (the start itself if it already had), counting only a
    /// switch caused by a status change attributed to the episode; and when, at or after the
    /// episode's end, it answered the endpoint again.
    fn name_server_episode(
        &self,
        config: &Config,
        ns: usize,
        questions: &[usize],
        e: &Episode,
        attributed_end_us: SimTime,
    ) -> (Option<SimTime>, Option<SimTime>) {
        if questions.is_empty() {
            return (None, None);
        }
        let at_start: Vec<&[u32]> = questions.iter().map(|&q| self.names_before(ns, q, e.start_us)).collect();
        let mut changes: Vec<(usize, &Change)> = questions
            .iter()
            .enumerate()
            .flat_map(|(k, &q)| self.answers[ns * self.question_count + q].iter().map(move |c| (k, c)))
            .filter(|(_, c)| c.at_us >= e.start_us)
            .collect();
        changes.sort_by_key(|(_, c)| c.at_us);
        // An answer at random still sends part of the traffic to the endpoint: not away.
        let away = |answers: &[&[u32]]| answers.iter().all(|names| !names.contains(&e.endpoint));

        let switch_us = if away(&at_start) {
            Some(e.start_us)
        } else {
            let mut answers = at_start.clone();
            let first_away = changes.iter().find(|(k, c)| {
                answers[*k] = &c.names;
                away(&answers)
            });
            first_away
                .filter(|(_, c)| {
                    let cause_us = self.transitions[c.transition as usize].at_us;
                    (cause_us >= e.start_us && cause_us < attributed_end_us) || self.attributed(config, c.transition, e)
                })
                .map(|(_, c)| c.at_us)
        };
        let Some(switch_us) = switch_us else { return (None, None) };

        let mut answers = at_start;
        let mut later = changes.iter().peekable();
        while let Some((k, c)) = later.next_if(|(_, c)| c.at_us <= e.end_us) {
            answers[*k] = &c.names;
        }
        let failback_us = if !away(&answers) {
            Some(e.end_us)
        } else {
            later
                .find(|(k, c)| {
                    answers[*k] = &c.names;
                    !away(&answers)
                })
                .map(|(_, c)| c.at_us)
        };
        (Some(switch_us), failback_us)
    }
}
