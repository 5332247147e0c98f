//! Aggregated requests (docs/model.md §8): the requests that change nothing are counted, not
//! simulated.
//!
//! A client's state (open connection, valid cache, or neither) fixes where its requests go
//! and, for each request, whether it changes that state — as a function of the request's
//! outcome (`Class`). Requests are Poisson, so the state-changing ("interesting") ones form
//! a thinned Poisson process and the others independent Poisson counts: the client gets one
//! event, its next interesting request, found by walking its destination's fault segments;
//! the boring requests before it are drawn in batches split at fault edges, episode starts
//! and the end of the warm-up. Every figure keeps its exact distribution.
//!
//! Two kinds of client never change state on their own: those without a cache behind a
//! caching resolver (a *pool*, driven by one event per resolver entry: the pool's first
//! query once the entry can be refreshed) and those without a cache behind a forwarder
//! (counted against the name servers' answer history). Pooled connections are aggregated
//! only when an idle timeout is negligible over the run; otherwise they stay per request.

use super::client::{Forced, Kind, rate_per_us};
use super::endpoint::Segment;
use super::{Event, World};
use crate::engine::Engine;
use crate::observe::{Batch, Marks, Observation, Observer, Queries};
use crate::rng::{self, Stream, exponential_us, unit};
use crate::scenario::config::{ClientCache, Config, GroupConfig};
use crate::time::SimTime;

/// Which requests change a client's state: those that fail, those that succeed, all, or
/// none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// An open connection (a failure closes it), or a cache with `reresolve`.
    Failures,
    /// A pooled client without a connection: a success opens one; a failure leaves it as it
    /// was.
    Successes,
    /// Nothing valid: the next request resolves.
    All,
    /// A cache that failures do not touch.
    Nothing,
}

impl Class {
    fn interesting(self, fail: f64) -> f64 {
        match self {
            Class::Failures => fail,
            Class::Successes => 1.0 - fail,
            Class::All => 1.0,
            Class::Nothing => 0.0,
        }
    }

    /// The probability that a boring request fails.
    fn boring_failure(self, fail: f64) -> f64 {
        match self {
            Class::Failures | Class::All => 0.0,
            Class::Successes => 1.0,
            Class::Nothing => fail,
        }
    }

    fn forced(self) -> Forced {
        match self {
            Class::Failures => Forced::Fail,
            Class::Successes => Forced::Succeed,
            _ => Forced::Draw,
        }
    }
}

fn fail_probability(segment: &Segment) -> f64 {
    match (&segment.down, &segment.degraded) {
        (Some(_), _) => 1.0,
        (None, Some(d)) => d.request_error.p,
        (None, None) => 0.0,
    }
}

/// Idle timeouts are ignored when the chance that any client of the group sees one over the
/// run is below this; the group is simulated per request otherwise.
const IDLE_TIMEOUT_NEGLIGIBLE: f64 = 1e-9;

/// Whether a pooled group can be aggregated: a gap longer than the idle timeout has
/// probability e^(−λ·idle) per request.
fn idle_negligible(config: &Config, g: &GroupConfig) -> bool {
    let Some(k) = g.connection else { return true };
    let rate = rate_per_us(g);
    let requests = rate * config.end_us() as f64 + 1.0;
    f64::from(g.count) * requests * (-rate * k.idle_timeout_us as f64).exp() < IDLE_TIMEOUT_NEGLIGIBLE
}

pub fn kind(config: &Config, g: &GroupConfig, caching_resolver: bool, exact_requests: bool) -> Kind {
    // A client holding several addresses picks one request by request, and a load balancer
    // picks a target for each request: simulated per request.
    let tree = &config.records[g.record as usize].tree;
    if exact_requests || g.requests_per_s <= 0.0 || tree.several_addresses || tree.load_balancer {
        return Kind::Exact;
    }
    match (g.connection, g.cache) {
        (Some(_), _) if !idle_negligible(config, g) => Kind::Exact,
        (None, ClientCache::None) if caching_resolver => Kind::ResolverPool,
        (None, ClientCache::None) => Kind::Forwarded,
        _ => Kind::Wake,
    }
}

