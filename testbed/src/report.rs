//! From raw logs to the per-configuration JSON: the figures fosim reports (detection,
//! per-client failover, misrouted and failed requests, last client switched), the real
//! latencies a zero-latency model leaves out, and the raw logs in columns so that anything
//! can be recomputed. Pure functions of the logs; the one file write is in `main.rs`.

use serde::Serialize;
use serde_json::{Value, json};

use crate::client::{EP_PRIMARY, EP_SECONDARY, LookupRecord, OUTCOME_NAMES, RequestRecord};
use crate::clock::us_to_s;
use crate::config::Config;
use crate::endpoint::ProbeRecord;
use crate::poller::AnswerChange;
use crate::trial::{RunRaw, TrialRaw};

pub const SCHEMA: &str = "fosim-testbed/1";

/// count, mean, min, p50, p90, p99, max (percentiles: linear between closest ranks, R type 7,
/// as fosim's summaries).
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub count: usize,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

pub fn stats(values: &[f64]) -> Stats {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let pct = |p: f64| -> Option<f64> {
        if v.is_empty() {
            return None;
        }
        let h = (v.len() - 1) as f64 * p;
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        Some(v[lo] + (h - lo as f64) * (v[hi] - v[lo]))
    };
    Stats {
        count: v.len(),
        mean: (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64),
        min: v.first().copied(),
        p50: pct(0.5),
        p90: pct(0.9),
        p99: pct(0.99),
        max: v.last().copied(),
    }
}

/// Per-client figures of one episode.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClientColumns {
    pub active: Vec<bool>,
    /// Seconds from the fault start to the first request sent to the secondary; null when the
    /// client did not reach it during the episode.
    pub failover_s: Vec<Option<f64>>,
    pub misrouted: Vec<u32>,
    pub failed: Vec<u32>,
    /// Seconds from the fault start to the first request to the secondary after the client's
    /// last request to the primary in the episode (equals `failover_s` unless the client went
    /// back to the primary, as with a flapping answer); null when not on the secondary at the end.
    pub settled_s: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrialSummary {
    pub active: usize,
    pub switched: usize,
    pub stranded: usize,
    pub client_failover_s: Stats,
    pub last_client_switched_s: Option<f64>,
    pub client_settled_s: Stats,
    pub requests_in_episode: u64,
    pub requests_misrouted: u64,
    pub requests_failed: u64,
    pub misrouted_per_active_client: Option<f64>,
    pub failed_per_active_client: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrialReport {
    pub index: u32,
    pub fault_kind: crate::config::FaultKind,
    pub fault_start_s: f64,
    pub fault_end_s: f64,
    pub duration_s: f64,
    pub healthy_before_s: f64,
    pub converged: bool,
    pub not_converged_clients: Vec<u32>,
    pub on_primary_at_fault: f64,
    pub auth_answer_at_fault: String,
    /// From the fault start until the direct polls of PowerDNS stopped naming the primary
    /// (the first poll after which no poll of the episode named it again).
    pub detection_s: Option<f64>,
    /// That switch happened between these two polls (seconds from the fault start).
    pub detection_bracket_s: Option<[f64; 2]>,
    /// First poll that did not name the primary (differs from `detection_s` only when the
    /// answer flapped, e.g. a cold secondary check answering at random).
    pub first_away_s: Option<f64>,
    /// Changes of the authoritative answer seen inside the episode (1 for a clean switch).
    pub auth_changes_in_episode: usize,
    /// First health probe that reached the secondary after the fault start: the start of
    /// PowerDNS's first check round that could see the fault (its probes run in parallel).
    pub first_check_round_s: Option<f64>,
    /// First answer from Unbound (to any client) naming the secondary: when the resolver's
    /// cache switched (seconds from the fault start, at the answer's arrival).
    pub resolver_switch_s: Option<f64>,
    /// After the fault's end: first poll naming the primary again.
    pub dns_failback_s: Option<f64>,
    pub fault_command_ms: f64,
    pub fault_check: String,
    pub restore_command_ms: f64,
    pub summary: TrialSummary,
    pub clients: ClientColumns,
}

fn rel_s(t_us: u64, origin_us: u64) -> f64 {
    (t_us as f64 - origin_us as f64) / 1e6
}

/// What the direct polls of PowerDNS saw during one episode.
struct AuthView<'a> {
    /// First poll (at or after the start) that did not name the primary.
    first_away: Option<&'a AnswerChange>,
    /// The change after which no poll of the episode named the primary again.
    settled_away: Option<&'a AnswerChange>,
    /// Changes of the answer inside the episode.
    changes: usize,
}

