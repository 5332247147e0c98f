//! The command line: clap definitions and the glue that runs each command. The only place
//! that touches files, stdout, the terminal and the wall clock.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use fosim::report::{self, Report};
use fosim::scenario::{self, Config, ScenarioError};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "fosim",
    version,
    about = "Discrete-event simulator of DNS failover (Route 53 failover records and their peers)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run a scenario: print a summary and write report.json, timeline.csv, clients.csv.
    Run(RunArgs),
    /// Check scenario files: errors, and warnings where Route 53 would differ.
    Validate {
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// Print the JSON Schema of scenario files (for editors).
    Schema,
    /// Redraw the plots and report.html of a saved run directory, without simulating.
    Plot {
        /// A directory written by `fosim run` (holding report.json and the CSVs).
        dir: PathBuf,
        /// Where to write (default: the run directory itself).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// Scenario file (JSON).
    pub scenario: PathBuf,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Replications, each with its own seed derived from the scenario seed.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=fosim::simulate::RUNS_MAX as i64))]
    pub runs: u32,
    /// Output directory; files go to DIR/<scenario name>/.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Skip the plots and report.html (only numbers).
    #[arg(long)]
    pub no_plots: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub fn main(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run(args),
        Command::Validate { scenarios } => validate(&scenarios),
        Command::Plot { dir, out } => plot(&dir, out.as_deref().unwrap_or(&dir)),
        Command::Schema => {
            println!("{}", serde_json::to_string_pretty(&scenario::json_schema())?);
            Ok(())
        }
    }
}

/// Loads and validates a scenario, applying a seed override.
fn load(path: &Path, seed: Option<u64>) -> Result<(Config, serde_json::Value), ScenarioError> {
    let (parsed, source) = scenario::config::load(path)?;
    let mut config = scenario::config::build(&parsed, path)?;
    if let Some(seed) = seed {
        config.seed = seed;
    }
    config.check_fits(path, memory_available_bytes())?;
    Ok((config, source))
}

fn run(args: RunArgs) -> Result<()> {
    let (config, source) = load(&args.scenario, args.seed)?;
    let started = Instant::now();
    let bar = ProgressBar::new(1000 * u64::from(args.runs));
    bar.set_style(
        ProgressStyle::with_template("{spinner} simulating {msg} [{bar:30}] {percent}% · eta {eta}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message(config.name.clone());
    let done = Mutex::new(vec![0.0; args.runs as usize]);
    let progress = |replication: u32, fraction: f64| {
        let mut done = done.lock().expect("no panics while holding the lock");
        done[replication as usize] = fraction;
        bar.set_position((done.iter().sum::<f64>() * 1000.0) as u64);
    };
    let report = fosim::simulate::simulate(&config, &source, args.runs, &progress)
        .with_context(|| format!("{}: seed {}", args.scenario.display(), config.seed))?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();

    let dir = args.out.join(&config.name);
    let plotting = Instant::now();
    let plots = if args.no_plots { Vec::new() } else { fosim::plot::files(&report)? };
    let plot_s = plotting.elapsed().as_secs_f64();
    let written = write_outputs(&dir, &report, plots)?;
    match args.format {
        Format::Text => print!("{}", report::text::render(&report)),
        Format::Json => println!("{}", String::from_utf8(report::json(&report))?),
    }
    let events: u64 = report.run_results.iter().map(|r| r.totals.events).sum();
    eprintln!(
        "\n{} in {elapsed:.2} s wall ({:.1} M events/s){} · wrote {} in {}",
        if args.runs == 1 { "simulated 1 run".to_owned() } else { format!("simulated {} runs", args.runs) },
        events as f64 / elapsed.max(1e-9) / 1e6,
        if args.no_plots { String::new() } else { format!(", plotted in {plot_s:.2} s") },
        written.join(", "),
        dir.display()
    );
    Ok(())
}

/// Writes every output file of a run; returns their names.
fn write_outputs(dir: &Path, report: &Report, plots: Vec<(String, Vec<u8>)>) -> Result<Vec<String>> {
    let mut files: Vec<(String, Vec<u8>)> = vec![("report.json".into(), report::json(report))];
    if let Some(trace) = &report.trace {
        files.push(("timeline.csv".into(), report::csv::timeline(report, trace)));
        files.push(("clients.csv".into(), report::csv::clients(report, trace)));
        files.push(("checkers.csv".into(), report::csv::checkers(trace)));
    }
    files.extend(plots);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the output directory {}", dir.display()))?;
    for (name, bytes) in &files {
        write_atomically(&dir.join(name), bytes)?;
    }
    Ok(files.iter().map(|(name, _)| name.to_string()).collect())
}

/// `fosim plot`: rebuilds the report with its trace from the saved files and redraws.
fn plot(dir: &Path, out: &Path) -> Result<()> {
    let read =
        |name: &str| std::fs::read(dir.join(name)).with_context(|| format!("cannot read {}", dir.join(name).display()));
    let mut report: Report = serde_json::from_slice(&read("report.json")?)
        .with_context(|| format!("{}: not a fosim report", dir.join("report.json").display()))?;
    if report.schema_version != report::SCHEMA_VERSION {
        bail!(
            "{}: report schema {} (fosim {}), but this fosim reads schema {}",
            dir.join("report.json").display(),
            report.schema_version,
            report.fosim_version,
            report::SCHEMA_VERSION
        );
    }
    let trace = report::csv::read_trace(&report, &read("timeline.csv")?, &read("clients.csv")?, &read("checkers.csv")?)
        .with_context(|| format!("in {}", dir.display()))?;
    report.trace = Some(trace);
    let files = fosim::plot::files(&report)?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for (name, bytes) in &files {
        write_atomically(&out.join(name), bytes)?;
    }
    eprintln!("wrote {} in {}", files.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", "), out.display());
    Ok(())
}

/// Writes to a temporary name in the same directory, then renames: a crash never leaves a
/// half-written file under the real name.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let file_name = path.file_name().and_then(|n| n.to_str()).context("an output file name")?;
    let temporary = path.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
    let mut file =
        std::fs::File::create(&temporary).with_context(|| format!("cannot write {}", temporary.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("cannot rename {} to {}", temporary.display(), path.display()))?;
    Ok(())
}

fn validate(paths: &[PathBuf]) -> Result<()> {
    let mut failed = 0;
    for path in paths {
        match load(path, None) {
            Ok((config, _)) => {
                println!("{}: ok ({})", path.display(), config.name);
                for w in &config.warnings {
                    println!("{}: warning: {w}", path.display());
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}");
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} scenario files have errors", paths.len());
    }
    Ok(())
}

/// What the kernel says is available, or a conservative 8 GiB where it does not say.
fn memory_available_bytes() -> u64 {
    let fallback = 8 << 30;
    let Ok(meminfo) = std::fs::read_to_string("/proc/meminfo") else { return fallback };
    meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemAvailable:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(fallback, |kib| kib * 1024)
}
