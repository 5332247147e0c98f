//! Every output byte of the bundled scenarios and sweeps, pinned: a refactor must leave
//! them identical. Each bundled scenario runs with its seed, with `--runs 3` and with
//! `--exact-requests`; each bundled sweep runs as `fosim sweep`. The SHA-256 of every file
//! written (report.json, CSVs, report.html, PNG and SVG plots, sweep tables and charts) is
//! compared with `tests/data/output-hashes.txt`, which `sha256sum -c` can also check.
//!
//! When an output is meant to change, regenerate the list with
//! `FOSIM_UPDATE_HASHES=1 cargo test outputs` and say in the commit which outputs changed
//! and why.

use assert_cmd::Command;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const HASHES: &str = "tests/data/output-hashes.txt";

fn json_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn fosim(args: &[&str]) {
    let output = Command::cargo_bin("fosim").unwrap().args(args).output().unwrap();
    assert!(output.status.success(), "fosim {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr));
}

/// Every file under `root`, by path relative to it, with its SHA-256.
fn hashes(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let digest = Sha256::digest(std::fs::read(&path).unwrap());
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                let name = path.strip_prefix(root).unwrap().to_str().unwrap().to_owned();
                out.insert(name, hex);
            }
        }
    }
    out
}

#[test]
fn outputs_of_bundled_scenarios_and_sweeps_are_unchanged() {
    let out = tempfile::tempdir().unwrap();
    let dir = |name: &str| out.path().join(name).to_str().unwrap().to_owned();
    for path in json_files("scenarios") {
        let path = path.to_str().unwrap();
        fosim(&["run", path, "--out", &dir("one-run")]);
        fosim(&["run", path, "--runs", "3", "--out", &dir("three-runs")]);
        fosim(&["run", path, "--exact-requests", "--no-plots", "--out", &dir("exact-requests")]);
    }
    for path in json_files("scenarios/sweeps") {
        fosim(&["sweep", path.to_str().unwrap(), "--out", &dir("sweeps")]);
    }
    let found = hashes(out.path());
    let text: String = found.iter().map(|(name, hash)| format!("{hash}  {name}\n")).collect();
    if std::env::var_os("FOSIM_UPDATE_HASHES").is_some() {
        std::fs::write(HASHES, text).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(HASHES).unwrap();
    let expected: BTreeMap<&str, &str> =
        expected.lines().map(|l| l.split_once("  ").map(|(h, n)| (n, h)).expect("`hash  name` lines")).collect();
    let mut differences = Vec::new();
    for (name, hash) in &found {
        match expected.get(name.as_str()) {
            Some(h) if h == hash => {}
            Some(_) => differences.push(format!("changed: {name}")),
            None => differences.push(format!("new: {name}")),
        }
    }
    for name in expected.keys() {
        if !found.contains_key(*name) {
            differences.push(format!("missing: {name}"));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} outputs differ from {HASHES} (regenerate with FOSIM_UPDATE_HASHES=1 only if the change is meant):\n{}",
        differences.len(),
        found.len(),
        differences.join("\n")
    );
}
