//! Reading input files: one loader for every file fosim reads (scenarios, sweep files, shard
//! files, saved reports and their CSVs) and the one error type for bad input.
//!
//! Every read checks first that the path is a regular file (a named pipe or a device would
//! block or never end) no larger than its kind allows; every JSON file is parsed the same
//! way, with errors naming the file, the JSON Pointer, line:column where known, and what
//! was expected and found, in plain words. Files are only *read* here; `cli.rs` writes.

use serde::de::DeserializeOwned;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// What a file is, for messages, and the most bytes it may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kind {
    pub what: &'static str,
    pub bytes_max: u64,
}

/// Scenario and sweep files are written by hand: 16 MiB is far more than any needs.
pub const SCENARIO: Kind = Kind { what: "scenario file", bytes_max: 16 << 20 };
pub const SWEEP: Kind = Kind { what: "sweep file", bytes_max: 16 << 20 };
/// Files fosim wrote itself grow with runs and grid points.
pub const SHARD: Kind = Kind { what: "shard file", bytes_max: 4 << 30 };
pub const REPORT: Kind = Kind { what: "saved report", bytes_max: 4 << 30 };
pub const RUN_CSV: Kind = Kind { what: "saved run file", bytes_max: 4 << 30 };

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be read at all, or is not a file fosim may read.
    #[error("{file}: cannot read the {what}: {reason}")]
    Read { file: PathBuf, what: &'static str, reason: String },
    /// The file is not valid JSON.
    #[error("{file}:{line}:{column}: the file is not valid JSON: {message}")]
    Syntax { file: PathBuf, line: usize, column: usize, message: String },
    /// A value has the wrong type or form, or a field is unknown.
    #[error("{file}:{line}:{column}: at {pointer}: {message}", pointer = display_pointer(pointer))]
    Field { file: PathBuf, pointer: String, line: usize, column: usize, message: String },
    /// A value is well-formed but impossible, or names something that does not exist.
    #[error("{file}: at {pointer}: {message}", pointer = display_pointer(pointer))]
    Invalid { file: PathBuf, pointer: String, message: String },
}

impl InputError {
    pub fn invalid(file: &Path, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        InputError::Invalid { file: file.to_owned(), pointer: pointer.into(), message: message.into() }
    }

    fn read(file: &Path, kind: Kind, reason: impl Into<String>) -> Self {
        InputError::Read { file: file.to_owned(), what: kind.what, reason: reason.into() }
    }
}

fn display_pointer(pointer: &str) -> String {
    if pointer.is_empty() { "the top level".into() } else { readable(pointer) }
}

/// A JSON Pointer as a reader writes a path: segments joined by "/" without RFC 6901's
/// escapes; a segment that holds "/" or "~", spaces, or is empty is shown in quotes, as
/// in `/dns/records/"a/b"/ttl`.
pub fn readable(pointer: &str) -> String {
    let Some(rest) = pointer.strip_prefix('/') else { return pointer.to_owned() };
    let mut out = String::new();
    for segment in rest.split('/') {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        out.push('/');
        if segment.is_empty() || segment.contains(['/', '~', ' ', '"']) {
            out.push_str(&format!("{segment:?}"));
        } else {
            out.push_str(&segment);
        }
    }
    out
}

/// The bytes of a file of the given kind, after checking that it is a regular file within
/// the kind's size.
pub fn read(path: &Path, kind: Kind) -> Result<Vec<u8>, InputError> {
    let io_reason = |e: &std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    };
    let metadata = std::fs::metadata(path).map_err(|e| InputError::read(path, kind, io_reason(&e)))?;
    if !metadata.is_file() {
        let what = if metadata.is_dir() { "a directory" } else { "not a regular file (a pipe, socket or device)" };
        return Err(InputError::read(path, kind, format!("it is {what}")));
    }
    let too_large = |size: u64| {
        InputError::read(
            path,
            kind,
            format!("it holds {size} bytes, more than the {} a {} may hold", bytes(kind.bytes_max), kind.what),
        )
    };
    if metadata.len() > kind.bytes_max {
        return Err(too_large(metadata.len()));
    }
    let file = std::fs::File::open(path).map_err(|e| InputError::read(path, kind, io_reason(&e)))?;
    let mut out = Vec::with_capacity(metadata.len() as usize);
    // The file may grow while it is read: never take more than the limit.
    file.take(kind.bytes_max + 1).read_to_end(&mut out).map_err(|e| InputError::read(path, kind, io_reason(&e)))?;
    if out.len() as u64 > kind.bytes_max {
        return Err(too_large(out.len() as u64));
    }
    Ok(out)
}

