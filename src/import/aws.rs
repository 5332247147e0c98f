//! `fosim import aws`: the JSON that `aws route53 list-resource-record-sets` prints, and
//! that of `list-health-checks` or `get-health-check` (one or many files).

use super::json::{self, Node};
use super::{Alarm, Alias, Format, HealthCheck, Origin, Record, Zone, normalise_name};
use crate::input::InputError;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Record types Route 53 accepts (`RRType`).
const TYPES: [&str; 16] = [
    "SOA", "A", "TXT", "NS", "CNAME", "MX", "NAPTR", "PTR", "SRV", "SPF", "AAAA", "CAA", "DS", "TLSA", "SSHFP", "SVCB",
];

/// Reads the record sets of one hosted zone and its health checks. With `zone`, only the
/// records inside that zone are kept.
pub fn read(record_sets: &Path, health_checks: &[PathBuf], zone: Option<&str>) -> Result<Zone, InputError> {
    read_with(record_sets, health_checks, zone, &json::load)
}

/// `read`, with `load` reading and parsing each file (`json::load` reads it from disk; a
/// caller holding the text in memory passes `json::parse` over it).
pub fn read_with(
    record_sets: &Path,
    health_checks: &[PathBuf],
    zone: Option<&str>,
    load: &dyn Fn(&Path) -> Result<Value, InputError>,
) -> Result<Zone, InputError> {
    let value = load(record_sets)?;
    let root = Node::root(record_sets, &value);
    let sets = match root.get("ResourceRecordSets") {
        Some(sets) => sets,
        None => {
            return Err(wrong_kind(
                &root,
                "the output of `aws route53 list-resource-record-sets`",
                "ResourceRecordSets",
            ));
        }
    };
    let zone = zone.map(normalise_name);
    let mut out =
        Zone { format: Some(Format::Aws), files: vec![record_sets.to_owned()], zone: zone.clone(), ..Zone::default() };
    let mut outside = 0;
    for node in sets.array()? {
        let record = read_record(&node)?;
        if let Some(zone) = &zone
            && record.name != *zone
            && !record.name.ends_with(&format!(".{zone}"))
        {
            outside += 1;
            continue;
        }
        if record.kind == "SOA" && out.zone.is_none() {
            out.zone = Some(record.name.clone());
        }
        out.records.push(record);
    }
    if outside > 0 {
        out.warnings.push(format!(
            "{}: {outside} record sets outside the zone {} were left out",
            record_sets.display(),
            zone.as_deref().unwrap_or_default()
        ));
    }
    // Check id → its index in `out.health_checks` (the same check may be in several files).
    let mut by_id: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for file in health_checks {
        out.files.push(file.clone());
        let value = load(file)?;
        let root = Node::root(file, &value);
        let checks = match (root.get("HealthChecks"), root.get("HealthCheck")) {
            (Some(list), _) => list.array()?,
            (None, Some(one)) => vec![one],
            (None, None) => {
                return Err(wrong_kind(
                    &root,
                    "the output of `aws route53 list-health-checks` or `aws route53 get-health-check`",
                    "HealthChecks\" or \"HealthCheck",
                ));
            }
        };
        for node in checks {
            let check = read_check(&node)?;
            if let Some(first) = by_id.get(&check.id).map(|&i| &out.health_checks[i]) {
                if *first != (HealthCheck { origin: first.origin.clone(), ..check.clone() }) {
                    return Err(node.error(format!(
                        "the health check {} is also in {} at {}, with other settings",
                        check.id,
                        first.origin.file.display(),
                        first.origin.pointer
                    )));
                }
                continue;
            }
            by_id.insert(check.id.clone(), out.health_checks.len());
            out.health_checks.push(check);
        }
    }
    Ok(out)
}

/// A file of another kind: say what it looks like and which command reads it.
fn wrong_kind(root: &Node, expected: &str, field: &str) -> InputError {
    let looks_like = if root.get("format_version").is_some()
        && (root.get("values").is_some() || root.get("planned_values").is_some())
    {
        " It looks like the output of `terraform show -json`: use `fosim import terraform FILE`."
    } else if root.get("Resources").is_some() || root.get("AWSTemplateFormatVersion").is_some() {
        " It looks like a CloudFormation template: use `fosim import cloudformation FILE`."
    } else if root.get("HealthChecks").is_some() || root.get("HealthCheck").is_some() {
        " It looks like health checks: give it with --health-checks."
    } else if root.get("ResourceRecordSets").is_some() {
        " It looks like record sets: give it with --record-sets."
    } else {
        ""
    };
    if !root.value.is_object() {
        return root
            .error(format!("expected {expected} (an object), found {}.{looks_like}", json::describe(root.value)));
    }
    root.error(format!("expected {expected}, an object with the field \"{field}\"; it has none.{looks_like}"))
}

