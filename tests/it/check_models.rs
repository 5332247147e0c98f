//! Health-check models beyond Route 53's defaults and name-server answer caches
//! (docs/model.md §3.2, §3.5, §3.6, §3.9, §3.10, §4.5): closed forms with tolerances from
//! the number of samples, exact cases, validation.

use crate::support::{Sample, config_from, simulate};
use fosim::report::{EpisodeResult, Report};
use fosim::scenario::config::{build, parse};
use fosim::scenario::{Overrun, Quorum, Schedule};
use serde_json::{Value, json};
use std::path::Path;

/// A primary that fails for 6 s again and again (a gap of 10–15 s), checked by `check`;
/// `runs` runs of an hour give a few thousand independent episodes.
fn recurring(check: Value, mode: &str) -> Value {
    json!({
        "name": "recurring",
        "duration": "1h",
        "endpoints": {
            "primary": { "response_time": "10ms",
                         "faults": [ { "kind": "outage", "mode": mode, "start": "30s", "duration": "6s",
                                       "every": { "uniform": ["10s", "15s"] } } ] },
            "secondary": {}
        },
        "health_checks": { "hc": check },
        "dns": { "name_servers": 1, "records": { "app": { "ttl": "60s", "failover": {
            "primary": { "endpoint": "primary", "health_check": "hc" },
            "secondary": { "endpoint": "secondary" } } } } }
    })
}

/// Every episode that ended before the run did (the last one may be cut short).
fn episodes(report: &Report) -> impl Iterator<Item = &EpisodeResult> {
    let end_s = report.duration_s;
    report.run_results.iter().flat_map(|r| &r.episodes).filter(move |e| e.end_s < end_s)
}

/// The detections of every episode, each checked inside [low, high).
fn detections(report: &Report, low: f64, high: f64) -> Sample {
    let values: Vec<f64> = episodes(report).map(|e| e.detection_s.expect("every outage is detected")).collect();
    for d in &values {
        assert!(*d >= low - 1e-6 && *d < high + 1e-6, "detection {d} outside [{low}, {high})");
    }
    Sample::of(&values)
}

fn one_checker(extra: Value) -> Value {
    let mut check = json!({ "endpoint": "primary", "preset": "powerdns_lua", "request_interval": "1s" });
    check.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    check
}

#[test]
fn fixed_rate_detection_is_half_an_interval_plus_the_failing_probe() {
    // Ticks every I = 1 s whatever the probes do; a refused probe fails after r = 10 ms, so
    // with one failure to flip: detection = U·I + r, mean I/2 + r, within [r, I + r).
    let report = simulate(&recurring(one_checker(json!({})), "refuse"), 12);
    let sample = detections(&report, 0.01, 1.01);
    sample.assert_mean_near(0.51, 4.0, "fixed-rate detection, refused");
    // Three failures: two more ticks.
    let report = simulate(&recurring(one_checker(json!({ "failure_threshold": 3 })), "refuse"), 12);
    detections(&report, 2.01, 3.01).assert_mean_near(2.51, 4.0, "fixed-rate detection, k = 3");
}

#[test]
fn a_probe_that_overruns_its_tick_delays_or_skips_the_next() {
    // A black hole holds each probe for the 2 s timeout, longer than the 1.5 s interval:
    // the first failing probe leaves U·1.5 s after the start and fails 2 s later; the second
    // leaves as the first ends (delay: + 2 s) or at the next tick after it (skip: the tick
    // 3 s after the first, + 2 s).
    for (overrun, mean, low) in [("delay", 0.75 + 4.0, 4.0), ("skip", 0.75 + 5.0, 5.0)] {
        let check = one_checker(json!({ "request_interval": "1.5s", "timeout": "2s", "failure_threshold": 2,
                                        "on_overrun": overrun }));
        let mut scenario = recurring(check, "timeout");
        scenario["endpoints"]["primary"]["faults"][0]["duration"] = json!("8s");
        let report = simulate(&scenario, 12);
        detections(&report, low, low + 1.5).assert_mean_near(mean, 4.0, overrun);
    }
}

