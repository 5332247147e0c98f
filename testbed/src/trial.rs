//! The run of one configuration: start everything, warm up, then trials (settle, fault at a
//! random instant, watch until every client has reached the secondary (and its latest request
//! went there) or the trial times out,
//! restore), then stop everything and hand the raw logs to `report.rs`.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use tokio::sync::watch;

use crate::client::{self, Shared};
use crate::clock::{Clock, secs_to_us};
use crate::config::{Config, HTTP_PORT};
use crate::daemons;
use crate::endpoint::{Endpoint, ProbeRecord};
use crate::fault::{CommandTiming, Faults};
use crate::poller::{PollLog, Poller};

/// How often the driver looks at the clients' progress during a fault.
const WATCH_PERIOD: Duration = Duration::from_millis(20);
/// Longest wait for PowerDNS to name the primary before a fault (after start or restore).
const STEADY_WAIT: Duration = Duration::from_secs(20);

/// What one trial did, before any metric is computed.
#[derive(Debug, Clone, Serialize)]
pub struct TrialRaw {
    pub index: u32,
    /// Healthy time before the fault (settle + random extra), seconds.
    pub healthy_before_s: f64,
    pub fault_command: CommandTiming,
    pub restore_command: CommandTiming,
    /// The episode: from the fault command's return to the restore command's start, so the
    /// fault is surely in effect over the whole of it.
    pub fault_start_us: u64,
    pub fault_end_us: u64,
    /// The authoritative answer when the fault started.
    pub auth_answer_at_fault: String,
    /// Share of clients whose last request before the fault went to the primary.
    pub on_primary_at_fault: f64,
    pub converged: bool,
    /// Active clients that had not reached the secondary when the trial ended.
    pub not_converged_clients: Vec<u32>,
    /// Clients with no request during the episode at all.
    pub inactive_clients: Vec<u32>,
}

/// Everything a run logged.
pub struct RunRaw {
    pub clock: Clock,
    /// Intended offset of PowerDNS's check rounds into the wall-clock second.
    pub check_phase_s: f64,
    pub trials: Vec<TrialRaw>,
    pub poll: PollLog,
    pub probes_primary: Vec<ProbeRecord>,
    pub probes_secondary: Vec<ProbeRecord>,
    pub app_requests_primary: u64,
    pub app_requests_secondary: u64,
    pub shared: Arc<Shared>,
    pub pdns_log: String,
    pub interrupted_trials: bool,
}

pub async fn run(config: &Config, work_dir: &Path) -> Result<RunRaw, String> {
    let clock = Clock::start();
    daemons::write_files(config, work_dir)?;
    // Endpoints first: PowerDNS starts probing them at its first query.
    let primary_addr = SocketAddr::new(config.primary_ip().into(), HTTP_PORT);
    let secondary_addr = SocketAddr::new(config.secondary_ip().into(), HTTP_PORT);
    let primary = Endpoint::start(primary_addr, clock).await?;
    let secondary = Endpoint::start(secondary_addr, clock).await?;
    let faults = Faults::prepare(config, primary_addr).await?;
    let pdns = daemons::start_pdns(config, work_dir).await?;
    let unbound = daemons::start_unbound(config, work_dir).await?;
    eprintln!(
        "[{}] PowerDNS pid {} on {}, Unbound pid {} on {}",
        config.name,
        pdns.pid(),
        config.pdns_addr(),
        unbound.pid(),
        config.unbound_addr()
    );
    // PowerDNS's check timer starts at the first A query (the readiness check asked for SOA):
    // put that query at the chosen offset into a wall-clock second.
    let check_phase_s = config.schedule.check_phase_s.unwrap_or_else(|| {
        ChaCha8Rng::seed_from_u64(config.seed ^ 0x0070_6861_7365).random::<f64>() // "phase"
    });
    let unix_now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
    tokio::time::sleep(Duration::from_secs_f64((check_phase_s - unix_now.fract()).rem_euclid(1.0))).await;
    let poller = Poller::start(config.pdns_addr(), Duration::from_millis(config.schedule.poll_interval_ms), clock);
    let primary_text = config.primary_ip().to_string();
    let mut answer = poller.current.clone();
    wait_for_answer(&mut answer, &primary_text, STEADY_WAIT)
        .await
        .map_err(|e| format!("{e}; PowerDNS log:\n{}", pdns.log_tail(30)))?;

    let shared = Arc::new(Shared {
        config: config.clients.clone(),
        unbound: config.unbound_addr(),
        primary: config.primary_ip(),
        secondary: config.secondary_ip(),
        clock,
        logs: client::Logs::default(),
        tracker: client::Tracker::new(config.clients.count as usize),
    });
    let (stop_clients, stop) = watch::channel(false);
    let handles = client::start(shared.clone(), config.seed, stop)?;

    let result = trials(config, &clock, &primary, &faults, &shared, &mut answer, &primary_text).await;
    let _ = stop_clients.send(true);
    // Let in-flight requests finish (bounded by their timeouts) before the logs are taken.
    let settle = Duration::from_secs_f64(
        config.clients.connect_timeout_s + config.clients.request_timeout_s + config.clients.dns_timeout_s * 2.0 + 0.5,
    );
    let _ = tokio::time::timeout(settle, async {
        for h in handles {
            let _ = h.await;
        }
    })
    .await;
    poller.stop();
    faults.cleanup().await;
    let (trials, interrupted_trials) = match result {
        Ok(t) => (t, false),
        Err((t, e)) if !t.is_empty() => {
            eprintln!("[{}] warning: trials stopped early: {e}", config.name);
            (t, true)
        }
        Err((_, e)) => return Err(e),
    };
    let pdns_log = pdns.log_tail(400);
    drop(unbound);
    drop(pdns);
    let poll = std::mem::take(&mut *poller.log.lock().expect("poll log lock"));
    Ok(RunRaw {
        clock,
        check_phase_s,
        trials,
        poll,
        probes_primary: primary.probes(),
        probes_secondary: secondary.probes(),
        app_requests_primary: primary.app_requests(),
        app_requests_secondary: secondary.app_requests(),
        shared,
        pdns_log,
        interrupted_trials,
    })
}

