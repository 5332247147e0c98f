//! Load balancers behind an alias with Evaluate Target Health (docs/model.md §2.7): the
//! phase arithmetic of target health checks, requests forwarded only to targets in
//! service, the failover record backing out when no target is left (and not without ETH),
//! detection of each target's episode through the load balancer's check, validation in
//! plain words, and byte-identical output. Tolerances come from the number of samples.

use crate::support::{Sample, config_from, simulate};
use assert_cmd::Command;
use fosim::model::endpoint::Endpoints;
use fosim::model::load_balancer::LoadBalancers;
use fosim::model::{self, RunOptions};
use fosim::observe::{Observation, Observer};
use fosim::scenario::config::{Config, build, parse};
use serde_json::{Value, json};
use std::path::Path;

const US_PER_S: u64 = 1_000_000;
/// Every fault starts here; the warm-up is 0, so engine time is scenario time.
const FAULT_START_US: u64 = 300 * US_PER_S;

/// Targets web-1 and web-2 behind load balancer "alb" (health checks every I = 10 s,
/// timeout τ = 4 s, out after k = 3 failures), the record's primary an alias to it, the
/// secondary "dr"; clients without caches behind a forwarder send 2 requests a second.
/// `down` targets go dark (black hole) at 5 min for good.
fn scenario(down: &[&str], evaluate_target_health: bool, eth_delay: &str) -> Value {
    let mut endpoints = json!({
        "web-1": {}, "web-2": {}, "dr": {},
        "alb": { "load_balancer": { "targets": ["web-1", "web-2"], "interval": "10s", "timeout": "4s",
                                     "unhealthy_threshold": 3, "healthy_threshold": 2, "eth_delay": eth_delay } }
    });
    for target in down {
        endpoints[*target]["faults"] = json!([{ "kind": "outage", "start": "5m" }]);
    }
    json!({
        "name": "alb", "duration": "10m", "warmup": "0s",
        "endpoints": endpoints,
        "dns": { "records": { "app": { "ttl": "60s", "failover": {
            "primary": { "alias": "alb", "evaluate_target_health": evaluate_target_health },
            "secondary": { "endpoint": "dr" } } } } },
        "resolvers": { "forwarder": { "count": 1, "cache": false } },
        "clients": { "users": { "count": 10, "record": "app", "requests_per_s": 2, "dns_cache": { "mode": "none" } } }
    })
}

fn endpoint(config: &Config, id: &str) -> u32 {
    config.endpoints.iter().position(|e| e.id == id).unwrap() as u32
}

/// Requests (time, endpoint, failed) and the load balancer check's status changes of one
/// replication.
#[derive(Default)]
struct Seen {
    requests: Vec<(u64, u32, bool)>,
    changes: Vec<(u64, u32, bool)>,
}

impl Observer for Seen {
    fn observe(&mut self, observation: Observation<'_>) {
        match observation {
            Observation::Request { at_us, endpoint, failed, .. } => self.requests.push((at_us, endpoint, failed)),
            Observation::Transition(t) => self.changes.push((t.at_us, t.check, t.healthy)),
            _ => {}
        }
    }
}

#[test]
fn a_dead_target_leaves_service_after_its_threshold_of_health_checks_and_gets_no_more_requests() {
    // Health checks of a target are sent at φ + n·I (φ its phase). The first one at or after
    // the fault's start t0 fails, and k of them in a row take the target out of service at
    // the k-th's timeout: s + (k − 1)·I + τ with s the first send ≥ t0, so between
    // (k − 1)·I + τ and k·I + τ after t0 — on average I/2 + (k − 1)·I + τ = 29 s.
    let config = config_from(&scenario(&["web-1"], true, "0s"));
    let (web_1, web_2) = (endpoint(&config, "web-1"), endpoint(&config, "web-2"));
    let (interval_us, timeout_us, k) = (10 * US_PER_S, 4 * US_PER_S, 3);
    let check = config.load_balancer(endpoint(&config, "alb")).unwrap().check;
    let runs = 400;
    let mut delays = Vec::new();
    for r in 0..runs {
        let seed = fosim::rng::replication_seed(config.seed, r);
        let mut endpoints = Endpoints::build(&config, seed).unwrap();
        let balancers = LoadBalancers::build(&config, seed, &mut endpoints);
        let view = &balancers.balancers[0].views[0];
        assert_eq!(view.target, web_1);
        let first_us = view.phase_us + (FAULT_START_US - view.phase_us).div_ceil(interval_us) * interval_us;
        let out_us = first_us + (k - 1) * interval_us + timeout_us;
        assert_eq!(view.changes.len(), 1, "run {r}: out of service once, for good");
        assert_eq!((view.changes[0].at_us, view.changes[0].in_service), (out_us, false), "run {r}");
        let delay_us = out_us - FAULT_START_US;
        assert!(((k - 1) * interval_us + timeout_us..k * interval_us + timeout_us).contains(&delay_us), "run {r}");
        assert!(balancers.balancers[0].views[1].changes.is_empty(), "web-2 stays in service");

        let mut seen = Seen::default();
        model::run(&config, r, RunOptions::default(), &mut seen, &mut |_| {}).unwrap();
        assert!(
            seen.changes.iter().all(|&(_, c, _)| c != check),
            "run {r}: one target in service keeps the LB healthy"
        );
        let misrouted: Vec<u64> =
            seen.requests.iter().filter(|&&(at, e, _)| e == web_1 && at >= FAULT_START_US).map(|r| r.0).collect();
        assert!(!misrouted.is_empty(), "run {r}: requests reach the dead target until it leaves service");
        assert!(misrouted.iter().all(|&at| at < out_us), "run {r}: a request to web-1 after it left service");
        for &(at, e, failed) in &seen.requests {
            assert!(e == web_1 || e == web_2, "requests go to a target, never to the load balancer or dr");
            assert_eq!(failed, e == web_1 && at >= FAULT_START_US, "run {r}: only requests to the dark target fail");
        }
        delays.push(delay_us as f64 / US_PER_S as f64);
    }
    let sample = Sample::of(&delays);
    let expected = 10.0 / 2.0 + 2.0 * 10.0 + 4.0;
    println!(
        "out of service after: expected {expected:.2} s, simulated {:.2} ± {:.2} s (SE, n = {runs}), within [24, 34) s",
        sample.mean,
        sample.standard_error()
    );
    sample.assert_mean_near(expected, 4.0, "time to leave service");
}

