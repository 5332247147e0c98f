//! The DNS failover model: the world's state, the one `Event` enum and its dispatch.
//!
//! Each component (endpoint, health, dns, resolver, client) owns its state and answers
//! questions about it; this file wires them to the engine. Handlers stay short; the rules
//! live in the component files.

pub mod aggregate;
pub mod answers;
pub mod calculated;
pub mod client;
pub mod cloudwatch;
pub mod deferred;
pub mod dns;
pub mod draws;
pub mod endpoint;
pub mod health;
pub mod load_balancer;
pub mod marks;
pub mod resolver;
pub mod tracking;

use crate::engine::Engine;
use crate::observe::{AnswerSummary, CheckerFlip, CheckerId, Evidence, Observation, Observer, RunEnd, Start};
use crate::rng;
use crate::scenario::config::Config;
use crate::time::SimTime;
use calculated::Calculated;
use client::{Clients, Forced, Kind};
use cloudwatch::Watches;
use deferred::Deferred;
use dns::{Changed, NameServers, StartAnswers};
use endpoint::{EndpointModel, Endpoints};
use health::Health;
use load_balancer::LoadBalancers;
use resolver::{Previous, Resolvers};
use tracking::Tracking;

/// Everything that can happen. Kept small (16 bytes) because the queue holds one per
/// client and per checker.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// A probe's result arrives.
    Probe {
        checker: u32,
        ok: bool,
    },
    /// A health status change reaches a name server.
    NameServerUpdate {
        name_server: u32,
        transition: u32,
    },
    /// A client sends a request.
    Request {
        client: u32,
    },
    EpisodeStart {
        episode: u32,
    },
    EpisodeEnd {
        episode: u32,
    },
    /// A name server's cached answer expires (`dns.answer_cache`): it serves its view's.
    AnswerCacheExpiry {
        slot: u32,
    },
    /// The first query of a resolver entry's pool once the entry can be refreshed
    /// (aggregated mode); stale when the entry was refreshed since.
    PoolQuery {
        slot: u32,
        version: u32,
    },
    /// A child's status change reaches a calculated check (docs/model.md §3.12).
    ChildUpdate {
        link: u32,
        transition: u32,
    },
    /// A CloudWatch check's metric period ends (docs/model.md §3.13).
    PeriodEnd {
        watch: u32,
        period: u32,
    },
    /// A CloudWatch period's datapoint, or the news that it has none, reaches Route 53.
    Datapoint {
        watch: u32,
        period: u32,
    },
    /// A change of a load balancer's health reaches Route 53 (docs/model.md §2.7): its
    /// `arrival`-th.
    LoadBalancer {
        balancer: u32,
        arrival: u32,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Occurrences(#[from] endpoint::TooManyOccurrences),
}

struct World<'a, O: Observer> {
    config: &'a Config,
    observer: &'a mut O,
    endpoints: Endpoints,
    health: Health,
    calculated: Calculated,
    watches: Watches,
    load_balancers: LoadBalancers,
    name_servers: NameServers,
    resolvers: Resolvers,
    clients: Clients,
    /// Scratch for answer changes, answer-cache expiries and the episodes a request passed,
    /// reused across events.
    changes: Vec<Changed>,
    expiries: Vec<(u32, SimTime)>,
    passed: Vec<u32>,
    pools: aggregate::Pools,
    /// Per question, from the start: (time, the share of queries whose first address is
    /// each endpoint of its record's tree, over name servers and draws).
    answer_shares: Vec<Vec<(SimTime, Vec<f64>)>>,
    tracking: Tracking,
    deferred: Deferred,
    /// While a pool's batches up to a refresh are counted: what the replaced entry's
    /// resolver had served before it (failover stages).
    pool_previous: Option<resolver::Previous>,
}

