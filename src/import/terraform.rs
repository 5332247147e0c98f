//! Reading `terraform show -json`: a state (`values.root_module`) or a saved plan
//! (`planned_values.root_module`, with `configuration` and `resource_changes`), through
//! every child module at any depth.
//!
//! `aws_route53_record` resources become `Record`s, `aws_route53_health_check` resources
//! `HealthCheck`s and `aws_cloudwatch_metric_alarm` resources `Zone::alarms`; each keeps its
//! resource address as its origin id, so that an export can write Terraform by address.
//! The provider writes unset strings as `""`, unset numbers as `0` and unset blocks as `[]`:
//! those read as absent.
//!
//! In a plan, a value known only after apply is absent from `planned_values` and `true` in
//! `resource_changes[].change.after_unknown`. A health check whose id is unknown is named
//! by its address; a record's unknown `health_check_id` (and a calculated check's unknown
//! `child_healthchecks`) is followed through `configuration`'s references — resources of
//! the same module, module outputs, module variables — to the health checks' addresses.
//! What cannot be followed is a warning naming the resource, never a guess.

use super::json::{self, Node};
use super::{Alarm, Alias, Format, HealthCheck, Origin, Record, Zone, normalise_name};
use crate::input::InputError;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const RECORD: &str = "aws_route53_record";
const CHECK: &str = "aws_route53_health_check";
const ALARM: &str = "aws_cloudwatch_metric_alarm";
const HOSTED_ZONE: &str = "aws_route53_zone";

/// What every message about the file's overall shape expects.
const EXPECTED: &str = "expected the output of `terraform show -json` (an object with \"format_version\" and \
     either \"values\", for a state, or \"planned_values\", for a saved plan)";

/// Reads the output of `terraform show -json` (state or saved plan) into a `Zone`.
pub fn read(file: &Path) -> Result<Zone, InputError> {
    parse(file, &crate::input::read_text(file, json::IMPORT)?)
}

/// Reads the text of `terraform show -json` output; `file` only names the file in errors.
pub fn parse(file: &Path, text: &str) -> Result<Zone, InputError> {
    let value = json::parse(file, text)?;
    let top = Node::root(file, &value);
    let shape = recognise(&top)?;
    let mut resources = Vec::new();
    if let Some(module) = &shape.root_module {
        collect(module, &mut resources, 0)?;
    }
    let plan = match shape.plan {
        true => Some(Plan::new(&top)?),
        false => None,
    };
    Reader { file, plan, resources }.read(&shape)
}

/// Which kind of `terraform show -json` output the file is.
struct Shape<'a> {
    plan: bool,
    /// Absent in the output for an empty state.
    root_module: Option<Node<'a>>,
    /// Where the resources would be, for messages.
    pointer: String,
}

fn recognise<'a>(top: &Node<'a>) -> Result<Shape<'a>, InputError> {
    let Value::Object(map) = top.value else {
        return Err(top.error(format!("{EXPECTED}, found {}", json::describe(top.value))));
    };
    let has = |key: &str| map.contains_key(key);
    let other = |looks: &str, instead: &str| {
        top.error(format!("this file looks like {looks}, not the output of `terraform show -json`; {instead}"))
    };
    if has("ResourceRecordSets") {
        return Err(other(
            "the output of `aws route53 list-resource-record-sets` (it has \"ResourceRecordSets\")",
            "import it with `fosim import aws --record-sets FILE --health-checks FILE`",
        ));
    }
    if let Some(key) = ["HealthChecks", "HealthCheck"].into_iter().find(|k| has(k)) {
        return Err(other(
            &format!("the output of `aws route53 list-health-checks` or `get-health-check` (it has \"{key}\")"),
            "import it with `fosim import aws --record-sets FILE --health-checks FILE`",
        ));
    }
    if has("AWSTemplateFormatVersion") || (has("Resources") && !has("format_version")) {
        return Err(other(
            "a CloudFormation template (it has \"AWSTemplateFormatVersion\" or \"Resources\")",
            "import it with `fosim import cloudformation FILE`",
        ));
    }
    if !has("format_version") && has("version") && map.get("resources").is_some_and(Value::is_array) {
        return Err(other(
            "a raw Terraform state file (`terraform.tfstate`, with \"version\" and \"resources[].instances\")",
            "its layout is internal to Terraform: run `terraform show -json > state.json` in the same directory \
             (or `terraform show -json PLANFILE` for a saved plan) and import that file",
        ));
    }
    if !has("format_version") && (has("resource") || has("terraform") || has("provider") || has("module")) {
        return Err(other(
            "a Terraform configuration in JSON syntax (`*.tf.json`, with \"resource\" or \"terraform\")",
            "a configuration does not say what exists: run `terraform show -json` for the state, or \
             `terraform plan -out=plan.tfplan` and `terraform show -json plan.tfplan` for a plan, and import that file",
        ));
    }
    let version = top.field("format_version").map_err(|_| {
        top.error(format!("{EXPECTED}; this object has no \"format_version\" (its fields are: {})", fields(map)))
    })?;
    let text = version.str()?;
    if text.split('.').next() != Some("1") {
        return Err(version.error(format!(
            "expected a format version 1.x (the one Terraform 0.12 and later write), found \"{text}\""
        )));
    }
    let (plan, key) = if has("planned_values") { (true, "planned_values") } else { (false, "values") };
    let root_module = match top.get(key) {
        None => None,
        Some(values) if !values.value.is_object() => {
            return Err(values.error(format!("expected an object, found {}", json::describe(values.value))));
        }
        Some(values) => values.get("root_module"),
    };
    if let Some(node) = root_module.as_ref().filter(|n| !n.value.is_object()) {
        return Err(node.error(format!("expected an object (a module), found {}", json::describe(node.value))));
    }
    Ok(Shape { plan, root_module, pointer: format!("/{key}/root_module") })
}

fn fields(map: &serde_json::Map<String, Value>) -> String {
    let names: Vec<String> = map.keys().take(8).map(|k| format!("\"{k}\"")).collect();
    if names.is_empty() { "none".into() } else { names.join(", ") }
}

/// One resource of the state or plan, with its parsed address.
struct Resource<'a> {
    node: Node<'a>,
    address: String,
    parsed: Address,
    kind: String,
    values: Node<'a>,
}

/// Modules nest far less deeply than this; the bound only stops a malicious file.
const DEPTH_MAX: usize = 64;

