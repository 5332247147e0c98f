//! A swarm of random valid scenarios — failover pairs, other check kinds, load balancers,
//! record trees, both health-check presets, every fault kind and every other field of the
//! scenario schema: each runs on two threads and on one (same bytes), every run's figures
//! satisfy the invariants that hold whatever the scenario, and exact requests change none of
//! the figures that count no request. The swarm as a whole must use every field and every
//! named value of the schema (`schema_names`, `used_names`), so a new feature is swarmed or the test
//! says it is not. A failure prints the seed and the scenario so it can be replayed.

use crate::support::{config_from, simulate};
use fosim::report::{self, EpisodeResult, FailoverStats, RecordSetTimes, Report, RunResult, TimelineRow};
use rand::Rng;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

const SWARM_SIZE: u64 = 200;

/// The seeds to run: `0..SWARM_SIZE`, or `FOSIM_SWARM_SEEDS=FROM..TO` for a longer hunt (the
/// coverage and count checks then apply to those seeds).
fn swarm_seeds() -> std::ops::Range<u64> {
    let Ok(text) = std::env::var("FOSIM_SWARM_SEEDS") else { return 0..SWARM_SIZE };
    let (from, to) = text.split_once("..").expect("FOSIM_SWARM_SEEDS=FROM..TO");
    from.parse().expect("a seed")..to.parse().expect("a seed")
}

fn pick<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    &items[(rng.next_u64() % items.len() as u64) as usize]
}

fn chance(rng: &mut impl Rng, percent: u64) -> bool {
    rng.next_u64() % 100 < percent
}

fn seconds(rng: &mut impl Rng, low: u64, high: u64) -> u64 {
    low + rng.next_u64() % (high - low + 1)
}

fn dist(rng: &mut impl Rng, low: u64, high: u64) -> Value {
    match rng.next_u64() % 4 {
        0 => json!(seconds(rng, low, high)),
        1 => json!({ "uniform": [low, high] }),
        2 => json!({ "exponential": seconds(rng, low.max(1), high.max(1)) }),
        _ => json!({ "lognormal": { "median": seconds(rng, low.max(1), high.max(1)), "sigma": 0.5 } }),
    }
}

fn random_scenario(seed: u64) -> Value {
    let mut rng = fosim::rng::stream(seed, "swarm");
    let rng = &mut rng;
    let duration = seconds(rng, 600, 2400);
    let endpoint_names: Vec<String> = (0..seconds(rng, 2, 3)).map(|i| format!("e{i}")).collect();
    let mut endpoints = Map::new();
    for name in &endpoint_names {
        let mut faults = Vec::new();
        for _ in 0..rng.next_u64() % 3 {
            let kind = *pick(rng, &["outage", "flap", "degraded", "probe_loss"]);
            let mut f = json!({ "kind": kind, "start": seconds(rng, 0, duration - 1) });
            if chance(rng, 80) {
                f["duration"] = dist(rng, 30, 600);
            }
            if chance(rng, 25) {
                f["every"] = dist(rng, 60, 900);
                if f.get("duration").is_none() {
                    f["duration"] = json!(60);
                }
            }
            match kind {
                "outage" => f["mode"] = json!(pick(rng, &["timeout", "refuse"])),
                "flap" => {
                    f["down"] = dist(rng, 10, 120);
                    f["up"] = dist(rng, 10, 120);
                }
                "degraded" => {
                    f["request_error_rate"] = json!((rng.next_u64() % 101) as f64 / 100.0);
                    f["probe_error_rate"] = json!((rng.next_u64() % 101) as f64 / 100.0);
                    if chance(rng, 50) {
                        f["response_time"] = dist(rng, 0, 5);
                    }
                }
                _ => f["rate"] = json!((rng.next_u64() % 101) as f64 / 100.0),
            }
            faults.push(f);
        }
        endpoints.insert(
            name.clone(),
            json!({ "response_time": pick(rng, &["10ms", "50ms", "1s", "3s"]), "faults": faults }),
        );
    }
    let mut checks = Map::new();
    for (i, endpoint) in endpoint_names.iter().enumerate() {
        if chance(rng, 80) {
            let regions = fosim::scenario::config::ROUTE53_REGIONS[..seconds(rng, 1, 8) as usize].to_vec();
            checks.insert(
                format!("hc{i}"),
                json!({
                    "endpoint": endpoint,
                    "type": pick(rng, &["http", "https", "http_str_match", "https_str_match", "tcp"]),
                    "request_interval": pick(rng, &[10, 30, 5]),
                    "failure_threshold": seconds(rng, 1, 5),
                    "regions": regions,
                    "checkers_per_region": seconds(rng, 1, 3),
                    "healthy_fraction": pick(rng, &[0.18, 0.0, 0.5]),
                    "inverted": chance(rng, 5),
                    "disabled": chance(rng, 5),
                    "probe_loss_rate": pick(rng, &[0.0, 0.01, 0.2]),
                }),
            );
        }
    }
    let check_of = |rng: &mut fosim::rng::Stream, i: usize| -> Value {
        let id = format!("hc{i}");
        if checks.contains_key(&id) && chance(rng, 85) { json!(id) } else { Value::Null }
    };
    let mut records = Map::new();
    for r in 0..seconds(rng, 1, 2) {
        let p = (rng.next_u64() % endpoint_names.len() as u64) as usize;
        let s = (p + 1 + (rng.next_u64() % (endpoint_names.len() as u64 - 1)) as usize) % endpoint_names.len();
        records.insert(
            format!("r{r}"),
            json!({
                "ttl": pick(rng, &[0, 5, 30, 60, 300]),
                "failover": {
                    "primary": { "endpoint": endpoint_names[p], "health_check": check_of(rng, p) },
                    "secondary": { "endpoint": endpoint_names[s], "health_check": check_of(rng, s) }
                }
            }),
        );
    }
    let record_names: Vec<String> = records.keys().cloned().collect();
    let mut pools = Map::new();
    for p in 0..seconds(rng, 1, 2) {
        let mut pool = json!({ "count": seconds(rng, 1, 20), "cache": chance(rng, 75) });
        if pool["cache"] == true {
            if chance(rng, 30) {
                pool["ttl_min"] = json!(pick(rng, &[30, 120]));
            }
            if chance(rng, 20) {
                pool["ttl_max"] = json!(pick(rng, &[120, 600]));
            }
            pool["prefetch"] = json!(chance(rng, 30));
        }
        pools.insert(format!("p{p}"), pool);
    }
    let pool_names: Vec<String> = pools.keys().cloned().collect();
    let mut clients = Map::new();
    for g in 0..seconds(rng, 1, 3) {
        let mode = *pick(rng, &["ttl", "fixed", "none", "forever"]);
        let mut cache = json!({ "mode": mode });
        match mode {
            "ttl" if chance(rng, 50) => cache["ttl_min"] = json!(60),
            "fixed" => cache["ttl"] = json!(pick(rng, &[10, 30, 120])),
            _ => {}
        }
        let mut group = json!({
            "count": seconds(rng, 0, 80),
            "record": pick(rng, &record_names),
            "resolvers": { pick(rng, &pool_names).clone(): 1.0 },
            "requests_per_s": pick(rng, &[0.01, 0.1, 0.5, 2.0]),
            "dns_cache": cache,
            "on_failure": pick(rng, &["keep", "reresolve"]),
        });
        if chance(rng, 40) {
            group["connection"] = json!({ "reuse": true, "idle_timeout": pick(rng, &[5, 90]) });
            if chance(rng, 50) {
                group["connection"]["max_lifetime"] = json!(pick(rng, &[60, 600]));
            }
        }
        clients.insert(format!("g{g}"), group);
    }
    add_check_kinds(seed, &endpoint_names, &mut checks, &mut records);
    add_load_balancer(seed, &endpoint_names, &mut endpoints, &mut checks, &mut records);
    let mut scenario = json!({
        "name": format!("swarm-{seed}"),
        "seed": seed,
        "duration": duration,
        "endpoints": endpoints,
        "health_checks": checks,
        "dns": { "name_servers": seconds(rng, 1, 5), "propagation_delay": dist(rng, 0, 20), "records": records },
        "resolvers": pools,
        "clients": clients,
    });
    add_record_trees(seed, &mut scenario);
    add_features(seed, &mut scenario);
    scenario
}

