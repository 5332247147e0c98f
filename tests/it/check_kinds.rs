//! Calculated and CloudWatch metric health checks (docs/model.md §3.12–§3.13, §7.2.3):
//! order statistics of independent child detections, disabled children, the period
//! arithmetic of a CloudWatch check against a gray failure, data missing during outages,
//! detection by any dependent check, validation in plain words, and the datapoints redrawn
//! from a saved run. Tolerances come from the number of samples.

use crate::support::{Sample, config_from, simulate};
use assert_cmd::Command;
use fosim::model::{self, RunOptions};
use fosim::observe::{Observation, Observer};
use fosim::scenario::config::Config;
use fosim::scenario::config::{build, parse};
use serde_json::{Value, json};
use std::path::Path;

const US_PER_S: f64 = 1e6;

/// Every check's status changes of one replication: (time s, check, healthy).
#[derive(Default)]
struct Changes(Vec<(f64, u32, bool)>);

impl Observer for Changes {
    fn observe(&mut self, observation: Observation<'_>) {
        if let Observation::Transition(t) = observation {
            self.0.push((t.at_us as f64 / US_PER_S, t.check, t.healthy));
        }
    }
}

impl Changes {
    /// The first time check `c` went unhealthy, seconds after `from_s`.
    fn first_unhealthy(&self, c: u32, from_s: f64) -> Option<f64> {
        self.0.iter().find(|&&(t, check, healthy)| check == c && !healthy && t >= from_s).map(|&(t, _, _)| t - from_s)
    }
}

fn replicate(config: &Config, replication: u32) -> Changes {
    let mut changes = Changes::default();
    model::run(config, replication, RunOptions::default(), &mut changes, &mut |_| {}).expect("the run succeeds");
    changes
}

/// Zones a, b, c each probed by one tcp checker every 10 s that flips on one failure; each
/// zone refuses at once from 60 s on, so each child detects U·10 s after the start with U
/// uniform and independent. `parents` are calculated checks over (some of) the zones.
fn zones(parents: Value, zone_c: Value) -> Value {
    let child = |zone: &str| {
        json!({ "endpoint": zone, "type": "tcp", "request_interval": "10s", "failure_threshold": 1,
                "regions": ["here"], "checkers_per_region": 1 })
    };
    let mut checks = json!({ "a": child("a"), "b": child("b"), "c": child("c") });
    checks["c"].as_object_mut().unwrap().extend(zone_c.as_object().unwrap().clone());
    checks.as_object_mut().unwrap().extend(parents.as_object().unwrap().clone());
    let outage = json!([{ "kind": "outage", "mode": "refuse", "start": "60s" }]);
    json!({
        "name": "zones", "duration": "90s", "warmup": "0s",
        "endpoints": { "a": { "response_time": "0s", "faults": outage }, "b": { "response_time": "0s", "faults": outage },
                       "c": { "response_time": "0s", "faults": outage }, "dr": {} },
        "health_checks": checks,
        "dns": { "records": { "app": { "ttl": "60s", "failover": {
            "primary": { "endpoint": "a", "health_check": "a" }, "secondary": { "endpoint": "dr" } } } } }
    })
}

fn index(config: &Config, id: &str) -> u32 {
    config.health_checks.iter().position(|h| h.id == id).unwrap() as u32
}

/// The k-th smallest of `values` (1-based).
fn order_statistic(values: &[f64], k: usize) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[k - 1]
}

/// E[k-th smallest of 3 independent U·10 s + V], V uniform on [0, v] (v ≤ 10 s):
/// ∫ P(X_(k) > x) dx, with the trapezoidal law of the sum.
fn expected_order_statistic(k: usize, v: f64) -> f64 {
    let (a, b) = (10.0, v);
    let cdf = |x: f64| {
        if b == 0.0 {
            (x / a).clamp(0.0, 1.0)
        } else if x <= 0.0 {
            0.0
        } else if x <= b {
            x * x / (2.0 * a * b)
        } else if x <= a {
            (2.0 * x - b) / (2.0 * a)
        } else if x <= a + b {
            1.0 - (a + b - x).powi(2) / (2.0 * a * b)
        } else {
            1.0
        }
    };
    let binomial = [1.0, 3.0, 3.0, 1.0];
    let steps = 200_000;
    let dx = (a + b) / steps as f64;
    (0..steps)
        .map(|i| {
            let f = cdf((i as f64 + 0.5) * dx);
            let at_least_k: f64 = (k..=3).map(|j| binomial[j] * f.powi(j as i32) * (1.0 - f).powi(3 - j as i32)).sum();
            (1.0 - at_least_k) * dx
        })
        .sum()
}

