//! Parameter sweeps: a grid over JSON Pointers into a base scenario, `runs` replications
//! per point with common random numbers, shards for cluster array jobs, and tuning.
//!
//! This file owns the sweep file and its validation into a `Sweep`: every point's
//! scenario is built and checked before anything runs. `run.rs` executes, `tune.rs`
//! recommends, `output.rs` renders results.

pub mod html;
pub mod names;
pub mod numbers;
pub mod output;
pub mod run;
pub mod tune;

use crate::input::{self, InputError, did_you_mean, pointer as make_pointer};
use crate::scenario::values::describe;
use crate::scenario::{self, Config};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Default largest grid; a sweep file may raise it with `max_points`, up to `POINTS_MAX`.
pub const POINTS_DEFAULT_MAX: u64 = 10_000;
pub const POINTS_MAX: u64 = 1_000_000;
/// Values one range may expand into.
pub const RANGE_VALUES_MAX: u64 = 100_000;

/// A fosim sweep file: a base scenario, the fields of it to vary over a grid, and how many
/// replications to run at each point of the grid. See README.md, "Tuning: sweeps and
/// recommendations", and docs/model.md §7.9.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// The JSON Schema this file follows (ignored by fosim; lets editors check the file).
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// Short name, usable as a directory name (letters, digits, ".", "_", "-"); output goes
    /// to `out/<name>/`.
    pub name: String,
    /// What this sweep asks (default: none).
    #[serde(default)]
    pub description: String,
    /// The base scenario file, as a path relative to this sweep file. Every point of the
    /// grid is this scenario with the swept fields changed.
    pub scenario: String,
    /// Replications per point (1 to 1,000,000). Replication r of every point uses the same
    /// seed, so differences between points come from the settings, not the luck of the
    /// draw.
    #[schemars(range(min = 1, max = 1_000_000))]
    pub runs: i64,
    /// The fields to vary, each keyed by its JSON Pointer into the base scenario (e.g.
    /// "/health_checks/hc-primary/failure_threshold"). The grid is every combination of
    /// their values.
    #[schemars(schema_with = "parameters_schema")]
    pub parameters: BTreeMap<String, Value>,
    /// Figures shown in the Markdown table and plotted, as JSON Pointers into a run's
    /// results (e.g. "/episodes/0/client_failover_s/p99"). Default: detection time, client
    /// failover p99, availability, false failovers per day and authoritative queries per
    /// second of the first episode.
    #[serde(default)]
    pub metrics: Option<Vec<String>>,
    /// Which swept parameters the heatmaps put on their axes (default: the first two
    /// parameters in pointer order, one chart per value of the third).
    #[serde(default)]
    pub plot: Option<PlotAxes>,
    /// What `fosim tune` looks for: the point that minimises a figure under bounds on
    /// others (default: none; `fosim tune --minimize` can give one instead).
    #[serde(default)]
    pub objective: Option<Objective>,
    /// Refuse grids with more points than this (1 to 1,000,000; default 10,000).
    #[serde(default)]
    #[schemars(range(min = 1, max = 1_000_000))]
    pub max_points: Option<i64>,
}

/// The schema of `parameters`: each pointer's values as a list, a range or labelled values.
fn parameters_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "propertyNames": { "pattern": "^/." },
        "minProperties": 1,
        "additionalProperties": {
            "description": "The values one field takes: a list of values, a range, or values with labels.",
            "anyOf": [
                {
                    "description": "The values themselves, each of the type the scenario field expects.",
                    "type": "array",
                    "minItems": 1
                },
                {
                    "description": "A range from `from` to `to` (inclusive) by `step`: numbers, or durations such as \"10s\" (which give durations).",
                    "type": "object",
                    "properties": {
                        "from": { "description": "The first value.", "type": ["number", "string"] },
                        "to": { "description": "The last value, or the largest one the steps reach below it.", "type": ["number", "string"] },
                        "step": { "description": "The positive distance between values.", "type": ["number", "string"] },
                        "name": { "description": "How tables and charts call the parameter (default: a short name from the pointer).", "type": "string" }
                    },
                    "required": ["from", "to", "step"],
                    "additionalProperties": false
                },
                {
                    "description": "Values with the labels tables and charts show for them, e.g. whole client groups called \"browsers\" and \"jvm-30s\".",
                    "type": "object",
                    "properties": {
                        "values": { "description": "The values themselves.", "type": "array", "minItems": 1 },
                        "labels": { "description": "One label per value (default: each value as written).", "type": "array", "items": { "type": "string" } },
                        "name": { "description": "How tables and charts call the parameter (default: a short name from the pointer).", "type": "string" }
                    },
                    "required": ["values"],
                    "additionalProperties": false
                }
            ]
        }
    })
}