/// The regions a probing check has checkers in: its own, else its preset's.
fn checker_regions(check: &Value) -> Vec<String> {
    match check.get("regions") {
        Some(regions) => regions.as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_owned()).collect(),
        None => fosim::scenario::presets::find(check.get("preset").and_then(Value::as_str).unwrap_or("route53"))
            .unwrap()
            .regions
            .iter()
            .map(|r| r.to_string())
            .collect(),
    }
}

fn probes(check: &Value) -> bool {
    !matches!(check.get("type").and_then(Value::as_str), Some("calculated" | "cloudwatch_metric"))
}

/// Sometimes each of the fields the parts above leave at their defaults: the health-check
/// presets and every probe setting (schedule, overrun, jitter, phase, recovery threshold,
/// timeout, each quorum, expiry of unused checks), flap modes, probe loss in some regions,
/// fault fields left to their defaults, a name server answer cache, a query price, an
/// explicit warm-up and timeline bucket, resolver clocks, client TTL caps, several resolver
/// pools per group; from a stream of its own so that the rest of the scenario stays what it
/// was for this seed.
fn add_features(seed: u64, scenario: &mut Value) {
    let mut rng = fosim::rng::stream(seed, "swarm-features");
    let rng = &mut rng;
    if chance(rng, 30) {
        scenario["warmup"] = json!(pick(rng, &[0, 30, 600, 3600]));
    }
    if chance(rng, 30) {
        scenario["timeline_bucket"] = json!(pick(rng, &[7, 60, 90, 301]));
    }
    if chance(rng, 25) {
        scenario["dns"]["answer_cache"] = dist(rng, 0, 60);
    }
    if chance(rng, 30) {
        scenario["dns"]["query_price_per_million"] = json!(pick(rng, &[0.0, 0.4, 0.7]));
    }
    for check in scenario["health_checks"].as_object_mut().unwrap().values_mut() {
        if !probes(check) {
            if check["type"] == "cloudwatch_metric" && chance(rng, 30) {
                check["comparison"] = json!("LessThanOrEqualToThreshold");
            }
            continue;
        }
        let check = check.as_object_mut().unwrap();
        let preset = if chance(rng, 50) { *pick(rng, &["route53", "powerdns_lua"]) } else { "route53" };
        if preset != "route53" || chance(rng, 10) {
            check.insert("preset".into(), json!(preset));
        }
        if preset == "powerdns_lua" && chance(rng, 50) {
            // PowerDNS's own checker: one, in the server itself.
            check.remove("regions");
            check.remove("checkers_per_region");
        }
        let checkers = checker_regions(&Value::Object(check.clone())).len() as u64
            * check.get("checkers_per_region").map_or(if preset == "route53" { 2 } else { 1 }, |n| n.as_u64().unwrap());
        let quorum = if chance(rng, 40) {
            let quorum = match rng.next_u64() % 6 {
                0 => json!("fraction_above"),
                1 => json!("majority"),
                2 => json!("all"),
                3 => json!("any"),
                4 => json!({ "at_least": seconds(rng, 1, checkers) }),
                _ => json!("majority_of_majorities"),
            };
            check.insert("quorum".into(), quorum.clone());
            quorum
        } else {
            json!(if preset == "route53" { "fraction_above" } else { "any" })
        };
        if quorum != "fraction_above" {
            check.remove("healthy_fraction");
        }
        let schedule = if chance(rng, 30) {
            let schedule = *pick(rng, &["after_response", "fixed_rate"]);
            check.insert("schedule".into(), json!(schedule));
            schedule
        } else if preset == "route53" {
            "after_response"
        } else {
            "fixed_rate"
        };
        if schedule == "fixed_rate" && chance(rng, 50) {
            check.insert("on_overrun".into(), json!(pick(rng, &["delay", "skip"])));
        }
        if chance(rng, 20) {
            check.insert("jitter".into(), dist(rng, 0, 5));
        }
        if chance(rng, 20) {
            check.insert("phase".into(), dist(rng, 0, 30));
        }
        if chance(rng, 25) {
            check.insert("recovery_threshold".into(), json!(seconds(rng, 1, 5)));
        }
        if chance(rng, 20) {
            check.insert("timeout".into(), json!(pick(rng, &["500ms", "2s", "5s"])));
        }
        if chance(rng, 15) {
            check.insert("expire_unused_after".into(), json!(pick(rng, &[60, 600, 3600])));
        }
    }
    let checks = scenario["health_checks"].clone();
    for (id, endpoint) in scenario["endpoints"].as_object_mut().unwrap() {
        let Some(faults) = endpoint.get_mut("faults") else { continue };
        for fault in faults.as_array_mut().unwrap() {
            match fault["kind"].as_str().unwrap() {
                "flap" if chance(rng, 50) => fault["mode"] = json!(pick(rng, &["timeout", "refuse"])),
                "degraded" if chance(rng, 30) => {
                    fault.as_object_mut().unwrap().remove("probe_error_rate");
                }
                "probe_loss" if chance(rng, 20) => {
                    fault.as_object_mut().unwrap().remove("rate");
                }
                "probe_loss" if chance(rng, 50) => {
                    let mut regions: Vec<String> = checks
                        .as_object()
                        .unwrap()
                        .values()
                        .filter(|c| probes(c) && c.get("endpoint").and_then(Value::as_str) == Some(id.as_str()))
                        .flat_map(checker_regions)
                        .filter(|_| chance(rng, 50))
                        .collect();
                    regions.sort();
                    regions.dedup();
                    if !regions.is_empty() {
                        fault["regions"] = json!(regions);
                    }
                }
                _ => {}
            }
        }
    }
    for record in scenario["dns"]["records"].as_object_mut().unwrap().values_mut() {
        if let Some(failover) = record.get_mut("failover")
            && failover.get("when_all_unhealthy").is_none()
            && chance(rng, 15)
        {
            failover["when_all_unhealthy"] = json!("primary");
        }
    }
    for pool in scenario["resolvers"].as_object_mut().unwrap().values_mut() {
        if pool["cache"] == true && chance(rng, 30) {
            pool["clock"] = json!(pick(rng, &["exact", "whole_seconds"]));
        }
    }
    let pools: Vec<String> = scenario["resolvers"].as_object().unwrap().keys().cloned().collect();
    for group in scenario["clients"].as_object_mut().unwrap().values_mut() {
        if group["dns_cache"]["mode"] == "ttl" && chance(rng, 25) {
            let low = group["dns_cache"].get("ttl_min").map_or(0, |t| t.as_u64().unwrap());
            group["dns_cache"]["ttl_max"] = json!(pick(rng, &[low, 300, 3600]));
        }
        if pools.len() > 1 && chance(rng, 40) {
            let mut weights = Map::new();
            for pool in &pools {
                weights.insert(pool.clone(), json!(pick(rng, &[0.0, 0.5, 1.0, 3.0])));
            }
            if weights.values().all(|w| w == 0.0) {
                weights.insert(pools[0].clone(), json!(1.0));
            }
            group["resolvers"] = Value::Object(weights);
        }
    }
}

