//! Clients (docs/model.md §6): their binding to a resolver, DNS cache, pooled connection and
//! requests.
//!
//! Owns client state — one compact record per client — its steady start, and where each
//! request goes. Not what a request to an endpoint *does* (endpoint.rs) nor what it counts
//! for (the metrics).

use super::dns::{NameServers, StartAnswers};
use super::endpoint::EndpointModel;
use super::resolver::{Resolvers, stationary_remaining_us};
use crate::rng::{self, Stream, exponential_us, unit};
use crate::scenario::FailMode;
use crate::scenario::config::{ClientCache, Config, GroupConfig};
use crate::time::{SimDuration, SimTime, US_PER_S};
use rand::Rng;

/// No cached answer / no connection.
const NONE: u32 = u32::MAX;

/// How a client's requests are simulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// One event per request.
    Exact,
    /// One event per interesting request; boring ones counted in batches.
    Wake,
    /// No cache, behind a caching resolver: counted, driven by the resolver's refreshes.
    ResolverPool,
    /// No cache, behind a forwarder: counted against the name servers' answers.
    Forwarded,
}

/// The outcome an interesting request must have: the thinning chose it for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Forced {
    Draw,
    Fail,
    Succeed,
}

pub struct Clients {
    /// One compact record per client: an event reads most of one client's fields, and one
    /// cache line is cheaper than one per field.
    pub state: Vec<ClientState>,
    /// One stream per group: binding, steady start, request times, request failures.
    pub rngs: Vec<Stream>,
    /// First client of each group; a group's clients are contiguous.
    pub group_start: Vec<u32>,
}

/// A client: 48 bytes.
#[derive(Clone, Copy, Debug)]
pub struct ClientState {
    /// The cached answer is valid while `now < cache_expires_us`.
    pub(super) cache_expires_us: SimTime,
    /// The connection is open while `now` is before both deadlines.
    pub(super) conn_idle_deadline_us: SimTime,
    pub(super) conn_life_deadline_us: SimTime,
    /// Aggregated mode: requests are counted up to here.
    pub(super) since_us: SimTime,
    /// The cached answer's number: its endpoint when it holds one address, as every answer
    /// an aggregated client holds does.
    pub(super) cache_answer: u32,
    pub(super) conn_endpoint: u32,
    pub resolver: u32,
    pub group: u16,
    /// How the client's requests are simulated.
    pub(super) kind: Kind,
    /// Aggregated mode: the outcome its pending interesting request must have.
    pub(super) forced: Forced,
}

/// Requests per microsecond.
pub(super) fn rate_per_us(g: &GroupConfig) -> f64 {
    g.requests_per_s / US_PER_S as f64
}

/// Rate at which a client needs a DNS answer: every request, or only when it opens a
/// connection (after an idle gap longer than the timeout, or when the old one is too old).
fn lookup_rate_per_us(g: &GroupConfig) -> f64 {
    let rate = rate_per_us(g);
    match g.connection {
        None => rate,
        Some(k) => {
            let reopen = rate * (-rate * k.idle_timeout_us as f64).exp();
            let renew = k.max_lifetime_us.map_or(0.0, |l| 1.0 / l as f64);
            (reopen + renew).min(rate)
        }
    }
}

impl Clients {
    /// Binds every client to a resolver. Returns, per resolver cache slot, the rate of
    /// queries its clients are expected to send (for the resolvers' steady start).
    pub fn new(config: &Config, run_seed: u64, resolvers: &Resolvers) -> (Self, Vec<f64>) {
        let n = config.client_count() as usize;
        let pool_offsets = Resolvers::pool_offsets(config);
        let mut clients = Clients {
            state: Vec::with_capacity(n),
            rngs: config.groups.iter().map(|g| rng::stream(run_seed, &format!("clients/{}", g.id))).collect(),
            group_start: Vec::with_capacity(config.groups.len()),
        };
        let mut query_rate = vec![0.0; config.resolver_count() as usize * config.questions.len()];
        for (gi, g) in config.groups.iter().enumerate() {
            clients.group_start.push(clients.state.len() as u32);
            let rng = &mut clients.rngs[gi];
            let q = match g.cache {
                ClientCache::None | ClientCache::Ttl { .. } => lookup_rate_per_us(g),
                ClientCache::Fixed { ttl_us } => 1.0 / (ttl_us as f64 + 1.0 / lookup_rate_per_us(g)),
                ClientCache::Forever => 0.0,
            };
            for _ in 0..g.count {
                let u = unit(rng);
                let mut acc = 0.0;
                let &(pool, _) = g
                    .pools
                    .iter()
                    .find(|(_, w)| {
                        acc += w;
                        u < acc
                    })
                    .unwrap_or_else(|| g.pools.last().expect("a group has a pool"));
                let resolver = pool_offsets[pool as usize]
                    + (rng.next_u64() % u64::from(config.pools[pool as usize].count)) as u32;
                clients.state.push(ClientState {
                    cache_expires_us: 0,
                    conn_idle_deadline_us: 0,
                    conn_life_deadline_us: 0,
                    since_us: 0,
                    cache_answer: NONE,
                    conn_endpoint: NONE,
                    resolver,
                    group: gi as u16,
                    kind: Kind::Exact,
                    forced: Forced::Draw,
                });
                if q.is_finite() {
                    query_rate[resolvers.slot(resolver, g.question)] += q;
                }
            }
        }
        (clients, query_rate)
    }