fn origin(node: &Node, id: Option<&str>) -> Origin {
    Origin { file: node.file.to_owned(), pointer: node.pointer.clone(), id: id.map(str::to_owned) }
}

fn read_record(node: &Node) -> Result<Record, InputError> {
    let name = normalise_name(node.field("Name")?.str()?);
    let kind_node = node.field("Type")?;
    let kind = kind_node.str()?.to_owned();
    if !TYPES.contains(&kind.as_str()) && kind != "HTTPS" {
        return Err(kind_node
            .error(format!("unknown record type \"{kind}\"; Route 53's types are {} and HTTPS", TYPES.join(", "))));
    }
    let mut record = Record {
        name,
        kind,
        set_identifier: node.opt_str("SetIdentifier")?.map(str::to_owned),
        ttl: node.opt_u64("TTL")?,
        health_check_id: node.opt_str("HealthCheckId")?.map(str::to_owned),
        weight: node.opt_u64("Weight")?,
        region: node.opt_str("Region")?.map(str::to_owned),
        multivalue: node.opt_bool("MultiValueAnswer")?.unwrap_or(false),
        origin: origin(node, None),
        ..Record::default()
    };
    if let Some(failover) = node.get("Failover") {
        let value = failover.str()?;
        if value != "PRIMARY" && value != "SECONDARY" {
            return Err(failover.error(format!("expected PRIMARY or SECONDARY, found \"{value}\"")));
        }
        record.failover = Some(value.to_owned());
    }
    if let Some(values) = node.get("ResourceRecords") {
        for value in values.array()? {
            record.values.push(value.field("Value")?.str()?.to_owned());
        }
    }
    if let Some(alias) = node.get("AliasTarget") {
        record.alias = Some(Alias {
            dns_name: normalise_name(alias.field("DNSName")?.str()?),
            evaluate_target_health: alias.field("EvaluateTargetHealth")?.bool()?,
            hosted_zone_id: alias.opt_str("HostedZoneId")?.map(str::to_owned),
        });
    }
    for (field, policy) in [
        ("GeoLocation", "geolocation"),
        ("GeoProximityLocation", "geoproximity"),
        ("CidrRoutingConfig", "CIDR"),
        ("TrafficPolicyInstanceId", "traffic policy"),
    ] {
        if node.get(field).is_some() {
            record.unsupported_policy = Some(policy.to_owned());
        }
    }
    if record.alias.is_none() && record.values.is_empty() {
        return Err(node.error("a record set needs \"ResourceRecords\" or \"AliasTarget\"; it has neither"));
    }
    Ok(record)
}

fn read_check(node: &Node) -> Result<HealthCheck, InputError> {
    let id = node.field("Id")?.str()?;
    let config = node.field("HealthCheckConfig")?;
    let kind = config.field("Type")?.str()?.to_owned();
    let mut check = HealthCheck {
        id: id.to_owned(),
        kind,
        ip_address: config.opt_str("IPAddress")?.map(str::to_owned),
        fqdn: config.opt_str("FullyQualifiedDomainName")?.map(normalise_name),
        port: config.opt_u64("Port")?,
        resource_path: config.opt_str("ResourcePath")?.map(str::to_owned),
        search_string: config.opt_str("SearchString")?.map(str::to_owned),
        request_interval: config.opt_u64("RequestInterval")?,
        failure_threshold: config.opt_u64("FailureThreshold")?,
        regions: config.strings("Regions")?,
        inverted: config.opt_bool("Inverted")?.unwrap_or(false),
        disabled: config.opt_bool("Disabled")?.unwrap_or(false),
        health_threshold: config.opt_u64("HealthThreshold")?,
        children: config.strings("ChildHealthChecks")?,
        insufficient_data: config.opt_str("InsufficientDataHealthStatus")?.map(str::to_owned),
        alarm: None,
        origin: origin(node, Some(id)),
    };
    if let Some(identifier) = config.get("AlarmIdentifier") {
        let mut alarm = Alarm {
            name: identifier.field("Name")?.str()?.to_owned(),
            region: identifier.opt_str("Region")?.map(str::to_owned),
            ..Alarm::default()
        };
        if let Some(c) = node.get("CloudWatchAlarmConfiguration") {
            alarm.metric_name = c.opt_str("MetricName")?.map(str::to_owned);
            alarm.namespace = c.opt_str("Namespace")?.map(str::to_owned);
            alarm.statistic = c.opt_str("Statistic")?.map(str::to_owned);
            alarm.comparison = c.opt_str("ComparisonOperator")?.map(str::to_owned);
            alarm.threshold = c.opt_f64("Threshold")?;
            alarm.period = c.opt_u64("Period")?;
            alarm.evaluation_periods = c.opt_u64("EvaluationPeriods")?;
            if let Some(dimensions) = c.get("Dimensions") {
                for d in dimensions.array()? {
                    alarm.dimensions.push((d.field("Name")?.str()?.to_owned(), d.field("Value")?.str()?.to_owned()));
                }
            }
        }
        check.alarm = Some(alarm);
    }
    Ok(check)
}