/// Sometimes a CloudWatch check per endpoint and a calculated check over the others, used
/// by a record's primary, from a stream of their own so that the rest of the scenario stays
/// what it was for this seed.
fn add_check_kinds(
    seed: u64,
    endpoint_names: &[String],
    checks: &mut Map<String, Value>,
    records: &mut Map<String, Value>,
) {
    let mut rng = fosim::rng::stream(seed, "swarm-check-kinds");
    let rng = &mut rng;
    for (i, endpoint) in endpoint_names.iter().enumerate() {
        if chance(rng, 40) {
            checks.insert(
                format!("cw{i}"),
                json!({
                    "endpoint": endpoint, "type": "cloudwatch_metric",
                    "metric": pick(rng, &["error_rate", "latency_average", "latency_p99"]),
                    "threshold": pick(rng, &[0.0, 0.05, 0.5, 1.0]),
                    "comparison": pick(rng, &["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold"]),
                    "period": pick(rng, &[10, 60]),
                    "evaluation_periods": seconds(rng, 1, 3),
                    "data_delay": dist(rng, 0, 90),
                    "insufficient_data_health_status": pick(rng, &["healthy", "unhealthy", "last_known_status"]),
                    "outage_data": pick(rng, &["missing", "errors"]),
                    "inverted": chance(rng, 5),
                    "disabled": chance(rng, 5),
                }),
            );
        }
    }
    let children: Vec<String> = checks.keys().cloned().collect();
    if children.is_empty() || !chance(rng, 60) {
        return;
    }
    checks.insert(
        "calc".into(),
        json!({
            "type": "calculated", "children": children, "health_threshold": seconds(rng, 0, children.len() as u64 + 1),
            "update_delay": dist(rng, 0, 30), "inverted": chance(rng, 5), "disabled": chance(rng, 5),
        }),
    );
    for record in records.values_mut() {
        if chance(rng, 50) {
            record["failover"]["primary"]["health_check"] = json!(pick(rng, &["calc".to_owned(), children[0].clone()]));
        }
    }
}

/// Sometimes a load balancer in front of some of the endpoints, which a record's primary
/// aliases (with or without evaluating target health) and an HTTP check may probe, from a
/// stream of its own so that the rest of the scenario stays what it was for this seed.
fn add_load_balancer(
    seed: u64,
    endpoint_names: &[String],
    endpoints: &mut Map<String, Value>,
    checks: &mut Map<String, Value>,
    records: &mut Map<String, Value>,
) {
    let mut rng = fosim::rng::stream(seed, "swarm-load-balancers");
    let rng = &mut rng;
    if !chance(rng, 40) {
        return;
    }
    let targets: Vec<&String> = endpoint_names.iter().filter(|_| chance(rng, 70)).collect();
    let targets = if targets.is_empty() { vec![&endpoint_names[0]] } else { targets };
    let interval = seconds(rng, 5, 60);
    endpoints.insert(
        "lb".into(),
        json!({ "load_balancer": {
            "targets": targets, "interval": interval, "timeout": seconds(rng, 2, (interval - 1).min(10)),
            "healthy_threshold": seconds(rng, 2, 10), "unhealthy_threshold": seconds(rng, 2, 10),
            "eth_delay": dist(rng, 0, 60),
        } }),
    );
    if chance(rng, 30) {
        checks.insert(
            "lb-http".into(),
            json!({ "endpoint": "lb", "request_interval": 10, "regions": ["us-east-1", "eu-west-1", "sa-east-1"] }),
        );
    }
    for record in records.values_mut() {
        if chance(rng, 60) {
            let health_check =
                if checks.contains_key("lb-http") && chance(rng, 50) { json!("lb-http") } else { Value::Null };
            record["failover"]["primary"] =
                json!({ "alias": "lb", "evaluate_target_health": chance(rng, 70), "health_check": health_check });
        }
    }
}

/// Record sets a latency tree serves from, and one no record serves from (a client there
/// gets the records' regions in name order unless `dns.latency_order` places it).
const TREE_REGIONS: [&str; 4] = ["us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"];
const UNSERVED_REGION: &str = "af-south-1";

