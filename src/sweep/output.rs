//! Sweep tables as bytes: `results.json`, `results.csv` (one row per point), `results.md`
//! and, with an objective, `recommendation.json` / `.md` (the charts are `plot::sweep`'s). A
//! pure function of `SweepResults`, which is why merged shards give exactly the files of the
//! whole sweep.

use super::run::{PointResult, SweepResults};
use super::tune;
use crate::report::summary::Row;

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
    header.extend(results.parameters.iter().map(|p| format!("param_{}", p.name)));
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

/// "12.3 [11.9, 12.7]" or "never".
pub fn cell(point: &PointResult, metric: &str) -> String {
    let Some(row) = point.summary.iter().find(|r| r.metric == metric) else { return "–".into() };
    match (row.mean, row.ci95_low, row.ci95_high) {
        (Some(m), Some(lo), Some(hi)) => format!("{} [{}, {}]", short(m), short(lo), short(hi)),
        (Some(m), _, _) => short(m),
        _ => "never".into(),
    }
}

/// Four significant digits, without scientific notation for everyday magnitudes.
pub fn short(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let digits = (3 - x.abs().log10().floor() as i32).clamp(0, 6) as usize;
    format!("{x:.digits$}")
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
    let mut header: Vec<String> = results.parameters.iter().map(|p| p.name.clone()).collect();
    header.extend(results.metrics.iter().cloned());
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}|", vec!["---"; header.len()].join("|"));
    let mut row = |settings: Vec<String>, point: &PointResult| {
        let mut cells = settings;
        cells.extend(results.metrics.iter().map(|m| cell(point, m)));
        let _ = writeln!(out, "| {} |", cells.join(" | ").replace('\n', " "));
    };
    row(
        results.parameters.iter().map(|p| format!("base: {}", label_or_default(&p.base_value))).collect(),
        &results.base,
    );
    for p in &results.points {
        row(results.parameters.iter().zip(&p.values).map(|(param, &v)| param.labels[v].clone()).collect(), p);
    }
    out
}

fn label_or_default(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "default".into(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_short() {
        assert_eq!(short(96.74712), "96.75");
        assert_eq!(short(0.012345), "0.01235");
        assert_eq!(short(12345.6), "12346");
        assert_eq!(short(0.0), "0");
    }
}
