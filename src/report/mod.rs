//! What a run reports (docs/model.md §7): the report types (serialised as `report.json` and
//! read back by `fosim plot`) and pure renderers from a `Report` to bytes (JSON, CSV, text,
//! HTML).
//!
//! Renderers never run the model and never touch files; `cli.rs` writes what they return.

pub mod csv;
pub mod html;
pub mod stages;
pub mod summary;
pub mod text;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bumped when a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub schema_version: u32,
    pub fosim_version: String,
    pub name: String,
    pub description: String,
    /// The scenario file as given.
    pub scenario: serde_json::Value,
    pub seed: u64,
    pub runs: u32,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub settings: Settings,
    pub warnings: Vec<String>,
    /// Every figure of every run, summarised across runs, in report order.
    pub summary: Vec<summary::Row>,
    pub run_results: Vec<RunResult>,
    /// Time series and per-client detail of the first run (replication 0).
    #[serde(skip)]
    pub trace: Option<Trace>,
}

/// The settings that matter for reading the results, resolved from the scenario.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Settings {
    pub endpoints: Vec<String>,
    pub health_checks: Vec<CheckSettings>,
    pub name_servers: u32,
    pub propagation_delay: String,
    pub records: Vec<RecordSettings>,
    pub resolver_pools: Vec<PoolSettings>,
    pub client_groups: Vec<GroupSettings>,
    pub timeline_bucket_s: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CheckSettings {
    pub id: String,
    /// None for a calculated check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(rename = "type")]
    pub check_type: String,
    pub request_interval_s: f64,
    pub failure_threshold: u32,
    pub regions: Vec<String>,
    pub checkers: u32,
    pub healthy_fraction: f64,
    /// Checkers that must report healthy for the check to be healthy.
    pub healthy_checkers_min: u32,
    pub inverted: bool,
    pub disabled: bool,
    pub probe_loss_rate: f64,
    /// A calculated check's children and threshold (docs/model.md §3.12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calculated: Option<CalculatedSettings>,
    /// A CloudWatch check's metric and how it is judged (docs/model.md §3.13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudwatch: Option<CloudwatchSettings>,
    /// The check fosim adds for a load balancer (its `endpoint`): its targets and their
    /// health checks (docs/model.md §2.7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<LoadBalancerSettings>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LoadBalancerSettings {
    pub targets: Vec<String>,
    pub interval_s: f64,
    pub timeout_s: f64,
    /// Consecutive successes that put a target back in service.
    pub healthy_threshold: u32,
    /// Consecutive failures that take a target out of service.
    pub unhealthy_threshold: u32,
    /// From a change of the load balancer's health to Route 53.
    pub eth_delay: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CalculatedSettings {
    pub children: Vec<String>,
    /// Healthy iff at least this many children are.
    pub health_threshold: u32,
    pub update_delay: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CloudwatchSettings {
    /// "error_rate", "latency_average" or "latency_p99".
    pub metric: String,
    pub period_s: f64,
    pub threshold: f64,
    /// CloudWatch's operator, e.g. "GreaterThanOrEqualToThreshold".
    pub comparison: String,
    pub evaluation_periods: u32,
    pub data_delay: String,
    /// "healthy", "unhealthy" or "last_known_status".
    pub insufficient_data_health_status: String,
    /// "missing" or "errors".
    pub outage_data: String,
}

impl CloudwatchSettings {
    /// The comparison as a symbol: "≥" for GreaterThanOrEqualToThreshold.
    pub fn comparison_symbol(&self) -> &'static str {
        match self.comparison.as_str() {
            "GreaterThanOrEqualToThreshold" => "≥",
            "GreaterThanThreshold" => ">",
            "LessThanThreshold" => "<",
            "LessThanOrEqualToThreshold" => "≤",
            _ => "?",
        }
    }
}

/// A record set as the report shows it: a failover pair of plain records in the form
/// reports have always had, any other set with its policy and records.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum RecordSettings {
    Pair(PairSettings),
    Set(SetSettings),
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PairSettings {
    pub name: String,
    pub ttl_s: f64,
    pub primary: String,
    pub primary_health_check: Option<String>,
    pub secondary: String,
    pub secondary_health_check: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SetSettings {
    pub name: String,
    /// None when every record is an alias (answers carry their target's TTL).
    pub ttl_s: Option<f64>,
    /// "simple", "failover", "weighted", "latency" or "multivalue".
    pub policy: String,
    pub records: Vec<MemberSettings>,
    /// The endpoints its answers name while every health check is healthy (for any client
    /// region): the ones name servers fail back to.
    pub answers_when_healthy: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct MemberSettings {
    /// Its set identifier ("primary", "secondary"; "value" for a simple record).
    pub id: String,
    /// The addresses it answers (none for an alias).
    pub endpoints: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub evaluate_target_health: bool,
    /// The alias names a load balancer (an endpoint), not a record set.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub load_balancer: bool,
    pub health_check: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl RecordSettings {
    pub fn name(&self) -> &str {
        match self {
            RecordSettings::Pair(p) => &p.name,
            RecordSettings::Set(s) => &s.name,
        }
    }

    /// Whether name servers fail back to the endpoint: it is answered when all is well (a
    /// pair's primary).
    pub fn fails_back_to(&self, endpoint: &str) -> bool {
        match self {
            RecordSettings::Pair(p) => p.primary == endpoint,
            RecordSettings::Set(s) => s.answers_when_healthy.iter().any(|e| e == endpoint),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PoolSettings {
    pub id: String,
    pub count: u32,
    pub cache: bool,
    pub ttl_min_s: f64,
    pub ttl_max_s: f64,
    pub prefetch: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct GroupSettings {
    pub id: String,
    pub count: u32,
    pub record: String,
    pub requests_per_s: f64,
    /// "ttl", "ttl (min 60s)", "fixed 30s", "none", "forever".
    pub dns_cache: String,
    /// "new per request" or "reused, idle 90s, lifetime 10m".
    pub connection: String,
    pub on_failure: String,
    /// Where the clients are, for latency routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Which addresses of an answer they use, when not just the first: "random address",
    /// "next address after 3s".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addresses: Option<String>,
}

/// One replication's figures.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunResult {
    pub replication: u32,
    pub seed: u64,
    pub totals: Totals,
    pub groups: BTreeMap<String, GroupTotals>,
    pub health_checks: BTreeMap<String, CheckTotals>,
    pub episodes: Vec<EpisodeResult>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Totals {
    pub requests: u64,
    pub requests_failed: u64,
    pub requests_misrouted: u64,
    /// Successful requests over all requests (1 when there were none).
    pub availability: f64,
    pub resolver_queries: u64,
    pub authoritative_queries: u64,
    /// Authoritative queries per second of measured time: the cost side of a low TTL.
    pub authoritative_queries_per_s: f64,
    /// Estimated cost of that query rate over a 30-day month, when the scenario gives
    /// `dns.query_price_per_million`.
    pub query_cost_per_month: Option<f64>,
    /// Health checks that went unhealthy while their endpoint had no request-affecting fault.
    pub false_failovers: u64,
    /// False failovers per day of measured time.
    pub false_failovers_per_day: f64,
    /// Mean over name servers of the time spent answering away from a primary because of a
    /// false failover, summed over records.
    pub false_failover_s: f64,
    /// Events the engine processed, warm-up included.
    pub events: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct GroupTotals {
    pub requests: u64,
    pub requests_failed: u64,
    pub requests_misrouted: u64,
    pub availability: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct CheckTotals {
    pub probes: u64,
    pub probes_failed: u64,
    pub went_unhealthy: u64,
    pub false_failovers: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EpisodeResult {
    pub endpoint: String,
    pub kind: String,
    /// JSON Pointer of the fault in the scenario, and which occurrence of it.
    pub fault: String,
    pub occurrence: u32,
    pub start_s: f64,
    pub end_s: f64,
    pub health_check: Option<String>,
    pub detection_s: Option<f64>,
    pub dns_switch_first_s: Option<f64>,
    pub dns_switch_last_s: Option<f64>,
    pub client_failover_s: FailoverStats,
    pub clients_active: u64,
    pub clients_stranded: u64,
    pub requests_misrouted: u64,
    pub requests_failed: u64,
    pub recovery_detection_s: Option<f64>,
    pub dns_failback_last_s: Option<f64>,
    pub groups: BTreeMap<String, EpisodeGroup>,
    /// Time lost by requests that passed the endpoint on their way to another address of
    /// their answer (present when some client group tries the next address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_delay_s: Option<DelayStats>,
    /// DNS switch and failback per record set that clients ask and whose answers can send
    /// requests to the endpoint (present when more than one can).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub record_sets: BTreeMap<String, RecordSetTimes>,
    /// After the end: the clients that had failed over, back on the endpoint or not, over
    /// the groups whose answer names the endpoint while all is well (docs/model.md §7.2.8).
    /// Absent when the episode lasts to the end of the run, or no group has it to come back to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failback: Option<Failback>,
}

/// Time lost by requests that reached another address after failing to connect to this
/// one: how many, their mean and their 99th percentile (nearest rank).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct DelayStats {
    pub requests: u64,
    pub mean: Option<f64>,
    pub p99: Option<f64>,
}

/// An episode's DNS figures for one record set (seconds from the start, or from the end
/// for the failback).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct RecordSetTimes {
    pub dns_switch_first_s: Option<f64>,
    pub dns_switch_last_s: Option<f64>,
    pub dns_failback_last_s: Option<f64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct EpisodeGroup {
    pub client_failover_s: FailoverStats,
    pub clients_active: u64,
    pub clients_stranded: u64,
    pub requests_misrouted: u64,
    pub requests_failed: u64,
    /// Where the failover time of the clients that failed over went (absent when none did).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<FailoverStages>,
    /// After the end, for this group's clients (docs/model.md §7.2.8). Absent when the
    /// episode lasts to the end of the run, or the group's answer does not name the endpoint
    /// while all is well.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failback: Option<Failback>,
}

/// Where clients' failover time went (docs/model.md §7.2.7): each client's time from the
/// episode's start to its first request to a healthy endpoint, split into consecutive
/// stages; per stage the mean, median and 99th percentile (nearest rank) over the clients
/// that failed over. The stages' means add up to the failover time's mean.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct FailoverStages {
    /// Until the health check reported the endpoint unhealthy.
    pub detection: StageStats,
    /// From then until the first name server stopped answering it to the group's question.
    pub name_servers: StageStats,
    /// Then, the client's resolver still serving an answer naming it that it had cached
    /// before the fault began…
    pub resolver_cached: StageStats,
    /// …or had fetched after the fault began (refilled with the faulty endpoint, often
    /// before detection).
    pub resolver_refilled: StageStats,
    /// Then, the client's own DNS cache still holding such an answer.
    pub own_cache: StageStats,
    /// Then, its pooled connection to the endpoint still open.
    pub connection: StageStats,
    /// Then, until its next request, every layer pointing elsewhere.
    pub next_request: StageStats,
}

impl FailoverStages {
    /// Every stage in order: its field name, its label and the stage.
    pub fn each(&self) -> [(&'static str, &'static str, &StageStats); 7] {
        [
            ("detection", "detection", &self.detection),
            ("name_servers", "name servers", &self.name_servers),
            ("resolver_cached", "resolver cache (cached before)", &self.resolver_cached),
            ("resolver_refilled", "resolver cache (refilled after)", &self.resolver_refilled),
            ("own_cache", "own DNS cache", &self.own_cache),
            ("connection", "open connection", &self.connection),
            ("next_request", "next request", &self.next_request),
        ]
    }

    /// Field names of the stages, in order.
    pub const NAMES: [&'static str; 7] = [
        "detection",
        "name_servers",
        "resolver_cached",
        "resolver_refilled",
        "own_cache",
        "connection",
        "next_request",
    ];
}

/// One stage of the failover time over the clients that failed over, in seconds.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct StageStats {
    pub mean_s: f64,
    pub p50_s: f64,
    pub p99_s: f64,
}

/// After an episode ends: how soon the clients that had failed over during it were back on
/// its endpoint, how many never were, and what their requests cost elsewhere meanwhile
/// (docs/model.md §7.2.8). A client is back at its first request to the endpoint at or after
/// the end; its window closes at the end of the run or when another fault of the endpoint
/// starts, whichever comes first.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Failback {
    /// Clients that had failed over during the episode (`client_failover_s.count`).
    pub clients_failed_over: u64,
    /// Seconds from the end to each of them being back: `count` are back, `mean` is over
    /// them; percentiles rank the clients not back last (null when one falls on them).
    pub back_s: FailoverStats,
    /// Failed over and not back by the end of the run.
    pub clients_away_at_end: u64,
    /// Failed over and not back when the next fault of the endpoint started.
    pub clients_away_at_next_fault: u64,
    /// Requests they sent to other endpoints after the end, until back (or until their
    /// window closed): an expectation, each client's time away × its group's
    /// `requests_per_s`, the same in exact and aggregated mode (aggregated requests are not
    /// counted one by one once no episode follows a client).
    pub requests_elsewhere_expected: f64,
}

/// Time from the episode's start to each active client's first request that reached an
/// endpoint not under fault. Percentiles rank stranded clients last (as never): a
/// percentile that falls on one is null, and so is `max` when any client was stranded.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct FailoverStats {
    /// Active clients that failed over.
    pub count: u64,
    /// Mean over the clients that failed over.
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

/// Time series and per-client detail of one run, for CSVs and plots.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trace {
    pub timeline: Vec<TimelineRow>,
    pub clients: Vec<ClientRow>,
    /// (time s, health check, healthy) of every reported status change.
    pub check_changes: Vec<(f64, String, bool)>,
    /// (time s, health check, region, checker index within region, healthy).
    pub checker_flips: Vec<(f64, String, String, u32, bool)>,
    /// CloudWatch checks' datapoints whose period ends after the warm-up, in arrival order.
    pub datapoints: Vec<DatapointRow>,
    /// `clients` holds the active clients of every run, in run order (always so for a single
    /// run); otherwise only run 1's (`csv::pools_every_run` says when).
    pub clients_pooled: bool,
}

/// A CloudWatch check's datapoint as it reached Route 53 (docs/model.md §3.13).
#[derive(Clone, Debug, PartialEq)]
pub struct DatapointRow {
    pub health_check: String,
    pub period_start_s: f64,
    pub period_end_s: f64,
    pub arrived_s: f64,
    /// None: the period had no data.
    pub value: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimelineRow {
    pub start_s: f64,
    /// Per endpoint, in `settings.endpoints` order.
    pub requests: Vec<u64>,
    pub requests_failed: Vec<u64>,
    /// Share of clients whose latest request went to each endpoint, at the bucket's end.
    pub clients_share: Vec<f64>,
    /// Share of (name server, record) answers naming each endpoint, at the bucket's end.
    pub name_servers_share: Vec<f64>,
    /// Per health check: reported status and share of checkers healthy, at the bucket's end.
    pub check_healthy: Vec<bool>,
    pub checkers_healthy_share: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClientRow {
    pub episode: u32,
    pub group: String,
    /// Index of the client within its group.
    pub client: u32,
    /// None: stranded.
    pub failover_s: Option<f64>,
    pub requests_misrouted: u32,
    /// The replication (0 for run 1).
    pub run: u32,
}

/// `report.json`: pretty JSON with a trailing newline.
pub fn json(report: &Report) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(report).expect("a report serialises");
    bytes.push(b'\n');
    bytes
}