fn auth_view<'a>(changes: &'a [AnswerChange], start: u64, end: u64, primary: &str) -> AuthView<'a> {
    let away = |c: &AnswerChange| c.answer != primary && !c.answer.starts_with("error");
    let in_force = changes.iter().rev().find(|c| c.t_us < start).filter(|c| away(c));
    let mut view = AuthView { first_away: in_force, settled_away: in_force, changes: 0 };
    for c in changes.iter().filter(|c| c.t_us >= start && c.t_us < end) {
        view.changes += 1;
        if away(c) {
            view.first_away.get_or_insert(c);
            view.settled_away.get_or_insert(c);
        } else if c.answer == primary {
            view.settled_away = None;
        }
    }
    view
}

/// The first change at or after `t_us` that names `answer` (or the one in force at `t_us`).
fn first_change_to<'a>(changes: &'a [AnswerChange], t_us: u64, answer: &str) -> Option<&'a AnswerChange> {
    if let Some(c) = changes.iter().rev().find(|c| c.t_us < t_us).filter(|c| c.answer == answer) {
        return Some(c);
    }
    changes.iter().find(|c| c.t_us >= t_us && c.answer == answer)
}

fn trial_report(
    config: &Config,
    t: &TrialRaw,
    requests: &[RequestRecord],
    lookups: &[LookupRecord],
    changes: &[AnswerChange],
    probes_secondary: &[ProbeRecord],
) -> TrialReport {
    let start = t.fault_start_us;
    let end = t.fault_end_us;
    let primary = config.primary_ip().to_string();
    let n = config.clients.count as usize;
    let mut cols = ClientColumns {
        active: vec![false; n],
        failover_s: vec![None; n],
        misrouted: vec![0; n],
        failed: vec![0; n],
        settled_s: vec![None; n],
    };
    let mut in_episode = 0u64;
    // Requests are logged when they finish, so they are sorted by client and time here.
    let mut episode: Vec<&RequestRecord> = requests.iter().filter(|r| r.t_us >= start && r.t_us < end).collect();
    episode.sort_by_key(|r| (r.client, r.t_us));
    for r in episode {
        let c = r.client as usize;
        in_episode += 1;
        cols.active[c] = true;
        if r.ep == EP_PRIMARY {
            cols.settled_s[c] = None;
            cols.misrouted[c] += 1;
            if r.outcome != 0 {
                cols.failed[c] += 1;
            }
        }
        if r.ep == EP_SECONDARY {
            cols.failover_s[c].get_or_insert(rel_s(r.t_us, start));
            cols.settled_s[c].get_or_insert(rel_s(r.t_us, start));
        }
    }
    let active = cols.active.iter().filter(|&&a| a).count();
    let switched: Vec<f64> = cols.failover_s.iter().flatten().copied().collect();
    let stranded = (0..n).filter(|&c| cols.active[c] && cols.failover_s[c].is_none()).count();
    let misrouted: u64 = cols.misrouted.iter().map(|&x| u64::from(x)).sum();
    let failed: u64 = cols.failed.iter().map(|&x| u64::from(x)).sum();
    let per_active = |x: u64| (active > 0).then(|| x as f64 / active as f64);
    let summary = TrialSummary {
        active,
        switched: switched.len(),
        stranded,
        client_failover_s: stats(&switched),
        last_client_switched_s: switched.iter().copied().reduce(f64::max),
        client_settled_s: stats(&cols.settled_s.iter().flatten().copied().collect::<Vec<_>>()),
        requests_in_episode: in_episode,
        requests_misrouted: misrouted,
        requests_failed: failed,
        misrouted_per_active_client: per_active(misrouted),
        failed_per_active_client: per_active(failed),
    };
    let auth = auth_view(changes, start, end, &primary);
    let since_start = |c: &AnswerChange| rel_s(c.t_us.max(start), start);
    let failback = first_change_to(changes, end, &primary);
    TrialReport {
        index: t.index,
        fault_kind: config.fault.kind,
        fault_start_s: us_to_s(start),
        fault_end_s: us_to_s(end),
        duration_s: rel_s(end, start),
        healthy_before_s: t.healthy_before_s,
        converged: t.converged,
        not_converged_clients: t.not_converged_clients.clone(),
        on_primary_at_fault: t.on_primary_at_fault,
        auth_answer_at_fault: t.auth_answer_at_fault.clone(),
        detection_s: auth.settled_away.map(since_start),
        detection_bracket_s: auth.settled_away.map(|c| [rel_s(c.t_prev_us.max(start), start), since_start(c)]),
        first_away_s: auth.first_away.map(since_start),
        auth_changes_in_episode: auth.changes,
        first_check_round_s: probes_secondary.iter().find(|p| p.t_us >= start).map(|p| rel_s(p.t_us, start)),
        resolver_switch_s: lookups
            .iter()
            .filter(|l| l.fresh && l.ep == EP_SECONDARY && l.t_us >= start && l.t_us < end)
            .map(|l| rel_s(l.t_us + u64::from(l.lat_us), start))
            .reduce(f64::min),
        dns_failback_s: failback.map(|c| rel_s(c.t_us.max(end), end)),
        fault_command_ms: (t.fault_command.done_us - t.fault_command.started_us) as f64 / 1e3,
        fault_check: format!("{} after {:.2} ms", t.fault_command.check, t.fault_command.check_us as f64 / 1e3),
        restore_command_ms: (t.restore_command.done_us - t.restore_command.started_us) as f64 / 1e3,
        summary,
        clients: cols,
    }
}