/// Sometimes record trees next to the failover pairs — weighted (zero weights too),
/// latency, multivalue and simple sets, values of one or several endpoints, aliases to the
/// pairs, the load balancer and each other, nested up to six sets deep (each set aliases
/// only sets made before it, so never in a cycle),
/// failover records whose primary aliases a weighted or latency set with ETH — and client
/// groups that ask them from a region, choose among several addresses and try the next
/// one; from a stream of their own so that the rest of the scenario stays what it was for
/// this seed.
fn add_record_trees(seed: u64, scenario: &mut Value) {
    let mut rng = fosim::rng::stream(seed, "swarm-record-trees");
    let rng = &mut rng;
    if !chance(rng, 60) {
        return;
    }
    let endpoints: Vec<String> = scenario["endpoints"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, e)| e.get("load_balancer").is_none())
        .map(|(id, _)| id.clone())
        .collect();
    let load_balancer = scenario["endpoints"].get("lb").is_some();
    let checks: Vec<String> = scenario["health_checks"].as_object().unwrap().keys().cloned().collect();
    let pools: Vec<String> = scenario["resolvers"].as_object().unwrap().keys().cloned().collect();
    let records = scenario["dns"]["records"].as_object_mut().unwrap();
    // Sets an alias may target: the pairs, then each tree set once it is made.
    let mut targets: Vec<String> = records.keys().cloned().collect();
    // Weighted and latency sets: what a failover primary aliases.
    let mut pools_of_sets: Vec<String> = Vec::new();
    let mut served: Vec<&str> = Vec::new();
    let mut made: Vec<String> = Vec::new();
    let check_for = |rng: &mut fosim::rng::Stream, endpoint: &str, percent: u64| -> Option<String> {
        if checks.is_empty() || !chance(rng, percent) {
            return None;
        }
        let own = format!("hc{}", &endpoint[1..]);
        Some(if checks.contains(&own) && chance(rng, 75) { own } else { pick(rng, &checks).clone() })
    };
    // One record's value: an endpoint, several, or (when allowed) an alias to an earlier
    // set or the load balancer. Returns the value and its first endpoint (for its check).
    let value = |rng: &mut fosim::rng::Stream, alias: bool, targets: &[String]| -> (Value, Option<String>) {
        if alias && chance(rng, 45) {
            let target = if load_balancer && chance(rng, 15) { "lb".to_owned() } else { pick(rng, targets).clone() };
            return (json!({ "alias": target, "evaluate_target_health": chance(rng, 65) }), None);
        }
        if chance(rng, 30) {
            let mut list: Vec<String> = Vec::new();
            for _ in 0..seconds(rng, 2, 3) {
                let e = pick(rng, &endpoints).clone();
                // An address listed twice is valid, if odd: keep it now and then.
                if !list.contains(&e) || chance(rng, 10) {
                    list.push(e);
                }
            }
            let first = list[0].clone();
            return (json!({ "endpoints": list }), Some(first));
        }
        let e = pick(rng, &endpoints).clone();
        (json!({ "endpoint": e }), Some(e))
    };
    for t in 0..seconds(rng, 2, 6) {
        let name = format!("t{t}");
        let alias = t > 0;
        let policy = if alias && !pools_of_sets.is_empty() && chance(rng, 25) {
            "failover"
        } else {
            *pick(rng, &["weighted", "latency", "multivalue", "simple"])
        };
        let mut set = Map::new();
        let mut own_addresses = false;
        match policy {
            "failover" => {
                let primary = json!({ "alias": pick(rng, &pools_of_sets), "evaluate_target_health": true });
                let (mut secondary, first) = value(rng, false, &targets);
                if let Some(hc) = first.and_then(|e| check_for(rng, &e, 60)) {
                    secondary["health_check"] = json!(hc);
                }
                let mut failover = json!({ "primary": primary, "secondary": secondary });
                if chance(rng, 20) {
                    failover["when_all_unhealthy"] = json!("random");
                }
                set.insert("failover".into(), failover);
                own_addresses = true;
            }
            "simple" => {
                let (record, first) = value(rng, alias, &targets);
                own_addresses = first.is_some();
                set.insert("simple".into(), record);
            }
            _ => {
                let all_zero = policy == "weighted" && chance(rng, 15);
                let with_checks = chance(rng, 60);
                let size =
                    if policy == "multivalue" && chance(rng, 15) { seconds(rng, 8, 10) } else { seconds(rng, 1, 4) };
                let mut members = Map::new();
                let mut regions: Vec<&str> = TREE_REGIONS.to_vec();
                for m in 0..size {
                    if policy == "latency" && regions.is_empty() {
                        break;
                    }
                    let (mut record, first) = value(rng, alias && policy != "multivalue", &targets);
                    own_addresses |= first.is_some();
                    if with_checks && let Some(hc) = first.and_then(|e| check_for(rng, &e, 80)) {
                        record["health_check"] = json!(hc);
                    }
                    match policy {
                        "weighted" => {
                            let weight = if all_zero || chance(rng, 25) {
                                0
                            } else {
                                {
                                    let any = rng.next_u64() % 256;
                                    *pick(rng, &[1, 1, 2, 3, 10, 255, any])
                                }
                            };
                            record["weight"] = json!(weight);
                        }
                        "latency" => {
                            let region = regions.remove((rng.next_u64() % regions.len() as u64) as usize);
                            if !served.contains(&region) {
                                served.push(region);
                            }
                            record["region"] = json!(region);
                        }
                        _ => {}
                    }
                    members.insert(format!("m{m}"), record);
                }
                set.insert(policy.into(), Value::Object(members));
            }
        }
        if own_addresses || chance(rng, 50) {
            set.insert("ttl".into(), json!(pick(rng, &[0, 5, 30, 60, 300])));
        }
        records.insert(name.clone(), Value::Object(set));
        if matches!(policy, "weighted" | "latency") {
            pools_of_sets.push(name.clone());
        }
        targets.push(name.clone());
        made.push(name);
    }
    let mut client_regions: Vec<&str> = Vec::new();
    let clients = scenario["clients"].as_object_mut().unwrap();
    for k in 0..seconds(rng, 0, 2) {
        let group = json!({
            "count": seconds(rng, 1, 40), "record": "", "resolvers": { pick(rng, &pools).clone(): 1.0 },
            "requests_per_s": pick(rng, &[0.05, 0.2, 1.0]), "dns_cache": { "mode": pick(rng, &["ttl", "none"]) },
            "on_failure": pick(rng, &["keep", "reresolve"]),
        });
        clients.insert(format!("tg{k}"), group);
    }
    for group in clients.values_mut() {
        if group["record"] != "" && !chance(rng, 60) {
            continue;
        }
        // Mostly the sets made last, which alias the others.
        let record = if chance(rng, 60) { made.last().unwrap() } else { pick(rng, &made) };
        group["record"] = json!(record);
        if chance(rng, 75) {
            let region = if chance(rng, 20) { UNSERVED_REGION } else { *pick(rng, &TREE_REGIONS) };
            client_regions.push(region);
            group["region"] = json!(region);
        }
        if chance(rng, 50) {
            group["address_choice"] = json!(pick(rng, &["first", "random"]));
        }
        if chance(rng, 50) {
            group["on_connect_failure"] = json!("next_address");
            if chance(rng, 70) {
                group["connect_timeout"] = json!(pick(rng, &[1, 3, 10]));
            }
        } else if chance(rng, 10) {
            group["on_connect_failure"] = json!("fail");
        }
    }
    if !served.is_empty() && !client_regions.is_empty() && chance(rng, 60) {
        let mut order = Map::new();
        for region in client_regions {
            if chance(rng, 60) {
                let mut listed: Vec<&str> = served.iter().copied().filter(|_| chance(rng, 70)).collect();
                if chance(rng, 50) {
                    listed.reverse();
                }
                order.insert(region.to_owned(), json!(listed));
            }
        }
        scenario["dns"]["latency_order"] = Value::Object(order);
    }
}