    /// Steady start (docs/model.md §1.6): caches and connections in their stationary state,
    /// holding answers given before any fault — their resolver's entry, else one of
    /// `answers`. Returns each client's first request time (memoryless, so simply an
    /// exponential draw).
    pub fn settle(
        &mut self,
        config: &Config,
        resolvers: &Resolvers,
        answers: &mut StartAnswers<'_>,
    ) -> Vec<Option<SimTime>> {
        let mut first = Vec::with_capacity(self.state.len());
        for c in 0..self.state.len() {
            let gi = self.state[c].group as usize;
            let g = &config.groups[gi];
            let rng = &mut self.rngs[gi];
            let lookup = lookup_rate_per_us(g);
            let resolver = self.state[c].resolver;
            let held = resolvers.held(resolver, g.question).filter(|_| resolvers.caches(config, resolver));
            let (answer, answer_ttl_us) = match held {
                Some((answer, _, ttl_us)) => (answer, ttl_us),
                None => answers.answer(g.question),
            };
            let expires_us = match g.cache {
                ClientCache::None => 0,
                ClientCache::Forever => SimTime::MAX,
                ClientCache::Fixed { ttl_us } => stationary_remaining_us(rng, ttl_us, lookup),
                ClientCache::Ttl { min_us, max_us } => {
                    if resolvers.caches(config, resolver) {
                        // Clients that got the answer from their resolver's current entry share
                        // its expiry (clamped by their own limits).
                        match held {
                            Some((_, expires_us, ttl_us)) => {
                                let since_us = exponential_us(rng, 1.0 / lookup);
                                let age_us = ttl_us.saturating_sub(expires_us);
                                if since_us <= age_us {
                                    let kept_us = (expires_us + since_us).clamp(min_us, max_us);
                                    kept_us.saturating_sub(since_us)
                                } else {
                                    0
                                }
                            }
                            None => 0,
                        }
                    } else {
                        stationary_remaining_us(rng, answer_ttl_us.clamp(min_us, max_us), lookup)
                    }
                }
            };
            if expires_us > 0 {
                self.state[c].cache_answer = answer;
                self.state[c].cache_expires_us = expires_us;
            }
            if let Some(k) = g.connection {
                // Open iff the last request was within the idle timeout; its age is at least
                // that long, and uniform over its lifetime when one is set.
                let since_us = exponential_us(rng, 1.0 / rate_per_us(g));
                let age_draw = k.max_lifetime_us.map(|l| rng.next_u64() % l);
                if since_us < k.idle_timeout_us {
                    self.state[c].conn_endpoint = answers.address(answer, g.random_address);
                    self.state[c].conn_idle_deadline_us = k.idle_timeout_us - since_us;
                    self.state[c].conn_life_deadline_us = match (k.max_lifetime_us, age_draw) {
                        (Some(l), Some(age)) => l.saturating_sub(age.max(since_us)).max(1),
                        _ => SimTime::MAX,
                    };
                }
            }
            first.push((g.requests_per_s > 0.0).then(|| exponential_us(rng, 1.0 / rate_per_us(g))));
        }
        first
    }

    /// Where each client's requests go after the steady start: its connection's endpoint,
    /// else its cached answer's first address, else where its question's answer heads.
    pub fn headings(
        &self,
        config: &Config,
        first_address: impl Fn(u32) -> u32,
        heading: impl Fn(u32) -> u32,
    ) -> Vec<u32> {
        self.state
            .iter()
            .map(|s| {
                if s.conn_endpoint != NONE {
                    s.conn_endpoint
                } else if s.cache_answer != NONE {
                    first_address(s.cache_answer)
                } else {
                    heading(config.groups[s.group as usize].question)
                }
            })
            .collect()
    }

    /// Hints the processor to load a client's state soon.
    #[inline]
    pub fn prefetch(&self, c: u32) {
        #[cfg(target_arch = "x86_64")]
        if let Some(state) = self.state.get(c as usize) {
            // SAFETY: prefetching reads nothing and cannot fault; SSE is baseline on x86_64.
            unsafe {
                core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
                    (state as *const ClientState).cast(),
                )
            };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = c;
    }

    /// The time of the client's next request after `now_us`.
    pub fn next_request_us(&mut self, config: &Config, c: u32, now_us: SimTime) -> SimTime {
        let gi = self.state[c as usize].group as usize;
        now_us.saturating_add(exponential_us(&mut self.rngs[gi], 1.0 / rate_per_us(&config.groups[gi])))
    }

