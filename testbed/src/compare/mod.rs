//! `fosim-testbed compare`: measured vs predicted. For every measured file
//! `<measured>/<config>.json` it runs fosim (as a library) on `<scenarios>/<config>.json`,
//! compares the figures (`figures.rs`), draws the chart (`plot.rs`) and renders
//! `docs/validation.md` (`doc.rs`). It returns the files to write and the number of failed
//! comparisons; `main.rs` writes them.

mod doc;
mod figures;
mod measured;
mod plot;
mod predicted;
mod sample;
mod stats;

use std::path::{Component, Path, PathBuf};
use std::time::Instant;

pub const USAGE: &str = "fosim-testbed compare [--measured DIR] [--scenarios DIR] [--runs N] [--draws N] \
[--out FILE.md] [--plots DIR] [--learned FILE.md]
  defaults: --measured target/validation --scenarios scenarios/real --runs 1000 --draws 5000
            --out docs/validation.md --plots docs/validation --learned testbed/learned.md
  (paths are relative to the current directory: run it from the repository's root)";

/// Seed of the bootstrap draws (mixed with each configuration's name).
const BOOTSTRAP_SEED: u64 = 0x006b_735f_6e75_6c6c; // "ks_null"

pub struct Args {
    measured: PathBuf,
    scenarios: PathBuf,
    runs: u32,
    draws: usize,
    out: PathBuf,
    plots: PathBuf,
    learned: PathBuf,
}

/// The files to write (document and charts) and how many comparisons failed.
pub struct Outcome {
    pub files: Vec<(PathBuf, Vec<u8>)>,
    pub failures: usize,
    pub doc: PathBuf,
}

pub fn parse(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        measured: "target/validation".into(),
        scenarios: "scenarios/real".into(),
        runs: 1000,
        draws: 5000,
        out: "docs/validation.md".into(),
        plots: "docs/validation".into(),
        learned: "testbed/learned.md".into(),
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{flag} needs a value\nusage: {USAGE}"));
        match flag.as_str() {
            "--measured" => a.measured = value()?.into(),
            "--scenarios" => a.scenarios = value()?.into(),
            "--out" => a.out = value()?.into(),
            "--plots" => a.plots = value()?.into(),
            "--learned" => a.learned = value()?.into(),
            "--runs" => a.runs = count(flag, &value()?, fosim::simulate::RUNS_MAX as usize)? as u32,
            "--draws" => a.draws = count(flag, &value()?, 1_000_000)?,
            other => return Err(format!("unknown argument {other}\nusage: {USAGE}")),
        }
    }
    Ok(a)
}

fn count(flag: &str, v: &str, max: usize) -> Result<usize, String> {
    match v.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("{flag} needs a whole number from 1 to {max}, got {v:?}")),
    }
}

/// Runs every comparison and renders the document and charts.
pub fn run(args: &Args) -> Result<Outcome, String> {
    let measured_files = measured_files(&args.measured)?;
    let doc_dir = args.out.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut items = Vec::new();
    let mut files = Vec::new();
    for path in &measured_files {
        let item = compare_one(args, path, &doc_dir)?;
        let d = &item.comparison.distribution;
        let svg = plot::failover_cdf(&item.name, item.measured.trials.len(), item.predicted.episodes.len(), d)?;
        files.push((args.plots.join(plot_file(&item.name)), svg.into_bytes()));
        items.push(item);
    }
    let learned = match std::fs::read_to_string(&args.learned) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read {}: {e}", args.learned.display())),
    };
    let failures = items.iter().map(|i| i.comparison.failures()).sum();
    let text = doc::render(&doc::Doc {
        items: &items,
        command: command_line(args),
        runs: args.runs,
        draws: args.draws,
        learned,
        learned_shown: shown(&args.learned),
    });
    files.insert(0, (args.out.clone(), text.into_bytes()));
    Ok(Outcome { files, failures, doc: args.out.clone() })
}

/// `<dir>/*.json`, sorted by name; an error if there is none.
fn measured_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        format!("cannot read the measured directory {}: {e} (run scripts/validate-real first)", dir.display())
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(format!("no measured files (*.json) in {} (run scripts/validate-real first)", dir.display()));
    }
    Ok(paths)
}

fn compare_one(args: &Args, path: &Path, doc_dir: &Path) -> Result<doc::Item, String> {
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let started = Instant::now();
    let measured = measured::load(path)?;
    let scenario = args.scenarios.join(format!("{name}.json"));
    let predicted = predicted::predict(&scenario, args.runs).map_err(|e| format!("[{name}] {e}"))?;
    let simulated = started.elapsed();
    let comparison = figures::compare(&measured, &predicted, args.draws, BOOTSTRAP_SEED ^ fnv1a(&name));
    eprintln!(
        "[{name}] {} trials vs {} episodes ({} runs simulated in {:.1} s, compared in {:.1} s): {} of {} figures fail",
        measured.trials.len(),
        predicted.episodes.len(),
        args.runs,
        simulated.as_secs_f64(),
        (started.elapsed() - simulated).as_secs_f64(),
        comparison.failures(),
        comparison.verdicts().len(),
    );
    Ok(doc::Item {
        measured_shown: shown(path),
        scenario_link: relative(doc_dir, &scenario),
        plot_link: relative(doc_dir, &args.plots.join(plot_file(&name))),
        name,
        measured,
        predicted,
        comparison,
    })
}

fn plot_file(name: &str) -> String {
    format!("{name}-failover-cdf.svg")
}

/// The command as run, with paths as given (relative ones stay relative, so the document does
/// not depend on where the repository is).
fn command_line(a: &Args) -> String {
    format!(
        "fosim-testbed compare --measured {} --scenarios {} --runs {} --draws {} --out {} --plots {} --learned {}",
        shown(&a.measured),
        shown(&a.scenarios),
        a.runs,
        a.draws,
        shown(&a.out),
        shown(&a.plots),
        shown(&a.learned)
    )
}

/// A path for the document: relative to the current directory when it lies inside it.
fn shown(path: &Path) -> String {
    let abs = normalise(path);
    let cwd = std::env::current_dir().map(|d| normalise(&d)).unwrap_or_default();
    abs.strip_prefix(&cwd).map_or(abs.clone(), Path::to_path_buf).display().to_string()
}

/// Absolute and without `.` or `..`, without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `to` as a link relative to the directory `from` (`/`-separated, for Markdown).
fn relative(from: &Path, to: &Path) -> String {
    let (from, to) = (normalise(from), normalise(to));
    let common = from.components().zip(to.components()).take_while(|(a, b)| a == b).count();
    let ups = from.components().count() - common;
    let rest: Vec<String> =
        to.components().skip(common).map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    let mut parts: Vec<String> = vec!["..".into(); ups];
    parts.extend(rest);
    parts.join("/")
}

/// FNV-1a of a name: gives each configuration its own bootstrap stream.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_links() {
        assert_eq!(relative(Path::new("/r/docs"), Path::new("/r/scenarios/real/a.json")), "../scenarios/real/a.json");
        assert_eq!(relative(Path::new("/r/docs"), Path::new("/r/docs/validation/a.svg")), "validation/a.svg");
        assert_eq!(relative(Path::new("/r/docs/"), Path::new("/r/docs/./x/../validation/a.svg")), "validation/a.svg");
    }
}