/// Every resource of a module and of its child modules, depth first, in file order.
fn collect<'a>(module: &Node<'a>, out: &mut Vec<Resource<'a>>, depth: usize) -> Result<(), InputError> {
    if depth > DEPTH_MAX {
        return Err(module.error(format!("modules nest more than {DEPTH_MAX} deep; expected a real configuration")));
    }
    if let Some(list) = module.get("resources") {
        for node in list.array()? {
            let address = node.field("address")?.str()?.to_owned();
            let parsed = Address::parse(&address).ok_or_else(|| {
                node.error(format!(
                    "expected a resource address such as \"module.dns.aws_route53_record.www\", found \"{address}\""
                ))
            })?;
            let kind = node.field("type")?.str()?.to_owned();
            let mode = node.opt_str("mode")?.unwrap_or("managed");
            let relevant = [RECORD, CHECK, ALARM, HOSTED_ZONE].contains(&kind.as_str());
            // A resource the plan will create with no known value at all has `values` {}.
            let values = match node.get("values") {
                Some(values) => values,
                None if relevant => node.field("values")?,
                None => node.clone(),
            };
            if relevant && !values.value.is_object() {
                return Err(values.error(format!(
                    "expected an object (the resource's attributes), found {}",
                    json::describe(values.value)
                )));
            }
            // Data sources other than hosted zones say nothing about the zone.
            if mode == "data" && kind != HOSTED_ZONE {
                continue;
            }
            out.push(Resource { node, address, parsed, kind, values });
        }
    }
    if let Some(list) = module.get("child_modules") {
        for child in list.array()? {
            collect(&child, out, depth + 1)?;
        }
    }
    Ok(())
}

/// A resource address or a reference, split at its dots: `module.dns["eu"].aws_route53_record.www[0]`.
#[derive(Clone, Debug, PartialEq)]
struct Address {
    /// `(call name, instance key)` of each module, outermost first.
    modules: Vec<Step>,
    /// The rest: `[type, name]` for a resource, `[data, type, name]`, `[var, x]`, …
    rest: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq)]
struct Step {
    name: String,
    /// The text between the brackets, as written (`0`, `"eu"`).
    key: Option<String>,
}

impl Step {
    fn text(&self) -> String {
        match &self.key {
            Some(key) => format!("{}[{key}]", self.name),
            None => self.name.clone(),
        }
    }
}

impl Address {
    fn parse(text: &str) -> Option<Address> {
        let mut steps = Vec::new();
        let (mut name, mut key, mut in_key, mut quoted, mut escaped) =
            (String::new(), None::<String>, false, false, false);
        for c in text.chars() {
            if in_key {
                let key = key.get_or_insert_with(String::new);
                if quoted {
                    quoted = c != '"' || escaped;
                    escaped = c == '\\' && !escaped;
                    key.push(c);
                } else if c == ']' {
                    in_key = false;
                } else {
                    quoted = c == '"';
                    key.push(c);
                }
            } else if c == '.' {
                if name.is_empty() {
                    return None;
                }
                steps.push(Step { name: std::mem::take(&mut name), key: key.take() });
            } else if c == '[' {
                if key.is_some() || name.is_empty() {
                    return None;
                }
                in_key = true;
                key = Some(String::new());
            } else if key.is_some() {
                return None;
            } else {
                name.push(c);
            }
        }
        if in_key || name.is_empty() {
            return None;
        }
        steps.push(Step { name, key });
        let mut modules = Vec::new();
        let mut rest = steps.as_slice();
        while rest.len() >= 2 && rest[0].name == "module" && rest[0].key.is_none() {
            modules.push(rest[1].clone());
            rest = &rest[2..];
        }
        Some(Address { modules, rest: rest.to_vec() })
    }

    /// `module.a.module.b.` (empty for the root module).
    fn prefix(modules: &[Step]) -> String {
        modules.iter().map(|m| format!("module.{}.", m.text())).collect()
    }

    /// The resource's type and name, if it is a managed resource.
    fn managed(&self) -> Option<(&str, &Step)> {
        match self.rest.as_slice() {
            [kind, name] if kind.key.is_none() && kind.name != "data" => Some((kind.name.as_str(), name)),
            _ => None,
        }
    }
}

/// What a saved plan adds: which values are unknown, and the configuration's references.
struct Plan<'a> {
    /// `after_unknown` by resource address.
    unknown: BTreeMap<String, &'a Value>,
    /// `configuration.root_module`.
    configuration: Option<&'a Value>,
}

impl<'a> Plan<'a> {
    fn new(top: &Node<'a>) -> Result<Plan<'a>, InputError> {
        let mut unknown = BTreeMap::new();
        if let Some(changes) = top.get("resource_changes") {
            for change in changes.array()? {
                let address = change.field("address")?.str()?;
                if let Some(after) = change.get("change").and_then(|c| c.get("after_unknown")) {
                    unknown.insert(address.to_owned(), after.value);
                }
            }
        }
        let configuration = top.value.get("configuration").and_then(|c| c.get("root_module"));
        Ok(Plan { unknown, configuration })
    }

    /// Whether the plan knows `key` of a resource only after apply (its whole value or a part).
    fn is_unknown(&self, resource: &Resource, key: &str) -> bool {
        match self.unknown.get(&resource.address) {
            Some(after) => after.get(key).is_some_and(contains_true),
            // No change recorded (a trimmed file): a missing reference to a health check is
            // followed rather than read as "none"; other missing values are unset.
            None => {
                ["health_check_id", "child_healthchecks"].contains(&key) && resource.values.value.get(key).is_none()
            }
        }
    }

    /// The configuration of the module at `modules` (instance keys ignored).
    fn module(&self, modules: &[Step]) -> Option<&'a Value> {
        let mut module = self.configuration?;
        for step in modules {
            module = module.get("module_calls")?.get(&step.name)?.get("module")?;
        }
        Some(module)
    }

    /// The references of an expression in the configuration of a resource: `path` is the
    /// attribute's JSON Pointer inside `expressions` (`/health_check_id`, `/alias/0/name`).
    fn references(&self, address: &Address, path: &str) -> Option<Vec<String>> {
        let module = self.module(&address.modules)?;
        let wanted: Vec<&str> = address.rest.iter().map(|s| s.name.as_str()).collect();
        let wanted = wanted.join(".");
        let resources = module.get("resources")?.as_array()?;
        let resource = resources.iter().find(|r| r.get("address").and_then(Value::as_str) == Some(wanted.as_str()))?;
        strings(resource.get("expressions")?.pointer(path)?.get("references")?)
    }
}

fn strings(value: &Value) -> Option<Vec<String>> {
    value.as_array()?.iter().map(|v| v.as_str().map(str::to_owned)).collect()
}

fn contains_true(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Array(items) => items.iter().any(contains_true),
        Value::Object(map) => map.values().any(contains_true),
        _ => false,
    }
}

/// Health checks found by following references.
#[derive(Default)]
struct Followed {
    /// Their addresses, in reference order, each once.
    checks: Vec<String>,
    /// A reference named every instance of a resource with `count` or `for_each`.
    every_instance: bool,
    /// References fosim could not follow (`local.x`, `each.value`, a module with `count`, …).
    lost: Vec<String>,
}