/// The swept parameters that the heatmaps put on their axes, by JSON Pointer; each must be
/// one of `parameters`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlotAxes {
    /// The parameter along the horizontal axis.
    pub x: String,
    /// The parameter along the vertical axis (default: none, a single row).
    #[serde(default)]
    pub y: Option<String>,
    /// One chart per value of this parameter (default: none).
    #[serde(default)]
    pub facet: Option<String>,
}

/// Minimise a figure subject to bounds on others.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Objective {
    /// The figure whose mean across runs to minimise, as a JSON Pointer into a run's
    /// results, e.g. "/episodes/0/client_failover_s/p99".
    pub minimize: String,
    /// Bounds a point must meet to be recommended (default: none).
    #[serde(default)]
    pub subject_to: Vec<Constraint>,
    /// A swept parameter that describes the situation rather than a setting (e.g. the client
    /// mix): recommend the best point separately for each of its values (default: one
    /// recommendation).
    #[serde(default)]
    pub for_each: Option<String>,
}

/// A bound on the mean across runs of one figure.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Constraint {
    /// The figure, as a JSON Pointer into a run's results, e.g.
    /// "/totals/false_failovers_per_day".
    pub metric: String,
    /// The figure's mean across runs must be at most this (default: no upper bound).
    #[serde(default)]
    pub max: Option<f64>,
    /// The figure's mean across runs must be at least this (default: no lower bound).
    #[serde(default)]
    pub min: Option<f64>,
}

/// The JSON Schema of the sweep file, generated from the types above.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(SweepFile)).expect("a schema serializes")
}

/// The figures shown when a sweep file names none.
pub const DEFAULT_METRICS: [&str; 5] = [
    "/episodes/0/detection_s",
    "/episodes/0/client_failover_s/p99",
    "/totals/availability",
    "/totals/false_failovers_per_day",
    "/totals/authoritative_queries_per_s",
];

/// One swept parameter, validated.
#[derive(Clone, Debug)]
pub struct Parameter {
    pub pointer: String,
    /// Short, unique display name.
    pub name: String,
    pub values: Vec<Value>,
    /// How each value is shown (its label, or its JSON).
    pub labels: Vec<String>,
}

/// A validated sweep: the grid and a config per point.
pub struct Sweep {
    pub file: PathBuf,
    pub name: String,
    pub description: String,
    pub source: Value,
    pub base_source: Value,
    pub base: Config,
    pub runs: u32,
    pub parameters: Vec<Parameter>,
    /// Value index of each parameter, per point, in canonical order.
    pub points: Vec<Vec<usize>>,
    /// The first grid point whose config equals the base scenario's: the base is not run
    /// again, its results are this point's (the same config with the same run seeds gives
    /// the same results).
    pub base_point: Option<usize>,
    pub configs: Vec<Config>,
    pub metrics: Vec<String>,
    pub plot: Option<PlotAxes>,
    pub objective: Option<Objective>,
}

fn invalid(file: &Path, at: impl Into<String>, message: impl Into<String>) -> InputError {
    InputError::invalid(file, at, message)
}

/// Reads and validates a sweep file and its base scenario, building every point's config.
pub fn load(path: &Path) -> Result<Sweep, InputError> {
    parse(path, &input::read_text(path, input::SWEEP)?, &scenario::config::load)
}

/// Reads a scenario file: `scenario::config::load`, or a stand-in holding files in memory.
pub type LoadScenario<'a> = &'a dyn Fn(&Path) -> Result<(scenario::Scenario, Value), InputError>;

/// `load` on the sweep file's text (`path` only names it in errors and places the base
/// scenario, which `load_scenario` reads).
pub fn parse(path: &Path, text: &str, load_scenario: LoadScenario) -> Result<Sweep, InputError> {
    let (sweep, source) = input::parse::<SweepFile>(path, text)?;
    build(path, sweep, source, load_scenario)
}

