//! Sweeps: shards merge into exactly the unsharded files, the thread count does not matter,
//! common random numbers make irrelevant parameters irrelevant, tuning picks what a brute
//! force over the results picks, and bad sweep files say which parameter is wrong.

use assert_cmd::Command;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn base_scenario() -> Value {
    json!({
        "name": "sweep-base",
        "seed": 3,
        "duration": "30m",
        "endpoints": {
            "primary": { "faults": [ { "kind": "outage", "start": "10m", "duration": "10m" },
                                     { "kind": "probe_loss", "start": "2m", "duration": "20s", "every": "4m", "rate": 0.9 } ] },
            "secondary": {}
        },
        "health_checks": { "hc": { "endpoint": "primary", "request_interval": "10s", "failure_threshold": 2 } },
        "dns": { "records": {
            "app": { "ttl": "30s", "failover": { "primary": { "endpoint": "primary", "health_check": "hc" }, "secondary": { "endpoint": "secondary" } } },
            "other": { "ttl": "30s", "failover": { "primary": { "endpoint": "secondary" }, "secondary": { "endpoint": "primary" } } } } },
        "resolvers": { "isp": { "count": 5 }, "isp-other": { "count": 3 }, "unused": { "count": 2 } },
        "clients": {
            "users": { "count": 40, "record": "app", "resolvers": { "isp": 1 }, "requests_per_s": 0.2 },
            "extra": { "count": 10, "record": "other", "resolvers": { "isp-other": 1 }, "requests_per_s": 0.2 }
        }
    })
}

/// Writes a base scenario and a sweep file into `dir`; returns the sweep file's path.
fn write_sweep(dir: &Path, sweep: Value) -> PathBuf {
    std::fs::write(dir.join("base.json"), base_scenario().to_string()).unwrap();
    let path = dir.join("sweep.json");
    std::fs::write(&path, sweep.to_string()).unwrap();
    path
}

fn small_sweep() -> Value {
    json!({
        "name": "small",
        "scenario": "base.json",
        "runs": 4,
        "parameters": {
            "/health_checks/hc/failure_threshold": [1, 2, 3],
            "/dns/records/app/ttl": { "from": "10s", "to": "30s", "step": "20s" }
        },
        "objective": { "minimize": "/episodes/0/client_failover_s/p99",
                       "subject_to": [ { "metric": "/totals/false_failovers_per_day", "max": 100 } ] }
    })
}

fn fosim(threads: &str) -> Command {
    let mut cmd = Command::cargo_bin("fosim").unwrap();
    cmd.env("RAYON_NUM_THREADS", threads);
    cmd
}

/// Every file of a directory (not recursing into shards/), by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.file_name().unwrap().to_str().unwrap().to_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

fn assert_same(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>, what: &str) {
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "{what}: different files");
    for (name, bytes) in a {
        assert!(bytes == &b[name], "{what}: {name} differs");
    }
}

#[test]
fn merged_shards_equal_the_whole_sweep_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = write_sweep(dir.path(), small_sweep());
    let whole = dir.path().join("whole");
    fosim("2").arg("sweep").arg(&sweep).arg("--out").arg(&whole).assert().success();
    let sharded = dir.path().join("sharded");
    // Shards in an odd order, one of them on one thread: none of it may matter.
    for (shard, threads) in [("3/3", "2"), ("1/3", "1"), ("2/3", "2")] {
        fosim(threads).arg("sweep").arg(&sweep).args(["--shard", shard, "--out"]).arg(&sharded).assert().success();
    }
    assert!(!sharded.join("small/results.csv").exists(), "a shard writes only its shard file");
    fosim("2").arg("merge").arg(sharded.join("small")).assert().success();
    let whole_files = files(&whole.join("small"));
    assert!(whole_files.contains_key("results.csv") && whole_files.contains_key("recommendation.json"));
    assert!(
        whole_files.keys().any(|k| k.starts_with("heatmap-")) && whole_files.keys().any(|k| k.starts_with("lines-"))
    );
    assert_same(&whole_files, &files(&sharded.join("small")), "merged shards");
}

