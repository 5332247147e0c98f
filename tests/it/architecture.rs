//! ARCHITECTURE.md's boundaries, checked on the source: the layers it lists (each module
//! uses only modules of lower layers), no import cycle between the files of a module, and
//! random draws only where it allows them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every library source file, by module path (`src/model/health.rs` → `model::health`),
/// with its code outside tests and comments.
fn sources() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![Path::new("src").to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path.strip_prefix("src").unwrap().with_extension("");
            let mut segments: Vec<String> = relative.iter().map(|s| s.to_str().unwrap().to_owned()).collect();
            if segments.last().is_some_and(|s| s == "mod") {
                segments.pop();
            }
            let module = segments.join("::");
            if ["lib", "main", "cli"].contains(&module.as_str()) {
                continue;
            }
            out.insert(module, code(&std::fs::read_to_string(&path).unwrap()));
        }
    }
    out
}

/// The code of a file without its `#[cfg(test)]` module and without comments.
fn code(text: &str) -> String {
    let text = text.split("\n#[cfg(test)]").next().unwrap();
    text.lines().map(|l| l.split("//").next().unwrap()).collect::<Vec<_>>().join("\n")
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The modules a file names: `crate::a::b`, `super::x`, `super::{x, y}`, resolved to the
/// deepest existing module.
fn references(module: &str, code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let own: Vec<&str> = module.split("::").collect();
    // The deepest module the path names; an item of `base` itself resolves to `base`.
    let resolve = |base: Vec<String>, rest: &[&str]| -> Option<String> {
        let mut best = (!base.is_empty()).then(|| base.join("::"));
        let mut path = base;
        for segment in rest {
            path.push((*segment).to_owned());
            let candidate = path.join("::");
            if !modules.contains(&candidate) {
                break;
            }
            best = Some(candidate);
        }
        best
    };
    let mut out = BTreeSet::new();
    for (prefix, base) in [("crate::", Vec::new()), ("super::", own[..own.len().saturating_sub(1)].to_vec())] {
        let base: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().last();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(is_ident_char) {
                continue;
            }
            let groups: Vec<String> = if let Some(inner) = rest.strip_prefix('{') {
                let inner = &inner[..inner.find('}').unwrap_or(inner.len())];
                inner.split(',').map(|s| s.trim().to_owned()).collect()
            } else {
                vec![rest.chars().take_while(|&c| is_ident_char(c) || c == ':').collect()]
            };
            for group in groups {
                let segments: Vec<&str> = group.split("::").filter(|s| !s.is_empty()).collect();
                if let Some(target) = resolve(base.clone(), &segments)
                    && !target.is_empty()
                    && target != module
                {
                    out.insert(target);
                }
            }
        }
    }
    out
}

/// The layers ARCHITECTURE.md lists under "## Layers": `1. `a`, `b`` lines, bottom first.
fn layers() -> Vec<Vec<String>> {
    let text = std::fs::read_to_string("ARCHITECTURE.md").unwrap();
    let section = text.split("## Layers").nth(1).expect("ARCHITECTURE.md has a \"## Layers\" section");
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter(|l| l.trim_start().chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(|l| {
            let names = l.split('—').next().unwrap();
            names.split('`').skip(1).step_by(2).map(str::to_owned).collect()
        })
        .collect()
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap()
}

#[test]
fn modules_use_only_lower_layers() {
    let sources = sources();
    let modules: BTreeSet<String> = sources.keys().cloned().collect();
    let layers = layers();
    let level = |m: &str| layers.iter().position(|l| l.iter().any(|n| n == m));
    let tops: BTreeSet<&str> = modules.iter().map(|m| top(m)).collect();
    for t in &tops {
        assert!(level(t).is_some(), "ARCHITECTURE.md's layers do not list the module `{t}`");
    }
    let mut wrong = Vec::new();
    for (module, code) in &sources {
        for target in references(module, code, &modules) {
            let (from, to) = (top(module), top(&target));
            if from != to && level(to) >= level(from) {
                wrong.push(format!("{module} uses {target}, which is not in a lower layer"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against ARCHITECTURE.md's layers:\n{}", wrong.join("\n"));
}

#[test]
fn the_files_of_a_module_do_not_import_each_other_in_a_cycle() {
    let sources = sources();
    let modules: BTreeSet<String> = sources.keys().cloned().collect();
    // Edges between siblings (files of one directory); a file may use its parent module.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, code) in &sources {
        let parent = module.rsplit_once("::").map(|(p, _)| p);
        for target in references(module, code, &modules) {
            let sibling = |m: &str| m.rsplit_once("::").map(|(p, _)| p) == parent && parent.is_some();
            // A sibling's submodule counts as the sibling.
            let target = match parent {
                Some(p) if target.starts_with(&format!("{p}::")) => {
                    let rest = &target[p.len() + 2..];
                    format!("{p}::{}", rest.split("::").next().unwrap())
                }
                _ => target,
            };
            if sibling(&target) && target != *module {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    // Depth-first search for a cycle.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(2) => return None,
            Some(1) => {
                let start = path.iter().position(|p| p == node).unwrap();
                let mut cycle = path[start..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(node.to_owned(), 1);
        path.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, state, path) {
                return Some(cycle);
            }
        }
        path.pop();
        state.insert(node.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in edges.keys() {
        if let Some(cycle) = visit(node, &edges, &mut state, &mut Vec::new()) {
            panic!("import cycle: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn metrics_see_the_model_only_through_observations() {
    let sources = sources();
    let modules: BTreeSet<String> = sources.keys().cloned().collect();
    for (module, code) in &sources {
        let targets = references(module, code, &modules);
        if top(module) == "metrics" {
            assert!(!targets.iter().any(|t| top(t) == "model"), "{module} uses the model: {targets:?}");
        }
        if top(module) == "model" {
            assert!(!targets.iter().any(|t| top(t) == "metrics"), "{module} uses the metrics: {targets:?}");
        }
    }
}

#[test]
fn only_the_model_draws_random_numbers() {
    // The model draws; rng.rs derives the streams and its helpers draw for the model; the
    // benchmark yardsticks draw keys for a bare heap. Tests may draw anywhere.
    let allowed = |m: &str| top(m) == "model" || m == "rng" || m == "bench";
    for (module, code) in sources() {
        if allowed(&module) {
            continue;
        }
        for needle in ["rand::", "rand_distr::", "rand_chacha::", "crate::rng", "rng::"] {
            assert!(!code.contains(needle), "{module} draws random numbers (it uses {needle})");
        }
    }
}