struct Reader<'a> {
    file: &'a Path,
    plan: Option<Plan<'a>>,
    resources: Vec<Resource<'a>>,
}

/// Where a value came from, kept until the references are checked.
struct Named {
    /// The record's or check's address.
    owner: String,
    /// "the record", "the calculated check".
    what: &'static str,
    id: String,
    pointer: String,
}

impl<'a> Reader<'a> {
    fn read(self, shape: &Shape) -> Result<Zone, InputError> {
        let route53 = self.resources.iter().filter(|r| r.kind == RECORD || r.kind == CHECK).count();
        if route53 == 0 {
            return Err(self.nothing_to_import(shape));
        }
        let zones = self.hosted_zones()?;
        let mut zone = Zone { format: Some(Format::Terraform), files: vec![self.file.to_owned()], ..Zone::default() };
        let mut uses = Vec::new();
        let mut check_addresses = BTreeMap::new();
        for resource in &self.resources {
            match resource.kind.as_str() {
                CHECK => {
                    let check = self.health_check(resource, &mut uses, &mut zone.warnings).map_err(within(resource))?;
                    check_addresses.insert(resource.address.clone(), check.id.clone());
                    zone.health_checks.push(check);
                }
                ALARM => zone.alarms.push(alarm(resource).map_err(within(resource))?),
                _ => {}
            }
        }
        self.unknown_children(&check_addresses, &mut zone, &mut uses);
        let mut zone_ids = BTreeSet::new();
        for resource in self.resources.iter().filter(|r| r.kind == RECORD) {
            let zone_id = resource.values.opt_str("zone_id").map_err(within(resource))?.filter(|z| !z.is_empty());
            zone_ids.extend(zone_id.map(str::to_owned));
            let zone_name = zone_id.and_then(|z| zones.get(z)).map(String::as_str);
            let record = self
                .record(resource, zone_name, &check_addresses, &mut uses, &mut zone.warnings)
                .map_err(within(resource))?;
            zone.records.push(record);
        }
        self.check_uses(&zone, &uses)?;
        zone.zone = match zone_ids.len() {
            1 => zones.get(zone_ids.iter().next().unwrap()).cloned(),
            0 => None,
            n => {
                let ids: Vec<&str> = zone_ids.iter().map(String::as_str).collect();
                zone.warnings.push(format!(
                    "the records are in {n} hosted zones ({}); they are imported together, as one zone",
                    ids.join(", ")
                ));
                None
            }
        };
        Ok(zone)
    }

    fn nothing_to_import(&self, shape: &Shape) -> InputError {
        let what = if self.plan.is_some() { "saved plan" } else { "state" };
        let found = if self.resources.is_empty() {
            format!(
                "it has no resources at all{}",
                if self.plan.is_some() { "" } else { " (an empty state: has `terraform apply` run?)" }
            )
        } else {
            let kinds: BTreeSet<&str> = self.resources.iter().map(|r| r.kind.as_str()).collect();
            let kinds: Vec<&str> = kinds.into_iter().collect();
            format!("it has {} other resources, of the types {}", self.resources.len(), kinds.join(", "))
        };
        InputError::invalid(
            self.file,
            shape.pointer.clone(),
            format!(
                "expected at least one {RECORD} or {CHECK} resource in this {what} (in any module), but {found}; \
                 run `terraform show -json` in the directory whose configuration manages the Route 53 records"
            ),
        )
    }

    /// Hosted zone names by zone id, from `aws_route53_zone` resources and data sources.
    fn hosted_zones(&self) -> Result<BTreeMap<String, String>, InputError> {
        let mut out = BTreeMap::new();
        for resource in self.resources.iter().filter(|r| r.kind == HOSTED_ZONE) {
            let id = resource.values.opt_str("zone_id")?.filter(|s| !s.is_empty());
            let name = resource.values.opt_str("name")?.filter(|s| !s.is_empty());
            if let (Some(id), Some(name)) = (id, name) {
                out.insert(id.to_owned(), normalise_name(name));
            }
        }
        Ok(out)
    }

    fn origin(&self, resource: &Resource) -> Origin {
        Origin {
            file: self.file.to_owned(),
            pointer: resource.node.pointer.clone(),
            id: Some(resource.address.clone()),
        }
    }

    fn is_unknown(&self, resource: &Resource, key: &str) -> bool {
        self.plan.as_ref().is_some_and(|plan| plan.is_unknown(resource, key))
    }

    /// Warns about each of `keys` the plan does not know yet.
    fn warn_unknown(&self, resource: &Resource, what: &str, keys: &[&str], warnings: &mut Vec<String>) {
        for key in keys {
            if self.is_unknown(resource, key) {
                warnings.push(format!(
                    "the plan does not know \"{key}\" of the {what} {} until apply; it is imported without it",
                    resource.address
                ));
            }
        }
    }

    fn health_check(
        &self,
        resource: &Resource<'a>,
        uses: &mut Vec<Named>,
        warnings: &mut Vec<String>,
    ) -> Result<HealthCheck, InputError> {
        let v = &resource.values;
        let keys = [
            "type",
            "ip_address",
            "fqdn",
            "port",
            "resource_path",
            "search_string",
            "request_interval",
            "failure_threshold",
        ];
        self.warn_unknown(resource, "health check", &keys, warnings);
        let keys = ["regions", "invert_healthcheck", "disabled", "child_health_threshold", "cloudwatch_alarm_name"];
        self.warn_unknown(resource, "health check", &keys, warnings);
        let id = match text(v, "id")? {
            Some(id) if !self.is_unknown(resource, "id") => id,
            _ => resource.address.clone(),
        };
        let kind = v.field("type")?.str()?.trim().to_ascii_uppercase();
        let calculated = kind == "CALCULATED";
        let alarm = match text(v, "cloudwatch_alarm_name")? {
            Some(name) => Some(Alarm { name, region: text(v, "cloudwatch_alarm_region")?, ..Alarm::default() }),
            None => None,
        };
        let mut children = Vec::new();
        if let Some(list) = v.get("child_healthchecks") {
            for child in list.array()? {
                // A null element is an id not known yet: `unknown_children` follows them.
                if child.value.is_null() {
                    continue;
                }
                let child_id = child.str()?.to_owned();
                uses.push(Named {
                    owner: resource.address.clone(),
                    what: "the calculated check",
                    id: child_id.clone(),
                    pointer: child.pointer.clone(),
                });
                children.push(child_id);
            }
        }
        Ok(HealthCheck {
            id,
            kind,
            ip_address: text(v, "ip_address")?,
            fqdn: text(v, "fqdn")?.map(|f| normalise_name(&f)),
            port: count(v, "port")?,
            resource_path: text(v, "resource_path")?,
            search_string: text(v, "search_string")?,
            request_interval: count(v, "request_interval")?,
            failure_threshold: count(v, "failure_threshold")?,
            regions: v.strings("regions")?,
            inverted: v.opt_bool("invert_healthcheck")?.unwrap_or(false),
            disabled: v.opt_bool("disabled")?.unwrap_or(false),
            // 0 is a real threshold for a calculated check ("always healthy"), unset elsewhere.
            health_threshold: if calculated {
                v.opt_u64("child_health_threshold")?
            } else {
                count(v, "child_health_threshold")?
            },
            children,
            insufficient_data: text(v, "insufficient_data_health_status")?,
            alarm,
            origin: self.origin(resource),
        })
    }