#[test]
fn merge_refuses_missing_or_foreign_shards() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = write_sweep(dir.path(), small_sweep());
    let out = dir.path().join("out");
    fosim("2").arg("sweep").arg(&sweep).args(["--shard", "1/2", "--out"]).arg(&out).assert().success();
    let output = fosim("2").arg("merge").arg(out.join("small")).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("missing 2/2"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A shard of the same sweep with different runs is foreign.
    let mut other = small_sweep();
    other["runs"] = json!(3);
    std::fs::write(&sweep, other.to_string()).unwrap();
    fosim("2").arg("sweep").arg(&sweep).args(["--shard", "2/2", "--out"]).arg(&out).assert().success();
    let output = fosim("2").arg("merge").arg(out.join("small")).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("different sweep"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn one_thread_and_all_threads_give_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = write_sweep(dir.path(), small_sweep());
    let (one, all) = (dir.path().join("one"), dir.path().join("all"));
    fosim("1").arg("sweep").arg(&sweep).arg("--out").arg(&one).assert().success();
    fosim("2").arg("sweep").arg(&sweep).arg("--out").arg(&all).assert().success();
    assert_same(&files(&one.join("small")), &files(&all.join("small")), "1 vs 2 threads");
}

fn results(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("results.json")).unwrap()).unwrap()
}

fn summary_of(point: &Value) -> BTreeMap<String, Value> {
    point["summary"].as_array().unwrap().iter().map(|r| (r["metric"].as_str().unwrap().to_owned(), r.clone())).collect()
}

#[test]
fn common_random_numbers_make_irrelevant_parameters_irrelevant() {
    let dir = tempfile::tempdir().unwrap();
    // An unused resolver pool, and the size of a client group on another record behind its
    // own resolvers: neither can change what the users see.
    let sweep = write_sweep(
        dir.path(),
        json!({
            "name": "crn",
            "scenario": "base.json",
            "runs": 3,
            "parameters": { "/resolvers/unused/count": [2, 50], "/clients/extra/count": [10, 60] },
            "metrics": ["/groups/users/requests", "/episodes/0/client_failover_s/p99"]
        }),
    );
    let out = dir.path().join("out");
    fosim("2").arg("sweep").arg(&sweep).arg("--out").arg(&out).assert().success();
    let r = results(&out.join("crn"));
    let points = r["points"].as_array().unwrap();
    assert_eq!(points.len(), 4);
    let users = |p: &Value| -> BTreeMap<String, Value> {
        summary_of(p)
            .into_iter()
            .filter(|(m, _)| {
                m.starts_with("/groups/users") || m.contains("/groups/users/") || m.starts_with("/health_checks")
            })
            .collect()
    };
    let reference = users(&points[0]);
    assert!(reference.len() > 4);
    for p in points {
        assert_eq!(users(p), reference, "the users' figures changed with an irrelevant parameter");
    }
    // Points are enumerated with parameters sorted by pointer, the last fastest:
    // (extra, unused) = (10, 2), (10, 50), (60, 2), (60, 50). The unused pool's size changes
    // nothing at all.
    assert_eq!(summary_of(&points[0]), summary_of(&points[1]), "resolver pool nobody uses: every figure identical");
    assert_eq!(summary_of(&points[2]), summary_of(&points[3]), "resolver pool nobody uses: every figure identical");
    assert_ne!(summary_of(&points[0]), summary_of(&points[2]), "the extra group's own figures do change");
}

#[test]
fn tune_picks_what_a_brute_force_over_the_results_picks() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = write_sweep(dir.path(), small_sweep());
    let out = dir.path().join("out");
    fosim("2")
        .arg("tune")
        .arg(&sweep)
        .arg("--out")
        .arg(&out)
        .args([
            "--minimize",
            "/episodes/0/client_failover_s/p50",
            "--constraint",
            "/totals/authoritative_queries_per_s<=0.5",
        ])
        .assert()
        .success();
    let r = results(&out.join("small"));
    let mean = |p: &Value, m: &str| summary_of(p).get(m).and_then(|row| row["mean"].as_f64());
    let brute = r["points"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, p)| mean(p, "/totals/authoritative_queries_per_s").is_some_and(|q| q <= 0.5))
        .filter_map(|(i, p)| Some((i, mean(p, "/episodes/0/client_failover_s/p50")?)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i);
    let recommendation: Value =
        serde_json::from_slice(&std::fs::read(out.join("small/recommendation.json")).unwrap()).unwrap();
    let best = recommendation["groups"][0]["best"]["point"].as_u64().map(|b| b as usize);
    assert!(brute.is_some(), "the constraint leaves some point");
    assert_eq!(best, brute);
    let patch = &recommendation["groups"][0]["best"]["patch"];
    assert!(patch.as_array().unwrap().iter().all(|op| op["op"] == "replace" || op["op"] == "add"));
}

