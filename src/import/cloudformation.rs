//! Reading a CloudFormation template written in JSON (`fosim import cloudformation`).
//!
//! The reader takes `AWS::Route53::RecordSet`, every entry of `AWS::Route53::RecordSetGroup`,
//! `AWS::Route53::HealthCheck` and `AWS::CloudWatch::Alarm` resources, and resolves the
//! intrinsic functions whose value the template itself decides:
//!
//! - `{"Ref": "Parameter"}`: the parameter's `Default` (an error without one: the value is
//!   only known when the stack is deployed); a list parameter's Default is split at commas;
//! - `{"Ref": "HealthCheck"}` and `{"Fn::GetAtt": ["HealthCheck", "HealthCheckId"]}`: the
//!   health check's logical id, which is also the id the zone gives it;
//! - `{"Ref": "Alarm"}`: the alarm's `AlarmName`, or its logical id when the name is not
//!   written out;
//! - `{"Fn::GetAtt": ["Alb", "DNSName"]}` (or `"Alb.DNSName"`) of a load balancer
//!   (`AWS::ElasticLoadBalancingV2::LoadBalancer` or `AWS::ElasticLoadBalancing::LoadBalancer`):
//!   see [`load_balancer_dns_name`]; its `CanonicalHostedZoneID`: see
//!   [`load_balancer_zone_id`]; its `LoadBalancerFullName` (an alarm's dimension): see
//!   [`load_balancer_full_name`];
//! - `{"Ref": "AWS::NoValue"}`: the field is absent.
//!
//! Every other intrinsic function (`Fn::Sub`, `Fn::Join`, `Fn::If`, `Fn::ImportValue`, …),
//! pseudo parameter (`AWS::Region`, …) or attribute is known only when the stack is
//! deployed: on a field fosim can do without it is a warning saying what was left out; on
//! one it cannot (a record's name, a health check's interval, …) it is an error. Both give
//! the JSON Pointer of the value.

use super::json::{self, Node};
use super::{Alarm, Alias, Format, HealthCheck, Origin, Record, Zone, normalise_name};
use crate::input::{self, InputError, did_you_mean};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const RECORD_SET: &str = "AWS::Route53::RecordSet";
const RECORD_SET_GROUP: &str = "AWS::Route53::RecordSetGroup";
const HEALTH_CHECK: &str = "AWS::Route53::HealthCheck";
const ALARM: &str = "AWS::CloudWatch::Alarm";
const HOSTED_ZONE: &str = "AWS::Route53::HostedZone";
const NESTED_STACK: &str = "AWS::CloudFormation::Stack";
const LOAD_BALANCERS: [&str; 2] =
    ["AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancing::LoadBalancer"];

const RECORD_TYPES: [&str; 17] = [
    "A", "AAAA", "CAA", "CNAME", "DS", "HTTPS", "MX", "NAPTR", "NS", "PTR", "SOA", "SPF", "SRV", "SSHFP", "SVCB",
    "TLSA", "TXT",
];
const CHECK_TYPES: [&str; 8] = [
    "HTTP",
    "HTTPS",
    "HTTP_STR_MATCH",
    "HTTPS_STR_MATCH",
    "TCP",
    "CALCULATED",
    "CLOUDWATCH_METRIC",
    "RECOVERY_CONTROL",
];

/// The DNS name fosim gives a load balancer of the template: `Fn::GetAtt [Id, DNSName]` is
/// only known once the stack is deployed, so the reader writes the logical id, in lower
/// case, then `-cfn`, under `.elb.amazonaws.com` (`PrimaryAlb` →
/// `primaryalb-cfn.elb.amazonaws.com`), the shape of a real one (`name-id.elb…`). Logical
/// ids are unique and alphanumeric, so the name is stable (same template, same name),
/// distinct per load balancer and a valid DNS name; its suffix is what tells the scenario
/// builder that an alias points at a load balancer, and its first part matches
/// [`load_balancer_full_name`], as a real load balancer's name does.
pub fn load_balancer_dns_name(logical_id: &str) -> String {
    format!("{}-cfn.elb.amazonaws.com", logical_id.to_ascii_lowercase())
}

/// The hosted zone id fosim gives a load balancer of the template
/// (`Fn::GetAtt [Id, CanonicalHostedZoneID]`), also known only once deployed: the logical
/// id, in lower case, with `-zone` (`PrimaryAlb` → `primaryalb-zone`). It is kept as the
/// alias target's zone; nothing in a simulation depends on it.
pub fn load_balancer_zone_id(logical_id: &str) -> String {
    format!("{}-zone", logical_id.to_ascii_lowercase())
}

/// The `LoadBalancerFullName` fosim gives an `AWS::ElasticLoadBalancingV2::LoadBalancer` (the
/// `LoadBalancer` dimension of its CloudWatch metrics), known only once deployed:
/// `app/primaryalb/cfn` (`net/…` for a network load balancer, `gwy/…` for a gateway one).
/// Its second part is the first part of [`load_balancer_dns_name`], so that a CloudWatch
/// check on an alarm of the load balancer's metrics follows that load balancer.
pub fn load_balancer_full_name(logical_id: &str, kind: &str) -> String {
    let prefix = match kind {
        "network" => "net",
        "gateway" => "gwy",
        _ => "app",
    };
    format!("{prefix}/{}/cfn", logical_id.to_ascii_lowercase())
}

/// Reads a JSON CloudFormation template into a `Zone`.
pub fn read(file: &Path) -> Result<Zone, InputError> {
    parse(file, &input::read_text(file, json::IMPORT)?)
}

