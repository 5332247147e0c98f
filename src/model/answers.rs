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

    /// A set is healthy while at least one of its records is; a latency set's records are
    /// read nearest first, as choosing one does (the checks read are those consulted).
    fn set_healthy(&mut self, record: u32, region: Option<u16>) -> bool {
        let set = &self.config.records[record as usize];
        match set.policy {
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

#[cfg(test)]
mod tests {
    //! The routing rules on hand-set views of health: each check's health is given, the
    //! choice is read back as (first address, share) pairs.
    use super::*;
    use crate::scenario::config::{build, parse};
    use std::path::Path;

    /// Endpoints a–f, checks hc-a…hc-f on them, and the given record sets.
    fn config(records: &str) -> Config {
        let text = format!(
            r#"{{ "name": "t", "duration": "1h",
            "endpoints": {{ "a": {{}}, "b": {{}}, "c": {{}}, "d": {{}}, "e": {{}}, "f": {{}} }},
            "health_checks": {{ {} }},
            "dns": {{ "records": {records} }} }}"#,
            ["a", "b", "c", "d", "e", "f"]
                .map(|e| format!(r#""hc-{e}": {{ "endpoint": "{e}", "type": "tcp" }}"#))
                .join(", ")
        );
        let (scenario, _) = parse(Path::new("t.json"), &text).unwrap_or_else(|e| panic!("{e}"));
        build(&scenario, Path::new("t.json")).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The shares of first addresses (by endpoint name) a record set gets when the checks
    /// of the endpoints in `down` are unhealthy, asked from `region`.
    fn shares(config: &Config, record: &str, down: &[&str], region: Option<&str>) -> Vec<(String, f64)> {
        let names: Vec<String> = config.endpoints.iter().map(|e| e.id.clone()).collect();
        let unhealthy: Vec<u32> = down.iter().map(|d| names.iter().position(|n| n == d).unwrap() as u32).collect();
        let record = config.records.iter().position(|r| r.name == record).unwrap() as u32;
        let region = region.map(|r| config.latency_regions.iter().position(|x| x == r).unwrap() as u16);
        let mut table = AnswerTable::new(config);
        let healthy = |check: u32| !unhealthy.contains(&config.health_checks[check as usize].endpoint.unwrap());
        let choice = Evaluator { config, healthy }.choose(&mut table, record, region);
        let mut out: Vec<(String, f64)> =
            summarise(&choice, &table).shares.into_iter().map(|(e, s)| (names[e as usize].clone(), s)).collect();
        out.sort_by(|x, y| x.0.cmp(&y.0));
        out
    }

    fn expect(pairs: &[(&str, f64)]) -> Vec<(String, f64)> {
        pairs.iter().map(|&(e, s)| (e.to_owned(), s)).collect()
    }

    #[test]
    fn route53_failover_rules() {
        let c = config(
            r#"{ "both": { "ttl": "60s", "failover": { "primary": { "endpoint": "a", "health_check": "hc-a" },
                                                      "secondary": { "endpoint": "b", "health_check": "hc-b" } } },
                 "random": { "ttl": "60s", "failover": { "primary": { "endpoint": "a", "health_check": "hc-a" },
                                                        "secondary": { "endpoint": "b", "health_check": "hc-b" },
                                                        "when_all_unhealthy": "random" } },
                 "unchecked": { "ttl": "60s", "failover": { "primary": { "endpoint": "a", "health_check": "hc-a" },
                                                           "secondary": { "endpoint": "b" } } } }"#,
        );
        assert_eq!(shares(&c, "both", &[], None), expect(&[("a", 1.0)]));
        assert_eq!(shares(&c, "both", &["a"], None), expect(&[("b", 1.0)]));
        assert_eq!(shares(&c, "both", &["b"], None), expect(&[("a", 1.0)]));
        // Both unhealthy: Route 53 answers the primary; PowerDNS either, query by query.
        assert_eq!(shares(&c, "both", &["a", "b"], None), expect(&[("a", 1.0)]));
        assert_eq!(shares(&c, "random", &["a", "b"], None), expect(&[("a", 0.5), ("b", 0.5)]));
        // A secondary without a health check wins whenever the primary is unhealthy.
        assert_eq!(shares(&c, "unchecked", &["a", "b"], None), expect(&[("b", 1.0)]));
    }

    #[test]
    fn the_secondary_check_is_consulted_only_while_the_primary_is_unhealthy() {
        let c = config(
            r#"{ "r": { "ttl": "60s", "failover": { "primary": { "endpoint": "a", "health_check": "hc-a" },
                                                   "secondary": { "endpoint": "b", "health_check": "hc-b" } } } }"#,
        );
        let consulted = |primary_up: bool| {
            let mut read = Vec::new();
            let healthy = |check: u32| {
                read.push(check);
                check != 0 || primary_up
            };
            Evaluator { config: &c, healthy }.choose(&mut AnswerTable::new(&c), 0, None);
            read
        };
        assert_eq!(consulted(true), vec![0]);
        assert_eq!(consulted(false), vec![0, 1]);
    }

    #[test]
    fn weighted_answers_split_by_weight_among_healthy_records_and_fail_open() {
        let c = config(
            r#"{ "w": { "ttl": "60s", "weighted": {
                    "a": { "endpoint": "a", "weight": 3, "health_check": "hc-a" },
                    "b": { "endpoint": "b", "weight": 1, "health_check": "hc-b" },
                    "c": { "endpoint": "c", "weight": 0, "health_check": "hc-c" },
                    "d": { "endpoint": "d", "weight": 4, "health_check": "hc-d" } } },
                 "zeros": { "ttl": "60s", "weighted": {
                    "a": { "endpoint": "a", "weight": 0 }, "b": { "endpoint": "b", "weight": 0 } } } }"#,
        );
        assert_eq!(shares(&c, "w", &[], None), expect(&[("a", 0.375), ("b", 0.125), ("d", 0.5)]));
        assert_eq!(shares(&c, "w", &["d"], None), expect(&[("a", 0.75), ("b", 0.25)]));
        // Zero weight: answered only when every record of positive weight is unhealthy.
        assert_eq!(shares(&c, "w", &["a", "b", "d"], None), expect(&[("c", 1.0)]));
        // Every record unhealthy: fail open, by weight.
        assert_eq!(shares(&c, "w", &["a", "b", "c", "d"], None), expect(&[("a", 0.375), ("b", 0.125), ("d", 0.5)]));
        // Every weight zero: equal shares.
        assert_eq!(shares(&c, "zeros", &[], None), expect(&[("a", 0.5), ("b", 0.5)]));
    }

    #[test]
    fn latency_answers_the_first_healthy_record_in_the_region_order() {
        let c = config(
            r#"{ "l": { "ttl": "60s", "latency": {
                    "use1": { "endpoint": "a", "region": "us-east-1", "health_check": "hc-a" },
                    "euw1": { "endpoint": "b", "region": "eu-west-1", "health_check": "hc-b" },
                    "apse1": { "endpoint": "c", "region": "ap-southeast-1", "health_check": "hc-c" } } } }"#,
        );
        assert_eq!(shares(&c, "l", &[], Some("eu-west-1")), expect(&[("b", 1.0)]));
        assert_eq!(shares(&c, "l", &[], Some("us-east-1")), expect(&[("a", 1.0)]));
        // Default order: own region, then the others by name (ap-southeast-1, then us-east-1).
        assert_eq!(shares(&c, "l", &["b"], Some("eu-west-1")), expect(&[("c", 1.0)]));
        assert_eq!(shares(&c, "l", &["b", "c"], Some("eu-west-1")), expect(&[("a", 1.0)]));
        // All unhealthy: fail open to the nearest.
        assert_eq!(shares(&c, "l", &["a", "b", "c"], Some("eu-west-1")), expect(&[("b", 1.0)]));
    }

    #[test]
    fn multivalue_answers_the_healthy_records_and_fails_open() {
        let c = config(
            r#"{ "m": { "ttl": "60s", "multivalue": {
                    "a": { "endpoint": "a", "health_check": "hc-a" },
                    "b": { "endpoint": "b", "health_check": "hc-b" },
                    "c": { "endpoint": "c", "health_check": "hc-c" },
                    "d": { "endpoint": "d", "health_check": "hc-d" } } } }"#,
        );
        assert_eq!(shares(&c, "m", &[], None), expect(&[("a", 0.25), ("b", 0.25), ("c", 0.25), ("d", 0.25)]));
        assert_eq!(shares(&c, "m", &["a"], None), expect(&[("b", 1.0 / 3.0), ("c", 1.0 / 3.0), ("d", 1.0 / 3.0)]));
        assert_eq!(
            shares(&c, "m", &["a", "b", "c", "d"], None),
            expect(&[("a", 0.25), ("b", 0.25), ("c", 0.25), ("d", 0.25)])
        );
    }

    #[test]
    fn an_alias_evaluating_target_health_backs_out_of_a_dead_branch_and_one_that_does_not_never_does() {
        let records = |eth: bool| {
            format!(
                r#"{{ "app": {{ "failover": {{
                        "primary": {{ "alias": "pool", "evaluate_target_health": {eth} }},
                        "secondary": {{ "alias": "static" }} }} }},
                     "pool": {{ "ttl": "60s", "weighted": {{
                        "a": {{ "endpoint": "a", "weight": 1, "health_check": "hc-a" }},
                        "b": {{ "endpoint": "b", "weight": 1, "health_check": "hc-b" }} }} }},
                     "static": {{ "ttl": "300s", "simple": {{ "endpoint": "e" }} }} }}"#
            )
        };
        let eth = config(&records(true));
        assert_eq!(shares(&eth, "app", &["a"], None), expect(&[("b", 1.0)]));
        assert_eq!(shares(&eth, "app", &["a", "b"], None), expect(&[("e", 1.0)]));
        // Without ETH the alias is always healthy: the pool fails open and stays answered.
        let no_eth = config(&records(false));
        assert_eq!(shares(&no_eth, "app", &["a", "b"], None), expect(&[("a", 0.5), ("b", 0.5)]));
    }

    #[test]
    fn a_weighted_alias_mixes_its_targets_choices_in_proportion() {
        let c = config(
            r#"{ "top": { "ttl": "60s", "weighted": { "x": { "alias": "inner", "weight": 1 }, "y": { "endpoint": "c", "weight": 1 } } },
                 "inner": { "ttl": "60s", "weighted": { "a": { "endpoint": "a", "weight": 1 }, "b": { "endpoint": "b", "weight": 2 } } } }"#,
        );
        assert_eq!(shares(&c, "top", &[], None), expect(&[("a", 1.0 / 6.0), ("b", 1.0 / 3.0), ("c", 0.5)]));
    }
}