fn sweep_fails_with(sweep: Value) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write_sweep(dir.path(), sweep);
    let out = dir.path().join("out");
    let output = Command::cargo_bin("fosim").unwrap().arg("sweep").arg(&path).arg("--out").arg(&out).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(!out.exists(), "an invalid sweep writes nothing");
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn bad_sweep_files_name_the_parameter() {
    let with = |pointer: &str, values: Value| {
        let mut s = small_sweep();
        s["parameters"] = json!({ pointer: values });
        sweep_fails_with(s)
    };
    let e = with("/health_checks/hc-primary/failure_threshold", json!([1, 2]));
    assert!(e.contains("unknown pointer") && e.contains("/health_checks/hc-primary") && e.contains("it has hc"), "{e}");
    let e = with("/health_checks/hc/failure_threshhold", json!([1, 2]));
    assert!(
        e.contains("/health_checks/hc/failure_threshhold") && e.contains("did you mean \"failure_threshold\""),
        "{e}"
    );
    let e = with("/health_checks/hc/failure_threshold", json!([1, "three"]));
    assert!(e.contains("parameter /health_checks/hc/failure_threshold = three") && e.contains("found"), "{e}");
    let e = with("/dns/records/app/ttl", json!([]));
    assert!(e.contains("/parameters/\"/dns/records/app/ttl\"") && e.contains("empty list"), "{e}");
    let e = with("/dns/records/app/ttl", json!({ "from": "1s", "to": "4h", "step": "1s" }));
    assert!(e.contains("the grid has 14400 points") && e.contains("max_points = 10000"), "{e}");
    let mut s = small_sweep();
    s["metrics"] = json!(["/episodes/0/client_failover_s/p999"]);
    let e = sweep_fails_with(s);
    assert!(e.contains("unknown figure") && e.contains("did you mean \"/episodes/0/client_failover_s/p99\""), "{e}");
}

#[test]
fn the_bundled_sweeps_run_and_recommend() {
    let out = tempfile::tempdir().unwrap();
    for (file, name) in [
        ("scenarios/sweeps/interval-threshold.json", "interval-threshold"),
        ("scenarios/sweeps/ttl-client-mix.json", "ttl-client-mix"),
        ("scenarios/sweeps/own-api-ttl-interval.json", "own-api-ttl-interval"),
    ] {
        let output = fosim("2").arg("tune").arg(file).arg("--out").arg(out.path()).output().unwrap();
        assert!(output.status.success(), "{file}: {}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(stdout.contains("Best point:") && stdout.contains("JSON patch"), "{file}: {stdout}");
        let written = files(&out.path().join(name));
        assert!(written.keys().any(|k| k.starts_with("heatmap-") && k.ends_with(".png")), "{file}: no heatmap");
    }
    // The interval × threshold lesson: threshold 1 at 10 s fails over on blips; the winner does not.
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("interval-threshold/recommendation.json")).unwrap())
            .unwrap();
    let best = &r["groups"][0]["best"];
    assert!(best["constraints"][0]["satisfied"] == true);
    assert!(best["change_vs_base"]["ci95_high"].as_f64().unwrap() < 0.0, "the winner beats the base scenario: {best}");
    // The worked example: with 10 s checks, a TTL of at most 60 s lets the Java services'
    // VPC resolver drop the primary by the time detection is over; its report.html is whole.
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("own-api-ttl-interval/recommendation.json")).unwrap())
            .unwrap();
    let best = &r["groups"][0]["best"];
    assert!(best["constraints"][0]["satisfied"] == true, "{best}");
    assert!(best["change_vs_base"]["ci95_high"].as_f64().unwrap() < 0.0, "the winner beats the base scenario: {best}");
    let html = std::fs::read_to_string(out.path().join("own-api-ttl-interval/report.html")).unwrap();
    for wanted in ["Recommendation", "check interval", "java-services: client failover p99 (s)", "<svg"] {
        assert!(html.contains(wanted), "the sweep's report.html lacks {wanted:?}");
    }
}

/// The cells of the Markdown table of `results.md`: (header, rows).
fn markdown_table(md: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let rows: Vec<Vec<String>> = md
        .lines()
        .filter(|l| l.starts_with("| "))
        .map(|l| l.trim_matches('|').split(" | ").map(|c| c.trim().to_owned()).collect())
        .collect();
    (rows[0].clone(), rows[1..].to_vec())
}

