//! Recursive resolvers: per-resolver caches with TTL clamping, Unbound-style prefetch, and
//! cacheless forwarders. They hand clients the *remaining* TTL (docs/model.md §5).
//!
//! Owns resolver caches and their steady-start state; not client behaviour.

use super::dns::NameServers;
use crate::rng::{self, Stream, unit};
use crate::scenario::config::Config;
use crate::time::{SimDuration, SimTime};
use rand::Rng;

#[derive(Clone, Copy, Default)]
struct Entry {
    endpoint: u32,
    /// Valid while `now < expires_us`; 0 means empty.
    expires_us: SimTime,
    ttl_us: SimDuration,
}

/// An answer handed to a client.
#[derive(Clone, Copy, Debug)]
pub struct Answer {
    pub endpoint: u32,
    pub ttl_us: SimDuration,
    /// Set when this query refreshed the resolver's entry (a miss or a prefetch).
    pub refreshed: Option<Refreshed>,
}

/// A resolver cache entry replaced by a query: which slot, and what it held before.
#[derive(Clone, Copy, Debug)]
pub struct Refreshed {
    pub slot: usize,
    pub endpoint_before: u32,
    pub refreshable_from_before: SimTime,
}

pub struct Resolvers {
    /// Pool of each resolver.
    pool_of: Vec<u32>,
    /// `[resolver * record_count + record]`.
    entries: Vec<Entry>,
    record_count: usize,
    /// One stream per pool: which name server each miss asks.
    rngs: Vec<Stream>,
    /// Queries sent to name servers after the warm-up.
    pub authoritative_queries: u64,
    measure_from_us: SimTime,
}

impl Resolvers {
    pub fn new(config: &Config, run_seed: u64) -> Self {
        let pool_of = (0u32..)
            .zip(&config.pools)
            .flat_map(|(p, pool)| std::iter::repeat_n(p, pool.count as usize))
            .collect::<Vec<_>>();
        let record_count = config.records.len();
        Resolvers {
            entries: vec![Entry::default(); pool_of.len() * record_count],
            pool_of,
            record_count,
            rngs: config.pools.iter().map(|p| rng::stream(run_seed, &format!("resolvers/{}", p.id))).collect(),
            authoritative_queries: 0,
            measure_from_us: config.warmup_us,
        }
    }

    /// The first resolver of each pool, for binding clients.
    pub fn pool_offsets(config: &Config) -> Vec<u32> {
        config
            .pools
            .iter()
            .scan(0u32, |next, p| {
                let first = *next;
                *next += p.count;
                Some(first)
            })
            .collect()
    }

    /// Steady start: each entry in the stationary state of its renewal process (see
    /// `stationary_remaining_us`), fed by the queries its clients are expected to send.
    pub fn settle(&mut self, config: &Config, rate_per_us: &[f64], answer: impl Fn(u32) -> u32) {
        for (slot, entry) in self.entries.iter_mut().enumerate() {
            let resolver = slot / self.record_count;
            let record = (slot % self.record_count) as u32;
            let pool = &config.pools[self.pool_of[resolver] as usize];
            if !pool.cache {
                continue;
            }
            let rng = &mut self.rngs[self.pool_of[resolver] as usize];
            let ttl_us = pool.clamp_ttl(config.records[record as usize].ttl_us);
            let remaining_us = stationary_remaining_us(rng, ttl_us, rate_per_us[slot]);
            if remaining_us > 0 {
                *entry = Entry { endpoint: answer(record), expires_us: remaining_us, ttl_us };
            }
        }
    }

    pub fn slot_count(&self) -> usize {
        self.entries.len()
    }

    pub fn slot(&self, resolver: u32, record: u32) -> usize {
        resolver as usize * self.record_count + record as usize
    }

