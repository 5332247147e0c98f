//! Recursive resolvers: per-resolver caches with TTL clamping, Unbound-style prefetch, and
//! cacheless forwarders. They hand clients the *remaining* TTL (docs/model.md §5).
//!
//! Owns resolver caches and their steady-start state; not client behaviour.

use super::dns::NameServers;
use crate::rng::{self, Stream, unit};
use crate::scenario::config::{Config, PoolConfig};
use crate::time::{SimDuration, SimTime, US_PER_S};
use rand::Rng;

#[derive(Clone, Copy, Default)]
struct Entry {
    answer: u32,
    /// Valid while `now < expires_us`; 0 means empty.
    expires_us: SimTime,
    ttl_us: SimDuration,
}

/// When a slot's entry was fetched, and the slot's last entry with another answer as it
/// was: kept apart from `Entry`, which every query reads, and written only on refreshes.
#[derive(Clone, Copy, Default)]
struct History {
    fetched_us: SimTime,
    previous: Previous,
}

/// A slot's last entry whose answer differed from an entry's: what it named, when it was
/// fetched and until when it was served (its expiry, or its replacement by a prefetch).
/// Read only for failover stages (docs/model.md §7.2.7).
#[derive(Clone, Copy, Debug, Default)]
pub struct Previous {
    pub answer: u32,
    pub fetched_us: SimTime,
    /// 0: the slot never changed its answer.
    pub until_us: SimTime,
}

/// An answer handed to a client (an answer's number: the endpoint, for one address).
#[derive(Clone, Copy, Debug)]
pub struct Answer {
    pub answer: u32,
    pub ttl_us: SimDuration,
    /// Set when this query refreshed the resolver's entry (a miss or a prefetch).
    pub refreshed: Option<Refreshed>,
}

/// A resolver cache entry replaced by a query: which slot, and what it held before.
#[derive(Clone, Copy, Debug)]
pub struct Refreshed {
    pub slot: usize,
    pub answer_before: u32,
    pub refreshable_from_before: SimTime,
    pub previous_before: Previous,
}

pub struct Resolvers {
    /// Pool of each resolver.
    pool_of: Vec<u32>,
    /// `[resolver * question_count + question]`.
    entries: Vec<Entry>,
    /// As `entries`.
    history: Vec<History>,

