//! Golden scenarios: every bundled scenario runs through the real binary; its summary is
//! checked against a committed snapshot, and the lesson its description promises is
//! asserted on the numbers.

use assert_cmd::Command;
use fosim::report::{EpisodeResult, Report, RunResult};
use std::path::{Path, PathBuf};

fn bundled() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn run(path: &Path, out: &Path) -> (String, Report) {
    let output = Command::cargo_bin("fosim").unwrap().arg("run").arg(path).arg("--out").arg(out).output().unwrap();
    assert!(output.status.success(), "{}: {}", path.display(), String::from_utf8_lossy(&output.stderr));
    let name = path.file_stem().unwrap().to_str().unwrap();
    let report: Report = serde_json::from_slice(&std::fs::read(out.join(name).join("report.json")).unwrap()).unwrap();
    (String::from_utf8(output.stdout).unwrap(), report)
}

#[test]
fn every_bundled_scenario_runs_and_matches_its_snapshot() {
    let files = bundled();
    assert!(files.len() >= 8, "expected the bundled scenarios, found {}", files.len());
    let out = tempfile::tempdir().unwrap();
    for path in files {
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let (stdout, report) = run(&path, out.path());
        assert_eq!(report.name, name, "a scenario's name is its file name");
        assert!(report.description.len() > 40, "{name}: the description should say what the scenario teaches");
        lesson(&name, &report.run_results[0]);
        insta::assert_snapshot!(name, stdout);
    }
}

fn episode<'a>(run: &'a RunResult, endpoint: &str) -> &'a EpisodeResult {
    run.episodes.iter().find(|e| e.endpoint == endpoint).unwrap_or_else(|| panic!("no episode on {endpoint}"))
}

