//! Record sets (docs/model.md §4.3): their checked form — routing policy, records and
//! their values (endpoints, aliases to sets or to load balancers) — the validation of the
//! file's `dns.records`, and what follows from the alias tree (which endpoints a set can
//! answer and its requests reach, whether its answers depend on the client's region, how
//! long they live).

use super::validator::{Check, Validator};
use super::{AllUnhealthy, Record, Scenario, Target};
use crate::input::{did_you_mean, pointer};
use crate::time::{SimDuration, US_PER_S};
use std::collections::BTreeMap;

/// The TTL of an alias to a load balancer: Route 53 answers with the load balancer's own, a
/// fixed 60 s (Route 53 FAQ, "Do I need to adjust the TTL…"; R53API `ResourceRecordSet.TTL`).
pub const LOAD_BALANCER_TTL_US: SimDuration = 60 * US_PER_S;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    Simple,
    /// Members: the primary, then the secondary.
    Failover,
    Weighted,
    Latency,
    Multivalue,
}

impl Policy {
    pub fn name(self) -> &'static str {
        match self {
            Policy::Simple => "simple",
            Policy::Failover => "failover",
            Policy::Weighted => "weighted",
            Policy::Latency => "latency",
            Policy::Multivalue => "multivalue",
        }
    }
}

/// A question name servers answer: a record set, asked from a client region when the set's
/// answers depend on it (else `region` is None).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Question {
    pub record: u32,
    pub region: Option<u16>,
}

/// What a record answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberValue {
    /// These addresses, in order.
    Endpoints(Vec<u32>),
    /// Whatever the target record set answers.
    Alias { record: u32, evaluate_target_health: bool },
    /// An alias to a load balancer: its address, with its TTL (docs/model.md §2.7).
    LoadBalancer { endpoint: u32, evaluate_target_health: bool },
}

/// One record of a set.
#[derive(Clone, Debug)]
pub struct MemberConfig {
    /// Its set identifier ("primary" and "secondary" for failover, "value" for simple).
    pub id: String,
    pub value: MemberValue,
    pub health_check: Option<u32>,
    /// Weighted routing only.
    pub weight: u32,
    /// Latency routing only: an index into `Config::latency_regions`.
    pub region: Option<u16>,
}

#[derive(Clone, Debug)]
pub struct RecordConfig {
    pub name: String,
    /// TTL of answers made of this set's own addresses (0 when every record is an alias).
    pub ttl_us: SimDuration,
    pub policy: Policy,
    pub members: Vec<MemberConfig>,
    /// Failover with both targets unhealthy: each query gets one at random (else the primary).
    pub random_when_all_unhealthy: bool,
    /// Derived from the alias tree, once every set is known (`analyse`).
    pub tree: Tree,
}

/// What the alias tree below a record set implies.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    /// Every endpoint an answer of this set can name.
    pub endpoints: Vec<u32>,
    /// Every endpoint its requests can reach: `endpoints` and the targets of the load
    /// balancers among them.
    pub reached: Vec<u32>,
    /// An answer can name a load balancer, which forwards each request to a target.
    pub load_balancer: bool,
    /// Every set of the tree, this one included.
    pub records: Vec<u32>,
    /// Some set of the tree routes by latency: answers depend on the client's region.
    pub by_region: bool,
    /// An answer can hold several addresses.
    pub several_addresses: bool,
    /// The longest TTL an answer can have.
    pub ttl_us_max: SimDuration,
}

impl RecordConfig {
    /// Whether an answer of this set can send requests to the endpoint: name it, or name a
    /// load balancer in front of it.
    pub fn names_endpoint(&self, endpoint: u32) -> bool {
        self.tree.reached.contains(&endpoint)
    }

    /// Failover only: the primary, then the secondary.
    pub fn failover_pair(&self) -> (&MemberConfig, &MemberConfig) {
        debug_assert_eq!(self.policy, Policy::Failover);
        (&self.members[0], &self.members[1])
    }
}

impl MemberConfig {
    /// The single endpoint of a record answering one address.
    pub fn endpoint(&self) -> Option<u32> {
        match &self.value {
            MemberValue::Endpoints(list) if list.len() == 1 => Some(list[0]),
            _ => None,
        }
    }
}

/// The fields of a record that only some policies take.
const POLICY_FIELDS: [(&str, &[Policy]); 2] = [("weight", &[Policy::Weighted]), ("region", &[Policy::Latency])];

