//! Authoritative name servers and failover records: each name server's view of health,
//! updated after its own propagation delay, and the Route 53 failover rules applied to it
//! (docs/model.md §4).
//!
//! Owns what each name server answers. Updates are applied in the order the status changes
//! happened: an update older than one already applied is dropped.

use crate::observe::{AnswerChange, Transition};
use crate::rng::{self, Stream};
use crate::scenario::config::{Config, RecordConfig};
use crate::time::SimTime;

pub struct NameServers {
    count: usize,
    check_count: usize,
    /// View of each check's health, `[ns * check_count + check]`.
    views: Vec<bool>,
    /// One past the last transition applied, `[ns * check_count + check]` (0: none).
    applied: Vec<u32>,
    /// Current answer (endpoint) of each record, `[ns * record_count + record]`.
    answers: Vec<u32>,
    record_count: usize,
    rngs: Vec<Stream>,
    /// Records whose answer depends on each check.
    records_of_check: Vec<Vec<u32>>,
}

/// Route 53 failover: the primary while it is healthy or unchecked; else the secondary
/// when it is healthy or unchecked; else (both unhealthy) the primary.
pub fn failover_answer(record: &RecordConfig, healthy: impl Fn(u32) -> bool) -> u32 {
    let up = |check: Option<u32>| check.is_none_or(&healthy);
    if up(record.primary.health_check) {
        record.primary.endpoint
    } else if up(record.secondary.health_check) {
        record.secondary.endpoint
    } else {
        record.primary.endpoint
    }
}

impl NameServers {
    pub fn new(config: &Config, run_seed: u64, initial_health: &[bool]) -> Self {
        let count = config.name_server_count as usize;
        let check_count = config.health_checks.len();
        let records_of_check = (0..check_count as u32)
            .map(|c| {
                (0u32..)
                    .zip(&config.records)
                    .filter(|(_, r)| r.primary.health_check == Some(c) || r.secondary.health_check == Some(c))
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();
        let initial_answers: Vec<u32> =
            config.records.iter().map(|r| failover_answer(r, |c| initial_health[c as usize])).collect();
        NameServers {
            count,
            check_count,
            views: initial_health.repeat(count),
            applied: vec![0; count * check_count],
            answers: initial_answers.repeat(count),
            record_count: config.records.len(),
            rngs: (0..count).map(|i| rng::stream(run_seed, &format!("ns/{i}"))).collect(),
            records_of_check,
        }
    }

    pub fn count(&self) -> u32 {
        self.count as u32
    }

    pub fn answer(&self, name_server: u32, record: u32) -> u32 {
        self.answers[name_server as usize * self.record_count + record as usize]
    }

    /// When a status change reaches each name server: (name server, arrival time).
    pub fn propagate<'a>(
        &'a mut self,
        config: &'a Config,
        now_us: SimTime,
    ) -> impl Iterator<Item = (u32, SimTime)> + 'a {
        let delay = &config.propagation_delay;
        self.rngs.iter_mut().enumerate().map(move |(ns, rng)| (ns as u32, now_us + delay.sample(rng)))
    }

    /// A status change arrives at a name server; the answers it changes go to `changes`.
    pub fn on_update(
        &mut self,
        config: &Config,
        now_us: SimTime,
        name_server: u32,
        id: u32,
        transition: Transition,
        changes: &mut Vec<AnswerChange>,
    ) {
        let ns = name_server as usize;
        let slot = ns * self.check_count + transition.check as usize;
        if self.applied[slot] > id {
            return;
        }
        self.applied[slot] = id + 1;
        self.views[slot] = transition.healthy;
        let view = &self.views[ns * self.check_count..(ns + 1) * self.check_count];
        for &record in &self.records_of_check[transition.check as usize] {
            let endpoint = failover_answer(&config.records[record as usize], |c| view[c as usize]);
            let answer = &mut self.answers[ns * self.record_count + record as usize];
            if *answer != endpoint {
                let previous_endpoint = std::mem::replace(answer, endpoint);
                changes.push(AnswerChange {
                    at_us: now_us,
                    name_server,
                    record,
                    endpoint,
                    previous_endpoint,
                    transition: id,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::config::TargetConfig;

    fn record(primary_check: Option<u32>, secondary_check: Option<u32>) -> RecordConfig {
        RecordConfig {
            name: "r".into(),
            ttl_us: 60_000_000,
            primary: TargetConfig { endpoint: 10, health_check: primary_check },
            secondary: TargetConfig { endpoint: 20, health_check: secondary_check },
        }
    }

    #[test]
    fn route53_failover_rules() {
        let both = record(Some(0), Some(1));
        let health = |p: bool, s: bool| move |c: u32| if c == 0 { p } else { s };
        assert_eq!(failover_answer(&both, health(true, true)), 10);
        assert_eq!(failover_answer(&both, health(false, true)), 20);
        assert_eq!(failover_answer(&both, health(true, false)), 10);
        // Both unhealthy: Route 53 answers the primary.
        assert_eq!(failover_answer(&both, health(false, false)), 10);
        // A secondary without a health check wins whenever the primary is unhealthy.
        let unchecked_secondary = record(Some(0), None);
        assert_eq!(failover_answer(&unchecked_secondary, health(false, false)), 20);
        // A primary without a health check is always answered.
        let unchecked_primary = record(None, Some(1));
        assert_eq!(failover_answer(&unchecked_primary, health(false, false)), 10);
    }
}
