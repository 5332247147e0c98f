//! Running a sweep: points and their replications in parallel (rayon), collected in grid
//! order, so the result does not depend on the thread count. Replication `r` of every point
//! uses the same seed (common random numbers). Shards run a deterministic slice of the grid
//! and `merge` joins them into exactly what the whole sweep would have produced.

use super::{Objective, Sweep};
use crate::model::{RunError, RunOptions};
use crate::report::RunResult;
use crate::report::summary::{self, Row};
use crate::simulate::replicate;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Bumped when the results format changes meaning.
pub const SWEEP_SCHEMA_VERSION: u32 = 1;

/// Everything a sweep produced: enough to render every output and to tune, without the
/// sweep file or re-running anything.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SweepResults {
    pub schema_version: u32,
    pub fosim_version: String,
    pub name: String,
    pub description: String,
    /// The sweep file and the base scenario, as given.
    pub sweep: Value,
    pub scenario: Value,
    pub seed: u64,
    pub runs: u32,
    pub parameters: Vec<ParameterResult>,
    /// Figures to show and plot.
    pub metrics: Vec<String>,
    pub plot: Option<Axes>,
    pub objective: Option<Objective>,
    /// The grid point equal to the base scenario, whose results the base reuses (the base is
    /// run only when no point equals it).
    #[serde(default)]
    pub base_point: Option<usize>,
    /// The base scenario itself, run with the same seeds.
    pub base: PointResult,
    pub points: Vec<PointResult>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ParameterResult {
    pub pointer: String,
    pub name: String,
    pub values: Vec<Value>,
    pub labels: Vec<String>,
    /// The value in the base scenario (null where the field is absent there).
    pub base_value: Value,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Axes {
    pub x: String,
    pub y: Option<String>,
    pub facet: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PointResult {
    /// Position in the grid (the base is -1).
    pub index: i64,
    /// Index into each parameter's values (empty for the base).
    pub values: Vec<usize>,
    /// Every figure summarised across the point's runs.
    pub summary: Vec<Row>,
    /// Per-run values of the tracked figures (shown, objective, constraints), for paired
    /// comparisons between points.
    pub per_run: BTreeMap<String, Vec<Option<f64>>>,
}

/// What one shard ran: the sweep's description and its points.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ShardFile {
    pub shard: u32,
    pub of: u32,
    pub points_total: usize,
    pub results: SweepResults,
}

/// A 1-based slice `index` of `count` of the grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Parses "I/N" (1-based).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (i, n) = text.split_once('/').ok_or_else(|| format!("expected I/N such as 2/8, found \"{text}\""))?;
        let (index, count) = (i.trim().parse::<u32>(), n.trim().parse::<u32>());
        match (index, count) {
            (Ok(index), Ok(count)) if count >= 1 && (1..=count).contains(&index) => Ok(Shard { index, count }),
            _ => Err(format!("expected I/N with 1 <= I <= N, found \"{text}\"")),
        }
    }

    /// Round-robin, so that every shard gets a similar mix of cheap and costly points.
    pub fn owns(&self, point: usize) -> bool {
        point % self.count as usize == (self.index - 1) as usize
    }
}

/// Figures whose per-run values are kept.
pub fn tracked_metrics(sweep: &Sweep) -> Vec<String> {
    let mut out = sweep.metrics.clone();
    if let Some(o) = &sweep.objective {
        out.push(o.minimize.clone());
        out.extend(o.subject_to.iter().map(|c| c.metric.clone()));
    }
    let mut seen = Vec::new();
    out.retain(|m| {
        let new = !seen.contains(m);
        seen.push(m.clone());
        new
    });
    out
}

/// One figure of a run, by JSON Pointer.
pub fn figure(run: &RunResult, pointer: &str) -> Option<f64> {
    serde_json::to_value(run).ok()?.pointer(pointer)?.as_f64()
}

