//! Tuning: the point that minimises an objective subject to bounds on other figures, how
//! much better it is than the base scenario (paired over the common random numbers), the
//! Pareto front of the objective against each constrained figure, and the winning settings
//! as a JSON patch. Reads `SweepResults` only, so it can run on saved or merged results.

use super::names;
use super::numbers::Format;
use super::run::{PointResult, SweepResults};
use super::{Constraint, Objective};
use crate::report::summary::t_975;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Recommendation {
    pub objective: Objective,
    /// One per value of `objective.for_each`, or a single one over all points.
    pub groups: Vec<GroupRecommendation>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct GroupRecommendation {
    /// "client mix = browsers", or "all points".
    pub label: String,
    /// Points that satisfy every constraint, and points considered.
    pub feasible: usize,
    pub points: usize,
    pub best: Option<Best>,
    /// Per constraint: the points on the Pareto front of (objective, that figure).
    pub pareto: Vec<Front>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Best {
    pub point: usize,
    /// "interval = 10s, threshold = 3".
    pub settings: String,
    pub objective_mean: f64,
    pub objective_ci95: (Option<f64>, Option<f64>),
    /// What the best point is compared with: "the base scenario", or, with `for_each`, the
    /// grid point with the base scenario's settings in the same situation.
    pub reference: String,
    pub base_mean: Option<f64>,
    /// Mean of the paired difference point − reference over runs, with its 95 % CI.
    pub change_vs_base: Option<Change>,
    pub constraints: Vec<ConstraintValue>,
    /// RFC 6902 patch turning the base scenario into the winning one.
    pub patch: Value,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Change {
    pub mean: f64,
    pub ci95_low: Option<f64>,
    pub ci95_high: Option<f64>,
    pub paired_runs: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ConstraintValue {
    pub metric: String,
    pub mean: Option<f64>,
    pub bound: String,
    pub satisfied: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Front {
    pub metric: String,
    /// (point, settings, objective mean, figure mean), by increasing objective.
    pub points: Vec<(usize, String, f64, f64)>,
}

fn mean_of(point: &PointResult, metric: &str) -> Option<f64> {
    point.summary.iter().find(|r| r.metric == metric).and_then(|r| r.mean)
}

fn satisfied(c: &Constraint, value: Option<f64>) -> bool {
    value.is_some_and(|v| c.max.is_none_or(|m| v <= m) && c.min.is_none_or(|m| v >= m))
}

fn bound(c: &Constraint) -> String {
    match (c.min, c.max) {
        (Some(lo), Some(hi)) => format!("between {lo} and {hi}"),
        (None, Some(hi)) => format!("<= {hi}"),
        (Some(lo), None) => format!(">= {lo}"),
        (None, None) => "any".into(),
    }
}

pub fn settings_of(results: &SweepResults, point: &PointResult) -> String {
    results
        .parameters
        .iter()
        .zip(&point.values)
        .map(|(p, &v)| format!("{} = {}", p.name, p.labels[v]))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The RFC 6902 operations that set each parameter to the point's value, where it differs
/// from the base scenario; `except` (the `for_each` parameter) describes the situation, not a
/// setting, and is left out.
pub fn patch(results: &SweepResults, point: &PointResult, except: Option<usize>) -> Value {
    let ops: Vec<Value> = results
        .parameters
        .iter()
        .zip(&point.values)
        .enumerate()
        .filter(|(k, _)| Some(*k) != except)
        .map(|(_, pv)| pv)
        .filter(|(p, v)| p.values[**v] != p.base_value)
        .map(|(p, &v)| {
            let op = if p.base_value.is_null() { "add" } else { "replace" };
            json!({ "op": op, "path": p.pointer, "value": p.values[v] })
        })
        .collect();
    Value::Array(ops)
}

/// Paired difference point − base per run, skipping runs where either is missing.
fn paired_change(point: &PointResult, base: &PointResult, metric: &str) -> Option<Change> {
    let (a, b) = (point.per_run.get(metric)?, base.per_run.get(metric)?);
    let diffs: Vec<f64> = a.iter().zip(b).filter_map(|(x, y)| Some((*x)? - (*y)?)).collect();
    let n = diffs.len();
    if n == 0 {
        return None;
    }
    let mean = diffs.iter().sum::<f64>() / n as f64;
    let half = (n > 1).then(|| {
        let sd = (diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        t_975(n - 1) * sd / (n as f64).sqrt()
    });
    Some(Change { mean, ci95_low: half.map(|h| mean - h), ci95_high: half.map(|h| mean + h), paired_runs: n })
}

/// Points (among `candidates`) not dominated in (objective ↓, figure in the direction its
/// bound prefers).
fn pareto(results: &SweepResults, candidates: &[usize], objective: &str, c: &Constraint) -> Front {
    let lower_is_better = c.max.is_some() || c.min.is_none();
    let mut scored: Vec<(usize, f64, f64)> = candidates
        .iter()
        .filter_map(|&i| Some((i, mean_of(&results.points[i], objective)?, mean_of(&results.points[i], &c.metric)?)))
        .collect();
    scored.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let better = |x: f64, y: f64| if lower_is_better { x < y } else { x > y };
    let mut front = Vec::new();
    let mut best_figure: Option<f64> = None;
    for (i, o, f) in scored {
        if best_figure.is_none_or(|b| better(f, b)) {
            best_figure = Some(f);
            front.push((i, settings_of(results, &results.points[i]), o, f));
        }
    }
    Front { metric: c.metric.clone(), points: front }
}

/// With `for_each`, the point of the group that has the base scenario's value for every
/// other parameter, if the grid holds one.
fn reference_in_group<'a>(results: &'a SweepResults, by: usize, candidates: &[usize]) -> Option<&'a PointResult> {
    candidates.iter().map(|&i| &results.points[i]).find(|p| {
        results
            .parameters
            .iter()
            .zip(&p.values)
            .enumerate()
            .all(|(k, (param, &v))| k == by || param.values[v] == param.base_value)
    })
}

fn recommend_among(
    results: &SweepResults,
    objective: &Objective,
    by: Option<usize>,
    label: String,
    candidates: &[usize],
) -> GroupRecommendation {
    let (reference, reference_label) = match by.and_then(|k| reference_in_group(results, k, candidates)) {
        Some(p) => (p, format!("the base settings here ({})", settings_of(results, p))),
        None => (&results.base, "the base scenario".to_owned()),
    };
    let objective_of = |i: usize| mean_of(&results.points[i], &objective.minimize);
    let feasible: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|&i| objective.subject_to.iter().all(|c| satisfied(c, mean_of(&results.points[i], &c.metric))))
        .filter(|&i| objective_of(i).is_some())
        .collect();
    let best = feasible
        .iter()
        .copied()
        .min_by(|&a, &b| {
            objective_of(a)
                .unwrap_or(f64::INFINITY)
                .total_cmp(&objective_of(b).unwrap_or(f64::INFINITY))
                .then(a.cmp(&b))
        })
        .map(|i| {
            let point = &results.points[i];
            let row = point.summary.iter().find(|r| r.metric == objective.minimize);
            Best {
                point: i,
                settings: settings_of(results, point),
                objective_mean: row.and_then(|r| r.mean).unwrap_or(f64::NAN),
                objective_ci95: (row.and_then(|r| r.ci95_low), row.and_then(|r| r.ci95_high)),
                reference: reference_label.clone(),
                base_mean: mean_of(reference, &objective.minimize),
                change_vs_base: paired_change(point, reference, &objective.minimize),
                constraints: objective
                    .subject_to
                    .iter()
                    .map(|c| {
                        let mean = mean_of(point, &c.metric);
                        ConstraintValue {
                            metric: c.metric.clone(),
                            mean,
                            bound: bound(c),
                            satisfied: satisfied(c, mean),
                        }
                    })
                    .collect(),
                patch: patch(results, point, by),
            }
        });
    GroupRecommendation {
        label,
        feasible: feasible.len(),
        points: candidates.len(),
        best,
        pareto: objective.subject_to.iter().map(|c| pareto(results, candidates, &objective.minimize, c)).collect(),
    }
}

pub fn recommend(results: &SweepResults, objective: &Objective) -> Recommendation {
    let by = objective.for_each.as_ref().and_then(|p| results.parameters.iter().position(|q| &q.pointer == p));
    let groups = match by {
        None => vec![recommend_among(
            results,
            objective,
            None,
            "all points".into(),
            &(0..results.points.len()).collect::<Vec<_>>(),
        )],
        Some(k) => {
            let parameter = &results.parameters[k];
            (0..parameter.values.len())
                .map(|v| {
                    let members: Vec<usize> =
                        (0..results.points.len()).filter(|&i| results.points[i].values[k] == v).collect();
                    recommend_among(
                        results,
                        objective,
                        Some(k),
                        format!("{} = {}", parameter.name, parameter.labels[v]),
                        &members,
                    )
                })
                .collect()
        }
    };
    Recommendation { objective: objective.clone(), groups }
}

/// The recommendation for people: figures by their short names, each in its format.
pub fn render(results: &SweepResults, r: &Recommendation) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let o = &r.objective;
    let names = names::figures(results);
    let name = |m: &str| names::figure(&names, m);
    let _ = writeln!(out, "Tuning {}: minimise {}", results.name, name(&o.minimize));
    for c in &o.subject_to {
        let _ = writeln!(out, "  subject to {} {}", name(&c.metric), bound(c));
    }
    for g in &r.groups {
        if r.groups.len() > 1 {
            let _ = writeln!(out, "\n== For {} ==", g.label);
        }
        group(&mut out, results, &name, o, g);
    }
    out
}

fn group(
    out: &mut String,
    results: &SweepResults,
    name: &dyn Fn(&str) -> String,
    o: &Objective,
    g: &GroupRecommendation,
) {
    use std::fmt::Write;
    let _ = writeln!(out, "{} of {} points satisfy the constraints.", g.feasible, g.points);
    let Some(best) = &g.best else {
        let _ = writeln!(
            out,
            "No point satisfies every constraint; relax a bound or widen the grid (the Pareto fronts below show the trade-off)."
        );
        fronts(out, results, name, o, g);
        return;
    };
    let f = Format::of_metric(results, &o.minimize);
    let ci = match best.objective_ci95 {
        (Some(lo), Some(hi)) => format!(" [{} – {}]", f.show(lo), f.show(hi)),
        _ => String::new(),
    };
    let _ = writeln!(out, "Best point: {}", best.settings);
    let _ = writeln!(
        out,
        "  {} = {}{ci} (mean over {} runs, 95 % CI)",
        name(&o.minimize),
        f.show(best.objective_mean),
        results.runs
    );
    if let Some(base) = best.base_mean {
        let _ = write!(out, "  {}: {}", best.reference, f.show(base));
        if let Some(c) = &best.change_vs_base {
            let signed = |x: f64| if x >= 0.0 { format!("+{}", f.show(x)) } else { f.show(x) };
            let ci = match (c.ci95_low, c.ci95_high) {
                (Some(lo), Some(hi)) => format!(" [{} – {}]", signed(lo), signed(hi)),
                _ => String::new(),
            };
            let _ =
                write!(out, "; change {}{ci}, paired over {} runs with the same seeds", signed(c.mean), c.paired_runs);
        }
        let _ = writeln!(out);
    }
    for c in &best.constraints {
        let value = c.mean.map_or("missing".into(), |m| Format::of_metric(results, &c.metric).show(m));
        let _ = writeln!(
            out,
            "  {} = {value} ({}, {})",
            name(&c.metric),
            c.bound,
            if c.satisfied { "ok" } else { "violated" }
        );
    }
    fronts(out, results, name, o, g);
    let _ = writeln!(
        out,
        "Winning settings as a JSON patch (RFC 6902) for the base scenario:\n{}",
        serde_json::to_string_pretty(&best.patch).unwrap_or_default()
    );
}

fn fronts(
    out: &mut String,
    results: &SweepResults,
    name: &dyn Fn(&str) -> String,
    o: &Objective,
    g: &GroupRecommendation,
) {
    use std::fmt::Write;
    let fo = Format::of_metric(results, &o.minimize);
    for front in &g.pareto {
        let ff = Format::of_metric(results, &front.metric);
        let _ = writeln!(out, "Pareto front: {} (left) against {} (right)", name(&o.minimize), name(&front.metric));
        for (_, settings, objective, figure) in &front.points {
            let _ = writeln!(out, "  {:>12} {:>12}   {settings}", fo.show(*objective), ff.show(*figure));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_change_uses_the_same_runs() {
        let point = |values: Vec<Option<f64>>| PointResult {
            index: 0,
            values: vec![],
            summary: vec![],
            per_run: [("m".to_owned(), values)].into_iter().collect(),
        };
        let a = point(vec![Some(10.0), Some(12.0), None, Some(14.0)]);
        let base = point(vec![Some(11.0), Some(14.0), Some(1.0), Some(17.0)]);
        let c = paired_change(&a, &base, "m").unwrap();
        assert_eq!(c.paired_runs, 3);
        assert!((c.mean - -2.0).abs() < 1e-12);
        assert!(c.ci95_low.unwrap() < -2.0 && c.ci95_high.unwrap() > -2.0);
    }
}
