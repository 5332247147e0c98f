//! CSV renderers: `timeline.csv`, `clients.csv`, `checkers.csv`, and `datapoints.csv` for
//! scenarios with CloudWatch checks. Pure functions from a report to bytes, and their
//! readers for `fosim plot`.

use super::{Report, Trace};

fn finish(writer: csv::Writer<Vec<u8>>) -> Vec<u8> {
    writer.into_inner().expect("writing to memory cannot fail")
}

fn number(x: f64) -> String {
    // Shortest representation that reads back to the same float.
    format!("{x}")
}

/// Per time bucket: requests and failures per endpoint; shares of clients and name servers
/// on each endpoint and health at the bucket's end.
pub fn timeline(report: &Report, trace: &Trace) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let endpoints = &report.settings.endpoints;
    let checks: Vec<&str> = report.settings.health_checks.iter().map(|h| h.id.as_str()).collect();
    let mut header = vec!["start_s".to_owned()];
    for e in endpoints {
        header.extend([
            format!("requests_{e}"),
            format!("failed_{e}"),
            format!("clients_share_{e}"),
            format!("name_servers_share_{e}"),
        ]);
    }
    for c in &checks {
        header.extend([format!("healthy_{c}"), format!("checkers_healthy_share_{c}")]);
    }
    w.write_record(&header).expect("in memory");
    for row in &trace.timeline {
        let mut record = vec![number(row.start_s)];
        for i in 0..endpoints.len() {
            record.extend([
                row.requests[i].to_string(),
                row.requests_failed[i].to_string(),
                number(row.clients_share[i]),
                number(row.name_servers_share[i]),
            ]);
        }
        for i in 0..checks.len() {
            record.extend([u8::from(row.check_healthy[i]).to_string(), number(row.checkers_healthy_share[i])]);
        }
        w.write_record(&record).expect("in memory");
    }
    finish(w)
}

/// Most per-client rows `clients.csv` holds for several runs (and the failover CDF pools):
/// each run may keep its share, `client_rows_per_run_max`.
pub const CLIENT_ROWS_MAX: u64 = 1_000_000;

/// Each run's share of `CLIENT_ROWS_MAX` when there are `runs`.
pub fn client_rows_per_run_max(runs: u32) -> usize {
    (CLIENT_ROWS_MAX / u64::from(runs.max(1))) as usize
}

/// Whether `clients.csv` holds every run's active clients: always for one run; for several,
/// when no run had more active clients, summed over its episodes, than its share of
/// `CLIENT_ROWS_MAX`. Otherwise it holds run 1's. A function of `report.json` alone, so
/// that `fosim plot` titles the CDF as the run did.
pub fn pools_every_run(report: &Report) -> bool {
    let max = client_rows_per_run_max(report.runs) as u64;
    report.runs <= 1
        || report.run_results.iter().all(|r| r.episodes.iter().map(|e| e.clients_active).sum::<u64>() <= max)
}

/// One row per active client per episode of every run, in run order (of run 1 only when
/// `pools_every_run` says no).
pub fn clients(report: &Report, trace: &Trace) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["run", "episode", "endpoint", "group", "client", "failover_s", "stranded", "requests_misrouted"])
        .expect("in memory");
    for row in &trace.clients {
        // The episode's endpoint in that run (random recurrences may differ between runs).
        let endpoint = report
            .run_results
            .get(row.run as usize)
            .and_then(|r| r.episodes.get(row.episode as usize))
            .map_or("", |e| e.endpoint.as_str());
        w.write_record([
            (row.run + 1).to_string(),
            (row.episode + 1).to_string(),
            endpoint.to_owned(),
            row.group.clone(),
            row.client.to_string(),
            row.failover_s.map(number).unwrap_or_default(),
            row.failover_s.is_none().to_string(),
            row.requests_misrouted.to_string(),
        ])
        .expect("in memory");
    }
    finish(w)
}

/// Every status change of every checker, and of each health check as reported.
pub fn checkers(trace: &Trace) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["time_s", "health_check", "region", "checker", "healthy"]).expect("in memory");
    let mut rows: Vec<(f64, [String; 4])> = Vec::new();
    // Checker flips first: at the same instant, a flip is what changes the reported status.
    for (t, check, region, index, healthy) in &trace.checker_flips {
        rows.push((*t, [check.clone(), region.clone(), index.to_string(), healthy.to_string()]));
    }
    for (t, check, healthy) in &trace.check_changes {
        rows.push((*t, [check.clone(), String::new(), String::new(), healthy.to_string()]));
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (t, [check, region, index, healthy]) in rows {
        w.write_record([number(t), check, region, index, healthy]).expect("in memory");
    }
    finish(w)
}

/// Whether a run writes `datapoints.csv`: when a health check follows a CloudWatch metric.
pub fn has_datapoints(report: &Report) -> bool {
    report.settings.health_checks.iter().any(|h| h.cloudwatch.is_some())
}

/// Every CloudWatch datapoint of the first run as it reached Route 53; an empty value is a
/// period without data.
pub fn datapoints(trace: &Trace) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["health_check", "period_start_s", "period_end_s", "arrived_s", "value"]).expect("in memory");
    for d in &trace.datapoints {
        w.write_record([
            d.health_check.clone(),
            number(d.period_start_s),
            number(d.period_end_s),
            number(d.arrived_s),
            d.value.map(number).unwrap_or_default(),
        ])
        .expect("in memory");
    }
    finish(w)
}