/// The most events pending at once: one per client, per resolver entry (its pool), per
/// checker, per episode edge and per answer-cache slot, plus name-server updates in flight — at most one per name
/// server per status change, and a status change needs a checker flip, which needs a
/// probe. The queue only grows as used. Checks without checkers add their own
/// (`derived_events_max`); a load balancer has one pending change of its health, and its
/// changes are known from the start.
fn queue_bound(
    config: &Config,
    clients: &Clients,
    resolvers: &Resolvers,
    health: &Health,
    endpoints: &Endpoints,
    calculated: &Calculated,
    load_balancers: &LoadBalancers,
) -> usize {
    let probes_max: u64 =
        config.health_checks.iter().map(|h| u64::from(h.checker_count()) * (config.end_us() / h.interval_us + 1)).sum();
    let (derived_changes_max, mut derived_events_max) = derived_events_max(config, calculated, probes_max);
    let derived_changes_max = derived_changes_max.saturating_add(load_balancers.arrival_count());
    derived_events_max = derived_events_max.saturating_add(load_balancers.balancers.len() as u64);
    let updates_max =
        u64::from(config.name_server_count).saturating_mul(probes_max.saturating_add(derived_changes_max));
    let cache_slots =
        if config.answer_cache.is_some() { config.name_server_count as usize * config.questions.len() } else { 0 };
    (clients.state.len() + resolvers.slot_count() + health.checkers.len() + 2 * endpoints.episodes.len() + cache_slots)
        .saturating_add(usize::try_from(updates_max.saturating_add(derived_events_max)).unwrap_or(usize::MAX))
}

/// Calculated and CloudWatch checks: (their status changes, their events in flight) at
/// most. A CloudWatch check has one pending period end and its datapoints in flight, and
/// changes at most once per datapoint; a check with checkers changes at most twice per
/// probe (a check registered anew turns unhealthy without one); each change of a child
/// sends one update per link, and a calculated check changes at most once per update.
fn derived_events_max(config: &Config, calculated: &Calculated, probes_max: u64) -> (u64, u64) {
    let datapoints_max = config.datapoints_max();
    if datapoints_max == 0 && calculated.link_count() == 0 {
        return (0, 0);
    }
    let child_changes_max = probes_max.saturating_mul(2).saturating_add(datapoints_max);
    let child_updates_max = (calculated.link_count() as u64).saturating_mul(child_changes_max);
    let watches = config.health_checks.len() as u64;
    (datapoints_max.saturating_add(child_updates_max), child_updates_max.saturating_add(watches + datapoints_max))
}

/// How a replication runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Draw the timeline's counts of batched requests per bucket.
    pub trace: bool,
    /// Simulate every request as its own event (the oracle for aggregated requests).
    pub exact_requests: bool,
}

/// Runs replication `replication` of the scenario, telling `observer` everything that
/// happens. `progress` is told the fraction of simulated time done, now and then.
pub fn run<O: Observer>(
    config: &Config,
    replication: u32,
    options: RunOptions,
    observer: &mut O,
    progress: &mut dyn FnMut(f64),
) -> Result<RunEnd, RunError> {
    let seed = rng::replication_seed(config.seed, replication);
    let (mut world, mut engine) = World::new(config, seed, options, observer)?;
    let end_us = config.end_us();
    while let Some((now_us, event)) = engine.pop_before(end_us) {
        // A client's state is a random access into a large array: start loading the next
        // event's client while this event is handled.
        if let Some(&Event::Request { client }) = engine.peek() {
            world.clients.prefetch(client);
        }
        world.observer.observe(Observation::Clock(now_us));
        world.dispatch(&mut engine, now_us, event);
        if engine.processed_count() % (1 << 18) == 0 {
            progress(now_us as f64 / end_us as f64);
        }
    }
    progress(1.0);
    world.flush(end_us, &(0..config.groups.len() as u32).collect::<Vec<_>>());
    let World { deferred, resolvers, observer, .. } = world;
    deferred.draw(seed, observer);
    Ok(RunEnd {
        replication,
        seed,
        events: engine.processed_count(),
        authoritative_queries: resolvers.authoritative_queries,
        pending_peak: engine.pending_peak(),
    })
}

