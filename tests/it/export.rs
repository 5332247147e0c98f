//! `fosim tune --export terraform`: the snippet for a zone imported from Terraform state has
//! the documented shape (one block per changed resource, headed by its full address; the
//! provider's attribute names; the README says which changes replace a resource), applying
//! it to the state and importing again reproduces the tuned point's figure, and an export
//! that cannot be made fails in plain words before the sweep runs.

use crate::support::simulate;
use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

const STATE: &str = "tests/data/import/terraform/state-nested-modules.json";

fn import_terraform(state: &Path, out: &Path) {
    Command::cargo_bin("fosim")
        .unwrap()
        .args(["import", "terraform"])
        .arg(state)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// One block of changes.tf: the addresses in the comment lines just above it, its type and
/// name labels, and its `attr = value` lines.
#[derive(Debug)]
struct Block {
    addresses: Vec<String>,
    kind: String,
    name: String,
    attributes: Vec<(String, Value)>,
}

/// An HCL literal as the snippet writes them: a number, a boolean, a quoted string or a list.
fn literal(text: &str) -> Value {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        return Value::Array(inner.split(',').filter(|s| !s.trim().is_empty()).map(literal).collect());
    }
    if text.starts_with('"') {
        return serde_json::from_str(text).unwrap_or_else(|e| panic!("a quoted string: {text}: {e}"));
    }
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::from(text.parse::<i64>().unwrap_or_else(|_| panic!("a literal, not an expression: {text}"))),
    }
}

/// Parses changes.tf, checking its syntax on the way: comments, blank lines and top-level
/// `resource "TYPE" "NAME" {` … `}` blocks only; inside, `name = literal` lines with names
/// in Terraform's identifier syntax (nested blocks would be an error here: this sweep
/// changes none); braces balanced.
fn parse_snippet(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut comments: Vec<String> = Vec::new();
    let mut open: Option<Block> = None;
    for (n, line) in text.lines().enumerate() {
        let at = || format!("changes.tf:{}: {line:?}", n + 1);
        if let Some(block) = &mut open {
            if line == "}" {
                blocks.push(open.take().unwrap());
                continue;
            }
            let (name, value) = line.split_once(" = ").unwrap_or_else(|| panic!("{}: not `attr = value`", at()));
            assert!(name.starts_with("  ") && !name.starts_with("   "), "{}: indented by two", at());
            let name = name.trim();
            assert!(
                name.starts_with(|c: char| c.is_ascii_lowercase())
                    && name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{}: an attribute name",
                at()
            );
            assert!(!block.attributes.iter().any(|(a, _)| a == name), "{}: set twice", at());
            block.attributes.push((name.to_owned(), literal(value)));
        } else if let Some(comment) = line.strip_prefix("# ") {
            comments.push(comment.to_owned());
        } else if line.is_empty() {
            comments.clear();
        } else {
            let labels = line
                .strip_prefix("resource \"")
                .and_then(|l| l.strip_suffix("\" {"))
                .unwrap_or_else(|| panic!("{}: a comment, a blank line or `resource \"TYPE\" \"NAME\" {{`", at()));
            let (kind, name) = labels.split_once("\" \"").unwrap_or_else(|| panic!("{}: two labels", at()));
            assert!(!name.contains(['[', '.', '"']), "{}: the resource name, without module or index", at());
            assert!(!comments.is_empty(), "{}: each block is headed by its address", at());
            for address in &comments {
                let tail = address.rsplit_once(&format!("{kind}.")).map(|(_, t)| t);
                assert!(
                    tail.is_some_and(|t| t == name || t.strip_prefix(name).is_some_and(|k| k.starts_with('['))),
                    "{}: the address {address:?} names {kind}.{name}",
                    at()
                );
            }
            open = Some(Block {
                addresses: std::mem::take(&mut comments),
                kind: kind.to_owned(),
                name: name.to_owned(),
                attributes: Vec::new(),
            });
        }
    }
    assert!(open.is_none(), "changes.tf: a block is not closed");
    blocks
}

/// The resource with `address` anywhere in the module tree of `show -json` state.
fn resource_mut<'a>(module: &'a mut Value, address: &str) -> Option<&'a mut Value> {
    let (mut resources, mut children) = (None, None);
    for (key, value) in module.as_object_mut()? {
        match key.as_str() {
            "resources" => resources = value.as_array_mut(),
            "child_modules" => children = value.as_array_mut(),
            _ => {}
        }
    }
    if let Some(found) = resources.and_then(|r| r.iter_mut().find(|r| r["address"] == address)) {
        return Some(found);
    }
    children?.iter_mut().find_map(|child| resource_mut(child, address))
}