impl Validator<'_> {
    /// A record set: its one policy and its records. Aliases are resolved to indices; the
    /// tree is analysed by `analyse_records` once every set is known.
    pub(super) fn record(
        &mut self,
        s: &Scenario,
        name: &str,
        r: &Record,
        latency_regions: &mut Vec<String>,
    ) -> Check<RecordConfig> {
        let at = pointer(&["dns", "records", name]);
        let blocks: Vec<(&str, Vec<(String, &Target)>)> = [
            (
                "failover",
                r.failover.as_ref().map(|f| vec![("primary".into(), &f.primary), ("secondary".into(), &f.secondary)]),
            ),
            ("simple", r.simple.as_ref().map(|t| vec![("value".into(), t)])),
            ("weighted", r.weighted.as_ref().map(|m| m.iter().map(|(k, t)| (k.clone(), t)).collect())),
            ("latency", r.latency.as_ref().map(|m| m.iter().map(|(k, t)| (k.clone(), t)).collect())),
            ("multivalue", r.multivalue.as_ref().map(|m| m.iter().map(|(k, t)| (k.clone(), t)).collect())),
        ]
        .into_iter()
        .filter_map(|(policy, members)| members.map(|m| (policy, m)))
        .collect();
        let (policy_name, targets) = match blocks.as_slice() {
            [one] => (one.0, &one.1),
            [] => {
                return Err(self.error(
                    &at,
                    "expected one routing policy (\"failover\", \"simple\", \"weighted\", \"latency\" or \"multivalue\"), found none",
                ));
            }
            [a, b, ..] => {
                return Err(self.error(
                    &at,
                    format!("expected one routing policy per record set, found \"{}\" and \"{}\"", a.0, b.0),
                ));
            }
        };
        let policy = match policy_name {
            "failover" => Policy::Failover,
            "simple" => Policy::Simple,
            "weighted" => Policy::Weighted,
            "latency" => Policy::Latency,
            _ => Policy::Multivalue,
        };
        if targets.is_empty() {
            return Err(self.error(&format!("{at}/{policy_name}"), "expected at least one record, found none"));
        }
        let mut members = Vec::with_capacity(targets.len());
        for (id, t) in targets {
            let member_at = match policy {
                Policy::Simple => format!("{at}/simple"),
                _ => format!("{at}/{policy_name}/{}", id.replace('~', "~0").replace('/', "~1")),
            };
            members.push(self.member(s, &member_at, policy, id, t, latency_regions)?);
        }
        let own_addresses = members.iter().any(|m| matches!(m.value, MemberValue::Endpoints(_)));
        let ttl_us = match r.ttl {
            Some(ttl) => ttl.us(),
            None if own_addresses => {
                return Err(self.error(
                    &format!("{at}/ttl"),
                    "the required field \"ttl\" is missing (only a set whose records are all aliases takes its TTL from its targets)",
                ));
            }
            None => 0,
        };
        if policy == Policy::Failover {
            self.failover_warnings(&at, &members);
        }
        Ok(RecordConfig {
            name: name.to_owned(),
            ttl_us,
            policy,
            members,
            random_when_all_unhealthy: r
                .failover
                .as_ref()
                .is_some_and(|f| f.when_all_unhealthy == Some(AllUnhealthy::Random)),
            tree: Tree::default(),
        })
    }

    fn failover_warnings(&mut self, at: &str, members: &[MemberConfig]) {
        let (primary, secondary) = (&members[0], &members[1]);
        let evaluated = matches!(
            primary.value,
            MemberValue::Alias { evaluate_target_health: true, .. }
                | MemberValue::LoadBalancer { evaluate_target_health: true, .. }
        );
        if primary.health_check.is_none() && !evaluated {
            self.warn(
                &format!("{at}/failover/primary"),
                "the primary has no health check, so Route 53 always answers the primary and never fails over",
            );
        }
        if primary.value == secondary.value {
            self.warn(&format!("{at}/failover"), "primary and secondary are the same endpoint");
        }
        for (role, m) in [("primary", primary), ("secondary", secondary)] {
            if matches!(m.value, MemberValue::Alias { evaluate_target_health: false, .. }) {
                self.warn(
                    &format!("{at}/failover/{role}/evaluate_target_health"),
                    "Route 53 requires evaluate_target_health true on a failover alias record; without it the alias is always healthy and never fails over",
                );
            }
        }
    }

    /// One record: exactly one value (endpoint, endpoints or alias) and the fields its
    /// policy takes.
    fn member(
        &mut self,
        s: &Scenario,
        at: &str,
        policy: Policy,
        id: &str,
        t: &Target,
        latency_regions: &mut Vec<String>,
    ) -> Check<MemberConfig> {
        for (field, policies) in POLICY_FIELDS {
            let present = if field == "weight" { t.weight.is_some() } else { t.region.is_some() };
            if present && !policies.contains(&policy) {
                return Err(self.error(
                    &format!("{at}/{field}"),
                    format!("the field \"{field}\" does not apply to a {} record", policy.name()),
                ));
            }
        }
        let value = self.member_value(s, at, policy, t)?;
        let health_check = match &t.health_check {
            Some(hc) => Some(self.lookup(&format!("{at}/health_check"), &s.health_checks, hc, "health check")?),
            None => None,
        };
        let weight = match (policy, t.weight) {
            (Policy::Weighted, None) => {
                return Err(self.error(&format!("{at}/weight"), "a weighted record needs \"weight\" (0 to 255)"));
            }
            (_, Some(w)) => self.count(&format!("{at}/weight"), w, 0, 255, "a weight")?,
            (_, None) => 1,
        };
        let region = match (policy, &t.region) {
            (Policy::Latency, None) => {
                return Err(self.error(
                    &format!("{at}/region"),
                    "a latency record needs \"region\" (the region it serves from, e.g. \"us-east-1\")",
                ));
            }
            (_, Some(name)) => Some(latency_region(latency_regions, name)),
            (_, None) => None,
        };
        Ok(MemberConfig { id: id.to_owned(), value, health_check, weight, region })
    }

    fn member_value(&self, s: &Scenario, at: &str, policy: Policy, t: &Target) -> Check<MemberValue> {
        let given: Vec<&str> =
            [("endpoint", t.endpoint.is_some()), ("endpoints", t.endpoints.is_some()), ("alias", t.alias.is_some())]
                .into_iter()
                .filter_map(|(f, present)| present.then_some(f))
                .collect();
        if given.len() != 1 {
            let found = if given.is_empty() { "none".to_owned() } else { given.join(" and ") };
            return Err(
                self.error(at, format!("expected one of \"endpoint\", \"endpoints\" or \"alias\", found {found}"))
            );
        }
        if t.evaluate_target_health.is_some() && t.alias.is_none() {
            return Err(self.error(
                &format!("{at}/evaluate_target_health"),
                "\"evaluate_target_health\" applies only to an alias record",
            ));
        }
        if let Some(id) = &t.endpoint {
            return Ok(MemberValue::Endpoints(vec![self.lookup(
                &format!("{at}/endpoint"),
                &s.endpoints,
                id,
                "endpoint",
            )?]));
        }
        if let Some(ids) = &t.endpoints {
            if ids.is_empty() {
                return Err(self.error(&format!("{at}/endpoints"), "expected at least one endpoint, found none"));
            }
            let list = ids
                .iter()
                .enumerate()
                .map(|(i, id)| self.lookup(&format!("{at}/endpoints/{i}"), &s.endpoints, id, "endpoint"))
                .collect::<Check<Vec<u32>>>()?;
            return Ok(MemberValue::Endpoints(list));
        }
        let target = t.alias.as_deref().expect("one value is given");
        if policy == Policy::Multivalue {
            return Err(
                self.error(&format!("{at}/alias"), "a multivalue record cannot be an alias (Route 53 refuses it)")
            );
        }
        let evaluate_target_health = t.evaluate_target_health.unwrap_or(false);
        let balancer = s.endpoints.get(target).filter(|e| e.load_balancer.is_some());
        match (s.dns.records.contains_key(target), balancer) {
            (true, Some(_)) => Err(self.error(
                &format!("{at}/alias"),
                format!("\"{target}\" names both a record set and a load balancer; rename one of them"),
            )),
            (false, Some(_)) => {
                let endpoint = self.lookup(&format!("{at}/alias"), &s.endpoints, target, "endpoint")?;
                Ok(MemberValue::LoadBalancer { endpoint, evaluate_target_health })
            }
            _ => {
                let record = self.lookup(&format!("{at}/alias"), &s.dns.records, target, "record")?;
                Ok(MemberValue::Alias { record, evaluate_target_health })
            }
        }
    }
}