impl<'a, O: Observer> World<'a, O> {
    fn new(
        config: &'a Config,
        seed: u64,
        options: RunOptions,
        observer: &'a mut O,
    ) -> Result<(Self, Engine<Event>), RunError> {
        let mut endpoints = Endpoints::build(config, seed)?;
        let load_balancers = LoadBalancers::build(config, seed, &mut endpoints);
        let mut health = Health::new(config, seed);
        let calculated = Calculated::new(config, seed, &mut health.checks);
        let watches = Watches::new(config, seed);
        let initial_health: Vec<bool> = health.checks.iter().map(|c| c.healthy).collect();
        let mut name_servers = NameServers::new(config, seed, &initial_health);
        let mut resolvers = Resolvers::new(config, seed);
        let (mut clients, query_rates) = Clients::new(config, seed, &resolvers);
        // Caches and connections hold answers given before any fault.
        let mut start_answers = StartAnswers::new(&mut name_servers, seed);
        resolvers.settle(config, &query_rates, |q| start_answers.answer(q));
        let first_requests = clients.settle(config, &resolvers, &mut start_answers);
        let question_count = config.questions.len() as u32;
        let answers: Vec<AnswerSummary> =
            (0..question_count).map(|q| name_servers.summary(name_servers.answer(0, q)).clone()).collect();
        let healthy_answers: Vec<AnswerSummary> =
            name_servers.healthy_choices(config).into_iter().map(|c| name_servers.summary(c).clone()).collect();
        let heading = |q: u32| name_servers.first_endpoint(name_servers.answer(0, q));
        let client_endpoints = clients.headings(config, |a| name_servers.addresses(a)[0], heading);
        let checkers: Vec<CheckerId> = health.checkers.iter().map(|c| c.id).collect();
        observer.observe(Observation::Start(Start {
            episodes: &endpoints.episodes,
            checkers: &checkers,
            check_healthy: &initial_health,
            checkers_healthy: &health.checks.iter().map(|c| c.healthy_checkers).collect::<Vec<_>>(),
            answers: &answers,
            healthy_answers: &healthy_answers,
            client_endpoints: &client_endpoints,
            group_start: &clients.group_start,
        }));
        drop(client_endpoints);

        let pending_max = queue_bound(config, &clients, &resolvers, &health, &endpoints, &calculated, &load_balancers);
        let mut engine = Engine::new(pending_max);
        for (id, e) in endpoints.episodes.iter().enumerate() {
            engine.schedule(e.start_us, Event::EpisodeStart { episode: id as u32 });
            engine.schedule(e.end_us, Event::EpisodeEnd { episode: id as u32 });
        }
        for (checker, done_us, ok) in health.first_probes(config, &endpoints.models) {
            engine.schedule(done_us, Event::Probe { checker, ok });
        }
        for (watch, end_us) in watches.first_period_ends(config) {
            engine.schedule(end_us, Event::PeriodEnd { watch, period: 0 });
        }
        for (balancer, b) in (0u32..).zip(&load_balancers.balancers) {
            if let Some(first) = b.arrivals.first() {
                engine.schedule(first.at_us, Event::LoadBalancer { balancer, arrival: 0 });
            }
        }
        let answer_shares = (0..question_count)
            .map(|q| vec![(0, name_servers.shares(q, &config.question_tree(q).endpoints))])
            .collect();
        let pools = aggregate::Pools::new(resolvers.slot_count());
        let tracking = Tracking::new(config, endpoints.episodes.len(), clients.group_start.clone());
        let mut world = World {
            config,
            observer,
            endpoints,
            health,
            calculated,
            watches,
            load_balancers,
            name_servers,
            resolvers,
            clients,
            changes: Vec::new(),
            expiries: Vec::new(),
            passed: Vec::new(),
            pools,
            answer_shares,
            tracking,
            deferred: Deferred::new(config, options.trace),
            pool_previous: None,
        };
        for (client, first) in first_requests.into_iter().enumerate() {
            world.schedule_first(&mut engine, client as u32, first, options.exact_requests);
        }
        let slots: Vec<usize> = world.pools.slots().collect();
        for slot in slots {
            world.schedule_pool(&mut engine, slot, 0);
        }
        Ok((world, engine))
    }

    /// Decides how a client's requests are simulated and schedules its first event.
    fn schedule_first(&mut self, engine: &mut Engine<Event>, c: u32, first: Option<SimTime>, exact_requests: bool) {
        let client = c as usize;
        let g = &self.config.groups[self.clients.state[client].group as usize];
        let caching = self.resolvers.caches(self.config, self.clients.state[client].resolver);
        let kind = aggregate::kind(self.config, g, caching, exact_requests);
        self.clients.state[client].kind = kind;
        match kind {
            Kind::Exact => {
                if let Some(at_us) = first {
                    engine.schedule(at_us, Event::Request { client: c });
                }
            }
            Kind::Wake => {
                // Idle timeouts are negligible for aggregated pooled clients.
                if self.clients.state[client].conn_idle_deadline_us > 0 {
                    self.clients.state[client].conn_idle_deadline_us = SimTime::MAX;
                }
                self.schedule_wake(engine, c, 0);
            }
            Kind::ResolverPool => {
                let slot = self.resolvers.slot(self.clients.state[client].resolver, g.question);
                self.pools.add(slot, c, client::rate_per_us(g));
            }
            Kind::Forwarded => {}
        }
    }

