//! One testbed configuration: the JSON file in `testbed/configs/`, its defaults, its checks,
//! and the loopback addresses it owns. Nothing here starts anything or touches the network.

use std::net::{Ipv4Addr, SocketAddr};

use serde::{Deserialize, Serialize};

/// Port of every HTTP endpoint (the health URL in the zone names it).
pub const HTTP_PORT: u16 = 18080;
/// Port PowerDNS listens on, on its own address.
pub const PDNS_PORT: u16 = 15353;
/// Port Unbound listens on, on its own address.
pub const UNBOUND_PORT: u16 = 15354;
/// Name the clients resolve (fully qualified, so no search list is tried).
pub const APP_NAME: &str = "app.test.example.";
/// Zone PowerDNS serves and Unbound stubs to it.
pub const ZONE: &str = "test.example";
/// Upper bounds that keep a mistaken file from running for hours or eating memory.
pub const CLIENTS_MAX: u32 = 2_000;
pub const TRIALS_MAX: u32 = 200;
pub const REQUESTS_PER_S_MAX: f64 = 50.0;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Address block `127.0.<slot>.0/24`: configurations run side by side need different slots.
    pub slot: u8,
    pub seed: u64,
    pub trials: u32,
    pub dns: DnsConfig,
    #[serde(default)]
    pub resolver: ResolverConfig,
    pub clients: ClientsConfig,
    pub fault: FaultConfig,
    pub schedule: ScheduleConfig,
}

/// PowerDNS side: the zone's TTL, the `ifurlup` options and the server's caches.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsConfig {
    /// TTL of the `app` LUA record (and the zone's `$TTL`).
    pub ttl_s: u32,
    /// `lua-health-checks-interval` (pdns.conf, whole seconds, global to the server in 4.7).
    pub check_interval_s: u32,
    /// `timeout` option of `ifurlup` (whole seconds; PowerDNS default 2).
    pub probe_timeout_s: u32,
    /// `lua-health-checks-expire-delay` (pdns.conf): a check whose result no query has asked
    /// for in this long is dropped (default 3600, as PowerDNS).
    #[serde(default = "default_expire_delay_s")]
    pub check_expire_delay_s: u32,
    /// Extra `ifurlup` options appended verbatim, e.g. `"minimumFailures=2"` (ignored by 4.7).
    #[serde(default)]
    pub extra_lua_options: String,
    /// `cache-ttl` (packet cache), seconds; 0 disables it.
    #[serde(default)]
    pub pdns_cache_ttl_s: u32,
    /// `query-cache-ttl` (and `negquery-cache-ttl`), seconds; 0 disables it.
    #[serde(default)]
    pub pdns_query_cache_ttl_s: u32,
}

/// Unbound side.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolverConfig {
    #[serde(default)]
    pub cache_min_ttl_s: u32,
    #[serde(default)]
    pub prefetch: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientsConfig {
    pub count: u32,
    /// Poisson rate of each client.
    pub requests_per_s: f64,
    /// TCP connect timeout (what a black-holed endpoint costs a request).
    pub connect_timeout_s: f64,
    /// Time allowed from sending the request to the end of the response.
    pub request_timeout_s: f64,
    /// hickory's per-query timeout towards Unbound.
    #[serde(default = "default_dns_timeout_s")]
    pub dns_timeout_s: f64,
    /// Present: reuse one connection until it idles out or a request on it fails.
    #[serde(default)]
    pub keep_alive: Option<KeepAliveConfig>,
}

fn default_expire_delay_s() -> u32 {
    3600
}

