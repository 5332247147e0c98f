//! The scenario file: its serde types, loading, and validation into a `Config`.
//!
//! The types mirror the model of docs/model.md field for field; their doc comments become
//! the JSON Schema. Nothing here runs the model.

pub mod config;
pub mod presets;
pub mod records;
mod validator;
pub mod values;

pub use config::Config;
pub use values::{Dist, Duration};

use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A fosim scenario: endpoints and their faults, health checks, DNS records, resolvers and
/// clients. See docs/model.md.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The JSON Schema this file follows (ignored by fosim; lets editors check the file).
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// Short name; output goes to `out/<name>/`.
    pub name: String,
    /// What this scenario teaches or checks.
    #[serde(default)]
    pub description: String,
    /// Seed of every random stream (overridable with `--seed`).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated time after the steady-state warm-up.
    pub duration: Duration,
    /// How long the model runs before time 0 to settle caches into their steady state
    /// (default: twice the longest cache or connection lifetime, at most 1 h).
    #[serde(default)]
    pub warmup: Option<Duration>,
    /// Width of a `timeline.csv` row (default: about 720 rows over the run).
    #[serde(default)]
    pub timeline_bucket: Option<Duration>,
    /// Servers the clients reach and the health checks probe, by id.
    pub endpoints: BTreeMap<String, Endpoint>,
    /// Route 53 health checks, by id.
    #[serde(default)]
    pub health_checks: BTreeMap<String, HealthCheck>,
    /// Authoritative name servers and records.
    pub dns: Dns,
    /// Pools of recursive resolvers, by id.
    #[serde(default)]
    pub resolvers: BTreeMap<String, ResolverPool>,
    /// Groups of clients that behave alike, by id.
    #[serde(default)]
    pub clients: BTreeMap<String, ClientGroup>,
    /// Where an imported scenario came from (`fosim import`): the format, the files and
    /// each health check's and record's id there, for `--export`. Not used by the model.
    #[serde(default)]
    pub origin: Option<serde_json::Value>,
}

fn default_seed() -> u64 {
    1
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Time to answer a probe or a request when healthy (default "50ms").
    #[serde(default)]
    pub response_time: Option<Dist>,
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// This endpoint is a load balancer (an ELB/ALB/NLB) in front of other endpoints, its
    /// targets: it forwards each request to a target it sees in service. A record's `alias`
    /// may name it. It has no faults of its own: put them on its targets.
    #[serde(default)]
    pub load_balancer: Option<LoadBalancer>,
}

/// A load balancer's targets and its target health checks (docs/model.md §2.7); the
/// defaults are an Application Load Balancer target group's.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancer {
    /// The endpoints it forwards requests to (not load balancers themselves).
    pub targets: Vec<String>,
    /// Time between two health checks of one target (5 s to 300 s; default "30s").
    #[serde(default)]
    pub interval: Option<Duration>,
    /// A health check without an answer within this fails (2 s to 120 s, less than the
    /// interval; default "5s").
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// Consecutive successful health checks that put a target back in service (2–10;
    /// default 5).
    #[serde(default)]
    pub healthy_threshold: Option<i64>,
    /// Consecutive failed health checks that take a target out of service (2–10; default 2).
    #[serde(default)]
    pub unhealthy_threshold: Option<i64>,
    /// How long a change of the load balancer's health (some target in service, or none)
    /// takes to reach Route 53's evaluation of target health, drawn per change (default
    /// "0s"; unpublished by AWS).
    #[serde(default)]
    pub eth_delay: Option<Dist>,
}

/// A fault on an endpoint. Which fields apply depends on `kind`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub kind: FaultKind,
    /// When the (first occurrence of the) fault starts.
    pub start: Duration,
    /// How long each occurrence lasts (default: until the end of the run).
    #[serde(default)]
    pub duration: Option<Dist>,
    /// Recur: gap from the end of one occurrence to the start of the next.
    #[serde(default)]
    pub every: Option<Dist>,
    /// outage and flap: "timeout" (black hole, default) or "refuse".
    #[serde(default)]
    pub mode: Option<FailMode>,
    /// flap: how long each down phase lasts.
    #[serde(default)]
    pub down: Option<Dist>,
    /// flap: how long each up phase lasts.
    #[serde(default)]
    pub up: Option<Dist>,
    /// degraded: probability that a request fails.
    #[serde(default)]
    pub request_error_rate: Option<f64>,
    /// degraded: probability that a probe fails (default 0: the health check does not see it).
    #[serde(default)]
    pub probe_error_rate: Option<f64>,
    /// degraded: response time while degraded.
    #[serde(default)]
    pub response_time: Option<Dist>,
    /// probe_loss: checker regions whose probes are lost (default all).
    #[serde(default)]
    pub regions: Option<Vec<String>>,
    /// probe_loss: probability that a probe is lost (default 1.0, a partition).
    #[serde(default)]
    pub rate: Option<f64>,
}