/// Clients without a cache behind each caching resolver entry (slot).
#[derive(Default)]
pub struct Pools {
    members: Vec<Vec<u32>>,
    /// Cumulative request rates of the members, for picking who sent a query.
    cumulative_rate: Vec<Vec<f64>>,
    version: Vec<u32>,
    /// Whether the slot's current (not superseded) query event is queued.
    queued: Vec<bool>,
}

impl Pools {
    pub fn new(slots: usize) -> Self {
        Pools {
            members: vec![Vec::new(); slots],
            cumulative_rate: vec![Vec::new(); slots],
            version: vec![0; slots],
            queued: vec![false; slots],
        }
    }

    pub fn add(&mut self, slot: usize, client: u32, rate_per_us: f64) {
        let total = self.cumulative_rate[slot].last().copied().unwrap_or(0.0);
        self.members[slot].push(client);
        self.cumulative_rate[slot].push(total + rate_per_us);
    }

    fn total_rate(&self, slot: usize) -> f64 {
        self.cumulative_rate[slot].last().copied().unwrap_or(0.0)
    }

    pub fn slots(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.members.len()).filter(|&s| !self.members[s].is_empty())
    }
}

/// Draws a batch's count, and the time of its first request when it is needed.
#[inline(always)]
fn draw_batch(
    rng: &mut Stream,
    from_us: SimTime,
    to_us: SimTime,
    rate: f64,
    need_first: bool,
) -> (u64, Option<SimTime>) {
    if need_first {
        let first = from_us.saturating_add(exponential_us(rng, 1.0 / rate));
        if first >= to_us {
            return (0, None);
        }
        (1 + rng::poisson(rng, rate * (to_us - first) as f64), Some(first))
    } else {
        (rng::poisson(rng, rate * (to_us - from_us) as f64), None)
    }
}

