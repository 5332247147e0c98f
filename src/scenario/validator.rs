//! The validator's state and its basic checks, shared by the files that validate parts of a
//! scenario (config.rs, records.rs): errors and warnings located by JSON Pointer, counts,
//! durations, probabilities, regions and ids.

use super::values::Probability;
use crate::input::{InputError, Warning, did_you_mean};
use crate::time::SimDuration;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Checker regions are numbered with `u16`.
pub const REGIONS_MAX: usize = u16::MAX as usize;

pub(super) struct Validator<'a> {
    pub(super) file: &'a Path,
    pub(super) warnings: Vec<Warning>,
    /// Every region named by a health check or a fault so far.
    pub(super) regions: Vec<String>,
    /// For `lookup`: the index of every id of each map looked up so far, keyed by the map's
    /// address and size (`lookup` is given maps of the scenario under validation, which
    /// lives and stays unchanged throughout), so that resolving ids costs one hash each,
    /// not a scan of the keys per id.
    pub(super) ids: RefCell<HashMap<(usize, usize), HashMap<String, u32>>>,
}

pub(super) type Check<T> = Result<T, InputError>;

impl Validator<'_> {
    pub(super) fn error(&self, at: &str, message: impl Into<String>) -> InputError {
        InputError::invalid(self.file, at, message)
    }

    pub(super) fn warn(&mut self, at: &str, message: impl Into<String>) {
        self.warnings.push(Warning { pointer: at.to_owned(), message: message.into() });
    }

    pub(super) fn count(&self, at: &str, value: i64, min: i64, max: i64, what: &str) -> Check<u32> {
        if value < min || value > max {
            return Err(self.error(at, format!("expected {what} from {min} to {max}, found {value}")));
        }
        Ok(value as u32)
    }

    pub(super) fn positive(&self, at: &str, us: SimDuration, what: &str) -> Check<SimDuration> {
        if us == 0 {
            return Err(self.error(at, format!("expected a positive {what}, found 0")));
        }
        Ok(us)
    }

    pub(super) fn probability(&self, at: &str, p: f64) -> Check<Probability> {
        if !(0.0..=1.0).contains(&p) {
            return Err(self.error(at, format!("expected a probability from 0 to 1, found {p}")));
        }
        Ok(Probability::new(p))
    }

    /// The number of a region, registering a new one.
    pub(super) fn region(&mut self, at: &str, name: &str) -> Check<u16> {
        if let Some(i) = self.regions.iter().position(|r| r == name) {
            return Ok(i as u16);
        }
        if self.regions.len() >= REGIONS_MAX {
            return Err(self.error(at, format!("expected at most {REGIONS_MAX} distinct regions in the scenario")));
        }
        self.regions.push(name.to_owned());
        Ok((self.regions.len() - 1) as u16)
    }

    /// The index of `id` among the map's keys (its position in id order), or an error
    /// naming the known ids. `map` must belong to the scenario being validated.
    pub(super) fn lookup<T>(&self, at: &str, map: &BTreeMap<String, T>, id: &str, what: &str) -> Check<u32> {
        let found = {
            let mut ids = self.ids.borrow_mut();
            let index = ids
                .entry((std::ptr::from_ref(map).addr(), map.len()))
                .or_insert_with(|| (0u32..).zip(map.keys()).map(|(i, k)| (k.clone(), i)).collect());
            index.get(id).copied()
        };
        match found {
            Some(i) => Ok(i),
            None => {
                let known: Vec<&str> = map.keys().map(String::as_str).collect();
                let listed = if known.is_empty() {
                    format!("there are no {what}s")
                } else {
                    format!(
                        "the {what}s are {}",
                        known.iter().map(|k| format!("\"{k}\"")).collect::<Vec<_>>().join(", ")
                    )
                };
                Err(self.error(at, format!("unknown {what} \"{id}\"{}; {listed}", did_you_mean(id, &known))))
            }
        }
    }
}
