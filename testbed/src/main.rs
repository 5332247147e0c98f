//! `fosim-testbed`: measures DNS failover on real software and compares it with fosim.
//! This file is the command line: parse arguments, refuse to run outside a private network
//! namespace, run one configuration (see `trial.rs`), write its JSON atomically, and stop
//! everything on Ctrl-C or SIGTERM; or compare measurements with fosim's predictions (see
//! `compare/`) and write the document and charts. It is the only place that writes output
//! files.
//!
//! Usage:
//!   fosim-testbed run CONFIG.json --out FILE.json --work-dir DIR [--trials N] [--allow-host-netns]
//!   fosim-testbed compare [--measured DIR] [--scenarios DIR] [--runs N] [--out FILE.md] [--plots DIR] ...
//!                                           (exit status 2 when a comparison fails)
//!   fosim-testbed addrs CONFIG.json...      (prints "what address:port" lines, for port checks)
//!   fosim-testbed files CONFIG.json DIR     (writes the daemons' config files only)

mod client;
mod clock;
mod compare;
mod config;
mod daemons;
mod dnswire;
mod endpoint;
mod fault;
mod poller;
mod report;
mod trial;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use serde_json::json;

use config::Config;

const USAGE: &str = "usage:
  fosim-testbed run CONFIG.json --out FILE.json --work-dir DIR [--trials N] [--allow-host-netns]
  fosim-testbed compare [options] (see fosim-testbed compare --help)
  fosim-testbed addrs CONFIG.json...
  fosim-testbed files CONFIG.json DIR";

struct RunArgs {
    config_path: PathBuf,
    out: PathBuf,
    work_dir: PathBuf,
    trials: Option<u32>,
    allow_host_netns: bool,
}

fn parse_run(args: &[String]) -> Result<RunArgs, String> {
    let mut config_path = None;
    let mut out = None;
    let mut work_dir = None;
    let mut trials = None;
    let mut allow_host_netns = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |flag: &str| it.next().cloned().ok_or_else(|| format!("{flag} needs a value"));
        match arg.as_str() {
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--work-dir" => work_dir = Some(PathBuf::from(value("--work-dir")?)),
            "--trials" => {
                let v = value("--trials")?;
                trials = Some(v.parse().map_err(|_| format!("--trials: not a number: {v}"))?);
            }
            "--allow-host-netns" => allow_host_netns = true,
            s if s.starts_with("--") => return Err(format!("unknown option {s}\n{USAGE}")),
            s if config_path.is_none() => config_path = Some(PathBuf::from(s)),
            s => return Err(format!("unexpected argument {s}\n{USAGE}")),
        }
    }
    Ok(RunArgs {
        config_path: config_path.ok_or(USAGE)?,
        out: out.ok_or("--out FILE.json is required")?,
        work_dir: work_dir.ok_or("--work-dir DIR is required")?,
        trials,
        allow_host_netns,
    })
}

/// A testbed configuration, read and parsed by fosim's own loader: a regular file of at most
/// 1 MiB, errors with the file, the field's path and line:column in plain words.
fn load(path: &Path) -> Result<Config, String> {
    const KIND: fosim::input::Kind = fosim::input::Kind { what: "testbed configuration", bytes_max: 1 << 20 };
    let text = fosim::input::read_text(path, KIND).map_err(|e| e.to_string())?;
    Config::from_json(&text, &path.display().to_string())
}

/// True when this process is in a network namespace of its own: its only interface is `lo`
/// (so nothing it does can reach or filter the host's traffic) and, where PID 1's namespace
/// can be read, it is not that one.
fn in_private_netns() -> bool {
    let only_lo = std::fs::read_to_string("/proc/self/net/dev")
        .is_ok_and(|dev| dev.lines().skip(2).filter_map(|l| l.split(':').next()).all(|name| name.trim() == "lo"));
    let not_pid1 = match (std::fs::read_link("/proc/self/ns/net"), std::fs::read_link("/proc/1/ns/net")) {
        (Ok(own), Ok(host)) => own != host,
        _ => true,
    };
    only_lo && not_pid1
}

fn first_line(program: &str, arg: &str) -> String {
    match Command::new(program).arg(arg).output() {
        Ok(o) => {
            let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
            text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string()
        }
        Err(e) => format!("not found: {e}"),
    }
}

