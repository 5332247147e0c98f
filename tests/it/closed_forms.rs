//! The simulator against the closed forms of docs/model.md §3.9 and §6.7, with tolerances
//! derived from the number of runs or clients (4 standard errors: a false alarm about once
//! in 16,000 runs).

use crate::support::{Sample, simulate};
use serde_json::{Value, json};

/// An outage from 10 min to the end, checked by one health check; no clients, so that
/// only detection is simulated.
fn detection_scenario(check: Value) -> Value {
    json!({
        "name": "detection",
        "duration": "30m",
        "endpoints": {
            "primary": { "response_time": "50ms", "faults": [ { "kind": "outage", "start": "10m" } ] },
            "secondary": {}
        },
        "health_checks": { "hc": check },
        "dns": { "records": { "app": { "ttl": "60s", "failover": {
            "primary": { "endpoint": "primary", "health_check": "hc" },
            "secondary": { "endpoint": "secondary" } } } } }
    })
}

/// E[detection] = (m/(N+1))·(I + r) + (k−1)·(I + τ) + τ, every run within
/// [(k−1)(I+τ)+τ, I + r + (k−1)(I+τ)+τ].
fn check_detection(
    check: Value,
    checkers: f64,
    k: f64,
    interval: f64,
    response: f64,
    timeout: f64,
    runs: u32,
) -> Sample {
    let report = simulate(&detection_scenario(check), runs);
    let m = checkers - (0.18 * checkers).floor();
    let expected = m / (checkers + 1.0) * (interval + response) + (k - 1.0) * (interval + timeout) + timeout;
    let low = (k - 1.0) * (interval + timeout) + timeout;
    let high = low + interval + response;
    let detections: Vec<f64> = report
        .run_results
        .iter()
        .map(|r| r.episodes[0].detection_s.expect("a black hole is always detected"))
        .collect();
    for (i, d) in detections.iter().enumerate() {
        assert!(*d >= low - 1e-6 && *d <= high + 1e-6, "run {i}: detection {d} outside [{low}, {high}]");
    }
    let sample = Sample::of(&detections);
    sample.assert_mean_near(expected, 4.0, "mean detection");
    eprintln!(
        "detection: expected {expected:.3} s, simulated {:.3} s ± {:.3} (SE, {runs} runs)",
        sample.mean,
        sample.standard_error()
    );
    sample
}

#[test]
fn detection_sixteen_http_checkers_threshold_3_interval_30s() {
    let check = json!({ "endpoint": "primary", "type": "http", "request_interval": "30s", "failure_threshold": 3 });
    check_detection(check, 16.0, 3.0, 30.0, 0.05, 4.0, 400);
}

#[test]
fn detection_single_tcp_checker_threshold_1_interval_10s() {
    let check = json!({ "endpoint": "primary", "type": "tcp", "request_interval": "10s", "failure_threshold": 1,
                        "regions": ["us-east-1"], "checkers_per_region": 1 });
    // A tcp probe of a live endpoint succeeds as soon as it connects: r = 0, τ = 10 s.
    check_detection(check, 1.0, 1.0, 10.0, 0.0, 10.0, 400);
}

#[test]
fn detection_str_match_with_slow_endpoint_is_a_timeout_at_the_response_limit() {
    // A live endpoint answering in 3 s fails http checks (2 s limit) but passes str_match
    // ones (4 s): here the check is str_match, so the cycle is I + 3 s while healthy.
    let check =
        json!({ "endpoint": "primary", "type": "http_str_match", "request_interval": "10s", "failure_threshold": 2 });
    let mut scenario = detection_scenario(check);
    scenario["endpoints"]["primary"]["response_time"] = json!("3s");
    let report = simulate(&scenario, 200);
    let m = 16.0 - 2.0;
    let expected = m / 17.0 * (10.0 + 3.0) + (10.0 + 4.0) + 4.0;
    let detections: Vec<f64> = report.run_results.iter().map(|r| r.episodes[0].detection_s.unwrap()).collect();
    Sample::of(&detections).assert_mean_near(expected, 4.0, "str_match detection");
}

