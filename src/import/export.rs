//! `--export aws|terraform`: a tuned point's changes to an imported scenario, written in the
//! form its owner applies them (docs/import.md).
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

/// The Terraform address of every imported health check and record.
fn imported_addresses(origin: &Value) -> Vec<&str> {
    let checks = origin["health_checks"].as_object().into_iter().flat_map(|m| m.values());
    let records = origin["records"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .flat_map(|set| set.as_object().into_iter().flat_map(|m| m.values()));
    let mut out: Vec<&str> = checks.chain(records).filter_map(|o| o["source_id"].as_str()).collect();
    out.sort_unstable();
    out.dedup();
    out
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

/// Whether `base` can be exported as `target`: it must come from `fosim import`, and from
/// Terraform for a Terraform snippet. Checked before a sweep runs, and again on export.
pub fn exportable(base: &Value, target: Target) -> Result<&Value, String> {
    let origin = base.get("origin").filter(|o| o.is_object()).ok_or_else(|| {
        "the base scenario has no \"origin\": only a scenario made by `fosim import` can be exported".to_owned()
    })?;
    let format = origin["format"].as_str().unwrap_or_default();
    if target == Target::Terraform && format != "terraform" {
        return Err(format!(
            "--export terraform needs a scenario imported from Terraform (`fosim import terraform`); this one came from {format}: use --export aws"
        ));
    }
    Ok(origin)
}

/// The export files for `changes` to the imported scenario `base`; an error in plain words
/// when the scenario was not imported or not from the right format.
pub fn export(base: &Value, changes: &[(String, Value)], target: Target, label: &str) -> Result<Vec<File>, String> {
    let origin = exportable(base, target)?;
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
        // JSON's escapes are HCL's; `${` and `%{` would start a template, so they are doubled.
        Value::String(s) => {
            serde_json::to_string(s).expect("strings serialise").replace("${", "$${").replace("%{", "%%{")
        }
        Value::Array(items) => format!("[{}]", items.iter().map(hcl).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

/// A Terraform resource instance address, split:
/// `module.dns["eu"].aws_route53_record.www["app.example.com"]` → module `module.dns["eu"]`,
/// type `aws_route53_record`, name `www`, instance key `["app.example.com"]`. Dots inside an
/// index (a `for_each` key) do not split. `None` for anything else (a data source, an id).
#[derive(Debug, PartialEq, Eq)]
struct Address<'a> {
    module: &'a str,
    kind: &'a str,
    name: &'a str,
    key: &'a str,
}

fn parse_address(address: &str) -> Option<Address<'_>> {
    let mut steps = Vec::new();
    let (mut start, mut depth, mut quoted, mut escaped) = (0, 0usize, false, false);
    for (i, c) in address.char_indices() {
        if quoted {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quoted = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            '[' => depth += 1,
            ']' => depth = depth.checked_sub(1)?,
            '.' if depth == 0 => {
                steps.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
    }
    if quoted || depth != 0 {
        return None;
    }
    steps.push((start, address.len()));
    let step = |k: usize| &address[steps[k].0..steps[k].1];
    let mut k = 0;
    while k + 2 < steps.len() && step(k) == "module" {
        k += 2;
    }
    if steps.len() - k != 2 {
        return None;
    }
    let module = if k == 0 { "" } else { &address[..steps[k].0 - 1] };
    let (kind, last) = (step(k), step(k + 1));
    let (name, key) = last.split_at(last.find('[').unwrap_or(last.len()));
    let identifier = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    (identifier(kind) && identifier(name)).then_some(Address { module, kind, name, key })
}

/// One line of a resource block: an attribute (aligned as `terraform fmt` does) or a nested
/// block, already indented.
#[derive(Clone, PartialEq)]
enum Line {
    Attr(&'static str, String),
    Block(String),
}

fn render(lines: &[Line]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        if let Line::Block(text) = &lines[i] {
            out.push_str(text);
            out.push('\n');
            i += 1;
            continue;
        }
        let run: Vec<(&str, &String)> = lines[i..]
            .iter()
            .map_while(|l| match l {
                Line::Attr(n, v) => Some((*n, v)),
                Line::Block(_) => None,
            })
            .collect();
        let width = run.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, value) in &run {
            out.push_str(&format!("  {name:<width$} = {value}\n"));
        }
        i += run.len();
    }
    out
}

/// The address of health check `name` in the Terraform state (its id when it had none).
fn check_address<'a>(origin: &'a Value, name: &'a str) -> &'a str {
    let check = &origin["health_checks"][name];
    check["source_id"].as_str().or(check["id"].as_str()).unwrap_or(name)
}

/// `health_check_id` of the record at `record` set to health check `check`: a reference
/// when both are in the same module, else the check's id (with a note: pass it through the
/// module's outputs).
fn health_check_id(origin: &Value, record: &str, check: &str, notes: &mut Vec<String>) -> String {
    let address = check_address(origin, check);
    let id = origin["health_checks"][check]["id"].as_str();
    match (parse_address(record), parse_address(address)) {
        (Some(r), Some(c)) if r.module == c.module => format!("{}.{}{}.id", c.kind, c.name, c.key),
        (_, target) => {
            notes.push(format!(
                "- {record}: its health check {address} is in another module; changes.tf gives its id, \
                 better passed through that module's outputs"
            ));
            match (id, target) {
                (Some(id), _) => hcl(&Value::from(id)),
                (None, Some(c)) => format!("{}.{}{}.id", c.kind, c.name, c.key),
                (None, None) => hcl(&Value::from(address)),
            }
        }
    }
}

fn terraform(origin: &Value, changes: &[Change], label: &str) -> Vec<File> {
    const CHECK: &str = "aws_route53_health_check";
    const RECORD: &str = "aws_route53_record";
    // The changed lines of each resource instance, by address, in the order of the changes.
    let mut instances: Vec<(String, &'static str, Vec<Line>)> = Vec::new();
    let mut add =
        |address: &str, kind: &'static str, line: Line| match instances.iter_mut().find(|(a, _, _)| a == address) {
            Some((_, _, lines)) => {
                if !lines.contains(&line) {
                    lines.push(line);
                }
            }
            None => instances.push((address.to_owned(), kind, vec![line])),
        };
    let mut notes = Vec::new();
    for change in changes {
        match change {
            Change::Check { name, field, value, immutable } => {
                let name = unescape(name);
                let address = check_address(origin, &name);
                let attribute = terraform_attribute(field);
                add(address, CHECK, Line::Attr(attribute, hcl(value)));
                if *immutable {
                    notes.push(format!(
                        "- {address}: {attribute} cannot change in place: Terraform replaces the health check \
                         (destroy and create, with a new id). Records and calculated checks that refer to it as \
                         `{CHECK}.….id` follow in the same apply; any that hold its id as a literal must be \
                         updated by hand."
                    ));
                }
            }
            Change::Ttl { set, ttl_s } => {
                let set = unescape(set);
                let mut any = false;
                for (member, record) in members(origin, &set) {
                    if record["route53"].get("TTL").is_none() {
                        continue;
                    }
                    any = true;
                    match record["source_id"].as_str() {
                        Some(address) => add(address, RECORD, Line::Attr("ttl", ttl_s.to_string())),
                        None => notes
                            .push(format!("- {set} {member}: ttl = {ttl_s}: no Terraform address was imported for it")),
                    }
                }
                if !any {
                    notes.push(format!(
                        "- {set}: ttl = {ttl_s} is not exported: its records are aliases, which answer with their target's TTL"
                    ));
                }
            }
            Change::Record { set, member, field, value } => {
                let record = &origin["records"][unescape(set)][unescape(member)];
                let Some(address) = record["source_id"].as_str() else { continue };
                let line = match *field {
                    "Weight" => Line::Block(format!("  weighted_routing_policy {{\n    weight = {}\n  }}", hcl(value))),
                    "EvaluateTargetHealth" => Line::Block(format!(
                        "  alias {{\n    name                   = {}\n    zone_id                = {}\n    evaluate_target_health = {}\n  }}",
                        hcl(&Value::from(
                            record["route53"]["AliasTarget"]["DNSName"]
                                .as_str()
                                .unwrap_or_default()
                                .trim_end_matches('.')
                        )),
                        hcl(&record["route53"]["AliasTarget"]["HostedZoneId"]),
                        hcl(value)
                    )),
                    _ => Line::Attr(
                        "health_check_id",
                        health_check_id(origin, address, value.as_str().unwrap_or_default(), &mut notes),
                    ),
                };
                add(address, RECORD, line);
            }
            Change::NotRoute53 { .. } => {}
        }
    }
    // One block per resource of the configuration: instances of one `count` / `for_each`
    // resource with the same changes share it, each named in the comment above it.
    struct Block<'a> {
        resource: (String, String, String),
        lines: &'a [Line],
        addresses: Vec<&'a str>,
    }
    let mut blocks: Vec<Block> = Vec::new();
    for (address, kind, lines) in &instances {
        let resource = match parse_address(address) {
            Some(a) => (a.module.to_owned(), a.kind.to_owned(), a.name.to_owned()),
            None => (String::new(), (*kind).to_owned(), slug(address).replace(['.', '-'], "_")),
        };
        match blocks.iter_mut().find(|b| b.resource == resource && b.lines == lines.as_slice()) {
            Some(block) => block.addresses.push(address),
            None => blocks.push(Block { resource, lines, addresses: vec![address] }),
        }
    }
    let mut text = format!(
        "# fosim: {label}\n# The changed attributes of each resource, headed by its address: merge them into the\n\
         # resource blocks of your configuration (a module's resources into that module's source),\n\
         # then `terraform plan`.\n"
    );
    for (i, block) in blocks.iter().enumerate() {
        let (_, kind, name) = &block.resource;
        text.push('\n');
        for address in &block.addresses {
            text.push_str(&format!("# {address}\n"));
        }
        text.push_str(&format!(
            "resource {} {} {{\n{}}}\n",
            hcl(&Value::from(kind.as_str())),
            hcl(&Value::from(name.as_str())),
            render(block.lines)
        ));
        // Instances of the resource that the recommendation leaves alone would change too.
        if blocks[..i].iter().all(|b| b.resource != block.resource) {
            let changed: Vec<&str> = blocks
                .iter()
                .filter(|b| b.resource == block.resource)
                .flat_map(|b| b.addresses.iter().copied())
                .collect();
            let unchanged: Vec<&str> = imported_addresses(origin)
                .into_iter()
                .filter(|a| !changed.contains(a))
                .filter(|a| {
                    parse_address(a).is_some_and(|p| {
                        (p.module, p.kind, p.name)
                            == (block.resource.0.as_str(), block.resource.1.as_str(), block.resource.2.as_str())
                    })
                })
                .collect();
            if !unchanged.is_empty() {
                notes.push(format!(
                    "- {}: the block also applies to {}, which the recommendation leaves as they are: set the value \
                     per instance (a lookup on `count.index` or `each.key`) to change only {}",
                    changed.join(", "),
                    unchanged.join(", "),
                    if changed.len() == 1 { "that instance" } else { "those instances" }
                ));
            }
        }
        // Once per resource whose instances changed differently.
        if blocks[..i].iter().filter(|b| b.resource == block.resource).count() == 1 {
            let all: Vec<&str> = blocks
                .iter()
                .filter(|b| b.resource == block.resource)
                .flat_map(|b| b.addresses.iter().copied())
                .collect();
            notes.push(format!(
                "- {}: instances of one `count` / `for_each` resource with different changes: set each \
                 instance's value in the one block, e.g. with a lookup on `count.index` or `each.key`",
                all.join(", ")
            ));
        }
    }
    let mut readme = vec![
        format!("# Applying {label} with Terraform\n"),
        "Merge changes.tf into your configuration: each block holds only the changed attributes of the \
         resource named in the comment above it (its address in `terraform show -json`; a `module.…` \
         prefix says which module's source holds it). Then `terraform plan` and `terraform apply`."
            .to_owned(),
    ];
    if !notes.is_empty() {
        readme.push(String::new());
        readme.extend(notes);
    }
    not_exported(&mut readme, changes);
    vec![
        ("changes.tf".to_owned(), text.into_bytes()),
        ("README.md".to_owned(), (readme.join("\n") + "\n").into_bytes()),
    ]
}

#[cfg(test)]
mod tests {
    use super::{Address, Target, export, parse_address};
    use serde_json::{Value, json};

    #[test]
    fn terraform_instances_share_a_block_only_with_the_same_changes() {
        let record = |address: &str, weight: u64| json!({ "source_id": address, "route53": { "Name": "api.example.com.", "Type": "A", "Weight": weight, "TTL": 30 } });
        let base = json!({ "origin": {
            "format": "terraform",
            "health_checks": { "hc": { "id": "hc-id", "source_id": "module.checks.aws_route53_health_check.hc[\"a.b\"]" } },
            "records": { "api.example.com": {
                "blue": record("module.dns.aws_route53_record.api[\"blue.x\"]", 90),
                "green": record("module.dns.aws_route53_record.api[\"green.x\"]", 10)
            } }
        } });
        let changes: Vec<(String, Value)> = vec![
            ("/dns/records/api.example.com/weighted/blue/weight".into(), json!(50)),
            ("/dns/records/api.example.com/weighted/green/weight".into(), json!(60)),
            ("/dns/records/api.example.com/weighted/green/health_check".into(), json!("hc")),
        ];
        let files = export(&base, &changes, Target::Terraform, "t").unwrap();
        let text = |name: &str| String::from_utf8(files.iter().find(|f| f.0 == name).unwrap().1.clone()).unwrap();
        let (tf, readme) = (text("changes.tf"), text("README.md"));
        assert!(
            tf.contains(
                "# module.dns.aws_route53_record.api[\"blue.x\"]\nresource \"aws_route53_record\" \"api\" {\n  \
             weighted_routing_policy {\n    weight = 50\n  }\n}\n"
            ),
            "{tf}"
        );
        // The check is in another module: its id, not a reference that would not resolve.
        assert!(
            tf.contains(
                "# module.dns.aws_route53_record.api[\"green.x\"]\nresource \"aws_route53_record\" \"api\" {\n  \
             weighted_routing_policy {\n    weight = 60\n  }\n  health_check_id = \"hc-id\"\n}\n"
            ),
            "{tf}"
        );
        assert!(readme.contains("is in another module"), "{readme}");
        assert_eq!(readme.matches("instances of one `count` / `for_each` resource with different changes").count(), 1);
    }

    #[test]
    fn addresses_split_into_module_type_name_and_key() {
        let a = |module, kind, name, key| Some(Address { module, kind, name, key });
        assert_eq!(parse_address("aws_route53_health_check.primary"), a("", "aws_route53_health_check", "primary", ""));
        assert_eq!(
            parse_address("module.dns.module.checks.aws_route53_health_check.zone[0]"),
            a("module.dns.module.checks", "aws_route53_health_check", "zone", "[0]")
        );
        assert_eq!(
            parse_address(r#"module.dns["eu.x"].aws_route53_record.www["app.example.com"]"#),
            a(r#"module.dns["eu.x"]"#, "aws_route53_record", "www", r#"["app.example.com"]"#)
        );
        assert_eq!(parse_address("data.aws_route53_zone.main"), None);
        assert_eq!(parse_address("5d6e7f80-91a2-4b3c-8d4e-5f60718293a4"), None);
        assert_eq!(parse_address(r#"aws_route53_record.www["a"#), None);
    }
}