fn check_stats(s: &FailoverStats, active: u64, stranded: u64, at: &str) {
    assert_eq!(s.count + stranded, active, "{at}: failed over + stranded = active");
    let ordered: Vec<f64> = [s.p50, s.p90, s.p99, s.max].iter().flatten().copied().collect();
    assert!(ordered.windows(2).all(|w| w[0] <= w[1]), "{at}: percentiles out of order {s:?}");
    if stranded == 0 && active > 0 {
        assert!(s.max.is_some() && s.mean.unwrap() <= s.max.unwrap() + 1e-9, "{at}: {s:?}");
    }
    if stranded > 0 {
        assert_eq!(s.max, None, "{at}: max is never when a client is stranded");
    }
}

/// Figures of a pair of DNS times (from the start) and failback (from the end): each
/// non-negative, the last switch not before the first and only with it, a failback only
/// after some name server switched.
/// Failover stages (docs/model.md §7.2.7) exist iff some client failed over; each is 0 or more
/// with p50 ≤ p99, and their means add up to the failover time's mean.
fn check_stages(g: &fosim::report::EpisodeGroup, at: &str) {
    let failover = &g.client_failover_s;
    assert_eq!(g.stages.is_some(), failover.count > 0, "{at}: stages iff a client failed over");
    let Some(stages) = &g.stages else { return };
    let mut sum = 0.0;
    for (name, _, s) in stages.each() {
        assert!(s.mean_s >= 0.0 && 0.0 <= s.p50_s && s.p50_s <= s.p99_s, "{at}: stage {name} {s:?}");
        assert!(s.p99_s <= failover.max.unwrap_or(f64::INFINITY) + 1e-6, "{at}: stage {name} beyond the max");
        sum += s.mean_s;
    }
    let mean = failover.mean.expect("a mean when a client failed over");
    assert!((sum - mean).abs() <= 1e-6 * mean.max(1.0), "{at}: stages add up to {sum}, failover mean {mean}");
}

fn check_dns_times(first: Option<f64>, last: Option<f64>, failback: Option<f64>, at: &str) {
    assert!([first, last, failback].iter().flatten().all(|&t| t >= 0.0), "{at}: negative DNS time");
    match (first, last) {
        (Some(first), Some(last)) => assert!(first <= last, "{at}: switch first {first} > last {last}"),
        (None, Some(_)) => panic!("{at}: a last switch without a first"),
        _ => {}
    }
    assert!(failback.is_none() || first.is_some(), "{at}: a failback without a switch");
}

/// What the scenario says that the figures must agree with.
struct Shape {
    duration_s: f64,
    /// What name servers are asked: each record set, once per client region for a set
    /// routed by latency.
    questions: usize,
    /// Record sets some group asks.
    asked: Vec<String>,
    /// Some group tries the next address.
    next_address: bool,
    /// The longest connect timeout of those groups, times the most addresses an answer can
    /// hold (eight records of at most three addresses): a bound on the time a request loses.
    delay_max_s: f64,
    /// `dns.query_price_per_million`.
    price: Option<f64>,
}

impl Shape {
    fn of(scenario: &Value, duration_s: f64) -> Shape {
        let groups = scenario["clients"].as_object().unwrap();
        let mut asked: Vec<String> = groups.values().map(|g| g["record"].as_str().unwrap().to_owned()).collect();
        asked.sort();
        asked.dedup();
        let next: Vec<&Value> = groups.values().filter(|g| g["on_connect_failure"] == "next_address").collect();
        let timeout_max =
            next.iter().map(|g| g.get("connect_timeout").map_or(3.0, |t| t.as_f64().unwrap())).fold(0.0, f64::max);
        Shape {
            duration_s,
            questions: config_from(scenario).questions.len(),
            asked,
            next_address: !next.is_empty(),
            delay_max_s: timeout_max * 8.0 * 3.0,
            price: scenario["dns"].get("query_price_per_million").map(|p| p.as_f64().unwrap()),
        }
    }
}