    fn dispatch(&mut self, engine: &mut Engine<Event>, now_us: SimTime, event: Event) {
        match event {
            Event::Probe { checker, ok } => self.on_probe(engine, now_us, checker, ok),
            Event::NameServerUpdate { name_server, transition } => {
                self.on_name_server_update(engine, now_us, name_server, transition)
            }
            Event::Request { client } => self.on_request(engine, now_us, client),
            Event::EpisodeStart { episode } => {
                self.tracking.open(self.config, episode, &self.endpoints.episodes[episode as usize]);
                self.observer.observe(Observation::EpisodeStart(episode));
            }
            Event::EpisodeEnd { episode } => {
                // Batches are counted lazily: bring the episode's clients up to its end first.
                let endpoint = self.endpoints.episodes[episode as usize].endpoint;
                let followed = self.tracking.groups_reaching(endpoint).to_vec();
                self.flush(now_us, &followed);
                self.tracking.close(episode, endpoint);
                self.observer.observe(Observation::EpisodeEnd(episode));
            }
            Event::PoolQuery { slot, version } => self.on_pool_query(engine, now_us, slot as usize, version),
            Event::AnswerCacheExpiry { slot } => {
                self.changes.clear();
                self.name_servers.on_cache_expiry(now_us, slot, &mut self.changes);
                self.answers_changed(now_us);
            }
            Event::ChildUpdate { link, transition } => self.on_child_update(engine, now_us, link, transition),
            Event::PeriodEnd { watch, period } => self.on_period_end(engine, watch, period),
            Event::Datapoint { watch, period } => self.on_datapoint(engine, now_us, watch, period),
            Event::LoadBalancer { balancer, arrival } => self.on_load_balancer(engine, now_us, balancer, arrival),
        }
    }

    /// A change of a load balancer's health reaches Route 53: its check changes, and the
    /// next change is on its way.
    fn on_load_balancer(&mut self, engine: &mut Engine<Event>, now_us: SimTime, balancer: u32, arrival: u32) {
        let b = &self.load_balancers.balancers[balancer as usize];
        let change = &b.arrivals[arrival as usize];
        let (check, healthy, evidence) = (b.check, change.healthy, change.evidence.clone());
        if let Some(next) = b.arrivals.get(arrival as usize + 1) {
            engine.schedule(next.at_us, Event::LoadBalancer { balancer, arrival: arrival + 1 });
        }
        let id = self.health.record(now_us, check, healthy);
        self.status_changed(engine, now_us, id, &evidence);
    }

    /// A child's change reaches a calculated check, which may change in turn.
    fn on_child_update(&mut self, engine: &mut Engine<Event>, now_us: SimTime, link: u32, transition: u32) {
        let parent = self.calculated.parent(link);
        let change = self.health.transitions[transition as usize];
        let current = self.health.checks[parent as usize].healthy;
        if let Some(healthy) = self.calculated.on_update(self.config, link, transition, change, current) {
            let id = self.health.record(now_us, parent, healthy);
            self.status_changed(engine, now_us, id, &[Evidence::Child { transition }]);
        }
    }

    /// A CloudWatch period ends: its datapoint is on its way, and the next period begins.
    fn on_period_end(&mut self, engine: &mut Engine<Event>, watch: u32, period: u32) {
        let end_us = self.config.end_us();
        let arrival_us = self.watches.arrival_us(self.config, watch, period);
        if arrival_us < end_us {
            engine.schedule(arrival_us, Event::Datapoint { watch, period });
        }
        let next_us = self.watches.period_end_us(self.config, watch, period + 1);
        if next_us < end_us {
            engine.schedule(next_us, Event::PeriodEnd { watch, period: period + 1 });
        }
    }

