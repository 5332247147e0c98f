//! `--export aws|terraform`: a tuned point's changes to an imported scenario, written in the
//! form its owner applies them (SPEC §8).
//!
//! Input: the base scenario as imported (its `origin` holds each health check's and record's
//! id and Route 53 shape) and the changes, as (JSON Pointer, new value). Output: files.
//! - AWS: per health check an `update-health-check --cli-input-json` input; a request
//!   interval or type, which Route 53 cannot change in place, becomes a
//!   `create-health-check` input and the records' switch to the new check; record changes
//!   are UPSERTs in one `change-resource-record-sets --change-batch`.
//! - Terraform: the changed attributes of each resource, by address.
//!   Changes that are not Route 53 settings (clients, faults, fosim-only fields) are listed
//!   in the README as not exported.

use serde_json::{Map, Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Aws,
    Terraform,
}

/// One file to write under the export directory.
pub type File = (String, Vec<u8>);

/// What a change of the scenario means for Route 53.
enum Change<'a> {
    /// A health check's field (the API's name) and new value.
    Check {
        name: &'a str,
        field: &'static str,
        value: Value,
        immutable: bool,
    },
    /// A record set's TTL.
    Ttl {
        set: &'a str,
        ttl_s: u64,
    },
    /// A record's field.
    Record {
        set: &'a str,
        member: &'a str,
        field: &'static str,
        value: Value,
    },
    NotRoute53 {
        pointer: &'a str,
        why: String,
    },
}

/// A duration in whole seconds ("30s" or 30), as Route 53 takes it.
fn seconds(value: &Value) -> Option<u64> {
    let us = match value {
        Value::String(text) => crate::time::parse_duration(text).ok()?,
        Value::Number(n) => crate::time::seconds_checked(n.as_f64()?).ok()?,
        _ => return None,
    };
    (us % 1_000_000 == 0).then_some(us / 1_000_000)
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

fn classify<'a>(origin: &Value, pointer: &'a str, value: &Value) -> Change<'a> {
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    let not = |why: &str| Change::NotRoute53 { pointer, why: why.to_owned() };
    match segments.as_slice() {
        ["health_checks", name, field] => {
            let name_owned = unescape(name);
            if origin["health_checks"].get(&name_owned).is_none() {
                return not("a health check that was not imported");
            }
            // Names in the origin are unescaped; keep a borrowed form for the common case.
            let name: &'a str = name;
            let (api, immutable, value) = match *field {
                "failure_threshold" => ("FailureThreshold", false, value.clone()),
                "regions" => ("Regions", false, value.clone()),
                "inverted" => ("Inverted", false, value.clone()),
                "disabled" => ("Disabled", false, value.clone()),
                "health_threshold" => ("HealthThreshold", false, value.clone()),
                "request_interval" => match seconds(value) {
                    Some(s) => ("RequestInterval", true, Value::from(s)),
                    None => return not("a request interval that is not a fixed duration"),
                },
                "type" => ("Type", true, Value::from(value.as_str().unwrap_or_default().to_ascii_uppercase())),
                "period" | "threshold" | "evaluation_periods" | "comparison" => {
                    return not("a setting of the CloudWatch alarm, not of the health check: change the alarm");
                }
                _ => return not("a fosim setting with no Route 53 field"),
            };
            Change::Check { name, field: api, value, immutable }
        }
        ["dns", "records", set, "ttl"] => match seconds(value) {
            Some(ttl_s) => Change::Ttl { set, ttl_s },
            None => not("a TTL that is not a fixed duration"),
        },
        ["dns", "records", set, "simple", field] => classify_record(set, "record 1", field, value, pointer),
        ["dns", "records", set, _policy, member, field] => classify_record(set, member, field, value, pointer),
        _ => not("not a Route 53 setting"),
    }
}

/// A record's field: weight, ETH or health check (a simple set's record is "record 1").
fn classify_record<'a>(set: &'a str, member: &'a str, field: &str, value: &Value, pointer: &'a str) -> Change<'a> {
    let api = match field {
        "weight" => "Weight",
        "evaluate_target_health" => "EvaluateTargetHealth",
        "health_check" => "HealthCheckId",
        _ => return Change::NotRoute53 { pointer, why: "a record field fosim cannot export".to_owned() },
    };
    Change::Record { set, member, field: api, value: value.clone() }
}

/// FNV-1a: a stable short hash for caller references.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

fn slug(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' }).collect()
}

fn pretty(value: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("JSON values serialise");
    bytes.push(b'\n');
    bytes
}

