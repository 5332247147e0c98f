//! Value types shared by scenario fields: durations and distributions of durations.
//!
//! Owns their JSON forms, their error messages and their JSON Schema. Drawing from them is
//! the model's (model/draws.rs).

use crate::time::{self, SimDuration};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, de::Error as _};
use serde_json::Value;
use std::borrow::Cow;

const DURATION_EXPECTED: &str = "a duration like \"30s\", \"250ms\", \"1m30s\", \"2h\", \"1d\" or a number of seconds";

/// A duration: a string such as "250ms", "30s", "1m30s", "2h", "1d", or a number of seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Duration(pub SimDuration);

impl Duration {
    pub fn us(self) -> SimDuration {
        self.0
    }
}

fn duration_from_value(value: &Value) -> Result<SimDuration, String> {
    match value {
        Value::String(text) => {
            time::parse_duration(text).map_err(|found| format!("expected {DURATION_EXPECTED}, found {found}"))
        }
        Value::Number(n) => {
            let seconds = n.as_f64().unwrap_or(f64::NAN);
            time::seconds_checked(seconds).map_err(|why| format!("expected {DURATION_EXPECTED}, found {n} ({why})"))
        }
        other => Err(format!("expected {DURATION_EXPECTED}, found {}", describe(other))),
    }
}

/// Names what a JSON value is, for error messages.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string \"{s}\""),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        duration_from_value(&value).map(Duration).map_err(D::Error::custom)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration: \"250ms\", \"30s\", \"1m30s\", \"2h\", \"1d\", or a number of seconds.",
            "oneOf": [
                { "type": "string", "pattern": "^(\\s*[0-9.]+\\s*(d|h|m|s|ms|us|µs))+\\s*$" },
                { "type": "number", "minimum": 0 }
            ]
        })
    }
}

/// A random duration: a fixed duration, or `{"uniform": [min, max]}`,
/// `{"exponential": mean}`, `{"lognormal": {"median": d, "sigma": x}}`.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    Fixed(SimDuration),
    Uniform(SimDuration, SimDuration),
    Exponential(SimDuration),
    Lognormal { median: SimDuration, sigma: f64 },
}

const DIST_EXPECTED: &str = "a duration, or one of {\"uniform\": [min, max]}, {\"exponential\": mean}, {\"lognormal\": {\"median\": d, \"sigma\": x}}";

fn dist_from_value(value: &Value) -> Result<Dist, String> {
    let Value::Object(map) = value else {
        return duration_from_value(value)
            .map(Dist::Fixed)
            .map_err(|_| format!("expected {DIST_EXPECTED}, found {}", describe(value)));
    };
    let mut entries = map.iter();
    let (Some((kind, arg)), None) = (entries.next(), entries.next()) else {
        return Err(format!("expected {DIST_EXPECTED}, found an object with {} keys", map.len()));
    };
    match kind.as_str() {
        "uniform" => {
            let bounds = arg.as_array().filter(|a| a.len() == 2).ok_or_else(|| {
                format!("expected \"uniform\": [min, max] with two durations, found {}", describe(arg))
            })?;
            let (low, high) = (duration_from_value(&bounds[0])?, duration_from_value(&bounds[1])?);
            if low > high {
                return Err(format!(
                    "expected \"uniform\": [min, max] with min <= max, found min {} > max {}",
                    time::format_duration(low),
                    time::format_duration(high)
                ));
            }
            Ok(Dist::Uniform(low, high))
        }
        "exponential" => Ok(Dist::Exponential(duration_from_value(arg)?)),
        "lognormal" => {
            let median = arg
                .get("median")
                .ok_or("expected \"lognormal\": {\"median\": d, \"sigma\": x}, the median is missing")?;
            let sigma = arg
                .get("sigma")
                .and_then(Value::as_f64)
                .ok_or("expected \"lognormal\": {\"median\": d, \"sigma\": x}, sigma (a number) is missing")?;
            if let Some(extra) = arg.as_object().and_then(|o| o.keys().find(|k| *k != "median" && *k != "sigma")) {
                return Err(format!("unknown field \"{extra}\" in \"lognormal\"; expected median and sigma"));
            }
            if !(0.0..=10.0).contains(&sigma) {
                return Err(format!("expected a lognormal sigma from 0 to 10, found {sigma}"));
            }
            Ok(Dist::Lognormal { median: duration_from_value(median)?, sigma })
        }
        other => Err(format!(
            "expected {DIST_EXPECTED}, found an object with the unknown key \"{other}\"{}",
            crate::input::did_you_mean(other, &["uniform", "exponential", "lognormal"])
        )),
    }
}