#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    Outage,
    Flap,
    Degraded,
    ProbeLoss,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FailMode {
    /// A black hole: connections time out.
    #[default]
    Timeout,
    /// Connections are refused after the response time.
    Refuse,
}

/// A health check: who probes an endpoint (regions × checkers per region), when
/// (`schedule`), what one probe sees (`type`, `timeout`), when one checker flips
/// (`failure_threshold`, `recovery_threshold`) and how the checkers' views combine
/// (`quorum`). Route 53's settings are the defaults; `preset` fills every field with
/// another system's documented defaults (fields given alongside override it). Two types
/// send no probes: "calculated" (the status of other checks: `children`,
/// `health_threshold`) and "cloudwatch_metric" (an endpoint's metric: `metric`,
/// `threshold`, `period`, …); fields that do not apply to a type are errors.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    /// The endpoint probed (or, for "cloudwatch_metric", whose metric is watched); a
    /// "calculated" check has none.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The system whose defaults fill the other fields: "route53" (default) or
    /// "powerdns_lua" (PowerDNS Authoritative 4.7 `ifurlup`); see docs/model.md §3.10.
    #[serde(default)]
    pub preset: Option<String>,
    /// Probe type (default "http").
    #[serde(rename = "type", default)]
    pub check_type: Option<CheckType>,
    /// after_response (default): the next probe `request_interval` after the previous
    /// response or timeout; fixed_rate: a timer every `request_interval`.
    #[serde(default)]
    pub schedule: Option<Schedule>,
    /// Time from one probe's response or timeout to the next probe, or between timer ticks
    /// with `fixed_rate` (default "30s").
    #[serde(default)]
    pub request_interval: Option<Duration>,
    /// fixed_rate only: what happens when a probe is still running at the next tick:
    /// "delay" (the next probe starts when it ends; default) or "skip" (the next tick after
    /// it ends).
    #[serde(default)]
    pub on_overrun: Option<Overrun>,
    /// Added to every wait between probes (default none).
    #[serde(default)]
    pub jitter: Option<Dist>,
    /// When each checker sends its first probe, from the start of the run (default:
    /// uniform over the first interval).
    #[serde(default)]
    pub phase: Option<Dist>,
    /// Consecutive failed probes that turn a healthy checker unhealthy (default 3).
    #[serde(default)]
    pub failure_threshold: Option<i64>,
    /// Consecutive successful probes that turn an unhealthy checker healthy (default: the
    /// failure threshold, as Route 53).
    #[serde(default)]
    pub recovery_threshold: Option<i64>,
    /// A probe fails when no complete response arrives within this (connect included),
    /// replacing the type's own limits (Route 53: connect 4 s, then 2 s for the status).
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// Checker regions (default the eight Route 53 regions).
    #[serde(default)]
    pub regions: Option<Vec<String>>,
    /// Checkers in each region (default 2).
    #[serde(default)]
    pub checkers_per_region: Option<i64>,
    /// How the checkers' views combine into the check's status (default "fraction_above").
    #[serde(default)]
    pub quorum: Option<Quorum>,
    /// With quorum "fraction_above": healthy iff the fraction of healthy checkers is
    /// strictly greater than this (default 0.18).
    #[serde(default)]
    pub healthy_fraction: Option<f64>,
    #[serde(default)]
    pub inverted: bool,
    /// A disabled health check is always healthy.
    #[serde(default)]
    pub disabled: bool,
    /// Independent loss of single probes for the whole run (default 0).
    #[serde(default)]
    pub probe_loss_rate: Option<f64>,
    /// A check no name server has consulted for this long is dropped; the next name server
    /// that consults it registers it anew, unhealthy until its first probe succeeds (PowerDNS:
    /// `lua-health-checks-expire-delay`, 3600 s; default: never, as Route 53).
    #[serde(default)]
    pub expire_unused_after: Option<Duration>,
    /// calculated: the health checks whose statuses this one combines (not calculated
    /// ones; at most 256).
    #[serde(default)]
    pub children: Option<Vec<String>>,
    /// calculated: healthy iff at least this many children are healthy (0–256; 0: always
    /// healthy; more than the children: always unhealthy). A disabled child counts as
    /// healthy.
    #[serde(default)]
    pub health_threshold: Option<i64>,
    /// calculated: how long a child's status change takes to reach this check, drawn per
    /// change (default "0s"; unpublished by Route 53).
    #[serde(default)]
    pub update_delay: Option<Dist>,
    /// cloudwatch_metric: the endpoint's metric whose data stream sets the status.
    #[serde(default)]
    pub metric: Option<Metric>,
    /// cloudwatch_metric: the length of one datapoint's period (default "60s").
    #[serde(default)]
    pub period: Option<Duration>,
    /// cloudwatch_metric: the value each datapoint is compared with (a share for
    /// error_rate, seconds for the latencies).
    #[serde(default)]
    pub threshold: Option<f64>,
    /// cloudwatch_metric: when a datapoint breaches (default
    /// "GreaterThanOrEqualToThreshold").
    #[serde(default)]
    pub comparison: Option<Comparison>,
    /// cloudwatch_metric: consecutive breaching datapoints that make the check unhealthy
    /// (default 1).
    #[serde(default)]
    pub evaluation_periods: Option<i64>,
    /// cloudwatch_metric: how long after its period ends a datapoint reaches Route 53,
    /// drawn per period (default "0s"; unpublished by AWS).
    #[serde(default)]
    pub data_delay: Option<Dist>,
    /// cloudwatch_metric: the status while the latest period has no data (default
    /// "last_known_status").
    #[serde(default)]
    pub insufficient_data_health_status: Option<InsufficientData>,
    /// cloudwatch_metric: what the metric shows while the endpoint is down: "missing"
    /// (default: nothing is published, like a crashed host) or "errors" (every request
    /// fails, like a load balancer in front of it).
    #[serde(default)]
    pub outage_data: Option<OutageData>,
}