    /// Fills the unknown children of calculated checks in a plan from the configuration.
    fn unknown_children(&self, check_addresses: &BTreeMap<String, String>, zone: &mut Zone, uses: &mut Vec<Named>) {
        let Some(plan) = &self.plan else { return };
        for (resource, check) in self.resources.iter().filter(|r| r.kind == CHECK).zip(zone.health_checks.iter_mut()) {
            if check.kind != "CALCULATED" || !self.is_unknown(resource, "child_healthchecks") {
                continue;
            }
            // How many children the plan expects, when it knows.
            let length = match plan.unknown.get(&resource.address).and_then(|a| a.get("child_healthchecks")) {
                Some(Value::Array(items)) => Some(items.len()),
                _ => None,
            };
            let refs = plan.references(&resource.parsed, "/child_healthchecks");
            let followed = refs.as_deref().map(|refs| self.follow(&resource.parsed.modules, refs, 0));
            let resolved = match &followed {
                Some(f) if f.lost.is_empty() && !f.checks.is_empty() => match length {
                    Some(n) => f.checks.len() == n,
                    None => !f.every_instance,
                },
                _ => false,
            };
            match followed {
                Some(f) if resolved => {
                    let pointer = format!("{}/values/child_healthchecks", resource.node.pointer);
                    check.children = f.checks.iter().map(|a| check_addresses[a].clone()).collect();
                    let owner = &resource.address;
                    uses.extend(check.children.iter().map(|id| Named {
                        owner: owner.clone(),
                        what: "the calculated check",
                        id: id.clone(),
                        pointer: pointer.clone(),
                    }));
                }
                followed => {
                    let mut why = unfollowed(refs.as_deref(), followed.as_ref());
                    if let (Some(n), Some(f)) = (length, &followed)
                        && f.lost.is_empty()
                        && !f.checks.is_empty()
                    {
                        why = format!("{why}, {} checks where the plan has {n} children", f.checks.len());
                    }
                    zone.warnings.push(format!(
                        "the plan does not know the child health checks of the calculated check {} until apply ({why}); \
                         it is imported with its {} known children only — apply the plan and import the state for the others",
                        resource.address,
                        check.children.len()
                    ));
                }
            }
        }
    }

    fn record(
        &self,
        resource: &Resource<'a>,
        zone_name: Option<&str>,
        check_addresses: &BTreeMap<String, String>,
        uses: &mut Vec<Named>,
        warnings: &mut Vec<String>,
    ) -> Result<Record, InputError> {
        let v = &resource.values;
        // `fqdn` is the full name; `name` is as written, which may leave out the zone.
        let name = match text(v, "fqdn")? {
            Some(fqdn) => normalise_name(&fqdn),
            None => {
                let name = normalise_name(v.field("name")?.str()?);
                match zone_name {
                    Some(zone) if name.is_empty() => zone.to_owned(),
                    Some(zone) if name != zone && !name.ends_with(&format!(".{zone}")) => format!("{name}.{zone}"),
                    _ => name,
                }
            }
        };
        let kind = v.field("type")?.str()?.trim().to_ascii_uppercase();
        let alias = match block(v, "alias")? {
            Some(alias) => {
                let dns_name = match alias.opt_str("name")? {
                    Some(name) => normalise_name(name),
                    None if self.is_unknown(resource, "alias") => {
                        let named = self.unknown_target(resource);
                        warnings.push(format!(
                            "the plan does not know the alias target of the record {} until apply; it is imported as \
                             an alias to \"{named}\", a name to replace with the target's DNS name",
                            resource.address
                        ));
                        named
                    }
                    None => return Err(alias.field("name").unwrap_err()),
                };
                let evaluate_target_health = alias.opt_bool("evaluate_target_health")?.unwrap_or(false);
                let hosted_zone_id = alias.opt_str("zone_id")?.filter(|z| !z.is_empty()).map(str::to_owned);
                Some(Alias { dns_name, evaluate_target_health, hosted_zone_id })
            }
            None => None,
        };
        let failover = match block(v, "failover_routing_policy")? {
            Some(policy) => {
                let node = policy.field("type")?;
                let kind = node.str()?.trim().to_ascii_uppercase();
                if kind != "PRIMARY" && kind != "SECONDARY" {
                    return Err(node.error(format!(
                        "expected \"PRIMARY\" or \"SECONDARY\", found {}",
                        json::describe(node.value)
                    )));
                }
                Some(kind)
            }
            None => None,
        };
        let weight = match block(v, "weighted_routing_policy")? {
            Some(policy) => Some(policy.field("weight")?.u64()?),
            None => None,
        };
        let region = match block(v, "latency_routing_policy")? {
            Some(policy) => Some(policy.field("region")?.str()?.to_owned()),
            None => None,
        };
        let mut unsupported_policy = None;
        for (key, policy) in [
            ("geolocation_routing_policy", "geolocation"),
            ("geoproximity_routing_policy", "geoproximity"),
            ("cidr_routing_policy", "CIDR"),
        ] {
            if block(v, key)?.is_some() {
                unsupported_policy = Some(policy.to_owned());
            }
        }
        let health_check_id = match text(v, "health_check_id")? {
            Some(id) if !self.is_unknown(resource, "health_check_id") => {
                let pointer = format!("{}/values/health_check_id", resource.node.pointer);
                uses.push(Named { owner: resource.address.clone(), what: "the record", id: id.clone(), pointer });
                Some(id)
            }
            _ if self.is_unknown(resource, "health_check_id") => {
                self.unknown_check(resource, check_addresses, warnings)
            }
            _ => None,
        };
        let ttl = if alias.is_some() { None } else { v.opt_u64("ttl")? };
        self.warn_unknown(resource, "record", &["ttl", "records", "set_identifier"], warnings);
        Ok(Record {
            name,
            kind,
            set_identifier: text(v, "set_identifier")?,
            failover,
            ttl,
            values: v.strings("records")?,
            alias,
            health_check_id,
            weight,
            region,
            multivalue: v.opt_bool("multivalue_answer_routing_policy")?.unwrap_or(false),
            unsupported_policy,
            origin: self.origin(resource),
        })
    }

