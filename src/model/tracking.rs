//! Which clients each open episode follows, and which of them have not yet sent a request
//! to an endpoint outside every fault since it started.
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
}

impl Tracking {
    pub fn new(config: &Config, episode_count: usize, group_start: Vec<u32>) -> Self {
        Tracking {
            follows: vec![Vec::new(); config.groups.len()],
            reached: vec![Vec::new(); episode_count],
            group_start,
        }
    }

    /// An episode starts following the groups whose record names its endpoint.
    pub fn open(&mut self, config: &Config, id: u32, episode: &Episode) {
        let mut base = 0u32;
        for g in config.groups_reaching(episode.endpoint) {
            self.follows[g].push(Follow { episode: id, start_us: episode.start_us, base });
            base += config.groups[g].count;
        }
        self.reached[id as usize] = vec![0; (base as usize).div_ceil(64)];
    }

    pub fn close(&mut self, id: u32) {
        for follows in &mut self.follows {
            follows.retain(|f| f.episode != id);
        }
        self.reached[id as usize] = Vec::new();
    }

    /// Start times of the episodes now following a group's clients.
    #[inline]
    pub fn starts(&self, group: u16) -> impl Iterator<Item = SimTime> + '_ {
        self.follows[group as usize].iter().map(|f| f.start_us)
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

    /// The client sent a measured request to a healthy endpoint at `at_us`.
    #[inline]
    pub fn reached(&mut self, client: u32, group: u16, at_us: SimTime) {
        let follows = &self.follows[group as usize];
        if follows.is_empty() {
            return;
        }
        let index_in_group = client - self.group_start[group as usize];
        for f in follows {
            if f.start_us <= at_us {
                let bit = (f.base + index_in_group) as usize;
                self.reached[f.episode as usize][bit / 64] |= 1 << (bit % 64);
            }
        }
    }
}
