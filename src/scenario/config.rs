//! Validation: turns a parsed `Scenario` into a `Config`, the model's input.
//!
//! A `Config` holds only checked values: ids resolved to indices, durations in
//! microseconds, defaults filled in, Route 53 warnings collected. Every user error is found
//! here (or while loading), so the model can assert instead of handling bad input.

use super::presets::{self, Preset};
use super::validator::{Check, Validator};
use super::values::{Dist, Probability};
use super::{CacheMode, CheckType, FailMode, FaultKind, Overrun, Quorum, Scenario, Schedule};
use crate::input::{self, InputError, Warning, did_you_mean, pointer};
use crate::time::{self, SimDuration, US_PER_H, US_PER_MS, US_PER_S};
use std::collections::HashMap;
use std::path::Path;

pub use super::presets::ROUTE53_REGIONS;
pub use super::validator::REGIONS_MAX;
pub use kinds::{CalculatedConfig, CheckKind, CloudwatchConfig, type_name};
pub use load_balancers::{LoadBalancerConfig, TARGETS_MAX, check_id as load_balancer_check_id};

mod kinds;
mod load_balancers;

/// Longest simulated run.
pub const RUN_US_MAX: SimDuration = 400 * time::US_PER_DAY;
/// Longest automatic warm-up; an explicit `warmup` may be longer.
pub const WARMUP_US_AUTO_MAX: SimDuration = US_PER_H;
/// Client, resolver and checker ids are `u32`.
pub const COMPONENTS_MAX: u64 = u32::MAX as u64 - 1;
/// Route 53 gives a hosted zone 4; the cap keeps per-name-server state small.
pub const NAME_SERVERS_MAX: i64 = 1_000;
pub const TIMELINE_ROWS_MAX: u64 = 200_000;
/// Client groups are numbered with `u16` (checker regions too: `REGIONS_MAX`).
pub const GROUPS_MAX: usize = u16::MAX as usize;
/// Longest description and id, in characters: each is copied into several outputs.
pub const DESCRIPTION_MAX: usize = 20_000;
pub const ID_MAX: usize = 1_000;
/// Most occurrences one recurring fault (or one flap's down phases) may expand into, by
/// their expected count, checked on the file.
pub const OCCURRENCES_MAX: u64 = 100_000;
/// Random durations may draw more than the expected count; a run refuses only a draw
/// beyond this, so a file `validate` accepts runs.
pub const OCCURRENCES_DRAWN_MAX: u64 = 4 * OCCURRENCES_MAX;

#[derive(Clone, Debug)]
pub struct Config {
    pub name: String,
    pub description: String,
    pub seed: u64,
    /// Measured time, after the warm-up.
    pub duration_us: SimDuration,
    /// Engine time before measurement starts; engine time `warmup_us` is scenario time 0.
    pub warmup_us: SimDuration,
    pub timeline_bucket_us: SimDuration,
    /// Every region named by a health check or a fault, indexed by `u16`.
    pub regions: Vec<String>,
    pub endpoints: Vec<EndpointConfig>,
    pub health_checks: Vec<HealthCheckConfig>,
    pub name_server_count: u32,
    pub propagation_delay: Dist,
    /// Lifetime of a name server's cached answer; None: no cache.
    pub answer_cache: Option<Dist>,
    pub query_price_per_million: Option<f64>,
    pub records: Vec<RecordConfig>,
    /// Every region named by a latency record or a client group, indexed by `u16`.
    pub latency_regions: Vec<String>,
    /// For each client region, the record regions in order of latency.
    pub latency_orders: Vec<Vec<u16>>,
    /// What name servers are asked: each record set once, or once per client region when
    /// its answers depend on the region (latency routing in its tree).
    pub questions: Vec<Question>,
    pub pools: Vec<PoolConfig>,
    pub groups: Vec<GroupConfig>,
    pub warnings: Vec<Warning>,
}

#[derive(Clone, Debug)]
pub struct EndpointConfig {
    pub id: String,
    pub response_time: Dist,
    pub faults: Vec<FaultConfig>,
    /// Its targets and their health checks, when it is a load balancer (docs/model.md §2.7).
    pub load_balancer: Option<LoadBalancerConfig>,
}

#[derive(Clone, Debug)]
pub struct FaultConfig {
    /// JSON Pointer of the fault, which names it in output.
    pub pointer: String,
    pub kind: FaultKind,
    pub start_us: SimDuration,
    /// None: until the end of the run.
    pub duration: Option<Dist>,
    pub every: Option<Dist>,
    pub mode: FailMode,
    pub flap_down: Dist,
    pub flap_up: Dist,
    pub request_error: Probability,
    pub probe_error: Probability,
    pub degraded_response_time: Option<Dist>,
    /// None: every region.
    pub loss_regions: Option<Vec<u16>>,
    pub loss_rate: Probability,
}

impl FaultConfig {
    /// Outages, flaps and gray failures affect requests and make episodes; probe loss does not.
    pub fn affects_requests(&self) -> bool {
        self.kind != FaultKind::ProbeLoss
    }
}

#[derive(Clone, Debug)]
pub struct HealthCheckConfig {
    pub id: String,
    /// The endpoint probed or watched; None for a calculated check.
    pub endpoint: Option<u32>,
    /// The preset whose defaults filled the fields not given.
    pub preset: &'static Preset,
    pub check_type: CheckType,
    pub schedule: Schedule,
    pub interval_us: SimDuration,
    pub on_overrun: Overrun,
    pub jitter: Option<Dist>,
    /// None: uniform over the first interval.
    pub phase: Option<Dist>,
    pub failure_threshold: u32,
    pub recovery_threshold: u32,
    /// None: the type's own limits.
    pub timeout_us: Option<SimDuration>,
    /// A check no name server consults for this long is dropped (None: never).
    pub expire_unused_us: Option<SimDuration>,
    pub regions: Vec<u16>,
    pub checkers_per_region: u32,
    pub quorum: Quorum,
    pub healthy_fraction: f64,
    /// With a quorum that counts checkers: healthy iff at least this many report healthy
    /// (for "fraction_above", the strict "> fraction" rule).
    pub healthy_count_min: u32,
    pub inverted: bool,
    pub disabled: bool,
    pub probe_loss: Probability,
    /// Probing, calculated or CloudWatch (docs/model.md §3.12–§3.13).
    pub kind: CheckKind,
}

impl HealthCheckConfig {
    pub fn checker_count(&self) -> u32 {
        if self.disabled { 0 } else { self.regions.len() as u32 * self.checkers_per_region }
    }

    /// How long a probe waits to connect: the check's `timeout`, else Route 53's limits —
    /// http(s) must connect within 4 s, tcp within 10 s.
    pub fn connect_timeout_us(&self) -> SimDuration {
        match (self.timeout_us, self.check_type) {
            (Some(t), _) => t,
            (None, CheckType::Tcp) => 10 * US_PER_S,
            (None, _) => 4 * US_PER_S,
        }
    }

    /// How long a connected probe waits for its answer: the check's `timeout`, else Route
    /// 53's limits — a status within 2 s of connecting; string matching gets 2 s more for
    /// the body. None for tcp, which succeeds once connected.
    pub fn response_limit_us(&self) -> Option<SimDuration> {
        match (self.check_type, self.timeout_us) {
            (CheckType::Tcp, _) => None,
            (_, Some(t)) => Some(t),
            (CheckType::Http | CheckType::Https, None) => Some(2 * US_PER_S),
            (CheckType::HttpStrMatch | CheckType::HttpsStrMatch, None) => Some(4 * US_PER_S),
            (CheckType::Calculated | CheckType::CloudwatchMetric | CheckType::LoadBalancer, None) => None,
        }
    }