#[test]
fn recovery_needs_recovery_threshold_successes() {
    // After the end, a fixed-rate checker sees its first success on the next tick (U·I + r)
    // and recovers after k_r of them: mean I/2 + (k_r − 1)·I + r.
    for (k_r, mean) in [(1, 0.51), (3, 2.51)] {
        let check = one_checker(json!({ "recovery_threshold": k_r }));
        let report = simulate(&recurring(check, "refuse"), 12);
        let values: Vec<f64> = episodes(&report).filter_map(|e| e.recovery_detection_s).collect();
        assert!(values.len() > 2_000, "{}", values.len());
        Sample::of(&values).assert_mean_near(mean, 4.0, &format!("recovery with k_r = {k_r}"));
    }
}

#[test]
fn an_overall_timeout_replaces_route53s_limits() {
    // One Route 53-style checker (after_response, I = 10 s) with `timeout: 1s` against a
    // black hole: detection = U·(I + r) + 1 s instead of + 4 s.
    let check = json!({ "endpoint": "primary", "request_interval": "10s", "failure_threshold": 1, "timeout": "1s",
                        "regions": ["us-east-1"], "checkers_per_region": 1 });
    let mut scenario = recurring(check, "timeout");
    scenario["endpoints"]["primary"]["faults"][0]["every"] = json!({ "uniform": ["30s", "40s"] });
    scenario["endpoints"]["primary"]["faults"][0]["duration"] = json!("15s");
    let report = simulate(&scenario, 30);
    detections(&report, 1.0, 11.01).assert_mean_near(10.01 / 2.0 + 1.0, 4.0, "detection with a 1 s timeout");
}

/// Whether a check of 3 regions × 3 checkers goes unhealthy when probes from `lost`
/// regions are all lost for a while (no request-affecting fault: a false failover).
fn fails_over_when_regions_are_lost(quorum: Value, lost: &[&str]) -> bool {
    let regions = ["us-east-1", "eu-west-1", "ap-southeast-1"];
    let mut check = json!({ "endpoint": "primary", "regions": regions, "checkers_per_region": 3,
                            "request_interval": "10s", "failure_threshold": 1 });
    if !quorum.is_null() {
        check["quorum"] = quorum;
    }
    let scenario = json!({
        "name": "quorum", "duration": "10m",
        "endpoints": { "primary": { "faults": [ { "kind": "probe_loss", "start": "2m", "duration": "2m", "regions": lost } ] },
                       "secondary": {} },
        "health_checks": { "hc": check },
        "dns": { "records": { "app": { "ttl": "60s", "failover": {
            "primary": { "endpoint": "primary", "health_check": "hc" }, "secondary": { "endpoint": "secondary" } } } } }
    });
    simulate(&scenario, 1).run_results[0].health_checks["hc"].went_unhealthy > 0
}

#[test]
fn each_quorum_needs_its_share_of_healthy_checkers() {
    let one = ["us-east-1"];
    let two = ["us-east-1", "eu-west-1"];
    let all = ["us-east-1", "eu-west-1", "ap-southeast-1"];
    // Route 53's 18 % of 9 checkers: healthy while 2 are.
    assert!(!fails_over_when_regions_are_lost(Value::Null, &two));
    assert!(fails_over_when_regions_are_lost(Value::Null, &all));
    assert!(!fails_over_when_regions_are_lost(json!("majority"), &one));
    assert!(fails_over_when_regions_are_lost(json!("majority"), &two));
    assert!(fails_over_when_regions_are_lost(json!("all"), &one));
    assert!(!fails_over_when_regions_are_lost(json!("any"), &two));
    assert!(fails_over_when_regions_are_lost(json!("any"), &all));
    assert!(!fails_over_when_regions_are_lost(json!({ "at_least": 3 }), &two));
    assert!(fails_over_when_regions_are_lost(json!({ "at_least": 4 }), &two));
    assert!(!fails_over_when_regions_are_lost(json!("majority_of_majorities"), &one));
    assert!(fails_over_when_regions_are_lost(json!("majority_of_majorities"), &two));
}