#[test]
fn a_calculated_check_goes_unhealthy_at_the_order_statistic_of_its_children() {
    // h of n healthy needed: unhealthy at the (n − h + 1)-th child detection — AND (h = 3)
    // at the first, 2-of-3 at the second, 1-of-3 (OR) at the last.
    let runs = 3000;
    for (delay, v) in [(json!("0s"), 0.0), (json!({ "uniform": ["0s", "4s"] }), 4.0)] {
        let config = config_from(&zones(parents(&delay), json!({})));
        let children: Vec<u32> = ["a", "b", "c"].iter().map(|c| index(&config, c)).collect();
        for (parent, h) in [("and", 3), ("two", 2), ("or", 1)] {
            let k = 3 - h + 1;
            let p = index(&config, parent);
            let mut detections = Vec::with_capacity(runs);
            for r in 0..runs as u32 {
                let changes = replicate(&config, r);
                let child: Vec<f64> = children.iter().map(|&c| changes.first_unhealthy(c, 60.0).unwrap()).collect();
                let at = changes.first_unhealthy(p, 60.0).expect("every zone fails, so every parent does");
                if v == 0.0 {
                    // Without a delay the parent follows the k-th child at the same instant.
                    assert_eq!(at, order_statistic(&child, k), "{parent}, run {r}");
                } else {
                    assert!(at >= order_statistic(&child, k) - 1e-9 && at <= order_statistic(&child, k) + v + 1e-9);
                }
                detections.push(at);
            }
            let sample = Sample::of(&detections);
            let expected = expected_order_statistic(k, v);
            println!(
                "calculated {parent} (h = {h}, k = {k}), update_delay {delay}: expected {expected:.3} s, simulated {:.3} ± {:.3} s (SE, n = {runs})",
                sample.mean,
                sample.standard_error()
            );
            sample.assert_mean_near(expected, 4.0, &format!("{parent} with update_delay {delay}"));
        }
    }
}

/// AND, 2-of-3 and 1-of-3 (OR) over the three zones.
fn parents(delay: &Value) -> Value {
    let parent = |h: u32| json!({ "type": "calculated", "children": ["a", "b", "c"], "health_threshold": h, "update_delay": delay });
    json!({ "and": parent(3), "two": parent(2), "or": parent(1) })
}

#[test]
fn a_disabled_child_counts_as_healthy() {
    // c is disabled (and even inverted: disabled wins), though its zone fails too.
    let parents = json!({
        "two": { "type": "calculated", "children": ["a", "b", "c"], "health_threshold": 2 },
        "one": { "type": "calculated", "children": ["a", "c"], "health_threshold": 1 }
    });
    let config = config_from(&zones(parents, json!({ "disabled": true, "inverted": true })));
    let (a, b, c) = (index(&config, "a"), index(&config, "b"), index(&config, "c"));
    let (two, one) = (index(&config, "two"), index(&config, "one"));
    let runs = 2000;
    let mut detections = Vec::new();
    for r in 0..runs {
        let changes = replicate(&config, r);
        assert_eq!(changes.first_unhealthy(c, 0.0), None, "a disabled check never goes unhealthy");
        assert_eq!(changes.first_unhealthy(one, 0.0), None, "c keeps one child healthy");
        // Two healthy needed and c always counts: unhealthy once both a and b are down.
        let both = changes.first_unhealthy(a, 60.0).unwrap().max(changes.first_unhealthy(b, 60.0).unwrap());
        let at = changes.first_unhealthy(two, 60.0).unwrap();
        assert_eq!(at, both, "run {r}");
        detections.push(at);
    }
    // The larger of two uniforms on [0, 10 s): 2/3 of 10 s (the second of three would be 5 s).
    let sample = Sample::of(&detections);
    println!(
        "2 of (a, b, disabled c): expected {:.3} s, simulated {:.3} ± {:.3} s (SE, n = {runs})",
        20.0 / 3.0,
        sample.mean,
        sample.standard_error()
    );
    sample.assert_mean_near(20.0 / 3.0, 4.0, "2 of 3 with a disabled child");
}

