//! The command line's contract: errors that say where and what, exit status 1, and nothing
//! written; plus `schema` and `--format json`.

use assert_cmd::Command;
use serde_json::{Value, json};
use std::path::Path;

fn basic() -> Value {
    serde_json::from_str(&std::fs::read_to_string("scenarios/basic-failover.json").unwrap()).unwrap()
}

/// Runs `fosim run` on `text` and returns stderr; asserts exit 1 and no output directory.
fn fails_with(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.json");
    std::fs::write(&file, text).unwrap();
    let out = dir.path().join("out");
    let output = Command::cargo_bin("fosim").unwrap().arg("run").arg(&file).arg("--out").arg(&out).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "expected exit 1 for {text}");
    assert!(!out.exists(), "an error must write nothing");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("scenario.json"), "the error names the file: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one paragraph: {stderr}");
    stderr
}

fn with(edit: impl FnOnce(&mut Value)) -> String {
    let mut v = basic();
    edit(&mut v);
    fails_with(&serde_json::to_string_pretty(&v).unwrap())
}

#[test]
fn a_missing_file_is_named() {
    let output = Command::cargo_bin("fosim").unwrap().args(["run", "no/such/file.json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("no/such/file.json") && stderr.contains("no such file"), "{stderr}");
}

#[test]
fn malformed_json_gives_line_and_column() {
    let stderr = fails_with("{\n  \"name\": \"x\",\n  \"duration\": \"1h\",,\n}");
    assert!(stderr.contains("scenario.json:3:20") && stderr.contains("not valid JSON"), "{stderr}");
}

#[test]
fn an_unknown_field_suggests_the_close_one() {
    let stderr = with(|v| {
        let hc = v["health_checks"]["hc-primary"].as_object_mut().unwrap();
        let threshold = hc.remove("failure_threshold").unwrap();
        hc.insert("failure_threshhold".into(), threshold);
    });
    assert!(stderr.contains("/health_checks/hc-primary/failure_threshhold"), "{stderr}");
    assert!(stderr.contains("did you mean \"failure_threshold\""), "{stderr}");
}

#[test]
fn an_unknown_id_lists_the_known_ones() {
    let stderr = with(|v| v["clients"]["users"]["record"] = "app.example.org".into());
    assert!(stderr.contains("/clients/users/record"), "{stderr}");
    assert!(
        stderr.contains("unknown record \"app.example.org\"") && stderr.contains("\"app.example.com\""),
        "{stderr}"
    );
}

#[test]
fn a_zero_or_negative_interval_is_refused() {
    let stderr = with(|v| v["health_checks"]["hc-primary"]["request_interval"] = 0.into());
    assert!(stderr.contains("/health_checks/hc-primary/request_interval") && stderr.contains("positive"), "{stderr}");
    let stderr = with(|v| v["health_checks"]["hc-primary"]["request_interval"] = "-10s".into());
    assert!(stderr.contains("negative"), "{stderr}");
}

#[test]
fn a_zero_threshold_is_refused() {
    let stderr = with(|v| v["health_checks"]["hc-primary"]["failure_threshold"] = 0.into());
    assert!(stderr.contains("/health_checks/hc-primary/failure_threshold") && stderr.contains("found 0"), "{stderr}");
}

#[test]
fn a_probability_outside_0_1_is_refused() {
    let stderr = with(|v| v["health_checks"]["hc-primary"]["probe_loss_rate"] = 1.5.into());
    assert!(stderr.contains("probe_loss_rate") && stderr.contains("from 0 to 1") && stderr.contains("1.5"), "{stderr}");
}

#[test]
fn a_fault_outside_the_run_is_refused() {
    let stderr = with(|v| v["endpoints"]["primary"]["faults"][0]["start"] = "2h".into());
    assert!(stderr.contains("/endpoints/primary/faults/0/start") && stderr.contains("inside the run"), "{stderr}");
}

#[test]
fn a_scenario_too_large_for_memory_is_refused() {
    let stderr = with(|v| v["clients"]["users"]["count"] = 4_000_000_000u64.into());
    assert!(stderr.contains("GiB") && stderr.contains("reduce the client counts"), "{stderr}");
}

#[test]
fn a_wrong_type_names_what_was_expected_and_found() {
    let stderr = with(|v| v["duration"] = true.into());
    assert!(
        stderr.contains("/duration")
            && stderr.contains("expected a duration")
            && stderr.contains("found the boolean true"),
        "{stderr}"
    );
    let stderr = with(|v| v["health_checks"]["hc-primary"]["type"] = "htp".into());
    assert!(stderr.contains("did you mean \"http\""), "{stderr}");
}

#[test]
fn schema_describes_the_scenario_file() {
    let output = Command::cargo_bin("fosim").unwrap().arg("schema").output().unwrap();
    assert!(output.status.success());
    let schema: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(schema["title"], "Scenario");
    assert!(schema["properties"]["health_checks"].is_object());
    assert!(schema["required"].as_array().unwrap().iter().any(|r| r == "duration"));
}

#[test]
fn json_format_prints_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::cargo_bin("fosim")
        .unwrap()
        .args(["run", "scenarios/gray-failure.json", "--format", "json", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let written: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("gray-failure/report.json")).unwrap()).unwrap();
    assert_eq!(printed, written);
    assert_eq!(printed["schema_version"], 1);
    assert!(printed["fosim_version"].is_string() && printed["seed"].is_u64() && printed["runs"] == 1);
}

#[test]
fn validate_reports_errors_and_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = basic();
    v["health_checks"]["hc-primary"]["request_interval"] = "20s".into();
    let warned = dir.path().join("warned.json");
    std::fs::write(&warned, v.to_string()).unwrap();
    let output = Command::cargo_bin("fosim").unwrap().arg("validate").arg(&warned).output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("10s or 30s only"), "{stdout}");
    // Resolver weights that do not sum to 1 are shares, said in a warning; a region that is
    // not Route 53's (and no typo of one) is allowed with a warning.
    v["resolvers"]["vpc"] = json!({ "count": 2 });
    v["clients"]["users"]["resolvers"] = json!({ "isp": 0.9, "vpc": 0.2 });
    v["health_checks"]["hc-primary"]["regions"] = json!(["us-east-1", "eu-west-1", "on-premises"]);
    std::fs::write(&warned, v.to_string()).unwrap();
    let output = Command::cargo_bin("fosim").unwrap().arg("validate").arg(&warned).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("/clients/users/resolvers: the weights sum to 1.1, not 1; fosim uses them as shares of the group: isp 0.818, vpc 0.182"),
        "{stdout}"
    );
    assert!(stdout.contains("\"on-premises\" is not a Route 53 checker region (us-east-1"), "{stdout}");
    let output = Command::cargo_bin("fosim")
        .unwrap()
        .arg("validate")
        .arg(&warned)
        .arg(Path::new("missing.json"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn the_committed_schema_is_current() {
    let output = Command::cargo_bin("fosim").unwrap().arg("schema").output().unwrap();
    let committed = std::fs::read_to_string("schema/scenario.schema.json").unwrap();
    assert!(
        committed == String::from_utf8(output.stdout).unwrap(),
        "schema/scenario.schema.json is stale: regenerate it with `fosim schema > schema/scenario.schema.json`"
    );
}

#[test]
fn schema_sweep_describes_the_sweep_file() {
    let output = Command::cargo_bin("fosim").unwrap().args(["schema", "--sweep"]).output().unwrap();
    assert!(output.status.success());
    let schema: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(schema["title"], "SweepFile");
    let required: Vec<&str> = schema["required"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(required, ["name", "scenario", "runs", "parameters"]);
    // Every field says what it is, and the optional ones their default.
    for (field, property) in schema["properties"].as_object().unwrap() {
        let description = property["description"].as_str().unwrap_or_default();
        assert!(!description.is_empty(), "the sweep schema does not describe {field}");
        if !required.contains(&field.as_str()) && field != "$schema" {
            assert!(description.to_lowercase().contains("default"), "{field} does not say its default: {description}");
        }
    }
    // The limits the loader enforces.
    assert_eq!(schema["properties"]["runs"]["maximum"], fosim::simulate::RUNS_MAX);
    assert_eq!(schema["properties"]["max_points"]["maximum"], fosim::sweep::POINTS_MAX);
    let forms = &schema["properties"]["parameters"]["additionalProperties"]["anyOf"];
    assert_eq!(forms.as_array().unwrap().len(), 3, "a list, a range and labelled values: {forms}");
}

/// The bundled sweeps name the committed sweep schema, and use only fields it describes.
#[test]
fn bundled_sweeps_name_the_sweep_schema() {
    let schema: Value = serde_json::from_str(&std::fs::read_to_string("schema/sweep.schema.json").unwrap()).unwrap();
    let mut sweeps = 0;
    for entry in std::fs::read_dir("scenarios/sweeps").unwrap() {
        let path = entry.unwrap().path();
        let sweep: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(sweep["$schema"], "../../schema/sweep.schema.json", "{}", path.display());
        assert!(path.parent().unwrap().join(sweep["$schema"].as_str().unwrap()).is_file());
        for field in sweep.as_object().unwrap().keys() {
            assert!(schema["properties"].get(field).is_some(), "{}: {field} is not in the schema", path.display());
        }
        sweeps += 1;
    }
    assert!(sweeps >= 2, "found {sweeps} bundled sweeps");
}

#[test]
fn the_committed_sweep_schema_is_current() {
    let output = Command::cargo_bin("fosim").unwrap().args(["schema", "--sweep"]).output().unwrap();
    assert!(output.status.success());
    let committed = std::fs::read_to_string("schema/sweep.schema.json").unwrap();
    assert!(
        committed == String::from_utf8(output.stdout).unwrap(),
        "schema/sweep.schema.json is stale: regenerate it with `fosim schema --sweep > schema/sweep.schema.json`"
    );
}

#[test]
fn a_panic_says_it_is_a_bug_and_how_to_reproduce_it() {
    // FOSIM_TEST_PANIC makes `fosim run` panic once its scenario is loaded (cli.rs).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = Command::cargo_bin("fosim")
        .unwrap()
        .args(["run", "scenarios/basic-failover.json", "--seed", "7", "--out"])
        .arg(&out)
        .env("FOSIM_TEST_PANIC", "1")
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(101), "a panic exits 101, as Rust does");
    let stderr = String::from_utf8(output.stderr).unwrap();
    for fragment in [
        "This is a bug in fosim",
        &format!("fosim version: {}", env!("CARGO_PKG_VERSION")),
        "command:",
        "run scenarios/basic-failover.json --seed 7 --out",
        "scenario:      scenarios/basic-failover.json",
        "seed:          7",
        "panic:         FOSIM_TEST_PANIC is set",
        "at:            src/cli.rs:",
        "Please report it",
        "and the scenario scenarios/basic-failover.json attached",
    ] {
        assert!(stderr.contains(fragment), "missing \"{fragment}\" in:\n{stderr}");
    }
    assert!(!stderr.contains("note: run with `RUST_BACKTRACE=1`"), "the hook replaces Rust's message: {stderr}");
    assert!(!out.exists(), "a crash before the outputs writes nothing");
}

#[test]
fn the_seed_in_the_panic_report_is_the_scenarios_own_without_an_override() {
    let output = Command::cargo_bin("fosim")
        .unwrap()
        .args(["run", "scenarios/basic-failover.json", "--out"])
        .arg(tempfile::tempdir().unwrap().path())
        .env("FOSIM_TEST_PANIC", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(101));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let seed = basic()["seed"].as_u64().unwrap();
    assert!(stderr.contains(&format!("seed:          {seed}\n")), "{stderr}");
}

/// Issue 12: many client groups made `fosim run` quadratic (20,000 groups of one client
/// took over a minute). No timing here — `fosim bench --groups` measures the slope — only
/// that the whole run, plots and report.html included, goes through at that size.
#[test]
fn twenty_thousand_client_groups_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("groups.json");
    std::fs::write(&file, serde_json::to_vec(&fosim::bench::groups_scenario(20_000)).unwrap()).unwrap();
    let out = dir.path().join("out");
    let output = Command::cargo_bin("fosim").unwrap().arg("run").arg(&file).arg("--out").arg(&out).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("groups-20000/report.json")).unwrap()).unwrap();
    let episode = &report["run_results"][0]["episodes"][0];
    assert_eq!(episode["groups"].as_object().unwrap().len(), 20_000);
    assert!(out.join("groups-20000/failover-cdf.png").exists() && out.join("groups-20000/report.html").exists());
}

#[test]
fn bench_groups_prints_the_slope() {
    let output =
        Command::cargo_bin("fosim").unwrap().args(["bench", "--groups", "50,100", "--no-plots"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("log-log slope against groups") && stdout.lines().count() == 4, "{stdout}");
}
