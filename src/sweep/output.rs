//! Sweep tables as bytes: `results.json`, `results.csv` (one row per point), `results.md`
//! and, with an objective, `recommendation.json` / `.md` (the charts and `report.html` are
//! `plot::sweep`'s). A pure function of `SweepResults`, which is why merged shards give
//! exactly the files of the whole sweep.
//!
//! `results.md` (and the terminal) name parameters and figures by their short names
//! (`names.rs`) and print each figure in one format (`numbers.rs`); `results.csv` stays
//! machine-friendly, its headers derived from the JSON Pointers; `results.json` holds both.

use super::names;
use super::numbers::Format;
use super::run::{PointResult, SweepResults};
use super::tune;
use crate::report::summary::Row;
use std::collections::BTreeMap;

/// Every table of a sweep: (name, bytes).
pub fn files(results: &SweepResults) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![
        ("results.json".to_owned(), json_bytes(results)),
        ("results.csv".to_owned(), csv(results)),
        ("results.md".to_owned(), markdown(results).into_bytes()),
    ];
    if let Some(objective) = &results.objective {
        let recommendation = tune::recommend(results, objective);
        files.push(("recommendation.json".to_owned(), json_bytes(&recommendation)));
        files.push((
            "recommendation.md".to_owned(),
            format!("```\n{}```\n", tune::render(results, &recommendation)).into_bytes(),
        ));
    }
    files
}

pub fn json_bytes<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("results serialise");
    bytes.push(b'\n');
    bytes
}

/// Every figure any point has, in order of first appearance.
fn all_metrics(results: &SweepResults) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for p in &results.points {
        for row in &p.summary {
            if !out.contains(&row.metric.as_str()) {
                out.push(&row.metric);
            }
        }
    }
    out
}

/// "episodes.0.client_failover_s.p99" for "/episodes/0/client_failover_s/p99".
pub fn column_name(metric: &str) -> String {
    metric.trim_start_matches('/').replace('/', ".")
}

/// A statistic of a summary row.
type Stat = fn(&Row) -> Option<f64>;

const STATS: [(&str, Stat); 7] = [
    ("mean", |r| r.mean),
    ("ci95_low", |r| r.ci95_low),
    ("ci95_high", |r| r.ci95_high),
    ("p5", |r| r.p5),
    ("p50", |r| r.p50),
    ("p95", |r| r.p95),
    ("n", |r| Some(r.n as f64)),
];

fn csv(results: &SweepResults) -> Vec<u8> {
    let metrics = all_metrics(results);
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["point".to_owned()];
    header.extend(results.parameters.iter().map(|p| format!("param.{}", column_name(&p.pointer))));
    for m in &metrics {
        header.extend(STATS.iter().map(|(s, _)| format!("{}.{s}", column_name(m))));
    }
    w.write_record(&header).expect("in memory");
    for p in &results.points {
        let mut record = vec![p.index.to_string()];
        record.extend(results.parameters.iter().zip(&p.values).map(|(param, &v)| param.labels[v].clone()));
        for m in &metrics {
            let row = p.summary.iter().find(|r| r.metric == *m);
            record.extend(STATS.iter().map(|(_, get)| row.and_then(get).map(|x| format!("{x}")).unwrap_or_default()));
        }
        w.write_record(&record).expect("in memory");
    }
    w.into_inner().expect("in memory")
}

/// "12.3 [11.9, 12.7]" or "never", in the figure's format.
pub fn cell(point: &PointResult, metric: &str, format: Format) -> String {
    let Some(row) = point.summary.iter().find(|r| r.metric == metric) else { return "–".into() };
    match (row.mean, row.ci95_low, row.ci95_high) {
        (Some(m), Some(lo), Some(hi)) => format!("{} [{}, {}]", format.show(m), format.show(lo), format.show(hi)),
        (Some(m), _, _) => format.show(m),
        _ => "never".into(),
    }
}

/// The table of a sweep as rows of text: a header (parameter and figure names), the base,
/// then every point. Shared by `results.md` and `report.html`.
pub struct Table {
    pub header: Vec<String>,
    /// Columns that hold parameters (the rest hold figures).
    pub parameter_columns: usize,
    pub rows: Vec<Vec<String>>,
    /// (name, JSON Pointer) of every figure column.
    pub figures: Vec<(String, String)>,
}

pub fn table(results: &SweepResults) -> Table {
    let names = names::figures(results);
    let formats: BTreeMap<&str, Format> =
        results.metrics.iter().map(|m| (m.as_str(), Format::of_metric(results, m))).collect();
    let mut header: Vec<String> = results.parameters.iter().map(|p| p.name.clone()).collect();
    header.extend(results.metrics.iter().map(|m| names::figure(&names, m)));
    let row = |settings: Vec<String>, point: &PointResult| {
        let mut cells = settings;
        cells.extend(results.metrics.iter().map(|m| cell(point, m, formats[m.as_str()]).replace('\n', " ")));
        cells
    };
    let mut rows = vec![row(
        (0..results.parameters.len()).map(|k| format!("base: {}", names::base_label(results, k))).collect(),
        &results.base,
    )];
    for p in &results.points {
        rows.push(row(
            results.parameters.iter().zip(&p.values).map(|(param, &v)| param.labels[v].clone()).collect(),
            p,
        ));
    }
    Table {
        header,
        parameter_columns: results.parameters.len(),
        rows,
        figures: results.metrics.iter().map(|m| (names::figure(&names, m), m.clone())).collect(),
    }
}

fn markdown(results: &SweepResults) -> String {
    use std::fmt::Write;
    let mut out = format!("# {}\n\n", results.name);
    if !results.description.is_empty() {
        let _ = writeln!(out, "{}\n", results.description);
    }
    let _ = writeln!(
        out,
        "{} points × {} runs, seed {}, fosim {}. Cells: mean [95 % CI] across runs; every point uses the same run seeds.\n",
        results.points.len(),
        results.runs,
        results.seed,
        results.fosim_version
    );
    if let Some(p) = results.base_point {
        let _ = writeln!(
            out,
            "The base scenario is the point {}: it ran once, and the base row repeats that point's figures.\n",
            tune::settings_of(results, &results.points[p])
        );
    }
    let table = table(results);
    let _ = writeln!(out, "| {} |", table.header.join(" | "));
    let _ = writeln!(out, "|{}|", vec!["---"; table.header.len()].join("|"));
    for row in &table.rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    let _ = writeln!(out, "\nParameters:");
    for p in &results.parameters {
        let _ = writeln!(out, "- {}: `{}`", p.name, p.pointer);
    }
    let _ = writeln!(out, "\nFigures (JSON Pointers into a run's results):");
    for (name, pointer) in &table.figures {
        let _ = writeln!(out, "- {name}: `{pointer}`");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_headers_come_from_pointers() {
        assert_eq!(column_name("/episodes/0/client_failover_s/p99"), "episodes.0.client_failover_s.p99");
    }
}
