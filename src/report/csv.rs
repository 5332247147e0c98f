//! CSV renderers: `timeline.csv`, `clients.csv`, `checkers.csv`. Pure functions from a
//! report to bytes.

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

/// One row per active client per episode of the first run.
pub fn clients(report: &Report, trace: &Trace) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["episode", "endpoint", "group", "client", "failover_s", "stranded", "requests_misrouted"])
        .expect("in memory");
    let episodes = report.run_results.first().map(|r| r.episodes.as_slice()).unwrap_or_default();
    for row in &trace.clients {
        let endpoint = episodes.get(row.episode as usize).map_or("", |e| e.endpoint.as_str());
        w.write_record([
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
