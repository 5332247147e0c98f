//! The bodies of fosim's fuzz targets, one function per input surface. Each takes the
//! fuzzer's bytes, feeds them to fosim as `fosim` itself would, and returns `Ok` or the
//! plain-word error fosim gave; it panics only on a bug in fosim: a panic inside fosim, an
//! error message in Rust's terms instead of plain words, or fosim refusing what it wrote
//! itself (the report and CSVs of a run, a shard file, an imported scenario).
//!
//! Shared with the regression test `tests/it/fuzz_regressions.rs`, which includes this file
//! with `#[path]`: it depends on nothing but fosim and serde_json.
//!
//! Inputs made of several files (a sweep file and its base scenario, shard files, a saved
//! run, AWS record sets and health checks) hold them one after the other, separated by NUL
//! bytes (`SEPARATOR`), which no JSON or CSV text holds.

use fosim::import::{self, export::Target};
use fosim::input::InputError;
use fosim::report::{self, Report};
use fosim::scenario::{self, Config};
use fosim::sweep::{self, run::ShardFile};
use serde_json::Value;
use std::fmt::Display;
use std::path::{Path, PathBuf};

/// `Ok`, or the error message fosim gave for bad input.
pub type Outcome = Result<(), String>;

/// Between the files of an input made of several.
pub const SEPARATOR: u8 = 0;

/// Memory a scenario may ask for (fosim asks the kernel; the fuzzer runs with 2 GiB).
const MEMORY_BYTES: u64 = 1 << 30;
/// A scenario is run only when it is expected to be this cheap, so that one input never
/// takes more than a fraction of a second.
const RUN_EVENTS_MAX: f64 = 20_000.0;
const RUN_MEMORY_BYTES_MAX: u64 = 64 << 20;
const RUN_TIMELINE_ROWS_MAX: usize = 5_000;
/// A sweep's grid is run only when this small (each point once).
const RUN_POINTS_MAX: usize = 4;

/// The files of a multi-file input.
pub fn files(data: &[u8]) -> Vec<&[u8]> {
    data.split(|&b| b == SEPARATOR).collect()
}

/// Words of Rust's type system or serde's phrasing that a message for people must not
/// hold (outside the text it quotes from the input).
const RUST_WORDS: [&str; 16] = [
    "invalid type",
    "invalid length",
    "invalid value",
    "struct ",
    "enum ",
    "Option<",
    "Option ",
    "tuple",
    "unit value",
    "i64",
    "u64",
    "u32",
    "u16",
    "f64",
    "usize",
    "sequence",
];

/// The Rust word a message holds, if any, ignoring text between double quotes (the input's
/// own names and values, which messages quote) and words the input itself holds (messages
/// also name the input's keys in JSON Pointers).
pub fn rust_word(message: &str, input: &[u8]) -> Option<&'static str> {
    let mut unquoted = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted {
            unquoted.push(c);
        }
    }
    let in_input = |word: &str| input.windows(word.len()).any(|w| w == word.as_bytes());
    RUST_WORDS.iter().copied().find(|w| unquoted.contains(w) && !in_input(w))
}

/// An error for people (about `input`): it must be in plain words.
fn plain(error: impl Display, input: &[u8]) -> String {
    let message = error.to_string();
    if let Some(word) = rust_word(&message, input) {
        panic!("an error message in Rust's terms ({word:?}): {message}");
    }
    message
}

fn utf8(data: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(data).map_err(|_| "not UTF-8 text".to_owned())
}

/// `fosim validate` and a short `fosim run`: parse, validate, check that it fits; then, if
/// the scenario is cheap, simulate one run (aggregated requests, and exact ones when also
/// cheap), render its text, JSON and CSVs, and read them back as `fosim plot` would.
pub fn scenario(data: &[u8]) -> Outcome {
    let text = utf8(data)?;
    let path = Path::new("in/scenario.json");
    let (parsed, source) = scenario::config::parse(path, text).map_err(|e| plain(e, data))?;
    let config = scenario::config::build(&parsed, path).map_err(|e| plain(e, data))?;
    config.check_fits(path, MEMORY_BYTES, false).map_err(|e| plain(e, data))?;
    for warning in &config.warnings {
        plain(warning, data);
    }
    for exact_requests in [false, true] {
        if cheap(&config, exact_requests) {
            run(&config, &source, exact_requests, data)?;
        }
    }
    Ok(())
}

