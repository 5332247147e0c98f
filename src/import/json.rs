//! Walking a JSON file that fosim did not define (AWS, Terraform and CloudFormation
//! output) with errors in plain words: every value knows its file and JSON Pointer, and a
//! wrong type says what was expected and what was found.

use crate::input::{self, InputError};
use serde_json::Value;
use std::path::Path;

/// Input files of an import: 64 MiB is far more than the largest zone's output.
pub const IMPORT: input::Kind = input::Kind { what: "file to import", bytes_max: 64 << 20 };

/// A value inside a file, with its place.
#[derive(Clone, Debug)]
pub struct Node<'a> {
    pub value: &'a Value,
    pub pointer: String,
    pub file: &'a Path,
}

/// Reads and parses a file to import.
pub fn load(path: &Path) -> Result<Value, InputError> {
    parse(path, &input::read_text(path, IMPORT)?)
}

/// Parses the text of a file to import; `path` only names the file in errors.
pub fn parse(path: &Path, text: &str) -> Result<Value, InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(InputError::invalid(path, "", "the file is empty; expected a JSON object"));
    }
    input::parse::<Value>(path, text).map(|(value, _)| value).map_err(|error| {
        let hint = if looks_like_yaml(text) {
            "this looks like a YAML CloudFormation template: convert it to JSON (e.g. `cfn-flip template.yaml \
             template.json`) and use `fosim import cloudformation FILE`"
        } else if text.trim_start().starts_with("resource \"") || text.trim_start().starts_with("# ") {
            "this looks like Terraform's text output or configuration: give fosim the JSON of \
             `terraform show -json` (or `terraform show -json PLANFILE`)"
        } else {
            return error;
        };
        InputError::invalid(path, "", format!("the file is not JSON; {hint}"))
    })
}

/// A CloudFormation template written in YAML (its top-level keys or short-form tags).
pub fn looks_like_yaml(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    if text.starts_with('{') || text.starts_with('[') {
        return false;
    }
    let keys = ["AWSTemplateFormatVersion:", "Resources:", "Parameters:", "Description:", "Transform:"];
    text.lines().any(|line| keys.iter().any(|k| line.starts_with(k)))
        || ["!Ref ", "!GetAtt ", "!Sub "].iter().any(|tag| text.contains(tag))
}

/// "a string", "the number 42", …: what a value is, for messages.
pub fn describe(value: &Value) -> String {
    let short = |s: &str| {
        if s.chars().count() > 40 { format!("{}…", s.chars().take(40).collect::<String>()) } else { s.to_owned() }
    };
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the text \"{}\"", short(s)),
        Value::Array(a) => format!("a list of {} items", a.len()),
        Value::Object(_) => "an object".into(),
    }
}

impl<'a> Node<'a> {
    pub fn root(file: &'a Path, value: &'a Value) -> Self {
        Node { value, pointer: String::new(), file }
    }

    /// An error about this value.
    pub fn error(&self, message: impl Into<String>) -> InputError {
        InputError::invalid(self.file, self.pointer.clone(), message)
    }

    fn wrong(&self, expected: &str) -> InputError {
        self.error(format!("expected {expected}, found {}", describe(self.value)))
    }

    fn child(&self, segment: &str, value: &'a Value) -> Node<'a> {
        Node { value, pointer: format!("{}{}", self.pointer, input::pointer(&[segment])), file: self.file }
    }

    /// A field of an object; `None` when absent or null.
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        match self.value.get(key) {
            None | Some(Value::Null) => None,
            Some(value) => Some(self.child(key, value)),
        }
    }

    /// A required field.
    pub fn field(&self, key: &str) -> Result<Node<'a>, InputError> {
        if !self.value.is_object() {
            return Err(self.wrong("an object"));
        }
        self.get(key).ok_or_else(|| self.error(format!("the required field \"{key}\" is missing")))
    }

    pub fn str(&self) -> Result<&'a str, InputError> {
        self.value.as_str().ok_or_else(|| self.wrong("text"))
    }

    /// A whole number, written as a number or (CloudFormation) as text.
    pub fn u64(&self) -> Result<u64, InputError> {
        match self.value {
            Value::Number(n) => n.as_u64().ok_or_else(|| self.wrong("a whole number, 0 or more")),
            Value::String(s) => s.trim().parse().map_err(|_| self.wrong("a whole number, 0 or more")),
            _ => Err(self.wrong("a whole number")),
        }
    }

    /// A number, written as a number or as text.
    pub fn f64(&self) -> Result<f64, InputError> {
        match self.value {
            Value::Number(n) => n.as_f64().ok_or_else(|| self.wrong("a number")),
            Value::String(s) => {
                s.trim().parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| self.wrong("a number"))
            }
            _ => Err(self.wrong("a number")),
        }
    }

    /// true or false, written as a boolean or (CloudFormation) as text.
    pub fn bool(&self) -> Result<bool, InputError> {
        match self.value {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err(self.wrong("true or false")),
        }
    }

    pub fn array(&self) -> Result<Vec<Node<'a>>, InputError> {
        let items = self.value.as_array().ok_or_else(|| self.wrong("a list"))?;
        Ok(items.iter().enumerate().map(|(i, v)| self.child(&i.to_string(), v)).collect())
    }

    /// The fields of an object, in file order.
    pub fn entries(&self) -> Result<Vec<(&'a str, Node<'a>)>, InputError> {
        let map = self.value.as_object().ok_or_else(|| self.wrong("an object"))?;
        Ok(map.iter().map(|(k, v)| (k.as_str(), self.child(k, v))).collect())
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>, InputError> {
        self.get(key).map(|n| n.str()).transpose()
    }

    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>, InputError> {
        self.get(key).map(|n| n.u64()).transpose()
    }

    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>, InputError> {
        self.get(key).map(|n| n.f64()).transpose()
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, InputError> {
        self.get(key).map(|n| n.bool()).transpose()
    }

    /// A list of text values (absent: empty).
    pub fn strings(&self, key: &str) -> Result<Vec<String>, InputError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(list) => list.array()?.iter().map(|n| n.str().map(str::to_owned)).collect(),
        }
    }
}
