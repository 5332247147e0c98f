//! Which clients each open episode follows, and which of them have not yet sent a request
//! to an endpoint outside every fault since it started (docs/model.md §7.1, §8).
//!
//! Aggregated requests need both: a batch must not straddle the start of an episode that
//! follows its client, a batch no open episode follows can be deferred, and the time of a
//! batch's first request is drawn only while an episode still waits for it. The metrics
//! keep the failover times themselves; this keeps one bit per followed client.

use crate::observe::Episode;
use crate::scenario::config::Config;
use crate::time::SimTime;

/// An open episode, as seen from one group it follows.
#[derive(Clone, Copy)]
struct Follow {
    episode: u32,
    start_us: SimTime,
    /// Bit of the group's first client in the episode's `reached` set.
    base: u32,
}

pub struct Tracking {
    /// Open episodes that follow each group, in start order.
    follows: Vec<Vec<Follow>>,
    /// Per episode, one bit per followed client: it has reached a healthy endpoint.
    reached: Vec<Vec<u64>>,
    group_start: Vec<u32>,
    /// Per endpoint, the groups an episode on it follows (`Config::groups_reaching_each`).
    reaching: Vec<Vec<u32>>,
}

impl Tracking {
    pub fn new(config: &Config, episode_count: usize, group_start: Vec<u32>) -> Self {
        Tracking {
            follows: vec![Vec::new(); config.groups.len()],
            reached: vec![Vec::new(); episode_count],
            group_start,
            reaching: config.groups_reaching_each(),
        }
    }

    /// The groups an episode on this endpoint follows, in group order.
    pub fn groups_reaching(&self, endpoint: u32) -> &[u32] {
        &self.reaching[endpoint as usize]
    }

    /// An episode starts following the groups whose record names its endpoint.
    pub fn open(&mut self, config: &Config, id: u32, episode: &Episode) {
        let mut base = 0u32;
        for &g in &self.reaching[episode.endpoint as usize] {
            self.follows[g as usize].push(Follow { episode: id, start_us: episode.start_us, base });
            base += config.groups[g as usize].count;
        }
        self.reached[id as usize] = vec![0; (base as usize).div_ceil(64)];
    }

    /// An episode on `endpoint` stops following its groups (only those: not every group).
    pub fn close(&mut self, id: u32, endpoint: u32) {
        for &g in &self.reaching[endpoint as usize] {
            self.follows[g as usize].retain(|f| f.episode != id);
        }
        self.reached[id as usize] = Vec::new();
    }