    /// The health check a record's unknown `health_check_id` refers to, by the
    /// configuration's references; a warning when they do not name exactly one.
    fn unknown_check(
        &self,
        resource: &Resource,
        check_addresses: &BTreeMap<String, String>,
        warnings: &mut Vec<String>,
    ) -> Option<String> {
        let refs = self.plan.as_ref().and_then(|p| p.references(&resource.parsed, "/health_check_id"));
        let followed = refs.as_deref().map(|refs| self.follow(&resource.parsed.modules, refs, 0));
        if let Some(f) = &followed
            && f.checks.len() == 1
            && f.lost.is_empty()
        {
            return Some(check_addresses[&f.checks[0]].clone());
        }
        let why = unfollowed(refs.as_deref(), followed.as_ref());
        warnings.push(format!(
            "the plan does not know which health check the record {} uses until apply ({why}); \
             the record is imported without a health check — apply the plan and import the state, or add the check to the scenario",
            resource.address
        ));
        None
    }

    /// A name for an alias target the plan does not know: the resource its expression refers to.
    fn unknown_target(&self, resource: &Resource) -> String {
        let refs = self.plan.as_ref().and_then(|p| p.references(&resource.parsed, "/alias/0/name")).unwrap_or_default();
        let prefix = Address::prefix(&resource.parsed.modules);
        let targets: BTreeSet<String> = refs
            .iter()
            .filter_map(|r| Address::parse(r))
            .filter(|a| {
                a.modules.is_empty() && a.rest.len() >= 2 && a.rest[0].name != "var" && a.rest[0].name != "local"
            })
            .map(|a| format!("{prefix}{}.{}", a.rest[0].name, a.rest[1].name))
            .collect();
        match targets.len() {
            1 => targets.into_iter().next().unwrap(),
            _ => format!("{} alias target", resource.address),
        }
    }

    /// The health checks that `refs`, written in the module at `modules`, name.
    fn follow(&self, modules: &[Step], refs: &[String], depth: usize) -> Followed {
        let mut out = Followed::default();
        if depth > DEPTH_MAX {
            out.lost.extend(refs.iter().cloned());
            return out;
        }
        let Some(plan) = &self.plan else { return out };
        let prefix = Address::prefix(modules);
        let mut indexed = BTreeSet::new();
        let mut bare = Vec::new();
        let add = |out: &mut Followed, address: String| {
            if !out.checks.contains(&address) {
                out.checks.push(address);
            }
        };
        let parsed: Vec<(&String, Option<Address>)> = refs.iter().map(|r| (r, Address::parse(r))).collect();
        // Modules named with an output: a bare `module.x` next to them adds nothing.
        let with_output: BTreeSet<String> = parsed
            .iter()
            .filter_map(|(_, a)| a.as_ref())
            .filter(|a| !a.modules.is_empty() && !a.rest.is_empty())
            .map(|a| a.modules[0].name.clone())
            .collect();
        for (text, address) in &parsed {
            let Some(address) = address else {
                out.lost.push((*text).clone());
                continue;
            };
            match (address.modules.as_slice(), address.rest.as_slice()) {
                ([], [kind, name, ..]) if kind.name == CHECK && kind.key.is_none() => match &name.key {
                    Some(_) => {
                        indexed.insert(name.name.clone());
                        let target = format!("{prefix}{CHECK}.{}", name.text());
                        if self.resources.iter().any(|r| r.kind == CHECK && r.address == target) {
                            add(&mut out, target);
                        } else {
                            out.lost.push((*text).clone());
                        }
                    }
                    None => bare.push(name.name.clone()),
                },
                ([], [var, name, ..]) if var.name == "var" && var.key.is_none() => {
                    // A variable of this module: what its caller passes.
                    let Some((call, parent)) = modules.split_last() else {
                        out.lost.push((*text).clone());
                        continue;
                    };
                    let passed = plan
                        .module(parent)
                        .and_then(|m| {
                            m.get("module_calls")?
                                .get(&call.name)?
                                .get("expressions")?
                                .get(&name.name)?
                                .get("references")
                        })
                        .and_then(strings);
                    match passed {
                        Some(passed) => merge(&mut out, self.follow(parent, &passed, depth + 1)),
                        None => out.lost.push((*text).clone()),
                    }
                }
                ([child], []) if with_output.contains(&child.name) => {}
                ([child], [output, ..]) => {
                    // An output of a child module: the references of its expression, there.
                    let call = plan.module(modules).and_then(|m| m.get("module_calls")?.get(&child.name));
                    let repeated = call
                        .is_some_and(|c| c.get("count_expression").is_some() || c.get("for_each_expression").is_some());
                    let passed = call
                        .and_then(|c| {
                            c.get("module")?.get("outputs")?.get(&output.name)?.get("expression")?.get("references")
                        })
                        .and_then(strings);
                    match passed {
                        Some(passed) if !repeated || child.key.is_some() => {
                            let mut inner = modules.to_vec();
                            inner.push(child.clone());
                            merge(&mut out, self.follow(&inner, &passed, depth + 1));
                        }
                        _ => out.lost.push((*text).clone()),
                    }
                }
                // Values fosim cannot see: locals, and the instance keys of `count` and `for_each`.
                ([], [kind, ..]) if ["local", "each", "count", "self"].contains(&kind.name.as_str()) => {
                    out.lost.push((*text).clone())
                }
                // Other resources, data sources, `path` and `terraform` name no health check.
                ([], _) => {}
                _ => out.lost.push((*text).clone()),
            }
        }
        for name in bare {
            if indexed.contains(&name) {
                continue;
            }
            let target = format!("{prefix}{CHECK}.{name}");
            let instances: Vec<&Resource> = self
                .resources
                .iter()
                .filter(|r| r.kind == CHECK && Address::prefix(&r.parsed.modules) == prefix)
                .filter(|r| r.parsed.managed().is_some_and(|(_, step)| step.name == name))
                .collect();
            if instances.is_empty() {
                out.lost.push(target);
                continue;
            }
            if instances.len() > 1 || instances.iter().any(|r| r.address != target) {
                out.every_instance = true;
            }
            for r in instances {
                add(&mut out, r.address.clone());
            }
        }
        out
    }

