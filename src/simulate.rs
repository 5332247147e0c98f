//! One `fosim run`, as a library call: replications in parallel, their results summarised,
//! the report assembled. Output is the same whatever the thread count: replications are
//! independent and collected in order.
//!
//! No files, no terminal: the caller decides what to do with the `Report`.

use crate::metrics::Recorder;
use crate::model::answers::names_when_healthy;
use crate::model::{self, RunError, RunOptions};
use crate::report::{
    self, CalculatedSettings, CheckSettings, ClientRow, CloudwatchSettings, GroupSettings, LoadBalancerSettings,
    MemberSettings, PairSettings, PoolSettings, RecordSettings, Report, RunResult, SetSettings, Settings, Trace,
};
use crate::scenario::config::{
    CheckKind, ClientCache, Config, ConnectionConfig, GroupConfig, HealthCheckConfig, MemberValue, Policy, PoolConfig,
};
use crate::scenario::values::Dist;
use crate::scenario::{InsufficientData, Metric, OutageData};
use crate::time::{format_duration, to_seconds};
use rayon::prelude::*;

/// Most replications one run may ask for.
pub const RUNS_MAX: u32 = 1_000_000;

/// One replication's figures, its trace when asked for, and its engine's peak queue size.
pub struct Replication {
    pub result: RunResult,
    pub trace: Option<Trace>,
    pub pending_peak: usize,
    /// An untraced run's per-client rows, when kept (`replicate_keeping_clients`).
    pub client_rows: Option<Vec<ClientRow>>,
}

/// Runs replication `replication` of a scenario through the model with the metrics
/// watching. `progress` is told the fraction of simulated time done, now and then.
pub fn replicate(
    config: &Config,
    replication: u32,
    options: RunOptions,
    progress: &mut dyn FnMut(f64),
) -> Result<Replication, RunError> {
    replicate_keeping_clients(config, replication, options, None, progress)
}

/// `replicate`, keeping an untraced run's per-client rows when there are at most
/// `client_rows_max` of them.
fn replicate_keeping_clients(
    config: &Config,
    replication: u32,
    options: RunOptions,
    client_rows_max: Option<usize>,
    progress: &mut dyn FnMut(f64),
) -> Result<Replication, RunError> {
    let mut recorder = Recorder::new(config, options.trace);
    if let Some(max) = client_rows_max {
        recorder = recorder.keep_client_rows(max);
    }
    let end = model::run(config, replication, options, &mut recorder, progress)?;
    let finished = recorder.finish(&end);
    Ok(Replication {
        result: finished.result,
        trace: finished.trace,
        pending_peak: end.pending_peak,
        client_rows: finished.client_rows,
    })
}

/// Runs `runs` replications and builds the report. `progress(replication, fraction)` is
/// called from worker threads as each replication advances.
pub fn simulate(
    config: &Config,
    source: &serde_json::Value,
    runs: u32,
    exact_requests: bool,
    progress: &(dyn Fn(u32, f64) + Sync),
) -> Result<Report, RunError> {
    assert!((1..=RUNS_MAX).contains(&runs), "runs validated by the caller");
    // Every run keeps its per-client rows for the failover CDF while they fit its share of
    // the cap, so that rows in memory never exceed the cap (docs/model.md §7.8).
    let rows_max = report::csv::client_rows_per_run_max(runs);
    let outputs: Vec<Replication> = (0..runs)
        .into_par_iter()
        .map(|replication| {
            let options = RunOptions { trace: replication == 0, exact_requests };
            let keep = (runs > 1).then_some(rows_max);
            replicate_keeping_clients(config, replication, options, keep, &mut |f| progress(replication, f))
        })
        .collect::<Result<_, _>>()?;
    let mut trace: Option<Trace> = None;
    let mut run_results = Vec::with_capacity(outputs.len());
    let mut pooled_rows = Vec::with_capacity(outputs.len());
    for output in outputs {
        if output.trace.is_some() {
            trace = output.trace;
        }
        pooled_rows.push(output.client_rows);
        run_results.push(output.result);
    }
    let mut report = Report {
        schema_version: report::SCHEMA_VERSION,
        fosim_version: env!("CARGO_PKG_VERSION").to_owned(),
        name: config.name.clone(),
        description: config.description.clone(),
        scenario: source.clone(),
        seed: config.seed,
        runs,
        duration_s: to_seconds(config.duration_us),
        warmup_s: to_seconds(config.warmup_us),
        settings: settings(config),
        warnings: config.warnings.iter().map(ToString::to_string).collect(),
        summary: report::summary::summarise(&run_results),
        run_results,
        trace: None,
    };
    if let Some(trace) = &mut trace {
        trace.clients_pooled = report::csv::pools_every_run(&report);
        if trace.clients_pooled {
            for (replication, rows) in (0u32..).zip(pooled_rows).skip(1) {
                let rows = rows.expect("a run within its share of the cap keeps its client rows");
                trace.clients.extend(rows.into_iter().map(|row| ClientRow { run: replication, ..row }));
            }
        }
    }
    report.trace = trace;
    Ok(report)
}