    /// A CloudWatch datapoint arrives: the observer is told, and the status may change.
    fn on_datapoint(&mut self, engine: &mut Engine<Event>, now_us: SimTime, watch: u32, period: u32) {
        let check = self.watches.check(watch);
        let reported = self.health.checks[check as usize].healthy;
        let a = self.watches.on_arrival(self.config, &self.endpoints.models, watch, period, reported);
        self.observer.observe(Observation::Datapoint(crate::observe::Datapoint {
            at_us: now_us,
            check,
            period_start_us: a.period_start_us,
            period_end_us: a.period_end_us,
            value: a.value,
        }));
        if let Some((healthy, from_us, to_us)) = a.change {
            let id = self.health.record(now_us, check, healthy);
            self.status_changed(engine, now_us, id, &[Evidence::Metric { from_us, to_us }]);
        }
    }

    fn on_probe(&mut self, engine: &mut Engine<Event>, now_us: SimTime, checker: u32, ok: bool) {
        let result = self.health.on_probe(self.config, &self.endpoints.models, now_us, checker, ok);
        let (done_us, next_ok) = result.next;
        engine.schedule(done_us, Event::Probe { checker, ok: next_ok });
        let check = self.health.checkers[checker as usize].id.check;
        self.observer.observe(Observation::Probe { check, ok });
        if result.flipped {
            self.observer.observe(Observation::CheckerFlip(CheckerFlip { at_us: now_us, checker, healthy: ok }));
        }
        if let Some(transition) = result.transition {
            self.status_changed(engine, now_us, transition, &[]);
        }
    }

    /// A check's reported status changed: the observer is told (with what a check without
    /// checkers based it on), and the change propagates to every name server and every
    /// calculated check that lists it.
    fn status_changed(&mut self, engine: &mut Engine<Event>, now_us: SimTime, transition: u32, evidence: &[Evidence]) {
        let change = self.health.transitions[transition as usize];
        self.observer.observe(Observation::Transition(change));
        for &evidence in evidence {
            self.observer.observe(Observation::Evidence { transition, evidence });
        }
        let end_us = self.config.end_us();
        for (name_server, at_us) in self.name_servers.propagate(self.config, now_us) {
            if at_us < end_us {
                engine.schedule(at_us, Event::NameServerUpdate { name_server, transition });
            }
        }
        for (link, at_us) in self.calculated.updates(self.config, change.check, now_us) {
            if at_us < end_us {
                engine.schedule(at_us, Event::ChildUpdate { link, transition });
            }
        }
    }

    fn on_name_server_update(
        &mut self,
        engine: &mut Engine<Event>,
        now_us: SimTime,
        name_server: u32,
        transition: u32,
    ) {
        let t = self.health.transitions[transition as usize];
        if !self.name_servers.apply(name_server, transition, t) {
            return;
        }
        let mut checks = vec![t.check];
        // A check that expires unused, consulted again, is registered anew before this name
        // server answers with it (and the change reaches the others as any other).
        for c in self.name_servers.newly_consulted(self.config, name_server, t.check) {
            let (flipped, registered) = self.health.consulted(self.config, c, now_us);
            for checker in flipped {
                self.observer.observe(Observation::CheckerFlip(CheckerFlip { at_us: now_us, checker, healthy: false }));
            }
            if let Some(id) = registered {
                self.status_changed(engine, now_us, id, &[]);
                self.name_servers.apply(name_server, id, self.health.transitions[id as usize]);
                checks.push(c);
            }
        }
        self.changes.clear();
        self.expiries.clear();
        let mut unused = Vec::new();
        let (changes, expiries) = (&mut self.changes, &mut self.expiries);
        self.name_servers.recompute(
            self.config,
            now_us,
            name_server,
            &checks,
            transition,
            changes,
            expiries,
            &mut unused,
        );
        for c in unused {
            self.health.unused(c, now_us);
        }
        for &(slot, at_us) in &self.expiries {
            if at_us < self.config.end_us() {
                engine.schedule(at_us, Event::AnswerCacheExpiry { slot });
            }
        }
        self.answers_changed(now_us);
    }