fn opt_values(values: impl Iterator<Item = Option<f64>>) -> Vec<f64> {
    values.flatten().collect()
}

/// Gaps between successive probes of one endpoint that were answered 200 (the check period).
fn probe_gaps_s(probes: &[ProbeRecord]) -> Vec<f64> {
    probes.windows(2).map(|w| (w[1].t_us - w[0].t_us) as f64 / 1e6).collect()
}

fn ms(values: impl Iterator<Item = u64>) -> Stats {
    let v: Vec<f64> = values.map(|us| us as f64 / 1e3).collect();
    stats(&v)
}

fn latencies(run: &RunRaw, requests: &[RequestRecord], lookups: &[LookupRecord], trials: &[TrialReport]) -> Value {
    let outcome = |r: &&RequestRecord, o: usize| usize::from(r.outcome) == o;
    let mut ttl_fresh: std::collections::BTreeMap<u32, u64> = std::collections::BTreeMap::new();
    for l in lookups.iter().filter(|l| l.fresh && l.ep != crate::client::EP_NONE) {
        *ttl_fresh.entry(l.ttl_s).or_default() += 1;
    }
    json!({
        "dns_lookup_through_unbound_ms": ms(lookups.iter().filter(|l| l.fresh).map(|l| u64::from(l.lat_us))),
        "dns_lookup_client_cache_hit_ms": ms(lookups.iter().filter(|l| !l.fresh).map(|l| u64::from(l.lat_us))),
        "pdns_direct_query_ms": ms(run.poll.rtt_us.iter().map(|&x| u64::from(x))),
        "http_ok_new_connection_ms": ms(requests.iter().filter(|r| outcome(r, 0) && r.new_conn).map(|r| u64::from(r.lat_us))),
        "http_ok_reused_connection_ms": ms(requests.iter().filter(|r| outcome(r, 0) && !r.new_conn).map(|r| u64::from(r.lat_us))),
        "refused_ms": ms(requests.iter().filter(|r| outcome(r, 1)).map(|r| u64::from(r.lat_us))),
        "connect_timeout_ms": ms(requests.iter().filter(|r| outcome(r, 2)).map(|r| u64::from(r.lat_us))),
        "request_timeout_ms": ms(requests.iter().filter(|r| outcome(r, 3)).map(|r| u64::from(r.lat_us))),
        "http_error_ms": ms(requests.iter().filter(|r| outcome(r, 4)).map(|r| u64::from(r.lat_us))),
        "health_probe_period_s": {
            "primary": stats(&probe_gaps_s(&run.probes_primary)),
            "secondary": stats(&probe_gaps_s(&run.probes_secondary)),
        },
        "detection_after_first_check_round_s": stats(&opt_values(trials.iter().map(|t| Some(t.detection_s? - t.first_check_round_s?)))),
        "fault_command_ms": stats(&trials.iter().map(|t| t.fault_command_ms).collect::<Vec<_>>()),
        "restore_command_ms": stats(&trials.iter().map(|t| t.restore_command_ms).collect::<Vec<_>>()),
        "ttl_handed_to_clients_by_unbound_s": ttl_fresh,
    })
}