fn describe_dist(d: &Dist) -> String {
    match d {
        Dist::Fixed(us) => format_duration(*us),
        Dist::Uniform(a, b) => format!("uniform {}–{}", format_duration(*a), format_duration(*b)),
        Dist::Exponential(m) => format!("exponential, mean {}", format_duration(*m)),
        Dist::Lognormal { median, sigma } => format!("lognormal, median {}, sigma {sigma}", format_duration(*median)),
    }
}

/// The settings a report repeats from its config: ids instead of indices, seconds
/// instead of microseconds, caches and connections described in words.
fn settings(c: &Config) -> Settings {
    Settings {
        endpoints: c.endpoints.iter().map(|e| e.id.clone()).collect(),
        health_checks: c.health_checks.iter().map(|h| check_settings(c, h)).collect(),
        name_servers: c.name_server_count,
        propagation_delay: describe_dist(&c.propagation_delay),
        records: (0..c.records.len() as u32).map(|r| record_settings(c, r)).collect(),
        resolver_pools: c.pools.iter().map(pool_settings).collect(),
        client_groups: c.groups.iter().map(|g| group_settings(c, g)).collect(),
        timeline_bucket_s: to_seconds(c.timeline_bucket_us),
    }
}

/// A health check as the report shows it.
fn check_settings(c: &Config, h: &HealthCheckConfig) -> CheckSettings {
    let (calculated, cloudwatch) = kind_settings(c, h);
    let load_balancer = match h.kind {
        CheckKind::LoadBalancer => h.endpoint.and_then(|e| c.load_balancer(e)).map(|lb| LoadBalancerSettings {
            targets: lb.targets.iter().map(|&t| c.endpoints[t as usize].id.clone()).collect(),
            interval_s: to_seconds(lb.interval_us),
            timeout_s: to_seconds(lb.timeout_us),
            healthy_threshold: lb.healthy_threshold,
            unhealthy_threshold: lb.unhealthy_threshold,
            eth_delay: describe_dist(&lb.eth_delay),
        }),
        _ => None,
    };
    let check_type = match h.kind {
        CheckKind::Probing => format!("{:?}", h.check_type).to_lowercase(),
        _ => crate::scenario::config::type_name(h.check_type).to_owned(),
    };
    CheckSettings {
        id: h.id.clone(),
        endpoint: h.endpoint.map(|e| c.endpoints[e as usize].id.clone()),
        check_type,
        request_interval_s: to_seconds(h.interval_us),
        failure_threshold: h.failure_threshold,
        regions: h.regions.iter().map(|&r| c.regions[r as usize].clone()).collect(),
        checkers: h.checker_count(),
        healthy_fraction: h.healthy_fraction,
        healthy_checkers_min: h.healthy_count_min,
        inverted: h.inverted,
        disabled: h.disabled,
        probe_loss_rate: h.probe_loss.p,
        calculated,
        cloudwatch,
        load_balancer,
    }
}