/// Applies the snippet to the state as `terraform apply` would leave it: each attribute set
/// on every instance named above its block. A check whose `request_interval` changed is
/// replaced by Terraform and gets a new id; here it keeps the old one, which is what the
/// records and calculated checks referring to it would hold after the apply anyway.
fn apply_terraform(blocks: &[Block], state: &mut Value) {
    let root = &mut state["values"]["root_module"];
    for block in blocks {
        for address in &block.addresses {
            let resource = resource_mut(root, address).unwrap_or_else(|| panic!("{address}: not in the state"));
            assert_eq!(resource["type"], block.kind.as_str(), "{address}");
            assert_eq!(resource["name"], block.name.as_str(), "{address}");
            for (attribute, value) in &block.attributes {
                let values = resource["values"].as_object_mut().unwrap();
                assert!(values.contains_key(attribute), "{address}: the provider has no attribute {attribute}");
                values.insert(attribute.clone(), value.clone());
            }
        }
    }
}

/// `fosim tune SWEEP --export FORMAT` in `dir`.
fn tune(dir: &Path, sweep: &Value, format: &str) -> assert_cmd::assert::Assert {
    std::fs::write(dir.join("tune.json"), sweep.to_string()).unwrap();
    Command::cargo_bin("fosim")
        .unwrap()
        .arg("tune")
        .arg(dir.join("tune.json"))
        .arg("--out")
        .arg(dir.join("out"))
        .args(["--export", format])
        .assert()
}

/// A block as (addresses, type, name, attributes).
type Summary<'a> = (Vec<&'a str>, &'a str, &'a str, Vec<(&'a str, &'a Value)>);