fn software() -> serde_json::Value {
    json!({
        "pdns_server": first_line("pdns_server", "--version"),
        "unbound": first_line("unbound", "-V"),
        "hickory_resolver": "0.26 (see testbed/Cargo.lock)",
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
    })
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot rename to {}: {e}", path.display()))
}

fn print_headline(config: &Config, trials: &[report::TrialReport]) {
    let mean = |v: Vec<f64>| if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 };
    let detection = mean(trials.iter().filter_map(|t| t.detection_s).collect());
    let failover = mean(trials.iter().filter_map(|t| t.summary.client_failover_s.mean).collect());
    let last = mean(trials.iter().filter_map(|t| t.summary.last_client_switched_s).collect());
    let misrouted = mean(trials.iter().filter_map(|t| t.summary.misrouted_per_active_client).collect());
    let converged = trials.iter().filter(|t| t.converged).count();
    eprintln!(
        "[{}] {} trials ({} converged): detection {:.2} s, client failover mean {:.2} s, last client {:.2} s, misrouted/client {:.2}",
        config.name,
        trials.len(),
        converged,
        detection,
        failover,
        last,
        misrouted
    );
}

async fn run(args: RunArgs) -> Result<(), String> {
    let mut config = load(&args.config_path)?;
    if let Some(n) = args.trials {
        config.trials = n;
        config.check_public()?;
    }
    if !args.allow_host_netns && !in_private_netns() {
        return Err("refusing to run in the host's network namespace (firewall rules and servers \
                    must stay private): run it as `ip netns exec NAME fosim-testbed run ...` \
                    (scripts/validate-real does), or pass --allow-host-netns"
            .into());
    }
    let deadline = std::time::Duration::from_secs_f64(config.run_deadline_s());
    let raw = tokio::time::timeout(deadline, trial::run(&config, &args.work_dir))
        .await
        .map_err(|_| format!("run exceeded its hard limit of {deadline:?}"))??;
    let (doc, trials) = report::build(&config, &raw, software());
    let bytes = serde_json::to_vec(&doc).map_err(|e| e.to_string())?;
    write_atomically(&args.out, &bytes)?;
    print_headline(&config, &trials);
    eprintln!("[{}] wrote {}", config.name, args.out.display());
    Ok(())
}

/// Exit status of `compare` when a comparison failed (the files are written all the same).
const COMPARISON_FAILED: u8 = 2;

/// `compare`: writes the document and charts, then says how many comparisons failed.
fn compare_command(args: &[String]) -> Result<ExitCode, String> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("usage: {}", compare::USAGE);
        return Ok(ExitCode::SUCCESS);
    }
    let started = std::time::Instant::now();
    let outcome = compare::run(&compare::parse(args)?)?;
    for (path, bytes) in &outcome.files {
        write_atomically(path, bytes)?;
    }
    eprintln!(
        "wrote {} and {} charts in {:.1} s",
        outcome.doc.display(),
        outcome.files.len() - 1,
        started.elapsed().as_secs_f64()
    );
    if outcome.failures > 0 {
        eprintln!("{} comparisons failed: see \"Disagreements\" in {}", outcome.failures, outcome.doc.display());
        return Ok(ExitCode::from(COMPARISON_FAILED));
    }
    eprintln!("every comparison passed");
    Ok(ExitCode::SUCCESS)
}

async fn until_signal() -> String {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
    tokio::select! {
        _ = term.recv() => "terminated (SIGTERM)".into(),
        _ = int.recv() => "interrupted (SIGINT)".into(),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "compare") {
        return compare_command(&args[1..]).unwrap_or_else(|e| {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        });
    }
    let result = match args.first().map(String::as_str) {
        Some("run") => parse_run(&args[1..]).and_then(|run_args| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the async runtime: {e}"))?;
            // On a signal the run's future is dropped, which stops the daemons (their Drop).
            let outcome = runtime.block_on(async {
                tokio::select! {
                    r = run(run_args) => r,
                    why = until_signal() => Err(why),
                }
            });
            runtime.shutdown_timeout(std::time::Duration::from_secs(2));
            outcome
        }),
        Some("addrs") if args.len() > 1 => args[1..].iter().try_for_each(|p| {
            let config = load(Path::new(p))?;
            for (what, addr) in config.listen_addrs() {
                println!("{} {what} {addr}", config.name);
            }
            Ok(())
        }),
        Some("files") if args.len() == 3 => {
            load(Path::new(&args[1])).and_then(|c| daemons::write_files(&c, Path::new(&args[2])))
        }
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
