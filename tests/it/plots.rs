//! Plots and report.html: valid files with the expected titles, labels and series; `fosim
//! plot` redraws a saved run byte for byte; scenario strings are escaped; runs without
//! episodes or without detection still plot.

use crate::support::simulate;
use assert_cmd::Command;
use serde_json::json;
use std::path::Path;

const CHARTS: [&str; 4] = ["timeline", "checkers", "failover-cdf", "runs"];

/// Decodes a PNG and returns its size; fails on anything that is not a PNG.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a valid PNG header");
    let mut buffer = vec![0; reader.output_buffer_size().expect("a known size")];
    let info = reader.next_frame(&mut buffer).expect("valid PNG data");
    (info.width, info.height)
}

/// Parses an SVG and returns every piece of text it draws.
fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants().filter(|n| n.is_text()).filter_map(|n| n.text()).map(str::to_owned).collect()
}

fn assert_has(texts: &[String], wanted: &str, chart: &str) {
    assert!(texts.iter().any(|t| t.contains(wanted)), "{chart}.svg lacks \"{wanted}\"; it has {texts:?}");
}

fn plot(dir: &Path, out: &Path) {
    Command::cargo_bin("fosim").unwrap().arg("plot").arg(dir).arg("--out").arg(out).assert().success();
}

#[test]
fn every_chart_renders_from_a_saved_run_with_its_titles_labels_and_series() {
    let out = tempfile::tempdir().unwrap();
    plot(Path::new("tests/data/small-run"), out.path());
    for chart in CHARTS {
        let (w, h) = png_size(&std::fs::read(out.path().join(format!("{chart}.png"))).unwrap());
        assert!(w >= 1000 && h >= 300, "{chart}.png is {w}×{h}");
    }
    let svg = |chart: &str| svg_texts(&std::fs::read_to_string(out.path().join(format!("{chart}.svg"))).unwrap());
    let timeline = svg("timeline");
    for wanted in [
        "share of requests to each endpoint over time",
        "share of requests (%)",
        "seconds since the fault started",
        "time since the start of the run (minutes)",
        "to primary",
        "to secondary",
        "failed requests",
        "Episode 1: outage on primary",
        "detection",
        "clients p99",
    ] {
        assert_has(&timeline, wanted, "timeline");
    }
    let checkers = svg("checkers");
    for wanted in ["hc-primary", "hc-secondary", "reported", "us-east-1", "checkers healthy (%)", "18 % line", "zoomed"]
    {
        assert_has(&checkers, wanted, "checkers");
    }
    let cdf = svg("failover-cdf");
    for wanted in
        ["active clients failed over (%)", "seconds since the fault started", "browsers: p50", "services: p50", "p99"]
    {
        assert_has(&cdf, wanted, "failover-cdf");
    }
    let runs = svg("runs");
    for wanted in ["across 3 runs", "detection time (s)", "client failover p99 (s)", "mean", "runs"] {
        assert_has(&runs, wanted, "runs");
    }
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("small-run"));
    assert_eq!(html.matches("<svg").count(), CHARTS.len(), "every chart inline");
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"), "no external requests");
    assert!(html.contains("seed 4") && html.contains("fosim "), "seed and version");
}

