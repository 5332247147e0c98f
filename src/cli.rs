//! The command line: clap definitions and the glue that runs each command. The only place
//! that writes files or touches stdout, the terminal, the environment and the wall clock;
//! files are read through `fosim::input`. Also the panic hook, which turns a bug into a
//! report the user can send.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use fosim::input::{self, InputError};
use fosim::report::{self, Report};
use fosim::scenario::{self, Config};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// What a bug report needs besides the command line: the input file being worked on and
/// the run's seed, as far as the command knows them yet.
///
/// There is no global state for it: the panic hook owns its copy, and the CLI installs a new
/// hook (`install_panic_hook`) whenever it learns more — the file before reading it, the
/// seed once the scenario is loaded (with `--seed` applied). The hook is process-wide, so a
/// panic on any thread (replications run on rayon's workers) sees the latest one.
#[derive(Clone, Default)]
pub struct Repro {
    /// The file, and what it is ("scenario", "sweep file", "run directory", …).
    pub file: Option<(&'static str, PathBuf)>,
    /// The run's seed; replications derive theirs from it.
    pub seed: Option<u64>,
}

impl Repro {
    fn file(what: &'static str, path: &Path) -> Self {
        Repro { file: Some((what, path.to_owned())), seed: None }
    }
}

/// Environment variable that makes `fosim run` panic on purpose once its scenario is
/// loaded (just before simulating), so that tests can see the panic hook's report. Not for
/// users; it has no other effect.
const TEST_PANIC: &str = "FOSIM_TEST_PANIC";

/// Replaces the panic hook with one that says, in plain words, that fosim has a bug, and
/// prints what is needed to reproduce it: fosim's version, the command line, the file and
/// seed from `repro`, the panic's message and location. Rust then unwinds and exits with
/// status 101 as usual. Only the first panic gets the full report (several replications may
/// hit the same bug at once); `RUST_BACKTRACE=1` adds a backtrace.
pub fn install_panic_hook(repro: Repro) {
    let command = std::env::args_os().map(|a| shell_word(&a.to_string_lossy())).collect::<Vec<_>>().join(" ");
    let reported = AtomicBool::new(false);
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_owned());
        let location = info.location().map_or_else(|| "unknown".to_owned(), |l| l.to_string());
        let thread = std::thread::current().name().unwrap_or("unnamed").to_owned();
        if reported.swap(true, Ordering::SeqCst) {
            eprintln!("fosim: another panic (thread {thread}): {message} at {location}");
            return;
        }
        let mut text = String::from("\nfosim crashed. This is a bug in fosim, not a problem with your input.\n\n");
        text += &format!("  fosim version: {}\n", env!("CARGO_PKG_VERSION"));
        text += &format!("  command:       {command}\n");
        if let Some((what, path)) = &repro.file {
            text += &format!("  {:<15}{}\n", format!("{what}:"), path.display());
        }
        if let Some(seed) = repro.seed {
            text += &format!("  seed:          {seed}\n");
        }
        text += &format!("  panic:         {message}\n");
        text += &format!("  at:            {location} (thread {thread})\n");
        let backtrace = std::backtrace::Backtrace::capture();
        if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
            text += &format!("\nbacktrace:\n{backtrace}\n");
        }
        text += "\nPlease report it to fosim's maintainers (an issue in fosim's repository) with this message";
        text += &match &repro.file {
            Some((what, path)) => format!(
                "\nand the {what} {} attached: fosim is deterministic, so the same command on the\nsame file{} reproduces the bug.\n",
                path.display(),
                if repro.seed.is_some() { " and seed" } else { "" }
            ),
            None => ".\n".to_owned(),
        };
        eprint!("{text}");
    }));
}

/// A command-line word as a POSIX shell reads it back: quoted when it has to be.
fn shell_word(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

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
    /// Print the JSON Schema of scenario files (for editors); `--sweep`: of sweep files.
    Schema {
        /// Print the schema of sweep files instead.
        #[arg(long)]
        sweep: bool,
    },
    /// Run a parameter sweep: a grid over JSON Pointers into a base scenario.
    Sweep(SweepArgs),
    /// Run a sweep and recommend the best point for an objective under constraints.
    Tune {
        #[command(flatten)]
        sweep: SweepArgs,
        /// The figure to minimise (overrides the sweep file's objective), e.g.
        /// /episodes/0/client_failover_s/p99.
        #[arg(long)]
        minimize: Option<String>,
        /// A bound on a figure's mean: "FIGURE<=X" or "FIGURE>=X"; repeatable.
        #[arg(long = "constraint")]
        constraints: Vec<String>,
        /// Recommend separately for each value of this swept parameter (a JSON Pointer).
        #[arg(long)]
        for_each: Option<String>,
    },
    /// Join the shard outputs of a sweep (DIR/shards/*.json) into its results.
    Merge {
        /// The sweep's output directory, e.g. out/interval-threshold.
        dir: PathBuf,
    },
    /// Benchmarks: the bundled small and large scenarios, with wall time, events and requests
    /// per second, peak memory, and a bare-heap yardstick at the same queue size.
    Bench(BenchArgs),
    /// One benchmark measurement in a fresh process (used by `bench`).
    #[command(hide = true)]
    BenchOne {
        scenario: PathBuf,
        #[arg(long, default_value_t = 1)]
        runs: u32,
        #[arg(long)]
        exact_requests: bool,
        #[arg(long, default_value_t = 1.0)]
        rate_scale: f64,
        /// Time all of `fosim run` in memory instead of the replications alone: loading,
        /// simulating with the trace, the summary, the text, JSON and CSV renderers, and
        /// (without --no-plots) the plots and report.html.
        #[arg(long)]
        pipeline: bool,
        #[arg(long)]
        no_plots: bool,
    },
    /// Make a scenario from a real zone: AWS CLI output, `terraform show -json` or a
    /// CloudFormation template.
    Import {
        #[command(subcommand)]
        source: ImportSource,
        #[command(flatten)]
        output: ImportArgs,
    },
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
    /// Simulate every request as its own event instead of aggregating the requests that
    /// change nothing (slower; the reference the aggregated model is tested against).
    #[arg(long)]
    pub exact_requests: bool,
}