/// The settings of a calculated or CloudWatch check, in the scenario file's words.
fn kind_settings(c: &Config, h: &HealthCheckConfig) -> (Option<CalculatedSettings>, Option<CloudwatchSettings>) {
    match &h.kind {
        CheckKind::Probing | CheckKind::LoadBalancer => (None, None),
        CheckKind::Calculated(calc) => (
            Some(CalculatedSettings {
                children: calc.children.iter().map(|&k| c.health_checks[k as usize].id.clone()).collect(),
                health_threshold: calc.health_threshold,
                update_delay: describe_dist(&calc.update_delay),
            }),
            None,
        ),
        CheckKind::Cloudwatch(cw) => (
            None,
            Some(CloudwatchSettings {
                metric: match cw.metric {
                    Metric::ErrorRate => "error_rate",
                    Metric::LatencyAverage => "latency_average",
                    Metric::LatencyP99 => "latency_p99",
                }
                .into(),
                period_s: to_seconds(cw.period_us),
                threshold: cw.threshold,
                comparison: format!("{:?}", cw.comparison),
                evaluation_periods: cw.evaluation_periods,
                data_delay: describe_dist(&cw.data_delay),
                insufficient_data_health_status: match cw.insufficient_data {
                    InsufficientData::Healthy => "healthy",
                    InsufficientData::Unhealthy => "unhealthy",
                    InsufficientData::LastKnownStatus => "last_known_status",
                }
                .into(),
                outage_data: match cw.outage_data {
                    OutageData::Missing => "missing",
                    OutageData::Errors => "errors",
                }
                .into(),
            }),
        ),
    }
}

/// A record set as the report shows it: a failover pair of plain records as reports have
/// always shown one, any other set with its policy and records.
fn record_settings(c: &Config, record: u32) -> RecordSettings {
    let r = &c.records[record as usize];
    let endpoint = |e: u32| c.endpoints[e as usize].id.clone();
    let check = |h: Option<u32>| h.map(|h| c.health_checks[h as usize].id.clone());
    if r.policy == Policy::Failover
        && let (Some(primary), Some(secondary)) = (r.members[0].endpoint(), r.members[1].endpoint())
    {
        return RecordSettings::Pair(PairSettings {
            name: r.name.clone(),
            ttl_s: to_seconds(r.ttl_us),
            primary: endpoint(primary),
            primary_health_check: check(r.members[0].health_check),
            secondary: endpoint(secondary),
            secondary_health_check: check(r.members[1].health_check),
        });
    }
    let own_addresses = r.members.iter().any(|m| matches!(m.value, MemberValue::Endpoints(_)));
    RecordSettings::Set(SetSettings {
        name: r.name.clone(),
        ttl_s: own_addresses.then(|| to_seconds(r.ttl_us)),
        policy: r.policy.name().into(),
        records: r
            .members
            .iter()
            .map(|m| {
                let (endpoints, alias, evaluate_target_health) = match &m.value {
                    MemberValue::Endpoints(list) => (list.iter().map(|&e| endpoint(e)).collect(), None, false),
                    MemberValue::Alias { record, evaluate_target_health } => {
                        (Vec::new(), Some(c.records[*record as usize].name.clone()), *evaluate_target_health)
                    }
                    MemberValue::LoadBalancer { endpoint: e, evaluate_target_health } => {
                        (Vec::new(), Some(endpoint(*e)), *evaluate_target_health)
                    }
                };
                MemberSettings {
                    id: m.id.clone(),
                    endpoints,
                    alias,
                    evaluate_target_health,
                    load_balancer: matches!(m.value, MemberValue::LoadBalancer { .. }),
                    health_check: check(m.health_check),
                    weight: (r.policy == Policy::Weighted).then_some(m.weight),
                    region: m.region.map(|i| c.latency_regions[i as usize].clone()),
                }
            })
            .collect(),
        answers_when_healthy: names_when_healthy(c, record).into_iter().map(endpoint).collect(),
    })
}