#[test]
fn plot_redraws_a_run_directory_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("fosim")
        .unwrap()
        .args(["run", "scenarios/both-down.json", "--runs", "2", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let run_dir = dir.path().join("both-down");
    let again = dir.path().join("again");
    plot(&run_dir, &again);
    let mut compared = 0;
    for entry in std::fs::read_dir(&again).unwrap() {
        let name = entry.unwrap().file_name();
        let redrawn = std::fs::read(again.join(&name)).unwrap();
        let original = std::fs::read(run_dir.join(&name)).unwrap();
        assert!(redrawn == original, "{name:?} differs when redrawn from the saved files");
        compared += 1;
    }
    // Both episodes end before the run: the failback chart too.
    assert_eq!(compared, 2 * (CHARTS.len() + 1) + 1, "all charts in both formats, and report.html");
    let failback = svg_texts(&std::fs::read_to_string(again.join("failback.svg")).unwrap());
    for wanted in ["seconds since the fault ended", "back on", "p50", "Episode 1"] {
        assert_has(&failback, wanted, "failback");
    }
}

#[test]
fn the_html_escapes_scenario_strings() {
    let hostile = "<script>alert(1)</script>";
    let dir = tempfile::tempdir().unwrap();
    let scenario = json!({
        "name": "escape",
        "description": hostile,
        "duration": "20m",
        "endpoints": { hostile: { "faults": [ { "kind": "outage", "start": "5m", "duration": "5m" } ] }, "b&b": {} },
        "health_checks": { "hc\"quoted\"": { "endpoint": hostile } },
        "dns": { "records": { "app": { "ttl": 30, "failover": {
            "primary": { "endpoint": hostile, "health_check": "hc\"quoted\"" }, "secondary": { "endpoint": "b&b" } } } } },
        "resolvers": { "isp": { "count": 2 } },
        "clients": { hostile: { "count": 20, "record": "app", "requests_per_s": 0.2 } }
    });
    let file = dir.path().join("escape.json");
    std::fs::write(&file, scenario.to_string()).unwrap();
    Command::cargo_bin("fosim").unwrap().arg("run").arg(&file).arg("--out").arg(dir.path()).assert().success();
    let html = std::fs::read_to_string(dir.path().join("escape/report.html")).unwrap();
    assert!(!html.contains(hostile), "a scenario string reached the page unescaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("b&amp;b") && html.contains("hc&quot;quoted&quot;"));
    assert_eq!(html.matches("<script").count(), 0);
    for chart in ["timeline", "checkers", "failover-cdf"] {
        let svg = std::fs::read_to_string(dir.path().join(format!("escape/{chart}.svg"))).unwrap();
        assert!(!svg.contains(hostile), "{chart}.svg");
        svg_texts(&svg);
    }
    // The pure renderer escapes the scenario name too (names from files are restricted).
    let mut report = simulate(&scenario, 1);
    report.name = hostile.into();
    let page = fosim::report::html::render(&report, &[]);
    assert!(!page.contains(hostile) && page.contains("<title>fosim · &lt;script&gt;"));
}

#[test]
fn runs_without_episodes_or_without_detection_still_plot() {
    let quiet = json!({
        "name": "quiet", "duration": "10m",
        "endpoints": { "p": {}, "s": {} },
        "health_checks": { "hc": { "endpoint": "p", "probe_loss_rate": 0.3, "failure_threshold": 1 } },
        "dns": { "records": { "app": { "ttl": 30, "failover": { "primary": { "endpoint": "p", "health_check": "hc" }, "secondary": { "endpoint": "s" } } } } },
        "resolvers": { "isp": { "count": 2 } },
        "clients": { "users": { "count": 10, "record": "app", "requests_per_s": 0.1 } }
    });
    let report = simulate(&quiet, 2);
    assert!(report.run_results[0].episodes.is_empty());
    let files = fosim::plot::files(&report).expect("plots without episodes");
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"timeline.png") && names.contains(&"checkers.svg") && names.contains(&"report.html"),
        "{names:?}"
    );
    assert!(!names.contains(&"failover-cdf.png"), "no episode, no failover CDF");

    let mut gray = quiet.clone();
    gray["endpoints"]["p"] = json!({ "faults": [ { "kind": "degraded", "start": "2m", "request_error_rate": 0.5 } ] });
    gray["health_checks"]["hc"] = json!({ "endpoint": "p" });
    let report = simulate(&gray, 3);
    assert_eq!(report.run_results[0].episodes[0].detection_s, None);
    let files = fosim::plot::files(&report).expect("plots of an undetected episode");
    for (name, bytes) in &files {
        assert!(!bytes.is_empty(), "{name} is empty");
        if name.ends_with(".png") {
            png_size(bytes);
        } else if name.ends_with(".svg") {
            svg_texts(std::str::from_utf8(bytes).unwrap());
        }
    }
    let runs_svg = files.iter().find(|(n, _)| n == "runs.svg").expect("a runs chart for 3 runs");
    assert!(String::from_utf8_lossy(&runs_svg.1).contains("never reached"));
}

#[test]
fn no_plots_writes_only_numbers() {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("fosim")
        .unwrap()
        .args(["run", "scenarios/gray-failure.json", "--no-plots", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("gray-failure"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["checkers.csv", "clients.csv", "report.json", "timeline.csv"]);
}