/// A CloudWatch check's metric, computed per period from the endpoint's state
/// (docs/model.md §3.13).
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// The share of requests that fail: the time-average of their failure probability.
    ErrorRate,
    /// The mean response time of answered requests, in seconds.
    LatencyAverage,
    /// The 99th percentile of the response time of answered requests, in seconds (an
    /// extended statistic, which Route 53 does not accept).
    LatencyP99,
}

/// CloudWatch's comparison operators: when a datapoint breaches the threshold.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
pub enum Comparison {
    #[default]
    GreaterThanOrEqualToThreshold,
    GreaterThanThreshold,
    LessThanThreshold,
    LessThanOrEqualToThreshold,
}

/// A CloudWatch check's status while its metric has no data (Route 53's
/// `InsufficientDataHealthStatus`).
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum InsufficientData {
    Healthy,
    Unhealthy,
    /// The status the data last gave (healthy for a check that has had none).
    #[default]
    LastKnownStatus,
}

/// What a CloudWatch metric shows while its endpoint is down.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OutageData {
    /// Nothing: a host that is down publishes no metric (a period down throughout has no
    /// datapoint).
    #[default]
    Missing,
    /// Every request fails: a load balancer in front of the endpoint reports errors.
    Errors,
}

/// When probes are sent.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// The next probe `request_interval` after the previous probe's response or timeout
    /// (Route 53).
    #[default]
    AfterResponse,
    /// A timer every `request_interval`, whatever the probe is doing.
    FixedRate,
}

/// With a fixed-rate schedule, what happens to a tick while a probe is still running.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Overrun {
    /// The next probe starts as soon as the running one ends (PowerDNS).
    #[default]
    Delay,
    /// Ticks during the running probe are skipped; the next probe waits for the next tick.
    Skip,
}

