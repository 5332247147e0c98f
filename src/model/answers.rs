//! Answers (docs/model.md §4.3): what a name server answers for a record set on its view
//! of health. An answer is a list of addresses with a TTL; a *choice* is how answers are
//! given out — one answer, or one drawn query by query (weighted records, a multivalue
//! shuffle, PowerDNS's random fallback). Both are numbered in tables that grow as new
//! ones appear; answers 0..endpoints are the single endpoints, so a failover pair's
//! choices are plain endpoint numbers (and an alias to a load balancer answers its
//! endpoint's number).

use crate::observe::AnswerSummary;
use crate::rng::Stream;
use crate::scenario::config::{Config, LOAD_BALANCER_TTL_US, MemberConfig, MemberValue, Policy, RecordConfig};
use crate::time::SimDuration;
use rand::Rng;
use std::collections::HashMap;

/// Route 53 answers at most eight records of a multivalue set.
const MULTIVALUE_MAX: usize = 8;

/// Numbered address lists.
pub struct AnswerTable {
    lists: Vec<Vec<u32>>,
    index: HashMap<Vec<u32>, u32>,
    /// The targets of each endpoint that is a load balancer (none for the others): where
    /// an answer naming it sends requests.
    targets: Vec<Vec<u32>>,
}

impl AnswerTable {
    pub fn new(config: &Config) -> Self {
        let lists: Vec<Vec<u32>> = (0..config.endpoints.len() as u32).map(|e| vec![e]).collect();
        let index = lists.iter().cloned().zip(0u32..).collect();
        let targets = (0..config.endpoints.len() as u32)
            .map(|e| config.load_balancer(e).map_or_else(Vec::new, |lb| lb.targets.clone()))
            .collect();
        AnswerTable { lists, index, targets }
    }

    pub fn intern(&mut self, list: Vec<u32>) -> u32 {
        if let [one] = list.as_slice() {
            return *one;
        }
        if let Some(&id) = self.index.get(&list) {
            return id;
        }
        let id = u32::try_from(self.lists.len()).expect("fewer than 2^32 distinct answers");
        self.index.insert(list.clone(), id);
        self.lists.push(list);
        id
    }

    pub fn addresses(&self, answer: u32) -> &[u32] {
        &self.lists[answer as usize]
    }
}

/// One way a query can be answered.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Fixed {
        answer: u32,
        ttl_us: SimDuration,
    },
    /// Multivalue: these records' addresses, up to eight of them in random order.
    Shuffle(Vec<(u32, SimDuration)>),
}

/// How queries are answered: the one outcome, or one drawn in proportion to the weights
/// (equally when they are all zero).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Choice {
    pub outcomes: Vec<(Outcome, u64)>,
}

impl Choice {
    fn fixed(answer: u32, ttl_us: SimDuration) -> Self {
        Choice { outcomes: vec![(Outcome::Fixed { answer, ttl_us }, 1)] }
    }

    /// Mixes choices in proportion to integer weights, keeping every weight an integer.
    fn mix(parts: Vec<(Choice, u64)>) -> Self {
        if let [(only, _)] = parts.as_slice() {
            return only.clone();
        }
        let totals: Vec<u64> = parts.iter().map(|(c, _)| c.total().max(1)).collect();
        let common = totals.iter().fold(1u64, |l, &t| lcm(l, t));
        let mut outcomes = Vec::new();
        for ((choice, weight), total) in parts.into_iter().zip(totals) {
            let scale = weight.checked_mul(common / total).expect("weights fit in u64");
            for (outcome, w) in choice.outcomes {
                outcomes.push((outcome, w.checked_mul(scale).expect("weights fit in u64")));
            }
        }
        Choice { outcomes }
    }

    fn total(&self) -> u64 {
        self.outcomes.iter().map(|(_, w)| w).sum()
    }
}

fn lcm(a: u64, b: u64) -> u64 {
    let gcd = |mut a: u64, mut b: u64| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    a / gcd(a, b) * b
}

/// Numbered choices, with their summaries.
#[derive(Default)]
pub struct Choices {
    table: Vec<Choice>,
    index: HashMap<Choice, u32>,
    summaries: Vec<AnswerSummary>,
}

impl Choices {
    pub fn intern(&mut self, choice: Choice, answers: &AnswerTable) -> u32 {
        if let Some(&id) = self.index.get(&choice) {
            return id;
        }
        let id = u32::try_from(self.table.len()).expect("fewer than 2^32 distinct choices");
        self.summaries.push(summarise(&choice, answers));
        self.index.insert(choice.clone(), id);
        self.table.push(choice);
        id
    }

    pub fn get(&self, id: u32) -> &Choice {
        &self.table[id as usize]
    }

    /// The first address of the choice's first outcome: where a client that holds no answer
    /// yet is counted as heading.
    pub fn first_endpoint(&self, id: u32, answers: &AnswerTable) -> u32 {
        match &self.table[id as usize].outcomes[0].0 {
            Outcome::Fixed { answer, .. } => answers.addresses(*answer)[0],
            Outcome::Shuffle(records) => answers.addresses(records[0].0)[0],
        }
    }