/// A record set in the shape `change-resource-record-sets` takes (for `--export aws`).
pub fn record_set_json(record: &Record, ttl: Option<u64>) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("Name".into(), Value::from(format!("{}.", record.name)));
    out.insert("Type".into(), Value::from(record.kind.clone()));
    if let Some(id) = &record.set_identifier {
        out.insert("SetIdentifier".into(), Value::from(id.clone()));
    }
    if let Some(failover) = &record.failover {
        out.insert("Failover".into(), Value::from(failover.clone()));
    }
    if let Some(weight) = record.weight {
        out.insert("Weight".into(), Value::from(weight));
    }
    if let Some(region) = &record.region {
        out.insert("Region".into(), Value::from(region.clone()));
    }
    if record.multivalue {
        out.insert("MultiValueAnswer".into(), Value::from(true));
    }
    if let Some(alias) = &record.alias {
        out.insert(
            "AliasTarget".into(),
            serde_json::json!({
                "HostedZoneId": alias.hosted_zone_id.clone().unwrap_or_default(),
                "DNSName": format!("{}.", alias.dns_name),
                "EvaluateTargetHealth": alias.evaluate_target_health
            }),
        );
    } else {
        out.insert("TTL".into(), Value::from(ttl.or(record.ttl).unwrap_or(300)));
        let values: Vec<Value> = record.values.iter().map(|v| serde_json::json!({ "Value": v })).collect();
        out.insert("ResourceRecords".into(), Value::from(values));
    }
    if let Some(id) = &record.health_check_id {
        out.insert("HealthCheckId".into(), Value::from(id.clone()));
    }
    Value::Object(out)
}

/// A health check's `HealthCheckConfig` in the API's shape (for `--export aws`).
pub fn health_check_config_json(check: &HealthCheck) -> Value {
    let mut out = serde_json::Map::new();
    let mut put = |key: &str, value: Value| {
        out.insert(key.to_owned(), value);
    };
    put("Type", Value::from(check.kind.clone()));
    if let Some(ip) = &check.ip_address {
        put("IPAddress", Value::from(ip.clone()));
    }
    if let Some(fqdn) = &check.fqdn {
        put("FullyQualifiedDomainName", Value::from(fqdn.clone()));
    }
    if let Some(port) = check.port {
        put("Port", Value::from(port));
    }
    if let Some(path) = &check.resource_path {
        put("ResourcePath", Value::from(path.clone()));
    }
    if let Some(search) = &check.search_string {
        put("SearchString", Value::from(search.clone()));
    }
    if let Some(interval) = check.request_interval {
        put("RequestInterval", Value::from(interval));
    }
    if let Some(threshold) = check.failure_threshold {
        put("FailureThreshold", Value::from(threshold));
    }
    if !check.regions.is_empty() {
        put("Regions", Value::from(check.regions.clone()));
    }
    if check.inverted {
        put("Inverted", Value::from(true));
    }
    if check.disabled {
        put("Disabled", Value::from(true));
    }
    if let Some(threshold) = check.health_threshold {
        put("HealthThreshold", Value::from(threshold));
    }
    if !check.children.is_empty() {
        put("ChildHealthChecks", Value::from(check.children.clone()));
    }
    if let Some(alarm) = &check.alarm {
        put(
            "AlarmIdentifier",
            serde_json::json!({ "Region": alarm.region.clone().unwrap_or_default(), "Name": alarm.name }),
        );
    }
    if let Some(status) = &check.insufficient_data {
        put("InsufficientDataHealthStatus", Value::from(status.clone()));
    }
    Value::Object(out)
}