/// A primary whose requests fail with probability `rate` from 5 min on, which its probes
/// never see; an HTTP check and a CloudWatch error-rate check (threshold 0.05, 60 s
/// periods, `evaluation_periods` m, data 30–90 s late) watch it.
fn gray(rate: f64, m: u32) -> Value {
    json!({
        "name": "gray", "duration": "10m",
        "endpoints": { "primary": { "faults": [ { "kind": "degraded", "start": "5m", "request_error_rate": rate } ] },
                       "secondary": {} },
        "health_checks": {
            "http": { "endpoint": "primary" },
            "metric": { "endpoint": "primary", "type": "cloudwatch_metric", "metric": "error_rate", "threshold": 0.05,
                        "evaluation_periods": m, "data_delay": { "uniform": ["30s", "90s"] } }
        },
        "dns": { "records": { "app": { "ttl": "60s", "failover": {
            "primary": { "endpoint": "primary", "health_check": "metric" }, "secondary": { "endpoint": "secondary" } } } } }
    })
}

#[test]
fn a_cloudwatch_check_detects_a_gray_failure_within_its_period_arithmetic_and_http_misses_it() {
    // A period of P = 60 s that the failure (error rate p = 0.3) enters u ∈ (0, P] before
    // its end averages p·u/P, so it breaches θ = 0.05 iff u ≥ c = P·θ/p = 10 s; later
    // periods average p. With m periods in a row and a delay D ∈ [30, 90] s (spread ≤ P:
    // datapoints arrive in order), detection = u + (m − 1)·P + D if u ≥ c, else one period
    // later: within [(m − 1)·P + c + 30, (m + 1)·P + 90] s, mean P/2 + (m − 1)·P + c + 60.
    let (p, c) = (0.3, 10.0);
    for m in [1u32, 2] {
        let report = simulate(&gray(p, m), 1500);
        let (low, high) = (f64::from(m - 1) * 60.0 + c + 30.0, f64::from(m + 1) * 60.0 + 90.0);
        let mut detections = Vec::new();
        for run in &report.run_results {
            assert_eq!(run.health_checks["http"].went_unhealthy, 0, "the HTTP check misses the gray failure");
            let e = &run.episodes[0];
            assert_eq!(e.health_check.as_deref(), Some("metric"));
            let d = e.detection_s.expect("the metric check detects");
            assert!(d >= low - 1e-6 && d <= high + 1e-6, "detection {d} outside [{low}, {high}]");
            assert_eq!(run.health_checks["metric"].false_failovers, 0);
            detections.push(d);
        }
        let sample = Sample::of(&detections);
        let expected = 30.0 + f64::from(m - 1) * 60.0 + c + 60.0;
        let min = detections.iter().copied().fold(f64::INFINITY, f64::min);
        let max = detections.iter().copied().fold(0.0, f64::max);
        println!(
            "CloudWatch, {m} evaluation period(s): bounds [{low}, {high}] s, observed [{min:.1}, {max:.1}] s; mean expected {expected:.1} s, simulated {:.2} ± {:.2} s (SE, n = {})",
            sample.mean,
            sample.standard_error(),
            sample.n
        );
        sample.assert_mean_near(expected, 4.0, &format!("CloudWatch detection, m = {m}"));
    }
}

