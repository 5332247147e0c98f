//! Short names for what a sweep shows: its parameters ("hc-primary failure threshold",
//! "primary fault 0 duration") and its figures ("client failover p99 (s)"). Tables, charts
//! and `report.html` show these; `results.json` keeps the full JSON Pointers beside them,
//! and `results.csv` keeps machine-friendly headers derived from the pointers.
//!
//! Pure functions of pointers and of the sweep's results (whether they have several
//! episodes, which grid point the base is): nothing here reads files or the scenario.

use super::run::{ParameterResult, SweepResults};
use std::collections::BTreeMap;

/// The unescaped segments of a JSON Pointer.
fn segments(pointer: &str) -> Vec<String> {
    pointer.trim_start_matches('/').split('/').map(|s| s.replace("~1", "/").replace("~0", "~")).collect()
}

fn is_index(segment: &str) -> bool {
    !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit())
}

/// "failure_threshold" → "failure threshold".
fn words(segment: &str) -> String {
    segment.replace('_', " ")
}

/// The name of one element of a list: "faults" → "fault".
fn singular(list: &str) -> String {
    let w = words(list);
    match w.strip_suffix('s') {
        Some(stem) if !stem.ends_with('s') && !stem.is_empty() => stem.to_owned(),
        _ => w,
    }
}

/// The name of a parameter from its segments, with `extra` more segments of context on the
/// left. The core is the last segment that is not a list index, with the indices after it;
/// a field of a list element ("faults/0/duration") brings the element and its owner with it
/// ("primary fault 0 duration"), since the index alone says nothing.
fn parameter_name(segments: &[String], extra: usize) -> String {
    let n = segments.len();
    let Some(mut start) = segments.iter().rposition(|s| !is_index(s)) else {
        return segments.join(" ");
    };
    // Indices right after the core name an element of the list it names.
    let mut tokens: Vec<String> = Vec::new();
    let core = &segments[start];
    let trailing = &segments[start + 1..];
    tokens.push(if trailing.is_empty() { words(core) } else { singular(core) });
    tokens.extend(trailing.iter().cloned());
    // A field inside list elements: bring each element (list name and index) and then the
    // list's owner.
    let mut inside_list = false;
    while start >= 2 && is_index(&segments[start - 1]) {
        let list = &segments[start - 2];
        tokens.insert(0, segments[start - 1].clone());
        tokens.insert(0, singular(list));
        start -= 2;
        inside_list = true;
    }
    let context = usize::from(inside_list || !trailing.is_empty()) + extra;
    for _ in 0..context {
        if start == 0 {
            break;
        }
        start -= 1;
        tokens.insert(0, if is_index(&segments[start]) { segments[start].clone() } else { words(&segments[start]) });
    }
    debug_assert!(start < n);
    tokens.join(" ")
}

/// Short, unique names for parameters: `explicit` where the sweep file names a parameter,
/// else from the pointer, qualified by its parent (then grandparent…) where two would
/// read the same.
pub fn parameter_names(pointers: &[&str], explicit: &[Option<String>]) -> Vec<String> {
    let segs: Vec<Vec<String>> = pointers.iter().map(|p| segments(p)).collect();
    let mut extra = vec![0usize; pointers.len()];
    loop {
        let names: Vec<String> = segs
            .iter()
            .zip(&extra)
            .zip(explicit)
            .map(|((s, &e), name)| name.clone().unwrap_or_else(|| parameter_name(s, e)))
            .collect();
        let mut clashed = false;
        for i in 0..names.len() {
            let clash = names.iter().filter(|n| **n == names[i]).count() > 1;
            if clash && explicit[i].is_none() && extra[i] < segs[i].len() {
                extra[i] += 1;
                clashed = true;
            }
        }
        if !clashed {
            return names;
        }
    }
}

/// How a figure reads: "client failover p99 (s)", "users: requests", "episode 2: detection
/// (s)". `episodes`: whether to say which episode (when the results have several).
pub fn metric_name(pointer: &str, episodes: bool) -> String {
    let segs = segments(pointer);
    let mut rest: &[String] = &segs;
    let mut context: Vec<String> = Vec::new();
    if rest.first().is_some_and(|s| s == "totals") {
        rest = &rest[1..];
    }
    if rest.len() >= 2 && rest[0] == "episodes" && is_index(&rest[1]) {
        if episodes {
            let k: usize = rest[1].parse().unwrap_or(0);
            context.push(format!("episode {}", k + 1));
        }
        rest = &rest[2..];
    }
    if rest.len() >= 3 && ["groups", "health_checks", "record_sets", "endpoints"].contains(&rest[0].as_str()) {
        context.push(rest[1].clone());
        rest = &rest[2..];
    }
    let mut unit = None;
    let mut tokens: Vec<String> = Vec::new();
    for s in rest {
        let s = if let Some(stem) = s.strip_suffix("_per_s") {
            format!("{stem} per s")
        } else if let Some(stem) = s.strip_suffix("_s") {
            unit = Some("s");
            stem.to_owned()
        } else {
            s.clone()
        };
        tokens.push(words(&s));
    }
    let mut name = tokens.join(" ");
    if let Some(unit) = unit {
        name = format!("{name} ({unit})");
    }
    if context.is_empty() { name } else { format!("{}: {name}", context.join(", ")) }
}

