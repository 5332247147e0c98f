//! `fosim import`: each fixture imports to a scenario that validates and runs (golden
//! snapshot of the scenario and its warnings), bundled scenarios written as a format's
//! fixture import back to the same figures. Bad input to every importer is in the catalogue
//! (`tests/data/bad/import.json`, run by `catalogue.rs`).

use crate::support::simulate;
use assert_cmd::Command;
use fosim::import::{self, scenario::build};
use serde_json::Value;
use std::path::{Path, PathBuf};

const DATA: &str = "tests/data/import";

fn aws(record_sets: &str, health_checks: &[&str]) -> import::Zone {
    let checks: Vec<PathBuf> = health_checks.iter().map(|f| Path::new(DATA).join(f)).collect();
    import::aws::read(&Path::new(DATA).join(record_sets), &checks, None).unwrap_or_else(|e| panic!("{e}"))
}

/// The scenario as `fosim import` writes it, and its warnings.
fn imported(zone: &import::Zone, name: &str) -> (Value, String) {
    let imported = build(zone, name).unwrap_or_else(|e| panic!("{e}"));
    let text = format!(
        "{}\n\nwarnings:\n{}\n",
        serde_json::to_string_pretty(&imported.scenario).unwrap(),
        imported.warnings.iter().map(|w| format!("- {w}")).collect::<Vec<_>>().join("\n")
    );
    (imported.scenario, text)
}

#[test]
fn an_aws_zone_imports_to_a_scenario_that_runs() {
    let zone = aws("aws/record-sets.json", &["aws/health-checks.json"]);
    assert_eq!(zone.zone.as_deref(), Some("example.com"), "the zone's name comes from its SOA record");
    let (scenario, text) = imported(&zone, "example.com");
    insta::assert_snapshot!("aws-zone", text);
    let report = simulate(&scenario, 1);
    let run = &report.run_results[0];
    // The default outages: the primary ALB's target, then the status page's primary.
    assert_eq!(run.episodes.len(), 2);
    let alb = &run.episodes[0];
    assert_eq!(alb.endpoint, "web-use1-1234567890.us-east-1.elb.amazonaws.com target");
    let detection = alb.detection_s.expect("ETH sees the ALB lose its only target");
    assert!((35.0..65.0).contains(&detection), "ALB defaults: (k − 1)·I + τ ≤ d < k·I + τ, found {detection}");
    assert_eq!(alb.groups["app.example.com users"].clients_stranded, 0);
    assert_eq!(alb.groups["www.example.com users"].clients_stranded, 0, "a CNAME to app follows it");
    // A CloudWatch metric published by the host itself goes missing when the host dies:
    // with LastKnownStatus the check never fails over.
    let status = &run.episodes[1];
    assert_eq!(status.detection_s, None);
    assert!(zone.records.iter().any(|r| r.name == "*.example.com"), "\\052 reads as *");
    for origin in scenario["origin"]["health_checks"].as_object().unwrap().values() {
        assert!(origin["id"].as_str().unwrap().len() == 36, "origin keeps Route 53's ids: {origin}");
    }
}

#[test]
fn import_is_deterministic_and_the_cli_writes_what_the_library_builds() {
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("zone.json");
    let mut bytes = Vec::new();
    for _ in 0..2 {
        Command::cargo_bin("fosim")
            .unwrap()
            .args(["import", "aws", "--record-sets", "tests/data/import/aws/record-sets.json"])
            .args(["--health-checks", "tests/data/import/aws/health-checks.json", "--out"])
            .arg(&path)
            .assert()
            .success();
        bytes.push(std::fs::read(&path).unwrap());
    }
    assert_eq!(bytes[0], bytes[1]);
    let (scenario, _) = imported(&aws("aws/record-sets.json", &["aws/health-checks.json"]), "example.com");
    let written: Value = serde_json::from_slice(&bytes[0]).unwrap();
    // Files are named as given on the command line, the same relative paths here.
    assert_eq!(written, scenario);
    Command::cargo_bin("fosim").unwrap().arg("validate").arg(&path).assert().success();
}

/// Renames ids in a scenario (exact JSON strings only).
fn renamed(scenario: &Value, names: &[(&str, &str)]) -> Value {
    let mut text = scenario.to_string();
    for (from, to) in names {
        text = text.replace(&format!("\"{from}\""), &format!("\"{to}\""));
    }
    serde_json::from_str(&text).unwrap()
}

