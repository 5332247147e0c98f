//! Authoritative name servers and failover records: each name server's view of health,
//! updated after its own propagation delay, and the Route 53 failover rules applied to it
//! (docs/model.md §4).
//!
//! Owns what each name server answers. Updates are applied in the order the status changes
//! happened: an update older than one already applied is dropped. With an answer cache
//! (`dns.answer_cache`, docs/model.md §4.5) a name server keeps serving an answer until
//! the cache entry holding it expires. It also knows which checks the name servers consult
//! (a failover record consults its secondary's check only while its primary is unhealthy),
//! for checks that expire unused (docs/model.md §3.11).

use crate::observe::{ANY_ENDPOINT, AnswerChange, Transition};
use crate::rng::{self, Stream};
use crate::scenario::config::{Config, RecordConfig};
use crate::scenario::values::Dist;
use crate::time::SimTime;
use rand::Rng;

pub struct NameServers {
    count: usize,
    check_count: usize,
    /// View of each check's health, `[ns * check_count + check]`.
    views: Vec<bool>,
    /// One past the last transition applied, `[ns * check_count + check]` (0: none).
    applied: Vec<u32>,
    /// What each name server answers for each record (its *slot*, `[ns * record_count +
    /// record]`).
    answers: Vec<u32>,
    /// The answer its view of health gives now; differs from `answers` while a cache entry
    /// still serves an older one.
    view_answers: Vec<u32>,
    record_count: usize,
    rngs: Vec<Stream>,
    /// Records whose answer depends on each check.
    records_of_check: Vec<Vec<u32>>,
    cache: Option<AnswerCache>,
    /// The checks each slot's answer consults now.
    consulted: Vec<[Option<u32>; 2]>,
    /// How many slots consult each check.
    users: Vec<u32>,
}

/// Answer caches: each slot's entries follow one another (the name server is queried all
/// the time), each kept for one draw of the lifetime.
struct AnswerCache {
    lifetime: Dist,
    /// A fixed lifetime: each slot's entries expire on a grid of this phase.
    phase_us: Vec<SimTime>,
    /// Per slot: when the entry serving an answer older than the view expires, if one does.
    pending_until: Vec<Option<SimTime>>,
    /// Per slot: the transition behind its latest change of view.
    cause: Vec<u32>,
}

/// Route 53 failover: the primary while it is healthy or unchecked; else the secondary
/// when it is healthy or unchecked; else (both unhealthy) the primary — or, with
/// `when_all_unhealthy: random`, either at random query by query (`ANY_ENDPOINT`).
pub fn failover_answer(record: &RecordConfig, healthy: impl Fn(u32) -> bool) -> u32 {
    let up = |check: Option<u32>| check.is_none_or(&healthy);
    if up(record.primary.health_check) {
        record.primary.endpoint
    } else if up(record.secondary.health_check) {
        record.secondary.endpoint
    } else if record.random_when_all_unhealthy {
        ANY_ENDPOINT
    } else {
        record.primary.endpoint
    }
}