/// How the checkers' views combine: the rule for the check to be **healthy**.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Quorum {
    /// Healthy iff the share of healthy checkers is strictly greater than
    /// `healthy_fraction` (Route 53: 18 %).
    FractionAbove,
    /// Healthy iff more than half of the checkers are.
    Majority,
    /// Healthy iff every checker is: one unhealthy checker turns the check unhealthy.
    All,
    /// Healthy iff at least one checker is.
    Any,
    /// Healthy iff at least this many checkers are.
    AtLeast(i64),
    /// Healthy iff a majority of the regions each have a majority of healthy checkers.
    MajorityOfMajorities,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CheckType {
    #[default]
    Http,
    Https,
    HttpStrMatch,
    HttpsStrMatch,
    Tcp,
    /// The status of other health checks (`children`, `health_threshold`); no probes.
    Calculated,
    /// An endpoint's metric (`metric`, `threshold`, `period`, …); no probes.
    CloudwatchMetric,
    /// A load balancer's view of its targets (docs/model.md §2.7): the check fosim makes for
    /// each endpoint with a `load_balancer`; never written in a file.
    #[serde(skip)]
    LoadBalancer,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dns {
    /// Authoritative name servers (default 4).
    #[serde(default)]
    pub name_servers: Option<i64>,
    /// Delay for a health status change to reach each name server (default "0s").
    #[serde(default)]
    pub propagation_delay: Option<Dist>,
    /// How long a name server keeps serving an answer it computed (its packet cache; default
    /// "0s": none). After a change of health the old answer is served until the cache entry
    /// holding it expires.
    #[serde(default)]
    pub answer_cache: Option<Dist>,
    pub records: BTreeMap<String, Record>,
    /// Latency routing: for a client region, the record regions in order of latency (default:
    /// the client's own region first, then the others in the order of `regions` of the
    /// scenario's latency records, sorted).
    #[serde(default)]
    pub latency_order: Option<BTreeMap<String, Vec<String>>>,
    /// Price of a million authoritative queries (Route 53 standard queries: 0.40 USD), to
    /// estimate the monthly cost of the query volume the resolvers send.
    #[serde(default)]
    pub query_price_per_million: Option<f64>,
}

/// A record set: every record of one name, answered by one routing policy — exactly one
/// of `failover`, `simple`, `weighted`, `latency` and `multivalue` (docs/model.md §4.3).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// TTL of the answers made of this set's own addresses; an alias answers with its
    /// target's TTL, so a set of aliases only needs none.
    #[serde(default)]
    pub ttl: Option<Duration>,
    /// Failover routing: the primary while it is healthy, else the secondary.
    #[serde(default)]
    pub failover: Option<Failover>,
    /// One record (its value may be several addresses), always answered.
    #[serde(default)]
    pub simple: Option<Target>,
    /// Weighted routing, by set identifier: healthy records in proportion to `weight`.
    #[serde(default)]
    pub weighted: Option<BTreeMap<String, Target>>,
    /// Latency routing, by set identifier: the first healthy record in the client's latency
    /// order of `region`s.
    #[serde(default)]
    pub latency: Option<BTreeMap<String, Target>>,
    /// Multivalue answers, by set identifier: up to eight healthy records, in random order.
    #[serde(default)]
    pub multivalue: Option<BTreeMap<String, Target>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Failover {
    pub primary: Target,
    pub secondary: Target,
    /// What a name server answers when both the primary and the secondary are unhealthy:
    /// "primary" (Route 53, default) or "random" (PowerDNS ifurlup: each query gets one of
    /// the two at random).
    #[serde(default)]
    pub when_all_unhealthy: Option<AllUnhealthy>,
}

/// A failover record's answer when both targets are unhealthy.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AllUnhealthy {
    /// The primary (Route 53).
    #[default]
    Primary,
    /// One of the two at random, query by query (PowerDNS ifurlup's default backupSelector).
    Random,
}

/// One record of a set: its value is an endpoint, several endpoints (several addresses), or
/// an alias to another record set or to a load balancer.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The endpoint this record answers.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Several endpoints: an answer with several addresses, in this order.
    #[serde(default)]
    pub endpoints: Option<Vec<String>>,
    /// An alias to another record set of the scenario, or to an endpoint that is a load
    /// balancer, by name.
    #[serde(default)]
    pub alias: Option<String>,
    /// With `alias`: the record is healthy only while its target set is (at least one of its
    /// records healthy) or, for a load balancer, while it has a target in service; a parent
    /// backs out of an unhealthy target (default false: the alias is always healthy).
    #[serde(default)]
    pub evaluate_target_health: Option<bool>,
    #[serde(default)]
    pub health_check: Option<String>,
    /// weighted: 0 to 255; a zero-weight record is answered only when no record of positive
    /// weight is healthy.
    #[serde(default)]
    pub weight: Option<i64>,
    /// latency: the region the record serves from.
    #[serde(default)]
    pub region: Option<String>,
}