fn default_dns_timeout_s() -> f64 {
    1.0
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeepAliveConfig {
    pub idle_timeout_s: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The primary's server goes away: connections refused, open ones closed.
    Refuse,
    /// Packets to the primary are dropped (nftables): connects and open connections time out.
    Blackhole,
    /// The primary answers every request, health checks included, with HTTP 500.
    Http500,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultConfig {
    pub kind: FaultKind,
}

/// Timing of a run: warm-up, then per trial settle + random extra, fault, restore.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    /// Clients run this long before the first trial.
    pub warmup_s: f64,
    /// Healthy time before each fault (after the previous restore).
    pub settle_s: f64,
    /// A uniform random extra in `[0, fault_jitter_s)` is added to `settle_s`.
    pub fault_jitter_s: f64,
    /// A fault not converged after this long is ended and reported as not converged.
    pub trial_timeout_s: f64,
    /// How often PowerDNS is asked directly for the record.
    pub poll_interval_ms: u64,
    /// Offset into a wall-clock second at which PowerDNS gets its first A query, which starts
    /// its check timer (so its rounds fall at this offset in every second when the interval is
    /// whole seconds). Absent: drawn from the seed.
    #[serde(default)]
    pub check_phase_s: Option<f64>,
}

impl Config {
    pub fn from_json(text: &str, path: &str) -> Result<Config, String> {
        let (config, _): (Config, _) =
            fosim::input::parse(std::path::Path::new(path), text).map_err(|e| e.to_string())?;
        config.check().map_err(|e| format!("{path}: {e}"))?;
        Ok(config)
    }

    pub fn check_public(&self) -> Result<(), String> {
        self.check()
    }

    fn check(&self) -> Result<(), String> {
        let c = &self.clients;
        let s = &self.schedule;
        let positive = [
            ("clients.requests_per_s", c.requests_per_s),
            ("clients.connect_timeout_s", c.connect_timeout_s),
            ("clients.request_timeout_s", c.request_timeout_s),
            ("clients.dns_timeout_s", c.dns_timeout_s),
            ("schedule.trial_timeout_s", s.trial_timeout_s),
        ];
        for (field, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(format!("{field} must be a positive number, got {value}"));
            }
        }
        for (field, value) in [
            ("schedule.warmup_s", s.warmup_s),
            ("schedule.settle_s", s.settle_s),
            ("schedule.fault_jitter_s", s.fault_jitter_s),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(format!("{field} must be a number >= 0, got {value}"));
            }
        }
        if self.slot == 0 || self.slot == 255 {
            return Err("slot must be in 1..=254".into());
        }
        if c.count == 0 || c.count > CLIENTS_MAX {
            return Err(format!("clients.count must be in 1..={CLIENTS_MAX}"));
        }
        if c.requests_per_s > REQUESTS_PER_S_MAX {
            return Err(format!("clients.requests_per_s must be at most {REQUESTS_PER_S_MAX}"));
        }
        if self.trials == 0 || self.trials > TRIALS_MAX {
            return Err(format!("trials must be in 1..={TRIALS_MAX}"));
        }
        if self.dns.check_interval_s == 0 || self.dns.probe_timeout_s == 0 {
            return Err("dns.check_interval_s and dns.probe_timeout_s must be >= 1 (whole seconds)".into());
        }
        if s.check_phase_s.is_some_and(|p| !(0.0..1.0).contains(&p)) {
            return Err("schedule.check_phase_s must be in [0, 1)".into());
        }
        if !(5..=1000).contains(&s.poll_interval_ms) {
            return Err("schedule.poll_interval_ms must be in 5..=1000".into());
        }
        if let Some(k) = &c.keep_alive
            && !(k.idle_timeout_s.is_finite() && k.idle_timeout_s > 0.0)
        {
            return Err("clients.keep_alive.idle_timeout_s must be positive".into());
        }
        if self.dns.extra_lua_options.contains('"') || self.dns.extra_lua_options.contains('\n') {
            return Err("dns.extra_lua_options must not contain quotes or newlines".into());
        }
        Ok(())
    }

    fn ip(&self, host: u8) -> Ipv4Addr {
        Ipv4Addr::new(127, 0, self.slot, host)
    }
    pub fn pdns_addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip(1).into(), PDNS_PORT)
    }
    pub fn unbound_addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip(2).into(), UNBOUND_PORT)
    }
    pub fn primary_ip(&self) -> Ipv4Addr {
        self.ip(10)
    }
    pub fn secondary_ip(&self) -> Ipv4Addr {
        self.ip(11)
    }
    /// Every address:port this configuration listens on (for the free-port check).
    pub fn listen_addrs(&self) -> Vec<(String, SocketAddr)> {
        vec![
            ("PowerDNS".into(), self.pdns_addr()),
            ("Unbound".into(), self.unbound_addr()),
            ("primary endpoint".into(), SocketAddr::new(self.primary_ip().into(), HTTP_PORT)),
            ("secondary endpoint".into(), SocketAddr::new(self.secondary_ip().into(), HTTP_PORT)),
        ]
    }
    /// Longest a run can take, used as a hard deadline for every loop.
    pub fn run_deadline_s(&self) -> f64 {
        let s = &self.schedule;
        let per_trial = s.settle_s + s.fault_jitter_s + s.trial_timeout_s + 30.0;
        60.0 + s.warmup_s + f64::from(self.trials) * per_trial
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    /// The testbed's configurations are read by fosim's loader: errors name the file, the
    /// field's path and line:column, in plain words; a name twice in one object is refused.
    #[test]
    fn bad_configurations_are_refused_in_plain_words() {
        let good = std::fs::read_to_string("configs/a-refuse.json").expect("a bundled configuration");
        assert!(Config::from_json(&good, "a-refuse.json").is_ok());
        let mut value: serde_json::Value = serde_json::from_str(&good).unwrap();
        value["trials"] = serde_json::json!("many");
        let err = Config::from_json(&value.to_string(), "c.json").unwrap_err();
        assert!(err.starts_with("c.json:1:") && err.contains("at /trials: expected"), "{err}");
        assert!(err.contains("found the text \"many\""), "{err}");
        let twice = good.replacen('{', "{\"trials\": 1, \"trials\": 2, ", 1);
        let err = Config::from_json(&twice, "c.json").unwrap_err();
        assert!(err.contains("\"trials\" appears twice in this object"), "{err}");
        let err = Config::from_json("", "c.json").unwrap_err();
        assert!(err.contains("the file is empty"), "{err}");
    }
}
