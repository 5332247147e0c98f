//! Health-check presets: a system's documented defaults for every field of a health
//! check (docs/model.md §3.10, with sources). A field given in the scenario overrides its
//! preset's value.

use super::{CheckType, Overrun, Quorum, Schedule};
use crate::time::{SimDuration, US_PER_S};

/// One system's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Preset {
    pub name: &'static str,
    /// The system and version whose behaviour the preset follows, for output.
    pub system: &'static str,
    pub check_type: CheckType,
    pub schedule: Schedule,
    pub interval_us: SimDuration,
    pub on_overrun: Overrun,
    pub failure_threshold: u32,
    /// None: the failure threshold.
    pub recovery_threshold: Option<u32>,
    /// None: the type's own limits (Route 53's).
    pub timeout_us: Option<SimDuration>,
    pub regions: &'static [&'static str],
    pub checkers_per_region: u32,
    pub quorum: Quorum,
    pub healthy_fraction: f64,
    /// Unused checks are dropped after this long (None: never).
    pub expire_unused_us: Option<SimDuration>,
    /// Whether values outside this system's allowed ranges are warned about (Route 53's).
    pub route53_limits: bool,
}

/// The eight regions Route 53 health checkers run in by default.
pub const ROUTE53_REGIONS: [&str; 8] = [
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
];

/// Route 53: every default of docs/model.md §3.
pub const ROUTE53: Preset = Preset {
    name: "route53",
    system: "Amazon Route 53",
    check_type: CheckType::Http,
    schedule: Schedule::AfterResponse,
    interval_us: 30 * US_PER_S,
    on_overrun: Overrun::Delay,
    failure_threshold: 3,
    recovery_threshold: None,
    timeout_us: None,
    regions: &ROUTE53_REGIONS,
    checkers_per_region: 2,
    quorum: Quorum::FractionAbove,
    healthy_fraction: 0.18,
    expire_unused_us: None,
    route53_limits: true,
};

/// PowerDNS Authoritative 4.7 (Debian 12's), a LUA record with `ifurlup`: one checker (the
/// server itself), rounds every `lua-health-checks-interval` (5 s) on a fixed timer that
/// waits for the slowest check, one GET whose whole transfer must finish within the
/// `timeout` option (2 s), a status that follows every single result, and checks dropped
/// after an hour unused (`lua-health-checks-expire-delay`).
pub const POWERDNS_LUA: Preset = Preset {
    name: "powerdns_lua",
    system: "PowerDNS Authoritative 4.7, LUA ifurlup",
    check_type: CheckType::Http,
    schedule: Schedule::FixedRate,
    interval_us: 5 * US_PER_S,
    on_overrun: Overrun::Delay,
    failure_threshold: 1,
    recovery_threshold: Some(1),
    timeout_us: Some(2 * US_PER_S),
    regions: &["local"],
    checkers_per_region: 1,
    quorum: Quorum::Any,
    healthy_fraction: 0.0,
    expire_unused_us: Some(3_600 * US_PER_S),
    route53_limits: false,
};

pub const PRESETS: [&Preset; 2] = [&ROUTE53, &POWERDNS_LUA];

pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().copied().find(|p| p.name == name)
}