#[test]
fn a_terraform_export_applied_to_the_state_imports_to_the_tuned_point() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    import_terraform(Path::new(STATE), &d.join("base.json"));
    let base = read_json(&d.join("base.json"));
    assert_eq!(base["health_checks"]["secondary"]["failure_threshold"], 3);
    assert_eq!(base["health_checks"]["secondary"]["request_interval"], "10s");
    assert_eq!(base["dns"]["records"]["api.example.com"]["ttl"], "30s");
    assert_eq!(base["dns"]["records"]["www.example.com"]["ttl"], "60s");
    // Fewer events: a longer TTL (fewer resolver queries) and a slower check (fewer probes).
    // The check's endpoint never fails, so its failure threshold moves nothing: both values
    // differ from the base (3), so either way it changes.
    // api.example.com is one `count` resource of two records; www.example.com a `for_each`
    // resource whose second record is an alias (Terraform has no TTL for it).
    let runs = 3;
    let sweep = serde_json::json!({
        "name": "tf-tune", "scenario": "base.json", "runs": runs,
        "parameters": {
            "/health_checks/secondary/failure_threshold": [1, 2],
            "/health_checks/secondary/request_interval": ["10s", "30s"],
            "/dns/records/api.example.com/ttl": ["30s", "300s"],
            "/dns/records/www.example.com/ttl": ["60s", "120s"]
        },
        "metrics": ["/totals/events"],
        "objective": { "minimize": "/totals/events" }
    });
    tune(d, &sweep, "terraform").success();
    let out = d.join("out/tf-tune");
    let recommendation = read_json(&out.join("recommendation.json"));
    let best = &recommendation["groups"][0]["best"];
    let settings = best["settings"].as_str().unwrap();
    for changed in ["request interval = 30s", "api.example.com ttl = 300s", "www.example.com ttl = 120s"] {
        assert!(settings.contains(changed), "{changed}: {best}");
    }
    assert!(!settings.contains("failure threshold = 3"), "{best}");
    let threshold = best["patch"]
        .as_array()
        .unwrap()
        .iter()
        .find(|op| op["path"] == "/health_checks/secondary/failure_threshold")
        .expect("the threshold changes")["value"]
        .as_i64()
        .unwrap();

    let export = out.join("export");
    let mut files: Vec<String> =
        std::fs::read_dir(&export).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    assert_eq!(files, ["README.md", "changes.tf"]);
    let snippet = std::fs::read_to_string(export.join("changes.tf")).unwrap();
    let blocks = parse_snippet(&snippet);
    let summary: Vec<Summary> = blocks
        .iter()
        .map(|b| {
            (
                b.addresses.iter().map(String::as_str).collect(),
                b.kind.as_str(),
                b.name.as_str(),
                b.attributes.iter().map(|(a, v)| (a.as_str(), v)).collect(),
            )
        })
        .collect();
    let (ttl_300, ttl_120, interval, threshold) =
        (Value::from(300), Value::from(120), Value::from(30), Value::from(threshold));
    // The two instances of the `count` resource share its one block; the alias instance of
    // `www` is not there.
    assert_eq!(
        summary,
        [
            (
                vec!["module.dns.aws_route53_record.api[0]", "module.dns.aws_route53_record.api[1]"],
                "aws_route53_record",
                "api",
                vec![("ttl", &ttl_300)]
            ),
            (
                vec![r#"module.dns.aws_route53_record.www["us-east-1"]"#],
                "aws_route53_record",
                "www",
                vec![("ttl", &ttl_120)]
            ),
            (
                vec!["module.dns.module.checks.aws_route53_health_check.secondary"],
                "aws_route53_health_check",
                "secondary",
                vec![("failure_threshold", &threshold), ("request_interval", &interval)]
            ),
        ],
        "{snippet}"
    );
    let readme = std::fs::read_to_string(export.join("README.md")).unwrap();
    assert!(
        readme.contains(
            "module.dns.module.checks.aws_route53_health_check.secondary: request_interval cannot change in place"
        ) && readme.contains("Terraform replaces the health check"),
        "{readme}"
    );
    assert!(!readme.contains("Not exported"), "every change is a Route 53 setting: {readme}");

    let mut state = read_json(Path::new(STATE));
    apply_terraform(&blocks, &mut state);
    std::fs::write(d.join("applied-state.json"), state.to_string()).unwrap();
    import_terraform(&d.join("applied-state.json"), &d.join("applied.json"));
    let applied = read_json(&d.join("applied.json"));
    let report = simulate(&applied, runs);
    let events: Vec<f64> = report.run_results.iter().map(|r| r.totals.events as f64).collect();
    let mean = events.iter().sum::<f64>() / events.len() as f64;
    let tuned = best["objective_mean"].as_f64().unwrap();
    assert!((best["base_mean"].as_f64().unwrap() - tuned).abs() > 1.0, "the tuned point differs from the base: {best}");
    assert!((mean - tuned).abs() < 1e-9, "applied state: events mean {mean}; tuned point: {tuned}");
}

#[test]
fn an_export_that_cannot_be_made_fails_before_the_sweep_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sweep = |scenario: &str, check: &str| {
        serde_json::json!({
            "name": "t", "scenario": scenario, "runs": 1,
            "parameters": { format!("/health_checks/{check}/failure_threshold"): [1, 2] },
            "objective": { "minimize": "/totals/events" }
        })
    };
    let fails = |sweep: &Value, format: &str| {
        let output = tune(d, sweep, format).code(1).get_output().clone();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains("tune.json"), "the error names the sweep: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one paragraph, no progress of a sweep: {stderr}");
        assert!(!d.join("out").exists(), "nothing written: {stderr}");
        stderr
    };

    // A zone imported from the AWS CLI has no Terraform addresses.
    Command::cargo_bin("fosim")
        .unwrap()
        .args([
            "import",
            "aws",
            "--name",
            "app",
            "--record-sets",
            "tests/data/import/roundtrip/basic-failover-record-sets.json",
        ])
        .args(["--health-checks", "tests/data/import/roundtrip/basic-failover-health-check.json", "--out"])
        .arg(d.join("from-aws.json"))
        .assert()
        .success();
    let stderr = fails(&sweep("from-aws.json", "192.0.2.1 http"), "terraform");
    assert!(
        stderr.contains("--export terraform needs a scenario imported from Terraform")
            && stderr.contains("use --export aws"),
        "{stderr}"
    );

    // A scenario written by hand has no origin at all.
    std::fs::copy("scenarios/basic-failover.json", d.join("by-hand.json")).unwrap();
    for format in ["aws", "terraform"] {
        let stderr = fails(&sweep("by-hand.json", "hc-primary"), format);
        assert!(stderr.contains("--export needs a base scenario made by `fosim import`"), "{stderr}");
    }
}