/// A bundled scenario, written by hand in a format's shape, imports back to the same
/// records and checks: with the bundled file's names, population and faults grafted on,
/// every figure of the run is the same.
fn round_trip(bundled: &str, zone: import::Zone, names: &[(&str, &str)]) {
    let original: Value = serde_json::from_str(&std::fs::read_to_string(bundled).unwrap()).unwrap();
    let (scenario, _) = imported(&zone, "round-trip");
    let mut back = renamed(&scenario, names);
    for field in ["name", "description", "seed", "duration", "resolvers", "clients"] {
        back[field] = original[field].clone();
    }
    for (id, endpoint) in back["endpoints"].as_object_mut().unwrap() {
        *endpoint = original["endpoints"][id].clone();
    }
    back["dns"]["name_servers"] = original["dns"]["name_servers"].clone();
    back["dns"]["propagation_delay"] = original["dns"]["propagation_delay"].clone();
    back.as_object_mut().unwrap().remove("origin");
    let mut original = original.clone();
    original.as_object_mut().unwrap().remove("$schema");
    let (a, b) = (simulate(&original, 2), simulate(&back, 2));
    assert!(a.run_results[0].totals.requests > 0);
    assert_eq!(
        serde_json::to_value(&a.run_results).unwrap(),
        serde_json::to_value(&b.run_results).unwrap(),
        "{bundled}: the imported records and checks give other figures"
    );
}

#[test]
fn bundled_scenarios_written_in_each_format_import_back_to_the_same_figures() {
    round_trip(
        "scenarios/basic-failover.json",
        aws("roundtrip/basic-failover-record-sets.json", &["roundtrip/basic-failover-health-check.json"]),
        &[("192.0.2.1", "primary"), ("192.0.2.2", "secondary"), ("192.0.2.1 http", "hc-primary")],
    );
    let endpoints = [("192.0.2.11", "web-1"), ("192.0.2.12", "web-2"), ("192.0.2.20", "standby")];
    let mut names = endpoints.to_vec();
    names.extend([("192.0.2.11 http", "web-1"), ("192.0.2.12 http", "web-2")]);
    round_trip(
        "scenarios/fail-open.json",
        aws("roundtrip/fail-open-record-sets.json", &["roundtrip/fail-open-health-checks.json"]),
        &names,
    );
    let terraform = import::terraform::read(&Path::new(DATA).join("roundtrip/fail-open-terraform.json")).unwrap();
    round_trip("scenarios/fail-open.json", terraform, &endpoints);
    let cloudformation =
        import::cloudformation::read(&Path::new(DATA).join("roundtrip/fail-open-cloudformation.json")).unwrap();
    let mut names = endpoints.to_vec();
    names.extend([("Web1", "web-1"), ("Web2", "web-2")]);
    round_trip("scenarios/fail-open.json", cloudformation, &names);
}

/// Applies `--export aws` files to AWS CLI output as Route 53 would: updates set fields of
/// a check; a created check gets `new_id` and the old one is deleted; UPSERTs replace the
/// record with the same name, type and set identifier.
fn apply_aws(export: &Path, record_sets: &mut Value, health_checks: &mut Value, new_id: &str) {
    let mut names: Vec<String> =
        std::fs::read_dir(export).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    let checks = health_checks["HealthChecks"].as_array_mut().unwrap();
    let mut switched_from = None;
    for name in &names {
        let input: Value = match name.strip_suffix(".json") {
            Some(_) => serde_json::from_str(&std::fs::read_to_string(export.join(name)).unwrap()).unwrap(),
            None => continue,
        };
        if name.starts_with("update-health-check-") {
            // UpdateHealthCheck's request fields; RequestInterval, Type and MeasureLatency
            // cannot be updated.
            const UPDATABLE: [&str; 17] = [
                "HealthCheckId",
                "HealthCheckVersion",
                "IPAddress",
                "Port",
                "ResourcePath",
                "FullyQualifiedDomainName",
                "SearchString",
                "FailureThreshold",
                "Inverted",
                "Disabled",
                "HealthThreshold",
                "ChildHealthChecks",
                "EnableSNI",
                "Regions",
                "AlarmIdentifier",
                "InsufficientDataHealthStatus",
                "ResetElements",
            ];
            for (field, value) in input.as_object().unwrap() {
                assert!(UPDATABLE.contains(&field.as_str()), "{name}: {field} cannot be updated in place");
                if ["FailureThreshold", "HealthThreshold", "Port"].contains(&field.as_str()) {
                    assert!(value.is_u64(), "{name}: {field} is an integer: {value}");
                }
            }
            let id = input["HealthCheckId"].as_str().unwrap();
            let check = checks.iter_mut().find(|c| c["Id"] == id).expect("updates name an existing check");
            for (field, value) in input.as_object().unwrap() {
                if field != "HealthCheckId" {
                    check["HealthCheckConfig"][field] = value.clone();
                }
            }
        } else if name.starts_with("create-health-check-") {
            assert!(input["CallerReference"].as_str().unwrap().len() <= 64);
            assert!(input["HealthCheckConfig"]["Type"].is_string());
            checks.push(serde_json::json!({ "Id": new_id, "CallerReference": input["CallerReference"],
                                            "HealthCheckConfig": input["HealthCheckConfig"], "HealthCheckVersion": 1 }));
        }
    }
    for name in &names {
        if !(name.starts_with("switch-records-to-new-") || name == "change-resource-record-sets.json") {
            continue;
        }
        let text = std::fs::read_to_string(export.join(name)).unwrap();
        let text = match text.find("NEW-ID-OF-") {
            Some(at) => {
                let end = at + text[at..].find('"').unwrap();
                text.replace(&text[at..end], new_id)
            }
            None => text,
        };
        let batch: Value = serde_json::from_str(&text).unwrap();
        for change in batch["Changes"].as_array().unwrap() {
            assert_eq!(change["Action"], "UPSERT");
            let new = &change["ResourceRecordSet"];
            let sets = record_sets["ResourceRecordSets"].as_array_mut().unwrap();
            let old = sets
                .iter_mut()
                .find(|r| {
                    r["Name"] == new["Name"] && r["Type"] == new["Type"] && r["SetIdentifier"] == new["SetIdentifier"]
                })
                .expect("UPSERTs replace an imported record");
            if new.get("HealthCheckId") != old.get("HealthCheckId") {
                switched_from = old["HealthCheckId"].as_str().map(str::to_owned);
            }
            *old = new.clone();
        }
    }
    if let Some(old) = switched_from {
        checks.retain(|c| c["Id"] != old.as_str());
    }
}

