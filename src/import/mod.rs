//! Importing a real zone: the JSON that `aws route53 list-resource-record-sets` and
//! `list-health-checks` print, `terraform show -json` (state or saved plan) and
//! CloudFormation templates (docs/import.md).
//!
//! Data flows one way: each format's reader (`aws.rs`, `terraform.rs`, `cloudformation.rs`)
//! turns its files into one `Zone` — Route 53's own records and health checks, in its API's
//! terms, with where each came from — and `scenario.rs` turns a `Zone` into a scenario that
//! runs as is, with a warning for everything it approximated or dropped. Readers never
//! guess: a value they cannot know (an unknown id in a plan, an intrinsic function in a
//! template) is a warning or an error with its JSON Pointer.

pub mod aws;
pub mod cloudformation;
pub mod export;
pub mod json;
pub mod scenario;
pub mod terraform;

use std::path::PathBuf;

/// Where the files came from; kept in the scenario so that `--export` can write changes in
/// the same form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Aws,
    Terraform,
    Cloudformation,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Aws => "aws",
            Format::Terraform => "terraform",
            Format::Cloudformation => "cloudformation",
        }
    }
}

/// Where one record or health check was read: its file, its JSON Pointer there, and the
/// id its format gives it (a Route 53 id, a Terraform resource address, a CloudFormation
/// logical id).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Origin {
    pub file: PathBuf,
    pub pointer: String,
    pub id: Option<String>,
}

/// One Route 53 resource record set (one record of a routing policy), as the API has it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    /// Lower case, without the trailing dot, `\052` read as `*`.
    pub name: String,
    /// `A`, `AAAA`, `CNAME`, …
    pub kind: String,
    pub set_identifier: Option<String>,
    /// `PRIMARY` or `SECONDARY`.
    pub failover: Option<String>,
    pub ttl: Option<u64>,
    /// The addresses or host names of `ResourceRecords`.
    pub values: Vec<String>,
    pub alias: Option<Alias>,
    /// Matches a `HealthCheck::id`.
    pub health_check_id: Option<String>,
    pub weight: Option<u64>,
    /// Latency routing.
    pub region: Option<String>,
    pub multivalue: bool,
    /// A routing policy fosim does not model ("geolocation", "geoproximity", "CIDR"), kept
    /// to say so.
    pub unsupported_policy: Option<String>,
    pub origin: Origin,
}

/// An `AliasTarget`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Alias {
    /// Normalised like `Record::name`.
    pub dns_name: String,
    pub evaluate_target_health: bool,
    /// The target's hosted zone, when the files give it (export writes it back).
    pub hosted_zone_id: Option<String>,
}

/// One Route 53 health check, with `HealthCheckConfig`'s fields (absent ones at Route 53's
/// defaults are `None`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HealthCheck {
    /// What records name it by: a Route 53 id, or a resource address when the id is not
    /// known yet.
    pub id: String,
    /// `HTTP`, `HTTPS`, `HTTP_STR_MATCH`, `HTTPS_STR_MATCH`, `TCP`, `CALCULATED`,
    /// `CLOUDWATCH_METRIC`, `RECOVERY_CONTROL`.
    pub kind: String,
    pub ip_address: Option<String>,
    pub fqdn: Option<String>,
    pub port: Option<u64>,
    pub resource_path: Option<String>,
    pub search_string: Option<String>,
    /// Seconds: 10 or 30.
    pub request_interval: Option<u64>,
    pub failure_threshold: Option<u64>,
    /// Empty: Route 53's default, every region.
    pub regions: Vec<String>,
    pub inverted: bool,
    pub disabled: bool,
    pub health_threshold: Option<u64>,
    /// Ids of the child checks.
    pub children: Vec<String>,
    /// `InsufficientDataHealthStatus`: `Healthy`, `Unhealthy`, `LastKnownStatus`.
    pub insufficient_data: Option<String>,
    /// The alarm a CloudWatch check follows, with its settings when the files have them.
    pub alarm: Option<Alarm>,
    pub origin: Origin,
}

/// A CloudWatch alarm (`AlarmIdentifier` plus `CloudWatchAlarmConfiguration`, or an
/// `aws_cloudwatch_metric_alarm` / `AWS::CloudWatch::Alarm` resource).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Alarm {
    pub name: String,
    pub region: Option<String>,
    pub metric_name: Option<String>,
    pub namespace: Option<String>,
    pub statistic: Option<String>,
    /// `GreaterThanOrEqualToThreshold`, …
    pub comparison: Option<String>,
    pub threshold: Option<f64>,
    /// Seconds.
    pub period: Option<u64>,
    pub evaluation_periods: Option<u64>,
    /// `(name, value)`, e.g. `("LoadBalancer", "app/web/0123")`.
    pub dimensions: Vec<(String, String)>,
}

/// Everything read from one import's files.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Zone {
    pub format: Option<Format>,
    pub files: Vec<PathBuf>,
    /// `--zone`, or the zone the files name, when known (without the trailing dot).
    pub zone: Option<String>,
    pub records: Vec<Record>,
    pub health_checks: Vec<HealthCheck>,
    /// Alarms defined next to the checks (Terraform, CloudFormation), by name.
    pub alarms: Vec<Alarm>,
    /// What the reader skipped or could not know, in plain words.
    pub warnings: Vec<String>,
}

/// A DNS name as Route 53 compares them: lower case, no trailing dot, `\052` as `*`.
pub fn normalise_name(name: &str) -> String {
    let name = name.trim().trim_end_matches('.').replace("\\052", "*");
    name.to_ascii_lowercase()
}