#[test]
fn sweep_tables_name_parameters_and_figures_shortly_and_json_keeps_pointers() {
    let dir = tempfile::tempdir().unwrap();
    let mut sweep = small_sweep();
    sweep["parameters"]["/endpoints/primary/faults/1/rate"] = json!({ "name": "blip loss", "values": [0.9] });
    sweep["parameters"]["/endpoints/primary/faults/0/duration"] = json!(["10m"]);
    let path = write_sweep(dir.path(), sweep);
    let out = dir.path().join("out");
    fosim("2").arg("tune").arg(&path).arg("--out").arg(&out).assert().success();
    let md = std::fs::read_to_string(out.join("small/results.md")).unwrap();
    let (header, _) = markdown_table(&md);
    assert_eq!(
        header,
        [
            "ttl",
            "primary fault 0 duration",
            "blip loss",
            "failure threshold",
            "detection (s)",
            "client failover p99 (s)",
            "availability",
            "false failovers per day",
            "authoritative queries per s"
        ],
        "{md}"
    );
    assert!(!md.contains("| /"), "no column is headed by a pointer: {md}");
    let html = std::fs::read_to_string(out.join("small/report.html")).unwrap();
    for name in ["primary fault 0 duration", "blip loss", "client failover p99 (s)", "false failovers per day"] {
        assert!(html.contains(&format!(">{name}<")), "report.html names {name}");
    }
    let r = results(&out.join("small"));
    let pointers: Vec<(&str, &str)> = r["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["pointer"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    assert!(pointers.contains(&("/endpoints/primary/faults/0/duration", "primary fault 0 duration")), "{pointers:?}");
    assert!(pointers.contains(&("/health_checks/hc/failure_threshold", "failure threshold")), "{pointers:?}");
    assert!(r["metrics"].as_array().unwrap().contains(&json!("/episodes/0/client_failover_s/p99")));
    // The CSV stays machine-friendly: headers from the pointers.
    let csv = std::fs::read_to_string(out.join("small/results.csv")).unwrap();
    let csv_header = csv.lines().next().unwrap();
    assert!(csv_header.starts_with("point,param.dns.records.app.ttl,param.endpoints.primary.faults.0.duration,"));
    assert!(csv_header.contains(",episodes.0.client_failover_s.p99.mean,"));
}

#[test]
fn a_base_equal_to_a_grid_point_runs_once_and_gives_what_running_it_separately_gives() {
    let dir = tempfile::tempdir().unwrap();
    // The base has threshold 2 and TTL 30s: a point of the small sweep's grid.
    let path = write_sweep(dir.path(), small_sweep());
    let out = dir.path().join("reused");
    let output = fosim("2").arg("sweep").arg(&path).arg("--out").arg(&out).output().unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("the base scenario is the point") && stderr.contains("reused"), "{stderr}");
    let reused = results(&out.join("small"));
    let p = reused["base_point"].as_u64().expect("the base is a grid point") as usize;
    assert_eq!(reused["points"][p]["values"], json!([1, 1]), "ttl = 30s, threshold = 2");
    assert_eq!(reused["base"]["summary"], reused["points"][p]["summary"]);
    assert_eq!(reused["base"]["per_run"], reused["points"][p]["per_run"]);
    // A grid without that point runs the base on its own: the same figures.
    let mut apart = small_sweep();
    apart["parameters"]["/health_checks/hc/failure_threshold"] = json!([1, 3]);
    std::fs::write(&path, apart.to_string()).unwrap();
    let out = dir.path().join("apart");
    fosim("1").arg("sweep").arg(&path).arg("--out").arg(&out).assert().success();
    let separate = results(&out.join("small"));
    assert!(separate["base_point"].is_null());
    assert_eq!(separate["base"]["summary"], reused["base"]["summary"], "the base's figures, run apart or reused");
    assert_eq!(separate["base"]["per_run"], reused["base"]["per_run"]);
}

/// The text of every `<text>` element of an SVG chart.
fn svg_texts(svg: &str) -> Vec<&str> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| t.split_once('>'))
        .map(|(_, rest)| rest.split('<').next().unwrap().trim())
        .collect()
}

/// Decimals of every number in a cell such as "12.3 [11.9, 12.7]".
fn decimals(cell: &str) -> Vec<usize> {
    cell.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|t| t.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(|t| t.split_once('.').map_or(0, |(_, d)| d.len()))
        .collect()
}

#[test]
fn each_figure_prints_in_one_number_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_sweep(dir.path(), small_sweep());
    let out = dir.path().join("out");
    fosim("2").arg("sweep").arg(&path).arg("--out").arg(&out).assert().success();
    let md = std::fs::read_to_string(out.join("small/results.md")).unwrap();
    let (header, rows) = markdown_table(&md);
    for (k, figure) in header.iter().enumerate().skip(2) {
        let formats: BTreeMap<usize, Vec<&str>> =
            rows.iter().map(|r| r[k].as_str()).fold(BTreeMap::new(), |mut m, c| {
                for d in decimals(c) {
                    m.entry(d).or_insert_with(Vec::new).push(c);
                }
                m
            });
        assert!(formats.len() <= 1, "{figure} prints in several formats: {formats:?}");
    }
    // The heatmap's cell labels and colour bar use the figure's format too.
    let svg = std::fs::read_to_string(out.join("small/heatmap-totals-availability.svg")).unwrap();
    let texts = svg_texts(&svg);
    let numbers: BTreeMap<usize, Vec<&str>> =
        texts.iter().filter(|t| t.starts_with("0.") || t.starts_with("1.")).fold(BTreeMap::new(), |mut m, t| {
            m.entry(decimals(t)[0]).or_insert_with(Vec::new).push(*t);
            m
        });
    assert_eq!(numbers.len(), 1, "availability's heatmap prints in several formats: {numbers:?}");
}