/// A file's text (UTF-8).
pub fn read_text(path: &Path, kind: Kind) -> Result<String, InputError> {
    String::from_utf8(read(path, kind)?).map_err(|_| InputError::read(path, kind, "the file is not UTF-8 text"))
}

mod unique_keys {
    //! JSON text into a `serde_json::Value`, refusing an object that holds the same name
    //! twice (serde_json keeps the last one silently; a scenario's ids are such names).

    use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
    use serde_json::{Map, Number, Value};
    use std::cell::RefCell;

    /// The pointer of the object and the repeated name, when that is the error.
    pub type Duplicate = Option<(String, String)>;

    pub fn parse(text: &str) -> Result<Value, (serde_json::Error, Duplicate)> {
        let duplicate = RefCell::new(None);
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let value = Seed { parent: None, segment: Segment::Top, duplicate: &duplicate }
            .deserialize(&mut deserializer)
            .and_then(|v| deserializer.end().map(|()| v));
        value.map_err(|e| (e, duplicate.take()))
    }

    enum Segment<'a> {
        Top,
        Index(usize),
        Key(&'a str),
    }

    /// Where a value sits: a chain of parents, turned into a pointer only for an error.
    struct Seed<'a> {
        parent: Option<&'a Seed<'a>>,
        segment: Segment<'a>,
        duplicate: &'a RefCell<Duplicate>,
    }

    impl<'a> Seed<'a> {
        fn child(&'a self, segment: Segment<'a>) -> Seed<'a> {
            Seed { parent: Some(self), segment, duplicate: self.duplicate }
        }

        fn pointer(&self) -> String {
            let mut segments = Vec::new();
            let mut at = Some(self);
            while let Some(seed) = at {
                match seed.segment {
                    Segment::Top => {}
                    Segment::Index(i) => segments.push(i.to_string()),
                    Segment::Key(k) => segments.push(k.to_owned()),
                }
                at = seed.parent;
            }
            segments.reverse();
            super::pointer(&segments)
        }
    }

    impl<'de> DeserializeSeed<'de> for Seed<'_> {
        type Value = Value;
        fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
            deserializer.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Seed<'_> {
        type Value = Value;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
            Ok(Value::Bool(b))
        }
        fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
            Ok(Value::Number(n.into()))
        }
        fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
            Ok(Value::Number(n.into()))
        }
        fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
            Ok(Number::from_f64(n).map_or(Value::Null, Value::Number))
        }
        fn visit_str<E>(self, s: &str) -> Result<Value, E> {
            Ok(Value::String(s.to_owned()))
        }
        fn visit_string<E>(self, s: String) -> Result<Value, E> {
            Ok(Value::String(s))
        }
        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_none<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut out = Vec::new();
            while let Some(v) = seq.next_element_seed(self.child(Segment::Index(out.len())))? {
                out.push(v);
            }
            Ok(Value::Array(out))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut out = Map::new();
            while let Some(key) = map.next_key::<String>()? {
                if out.contains_key(&key) {
                    *self.duplicate.borrow_mut() = Some((self.pointer(), key.clone()));
                    return Err(de::Error::custom(format!("\"{key}\" appears twice")));
                }
                let value = map.next_value_seed(self.child(Segment::Key(&key)))?;
                out.insert(key, value);
            }
            Ok(Value::Object(out))
        }
    }
}

/// Reads and parses a JSON file into `T`; also returns the file as a JSON value.
pub fn load<T: DeserializeOwned>(path: &Path, kind: Kind) -> Result<(T, serde_json::Value), InputError> {
    parse(path, &read_text(path, kind)?)
}