impl<O: Observer> World<'_, O> {
    /// The class, horizon and destination of a Wake client's requests from `at_us` on,
    /// given its state after its last interesting request. After the horizon (the cache's
    /// expiry, the connection's end of life) every request is interesting.
    fn wake_state(&self, c: usize, at_us: SimTime) -> (Class, SimTime, u32) {
        let cl = &self.clients;
        let g = &self.config.groups[cl.state[c].group as usize];
        if g.connection.is_some() {
            if at_us < cl.state[c].conn_idle_deadline_us && at_us < cl.state[c].conn_life_deadline_us {
                return (Class::Failures, cl.state[c].conn_life_deadline_us, cl.state[c].conn_endpoint);
            }
            if at_us < cl.state[c].cache_expires_us {
                let class = if g.reresolve_on_failure { Class::All } else { Class::Successes };
                return (class, cl.state[c].cache_expires_us, cl.state[c].cache_answer);
            }
            return (Class::All, at_us, cl.state[c].cache_answer);
        }
        if at_us < cl.state[c].cache_expires_us {
            let class = if g.reresolve_on_failure { Class::Failures } else { Class::Nothing };
            return (class, cl.state[c].cache_expires_us, cl.state[c].cache_answer);
        }
        (Class::All, at_us, cl.state[c].cache_answer)
    }

    /// Schedules a Wake client's next interesting request after `now_us`.
    pub(super) fn schedule_wake(&mut self, engine: &mut Engine<Event>, c: u32, now_us: SimTime) {
        let ci = c as usize;
        let g = &self.config.groups[self.clients.state[ci].group as usize];
        let rate = rate_per_us(g);
        let end_us = self.config.end_us();
        let (class, horizon_us, destination) = self.wake_state(ci, now_us);
        let rng = &mut self.clients.rngs[self.clients.state[ci].group as usize];
        let limit_us = horizon_us.min(end_us);
        let mut at_us = now_us;
        // Before the horizon the client holds a destination; walk its fault segments.
        let segments: &[Segment] =
            if at_us < limit_us { &self.endpoints.models[destination as usize].segments } else { &[] };
        let mut i = segments.partition_point(|s| s.start_us <= at_us).saturating_sub(1);
        while at_us < limit_us {
            let piece_end_us = segments.get(i + 1).map_or(SimTime::MAX, |s| s.start_us).min(limit_us);
            let r = class.interesting(fail_probability(&segments[i]));
            if r > 0.0 {
                let candidate = at_us.saturating_add(exponential_us(rng, 1.0 / (rate * r)));
                if candidate < piece_end_us {
                    self.clients.state[ci].forced = class.forced();
                    engine.schedule(candidate, Event::Request { client: c });
                    return;
                }
            }
            at_us = piece_end_us;
            i += 1;
        }
        if horizon_us < end_us {
            let wake_us = horizon_us.max(now_us).saturating_add(exponential_us(rng, 1.0 / rate));
            if wake_us < end_us {
                self.clients.state[ci].forced = Forced::Draw;
                engine.schedule(wake_us, Event::Request { client: c });
            }
        }
    }

    /// Counts a client's boring requests up to `to_us`.
    pub(super) fn account(&mut self, c: u32, to_us: SimTime) {
        let ci = c as usize;
        let from_us = self.clients.state[ci].since_us;
        if to_us <= from_us {
            return;
        }
        self.clients.state[ci].since_us = to_us;
        match self.clients.state[ci].kind {
            Kind::Exact => {}
            Kind::Wake => {
                let (class, horizon_us, destination) = self.wake_state(ci, from_us);
                self.batches(c, from_us, to_us.min(horizon_us), destination, 1.0, class, Queries::None, None);
            }
            Kind::ResolverPool => {
                let slot = self.resolvers.slot(
                    self.clients.state[ci].resolver,
                    self.config.groups[self.clients.state[ci].group as usize].question,
                );
                let (destination, refreshable_us) = self.resolvers.entry_view(self.config, slot);
                self.batches(
                    c,
                    from_us,
                    to_us.min(refreshable_us),
                    destination,
                    1.0,
                    Class::Nothing,
                    Queries::Resolver,
                    None,
                );
            }
            Kind::Forwarded => self.account_forwarded(c, from_us, to_us),
        }
    }

    /// Batches of requests to one endpoint over [from, to), split where their law or their
    /// meaning changes: the endpoint's fault edges, episode starts, the end of the warm-up.
    /// `share` thins the client's rate (forwarded clients split by name-server answers).
    /// A batch no open episode follows only adds to group totals, so its count is not drawn
    /// here: its expectation is, and the sum is drawn once at the end (a sum of Poisson
    /// counts is one).
    /// With `held`, a first request to a healthy endpoint is not marked as reached but its
    /// instant kept (the earliest) in `held`, so that batches to the other endpoints of the
    /// same span still draw their first request and the client's failover time is the
    /// earliest over all of them.
    #[allow(clippy::too_many_arguments)]
    fn batches(
        &mut self,
        c: u32,
        from_us: SimTime,
        to_us: SimTime,
        destination: u32,
        share: f64,
        class: Class,
        queries: Queries,
        mut held: Option<&mut Option<SimTime>>,
    ) {
        let mut drawn_us: Option<SimTime> = None;
        if to_us <= from_us || share <= 0.0 {
            return;
        }
        let group = self.clients.state[c as usize].group;
        let rate = rate_per_us(&self.config.groups[group as usize]) * share;
        let segments = &self.endpoints.models[destination as usize].segments;
        let warm = self.config.warmup_us;
        let mut i = segments.partition_point(|s| s.start_us <= from_us).saturating_sub(1);
        let mut a = from_us;
        while a < to_us {
            while segments.get(i + 1).is_some_and(|s| s.start_us <= a) {
                i += 1;
            }
            let mut b = segments.get(i + 1).map_or(to_us, |s| s.start_us.min(to_us));
            if warm > a {
                b = b.min(warm);
            }
            for start_us in self.tracking.starts(group) {
                if start_us > a {
                    b = b.min(start_us);
                }
            }
            let segment = &segments[i];
            let fail = fail_probability(segment);
            let boring_rate = rate * (1.0 - class.interesting(fail));
            let boring_failure = class.boring_failure(fail);
            if boring_rate > 0.0 {
                let mut batch = Batch {
                    client: c,
                    group,
                    endpoint: destination,
                    from_us: a,
                    to_us: b,
                    requests: 0,
                    failed: 0,
                    first_us: None,
                    queries,
                };
                self.deferred.bucket(destination, a, b, boring_rate, boring_failure);
                if a >= warm && segment.episodes.is_empty() && !self.tracking.follows(group, a) {
                    self.deferred.defer(group, queries, a, b, boring_rate, boring_failure);
                    self.observer.observe(Observation::Deferred(batch));
                } else {
                    let healthy = segment.episodes.is_empty() && a >= warm;
                    let need_first = healthy && self.tracking.waits_for_since(c, group, a, drawn_us);
                    let rng = &mut self.clients.rngs[group as usize];
                    (batch.requests, batch.first_us) = draw_batch(rng, a, b, boring_rate, need_first);
                    batch.failed = rng::binomial(rng, batch.requests, boring_failure);
                    if healthy && batch.first_us.is_some() {
                        match held.as_deref_mut() {
                            None => {
                                if self.tracking.reached(c, group, a) {
                                    let marks = self.batch_marks(c);
                                    self.observer.observe(Observation::Reached { client: c, group, from_us: a, marks });
                                }
                            }
                            Some(earliest) => {
                                drawn_us = Some(a);
                                *earliest = Some(earliest.map_or(a, |e| e.min(a)));
                            }
                        }
                    }
                    self.observer.observe(Observation::Batch { batch, at_fault: &segment.episodes });
                }
            }
            a = b;
        }
    }

    /// A forwarded client: each request asks a random name server, so its requests split
    /// over the endpoints of its record's tree by the share of answers naming each first;
    /// the shares change only when an answer does.
    fn account_forwarded(&mut self, c: u32, from_us: SimTime, to_us: SimTime) {
        let question = self.config.groups[self.clients.state[c as usize].group as usize].question;
        let endpoints = &self.config.question_tree(question).endpoints;
        let history = &self.answer_shares[question as usize];
        let first = history.partition_point(|&(t, _)| t <= from_us).saturating_sub(1);
        let spans: Vec<(SimTime, Vec<f64>)> =
            history[first..].iter().take_while(|&&(t, _)| t < to_us).cloned().collect();
        for (k, (start_us, shares)) in spans.iter().enumerate() {
            let a = (*start_us).max(from_us);
            let b = spans.get(k + 1).map_or(to_us, |(t, _)| *t);
            let mut reached = None;
            for (&endpoint, &share) in endpoints.iter().zip(shares) {
                self.batches(c, a, b, endpoint, share, Class::Nothing, Queries::NameServer, Some(&mut reached));
            }
            let group = self.clients.state[c as usize].group;
            if let Some(at_us) = reached
                && self.tracking.reached(c, group, at_us)
            {
                // A forwarded client has no cache: nothing but the name servers held it back.
                let marks = Marks::default();
                self.observer.observe(Observation::Reached { client: c, group, from_us: at_us, marks });
            }
        }
    }

    /// What held a client back as it reaches a healthy endpoint in a batch
    /// (`marks`): for a pool, the entry it read; nothing for others.
    #[cold]
    #[inline(never)]
    fn batch_marks(&self, c: u32) -> Marks {
        let state = &self.clients.state[c as usize];
        if state.kind != Kind::ResolverPool {
            return Marks::default();
        }
        let question = self.config.groups[state.group as usize].question;
        let previous = self.pool_previous.unwrap_or_else(|| self.resolvers.previous_of(state.resolver, question));
        super::marks::of_resolver(&self.endpoints.models, &self.name_servers, previous)
    }

    /// A resolver refreshed an entry that a pool reads: the pool's requests up to the old
    /// entry's refreshable instant were hits on it; none came between then and now (the
    /// pool's first would have triggered this refresh); from now on they read the new entry.
    pub(super) fn on_pool_refresh(
        &mut self,
        engine: &mut Engine<Event>,
        now_us: SimTime,
        refreshed: super::resolver::Refreshed,
    ) {
        let slot = refreshed.slot;
        if self.pools.members.get(slot).is_none_or(Vec::is_empty) {
            return;
        }
        let members = std::mem::take(&mut self.pools.members[slot]);
        self.pool_previous = Some(refreshed.previous_before);
        for &c in &members {
            let from_us = self.clients.state[c as usize].since_us;
            let to_us = refreshed.refreshable_from_before.min(now_us);
            self.batches(c, from_us, to_us, refreshed.answer_before, 1.0, Class::Nothing, Queries::Resolver, None);
            self.clients.state[c as usize].since_us = now_us;
        }
        self.pool_previous = None;
        self.pools.members[slot] = members;
        self.pools.version[slot] = self.pools.version[slot].wrapping_add(1);
        if std::mem::take(&mut self.pools.queued[slot]) {
            // The queued query still pops, and is ignored: it must not count against the
            // queue's bound of one live event per entry.
            engine.superseded();
        }
        self.schedule_pool(engine, slot, now_us);
    }

    /// The pool's first query once its entry can be refreshed.
    pub(super) fn schedule_pool(&mut self, engine: &mut Engine<Event>, slot: usize, now_us: SimTime) {
        let total_rate = self.pools.total_rate(slot);
        if total_rate <= 0.0 {
            return;
        }
        let (_, refreshable_us) = self.resolvers.entry_view(self.config, slot);
        let first = self.pools.members[slot][0];
        let rng = &mut self.clients.rngs[self.clients.state[first as usize].group as usize];
        let at_us = refreshable_us.max(now_us).saturating_add(exponential_us(rng, 1.0 / total_rate));
        if at_us < self.config.end_us() {
            engine.schedule(at_us, Event::PoolQuery { slot: slot as u32, version: self.pools.version[slot] });
            self.pools.queued[slot] = true;
        }
    }

    /// The pool's query: sent by a member chosen in proportion to its rate.
    pub(super) fn on_pool_query(&mut self, engine: &mut Engine<Event>, now_us: SimTime, slot: usize, version: u32) {
        if self.pools.version[slot] != version {
            engine.stale_popped();
            return;
        }
        self.pools.queued[slot] = false;
        let first = self.pools.members[slot][0];
        let rng = &mut self.clients.rngs[self.clients.state[first as usize].group as usize];
        let target = unit(rng) * self.pools.total_rate(slot);
        let pick =
            self.pools.cumulative_rate[slot].partition_point(|&r| r <= target).min(self.pools.members[slot].len() - 1);
        let client = self.pools.members[slot][pick];
        let refreshed = self.interesting_request(engine, now_us, client, Forced::Draw);
        assert!(refreshed, "a pool query at its refreshable instant refreshes the entry");
    }

    /// Counts the requests of these groups' clients up to `to_us` (episode end, end of
    /// run). `groups` in group order: clients are numbered group by group, so this visits
    /// them in client order, touching only the groups' own clients.
    pub(super) fn flush(&mut self, to_us: SimTime, groups: &[u32]) {
        let total = self.clients.state.len() as u32;
        for &g in groups {
            let first = self.clients.group_start[g as usize];
            let end = self.clients.group_start.get(g as usize + 1).copied().unwrap_or(total);
            for c in first..end {
                self.account(c, to_us);
            }
        }
    }
}