    /// What name servers answer changed (`self.changes`): forwarded clients' shares follow,
    /// and the observer is told.
    fn answers_changed(&mut self, now_us: SimTime) {
        let changes = std::mem::take(&mut self.changes);
        for &Changed { change, choice, previous } in &changes {
            let q = change.question;
            let now_shares = self.name_servers.shares(q, &self.config.question_tree(q).endpoints);
            let shares = &mut self.answer_shares[q as usize];
            match shares.last_mut() {
                Some(last) if last.0 == now_us => last.1 = now_shares,
                _ => shares.push((now_us, now_shares)),
            }
            self.observer.observe(Observation::AnswerChange {
                change,
                answer: self.name_servers.summary(choice),
                previous: self.name_servers.summary(previous),
            });
        }
        self.changes = changes;
        self.changes.clear();
    }

    fn on_request(&mut self, engine: &mut Engine<Event>, now_us: SimTime, client: u32) {
        match self.clients.state[client as usize].kind {
            Kind::Exact => {
                self.interesting_request(engine, now_us, client, Forced::Draw);
                let next_us = self.clients.next_request_us(self.config, client, now_us);
                if next_us < self.config.end_us() {
                    engine.schedule(next_us, Event::Request { client });
                }
            }
            _ => {
                self.account(client, now_us);
                let forced = self.clients.state[client as usize].forced;
                self.interesting_request(engine, now_us, client, forced);
                self.schedule_wake(engine, client, now_us);
            }
        }
    }

    /// One simulated request (every request in exact mode; the ones that change something
    /// when aggregated). Returns whether it refreshed a resolver entry.
    fn interesting_request(
        &mut self,
        engine: &mut Engine<Event>,
        now_us: SimTime,
        client: u32,
        forced: Forced,
    ) -> bool {
        let c = client as usize;
        let group = self.clients.state[c].group;
        // What may have held the client back, should this request be its first to a healthy
        // endpoint in an episode (failover stages).
        let before = self.tracking.following(group).then(|| marks::Held::of(&self.clients.state[c]));
        let route = self.clients.route(self.config, &mut self.resolvers, &mut self.name_servers, now_us, client);
        if route.resolved {
            self.observer.observe(Observation::Resolved { at_us: now_us, count: 1 });
        }
        if let Some(refreshed) = route.refreshed {
            self.on_pool_refresh(engine, now_us, refreshed);
        }
        self.passed.clear();
        let (endpoint, delay_us) = match route.connected {
            Some(endpoint) => (endpoint, 0),
            None => {
                let models = &self.endpoints.models;
                let (endpoint, delay_us) = self.clients.address(
                    self.config,
                    &self.name_servers,
                    models,
                    client,
                    route.answer,
                    now_us,
                    &mut self.passed,
                );
                self.clients.connect(self.config, client, endpoint, now_us);
                (endpoint, delay_us)
            }
        };
        // A load balancer forwards the request to a target (the connection stays its own).
        let endpoint = self.load_balancers.forward(endpoint, now_us + delay_us, &mut self.clients.rngs[group as usize]);
        let segment = self.endpoints.models[endpoint as usize].at(now_us + delay_us);
        let failed = match forced {
            Forced::Draw => EndpointModel::request_fails(segment, &mut self.clients.rngs[group as usize]),
            Forced::Fail => true,
            Forced::Succeed => false,
        };
        if failed {
            self.clients.on_failure(self.config, client, now_us);
        }
        if segment.episodes.is_empty()
            && now_us >= self.config.warmup_us
            && self.tracking.reached(client, group, now_us)
        {
            let state = before.expect("a client is reached only while an episode follows its group");
            let previous = if route.resolved {
                let question = self.config.groups[group as usize].question;
                self.resolvers.previous_of(self.clients.state[c].resolver, question)
            } else {
                Previous::default()
            };
            let marks = marks::at_request(&self.endpoints.models, &self.name_servers, state, previous, now_us);
            self.observer.observe(Observation::Reached { client, group, from_us: now_us, marks });
        }
        self.observer.observe(Observation::Request {
            at_us: now_us,
            client,
            group,
            endpoint,
            failed,
            at_fault: &segment.episodes,
            delay_us,
            passed: &self.passed,
        });
        if self.clients.state[c].kind != Kind::Exact {
            self.clients.state[c].since_us = now_us;
            if self.clients.state[c].conn_idle_deadline_us > now_us {
                // Aggregated pooled clients: idle timeouts are negligible (see aggregate.rs).
                self.clients.state[c].conn_idle_deadline_us = SimTime::MAX;
            }
        }
        route.refreshed.is_some()
    }
}
