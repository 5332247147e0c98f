//! Nothing lost on a crash: `fosim run` and `fosim sweep`, killed with SIGKILL at seeded
//! random moments of their lifetime (writing included), leave every output file either as
//! it was before (the previous complete run's, or absent) or as the killed command would
//! have written it complete, never half written; the only other files are the killed
//! process's own temporary files (`.<name>.tmp-<pid>`), and the next run into the
//! directory removes those of dead processes and only those.

use rand::Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// Kills per command, and the wall time after which a test stops killing (once it has
/// killed at least `KILLS_MIN` times): bounded in count and in time on a loaded machine.
const KILLS: usize = 24;
const KILLS_MIN: usize = 4;
/// The least half-width of the window of aimed kills, and the least step by which the aim
/// moves, as a share of a run's lifetime (from one run to the next, the writing moves by a
/// few per cent).
const AIM_SPREAD_MIN: Duration = Duration::from_millis(2);
const AIM_STEP_SHARE: f64 = 0.02;
const BUDGET: Duration = Duration::from_secs(45);

type Files = BTreeMap<String, Vec<u8>>;

/// A command line, given the `--out` root.
type Version = Box<dyn Fn(&Path) -> Vec<OsString>>;

/// The process id in a temporary file's name, `.<name>.tmp-<pid>`, and the output's name.
fn temporary(file_name: &str) -> Option<(&str, u32)> {
    let (name, pid) = file_name.strip_prefix('.')?.rsplit_once(".tmp-")?;
    Some((name, pid.parse().ok()?))
}

/// Every entry of `dir` (none if it does not exist); a directory inside is a failure, as
/// neither command writes one here.
fn files(dir: &Path) -> Files {
    let Ok(entries) = std::fs::read_dir(dir) else { return Files::new() };
    entries
        .map(|e| e.unwrap().path())
        .map(|p| {
            assert!(p.is_file(), "{}: not a file", p.display());
            (p.file_name().unwrap().to_str().unwrap().to_owned(), std::fs::read(&p).unwrap())
        })
        .collect()
}

fn fosim(args: &[OsString]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fosim"));
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    cmd
}

/// When a complete run did what, from its start: it ended at `lifetime`, and wrote its
/// files between `writing.0` and `writing.1` (their modification times).
#[derive(Clone, Copy, Debug)]
struct Timing {
    lifetime: Duration,
    writing: (Duration, Duration),
}

/// Runs to completion, writing `dir`; returns its timing.
fn complete(args: &[OsString], dir: &Path) -> Timing {
    let (started, clock) = (Instant::now(), SystemTime::now());
    let status = fosim(args).status().unwrap();
    assert!(status.success(), "fosim {args:?}: {status}");
    let lifetime = started.elapsed();
    let written: Vec<Duration> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().modified().unwrap())
        .map(|t| t.duration_since(clock).unwrap_or_default().min(lifetime))
        .collect();
    Timing { lifetime, writing: (*written.iter().min().unwrap(), *written.iter().max().unwrap()) }
}

/// One command in two versions whose outputs differ, writing to `out_of(root)/dir`.
struct Subject {
    what: &'static str,
    /// The command line of each version.
    versions: [Version; 2],
    /// The directory under the `--out` root that the command writes.
    dir: &'static str,
}

/// What the kills did, for the log.
#[derive(Default, Debug)]
struct Tally {
    /// Killed with nothing changed in the directory.
    before_writing: usize,
    /// Killed with some outputs replaced and others not, or a temporary file left.
    while_writing: usize,
    /// Killed with every output replaced.
    after_writing: usize,
    /// Finished before the kill arrived.
    completed: usize,
}

