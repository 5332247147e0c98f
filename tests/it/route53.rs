//! Route 53's documented behaviour: the three failover rules, inverted and disabled
//! checks, and the probe interval counted from the previous response or timeout.

use crate::support::simulate;
use fosim::report::Report;
use serde_json::{Value, json};

fn two_endpoints(
    primary_faults: Value,
    secondary_faults: Value,
    checks: Value,
    primary_check: Value,
    secondary_check: Value,
) -> Value {
    json!({
        "name": "rules",
        "duration": "1h",
        "timeline_bucket": "10s",
        "endpoints": {
            "primary": { "faults": primary_faults },
            "secondary": { "faults": secondary_faults }
        },
        "health_checks": checks,
        "dns": { "records": { "app": { "ttl": "60s", "failover": {
            "primary": { "endpoint": "primary", "health_check": primary_check },
            "secondary": { "endpoint": "secondary", "health_check": secondary_check } } } } },
        "resolvers": { "isp": { "count": 10 } },
        "clients": { "users": { "count": 50, "record": "app", "requests_per_s": 0.1 } }
    })
}

/// Share of name-server answers naming each endpoint (primary, secondary) at `at_s`.
fn answers_at(report: &Report, at_s: f64) -> (f64, f64) {
    let trace = report.trace.as_ref().unwrap();
    let row = trace.timeline.iter().rev().find(|r| r.start_s <= at_s).unwrap();
    (row.name_servers_share[0], row.name_servers_share[1])
}

#[test]
fn both_unhealthy_answers_the_primary() {
    let scenario = two_endpoints(
        json!([{ "kind": "outage", "start": "10m", "duration": "30m" }]),
        json!([{ "kind": "outage", "start": "20m", "duration": "30m" }]),
        json!({ "hc-p": { "endpoint": "primary" }, "hc-s": { "endpoint": "secondary" } }),
        json!("hc-p"),
        json!("hc-s"),
    );
    let report = simulate(&scenario, 1);
    assert_eq!(answers_at(&report, 9.0 * 60.0), (1.0, 0.0), "before any fault: primary");
    assert_eq!(answers_at(&report, 15.0 * 60.0), (0.0, 1.0), "primary down and detected: secondary");
    assert_eq!(answers_at(&report, 30.0 * 60.0), (1.0, 0.0), "both down and detected: primary again");
}

#[test]
fn a_secondary_without_a_health_check_wins_once_the_primary_is_unhealthy() {
    let scenario = two_endpoints(
        json!([{ "kind": "outage", "start": "10m", "duration": "30m" }]),
        json!([{ "kind": "outage", "start": "20m", "duration": "30m" }]),
        json!({ "hc-p": { "endpoint": "primary" } }),
        json!("hc-p"),
        Value::Null,
    );
    let report = simulate(&scenario, 1);
    assert_eq!(answers_at(&report, 15.0 * 60.0), (0.0, 1.0));
    assert_eq!(answers_at(&report, 30.0 * 60.0), (0.0, 1.0), "the unchecked secondary is answered though it is down");
}

#[test]
fn an_inverted_check_on_a_healthy_primary_fails_over_at_once() {
    let scenario = two_endpoints(
        json!([]),
        json!([]),
        json!({ "hc-p": { "endpoint": "primary", "inverted": true } }),
        json!("hc-p"),
        Value::Null,
    );
    let report = simulate(&scenario, 1);
    assert_eq!(answers_at(&report, 0.0), (0.0, 1.0));
    assert_eq!(answers_at(&report, 50.0 * 60.0), (0.0, 1.0));
    let requests_primary: u64 = report.trace.as_ref().unwrap().timeline.iter().map(|r| r.requests[0]).sum();
    assert_eq!(requests_primary, 0, "steady start: caches already hold the secondary");
}

#[test]
fn a_disabled_check_is_always_healthy() {
    let scenario = two_endpoints(
        json!([{ "kind": "outage", "start": "10m", "duration": "30m" }]),
        json!([]),
        json!({ "hc-p": { "endpoint": "primary", "disabled": true } }),
        json!("hc-p"),
        Value::Null,
    );
    let report = simulate(&scenario, 1);
    let episode = &report.run_results[0].episodes[0];
    assert_eq!(episode.detection_s, None);
    assert_eq!(episode.dns_switch_first_s, None);
    assert_eq!(answers_at(&report, 30.0 * 60.0), (1.0, 0.0));
    assert_eq!(report.run_results[0].health_checks["hc-p"].probes, 0, "a disabled check sends no probes");
}

/// One http checker at a 10 s interval probing for an hour with no warm-up: the next probe
/// goes out 10 s after the previous one's response (50 ms) or timeout (4 s).
fn probes_in_an_hour(faults: Value) -> (u64, u64) {
    let scenario = json!({
        "name": "interval",
        "duration": "1h",
        "warmup": 0,
        "endpoints": { "primary": { "response_time": "50ms", "faults": faults }, "secondary": {} },
        "health_checks": { "hc": { "endpoint": "primary", "request_interval": "10s", "failure_threshold": 1,
                                   "regions": ["us-east-1"], "checkers_per_region": 1 } },
        "dns": { "records": { "app": { "ttl": "60s", "failover": {
            "primary": { "endpoint": "primary", "health_check": "hc" },
            "secondary": { "endpoint": "secondary" } } } } }
    });
    let report = simulate(&scenario, 1);
    let totals = &report.run_results[0].health_checks["hc"];
    (totals.probes, totals.probes_failed)
}

#[test]
fn the_interval_counts_from_the_response_so_a_black_hole_stretches_it_by_the_timeout() {
    // Completions at s0 + 4 s + 14 s·n before 3600 s, with s0 in [0, 10 s): 256 or 257.
    let (probes, failed) = probes_in_an_hour(json!([{ "kind": "outage", "start": 0 }]));
    assert_eq!(probes, failed, "every probe of a black hole fails");
    assert!((256..=257).contains(&probes), "black hole: {probes} probes, expected 3600/(10+4) ≈ 257");
    // Healthy: completions at s0 + 0.05 s + 10.05 s·n: 357 or 358.
    let (probes, failed) = probes_in_an_hour(json!([]));
    assert_eq!(failed, 0);
    assert!((357..=358).contains(&probes), "healthy: {probes} probes, expected 3600/10.05 ≈ 358");
    // Refused connections fail after the response time, not the timeout.
    let (probes, failed) = probes_in_an_hour(json!([{ "kind": "outage", "start": 0, "mode": "refuse" }]));
    assert_eq!(probes, failed);
    assert!((357..=358).contains(&probes), "refusing: {probes} probes");
}

#[test]
fn an_unchecked_primary_never_fails_over_and_validation_says_so() {
    let scenario = two_endpoints(
        json!([{ "kind": "outage", "start": "10m", "duration": "30m" }]),
        json!([]),
        json!({}),
        Value::Null,
        Value::Null,
    );
    let report = simulate(&scenario, 1);
    assert_eq!(answers_at(&report, 30.0 * 60.0), (1.0, 0.0));
    assert!(report.warnings.iter().any(|w| w.contains("no health check")), "{:?}", report.warnings);
    assert_eq!(report.run_results[0].episodes[0].clients_stranded, 50);
}