    /// Every record's and calculated check's health check ids must be checks of this file.
    fn check_uses(&self, zone: &Zone, uses: &[Named]) -> Result<(), InputError> {
        let ids: BTreeSet<&str> = zone.health_checks.iter().map(|c| c.id.as_str()).collect();
        for used in uses {
            if ids.contains(used.id.as_str()) {
                continue;
            }
            let id = &used.id;
            let advice = if looks_like_check_id(id) {
                format!(
                    "\"{id}\" looks like the id of a Route 53 health check managed elsewhere (in another Terraform state, \
                     or outside Terraform); bring that check into this configuration (`terraform import {CHECK}.NAME {id}`) \
                     so that its settings are in the same state, then run `terraform show -json` again"
                )
            } else {
                "the file should hold every health check its records use".to_owned()
            };
            let known: Vec<&str> = ids.iter().copied().take(6).collect();
            let known =
                if known.is_empty() { "it has none".to_owned() } else { format!("it has {}", known.join(", ")) };
            return Err(InputError::invalid(
                self.file,
                used.pointer.clone(),
                format!(
                    "{} {} names the health check \"{id}\", which is not in this file: expected the id of an \
                     {CHECK} in the same state or plan ({known}); {advice}",
                    used.what, used.owner
                ),
            ));
        }
        Ok(())
    }
}

/// Names the resource in an error about one of its values.
fn within(resource: &Resource) -> impl Fn(InputError) -> InputError {
    let address = resource.address.clone();
    move |error| match error {
        InputError::Invalid { file, pointer, message } => {
            InputError::Invalid { file, pointer, message: format!("{message} (in the resource {address})") }
        }
        other => other,
    }
}

fn merge(out: &mut Followed, more: Followed) {
    for check in more.checks {
        if !out.checks.contains(&check) {
            out.checks.push(check);
        }
    }
    out.every_instance |= more.every_instance;
    out.lost.extend(more.lost);
}

/// Why references could not be followed, for a warning.
fn unfollowed(refs: Option<&[String]>, followed: Option<&Followed>) -> String {
    let quoted = |list: &[String]| list.iter().map(|r| format!("\"{r}\"")).collect::<Vec<_>>().join(", ");
    match (refs, followed) {
        (None, _) => "the file has no configuration reference for it".into(),
        (Some([]), _) => "its expression refers to nothing".into(),
        (Some(refs), Some(f)) if f.lost.as_slice() == refs => {
            format!("its expression refers to {}, which fosim cannot follow", quoted(refs))
        }
        (Some(refs), Some(f)) if !f.lost.is_empty() => {
            format!("its expression refers to {}, and fosim cannot follow {}", quoted(refs), quoted(&f.lost))
        }
        (Some(refs), Some(f)) if f.checks.is_empty() => {
            format!("its expression refers to {}, which name no health check", quoted(refs))
        }
        (Some(refs), Some(f)) => {
            format!("its expression refers to {}, which could mean any of {}", quoted(refs), quoted(&f.checks))
        }
        (Some(refs), None) => format!("its expression refers to {}", quoted(refs)),
    }
}

/// A Route 53 health check id: a UUID such as `8f2d3c4e-1a2b-4c3d-9e8f-0a1b2c3d4e5f`.
fn looks_like_check_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.len() == 5
        && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A text attribute; the provider's `""` for unset reads as absent.
fn text(values: &Node, key: &str) -> Result<Option<String>, InputError> {
    Ok(values.opt_str(key)?.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned))
}

/// A number attribute; the provider's `0` for unset reads as absent.
fn count(values: &Node, key: &str) -> Result<Option<u64>, InputError> {
    Ok(values.opt_u64(key)?.filter(|&n| n != 0))
}

/// A nested block the provider allows at most once: `[]` (or absent) is unset.
fn block<'a>(values: &Node<'a>, key: &str) -> Result<Option<Node<'a>>, InputError> {
    let Some(list) = values.get(key) else { return Ok(None) };
    let items = list.array()?;
    match items.as_slice() {
        [] => Ok(None),
        [one] if one.value.is_object() => Ok(Some(one.clone())),
        [one] => {
            Err(one.error(format!("expected an object (the \"{key}\" block), found {}", json::describe(one.value))))
        }
        _ => Err(list.error(format!("expected at most one \"{key}\" block, found {}", items.len()))),
    }
}