#[derive(Subcommand)]
pub enum ImportSource {
    /// The JSON of `aws route53 list-resource-record-sets` and of `list-health-checks` or
    /// `get-health-check`.
    Aws {
        /// Output of `aws route53 list-resource-record-sets --hosted-zone-id Z…`.
        #[arg(long)]
        record_sets: PathBuf,
        /// Output of `aws route53 list-health-checks` or `get-health-check` (repeatable).
        #[arg(long = "health-checks")]
        health_checks: Vec<PathBuf>,
        /// Keep only the records of this zone (e.g. example.com).
        #[arg(long)]
        zone: Option<String>,
    },
    /// The JSON of `terraform show -json` (state) or `terraform show -json PLANFILE`.
    Terraform { file: PathBuf },
    /// A CloudFormation template in JSON.
    Cloudformation { file: PathBuf },
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// Where to write the scenario (default: print it).
    #[arg(long, global = true)]
    pub out: Option<PathBuf>,
    /// The scenario's name (default: the zone's name, else the first file's name).
    #[arg(long, global = true)]
    pub name: Option<String>,
    /// Then run it, like `fosim run`, writing to out/<name>/ (the scenario goes to
    /// out/<name>.json unless --out says otherwise).
    #[arg(long, global = true)]
    pub run: bool,
}

#[derive(clap::Args)]
pub struct SweepArgs {
    /// Sweep file (JSON).
    pub sweep: PathBuf,
    /// Output directory; files go to DIR/<sweep name>/.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Run only slice I of N (1-based) of the grid, for cluster array jobs; join the
    /// slices with `fosim merge`.
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<fosim::sweep::run::Shard>,
    /// With an objective, also write the recommended changes as Route 53 inputs ("aws":
    /// `aws route53 update-health-check` / `change-resource-record-sets` files) or a
    /// Terraform snippet ("terraform"), in DIR/<sweep name>/export/. The base scenario
    /// must come from `fosim import`.
    #[arg(long, value_enum)]
    pub export: Option<ExportFormat>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Aws,
    Terraform,
}

impl From<ExportFormat> for fosim::import::export::Target {
    fn from(format: ExportFormat) -> Self {
        match format {
            ExportFormat::Aws => Self::Aws,
            ExportFormat::Terraform => Self::Terraform,
        }
    }
}

fn parse_shard(text: &str) -> Result<fosim::sweep::run::Shard, String> {
    fosim::sweep::run::Shard::parse(text)
}

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Scenario files to measure (default: scenarios/bench/small.json and large.json).
    #[arg(long = "scenario")]
    pub scenarios: Vec<PathBuf>,
    /// Simulate every request as its own event.
    #[arg(long)]
    pub exact_requests: bool,
    /// Skip the extra measurements (doubled request rate; runs on 1 vs all threads).
    #[arg(long)]
    pub quick: bool,
    /// Instead, measure how all of `fosim run` grows with the number of client groups
    /// (one client each): for each count (default 1250,2500,5000,10000,20000), the time of
    /// each stage, and the log-log slope of time against groups (1: linear).
    #[arg(long, value_delimiter = ',', num_args = 0..)]
    pub groups: Option<Vec<usize>>,
    /// With --groups: leave out the plots and report.html.
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
        Command::Import { source, output } => import(source, output),
        Command::Sweep(args) => sweep(&args, None),
        Command::Tune { sweep: args, minimize, constraints, for_each } => {
            let objective = objective_override(minimize, &constraints, for_each)?;
            sweep(&args, Some(objective))
        }
        Command::Merge { dir } => merge(&dir),
        Command::Bench(args) => bench(&args),
        Command::BenchOne { scenario, runs, exact_requests, rate_scale, pipeline: true, no_plots } => {
            bench_pipeline(&scenario, runs, exact_requests, rate_scale, no_plots)
        }
        Command::BenchOne { scenario, runs, exact_requests, rate_scale, pipeline: false, .. } => {
            bench_one(&scenario, runs, exact_requests, rate_scale)
        }
        Command::Schema { sweep } => {
            let schema = if sweep { fosim::sweep::json_schema() } else { scenario::json_schema() };
            println!("{}", serde_json::to_string_pretty(&schema)?);
            Ok(())
        }
    }
}

/// Loads and validates a scenario, applying a seed override.
fn load(path: &Path, seed: Option<u64>, exact_requests: bool) -> Result<(Config, serde_json::Value), InputError> {
    let (parsed, source) = scenario::config::load(path)?;
    let mut config = scenario::config::build(&parsed, path)?;
    if let Some(seed) = seed {
        config.seed = seed;
    }
    config.check_fits(path, memory_available_bytes(), exact_requests)?;
    Ok((config, source))
}