#[test]
fn heatmap_colour_scales_are_log_when_values_span_two_orders_of_magnitude() {
    let dir = tempfile::tempdir().unwrap();
    let mut sweep = small_sweep();
    // Probes span orders of magnitude with the check's interval; requests do not.
    sweep["parameters"] = json!({
        "/health_checks/hc/request_interval": ["10s", "30s"],
        "/health_checks/hc/failure_threshold": [1, 2]
    });
    sweep["metrics"] = json!(["/totals/false_failovers_per_day", "/totals/requests", "/episodes/0/detection_s"]);
    let path = write_sweep(dir.path(), sweep);
    let out = dir.path().join("out");
    fosim("2").arg("sweep").arg(&path).arg("--out").arg(&out).assert().success();
    let r = results(&out.join("small"));
    let mut seen = Vec::new();
    for metric in r["metrics"].as_array().unwrap() {
        let metric = metric.as_str().unwrap();
        let means: Vec<f64> = r["points"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| summary_of(p).get(metric).and_then(|row| row["mean"].as_f64()))
            .collect();
        let positive: Vec<f64> = means.iter().copied().filter(|v| *v > 0.0).collect();
        let span =
            positive.iter().copied().fold(0.0, f64::max) / positive.iter().copied().fold(f64::INFINITY, f64::min);
        let expected = if means.iter().all(|v| *v >= 0.0) && span >= 100.0 { "log scale" } else { "linear scale" };
        let slug = metric.trim_start_matches('/').replace('/', "-");
        let svg = std::fs::read_to_string(out.join(format!("small/heatmap-{slug}.svg"))).unwrap();
        assert!(svg.contains(&format!("colour: {expected}")), "{metric}: expected a {expected} (means {means:?})");
        seen.push(expected);
    }
    assert!(seen.contains(&"linear scale"), "the test covers a linear scale");
}

#[test]
fn a_sweep_report_is_self_contained_and_holds_the_recommendation() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_sweep(dir.path(), small_sweep());
    let out = dir.path().join("out");
    fosim("2").arg("tune").arg(&path).arg("--out").arg(&out).assert().success();
    let html = std::fs::read_to_string(out.join("small/report.html")).unwrap();
    for external in ["src=", "href=", "url(", "@import", "<link", "<script", "<img"] {
        assert!(!html.contains(external), "report.html refers outside itself: {external}");
    }
    assert!(html.contains("<h2>Recommendation</h2>") && html.contains("best point"), "no recommendation");
    let recommendation: Value =
        serde_json::from_slice(&std::fs::read(out.join("small/recommendation.json")).unwrap()).unwrap();
    let settings = recommendation["groups"][0]["best"]["settings"].as_str().unwrap();
    assert!(html.contains(settings), "report.html names the best point, {settings}");
    let charts = html.matches("<svg").count();
    let files = files(&out.join("small"));
    assert_eq!(charts, files.keys().filter(|k| k.ends_with(".svg")).count(), "every chart inline");
    assert!(html.contains("<h2>Every point</h2>") && html.contains("<h2>Settings swept</h2>"));
}

#[test]
fn line_charts_overlay_client_groups() {
    let dir = tempfile::tempdir().unwrap();
    let mut sweep = small_sweep();
    sweep["metrics"] = json!(["/groups/users/availability", "/totals/availability"]);
    let path = write_sweep(dir.path(), sweep);
    let out = dir.path().join("out");
    fosim("2").arg("sweep").arg(&path).arg("--out").arg(&out).assert().success();
    let svg = std::fs::read_to_string(out.join("small/groups-groups-availability.svg")).unwrap();
    for group in ["users", "extra"] {
        assert!(svg_texts(&svg).contains(&group), "a line per group: {group}");
    }
    // One chart per figure, however many of its groups the sweep lists.
    let charts =
        files(&out.join("small")).into_keys().filter(|k| k.starts_with("groups-") && k.ends_with(".svg")).count();
    assert_eq!(charts, 1);
}