#[test]
fn a_calculated_check_over_a_cloudwatch_check_is_attributed_through_its_child() {
    // AND over the HTTP and the CloudWatch check of one endpoint, used by the record; the
    // gray failure lasts 2 min, so the metric often turns unhealthy after it has ended: its
    // change and the parent's still count for the episode (the periods overlap it), and so
    // does the DNS switch they cause.
    let mut scenario = gray(0.3, 1);
    scenario["endpoints"]["primary"]["faults"][0]["duration"] = json!("2m");
    scenario["health_checks"]["both"] =
        json!({ "type": "calculated", "children": ["http", "metric"], "health_threshold": 2 });
    scenario["dns"]["records"]["app"]["failover"]["primary"]["health_check"] = json!("both");
    let report = simulate(&scenario, 200);
    let mut after_the_end = 0;
    for run in &report.run_results {
        assert_eq!(run.health_checks["both"].went_unhealthy, 1);
        assert_eq!(run.totals.false_failovers, 0);
        let e = &run.episodes[0];
        assert_eq!(e.health_check.as_deref(), Some("metric"), "the child detects; the parent follows it");
        let switch = e.dns_switch_last_s.expect("the switch is caused by an attributed change");
        assert!(switch >= e.detection_s.unwrap());
        after_the_end += usize::from(switch > 120.0);
    }
    println!("calculated over CloudWatch: {after_the_end} of 200 DNS switches after the episode's end, attributed");
    assert!(after_the_end > 20, "{after_the_end} switches after the episode's end");
}

#[test]
fn an_outage_publishes_no_data_unless_a_load_balancer_reports_errors() {
    // A crashed host publishes nothing: its periods have no data. With the last known
    // status the check stays healthy; with "unhealthy" it fails at the first period down
    // throughout (its end ≤ 2 periods after the start, plus the 30–90 s delay); a load
    // balancer's errors breach the threshold like any error rate.
    let outage = |extra: Value| {
        let mut s = gray(0.3, 1);
        s["endpoints"]["primary"]["faults"] = json!([{ "kind": "outage", "start": "5m" }]);
        s["health_checks"]["metric"].as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        s
    };
    let report = simulate(&outage(json!({})), 50);
    for run in &report.run_results {
        assert_eq!(run.health_checks["metric"].went_unhealthy, 0, "no data keeps the last known status");
        assert!(run.episodes[0].detection_s.unwrap() < 105.0, "the HTTP check sees the outage");
    }
    for extra in [json!({ "insufficient_data_health_status": "unhealthy" }), json!({ "outage_data": "errors" })] {
        let report = simulate(&outage(extra.clone()), 200);
        for run in &report.run_results {
            assert_eq!(run.health_checks["metric"].went_unhealthy, 1, "{extra}");
            assert_eq!(run.health_checks["metric"].false_failovers, 0, "{extra}: attributed to the outage");
        }
    }
}

#[test]
fn detection_is_the_first_attributed_change_of_any_check_of_the_endpoint() {
    // Two HTTP checks of one endpoint: "a-slow" (30 s, first in id order) and "b-fast"
    // (10 s). The fast one detects first and is named; before, only the first check in
    // id order was asked.
    let scenario = json!({
        "name": "two-checks", "duration": "20m",
        "endpoints": { "primary": { "faults": [ { "kind": "outage", "start": "5m", "duration": "5m" } ] }, "secondary": {} },
        "health_checks": { "a-slow": { "endpoint": "primary" },
                           "b-fast": { "endpoint": "primary", "request_interval": "10s" } },
        "dns": { "records": { "app": { "ttl": "60s", "failover": {
            "primary": { "endpoint": "primary", "health_check": "a-slow" }, "secondary": { "endpoint": "secondary" } } } } }
    });
    let report = simulate(&scenario, 100);
    for run in &report.run_results {
        let e = &run.episodes[0];
        assert_eq!(e.health_check.as_deref(), Some("b-fast"));
        // Fast interval: within [(k − 1)(I + τ) + τ, I + r + …] = [32, 42.05] s (§3.9).
        let d = e.detection_s.unwrap();
        assert!((32.0..=42.05).contains(&d), "{d}");
        // The DNS switch follows the record's own (slow) check.
        assert!(e.dns_switch_last_s.unwrap() >= 72.0);
    }
}

