//! Simulated time: integer microseconds, and the human duration syntax of scenario files.
//!
//! Owns parsing ("250ms", "30s", "1m30s", "2h", "1d", or a number of seconds) and printing
//! of durations. It must not know about any model component.

/// A point in simulated time, in microseconds since the engine started.
pub type SimTime = u64;
/// A span of simulated time, in microseconds.
pub type SimDuration = u64;

pub const US_PER_MS: u64 = 1_000;
pub const US_PER_S: u64 = 1_000_000;
pub const US_PER_MIN: u64 = 60 * US_PER_S;
pub const US_PER_H: u64 = 60 * US_PER_MIN;
pub const US_PER_DAY: u64 = 24 * US_PER_H;

/// The longest duration a file may name: a century. Anything longer is a typo, and the cap
/// keeps every sum of a few durations far from `u64` overflow.
pub const DURATION_US_MAX: u64 = 36_525 * US_PER_DAY;

const UNITS: [(&str, u64); 7] =
    [("ms", US_PER_MS), ("us", 1), ("µs", 1), ("d", US_PER_DAY), ("h", US_PER_H), ("m", US_PER_MIN), ("s", US_PER_S)];

/// Parses "250ms", "30s", "1m30s", "1.5h", "2h 30m". Components may be decimal.
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err("an empty string".into());
    }
    if compact.starts_with('-') {
        return Err(format!("\"{text}\" (a negative duration)"));
    }
    let mut rest = compact.as_str();
    let mut total_us: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if number_len == 0 {
            return Err(format!("\"{text}\" (expected a number before \"{rest}\")"));
        }
        let number: f64 = rest[..number_len]
            .parse()
            .map_err(|_| format!("\"{text}\" (\"{}\" is not a number)", &rest[..number_len]))?;
        rest = &rest[number_len..];
        let (unit, scale) = UNITS.iter().find(|(unit, _)| rest.starts_with(unit)).ok_or_else(|| {
            format!("\"{text}\" (a unit is missing or unknown after {number}; use d, h, m, s, ms or us)")
        })?;
        rest = &rest[unit.len()..];
        total_us += number * *scale as f64;
    }
    seconds_checked(total_us / US_PER_S as f64).map_err(|why| format!("\"{text}\" ({why})"))
}

/// Converts a number of seconds from a file to microseconds, rounding to the nearest.
pub fn seconds_checked(seconds: f64) -> Result<SimDuration, String> {
    if !seconds.is_finite() {
        return Err("not a finite number".into());
    }
    if seconds < 0.0 {
        return Err("negative".into());
    }
    let us = (seconds * US_PER_S as f64).round();
    if us > DURATION_US_MAX as f64 {
        return Err("longer than 100 years".into());
    }
    Ok(us as u64)
}

/// Seconds as a float, for summaries and output only.
pub fn to_seconds(us: SimDuration) -> f64 {
    us as f64 / US_PER_S as f64
}

/// Prints a duration compactly for people: "1m30s", "250ms", "2h", "0s".
pub fn format_duration(us: SimDuration) -> String {
    if us == 0 {
        return "0s".into();
    }
    if us < US_PER_S {
        return if us.is_multiple_of(US_PER_MS) { format!("{}ms", us / US_PER_MS) } else { format!("{us}us") };
    }
    let mut out = String::new();
    let mut rest = us;
    for (unit, scale) in [("d", US_PER_DAY), ("h", US_PER_H), ("m", US_PER_MIN)] {
        if rest >= scale {
            out.push_str(&format!("{}{unit}", rest / scale));
            rest %= scale;
        }
    }
    if rest > 0 {
        let seconds = rest as f64 / US_PER_S as f64;
        let text = format!("{seconds:.3}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        out.push_str(text);
        out.push('s');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spec_examples() {
        assert_eq!(parse_duration("250ms"), Ok(250 * US_PER_MS));
        assert_eq!(parse_duration("30s"), Ok(30 * US_PER_S));
        assert_eq!(parse_duration("1m30s"), Ok(90 * US_PER_S));
        assert_eq!(parse_duration("2h"), Ok(2 * US_PER_H));
        assert_eq!(parse_duration("1d"), Ok(US_PER_DAY));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000));
        assert_eq!(parse_duration("2h 30m"), Ok(2 * US_PER_H + 30 * US_PER_MIN));
        assert_eq!(parse_duration("10us"), Ok(10));
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for bad in ["", "30", "s", "30 secs", "1x", "-5s", "1..2s", "1000000d"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn prints_round_trips() {
        for us in [0, 250 * US_PER_MS, 90 * US_PER_S, 2 * US_PER_H, US_PER_DAY + 1_500_000, 7] {
            assert_eq!(parse_duration(&format_duration(us)), Ok(us), "{us}");
        }
        assert_eq!(format_duration(90 * US_PER_S), "1m30s");
    }
}