fn check_invariants(run: &RunResult, shape: &Shape) {
    let duration_s = shape.duration_s;
    let t = &run.totals;
    assert!(t.requests_failed <= t.requests_misrouted, "every failed request went to a faulty endpoint");
    assert!(t.requests_misrouted <= t.requests);
    assert!((0.0..=1.0).contains(&t.availability));
    assert!(t.authoritative_queries <= t.resolver_queries, "each resolver query asks at most one name server");
    let per_s = t.authoritative_queries as f64 / duration_s;
    assert!((t.authoritative_queries_per_s - per_s).abs() <= 1e-9 * per_s.max(1.0), "{t:?}");
    match (shape.price, t.query_cost_per_month) {
        (None, None) => {}
        (Some(price), Some(cost)) => {
            let expected = per_s * 30.0 * 86_400.0 / 1e6 * price;
            assert!(cost >= 0.0 && (cost - expected).abs() <= 1e-9 * expected.max(1.0), "cost {cost} at {price}");
        }
        (price, cost) => panic!("query cost {cost:?} with query price {price:?}"),
    }
    // Summed over questions (record sets, per client region where latency routing occurs).
    let false_failover_max_s = duration_s * shape.questions as f64 + 1e-6;
    assert!(t.false_failover_s >= 0.0 && t.false_failover_s <= false_failover_max_s, "{}", t.false_failover_s);
    assert_eq!(run.groups.values().map(|g| g.requests).sum::<u64>(), t.requests);
    assert_eq!(run.groups.values().map(|g| g.requests_failed).sum::<u64>(), t.requests_failed);
    assert_eq!(run.groups.values().map(|g| g.requests_misrouted).sum::<u64>(), t.requests_misrouted);
    for (id, g) in &run.groups {
        assert!(g.requests_failed <= g.requests_misrouted && g.requests_misrouted <= g.requests, "group {id}: {g:?}");
        let availability =
            if g.requests == 0 { 1.0 } else { (g.requests - g.requests_failed) as f64 / g.requests as f64 };
        assert!((g.availability - availability).abs() <= 1e-12, "group {id}: {g:?}");
    }
    for (id, c) in &run.health_checks {
        assert!(c.probes_failed <= c.probes, "{id}");
        assert!(c.false_failovers <= c.went_unhealthy, "{id}");
    }
    assert_eq!(run.health_checks.values().map(|c| c.false_failovers).sum::<u64>(), t.false_failovers);
    for (i, e) in run.episodes.iter().enumerate() {
        let at = format!("episode {i}");
        assert!(e.start_s < e.end_s && e.end_s <= duration_s + 1e-6, "{at}: {} – {}", e.start_s, e.end_s);
        // Times from the start end with the run, and so do times from the end.
        let (after_start, after_end) = (duration_s - e.start_s + 1e-6, duration_s - e.end_s + 1e-6);
        let from_start = [e.detection_s, e.dns_switch_first_s, e.dns_switch_last_s, e.client_failover_s.max];
        let from_start = from_start
            .into_iter()
            .chain(e.record_sets.values().flat_map(|r| [r.dns_switch_first_s, r.dns_switch_last_s]));
        assert!(
            from_start.flatten().all(|t| t <= after_start),
            "{at}: a time from its start past the run's end: {e:?}"
        );
        let from_end = [e.recovery_detection_s, e.dns_failback_last_s].into_iter();
        let from_end = from_end.chain(e.record_sets.values().map(|r| r.dns_failback_last_s));
        assert!(from_end.flatten().all(|t| t <= after_end), "{at}: a time from its end past the run's end: {e:?}");
        assert!(e.requests_failed <= e.requests_misrouted, "{at}");
        assert!(e.clients_stranded <= e.clients_active, "{at}");
        check_stats(&e.client_failover_s, e.clients_active, e.clients_stranded, &at);
        assert!(e.detection_s.is_none_or(|d| d >= 0.0), "{at}");
        check_dns_times(e.dns_switch_first_s, e.dns_switch_last_s, e.dns_failback_last_s, &at);
        assert!(e.recovery_detection_s.is_none_or(|r| r >= 0.0), "{at}");
        assert_eq!(e.groups.values().map(|g| g.clients_active).sum::<u64>(), e.clients_active, "{at}");
        assert_eq!(e.groups.values().map(|g| g.clients_stranded).sum::<u64>(), e.clients_stranded, "{at}");
        assert_eq!(e.groups.values().map(|g| g.requests_misrouted).sum::<u64>(), e.requests_misrouted, "{at}");
        assert_eq!(e.groups.values().map(|g| g.requests_failed).sum::<u64>(), e.requests_failed, "{at}");
        for (g, eg) in &e.groups {
            check_stats(&eg.client_failover_s, eg.clients_active, eg.clients_stranded, &format!("{at}/{g}"));
            check_stages(eg, &format!("{at}/{g}"));
        }
        check_failback(e, duration_s, &at);
        assert!(e.record_sets.len() != 1, "{at}: record_sets only when several sets can answer the endpoint");
        for (name, r) in &e.record_sets {
            assert!(shape.asked.contains(name), "{at}: record set {name} is asked by no group");
            check_dns_times(r.dns_switch_first_s, r.dns_switch_last_s, r.dns_failback_last_s, &format!("{at}/{name}"));
        }
        assert_eq!(
            e.request_delay_s.is_some(),
            shape.next_address,
            "{at}: request_delay_s iff a group tries the next address"
        );
        if let Some(d) = &e.request_delay_s {
            let at = format!("{at}: request_delay_s {d:?}");
            match (d.requests, d.mean, d.p99) {
                (0, None, None) => {}
                (n, Some(mean), Some(p99)) if n > 0 => {
                    assert!(p99 >= 0.0 && mean >= 0.0 && mean <= shape.delay_max_s + 1e-9, "{at}");
                    // Nearest rank: the requests from rank ⌈0.99 n⌉ on lost at least p99
                    // (mean ≤ p99 need not hold: one long wait among 100 short ones).
                    let above = n - ((0.99 * n as f64).ceil() as u64).clamp(1, n) + 1;
                    assert!(mean * n as f64 >= p99 * above as f64 - 1e-6, "{at}");
                }
                _ => panic!("{at}: a count without mean and p99, or the reverse"),
            }
        }
    }
}

/// Failback (docs/model.md §7.2.8): only for episodes that ended before the run, over the
/// clients that failed over; every one of them back or away; times from the end within the
/// run; the groups add up to the episode.
fn check_failback(e: &fosim::report::EpisodeResult, duration_s: f64, at: &str) {
    if e.end_s >= duration_s - 1e-9 {
        assert!(e.failback.is_none(), "{at}: failback for an episode lasting to the end of the run");
    }
    let Some(total) = &e.failback else {
        assert!(e.groups.values().all(|g| g.failback.is_none()), "{at}: group failback without the episode's");
        return;
    };
    let after_end = duration_s - e.end_s + 1e-6;
    let check = |f: &fosim::report::Failback, failed_over: u64, at: &str| {
        assert_eq!(f.clients_failed_over, failed_over, "{at}: failback over the clients that failed over");
        let b = &f.back_s;
        assert!(b.count <= f.clients_failed_over, "{at}: more back than failed over: {f:?}");
        assert_eq!(
            b.count + f.clients_away_at_end + f.clients_away_at_next_fault,
            f.clients_failed_over,
            "{at}: {f:?}"
        );
        assert!(f.clients_away_at_end <= f.clients_failed_over, "{at}: {f:?}");
        assert!(f.clients_away_at_end == 0 || f.clients_away_at_next_fault == 0, "{at}: one window end: {f:?}");
        let times = [b.mean, b.p50, b.p90, b.p99, b.max];
        assert!(
            times.iter().flatten().all(|&t| (0.0..=after_end).contains(&t)),
            "{at}: a time back outside the run: {f:?}"
        );
        assert!(b.p50.is_none_or(|p50| b.max.is_none_or(|max| p50 <= max)), "{at}: {f:?}");
        assert_eq!(b.max.is_some(), b.count == f.clients_failed_over && b.count > 0, "{at}: max iff all back: {f:?}");
        assert!(f.requests_elsewhere_expected >= 0.0 && f.requests_elsewhere_expected.is_finite(), "{at}: {f:?}");
    };
    // Only the groups whose answer names the endpoint while all is well have a failback.
    let with: Vec<_> = e.groups.iter().filter(|(_, g)| g.failback.is_some()).collect();
    assert!(!with.is_empty(), "{at}: an episode's failback without any group's");
    check(total, with.iter().map(|(_, g)| g.client_failover_s.count).sum(), at);
    let groups: Vec<&fosim::report::Failback> = with.iter().filter_map(|(_, g)| g.failback.as_ref()).collect();
    for (g, eg) in &with {
        check(eg.failback.as_ref().expect("filtered"), eg.client_failover_s.count, &format!("{at}/{g}"));
    }
    assert_eq!(groups.iter().map(|f| f.back_s.count).sum::<u64>(), total.back_s.count, "{at}");
    assert_eq!(groups.iter().map(|f| f.clients_away_at_end).sum::<u64>(), total.clients_away_at_end, "{at}");
    let requests: f64 = groups.iter().map(|f| f.requests_elsewhere_expected).sum();
    assert!((requests - total.requests_elsewhere_expected).abs() <= 1e-9 * requests.max(1.0), "{at}");
}