/// Writes `sweep` as DIR/tune.json next to the imported base.json and runs
/// `fosim tune … --export FORMAT` into DIR/out.
fn tune_exporting(dir: &Path, sweep: &Value, format: &str) {
    std::fs::write(dir.join("tune.json"), sweep.to_string()).unwrap();
    Command::cargo_bin("fosim")
        .unwrap()
        .arg("tune")
        .arg(dir.join("tune.json"))
        .arg("--out")
        .arg(dir.join("out"))
        .args(["--export", format])
        .assert()
        .success();
}

/// Imports the basic-failover zone, tunes it over `parameters` with `--export aws`, applies
/// the export to the zone's files, re-imports them and checks that the applied zone gives
/// the tuned point's objective. Returns the export directory's README.
fn tune_export_apply(parameters: Value, expect: &[&str], absent: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (records_file, checks_file) = (
        "tests/data/import/roundtrip/basic-failover-record-sets.json",
        "tests/data/import/roundtrip/basic-failover-health-check.json",
    );
    let import = |records: &Path, checks: &Path, out: &Path| {
        Command::cargo_bin("fosim")
            .unwrap()
            .args(["import", "aws", "--name", "app", "--record-sets"])
            .arg(records)
            .arg("--health-checks")
            .arg(checks)
            .arg("--out")
            .arg(out)
            .assert()
            .success();
    };
    import(Path::new(records_file), Path::new(checks_file), &d.join("base.json"));
    let sweep = serde_json::json!({
        "name": "app-tune", "scenario": "base.json", "runs": 3,
        "parameters": parameters,
        "metrics": ["/episodes/0/client_failover_s/p99"],
        "objective": { "minimize": "/episodes/0/client_failover_s/p99" }
    });
    tune_exporting(d, &sweep, "aws");
    let out = d.join("out/app-tune");
    let recommendation: Value =
        serde_json::from_slice(&std::fs::read(out.join("recommendation.json")).unwrap()).unwrap();
    let best = &recommendation["groups"][0]["best"];
    let export = out.join("export");
    for file in expect {
        assert!(export.join(file).exists(), "{file} missing for {best}");
    }
    for file in absent {
        assert!(!export.join(file).exists(), "{file} written for {best}");
    }
    let readme = std::fs::read_to_string(export.join("README.md")).unwrap();

    let mut record_sets: Value = serde_json::from_str(&std::fs::read_to_string(records_file).unwrap()).unwrap();
    let mut health_checks: Value = serde_json::from_str(&std::fs::read_to_string(checks_file).unwrap()).unwrap();
    health_checks = serde_json::json!({ "HealthChecks": [health_checks["HealthCheck"].clone()] });
    apply_aws(&export, &mut record_sets, &mut health_checks, "22222222-3333-4444-8555-666666666666");
    std::fs::write(d.join("applied-records.json"), record_sets.to_string()).unwrap();
    std::fs::write(d.join("applied-checks.json"), health_checks.to_string()).unwrap();
    import(&d.join("applied-records.json"), &d.join("applied-checks.json"), &d.join("applied.json"));
    let applied: Value = serde_json::from_slice(&std::fs::read(d.join("applied.json")).unwrap()).unwrap();
    let report = simulate(&applied, 3);
    let p99s: Vec<f64> =
        report.run_results.iter().map(|r| r.episodes[0].client_failover_s.p99.expect("clients fail over")).collect();
    let mean = p99s.iter().sum::<f64>() / p99s.len() as f64;
    let tuned = best["objective_mean"].as_f64().unwrap();
    assert!((mean - tuned).abs() < 1e-9, "applied zone: p99 mean {mean} s; tuned point {best}: {tuned} s");
    readme
}