fn latency_region(regions: &mut Vec<String>, name: &str) -> u16 {
    match regions.iter().position(|r| r == name) {
        Some(i) => i as u16,
        None => {
            regions.push(name.to_owned());
            (regions.len() - 1) as u16
        }
    }
}

/// Refuses alias cycles, naming the chain, and fills every set's `tree`; `targets` holds
/// each endpoint's load-balancer targets (none for other endpoints).
pub(super) fn analyse_records(
    validator: &Validator<'_>,
    records: &mut [RecordConfig],
    targets: &[Vec<u32>],
) -> Check<()> {
    for start in 0..records.len() {
        let mut path = vec![start as u32];
        find_cycle(validator, records, &mut path)?;
    }
    for r in (0..records.len()).rev() {
        let tree = tree_of(records, r as u32, targets);
        records[r].tree = tree;
    }
    Ok(())
}

/// Depth-first along aliases from the last set of `path`.
fn find_cycle(validator: &Validator<'_>, records: &[RecordConfig], path: &mut Vec<u32>) -> Check<()> {
    let last = *path.last().expect("a path starts somewhere");
    for (m, member) in records[last as usize].members.iter().enumerate() {
        let MemberValue::Alias { record, .. } = member.value else { continue };
        if let Some(at) = path.iter().position(|&r| r == record) {
            let chain: Vec<&str> =
                path[at..].iter().chain(std::iter::once(&record)).map(|&r| records[r as usize].name.as_str()).collect();
            let r = &records[last as usize];
            let block = r.policy.name();
            let member_at = if r.policy == Policy::Simple {
                pointer(&["dns", "records", &r.name, block, "alias"])
            } else {
                pointer(&["dns", "records", &r.name, block, &r.members[m].id, "alias"])
            };
            return Err(validator.error(&member_at, format!("aliases form a cycle: {}", chain.join(" → "))));
        }
        path.push(record);
        find_cycle(validator, records, path)?;
        path.pop();
    }
    Ok(())
}