/// What each scenario's description promises, checked on its first run.
fn lesson(name: &str, run: &RunResult) {
    match name {
        "own-api" => {
            let e = episode(run, "primary");
            let stages = |g: &str| e.groups[g].stages.clone().unwrap_or_else(|| panic!("{g} has stages"));
            // Java services: their own failed requests refill the VPC resolver with the dead
            // primary at the fault's start, and it keeps it for a whole TTL from then.
            let java = stages("java-services");
            let total: f64 = java.each().iter().map(|s| s.2.mean_s).sum();
            assert!(java.resolver_refilled.mean_s > 0.5 * total, "java: {java:?}");
            let java_p50 = e.groups["java-services"].client_failover_s.p50.unwrap();
            assert!((java_p50 - 120.0).abs() < 5.0, "java fails over about one TTL after the fault: {java_p50}");
            // Mobile users behind clamping resolvers wait for answers cached before the fault:
            // far longer than browsers behind the same unclamped ISP resolvers alone.
            let (mobile, browsers) =
                (stages("mobile").resolver_cached.mean_s, stages("browsers").resolver_cached.mean_s);
            assert!(mobile > 1.5 * browsers, "mobile {mobile} s vs browsers {browsers} s cached before the fault");
            // Pooled connections never idle out: no Java service comes back to the primary.
            let back = e.groups["java-services"].failback.clone().expect("the episode ends before the run");
            assert_eq!(back.clients_away_at_end, back.clients_failed_over);
            assert!(e.groups["browsers"].failback.clone().unwrap().back_s.count > 0);
        }
        "basic-failover" => {
            let e = episode(run, "primary");
            assert!(e.detection_s.unwrap() > 70.0 && e.detection_s.unwrap() < 105.0);
            assert_eq!(e.clients_stranded, 0);
            assert!(e.client_failover_s.p50.unwrap() > e.detection_s.unwrap());
        }
        "fast-vs-standard-checks" => {
            let fast = episode(run, "fast-primary");
            let standard = episode(run, "standard-primary");
            assert!(fast.detection_s.unwrap() < 50.0 && standard.detection_s.unwrap() > 70.0);
            assert!(fast.client_failover_s.p50.unwrap() < standard.client_failover_s.p50.unwrap());
            assert!(fast.requests_misrouted < standard.requests_misrouted);
        }
        "flapping-primary" => {
            let e = episode(run, "primary");
            assert_eq!(e.kind, "flap");
            assert!(e.requests_failed < e.requests_misrouted, "up phases serve misrouted requests");
            assert!(run.health_checks["hc-primary"].went_unhealthy >= 3, "the check follows several swings");
        }
        "probe-loss-thresholds" => {
            assert!(run.episodes.is_empty());
            assert!(run.health_checks["hc-threshold-1"].false_failovers >= 5);
            assert_eq!(run.health_checks["hc-threshold-3"].false_failovers, 0);
            assert_eq!(run.totals.requests_failed, 0);
        }
        "both-down" => {
            let secondary = episode(run, "secondary");
            // Rule 3 sends clients back to the primary, which is still down until 45 min.
            assert!(secondary.client_failover_s.p50.unwrap() > 15.0 * 60.0);
            assert!(run.totals.availability < 0.8);
        }
        "gray-failure" => {
            let e = episode(run, "primary");
            assert_eq!(e.detection_s, None);
            assert_eq!(e.clients_stranded, e.clients_active);
            assert!(e.requests_failed * 2 < e.requests_misrouted);
        }
        "client-mix" => {
            let e = episode(run, "primary");
            let p50 = |g: &str| e.groups[g].client_failover_s.p50.unwrap();
            assert_eq!(e.groups["jvm-forever"].clients_stranded, e.groups["jvm-forever"].clients_active);
            assert!(p50("browsers") > p50("ttl-honouring"));
            assert!(p50("jvm-default") > p50("ttl-honouring"));
        }
        "resolver-clamping" => {
            let e = episode(run, "primary");
            let p50 = |g: &str| e.groups[g].client_failover_s.p50.unwrap();
            assert!(p50("behind-clamping") > p50("behind-honest") + 100.0);
        }
        "probe-loss-tuning" => {
            let e = episode(run, "primary");
            assert!(e.detection_s.unwrap() > 70.0, "the standard check is slow to detect");
            assert_eq!(run.totals.false_failovers, 0, "threshold 3 at 30 s rides out the blips");
            assert!(run.health_checks["hc-primary"].probes_failed > 100, "blips and background loss fail probes");
        }
        "ttl-tuning" => {
            let cost = run.totals.query_cost_per_month.expect("the scenario sets a query price");
            assert!(cost > 0.0 && run.totals.authoritative_queries_per_s > 0.0);
            let e = episode(run, "primary");
            assert!(e.client_failover_s.p99.unwrap() > e.detection_s.unwrap() + 30.0, "clients wait out the 60 s TTL");
        }
        "multi-region-latency" => {
            // ETH carries the dead region up the tree: American users move to Europe, not to
            // the maintenance page; without ETH on the latency records they are stranded.
            let e = episode(run, "use1-a");
            let us = &e.groups["us-users"];
            assert_eq!(us.clients_stranded, 0);
            assert!(us.client_failover_s.p99.unwrap() < e.detection_s.unwrap() + 120.0, "one detection and a 60 s TTL");
            assert_eq!(e.groups["legacy-us-users"].clients_stranded, e.groups["legacy-us-users"].clients_active);
            assert_eq!(e.groups["eu-users"].requests_misrouted, 0);
            assert_eq!(run.groups["eu-users"].requests_failed, 0);
            assert!(run.groups["legacy-us-users"].availability < 0.7, "a third of the hour on a dead region");
        }
        "weighted-dead-member" => {
            let e = episode(run, "web-1");
            let (checked, unchecked) = (&e.groups["checked-users"], &e.groups["unchecked-users"]);
            assert!(unchecked.requests_misrouted > 10 * checked.requests_misrouted);
            // Without checks a quarter of the requests sent during the outage fail: 20 minutes
            // of 2,000 clients at 0.2/s, a quarter of 480,000.
            let expected = 0.25 * 2000.0 * 0.2 * 1200.0;
            let failed = unchecked.requests_failed as f64;
            assert!((failed - expected).abs() < 0.05 * expected, "{failed} failed vs about {expected}");
            assert_eq!(e.record_sets["unchecked.example.com"].dns_switch_first_s, None, "never leaves the answers");
        }
        "multivalue-next-address" => {
            let e = episode(run, "web-1");
            let delay = e.request_delay_s.as_ref().unwrap();
            assert_eq!(
                (delay.mean, delay.p99),
                (Some(3.0), Some(3.0)),
                "each passing request loses the connect timeout"
            );
            assert!(delay.requests > 1000);
            assert_eq!(run.groups["browsers"].requests_failed, 0);
            assert!(run.groups["scripts"].requests_failed > 1000);
        }
        "fail-open" => {
            let e = episode(run, "web-1");
            let (pool, app) = (&e.groups["pool-users"], &e.groups["app-users"]);
            assert_eq!(pool.clients_stranded, pool.clients_active, "the bare pool fails open onto dead servers");
            assert_eq!(app.clients_stranded, 0);
            assert!(app.client_failover_s.p99.unwrap() < e.detection_s.unwrap() + 120.0);
            assert_eq!(
                e.record_sets["pool.example.com"].dns_failback_last_s,
                Some(0.0),
                "answered again once both fail"
            );
        }
        "alb-target-health" => {
            // ETH alone waits for the load balancer to take its last target out of service:
            // within [(k − 1)·I + τ, k·I + τ) = [35 s, 65 s) of the fault, then eth_delay ≤ 10 s.
            let e = episode(run, "web-1");
            let (app, fast) = (&e.record_sets["app.example.com"], &e.record_sets["fast.example.com"]);
            let eth_only = app.dns_switch_last_s.unwrap();
            assert!((35.0..75.0).contains(&eth_only), "{eth_only}");
            assert!(fast.dns_switch_last_s.unwrap() < eth_only, "a Route 53 check on the load balancer is faster");
            assert_eq!(run.health_checks["alb targets"].went_unhealthy, 1);
            let (app_users, fast_users) = (&e.groups["app-users"], &e.groups["fast-users"]);
            assert_eq!((app_users.clients_stranded, fast_users.clients_stranded), (0, 0));
            assert!(fast_users.client_failover_s.p50.unwrap() < app_users.client_failover_s.p50.unwrap());
            assert!(fast_users.requests_misrouted < app_users.requests_misrouted);
        }
        "calculated-zones" => {
            // Zone a's loss is detected by its own check; AND fails the strict record over
            // then, so by the time the region fails its clients are long gone.
            let zone_a = episode(run, "zone-a");
            assert_eq!(zone_a.health_check.as_deref(), Some("zone-a"));
            assert!(zone_a.detection_s.unwrap() < 45.0);
            let region = episode(run, "region");
            assert_eq!(region.groups["strict-users"].requests_misrouted, 0);
            assert!(region.groups["tolerant-users"].requests_misrouted > 1000, "2-of-3 waits for the second zone");
            let switch = region.dns_switch_last_s.unwrap();
            assert!(switch < 45.0, "2-of-3 follows zone b's check at once: {switch}");
            assert!(region.groups["tolerant-users"].client_failover_s.p50.unwrap() > switch);
            assert_eq!(
                (run.health_checks["all-zones"].went_unhealthy, run.health_checks["two-of-three"].went_unhealthy),
                (1, 1)
            );
            assert_eq!(run.totals.false_failovers, 0, "each calculated change is attributed to a zone's outage");
        }
        "cloudwatch-gray-failure" => {
            let e = episode(run, "primary");
            assert_eq!(e.health_check.as_deref(), Some("hc-errors"));
            let detection = e.detection_s.unwrap();
            assert!((40.0..=210.0).contains(&detection), "{detection}");
            assert_eq!(run.health_checks["hc-http"].went_unhealthy, 0, "HTTP misses the gray failure");
            let (http, metric) = (&e.groups["http-users"], &e.groups["metric-users"]);
            assert_eq!(http.clients_stranded, http.clients_active);
            assert_eq!(metric.clients_stranded, 0);
            assert!(metric.client_failover_s.p50.unwrap() > detection);
            assert!(metric.requests_failed * 5 < http.requests_failed);
        }
        other => panic!("bundled scenario {other} has no lesson check; add one"),
    }
}