#[test]
fn a_false_failover_of_a_child_is_one_of_its_parent_too() {
    // Probe-loss blips fail zone a's single checker now and then (threshold 1): each is a
    // false failover of a, and of the AND check above it — but not of 2-of-3.
    let parents = json!({
        "and": { "type": "calculated", "children": ["a", "b", "c"], "health_threshold": 3 },
        "two": { "type": "calculated", "children": ["a", "b", "c"], "health_threshold": 2 }
    });
    let mut scenario = zones(parents, json!({}));
    scenario["duration"] = json!("1h");
    scenario["endpoints"]["a"]["faults"] =
        json!([{ "kind": "probe_loss", "start": "1m", "duration": "15s", "every": { "exponential": "5m" } }]);
    scenario["endpoints"]["b"]["faults"] = json!([]);
    scenario["endpoints"]["c"]["faults"] = json!([]);
    let report = simulate(&scenario, 5);
    for run in &report.run_results {
        let child = run.health_checks["a"].false_failovers;
        assert!(child >= 3, "{child}");
        assert_eq!(run.health_checks["and"].false_failovers, child);
        assert_eq!(run.health_checks["two"].went_unhealthy, 0);
    }
}

fn error(scenario: &Value) -> String {
    let file = Path::new("check.json");
    let (parsed, _) = parse(file, &scenario.to_string()).unwrap();
    build(&parsed, file).unwrap_err().to_string()
}

fn assert_error(scenario: &Value, expected: &str) {
    let err = error(scenario);
    assert!(err.starts_with("check.json: at /health_checks/"), "{err}");
    assert!(err.contains(expected), "expected {expected:?} in: {err}");
}

