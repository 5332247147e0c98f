//! Reading a measured file (`fosim-testbed/1`, testbed/NOTES.md §3) for the comparison: its
//! configuration, software, trials reduced to `Sample`s, and the allowance for the real
//! latencies that fosim's model treats as zero.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::sample::Sample;
use crate::config::Config;
use crate::report::SCHEMA;

/// Most the latency allowance may be: anything larger would hide model errors.
pub const ALLOWANCE_MAX_S: f64 = 0.25;

/// One measured configuration.
pub struct Measured {
    pub config: Config,
    pub software: Software,
    pub started_unix_s: f64,
    pub interrupted: bool,
    pub check_phase_measured_s: Option<f64>,
    pub trials: Vec<Sample>,
    pub converged: usize,
    pub allowance: Allowance,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Software {
    pub pdns_server: String,
    pub unbound: String,
    pub hickory_resolver: String,
    pub kernel: String,
    pub cpus: u32,
}

/// Real latencies and measurement resolution a zero-latency model leaves out, in seconds,
/// and their sum (capped at `ALLOWANCE_MAX_S`).
#[derive(Debug, Clone)]
pub struct Allowance {
    pub parts: Vec<(&'static str, f64)>,
    pub total_s: f64,
    pub capped: bool,
}

#[derive(Deserialize)]
struct File {
    config: Config,
    software: Software,
    started_unix_s: f64,
    #[serde(default)]
    interrupted: bool,
    pdns_check_phase_s: Option<CheckPhase>,
    latencies: Latencies,
    trials: Vec<Trial>,
}

#[derive(Deserialize)]
struct CheckPhase {
    measured: Option<f64>,
}

/// The parts of a `Stats` object that are used.
#[derive(Deserialize)]
struct Stats {
    p99: Option<f64>,
    max: Option<f64>,
}

#[derive(Deserialize)]
struct Latencies {
    dns_lookup_through_unbound_ms: Stats,
    pdns_direct_query_ms: Stats,
    http_ok_new_connection_ms: Stats,
    http_ok_reused_connection_ms: Stats,
    fault_command_ms: Stats,
}

#[derive(Deserialize)]
struct Trial {
    converged: bool,
    detection_s: Option<f64>,
    summary: TrialSummary,
    clients: Clients,
}

#[derive(Deserialize)]
struct TrialSummary {
    active: u64,
    stranded: u64,
    client_failover_s: Mean,
    last_client_switched_s: Option<f64>,
    requests_misrouted: u64,
}

#[derive(Deserialize)]
struct Mean {
    mean: Option<f64>,
}

#[derive(Deserialize)]
struct Clients {
    active: Vec<bool>,
    failover_s: Vec<Option<f64>>,
}

/// Reads and checks one measured file.
pub fn load(path: &Path) -> Result<Measured, String> {
    let name = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read the measured file {name}: {e}"))?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| format!("the measured file {name} is not valid JSON: {e}"))?;
    match value.get("schema").and_then(Value::as_str) {
        Some(SCHEMA) => {}
        Some(other) => {
            return Err(format!(
                "the measured file {name} has schema \"{other}\", but this tool reads \"{SCHEMA}\" only \
                 (measure again with this testbed, or update the tool)"
            ));
        }
        None => return Err(format!("{name} is not a testbed measurement: it has no \"schema\": \"{SCHEMA}\" field")),
    }
    let file: File = serde_json::from_value(value)
        .map_err(|e| format!("the measured file {name} does not have the {SCHEMA} shape: {e}"))?;
    let trials = file.trials.iter().map(sample).collect::<Result<Vec<_>, _>>().map_err(|e| format!("{name}: {e}"))?;
    Ok(Measured {
        allowance: allowance(&file.latencies, &file.config),
        converged: file.trials.iter().filter(|t| t.converged).count(),
        config: file.config,
        software: file.software,
        started_unix_s: file.started_unix_s,
        interrupted: file.interrupted,
        check_phase_measured_s: file.pdns_check_phase_s.and_then(|p| p.measured),
        trials,
    })
}

/// One trial's figures; every active client's failover time (`+∞` when stranded).
fn sample(t: &Trial) -> Result<Sample, String> {
    if t.clients.active.len() != t.clients.failover_s.len() {
        return Err("a trial's clients.active and clients.failover_s differ in length".into());
    }
    let failover_s: Vec<f64> = t
        .clients
        .active
        .iter()
        .zip(&t.clients.failover_s)
        .filter(|(active, _)| **active)
        .map(|(_, f)| f.unwrap_or(f64::INFINITY))
        .collect();
    let s = &t.summary;
    Ok(Sample {
        detection_s: t.detection_s,
        last_switched_s: if s.stranded > 0 { None } else { s.last_client_switched_s },
        failover_mean_s: s.client_failover_s.mean,
        misrouted_per_active: (s.active > 0).then(|| s.requests_misrouted as f64 / s.active as f64),
        active: s.active,
        stranded: s.stranded,
        failover_s,
    })
}

/// The allowance: a lookup through Unbound, an HTTP request (new or reused connection,
/// whichever is slower) and a direct query to PowerDNS, each at its 99th percentile; the
/// slowest fault command (the fault is in effect before its command returns, which is the
/// measured time origin); and the poll interval (detection is known to one poll).
fn allowance(l: &Latencies, config: &Config) -> Allowance {
    let ms = |v: Option<f64>| v.unwrap_or(0.0) / 1000.0;
    let http = ms(l.http_ok_new_connection_ms.p99).max(ms(l.http_ok_reused_connection_ms.p99));
    let parts = vec![
        ("lookup through Unbound, p99", ms(l.dns_lookup_through_unbound_ms.p99)),
        ("HTTP request, p99", http),
        ("query straight to PowerDNS, p99", ms(l.pdns_direct_query_ms.p99)),
        ("fault command, slowest", ms(l.fault_command_ms.max)),
        ("poll interval (detection resolution)", config.schedule.poll_interval_ms as f64 / 1000.0),
    ];
    let sum: f64 = parts.iter().map(|(_, v)| v).sum();
    Allowance { parts, total_s: sum.min(ALLOWANCE_MAX_S), capped: sum > ALLOWANCE_MAX_S }
}

/// The configuration's settings in one line of words.
pub fn settings_line(c: &Config) -> String {
    let connection = match &c.clients.keep_alive {
        Some(k) => format!("keep-alive (idle timeout {} s)", k.idle_timeout_s),
        None => "a new connection per request".into(),
    };
    format!(
        "TTL {} s; PowerDNS checks every {} s, probe timeout {} s, check expire delay {} s, packet/query cache {}/{} s; \
         Unbound cache-min-ttl {} s, prefetch {}; {} clients at {}/s each, {connection}, connect timeout {} s; \
         fault: {}; {} trials, check phase {} s.",
        c.dns.ttl_s,
        c.dns.check_interval_s,
        c.dns.probe_timeout_s,
        c.dns.check_expire_delay_s,
        c.dns.pdns_cache_ttl_s,
        c.dns.pdns_query_cache_ttl_s,
        c.resolver.cache_min_ttl_s,
        if c.resolver.prefetch { "yes" } else { "no" },
        c.clients.count,
        c.clients.requests_per_s,
        c.clients.connect_timeout_s,
        fault_words(c),
        c.trials,
        c.schedule.check_phase_s.map_or("random".into(), |p| p.to_string()),
    )
}

fn fault_words(c: &Config) -> &'static str {
    match c.fault.kind {
        crate::config::FaultKind::Refuse => "refuse (server gone: connects refused, open connections closed)",
        crate::config::FaultKind::Blackhole => "blackhole (every packet to the primary dropped)",
        crate::config::FaultKind::Http500 => "http500 (every request, health checks included, answered 500)",
    }
}
