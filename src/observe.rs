//! Observations: what the model tells whoever watches a run, as plain typed data.
//!
//! The model decides everything — every rule and every random draw — and reports what
//! happened through `Observer::observe`; an observer (the metrics, a test) folds the
//! observations into whatever it needs and can change nothing in the model. Both sides
//! depend on this file and on nothing of each other. Indices (endpoint, check, record,
//! group, client, name server) are positions in the `Config`.

use crate::scenario::FaultKind;
use crate::time::{SimDuration, SimTime};

/// Watches a run. Observations arrive in simulated-time order (`Clock` before the events of
/// each instant); see `Observation` for what each one means.
pub trait Observer {
    fn observe(&mut self, observation: Observation<'_>);
}

/// One occurrence of a request-affecting fault (outage, flap or degraded) on an endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Episode {
    pub endpoint: u32,
    /// Index of the fault in its endpoint's list.
    pub fault: u32,
    pub occurrence: u32,
    pub kind: FaultKind,
    /// Engine time.
    pub start_us: SimTime,
    pub end_us: SimTime,
}

/// A checker: which health check it belongs to and where it probes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckerId {
    pub check: u32,
    pub region: u16,
    pub index_in_region: u32,
}

/// One change of a health check's reported status. Transitions are numbered in the order
/// they are observed, from 0; an `AnswerChange` names its cause by that number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub at_us: SimTime,
    pub check: u32,
    pub healthy: bool,
}

/// What a status change of a check without checkers rests on (docs/model.md §3.12–§3.13,
/// §2.7); a probing check's changes rest on its probes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// A calculated check: the change of a child (its transition number) whose arrival
    /// caused it.
    Child { transition: u32 },
    /// A CloudWatch check: the metric over the periods [from_us, to_us) it evaluated.
    Metric { from_us: SimTime, to_us: SimTime },
    /// A load balancer's check: the load balancer's health checks of one target, sent from
    /// `from_us` with the last result at `to_us`, that took it out of service (or put it
    /// back). Going unhealthy rests on every target's.
    Target { endpoint: u32, from_us: SimTime, to_us: SimTime },
}

/// A CloudWatch check's datapoint reaching Route 53.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Datapoint {
    pub at_us: SimTime,
    pub check: u32,
    pub period_start_us: SimTime,
    pub period_end_us: SimTime,
    /// None: the period has no data.
    pub value: Option<f64>,
}

/// One change of one checker's own status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckerFlip {
    pub at_us: SimTime,
    /// Index into `Start::checkers`.
    pub checker: u32,
    pub healthy: bool,
}

/// What one name server's answer to a question sends where.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AnswerSummary {
    /// The share of queries whose answer's first address is each endpoint (summing to 1).
    pub shares: Vec<(u32, f64)>,
    /// Every endpoint an answer can name (any address, any draw).
    pub names: Vec<u32>,
}

impl AnswerSummary {
    pub fn names(&self, endpoint: u32) -> bool {
        self.names.contains(&endpoint)
    }
}

/// A change of what one name server answers to one question (`Config::questions`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnswerChange {
    pub at_us: SimTime,
    pub name_server: u32,
    pub question: u32,
    /// The number of the health transition whose arrival caused it.
    pub transition: u32,
}

/// What each request of a batch also was: nothing more, a resolver query (a client without
/// a cache behind a caching resolver), or a resolver and a name-server query (behind a
/// forwarder).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Queries {
    None = 0,
    Resolver = 1,
    NameServer = 2,
}

/// Requests of one client to one endpoint over `[from_us, to_us)`, counted in bulk
/// (aggregated mode).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Batch {
    pub client: u32,
    pub group: u16,
    pub endpoint: u32,
    pub from_us: SimTime,
    pub to_us: SimTime,
    pub requests: u64,
    pub failed: u64,
    /// When the first of them was sent, where an open episode still waits for this
    /// client's first request to a healthy endpoint.
    pub first_us: Option<SimTime>,
    pub queries: Queries,
}

/// Until when each layer between a client and the name servers last pointed it at an
/// endpoint under a fault, as it first reaches a healthy endpoint (failover stages,
/// docs/model.md §7.2.7). 0: the layer did not (or the client has no such layer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Marks {
    /// Its resolver's last entry naming such an endpoint: when it was fetched and until when
    /// it was served (expiry, or replacement by a prefetch).
    pub resolver_fetched_us: SimTime,
    pub resolver_until_us: SimTime,
    /// Its own cache's last such answer: until it expired or was dropped.
    pub cache_until_us: SimTime,
    /// Its last pooled connection to such an endpoint: until it closed.
    pub connection_until_us: SimTime,
}