#[test]
fn with_no_target_left_the_record_backs_out_to_its_secondary_after_the_eth_delay() {
    // Both targets go dark at t0; each leaves service U_i·I + (k − 1)·I + τ later (U_i
    // uniform, independent phases). The load balancer is unhealthy when the second one
    // leaves, and Route 53 sees it D = 20 s later: detection of either target's episode by
    // the load balancer's check is max(U_1, U_2)·I + (k − 1)·I + τ + D, within
    // [44, 54) s, mean 2/3·10 + 20 + 4 + 20 ≈ 50.67 s; name servers switch then (no
    // propagation delay).
    let runs = 2000;
    let report = simulate(&scenario(&["web-1", "web-2"], true, "20s"), runs);
    let mut detections = Vec::with_capacity(runs as usize);
    for run in &report.run_results {
        let (a, b) = (&run.episodes[0], &run.episodes[1]);
        assert_eq!((a.endpoint.as_str(), b.endpoint.as_str()), ("web-1", "web-2"));
        let d = a.detection_s.expect("the load balancer's check detects");
        assert_eq!(b.detection_s, Some(d), "one change of the LB detects both targets' episodes");
        for e in [a, b] {
            assert_eq!(e.health_check.as_deref(), Some("alb targets"));
            assert_eq!((e.dns_switch_first_s, e.dns_switch_last_s), (Some(d), Some(d)), "name servers back out");
            assert_eq!(e.clients_stranded, 0, "every client reaches dr");
            assert!(e.requests_misrouted > 0);
        }
        assert!((44.0..54.0).contains(&d), "detection {d} outside [44, 54) s");
        assert_eq!(run.health_checks["alb targets"].went_unhealthy, 1);
        assert_eq!(run.totals.false_failovers, 0);
        detections.push(d);
    }
    let sample = Sample::of(&detections);
    let expected = 2.0 / 3.0 * 10.0 + 20.0 + 4.0 + 20.0;
    println!(
        "LB unhealthy, seen by Route 53: expected {expected:.3} s, simulated {:.3} ± {:.3} s (SE, n = {runs})",
        sample.mean,
        sample.standard_error()
    );
    sample.assert_mean_near(expected, 4.0, "detection through the load balancer");
}

#[test]
fn without_evaluate_target_health_the_alias_never_backs_out() {
    let scenario = scenario(&["web-1", "web-2"], false, "0s");
    let warnings: Vec<String> = config_from(&scenario).warnings.iter().map(ToString::to_string).collect();
    assert!(warnings.iter().any(|w| w.contains("never fails over")), "{warnings:?}");
    let report = simulate(&scenario, 50);
    for run in &report.run_results {
        for e in &run.episodes {
            assert!(e.detection_s.is_some(), "the load balancer still sees its targets go");
            assert_eq!(e.dns_switch_first_s, None, "but Route 53 does not ask it");
            assert_eq!(e.clients_stranded, e.clients_active);
        }
    }
}

fn error(scenario: &Value) -> String {
    let file = Path::new("lb.json");
    let (parsed, _) = parse(file, &scenario.to_string()).unwrap();
    build(&parsed, file).unwrap_err().to_string()
}