/// Whether one run of `config` is cheap enough to simulate here.
fn cheap(config: &Config, exact_requests: bool) -> bool {
    config.event_estimate(exact_requests) <= RUN_EVENTS_MAX
        && config.memory_estimate_bytes() <= RUN_MEMORY_BYTES_MAX
        && config.timeline_rows() <= RUN_TIMELINE_ROWS_MAX
}

fn run(config: &Config, source: &Value, exact_requests: bool, data: &[u8]) -> Outcome {
    let report =
        fosim::simulate::simulate(config, source, 1, exact_requests, &|_, _| {}).map_err(|e| plain(e, data))?;
    let _ = report::text::render(&report);
    let json = report::json(&report);
    let trace = report.trace.as_ref().expect("the first run is traced");
    let timeline = report::csv::timeline(&report, trace);
    let clients = report::csv::clients(&report, trace);
    let checkers = report::csv::checkers(trace);
    let datapoints = report::csv::datapoints(trace);
    // What `fosim run` wrote, `fosim plot` reads back.
    let json = std::str::from_utf8(&json).expect("report.json is UTF-8");
    let (read, _) = fosim::input::parse::<Report>(Path::new("out/report.json"), json)
        .unwrap_or_else(|e| panic!("fosim cannot read back its own report.json: {e}"));
    report::csv::read_trace(&read, &timeline, &clients, &checkers)
        .unwrap_or_else(|e| panic!("fosim cannot read back its own CSVs: {e}"));
    if report::csv::has_datapoints(&read) {
        report::csv::read_datapoints(&datapoints)
            .unwrap_or_else(|e| panic!("fosim cannot read back its own datapoints.csv: {e}"));
    }
    Ok(())
}

/// Every bundled scenario, by file name: what a sweep file may name as its base.
const BUNDLED: [(&str, &str); 18] = [
    ("alb-target-health.json", include_str!("../../scenarios/alb-target-health.json")),
    ("basic-failover.json", include_str!("../../scenarios/basic-failover.json")),
    ("both-down.json", include_str!("../../scenarios/both-down.json")),
    ("calculated-zones.json", include_str!("../../scenarios/calculated-zones.json")),
    ("client-mix.json", include_str!("../../scenarios/client-mix.json")),
    ("cloudwatch-gray-failure.json", include_str!("../../scenarios/cloudwatch-gray-failure.json")),
    ("fail-open.json", include_str!("../../scenarios/fail-open.json")),
    ("fast-vs-standard-checks.json", include_str!("../../scenarios/fast-vs-standard-checks.json")),
    ("flapping-primary.json", include_str!("../../scenarios/flapping-primary.json")),
    ("gray-failure.json", include_str!("../../scenarios/gray-failure.json")),
    ("multi-region-latency.json", include_str!("../../scenarios/multi-region-latency.json")),
    ("multivalue-next-address.json", include_str!("../../scenarios/multivalue-next-address.json")),
    ("probe-loss-thresholds.json", include_str!("../../scenarios/probe-loss-thresholds.json")),
    ("probe-loss-tuning.json", include_str!("../../scenarios/probe-loss-tuning.json")),
    ("resolver-clamping.json", include_str!("../../scenarios/resolver-clamping.json")),
    ("ttl-tuning.json", include_str!("../../scenarios/ttl-tuning.json")),
    ("weighted-dead-member.json", include_str!("../../scenarios/weighted-dead-member.json")),
    ("small-run.json", include_str!("../../tests/data/small-run.json")),
];

fn no_such_file(path: &Path, what: &'static str) -> InputError {
    InputError::Read { file: path.to_owned(), what, reason: "no such file".to_owned() }
}