/// Reads the text of a JSON CloudFormation template; `file` only names the file in errors.
pub fn parse(file: &Path, text: &str) -> Result<Zone, InputError> {
    let value = match json::parse(file, text) {
        Ok(value) => value,
        Err(error) => {
            // A YAML template gets the conversion commands in full.
            return Err(if json::looks_like_yaml(text) { InputError::invalid(file, "", yaml_advice()) } else { error });
        }
    };
    let root = Node::root(file, &value);
    let template = template_of(&root)?;
    let mut reader = Reader::new(file, &template)?;
    reader.read_all()
}

/// The template in a file: the whole file, or the `TemplateBody` of
/// `aws cloudformation get-template`'s output.
fn template_of<'a>(root: &Node<'a>) -> Result<Node<'a>, InputError> {
    if let Value::String(text) = root.value {
        if json::looks_like_yaml(text) {
            return Err(
                root.error(format!("the file holds a YAML template written as JSON text. {}", convert_advice()))
            );
        }
        if text.trim_start().starts_with('{') {
            return Err(root.error(
                "the file holds a JSON template written as JSON text (one quoted string); write the template \
                 itself, e.g. with `--output text` instead of `--output json`",
            ));
        }
    }
    let Some(fields) = root.value.as_object() else {
        return Err(root.error(format!(
            "expected a CloudFormation template, a JSON object with \"Resources\"; found {}",
            json::describe(root.value)
        )));
    };
    if root.get("Resources").is_some() {
        return Ok(root.clone());
    }
    if let Some(body) = root.get("TemplateBody") {
        return match body.value {
            Value::Object(_) => template_of(&body),
            Value::String(text) if text.trim_start().starts_with('{') => Err(body.error(
                "this is the output of `aws cloudformation get-template` with the JSON template written as text; \
                 write the template itself with `aws cloudformation get-template --stack-name STACK --query \
                 TemplateBody --output text > template.json` and import that",
            )),
            Value::String(_) => Err(body.error(format!(
                "this is the output of `aws cloudformation get-template` with the template as text, \
                 which means a YAML template; fosim reads JSON templates only. {}",
                convert_advice()
            ))),
            other => Err(body.error(format!("expected the template, a JSON object; found {}", json::describe(other)))),
        };
    }
    let has = |key: &str| fields.contains_key(key);
    let looks_like = if has("ResourceRecordSets") {
        "This looks like the output of `aws route53 list-resource-record-sets` (it has \"ResourceRecordSets\"): \
         import it with `fosim import aws --record-sets FILE --health-checks FILE…`."
            .to_owned()
    } else if has("HealthChecks") || has("HealthCheck") {
        "This looks like the output of `aws route53 list-health-checks` or `get-health-check` (it has \
         \"HealthChecks\" or \"HealthCheck\"): import it with `fosim import aws --record-sets FILE --health-checks FILE…`."
            .to_owned()
    } else if has("format_version") && (has("values") || has("planned_values")) {
        "This looks like the output of `terraform show -json` (it has \"format_version\" and \"values\" or \
         \"planned_values\"): import it with `fosim import terraform FILE`."
            .to_owned()
    } else if has("terraform_version") && has("resources") {
        "This looks like a raw Terraform state file (terraform.tfstate): write it as JSON with \
         `terraform show -json > state.json` and import that with `fosim import terraform state.json`."
            .to_owned()
    } else {
        let keys: Vec<String> = fields.keys().take(6).map(|k| format!("\"{k}\"")).collect();
        if keys.is_empty() {
            "The object is empty.".to_owned()
        } else {
            format!("The object has the fields {}{}.", keys.join(", "), if fields.len() > 6 { ", …" } else { "" })
        }
    };
    Err(root.error(format!(
        "this is not a CloudFormation template: expected a JSON object with \"Resources\" \
         (and usually \"AWSTemplateFormatVersion\"). {looks_like}"
    )))
}

/// A file that is not JSON but reads like a YAML template.
fn convert_advice() -> &'static str {
    "Convert it to JSON with `cfn-flip template.yaml template.json` (pip install cfn-flip), or take the \
     deployed stack's template as JSON with `aws cloudformation get-template --stack-name STACK \
     --template-stage Processed --query TemplateBody --output json > template.json`."
}

fn yaml_advice() -> String {
    format!("this looks like a YAML CloudFormation template; fosim reads JSON templates only. {}", convert_advice())
}

/// Whether fosim can do without a field whose value it cannot know.
#[derive(Clone, Copy)]
enum Need<'s> {
    /// An error.
    Required,
    /// A warning; the text says what is used instead ("" for nothing).
    Optional(&'s str),
}

/// Where a value came from: written in place, a parameter's Default, or derived by fosim.
enum Got<'a> {
    Node(Node<'a>, Option<Via<'a>>),
    /// A logical id, an alarm name, a load balancer placeholder or an item of a list
    /// parameter; with the pointer of the place that used it.
    Made(String, String),
}

/// A parameter's Default used at a place of the template.
struct Via<'a> {
    parameter: &'a str,
    used_at: String,
}

impl Via<'_> {
    /// Adds the place of use to an error about a parameter's Default.
    fn note(&self, error: InputError) -> InputError {
        match error {
            InputError::Invalid { file, pointer, message } => InputError::Invalid {
                file,
                pointer,
                message: format!(
                    "{message} (the Default of the parameter \"{}\", used at {})",
                    self.parameter, self.used_at
                ),
            },
            other => other,
        }
    }
}