fn summary(trials: &[TrialReport]) -> Value {
    let pooled: Vec<f64> = trials.iter().flat_map(|t| t.clients.failover_s.iter().flatten().copied()).collect();
    json!({
        "trials": trials.len(),
        "converged": trials.iter().filter(|t| t.converged).count(),
        "detection_s": stats(&opt_values(trials.iter().map(|t| t.detection_s))),
        "first_away_s": stats(&opt_values(trials.iter().map(|t| t.first_away_s))),
        "resolver_switch_s": stats(&opt_values(trials.iter().map(|t| t.resolver_switch_s))),
        "resolver_switch_after_detection_s": stats(&opt_values(trials.iter().map(|t| Some(t.resolver_switch_s? - t.detection_s?)))),
        "trials_with_flapping_answer": trials.iter().filter(|t| t.auth_changes_in_episode > 1).count(),
        "client_failover_s_mean": stats(&opt_values(trials.iter().map(|t| t.summary.client_failover_s.mean))),
        "client_failover_s_p99": stats(&opt_values(trials.iter().map(|t| t.summary.client_failover_s.p99))),
        "client_failover_s_pooled": stats(&pooled),
        "last_client_switched_s": stats(&opt_values(trials.iter().map(|t| t.summary.last_client_switched_s))),
        "client_settled_s_mean": stats(&opt_values(trials.iter().map(|t| t.summary.client_settled_s.mean))),
        "misrouted_per_active_client": stats(&opt_values(trials.iter().map(|t| t.summary.misrouted_per_active_client))),
        "failed_per_active_client": stats(&opt_values(trials.iter().map(|t| t.summary.failed_per_active_client))),
        "stranded": trials.iter().map(|t| t.summary.stranded).sum::<usize>(),
        "dns_failback_s": stats(&opt_values(trials.iter().map(|t| t.dns_failback_s))),
        "on_primary_at_fault": stats(&trials.iter().map(|t| t.on_primary_at_fault).collect::<Vec<_>>()),
    })
}

fn request_columns(requests: &[RequestRecord]) -> Value {
    json!({
        "t_us": requests.iter().map(|r| r.t_us).collect::<Vec<_>>(),
        "client": requests.iter().map(|r| r.client).collect::<Vec<_>>(),
        "ep": requests.iter().map(|r| r.ep).collect::<Vec<_>>(),
        "outcome": requests.iter().map(|r| r.outcome).collect::<Vec<_>>(),
        "lat_us": requests.iter().map(|r| r.lat_us).collect::<Vec<_>>(),
        "dns_us": requests.iter().map(|r| r.dns_us).collect::<Vec<_>>(),
        "new_conn": requests.iter().map(|r| u8::from(r.new_conn)).collect::<Vec<_>>(),
    })
}

