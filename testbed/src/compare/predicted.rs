//! fosim's prediction for one configuration: load its scenario through fosim's library, run
//! the replications in parallel (collected in replication order, so the result does not depend
//! on the thread count), and reduce every complete episode of every run to a `Sample`.

use std::path::Path;

use fosim::model::RunOptions;
use fosim::report::{EpisodeResult, Trace};
use fosim::scenario::config;
use fosim::simulate;
use rayon::prelude::*;

use super::sample::Sample;

/// The predicted episodes of one scenario.
pub struct Predicted {
    pub runs: u32,
    pub seed: u64,
    pub warnings: Vec<String>,
    /// Complete episodes of every run, run by run, in episode order.
    pub episodes: Vec<Sample>,
    /// Episodes left out because the end of the run cut them short.
    pub cut: usize,
}

/// Loads, validates and runs the scenario `path` for `runs` replications.
pub fn predict(path: &Path, runs: u32) -> Result<Predicted, String> {
    if !path.is_file() {
        return Err(format!(
            "there is no fosim scenario {} for this measured configuration (each measured \
             <config>.json needs a scenario of the same name)",
            path.display()
        ));
    }
    let (scenario, _) = config::load(path).map_err(|e| format!("the fosim scenario cannot be read: {e}"))?;
    let config = config::build(&scenario, path).map_err(|e| format!("the fosim scenario is not valid: {e}"))?;
    let duration_s = config.duration_us as f64 / 1e6;
    let options = RunOptions { trace: true, exact_requests: false };
    let per_run: Vec<(Vec<Sample>, usize)> = (0..runs)
        .into_par_iter()
        .map(|replication| {
            let rep = simulate::replicate(&config, replication, options, &mut |_| {})
                .map_err(|e| format!("{}: replication {replication} failed: {e}", path.display()))?;
            let trace = rep.trace.as_ref().expect("a traced replication has a trace");
            Ok(samples(&rep.result.episodes, trace, duration_s))
        })
        .collect::<Result<_, String>>()?;
    let cut = per_run.iter().map(|(_, c)| c).sum();
    let episodes: Vec<Sample> = per_run.into_iter().flat_map(|(s, _)| s).collect();
    if episodes.is_empty() {
        return Err(format!(
            "the fosim scenario {} has no complete fault episode in {runs} runs: give its primary a \
             recurring fault that ends before the run does",
            path.display()
        ));
    }
    Ok(Predicted {
        runs,
        seed: config.seed,
        warnings: config.warnings.iter().map(ToString::to_string).collect(),
        episodes,
        cut,
    })
}

/// The samples of one run's complete episodes, and how many were cut by the run's end.
fn samples(episodes: &[EpisodeResult], trace: &Trace, duration_s: f64) -> (Vec<Sample>, usize) {
    let mut clients: Vec<Vec<f64>> = vec![Vec::new(); episodes.len()];
    for row in &trace.clients {
        clients[row.episode as usize].push(row.failover_s.unwrap_or(f64::INFINITY));
    }
    let mut out = Vec::new();
    let mut cut = 0;
    for (e, failover_s) in episodes.iter().zip(clients) {
        if e.end_s >= duration_s {
            cut += 1;
            continue;
        }
        let f = &e.client_failover_s;
        out.push(Sample {
            detection_s: e.dns_switch_last_s,
            last_switched_s: f.max,
            failover_mean_s: f.mean,
            misrouted_per_active: (e.clients_active > 0).then(|| e.requests_misrouted as f64 / e.clients_active as f64),
            active: e.clients_active,
            stranded: e.clients_stranded,
            failover_s,
        });
    }
    (out, cut)
}

/// fosim's version, read from its Cargo.toml when this tool is built (the library does not
/// export it).
pub fn fosim_version() -> &'static str {
    const MANIFEST: &str = include_str!("../../../Cargo.toml");
    MANIFEST.lines().find_map(|l| l.strip_prefix("version = \"")?.strip_suffix('"')).unwrap_or("unknown")
}
