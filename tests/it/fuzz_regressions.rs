//! Every input surface survives hostile input (fuzz/README.md): the inputs that once made a
//! fuzz target fail (tests/data/fuzz-regressions/<target>/) and the fuzzers' seeds
//! (fuzz/seeds/<target>/) go through the very functions the fuzz targets call
//! (fuzz/src/lib.rs). Each must give Ok or an error in plain words that names its file,
//! never a panic.

#[path = "../../fuzz/src/lib.rs"]
mod harness;

use std::path::Path;

type Surface = fn(&[u8]) -> harness::Outcome;

/// (fuzz target, its seed directory, the function it calls).
const SURFACES: [(&str, &str, Surface); 9] = [
    ("scenario", "scenario", harness::scenario),
    ("sweep", "sweep", harness::sweep),
    ("shards", "shards", |data| harness::shards(data, false)),
    ("shards_plot", "shards", |data| harness::shards(data, true)),
    ("saved_run", "saved_run", |data| harness::saved_run(data, false)),
    ("saved_run_plot", "saved_run", |data| harness::saved_run(data, true)),
    ("import_aws", "import_aws", harness::import_aws),
    ("import_terraform", "import_terraform", harness::import_terraform),
    ("import_cloudformation", "import_cloudformation", harness::import_cloudformation),
];

/// The files of a directory, sorted; none when it does not exist.
fn inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<(String, Vec<u8>)> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

/// Feeds one input to a surface: a panic is reported with the input's file; an error must be
/// in plain words and name the file it is about.
fn check(target: &str, surface: Surface, file: &str, data: &[u8]) -> harness::Outcome {
    let outcome = std::panic::catch_unwind(|| surface(data))
        .unwrap_or_else(|_| panic!("the {target} fuzz target's function panics on {file} (message above)"));
    eprintln!("{target} on {file}: {outcome:?}");
    if let Err(message) = &outcome {
        assert!(harness::rust_word(message, data).is_none(), "{target} on {file}: an error in Rust's terms: {message}");
        assert!(
            message.contains("in/") || message.contains(".csv:") || message == "not UTF-8 text",
            "{target} on {file}: the error does not name the file: {message}"
        );
    }
    outcome
}

#[test]
fn inputs_that_once_failed_a_fuzz_target_give_results_or_plain_errors() {
    let mut read = 0;
    for (target, _, surface) in SURFACES {
        for (file, data) in inputs(&Path::new("tests/data/fuzz-regressions").join(target)) {
            let _ = check(target, surface, &file, &data);
            read += 1;
        }
    }
    assert!(read > 0, "no regression inputs found under tests/data/fuzz-regressions/");
}

#[test]
fn every_fuzz_seed_gives_a_result_or_a_plain_error() {
    for (target, seeds, surface) in SURFACES {
        let inputs = inputs(&Path::new("fuzz/seeds").join(seeds));
        assert!(!inputs.is_empty(), "no seeds for the {target} fuzz target in fuzz/seeds/{seeds}");
        let ok = inputs.iter().filter(|(file, data)| check(target, surface, file, data).is_ok()).count();
        // Some seeds are bad on purpose (the importers' bad fixtures); the others must go through.
        assert!(ok > 0, "{target}: none of the {} seeds reads without an error", inputs.len());
    }
}
