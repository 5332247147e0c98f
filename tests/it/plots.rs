//! Plots and report.html: valid files with the expected titles, labels and series; `fosim
//! plot` redraws a saved run byte for byte; scenario strings are escaped; runs without
//! episodes or without detection still plot; the failover CDF pools every run's clients
//! and says which runs it shows.

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
    // A run saved before clients.csv had a `run` column: run 1's clients only.
    for wanted in [
        "active clients failed over (%)",
        "seconds since the fault started",
        "browsers: p50",
        "services: p50",
        "p99",
        "(run 1 of 3)",
    ] {
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
    // Clients failed over: the stages chart; both episodes end before the run: the failback
    // chart too.
    assert_eq!(compared, 2 * (CHARTS.len() + 2) + 1, "all charts in both formats, and report.html");
    let stages = svg_texts(&std::fs::read_to_string(again.join("failover-stages.svg")).unwrap());
    for wanted in
        ["where each group's mean failover time went", "waiting for", "detection", "next request", "Episode 1"]
    {
        assert_has(&stages, wanted, "failover-stages");
    }
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

/// Nearest-rank percentile over `active` clients, stranded ones (absent from `times`) last.
fn nearest_rank(times: &[f64], active: usize, p: f64) -> Option<f64> {
    let rank = ((p * active as f64).ceil() as usize).clamp(1, active);
    times.get(rank - 1).copied()
}

#[test]
fn the_failover_cdf_pools_every_runs_clients() {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("fosim")
        .unwrap()
        .args(["run", "scenarios/basic-failover.json", "--runs", "3", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let run_dir = dir.path().join("basic-failover");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("report.json")).unwrap()).unwrap();
    let mut reader = csv::Reader::from_path(run_dir.join("clients.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header[..3], ["run", "episode", "endpoint"]);
    // (run, episode) → failover times (None: stranded).
    let mut rows: std::collections::BTreeMap<(usize, usize), Vec<Option<f64>>> = Default::default();
    for record in reader.records() {
        let r = record.unwrap();
        let failover = &r[5];
        rows.entry((r[0].parse().unwrap(), r[1].parse().unwrap()))
            .or_default()
            .push((!failover.is_empty()).then(|| failover.parse().unwrap()));
    }
    let mut pooled = Vec::new();
    let (mut pooled_active, mut weighted_mean, mut max_of_maxes) = (0usize, 0.0, 0.0f64);
    for run in 1..=3 {
        let episode = &report["run_results"][run - 1]["episodes"][0];
        let times = &rows[&(run, 1)];
        // Every run's active clients are there, and they give that run's own figures.
        assert_eq!(times.len() as u64, episode["clients_active"].as_u64().unwrap(), "run {run}");
        let mut reached: Vec<f64> = times.iter().flatten().copied().collect();
        reached.sort_by(f64::total_cmp);
        let stats = &episode["client_failover_s"];
        assert_eq!(reached.len() as u64, stats["count"].as_u64().unwrap(), "run {run}");
        assert_eq!(nearest_rank(&reached, times.len(), 0.99), stats["p99"].as_f64(), "run {run}");
        let mean = reached.iter().sum::<f64>() / reached.len() as f64;
        assert!((mean - stats["mean"].as_f64().unwrap()).abs() < 1e-6, "run {run}: {mean} vs {}", stats["mean"]);
        pooled_active += times.len();
        weighted_mean += stats["mean"].as_f64().unwrap() * reached.len() as f64;
        max_of_maxes = max_of_maxes.max(stats["max"].as_f64().unwrap());
        pooled.extend(reached);
    }
    assert!(!rows.contains_key(&(4, 1)), "no fourth run");
    // The pool agrees with the summary where it should: its count, mean and max follow from
    // the runs', and its median lies within the runs' medians.
    pooled.sort_by(f64::total_cmp);
    let summary =
        |metric: &str| report["summary"].as_array().unwrap().iter().find(|r| r["metric"] == metric).unwrap().clone();
    let count = summary("/episodes/0/client_failover_s/count");
    assert!((pooled.len() as f64 - count["mean"].as_f64().unwrap() * 3.0).abs() < 1e-6);
    let pooled_mean = pooled.iter().sum::<f64>() / pooled.len() as f64;
    assert!((pooled_mean - weighted_mean / pooled.len() as f64).abs() < 1e-6);
    assert_eq!(pooled.last().copied(), Some(max_of_maxes));
    assert_eq!(summary("/episodes/0/client_failover_s/max")["max"].as_f64(), Some(max_of_maxes));
    let p50 = nearest_rank(&pooled, pooled_active, 0.5).unwrap();
    let p50s = summary("/episodes/0/client_failover_s/p50");
    assert!(p50s["min"].as_f64().unwrap() <= p50 && p50 <= p50s["max"].as_f64().unwrap());
    // The chart says so and shows the pooled percentiles; the charts of run 1 say so.
    let svg = |chart: &str| svg_texts(&std::fs::read_to_string(run_dir.join(format!("{chart}.svg"))).unwrap());
    let cdf = svg("failover-cdf");
    assert_has(&cdf, "healthy endpoint (all 3 runs)", "failover-cdf");
    let p99 = nearest_rank(&pooled, pooled_active, 0.99).unwrap();
    assert_has(&cdf, &format!("p50 {p50:.1} s, p99 {p99:.1} s"), "failover-cdf");
    assert_has(&svg("timeline"), "(run 1, seed", "timeline");
    assert_has(&svg("checkers"), "(run 1)", "checkers");
    assert_has(&svg("runs"), "across 3 runs", "runs");
    // `fosim plot` redraws the pooled chart from the saved files, byte for byte.
    let again = dir.path().join("again");
    plot(&run_dir, &again);
    for name in ["failover-cdf.svg", "failover-cdf.png"] {
        assert!(std::fs::read(again.join(name)).unwrap() == std::fs::read(run_dir.join(name)).unwrap(), "{name}");
    }
}

#[test]
fn past_the_cap_the_failover_cdf_shows_run_1_and_says_why() {
    // A saved run of 3 whose runs had more active clients than their share of the cap (as
    // report.json tells): fosim would have kept run 1's only, and the chart says so.
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved");
    std::fs::create_dir(&saved).unwrap();
    for name in ["checkers.csv", "clients.csv", "timeline.csv", "report.json"] {
        std::fs::copy(Path::new("tests/data/small-run").join(name), saved.join(name)).unwrap();
    }
    let mut report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(saved.join("report.json")).unwrap()).unwrap();
    let share = fosim::report::csv::CLIENT_ROWS_MAX / 3;
    report["run_results"][1]["episodes"][0]["clients_active"] = json!(share + 1);
    std::fs::write(saved.join("report.json"), serde_json::to_vec(&report).unwrap()).unwrap();
    let out = dir.path().join("out");
    plot(&saved, &out);
    let cdf = svg_texts(&std::fs::read_to_string(out.join("failover-cdf.svg")).unwrap());
    assert_has(&cdf, "healthy endpoint (run 1 of 3)", "failover-cdf");
    assert_has(&cdf, "more than 1,000,000 client times", "failover-cdf");
}