/// The export files for `changes` to the imported scenario `base`; an error in plain words
/// when the scenario was not imported or not from the right format.
pub fn export(base: &Value, changes: &[(String, Value)], target: Target, label: &str) -> Result<Vec<File>, String> {
    let origin = base.get("origin").filter(|o| o.is_object()).ok_or_else(|| {
        "the base scenario has no \"origin\": only a scenario made by `fosim import` can be exported".to_owned()
    })?;
    let format = origin["format"].as_str().unwrap_or_default();
    if target == Target::Terraform && format != "terraform" {
        return Err(format!(
            "--export terraform needs a scenario imported from Terraform (`fosim import terraform`); this one came from {format}: use --export aws"
        ));
    }
    let classified: Vec<Change> = changes.iter().map(|(p, v)| classify(origin, p, v)).collect();
    match target {
        Target::Aws => Ok(aws(origin, &classified, label)),
        Target::Terraform => Ok(terraform(origin, &classified, label)),
    }
}

/// Route 53's shape of every record of a set, by member.
fn members<'a>(origin: &'a Value, set: &str) -> Vec<(&'a str, &'a Value)> {
    origin["records"][set].as_object().map_or_else(Vec::new, |m| m.iter().map(|(k, v)| (k.as_str(), v)).collect())
}

fn check_id(origin: &Value, name: &str) -> String {
    origin["health_checks"][name]["id"].as_str().unwrap_or(name).to_owned()
}