    /// The longest a probe can be outstanding: results caused by a fault arrive at most
    /// this long after it ends.
    pub fn probe_duration_us_max(&self) -> SimDuration {
        self.connect_timeout_us().max(self.response_limit_us().unwrap_or(0))
    }
}

pub use super::records::{LOAD_BALANCER_TTL_US, MemberConfig, MemberValue, Policy, Question, RecordConfig, Tree};

#[derive(Clone, Debug)]
pub struct PoolConfig {
    pub id: String,
    pub count: u32,
    pub ttl_min_us: SimDuration,
    pub ttl_max_us: SimDuration,
    pub prefetch: bool,
    pub cache: bool,
    /// Entries expire on whole seconds of the clock (Unbound), not to the microsecond.
    pub whole_seconds: bool,
}

impl PoolConfig {
    /// How long this pool keeps an answer with the given TTL.
    pub fn clamp_ttl(&self, ttl_us: SimDuration) -> SimDuration {
        ttl_us.max(self.ttl_min_us).min(self.ttl_max_us)
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ClientCache {
    Ttl { min_us: SimDuration, max_us: SimDuration },
    Fixed { ttl_us: SimDuration },
    None,
    Forever,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConnectionConfig {
    pub idle_timeout_us: SimDuration,
    pub max_lifetime_us: Option<SimDuration>,
}

#[derive(Clone, Debug)]
pub struct GroupConfig {
    pub id: String,
    pub count: u32,
    pub record: u32,
    /// The question its clients' resolvers ask (`Config::questions`).
    pub question: u32,
    /// (pool, weight), weights summing to 1.
    pub pools: Vec<(u32, f64)>,
    pub requests_per_s: f64,
    pub cache: ClientCache,
    /// None: a new connection for every request.
    pub connection: Option<ConnectionConfig>,
    pub reresolve_on_failure: bool,
    /// For latency routing: an index into `Config::latency_regions`.
    pub region: Option<u16>,
    /// A request picks one address of its answer at random (else the first).
    pub random_address: bool,
    /// With `on_connect_failure: next_address`, how long a connect to a black hole waits.
    pub next_address_after_us: Option<SimDuration>,
}

impl Config {
    pub fn end_us(&self) -> SimDuration {
        self.warmup_us + self.duration_us
    }

    pub fn client_count(&self) -> u64 {
        self.groups.iter().map(|g| u64::from(g.count)).sum()
    }

    pub fn resolver_count(&self) -> u64 {
        self.pools.iter().map(|p| u64::from(p.count)).sum()
    }

    pub fn checker_count(&self) -> u64 {
        self.health_checks.iter().map(|h| u64::from(h.checker_count())).sum()
    }

    /// Client groups whose record names this endpoint: the groups an episode on it follows.
    /// A scan of every group: for one endpoint; per episode, keep `groups_reaching_each`.
    pub fn groups_reaching(&self, endpoint: u32) -> impl Iterator<Item = usize> + '_ {
        (0..self.groups.len()).filter(move |&g| self.records[self.groups[g].record as usize].names_endpoint(endpoint))
    }

    /// `groups_reaching` for every endpoint at once, each list in group order, in one pass
    /// over the groups: per-episode work then costs the groups followed, not all groups.
    pub fn groups_reaching_each(&self) -> Vec<Vec<u32>> {
        let mut reaching = vec![Vec::new(); self.endpoints.len()];
        for (g, group) in (0u32..).zip(&self.groups) {
            for &e in &self.records[group.record as usize].tree.reached {
                reaching[e as usize].push(g);
            }
        }
        reaching
    }

    /// The alias tree below a question's record set.
    pub fn question_tree(&self, question: u32) -> &Tree {
        &self.records[self.questions[question as usize].record as usize].tree
    }

    /// Rows of the timeline: buckets of `timeline_bucket_us` over the measured duration.
    pub fn timeline_rows(&self) -> usize {
        self.duration_us.div_ceil(self.timeline_bucket_us) as usize
    }

    /// Scenario time in seconds of an engine time (the warm-up reads as 0), for output.
    pub fn scenario_s(&self, engine_us: SimDuration) -> f64 {
        time::to_seconds(engine_us.saturating_sub(self.warmup_us))
    }

    /// Health checks that probe this endpoint, in id order.
    pub fn checks_of(&self, endpoint: u32) -> impl Iterator<Item = (u32, &HealthCheckConfig)> {
        (0u32..)
            .zip(&self.health_checks)
            .filter(move |(_, hc)| hc.endpoint == Some(endpoint) && hc.kind == CheckKind::Probing)
    }

    /// Bytes the model will hold, dominated by per-client state; checked before allocating.
    pub fn memory_estimate_bytes(&self) -> u64 {
        // A client's record (48 bytes), its pending event, bucket slack and timeline gauge.
        const PER_CLIENT: u64 = 100;
        // Per open episode: failover state and misrouted count.
        const PER_CLIENT_TRACKED: u64 = 12;
        const PER_RESOLVER_RECORD: u64 = 24;
        let clients = self.client_count();
        clients * (PER_CLIENT + 2 * PER_CLIENT_TRACKED)
            + self.resolver_count() * self.records.len() as u64 * PER_RESOLVER_RECORD
            + self.checker_count() * 512
            + u64::from(self.name_server_count) * (self.records.len() + self.health_checks.len()) as u64 * 8
    }

    /// Events a replication is expected to process: probes, and requests or cache cycles.
    /// With aggregated requests, a client with a cache has about one event per cache cycle
    /// (its lifetime plus a request gap); without one (or pooled), a few per episode.
    pub fn event_estimate(&self, exact_requests: bool) -> f64 {
        let seconds = time::to_seconds(self.end_us());
        let requests: f64 = self
            .groups
            .iter()
            .map(|g| {
                // A load balancer picks a target per request: its clients run per request.
                let per_client = if exact_requests || self.records[g.record as usize].tree.load_balancer {
                    g.requests_per_s * seconds
                } else {
                    let lifetime_s = match g.cache {
                        ClientCache::Fixed { ttl_us } => time::to_seconds(ttl_us),
                        ClientCache::Ttl { min_us, max_us } => {
                            time::to_seconds(self.records[g.record as usize].tree.ttl_us_max.clamp(min_us, max_us))
                        }
                        ClientCache::None | ClientCache::Forever => f64::INFINITY,
                    };
                    let cycles = if g.connection.is_some() || lifetime_s.is_infinite() {
                        0.0
                    } else {
                        seconds / (lifetime_s + 1.0 / g.requests_per_s.max(1e-12))
                    };
                    cycles + 10.0 * (1 + self.endpoints.iter().map(|e| e.faults.len()).sum::<usize>()) as f64
                };
                f64::from(g.count) * per_client
            })
            .sum();
        let probes: f64 = self
            .health_checks
            .iter()
            .map(|h| f64::from(h.checker_count()) * seconds / time::to_seconds(h.interval_us.max(1)))
            .sum();
        requests + probes + 2.0 * self.datapoints_max() as f64
    }
}

/// Most events one replication may process (a quarter of an hour of work or so).
pub const EVENTS_MAX: f64 = 5e9;

impl Config {
    /// Refuses a scenario that would not fit in `memory_bytes_available` or would take
    /// unreasonably long, naming what to change.
    pub fn check_fits(&self, file: &Path, memory_bytes_available: u64, exact_requests: bool) -> Result<(), InputError> {
        let needed = self.memory_estimate_bytes();
        if needed > memory_bytes_available {
            return Err(InputError::invalid(
                file,
                "/clients",
                format!(
                    "this scenario needs about {:.1} GiB ({} clients, {} resolvers, {} checkers), but only {:.1} GiB of memory is available; reduce the client counts",
                    gib(needed),
                    self.client_count(),
                    self.resolver_count(),
                    self.checker_count(),
                    gib(memory_bytes_available)
                ),
            ));
        }
        let events = self.event_estimate(exact_requests);
        if events > EVENTS_MAX {
            return Err(InputError::invalid(
                file,
                "/clients",
                format!(
                    "this scenario would process about {events:.2e} events per run ({} over {}), more than the limit of {EVENTS_MAX:.0e}; reduce client counts or request rates, or shorten the duration",
                    if exact_requests { "every request, with --exact-requests" } else { "cache refreshes and probes" },
                    time::format_duration(self.end_us())
                ),
            ));
        }
        Ok(())
    }
}

impl Config {
    /// Memory the per-run results of `runs` replications hold until the report is written
    /// (each run keeps its totals, per group, per check and per episode; measured about
    /// 6.5 KiB for one group, check and episode).
    pub fn results_estimate_bytes(&self, runs: u32) -> u64 {
        let episodes: f64 = self
            .endpoints
            .iter()
            .flat_map(|e| &e.faults)
            .map(|f| match &f.every {
                Some(every) => {
                    let cycle_us = f.duration.as_ref().map_or(0.0, Dist::mean_us) + every.mean_us();
                    (self.duration_us as f64 / cycle_us.max(1.0)).ceil()
                }
                None => 1.0,
            })
            .sum();
        let groups = self.groups.len() as u64;
        let per_run = 4096 + 1024 * (groups * (1 + episodes as u64) + self.health_checks.len() as u64);
        per_run * u64::from(runs)
    }

    /// Refuses more replications than the memory their results need.
    pub fn check_runs_fit(&self, file: &Path, runs: u32, memory_bytes_available: u64) -> Result<(), InputError> {
        let needed = self.memory_estimate_bytes() + self.results_estimate_bytes(runs);
        if needed > memory_bytes_available {
            return Err(InputError::invalid(
                file,
                "",
                format!(
                    "{runs} runs of this scenario need about {:.1} GiB to hold their results, but only {:.1} GiB of memory is available; use fewer runs (--runs), or split them over several runs of \"fosim run --seed N\"",
                    gib(needed),
                    gib(memory_bytes_available)
                ),
            ));
        }
        Ok(())
    }
}

fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

/// Reads and parses a scenario file, with errors that say where.
pub fn load(path: &Path) -> Result<(Scenario, serde_json::Value), InputError> {
    input::load(path, input::SCENARIO)
}

/// Parses scenario text; `path` only names the file in errors.
pub fn parse(path: &Path, text: &str) -> Result<(Scenario, serde_json::Value), InputError> {
    input::parse(path, text)
}

/// Checks a parsed scenario and builds its `Config`. The first problem found is returned.
pub fn build(scenario: &Scenario, file: &Path) -> Result<Config, InputError> {
    Validator { file, warnings: Vec::new(), regions: Vec::new(), ids: Default::default() }.build(scenario)
}

impl Validator<'_> {
    fn build(mut self, s: &Scenario) -> Check<Config> {
        self.check_name(s)?;
        let duration_us = self.duration_us(s)?;
        if s.endpoints.is_empty() {
            return Err(self.error("/endpoints", "expected at least one endpoint, found none"));
        }
        let mut health_checks =
            s.health_checks.iter().map(|(id, hc)| self.health_check(s, id, hc)).collect::<Check<Vec<_>>>()?;
        let mut endpoints =
            s.endpoints.iter().map(|(id, e)| self.endpoint(s, id, e, duration_us)).collect::<Check<Vec<_>>>()?;
        self.load_balancer_checks(s, &mut endpoints, &mut health_checks)?;
        let name_server_count = self.count(
            "/dns/name_servers",
            s.dns.name_servers.unwrap_or(4),
            1,
            NAME_SERVERS_MAX,
            "a number of name servers",
        )?;
        let mut latency_regions = Vec::new();
        let mut records = s
            .dns
            .records
            .iter()
            .map(|(name, r)| self.record(s, name, r, &mut latency_regions))
            .collect::<Check<Vec<_>>>()?;
        if records.is_empty() {
            return Err(self.error("/dns/records", "expected at least one record, found none"));
        }
        let targets: Vec<Vec<u32>> =
            endpoints.iter().map(|e| e.load_balancer.as_ref().map_or_else(Vec::new, |lb| lb.targets.clone())).collect();
        super::records::analyse_records(&self, &mut records, &targets)?;
        let pools = s.resolvers.iter().map(|(id, p)| self.pool(id, p)).collect::<Check<Vec<_>>>()?;
        let mut groups =
            s.clients.iter().map(|(id, g)| self.group(s, id, g, &mut latency_regions)).collect::<Check<Vec<_>>>()?;
        let latency_orders = super::records::latency_orders(&self, s, &mut latency_regions)?;
        self.region_warnings(s, &records, &groups, &latency_regions);
        let (questions, group_questions) = questions(&records, &groups);
        for (g, q) in groups.iter_mut().zip(group_questions) {
            g.question = q;
        }
        let query_price_per_million = self.query_price_per_million(s)?;
        let mut config = Config {
            name: s.name.clone(),
            description: s.description.clone(),
            seed: s.seed,
            duration_us,
            warmup_us: 0,
            timeline_bucket_us: 0,
            regions: std::mem::take(&mut self.regions),
            endpoints,
            health_checks,
            name_server_count,
            propagation_delay: s.dns.propagation_delay.clone().unwrap_or(Dist::Fixed(0)),
            answer_cache: s.dns.answer_cache.clone().filter(|d| d.max_us() != Some(0)),
            query_price_per_million,
            records,
            latency_regions,
            latency_orders,
            questions,
            pools,
            groups,
            warnings: Vec::new(),
        };
        self.check_totals(&config)?;
        config.warmup_us = self.warmup_us(s, &config)?;
        config.timeline_bucket_us = self.timeline_bucket_us(s, duration_us)?;
        config.warnings = self.warnings;
        Ok(config)
    }

    /// The name becomes the output directory, so it must be a safe directory name.
    /// The name (a directory name), the description and every id within their lengths:
    /// each is copied into several outputs.
    fn check_name(&self, s: &Scenario) -> Check<()> {
        if s.name.is_empty()
            || s.name.len() > 100
            || !s.name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            || s.name.starts_with('.')
        {
            return Err(self.error("/name", format!(
                "expected a name usable as a directory name (letters, digits, '.', '_', '-'; at most 100), found {}",
                shorten(&s.name)
            )));
        }
        let description = s.description.chars().count();
        if description > DESCRIPTION_MAX {
            return Err(self.error(
                "/description",
                format!("expected a description of at most {DESCRIPTION_MAX} characters, found {description}"),
            ));
        }
        let mut ids: Vec<(String, &String)> = Vec::new();
        ids.extend(s.endpoints.keys().map(|k| (pointer(&["endpoints"]), k)));
        ids.extend(s.health_checks.keys().map(|k| (pointer(&["health_checks"]), k)));
        ids.extend(s.resolvers.keys().map(|k| (pointer(&["resolvers"]), k)));
        ids.extend(s.clients.keys().map(|k| (pointer(&["clients"]), k)));
        for (name, r) in &s.dns.records {
            ids.push((pointer(&["dns", "records"]), name));
            for (policy, set) in [("weighted", &r.weighted), ("latency", &r.latency), ("multivalue", &r.multivalue)] {
                ids.extend(
                    set.iter().flat_map(|set| set.keys()).map(|k| (pointer(&["dns", "records", name, policy]), k)),
                );
            }
        }
        for (at, id) in ids {
            if id.chars().count() > ID_MAX {
                return Err(self.error(
                    &at,
                    format!(
                        "expected names of at most {ID_MAX} characters, found one of {}: {}",
                        id.chars().count(),
                        shorten(id)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The measured duration, positive and at most `RUN_US_MAX`.
    fn duration_us(&self, s: &Scenario) -> Check<SimDuration> {
        let duration_us = self.positive("/duration", s.duration.us(), "run duration")?;
        if duration_us > RUN_US_MAX {
            return Err(self.error(
                "/duration",
                format!("expected a run of at most 400 days, found {}", time::format_duration(duration_us)),
            ));
        }
        Ok(duration_us)
    }

    /// The price of a million authoritative queries for the cost estimate, if given; never
    /// negative.
    fn query_price_per_million(&self, s: &Scenario) -> Check<Option<f64>> {
        match s.dns.query_price_per_million {
            Some(p) if !p.is_finite() || p < 0.0 => {
                Err(self.error("/dns/query_price_per_million", format!("expected a price >= 0, found {p}")))
            }
            p => Ok(p),
        }
    }

    /// The explicit warm-up, or one long enough for the caches of `config` to settle.
    fn warmup_us(&self, s: &Scenario, config: &Config) -> Check<SimDuration> {
        match s.warmup {
            Some(w) if w.us() > RUN_US_MAX => Err(self.error("/warmup", "expected a warm-up of at most 400 days")),
            Some(w) => Ok(w.us()),
            None => Ok(auto_warmup_us(config)),
        }
    }

    /// The explicit bucket width, if it keeps the timeline within `TIMELINE_ROWS_MAX`
    /// rows, or a round one.
    fn timeline_bucket_us(&self, s: &Scenario, duration_us: SimDuration) -> Check<SimDuration> {
        let Some(b) = s.timeline_bucket else { return Ok(auto_bucket_us(duration_us)) };
        let b = self.positive("/timeline_bucket", b.us(), "bucket width")?;
        if duration_us.div_ceil(b) > TIMELINE_ROWS_MAX {
            return Err(self.error(
                "/timeline_bucket",
                format!(
                    "expected at most {TIMELINE_ROWS_MAX} timeline rows, found {} (widen the bucket)",
                    duration_us.div_ceil(b)
                ),
            ));
        }
        Ok(b)
    }

    fn endpoint(&mut self, s: &Scenario, id: &str, e: &super::Endpoint, run_us: SimDuration) -> Check<EndpointConfig> {
        let response_time = e.response_time.clone().unwrap_or(Dist::Fixed(50 * US_PER_MS));
        let faults = e
            .faults
            .iter()
            .enumerate()
            .map(|(i, f)| self.fault(s, &pointer(&["endpoints", id, "faults", &i.to_string()]), id, f, run_us))
            .collect::<Check<Vec<_>>>()?;
        let load_balancer = self.load_balancer(s, id, e)?;
        Ok(EndpointConfig { id: id.to_owned(), response_time, faults, load_balancer })
    }

    fn fault(
        &mut self,
        s: &Scenario,
        at: &str,
        endpoint: &str,
        f: &super::Fault,
        run_us: SimDuration,
    ) -> Check<FaultConfig> {
        self.check_fault_fields(at, f)?;
        self.check_fault_window(at, f, run_us)?;
        if let Some(every) = &f.every {
            self.check_recurrence(at, f, every, run_us)?;
        }
        let (flap_down, flap_up) = self.flap_phases(at, f)?;
        if f.kind == FaultKind::Flap {
            let window_us =
                f.duration.as_ref().map_or(f64::INFINITY, Dist::mean_us).min((run_us - f.start.us()) as f64);
            let expected = window_us / (flap_down.mean_us() + flap_up.mean_us());
            if expected > OCCURRENCES_MAX as f64 {
                return Err(self.error(&format!("{at}/down"), format!(
                    "expected at most {OCCURRENCES_MAX} down phases in one flap, found about {expected:.0} (lengthen \"down\" and \"up\")")));
            }
        }
        let (request_error, probe_error) = self.error_rates(at, f)?;
        let loss_rate = self.probability(&format!("{at}/rate"), f.rate.unwrap_or(1.0))?;
        let loss_regions = match &f.regions {
            None => None,
            Some(names) => Some(self.loss_regions(s, at, endpoint, names)?),
        };
        Ok(FaultConfig {
            pointer: at.to_owned(),
            kind: f.kind,
            start_us: f.start.us(),
            duration: f.duration.clone(),
            every: f.every.clone(),
            mode: f.mode.unwrap_or_default(),
            flap_down,
            flap_up,
            request_error,
            probe_error,
            degraded_response_time: f.response_time.clone(),
            loss_regions,
            loss_rate,
        })
    }

    /// Refuses a field the fault's kind does not use: ignoring it silently would hide a mistake.
    fn check_fault_fields(&self, at: &str, f: &super::Fault) -> Check<()> {
        let kind_name = match f.kind {
            FaultKind::Outage => "an \"outage\"",
            FaultKind::Flap => "a \"flap\"",
            FaultKind::Degraded => "a \"degraded\"",
            FaultKind::ProbeLoss => "a \"probe_loss\"",
        };
        let applies: &[(&str, bool, &[FaultKind])] = &[
            ("mode", f.mode.is_some(), &[FaultKind::Outage, FaultKind::Flap]),
            ("down", f.down.is_some(), &[FaultKind::Flap]),
            ("up", f.up.is_some(), &[FaultKind::Flap]),
            ("request_error_rate", f.request_error_rate.is_some(), &[FaultKind::Degraded]),
            ("probe_error_rate", f.probe_error_rate.is_some(), &[FaultKind::Degraded]),
            ("response_time", f.response_time.is_some(), &[FaultKind::Degraded]),
            ("regions", f.regions.is_some(), &[FaultKind::ProbeLoss]),
            ("rate", f.rate.is_some(), &[FaultKind::ProbeLoss]),
        ];
        for (field, present, kinds) in applies {
            if *present && !kinds.contains(&f.kind) {
                return Err(self.error(
                    &format!("{at}/{field}"),
                    format!("the field \"{field}\" does not apply to {kind_name} fault"),
                ));
            }
        }
        Ok(())
    }

    /// Refuses a fault that starts after the run ends or whose occurrences last no time.
    fn check_fault_window(&self, at: &str, f: &super::Fault, run_us: SimDuration) -> Check<()> {
        if f.start.us() >= run_us {
            return Err(self.error(
                &format!("{at}/start"),
                format!(
                    "expected a fault inside the run (start before {}), found start {}",
                    time::format_duration(run_us),
                    time::format_duration(f.start.us())
                ),
            ));
        }
        if f.duration.as_ref().is_some_and(|d| d.max_us() == Some(0)) {
            return Err(self.error(&format!("{at}/duration"), "expected a positive fault duration, found 0"));
        }
        Ok(())
    }

    /// A recurring fault is bounded by `OCCURRENCES_MAX` and needs a duration to recur at all.
    fn check_recurrence(&self, at: &str, f: &super::Fault, every: &Dist, run_us: SimDuration) -> Check<()> {
        let cycle_us = f.duration.as_ref().map_or(0.0, Dist::mean_us) + every.mean_us();
        let expected = run_us as f64 / cycle_us.max(1.0);
        if expected > OCCURRENCES_MAX as f64 {
            return Err(self.error(&format!("{at}/every"), format!(
                "expected at most {OCCURRENCES_MAX} occurrences over the run, found about {expected:.0} (lengthen \"every\")")));
        }
        if f.duration.is_none() {
            return Err(self.error(
                &format!("{at}/duration"),
                "a recurring fault needs a duration (without one the first occurrence lasts to the end of the run)",
            ));
        }
        Ok(())
    }

    /// A flap's down and up phases, both required and positive; zero for other kinds.
    fn flap_phases(&self, at: &str, f: &super::Fault) -> Check<(Dist, Dist)> {
        match (f.kind, &f.down, &f.up) {
            (FaultKind::Flap, Some(down), Some(up)) => {
                if down.mean_us() < 1.0 || up.mean_us() < 1.0 {
                    return Err(self.error(&format!("{at}/down"), "expected flap phases with positive durations"));
                }
                Ok((down.clone(), up.clone()))
            }
            (FaultKind::Flap, None, _) => {
                Err(self.error(&format!("{at}/down"), "a flap fault needs \"down\" and \"up\" durations"))
            }
            (FaultKind::Flap, _, None) => {
                Err(self.error(&format!("{at}/up"), "a flap fault needs \"down\" and \"up\" durations"))
            }
            _ => Ok((Dist::Fixed(0), Dist::Fixed(0))),
        }
    }

    /// The request and probe error probabilities of a degraded fault (zero when absent);
    /// a degraded fault must say how often requests fail.
    fn error_rates(&self, at: &str, f: &super::Fault) -> Check<(Probability, Probability)> {
        let request_error = match (f.kind, f.request_error_rate) {
            (FaultKind::Degraded, None) => {
                return Err(self.error(
                    &format!("{at}/request_error_rate"),
                    "a degraded fault needs \"request_error_rate\" (the probability that a request fails)",
                ));
            }
            (_, rate) => self.probability(&format!("{at}/request_error_rate"), rate.unwrap_or(0.0))?,
        };
        let probe_error = self.probability(&format!("{at}/probe_error_rate"), f.probe_error_rate.unwrap_or(0.0))?;
        Ok((request_error, probe_error))
    }

    /// The regions a probe-loss fault names, each one where a health check of the endpoint
    /// has checkers (elsewhere the fault would lose nothing).
    fn loss_regions(&mut self, s: &Scenario, at: &str, endpoint: &str, names: &[String]) -> Check<Vec<u16>> {
        let probing: Vec<String> = s
            .health_checks
            .values()
            .filter(|hc| hc.endpoint.as_deref() == Some(endpoint) && kinds::probes(hc))
            .flat_map(region_names)
            .collect();
        let mut ids = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if !probing.contains(name) {
                return Err(self.error(
                    &format!("{at}/regions/{i}"),
                    format!(
                        "unknown region \"{name}\"{}: no health check of \"{endpoint}\" has checkers there",
                        did_you_mean(name, &probing)
                    ),
                ));
            }
            ids.push(self.region(&format!("{at}/regions/{i}"), name)?);
        }
        Ok(ids)
    }

    fn health_check(&mut self, s: &Scenario, id: &str, hc: &super::HealthCheck) -> Check<HealthCheckConfig> {
        if let Some(derived) = self.derived_check(s, id, hc)? {
            return Ok(derived);
        }
        let at = |field: &str| pointer(&["health_checks", id, field]);
        let endpoint = Some(self.probed_endpoint(s, id, hc)?);
        let preset = self.preset(&at("preset"), hc)?;
        let interval_us = self.positive(
            &at("request_interval"),
            hc.request_interval.map_or(preset.interval_us, |d| d.us()),
            "request interval",
        )?;
        if preset.route53_limits && interval_us != 10 * US_PER_S && interval_us != 30 * US_PER_S {
            self.warn(
                &at("request_interval"),
                format!(
                    "Route 53 allows a request interval of 10s or 30s only, found {}",
                    time::format_duration(interval_us)
                ),
            );
        }
        let (failure_threshold, recovery_threshold) = self.thresholds(id, hc, preset)?;
        let regions = self.checker_regions(&at("regions"), hc, preset)?;
        let checkers_per_region = self.count(
            &at("checkers_per_region"),
            hc.checkers_per_region.unwrap_or(i64::from(preset.checkers_per_region)),
            1,
            10_000,
            "a number of checkers per region",
        )?;
        let checker_count = regions.len() as u32 * checkers_per_region;
        let (quorum, healthy_fraction, healthy_count_min) = self.quorum(id, hc, preset, checker_count)?;
        let probe_loss = self.probability(&at("probe_loss_rate"), hc.probe_loss_rate.unwrap_or(0.0))?;
        let (schedule, on_overrun, timeout_us) = self.probe_timing(id, hc, preset)?;
        Ok(HealthCheckConfig {
            id: id.to_owned(),
            endpoint,
            preset,
            check_type: hc.check_type.unwrap_or(preset.check_type),
            schedule,
            interval_us,
            on_overrun,
            jitter: hc.jitter.clone(),
            phase: hc.phase.clone(),
            failure_threshold,
            recovery_threshold,
            timeout_us,
            expire_unused_us: self.expire_unused(id, hc, preset)?,
            regions,
            checkers_per_region,
            quorum,
            healthy_fraction,
            healthy_count_min,
            inverted: hc.inverted,
            disabled: hc.disabled,
            probe_loss,
            kind: CheckKind::Probing,
        })
    }

    /// The preset whose defaults fill the fields not given (Route 53's without one).
    fn preset(&self, at: &str, hc: &super::HealthCheck) -> Check<&'static Preset> {
        let Some(name) = &hc.preset else { return Ok(&presets::ROUTE53) };
        presets::find(name).ok_or_else(|| {
            let known: Vec<&str> = presets::PRESETS.iter().map(|p| p.name).collect();
            self.error(
                at,
                format!(
                    "unknown preset \"{name}\"{}; the presets are {}",
                    did_you_mean(name, &known),
                    known.iter().map(|k| format!("\"{k}\"")).collect::<Vec<_>>().join(", ")
                ),
            )
        })
    }

    /// Consecutive results that flip a checker: to unhealthy, and back to healthy (the same
    /// number by default, as Route 53).
    fn thresholds(&mut self, id: &str, hc: &super::HealthCheck, preset: &Preset) -> Check<(u32, u32)> {
        let at = |field: &str| pointer(&["health_checks", id, field]);
        let threshold = hc.failure_threshold.unwrap_or(i64::from(preset.failure_threshold));
        let failure_threshold = self.count(&at("failure_threshold"), threshold, 1, 1_000, "a failure threshold")?;
        if preset.route53_limits && !(1..=10).contains(&threshold) {
            self.warn(
                &at("failure_threshold"),
                format!("Route 53 allows a failure threshold from 1 to 10, found {threshold}"),
            );
        }
        let recovery_threshold = match hc.recovery_threshold {
            Some(n) => self.count(&at("recovery_threshold"), n, 1, 1_000, "a recovery threshold")?,
            None => preset.recovery_threshold.unwrap_or(failure_threshold),
        };
        if preset.route53_limits && recovery_threshold != failure_threshold {
            self.warn(
                &at("recovery_threshold"),
                "Route 53 uses the failure threshold in both directions; a different recovery threshold is not a Route 53 setting",
            );
        }
        Ok((failure_threshold, recovery_threshold))
    }

    /// How long an unused check lives (PowerDNS drops checks no query has used).
    fn expire_unused(&mut self, id: &str, hc: &super::HealthCheck, preset: &Preset) -> Check<Option<SimDuration>> {
        let at = pointer(&["health_checks", id, "expire_unused_after"]);
        match hc.expire_unused_after {
            None => Ok(preset.expire_unused_us),
            Some(d) => {
                let us = self.positive(&at, d.us(), "expiry")?;
                if preset.route53_limits {
                    self.warn(&at, "Route 53 keeps every health check running, used or not");
                }
                Ok(Some(us))
            }
        }
    }

    /// When probes are sent and how long one may take.
    fn probe_timing(
        &mut self,
        id: &str,
        hc: &super::HealthCheck,
        preset: &Preset,
    ) -> Check<(Schedule, Overrun, Option<SimDuration>)> {
        let at = |field: &str| pointer(&["health_checks", id, field]);
        let schedule = hc.schedule.unwrap_or(preset.schedule);
        if hc.on_overrun.is_some() && schedule != Schedule::FixedRate {
            return Err(self.error(&at("on_overrun"), "\"on_overrun\" applies only to schedule \"fixed_rate\""));
        }
        if preset.route53_limits && schedule != Schedule::AfterResponse {
            self.warn(
                &at("schedule"),
                "Route 53 checkers send each probe request_interval after the previous response",
            );
        }
        let timeout_us = match hc.timeout {
            Some(t) => {
                let t = self.positive(&at("timeout"), t.us(), "probe timeout")?;
                if preset.route53_limits {
                    self.warn(
                        &at("timeout"),
                        "Route 53's probe timeouts are fixed (connect 4 s, then 2 s for the status)",
                    );
                }
                Some(t)
            }
            None => preset.timeout_us,
        };
        Ok((schedule, hc.on_overrun.unwrap_or(preset.on_overrun), timeout_us))
    }

    /// How the checkers' views combine: the quorum, the healthy fraction it uses, and the
    /// healthy checkers it needs (for the quorums that count checkers).
    fn quorum(
        &mut self,
        id: &str,
        hc: &super::HealthCheck,
        preset: &Preset,
        checker_count: u32,
    ) -> Check<(Quorum, f64, u32)> {
        let at = |field: &str| pointer(&["health_checks", id, field]);
        let quorum = hc.quorum.unwrap_or(preset.quorum);
        if hc.healthy_fraction.is_some() && quorum != Quorum::FractionAbove {
            return Err(
                self.error(&at("healthy_fraction"), "\"healthy_fraction\" applies only to quorum \"fraction_above\"")
            );
        }
        if preset.route53_limits && quorum != Quorum::FractionAbove {
            self.warn(&at("quorum"), "Route 53 combines its checkers with the 18 % rule (quorum \"fraction_above\")");
        }
        let healthy_fraction = hc.healthy_fraction.unwrap_or(preset.healthy_fraction);
        if !(0.0..1.0).contains(&healthy_fraction) {
            return Err(self.error(&at("healthy_fraction"), format!(
                "expected a fraction from 0 to just below 1 (healthy iff the healthy share is strictly greater), found {healthy_fraction}")));
        }
        let healthy_count_min = match quorum {
            // Healthy iff healthy/N > f, i.e. healthy >= floor(f·N) + 1; the epsilon absorbs
            // float error in products like 0.29 × 100.
            Quorum::FractionAbove => (healthy_fraction * f64::from(checker_count) + 1e-9).floor() as u32 + 1,
            Quorum::Majority => checker_count / 2 + 1,
            Quorum::All => checker_count,
            Quorum::Any => 1,
            Quorum::AtLeast(n) => self.count(
                &format!("{}/at_least", at("quorum")),
                n,
                1,
                i64::from(checker_count),
                "a number of checkers",
            )?,
            Quorum::MajorityOfMajorities => 0,
        };
        Ok((quorum, healthy_fraction, healthy_count_min))
    }

    /// The regions a health check's checkers run in (its preset's by default), each listed
    /// once; for Route 53, fewer than three is allowed but warned about.
    fn checker_regions(&mut self, at: &str, hc: &super::HealthCheck, preset: &Preset) -> Check<Vec<u16>> {
        let names = region_names(hc);
        if names.is_empty() {
            return Err(self.error(at, "expected at least one checker region, found none"));
        }
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(self.error(&format!("{at}/{i}"), format!("region \"{name}\" is listed twice")));
            }
        }
        if preset.route53_limits {
            if names.len() < 3 {
                self.warn(at, format!("Route 53 requires at least 3 checker regions, found {}", names.len()));
            }
            self.route53_region_names(at, &names)?;
        }
        if names.len() > 60_000 {
            return Err(self.error(at, format!("expected at most 60000 regions, found {}", names.len())));
        }
        names.iter().map(|n| self.region(at, n)).collect()
    }

    /// A name close to one of Route 53's checker regions is a typo and refused; other names
    /// are allowed (a scenario may model checkers anywhere) with one warning per check.
    fn route53_region_names(&mut self, at: &str, names: &[String]) -> Check<()> {
        let regions = super::presets::ROUTE53_REGIONS;
        let mut unknown = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if regions.contains(&name.as_str()) {
                continue;
            }
            let hint = crate::input::did_you_mean(name, &regions);
            if !hint.is_empty() {
                return Err(self.error(
                    &format!("{at}/{i}"),
                    format!("\"{name}\" is not a Route 53 checker region{hint}; they are {}", regions.join(", ")),
                ));
            }
            unknown.push(format!("\"{name}\""));
        }
        if !unknown.is_empty() {
            let shown = if unknown.len() > 3 {
                format!("{} and {} more", unknown[..3].join(", "), unknown.len() - 3)
            } else {
                unknown.join(", ")
            };
            self.warn(
                at,
                format!(
                    "{shown} {} ({}); fosim models {} as other groups of checkers",
                    if unknown.len() == 1 {
                        "is not a Route 53 checker region"
                    } else {
                        "are not Route 53 checker regions"
                    },
                    regions.join(", "),
                    if unknown.len() == 1 { "it" } else { "them" }
                ),
            );
        }
        Ok(())
    }

    fn pool(&mut self, id: &str, p: &super::ResolverPool) -> Check<PoolConfig> {
        let at = |field: &str| pointer(&["resolvers", id, field]);
        let count = self.count(&at("count"), p.count, 1, COMPONENTS_MAX as i64, "a resolver count")?;
        let ttl_min_us = p.ttl_min.map_or(0, |d| d.us());
        let ttl_max_us = p.ttl_max.map_or(time::US_PER_DAY, |d| d.us());
        if ttl_min_us > ttl_max_us {
            return Err(self.error(
                &at("ttl_min"),
                format!(
                    "expected ttl_min <= ttl_max, found {} > {}",
                    time::format_duration(ttl_min_us),
                    time::format_duration(ttl_max_us)
                ),
            ));
        }
        let cache = p.cache.unwrap_or(true);
        if !cache && (p.prefetch || p.ttl_min.is_some() || p.ttl_max.is_some() || p.clock.is_some()) {
            self.warn(&at("cache"), "a resolver without a cache ignores ttl_min, ttl_max, prefetch and clock");
        }
        let whole_seconds = p.clock == Some(super::ResolverClock::WholeSeconds);
        Ok(PoolConfig { id: id.to_owned(), count, ttl_min_us, ttl_max_us, prefetch: p.prefetch, cache, whole_seconds })
    }

    fn group(
        &mut self,
        s: &Scenario,
        id: &str,
        g: &super::ClientGroup,
        latency_regions: &mut Vec<String>,
    ) -> Check<GroupConfig> {
        let at = |field: &str| pointer(&["clients", id, field]);
        let count = self.count(&at("count"), g.count, 0, COMPONENTS_MAX as i64, "a client count")?;
        let record = self.lookup(&at("record"), &s.dns.records, &g.record, "record")?;
        let pools = self.resolver_weights(s, id, g)?;
        let rate = g.requests_per_s;
        if !rate.is_finite() || !(0.0..=1e6).contains(&rate) {
            return Err(self.error(
                &at("requests_per_s"),
                format!("expected a rate from 0 to 1000000 requests per second, found {rate}"),
            ));
        }
        let cache = self.client_cache(id, &g.dns_cache)?;
        let connection = self.connection(id, &g.connection)?;
        let region = g.region.as_ref().map(|name| match latency_regions.iter().position(|r| r == name) {
            Some(i) => i as u16,
            None => {
                latency_regions.push(name.clone());
                (latency_regions.len() - 1) as u16
            }
        });
        let next_address_after_us = self.next_address(id, g)?;
        Ok(GroupConfig {
            id: id.to_owned(),
            count,
            record,
            question: 0,
            pools,
            requests_per_s: rate,
            cache,
            connection,
            reresolve_on_failure: g.on_failure == super::OnFailure::Reresolve,
            region,
            random_address: g.address_choice == Some(super::AddressChoice::Random),
            next_address_after_us,
        })
    }

    /// Clients of a latency-routed tree without a region, or in a region that neither a
    /// latency record nor `dns.latency_order` places: their answers follow an arbitrary order.
    fn region_warnings(&mut self, s: &Scenario, records: &[RecordConfig], groups: &[GroupConfig], regions: &[String]) {
        let served: Vec<u16> = records.iter().flat_map(|r| r.members.iter().filter_map(|m| m.region)).collect();
        let ordered = s.dns.latency_order.as_ref();
        for g in groups.iter().filter(|g| records[g.record as usize].tree.by_region) {
            let at = pointer(&["clients", &g.id]);
            match g.region {
                None => self.warn(
                    &at,
                    "its record set routes by latency but the group has no \"region\": its queries get the latency records in the order of their set identifiers",
                ),
                Some(r) if !served.contains(&r) && !ordered.is_some_and(|o| o.contains_key(&regions[r as usize])) => {
                    self.warn(
                        &format!("{at}/region"),
                        format!(
                            "no latency record serves from \"{}\" and dns.latency_order does not list it: its queries get the records' regions in name order",
                            regions[r as usize]
                        ),
                    )
                }
                Some(_) => {}
            }
        }
    }

    /// With `on_connect_failure: next_address`, the connect timeout before the next address
    /// (default 3 s).
    fn next_address(&self, id: &str, g: &super::ClientGroup) -> Check<Option<SimDuration>> {
        let at = pointer(&["clients", id, "connect_timeout"]);
        match (g.on_connect_failure.unwrap_or_default(), g.connect_timeout) {
            (super::ConnectFailure::NextAddress, timeout) => {
                Ok(Some(self.positive(&at, timeout.map_or(3 * US_PER_S, |d| d.us()), "connect timeout")?))
            }
            (super::ConnectFailure::Fail, Some(_)) => {
                Err(self.error(&at, "\"connect_timeout\" applies only with \"on_connect_failure\": \"next_address\""))
            }
            (super::ConnectFailure::Fail, None) => Ok(None),
        }
    }

    /// The pools a group's clients use, as (pool, weight) with the weights normalised to
    /// sum to 1; a lone pool needs no weights.
    fn resolver_weights(&mut self, s: &Scenario, id: &str, g: &super::ClientGroup) -> Check<Vec<(u32, f64)>> {
        let at = pointer(&["clients", id, "resolvers"]);
        let weights: Vec<(String, f64)> =
            match &g.resolvers {
                Some(w) => w.iter().map(|(k, v)| (k.clone(), *v)).collect(),
                None if s.resolvers.len() == 1 => vec![(s.resolvers.keys().next().expect("one pool").clone(), 1.0)],
                None => {
                    return Err(self.error(&at, format!(
                    "expected the resolver pools these clients use (pool → weight), found none; there are {} pools",
                    s.resolvers.len())));
                }
            };
        let mut pools = Vec::new();
        for (pool, weight) in &weights {
            let wat = pointer(&["clients", id, "resolvers", pool]);
            let index = self.lookup(&wat, &s.resolvers, pool, "resolver pool")?;
            if !weight.is_finite() || *weight < 0.0 {
                return Err(self.error(&wat, format!("expected a weight >= 0, found {weight}")));
            }
            pools.push((index, *weight));
        }
        let total: f64 = pools.iter().map(|(_, w)| w).sum();
        if total <= 0.0 {
            return Err(self.error(&at, "expected pool weights with a positive sum, found a sum of 0"));
        }
        if (total - 1.0).abs() > 1e-6 {
            let shares: Vec<String> =
                weights.iter().zip(&pools).map(|((name, _), (_, w))| format!("{name} {:.3}", w / total)).collect();
            self.warn(
                &at,
                format!(
                    "the weights sum to {total}, not 1; fosim uses them as shares of the group: {}",
                    shares.join(", ")
                ),
            );
        }
        pools.iter_mut().for_each(|(_, w)| *w /= total);
        Ok(pools)
    }

    /// A client's DNS cache; each mode refuses the fields that belong to another.
    fn client_cache(&self, id: &str, c: &super::DnsCache) -> Check<ClientCache> {
        let cat = |field: &str| pointer(&["clients", id, "dns_cache", field]);
        let only = |field: &str, present: bool, modes: &str| -> Check<()> {
            if present {
                return Err(InputError::invalid(
                    self.file,
                    cat(field),
                    format!("the field \"{field}\" applies only to dns_cache mode {modes}"),
                ));
            }
            Ok(())
        };
        let cache = match c.mode {
            CacheMode::Ttl => {
                only("ttl", c.ttl.is_some(), "\"fixed\" (mode \"ttl\" takes ttl_min and ttl_max)")?;
                let min_us = c.ttl_min.map_or(0, |d| d.us());
                let max_us = c.ttl_max.map_or(time::DURATION_US_MAX, |d| d.us());
                if min_us > max_us {
                    return Err(self.error(&cat("ttl_min"), "expected ttl_min <= ttl_max"));
                }
                ClientCache::Ttl { min_us, max_us }
            }
            mode => {
                only("ttl_min", c.ttl_min.is_some(), "\"ttl\"")?;
                only("ttl_max", c.ttl_max.is_some(), "\"ttl\"")?;
                match mode {
                    CacheMode::Fixed => {
                        let ttl = c.ttl.ok_or_else(|| {
                            self.error(
                                &cat("ttl"),
                                "dns_cache mode \"fixed\" needs \"ttl\" (how long to keep each answer)",
                            )
                        })?;
                        ClientCache::Fixed { ttl_us: ttl.us() }
                    }
                    _ => {
                        only("ttl", c.ttl.is_some(), "\"fixed\"")?;
                        if mode == CacheMode::None { ClientCache::None } else { ClientCache::Forever }
                    }
                }
            }
        };
        Ok(cache)
    }

    /// A reused connection's idle timeout (90 s by default) and optional lifetime; None when
    /// every request opens its own, where those settings would be ignored.
    fn connection(&mut self, id: &str, k: &super::Connection) -> Check<Option<ConnectionConfig>> {
        let at = |field: &str| pointer(&["clients", id, "connection", field]);
        if !k.reuse {
            if k.idle_timeout.is_some() || k.max_lifetime.is_some() {
                self.warn(
                    &pointer(&["clients", id, "connection"]),
                    "idle_timeout and max_lifetime have no effect without \"reuse\": true",
                );
            }
            return Ok(None);
        }
        let idle_timeout_us =
            self.positive(&at("idle_timeout"), k.idle_timeout.map_or(90 * US_PER_S, |d| d.us()), "idle timeout")?;
        let max_lifetime_us = match k.max_lifetime {
            Some(d) => Some(self.positive(&at("max_lifetime"), d.us(), "max lifetime")?),
            None => None,
        };
        Ok(Some(ConnectionConfig { idle_timeout_us, max_lifetime_us }))
    }

    fn check_totals(&self, c: &Config) -> Check<()> {
        if !c.groups.is_empty() && c.pools.is_empty() {
            return Err(self.error("/resolvers", "expected at least one resolver pool for the clients, found none"));
        }
        if c.groups.len() > GROUPS_MAX {
            return Err(self
                .error("/clients", format!("expected at most {GROUPS_MAX} client groups, found {}", c.groups.len())));
        }
        for (total, what, at) in [
            (c.client_count(), "clients", "/clients"),
            (c.resolver_count(), "resolvers", "/resolvers"),
            (c.checker_count(), "health checkers", "/health_checks"),
        ] {
            if total > COMPONENTS_MAX {
                return Err(self.error(at, format!("expected at most {COMPONENTS_MAX} {what} in all, found {total}")));
            }
        }
        Ok(())
    }
}

/// A health check's checker regions: as given, else its preset's (Route 53's eight for an
/// unknown preset, which is reported on its own).
/// A text quoted for a message, cut after 60 characters.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((at, _)) => format!("\"{}…\" ({} characters)", &text[..at], text.chars().count()),
        None => format!("\"{text}\""),
    }
}