fn tree_of(records: &[RecordConfig], record: u32, targets: &[Vec<u32>]) -> Tree {
    let mut tree = Tree::default();
    let mut stack = vec![record];
    while let Some(r) = stack.pop() {
        if tree.records.contains(&r) {
            continue;
        }
        tree.records.push(r);
        let set = &records[r as usize];
        tree.by_region |= set.policy == Policy::Latency;
        tree.several_addresses |= set.policy == Policy::Multivalue;
        for member in &set.members {
            let (list, ttl_us) = match &member.value {
                MemberValue::Endpoints(list) => (list.as_slice(), set.ttl_us),
                MemberValue::LoadBalancer { endpoint, .. } => (std::slice::from_ref(endpoint), LOAD_BALANCER_TTL_US),
                MemberValue::Alias { record, .. } => {
                    stack.push(*record);
                    continue;
                }
            };
            tree.several_addresses |= list.len() > 1;
            tree.ttl_us_max = tree.ttl_us_max.max(ttl_us);
            for &e in list {
                add(&mut tree.endpoints, e);
                add(&mut tree.reached, e);
                // A load balancer forwards the requests sent to it to its targets.
                tree.load_balancer |= !targets[e as usize].is_empty();
                for &t in &targets[e as usize] {
                    add(&mut tree.reached, t);
                }
            }
        }
    }
    tree.records.sort_unstable();
    tree
}

fn add(list: &mut Vec<u32>, e: u32) {
    if !list.contains(&e) {
        list.push(e);
    }
}

/// The latency order of record regions for each client region (`dns.latency_order`, or
/// the client's own region first, then the others sorted).
pub(super) fn latency_orders(
    validator: &Validator<'_>,
    s: &Scenario,
    regions: &mut Vec<String>,
) -> Check<Vec<Vec<u16>>> {
    let given: BTreeMap<String, Vec<String>> = s.dns.latency_order.clone().unwrap_or_default();
    for (client_region, order) in &given {
        latency_region(regions, client_region);
        for (i, name) in order.iter().enumerate() {
            if !regions.contains(name) {
                let known: Vec<&str> = regions.iter().map(String::as_str).collect();
                return Err(validator.error(
                    &pointer(&["dns", "latency_order", client_region, &i.to_string()]),
                    format!(
                        "unknown region \"{name}\"{}: no latency record serves from it",
                        did_you_mean(name, &known)
                    ),
                ));
            }
        }
    }
    let mut sorted: Vec<u16> = (0..regions.len() as u16).collect();
    sorted.sort_by(|&a, &b| regions[a as usize].cmp(&regions[b as usize]));
    Ok((0..regions.len() as u16)
        .map(|client| match given.get(&regions[client as usize]) {
            Some(order) => order.iter().map(|n| regions.iter().position(|r| r == n).expect("checked") as u16).collect(),
            None => std::iter::once(client).chain(sorted.iter().copied().filter(|&r| r != client)).collect(),
        })
        .collect())
}