fn aws(origin: &Value, changes: &[Change], label: &str) -> Vec<File> {
    let mut files = Vec::new();
    let mut readme = vec![format!("# Applying {label} to Route 53\n")];
    // Health checks: updates by check, in the order of the changes.
    let mut updates: Vec<(String, Map<String, Value>)> = Vec::new();
    let mut recreated: Vec<(String, Map<String, Value>)> = Vec::new();
    for change in changes {
        if let Change::Check { name, field, value, immutable } = change {
            let name = unescape(name);
            let list = if *immutable { &mut recreated } else { &mut updates };
            let entry = match list.iter().position(|(n, _)| *n == name) {
                Some(i) => &mut list[i].1,
                None => {
                    list.push((name.clone(), Map::new()));
                    &mut list.last_mut().expect("just pushed").1
                }
            };
            entry.insert((*field).to_owned(), value.clone());
        }
    }
    // Record UPSERTs, by (set, member), starting from the imported record.
    let mut upserts: Vec<(String, String, Value)> = Vec::new();
    let upsert = |upserts: &mut Vec<(String, String, Value)>, set: &str, member: &str, record: &Value| -> usize {
        if let Some(i) = upserts.iter().position(|(s, m, _)| s == set && m == member) {
            return i;
        }
        upserts.push((set.to_owned(), member.to_owned(), record.clone()));
        upserts.len() - 1
    };
    for change in changes {
        match change {
            Change::Ttl { set, ttl_s } => {
                let set = unescape(set);
                for (member, record) in members(origin, &set) {
                    if record["route53"].get("TTL").is_some() {
                        let i = upsert(&mut upserts, &set, member, &record["route53"]);
                        upserts[i].2["TTL"] = Value::from(*ttl_s);
                    }
                }
            }
            Change::Record { set, member, field, value } => {
                let (set, member) = (unescape(set), unescape(member));
                let Some(record) = origin["records"][&set].get(&member) else { continue };
                let i = upsert(&mut upserts, &set, &member, &record["route53"]);
                let r53 = &mut upserts[i].2;
                match *field {
                    "EvaluateTargetHealth" => r53["AliasTarget"]["EvaluateTargetHealth"] = value.clone(),
                    "HealthCheckId" => {
                        r53["HealthCheckId"] = Value::from(check_id(origin, value.as_str().unwrap_or_default()))
                    }
                    _ => r53[*field] = value.clone(),
                }
            }
            _ => {}
        }
    }
    for (name, fields) in updates.iter().filter(|(n, _)| !recreated.iter().any(|(r, _)| r == n)) {
        let mut input = Map::new();
        input.insert("HealthCheckId".into(), Value::from(check_id(origin, name)));
        input.extend(fields.clone());
        let file = format!("update-health-check-{}.json", slug(name));
        readme.push(format!("- Health check {name}: `aws route53 update-health-check --cli-input-json file://{file}`"));
        files.push((file, pretty(&Value::Object(input))));
    }
    for (name, fields) in &recreated {
        let mut config = origin["health_checks"][name]["route53"].clone();
        for (k, v) in fields {
            config[k] = v.clone();
        }
        if let Some(u) = updates.iter().find(|(n, _)| n == name) {
            for (k, v) in &u.1 {
                config[k] = v.clone();
            }
        }
        let changed: Vec<&str> = fields.keys().map(String::as_str).collect();
        let file = format!("create-health-check-{}.json", slug(name));
        // Unique per check and recommendation, at most 64 characters (Route 53's limit).
        let reference: String =
            format!("fosim-{:016x}-{}", fnv(&format!("{name}\n{label}")), slug(name)).chars().take(64).collect();
        let input = json!({ "CallerReference": reference, "HealthCheckConfig": config });
        files.push((file.clone(), pretty(&input)));
        // The records that use the old check switch to the new one.
        let placeholder = format!("NEW-ID-OF-{}", slug(name));
        let mut switch = Vec::new();
        for (set, members) in origin["records"].as_object().into_iter().flatten() {
            for (member, record) in members.as_object().into_iter().flatten() {
                if record["route53"]["HealthCheckId"].as_str() == Some(&check_id(origin, name)) {
                    let mut r53 = match upserts.iter().position(|(s, m, _)| s == set && m == member) {
                        Some(i) => upserts.remove(i).2,
                        None => record["route53"].clone(),
                    };
                    r53["HealthCheckId"] = Value::from(placeholder.clone());
                    switch.push(json!({ "Action": "UPSERT", "ResourceRecordSet": r53 }));
                }
            }
        }
        // Calculated checks that list the old check as a child list the new one instead.
        for (parent, settings) in origin["health_checks"].as_object().into_iter().flatten() {
            let children = settings["route53"]["ChildHealthChecks"].as_array();
            let old_id = Value::from(check_id(origin, name));
            if let Some(children) = children.filter(|c| c.contains(&old_id)) {
                let children: Vec<Value> = children
                    .iter()
                    .map(|c| if *c == old_id { Value::from(placeholder.clone()) } else { c.clone() })
                    .collect();
                let file = format!("update-health-check-{}-children.json", slug(parent));
                files.push((
                    file.clone(),
                    pretty(&json!({ "HealthCheckId": check_id(origin, parent), "ChildHealthChecks": children })),
                ));
                readme.push(format!(
                    "- Calculated health check {parent}: after creating the new {name}, put its Id in place of \
                     {placeholder} in {file} and apply it with `aws route53 update-health-check --cli-input-json file://{file}`."
                ));
            }
        }
        if switch.is_empty() {
            readme.push(format!(
                "- Health check {name}: Route 53 cannot change {} in place. Create a new check with \
                 `aws route53 create-health-check --cli-input-json file://{file}`, then delete the old check ({}) \
                 once nothing uses it.",
                changed.join(" and "),
                check_id(origin, name)
            ));
            continue;
        }
        let switch_file = format!("switch-records-to-new-{}.json", slug(name));
        readme.push(format!(
            "- Health check {name}: Route 53 cannot change {} in place. Create a new check with \
             `aws route53 create-health-check --cli-input-json file://{file}`, put its Id in place of \
             {placeholder} in {switch_file}, apply it with `aws route53 change-resource-record-sets \
             --hosted-zone-id ZONE-ID --change-batch file://{switch_file}`, then delete the old check \
             ({}) with `aws route53 delete-health-check --health-check-id …`.",
            changed.join(" and "),
            check_id(origin, name)
        ));
        files.push((
            switch_file,
            pretty(&json!({ "Comment": format!("fosim: switch to the new health check {name}"), "Changes": switch })),
        ));
    }
    if !upserts.is_empty() {
        let changes: Vec<Value> =
            upserts.iter().map(|(_, _, r)| json!({ "Action": "UPSERT", "ResourceRecordSet": r })).collect();
        let file = "change-resource-record-sets.json".to_owned();
        readme.push(format!(
            "- Records: `aws route53 change-resource-record-sets --hosted-zone-id ZONE-ID --change-batch file://{file}` \
             (ZONE-ID: the hosted zone of {})",
            upserts.iter().map(|(s, _, _)| s.as_str()).collect::<std::collections::BTreeSet<_>>().into_iter().collect::<Vec<_>>().join(", ")
        ));
        files.push((file, pretty(&json!({ "Comment": format!("fosim: {label}"), "Changes": changes }))));
    }
    not_exported(&mut readme, changes);
    files.push(("README.md".to_owned(), (readme.join("\n") + "\n").into_bytes()));
    files
}

fn not_exported(readme: &mut Vec<String>, changes: &[Change]) {
    let skipped: Vec<String> = changes
        .iter()
        .filter_map(|c| match c {
            Change::NotRoute53 { pointer, why } => Some(format!("- {pointer}: {why}")),
            _ => None,
        })
        .collect();
    if !skipped.is_empty() {
        readme.push("\nNot exported (change these yourself, or they are only fosim's):".to_owned());
        readme.extend(skipped);
    }
    if changes.is_empty() {
        readme.push("The recommended point is the base scenario: nothing to change.".to_owned());
    }
}