/// Reads back what `datapoints` wrote.
pub fn read_datapoints(bytes: &[u8]) -> Result<Vec<super::DatapointRow>, ReadError> {
    const FILE: &str = "datapoints.csv";
    let mut out = Vec::new();
    for record in records(FILE, bytes) {
        let r = record?;
        let value: String = field(FILE, &r, 4)?;
        out.push(super::DatapointRow {
            health_check: field(FILE, &r, 0)?,
            period_start_s: field(FILE, &r, 1)?,
            period_end_s: field(FILE, &r, 2)?,
            arrived_s: field(FILE, &r, 3)?,
            value: if value.is_empty() { None } else { Some(field(FILE, &r, 4)?) },
        });
    }
    Ok(out)
}

/// A CSV file of a saved run that does not read back.
#[derive(Debug, thiserror::Error)]
#[error("{file}: line {line}: {message}")]
pub struct ReadError {
    pub file: &'static str,
    pub line: u64,
    pub message: String,
}

fn records<'a>(file: &'static str, bytes: &'a [u8]) -> impl Iterator<Item = Result<csv::StringRecord, ReadError>> + 'a {
    csv::Reader::from_reader(bytes).into_records().map(move |r| {
        r.map_err(|e| ReadError { file, line: e.position().map_or(0, |p| p.line()), message: e.to_string() })
    })
}

fn field<T: std::str::FromStr>(file: &'static str, record: &csv::StringRecord, i: usize) -> Result<T, ReadError> {
    let line = record.position().map_or(0, |p| p.line());
    let text =
        record.get(i).ok_or_else(|| ReadError { file, line, message: format!("column {} is missing", i + 1) })?;
    text.parse().map_err(|_| ReadError { file, line, message: format!("column {}: cannot read \"{text}\"", i + 1) })
}

/// Reads back what `timeline`, `clients` and `checkers` wrote, for re-plotting.
pub fn read_trace(
    report: &Report,
    timeline_csv: &[u8],
    clients_csv: &[u8],
    checkers_csv: &[u8],
) -> Result<Trace, ReadError> {
    let endpoints = report.settings.endpoints.len();
    let checks = report.settings.health_checks.len();
    let mut trace = Trace::default();
    for record in records("timeline.csv", timeline_csv) {
        let r = record?;
        let expected = 1 + 4 * endpoints + 2 * checks;
        if r.len() != expected {
            return Err(ReadError {
                file: "timeline.csv",
                line: r.position().map_or(0, |p| p.line()),
                message: format!(
                    "expected {expected} columns for this report's endpoints and checks, found {}",
                    r.len()
                ),
            });
        }
        let mut row = super::TimelineRow { start_s: field("timeline.csv", &r, 0)?, ..Default::default() };
        for e in 0..endpoints {
            let at = 1 + 4 * e;
            row.requests.push(field("timeline.csv", &r, at)?);
            row.requests_failed.push(field("timeline.csv", &r, at + 1)?);
            row.clients_share.push(field("timeline.csv", &r, at + 2)?);
            row.name_servers_share.push(field("timeline.csv", &r, at + 3)?);
        }
        for c in 0..checks {
            let at = 1 + 4 * endpoints + 2 * c;
            row.check_healthy.push(field::<u8>("timeline.csv", &r, at)? == 1);
            row.checkers_healthy_share.push(field("timeline.csv", &r, at + 1)?);
        }
        trace.timeline.push(row);
    }
    // Files written before the `run` column hold run 1's clients only.
    let with_runs = csv::Reader::from_reader(clients_csv).headers().is_ok_and(|h| h.get(0) == Some("run"));
    let at = usize::from(with_runs);
    for record in records("clients.csv", clients_csv) {
        let r = record?;
        let run: u32 = if with_runs { field("clients.csv", &r, 0)? } else { 1 };
        let episode: u32 = field("clients.csv", &r, at)?;
        let failover: String = field("clients.csv", &r, at + 4)?;
        trace.clients.push(super::ClientRow {
            episode: episode.saturating_sub(1),
            group: field("clients.csv", &r, at + 2)?,
            client: field("clients.csv", &r, at + 3)?,
            failover_s: if failover.is_empty() { None } else { Some(field("clients.csv", &r, at + 4)?) },
            requests_misrouted: field("clients.csv", &r, at + 6)?,
            run: run.saturating_sub(1),
        });
    }
    trace.clients_pooled = (with_runs || report.runs <= 1) && pools_every_run(report);
    for record in records("checkers.csv", checkers_csv) {
        let r = record?;
        let time: f64 = field("checkers.csv", &r, 0)?;
        let check: String = field("checkers.csv", &r, 1)?;
        let region: String = field("checkers.csv", &r, 2)?;
        let healthy: bool = field("checkers.csv", &r, 4)?;
        if region.is_empty() {
            trace.check_changes.push((time, check, healthy));
        } else {
            trace.checker_flips.push((time, check, region, field("checkers.csv", &r, 3)?, healthy));
        }
    }
    Ok(trace)
}