async fn wait_for_answer(answer: &mut watch::Receiver<String>, wanted: &str, limit: Duration) -> Result<(), String> {
    let found = matches!(tokio::time::timeout(limit, answer.wait_for(|a| a == wanted)).await, Ok(Ok(_)));
    match found {
        true => Ok(()),
        false => {
            Err(format!("PowerDNS did not answer {wanted} within {limit:?} (last answer: {:?})", *answer.borrow()))
        }
    }
}

/// The trials; on an error, the trials done so far come back with it.
async fn trials(
    config: &Config,
    clock: &Clock,
    primary: &Endpoint,
    faults: &Faults,
    shared: &Shared,
    answer: &mut watch::Receiver<String>,
    primary_text: &str,
) -> Result<Vec<TrialRaw>, (Vec<TrialRaw>, String)> {
    let s = &config.schedule;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x7472_6961_6c73); // "trials"
    let mut done = Vec::new();
    eprintln!("[{}] warm-up {:.1} s", config.name, s.warmup_s);
    tokio::time::sleep(Duration::from_secs_f64(s.warmup_s)).await;
    for index in 0..config.trials {
        let healthy_before_s = s.settle_s + rng.random::<f64>() * s.fault_jitter_s;
        tokio::time::sleep(Duration::from_secs_f64(healthy_before_s)).await;
        if let Err(e) = wait_for_answer(answer, primary_text, STEADY_WAIT).await {
            return Err((done, e));
        }
        let auth_answer_at_fault = answer.borrow().clone();
        let fault_command = match faults.start(primary, clock).await {
            Ok(t) => t,
            Err(e) => return Err((done, e)),
        };
        let fault_start_us = fault_command.done_us;
        let on_primary_at_fault = shared.tracker.start_trial(fault_start_us);
        let deadline = clock.instant(fault_start_us + secs_to_us(s.trial_timeout_s));
        let mut converged = false;
        let mut watch_tick = tokio::time::interval(WATCH_PERIOD);
        while tokio::time::Instant::now() < tokio::time::Instant::from_std(deadline) {
            watch_tick.tick().await;
            let progress = shared.tracker.progress();
            // Every client has reached the secondary and is still there (a flapping answer
            // can send a client back), and PowerDNS no longer names the primary.
            if progress.not_reached.is_empty() && progress.not_on_secondary == 0 && *answer.borrow() != primary_text {
                converged = true;
                break;
            }
        }
        let progress = shared.tracker.progress();
        let restore_command = match faults.end(primary, clock).await {
            Ok(t) => t,
            Err(e) => return Err((done, e)),
        };
        shared.tracker.end_trial();
        let trial = TrialRaw {
            index,
            healthy_before_s,
            fault_end_us: restore_command.started_us,
            fault_command,
            restore_command,
            fault_start_us,
            auth_answer_at_fault,
            on_primary_at_fault,
            converged,
            not_converged_clients: if converged { Vec::new() } else { progress.waiting.clone() },
            inactive_clients: progress.not_reached.iter().copied().filter(|c| !progress.waiting.contains(c)).collect(),
        };
        eprintln!(
            "[{}] trial {}/{}: {} after {:.2} s{}",
            config.name,
            index + 1,
            config.trials,
            if converged { "converged" } else { "DID NOT CONVERGE" },
            (trial.fault_end_us - trial.fault_start_us) as f64 / 1e6,
            if converged {
                String::new()
            } else {
                format!(" (clients still on the primary: {:?})", trial.not_converged_clients)
            }
        );
        done.push(trial);
    }
    // A last healthy stretch so the final restore is visible in the logs.
    tokio::time::sleep(Duration::from_secs_f64(s.settle_s.min(5.0))).await;
    Ok(done)
}
