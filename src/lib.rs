//! fosim: a discrete-event simulator of DNS failover.
//!
//! Data flows one way: scenario file → `scenario::Scenario` → `scenario::Config` →
//! `model` (world + `engine`) → observations (`observe`) → `metrics` → `report::Report` →
//! renderers → files.
//! See ARCHITECTURE.md for the map.

pub mod bench;
pub mod engine;
pub mod import;
pub mod input;
pub mod metrics;
pub mod model;
pub mod observe;
pub mod plot;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod simulate;
pub mod sweep;
pub mod time;