fn build(path: &Path, sweep: SweepFile, source: Value, load_scenario: LoadScenario) -> Result<Sweep, InputError> {
    let (base, base_source) = base_scenario(path, &sweep.scenario, load_scenario)?;
    if sweep.name.is_empty()
        || !sweep.name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        || sweep.name.starts_with('.')
    {
        return Err(invalid(
            path,
            "/name",
            format!("expected a name usable as a directory name, found \"{}\"", sweep.name),
        ));
    }
    if !(1..=i64::from(crate::simulate::RUNS_MAX)).contains(&sweep.runs) {
        return Err(invalid(
            path,
            "/runs",
            format!("expected from 1 to {} runs per point, found {}", crate::simulate::RUNS_MAX, sweep.runs),
        ));
    }
    let parameters = sweep_parameters(path, &sweep.parameters, &base_source)?;
    check_grid_size(path, sweep.max_points, &parameters)?;
    let points = grid(&parameters);
    let mut configs = Vec::with_capacity(points.len());
    for point in &points {
        configs.push(point_config(path, &base_source, &parameters, point)?);
    }
    let base_point = same_run(&base, &configs);
    let metrics: Vec<String> =
        sweep.metrics.clone().unwrap_or_else(|| DEFAULT_METRICS.iter().map(|m| m.to_string()).collect());
    if let Some(axes) = &sweep.plot {
        check_plot_axes(path, axes, &parameters)?;
    }
    Ok(Sweep {
        file: path.to_owned(),
        name: sweep.name,
        description: sweep.description,
        source,
        base_source,
        base,
        runs: sweep.runs as u32,
        parameters,
        points,
        base_point,
        configs,
        metrics,
        plot: sweep.plot,
        objective: sweep.objective,
    })
}

/// Loads and builds the base scenario named by a sweep file (relative to it); a file that
/// cannot be read is the sweep file's error, at its `/scenario`.
fn base_scenario(path: &Path, scenario: &str, load_scenario: LoadScenario) -> Result<(Config, Value), InputError> {
    let scenario_path = path.parent().unwrap_or(Path::new(".")).join(scenario);
    let (parsed, base_source) = load_scenario(&scenario_path).map_err(|e| match e {
        InputError::Read { file, reason, .. } => {
            invalid(path, "/scenario", format!("cannot read the base scenario {}: {reason}", file.display()))
        }
        other => in_base(path, other),
    })?;
    let base = scenario::config::build(&parsed, &scenario_path).map_err(|e| in_base(path, e))?;
    Ok((base, base_source))
}

/// An error of the base scenario, reported at the sweep file's `/scenario` so that the user
/// sees which sweep led there.
fn in_base(path: &Path, error: InputError) -> InputError {
    invalid(path, "/scenario", format!("the base scenario has an error: {error}"))
}

/// The swept parameters in pointer order, each with its values, checked against the base
/// scenario, and named.
fn sweep_parameters(path: &Path, specs: &BTreeMap<String, Value>, base: &Value) -> Result<Vec<Parameter>, InputError> {
    if specs.is_empty() {
        return Err(invalid(path, "/parameters", "expected at least one parameter to sweep, found none"));
    }
    let mut parameters = Vec::new();
    let mut explicit = Vec::new();
    for (pointer, spec) in specs {
        let at = format!("/parameters/{}", pointer.replace('~', "~0").replace('/', "~1"));
        let (values, labels, name) = parameter_values(path, &at, spec)?;
        check_pointer(path, &at, base, pointer)?;
        parameters.push(Parameter { pointer: pointer.clone(), name: String::new(), values, labels });
        explicit.push(name);
    }
    let pointers: Vec<&str> = parameters.iter().map(|p| p.pointer.as_str()).collect();
    let names = names::parameter_names(&pointers, &explicit);
    for (p, name) in parameters.iter_mut().zip(names) {
        p.name = name;
    }
    Ok(parameters)
}

/// Refuses a grid larger than `max_points` (default `POINTS_DEFAULT_MAX`), before any
/// point is built.
fn check_grid_size(path: &Path, max_points: Option<i64>, parameters: &[Parameter]) -> Result<(), InputError> {
    let max_points = match max_points {
        None => POINTS_DEFAULT_MAX,
        Some(m) if m >= 1 && m as u64 <= POINTS_MAX => m as u64,
        Some(m) => return Err(invalid(path, "/max_points", format!("expected from 1 to {POINTS_MAX}, found {m}"))),
    };
    let count = parameters.iter().try_fold(1u64, |n, p| n.checked_mul(p.values.len() as u64)).unwrap_or(u64::MAX);
    if count > max_points {
        let sizes: Vec<String> = parameters.iter().map(|p| format!("{} {}", p.values.len(), p.name)).collect();
        return Err(invalid(
            path,
            "/parameters",
            format!(
                "the grid has {count} points ({}), more than max_points = {max_points}; narrow a parameter or raise max_points (at most {POINTS_MAX})",
                sizes.join(" × ")
            ),
        ));
    }
    Ok(())
}