    pub fn summary(&self, id: u32) -> &AnswerSummary {
        &self.summaries[id as usize]
    }

    /// One query's answer: (answer, TTL). Draws only when the choice has several outcomes
    /// or shuffles.
    pub fn draw(&self, id: u32, answers: &mut AnswerTable, rng: &mut Stream) -> (u32, SimDuration) {
        let choice = &self.table[id as usize];
        let outcome = match choice.outcomes.as_slice() {
            [(only, _)] => only,
            many => {
                let total = choice.total();
                let pick = if total == 0 {
                    (rng.next_u64() % many.len() as u64) as usize
                } else {
                    let mut r = rng.next_u64() % total;
                    many.iter()
                        .position(|(_, w)| {
                            r < *w || {
                                r -= w;
                                false
                            }
                        })
                        .expect("r is below the total")
                };
                &many[pick].0
            }
        };
        match outcome {
            Outcome::Fixed { answer, ttl_us } => (*answer, *ttl_us),
            Outcome::Shuffle(records) => {
                let mut order: Vec<usize> = (0..records.len()).collect();
                for i in (1..order.len()).rev() {
                    order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
                }
                order.truncate(MULTIVALUE_MAX);
                let list: Vec<u32> = order.iter().flat_map(|&k| answers.addresses(records[k].0).to_vec()).collect();
                let ttl_us = order.iter().map(|&k| records[k].1).min().unwrap_or(0);
                (answers.intern(list), ttl_us)
            }
        }
    }
}

fn summarise(choice: &Choice, answers: &AnswerTable) -> AnswerSummary {
    let mut summary = AnswerSummary::default();
    let total = choice.total();
    let n = choice.outcomes.len() as f64;
    let mut add = |endpoint: u32, share: f64| match summary.shares.iter_mut().find(|(e, _)| *e == endpoint) {
        Some((_, s)) => *s += share,
        None => summary.shares.push((endpoint, share)),
    };
    for (outcome, w) in &choice.outcomes {
        let p = if choice.outcomes.len() == 1 {
            1.0
        } else if total == 0 {
            1.0 / n
        } else {
            *w as f64 / total as f64
        };
        match outcome {
            Outcome::Fixed { answer, .. } => add(answers.addresses(*answer)[0], p),
            Outcome::Shuffle(records) => {
                for (answer, _) in records {
                    add(answers.addresses(*answer)[0], p / records.len() as f64);
                }
            }
        }
    }
    for (outcome, _) in &choice.outcomes {
        let lists: Vec<u32> = match outcome {
            Outcome::Fixed { answer, .. } => vec![*answer],
            Outcome::Shuffle(records) => records.iter().map(|(a, _)| *a).collect(),
        };
        for a in lists {
            for &e in answers.addresses(a) {
                // A load balancer's targets receive the requests sent to it.
                for &reached in std::iter::once(&e).chain(&answers.targets[e as usize]) {
                    if !summary.names.contains(&reached) {
                        summary.names.push(reached);
                    }
                }
            }
        }
    }
    summary
}

/// The endpoints a record set's answers name while every health check is healthy, over the
/// questions asking it (the ones name servers fail back to).
pub fn names_when_healthy(config: &Config, record: u32) -> Vec<u32> {
    let mut table = AnswerTable::new(config);
    let mut names = Vec::new();
    for q in config.questions.iter().filter(|q| q.record == record) {
        let choice = Evaluator { config, healthy: |_| true }.choose(&mut table, record, q.region);
        for e in summarise(&choice, &table).names {
            if !names.contains(&e) {
                names.push(e);
            }
        }
    }
    names
}

/// Evaluates record sets on one view of health, `healthy(check)`; every check it reads
/// is one the view *consults*.
pub struct Evaluator<'c, F: FnMut(u32) -> bool> {
    pub config: &'c Config,
    pub healthy: F,
}

