//! Regression tests, each named after the bug it pins.

use crate::support::config_from;
use fosim::input::InputError;
use fosim::model::RunOptions;
use fosim::scenario::config::{build, parse};
use fosim::simulate::replicate;
use serde_json::{Value, json};
use std::path::Path;

fn validate(scenario: &Value) -> Result<fosim::scenario::Config, InputError> {
    let file = Path::new("test.json");
    let (parsed, _) = parse(file, &scenario.to_string())?;
    build(&parsed, file)
}

fn pair(record: Value) -> Value {
    json!({ "name": "t", "duration": "10m",
        "endpoints": { "a": {}, "b": {} },
        "dns": { "records": { "r": record } },
        "resolvers": { "isp": { "count": 1 } },
        "clients": {} })
}

#[test]
fn a_pool_entry_refreshed_by_other_clients_stays_within_the_queue_bound() {
    // Found by review: a client with a cache refreshes the resolver entry that a rarely
    // querying pool reads; every refresh superseded the pool's queued query, and the stale
    // ones overran the queue's bound ("event queue over its bound of 3").
    let mut scenario =
        pair(json!({ "ttl": "1s", "failover": { "primary": { "endpoint": "a" }, "secondary": { "endpoint": "b" } } }));
    scenario["clients"] = json!({
        "pool": { "count": 1, "record": "r", "requests_per_s": 0.001, "dns_cache": { "mode": "none" } },
        "wake": { "count": 1, "record": "r", "requests_per_s": 10 }
    });
    let config = config_from(&scenario);
    for exact_requests in [false, true] {
        for r in 0..5 {
            let run = replicate(&config, r, RunOptions { trace: false, exact_requests }, &mut |_| {}).unwrap();
            assert!(run.result.totals.requests > 5_000, "{:?}", run.result.totals);
        }
    }
}

#[test]
fn more_client_groups_than_their_16_bit_numbers_are_refused() {
    // Found by review: group numbers are u16, and a 65,537th group silently counted its
    // requests under the first.
    let mut scenario =
        pair(json!({ "ttl": "60s", "failover": { "primary": { "endpoint": "a" }, "secondary": { "endpoint": "b" } } }));
    let groups: serde_json::Map<String, Value> = (0..65_536)
        .map(|i| (format!("g{i:05}"), json!({ "count": 1, "record": "r", "requests_per_s": 0.01 })))
        .collect();
    scenario["clients"] = Value::Object(groups);
    let err = validate(&scenario).unwrap_err().to_string();
    assert!(err.contains("at /clients: expected at most 65535 client groups, found 65536"), "{err}");
    scenario["clients"].as_object_mut().unwrap().remove("g00000");
    assert!(validate(&scenario).is_ok());
}

#[test]
fn more_checker_regions_than_their_16_bit_numbers_are_refused() {
    let mut scenario = pair(json!({ "ttl": "60s", "failover": {
        "primary": { "endpoint": "a", "health_check": "x" }, "secondary": { "endpoint": "b", "health_check": "y" } } }));
    let names = |from: usize| (from..from + 33_000).map(|i| format!("r{i}")).collect::<Vec<_>>();
    scenario["health_checks"] = json!({
        "x": { "endpoint": "a", "regions": names(0), "checkers_per_region": 1 },
        "y": { "endpoint": "b", "regions": names(33_000), "checkers_per_region": 1 }
    });
    let err = validate(&scenario).unwrap_err().to_string();
    assert!(err.contains("/health_checks/y/regions: expected at most 65535 distinct regions"), "{err}");
}

#[test]
fn the_timeline_row_limit_counts_a_last_partial_row() {
    let mut scenario =
        pair(json!({ "ttl": "60s", "failover": { "primary": { "endpoint": "a" }, "secondary": { "endpoint": "b" } } }));
    scenario["duration"] = json!("200000.5s");
    scenario["timeline_bucket"] = json!("1s");
    let err = validate(&scenario).unwrap_err().to_string();
    assert!(err.contains("expected at most 200000 timeline rows, found 200001"), "{err}");
}