    question_count: usize,
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
        let question_count = config.questions.len();
        Resolvers {
            entries: vec![Entry::default(); pool_of.len() * question_count],
            history: vec![History::default(); pool_of.len() * question_count],

            pool_of,
            question_count,
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
    /// `stationary_remaining_us`), fed by the queries its clients are expected to send,
    /// holding an answer given before any fault (`answer(question)`: answer and TTL).
    pub fn settle(&mut self, config: &Config, rate_per_us: &[f64], mut answer: impl FnMut(u32) -> (u32, SimDuration)) {
        for (slot, entry) in self.entries.iter_mut().enumerate() {
            let resolver = slot / self.question_count;
            let question = (slot % self.question_count) as u32;
            let pool = &config.pools[self.pool_of[resolver] as usize];
            if !pool.cache {
                continue;
            }
            let (held, ttl_us) = answer(question);
            let rng = &mut self.rngs[self.pool_of[resolver] as usize];
            let ttl_us = pool.clamp_ttl(ttl_us);
            let remaining_us = stationary_remaining_us(rng, ttl_us, rate_per_us[slot]);
            if remaining_us > 0 {
                *entry = Entry { answer: held, expires_us: remaining_us, ttl_us };
            }
        }
    }

    pub fn slot_count(&self) -> usize {
        self.entries.len()
    }

    pub fn slot(&self, resolver: u32, question: u32) -> usize {
        resolver as usize * self.question_count + question as usize
    }

    /// A client's query at `now_us`.
    pub fn query(
        &mut self,
        config: &Config,
        ns: &mut NameServers,
        now_us: SimTime,
        resolver: u32,
        question: u32,
    ) -> Answer {
        let pool_index = self.pool_of[resolver as usize] as usize;
        let pool = &config.pools[pool_index];
        if !pool.cache {
            let (answer, ttl_us) = self.ask(ns, now_us, pool_index, question);
            return Answer { answer, ttl_us, refreshed: None };
        }
        let slot = resolver as usize * self.question_count + question as usize;
        let entry = self.entries[slot];
        let hit = now_us < entry.expires_us;
        // Unbound's prefetch: a hit in the last tenth of the TTL refreshes the entry in the
        // background; this client still gets the old answer.
        if hit && !(pool.prefetch && now_us >= refreshable_from(entry, pool)) {
            return Answer { answer: entry.answer, ttl_us: remaining_us(pool, entry, now_us), refreshed: None };
        }
        let refreshed = Some(Refreshed {
            slot,
            answer_before: entry.answer,
            refreshable_from_before: refreshable_from(entry, pool),
            previous_before: self.history[slot].previous,
        });
        let (answer, ttl_us) = self.ask(ns, now_us, pool_index, question);
        let ttl_us = pool.clamp_ttl(ttl_us);
        let fetched = Entry { answer, expires_us: expiry_us(pool, now_us, ttl_us), ttl_us };
        if entry.expires_us > 0 && entry.answer != answer {
            self.changed(slot, entry, now_us);
        }
        self.history[slot].fetched_us = now_us;
        self.entries[slot] = fetched;
        if hit {
            Answer { answer: entry.answer, ttl_us: remaining_us(pool, entry, now_us), refreshed }
        } else {
            Answer { answer, ttl_us: remaining_us(pool, fetched, now_us), refreshed }
        }
    }

    /// A miss, a refresh or a forwarded query asks one name server, picked uniformly with
    /// the pool's stream, which also draws the answer when it is drawn query by query.
    fn ask(&mut self, ns: &mut NameServers, now_us: SimTime, pool_index: usize, question: u32) -> (u32, SimDuration) {
        self.authoritative_queries += u64::from(now_us >= self.measure_from_us);
        let rng = &mut self.rngs[pool_index];
        let name_server = (rng.next_u64() % u64::from(ns.count())) as u32;
        ns.draw(name_server, question, rng)
    }

    /// The answer a slot's entry holds, and the first instant a query refreshes it (a
    /// prefetching hit or a miss).
    pub fn entry_view(&self, config: &Config, slot: usize) -> (u32, SimTime) {
        let entry = self.entries[slot];
        let pool = &config.pools[self.pool_of[slot / self.question_count] as usize];
        (entry.answer, refreshable_from(entry, pool))
    }

    /// A slot's entry is replaced by one with another answer: it becomes the slot's
    /// `Previous`.
    #[cold]
    fn changed(&mut self, slot: usize, entry: Entry, now_us: SimTime) {
        let history = &mut self.history[slot];
        history.previous =
            Previous { answer: entry.answer, fetched_us: history.fetched_us, until_us: entry.expires_us.min(now_us) };
    }

    /// What the resolver served before the answer a slot's entry holds (`Previous`); the
    /// default for a forwarder's (it keeps nothing).
    pub fn previous(&self, slot: usize) -> Previous {
        self.history[slot].previous
    }

    /// `previous` of a resolver's entry for a question.
    pub fn previous_of(&self, resolver: u32, question: u32) -> Previous {
        self.previous(self.slot(resolver, question))
    }

    pub fn pool_of(&self, resolver: u32) -> u32 {
        self.pool_of[resolver as usize]
    }

    pub fn caches(&self, config: &Config, resolver: u32) -> bool {
        config.pools[self.pool_of[resolver as usize] as usize].cache
    }

    /// The answer this resolver's entry for the question holds, when it expires and its TTL
    /// (None if it holds none) — for the steady start of clients that share its expiry.
    pub fn held(&self, resolver: u32, question: u32) -> Option<(u32, SimTime, SimDuration)> {
        let e = self.entries[self.slot(resolver, question)];
        (e.expires_us > 0).then_some((e.answer, e.expires_us, e.ttl_us))
    }
}

/// When an entry fetched at `now_us` and kept `ttl_us` expires: `ttl_us` later, or on a
/// whole-second clock at the end of the second floor(now) + TTL (Unbound serves an entry
/// through its expiry second).
fn expiry_us(pool: &PoolConfig, now_us: SimTime, ttl_us: SimDuration) -> SimTime {
    if pool.whole_seconds { (now_us / US_PER_S + ttl_us / US_PER_S + 1) * US_PER_S } else { now_us + ttl_us }
}

/// The TTL a valid entry hands out at `now_us`: what is left, or on a whole-second clock
/// the whole seconds left before its expiry second (0 during that second).
fn remaining_us(pool: &PoolConfig, entry: Entry, now_us: SimTime) -> SimDuration {
    if pool.whole_seconds {
        (entry.expires_us / US_PER_S).saturating_sub(1 + now_us / US_PER_S) * US_PER_S
    } else {
        entry.expires_us - now_us
    }
}

/// The first instant at which a query refreshes this entry: once it has expired, or with
/// prefetch once the remaining TTL is under a tenth (remaining × 10 < ttl); on a
/// whole-second clock, from the second TTL − ⌊TTL/10⌋ after the fetch (Unbound's
/// `prefetch_ttl`).
fn refreshable_from(entry: Entry, pool: &PoolConfig) -> SimTime {
    if !pool.prefetch || entry.ttl_us == 0 {
        entry.expires_us
    } else if pool.whole_seconds {
        let ttl_s = entry.ttl_us / US_PER_S;
        (entry.expires_us / US_PER_S).saturating_sub(1 + ttl_s / 10) * US_PER_S
    } else {
        (entry.expires_us + 1).saturating_sub(entry.ttl_us.div_ceil(10))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::config::{build, parse};
    use std::path::Path;

    fn world(pool: &str) -> (Config, Resolvers, NameServers) {
        let text = format!(
            r#"{{ "name": "t", "duration": "1h",
            "endpoints": {{ "a": {{}}, "b": {{}} }},
            "dns": {{ "records": {{ "r": {{ "ttl": "2s", "failover": {{ "primary": {{ "endpoint": "a" }}, "secondary": {{ "endpoint": "b" }} }} }} }} }},
            "resolvers": {{ "isp": {pool} }} }}"#
        );
        let (scenario, _) = parse(Path::new("t.json"), &text).unwrap();
        let config = build(&scenario, Path::new("t.json")).unwrap();
        let resolvers = Resolvers::new(&config, 1);
        let name_servers = NameServers::new(&config, 1, &[]);
        (config, resolvers, name_servers)
    }