/// Checks that every tracked figure exists, on one run of the base scenario, before the
/// whole grid is run; suggests the closest figure otherwise.
pub fn check_metrics(sweep: &Sweep) -> Result<(), crate::input::InputError> {
    let probe = replicate(&sweep.base, 0, RunOptions::default(), &mut |_| {})
        .map_err(|e| super::invalid(&sweep.file, "/scenario", e.to_string()))?
        .result;
    let rows = summary::summarise(std::slice::from_ref(&probe));
    let known: Vec<&str> = rows.iter().map(|r| r.metric.as_str()).collect();
    let mut wanted: Vec<(String, String)> = sweep.metrics.iter().map(|m| ("/metrics".to_owned(), m.clone())).collect();
    if let Some(o) = &sweep.objective {
        if let Some(by) = &o.for_each {
            super::swept(&sweep.file, "/objective/for_each", &sweep.parameters, by)?;
        }
        wanted.push(("/objective/minimize".into(), o.minimize.clone()));
        for (i, c) in o.subject_to.iter().enumerate() {
            wanted.push((format!("/objective/subject_to/{i}/metric"), c.metric.clone()));
            if c.max.is_none() && c.min.is_none() {
                return Err(super::invalid(
                    &sweep.file,
                    format!("/objective/subject_to/{i}"),
                    "a constraint needs \"max\" or \"min\"",
                ));
            }
        }
    }
    for (at, metric) in wanted {
        if !known.contains(&metric.as_str()) {
            return Err(super::invalid(
                &sweep.file,
                at,
                format!(
                    "unknown figure \"{metric}\"{}: a run of the base scenario has no such figure (figures are JSON Pointers into a run result, e.g. /totals/availability, /episodes/0/client_failover_s/p99)",
                    crate::input::did_you_mean(&metric, &known)
                ),
            ));
        }
    }
    Ok(())
}

fn run_point(
    config: &crate::scenario::Config,
    runs: u32,
    tracked: &[String],
    index: i64,
    values: Vec<usize>,
) -> Result<PointResult, RunError> {
    let results: Vec<RunResult> = (0..runs)
        .into_par_iter()
        .map(|r| replicate(config, r, RunOptions::default(), &mut |_| {}).map(|o| o.result))
        .collect::<Result<_, _>>()?;
    let per_run = tracked.iter().map(|m| (m.clone(), results.iter().map(|r| figure(r, m)).collect())).collect();
    Ok(PointResult { index, values, summary: summary::summarise(&results), per_run })
}

/// Runs the base and the points this shard owns (all of them without a shard).
/// `progress(points done, runs done)` is called from worker threads.
pub fn run(sweep: &Sweep, shard: Option<Shard>, progress: &(dyn Fn(usize) + Sync)) -> Result<SweepResults, RunError> {
    let tracked = tracked_metrics(sweep);
    let owned: Vec<usize> = (0..sweep.points.len()).filter(|&p| shard.is_none_or(|s| s.owns(p))).collect();
    // The base belongs to the first shard, so that merged shards hold it exactly once; a
    // base equal to a grid point is that point's results, filled in when the points are
    // all there (`reuse_base`).
    let base = if sweep.base_point.is_none() && shard.is_none_or(|s| s.index == 1) {
        let base = run_point(&sweep.base, sweep.runs, &tracked, -1, Vec::new())?;
        progress(1);
        base
    } else {
        PointResult { index: -1, values: Vec::new(), summary: Vec::new(), per_run: BTreeMap::new() }
    };
    let points: Vec<PointResult> = owned
        .par_iter()
        .map(|&p| {
            let result = run_point(&sweep.configs[p], sweep.runs, &tracked, p as i64, sweep.points[p].clone());
            progress(1);
            result
        })
        .collect::<Result<_, _>>()?;
    let mut results = SweepResults {
        schema_version: SWEEP_SCHEMA_VERSION,
        fosim_version: env!("CARGO_PKG_VERSION").to_owned(),
        name: sweep.name.clone(),
        description: sweep.description.clone(),
        sweep: sweep.source.clone(),
        scenario: sweep.base_source.clone(),
        seed: sweep.base.seed,
        runs: sweep.runs,
        parameters: sweep
            .parameters
            .iter()
            .map(|p| super::run::ParameterResult {
                pointer: p.pointer.clone(),
                name: p.name.clone(),
                values: p.values.clone(),
                labels: p.labels.clone(),
                base_value: sweep.base_source.pointer(&p.pointer).cloned().unwrap_or(Value::Null),
            })
            .collect(),
        metrics: sweep.metrics.clone(),
        plot: sweep.plot.as_ref().map(|a| Axes { x: a.x.clone(), y: a.y.clone(), facet: a.facet.clone() }),
        objective: sweep.objective.clone(),
        base_point: sweep.base_point,
        base,
        points,
    };
    if shard.is_none() {
        reuse_base(&mut results);
    }
    Ok(results)
}