fn import(source: ImportSource, args: ImportArgs) -> Result<()> {
    use fosim::import;
    let input = match &source {
        ImportSource::Aws { record_sets, .. } => Repro::file("record sets file", record_sets),
        ImportSource::Terraform { file } => Repro::file("Terraform file", file),
        ImportSource::Cloudformation { file } => Repro::file("CloudFormation template", file),
    };
    install_panic_hook(input);
    let zone = match &source {
        ImportSource::Aws { record_sets, health_checks, zone } => {
            import::aws::read(record_sets, health_checks, zone.as_deref())?
        }
        ImportSource::Terraform { file } => import::terraform::read(file)?,
        ImportSource::Cloudformation { file } => import::cloudformation::read(file)?,
    };
    let name = args.name.clone().unwrap_or_else(|| import::scenario::default_name(&zone));
    let imported = import::scenario::build(&zone, &name)?;
    let mut text = serde_json::to_string_pretty(&imported.scenario)?;
    text.push('\n');
    // The scenario must load and validate as is; a failure here is fosim's bug.
    let scratch = PathBuf::from(format!("{name}.json"));
    let config = scenario::config::parse(&scratch, &text)
        .and_then(|(scenario, _)| scenario::config::build(&scenario, &scratch))
        .map_err(|e| anyhow::anyhow!("the imported scenario does not validate (a bug in fosim import): {e}"))?;
    let warnings = &config.warnings;
    for warning in &imported.warnings {
        eprintln!("warning: {warning}");
    }
    let path = match (&args.out, args.run) {
        (Some(path), _) => Some(path.clone()),
        (None, true) => Some(PathBuf::from("out").join(format!("{name}.json"))),
        (None, false) => None,
    };
    match &path {
        Some(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| fs_error(e, format!("cannot create {}", parent.display())))?;
            }
            write_atomically(path, text.as_bytes())?;
            eprintln!(
                "wrote {} ({} record sets, {} health checks, {} endpoints, {} client groups; {} warnings)",
                path.display(),
                config.records.len(),
                imported.scenario["health_checks"].as_object().map_or(0, |c| c.len()),
                config.endpoints.len(),
                config.groups.len(),
                imported.warnings.len() + warnings.len()
            );
        }
        None => print!("{text}"),
    }
    if args.run {
        let scenario = path.expect("--run writes the scenario");
        return run(RunArgs {
            scenario,
            seed: None,
            runs: 1,
            out: PathBuf::from("out"),
            format: Format::Text,
            no_plots: false,
            exact_requests: false,
        });
    }
    Ok(())
}