    /// Start times of the episodes now following a group's clients.
    #[inline]
    pub fn starts(&self, group: u16) -> impl Iterator<Item = SimTime> + '_ {
        self.follows[group as usize].iter().map(|f| f.start_us)
    }

    /// Whether any open episode follows the group.
    #[inline]
    pub fn following(&self, group: u16) -> bool {
        !self.follows[group as usize].is_empty()
    }

    /// Whether an open episode follows the group at `at_us`.
    #[inline]
    pub fn follows(&self, group: u16, at_us: SimTime) -> bool {
        self.starts(group).any(|start_us| start_us <= at_us)
    }

    /// Whether an episode open at `from_us` still waits for this client's first request to
    /// a healthy endpoint.
    pub fn waits_for(&self, client: u32, group: u16, from_us: SimTime) -> bool {
        let index_in_group = client - self.group_start[group as usize];
        self.follows[group as usize].iter().any(|f| {
            let bit = (f.base + index_in_group) as usize;
            f.start_us <= from_us && self.reached[f.episode as usize][bit / 64] & (1 << (bit % 64)) == 0
        })
    }

    /// As `waits_for`, counting only episodes that started after `drawn_us` when the client's
    /// first request after that instant is already drawn but not yet marked as reached.
    pub fn waits_for_since(&self, client: u32, group: u16, from_us: SimTime, drawn_us: Option<SimTime>) -> bool {
        let Some(drawn_us) = drawn_us else { return self.waits_for(client, group, from_us) };
        let index_in_group = client - self.group_start[group as usize];
        self.follows[group as usize].iter().any(|f| {
            let bit = (f.base + index_in_group) as usize;
            f.start_us <= from_us
                && f.start_us > drawn_us
                && self.reached[f.episode as usize][bit / 64] & (1 << (bit % 64)) == 0
        })
    }

    /// The client sent a measured request to a healthy endpoint at `at_us`. Returns whether
    /// an open episode waited for it.
    #[inline(always)]
    pub fn reached(&mut self, client: u32, group: u16, at_us: SimTime) -> bool {
        !self.follows[group as usize].is_empty() && self.mark(client, group, at_us)
    }

    #[inline(never)]
    fn mark(&mut self, client: u32, group: u16, at_us: SimTime) -> bool {
        let index_in_group = client - self.group_start[group as usize];
        let mut waited = false;
        for f in &self.follows[group as usize] {
            if f.start_us <= at_us {
                let bit = (f.base + index_in_group) as usize;
                let word = &mut self.reached[f.episode as usize][bit / 64];
                if *word & (1 << (bit % 64)) == 0 {
                    *word |= 1 << (bit % 64);
                    waited = true;
                }
            }
        }
        waited
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::FaultKind;
    use crate::scenario::config::{build, parse};
    use std::path::Path;

    #[test]
    fn an_episode_waits_for_each_followed_client_until_it_reaches_a_healthy_endpoint() {
        let text = r#"{ "name": "t", "duration": "1h",
            "endpoints": { "a": {}, "b": {}, "c": {} },
            "dns": { "records": {
                "ab": { "ttl": "60s", "failover": { "primary": { "endpoint": "a" }, "secondary": { "endpoint": "b" } } },
                "cb": { "ttl": "60s", "failover": { "primary": { "endpoint": "c" }, "secondary": { "endpoint": "b" } } } } },
            "resolvers": { "isp": { "count": 1 } },
            "clients": { "x": { "count": 2, "record": "ab", "requests_per_s": 1 },
                         "y": { "count": 3, "record": "cb", "requests_per_s": 1 } } }"#;
        let (scenario, _) = parse(Path::new("t.json"), text).unwrap();
        let config = build(&scenario, Path::new("t.json")).unwrap();
        let mut tracking = Tracking::new(&config, 2, vec![0, 2]);
        let on = |endpoint| Episode {
            endpoint,
            fault: 0,
            occurrence: 0,
            kind: FaultKind::Outage,
            start_us: 100,
            end_us: 200,
        };
        // An episode on "a" follows group x only; one on "b" follows both.
        tracking.open(&config, 0, &on(0));
        assert!(tracking.follows(0, 100) && !tracking.follows(0, 99) && !tracking.follows(1, 100));
        assert!(tracking.waits_for(1, 0, 150));
        assert!(tracking.reached(1, 0, 150) && !tracking.reached(1, 0, 151));
        assert!(!tracking.waits_for(1, 0, 150) && tracking.waits_for(0, 0, 150));
        tracking.open(&config, 1, &Episode { start_us: 160, ..on(1) });
        assert_eq!(tracking.starts(0).collect::<Vec<_>>(), vec![100, 160]);
        // Reaching a healthy endpoint before the second episode started does not count for it.
        assert!(tracking.waits_for(1, 0, 170));
        assert!(tracking.reached(4, 1, 170));
        assert!(!tracking.waits_for(4, 1, 170) && tracking.waits_for(3, 1, 170));
        let each = config.groups_reaching_each();
        for e in 0..config.endpoints.len() as u32 {
            assert_eq!(each[e as usize], config.groups_reaching(e).map(|g| g as u32).collect::<Vec<_>>());
        }
        assert_eq!(tracking.groups_reaching(0), &[0]);
        assert_eq!(tracking.groups_reaching(1), &[0, 1]);
        tracking.close(0, 0);
        assert_eq!(tracking.starts(0).collect::<Vec<_>>(), vec![160]);
        tracking.close(1, 1);
        assert!(!tracking.follows(0, 300) && !tracking.follows(1, 300) && !tracking.waits_for(0, 0, 300));
    }
}