/// The first run's time series: one row per bucket, shares are shares, changes and
/// datapoints in the run and in order; every run's client rows.
fn check_trace(report: &Report, scenario: &Value) {
    let trace = report.trace.as_ref().expect("replication 0 is traced");
    let config = config_from(scenario);
    assert_eq!(trace.timeline.len(), config.timeline_rows(), "timeline rows");
    let bucket_s = config.timeline_bucket_us as f64 / 1e6;
    for (i, row) in trace.timeline.iter().enumerate() {
        assert!((row.start_s - i as f64 * bucket_s).abs() <= 1e-6, "timeline row {i} starts at {}", row.start_s);
    }
    let duration_s = report.duration_s + 1e-6;
    let times = trace.check_changes.iter().map(|c| c.0).chain(trace.checker_flips.iter().map(|c| c.0));
    assert!(times.clone().all(|t| (0.0..=duration_s).contains(&t)), "a check change outside the run");
    for c in &trace.clients {
        let start_s = report.run_results[c.run as usize].episodes[c.episode as usize].start_s;
        assert!(c.failover_s.is_none_or(|f| f >= 0.0 && f <= duration_s - start_s), "{c:?}");
    }
    // The clients of every run (or of run 1 past the cap), each run's active ones all there.
    assert_eq!(trace.clients_pooled, fosim::report::csv::pools_every_run(report));
    for (run, result) in report.run_results.iter().enumerate() {
        let rows = trace.clients.iter().filter(|c| c.run as usize == run).count() as u64;
        let active: u64 = result.episodes.iter().map(|e| e.clients_active).sum();
        assert_eq!(rows, if run == 0 || trace.clients_pooled { active } else { 0 }, "client rows of run {}", run + 1);
    }
    assert!(trace.clients.windows(2).all(|w| w[0].run <= w[1].run), "client rows in run order");
    for d in &trace.datapoints {
        assert!(d.period_start_s < d.period_end_s && d.period_end_s <= d.arrived_s, "{d:?}");
        assert!(d.value.is_none_or(|v| v >= 0.0 && v.is_finite()), "{d:?}");
    }
    for row in &trace.timeline {
        let at = format!("timeline at {} s", row.start_s);
        let shares = row.clients_share.iter().chain(&row.name_servers_share).chain(&row.checkers_healthy_share);
        assert!(shares.clone().all(|s| (0.0..=1.0 + 1e-9).contains(s)), "{at}: a share outside [0, 1]: {row:?}");
        assert!(row.clients_share.iter().sum::<f64>() <= 1.0 + 1e-9, "{at}: client shares sum above 1: {row:?}");
        assert!(row.requests_failed.iter().zip(&row.requests).all(|(f, r)| f <= r), "{at}: {row:?}");
    }
}

type EpisodeChecksAndDns<'a> = (
    (&'a str, &'a str, &'a str, u32, f64, f64, &'a Option<String>),
    (Option<f64>, Option<f64>),
    (Option<f64>, Option<f64>, Option<f64>, &'a BTreeMap<String, RecordSetTimes>),
);

/// An episode's figures that count no request: the fault, its checks, the name servers.
fn episode_checks_and_dns(r: &EpisodeResult) -> EpisodeChecksAndDns<'_> {
    (
        (&r.endpoint, &r.kind, &r.fault, r.occurrence, r.start_s, r.end_s, &r.health_check),
        (r.detection_s, r.recovery_detection_s),
        (r.dns_switch_first_s, r.dns_switch_last_s, r.dns_failback_last_s, &r.record_sets),
    )
}

fn timeline_dns_and_checks(r: &TimelineRow) -> (&[f64], &[bool], &[f64]) {
    (&r.name_servers_share, &r.check_healthy, &r.checkers_healthy_share)
}

/// Aggregated requests (§8) change how requests are drawn, never what checkers, faults and
/// name servers do (each has its own stream, §1.3): every figure that does not count
/// requests is the same with `exact_requests`.
fn check_request_free_figures(aggregated: &Report, exact: &Report) {
    for (a, e) in aggregated.run_results.iter().zip(&exact.run_results) {
        let at = format!("replication {}, aggregated vs exact requests", a.replication);
        assert_eq!(a.health_checks, e.health_checks, "{at}");
        assert_eq!(
            (a.totals.false_failovers, a.totals.false_failover_s),
            (e.totals.false_failovers, e.totals.false_failover_s),
            "{at}"
        );
        assert_eq!(a.episodes.len(), e.episodes.len(), "{at}");
        for (i, (x, y)) in a.episodes.iter().zip(&e.episodes).enumerate() {
            assert_eq!(episode_checks_and_dns(x), episode_checks_and_dns(y), "{at}: episode {i}");
        }
    }
    let (a, e) = (aggregated.trace.as_ref().unwrap(), exact.trace.as_ref().unwrap());
    assert!(a.check_changes == e.check_changes && a.checker_flips == e.checker_flips, "check changes differ");
    assert!(a.datapoints == e.datapoints, "CloudWatch datapoints differ");
    assert_eq!(a.timeline.len(), e.timeline.len());
    for (x, y) in a.timeline.iter().zip(&e.timeline) {
        assert_eq!(timeline_dns_and_checks(x), timeline_dns_and_checks(y), "timeline at {} s", x.start_s);
    }
}