enum Resolved<'a> {
    /// `Ref AWS::NoValue`.
    Absent,
    Got(Got<'a>),
    /// An intrinsic function fosim does not evaluate: where, and why, in words.
    Unknown {
        pointer: String,
        why: String,
    },
}

impl<'a> Got<'a> {
    fn pointer(&self) -> &str {
        match self {
            Got::Node(_, Some(via)) => &via.used_at,
            Got::Node(node, None) => &node.pointer,
            Got::Made(_, pointer) => pointer,
        }
    }

    fn text(&self) -> Result<String, InputError> {
        match self {
            Got::Node(node, via) => node.str().map(str::to_owned).map_err(|e| noted(e, via)),
            Got::Made(text, _) => Ok(text.clone()),
        }
    }

    fn whole(&self, file: &Path) -> Result<u64, InputError> {
        match self {
            Got::Node(node, via) => node.u64().map_err(|e| noted(e, via)),
            Got::Made(text, pointer) => Err(made_error(file, pointer, "a whole number", text)),
        }
    }

    fn number(&self, file: &Path) -> Result<f64, InputError> {
        match self {
            Got::Node(node, via) => node.f64().map_err(|e| noted(e, via)),
            Got::Made(text, pointer) => Err(made_error(file, pointer, "a number", text)),
        }
    }

    fn flag(&self, file: &Path) -> Result<bool, InputError> {
        match self {
            Got::Node(node, via) => node.bool().map_err(|e| noted(e, via)),
            Got::Made(text, pointer) => Err(made_error(file, pointer, "true or false", text)),
        }
    }

    fn object(&self, file: &Path) -> Result<Node<'a>, InputError> {
        match self {
            Got::Node(node, via) => node.entries().map(|_| node.clone()).map_err(|e| noted(e, via)),
            Got::Made(text, pointer) => Err(made_error(file, pointer, "an object", text)),
        }
    }
}

fn noted(error: InputError, via: &Option<Via<'_>>) -> InputError {
    match via {
        Some(via) => via.note(error),
        None => error,
    }
}

fn made_error(file: &Path, pointer: &str, expected: &str, text: &str) -> InputError {
    InputError::invalid(
        file,
        pointer,
        format!("expected {expected}, found the text \"{text}\" this reference stands for"),
    )
}

/// `found` is one of `allowed`, or an error at `pointer`.
fn one_of(file: &Path, pointer: &str, found: &str, allowed: &[&str]) -> Result<(), InputError> {
    if allowed.contains(&found) {
        return Ok(());
    }
    Err(InputError::invalid(
        file,
        pointer,
        format!("expected one of {}; found \"{found}\"{}", allowed.join(", "), did_you_mean(found, allowed)),
    ))
}

struct Resource<'a> {
    kind: &'a str,
    node: Node<'a>,
}

struct Reader<'a> {
    file: &'a Path,
    template: Node<'a>,
    parameters: BTreeMap<&'a str, Node<'a>>,
    /// By logical id, in file order.
    resources: Vec<(&'a str, Resource<'a>)>,
    by_id: BTreeMap<&'a str, usize>,
    /// The names `Ref` gives for the alarms, by logical id.
    alarm_names: BTreeMap<&'a str, String>,
    /// What the fields being read belong to, for messages: `the record "Primary"`.
    owner: String,
    warnings: Vec<String>,
}

impl<'a> Reader<'a> {
    fn new(file: &'a Path, template: &Node<'a>) -> Result<Self, InputError> {
        let mut parameters = BTreeMap::new();
        if let Some(list) = template.get("Parameters") {
            for (name, parameter) in list.entries()? {
                parameter.entries()?;
                parameters.insert(name, parameter);
            }
        }
        let mut resources = Vec::new();
        let mut by_id = BTreeMap::new();
        for (id, node) in template.field("Resources")?.entries()? {
            let kind = node.field("Type")?.str()?;
            by_id.insert(id, resources.len());
            resources.push((id, Resource { kind, node }));
        }
        Ok(Reader {
            file,
            template: template.clone(),
            parameters,
            resources,
            by_id,
            alarm_names: BTreeMap::new(),
            owner: String::new(),
            warnings: Vec::new(),
        })
    }