fn run(args: RunArgs) -> Result<()> {
    install_panic_hook(Repro::file("scenario", &args.scenario));
    let (config, source) = load(&args.scenario, args.seed, args.exact_requests)?;
    install_panic_hook(Repro { seed: Some(config.seed), ..Repro::file("scenario", &args.scenario) });
    config.check_runs_fit(&args.scenario, args.runs, memory_available_bytes())?;
    if std::env::var_os(TEST_PANIC).is_some() {
        panic!("{TEST_PANIC} is set: a deliberate panic, to test the panic hook");
    }
    let started = Instant::now();
    let bar = ProgressBar::new(1000 * u64::from(args.runs));
    bar.set_style(
        ProgressStyle::with_template("{spinner} simulating {msg} [{bar:30}] {percent}% · eta {eta}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message(config.name.clone());
    let last_line = Mutex::new(Instant::now());
    // Each replication's fraction done, and their sum kept as it changes (summing them all
    // at every update would cost runs² over a run).
    let done = Mutex::new((vec![0.0; args.runs as usize], 0.0));
    let progress = |replication: u32, fraction: f64| {
        let mut done = done.lock().expect("no panics while holding the lock");
        let (fractions, sum) = &mut *done;
        *sum += fraction - std::mem::replace(&mut fractions[replication as usize], fraction);
        bar.set_position((*sum * 1000.0) as u64);
        progress_line(&bar, &last_line);
    };
    let report = fosim::simulate::simulate(&config, &source, args.runs, args.exact_requests, &progress)
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

/// Where the progress bar is not drawn (stderr is not a terminal: a pipe, a CI log), a
/// plain line every 10 s says how far the work is.
fn progress_line(bar: &ProgressBar, last_line: &Mutex<Instant>) {
    if !bar.is_hidden() {
        return;
    }
    let mut last = last_line.lock().expect("no panics while holding the lock");
    if last.elapsed().as_secs() >= 10 {
        *last = Instant::now();
        let done = bar.position() as f64 / bar.length().unwrap_or(1).max(1) as f64;
        eprintln!("{}: {:.0} % done, about {} s left", bar.message(), 100.0 * done, bar.eta().as_secs());
    }
}

/// Writes every output file of a run; returns their names.
fn write_outputs(dir: &Path, report: &Report, plots: Vec<(String, Vec<u8>)>) -> Result<Vec<String>> {
    let mut files: Vec<(String, Vec<u8>)> = vec![("report.json".into(), report::json(report))];
    if let Some(trace) = &report.trace {
        files.push(("timeline.csv".into(), report::csv::timeline(report, trace)));
        files.push(("clients.csv".into(), report::csv::clients(report, trace)));
        files.push(("checkers.csv".into(), report::csv::checkers(trace)));
        if report::csv::has_datapoints(report) {
            files.push(("datapoints.csv".into(), report::csv::datapoints(trace)));
        }
    }
    files.extend(plots);
    write_files(dir, &files)?;
    Ok(files.iter().map(|(name, _)| name.to_string()).collect())
}

/// The objective of `fosim tune`: from the flags, else the sweep file's (None: use the file).
fn objective_override(
    minimize: Option<String>,
    constraints: &[String],
    for_each: Option<String>,
) -> Result<Option<fosim::sweep::Objective>> {
    let subject_to = constraints
        .iter()
        .map(|c| {
            let (metric, max, min) = if let Some((m, x)) = c.split_once("<=") {
                (m, Some(x), None)
            } else if let Some((m, x)) = c.split_once(">=") {
                (m, None, Some(x))
            } else {
                bail!("--constraint \"{c}\": expected FIGURE<=X or FIGURE>=X");
            };
            let number = |x: &str| {
                x.trim().parse::<f64>().with_context(|| format!("--constraint \"{c}\": \"{x}\" is not a number"))
            };
            Ok(fosim::sweep::Constraint {
                metric: metric.trim().to_owned(),
                max: max.map(number).transpose()?,
                min: min.map(number).transpose()?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    match minimize {
        Some(minimize) => Ok(Some(fosim::sweep::Objective { minimize, subject_to, for_each })),
        None if subject_to.is_empty() && for_each.is_none() => Ok(None),
        None => bail!("--constraint needs --minimize (or an objective in the sweep file to replace)"),
    }
}

/// `fosim sweep` and `fosim tune`. `tune` is `Some(objective override)`.
fn sweep(args: &SweepArgs, tune: Option<Option<fosim::sweep::Objective>>) -> Result<()> {
    install_panic_hook(Repro::file("sweep file", &args.sweep));
    let mut sweep = fosim::sweep::load(&args.sweep)?;
    install_panic_hook(Repro { seed: Some(sweep.base.seed), ..Repro::file("sweep file", &args.sweep) });
    // Points run in parallel: each may use its share of the memory.
    let share = memory_available_bytes() / rayon::current_num_threads().max(1) as u64;
    for config in std::iter::once(&sweep.base).chain(&sweep.configs) {
        config.check_fits(&args.sweep, share, false)?;
    }
    if let Some(objective) = &tune {
        if let Some(o) = objective {
            sweep.objective = Some(o.clone());
        }
        if sweep.objective.is_none() {
            bail!(
                "{}: fosim tune needs an objective: an \"objective\" block in the sweep file, or --minimize",
                args.sweep.display()
            );
        }
    }
    fosim::sweep::run::check_metrics(&sweep)?;
    // Everything that would stop the export is checked before the sweep runs.
    if let Some(format) = args.export {
        if sweep.base_source.get("origin").is_none_or(|o| !o.is_object()) {
            bail!(
                "{}: --export needs a base scenario made by `fosim import` (it keeps the ids of your health checks and records in \"origin\"); this one has none",
                args.sweep.display()
            );
        }
        if sweep.objective.is_none() {
            bail!(
                "{}: --export needs an objective: use fosim tune, or a sweep file with an \"objective\" block",
                args.sweep.display()
            );
        }
        fosim::import::export::exportable(&sweep.base_source, format.into())
            .map_err(|why| anyhow::anyhow!("{}: cannot export: {why}", args.sweep.display()))?;
    }
    let owned = (0..sweep.points.len()).filter(|&p| args.shard.is_none_or(|s| s.owns(p))).count();
    // A base equal to a grid point is not run again.
    let with_base = usize::from(sweep.base_point.is_none() && args.shard.is_none_or(|s| s.index == 1));
    let total_runs = (owned + with_base) as u64 * u64::from(sweep.runs);
    eprintln!(
        "{}: {} points × {} runs{}",
        sweep.name,
        sweep.points.len(),
        sweep.runs,
        args.shard.map_or(String::new(), |s| format!(", shard {}/{} runs {owned} of them", s.index, s.count))
    );
    if let Some(p) = sweep.base_point {
        eprintln!("the base scenario is the point {}: its results are reused", sweep.describe_point(p));
    }
    let started = Instant::now();
    let bar = ProgressBar::new((owned + with_base) as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos}/{len} points [{bar:30}] {msg} · eta {eta}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let runs_per_point = sweep.runs;
    let last_line = Mutex::new(Instant::now());
    let progress = |points: usize| {
        bar.inc(points as u64);
        let rate = bar.position() as f64 * f64::from(runs_per_point) / started.elapsed().as_secs_f64().max(1e-9);
        bar.set_message(format!("{rate:.0} runs/s"));
        progress_line(&bar, &last_line);
    };
    let results =
        fosim::sweep::run::run(&sweep, args.shard, &progress).with_context(|| format!("{}", args.sweep.display()))?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let dir = args.out.join(&sweep.name);
    eprintln!(
        "ran {} runs in {elapsed:.1} s ({:.1} runs/s, {:.2} points/s)",
        total_runs,
        total_runs as f64 / elapsed.max(1e-9),
        (owned + with_base) as f64 / elapsed.max(1e-9)
    );
    if let Some(shard) = args.shard {
        let file = fosim::sweep::run::ShardFile {
            shard: shard.index,
            of: shard.count,
            points_total: sweep.points.len(),
            results,
        };
        let shards = dir.join("shards");
        let name = format!("shard-{}-of-{}.json", shard.index, shard.count);
        write_files(&shards, &[(name.clone(), fosim::sweep::output::json_bytes(&file))])?;
        let path = shards.join(name);
        eprintln!("wrote {}; when every shard is done: fosim merge {}", path.display(), dir.display());
        return Ok(());
    }
    finish_sweep(&dir, &results)?;
    match args.export {
        Some(format) => export(&dir, &results, format),
        None => Ok(()),
    }
}

/// Writes a sweep's outputs and prints its table (and recommendation).
/// Writes the recommended changes of each recommendation group under DIR/export/.
fn export(dir: &Path, results: &fosim::sweep::run::SweepResults, format: ExportFormat) -> Result<()> {
    use fosim::import::export::{self, Target};
    let Some(objective) = &results.objective else {
        bail!("--export needs an objective: use fosim tune, or a sweep file with an \"objective\" block");
    };
    let target = Target::from(format);
    let recommendation = fosim::sweep::tune::recommend(results, objective);
    let except = objective.for_each.as_ref().and_then(|p| results.parameters.iter().position(|q| &q.pointer == p));
    let root = dir.join("export");
    let several = recommendation.groups.len() > 1;
    for group in &recommendation.groups {
        let Some(best) = &group.best else {
            eprintln!("export: {}: no point meets every constraint; nothing exported", group.label);
            continue;
        };
        let point = &results.points[best.point];
        let changes: Vec<(String, serde_json::Value)> = fosim::sweep::tune::patch(results, point, except)
            .as_array()
            .expect("a patch is a list")
            .iter()
            .map(|op| (op["path"].as_str().unwrap_or_default().to_owned(), op["value"].clone()))
            .collect();
        let label = if several { format!("{} ({})", best.settings, group.label) } else { best.settings.clone() };
        let files = export::export(&results.scenario, &changes, target, &label)
            .map_err(|why| anyhow::anyhow!("cannot export: {why}"))?;
        let out = if several {
            root.join(group.label.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect::<String>())
        } else {
            root.clone()
        };
        write_files(&out, &files)?;
        eprintln!("exported {} ({} files) to {}", label, files.len(), out.display());
    }
    Ok(())
}

fn finish_sweep(dir: &Path, results: &fosim::sweep::run::SweepResults) -> Result<()> {
    let mut files = fosim::sweep::output::files(results);
    files.extend(fosim::plot::sweep::files(results)?);
    write_files(dir, &files)?;
    let text = |name: &str| files.iter().find(|(n, _)| n == name).map(|(_, b)| String::from_utf8_lossy(b).into_owned());
    if let Some(table) = text("results.md") {
        // The terminal gets the head of a long table; results.md has all of it.
        const ROWS_SHOWN: usize = 60;
        let lines: Vec<&str> = table.lines().collect();
        for line in lines.iter().take(ROWS_SHOWN) {
            println!("{line}");
        }
        if lines.len() > ROWS_SHOWN {
            println!("… {} more rows in {}", lines.len() - ROWS_SHOWN, dir.join("results.md").display());
        }
    }
    if let Some(recommendation) = text("recommendation.md") {
        println!("\n{}", recommendation.trim_start_matches("```\n").trim_end_matches("```\n"));
    }
    eprintln!("wrote {} files in {}", files.len(), dir.display());
    Ok(())
}

fn merge(dir: &Path) -> Result<()> {
    install_panic_hook(Repro::file("sweep directory", dir));
    let shards_dir = dir.join("shards");
    let mut shards = Vec::new();
    let entries = std::fs::read_dir(&shards_dir).map_err(|e| {
        let reason = match e.kind() {
            std::io::ErrorKind::NotFound => "no such directory; run the shards first (fosim sweep FILE --shard I/N)",
            std::io::ErrorKind::PermissionDenied => "permission denied",
            _ => "it is not a directory fosim can list",
        };
        anyhow::anyhow!("{}: cannot read the shards: {reason}", shards_dir.display())
    })?;
    let mut names: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("shard-") && n.ends_with(".json"))
        })
        .collect();
    names.sort();
    for path in names {
        let (shard, _) = input::load::<fosim::sweep::run::ShardFile>(&path, input::SHARD)?;
        shards.push((path.display().to_string(), shard));
    }
    if shards.is_empty() {
        bail!("no shard files (shard-I-of-N.json) in {}", shards_dir.display());
    }
    let results = fosim::sweep::run::merge(shards)?;
    finish_sweep(dir, &results)
}

/// One measurement, printed as a JSON line for `bench` to read.
fn bench_one(path: &Path, runs: u32, exact_requests: bool, rate_scale: f64) -> Result<()> {
    install_panic_hook(Repro::file("scenario", path));
    let (mut config, _) = load(path, None, exact_requests)?;
    install_panic_hook(Repro { seed: Some(config.seed), ..Repro::file("scenario", path) });
    for g in &mut config.groups {
        g.requests_per_s *= rate_scale;
    }
    let started = Instant::now();
    let outputs: Vec<fosim::simulate::Replication> = {
        use rayon::prelude::*;
        let options = fosim::model::RunOptions { trace: false, exact_requests };
        (0..runs)
            .into_par_iter()
            .map(|r| fosim::simulate::replicate(&config, r, options, &mut |_| {}))
            .collect::<Result<_, _>>()?
    };
    let wall_s = started.elapsed().as_secs_f64();
    let line = serde_json::json!({
        "name": config.name,
        "runs": runs,
        "exact_requests": exact_requests,
        "rate_scale": rate_scale,
        "wall_s": wall_s,
        "events": outputs.iter().map(|o| o.result.totals.events).sum::<u64>(),
        "requests": outputs.iter().map(|o| o.result.totals.requests).sum::<u64>(),
        "pending_peak": outputs.iter().map(|o| o.pending_peak).max().unwrap_or(0),
        "peak_rss_bytes": peak_rss_bytes(),
    });
    println!("{line}");
    Ok(())
}

/// One measurement of all of `fosim run` but the writing of files, stage by stage, printed
/// as a JSON line for `bench --groups` to read.
fn bench_pipeline(path: &Path, runs: u32, exact_requests: bool, rate_scale: f64, no_plots: bool) -> Result<()> {
    install_panic_hook(Repro::file("scenario", path));
    let started = Instant::now();
    let (mut config, source) = load(path, None, exact_requests)?;
    for g in &mut config.groups {
        g.requests_per_s *= rate_scale;
    }
    let load_s = started.elapsed().as_secs_f64();
    let stage = Instant::now();
    let report = fosim::simulate::simulate(&config, &source, runs, exact_requests, &|_, _| {})?;
    let simulate_s = stage.elapsed().as_secs_f64();
    let stage = Instant::now();
    let mut bytes = report::text::render(&report).len() + report::json(&report).len();
    if let Some(trace) = &report.trace {
        bytes += report::csv::timeline(&report, trace).len()
            + report::csv::clients(&report, trace).len()
            + report::csv::checkers(trace).len();
    }
    let report_s = stage.elapsed().as_secs_f64();
    let stage = Instant::now();
    if !no_plots {
        bytes += fosim::plot::files(&report)?.iter().map(|(_, b)| b.len()).sum::<usize>();
    }
    let plot_s = stage.elapsed().as_secs_f64();
    let line = serde_json::json!({
        "name": config.name,
        "runs": runs,
        "groups": config.groups.len(),
        "wall_s": started.elapsed().as_secs_f64(),
        "load_s": load_s,
        "simulate_s": simulate_s,
        "report_s": report_s,
        "plot_s": plot_s,
        "output_bytes": bytes,
        "events": report.run_results.iter().map(|r| r.totals.events).sum::<u64>(),
        "requests": report.run_results.iter().map(|r| r.totals.requests).sum::<u64>(),
        "peak_rss_bytes": peak_rss_bytes(),
    });
    println!("{line}");
    Ok(())
}

/// The process's peak resident memory (VmHWM), where the kernel reports it.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(kib * 1024)
}

fn measure(args: &[String], threads: Option<usize>) -> Result<serde_json::Value> {
    let exe = std::env::current_exe().context("cannot find the fosim executable")?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("bench-one").args(args);
    if let Some(t) = threads {
        cmd.env("RAYON_NUM_THREADS", t.to_string());
    }
    let output = cmd.output().context("cannot start a benchmark process")?;
    if !output.status.success() {
        bail!("benchmark {} failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

fn bench(args: &BenchArgs) -> Result<()> {
    if let Some(groups) = &args.groups {
        let groups = if groups.is_empty() { fosim::bench::GROUP_COUNTS.to_vec() } else { groups.clone() };
        return bench_groups(&groups, args.no_plots);
    }
    let scenarios = if args.scenarios.is_empty() {
        vec![PathBuf::from("scenarios/bench/small.json"), PathBuf::from("scenarios/bench/large.json")]
    } else {
        args.scenarios.clone()
    };
    let mode = if args.exact_requests { vec!["--exact-requests".to_owned()] } else { Vec::new() };
    println!(
        "mode: {}",
        if args.exact_requests { "exact requests (one event per request)" } else { "aggregated requests (default)" }
    );
    println!(
        "{:<14} {:>9} {:>13} {:>11} {:>14} {:>9} {:>10} {:>13} {:>13} {:>8} {:>8}",
        "scenario",
        "wall s",
        "events",
        "M events/s",
        "M requests/s",
        "peak MiB",
        "queue",
        "heap M ops/s",
        "engine M/s",
        "model/heap",
        "engine/heap"
    );
    for path in &scenarios {
        bench_scenario(path, &mode)?;
    }
    if args.quick {
        return Ok(());
    }
    if let Some(large) = scenarios.iter().find(|p| p.to_string_lossy().contains("large")) {
        bench_doubled_rate(large, &mode)?;
    }
    if let Some(small) = scenarios.iter().find(|p| p.to_string_lossy().contains("small")) {
        bench_threads(small, &mode)?;
    }
    Ok(())
}

/// `fosim bench --groups`: all of `fosim run` (files aside) on the scenario of
/// `fosim::bench::groups_scenario` for each count of groups, each in a fresh process; then
/// the log-log slope of each stage's time, and of the events, against the count.
fn bench_groups(counts: &[usize], no_plots: bool) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("fosim-bench-groups-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| fs_error(e, format!("cannot create {}", dir.display())))?;
    let measured_all = (|| -> Result<Vec<serde_json::Value>> {
        println!(
            "{:>8} {:>8} {:>10} {:>9} {:>9} {:>9} {:>13} {:>9}",
            "groups", "load s", "simulate s", "report s", "plots s", "total s", "events", "peak MiB"
        );
        let mut rows = Vec::new();
        for &n in counts {
            let path = dir.join(format!("groups-{n}.json"));
            write_atomically(&path, &serde_json::to_vec(&fosim::bench::groups_scenario(n))?)?;
            let mut args = vec![path.display().to_string(), "--pipeline".to_owned()];
            if no_plots {
                args.push("--no-plots".to_owned());
            }
            let m = measure(&args, None)?;
            std::fs::remove_file(&path).ok();
            println!(
                "{:>8} {:>8.3} {:>10.3} {:>9.3} {:>9.3} {:>9.3} {:>13} {:>9.0}",
                n,
                measured(&m, "load_s"),
                measured(&m, "simulate_s"),
                measured(&m, "report_s"),
                measured(&m, "plot_s"),
                measured(&m, "wall_s"),
                report::summary::thousands(measured(&m, "events") as u64),
                measured(&m, "peak_rss_bytes") / (1u64 << 20) as f64
            );
            rows.push(m);
        }
        Ok(rows)
    })();
    std::fs::remove_dir_all(&dir).ok();
    let rows = measured_all?;
    let slope = |key: &str| {
        let points: Vec<(f64, f64)> = rows.iter().map(|m| (measured(m, "groups"), measured(m, key))).collect();
        fosim::bench::log_log_slope(&points).map_or("–".to_owned(), |s| format!("{s:.2}"))
    };
    println!(
        "log-log slope against groups (1 = linear, 2 = quadratic): load {}, simulate {}, report {}, plots {}, total {}, events {}",
        slope("load_s"),
        slope("simulate_s"),
        slope("report_s"),
        if no_plots { "–".to_owned() } else { slope("plot_s") },
        slope("wall_s"),
        slope("events")
    );
    Ok(())
}

/// The arguments of a `bench-one` run: the scenario, then `extra`, then the mode flags.
fn bench_one_args(path: &Path, extra: &[&str], mode: &[String]) -> Vec<String> {
    let mut args = vec![path.display().to_string()];
    args.extend(extra.iter().map(|a| a.to_string()));
    args.extend(mode.iter().cloned());
    args
}

/// A number from a `bench-one` measurement (0 where it is missing).
fn measured(m: &serde_json::Value, key: &str) -> f64 {
    m[key].as_f64().unwrap_or(0.0)
}

/// One row of the table: the scenario's throughput, next to a bare heap and the bare
/// engine holding as many pending events, so the model's own cost stands out.
fn bench_scenario(path: &Path, mode: &[String]) -> Result<()> {
    let m = measure(&bench_one_args(path, &[], mode), None)?;
    let (wall, events, requests) = (measured(&m, "wall_s"), measured(&m, "events"), measured(&m, "requests"));
    let size = (m["pending_peak"].as_u64().unwrap_or(1) as usize).max(1);
    let ops = (events as u64).clamp(1_000_000, 20_000_000);
    let started = Instant::now();
    let checksum = fosim::bench::heap_hold(size, ops, 1);
    let heap_rate = ops as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let checksum = checksum ^ fosim::bench::engine_hold(size, ops, 1);
    let engine_rate = ops as f64 / started.elapsed().as_secs_f64();
    std::hint::black_box(checksum);
    let model_rate = events / wall;
    println!(
        "{:<14} {:>9.2} {:>13} {:>11.2} {:>14.1} {:>9.0} {:>10} {:>13.2} {:>13.2} {:>8.2} {:>8.2}",
        m["name"].as_str().unwrap_or("?"),
        wall,
        report::summary::thousands(events as u64),
        model_rate / 1e6,
        requests / wall / 1e6,
        measured(&m, "peak_rss_bytes") / (1u64 << 20) as f64,
        size,
        heap_rate / 1e6,
        engine_rate / 1e6,
        model_rate / heap_rate,
        engine_rate / heap_rate
    );
    Ok(())
}

/// How wall time grows when every client requests twice as often.
fn bench_doubled_rate(large: &Path, mode: &[String]) -> Result<()> {
    let doubled = measure(&bench_one_args(large, &["--rate-scale", "2"], mode), None)?;
    let base = measure(&bench_one_args(large, &[], mode), None)?;
    println!(
        "doubling every request rate in {}: {:.2} s → {:.2} s wall ({:+.1} %)",
        large.display(),
        measured(&base, "wall_s"),
        measured(&doubled, "wall_s"),
        100.0 * (measured(&doubled, "wall_s") / measured(&base, "wall_s") - 1.0)
    );
    Ok(())
}

/// How well replications use the threads: eight runs on one thread versus on all.
fn bench_threads(small: &Path, mode: &[String]) -> Result<()> {
    let args = bench_one_args(small, &["--runs", "8"], mode);
    let one = measure(&args, Some(1))?;
    let all = measure(&args, None)?;
    println!(
        "--runs 8 of {}: {:.2} s on 1 thread, {:.2} s on {} threads ({:.2}× faster)",
        small.display(),
        measured(&one, "wall_s"),
        measured(&all, "wall_s"),
        rayon::current_num_threads(),
        measured(&one, "wall_s") / measured(&all, "wall_s")
    );
    Ok(())
}

/// `fosim plot`: rebuilds the report with its trace from the saved files and redraws.
fn plot(dir: &Path, out: &Path) -> Result<()> {
    install_panic_hook(Repro::file("run directory", dir));
    let read = |name: &str| input::read(&dir.join(name), input::RUN_CSV);
    let (mut report, _) = input::load::<Report>(&dir.join("report.json"), input::REPORT)?;
    if report.schema_version != report::SCHEMA_VERSION {
        bail!(
            "{}: report schema {} (fosim {}), but this fosim reads schema {}",
            dir.join("report.json").display(),
            report.schema_version,
            report.fosim_version,
            report::SCHEMA_VERSION
        );
    }
    let mut trace =
        report::csv::read_trace(&report, &read("timeline.csv")?, &read("clients.csv")?, &read("checkers.csv")?)
            .with_context(|| format!("in {}", dir.display()))?;
    if report::csv::has_datapoints(&report) {
        trace.datapoints =
            report::csv::read_datapoints(&read("datapoints.csv")?).with_context(|| format!("in {}", dir.display()))?;
    }
    report.trace = Some(trace);
    let files = fosim::plot::files(&report)?;
    write_files(out, &files)?;
    eprintln!("wrote {} in {}", files.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", "), out.display());
    Ok(())
}

/// A file-system error in plain words after what fosim was doing (not the OS's "os error N").
fn fs_error(e: std::io::Error, doing: String) -> anyhow::Error {
    use std::io::ErrorKind::*;
    let reason = match e.kind() {
        NotFound => "a directory on the way does not exist".to_owned(),
        PermissionDenied => "permission denied".to_owned(),
        AlreadyExists => "something else already has that name".to_owned(),
        NotADirectory => "a file stands where a directory is needed".to_owned(),
        IsADirectory => "a directory stands where a file is needed".to_owned(),
        ReadOnlyFilesystem => "the file system is read-only".to_owned(),
        StorageFull | QuotaExceeded => "the disk is full".to_owned(),
        _ => {
            let text = e.to_string();
            text.split(" (os error").next().unwrap_or(&text).to_lowercase()
        }
    };
    anyhow::anyhow!("{doing}: {reason}")
}

/// Writes `files` (name, bytes) into `dir`, creating it if need be, each atomically; first
/// removes the temporary files that fosim processes killed while writing there left behind.
/// A run killed part-way leaves each output either as it was or complete, never half
/// written; the set of files may mix the two runs until a run completes.
fn write_files(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| fs_error(e, format!("cannot create the output directory {}", dir.display())))?;
    remove_stale_temporaries(dir);
    for (name, bytes) in files {
        write_atomically(&dir.join(name), bytes)?;
    }
    Ok(())
}

/// Removes from `dir` the temporary files of `write_atomically` (`.<name>.tmp-<pid>`) whose
/// process is gone: a fosim killed between creating one and renaming it (SIGKILL, the OOM
/// killer, a cluster's time limit). Only where `/proc` says which processes live (Linux);
/// the file of a live process, such as another fosim writing the same directory, stays.
/// Best effort: a file that cannot be removed is left, as it is harmless.
fn remove_stale_temporaries(dir: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(temporary_pid) else { continue };
        let gone = pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists();
        if gone && entry.file_type().is_ok_and(|t| t.is_file()) {
            std::fs::remove_file(entry.path()).ok();
        }
    }
}

/// The process id in the name of a temporary file of `write_atomically`, `.<name>.tmp-<pid>`.
fn temporary_pid(file_name: &str) -> Option<u32> {
    let (name, pid) = file_name.strip_prefix('.')?.rsplit_once(".tmp-")?;
    if name.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Writes to a temporary name in the same directory, then renames: a crash never leaves a
/// half-written file under the real name (a temporary file may stay behind, until
/// `write_files` writes to that directory again).
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let file_name = path.file_name().and_then(|n| n.to_str()).context("an output file name")?;
    let temporary = path.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
    let mut file =
        std::fs::File::create(&temporary).map_err(|e| fs_error(e, format!("cannot write {}", temporary.display())))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| fs_error(e, format!("cannot write {}", temporary.display())))?;
    std::fs::rename(&temporary, path)
        .map_err(|e| fs_error(e, format!("cannot rename {} to {}", temporary.display(), path.display())))?;
    Ok(())
}

fn validate(paths: &[PathBuf]) -> Result<()> {
    let mut failed = 0;
    for path in paths {
        install_panic_hook(Repro::file("scenario", path));
        match load(path, None, false) {
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

#[cfg(test)]
mod tests {
    use super::temporary_pid;

    #[test]
    fn only_the_names_of_temporary_files_give_a_pid() {
        assert_eq!(temporary_pid(".report.json.tmp-4242"), Some(4242));
        assert_eq!(temporary_pid(".a.tmp-b.tmp-7"), Some(7));
        for name in [
            "report.json",
            "report.json.tmp-1",
            ".tmp-1",
            "..tmp-1",
            ".report.json.tmp-",
            ".x.tmp-12a",
            ".x.tmp-99999999999",
        ] {
            assert_eq!(temporary_pid(name), None, "{name}");
        }
    }
}