/// Names for a list of figures: short, with the episode where the results have several, and
/// with the episode (then the whole pointer) where two would read the same.
pub fn metric_names<'a>(pointers: impl IntoIterator<Item = &'a str>, episodes: bool) -> BTreeMap<String, String> {
    let pointers: Vec<&str> = pointers.into_iter().collect();
    let mut out = BTreeMap::new();
    let first: Vec<String> = pointers.iter().map(|p| metric_name(p, episodes)).collect();
    for (i, p) in pointers.iter().enumerate() {
        let clash = first.iter().zip(&pointers).any(|(n, q)| n == &first[i] && q != p);
        let name = if !clash {
            first[i].clone()
        } else {
            let with_episode = metric_name(p, true);
            let still = pointers.iter().any(|q| q != p && metric_name(q, true) == with_episode);
            if still { p.trim_start_matches('/').replace('/', " ") } else { with_episode }
        };
        out.insert((*p).to_owned(), name);
    }
    out
}

/// Whether the results have more than one episode (then figures say which).
pub fn several_episodes(results: &SweepResults) -> bool {
    std::iter::once(&results.base)
        .chain(&results.points)
        .any(|p| p.summary.iter().any(|r| r.metric.starts_with("/episodes/1/")))
}

/// Every figure a sweep's outputs name — shown, minimised, constrained — by its name.
pub fn figures(results: &SweepResults) -> BTreeMap<String, String> {
    let mut pointers: Vec<&str> = results.metrics.iter().map(String::as_str).collect();
    if let Some(o) = &results.objective {
        pointers.push(&o.minimize);
        pointers.extend(o.subject_to.iter().map(|c| c.metric.as_str()));
    }
    metric_names(pointers, several_episodes(results))
}

/// The name of one figure of these results (figures outside `figures` are named alone).
pub fn figure(names: &BTreeMap<String, String>, pointer: &str) -> String {
    names.get(pointer).cloned().unwrap_or_else(|| metric_name(pointer, false))
}

/// How the base scenario's value of parameter `k` reads: the label of the grid point equal
/// to the base, else of the equal grid value, "default" where the scenario leaves the field
/// out, a number or text as it is, and "as in the scenario" for an object or a list that no
/// grid value equals.
pub fn base_label(results: &SweepResults, k: usize) -> String {
    let parameter: &ParameterResult = &results.parameters[k];
    if let Some(p) = results.base_point {
        return parameter.labels[results.points[p].values[k]].clone();
    }
    if let Some(k) = parameter.values.iter().position(|v| *v == parameter.base_value) {
        return parameter.labels[k].clone();
    }
    match &parameter.base_value {
        serde_json::Value::Null => "default".into(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(_) | serde_json::Value::Array(_) => "as in the scenario".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_read_short_and_unique() {
        let none = |n: usize| vec![None; n];
        assert_eq!(
            parameter_names(&["/health_checks/hc-primary/failure_threshold", "/dns/records/app/ttl"], &none(2)),
            ["failure threshold", "ttl"]
        );
        assert_eq!(
            parameter_names(&["/health_checks/a/failure_threshold", "/health_checks/b/failure_threshold"], &none(2)),
            ["a failure threshold", "b failure threshold"]
        );
        assert_eq!(
            parameter_names(&["/endpoints/primary/faults/0/duration", "/endpoints/primary/faults/1"], &none(2)),
            ["primary fault 0 duration", "primary fault 1"]
        );
        assert_eq!(parameter_names(&["/clients/users"], &[Some("client mix".into())]), ["client mix"]);
        assert_eq!(parameter_names(&["/seed"], &none(1)), ["seed"]);
    }

    #[test]
    fn figures_read_short_with_their_unit() {
        assert_eq!(metric_name("/episodes/0/client_failover_s/p99", false), "client failover p99 (s)");
        assert_eq!(metric_name("/episodes/1/detection_s", true), "episode 2: detection (s)");
        assert_eq!(metric_name("/totals/authoritative_queries_per_s", false), "authoritative queries per s");
        assert_eq!(metric_name("/totals/availability", false), "availability");
        assert_eq!(metric_name("/groups/users/requests", false), "users: requests");
        assert_eq!(
            metric_name("/episodes/0/groups/java/client_failover_s/p50", true),
            "episode 1, java: client failover p50 (s)"
        );
        let names = metric_names(["/totals/requests_misrouted", "/episodes/0/requests_misrouted"], false);
        assert_eq!(names["/totals/requests_misrouted"], "requests misrouted");
        assert_eq!(names["/episodes/0/requests_misrouted"], "episode 1: requests misrouted");
    }
}