    fn resource(&self, id: &str) -> Option<&Resource<'a>> {
        self.by_id.get(id).map(|&i| &self.resources[i].1)
    }

    fn warn(&mut self, pointer: &str, message: impl AsRef<str>) {
        self.warnings.push(format!("{}: at {pointer}: {}", self.file.display(), message.as_ref()));
    }

    fn read_all(&mut self) -> Result<Zone, InputError> {
        let route53 = [RECORD_SET, RECORD_SET_GROUP, HEALTH_CHECK];
        let resources_node = self.template.field("Resources")?;
        if !self.resources.iter().any(|(_, r)| route53.contains(&r.kind)) {
            return Err(resources_node.error(self.no_route53_message()));
        }
        if let Some(version) = self.template.get("AWSTemplateFormatVersion") {
            let text = version.str()?;
            if text != "2010-09-09" {
                self.warn(
                    &version.pointer,
                    format!("the only template format version is \"2010-09-09\"; found \"{text}\", read as that"),
                );
            }
        }
        if let Some(transform) = self.template.get("Transform") {
            self.warn(
                &transform.pointer,
                "the template declares a Transform, whose resources exist only once it is processed; fosim reads \
                 the template as written (take the processed one with `aws cloudformation get-template \
                 --template-stage Processed`)",
            );
        }
        let mut zone =
            Zone { format: Some(Format::Cloudformation), files: vec![self.file.to_owned()], ..Zone::default() };
        let resources: Vec<(&'a str, &'a str, Node<'a>)> =
            self.resources.iter().map(|(id, r)| (*id, r.kind, r.node.clone())).collect();
        for (id, kind, node) in &resources {
            if [RECORD_SET, RECORD_SET_GROUP, HEALTH_CHECK, ALARM].contains(kind)
                && let Some(condition) = node.get("Condition")
            {
                let name = condition.str()?;
                self.warn(
                    &condition.pointer,
                    format!("\"{id}\" exists only when the condition \"{name}\" holds; fosim imports it as if it did"),
                );
            }
            if *kind == NESTED_STACK {
                self.warn(
                    &node.pointer,
                    format!("\"{id}\" is a nested stack, whose template fosim does not read; import it separately"),
                );
            }
        }
        // Alarms first, so that a check's `Ref` to one gives its name.
        for (id, _, node) in resources.iter().filter(|(_, kind, _)| *kind == ALARM) {
            let alarm = self.alarm(id, node)?;
            self.alarm_names.insert(id, alarm.name.clone());
            zone.alarms.push(alarm);
        }
        for (id, _, node) in resources.iter().filter(|(_, kind, _)| *kind == HEALTH_CHECK) {
            let check = self.health_check(id, node, &zone.alarms)?;
            zone.health_checks.push(check);
        }
        let mut zones = BTreeSet::new();
        for (id, kind, node) in &resources {
            let properties = || node.field("Properties");
            match *kind {
                RECORD_SET => {
                    let properties = properties()?;
                    let origin =
                        Origin { file: self.file.to_owned(), pointer: node.pointer.clone(), id: Some(id.to_string()) };
                    self.owner = format!("the record \"{id}\"");
                    zones.extend(self.zone_name(&properties)?);
                    zone.records.push(self.record(&properties, origin, id)?);
                }
                RECORD_SET_GROUP => {
                    let properties = properties()?;
                    self.owner = format!("the record set group \"{id}\"");
                    let group_zone = self.zone_name(&properties)?;
                    let Some(entries) = self.list(&properties, "RecordSets", Need::Required)? else { continue };
                    for (i, entry) in entries.into_iter().enumerate() {
                        let entry = match entry {
                            Resolved::Got(got) => got.object(self.file)?,
                            Resolved::Unknown { pointer, why } => {
                                self.owner = format!("the record set group \"{id}\"");
                                self.unknown(&pointer, &why, "RecordSets entry", Need::Required)?;
                                continue;
                            }
                            Resolved::Absent => continue,
                        };
                        let origin = Origin {
                            file: self.file.to_owned(),
                            pointer: entry.pointer.clone(),
                            id: Some(id.to_string()),
                        };
                        self.owner = format!("record {i} of the group \"{id}\"");
                        let own_zone = self.zone_name(&entry)?;
                        zones.extend(own_zone.or_else(|| group_zone.clone()));
                        zone.records.push(self.record(&entry, origin, &format!("{id}-{i}"))?);
                    }
                }
                _ => {}
            }
        }
        match zones.len() {
            0 => {}
            1 => zone.zone = zones.pop_first(),
            _ => {
                let names: Vec<String> = zones.iter().map(|z| format!("\"{z}\"")).collect();
                self.warn(
                    &resources_node.pointer,
                    format!("the records are in several hosted zones ({}); no zone name is kept", names.join(", ")),
                );
            }
        }
        zone.warnings = std::mem::take(&mut self.warnings);
        Ok(zone)
    }

    fn no_route53_message(&self) -> String {
        let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, r) in &self.resources {
            *kinds.entry(r.kind).or_default() += 1;
        }
        let found = if kinds.is_empty() {
            "found no resources at all".to_owned()
        } else {
            let listed: Vec<String> =
                kinds.iter().map(|(k, n)| if *n == 1 { k.to_string() } else { format!("{k} ×{n}") }).collect();
            format!("found only {}", listed.join(", "))
        };
        let nested = if kinds.contains_key(NESTED_STACK) {
            " Its nested stacks (AWS::CloudFormation::Stack) are separate templates: import the one with the records."
        } else {
            ""
        };
        format!(
            "the template has no Route 53 records or health checks: expected at least one {RECORD_SET}, \
             {RECORD_SET_GROUP} or {HEALTH_CHECK} resource; {found}.{nested}"
        )
    }

    // ---- intrinsic functions -------------------------------------------------------------

    /// A value, with `Ref` and `Fn::GetAtt` resolved where the template decides them.
    fn resolve(&self, node: &Node<'a>) -> Result<Resolved<'a>, InputError> {
        let single = node.value.as_object().filter(|map| map.len() == 1).and_then(|map| map.keys().next());
        match single.map(String::as_str) {
            Some("Ref") => self.reference(node, node.field("Ref")?.str()?),
            Some("Fn::GetAtt") => self.attribute(node),
            Some(function) if function.starts_with("Fn::") => Ok(Resolved::Unknown {
                pointer: node.pointer.clone(),
                why: format!("{function} is an intrinsic function fosim does not evaluate"),
            }),
            _ => Ok(Resolved::Got(Got::Node(node.clone(), None))),
        }
    }

    fn reference(&self, node: &Node<'a>, name: &'a str) -> Result<Resolved<'a>, InputError> {
        let unknown = |why: String| Ok(Resolved::Unknown { pointer: node.pointer.clone(), why });
        if name == "AWS::NoValue" {
            return Ok(Resolved::Absent);
        }
        if name.starts_with("AWS::") {
            return unknown(format!("the pseudo parameter {name} is known only when the stack is deployed"));
        }
        if let Some(parameter) = self.parameters.get(name) {
            return match parameter.get("Default") {
                Some(default) => {
                    let via = Via { parameter: name, used_at: node.pointer.clone() };
                    Ok(Resolved::Got(Got::Node(default, Some(via))))
                }
                None => Err(node.error(format!(
                    "Ref names the parameter \"{name}\", which has no Default, so its value is known only when the \
                     stack is deployed; give it a Default (at {}) or write the value here",
                    parameter.pointer
                ))),
            };
        }
        let Some(resource) = self.resource(name) else {
            let names: Vec<&str> = self.parameters.keys().chain(self.by_id.keys()).copied().collect();
            return Err(node.error(format!(
                "Ref names \"{name}\", which is neither a parameter nor a resource of this template{}",
                did_you_mean(name, &names)
            )));
        };
        match resource.kind {
            HEALTH_CHECK => Ok(Resolved::Got(Got::Made(name.to_owned(), node.pointer.clone()))),
            ALARM => {
                let alarm = self.alarm_names.get(name).cloned().unwrap_or_else(|| name.to_owned());
                Ok(Resolved::Got(Got::Made(alarm, node.pointer.clone())))
            }
            kind if LOAD_BALANCERS.contains(&kind) => unknown(format!(
                "Ref of the load balancer \"{name}\" gives its ARN, not its DNS name (write \
                 {{\"Fn::GetAtt\": [\"{name}\", \"DNSName\"]}} for that)"
            )),
            kind => unknown(format!("Ref of the {kind} resource \"{name}\" is known only when the stack is deployed")),
        }
    }

    fn attribute(&self, node: &Node<'a>) -> Result<Resolved<'a>, InputError> {
        let arguments = node.field("Fn::GetAtt")?;
        let expected = "expected a logical id and an attribute name, as [\"Alb\", \"DNSName\"] or \"Alb.DNSName\"";
        let (id, name) = match arguments.value {
            Value::String(text) => text
                .split_once('.')
                .ok_or_else(|| arguments.error(format!("{expected}; found {}", json::describe(arguments.value))))?,
            Value::Array(items) if items.len() == 2 => {
                let items = arguments.array()?;
                (items[0].str()?, items[1].str()?)
            }
            other => return Err(arguments.error(format!("{expected}; found {}", json::describe(other)))),
        };
        let Some(resource) = self.resource(id) else {
            let names: Vec<&str> = self.by_id.keys().copied().collect();
            return Err(arguments.error(format!(
                "Fn::GetAtt names \"{id}\", which is not a resource of this template{}",
                did_you_mean(id, &names)
            )));
        };
        let made = |text: String| Ok(Resolved::Got(Got::Made(text, node.pointer.clone())));
        match (resource.kind, name) {
            (kind, "DNSName") if LOAD_BALANCERS.contains(&kind) => made(load_balancer_dns_name(id)),
            (kind, "CanonicalHostedZoneID" | "CanonicalHostedZoneNameID") if LOAD_BALANCERS.contains(&kind) => {
                made(load_balancer_zone_id(id))
            }
            ("AWS::ElasticLoadBalancingV2::LoadBalancer", "LoadBalancerFullName") => {
                let kind = resource.node.get("Properties").and_then(|p| p.get("Type"));
                made(load_balancer_full_name(id, kind.and_then(|k| k.value.as_str()).unwrap_or("application")))
            }
            (HEALTH_CHECK, "HealthCheckId") => made(id.to_owned()),
            (kind, _) => Ok(Resolved::Unknown {
                pointer: node.pointer.clone(),
                why: format!(
                    "the attribute {name} of the {kind} resource \"{id}\" is known only when the stack is deployed"
                ),
            }),
        }
    }

    /// What to do with a value fosim cannot know: an error, or a warning and nothing.
    fn unknown(&mut self, pointer: &str, why: &str, key: &str, need: Need) -> Result<(), InputError> {
        match need {
            Need::Required => Err(InputError::invalid(
                self.file,
                pointer,
                format!(
                    "{why}; fosim needs the {key} of {} and cannot leave it out: write it as a literal value, or as a \
                     Ref to a parameter with a Default",
                    self.owner
                ),
            )),
            Need::Optional(instead) => {
                let instead = if instead.is_empty() { String::new() } else { format!("; {instead}") };
                let message = format!("{why}, so {} is read without its {key}{instead}", self.owner);
                self.warn(pointer, message);
                Ok(())
            }
        }
    }

    /// A field, resolved; `None` when absent, `Ref AWS::NoValue`, or unknown and optional.
    fn value(&mut self, parent: &Node<'a>, key: &str, need: Need) -> Result<Option<Got<'a>>, InputError> {
        let Some(node) = parent.get(key) else { return Ok(None) };
        match self.resolve(&node)? {
            Resolved::Absent => Ok(None),
            Resolved::Got(got) => Ok(Some(got)),
            Resolved::Unknown { pointer, why } => self.unknown(&pointer, &why, key, need).map(|()| None),
        }
    }

    /// A list field, resolved, its items resolved but not yet judged; empty when absent. A
    /// list parameter's Default (`"a,b"`) gives one item per comma-separated part.
    fn list(&mut self, parent: &Node<'a>, key: &str, need: Need) -> Result<Option<Vec<Resolved<'a>>>, InputError> {
        let Some(got) = self.value(parent, key, need)? else { return Ok(None) };
        let (node, via) = match got {
            Got::Node(node, via) => (node, via),
            Got::Made(text, pointer) => return Err(made_error(self.file, &pointer, "a list", &text)),
        };
        if let (Some(via), Value::String(text)) = (&via, node.value) {
            let items =
                text.split(',').map(|part| Resolved::Got(Got::Made(part.trim().to_owned(), via.used_at.clone())));
            return Ok(Some(items.collect()));
        }
        let items = node.array().map_err(|e| noted(e, &via))?;
        let mut out = Vec::with_capacity(items.len());
        for item in &items {
            match self.resolve(item)? {
                Resolved::Absent => {}
                resolved => out.push(resolved),
            }
        }
        Ok(Some(out))
    }

    /// The text items of a list; an unknown item follows `item_need`.
    fn texts(&mut self, parent: &Node<'a>, key: &str, need: Need, item_need: Need) -> Result<Vec<String>, InputError> {
        let mut out = Vec::new();
        for item in self.list(parent, key, need)?.unwrap_or_default() {
            match item {
                Resolved::Got(got) => out.push(got.text()?),
                Resolved::Unknown { pointer, why } => {
                    self.unknown(&pointer, &why, &format!("{key} item"), item_need)?
                }
                Resolved::Absent => {}
            }
        }
        Ok(out)
    }

    fn text(&mut self, parent: &Node<'a>, key: &str, need: Need) -> Result<Option<String>, InputError> {
        self.value(parent, key, need)?.map(|got| got.text()).transpose()
    }

    fn whole(&mut self, parent: &Node<'a>, key: &str, need: Need) -> Result<Option<u64>, InputError> {
        self.value(parent, key, need)?.map(|got| got.whole(self.file)).transpose()
    }

    fn number(&mut self, parent: &Node<'a>, key: &str, need: Need) -> Result<Option<f64>, InputError> {
        self.value(parent, key, need)?.map(|got| got.number(self.file)).transpose()
    }

    fn flag(&mut self, parent: &Node<'a>, key: &str, need: Need) -> Result<Option<bool>, InputError> {
        self.value(parent, key, need)?.map(|got| got.flag(self.file)).transpose()
    }

    fn object(&mut self, parent: &Node<'a>, key: &str, need: Need) -> Result<Option<Node<'a>>, InputError> {
        self.value(parent, key, need)?.map(|got| got.object(self.file)).transpose()
    }

    /// A field the resource cannot be without.
    fn required_text(&mut self, parent: &Node<'a>, key: &str) -> Result<(String, String), InputError> {
        let node = parent.field(key)?;
        match self.value(parent, key, Need::Required)? {
            Some(got) => Ok((got.text()?, got.pointer().to_owned())),
            None => {
                Err(node.error(format!("Ref AWS::NoValue leaves out {key}, which {} cannot be without", self.owner)))
            }
        }
    }

    /// A health check id (a record's `HealthCheckId`, an item of `ChildHealthChecks`): it must
    /// name an `AWS::Route53::HealthCheck` of the template, whose settings fosim needs.
    fn check_id(&mut self, got: Got<'a>, reference: &Node<'a>) -> Result<String, InputError> {
        let id = got.text()?;
        if self.resource(&id).is_some_and(|r| r.kind == HEALTH_CHECK) && matches!(got, Got::Made(..)) {
            return Ok(id);
        }
        Err(InputError::invalid(
            self.file,
            got.pointer(),
            format!(
                "{} uses the health check id \"{id}\", which is not a health check of this template: fosim needs \
                 the check's settings. Define it in the template as an {HEALTH_CHECK} and write \
                 {{\"Ref\": \"LogicalId\"}}, or import the zone with `fosim import aws` from the AWS CLI's output{}",
                self.owner,
                self.mistaken_reference(reference)
            ),
        ))
    }

    /// When `node` is a `Ref` to a resource that is not a health check, says so.
    fn mistaken_reference(&self, node: &Node<'a>) -> String {
        let target = node.value.get("Ref").and_then(Value::as_str);
        match target.and_then(|name| self.resource(name).map(|r| (name, r.kind))) {
            Some((name, kind)) => format!(" (the Ref names \"{name}\", an {kind}, not a health check)"),
            None => String::new(),
        }
    }

    /// A `HealthCheckId`-like field: `Ref` to a check of the template.
    fn check_reference(&mut self, parent: &Node<'a>, key: &str) -> Result<Option<String>, InputError> {
        let Some(node) = parent.get(key) else { return Ok(None) };
        if let Some(message) = self.not_a_check(&node) {
            return Err(node.error(message));
        }
        match self.value(parent, key, Need::Required)? {
            Some(got) => self.check_id(got, &node).map(Some),
            None => Ok(None),
        }
    }

    /// "expected …" when `node` is a `Ref` or `Fn::GetAtt` to a resource that is not a
    /// health check.
    fn not_a_check(&self, node: &Node<'a>) -> Option<String> {
        let name = match node.value.get("Ref") {
            Some(Value::String(name)) => name.as_str(),
            _ => match node.value.get("Fn::GetAtt") {
                Some(Value::Array(items)) => items.first()?.as_str()?,
                Some(Value::String(text)) => text.split('.').next()?,
                _ => return None,
            },
        };
        let kind = self.resource(name)?.kind;
        (kind != HEALTH_CHECK).then(|| {
            format!(
                "expected a reference to an {HEALTH_CHECK}; found a reference to \"{name}\", which is an {kind}: \
                 {} cannot follow it",
                self.owner
            )
        })
    }

    // ---- resources -------------------------------------------------------------------------

    /// The hosted zone a record names: `HostedZoneName`, or the `Name` of the
    /// `AWS::Route53::HostedZone` its `HostedZoneId` refers to.
    fn zone_name(&mut self, properties: &Node<'a>) -> Result<Option<String>, InputError> {
        let instead = "the zone's name is taken from the other records, if any";
        if properties.get("HostedZoneName").is_some() {
            return Ok(self.text(properties, "HostedZoneName", Need::Optional(instead))?.map(|n| normalise_name(&n)));
        }
        let Some(id) = properties.get("HostedZoneId") else { return Ok(None) };
        let Some(Value::String(target)) = id.value.get("Ref") else { return Ok(None) };
        let Some(zone) = self.resource(target).filter(|r| r.kind == HOSTED_ZONE).map(|r| r.node.clone()) else {
            return Ok(None);
        };
        let owner = std::mem::replace(&mut self.owner, format!("the hosted zone \"{target}\""));
        let name = self.text(&zone.field("Properties")?, "Name", Need::Optional(instead));
        self.owner = owner;
        Ok(name?.map(|n| normalise_name(&n)))
    }

    fn record(&mut self, properties: &Node<'a>, origin: Origin, fallback_id: &str) -> Result<Record, InputError> {
        let (name, _) = self.required_text(properties, "Name")?;
        let (kind, pointer) = self.required_text(properties, "Type")?;
        one_of(self.file, &pointer, &kind, &RECORD_TYPES)?;
        let instead = format!("it is identified as \"{fallback_id}\" instead");
        let set_identifier = match self.text(properties, "SetIdentifier", Need::Optional(&instead))? {
            None if properties.get("SetIdentifier").is_some() => Some(fallback_id.to_owned()),
            other => other,
        };
        let failover = match self.value(properties, "Failover", Need::Required)? {
            Some(got) => {
                let text = got.text()?;
                one_of(self.file, got.pointer(), &text, &["PRIMARY", "SECONDARY"])?;
                Some(text)
            }
            None => None,
        };
        // A record that is not an alias cannot be without a TTL (Route 53 requires one, and
        // so does the scenario); an alias takes its target's.
        let ttl_need = if properties.get("AliasTarget").is_some() { Need::Optional("") } else { Need::Required };
        let ttl = self.whole(properties, "TTL", ttl_need)?;
        let values = self.record_values(properties)?;
        let alias = match self.object(properties, "AliasTarget", Need::Required)? {
            Some(target) => {
                let (dns_name, _) = self.required_text(&target, "DNSName")?;
                let evaluate_target_health =
                    self.flag(&target, "EvaluateTargetHealth", Need::Required)?.unwrap_or(false);
                let hosted_zone_id = self.text(&target, "HostedZoneId", Need::Optional("it is left unset"))?;
                Some(Alias { dns_name: normalise_name(&dns_name), evaluate_target_health, hosted_zone_id })
            }
            None => None,
        };
        match (&alias, properties.get("ResourceRecords")) {
            (Some(_), Some(records)) => {
                return Err(records
                    .error(format!("{} has both AliasTarget and ResourceRecords; expected one of them", self.owner)));
            }
            (None, None) => {
                return Err(properties.error(format!(
                    "{} has neither ResourceRecords nor AliasTarget; expected one of them",
                    self.owner
                )));
            }
            _ => {}
        }
        let health_check_id = self.check_reference(properties, "HealthCheckId")?;
        let weight = self.whole(properties, "Weight", Need::Required)?;
        let region = self.text(properties, "Region", Need::Required)?;
        let multivalue = self.flag(properties, "MultiValueAnswer", Need::Required)?.unwrap_or(false);
        let policies =
            [("GeoLocation", "geolocation"), ("GeoProximityLocation", "geoproximity"), ("CidrRoutingConfig", "CIDR")];
        let unsupported_policy =
            policies.iter().find(|(key, _)| properties.get(key).is_some()).map(|(_, policy)| policy.to_string());
        Ok(Record {
            name: normalise_name(&name),
            kind,
            set_identifier,
            failover,
            ttl,
            values,
            alias,
            health_check_id,
            weight,
            region,
            multivalue,
            unsupported_policy,
            origin,
        })
    }

    /// `ResourceRecords`: a value fosim cannot know is left out with a warning, unless no
    /// value is left.
    fn record_values(&mut self, properties: &Node<'a>) -> Result<Vec<String>, InputError> {
        let Some(items) = self.list(properties, "ResourceRecords", Need::Required)? else { return Ok(Vec::new()) };
        let all_unknown = !items.is_empty() && items.iter().all(|i| matches!(i, Resolved::Unknown { .. }));
        let need = if all_unknown { Need::Required } else { Need::Optional("the other values are kept") };
        let mut values = Vec::new();
        for item in items {
            match item {
                Resolved::Got(got) => values.push(got.text()?),
                Resolved::Unknown { pointer, why } => self.unknown(&pointer, &why, "ResourceRecords value", need)?,
                Resolved::Absent => {}
            }
        }
        Ok(values)
    }

    fn health_check(&mut self, id: &str, node: &Node<'a>, alarms: &[Alarm]) -> Result<HealthCheck, InputError> {
        self.owner = format!("the health check \"{id}\"");
        let config = node.field("Properties")?.field("HealthCheckConfig")?;
        config.entries()?;
        let (kind, pointer) = self.required_text(&config, "Type")?;
        one_of(self.file, &pointer, &kind, &CHECK_TYPES)?;
        let ip_address = self.text(&config, "IPAddress", Need::Optional(""))?;
        let fqdn = self.text(&config, "FullyQualifiedDomainName", Need::Optional(""))?.map(|n| normalise_name(&n));
        let port = self.whole(&config, "Port", Need::Optional("Route 53's default for its type is used"))?;
        let resource_path = self.text(&config, "ResourcePath", Need::Optional(""))?;
        let search_string = self.text(&config, "SearchString", Need::Optional(""))?;
        let request_interval = self.whole(&config, "RequestInterval", Need::Required)?;
        let failure_threshold = self.whole(&config, "FailureThreshold", Need::Required)?;
        let regions = self.texts(
            &config,
            "Regions",
            Need::Optional("Route 53's default, every region, is used"),
            Need::Required,
        )?;
        let inverted = self.flag(&config, "Inverted", Need::Required)?.unwrap_or(false);
        let disabled = self.flag(&config, "Disabled", Need::Required)?.unwrap_or(false);
        let health_threshold = self.whole(&config, "HealthThreshold", Need::Required)?;
        let mut children = Vec::new();
        if let Some(list) = config.get("ChildHealthChecks") {
            let nodes = if list.value.is_array() { list.array()? } else { Vec::new() };
            for (i, item) in
                self.list(&config, "ChildHealthChecks", Need::Required)?.unwrap_or_default().into_iter().enumerate()
            {
                let reference = nodes.get(i).cloned().unwrap_or_else(|| list.clone());
                if let Some(message) = self.not_a_check(&reference) {
                    return Err(reference.error(message));
                }
                match item {
                    Resolved::Got(got) => children.push(self.check_id(got, &reference)?),
                    Resolved::Unknown { pointer, why } => {
                        self.unknown(&pointer, &why, "ChildHealthChecks item", Need::Required)?
                    }
                    Resolved::Absent => {}
                }
            }
        }
        let insufficient_data =
            self.text(&config, "InsufficientDataHealthStatus", Need::Optional("Route 53's default is used"))?;
        if let Some(status) = &insufficient_data {
            let pointer = format!("{}/InsufficientDataHealthStatus", config.pointer);
            one_of(self.file, &pointer, status, &["Healthy", "Unhealthy", "LastKnownStatus"])?;
        }
        let alarm = match self.object(&config, "AlarmIdentifier", Need::Required)? {
            Some(identifier) => {
                let (name, _) = self.required_text(&identifier, "Name")?;
                let region = self.text(&identifier, "Region", Need::Optional(""))?;
                let known = alarms.iter().find(|a| a.name == name).cloned();
                Some(Alarm { region, ..known.unwrap_or(Alarm { name, ..Alarm::default() }) })
            }
            None => None,
        };
        Ok(HealthCheck {
            id: id.to_owned(),
            kind,
            ip_address,
            fqdn,
            port,
            resource_path,
            search_string,
            request_interval,
            failure_threshold,
            regions,
            inverted,
            disabled,
            health_threshold,
            children,
            insufficient_data,
            alarm,
            origin: Origin { file: self.file.to_owned(), pointer: node.pointer.clone(), id: Some(id.to_owned()) },
        })
    }

    fn alarm(&mut self, id: &str, node: &Node<'a>) -> Result<Alarm, InputError> {
        self.owner = format!("the alarm \"{id}\"");
        let properties = node.field("Properties")?;
        let instead = format!("it is named \"{id}\" instead, which is also what a Ref to it gives");
        let name = self.text(&properties, "AlarmName", Need::Optional(&instead))?.unwrap_or_else(|| id.to_owned());
        if let Some(metrics) = properties.get("Metrics") {
            self.warn(
                &metrics.pointer,
                format!("{} computes its metric with metric math (Metrics), which fosim does not read", self.owner),
            );
        }
        let metric_name = self.text(&properties, "MetricName", Need::Optional(""))?;
        let namespace = self.text(&properties, "Namespace", Need::Optional(""))?;
        let statistic = match self.text(&properties, "Statistic", Need::Optional(""))? {
            Some(statistic) => Some(statistic),
            None => self.text(&properties, "ExtendedStatistic", Need::Optional(""))?,
        };
        let comparison = self.text(&properties, "ComparisonOperator", Need::Optional(""))?;
        let threshold = self.number(&properties, "Threshold", Need::Optional(""))?;
        let period = self.whole(&properties, "Period", Need::Optional(""))?;
        let evaluation_periods = self.whole(&properties, "EvaluationPeriods", Need::Optional(""))?;
        let mut dimensions = Vec::new();
        for item in self.list(&properties, "Dimensions", Need::Optional(""))?.unwrap_or_default() {
            let dimension = match item {
                Resolved::Got(got) => got.object(self.file)?,
                Resolved::Unknown { pointer, why } => {
                    self.unknown(&pointer, &why, "dimension", Need::Optional(""))?;
                    continue;
                }
                Resolved::Absent => continue,
            };
            let (dimension_name, _) = self.required_text(&dimension, "Name")?;
            match self.resolve(&dimension.field("Value")?)? {
                Resolved::Got(got) => dimensions.push((dimension_name, got.text()?)),
                Resolved::Unknown { pointer, why } => {
                    let key = format!("dimension \"{dimension_name}\"");
                    self.unknown(&pointer, &why, &key, Need::Optional(""))?;
                }
                Resolved::Absent => {}
            }
        }
        Ok(Alarm {
            name,
            region: None,
            metric_name,
            namespace,
            statistic,
            comparison,
            threshold,
            period,
            evaluation_periods,
            dimensions,
        })
    }
}
