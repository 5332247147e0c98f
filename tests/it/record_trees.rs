//! Record trees end to end (docs/model.md §4.3, §6.8): weighted shares, zero weights and
//! failing open measured in requests against the rules' closed forms (tolerances from the
//! number of requests), aliases with and without Evaluate Target Health, latency routing by
//! client region, clients trying the next address, validation in plain words.

use crate::support::{config_from, simulate};
use fosim::model::RunOptions;
use fosim::scenario::config::{build, parse};
use fosim::simulate::replicate;
use serde_json::{Value, json};
use std::path::Path;

/// Requests per endpoint over the measured time of replication 0 (by endpoint id).
fn requests_by_endpoint(scenario: &Value, exact_requests: bool) -> Vec<(String, u64)> {
    let config = config_from(scenario);
    let options = RunOptions { trace: true, exact_requests };
    let run = replicate(&config, 0, options, &mut |_| {}).expect("the run succeeds");
    let rows = run.trace.expect("traced").timeline;
    (config.endpoints.iter().enumerate())
        .map(|(e, endpoint)| (endpoint.id.clone(), rows.iter().map(|r| r.requests[e]).sum()))
        .collect()
}

fn count(by_endpoint: &[(String, u64)], id: &str) -> u64 {
    by_endpoint.iter().find(|(e, _)| e == id).map(|(_, n)| *n).expect("a known endpoint")
}

/// Asserts that `part` of `total` requests is within 4 binomial standard errors of `p`.
fn assert_share(part: u64, total: u64, p: f64, what: &str) {
    assert!(total > 1000, "{what}: too few requests ({total})");
    let share = part as f64 / total as f64;
    let se = (p * (1.0 - p) / total as f64).sqrt();
    eprintln!("{what}: {share:.4} vs {p:.4} ± {se:.4} (SE, n = {total})");
    assert!(
        (share - p).abs() <= 4.0 * se,
        "{what}: share {share:.4} vs {p:.4}, tolerance ±{:.4} (n = {total})",
        4.0 * se
    );
}

/// Clients without a cache behind forwarders: each request asks a name server, so each
/// draws its own answer. Endpoints a–d; the check of each endpoint in `unhealthy` is
/// inverted (unhealthy from the start).
fn forwarded(records: Value, record: &str, unhealthy: &[&str]) -> Value {
    let mut checks = serde_json::Map::new();
    for e in ["a", "b", "c", "d"] {
        checks.insert(format!("hc-{e}"), json!({ "endpoint": e, "type": "tcp", "inverted": unhealthy.contains(&e) }));
    }
    json!({
        "name": "forwarded", "duration": "20m", "warmup": "1m", "seed": 5,
        "endpoints": { "a": {}, "b": {}, "c": {}, "d": {} },
        "health_checks": checks,
        "dns": { "records": records },
        "resolvers": { "forwarders": { "count": 4, "cache": false } },
        "clients": { "users": { "count": 200, "record": record, "requests_per_s": 0.5,
                                "dns_cache": { "mode": "none" } } }
    })
}

fn weighted() -> Value {
    json!({ "w": { "ttl": "60s", "weighted": {
        "a": { "endpoint": "a", "weight": 3, "health_check": "hc-a" },
        "b": { "endpoint": "b", "weight": 1, "health_check": "hc-b" },
        "c": { "endpoint": "c", "weight": 0, "health_check": "hc-c" },
        "d": { "endpoint": "d", "weight": 4, "health_check": "hc-d" } } } })
}

#[test]
fn weighted_answers_split_requests_by_weight_among_healthy_records() {
    // d (weight 4) is unhealthy: a and b share 3 : 1; c (weight 0) gets nothing.
    for exact in [true, false] {
        let counts = requests_by_endpoint(&forwarded(weighted(), "w", &["d"]), exact);
        let (a, b) = (count(&counts, "a"), count(&counts, "b"));
        assert_share(a, a + b, 0.75, &format!("a's share (exact requests: {exact})"));
        assert_eq!(count(&counts, "c"), 0, "a zero-weight record is not answered while another is healthy");
        assert_eq!(count(&counts, "d"), 0, "an unhealthy record is not answered");
    }
}

#[test]
fn zero_weight_records_are_answered_only_when_every_other_is_unhealthy() {
    let counts = requests_by_endpoint(&forwarded(weighted(), "w", &["a", "b", "d"]), true);
    assert_eq!(count(&counts, "a") + count(&counts, "b") + count(&counts, "d"), 0);
    assert!(count(&counts, "c") > 1000);
}

#[test]
fn a_weighted_set_with_every_record_unhealthy_fails_open_by_weight() {
    // Shares 3 : 1 : 0 : 4 over a, b, c, d.
    let counts = requests_by_endpoint(&forwarded(weighted(), "w", &["a", "b", "c", "d"]), true);
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    assert_share(count(&counts, "a"), total, 3.0 / 8.0, "a's share, failing open");
    assert_share(count(&counts, "d"), total, 4.0 / 8.0, "d's share, failing open");
    assert_eq!(count(&counts, "c"), 0, "zero weight stays out when records of positive weight are answered");
}