#[test]
fn random_scenarios_keep_the_invariants_and_are_deterministic() {
    let pool = |threads| rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let (one_thread, two_threads) = (pool(1), pool(2));
    let (mut load_balancers, mut trees) = (0, 0);
    let schema = fosim::scenario::json_schema();
    let mut used = BTreeSet::new();
    let mut presets: BTreeMap<String, usize> = BTreeMap::new();
    let seeds = swarm_seeds();
    let n = seeds.end.saturating_sub(seeds.start) as usize;
    for seed in seeds {
        let scenario = random_scenario(seed);
        load_balancers += usize::from(scenario["endpoints"].get("lb").is_some());
        trees += usize::from(scenario["dns"]["records"].get("t0").is_some());
        used_names(&schema, &schema, &scenario, "Scenario", &mut used);
        let checks = scenario["health_checks"].as_object().unwrap().values().filter(|c| probes(c));
        for preset in
            checks.map(|c| c.get("preset").and_then(Value::as_str).unwrap_or("route53")).collect::<BTreeSet<_>>()
        {
            *presets.entry(preset.to_owned()).or_default() += 1;
        }
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let a = two_threads.install(|| simulate(&scenario, 2));
            let b = one_thread.install(|| simulate(&scenario, 2));
            assert!(a == b && report::json(&a) == report::json(&b), "runs on 2 threads and on 1 differ");
            let shape = Shape::of(&scenario, a.duration_s);
            for run in &a.run_results {
                check_invariants(run, &shape);
            }
            check_trace(&a, &scenario);
            check_intervals(&a);
            let exact = fosim::simulate::simulate(&config_from(&scenario), &scenario, 2, true, &|_, _| {})
                .expect("the run succeeds");
            check_request_free_figures(&a, &exact);
        }));
        if let Err(panic) = outcome {
            eprintln!("swarm seed {seed} failed; scenario:\n{}", serde_json::to_string_pretty(&scenario).unwrap());
            std::panic::resume_unwind(panic);
        }
    }
    assert!(load_balancers >= n / 20, "only {load_balancers} of {n} scenarios have a load balancer");
    assert!(trees >= n * 2 / 5, "only {trees} of {n} scenarios have record trees");
    for preset in fosim::scenario::presets::PRESETS {
        let with = presets.get(preset.name).copied().unwrap_or(0);
        assert!(with >= n / 10, "only {with} of {n} scenarios have a check with preset {}", preset.name);
    }
    let mut expected = BTreeSet::new();
    schema_names(&schema, &schema, "Scenario", &mut BTreeSet::new(), &mut expected);
    let missing: Vec<&String> = expected.difference(&used).filter(|n| !UNSWARMED.contains(&n.as_str())).collect();
    assert!(missing.is_empty(), "the swarm never uses these fields or values of the scenario schema: {missing:?}");
}

/// Every summary interval holds its mean and stays within its figure's range: no figure is
/// below zero, and shares are within [0, 1] (docs/model.md §7.7).
fn check_intervals(report: &fosim::report::Report) {
    for row in &report.summary {
        let (Some(mean), Some(low), Some(high)) = (row.mean, row.ci95_low, row.ci95_high) else { continue };
        assert!(low >= 0.0 && low <= mean + 1e-9 && mean <= high + 1e-9, "{}: {mean} [{low}, {high}]", row.metric);
        if row.metric.ends_with("/availability") {
            assert!(high <= 1.0, "{}: a share's interval above 1: {high}", row.metric);
        }
    }
}

/// The schema's fields that no swarm scenario needs: text for readers and editors, and
/// what `fosim import` records for `--export` (the import tests run it), none of them read
/// by the model.
const UNSWARMED: [&str; 3] = ["Scenario.$schema", "Scenario.description", "Scenario.origin"];

/// A named value as the coverage lists it.
fn value_name(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

/// Every field and named value of the schema below `node`: "Type.field", "Type.field.inner"
/// for an inline object, "Type=value" for a value of an enumeration (`at` names the place).
fn schema_names(root: &Value, node: &Value, at: &str, seen: &mut BTreeSet<String>, out: &mut BTreeSet<String>) {
    if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/$defs/");
        if seen.insert(name.to_owned()) {
            schema_names(root, &root["$defs"][name], name, seen, out);
        }
        return;
    }
    let named = node.get("enum").and_then(Value::as_array).into_iter().flatten().chain(node.get("const"));
    out.extend(named.filter(|v| !v.is_null()).map(|v| format!("{at}={}", value_name(v))));
    for (field, inner) in node.get("properties").and_then(Value::as_object).into_iter().flatten() {
        let here = format!("{at}.{field}");
        out.insert(here.clone());
        schema_names(root, inner, &here, seen, out);
    }
    for inner in ["additionalProperties", "items"].iter().filter_map(|k| node.get(*k)).filter(|n| n.is_object()) {
        schema_names(root, inner, at, seen, out);
    }
    for alternative in ["anyOf", "oneOf", "allOf"].iter().filter_map(|k| node[*k].as_array()).flatten() {
        schema_names(root, alternative, at, seen, out);
    }
}

/// The names of `schema_names` that `value`, an instance of `node`, uses.
fn used_names(root: &Value, node: &Value, value: &Value, at: &str, out: &mut BTreeSet<String>) {
    if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/$defs/");
        return used_names(root, &root["$defs"][name], value, name, out);
    }
    let mut named = node.get("enum").and_then(Value::as_array).into_iter().flatten().chain(node.get("const"));
    if !value.is_null() && named.any(|v| v == value) {
        out.insert(format!("{at}={}", value_name(value)));
    }
    if let Value::Object(fields) = value {
        let properties = node.get("properties").and_then(Value::as_object);
        for (field, inner) in fields {
            if let Some(schema) = properties.and_then(|p| p.get(field)) {
                let here = format!("{at}.{field}");
                out.insert(here.clone());
                used_names(root, schema, inner, &here, out);
            }
        }
        if let Some(schema) = node.get("additionalProperties").filter(|n| n.is_object()) {
            fields.values().for_each(|inner| used_names(root, schema, inner, at, out));
        }
    }
    if let (Value::Array(items), Some(schema)) = (value, node.get("items").filter(|n| n.is_object())) {
        items.iter().for_each(|inner| used_names(root, schema, inner, at, out));
    }
    for alternative in ["anyOf", "oneOf", "allOf"].iter().filter_map(|k| node[*k].as_array()).flatten() {
        used_names(root, alternative, value, at, out);
    }
}