#[test]
fn an_answer_cache_delays_each_name_server_by_its_entry_s_remaining_life() {
    // A fixed 5 s cache: each name server switches at the end of the entry it is serving,
    // uniform on (0, 5] s after detection; the last of 4 at the maximum of 4 uniforms,
    // mean 4·5/5 = 4 s.
    let mut scenario = recurring(one_checker(json!({})), "refuse");
    scenario["endpoints"]["primary"]["faults"][0]["duration"] = json!("12s");
    scenario["endpoints"]["primary"]["faults"][0]["every"] = json!({ "uniform": ["20s", "30s"] });
    scenario["dns"]["name_servers"] = json!(4);
    scenario["dns"]["answer_cache"] = json!("5s");
    let report = simulate(&scenario, 6);
    let (mut first, mut last) = (Vec::new(), Vec::new());
    for e in episodes(&report) {
        let detection = e.detection_s.unwrap();
        let (a, b) = (e.dns_switch_first_s.unwrap() - detection, e.dns_switch_last_s.unwrap() - detection);
        assert!(a > 0.0 && b <= 5.0 + 1e-6, "switch {a}..{b} s after detection");
        first.push(a);
        last.push(b);
    }
    Sample::of(&last).assert_mean_near(4.0, 4.0, "last name server with a 5 s answer cache");
    // The first of 4: mean 5/5 = 1 s.
    Sample::of(&first).assert_mean_near(1.0, 4.0, "first name server with a 5 s answer cache");
    // Without a cache, every name server switches at detection.
    scenario["dns"]["answer_cache"] = json!("0s");
    for e in episodes(&simulate(&scenario, 1)) {
        assert_eq!(e.dns_switch_last_s, e.detection_s);
    }
}

#[test]
fn a_random_answer_cache_lifetime_gives_the_renewal_residual() {
    // Exponential lifetimes of mean 3 s: memoryless, so one name server switches after an
    // exponential wait of mean 3 s.
    let mut scenario = recurring(one_checker(json!({})), "refuse");
    scenario["endpoints"]["primary"]["faults"][0]["duration"] = json!("30s");
    scenario["endpoints"]["primary"]["faults"][0]["every"] = json!({ "uniform": ["40s", "50s"] });
    scenario["dns"]["answer_cache"] = json!({ "exponential": "3s" });
    let report = simulate(&scenario, 8);
    let waits: Vec<f64> = episodes(&report).filter_map(|e| Some(e.dns_switch_last_s? - e.detection_s?)).collect();
    assert!(waits.len() > 300, "{}", waits.len());
    Sample::of(&waits).assert_mean_near(3.0, 4.0, "exponential answer cache");
}

#[test]
fn the_powerdns_preset_fills_what_is_not_given() {
    let scenario =
        recurring(json!({ "endpoint": "primary", "preset": "powerdns_lua", "failure_threshold": 2 }), "refuse");
    let config = config_from(&scenario);
    let hc = &config.health_checks[0];
    assert_eq!((hc.schedule, hc.on_overrun, hc.interval_us), (Schedule::FixedRate, Overrun::Delay, 5_000_000));
    assert_eq!((hc.failure_threshold, hc.recovery_threshold, hc.timeout_us), (2, 1, Some(2_000_000)));
    assert_eq!((hc.checker_count(), hc.quorum), (1, Quorum::Any));
    // Route 53's limits are not PowerDNS's: no warning for one region or a 5 s interval.
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

fn error(scenario: &Value) -> String {
    let file = Path::new("check.json");
    let (parsed, _) = parse(file, &scenario.to_string()).unwrap();
    build(&parsed, file).unwrap_err().to_string()
}

#[test]
fn check_model_fields_are_validated_in_plain_words() {
    let with = |extra: Value| recurring(one_checker(extra), "refuse");
    let err = error(&with(json!({ "preset": "powerdns-lua" })));
    assert!(
        err.contains("/health_checks/hc/preset: unknown preset \"powerdns-lua\" (did you mean \"powerdns_lua\"?)"),
        "{err}"
    );
    let err = error(&with(json!({ "schedule": "after_response", "on_overrun": "skip" })));
    assert!(
        err.contains("/health_checks/hc/on_overrun: \"on_overrun\" applies only to schedule \"fixed_rate\""),
        "{err}"
    );
    let err = error(&with(json!({ "healthy_fraction": 0.5 })));
    assert!(err.contains("\"healthy_fraction\" applies only to quorum \"fraction_above\""), "{err}");
    let err = error(&with(json!({ "quorum": { "at_least": 2 } })));
    assert!(
        err.contains("/health_checks/hc/quorum/at_least: expected a number of checkers from 1 to 1, found 2"),
        "{err}"
    );
    let err = error(&with(json!({ "recovery_threshold": 0 })));
    assert!(
        err.contains("/health_checks/hc/recovery_threshold: expected a recovery threshold from 1 to 1000"),
        "{err}"
    );
    // Route 53 checks warn about settings Route 53 does not have.
    let check = json!({ "endpoint": "primary", "recovery_threshold": 1, "schedule": "fixed_rate", "timeout": "1s" });
    let warnings: Vec<String> =
        config_from(&recurring(check, "refuse")).warnings.iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("Route 53 uses the failure threshold in both directions")));
}

