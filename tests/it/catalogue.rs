//! The catalogue of bad input (`tests/data/bad/*.json`): each case gives the files to make,
//! the command, and fragments its message must contain. Every case must exit 1 (a usage
//! error caught by the argument parser: 2), say what is wrong in plain words (no Rust type
//! names, no raw OS errors, no RFC 6901 escapes), write nothing, and leave the outputs of an
//! earlier run untouched.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// The command's arguments; paths are relative to a fresh directory holding `files`.
    args: Vec<String>,
    #[serde(default)]
    files: BTreeMap<String, FileSpec>,
    /// Every fragment must appear in the command's output (stderr and stdout).
    expect: Vec<String>,
    #[serde(default = "exit_one")]
    exit: i32,
}

fn exit_one() -> i32 {
    1
}

/// How to make one input file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum FileSpec {
    /// This text.
    Text(String),
    /// This JSON value.
    Json(Value),
    /// A copy of a file of the repository.
    Copy(String),
    /// A JSON file of the repository with values set (by JSON Pointer; parents are made as
    /// needed) or removed, then text replacements.
    Patch {
        from: String,
        #[serde(default)]
        set: BTreeMap<String, Value>,
        #[serde(default)]
        remove: Vec<String>,
        #[serde(default)]
        replace: Vec<(String, String)>,
    },
    /// `text` repeated `times` times between `before` and `after` (large inputs).
    Repeat {
        #[serde(default)]
        before: String,
        text: String,
        times: usize,
        #[serde(default)]
        after: String,
    },
    /// Bytes, in hexadecimal (input that is not UTF-8).
    Hex(String),
    /// A named pipe.
    Fifo,
    /// A directory.
    Dir,
}

/// Outputs of an earlier run that no failing command may touch.
const EARLIER_OUTPUTS: [&str; 3] =
    ["out/basic-failover/report.json", "out/basic-failover/report.html", "out/interval-threshold/results.json"];

/// Words that show Rust or the OS talking instead of fosim. (Backquotes are allowed: fosim
/// quotes commands in them, as Markdown does.)
const FORBIDDEN: [&str; 13] = [
    "struct ",
    "enum ",
    "invalid type",
    "invalid length",
    "invalid value:",
    "os error",
    "Option<",
    "Vec<",
    " u64",
    " i64",
    " f64",
    "~1",
    "panicked",
];

#[test]
fn every_bad_input_is_refused_in_plain_words_and_writes_nothing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cases = Vec::new();
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(root.join("tests/data/bad"))
        .expect("tests/data/bad")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    manifests.sort();
    for manifest in &manifests {
        let text = std::fs::read_to_string(manifest).expect("a manifest");
        let list: Vec<Case> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
        cases.extend(list.into_iter().map(|c| (manifest.file_name().unwrap().to_string_lossy().into_owned(), c)));
    }
    let mut names = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for (manifest, case) in &cases {
        assert!(names.insert(case.name.clone()), "{manifest}: the case name {} is used twice", case.name);
        if let Err(why) = check(root, case) {
            failures.push(format!("{manifest} / {}: {why}", case.name));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n\n"));
    assert!(cases.len() >= 80, "the catalogue has {} cases; issue 12 asks for at least 80", cases.len());
}

fn check(root: &Path, case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (name, spec) in &case.files {
        make(root, &dir.path().join(name), spec);
    }
    for name in EARLIER_OUTPUTS {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, format!("the complete output of an earlier run: {name}\n")).unwrap();
    }
    let before = tree(dir.path());
    let output = Command::new(env!("CARGO_BIN_EXE_fosim"))
        .args(&case.args)
        .current_dir(dir.path())
        .env_remove("FOSIM_TEST_PANIC")
        .output()
        .expect("fosim starts");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stderr), String::from_utf8_lossy(&output.stdout));
    if std::env::var_os("FOSIM_SHOW_MESSAGES").is_some() {
        eprintln!("=== {}\n{text}", case.name);
    }
    let mut problems = Vec::new();
    if output.status.code() != Some(case.exit) {
        problems.push(format!("exit {:?}, expected {}", output.status.code(), case.exit));
    }
    for fragment in &case.expect {
        if !text.contains(fragment.as_str()) {
            problems.push(format!("no {fragment:?} in the message"));
        }
    }
    if case.exit == 1 {
        for word in FORBIDDEN {
            if text.contains(word) {
                problems.push(format!("the message holds {word:?}"));
            }
        }
    }
    if text.len() > 4000 {
        problems.push(format!("the message is {} bytes long", text.len()));
    }
    let after = tree(dir.path());
    if after != before {
        let changed: Vec<&String> = after
            .iter()
            .filter(|(k, v)| before.get(*k) != Some(v))
            .map(|(k, _)| k)
            .chain(before.keys().filter(|k| !after.contains_key(*k)))
            .collect();
        problems.push(format!("files written or changed: {changed:?}"));
    }
    if problems.is_empty() { Ok(()) } else { Err(format!("{}\n--- message:\n{text}", problems.join("; "))) }
}