/// Parses JSON text into `T`; `path` only names the file in errors.
pub fn parse<T: DeserializeOwned>(path: &Path, text: &str) -> Result<(T, serde_json::Value), InputError> {
    // Editors on Windows may start a file with a byte-order mark; it is not part of the JSON.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(InputError::invalid(path, "", "the file is empty; expected a JSON object"));
    }
    let source = unique_keys::parse(text).map_err(|(e, duplicate)| match duplicate {
        Some((pointer, key)) => InputError::Field {
            file: path.to_owned(),
            line: e.line(),
            column: e.column(),
            message: format!(
                "\"{key}\" appears twice in this object; each name may appear once (a second one would \
                 silently replace the first)"
            ),
            pointer,
        },
        None => InputError::Syntax {
            file: path.to_owned(),
            line: e.line(),
            column: e.column(),
            message: plain_syntax(&strip_position(&e.to_string())),
        },
    })?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let segments: Vec<String> = e
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                serde_path_to_error::Segment::Enum { variant } => Some(variant.clone()),
                serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        let inner = e.into_inner();
        let message = explain_serde_message(&strip_position(&inner.to_string()));
        InputError::Field {
            file: path.to_owned(),
            pointer: pointer(&segments),
            line: inner.line(),
            column: inner.column(),
            message: expand_missing_field(&message),
        }
    })?;
    Ok((value, source))
}