/// A failover record whose primary is an alias to a weighted pool (a, b), with or without
/// Evaluate Target Health, and whose secondary is c.
fn aliased(eth: bool) -> Value {
    json!({
        "app": { "ttl": "60s", "failover": { "primary": { "alias": "pool", "evaluate_target_health": eth },
                               "secondary": { "endpoint": "c" } } },
        "pool": { "ttl": "60s", "weighted": {
            "a": { "endpoint": "a", "weight": 1, "health_check": "hc-a" },
            "b": { "endpoint": "b", "weight": 1, "health_check": "hc-b" } } }
    })
}

#[test]
fn evaluate_target_health_false_never_backs_out_of_a_dead_branch() {
    let counts = requests_by_endpoint(&forwarded(aliased(false), "app", &["a", "b"]), true);
    assert_eq!(count(&counts, "c"), 0, "without ETH the secondary is never answered");
    let (a, b) = (count(&counts, "a"), count(&counts, "b"));
    assert_share(a, a + b, 0.5, "the dead pool fails open");
    // With ETH the primary's branch is unhealthy: everything goes to the secondary.
    let counts = requests_by_endpoint(&forwarded(aliased(true), "app", &["a", "b"]), true);
    assert_eq!(count(&counts, "a") + count(&counts, "b"), 0);
    // One member down: the branch stays healthy and answers the other.
    let counts = requests_by_endpoint(&forwarded(aliased(true), "app", &["a"]), true);
    assert_eq!(count(&counts, "a") + count(&counts, "c"), 0);
    assert!(count(&counts, "b") > 1000);
}

/// Latency records in three regions; the users are in eu-west-1.
fn latency(unhealthy: &[&str], order: Option<Value>) -> Value {
    let mut scenario = forwarded(
        json!({ "l": { "ttl": "60s", "latency": {
            "use1": { "endpoint": "a", "region": "us-east-1", "health_check": "hc-a" },
            "euw1": { "endpoint": "b", "region": "eu-west-1", "health_check": "hc-b" },
            "apse1": { "endpoint": "c", "region": "ap-southeast-1", "health_check": "hc-c" } } } }),
        "l",
        unhealthy,
    );
    scenario["clients"]["users"]["region"] = json!("eu-west-1");
    if let Some(order) = order {
        scenario["dns"]["latency_order"] = order;
    }
    scenario
}

#[test]
fn latency_routing_answers_the_nearest_healthy_region_in_the_scenario_order() {
    let only = |counts: &[(String, u64)], id: &str| {
        assert!(count(counts, id) > 1000, "{id} gets the requests: {counts:?}");
        let others: u64 = counts.iter().filter(|(e, _)| e != id).map(|(_, n)| n).sum();
        assert_eq!(others, 0, "only {id} is answered: {counts:?}");
    };
    only(&requests_by_endpoint(&latency(&[], None), false), "b");
    // The default order after the client's own region: the others by name.
    only(&requests_by_endpoint(&latency(&["b"], None), false), "c");
    let order = json!({ "eu-west-1": ["eu-west-1", "us-east-1", "ap-southeast-1"] });
    only(&requests_by_endpoint(&latency(&["b"], Some(order)), false), "a");
    // Every record unhealthy: fail open to the nearest.
    only(&requests_by_endpoint(&latency(&["a", "b", "c"], None), false), "b");
}

/// A simple record answering two addresses, the first a black hole (or refusing) for the
/// whole measured time; clients try the next address after `connect_timeout`.
fn two_addresses(mode: &str, choice: &str) -> Value {
    json!({
        "name": "two-addresses", "duration": "10m", "warmup": "0s", "seed": 8,
        "endpoints": { "dead": { "faults": [ { "kind": "outage", "mode": mode, "start": "0s" } ] }, "alive": {} },
        "dns": { "records": { "app": { "ttl": "60s", "simple": { "endpoints": ["dead", "alive"] } } } },
        "resolvers": { "isp": { "count": 10 } },
        "clients": { "users": { "count": 100, "record": "app", "requests_per_s": 1, "address_choice": choice,
                                "on_connect_failure": "next_address", "connect_timeout": "2500ms" } }
    })
}

#[test]
fn next_address_clients_lose_exactly_the_connect_timeout_per_black_hole() {
    let report = simulate(&two_addresses("timeout", "first"), 1);
    let e = &report.run_results[0].episodes[0];
    let delay = e.request_delay_s.as_ref().expect("a next-address group reports delays");
    assert!(delay.requests > 50_000, "every request passes the dead first address: {}", delay.requests);
    assert_eq!(delay.mean, Some(2.5));
    assert_eq!(delay.p99, Some(2.5));
    assert_eq!(report.run_results[0].totals.requests_failed, 0, "the second address serves every request");
    assert_eq!(e.requests_misrouted, 0);
    // A refusal costs nothing.
    let report = simulate(&two_addresses("refuse", "first"), 1);
    let delay = report.run_results[0].episodes[0].request_delay_s.clone().unwrap();
    assert_eq!((delay.mean, delay.p99), (Some(0.0), Some(0.0)));
}