fn make(root: &Path, path: &Path, spec: &FileSpec) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let read = |from: &str| std::fs::read_to_string(root.join(from)).unwrap_or_else(|e| panic!("{from}: {e}"));
    let bytes: Vec<u8> = match spec {
        FileSpec::Text(text) => text.clone().into_bytes(),
        FileSpec::Json(value) => serde_json::to_vec_pretty(value).unwrap(),
        FileSpec::Copy(from) => std::fs::read(root.join(from)).unwrap_or_else(|e| panic!("{from}: {e}")),
        FileSpec::Patch { from, set, remove, replace } => {
            let mut value: Value = serde_json::from_str(&read(from)).unwrap();
            for (pointer, new) in set {
                set_at(&mut value, pointer, new.clone());
            }
            for pointer in remove {
                let (parent, key) = pointer.rsplit_once('/').unwrap();
                value.pointer_mut(parent).and_then(Value::as_object_mut).unwrap().remove(&unescape(key));
            }
            let mut text = serde_json::to_string_pretty(&value).unwrap();
            for (a, b) in replace {
                assert!(text.contains(a.as_str()), "{from}: no {a:?} to replace");
                text = text.replacen(a.as_str(), b, 1);
            }
            text.into_bytes()
        }
        FileSpec::Repeat { before, text, times, after } => {
            format!("{before}{}{after}", text.repeat(*times)).into_bytes()
        }
        FileSpec::Hex(hex) => {
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
        }
        FileSpec::Fifo => {
            let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
            assert!(status.success());
            return;
        }
        FileSpec::Dir => {
            std::fs::create_dir_all(path).unwrap();
            return;
        }
    };
    std::fs::write(path, bytes).unwrap();
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// Sets the value at `pointer`, making objects on the way.
fn set_at(value: &mut Value, pointer: &str, new: Value) {
    let mut at = value;
    let segments: Vec<String> = pointer[1..].split('/').map(unescape).collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        at = match at {
            Value::Array(items) => {
                let index: usize = segment.parse().unwrap();
                if last {
                    items[index] = new;
                    return;
                }
                &mut items[index]
            }
            Value::Object(map) => {
                if last {
                    map.insert(segment.clone(), new);
                    return;
                }
                map.entry(segment.clone()).or_insert_with(|| Value::Object(Default::default()))
            }
            other => panic!("cannot set {pointer}: {other} is not an object or list"),
        };
    }
}

/// Every entry under `dir`: its path and its bytes (a pipe or directory by its kind).
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
            let name = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            if kind.is_dir() {
                out.insert(name, b"<dir>".to_vec());
                stack.push(path);
            } else if kind.is_file() {
                out.insert(name, std::fs::read(&path).unwrap());
            } else {
                out.insert(name, b"<special>".to_vec());
            }
        }
    }
    out
}
