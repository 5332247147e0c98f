//! Same scenario and seed ⇒ byte-identical output, whatever the thread count; another seed
//! ⇒ different output.

use assert_cmd::Command;
use std::path::Path;

fn run(out: &Path, extra: &[&str], threads: &str) -> Vec<u8> {
    Command::cargo_bin("fosim")
        .unwrap()
        .env("RAYON_NUM_THREADS", threads)
        .args(["run", "scenarios/basic-failover.json", "--out"])
        .arg(out)
        .args(extra)
        .assert()
        .success();
    std::fs::read(out.join("basic-failover/report.json")).unwrap()
}

#[test]
fn the_same_seed_gives_byte_identical_reports() {
    let dir = tempfile::tempdir().unwrap();
    let a = run(&dir.path().join("a"), &["--seed", "42"], "2");
    let b = run(&dir.path().join("b"), &["--seed", "42"], "2");
    assert!(a == b, "report.json differs between two runs with seed 42");
    for csv in ["timeline.csv", "clients.csv", "checkers.csv"] {
        let a = std::fs::read(dir.path().join("a/basic-failover").join(csv)).unwrap();
        let b = std::fs::read(dir.path().join("b/basic-failover").join(csv)).unwrap();
        assert!(a == b, "{csv} differs between two runs with seed 42");
    }
    let c = run(&dir.path().join("c"), &["--seed", "43"], "2");
    assert!(a != c, "seeds 42 and 43 gave the same report");
}

#[test]
fn one_thread_and_two_threads_give_the_same_replications() {
    let dir = tempfile::tempdir().unwrap();
    let one = run(&dir.path().join("one"), &["--runs", "4"], "1");
    let two = run(&dir.path().join("two"), &["--runs", "4"], "2");
    assert!(one == two, "--runs 4 differs between 1 and 2 threads");
}

#[test]
fn replications_differ_from_each_other() {
    let report = crate::support::simulate(
        &serde_json::from_str(&std::fs::read_to_string("scenarios/basic-failover.json").unwrap()).unwrap(),
        3,
    );
    let detections: Vec<_> = report.run_results.iter().map(|r| r.episodes[0].detection_s).collect();
    assert!(detections[0] != detections[1] && detections[1] != detections[2], "{detections:?}");
    let seeds: Vec<u64> = report.run_results.iter().map(|r| r.seed).collect();
    assert_eq!(seeds, (0..3).map(|i| fosim::rng::replication_seed(1, i)).collect::<Vec<_>>());
}