    const S: u64 = US_PER_S;

    #[test]
    fn a_whole_second_cache_serves_through_the_expiry_second_with_ttl_0() {
        let (config, mut resolvers, mut ns) = world(r#"{ "count": 1, "clock": "whole_seconds" }"#);
        let mut ask = |at_us: u64| {
            let a = resolvers.query(&config, &mut ns, at_us, 0, 0);
            (a.ttl_us, a.refreshed.is_some())
        };
        // Fetched at 10.3 s with TTL 2: served through the second 12, i.e. until 13.0 s.
        assert_eq!(ask(10 * S + 300_000), (2 * S, true));
        assert_eq!(ask(10 * S + 900_000), (2 * S, false));
        assert_eq!(ask(11 * S), (S, false));
        assert_eq!(ask(12 * S + 999_999), (0, false));
        assert_eq!(ask(13 * S), (2 * S, true));
    }

    #[test]
    fn an_exact_cache_hands_out_what_is_left() {
        let (config, mut resolvers, mut ns) = world(r#"{ "count": 1 }"#);
        let mut ask = |at_us: u64| resolvers.query(&config, &mut ns, at_us, 0, 0).ttl_us;
        assert_eq!(ask(10 * S + 300_000), 2 * S);
        assert_eq!(ask(12 * S), 300_000);
        assert_eq!(ask(12 * S + 300_000), 2 * S);
    }

    #[test]
    fn whole_second_prefetch_starts_at_ttl_minus_a_tenth_in_whole_seconds() {
        // Unbound's prefetch_ttl = TTL − TTL/10 (integer seconds): for TTL 2, the expiry
        // second itself.
        let (config, mut resolvers, mut ns) = world(r#"{ "count": 1, "clock": "whole_seconds", "prefetch": true }"#);
        let mut ask = |at_us: u64| resolvers.query(&config, &mut ns, at_us, 0, 0).refreshed.is_some();
        assert!(ask(10 * S + 300_000));
        assert!(!ask(11 * S + 999_999));
        assert!(ask(12 * S + 100_000), "a hit in the expiry second prefetches");
        // The new entry was fetched at 12.1 s: served through the second 14, prefetched in it.
        assert!(!ask(13 * S + 500_000));
        assert!(ask(14 * S + 500_000));
    }
}