/// Every plot axis must be a swept parameter.
fn check_plot_axes(path: &Path, axes: &PlotAxes, parameters: &[Parameter]) -> Result<(), InputError> {
    for (field, axis) in [("x", Some(&axes.x)), ("y", axes.y.as_ref()), ("facet", axes.facet.as_ref())] {
        if let Some(axis) = axis {
            swept(path, &format!("/plot/{field}"), parameters, axis)?;
        }
    }
    Ok(())
}

/// Checks that `pointer` names one of the swept parameters.
pub(crate) fn swept(file: &Path, at: &str, parameters: &[Parameter], pointer: &str) -> Result<(), InputError> {
    if parameters.iter().any(|p| p.pointer == pointer) {
        return Ok(());
    }
    let known: Vec<&str> = parameters.iter().map(|p| p.pointer.as_str()).collect();
    Err(invalid(
        file,
        at,
        format!(
            "\"{pointer}\" is not a swept parameter{}; the parameters are {}",
            did_you_mean(pointer, &known),
            known.join(", ")
        ),
    ))
}

/// A parameter's values, their labels, and its name if the file gives one.
type ParameterSpec = (Vec<Value>, Vec<String>, Option<String>);

/// A parameter's values, their labels and its name if the file gives one, from a list, a
/// range or labelled values.
fn parameter_values(file: &Path, at: &str, spec: &Value) -> Result<ParameterSpec, InputError> {
    let name = match spec.get("name") {
        None => None,
        Some(Value::String(n)) if !n.trim().is_empty() => Some(n.trim().to_owned()),
        Some(other) => {
            return Err(invalid(
                file,
                format!("{at}/name"),
                format!("expected the parameter's name as text, found {}", describe(other)),
            ));
        }
    };
    let (values, labels) = match spec {
        Value::Array(values) => (values.clone(), None),
        Value::Object(map) if map.contains_key("values") => {
            if let Some(extra) = map.keys().find(|k| !["values", "labels", "name"].contains(&k.as_str())) {
                return Err(invalid(
                    file,
                    format!("{at}/{extra}"),
                    format!("unknown field \"{extra}\"; expected \"values\" and optional \"labels\" and \"name\""),
                ));
            }
            let values = map["values"]
                .as_array()
                .cloned()
                .ok_or_else(|| invalid(file, format!("{at}/values"), "expected a list of values"))?;
            let labels = match map.get("labels") {
                None => None,
                Some(Value::Array(labels)) if labels.len() == values.len() && labels.iter().all(Value::is_string) => {
                    Some(labels.iter().map(|l| l.as_str().unwrap_or_default().to_owned()).collect())
                }
                Some(_) => {
                    return Err(invalid(
                        file,
                        format!("{at}/labels"),
                        format!("expected {} strings, one per value", values.len()),
                    ));
                }
            };
            (values, labels)
        }
        Value::Object(map) if map.contains_key("from") || map.contains_key("to") || map.contains_key("step") => {
            (range(file, at, map)?, None)
        }
        other => {
            return Err(invalid(
                file,
                at,
                format!(
                    "expected a list of values, {{\"from\": …, \"to\": …, \"step\": …}} or {{\"values\": […], \"labels\": […]}}, found {}",
                    describe(other)
                ),
            ));
        }
    };
    if values.is_empty() {
        return Err(invalid(file, at, "expected at least one value, found an empty list"));
    }
    let labels = labels.unwrap_or_else(|| values.iter().map(label).collect());
    Ok((values, labels, name))
}