/// A resolver pool as the report shows it.
fn pool_settings(p: &PoolConfig) -> PoolSettings {
    PoolSettings {
        id: p.id.clone(),
        count: p.count,
        cache: p.cache,
        ttl_min_s: to_seconds(p.ttl_min_us),
        ttl_max_s: to_seconds(p.ttl_max_us),
        prefetch: p.prefetch,
    }
}

/// A client group as the report shows it.
fn group_settings(c: &Config, g: &GroupConfig) -> GroupSettings {
    GroupSettings {
        id: g.id.clone(),
        count: g.count,
        record: c.records[g.record as usize].name.clone(),
        requests_per_s: g.requests_per_s,
        dns_cache: describe_cache(g.cache),
        connection: describe_connection(g.connection),
        on_failure: if g.reresolve_on_failure { "reresolve" } else { "keep" }.into(),
        region: g.region.map(|r| c.latency_regions[r as usize].clone()),
        addresses: describe_addresses(g),
    }
}

/// Which addresses of an answer a group uses, in words; None for the first only.
fn describe_addresses(g: &GroupConfig) -> Option<String> {
    let next = g.next_address_after_us.map(|t| format!("next address after {}", format_duration(t)));
    match (g.random_address, next) {
        (false, None) => None,
        (true, None) => Some("random address".into()),
        (false, Some(next)) => Some(next),
        (true, Some(next)) => Some(format!("random address, {next}")),
    }
}

/// A client cache in words, naming only the TTL bounds that clamp anything.
fn describe_cache(cache: ClientCache) -> String {
    match cache {
        ClientCache::Ttl { min_us, max_us } => {
            let mut s = "ttl".to_owned();
            if min_us > 0 {
                s += &format!(", min {}", format_duration(min_us));
            }
            if max_us < crate::time::DURATION_US_MAX {
                s += &format!(", max {}", format_duration(max_us));
            }
            s
        }
        ClientCache::Fixed { ttl_us } => format!("fixed {}", format_duration(ttl_us)),
        ClientCache::None => "none".into(),
        ClientCache::Forever => "forever".into(),
    }
}

/// A client's connection policy in words.
fn describe_connection(connection: Option<ConnectionConfig>) -> String {
    match connection {
        None => "new per request".into(),
        Some(k) => format!(
            "reused, idle timeout {}, max lifetime {}",
            format_duration(k.idle_timeout_us),
            k.max_lifetime_us.map_or("none".into(), format_duration)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config() -> Config {
        let path = Path::new("scenarios/basic-failover.json");
        let (scenario, _) = crate::scenario::config::load(path).unwrap();
        crate::scenario::config::build(&scenario, path).unwrap()
    }

    #[test]
    fn an_untraced_run_keeps_its_client_rows_only_within_its_share() {
        let config = config();
        let options = RunOptions { trace: false, exact_requests: false };
        let run = |max| replicate_keeping_clients(&config, 1, options, max, &mut |_| {}).unwrap();
        let kept = run(Some(usize::MAX));
        let active: u64 = kept.result.episodes.iter().map(|e| e.clients_active).sum();
        assert!(active > 0);
        let rows = kept.client_rows.expect("rows within the share are kept");
        assert_eq!(rows.len() as u64, active);
        assert!(run(Some(active as usize)).client_rows.is_some(), "exactly the share fits");
        assert!(run(Some(active as usize - 1)).client_rows.is_none(), "one over the share keeps none");
        assert!(run(None).client_rows.is_none(), "not asked");
        // Keeping them changes no figure.
        assert_eq!(run(None).result, kept.result);
    }
}