impl<F: FnMut(u32) -> bool> Evaluator<'_, F> {
    /// The choice of a record set for a client region (None: no region).
    pub fn choose(&mut self, answers: &mut AnswerTable, record: u32, region: Option<u16>) -> Choice {
        let set = &self.config.records[record as usize];
        let members: Vec<usize> = match set.policy {
            Policy::Simple => vec![0],
            Policy::Failover => return self.failover(answers, set, region),
            Policy::Weighted => self.weighted(set, region),
            Policy::Latency => vec![self.latency(set, region)],
            Policy::Multivalue => return self.multivalue(answers, set, region),
        };
        let parts = members
            .into_iter()
            .map(|m| (self.member_choice(answers, set, &set.members[m], region), u64::from(set.members[m].weight)))
            .collect::<Vec<_>>();
        if set.policy == Policy::Weighted && parts.iter().all(|(_, w)| *w == 0) {
            // Every weight zero: equal shares.
            return Choice::mix(parts.into_iter().map(|(c, _)| (c, 1)).collect());
        }
        Choice::mix(parts)
    }

    /// Route 53's three rules on the records' health (PowerDNS: random when both are down).
    fn failover(&mut self, answers: &mut AnswerTable, set: &RecordConfig, region: Option<u16>) -> Choice {
        let (primary, secondary) = set.failover_pair();
        if self.member_healthy(primary, region) {
            return self.member_choice(answers, set, primary, region);
        }
        if self.member_healthy(secondary, region) {
            return self.member_choice(answers, set, secondary, region);
        }
        if set.random_when_all_unhealthy {
            let both = vec![
                (self.member_choice(answers, set, primary, region), 1),
                (self.member_choice(answers, set, secondary, region), 1),
            ];
            return Choice::mix(both);
        }
        self.member_choice(answers, set, primary, region)
    }

    /// The healthy records of positive weight; else the healthy ones of weight zero; else,
    /// failing open, every record.
    fn weighted(&mut self, set: &RecordConfig, region: Option<u16>) -> Vec<usize> {
        let healthy: Vec<usize> =
            (0..set.members.len()).filter(|&m| self.member_healthy(&set.members[m], region)).collect();
        let positive: Vec<usize> = healthy.iter().copied().filter(|&m| set.members[m].weight > 0).collect();
        if !positive.is_empty() {
            return positive;
        }
        if !healthy.is_empty() {
            return healthy;
        }
        let all_positive: Vec<usize> = (0..set.members.len()).filter(|&m| set.members[m].weight > 0).collect();
        if all_positive.is_empty() { (0..set.members.len()).collect() } else { all_positive }
    }

    /// The first healthy record in the client region's latency order (failing open, the
    /// first record in that order).
    fn latency(&mut self, set: &RecordConfig, region: Option<u16>) -> usize {
        let order: Vec<usize> = latency_order(self.config, set, region);
        order.iter().copied().find(|&m| self.member_healthy(&set.members[m], region)).unwrap_or(order[0])
    }

    /// Up to eight healthy records in random order; failing open, the unhealthy ones.
    fn multivalue(&mut self, answers: &mut AnswerTable, set: &RecordConfig, region: Option<u16>) -> Choice {
        let healthy: Vec<usize> =
            (0..set.members.len()).filter(|&m| self.member_healthy(&set.members[m], region)).collect();
        let chosen = if healthy.is_empty() { (0..set.members.len()).collect() } else { healthy };
        let records = chosen
            .into_iter()
            .map(|m| match &set.members[m].value {
                MemberValue::Endpoints(list) => (answers.intern(list.clone()), set.ttl_us),
                MemberValue::Alias { .. } | MemberValue::LoadBalancer { .. } => {
                    unreachable!("multivalue aliases are refused")
                }
            })
            .collect();
        Choice { outcomes: vec![(Outcome::Shuffle(records), 1)] }
    }

    fn member_choice(
        &mut self,
        answers: &mut AnswerTable,
        set: &RecordConfig,
        member: &MemberConfig,
        region: Option<u16>,
    ) -> Choice {
        match &member.value {
            MemberValue::Endpoints(list) => Choice::fixed(answers.intern(list.clone()), set.ttl_us),
            MemberValue::Alias { record, .. } => self.choose(answers, *record, region),
            MemberValue::LoadBalancer { endpoint, .. } => Choice::fixed(*endpoint, LOAD_BALANCER_TTL_US),
        }
    }

    /// A record is healthy when its health check is (if it has one) and, for an alias
    /// evaluating target health, when at least one record of its target is (no failing
    /// open: a parent backs out of a set whose records are all unhealthy) or, for a load
    /// balancer, when its check says it has a target in service (docs/model.md §2.7).
    pub fn member_healthy(&mut self, member: &MemberConfig, region: Option<u16>) -> bool {
        if let Some(check) = member.health_check
            && !(self.healthy)(check)
        {
            return false;
        }
        match member.value {
            MemberValue::Alias { record, evaluate_target_health: true } => self.set_healthy(record, region),
            MemberValue::LoadBalancer { endpoint, evaluate_target_health: true } => {
                let check = self.config.load_balancer(endpoint).expect("an alias names a load balancer").check;
                (self.healthy)(check)
            }
            _ => true,
        }
    }

    fn set_healthy(&mut self, record: u32, region: Option<u16>) -> bool {
        let set = &self.config.records[record as usize];
        match set.policy {
            // A latency set answers one record: the set is healthy while the one it would
            // choose is.
            Policy::Latency => {
                let order = latency_order(self.config, set, region);
                order.into_iter().any(|m| self.member_healthy(&set.members[m], region))
            }
            _ => set.members.iter().any(|m| self.member_healthy(m, region)),
        }
    }
}

/// A latency set's records in order of latency for a client region: the records of each
/// region in the region order, then those of regions the order does not list.
fn latency_order(config: &Config, set: &RecordConfig, region: Option<u16>) -> Vec<usize> {
    let regions: &[u16] = match region {
        Some(r) => &config.latency_orders[r as usize],
        None => &[],
    };
    let mut order: Vec<usize> = Vec::with_capacity(set.members.len());
    for &r in regions {
        order.extend((0..set.members.len()).filter(|&m| set.members[m].region == Some(r)));
    }
    let rest: Vec<usize> = (0..set.members.len()).filter(|m| !order.contains(m)).collect();
    order.extend(rest);
    order
}