fn lookup_columns(lookups: &[LookupRecord]) -> Value {
    json!({
        "t_us": lookups.iter().map(|r| r.t_us).collect::<Vec<_>>(),
        "client": lookups.iter().map(|r| r.client).collect::<Vec<_>>(),
        "lat_us": lookups.iter().map(|r| r.lat_us).collect::<Vec<_>>(),
        "fresh": lookups.iter().map(|r| u8::from(r.fresh)).collect::<Vec<_>>(),
        "ttl_s": lookups.iter().map(|r| r.ttl_s).collect::<Vec<_>>(),
        "ep": lookups.iter().map(|r| r.ep).collect::<Vec<_>>(),
    })
}

/// Circular mean of the offsets into the wall-clock second of the probes reaching the
/// secondary (circular, so that offsets on both sides of a second boundary average right).
fn measured_phase(run: &RunRaw) -> Option<f64> {
    let (mut sin, mut cos) = (0.0, 0.0);
    for p in &run.probes_secondary {
        let angle = (run.clock.origin_unix_s + us_to_s(p.t_us)).rem_euclid(1.0) * std::f64::consts::TAU;
        sin += angle.sin();
        cos += angle.cos();
    }
    (!run.probes_secondary.is_empty()).then(|| (sin.atan2(cos) / std::f64::consts::TAU).rem_euclid(1.0))
}

/// The whole per-configuration document.
pub fn build(config: &Config, run: &RunRaw, software: Value) -> (Value, Vec<TrialReport>) {
    let mut requests = run.shared.logs.requests.lock().expect("request log lock").clone();
    requests.sort_by_key(|r| (r.t_us, r.client));
    let mut lookups = run.shared.logs.lookups.lock().expect("lookup log lock").clone();
    lookups.sort_by_key(|r| (r.t_us, r.client));
    let changes = &run.poll.changes;
    let trials: Vec<TrialReport> = run
        .trials
        .iter()
        .map(|t| trial_report(config, t, &requests, &lookups, changes, &run.probes_secondary))
        .collect();
    let probes = |p: &[ProbeRecord]| p.iter().map(|x| json!([x.t_us, x.status])).collect::<Vec<_>>();
    let doc = json!({
        "schema": SCHEMA,
        "testbed_version": env!("CARGO_PKG_VERSION"),
        "config": config,
        "software": software,
        "started_unix_s": run.clock.origin_unix_s,
        "time_note": "every *_us field is microseconds since started_unix_s on a monotonic clock; *_s fields in trials are seconds, absolute ones (fault_start_s, fault_end_s) since started_unix_s, the others relative to the fault start (or end, for dns_failback_s)",
        "addresses": {
            "pdns": config.pdns_addr().to_string(),
            "unbound": config.unbound_addr().to_string(),
            "primary": config.primary_ip().to_string(),
            "secondary": config.secondary_ip().to_string(),
        },
        "interrupted": run.interrupted_trials,
        "pdns_check_phase_s": {
            "intended": run.check_phase_s,
            "measured": measured_phase(run),
            "note": "offset into the wall-clock second (unix time) of PowerDNS's check rounds, measured as the circular mean of the secondary's probe arrivals; Unbound's cache entries expire on whole wall-clock seconds, so this phase decides how long after detection the resolver can switch",
        },
        "summary": summary(&trials),
        "latencies": latencies(run, &requests, &lookups, &trials),
        "counts": {
            "requests": requests.len(),
            "lookups": lookups.len(),
            "records_dropped": run.shared.logs.dropped.load(std::sync::atomic::Ordering::Relaxed),
            "app_requests_served": { "primary": run.app_requests_primary, "secondary": run.app_requests_secondary },
            "pdns_polls": run.poll.polls,
            "pdns_poll_errors": run.poll.errors,
        },
        "trials": trials,
        "auth_answers": changes,
        "probes": { "columns": ["t_us", "status"], "primary": probes(&run.probes_primary), "secondary": probes(&run.probes_secondary) },
        "ep_names": ["primary", "secondary", "other", "none"],
        "outcome_names": OUTCOME_NAMES,
        "requests": request_columns(&requests),
        "lookups": lookup_columns(&lookups),
        "pdns_log_tail": run.pdns_log,
    });
    (doc, trials)
}