#[test]
fn a_check_unused_too_long_restarts_down_and_the_record_answers_at_random_meanwhile() {
    // PowerDNS's cold secondary: the secondary's check is consulted only while the primary
    // is down, so between outages (10–15 s) it expires (2 s). At detection the name server
    // registers it anew, down: both targets are down and each query gets either at random,
    // until the secondary's next tick (1 s later, same phase) finds it up.
    let mut scenario = recurring(one_checker(json!({ "phase": "500ms", "expire_unused_after": "2s" })), "refuse");
    scenario["endpoints"]["secondary"] = json!({ "response_time": "10ms" });
    scenario["health_checks"]["hc-secondary"] =
        one_checker(json!({ "endpoint": "secondary", "phase": "500ms", "expire_unused_after": "2s" }));
    let failover = &mut scenario["dns"]["records"]["app"]["failover"];
    failover["secondary"]["health_check"] = json!("hc-secondary");
    failover["when_all_unhealthy"] = json!("random");
    scenario["dns"]["records"]["app"]["ttl"] = json!("2s");
    scenario["resolvers"] = json!({ "unbound": { "count": 1, "clock": "whole_seconds" } });
    scenario["clients"] = json!({ "users": { "count": 100, "record": "app", "requests_per_s": 2 } });
    let report = simulate(&scenario, 4);
    let mut count = 0;
    for e in episodes(&report) {
        let wait = e.dns_switch_last_s.unwrap() - e.detection_s.unwrap();
        assert!((wait - 1.0).abs() < 1e-6, "the secondary answers one round after detection, found {wait}");
        count += 1;
    }
    assert!(count > 500, "{count}");
    // Every registration anew turned the secondary's check unhealthy with no fault on it.
    let false_failovers: u64 = report.run_results.iter().map(|r| r.health_checks["hc-secondary"].false_failovers).sum();
    assert!(false_failovers as usize >= count, "{false_failovers} < {count}");
    // Clients behind the resolver got the primary from some of the random answers: the
    // random window costs them time over a warm secondary.
    let cold_mean = episodes(&report).map(|e| e.client_failover_s.mean.unwrap()).sum::<f64>() / count as f64;
    // Kept an hour, the check is cold only at the first outage of a run.
    scenario["health_checks"]["hc-secondary"]["expire_unused_after"] = json!("1h");
    scenario["health_checks"]["hc"]["expire_unused_after"] = json!("1h");
    let report = simulate(&scenario, 4);
    for run in &report.run_results {
        let waits: Vec<f64> = run.episodes.iter().filter_map(|e| Some(e.dns_switch_last_s? - e.detection_s?)).collect();
        assert!((waits[0] - 1.0).abs() < 1e-6, "the first outage finds the secondary's check cold");
        assert!(waits[1..].iter().all(|w| w.abs() < 1e-6), "later ones switch at detection: {waits:?}");
    }
    let warm_mean = episodes(&report).skip(1).map(|e| e.client_failover_s.mean.unwrap()).sum::<f64>()
        / (episodes(&report).count() - 1) as f64;
    assert!(cold_mean > warm_mean + 0.3, "cold {cold_mean} vs warm {warm_mean}");
}