fn alarm(resource: &Resource) -> Result<Alarm, InputError> {
    let v = &resource.values;
    // `arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`
    let region = text(v, "arn")?.and_then(|arn| arn.split(':').nth(3).filter(|r| !r.is_empty()).map(str::to_owned));
    let mut dimensions = Vec::new();
    if let Some(map) = v.get("dimensions") {
        for (name, value) in map.entries()? {
            dimensions.push((name.to_owned(), value.str()?.to_owned()));
        }
    }
    Ok(Alarm {
        name: v.field("alarm_name")?.str()?.to_owned(),
        region,
        metric_name: text(v, "metric_name")?,
        namespace: text(v, "namespace")?,
        statistic: text(v, "statistic")?,
        comparison: text(v, "comparison_operator")?,
        threshold: v.opt_f64("threshold")?,
        period: count(v, "period")?,
        evaluation_periods: count(v, "evaluation_periods")?,
        dimensions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ZONE: &str = "Z0123456789ABCDEFGHIJ";

    fn read_json(value: &Value) -> Result<Zone, InputError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("show.json");
        std::fs::write(&path, serde_json::to_string_pretty(value).unwrap()).unwrap();
        read(&path)
    }

    fn message(value: &Value) -> String {
        read_json(value).unwrap_err().to_string()
    }

    fn state(resources: Value) -> Value {
        json!({"format_version": "1.0", "values": {"root_module": {"resources": resources}}})
    }

    fn resource(address: &str, values: Value) -> Value {
        let parsed = Address::parse(address).unwrap();
        let (kind, name) = parsed.managed().map(|(k, n)| (k.to_owned(), n.name.clone())).unwrap();
        json!({"address": address, "mode": "managed", "type": kind, "name": name, "values": values})
    }

    fn record(address: &str, name: &str, extra: Value) -> Value {
        let mut values = json!({"zone_id": ZONE, "name": name, "type": "A", "ttl": 60, "records": ["192.0.2.10"],
            "set_identifier": "", "health_check_id": "", "alias": [], "failover_routing_policy": []});
        values.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        resource(address, values)
    }

    #[test]
    fn addresses_split_at_dots_outside_keys() {
        let a = Address::parse(r#"module.dns["eu.west"].module.checks.aws_route53_health_check.zone[2]"#).unwrap();
        assert_eq!(a.modules.len(), 2);
        assert_eq!(a.modules[0], Step { name: "dns".into(), key: Some("\"eu.west\"".into()) });
        assert_eq!(a.managed().unwrap().0, CHECK);
        assert_eq!(a.managed().unwrap().1.text(), "zone[2]");
        assert_eq!(Address::prefix(&a.modules), "module.dns[\"eu.west\"].module.checks.");
        assert!(Address::parse("a..b").is_none());
        assert!(Address::parse("a[0").is_none());
        assert!(Address::parse("data.aws_route53_zone.main").unwrap().managed().is_none());
    }

    #[test]
    fn route53_ids_are_uuids() {
        assert!(looks_like_check_id("8f2d3c4e-1a2b-4c3d-9e8f-0a1b2c3d4e5f"));
        assert!(!looks_like_check_id("aws_route53_health_check.primary"));
        assert!(!looks_like_check_id("hc-1"));
    }

    #[test]
    fn policies_short_names_and_the_hosted_zone() {
        let zone = read_json(&state(json!([
            resource("aws_route53_zone.main", json!({"zone_id": ZONE, "name": "Example.com."})),
            record(
                "aws_route53_record.mv[0]",
                "mv",
                json!({"set_identifier": "mv-0", "multivalue_answer_routing_policy": true})
            ),
            record(
                "aws_route53_record.cidr",
                "cidr.example.com",
                json!({"set_identifier": "c",
                "cidr_routing_policy": [{"collection_id": "9ac9e4a1", "location_name": "office"}]})
            ),
            record(
                "aws_route53_record.near",
                "near.example.com",
                json!({"set_identifier": "n",
                "geoproximity_routing_policy": [{"aws_region": "us-east-1", "bias": 0}], "failover_routing_policy": []})
            ),
            record(
                "aws_route53_record.apex",
                "",
                json!({"failover_routing_policy": [{"type": "primary"}], "set_identifier": "a"})
            ),
        ])))
        .unwrap();
        assert_eq!(zone.zone.as_deref(), Some("example.com"));
        let names: Vec<&str> = zone.records.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["mv.example.com", "cidr.example.com", "near.example.com", "example.com"]);
        assert!(zone.records[0].multivalue);
        assert_eq!(zone.records[1].unsupported_policy.as_deref(), Some("CIDR"));
        assert_eq!(zone.records[2].unsupported_policy.as_deref(), Some("geoproximity"));
        assert_eq!(zone.records[3].failover.as_deref(), Some("PRIMARY"));
        assert_eq!(zone.records[0].ttl, Some(60));
        assert!(zone.warnings.is_empty());
    }

    #[test]
    fn a_calculated_threshold_of_zero_is_kept_and_other_zeros_are_unset() {
        let zone = read_json(&state(json!([
            resource("aws_route53_health_check.a", json!({"id": "a1c4e7f0-2b5d-4a8c-9e1f-3a6b9c2d5e80", "type": "tcp",
                "ip_address": "192.0.2.11", "port": 443, "child_health_threshold": 0, "request_interval": 0, "regions": null})),
            resource("aws_route53_health_check.all", json!({"id": "8f2d3c4e-1a2b-4c3d-9e8f-0a1b2c3d4e5f", "type": "CALCULATED",
                "child_healthchecks": ["a1c4e7f0-2b5d-4a8c-9e1f-3a6b9c2d5e80"], "child_health_threshold": 0, "port": 0})),
        ])))
        .unwrap();
        let [tcp, calculated] = &zone.health_checks[..] else { panic!() };
        assert_eq!((tcp.kind.as_str(), tcp.health_threshold, tcp.request_interval), ("TCP", None, None));
        assert_eq!((calculated.health_threshold, calculated.port), (Some(0), None));
        assert_eq!(calculated.children, ["a1c4e7f0-2b5d-4a8c-9e1f-3a6b9c2d5e80"]);
        assert_eq!(zone.zone, None);
    }

    #[test]
    fn a_missing_child_check_is_an_error_naming_the_calculated_check() {
        let text = message(&state(json!([resource(
            "aws_route53_health_check.all",
            json!({"id": "8f2d3c4e-1a2b-4c3d-9e8f-0a1b2c3d4e5f",
            "type": "CALCULATED", "child_healthchecks": ["hc-use1a"], "child_health_threshold": 1})
        )])));
        assert!(text.contains("/values/root_module/resources/0/values/child_healthchecks/0"), "{text}");
        assert!(
            text.contains("the calculated check aws_route53_health_check.all names the health check \"hc-use1a\""),
            "{text}"
        );
        assert!(text.contains("it has 8f2d3c4e-1a2b-4c3d-9e8f-0a1b2c3d4e5f"), "{text}");
    }

    #[test]
    fn records_of_two_zones_are_imported_with_a_warning() {
        let zone = read_json(&state(json!([
            record("aws_route53_record.a", "a.example.com", json!({})),
            record("aws_route53_record.b", "b.example.org", json!({"zone_id": "Z9876543210ZYXWVUTSRQ"})),
        ])))
        .unwrap();
        assert_eq!(zone.zone, None);
        assert_eq!(zone.warnings.len(), 1);
        assert!(zone.warnings[0].contains("2 hosted zones (Z0123456789ABCDEFGHIJ, Z9876543210ZYXWVUTSRQ)"));
    }

    #[test]
    fn files_of_other_shapes_are_told_apart() {
        let text = message(&json!([1, 2]));
        assert!(text.contains("at the top level: expected the output of `terraform show -json`"), "{text}");
        assert!(text.contains("found a list of 2 items"), "{text}");
        let text = message(&json!({"format_version": "2.0", "values": {}}));
        assert!(text.contains("at /format_version: expected a format version 1.x"), "{text}");
        let text = message(&json!({"resource": {"aws_route53_record": {"www": {"name": "www"}}}}));
        assert!(text.contains("Terraform configuration in JSON syntax"), "{text}");
        assert!(text.contains("terraform show -json plan.tfplan"), "{text}");
        let text = message(&json!({"HealthCheck": {"Id": "8f2d3c4e-1a2b-4c3d-9e8f-0a1b2c3d4e5f"}}));
        assert!(
            text.contains("`aws route53 list-health-checks` or `get-health-check` (it has \"HealthCheck\")"),
            "{text}"
        );
        let text = message(&json!({"terraform_version": "1.9.8"}));
        assert!(text.contains("has no \"format_version\" (its fields are: \"terraform_version\")"), "{text}");
        let text = message(&json!({"format_version": "1.0", "terraform_version": "1.9.8"}));
        assert!(text.contains("no resources at all (an empty state: has `terraform apply` run?)"), "{text}");
        let text = message(&json!({"format_version": "1.0", "values": {"root_module": []}}));
        assert!(
            text.contains("at /values/root_module: expected an object (a module), found a list of 0 items"),
            "{text}"
        );
    }

    #[test]
    fn wrong_values_name_the_pointer_and_the_resource() {
        let text = message(&state(json!([record(
            "aws_route53_record.a",
            "a.example.com",
            json!({"failover_routing_policy": [{"type": "ACTIVE"}]})
        )])));
        assert!(text.contains("/values/root_module/resources/0/values/failover_routing_policy/0/type"), "{text}");
        assert!(text.contains(
            "expected \"PRIMARY\" or \"SECONDARY\", found the text \"ACTIVE\" (in the resource aws_route53_record.a)"
        ));
        let text = message(&state(json!([record(
            "aws_route53_record.a",
            "a.example.com",
            json!({"alias": [{"name": "x", "evaluate_target_health": true}, {"name": "y", "evaluate_target_health": true}]})
        )])));
        assert!(
            text.contains(
                "at /values/root_module/resources/0/values/alias: expected at most one \"alias\" block, found 2"
            ),
            "{text}"
        );
        let text = message(&state(json!([record("aws_route53_record.a", "a.example.com", json!({"ttl": "sixty"}))])));
        assert!(text.contains("expected a whole number, 0 or more, found the text \"sixty\""), "{text}");
        let text = message(&state(json!([record(
            "aws_route53_record.a",
            "a.example.com",
            json!({"weighted_routing_policy": [{"weight": -1}]})
        )])));
        assert!(
            text.contains("weighted_routing_policy/0/weight: expected a whole number, 0 or more, found the number -1")
        );
    }

    /// A plan with one record in the root module whose `health_check_id` is unknown.
    fn plan(
        checks: Value,
        references: Value,
        module_calls: Value,
        child_modules: Value,
        after_unknown: Value,
    ) -> Value {
        let record = record(
            "aws_route53_record.app",
            "app.example.com",
            json!({"failover_routing_policy": [{"type": "PRIMARY"}],
            "set_identifier": "p"}),
        );
        let mut record = record;
        record["values"].as_object_mut().unwrap().remove("health_check_id");
        let mut resources = checks.as_array().unwrap().clone();
        resources.push(record);
        let mut changes =
            vec![json!({"address": "aws_route53_record.app", "change": {"after_unknown": {"health_check_id": true}}})];
        for (address, unknown) in after_unknown.as_object().unwrap() {
            changes.push(json!({"address": address, "change": {"after_unknown": unknown}}));
        }
        json!({"format_version": "1.2",
            "planned_values": {"root_module": {"resources": resources, "child_modules": child_modules}},
            "resource_changes": changes,
            "configuration": {"root_module": {"resources": [{"address": "aws_route53_record.app",
                "expressions": {"health_check_id": {"references": references}}}], "module_calls": module_calls}}})
    }

    fn new_check(address: &str) -> Value {
        resource(address, json!({"type": "HTTPS", "fqdn": "app.example.com", "port": 443}))
    }

    #[test]
    fn a_plan_follows_module_outputs_to_the_check() {
        let child = json!([{"address": "module.checks", "resources": [new_check("module.checks.aws_route53_health_check.app")]}]);
        let calls = json!({"checks": {"module": {"outputs": {"app_id": {"expression": {"references":
            ["aws_route53_health_check.app.id", "aws_route53_health_check.app"]}}}}}});
        let unknown = json!({"module.checks.aws_route53_health_check.app": {"id": true}});
        let zone = read_json(&plan(json!([]), json!(["module.checks.app_id", "module.checks"]), calls, child, unknown))
            .unwrap();
        assert_eq!(zone.records[0].health_check_id.as_deref(), Some("module.checks.aws_route53_health_check.app"));
        assert_eq!(zone.health_checks[0].id, "module.checks.aws_route53_health_check.app");
        assert!(zone.warnings.is_empty(), "{:?}", zone.warnings);
    }

    #[test]
    fn a_plan_does_not_guess_between_instances() {
        let checks =
            json!([new_check("aws_route53_health_check.zone[0]"), new_check("aws_route53_health_check.zone[1]")]);
        let unknown =
            json!({"aws_route53_health_check.zone[0]": {"id": true}, "aws_route53_health_check.zone[1]": {"id": true}});
        let refs = json!(["aws_route53_health_check.zone", "count.index"]);
        let zone = read_json(&plan(checks.clone(), refs, json!({}), json!([]), unknown.clone())).unwrap();
        assert_eq!(zone.records[0].health_check_id, None);
        assert_eq!(zone.warnings.len(), 1);
        let warning = &zone.warnings[0];
        assert!(warning.contains("which health check the record aws_route53_record.app uses"), "{warning}");
        assert!(warning.contains("fosim cannot follow \"count.index\""), "{warning}");
        assert!(warning.contains("imported without a health check"), "{warning}");
        // Without `count.index`, a bare reference to two instances is still not one check.
        let zone =
            read_json(&plan(checks, json!(["aws_route53_health_check.zone"]), json!({}), json!([]), unknown)).unwrap();
        assert_eq!(zone.records[0].health_check_id, None);
        assert!(zone.warnings[0].contains(
            "which could mean any of \"aws_route53_health_check.zone[0]\", \"aws_route53_health_check.zone[1]\""
        ));
    }

    #[test]
    fn a_plan_without_configuration_warns() {
        let mut value = plan(
            json!([new_check("aws_route53_health_check.app")]),
            json!([]),
            json!({}),
            json!([]),
            json!({"aws_route53_health_check.app": {"id": true}}),
        );
        value.as_object_mut().unwrap().remove("configuration");
        let zone = read_json(&value).unwrap();
        assert_eq!(zone.records[0].health_check_id, None);
        assert!(zone.warnings[0].contains("(the file has no configuration reference for it)"), "{:?}", zone.warnings);
    }

    #[test]
    fn unknown_children_must_match_the_planned_count() {
        let mut checks =
            vec![new_check("aws_route53_health_check.zone[0]"), new_check("aws_route53_health_check.zone[1]")];
        checks
            .push(resource("aws_route53_health_check.all", json!({"type": "CALCULATED", "child_health_threshold": 1})));
        let mut value = plan(
            json!(checks),
            json!(["aws_route53_health_check.all.id", "aws_route53_health_check.all"]),
            json!({}),
            json!([]),
            json!({"aws_route53_health_check.all": {"id": true, "child_healthchecks": [true, true, true]}}),
        );
        value["configuration"]["root_module"]["resources"]
            .as_array_mut()
            .unwrap()
            .push(json!({"address": "aws_route53_health_check.all",
            "expressions": {"child_healthchecks": {"references": ["aws_route53_health_check.zone"]}}}));
        let zone = read_json(&value).unwrap();
        assert_eq!(zone.records[0].health_check_id.as_deref(), Some("aws_route53_health_check.all"));
        assert_eq!(zone.health_checks[2].children, Vec::<String>::new());
        assert_eq!(zone.warnings.len(), 1);
        assert!(zone.warnings[0].contains("child health checks of the calculated check aws_route53_health_check.all"));
        assert!(zone.warnings[0].contains("2 checks where the plan has 3 children"), "{:?}", zone.warnings);
        // Two planned children: the two instances are the children.
        value["resource_changes"][1]["change"]["after_unknown"]["child_healthchecks"] = json!([true, true]);
        let zone = read_json(&value).unwrap();
        let ids = ["aws_route53_health_check.zone[0]", "aws_route53_health_check.zone[1]"];
        assert_eq!(zone.health_checks[2].children, ids);
        assert!(zone.warnings.is_empty(), "{:?}", zone.warnings);
    }
}