fn region_names(hc: &super::HealthCheck) -> Vec<String> {
    let preset = hc.preset.as_deref().and_then(presets::find).unwrap_or(&presets::ROUTE53);
    hc.regions.clone().unwrap_or_else(|| preset.regions.iter().map(|r| r.to_string()).collect())
}

/// Twice the longest finite cache or connection lifetime, so that caches fed from the same
/// resolver have synchronised before measurement starts (docs/model.md §1.6.3).
fn auto_warmup_us(c: &Config) -> SimDuration {
    let mut longest = 0;
    for g in &c.groups {
        let record_ttl = c.records[g.record as usize].tree.ttl_us_max;
        for &(pool, _) in &g.pools {
            let p = &c.pools[pool as usize];
            let handed = if p.cache { p.clamp_ttl(record_ttl) } else { record_ttl };
            longest = longest.max(handed);
            if let ClientCache::Ttl { min_us, max_us } = g.cache {
                longest = longest.max(handed.max(min_us).min(max_us));
            }
        }
        if let ClientCache::Fixed { ttl_us } = g.cache {
            longest = longest.max(ttl_us);
        }
        if let Some(k) = g.connection {
            longest = longest.max(k.idle_timeout_us).max(k.max_lifetime_us.unwrap_or(0));
        }
    }
    (2 * longest).min(WARMUP_US_AUTO_MAX)
}