/// Terraform's attribute for a Route 53 API field.
fn terraform_attribute(field: &str) -> &'static str {
    match field {
        "FailureThreshold" => "failure_threshold",
        "Regions" => "regions",
        "Inverted" => "invert_healthcheck",
        "Disabled" => "disabled",
        "HealthThreshold" => "child_health_threshold",
        "RequestInterval" => "request_interval",
        "Type" => "type",
        _ => "unknown",
    }
}

fn hcl(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        Value::Array(items) => format!("[{}]", items.iter().map(hcl).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

/// `module.dns.aws_route53_health_check.primary[0]` → `aws_route53_health_check`, `primary`.
fn resource_of(address: &str) -> (String, String) {
    let parts: Vec<&str> = address.split('.').collect();
    let n = parts.len();
    if n >= 2 {
        let name = parts[n - 1].split('[').next().unwrap_or(parts[n - 1]);
        (parts[n - 2].to_owned(), name.to_owned())
    } else {
        ("resource".to_owned(), address.to_owned())
    }
}

fn terraform(origin: &Value, changes: &[Change], label: &str) -> Vec<File> {
    let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
    let mut add = |address: String, line: String| match blocks.iter_mut().find(|(a, _)| *a == address) {
        Some((_, lines)) => {
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
        None => blocks.push((address, vec![line])),
    };
    let mut notes = Vec::new();
    for change in changes {
        match change {
            Change::Check { name, field, value, immutable } => {
                let name = unescape(name);
                let check = &origin["health_checks"][&name];
                let address = check["source_id"].as_str().or(check["id"].as_str()).unwrap_or(&name).to_owned();
                let value =
                    if *field == "Type" { Value::from(value.as_str().unwrap_or_default()) } else { value.clone() };
                add(address.clone(), format!("  {} = {}", terraform_attribute(field), hcl(&value)));
                if *immutable {
                    notes.push(format!(
                        "- {address}: {} cannot change in place; Terraform replaces the health check, and records \
                         that reference its id follow",
                        terraform_attribute(field)
                    ));
                }
            }
            Change::Ttl { set, ttl_s } => {
                for (_, record) in members(origin, &unescape(set)) {
                    if record["route53"].get("TTL").is_some()
                        && let Some(address) = record["source_id"].as_str()
                    {
                        add(address.to_owned(), format!("  ttl = {ttl_s}"));
                    }
                }
            }
            Change::Record { set, member, field, value } => {
                let record = &origin["records"][unescape(set)][unescape(member)];
                let Some(address) = record["source_id"].as_str() else { continue };
                let line = match *field {
                    "Weight" => format!("  weighted_routing_policy {{\n    weight = {}\n  }}", hcl(value)),
                    "EvaluateTargetHealth" => format!(
                        "  alias {{\n    name                   = {:?}\n    zone_id                = {:?}\n    evaluate_target_health = {}\n  }}",
                        record["route53"]["AliasTarget"]["DNSName"].as_str().unwrap_or_default().trim_end_matches('.'),
                        record["route53"]["AliasTarget"]["HostedZoneId"].as_str().unwrap_or_default(),
                        hcl(value)
                    ),
                    _ => {
                        let check = value.as_str().unwrap_or_default();
                        let target = origin["health_checks"][check]["source_id"]
                            .as_str()
                            .or(origin["health_checks"][check]["id"].as_str())
                            .unwrap_or(check);
                        if target.contains("aws_route53_health_check.") {
                            format!(
                                "  health_check_id = {}.id",
                                target
                                    .rsplit_once("aws_route53_health_check.")
                                    .map_or(target.to_owned(), |(_, n)| format!("aws_route53_health_check.{n}"))
                            )
                        } else {
                            format!("  health_check_id = {target:?}")
                        }
                    }
                };
                add(address.to_owned(), line);
            }
            Change::NotRoute53 { .. } => {}
        }
    }
    let mut text = format!(
        "# fosim: {label}\n# The changed attributes of each resource, by address: merge them into your configuration,\n# then `terraform plan`.\n"
    );
    for (address, lines) in &blocks {
        let (kind, name) = resource_of(address);
        text.push_str(&format!("\n# {address}\nresource \"{kind}\" \"{name}\" {{\n{}\n}}\n", lines.join("\n")));
    }
    let mut readme =
        vec![format!("# Applying {label} with Terraform\n"), "Merge changes.tf into your configuration.".to_owned()];
    readme.extend(notes);
    not_exported(&mut readme, changes);
    vec![
        ("changes.tf".to_owned(), text.into_bytes()),
        ("README.md".to_owned(), (readme.join("\n") + "\n").into_bytes()),
    ]
}
