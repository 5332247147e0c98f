//! From an imported `Zone` to a scenario that runs as is (docs/import.md).
//!
//! Every record set of addresses becomes a record set of the scenario with its routing
//! policy, aliases (with Evaluate Target Health) and health checks; every address or alias
//! target outside the zone becomes an endpoint named after it; a load balancer's targets,
//! which Route 53's files do not list, become one target. Clients, resolvers and outages
//! are defaults, said so in the description. Whatever fosim cannot represent is a warning
//! naming the record or check. The output depends only on the zone: same files, same bytes.

use super::{HealthCheck, Record, Zone};
use crate::input::InputError;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Record types whose values are addresses or host names a client connects to.
const ADDRESS_TYPES: [&str; 3] = ["A", "AAAA", "CNAME"];

/// Default population: per record set that clients ask.
const CLIENTS: u64 = 1000;
const REQUESTS_PER_S: f64 = 0.1;
const RESOLVERS: u64 = 100;
/// Outage k starts at `OUTAGE_FIRST_MIN + k · OUTAGE_EVERY_MIN` minutes and lasts
/// `OUTAGE_MIN`; the run ends `OUTAGE_EVERY_MIN − OUTAGE_MIN` after the last one's end.
const OUTAGE_FIRST_MIN: u64 = 10;
const OUTAGE_EVERY_MIN: u64 = 30;
const OUTAGE_MIN: u64 = 10;
/// Most children of a calculated check, and its highest health threshold (Route 53's
/// limits, and the scenario's).
const CHILDREN_MAX: usize = 256;
/// The TTL given to a set of aliases to names outside the files (seconds).
const ALIAS_TTL_S: u64 = 60;
/// Route 53's longest TTL (seconds).
const TTL_MAX: u64 = 2_147_483_647;
/// CloudWatch's longest period (seconds; an alarm evaluates at most 7 days), and fosim's
/// most evaluation periods.
const PERIOD_MAX: u64 = 7 * 86_400;
const EVALUATION_PERIODS_MAX: u64 = 1_000;
/// The comparisons fosim models (CloudWatch's others are for anomaly detection bands).
const COMPARISONS: [&str; 4] =
    ["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"];

/// A scenario made from a zone, with what was approximated or dropped.
#[derive(Debug)]
pub struct Imported {
    pub scenario: Value,
    pub warnings: Vec<String>,
}

/// One record set: the records of one name (and type).
struct Set<'z> {
    name: String,
    records: Vec<&'z Record>,
}

/// What a record of the zone answers, once resolved.
enum Answer {
    Endpoints(Vec<String>),
    Set(usize, bool),
    LoadBalancer(String, bool),
}

struct Builder<'z> {
    zone: &'z Zone,
    sets: Vec<Set<'z>>,
    set_index: HashMap<String, usize>,
    checks: HashMap<&'z str, usize>,
    check_names: Vec<String>,
    /// Endpoint id → its settings, in order of first use.
    endpoints: Map<String, Value>,
    load_balancers: Vec<String>,
    warnings: Vec<String>,
    /// Health check id → the (set, record) pairs that carry it, in set and record order.
    carriers: HashMap<&'z str, Vec<(usize, usize)>>,
}

/// Builds the scenario named `name` from a zone.
pub fn build(zone: &Zone, name: &str) -> Result<Imported, InputError> {
    let mut builder = Builder {
        zone,
        sets: Vec::new(),
        set_index: HashMap::new(),
        checks: HashMap::new(),
        check_names: Vec::new(),
        endpoints: Map::new(),
        load_balancers: Vec::new(),
        warnings: zone.warnings.clone(),
        carriers: HashMap::new(),
    };
    builder.group_sets();
    for (s, set) in builder.sets.iter().enumerate() {
        for (r, record) in set.records.iter().enumerate() {
            if let Some(id) = record.health_check_id.as_deref() {
                builder.carriers.entry(id).or_default().push((s, r));
            }
        }
    }
    builder.check_limits()?;
    builder.name_checks()?;
    let answers = builder.answers()?;
    builder.check_cycles(&answers)?;
    let records = builder.records(&answers)?;
    let health_checks = builder.health_checks(&answers)?;
    let (clients, asked) = builder.clients(&answers)?;
    let outages = builder.outages(&answers, &asked);
    let duration_min = OUTAGE_FIRST_MIN + outages.len() as u64 * OUTAGE_EVERY_MIN;
    for (k, endpoints) in outages.iter().enumerate() {
        let start = OUTAGE_FIRST_MIN + k as u64 * OUTAGE_EVERY_MIN;
        for id in endpoints {
            let endpoint =
                builder.endpoints.get_mut(id).expect("outage endpoints exist").as_object_mut().expect("objects");
            let faults = endpoint.entry("faults").or_insert_with(|| json!([]));
            faults.as_array_mut().expect("a list").push(json!({
                "kind": "outage", "start": format!("{start}m"), "duration": format!("{OUTAGE_MIN}m")
            }));
        }
    }
    let description = builder.description(&outages);
    let origin = builder.origin();
    let mut scenario = Map::new();
    scenario.insert("name".into(), Value::from(name));
    scenario.insert("description".into(), Value::from(description));
    scenario.insert("seed".into(), Value::from(1));
    scenario.insert("duration".into(), Value::from(format!("{duration_min}m")));
    scenario.insert("endpoints".into(), Value::Object(std::mem::take(&mut builder.endpoints)));
    scenario.insert("health_checks".into(), Value::Object(health_checks));
    scenario.insert("dns".into(), json!({ "records": records }));
    scenario.insert("resolvers".into(), json!({ "isp": { "count": RESOLVERS } }));
    scenario.insert("clients".into(), Value::Object(clients));
    scenario.insert("origin".into(), origin);
    Ok(Imported { scenario: Value::Object(scenario), warnings: builder.warnings })
}