fn kill_at_random(subject: &Subject, seed: u64) {
    let started = Instant::now();
    let work = tempfile::tempdir().unwrap();
    let out = |name: &str| work.path().join(name);
    // Each version once, to completion, into a directory of its own: the complete outputs;
    // the quickest of the complete runs times the kills (the first run of a binary is slow).
    let mut complete_outputs: Vec<Files> = Vec::new();
    let mut timing: Option<Timing> = None;
    let quickest = |timing: Option<Timing>, t: Timing| match timing {
        Some(q) if q.lifetime <= t.lifetime => Some(q),
        _ => Some(t),
    };
    for (v, version) in subject.versions.iter().enumerate() {
        let root = out(&format!("reference-{v}"));
        timing = quickest(timing, complete(&version(&root), &root.join(subject.dir)));
        complete_outputs.push(files(&root.join(subject.dir)));
    }
    let names: BTreeSet<String> = complete_outputs[0].keys().cloned().collect();
    assert!(!names.is_empty(), "{}: no outputs", subject.what);
    assert_eq!(
        names,
        complete_outputs[1].keys().cloned().collect(),
        "{}: the two versions write other files",
        subject.what
    );
    for name in &names {
        assert!(
            complete_outputs[0][name] != complete_outputs[1][name],
            "{}: {name} is the same in both versions, so a kill could not tell them apart",
            subject.what
        );
    }

    let root = out("killed");
    let dir = root.join(subject.dir);
    let mut rng = fosim::rng::stream(seed, "kill");
    let mut tally = Tally::default();
    // What each output is now: absent before the first run, then whatever the last
    // command left; the temporary files of the processes killed so far.
    let mut now = Files::new();
    let mut killed_pids = Vec::new();
    let mut aim: Option<Duration> = None;
    for k in 0..KILLS {
        if k >= KILLS_MIN && started.elapsed() > BUDGET {
            eprintln!("{}: stopped after {k} kills, past the time budget", subject.what);
            break;
        }
        if k == 1 {
            // The "previous complete version": version 0, complete, over what the first
            // kill (into an empty directory) left. Its temporary files are gone too.
            timing = quickest(timing, complete(&(subject.versions[0])(&root), &dir));
            assert!(files(&dir) == complete_outputs[0], "{}: a complete run left other files", subject.what);
            now = complete_outputs[0].clone();
        }
        // Alternate: version 1 over version 0's files, then 0 over 1's, …; the first kill
        // (into an empty directory) runs version 1.
        let v = if k == 0 { 1 } else { k % 2 };
        // A third of the kills anywhere in the lifetime, the others aimed at the writing of
        // the files (a few milliseconds near the end): around `aim`, which starts where
        // the complete runs wrote and then moves later after a kill that came before the
        // writing and earlier after one that came after it.
        let Timing { lifetime, writing: (first, last) } = timing.unwrap();
        let spread = ((last - first) / 2).max(AIM_SPREAD_MIN);
        let target = *aim.get_or_insert((first + last) / 2);
        let aimed = k % 3 != 0;
        let delay = if aimed {
            (target + spread.mul_f64(2.0 * unit(&mut rng))).saturating_sub(spread)
        } else {
            lifetime.mul_f64(unit(&mut rng))
        };
        let mut child = fosim(&(subject.versions[v])(&root)).spawn().unwrap();
        let pid = child.id();
        std::thread::sleep(delay);
        child.kill().ok();
        let status = child.wait().unwrap();
        let finished = status.success();
        assert!(finished || status.signal() == Some(9), "{}: kill {k}: {status}", subject.what);
        let at = format!("{}: kill {k} (version {v}, pid {pid}, after {delay:?}, {status})", subject.what);

        let found = files(&dir);
        let mut outputs = Files::new();
        let mut temporaries = 0;
        for (file, bytes) in found {
            if let Some((name, owner)) = temporary(&file) {
                assert!(!finished, "{at}: a complete run left {file}");
                assert!(
                    owner == pid || killed_pids.contains(&owner),
                    "{at}: {file} is no temporary file of a killed fosim"
                );
                assert!(names.contains(name), "{at}: {file} is the temporary file of no output");
                temporaries += usize::from(owner == pid);
                continue;
            }
            assert!(names.contains(&file), "{at}: {file} is not an output");
            let (previous, new) = (now.get(&file), &complete_outputs[v][&file]);
            assert!(
                Some(&bytes) == previous || &bytes == new,
                "{at}: {file} is neither what it was ({}) nor the new complete output ({} bytes), but {} bytes",
                previous.map_or("absent".to_owned(), |b| format!("{} bytes", b.len())),
                new.len(),
                bytes.len()
            );
            outputs.insert(file, bytes);
        }
        for file in now.keys() {
            assert!(outputs.contains_key(file), "{at}: {file} was there before and is gone");
        }
        let step = (spread / 2).max(lifetime.mul_f64(AIM_STEP_SHARE));
        if finished {
            assert!(outputs == complete_outputs[v], "{at}: a complete run wrote other outputs");
            tally.completed += 1;
            aim = aim.map(|a| if aimed { a.saturating_sub(step) } else { a });
        } else if outputs == complete_outputs[v] && outputs != now && temporaries == 0 {
            tally.after_writing += 1;
            aim = aim.map(|a| if aimed { a.saturating_sub(step) } else { a });
        } else if outputs != now || temporaries > 0 {
            tally.while_writing += 1;
        } else {
            tally.before_writing += 1;
            aim = aim.map(|a| if aimed && delay >= a { a + step } else { a });
        }
        killed_pids.push(pid);
        now = outputs;
    }

    // The next complete run removes the temporary files of dead processes, and only those:
    // not a live process's (this test's own pid stands for another fosim still writing),
    // nor files that are not fosim's temporary files.
    let dead = format!(".report.json.tmp-{}", killed_pids.last().unwrap());
    let kept = [
        (format!(".report.json.tmp-{}", std::process::id()), "live"),
        ("notes.txt".to_owned(), "mine"),
        (".x.tmp-1a".to_owned(), "odd"),
    ];
    std::fs::write(dir.join(&dead), "dead").unwrap();
    for (name, bytes) in &kept {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    complete(&(subject.versions[1])(&root), &dir);
    let mut left = files(&dir);
    for (name, bytes) in &kept {
        assert_eq!(left.remove(name).as_deref(), Some(bytes.as_bytes()), "{}: {name} was removed", subject.what);
    }
    assert!(
        left == complete_outputs[1],
        "{}: after a complete run, other files than its outputs remain: {:?}",
        subject.what,
        left.keys().filter(|n| !names.contains(*n)).collect::<Vec<_>>()
    );
    eprintln!(
        "{}: {} kills in {:.1} s (a run: {:?}): {tally:?}",
        subject.what,
        killed_pids.len(),
        started.elapsed().as_secs_f64(),
        timing.unwrap()
    );
    assert!(
        tally.completed * 4 <= killed_pids.len() * 3,
        "{}: too many commands finished before the kill: {tally:?}",
        subject.what
    );
}

/// A uniform draw from [0, 1).
fn unit(rng: &mut impl Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn os(args: &[&str], out: &Path) -> Vec<OsString> {
    let mut v: Vec<OsString> = args.iter().map(|a| a.into()).collect();
    v.push("--out".into());
    v.push(out.into());
    v
}

#[test]
fn a_killed_run_leaves_each_output_as_it_was_or_complete() {
    let scenario = "scenarios/basic-failover.json";
    kill_at_random(
        &Subject {
            what: "fosim run",
            versions: [
                Box::new(move |out| os(&["run", scenario, "--runs", "2", "--seed", "1"], out)),
                Box::new(move |out| os(&["run", scenario, "--runs", "2", "--seed", "2"], out)),
            ],
            dir: "basic-failover",
        },
        1,
    );
}

#[test]
fn a_killed_sweep_leaves_each_output_as_it_was_or_complete() {
    let inputs = tempfile::tempdir().unwrap();
    let base = serde_json::json!({
        "name": "kill-base", "seed": 3, "duration": "30m",
        "endpoints": { "primary": { "faults": [ { "kind": "outage", "start": "10m", "duration": "10m" } ] }, "secondary": {} },
        "health_checks": { "hc": { "endpoint": "primary", "request_interval": "10s", "failure_threshold": 2 } },
        "dns": { "records": { "app": { "ttl": "30s",
            "failover": { "primary": { "endpoint": "primary", "health_check": "hc" }, "secondary": { "endpoint": "secondary" } } } } },
        "resolvers": { "isp": { "count": 5 } },
        "clients": { "users": { "count": 40, "record": "app", "requests_per_s": 0.2 } }
    });
    std::fs::write(inputs.path().join("base.json"), base.to_string()).unwrap();
    // Two sweep files of one name (so one output directory) whose results differ.
    let mut sweeps: Vec<PathBuf> = Vec::new();
    for runs in [4, 5] {
        let sweep = serde_json::json!({
            "name": "kill-sweep", "scenario": "base.json", "runs": runs,
            "parameters": { "/health_checks/hc/failure_threshold": [1, 2, 3],
                            "/dns/records/app/ttl": { "from": "10s", "to": "30s", "step": "20s" } },
            "objective": { "minimize": "/episodes/0/client_failover_s/p99" }
        });
        let path = inputs.path().join(format!("sweep-{runs}.json"));
        std::fs::write(&path, sweep.to_string()).unwrap();
        sweeps.push(path);
    }
    let [a, b] = [sweeps[0].clone(), sweeps[1].clone()];
    let version = |file: PathBuf| -> Version {
        Box::new(move |out| {
            let mut args = vec![OsString::from("sweep"), file.clone().into()];
            args.extend(os(&[], out));
            args
        })
    };
    kill_at_random(&Subject { what: "fosim sweep", versions: [version(a), version(b)], dir: "kill-sweep" }, 2);
}