/// The checks a failover record's answer consults: the primary's, and the secondary's
/// only while the primary is unhealthy.
fn consulted(record: &RecordConfig, healthy: impl Fn(u32) -> bool) -> [Option<u32>; 2] {
    let primary_up = record.primary.health_check.is_none_or(&healthy);
    [record.primary.health_check, record.secondary.health_check.filter(|_| !primary_up)]
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
        let record_count = config.records.len();
        let mut rngs: Vec<Stream> = (0..count).map(|i| rng::stream(run_seed, &format!("ns/{i}"))).collect();
        let cache = config.answer_cache.as_ref().map(|lifetime| {
            let slots = count * record_count;
            let phase_us = match lifetime {
                Dist::Fixed(l) => (0..slots).map(|slot| rngs[slot / record_count].next_u64() % l).collect(),
                _ => Vec::new(),
            };
            AnswerCache {
                lifetime: lifetime.clone(),
                phase_us,
                pending_until: vec![None; slots],
                cause: vec![0; slots],
            }
        });
        let consulted: Vec<[Option<u32>; 2]> = config
            .records
            .iter()
            .map(|r| consulted(r, |c| initial_health[c as usize]))
            .collect::<Vec<_>>()
            .repeat(count);
        let mut users = vec![0; check_count];
        for &c in consulted.iter().flatten().flatten() {
            users[c as usize] += 1;
        }
        NameServers {
            count,
            check_count,
            views: initial_health.repeat(count),
            applied: vec![0; count * check_count],
            answers: initial_answers.repeat(count),
            view_answers: initial_answers.repeat(count),
            record_count,
            rngs,
            records_of_check,
            cache,
            consulted,
            users,
        }
    }

    /// Whether any name server consults the check now.
    pub fn consults(&self, check: u32) -> bool {
        self.users[check as usize] > 0
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

    /// A status change reaches a name server: its view takes it, unless it is older than one
    /// already applied (then false). Call `recompute` for the check's records next.
    pub fn apply(&mut self, name_server: u32, id: u32, transition: Transition) -> bool {
        let check_slot = name_server as usize * self.check_count + transition.check as usize;
        if self.applied[check_slot] > id {
            return false;
        }
        self.applied[check_slot] = id + 1;
        self.views[check_slot] = transition.healthy;
        true
    }

    /// The checks that the answers of `check`'s records on this name server would consult
    /// with its view now and that no name server consults yet: a check that expires unused
    /// must be registered anew before its answers are computed.
    pub fn newly_consulted(&self, config: &Config, name_server: u32, check: u32) -> Vec<u32> {
        let ns = name_server as usize;
        let view = &self.views[ns * self.check_count..(ns + 1) * self.check_count];
        let mut out = Vec::new();
        for &record in &self.records_of_check[check as usize] {
            for c in consulted(&config.records[record as usize], |c| view[c as usize]).into_iter().flatten() {
                if self.users[c as usize] == 0 && !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }

    /// Recomputes the answers of the records of `checks` on one name server, after the
    /// changes of its view (`cause` the transition behind them). Answers that change go to
    /// `changes`, answer-cache expiries to wait for (slot, time) to `expiries`, and checks
    /// that no name server consults any more to `unused`.
    #[allow(clippy::too_many_arguments)]
    pub fn recompute(
        &mut self,
        config: &Config,
        now_us: SimTime,
        name_server: u32,
        checks: &[u32],
        cause: u32,
        changes: &mut Vec<AnswerChange>,
        expiries: &mut Vec<(u32, SimTime)>,
        unused: &mut Vec<u32>,
    ) {
        let ns = name_server as usize;
        let mut records: Vec<u32> = checks.iter().flat_map(|&c| self.records_of_check[c as usize].clone()).collect();
        records.sort_unstable();
        records.dedup();
        for record in records {
            let view = &self.views[ns * self.check_count..(ns + 1) * self.check_count];
            let r = &config.records[record as usize];
            let endpoint = failover_answer(r, |c| view[c as usize]);
            let now_consulted = consulted(r, |c| view[c as usize]);
            let slot = ns * self.record_count + record as usize;
            self.track_use(slot, now_consulted, unused);
            self.view_answers[slot] = endpoint;
            match &mut self.cache {
                None => self.serve(now_us, slot, cause, changes),
                Some(cache) => {
                    cache.cause[slot] = cause;
                    if self.answers[slot] != endpoint && cache.pending_until[slot].is_none() {
                        let until_us = cache.expiry_after(slot, now_us, &mut self.rngs[ns]);
                        cache.pending_until[slot] = Some(until_us);
                        expiries.push((slot as u32, until_us));
                    }
                }
            }
        }
    }

    /// A slot now consults `now_consulted`: counts the checks' users, noting checks left
    /// unused.
    fn track_use(&mut self, slot: usize, now_consulted: [Option<u32>; 2], unused: &mut Vec<u32>) {
        let before = std::mem::replace(&mut self.consulted[slot], now_consulted);
        for c in before.into_iter().flatten() {
            self.users[c as usize] -= 1;
        }
        for c in now_consulted.into_iter().flatten() {
            self.users[c as usize] += 1;
        }
        for c in before.into_iter().flatten() {
            if self.users[c as usize] == 0 && !unused.contains(&c) {
                unused.push(c);
            }
        }
    }

    /// The cache entry of `slot` expired: the answer its view gives is served from now on.
    pub fn on_cache_expiry(&mut self, now_us: SimTime, slot: u32, changes: &mut Vec<AnswerChange>) {
        let cache = self.cache.as_mut().expect("only answer caches expire");
        cache.pending_until[slot as usize] = None;
        let cause = cache.cause[slot as usize];
        self.serve(now_us, slot as usize, cause, changes);
    }

    /// Serves the view's answer for a slot, noting a change.
    fn serve(&mut self, now_us: SimTime, slot: usize, transition: u32, changes: &mut Vec<AnswerChange>) {
        let endpoint = self.view_answers[slot];
        let answer = &mut self.answers[slot];
        if *answer != endpoint {
            let previous_endpoint = std::mem::replace(answer, endpoint);
            changes.push(AnswerChange {
                at_us: now_us,
                name_server: (slot / self.record_count) as u32,
                record: (slot % self.record_count) as u32,
                endpoint,
                previous_endpoint,
                transition,
            });
        }
    }
}

impl AnswerCache {
    /// When the entry a slot is serving at `now_us` expires: on its grid for a fixed
    /// lifetime, else after a draw of the stationary remaining lifetime.
    fn expiry_after(&self, slot: usize, now_us: SimTime, rng: &mut Stream) -> SimTime {
        match self.lifetime {
            Dist::Fixed(l) => {
                let phase_us = self.phase_us[slot];
                if now_us < phase_us { phase_us } else { phase_us + ((now_us - phase_us) / l + 1) * l }
            }
            _ => now_us + self.lifetime.stationary_remaining(rng).max(1),
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
            random_when_all_unhealthy: false,
        }
    }

    #[test]
    fn route53_failover_rules() {
        let both = record(Some(0), Some(1));
        let health = |p: bool, s: bool| move |c: u32| if c == 0 { p } else { s };
        assert_eq!(failover_answer(&both, health(true, true)), 10);
        assert_eq!(failover_answer(&both, health(false, true)), 20);
        assert_eq!(failover_answer(&both, health(true, false)), 10);
        // Both unhealthy: Route 53 answers the primary; PowerDNS either, query by query.
        assert_eq!(failover_answer(&both, health(false, false)), 10);
        let random = RecordConfig { random_when_all_unhealthy: true, ..both.clone() };
        assert_eq!(failover_answer(&random, health(false, false)), ANY_ENDPOINT);
        assert_eq!(failover_answer(&random, health(false, true)), 20);
        // The secondary's check is consulted only while the primary is unhealthy.
        assert_eq!(consulted(&both, health(true, false)), [Some(0), None]);
        assert_eq!(consulted(&both, health(false, false)), [Some(0), Some(1)]);
        // A secondary without a health check wins whenever the primary is unhealthy.
        let unchecked_secondary = record(Some(0), None);
        assert_eq!(failover_answer(&unchecked_secondary, health(false, false)), 20);
        // A primary without a health check is always answered.
        let unchecked_primary = record(None, Some(1));
        assert_eq!(failover_answer(&unchecked_primary, health(false, false)), 10);
    }
}