impl<'de> Deserialize<'de> for Dist {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        dist_from_value(&value).map_err(D::Error::custom)
    }
}

impl JsonSchema for Dist {
    fn schema_name() -> Cow<'static, str> {
        "Dist".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let duration = generator.subschema_for::<Duration>();
        json_schema!({
            "description": "A duration, or a distribution of durations.",
            "oneOf": [
                duration,
                { "type": "object", "additionalProperties": false, "required": ["uniform"],
                  "properties": { "uniform": { "type": "array", "items": duration, "minItems": 2, "maxItems": 2 } } },
                { "type": "object", "additionalProperties": false, "required": ["exponential"],
                  "properties": { "exponential": duration } },
                { "type": "object", "additionalProperties": false, "required": ["lognormal"],
                  "properties": { "lognormal": { "type": "object", "additionalProperties": false,
                      "required": ["median", "sigma"],
                      "properties": { "median": duration, "sigma": { "type": "number", "minimum": 0 } } } } }
            ]
        })
    }
}

impl Dist {
    pub fn mean_us(&self) -> f64 {
        match *self {
            Dist::Fixed(d) => d as f64,
            Dist::Uniform(low, high) => (low as f64 + high as f64) / 2.0,
            Dist::Exponential(mean) => mean as f64,
            Dist::Lognormal { median, sigma } => median as f64 * (sigma * sigma / 2.0).exp(),
        }
    }

    /// The largest value a draw can take, if bounded.
    pub fn max_us(&self) -> Option<SimDuration> {
        match *self {
            Dist::Fixed(d) => Some(d),
            Dist::Uniform(_, high) => Some(high),
            Dist::Exponential(0) => Some(0),
            Dist::Lognormal { median: 0, .. } | Dist::Lognormal { sigma: 0.0, .. } => Some(self.mean_us() as u64),
            _ => None,
        }
    }

    /// The smallest value a draw can take.
    pub fn min_us(&self) -> SimDuration {
        match *self {
            Dist::Fixed(d) => d,
            Dist::Uniform(low, _) => low,
            Dist::Exponential(_) => 0,
            Dist::Lognormal { sigma, median } => {
                if sigma == 0.0 {
                    median
                } else {
                    0
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dist(v: Value) -> Result<Dist, String> {
        dist_from_value(&v)
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(dist(json!("30s")), Ok(Dist::Fixed(30_000_000)));
        assert_eq!(dist(json!(1.5)), Ok(Dist::Fixed(1_500_000)));
        assert_eq!(dist(json!({"uniform": ["1s", 2]})), Ok(Dist::Uniform(1_000_000, 2_000_000)));
        assert_eq!(dist(json!({"exponential": "6h"})), Ok(Dist::Exponential(6 * 3_600_000_000)));
        assert_eq!(
            dist(json!({"lognormal": {"median": "100ms", "sigma": 0.5}})),
            Ok(Dist::Lognormal { median: 100_000, sigma: 0.5 })
        );
    }

    #[test]
    fn explains_what_is_wrong() {
        let err = dist(json!({"uniformm": [1, 2]})).unwrap_err();
        assert!(err.contains("did you mean \"uniform\""), "{err}");
        let err = dist(json!({"uniform": [3, 2]})).unwrap_err();
        assert!(err.contains("min <= max"), "{err}");
        let err = dist(json!(true)).unwrap_err();
        assert!(err.contains("found the boolean true"), "{err}");
    }
}

/// A probability, drawn against with integers: a draw compares one `u64` with `threshold`
/// (model/draws.rs), so there is no float in the event loop and every draw uses exactly one
/// number (which keeps streams aligned across configurations that differ only in the rate).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Probability {
    pub p: f64,
    pub threshold: u128,
}

impl Probability {
    pub const ZERO: Probability = Probability { p: 0.0, threshold: 0 };

    /// `p` must lie in [0, 1]; validation guarantees it.
    pub fn new(p: f64) -> Self {
        assert!((0.0..=1.0).contains(&p), "probability {p} outside [0, 1]");
        let threshold = if p >= 1.0 { 1u128 << 64 } else { (p * 18_446_744_073_709_551_616.0) as u128 };
        Probability { p, threshold }
    }

    pub fn is_zero(&self) -> bool {
        self.threshold == 0
    }
}