/// The zone's name, else the first file's name without its extension, made a valid scenario
/// name (a directory name: letters, digits, '.', '_', '-', at most 100, not starting with
/// '.'; any other character becomes '-').
pub fn default_name(zone: &Zone) -> String {
    let name = match &zone.zone {
        Some(zone) => zone.clone(),
        None => zone
            .files
            .first()
            .and_then(|f| f.file_stem())
            .map_or_else(|| "imported".to_owned(), |s| s.to_string_lossy().into_owned()),
    };
    let safe: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '-' }).collect();
    let safe: String = safe.trim_start_matches('.').chars().take(100).collect();
    if safe.is_empty() { "imported".to_owned() } else { safe }
}

fn error_at(record: &Record, message: String) -> InputError {
    InputError::invalid(&record.origin.file, record.origin.pointer.clone(), message)
}

fn is_load_balancer(name: &str) -> bool {
    name.ends_with(".elb.amazonaws.com")
}

/// `dualstack.x.elb.amazonaws.com` and `x.elb.amazonaws.com` are one load balancer.
fn load_balancer_id(name: &str) -> String {
    name.strip_prefix("dualstack.").unwrap_or(name).to_owned()
}

fn is_uuid(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.len() == 5
        && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

impl<'z> Builder<'z> {
    /// Record sets of addresses, by name, in file order; other types are counted.
    fn group_sets(&mut self) {
        let with_a: HashSet<&str> =
            self.zone.records.iter().filter(|r| r.kind == "A").map(|r| r.name.as_str()).collect();
        let mut skipped: BTreeMap<&str, usize> = BTreeMap::new();
        let mut aaaa_left_out: Vec<&str> = Vec::new();
        for record in &self.zone.records {
            if !ADDRESS_TYPES.contains(&record.kind.as_str()) {
                *skipped.entry(record.kind.as_str()).or_insert(0) += 1;
                continue;
            }
            if record.kind == "AAAA" && with_a.contains(record.name.as_str()) {
                if !aaaa_left_out.contains(&record.name.as_str()) {
                    aaaa_left_out.push(&record.name);
                }
                continue;
            }
            let index = *self.set_index.entry(record.name.clone()).or_insert_with(|| {
                self.sets.push(Set { name: record.name.clone(), records: Vec::new() });
                self.sets.len() - 1
            });
            self.sets[index].records.push(record);
        }
        if !skipped.is_empty() {
            let list: Vec<String> = skipped.iter().map(|(k, n)| format!("{k} ({n})")).collect();
            self.warnings
                .push(format!("left out record sets of types that carry no address for clients: {}", list.join(", ")));
        }
        for name in aaaa_left_out {
            self.warnings.push(format!(
                "{name}: its AAAA records are left out; fosim's clients resolve one address family, its A records"
            ));
        }
    }

    /// Values outside what Route 53 accepts cannot come from a real zone: each is an error at
    /// its record or health check, before anything is built from it.
    fn check_limits(&self) -> Result<(), InputError> {
        for record in self.sets.iter().flat_map(|set| &set.records) {
            if let Some(ttl) = record.ttl.filter(|&t| t > TTL_MAX) {
                return Err(error_at(
                    record,
                    format!("the TTL {ttl} of {}: Route 53 takes 0 to {TTL_MAX} seconds", describe(record)),
                ));
            }
            if let Some(weight) = record.weight.filter(|&w| w > 255) {
                return Err(error_at(
                    record,
                    format!("the weight {weight} of {}: Route 53 takes 0 to 255", describe(record)),
                ));
            }
            if record.alias.is_none() && record.values.is_empty() {
                return Err(error_at(record, format!("{} has no values and is not an alias", describe(record))));
            }
            if let Some((_, value)) = record.values.iter().enumerate().find(|(k, v)| record.values[..*k].contains(v)) {
                return Err(error_at(
                    record,
                    format!("{} lists the value {value} twice; Route 53 takes each value once", describe(record)),
                ));
            }
        }
        for check in &self.zone.health_checks {
            let invalid =
                |message: String| Err(InputError::invalid(&check.origin.file, check.origin.pointer.clone(), message));
            if let Some(interval) = check.request_interval.filter(|i| ![10, 30].contains(i)) {
                return invalid(format!(
                    "the health check {} has the request interval {interval}; Route 53 takes 10 or 30 seconds",
                    check.id
                ));
            }
            if let Some(threshold) = check.failure_threshold.filter(|t| !(1..=10).contains(t)) {
                return invalid(format!(
                    "the health check {} has the failure threshold {threshold}; Route 53 takes 1 to 10",
                    check.id
                ));
            }
            if let Some((_, region)) = check.regions.iter().enumerate().find(|(k, r)| check.regions[..*k].contains(r)) {
                return invalid(format!("the health check {} lists the region {region} twice", check.id));
            }
        }
        Ok(())
    }

    /// Aliases (and CNAMEs to sets of the files) that lead back to their own set: Route 53
    /// refuses them, and a resolver would never get an answer.
    fn check_cycles(&self, answers: &[Vec<Answer>]) -> Result<(), InputError> {
        // Depth-first from each set; `path` holds the sets being followed.
        fn visit(
            answers: &[Vec<Answer>],
            s: usize,
            path: &mut Vec<(usize, usize)>,
            done: &mut [bool],
        ) -> Option<Vec<(usize, usize)>> {
            if done[s] {
                return None;
            }
            for (r, answer) in answers[s].iter().enumerate() {
                let Answer::Set(t, _) = answer else { continue };
                path.push((s, r));
                if let Some(start) = path.iter().position(|&(p, _)| p == *t) {
                    return Some(path[start..].to_vec());
                }
                if let Some(cycle) = visit(answers, *t, path, done) {
                    return Some(cycle);
                }
                path.pop();
            }
            done[s] = true;
            None
        }
        let mut done = vec![false; self.sets.len()];
        for s in 0..self.sets.len() {
            if let Some(cycle) = visit(answers, s, &mut Vec::new(), &mut done) {
                let (first_set, first_record) = cycle[0];
                let names: Vec<&str> = cycle.iter().map(|&(s, _)| self.sets[s].name.as_str()).collect();
                return Err(error_at(
                    self.sets[first_set].records[first_record],
                    format!(
                        "aliases form a cycle: {} → {}; Route 53 refuses a record that leads back to itself",
                        names.join(" → "),
                        names[0]
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A readable, unique name for each health check.
    fn name_checks(&mut self) -> Result<(), InputError> {
        let mut used: HashSet<String> = HashSet::new();
        for (i, check) in self.zone.health_checks.iter().enumerate() {
            if self.checks.insert(check.id.as_str(), i).is_some() {
                return Err(InputError::invalid(
                    &check.origin.file,
                    check.origin.pointer.clone(),
                    format!("the health check id {} appears twice", check.id),
                ));
            }
            let source = check.origin.id.as_deref().unwrap_or(&check.id);
            let base = if let Some((_, name)) = source.rsplit_once("aws_route53_health_check.") {
                name.to_owned()
            } else if !is_uuid(source) {
                source.to_owned()
            } else if is_uuid(&check.id) {
                match (check.kind.as_str(), &check.alarm) {
                    ("CALCULATED", _) => format!("calculated {}", &check.id[..8]),
                    (_, Some(alarm)) => format!("alarm {}", alarm.name),
                    _ => match check.ip_address.as_ref().or(check.fqdn.as_ref()) {
                        Some(target) => format!("{} {}", target, check.kind.to_ascii_lowercase()),
                        None => format!("check {}", &check.id[..8]),
                    },
                }
            } else {
                check.id.clone()
            };
            let mut name = base.clone();
            let mut n = 2;
            while !used.insert(name.clone()) {
                name = format!("{base} {n}");
                n += 1;
            }
            self.check_names.push(name);
        }
        Ok(())
    }

    fn check_of(&self, record: &Record) -> Result<Option<usize>, InputError> {
        let Some(id) = &record.health_check_id else { return Ok(None) };
        match self.checks.get(id.as_str()) {
            Some(&i) => Ok(Some(i)),
            None => Err(error_at(
                record,
                format!(
                    "the record {} names the health check {id}, which is not in the given files{}",
                    describe(record),
                    if self.zone.health_checks.is_empty() {
                        " (no health checks were given: add them, e.g. with --health-checks)".to_owned()
                    } else {
                        format!(" ({} health checks were read)", self.zone.health_checks.len())
                    }
                ),
            )),
        }
    }

    fn add_endpoint(&mut self, id: &str) {
        if !self.endpoints.contains_key(id) {
            self.endpoints.insert(id.to_owned(), json!({}));
        }
    }

    fn add_load_balancer(&mut self, id: &str) {
        if self.endpoints.contains_key(id) {
            return;
        }
        let target = format!("{id} target");
        self.add_endpoint(&target);
        self.endpoints.insert(id.to_owned(), json!({ "load_balancer": { "targets": [target] } }));
        self.load_balancers.push(id.to_owned());
        self.warnings.push(format!(
            "load balancer {id}: its targets are not in these files; modelled as one target \"{target}\" \
             with an Application Load Balancer's default target health checks (every 30 s, 5 s timeout, \
             out after 2 failures): edit /endpoints/{id}/load_balancer"
        ));
    }

    /// What each record (by set, then record) answers.
    fn answers(&mut self) -> Result<Vec<Vec<Answer>>, InputError> {
        let mut all = Vec::with_capacity(self.sets.len());
        for s in 0..self.sets.len() {
            let mut answers = Vec::new();
            for r in 0..self.sets[s].records.len() {
                let record = self.sets[s].records[r];
                let answer = if let Some(alias) = &record.alias {
                    let target = &alias.dns_name;
                    let eth = alias.evaluate_target_health;
                    if let Some(&t) = self.set_index.get(target) {
                        Answer::Set(t, eth)
                    } else if is_load_balancer(target) {
                        let id = load_balancer_id(target);
                        self.add_load_balancer(&id);
                        Answer::LoadBalancer(id, eth)
                    } else {
                        let inside =
                            self.zone.zone.as_ref().is_some_and(|z| target == z || target.ends_with(&format!(".{z}")));
                        self.warnings.push(format!(
                            "{}: alias to {target}, {}: modelled as an endpoint of that name{}",
                            describe(record),
                            if inside {
                                "a name of the zone with no address records here"
                            } else {
                                "outside the imported zone"
                            },
                            if eth {
                                ", and Evaluate Target Health cannot see its health (treated as always healthy)"
                            } else {
                                ""
                            }
                        ));
                        self.add_endpoint(target);
                        Answer::Endpoints(vec![target.clone()])
                    }
                } else if record.kind == "CNAME" && record.values.len() == 1 {
                    let target = super::normalise_name(&record.values[0]);
                    match self.set_index.get(&target) {
                        Some(&t) => Answer::Set(t, false),
                        None => {
                            self.add_endpoint(&target);
                            Answer::Endpoints(vec![target])
                        }
                    }
                } else {
                    let ids: Vec<String> = record.values.iter().map(|v| super::normalise_name(v)).collect();
                    for id in &ids {
                        self.add_endpoint(id);
                    }
                    Answer::Endpoints(ids)
                };
                answers.push(answer);
            }
            all.push(answers);
        }
        Ok(all)
    }

    /// The scenario's `dns.records`.
    fn records(&mut self, answers: &[Vec<Answer>]) -> Result<Map<String, Value>, InputError> {
        let mut out = Map::new();
        for (s, set) in self.sets.iter().enumerate() {
            let first = set.records[0];
            let policy = policy(set)?;
            if let (Some(failover), "simple") = (&first.failover, policy) {
                self.warnings.push(format!(
                    "{}: only its {failover} failover record is in these files (the other may be managed elsewhere): \
                     imported as a simple record, answered whatever its health, as Route 53 answers a set with no \
                     healthy alternative",
                    set.name
                ));
            }
            if let Some(unsupported) = set.records.iter().find_map(|r| r.unsupported_policy.as_deref()) {
                self.warnings.push(format!(
                    "{}: {unsupported} routing is not modelled; approximated as weighted routing with equal \
                     weights (clients spread evenly over its records)",
                    set.name
                ));
            }
            let mut members = Map::new();
            for (r, record) in set.records.iter().enumerate() {
                let mut target = Map::new();
                match &answers[s][r] {
                    Answer::Endpoints(ids) if ids.len() == 1 => {
                        target.insert("endpoint".into(), Value::from(ids[0].clone()));
                    }
                    Answer::Endpoints(ids) => {
                        target.insert("endpoints".into(), Value::from(ids.clone()));
                    }
                    Answer::Set(t, eth) => {
                        target.insert("alias".into(), Value::from(self.sets[*t].name.clone()));
                        target.insert("evaluate_target_health".into(), Value::from(*eth));
                    }
                    Answer::LoadBalancer(id, eth) => {
                        target.insert("alias".into(), Value::from(id.clone()));
                        target.insert("evaluate_target_health".into(), Value::from(*eth));
                    }
                }
                if let Some(c) = self.check_of(record)? {
                    target.insert("health_check".into(), Value::from(self.check_names[c].clone()));
                }
                let key = match policy {
                    "failover" => record.failover.as_deref().expect("failover records").to_ascii_lowercase(),
                    "simple" => String::new(),
                    _ => record.set_identifier.clone().unwrap_or_else(|| format!("record {}", r + 1)),
                };
                match policy {
                    "weighted" if record.unsupported_policy.is_some() => {
                        target.insert("weight".into(), Value::from(1));
                    }
                    "weighted" => {
                        target.insert("weight".into(), Value::from(record.weight.expect("weighted records")));
                    }
                    "latency" => {
                        target.insert("region".into(), Value::from(record.region.clone().expect("latency records")));
                    }
                    _ => {}
                }
                if members.insert(key.clone(), Value::Object(target)).is_some() {
                    return Err(error_at(record, format!("{}: two records have the set identifier {key}", set.name)));
                }
            }
            let mut settings = Map::new();
            let ttls: Vec<u64> = set.records.iter().filter(|r| r.alias.is_none()).filter_map(|r| r.ttl).collect();
            if let Some(record) = set.records.iter().find(|r| r.alias.is_none() && r.ttl.is_none()) {
                return Err(error_at(
                    record,
                    format!("{}: a record that is not an alias needs a TTL; this one has none", set.name),
                ));
            }
            if let Some(&ttl) = ttls.first() {
                if ttls.iter().any(|&t| t != ttl) {
                    self.warnings.push(format!(
                        "{}: its records have different TTLs ({}); fosim gives a set one TTL: {ttl} s, the first's",
                        set.name,
                        ttls.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
                    ));
                }
                settings.insert("ttl".into(), Value::from(format!("{ttl}s")));
            } else if answers[s].iter().any(|a| matches!(a, Answer::Endpoints(_))) {
                // Aliases to names outside the files answer with their target's TTL, which
                // the files do not give.
                settings.insert("ttl".into(), Value::from(format!("{ALIAS_TTL_S}s")));
                self.warnings.push(format!(
                    "{}: an alias to a name outside these files answers with its target's TTL, which they do not \
                     give: modelled as {ALIAS_TTL_S} s (Elastic Load Balancing's): edit /dns/records/{}/ttl",
                    set.name,
                    set.name.replace('~', "~0").replace('/', "~1")
                ));
            }
            let policy_value = if policy == "simple" {
                members.into_iter().next().expect("one record").1
            } else {
                Value::Object(members)
            };
            settings.insert(policy.into(), policy_value);
            out.insert(set.name.clone(), Value::Object(settings));
        }
        Ok(out)
    }

    /// The endpoints a record's answer can send a client to (load balancers by their
    /// targets), through aliases.
    fn leaves(&self, answers: &[Vec<Answer>], answer: &Answer, seen: &mut HashSet<usize>, out: &mut Vec<String>) {
        let push = |id: &String, out: &mut Vec<String>| {
            if !out.contains(id) {
                out.push(id.clone());
            }
        };
        match answer {
            Answer::Endpoints(ids) => ids.iter().for_each(|id| push(id, out)),
            Answer::LoadBalancer(id, _) => {
                let targets = self.endpoints[id]["load_balancer"]["targets"].as_array().expect("targets");
                for t in targets {
                    push(&t.as_str().expect("ids").to_owned(), out);
                }
            }
            Answer::Set(t, _) => {
                if seen.insert(*t) {
                    for a in &answers[*t] {
                        self.leaves(answers, a, seen, out);
                    }
                }
            }
        }
    }

    /// The endpoint a check probes (or whose metric it watches).
    fn check_endpoint(&mut self, answers: &[Vec<Answer>], c: usize) -> String {
        let zone = self.zone;
        let check = &zone.health_checks[c];
        let name = self.check_names[c].clone();
        // The endpoints of the records that carry this check.
        let mut carried = Vec::new();
        for &(s, r) in self.carriers.get(check.id.as_str()).map_or(&[][..], Vec::as_slice) {
            self.leaves(answers, &answers[s][r], &mut HashSet::new(), &mut carried);
        }
        if let Some(ip) = &check.ip_address
            && self.endpoints.contains_key(ip.as_str())
        {
            return ip.clone();
        }
        if let Some(fqdn) = &check.fqdn
            && self.endpoints.contains_key(fqdn.as_str())
        {
            return fqdn.clone();
        }
        let target = check.ip_address.as_ref().or(check.fqdn.as_ref());
        if let [only] = carried.as_slice() {
            if let Some(target) = target {
                self.warnings.push(format!(
                    "health check {name} probes {target}; fosim assumes it reaches {only}, the address of the record it is attached to"
                ));
            }
            return only.clone();
        }
        match target {
            Some(target) => {
                let target = target.clone();
                self.add_endpoint(&target);
                let why = if carried.is_empty() {
                    "which no record answers".to_owned()
                } else {
                    format!("while the records it is attached to reach several endpoints ({})", carried.join(", "))
                };
                self.warnings.push(format!(
                    "health check {name} probes {target}, {why}: it is an endpoint of its own, with no outage"
                ));
                target
            }
            None => {
                let id = format!("{name} endpoint");
                self.add_endpoint(&id);
                self.warnings
                    .push(format!("health check {name} names no address: it probes an endpoint of its own, \"{id}\""));
                id
            }
        }
    }

    /// The endpoint a CloudWatch alarm watches: the load balancer its dimensions name, else
    /// the one its records answer.
    fn alarm_endpoint(&mut self, answers: &[Vec<Answer>], c: usize) -> String {
        let check = &self.zone.health_checks[c];
        let alarm = self.alarm(check);
        if let Some((_, value)) = alarm.iter().flat_map(|a| &a.dimensions).find(|(k, _)| k == "LoadBalancer") {
            // "app/web-use1/50dc6c495c0c9188": the load balancer's name is its second part.
            let lb_name = value.split('/').nth(1).unwrap_or(value).to_ascii_lowercase();
            if let Some(id) = self.load_balancers.iter().find(|id| id.starts_with(&format!("{lb_name}-"))) {
                return id.clone();
            }
        }
        self.check_endpoint(answers, c)
    }

    fn alarm(&self, check: &'z HealthCheck) -> Option<super::Alarm> {
        let named = check.alarm.as_ref()?;
        if named.metric_name.is_some() {
            return Some(named.clone());
        }
        Some(self.zone.alarms.iter().find(|a| a.name == named.name).cloned().unwrap_or_else(|| named.clone()))
    }

    /// The scenario's `health_checks`.
    fn health_checks(&mut self, answers: &[Vec<Answer>]) -> Result<Map<String, Value>, InputError> {
        let mut out = Map::new();
        for c in 0..self.zone.health_checks.len() {
            let check = &self.zone.health_checks[c];
            let name = self.check_names[c].clone();
            let mut hc = Map::new();
            match check.kind.as_str() {
                "HTTP" | "HTTPS" | "HTTP_STR_MATCH" | "HTTPS_STR_MATCH" | "TCP" => {
                    hc.insert("endpoint".into(), Value::from(self.check_endpoint(answers, c)));
                    hc.insert("type".into(), Value::from(check.kind.to_ascii_lowercase()));
                    if let Some(interval) = check.request_interval {
                        hc.insert("request_interval".into(), Value::from(format!("{interval}s")));
                    }
                    if let Some(threshold) = check.failure_threshold {
                        hc.insert("failure_threshold".into(), Value::from(threshold));
                    }
                    if !check.regions.is_empty() {
                        hc.insert("regions".into(), Value::from(check.regions.clone()));
                    }
                }
                "CALCULATED" => {
                    hc.insert("type".into(), Value::from("calculated"));
                    let invalid = |message: String| {
                        InputError::invalid(&check.origin.file, check.origin.pointer.clone(), message)
                    };
                    if check.children.is_empty() || check.children.len() > CHILDREN_MAX {
                        return Err(invalid(format!(
                            "the calculated health check {name} has {} child health checks; Route 53 and fosim take 1 to {CHILDREN_MAX}",
                            check.children.len()
                        )));
                    }
                    if let Some(threshold) = check.health_threshold.filter(|&t| t > CHILDREN_MAX as u64) {
                        return Err(invalid(format!(
                            "the calculated health check {name} has the health threshold {threshold}; Route 53 takes 0 to {CHILDREN_MAX}"
                        )));
                    }
                    let mut children = Vec::new();
                    for (k, child) in check.children.iter().enumerate() {
                        if check.children[..k].contains(child) {
                            return Err(invalid(format!(
                                "the calculated health check {name} lists the child {child} twice"
                            )));
                        }
                        match self.checks.get(child.as_str()) {
                            Some(&i) if self.zone.health_checks[i].kind == "CALCULATED" => {
                                return Err(invalid(format!(
                                    "the calculated health check {name} has the child {child}, which is a calculated \
                                     check too; Route 53 does not let a calculated check monitor another one"
                                )));
                            }
                            Some(&i) => children.push(Value::from(self.check_names[i].clone())),
                            None => {
                                return Err(InputError::invalid(
                                    &check.origin.file,
                                    check.origin.pointer.clone(),
                                    format!(
                                        "the calculated health check {name} has the child {child}, which is not in the given files"
                                    ),
                                ));
                            }
                        }
                    }
                    hc.insert("children".into(), Value::from(children));
                    hc.insert("health_threshold".into(), Value::from(check.health_threshold.unwrap_or(0)));
                }
                "CLOUDWATCH_METRIC" => {
                    let endpoint = self.alarm_endpoint(answers, c);
                    let check = &self.zone.health_checks[c];
                    hc.insert("type".into(), Value::from("cloudwatch_metric"));
                    hc.insert("endpoint".into(), Value::from(endpoint.clone()));
                    self.cloudwatch(check, &name, &endpoint, &mut hc)?;
                }
                "RECOVERY_CONTROL" => {
                    hc.insert("endpoint".into(), Value::from(self.check_endpoint(answers, c)));
                    hc.insert("disabled".into(), Value::from(true));
                    self.warnings.push(format!(
                        "health check {name} follows a routing control, which people switch by hand: modelled as always healthy"
                    ));
                }
                other => {
                    return Err(InputError::invalid(
                        &check.origin.file,
                        check.origin.pointer.clone(),
                        format!(
                            "unknown health check type \"{other}\"; Route 53's types are HTTP, HTTPS, HTTP_STR_MATCH, \
                             HTTPS_STR_MATCH, TCP, CALCULATED, CLOUDWATCH_METRIC and RECOVERY_CONTROL"
                        ),
                    ));
                }
            }
            let check = &self.zone.health_checks[c];
            if check.inverted {
                hc.insert("inverted".into(), Value::from(true));
            }
            if check.disabled {
                hc.insert("disabled".into(), Value::from(true));
            }
            out.insert(name, Value::Object(hc));
        }
        Ok(out)
    }

    /// A CloudWatch check's metric, threshold and periods from its alarm.
    fn cloudwatch(
        &mut self,
        check: &HealthCheck,
        name: &str,
        endpoint: &str,
        hc: &mut Map<String, Value>,
    ) -> Result<(), InputError> {
        let alarm = self.alarm(check);
        let metric_name = alarm.as_ref().and_then(|a| a.metric_name.clone());
        let lower = metric_name.as_deref().unwrap_or_default().to_ascii_lowercase();
        let latency = lower.contains("latency") || lower.contains("responsetime") || lower.contains("duration");
        // ELB's TargetResponseTime is in seconds; API Gateway's Latency and Lambda's
        // Duration are in milliseconds.
        let in_seconds = lower.contains("responsetime");
        let percent = lower.contains("percent") || alarm.as_ref().and_then(|a| a.threshold).is_some_and(|t| t > 1.0);
        let rate = lower.contains("rate") || lower.contains("percent");
        let healthy_hosts = lower.contains("healthyhostcount") && !lower.contains("unhealthy");
        let statistic = alarm.as_ref().and_then(|a| a.statistic.clone()).unwrap_or_default().to_ascii_lowercase();
        let threshold = alarm.as_ref().and_then(|a| a.threshold);
        let comparison = alarm.as_ref().and_then(|a| a.comparison.clone());
        let (metric, threshold, comparison, note) = if latency {
            let metric = if statistic == "p99" { "latency_p99" } else { "latency_average" };
            let threshold = threshold.map(|t| if in_seconds { t } else { t / 1000.0 }).unwrap_or(1.0);
            let unit = if in_seconds {
                "its threshold is in seconds"
            } else {
                "its threshold, in milliseconds, is read as seconds / 1000"
            };
            (metric, threshold, comparison, unit)
        } else if healthy_hosts {
            (
                "error_rate",
                1.0,
                Some("GreaterThanOrEqualToThreshold".to_owned()),
                "no healthy host is read as every request failing",
            )
        } else if rate {
            let threshold = threshold.map_or(0.05, |t| if percent { t / 100.0 } else { t });
            let unit = if percent {
                "its threshold, in percent, is read as a share of requests"
            } else {
                "its threshold is read as a share of requests"
            };
            ("error_rate", threshold, comparison, unit)
        } else {
            (
                "error_rate",
                0.05,
                Some("GreaterThanOrEqualToThreshold".to_owned()),
                "fosim watches the share of failed requests instead, with threshold 0.05: edit it",
            )
        };
        let invalid =
            |message: String| Err(InputError::invalid(&check.origin.file, check.origin.pointer.clone(), message));
        if let Some(other) = comparison.as_deref().filter(|c| !COMPARISONS.contains(c)) {
            return invalid(format!(
                "health check {name}: its alarm compares with {other}, which fosim does not model; it models {}",
                COMPARISONS.join(", ")
            ));
        }
        match metric {
            "error_rate" if !(0.0..=1.0).contains(&threshold) => {
                return invalid(format!(
                    "health check {name}: its alarm's threshold reads as an error rate of {threshold}, outside 0 to 1"
                ));
            }
            _ if !(threshold >= 0.0 && threshold.is_finite()) => {
                return invalid(format!(
                    "health check {name}: its alarm's threshold reads as a latency of {threshold} s, below 0"
                ));
            }
            _ => {}
        }
        if let Some(period) = alarm.as_ref().and_then(|a| a.period).filter(|p| !(1..=PERIOD_MAX).contains(p)) {
            return invalid(format!(
                "health check {name}: its alarm's period is {period} s; CloudWatch takes 10, 30 or a multiple of 60, at most {PERIOD_MAX}"
            ));
        }
        if let Some(n) =
            alarm.as_ref().and_then(|a| a.evaluation_periods).filter(|n| !(1..=EVALUATION_PERIODS_MAX).contains(n))
        {
            return invalid(format!(
                "health check {name}: its alarm evaluates {n} periods; fosim takes 1 to {EVALUATION_PERIODS_MAX}"
            ));
        }
        let what = match &metric_name {
            Some(m) => format!("the alarm's metric {m}"),
            None => "an alarm whose settings are not in these files".to_owned(),
        };
        self.warnings.push(format!(
            "health check {name} follows {what}: modelled as the {} of {endpoint}; {note}",
            match metric {
                "error_rate" => "error rate",
                "latency_p99" => "99th percentile latency",
                _ => "mean latency",
            }
        ));
        // A load balancer's metrics (AWS/ApplicationELB, AWS/NetworkELB, AWS/ELB) keep coming
        // while its targets are dead: they count errors. Metrics a host publishes itself stop.
        let from_load_balancer = alarm.as_ref().is_some_and(|a| {
            a.namespace.as_deref().is_some_and(|n| n.contains("ELB"))
                || a.dimensions.iter().any(|(k, _)| k == "LoadBalancer")
        });
        if from_load_balancer {
            hc.insert("outage_data".into(), Value::from("errors"));
        } else {
            self.warnings.push(format!(
                "health check {name}: a metric published by the host itself has no data while the host is down; \
                 with {} the check {}: set outage_data to \"errors\" if a load balancer or probe reports it instead",
                check.insufficient_data.as_deref().unwrap_or("LastKnownStatus"),
                match check.insufficient_data.as_deref() {
                    Some("Unhealthy") => "fails over once data stops",
                    Some("Healthy") => "stays healthy through an outage",
                    _ => "keeps its last status through an outage (it never fails over for a dead host)",
                }
            ));
        }
        hc.insert("metric".into(), Value::from(metric));
        hc.insert("threshold".into(), Value::from(threshold));
        if let Some(comparison) = comparison {
            hc.insert("comparison".into(), Value::from(comparison));
        }
        if let Some(alarm) = &alarm {
            if let Some(period) = alarm.period {
                hc.insert("period".into(), Value::from(format!("{period}s")));
            }
            if let Some(n) = alarm.evaluation_periods {
                hc.insert("evaluation_periods".into(), Value::from(n));
            }
        }
        if let Some(status) = &check.insufficient_data {
            let status = match status.as_str() {
                "Healthy" => "healthy",
                "Unhealthy" => "unhealthy",
                _ => "last_known_status",
            };
            hc.insert("insufficient_data_health_status".into(), Value::from(status));
        }
        Ok(())
    }

    /// Whether a set's answers can change with health.
    fn changes(&self, answers: &[Vec<Answer>], s: usize, seen: &mut HashSet<usize>) -> bool {
        if !seen.insert(s) {
            return false;
        }
        let set = &self.sets[s];
        set.records.len() > 1
            || set.records.iter().any(|r| r.health_check_id.is_some())
            || answers[s].iter().any(|a| match a {
                Answer::Set(t, eth) => *eth || self.changes(answers, *t, seen),
                Answer::LoadBalancer(_, eth) => *eth,
                Answer::Endpoints(_) => false,
            })
    }

    /// Regions of the latency records under a set.
    fn regions(&self, answers: &[Vec<Answer>], s: usize, seen: &mut HashSet<usize>, out: &mut Vec<String>) {
        if !seen.insert(s) {
            return;
        }
        for (r, record) in self.sets[s].records.iter().enumerate() {
            if let Some(region) = &record.region
                && !out.contains(region)
            {
                out.push(region.clone());
            }
            if let Answer::Set(t, _) = answers[s][r] {
                self.regions(answers, t, seen, out);
            }
        }
    }

    /// One client group per record set that no other aliases and whose answers can change
    /// with health (per latency region when its tree has latency records).
    fn clients(&mut self, answers: &[Vec<Answer>]) -> Result<(Map<String, Value>, Vec<usize>), InputError> {
        // Sets that an alias answers for are parts of a tree; a CNAME's target is a name
        // clients also ask.
        let mut targeted = HashSet::new();
        for (s, set_answers) in answers.iter().enumerate() {
            for (r, a) in set_answers.iter().enumerate() {
                if let (Answer::Set(t, _), Some(_)) = (a, &self.sets[s].records[r].alias) {
                    targeted.insert(*t);
                }
            }
        }
        let mut out = Map::new();
        let mut asked = Vec::new();
        for s in 0..self.sets.len() {
            if targeted.contains(&s) || !self.changes(answers, s, &mut HashSet::new()) {
                continue;
            }
            asked.push(s);
            let name = &self.sets[s].name;
            let mut regions = Vec::new();
            self.regions(answers, s, &mut HashSet::new(), &mut regions);
            if regions.is_empty() {
                out.insert(
                    format!("{name} users"),
                    json!({ "count": CLIENTS, "record": name, "requests_per_s": REQUESTS_PER_S }),
                );
            }
            for region in &regions {
                out.insert(
                    format!("{name} users in {region}"),
                    json!({ "count": CLIENTS.div_ceil(regions.len() as u64), "record": name, "region": region,
                            "requests_per_s": REQUESTS_PER_S }),
                );
            }
        }
        if asked.is_empty() {
            let file = self.zone.files.first().cloned().unwrap_or_default();
            return Err(InputError::invalid(
                &file,
                "",
                "no failover records: nothing in these files changes its answers when an endpoint fails \
                 (no failover, weighted, latency or multivalue record sets, no health checks, no alias that \
                 evaluates target health), so there is nothing to simulate",
            ));
        }
        Ok((out, asked))
    }

    /// The endpoints of each default outage: each failover set's primary (all of its
    /// endpoints at once); without failover sets, each asked set's first record.
    fn outages(&self, answers: &[Vec<Answer>], asked: &[usize]) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = Vec::new();
        let mut seen: HashSet<Vec<String>> = HashSet::new();
        let mut add = |out: &mut Vec<Vec<String>>, endpoints: Vec<String>| {
            if !endpoints.is_empty() && seen.insert(endpoints.clone()) {
                out.push(endpoints);
            }
        };
        for (s, set) in self.sets.iter().enumerate() {
            for (r, record) in set.records.iter().enumerate() {
                if record.failover.as_deref() == Some("PRIMARY") {
                    let mut leaves = Vec::new();
                    self.leaves(answers, &answers[s][r], &mut HashSet::new(), &mut leaves);
                    add(&mut out, leaves);
                }
            }
        }
        if out.is_empty() {
            for &s in asked {
                let mut leaves = Vec::new();
                self.leaves(answers, &answers[s][0], &mut HashSet::new(), &mut leaves);
                add(&mut out, leaves);
            }
        }
        out
    }

    fn description(&self, outages: &[Vec<String>]) -> String {
        let files: Vec<String> = self.zone.files.iter().map(|f| f.display().to_string()).collect();
        let format = self.zone.format.map_or("", |f| f.name());
        // A zone of thousands of records would make a description longer than a scenario's
        // may be: the first outages are listed, the rest counted.
        const LISTED: usize = 10;
        let mut outage_list: Vec<String> = outages
            .iter()
            .take(LISTED)
            .enumerate()
            .map(|(k, e)| format!("{} at {}m", e.join(" + "), OUTAGE_FIRST_MIN + k as u64 * OUTAGE_EVERY_MIN))
            .collect();
        if outages.len() > LISTED {
            outage_list.push(format!("{} more, one every {OUTAGE_EVERY_MIN}m", outages.len() - LISTED));
        }
        format!(
            "Imported by `fosim import {format}` from {}. Record sets and health checks are the zone's; these are \
             defaults to edit: the clients ({CLIENTS} per record set asked, {REQUESTS_PER_S} requests a second, caching \
             answers for the TTL), one resolver pool of {RESOLVERS}, and one {OUTAGE_MIN}-minute outage of each \
             primary ({}){}.",
            files.join(", "),
            outage_list.join("; "),
            if self.load_balancers.is_empty() { "" } else { ", and each load balancer's single target" }
        )
    }

    /// Where each health check and record came from, in Route 53's shape too, for `--export`.
    fn origin(&self) -> Value {
        let mut checks = Map::new();
        for (c, check) in self.zone.health_checks.iter().enumerate() {
            let mut o = Map::new();
            o.insert("id".into(), Value::from(check.id.clone()));
            if check.origin.id.as_ref().is_some_and(|id| *id != check.id) {
                o.extend(origin_of(&check.origin));
            } else {
                o.extend(origin_of(&super::Origin { id: None, ..check.origin.clone() }));
            }
            o.insert("route53".into(), super::aws::health_check_config_json(check));
            checks.insert(self.check_names[c].clone(), Value::Object(o));
        }
        let mut records = Map::new();
        for set in &self.sets {
            let mut members = Map::new();
            for (r, record) in set.records.iter().enumerate() {
                let mut o = origin_of(&record.origin);
                o.insert("route53".into(), super::aws::record_set_json(record, None));
                let key = record
                    .failover
                    .as_ref()
                    .map(|f| f.to_ascii_lowercase())
                    .or_else(|| record.set_identifier.clone())
                    .unwrap_or_else(|| format!("record {}", r + 1));
                members.insert(key, Value::Object(o));
            }
            records.insert(set.name.clone(), Value::Object(members));
        }
        let files: Vec<Value> = self.zone.files.iter().map(|f| Value::from(f.display().to_string())).collect();
        json!({
            "format": self.zone.format.map(|f| f.name()),
            "files": files,
            "zone": self.zone.zone,
            "health_checks": checks,
            "records": records,
            "warnings": self.warnings,
        })
    }
}

fn origin_of(origin: &super::Origin) -> Map<String, Value> {
    let mut o = Map::new();
    if let Some(id) = &origin.id {
        o.insert("source_id".into(), Value::from(id.clone()));
    }
    o.insert("file".into(), Value::from(origin.file.display().to_string()));
    o.insert("pointer".into(), Value::from(origin.pointer.clone()));
    o
}

/// "app.example.com (set primary)" for messages.
fn describe(record: &Record) -> String {
    match (&record.set_identifier, &record.origin.id) {
        (_, Some(id)) => format!("{} ({id})", record.name),
        (Some(set), None) => format!("{} (set {set})", record.name),
        (None, None) => record.name.clone(),
    }
}

/// A set's routing policy, the same for all its records.
fn policy(set: &Set) -> Result<&'static str, InputError> {
    let of = |r: &Record| {
        if r.unsupported_policy.is_some() {
            "weighted"
        } else if r.failover.is_some() {
            "failover"
        } else if r.weight.is_some() {
            "weighted"
        } else if r.region.is_some() {
            "latency"
        } else if r.multivalue {
            "multivalue"
        } else {
            "simple"
        }
    };
    if let [lone] = set.records.as_slice()
        && lone.failover.is_some()
    {
        // Its other half lives elsewhere: alone, Route 53 answers it whatever its health.
        return Ok("simple");
    }
    let first = of(set.records[0]);
    if let Some(other) = set.records.iter().find(|r| of(r) != first) {
        return Err(error_at(
            other,
            format!(
                "the records of {} mix routing policies ({first} and {}); Route 53 allows one per name",
                set.name,
                of(other)
            ),
        ));
    }
    match first {
        "simple" if set.records.len() > 1 => Err(error_at(
            set.records[1],
            format!("{} has {} records without a routing policy; Route 53 allows one", set.name, set.records.len()),
        )),
        "failover" => {
            let count = |kind: &str| set.records.iter().filter(|r| r.failover.as_deref() == Some(kind)).count();
            if count("PRIMARY") != 1 || count("SECONDARY") != 1 {
                return Err(error_at(
                    set.records[0],
                    format!(
                        "the failover set {} needs exactly one PRIMARY and one SECONDARY record; it has {} and {}",
                        set.name,
                        count("PRIMARY"),
                        count("SECONDARY")
                    ),
                ));
            }
            Ok(first)
        }
        _ => Ok(first),
    }
}