/// How a value reads in a table: strings bare, everything else as compact JSON.
fn label(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Expands `{"from", "to", "step"}` over numbers or durations (duration strings give
/// duration strings, so the values read as the user wrote them).
fn range(file: &Path, at: &str, map: &serde_json::Map<String, Value>) -> Result<Vec<Value>, InputError> {
    if let Some(extra) = map.keys().find(|k| !["from", "to", "step", "name"].contains(&k.as_str())) {
        return Err(invalid(
            file,
            format!("{at}/{extra}"),
            format!("unknown field \"{extra}\" in a range; expected from, to, step and optional name"),
        ));
    }
    let get = |key: &str| {
        map.get(key).ok_or_else(|| invalid(file, format!("{at}/{key}"), format!("a range needs \"{key}\"")))
    };
    let (from, to, step) = (get("from")?, get("to")?, get("step")?);
    let durations = [from, to, step].iter().any(|v| v.is_string());
    let number = |key: &str, v: &Value| -> Result<f64, InputError> {
        if durations {
            crate::scenario::values::Duration::deserialize(v.clone())
                .map(|d| d.us() as f64)
                .map_err(|e| invalid(file, format!("{at}/{key}"), e.to_string()))
        } else {
            v.as_f64().ok_or_else(|| {
                invalid(file, format!("{at}/{key}"), format!("expected a number, found {}", describe(v)))
            })
        }
    };
    let (a, b, s) = (number("from", from)?, number("to", to)?, number("step", step)?);
    if s <= 0.0 || !s.is_finite() {
        return Err(invalid(file, format!("{at}/step"), format!("expected a positive step, found {step}")));
    }
    if b < a {
        return Err(invalid(file, format!("{at}/to"), format!("expected to >= from, found {to} < {from}")));
    }
    let count = ((b - a) / s + 1e-9).floor() as u64 + 1;
    if count > RANGE_VALUES_MAX {
        return Err(invalid(file, at, format!("the range has {count} values, more than {RANGE_VALUES_MAX}")));
    }
    let integers = !durations && [from, step].iter().all(|v| v.is_i64() || v.is_u64());
    Ok((0..count)
        .map(|i| {
            let x = a + i as f64 * s;
            if durations {
                Value::String(crate::time::format_duration(x.round() as u64))
            } else if integers {
                Value::from(x.round() as i64)
            } else {
                // Rounded to 12 significant digits so that 0.1 + 2·0.1 reads 0.3.
                Value::from(format!("{x:.12e}").parse::<f64>().unwrap_or(x))
            }
        })
        .collect())
}

/// The parent of the pointer must exist in the base scenario (the field itself may be
/// absent and defaulted there); the scenario checks the rest when each point is built.
fn check_pointer(file: &Path, at: &str, base: &Value, pointer: &str) -> Result<(), InputError> {
    if !pointer.starts_with('/') || pointer.len() < 2 {
        return Err(invalid(
            file,
            at,
            format!("expected a JSON Pointer such as \"/health_checks/hc/failure_threshold\", found \"{pointer}\""),
        ));
    }
    let segments: Vec<String> = pointer[1..].split('/').map(|s| s.replace("~1", "/").replace("~0", "~")).collect();
    let mut node = base;
    for (i, segment) in segments[..segments.len() - 1].iter().enumerate() {
        let so_far = make_pointer(&segments[..=i]);
        node = match node {
            Value::Object(map) => map.get(segment).ok_or_else(|| {
                let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                invalid(
                    file,
                    at,
                    format!(
                        "unknown pointer: the scenario has no \"{so_far}\"{}; at that level it has {}",
                        did_you_mean(segment, &keys),
                        if keys.is_empty() { "nothing".to_owned() } else { keys.join(", ") }
                    ),
                )
            })?,
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)).ok_or_else(|| {
                invalid(file, at, format!("unknown pointer: \"{so_far}\" is not an index of a list of {}", items.len()))
            })?,
            other => {
                return Err(invalid(
                    file,
                    at,
                    format!("unknown pointer: \"{so_far}\" is inside {}, not an object", describe(other)),
                ));
            }
        };
    }
    if !(node.is_object() || node.is_array()) {
        return Err(invalid(
            file,
            at,
            format!("unknown pointer: the parent of \"{pointer}\" is {}, not an object", describe(node)),
        ));
    }
    Ok(())
}

/// The first point whose config would run exactly as the base scenario's. Configs are
/// compared by their debug form, which prints every field (floats in round-trip form);
/// warnings are left out, since they change nothing in a run.
fn same_run(base: &Config, configs: &[Config]) -> Option<usize> {
    let key = |c: &Config| format!("{:?}", Config { warnings: Vec::new(), ..c.clone() });
    let base = key(base);
    configs.iter().position(|c| key(c) == base)
}