#[test]
fn load_balancers_are_validated_in_plain_words() {
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut s = scenario(&[], true, "0s");
        edit(&mut s);
        s
    };
    let lb = |field: &str, value: Value| {
        with(&|s: &mut Value| s["endpoints"]["alb"]["load_balancer"][field] = value.clone())
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            lb("targets", json!(["web-1", "web-3"])),
            "/endpoints/alb/load_balancer/targets/1: unknown endpoint \"web-3\" (did you mean \"web-1\"?)",
        ),
        (
            lb("targets", json!(["web-1", "web-1"])),
            "/endpoints/alb/load_balancer/targets/1: the target \"web-1\" is listed twice",
        ),
        (lb("targets", json!(["alb"])), "/endpoints/alb/load_balancer/targets/0: \"alb\" cannot be a target of itself"),
        (lb("targets", json!([])), "/endpoints/alb/load_balancer/targets: expected from 1 to 1000 targets, found 0"),
        (
            with(&|s: &mut Value| {
                s["endpoints"]["inner"] = json!({ "load_balancer": { "targets": ["web-1"] } });
                s["endpoints"]["alb"]["load_balancer"]["targets"] = json!(["inner"]);
            }),
            "/endpoints/alb/load_balancer/targets/0: \"inner\" is a load balancer too; a load balancer's targets are servers, not load balancers",
        ),
        (
            lb("unhealthy_threshold", json!(1)),
            "/endpoints/alb/load_balancer/unhealthy_threshold: expected a threshold from 2 to 10, found 1",
        ),
        (
            lb("healthy_threshold", json!(11)),
            "/endpoints/alb/load_balancer/healthy_threshold: expected a threshold from 2 to 10, found 11",
        ),
        (lb("interval", json!("2s")), "/endpoints/alb/load_balancer/interval: expected from 5s to 5m, found 2s"),
        (lb("timeout", json!("1s")), "/endpoints/alb/load_balancer/timeout: expected from 2s to 2m, found 1s"),
        (
            lb("timeout", json!("10s")),
            "/endpoints/alb/load_balancer/timeout: expected a timeout shorter than the interval (10s), found 10s",
        ),
        (
            with(&|s: &mut Value| s["endpoints"]["alb"]["faults"] = json!([{ "kind": "outage", "start": "1m" }])),
            "/endpoints/alb/faults: a load balancer has no faults of its own; put them on its targets (\"web-1\", \"web-2\")",
        ),
        (
            with(&|s: &mut Value| s["dns"]["records"]["alb"] = json!({ "ttl": "60s", "simple": { "endpoint": "dr" } })),
            "/dns/records/app/failover/primary/alias: \"alb\" names both a record set and a load balancer; rename one of them",
        ),
        (
            with(&|s: &mut Value| s["health_checks"] = json!({ "alb targets": { "endpoint": "dr" } })),
            "/health_checks/\"alb targets\": the id \"alb targets\" names the health of load balancer \"alb\", which fosim adds itself",
        ),
        (
            with(&|s: &mut Value| {
                s["dns"]["records"]["many"] = json!({ "ttl": "60s", "multivalue": { "a": { "alias": "alb" } } })
            }),
            "/dns/records/many/multivalue/a/alias: a multivalue record cannot be an alias",
        ),
    ];
    for (scenario, expected) in cases {
        let err = error(&scenario);
        assert!(err.starts_with("lb.json: at /"), "{err}");
        assert!(err.contains(expected), "expected {expected:?} in: {err}");
        assert!(!err.contains("LoadBalancer") && !err.contains("u32"), "no Rust type names: {err}");
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("alb.json");
    let mut s = scenario(&["web-1", "web-2"], true, "0s");
    s["endpoints"]["alb"]["load_balancer"]["eth_delay"] = json!({ "uniform": ["5s", "40s"] });
    s["endpoints"]["web-2"]["faults"] = json!([{ "kind": "degraded", "start": "2m", "duration": "5m", "request_error_rate": 0.3, "probe_error_rate": 0.4 }]);
    s["health_checks"] = json!({ "alb-http": { "endpoint": "alb" } });
    std::fs::write(&file, s.to_string()).unwrap();
    let run = |out: &str, threads: &str| {
        Command::cargo_bin("fosim")
            .unwrap()
            .env("RAYON_NUM_THREADS", threads)
            .args(["run", "--runs", "3", "--out"])
            .arg(dir.path().join(out))
            .arg(&file)
            .assert()
            .success();
        dir.path().join(out).join("alb")
    };
    let (a, b) = (run("a", "1"), run("b", "2"));
    let mut files: Vec<_> = std::fs::read_dir(&a).unwrap().map(|f| f.unwrap().file_name()).collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    for name in files {
        assert!(std::fs::read(a.join(&name)).unwrap() == std::fs::read(b.join(&name)).unwrap(), "{name:?} differs");
    }
    let report = std::fs::read_to_string(a.join("report.json")).unwrap();
    assert!(report.contains("\"load_balancer\""), "the report shows the load balancer");
}