/// The state of the world when the run starts (engine time 0).
#[derive(Clone, Copy, Debug)]
pub struct Start<'a> {
    /// Every episode of the run, numbered in start order.
    pub episodes: &'a [Episode],
    pub checkers: &'a [CheckerId],
    /// Reported status of each health check.
    pub check_healthy: &'a [bool],
    /// Checkers of each health check that see it healthy.
    pub checkers_healthy: &'a [u32],
    /// What every name server answers to each question.
    pub answers: &'a [AnswerSummary],
    /// What each question is answered while every health check is healthy.
    pub healthy_answers: &'a [AnswerSummary],
    /// Where each client's requests go at the start: its connection's endpoint, else its
    /// cached answer's first address, else its question's.
    pub client_endpoints: &'a [u32],
    /// First client of each group; a group's clients are contiguous.
    pub group_start: &'a [u32],
}

/// Something that happened. Times are engine times (scenario time 0 is the end of the
/// warm-up); requests before the warm-up's end are observed too, and observers decide what
/// to count.
#[derive(Clone, Copy, Debug)]
pub enum Observation<'a> {
    /// Always first.
    Start(Start<'a>),
    /// Simulated time has reached this instant; the events at it come next.
    Clock(SimTime),
    /// An episode started (at its `start_us`).
    EpisodeStart(u32),
    /// An episode ended: every request of the clients it tracks up to its end has been
    /// observed. Episodes lasting to the end of the run get no `EpisodeEnd`.
    EpisodeEnd(u32),
    /// A probe's result arrived.
    Probe {
        check: u32,
        ok: bool,
    },
    CheckerFlip(CheckerFlip),
    Transition(Transition),
    /// What the status change just observed rests on, for a calculated, CloudWatch or load
    /// balancer's check (sent right after its `Transition`, once per piece of evidence).
    Evidence {
        transition: u32,
        evidence: Evidence,
    },
    /// A CloudWatch datapoint (or the news that its period has none) reached Route 53.
    Datapoint(Datapoint),
    AnswerChange {
        change: AnswerChange,
        answer: &'a AnswerSummary,
        previous: &'a AnswerSummary,
    },
    /// Clients asked their resolvers, `count` times.
    Resolved {
        at_us: SimTime,
        count: u64,
    },
    /// One request, simulated on its own. `at_fault` lists the episodes its destination is
    /// inside (non-empty: the request is misrouted). A client trying the next address after
    /// a failed connection reaches `endpoint` `delay_us` late, having passed the addresses
    /// of the episodes `passed`.
    Request {
        at_us: SimTime,
        client: u32,
        group: u16,
        endpoint: u32,
        failed: bool,
        at_fault: &'a [u32],
        delay_us: SimDuration,
        passed: &'a [u32],
    },
    /// A client followed by an episode that waits for it is about to reach a healthy
    /// endpoint for the first time since `from_us` (its request or batch comes next, or for a
    /// forwarded client came just before): what held it back until then.
    Reached {
        client: u32,
        group: u16,
        from_us: SimTime,
        marks: Marks,
    },
    /// Requests counted in bulk, their counts drawn.
    Batch {
        batch: Batch,
        at_fault: &'a [u32],
    },
    /// Requests counted in bulk whose counts are drawn at the end of the run, summed per
    /// group (`DeferredCounts`): no episode tracks them. Its counts are zero; it tells that
    /// the client kept sending to `endpoint` over the span.
    Deferred(Batch),
    /// End of the run: how many requests the deferred batches of a group made, per kind of
    /// query and outcome.
    DeferredCounts {
        group: u16,
        queries: Queries,
        failed: bool,
        count: u64,
    },
    /// End of the run, traced runs only: batched requests of one timeline bucket to one
    /// endpoint, drawn from the rates per bucket (the timeline's counts of batches are not
    /// split from the batches themselves).
    BucketCounts {
        row: u32,
        endpoint: u32,
        failed: bool,
        count: u64,
    },
}

/// What a replication did besides its observations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunEnd {
    pub replication: u32,
    pub seed: u64,
    /// Events the engine processed, warm-up included.
    pub events: u64,
    /// Queries resolvers sent to name servers after the warm-up.
    pub authoritative_queries: u64,
    /// The most events pending at once (for benchmarks).
    pub pending_peak: usize,
}