/// Copies the results of the grid point equal to the base scenario into the base, once
/// every point is there.
fn reuse_base(results: &mut SweepResults) {
    if let Some(p) = results.base_point {
        let point = &results.points[p];
        assert_eq!(point.index, p as i64, "points are in grid order");
        results.base = PointResult { index: -1, values: Vec::new(), ..point.clone() };
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("no shard files (shard-*-of-*.json) in {0}")]
    NoShards(String),
    #[error("{file}: {message}")]
    Bad { file: String, message: String },
}

/// A shard's parameters (fosim wrote them, but a file may have been edited or damaged): at
/// least one, each with values and one label per value, and the base point.
fn check_grid(results: &SweepResults) -> Result<(), String> {
    if results.parameters.is_empty() {
        return Err("at /results/parameters: expected at least one swept parameter, found none".to_owned());
    }
    for (k, p) in results.parameters.iter().enumerate() {
        if p.values.is_empty() {
            return Err(format!("at /results/parameters/{k}/values: expected at least one value, found none"));
        }
        if p.labels.len() != p.values.len() {
            return Err(format!(
                "at /results/parameters/{k}/labels: expected {} labels (one per value), found {}",
                p.values.len(),
                p.labels.len()
            ));
        }
    }
    if !results.base.values.is_empty() {
        return Err(format!(
            "at /results/base/values: expected none (the base scenario is no point of the grid), found {}",
            results.base.values.len()
        ));
    }
    Ok(())
}

/// A point of the grid: one value index per parameter, each within its values.
fn check_point(results: &SweepResults, point: &PointResult, at: &str) -> Result<(), String> {
    if point.values.len() != results.parameters.len() {
        return Err(format!(
            "at {at}/values: expected {} value indices (one per parameter), found {}",
            results.parameters.len(),
            point.values.len()
        ));
    }
    for (k, (&v, p)) in point.values.iter().zip(&results.parameters).enumerate() {
        if v >= p.values.len() {
            return Err(format!(
                "at {at}/values/{k}: expected an index of one of the {} values of {}, found {v}",
                p.values.len(),
                p.pointer
            ));
        }
    }
    Ok(())
}

/// Joins shard files into the results of the whole sweep. `shards` are (file name, shard).
pub fn merge(mut shards: Vec<(String, ShardFile)>) -> Result<SweepResults, MergeError> {
    shards.sort_by_key(|(_, s)| s.shard);
    let Some((first_name, first)) = shards.first().cloned() else { return Err(MergeError::NoShards(String::new())) };
    let bad = |file: &str, message: String| MergeError::Bad { file: file.to_owned(), message };
    let count = first.of;
    let present: Vec<u32> = shards.iter().map(|(_, s)| s.shard).collect();
    let expected: Vec<u32> = (1..=count).collect();
    if present != expected {
        let missing: Vec<String> =
            expected.iter().filter(|i| !present.contains(i)).map(|i| format!("{i}/{count}")).collect();
        return Err(bad(
            &first_name,
            format!(
                "expected shards 1 to {count} exactly once; missing {}, found {}",
                if missing.is_empty() { "none".into() } else { missing.join(", ") },
                present.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    // Everything but the points (and the base, which only shard 1 runs) must agree.
    let header_of = |shard: &ShardFile| SweepResults {
        points: Vec::new(),
        base: first.results.base.clone(),
        ..shard.results.clone()
    };
    let reference = header_of(&first);
    check_grid(&reference).map_err(|message| bad(&first_name, message))?;
    let mut merged = reference.clone();
    for (name, shard) in &shards {
        if shard.of != count || shard.points_total != first.points_total || header_of(shard) != reference {
            return Err(bad(
                name,
                format!("this shard comes from a different sweep, scenario or fosim version than {first_name}"),
            ));
        }
        for (i, point) in shard.results.points.iter().enumerate() {
            check_point(&reference, point, &format!("/results/points/{i}")).map_err(|message| bad(name, message))?;
        }
        merged.points.extend(shard.results.points.iter().cloned());
    }
    merged.points.sort_by_key(|p| p.index);
    let indices: Vec<i64> = merged.points.iter().map(|p| p.index).collect();
    if indices != (0..first.points_total as i64).collect::<Vec<_>>() {
        return Err(bad(
            &first_name,
            format!("the shards hold {} points, the sweep has {}", indices.len(), first.points_total),
        ));
    }
    if merged.base_point.is_some_and(|p| p >= first.points_total) {
        return Err(bad(
            &first_name,
            format!("the base's grid point is outside the sweep's {} points", first.points_total),
        ));
    }
    reuse_base(&mut merged);
    Ok(merged)
}