#[test]
fn every_bundled_scenario_validates() {
    let mut cmd = Command::cargo_bin("fosim").unwrap();
    // The benchmark scenarios are too long to run here; `fosim bench` runs them.
    cmd.arg("validate").args(bundled()).args(["scenarios/bench/small.json", "scenarios/bench/large.json"]);
    cmd.assert().success();
}

/// The scenarios of the real-software comparison (scenarios/real/, docs/validation.md): each
/// validates, runs, and shows the difference its configuration makes.
#[test]
fn the_real_software_scenarios_run_and_show_their_differences() {
    let mut files: Vec<PathBuf> = std::fs::read_dir("scenarios/real").unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 4, "at least four configurations");
    let out = tempfile::tempdir().unwrap();
    let mut detection = std::collections::BTreeMap::new();
    let mut failover = std::collections::BTreeMap::new();
    for path in &files {
        let (_, report) = run(path, out.path());
        let run = &report.run_results[0];
        assert!(run.episodes.len() > 15, "{}: the fault recurs, one trial each", report.name);
        let full: Vec<&EpisodeResult> = run.episodes.iter().filter(|e| e.end_s < report.duration_s).collect();
        let mean = |f: &dyn Fn(&EpisodeResult) -> f64| full.iter().map(|e| f(e)).sum::<f64>() / full.len() as f64;
        detection.insert(report.name.clone(), mean(&|e| e.detection_s.unwrap()));
        failover.insert(report.name.clone(), mean(&|e| e.client_failover_s.mean.unwrap()));
        assert!(full.iter().all(|e| e.clients_stranded == 0), "{}: every client reaches the secondary", report.name);
    }
    // Checks every second, one failure: detection within a second of the fault — plus the
    // 1 s probe timeout against a black hole.
    assert!(detection["a-refuse"] < 1.0 && detection["d-blackhole"] > 1.0 && detection["d-blackhole"] < 2.0);
    // Unbound's cache-min-ttl of 6 s holds clients on the primary for longer.
    assert!(failover["b-min-ttl"] > failover["a-refuse"] + 0.5, "{failover:?}");
}