/// `fosim sweep` up to running the grid: the sweep file (first file of the input) and its
/// base scenario (the second file if there is one, else the bundled scenario of that
/// name), every point's config checked; then, for a tiny cheap grid, each point run once,
/// the tables and recommendation rendered, the results written and read back as a shard,
/// and with an imported base the recommended changes exported.
pub fn sweep(data: &[u8]) -> Outcome {
    let files = files(data);
    let text = utf8(files[0])?;
    let base = files.get(1).copied();
    let load = |path: &Path| -> Result<(scenario::Scenario, Value), InputError> {
        let text = match base {
            Some(bytes) => std::str::from_utf8(bytes).map_err(|_| InputError::Read {
                file: path.to_owned(),
                what: "scenario file",
                reason: "the file is not UTF-8 text".to_owned(),
            })?,
            None => {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                BUNDLED
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, text)| *text)
                    .ok_or_else(|| no_such_file(path, "scenario file"))?
            }
        };
        scenario::config::parse(path, text)
    };
    let path = Path::new("in/sweeps/sweep.json");
    let mut sweep = sweep::parse(path, text, &load).map_err(|e| plain(e, data))?;
    for config in std::iter::once(&sweep.base).chain(&sweep.configs) {
        config.check_fits(path, MEMORY_BYTES, false).map_err(|e| plain(e, data))?;
    }
    sweep::run::check_metrics(&sweep).map_err(|e| plain(e, data))?;
    for target in [Target::Aws, Target::Terraform] {
        let _ = import::export::exportable(&sweep.base_source, target);
    }
    for p in 0..sweep.points.len() {
        let _ = sweep.describe_point(p);
    }
    if sweep.points.len() > RUN_POINTS_MAX
        || !std::iter::once(&sweep.base).chain(&sweep.configs).all(|c| cheap(c, false))
    {
        return Ok(());
    }
    sweep.runs = sweep.runs.min(2);
    let results = sweep::run::run(&sweep, None, &|_| {}).map_err(|e| plain(e, data))?;
    let _ = sweep::output::files(&results);
    // A shard of the whole grid reads back and merges into the same results.
    let shard = ShardFile { shard: 1, of: 1, points_total: sweep.points.len(), results: results.clone() };
    let bytes = sweep::output::json_bytes(&shard);
    let (read, _) = fosim::input::parse::<ShardFile>(Path::new("out/shard-1-of-1.json"), utf8(&bytes)?)
        .unwrap_or_else(|e| panic!("fosim cannot read back its own shard file: {e}"));
    let merged = sweep::run::merge(vec![("shard-1-of-1.json".to_owned(), read)])
        .unwrap_or_else(|e| panic!("fosim cannot merge its own shard file: {e}"));
    assert!(merged == results, "a merged shard differs from the sweep's results");
    if let Some(objective) = &results.objective {
        export(&results, objective);
    }
    Ok(())
}

/// `fosim tune --export`: the recommended changes of each group as AWS and Terraform files.
fn export(results: &sweep::run::SweepResults, objective: &sweep::Objective) {
    let recommendation = sweep::tune::recommend(results, objective);
    let except = objective.for_each.as_ref().and_then(|p| results.parameters.iter().position(|q| &q.pointer == p));
    for group in &recommendation.groups {
        let Some(best) = &group.best else { continue };
        let point = &results.points[best.point];
        let changes: Vec<(String, Value)> = sweep::tune::patch(results, point, except)
            .as_array()
            .expect("a patch is a list")
            .iter()
            .map(|op| (op["path"].as_str().unwrap_or_default().to_owned(), op["value"].clone()))
            .collect();
        for target in [Target::Aws, Target::Terraform] {
            let _ = import::export::export(&results.scenario, &changes, target, &best.settings);
        }
    }
}

/// `fosim merge`: every file of the input is a shard file; they are merged and the sweep's
/// tables rendered, and with `plots` its charts drawn.
pub fn shards(data: &[u8], plots: bool) -> Outcome {
    let mut shards = Vec::new();
    for (i, bytes) in files(data).into_iter().enumerate() {
        let path = PathBuf::from(format!("in/shards/shard-{}.json", i + 1));
        let (shard, _) = fosim::input::parse::<ShardFile>(&path, utf8(bytes)?).map_err(|e| plain(e, data))?;
        shards.push((path.display().to_string(), shard));
    }
    let results = sweep::run::merge(shards).map_err(|e| plain(e, data))?;
    let _ = sweep::output::files(&results);
    if plots {
        fosim::plot::sweep::all(&results).map_err(|e| plain(e, data))?;
    }
    Ok(())
}