#[test]
fn calculated_and_cloudwatch_fields_are_validated_in_plain_words() {
    let with = |id: &str, check: Value| {
        let mut s = zones(json!({}), json!({}));
        s["health_checks"][id] = check;
        s
    };
    let calc = |extra: Value| {
        let mut check = json!({ "type": "calculated", "children": ["a", "b"], "health_threshold": 1 });
        check.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        with("p", check)
    };
    let mut chained = calc(json!({}));
    chained["health_checks"]["q"] = json!({ "type": "calculated", "children": ["a", "p"], "health_threshold": 1 });
    assert_error(
        &chained,
        "/health_checks/q/children/1: \"p\" is a calculated health check, and a calculated check cannot monitor another calculated check (q → p)",
    );
    assert_error(
        &calc(json!({ "children": ["a", "bb"] })),
        "/health_checks/p/children/1: unknown health check \"bb\" (did you mean \"b\"?)",
    );
    assert_error(
        &calc(json!({ "children": ["a", "a"] })),
        "/health_checks/p/children/1: the child \"a\" is listed twice",
    );
    assert_error(
        &calc(json!({ "children": [] })),
        "/health_checks/p/children: expected from 1 to 256 children, found 0",
    );
    assert_error(
        &calc(json!({ "health_threshold": 257 })),
        "/health_checks/p/health_threshold: expected a health threshold from 0 to 256, found 257",
    );
    assert_error(&calc(json!({ "health_threshold": -1 })), "expected a health threshold from 0 to 256, found -1");
    assert_error(
        &with("p", json!({ "type": "calculated", "children": ["a"] })),
        "/health_checks/p/health_threshold: a calculated health check needs \"health_threshold\"",
    );
    assert_error(
        &calc(json!({ "endpoint": "a" })),
        "/health_checks/p/endpoint: the field \"endpoint\" does not apply to a calculated health check (a calculated check follows its children, not an endpoint)",
    );
    assert_error(
        &calc(json!({ "request_interval": "10s" })),
        "/health_checks/p/request_interval: the field \"request_interval\" does not apply to a calculated health check (it configures probes, which this type does not send)",
    );
    assert_error(
        &calc(json!({ "threshold": 0.1 })),
        "/health_checks/p/threshold: the field \"threshold\" does not apply to a calculated health check (it belongs to type \"cloudwatch_metric\")",
    );
    assert_error(
        &with("a", json!({ "endpoint": "a", "type": "tcp", "health_threshold": 1 })),
        "/health_checks/a/health_threshold: the field \"health_threshold\" does not apply to a tcp health check (it belongs to type \"calculated\")",
    );
    let watch = |extra: Value| {
        let mut check =
            json!({ "type": "cloudwatch_metric", "endpoint": "a", "metric": "error_rate", "threshold": 0.05 });
        check.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        with("w", check)
    };
    assert_error(
        &watch(json!({ "threshold": 5 })),
        "/health_checks/w/threshold: expected an error rate from 0 to 1 (5 % is 0.05), found 5",
    );
    assert_error(
        &watch(json!({ "evaluation_periods": 0 })),
        "/health_checks/w/evaluation_periods: expected a number of evaluation periods from 1 to 1000, found 0",
    );
    assert_error(
        &watch(json!({ "period": "500ms" })),
        "/health_checks/w/period: expected a period of at least 1s, found 500ms",
    );
    assert_error(
        &watch(json!({ "failure_threshold": 2 })),
        "/health_checks/w/failure_threshold: the field \"failure_threshold\" does not apply to a cloudwatch_metric health check",
    );
    assert_error(
        &watch(json!({ "children": ["a"] })),
        "/health_checks/w/children: the field \"children\" does not apply to a cloudwatch_metric health check",
    );
    assert_error(
        &with("w", json!({ "type": "cloudwatch_metric", "metric": "error_rate", "threshold": 0.05 })),
        "/health_checks/w/endpoint: a cloudwatch_metric health check needs \"endpoint\"",
    );
    assert_error(
        &with("w", json!({ "type": "cloudwatch_metric", "endpoint": "a", "threshold": 0.05 })),
        "/health_checks/w/metric: a cloudwatch_metric health check needs \"metric\"",
    );
    assert_error(
        &with("a", json!({ "type": "http" })),
        "/health_checks/a/endpoint: a http health check needs \"endpoint\"",
    );
    // Route 53 would refuse these; fosim runs them and says so.
    let warnings: Vec<String> =
        config_from(&watch(json!({ "metric": "latency_p99", "threshold": 1, "period": "30s" })))
            .warnings
            .iter()
            .map(ToString::to_string)
            .collect();
    assert!(warnings.iter().any(|w| w.contains("extended statistic")), "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("standard-resolution")), "{warnings:?}");
    let warnings: Vec<String> =
        config_from(&calc(json!({ "health_threshold": 3 }))).warnings.iter().map(ToString::to_string).collect();
    assert!(warnings.iter().any(|w| w.contains("always unhealthy")), "{warnings:?}");
}

#[test]
fn plot_redraws_datapoints_and_calculated_panels_from_a_saved_run() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["cloudwatch-gray-failure", "calculated-zones"] {
        Command::cargo_bin("fosim")
            .unwrap()
            .args(["run", &format!("scenarios/{name}.json"), "--out"])
            .arg(dir.path())
            .assert()
            .success();
        let run_dir = dir.path().join(name);
        let again = dir.path().join(format!("{name}-again"));
        Command::cargo_bin("fosim").unwrap().arg("plot").arg(&run_dir).arg("--out").arg(&again).assert().success();
        for file in ["checkers.svg", "checkers.png", "report.html"] {
            assert!(
                std::fs::read(again.join(file)).unwrap() == std::fs::read(run_dir.join(file)).unwrap(),
                "{name}/{file} differs when redrawn"
            );
        }
        let svg = std::fs::read_to_string(run_dir.join("checkers.svg")).unwrap();
        let wanted =
            if name == "calculated-zones" { "children reporting healthy" } else { "datapoint, over its period" };
        assert!(svg.contains(wanted), "{name}: the checkers chart draws the check's own panel");
        assert_eq!(run_dir.join("datapoints.csv").exists(), name == "cloudwatch-gray-failure");
    }
}