/// A pool of recursive resolvers, each with its own cache.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolverPool {
    pub count: i64,
    /// Raise shorter TTLs to this (default 0).
    #[serde(default)]
    pub ttl_min: Option<Duration>,
    /// Cap longer TTLs at this (default "1d").
    #[serde(default)]
    pub ttl_max: Option<Duration>,
    /// Unbound-style prefetch: a hit in the last 10 % of the TTL refreshes the entry.
    #[serde(default)]
    pub prefetch: bool,
    /// false: a forwarder without a cache (default true).
    #[serde(default)]
    pub cache: Option<bool>,
    /// How the cache keeps time: "exact" (default) or "whole_seconds" (Unbound: an answer
    /// fetched at t is served through the second floor(t) + TTL, handing out the TTL left in
    /// whole seconds, 0 in that last second).
    #[serde(default)]
    pub clock: Option<ResolverClock>,
}

/// How a resolver's cache keeps time.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ResolverClock {
    /// To the microsecond: an answer fetched at t expires at t + TTL.
    #[default]
    Exact,
    /// In whole seconds of the clock, as Unbound: an answer fetched at t is served through
    /// the second floor(t) + TTL and handed out with the whole seconds left (0 in its last
    /// second).
    WholeSeconds,
}

/// Clients that behave alike.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientGroup {
    pub count: i64,
    /// The DNS record they resolve.
    pub record: String,
    /// Where the clients are, for latency routing (their resolvers ask on their behalf).
    #[serde(default)]
    pub region: Option<String>,
    /// Which address of a several-address answer a request goes to: "first" (default) or
    /// "random".
    #[serde(default)]
    pub address_choice: Option<AddressChoice>,
    /// When a connection cannot be made: "fail" (default) or "next_address" (try the next
    /// address of the answer: at once after a refusal, after `connect_timeout` when nothing
    /// answers).
    #[serde(default)]
    pub on_connect_failure: Option<ConnectFailure>,
    /// How long a client waits for a connection to a black hole before trying the next
    /// address (default "3s").
    #[serde(default)]
    pub connect_timeout: Option<Duration>,
    /// Resolver pool → weight (may be omitted when there is one pool).
    #[serde(default)]
    pub resolvers: Option<BTreeMap<String, f64>>,
    /// Poisson request rate of each client.
    pub requests_per_s: f64,
    #[serde(default)]
    pub dns_cache: DnsCache,
    #[serde(default)]
    pub connection: Connection,
    #[serde(default)]
    pub on_failure: OnFailure,
}

/// Which address of an answer a request goes to.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AddressChoice {
    /// The first address (most clients).
    #[default]
    First,
    /// One at random, request by request.
    Random,
}

/// What a client does when it cannot connect.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ConnectFailure {
    /// The request fails.
    #[default]
    Fail,
    /// The next address of the answer is tried, as browsers and most HTTP clients do.
    NextAddress,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DnsCache {
    #[serde(default)]
    pub mode: CacheMode,
    /// mode "fixed": how long an answer is kept, whatever its TTL.
    #[serde(default)]
    pub ttl: Option<Duration>,
    /// mode "ttl": raise shorter TTLs to this (Chromium: "60s").
    #[serde(default)]
    pub ttl_min: Option<Duration>,
    /// mode "ttl": cap longer TTLs at this.
    #[serde(default)]
    pub ttl_max: Option<Duration>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CacheMode {
    /// Honour the TTL it was given (clamped by ttl_min/ttl_max).
    #[default]
    Ttl,
    /// Ignore the TTL; keep each answer for `ttl` (the JVM's 30 s).
    Fixed,
    /// Resolve before every request.
    None,
    /// Keep the first answer for ever (a JVM with a security manager).
    Forever,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// Keep a connection open and send requests on it, ignoring DNS.
    #[serde(default)]
    pub reuse: bool,
    /// Close after this long without a request (default "90s").
    #[serde(default)]
    pub idle_timeout: Option<Duration>,
    /// Close once older than this (default: never).
    #[serde(default)]
    pub max_lifetime: Option<Duration>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// A failed request closes the connection and changes nothing else.
    #[default]
    Keep,
    /// A failed request also drops the cached answer.
    Reresolve,
}

/// The JSON Schema of the scenario file, generated from the types above.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Scenario)).expect("a schema serializes")
}
