//! One fault as the comparison sees it, whichever side it comes from: a measured trial or a
//! predicted episode, reduced to the figures that are compared (docs/validation.md lists how
//! each side defines them).

/// The compared figures of one trial (measured) or one episode (predicted).
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Measured: PowerDNS's answer left the primary for good (`detection_s`); predicted: the
    /// one name server's switch (`dns_switch_last_s`). Seconds from the fault's start.
    pub detection_s: Option<f64>,
    /// Slowest active client's failover; `None` when a client was stranded.
    pub last_switched_s: Option<f64>,
    /// Mean failover over the active clients that switched.
    pub failover_mean_s: Option<f64>,
    /// Requests sent to the primary during the fault, per active client.
    pub misrouted_per_active: Option<f64>,
    pub active: u64,
    pub stranded: u64,
    /// Every active client's failover time; `+∞` for a stranded client.
    pub failover_s: Vec<f64>,
}