/// Clients behind a cacheless forwarder, zero propagation delay: after the DNS switch a
/// client waits p·T/2 + 1/λ on average, p = T/(T + 1/λ); and by Wald's identity it sends
/// λ·E[failover] − 1 misrouted requests.
fn client_scenario(ttl_s: f64, rate: f64, clients: u32, seed: u64) -> Value {
    json!({
        "name": "client-wait",
        "seed": seed,
        "duration": "40m",
        "endpoints": {
            "primary": { "faults": [ { "kind": "outage", "start": "10m", "duration": "25m" } ] },
            "secondary": {}
        },
        "health_checks": { "hc": { "endpoint": "primary", "request_interval": "10s" } },
        "dns": { "records": { "app": { "ttl": ttl_s, "failover": {
            "primary": { "endpoint": "primary", "health_check": "hc" },
            "secondary": { "endpoint": "secondary" } } } } },
        "resolvers": { "forwarder": { "count": 10, "cache": false } },
        "clients": { "users": { "count": clients, "record": "app", "requests_per_s": rate } }
    })
}

#[test]
fn client_wait_after_the_switch_matches_p_t_over_2_plus_1_over_lambda() {
    for (ttl, rate) in [(60.0, 0.1), (300.0, 0.05), (20.0, 1.0)] {
        let report = simulate(&client_scenario(ttl, rate, 4000, 3), 1);
        let episode = &report.run_results[0].episodes[0];
        let switch = episode.dns_switch_last_s.expect("DNS switched");
        assert_eq!(Some(switch), episode.dns_switch_first_s, "zero propagation: all name servers at once");
        let trace = report.trace.as_ref().expect("first run traced");
        let waits: Vec<f64> = trace.clients.iter().map(|c| c.failover_s.expect("nobody stranded") - switch).collect();
        assert_eq!(waits.len(), 4000, "every client is active in a 25 minute outage");
        let p = ttl / (ttl + 1.0 / rate);
        let expected = p * ttl / 2.0 + 1.0 / rate;
        let sample = Sample::of(&waits);
        sample.assert_mean_near(expected, 4.0, &format!("wait after switch, T = {ttl} s, λ = {rate}/s"));
        eprintln!(
            "wait T={ttl} λ={rate}: expected {expected:.3} s, simulated {:.3} s ± {:.3}",
            sample.mean,
            sample.standard_error()
        );
    }
}

#[test]
fn misrouted_requests_follow_walds_identity() {
    for (ttl, rate) in [(60.0, 0.1), (30.0, 0.5)] {
        let report = simulate(&client_scenario(ttl, rate, 4000, 9), 1);
        let trace = report.trace.as_ref().unwrap();
        // Per client: misrouted − (λ·failover − 1) has mean 0.
        let residuals: Vec<f64> = trace
            .clients
            .iter()
            .map(|c| f64::from(c.requests_misrouted) - (rate * c.failover_s.unwrap() - 1.0))
            .collect();
        let sample = Sample::of(&residuals);
        sample.assert_mean_near(0.0, 4.0, &format!("Wald residual, T = {ttl} s, λ = {rate}/s"));
        let total: u64 = trace.clients.iter().map(|c| u64::from(c.requests_misrouted)).sum();
        assert_eq!(
            total, report.run_results[0].episodes[0].requests_misrouted,
            "per-client rows add up to the episode"
        );
        eprintln!("Wald T={ttl} λ={rate}: mean residual {:.4} ± {:.4}", sample.mean, sample.standard_error());
    }
}