/// The cartesian product in canonical order: parameters sorted by pointer, the last
/// varying fastest; values in the order the file lists them.
fn grid(parameters: &[Parameter]) -> Vec<Vec<usize>> {
    let mut points = vec![Vec::new()];
    for p in parameters {
        points = points
            .into_iter()
            .flat_map(|prefix: Vec<usize>| {
                (0..p.values.len()).map(move |v| {
                    let mut point = prefix.clone();
                    point.push(v);
                    point
                })
            })
            .collect();
    }
    points
}

/// The base scenario with a point's values written at their pointers.
pub fn point_source(base: &Value, parameters: &[Parameter], point: &[usize]) -> Value {
    let mut source = base.clone();
    for (p, &v) in parameters.iter().zip(point) {
        let (parent, key) = p.pointer.rsplit_once('/').expect("pointers start with '/'");
        let key = key.replace("~1", "/").replace("~0", "~");
        match source.pointer_mut(parent) {
            Some(Value::Object(map)) => {
                map.insert(key, p.values[v].clone());
            }
            Some(Value::Array(items)) => match key.parse::<usize>() {
                Ok(i) if i < items.len() => items[i] = p.values[v].clone(),
                _ => items.push(p.values[v].clone()),
            },
            _ => unreachable!("pointer parents are checked when the sweep is loaded"),
        }
    }
    source
}

fn point_config(file: &Path, base: &Value, parameters: &[Parameter], point: &[usize]) -> Result<Config, InputError> {
    let source = point_source(base, parameters, point);
    let describe_point = || -> String {
        parameters
            .iter()
            .zip(point)
            .map(|(p, &v)| format!("{} = {}", p.name, p.labels[v]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let blame = |at: &str| -> String {
        parameters
            .iter()
            .zip(point)
            .filter(|(p, _)| at.starts_with(&p.pointer) || p.pointer.starts_with(at))
            .map(|(p, &v)| format!("parameter {} = {}", p.pointer, p.labels[v]))
            .next()
            .unwrap_or_else(|| format!("the point {}", describe_point()))
    };
    let scenario_file = Path::new("scenario");
    let parsed = crate::scenario::config::parse(scenario_file, &source.to_string())
        .and_then(|(parsed, _)| crate::scenario::config::build(&parsed, scenario_file));
    parsed.map_err(|e| {
        let (at, message) = match &e {
            InputError::Field { pointer, message, .. } | InputError::Invalid { pointer, message, .. } => {
                (pointer.clone(), message.clone())
            }
            other => (String::new(), other.to_string()),
        };
        invalid(file, "/parameters", format!("{} gives an invalid scenario: at {at}: {message}", blame(&at)))
    })
}

impl Sweep {
    /// "interval = 10s, threshold = 3" for a point.
    pub fn describe_point(&self, point: usize) -> String {
        self.parameters
            .iter()
            .zip(&self.points[point])
            .map(|(p, &v)| format!("{} = {}", p.name, p.labels[v]))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ranges_expand_numbers_and_durations() {
        let file = Path::new("s.json");
        let map = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            range(file, "/p", &map(json!({"from": 1, "to": 5, "step": 2}))).unwrap(),
            vec![json!(1), json!(3), json!(5)]
        );
        assert_eq!(
            range(file, "/p", &map(json!({"from": 0.1, "to": 0.3, "step": 0.1}))).unwrap(),
            vec![json!(0.1), json!(0.2), json!(0.3)]
        );
        assert_eq!(
            range(file, "/p", &map(json!({"from": "10s", "to": "1m", "step": "25s"}))).unwrap(),
            vec![json!("10s"), json!("35s"), json!("1m")]
        );
        assert!(range(file, "/p", &map(json!({"from": 1, "to": 5, "step": 0}))).is_err());
        assert!(range(file, "/p", &map(json!({"from": 5, "to": 1, "step": 1}))).is_err());
    }

    #[test]
    fn the_grid_is_canonical_last_parameter_fastest() {
        let p = |n: usize| Parameter {
            pointer: format!("/p{n}"),
            name: String::new(),
            values: vec![Value::Null; n],
            labels: vec![],
        };
        assert_eq!(grid(&[p(2), p(3)]), vec![vec![0, 0], vec![0, 1], vec![0, 2], vec![1, 0], vec![1, 1], vec![1, 2]]);
    }
}
