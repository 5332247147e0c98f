//! A swarm of random valid scenarios: each runs twice (same bytes), and every run's figures
//! satisfy the invariants that hold whatever the scenario. A failure prints the seed and
//! the scenario so it can be replayed.

use crate::support::simulate;
use fosim::report::{FailoverStats, RunResult};
use rand::Rng;
use serde_json::{Map, Value, json};

const SWARM_SIZE: u64 = 60;

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
    json!({
        "name": format!("swarm-{seed}"),
        "seed": seed,
        "duration": duration,
        "endpoints": endpoints,
        "health_checks": checks,
        "dns": { "name_servers": seconds(rng, 1, 5), "propagation_delay": dist(rng, 0, 20), "records": records },
        "resolvers": pools,
        "clients": clients,
    })
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

fn check_invariants(run: &RunResult, duration_s: f64) {
    let t = &run.totals;
    assert!(t.requests_failed <= t.requests_misrouted, "every failed request went to a faulty endpoint");
    assert!(t.requests_misrouted <= t.requests);
    assert!((0.0..=1.0).contains(&t.availability));
    assert!(t.authoritative_queries <= t.resolver_queries, "each resolver query asks at most one name server");
    assert!(t.false_failover_s >= 0.0 && t.false_failover_s <= duration_s + 1e-6);
    assert_eq!(run.groups.values().map(|g| g.requests).sum::<u64>(), t.requests);
    assert_eq!(run.groups.values().map(|g| g.requests_failed).sum::<u64>(), t.requests_failed);
    for (id, c) in &run.health_checks {
        assert!(c.probes_failed <= c.probes, "{id}");
        assert!(c.false_failovers <= c.went_unhealthy, "{id}");
    }
    assert_eq!(run.health_checks.values().map(|c| c.false_failovers).sum::<u64>(), t.false_failovers);
    for (i, e) in run.episodes.iter().enumerate() {
        let at = format!("episode {i}");
        assert!(e.start_s < e.end_s && e.end_s <= duration_s + 1e-6, "{at}: {} – {}", e.start_s, e.end_s);
        assert!(e.requests_failed <= e.requests_misrouted, "{at}");
        assert!(e.clients_stranded <= e.clients_active, "{at}");
        check_stats(&e.client_failover_s, e.clients_active, e.clients_stranded, &at);
        assert!(e.detection_s.is_none_or(|d| d >= 0.0), "{at}");
        if let (Some(first), Some(last)) = (e.dns_switch_first_s, e.dns_switch_last_s) {
            assert!(first <= last, "{at}");
        }
        if e.dns_switch_first_s.is_none() {
            assert_eq!(e.dns_switch_last_s, None, "{at}");
        }
        assert!(e.recovery_detection_s.is_none_or(|r| r >= 0.0), "{at}");
        assert_eq!(e.groups.values().map(|g| g.clients_active).sum::<u64>(), e.clients_active, "{at}");
        assert_eq!(e.groups.values().map(|g| g.requests_misrouted).sum::<u64>(), e.requests_misrouted, "{at}");
        for (g, eg) in &e.groups {
            check_stats(&eg.client_failover_s, eg.clients_active, eg.clients_stranded, &format!("{at}/{g}"));
        }
    }
}

#[test]
fn random_scenarios_keep_the_invariants_and_are_deterministic() {
    let mut load_balancers = 0;
    for seed in 0..SWARM_SIZE {
        let scenario = random_scenario(seed);
        load_balancers += usize::from(scenario["endpoints"].get("lb").is_some());
        let outcome = std::panic::catch_unwind(|| {
            let a = simulate(&scenario, 2);
            let b = simulate(&scenario, 2);
            assert!(a == b, "two runs of the same scenario differ");
            for run in &a.run_results {
                check_invariants(run, a.duration_s);
            }
        });
        if let Err(panic) = outcome {
            eprintln!("swarm seed {seed} failed; scenario:\n{}", serde_json::to_string_pretty(&scenario).unwrap());
            std::panic::resume_unwind(panic);
        }
    }
    assert!(load_balancers >= 10, "only {load_balancers} scenarios have a load balancer");
}