    /// Where a request sent now goes: the open connection's endpoint, else an address of
    /// the cached answer, else of a fresh answer from the resolver (which is then cached).
    /// Call `connect` with the address chosen (`address`) when no connection was open.
    pub fn route(
        &mut self,
        config: &Config,
        resolvers: &mut Resolvers,
        ns: &mut NameServers,
        now_us: SimTime,
        c: u32,
    ) -> Route {
        let c = c as usize;
        let g = &config.groups[self.state[c].group as usize];
        if let Some(k) = g.connection
            && now_us < self.state[c].conn_idle_deadline_us
            && now_us < self.state[c].conn_life_deadline_us
        {
            self.state[c].conn_idle_deadline_us = now_us + k.idle_timeout_us;
            return Route {
                connected: Some(self.state[c].conn_endpoint),
                answer: NONE,
                resolved: false,
                refreshed: None,
            };
        }
        if now_us < self.state[c].cache_expires_us {
            return Route { connected: None, answer: self.state[c].cache_answer, resolved: false, refreshed: None };
        }
        let answer = resolvers.query(config, ns, now_us, self.state[c].resolver, g.question);
        let kept_us: Option<SimDuration> = match g.cache {
            ClientCache::None => None,
            ClientCache::Ttl { min_us, max_us } => Some(answer.ttl_us.clamp(min_us, max_us)),
            ClientCache::Fixed { ttl_us } => Some(ttl_us),
            ClientCache::Forever => Some(SimTime::MAX - now_us),
        };
        if let Some(kept_us) = kept_us {
            self.state[c].cache_answer = answer.answer;
            self.state[c].cache_expires_us = now_us.saturating_add(kept_us);
        }
        Route { connected: None, answer: answer.answer, resolved: true, refreshed: answer.refreshed }
    }

    /// Which address of an answer a request goes to (docs/model.md §6.8): the first, or one
    /// at random; with `on_connect_failure: next_address`, the next while connections fail —
    /// at once after a refusal, after the connect timeout at a black hole. Returns the
    /// endpoint reached and the time lost, adding the episodes of the addresses passed to
    /// `passed`; when none connects, the request goes down with the address tried first.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn address(
        &mut self,
        config: &Config,
        ns: &NameServers,
        models: &[EndpointModel],
        c: u32,
        answer: u32,
        now_us: SimTime,
        passed: &mut Vec<u32>,
    ) -> (u32, SimDuration) {
        if (answer as usize) < models.len() {
            // An answer of one address is numbered as its endpoint (`AnswerTable::intern`).
            return (answer, 0);
        }
        let addresses = ns.addresses(answer);
        if let [one] = addresses {
            return (*one, 0);
        }
        let gi = self.state[c as usize].group as usize;
        let g = &config.groups[gi];
        let start = if g.random_address { (self.rngs[gi].next_u64() % addresses.len() as u64) as usize } else { 0 };
        let Some(timeout_us) = g.next_address_after_us else { return (addresses[start], 0) };
        let mut delay_us = 0;
        for k in 0..addresses.len() {
            let endpoint = addresses[(start + k) % addresses.len()];
            let segment = models[endpoint as usize].at(now_us + delay_us);
            match segment.down {
                None => return (endpoint, delay_us),
                Some(FailMode::Refuse) => {}
                Some(FailMode::Timeout) => delay_us += timeout_us,
            }
            passed.extend_from_slice(&segment.episodes);
        }
        passed.clear();
        (addresses[start], 0)
    }

    /// A request without an open connection connects to `endpoint`: pooled clients keep the
    /// connection.
    pub fn connect(&mut self, config: &Config, c: u32, endpoint: u32, now_us: SimTime) {
        let c = c as usize;
        if let Some(k) = config.groups[self.state[c].group as usize].connection {
            self.state[c].conn_endpoint = endpoint;
            self.state[c].conn_idle_deadline_us = now_us + k.idle_timeout_us;
            self.state[c].conn_life_deadline_us = k.max_lifetime_us.map_or(SimTime::MAX, |l| now_us.saturating_add(l));
        }
    }

    /// A request failed: its connection closes, and with `on_failure: reresolve` the cached
    /// answer is dropped too (both end now: no later request finds them).
    pub fn on_failure(&mut self, config: &Config, c: u32, now_us: SimTime) {
        let c = c as usize;
        self.state[c].conn_idle_deadline_us = self.state[c].conn_idle_deadline_us.min(now_us);
        if config.groups[self.state[c].group as usize].reresolve_on_failure {
            self.state[c].cache_expires_us = self.state[c].cache_expires_us.min(now_us);
        }
    }
}

pub struct Route {
    /// The endpoint of the connection the request was sent on, if one was open.
    pub connected: Option<u32>,
    /// Else the answer whose addresses it goes to.
    pub answer: u32,
    /// The client asked its resolver.
    pub resolved: bool,
    /// The resolver refreshed its entry for this query.
    pub refreshed: Option<super::resolver::Refreshed>,
}
