//! Errors in scenario files: each names the file, where in it (JSON Pointer and, when
//! known, line:column), what was expected and what was found, in one paragraph.
//!
//! Owns the wording of every input error and the "did you mean" hints.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read at all.
    #[error("{file}: cannot read the scenario file: {reason}")]
    Read { file: PathBuf, reason: String },
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

impl ScenarioError {
    pub fn invalid(file: &std::path::Path, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError::Invalid { file: file.to_owned(), pointer: pointer.into(), message: message.into() }
    }
}

fn display_pointer(pointer: &str) -> String {
    if pointer.is_empty() { "the top level".into() } else { pointer.to_owned() }
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
        return format!("expected {}, found {}", plain_type(expected), found.replace('`', "\""));
    }
    message.replace('`', "\"")
}

/// Rust type names in serde messages, in words.
fn plain_type(expected: &str) -> String {
    match expected {
        "i64" | "u64" | "i32" | "u32" | "usize" => "an integer".into(),
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
            "expected an integer, found string \"three\""
        );
        assert_eq!(
            explain_serde_message("invalid type: floating point `1.5`, expected i64"),
            "expected an integer, found floating point \"1.5\""
        );
    }

    #[test]
    fn escapes_pointer_segments() {
        assert_eq!(pointer(&["dns", "records", "a/b~c"]), "/dns/records/a~1b~0c");
    }
}