#[test]
fn random_address_clients_pass_the_dead_address_half_the_time() {
    let report = simulate(&two_addresses("timeout", "random"), 1);
    let run = &report.run_results[0];
    let delayed = run.episodes[0].request_delay_s.as_ref().unwrap().requests;
    assert_share(delayed, run.totals.requests, 0.5, "requests that tried the dead address first");
    assert_eq!(run.totals.requests_failed, 0);
    // Without next_address, a request to the dead address fails.
    let mut scenario = two_addresses("timeout", "random");
    let users = scenario["clients"]["users"].as_object_mut().unwrap();
    users.remove("on_connect_failure");
    users.remove("connect_timeout");
    let run = &simulate(&scenario, 1).run_results[0];
    assert_share(run.totals.requests_failed, run.totals.requests, 0.5, "requests that went to the dead address");
    assert!(run.episodes[0].request_delay_s.is_none(), "no delay figure without next-address clients");
}

/// The error a scenario is refused with, while parsing or while checking it.
fn error(scenario: &Value) -> String {
    let text = serde_json::to_string_pretty(scenario).unwrap();
    match parse(Path::new("trees.json"), &text) {
        Err(e) => e.to_string(),
        Ok((parsed, _)) => build(&parsed, Path::new("trees.json")).expect_err("the scenario is refused").to_string(),
    }
}

#[test]
fn record_trees_are_validated_in_plain_words() {
    let base = || forwarded(aliased(true), "app", &[]);
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({ "app": { "ttl": "1m", "failover": { "primary": { "alias": "nowhere" }, "secondary": { "endpoint": "c" } } } }),
            "at /dns/records/app/failover/primary/alias: unknown record \"nowhere\"",
        ),
        (
            json!({ "app": { "ttl": "1m", "failover": { "primary": { "alias": "b1" }, "secondary": { "endpoint": "c" } } },
                 "b1": { "simple": { "alias": "b2" } }, "b2": { "ttl": "1m", "weighted": { "x": { "alias": "app", "weight": 1 } } } }),
            "at /dns/records/b2/weighted/x/alias: aliases form a cycle: app → b1 → b2 → app",
        ),
        (
            json!({ "app": { "ttl": "1m", "weighted": { "x": { "endpoint": "a", "weight": 256 } } } }),
            "at /dns/records/app/weighted/x/weight: expected a weight from 0 to 255, found 256",
        ),
        (
            json!({ "app": { "ttl": "1m", "weighted": { "x": { "endpoint": "a" } } } }),
            "at /dns/records/app/weighted/x/weight: a weighted record needs \"weight\" (0 to 255)",
        ),
        (
            json!({ "app": { "ttl": "1m", "latency": { "x": { "endpoint": "a" } } } }),
            "at /dns/records/app/latency/x/region: a latency record needs \"region\"",
        ),
        (
            json!({ "app": { "ttl": "1m", "failover": { "primary": { "endpoint": "a" } } } }),
            "at /dns/records/app/failover: the required field \"secondary\" is missing",
        ),
        (
            json!({ "app": { "ttl": "1m", "simple": { "endpoint": "a" }, "weighted": { "x": { "endpoint": "a", "weight": 1 } } } }),
            "at /dns/records/app: expected one routing policy per record set, found \"simple\" and \"weighted\"",
        ),
        (
            json!({ "app": { "ttl": "1m", "multivalue": { "x": { "alias": "app" } } } }),
            "at /dns/records/app/multivalue/x/alias: a multivalue record cannot be an alias",
        ),
        (
            json!({ "app": { "ttl": "1m", "simple": { "endpoint": "a", "evaluate_target_health": true } } }),
            "at /dns/records/app/simple/evaluate_target_health: \"evaluate_target_health\" applies only to an alias record",
        ),
        (
            json!({ "app": { "simple": { "endpoint": "a" } } }),
            "at /dns/records/app/ttl: the required field \"ttl\" is missing",
        ),
        (
            json!({ "app": { "ttl": "1m", "failover": { "primary": { "endpoint": "a", "weight": 2 }, "secondary": { "endpoint": "b" } } } }),
            "at /dns/records/app/failover/primary/weight: the field \"weight\" does not apply to a failover record",
        ),
    ];
    for (records, expected) in cases {
        let mut scenario = base();
        scenario["dns"]["records"] = records;
        let message = error(&scenario);
        assert!(message.starts_with("trees.json"), "names the file: {message}");
        assert!(message.contains(expected), "expected {expected:?} in: {message}");
        assert!(!message.contains("Option") && !message.contains("u32"), "plain words: {message}");
    }
    let mut scenario = latency(&[], Some(json!({ "eu-west-1": ["mars-1"] })));
    scenario["name"] = json!("latency");
    assert!(error(&scenario).contains("at /dns/latency_order/eu-west-1/0: unknown region \"mars-1\""));
}