/// "16 MiB", "4 GiB".
fn bytes(n: u64) -> String {
    if n >= 1 << 30 { format!("{} GiB", n >> 30) } else { format!("{} MiB", n >> 20) }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// serde_json's syntax messages in plain words, with a hint at the usual cause.
fn plain_syntax(message: &str) -> String {
    if let Some(inside) = message.strip_prefix("EOF while parsing ") {
        return format!("the file ends inside {inside} (a bracket or quote is not closed)");
    }
    let plain = match message {
        "expected `,` or `}`" => "expected \",\" or \"}\" (is a comma missing between two fields?)",
        "expected `,` or `]`" => "expected \",\" or \"]\" (is a comma missing between two items?)",
        "expected `:`" => "expected \":\" between a field's name and its value",
        "expected value" => "expected a value: text in double quotes, a number, true, false, null, an object or a list",
        "expected ident" => "expected true, false or null (is some text missing its double quotes?)",
        "trailing comma" => "a comma before a closing bracket; JSON does not allow one there",
        "trailing characters" => "more text after the end of the JSON value",
        "key must be a string" => "a field name must be text in double quotes",
        "recursion limit exceeded" => "values nested more than 128 levels deep",
        "number out of range" => "a number too large to read",
        "invalid number" => "a number not written the way JSON writes numbers",
        "invalid escape" => {
            "an unknown escape after a backslash (JSON knows \\\\, \\\", \\/, \\b, \\f, \\n, \\r, \\t, and \\u with four hexadecimal digits)"
        }
        "control character (\\u0000-\\u001F) found while parsing a string" => {
            "a control character (a line break, a tab…) inside text in quotes; write it as \\n or \\t"
        }
        other => return other.replace('`', "\""),
    };
    plain.to_owned()
}

fn expand_missing_field(message: &str) -> String {
    match message.strip_prefix("missing field \"") {
        Some(rest) => format!("the required field \"{}\" is missing", rest.trim_end_matches('"')),
        None => message.to_owned(),
    }
}

/// A JSON Pointer (RFC 6901) from path segments.
pub fn pointer<S: AsRef<str>>(segments: &[S]) -> String {
    let mut out = String::new();
    for segment in segments {
        out.push('/');
        out.push_str(&segment.as_ref().replace('~', "~0").replace('/', "~1"));
    }
    out
}

/// Rewrites serde's "unknown field `x`, expected one of `a`, `b`" (and the same for enum
/// variants) into a sentence with a suggestion; other messages pass through unchanged.
pub fn explain_serde_message(message: &str) -> String {
    for (prefix, what) in [("unknown field `", "field"), ("unknown variant `", "value")] {
        let Some(rest) = message.strip_prefix(prefix) else { continue };
        let Some((found, expected)) = rest.split_once('`') else { continue };
        let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let hint = did_you_mean(found, &candidates);
        let listed = candidates.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
        return if candidates.is_empty() {
            format!("unknown {what} \"{found}\"{hint}: this object takes no fields")
        } else {
            format!("unknown {what} \"{found}\"{hint}; expected one of {listed}")
        };
    }
    if let Some(rest) = message.strip_prefix("invalid type: ").or_else(|| message.strip_prefix("invalid value: "))
        && let Some((found, expected)) = rest.rsplit_once(", expected ")
    {
        return format!("expected {}, found {}", plain_type(expected), plain_found(found));
    }
    if let Some(rest) = message.strip_prefix("invalid length ")
        && let Some((n, expected)) = rest.split_once(", expected ")
    {
        let expected = plain_type(expected);
        // For an object, serde's count is the index of the first missing field, not the
        // list's length: say only that a list was found.
        return if expected == "an object" {
            "expected an object (fields by name), found a list".to_owned()
        } else {
            format!("expected {expected}, found {n} items")
        };
    }
    if message.starts_with("data did not match any variant of untagged enum ") {
        return "the value has none of the forms expected here".to_owned();
    }
    message.replace('`', "\"")
}

/// serde's name for what it found, in plain words: "string \"x\"" → "the text \"x\"".
fn plain_found(found: &str) -> String {
    let found = found.replace('`', "\"");
    let value = |prefix: &str| found.strip_prefix(prefix).map(|v| v.trim_matches('"').to_owned());
    if let Some(text) = value("string ") {
        format!("the text \"{text}\"")
    } else if let Some(n) = value("integer ").or_else(|| value("floating point ")) {
        format!("the number {n}")
    } else if let Some(b) = value("boolean ") {
        b
    } else {
        match found.as_str() {
            "sequence" => "a list".into(),
            "map" => "an object".into(),
            "unit value" => "null".into(),
            other => other.to_owned(),
        }
    }
}

/// Rust type names in serde messages, in words.
fn plain_type(expected: &str) -> String {
    match expected {
        "i64" | "i32" => "an integer".into(),
        "u64" | "u32" | "u16" | "u8" | "usize" => "a whole number, 0 or more".into(),
        "a sequence" => "a list".into(),
        "a map" => "an object".into(),
        other if other.starts_with("struct ") || other.starts_with("a map") => "an object".into(),
        "f64" | "f32" => "a number".into(),
        "a boolean" | "bool" => "true or false".into(),
        other => other.replace('`', "\""),
    }
}

/// " (did you mean \"x\"?)" when a candidate is close to `found`, else "".
pub fn did_you_mean<S: AsRef<str>>(found: &str, candidates: &[S]) -> String {
    let best = candidates.iter().map(|c| (edit_distance(found, c.as_ref()), c.as_ref())).min();
    match best {
        Some((distance, candidate)) if distance <= (found.chars().count() / 3).max(2) => {
            format!(" (did you mean \"{candidate}\"?)")
        }
        _ => String::new(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// A Route 53 limit that fosim accepts but Route 53 would not, or a setting that probably
/// does not do what its author wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", display_pointer(&self.pointer), self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("failure_threshhold", &["failure_threshold", "endpoint"]),
            " (did you mean \"failure_threshold\"?)"
        );
        assert_eq!(did_you_mean("zzz", &["failure_threshold", "endpoint"]), "");
    }

    #[test]
    fn rewrites_serde_unknown_field() {
        let text = explain_serde_message("unknown field `endpont`, expected one of `endpoint`, `type`");
        assert_eq!(
            text,
            "unknown field \"endpont\" (did you mean \"endpoint\"?); expected one of \"endpoint\", \"type\""
        );
        let text = explain_serde_message("unknown variant `htp`, expected one of `http`, `tcp`");
        assert!(text.starts_with("unknown value \"htp\" (did you mean \"http\"?)"), "{text}");
    }

    #[test]
    fn rewrites_serde_type_errors() {
        assert_eq!(
            explain_serde_message("invalid type: string \"three\", expected i64"),
            "expected an integer, found the text \"three\""
        );
        assert_eq!(
            explain_serde_message("invalid type: floating point `1.5`, expected i64"),
            "expected an integer, found the number 1.5"
        );
        assert_eq!(
            explain_serde_message("invalid value: integer `-1`, expected u64"),
            "expected a whole number, 0 or more, found the number -1"
        );
        assert_eq!(
            explain_serde_message("invalid length 1, expected struct Scenario with 13 elements"),
            "expected an object (fields by name), found a list"
        );
        assert_eq!(explain_serde_message("invalid type: sequence, expected a map"), "expected an object, found a list");
        assert_eq!(
            explain_serde_message("data did not match any variant of untagged enum RecordSettings"),
            "the value has none of the forms expected here"
        );
    }

    #[test]
    fn explains_syntax_errors() {
        let message = |text: &str| parse::<serde_json::Value>(Path::new("f.json"), text).unwrap_err().to_string();
        assert_eq!(
            message("{\"a\": 1"),
            "f.json:1:7: the file is not valid JSON: the file ends inside an object (a bracket or quote is not closed)"
        );
        assert!(message("{\"a\": 1 \"b\": 2}").contains("is a comma missing between two fields?"));
        assert!(message("{\"a\": [1,]}").contains("a comma before a closing bracket"));
        assert!(message("{\"a\": \"\\x\"}").contains("an unknown escape after a backslash"));
        assert!(message("{\"a\": \"\t\"}").contains("a control character"));
        assert!(message(&format!("{}1{}", "[".repeat(200), "]".repeat(200))).contains("nested more than 128 levels"));
        assert!(message("{} x").contains("more text after the end"));
    }

    #[test]
    fn refuses_what_is_not_a_small_regular_file() {
        let dir = std::env::temp_dir();
        let err = read(&dir, SCENARIO).unwrap_err().to_string();
        assert!(err.contains("cannot read the scenario file") && err.contains("a directory"), "{err}");
        let err = read(Path::new("/dev/null"), SWEEP).unwrap_err().to_string();
        assert!(err.contains("cannot read the sweep file") && err.contains("not a regular file"), "{err}");
        let err = read(Path::new("no/such/file.json"), SHARD).unwrap_err().to_string();
        assert!(err.contains("no/such/file.json: cannot read the shard file: no such file"), "{err}");
        let big = dir.join(format!("fosim-input-test-{}.json", std::process::id()));
        std::fs::write(&big, vec![b' '; 100]).unwrap();
        let err = read(&big, Kind { what: "scenario file", bytes_max: 99 }).unwrap_err().to_string();
        std::fs::remove_file(&big).unwrap();
        assert!(err.contains("holds 100 bytes"), "{err}");
    }

    #[test]
    fn escapes_pointer_segments() {
        assert_eq!(pointer(&["dns", "records", "a/b~c"]), "/dns/records/a~1b~0c");
        assert_eq!(readable("/dns/records/a~1b~0c/ttl"), "/dns/records/\"a/b~c\"/ttl");
        assert_eq!(readable("/parameters/~1dns~1ttl"), "/parameters/\"/dns/ttl\"");
        assert_eq!(readable("/clients/web/count"), "/clients/web/count");
    }

    #[test]
    fn refuses_a_name_twice_in_one_object() {
        let text = "{\"a\": {\"x\": 1, \"y\": [ {\"k/1\": 1, \"k/1\": 2} ]}}";
        let err = parse::<serde_json::Value>(Path::new("f.json"), text).unwrap_err().to_string();
        assert!(err.starts_with("f.json:1:"), "{err}");
        assert!(err.contains("at /a/y/0: \"k/1\" appears twice in this object"), "{err}");
        let (value, _) =
            parse::<serde_json::Value>(Path::new("f.json"), "{\"a\": [1, 2.5, \"x\", null, true]}").unwrap();
        assert_eq!(value, serde_json::json!({"a": [1, 2.5, "x", null, true]}));
    }
}