/// A round bucket width giving at most about 720 rows.
fn auto_bucket_us(duration_us: SimDuration) -> SimDuration {
    const NICE_S: [u64; 17] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];
    let target_us = duration_us.div_ceil(720);
    NICE_S.iter().map(|s| s * US_PER_S).find(|&b| b >= target_us).unwrap_or(86400 * US_PER_S)
}

/// The questions, in record order — one per set, or one per client region asking a set whose
/// answers depend on the region — and each group's question. A set no group asks is still
/// asked once, so that every set's answers are followed.
/// Linear in records and groups: groups are sorted by record once, questions numbered
/// through a map.
fn questions(records: &[RecordConfig], groups: &[GroupConfig]) -> (Vec<Question>, Vec<u32>) {
    let mut asking: Vec<Vec<&GroupConfig>> = vec![Vec::new(); records.len()];
    for g in groups {
        asking[g.record as usize].push(g);
    }
    let mut questions = Vec::new();
    let mut number: HashMap<Question, u32> = HashMap::new();
    for (r, record) in (0u32..).zip(records) {
        let before = questions.len();
        if record.tree.by_region {
            for g in &asking[r as usize] {
                let q = Question { record: r, region: g.region };
                if let std::collections::hash_map::Entry::Vacant(slot) = number.entry(q) {
                    slot.insert(questions.len() as u32);
                    questions.push(q);
                }
            }
        }
        if questions.len() == before {
            let q = Question { record: r, region: None };
            number.insert(q, questions.len() as u32);
            questions.push(q);
        }
    }
    let of_group = groups
        .iter()
        .map(|g| {
            let region = if records[g.record as usize].tree.by_region { g.region } else { None };
            number[&Question { record: g.record, region }]
        })
        .collect();
    (questions, of_group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_count_follows_the_strict_rule() {
        // 16 checkers at 18 %: healthy needs 3 (2/16 = 12.5 % is not > 18 %).
        let hc = |fraction: f64, n: u32| (fraction * f64::from(n) + 1e-9).floor() as u32 + 1;
        assert_eq!(hc(0.18, 16), 3);
        assert_eq!(hc(0.18, 1), 1);
        assert_eq!(hc(0.5, 4), 3);
        assert_eq!(hc(0.29, 100), 30);
    }

    #[test]
    fn the_event_limit_counts_what_each_mode_simulates() {
        let text = r#"{ "name": "busy", "duration": "1d",
            "endpoints": { "p": {}, "s": {} },
            "dns": { "records": { "app": { "ttl": "60s", "failover": { "primary": { "endpoint": "p" }, "secondary": { "endpoint": "s" } } } } },
            "resolvers": { "isp": { "count": 1000 } },
            "clients": { "users": { "count": 2000000, "record": "app", "requests_per_s": 10 } } }"#;
        let file = Path::new("busy.json");
        let (scenario, _) = parse(file, text).unwrap();
        let config = build(&scenario, file).unwrap();
        // 1.7e12 requests one by one: refused, naming the flag.
        let err = config.check_fits(file, u64::MAX, true).unwrap_err().to_string();
        assert!(err.contains("--exact-requests"), "{err}");
        // Aggregated: about one event per client per 60 s cache cycle, 2.9e9 in all.
        assert!(config.check_fits(file, u64::MAX, false).is_ok());
        let events = config.event_estimate(false);
        assert!((2e9..4e9).contains(&events), "{events:e}");
    }

    #[test]
    fn buckets_are_round() {
        assert_eq!(auto_bucket_us(3600 * US_PER_S), 5 * US_PER_S);
        assert_eq!(auto_bucket_us(60 * US_PER_S), US_PER_S);
        assert_eq!(auto_bucket_us(86400 * US_PER_S), 120 * US_PER_S);
    }
}