/// `fosim plot`: the input holds report.json, timeline.csv, clients.csv, checkers.csv and
/// optionally datapoints.csv; they are read back into a report with its trace, and
/// report.html rendered, with `plots` its charts too.
pub fn saved_run(data: &[u8], plots: bool) -> Outcome {
    const NAMES: [&str; 5] = ["report.json", "timeline.csv", "clients.csv", "checkers.csv", "datapoints.csv"];
    let files = files(data);
    let file = |i: usize| -> Result<&[u8], String> {
        files
            .get(i)
            .copied()
            .ok_or_else(|| plain(no_such_file(&Path::new("in/run").join(NAMES[i]), "saved run file"), data))
    };
    let path = Path::new("in/run/report.json");
    let (mut report, _) = fosim::input::parse::<Report>(path, utf8(file(0)?)?).map_err(|e| plain(e, data))?;
    if report.schema_version != report::SCHEMA_VERSION {
        return Err(format!("{}: report schema {}", path.display(), report.schema_version));
    }
    let mut trace = report::csv::read_trace(&report, file(1)?, file(2)?, file(3)?).map_err(|e| plain(e, data))?;
    if report::csv::has_datapoints(&report) {
        trace.datapoints = report::csv::read_datapoints(file(4)?).map_err(|e| plain(e, data))?;
    }
    report.trace = Some(trace);
    if plots {
        fosim::plot::files(&report).map_err(|e| plain(e, data))?;
    } else {
        let _ = report::html::render(&report, &[]);
    }
    Ok(())
}

/// `fosim import aws`: the first file holds the record sets, the others health checks; an
/// input of odd length is imported with `--zone example.com`.
pub fn import_aws(data: &[u8]) -> Outcome {
    let files = files(data);
    let record_sets = PathBuf::from("in/record-sets.json");
    let health_checks: Vec<PathBuf> =
        (1..files.len()).map(|i| PathBuf::from(format!("in/health-checks-{i}.json"))).collect();
    let load = |path: &Path| -> Result<Value, InputError> {
        let i = if path == record_sets { 0 } else { 1 + health_checks.iter().position(|p| p == path).unwrap() };
        let text = std::str::from_utf8(files[i]).map_err(|_| InputError::Read {
            file: path.to_owned(),
            what: "file to import",
            reason: "the file is not UTF-8 text".to_owned(),
        })?;
        import::json::parse(path, text)
    };
    let zone_filter = (data.len() % 2 == 1).then_some("example.com");
    let zone = import::aws::read_with(&record_sets, &health_checks, zone_filter, &load).map_err(|e| plain(e, data))?;
    imported(&zone, data)
}

/// `fosim import terraform`.
pub fn import_terraform(data: &[u8]) -> Outcome {
    let zone = import::terraform::parse(Path::new("in/terraform.json"), utf8(data)?).map_err(|e| plain(e, data))?;
    imported(&zone, data)
}

/// `fosim import cloudformation`.
pub fn import_cloudformation(data: &[u8]) -> Outcome {
    let zone = import::cloudformation::parse(Path::new("in/template.json"), utf8(data)?).map_err(|e| plain(e, data))?;
    imported(&zone, data)
}

/// What `fosim import` does with a zone: the scenario, which must validate as is (else it
/// is fosim's bug), then an export of typical tuned settings back to the zone's format.
fn imported(zone: &import::Zone, data: &[u8]) -> Outcome {
    let name = import::scenario::default_name(zone);
    let imported = import::scenario::build(zone, &name).map_err(|e| plain(e, data))?;
    for warning in &imported.warnings {
        plain(warning, data);
    }
    let mut text = serde_json::to_string_pretty(&imported.scenario).expect("JSON values serialise");
    text.push('\n');
    let scratch = PathBuf::from(format!("{name}.json"));
    let config = scenario::config::parse(&scratch, &text)
        .and_then(|(scenario, _)| scenario::config::build(&scenario, &scratch))
        .unwrap_or_else(|e| panic!("the imported scenario does not validate: {e}\n{text}"));
    for warning in &config.warnings {
        plain(warning, data);
    }
    let mut changes = Vec::new();
    if let Some(checks) = imported.scenario["health_checks"].as_object() {
        for id in checks.keys() {
            let at = fosim::input::pointer(&["health_checks", id]);
            changes.push((format!("{at}/request_interval"), Value::from("10s")));
            changes.push((format!("{at}/failure_threshold"), Value::from(2)));
        }
    }
    if let Some(records) = imported.scenario["dns"]["records"].as_object() {
        for id in records.keys() {
            changes.push((format!("{}/ttl", fosim::input::pointer(&["dns", "records", id])), Value::from("30s")));
        }
    }
    for target in [Target::Aws, Target::Terraform] {
        let _ = import::export::export(&imported.scenario, &changes, target, "fuzz");
    }
    Ok(())
}