/// A pooled group whose connections never idle out nor expire: after the outage every client
/// that failed over keeps its connection to the secondary to the end of the run. None comes
/// back, and the requests they send elsewhere after the end are clients × rate × the time
/// from the end to the end of the run, to float rounding.
#[test]
fn failback_of_pooled_connections_that_never_idle_is_never() {
    let (clients, rate) = (200u64, 2.0);
    let s = json!({
        "name": "failback-pooled", "seed": 11, "duration": "40m",
        "endpoints": { "primary": { "faults": [ { "kind": "outage", "start": "10m", "duration": "10m" } ] }, "secondary": {} },
        "health_checks": { "hc": { "endpoint": "primary", "request_interval": "10s" } },
        "dns": { "records": { "app": { "ttl": 30, "failover": {
            "primary": { "endpoint": "primary", "health_check": "hc" }, "secondary": { "endpoint": "secondary" } } } } },
        "resolvers": { "isp": { "count": 20 } },
        "clients": { "pooled": { "count": clients, "record": "app", "requests_per_s": rate,
                                 "connection": { "reuse": true, "idle_timeout": "1h" } } }
    });
    let report = simulate(&s, 1);
    let e = &report.run_results[0].episodes[0];
    let f = e.failback.as_ref().expect("the episode ended before the run");
    assert_eq!((e.clients_active, e.client_failover_s.count), (clients, clients), "every client failed over");
    assert_eq!((f.clients_failed_over, f.back_s.count, f.clients_away_at_end), (clients, 0, clients));
    assert_eq!((f.back_s.p50, f.back_s.max, f.clients_away_at_next_fault), (None, None, 0));
    let expected = clients as f64 * rate * (report.duration_s - e.end_s);
    eprintln!("pooled failback: {} requests elsewhere, closed form {expected}", f.requests_elsewhere_expected);
    assert!((f.requests_elsewhere_expected - expected).abs() <= 1e-9 * expected, "{f:?} vs {expected}");
    assert_eq!(e.groups["pooled"].failback.as_ref(), Some(f), "one group: its failback is the episode's");
}

/// Clients caching for the TTL T behind a cacheless forwarder, no propagation delay: once the
/// name servers answer the primary again (at F after the end), a client is back at its first
/// request after its cache expires, p·T/2 + 1/λ later on average, p = T/(T + 1/λ) (the wait
/// after the switch, §6.7, the other way round); all are back within F + T plus their next
/// request.
#[test]
fn failback_of_caching_clients_follows_the_ttl() {
    let (ttl, rate, clients) = (30.0, 0.5, 4000u32);
    let report = simulate(&client_scenario(ttl, rate, clients, 5), 1);
    let e = &report.run_results[0].episodes[0];
    let dns_back = e.dns_failback_last_s.expect("the name servers fail back");
    let f = e.failback.as_ref().expect("the episode ended before the run");
    assert_eq!(
        (f.clients_failed_over, f.back_s.count, f.clients_away_at_end),
        (u64::from(clients), u64::from(clients), 0)
    );
    let (p99, max) = (f.back_s.p99.unwrap(), f.back_s.max.unwrap());
    // The next request after the cache expires: more than 20 s with probability e^-10 each.
    assert!(
        f.back_s.p50.unwrap() >= dns_back && p99 <= max && max <= dns_back + ttl + 20.0,
        "{f:?}, DNS back {dns_back}"
    );
    let p = ttl / (ttl + 1.0 / rate);
    let expected = dns_back + p * ttl / 2.0 + 1.0 / rate;
    // sd ≤ √E[(X − F)²] ≤ √(T²/3 + 2/λ²).
    let tolerance = 4.0 * (ttl * ttl / 3.0 + 2.0 / (rate * rate)).sqrt() / f64::from(clients).sqrt();
    let mean = f.back_s.mean.unwrap();
    eprintln!("caching failback: mean {mean:.3} s, closed form {expected:.3} s ± {tolerance:.3}, p99 {p99}, max {max}");
    assert!((mean - expected).abs() <= tolerance, "mean back {mean} vs {expected} ± {tolerance}");
    // Requests elsewhere: each client's time away × its rate.
    let requests = rate * mean * f64::from(clients);
    assert!((f.requests_elsewhere_expected - requests).abs() <= 1e-6 * requests, "{f:?} vs {requests}");
}