    /// A client's query at `now_us`.
    pub fn query(&mut self, config: &Config, ns: &NameServers, now_us: SimTime, resolver: u32, record: u32) -> Answer {
        let pool_index = self.pool_of[resolver as usize] as usize;
        let pool = &config.pools[pool_index];
        let record_ttl_us = config.records[record as usize].ttl_us;
        let rng = &mut self.rngs[pool_index];
        // A miss or a refresh asks one name server, picked uniformly.
        let mut ask = || {
            self.authoritative_queries += u64::from(now_us >= self.measure_from_us);
            ns.answer((rng.next_u64() % u64::from(ns.count())) as u32, record)
        };
        if !pool.cache {
            return Answer { endpoint: ask(), ttl_us: record_ttl_us, refreshed: None };
        }
        let slot = resolver as usize * self.record_count + record as usize;
        let entry = self.entries[slot];
        let ttl_us = pool.clamp_ttl(record_ttl_us);
        let refreshed = Some(Refreshed {
            slot,
            endpoint_before: entry.endpoint,
            refreshable_from_before: refreshable_from(entry, pool.prefetch),
        });
        if now_us < entry.expires_us {
            let remaining_us = entry.expires_us - now_us;
            // Unbound's prefetch: a hit in the last tenth of the TTL refreshes the entry in the
            // background; this client still gets the old answer.
            if pool.prefetch && remaining_us * 10 < entry.ttl_us {
                self.entries[slot] = Entry { endpoint: ask(), expires_us: now_us + ttl_us, ttl_us };
                return Answer { endpoint: entry.endpoint, ttl_us: remaining_us, refreshed };
            }
            return Answer { endpoint: entry.endpoint, ttl_us: remaining_us, refreshed: None };
        }
        let endpoint = ask();
        self.entries[slot] = Entry { endpoint, expires_us: now_us + ttl_us, ttl_us };
        Answer { endpoint, ttl_us, refreshed }
    }

    /// The endpoint a slot's entry names, and the first instant a query refreshes it (a
    /// prefetching hit or a miss).
    pub fn entry_view(&self, config: &Config, slot: usize) -> (u32, SimTime) {
        let entry = self.entries[slot];
        let prefetch = config.pools[self.pool_of[slot / self.record_count] as usize].prefetch;
        (entry.endpoint, refreshable_from(entry, prefetch))
    }

    pub fn pool_of(&self, resolver: u32) -> u32 {
        self.pool_of[resolver as usize]
    }

    pub fn caches(&self, config: &Config, resolver: u32) -> bool {
        config.pools[self.pool_of[resolver as usize] as usize].cache
    }

    /// When this resolver's entry for the record expires (0 if it holds none) — for the
    /// steady start of clients that share its expiry.
    pub fn expiry(&self, resolver: u32, record: u32) -> Option<(SimTime, SimDuration)> {
        let e = self.entries[self.slot(resolver, record)];
        (e.expires_us > 0).then_some((e.expires_us, e.ttl_us))
    }
}

/// The first instant at which a query refreshes this entry: once it has expired, or with
/// prefetch once the remaining TTL is under a tenth (remaining × 10 < ttl).
fn refreshable_from(entry: Entry, prefetch: bool) -> SimTime {
    if prefetch && entry.ttl_us > 0 {
        (entry.expires_us + 1).saturating_sub(entry.ttl_us.div_ceil(10))
    } else {
        entry.expires_us
    }
}

/// Steady start of a cache entry kept `ttl_us` and refreshed by the first lookup after it
/// expires, lookups being Poisson at `rate_per_us`: the entry is held with probability
/// T/(T + 1/rate), and its remaining lifetime is then uniform on (0, T] (whole microseconds
/// 1 to T). Returns 0 when no entry is held; draws nothing when T or the rate is 0.
pub fn stationary_remaining_us(rng: &mut Stream, ttl_us: SimDuration, rate_per_us: f64) -> SimTime {
    if ttl_us == 0 || rate_per_us <= 0.0 {
        return 0;
    }
    let held = ttl_us as f64 / (ttl_us as f64 + 1.0 / rate_per_us);
    let draw_held = unit(rng);
    let remaining_us = 1 + rng.next_u64() % ttl_us;
    if draw_held < held { remaining_us } else { 0 }
}