#[test]
fn an_exported_recommendation_applied_to_the_zone_imports_to_the_tuned_point() {
    // Threshold and TTL change in place: an update and record UPSERTs.
    tune_export_apply(
        serde_json::json!({
            "/health_checks/192.0.2.1 http/failure_threshold": [1, 3],
            "/dns/records/app.example.com/ttl": ["30s", "60s"]
        }),
        &["update-health-check-192.0.2.1-http.json", "change-resource-record-sets.json"],
        &["create-health-check-192.0.2.1-http.json"],
    );
    // The request interval cannot: a new check, and the records switched to it.
    let readme = tune_export_apply(
        serde_json::json!({
            "/health_checks/192.0.2.1 http/failure_threshold": [1, 3],
            "/health_checks/192.0.2.1 http/request_interval": ["10s", "30s"],
            "/dns/records/app.example.com/ttl": ["30s", "60s"]
        }),
        &["create-health-check-192.0.2.1-http.json", "switch-records-to-new-192.0.2.1-http.json"],
        &["update-health-check-192.0.2.1-http.json"],
    );
    assert!(readme.contains("cannot change RequestInterval in place"), "{readme}");
}

#[test]
fn terraform_and_cloudformation_fixtures_import_to_scenarios_that_run() {
    type Reader = fn(&Path) -> Result<import::Zone, fosim::input::InputError>;
    let fixtures: [(&str, Reader); 4] = [
        ("terraform/state-nested-modules.json", import::terraform::read),
        ("terraform/plan-unknown-ids.json", import::terraform::read),
        ("cloudformation/active-passive.json", import::cloudformation::read),
        ("cloudformation/regional-sub.json", import::cloudformation::read),
    ];
    for (file, read) in fixtures {
        let zone = read(&Path::new(DATA).join(file)).unwrap_or_else(|e| panic!("{e}"));
        let name = file.replace(['/', '.'], "-");
        let (scenario, text) = imported(&zone, &name);
        insta::assert_snapshot!(name.clone(), text);
        let run = &simulate(&scenario, 1).run_results[0];
        assert!(!run.episodes.is_empty(), "{file}: a default outage per primary");
        assert!(run.totals.requests > 0, "{file}");
        let first = &run.episodes[0];
        assert!(first.detection_s.is_some() || first.clients_stranded == first.clients_active, "{file}: {first:?}");
    }
}

#[test]
fn import_with_run_imports_and_runs_in_one_command() {
    let dir = tempfile::tempdir().unwrap();
    let data = std::env::current_dir().unwrap().join(DATA);
    let output = Command::cargo_bin("fosim")
        .unwrap()
        .current_dir(dir.path())
        .args(["import", "aws", "--run", "--record-sets"])
        .arg(data.join("roundtrip/basic-failover-record-sets.json"))
        .arg("--health-checks")
        .arg(data.join("roundtrip/basic-failover-health-check.json"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("Episode 1 · outage on 192.0.2.1"), "{stdout}");
    let name = "basic-failover-record-sets";
    assert!(dir.path().join("out").join(format!("{name}.json")).is_file(), "the scenario is kept to edit");
    assert!(dir.path().join("out").join(name).join("report.json").is_file());
}

#[test]
fn a_terraform_export_of_one_counted_instance_warns_that_the_block_covers_its_siblings() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    Command::cargo_bin("fosim")
        .unwrap()
        .args(["import", "terraform", "tests/data/import/terraform/state-nested-modules.json", "--out"])
        .arg(d.join("base.json"))
        .assert()
        .success();
    let sweep = serde_json::json!({
        "name": "t", "scenario": "base.json", "runs": 1,
        "parameters": { "/health_checks/zone[0]/failure_threshold": [1, 2] },
        "metrics": ["/totals/events"], "objective": { "minimize": "/totals/events" }
    });
    tune_exporting(d, &sweep, "terraform");
    let readme = std::fs::read_to_string(d.join("out/t/export/README.md")).unwrap();
    assert!(
        readme.contains("the block also applies to module.dns.module.checks.aws_route53_health_check.zone[1]"),
        "{readme}"
    );
    assert!(readme.contains("count.index"), "{readme}");
}
